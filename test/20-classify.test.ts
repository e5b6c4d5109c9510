// Layer 2: classify() end to end: every input kind, the result schema of
// single- and multi-label models, batches.
import { readFileSync, writeFileSync } from 'node:fs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type Model, type MultiLabelResult, type SingleLabelResult } from '../lib/index.mjs';
import { digitsModel, fixtureModel, photos, scratchFile } from './helpers';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
let digits: Model<'single-label'>;
let multi: Model<'multi-label'>;
let photo: Buffer;

beforeAll(async () => {
  digits = await loadModel(digitsModel, { task: 'single-label' });
  multi = await loadModel(fixtureModel('multilabel.torchscript'), { task: 'multi-label' });
  photo = readFileSync(photos()[0].path);
});
afterAll(async () => {
  await digits.dispose();
  await multi.dispose();
});

function expectSingleLabel(r: SingleLabelResult, classes: number) {
  expect(Object.keys(r).sort()).toEqual(
    ['confidence', 'image', 'inference_id', 'prediction_type', 'predictions', 'time', 'top', ...('image_path' in r ? ['image_path'] : [])].sort(),
  );
  expect(r.inference_id).toMatch(UUID_V4);
  expect(r.time).toBeGreaterThan(0);
  expect(r.time).toBeLessThan(60);
  expect(r.prediction_type).toBe('ClassificationModel');
  expect(r.predictions).toHaveLength(classes);
  for (let i = 1; i < r.predictions.length; i++) expect(r.predictions[i - 1].confidence).toBeGreaterThanOrEqual(r.predictions[i].confidence);
  for (const p of r.predictions) {
    expect(Object.keys(p)).toEqual(['class', 'class_id', 'confidence']);
    expect(Number(p.confidence.toFixed(4))).toBe(p.confidence);
  }
  expect(r.top).toBe(r.predictions[0].class);
  expect(r.confidence).toBe(r.predictions[0].confidence);
  const sum = r.predictions.reduce((s, p) => s + p.confidence, 0);
  expect(Math.abs(sum - 1)).toBeLessThan(classes * 5e-5 + 1e-9);
}

describe('single-label schema and inputs', () => {
  it('Buffer of an encoded image', async () => {
    const r = await digits.classify(photo);
    expectSingleLabel(r, 10);
    const meta = await sharp(photo).metadata();
    expect(r.image).toEqual({ width: meta.width, height: meta.height });
    expect('image_path' in r).toBe(false);
  });
  it('file path -> image_path', async () => {
    const file = photos()[0].path;
    const r = await digits.classify(file);
    expectSingleLabel(r, 10);
    expect(r.image_path).toBe(file);
  });
  it('base64 with and without a data: prefix, and Uint8Array, give the same result as the Buffer', async () => {
    const ref = await digits.classify(photo, { fullPrecision: true });
    for (const input of [photo.toString('base64'), `data:image/png;base64,${photo.toString('base64')}`, new Uint8Array(photo)]) {
      const r = await digits.classify(input, { fullPrecision: true });
      expect(r.predictions).toEqual(ref.predictions);
    }
  });
  it('raw pixels in every format give the same result as the decoded image', async () => {
    const { data, info } = await sharp(photo).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const ref = await digits.classify({ data, width: info.width, height: info.height, channels: 3 }, { fullPrecision: true });
    const n = info.width * info.height;
    const bgr = Buffer.alloc(n * 3);
    const rgba = Buffer.alloc(n * 4);
    const bgra = Buffer.alloc(n * 4);
    for (let i = 0; i < n; i++) {
      const [r, g, b] = [data[3 * i], data[3 * i + 1], data[3 * i + 2]];
      bgr.set([b, g, r], 3 * i);
      rgba.set([r, g, b, 255 - (i % 256)], 4 * i);
      bgra.set([b, g, r, i % 256], 4 * i);
    }
    for (const [buf, channels, format] of [[bgr, 3, 'bgr'], [rgba, 4, 'rgba'], [bgra, 4, 'bgra']] as const) {
      const r = await digits.classify({ data: buf, width: info.width, height: info.height, channels, format }, { fullPrecision: true });
      expect(r.predictions).toEqual(ref.predictions);
    }
  });
  it('EXIF orientation is applied (image size as seen upright)', async () => {
    const upright = await sharp({ create: { width: 40, height: 20, channels: 3, background: '#808080' } }).jpeg().toBuffer();
    const rotated = await sharp(upright).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    const r = await digits.classify(rotated);
    expect(r.image).toEqual({ width: 20, height: 40 });
  });
  it.each(['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif'] as const)('decodes %s', async (format) => {
    const bytes = await sharp(photo).resize(64, 48).toFormat(format).toBuffer();
    const r = await digits.classify(bytes);
    expect(r.image).toEqual({ width: 64, height: 48 });
  });
  it('the confidence option filters single-label classes', async () => {
    const all = await digits.classify(photo, { fullPrecision: true });
    const cut = all.predictions[2].confidence;
    const some = await digits.classify(photo, { confidence: cut });
    expect(some.predictions.length).toBeGreaterThanOrEqual(3);
    expect(some.predictions.every((p) => p.confidence >= Number(cut.toFixed(4)) - 1e-4)).toBe(true);
  });
});

describe('multi-label schema', () => {
  it('every class in class order, unrounded, predicted_classes strictly above the threshold in class order', async () => {
    const r = await multi.classify(photo);
    const names = multi.info.metadata.class_names;
    expect(Object.keys(r).sort()).toEqual(['image', 'inference_id', 'predicted_classes', 'prediction_type', 'predictions', 'time'].sort());
    expect(Object.keys(r.predictions)).toEqual(names);
    names.forEach((name, i) => {
      expect(r.predictions[name].class_id).toBe(i);
      expect(r.predictions[name].confidence).toBeGreaterThan(0);
      expect(r.predictions[name].confidence).toBeLessThan(1);
    });
    expect(r.predicted_classes).toEqual(names.filter((n) => r.predictions[n].confidence > 0.5));
    for (const threshold of [0, 0.3, 0.7, 1]) {
      const t = await multi.classify(photo, { confidence: threshold });
      expect(t.predicted_classes).toEqual(names.filter((n) => t.predictions[n].confidence > threshold));
    }
  });
});

describe('batches', () => {
  it('classifyBatch equals one-by-one classify, in input order, each with its own inference_id', async () => {
    const files = photos().slice(0, 5).map((p) => p.path);
    const batch = await digits.classifyBatch(files, { fullPrecision: true });
    expect(batch).toHaveLength(files.length);
    expect(new Set(batch.map((r) => r.inference_id)).size).toBe(files.length);
    for (let i = 0; i < files.length; i++) {
      const one = await digits.classify(files[i], { fullPrecision: true });
      expect(batch[i].image_path).toBe(files[i]);
      batch[i].predictions.forEach((p, k) => {
        expect(p.class).toBe(one.predictions[k].class);
        expect(p.confidence).toBeCloseTo(one.predictions[k].confidence, 5);
      });
    }
  });
  it('the CLI classifies sample images with the bundled model', async () => {
    const { execFileSync } = await import('node:child_process');
    const file = scratchFile('.png');
    writeFileSync(file, photo);
    const out = JSON.parse(execFileSync(process.execPath, ['bin/edge-classify.js', file], { encoding: 'utf8' }));
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ image_path: file, prediction_type: 'ClassificationModel' });
    expect(out[0].predictions).toHaveLength(10);
  });
});
