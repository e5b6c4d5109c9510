/**
 * Roboflow's legacy hosted-compatible route, POST (and GET) /:project/:version, as its server reads it:
 * - the image as the raw body, taken as base64 text whatever the Content-Type (form-urlencoded as
 *   Roboflow's examples and the `roboflow` package send it, application/json as inference_sdk's v0 mode
 *   sends it, text/plain, none), or a multipart body's part named "file" (raw image bytes), or
 *   ?image=<url> (the body is then ignored);
 * - ?confidence (1 or more read as a percentage, under 0.01 raised to 0.01; "best"/"default"),
 *   ?disable_preproc_*, ?format=json|image|image_and_json, ?visualize_predictions; other parameters
 *   (api_key aside) are ignored, as there; ?top_k (ours) keeps the best k predictions.
 * Its own content-type parser (raw bytes) lives in this plugin's scope; keys come from the query or a
 * header only (auth.ts: a body here is never JSON).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { formBase64Image } from '../../input';
import { captureFor, disabledOf, isSet, legacyConfidenceOf, modelFor, sendJson, topKOf, type RouteContext } from '../context';
import { HttpError } from '../http-error';
import { multipartPart } from '../multipart';
import { visualize } from '../visualize';

const FORMATS = ['json', 'image', 'image_and_json'];

/** The route's image: ?image=<url>, a multipart "file" part, or the raw body as base64. */
async function imageOf(request: FastifyRequest, context: RouteContext, query: Record<string, unknown>): Promise<Buffer> {
  if (typeof query.image === 'string' && query.image !== '') return context.fetchImage(query.image, { left: context.maxUrlBytes });
  const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  const type = request.headers['content-type'] ?? '';
  if (/^multipart\/form-data\b/i.test(type)) return multipartPart(body, type, 'file');
  if (body.length === 0) throw new HttpError(400, 'send the image as a base64 body, or as ?image=<url>');
  return formBase64Image(body.toString('latin1'), 'the request body');
}

export function hostedRoutes(app: FastifyInstance, context: RouteContext): void {
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      const { project, version } = request.params as { project: string; version: string };
      const query = request.query as Record<string, unknown>;
      const model = modelFor(context, `${project}/${version}`);
      const capture = captureFor(context, query, `${project}/${version}`);
      const confidence = legacyConfidenceOf(query.confidence);
      const disablePreprocessing = disabledOf(query);
      const format = query.format === undefined ? 'json' : String(query.format);
      if (!FORMATS.includes(format)) throw new HttpError(400, `format must be one of ${FORMATS.join(', ')}, got '${format.slice(0, 50)}'`);
      const topK = topKOf(query.top_k, model.info.numClasses);
      const image = await imageOf(request, context, query);
      await context.withinBudget([image], ['the image']);
      const options = { confidence, topK, timeoutMs: context.timeoutMs, disablePreprocessing };
      if (format === 'json' && !isSet(query.visualize_predictions) && !capture) return sendJson(reply, [await model.classifyJson(image, options)], false);
      const result = await model.classify(image, options);
      capture?.(image, result);
      if (format === 'image') return reply.type('image/jpeg').send(await visualize(image, result));
      if (format === 'image_and_json' || isSet(query.visualize_predictions)) {
        return reply.send({ ...result, visualization: (await visualize(image, result)).toString('base64') });
      }
      return reply.send(result);
    };
    scope.post('/:project/:version', handler);
    scope.get('/:project/:version', handler);
  });
}
