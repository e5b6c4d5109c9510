/**
 * TensorRT suite (node:test, compiled to dist/test/gpu/): the same checks as the CUDA libtorch path,
 * for anyone with TensorRT 10 and a GPU — skipped with the reason where the backend is not built or
 * TensorRT is not installed (as everywhere in this project's own workplace). Build with
 * EDGE_TENSORRT_INCLUDE=<TensorRT include dir> test/gpu/run.sh build, then run test/gpu/run.sh test.
 * Tolerances: fp32 (TF32 off) within 1e-4 of the CPU's confidences on the same input tensor, fp16
 * within 2e-2; GPU preprocessing into the input binding within one uint8 level of the CPU path.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildInfo, loadModel } from '../../lib/index';

const root = path.resolve(__dirname, '..', '..', '..');
const fixtures = path.join(root, 'test', '.fixtures');
const info = buildInfo();
const skip = !info.tensorrt ? 'built without the TensorRT backend (EDGE_TENSORRT_INCLUDE)' : !info.tensorrtAvailable ? `TensorRT not installed: ${info.tensorrtError}` : !info.cudaAvailable ? 'no CUDA GPU visible' : false;
const photos = (JSON.parse(readFileSync(path.join(fixtures, 'photos', 'manifest.json'), 'utf8')) as { file: string }[]).map((p) =>
  path.join(fixtures, 'photos', path.basename(p.file)),
);
const model = (name: string) => path.join(fixtures, 'models', name);
const engines = (name: string) => readdirSync(path.join(fixtures, 'models')).filter((f) => f.startsWith(`${name}.`) && f.endsWith('.engine'));

describe('TensorRT backend', { skip }, () => {
  for (const name of ['resnet18', 'mobilenet_v3_small']) {
    for (const [precision, tol] of [['fp32', 1e-4], ['fp16', 2e-2]] as const) {
      it(`${name} ${precision}: builds an engine from ONNX, caches it, and matches the CPU within ${tol}`, async () => {
        for (const e of engines(name)) rmSync(model(e));
        const cpu = await loadModel(model(`${name}.torchscript`), { device: 'cpu' });
        const trt = await loadModel(model(`${name}.onnx`), { backend: 'tensorrt', device: 'cuda', precision, batching: { maxBatchSize: 8 } });
        assert.equal(trt.info.backend, 'tensorrt');
        assert.equal(trt.info.metadataSource, 'onnx');
        assert.equal(engines(name).length, 1, 'one cached engine beside the model');
        const batch = await cpu.preprocess(photos);
        const a = await cpu.infer(batch.tensor, photos.length);
        const b = await trt.infer(batch.tensor, photos.length);
        for (let i = 0; i < a.length; i++) {
          let d = 0;
          for (let k = 0; k < a[i].length; k++) d = Math.max(d, Math.abs(a[i][k] - b[i][k]));
          assert.ok(d < tol, `${photos[i]}: max diff ${d}`);
        }
        // the kernel writing into the input binding = the CPU preprocessing
        const g = await trt.preprocess(photos);
        let worst = 0;
        for (let i = 0; i < g.tensor.length; i++) worst = Math.max(worst, Math.abs(g.tensor[i] - batch.tensor[i]) * 0.229 * 255);
        assert.ok(worst <= 1.01, `preprocessing max diff ${worst} levels`);
        // end to end, batched: same top class as the CPU in fp32
        const results = await Promise.all(photos.map((p) => trt.classify(p)));
        if (precision === 'fp32') {
          for (const [i, p] of photos.entries()) {
            const c = await cpu.classify(p);
            assert.equal('top' in results[i] && 'top' in c && results[i].top === c.top, true, p);
          }
        }
        await trt.dispose();
        // the cached engine is reused (and loads as a plain .engine file too)
        const again = await loadModel(model(`${name}.onnx`), { backend: 'tensorrt', precision, batching: { maxBatchSize: 8 } });
        await again.dispose();
        assert.equal(engines(name).length, 1);
        const direct = await loadModel(model(engines(name)[0]), { backend: 'tensorrt', metadata: cpu.info.metadata });
        const d = await direct.infer(batch.tensor, photos.length);
        assert.ok(Math.abs(d[0][0] - b[0][0]) < 1e-6);
        await direct.dispose();
        await cpu.dispose();
      });
    }
  }

  it('a batch larger than the engine profile runs in chunks', async () => {
    const trt = await loadModel(model('resnet18.onnx'), { backend: 'tensorrt', batching: { maxBatchSize: 4 } });
    const rs = await trt.classifyBatch(Array(11).fill(photos[0]));
    assert.equal(rs.length, 11);
    await trt.dispose();
    assert.ok(existsSync(model('resnet18.onnx')));
  });
});
