// Layer 1: loading models and metadata; every failure is a typed error.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildInfo, InvalidOptionError, loadModel, ModelLoadError, ModelMismatchError, UnsupportedError } from '../lib/index.mjs';
import { digitsModel, fixtureModel, scratch } from './helpers';

describe('buildInfo', () => {
  it('reports the libtorch build and the binary', () => {
    const info = buildInfo();
    expect(info.torch).toMatch(/^\d+\.\d+/);
    expect(info.backends).toContain('torch');
    expect(info.binary).toMatch(/\.node$/);
    expect(typeof info.cudaAvailable).toBe('boolean');
  });
});

describe('loadModel: bad arguments', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    [digitsModel, { device: 'gpu' }],
    [digitsModel, { torch: { threads: 0 } }],
    [digitsModel, { torch: { threads: 1.5 } }],
    [digitsModel, { torch: { optimize: 'yes' } }],
    [digitsModel, { torch: { thread: 1 } }],
    [digitsModel, { cuda: 'fast' }],
    [digitsModel, { task: 'detection' }],
    [digitsModel, { batching: { combineCalls: 'no' } }],
    [digitsModel, { limitInputPixels: -1 }],
    [digitsModel, { metadata: 'x' }],
    [digitsModel, 'cpu'],
  ])('rejects loadModel(%s, %o) with InvalidOptionError', async (file, options) => {
    await expect(loadModel(file as string, options as never)).rejects.toBeInstanceOf(InvalidOptionError);
  });
  it('catches a misspelled option and suggests the right one', async () => {
    await expect(loadModel(digitsModel, { Device: 'cpu' } as never)).rejects.toThrow(/did you mean device\?/);
  });
});

describe('loadModel: bad model files', () => {
  it.each([
    ['missing', path.join(scratch, 'nope.torchscript'), /not found/],
    ['empty', fixtureModel('empty.torchscript'), /empty/],
    ['random bytes', fixtureModel('not-a-model.torchscript'), /not.*TorchScript|TorchScript model/],
    ['truncated zip', fixtureModel('corrupt.torchscript'), /TorchScript/],
  ])('%s file -> ModelLoadError', async (_name, file, message) => {
    const error = await loadModel(file).catch((e) => e);
    expect(error).toBeInstanceOf(ModelLoadError);
    expect(error.code).toBe('ERR_MODEL_LOAD');
    expect(error.message).toMatch(message);
  });
  it('metadata listing the wrong number of classes -> ModelMismatchError', async () => {
    const error = await loadModel(fixtureModel('mismatch.torchscript')).catch((e) => e);
    expect(error).toBeInstanceOf(ModelMismatchError);
    expect(error.message).toMatch(/3 class names but the model outputs 4/);
  });
  it('a wrong input size in the metadata -> ModelMismatchError naming the input', async () => {
    const error = await loadModel(digitsModel, { metadata: { input: { width: 2, height: 2 } } }).catch((e) => e);
    expect(error).toBeInstanceOf(ModelMismatchError);
    expect(error.message).toMatch(/input/);
  });
  it('invalid metadata values -> ModelLoadError naming the field', async () => {
    await expect(loadModel(digitsModel, { metadata: { resize: 'squash' as never } })).rejects.toThrow(/"resize" must be/);
    await expect(loadModel(digitsModel, { metadata: { std: [0, 1, 1] } })).rejects.toThrow(/"std" must be/);
  });
  it('a model without an input size anywhere -> ModelLoadError saying how to add one', async () => {
    const dir = path.join(scratch, 'noinput');
    mkdirSync(dir, { recursive: true });
    copyFileSync(fixtureModel('sidecar.torchscript'), path.join(dir, 'bare.torchscript'));
    await expect(loadModel(path.join(dir, 'bare.torchscript'))).rejects.toThrow(/no input size.*"input"/);
    const model = await loadModel(path.join(dir, 'bare.torchscript'), { metadata: { input: { width: 64, height: 64 } } });
    expect(model.info.metadataSource).toBe('options');
    expect(model.info.metadata.class_names[0]).toBe('class_0');
    await model.dispose();
  });
  it('a corrupt sidecar JSON -> ModelLoadError', async () => {
    const dir = path.join(scratch, 'badjson');
    mkdirSync(dir, { recursive: true });
    copyFileSync(fixtureModel('sidecar.torchscript'), path.join(dir, 'm.torchscript'));
    writeFileSync(path.join(dir, 'm.torchscript.json'), '{"task": ');
    await expect(loadModel(path.join(dir, 'm.torchscript'))).rejects.toThrow(/invalid JSON/);
  });
  it('CUDA on a machine or build without it -> UnsupportedError', async () => {
    if (buildInfo().cudaAvailable) return;
    await expect(loadModel(digitsModel, { device: 'cuda' })).rejects.toBeInstanceOf(UnsupportedError);
  });
});

describe('metadata sources', () => {
  it('TorchScript extra file', async () => {
    const model = await loadModel(digitsModel, { device: 'cpu' });
    expect(model.info).toMatchObject({ backend: 'torch', device: 'cpu', metadataSource: 'torchscript', numClasses: 10 });
    expect(model.info.metadata).toMatchObject({ task: 'single-label', input: { width: 32, height: 32 }, resize: 'stretch' });
    expect(model.info.metadata.class_names).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    await model.dispose();
  });
  it('sidecar <model>.json', async () => {
    const model = await loadModel(fixtureModel('sidecar.torchscript'));
    expect(model.info.metadataSource).toBe('sidecar');
    await model.dispose();
  });
  it("Roboflow environment.json: CLASS_MAP and 'Fit (white edges) in'", async () => {
    const model = await loadModel(fixtureModel('roboflow'));
    expect(model.info.metadataSource).toBe('roboflow');
    expect(model.info.path).toMatch(/weights\.torchscript$/);
    expect(model.info.metadata).toMatchObject({ resize: 'letterbox', pad: 'white', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
    expect(model.info.metadata.class_names[0]).toBe('cat');
    await model.dispose();
  });
  it('options override the files', async () => {
    const model = await loadModel(digitsModel, { metadata: { class_names: 'abcdefghij'.split('') } });
    expect(model.info.metadata.class_names[9]).toBe('j');
    await model.dispose();
  });
});
