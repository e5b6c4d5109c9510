/**
 * CPU benchmark (issue 2): resnet18 and mobilenet_v3_small at 224x224, batch 1/8/32, side by side in one run:
 *   (a) edge-classify classify() from a decoded frame and from JPEG bytes, on libtorch (the TorchScript) and,
 *       where this build has it, on its onnxruntime backend (the ONNX export: same weights);
 *   (b) PyTorch in Python running the same TorchScript with cv2 preprocessing;
 *   (c) onnxruntime-node on the same model exported to ONNX, with sharp resize + JS normalisation;
 *   (d) preprocessing alone, a 1920x1080 decoded frame to a 224x224 letterbox: edge-classify vs sharp + JS
 *       (and cv2 + numpy in Python).
 * Usage: npm run bench [-- --quick]   (needs `npm test` fixtures and `npm --prefix benchmarks run setup`)
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { buildInfo, loadModel, type ModelMetadata } from '../lib/index';
import { loadOrt, sharpPipeline } from './lib/peers';
import { type Row, stageTimer, time, writeResults } from './lib/report';

const root = path.resolve(__dirname, '..', '..');
const quick = process.argv.includes('--quick');
const minMs = quick ? 300 : 2000;
const threads = os.availableParallelism();
const fixtures = path.join(root, 'test', '.fixtures');
const work = path.join(root, 'benchmarks', '.work');
const MODELS = ['resnet18', 'mobilenet_v3_small'];
const BATCHES = quick ? [1, 8] : [1, 8, 32];
const python = JSON.parse(readFileSync(path.join(fixtures, 'python.json'), 'utf8')).python as string;
const ort = loadOrt();

async function main() {
  mkdirSync(work, { recursive: true });
  // Inputs: a 640x480 JPEG photo for end to end, a 1920x1080 JPEG frame for preprocessing.
  const photo = path.join(fixtures, 'photos', 'chelsea.png');
  const jpegPath = path.join(work, 'photo-640x480.jpg');
  writeFileSync(jpegPath, await sharp(photo).resize(640, 480, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer());
  const bigPath = path.join(work, 'frame-1920x1080.jpg');
  writeFileSync(bigPath, await sharp(photo).resize(1920, 1080, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer());
  const jpeg = readFileSync(jpegPath);
  const frame = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  const raw = { data: frame.data, width: frame.info.width, height: frame.info.height, channels: 3 as const };

  const rows: Row[] = [];
  const push = (row: Omit<Row, 'imagesPerSecond'>) => {
    const r = { ...row, imagesPerSecond: ((row.batch ?? 1) * 1000) / row.stats.medianMs };
    rows.push(r);
    console.log(`${r.case} ${r.model ?? ''} b${r.batch} ${r.impl}: median ${r.stats.medianMs.toFixed(2)} ms`);
  };

  const pyJob: Record<string, unknown> = { models: {}, batches: BATCHES, jpeg: jpegPath, min_ms: minMs, threads, preprocess: { jpeg: bigPath } };
  for (const name of MODELS) {
    const file = path.join(fixtures, 'models', `${name}.torchscript`);
    const model = await loadModel(file, { device: 'cpu', torch: { threads } });
    const m = model.info.metadata;
    (pyJob.models as Record<string, unknown>)[name] = { path: file, width: m.input.width, height: m.input.height, resize: m.resize, mean: m.mean, std: m.std };
    const onnx = path.join(fixtures, 'models', `${name}.onnx`);
    const onOrt = buildInfo().onnxruntimeAvailable ? await loadModel(onnx, { backend: 'onnxruntime' }) : undefined;
    const session = await ort.InferenceSession.create(path.join(fixtures, 'models', `${name}.onnx`), { intraOpNumThreads: threads, interOpNumThreads: 1 });
    for (const n of BATCHES) {
      const { run: timed, stages } = stageTimer(model);
      let stats = await time(() => timed(Array(n).fill(raw)), { minMs });
      push({ case: 'classify raw frame', impl: 'edge-classify', model: name, batch: n, stats, stages: stages.medians() });
      stats = await time(() => timed(Array(n).fill(jpeg)), { minMs });
      push({ case: 'classify JPEG bytes', impl: 'edge-classify', model: name, batch: n, stats, stages: stages.medians() });
      if (onOrt) {
        const o = stageTimer(onOrt);
        stats = await time(() => o.run(Array(n).fill(raw)), { minMs });
        push({ case: 'classify raw frame', impl: 'edge-classify (onnxruntime)', model: name, batch: n, stats, stages: o.stages.medians() });
        stats = await time(() => o.run(Array(n).fill(jpeg)), { minMs });
        push({ case: 'classify JPEG bytes', impl: 'edge-classify (onnxruntime)', model: name, batch: n, stats, stages: o.stages.medians() });
      }
      const tensor = new Float32Array(n * 3 * m.input.width * m.input.height);
      for (const [label, input] of [['classify raw frame', raw], ['classify JPEG bytes', jpeg]] as const) {
        push({
          case: label, impl: 'onnxruntime-node+sharp', model: name, batch: n,
          stats: await time(async () => {
            await Promise.all(Array.from({ length: n }, (_, i) => sharpPipeline(input as never, m, tensor, i * tensor.length / n)));
            const out = await session.run({ input: new ort.Tensor('float32', tensor, [n, 3, m.input.height, m.input.width]) });
            return out.logits;
          }, { minMs }),
        });
      }
    }
    await model.dispose();
    await onOrt?.dispose();
    await session.release();
  }

  // (d) preprocessing alone
  const big = await sharp(readFileSync(bigPath)).raw().toBuffer({ resolveWithObject: true });
  const bigRaw = { data: big.data, width: big.info.width, height: big.info.height, channels: 3 as const };
  const pre = await loadModel(path.join(fixtures, 'models', 'resnet18.torchscript'), { device: 'cpu', metadata: { resize: 'letterbox', pad: 'grey' } });
  const pm = pre.info.metadata;
  push({ case: 'preprocess 1920x1080 -> 224 letterbox', impl: 'edge-classify', batch: 1, stats: await time(() => pre.preprocess([bigRaw]), { minMs }) });
  const out = new Float32Array(3 * 224 * 224);
  push({ case: 'preprocess 1920x1080 -> 224 letterbox', impl: 'sharp+JS', batch: 1, stats: await time(() => sharpPipeline(bigRaw as never, pm, out, 0), { minMs }) });
  await pre.dispose();

  // (b) the Python peer, same machine, same run
  console.log('running the PyTorch (Python) peer...');
  const py = JSON.parse(execFileSync(python, [path.join(root, 'benchmarks', 'python', 'peer_cpu.py')], { input: JSON.stringify(pyJob), encoding: 'utf8', maxBuffer: 64 << 20 }));
  for (const r of py.rows as Row[]) push(r);

  const order = (r: Row) => `${r.case}|${r.model ?? ''}|${String(r.batch).padStart(3, '0')}`;
  rows.sort((a, b) => order(a).localeCompare(order(b)));
  const ours = (r: Row) => rows.find((o) => o.impl === 'edge-classify' && o.case === r.case && o.model === r.model && o.batch === r.batch);
  writeResults(
    'cpu',
    `edge-classify on CPU (${os.cpus()[0]?.model}, ${os.cpus().length} cores)`,
    rows,
    { torchPython: py.torch, cv2: py.cv2, onnxruntime: ort.env.versions?.node, edgeOnnxruntime: buildInfo().onnxruntimeVersion, sharp: sharp.versions.sharp, threads },
    (r) => (r.impl === 'edge-classify' ? undefined : ours(r)),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
