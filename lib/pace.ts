/**
 * Keeps the event loop responsive when a batch completes many calls at once.
 *
 * The dynamic batcher finishes up to maxBatchSize calls in the same event-loop turn, and each one then
 * builds its result objects (1000 classes: tens of µs) and lets its caller go on: unpaced, a batch of 32
 * holds the loop for milliseconds, and every timer, socket and request of the process waits that long.
 * `pace()` lets calls continue at once
 * while the current slice of the loop is under SLICE_MS, and otherwise defers them by a setImmediate:
 * the rest of the batch continues in the next phase, other I/O and timers run in between.
 */
import { performance } from 'node:perf_hooks';

/** Longest stretch of calls continuing back to back before the loop gets to run something else. */
export const SLICE_MS = 0.5;

let sliceStart = -1;

function closeSlice(): void {
  sliceStart = -1;
}

/** Undefined while the current slice has time left (go on at once), else a promise of a later slice. */
export function pace(): Promise<void> | undefined {
  return sliceHasTime() ? undefined : nextSlice();
}

function sliceHasTime(): boolean {
  const now = performance.now();
  if (sliceStart < 0) {
    sliceStart = now;
    setImmediate(closeSlice); // this slice ends where the loop next runs immediates
    return true;
  }
  return now - sliceStart < SLICE_MS;
}

async function nextSlice(): Promise<void> {
  do await new Promise<void>((resolve) => setImmediate(resolve));
  while (!sliceHasTime());
}
