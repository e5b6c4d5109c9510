/**
 * GPU JPEG decoding (nvJPEG, in the CUDA backends): which models may use it, and which batches it
 * takes — complete JPEGs without an EXIF rotation; everything else is decoded by sharp.
 */
import { UnsupportedError } from '../errors';
import { gpuDecodable } from '../input/jpeg';
import type { Source } from '../input/source';

/** Whether a model decodes on the GPU under `decode`; UnsupportedError for 'gpu' where it cannot. */
export function usesGpuDecode(decode: 'auto' | 'cpu' | 'gpu', native: { gpuDecode: boolean; device: string }): boolean {
  if (decode === 'gpu' && !native.gpuDecode) {
    throw new UnsupportedError(
      `cuda.decode: 'gpu' needs a model on a CUDA device and a build with nvJPEG (this model runs on ${native.device}); use cuda: { decode: 'auto' } or 'cpu'`,
    );
  }
  return decode !== 'cpu' && native.gpuDecode;
}

/** The JPEG bytes of a batch the GPU decodes (every image a JPEG nvJPEG decodes as sharp would), or undefined. */
export function gpuBatch(enabled: boolean, sources: readonly Source[]): Uint8Array[] | undefined {
  if (!enabled || !sources.every((s) => s.kind === 'encoded' && gpuDecodable(s.bytes))) return undefined;
  return sources.map((s) => (s as { bytes: Uint8Array }).bytes);
}
