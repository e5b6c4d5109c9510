/**
 * Data capture for retraining (Roboflow's active learning, at the edge; docs/capture.md): sampled
 * images with their predictions saved under one folder, as `<dataset>/<top class>/<id>.<ext>` with
 * `<id>.json` beside it (a layout Roboflow's folder upload takes for classification). One owner of the
 * folder: `offer()` decides at once and never waits or throws; writes run one after another in the
 * background, each atomic (a temporary file, then a rename); at the byte quota, or on the first write
 * error (read-only or full disk), capturing stops with a log line and stats() / the server's /metrics
 * say why; `close()` writes what is pending (the server calls it on SIGTERM).
 */
import { randomUUID } from 'node:crypto';
import { constants as fsConstants, promises as fs } from 'node:fs';
import path from 'node:path';
import { InvalidOptionError } from '../errors';
import { sniffFormat } from '../input/decode';
import { integer, optionsObject } from '../options/validate';
import type { ClassificationResult } from '../types';
import { sampler, topOf, type Sampler, type SamplerOptions } from './samplers';

export interface CaptureOptions {
  /** The folder captures go to (created when missing). */
  dir: string;
  /** Which results to keep; any sampler keeping one is enough. Default: 10 % of all, at random. */
  samplers?: SamplerOptions[];
  /** Most captures per minute / per hour (Roboflow's minutely and hourly limits). Default: none. */
  limits?: { perMinute?: number; perHour?: number };
  /** Most bytes of the folder (what was there plus what is written). Default 1 GiB. */
  maxBytes?: number;
  /** Most writes waiting; past it a capture is dropped. Default 256. */
  maxPending?: number;
  /** Where the one line of a stop goes. Default: stderr. */
  log?: (line: string) => void;
  /** For tests: the random source of the samplers and the clock of the limits. */
  random?: () => number;
  now?: () => number;
}

export interface CaptureStats {
  saved: number;
  /** Results a sampler kept but that were not saved, by why. */
  dropped: { limit: number; quota: number; queue: number; error: number };
  pending: number;
  bytes: number;
  /** Set once capturing stopped: 'quota' or the write error. */
  stopped: string | null;
}

/** One offer's facts besides its image and result. */
export interface CaptureMeta {
  /** "project/version" of the model; its project is the default dataset. */
  modelId: string;
  /** Roboflow's active_learning_target_dataset: the sub-folder. */
  dataset?: string;
}

const SEGMENT = /^(?!\.\.?$)[A-Za-z0-9._-]{1,100}$/;
const EXTENSIONS: Record<string, string> = { jpeg: 'jpg', png: 'png', webp: 'webp', gif: 'gif', tiff: 'tiff', avif: 'avif' };

/** A class name as one safe folder name. */
const folderOf = (name: string) => (SEGMENT.test(name) ? name : name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+$/, '_').slice(0, 100) || '_');

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await folderBytes(full);
    else if (entry.isFile()) total += (await fs.stat(full)).size;
  }
  return total;
}

export class Capture {
  readonly dir: string;
  readonly #samplers: Sampler[];
  readonly #perMinute: number;
  readonly #perHour: number;
  readonly #maxBytes: number;
  readonly #maxPending: number;
  readonly #log: (line: string) => void;
  readonly #random: () => number;
  readonly #now: () => number;
  readonly #recent: number[] = []; // capture times within the last hour (only when a limit is set)
  #chain: Promise<void> = Promise.resolve();
  #pending = 0;
  #bytes: number;
  #saved = 0;
  readonly #dropped = { limit: 0, quota: 0, queue: 0, error: 0 };
  #stopped: string | null = null;
  #closed = false;

  private constructor(dir: string, options: CaptureOptions, bytes: number, samplers: Sampler[]) {
    this.dir = dir;
    this.#samplers = samplers;
    this.#perMinute = options.limits?.perMinute ?? Infinity;
    this.#perHour = options.limits?.perHour ?? Infinity;
    this.#maxBytes = options.maxBytes ?? 1 << 30;
    this.#maxPending = options.maxPending ?? 256;
    this.#log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
    this.#bytes = bytes;
  }

  /** Opens (creating) the capture folder; InvalidOptionError for bad options or a folder that cannot be made. */
  static async open(options: CaptureOptions): Promise<Capture> {
    const o = optionsObject('capture', options, ['dir', 'samplers', 'limits', 'maxBytes', 'maxPending', 'log', 'random', 'now']);
    if (typeof o.dir !== 'string' || o.dir === '') throw new InvalidOptionError('capture.dir must be a folder path');
    const samplers = ((o.samplers as unknown[] | undefined) ?? [{ type: 'random', traffic_percentage: 0.1 }]).map((s, i) => sampler(s, `capture.samplers[${i}]`));
    if (o.limits !== undefined) {
      const limits = optionsObject('capture.limits', o.limits, ['perMinute', 'perHour']);
      for (const key of ['perMinute', 'perHour'] as const) if (limits[key] !== undefined) integer(`capture.limits.${key}`, limits[key], 0, Number.MAX_SAFE_INTEGER);
    }
    if (o.maxBytes !== undefined) integer('capture.maxBytes', o.maxBytes, 0, Number.MAX_SAFE_INTEGER);
    if (o.maxPending !== undefined) integer('capture.maxPending', o.maxPending, 1, 1 << 20);
    const dir = path.resolve(o.dir);
    try {
      await fs.mkdir(dir, { recursive: true });
    } catch (error) {
      throw new InvalidOptionError(`capture.dir: cannot create ${dir}: ${(error as Error).message}`, { cause: error });
    }
    return new Capture(dir, options, await folderBytes(dir), samplers);
  }

  /** A dataset name a client gave, checked: one folder name (no separators, no "." or ".."). */
  static checkDataset(name: unknown): string | undefined {
    if (name === undefined || name === null || name === '') return undefined;
    if (typeof name !== 'string' || !SEGMENT.test(name)) throw new InvalidOptionError(`active_learning_target_dataset must be one folder name (letters, digits, . _ -), got ${JSON.stringify(name)?.slice(0, 80)}`);
    return name;
  }

  stats(): CaptureStats {
    return { saved: this.#saved, dropped: { ...this.#dropped }, pending: this.#pending, bytes: this.#bytes, stopped: this.#stopped };
  }

  /**
   * Offers one classified image; returns whether it was queued for saving. Never throws for the
   * caller's sake: a capture problem must not fail its request.
   */
  offer(image: Uint8Array, result: ClassificationResult, meta: CaptureMeta): boolean {
    if (this.#closed || !this.#samplers.some((s) => s.keeps(result, this.#random))) return false;
    if (this.#stopped) {
      this.#dropped[this.#stopped === 'quota' ? 'quota' : 'error']++;
      return false;
    }
    const now = this.#now();
    const limited = this.#perMinute !== Infinity || this.#perHour !== Infinity;
    if (limited) {
      while (this.#recent.length > 0 && this.#recent[0] <= now - 3_600_000) this.#recent.shift();
      const lastMinute = this.#recent.filter((t) => t > now - 60_000).length;
      if (lastMinute >= this.#perMinute || this.#recent.length >= this.#perHour) {
        this.#dropped.limit++;
        return false;
      }
    }
    if (this.#pending >= this.#maxPending) {
      this.#dropped.queue++;
      return false;
    }
    if (limited) this.#recent.push(now); // without limits no times are kept (the list would grow with every capture)
    const bytes = Buffer.from(image.buffer, image.byteOffset, image.byteLength); // the caller's bytes, kept until written
    const top = topOf(result);
    const record = { inference_id: result.inference_id, model_id: meta.modelId, dataset: meta.dataset, captured_at: new Date(now).toISOString(), top: top.name, prediction: result };
    this.#pending++;
    this.#chain = this.#chain.then(() => this.#write(bytes, record, meta, top.name)).finally(() => {
      this.#pending--;
    });
    return true;
  }

  async #write(image: Buffer, record: Record<string, unknown>, meta: CaptureMeta, top: string): Promise<void> {
    if (this.#stopped) {
      this.#dropped[this.#stopped === 'quota' ? 'quota' : 'error']++;
      return;
    }
    const json = Buffer.from(`${JSON.stringify(record, null, 1)}\n`);
    if (this.#bytes + image.length + json.length > this.#maxBytes) {
      this.#stop('quota', `the capture folder ${this.dir} reached its quota of ${this.#maxBytes} bytes`);
      this.#dropped.quota++;
      return;
    }
    const dataset = meta.dataset ?? folderOf(meta.modelId.split('/')[0] || 'captures');
    const folder = path.join(this.dir, dataset, folderOf(top || 'none'));
    const id = typeof record.inference_id === 'string' && SEGMENT.test(record.inference_id) ? record.inference_id : randomUUID();
    const name = `${id}-${randomUUID().slice(0, 8)}`;
    const ext = EXTENSIONS[sniffFormat(image) ?? ''] ?? 'bin';
    try {
      await fs.mkdir(folder, { recursive: true });
      for (const [file, data] of [[`${name}.${ext}`, image], [`${name}.json`, json]] as const) {
        const target = path.join(folder, file);
        await fs.writeFile(`${target}.tmp`, data);
        await fs.rename(`${target}.tmp`, target);
      }
      this.#bytes += image.length + json.length;
      this.#saved++;
    } catch (error) {
      let code = (error as { code?: string }).code ?? 'error';
      // a recursive mkdir on a read-only disk reports ENOENT: ask the folder itself why
      if (code === 'ENOENT') code = await fs.access(this.dir, fsConstants.W_OK).then(() => code, (e: { code?: string }) => e.code ?? code);
      this.#stop(`write failed: ${code}`, `capture stopped: cannot write to ${folder} (${code}); classification goes on`);
      this.#dropped.error++;
    }
  }

  #stop(reason: string, line: string): void {
    if (this.#stopped) return;
    this.#stopped = reason;
    this.#log(`edge-classify capture: ${line}`);
  }

  /** Resolves once every queued capture is written (or dropped). */
  async drain(): Promise<void> {
    let chain: Promise<void>;
    do {
      chain = this.#chain;
      await chain;
    } while (chain !== this.#chain);
  }

  /** Takes no more offers, then writes what is pending. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.drain();
  }
}

/** Opens a capture folder: see {@link Capture.open}. */
export function openCapture(options: CaptureOptions): Promise<Capture> {
  return Capture.open(options);
}
