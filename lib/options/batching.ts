/** loadModel's `batching` option -> the native scheduler's batching (NativeBatching). */
import { DEFAULT_PIXEL_LIMIT } from '../input/decode';
import type { NativeBatching } from '../native/binding';
import { deprecated } from './deprecated';
import { boolean, integer, number, optionsObject } from './validate';

const BATCHING_KEYS = ['maxBatchSize', 'maxDelayMs', 'maxQueue', 'maxQueuedPixels', 'combineCalls', 'executors'] as const;
/** The native scheduler's bound (the CUDA kernel's gridDim.y); larger classifyBatch() calls run in chunks of maxBatchSize. */
export const MAX_BATCH_SIZE = 65535;

/** The batching options, checked (before the slow load); defaults that depend on the device are left out. */
export function checkBatching(value: unknown): Record<string, unknown> {
  if (value === false) {
    deprecated('batching: false', 'batching: { combineCalls: false } (calls still queue for the model; each runs as its own batch)');
    return { combineCalls: false };
  }
  const o = optionsObject('options.batching', value, BATCHING_KEYS);
  if (o.executors !== undefined) {
    integer('options.batching.executors', o.executors, 1, 16);
    deprecated('batching.executors', 'options.cuda.streams (one batch runs per stream)');
  }
  batching(o, false);
  return o;
}

/** `checked` (from checkBatching) with the defaults of the device: maxBatchSize 32 on the CPU, 64 on CUDA. */
export function batching(checked: Record<string, unknown>, onCuda: boolean): NativeBatching {
  const o = checked;
  return {
    maxBatchSize: o.maxBatchSize === undefined ? (onCuda ? 64 : 32) : integer('options.batching.maxBatchSize', o.maxBatchSize, 1, MAX_BATCH_SIZE),
    maxDelayMs: o.maxDelayMs === undefined ? 0 : number('options.batching.maxDelayMs', o.maxDelayMs, 0, 60000),
    maxQueue: o.maxQueue === undefined ? 4096 : integer('options.batching.maxQueue', o.maxQueue, 1, 1 << 30),
    maxQueuedPixels: o.maxQueuedPixels === undefined ? DEFAULT_PIXEL_LIMIT : integer('options.batching.maxQueuedPixels', o.maxQueuedPixels, 0, Number.MAX_SAFE_INTEGER),
    combine: o.combineCalls === undefined ? true : boolean('options.batching.combineCalls', o.combineCalls),
  };
}
