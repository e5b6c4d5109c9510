/** `edge-classify serve` with dynamic batching off, for the HTTP load benchmark. Usage: batching-off.js <model> */
import { loadModel } from '../lib/index';
import { createServer } from '../lib/server';

async function main() {
  const model = await loadModel(process.argv[2], { batching: false });
  const app = createServer({ models: { 'm/1': model } });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  process.stdout.write(`listening on ${address}\n`);
  process.once('SIGTERM', () => app.close().then(() => model.dispose()));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
