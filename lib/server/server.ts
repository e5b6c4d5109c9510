/**
 * A local drop-in for Roboflow's classification HTTP API (see the spec's "Hosted HTTP API"); one
 * file per route family in routes/:
 *   POST /:project/:version      routes/hosted.ts   (Roboflow's hosted v0 API)
 *   POST /infer/classification   routes/infer.ts    (Roboflow's v1 API, JSON)
 *   POST /clip/compare           routes/clip.ts     (CLIP zero-shot)
 *   GET  /healthz, GET /metrics  routes/health.ts
 * This file builds the app: body parsing (body.ts), the key checks (auth.ts), the error answer
 * (http-error.ts), metrics (metrics.ts), and the context every route shares (context.ts). Built on
 * fastify: its body limits, content-type parsing, error handling and graceful close are the parts a
 * hand-written router would have to get right again. Every error is JSON {message}. Calls go through
 * each model's dynamic batcher, so concurrent requests become batches.
 */
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { performance } from 'node:perf_hooks';
import type { Clip } from '../clip/clip';
import { EdgeClassifyError, QueueFullError } from '../errors';
import { urlFetcher } from '../input';
import type { Model } from '../model';
import { Auth } from './auth';
import { DISCARD_LIMIT_BYTES, DISCARD_LIMIT_MS, discardBody, readJsonBody } from './body';
import { routeContext } from './context';
import { HttpError, statusOf } from './http-error';
import { DEFAULT_MAX_REQUEST_PIXELS, DEFAULT_MAX_SIDE } from './limits';
import { Metrics } from './metrics';
import { clipRoutes } from './routes/clip';
import { healthRoutes } from './routes/health';
import { hostedRoutes } from './routes/hosted';
import { inferRoutes } from './routes/infer';

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

export function createServer(options: ServerOptions): FastifyInstance {
  const auth = new Auth(options.apiKeys ?? []);
  const maxBody = options.maxBodyBytes ?? 20 << 20;
  const maxUrlBytes = options.maxUrlBytes ?? maxBody;
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  const context = routeContext({
    models: options.models,
    clip: options.clip,
    timeoutMs,
    maxImages: options.maxImagesPerRequest ?? 64,
    maxUrlBytes,
    fetchImage: urlFetcher({ allowHosts: options.allowUrlHosts ?? [], maxUrlBytes, urlTimeoutMs: options.urlTimeoutMs ?? 5000 }),
    maxSide: options.maxImageSide ?? DEFAULT_MAX_SIDE,
    maxRequestPixels: options.maxRequestPixels ?? DEFAULT_MAX_REQUEST_PIXELS,
  });
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
    auth.check(request); // before the body is read (see auth.ts)
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

  healthRoutes(app, context, metrics);
  inferRoutes(app, context);
  clipRoutes(app, context);
  hostedRoutes(app, context);
  return app;
}
