/**
 * Contention benchmark (issue 12): batch-1 calls from JPEG bytes while 0, 1 or 2 busy neighbour
 * processes (`for(;;){}`, started and stopped here, each bounded in time) compete for the cores —
 * one caller in a loop, and 16 concurrent callers — for edge-classify with its defaults, with passive
 * OpenMP waiting, with the previous build's defaults (nice +10, OpenMP's active waiting, as many threads as cores), with
 * `threads: 1`, and onnxruntime-node + sharp. Each configuration runs in its own process (its
 * environment decides the thread policy). p50/p99 per call, the event loop's p99, images/s.
 * Usage: node dist/benchmarks/contention.js [--quick] [--models a,b] [--neighbours 0,1,2] [--previous <checkout of an older build>]
 *   (needs `npm test` fixtures, and `npm --prefix benchmarks run setup` for the onnxruntime-node peer)
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { closedLoop } from './lib/load';
import { type Row, type stats, writeResults } from '../lib/report';

const root = path.resolve(__dirname, '..', '..');
const args = process.argv.slice(2);
const option = (name: string, fallback: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback);
const quick = args.includes('--quick');
const seconds = quick ? 1.5 : 3;
const models = option('models', 'mobilenet_v3_small,resnet18').split(',');
const neighbourCounts = option('neighbours', '0,1,2').split(',').map(Number);
const previous = option('previous', '');
const fixtures = path.join(root, 'test', '.fixtures');

interface Measured {
  one: ReturnType<typeof stats>;
  many: ReturnType<typeof stats>;
  manyImagesPerSecond: number;
  manyEventLoopP99Ms: number;
  policy?: unknown;
}

/** A configuration: the environment of its process and how it classifies. */
interface Config {
  impl: string;
  env: Record<string, string | undefined>;
  kind: 'edge' | 'ort';
  lib?: string;
  threads?: number;
}

/** In a child: loads the model, then measures one caller and 16 callers for `seconds` each. */
async function measure(kind: string, modelName: string, lib: string, threads: number): Promise<Measured> {
  const sharp = (await import('sharp')).default;
  const jpeg = await sharp(path.join(fixtures, 'photos', 'chelsea.png')).resize(640, 480, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer();
  let call: () => Promise<unknown>;
  let policy: unknown;
  if (kind === 'edge') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ec = require(lib) as typeof import('../lib/index');
    const model = await ec.loadModel(path.join(fixtures, 'models', `${modelName}.torchscript`), { device: 'cpu', ...(threads ? { threads } : {}) });
    call = () => model.classify(jpeg);
    policy = (ec.buildInfo() as { threads?: unknown }).threads ?? 'previous build';
  } else {
    const { loadOrt, sharpPipeline } = await import('./lib/peers');
    const ort = loadOrt();
    const session = await ort.InferenceSession.create(path.join(fixtures, 'models', `${modelName}.onnx`), { intraOpNumThreads: os.availableParallelism(), interOpNumThreads: 1 });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ec = require('../lib/index') as typeof import('../lib/index');
    const probe = await ec.loadModel(path.join(fixtures, 'models', `${modelName}.torchscript`), { device: 'cpu' });
    const meta = probe.info.metadata;
    await probe.dispose();
    call = async () => {
      const tensor = new Float32Array(3 * meta.input.width * meta.input.height);
      await sharpPipeline(jpeg as never, meta, tensor, 0);
      return session.run({ input: new ort.Tensor('float32', tensor, [1, 3, meta.input.height, meta.input.width]) });
    };
  }
  const loop = async (callers: number) => closedLoop(callers, call, seconds);
  const one = await loop(1);
  const many = await loop(16);
  return { one: one.latency, many: many.latency, manyImagesPerSecond: many.imagesPerSecond, manyEventLoopP99Ms: many.eventLoopP99Ms, policy };
}

/** Busy neighbour processes, each ending by itself after `ms` at the latest. */
function neighbours(count: number, ms: number): ChildProcess[] {
  return Array.from({ length: count }, () =>
    spawn(process.execPath, ['-e', `const end = Date.now() + ${ms}; while (Date.now() < end) {}`], { stdio: 'ignore' }));
}

async function main() {
  const child = option('child', '');
  if (child) {
    const [kind, modelName, lib, threads] = child.split('|');
    console.log(JSON.stringify(await measure(kind, modelName, lib, Number(threads))));
    return;
  }
  const current = path.join(root, 'dist', 'lib', 'index.js');
  const configs: Config[] = [
    { impl: 'edge-classify', env: {}, kind: 'edge', lib: current },
    { impl: 'edge-classify, threads: 1', env: {}, kind: 'edge', lib: current, threads: 1 },
    // the previous defaults on this build: nice +10, OpenMP's own (active) waiting
    { impl: 'edge-classify, OMP_WAIT_POLICY=PASSIVE', env: { OMP_WAIT_POLICY: 'PASSIVE' }, kind: 'edge', lib: current },
    { impl: 'edge-classify, nice 10 + active wait (previous defaults)', env: { EDGE_CLASSIFY_NICE: '10', OMP_WAIT_POLICY: 'ACTIVE' }, kind: 'edge', lib: current },
    { impl: 'onnxruntime-node+sharp', env: {}, kind: 'ort' },
  ];
  if (previous) configs.splice(3, 0, { impl: `previous build (${path.basename(previous)})`, env: {}, kind: 'edge', lib: path.join(path.resolve(previous), 'dist', 'lib', 'index.js') });
  const rows: Row[] = [];
  const policies: Record<string, unknown> = {};
  for (const modelName of models) {
    for (const n of neighbourCounts) {
      for (const config of configs) {
        const busy = neighbours(n, (seconds * 2 + 30) * 1000);
        let measured: Measured;
        try {
          const env = { ...process.env, ...config.env };
          for (const [k, v] of Object.entries(config.env)) if (v === undefined) delete env[k];
          const out = execFileSync(process.execPath, [__filename, ...args, '--child', `${config.kind}|${modelName}|${config.lib ?? ''}|${config.threads ?? 0}`], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'inherit'], timeout: 300_000 });
          measured = JSON.parse(out.trim().split('\n').pop()!) as Measured;
        } catch (error) {
          console.log(`${config.impl} ${modelName} with ${n} neighbours failed: ${(error as Error).message.split('\n')[0]}`);
          continue;
        } finally {
          for (const b of busy) b.kill('SIGKILL');
        }
        policies[config.impl] ??= measured.policy;
        const what = `${n} busy neighbour${n === 1 ? '' : 's'}`;
        rows.push({ case: `${what}, 1 caller`, impl: config.impl, model: `${modelName} cpu`, batch: 1, stats: measured.one, imagesPerSecond: 1000 / measured.one.medianMs });
        rows.push({ case: `${what}, 16 callers`, impl: config.impl, model: `${modelName} cpu`, batch: 16, stats: measured.many, imagesPerSecond: measured.manyImagesPerSecond, eventLoopP99Ms: measured.manyEventLoopP99Ms });
        console.log(`${modelName}, ${what}, ${config.impl}: 1 caller p50 ${measured.one.medianMs.toFixed(1)} / p99 ${measured.one.p99Ms.toFixed(1)} ms; 16 callers p50 ${measured.many.medianMs.toFixed(1)} / p99 ${measured.many.p99Ms.toFixed(1)} ms, ${measured.manyImagesPerSecond.toFixed(0)} img/s, event loop p99 ${measured.manyEventLoopP99Ms.toFixed(2)} ms`);
      }
    }
  }
  const ours = (r: Row) => (r.impl === 'edge-classify' ? undefined : rows.find((o) => o.impl === 'edge-classify' && o.case === r.case && o.model === r.model));
  writeResults(`contention-cpu${quick ? '-quick' : ''}`, 'edge-classify with busy neighbour processes (batch 1 from JPEG bytes)', rows, { seconds, policies }, ours);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
