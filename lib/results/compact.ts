/**
 * Results from their compact native form (native/core/results.h, built on the scheduler's threads):
 * Roboflow's result objects for the library, or a result's JSON bytes for the server, straight from
 * class indices, confidences and the native JSON of the predictions — byte for byte what
 * JSON.stringify writes for the object.
 */
import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import type { NativeBinding, NativeLabels, NativeResults, NativeResultSpec } from '../native/binding';
import type { ClassificationPrediction, ClassificationResult, MultiLabelResult, SingleLabelResult, Task } from '../types';

/** Facts about one image's call that go into its result. */
export interface ResultContext {
  /** Seconds of the whole call. */
  time: number;
  image: { width: number; height: number };
  /** Set when the input was a file path. */
  imagePath?: string;
}

/** A model's class names, as both sides need them: set once at load. */
export class ResultLabels {
  readonly names: readonly string[];
  /** JSON.stringify(name) of each class. */
  readonly json: readonly string[];
  readonly handle: NativeLabels;

  constructor(names: readonly string[], binding: NativeBinding) {
    this.names = names;
    this.json = names.map((name) => JSON.stringify(name));
    this.handle = binding.labels([...this.json], keyOrder(names));
  }
}

/**
 * The order in which a JavaScript object lists `names` as keys (integer-like names first), each
 * entry the class whose value the key holds (the last of a repeated name): a multi-label result's
 * `predictions` in the order JSON.stringify and Object.keys give them.
 */
function keyOrder(names: readonly string[]): Int32Array {
  const probe: Record<string, number> = {};
  names.forEach((name, i) => Object.defineProperty(probe, name, { value: i, enumerable: true, writable: true, configurable: true }));
  return Int32Array.from(Object.keys(probe), (key) => probe[key]);
}

/** The native spec of a call's results. */
export function resultSpec(task: Task, threshold: number | undefined, fullPrecision: boolean, topK: number, json: boolean): NativeResultSpec {
  return task === 'multi-label' ? { multiLabel: true, threshold: threshold ?? 0.5, topK, json } : { multiLabel: false, threshold, fullPrecision, topK, json };
}

/** Where each image's entries start in the compact arrays. */
function starts(counts: Int32Array): Int32Array {
  const out = new Int32Array(counts.length + 1);
  for (let i = 0; i < counts.length; i++) out[i + 1] = out[i] + counts[i];
  return out;
}

function withCommon<F extends object>(context: ResultContext, inferenceId: string, fields: F) {
  const result = { inference_id: inferenceId, time: context.time, image: context.image, ...fields, prediction_type: 'ClassificationModel' as const };
  return context.imagePath === undefined ? result : Object.assign(result, { image_path: context.imagePath });
}

/** What a result keeps to build its `predictions` when first read (a hidden property). */
interface Pending {
  results: NativeResults;
  labels: ResultLabels;
  from: number;
  to: number;
  multiLabel: boolean;
  value?: ClassificationPrediction[] | MultiLabelResult['predictions'];
}

const PENDING = Symbol('edge-classify pending predictions');
/** Up to this many predictions are built at once (a deferred result keeps its call's arrays alive until it goes). */
const EAGER_UP_TO = 64;

/** One image's `predictions`, as plain objects. */
function materialize(p: Pending): ClassificationPrediction[] | MultiLabelResult['predictions'] {
  const { names } = p.labels;
  const { classes, confidences } = p.results;
  if (p.multiLabel) {
    const predictions: MultiLabelResult['predictions'] = {};
    for (let k = p.from; k < p.to; k++) {
      const name = names[classes[k]];
      const value = { confidence: confidences[k], class_id: classes[k] };
      // defined, not assigned: a class named "__proto__" must become a key, not the object's prototype
      if (name === '__proto__') Object.defineProperty(predictions, name, { value, enumerable: true, writable: true, configurable: true });
      else predictions[name] = value;
    }
    return predictions;
  }
  const predictions: ClassificationPrediction[] = new Array(p.to - p.from);
  for (let k = p.from; k < p.to; k++) predictions[k - p.from] = { class: names[classes[k]], class_id: classes[k], confidence: confidences[k] };
  return predictions;
}

const asData = (value: unknown): PropertyDescriptor => ({ value, writable: true, enumerable: true, configurable: true });

/**
 * Past EAGER_UP_TO predictions, `predictions` is built when first read (for 1000 classes that is 1000 objects a caller reading only
 * `top` never pays for), then becomes a plain data property. Everything that reads it — property
 * access, JSON.stringify, spread, Object.assign/entries, deep equality, structuredClone — sees the
 * plain value; console.log / util.inspect print the plain object (util.inspect.custom).
 */
const LAZY: PropertyDescriptor = {
  enumerable: true,
  configurable: true,
  get(this: Record<PropertyKey, unknown>) {
    const pending = this[PENDING] as Pending;
    pending.value ??= materialize(pending);
    Reflect.defineProperty(this, 'predictions', asData(pending.value)); // false when frozen: keeps answering from `pending`
    return pending.value;
  },
  set(this: object, value: unknown) {
    if (!Reflect.defineProperty(this, 'predictions', asData(value))) throw new TypeError("Cannot assign to read only property 'predictions' of object");
  },
};

function inspectPlain(this: object): object {
  return { ...this };
}

/** Roboflow's result objects, one per image; `predictions` built on first read. */
export function resultObjects(results: NativeResults, labels: ResultLabels, task: Task, contexts: readonly ResultContext[]): ClassificationResult[] {
  const at = starts(results.counts);
  const multiLabel = task === 'multi-label';
  const predictedAt = multiLabel ? starts(results.predictedCounts!) : at;
  return contexts.map((context, i) => {
    const fields = multiLabel ? { predictions: undefined, predicted_classes: predictedNames(results, labels, predictedAt[i], predictedAt[i + 1]) } : singleFields(results, labels, at[i], at[i + 1]);
    const result = withCommon(context, randomUUID(), fields) as Record<PropertyKey, unknown>;
    const pending: Pending = { results, labels, from: at[i], to: at[i + 1], multiLabel };
    if (pending.to - pending.from <= EAGER_UP_TO) {
      // a few predictions cost less than deferring them, and keep no reference to the call's arrays
      result.predictions = materialize(pending);
      return result as unknown as ClassificationResult;
    }
    Object.defineProperty(result, PENDING, { value: pending });
    Object.defineProperty(result, inspect.custom, { value: inspectPlain });
    Object.defineProperty(result, 'predictions', LAZY);
    return result as unknown as ClassificationResult;
  });
}

/** A single-label image's best class (its first entry, at `from`), or -1 when none was kept. */
const bestOf = (results: NativeResults, from: number, to: number): number => (to > from ? results.classes[from] : -1);

function singleFields(results: NativeResults, labels: ResultLabels, from: number, to: number) {
  const best = bestOf(results, from, to);
  return { predictions: undefined, top: best >= 0 ? labels.names[best] : '', confidence: best >= 0 ? results.confidences[from] : 0 };
}

function predictedNames(results: NativeResults, labels: ResultLabels, from: number, to: number): string[] {
  const out: string[] = new Array(to - from);
  for (let k = from; k < to; k++) out[k - from] = labels.names[results.predicted![k]];
  return out;
}

/**
 * Each image's result as JSON bytes (pieces to concatenate): exactly JSON.stringify of its object from
 * resultObjects(), with `inferenceIds[i]` as its inference_id (a new UUID v4 where undefined).
 */
export function resultsJson(results: NativeResults, labels: ResultLabels, task: Task, contexts: readonly ResultContext[], inferenceIds?: readonly (string | undefined)[]): Buffer[][] {
  const json = results.json!;
  const jsonAt = results.jsonAt!;
  const at = starts(results.counts);
  return contexts.map((context, i) => {
    const id = inferenceIds?.[i] ?? randomUUID();
    const head = `{"inference_id":${JSON.stringify(id)},"time":${JSON.stringify(context.time)},"image":{"width":${JSON.stringify(context.image.width)},"height":${JSON.stringify(context.image.height)}},"predictions":`;
    const path = context.imagePath === undefined ? '' : `,"image_path":${JSON.stringify(context.imagePath)}`;
    const predictions = json.subarray(jsonAt[3 * i], jsonAt[3 * i + 1]);
    if (task === 'multi-label') {
      return [Buffer.from(head), predictions, Buffer.from(',"predicted_classes":'), json.subarray(jsonAt[3 * i + 1], jsonAt[3 * i + 2]), Buffer.from(`,"prediction_type":"ClassificationModel"${path}}`)];
    }
    const best = bestOf(results, at[i], at[i + 1]);
    const top = best >= 0 ? labels.json[best] : '""';
    const confidence = best >= 0 ? JSON.stringify(results.confidences[at[i]]) : '0';
    return [Buffer.from(head), predictions, Buffer.from(`,"top":${top},"confidence":${confidence},"prediction_type":"ClassificationModel"${path}}`)];
  });
}
