/**
 * Typed errors. Every error thrown or rejected by edge-classify is an
 * {@link EdgeClassifyError} with a stable `code`; the subclasses let callers
 * branch with `instanceof`.
 */

export class EdgeClassifyError extends Error {
  /** Stable machine-readable code, e.g. `'ERR_INVALID_IMAGE'`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An option or argument has the wrong type or value. */
export class InvalidOptionError extends EdgeClassifyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_INVALID_OPTION', message, options);
  }
}

/** Pixels that cannot be used: zero size, short buffer, bad channel count, over the pixel limit. */
export class InvalidImageError extends EdgeClassifyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_INVALID_IMAGE', message, options);
  }
}

/** Bytes that are not a decodable image: corrupt, truncated, unsupported format, bad base64. */
export class DecodeError extends EdgeClassifyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_DECODE', message, options);
  }
}

/** The model file is missing, unreadable, not TorchScript, or its metadata is invalid. */
export class ModelLoadError extends EdgeClassifyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_MODEL_LOAD', message, options);
  }
}

/** The model and its metadata disagree (class count, input size, output shape). */
export class ModelMismatchError extends EdgeClassifyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_MODEL_MISMATCH', message, options);
  }
}

/** The backend failed while running the model. */
export class InferenceError extends EdgeClassifyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_INFERENCE', message, options);
  }
}

/** Host or GPU memory ran out; the model stays usable with smaller batches. */
export class OutOfMemoryError extends EdgeClassifyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_OUT_OF_MEMORY', message, options);
  }
}

/** A feature this build, backend or machine does not have (e.g. CUDA on a CPU-only build). */
export class UnsupportedError extends EdgeClassifyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_UNSUPPORTED', message, options);
  }
}

/** The model was disposed. */
export class DisposedError extends EdgeClassifyError {
  constructor(message = 'the model was disposed; load it again to classify', options?: { cause?: unknown }) {
    super('ERR_DISPOSED', message, options);
  }
}

/** The model's queue is at its bound (`batching.maxQueue`): back off and retry. */
export class QueueFullError extends EdgeClassifyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_QUEUE_FULL', message, options);
  }
}

/** The call was aborted through its `signal` (its `reason` is the cause). */
export class AbortedError extends EdgeClassifyError {
  constructor(message = 'the call was aborted', options?: { cause?: unknown }) {
    super('ERR_ABORTED', message, options);
  }
}

/** The call did not settle within its `timeoutMs`. */
export class TimeoutError extends EdgeClassifyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_TIMEOUT', message, options);
  }
}

/** The native addon could not be loaded. */
export class BindingError extends EdgeClassifyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_BINDING', message, options);
  }
}

/**
 * A workflow specification that cannot run, or a step that failed: `errorType` says which (e.g.
 * 'UnknownBlockType', 'InvalidSelector', 'InvalidKind', 'WorkflowCycle', 'MissingInput',
 * 'InvalidParameter', 'ModelNotFound'), `context` where ('workflow_definition' before anything runs,
 * 'workflow_execution' while it runs); the message names the step and field. `status` is the HTTP
 * status the server answers with.
 */
export class WorkflowError extends EdgeClassifyError {
  readonly errorType: string;
  readonly context: 'workflow_definition' | 'workflow_execution';
  readonly status: number;

  constructor(
    message: string,
    options?: { cause?: unknown; errorType?: string; context?: 'workflow_definition' | 'workflow_execution'; status?: number },
  ) {
    super('ERR_WORKFLOW', message, options);
    this.errorType = options?.errorType ?? 'WorkflowDefinitionError';
    this.context = options?.context ?? 'workflow_definition';
    this.status = options?.status ?? 400;
  }
}

/**
 * A failure inside edge-classify that no other class describes (a bug: please report it with the
 * message). The native side uses it for C++ exceptions of unknown kind.
 */
export class InternalError extends EdgeClassifyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_INTERNAL', message, options);
  }
}

/** Every code the native addon produces (native/addon/errors.cc), and its class. */
const byNativeCode: Record<string, new (message: string, options?: { cause?: unknown }) => EdgeClassifyError> = {
  ERR_INVALID_ARGUMENT: InvalidOptionError,
  ERR_INVALID_IMAGE: InvalidImageError,
  ERR_DECODE: DecodeError,
  ERR_MODEL_LOAD: ModelLoadError,
  ERR_MODEL_MISMATCH: ModelMismatchError,
  ERR_INFERENCE: InferenceError,
  ERR_OUT_OF_MEMORY: OutOfMemoryError,
  ERR_UNSUPPORTED: UnsupportedError,
  ERR_DISPOSED: DisposedError,
  ERR_QUEUE_FULL: QueueFullError,
  ERR_ABORTED: AbortedError,
  ERR_INTERNAL: InternalError,
};

/** The codes the native side can produce (for tests and documentation). */
export const NATIVE_CODES: readonly string[] = Object.keys(byNativeCode);

/**
 * Turns an error from the native addon into the matching typed error, the original kept as its
 * `cause` (the stack is the caller's). Anything without a known code becomes an InternalError.
 */
export function fromNative(error: unknown): EdgeClassifyError {
  if (error instanceof EdgeClassifyError) return error;
  const code = (error as { code?: unknown })?.code;
  const message = error instanceof Error ? error.message : String(error);
  const Class = typeof code === 'string' ? byNativeCode[code] : undefined;
  return new (Class ?? InternalError)(message, { cause: error });
}
