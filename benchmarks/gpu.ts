/**
 * GPU benchmark (issue 3): resnet18, resnet50, mobilenet_v3_small, efficientnet_b0 (seeded random
 * weights), fp32 and fp16, batch 1/8/64/256: edge-classify classify() from raw frames and from JPEG
 * bytes, side by side in the same run with PyTorch in Python on the same GPU (model-only eager and
 * CUDA graph, and a typical cv2 + torchvision pipeline).
 * Usage: node dist/benchmarks/gpu.js [--quick]   (fixtures from make_fixtures.py --all)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { buildInfo, loadModel } from '../lib/index';
import { type Row, stageTimer, time, timeInFlight, writeResults } from './lib/report';

const root = path.resolve(__dirname, '..', '..');
const quick = process.argv.includes('--quick');
const minMs = quick ? 300 : 1000;
const fixtures = path.join(root, 'test', '.fixtures');
const work = path.join(root, 'benchmarks', '.work');
const MODELS = ['resnet18', 'resnet50', 'mobilenet_v3_small', 'efficientnet_b0'];
const PRECISIONS = ['fp32', 'fp16'] as const;
const BATCHES = [1, 8, 64, 256];
const python = JSON.parse(readFileSync(path.join(fixtures, 'python.json'), 'utf8')).python as string;

async function main() {
  const info = buildInfo();
  if (!info.cuda || !info.cudaAvailable) throw new Error(`no CUDA here: ${JSON.stringify(info)}`);
  mkdirSync(work, { recursive: true });
  // A ~0.25-megapixel photo (640x400), as a JPEG and as a decoded RGB frame.
  const jpegPath = path.join(work, 'photo-640x400.jpg');
  writeFileSync(jpegPath, await sharp(path.join(fixtures, 'photos', 'chelsea.png')).resize(640, 400, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer());
  const jpeg = readFileSync(jpegPath);
  const decoded = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  const raw = { data: decoded.data, width: decoded.info.width, height: decoded.info.height, channels: 3 as const };

  const rows: Row[] = [];
  const push = (row: Row) => {
    const r = { ...row, imagesPerSecond: ((row.batch ?? 1) * 1000) / row.stats.medianMs };
    rows.push(r);
    const st = r.stages ? ` (stages ms: ${Object.entries(r.stages).map(([k, v]) => `${k.replace('Ms', '')} ${v.toFixed(2)}`).join(', ')})` : '';
    console.log(`${r.case} ${r.model} ${r.precision} b${r.batch} ${r.impl}: median ${r.stats.medianMs.toFixed(3)} ms, ${r.imagesPerSecond.toFixed(0)} img/s${st}`);
  };
  for (const name of MODELS) {
    for (const precision of PRECISIONS) {
      const model = await loadModel(path.join(fixtures, 'models', `${name}.torchscript`), {
        device: 'cuda',
        precision,
        metadata: { input: { width: 224, height: 224 }, resize: 'stretch' },
      });
      for (const n of BATCHES) {
        const { run: timed, stages } = stageTimer(model);
        const frames = Array(n).fill(raw);
        let stats = await time(() => timed(frames), { minMs, minRuns: 10 });
        push({ case: 'classify raw frames', impl: 'edge-classify', model: name, precision, batch: n, stats, stages: stages.medians() });
        const jpegs = Array(n).fill(jpeg);
        stats = await time(() => timed(jpegs), { minMs, minRuns: 5 });
        push({ case: 'classify JPEG bytes', impl: 'edge-classify', model: name, precision, batch: n, stats, stages: stages.medians() });
        if (n === 64) {
          // Two batches in flight, as under a server's load: JS builds one batch's results while the GPU runs the next.
          stats = await timeInFlight(() => timed(frames), 2, { minMs, minRuns: 10 });
          push({ case: 'classify raw frames, 2 in flight', impl: 'edge-classify', model: name, precision, batch: n, stats, stages: stages.medians() });
          stats = await timeInFlight(() => timed(jpegs), 2, { minMs, minRuns: 10 });
          push({ case: 'classify JPEG bytes, 2 in flight', impl: 'edge-classify', model: name, precision, batch: n, stats, stages: stages.medians() });
        }
      }
      await model.dispose();
    }
    // fp16 with channels-last memory (cuDNN NHWC kernels), from raw frames and JPEG bytes
    const nhwc = await loadModel(path.join(fixtures, 'models', `${name}.torchscript`), {
      device: 'cuda',
      precision: 'fp16',
      cuda: { channelsLast: true },
      metadata: { input: { width: 224, height: 224 }, resize: 'stretch' },
    });
    const { run: timed, stages } = stageTimer(nhwc);
    for (const n of [1, 64]) {
      let stats = await time(() => timed(Array(n).fill(raw)), { minMs, minRuns: 10 });
      push({ case: 'classify raw frames, channels-last', impl: 'edge-classify', model: name, precision: 'fp16', batch: n, stats, stages: stages.medians() });
      stats = await time(() => timed(Array(n).fill(jpeg)), { minMs, minRuns: 10 });
      push({ case: 'classify JPEG bytes, channels-last', impl: 'edge-classify', model: name, precision: 'fp16', batch: n, stats, stages: stages.medians() });
    }
    const stats = await timeInFlight(() => timed(Array(64).fill(raw)), 2, { minMs, minRuns: 10 });
    push({ case: 'classify raw frames, channels-last, 2 in flight', impl: 'edge-classify', model: name, precision: 'fp16', batch: 64, stats, stages: stages.medians() });
    await nhwc.dispose();
  }
  // TensorRT, where it is built and installed: the same cases on the ONNX export of each model
  if (info.tensorrt && info.tensorrtAvailable) {
    for (const name of MODELS.filter((m) => existsSync(path.join(fixtures, 'models', `${m}.onnx`)))) {
      for (const precision of PRECISIONS) {
        const trt = await loadModel(path.join(fixtures, 'models', `${name}.onnx`), { backend: 'tensorrt', precision, batching: { maxBatchSize: 256 }, metadata: { resize: 'stretch' } });
        const { run: timed, stages } = stageTimer(trt);
        for (const n of BATCHES) {
          let stats = await time(() => timed(Array(n).fill(raw)), { minMs, minRuns: 10 });
          push({ case: 'classify raw frames', impl: 'edge-classify TensorRT', model: name, precision, batch: n, stats, stages: stages.medians() });
          stats = await time(() => timed(Array(n).fill(jpeg)), { minMs, minRuns: 5 });
          push({ case: 'classify JPEG bytes', impl: 'edge-classify TensorRT', model: name, precision, batch: n, stats, stages: stages.medians() });
        }
        await trt.dispose();
      }
    }
  } else {
    console.log(`TensorRT rows skipped: ${info.tensorrt ? info.tensorrtError : 'built without the TensorRT backend'}`);
  }
  console.log('running the PyTorch (Python) peers...');
  const job = {
    models: Object.fromEntries(MODELS.map((m) => [m, path.join(fixtures, 'models', `${m}.torchscript`)])),
    precisions: PRECISIONS,
    batches: BATCHES,
    pipeline_batches: [1, 8, 64],
    jpeg: jpegPath,
    min_ms: minMs,
  };
  const py = JSON.parse(execFileSync(python, [path.join(root, 'benchmarks', 'python', 'peer_gpu.py')], { input: JSON.stringify(job), encoding: 'utf8', maxBuffer: 64 << 20 }));
  for (const r of py.rows as Row[]) push(r);

  const key = (r: Row) => `${r.model}|${r.precision}|${String(r.batch).padStart(3, '0')}|${r.case}`;
  rows.sort((a, b) => key(a).localeCompare(key(b)));
  const ours = (r: Row, c: string) => rows.find((o) => o.impl === 'edge-classify' && o.case === c && o.model === r.model && o.precision === r.precision && o.batch === r.batch);
  writeResults('gpu', `edge-classify on ${py.device}`, rows, { torchPython: py.torch, buildInfo: info },
    (r) => (r.impl === 'edge-classify' ? undefined : ours(r, r.case === 'classify JPEG bytes' ? 'classify JPEG bytes' : 'classify raw frames')));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
