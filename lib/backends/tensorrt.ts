/**
 * What the TypeScript side knows of TensorRT: when a model folder's ONNX file is preferred over its
 * TorchScript one, and int8 calibration images, decoded by sharp and preprocessed as the model will
 * see them (the C++ side builds and calibrates the engine).
 */
import { fromNative, InvalidOptionError } from '../errors';
import { expandImages } from '../input/files';
import { toFrame } from '../input/decode';
import { toSource } from '../input/source';
import { completeMetadata } from '../metadata/complete';
import { findMetadata, readOnnxProps } from '../metadata/find';
import { native, type NativeBinding } from '../native/binding';
import { nativeConfig } from '../native/config';
import type { ModelMetadata } from '../types';

/** Most calibration images used. */
const MAX_CALIBRATION_IMAGES = 1000;

/**
 * A model folder's ONNX file is taken over its TorchScript one for backends 'tensorrt' and 'onnxruntime',
 * and by 'auto' on CUDA when this build and machine have TensorRT (on the CPU, 'auto' keeps TorchScript).
 */
export function prefersOnnx(binding: NativeBinding, backend: 'auto' | 'torch' | 'onnxruntime' | 'tensorrt', device: string): boolean {
  // tensorrtReady(), not buildInfo(): that would open ONNX Runtime's library in every process that loads a model
  return backend === 'tensorrt' || backend === 'onnxruntime' || (backend === 'auto' && device !== 'cpu' && binding.tensorrtReady());
}

/** int8 calibration images as the model's input tensor (its metadata must be readable before the load). */
export async function calibrationTensor(
  file: string,
  folder: string,
  overrides: Partial<ModelMetadata> | undefined,
  pixelLimit: number,
  preprocessThreads: number,
): Promise<{ calibration: Float32Array; calibrationImages: number }> {
  const found = findMetadata(file, null, await readOnnxProps(file));
  const meta = completeMetadata({ ...found.metadata, ...overrides }, `${file} (${found.source} metadata)`);
  let files: string[];
  try {
    files = (await expandImages([folder])).slice(0, MAX_CALIBRATION_IMAGES);
  } catch (error) {
    throw new InvalidOptionError(`options.tensorrt.calibration: ${(error as Error).message}`, { cause: error });
  }
  const frames = await Promise.all(files.map(async (f, i) => (await toFrame(await toSource(f, `calibration[${i}]`, pixelLimit), pixelLimit)).frame));
  try {
    const tensor = await native().binding.preprocess(frames, nativeConfig(meta, pixelLimit, preprocessThreads));
    return { calibration: tensor, calibrationImages: files.length };
  } catch (error) {
    throw fromNative(error);
  }
}
