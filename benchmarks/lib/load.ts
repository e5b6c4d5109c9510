/**
 * A closed-loop load (as a server's request handlers are): `concurrency` callers each awaiting
 * `call()` in a loop for `seconds`, after half a second of warm-up; latency per call, images/s and
 * the event loop's p99 delay while the load ran.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { stats } from './report';

export interface Load {
  imagesPerSecond: number;
  latency: ReturnType<typeof stats>;
  eventLoopP99Ms: number;
  meanBatch?: number;
}

export async function closedLoop(concurrency: number, call: () => Promise<unknown>, seconds: number, imagesPerCall = 1): Promise<Load> {
  const warmUntil = performance.now() + 500;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < warmUntil) await call();
  }));
  const latencies: number[] = [];
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      const t = performance.now();
      await call();
      latencies.push(performance.now() - t);
    }
  }));
  const elapsed = performance.now() - start;
  delay.disable();
  return { imagesPerSecond: (latencies.length * imagesPerCall * 1000) / elapsed, latency: stats(latencies), eventLoopP99Ms: delay.percentile(99) / 1e6 };
}

/**
 * The event-loop measure's floor: its p99 with nothing to do for `seconds` (monitorEventLoopDelay at
 * 1 ms resolution records whole timer intervals, so an idle loop reads a little over 1 ms, and this
 * machine's own scheduling noise is in it too).
 */
export async function idleEventLoopP99Ms(seconds: number): Promise<number> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  delay.disable();
  return delay.percentile(99) / 1e6;
}
