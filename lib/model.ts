/**
 * Model: a loaded classifier. Decoding (sharp) and all native work run off
 * the event loop; every method returns a Promise and rejects with a typed error.
 */
import { performance } from 'node:perf_hooks';
import { native, type NativeConfig, type NativeFrame, type NativeModel, type NativeReply } from './binding';
import { CallControl } from './control';
import { DisposedError, EdgeClassifyError, fromNative, InvalidOptionError, ModelMismatchError, UnsupportedError } from './errors';
import { expandImages } from './files';
import { DEFAULT_PIXEL_LIMIT, toFrame, toSource, type Source } from './input';
import { gpuDecodable } from './jpeg';
import { completeMetadata, findMetadata, PAD_VALUES, readOnnxProps, resolveModelFile } from './metadata';
import { pace } from './pace';
import { multiLabel, singleLabel } from './result';
import type {
  BatchingOptions,
  CallTiming,
  ClassificationResult,
  ClassifyOptions,
  ImageInput,
  LoadOptions,
  ModelInfo,
  ModelMetadata,
  ModelStats,
  PreprocessedBatch,
} from './types';
import { boolean, integer, invalid, isPlainObject, number, oneOf, optionsObject } from './validate';

const LOAD_KEYS = ['backend', 'workspaceMb', 'calibration', 'cudaStreams', 'device', 'batching', 'threads', 'preprocessThreads', 'optimize', 'precision', 'cudaGraphs', 'channelsLast', 'decode', 'metadata', 'limitInputPixels'] as const;
const CLASSIFY_KEYS = ['confidence', 'fullPrecision', 'signal', 'timeoutMs'] as const;
const BATCHING_KEYS = ['maxBatchSize', 'maxDelayMs', 'maxQueue', 'maxQueuedPixels', 'executors'] as const;
/** The queue's default bound in decoded pixels: one image at the default limitInputPixels. */
const DEFAULT_QUEUED_PIXELS = DEFAULT_PIXEL_LIMIT;
const WINDOW = 1024; // calls kept for latency percentiles
/** The native scheduler's bound (the CUDA kernel's gridDim.y); larger classifyBatch() calls run in chunks of maxBatchSize. */
const MAX_BATCH_SIZE = 65535;

function batchingOptions(value: unknown, onCuda: boolean): Required<BatchingOptions> {
  if (value === false) return { maxBatchSize: 1, maxDelayMs: 0, maxQueue: 4096, maxQueuedPixels: DEFAULT_QUEUED_PIXELS, executors: 0 };
  const o = optionsObject('options.batching', value, BATCHING_KEYS);
  return {
    maxBatchSize: o.maxBatchSize === undefined ? (onCuda ? 64 : 32) : integer('options.batching.maxBatchSize', o.maxBatchSize, 1, MAX_BATCH_SIZE),
    maxDelayMs: o.maxDelayMs === undefined ? 0 : number('options.batching.maxDelayMs', o.maxDelayMs, 0, 60000),
    maxQueue: o.maxQueue === undefined ? 4096 : integer('options.batching.maxQueue', o.maxQueue, 1, 1 << 30),
    maxQueuedPixels: o.maxQueuedPixels === undefined ? DEFAULT_QUEUED_PIXELS : integer('options.batching.maxQueuedPixels', o.maxQueuedPixels, 0, Number.MAX_SAFE_INTEGER),
    executors: o.executors === undefined ? 0 : integer('options.batching.executors', o.executors, 1, 16),
  };
}

/** int8 calibration images, preprocessed as the model will see them (its metadata must be readable before the load). */
async function calibrationTensor(file: string, folder: string, overrides: unknown, pixelLimit: number, preprocessThreads: number) {
  const found = findMetadata(file, null, await readOnnxProps(file));
  const meta = completeMetadata({ ...found.metadata, ...(overrides as Partial<ModelMetadata> | undefined) }, `${file} (${found.source} metadata)`);
  let files: string[];
  try {
    files = (await expandImages([folder])).slice(0, 1000);
  } catch (error) {
    throw new InvalidOptionError(`options.calibration: ${(error as Error).message}`);
  }
  const frames = await Promise.all(files.map(async (f, i) => (await toFrame(await toSource(f, `calibration[${i}]`, pixelLimit), pixelLimit)).frame));
  const tensor = await call(() => native().binding.preprocess(frames, nativeConfig({ ...meta, class_names: [] }, pixelLimit, preprocessThreads)));
  return { calibration: tensor, calibrationImages: files.length };
}

function gpuMemoryOf(nativeModel: NativeModel): { gpuMemory?: { freeBytes: number; totalBytes: number } } {
  const memory = nativeModel.gpuMemory();
  return memory ? { gpuMemory: memory } : {};
}

function percentile(sorted: Float64Array, q: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}
const DEVICE = /^(auto|cpu|cuda(:\d+)?)$/;

function nativeConfig(meta: ModelMetadata, pixelLimit: number, preprocessThreads: number): NativeConfig {
  const bgr = meta.channel_order === 'bgr';
  const perPlane = (v: [number, number, number]): [number, number, number] => (bgr ? [v[2], v[1], v[0]] : [...v]);
  return {
    width: meta.input.width,
    height: meta.input.height,
    resize: meta.resize,
    pad: PAD_VALUES[meta.pad],
    channelOrder: meta.channel_order,
    mean: perPlane(meta.mean),
    std: perPlane(meta.std),
    activation: meta.output === 'probabilities' ? 'none' : meta.task === 'multi-label' ? 'sigmoid' : 'softmax',
    maxPixels: pixelLimit,
    preprocessThreads,
  };
}

async function call<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw fromNative(error);
  }
}

export class Model {
  readonly #native: NativeModel;
  readonly #info: ModelInfo;
  readonly #pixelLimit: number;
  readonly #gpuDecode: boolean;
  readonly #maxBatchSize: number;
  #disposed = false;
  /** Settles once the native scheduler has freed the backend and its memory. */
  #released: Promise<void> = Promise.resolve();
  #lastTiming: CallTiming | undefined;
  readonly #pending = new Set<Promise<unknown>>();
  #calls = 0;
  #succeeded = 0;
  readonly #latencies = new Float64Array(WINDOW);
  readonly #queued = new Float64Array(WINDOW);

  private constructor(nativeModel: NativeModel, info: ModelInfo, pixelLimit: number, gpuDecode: boolean, maxBatchSize: number) {
    this.#maxBatchSize = maxBatchSize;
    this.#native = nativeModel;
    this.#info = info;
    this.#pixelLimit = pixelLimit;
    this.#gpuDecode = gpuDecode;
  }

  /** Loads a TorchScript model (file, or folder holding one) and its metadata. */
  static async load(modelPath: string, options?: LoadOptions): Promise<Model> {
    if (typeof modelPath !== 'string' || modelPath === '') throw invalid('modelPath', 'a non-empty path string', modelPath);
    const o = optionsObject('options', options, LOAD_KEYS);
    const device = o.device === undefined ? 'auto' : o.device;
    if (typeof device !== 'string' || !DEVICE.test(device)) throw invalid('options.device', "'auto', 'cpu', 'cuda' or 'cuda:N'", device);
    const backend = o.backend === undefined ? 'auto' : oneOf('options.backend', o.backend, ['auto', 'torch', 'tensorrt'] as const);
    const threads = o.threads === undefined ? 0 : integer('options.threads', o.threads, 1, 1024);
    const preprocessThreads = o.preprocessThreads === undefined ? 0 : integer('options.preprocessThreads', o.preprocessThreads, 1, 1024);
    const optimize = o.optimize === undefined ? true : boolean('options.optimize', o.optimize);
    const precision = o.precision === undefined ? 'fp32' : oneOf('options.precision', o.precision, ['fp32', 'fp16', 'int8'] as const);
    if (precision === 'int8') {
      if (backend === 'torch') throw new UnsupportedError("precision 'int8' needs backend 'tensorrt' (TensorRT calibrates an int8 engine from an ONNX model)");
      if (typeof o.calibration !== 'string') throw invalid('options.calibration', "a folder of typical images (precision 'int8' calibrates with them)", o.calibration);
    } else if (o.calibration !== undefined) {
      throw new InvalidOptionError("options.calibration is only used with precision 'int8'");
    }
    const cudaGraphs = o.cudaGraphs === undefined ? true : boolean('options.cudaGraphs', o.cudaGraphs);
    const channelsLast = o.channelsLast === undefined ? false : boolean('options.channelsLast', o.channelsLast);
    const cudaStreams = o.cudaStreams === undefined ? 2 : integer('options.cudaStreams', o.cudaStreams, 1, 8);
    const decode = o.decode === undefined ? 'auto' : oneOf('options.decode', o.decode, ['auto', 'cpu', 'gpu'] as const);
    if (o.metadata !== undefined && !isPlainObject(o.metadata)) throw invalid('options.metadata', 'an object', o.metadata);
    if (o.batching !== undefined && o.batching !== false && !isPlainObject(o.batching)) {
      throw invalid('options.batching', 'an object { maxBatchSize, maxDelayMs, maxQueue } or false', o.batching);
    }
    // validated before the (slow) load; TensorRT sizes its optimisation profile by maxBatchSize
    const maxBatchSize = batchingOptions(o.batching ?? {}, backend === 'tensorrt' || device.startsWith('cuda')).maxBatchSize;
    const workspaceMb = o.workspaceMb === undefined ? 1024 : integer('options.workspaceMb', o.workspaceMb, 16, 1 << 20);
    const limit = o.limitInputPixels;
    const pixelLimit = limit === undefined ? DEFAULT_PIXEL_LIMIT : limit === false ? 0 : integer('options.limitInputPixels', limit, 1, Number.MAX_SAFE_INTEGER);

    const { binding } = native();
    const build = binding.buildInfo();
    // 'auto' prefers TensorRT on CUDA when the model folder has an ONNX file and TensorRT is here
    const trtReady = build.tensorrt && build.tensorrtAvailable && build.cudaAvailable && device !== 'cpu';
    const file = resolveModelFile(modelPath, backend === 'tensorrt' || (backend === 'auto' && trtReady));
    const calibration = precision === 'int8' ? await calibrationTensor(file, o.calibration as string, o.metadata, pixelLimit, preprocessThreads) : {};
    const nativeModel = await call(() =>
      binding.loadModel(file, { backend, maxBatchSize, workspaceMb, device, threads, optimize, precision, cudaGraphs, channelsLast, cudaStreams, ...calibration }),
    );
    try {
      if (decode === 'gpu' && !nativeModel.gpuDecode) {
        throw new UnsupportedError(
          `decode: 'gpu' needs a model on a CUDA device and a build with nvJPEG (this model runs on ${nativeModel.device}); use decode: 'auto' or 'cpu'`,
        );
      }
      const found = findMetadata(file, nativeModel.metadata, await readOnnxProps(file));
      const where = found.source === 'options' ? 'loadModel options' : `${file} (${found.source} metadata)`;
      const partial = completeMetadata({ ...found.metadata, ...(o.metadata as Partial<ModelMetadata> | undefined) }, where);
      const config = nativeConfig({ ...partial, class_names: [] }, pixelLimit, preprocessThreads);
      let batching: Required<BatchingOptions>;
      try {
        nativeModel.configure(config);
        batching = batchingOptions(o.batching ?? {}, nativeModel.device.startsWith('cuda'));
        nativeModel.startQueue(batching);
      } catch (error) {
        throw fromNative(error);
      }
      // One warm-up inference tells the number of outputs and catches a wrong input size.
      const probe = await call(() => nativeModel.infer(new Float32Array(3 * partial.input.width * partial.input.height), 1));
      const names = partial.class_names ?? Array.from({ length: probe.cols }, (_, i) => `class_${i}`);
      if (names.length !== probe.cols) {
        throw new ModelMismatchError(
          `${where} lists ${names.length} class names but the model outputs ${probe.cols} values per image; fix "class_names" so that it has one name per output`,
        );
      }
      const metadata: ModelMetadata = { ...partial, class_names: names };
      const info: ModelInfo = {
        path: file,
        backend: nativeModel.backend,
        device: nativeModel.device,
        metadata,
        metadataSource: found.source,
        numClasses: probe.cols,
        threads: nativeModel.device === 'cpu' ? (threads > 0 ? { count: threads, from: 'threads option' } : { count: 'team', from: 'process' }) : undefined,
      };
      return new Model(nativeModel, info, pixelLimit, decode !== 'cpu' && nativeModel.gpuDecode, batching!.maxBatchSize);
    } catch (error) {
      await nativeModel.dispose();
      if (error instanceof EdgeClassifyError && error.code === 'ERR_INFERENCE') {
        throw new ModelMismatchError(`the model does not accept its metadata's input: ${error.message}`, { cause: error });
      }
      throw error;
    }
  }

  /** What the model is, where it runs and how it is fed. */
  get info(): ModelInfo {
    return this.#info;
  }

  /** Stage timings of the most recent classify()/classifyBatch() that succeeded (undefined before the first). */
  get lastTiming(): CallTiming | undefined {
    return this.#lastTiming;
  }

  /** Classifies one image. */
  async classify(image: ImageInput, options?: ClassifyOptions): Promise<ClassificationResult> {
    const [result] = await this.#run([image], options, 'image');
    return result;
  }

  /** Classifies several images as one batch; results are in input order. */
  async classifyBatch(images: readonly ImageInput[], options?: ClassifyOptions): Promise<ClassificationResult[]> {
    if (!Array.isArray(images) || images.length === 0) throw invalid('images', 'a non-empty array of images', images);
    return this.#run(images, options, 'images');
  }

  /** The preprocessed NCHW tensor of a batch, exactly as the model receives it (for parity checks and debugging). */
  async preprocess(images: readonly ImageInput[]): Promise<PreprocessedBatch> {
    if (!Array.isArray(images) || images.length === 0) throw invalid('images', 'a non-empty array of images', images);
    this.#live();
    const sources = await this.#sources(images, 'images');
    const { width, height } = this.#info.metadata.input;
    const shape: PreprocessedBatch['shape'] = [images.length, 3, height, width];
    if (this.#onGpu(sources)) {
      const tensor = await call(() => this.#native.preprocessEncoded(sources.map((s) => (s as { bytes: Uint8Array }).bytes)));
      return { tensor, shape, sizes: [], decodedOn: 'gpu' };
    }
    const decoded = await Promise.all(sources.map((s) => toFrame(s, this.#pixelLimit)));
    const tensor = await call(() => this.#native.preprocess(decoded.map((d) => d.frame)));
    return { tensor, shape, sizes: decoded.map((d) => ({ width: d.frame.width, height: d.frame.height })), decodedOn: 'cpu' };
  }

  /** Runs an NCHW float tensor of `n` images; returns the full-precision confidences of each image in class order. */
  async infer(tensor: Float32Array, n: number): Promise<Float64Array[]> {
    if (!(tensor instanceof Float32Array)) throw invalid('tensor', 'a Float32Array', tensor);
    integer('n', n, 1, 1 << 20);
    this.#live();
    const out = await call(() => this.#native.infer(tensor, n));
    return rows(out);
  }

  /**
   * Releases the model: calls still queued reject with DisposedError, a batch already running
   * finishes; resolves once every call has settled. Later calls reject with DisposedError.
   */
  async dispose(): Promise<void> {
    if (!this.#disposed) {
      this.#disposed = true;
      this.#released = this.#native.dispose();
    }
    await Promise.allSettled([...this.#pending]);
    await this.#released;
  }

  /**
   * Runs blank images through the whole path at these batch sizes (default: 1 and the batching
   * maxBatchSize) so that the first real calls do not pay for lazy initialisation, cuDNN autotuning or
   * CUDA-graph capture. Not counted as calls in stats() (its batches are).
   */
  async warmup(batchSizes?: readonly number[]): Promise<void> {
    const sizes = batchSizes ?? [...new Set([1, this.#maxBatchSize])];
    if (!Array.isArray(sizes) || sizes.length === 0) throw invalid('batchSizes', 'a non-empty array of batch sizes', batchSizes);
    sizes.forEach((n, i) => integer(`batchSizes[${i}]`, n, 1, MAX_BATCH_SIZE));
    this.#live();
    const { width, height } = this.#info.metadata.input;
    const frame = { data: new Uint8Array(width * height * 3), width, height, format: 'rgb' as const };
    for (const n of sizes) {
      await this.#submit(Array(n).fill(frame), false, CallControl.NONE);
    }
  }

  /** Counters for monitoring: calls, failures, queue depth, batch sizes, latency percentiles. */
  stats(): ModelStats {
    const q = this.#native.queueStats();
    const n = Math.min(this.#succeeded, WINDOW);
    const latencies = this.#latencies.slice(0, n).sort();
    let queued = 0;
    for (let i = 0; i < n; i++) queued += this.#queued[i];
    return {
      calls: this.#calls,
      succeeded: this.#succeeded,
      failed: this.#calls - this.#succeeded - this.#pending.size,
      inFlight: this.#pending.size,
      queuedImages: q?.queuedImages ?? 0,
      queuedRequests: q?.queuedRequests ?? 0,
      batches: q?.batches ?? 0,
      images: q?.images ?? 0,
      batchSizes: { ...(q?.batchSizes ?? {}) },
      latencyMs: { p50: percentile(latencies, 0.5), p90: percentile(latencies, 0.9), p99: percentile(latencies, 0.99), max: n ? latencies[n - 1] : 0, samples: n },
      meanQueuedMs: n ? queued / n : 0,
      scheduler: {
        requests: q?.completed ?? 0,
        succeeded: q?.succeeded ?? 0,
        failed: q?.failed ?? 0,
        queueMsTotal: q?.queueMsTotal ?? 0,
        computeMsTotal: q?.computeMsTotal ?? 0,
        executions: q?.executions ?? 0,
        queuedPixels: q?.queuedPixels ?? 0,
      },
      ...(this.#disposed ? {} : gpuMemoryOf(this.#native)),
    };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  #live(): void {
    if (this.#disposed) throw new DisposedError();
  }

  /** Each input resolved; synchronously unless a string may name a file (no promise on the hot path). */
  #sources(images: readonly ImageInput[], name: string): Source[] | Promise<Source[]> {
    const single = name === 'image';
    const sources: (Source | Promise<Source>)[] = [];
    let pending = false;
    try {
      for (let i = 0; i < images.length; i++) {
        const source = toSource(images[i], single ? name : `${name}[${i}]`, this.#pixelLimit);
        pending ||= source instanceof Promise;
        sources.push(source);
      }
    } catch (error) {
      for (const s of sources) if (s instanceof Promise) s.catch(() => undefined); // settles later; nobody waits for it
      throw error;
    }
    return pending ? Promise.all(sources) : (sources as Source[]);
  }

  /** #sources, raced against the call's control when it has to wait. */
  #resolve(images: readonly ImageInput[], name: string, control: CallControl): Source[] | Promise<Source[]> {
    const sources = this.#sources(images, name);
    return sources instanceof Promise ? control.race(sources) : sources;
  }

  /** GPU decoding applies when the model has it and every image is a JPEG nvJPEG decodes as sharp would. */
  #onGpu(sources: Source[]): boolean {
    return this.#gpuDecode && sources.every((s) => s.kind === 'encoded' && gpuDecodable(s.bytes));
  }

  /** Queues images in the native batcher; the call's control can drop them before their batch starts. */
  async #submit(images: NativeFrame[] | Uint8Array[], encoded: boolean, control: CallControl): Promise<NativeReply> {
    control.check();
    this.#live();
    let request: [Promise<NativeReply>, () => void];
    try {
      request = this.#native.enqueue(images, encoded);
    } catch (error) {
      throw fromNative(error);
    }
    const [work, cancel] = request;
    return control.race(work.catch((error: unknown) => Promise.reject(fromNative(error))), cancel);
  }

  /** Decode + preprocess + inference: nvJPEG on the GPU when it applies (falling back to sharp if it fails), else sharp. */
  async #infer(sources: Source[], control: CallControl): Promise<{ out: NativeReply; sizes: { width: number; height: number }[]; timing: Omit<CallTiming, 'batch' | 'totalMs' | 'resultMs'> }> {
    const times = (out: NativeReply, submitted: number) => ({ nativeMs: performance.now() - submitted, prepareMs: out.prepareMs, computeMs: out.nativeMs - out.prepareMs });
    const start = performance.now();
    if (this.#onGpu(sources)) {
      try {
        const out = await this.#submit(sources.map((s) => (s as { bytes: Uint8Array }).bytes), true, control);
        const dims = out.sizes ?? new Int32Array(0);
        const sizes = sources.map((_, i) => ({ width: dims[2 * i], height: dims[2 * i + 1] }));
        return { out, sizes, timing: { decodeMs: 0, decodedOn: 'gpu', ...times(out, start) } };
      } catch (error) {
        if ((error as { code?: string }).code !== 'ERR_DECODE') throw error;
        // nvJPEG refused a file (corrupt, or a JPEG variant it lacks): sharp decodes or explains it.
      }
    }
    const encoded = sources.some((s) => s.kind === 'encoded');
    const frames = encoded
      ? (await control.race(Promise.all(sources.map((s) => toFrame(s, this.#pixelLimit))))).map((d) => d.frame)
      : sources.map((s) => (s as { frame: NativeFrame }).frame); // raw pixels: nothing to wait for
    const submitted = performance.now();
    const out = await this.#submit(frames, false, control);
    return { out, sizes: frames.map((f) => ({ width: f.width, height: f.height })), timing: { decodeMs: submitted - start, decodedOn: encoded ? 'cpu' : 'none', ...times(out, submitted) } };
  }

  async #run(images: readonly ImageInput[], options: ClassifyOptions | undefined, name: string): Promise<ClassificationResult[]> {
    const start = performance.now();
    const o = optionsObject('options', options, CLASSIFY_KEYS);
    const threshold = o.confidence === undefined ? undefined : number('options.confidence', o.confidence, 0, 1);
    const fullPrecision = o.fullPrecision === undefined ? false : boolean('options.fullPrecision', o.fullPrecision);
    if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw invalid('options.signal', 'an AbortSignal', o.signal);
    const timeoutMs = o.timeoutMs === undefined ? undefined : number('options.timeoutMs', o.timeoutMs, 0, 2 ** 31 - 1);
    this.#live();
    const control = CallControl.of(o.signal as AbortSignal | undefined, timeoutMs);
    return this.#track(this.#classify(images, name, start, control, threshold, fullPrecision), control);
  }

  /** Counts a call and keeps it in #pending until it settles (dispose() waits for these). */
  #track<T>(work: Promise<T>, control: CallControl): Promise<T> {
    const call = work.finally(() => {
      control.dispose();
      this.#pending.delete(call);
    });
    this.#calls++;
    this.#pending.add(call);
    return call;
  }

  /**
   * The model's outputs for each image, in output order, after the metadata's activation (none for
   * `output: 'probabilities'`) — for models whose outputs are not class scores, e.g. image embeddings.
   * Goes through the batcher like classify(); `signal` and `timeoutMs` as there.
   */
  async outputs(images: readonly ImageInput[], options?: Pick<ClassifyOptions, 'signal' | 'timeoutMs'>): Promise<Float64Array[]> {
    if (!Array.isArray(images) || images.length === 0) throw invalid('images', 'a non-empty array of images', images);
    const o = optionsObject('options', options, ['signal', 'timeoutMs'] as const);
    if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw invalid('options.signal', 'an AbortSignal', o.signal);
    const timeoutMs = o.timeoutMs === undefined ? undefined : number('options.timeoutMs', o.timeoutMs, 0, 2 ** 31 - 1);
    this.#live();
    const control = CallControl.of(o.signal as AbortSignal | undefined, timeoutMs);
    const start = performance.now();
    return this.#track(
      (async () => {
        const sources = await this.#resolve(images, 'images', control);
        const { out } = await this.#infer(sources, control);
        await pace();
        this.#recordSuccess(performance.now() - start, out.queuedMs);
        return rows(out);
      })(),
      control,
    );
  }

  async #classify(
    images: readonly ImageInput[],
    name: string,
    start: number,
    control: CallControl,
    threshold: number | undefined,
    fullPrecision: boolean,
  ): Promise<ClassificationResult[]> {
    const resolved = this.#resolve(images, name, control);
    const sources = resolved instanceof Promise ? await resolved : resolved;
    const sourcesMs = performance.now() - start;
    const { out, sizes, timing } = await this.#infer(sources, control);
    const end = performance.now();
    const wait = pace();
    if (wait) await wait;
    const building = performance.now();
    const time = (end - start) / 1000;
    const { class_names: names, task } = this.#info.metadata;
    const results = rows(out).map((scores, i) => {
      const source = sources[i];
      const common = { time, image: sizes[i], imagePath: source.kind === 'encoded' ? source.imagePath : undefined };
      return task === 'multi-label'
        ? multiLabel(scores, names, common, threshold ?? 0.5)
        : singleLabel(scores, names, common, threshold, fullPrecision);
    });
    this.#lastTiming = {
      batch: images.length,
      totalMs: end - start,
      ...timing,
      decodeMs: timing.decodeMs + sourcesMs,
      resultMs: performance.now() - building,
    };
    this.#recordSuccess(end - start, out.queuedMs);
    return results;
  }

  /** A call succeeded: its latency and queueing time go into the window of stats(). */
  #recordSuccess(latencyMs: number, queuedMs: number): void {
    const slot = this.#succeeded++ % WINDOW;
    this.#latencies[slot] = latencyMs;
    this.#queued[slot] = queuedMs;
  }
}

function rows(out: { scores: Float64Array; rows: number; cols: number }): Float64Array[] {
  return Array.from({ length: out.rows }, (_, r) => out.scores.subarray(r * out.cols, (r + 1) * out.cols));
}

/** Loads a model: see {@link Model.load}. */
export function loadModel(modelPath: string, options?: LoadOptions): Promise<Model> {
  return Model.load(modelPath, options);
}
