// One owner per model (the native scheduler): every call is a request on it, dispose() frees and
// resolves, exit never hangs, every request completes exactly once. Each test here failed against
// the design before the scheduler (commit 34dcc13), except where a comment says otherwise.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidOptionError, loadModel, type Model, type MultiLabelResult, type SingleLabelResult } from '../lib/index.mjs';
import { native } from '../dist/lib/native/binding.js';
import { ResultLabels, resultObjects, resultSpec } from '../dist/lib/results/index.js';
import { digitsModel, fixtureModel, root } from './helpers';

const program = (name: string) => path.join(root, 'test', 'programs', name);
const resnet18 = fixtureModel('resnet18.torchscript');
const clipTiny = path.join(root, 'test', '.fixtures', 'clip', 'tiny');

/** Runs a child program; a hang shows as a timeout (killed, status null). */
function child(args: string[], timeoutMs: number) {
  const started = Date.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL' });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
}

describe('process exit', () => {
  // infer, preprocess, load and embedText hung forever before (libuv threads waiting on tasks the torch
  // thread had dropped); classify passed before too (the old batcher already stopped at exit)
  for (const kind of ['infer', 'preprocess', 'classify', 'load', 'embedText']) {
    it(`with ${kind} calls queued and running, process.exit(0) ends the process with 0 (within 10 s)`, () => {
      const r = child([program('exit-busy.mjs'), kind, resnet18, clipTiny], 10_000);
      expect(r.signal, `${kind}: killed after ${r.ms} ms (hung)\n${r.stderr}`).toBeNull();
      expect(r.status, r.stderr).toBe(0);
    });
  }

  // passed before too; guards a crash (SIGSEGV / abort in oneDNN) of an early version of the scheduler,
  // whose torch thread still ran a worker's load while the process tore libtorch down
  it('worker threads loading, classifying and disposing models while the process exits: exit 0, three times', () => {
    for (let i = 0; i < 3; i++) {
      const r = child([program('exit-workers.mjs'), resnet18, '3'], 30_000);
      expect(r.signal, `run ${i}: ${r.stderr}`).toBeNull();
      expect(r.status, `run ${i}: ${r.stderr}`).toBe(0);
    }
  });
});

describe('the CPU block cache', () => {
  // new with the cache (a build without it has no buildInfo().cpuCache). A child per setting: the cache is
  // libtorch's CPU allocator for the whole process, chosen at the first load
  const run = (env: Record<string, string>) => {
    const script = `const { loadModel, buildInfo } = require(${JSON.stringify(path.join(root, 'dist', 'lib', 'index.js'))});
      loadModel(${JSON.stringify(fixtureModel('mobilenet_v3_small.torchscript'))}, { device: 'cpu' }).then(async (m) => {
        const frames = Array.from({ length: 8 }, (_, i) => ({ data: new Uint8Array(320 * 240 * 3).map((_, k) => (k * (i + 3)) % 251), width: 320, height: 240, channels: 3 }));
        const results = [];
        for (let i = 0; i < 3; i++) results.push((await m.classifyBatch(frames)).map((r) => r.predictions.slice(0, 5)));
        const used = buildInfo().cpuCache;
        await m.dispose();
        console.log(JSON.stringify({ used, disposed: buildInfo().cpuCache, results }));
      });`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    return { ...JSON.parse(r.stdout), stderr: r.stderr };
  };

  it('keeps the large blocks of CPU batches for the next batch, within its cap, and frees them when the model is disposed', () => {
    const { used, disposed } = run({});
    expect(used).toMatchObject({ enabled: true, from: 'default', capBytes: 512 * 2 ** 20 });
    expect(used.hits).toBeGreaterThan(used.misses); // the second and third batches reuse the first's blocks
    expect(used.cachedBytes).toBeGreaterThan(0);
    expect(used.cachedBytes).toBeLessThanOrEqual(used.capBytes);
    expect(disposed).toMatchObject({ cachedBytes: 0, liveBytes: 0 });
  });

  it('EDGE_CLASSIFY_CPU_CACHE_MB=0 leaves libtorch its own allocator, with the same results; an invalid value is reported', () => {
    const cached = run({});
    const plain = run({ EDGE_CLASSIFY_CPU_CACHE_MB: '0' });
    expect(plain.used).toMatchObject({ enabled: false, capBytes: 0, hits: 0, misses: 0 });
    expect(plain.used.from).toMatch(/libtorch's own allocator/);
    expect(plain.results).toEqual(cached.results);
    const small = run({ EDGE_CLASSIFY_CPU_CACHE_MB: '1' });
    expect(small.used).toMatchObject({ enabled: true, from: 'EDGE_CLASSIFY_CPU_CACHE_MB', capBytes: 2 ** 20 });
    expect(small.used.cachedBytes).toBeLessThanOrEqual(2 ** 20);
    expect(small.results).toEqual(cached.results);
    const wrong = run({ EDGE_CLASSIFY_CPU_CACHE_MB: 'lots' });
    expect(wrong.stderr).toMatch(/EDGE_CLASSIFY_CPU_CACHE_MB='lots' is not a whole number from 0 to 1048576; using 512/);
    expect(wrong.used).toMatchObject({ enabled: true, from: 'default' });
  });
});

describe('dispose()', () => {
  // grew by ~70 MiB per cycle before: the batcher kept the backend alive until GC
  it('frees the model: 50 load/dispose cycles of resnet18 with every Model still referenced keep RSS within 300 MiB of cycle 5', () => {
    const r = child(['--expose-gc', program('load-dispose.mjs'), resnet18, '50'], 240_000);
    expect(r.status, r.stderr).toBe(0);
    const { rss, kept } = JSON.parse(r.stdout.trim().split('\n').pop()!) as { rss: number[]; kept: number };
    expect(kept).toBe(50);
    const after5 = rss[4];
    const peak = Math.max(...rss.slice(5));
    // resnet18's weights alone are 45 MiB: 50 leaked copies would be more than 2 GiB
    expect(peak - after5, `RSS MiB per cycle: ${rss.join(' ')}`).toBeLessThan(300);
  });

  it('resolves only after every call has settled (queued ones with DisposedError); later calls are refused', async () => {
    const m = await loadModel(digitsModel, { device: 'cpu', batching: { maxBatchSize: 4, maxDelayMs: 5 } });
    const frame = { data: new Uint8Array(28 * 28), width: 28, height: 28, channels: 1 as const };
    const order: string[] = [];
    const calls = Array.from({ length: 40 }, () => m.classify(frame).then(() => order.push('ok'), (e: Error) => order.push(e.name)));
    await m.dispose().then(() => order.push('disposed'));
    await Promise.all(calls);
    expect(order.length).toBe(41);
    expect(order[40]).toBe('disposed');
    for (const o of order.slice(0, 40)) expect(['ok', 'DisposedError']).toContain(o);
    expect(order).toContain('DisposedError');
    await expect(m.classify(frame)).rejects.toMatchObject({ name: 'DisposedError' });
    await m.dispose(); // idempotent
  });
});

describe('the scheduler', () => {
  let model: Model;
  const binding = () => require('../dist/lib/native/binding.js').native().binding as { _setReplyFault(k: number): void; loadModel: (...a: unknown[]) => Promise<any> };

  beforeAll(async () => {
    model = await loadModel(digitsModel, { device: 'cpu', batching: { maxBatchSize: 4, maxDelayMs: 30 } });
  });
  afterAll(async () => {
    binding()._setReplyFault(-1);
    await model.dispose();
  });

  // before, a failing reply k made the batcher retry every request alone and complete 0..k-1 twice
  it('completes every request exactly once when building a reply throws (fault injection)', async () => {
    const nativeModel = await binding().loadModel(digitsModel, { backend: 'torch', maxBatchSize: 8, workspaceMb: 64, device: 'cpu', threads: 0, optimize: true, precision: 'fp32', cudaGraphs: false, channelsLast: false });
    nativeModel.configure({ width: 32, height: 32, resize: 'stretch', pad: 0, channelOrder: 'rgb', mean: [0, 0, 0], std: [1, 1, 1], activation: 'softmax', maxPixels: 0, preprocessThreads: 1 });
    nativeModel.startQueue({ maxBatchSize: 8, maxDelayMs: 50, maxQueue: 100, maxQueuedPixels: 0, combine: true });
    const frame = { data: new Uint8Array(32 * 32 * 3), width: 32, height: 32, format: 'rgb' };
    binding()._setReplyFault(2);
    try {
      // the five form one batch (50 ms delay), whose third reply fails: the batch is rerun request by
      // request (batches of one, where position 2 does not exist), so every call resolves, once
      const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => nativeModel.enqueue([frame], false)[0] as Promise<unknown>));
      expect(outcomes.map((o) => o.status)).toEqual(Array(5).fill('fulfilled'));
      const stats = nativeModel.queueStats();
      expect(stats.submitted).toBe(5);
      expect(stats.completed).toBe(5);
      expect(stats.succeeded).toBe(5);
      expect(stats.inFlight).toBe(0);
      expect(stats.batchSizes).toEqual({ 1: 5, 5: 1 }); // the batch of 5 ran, then each request alone
    } finally {
      binding()._setReplyFault(-1);
      await nativeModel.dispose();
    }
  });

  it('refuses a second startQueue() (it replaced the queue under requests in flight before)', async () => {
    const nativeModel = await binding().loadModel(digitsModel, { backend: 'torch', maxBatchSize: 8, workspaceMb: 64, device: 'cpu', threads: 0, optimize: true, precision: 'fp32', cudaGraphs: false, channelsLast: false });
    nativeModel.startQueue({ maxBatchSize: 8, maxDelayMs: 0, maxQueue: 100, maxQueuedPixels: 0, combine: true });
    expect(() => nativeModel.startQueue({ maxBatchSize: 8, maxDelayMs: 0, maxQueue: 100, maxQueuedPixels: 0, combine: true })).toThrow(/already started/);
    await nativeModel.dispose();
  });

  it('runs a classifyBatch larger than maxBatchSize in chunks of maxBatchSize, with the same results', async () => {
    const frames = Array.from({ length: 10 }, (_, i) => ({ data: new Uint8Array(28 * 28).fill(i * 25), width: 28, height: 28, channels: 1 as const }));
    const before = model.stats().batchSizes;
    const batched = (await model.classifyBatch(frames)) as SingleLabelResult[];
    const after = model.stats().batchSizes;
    const added = (k: string) => (after[k] ?? 0) - (before[k] ?? 0);
    expect(added('4')).toBe(2);
    expect(added('2')).toBe(1);
    expect(Object.keys(after).map(Number).every((k) => k <= 4)).toBe(true);
    for (const [i, f] of frames.entries()) {
      const alone = (await model.classify(f)) as SingleLabelResult;
      expect(batched[i].top).toBe(alone.top);
      expect(batched[i].confidence).toBeCloseTo(alone.confidence, 5);
    }
  });

  // passed before too (infer bypassed the batcher): the chunks are new, the results the same
  it('infer() of more images than maxBatchSize runs in chunks too', async () => {
    const n = 9;
    const { width, height } = model.info.metadata.input;
    const out = await model.infer(new Float32Array(n * 3 * width * height).fill(0.5), n);
    expect(out.length).toBe(n);
    for (const row of out) row.forEach((v, c) => expect(Math.abs(v - out[0][c])).toBeLessThan(1e-5)); // chunks of 4, 4 and 1
  });

  it('bounds the queue in decoded pixels too (maxQueuedPixels), not only in images', async () => {
    // a long delay keeps everything queued: nothing runs until the test disposes
    const m = await loadModel(digitsModel, { device: 'cpu', batching: { maxBatchSize: 64, maxDelayMs: 60_000, maxQueuedPixels: 1000 } });
    const frame = { data: new Uint8Array(20 * 20), width: 20, height: 20, channels: 1 as const }; // 400 pixels
    const first = m.classify(frame).catch((e: Error) => e.name);
    const second = m.classify(frame).catch((e: Error) => e.name);
    await expect(m.classify(frame)).rejects.toMatchObject({ name: 'QueueFullError', message: expect.stringMatching(/800 decoded pixels, its limit is 1000/) });
    expect(m.stats().scheduler.queuedPixels).toBe(800);
    await m.dispose();
    expect([await first, await second]).toEqual(['DisposedError', 'DisposedError']);
    // alone, a call above the bound still runs (it must be able to)
    const big = await loadModel(digitsModel, { device: 'cpu', batching: { maxQueuedPixels: 10 } });
    expect(((await big.classify(frame)) as SingleLabelResult).predictions.length).toBe(10);
    await big.dispose();
    await expect(loadModel(digitsModel, { batching: { maxQueuedPixels: -1 } })).rejects.toBeInstanceOf(InvalidOptionError);
  });

  it('refuses maxBatchSize past 65535 (the CUDA kernel puts images on gridDim.y)', async () => {
    await expect(loadModel(digitsModel, { device: 'cpu', batching: { maxBatchSize: 65536 } })).rejects.toBeInstanceOf(InvalidOptionError);
  });

  // a garbage plan and signed overflow before (int64 narrowed to int in the center-crop geometry)
  it('center-crops a 10,000,000 x 1 frame correctly: the middle source pixels fill the crop', async () => {
    // 224 wide: the crop scales the long side to 2,240,000,000 columns (past int)
    const m = await loadModel(fixtureModel('mobilenet_v3_small.torchscript'), { device: 'cpu', limitInputPixels: false, metadata: { resize: 'center-crop', mean: [0, 0, 0], std: [1, 1, 1] } });
    try {
      const width = 10_000_000;
      const data = new Uint8Array(width * 3);
      data.fill(200, (width / 2 - 50) * 3, (width / 2 + 50) * 3); // the middle 100 pixels
      const { tensor } = await m.preprocess([{ data, width, height: 1, channels: 3 }]);
      let worst = 0;
      for (const v of tensor) worst = Math.max(worst, Math.abs(v - 200 / 255));
      expect(worst).toBeLessThan(1e-6);
    } finally {
      await m.dispose();
    }
  });

  // Caller memory: frames are read in place when their batch runs. Documented: do not overwrite a
  // frame until its classify() has settled. This shows that the pixels are read at batch time (it was
  // so before too; the test pins the documented contract).
  it('reads raw frames in place when the batch runs, not when classify() is called', async () => {
    const m = await loadModel(digitsModel, { device: 'cpu', batching: { maxBatchSize: 8, maxDelayMs: 100 } });
    try {
      const frame = { data: new Uint8Array(28 * 28).fill(0), width: 28, height: 28, channels: 1 as const };
      const reference = (await m.classify({ ...frame, data: new Uint8Array(28 * 28).fill(255) })) as SingleLabelResult;
      const blank = (await m.classify(frame)) as SingleLabelResult;
      expect(reference.confidence).not.toBeCloseTo(blank.confidence, 3);
      const pending = m.classify(frame); // its batch waits up to 100 ms for company
      frame.data.fill(255); // overwritten before the batch runs
      const seen = (await pending) as SingleLabelResult;
      expect(seen.top).toBe(reference.top);
      expect(seen.confidence).toBeCloseTo(reference.confidence, 6);
    } finally {
      await m.dispose();
    }
  });
});

describe('results', () => {
  // "__proto__" vanished from multi-label predictions before (assigned on a plain object)
  it('keeps classes named __proto__, constructor and hasOwnProperty in multi-label predictions', () => {
    const names = ['__proto__', 'constructor', 'hasOwnProperty', 'cat'];
    const { binding } = native();
    const labels = new ResultLabels(names, binding);
    const out = binding.results(Float64Array.of(0.9, 0.8, 0.1, 0.7), 4, labels.handle, resultSpec('multi-label', 0.5, false, 0, false));
    const [r] = resultObjects(out, labels, 'multi-label', [{ time: 0, image: { width: 1, height: 1 } }]) as MultiLabelResult[];
    expect(Object.keys(r.predictions)).toEqual(names);
    expect(Object.getPrototypeOf(r.predictions)).toBe(Object.prototype);
    expect(r.predictions['__proto__']).toEqual({ confidence: 0.9, class_id: 0 });
    expect(r.predicted_classes).toEqual(['__proto__', 'constructor', 'cat']);
    expect(JSON.parse(JSON.stringify(r)).predictions).toEqual(JSON.parse('{"__proto__":{"confidence":0.9,"class_id":0},"constructor":{"confidence":0.8,"class_id":1},"hasOwnProperty":{"confidence":0.1,"class_id":2},"cat":{"confidence":0.7,"class_id":3}}'));
  });
});
