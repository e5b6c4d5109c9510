/**
 * Shared benchmark plumbing: timing loops, statistics, the machine
 * description, and the JSON + SVG chart written to benchmarks/results/.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { packageRoot } from '../../lib/native/binding';

export interface Stats {
  runs: number;
  medianMs: number;
  p99Ms: number;
  minMs: number;
}

export interface Row {
  /** What was measured, e.g. "classify() raw frame". */
  case: string;
  /** The implementation, e.g. "edge-classify" or "PyTorch (Python)". */
  impl: string;
  model?: string;
  batch?: number;
  precision?: string;
  stats: Stats;
  /** Images per second at the median. */
  imagesPerSecond?: number;
  /** edge-classify rows: median milliseconds per stage of the call (from model.lastTiming). */
  stages?: Stages;
  /** Load runs: the event loop's p99 delay while the load ran, and the mean batch size formed. */
  eventLoopP99Ms?: number;
  meanBatch?: number;
}

/** Median stage times of edge-classify calls (see CallTiming). */
export interface Stages {
  decodeMs: number;
  prepareMs: number;
  computeMs: number;
  resultMs: number;
  /** nativeMs - prepareMs - computeMs: queueing on the libuv pool and crossing into JS. */
  handoffMs: number;
}

/** The part of a Model that stage-timed calls use. */
interface TimedModel {
  classifyBatch(images: never[]): Promise<unknown>;
  readonly lastTiming?: { decodeMs: number; prepareMs: number; computeMs: number; resultMs: number; nativeMs: number };
}

/** `run(images)` calls model.classifyBatch and records its stages; `stages.medians()` sums them up. */
export function stageTimer(model: TimedModel): { run: (images: unknown[]) => Promise<void>; stages: StageRecorder } {
  const stages = new StageRecorder();
  const run = async (images: unknown[]) => {
    await model.classifyBatch(images as never[]);
    stages.record(model.lastTiming);
  };
  return { run, stages };
}

/** Collects model.lastTiming after each timed call and gives the median of each stage. */
export class StageRecorder {
  #samples: Stages[] = [];
  record(t: { decodeMs: number; prepareMs: number; computeMs: number; resultMs: number; nativeMs: number } | undefined): void {
    if (t) this.#samples.push({ decodeMs: t.decodeMs, prepareMs: t.prepareMs, computeMs: t.computeMs, resultMs: t.resultMs, handoffMs: t.nativeMs - t.prepareMs - t.computeMs });
  }
  medians(): Stages | undefined {
    if (this.#samples.length === 0) return undefined;
    const median = (key: keyof Stages) => stats(this.#samples.map((s) => s[key])).medianMs;
    const out = { decodeMs: median('decodeMs'), prepareMs: median('prepareMs'), computeMs: median('computeMs'), resultMs: median('resultMs'), handoffMs: median('handoffMs') };
    this.#samples = [];
    return out;
  }
}

export function stats(samplesMs: number[]): Stats {
  const s = [...samplesMs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { runs: s.length, medianMs: at(0.5), p99Ms: at(0.99), minMs: s[0] };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Runs `fn` for `warmup` untimed and then at least `minRuns` timed iterations (and at least `minMs`).
 * With `turn`, the event loop turns between iterations (untimed), as it does between a real
 * program's calls: a synchronous `fn` otherwise never lets Node run the finalizers of what it
 * made (they wait for a turn), so native memory that a program frees at once piles up for the
 * whole measurement and each iteration pays for fresh pages.
 */
export async function time(fn: () => Promise<unknown> | unknown, { warmup = 3, minRuns = 20, minMs = 1500, maxRuns = 2000, turn = false } = {}): Promise<Stats> {
  for (let i = 0; i < warmup; i++) {
    await fn();
    if (turn) await nextTurn();
  }
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < maxRuns && (samples.length < minRuns || performance.now() - start < minMs)) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
    if (turn) await nextTurn();
  }
  return stats(samples);
}

/**
 * Throughput with `depth` calls kept in flight (as a server has): stats over the intervals between
 * successive completions, so that the median is the effective time per call. The first `depth`
 * completions are warm-up.
 */
export async function timeInFlight(fn: () => Promise<unknown>, depth: number, { minRuns = 20, minMs = 1500 } = {}): Promise<Stats> {
  const done: number[] = [];
  const start = performance.now();
  const worker = async () => {
    while (done.length < minRuns + depth || performance.now() - start < minMs) {
      await fn();
      done.push(performance.now());
    }
  };
  await Promise.all(Array.from({ length: depth }, worker));
  const intervals = done.slice(depth).map((t, i) => t - done[depth + i - 1]);
  return stats(intervals);
}

export function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  let gpu: string | undefined;
  try {
    gpu = execFileSync('nvidia-smi', ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader'], { encoding: 'utf8' }).trim();
  } catch {
    gpu = undefined;
  }
  return {
    date: new Date().toISOString(),
    host: os.hostname(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: cpus[0]?.model,
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    gpu: gpu ?? 'none',
    node: process.version,
    command: process.argv.slice(1).map((a) => path.relative(process.cwd(), a) || a).join(' '),
  };
}

const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));

/**
 * A Markdown table, one row per measurement. For a peer's row, the last column is how many times
 * faster edge-classify's matching row (`peerOf(row)`) was: peer median / edge-classify median.
 */
export function table(rows: Row[], peerOf: (row: Row) => Row | undefined, ratioLabel = 'edge-classify speed-up'): string {
  const withStages = rows.some((r) => r.stages);
  const withLoad = rows.some((r) => r.eventLoopP99Ms !== undefined);
  const lines = [
    `| case | model | batch | impl | median ms | p99 ms | img/s | ${ratioLabel} |${withStages ? ' stages ms: decode / prepare / compute / hand-off / results |' : ''}${withLoad ? ' event loop p99 ms | mean batch |' : ''}`,
    `|---|---|---|---|---|---|---|---|${withStages ? '---|' : ''}${withLoad ? '---|---|' : ''}`,
  ];
  const loadCells = (r: Row) => ` ${r.eventLoopP99Ms === undefined ? '' : fmt(r.eventLoopP99Ms)} | ${r.meanBatch === undefined ? '' : fmt(r.meanBatch)} |`;
  const stagesCell = (st?: Stages) => (st ? ` ${[st.decodeMs, st.prepareMs, st.computeMs, st.handoffMs, st.resultMs].map(fmt).join(' / ')} |` : ' |');
  for (const r of rows) {
    const peer = peerOf(r);
    const ratio = peer && peer !== r ? `${(r.stats.medianMs / peer.stats.medianMs).toFixed(2)}x` : '';
    lines.push(
      `| ${r.case} | ${r.model ?? ''}${r.precision ? ` ${r.precision}` : ''} | ${r.batch ?? ''} | ${r.impl} | ${fmt(r.stats.medianMs)} | ${fmt(r.stats.p99Ms)} | ${r.imagesPerSecond ? fmt(r.imagesPerSecond) : ''} | ${ratio} |${withStages ? stagesCell(r.stages) : ''}${withLoad ? loadCells(r) : ''}`,
    );
  }
  return lines.join('\n');
}

/** A horizontal bar chart of median latency per row, grouped by case. */
export function svgChart(title: string, rows: Row[]): string {
  const barH = 18;
  const gap = 6;
  const labelW = 430;
  const chartW = 420;
  const max = Math.max(...rows.map((r) => r.stats.medianMs));
  const colors: Record<string, string> = {};
  const palette = ['#2b6cb0', '#c05621', '#2f855a', '#6b46c1', '#b83280', '#718096'];
  const height = 50 + rows.length * (barH + gap);
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const bars = rows.map((r, i) => {
    colors[r.impl] ??= palette[Object.keys(colors).length % palette.length];
    const y = 40 + i * (barH + gap);
    const w = Math.max(1, (r.stats.medianMs / max) * chartW);
    const label = `${r.case} · ${r.model ?? ''}${r.precision ? ` ${r.precision}` : ''}${r.batch ? ` · b${r.batch}` : ''} · ${r.impl}`;
    return `<text x="${labelW - 6}" y="${y + 13}" text-anchor="end" font-size="11">${esc(label)}</text>` +
      `<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${colors[r.impl]}"/>` +
      `<text x="${labelW + w + 4}" y="${y + 13}" font-size="11">${fmt(r.stats.medianMs)} ms</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${labelW + chartW + 90}" height="${height}" font-family="sans-serif">` +
    `<rect width="100%" height="100%" fill="white"/><text x="10" y="22" font-size="15" font-weight="bold">${esc(title)} (median latency, lower is better)</text>` +
    `${bars.join('')}</svg>\n`;
}

/** Writes NAME.json, NAME.md and NAME.svg into `dir` (default: the package's benchmarks/results) and prints the table. */
export function writeResults(
  name: string,
  title: string,
  rows: Row[],
  extra: Record<string, unknown>,
  peerOf: (row: Row) => Row | undefined,
  dir = path.join(packageRoot, 'benchmarks', 'results'),
  ratioLabel?: string,
): void {
  mkdirSync(dir, { recursive: true });
  const md = table(rows, peerOf, ratioLabel);
  writeFileSync(path.join(dir, `${name}.json`), `${JSON.stringify({ title, machine: machine(), ...extra, rows }, null, 2)}\n`);
  writeFileSync(path.join(dir, `${name}.svg`), svgChart(title, rows));
  writeFileSync(path.join(dir, `${name}.md`), `# ${title}\n\n${JSON.stringify(machine())}\n\n${md}\n`);
  console.log(`\n${md}\n\nwrote ${path.join(dir, name)}.{json,svg,md}`);
}
