/**
 * Metadata validated field by field and completed with the defaults, whatever file it came from.
 */
import { ModelLoadError } from '../errors';
import type { ModelMetadata, PreprocessingSteps } from '../types';

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

function check(ok: boolean, where: string, field: string, expected: string, value: unknown): void {
  if (!ok) throw new ModelLoadError(`invalid metadata in ${where}: "${field}" must be ${expected}, got ${JSON.stringify(value)}`);
}

const isTriple = (v: unknown): boolean =>
  Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && Number.isFinite(x));

const CONTRASTS = ['Contrast Stretching', 'Histogram Equalization', 'Adaptive Equalization'];

/** The preprocessing steps' fields, checked (`where` names the source). */
function checkSteps(p: PreprocessingSteps, where: string): void {
  check(typeof p === 'object' && p !== null && !Array.isArray(p), where, 'preprocessing', 'an object', p);
  check(p.flavor === 'inference-models' || p.flavor === 'legacy', where, 'preprocessing.flavor', "'inference-models' or 'legacy'", p.flavor);
  check(typeof p.auto_orient === 'boolean', where, 'preprocessing.auto_orient', 'a boolean', p.auto_orient);
  check(typeof p.grayscale === 'boolean', where, 'preprocessing.grayscale', 'a boolean', p.grayscale);
  if (p.contrast !== undefined) check(CONTRASTS.includes(p.contrast), where, 'preprocessing.contrast', CONTRASTS.map((c) => `'${c}'`).join(', '), p.contrast);
  const c = p.static_crop;
  if (c !== undefined) {
    const bounds = [c?.x_min, c?.y_min, c?.x_max, c?.y_max];
    check(bounds.every((v) => typeof v === 'number' && v >= 0 && v <= 100), where, 'static_crop', 'percent bounds {x_min, y_min, x_max, y_max} from 0 to 100', c);
    check(c.x_min < c.x_max && c.y_min < c.y_max, where, 'static_crop', 'a non-empty window (x_min < x_max, y_min < y_max)', c);
  }
}

/** Applies defaults and validates every field; `where` names the source in messages. */
export function completeMetadata(found: PartialMetadata, where: string): Omit<ModelMetadata, 'class_names'> & { class_names?: string[] } {
  if (typeof found !== 'object' || found === null || Array.isArray(found)) {
    throw new ModelLoadError(`invalid metadata in ${where}: expected a JSON object`);
  }
  const m = { ...DEFAULTS, ...found };
  if ((m.pad as string) === 'gray') m.pad = 'grey';
  check(m.task === 'single-label' || m.task === 'multi-label', where, 'task', "'single-label' or 'multi-label'", m.task);
  check(['stretch', 'letterbox', 'center-crop', 'crop'].includes(m.resize), where, 'resize', "'stretch', 'letterbox', 'center-crop' or 'crop'", m.resize);
  const padValue = typeof m.pad === 'number' ? Number.isInteger(m.pad) && m.pad >= 0 && m.pad <= 255 : Object.hasOwn(PAD_VALUES, m.pad);
  check(padValue, where, 'pad', "'black', 'white', 'grey' or an integer 0..255", m.pad);
  if (m.letterbox_rounding !== undefined) {
    check(['exact', 'legacy', 'scale'].includes(m.letterbox_rounding), where, 'letterbox_rounding', "'exact', 'legacy' or 'scale'", m.letterbox_rounding);
  }
  if (m.interpolation !== undefined) check(m.interpolation === 'float' || m.interpolation === 'opencv-uint8', where, 'interpolation', "'float' or 'opencv-uint8'", m.interpolation);
  if (m.preprocessing !== undefined) checkSteps(m.preprocessing, where);
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
