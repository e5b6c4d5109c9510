// loadModel's options grouped per backend (issue 14): every deprecated flat name of 0.1 still works,
// reads as its new name and warns once; `batching: false` / `combineCalls: false` run each call as its
// own batch; `batching.executors` is `cuda.streams`; `task` checks the model and types its results.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidOptionError, loadModel, ModelMismatchError, UnsupportedError, type Model } from '../lib/index.mjs';
import { digitsModel, fixtureModel } from './helpers';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { resolveLoadOptions } = require('../dist/lib/options/load.js') as typeof import('../lib/options/load');

const warnings: { name: string; code?: string; message: string }[] = [];
const onWarning = (w: Error & { code?: string }) => warnings.push({ name: w.name, code: w.code, message: w.message });
beforeAll(() => process.on('warning', onWarning));
afterAll(() => process.off('warning', onWarning));
/** emitWarning delivers on the next tick. */
const tick = () => new Promise((resolve) => setImmediate(resolve));

const RENAMED: [string, string, string, unknown][] = [
  ['threads', 'torch', 'threads', 2],
  ['preprocessThreads', 'torch', 'preprocessThreads', 3],
  ['optimize', 'torch', 'optimize', false],
  ['cudaStreams', 'cuda', 'streams', 4],
  ['cudaGraphs', 'cuda', 'graphs', false],
  ['channelsLast', 'cuda', 'channelsLast', true],
  ['decode', 'cuda', 'decode', 'cpu'],
  ['workspaceMb', 'tensorrt', 'workspaceMb', 512],
  ['calibration', 'tensorrt', 'calibration', '/some/folder'],
];

describe('deprecated flat options', () => {
  for (const [old, group, key, value] of RENAMED) {
    it(`options.${old} is read as options.${group}.${key}, with one DeprecationWarning`, async () => {
      const extra = old === 'calibration' ? { precision: 'int8' } : {};
      const before = warnings.length;
      const flat = resolveLoadOptions({ ...extra, [old]: value });
      const grouped = resolveLoadOptions({ ...extra, [group]: { [key]: value } });
      expect(flat).toEqual(grouped);
      expect((flat as unknown as Record<string, Record<string, unknown>>)[group][key]).toEqual(value);
      resolveLoadOptions({ ...extra, [old]: value }); // a second use does not warn again
      await tick();
      const mine = warnings.slice(before);
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({ name: 'DeprecationWarning', message: expect.stringContaining(`options.${group}.${key}`) });
      expect(mine[0].code).toMatch(/^EDGE_CLASSIFY_DEP_/);
      // both names at once: which one is meant?
      expect(() => resolveLoadOptions({ ...extra, [old]: value, [group]: { [key]: value } })).toThrow(InvalidOptionError);
      // a bad value under the old name is refused like under the new one
      expect(() => resolveLoadOptions({ ...extra, [old]: Symbol('bad') })).toThrow(InvalidOptionError);
    });
  }

  it('a flat name reaches the native load: threads fixes the model team, decode: gpu is refused on the CPU', async () => {
    const model = await loadModel(digitsModel, { device: 'cpu', threads: 1 });
    expect(model.info.threads).toEqual({ count: 1, from: 'threads option' });
    await model.dispose();
    await expect(loadModel(digitsModel, { device: 'cpu', decode: 'gpu' })).rejects.toThrow(UnsupportedError);
    await expect(loadModel(digitsModel, { device: 'cpu', cuda: { decode: 'gpu' } })).rejects.toThrow(UnsupportedError);
  });

  it('batching.executors is cuda.streams (the batches running at once), with a DeprecationWarning', async () => {
    const before = warnings.length;
    expect(resolveLoadOptions({ batching: { executors: 1 } }).cuda.streams).toBe(1);
    expect(resolveLoadOptions({ batching: { executors: 6 }, cuda: { streams: 3 } }).cuda.streams).toBe(3);
    await tick();
    expect(warnings.slice(before).map((w) => w.message)).toEqual([expect.stringContaining('options.cuda.streams')]);
    expect(() => resolveLoadOptions({ batching: { executors: 0 } })).toThrow(InvalidOptionError);
  });
});

describe('calls not combined', () => {
  let separate: Model;
  let legacy: Model;
  beforeAll(async () => {
    separate = await loadModel(digitsModel, { device: 'cpu', batching: { combineCalls: false, maxBatchSize: 8 } });
    legacy = await loadModel(digitsModel, { device: 'cpu', batching: false });
  });
  afterAll(async () => {
    await separate?.dispose();
    await legacy?.dispose();
  });

  const frame = { data: new Uint8Array(32 * 32 * 3).fill(200), width: 32, height: 32, channels: 3 as const };

  it('combineCalls: false runs each of many concurrent calls as its own batch, in order', async () => {
    const results = await Promise.all(Array.from({ length: 24 }, () => separate.classify(frame)));
    expect(results).toHaveLength(24);
    expect(separate.stats().batchSizes).toEqual({ 1: 24 });
  });

  it('a classifyBatch() is one batch of its images, also with batching: false (0.1 split it into batches of 1)', async () => {
    await separate.classifyBatch(Array(6).fill(frame));
    expect(separate.stats().batchSizes).toEqual({ 1: 24, 6: 1 });
    const before = warnings.length;
    await Promise.all([legacy.classifyBatch(Array(6).fill(frame)), legacy.classify(frame), legacy.classify(frame)]);
    expect(legacy.stats().batchSizes).toEqual({ 1: 2, 6: 1 });
    await tick();
    expect(warnings.slice(before)).toHaveLength(0); // warned once, at the load
    expect(warnings.some((w) => w.message.includes('batching: false') && w.message.includes('combineCalls: false'))).toBe(true);
  });

  it('with combineCalls on (the default), the same concurrent calls share batches', async () => {
    const combined = await loadModel(digitsModel, { device: 'cpu', batching: { maxBatchSize: 8, maxDelayMs: 20 } });
    await Promise.all(Array.from({ length: 24 }, () => combined.classify(frame)));
    expect(combined.stats().batches).toBeLessThan(24);
    await combined.dispose();
  });
});

describe('options.task', () => {
  const frame = { data: new Uint8Array(32 * 32), width: 32, height: 32, channels: 1 as const };
  it('is checked against the model: a single-label model loaded as multi-label is a ModelMismatchError', async () => {
    await expect(loadModel(digitsModel, { task: 'multi-label' })).rejects.toThrow(ModelMismatchError);
    await expect(loadModel(digitsModel, { task: 'multi-label' })).rejects.toThrow(/options\.task is 'multi-label' but .* says 'single-label'/);
    const single = await loadModel(digitsModel, { task: 'single-label' });
    expect(single.task).toBe('single-label');
    const result = await single.classify(frame);
    expect(result.top).toBe(result.predictions[0].class); // typed SingleLabelResult: no cast
    await single.dispose();
  });

  it('follows a metadata override, and Model.is() narrows at run time', async () => {
    const overridden = await loadModel(digitsModel, { metadata: { task: 'multi-label' }, task: 'multi-label' });
    expect(Array.isArray((await overridden.classify(frame)).predicted_classes)).toBe(true);
    await overridden.dispose();
    const model = await loadModel(fixtureModel('multilabel.torchscript')); // Model<Task>: results are the union
    expect(model.is('single-label')).toBe(false);
    if (!model.is('multi-label')) throw new Error('the multi-label fixture is not multi-label');
    const r = await model.classify(frame); // narrowed: MultiLabelResult
    expect(Array.isArray(r.predicted_classes)).toBe(true);
    await model.dispose();
  });
});
