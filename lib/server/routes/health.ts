/** GET /healthz (no key needed) and GET /metrics (Prometheus text, metrics.ts). */
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics';
import type { RouteContext } from '../context';

export function healthRoutes(app: FastifyInstance, context: RouteContext, metrics: Metrics): void {
  app.get('/healthz', async () => ({ status: 'ok', models: Object.keys(context.models) }));
  app.get('/metrics', async (_request, reply) => {
    reply.type('text/plain; version=0.0.4').send(metrics.render());
  });
}
