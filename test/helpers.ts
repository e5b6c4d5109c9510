// Shared test helpers: fixture paths and the independent Python reference
// (test/reference/reference.py: OpenCV + numpy + PyTorch), run as a subprocess.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import type { Model, SingleLabelResult } from '../lib/index.mjs';

export const root = path.resolve(__dirname, '..');
export const fixtures = path.join(root, 'test', '.fixtures');
export const modelsDir = path.join(fixtures, 'models');
export const photosDir = path.join(fixtures, 'photos');
export const fixtureModel = (name: string) => path.join(modelsDir, name);
export const digitsModel = path.join(root, 'models', 'digits.torchscript');

export function python(): string {
  return JSON.parse(readFileSync(path.join(fixtures, 'python.json'), 'utf8')).python;
}

export interface Photo {
  file: string;
  path: string;
  width: number;
  height: number;
  channels: number;
}

/** The photos listed by the fixture manifest (real photographs and derived variants). */
export function photos(): Photo[] {
  const manifest = JSON.parse(readFileSync(path.join(photosDir, 'manifest.json'), 'utf8'));
  const entries: Record<string, unknown>[] = Array.isArray(manifest) ? manifest : manifest.photos ?? manifest.files ?? Object.entries(manifest).map(([file, v]) => ({ file, ...(v as object) }));
  return entries.map((e) => {
    const file = String(e.file ?? e.name ?? e.path);
    return { file, path: path.join(photosDir, path.basename(file)), width: Number(e.width), height: Number(e.height), channels: Number(e.channels) };
  });
}

export const scratch = mkdtempSync(path.join(os.tmpdir(), 'edge-classify-test-'));
let counter = 0;
export const scratchFile = (ext: string) => path.join(scratch, `f${counter++}${ext}`);

/** Runs reference jobs in one Python process; throws if any job failed. */
export function reference<T = Record<string, unknown>>(jobs: Record<string, unknown>[]): T[] {
  const out = execFileSync(python(), [path.join(root, 'test', 'reference', 'reference.py')], {
    input: JSON.stringify(jobs),
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  const results = JSON.parse(out) as (T & { ok: boolean; error?: string })[];
  results.forEach((r, i) => {
    if (!r.ok) throw new Error(`reference job ${i} failed: ${r.error}`);
  });
  return results;
}

export function writeTensor(tensor: Float32Array): string {
  const file = scratchFile('.f32');
  writeFileSync(file, Buffer.from(tensor.buffer, tensor.byteOffset, tensor.byteLength));
  return file;
}

export function readTensor(file: string): Float32Array {
  const buf = readFileSync(file);
  return new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export const argmax = (a: ArrayLike<number>) => {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
};

/** mulberry32: a small seeded random source in [0, 1), so that a test sees the same sequence every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * End to end against the Python pipeline (OpenCV preprocessing, then `file` run by PyTorch or, for an
 * .onnx file, by onnxruntime): the same top class and confidences within `tolerance`, on every photo.
 */
export async function expectLikePython(model: Model, file: string, tolerance = 2e-3): Promise<void> {
  const m = model.info.metadata;
  const perPlane = (v: number[]) => (m.channel_order === 'bgr' ? [...v].reverse() : v);
  const all = photos();
  const theirs = reference<{ scores: number[]; top: number }>(
    all.map((p) => ({
      op: 'classify', model: file, image: p.path, width: m.input.width, height: m.input.height,
      resize: m.resize, pad: m.pad, mean: perPlane(m.mean), std: perPlane(m.std), channel_order: m.channel_order, activation: 'softmax',
    })),
  );
  for (let i = 0; i < all.length; i++) {
    const r = (await model.classify(all[i].path, { fullPrecision: true })) as SingleLabelResult;
    const ours = new Float64Array(m.class_names.length);
    for (const p of r.predictions) ours[p.class_id] = p.confidence;
    expect(argmax(ours), all[i].file).toBe(theirs[i].top);
    expect(maxAbsDiff(ours, theirs[i].scores), all[i].file).toBeLessThan(tolerance);
  }
}
