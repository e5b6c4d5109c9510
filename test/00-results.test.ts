// Layer 0: result shaping and rounding, no model needed.
import { describe, expect, it } from 'vitest';
import { multiLabel, roundConfidence, singleLabel } from '../dist/lib/results/index.js';
import { toWorkflowBlock } from '../lib/index.mjs';

const common = { time: 0.01, image: { width: 210, height: 113 } };
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

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
});

describe('single-label results', () => {
  const names = ['illustration', 'real-image', 'other'];
  it('has every field of the hosted API, sorted highest first, rounded', () => {
    const r = singleLabel([0.2851, 0.7149, 0], names, { ...common, imagePath: '/cropped-images-1.jpg' }, undefined, false);
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
    const r = singleLabel([0.25001, 0.25004, 0.49995], ['a', 'b', 'c'], common, undefined, false);
    expect(r.predictions.map((p) => p.class)).toEqual(['c', 'a', 'b']);
  });
  it('drops classes below a given threshold (kept when >=) and handles an empty list', () => {
    const r = singleLabel([0.2, 0.5, 0.3], ['a', 'b', 'c'], common, 0.3, false);
    expect(r.predictions.map((p) => p.class)).toEqual(['b', 'c']);
    const none = singleLabel([0.2, 0.5, 0.3], ['a', 'b', 'c'], common, 0.9, false);
    expect(none.predictions).toEqual([]);
    expect(none.top).toBe('');
    expect(none.confidence).toBe(0);
  });
  it('orders like a plain comparison sort on random scores (ties, thresholds, 1..3000 classes)', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let trial = 0; trial < 300; trial++) {
      const n = 1 + Math.floor(random() * (trial % 10 === 0 ? 3000 : 300));
      // coarse values make many ties; some outside [0, 1] take the comparison-sort path
      const scores = Array.from({ length: n }, () => (trial % 3 === 0 ? Math.floor(random() * 20) / 40 : trial % 7 === 0 ? random() * 3 - 1 : random() ** 4));
      const names = scores.map((_, i) => `c${i}`);
      const threshold = trial % 4 === 0 ? random() * 0.5 : undefined;
      const rounded = scores.map(roundConfidence);
      const want = scores.map((_, i) => i).filter((i) => threshold === undefined || scores[i] >= threshold).sort((a, b) => rounded[b] - rounded[a] || a - b);
      const r = singleLabel(scores, names, common, threshold, false);
      expect(r.predictions.map((p) => p.class_id)).toEqual(want);
      expect(r.predictions.map((p) => p.confidence)).toEqual(want.map((i) => rounded[i]));
    }
  });
  it('keeps full precision on request', () => {
    const r = singleLabel([0.123456789, 0.876543211], ['a', 'b'], common, undefined, true);
    expect(r.confidence).toBe(0.876543211);
  });
  it('omits image_path when the input was not a file', () => {
    expect('image_path' in singleLabel([1], ['a'], common, undefined, false)).toBe(false);
  });
});

describe('multi-label results', () => {
  it('lists every class in class order, unrounded, predicted_classes strictly above the threshold', () => {
    const r = multiLabel([0.5254300236701965, 0.5, 0.5804], ['dent', 'scratch', 'severe'], common, 0.5);
    expect(Object.keys(r)).toEqual(['inference_id', 'time', 'image', 'predictions', 'predicted_classes', 'prediction_type']);
    expect(Object.keys(r.predictions)).toEqual(['dent', 'scratch', 'severe']);
    expect(r.predictions.dent).toEqual({ confidence: 0.5254300236701965, class_id: 0 });
    expect(Object.keys(r.predictions.dent)).toEqual(['confidence', 'class_id']);
    expect(r.predicted_classes).toEqual(['dent', 'severe']);
  });
});

describe('workflow block shape', () => {
  it('matches roboflow_classification_model@v2 output', () => {
    const r = singleLabel([0.8123, 0.1877], ['cat', 'dog'], { ...common, imagePath: 'x.jpg' }, undefined, false);
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
