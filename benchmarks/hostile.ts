/**
 * Hostile-load benchmark (issue 13), loopback only and bounded in time: normal clients (4 callers
 * posting a digit as Roboflow's clients do, with the key) against `edge-classify serve`, first alone
 * ("quiet"), then while three attackers run at once in another process ("under attack"):
 *  - a no-key flood: 8 connections posting 20 MB JSON bodies (`[[[…`) without a key;
 *  - a decode bomb: 2 connections posting lists of four 40,000,000×1 PNGs (116 KB each) with the key;
 *  - long prompts: 2 connections posting /clip/compare with a new 300,000-letter prompt each time, with the key.
 * The same for an older build (`--previous <checkout>`), measured in the same run. Rows: the normal
 * clients' p50/p99 per phase, the ratio against the quiet phase of the same build, the server's peak
 * RSS. Usage: node dist/benchmarks/hostile.js [--seconds 8] [--previous <checkout of an older build>]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { closedLoop } from './lib/load';
import { startServer, zeroPng } from './lib/processes';
import { type Row, writeResults } from './lib/report';

const root = path.resolve(__dirname, '..', '..');
const args = process.argv.slice(2);
const option = (name: string, fallback: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback);
const seconds = Number(option('seconds', '8'));
const previous = option('previous', '');
const KEY = 'bench-key';
const clipPackage = path.join(root, 'test', '.fixtures', 'clip', 'tiny');

/** In a child: the three attackers against `url` for `seconds`, each request bounded by a 60 s abort. */
async function attack(url: string): Promise<void> {
  const end = Date.now() + seconds * 1000;
  const flood = Buffer.from('['.repeat(20 << 20));
  const wide = zeroPng(40_000_000, 1).toString('base64');
  const bomb = JSON.stringify({ api_key: KEY, model_id: 'digits/1', image: Array.from({ length: 4 }, () => ({ type: 'base64', value: wide })) });
  const sample = readFileSync(path.join(root, 'samples', 'digit-7-6.png')).toString('base64');
  // a new 300,000-letter prompt each time (seeded), so that no cache answers it
  let seed = 1;
  const letters = () => Array.from({ length: 300_000 }, () => String.fromCharCode(97 + ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) % 26)).join('');
  const prompt = () => JSON.stringify({ api_key: KEY, subject: { type: 'base64', value: sample }, prompt: ['a cat', letters()] });
  const statuses: Record<string, Record<string, number>> = { flood: {}, bomb: {}, prompt: {} };
  const loop = async (kind: string, post: () => Promise<Response>) => {
    while (Date.now() < end) {
      const status = await post().then(
        async (r) => {
          await r.arrayBuffer().catch(() => undefined);
          return String(r.status);
        },
        (error: Error) => error.name,
      );
      statuses[kind][status] = (statuses[kind][status] ?? 0) + 1;
    }
  };
  const json = { 'content-type': 'application/json' };
  const signal = () => AbortSignal.timeout(60_000);
  process.stdout.write('attacking\n');
  await Promise.all([
    ...Array.from({ length: 8 }, () => loop('flood', () => fetch(`${url}/infer/classification`, { method: 'POST', headers: json, body: flood, signal: signal() }))),
    ...Array.from({ length: 2 }, () => loop('bomb', () => fetch(`${url}/infer/classification`, { method: 'POST', headers: json, body: bomb, signal: signal() }))),
    ...Array.from({ length: 2 }, () => loop('prompt', () => fetch(`${url}/clip/compare`, { method: 'POST', headers: json, body: prompt(), signal: signal() }))),
  ]);
  process.stdout.write(`${JSON.stringify(statuses)}\n`);
}

const serve = (bin: string) => startServer([bin, 'serve', '-p', '0', '-k', KEY, '-m', `digits/1=${path.join(root, 'models', 'digits.torchscript')}`, '--clip', clipPackage]);

const peakMiB = (pid: number) => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

async function main() {
  if (args.includes('--attacker')) return attack(option('attacker', ''));
  const builds = [{ impl: 'edge-classify', bin: path.join(root, 'bin', 'edge-classify.js') }];
  if (previous) builds.push({ impl: `previous build (${path.basename(previous)})`, bin: path.join(path.resolve(previous), 'bin', 'edge-classify.js') });
  const sample = readFileSync(path.join(root, 'samples', 'digit-7-6.png')).toString('base64');
  const rows: Row[] = [];
  const peaks: Record<string, number> = {};
  const failures: Record<string, number> = {};
  const attacks: Record<string, unknown> = {}; // the attackers' answers by status
  for (const { impl, bin } of builds) {
    const server = await serve(bin);
    try {
      let failed = 0; // normal requests that did not get 200 (counted, the load goes on)
      const normal = () =>
        fetch(`${server.url}/digits/1?api_key=${KEY}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: sample, signal: AbortSignal.timeout(120_000) }).then(
          async (r) => {
            await r.arrayBuffer();
            if (r.status !== 200) failed++;
          },
          () => void failed++,
        );
      const quiet = await closedLoop(4, normal, seconds);
      failures[`${impl}, quiet`] = failed;
      failed = 0;
      // the attack runs a little longer than the measurement, which starts once it is under way
      const attacker = spawn(process.execPath, [__filename, '--seconds', String(seconds + 2), '--attacker', server.url], { stdio: ['ignore', 'pipe', 'inherit'] });
      let said = '';
      attacker.stdout!.on('data', (d) => (said += d));
      await new Promise<void>((resolve, reject) => {
        attacker.stdout!.on('data', () => said.includes('attacking') && resolve());
        attacker.once('exit', (code) => reject(new Error(`the attacker exited with ${code}`)));
      });
      await new Promise((r) => setTimeout(r, 500));
      const attacked = await closedLoop(4, normal, seconds);
      const attackerDone = new Promise<void>((r) => attacker.once('exit', () => r()));
      await Promise.race([attackerDone, new Promise((r) => setTimeout(r, 70_000))]);
      attacker.kill('SIGKILL');
      const last = said.trim().split('\n').pop() ?? '';
      attacks[impl] = last.startsWith('{') ? JSON.parse(last) : {}; // {} when it was stopped before it reported
      failures[`${impl}, under attack`] = failed;
      peaks[impl] = peakMiB(server.child.pid!);
      rows.push({ case: 'quiet, 4 normal callers', impl, model: 'digits', batch: 1, stats: quiet.latency, imagesPerSecond: quiet.imagesPerSecond });
      rows.push({ case: 'under attack, 4 normal callers', impl, model: 'digits', batch: 1, stats: attacked.latency, imagesPerSecond: attacked.imagesPerSecond });
      console.log(`${impl}: quiet p50 ${quiet.latency.medianMs.toFixed(1)} / p99 ${quiet.latency.p99Ms.toFixed(1)} ms; under attack p50 ${attacked.latency.medianMs.toFixed(1)} / p99 ${attacked.latency.p99Ms.toFixed(1)} ms (${attacked.latency.runs} calls); server peak RSS ${peaks[impl].toFixed(0)} MiB; normal requests failed: ${failures[`${impl}, quiet`]} quiet, ${failed} under attack; attackers got ${JSON.stringify(attacks[impl])}`);
    } finally {
      server.child.kill('SIGKILL');
    }
  }
  // the ratio of each row: against the quiet phase of the same build
  const quietOf = (r: Row) => (r.case.startsWith('quiet') ? undefined : rows.find((o) => o.impl === r.impl && o.case.startsWith('quiet')));
  const p99VsQuiet = Object.fromEntries(rows.filter((r) => quietOf(r)).map((r) => [r.impl, r.stats.p99Ms / quietOf(r)!.stats.p99Ms]));
  for (const [impl, ratio] of Object.entries(p99VsQuiet)) console.log(`${impl}: normal clients' p99 under attack = ${ratio.toFixed(2)}x the quiet p99`);
  writeResults('hostile-cpu', 'edge-classify serve: normal clients while a no-key flood, a decode bomb and long prompts run (loopback)', rows, { seconds, peakRssMiB: peaks, normalFailures: failures, attackerStatuses: attacks, p99VsQuiet }, quietOf, undefined, 'median vs quiet (same build)');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
