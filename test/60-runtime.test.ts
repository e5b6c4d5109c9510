// Runtime behaviour: the event loop keeps turning while native work runs, both
// entry points load, raw buffers are read in place.
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as esm from '../lib/index.mjs';
import { fixtureModel, photos } from './helpers';

let model: esm.Model;
beforeAll(async () => {
  model = await esm.loadModel(fixtureModel('resnet18.torchscript'), { device: 'cpu' });
});
afterAll(() => model.dispose());

describe('runtime', () => {
  it('does not block the event loop during preprocessing and inference', async () => {
    const images = photos().slice(0, 4).map((p) => p.path);
    let ticks = 0;
    let worstGap = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      worstGap = Math.max(worstGap, now - last);
      last = now;
      ticks++;
    }, 1);
    const start = performance.now();
    for (let i = 0; i < 3; i++) await model.classifyBatch(images);
    const elapsed = performance.now() - start;
    clearInterval(timer);
    // A blocked loop would let no timer run during the whole batch; here it keeps firing.
    expect(ticks).toBeGreaterThan(elapsed / 50);
    expect(worstGap).toBeLessThan(elapsed / 2);
  });
  it('CommonJS and ESM entry points export the same API', () => {
    const cjs = createRequire(import.meta.url)('../dist/lib/index.js');
    for (const name of Object.keys(cjs)) {
      expect(cjs[name], name).toBeDefined();
      expect((esm as Record<string, unknown>)[name], name).toBe(cjs[name]);
    }
  });
  it('raw pixels are read where they are (a change before the call is seen, no copy is taken up front)', async () => {
    const data = new Uint8Array(64 * 64 * 3).fill(10);
    const a = await model.preprocess([{ data, width: 64, height: 64, channels: 3 }]);
    data.fill(200);
    const b = await model.preprocess([{ data, width: 64, height: 64, channels: 3 }]);
    expect(a.tensor[0]).not.toBe(b.tensor[0]);
  });
  it('lastTiming accounts for the stages of the latest call', async () => {
    const fresh = await esm.loadModel(fixtureModel('mobilenet_v3_small.torchscript'), { device: 'cpu' });
    expect(fresh.lastTiming).toBeUndefined();
    const jpeg = photos()[0].path;
    const [result] = await fresh.classifyBatch([jpeg]);
    const t = fresh.lastTiming!;
    expect(t.batch).toBe(1);
    expect(t.decodedOn).toBe('cpu');
    expect(t.totalMs).toBeCloseTo(result.time * 1000, 6);
    for (const key of ['decodeMs', 'nativeMs', 'prepareMs', 'computeMs', 'resultMs'] as const) expect(t[key], key).toBeGreaterThanOrEqual(0);
    expect(t.decodeMs).toBeGreaterThan(0);
    expect(t.prepareMs).toBeGreaterThan(0); // CPU preprocessing of a real photo takes measurable time
    expect(t.prepareMs + t.computeMs).toBeLessThanOrEqual(t.nativeMs + 1e-6);
    expect(t.decodeMs + t.nativeMs).toBeLessThanOrEqual(t.totalMs + 1e-6);
    const data = new Uint8Array(32 * 32 * 3);
    await fresh.classifyBatch([{ data, width: 32, height: 32, channels: 3 }, { data, width: 32, height: 32, channels: 3 }]);
    expect(fresh.lastTiming!.decodedOn).toBe('none');
    expect(fresh.lastTiming!.batch).toBe(2);
    await fresh.dispose();
  });
});
