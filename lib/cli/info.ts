/** edge-classify info <model>: what a model is and where it would run. */
import { EXIT, fail, parse } from './args';
import { buildInfo, loadModel } from '../index';
import type { Device } from '../types';

const USAGE = `Usage: edge-classify info <model> [--device auto|cpu|cuda|cuda:N]

Prints, as JSON: the model's path, metadata (task, input size, resize, normalisation, classes) and
where it came from, the number of classes, the backend and device it loaded on, and the build info.
Exit codes: 0 success, 1 the model failed to load, 2 bad usage.`;

export async function infoCommand(argv: string[]): Promise<number> {
  const parsed = parse(argv, { device: { type: 'string', short: 'd' } }, USAGE, 'info');
  if (!parsed) return 2;
  if (parsed.help) return EXIT.ok;
  if (parsed.positionals.length !== 1) {
    fail(`info: give exactly one model path\n\n${USAGE}`);
    return EXIT.usage;
  }
  try {
    const model = await loadModel(parsed.positionals[0], { device: (parsed.values.device ?? 'auto') as Device });
    process.stdout.write(`${JSON.stringify({ ...model.info, build: buildInfo() }, null, 2)}\n`);
    await model.dispose();
    return EXIT.ok;
  } catch (error) {
    fail(`info: ${(error as Error).message}`);
    return (error as { code?: string }).code === 'ERR_INVALID_OPTION' ? EXIT.usage : EXIT.failed;
  }
}
