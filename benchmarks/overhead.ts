/**
 * Pipeline overhead (issue 18): what the whole call adds to the model. classifyBatch() of 64 raw
 * frames (preprocessing, inference, results, objects) against model.infer() on the very tensors
 * those frames preprocess to (the model only, activation included), one model, one run, both on the
 * same native scheduler; with `--previous <checkout>` an older build's classifyBatch() too. Frames of
 * 224×224 (no resize) and 640×480 (a camera frame: resize included); results with every class and
 * with topK 5. The ratio column is images/s of the row over images/s of model.infer().
 * Usage: npm run bench:overhead [-- --quick] [--model mobilenet_v3_small] [--previous <checkout>]
 *   (needs the test fixtures: npm test)
 */
import path from 'node:path';
import { loadModel, type ImageInput, type Model } from '../lib/index';
import { performance } from 'node:perf_hooks';
import { type Row, stats, writeResults } from './lib/report';

const root = path.resolve(__dirname, '..', '..');
const args = process.argv.slice(2);
const option = (name: string, fallback: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback);
const quick = args.includes('--quick');
const modelName = option('model', 'mobilenet_v3_small');
const previous = option('previous', '');
const BATCH = 64;
const minMs = quick ? 1000 : 6000;

function frame(width: number, height: number): ImageInput {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 25; // a fixed, busy pattern
  return { data, width, height, channels: 3 };
}

async function main() {
  const file = path.join(root, 'test', '.fixtures', 'models', `${modelName}.torchscript`);
  const batching = { maxBatchSize: BATCH };
  const model: Model = await loadModel(file, { device: 'cpu', batching });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const older = previous ? await (require(path.join(path.resolve(previous), 'dist', 'lib', 'index.js')) as { loadModel: typeof loadModel }).loadModel(file, { device: 'cpu', batching }) : undefined;
  const rows: Row[] = [];
  const push = (kase: string, impl: string, stats: Row['stats']) => {
    const row: Row = { case: kase, impl, model: `${modelName} cpu`, batch: BATCH, stats, imagesPerSecond: (BATCH * 1000) / stats.medianMs };
    rows.push(row);
    console.log(`${kase} | ${impl}: median ${stats.medianMs.toFixed(1)} ms, p99 ${stats.p99Ms.toFixed(1)} ms, ${row.imagesPerSecond!.toFixed(0)} img/s`);
  };
  let sink = 0;
  for (const [width, height] of [[224, 224], [640, 480]]) {
    const frames = Array<ImageInput>(BATCH).fill(frame(width, height));
    const kase = `batch of ${BATCH} raw ${width}x${height} frames`;
    const { tensor } = await model.preprocess(frames);
    await model.warmup([BATCH]);
    // interleaved call by call, so that the machine's drift affects them alike
    const runs: [string, () => Promise<unknown>][] = [
      ['model.infer() on the preprocessed tensor (model only)', () => model.infer(tensor, BATCH)],
      ['classifyBatch(), every class, predictions read', async () => (await model.classifyBatch(frames)).forEach((r) => (sink += (r.predictions as unknown[]).length))],
      ['classifyBatch(), topK 5', () => model.classifyBatch(frames, { topK: 5 })],
      ...(older ? [[`previous build (${path.basename(previous)}) classifyBatch(), every class`, async () => (await older.classifyBatch(frames)).forEach((r) => (sink += (r.predictions as unknown[]).length))] as [string, () => Promise<unknown>]] : []),
    ];
    for (const [, fn] of runs) await fn(); // warm-up
    const samples = runs.map(() => [] as number[]);
    const until = performance.now() + minMs * runs.length;
    while (performance.now() < until || samples[0].length < 10) {
      for (let k = 0; k < runs.length; k++) {
        const t = performance.now();
        await runs[k][1]();
        samples[k].push(performance.now() - t);
      }
    }
    runs.forEach(([impl], k) => push(kase, impl, stats(samples[k])));
  }
  await model.dispose();
  await older?.dispose();
  const modelOnly = (r: Row) => (r.impl.startsWith('model.infer') ? undefined : rows.find((o) => o.case === r.case && o.impl.startsWith('model.infer')));
  for (const r of rows) {
    const peer = modelOnly(r);
    if (peer) console.log(`${r.case}, ${r.impl}: ${((100 * r.imagesPerSecond!) / peer.imagesPerSecond!).toFixed(0)}% of the model alone`);
  }
  writeResults(`overhead-cpu`, `The whole call vs the model alone (${modelName}, batch ${BATCH}, CPU)`, rows, { batch: BATCH, sink: sink > 0 }, modelOnly, undefined, 'time ÷ model only');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
