/** POST /infer/classification: JSON { model_id, image: {type, value} | [...], confidence?, disable_preproc_*? } (Roboflow's v1 API). */
import type { FastifyInstance } from 'fastify';
import { confidenceOf, disabledOf, imageOf, modelFor, type RouteContext } from '../context';
import { HttpError } from '../http-error';

export function inferRoutes(app: FastifyInstance, context: RouteContext): void {
  app.post('/infer/classification', async (request) => {
    const body = request.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'expected a JSON body { model_id, image, confidence? }');
    if (typeof body.model_id !== 'string') throw new HttpError(400, 'model_id must be a string "project/version"');
    const model = modelFor(context, body.model_id);
    const confidence = confidenceOf(body.confidence);
    const disablePreprocessing = disabledOf(body);
    const many = Array.isArray(body.image);
    const images = (many ? body.image : [body.image]) as unknown[];
    if (images.length === 0 || images.length > context.maxImages) throw new HttpError(400, `image must be one image or a list of 1 to ${context.maxImages}`);
    const budget = { left: context.maxUrlBytes };
    const names = images.map((_, i) => (many ? `image[${i}]` : 'image'));
    const bytes = await Promise.all(images.map((image, i) => imageOf(context, image, names[i], budget)));
    await context.withinBudget(bytes, names);
    const results = await Promise.all(bytes.map((b) => model.classify(b, { confidence, timeoutMs: context.timeoutMs, disablePreprocessing })));
    return many ? results : results[0];
  });
}
