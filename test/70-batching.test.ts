// Dynamic batching under concurrency (issue 4): concurrent calls become batches whose results equal
// one-by-one runs; cancellation, timeouts, backpressure, per-call errors, dispose in flight,
// worker_threads, clean process exit and bounded memory.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { native } from '../dist/lib/native/binding.js';
import {
  AbortedError,
  DecodeError,
  DisposedError,
  type ImageInput,
  InvalidImageError,
  InvalidOptionError,
  loadModel,
  type Model,
  QueueFullError,
  type SingleLabelResult,
  TimeoutError,
} from '../lib/index.mjs';
import { pace, SLICE_MS } from '../dist/lib/pace.js';
import { digitsModel, fixtureModel, photos, root } from './helpers';

/** Batched and one-by-one inference sum in different orders: confidences agree to this, top classes exactly. */
const TOLERANCE = 1e-5;

const samples = readdirSync(path.join(root, 'samples')).map((f) => path.join(root, 'samples', f));

/** Distinct inputs of mixed sizes and formats: PNG, JPEG and WebP bytes, file paths, raw gray/RGB/BGRA frames. */
async function mixedInputs(): Promise<ImageInput[]> {
  const inputs: ImageInput[] = [];
  for (const [i, file] of samples.entries()) {
    const size = 16 + 11 * i;
    const img = sharp(file).resize(size, size + (i % 3));
    inputs.push(file);
    inputs.push(await img.clone().png().toBuffer());
    inputs.push(await img.clone().jpeg({ quality: 95 }).toBuffer());
    inputs.push(await img.clone().webp({ lossless: true }).toBuffer());
    const rgb = await img.clone().removeAlpha().raw().toBuffer({ resolveWithObject: true });
    inputs.push({ data: rgb.data, width: rgb.info.width, height: rgb.info.height, channels: 3 });
    const gray = await img.clone().grayscale().raw().toBuffer({ resolveWithObject: true });
    inputs.push({ data: gray.data, width: gray.info.width, height: gray.info.height, channels: 1 });
    const rgba = await img.clone().ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const bgra = Buffer.from(rgba.data);
    for (let p = 0; p < bgra.length; p += 4) [bgra[p], bgra[p + 2]] = [bgra[p + 2], bgra[p]];
    inputs.push({ data: bgra, width: rgba.info.width, height: rgba.info.height, channels: 4, format: 'bgra' });
  }
  return inputs;
}

function expectSame(a: SingleLabelResult, b: SingleLabelResult, what: string) {
  expect(a.top, what).toBe(b.top);
  expect(a.image, what).toEqual(b.image);
  const byClass = new Map(b.predictions.map((p) => [p.class_id, p.confidence]));
  for (const p of a.predictions) expect(Math.abs(p.confidence - byClass.get(p.class_id)!), what).toBeLessThanOrEqual(TOLERANCE);
}

let inputs: ImageInput[];
let sequential: SingleLabelResult[];
beforeAll(async () => {
  inputs = await mixedInputs();
  const alone = await loadModel(digitsModel, { device: 'cpu', batching: { combineCalls: false } });
  sequential = [];
  for (const input of inputs) sequential.push((await alone.classify(input, { fullPrecision: true })) as SingleLabelResult);
  await alone.dispose();
});

describe('dynamic batching', () => {
  let model: Model;
  afterAll(() => model?.dispose());

  it('1000+ concurrent calls of mixed sizes and formats equal one-by-one results, in batches', async () => {
    model = await loadModel(digitsModel, { device: 'cpu', batching: { maxBatchSize: 64, maxDelayMs: 2 } });
    const n = 1050;
    const results = (await Promise.all(Array.from({ length: n }, (_, i) => model.classify(inputs[i % inputs.length], { fullPrecision: true })))) as SingleLabelResult[];
    results.forEach((r, i) => expectSame(r, sequential[i % inputs.length], `call ${i}`));
    const stats = model.stats();
    expect(stats.calls).toBe(n);
    expect(stats.succeeded).toBe(n);
    expect(stats.failed).toBe(0);
    expect(stats.inFlight).toBe(0);
    expect(stats.images).toBe(n);
    expect(stats.batches).toBeLessThan(n / 4); // they were batched
    expect(Math.max(...Object.keys(stats.batchSizes).map(Number))).toBeGreaterThan(8);
    expect(Object.entries(stats.batchSizes).reduce((sum, [size, count]) => sum + Number(size) * count, 0)).toBe(n);
    expect(stats.latencyMs.p50).toBeGreaterThan(0);
    expect(stats.latencyMs.p99).toBeGreaterThanOrEqual(stats.latencyMs.p50);
    expect(stats.latencyMs.samples).toBe(1024);
  });

  it('several CUDA streams (batches side by side on a GPU; one lane on the CPU) give the same results', async () => {
    const multi = await loadModel(digitsModel, { device: 'cpu', batching: { maxBatchSize: 16 }, cuda: { streams: 3 } });
    const n = 400;
    const results = (await Promise.all(Array.from({ length: n }, (_, i) => multi.classify(inputs[i % inputs.length], { fullPrecision: true })))) as SingleLabelResult[];
    results.forEach((r, i) => expectSame(r, sequential[i % inputs.length], `call ${i}`));
    const stats = multi.stats();
    expect(stats.images).toBe(n);
    expect(stats.batches).toBeLessThan(n);
    const pending = Promise.allSettled(Array.from({ length: 100 }, (_, i) => multi.classify(inputs[i % inputs.length])));
    await multi.dispose();
    for (const s of await pending) if (s.status === 'rejected') expect(s.reason).toBeInstanceOf(DisposedError);
  });

  it('classifyBatch calls are kept whole and mixed with single calls', async () => {
    const calls = [model.classifyBatch(inputs.slice(0, 5), { fullPrecision: true }), model.classify(inputs[5], { fullPrecision: true }), model.classifyBatch(inputs.slice(6, 9), { fullPrecision: true })];
    const [a, b, c] = await Promise.all(calls);
    (a as SingleLabelResult[]).forEach((r, i) => expectSame(r, sequential[i], `batch a ${i}`));
    expectSame(b as SingleLabelResult, sequential[5], 'single');
    (c as SingleLabelResult[]).forEach((r, i) => expectSame(r, sequential[6 + i], `batch c ${i}`));
  });

  it('an error in one call fails only that call', async () => {
    const png = inputs[1] as Buffer;
    const corrupt = Buffer.concat([png.subarray(0, 40), Buffer.alloc(200, 7)]);
    const calls: { input: ImageInput; bad?: new (...a: never[]) => Error }[] = [];
    for (let i = 0; i < 40; i++) calls.push({ input: inputs[i % inputs.length] });
    calls.splice(7, 0, { input: corrupt, bad: DecodeError });
    calls.splice(19, 0, { input: { data: new Uint8Array(10), width: 8, height: 8, channels: 3 }, bad: InvalidImageError });
    calls.splice(30, 0, { input: Buffer.from('not an image at all'), bad: DecodeError });
    const settled = await Promise.allSettled(calls.map((c) => model.classify(c.input, { fullPrecision: true })));
    let good = 0;
    settled.forEach((s, i) => {
      if (calls[i].bad) {
        expect(s.status, `call ${i}`).toBe('rejected');
        expect((s as PromiseRejectedResult).reason).toBeInstanceOf(calls[i].bad!);
      } else {
        expect(s.status, `call ${i}`).toBe('fulfilled');
        const k = inputs.indexOf(calls[i].input);
        expectSame((s as PromiseFulfilledResult<SingleLabelResult>).value, sequential[k], `call ${i}`);
        good++;
      }
    });
    expect(good).toBe(40);
  });

  it('warmup() runs blank batches without counting calls', async () => {
    const m = await loadModel(digitsModel, { device: 'cpu', batching: { maxBatchSize: 8 } });
    await m.warmup();
    await m.warmup([3]);
    const stats = m.stats();
    expect(stats.calls).toBe(0);
    expect(stats.images).toBe(1 + 8 + 3);
    await expect(m.warmup([0])).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(m.warmup([] as never)).rejects.toBeInstanceOf(InvalidOptionError);
    await m.dispose();
    await expect(m.warmup()).rejects.toBeInstanceOf(DisposedError);
  });

  it('calls of a completed batch resume in slices: past SLICE_MS of JS the rest wait for the event loop to turn', async () => {
    // A clock that moves only when the test moves it: no dependence on how busy the machine is.
    let now = 1000;
    const clock = vi.spyOn(performance, 'now').mockImplementation(() => now);
    try {
      await new Promise((r) => setImmediate(r)); // a fresh turn: any earlier slice is closed
      expect(pace()).toBeUndefined(); // opens a slice: go on at once
      now += SLICE_MS / 2;
      expect(pace()).toBeUndefined(); // time left in the slice
      now += SLICE_MS; // a call that uses the slice up
      let othersRan = false;
      setImmediate(() => (othersRan = true)); // other work waiting on the event loop
      const wait = pace();
      expect(wait).toBeInstanceOf(Promise);
      await wait;
      expect(othersRan).toBe(true);
      expect(pace()).toBeUndefined(); // and the next slice has begun
    } finally {
      clock.mockRestore();
    }
  });

  it('rejects bad batching and call options with typed errors', async () => {
    await expect(loadModel(digitsModel, { batching: { maxBatchSize: 0 } })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(loadModel(digitsModel, { batching: { maxDelayMs: -1 } })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(loadModel(digitsModel, { batching: { maxQueue: 1.5 } })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(loadModel(digitsModel, { batching: { maxBatch: 4 } as never })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(model.classify(inputs[0], { timeoutMs: -5 })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(model.classify(inputs[0], { signal: 'stop' as never })).rejects.toBeInstanceOf(InvalidOptionError);
  });
});

describe('cancellation, timeouts and backpressure', () => {
  let slow: Model;
  let frame: ImageInput;
  beforeAll(async () => {
    slow = await loadModel(fixtureModel('resnet18.torchscript'), { device: 'cpu', batching: { maxBatchSize: 4, maxQueue: 8 } });
    const { data, info } = await sharp(photos()[0].path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    frame = { data, width: info.width, height: info.height, channels: 3 };
  });
  afterAll(() => slow.dispose());

  it('an aborted call that has not started is dropped and never runs', async () => {
    const before = slow.stats().images;
    const controller = new AbortController();
    const running = [slow.classifyBatch([frame, frame, frame, frame])];
    // once the first batch runs, the queue (maxQueue 8) takes the next 4 and the 4 to be aborted
    for (const until = performance.now() + 10_000; slow.stats().queuedImages > 0 && performance.now() < until; ) await new Promise((r) => setTimeout(r, 1));
    running.push(slow.classifyBatch([frame, frame, frame, frame]));
    const aborted = slow.classifyBatch([frame, frame, frame, frame], { signal: controller.signal });
    controller.abort('client went away');
    await expect(aborted).rejects.toBeInstanceOf(AbortedError);
    await Promise.all(running);
    await new Promise((r) => setTimeout(r, 50));
    expect(slow.stats().images - before).toBe(8); // the aborted 4 never ran
    // an already aborted signal rejects at once
    await expect(slow.classify(frame, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortedError);
  });

  it('aborting a running call rejects it at once; the model stays usable', async () => {
    const controller = new AbortController();
    const start = performance.now();
    const call = slow.classifyBatch([frame, frame, frame, frame], { signal: controller.signal });
    setTimeout(() => controller.abort(), 5);
    await expect(call).rejects.toBeInstanceOf(AbortedError);
    expect(performance.now() - start).toBeLessThan(1000);
    const r = (await slow.classify(frame)) as SingleLabelResult;
    expect(r.predictions.length).toBe(1000);
  });

  it('timeoutMs rejects with TimeoutError', async () => {
    const blocker = slow.classifyBatch([frame, frame, frame, frame]);
    await expect(slow.classify(frame, { timeoutMs: 1 })).rejects.toBeInstanceOf(TimeoutError);
    await blocker;
    const ok = await slow.classify(frame, { timeoutMs: 60_000 });
    expect(ok.time).toBeGreaterThan(0);
  });

  it('past maxQueue a call rejects at once with QueueFullError; the others complete', async () => {
    const settled = await Promise.allSettled(Array.from({ length: 24 }, () => slow.classify(frame)));
    const full = settled.filter((s) => s.status === 'rejected');
    for (const s of full) expect((s as PromiseRejectedResult).reason).toBeInstanceOf(QueueFullError);
    expect(full.length).toBeGreaterThan(0);
    expect(settled.length - full.length).toBeGreaterThanOrEqual(8);
    expect((full[0] as PromiseRejectedResult).reason.message).toMatch(/maxQueue/);
  });
});

describe('lifecycle', () => {
  it('dispose() with calls in flight: each resolves or rejects with DisposedError, then dispose resolves', async () => {
    const m = await loadModel(fixtureModel('mobilenet_v3_small.torchscript'), { device: 'cpu', batching: { maxBatchSize: 2 } });
    const calls = Promise.allSettled(Array.from({ length: 30 }, (_, i) => m.classify(photos()[i % photos().length].path)));
    await new Promise((r) => setTimeout(r, 30));
    await m.dispose();
    const settled = await calls;
    const rejected = settled.filter((s) => s.status === 'rejected') as PromiseRejectedResult[];
    for (const s of rejected) expect(s.reason).toBeInstanceOf(DisposedError);
    expect(rejected.length).toBeGreaterThan(0);
    expect(m.stats().inFlight).toBe(0);
    await expect(m.classify(photos()[0].path)).rejects.toBeInstanceOf(DisposedError);
  });

  it('models load and classify in several worker_threads at once; terminating a busy worker is safe', async () => {
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const { loadModel } = require(workerData.lib);
      (async () => {
        const m = await loadModel(workerData.model, { device: 'cpu' });
        const rs = await Promise.all(workerData.files.map((f) => m.classify(f)));
        parentPort.postMessage(rs.map((r) => r.top));
        if (workerData.spin) for (;;) await m.classify(workerData.files[0]);
        await m.dispose();
      })();`;
    const workerData = { lib: path.join(root, 'dist', 'lib', 'index.js'), model: digitsModel, files: samples };
    const run = (spin = false) => new Worker(code, { eval: true, workerData: { ...workerData, spin } });
    const expected = (await Promise.all(samples.map((f) => loadModel(digitsModel).then(async (m) => { const r = await m.classify(f); await m.dispose(); return (r as SingleLabelResult).top; }))));
    const tops = await Promise.all([run(), run(), run()].map((w) => new Promise<string[]>((resolve, reject) => { w.once('message', resolve); w.once('error', reject); })));
    for (const t of tops) expect(t).toEqual(expected);
    const busy = run(true);
    await new Promise((resolve) => busy.once('message', resolve));
    await new Promise((r) => setTimeout(r, 20));
    expect(await busy.terminate()).toBe(1); // terminated mid-work, and this process is still here
  });

  it('the process exits cleanly with models still loaded, also with calls in flight', () => {
    const lib = JSON.stringify(path.join(root, 'dist', 'lib', 'index.js'));
    const idle = `const { loadModel } = require(${lib}); loadModel(${JSON.stringify(digitsModel)}).then((m) => m.classify(${JSON.stringify(samples[0])})).then((r) => console.log(r.top));`;
    const busy = `const { loadModel } = require(${lib}); loadModel(${JSON.stringify(fixtureModel('resnet18.torchscript'))}).then((m) => { for (let i = 0; i < 8; i++) m.classify(${JSON.stringify(photos()[0].path)}).catch(() => {}); setTimeout(() => process.exit(0), 30); });`;
    for (const script of [idle, busy]) {
      const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
      expect(r.signal, r.stderr).toBeNull();
      expect(r.status, r.stderr).toBe(0);
    }
  });

  it('CPU compute runs at the niceness EDGE_CLASSIFY_NICE asks for (default: the normal lane at 0 and the quiet lane at +10, test/58), the JS thread at its own', () => {
    if (process.platform !== 'linux') return;
    const lib = JSON.stringify(path.join(root, 'dist', 'lib', 'index.js'));
    // niceness of every thread of the process (field 19 of /proc/self/task/<tid>/stat), after a classification
    const script = `const fs = require('fs'); const { loadModel } = require(${lib});
      loadModel(${JSON.stringify(fixtureModel('resnet18.torchscript'))}, { device: 'cpu' }).then((m) => m.classify(${JSON.stringify(photos()[0].path)})).then(() => {
        const nice = (t) => Number(fs.readFileSync('/proc/self/task/' + t + '/stat', 'utf8').split(') ')[1].split(' ')[16]);
        console.log(JSON.stringify({ main: nice(process.pid), threads: fs.readdirSync('/proc/self/task').map(nice) }));
      });`;
    const run = (env: Record<string, string>) => {
      const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { main: number; threads: number[] };
    };
    const base = run({ EDGE_CLASSIFY_NICE: '0' }).main; // the test runner's own niceness
    const byDefault = run({ EDGE_CLASSIFY_QUIET_NICE: '' });
    expect(byDefault.main).toBe(base);
    // by default nothing is lowered but the quiet lane (and what it starts, when it ran the batch)
    expect(byDefault.threads.every((n) => n === base || n === Math.min(19, base + 10))).toBe(true);
    expect(byDefault.threads.filter((n) => n === Math.min(19, base + 10)).length).toBeGreaterThanOrEqual(1);
    const lowered = run({ EDGE_CLASSIFY_NICE: '10' });
    expect(lowered.main).toBe(base);
    expect(lowered.threads.filter((n) => n === Math.min(19, base + 10)).length).toBeGreaterThanOrEqual(1);
    expect(run({ EDGE_CLASSIFY_NICE: '3' }).threads).toContain(Math.min(19, base + 3));
    expect(run({ EDGE_CLASSIFY_NICE: '0' }).threads.every((n) => n === base)).toBe(true);
    const bad = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, EDGE_CLASSIFY_NICE: 'high' } });
    expect(bad.stderr).toMatch(/EDGE_CLASSIFY_NICE='high' is not a whole number from 0 to 19; using 0/);
    // ignored: the defaults stand (the normal lane at 0, the quiet lane at +10)
    expect(JSON.parse(bad.stdout).threads.every((n: number) => n === base || n === Math.min(19, base + 10))).toBe(true);
  });

  it('memory settles: after warm-up, each of two more 20k calls adds under 8 MiB of RSS or 2 MiB of JS heap (< 420 bytes per call)', async () => {
    expect(typeof globalThis.gc, 'vitest runs with --expose-gc').toBe('function');
    const m = await loadModel(digitsModel, { device: 'cpu', batching: { maxBatchSize: 64 } });
    const raw = inputs.filter((x) => typeof x === 'object' && !Buffer.isBuffer(x)) as ImageInput[];
    const burst = async (calls: number) => {
      for (let done = 0; done < calls; done += 500) await Promise.all(Array.from({ length: 500 }, (_, i) => m.classify(raw[i % raw.length])));
    };
    // what the process holds, not what glibc's arenas keep for reuse (that varied by ±10 MiB between
    // runs), read four times 150 ms apart, the smallest kept: read at once after a burst, RSS was up to
    // 20 MiB above what it settled at a moment later (seen in the full suite on this 2-core VM)
    const settled = async () => {
      let rss = Infinity;
      let heapUsed = Infinity;
      for (let k = 0; k < 4; k++) {
        if (k) await new Promise((r) => setTimeout(r, 150));
        globalThis.gc!();
        native().binding._trimMemory();
        const now = process.memoryUsage();
        rss = Math.min(rss, now.rss);
        heapUsed = Math.min(heapUsed, now.heapUsed);
      }
      return { rss, heapUsed };
    };
    await burst(4000);
    await burst(20_000); // allocator arenas and V8's heap reach their working size
    const first = await settled();
    await burst(20_000); // a leak keeps growing in both of these; a working set does not
    const second = await settled();
    await burst(20_000);
    const third = await settled();
    // the smaller of the two growths: a leak shows in both; a one-off (a thread stack cached, an arena
    // grown; up to ~20 MiB seen once on this 2-core VM) in one of them only
    const mib = (b: number) => `${Math.round((b / 2 ** 20) * 10) / 10} MiB`;
    const rss = Math.min(second.rss - first.rss, third.rss - second.rss);
    const heap = Math.min(second.heapUsed - first.heapUsed, third.heapUsed - second.heapUsed);
    expect(rss, `RSS ${mib(first.rss)} -> ${mib(second.rss)} -> ${mib(third.rss)}`).toBeLessThan(8 * 2 ** 20);
    expect(heap, `heap ${mib(first.heapUsed)} -> ${mib(second.heapUsed)} -> ${mib(third.heapUsed)}`).toBeLessThan(2 * 2 ** 20);
    expect(m.stats().succeeded).toBe(64_000);
    await m.dispose();
  });
});
