/**
 * A local drop-in for Roboflow's classification HTTP API (see the spec's "Hosted HTTP API"); one
 * file per route family in routes/:
 *   POST /:project/:version      routes/hosted.ts   (Roboflow's hosted v0 API)
 *   POST /infer/classification   routes/infer.ts    (Roboflow's v1 API, JSON)
 *   POST /clip/compare, /clip/embed_image, /clip/embed_text   routes/clip.ts  (CLIP)
 *   GET  /model/registry, POST /model/add|remove|clear       routes/models.ts (registry.ts)
 *   GET  /healthz, /readiness, /info, /metrics               routes/health.ts
 *   POST /workflows/run, /infer/workflows                    routes/workflows.ts (lib/workflows/)
 * This file builds the app: body parsing (body.ts), the key checks (auth.ts), the error answer
 * (http-error.ts), metrics (metrics.ts), and the context every route shares (context.ts). Built on
 * fastify: its body limits, content-type parsing, error handling and graceful close are the parts a
 * hand-written router would have to get right again. Every error is JSON {message}. Calls go through
 * each model's dynamic batcher, so concurrent requests become batches.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { performance } from 'node:perf_hooks';
import type { Capture } from '../capture/capture';
import type { Clip } from '../clip/clip';
import { EdgeClassifyError, QueueFullError, WorkflowError } from '../errors';
import { urlFetcher } from '../input';
import { loadModel, type Model } from '../model';
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
import { modelRoutes } from './routes/models';
import { workflowRoutes } from './routes/workflows';
import { ModelRegistry } from './registry';

export interface ServerOptions {
  /** "project/version" -> loaded model. They stay the caller's: the server never disposes them. */
  models: Record<string, Model>;
  /**
   * A folder of packages, `<dir>/<project>/<version>`, that POST /model/add loads from (by the client's
   * model id, resolved inside this folder only); the server disposes what it loaded when it closes.
   */
  modelsDir?: string;
  /** How the server loads a package of `modelsDir`. Default: loadModel(folder). */
  loadModel?: (folder: string) => Promise<Model>;
  /** GET /metrics without a key. Default false: it needs one, like every route but /healthz, /readiness, /info. */
  metricsWithoutKey?: boolean;
  /** Data capture for retraining (lib/capture/): sampled requests are saved there. The caller closes it. */
  capture?: Capture;
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

/** Path prefixes of Roboflow routes: a path under one that is not a route here is 404, never a model lookup. */
const RESERVED = ['model', 'clip', 'infer', 'workflows', 'inference_pipelines', 'notebook', 'sam', 'sam2', 'gaze', 'cogvlm', 'doctr', 'ocr', 'grounding_dino', 'yolo_world', 'owlv2', 'florence2', 'depth-estimation'];

export function createServer(options: ServerOptions): FastifyInstance {
  const open = ['/healthz', '/readiness', '/info', ...(options.metricsWithoutKey ? ['/metrics'] : [])];
  // the legacy route's body is raw base64, never JSON: its key must be in the query or a header
  const auth = new Auth(options.apiKeys ?? [], { open, rawBody: ['/:project/:version'] });
  const models = new ModelRegistry(options.models, { modelsDir: options.modelsDir, load: options.loadModel ?? ((folder) => loadModel(folder)) });
  const maxBody = options.maxBodyBytes ?? 20 << 20;
  const maxUrlBytes = options.maxUrlBytes ?? maxBody;
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  const context = routeContext({
    models,
    capture: options.capture,
    clip: options.clip,
    timeoutMs,
    maxImages: options.maxImagesPerRequest ?? 64,
    maxUrlBytes,
    fetchImage: urlFetcher({ allowHosts: options.allowUrlHosts ?? [], maxUrlBytes, urlTimeoutMs: options.urlTimeoutMs ?? 5000 }),
    maxSide: options.maxImageSide ?? DEFAULT_MAX_SIDE,
    maxRequestPixels: options.maxRequestPixels ?? DEFAULT_MAX_REQUEST_PIXELS,
  });
  const metrics = new Metrics(() => models.entries(), options.capture);
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
    const extra = error instanceof HttpError ? error.extra : error instanceof WorkflowError ? { error_type: error.errorType, context: error.context, inner_error_type: null, inner_error_message: null } : undefined;
    return reply.code(status).send({ message, ...extra });
  });
  // Roboflow's answer for an unknown route (after the key check)
  const notFound = (_request: FastifyRequest, reply: FastifyReply) => reply.code(404).send({ detail: 'Not Found' });
  app.setNotFoundHandler(notFound);
  for (const prefix of RESERVED) app.all(`/${prefix}/*`, notFound);
  app.addHook('onClose', () => models.close());

  healthRoutes(app, context, metrics);
  modelRoutes(app, context);
  inferRoutes(app, context);
  clipRoutes(app, context);
  workflowRoutes(app, context);
  hostedRoutes(app, context);
  return app;
}
