/**
 * Model: a loaded classifier, and the call path of every call on it — input (input/) -> a request on
 * the model's native scheduler -> Roboflow result (results/). Loading is in load.ts, counters in
 * stats.ts. Decoding (sharp) and all native work run off the event loop; every method returns a
 * Promise and rejects with a typed error.
 */
import { performance } from 'node:perf_hooks';
import { gpuBatch } from './backends/gpu-decode';
import { CallControl } from './control';
import { DisposedError, fromNative } from './errors';
import { toFrame } from './input/decode';
import { toSources, type Source } from './input/source';
import { loadParts, type LoadedModel } from './load';
import type { NativeFrame, NativeModel, NativeReply, NativeResultSpec } from './native/binding';
import { MAX_BATCH_SIZE } from './options/batching';
import { classifyOptions, controlOptions, type Disabled } from './options/call';
import { integer, invalid } from './options/validate';
import { pace } from './pace';
import { resultObjects, resultsJson, resultSpec, type ResultContext, type ResultLabels } from './results/compact';
import { CallStats } from './stats';
import type { CallTiming, ClassifyJsonOptions, ClassifyOptions, ImageInput, LoadOptions, ModelInfo, ModelStats, PreprocessedBatch, ResultFor, Task } from './types';

type Size = { width: number; height: number };
const NONE_DISABLED: Disabled = { mask: 0, autoOrient: false };
/** One batch's native reply, the images' sizes and where its time went (the call path fills in the rest). */
type Inferred = { out: NativeReply; sizes: Size[]; timing: Pick<CallTiming, 'decodeMs' | 'decodedOn' | 'nativeMs' | 'prepareMs' | 'computeMs'> };

function rows(out: { scores: Float64Array; rows: number; cols: number }): Float64Array[] {
  return Array.from({ length: out.rows }, (_, r) => out.scores.subarray(r * out.cols, (r + 1) * out.cols));
}

function nonEmpty(images: unknown): void {
  if (!Array.isArray(images) || images.length === 0) throw invalid('images', 'a non-empty array of images', images);
}

/**
 * A loaded model. `T` is its task when known to TypeScript (from `loadModel(path, { task })` or
 * {@link Model.is}): classify() then returns that task's result type.
 */
export class Model<T extends Task = Task> {
  readonly #native: NativeModel;
  readonly #info: ModelInfo;
  readonly #labels: ResultLabels;
  readonly #pixelLimit: number;
  readonly #gpuDecode: boolean;
  readonly #maxBatchSize: number;
  /** EXIF orientation applied when decoding (a Roboflow package may say not to). */
  readonly #autoOrient: boolean;
  readonly #stats = new CallStats();
  #disposed = false;
  /** Settles once the native scheduler has freed the backend and its memory. */
  #released: Promise<void> = Promise.resolve();
  #lastTiming: CallTiming | undefined;

  private constructor(parts: LoadedModel) {
    this.#native = parts.native;
    this.#info = parts.info;
    this.#labels = parts.labels;
    this.#pixelLimit = parts.pixelLimit;
    const steps = parts.info.metadata.preprocessing;
    // GPU decoding only for models without Roboflow steps (the steps read host pixels: roboflow_steps.h)
    this.#gpuDecode = parts.gpuDecode && steps === undefined;
    this.#autoOrient = steps?.auto_orient ?? true;
    this.#maxBatchSize = parts.maxBatchSize;
  }

  /** Loads a model (file, or folder holding one) and its metadata: see load.ts and {@link LoadOptions}. */
  static async load<K extends Task = Task>(modelPath: string, options?: LoadOptions<K>): Promise<Model<K>> {
    return new Model<K>(await loadParts(modelPath, options));
  }

  /** What the model is, where it runs and how it is fed. */
  get info(): ModelInfo {
    return this.#info;
  }

  /** The model's task, from its metadata. */
  get task(): T {
    return this.#info.metadata.task as T;
  }

  /** Whether the model's task is `task`; narrows the model's type (and so its results' type) when true. */
  is<K extends Task>(task: K): this is Model<K> {
    return this.#info.metadata.task === task;
  }

  /** Stage timings of the most recent classify()/classifyBatch() that succeeded (undefined before the first). */
  get lastTiming(): CallTiming | undefined {
    return this.#lastTiming;
  }

  /** Classifies one image. */
  async classify(image: ImageInput, options?: ClassifyOptions): Promise<ResultFor<T>> {
    const [result] = await this.#run([image], options, 'image', false);
    return result;
  }

  /** Classifies several images as one batch; results are in input order. */
  async classifyBatch(images: readonly ImageInput[], options?: ClassifyOptions): Promise<ResultFor<T>[]> {
    nonEmpty(images);
    return this.#run(images, options, 'images', false);
  }

  /**
   * classify(), answered as the result's JSON bytes — exactly `JSON.stringify(await classify(image,
   * options))`, written from the native results without building the object (what a server sends).
   * `inferenceId` replaces the generated one.
   */
  async classifyJson(image: ImageInput, options?: ClassifyJsonOptions): Promise<Buffer> {
    const { inferenceId, ...rest } = options ?? {};
    if (inferenceId !== undefined && typeof inferenceId !== 'string') throw invalid('options.inferenceId', 'a string', inferenceId);
    const [pieces] = await this.#run([image], rest, 'image', true, [inferenceId]);
    return Buffer.concat(pieces);
  }

  /**
   * The model's outputs for each image, in output order, after the metadata's activation (none for
   * `output: 'probabilities'`) — for models whose outputs are not class scores, e.g. image embeddings.
   * Goes through the batcher like classify(); `signal` and `timeoutMs` as there.
   */
  async outputs(images: readonly ImageInput[], options?: Pick<ClassifyOptions, 'signal' | 'timeoutMs'>): Promise<Float64Array[]> {
    nonEmpty(images);
    const { signal, timeoutMs } = controlOptions(options);
    this.#live();
    const control = CallControl.of(signal, timeoutMs);
    const start = performance.now();
    const work = async () => {
      const { out } = await this.#infer(await this.#resolve(images, 'images', control), control, NONE_DISABLED, undefined);
      await pace();
      this.#stats.succeeded(performance.now() - start, out.queuedMs);
      return rows(out);
    };
    return this.#stats.track(work(), control);
  }

  /** The preprocessed NCHW tensor of a batch, exactly as the model receives it (for parity checks and debugging). */
  async preprocess(images: readonly ImageInput[]): Promise<PreprocessedBatch> {
    nonEmpty(images);
    this.#live();
    const sources = await toSources(images, 'images', this.#pixelLimit);
    const { width, height } = this.#info.metadata.input;
    const shape: PreprocessedBatch['shape'] = [images.length, 3, height, width];
    const jpegs = gpuBatch(this.#gpuDecode, sources);
    if (jpegs) return { tensor: await this.#nativeCall(() => this.#native.preprocessEncoded(jpegs)), shape, sizes: [], decodedOn: 'gpu' };
    const decoded = await Promise.all(sources.map((s) => toFrame(s, this.#pixelLimit, this.#autoOrient)));
    const tensor = await this.#nativeCall(() => this.#native.preprocess(decoded.map((d) => d.frame)));
    return { tensor, shape, sizes: decoded.map((d) => ({ width: d.frame.width, height: d.frame.height })), decodedOn: 'cpu' };
  }

  /** Runs an NCHW float tensor of `n` images; returns the full-precision confidences of each image in class order. */
  async infer(tensor: Float32Array, n: number): Promise<Float64Array[]> {
    if (!(tensor instanceof Float32Array)) throw invalid('tensor', 'a Float32Array', tensor);
    integer('n', n, 1, 1 << 20);
    this.#live();
    return rows(await this.#nativeCall(() => this.#native.infer(tensor, n)));
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
    for (const n of sizes) await this.#submit(Array(n).fill(frame), false, CallControl.NONE, undefined);
  }

  /** Counters for monitoring: calls, failures, queue depth, batch sizes, latency percentiles. */
  stats(): ModelStats {
    return this.#stats.snapshot(this.#native.queueStats(), this.#disposed ? undefined : this.#native);
  }

  /**
   * Releases the model: calls still queued reject with DisposedError, a batch already running
   * finishes; resolves once every call has settled and the native side has freed the model.
   * Later calls reject with DisposedError.
   */
  async dispose(): Promise<void> {
    if (!this.#disposed) {
      this.#disposed = true;
      this.#released = this.#native.dispose();
    }
    await this.#stats.settled();
    await this.#released;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  #live(): void {
    if (this.#disposed) throw new DisposedError();
  }

  async #nativeCall<R>(work: () => Promise<R>): Promise<R> {
    try {
      return await work();
    } catch (error) {
      throw fromNative(error);
    }
  }

  /** toSources(), raced against the call's control when it has to wait. */
  #resolve(images: readonly ImageInput[], name: string, control: CallControl): Source[] | Promise<Source[]> {
    const sources = toSources(images, name, this.#pixelLimit);
    return sources instanceof Promise ? control.race(sources) : sources;
  }

  /** Queues images on the native scheduler; the call's control can drop them before their batch starts. */
  async #submit(images: NativeFrame[] | Uint8Array[], encoded: boolean, control: CallControl, spec: NativeResultSpec | undefined): Promise<NativeReply> {
    control.check();
    this.#live();
    let request: [Promise<NativeReply>, number];
    try {
      request = this.#native.enqueue(images, encoded, spec);
    } catch (error) {
      throw fromNative(error);
    }
    const [work, id] = request;
    return control.race(work.catch((error: unknown) => Promise.reject(fromNative(error))), () => this.#native.cancel(id));
  }

  /** Decode + preprocess + inference: nvJPEG on the GPU when it applies (falling back to sharp if it fails), else sharp. */
  async #infer(sources: Source[], control: CallControl, disabled: Disabled, spec: NativeResultSpec | undefined): Promise<Inferred> {
    const times = (out: NativeReply, submitted: number) => ({ nativeMs: performance.now() - submitted, prepareMs: out.prepareMs, computeMs: out.runMs - out.prepareMs });
    const start = performance.now();
    const jpegs = gpuBatch(this.#gpuDecode, sources); // JPEGs without an EXIF rotation only: auto-orient changes nothing there
    if (jpegs) {
      try {
        const out = await this.#submit(jpegs, true, control, spec);
        const dims = out.sizes ?? new Int32Array(0);
        const sizes = sources.map((_, i) => ({ width: dims[2 * i], height: dims[2 * i + 1] }));
        return { out, sizes, timing: { decodeMs: 0, decodedOn: 'gpu', ...times(out, start) } };
      } catch (error) {
        if ((error as { code?: string }).code !== 'ERR_DECODE') throw error;
        // nvJPEG refused a file (corrupt, or a JPEG variant it lacks): sharp decodes or explains it.
      }
    }
    const encoded = sources.some((s) => s.kind === 'encoded');
    const autoOrient = this.#autoOrient && !disabled.autoOrient;
    let frames = encoded
      ? (await control.race(Promise.all(sources.map((s) => toFrame(s, this.#pixelLimit, autoOrient, control))))).map((d) => d.frame)
      : sources.map((s) => (s as { frame: NativeFrame }).frame); // raw pixels: nothing to wait for
    if (disabled.mask !== 0) frames = frames.map((f) => ({ ...f, disabled: disabled.mask }));
    const submitted = performance.now();
    const out = await this.#submit(frames, false, control, spec);
    return { out, sizes: frames.map((f) => ({ width: f.width, height: f.height })), timing: { decodeMs: submitted - start, decodedOn: encoded ? 'cpu' : 'none', ...times(out, submitted) } };
  }

  #run(images: readonly ImageInput[], options: ClassifyOptions | undefined, name: string, json: false): Promise<ResultFor<T>[]>;
  #run(images: readonly ImageInput[], options: ClassifyOptions | undefined, name: string, json: true, ids: (string | undefined)[]): Promise<Buffer[][]>;
  #run(images: readonly ImageInput[], options: ClassifyOptions | undefined, name: string, json: boolean, ids?: (string | undefined)[]): Promise<ResultFor<T>[] | Buffer[][]> {
    const start = performance.now();
    const { threshold, fullPrecision, topK, disabled, signal, timeoutMs } = classifyOptions(options, this.#info.numClasses);
    this.#live();
    const control = CallControl.of(signal, timeoutMs);
    const spec = resultSpec(this.task, threshold, fullPrecision, topK, json);
    return this.#stats.track(this.#classify(images, name, start, control, spec, disabled, ids), control);
  }

  async #classify(
    images: readonly ImageInput[],
    name: string,
    start: number,
    control: CallControl,
    spec: NativeResultSpec,
    disabled: Disabled,
    ids: (string | undefined)[] | undefined,
  ): Promise<ResultFor<T>[] | Buffer[][]> {
    const resolved = this.#resolve(images, name, control);
    const sources = resolved instanceof Promise ? await resolved : resolved;
    const sourcesMs = performance.now() - start;
    const { out, sizes, timing } = await this.#infer(sources, control, disabled, spec);
    const end = performance.now();
    const wait = pace();
    if (wait) await wait;
    const building = performance.now();
    const time = (end - start) / 1000;
    const contexts: ResultContext[] = sources.map((source, i) => ({ time, image: sizes[i], imagePath: source.kind === 'encoded' ? source.imagePath : undefined }));
    const results = spec.json ? resultsJson(out.results!, this.#labels, this.task, contexts, ids) : (resultObjects(out.results!, this.#labels, this.task, contexts) as ResultFor<T>[]);
    this.#lastTiming = { batch: images.length, totalMs: end - start, ...timing, decodeMs: timing.decodeMs + sourcesMs, resultMs: performance.now() - building };
    this.#stats.succeeded(end - start, out.queuedMs);
    return results;
  }
}

/** Loads a model: see {@link Model.load}. With `options.task`, the model's results are typed for that task. */
export function loadModel<K extends Task = Task>(modelPath: string, options?: LoadOptions<K>): Promise<Model<K>> {
  return Model.load(modelPath, options);
}
