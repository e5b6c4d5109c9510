/**
 * Model metadata: found in the TorchScript extra file `metadata.json`, a
 * sidecar `<model file>.json`, or Roboflow's `environment.json` (+
 * `class_names.txt`), in that order; validated and completed with defaults.
 */
import { existsSync, readFileSync, statSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ModelLoadError } from './errors';
import { onnxMetadataFile } from './onnx';
import type { MetadataSource, ModelMetadata } from './types';

export const DEFAULTS: Omit<ModelMetadata, 'class_names' | 'input'> = {
  task: 'single-label',
  resize: 'stretch',
  pad: 'black',
  mean: [0.5, 0.5, 0.5],
  std: [0.5, 0.5, 0.5],
  channel_order: 'rgb',
  output: 'logits',
};

/** Metadata before the class count is known: class_names may still be missing. */
export type PartialMetadata = Partial<ModelMetadata>;

export const PAD_VALUES = { black: 0, white: 255, grey: 114 } as const;

const ROBOFLOW_RESIZE: Record<string, Pick<ModelMetadata, 'resize' | 'pad'>> = {
  'Stretch to': { resize: 'stretch', pad: 'black' },
  'Fit (black edges) in': { resize: 'letterbox', pad: 'black' },
  'Fit (white edges) in': { resize: 'letterbox', pad: 'white' },
  'Fit (grey edges) in': { resize: 'letterbox', pad: 'grey' },
};

const WEIGHT_NAMES = ['weights.torchscript', 'weights.pt', 'model.torchscript', 'model.pt', 'weights.onnx', 'model.onnx'];
const MODEL_EXTENSIONS = ['.torchscript', '.pt', '.onnx', '.engine', '.plan'];

/**
 * A model path may be a folder (e.g. a Roboflow package): pick the model file in it — TorchScript
 * first, or ONNX first when TensorRT is to be preferred.
 */
export function resolveModelFile(modelPath: string, preferTensorRt = false): string {
  let stat;
  try {
    stat = statSync(modelPath);
  } catch {
    throw new ModelLoadError(`model file not found: ${modelPath}`);
  }
  if (!stat.isDirectory()) return modelPath;
  const order = preferTensorRt ? [...WEIGHT_NAMES.filter((n) => n.endsWith('.onnx')), ...WEIGHT_NAMES.filter((n) => !n.endsWith('.onnx'))] : WEIGHT_NAMES;
  const named = order.map((n) => path.join(modelPath, n)).find((p) => existsSync(p));
  const any = readdirSync(modelPath).filter((n) => MODEL_EXTENSIONS.some((ext) => n.endsWith(ext)));
  const file = named ?? (any.length === 1 ? path.join(modelPath, any[0]) : undefined);
  if (!file) {
    throw new ModelLoadError(
      `no single model file in folder ${modelPath}: expected one of ${WEIGHT_NAMES.join(', ')} or exactly one ${MODEL_EXTENSIONS.map((e) => `*${e}`).join(' / ')} file`,
    );
  }
  return file;
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ModelLoadError(`invalid JSON in ${where}: ${(error as Error).message}`, { cause: error });
  }
}

function fromRoboflow(dir: string): PartialMetadata | undefined {
  const envFile = path.join(dir, 'environment.json');
  if (!existsSync(envFile)) return undefined;
  const env = parseJson(readFileSync(envFile, 'utf8'), envFile) as Record<string, unknown>;
  const meta: PartialMetadata = { ...DEFAULTS };
  const classMap = env.CLASS_MAP as Record<string, string> | undefined;
  if (classMap && typeof classMap === 'object') {
    const ids = Object.keys(classMap).map(Number).sort((a, b) => a - b);
    meta.class_names = ids.map((id) => String(classMap[String(id)]));
  } else if (existsSync(path.join(dir, 'class_names.txt'))) {
    meta.class_names = readFileSync(path.join(dir, 'class_names.txt'), 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  }
  let pre = env.PREPROCESSING as unknown;
  if (typeof pre === 'string') pre = parseJson(pre, `${envFile} PREPROCESSING`);
  const resize = (pre as { resize?: { format?: string; width?: number; height?: number } } | undefined)?.resize;
  if (resize) {
    // Roboflow's server treats unknown formats as "Stretch to".
    Object.assign(meta, ROBOFLOW_RESIZE[resize.format ?? ''] ?? ROBOFLOW_RESIZE['Stretch to']);
    if (resize.width && resize.height) meta.input = { width: Number(resize.width), height: Number(resize.height) };
  }
  // Roboflow's server: softmax for single-label; multi-label outputs are used as they are.
  if (env.MULTICLASS === true) Object.assign(meta, { task: 'multi-label', output: 'probabilities' });
  return meta;
}

/** An ONNX model's metadata_props, read without loading the file; a typed error when it is not ONNX. */
export async function readOnnxProps(modelFile: string): Promise<Map<string, string> | undefined> {
  if (!modelFile.endsWith('.onnx')) return undefined;
  try {
    return await onnxMetadataFile(modelFile);
  } catch (error) {
    throw new ModelLoadError(`${modelFile} is not a readable ONNX model: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Finds the metadata of `modelFile` (`embedded` = its TorchScript extra file, if any; `onnxProps` =
 * readOnnxProps() of an ONNX file).
 */
export function findMetadata(modelFile: string, embedded: string | null, onnxProps?: Map<string, string>): { metadata: PartialMetadata; source: MetadataSource } {
  if (embedded) return { metadata: parseJson(embedded, `${modelFile} (extra file metadata.json)`) as PartialMetadata, source: 'torchscript' };
  if (onnxProps) {
    const json = onnxProps.get('metadata.json');
    if (json) return { metadata: parseJson(json, `${modelFile} (ONNX metadata_props "metadata.json")`) as PartialMetadata, source: 'onnx' };
  }
  const sidecar = `${modelFile}.json`;
  if (existsSync(sidecar)) return { metadata: parseJson(readFileSync(sidecar, 'utf8'), sidecar) as PartialMetadata, source: 'sidecar' };
  const roboflow = fromRoboflow(path.dirname(modelFile));
  if (roboflow) return { metadata: roboflow, source: 'roboflow' };
  return { metadata: {}, source: 'options' };
}

function check(ok: boolean, where: string, field: string, expected: string, value: unknown): void {
  if (!ok) throw new ModelLoadError(`invalid metadata in ${where}: "${field}" must be ${expected}, got ${JSON.stringify(value)}`);
}

const isTriple = (v: unknown): boolean =>
  Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && Number.isFinite(x));

/** Applies defaults and validates every field; `where` names the source in messages. */
export function completeMetadata(found: PartialMetadata, where: string): Omit<ModelMetadata, 'class_names'> & { class_names?: string[] } {
  if (typeof found !== 'object' || found === null || Array.isArray(found)) {
    throw new ModelLoadError(`invalid metadata in ${where}: expected a JSON object`);
  }
  const m = { ...DEFAULTS, ...found };
  if ((m.pad as string) === 'gray') m.pad = 'grey';
  check(m.task === 'single-label' || m.task === 'multi-label', where, 'task', "'single-label' or 'multi-label'", m.task);
  check(['stretch', 'letterbox', 'center-crop'].includes(m.resize), where, 'resize', "'stretch', 'letterbox' or 'center-crop'", m.resize);
  check(m.pad in PAD_VALUES, where, 'pad', "'black', 'white' or 'grey'", m.pad);
  check(m.channel_order === 'rgb' || m.channel_order === 'bgr', where, 'channel_order', "'rgb' or 'bgr'", m.channel_order);
  check(m.output === 'logits' || m.output === 'probabilities', where, 'output', "'logits' or 'probabilities'", m.output);
  check(isTriple(m.mean), where, 'mean', 'an array of 3 numbers', m.mean);
  check(isTriple(m.std) && m.std.every((s) => s > 0), where, 'std', 'an array of 3 positive numbers', m.std);
  if (m.class_names !== undefined) {
    check(Array.isArray(m.class_names) && m.class_names.every((c) => typeof c === 'string'), where, 'class_names', 'an array of strings', m.class_names);
  }
  if (m.input === undefined) {
    throw new ModelLoadError(
      `no input size for the model (${where}): add "input": {"width": W, "height": H} to its metadata, or pass loadModel(path, { metadata: { input: { width, height } } })`,
    );
  }
  const { width, height } = m.input as { width: unknown; height: unknown };
  const side = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 16384;
  check(side(width) && side(height), where, 'input', '{"width", "height"} integers between 1 and 16384', m.input);
  return m as Omit<ModelMetadata, 'class_names'> & { class_names?: string[] };
}
