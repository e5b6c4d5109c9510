// Child program for the life-cycle tests: `cycles` loads of a model, each
// classifying once and disposed, with every Model object kept referenced (as
// an appliance that hot-reloads and keeps old handles around would).
//   node --expose-gc load-dispose.mjs <model> <cycles>
// Prints {"rss":[MiB after each cycle]} on its last line.
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const { loadModel } = require('../../dist/lib/index.js');
const [modelPath, cyclesText] = process.argv.slice(2);
const kept = [];
const rss = [];
for (let i = 0; i < Number(cyclesText); i++) {
  const model = await loadModel(modelPath, { device: 'cpu' });
  const { width, height } = model.info.metadata.input;
  await model.classify({ data: new Uint8Array(width * height * 3).fill(i), width, height, channels: 3 });
  await model.dispose();
  kept.push(model);
  globalThis.gc?.();
  rss.push(Math.round(process.memoryUsage().rss / 2 ** 20));
}
console.log(JSON.stringify({ rss, kept: kept.length }));
