// Explicit { path } and { base64 } inputs, and the rule for bare strings: base64 when it parses as
// base64, a path only otherwise (and only when the file exists).
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortedError, DecodeError, decodeQueueStats, InvalidOptionError, loadModel, TimeoutError, type Model, type SingleLabelResult } from '../lib/index.mjs';
import { digitsModel, root } from './helpers';

const sample = path.join(root, 'samples', 'digit-7-6.png');
let model: Model<'single-label'>;
let expected: SingleLabelResult;

beforeAll(async () => {
  model = await loadModel(digitsModel, { device: 'cpu', task: 'single-label' });
  expected = await model.classify(readFileSync(sample));
});
afterAll(async () => {
  await model.dispose();
});

describe('image inputs', () => {
  it('{ path } reads the file; { base64 } decodes, with or without a data: prefix', async () => {
    const b64 = readFileSync(sample).toString('base64');
    for (const input of [{ path: sample }, { base64: b64 }, { base64: `data:image/png;base64,${b64}` }, b64, sample]) {
      const r = await model.classify(input);
      expect(r.top).toBe(expected.top);
      expect(r.confidence).toBe(expected.confidence);
    }
    expect((await model.classify({ path: sample })).image_path).toBe(sample);
  });

  it('a bare string that parses as base64 is never read as a file, even when such a file exists; { path } reads it', async () => {
    // a folder and file name of base64 characters only, the whole path a multiple of 4 long
    const dir = mkdtempSync(path.join(os.tmpdir(), 'b64'));
    let name = 'QUJD';
    while (!/^[A-Za-z0-9+/_-]+$/.test(path.join(dir, name)) || path.join(dir, name).length % 4 !== 0) name += 'x';
    const file = path.join(dir, name);
    copyFileSync(sample, file);
    await expect(model.classify(file)).rejects.toBeInstanceOf(DecodeError); // taken for base64 (before: the file was read)
    expect((await model.classify({ path: file })).top).toBe(expected.top);
  });

  it('refuses SVG and other formats outside the list by their first bytes, before sharp renders anything', async () => {
    // a small SVG that asks the renderer for a large, slow blur (sharp would render it)
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="6000" height="6000"><filter id="b"><feGaussianBlur stdDeviation="500"/></filter><rect width="6000" height="6000" filter="url(#b)"/></svg>');
    for (const bytes of [svg, Buffer.concat([Buffer.from('<?xml version="1.0"?>\n'), svg])]) {
      const error = await model.classify(bytes).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DecodeError);
      expect((error as Error).message).toMatch(/not a supported image: expected JPEG, PNG, WebP, GIF, TIFF, AVIF \(SVG is not accepted/);
    }
    const pdf = await model.classify(Buffer.from('%PDF-1.4\n%...')).catch((e: unknown) => e);
    expect((pdf as Error).message).toMatch(/not a supported image: expected JPEG, PNG/);
    // and the accepted formats still decode, each by its own signature
    const sharp = (await import('sharp')).default;
    const png = readFileSync(sample);
    for (const format of ['jpeg', 'webp', 'gif', 'tiff', 'avif'] as const) {
      const encoded = await sharp(png).toFormat(format).toBuffer();
      expect((await model.classify(encoded)).top, format).toBe(expected.top);
    }
  });

  it('explains a bare string that is neither, and refuses bad explicit inputs with typed errors', async () => {
    await expect(model.classify('/no/such/image.png')).rejects.toThrow(/neither an existing file path nor valid base64.*\{ path \} or \{ base64 \}/);
    await expect(model.classify({ path: '/no/such/image.png' })).rejects.toThrow(InvalidOptionError);
    await expect(model.classify({ path: '' })).rejects.toThrow(InvalidOptionError);
    await expect(model.classify({ path: root })).rejects.toThrow(/is a directory/);
    await expect(model.classify({ base64: 'not base64!' })).rejects.toThrow(DecodeError);
    await expect(model.classify({ base64: 42 } as never)).rejects.toThrow(InvalidOptionError);
    await expect(model.classify({ base64: 'data:image/png,abc' })).rejects.toThrow(/without ';base64,'/);
  });

  it('a decode still waiting when its call is aborted never starts (the process decode queue drops it)', async () => {
    const sharp = (await import('sharp')).default;
    // noise compresses badly: each of these takes a libuv thread for a while
    const noise = Buffer.alloc(1500 * 1500 * 3);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
    const big = await sharp(noise, { raw: { width: 1500, height: 1500, channels: 3 } }).png().toBuffer();
    const before = decodeQueueStats();
    expect(before.running).toBe(0);
    // as many decodes as may run at once, then one more that has to wait, aborted at once
    const blockers = Array.from({ length: before.concurrency }, () => model.classify(big));
    const controller = new AbortController();
    const waiting = model.classify(big, { signal: controller.signal });
    expect(decodeQueueStats().waiting).toBe(1);
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(AbortedError);
    for (const r of await Promise.all(blockers)) expect(r.image).toEqual({ width: 1500, height: 1500 });
    const after = decodeQueueStats();
    expect(after.started - before.started).toBe(before.concurrency); // the aborted one never started
    expect(after.dropped - before.dropped).toBe(1);
    expect([after.running, after.waiting]).toEqual([0, 0]);
  });

  it('a decode already running is stopped at its call\'s deadline (sharp\'s timeout), and frees its thread', async () => {
    const sharp = (await import('sharp')).default;
    // 16383² progressive JPEG (1.5 MB): libjpeg-turbo buffers every coefficient and decodes in passes,
    // ~3 s of one libuv thread on the 2-core CI machine, and libvips reports progress all along, so
    // a kill lands while it runs. The call rejects at its deadline either way; without sharp's
    // timeout the decode would run on to the end, holding its thread, and end without an error.
    const side = 16383;
    const bomb = await sharp({ create: { width: side, height: side, channels: 3, background: { r: 120, g: 30, b: 200 } } }).jpeg({ progressive: true, quality: 50 }).toBuffer();
    const unlimited = await loadModel(digitsModel, { device: 'cpu', task: 'single-label', limitInputPixels: false });
    const before = decodeQueueStats();
    await expect(unlimited.classify(bomb, { timeoutMs: 1000 })).rejects.toBeInstanceOf(TimeoutError);
    for (const until = performance.now() + 30_000; decodeQueueStats().running > 0 && performance.now() < until; ) await new Promise((r) => setTimeout(r, 10));
    const after = decodeQueueStats();
    expect(after.running).toBe(0);
    expect(after.started - before.started).toBe(1);
    expect(after.stopped - before.stopped).toBe(1); // killed by its timeout, not run to the end
    await unlimited.dispose();
  }, 60_000);
});
