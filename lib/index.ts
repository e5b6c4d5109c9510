/**
 * edge-classify: image classification on edge hardware with results in the
 * exact JSON shape of Roboflow's classification API. The public API, all of it:
 * everything a user imports is exported here (lib/index.mjs re-exports it for ESM).
 *
 *   const model = await loadModel('models/digits.torchscript');
 *   const result = await model.classify(fs.readFileSync('seven.png'));
 */
import path from 'node:path';
import { native, packageRoot } from './native/binding';
import type { BuildInfo } from './types';

export { loadModel, Model } from './model';
export { Clip, loadClip, type ClipCallOptions, type ClipConfig, type ClipLoadOptions, type ClipResult } from './clip/clip';
export { roundConfidence, toWorkflowBlock } from './results';
export { runWorkflow, type WorkflowResult, type WorkflowRunOptions } from './workflows/run';
export { Capture, openCapture, type CaptureMeta, type CaptureOptions, type CaptureStats } from './capture/capture';
export type { SamplerOptions } from './capture/samplers';
export { decodeQueueStats, type DecodeQueueStats } from './input/decode-queue';
export { buildEngine } from './backends/build-engine';
export {
  AbortedError,
  BindingError,
  DecodeError,
  DisposedError,
  EdgeClassifyError,
  InferenceError,
  InternalError,
  InvalidImageError,
  InvalidOptionError,
  ModelLoadError,
  ModelMismatchError,
  OutOfMemoryError,
  QueueFullError,
  TimeoutError,
  UnsupportedError,
  WorkflowError,
} from './errors';
export type * from './types';

/** What the native binary was built with and can use on this machine. */
export function buildInfo(): BuildInfo {
  const { binding, file } = native();
  return { ...binding.buildInfo(), binary: file };
}

/** Path of the bundled default model (a small CNN trained on scikit-learn's handwritten digits). */
export const defaultModelPath: string = path.join(packageRoot, 'models', 'digits.torchscript');
