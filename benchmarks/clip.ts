/**
 * CLIP benchmark (issue 7): images/s of clip.classify(image, labels) against the number of labels
 * (text embeddings cached, as in steady use), beside open_clip in Python on the same seeded model in
 * the same run (PIL bicubic resize + center crop + numpy normalisation + encode_image + similarity).
 * Usage: node dist/benchmarks/clip.js [--quick] [--package dir] [--arch tiny] [--device cpu|cuda] [--precision fp32|fp16]
 *   (the Python peer runs on the same device and precision)
 *   (the tiny package comes from `npm test`'s fixtures; other architectures: scripts/models/export_clip.py)
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadClip } from '../lib/index';
import { type Row, time, writeResults } from './lib/report';

const root = path.resolve(__dirname, '..', '..');
const args = process.argv.slice(2);
const option = (name: string, fallback: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback);
const quick = args.includes('--quick');
const fixtures = path.join(root, 'test', '.fixtures');
const pkg = option('package', path.join(fixtures, 'clip', 'tiny'));
const device = option('device', 'cpu');
const precision = option('precision', 'fp32');
const LABELS = [1, 10, 100, 1000];

async function main() {
  const minMs = quick ? 300 : 1500;
  const image = path.join(fixtures, 'photos', 'chelsea.png');
  const clip = await loadClip(pkg, { device: device as 'cpu', precision: precision as 'fp32', maxLabels: 1000 });
  const arch = option('arch', clip.config.arch);
  const rows: Row[] = [];
  for (const count of LABELS) {
    const labels = Array.from({ length: count }, (_, i) => `a photo of object number ${i}`);
    await clip.embedText(labels); // cached, as in steady use
    const stats = await time(() => clip.classify(image, labels), { minMs, minRuns: 10 });
    rows.push({ case: `classify against ${count} label(s)`, impl: 'edge-classify', model: `clip ${arch} ${clip.device} ${precision}`, batch: 1, stats, imagesPerSecond: 1000 / stats.medianMs });
    console.log(`${count} labels edge-classify: ${stats.medianMs.toFixed(2)} ms`);
  }
  await clip.dispose();
  const python = JSON.parse(readFileSync(path.join(fixtures, 'python.json'), 'utf8')).python as string;
  const py = JSON.parse(
    execFileSync(python, [path.join(root, 'benchmarks', 'python', 'peer_clip.py')], {
      input: JSON.stringify({ site: path.join(fixtures, 'clip', 'site'), arch, seed: 0, image, label_counts: LABELS, min_ms: minMs, threads: os.availableParallelism(), device: clip.device, precision }),
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    }),
  ) as { rows: { labels: number; median_ms: number; p99_ms: number; min_ms: number; runs: number }[]; torch: string; device: string };
  for (const r of py.rows) {
    rows.push({ case: `classify against ${r.labels} label(s)`, impl: 'open_clip + PIL (Python)', model: `clip ${arch} ${py.device} ${precision}`, batch: 1, stats: { runs: r.runs, medianMs: r.median_ms, p99Ms: r.p99_ms, minMs: r.min_ms }, imagesPerSecond: 1000 / r.median_ms });
  }
  const ours = (r: Row) => rows.find((o) => o.impl === 'edge-classify' && o.case === r.case);
  writeResults(`clip-${arch}-${device.replace(':', '')}${precision === 'fp32' ? '' : `-${precision}`}`, `CLIP zero-shot (${arch}) on ${device}, ${precision}`, rows, { torchPython: py.torch, package: pkg }, (r) => (r.impl === 'edge-classify' ? undefined : ours(r)));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
