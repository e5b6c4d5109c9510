/**
 * The peer of the HTTP load benchmark: the server a Node user writes without edge-classify's
 * pipeline — fastify, base64 body decoded and resized by sharp, normalised in JS, then the same
 * TorchScript model through model.infer() (so that the engine is the same and the pipeline differs).
 * Usage: node dist/benchmarks/peer-server.js <model> (prints 'listening on URL')
 */
import Fastify from 'fastify';
import sharp from 'sharp';
import { loadModel } from '../lib/index';

async function main() {
  const model = await loadModel(process.argv[2], { device: 'cpu', batching: false });
  const m = model.info.metadata;
  const app = Fastify({ bodyLimit: 20 << 20 });
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.post('/:project/:version', async (request) => {
    const image = Buffer.from(String(request.body).replace(/ /g, '+'), 'base64');
    const { data, info } = await sharp(image).resize(m.input.width, m.input.height, { fit: 'fill', kernel: 'linear' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const plane = m.input.width * m.input.height;
    const tensor = new Float32Array(3 * plane);
    for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) tensor[c * plane + i] = (data[info.channels * i + c] / 255 - m.mean[c]) / m.std[c];
    const [scores] = await model.infer(tensor, 1);
    const predictions = Array.from(scores, (confidence, i) => ({ class: m.class_names[i], class_id: i, confidence: Math.round(confidence * 1e4) / 1e4 })).sort((a, b) => b.confidence - a.confidence);
    return { predictions, top: predictions[0].class, confidence: predictions[0].confidence };
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  process.stdout.write(`listening on ${address}\n`);
  process.once('SIGTERM', () => app.close().then(() => model.dispose()));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
