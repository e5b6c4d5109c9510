// ESM entry point: the CommonJS build re-exported with named exports.
import cjs from '../dist/lib/index.js';

export const {
  loadModel,
  Model,
  loadClip,
  Clip,
  buildInfo,
  decodeQueueStats,
  defaultModelPath,
  toWorkflowBlock,
  runWorkflow,
  Capture,
  openCapture,
  roundConfidence,
  EdgeClassifyError,
  InvalidOptionError,
  InvalidImageError,
  DecodeError,
  ModelLoadError,
  ModelMismatchError,
  InferenceError,
  InternalError,
  OutOfMemoryError,
  UnsupportedError,
  DisposedError,
  QueueFullError,
  AbortedError,
  TimeoutError,
  BindingError,
  WorkflowError,
} = cjs;
export default cjs;
