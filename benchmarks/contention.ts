/**
 * Contention benchmark (issue 12): batch-1 calls from JPEG bytes while 0, 1 or 2 busy neighbour
 * processes (`for(;;){}`, started and stopped here, each bounded in time) compete for the cores —
 * one caller in a loop, and 16 concurrent callers — for edge-classify with its defaults (the compute
 * team follows the free cores, the JS thread's 0.1 ms slice), without the slice (the defaults before issue 18), with
 * EDGE_CLASSIFY_NICE=5, on its onnxruntime backend (the ONNX export), with `threads: 1`, with passive OpenMP waiting, with the defaults
 * before issue 12 on this build (nice +10, OpenMP's active waiting, a fixed team), older builds
 * (`--previous`), onnxruntime-node + sharp, and transformers.js (its image-classification pipeline
 * on the same weights, exported to ONNX). Then a cgroup-like limit: the process given one core by
 * `taskset -c 0` (this build and the older ones, with their defaults and with `threads: 1`).
 * Each configuration runs in its own process (its environment decides the thread policy), `--runs`
 * times (default 3), interleaved; a row is the median over the runs of their p50s, of their p99s,
 * of their event-loop p99s. The JSON also has each run's compute-team state (`teams`).
 * Usage: node dist/benchmarks/contention.js [--quick] [--runs N] [--models a,b] [--neighbours 0,1,2]
 *          [--previous <checkout of an older build>[,<another>]] [--no-one-core] [--only <regexp of configurations>] [--name <results file name>]
 *   (needs `npm test` fixtures, and `npm --prefix benchmarks run setup` for the onnxruntime-node and transformers.js peers)
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { closedLoop } from './lib/load';
import { type Row, type stats, writeResults } from './lib/report';

const root = path.resolve(__dirname, '..', '..');
const args = process.argv.slice(2);
const option = (name: string, fallback: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback);
const quick = args.includes('--quick');
const seconds = quick ? 1.5 : 3;
const models = option('models', 'mobilenet_v3_small,resnet18').split(',');
const neighbourCounts = option('neighbours', '0,1,2').split(',').map(Number);
const previous = option('previous', '');
const runs = Number(option('runs', quick ? '1' : '3'));
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
  kind: 'edge' | 'edge-onnxruntime' | 'ort' | 'transformers.js';
  lib?: string;
  threads?: number;
}

/** In a child: loads the model, then measures one caller and 16 callers for `seconds` each. */
async function measure(kind: string, modelName: string, lib: string, threads: number): Promise<Measured> {
  const sharp = (await import('sharp')).default;
  const jpeg = await sharp(path.join(fixtures, 'photos', 'chelsea.png')).resize(640, 480, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer();
  let call: () => Promise<unknown>;
  let policy: unknown;
  // the compute team's state (this build's buildInfo().threads.team, takenCores, idleCores, teamChanges; lane, othersCores, laneChanges)
  let team = (): unknown => undefined;
  if (kind === 'edge' || kind === 'edge-onnxruntime') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ec = require(lib) as typeof import('../lib/index');
    const model =
      kind === 'edge-onnxruntime'
        ? await ec.loadModel(path.join(fixtures, 'models', `${modelName}.onnx`), { backend: 'onnxruntime' })
        : await ec.loadModel(path.join(fixtures, 'models', `${modelName}.torchscript`), { device: 'cpu', ...(threads ? (lib === require.resolve('../lib/index') ? { torch: { threads } } : { threads }) : {}) });
    call = () => model.classify(jpeg);
    policy = (ec.buildInfo() as { threads?: unknown }).threads ?? 'previous build';
    team = () => {
      const t = (ec.buildInfo() as { threads?: Record<string, unknown> }).threads;
      return t && 'team' in t
        ? { team: t.team, takenCores: t.takenCores, idleCores: t.idleCores, teamChanges: t.teamChanges, ...('lane' in t ? { lane: t.lane, othersCores: t.othersCores, laneChanges: t.laneChanges } : {}) }
        : undefined;
    };
  } else if (kind === 'ort') {
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
  } else {
    const { transformersPipeline } = await import('./lib/peers');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ec = require('../lib/index') as typeof import('../lib/index');
    const probe = await ec.loadModel(path.join(fixtures, 'models', `${modelName}.torchscript`), { device: 'cpu' });
    const meta = probe.info.metadata;
    await probe.dispose();
    const classify = await transformersPipeline(modelName, modelName.startsWith('resnet') ? 'resnet' : 'mobilenet_v3', meta);
    call = () => classify(jpeg);
  }
  const loop = async (callers: number) => closedLoop(callers, call, seconds);
  const one = await loop(1);
  const oneTeam = team();
  const many = await loop(16);
  if (kind !== 'ort' && kind !== 'transformers.js') policy = { ...(policy as object), afterOneCaller: oneTeam, afterManyCallers: team() };
  return { one: one.latency, many: many.latency, manyImagesPerSecond: many.imagesPerSecond, manyEventLoopP99Ms: many.eventLoopP99Ms, policy };
}

/** Busy neighbour processes, each ending by itself after `ms` at the latest. */
function neighbours(count: number, ms: number): ChildProcess[] {
  return Array.from({ length: count }, () =>
    spawn(process.execPath, ['-e', `const end = Date.now() + ${ms}; while (Date.now() < end) {}`], { stdio: 'ignore' }));
}

const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** The median of what the runs measured: of their medians, of their p99s (min: the lowest). */
function medianOf(runs: ReturnType<typeof stats>[]): ReturnType<typeof stats> {
  return { runs: runs.reduce((n, r) => n + r.runs, 0), medianMs: mid(runs.map((r) => r.medianMs)), p99Ms: mid(runs.map((r) => r.p99Ms)), minMs: Math.min(...runs.map((r) => r.minMs)) };
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
    // the same weights as ONNX on this build's onnxruntime backend (issue 21), where it is built
    { impl: 'edge-classify (onnxruntime)', env: {}, kind: 'edge-onnxruntime', lib: current },
    // without the JS thread's 0.1 ms slice (the default before issue 18), and with the compute threads at nice +5 as well
    { impl: 'edge-classify, EDGE_CLASSIFY_JS_SLICE_US=0 (defaults before issue 18)', env: { EDGE_CLASSIFY_JS_SLICE_US: '0' }, kind: 'edge', lib: current },
    { impl: 'edge-classify, EDGE_CLASSIFY_NICE=5', env: { EDGE_CLASSIFY_NICE: '5' }, kind: 'edge', lib: current },
    // one lane at nice 0, no quiet lane: the defaults from issue 18 until the quiet lane
    { impl: 'edge-classify, EDGE_CLASSIFY_QUIET_NICE=0 (one lane: defaults before the quiet lane)', env: { EDGE_CLASSIFY_QUIET_NICE: '0' }, kind: 'edge', lib: current },
    { impl: 'edge-classify, OMP_WAIT_POLICY=PASSIVE', env: { OMP_WAIT_POLICY: 'PASSIVE' }, kind: 'edge', lib: current },
    // the defaults before issue 12 on this build: nice +10, OpenMP's active waiting, a fixed team
    { impl: 'edge-classify, nice 10 + active wait + fixed team (old defaults)', env: { EDGE_CLASSIFY_NICE: '10', OMP_WAIT_POLICY: 'ACTIVE', EDGE_CLASSIFY_THREADS: String(os.availableParallelism()) }, kind: 'edge', lib: current },
    { impl: 'onnxruntime-node+sharp', env: {}, kind: 'ort' },
    { impl: 'transformers.js', env: {}, kind: 'transformers.js' },
  ];
  const olderBuilds: Config[] = previous
    .split(',')
    .filter(Boolean)
    .map((dir) => ({ impl: `previous build (${path.basename(dir)})`, env: {}, kind: 'edge' as const, lib: path.join(path.resolve(dir), 'dist', 'lib', 'index.js') }));
  configs.splice(3, 0, ...olderBuilds);
  const only = option('only', '');
  if (only) configs.splice(0, configs.length, ...configs.filter((c) => new RegExp(only).test(c.impl)));
  // a cgroup-like limit: the process given one core by taskset (no neighbours)
  const oneCore = os.availableParallelism() > 1 && spawnSync('taskset', ['-c', '0', 'true']).status === 0;
  // this build's first three (an older build kept by --only is among them: not twice), then each older build with and without threads: 1
  const oneCoreConfigs: Config[] = [...configs.slice(0, 3).filter((c) => !olderBuilds.includes(c)), ...olderBuilds.flatMap((b) => [b, { ...b, impl: `${b.impl}, threads: 1`, threads: 1 }])];
  const cases = [
    ...neighbourCounts.map((n) => ({ n, what: `${n} busy neighbour${n === 1 ? '' : 's'}`, prefix: [] as string[], configs })),
    ...(oneCore && !args.includes('--no-one-core') ? [{ n: 0, what: '1 core (taskset -c 0)', prefix: ['taskset', '-c', '0'], configs: oneCoreConfigs }] : []),
  ];
  const rows: Row[] = [];
  const policies: Record<string, unknown> = {};
  const teams: Record<string, unknown> = {};
  for (const modelName of models) {
    for (const { n, what, prefix, configs: these } of cases) {
      const measuredRuns = new Map<Config, Measured[]>();
      for (let run = 0; run < runs; run++) {
        for (const config of these) {
          const busy = neighbours(n, (seconds * 2 + 30) * 1000);
          try {
            const env = { ...process.env, ...config.env };
            const command = [...prefix, process.execPath, __filename, ...args, '--child', `${config.kind}|${modelName}|${config.lib ?? ''}|${config.threads ?? 0}`];
            const out = execFileSync(command[0], command.slice(1), { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'inherit'], timeout: 300_000 });
            const measured = JSON.parse(out.trim().split('\n').pop()!) as Measured;
            measuredRuns.set(config, [...(measuredRuns.get(config) ?? []), measured]);
            console.log(`${modelName}, ${what}, ${config.impl} (run ${run + 1}/${runs}): 1 caller p50 ${measured.one.medianMs.toFixed(1)} / p99 ${measured.one.p99Ms.toFixed(1)} ms; 16 callers p50 ${measured.many.medianMs.toFixed(1)} / p99 ${measured.many.p99Ms.toFixed(1)} ms, ${measured.manyImagesPerSecond.toFixed(0)} img/s, event loop p99 ${measured.manyEventLoopP99Ms.toFixed(2)} ms`);
          } catch (error) {
            console.log(`${config.impl} ${modelName} with ${what} failed: ${(error as Error).message.split('\n')[0]}`);
          } finally {
            for (const b of busy) b.kill('SIGKILL');
          }
        }
      }
      for (const config of these) {
        const all = measuredRuns.get(config);
        if (!all) continue;
        const first = all[0].policy;
        if (first && typeof first === 'object') {
          const { afterOneCaller: _one, afterManyCallers: _many, ...threads } = first as Record<string, unknown>;
          policies[config.impl] ??= threads;
        } else policies[config.impl] ??= first;
        teams[`${modelName}, ${what}, ${config.impl}`] = all.map((m) => {
          const p = m.policy as Record<string, unknown> | undefined;
          return p && typeof p === 'object' ? { afterOneCaller: p.afterOneCaller, afterManyCallers: p.afterManyCallers } : undefined;
        });
        rows.push({ case: `${what}, 1 caller`, impl: config.impl, model: `${modelName} cpu`, batch: 1, stats: medianOf(all.map((m) => m.one)), imagesPerSecond: 1000 / mid(all.map((m) => m.one.medianMs)) });
        rows.push({ case: `${what}, 16 callers`, impl: config.impl, model: `${modelName} cpu`, batch: 16, stats: medianOf(all.map((m) => m.many)), imagesPerSecond: mid(all.map((m) => m.manyImagesPerSecond)), eventLoopP99Ms: mid(all.map((m) => m.manyEventLoopP99Ms)) });
      }
    }
  }
  const ours = (r: Row) => (r.impl === 'edge-classify' ? undefined : rows.find((o) => o.impl === 'edge-classify' && o.case === r.case && o.model === r.model));
  writeResults(option('name', `contention-cpu${quick ? '-quick' : ''}`), 'edge-classify with busy neighbour processes (batch 1 from JPEG bytes)', rows, { seconds, runs, policies, teams }, ours);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
