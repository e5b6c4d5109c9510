/**
 * GPU suite (node:test, compiled to dist/test/gpu/): skipped with a reason where
 * this build or machine has no CUDA. Run by test/gpu/run.sh on a GPU machine.
 * Tolerances: GPU preprocessing within one uint8 level of the CPU path; fp32
 * confidences within 1e-4 of the CPU's, fp16 within 2e-2; same top class on
 * the digits test set.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { existsSync } from 'node:fs';
import { buildInfo, loadClip, loadModel, OutOfMemoryError, type ModelMetadata, type LoadOptions } from '../../lib/index';

const root = path.resolve(__dirname, '..', '..', '..');
const fixtures = path.join(root, 'test', '.fixtures');
const info = buildInfo();
const skip = !info.cuda ? 'built without CUDA' : !info.cudaAvailable ? 'no CUDA GPU visible' : false;
const photos = (JSON.parse(readFileSync(path.join(fixtures, 'photos', 'manifest.json'), 'utf8')) as { file: string }[]).map((p) =>
  path.join(fixtures, 'photos', path.basename(p.file)),
);
const python = JSON.parse(readFileSync(path.join(fixtures, 'python.json'), 'utf8')).python as string;
const model = (name: string) => path.join(fixtures, 'models', name);

function maxLevelDiff(a: Float32Array, b: Float32Array, std: number[]): number {
  const plane = a.length / 3;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) * std[Math.floor(i / plane) % 3] * 255);
  return worst;
}

describe('CUDA path', { skip }, () => {
  it('reports a CUDA build and device', async () => {
    assert.equal(info.cuda, true);
    const m = await loadModel(model('resnet18.torchscript'), { device: 'auto' });
    assert.match(m.info.device, /^cuda/);
    const memory = m.stats().gpuMemory;
    assert.ok(memory && memory.totalBytes > 0 && memory.freeBytes > 0 && memory.freeBytes <= memory.totalBytes, JSON.stringify(memory));
    // concurrent single-image calls are batched on the GPU too, with the same results as alone
    const photo = photos[0];
    const alone = await m.classify(photo, { fullPrecision: true });
    const together = await Promise.all(Array.from({ length: 16 }, () => m.classify(photo, { fullPrecision: true })));
    for (const r of together) assert.equal('top' in r && 'top' in alone && r.top === alone.top, true);
    assert.ok(m.stats().batches < m.stats().calls, JSON.stringify(m.stats().batchSizes));
    await m.dispose();
  });

  const modes: [ModelMetadata['resize'], ModelMetadata['pad'], 'rgb' | 'bgr'][] = [
    ['stretch', 'black', 'rgb'], ['letterbox', 'grey', 'rgb'], ['letterbox', 'white', 'bgr'], ['center-crop', 'black', 'bgr'],
  ];
  for (const [resize, pad, order] of modes) {
    for (const [width, height] of [[224, 224], [97, 61]] as const) {
      it(`GPU preprocessing = CPU within one uint8 level: ${resize} ${pad} ${order} ${width}x${height}`, async () => {
        const metadata = { input: { width, height }, resize, pad, channel_order: order, mean: [0.485, 0.456, 0.406] as [number, number, number], std: [0.229, 0.224, 0.225] as [number, number, number] };
        const cpu = await loadModel(model('sidecar.torchscript'), { device: 'cpu', metadata });
        const gpu = await loadModel(model('sidecar.torchscript'), { device: 'cuda', metadata });
        const a = await cpu.preprocess(photos);
        const b = await gpu.preprocess(photos);
        const std = order === 'bgr' ? [0.225, 0.224, 0.229] : [0.229, 0.224, 0.225];
        assert.ok(maxLevelDiff(a.tensor, b.tensor, std) <= 1.0001, `max diff ${maxLevelDiff(a.tensor, b.tensor, std)} levels`);
        // the kernel writing channels-last memory gives the same tensor (read back as NCHW)
        const nhwc = await loadModel(model('sidecar.torchscript'), { device: 'cuda', metadata, cuda: { channelsLast: true } });
        const c = await nhwc.preprocess(photos);
        assert.ok(maxLevelDiff(a.tensor, c.tensor, std) <= 1.0001, `channels-last: max diff ${maxLevelDiff(a.tensor, c.tensor, std)} levels`);
        await nhwc.dispose();
        // raw gray and RGBA frames too
        const { data, info: i } = await sharp(photos[0]).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
        const rgba = { data, width: i.width, height: i.height, channels: 4 as const };
        const gray = { data: Buffer.from(data.filter((_, k) => k % 4 === 1)), width: i.width, height: i.height, channels: 1 as const };
        const c2 = await cpu.preprocess([rgba, gray]);
        const g2 = await gpu.preprocess([rgba, gray]);
        assert.ok(maxLevelDiff(c2.tensor, g2.tensor, std) <= 1.0001);
        await cpu.dispose();
        await gpu.dispose();
      });
    }
  }

  for (const name of ['resnet18', 'mobilenet_v3_small']) {
    for (const [precision, tol, channelsLast] of [['fp32', 1e-4, false], ['fp16', 2e-2, false], ['fp16', 2e-2, true]] as const) {
      it(`${name} ${precision}${channelsLast ? ' channels-last' : ''}: confidences within ${tol} of the CPU's on every photo`, async () => {
        const cpu = await loadModel(model(`${name}.torchscript`), { device: 'cpu' });
        const gpu = await loadModel(model(`${name}.torchscript`), { device: 'cuda', precision, cuda: { channelsLast } });
        // the same input tensor on both, so that only inference differs
        const batch = await cpu.preprocess(photos);
        const a = await cpu.infer(batch.tensor, photos.length);
        const b = await gpu.infer(batch.tensor, photos.length);
        for (let i = 0; i < a.length; i++) {
          let d = 0;
          for (let k = 0; k < a[i].length; k++) d = Math.max(d, Math.abs(a[i][k] - b[i][k]));
          assert.ok(d < tol, `${photos[i]}: max diff ${d}`);
        }
        // and end to end through the GPU kernel, graphs on: same top class as the CPU
        for (const p of photos) {
          const rc = await cpu.classify(p, { fullPrecision: true });
          const rg = await gpu.classify(p, { fullPrecision: true });
          if ('top' in rc && 'top' in rg && precision === 'fp32') assert.equal(rg.top, rc.top, p);
        }
        await cpu.dispose();
        await gpu.dispose();
      });
    }
  }

  it('digits model: same top class on CPU and GPU (fp16) on the held-out set', async () => {
    const held = JSON.parse(execFileSync(python, [path.join(root, 'scripts', 'models', 'dump_digits.py')], { encoding: 'utf8', maxBuffer: 64 << 20 })) as { images: number[][] };
    const frames = held.images.map((px) => ({ data: Uint8Array.from(px), width: 8, height: 8, channels: 1 as const }));
    const cpu = await loadModel(path.join(root, 'models', 'digits.torchscript'), { device: 'cpu' });
    const gpu = await loadModel(path.join(root, 'models', 'digits.torchscript'), { device: 'cuda', precision: 'fp16' });
    const a = await cpu.classifyBatch(frames);
    const b = await gpu.classifyBatch(frames);
    let same = 0;
    a.forEach((r, i) => { if ('top' in r && 'top' in b[i] && r.top === (b[i] as typeof r).top) same++; });
    assert.equal(same, frames.length, `${frames.length - same} differ`);
    await cpu.dispose();
    await gpu.dispose();
  });

  it('out of memory on an oversized batch is a typed error and the model stays usable', async () => {
    const m = await loadModel(model('resnet18.torchscript'), { device: 'cuda', precision: 'fp32' } satisfies LoadOptions);
    const tiny = { data: new Uint8Array(3), width: 1, height: 1, channels: 3 as const };
    const error = await m.classifyBatch(Array(60000).fill(tiny)).catch((e) => e);
    assert.ok(error instanceof OutOfMemoryError, `got ${error?.name}: ${error?.message}`);
    const ok = await m.classifyBatch([photos[0], photos[1]]);
    assert.equal(ok.length, 2);
    await m.dispose();
  });

  it('nvJPEG-decoded and sharp-decoded JPEGs give the same top class', { skip: !info.nvjpeg && 'built without nvJPEG' }, async () => {
    const gpu = await loadModel(model('resnet18.torchscript'), { device: 'cuda', cuda: { decode: 'gpu' } });
    const cpu = await loadModel(model('resnet18.torchscript'), { device: 'cuda', cuda: { decode: 'cpu' } });
    const jpegs = await Promise.all(photos.map((p) => sharp(p).removeAlpha().jpeg({ quality: 95 }).toBuffer()));
    const viaGpu = await gpu.classifyBatch(jpegs, { fullPrecision: true });
    const viaCpu = await cpu.classifyBatch(jpegs, { fullPrecision: true });
    const pre = await gpu.preprocess(jpegs);
    assert.equal(pre.decodedOn, 'gpu');
    viaGpu.forEach((r, i) => {
      assert.deepEqual(r.image, viaCpu[i].image);
      assert.equal((r as { top: string }).top, (viaCpu[i] as { top: string }).top, photos[i]);
    });
    // a corrupt JPEG falls back to sharp, which rejects it with a DecodeError
    const broken = Buffer.concat([jpegs[0].subarray(0, 400)]);
    await assert.rejects(gpu.classify(broken), (e: Error & { code?: string }) => e.code === 'ERR_DECODE');
    await gpu.dispose();
    await cpu.dispose();
  });

  it('classify from raw frames equals classify from the same pixels as PNG', async () => {
    const m = await loadModel(model('resnet18.torchscript'), { device: 'cuda' });
    const { data, info: i } = await sharp(photos[0]).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const a = await m.classify({ data, width: i.width, height: i.height, channels: 3 }, { fullPrecision: true });
    const b = await m.classify(photos[0], { fullPrecision: true });
    assert.deepEqual((a as { top: string }).top, (b as { top: string }).top);
    await m.dispose();
  });

  // The tiny CLIP package of the CPU suite (npm test makes it; test/gpu/run.sh expects it carried or made).
  const clipDir = path.join(fixtures, 'clip', 'tiny');
  it('CLIP on CUDA: embeddings and best label of the CPU (fp32, within 1e-4), similarities within 2e-2 (fp16)', { skip: !existsSync(path.join(clipDir, 'clip.json')) && 'no CLIP package at test/.fixtures/clip/tiny' }, async () => {
    const labels = ['a photo of a cat', 'a diagram', 'scratched car door', 'car door', 'an astronaut'];
    const cpu = await loadClip(clipDir, { device: 'cpu' });
    const fp32 = await loadClip(clipDir, { device: 'cuda', precision: 'fp32' });
    const fp16 = await loadClip(clipDir, { device: 'cuda', precision: 'fp16' });
    const worst = (a: Float32Array[], b: Float32Array[]) => Math.max(...a.map((v, i) => Math.max(...v.map((x, j) => Math.abs(x - b[i][j])))));
    const [tc, tg] = [await cpu.embedText(labels), await fp32.embedText(labels)];
    assert.ok(worst(tc, tg) <= 1e-4, `text embeddings differ by ${worst(tc, tg)}`);
    const [ic, ig] = [await cpu.embedImage(photos), await fp32.embedImage(photos)];
    assert.ok(worst(ic, ig) <= 1e-4, `image embeddings differ by ${worst(ic, ig)}`);
    for (const photo of photos) {
      const a = await cpu.classify(photo, labels);
      assert.equal((await fp32.classify(photo, labels)).top, a.top, photo);
      const b = await fp16.classify(photo, labels);
      a.similarity.forEach((s, i) => assert.ok(Math.abs(s - b.similarity[i]) <= 2e-2, `${photo} '${labels[i]}': ${s} vs ${b.similarity[i]}`));
      const [first, second] = [...a.similarity].sort((x, y) => y - x);
      if (first - second > 4e-2) assert.equal(b.top, a.top, photo); // nearer ties may flip within fp16's tolerance
    }
    await Promise.all([cpu.dispose(), fp32.dispose(), fp16.dispose()]);
  });
});
