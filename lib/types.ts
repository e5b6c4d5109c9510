/**
 * Public types of edge-classify, written by hand. Every option documents its
 * allowed values and its default. Result shapes follow Roboflow's hosted
 * classification API field for field (see the README's "Result schema").
 * One file over 300 lines on purpose: it is what a user reads to learn the API,
 * so every public type is here, in the order of a call (options, inputs,
 * results, info, timing, build).
 */

/** Where inference runs. `'auto'` picks CUDA when this build and machine have a GPU, else the CPU. */
export type Device = 'auto' | 'cpu' | 'cuda' | `cuda:${number}`;

/**
 * How an image is fitted to the model's input size. `'center-crop'`: the shorter side resized to the
 * input, the middle cut out. `'crop'`: the middle input-sized window cut out without resizing, a
 * smaller image centred on the pad colour (Roboflow's inference_config.json "center-crop").
 */
export type ResizeMode = 'stretch' | 'letterbox' | 'center-crop' | 'crop';

/** Letterbox padding colour: black 0, white 255, grey 114 (Roboflow's "Fit (grey edges) in"). */
export type PadColor = 'black' | 'white' | 'grey';

/** Channel order of the model's input tensor. */
export type ChannelOrder = 'rgb' | 'bgr';

/** Single-label (softmax over classes) or multi-label (independent sigmoid per class). */
export type Task = 'single-label' | 'multi-label';

/** Memory layout of raw pixels. */
export type PixelFormat = 'rgb' | 'bgr' | 'rgba' | 'bgra' | 'gray';

/**
 * Model metadata: how to feed the model and name its outputs. Read, in this order, from the
 * TorchScript extra file `metadata.json`, a sidecar `<model file>.json`, or Roboflow's
 * `environment.json` (+ `class_names.txt`) beside the model; missing fields take the defaults below.
 */
export interface ModelMetadata {
  /** Default `'single-label'`. */
  task: Task;
  /** Class names by output index. Default: `class_0`, `class_1`, ... for every output. */
  class_names: string[];
  /** Model input size in pixels. Required (no default): the model cannot be fed without it. */
  input: { width: number; height: number };
  /** Default `'stretch'` (Roboflow's default "Stretch to"). */
  resize: ResizeMode;
  /** Letterbox padding: a colour name or a value 0..255 for every channel. Default `'black'`. */
  pad: PadColor | number;
  /**
   * How a letterbox's scaled size is rounded: `'exact'` (integer arithmetic, the default), `'legacy'`
   * (Roboflow's legacy server: aspect ratio in floating point), `'scale'` (Roboflow's default server:
   * `min(W/w, H/h)` in floating point). They differ by a pixel for some sizes.
   */
  letterbox_rounding?: 'exact' | 'legacy' | 'scale';
  /**
   * How the bilinear resize computes: `'float'` (the default: no rounding) or `'opencv-uint8'`, bit for bit
   * as OpenCV's cv2.resize on 8-bit images (11-bit fixed-point weights, results rounded to 8 bits) — what
   * Roboflow's servers feed their models after a uint8 resize.
   */
  interpolation?: 'float' | 'opencv-uint8';
  /** Roboflow's image preprocessing steps before the resize (read from a Roboflow package). Default: none. */
  preprocessing?: PreprocessingSteps;
  /** Per-channel mean, in R, G, B order, applied after `x / 255`. Default `[0.5, 0.5, 0.5]`. */
  mean: [number, number, number];
  /** Per-channel standard deviation, in R, G, B order. Default `[0.5, 0.5, 0.5]`. */
  std: [number, number, number];
  /** Default `'rgb'`. */
  channel_order: ChannelOrder;
  /**
   * `'logits'` (default): softmax (single-label) or sigmoid (multi-label) is applied.
   * `'probabilities'`: outputs are used as they are.
   */
  output: 'logits' | 'probabilities';
  /** Optional display name. */
  name?: string;
  /** Optional description. */
  description?: string;
}

/**
 * Roboflow's preprocessing steps, applied in native code before the resize, per source pixel (no copy
 * of the image). See the README's "Roboflow package support".
 */
export interface PreprocessingSteps {
  /**
   * Which Roboflow server the steps follow. `'inference-models'` (its default path, packages with
   * inference_config.json): static crop -> grayscale -> contrast, the equalizations by scikit-image over
   * all channels. `'legacy'` (environment.json): static crop -> contrast -> grayscale, the equalizations
   * by OpenCV on gray.
   */
  flavor: 'inference-models' | 'legacy';
  /** Apply the EXIF orientation when decoding. Default `true`. */
  auto_orient: boolean;
  /** Percent bounds of the window kept, converted to pixels by truncation. */
  static_crop?: { x_min: number; y_min: number; x_max: number; y_max: number };
  /** To gray (OpenCV's weights), replicated to three channels. */
  grayscale: boolean;
  /**
   * `'inference-models'`: scikit-image's rescale_intensity (2nd..98th percentile), equalize_hist or
   * equalize_adapthist (clip 0.03, on the HSV value); `'legacy'`: the same stretching, OpenCV's
   * equalizeHist or CLAHE (clip 0.03, 8x8 tiles) on gray.
   */
  contrast?: 'Contrast Stretching' | 'Histogram Equalization' | 'Adaptive Equalization';
}

/** Where the metadata of a loaded model came from: `'roboflow'` is environment.json, `'roboflow-inference-config'` inference_config.json. */
export type MetadataSource = 'torchscript' | 'onnx' | 'sidecar' | 'roboflow' | 'roboflow-inference-config' | 'options';

/**
 * Options of {@link loadModel}. Options that mean something on every backend sit at the top; those of
 * one backend are grouped under its name (`torch`, `cuda`, `tensorrt`) and ignored elsewhere.
 */
export interface LoadOptions<T extends Task = Task> {
  /**
   * `'torch'`: libtorch (TorchScript files). `'onnxruntime'`: ONNX Runtime (ONNX models) on the CPU, or
   * on CUDA through its CUDA execution provider where the library is a CUDA build; the library is found
   * at run time: onnxruntime-node's, a pip wheel's, or `EDGE_ONNXRUNTIME_LIB`.
   * `'tensorrt'`: TensorRT 10 or 11 on CUDA (ONNX models, built into an engine cached beside them, or
   * serialized `.engine` / `.plan` files). `'auto'` (default): for an fp32 ONNX file, ONNX Runtime on the
   * CPU (device `'cpu'`, or `'auto'` where TensorRT is not ready), TensorRT on CUDA where it is ready, else
   * ONNX Runtime's CUDA execution provider; TensorRT for engine
   * files; libtorch for TorchScript. A backend that is missing rejects with UnsupportedError saying how
   * to install it.
   */
  backend?: 'auto' | 'torch' | 'onnxruntime' | 'tensorrt';
  /** Default `'auto'`. */
  device?: Device;
  /**
   * CUDA: 'fp32' (default) or 'fp16'; TensorRT also 'int8'. TensorRT 10 builds fp16 from any ONNX and
   * int8 from a Q/DQ ONNX or with `tensorrt.calibration`; TensorRT 11 builds networks in the ONNX's own
   * types: fp16 needs an fp16 ONNX (`scripts/models/export_onnx.py --precision fp16`), int8 a Q/DQ ONNX.
   */
  precision?: 'fp32' | 'fp16' | 'int8';
  /**
   * The task the caller expects. Loading rejects with ModelMismatchError when the model's metadata
   * says otherwise; TypeScript then types classify()'s results for that task (no casts).
   */
  task?: T;
  /** Dynamic batching of concurrent calls (see {@link BatchingOptions}). Default: on. */
  batching?: BatchingOptions | false;
  /** Metadata fields that override (or supply) what the model files say. */
  metadata?: Partial<ModelMetadata>;
  /** Largest image accepted, in pixels (width x height); `false` for no limit. Default 268402689 (sharp's). */
  limitInputPixels?: number | false;
  /** libtorch backend (CPU, and CUDA without TensorRT). */
  torch?: TorchOptions;
  /** CUDA devices (libtorch and TensorRT). */
  cuda?: CudaOptions;
  /** TensorRT backend. */
  tensorrt?: TensorRtOptions;

  /** @deprecated since 0.2: `torch.threads` (a DeprecationWarning is emitted once). */
  threads?: number;
  /** @deprecated since 0.2: `torch.preprocessThreads`. */
  preprocessThreads?: number;
  /** @deprecated since 0.2: `torch.optimize`. */
  optimize?: boolean;
  /** @deprecated since 0.2: `cuda.streams`. */
  cudaStreams?: number;
  /** @deprecated since 0.2: `cuda.graphs`. */
  cudaGraphs?: boolean;
  /** @deprecated since 0.2: `cuda.channelsLast`. */
  channelsLast?: boolean;
  /** @deprecated since 0.2: `cuda.decode`. */
  decode?: 'auto' | 'cpu' | 'gpu';
  /** @deprecated since 0.2: `tensorrt.workspaceMb`. */
  workspaceMb?: number;
  /** @deprecated since 0.2: `tensorrt.calibration`. */
  calibration?: string;
}

/** Options of the libtorch backend. */
export interface TorchOptions {
  /**
   * CPU: this model's compute threads, fixed. Default: the process's team, whose size follows the free
   * cores (see the README's "Threads and priority").
   */
  threads?: number;
  /** CPU: threads preprocessing a batch. Default 0 = the process's thread budget. */
  preprocessThreads?: number;
  /** Freeze and fuse the TorchScript graph for inference. Default `true`. */
  optimize?: boolean;
}

/** Options of CUDA devices. */
export interface CudaOptions {
  /**
   * libtorch: batches in flight at once, each on its own CUDA stream with its own staging buffers and
   * graphs, so that the copy, preprocessing and inference of consecutive batches overlap. Default 2.
   */
  streams?: number;
  /** Capture CUDA graphs and replay them (libtorch: one per power-of-two batch size, sharing one memory pool). Default `true`. */
  graphs?: boolean;
  /**
   * Keep the input and the 4-D (convolution) weights in channels-last memory, which lets cuDNN use its
   * NHWC tensor-core kernels (mostly a gain with fp16). The preprocessing kernel writes NHWC directly.
   * Default `false`.
   */
  channelsLast?: boolean;
  /**
   * Where JPEGs are decoded. `'auto'` (default): on the GPU with nvJPEG when the build has nvJPEG, for
   * batches of JPEGs without an EXIF rotation (anything else, or a JPEG nvJPEG refuses, is decoded by
   * sharp on the CPU). `'gpu'`: the same, but loading fails with UnsupportedError when GPU decoding is
   * not available (e.g. on a CPU model). `'cpu'`: always sharp.
   */
  decode?: 'auto' | 'cpu' | 'gpu';
}

/** Options of the TensorRT backend. */
export interface TensorRtOptions {
  /** The engine builder's workspace limit in MiB. Default 1024. */
  workspaceMb?: number;
  /**
   * precision 'int8' on TensorRT 10 from an ONNX without Q/DQ nodes: a folder of typical images to
   * calibrate with (up to 1000 are used). The calibration table is cached beside the engine.
   */
  calibration?: string;
}

/** The TensorRT engine build running in this process, as TensorRT reports it. */
export interface EngineBuildProgress {
  /** The ONNX file being built. */
  model: string;
  /** The innermost build phase running now, e.g. "Building engine" or a tactic search step. */
  phase: string;
  /** Steps of the top-level phase done, of `steps`. */
  step: number;
  steps: number;
  /** 0..1 over the top-level phase, with the nested phases' progress inside its current step. */
  fraction: number;
  /** Since the build started. */
  elapsedMs: number;
}

/** Options of {@link buildEngine}. */
export interface BuildEngineOptions {
  /** 'fp32' (default), 'fp16' or 'int8'. TensorRT 11 takes the precision from the ONNX (see the README). */
  precision?: 'fp32' | 'fp16' | 'int8';
  /** The optimisation profile's largest batch (the batcher's maxBatchSize). Default 64, as loadModel's. */
  maxBatchSize?: number;
  /** 'cuda' (default) or 'cuda:N'. */
  device?: Device;
  /** TensorRT's options (workspace, int8 calibration folder). */
  tensorrt?: TensorRtOptions;
  /** Called with the build's progress while it runs (about 5 times a second), not when the cache has the engine. */
  onProgress?: (progress: EngineBuildProgress) => void;
}

/** What {@link buildEngine} did. */
export interface BuildEngineResult {
  /** The model as it loads from the engine (backend 'tensorrt'). */
  info: ModelInfo;
  /** True when an engine was built now; false when the cache already had it. */
  built: boolean;
  /** Wall time of the whole call. */
  ms: number;
}

/** Options of {@link Model.classify}. */
export interface ClassifyOptions {
  /**
   * Threshold in 0..1. Single-label: when given, classes below it are dropped (kept when `>=`);
   * when omitted every class is returned. Multi-label: `predicted_classes` are the classes strictly
   * above it. Default: none (single-label), 0.5 (multi-label).
   */
  confidence?: number;
  /** Keep full-precision single-label confidences instead of rounding to 4 decimals. Default `false`. */
  fullPrecision?: boolean;
  /**
   * Only the best k predictions (1 to the number of classes), built and returned: single-label, the
   * first k of the sorted list (after `confidence`); multi-label, the k most confident classes in
   * `predictions` (listed in the order of all classes; `predicted_classes` still lists every class
   * above the threshold). Default: every class, as Roboflow answers.
   */
  topK?: number;
  /**
   * Cancels the call: it rejects at once with AbortedError; if its batch has not started it is
   * dropped from the queue and never runs.
   */
  signal?: AbortSignal;
  /** Rejects with TimeoutError after this many milliseconds (and drops the call if it has not started). */
  timeoutMs?: number;
  /**
   * Switches the model's Roboflow preprocessing steps off for this call, as Roboflow's
   * `disable_preproc_auto_orient`, `…_contrast`, `…_grayscale`, `…_static_crop` request flags do.
   */
  disablePreprocessing?: DisablePreprocessing;
}

/** Options of {@link Model.classifyJson}: classify()'s, and the result's `inference_id` (default: a new UUID v4). */
export interface ClassifyJsonOptions extends ClassifyOptions {
  inferenceId?: string;
}

/** Steps to switch off for one call (each default `false`). */
export interface DisablePreprocessing {
  autoOrient?: boolean;
  contrast?: boolean;
  grayscale?: boolean;
  staticCrop?: boolean;
}

/**
 * Dynamic batching (see the README): concurrent calls are queued in the model's native scheduler and
 * run together in batches. `batching: false` is the deprecated spelling of `{ combineCalls: false }`.
 */
export interface BatchingOptions {
  /**
   * Most images in one batch (1 to 65535); a classifyBatch() or infer() larger than this runs alone, in
   * chunks of this size. Default 32 on the CPU, 64 on CUDA.
   */
  maxBatchSize?: number;
  /** How long the first call of a batch waits for others, in ms (fractions allowed). Default 0: batch what is already queued. */
  maxDelayMs?: number;
  /**
   * Whether concurrent calls are combined into one batch. `false`: every call runs as its own batch, in
   * arrival order (a classifyBatch() of n images is one batch of n). Default `true`.
   */
  combineCalls?: boolean;
  /** @deprecated since 0.2: `cuda.streams` sets how many batches run at once (a DeprecationWarning is emitted once). */
  executors?: number;
  /** Most images waiting; past it a call rejects at once with QueueFullError. Default 4096. */
  maxQueue?: number;
  /**
   * Most decoded pixels waiting (raw frames and decoded images, summed); past it a call rejects at
   * once with QueueFullError. A single call above it still runs when the queue is empty. Default
   * 268402689 (sharp's per-image limit: about 805 MB of RGB); 0 for no bound.
   */
  maxQueuedPixels?: number;
}

/** What a server needs for monitoring, from {@link Model.stats}. */
export interface ModelStats {
  /** Calls made / succeeded / failed (any error, aborts and timeouts included). */
  calls: number;
  succeeded: number;
  failed: number;
  /** Calls not settled yet, and the part of them still queued (images and requests). */
  inFlight: number;
  queuedImages: number;
  queuedRequests: number;
  /** Batches run and the images in them; batch size -> number of batches. */
  batches: number;
  images: number;
  batchSizes: Record<string, number>;
  /** Latency of the last (up to) 1024 successful calls, in ms. */
  latencyMs: { p50: number; p90: number; p99: number; max: number; samples: number };
  /** Mean time a call's images waited in the queue before their batch started (last 1024 calls), ms. */
  meanQueuedMs: number;
  /**
   * The native scheduler's totals over every request that ran (classify, outputs, infer, warm-up):
   * requests completed, time queued and time computing (its batch on the model's lane), ms;
   * backend executions (batches and chunks of every kind).
   */
  scheduler: { requests: number; succeeded: number; failed: number; queueMsTotal: number; computeMsTotal: number; executions: number; queuedPixels: number };
  /** Free and total memory of the model's GPU (CUDA models only). */
  gpuMemory?: { freeBytes: number; totalBytes: number };
}

/** Raw pixels, read in place by the native code (no copy); kept alive until the call settles. */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  /** Default: `'gray'`, `'rgb'` or `'rgba'` by channel count. */
  format?: PixelFormat;
}

/** An image file to read, named explicitly (never taken for base64). */
export interface PathInput {
  path: string;
}

/** Base64 image data, named explicitly (never taken for a file path); a `data:` prefix is allowed. */
export interface Base64Input {
  base64: string;
}

/**
 * An image: encoded bytes (JPEG, PNG, WebP, GIF, TIFF, AVIF — whatever sharp decodes; EXIF
 * orientation applied), `{ path }`, `{ base64 }`, raw pixels, or a bare string.
 *
 * A bare string is base64 when it starts with `data:` or parses as base64 (only `A-Z a-z 0-9 + / - _`,
 * `=` padding, a length that is not 1 more than a multiple of 4); otherwise it is a path, read only
 * when it names an existing file. So `"photo.jpg"` is a path and `"iVBORw0KGgo…"` is base64, but a
 * file named `"abcd"` is taken for base64: pass `{ path }` or `{ base64 }` to say which is meant —
 * and always `{ base64 }` for strings that come from a request, so that no caller can make the
 * library read a file.
 *
 * Raw pixels are read in place when their batch runs, not copied when the call is made: leave the
 * buffer unchanged until the call's promise settles (copy it first if a camera ring buffer may
 * overwrite it sooner).
 */
export type ImageInput = Buffer | Uint8Array | string | RawImage | PathInput | Base64Input;

/** One class of a single-label result. */
export interface ClassificationPrediction {
  class: string;
  class_id: number;
  confidence: number;
}

interface ResultBase {
  /** UUID v4 of this inference. */
  inference_id: string;
  /** Seconds spent on this call: decode, preprocessing, inference and postprocessing. */
  time: number;
  /** Size of the image as received (after EXIF orientation, before any resize). */
  image: { width: number; height: number };
  prediction_type: 'ClassificationModel';
  /** The file path, when the input was a path. */
  image_path?: string;
}

/** Roboflow single-label result: every class (or those >= `confidence`), highest first. */
export interface SingleLabelResult extends ResultBase {
  predictions: ClassificationPrediction[];
  /** Class of `predictions[0]`, or `""` when no class passed the threshold. */
  top: string;
  /** Confidence of `top`, or 0. */
  confidence: number;
}

/** Roboflow multi-label result: every class in class order, unrounded. */
export interface MultiLabelResult extends ResultBase {
  predictions: Record<string, { confidence: number; class_id: number }>;
  /** Classes strictly above the threshold, in class order. */
  predicted_classes: string[];
}

export type ClassificationResult = SingleLabelResult | MultiLabelResult;

/** The result type of a model of task `T`: SingleLabelResult, MultiLabelResult, or their union for `Task`. */
export type ResultFor<T extends Task> = T extends 'single-label' ? SingleLabelResult : T extends 'multi-label' ? MultiLabelResult : never;

/** A result serialized as inside a Roboflow workflow. */
export type WorkflowPrediction = (
  | Omit<SingleLabelResult, 'prediction_type' | 'image_path'>
  | Omit<MultiLabelResult, 'prediction_type' | 'image_path'>
) & { prediction_type: 'classification'; parent_id: string; root_parent_id: string };

/** The output of Roboflow's Workflows classification block (`roboflow_classification_model@v2`). */
export interface WorkflowBlockOutput {
  predictions: WorkflowPrediction;
  inference_id: string;
  model_id: string;
}

/** What a loaded model is and how it is fed. */
export interface ModelInfo {
  /** The model file that was loaded. */
  path: string;
  backend: 'torch' | 'onnxruntime' | 'tensorrt';
  /** The device the model runs on, e.g. `'cpu'` or `'cuda:0'`. */
  device: string;
  metadata: ModelMetadata;
  metadataSource: MetadataSource;
  /** Number of model outputs (= classes). */
  numClasses: number;
  /** Most images in one batch (`batching.maxBatchSize`). */
  maxBatchSize: number;
  /**
   * CPU models: the compute threads of this model's batches — its `threads` option, or `'team'`: the process's
   * compute team, whose size follows the free cores (`buildInfo().threads`). Undefined on a GPU.
   */
  threads?: { count: number; from: 'threads option' } | { count: 'team'; from: 'process' };
}

/** The preprocessed input of a batch, exactly as the model receives it. */
export interface PreprocessedBatch {
  /** NCHW float32 values. */
  tensor: Float32Array;
  shape: [number, number, number, number];
  /** Original size of each image (empty when decoded on the GPU). */
  sizes: { width: number; height: number }[];
  /** Where the images were decoded. */
  decodedOn: 'cpu' | 'gpu';
}

/**
 * Where the time of one classify()/classifyBatch() call went, in milliseconds
 * (see {@link Model.lastTiming}). For choosing hardware and finding bottlenecks.
 */
export interface CallTiming {
  /** Images in the call. */
  batch: number;
  /** The whole call, as the results' `time` reports it (in seconds there). */
  totalMs: number;
  /** Reading inputs (files, base64) and decoding on the CPU with sharp; 0 for raw frames. */
  decodeMs: number;
  /** The native request as seen from JavaScript: waiting in the model's queue, its batch's run, the hand-back. */
  nativeMs: number;
  /** Inside the native call: host time preparing the input (CPU preprocessing, copies into pinned staging, GPU decode set-up). */
  prepareMs: number;
  /** Inside the native call: the rest (transfers, GPU preprocessing, inference, read-back, activation). */
  computeMs: number;
  /** Building the result objects. */
  resultMs: number;
  /** Where the images were decoded: 'gpu' (nvJPEG), 'cpu' (sharp) or 'none' (raw frames). */
  decodedOn: 'cpu' | 'gpu' | 'none';
}

/** What this binary was built with and can use now. */
export interface BuildInfo {
  /** libtorch version the addon was built against. */
  torch: string;
  /** The CUDA kernels were compiled in. */
  cuda: boolean;
  /** GPU JPEG decoding (nvJPEG) was compiled in. */
  nvjpeg: boolean;
  /** libtorch sees a usable CUDA GPU now. */
  cudaAvailable: boolean;
  /** The TensorRT backend was compiled in (it also needs the libraries of its TensorRT major at run time). */
  tensorrt: boolean;
  /** The major of the TensorRT headers the backend was compiled against (10 or 11); null without the backend. */
  tensorrtBuiltMajor: number | null;
  /**
   * libnvinfer.so.<major> and libnvonnxparser.so.<major> were found (dlopen) and are that TensorRT: the
   * backend's major, or with no backend compiled in, 10 or 11.
   */
  tensorrtAvailable: boolean;
  /** Version of the TensorRT found, e.g. "10.16.0"; null when none is available. */
  tensorrtVersion: string | null;
  /** The library found, e.g. "libnvinfer.so.11" (also when it is not the backend's major); null when none. */
  tensorrtLibrary: string | null;
  /** Why TensorRT is not available, and how to install it. */
  tensorrtError?: string;
  /** The onnxruntime backend was compiled in (with ONNX Runtime's C API headers; the library comes at run time). */
  onnxruntime: boolean;
  /** The C API version the backend was compiled against (ORT_API_VERSION, e.g. 21); null without the backend. */
  onnxruntimeApiVersion: number | null;
  /** The backend is compiled in and a library serving its C API version was found. */
  onnxruntimeAvailable: boolean;
  /** Version of the ONNX Runtime library found, e.g. "1.30.0"; null when none was opened. */
  onnxruntimeVersion: string | null;
  /** The library file opened (e.g. onnxruntime-node's bin/napi-v6/linux/x64/libonnxruntime.so.1); null when none. */
  onnxruntimeLibrary: string | null;
  /** Why the onnxruntime backend is not available: each place tried and what it held, and the ways to provide it. */
  onnxruntimeError?: string;
  /** Backends compiled in: 'torch', 'onnxruntime' with ONNX Runtime's headers, 'tensorrt' with TensorRT's. */
  backends: string[];
  /**
   * libtorch's CPU allocator, which keeps freed blocks of 1 MiB and more for the next batch instead of
   * handing them back to the kernel (see the README's "CPU memory between batches"). Installed at the
   * first model load; the counters are the process's.
   */
  cpuCache: {
    /** Installed: a model has loaded and EDGE_CLASSIFY_CPU_CACHE_MB is not 0. */
    enabled: boolean;
    /** 'default', 'EDGE_CLASSIFY_CPU_CACHE_MB', or why libtorch keeps its own allocator. */
    from: string;
    /** The most bytes kept free (EDGE_CLASSIFY_CPU_CACHE_MB, default 512 MiB; 0 when off); past it the oldest kept blocks are freed. */
    capBytes: number;
    /** Bytes kept free for reuse now; each dispose() of a libtorch model frees them all. */
    cachedBytes: number;
    /** Bytes of large blocks in use by tensors now. */
    liveBytes: number;
    /** Large allocations served from the kept blocks, and those that allocated. */
    hits: number;
    misses: number;
  };
  /** The process's compute threads and why (see the README's "Threads and priority"). */
  threads: {
    /** CPUs the process may use: its affinity mask, capped by a cgroup CPU quota. */
    cores: number;
    coresFrom: 'affinity' | 'cgroup v2 cpu.max' | 'cgroup v1 cfs quota' | 'hardware';
    /** libtorch intra-op threads and CPU preprocessing threads (one budget): `cores`, or EDGE_CLASSIFY_THREADS. */
    threads: number;
    threadsFrom: 'cores' | 'EDGE_CLASSIFY_THREADS';
    /**
     * The time slice the JS thread asked the kernel for, in µs (0: left alone), and why: a waking JS
     * thread with a shorter slice than the compute thread on its core preempts it at once (Linux 6.12+;
     * older kernels ignore it), with no priority over it. `EDGE_CLASSIFY_JS_SLICE_US` (default 100, the shortest; 0 = off).
     */
    jsSliceUs: number;
    jsSliceFrom: string;
    /**
     * Niceness of the torch thread's normal lane and the compute threads it starts: 0 by default
     * (`EDGE_CLASSIFY_NICE`, 0..19). CPU batches run there while other processes use the cores.
     * The JS thread keeps its own niceness.
     */
    niceness: number;
    nicenessFrom: 'default' | 'EDGE_CLASSIFY_NICE';
    /**
     * Niceness of the quiet lane, where CPU batches run while no other process uses the cores, so that
     * this process's JS and decoding threads preempt the compute team at once: 10 by default
     * (`EDGE_CLASSIFY_QUIET_NICE`, 0..19). Setting `EDGE_CLASSIFY_NICE` alone makes it equal to
     * `niceness`: one lane.
     */
    quietNiceness: number;
    quietNicenessFrom: 'default' | 'EDGE_CLASSIFY_QUIET_NICE' | 'EDGE_CLASSIFY_NICE';
    /** OMP_WAIT_POLICY as libtorch's OpenMP runtime saw it when it loaded; 'default' when unset (spin a while, then sleep). */
    waitPolicy: string;
    /**
     * Whether the CPU team follows the cores other work leaves free (true on Linux unless EDGE_CLASSIFY_THREADS fixes
     * `threads`, or there is one thread); decided at most every 200 ms before a CPU batch. A model's `threads` option
     * fixes that model's team.
     */
    adaptive: boolean;
    /** The team the next CPU batch uses: 1..`threads`. */
    team: number;
    /** Cores other work (other processes, this one's decoding) took from the team while its batches ran, at the last decision. */
    takenCores: number;
    /** Cores of `cores` that stayed idle over the last decision's interval. */
    idleCores: number;
    /** How often `team` changed. */
    teamChanges: number;
    /** Whether there is a quiet lane to choose: `quietNiceness` above `niceness`, and the kernel's counters readable (Linux). */
    quietLane: boolean;
    /**
     * The lane the next CPU batch runs on: 'quiet' after a sample in which other processes used under 0.1 of a core,
     * 'normal' again from 0.25 of a core on (at most every 200 ms, before a CPU batch). Always 'normal' without a quiet lane.
     */
    lane: 'normal' | 'quiet';
    /** Cores other processes used on `cores` over the last sample (CPU busy time less this process's); null before the first. */
    othersCores: number | null;
    /** How often `lane` changed. */
    laneChanges: number;
  };
  /** Path of the loaded `.node` file. */
  binary: string;
}
