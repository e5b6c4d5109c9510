// The command line through the real binary (issue 5): output formats, a directory of images,
// wildcards, exit codes, errors on stderr, info, bench, --help.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { digitsModel, root, scratch } from './helpers';

const bin = path.join(root, 'bin', 'edge-classify.js');
const samplesDir = path.join(root, 'samples');
const samples = readdirSync(samplesDir).sort();
const digitOf = (file: string) => /digit-(\d)-/.exec(file)![1];

function run(args: string[], cwd = root) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('edge-classify CLI', () => {
  it('classifies a directory as JSON (the default command and format)', () => {
    const r = run(['samples']);
    expect(r.code, r.stderr).toBe(0);
    const results = JSON.parse(r.stdout) as { top: string; image_path: string }[];
    expect(results).toHaveLength(samples.length);
    for (const res of results) expect(res.top).toBe(digitOf(res.image_path));
    expect(r.stderr).toMatch(new RegExp(`${samples.length} classified, 0 failed .* images/s`));
  });

  it('jsonl streams one result per line; csv and table have a header and one row per image', () => {
    const jsonl = run(['classify', 'samples', '--format', 'jsonl', '-q']);
    expect(jsonl.code).toBe(0);
    const lines = jsonl.stdout.trim().split('\n');
    expect(lines).toHaveLength(samples.length);
    for (const line of lines) expect(JSON.parse(line).prediction_type).toBe('ClassificationModel');
    expect(jsonl.stderr).toBe(''); // --quiet: no summary
    const top2 = run(['classify', 'samples', '--format', 'jsonl', '-q', '--top-k', '2']).stdout.trim().split('\n');
    top2.forEach((line, i) => expect(JSON.parse(line).predictions).toEqual(JSON.parse(lines[i]).predictions.slice(0, 2)));

    const csv = run(['classify', 'samples', '-f', 'csv', '-q']).stdout.trim().split('\n');
    expect(csv[0]).toBe('image,top,confidence');
    expect(csv).toHaveLength(samples.length + 1);
    for (const row of csv.slice(1)) {
      const [image, top, confidence] = row.split(',');
      expect(top).toBe(digitOf(image));
      expect(Number(confidence)).toBeGreaterThan(0.5);
    }
    const table = run(['classify', 'samples', '-f', 'table', '-q', '--batch', '3']).stdout.trim().split('\n');
    expect(table[0]).toMatch(/^image\s+top\s+confidence$/);
    expect(table).toHaveLength(samples.length + 1);
  });

  it('expands wildcards and walks nested directories', () => {
    const dir = path.join(scratch, 'tree');
    mkdirSync(path.join(dir, 'a', 'b'), { recursive: true });
    copyFileSync(path.join(samplesDir, samples[0]), path.join(dir, 'a', samples[0]));
    copyFileSync(path.join(samplesDir, samples[1]), path.join(dir, 'a', 'b', samples[1]));
    writeFileSync(path.join(dir, 'a', 'notes.txt'), 'not an image');
    const nested = run(['classify', dir, '-f', 'jsonl', '-q']);
    expect(nested.stdout.trim().split('\n')).toHaveLength(2);
    const glob = run(['classify', 'samples/*.png', '-f', 'jsonl', '-q']);
    expect(glob.stdout.trim().split('\n')).toHaveLength(samples.filter((s) => s.endsWith('.png')).length);
  });

  it('exit codes: 1 when an image fails (the others are still printed), 2 for bad usage', () => {
    const partial = run(['classify', 'samples/digit-0-1.png', 'missing.png', '-f', 'jsonl']);
    expect(partial.code).toBe(1);
    expect(partial.stdout.trim().split('\n')).toHaveLength(1);
    expect(partial.stderr).toMatch(/'missing.png' does not exist/);
    const corrupt = path.join(scratch, 'corrupt.png');
    writeFileSync(corrupt, readFileSync(path.join(samplesDir, samples[0])).subarray(0, 60));
    const bad = run(['classify', corrupt, path.join(samplesDir, samples[0]), '-f', 'jsonl']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/corrupt\.png/);
    for (const args of [['classify', 'samples', '--format', 'xml'], ['classify', 'samples', '--batch', '0'], ['classify', 'samples', '--confidence', '2'], ['classify', 'samples', '--top-k', '0'], ['classify', '--nope'], ['classify'], [], ['serve', '--port', 'x']]) {
      const r = run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.length, args.join(' ')).toBeGreaterThan(0);
    }
    const noModel = run(['classify', 'samples', '--model', path.join(scratch, 'nope.torchscript')]);
    expect(noModel.code).toBe(1);
    expect(noModel.stderr).toMatch(/nope\.torchscript/);
  });

  it('draws a progress bar with rate and ETA on a terminal (and not into a pipe)', { skip: !existsSync('/usr/bin/script') && 'no script(1) to make a terminal' }, () => {
    const tty = spawnSync('script', ['-qec', `${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} classify samples -f jsonl --batch 1`, '/dev/null'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    expect(tty.status).toBe(0);
    expect(tty.stdout).toMatch(/\[#+\.*\] \d+\/\d+ +[\d.]+ img\/s +ETA/);
    expect(run(['classify', 'samples', '-f', 'jsonl']).stderr).not.toMatch(/ETA/);
  });

  it('--help works for every command and exits 0', () => {
    for (const args of [['--help'], ['classify', '--help'], ['serve', '--help'], ['info', '--help'], ['bench', '--help'], ['build-engine', '--help']]) {
      const r = run(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/Usage: edge-classify/);
    }
  });

  it('info prints the model, its metadata, backend, device and build', () => {
    const r = run(['info', digitsModel]);
    expect(r.code, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.metadata.class_names).toHaveLength(10);
    expect(info.metadata.input).toEqual({ width: 32, height: 32 });
    expect(info.backend).toBe('torch');
    expect(info.device).toBe('cpu');
    expect(info.numClasses).toBe(10);
    expect(typeof info.build.torch).toBe('string');
  });

  it('bench writes JSON, Markdown and a chart with the sharp + JS peer beside it', () => {
    const out = path.join(scratch, 'bench');
    const r = run(['bench', '--quick', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    for (const ext of ['json', 'md', 'svg']) expect(existsSync(path.join(out, `bench.${ext}`)), ext).toBe(true);
    const json = JSON.parse(readFileSync(path.join(out, 'bench.json'), 'utf8'));
    const impls = new Set(json.rows.map((row: { impl: string }) => row.impl));
    expect(impls).toEqual(new Set(['edge-classify', 'sharp + JS preprocessing, same model']));
    expect(r.stdout).toMatch(/\| classify JPEG bytes \|/);
  });
});
