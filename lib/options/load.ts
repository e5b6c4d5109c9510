/**
 * loadModel's options, checked before the (slow) load and resolved to one object: the common options,
 * and the `torch`, `cuda` and `tensorrt` groups with their defaults. The flat names of 0.1 are read
 * into their groups (deprecated.ts).
 */
import { InvalidOptionError, UnsupportedError } from '../errors';
import { DEFAULT_PIXEL_LIMIT } from '../input/decode';
import type { ModelMetadata, Task } from '../types';
import { checkBatching } from './batching';
import { RENAMED_LOAD_OPTIONS, withRenamed } from './deprecated';
import { boolean, integer, invalid, isPlainObject, oneOf, optionsObject } from './validate';

const COMMON_KEYS = ['backend', 'device', 'precision', 'task', 'batching', 'metadata', 'limitInputPixels', 'torch', 'cuda', 'tensorrt'] as const;
const DEVICE = /^(auto|cpu|cuda(:\d+)?)$/;

export interface ResolvedLoadOptions {
  backend: 'auto' | 'torch' | 'onnxruntime' | 'tensorrt';
  device: string;
  precision: 'fp32' | 'fp16' | 'int8';
  /** The task the caller expects, if given. */
  task: Task | undefined;
  /** Checked batching options (defaults that depend on the device are applied after the load). */
  batching: Record<string, unknown>;
  metadata: Partial<ModelMetadata> | undefined;
  /** 0 = no limit. */
  pixelLimit: number;
  torch: { threads: number; preprocessThreads: number; optimize: boolean };
  cuda: { streams: number; graphs: boolean; channelsLast: boolean; decode: 'auto' | 'cpu' | 'gpu' };
  tensorrt: { workspaceMb: number; calibration: string | undefined };
}

function group(options: Record<string, unknown>, name: 'torch' | 'cuda' | 'tensorrt', keys: readonly string[]): Record<string, unknown> {
  return withRenamed(options, name, optionsObject(`options.${name}`, options[name], keys));
}

/** Checks every option and applies the defaults; throws InvalidOptionError / UnsupportedError naming the option. */
export function resolveLoadOptions(options: unknown): ResolvedLoadOptions {
  const o = optionsObject('options', options, [...COMMON_KEYS, ...Object.keys(RENAMED_LOAD_OPTIONS)]);
  const device = o.device === undefined ? 'auto' : o.device;
  if (typeof device !== 'string' || !DEVICE.test(device)) throw invalid('options.device', "'auto', 'cpu', 'cuda' or 'cuda:N'", device);
  const backend = o.backend === undefined ? 'auto' : oneOf('options.backend', o.backend, ['auto', 'torch', 'onnxruntime', 'tensorrt'] as const);
  const precision = o.precision === undefined ? 'fp32' : oneOf('options.precision', o.precision, ['fp32', 'fp16', 'int8'] as const);
  const task = o.task === undefined ? undefined : oneOf('options.task', o.task, ['single-label', 'multi-label'] as const);
  if (o.metadata !== undefined && !isPlainObject(o.metadata)) throw invalid('options.metadata', 'an object', o.metadata);
  if (o.batching !== undefined && o.batching !== false && !isPlainObject(o.batching)) {
    throw invalid('options.batching', 'an object { maxBatchSize, maxDelayMs, maxQueue, maxQueuedPixels, combineCalls }', o.batching);
  }
  const limit = o.limitInputPixels;
  const pixelLimit = limit === undefined ? DEFAULT_PIXEL_LIMIT : limit === false ? 0 : integer('options.limitInputPixels', limit, 1, Number.MAX_SAFE_INTEGER);

  const t = group(o, 'torch', ['threads', 'preprocessThreads', 'optimize']);
  const c = group(o, 'cuda', ['streams', 'graphs', 'channelsLast', 'decode']);
  const r = group(o, 'tensorrt', ['workspaceMb', 'calibration']);
  const batching = checkBatching(o.batching ?? {});
  if (precision === 'int8') {
    if (backend === 'torch') throw new UnsupportedError("precision 'int8' needs backend 'tensorrt' (TensorRT calibrates an int8 engine from an ONNX model)");
    // no calibration: the ONNX must carry its own quantization (Q/DQ nodes); TensorRT 11 takes only that
    if (r.calibration !== undefined && typeof r.calibration !== 'string') {
      throw invalid('options.tensorrt.calibration', "a folder of typical images (precision 'int8' calibrates with them)", r.calibration);
    }
  } else if (r.calibration !== undefined) {
    throw new InvalidOptionError("options.tensorrt.calibration is only used with precision 'int8'");
  }
  let streams = c.streams === undefined ? 2 : integer('options.cuda.streams', c.streams, 1, 8);
  if (batching.executors !== undefined) {
    // batching.executors capped the batches running at once below the streams: the same as fewer streams
    streams = Math.min(streams, batching.executors as number);
  }
  return {
    backend,
    device,
    precision,
    task,
    batching,
    metadata: o.metadata as Partial<ModelMetadata> | undefined,
    pixelLimit,
    torch: {
      threads: t.threads === undefined ? 0 : integer('options.torch.threads', t.threads, 1, 1024),
      preprocessThreads: t.preprocessThreads === undefined ? 0 : integer('options.torch.preprocessThreads', t.preprocessThreads, 1, 1024),
      optimize: t.optimize === undefined ? true : boolean('options.torch.optimize', t.optimize),
    },
    cuda: {
      streams,
      graphs: c.graphs === undefined ? true : boolean('options.cuda.graphs', c.graphs),
      channelsLast: c.channelsLast === undefined ? false : boolean('options.cuda.channelsLast', c.channelsLast),
      decode: c.decode === undefined ? 'auto' : oneOf('options.cuda.decode', c.decode, ['auto', 'cpu', 'gpu'] as const),
    },
    tensorrt: {
      workspaceMb: r.workspaceMb === undefined ? 1024 : integer('options.tensorrt.workspaceMb', r.workspaceMb, 16, 1 << 20),
      calibration: r.calibration as string | undefined,
    },
  };
}
