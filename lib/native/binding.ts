/**
 * The C++/JS boundary, declared in one place (its C++ side: native/addon/): loads the addon through
 * node-gyp-build (prebuilds/ first, then build/Release) and types its surface by hand. Nothing
 * outside lib/native/ touches the native module directly.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { onnxRuntimeCandidates } from '../backends/onnxruntime';
import { BindingError } from '../errors';
import type { BuildInfo, EngineBuildProgress, PixelFormat } from '../types';

/** Pixels handed to C++, read in place. */
export interface NativeFrame {
  data: Uint8Array;
  width: number;
  height: number;
  format: PixelFormat;
  /** Roboflow steps this frame's call switched off: 1 static crop, 2 grayscale, 4 contrast. */
  disabled?: number;
}

/** Roboflow's preprocessing steps (native/core/roboflow_steps.h). */
export interface NativeSteps {
  /** Percent bounds [xMin, yMin, xMax, yMax]. */
  crop?: [number, number, number, number];
  grayscale: boolean;
  contrast: 'none' | 'stretching' | 'equalize-skimage' | 'equalize-opencv' | 'adaptive-skimage' | 'adaptive-opencv';
  /** Legacy order: crop -> contrast -> grayscale. */
  contrastFirst: boolean;
}

/** Everything the native side needs to feed a model, already validated. */
export interface NativeConfig {
  width: number;
  height: number;
  resize: 'stretch' | 'letterbox' | 'center-crop' | 'crop';
  /** Pad value 0..255. */
  pad: number;
  /** How letterbox sizes are rounded (geometry.h). Default 'exact'. */
  rounding?: 'exact' | 'legacy' | 'scale';
  /** 'opencv-uint8': OpenCV's 8-bit resize, bit for bit (geometry.h FixedTap). Default 'float'. */
  interpolation?: 'float' | 'opencv-uint8';
  /** Roboflow's steps before the resize. */
  steps?: NativeSteps;
  channelOrder: 'rgb' | 'bgr';
  /** Per tensor plane (already permuted for BGR models). */
  mean: [number, number, number];
  std: [number, number, number];
  activation: 'softmax' | 'sigmoid' | 'none';
  /** 0 = unlimited. */
  maxPixels: number;
  preprocessThreads: number;
}

export interface NativeScores {
  /** rows x cols confidences, row-major, after the activation. */
  scores: Float64Array;
  rows: number;
  cols: number;
  /** Host milliseconds spent filling the input (CPU preprocessing, or copies into pinned staging). */
  prepareMs: number;
  /** Milliseconds the backend ran the request's batch: filling the input (`prepareMs`), then inference and the activation. */
  runMs: number;
}

/** The scheduler's batching, already validated. */
export interface NativeBatching {
  maxBatchSize: number;
  maxDelayMs: number;
  maxQueue: number;
  /** 0 = no bound. */
  maxQueuedPixels: number;
  /** false: each request runs as its own batch (requests are never combined). */
  combine: boolean;
}

/** A settled request of the model's scheduler. */
export interface NativeReply extends NativeScores {
  /** Images in the batch the request ran in. */
  batchSize: number;
  /** Milliseconds from enqueue to the start of its batch. */
  queuedMs: number;
  /** Milliseconds its batch ran on the scheduler's lane (preprocessing and inference). */
  computeMs: number;
  /** Encoded (GPU-decoded) requests: width, height per image. */
  sizes?: Int32Array;
  /** With a result spec: the images' results (`scores` is then absent: typed as present for the other calls). */
  results?: NativeResults;
}

/** An opaque handle to a model's class names on the native side (from {@link NativeBinding.labels}). */
export type NativeLabels = { readonly __nativeLabels: unique symbol };

/** How the native side turns an image's confidences into its result (native/core/results.h). */
export interface NativeResultSpec {
  multiLabel: boolean;
  /** Single-label: keep classes >= threshold (none: all); multi-label (required): predicted when > threshold. */
  threshold?: number;
  /** Single-label: confidences unrounded. */
  fullPrecision?: boolean;
  /** Only the best k predictions; 0 or absent: all. */
  topK?: number;
  /** Also write each image's predictions as JSON text. */
  json?: boolean;
}

/**
 * The compact results of n images: image i's predictions are `counts[i]` entries of `classes` /
 * `confidences` from the sum of the counts before it (single-label: best first; multi-label: in
 * key order); multi-label also `predictedCounts` / `predicted` (class order). With `json`: image
 * i's predictions are bytes jsonAt[3i]..jsonAt[3i+1] of `json`, its predicted_classes (multi-label)
 * jsonAt[3i+1]..jsonAt[3i+2].
 */
export interface NativeResults {
  counts: Int32Array;
  classes: Int32Array;
  confidences: Float64Array;
  predictedCounts?: Int32Array;
  predicted?: Int32Array;
  json?: Buffer;
  jsonAt?: Int32Array;
}

/** The scheduler's counters. */
export interface NativeQueueStats {
  /** Backend runs of images (a request larger than maxBatchSize counts one per chunk). */
  batches: number;
  images: number;
  /** batch size -> batches of that size (sizes above maxBatchSize counted at maxBatchSize). */
  batchSizes: Record<string, number>;
  queuedImages: number;
  /** Decoded pixels of the queued frames. */
  queuedPixels: number;
  queuedRequests: number;
  running: boolean;
  /** Requests accepted, and requests completed (each exactly once: equal once all have settled). */
  submitted: number;
  completed: number;
  succeeded: number;
  failed: number;
  inFlight: number;
  /** Summed over succeeded requests: time queued, and time their batch ran. */
  queueMsTotal: number;
  computeMsTotal: number;
  /** Backend executions of every kind (batches, chunks, infer, tokens). */
  executions: number;
  /** Batches the model can run at once (1 on the CPU, one per CUDA stream on a GPU). */
  lanes: number;
}

/**
 * The JS handle of a model's native scheduler, the one owner of its backend: every method is a
 * request on it. Inputs are read in place until the request settles.
 */
export interface NativeModel {
  /** [sync] Sets the scheduler's batching once; a second call throws ERR_INVALID_ARGUMENT. */
  startQueue(options: NativeBatching): void;
  /**
   * [sync] Queues frames (or JPEGs for GPU decoding when `encoded`); returns the request's Promise and its
   * id for cancel(). Throws
   * ERR_QUEUE_FULL / ERR_DISPOSED.
   */
  enqueue(images: NativeFrame[] | Uint8Array[], encoded: boolean, spec?: NativeResultSpec): [Promise<NativeReply>, number];
  /** [sync] Drops request `id` (from enqueue) if its batch has not started: it rejects with ERR_ABORTED. */
  cancel(id: number): void;
  /** [sync] The class names that results are built with (once, at load). */
  setLabels(labels: NativeLabels): void;
  /** [sync] Free and total bytes of the model's GPU; null on the CPU. */
  gpuMemory(): { freeBytes: number; totalBytes: number } | null;
  /** [sync] The scheduler's counters. */
  queueStats(): NativeQueueStats | null;
  /** [async] Preprocessing alone: n*3*H*W floats. */
  preprocess(frames: NativeFrame[]): Promise<Float32Array>;
  /** [async] Runs a token model (CLIP's text encoder) on `n` rows of int32 ids; raw outputs. */
  runTokens(ids: Int32Array, n: number): Promise<NativeReply>;
  /** [async] Runs an NCHW tensor of `n` images (in chunks of maxBatchSize). */
  infer(tensor: Float32Array, n: number): Promise<NativeReply>;
  /** [async] GPU decoding + preprocessing alone. */
  preprocessEncoded(images: Uint8Array[]): Promise<Float32Array>;
  /** [sync] Sets preprocessing and activation; throws ERR_INVALID_ARGUMENT. */
  configure(config: NativeConfig): void;
  /**
   * [async] Queued requests reject with ERR_DISPOSED, running batches finish, then the backend and all
   * its memory are freed on the scheduler's lane and the promise resolves; later calls throw ERR_DISPOSED.
   */
  dispose(): Promise<void>;
  /** The TorchScript extra file `metadata.json`, or null. */
  readonly metadata: string | null;
  readonly backend: 'torch' | 'onnxruntime' | 'tensorrt';
  readonly device: string;
  /** The backend decodes JPEGs on the GPU. */
  readonly gpuDecode: boolean;
}

/** What the native loader takes, already validated (flat: the C++ side has one options struct). */
export interface NativeLoadOptions {
  backend: 'auto' | 'torch' | 'onnxruntime' | 'tensorrt';
  maxBatchSize: number;
  workspaceMb: number;
  device: string;
  /** 0 = the process's adaptive team. */
  threads: number;
  optimize: boolean;
  precision: 'fp32' | 'fp16' | 'int8';
  cudaGraphs: boolean;
  channelsLast: boolean;
  cudaStreams?: number;
  calibration?: Float32Array;
  calibrationImages?: number;
}

export interface NativeBinding {
  /** [async] Loads a TorchScript file; rejects with ERR_MODEL_LOAD / ERR_UNSUPPORTED. */
  loadModel(
    file: string,
    options: NativeLoadOptions,
  ): Promise<NativeModel>;
  /** [async] The CPU preprocessing without a model (TensorRT int8 calibration images). */
  preprocess(frames: NativeFrame[], config: NativeConfig): Promise<Float32Array>;
  /** [sync] For a process about to exit: finishes running batches, fails queued ones, stops the torch thread. */
  shutdown(): void;
  /** [sync] Class names (each a JSON string literal) and the multi-label key order -> a handle. */
  labels(jsonNames: string[], keyOrder: Int32Array): NativeLabels;
  /** [sync] Results of whole rows of `cols` confidences, on this thread, by the code the scheduler runs. */
  results(scores: Float64Array, cols: number, labels: NativeLabels, spec: NativeResultSpec): NativeResults;
  /** [sync] Test hook: building the reply at this position of a batch throws (-1: off). */
  _setReplyFault(position: number): void;
  /** [sync] Test hook: the allocator's free memory back to the system (glibc malloc_trim), so that RSS shows what is held. */
  _trimMemory(): void;
  /** [sync] Where ONNX Runtime's library may be, looked at before the loader's path; only before its first use. */
  setOnnxRuntimeCandidates(files: string[]): void;
  /** [sync] The TensorRT backend is built, its libraries were found and libtorch sees a CUDA GPU (buildInfo's three fields, without the rest). */
  tensorrtReady(): boolean;
  /** [sync] What the binary was built with. */
  buildInfo(): Omit<BuildInfo, 'binary'>;
  /** [sync] This process's TensorRT engine builds: how many ended, and the one running (phases and steps as TensorRT reports them). */
  tensorrtBuildProgress(): { builds: number; building: false } | ({ builds: number; building: true } & EngineBuildProgress);
}

/** The package folder (the one holding binding.gyp), from lib/ or dist/lib/. */
export const packageRoot = ((): string => {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'binding.gyp')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
})();

let cached: { binding: NativeBinding; file: string } | undefined;

/** Loads the addon once; throws a BindingError that says how to fix a failed load. */
export function native(): { binding: NativeBinding; file: string } {
  if (cached) return cached;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const nodeGypBuild = require('node-gyp-build') as { (dir: string): NativeBinding; resolve(dir: string): string };
  let file = '(not found)';
  try {
    // EDGE_CLASSIFY_BINARY: a .node file to load instead (e.g. the sanitizer build of scripts/asan-suite.sh)
    const override = process.env.EDGE_CLASSIFY_BINARY;
    file = override ? path.resolve(override) : nodeGypBuild.resolve(packageRoot);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const binding = (override ? require(file) : nodeGypBuild(packageRoot)) as NativeBinding;
    binding.setOnnxRuntimeCandidates(onnxRuntimeCandidates());
    cached = { binding, file };
    // Nothing may run in native threads while the C++ runtime tears libtorch down after 'exit'.
    if (isMainThread) process.once('exit', () => binding.shutdown());
    return cached;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new BindingError(
      [
        `Could not load the edge-classify native addon for ${process.platform}-${process.arch} (Node ${process.version}).`,
        `Binary: ${file}`,
        `Error: ${reason}`,
        'Possible fixes:',
        '- build it: `npm run build:native` (needs cmake, a C++17 compiler and libtorch: see the README);',
        '- if libtorch moved since the build (libc10.so / libtorch_cpu.so not found), rebuild, or set LD_LIBRARY_PATH to its lib/ folder;',
        '- set LIBTORCH or Torch_DIR to choose the libtorch to build against.',
      ].join('\n'),
      { cause: error },
    );
  }
}
