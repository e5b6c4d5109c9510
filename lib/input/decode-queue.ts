/**
 * The process's queue of CPU decodes. sharp runs each decode on libuv's thread pool
 * (UV_THREADPOOL_SIZE threads, 4 by default), so at most that many start at once; the rest wait here
 * in call order, and a waiting decode whose call has ended (aborted, timed out) is dropped before
 * it starts instead of occupying the pool for a caller who has gone. One queue for every model and
 * the server: the pool it stands for is the process's.
 */
import { TimeoutError } from '../errors';

/** Counters of the decode queue, from {@link decodeQueueStats}. */
export interface DecodeQueueStats {
  /** Decodes allowed to run at once (libuv's pool size). */
  concurrency: number;
  running: number;
  waiting: number;
  /** Decodes started, and those dropped before starting because their call had ended. */
  started: number;
  dropped: number;
  /** Decodes stopped while running because their call's deadline passed (sharp's timeout). */
  stopped: number;
}

interface Job {
  start: () => void;
  drop: (error: unknown) => void;
  check?: () => void;
}

export class DecodeQueue {
  readonly concurrency: number;
  #running = 0;
  #started = 0;
  #dropped = 0;
  #stopped = 0;
  readonly #waiting: Job[] = [];

  constructor(concurrency: number) {
    this.concurrency = Math.max(1, Math.floor(concurrency));
  }

  /** Runs `work` when a slot is free; `check` (may throw: the job is dropped with that error) runs just before. */
  run<T>(work: () => Promise<T>, check?: () => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        this.#running++;
        this.#started++;
        let running: Promise<T>;
        try {
          running = work();
        } catch (error) {
          running = Promise.reject(error);
        }
        running.then(resolve, (error: unknown) => {
          if (error instanceof TimeoutError) this.#stopped++;
          reject(error);
        }).finally(() => {
          this.#running--;
          this.#next();
        });
      };
      this.#waiting.push({ start, drop: reject, check });
      this.#next();
    });
  }

  stats(): DecodeQueueStats {
    return { concurrency: this.concurrency, running: this.#running, waiting: this.#waiting.length, started: this.#started, dropped: this.#dropped, stopped: this.#stopped };
  }

  #next(): void {
    while (this.#running < this.concurrency && this.#waiting.length > 0) {
      const job = this.#waiting.shift()!;
      try {
        job.check?.();
      } catch (error) {
        this.#dropped++;
        job.drop(error);
        continue;
      }
      job.start();
    }
  }
}

/** libuv's pool size as this process has it (read once: libuv reads it when the pool starts). */
function poolSize(): number {
  const n = Number(process.env.UV_THREADPOOL_SIZE);
  return Number.isInteger(n) && n > 0 ? Math.min(n, 1024) : 4;
}

export const decodeQueue = new DecodeQueue(poolSize());

/** The process's decode queue: how many decodes run, wait, started, were dropped and were stopped. */
export function decodeQueueStats(): DecodeQueueStats {
  return decodeQueue.stats();
}
