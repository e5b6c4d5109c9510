/**
 * Roboflow's two model package formats, read beside the weights, as Roboflow's own server reads them
 * (facts: ../shared/spec/roboflow-server-reference.md §2 and §4; README "Roboflow package support"):
 * - default (inference-models path): `inference_config.json` + `class_names.txt` (+ `model_config.json`);
 * - legacy: `environment.json` (CLASS_MAP, PREPROCESSING, MULTICLASS).
 * Both become metadata: input size, resize, padding, channel order, normalisation, task, activation,
 * class names and the preprocessing steps. A bad field is a ModelLoadError naming the file and field.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ModelLoadError } from '../errors';
import type { ModelMetadata, PreprocessingSteps } from '../types';
import { DEFAULTS, type PartialMetadata } from './complete';
import { parseJson } from './json';

type Json = Record<string, unknown>;

/** The legacy server's resize format names; an unknown name, or none, is "Stretch to". */
const LEGACY_RESIZE: Record<string, Pick<ModelMetadata, 'resize' | 'pad'>> = {
  'Stretch to': { resize: 'stretch', pad: 'black' },
  'Fit (black edges) in': { resize: 'letterbox', pad: 'black' },
  'Fit (white edges) in': { resize: 'letterbox', pad: 'white' },
  'Fit (grey edges) in': { resize: 'letterbox', pad: 'grey' },
  // the legacy server falls back to a black letterbox for these (with a warning)
  'Fit (reflect edges) in': { resize: 'letterbox', pad: 'black' },
  'Fit within': { resize: 'letterbox', pad: 'black' },
  'Fill (with center crop) in': { resize: 'letterbox', pad: 'black' },
};
/** The legacy server's input size when neither the model nor PREPROCESSING gives one. */
const LEGACY_DEFAULT_SIZE = 640;
const CONTRASTS = ['Contrast Stretching', 'Histogram Equalization', 'Adaptive Equalization'] as const;

function fail(file: string, field: string, expected: string, value: unknown): never {
  throw new ModelLoadError(`invalid Roboflow package: ${file}: "${field}" must be ${expected}, got ${JSON.stringify(value)?.slice(0, 200)}`);
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const enabled = (step: unknown) => isObject(step) && Boolean(step.enabled);

/** class_names.txt: one name per line, whitespace stripped, blank lines skipped; class_id = line index. */
function classNamesFile(file: string): string[] {
  const names = readFileSync(file, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  if (names.length === 0) throw new ModelLoadError(`invalid Roboflow package: ${file} lists no class names (one name per line)`);
  return names;
}

/**
 * The steps of `image_pre_processing` / `PREPROCESSING` (same keys in both formats): a step applies
 * when its key is there and `enabled` is true. `autoOrient`: whether EXIF orientation is applied.
 */
function stepsOf(pre: Json, file: string, field: string, flavor: PreprocessingSteps['flavor'], autoOrient: boolean): PreprocessingSteps | undefined {
  const steps: PreprocessingSteps = { flavor, auto_orient: autoOrient, grayscale: enabled(pre.grayscale) };
  const crop = pre['static-crop'];
  if (enabled(crop)) {
    const c = crop as Json;
    const bounds = ['x_min', 'y_min', 'x_max', 'y_max'].map((k) => c[k]);
    if (!bounds.every((v) => typeof v === 'number' && v >= 0 && v <= 100)) fail(file, `${field}.static-crop`, 'percent bounds x_min, y_min, x_max, y_max from 0 to 100', crop);
    const [x_min, y_min, x_max, y_max] = bounds as number[];
    if (!(x_min < x_max && y_min < y_max)) fail(file, `${field}.static-crop`, 'a non-empty window (x_min < x_max, y_min < y_max)', crop);
    steps.static_crop = { x_min, y_min, x_max, y_max };
  }
  const contrast = pre.contrast;
  if (enabled(contrast)) {
    const type = (contrast as Json).type;
    if (!CONTRASTS.includes(type as (typeof CONTRASTS)[number])) fail(file, `${field}.contrast.type`, CONTRASTS.map((c) => `'${c}'`).join(', '), type);
    steps.contrast = type as PreprocessingSteps['contrast'];
  }
  const any = steps.static_crop || steps.grayscale || steps.contrast || !autoOrient;
  return any ? steps : undefined;
}

/** The legacy package: environment.json (+ class_names.txt when CLASS_MAP is missing). */
function fromEnvironment(dir: string): PartialMetadata | undefined {
  const file = path.join(dir, 'environment.json');
  if (!existsSync(file)) return undefined;
  const env = parseJson(readFileSync(file, 'utf8'), file);
  if (!isObject(env)) fail(file, '(top level)', 'an object', env);
  const meta: PartialMetadata = { ...DEFAULTS, letterbox_rounding: 'legacy' };
  const classMap = env.CLASS_MAP;
  if (classMap !== undefined) {
    if (!isObject(classMap)) fail(file, 'CLASS_MAP', 'an object "0" -> name, "1" -> name, ...', classMap);
    // the server reads keys "0" .. "n-1"
    const names: string[] = [];
    for (let i = 0; i < Object.keys(classMap).length; i++) {
      if (!Object.hasOwn(classMap, String(i))) fail(file, 'CLASS_MAP', `the keys "0" to "${Object.keys(classMap).length - 1}"`, Object.keys(classMap));
      names.push(String(classMap[String(i)]));
    }
    meta.class_names = names;
  } else if (existsSync(path.join(dir, 'class_names.txt'))) {
    meta.class_names = classNamesFile(path.join(dir, 'class_names.txt'));
  }
  let pre: unknown = env.PREPROCESSING;
  if (typeof pre === 'string') pre = parseJson(pre, `${file} PREPROCESSING`);
  if (pre === undefined) pre = {};
  if (!isObject(pre)) fail(file, 'PREPROCESSING', 'an object (or a JSON string of one)', pre);
  const resize = pre.resize;
  const format = isObject(resize) && typeof resize.format === 'string' ? resize.format : 'Stretch to';
  Object.assign(meta, LEGACY_RESIZE[format] ?? LEGACY_RESIZE['Stretch to']);
  // the legacy server letterboxes with cv2.resize of the 8-bit image; it stretches a float32 copy
  if (meta.resize === 'letterbox') meta.interpolation = 'opencv-uint8';
  const width = isObject(resize) ? Number(resize.width) : NaN;
  const height = isObject(resize) ? Number(resize.height) : NaN;
  meta.input = Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0 ? { width, height } : { width: LEGACY_DEFAULT_SIZE, height: LEGACY_DEFAULT_SIZE };
  // the legacy server applies EXIF orientation only when PREPROCESSING has an "auto-orient" key (its value is not read)
  const steps = stepsOf(pre, file, 'PREPROCESSING', 'legacy', Object.hasOwn(pre, 'auto-orient'));
  if (steps) meta.preprocessing = steps;
  // MULTICLASS true means multi-label; the legacy server uses multi-label outputs as they are
  if (env.MULTICLASS === true) Object.assign(meta, { task: 'multi-label', output: 'probabilities' });
  return meta;
}

/** normalization [[m0, m1, m2], [s0, s1, s2]] and scaling_factor -> mean / std after x / 255, in R, G, B order. */
function normalisation(input: Json, file: string, bgr: boolean): Pick<ModelMetadata, 'mean' | 'std'> {
  const scaling = input.scaling_factor ?? null;
  if (scaling !== null && !(typeof scaling === 'number' && scaling > 0)) fail(file, 'network_input.scaling_factor', 'a positive number or null', scaling);
  const norm = input.normalization ?? null;
  const triple = (v: unknown) => Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && Number.isFinite(x));
  if (norm !== null && !(Array.isArray(norm) && norm.length === 2 && triple(norm[0]) && triple(norm[1]) && (norm[1] as number[]).every((s) => s > 0))) {
    fail(file, 'network_input.normalization', '[[mean x3], [std x3]] (std > 0) or null', norm);
  }
  const [m, s] = (norm ?? [[0, 0, 0], [1, 1, 1]]) as [number[], number[]];
  const unit = (scaling ?? 1) as number; // the server divides by scaling_factor, then normalises: ((x / k) - m) / s
  const perPlane = (v: number[]) => v.map((x) => (x * unit) / 255) as [number, number, number];
  const mean = perPlane(m);
  const std = perPlane(s);
  // normalization is given per tensor plane: B, G, R for a BGR model
  return bgr ? { mean: [mean[2], mean[1], mean[0]], std: [std[2], std[1], std[0]] } : { mean, std };
}

/** The default package: inference_config.json + class_names.txt (+ model_config.json). */
function fromInferenceConfig(dir: string): PartialMetadata | undefined {
  const file = path.join(dir, 'inference_config.json');
  if (!existsSync(file)) return undefined;
  const config = parseJson(readFileSync(file, 'utf8'), file);
  if (!isObject(config)) fail(file, '(top level)', 'an object', config);
  const namesFile = path.join(dir, 'class_names.txt');
  if (!existsSync(namesFile)) throw new ModelLoadError(`invalid Roboflow package: ${dir} has inference_config.json but no class_names.txt`);
  const modelConfigFile = path.join(dir, 'model_config.json');
  const modelConfig = existsSync(modelConfigFile) ? parseJson(readFileSync(modelConfigFile, 'utf8'), modelConfigFile) : {};
  if (!isObject(modelConfig)) fail(modelConfigFile, '(top level)', 'an object', modelConfig);

  const input = config.network_input;
  if (!isObject(input)) fail(file, 'network_input', 'an object', input);
  if (input.input_channels !== 3) fail(file, 'network_input.input_channels', '3 (Roboflow preprocessing supports three channels only)', input.input_channels);
  const size = input.training_input_size;
  if (!isObject(size) || !Number.isInteger(size.width) || !Number.isInteger(size.height) || (size.width as number) < 1 || (size.height as number) < 1) {
    fail(file, 'network_input.training_input_size', '{ "height": H, "width": W } (positive integers)', size);
  }
  const colorMode = input.color_mode ?? 'rgb';
  if (colorMode !== 'rgb' && colorMode !== 'bgr') fail(file, 'network_input.color_mode', "'rgb' or 'bgr'", colorMode);
  const padding = input.padding_value ?? null;
  if (padding !== null && !(Number.isInteger(padding) && (padding as number) >= 0 && (padding as number) <= 255)) fail(file, 'network_input.padding_value', 'an integer 0..255 or null', padding);
  const meta: PartialMetadata = {
    ...DEFAULTS,
    // this path resizes the decoded 8-bit image with cv2.resize (center-crop does not resize)
    interpolation: 'opencv-uint8',
    input: { width: size.width as number, height: size.height as number },
    channel_order: colorMode,
    ...normalisation(input, file, colorMode === 'bgr'),
    class_names: classNamesFile(namesFile),
  };
  const architecture = typeof modelConfig.model_architecture === 'string' ? modelConfig.model_architecture : '';
  switch (input.resize_mode) {
    case 'stretch':
      meta.resize = 'stretch';
      break;
    case 'letterbox':
    case 'letterbox-reflect-edges': // the server fills with the constant: no reflection
      Object.assign(meta, { resize: 'letterbox', pad: (padding ?? 0) as number, letterbox_rounding: 'scale' });
      break;
    case 'center-crop': // the central window, no resizing, on black
      Object.assign(meta, { resize: 'crop', pad: 0 });
      break;
    case 'fit-longer-edge': // classification models substitute: YOLOv8 a grey (127) letterbox, the others stretch
      Object.assign(meta, /yolo/i.test(architecture) ? { resize: 'letterbox', pad: 127, letterbox_rounding: 'scale' } : { resize: 'stretch' });
      break;
    default:
      fail(file, 'network_input.resize_mode', "'stretch', 'letterbox', 'center-crop', 'fit-longer-edge' or 'letterbox-reflect-edges'", input.resize_mode);
  }
  const post = config.post_processing ?? null;
  if (post !== null && !(isObject(post) && (post.type === 'softmax' || post.type === 'sigmoid'))) fail(file, 'post_processing', "{ type: 'softmax' | 'sigmoid', fused } or null", post);
  const taskType = modelConfig.task_type;
  const multi = taskType === 'multi-label-classification' || (isObject(post) && post.type === 'sigmoid');
  if (taskType !== undefined && taskType !== 'classification' && taskType !== 'multi-label-classification') {
    fail(modelConfigFile, 'task_type', "'classification' or 'multi-label-classification'", taskType);
  }
  if (isObject(post) && (post.type === 'sigmoid') !== multi) fail(file, 'post_processing.type', multi ? "'sigmoid' for a multi-label model" : "'softmax' for a single-label model", post.type);
  meta.task = multi ? 'multi-label' : 'single-label';
  // fused: the network already ends in its activation
  meta.output = isObject(post) && post.fused === true ? 'probabilities' : 'logits';
  // class_names_operations (class removal) is read by Roboflow's detection models only; its
  // classification models keep every class, and so does this.
  const operations = config.class_names_operations ?? null;
  if (operations !== null && !Array.isArray(operations)) fail(file, 'class_names_operations', 'a list or null', operations);
  const pre = config.image_pre_processing ?? {};
  if (!isObject(pre)) fail(file, 'image_pre_processing', 'an object', pre);
  // this path applies EXIF orientation unless a request switches it off; "auto-orient" is not read
  const steps = stepsOf(pre, file, 'image_pre_processing', 'inference-models', true);
  if (steps) meta.preprocessing = steps;
  return meta;
}

/** The Roboflow package in `dir`: inference_config.json first (Roboflow's default), then environment.json. */
export function fromRoboflow(dir: string): { metadata: PartialMetadata; format: 'inference_config.json' | 'environment.json' } | undefined {
  const config = fromInferenceConfig(dir);
  if (config) return { metadata: config, format: 'inference_config.json' };
  const env = fromEnvironment(dir);
  return env ? { metadata: env, format: 'environment.json' } : undefined;
}
