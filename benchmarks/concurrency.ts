/**
 * Concurrency benchmark (issue 4): many callers each awaiting classify() of one image in a loop
 * (a closed loop, as a server's request handlers are), at concurrency 1..256: images/s, p50/p99
 * latency per call and the event loop's p99 delay under that load, with dynamic batching on and
 * off, and onnxruntime-node (sharp resize + JS normalisation, batch 1 per call) under the same load.
 * Usage: node dist/benchmarks/concurrency.js [--quick] [--device cpu|cuda] [--model name] [--previous <checkout>] [--name <results file name>]
 *   (--previous: that older build, with batching, in the same run — in this process, where an older build's
 *   own OpenMP team slows both builds: for throughput, run the older checkout's own script in turn instead)
 *   (needs `npm test` fixtures, and `npm --prefix benchmarks run setup` for the onnxruntime-node peer)
 */
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { buildInfo, type ImageInput, loadModel, type Model } from '../lib/index';
import { loadOrt, sharpPipeline } from './lib/peers';
import { closedLoop as run, idleEventLoopP99Ms, type Load } from './lib/load';
import { type Row, writeResults } from './lib/report';

const root = path.resolve(__dirname, '..', '..');
const args = process.argv.slice(2);
const option = (name: string, fallback: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback);
const quick = args.includes('--quick');
const device = option('device', 'cpu');
const modelName = option('model', 'mobilenet_v3_small');
const seconds = quick ? 1 : 3;
const previous = option('previous', '');
const name = option('name', `concurrency-${device}`);
const CONCURRENCY = [1, 4, 16, 64, 256];
const fixtures = path.join(root, 'test', '.fixtures');

async function main() {
  const jpeg = await sharp(path.join(fixtures, 'photos', 'chelsea.png')).resize(640, 480, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer();
  const decoded = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  const raw: ImageInput = { data: decoded.data, width: decoded.info.width, height: decoded.info.height, channels: 3 };
  const file = path.join(fixtures, 'models', `${modelName}.torchscript`);
  const rows: Row[] = [];
  const push = (impl: string, concurrency: number, load: Load, what = `${concurrency} concurrent callers, raw frames`) => {
    rows.push({ case: what, impl, model: `${modelName} ${device}`, batch: concurrency, stats: load.latency, imagesPerSecond: load.imagesPerSecond, eventLoopP99Ms: load.eventLoopP99Ms, meanBatch: load.meanBatch });
    console.log(`c=${concurrency} ${impl}: ${load.imagesPerSecond.toFixed(0)} img/s, p50 ${load.latency.medianMs.toFixed(1)} ms, p99 ${load.latency.p99Ms.toFixed(1)} ms, event loop p99 ${load.eventLoopP99Ms.toFixed(2)} ms${load.meanBatch ? `, mean batch ${load.meanBatch.toFixed(1)}` : ''}`);
  };

  // Every implementation at one concurrency before the next concurrency: the machine's drift over
  // the run affects them alike, and the ratios in each row compare like with like.
  const runners: { impl: string; call: () => Promise<unknown>; model?: Model }[] = [];
  for (const [impl, batching] of [['edge-classify, batching', { maxBatchSize: device === 'cpu' ? 32 : 64 }], ['edge-classify, no batching', false]] as const) {
    const model: Model = await loadModel(file, { device: device as 'cpu', batching, precision: device === 'cpu' ? 'fp32' : 'fp16' });
    runners.push({ impl, model, call: () => model.classify(raw) });
  }
  if (previous) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const older = require(path.join(path.resolve(previous), 'dist', 'lib', 'index.js')) as { loadModel: typeof loadModel };
    const model = await older.loadModel(file, { device: device as 'cpu', batching: { maxBatchSize: device === 'cpu' ? 32 : 64 }, precision: device === 'cpu' ? 'fp32' : 'fp16' });
    runners.push({ impl: `previous build (${path.basename(previous)}), batching`, model, call: () => model.classify(raw) });
  }
  let release = async () => {};
  if (device === 'cpu') {
    const ort = loadOrt();
    const threads = os.availableParallelism();
    const session = await ort.InferenceSession.create(path.join(fixtures, 'models', `${modelName}.onnx`), { intraOpNumThreads: threads, interOpNumThreads: 1 });
    const meta = runners[0].model!.info.metadata;
    runners.push({
      impl: 'onnxruntime-node+sharp',
      call: async () => {
        const tensor = new Float32Array(3 * meta.input.width * meta.input.height);
        await sharpPipeline(raw as never, meta, tensor, 0);
        return session.run({ input: new ort.Tensor('float32', tensor, [1, 3, meta.input.height, meta.input.width]) });
      },
    });
    release = () => session.release();
  }
  const floor = await idleEventLoopP99Ms(seconds);
  rows.push({ case: 'no calls (the event-loop measure alone)', impl: 'idle process', batch: 0, stats: { runs: 0, medianMs: 0, p99Ms: 0, minMs: 0 }, eventLoopP99Ms: floor });
  console.log(`idle: event loop p99 ${floor.toFixed(2)} ms (the measure's floor on this machine)`);
  for (const c of CONCURRENCY) {
    for (const { impl, call, model } of runners) {
      const before = model?.stats();
      const load = await run(c, call, seconds);
      const after = model?.stats();
      push(impl, c, before && after ? { ...load, meanBatch: (after.images - before.images) / Math.max(1, after.batches - before.batches) } : load);
    }
  }
  // The reference of the issue's target: one caller classifying whole batches of maxBatchSize raw
  // frames; 64 single-image callers should reach >= 80% of its throughput.
  const maxBatch = device === 'cpu' ? 32 : 64;
  const batched = runners[0].model!;
  const batch = Array<ImageInput>(maxBatch).fill(raw);
  const reference = await run(1, () => batched.classifyBatch(batch), seconds, maxBatch);
  const referenceCase = `1 caller, classifyBatch of ${maxBatch} raw frames`;
  push('edge-classify, one batch per call', maxBatch, reference, referenceCase);
  const sixtyFour = rows.find((r) => r.impl === 'edge-classify, batching' && r.batch === 64)!.imagesPerSecond!;
  const share = sixtyFour / reference.imagesPerSecond;
  console.log(`64 single-image callers: ${(100 * share).toFixed(0)}% of classifyBatch(${maxBatch}) throughput (issue 4's target on the H100: >= 80% of batch 64)`);
  for (const { model } of runners) await model?.dispose();
  await release();

  const ours = (r: Row) => (r.case === referenceCase ? undefined : rows.find((o) => o.impl === 'edge-classify, batching' && o.batch === r.batch));
  const policy = buildInfo().threads;
  writeResults(name, `edge-classify under concurrent load (${modelName}, ${device}; compute threads at nice ${policy.niceness}, the JS thread's slice ${policy.jsSliceUs ? `${policy.jsSliceUs} µs` : 'left alone'})`, rows, { seconds, device, model: modelName, callersOf64VsOneBatch: share, idleEventLoopP99Ms: floor, threads: policy },
    (r) => (r.impl === 'edge-classify, batching' || r.impl === 'idle process' ? undefined : ours(r)));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
