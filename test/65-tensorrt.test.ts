// The TensorRT backend where TensorRT is not installed (issue 6), for real: libnvinfer.so.10 is
// looked for with dlopen at run time, and every way of asking for TensorRT without it gets a typed
// error that says how to install it. Stand-in libraries (built here with the C compiler) exercise
// the loader's checks (issue 19): a TensorRT 9 is refused; a TensorRT 10 or 11 is found and reported
// with the library it came from; a TensorRT 12 is named as newer than supported. ONNX metadata.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildInfo, loadModel, ModelLoadError, UnsupportedError } from '../lib/index.mjs';
import { digitsModel, fixtureModel, fixtures, python, root, scratch } from './helpers';

const info = buildInfo();
const installed = info.tensorrtAvailable;

/** A folder holding stand-ins for libnvinfer.so.<major> and libnvonnxparser.so.<major> reporting `version`. */
function fakeTensorRt(version: number, major = 10): string {
  const dir = path.join(scratch, `trt-${version}-${major}`);
  mkdirSync(dir, { recursive: true });
  const source = path.join(dir, 'fake.c');
  writeFileSync(source, `
    #include <stdint.h>
    int32_t getInferLibVersion(void) { return ${version}; }
    void* createInferBuilder_INTERNAL(void* logger, int32_t v) { return 0; }
    void* createInferRuntime_INTERNAL(void* logger, int32_t v) { return 0; }
    void* createNvOnnxParser_INTERNAL(void* network, void* logger, int32_t v) { return 0; }`);
  for (const lib of [`libnvinfer.so.${major}`, `libnvonnxparser.so.${major}`]) execFileSync('cc', ['-shared', '-fPIC', '-o', path.join(dir, lib), source]);
  return dir;
}

/** buildInfo() and a TensorRT load in a fresh process (the libraries are looked for once per process). */
function probe(libDir: string) {
  const script = `
    const { buildInfo, loadModel } = require(${JSON.stringify(path.join(root, 'dist', 'lib', 'index.js'))});
    loadModel(${JSON.stringify(fixtureModel('resnet18.onnx'))}, { backend: 'tensorrt' }).then(
      () => console.log(JSON.stringify({ info: buildInfo(), loaded: true })),
      (e) => console.log(JSON.stringify({ info: buildInfo(), error: e.name, message: e.message })));`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, EDGE_TENSORRT_LIB_DIR: libDir } });
  return JSON.parse(r.stdout);
}

describe('TensorRT, not installed here', { skip: installed && 'TensorRT is installed on this machine' }, () => {
  it('buildInfo() says TensorRT is absent and how to install it', () => {
    expect(info.tensorrtAvailable).toBe(false);
    expect(info.tensorrtVersion).toBeNull();
    expect(info.tensorrtError).toMatch(/TensorRT 10 or 11 was not found \(looked for libnvinfer\.so\.10, libnvinfer\.so\.11\): libnvinfer\.so\.10/);
    expect(info.tensorrtError).toMatch(/Install TensorRT 10 or 11/);
    expect(info.tensorrtLibrary).toBeNull();
    expect(info.tensorrtBuiltMajor).toBe(info.tensorrt ? expect.any(Number) : null);
    expect(info.backends).toContain('torch');
  });

  it("backend 'tensorrt', or 'auto' with an ONNX model on CUDA, rejects with UnsupportedError saying how to install it", async () => {
    for (const [file, options] of [[fixtureModel('resnet18.onnx'), { device: 'cuda' }], [fixtureModel('resnet18.onnx'), { backend: 'tensorrt' }], [digitsModel, { backend: 'tensorrt' }]] as const) {
      const error = await loadModel(file, options).catch((e: unknown) => e);
      expect(error, file).toBeInstanceOf(UnsupportedError);
      expect((error as Error).message).toMatch(/libnvinfer\.so\.10/);
      expect((error as Error).message).toMatch(/Install TensorRT 10 or 11|backend: 'torch'/);
    }
  });

  it("'auto' with an ONNX model on the CPU: onnxruntime where it is ready (test/67-onnxruntime.test.ts), else TensorRT's error", async () => {
    const loaded = await loadModel(fixtureModel('resnet18.onnx')).catch((e: unknown) => e);
    if (info.onnxruntimeAvailable) {
      expect((loaded as { info: { backend: string } }).info.backend).toBe('onnxruntime');
      await (loaded as { dispose(): Promise<void> }).dispose();
    } else {
      expect(loaded).toBeInstanceOf(UnsupportedError);
      expect((loaded as Error).message).toMatch(/libnvinfer\.so\.10/);
    }
  });

  it("an ONNX model on backend 'torch' is a ModelLoadError that names the right backends", async () => {
    await expect(loadModel(fixtureModel('resnet18.onnx'), { backend: 'torch' })).rejects.toThrow(ModelLoadError);
    await expect(loadModel(fixtureModel('resnet18.onnx'), { backend: 'torch' })).rejects.toThrow(/backend 'onnxruntime' \(the CPU\) or 'tensorrt'/);
    await expect(loadModel(digitsModel, { backend: 'tensorflow' as never })).rejects.toThrow(/options\.backend/);
  });

  it("a model folder with TorchScript and ONNX: 'auto' without TensorRT loads the TorchScript, 'tensorrt' the ONNX", async () => {
    const dir = path.join(scratch, 'both');
    mkdirSync(dir, { recursive: true });
    copyFileSync(fixtureModel('mobilenet_v3_small.torchscript'), path.join(dir, 'weights.torchscript'));
    copyFileSync(fixtureModel('mobilenet_v3_small.onnx'), path.join(dir, 'weights.onnx'));
    const m = await loadModel(dir);
    expect(m.info.path).toBe(path.join(dir, 'weights.torchscript'));
    expect(m.info.backend).toBe('torch');
    await m.dispose();
    await expect(loadModel(dir, { backend: 'tensorrt' })).rejects.toThrow(/libnvinfer\.so\.10/);
  });

  it("precision 'int8': needs TensorRT and a calibration folder; the calibration images are prepared before TensorRT is asked", async () => {
    await expect(loadModel(fixtureModel('resnet18.torchscript'), { precision: 'int8', backend: 'torch', tensorrt: { calibration: fixtures } })).rejects.toThrow(UnsupportedError);
    // without calibration images the ONNX must hold Q/DQ nodes, which only TensorRT can check
    await expect(loadModel(fixtureModel('resnet18.onnx'), { precision: 'int8' })).rejects.toThrow(UnsupportedError);
    await expect(loadModel(fixtureModel('resnet18.onnx'), { precision: 'int8', tensorrt: { calibration: 5 as never } })).rejects.toThrow(/options\.tensorrt\.calibration/);
    await expect(loadModel(fixtureModel('resnet18.onnx'), { tensorrt: { calibration: fixtures } })).rejects.toThrow(/only used with precision 'int8'/);
    await expect(loadModel(fixtureModel('resnet18.onnx'), { precision: 'int8', tensorrt: { calibration: path.join(scratch, 'no-such-folder') } })).rejects.toThrow(/options\.tensorrt\.calibration: .*does not exist/);
    const error = await loadModel(fixtureModel('resnet18.onnx'), { precision: 'int8', tensorrt: { calibration: path.join(fixtures, 'photos') } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedError);
    expect((error as Error).message).toMatch(/libnvinfer\.so\.10/);
  });

  it('calibration preprocessing (no model) equals a model\'s preprocessing', async () => {
    const { native } = await import('../lib/native/binding');
    const model = await loadModel(fixtureModel('resnet18.torchscript'), { device: 'cpu' });
    const data = new Uint8Array(37 * 23 * 3).map((_, i) => (i * 7) % 251);
    const frame = { data, width: 37, height: 23, channels: 3 as const };
    const a = await model.preprocess([frame]);
    const m = model.info.metadata;
    const b = await native().binding.preprocess([{ data, width: 37, height: 23, format: 'rgb' }], {
      width: m.input.width, height: m.input.height, resize: m.resize, pad: { black: 0, white: 255, grey: 114 }[m.pad], channelOrder: m.channel_order, mean: m.mean, std: m.std,
      activation: 'softmax', maxPixels: 0, preprocessThreads: 0,
    });
    expect(b.length).toBe(a.tensor.length);
    let same = 0;
    for (let i = 0; i < b.length; i++) if (b[i] === a.tensor[i]) same++;
    expect(same).toBe(b.length);
    await model.dispose();
  });

  it('the loader refuses a TensorRT 9 behind libnvinfer.so.10, and reports a 10 with its library', () => {
    const old = probe(fakeTensorRt(90000));
    expect(old.info.tensorrtAvailable).toBe(false);
    expect(old.info.tensorrtError).toMatch(/TensorRT 9\.0\.0 was found as libnvinfer\.so\.10, but this build needs TensorRT 10 or 11/);
    expect(old.error).toBe('UnsupportedError');
    const ten = probe(fakeTensorRt(101600));
    expect(ten.info.tensorrtAvailable).toBe(true);
    expect(ten.info.tensorrtVersion).toBe('10.16.0');
    expect(ten.info.tensorrtLibrary).toBe('libnvinfer.so.10');
    expect(ten.error).toBe('UnsupportedError');
    expect(ten.message).toMatch(info.tensorrt ? /./ : /TensorRT 10\.16\.0 is installed, but.*lacks the TensorRT backend/);
  });

  it('where only a TensorRT 11 is installed, it is found as libnvinfer.so.11 and reported', () => {
    const eleven = probe(fakeTensorRt(110100, 11));
    expect(eleven.info.tensorrtLibrary).toBe('libnvinfer.so.11');
    expect(eleven.info.tensorrtVersion).toBe('11.1.0');
    expect(eleven.info.tensorrtAvailable).toBe(true);
    expect(eleven.error).toBe('UnsupportedError');
    expect(eleven.message).toMatch(info.tensorrt ? /./ : /TensorRT 11\.1\.0 is installed, but.*lacks the TensorRT backend/);
    // a library named .so.11 that reports another major is refused
    const wrong = probe(fakeTensorRt(100000, 11));
    expect(wrong.info.tensorrtAvailable).toBe(false);
    expect(wrong.info.tensorrtError).toMatch(/TensorRT 10\.0\.0 was found as libnvinfer\.so\.11/);
  });

  it('where only a TensorRT 12 is installed, the error says it is newer than this build supports', () => {
    const twelve = probe(fakeTensorRt(120000, 12));
    expect(twelve.info.tensorrtAvailable).toBe(false);
    expect(twelve.info.tensorrtLibrary).toBeNull();
    expect(twelve.info.tensorrtError).toMatch(/libnvinfer\.so\.12 was: a TensorRT newer than this build supports \(10, 11\)/);
    expect(twelve.error).toBe('UnsupportedError');
  });
});

describe('ONNX models and their metadata', () => {
  it('the export script writes ONNX with the metadata that edge-classify reads back', async () => {
    const out = path.join(scratch, 'digits.onnx');
    execFileSync(python(), [path.join(root, 'scripts', 'models', 'export_onnx.py'), digitsModel, out], { encoding: 'utf8' });
    const { onnxMetadataFile } = await import('../lib/metadata/onnx');
    const meta = JSON.parse((await onnxMetadataFile(out)).get('metadata.json')!);
    const original = (await loadModel(digitsModel)).info.metadata;
    expect(meta.class_names).toEqual(original.class_names);
    expect(meta.input).toEqual(original.input);
    // read independently by the onnx package
    const props = JSON.parse(execFileSync(python(), ['-c', `import onnx, json, sys; m = onnx.load(sys.argv[1]); print(json.dumps({p.key: p.value for p in m.metadata_props}))`, out], { encoding: 'utf8' }));
    expect(JSON.parse(props['metadata.json'])).toEqual(meta);
    expect((await onnxMetadataFile(fixtureModel('resnet18.onnx'))).has('metadata.json')).toBe(true);
  });

  // before: readFileSync of the whole file (event loop blocked for its length; refused past 2 GiB)
  it('reads metadata_props without loading the file: the same as the whole-file parser, past 2 GiB, truncated files refused', async () => {
    const { onnxMetadataFile, onnxMetadataProps } = await import('../lib/metadata/onnx');
    const { closeSync, openSync, readFileSync, writeSync, ftruncateSync } = await import('node:fs');
    for (const file of [fixtureModel('resnet18.onnx'), fixtureModel('mobilenet_v3_small.onnx')]) {
      expect(await onnxMetadataFile(file)).toEqual(onnxMetadataProps(readFileSync(file)));
    }
    // a sparse file: ir_version, a 3 GiB graph field (a hole), then one metadata_props entry
    const varint = (n: number) => {
      const out: number[] = [];
      while (n >= 0x80) {
        out.push((n % 0x80) | 0x80);
        n = Math.floor(n / 0x80);
      }
      return [...out, n];
    };
    const text = (field: number, s: string) => [field * 8 + 2, ...varint(Buffer.byteLength(s)), ...Buffer.from(s)];
    const graphBytes = 3 * 2 ** 30;
    const head = Buffer.from([0x08, 0x07, 7 * 8 + 2, ...varint(graphBytes)]);
    const props = text(1, 'metadata.json').concat(text(2, '{"class_names":["a","b"]}'));
    const tail = Buffer.from([14 * 8 + 2, ...varint(props.length), ...props]);
    const big = path.join(scratch, 'sparse.onnx');
    const fd = openSync(big, 'w');
    writeSync(fd, head, 0, head.length, 0);
    ftruncateSync(fd, head.length + graphBytes);
    writeSync(fd, tail, 0, tail.length, head.length + graphBytes);
    closeSync(fd);
    expect((await onnxMetadataFile(big)).get('metadata.json')).toBe('{"class_names":["a","b"]}');
    const cut = path.join(scratch, 'cut.onnx');
    const cfd = openSync(cut, 'w');
    writeSync(cfd, head, 0, head.length, 0);
    closeSync(cfd);
    await expect(onnxMetadataFile(cut)).rejects.toThrow(/truncated/);
  });
});
