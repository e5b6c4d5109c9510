// The TypeScript layer's shape (issue 14), checked on the source: every file says what it is for, no
// file over ~300 lines without a reason at its top, no import cycles, the CLI's shared module imports
// no command, benchmark code stays under benchmarks/, and the README's Layout names every folder.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from './helpers';

const lib = path.join(root, 'lib');
function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? walk(full) : name.endsWith('.ts') && !name.endsWith('.d.ts') ? [full] : [];
  });
}
const files = walk(lib);
const rel = (f: string) => path.relative(root, f);
const source = new Map(files.map((f) => [f, readFileSync(f, 'utf8')]));

/** The lib/ files a file imports for their values (type-only imports are erased: they cannot form a cycle). */
function valueImports(file: string): string[] {
  const out: string[] = [];
  for (const m of source.get(file)!.matchAll(/^(?:import|export)\s+(type\s+)?([^;]*?)\s*from\s+'(\.[^']+)'/gms)) {
    if (m[1]) continue;
    const names = m[2].replace(/^\{|\}$/g, '').split(',').map((n) => n.trim()).filter(Boolean);
    if (m[2].startsWith('{') && names.every((n) => n.startsWith('type '))) continue;
    const target = path.resolve(path.dirname(file), m[3]);
    const resolved = [`${target}.ts`, path.join(target, 'index.ts')].find((c) => source.has(c));
    if (resolved) out.push(resolved);
  }
  return out;
}

describe('lib/ layout', () => {
  it('every file opens with a comment saying what it is for', () => {
    for (const [file, text] of source) expect(/^(\/\*\*|\/\/)/.test(text), rel(file)).toBe(true);
  });

  it('no file is over 300 lines unless its opening comment says why', () => {
    for (const [file, text] of source) {
      const lines = text.split('\n').length;
      const opening = text.slice(0, text.indexOf('*/') + 2);
      if (lines > 300) expect(opening, `${rel(file)}: ${lines} lines`).toMatch(/over 300 lines/);
    }
  });

  it('no import cycles', () => {
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (file: string, trail: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...trail.slice(trail.indexOf(file)), file].map(rel).join(' -> '));
        return;
      }
      state.set(file, 'open');
      for (const next of valueImports(file)) visit(next, [...trail, file]);
      state.set(file, 'done');
    };
    for (const file of files) visit(file, []);
    expect(cycles).toEqual([]);
  });

  it('the CLI: args.ts imports no command, no command imports main.ts', () => {
    const cli = path.join(lib, 'cli');
    expect(valueImports(path.join(cli, 'args.ts')).filter((f) => f.startsWith(cli))).toEqual([]);
    for (const f of files.filter((f) => f.startsWith(cli) && !f.endsWith('main.ts'))) expect(valueImports(f), rel(f)).not.toContain(path.join(cli, 'main.ts'));
  });

  it('benchmark plumbing lives in benchmarks/: only the bench command imports it', () => {
    for (const [file, text] of source) {
      if (file.endsWith(path.join('cli', 'bench.ts'))) continue;
      expect(text, rel(file)).not.toMatch(/from '(\.\.\/)+benchmarks\//);
    }
  });

  it("the README's Layout section names every folder of lib/", () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const layout = readme.slice(readme.indexOf('## Layout'), readme.indexOf('\n## ', readme.indexOf('## Layout') + 5));
    const folders = [...new Set(files.map((f) => path.relative(lib, path.dirname(f))).filter(Boolean))];
    for (const folder of folders) expect(layout, folder).toContain(`${folder}/`);
  });
});
