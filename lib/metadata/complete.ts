/**
 * Metadata validated field by field and completed with the defaults, whatever file it came from.
 */
import { ModelLoadError } from '../errors';
import type { ModelMetadata } from '../types';

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
