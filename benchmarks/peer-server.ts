/**
 * The peer of the HTTP load benchmark: the server a Node user writes without edge-classify's
 * pipeline — fastify, base64 body decoded and resized by sharp, normalised in JS, then the same
 * TorchScript model through model.infer() (so that the engine is the same and the pipeline differs).
 * Usage: node dist/benchmarks/peer-server.js <model> (prints 'listening on URL')
 */
import Fastify from 'fastify';
import { loadModel } from '../lib/index';
import { sharpTensor } from './lib/peer-pipeline';
import { listenUntilTerm } from './lib/peers';

async function main() {
  const model = await loadModel(process.argv[2], { device: 'cpu', batching: { combineCalls: false } });
  const m = model.info.metadata;
  const app = Fastify({ bodyLimit: 20 << 20 });
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.post('/:project/:version', async (request) => {
    const image = Buffer.from(String(request.body).replace(/ /g, '+'), 'base64');
    const tensor = new Float32Array(3 * m.input.width * m.input.height);
    await sharpTensor(image, m, tensor, 0);
    const [scores] = await model.infer(tensor, 1);
    const predictions = Array.from(scores, (confidence, i) => ({ class: m.class_names[i], class_id: i, confidence: Math.round(confidence * 1e4) / 1e4 })).sort((a, b) => b.confidence - a.confidence);
    return { predictions, top: predictions[0].class, confidence: predictions[0].confidence };
  });
  await listenUntilTerm(app, () => model.dispose());
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
