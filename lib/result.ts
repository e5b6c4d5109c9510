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
  // Fast path: x * 10000 is within ~1e-12 of the exact product for |x| < 1e5, so unless that product
  // is within 1e-6 of a half, rounding it gives the correctly rounded decimal; r / 10000 is then the
  // double nearest that decimal, as Number(x.toFixed(4)) would be.
  const scaled = x * 10000;
  if (Math.abs(scaled) < 1e9) {
    const floor = Math.floor(scaled);
    const frac = scaled - floor;
    if (Math.abs(frac - 0.5) > 1e-6) {
      const r = frac > 0.5 ? floor + 1 : floor;
      return r === 0 && x < 0 ? -0 : r / 10000;
    }
  }
  const times32 = x * 32; // exact: a power of two
  if (Number.isInteger(times32) && times32 % 2 !== 0) {
    const lower = Math.floor(x * 10000); // exact: x*10000 = n + 0.5 is representable
    return (lower % 2 === 0 ? lower : lower + 1) / 10000;
  }
  return Number(x.toFixed(4));
}

/** Indices sorted on confidence, highest first, ties in index order. */
function sortByConfidence(indices: Int32Array, confidences: Float64Array): Int32Array {
  return indices.sort((a, b) => confidences[b] - confidences[a] || a - b);
}

let buckets = new Int32Array(1024);
let keys = new Int32Array(1024);
let sortedOut = new Int32Array(1024);

/**
 * The same order for 4-decimal confidences in [0, 1] (the usual case), by a stable counting sort on
 * their integer keys round(c * 10000), over the range of keys present: linear, where the comparison
 * sort of 1000 classes costs ~0.1 ms per image.
 */
function sortRounded(indices: Int32Array, confidences: Float64Array): Int32Array {
  const n = indices.length;
  if (keys.length < n) {
    keys = new Int32Array(n);
    sortedOut = new Int32Array(n);
  }
  let low = 10000;
  let high = 0;
  for (let k = 0; k < n; k++) {
    const c = confidences[indices[k]];
    if (!(c >= 0 && c <= 1)) return sortByConfidence(indices, confidences);
    const key = Math.round(c * 10000); // exact: c has 4 decimals
    keys[k] = key;
    if (key < low) low = key;
    if (key > high) high = key;
  }
  // Bucket b counts key (high - b): highest confidence first.
  const range = high - low + 2;
  if (buckets.length < range) buckets = new Int32Array(range);
  buckets.fill(0, 0, range);
  for (let k = 0; k < n; k++) buckets[high - keys[k] + 1]++;
  for (let b = 1; b < range; b++) buckets[b] += buckets[b - 1];
  const out = sortedOut.subarray(0, n); // scratch: read before the next call
  for (let k = 0; k < n; k++) out[buckets[high - keys[k]]++] = indices[k];
  return out;
}

export interface Common {
  time: number;
  image: { width: number; height: number };
  imagePath?: string;
}

/** Scratch space of singleLabel (it runs synchronously, so one set serves every call). */
let confidences = new Float64Array(1024);
let order = new Int32Array(1024);

export function singleLabel(
  scores: ArrayLike<number>,
  classNames: readonly string[],
  common: Common,
  threshold: number | undefined,
  fullPrecision: boolean,
): SingleLabelResult {
  const n = classNames.length;
  if (confidences.length < n) {
    confidences = new Float64Array(n);
    order = new Int32Array(n);
  }
  // Sort class indices on their (rounded) confidence, highest first, ties in class order.
  let kept = 0;
  for (let i = 0; i < n; i++) {
    confidences[i] = fullPrecision ? scores[i] : roundConfidence(scores[i]);
    if (threshold === undefined || scores[i] >= threshold) order[kept++] = i;
  }
  const candidates = order.subarray(0, kept);
  const sorted = fullPrecision ? sortByConfidence(candidates, confidences) : sortRounded(candidates, confidences);
  const predictions: ClassificationPrediction[] = new Array(kept);
  for (let k = 0; k < kept; k++) {
    const i = sorted[k];
    predictions[k] = { class: classNames[i], class_id: i, confidence: confidences[i] };
  }
  const result: SingleLabelResult = {
    inference_id: randomUUID(),
    time: common.time,
    image: common.image,
    predictions,
    top: kept > 0 ? predictions[0].class : '',
    confidence: kept > 0 ? predictions[0].confidence : 0,
    prediction_type: 'ClassificationModel',
  };
  if (common.imagePath !== undefined) result.image_path = common.imagePath;
  return result;
}

export function multiLabel(scores: ArrayLike<number>, classNames: readonly string[], common: Common, threshold: number): MultiLabelResult {
  const predictions: MultiLabelResult['predictions'] = {};
  const predicted: string[] = [];
  classNames.forEach((name, i) => {
    // defined, not assigned: a class named "__proto__" must become a key, not the object's prototype
    Object.defineProperty(predictions, name, { value: { confidence: scores[i], class_id: i }, enumerable: true, writable: true, configurable: true });
    if (scores[i] > threshold) predicted.push(name);
  });
  const result: MultiLabelResult = { inference_id: randomUUID(), time: common.time, image: common.image, predictions, predicted_classes: predicted, prediction_type: 'ClassificationModel' };
  if (common.imagePath !== undefined) result.image_path = common.imagePath;
  return result;
}
