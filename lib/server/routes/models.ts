/**
 * Roboflow's model management routes (inference_sdk's list_loaded_models / load_model / unload_model /
 * unload_all_models, and the registry its v1 client reads before every infer()):
 *   GET  /model/registry   {"models": [{model_id, task_type, batch_size, input_height, input_width}]}
 *   POST /model/add        {"model_id"}: a model the server was started with, or <models dir>/<project>/<version>
 *   POST /model/remove     {"model_id"}      POST /model/clear
 * Each answers with the registry. `task_type` is "classification" for single- and multi-label models
 * alike: Roboflow's client picks /infer/classification by it.
 */
import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../context';
import { modelIdOf } from '../validation';

function registry(context: RouteContext) {
  return {
    models: context.models.entries().map(([id, model]) => ({
      model_id: id,
      task_type: 'classification',
      batch_size: model.info.maxBatchSize,
      input_height: model.info.metadata.input.height,
      input_width: model.info.metadata.input.width,
    })),
  };
}

export function modelRoutes(app: FastifyInstance, context: RouteContext): void {
  app.get('/model/registry', async () => registry(context));
  app.post('/model/add', async (request) => {
    await context.models.add(modelIdOf(request.body));
    return registry(context);
  });
  app.post('/model/remove', async (request) => {
    await context.models.remove(modelIdOf(request.body));
    return registry(context);
  });
  app.post('/model/clear', async () => {
    await context.models.clear();
    return registry(context);
  });
}
