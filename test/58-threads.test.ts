// The thread policy (issue 12): compute threads follow the cores the process may use (affinity mask,
// cgroup quota) unless EDGE_CLASSIFY_THREADS says otherwise; the choices and their reasons are in
// buildInfo().threads; libtorch really runs that many threads (counted in /proc by a niceness only
// its threads have).
import { spawnSync } from 'node:child_process';
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

  it('EDGE_CLASSIFY_THREADS and OMP_WAIT_POLICY override the defaults; an invalid value is reported and ignored', () => {
    const three = probe({ EDGE_CLASSIFY_THREADS: '3', OMP_WAIT_POLICY: 'ACTIVE' });
    expect(three.policy).toMatchObject({ threads: 3, threadsFrom: 'EDGE_CLASSIFY_THREADS', waitPolicy: 'ACTIVE' });
    expect(three.marked).toBe(teamThreads(3));
    const r = spawnSync(process.execPath, ['-e', `console.log(JSON.stringify(require(${lib}).buildInfo().threads))`], { encoding: 'utf8', env: { ...process.env, EDGE_CLASSIFY_THREADS: 'many' } });
    expect(r.stderr).toMatch(/EDGE_CLASSIFY_THREADS='many' is not a whole number from 1 to 1024/);
    expect(JSON.parse(r.stdout).threadsFrom).toBe('cores');
  });
});
