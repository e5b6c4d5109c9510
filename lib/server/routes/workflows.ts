/**
 * POST /workflows/run and POST /infer/workflows (what inference_sdk's run_workflow and
 * infer_from_workflow send): JSON { specification, inputs, excluded_fields?, api_key?, use_cache?,
 * enable_profiling? } -> { "outputs": [ {...} per image ] }. Image inputs arrive as {type, value} (or a
 * list of them) and are fetched and budgeted like every route's images; the specification can name
 * nothing beyond the server's models and CLIP package. A specification that cannot run is a 400
 * { message, error_type, context } naming the step and field (lib/workflows/spec.ts).
 */
import type { FastifyInstance } from 'fastify';
import { planWorkflow } from '../../workflows/spec';
import { runWorkflow } from '../../workflows/run';
import { imageOf, type RouteContext } from '../context';
import { HttpError } from '../http-error';
import { bodyObject, invalidBody } from '../validation';

export function workflowRoutes(app: FastifyInstance, context: RouteContext): void {
  const handler = async (request: { body: unknown }) => {
    const body = bodyObject(request.body);
    if (body.specification === undefined) throw invalidBody(['specification'], 'Field required (this server runs inline specifications only)', body, 'missing');
    const given = body.inputs ?? {};
    if (typeof given !== 'object' || given === null || Array.isArray(given)) throw invalidBody(['inputs'], 'Input should be a valid dictionary', given, 'dict_type');
    const excluded = body.excluded_fields ?? [];
    if (!Array.isArray(excluded) || !excluded.every((f) => typeof f === 'string')) throw invalidBody(['excluded_fields'], 'Input should be a list of strings', excluded, 'list_type');
    const plan = planWorkflow(body.specification);
    // image inputs: {type, value} objects (or lists of them) to bytes, with one byte and pixel budget per request
    const budget = { left: context.maxUrlBytes };
    const inputs: Record<string, unknown> = { ...(given as Record<string, unknown>) };
    const all: Buffer[] = [];
    const names: string[] = [];
    for (const input of plan.inputs.values()) {
      if (input.kind !== 'image' || !Object.hasOwn(inputs, input.name)) continue;
      const value = inputs[input.name];
      const list = Array.isArray(value) ? value : [value];
      if (list.length > context.maxImages) throw new HttpError(400, `input '${input.name}' holds ${list.length} images, over the limit of ${context.maxImages}`);
      const bytes = await Promise.all(list.map((image, i) => imageOf(context, image, Array.isArray(value) ? `inputs.${input.name}[${i}]` : `inputs.${input.name}`, budget)));
      all.push(...bytes);
      names.push(...bytes.map((_, i) => `inputs.${input.name}[${i}]`));
      inputs[input.name] = Array.isArray(value) ? bytes : bytes[0];
    }
    await context.withinBudget(all, names);
    return runWorkflow(body.specification, inputs, {
      models: (id) => context.models.get(id),
      clip: context.clip,
      capture: context.capture,
      timeoutMs: context.timeoutMs,
      excludedFields: excluded as string[],
    });
  };
  app.post('/workflows/run', handler);
  app.post('/infer/workflows', handler);
}
