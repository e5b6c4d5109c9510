/**
 * Request bodies of the JSON routes checked as Roboflow's server (FastAPI + pydantic) checks them: a
 * body that does not fit the route's schema is a 422 with `detail`, a list of {type, loc, msg, input}
 * (and a `message` beside it, for clients that read that). Images that cannot be loaded stay 400.
 */
import { HttpError } from './http-error';

export interface DetailItem {
  type: string;
  loc: (string | number)[];
  msg: string;
  input: unknown;
}

/** A 422 for one field of the body (`loc` below "body"). */
export function invalidBody(loc: (string | number)[], msg: string, input: unknown, type = 'value_error'): HttpError {
  const detail: DetailItem[] = [{ type, loc: ['body', ...loc], msg, input: input === undefined ? null : input }];
  return new HttpError(422, `${loc.join('.') || 'body'}: ${msg}`, { detail });
}

/** The body as an object; 422 otherwise. */
export function bodyObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidBody([], 'Input should be a valid JSON object', body ?? null, 'model_attributes_type');
  return body as Record<string, unknown>;
}

/** A required string field; 422 "Field required" when missing, "Input should be a valid string" otherwise. */
export function stringField(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (value === undefined) throw invalidBody([name], 'Field required', body, 'missing');
  if (typeof value !== 'string') throw invalidBody([name], 'Input should be a valid string', value, 'string_type');
  return value;
}

/** `model_id` of a model-management body. */
export function modelIdOf(body: unknown): string {
  return stringField(bodyObject(body), 'model_id');
}
