// CLIP zero-shot (issue 7) on the CPU, against open_clip itself on the same seeded tiny model:
// image embeddings (same input tensor) and text embeddings within 1e-4, similarities and the best
// label equal; the /clip/compare result shape; cached text embeddings; batching; typed errors.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Clip, DecodeError, InvalidOptionError, loadClip, ModelLoadError } from '../lib/index.mjs';
import { fixtures, photos, python, root, writeTensor } from './helpers';

const TOL = 1e-4;
const pkg = path.join(fixtures, 'clip', 'tiny');
const labels = ['a photo of a cat', 'a photo of a rocket', 'coffee in a cup', 'an astronaut', 'scratched car door', 'car door', 'Émile’s café — “ＣＬＩＰ”'];

let clip: Clip;
beforeAll(async () => {
  clip = await loadClip(pkg, { device: 'cpu' });
});
afterAll(() => clip?.dispose());

function reference(tensor: Float32Array, n: number, texts: string[]) {
  return JSON.parse(
    execFileSync(python(), [path.join(root, 'test', 'reference', 'clip_reference.py')], {
      input: JSON.stringify({ site: path.join(fixtures, 'clip', 'site'), arch: 'tiny', seed: 0, size: clip.config.image_size, tensor: writeTensor(tensor), n, texts }),
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    }),
  ) as { image: number[][]; text: number[][]; logit_scale: number };
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
};

describe('CLIP zero-shot', () => {
  it('image and text embeddings equal open_clip within 1e-4; similarities and best labels equal', async () => {
    const files = photos().slice(0, 4).map((p) => p.path);
    const batch = await clip.preprocess(files);
    const ref = reference(batch.tensor, files.length, labels);
    expect(clip.config.logit_scale).toBeCloseTo(ref.logit_scale, 5);
    const texts = await clip.embedText(labels);
    texts.forEach((t, i) => expect(maxDiff(t, ref.text[i]), labels[i]).toBeLessThan(TOL));
    const images = await clip.embedImage(files);
    images.forEach((e, i) => expect(maxDiff(e, ref.image[i]), files[i]).toBeLessThan(TOL));
    for (const [i, file] of files.entries()) {
      const r = await clip.classify(file, labels);
      const expected = ref.text.map((t) => t.reduce((sum, x, k) => sum + x * ref.image[i][k], 0));
      expect(maxDiff(r.similarity, expected)).toBeLessThan(TOL);
      expect(r.top).toBe(labels[expected.indexOf(Math.max(...expected))]);
    }
  });

  it('returns the /clip/compare shape plus the best label and softmax probabilities', async () => {
    const r = await clip.classify(photos()[0].path, ['a cat', 'a dog']);
    expect(Object.keys(r).sort()).toEqual(['inference_id', 'predictions', 'similarity', 'time', 'top']);
    expect(r.similarity).toHaveLength(2);
    expect(r.predictions.map((p) => p.class)).toEqual(['a cat', 'a dog']);
    expect(r.predictions.reduce((s, p) => s + p.confidence, 0)).toBeCloseTo(1, 10);
    const logits = r.similarity.map((s) => s * clip.config.logit_scale);
    expect(r.predictions[0].confidence).toBeCloseTo(1 / (1 + Math.exp(logits[1] - logits[0])), 10);
    expect(r.inference_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('caches text embeddings per label', async () => {
    const [a] = await clip.embedText(['a cached label']);
    const [b] = await clip.embedText(['a cached label']);
    expect(b).toBe(a);
  });

  it('concurrent calls go through the image batcher', async () => {
    const file = photos()[1].path;
    const alone = await clip.classify(file, labels);
    const together = await Promise.all(Array.from({ length: 24 }, () => clip.classify(file, labels)));
    for (const r of together) expect(maxDiff(r.similarity, alone.similarity)).toBeLessThan(1e-5);
  });

  it('bad input gets typed errors', async () => {
    const image = photos()[0].path;
    await expect(clip.classify(image, [])).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(clip.classify(image, ['ok', ''])).rejects.toThrow(/labels\[1\]/);
    await expect(clip.classify(image, ['ok', 3 as never])).rejects.toBeInstanceOf(InvalidOptionError);
    const few = await loadClip(pkg, { device: 'cpu', maxLabels: 2, maxTextChars: 20 });
    await expect(few.classify(image, ['a', 'b', 'c'])).rejects.toThrow(/over the limit of 2/);
    // text length is checked before tokenizing, for classify() and embedText() alike (default 1000 characters)
    await expect(few.classify(image, ['a', 'x'.repeat(21)])).rejects.toThrow(/labels\[1\] is 21 characters, over the limit of 20 \(maxTextChars\)/);
    await expect(few.embedText(['x'.repeat(21)])).rejects.toBeInstanceOf(InvalidOptionError);
    expect((await few.embedText(['x'.repeat(20)]))[0].length).toBeGreaterThan(0);
    await few.dispose();
    await expect(clip.embedText(['x'.repeat(1001)])).rejects.toThrow(/over the limit of 1000/);
    await expect(loadClip(pkg, { device: 'cpu', maxTextChars: 0 })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(clip.classify(Buffer.from('not an image'), ['a'])).rejects.toBeInstanceOf(DecodeError);
    await expect(loadClip(path.join(fixtures, 'models'))).rejects.toBeInstanceOf(ModelLoadError);
  });
});

describe('CLIP text-embedding cache and call options', () => {
  // unbounded before: 10 x 1000 distinct prompts grew RSS by 380 MB, never released
  it('keeps at most textCacheBytes of embeddings, least recently used dropped first', async () => {
    const small = await loadClip(pkg, { device: 'cpu', textCacheBytes: 8192 });
    try {
      for (let round = 0; round < 5; round++) {
        const prompts = Array.from({ length: 200 }, (_, i) => `distinct prompt ${round} ${i}`);
        const embedded = await small.embedText(prompts);
        expect(small.textCache.bytes).toBeLessThanOrEqual(8192);
        // the most recent prompt is served from the cache; the first of the round was dropped
        expect((await small.embedText([prompts[199]]))[0]).toBe(embedded[199]);
        const [first] = await small.embedText([prompts[0]]);
        expect(first).not.toBe(embedded[0]);
        expect(maxDiff(first, embedded[0])).toBeLessThan(1e-5); // recomputed alone instead of in a batch of 200
      }
      expect(small.textCache.entries).toBeGreaterThan(1);
      await expect(loadClip(pkg, { textCacheBytes: -1 })).rejects.toBeInstanceOf(InvalidOptionError);
    } finally {
      await small.dispose();
    }
  });

  it('classify() takes signal and timeoutMs like Model.classify()', async () => {
    await expect(clip.classify(photos()[0].path, ['a cat', 'a dog'], { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortedError' });
    const r = await clip.classify(photos()[0].path, ['a cat', 'a dog'], { timeoutMs: 60_000 });
    expect(r.predictions.length).toBe(2);
  });
});
