/**
 * CLIP routes as Roboflow's server has them (404 when the server has no CLIP package):
 *   POST /clip/compare      { subject, subject_type: image|text, prompt, prompt_type: text|image, clip_version_id? }
 *                           prompt: a string, a list, an image object, a list of them, or an object
 *                           name -> string | image object (the similarity comes back keyed the same way)
 *   POST /clip/embed_image  { image: {type, value} | [...] } -> { embeddings: [[...]], time, frame_id }
 *   POST /clip/embed_text   { text: string | [...] }         -> { embeddings: [[...]], time, frame_id }
 * `similarity` is the raw cosine similarity. For an image against text prompts in a list (the common
 * case) the response also has `top` and `predictions` (Clip.classify). Embeddings are L2-normalised.
 * `clip_version_id` is accepted and ignored: the server has one CLIP package.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import { similarityOf, type Clip } from '../../clip/clip';
import { imagesOf, type RouteContext } from '../context';
import { HttpError } from '../http-error';
import { bodyObject, invalidBody } from '../validation';

type Item = string | Record<string, unknown>;

function clipOf(context: RouteContext): Clip {
  if (!context.clip) throw new HttpError(404, 'this server has no CLIP model (start it with --clip <package folder>)');
  return context.clip;
}

/** One embedding per item: texts through the text encoder, image objects through the image encoder. */
async function embed(context: RouteContext, clip: Clip, items: Item[], kind: 'text' | 'image', field: string, budget: { left: number }): Promise<Float32Array[]> {
  const options = { timeoutMs: context.timeoutMs };
  if (kind === 'text') {
    if (!items.every((t): t is string => typeof t === 'string')) throw invalidBody([field], 'Input should be a valid string', items);
    clip.checkLabels(items);
    return clip.embedText(items, options);
  }
  const names = items.map((_, i) => (items.length > 1 ? `${field}[${i}]` : field));
  return clip.embedImage(await imagesOf(context, items, names, budget), options);
}

const isImageObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v) && 'type' in v && 'value' in v;

export function clipRoutes(app: FastifyInstance, context: RouteContext): void {
  app.post('/clip/compare', async (request) => {
    const clip = clipOf(context);
    const start = performance.now();
    const body = bodyObject(request.body);
    const subjectType = body.subject_type ?? 'image';
    const promptType = body.prompt_type ?? 'text';
    if (subjectType !== 'image' && subjectType !== 'text') throw invalidBody(['subject_type'], "Input should be 'image' or 'text'", subjectType);
    if (promptType !== 'image' && promptType !== 'text') throw invalidBody(['prompt_type'], "Input should be 'image' or 'text'", promptType);
    if (body.subject === undefined) throw invalidBody(['subject'], 'Field required', body, 'missing');
    if (body.prompt === undefined) throw invalidBody(['prompt'], 'Field required', body, 'missing');
    const prompt = body.prompt;
    // an object with type and value is one image; any other object maps names to prompts
    const keyed = typeof prompt === 'object' && prompt !== null && !Array.isArray(prompt) && !isImageObject(prompt);
    const names = keyed ? Object.keys(prompt) : undefined;
    const items = (keyed ? Object.values(prompt) : Array.isArray(prompt) ? prompt : [prompt]) as Item[];
    if (items.length === 0) throw invalidBody(['prompt'], 'at least one prompt is needed', prompt);
    if (items.length > clip.maxLabels) throw new HttpError(400, `${items.length} labels is over the limit of ${clip.maxLabels} (server option --max-prompts)`);
    if (subjectType === 'image' && promptType === 'text' && !keyed && items.every((t) => typeof t === 'string')) {
      // the zero-shot case: Clip.classify also gives the best prompt and softmax probabilities
      const [image] = await imagesOf(context, [body.subject], ['subject'], { left: context.maxUrlBytes });
      const result = await clip.classify(image, items as string[], { timeoutMs: context.timeoutMs });
      return { ...result, frame_id: null, parent_id: null };
    }
    const budget = { left: context.maxUrlBytes };
    const [[subject], prompts] = await Promise.all([
      embed(context, clip, [body.subject as Item], subjectType, 'subject', budget),
      embed(context, clip, items, promptType, 'prompt', budget),
    ]);
    const similarity = prompts.map((p) => similarityOf(subject, p));
    return {
      inference_id: randomUUID(),
      frame_id: null,
      time: (performance.now() - start) / 1000,
      similarity: names ? Object.fromEntries(names.map((n, i) => [n, similarity[i]])) : similarity,
      parent_id: null,
    };
  });

  // embed_image { image: one or a list }, embed_text { text: one or a list } -> { embeddings, time, frame_id }
  for (const [route, field, kind] of [['/clip/embed_image', 'image', 'image'], ['/clip/embed_text', 'text', 'text']] as const) {
    app.post(route, async (request) => {
      const clip = clipOf(context);
      const start = performance.now();
      const body = bodyObject(request.body);
      if (body[field] === undefined) throw invalidBody([field], 'Field required', body, 'missing');
      const items = (Array.isArray(body[field]) ? body[field] : [body[field]]) as Item[];
      if (items.length === 0) throw invalidBody([field], 'at least one item is needed', body[field]);
      if (kind === 'image' && items.length > context.maxImages) throw new HttpError(400, `image must be one image or a list of 1 to ${context.maxImages}`);
      const embeddings = await embed(context, clip, items, kind, field, { left: context.maxUrlBytes });
      return { inference_id: randomUUID(), frame_id: null, time: (performance.now() - start) / 1000, embeddings: embeddings.map((e) => Array.from(e)) };
    });
  }
}
