/** POST /clip/compare: JSON { subject: {type, value}, prompt: [labels] | label } (CLIP zero-shot; 404 without --clip). */
import type { FastifyInstance } from 'fastify';
import { imageOf, type RouteContext } from '../context';
import { HttpError } from '../http-error';

export function clipRoutes(app: FastifyInstance, context: RouteContext): void {
  app.post('/clip/compare', async (request) => {
    if (!context.clip) throw new HttpError(404, 'this server has no CLIP model (start it with --clip <package folder>)');
    const body = request.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'expected a JSON body { subject: {type, value}, prompt: [...] }');
    if (body.subject_type !== undefined && body.subject_type !== 'image') throw new HttpError(400, "subject_type must be 'image'");
    if (body.prompt_type !== undefined && body.prompt_type !== 'text') throw new HttpError(400, "prompt_type must be 'text'");
    const image = await imageOf(context, body.subject, 'subject', { left: context.maxUrlBytes });
    await context.withinBudget([image], ['subject']);
    const prompts = typeof body.prompt === 'string' ? [body.prompt] : body.prompt;
    return context.clip.classify(image, prompts as string[], { timeoutMs: context.timeoutMs }); // the same time limit as every route
  });
}
