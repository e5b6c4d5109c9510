/**
 * The HTTP status of every error a route can throw: the server's own HttpError (routes, limits, URL
 * fetches, key checks) carries its status; library errors map by class.
 */
import { DecodeError, DisposedError, InvalidImageError, InvalidOptionError, OutOfMemoryError, QueueFullError, TimeoutError, WorkflowError } from '../errors';

/** An error the server answers with its own HTTP status and message (and `extra` fields beside `message`). */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** HTTP status of a library error. */
export function statusOf(error: unknown): number {
  if (error instanceof HttpError) return error.statusCode;
  if (error instanceof WorkflowError) return error.status;
  if (error instanceof DecodeError || error instanceof InvalidImageError || error instanceof InvalidOptionError) return 400;
  if (error instanceof QueueFullError || error instanceof DisposedError || error instanceof OutOfMemoryError) return 503;
  if (error instanceof TimeoutError) return 504;
  const status = (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
}
