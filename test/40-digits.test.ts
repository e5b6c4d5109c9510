// The bundled default model through the whole path: held-out digits from
// scikit-learn, rendered, encoded as PNG and JPEG, classified. Accuracy >= 95%.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultModelPath, loadModel, type Model, type SingleLabelResult } from '../lib/index.mjs';
import { python, root } from './helpers';

let model: Model<'single-label'>;
let heldOut: { images: number[][]; labels: number[] };

beforeAll(async () => {
  model = await loadModel(defaultModelPath, { task: 'single-label' });
  heldOut = JSON.parse(execFileSync(python(), [path.join(root, 'scripts', 'models', 'dump_digits.py')], { encoding: 'utf8', maxBuffer: 64 << 20 }));
});
afterAll(() => model.dispose());

describe('bundled digits model', () => {
  for (const format of ['png', 'jpeg'] as const) {
    it(`classifies held-out digits encoded as ${format} with >= 95% accuracy`, async () => {
      let correct = 0;
      const batchSize = 32;
      for (let start = 0; start < heldOut.images.length; start += batchSize) {
        const slice = heldOut.images.slice(start, start + batchSize);
        // 8x8 digit -> 64x64 image (bilinear upscale) -> encoded bytes
        const encoded = await Promise.all(
          slice.map((px) =>
            sharp(Buffer.from(px), { raw: { width: 8, height: 8, channels: 1 } }).resize(64, 64, { kernel: 'linear' })[format]().toBuffer(),
          ),
        );
        const results = await model.classifyBatch(encoded);
        results.forEach((r, i) => {
          if (Number(r.top) === heldOut.labels[start + i]) correct++;
        });
      }
      const accuracy = correct / heldOut.images.length;
      console.log(`digits ${format}: ${correct}/${heldOut.images.length} = ${(accuracy * 100).toFixed(2)}%`);
      expect(heldOut.images.length).toBeGreaterThan(300);
      expect(accuracy).toBeGreaterThanOrEqual(0.95);
    });
  }
});
