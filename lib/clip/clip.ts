/**
 * CLIP zero-shot classification: an image against any list of text labels, no training. A CLIP package
 * (scripts/models/export_clip.py) holds the image and text encoders as TorchScript, CLIP's BPE
 * vocabulary and clip.json. Images go through the same preprocessing code and dynamic batcher as
 * classifiers (resize the shortest side, center crop, CLIP's mean/std); text is tokenised here, token
 * for token as open_clip does, and text embeddings are cached per label.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { native, type NativeModel } from '../native/binding';
import { ClipTokenizer } from './tokenizer';
import { CallControl } from '../control';
import { ByteLru } from './lru';
import { fromNative, InvalidOptionError, ModelLoadError } from '../errors';
import { loadModel, type Model } from '../model';
import type { BatchingOptions, Device, ImageInput } from '../types';
import { controlOptions } from '../options/call';
import { integer, invalid, isPlainObject, oneOf, optionsObject } from '../options/validate';

/** clip.json, written by the export script. */
export interface ClipConfig {
  arch: string;
  embed_dim: number;
  image_size: number;
  mean: [number, number, number];
  std: [number, number, number];
  context_length: number;
  logit_scale: number;
  image: string;
  text: string;
  vocab: string;
}

export interface ClipLoadOptions {
  device?: Device;
  precision?: 'fp32' | 'fp16';
  batching?: BatchingOptions | false;
  /** Most labels in one classify() call. Default 1000. */
  maxLabels?: number;
  /**
   * Longest label or text, in characters, checked before tokenizing (on the calling thread, in slices of ~2 ms). CLIP reads
   * 77 tokens — a few hundred characters of prose —, so longer text only costs time. Default 1000.
   */
  maxTextChars?: number;
  /** Largest image in pixels, `false` for none; as for loadModel. */
  limitInputPixels?: number | false;
  /** Bytes of text embeddings (and their prompts) kept for reuse, least recently used dropped first. Default 16 MiB. */
  textCacheBytes?: number;
}

/** Options of one comparison: as for Model.classify(). */
export interface ClipCallOptions {
  signal?: AbortSignal;
  /** Milliseconds for the whole call (queueing included); rejects with TimeoutError after. */
  timeoutMs?: number;
}

/** The `/clip/compare` response of Roboflow's API, plus the best label and softmax probabilities. */
export interface ClipResult {
  inference_id: string;
  /** Seconds. */
  time: number;
  /** Cosine similarity of the image and each prompt, in prompt order. */
  similarity: number[];
  /** The prompt with the highest similarity. */
  top: string;
  /** softmax(logit_scale × similarity), in prompt order. */
  predictions: { class: string; class_id: number; confidence: number }[];
}

/** The cosine similarity of two L2-normalised embeddings (their dot product). */
export function similarityOf(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i] * b[i];
  return dot;
}

function normalize(v: ArrayLike<number>): Float32Array {
  let norm = 0;
  for (let i = 0; i < v.length; i++) norm += v[i] * v[i];
  const scale = 1 / Math.sqrt(norm || 1);
  return Float32Array.from(v, (x) => x * scale);
}

function labelsOf(labels: unknown, max: number, maxChars: number): string[] {
  if (!Array.isArray(labels) || labels.length === 0) throw invalid('labels', 'a non-empty array of strings', labels);
  if (labels.length > max) throw new InvalidOptionError(`${labels.length} labels is over the limit of ${max} (maxLabels)`);
  labels.forEach((l, i) => {
    if (typeof l !== 'string' || l.trim() === '') throw new InvalidOptionError(`labels[${i}] must be a non-empty string, got ${JSON.stringify(l).slice(0, 80)}`);
    if (l.length > maxChars) {
      throw new InvalidOptionError(`labels[${i}] is ${l.length} characters, over the limit of ${maxChars} (maxTextChars): CLIP reads 77 tokens, a few hundred characters`);
    }
  });
  return labels as string[];
}

export class Clip {
  readonly #image: Model;
  readonly #text: NativeModel;
  readonly #tokenizer: ClipTokenizer;
  readonly #cache: ByteLru<Float32Array>;
  readonly #maxLabels: number;
  readonly #maxTextChars: number;
  readonly config: ClipConfig;

  private constructor(image: Model, text: NativeModel, tokenizer: ClipTokenizer, config: ClipConfig, limits: { maxLabels: number; maxTextChars: number; cacheBytes: number }) {
    const { maxLabels, maxTextChars, cacheBytes } = limits;
    this.#maxTextChars = maxTextChars;
    this.#cache = new ByteLru(cacheBytes);
    this.#image = image;
    this.#text = text;
    this.#tokenizer = tokenizer;
    this.config = config;
    this.#maxLabels = maxLabels;
  }

  /** Loads a CLIP package folder (clip.json, image.torchscript, text.torchscript, the BPE vocabulary). */
  static async load(dir: string, options?: ClipLoadOptions): Promise<Clip> {
    if (typeof dir !== 'string' || dir === '') throw invalid('dir', 'a CLIP package folder', dir);
    const o = optionsObject('options', options, ['device', 'precision', 'batching', 'maxLabels', 'maxTextChars', 'limitInputPixels', 'textCacheBytes'] as const);
    const maxTextChars = o.maxTextChars === undefined ? 1000 : integer('options.maxTextChars', o.maxTextChars, 1, Number.MAX_SAFE_INTEGER);
    const cacheBytes = o.textCacheBytes === undefined ? 16 << 20 : integer('options.textCacheBytes', o.textCacheBytes, 0, Number.MAX_SAFE_INTEGER);
    const file = path.join(dir, 'clip.json');
    if (!existsSync(file)) throw new ModelLoadError(`${dir} is not a CLIP package: no clip.json (make one with scripts/models/export_clip.py)`);
    let config: ClipConfig;
    try {
      config = JSON.parse(readFileSync(file, 'utf8')) as ClipConfig;
    } catch (error) {
      throw new ModelLoadError(`invalid JSON in ${file}: ${(error as Error).message}`, { cause: error });
    }
    if (!isPlainObject(config) || typeof config.image !== 'string' || typeof config.text !== 'string' || typeof config.vocab !== 'string' || !(config.logit_scale > 0)) {
      throw new ModelLoadError(`${file} lacks image, text, vocab or logit_scale`);
    }
    const maxLabels = o.maxLabels === undefined ? 1000 : Number(o.maxLabels);
    if (!Number.isInteger(maxLabels) || maxLabels < 1) throw invalid('options.maxLabels', 'a positive integer', o.maxLabels);
    const precision = o.precision === undefined ? 'fp32' : oneOf('options.precision', o.precision, ['fp32', 'fp16'] as const);
    const device = (o.device ?? 'auto') as Device;
    const tokenizer = new ClipTokenizer(path.join(dir, config.vocab), config.context_length);
    const image = await loadModel(path.join(dir, config.image), {
      device,
      precision,
      batching: o.batching as BatchingOptions | false | undefined,
      limitInputPixels: o.limitInputPixels as number | false | undefined,
      metadata: { resize: 'center-crop', output: 'probabilities', mean: config.mean, std: config.std, input: { width: config.image_size, height: config.image_size } },
    });
    try {
      const { binding } = native();
      const text = await binding
        .loadModel(path.join(dir, config.text), { backend: 'torch', maxBatchSize: 64, workspaceMb: 1024, device: image.info.device, threads: 0, optimize: true, precision, cudaGraphs: false, channelsLast: false })
        .catch((error: unknown) => Promise.reject(fromNative(error)));
      return new Clip(image, text, tokenizer, config, { maxLabels, maxTextChars, cacheBytes });
    } catch (error) {
      await image.dispose();
      throw error;
    }
  }

  /** Most labels (prompts) in one comparison. */
  get maxLabels(): number {
    return this.#maxLabels;
  }

  /** Checks prompts or texts against the limits (count, length) before any work; InvalidOptionError otherwise. */
  checkLabels(labels: readonly string[]): void {
    labelsOf(labels, this.#maxLabels, this.#maxTextChars);
  }

  /** Where the encoders run. */
  get device(): string {
    return this.#image.info.device;
  }

  /** The image tensor exactly as the image encoder receives it (for parity checks). */
  preprocess(images: readonly ImageInput[]): ReturnType<Model['preprocess']> {
    return this.#image.preprocess(images);
  }

  /** L2-normalised image embeddings, one per image (through the image encoder's batcher). */
  async embedImage(images: readonly ImageInput[], options?: ClipCallOptions): Promise<Float32Array[]> {
    return (await this.#image.outputs(images, options)).map(normalize);
  }

  /** L2-normalised text embeddings, one per text; kept in a cache bounded in bytes (textCacheBytes). */
  async embedText(texts: readonly string[], options?: ClipCallOptions): Promise<Float32Array[]> {
    labelsOf(texts, Number.MAX_SAFE_INTEGER, this.#maxTextChars);
    const found = new Map<string, Float32Array>();
    for (const t of texts) {
      const hit = this.#cache.get(t);
      if (hit) found.set(t, hit);
    }
    const missing = [...new Set(texts.filter((t) => !found.has(t)))];
    if (missing.length > 0) {
      const { signal, timeoutMs } = controlOptions(options);
      const control = CallControl.of(signal, timeoutMs);
      let out;
      try {
        const ids = await this.#tokenizer.tokenizeSliced(missing, 2, () => control.check()); // stops when the call does
        out = await control.race(this.#text.runTokens(ids, missing.length));
      } catch (error) {
        throw fromNative(error);
      } finally {
        control.dispose();
      }
      missing.forEach((t, i) => {
        const embedding = normalize(out.scores.subarray(i * out.cols, (i + 1) * out.cols));
        found.set(t, embedding);
        this.#cache.set(t, embedding, embedding.byteLength + 2 * t.length + 64);
      });
    }
    return texts.map((t) => found.get(t)!);
  }

  /** Bytes and entries held by the text-embedding cache. */
  get textCache(): { bytes: number; entries: number; maxBytes: number } {
    return { bytes: this.#cache.bytes, entries: this.#cache.size, maxBytes: this.#cache.maxBytes };
  }

  /** Compares an image with text prompts: similarity per prompt, the best prompt, softmax probabilities. */
  async classify(image: ImageInput, labels: readonly string[], options?: ClipCallOptions): Promise<ClipResult> {
    const start = performance.now();
    const prompts = labelsOf(labels, this.#maxLabels, this.#maxTextChars);
    const [[imageEmbedding], textEmbeddings] = await Promise.all([this.embedImage([image], options), this.embedText(prompts, options)]);
    const similarity = textEmbeddings.map((t) => similarityOf(t, imageEmbedding));
    const logits = similarity.map((s) => s * this.config.logit_scale);
    const max = Math.max(...logits);
    const exps = logits.map((l) => Math.exp(l - max));
    const sum = exps.reduce((a, b) => a + b, 0);
    const best = similarity.indexOf(Math.max(...similarity));
    return {
      inference_id: randomUUID(),
      time: (performance.now() - start) / 1000,
      similarity,
      top: prompts[best],
      predictions: prompts.map((p, i) => ({ class: p, class_id: i, confidence: exps[i] / sum })),
    };
  }

  async dispose(): Promise<void> {
    await Promise.all([this.#image.dispose(), this.#text.dispose()]);
  }
}

/** Loads a CLIP package: see {@link Clip.load}. */
export function loadClip(dir: string, options?: ClipLoadOptions): Promise<Clip> {
  return Clip.load(dir, options);
}
