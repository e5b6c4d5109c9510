/**
 * Confidences -> Roboflow result objects (see the spec's "Decisions"): single-label
 * rounded like Python's round(x, 4), sorted on the rounded value with ties in
 * class order; multi-label unrounded, in class order.
 */
import { randomUUID } from 'node:crypto';
import type { ClassificationPrediction, MultiLabelResult, SingleLabelResult } from './types';

/**
 * Python's round(x, 4): the exact binary value rounded half to even. The only doubles
 * exactly halfway between two 4-decimal numbers are odd multiples of 1/32 (x * 20000
 * must be an odd integer); everything else is rounded correctly by toFixed.
 */
export function roundConfidence(x: number): number {
  const times32 = x * 32; // exact: a power of two
  if (Number.isInteger(times32) && times32 % 2 !== 0) {
    const lower = Math.floor(x * 10000); // exact: x*10000 = n + 0.5 is representable
    return (lower % 2 === 0 ? lower : lower + 1) / 10000;
  }
  return Number(x.toFixed(4));
}

export interface Common {
  time: number;
  image: { width: number; height: number };
  imagePath?: string;
}

function base(common: Common) {
  return {
    inference_id: randomUUID(),
    time: common.time,
    image: common.image,
  };
}

function tail(common: Common) {
  return {
    prediction_type: 'ClassificationModel' as const,
    ...(common.imagePath === undefined ? {} : { image_path: common.imagePath }),
  };
}

export function singleLabel(
  scores: ArrayLike<number>,
  classNames: readonly string[],
  common: Common,
  threshold: number | undefined,
  fullPrecision: boolean,
): SingleLabelResult {
  const predictions: ClassificationPrediction[] = [];
  for (let i = 0; i < classNames.length; i++) {
    if (threshold !== undefined && scores[i] < threshold) continue;
    predictions.push({ class: classNames[i], class_id: i, confidence: fullPrecision ? scores[i] : roundConfidence(scores[i]) });
  }
  predictions.sort((a, b) => b.confidence - a.confidence || a.class_id - b.class_id);
  return {
    ...base(common),
    predictions,
    top: predictions[0]?.class ?? '',
    confidence: predictions[0]?.confidence ?? 0,
    ...tail(common),
  };
}

export function multiLabel(scores: ArrayLike<number>, classNames: readonly string[], common: Common, threshold: number): MultiLabelResult {
  const predictions: MultiLabelResult['predictions'] = {};
  const predicted: string[] = [];
  classNames.forEach((name, i) => {
    predictions[name] = { confidence: scores[i], class_id: i };
    if (scores[i] > threshold) predicted.push(name);
  });
  return { ...base(common), predictions, predicted_classes: predicted, ...tail(common) };
}
