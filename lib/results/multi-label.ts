/**
 * Confidences -> Roboflow's multi-label result: every class in class order, unrounded, and the
 * classes strictly above the threshold.
 */
import type { MultiLabelResult } from '../types';
import { resultBase, type ResultContext } from './base';

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
