/** edge-classify build-engine <model.onnx>: a TensorRT engine built and cached ahead of time. */
import { EXIT, fail, parse } from './args';
import { buildEngine } from '../backends/build-engine';
import type { Device, EngineBuildProgress } from '../types';

const USAGE = `Usage: edge-classify build-engine <model.onnx> [--precision fp32|fp16|int8] [--max-batch N]
                                  [--device cuda|cuda:N] [--workspace-mb N] [--calibration <folder>]

Builds the TensorRT engine of an ONNX model and caches it beside the model (the file loadModel() and
'serve' then load in seconds), so that a box is prepared before it serves: a first build takes minutes.
Draws TensorRT's progress on a terminal. Prints, as JSON: the engine's model info, whether it was built
now or found in the cache, and the time taken.
  --precision     fp32 (default) | fp16 | int8. TensorRT 11 takes the precision from the ONNX: fp16 needs
                  an fp16 ONNX (scripts/models/export_onnx.py --precision fp16), int8 a Q/DQ ONNX.
  --max-batch     the largest batch the engine takes (the batcher's maxBatchSize; default 64)
  --calibration   int8 on TensorRT 10: a folder of typical images to calibrate with
Exit codes: 0 success, 1 the engine could not be built (no TensorRT, no GPU, a bad model), 2 bad usage.`;

/** One line: a bar over the top-level phase, the phase running now, and the time so far. */
export function progressLine(p: EngineBuildProgress, width = 30): string {
  const fraction = Math.max(0, Math.min(1, p.fraction));
  const filled = Math.round(width * fraction);
  const phase = p.phase.length > 40 ? `${p.phase.slice(0, 39)}…` : p.phase;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.round(100 * fraction)}%  ${phase}  ${Math.round(p.elapsedMs / 1000)}s`;
}

export async function buildEngineCommand(argv: string[]): Promise<number> {
  const parsed = parse(
    argv,
    {
      precision: { type: 'string' },
      'max-batch': { type: 'string' },
      device: { type: 'string', short: 'd' },
      'workspace-mb': { type: 'string' },
      calibration: { type: 'string' },
    },
    USAGE,
    'build-engine',
  );
  if (!parsed) return EXIT.usage;
  if (parsed.help) return EXIT.ok;
  if (parsed.positionals.length !== 1) {
    fail(`build-engine: give exactly one ONNX model\n\n${USAGE}`);
    return EXIT.usage;
  }
  const v = parsed.values;
  const number = (name: string, text: string | undefined) => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw Object.assign(new Error(`--${name} must be a whole number above 0, not '${text}'`), { code: 'ERR_INVALID_OPTION' });
    return n;
  };
  const tty = Boolean(process.stderr.isTTY);
  try {
    const result = await buildEngine(parsed.positionals[0], {
      precision: v.precision as 'fp32' | 'fp16' | 'int8' | undefined,
      maxBatchSize: number('max-batch', v['max-batch']),
      device: (v.device ?? 'cuda') as Device,
      tensorrt: { workspaceMb: number('workspace-mb', v['workspace-mb']), calibration: v.calibration },
      onProgress: tty ? (p) => process.stderr.write(`\r\x1b[2K${progressLine(p)}`) : undefined,
    });
    if (tty) process.stderr.write('\r\x1b[2K');
    process.stdout.write(`${JSON.stringify({ engine: result.info.path, built: result.built, ms: Math.round(result.ms), info: result.info }, null, 2)}\n`);
    return EXIT.ok;
  } catch (error) {
    if (tty) process.stderr.write('\r\x1b[2K');
    fail(`build-engine: ${(error as Error).message}`);
    return (error as { code?: string }).code === 'ERR_INVALID_OPTION' ? EXIT.usage : EXIT.failed;
  }
}
