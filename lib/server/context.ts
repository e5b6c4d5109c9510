/**
 * What every route works with, built once by createServer from its options: the models, the limits,
 * and the steps routes share (model lookup, confidence, an image given as {type, value}, the budget).
 */
import type { FastifyReply } from 'fastify';
import { formBase64Image, type FetchImage } from '../input';
import type { Clip } from '../clip/clip';
import type { Model } from '../model';
import type { DisablePreprocessing } from '../types';
import { HttpError } from './http-error';
import { checkImageBudget } from './limits';
import type { ModelRegistry } from './registry';
import { Capture } from '../capture/capture';
import type { ClassificationResult } from '../types';

export interface RouteContext {
  models: ModelRegistry;
  /** Saves sampled requests' images and results (active learning at the edge), when the server has one. */
  capture?: Capture;
  clip?: Clip;
  /** Time allowed to classify one request (queue included), ms. */
  timeoutMs: number;
  /** Most images in one request. */
  maxImages: number;
  /** Bytes all URL fetches of one request may take together. */
  maxUrlBytes: number;
  fetchImage: FetchImage;
  /** Throws HttpError 400 when the images' sides or pixels are over the server's budget (from their headers). */
  withinBudget(images: readonly Buffer[], names: readonly string[]): Promise<void>;
}

export function routeContext(options: Omit<RouteContext, 'withinBudget'> & { maxSide: number; maxRequestPixels: number }): RouteContext {
  const { maxSide, maxRequestPixels, ...rest } = options;
  return { ...rest, withinBudget: (images, names) => checkImageBudget(images, names, maxSide, maxRequestPixels) };
}

/**
 * The model a client names, looked up among the loaded ones only: 400 "Invalid Model ID" for an id of
 * more than two parts or with blanks (as Roboflow's server), 404 for one that is not loaded.
 */
export function modelFor(context: RouteContext, id: string): Model {
  if (id.split('/').length > 2 || /\s/.test(id) || id === '') throw new HttpError(400, `Invalid Model ID sent in request: model_id must be "project/version", got '${id.slice(0, 100)}'`);
  const model = context.models.get(id);
  if (!model) throw new HttpError(404, `no model '${id}' here; this server has: ${context.models.ids().join(', ') || 'none'} (POST /model/add loads one)`);
  return model;
}

/** Roboflow's named thresholds ("best": per-class thresholds of the package, "default": the model's): 0.5 here. */
const NAMED_CONFIDENCE = 0.5;

/** A client's confidence threshold: undefined when absent, "best"/"default" as 0.5, else a number in 0..1 (400 otherwise). */
export function confidenceOf(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (value === 'best' || value === 'default') return NAMED_CONFIDENCE;
  const c = Number(value);
  if (!(c >= 0 && c <= 1)) throw new HttpError(400, `confidence must be a number between 0 and 1, "best" or "default", got '${String(value).slice(0, 50)}'`);
  return c;
}

/** The legacy route's confidence, as Roboflow's server reads it: 1 or more is a percentage; under 0.01 raised to 0.01. */
export function legacyConfidenceOf(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (value === 'best' || value === 'default') return NAMED_CONFIDENCE;
  const c = Number(value);
  if (!Number.isFinite(c)) throw new HttpError(400, `confidence must be a number (1 or more read as a percentage), "best" or "default", got '${String(value).slice(0, 50)}'`);
  const fraction = c >= 1 ? c / 100 : c;
  return Math.min(1, Math.max(0.01, fraction));
}

/** `top_k` (an edge-classify extension, query or JSON): only the best k predictions; absent: all, as Roboflow answers. */
export function topKOf(value: unknown, classes: number): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const k = Number(value);
  if (!(Number.isInteger(k) && k >= 1 && k <= classes)) throw new HttpError(400, `top_k must be a whole number from 1 to ${classes} (the model's classes), got '${String(value).slice(0, 50)}'`);
  return k;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const [OPEN, COMMA, CLOSE] = ['[', ',', ']'].map((c) => Buffer.from(c));

/** Sends results' JSON bytes (from Model.classifyJson) as the response: one result, or a list of them. */
export function sendJson(reply: FastifyReply, results: Buffer[], many: boolean): FastifyReply {
  if (!many) return reply.type(JSON_TYPE).send(results[0]);
  return reply.type(JSON_TYPE).send(Buffer.concat([OPEN, ...results.flatMap((r, i) => (i === 0 ? [r] : [COMMA, r])), CLOSE]));
}

/** A Roboflow request flag that is set: true, or "true" / "True" / "1" from a query. */
export const isSet = (value: unknown): boolean => value === true || value === 'true' || value === 'True' || value === '1';

const FLAGS = { disable_preproc_auto_orient: 'autoOrient', disable_preproc_contrast: 'contrast', disable_preproc_grayscale: 'grayscale', disable_preproc_static_crop: 'staticCrop' } as const;

/**
 * Roboflow's `disable_preproc_*` request flags, from a query (strings) or a JSON body (booleans):
 * true / "true" / "True" / "1" switch a step off; false, "false", absent leave it on; anything else is a 400.
 */
export function disabledOf(fields: Record<string, unknown>): DisablePreprocessing | undefined {
  let out: DisablePreprocessing | undefined;
  for (const [flag, key] of Object.entries(FLAGS)) {
    const value = fields[flag];
    if (value === undefined || value === null || value === false || value === '' || value === 'false' || value === 'False' || value === '0') continue;
    if (!isSet(value)) throw new HttpError(400, `${flag} must be true or false, got '${String(value).slice(0, 50)}'`);
    (out ??= {})[key] = true;
  }
  return out;
}

/**
 * Offers a classified image to the capture, as Roboflow's active learning takes requests: unless
 * `disable_active_learning` is true (or "true"/"True"), into `active_learning_target_dataset` (a
 * folder name) or the model's project. A bad dataset name is a 400; a capture problem never fails it.
 */
export function captureFor(context: RouteContext, fields: Record<string, unknown>, modelId: string): ((image: Uint8Array, result: ClassificationResult) => void) | undefined {
  if (!context.capture) return undefined;
  const off = fields.disable_active_learning;
  if (off === true || off === 'true' || off === 'True') return undefined;
  const dataset = Capture.checkDataset(fields.active_learning_target_dataset);
  const capture = context.capture;
  return (image, result) => {
    capture.offer(image, result, { modelId, dataset });
  };
}

/** Images of a JSON body (`names[i]` names item i in messages), fetched within `budget`, then checked against the pixel budget together. */
export async function imagesOf(context: RouteContext, items: readonly unknown[], names: readonly string[], budget: { left: number }): Promise<Buffer[]> {
  const bytes = await Promise.all(items.map((item, i) => imageOf(context, item, names[i], budget)));
  await context.withinBudget(bytes, names);
  return bytes;
}

/** An image of a JSON body, `{ type: 'base64' | 'url', value }`; `what` names it in messages. */
export async function imageOf(context: RouteContext, image: unknown, what: string, budget: { left: number }): Promise<Buffer> {
  const { type, value } = (image ?? {}) as { type?: unknown; value?: unknown };
  if (typeof value !== 'string') throw new HttpError(400, `${what}.value must be a string`);
  const kind = typeof type === 'string' ? type.toLowerCase() : type; // Roboflow reads the type case-insensitively
  if (kind === 'base64') return formBase64Image(value, `${what}.value`);
  if (kind === 'url') return context.fetchImage(value, budget);
  throw new HttpError(400, `${what}.type must be 'base64' or 'url'`);
}
