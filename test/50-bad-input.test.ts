// Bad input of every kind: a typed error with an actionable message, no crash,
// and the model keeps working for other calls.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DecodeError,
  DisposedError,
  InvalidImageError,
  InvalidOptionError,
  loadModel,
  type Model,
} from '../lib/index.mjs';
import { digitsModel, scratch } from './helpers';

let model: Model;
let jpeg: Buffer;
beforeAll(async () => {
  model = await loadModel(digitsModel, { limitInputPixels: 4096 * 4096 });
  jpeg = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#336699' } }).jpeg().toBuffer();
});
afterAll(() => model.dispose());

const rgb = (w: number, h: number, bytes = w * h * 3) => ({ data: new Uint8Array(bytes), width: w, height: h, channels: 3 as const });

const CASES: [string, () => unknown, new (...a: never[]) => Error, RegExp][] = [
  ['empty buffer', () => Buffer.alloc(0), DecodeError, /empty/],
  ['truncated JPEG', () => jpeg.subarray(0, jpeg.length >> 1), DecodeError, /decoded|truncated|corrupt/i],
  ['corrupt JPEG body', () => Buffer.concat([jpeg.subarray(0, 200), Buffer.alloc(500, 0x55), jpeg.subarray(700)]), DecodeError, /./],
  ['non-image bytes', () => Buffer.from('this is a text file, not an image'), DecodeError, /not a supported image/],
  ['bad base64', () => 'not base64 at all!', DecodeError, /neither an existing file path nor valid base64/],
  ['data: URL without base64', () => 'data:image/png,abc', DecodeError, /base64/],
  ['base64 of non-image bytes', () => Buffer.from('hello world').toString('base64'), DecodeError, /not a supported image/],
  ['a directory', () => ({ path: scratch }), InvalidOptionError, /directory/],
  ['empty string', () => '', InvalidOptionError, /empty string/],
  ['a number', () => 42, InvalidOptionError, /Expected a Buffer/],
  ['null', () => null, InvalidOptionError, /Expected a Buffer/],
  ['zero-sized raw image', () => rgb(0, 10), InvalidImageError, /width must be a positive integer/],
  ['raw buffer too short', () => rgb(10, 10, 299), InvalidImageError, /holds 299 bytes but 10x10x3 needs 300/],
  ['unsupported channel count', () => ({ data: new Uint8Array(200), width: 10, height: 10, channels: 2 }), InvalidImageError, /channels must be 1, 3 or 4/],
  ['format / channels disagree', () => ({ data: new Uint8Array(400), width: 10, height: 10, channels: 4, format: 'rgb' }), InvalidImageError, /has 3 channel/],
  ['unknown format', () => ({ data: new Uint8Array(300), width: 10, height: 10, channels: 3, format: 'yuv' }), InvalidOptionError, /format/],
  ['raw data not bytes', () => ({ data: [1, 2, 3], width: 1, height: 1, channels: 3 }), InvalidOptionError, /Uint8Array/],
  ['raw image over the pixel limit', () => rgb(5000, 5000, 3), InvalidImageError, /over the limit/],
];

describe('bad images', () => {
  it.each(CASES)('%s', async (_name, make, ErrorClass, message) => {
    const error = await model.classify(make() as never).catch((e) => e);
    expect(error).toBeInstanceOf(ErrorClass);
    expect(error.message).toMatch(message);
    expect(typeof error.code).toBe('string');
  });
  it('an encoded image over the pixel limit', async () => {
    const small = await loadModel(digitsModel, { limitInputPixels: 100 });
    const error = await small.classify(jpeg).catch((e) => e);
    expect(error).toBeInstanceOf(InvalidImageError);
    expect(error.message).toMatch(/pixel limit of 100.*limitInputPixels/);
    await small.dispose();
  });
  it('a bad image in a batch names its index', async () => {
    await expect(model.classifyBatch([jpeg, Buffer.from('junk'), jpeg])).rejects.toThrow(/images\[1\]/);
  });
  it('the model still works after all of that', async () => {
    const r = await model.classify(jpeg);
    expect(r.image).toEqual({ width: 300, height: 200 });
  });
});

describe('bad options', () => {
  it.each([
    [{ confidence: 2 }, /between 0 and 1/],
    [{ confidence: -0.1 }, /between 0 and 1/],
    [{ confidence: '0.5' }, /between 0 and 1/],
    [{ fullPrecision: 1 }, /a boolean/],
    [{ confidnce: 0.5 }, /Unknown option options.confidnce/],
    ['fast', /an object/],
  ])('classify(image, %o)', async (options, message) => {
    const error = await model.classify(jpeg, options as never).catch((e) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error.message).toMatch(message);
  });
  it('classifyBatch needs a non-empty array', async () => {
    await expect(model.classifyBatch([])).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(model.classifyBatch(jpeg as never)).rejects.toBeInstanceOf(InvalidOptionError);
  });
  it('infer checks the tensor size', async () => {
    await expect(model.infer(new Float32Array(10), 1)).rejects.toThrow(/does not hold 1 image/);
    await expect(model.infer([1, 2] as never, 1)).rejects.toBeInstanceOf(InvalidOptionError);
  });
});

describe('dispose', () => {
  it('calls after dispose reject with DisposedError; dispose is idempotent', async () => {
    const m = await loadModel(digitsModel);
    await m.dispose();
    await m.dispose();
    await expect(m.classify(jpeg)).rejects.toBeInstanceOf(DisposedError);
    await expect(m.preprocess([jpeg])).rejects.toBeInstanceOf(DisposedError);
    await expect(m.infer(new Float32Array(3 * 32 * 32), 1)).rejects.toBeInstanceOf(DisposedError);
  });
  it('dispose while calls are in flight: they finish, nothing crashes', async () => {
    const m = await loadModel(digitsModel);
    const calls = Array.from({ length: 8 }, () => m.classify(jpeg).then(() => 'ok', (e) => e.code));
    await m.dispose();
    const outcomes = await Promise.all(calls);
    for (const o of outcomes) expect(['ok', 'ERR_DISPOSED']).toContain(o);
  });
});

// The binding itself, called with garbage as a careless direct caller might: errors, never an abort.
describe('the native binding rejects malformed calls', () => {
  it('with typed errors and the process alive', async () => {
    const { native } = await import('../lib/native/binding');
    const { binding } = native();
    const nativeModel = await binding.loadModel(digitsModel, {
      backend: 'torch', maxBatchSize: 8, workspaceMb: 64, device: 'cpu', threads: 0, optimize: true, precision: 'fp32', cudaGraphs: false, channelsLast: false,
    });
    const throwsCode = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return (error as { code?: string }).code;
      }
      return 'no error';
    };
    expect(throwsCode(() => nativeModel.enqueue([] as never, false))).toBe('ERR_INVALID_ARGUMENT'); // before startQueue
    nativeModel.startQueue({ maxBatchSize: 4, maxDelayMs: 0, maxQueue: 16, maxQueuedPixels: 0, combine: true });
    for (const bad of [null, 'frames', [null], [{ data: 'x' }], [{ data: new Uint8Array(4), width: 'w', height: 1, format: 'rgb' }], [{ data: new Uint8Array(4), width: 1, height: 1, format: 'cmyk' }], [new Float32Array(4)]]) {
      expect(throwsCode(() => nativeModel.enqueue(bad as never, false)), JSON.stringify(bad)).toBe('ERR_INVALID_ARGUMENT');
      expect(throwsCode(() => nativeModel.enqueue(bad as never, true)), JSON.stringify(bad)).toBe('ERR_INVALID_ARGUMENT');
    }
    // pixels the core refuses fail only that request, asynchronously
    const [tooShort] = nativeModel.enqueue([{ data: new Uint8Array(3), width: 8, height: 8, format: 'rgb' }], false);
    await expect(tooShort).rejects.toMatchObject({ code: 'ERR_INVALID_IMAGE' });
    expect(throwsCode(() => nativeModel.configure({} as never))).toBe('ERR_INVALID_ARGUMENT');
    expect(throwsCode(() => nativeModel.startQueue({ maxBatchSize: 0, maxDelayMs: 0, maxQueue: 1, maxQueuedPixels: 0, combine: true }))).toBe('ERR_INVALID_ARGUMENT');
    expect(throwsCode(() => nativeModel.runTokens(new Int32Array(5), 2))).toBe('ERR_INVALID_ARGUMENT'); // not whole rows
    await expect(nativeModel.runTokens(new Int32Array(8), 2)).rejects.toMatchObject({ code: 'ERR_INFERENCE' }); // an image model
    await expect(nativeModel.infer(new Float32Array(7), 1)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect(throwsCode(() => binding.loadModel(42 as never, {} as never))).toBe('ERR_INVALID_ARGUMENT');
    await expect(binding.preprocess([{ data: new Uint8Array(1), width: 4, height: 4, format: 'rgb' }], { width: 8, height: 8, resize: 'stretch', pad: 0, channelOrder: 'rgb', mean: [0, 0, 0], std: [1, 1, 1], activation: 'none', maxPixels: 0, preprocessThreads: 0 })).rejects.toMatchObject({ code: 'ERR_INVALID_IMAGE' });
    nativeModel.dispose();
    expect(throwsCode(() => nativeModel.enqueue([], false))).toBe('ERR_DISPOSED');
  });
});
