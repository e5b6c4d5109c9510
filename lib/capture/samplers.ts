/**
 * Which results a capture keeps, as Roboflow's active learning strategies for classification decide
 * (docs/capture.md): `random` (a share of all), `close_to_threshold` (the top confidence within
 * `epsilon` of `threshold`, optionally only for some classes), `classes_based` (the top class is one of
 * `selected_class_names`), each kept with its `probability`. A result is kept when any sampler keeps it.
 */
import { InvalidOptionError } from '../errors';
import type { ClassificationResult } from '../types';
import { number, optionsObject } from '../options/validate';

export type SamplerOptions =
  | { type: 'random'; traffic_percentage: number; name?: string }
  | { type: 'close_to_threshold'; threshold: number; epsilon: number; probability?: number; selected_class_names?: string[]; name?: string }
  | { type: 'classes_based'; selected_class_names: string[]; probability?: number; name?: string };

export interface Sampler {
  name: string;
  /** Whether this sampler keeps `result`; `random()` in [0, 1). */
  keeps(result: ClassificationResult, random: () => number): boolean;
}

/** The top class and its confidence: single-label `top`; multi-label the most confident class. */
export function topOf(result: ClassificationResult): { name: string; confidence: number } {
  if ('top' in result) return { name: result.top, confidence: result.confidence };
  let best = { name: '', confidence: -1 };
  for (const [name, p] of Object.entries(result.predictions)) if (p.confidence > best.confidence) best = { name, confidence: p.confidence };
  return best;
}

function classes(where: string, value: unknown): Set<string> | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((c) => typeof c === 'string')) throw new InvalidOptionError(`${where}.selected_class_names must be a list of class names`);
  return new Set(value as string[]);
}

/** A sampler from its options; InvalidOptionError naming the field otherwise. */
export function sampler(options: unknown, where: string): Sampler {
  const o = optionsObject(where, options, ['type', 'name', 'traffic_percentage', 'threshold', 'epsilon', 'probability', 'selected_class_names']);
  const probability = o.probability === undefined ? 1 : number(`${where}.probability`, o.probability, 0, 1);
  const name = typeof o.name === 'string' ? o.name : String(o.type);
  switch (o.type) {
    case 'random': {
      const share = number(`${where}.traffic_percentage`, o.traffic_percentage, 0, 1);
      return { name, keeps: (_r, random) => random() < share };
    }
    case 'close_to_threshold': {
      const threshold = number(`${where}.threshold`, o.threshold, 0, 1);
      const epsilon = number(`${where}.epsilon`, o.epsilon, 0, 1);
      const only = classes(where, o.selected_class_names);
      return {
        name,
        keeps: (r, random) => {
          const top = topOf(r);
          return (!only || only.has(top.name)) && Math.abs(top.confidence - threshold) <= epsilon && random() < probability;
        },
      };
    }
    case 'classes_based': {
      const only = classes(where, o.selected_class_names);
      if (!only) throw new InvalidOptionError(`${where}.selected_class_names is required for classes_based`);
      return { name, keeps: (r, random) => only.has(topOf(r).name) && random() < probability };
    }
    default:
      throw new InvalidOptionError(`${where}.type must be 'random', 'close_to_threshold' or 'classes_based', got ${JSON.stringify(o.type)}`);
  }
}
