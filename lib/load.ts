/**
 * Loading a model, in order: options checked (options/load.ts), the model file found
 * (metadata/model-file.ts; a folder's ONNX file first where TensorRT is preferred), int8 calibration
 * images prepared (backends/tensorrt.ts), the native load (off the event loop), the metadata found
 * and completed (metadata/), the scheduler configured and started, and one warm-up inference that
 * tells the number of outputs and catches a wrong input size. On any failure the native model is
 * disposed before the error is thrown.
 */
import { usesGpuDecode } from './backends/gpu-decode';
import { calibrationTensor, prefersOnnx } from './backends/tensorrt';
import { EdgeClassifyError, fromNative, ModelMismatchError } from './errors';
import { completeMetadata } from './metadata/complete';
import { findMetadata, readOnnxProps } from './metadata/find';
import { resolveModelFile } from './metadata/model-file';
import { native, type NativeModel } from './native/binding';
import { nativeConfig } from './native/config';
import { ResultLabels } from './results/compact';
import { batching } from './options/batching';
import { resolveLoadOptions } from './options/load';
import { invalid } from './options/validate';
import type { ModelInfo, ModelMetadata } from './types';

/** A loaded model's parts, handed to the Model that owns them from then on. */
export interface LoadedModel {
  native: NativeModel;
  /** The class names as results are built with them (set on the native model). */
  labels: ResultLabels;
  info: ModelInfo;
  /** 0 = no limit. */
  pixelLimit: number;
  /** Batches of JPEGs are decoded on the GPU. */
  gpuDecode: boolean;
  maxBatchSize: number;
}

/** Native calls reject with the matching typed error. */
async function nativeCall<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw fromNative(error);
  }
}

export async function loadParts(modelPath: unknown, options: unknown): Promise<LoadedModel> {
  if (typeof modelPath !== 'string' || modelPath === '') throw invalid('modelPath', 'a non-empty path string', modelPath);
  const o = resolveLoadOptions(options);
  const { binding } = native();
  const file = resolveModelFile(modelPath, prefersOnnx(binding, o.backend, o.device));
  // TensorRT sizes its optimisation profile by maxBatchSize: the device's default is known before the load
  const loadBatch = batching(o.batching, o.backend === 'tensorrt' || o.device.startsWith('cuda')).maxBatchSize;
  const calibration =
    o.precision === 'int8' && o.tensorrt.calibration !== undefined
      ? await calibrationTensor(file, o.tensorrt.calibration, o.metadata, o.pixelLimit, o.torch.preprocessThreads)
      : {};
  const nativeModel = await nativeCall(() =>
    binding.loadModel(file, {
      backend: o.backend,
      device: o.device,
      precision: o.precision,
      maxBatchSize: loadBatch,
      threads: o.torch.threads,
      optimize: o.torch.optimize,
      cudaStreams: o.cuda.streams,
      cudaGraphs: o.cuda.graphs,
      channelsLast: o.cuda.channelsLast,
      workspaceMb: o.tensorrt.workspaceMb,
      ...calibration,
    }),
  );
  try {
    const gpuDecode = usesGpuDecode(o.cuda.decode, nativeModel);
    const found = findMetadata(file, nativeModel.metadata, await readOnnxProps(file));
    const where = found.source === 'options' ? 'loadModel options' : `${file} (${found.source} metadata)`;
    const partial = completeMetadata({ ...found.metadata, ...o.metadata }, where);
    if (o.task !== undefined && partial.task !== o.task) {
      throw new ModelMismatchError(`options.task is '${o.task}' but ${where} says '${partial.task}': load it without options.task, or with task '${partial.task}'`);
    }
    const scheduling = batching(o.batching, nativeModel.device.startsWith('cuda'));
    try {
      nativeModel.configure(nativeConfig(partial, o.pixelLimit, o.torch.preprocessThreads));
      nativeModel.startQueue(scheduling);
    } catch (error) {
      throw fromNative(error);
    }
    const probe = await nativeCall(() => nativeModel.infer(new Float32Array(3 * partial.input.width * partial.input.height), 1));
    const names = partial.class_names ?? Array.from({ length: probe.cols }, (_, i) => `class_${i}`);
    if (names.length !== probe.cols) {
      throw new ModelMismatchError(
        `${where} lists ${names.length} class names but the model outputs ${probe.cols} values per image; fix "class_names" so that it has one name per output`,
      );
    }
    const metadata: ModelMetadata = { ...partial, class_names: names };
    const labels = new ResultLabels(names, binding);
    nativeModel.setLabels(labels.handle);
    const threads = o.torch.threads;
    const info: ModelInfo = {
      path: file,
      backend: nativeModel.backend,
      device: nativeModel.device,
      metadata,
      metadataSource: found.source,
      numClasses: probe.cols,
      maxBatchSize: scheduling.maxBatchSize,
      threads: nativeModel.device === 'cpu' ? (threads > 0 ? { count: threads, from: 'threads option' } : { count: 'team', from: 'process' }) : undefined,
    };
    return { native: nativeModel, info, labels, pixelLimit: o.pixelLimit, gpuDecode, maxBatchSize: scheduling.maxBatchSize };
  } catch (error) {
    await nativeModel.dispose();
    if (error instanceof EdgeClassifyError && error.code === 'ERR_INFERENCE') {
      throw new ModelMismatchError(`the model does not accept its metadata's input: ${error.message}`, { cause: error });
    }
    throw error;
  }
}
