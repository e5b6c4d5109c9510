/**
 * The Node peers of the benchmarks: onnxruntime-node (installed apart, in benchmarks/node_modules,
 * by `npm --prefix benchmarks run setup`) and the sharp + JS preprocessing a Node user writes
 * without edge-classify.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import sharp from 'sharp';
import type { ModelMetadata } from '../../lib/index';

const root = path.resolve(__dirname, '..', '..', '..');

/** The part of onnxruntime-node's API used here, typed locally so that the library builds without the peer installed. */
export interface Ort {
  InferenceSession: { create(file: string, options: { intraOpNumThreads: number; interOpNumThreads: number }): Promise<{ run(feeds: Record<string, unknown>): Promise<Record<string, { data: Float32Array }>>; release(): Promise<void> }> };
  Tensor: new (type: 'float32', data: Float32Array, dims: number[]) => unknown;
  env: { versions?: { node?: string } };
}
// onnxruntime-node lives in benchmarks/node_modules (installed with scripts skipped by `npm --prefix benchmarks run setup`).
export function loadOrt(): Ort {
  try {
    return createRequire(path.join(root, 'benchmarks', 'package.json'))('onnxruntime-node') as Ort;
  } catch {
    console.error('onnxruntime-node is missing: run `npm --prefix benchmarks run setup` first.');
    process.exit(2);
  }
}

/** sharp resize + JS normalisation into NCHW floats: the pipeline a Node user writes without edge-classify. */
export async function sharpPipeline(input: Buffer | { data: Buffer; width: number; height: number }, m: ModelMetadata, out: Float32Array, offset: number) {
  const fit = m.resize === 'letterbox' ? 'contain' : m.resize === 'center-crop' ? 'cover' : 'fill';
  const image = Buffer.isBuffer(input) ? sharp(input) : sharp(input.data, { raw: { width: input.width, height: input.height, channels: 3 } });
  const { data } = await image
    .resize(m.input.width, m.input.height, { fit, kernel: 'linear', background: { r: 114, g: 114, b: 114 } })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const plane = m.input.width * m.input.height;
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) out[offset + c * plane + i] = (data[3 * i + c] / 255 - m.mean[c]) / m.std[c];
  }
}

