// Layer 3: parity with an independent reference (test/reference/reference.py:
// OpenCV resize + numpy normalisation + the same TorchScript in PyTorch) on
// real photographs. Tolerances (stated in the README):
//   preprocessed tensor: within one uint8 level (1/255 before normalisation), element by element;
//   identical input tensor: full-precision confidences within 1e-5 of PyTorch's;
//   end to end: same top class, confidences within 2e-3.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type Model, type ModelMetadata } from '../lib/index.mjs';
import { expectLikePython, fixtureModel, maxAbsDiff, photos, readTensor, reference, scratchFile, writeTensor } from './helpers';

const MODES: [ModelMetadata['resize'], ModelMetadata['pad']][] = [
  ['stretch', 'black'],
  ['letterbox', 'black'],
  ['letterbox', 'white'],
  ['letterbox', 'grey'],
  ['center-crop', 'black'],
];
const SIZES: [number, number][] = [[224, 224], [97, 61], [33, 129]];
const ORDERS = ['rgb', 'bgr'] as const;
const MEAN: [number, number, number] = [0.485, 0.456, 0.406];
const STD: [number, number, number] = [0.229, 0.224, 0.225];

let models: Model[] = [];
afterAll(async () => {
  await Promise.all(models.map((m) => m.dispose()));
});

async function open(file: string, metadata: Partial<ModelMetadata>): Promise<Model> {
  const m = await loadModel(fixtureModel(file), { device: 'cpu', metadata });
  models.push(m);
  return m;
}

/** Largest difference in uint8 levels: |a-b| * std * 255 per plane. */
function levelDiff(a: Float32Array, b: Float32Array, planes: number, std: number[]): number {
  const plane = a.length / planes;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) * std[Math.floor(i / plane) % 3] * 255);
  return worst;
}

describe('preprocessing matches OpenCV within one uint8 level', () => {
  for (const [resize, pad] of MODES) {
    for (const order of ORDERS) {
      it(`${resize} (${pad}), ${order}, sizes ${SIZES.map((s) => s.join('x')).join(', ')}, every photo`, async () => {
        const all = photos();
        const jobs: Record<string, unknown>[] = [];
        const ours: Float32Array[] = [];
        for (const [width, height] of SIZES) {
          // sidecar.torchscript accepts any input size (global pooling)
          const model = await open('sidecar.torchscript', { input: { width, height }, resize, pad, channel_order: order, mean: MEAN, std: STD });
          const batch = await model.preprocess(all.map((p) => p.path));
          const per = 3 * width * height;
          all.forEach((p, i) => {
            ours.push(batch.tensor.subarray(i * per, (i + 1) * per));
            const perPlane = order === 'bgr' ? [...MEAN].reverse() : MEAN;
            const perStd = order === 'bgr' ? [...STD].reverse() : STD;
            jobs.push({ op: 'preprocess', image: p.path, width, height, resize, pad, mean: perPlane, std: perStd, channel_order: order, out: scratchFile('.f32') });
          });
          await model.dispose();
        }
        const results = reference(jobs);
        expect(results).toHaveLength(ours.length);
        jobs.forEach((job, i) => {
          const theirs = readTensor(job.out as string);
          const std = order === 'bgr' ? [...STD].reverse() : STD;
          const diff = levelDiff(ours[i], theirs, 3, std);
          expect(diff, `${job.image} -> ${job.width}x${job.height}`).toBeLessThanOrEqual(1.0001);
        });
      });
    }
  }
});

describe('inference matches PyTorch', () => {
  for (const file of ['resnet18.torchscript', 'mobilenet_v3_small.torchscript', 'multilabel.torchscript']) {
    it(`${file}: identical input tensor -> confidences within 1e-5`, async () => {
      const model = await open(file, {});
      const batch = await model.preprocess(photos().slice(0, 4).map((p) => p.path));
      const ours = await model.infer(batch.tensor, 4);
      const activation = model.info.metadata.task === 'multi-label' ? 'sigmoid' : 'softmax';
      const [theirs] = reference<{ scores: number[][] }>([
        { op: 'infer', model: fixtureModel(file), tensor: writeTensor(batch.tensor), n: 4, activation },
      ]);
      for (let i = 0; i < 4; i++) expect(maxAbsDiff(ours[i], theirs.scores[i])).toBeLessThan(1e-5);
    });
  }
});

describe('end to end matches the Python pipeline', () => {
  for (const file of ['resnet18.torchscript', 'mobilenet_v3_small.torchscript', 'bgr.torchscript']) {
    it(`${file}: same top class, confidences within 2e-3, on every photo`, async () => {
      await expectLikePython(await open(file, {}), fixtureModel(file));
    });
  }
});
