/**
 * POST /:project/:version: Roboflow's hosted (v0) API — the image as a base64 body (form-urlencoded as
 * Roboflow's examples send it, or text/plain) or ?image=<url>; ?confidence, ?api_key, ?disable_preproc_*.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { formBase64Image } from '../../input';
import { confidenceOf, disabledOf, modelFor, type RouteContext } from '../context';
import { HttpError } from '../http-error';

export function hostedRoutes(app: FastifyInstance, context: RouteContext): void {
  app.post('/:project/:version', async (request: FastifyRequest, reply: FastifyReply) => {
    const { project, version } = request.params as { project: string; version: string };
    const query = request.query as Record<string, unknown>;
    const model = modelFor(context, `${project}/${version}`);
    const confidence = confidenceOf(query.confidence);
    const disablePreprocessing = disabledOf(query);
    const body = typeof request.body === 'string' ? request.body : '';
    let image: Buffer;
    if (body.trim() !== '') image = formBase64Image(body, 'the request body');
    else if (typeof query.image === 'string') image = await context.fetchImage(query.image, { left: context.maxUrlBytes });
    else throw new HttpError(400, 'send the image as a base64 body, or as ?image=<url>');
    await context.withinBudget([image], ['the image']);
    reply.send(await model.classify(image, { confidence, timeoutMs: context.timeoutMs, disablePreprocessing }));
  });
}
