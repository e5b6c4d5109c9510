// Child program for the life-cycle tests: starts calls of one kind on the
// native side and exits the process while they are queued or running.
//   node exit-busy.mjs <kind> <model> [clipDir]
// kind: infer | preprocess | load | embedText | classify | worker
// Exits with 0 when process.exit(0) returns control to the OS; a hang is the bug.
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const lib = require('../../dist/lib/index.js');
const [kind, modelPath, clipDir] = process.argv.slice(2);

const model = kind === 'embedText' || kind === 'load' ? null : await lib.loadModel(modelPath, { device: 'cpu' });
const { width, height } = model ? model.info.metadata.input : { width: 8, height: 8 };
const frame = { data: new Uint8Array(width * height * 3), width, height, channels: 3 };
const hd = { data: new Uint8Array(1920 * 1080 * 3), width: 1920, height: 1080, channels: 3 };
const calls = [];
const swallow = (p) => calls.push(p.catch(() => undefined));
// Enough work of each kind that some of it is still queued when the process exits.
if (kind === 'infer') for (let i = 0; i < 3; i++) swallow(model.infer(new Float32Array(3 * width * height * 8), 8));
if (kind === 'preprocess') for (let i = 0; i < 4; i++) swallow(model.preprocess(Array(48).fill(hd)));
if (kind === 'classify') for (let i = 0; i < 3; i++) swallow(model.classifyBatch(Array(16).fill(frame)));
if (kind === 'load') for (let i = 0; i < 3; i++) swallow(lib.loadModel(modelPath, { device: 'cpu' }));
if (kind === 'embedText') {
  const clip = await lib.loadClip(clipDir, { device: 'cpu' });
  for (let i = 0; i < 300; i++) swallow(clip.embedText(Array.from({ length: 16 }, (_, k) => `a photo number ${i} ${k}`)));
}
// Let the calls reach native threads, then leave.
setTimeout(() => process.exit(0), 20);
