// The public types do their job (issue 14): test/types/results.ts compiles, with its
// @ts-expect-error lines being real type errors. A wrong type makes tsc fail with its message.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect, it } from 'vitest';
import { root } from './helpers';

it('classify() results are typed by the model\'s task, without casts (tsc on test/types/)', () => {
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'test', 'types', 'tsconfig.json')], { encoding: 'utf8' });
  expect(r.stdout + r.stderr).toBe('');
  expect(r.status).toBe(0);
});
