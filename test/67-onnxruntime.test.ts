// The onnxruntime backend (issue 21): ONNX models on the CPU through ONNX Runtime's C API, with the
// library found at run time (here: the one inside the onnxruntime-node devDependency). Parity with the
// TorchScript on libtorch on the same tensor, end to end against OpenCV + onnxruntime in Python, a
// Roboflow-style package with weights.onnx, static batches, float16 inputs, and every bad input:
// missing, foreign or too old libraries (stand-ins built here with the C compiler), corrupt and
// truncated ONNX files, inputs that are not N x 3 x H x W float.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildInfo, loadModel, ModelLoadError, ModelMismatchError, UnsupportedError } from '../lib/index.mjs';
import type { SingleLabelResult } from '../lib/index.mjs';
import { digitsModel, expectLikePython, fixtureModel, maxAbsDiff, photos, python, root, scratch } from './helpers';

const info = buildInfo();
// CI builds with the headers and installs onnxruntime-node: there, a missing backend is a failure, not a skip
const ready = info.onnxruntimeAvailable || Boolean(process.env.CI);
const samples = path.join(root, 'samples');

/** `python -c script args...` */
const py = (script: string, ...args: string[]) => execFileSync(python(), ['-c', script, ...args], { encoding: 'utf8' });

function exportOnnx(torchscript: string, out: string, ...flags: string[]): string {
  execFileSync(python(), [path.join(root, 'scripts', 'models', 'export_onnx.py'), torchscript, out, ...flags], { encoding: 'utf8' });
  return out;
}

/** buildInfo() and an onnxruntime load in a fresh process (the library is opened once per process). */
function probe(env: Record<string, string>) {
  const script = `
    const { buildInfo, loadModel } = require(${JSON.stringify(path.join(root, 'dist', 'lib', 'index.js'))});
    loadModel(${JSON.stringify(fixtureModel('resnet18.onnx'))}, { backend: 'onnxruntime' }).then(
      async (m) => { console.log(JSON.stringify({ info: buildInfo(), loaded: m.info.backend })); await m.dispose(); },
      (e) => console.log(JSON.stringify({ info: buildInfo(), error: e.name, message: e.message })));`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, ...env } });
  if (!r.stdout) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

/** A stand-in libonnxruntime: OrtGetApiBase() answering `version`, serving no C API version (or no OrtGetApiBase at all). */
function fakeOnnxRuntime(version: string | null): string {
  const dir = path.join(scratch, `ort-${version ?? 'none'}`);
  mkdirSync(dir, { recursive: true });
  const source = path.join(dir, 'fake.c');
  writeFileSync(source, version === null ? 'int not_onnxruntime(void) { return 0; }' : `
    #include <stdint.h>
    #include <stddef.h>
    typedef struct { const void* (*GetApi)(uint32_t); const char* (*GetVersionString)(void); } Base;
    static const void* getApi(uint32_t v) { return NULL; }
    static const char* versionString(void) { return "${version}"; }
    static const Base base = { getApi, versionString };
    const Base* OrtGetApiBase(void) { return &base; }`);
  const lib = path.join(dir, 'libonnxruntime.so.1');
  execFileSync('cc', ['-shared', '-fPIC', '-o', lib, source]);
  return lib;
}

describe('onnxruntime backend', { skip: !ready && 'this build has no onnxruntime backend (bash scripts/onnxruntime-headers.sh, then rebuild) or no library' }, () => {
  it('buildInfo() names the backend, its C API version and the library it found', () => {
    expect(info.onnxruntime).toBe(true);
    expect(info.onnxruntimeAvailable).toBe(true);
    expect(info.onnxruntimeApiVersion).toBeGreaterThanOrEqual(17);
    expect(info.onnxruntimeVersion).toMatch(/^1\.\d+\.\d+/);
    expect(info.onnxruntimeLibrary).toMatch(/onnxruntime-node[\\/]bin[\\/]napi-v6[\\/].*libonnxruntime\.so\.1$/);
    expect(info.onnxruntimeError).toBeUndefined();
    expect(info.backends).toEqual(expect.arrayContaining(['torch', 'onnxruntime']));
  });

  for (const name of ['resnet18', 'mobilenet_v3_small', 'multilabel']) {
    it(`${name}: the same input tensor gives the TorchScript's confidences on libtorch within 1e-5`, async () => {
      const onnx = name === 'multilabel' ? exportOnnx(fixtureModel('multilabel.torchscript'), path.join(scratch, 'multilabel.onnx')) : fixtureModel(`${name}.onnx`);
      const torch = await loadModel(fixtureModel(`${name}.torchscript`), { device: 'cpu' });
      const ort = await loadModel(onnx, { backend: 'onnxruntime' });
      expect(ort.info.backend).toBe('onnxruntime');
      expect(ort.info.device).toBe('cpu');
      expect(ort.info.metadata.class_names).toEqual(torch.info.metadata.class_names);
      const batch = await torch.preprocess(photos().slice(0, 4).map((p) => p.path));
      expect((await ort.preprocess(photos().slice(0, 4).map((p) => p.path))).tensor).toEqual(batch.tensor);
      const ours = await ort.infer(batch.tensor, 4);
      const theirs = await torch.infer(batch.tensor, 4);
      for (let i = 0; i < 4; i++) {
        expect(maxAbsDiff(ours[i], theirs[i])).toBeLessThan(1e-5);
      }
      await Promise.all([torch.dispose(), ort.dispose()]);
    });
  }

  it('end to end: the same top class and confidences within 2e-3 of OpenCV + onnxruntime in Python, on every photo', async () => {
    const file = fixtureModel('resnet18.onnx');
    const model = await loadModel(file, { backend: 'onnxruntime' });
    await expectLikePython(model, file);
    await model.dispose();
  });

  it("a Roboflow package with weights.onnx runs end to end; 'auto' on the CPU takes it to onnxruntime", async () => {
    const dir = path.join(scratch, 'roboflow-onnx');
    mkdirSync(dir, { recursive: true });
    const from = fixtureModel('roboflow');
    for (const f of ['environment.json', 'class_names.txt']) copyFileSync(path.join(from, f), path.join(dir, f));
    // a bare export, as Roboflow's: no metadata_props, the package's environment.json says the rest
    py(`
import sys, torch, warnings
m = torch.jit.load(sys.argv[1], map_location="cpu").eval()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    torch.onnx.export(m, (torch.zeros(1, 3, 96, 96),), sys.argv[2], dynamo=False, opset_version=17, input_names=["input"], output_names=["logits"], dynamic_axes={"input": {0: "b"}, "logits": {0: "b"}})`,
    path.join(from, 'weights.torchscript'), path.join(dir, 'weights.onnx'));
    const torch = await loadModel(from, { device: 'cpu' });
    for (const options of [{ backend: 'onnxruntime' as const }, { device: 'cpu' as const }]) {
      const model = await loadModel(dir, options);
      expect(model.info.backend).toBe('onnxruntime');
      expect(model.info.path).toBe(path.join(dir, 'weights.onnx'));
      expect(model.info.metadata.class_names).toEqual(['cat', 'dog', 'bird']);
      for (const p of photos().slice(0, 3)) {
        const a = (await model.classify(p.path, { fullPrecision: true })) as SingleLabelResult;
        const b = (await torch.classify(p.path, { fullPrecision: true })) as SingleLabelResult;
        expect(a.top).toBe(b.top);
        for (const q of a.predictions) expect(Math.abs(q.confidence - b.predictions.find((x) => x.class_id === q.class_id)!.confidence)).toBeLessThan(1e-5);
      }
      await model.dispose();
    }
    await torch.dispose();
  });

  it('a static batch of 1 is served in chunks (the last one padded): batched calls equal single ones', async () => {
    const dynamic = exportOnnx(digitsModel, path.join(scratch, 'digits.onnx'));
    const fixed = path.join(scratch, 'digits-batch1.onnx');
    py(`
import sys, onnx
m = onnx.load(sys.argv[1])
for v in (m.graph.input[0], m.graph.output[0]):
    v.type.tensor_type.shape.dim[0].Clear()
    v.type.tensor_type.shape.dim[0].dim_value = 1
onnx.save(m, sys.argv[2])`, dynamic, fixed);
    const files = ['digit-0-1.png', 'digit-3-30.png', 'digit-7-6.png'].map((f) => readFileSync(path.join(samples, f)));
    const a = await loadModel(fixed, { backend: 'onnxruntime', batching: { maxBatchSize: 8, maxDelayMs: 20 } });
    const b = await loadModel(dynamic, { backend: 'onnxruntime' });
    const together = (await Promise.all(files.map((f) => a.classify(f, { fullPrecision: true })))) as SingleLabelResult[];
    const many = (await a.classifyBatch(files, { fullPrecision: true })) as SingleLabelResult[];
    for (let i = 0; i < files.length; i++) {
      const alone = (await b.classify(files[i], { fullPrecision: true })) as SingleLabelResult;
      expect(together[i].predictions).toEqual(alone.predictions);
      expect(many[i].predictions).toEqual(alone.predictions);
    }
    expect(many.map((r) => r.top)).toEqual(['0', '3', '7']);
    await Promise.all([a.dispose(), b.dispose()]);
  });

  it('a float16 ONNX with a float16 input gets its input in half, and its float16 output is read', async () => {
    const fp16 = exportOnnx(digitsModel, path.join(scratch, 'digits-fp16.onnx'), '--precision', 'fp16');
    const halfIo = path.join(scratch, 'digits-half-io.onnx');
    // drop the casts at the input and output: the graph takes and gives float16
    py(`
import sys, onnx
m = onnx.load(sys.argv[1]); g = m.graph
first = next(n for n in g.node if n.op_type == "Cast" and n.input[0] == g.input[0].name)
last = next(n for n in g.node if n.op_type == "Cast" and n.output[0] == g.output[0].name)
for n in g.node:
    n.input[:] = [g.input[0].name if i == first.output[0] else i for i in n.input]
    n.output[:] = [g.output[0].name if o == last.input[0] else o for o in n.output]
g.node.remove(first); g.node.remove(last)
g.input[0].type.tensor_type.elem_type = onnx.TensorProto.FLOAT16
g.output[0].type.tensor_type.elem_type = onnx.TensorProto.FLOAT16
onnx.checker.check_model(m); onnx.save(m, sys.argv[2])`, fp16, halfIo);
    const full = await loadModel(digitsModel, { device: 'cpu' });
    for (const file of [fp16, halfIo]) {
      const model = await loadModel(file, { backend: 'onnxruntime' });
      for (const f of ['digit-2-12.png', 'digit-5-4.png', 'digit-9-2.png']) {
        const bytes = readFileSync(path.join(samples, f));
        const a = (await model.classify(bytes, { fullPrecision: true })) as SingleLabelResult;
        const b = (await full.classify(bytes, { fullPrecision: true })) as SingleLabelResult;
        expect(a.top, `${path.basename(file)} ${f}`).toBe(b.top);
        expect(Math.abs(a.confidence - b.confidence)).toBeLessThan(5e-3);
      }
      await model.dispose();
    }
    await full.dispose();
  });

  // ONNX Runtime's CUDA execution provider: its success path needs a GPU and a CUDA build of the library
  // (not run here); without them, typed errors that say what is missing
  it("device 'cuda' without a usable CUDA execution provider: UnsupportedError saying what is missing; 'auto' names TensorRT too", { skip: info.cudaAvailable && 'a GPU is present' }, async () => {
    const onOrt = await loadModel(fixtureModel('resnet18.onnx'), { backend: 'onnxruntime', device: 'cuda:1' }).catch((e: unknown) => e);
    expect(onOrt).toBeInstanceOf(UnsupportedError);
    expect((onOrt as Error).message).toMatch(/could not be loaded for cuda:1|has no CUDA execution provider/);
    expect((onOrt as Error).message).toMatch(/onnxruntime-gpu|no CUDA execution provider/);
    const auto = await loadModel(fixtureModel('resnet18.onnx'), { device: 'cuda' }).catch((e: unknown) => e);
    expect(auto).toBeInstanceOf(UnsupportedError);
    expect((auto as Error).message).toMatch(/TensorRT/);
    expect((auto as Error).message).toMatch(/device 'cpu'/);
  });

  it("ONNX Runtime's pool follows the process's thread budget (EDGE_CLASSIFY_THREADS), and torch.threads gives a model its own", () => {
    // threads of the process after a libtorch model ran, and after an ONNX Runtime one ran too
    const script = `
      const { loadModel } = require(${JSON.stringify(path.join(root, 'dist', 'lib', 'index.js'))});
      const fs = require('fs');
      const tasks = () => fs.readdirSync('/proc/self/task').length;
      (async () => {
        const png = fs.readFileSync(${JSON.stringify(path.join(samples, 'digit-0-1.png'))});
        const t = await loadModel(${JSON.stringify(digitsModel)}, { device: 'cpu' });
        await t.classify(png);
        const before = tasks();
        const own = Number(process.argv[1]);
        const o = await loadModel(${JSON.stringify(fixtureModel('mobilenet_v3_small.onnx'))}, { backend: 'onnxruntime', ...(own ? { torch: { threads: own } } : {}) });
        await o.classify(png);
        console.log(tasks() - before);
        process.exit(0);
      })();`;
    const added = (budget: number, own = 0) => {
      const r = spawnSync(process.execPath, ['-e', script, String(own)], { encoding: 'utf8', env: { ...process.env, EDGE_CLASSIFY_THREADS: String(budget) } });
      return Number(r.stdout.trim());
    };
    const one = added(1);
    // the shared pool: budget - 1 threads beside the calling thread, one more per unit of budget
    expect(added(2) - one).toBe(1);
    expect(added(3) - one).toBe(2);
    // torch.threads: 3 -> a pool of its own of 2 threads beside the caller (the shared one stays)
    expect(added(1, 3) - one).toBe(2);
  });

  it("loading and running a TorchScript model does not open ONNX Runtime's library; an ONNX one does", () => {
    const script = (file: string) => `
      const { loadModel } = require(${JSON.stringify(path.join(root, 'dist', 'lib', 'index.js'))});
      const fs = require('fs');
      loadModel(${JSON.stringify(file)}, { device: 'cpu' }).then(async (m) => {
        await m.classify(fs.readFileSync(${JSON.stringify(path.join(samples, 'digit-0-1.png'))}));
        console.log(fs.readFileSync('/proc/self/maps', 'utf8').includes('libonnxruntime'));
        process.exit(0);
      });`;
    const opened = (file: string) => spawnSync(process.execPath, ['-e', script(file)], { encoding: 'utf8' }).stdout.trim();
    expect(opened(digitsModel)).toBe('false');
    expect(opened(fixtureModel('mobilenet_v3_small.onnx'))).toBe('true');
  });

  it('stats(), warmup() and dispose() as on libtorch; calls after dispose are rejected', async () => {
    const model = await loadModel(fixtureModel('mobilenet_v3_small.onnx'), { backend: 'onnxruntime' });
    await model.warmup();
    const bytes = readFileSync(photos()[0].path);
    await Promise.all(Array.from({ length: 6 }, () => model.classify(bytes)));
    const stats = model.stats();
    expect(stats.succeeded).toBeGreaterThanOrEqual(6);
    expect(stats.failed).toBe(0);
    await model.dispose();
    await expect(model.classify(bytes)).rejects.toThrow(/disposed/);
  });

  it('corrupt and truncated ONNX files are ModelLoadErrors; inputs that are not N x 3 x H x W float are ModelMismatchErrors', async () => {
    const corrupt = path.join(scratch, 'corrupt.onnx');
    writeFileSync(corrupt, Buffer.from('this is not a protobuf at all'.repeat(40)));
    const whole = readFileSync(fixtureModel('resnet18.onnx'));
    const cut = path.join(scratch, 'truncated.onnx');
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
    const empty = path.join(scratch, 'empty.onnx');
    writeFileSync(empty, '');
    for (const file of [corrupt, cut, empty, path.join(scratch, 'missing.onnx')]) {
      const error = await loadModel(file, { backend: 'onnxruntime', metadata: { class_names: ['a'], input: { width: 8, height: 8 } } }).catch((e: unknown) => e);
      expect(error, file).toBeInstanceOf(ModelLoadError);
    }
    const make = (name: string, spec: string) => {
      const out = path.join(scratch, `${name}.onnx`);
      py(`
import sys, onnx
from onnx import helper, TensorProto as T
${spec}
g = helper.make_graph([node], "g", [inp], [out])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), sys.argv[1])`, out);
      return out;
    };
    const rank2 = make('rank2', `inp = helper.make_tensor_value_info("x", T.FLOAT, ["n", 10]); out = helper.make_tensor_value_info("y", T.FLOAT, ["n", 10]); node = helper.make_node("Relu", ["x"], ["y"])`);
    const ints = make('ints', `inp = helper.make_tensor_value_info("x", T.INT64, ["n", 3, 8, 8]); out = helper.make_tensor_value_info("y", T.INT64, ["n", 3, 8, 8]); node = helper.make_node("Identity", ["x"], ["y"])`);
    const gray = make('gray', `inp = helper.make_tensor_value_info("x", T.FLOAT, ["n", 1, 8, 8]); out = helper.make_tensor_value_info("y", T.FLOAT, ["n", 1, 8, 8]); node = helper.make_node("Relu", ["x"], ["y"])`);
    for (const [file, what] of [[rank2, /float32 \[\? x 10\]/], [ints, /element type 7 \[\? x 3 x 8 x 8\]/], [gray, /float32 \[\? x 1 x 8 x 8\]/]] as const) {
      const error = await loadModel(file, { backend: 'onnxruntime', metadata: { class_names: ['a'], input: { width: 8, height: 8 } } }).catch((e: unknown) => e);
      expect(error, file).toBeInstanceOf(ModelMismatchError);
      expect((error as Error).message).toMatch(what);
      expect((error as Error).message).toMatch(/N x 3 x H x W float32 or float16/);
    }
    // the metadata's size against a static ONNX input
    const sized = await loadModel(fixtureModel('resnet18.onnx'), { backend: 'onnxruntime', metadata: { input: { width: 200, height: 200 } } }).catch((e: unknown) => e);
    if (sized instanceof Error) {
      expect(sized).toBeInstanceOf(ModelMismatchError);
    } else {
      await expect(sized.classify(readFileSync(photos()[0].path))).rejects.toThrow(/fix "input" in the model's metadata|200/);
      await sized.dispose();
    }
    // a TorchScript file on this backend, CUDA, fp16
    await expect(loadModel(digitsModel, { backend: 'onnxruntime' })).rejects.toThrow(/not an ONNX model/);
    await expect(loadModel(fixtureModel('resnet18.onnx'), { backend: 'onnxruntime', precision: 'fp16' })).rejects.toThrow(UnsupportedError);
  });
});

describe('onnxruntime library discovery', { skip: !info.onnxruntime && !process.env.CI && 'this build has no onnxruntime backend' }, () => {
  it('EDGE_ONNXRUNTIME_LIB pointing nowhere: UnsupportedError naming the three ways to provide ONNX Runtime', () => {
    const r = probe({ EDGE_ONNXRUNTIME_LIB: path.join(scratch, 'no-such-libonnxruntime.so.1') });
    expect(r.error).toBe('UnsupportedError');
    expect(r.info.onnxruntimeAvailable).toBe(false);
    expect(r.info.onnxruntimeLibrary).toBeNull();
    for (const text of [r.message, r.info.onnxruntimeError]) {
      expect(text).toMatch(/no-such-libonnxruntime\.so\.1: .*No such file/);
      expect(text).toMatch(/npm install onnxruntime-node --ignore-scripts/);
      expect(text).toMatch(/pip install onnxruntime/);
      expect(text).toMatch(/EDGE_ONNXRUNTIME_LIB/);
    }
  });

  it('a library too old for our C API version, or one that is not ONNX Runtime, is refused with the reason', () => {
    const old = probe({ EDGE_ONNXRUNTIME_LIB: fakeOnnxRuntime('1.14.1') });
    expect(old.error).toBe('UnsupportedError');
    expect(old.message).toMatch(new RegExp(`ONNX Runtime 1\\.14\\.1 is too old: this build needs C API version ${info.onnxruntimeApiVersion}`));
    const foreign = probe({ EDGE_ONNXRUNTIME_LIB: fakeOnnxRuntime(null) });
    expect(foreign.error).toBe('UnsupportedError');
    expect(foreign.message).toMatch(/has no OrtGetApiBase \(not ONNX Runtime\?\)/);
  });

  it('EDGE_ONNXRUNTIME_LIB naming a real library is used', { skip: !ready && 'no library' }, () => {
    const r = probe({ EDGE_ONNXRUNTIME_LIB: info.onnxruntimeLibrary ?? '' });
    expect(r.loaded).toBe('onnxruntime');
    expect(r.info.onnxruntimeLibrary).toBe(info.onnxruntimeLibrary);
  });
});

// CI builds this second binary (node scripts/install.mjs --without-onnxruntime) to check its error.
const withoutBackend = path.join(root, 'build-no-ort', 'Release', 'edge_classify.node');
describe('a build without ONNX Runtime\'s headers', { skip: !existsSync(withoutBackend) && !process.env.CI && `no ${path.relative(root, withoutBackend)}` }, () => {
  it('says so in buildInfo(), and loading with onnxruntime is an UnsupportedError saying how to rebuild', () => {
    const r = probe({ EDGE_CLASSIFY_BINARY: withoutBackend });
    expect(r.info.onnxruntime).toBe(false);
    expect(r.info.onnxruntimeApiVersion).toBeNull();
    expect(r.info.onnxruntimeAvailable).toBe(false);
    expect(r.info.backends).not.toContain('onnxruntime');
    expect(r.error).toBe('UnsupportedError');
    expect(r.message).toMatch(/this build of edge-classify lacks the onnxruntime backend: rebuild edge-classify with ONNX Runtime's headers \(bash scripts\/onnxruntime-headers\.sh && npm run build:native\)/);
    if (info.onnxruntimeVersion) expect(r.message).toContain(`ONNX Runtime ${info.onnxruntimeVersion} is installed`);
    expect(r.info.onnxruntimeError).toMatch(/lacks the onnxruntime backend/);
  });
});
