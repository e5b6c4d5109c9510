/** `edge-classify serve` with dynamic batching off, for the HTTP load benchmark. Usage: batching-off.js <model> */
import { loadModel } from '../lib/index';
import { createServer } from '../lib/server/server';
import { listenUntilTerm } from './lib/peers';

async function main() {
  const model = await loadModel(process.argv[2], { batching: { combineCalls: false } });
  const app = createServer({ models: { 'm/1': model } });
  await listenUntilTerm(app, () => model.dispose());
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
