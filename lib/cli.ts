/**
 * edge-classify <images...> [--model path] [--device d] [--confidence c]
 * Classifies images and prints the Roboflow JSON results (an array, one per image).
 */
import { parseArgs } from 'node:util';
import { EdgeClassifyError } from './errors';
import { defaultModelPath, loadModel } from './index';
import type { Device } from './types';

const USAGE = `Usage: edge-classify <images...> [options]

Classifies images and prints Roboflow-compatible JSON results.

Options:
  -m, --model <path>        TorchScript model or model folder (default: the bundled digits model)
  -d, --device <device>     auto | cpu | cuda | cuda:N (default: auto)
  -c, --confidence <0..1>   threshold (single-label: drop classes below it; multi-label: predicted_classes)
  -h, --help                show this help

Exit codes: 0 success, 1 an image or the model failed, 2 bad usage.`;

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        model: { type: 'string', short: 'm' },
        device: { type: 'string', short: 'd' },
        confidence: { type: 'string', short: 'c' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    process.stderr.write(`edge-classify: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length === 0) {
    process.stderr.write(`edge-classify: no images given\n\n${USAGE}\n`);
    return 2;
  }
  const confidence = values.confidence === undefined ? undefined : Number(values.confidence);
  if (confidence !== undefined && !(confidence >= 0 && confidence <= 1)) {
    process.stderr.write(`edge-classify: --confidence must be a number between 0 and 1, got '${values.confidence}'\n`);
    return 2;
  }
  let model;
  try {
    model = await loadModel(values.model ?? defaultModelPath, { device: (values.device ?? 'auto') as Device });
  } catch (error) {
    process.stderr.write(`edge-classify: ${(error as Error).message}\n`);
    return error instanceof EdgeClassifyError && error.code === 'ERR_INVALID_OPTION' ? 2 : 1;
  }
  let failed = 0;
  const results: unknown[] = [];
  for (const image of positionals) {
    try {
      results.push(await model.classify(image, confidence === undefined ? undefined : { confidence }));
    } catch (error) {
      failed++;
      process.stderr.write(`edge-classify: ${image}: ${(error as Error).message}\n`);
    }
  }
  await model.dispose();
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  return failed > 0 ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
