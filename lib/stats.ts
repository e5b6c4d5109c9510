/**
 * A model's call counters for stats(): calls made, settled and pending, and a window of the last
 * calls' latency and queueing time; the native scheduler's counters are read beside them.
 */
import type { CallControl } from './control';
import type { NativeModel } from './native/binding';
import type { ModelStats } from './types';

const WINDOW = 1024; // calls kept for latency percentiles

function percentile(sorted: Float64Array, q: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export class CallStats {
  readonly #pending = new Set<Promise<unknown>>();
  #calls = 0;
  #succeeded = 0;
  readonly #latencies = new Float64Array(WINDOW);
  readonly #queued = new Float64Array(WINDOW);

  /** Counts a call and keeps it pending until it settles; its control is disposed then. */
  track<T>(work: Promise<T>, control: CallControl): Promise<T> {
    const call = work.finally(() => {
      control.dispose();
      this.#pending.delete(call);
    });
    this.#calls++;
    this.#pending.add(call);
    return call;
  }

  /** A call succeeded: its latency and queueing time go into the window. */
  succeeded(latencyMs: number, queuedMs: number): void {
    const slot = this.#succeeded++ % WINDOW;
    this.#latencies[slot] = latencyMs;
    this.#queued[slot] = queuedMs;
  }

  /** Resolves once every call made so far has settled. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#pending]);
  }

  /** The counters, with the native scheduler's (`native` undefined once the model is disposed: no GPU memory read). */
  snapshot(q: ReturnType<NativeModel['queueStats']>, native: NativeModel | undefined): ModelStats {
    const n = Math.min(this.#succeeded, WINDOW);
    const latencies = this.#latencies.slice(0, n).sort();
    let queued = 0;
    for (let i = 0; i < n; i++) queued += this.#queued[i];
    const gpuMemory = native?.gpuMemory();
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
      ...(gpuMemory ? { gpuMemory } : {}),
    };
  }
}
