// Layer 0: result shaping and rounding, no model needed. Results are built by the native core
// (native/core/results.cc) and turned into objects or JSON bytes by lib/results/compact.ts; the
// JavaScript results of 0.2 (benchmarks/lib/js-results.ts) are the reference they must equal, object
// for object and byte for byte, and Python's round() the reference of the rounding.
import assert from 'node:assert';
import { execFileSync } from 'node:child_process';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { multiLabel as jsMultiLabel, singleLabel as jsSingleLabel } from '../benchmarks/lib/js-results';
import { native } from '../dist/lib/native/binding.js';
import { ResultLabels, resultObjects, resultsJson, resultSpec, roundConfidence, type ResultContext } from '../dist/lib/results/index.js';
import { toWorkflowBlock, type ClassificationResult, type MultiLabelResult, type SingleLabelResult } from '../lib/index.mjs';
import { python, seeded } from './helpers';

const common: ResultContext = { time: 0.01, image: { width: 210, height: 113 } };
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const { binding } = native();

interface Call {
  threshold?: number;
  fullPrecision?: boolean;
  topK?: number;
  context?: ResultContext;
}

/** Rows of scores -> the native results, as objects and as JSON bytes (the same inference ids). */
function build(rows: number[][], names: string[], task: 'single-label' | 'multi-label', call: Call = {}): { objects: ClassificationResult[]; json: string[] } {
  const labels = new ResultLabels(names, binding);
  const spec = resultSpec(task, call.threshold, call.fullPrecision ?? false, call.topK ?? 0, true);
  const out = binding.results(Float64Array.from(rows.flat()), names.length, labels.handle, spec);
  const contexts = rows.map(() => call.context ?? common);
  const objects = resultObjects(out, labels, task, contexts);
  const json = resultsJson(out, labels, task, contexts, objects.map((o) => o.inference_id)).map((pieces) => Buffer.concat(pieces).toString('utf8'));
  return { objects, json };
}

function single(scores: number[], names: string[], call: Call = {}): SingleLabelResult {
  const { objects, json } = build([scores], names, 'single-label', call);
  expect(json[0]).toBe(JSON.stringify(objects[0]));
  return objects[0] as SingleLabelResult;
}

function multi(scores: number[], names: string[], call: Call = {}): MultiLabelResult {
  const { objects, json } = build([scores], names, 'multi-label', { threshold: 0.5, ...call });
  expect(json[0]).toBe(JSON.stringify(objects[0]));
  return objects[0] as MultiLabelResult;
}

describe('roundConfidence (Python round(x, 4))', () => {
  it('rounds exact ties to even, like Python', () => {
    // Python: round(0.03125, 4) == 0.0312, round(0.09375, 4) == 0.0938, round(0.15625, 4) == 0.1562
    expect(roundConfidence(0.03125)).toBe(0.0312);
    expect(roundConfidence(0.09375)).toBe(0.0938);
    expect(roundConfidence(0.15625)).toBe(0.1562);
    expect(roundConfidence(0.21875)).toBe(0.2188);
  });
  it('rounds non-ties to the nearest 4-decimal value', () => {
    expect(roundConfidence(0.71494)).toBe(0.7149);
    expect(roundConfidence(0.28506)).toBe(0.2851);
    expect(roundConfidence(1)).toBe(1);
    expect(roundConfidence(0)).toBe(0);
    expect(roundConfidence(0.99995)).toBe(1); // 0.99995 is stored as 0.99995000000000000551...
    expect(roundConfidence(0.00005)).toBe(0.0001); // stored slightly above the tie
    expect(roundConfidence(1e-9)).toBe(0);
  });
  it('the native rounding equals Python round(x, 4) and the JS one on 30,000 values, ties and near-ties included', () => {
    const random = seeded(11);
    const values: number[] = [];
    for (let k = 0; k < 10000; k++) values.push(random() ** 3);
    for (let k = 0; k < 32 * 4; k++) values.push(k / 32, -k / 32); // every exact tie in [0, 4]
    for (let k = 0; k < 5000; k++) {
      const tie = (Math.floor(random() * 20000) + 0.5) / 10000; // near x.xxxx5: the doubles around it
      values.push(tie, tie + Number.EPSILON * tie, tie - Number.EPSILON * tie);
    }
    for (let k = 0; k < 4000; k++) values.push((random() - 0.5) * 10 ** Math.floor(random() * 12 - 6));
    const theirs = JSON.parse(execFileSync(python(), ['-c', 'import json,sys; print(json.dumps([round(x, 4) for x in json.load(sys.stdin)]))'], { input: JSON.stringify(values), encoding: 'utf8', maxBuffer: 64 << 20 })) as number[];
    const labels = new ResultLabels(['x'], binding);
    const out = binding.results(Float64Array.from(values), 1, labels.handle, resultSpec('single-label', undefined, false, 0, false));
    let mismatches = 0;
    values.forEach((x, i) => {
      if (!Object.is(out.confidences[i] + 0, theirs[i] + 0) || roundConfidence(x) !== theirs[i]) mismatches++;
    });
    expect(mismatches).toBe(0);
  });
});

describe('single-label results', () => {
  const names = ['illustration', 'real-image', 'other'];
  it('has every field of the hosted API, sorted highest first, rounded', () => {
    const r = single([0.2851, 0.7149, 0], names, { context: { ...common, imagePath: '/cropped-images-1.jpg' } });
    expect(Object.keys(r)).toEqual(['inference_id', 'time', 'image', 'predictions', 'top', 'confidence', 'prediction_type', 'image_path']);
    expect(r.inference_id).toMatch(UUID_V4);
    expect(r.predictions).toEqual([
      { class: 'real-image', class_id: 1, confidence: 0.7149 },
      { class: 'illustration', class_id: 0, confidence: 0.2851 },
      { class: 'other', class_id: 2, confidence: 0 },
    ]);
    expect(Object.keys(r.predictions[0])).toEqual(['class', 'class_id', 'confidence']);
    expect(r.top).toBe('real-image');
    expect(r.confidence).toBe(0.7149);
    expect(r.prediction_type).toBe('ClassificationModel');
    expect(r.image_path).toBe('/cropped-images-1.jpg');
  });
  it('keeps class order for equal rounded confidences', () => {
    const r = single([0.25001, 0.25004, 0.49995], ['a', 'b', 'c']);
    expect(r.predictions.map((p) => p.class)).toEqual(['c', 'a', 'b']);
  });
  it('drops classes below a given threshold (kept when >=) and handles an empty list', () => {
    const r = single([0.2, 0.5, 0.3], ['a', 'b', 'c'], { threshold: 0.3 });
    expect(r.predictions.map((p) => p.class)).toEqual(['b', 'c']);
    const none = single([0.2, 0.5, 0.3], ['a', 'b', 'c'], { threshold: 0.9 });
    expect(none.predictions).toEqual([]);
    expect(none.top).toBe('');
    expect(none.confidence).toBe(0);
  });
  it('keeps full precision on request', () => {
    expect(single([0.123456789, 0.876543211], ['a', 'b'], { fullPrecision: true }).confidence).toBe(0.876543211);
  });
  it('puts NaN confidences (a broken model) last in class order, written as null', () => {
    for (const fullPrecision of [false, true]) {
      const r = single([0.2, NaN, 0.5, NaN], ['a', 'b', 'c', 'd'], { fullPrecision });
      expect(r.predictions.map((p) => p.class)).toEqual(['c', 'a', 'b', 'd']);
      expect(single([0.2, NaN, 0.5, NaN], ['a', 'b', 'c', 'd'], { fullPrecision, topK: 3 }).predictions.map((p) => p.class)).toEqual(['c', 'a', 'b']);
    }
  });
  it('omits image_path when the input was not a file', () => {
    expect('image_path' in single([1], ['a'])).toBe(false);
  });
  it('topK: the first k of the full list, after the threshold', () => {
    const scores = [0.1, 0.3, 0.05, 0.25, 0.3];
    const all = single(scores, ['a', 'b', 'c', 'd', 'e']);
    for (const k of [1, 2, 4, 5]) expect(single(scores, ['a', 'b', 'c', 'd', 'e'], { topK: k }).predictions).toEqual(all.predictions.slice(0, k));
    expect(single(scores, ['a', 'b', 'c', 'd', 'e'], { topK: 3, threshold: 0.26 }).predictions.map((p) => p.class)).toEqual(['b', 'e']);
  });
});

describe('multi-label results', () => {
  it('lists every class in class order, unrounded, predicted_classes strictly above the threshold', () => {
    const r = multi([0.5254300236701965, 0.5, 0.5804], ['dent', 'scratch', 'severe']);
    expect(Object.keys(r)).toEqual(['inference_id', 'time', 'image', 'predictions', 'predicted_classes', 'prediction_type']);
    expect(Object.keys(r.predictions)).toEqual(['dent', 'scratch', 'severe']);
    expect(r.predictions.dent).toEqual({ confidence: 0.5254300236701965, class_id: 0 });
    expect(Object.keys(r.predictions.dent)).toEqual(['confidence', 'class_id']);
    expect(r.predicted_classes).toEqual(['dent', 'severe']);
  });
  it('topK: the k most confident classes, in the order of all classes; predicted_classes unchanged', () => {
    const r = multi([0.2, 0.9, 0.6, 0.7], ['a', 'b', 'c', 'd'], { topK: 2 });
    expect(Object.keys(r.predictions)).toEqual(['b', 'd']);
    expect(r.predicted_classes).toEqual(['b', 'c', 'd']);
  });
});

/** The reference objects for the same rows, with the native results' inference ids. */
function referenceOf(rows: number[][], names: string[], task: 'single-label' | 'multi-label', call: Call, ids: string[]): ClassificationResult[] {
  return rows.map((scores, i) => {
    const r = task === 'multi-label' ? jsMultiLabel(scores, names, common, call.threshold ?? 0.5) : jsSingleLabel(scores, names, common, call.threshold, call.fullPrecision ?? false);
    return { ...r, inference_id: ids[i] };
  });
}

describe('native results equal the JavaScript results of 0.2', () => {
  // class names a JSON writer and a JS object's key order can get wrong
  const awkward = ['cat', '0', '10', '2', '__proto__', 'constructor', 'toString', 'quo"te', 'back\\slash', 'tab\there', 'new\nline', '\u0000nul', '\u007f', 'é', '猫', '🙂', 'lone\ud800', 'cat', '4294967295', '4294967294', '01', '-1', '1.5', ''];
  const random = seeded(2026);
  const trialScores = (n: number, trial: number): number[] =>
    Array.from({ length: n }, () => {
      switch (trial % 6) {
        case 0: return Math.floor(random() * 20) / 40; // many ties
        case 1: return Math.floor(random() * 64) / 32; // exact rounding ties
        case 2: return (Math.floor(random() * 10000) + 0.5) / 10000; // near ties
        case 3: return random() * 3 - 1; // outside [0, 1]
        case 4: return random() ** 8 * 10 ** Math.floor(random() * -12); // tiny: exponent notation unrounded
        default: return random() < 0.05 ? -0 : random() ** 4; // -0 rounds to -0, as in Python
      }
    });

  it('object for object, and JSON byte for byte, on 600 random results (ties, thresholds, topK, awkward names)', () => {
    for (let trial = 0; trial < 600; trial++) {
      const task = trial % 2 === 0 ? 'single-label' : 'multi-label';
      const n = trial % 5 === 0 ? awkward.length : 1 + Math.floor(random() * (trial % 17 === 0 ? 2000 : 60));
      const names = trial % 5 === 0 ? awkward : Array.from({ length: n }, (_, i) => (trial % 3 === 0 ? String(n - i) : `c${i}`));
      const rows = [trialScores(n, trial), trialScores(n, trial + 3)];
      const call: Call = { threshold: trial % 4 === 0 ? random() * 0.6 : undefined, fullPrecision: trial % 8 === 2 };
      const { objects, json } = build(rows, names, task, call);
      const want = referenceOf(rows, names, task, call, objects.map((o) => o.inference_id));
      const label = `trial ${trial} (${task}, ${n} classes)`;
      expect(objects, label).toEqual(want);
      expect(json, label).toEqual(want.map((w) => JSON.stringify(w)));
      // topK: single-label the first k; multi-label the k best of the reference's predictions
      const k = 1 + Math.floor(random() * n);
      const top = build(rows, names, task, { ...call, topK: k }).objects;
      if (task === 'single-label') expect(top.map((r) => (r as SingleLabelResult).predictions), label).toEqual(want.map((w) => (w as SingleLabelResult).predictions.slice(0, k)));
      else {
        top.forEach((r, i) => {
          const all = Object.entries((want[i] as MultiLabelResult).predictions);
          const best = new Set(all.map(([name, p], j) => ({ name, c: p.confidence, j })).sort((a, b) => b.c - a.c || a.j - b.j).slice(0, k).map((e) => e.name));
          expect(Object.keys((r as MultiLabelResult).predictions), label).toEqual(all.map(([name]) => name).filter((name) => best.has(name)));
          expect((r as MultiLabelResult).predicted_classes).toEqual((want[i] as MultiLabelResult).predicted_classes);
        });
      }
    }
  });

  it('print, spread, deep-equal, clone and stringify like the plain objects of 0.2, each as the first thing done to a result', () => {
    // `predictions` is built when first read: every way of reading a result must see the plain value
    const firstUses: [string, (r: ClassificationResult) => unknown][] = [
      ['console.log / util.inspect', (r) => inspect(r, { depth: null })],
      ['spread', (r) => JSON.stringify({ ...r })],
      ['Object.assign', (r) => JSON.stringify(Object.assign({}, r))],
      ['Object.entries', (r) => JSON.stringify(Object.entries(r))],
      ['structuredClone', (r) => JSON.stringify(structuredClone(r))],
      ['JSON.stringify', (r) => JSON.stringify(r)],
      ['JSON.stringify, indented', (r) => JSON.stringify(r, null, 2)],
      ['property read', (r) => JSON.stringify(r.predictions)],
    ];
    // over 64 classes: predictions are then built on first read (fewer are built at once)
    const names = [...awkward, ...Array.from({ length: 80 }, (_, k) => `p${k}`)];
    for (const task of ['single-label', 'multi-label'] as const) {
      const rows = [trialScores(names.length, 1), trialScores(names.length, 5)];
      const context = { ...common, imagePath: 'a.jpg' };
      const fresh = () => {
        const { objects } = build(rows, names, task, { context });
        const want = rows.map((scores, i) => ({
          ...(task === 'multi-label' ? jsMultiLabel(scores, names, context, 0.5) : jsSingleLabel(scores, names, context, undefined, false)),
          inference_id: objects[i].inference_id,
        }));
        return { objects, want };
      };
      for (const [what, use] of firstUses) {
        const { objects, want } = fresh();
        objects.forEach((ours, i) => expect(use(ours), `${task}: ${what}`).toEqual(use(want[i] as ClassificationResult)));
      }
      let { objects, want } = fresh();
      objects.forEach((ours, i) => assert.deepStrictEqual(ours, want[i])); // prototypes and property kinds too
      ({ objects, want } = fresh());
      objects.forEach((ours, i) => expect(ours).toEqual(want[i]));
      ({ objects } = fresh());
      for (const ours of objects) expect(Object.getOwnPropertyDescriptor(ours, 'predictions')?.get).toBeTypeOf('function'); // deferred
      for (const ours of objects) {
        expect(Object.getPrototypeOf(ours)).toBe(Object.prototype);
        expect(Object.keys(ours)).toEqual(Object.keys(want[0]));
        void ours.predictions;
        expect(Object.getOwnPropertyDescriptor(ours, 'predictions')).toMatchObject({ writable: true, enumerable: true }); // a data property once read
      }
      // assignment replaces it; a frozen result still answers and refuses assignment
      ({ objects } = fresh());
      (objects[0] as { predictions: unknown }).predictions = 'mine';
      expect(objects[0].predictions).toBe('mine');
      const frozen = Object.freeze(objects[1]);
      expect(JSON.stringify(frozen.predictions)).toBe(JSON.stringify(want[1].predictions));
      expect(() => {
        (frozen as { predictions: unknown }).predictions = 'x';
      }).toThrow(TypeError);
    }
  });

  it('writes numbers as JSON.stringify does, over every magnitude (full precision)', () => {
    const values: number[] = [0, -0, 1, -1, 1e21, 1e-7, 123e-20, 5e-324, Number.MAX_VALUE, -Number.MIN_VALUE, 0.1, 1 / 3, 2 ** 53, 2 ** 70, 1e20, 123456789012345680000, 0.000001, 0.0000001];
    for (let k = 0; k < 20000; k++) values.push((random() - 0.5) * 10 ** Math.floor(random() * 60 - 30), random() * 10 ** Math.floor(random() * 616 - 308));
    const labels = new ResultLabels(['x'], binding);
    const out = binding.results(Float64Array.from(values), 1, labels.handle, resultSpec('single-label', undefined, true, 0, true));
    const text = out.json!.toString('utf8');
    const written = values.map((_, i) => text.slice(out.jsonAt![3 * i], out.jsonAt![3 * i + 1]));
    expect(written).toEqual(values.map((x) => JSON.stringify([{ class: 'x', class_id: 0, confidence: x }])));
    // NaN and infinities are null, as JSON.stringify writes them
    const odd = binding.results(Float64Array.from([NaN, Infinity, -Infinity]), 1, labels.handle, resultSpec('single-label', undefined, true, 0, true));
    expect(odd.json!.toString()).toBe('[{"class":"x","class_id":0,"confidence":null}]'.repeat(3));
  });

  it('refuses labels that do not fit the scores, and key orders out of range', () => {
    const labels = new ResultLabels(['a', 'b'], binding);
    expect(() => binding.results(new Float64Array(3), 3, labels.handle, resultSpec('single-label', undefined, false, 0, false))).toThrow(/3 outputs but 2 class names/);
    expect(() => binding.labels(['"a"'], Int32Array.of(1))).toThrow(/out of range/);
  });
});

describe('workflow block shape', () => {
  it('matches roboflow_classification_model@v2 output', () => {
    const r = single([0.8123, 0.1877], ['cat', 'dog'], { context: { ...common, imagePath: 'x.jpg' } });
    const block = toWorkflowBlock(r, { modelId: 'pets/3' });
    expect(Object.keys(block)).toEqual(['predictions', 'inference_id', 'model_id']);
    expect(block.model_id).toBe('pets/3');
    expect(block.inference_id).toBe(r.inference_id);
    expect(block.predictions).toMatchObject({ prediction_type: 'classification', parent_id: 'image', root_parent_id: 'image', top: 'cat' });
    expect('image_path' in block.predictions).toBe(false);
    const crop = toWorkflowBlock(r, { modelId: 'pets/3', parentId: 'crop-1', rootParentId: 'image' });
    expect(crop.predictions).toMatchObject({ parent_id: 'crop-1', root_parent_id: 'image' });
  });
});
