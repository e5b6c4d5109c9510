/**
 * HTTP load benchmark (issue 5): autocannon posts a base64 image, as Roboflow's clients do, to
 * `edge-classify serve` (the real binary, in its own process) with dynamic batching on and off,
 * and to a peer server (benchmarks/peer-server.ts: fastify + sharp + JS normalisation + the same
 * model), at 1 and 64 connections for 8 s each (thousands of requests): requests/s, p50/p99 latency,
 * and every failure counted (the run fails if any request fails).
 * Usage: node dist/benchmarks/server.js [--quick] [--model path] [--previous <checkout of an older build>]
 *   (needs `npm --prefix benchmarks run setup`; --previous adds that build's `serve` with batching)
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { type Row, writeResults } from './lib/report';
import { startServer } from './lib/processes';

const root = path.resolve(__dirname, '..', '..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const model = args.includes('--model') ? args[args.indexOf('--model') + 1] : path.join(root, 'models', 'digits.torchscript');
const image = path.join(root, 'samples', 'digit-7-6.png');
const previous = args.includes('--previous') ? path.resolve(args[args.indexOf('--previous') + 1]) : undefined;

interface Result {
  latency: { p50: number; p99: number; min: number };
  requests: { total: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  '2xx': number;
}
type Autocannon = (options: Record<string, unknown>) => Promise<Result>;

async function main() {
  const autocannon = createRequire(path.join(root, 'benchmarks', 'package.json'))('autocannon') as Autocannon;
  const body = (await import('node:fs')).readFileSync(image).toString('base64');
  const servers: [string, string[]][] = [
    ['edge-classify serve, batching', [path.join(root, 'bin', 'edge-classify.js'), 'serve', '-p', '0', '-m', `m/1=${model}`]],
    ['edge-classify serve, no batching', [path.join(root, 'dist', 'benchmarks', 'batching-off.js'), model]],
    ['fastify + sharp + JS + same model', [path.join(root, 'dist', 'benchmarks', 'peer-server.js'), model]],
    ...(previous ? [[`previous build (${path.basename(previous)}), batching`, [path.join(previous, 'bin', 'edge-classify.js'), 'serve', '-p', '0', '-m', `m/1=${model}`]] as [string, string[]]] : []),
  ];
  const rows: Row[] = [];
  let failures = 0;
  for (const [impl, command] of servers) {
    const { url, child } = await startServer(command);
    for (const connections of [1, 64]) {
      const options = { url: `${url}/m/1`, method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body, connections };
      await autocannon({ ...options, amount: 200 }); // warm-up
      // a fixed duration: autocannon ends an `amount` run on its one-second tick, which skews rates
      const seconds = quick ? 3 : 8;
      const r = await autocannon({ ...options, duration: seconds });
      const failed = r.non2xx + r.errors + r.timeouts;
      failures += failed;
      rows.push({
        case: `HTTP POST, ${connections} connection(s)`,
        impl,
        model: path.basename(model),
        batch: connections,
        stats: { runs: r.requests.total, medianMs: r.latency.p50, p99Ms: r.latency.p99, minMs: r.latency.min },
        imagesPerSecond: r['2xx'] / seconds,
      });
      console.log(`${impl}, ${connections} connections: ${(r['2xx'] / seconds).toFixed(0)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, ${r['2xx']} ok, ${failed} failed`);
    }
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
  const ours = (r: Row) => rows.find((o) => o.impl === 'edge-classify serve, batching' && o.batch === r.batch);
  const name = args.includes('--model') ? `server-${path.basename(model).replace(/\.[^.]+$/, '')}` : 'server';
  writeResults(name, `edge-classify serve under HTTP load (${path.basename(model)})`, rows, { failures },
    (r) => (r.impl === 'edge-classify serve, batching' ? undefined : ours(r)));
  if (failures > 0) {
    console.error(`${failures} requests failed`);
    process.exitCode = 1;
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
