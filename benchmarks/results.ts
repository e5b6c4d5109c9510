/**
 * Results benchmark (issue 18): turning a batch of 64 images × 1000 classes of confidences into
 * Roboflow's results, ms per batch — the JavaScript results of 0.2 (benchmarks/lib/js-results.ts,
 * kept as the peer) against the native results (native/core/results.cc) and their objects or JSON
 * bytes (lib/results/compact.ts), measured in the same run, all on this thread:
 * - objects: 0.2's singleLabel per image vs the native results + resultObjects, with every
 *   `predictions` read (materialized) and without (a caller reading `top` only);
 * - JSON (the server's path): 0.2's objects + JSON.stringify per image vs the native results with
 *   JSON + resultsJson + Buffer.concat;
 * each also with topK 5, and V8's floor: the same plain objects allocated and nothing else done. "JS thread" rows count only the part that runs on the event loop in a real
 * call (the native part runs on the scheduler's lane), "whole" rows both.
 * Usage: npm run bench:results [-- --quick] (node --expose-gc: each case starts from a collected heap)
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { native } from '../lib/native/binding';
import { ResultLabels, resultObjects, resultsJson, resultSpec, type ResultContext } from '../lib/results/compact';
import { singleLabel } from './lib/js-results';
import { type Row, time, writeResults } from './lib/report';

const quick = process.argv.includes('--quick');
const minMs = quick ? 300 : 2000;
const BATCH = 64;
const CLASSES = 1000;

function scoresOf(seed: number): Float64Array {
  let s = seed;
  const random = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const out = new Float64Array(BATCH * CLASSES);
  for (let r = 0; r < BATCH; r++) {
    // softmax of random logits, one class standing out: as a classifier's output looks
    let sum = 0;
    for (let c = 0; c < CLASSES; c++) sum += out[r * CLASSES + c] = Math.exp(random() * 4 + (c === r ? 8 : 0));
    for (let c = 0; c < CLASSES; c++) out[r * CLASSES + c] /= sum;
  }
  return out;
}

async function main() {
  const { binding } = native();
  const names = Array.from({ length: CLASSES }, (_, i) => `n${String(1440764 + i * 37).padStart(8, '0')} class ${i}`);
  const labels = new ResultLabels(names, binding);
  const scores = scoresOf(7);
  const rows = Array.from({ length: BATCH }, (_, r) => scores.subarray(r * CLASSES, (r + 1) * CLASSES));
  const contexts: ResultContext[] = rows.map(() => ({ time: 0.0123, image: { width: 640, height: 480 } }));
  const spec = (topK: number, json: boolean) => resultSpec('single-label', undefined, false, topK, json);
  let sink = 0;
  const touch = (results: { predictions: unknown }[]) => {
    for (const r of results) sink += (r.predictions as unknown[]).length;
  };
  const out: Row[] = [];
  const measure = async (kase: string, impl: string, fn: () => unknown) => {
    // each case from a collected heap (the script runs with --expose-gc), not amid the last one's garbage
    (globalThis as { gc?: () => void }).gc?.();
    // the loop turns between runs (as between a server's batches): the native JSON's Buffers are freed then
    const stats = await time(fn, { warmup: 20, minRuns: 50, minMs, turn: true });
    out.push({ case: kase, impl, batch: BATCH, stats });
    console.log(`${kase} | ${impl}: median ${stats.medianMs.toFixed(3)} ms, p99 ${stats.p99Ms.toFixed(3)} ms`);
  };
  const PEER = '0.2 JS results (peer)';
  for (const topK of [0, 5]) {
    const k = topK === 0 ? 'all classes' : `topK ${topK}`;
    const peerObjects = () => rows.map((s) => singleLabel(s, names, contexts[0], undefined, false));
    const peerTop = () => rows.map((s) => {
      const r = singleLabel(s, names, contexts[0], undefined, false);
      return { ...r, predictions: r.predictions.slice(0, topK) };
    });
    const peer = topK === 0 ? peerObjects : peerTop;
    // objects
    const objectsCase = `objects, ${k}, predictions read`;
    await measure(objectsCase, PEER, () => touch(peer()));
    await measure(objectsCase, 'native, whole', () => touch(resultObjects(binding.results(scores, CLASSES, labels.handle, spec(topK, false)), labels, 'single-label', contexts) as never));
    const native0 = binding.results(scores, CLASSES, labels.handle, spec(topK, false));
    await measure(objectsCase, 'native, JS thread', () => touch(resultObjects(native0, labels, 'single-label', contexts) as never));
    if (topK === 0) {
      // what V8 takes to allocate the same 64 × 1000 plain objects from typed arrays, and nothing else:
      // the least any producer of plain prediction objects can take on this thread
      const { classes, confidences } = native0;
      await measure(objectsCase, 'plain objects only (V8 floor)', () => {
        const all = [];
        for (let r = 0; r < BATCH; r++) {
          const predictions = new Array(CLASSES);
          for (let c = 0; c < CLASSES; c++) predictions[c] = { class: names[classes[r * CLASSES + c]], class_id: classes[r * CLASSES + c], confidence: confidences[r * CLASSES + c] };
          all.push({ predictions });
        }
        touch(all);
      });
    }
    const lazyCase = `objects, ${k}, predictions not read`;
    await measure(lazyCase, PEER, () => peer().length);
    await measure(lazyCase, 'native, JS thread', () => resultObjects(native0, labels, 'single-label', contexts).length);
    // JSON
    const jsonCase = `JSON bytes, ${k}`;
    await measure(jsonCase, PEER, () => peer().map((r) => Buffer.from(JSON.stringify(r))).length);
    await measure(jsonCase, 'native, whole', () => resultsJson(binding.results(scores, CLASSES, labels.handle, spec(topK, true)), labels, 'single-label', contexts).map((p) => Buffer.concat(p)).length);
    const native1 = binding.results(scores, CLASSES, labels.handle, spec(topK, true));
    await measure(jsonCase, 'native, JS thread', () => resultsJson(native1, labels, 'single-label', contexts).map((p) => Buffer.concat(p)).length);
  }
  // randomUUID: what one inference_id costs (node keeps a cache of random bytes for it)
  const uuid = await time(() => {
    for (let i = 0; i < BATCH; i++) sink += randomUUID().length;
  }, { warmup: 20, minRuns: 50, minMs: 300 });
  out.push({ case: `${BATCH} inference ids (crypto.randomUUID)`, impl: 'node', batch: BATCH, stats: uuid });
  console.log(`${BATCH} randomUUID(): median ${uuid.medianMs.toFixed(4)} ms`);
  const peerOf = (row: Row) => (row.impl === PEER || row.impl === 'node' ? undefined : out.find((r) => r.case === row.case && r.impl === PEER));
  // a --quick run does not overwrite the committed full run
  writeResults(quick ? 'results-cpu-quick' : 'results-cpu', `Results of ${BATCH} images × ${CLASSES} classes: 0.2's JS vs the native core`, out, { batch: BATCH, classes: CLASSES, sink: sink > 0, measuredAt: performance.timeOrigin }, peerOf, undefined, "time ÷ 0.2's (speed-up = 1 / this)");
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
