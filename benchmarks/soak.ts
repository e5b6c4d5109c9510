/**
 * Soak benchmark (issue 11): an appliance's hour compressed — mixed calls at concurrency 64 with the
 * model hot-reloaded (load the new one, dispose the old one with calls still in flight) every few
 * phases; RSS, latency p50/p99 and the event loop's p99 per phase, for edge-classify and for
 * onnxruntime-node + sharp doing the same work (its session recreated at the same points).
 * An "hour-equivalent" is 60 phases of `--calls` calls (default 1000: 60,000 calls, the load of a
 * camera line at ~17 images/s for an hour, with a reload every 5 minutes).
 * Usage: node dist/benchmarks/soak.js [--quick] [--phases 60] [--calls 1000] [--reload-every 5] [--model name]
 *   (needs `npm test` fixtures, and `npm --prefix benchmarks run setup` for the onnxruntime-node peer)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { type ImageInput, loadModel, type Model } from '../lib/index';
import { loadOrt, sharpPipeline } from './lib/peers';
import { machine, type Row, stats, writeResults } from './lib/report';

const root = path.resolve(__dirname, '..', '..');
const args = process.argv.slice(2);
const option = (name: string, fallback: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback);
const quick = args.includes('--quick');
const phases = Number(option('phases', quick ? '6' : '60'));
const callsPerPhase = Number(option('calls', quick ? '300' : '1000'));
const reloadEvery = Number(option('reload-every', quick ? '2' : '5'));
const modelName = option('model', 'mobilenet_v3_small');
const CONCURRENCY = 64;
const fixtures = path.join(root, 'test', '.fixtures');

interface Phase {
  phase: number;
  rssMiB: number;
  latency: ReturnType<typeof stats>;
  eventLoopP99Ms: number;
  /** Calls that failed because they met the reload (DisposedError, or the peer's released session). */
  reloadErrors: number;
  /** Any other failure (there should be none). */
  errors: number;
  reloaded: boolean;
}

/** One implementation under soak: `call(i)` is the i-th call of a phase; `reload()` swaps the model. */
interface Subject {
  impl: string;
  call: (i: number) => Promise<unknown>;
  reload: () => Promise<void>;
  close: () => Promise<void>;
}

async function soak(subject: Subject): Promise<Phase[]> {
  const out: Phase[] = [];
  for (let phase = 0; phase < phases; phase++) {
    const reloaded = phase > 0 && phase % reloadEvery === 0;
    const latencies: number[] = [];
    let errors = 0;
    let reloadErrors = 0;
    let next = 0;
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const reload = reloaded ? subject.reload() : Promise.resolve(); // while the callers run
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < callsPerPhase) {
        const i = next++;
        const t = performance.now();
        try {
          await subject.call(i);
          latencies.push(performance.now() - t);
        } catch (error) {
          if (reloaded && /disposed|released|session/i.test(`${(error as Error).name} ${(error as Error).message}`)) reloadErrors++;
          else errors++;
        }
      }
    }));
    await reload;
    delay.disable();
    const p: Phase = { phase, rssMiB: process.memoryUsage().rss / 2 ** 20, latency: stats(latencies), eventLoopP99Ms: delay.percentile(99) / 1e6, reloadErrors, errors, reloaded };
    out.push(p);
    console.error(`${subject.impl} phase ${phase}${reloaded ? ' (reloaded)' : ''}: RSS ${p.rssMiB.toFixed(0)} MiB, p50 ${p.latency.medianMs.toFixed(1)} ms, p99 ${p.latency.p99Ms.toFixed(1)} ms, event loop p99 ${p.eventLoopP99Ms.toFixed(2)} ms, calls meeting the reload ${reloadErrors}, other errors ${errors}`);
  }
  await subject.close();
  return out;
}

/** RSS and p99 over the phases, one line per implementation. */
function overTimeSvg(title: string, series: { impl: string; phases: Phase[] }[]): string {
  const W = 640;
  const H = 180;
  const colors = ['#2b6cb0', '#c05621', '#2f855a'];
  const panel = (label: string, value: (p: Phase) => number, top: number) => {
    const max = Math.max(1, ...series.flatMap((s) => s.phases.map(value))) * 1.1;
    const lines = series.map((s, k) => {
      const pts = s.phases.map((p, i) => `${(60 + (i / Math.max(1, phases - 1)) * W).toFixed(1)},${(top + H - (value(p) / max) * H).toFixed(1)}`).join(' ');
      return `<polyline fill="none" stroke="${colors[k % colors.length]}" stroke-width="2" points="${pts}"/>`;
    });
    return `<text x="10" y="${top - 6}" font-size="12" font-weight="bold">${label} (max ${max.toFixed(0)})</text>` +
      `<rect x="60" y="${top}" width="${W}" height="${H}" fill="none" stroke="#ccc"/>${lines.join('')}`;
  };
  const legend = series.map((s, k) => `<text x="${70 + k * 260}" y="${2 * H + 130}" font-size="12" fill="${colors[k % colors.length]}">■ ${s.impl}</text>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W + 80}" height="${2 * H + 150}" font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>` +
    `<text x="10" y="20" font-size="14" font-weight="bold">${title}</text>${panel('RSS MiB per phase', (p) => p.rssMiB, 50)}${panel('latency p99 ms per phase', (p) => p.latency.p99Ms, H + 90)}${legend}</svg>\n`;
}

/** Runs one implementation in this process (each in its own process, so that RSS is its own). */
async function runSubject(which: string): Promise<Phase[]> {
  const file = path.join(fixtures, 'models', `${modelName}.torchscript`);
  const photo = path.join(fixtures, 'photos', 'chelsea.png');
  const jpeg = await sharp(photo).resize(640, 480, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer();
  const decoded = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  const raw: ImageInput = { data: decoded.data, width: decoded.info.width, height: decoded.info.height, channels: 3 };

  // Mixed calls: raw frames, JPEG bytes, a batch of four, outputs(), and an aborted call.
  let model: Model = await loadModel(file, { device: 'cpu' });
  const meta = model.info.metadata;
  const ours: Subject = {
    impl: 'edge-classify',
    call: (i) => {
      switch (i % 10) {
        case 0: case 1: case 2: case 3: return model.classify(raw);
        case 4: case 5: case 6: return model.classify(jpeg);
        case 7: return model.classifyBatch([raw, jpeg, raw, jpeg]);
        case 8: return model.outputs([raw]);
        default: return model.classify(raw, { signal: AbortSignal.abort() }).catch(() => undefined);
      }
    },
    reload: async () => {
      const next = await loadModel(file, { device: 'cpu' });
      const old = model;
      model = next;
      await old.dispose(); // calls still queued on it reject with DisposedError (counted as errors)
    },
    close: () => model.dispose(),
  };

  if (which === 'edge-classify') return soak(ours);
  await model.dispose(); // only its metadata was needed: the peer's process holds the peer alone
  {
    const ort = loadOrt();
    const onnx = path.join(fixtures, 'models', `${modelName}.onnx`);
    const create = () => ort.InferenceSession.create(onnx, { intraOpNumThreads: os.availableParallelism(), interOpNumThreads: 1 });
    let session = await create();
    const run = async (input: unknown) => {
      const tensor = new Float32Array(3 * meta.input.width * meta.input.height);
      await sharpPipeline(input as never, meta, tensor, 0);
      return session.run({ input: new ort.Tensor('float32', tensor, [1, 3, meta.input.height, meta.input.width]) });
    };
    return soak({
      impl: 'onnxruntime-node+sharp',
      call: (i) => {
        switch (i % 10) {
          case 7: return Promise.all([run(raw), run(jpeg), run(raw), run(jpeg)]);
          case 4: case 5: case 6: return run(jpeg);
          default: return run(raw);
        }
      },
      reload: async () => {
        const next = await create();
        const old = session;
        session = next;
        await old.release();
      },
      close: () => session.release(),
    });
  }
}

async function main() {
  const subject = option('subject', '');
  if (subject) {
    console.log(JSON.stringify(await runSubject(subject)));
    return;
  }
  const series: { impl: string; phases: Phase[] }[] = [];
  for (const impl of ['edge-classify', 'onnxruntime-node+sharp']) {
    try {
      const out = execFileSync(process.execPath, [__filename, ...args, '--subject', impl], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
      series.push({ impl, phases: JSON.parse(out.trim().split('\n').pop()!) as Phase[] });
    } catch (error) {
      console.log(`${impl} skipped: ${(error as Error).message.split('\n')[0]}`);
    }
  }

  const rows: Row[] = series.flatMap((s) => s.phases.map((p) => ({
    case: `phase ${p.phase}${p.reloaded ? ' (reload)' : ''}, RSS ${p.rssMiB.toFixed(0)} MiB, ${p.reloadErrors} calls met the reload, ${p.errors} other errors`,
    impl: s.impl,
    model: `${modelName} cpu`,
    batch: CONCURRENCY,
    stats: p.latency,
    imagesPerSecond: undefined,
    eventLoopP99Ms: p.eventLoopP99Ms,
  })));
  const summary = series.map((s) => {
    const first = s.phases[Math.min(1, s.phases.length - 1)];
    const last = s.phases[s.phases.length - 1];
    return { impl: s.impl, rssFirstMiB: first.rssMiB, rssLastMiB: last.rssMiB, rssPeakMiB: Math.max(...s.phases.map((p) => p.rssMiB)), p99FirstMs: first.latency.p99Ms, p99LastMs: last.latency.p99Ms, p99WorstMs: Math.max(...s.phases.map((p) => p.latency.p99Ms)), reloadErrors: s.phases.reduce((a, p) => a + p.reloadErrors, 0), errors: s.phases.reduce((a, p) => a + p.errors, 0) };
  });
  for (const s of summary) console.log(`${s.impl}: RSS ${s.rssFirstMiB.toFixed(0)} -> ${s.rssLastMiB.toFixed(0)} MiB (peak ${s.rssPeakMiB.toFixed(0)}), p99 ${s.p99FirstMs.toFixed(1)} -> ${s.p99LastMs.toFixed(1)} ms (worst ${s.p99WorstMs.toFixed(1)}), calls meeting a reload ${s.reloadErrors}, other errors ${s.errors}`);
  const name = `soak-cpu${quick ? '-quick' : ''}`;
  const title = `Soak: ${phases} phases x ${callsPerPhase} mixed calls at concurrency ${CONCURRENCY}, reload every ${reloadEvery} (${modelName}, cpu)`;
  const byPhase = (r: Row) => (r.impl === 'edge-classify' ? undefined : rows.find((o) => o.impl === 'edge-classify' && o.case.split(',')[0] === r.case.split(',')[0]));
  writeResults(name, title, rows, { phases, callsPerPhase, reloadEvery, concurrency: CONCURRENCY, summary, series }, byPhase);
  const dir = path.join(root, 'benchmarks', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${name}-over-time.svg`), overTimeSvg(title, series));
  console.log(`wrote ${path.join(dir, `${name}-over-time.svg`)} (${JSON.stringify(machine().cpu)})`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
