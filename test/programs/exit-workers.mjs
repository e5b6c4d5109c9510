// Child program for the life-cycle tests: worker threads load, classify and
// dispose models in a loop while the main thread exits the process.
//   node exit-workers.mjs <model> <workers>
import { Worker } from 'node:worker_threads';
const [modelPath, workersText] = process.argv.slice(2);
const lib = new URL('../../dist/lib/index.js', import.meta.url).pathname;
const body = `
  const { parentPort } = require('node:worker_threads');
  const { loadModel } = require(${JSON.stringify(lib)});
  (async () => {
    for (let i = 0; ; i++) {
      const model = await loadModel(${JSON.stringify(modelPath)}, { device: 'cpu' });
      const { width, height } = model.info.metadata.input;
      const frame = { data: new Uint8Array(width * height * 3), width, height, channels: 3 };
      const calls = Array.from({ length: 8 }, () => model.classifyBatch([frame, frame, frame]).catch(() => undefined));
      if (i === 0) parentPort.postMessage('running');
      if (i % 2 === 0) await model.dispose(); // odd rounds leave the model to the garbage collector
      await Promise.all(calls);
    }
  })();`;
let running = 0;
const count = Number(workersText);
for (let w = 0; w < count; w++) {
  const worker = new Worker(body, { eval: true });
  worker.on('message', () => {
    if (++running === count) setTimeout(() => process.exit(0), 50);
  });
  worker.on('error', (error) => {
    console.error(error);
    process.exit(3);
  });
}
