/** Options of one call (classify, classifyBatch, outputs, CLIP's calls), checked before any work starts. */
import { boolean, integer, invalid, number, optionsObject } from './validate';

/** A call's cancellation, checked: pass to CallControl.of() when the call starts. */
export interface ControlOptions {
  signal: AbortSignal | undefined;
  timeoutMs: number | undefined;
}

function control(o: Record<string, unknown>): ControlOptions {
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw invalid('options.signal', 'an AbortSignal', o.signal);
  const timeoutMs = o.timeoutMs === undefined ? undefined : number('options.timeoutMs', o.timeoutMs, 0, 2 ** 31 - 1);
  return { signal: o.signal as AbortSignal | undefined, timeoutMs };
}

/** The options of a call that takes only `signal` and `timeoutMs`. */
export function controlOptions(options: unknown): ControlOptions {
  return control(optionsObject('options', options, ['signal', 'timeoutMs'] as const));
}

/** Steps a call switches off: the native bit mask (1 static crop, 2 grayscale, 4 contrast) and auto-orient. */
export interface Disabled {
  mask: number;
  autoOrient: boolean;
}

const DISABLE_BITS = { staticCrop: 1, grayscale: 2, contrast: 4 } as const;

function disabled(value: unknown): Disabled {
  const o = optionsObject('options.disablePreprocessing', value, ['autoOrient', 'contrast', 'grayscale', 'staticCrop'] as const);
  let mask = 0;
  for (const [key, bit] of Object.entries(DISABLE_BITS)) {
    if (o[key] !== undefined && boolean(`options.disablePreprocessing.${key}`, o[key])) mask |= bit;
  }
  return { mask, autoOrient: o.autoOrient !== undefined && boolean('options.disablePreprocessing.autoOrient', o.autoOrient) };
}

/**
 * classify()'s options: the threshold, rounding, top-k (0: all), steps switched off and the call's
 * cancellation; `classes` is the model's class count (the largest topK).
 */
export function classifyOptions(options: unknown, classes: number): ControlOptions & { threshold: number | undefined; fullPrecision: boolean; topK: number; disabled: Disabled } {
  const o = optionsObject('options', options, ['confidence', 'fullPrecision', 'topK', 'signal', 'timeoutMs', 'disablePreprocessing'] as const);
  const threshold = o.confidence === undefined ? undefined : number('options.confidence', o.confidence, 0, 1);
  const fullPrecision = o.fullPrecision === undefined ? false : boolean('options.fullPrecision', o.fullPrecision);
  const topK = o.topK === undefined ? 0 : integer('options.topK', o.topK, 1, Math.max(1, classes));
  return { threshold, fullPrecision, topK, disabled: disabled(o.disablePreprocessing), ...control(o) };
}
