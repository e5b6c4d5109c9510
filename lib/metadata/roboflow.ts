/**
 * Roboflow's model package: `environment.json` (CLASS_MAP, PREPROCESSING's resize, MULTICLASS) and
 * `class_names.txt` beside the weights.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ModelMetadata } from '../types';
import { DEFAULTS, type PartialMetadata } from './complete';
import { parseJson } from './json';

const ROBOFLOW_RESIZE: Record<string, Pick<ModelMetadata, 'resize' | 'pad'>> = {
  'Stretch to': { resize: 'stretch', pad: 'black' },
  'Fit (black edges) in': { resize: 'letterbox', pad: 'black' },
  'Fit (white edges) in': { resize: 'letterbox', pad: 'white' },
  'Fit (grey edges) in': { resize: 'letterbox', pad: 'grey' },
};

/** The metadata of the Roboflow package in `dir`, or undefined when it has no environment.json. */
export function fromRoboflow(dir: string): PartialMetadata | undefined {
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
