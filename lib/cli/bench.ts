/**
 * edge-classify bench: the standard benchmark of one model on this machine — classify() from raw
 * frames and from JPEG bytes at batch 1, 8 and 32, beside a sharp + JS preprocessing pipeline feeding
 * the same model (model.infer), measured in the same run. Prints the table, writes JSON, Markdown
 * and an SVG chart.
 */
import path from 'node:path';
import sharp from 'sharp';
import { EXIT, fail, parse } from './args';
import { defaultModelPath, loadModel } from '../index';
import { sharpTensor } from '../../benchmarks/lib/peer-pipeline';
import { type Row, stageTimer, time, writeResults } from '../../benchmarks/lib/report';
import type { Device } from '../types';

const USAGE = `Usage: edge-classify bench [options]

Options:
  -m, --model <path>     model to benchmark (default: the bundled digits model)
  -d, --device <device>  auto | cpu | cuda | cuda:N (default auto)
  -i, --image <file>     the photo to use (default: a bundled sample scaled to 640x480)
  -o, --out <dir>        where to write bench.json, bench.md, bench.svg (default ./edge-classify-bench)
      --quick            shorter runs
  -h, --help             show this help
Exit codes: 0 success, 1 the model failed, 2 bad usage.`;

export async function benchCommand(argv: string[]): Promise<number> {
  const parsed = parse(argv, {
    model: { type: 'string', short: 'm' },
    device: { type: 'string', short: 'd' },
    image: { type: 'string', short: 'i' },
    out: { type: 'string', short: 'o' },
    quick: { type: 'boolean' },
  }, USAGE, 'bench');
  if (!parsed) return EXIT.usage;
  if (parsed.help) return EXIT.ok;
  const v = parsed.values;
  const minMs = v.quick ? 300 : 1500;
  let model;
  try {
    model = await loadModel(v.model ?? defaultModelPath, { device: (v.device ?? 'auto') as Device });
  } catch (error) {
    fail(`bench: ${(error as Error).message}`);
    return EXIT.failed;
  }
  const source = v.image ?? path.join(path.dirname(defaultModelPath), '..', 'samples', 'digit-0-1.png');
  const jpeg = await sharp(source).resize(640, 480, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer();
  const decoded = await sharp(jpeg).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const raw = { data: decoded.data, width: decoded.info.width, height: decoded.info.height, channels: 3 as const };
  const m = model.info.metadata;
  const name = path.basename(model.info.path);
  const rows: Row[] = [];
  const push = (row: Row) => {
    rows.push({ ...row, imagesPerSecond: ((row.batch ?? 1) * 1000) / row.stats.medianMs });
    process.stderr.write(`${row.case} b${row.batch} ${row.impl}: ${row.stats.medianMs.toFixed(2)} ms\n`);
  };
  for (const n of [1, 8, 32]) {
    const { run, stages } = stageTimer(model);
    push({ case: 'classify raw frames', impl: 'edge-classify', model: name, batch: n, stats: await time(() => run(Array(n).fill(raw)), { minMs }), stages: stages.medians() });
    push({ case: 'classify JPEG bytes', impl: 'edge-classify', model: name, batch: n, stats: await time(() => run(Array(n).fill(jpeg)), { minMs }), stages: stages.medians() });
    const tensor = new Float32Array(n * 3 * m.input.width * m.input.height);
    push({
      case: 'classify JPEG bytes', impl: 'sharp + JS preprocessing, same model', model: name, batch: n,
      stats: await time(async () => {
        await Promise.all(Array.from({ length: n }, (_, i) => sharpTensor(jpeg, m, tensor, (i * tensor.length) / n)));
        return model.infer(tensor, n);
      }, { minMs }),
    });
  }
  await model.dispose();
  const ours = (r: Row) => rows.find((o) => o.impl === 'edge-classify' && o.case === r.case && o.batch === r.batch);
  writeResults('bench', `edge-classify bench: ${name} on ${model.info.device}`, rows, { model: model.info.path, device: model.info.device },
    (r) => (r.impl === 'edge-classify' ? undefined : ours(r)), path.resolve(v.out ?? 'edge-classify-bench'));
  return EXIT.ok;
}
