// Roboflow model packages (issue 15): both formats read as Roboflow's server reads them, every
// preprocessing step checked against an independent Python reimplementation of that server's steps
// (test/reference/roboflow.py: OpenCV, scikit-image, numpy) on real photographs, and every bad package
// refused with a typed error naming the file and field.
import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, ModelLoadError, ModelMismatchError, type Model } from '../lib/index.mjs';
import { fixtureModel, photosDir, python, root, scratch } from './helpers';

/** Weights without the fixture's embedded metadata (a Roboflow package carries none): re-saved by torch. */
function bareWeights(name: string): string {
  const out = path.join(scratch, `bare-${name}`);
  execFileSync(python(), ['-c', 'import sys, torch; torch.jit.save(torch.jit.load(sys.argv[1]), sys.argv[2])', fixtureModel(name), out]);
  return out;
}

let packageCount = 0;
/** A package folder: the weights and the given files (objects are written as JSON). */
function makePackage(weights: string, files: Record<string, unknown>): string {
  const dir = path.join(scratch, `package-${packageCount++}`);
  mkdirSync(dir, { recursive: true });
  linkSync(weights, path.join(dir, 'weights.torchscript')); // a hard link: 40 packages of resnet18 would be 2 GB of copies
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
  return dir;
}

interface Job {
  package: string;
  image: string;
  disable?: Record<string, boolean>;
  mean?: number[];
  std?: number[];
  model?: string;
}
/** Runs reference jobs; returns each job's tensor and size (and scores when a model was given). */
function reference(jobs: Job[]): { tensor: Float32Array; size: [number, number]; scores?: number[] }[] {
  const withOut = jobs.map((j, i) => ({ ...j, out: path.join(scratch, `rf-${packageCount}-${i}.f32`) }));
  const stdout = execFileSync(python(), [path.join(root, 'test', 'reference', 'roboflow.py')], { input: JSON.stringify(withOut), encoding: 'utf8', maxBuffer: 64 << 20 });
  return (JSON.parse(stdout) as { ok: boolean; error?: string; size: [number, number]; scores?: number[] }[]).map((r, i) => {
    if (!r.ok) throw new Error(`reference job ${i} failed: ${r.error}`);
    const bytes = readFileSync(withOut[i].out);
    return { tensor: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4), size: r.size, scores: r.scores };
  });
}

/** Largest difference in pixel levels (0..255) between two tensors of a model with these per-plane std (x/255 space). */
function levels(a: Float32Array, b: Float32Array, std: number[]): number {
  expect(a.length).toBe(b.length);
  const plane = a.length / 3;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) * std[Math.floor(i / plane)] * 255);
  return worst;
}

const PHOTOS = ['astronaut.png', 'chelsea.png', 'coffee.png', 'gray.png', 'rgba.png', 'tall-45x420.png', 'wide-640x61.png'].map((f) => path.join(photosDir, f));
const NAMES_1000 = Array.from({ length: 1000 }, (_, i) => `class ${i}`).join('\n');
const NAMES_5 = ['a', 'b', 'c', 'd', 'e'].join('\n');

let resnet: string;
let multi: string;
beforeAll(() => {
  resnet = bareWeights('resnet18.torchscript');
  multi = bareWeights('multilabel.torchscript');
});

/** inference_config.json of a default package. */
function inferenceConfig(input: Record<string, unknown>, pre: Record<string, unknown> = {}, post: Record<string, unknown> = { type: 'softmax', fused: false }) {
  return {
    image_pre_processing: pre,
    network_input: { training_input_size: { height: 224, width: 224 }, dynamic_spatial_size_supported: false, color_mode: 'rgb', resize_mode: 'stretch', input_channels: 3, scaling_factor: 255, normalization: [[0.485, 0.456, 0.406], [0.229, 0.224, 0.225]], ...input },
    post_processing: post,
  };
}

const CROP = { 'static-crop': { enabled: true, x_min: 12, y_min: 7, x_max: 91, y_max: 83 } };
const GRAY = { grayscale: { enabled: true } };
const STRETCH = { contrast: { enabled: true, type: 'Contrast Stretching' } };
const EQUALIZE = { contrast: { enabled: true, type: 'Histogram Equalization' } };
const ADAPTIVE = { contrast: { enabled: true, type: 'Adaptive Equalization' } };

/** Each case: a package, and the per-plane std of its tensor in x/255 units (to express differences in levels). */
const defaultCases: [string, () => string, number[]][] = [
  ['stretch, no steps', () => makePackage(resnet, { 'inference_config.json': inferenceConfig({}), 'class_names.txt': NAMES_1000 }), [0.229, 0.224, 0.225]],
  ['static crop', () => makePackage(resnet, { 'inference_config.json': inferenceConfig({}, CROP), 'class_names.txt': NAMES_1000 }), [0.229, 0.224, 0.225]],
  ['grayscale', () => makePackage(resnet, { 'inference_config.json': inferenceConfig({}, GRAY), 'class_names.txt': NAMES_1000 }), [0.229, 0.224, 0.225]],
  ['contrast stretching', () => makePackage(resnet, { 'inference_config.json': inferenceConfig({}, STRETCH), 'class_names.txt': NAMES_1000 }), [0.229, 0.224, 0.225]],
  ['histogram equalization', () => makePackage(resnet, { 'inference_config.json': inferenceConfig({}, EQUALIZE), 'class_names.txt': NAMES_1000 }), [0.229, 0.224, 0.225]],
  ['crop + grayscale + stretching, letterbox (padding 114)', () => makePackage(resnet, { 'inference_config.json': inferenceConfig({ resize_mode: 'letterbox', padding_value: 114 }, { ...CROP, ...GRAY, ...STRETCH }), 'class_names.txt': NAMES_1000 }), [0.229, 0.224, 0.225]],
  ['crop + equalization, center-crop (no resize)', () => makePackage(resnet, { 'inference_config.json': inferenceConfig({ resize_mode: 'center-crop' }, { ...CROP, ...EQUALIZE }), 'class_names.txt': NAMES_1000 }), [0.229, 0.224, 0.225]],
  ['grayscale + equalization, letterbox-reflect-edges, bgr, no normalization', () => makePackage(resnet, { 'inference_config.json': inferenceConfig({ resize_mode: 'letterbox-reflect-edges', color_mode: 'bgr', normalization: null }, { ...GRAY, ...EQUALIZE }), 'class_names.txt': NAMES_1000 }), [1, 1, 1]],
  ['adaptive equalization (scikit-image CLAHE on the HSV value)', () => makePackage(resnet, { 'inference_config.json': inferenceConfig({}, ADAPTIVE), 'class_names.txt': NAMES_1000 }), [0.229, 0.224, 0.225]],
  ['crop + grayscale + adaptive equalization, letterbox', () => makePackage(resnet, { 'inference_config.json': inferenceConfig({ resize_mode: 'letterbox', padding_value: 114 }, { ...CROP, ...GRAY, ...ADAPTIVE }), 'class_names.txt': NAMES_1000 }), [0.229, 0.224, 0.225]],
  ['fit-longer-edge (stretch for a non-YOLO model), 97x61 input, no scaling', () => makePackage(resnet, { 'inference_config.json': inferenceConfig({ resize_mode: 'fit-longer-edge', training_input_size: { height: 61, width: 97 }, scaling_factor: null, normalization: [[120, 110, 100], [60, 55, 50]] }), 'class_names.txt': NAMES_1000 }), [60 / 255, 55 / 255, 50 / 255]],
];

/** environment.json of a legacy package. */
const environment = (pre: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  CLASS_MAP: Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [String(i), `class ${i}`])),
  PREPROCESSING: JSON.stringify(pre),
  ...extra,
});
/**
 * Each legacy case and its tolerance in levels: 1e-3 where the server resizes 8-bit pixels (bit for bit, as
 * above); 0.01 where it stretches a float32 copy (cv2's float bilinear and ours round differently: measured
 * at most 0.0053 of a level on these photos).
 */
const legacyCases: [string, () => string, number][] = [
  ['Stretch to (float resize), auto-orient', () => makePackage(resnet, { 'environment.json': environment({ 'auto-orient': { enabled: true }, resize: { format: 'Stretch to', width: 224, height: 224, enabled: true } }) }), 0.01],
  ['Fit (grey edges) in, static crop', () => makePackage(resnet, { 'environment.json': environment({ ...CROP, resize: { format: 'Fit (grey edges) in', width: 160, height: 128, enabled: true } }) }), 1e-3],
  ['Fit (white edges) in, contrast stretching then grayscale', () => makePackage(resnet, { 'environment.json': environment({ ...STRETCH, ...GRAY, resize: { format: 'Fit (white edges) in', width: 128, height: 160, enabled: true } }) }), 1e-3],
  ['unknown format (stretch), histogram equalization (OpenCV, on gray)', () => makePackage(resnet, { 'environment.json': environment({ ...EQUALIZE, resize: { format: 'Some new format', width: 112, height: 112, enabled: true } }) }), 0.01],
  ['Fit (black edges) in, grayscale alone', () => makePackage(resnet, { 'environment.json': environment({ ...GRAY, resize: { format: 'Fit (black edges) in', width: 200, height: 120, enabled: true } }) }), 1e-3],
  ['Fill (with center crop) in (black letterbox), contrast stretching alone', () => makePackage(resnet, { 'environment.json': environment({ ...STRETCH, resize: { format: 'Fill (with center crop) in', width: 96, height: 96, enabled: true } }) }), 1e-3],
  ['Fit (grey edges) in, adaptive equalization (OpenCV CLAHE, on gray)', () => makePackage(resnet, { 'environment.json': environment({ ...ADAPTIVE, resize: { format: 'Fit (grey edges) in', width: 160, height: 128, enabled: true } }) }), 1e-3],
  ['Stretch to, crop + adaptive equalization + grayscale', () => makePackage(resnet, { 'environment.json': environment({ ...CROP, ...ADAPTIVE, ...GRAY, resize: { format: 'Stretch to', width: 224, height: 224, enabled: true } }) }), 0.01],
  ['Fit within (black letterbox), crop + stretching + grayscale', () => makePackage(resnet, { 'environment.json': environment({ ...CROP, ...STRETCH, ...GRAY, resize: { format: 'Fit within', width: 224, height: 224, enabled: true } }) }), 1e-3],
];

describe('Roboflow packages: the preprocessed tensor equals the server\'s (independent reference)', () => {
  const models: Model[] = [];
  afterAll(() => Promise.all(models.map((m) => m.dispose())));

  /** The package's tensor of every photo against the reference's, within `tolerance` levels. */
  async function expectTensors(dir: string, source: string, std: number[], tolerance: number) {
    const model = await loadModel(dir, { device: 'cpu' });
    models.push(model);
    expect(model.info.metadataSource).toBe(source);
    const refs = reference(PHOTOS.map((image) => ({ package: dir, image })));
    for (let i = 0; i < PHOTOS.length; i++) {
      const { tensor } = await model.preprocess([{ path: PHOTOS[i] }]);
      expect(levels(tensor, refs[i].tensor, std), path.basename(PHOTOS[i])).toBeLessThanOrEqual(tolerance);
    }
  }

  for (const [name, make, std] of defaultCases) {
    // bit for bit the server's 8-bit pixels: what differs is float32 rounding of the normalisation (~3e-5 of a level)
    it(`inference_config.json: ${name}, on every photo, bit for bit`, () => expectTensors(make(), 'roboflow-inference-config', std, 1e-3));
  }
  for (const [name, make, tolerance] of legacyCases) {
    it(`environment.json: ${name}, on every photo, within ${tolerance} of a level`, () => expectTensors(make(), 'roboflow', [0.5, 0.5, 0.5], tolerance));
  }
});

describe('Roboflow packages end to end', () => {
  it('single-label, both formats, with and without adaptive equalization: confidences within 2e-3 of the reference, same top class', async () => {
    const named = <T extends [string, () => string, ...unknown[]]>(cases: T[], prefix: string) => cases.find(([n]) => n.startsWith(prefix))![1]();
    const packages = [named(defaultCases, 'crop + grayscale + stretching'), named(defaultCases, 'crop + grayscale + adaptive'), named(legacyCases, 'Fit within'), named(legacyCases, 'Fit (grey edges) in, adaptive')];
    for (const dir of packages) {
      const model = await loadModel(dir, { device: 'cpu', task: 'single-label' });
      const refs = reference(PHOTOS.map((image) => ({ package: dir, image, model: path.join(dir, 'weights.torchscript') })));
      for (let i = 0; i < PHOTOS.length; i++) {
        const r = await model.classify({ path: PHOTOS[i] }, { fullPrecision: true });
        const expected = refs[i].scores!;
        const top = expected.indexOf(Math.max(...expected));
        expect(r.predictions[0].class_id, path.basename(PHOTOS[i])).toBe(top);
        for (const p of r.predictions) expect(Math.abs(p.confidence - expected[p.class_id])).toBeLessThanOrEqual(2e-3);
        expect(r.image).toEqual({ width: refs[i].size[0], height: refs[i].size[1] });
      }
      await model.dispose();
    }
  });

  it('multi-label, both formats (sigmoid in the default path, raw outputs in the legacy one)', async () => {
    const small = { training_input_size: { height: 64, width: 64 }, normalization: [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]] };
    const byDefault = makePackage(multi, { 'inference_config.json': inferenceConfig(small, { ...GRAY, ...STRETCH }, { type: 'sigmoid', fused: false }), 'class_names.txt': NAMES_5, 'model_config.json': { model_architecture: 'resnet18', task_type: 'multi-label-classification', backend_type: 'torch' } });
    const legacy = makePackage(multi, { 'environment.json': { CLASS_MAP: { 0: 'a', 1: 'b', 2: 'c', 3: 'd', 4: 'e' }, PREPROCESSING: { ...CROP, resize: { format: 'Fit (black edges) in', width: 64, height: 64 } }, MULTICLASS: true } });
    for (const dir of [byDefault, legacy]) {
      const model = await loadModel(dir, { device: 'cpu', task: 'multi-label' });
      const refs = reference(PHOTOS.map((image) => ({ package: dir, image, model: path.join(dir, 'weights.torchscript') })));
      for (let i = 0; i < PHOTOS.length; i++) {
        const r = await model.classify({ path: PHOTOS[i] });
        Object.values(r.predictions).forEach((p) => expect(Math.abs(p.confidence - refs[i].scores![p.class_id]), path.basename(PHOTOS[i])).toBeLessThanOrEqual(2e-3));
      }
      await model.dispose();
    }
  });

  it('EXIF orientation: applied by default, not by a legacy package without "auto-orient", and switched off per call', async () => {
    const jpeg = path.join(scratch, 'exif-6.jpg');
    await sharp(path.join(photosDir, 'chelsea.png')).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toFile(jpeg);
    const withOrient = makePackage(resnet, { 'inference_config.json': inferenceConfig({}), 'class_names.txt': NAMES_1000 });
    const without = makePackage(resnet, { 'environment.json': environment({ resize: { format: 'Stretch to', width: 224, height: 224 } }) });
    const a = await loadModel(withOrient, { device: 'cpu', task: 'single-label' });
    const b = await loadModel(without, { device: 'cpu', task: 'single-label' });
    expect((await a.classify({ path: jpeg })).image).toEqual({ width: 300, height: 451 }); // rotated
    expect((await b.classify({ path: jpeg })).image).toEqual({ width: 451, height: 300 }); // as stored
    expect((await a.classify({ path: jpeg }, { disablePreprocessing: { autoOrient: true } })).image).toEqual({ width: 451, height: 300 });
    // end to end against the reference's OpenCV decoding (a different JPEG decoder: confidences, not levels)
    const [ra] = reference([{ package: withOrient, image: jpeg, model: path.join(withOrient, 'weights.torchscript') }]);
    expect(ra.size).toEqual([300, 451]);
    const r = await a.classify({ path: jpeg }, { fullPrecision: true });
    expect(r.predictions[0].class_id).toBe(ra.scores!.indexOf(Math.max(...ra.scores!)));
    await a.dispose();
    await b.dispose();
  });

  it('disablePreprocessing switches each step off for one call, as the package without that step', async () => {
    const steps = { ...CROP, ...GRAY, ...STRETCH };
    const full = await loadModel(makePackage(resnet, { 'inference_config.json': inferenceConfig({}, steps), 'class_names.txt': NAMES_1000 }), { device: 'cpu', task: 'single-label' });
    const photo = { path: PHOTOS[0] };
    for (const [flag, key] of [['staticCrop', 'static-crop'], ['grayscale', 'grayscale'], ['contrast', 'contrast']] as const) {
      const rest = Object.fromEntries(Object.entries(steps).filter(([k]) => k !== key));
      const reduced = await loadModel(makePackage(resnet, { 'inference_config.json': inferenceConfig({}, rest), 'class_names.txt': NAMES_1000 }), { device: 'cpu', task: 'single-label' });
      const off = await full.classify(photo, { fullPrecision: true, disablePreprocessing: { [flag]: true } });
      const expected = await reduced.classify(photo, { fullPrecision: true });
      expect(off.predictions.slice(0, 5), flag).toEqual(expected.predictions.slice(0, 5));
      const [ref] = reference([{ package: reduced.info.path.replace(/\/weights\.torchscript$/, ''), image: PHOTOS[0] }]);
      const [withFlag] = reference([{ package: full.info.path.replace(/\/weights\.torchscript$/, ''), image: PHOTOS[0], disable: { [key.replace('-', '_')]: true } }]);
      expect(levels(ref.tensor, withFlag.tensor, [1, 1, 1])).toBe(0); // the reference agrees that the flag is the step removed
      await reduced.dispose();
    }
    await full.dispose();
  });

  it("the server takes Roboflow's disable_preproc_* flags in the query and in the JSON body", async () => {
    const { createServer } = require('../dist/lib/server/server.js') as typeof import('../lib/server/server');
    const model = await loadModel(makePackage(resnet, { 'inference_config.json': inferenceConfig({}, { ...GRAY, ...STRETCH }), 'class_names.txt': NAMES_1000 }), { device: 'cpu', task: 'single-label' });
    const app = createServer({ models: { 'pkg/1': model } });
    const body = readFileSync(PHOTOS[1]).toString('base64');
    const on = await model.classify({ path: PHOTOS[1] });
    const off = await model.classify({ path: PHOTOS[1] }, { disablePreprocessing: { grayscale: true } });
    expect(off.top === on.top && off.confidence === on.confidence).toBe(false); // the flag changes the answer
    const hosted = await app.inject({ method: 'POST', url: '/pkg/1?disable_preproc_grayscale=true', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: body });
    expect(hosted.statusCode).toBe(200);
    expect(hosted.json().predictions.slice(0, 3)).toEqual(off.predictions.slice(0, 3));
    const plain = await app.inject({ method: 'POST', url: '/pkg/1', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: body });
    expect(plain.json().predictions.slice(0, 3)).toEqual(on.predictions.slice(0, 3));
    const v1 = await app.inject({ method: 'POST', url: '/infer/classification', payload: { model_id: 'pkg/1', image: { type: 'base64', value: body }, disable_preproc_grayscale: true } });
    expect(v1.json().predictions.slice(0, 3)).toEqual(off.predictions.slice(0, 3));
    const bad = await app.inject({ method: 'POST', url: '/pkg/1?disable_preproc_contrast=maybe', headers: { 'content-type': 'text/plain' }, payload: body });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/disable_preproc_contrast must be true or false/);
    await app.close();
    await model.dispose();
  });

  it('edge-classify info <package> prints the plan', () => {
    const dir = makePackage(resnet, { 'inference_config.json': inferenceConfig({ resize_mode: 'center-crop' }, { ...CROP, ...EQUALIZE }), 'class_names.txt': NAMES_1000 });
    const out = execFileSync(process.execPath, [path.join(root, 'bin', 'edge-classify.js'), 'info', dir, '--device', 'cpu'], { encoding: 'utf8' });
    const info = JSON.parse(out);
    expect(info.metadataSource).toBe('roboflow-inference-config');
    expect(info.metadata).toMatchObject({ resize: 'crop', interpolation: 'opencv-uint8', preprocessing: { flavor: 'inference-models', contrast: 'Histogram Equalization', static_crop: { x_min: 12 } } });
  });

  it('model.info shows the whole plan read from the package', async () => {
    const model = await loadModel(makePackage(resnet, { 'inference_config.json': inferenceConfig({ resize_mode: 'letterbox', padding_value: 114, color_mode: 'bgr' }, { ...CROP, ...GRAY, ...EQUALIZE }), 'class_names.txt': NAMES_1000 }), { device: 'cpu' });
    expect(model.info.metadata).toMatchObject({
      resize: 'letterbox', pad: 114, letterbox_rounding: 'scale', channel_order: 'bgr', task: 'single-label', output: 'logits',
      preprocessing: { flavor: 'inference-models', auto_orient: true, grayscale: true, contrast: 'Histogram Equalization', static_crop: { x_min: 12, y_min: 7, x_max: 91, y_max: 83 } },
    });
    // normalization is per tensor plane (B, G, R for this bgr model); metadata's mean is in R, G, B order
    model.info.metadata.mean.forEach((m, i) => expect(m).toBeCloseTo([0.406, 0.456, 0.485][i], 6));
    await model.dispose();
  });
});

describe('bad Roboflow packages get typed errors naming the file and field', () => {
  const bad = (files: Record<string, unknown>, weights = () => resnet) => makePackage(weights(), files);
  const cases: [string, () => string, new (...a: never[]) => Error, RegExp][] = [
    ['unknown resize mode', () => bad({ 'inference_config.json': inferenceConfig({ resize_mode: 'squash' }), 'class_names.txt': NAMES_1000 }), ModelLoadError, /inference_config\.json: "network_input\.resize_mode"/],
    ['unknown contrast type', () => bad({ 'inference_config.json': inferenceConfig({}, { contrast: { enabled: true, type: 'Gamma' } }), 'class_names.txt': NAMES_1000 }), ModelLoadError, /"image_pre_processing\.contrast\.type"/],
    ['unknown contrast type (legacy)', () => bad({ 'environment.json': environment({ contrast: { enabled: true, type: 'Gamma' } }) }), ModelLoadError, /environment\.json: "PREPROCESSING\.contrast\.type"/],
    ['crop bounds outside 0..100', () => bad({ 'inference_config.json': inferenceConfig({}, { 'static-crop': { enabled: true, x_min: -5, y_min: 0, x_max: 50, y_max: 50 } }), 'class_names.txt': NAMES_1000 }), ModelLoadError, /"image_pre_processing\.static-crop"/],
    ['an empty crop', () => bad({ 'environment.json': environment({ 'static-crop': { enabled: true, x_min: 60, y_min: 0, x_max: 40, y_max: 50 } }) }), ModelLoadError, /"PREPROCESSING\.static-crop" must be a non-empty window/],
    ['class count not the outputs', () => bad({ 'inference_config.json': inferenceConfig({}), 'class_names.txt': NAMES_5 }), ModelMismatchError, /lists 5 class names but the model outputs 1000/],
    ['input_channels not 3', () => bad({ 'inference_config.json': inferenceConfig({ input_channels: 1 }), 'class_names.txt': NAMES_1000 }), ModelLoadError, /"network_input\.input_channels" must be 3/],
    ['an empty class_names.txt', () => bad({ 'inference_config.json': inferenceConfig({}), 'class_names.txt': '\n  \n' }), ModelLoadError, /class_names\.txt lists no class names/],
    ['no class_names.txt', () => bad({ 'inference_config.json': inferenceConfig({}) }), ModelLoadError, /has inference_config\.json but no class_names\.txt/],
    ['class_names_operations that is not a list', () => bad({ 'inference_config.json': { ...inferenceConfig({}), class_names_operations: 'remove' }, 'class_names.txt': NAMES_1000 }), ModelLoadError, /"class_names_operations" must be a list/],
    ['softmax for a multi-label model', () => bad({ 'inference_config.json': inferenceConfig({}), 'class_names.txt': NAMES_1000, 'model_config.json': { task_type: 'multi-label-classification' } }), ModelLoadError, /"post_processing\.type" must be 'sigmoid'/],
    ['CLASS_MAP with a gap', () => bad({ 'environment.json': { ...environment({}), CLASS_MAP: { 0: 'a', 2: 'c' } } }), ModelLoadError, /environment\.json: "CLASS_MAP"/],
    ['PREPROCESSING that is not JSON', () => bad({ 'environment.json': { ...environment({}), PREPROCESSING: '{not json' } }), ModelLoadError, /invalid JSON in .*environment\.json PREPROCESSING/],
  ];
  for (const [name, make, Class, message] of cases) {
    it(name, async () => {
      const error = await loadModel(make(), { device: 'cpu' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Class);
      expect((error as Error).message).toMatch(message);
    });
  }

  it("class_names_operations is ignored, as Roboflow's classification models ignore it (its detection models remove classes)", async () => {
    const model = await loadModel(bad({ 'inference_config.json': { ...inferenceConfig({}), class_names_operations: [{ type: 'class_name_removal', class_name: 'class 3' }] }, 'class_names.txt': NAMES_1000 }), { device: 'cpu' });
    expect(model.info.metadata.class_names).toHaveLength(1000);
    expect(model.info.metadata.class_names[3]).toBe('class 3');
    await model.dispose();
  });

  it('a crop that leaves no pixel of a small image fails that call only', async () => {
    const model = await loadModel(makePackage(resnet, { 'inference_config.json': inferenceConfig({}, { 'static-crop': { enabled: true, x_min: 40, y_min: 40, x_max: 41, y_max: 41 } }), 'class_names.txt': NAMES_1000 }), { device: 'cpu' });
    const tiny = { data: new Uint8Array(3 * 5 * 3), width: 3, height: 5, channels: 3 as const };
    await expect(model.classify(tiny)).rejects.toThrow(/static crop leaves no pixel of this 3x5 image/);
    await expect(model.classify({ path: PHOTOS[0] })).resolves.toBeDefined();
    await model.dispose();
  });
});
