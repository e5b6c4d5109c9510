#!/usr/bin/env node
// Diagnostic, not a benchmark (no peer, no pass/fail): where the event loop's late ticks come from
// while N callers classify raw frames with batching. Every 1 ms tick reads the JS thread's
// /proc/self/task/<pid>/schedstat (time run, time waited for a CPU); for each tick later than 2 ms it
// splits the gap into the JS thread's own work, its wait for a CPU, and the rest. Also GC pauses
// (perf_hooks 'gc' entries), event-loop utilization and monitorEventLoopDelay's p99.
// Linux only. Needs `npm run build` and the test fixtures (node scripts/fixtures.mjs).
// Usage: node scripts/probe-event-loop-wait.cjs [callers=64] [seconds=4] [model=mobilenet_v3_small]
//   e.g. EDGE_CLASSIFY_JS_SLICE_US=0 node scripts/probe-event-loop-wait.cjs 64 4
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { monitorEventLoopDelay, PerformanceObserver, performance } = require('node:perf_hooks');
const sharp = require('sharp');
const { buildInfo, loadModel } = require('../dist/lib/index.js');

const callers = Number(process.argv[2] || 64);
const seconds = Number(process.argv[3] || 4);
const modelName = process.argv[4] || 'mobilenet_v3_small';
const fixtures = path.join(__dirname, '..', 'test', '.fixtures');

/** [ns run, ns waited on a run queue, slices] of the JS thread, read without allocating a new fd. */
const schedstat = (() => {
  const fd = fs.openSync(`/proc/self/task/${process.pid}/schedstat`, 'r');
  const buf = Buffer.alloc(128);
  return () => buf.toString('latin1', 0, fs.readSync(fd, buf, 0, buf.length, 0)).trim().split(' ').map(Number);
})();

async function main() {
  const photo = await sharp(path.join(fixtures, 'photos', 'chelsea.png')).resize(640, 480, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
  const frame = { data: photo.data, width: photo.info.width, height: photo.info.height, channels: 3 };
  const model = await loadModel(path.join(fixtures, 'models', `${modelName}.torchscript`), { device: 'cpu', batching: { maxBatchSize: 32 } });
  for (let i = 0; i < 50; i++) await model.classify(frame); // warm-up

  const gcs = [];
  const observer = new PerformanceObserver((list) => list.getEntries().forEach((e) => gcs.push(e.duration)));
  observer.observe({ entryTypes: ['gc'] });
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const late = []; // [gap ms, JS ran ms, JS waited ms]
  let ticks = 0;
  let lastTime = performance.now();
  let lastStat = schedstat();
  const ticker = setInterval(() => {
    const now = performance.now();
    const stat = schedstat();
    ticks++;
    if (now - lastTime > 2) late.push([now - lastTime, (stat[0] - lastStat[0]) / 1e6, (stat[1] - lastStat[1]) / 1e6]);
    lastTime = now;
    lastStat = stat;
  }, 1);
  const first = schedstat();
  const elu0 = performance.eventLoopUtilization();
  const end = performance.now() + seconds * 1000;
  let images = 0;
  await Promise.all(Array.from({ length: callers }, async () => {
    while (performance.now() < end) {
      await model.classify(frame);
      images++;
    }
  }));
  clearInterval(ticker);
  delay.disable();
  observer.disconnect();
  const last = schedstat();
  const elu = performance.eventLoopUtilization(elu0);
  await model.dispose();

  const t = buildInfo().threads;
  const sum = (rows, i) => rows.reduce((a, r) => a + r[i], 0);
  late.sort((a, b) => b[0] - a[0]);
  const lanes = t.quietLane ? `lanes nice ${t.niceness} / quiet ${t.quietNiceness} (on '${t.lane}' at the end, ${t.laneChanges} changes, others used ${t.othersCores == null ? '?' : t.othersCores.toFixed(2)} cores)` : `compute nice ${t.niceness} (${t.nicenessFrom})`;
  console.log(`${modelName}, ${callers} callers, ${seconds} s; ${lanes}, JS slice ${t.jsSliceUs} µs (${t.jsSliceFrom}), ${t.threads} threads`);
  console.log(`images/s ${(images / seconds).toFixed(0)}; event loop p99 ${(delay.percentile(99) / 1e6).toFixed(2)} ms, max ${(delay.max / 1e6).toFixed(2)} ms; ELU ${(100 * elu.utilization).toFixed(1)} %`);
  console.log(`JS thread: ran ${((last[0] - first[0]) / 1e6).toFixed(0)} ms, waited for a CPU ${((last[1] - first[1]) / 1e6).toFixed(0)} ms over ${last[2] - first[2]} slices`);
  console.log(`GC: ${gcs.length} pauses, ${gcs.reduce((a, b) => a + b, 0).toFixed(1)} ms in all, longest ${Math.max(0, ...gcs).toFixed(2)} ms`);
  console.log(`ticks later than 2 ms: ${late.length} of ${ticks}, ${sum(late, 0).toFixed(0)} ms in all = JS ran ${sum(late, 1).toFixed(0)} + waited for a CPU ${sum(late, 2).toFixed(0)} + other`);
  console.log(`worst (gap / ran / waited ms): ${late.slice(0, 8).map((r) => r.map((x) => x.toFixed(1)).join(' / ')).join(', ')}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
