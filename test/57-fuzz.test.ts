// Seeded fuzzing of classify(): 10,000+ malformed inputs — bit-flipped and truncated JPEG, PNG, WebP,
// GIF, TIFF and AVIF files, PNG headers with absurd sizes, random bytes, broken base64, raw frames with
// bad geometry — each resolves or rejects with a typed error, the process stays up, RSS stays bounded,
// and a well-formed image classifies as before afterwards.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EdgeClassifyError, loadModel, type ImageInput, type Model, type SingleLabelResult } from '../lib/index.mjs';
import { digitsModel, seeded as random } from './helpers';

const SEED = 0x5eed;
const CASES = 10_240;


const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A PNG whose IHDR says width x height (CRC fixed, so decoders believe it), with the original pixel data. */
function pngWithSize(png: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(png);
  out.writeUInt32BE(width >>> 0, 16);
  out.writeUInt32BE(height >>> 0, 20);
  out.writeUInt32BE(crc32(out.subarray(12, 29)), 29);
  return out;
}

let model: Model;
let originals: Buffer[];
let reference: SingleLabelResult;

beforeAll(async () => {
  model = await loadModel(digitsModel, { device: 'cpu', batching: { maxBatchSize: 16 } });
  const base = sharp({ create: { width: 37, height: 29, channels: 3, background: { r: 200, g: 40, b: 90 } } }).composite([
    { input: Buffer.from('<svg width="37" height="29"><circle cx="18" cy="14" r="9" fill="white"/></svg>'), top: 0, left: 0 },
  ]);
  const flat = await base.png().toBuffer();
  const image = () => sharp(flat);
  originals = await Promise.all([
    image().jpeg({ quality: 80 }).toBuffer(),
    image().jpeg({ quality: 80, progressive: true }).toBuffer(),
    image().png().toBuffer(),
    image().webp({ quality: 70 }).toBuffer(),
    image().webp({ lossless: true }).toBuffer(),
    image().gif().toBuffer(),
    image().tiff().toBuffer(),
    image().avif({ quality: 50, effort: 0 }).toBuffer(),
  ]);
  reference = (await model.classify(originals[2])) as SingleLabelResult;
});

afterAll(async () => {
  await model.dispose();
});

function mutate(next: () => number, i: number): ImageInput {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)];
  const original = originals[i % originals.length];
  switch (i % 8) {
    case 0:
    case 1: {
      // bit flips anywhere, more of them near the header
      const b = Buffer.from(original);
      const flips = 1 + Math.floor(next() * 12);
      for (let k = 0; k < flips; k++) {
        const at = next() < 0.5 ? Math.floor(next() * Math.min(64, b.length)) : Math.floor(next() * b.length);
        b[at] ^= 1 << Math.floor(next() * 8);
      }
      return b;
    }
    case 2:
      return original.subarray(0, Math.floor(next() * original.length)); // truncated (possibly empty)
    case 3: {
      // absurd PNG header sizes
      const sizes = [0, 1, 0x7fffffff, 0xffffffff, 40_000_000, 65_535, 1 << 24, Math.floor(next() * 2 ** 32)];
      return pngWithSize(originals[2], pick(sizes), pick(sizes));
    }
    case 4: {
      // random bytes, sometimes behind a real signature
      const b = Buffer.alloc(Math.floor(next() * 512));
      for (let k = 0; k < b.length; k++) b[k] = Math.floor(next() * 256);
      if (next() < 0.5 && b.length > 8) originals[Math.floor(next() * originals.length)].copy(b, 0, 0, 8);
      return b;
    }
    case 5: {
      // broken base64 as a bare string and as { base64 }
      const b64 = original.toString('base64');
      const broken = pick([
        b64.slice(0, Math.floor(next() * b64.length)),
        b64.replace(/[A-Z]/g, () => pick(['!', '*', '%', ' ', 'A'])),
        `data:image/png;base64,${b64.slice(1)}`,
        `data:image/png,${b64}`,
        `${b64}===`,
        Buffer.from(original.subarray(0, 40)).toString('base64url'),
        'A',
        '====',
      ]);
      return next() < 0.5 ? broken || 'x' : { base64: broken };
    }
    case 6: {
      // raw frames with bad geometry or types
      const data = new Uint8Array(Math.floor(next() * 300));
      const bad = [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, 2 ** 53, 1e15, 3, 10_000_000];
      return { data, width: pick(bad), height: pick(bad), channels: pick([0, 1, 2, 3, 4, 5, 3.5] as const) } as never;
    }
    default: {
      // plausible raw frames, some short by a byte, some with a wrong format name
      const w = 1 + Math.floor(next() * 40);
      const h = 1 + Math.floor(next() * 40);
      const channels = pick([1, 3, 4] as const);
      const data = new Uint8Array(w * h * channels - (next() < 0.3 ? 1 : 0));
      const format = next() < 0.2 ? pick(['cmyk', 'rgb', 'bgra', 'gray'] as const) : undefined;
      return { data, width: w, height: h, channels, ...(format ? { format } : {}) } as never;
    }
  }
}

describe(`fuzzing classify() with ${CASES} seeded malformed inputs`, () => {
  it('every input resolves or rejects with a typed error; the process stays up; RSS stays bounded', async () => {
    const next = random(SEED);
    const inputs = Array.from({ length: CASES }, (_, i) => mutate(next, i));
    const outcomes = new Map<string, number>();
    const untyped: string[] = [];
    const run = async (from: number, to: number) => {
      await Promise.all(
        inputs.slice(from, to).map(async (input, k) => {
          try {
            await model.classify(input);
            outcomes.set('ok', (outcomes.get('ok') ?? 0) + 1);
          } catch (error) {
            if (!(error instanceof EdgeClassifyError)) untyped.push(`case ${from + k}: ${String(error)}`);
            else outcomes.set(error.code, (outcomes.get(error.code) ?? 0) + 1);
          }
        }),
      );
    };
    const batch = 32;
    await run(0, 1024); // warm-up: libvips caches, allocator arenas
    globalThis.gc?.();
    const warm = process.memoryUsage().rss;
    for (let from = 1024; from < CASES; from += batch) await run(from, Math.min(CASES, from + batch));
    globalThis.gc?.();
    const grown = process.memoryUsage().rss - warm;
    expect(untyped, untyped.slice(0, 5).join('\n')).toEqual([]);
    const total = [...outcomes.values()].reduce((a, b) => a + b, 0);
    expect(total).toBe(CASES);
    // both kinds of outcome occur: the fuzzer reaches decoding, not only the argument checks
    expect(outcomes.get('ok') ?? 0).toBeGreaterThan(100);
    expect(outcomes.get('ERR_DECODE') ?? 0).toBeGreaterThan(1000);
    expect(outcomes.get('ERR_INVALID_IMAGE') ?? 0).toBeGreaterThan(100);
    console.log(`fuzz outcomes: ${JSON.stringify(Object.fromEntries(outcomes))}; RSS +${Math.round(grown / 2 ** 20)} MiB after warm-up`);
    expect(grown, `RSS grew ${Math.round(grown / 2 ** 20)} MiB`).toBeLessThan(256 * 2 ** 20);
    // the model still answers exactly as before
    const after = (await model.classify(originals[2])) as SingleLabelResult;
    expect(after.top).toBe(reference.top);
    expect(after.confidence).toBe(reference.confidence);
    expect(model.stats().inFlight).toBe(0);
  });
});
