/**
 * API-key checks of the server, before any body is buffered or parsed.
 *
 * Keys are looked for as Roboflow's server does: `?api_key=`, then `Authorization: Bearer <key>`
 * (or `x-api-key`), then the JSON body's `api_key`.
 * - A key in the query or a header is checked when the request arrives (onRequest): a wrong one gets
 *   403 before a byte of the body is read.
 * - Without one, only a JSON body can carry the key. Roboflow's own v1 client sends it as the body's
 *   first field, so the JSON body is read as a stream and its opening bytes are scanned for a leading
 *   `"api_key": "…"`: a wrong key gets 403 at once. A body whose key is not its first field is read
 *   up to PREAUTH_BODY_BYTES and then checked; a larger one without a leading key gets 403.
 *   Either way an unauthenticated request costs at most PREAUTH_BODY_BYTES of reading.
 * - Any other request without a key gets 403 at once.
 */
import type { FastifyRequest } from 'fastify';
import { InvalidOptionError } from '../errors';
import { HttpError } from './http-error';

/** The most an unauthenticated request (no key in the query or a header) may send before its key is known. */
export const PREAUTH_BODY_BYTES = 64 * 1024;


/** A failed key check (403): an HttpError that body parsing passes on as it is. */
export class AuthError extends HttpError {}

type Tracked = FastifyRequest & { authenticated?: boolean };

/** `api_key` as the first field of a JSON object: `{ "api_key" : "…"`. */
const LEADING_KEY = /^\s*\{\s*"api_key"\s*:\s*"((?:[^"\\]|\\.)*)"/;

function queryOrHeaderKey(request: FastifyRequest): unknown {
  const query = request.query as Record<string, unknown> | undefined;
  if (query && query.api_key !== undefined) return query.api_key;
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string') {
    const bearer = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    if (bearer) return bearer[1];
  }
  return request.headers['x-api-key'];
}

/** Whether a key is empty or blank (not a string, or only whitespace). */
export function hasBlankKey(keys: readonly unknown[]): boolean {
  return keys.some((key) => typeof key !== 'string' || key.trim() === '');
}

export class Auth {
  readonly #keys: ReadonlySet<string>;
  readonly #open: ReadonlySet<string>;
  readonly #rawBody: ReadonlySet<string>;

  /**
   * `open`: routes that answer without a key; `rawBody`: routes whose body is never JSON (their key must
   * be in the query or a header). Throws InvalidOptionError for an empty or blank key (an unset `$KEY`
   * in a unit file would otherwise open the server).
   */
  constructor(keys: readonly string[], routes: { open?: readonly string[]; rawBody?: readonly string[] } = {}) {
    if (hasBlankKey(keys)) throw new InvalidOptionError('an API key must not be empty or blank (is the variable that should hold it unset?)');
    this.#keys = new Set(keys);
    this.#open = new Set(routes.open ?? ['/healthz']);
    this.#rawBody = new Set(routes.rawBody ?? []);
  }

  get enabled(): boolean {
    return this.#keys.size > 0;
  }

  #forbidden(): AuthError {
    return new AuthError(403, 'Forbidden');
  }

  /** onRequest: checks a key from the query or a header; without one, a JSON body must bring it. */
  check(request: FastifyRequest): void {
    const tracked = request as Tracked;
    if (!this.enabled || this.#open.has(request.routeOptions.url ?? '')) {
      tracked.authenticated = true;
      return;
    }
    const key = queryOrHeaderKey(request);
    if (key !== undefined) {
      if (typeof key !== 'string' || !this.#keys.has(key)) throw this.#forbidden();
      tracked.authenticated = true;
      return;
    }
    if (this.#rawBody.has(request.routeOptions.url ?? '') || !/^application\/json\b/i.test(request.headers['content-type'] ?? '')) throw this.#forbidden();
    tracked.authenticated = false;
  }

  /**
   * The JSON body parser's view of a request not yet authenticated: called with the bytes read so
   * far (`ended`: all of them). Returns 'ok' once the key is known good, 'wait' to read on, or throws 403.
   */
  scan(request: FastifyRequest, head: string, total: number, ended: boolean): 'ok' | 'wait' {
    const tracked = request as Tracked;
    if (tracked.authenticated !== false) return 'ok';
    const leading = LEADING_KEY.exec(head);
    if (leading) {
      let key: unknown;
      try {
        key = JSON.parse(`"${leading[1]}"`);
      } catch {
        throw this.#forbidden();
      }
      if (typeof key !== 'string' || !this.#keys.has(key)) throw this.#forbidden();
      tracked.authenticated = true;
      return 'ok';
    }
    if (total > PREAUTH_BODY_BYTES) throw this.#forbidden();
    return ended ? 'ok' : 'wait'; // small enough: checked whole after parsing (verify)
  }

  /** preHandler: a request still not authenticated must have the right `api_key` in its (small) body. */
  verify(request: FastifyRequest): void {
    if ((request as Tracked).authenticated !== false) return;
    const body = request.body as Record<string, unknown> | undefined;
    const key = body && typeof body === 'object' && !Array.isArray(body) ? body.api_key : undefined;
    if (typeof key !== 'string' || !this.#keys.has(key)) throw this.#forbidden();
    (request as Tracked).authenticated = true;
  }
}
