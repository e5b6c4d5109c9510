// Roboflow workflow specifications with the classification and CLIP blocks (issue 17, part): run end to
// end through runWorkflow() and over HTTP (/workflows/run, /infer/workflows), and every invalid
// specification refused before anything runs, naming the step and field.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadClip, loadModel, runWorkflow, WorkflowError, type Clip, type Model, type SingleLabelResult } from '../lib/index.mjs';
import { digitsModel, fixtureModel, root } from './helpers';

const seven = readFileSync(path.join(root, 'samples', 'digit-7-6.png'));
const two = readFileSync(path.join(root, 'samples', 'digit-2-12.png'));
let digits: Model;
let multi: Model;
let clip: Clip;
let models: Record<string, Model>;

beforeAll(async () => {
  digits = await loadModel(digitsModel, { device: 'cpu' });
  multi = await loadModel(fixtureModel('multilabel.torchscript'), { device: 'cpu' });
  clip = await loadClip(path.join(root, 'test', '.fixtures', 'clip', 'tiny'), { device: 'cpu' });
  models = { 'digits/1': digits, 'multi/1': multi };
});
afterAll(async () => {
  await Promise.all([digits?.dispose(), multi?.dispose(), clip?.dispose()]);
});

const IMAGE = { type: 'WorkflowImage', name: 'image' };
const spec = (steps: unknown[], outputs: unknown[], inputs: unknown[] = [IMAGE]) => ({ version: '1.0', inputs, steps, outputs });
const classifier = (version: number, extra: Record<string, unknown> = {}) => ({ type: `roboflow_core/roboflow_classification_model@v${version}`, name: 'model', images: '$inputs.image', model_id: 'digits/1', ...extra });

describe('runWorkflow', () => {
  it('single-label v1 and v2: Roboflow\'s serialized prediction, v2 with model_id, the block default confidence 0.4', async () => {
    const library = (await digits.classify(seven, { confidence: 0.4 })) as SingleLabelResult;
    for (const version of [1, 2, 3]) {
      const { outputs } = await runWorkflow(spec([classifier(version)], [{ type: 'JsonField', name: 'all', selector: '$steps.model.*' }, { type: 'JsonField', name: 'predictions', selector: '$steps.model.predictions' }]), { image: seven }, { models });
      expect(outputs).toHaveLength(1);
      const all = outputs[0].all as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
      expect(Object.keys(all).sort()).toEqual(version === 1 ? ['inference_id', 'predictions'] : ['inference_id', 'model_id', 'predictions']);
      if (version > 1) expect(all.model_id).toBe('digits/1');
      const p = all.predictions;
      expect(p).toMatchObject({ prediction_type: 'classification', parent_id: 'image', root_parent_id: 'image', top: library.top });
      expect(p.image_path).toBeUndefined();
      expect(p.inference_id).toBe(all.inference_id);
      // v3's confidence_mode "default" is 0.5; v1/v2 take the block default 0.4
      const threshold = version === 3 ? 0.5 : 0.4;
      const full = (await digits.classify(seven)) as SingleLabelResult;
      expect(p.predictions).toEqual(full.predictions.filter((q) => q.confidence >= threshold));
      expect(outputs[0].predictions).toEqual(p);
    }
  });

  it('a confidence bound to a parameter filters classes; several images in one call share one inference_id', async () => {
    const s = spec([classifier(2, { confidence: '$inputs.conf' })], [{ type: 'JsonField', name: 'p', selector: '$steps.model.predictions' }, { type: 'JsonField', name: 'id', selector: '$steps.model.inference_id' }], [IMAGE, { type: 'WorkflowParameter', name: 'conf', default_value: 0.4 }]);
    const low = await runWorkflow(s, { image: [seven, two], conf: 0 }, { models });
    expect(low.outputs).toHaveLength(2);
    expect((low.outputs[0].p as SingleLabelResult).predictions).toHaveLength(10);
    expect(low.outputs[0].id).toBe(low.outputs[1].id);
    expect((low.outputs[1].p as SingleLabelResult).top).toBe(((await digits.classify(two)) as SingleLabelResult).top);
    const high = await runWorkflow(s, { image: seven, conf: 0.99 }, { models });
    expect((high.outputs[0].p as SingleLabelResult).predictions.every((q) => q.confidence >= 0.99)).toBe(true);
    const byDefault = await runWorkflow(s, { image: seven }, { models }); // default_value 0.4
    expect((byDefault.outputs[0].p as SingleLabelResult).predictions.every((q) => q.confidence >= 0.4)).toBe(true);
  });

  it('multi-label v2 and CLIP comparison v2 blocks; excluded_fields', async () => {
    const s = spec(
      [
        { type: 'roboflow_core/roboflow_multi_label_classification_model@v2', name: 'labels', images: '$inputs.image', model_id: 'multi/1', confidence: 0.5 },
        { type: 'roboflow_core/clip_comparison@v2', name: 'clip', images: '$inputs.image', classes: ['a handwritten digit', 'a cat'] },
      ],
      [{ type: 'JsonField', name: 'labels', selector: '$steps.labels.predictions' }, { type: 'JsonField', name: 'clip', selector: '$steps.clip.*' }, { type: 'JsonField', name: 'model', selector: '$steps.labels.model_id' }],
    );
    const { outputs } = await runWorkflow(s, { image: seven }, { models, clip, excludedFields: ['model'] });
    expect(Object.keys(outputs[0]).sort()).toEqual(['clip', 'labels']);
    const library = await multi.classify(seven, { confidence: 0.5 });
    expect(outputs[0].labels).toMatchObject({ predictions: (library as { predictions: unknown }).predictions, predicted_classes: (library as { predicted_classes: unknown }).predicted_classes, prediction_type: 'classification' });
    const c = outputs[0].clip as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const expected = await clip.classify(seven, ['a handwritten digit', 'a cat']);
    c.similarities.forEach((s: number, i: number) => expect(Math.abs(s - expected.similarity[i])).toBeLessThan(1e-6));
    expect(c.most_similar_class).toBe(expected.top);
    expect(c.classification_predictions).toMatchObject({ top: expected.top, parent_id: 'image' });
  });

  const bad: [string, unknown, Record<string, unknown>, RegExp, string][] = [
    ['an unknown block type, listing the supported ones', spec([{ type: 'roboflow_core/object_detection_model@v1', name: 'det', images: '$inputs.image' }], []), { image: seven }, /step 'det': unknown block type .*roboflow_core\/roboflow_classification_model@v2/, 'UnknownBlockType'],
    ['a selector that names no input', spec([classifier(2, { images: '$inputs.picture' })], []), { image: seven }, /step 'model', property 'images': \$inputs\.picture names no input/, 'InvalidSelector'],
    ['a selector that names no step', spec([classifier(2, { model_id: '$steps.other.model_id' })], []), { image: seven }, /\$steps\.other names no step/, 'InvalidSelector'],
    ['an output selector that names no output', spec([classifier(1)], [{ type: 'JsonField', name: 'm', selector: '$steps.model.model_id' }]), { image: seven }, /step 'model' has no output 'model_id'/, 'InvalidSelector'],
    ['a missing input', spec([classifier(2)], []), {}, /input 'image' \(an image\) is missing/, 'MissingInput'],
    ['a parameter where an image goes', spec([classifier(2, { images: '$inputs.conf' })], [], [IMAGE, { type: 'WorkflowParameter', name: 'conf' }]), { image: seven, conf: 1 }, /property 'images': needs an image, but \$inputs\.conf is a parameter/, 'InvalidKind'],
    ['an image where a parameter goes', spec([classifier(2, { model_id: '$inputs.image' })], []), { image: seven }, /property 'model_id': needs a parameter, but \$inputs\.image is an image/, 'InvalidKind'],
    ['a string given for an image input', spec([classifier(2)], []), { image: 'not an image' }, /input 'image' must be an image/, 'InvalidInput'],
    ['a cycle', spec([classifier(2, { name: 'a', model_id: '$steps.b.model_id' }), classifier(2, { name: 'b', model_id: '$steps.a.model_id' })], []), { image: seven }, /the steps form a cycle: a -> b -> a/, 'WorkflowCycle'],
    ['an unknown property', spec([classifier(2, { overlap: 0.3 })], []), { image: seven }, /property 'overlap' is not one of/, 'InvalidProperty'],
    ['a confidence out of range', spec([classifier(2, { confidence: 7 })], []), { image: seven }, /property 'confidence': must be a number between 0 and 1/, 'InvalidParameter'],
    ['a model that is not here', spec([classifier(2, { model_id: 'nope/9' })], []), { image: seven }, /step 'model': no model 'nope\/9'/, 'ModelNotFound'],
  ];
  for (const [name, s, inputs, message, type] of bad) {
    it(`refuses ${name}`, async () => {
      const error = await runWorkflow(s, inputs, { models }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WorkflowError);
      expect((error as Error).message).toMatch(message);
      expect((error as WorkflowError).errorType).toBe(type);
    });
  }
});

describe('over HTTP', () => {
  it('POST /workflows/run and /infer/workflows answer { outputs } as the library does; errors in Roboflow\'s shape', async () => {
    const { createServer } = require('../dist/lib/server/server.js') as typeof import('../lib/server/server');
    const app = createServer({ models, clip, apiKeys: ['k'] });
    const s = spec([classifier(2)], [{ type: 'JsonField', name: 'predictions', selector: '$steps.model.predictions' }]);
    const image = { type: 'base64', value: seven.toString('base64') };
    for (const url of ['/workflows/run', '/infer/workflows']) {
      const r = await app.inject({ method: 'POST', url, payload: { api_key: 'k', specification: s, inputs: { image: [image, image] }, use_cache: true, enable_profiling: false } });
      expect(r.statusCode, url).toBe(200);
      const outputs = r.json().outputs;
      expect(outputs).toHaveLength(2);
      expect(outputs[0].predictions.top).toBe(((await digits.classify(seven)) as SingleLabelResult).top);
    }
    const unknown = await app.inject({ method: 'POST', url: '/workflows/run', payload: { api_key: 'k', specification: spec([{ type: 'x/y@v1', name: 's' }], []), inputs: {} } });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toEqual({ error_type: 'UnknownBlockType', context: 'workflow_definition', message: expect.stringMatching(/unknown block type/), inner_error_type: null, inner_error_message: null });
    const missing = await app.inject({ method: 'POST', url: '/workflows/run', payload: { api_key: 'k', inputs: {} } });
    expect(missing.statusCode).toBe(422);
    const denied = await app.inject({ method: 'POST', url: '/workflows/run', payload: { specification: s, inputs: {} } });
    expect(denied.statusCode).toBe(403);
    await app.close();
  });
});
