// Data capture for retraining (issue 17, part): the samplers' rates over thousands of offers, the
// limits, the quota, the folder layout and atomic writes, a write failure that stops capturing while
// classification goes on, and over HTTP: Roboflow's active-learning fields, a workflow block's
// switch, /metrics, and SIGTERM with captures pending losing none.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../benchmarks/lib/processes';
import { loadModel, openCapture, runWorkflow, type Capture, type ClassificationResult, type Model, type SingleLabelResult } from '../lib/index.mjs';
import { digitsModel, root, scratch, seeded } from './helpers';

const seven = readFileSync(path.join(root, 'samples', 'digit-7-6.png'));
let dirs = 0;
const freshDir = () => path.join(scratch, `capture-${dirs++}`);

/** A single-label result whose top class and confidence are given. */
function result(top: string, confidence: number): ClassificationResult {
  return { inference_id: `id${Math.floor(confidence * 1e9)}`, time: 0, image: { width: 1, height: 1 }, predictions: [{ class: top, class_id: 0, confidence }], top, confidence, prediction_type: 'ClassificationModel' } as SingleLabelResult;
}

/** Every file under `dir`, relative. */
function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

describe('samplers', () => {
  const N = 4000;
  const within = (count: number, p: number) => {
    const sigma = Math.sqrt(N * p * (1 - p));
    expect(Math.abs(count - N * p), `${count} of ${N} for rate ${p}`).toBeLessThanOrEqual(5 * sigma);
  };
  it('random, close_to_threshold and classes_based keep the share they should', async () => {
    const data = seeded(1);
    const cases: [unknown, (i: number) => ClassificationResult, number][] = [
      [{ type: 'random', traffic_percentage: 0.1 }, () => result('a', data()), 0.1],
      [{ type: 'close_to_threshold', threshold: 0.5, epsilon: 0.1, probability: 0.5 }, () => result('a', data()), 0.2 * 0.5],
      [{ type: 'close_to_threshold', threshold: 0.5, epsilon: 0.1, selected_class_names: ['b'] }, (i) => result(i % 2 ? 'a' : 'b', data()), 0.5 * 0.2],
      [{ type: 'classes_based', selected_class_names: ['a'] }, (i) => result('abcd'[i % 4], 0.9), 0.25],
    ];
    for (const [options, make, rate] of cases) {
      const capture = await openCapture({ dir: freshDir(), samplers: [options as never], random: seeded(7), maxPending: N });
      let kept = 0;
      for (let i = 0; i < N; i++) kept += capture.offer(seven, make(i), { modelId: 'digits/1' }) ? 1 : 0;
      within(kept, rate);
      await capture.drain();
      expect(capture.stats().saved).toBe(kept);
    }
  });

  it('per-minute and per-hour limits', async () => {
    let now = 0;
    const capture = await openCapture({ dir: freshDir(), samplers: [{ type: 'random', traffic_percentage: 1 }], limits: { perMinute: 5, perHour: 8 }, now: () => now });
    const offer = () => capture.offer(seven, result('a', 0.9), { modelId: 'digits/1' });
    expect(Array.from({ length: 10 }, offer).filter(Boolean)).toHaveLength(5);
    now += 61_000;
    expect(Array.from({ length: 10 }, offer).filter(Boolean)).toHaveLength(3); // the hour's 8
    now += 3_600_000;
    expect(offer()).toBe(true);
    await capture.drain();
    expect(capture.stats()).toMatchObject({ saved: 9, dropped: { limit: 12 } });
  });
});

describe('the capture folder', () => {
  it('holds <dataset>/<class>/<id>.png with <id>.json beside it; no temporary file is left', async () => {
    const dir = freshDir();
    const capture = await openCapture({ dir, samplers: [{ type: 'random', traffic_percentage: 1 }] });
    capture.offer(seven, result('7', 0.91), { modelId: 'digits/1' });
    capture.offer(seven, result('../weird name', 0.5), { modelId: 'digits/1', dataset: 'line-2' });
    await capture.close();
    const all = files(dir).sort();
    expect(all).toHaveLength(4);
    expect(all.every((f) => !f.endsWith('.tmp'))).toBe(true);
    const png = all.find((f) => f.startsWith(path.join('digits', '7')) && f.endsWith('.png'))!;
    expect(readFileSync(path.join(dir, png))).toEqual(seven);
    const json = JSON.parse(readFileSync(path.join(dir, png.replace(/\.png$/, '.json')), 'utf8'));
    expect(json).toMatchObject({ model_id: 'digits/1', top: '7', prediction: { top: '7', confidence: 0.91 } });
    expect(all.some((f) => f.startsWith(path.join('line-2', '.._weird_name')))).toBe(true); // a class name is one safe folder
    expect(() => (capture.constructor as typeof Capture).checkDataset('../elsewhere')).toThrow(/one folder name/);
  });

  it('close() writes every capture still pending', async () => {
    const capture = await openCapture({ dir: freshDir(), samplers: [{ type: 'random', traffic_percentage: 1 }] });
    for (let i = 0; i < 50; i++) capture.offer(seven, result('7', 0.9), { modelId: 'digits/1' });
    expect(capture.stats().pending).toBe(50); // offer() only queues: nothing is written yet
    await capture.close();
    expect(capture.stats()).toMatchObject({ saved: 50, pending: 0 });
    expect(files(capture.dir).filter((f) => f.endsWith('.png'))).toHaveLength(50);
    expect(capture.offer(seven, result('7', 0.9), { modelId: 'digits/1' })).toBe(false); // closed
  });

  it('stops at its quota, with one log line, and says so in stats()', async () => {
    const lines: string[] = [];
    const capture = await openCapture({ dir: freshDir(), samplers: [{ type: 'random', traffic_percentage: 1 }], maxBytes: 3 * (seven.length + 400), log: (l) => lines.push(l) });
    for (let i = 0; i < 10; i++) capture.offer(seven, result('7', 0.9), { modelId: 'digits/1' });
    await capture.drain();
    const stats = capture.stats();
    expect(stats.stopped).toBe('quota');
    expect(stats.saved).toBeGreaterThanOrEqual(2);
    expect(stats.saved + stats.dropped.quota).toBe(10);
    expect(stats.bytes).toBeLessThanOrEqual(3 * (seven.length + 400));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/reached its quota/);
  });

  it('a write that fails stops capturing with a log line; classification goes on', async () => {
    const dir = freshDir();
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'digits'), 'a file where the dataset folder should go');
    const lines: string[] = [];
    const capture = await openCapture({ dir, samplers: [{ type: 'random', traffic_percentage: 1 }], log: (l) => lines.push(l) });
    const model = await loadModel(digitsModel, { device: 'cpu' });
    for (let i = 0; i < 3; i++) capture.offer(seven, await model.classify(seven), { modelId: 'digits/1' });
    await capture.drain();
    expect(capture.stats().stopped).toMatch(/^write failed: (ENOTDIR|EEXIST)$/);
    expect(capture.stats().dropped.error).toBe(3);
    expect(lines).toHaveLength(1);
    expect((await model.classify(seven)).image).toEqual({ width: 64, height: 64 });
    await model.dispose();
  });
});

/** Mounts for the disk cases (root only, like test/58-threads.test.ts's cgroups); undefined where not allowed. */
function tryMount(args: string[]): boolean {
  try {
    execFileSync('mount', args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('disks that refuse the writes', () => {
  const canMount = process.platform === 'linux' && process.getuid?.() === 0 && (() => {
    const probe = freshDir();
    mkdirSync(probe);
    const ok = tryMount(['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', probe]);
    if (ok) execFileSync('umount', [probe]);
    return ok;
  })();

  /** The capture's stop, seen in stats(), one log line and the server's /metrics; classification goes on. */
  async function expectStopped(capture: Capture, lines: string[], code: string) {
    const model = await loadModel(digitsModel, { device: 'cpu' });
    for (let i = 0; i < 100; i++) capture.offer(seven, await model.classify(seven), { modelId: 'digits/1' });
    await capture.drain();
    expect(capture.stats().stopped).toBe(`write failed: ${code}`);
    expect(lines).toEqual([expect.stringMatching(new RegExp(`cannot write to .*\\(${code}\\); classification goes on`))]);
    const { createServer } = require('../dist/lib/server/server.js') as typeof import('../lib/server/server');
    const app = createServer({ models: { 'digits/1': model }, capture });
    const metrics = (await app.inject({ url: '/metrics' })).body;
    expect(metrics).toContain(`edge_classify_capture_stopped{reason="write failed: ${code}"} 1`);
    const answer = await app.inject({ method: 'POST', url: '/digits/1', headers: { 'content-type': 'text/plain' }, payload: seven.toString('base64') });
    expect(answer.statusCode).toBe(200); // classification goes on
    await app.close();
    await model.dispose();
  }

  it('a full disk (a 16 KiB tmpfs)', { skip: !canMount && 'needs root and mount' }, async () => {
    const dir = freshDir();
    mkdirSync(dir);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', dir]);
    try {
      const lines: string[] = [];
      await expectStopped(await openCapture({ dir, samplers: [{ type: 'random', traffic_percentage: 1 }], log: (l) => lines.push(l) }), lines, 'ENOSPC');
    } finally {
      execFileSync('umount', [dir]);
    }
  });

  it('a read-only disk (a read-only bind mount)', { skip: !canMount && 'needs root and mount' }, async () => {
    const source = freshDir();
    const dir = freshDir();
    mkdirSync(source);
    mkdirSync(dir);
    execFileSync('mount', ['--bind', source, dir]);
    try {
      execFileSync('mount', ['-o', 'remount,ro,bind', dir]);
      const lines: string[] = [];
      await expectStopped(await openCapture({ dir, samplers: [{ type: 'random', traffic_percentage: 1 }], log: (l) => lines.push(l) }), lines, 'EROFS');
    } finally {
      execFileSync('umount', [dir]);
    }
  });
});

describe('over HTTP and in workflows', () => {
  let server: { url: string; child: ChildProcess };
  let dir: string;
  beforeAll(async () => {
    dir = freshDir();
    const config = path.join(scratch, 'capture-config.json');
    writeFileSync(config, JSON.stringify({ samplers: [{ type: 'random', traffic_percentage: 1 }] }));
    server = await startServer([path.join(root, 'bin', 'edge-classify.js'), 'serve', '-p', '0', '--device', 'cpu', '-m', `digits/1=${digitsModel}`, '--capture-dir', dir, '--capture-config', config, '--metrics-without-key']);
  });
  afterAll(() => server?.child.kill('SIGKILL'));

  it('honours disable_active_learning and active_learning_target_dataset; SIGTERM with captures pending loses none', async () => {
    const b64 = seven.toString('base64');
    const post = (query: string) => fetch(`${server.url}/digits/1?${query}`, { method: 'POST', body: b64, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const infer = (extra: Record<string, unknown>) => fetch(`${server.url}/infer/classification`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model_id: 'digits/1', image: { type: 'base64', value: b64 }, ...extra }) });
    expect((await post('disable_active_learning=True')).status).toBe(200);
    expect((await infer({ disable_active_learning: true })).status).toBe(200);
    expect((await infer({ active_learning_target_dataset: '../out' })).status).toBe(400);
    const responses = await Promise.all([
      ...Array.from({ length: 20 }, () => post('disable_active_learning=False')),
      ...Array.from({ length: 20 }, () => infer({ active_learning_target_dataset: 'line-2' })),
    ]);
    expect(responses.every((r) => r.status === 200)).toBe(true);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/edge_classify_capture_saved_total \d+/);
    server.child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => server.child.once('exit', resolve));
    expect(code).toBe(0);
    const all = files(dir);
    expect(all.filter((f) => f.startsWith(`digits${path.sep}`) && f.endsWith('.png'))).toHaveLength(20);
    expect(all.filter((f) => f.startsWith(`line-2${path.sep}`) && f.endsWith('.png'))).toHaveLength(20);
    expect(all.filter((f) => f.endsWith('.json'))).toHaveLength(40);
    expect(all.every((f) => statSync(path.join(dir, f)).size > 0)).toBe(true);
  });

  it('a workflow block captures only with disable_active_learning: false (its default is true)', async () => {
    const model: Model = await loadModel(digitsModel, { device: 'cpu' });
    const capture = await openCapture({ dir: freshDir(), samplers: [{ type: 'random', traffic_percentage: 1 }] });
    const step = (extra: Record<string, unknown>) => ({ version: '1.0', inputs: [{ type: 'WorkflowImage', name: 'image' }], steps: [{ type: 'roboflow_core/roboflow_classification_model@v2', name: 'm', images: '$inputs.image', model_id: 'digits/1', ...extra }], outputs: [] });
    await runWorkflow(step({}), { image: seven }, { models: { 'digits/1': model }, capture });
    await runWorkflow(step({ disable_active_learning: false, active_learning_target_dataset: 'wf' }), { image: [seven, seven] }, { models: { 'digits/1': model }, capture });
    await capture.close();
    expect(files(capture.dir).filter((f) => f.endsWith('.png'))).toHaveLength(2);
    expect(files(capture.dir).every((f) => f.startsWith(`wf${path.sep}`))).toBe(true);
    await model.dispose();
  });
});
