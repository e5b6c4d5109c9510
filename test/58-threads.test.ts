// The thread policy (issue 12): compute threads follow the cores the process may use (affinity mask,
// cgroup quota) unless EDGE_CLASSIFY_THREADS says otherwise; the choices and their reasons are in
// buildInfo().threads; libtorch really runs that many threads (counted in /proc by a niceness only
// its threads have).
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureModel, root } from './helpers';

const lib = JSON.stringify(path.join(root, 'dist', 'lib', 'index.js'));
const MARK = 7; // a niceness that only the torch thread and the threads it starts get
// Threads at that niceness for a team of n: the torch thread and its n - 1 OpenMP workers, plus one more
// libtorch thread with a team of its own, started on the first forward pass (observed with torch
// 2.13: 2n - 1 for n = 1, 2, 3; idle between calls).
const teamThreads = (n: number) => 2 * n - 1;

/** buildInfo().threads and the number of threads at niceness MARK after one classify(), in a child process. */
function probe(env: Record<string, string>, prefix: string[] = []) {
  const script = `const fs = require('fs'); const { loadModel, buildInfo } = require(${lib});
    loadModel(${JSON.stringify(fixtureModel('resnet18.torchscript'))}, { device: 'cpu' }).then(async (m) => {
      const frame = { data: new Uint8Array(224 * 224 * 3), width: 224, height: 224, channels: 3 };
      await m.classify(frame);
      const nice = (t) => Number(fs.readFileSync('/proc/self/task/' + t + '/stat', 'utf8').split(') ')[1].split(' ')[16]);
      const marked = fs.readdirSync('/proc/self/task').filter((t) => nice(t) === nice(process.pid) + ${MARK}).length;
      console.log(JSON.stringify({ policy: buildInfo().threads, marked, wait: process.env.OMP_WAIT_POLICY }));
      await m.dispose();
    });`;
  const command = [...prefix, process.execPath, '-e', script];
  const r = spawnSync(command[0], command.slice(1), { encoding: 'utf8', timeout: 120_000, env: { ...process.env, EDGE_CLASSIFY_NICE: String(MARK), ...env } });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { policy: Record<string, unknown>; marked: number; wait?: string };
}

const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
/** The cgroup v1 cpu controller's mount when this process may make cgroups there (root on a cgroup v1 host), else undefined. */
const v1Cpu = (() => {
  const mount = '/sys/fs/cgroup/cpu';
  if (!existsSync(path.join(mount, 'cpu.cfs_quota_us')) || readFileSync('/proc/self/cgroup', 'utf8').match(/^\d+:[^:]*\bcpu\b[^:]*:(.*)$/m)?.[1] !== '/') return undefined;
  try {
    accessSync(mount, constants.W_OK);
    return mount;
  } catch {
    return undefined;
  }
})();
const cores = spawnSync('nproc', [], { encoding: 'utf8' }).stdout.trim();

describe('thread policy', () => {
  it('uses one compute thread per core the process may use, and says why', () => {
    const { policy, marked, wait } = probe({});
    expect(policy).toMatchObject({ threads: Number(cores), threadsFrom: 'cores', niceness: MARK, nicenessFrom: 'EDGE_CLASSIFY_NICE', waitPolicy: 'default' });
    expect(['affinity', 'cgroup v2 cpu.max', 'cgroup v1 cfs quota']).toContain(policy.coresFrom);
    expect(wait).toBeUndefined();
    expect(marked).toBe(teamThreads(Number(cores)));
  });

  it.runIf(hasTaskset)('under taskset -c 0 (one core), one thread: the count follows the affinity mask', () => {
    const { policy, marked } = probe({}, ['taskset', '-c', '0']);
    expect(policy).toMatchObject({ cores: 1, coresFrom: 'affinity', threads: 1, threadsFrom: 'cores' });
    expect(marked).toBe(teamThreads(1));
  });

  it.runIf(v1Cpu)('in a cgroup whose parent has a CPU quota of one core (cgroup v1 cfs quota), one thread', () => {
    // the quota sits on the parent, as systemd's slices and container runtimes set it: the walk up the hierarchy finds it
    const parent = path.join(v1Cpu!, `edge-classify-test-${process.pid}`);
    const leaf = path.join(parent, 'leaf');
    mkdirSync(leaf, { recursive: true });
    try {
      writeFileSync(path.join(parent, 'cpu.cfs_period_us'), '100000');
      writeFileSync(path.join(parent, 'cpu.cfs_quota_us'), '100000');
      const { policy, marked } = probe({}, ['sh', '-c', `echo $$ > ${path.join(leaf, 'cgroup.procs')} && exec "$0" "$@"`]);
      expect(policy).toMatchObject({ cores: 1, coresFrom: 'cgroup v1 cfs quota', threads: 1, threadsFrom: 'cores', adaptive: false, team: 1 });
      expect(marked).toBe(teamThreads(1));
    } finally {
      rmdirSync(leaf);
      rmdirSync(parent);
    }
  });

  it('EDGE_CLASSIFY_THREADS and OMP_WAIT_POLICY override the defaults; an invalid value is reported and ignored', () => {
    const three = probe({ EDGE_CLASSIFY_THREADS: '3', OMP_WAIT_POLICY: 'ACTIVE' });
    expect(three.policy).toMatchObject({ threads: 3, threadsFrom: 'EDGE_CLASSIFY_THREADS', waitPolicy: 'ACTIVE' });
    expect(three.marked).toBe(teamThreads(3));
    const r = spawnSync(process.execPath, ['-e', `console.log(JSON.stringify(require(${lib}).buildInfo().threads))`], { encoding: 'utf8', env: { ...process.env, EDGE_CLASSIFY_THREADS: 'many' } });
    expect(r.stderr).toMatch(/EDGE_CLASSIFY_THREADS='many' is not a whole number from 1 to 1024/);
    expect(JSON.parse(r.stdout).threadsFrom).toBe('cores');
  });

  it("the JS thread asks for a 0.1 ms time slice by default, EDGE_CLASSIFY_JS_SLICE_US for another or none; its niceness kept", () => {
    // what the kernel has for the JS thread, read back from /proc (se.slice, in ns) where the kernel shows it
    const script = `const t = require(${lib}).buildInfo().threads; const sched = require('fs').readFileSync('/proc/thread-self/sched', 'utf8');
      console.log(JSON.stringify({ us: t.jsSliceUs, from: t.jsSliceFrom, slice: (/se\\.slice\\s*:\\s*(\\d+)/.exec(sched) || [])[1], nice: require('os').getPriority() }))`;
    const run = (env: Record<string, string>, nice = 0) => {
      const r = spawnSync('nice', ['-n', String(nice), process.execPath, '-e', script], { encoding: 'utf8', env: { ...process.env, ...env } });
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { us: number; from: string; slice?: string; nice: number };
    };
    const byDefault = run({}, 5);
    expect(byDefault).toMatchObject({ us: 100, from: 'default', nice: 5 }); // the niceness is kept
    const off = run({ EDGE_CLASSIFY_JS_SLICE_US: '0' });
    expect(off).toMatchObject({ us: 0, from: 'EDGE_CLASSIFY_JS_SLICE_US' });
    const other = run({ EDGE_CLASSIFY_JS_SLICE_US: '500' });
    expect(other).toMatchObject({ us: 500, from: 'EDGE_CLASSIFY_JS_SLICE_US' });
    if (byDefault.slice !== undefined) {
      expect(Number(byDefault.slice)).toBe(100_000);
      expect(Number(other.slice)).toBe(500_000);
      expect(Number(off.slice)).not.toBe(100_000);
    }
    expect(run({ EDGE_CLASSIFY_JS_SLICE_US: 'fast' }).from).toMatch(/not 0\.\.100000: left alone/);
  });
});

/** A busy process's script: spins until it is killed, its parent ends, or ten minutes at the latest. */
const BUSY = 'const parent = process.ppid, end = Date.now() + 600000; while (Date.now() < end && process.ppid === parent) {}';
/** Busy processes, one per core. */
function neighbours(count: number) {
  return Array.from({ length: count }, () => spawn(process.execPath, ['-e', BUSY], { stdio: 'ignore' }));
}
// These tests run on crowded cores, where a call takes 2-20x its usual time (more on a loaded CI machine):
// they are bounded by counts of calls, and the time limit only guards against a hang.
const CROWDED_TIMEOUT = 600_000;

/**
 * In a child: classify in a loop until buildInfo().threads.team is `team` (at most `calls` calls), then print the state.
 * Bounded by a count of calls, not by time: a slow machine takes longer, never fails for it.
 */
function untilTeam(team: number, calls: number, env: Record<string, string> = {}) {
  const script = `const { loadModel, buildInfo } = require(${lib});
    loadModel(${JSON.stringify(fixtureModel('mobilenet_v3_small.torchscript'))}, { device: 'cpu' }).then(async (m) => {
      const frame = { data: new Uint8Array(224 * 224 * 3).fill(90), width: 224, height: 224, channels: 3 };
      let n = 0;
      for (; n < ${calls} && !(n > 0 && buildInfo().threads.team === ${team}); n++) await m.classify(frame);
      console.log(JSON.stringify({ ...buildInfo().threads, calls: n }));
      await m.dispose();
    });`;
  return new Promise<Record<string, number | boolean>>((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(`child exited with ${code}`))));
  });
}

describe.runIf(Number(cores) > 1)('the compute team follows the cores other work leaves free', () => {
  it('shrinks to one thread while busy processes take every core, and stays at its size with EDGE_CLASSIFY_THREADS', async () => {
    const busy = neighbours(Number(cores));
    try {
      const crowded = await untilTeam(1, 3000);
      expect(crowded).toMatchObject({ adaptive: true, team: 1 });
      expect(crowded.teamChanges).toBeGreaterThanOrEqual(1);
      expect(crowded.takenCores).toBeGreaterThan(0.5);
      // a fixed team on the same crowded cores, for more calls than the adaptive one needed to shrink (each
      // at least as long: the team keeps its size), never changes
      const calls = Math.max(20, 2 * Number(crowded.calls));
      const fixed = await untilTeam(1, calls, { EDGE_CLASSIFY_THREADS: cores });
      expect(fixed).toMatchObject({ adaptive: false, team: Number(cores), teamChanges: 0, calls });
    } finally {
      for (const b of busy) b.kill('SIGKILL');
    }
  }, CROWDED_TIMEOUT);

  it('grows back to every core when they are free', async () => {
    // the child starts crowded (its team shrinks), then the neighbours go and it must grow back
    const script = `const { loadModel, buildInfo } = require(${lib});
      const { spawn } = require('child_process');
      const busy = Array.from({ length: ${cores} }, () => spawn(process.execPath, ['-e', ${JSON.stringify(BUSY)}], { stdio: 'ignore' }));
      loadModel(${JSON.stringify(fixtureModel('mobilenet_v3_small.torchscript'))}, { device: 'cpu' }).then(async (m) => {
        const frame = { data: new Uint8Array(224 * 224 * 3).fill(90), width: 224, height: 224, channels: 3 };
        let n = 0;
        for (; n < 3000 && buildInfo().threads.team !== 1; n++) await m.classify(frame);
        const shrunk = buildInfo().threads.team;
        for (const b of busy) b.kill('SIGKILL');
        for (n = 0; n < 3000 && buildInfo().threads.team !== ${cores}; n++) await m.classify(frame);
        console.log(JSON.stringify({ shrunk, ...buildInfo().threads }));
        await m.dispose();
      });`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: CROWDED_TIMEOUT - 10_000 });
    expect(r.status, r.stderr).toBe(0);
    const state = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(state).toMatchObject({ shrunk: 1, team: Number(cores), adaptive: true });
    expect(state.teamChanges).toBeGreaterThanOrEqual(2);
  }, CROWDED_TIMEOUT);
});

// The torch thread's two lanes: CPU batches run at normal priority while other processes use the cores,
// below it (the quiet lane) while they do not, so that this process's own JS and decoding threads preempt
// the compute team at once. Which lane ran the batches shows in the niceness of the threads they started:
// the quiet lane's OpenMP team exists only once batches ran there.
describe('the quiet lane', () => {
  const threadsWith = (env: Record<string, string>) => {
    const r = spawnSync(process.execPath, ['-e', `console.log(JSON.stringify(require(${lib}).buildInfo().threads))`], { encoding: 'utf8', env: { ...process.env, ...env } });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  };

  it('is at nice +10 by default; EDGE_CLASSIFY_QUIET_NICE sets it; EDGE_CLASSIFY_NICE alone leaves one lane', () => {
    const defaults = threadsWith({ EDGE_CLASSIFY_NICE: '', EDGE_CLASSIFY_QUIET_NICE: '' });
    expect(defaults).toMatchObject({ niceness: 0, nicenessFrom: 'default', quietNiceness: 10, quietNicenessFrom: 'default', lane: 'normal', othersCores: null, laneChanges: 0 });
    expect(typeof defaults.quietLane).toBe('boolean'); // false only where /proc cannot be read
    expect(threadsWith({ EDGE_CLASSIFY_QUIET_NICE: '7' })).toMatchObject({ quietNiceness: 7, quietNicenessFrom: 'EDGE_CLASSIFY_QUIET_NICE' });
    expect(threadsWith({ EDGE_CLASSIFY_NICE: '5' })).toMatchObject({ niceness: 5, quietNiceness: 5, quietNicenessFrom: 'EDGE_CLASSIFY_NICE', quietLane: false });
    // a quiet lane not below the normal one is no lane
    expect(threadsWith({ EDGE_CLASSIFY_NICE: '5', EDGE_CLASSIFY_QUIET_NICE: '3' })).toMatchObject({ niceness: 5, quietNiceness: 5, quietLane: false });
    expect(threadsWith({ EDGE_CLASSIFY_QUIET_NICE: '0' })).toMatchObject({ quietNiceness: 0, quietLane: false });
    // an invalid value is reported and the default kept
    const r = spawnSync(process.execPath, ['-e', `console.log(JSON.stringify(require(${lib}).buildInfo().threads))`], { encoding: 'utf8', env: { ...process.env, EDGE_CLASSIFY_QUIET_NICE: 'loud' } });
    expect(r.stderr).toMatch(/EDGE_CLASSIFY_QUIET_NICE='loud' is not a whole number from 0 to 19; using 10/);
    expect(JSON.parse(r.stdout)).toMatchObject({ quietNiceness: 10, quietNicenessFrom: 'default' });
  });

  it.runIf(Number(cores) > 1)(
    'batches run on the normal lane while other processes keep the cores busy, on the quiet lane once they are gone',
    () => {
      const script = `const fs = require('fs'); const { spawn } = require('child_process'); const { loadModel, buildInfo } = require(${lib});
      const nice = (t) => Number(fs.readFileSync('/proc/self/task/' + t + '/stat', 'utf8').split(') ')[1].split(' ')[16]);
      const marked = () => fs.readdirSync('/proc/self/task').filter((t) => nice(t) === nice(process.pid) + ${MARK}).length;
      const normal = () => fs.readdirSync('/proc/self/task').filter((t) => nice(t) === nice(process.pid)).length;
      const busy = Array.from({ length: ${cores} }, () => spawn(process.execPath, ['-e', ${JSON.stringify(BUSY)}], { stdio: 'ignore' }));
      loadModel(${JSON.stringify(fixtureModel('mobilenet_v3_small.torchscript'))}, { device: 'cpu' }).then(async (m) => {
        const frame = { data: new Uint8Array(224 * 224 * 3).fill(90), width: 224, height: 224, channels: 3 };
        let n = 0;
        for (; n < 3000 && !(n >= 20 && buildInfo().threads.othersCores > 0.5); n++) await m.classify(frame);
        const crowded = { ...buildInfo().threads, marked: marked(), normal: normal(), calls: n };
        for (const b of busy) b.kill('SIGKILL');
        for (n = 0; n < 3000 && !(buildInfo().threads.lane === 'quiet' && buildInfo().threads.team === ${cores}); n++) await m.classify(frame);
        for (let i = 0; i < 5; i++) await m.classify(frame); // batches on the quiet lane with the whole team
        console.log(JSON.stringify({ crowded, quiet: { ...buildInfo().threads, marked: marked(), normal: normal(), calls: n } }));
        await m.dispose();
      });`;
      const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: CROWDED_TIMEOUT - 10_000, env: { ...process.env, EDGE_CLASSIFY_QUIET_NICE: String(MARK) } });
      expect(r.status, r.stderr).toBe(0);
      const { crowded, quiet } = JSON.parse(r.stdout.trim().split('\n').pop()!);
      expect(crowded).toMatchObject({ quietLane: true, quietNiceness: MARK, lane: 'normal' });
      expect(crowded.othersCores).toBeGreaterThan(0.5);
      // the quiet lane's thread alone is at +MARK: every batch so far started its threads at normal priority
      expect(crowded.marked).toBe(1);
      expect(quiet).toMatchObject({ lane: 'quiet', team: Number(cores) });
      expect(quiet.othersCores).toBeLessThan(0.1);
      expect(quiet.laneChanges).toBeGreaterThanOrEqual(1);
      // and now its OpenMP team too: the batches ran on the quiet lane
      expect(quiet.marked).toBeGreaterThanOrEqual(Number(cores));
      // the normal lane freed its OpenMP team when it handed over (an idle team makes libgomp spin less in the other)
      expect(quiet.normal).toBeLessThan(crowded.normal);
    },
    CROWDED_TIMEOUT,
  );
});
