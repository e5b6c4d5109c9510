/**
 * POST /infer/classification (Roboflow's v1 API; what inference_sdk's v1 mode sends):
 * JSON { model_id, image: {type, value} | [...], confidence?, id?, visualize_predictions?,
 * disable_preproc_*?, api_key? }. `image.type` is read case-insensitively; a client's `id` becomes the
 * results' `inference_id`; a body that does not fit is a 422 with `detail` (validation.ts); other
 * fields are ignored, as there. `top_k` (ours) keeps the best k predictions. Results are written as
 * JSON from the native results (Model.classifyJson) unless a visualization or a capture needs the
 * objects.
 */
import type { FastifyInstance } from 'fastify';
import { captureFor, confidenceOf, disabledOf, imagesOf, modelFor, sendJson, topKOf, type RouteContext } from '../context';
import { HttpError } from '../http-error';
import { bodyObject, invalidBody, stringField } from '../validation';
import { visualize } from '../visualize';

export function inferRoutes(app: FastifyInstance, context: RouteContext): void {
  app.post('/infer/classification', async (request, reply) => {
    const body = bodyObject(request.body);
    const modelId = stringField(body, 'model_id');
    const model = modelFor(context, modelId);
    const capture = captureFor(context, body, modelId);
    let confidence: number | undefined;
    try {
      confidence = confidenceOf(body.confidence);
    } catch (error) {
      throw invalidBody(['confidence'], (error as Error).message, body.confidence);
    }
    const disablePreprocessing = disabledOf(body);
    let topK: number | undefined;
    try {
      topK = topKOf(body.top_k, model.info.numClasses);
    } catch (error) {
      throw invalidBody(['top_k'], (error as Error).message, body.top_k);
    }
    if (body.image === undefined) throw invalidBody(['image'], 'Field required', body, 'missing');
    const many = Array.isArray(body.image);
    const images = (many ? body.image : [body.image]) as unknown[];
    if (images.length === 0) throw invalidBody(['image'], 'List should have at least 1 item after validation, not 0', body.image, 'too_short');
    if (images.length > context.maxImages) throw new HttpError(400, `image must be one image or a list of 1 to ${context.maxImages}`);
    const budget = { left: context.maxUrlBytes };
    const names = images.map((_, i) => (many ? `image[${i}]` : 'image'));
    const bytes = await imagesOf(context, images, names, budget);
    const inferenceId = typeof body.id === 'string' && body.id !== '' ? body.id : undefined;
    const options = { confidence, topK, timeoutMs: context.timeoutMs, disablePreprocessing };
    if (body.visualize_predictions !== true && !capture) {
      return sendJson(reply, await Promise.all(bytes.map((b) => model.classifyJson(b, { ...options, inferenceId }))), many);
    }
    const results = await Promise.all(
      bytes.map(async (b) => {
        const result = await model.classify(b, options);
        capture?.(b, result);
        const withId = inferenceId !== undefined ? { ...result, inference_id: inferenceId } : result;
        return body.visualize_predictions === true ? { ...withId, visualization: (await visualize(b, result)).toString('base64') } : withId;
      }),
    );
    return many ? results : results[0];
  });
}
