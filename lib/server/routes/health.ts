/**
 * Routes that answer without a key: GET /healthz, GET /readiness, GET /info (Roboflow's server info:
 * name, version, uuid); and GET /metrics (Prometheus text, metrics.ts), which needs a key unless the
 * server was started with `metricsWithoutKey`.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { packageRoot } from '../../native/binding';
import type { RouteContext } from '../context';
import type { Metrics } from '../metrics';

const VERSION = (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;

export function healthRoutes(app: FastifyInstance, context: RouteContext, metrics: Metrics): void {
  const uuid = randomUUID(); // this server instance, as Roboflow's /info reports one
  app.get('/healthz', async () => ({ status: 'ok', models: context.models.ids() }));
  app.get('/readiness', async () => ({ status: 'ready' }));
  app.get('/info', async () => ({ name: 'edge-classify', version: VERSION, uuid }));
  app.get('/metrics', async (_request, reply) => {
    reply.type('text/plain; version=0.0.4').send(metrics.render());
  });
}
