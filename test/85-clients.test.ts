// Roboflow's own clients against `edge-classify serve` (issue 16): the exact requests of
// test/clients/requests.md, sent by test/clients/clients.py with Python's requests (inference_sdk in its
// v1 and v0 modes, key in the query, the body or a Bearer header, model management, server info, CLIP
// embeddings and comparisons; the roboflow pip package), for a single-label, a multi-label, an
// environment.json model and a CLIP package; full responses and error shapes checked.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../benchmarks/lib/processes';
import { loadModel, type MultiLabelResult, type SingleLabelResult } from '../lib/index.mjs';
import { digitsModel, fixtureModel, python, root, scratch } from './helpers';

const KEY = 'client-key';
const seven = path.join(root, 'samples', 'digit-7-6.png');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface Answer {
  name: string;
  status: number;
  type: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  bytes: number;
}

let server: { url: string; child: ChildProcess };
let jpeg: string;
let expected: { digits: SingleLabelResult; multi: MultiLabelResult; env: SingleLabelResult };

/** Sends the named calls in order (one Python process) and returns their answers by name. */
function send(calls: string[]): Record<string, Answer> {
  const out = execFileSync(python(), [path.join(root, 'test', 'clients', 'clients.py')], {
    input: JSON.stringify({ url: server.url, key: KEY, image: seven, jpeg, calls }),
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  return Object.fromEntries((JSON.parse(out) as Answer[]).map((a) => [a.name, a]));
}

beforeAll(async () => {
  const modelsDir = path.join(scratch, 'models-dir');
  mkdirSync(path.join(modelsDir, 'extra'), { recursive: true });
  cpSync(fixtureModel('roboflow'), path.join(modelsDir, 'extra', '2'), { recursive: true });
  jpeg = path.join(scratch, 'YOUR_IMAGE.jpg');
  await sharp(seven).jpeg({ quality: 90 }).toFile(jpeg);
  server = await startServer([path.join(root, 'bin', 'edge-classify.js'), 'serve', '-p', '0', '-k', KEY, '--max-body-mb', '2', '--device', 'cpu',
    '-m', `digits/1=${digitsModel}`, '-m', `multi/1=${fixtureModel('multilabel.torchscript')}`, '-m', `env/1=${fixtureModel('roboflow')}`,
    '--models-dir', modelsDir, '--clip', path.join(root, 'test', '.fixtures', 'clip', 'tiny')]);
  const load = async <T>(file: string) => {
    const m = await loadModel(file, { device: 'cpu' });
    const r = (await m.classify(readFileSync(seven))) as T;
    await m.dispose();
    return r;
  };
  expected = { digits: await load(digitsModel), multi: await load(fixtureModel('multilabel.torchscript')), env: await load(fixtureModel('roboflow')) };
});

afterAll(() => {
  server?.child.kill('SIGTERM');
});

/** A single-label response as Roboflow shapes it, equal to the library's result for the same image. */
function expectSingle(a: Answer, want: SingleLabelResult) {
  expect(a.status, a.name).toBe(200);
  expect(Object.keys(a.json).sort(), a.name).toEqual(['confidence', 'image', 'inference_id', 'predictions', 'prediction_type', 'time', 'top'].sort());
  expect(a.json.inference_id).toMatch(UUID);
  expect(a.json.predictions).toEqual(want.predictions);
  expect(a.json.top).toBe(want.top);
  expect(a.json.image).toEqual(want.image);
  expect(a.json.prediction_type).toBe('ClassificationModel');
}

describe('inference_sdk, v1 mode', () => {
  it('reads the registry, adds a missing model from --models-dir, then infers', () => {
    const before = send(['registry', 'v1 extra']);
    expect(before.registry.status).toBe(200);
    expect(before.registry.json.models).toEqual(
      ['digits/1', 'multi/1', 'env/1'].map((id) => ({ model_id: id, task_type: 'classification', batch_size: 32, input_height: expect.any(Number), input_width: expect.any(Number) })),
    );
    expect(before.registry.json.models[0]).toMatchObject({ input_height: 32, input_width: 32 });
    expect(before['v1 extra'].status).toBe(404);
    const added = send(['add extra/2', 'v1 extra']);
    expect(added['add extra/2'].json.models.map((m: { model_id: string }) => m.model_id)).toContain('extra/2');
    expectSingle(added['v1 extra'], expected.env); // the same package as env/1
    const removed = send(['remove extra/2', 'v1 extra', 'add ../../etc', 'registry bearer']);
    expect(removed['remove extra/2'].json.models.map((m: { model_id: string }) => m.model_id)).not.toContain('extra/2');
    expect(removed['v1 extra'].status).toBe(404);
    expect(removed['add ../../etc'].status).toBe(404); // resolved only inside the models dir
    expect(removed['registry bearer'].status).toBe(200);
  });

  it('infers single-label, multi-label and environment.json models with the exact request body', () => {
    const r = send(['v1 digits', 'v1 multi', 'v1 env', 'v1 digits confidence', 'v1 digits batch', 'v1 digits id', 'v1 digits BASE64 type', 'v1 bearer', 'v1 digits visualize']);
    expectSingle(r['v1 digits'], expected.digits);
    expectSingle(r['v1 env'], expected.env);
    expectSingle(r['v1 digits BASE64 type'], expected.digits);
    expectSingle(r['v1 bearer'], expected.digits);
    expect(r['v1 multi'].status).toBe(200);
    expect(r['v1 multi'].json.predictions).toEqual(expected.multi.predictions);
    expect(r['v1 multi'].json.predicted_classes).toEqual(expected.multi.predicted_classes);
    const filtered = r['v1 digits confidence'].json as SingleLabelResult;
    expect(filtered.predictions).toEqual(expected.digits.predictions.filter((p) => p.confidence >= 0.5));
    expect(r['v1 digits batch'].json).toHaveLength(2);
    expect(r['v1 digits id'].json.inference_id).toBe('my-request-id');
    const visual = Buffer.from(r['v1 digits visualize'].json.visualization, 'base64');
    expect(visual.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff])); // a JPEG
  });
});

describe('inference_sdk, v0 mode (raw base64 labelled application/json)', () => {
  it('infers on the legacy route, with the key in the query or a Bearer header', () => {
    const r = send(['v0 digits', 'v0 multi', 'v0 env', 'v0 digits confidence', 'v0 bearer', 'v0 wrong bearer']);
    expectSingle(r['v0 digits'], expected.digits);
    expectSingle(r['v0 env'], expected.env);
    expectSingle(r['v0 bearer'], expected.digits);
    expect(r['v0 multi'].json.predicted_classes).toEqual(expected.multi.predicted_classes);
    expect(r['v0 digits confidence'].json.predictions).toEqual(expected.digits.predictions.filter((p) => p.confidence >= 0.5));
    expect(r['v0 wrong bearer']).toMatchObject({ status: 403, json: { message: 'Forbidden' } });
  });
});

describe('the rest of the clients\' calls', () => {
  it('get_server_info needs no key', () => {
    const r = send(['info']);
    expect(r.info.status).toBe(200);
    expect(r.info.json).toEqual({ name: 'edge-classify', version: expect.any(String), uuid: expect.stringMatching(UUID) });
  });

  it('CLIP: compare (list, text, dict, text subject), embed_text, embed_image', () => {
    const r = send(['clip compare', 'clip compare text', 'clip compare v0', 'clip compare dict', 'clip compare text subject', 'clip embed text', 'clip embed texts', 'clip embed image']);
    for (const name of ['clip compare', 'clip compare text', 'clip compare v0', 'clip compare dict', 'clip compare text subject']) {
      expect(r[name].status, name).toBe(200);
      expect(r[name].json).toMatchObject({ frame_id: null, parent_id: null, time: expect.any(Number) });
    }
    expect(r['clip compare'].json.similarity).toHaveLength(3);
    expect(r['clip compare text'].json.similarity).toHaveLength(1);
    expect(Object.keys(r['clip compare dict'].json.similarity)).toEqual(['digit', 'cat']);
    // the same pair compared both ways, and as a list: one cosine similarity
    const pair = r['clip compare'].json.similarity[0];
    expect(Math.abs(r['clip compare dict'].json.similarity.digit - pair)).toBeLessThan(1e-6);
    expect(Math.abs(r['clip compare text subject'].json.similarity[0] - pair)).toBeLessThan(1e-6);
    const text = r['clip embed text'].json;
    expect(text).toMatchObject({ frame_id: null, time: expect.any(Number) });
    expect(text.embeddings).toHaveLength(1);
    expect(r['clip embed texts'].json.embeddings).toHaveLength(2);
    const image = r['clip embed image'].json;
    expect(image).toMatchObject({ frame_id: null, time: expect.any(Number) });
    let dot = 0;
    for (let i = 0; i < image.embeddings[0].length; i++) dot += image.embeddings[0][i] * text.embeddings[0][i];
    expect(Math.abs(dot - pair)).toBeLessThan(1e-5); // embeddings are L2-normalised: their dot product is the similarity
  });

  it('the roboflow package\'s predict; the legacy route\'s multipart, text/plain, percent confidence and image formats', () => {
    const r = send(['roboflow predict', 'legacy multipart', 'legacy text/plain', 'legacy percent confidence', 'legacy format image', 'legacy image_and_json']);
    expect(r['roboflow predict'].status).toBe(200);
    expect(r['roboflow predict'].json.top).toBe(expected.digits.top);
    expectSingle(r['legacy multipart'], expected.digits);
    expectSingle(r['legacy text/plain'], expected.digits);
    expect(r['legacy percent confidence'].json.predictions).toEqual(expected.digits.predictions.filter((p) => p.confidence >= 0.5));
    expect(r['legacy format image']).toMatchObject({ status: 200, type: 'image/jpeg', json: null });
    expect(r['legacy format image'].bytes).toBeGreaterThan(100);
    expect(typeof r['legacy image_and_json'].json.visualization).toBe('string');
  });

  it('errors per route, in their status and shape', () => {
    const r = send(['wrong key v1', 'no image v1', 'no model_id v1', 'no image v0', 'unknown model v1', 'unknown model v0', 'bad model id v1', 'bad base64 v1', 'bad base64 v0', 'not json v1', 'oversized v0', 'unknown route', 'unknown route no key', 'workflows']);
    expect(r['wrong key v1']).toMatchObject({ status: 403, json: { message: 'Forbidden' } });
    expect(r['no image v1']).toMatchObject({ status: 422, json: { detail: [{ type: 'missing', loc: ['body', 'image'], msg: 'Field required' }] } });
    expect(r['no model_id v1']).toMatchObject({ status: 422, json: { detail: [{ type: 'missing', loc: ['body', 'model_id'] }] } });
    expect(r['no image v0']).toMatchObject({ status: 400, json: { message: expect.stringMatching(/base64 body/) } });
    expect(r['unknown model v1']).toMatchObject({ status: 404, json: { message: expect.stringMatching(/no model 'nope\/9'/) } });
    expect(r['unknown model v0'].status).toBe(404);
    expect(r['bad model id v1']).toMatchObject({ status: 400, json: { message: expect.stringMatching(/^Invalid Model ID/) } });
    expect(r['bad base64 v1']).toMatchObject({ status: 400, json: { message: expect.stringMatching(/base64/) } });
    expect(r['bad base64 v0'].status).toBe(400);
    expect(r['not json v1']).toMatchObject({ status: 400, json: { message: expect.stringMatching(/not valid JSON/) } });
    expect(r['oversized v0']).toMatchObject({ status: 413, json: { message: expect.stringMatching(/over the limit/) } });
    expect(r['unknown route']).toMatchObject({ status: 404, json: { detail: 'Not Found' } });
    expect(r['unknown route no key'].status).toBe(403); // the key check comes first
    // run_workflow's route exists (test/87-workflows.test.ts): an empty specification is refused in its error shape
    expect(r.workflows).toMatchObject({ status: 400, json: { error_type: 'WorkflowDefinitionError', context: 'workflow_definition' } });
  });

  it('/healthz, /readiness and /info answer without a key; /metrics needs one unless metricsWithoutKey', async () => {
    const { createServer } = require('../dist/lib/server/server.js') as typeof import('../lib/server/server');
    for (const metricsWithoutKey of [false, true]) {
      const app = createServer({ models: {}, apiKeys: [KEY], metricsWithoutKey });
      for (const url of ['/healthz', '/readiness', '/info']) expect((await app.inject({ url })).statusCode, url).toBe(200);
      expect((await app.inject({ url: '/metrics' })).statusCode).toBe(metricsWithoutKey ? 200 : 403);
      expect((await app.inject({ url: `/metrics?api_key=${KEY}` })).statusCode).toBe(200);
      await app.close();
    }
  });

  it('unload_all_models empties the registry; load_model brings a model back', () => {
    const r = send(['clear', 'v1 digits', 'add digits/1']);
    expect(r.clear.json).toEqual({ models: [] });
    expect(r['v1 digits'].status).toBe(404);
    expect(r['add digits/1'].json.models.map((m: { model_id: string }) => m.model_id)).toEqual(['digits/1']);
    expectSingle(send(['v1 digits'])['v1 digits'], expected.digits);
  });
});
