/**
 * A local drop-in for Roboflow's hosted classification API (see the spec's "Hosted HTTP API"):
 *   POST /:project/:version      base64 image body (form-urlencoded as Roboflow's examples send it, or
 *                                text/plain) or ?image=<url>; ?confidence, ?api_key
 *   POST /infer/classification   JSON { model_id, image: {type, value} | [...], confidence, api_key }
 *   POST /clip/compare           JSON { subject: {type, value}, prompt: [labels] | label } (CLIP zero-shot)
 *   GET  /healthz, GET /metrics  (Prometheus text)
 * Built on fastify: its body limits, content-type parsing, error handling and graceful close are
 * the parts a hand-written router would have to get right again. Every error is JSON {message}.
 * Calls go through each model's dynamic batcher, so concurrent requests become batches.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { performance } from 'node:perf_hooks';
import {
  DecodeError,
  DisposedError,
  EdgeClassifyError,
  InvalidImageError,
  InvalidOptionError,
  OutOfMemoryError,
  QueueFullError,
  TimeoutError,
} from './errors';
import { HttpError } from './http-error';
import { base64Image } from './input';
import { Metrics } from './metrics';
import { Auth, AuthError } from './server-auth';
import { checkImageBudget, DEFAULT_MAX_REQUEST_PIXELS, DEFAULT_MAX_SIDE } from './server-limits';
import type { Clip } from './clip';
import type { Model } from './model';
import type { ClassificationResult } from './types';

export interface ServerOptions {
  /** "project/version" -> loaded model. */
  models: Record<string, Model>;
  /** Accepted API keys; empty: no authentication. */
  apiKeys?: string[];
  /** Hosts that `image=<url>` may fetch from; empty: fetching by URL is off. */
  allowUrlHosts?: string[];
  /** Largest request body. Default 20 MiB. */
  maxBodyBytes?: number;
  /** Largest image fetched by URL. Default: maxBodyBytes. */
  maxUrlBytes?: number;
  /** Time allowed to fetch an image by URL. Default 5000 ms. */
  urlTimeoutMs?: number;
  /** Time allowed to classify one request (queue included). Default 30000 ms. */
  requestTimeoutMs?: number;
  /** Most images in one /infer/classification request. Default 64. */
  maxImagesPerRequest?: number;
  /** Longest side of an image, read from its header before decoding. Default 16384. */
  maxImageSide?: number;
  /** Decoded pixels of all images of one request together, read from their headers before decoding. Default 100,000,000. */
  maxRequestPixels?: number;
  /** A CLIP package for POST /clip/compare (the route answers 404 without one). */
  clip?: Clip;
}


/** A model id as Roboflow names them: "project/version". */
const MODEL_ID = /^[^/\s]+\/[^/\s]+$/;

/**
 * An --allow-url-host entry as "host:port" (lowercase): "host" allows the protocol's default port only
 * (80, 443), "host:port" that port only; IPv6 as "[::1]:8080".
 */
export function allowedHost(entry: string): string {
  let url: URL;
  try {
    url = new URL(`http://${entry.trim()}`);
  } catch {
    throw new InvalidOptionError(`allowUrlHosts: '${entry}' is not a host or host:port`);
  }
  if (url.pathname !== '/' || url.search || url.username || url.hash || url.hostname === '') throw new InvalidOptionError(`allowUrlHosts: '${entry}' is not a host or host:port`);
  return hostPort(url);
}

/** The allow-list key of a URL: its host (the URL parser lowercases it) and port, "default" for the protocol's own port. */
function hostPort(url: URL): string {
  return `${url.hostname}:${url.port || 'default'}`;
}

/** Why a fetch failed, without internal detail: the system error code when there is one. */
function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  return typeof cause?.code === 'string' ? cause.code : 'network error';
}

/** Image bytes from a base64 body or field: data: prefix, whitespace and form-decoding tolerated. */
export function decodeBase64Image(text: string, what: string): Buffer {
  let s = text.trim();
  if (s.includes('%')) {
    try {
      s = decodeURIComponent(s);
    } catch {
      throw new HttpError(400, `${what} is not valid base64 image data`);
    }
  }
  s = s.replace(/ /g, '+'); // form decoding turns '+' into ' '
  if (s.replace(/\s+/g, '').length === 0) throw new HttpError(400, `${what} is empty: send the image as base64, or ?image=<url>`);
  return base64Image(s, what); // the library's rule (DecodeError: 400)
}

const DISCARD_LIMIT_BYTES = 256 << 20;
const DISCARD_LIMIT_MS = 10_000;

/** Reads and drops what is left of a request body, for at most `maxBytes` or `ms`. */
function discardBody(body: NodeJS.ReadableStream & { readableEnded?: boolean; destroyed?: boolean }, maxBytes: number, ms: number): Promise<void> {
  if (body.readableEnded || body.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let seen = 0;
    const finish = () => {
      clearTimeout(timer);
      body.removeListener('data', onData).removeListener('end', finish).removeListener('error', finish).removeListener('close', finish);
      resolve();
    };
    const onData = (chunk: Buffer | string) => {
      seen += chunk.length;
      if (seen > maxBytes) finish();
    };
    const timer = setTimeout(finish, ms);
    body.on('data', onData).once('end', finish).once('error', finish).once('close', finish);
    body.resume();
  });
}

/** Reads a JSON body as a stream: bounded by `limit`, and by the key check while it is not authenticated. */
function readJsonBody(request: FastifyRequest, payload: NodeJS.ReadableStream, limit: number, auth: Auth): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let state: 'ok' | 'wait' = auth.enabled ? 'wait' : 'ok';
    let settled = false;
    const stop = (error: Error) => {
      if (settled) return;
      settled = true;
      payload.removeListener('data', onData).removeListener('end', onEnd);
      payload.pause(); // nothing more is read; the connection closes after the answer
      reject(error);
    };
    const head = () => Buffer.concat(chunks).subarray(0, 4096).toString('utf8');
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > limit) {
        const error = Object.assign(new HttpError(413, `the request body is over the limit of ${limit} bytes`), { code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
        return stop(error);
      }
      chunks.push(chunk);
      if (state === 'wait') {
        try {
          state = auth.scan(request, head(), total, false);
        } catch (error) {
          stop(error as Error);
        }
      }
    };
    const onEnd = () => {
      if (settled) return;
      try {
        if (state === 'wait') auth.scan(request, head(), total, true);
        const text = Buffer.concat(chunks).toString('utf8');
        settled = true;
        resolve(text === '' ? undefined : JSON.parse(text));
      } catch (error) {
        settled = true;
        reject(error instanceof AuthError ? error : new HttpError(400, 'the body is not valid JSON'));
      }
    };
    payload.on('data', onData).on('end', onEnd).once('error', (error: Error) => stop(error));
  });
}

/** HTTP status of a library error. */
function statusOf(error: unknown): number {
  if (error instanceof HttpError || error instanceof AuthError) return error.statusCode;
  if (error instanceof DecodeError || error instanceof InvalidImageError || error instanceof InvalidOptionError) return 400;
  if (error instanceof QueueFullError || error instanceof DisposedError || error instanceof OutOfMemoryError) return 503;
  if (error instanceof TimeoutError) return 504;
  const status = (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
}

export function createServer(options: ServerOptions): FastifyInstance {
  const auth = new Auth(options.apiKeys ?? []);
  const allowed = new Set((options.allowUrlHosts ?? []).map(allowedHost));
  const maxBody = options.maxBodyBytes ?? 20 << 20;
  const maxUrlBytes = options.maxUrlBytes ?? maxBody;
  const urlTimeoutMs = options.urlTimeoutMs ?? 5000;
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  const maxImages = options.maxImagesPerRequest ?? 64;
  const maxSide = options.maxImageSide ?? DEFAULT_MAX_SIDE;
  const maxRequestPixels = options.maxRequestPixels ?? DEFAULT_MAX_REQUEST_PIXELS;
  const withinBudget = (images: Buffer[], names: string[]) => checkImageBudget(images, names, maxSide, maxRequestPixels);
  const metrics = new Metrics(options.models);
  const app = Fastify({ bodyLimit: maxBody, requestTimeout: timeoutMs + 5000, return503OnClosing: true, logger: false });

  // Bodies of any type arrive as text: the hosted API's clients send raw base64 as form-urlencoded.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', (request, payload, done) => {
    readJsonBody(request, payload, maxBody, auth).then(
      (value) => done(null, value),
      (error: Error) => done(error, undefined),
    );
  });
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.addHook('onRequest', async (request) => {
    (request as FastifyRequest & { startedAt?: number }).startedAt = performance.now();
    auth.check(request); // before the body is read (see server-auth.ts)
  });
  app.addHook('onResponse', async (request, reply) => {
    const started = (request as FastifyRequest & { startedAt?: number }).startedAt ?? performance.now();
    metrics.request(request.routeOptions.url ?? 'unmatched', reply.statusCode, (performance.now() - started) / 1000);
  });
  app.addHook('preHandler', async (request) => {
    auth.verify(request); // a key that only the (small) parsed body held
  });
  app.setErrorHandler(async (error, request, reply) => {
    const status = statusOf(error);
    const code = (error as { code?: string }).code;
    // The client may still be sending the oversized body: read the rest away (bounded) so that it
    // sees the 413 instead of a broken pipe when the connection closes under its write.
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') await discardBody(request.raw, DISCARD_LIMIT_BYTES, DISCARD_LIMIT_MS);
    const message =
      status === 403 ? 'Forbidden'
      : code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? `the request body is over the limit of ${maxBody} bytes`
      : status >= 500 && !(error instanceof EdgeClassifyError || error instanceof HttpError) ? 'internal error'
      : (error as Error).message;
    if (error instanceof QueueFullError) reply.header('retry-after', '1');
    // refused before its body was read: close rather than read an unauthenticated body away
    if (status === 403) reply.header('connection', 'close');
    return reply.code(status).send({ message });
  });
  app.setNotFoundHandler((_request, reply) => {
    reply.code(404).send({ message: 'Not Found' });
  });

  const modelFor = (id: string): Model => {
    if (!MODEL_ID.test(id)) throw new HttpError(400, `model_id must be "project/version", got '${id.slice(0, 100)}'`);
    const model = Object.hasOwn(options.models, id) ? options.models[id] : undefined;
    if (!model) throw new HttpError(404, `no model '${id}' here; this server has: ${Object.keys(options.models).join(', ')}`);
    return model;
  };
  const confidenceOf = (value: unknown): number | undefined => {
    if (value === undefined || value === null || value === '') return undefined;
    const c = Number(value);
    if (!(c >= 0 && c <= 1)) throw new HttpError(400, `confidence must be a number between 0 and 1, got '${String(value)}'`);
    return c;
  };

  /**
   * Fetches an image from an allowed host and port (redirects checked by the same rule), bounded in time, in size and,
   * with the other fetches of its request, by `budget` (bytes left for the request).
   */
  async function fetchImage(url: string, budget: { left: number }): Promise<Buffer> {
    if (allowed.size === 0) throw new HttpError(400, 'fetching images by URL is disabled on this server (start it with --allow-url-host <host>); send the image as base64');
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      throw new HttpError(400, `image URL '${url.slice(0, 200)}' is not a valid URL`);
    }
    const signal = AbortSignal.timeout(urlTimeoutMs);
    // a failed fetch or read, by cause: the timeout, else the system's error code (no library detail)
    const failed = (what: string, error: unknown) =>
      signal.aborted ? new HttpError(504, `the image URL on ${target.host} did not answer within ${urlTimeoutMs} ms`) : new HttpError(502, `${what} ${target.host} (${causeOf(error)})`);
    for (let hop = 0; hop < 4; hop++) {
      if (!/^https?:$/.test(target.protocol) || !allowed.has(hostPort(target))) {
        throw new HttpError(400, `image URL host '${target.host}' is not allowed (allowed: ${[...allowed].join(', ')})`);
      }
      let response: Response;
      try {
        response = await fetch(target, { redirect: 'manual', signal });
      } catch (error) {
        throw failed('could not fetch the image from', error);
      }
      if (response.status >= 300 && response.status < 400 && response.headers.get('location')) {
        target = new URL(response.headers.get('location')!, target);
        continue;
      }
      if (!response.ok || !response.body) throw new HttpError(502, `fetching the image from ${target.host} gave HTTP ${response.status}`);
      // over the budget: this image alone over the per-image limit, or together with the request's other fetches
      const tooLarge = (size: number) =>
        new HttpError(413, size > maxUrlBytes ? `the image at the URL is over the limit of ${maxUrlBytes} bytes` : `the images fetched for this request are over ${maxUrlBytes} bytes together`);
      const declared = Number(response.headers.get('content-length') ?? 0);
      if (declared > budget.left) throw tooLarge(declared);
      const chunks: Uint8Array[] = [];
      let size = 0;
      try {
        for await (const chunk of response.body) {
          size += chunk.byteLength;
          budget.left -= chunk.byteLength;
          if (budget.left < 0) throw tooLarge(size);
          chunks.push(chunk);
        }
      } catch (error) {
        throw error instanceof HttpError ? error : failed('could not read the image from', error);
      }
      return Buffer.concat(chunks);
    }
    throw new HttpError(400, 'too many redirects fetching the image');
  }

  const classify = (model: Model, image: Buffer, confidence: number | undefined): Promise<ClassificationResult> =>
    model.classify(image, { confidence, timeoutMs });

  app.get('/healthz', async () => ({ status: 'ok', models: Object.keys(options.models) }));
  app.get('/metrics', async (_request, reply) => {
    reply.type('text/plain; version=0.0.4').send(metrics.render());
  });

  app.post('/infer/classification', async (request) => {
    const body = request.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'expected a JSON body { model_id, image, confidence? }');
    if (typeof body.model_id !== 'string') throw new HttpError(400, 'model_id must be a string "project/version"');
    const model = modelFor(body.model_id);
    const confidence = confidenceOf(body.confidence);
    const many = Array.isArray(body.image);
    const images = (many ? body.image : [body.image]) as unknown[];
    if (images.length === 0 || images.length > maxImages) throw new HttpError(400, `image must be one image or a list of 1 to ${maxImages}`);
    const budget = { left: maxUrlBytes };
    const bytes = await Promise.all(
      images.map(async (img, i) => {
        const what = many ? `image[${i}]` : 'image';
        const { type, value } = (img ?? {}) as { type?: unknown; value?: unknown };
        if (typeof value !== 'string') throw new HttpError(400, `${what}.value must be a string`);
        if (type === 'base64') return decodeBase64Image(value, `${what}.value`);
        if (type === 'url') return fetchImage(value, budget);
        throw new HttpError(400, `${what}.type must be 'base64' or 'url'`);
      }),
    );
    await withinBudget(bytes, bytes.map((_, i) => (many ? `image[${i}]` : 'image')));
    const results = await Promise.all(bytes.map((b) => classify(model, b, confidence)));
    return many ? results : results[0];
  });

  app.post('/clip/compare', async (request) => {
    if (!options.clip) throw new HttpError(404, 'this server has no CLIP model (start it with --clip <package folder>)');
    const body = request.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'expected a JSON body { subject: {type, value}, prompt: [...] }');
    if (body.subject_type !== undefined && body.subject_type !== 'image') throw new HttpError(400, "subject_type must be 'image'");
    if (body.prompt_type !== undefined && body.prompt_type !== 'text') throw new HttpError(400, "prompt_type must be 'text'");
    const { type, value } = (body.subject ?? {}) as { type?: unknown; value?: unknown };
    if (typeof value !== 'string') throw new HttpError(400, 'subject.value must be a string');
    const image = type === 'base64' ? decodeBase64Image(value, 'subject.value') : type === 'url' ? await fetchImage(value, { left: maxUrlBytes }) : undefined;
    if (!image) throw new HttpError(400, "subject.type must be 'base64' or 'url'");
    await withinBudget([image], ['subject']);
    const prompts = typeof body.prompt === 'string' ? [body.prompt] : body.prompt;
    return options.clip.classify(image, prompts as string[], { timeoutMs }); // the same time limit as every route
  });

  app.post('/:project/:version', async (request: FastifyRequest, reply: FastifyReply) => {
    const { project, version } = request.params as { project: string; version: string };
    const query = request.query as Record<string, unknown>;
    const model = modelFor(`${project}/${version}`);
    const confidence = confidenceOf(query.confidence);
    const body = typeof request.body === 'string' ? request.body : '';
    let image: Buffer;
    if (body.trim() !== '') image = decodeBase64Image(body, 'the request body');
    else if (typeof query.image === 'string') image = await fetchImage(query.image, { left: maxUrlBytes });
    else throw new HttpError(400, 'send the image as a base64 body, or as ?image=<url>');
    await withinBudget([image], ['the image']);
    reply.send(await classify(model, image, confidence));
  });

  return app;
}
