/**
 * The JavaScript results of 0.2 (lib/results/single-label.ts, multi-label.ts and base.ts before the
 * results moved into the native core), kept unchanged as the reference the native results are
 * tested against (test/00-results.test.ts) and as the peer of the results benchmark
 * (benchmarks/results.ts).
 */
import { randomUUID } from 'node:crypto';
import { roundConfidence } from '../../lib/results/round';
import type { ResultContext } from '../../lib/results/compact';
import type { ClassificationPrediction, MultiLabelResult, SingleLabelResult } from '../../lib/types';

/** The result object: the common fields around the task's own `fields`. */
export function resultBase<F extends object>(context: ResultContext, fields: F): { inference_id: string; time: number; image: { width: number; height: number } } & F & { prediction_type: 'ClassificationModel'; image_path?: string } {
  const result = { inference_id: randomUUID(), time: context.time, image: context.image, ...fields, prediction_type: 'ClassificationModel' as const };
  return context.imagePath === undefined ? result : { ...result, image_path: context.imagePath };
}

export function multiLabel(scores: ArrayLike<number>, classNames: readonly string[], context: ResultContext, threshold: number): MultiLabelResult {
  const predictions: MultiLabelResult['predictions'] = {};
  const predicted: string[] = [];
  classNames.forEach((name, i) => {
    // defined, not assigned: a class named "__proto__" must become a key, not the object's prototype
    Object.defineProperty(predictions, name, { value: { confidence: scores[i], class_id: i }, enumerable: true, writable: true, configurable: true });
    if (scores[i] > threshold) predicted.push(name);
  });
  return resultBase(context, { predictions, predicted_classes: predicted });
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

/** Scratch space of singleLabel (it runs synchronously, so one set serves every call). */
let confidences = new Float64Array(1024);
let order = new Int32Array(1024);

export function singleLabel(
  scores: ArrayLike<number>,
  classNames: readonly string[],
  context: ResultContext,
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
  return resultBase(context, {
    predictions,
    top: kept > 0 ? predictions[0].class : '',
    confidence: kept > 0 ? predictions[0].confidence : 0,
  });
}
