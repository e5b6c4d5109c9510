/**
 * The preprocessing a Node user writes without edge-classify — sharp resize, then a JS loop that
 * normalises into NCHW floats — used as the peer in benchmarks and in `edge-classify bench`.
 */
import sharp from 'sharp';
import type { ModelMetadata } from '../../lib/types';

/** Writes one image's normalised NCHW floats into `out` at `offset`. */
export async function sharpTensor(
  input: Buffer | { data: Buffer; width: number; height: number },
  m: ModelMetadata,
  out: Float32Array,
  offset: number,
): Promise<void> {
  const fit = m.resize === 'letterbox' ? 'contain' : m.resize === 'center-crop' ? 'cover' : 'fill';
  const image = Buffer.isBuffer(input) ? sharp(input) : sharp(input.data, { raw: { width: input.width, height: input.height, channels: 3 } });
  const { data } = await image
    .resize(m.input.width, m.input.height, { fit, kernel: 'linear', background: { r: 114, g: 114, b: 114 } })
    .removeAlpha()
    .toColourspace('srgb') // three channels, also for gray sources
    .raw()
    .toBuffer({ resolveWithObject: true });
  const plane = m.input.width * m.input.height;
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) out[offset + c * plane + i] = (data[3 * i + c] / 255 - m.mean[c]) / m.std[c];
  }
}
