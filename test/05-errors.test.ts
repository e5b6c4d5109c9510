// Every error code the native side can produce has a class, a README row and keeps its cause
// (issue 14). The codes are read from native/core/error.h, the rows from the README's error table.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as api from '../lib/index.mjs';
import { root } from './helpers';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { fromNative, NATIVE_CODES } = require('../dist/lib/errors.js') as typeof import('../lib/errors');

const nativeCodes = [...readFileSync(path.join(root, 'native', 'core', 'error.h'), 'utf8').matchAll(/return "(ERR_[A-Z_]+)"/g)].map((m) => m[1]);
const classes = Object.entries(api).filter(([, v]) => typeof v === 'function' && (v as { prototype?: unknown }).prototype instanceof api.EdgeClassifyError) as [string, new (m: string, o?: { cause?: unknown }) => api.EdgeClassifyError][];
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

describe('errors', () => {
  it('every native code is mapped to its own class (ERR_INVALID_ARGUMENT is the library\'s ERR_INVALID_OPTION)', () => {
    expect(new Set(nativeCodes)).toEqual(new Set(NATIVE_CODES));
    for (const code of nativeCodes) {
      const error = fromNative(Object.assign(new Error(`native ${code}`), { code }));
      expect(error.constructor).not.toBe(api.EdgeClassifyError);
      expect(error.code).toBe(code === 'ERR_INVALID_ARGUMENT' ? 'ERR_INVALID_OPTION' : code);
    }
    expect(fromNative(Object.assign(new Error('?'), { code: 'ERR_NOT_A_CODE' }))).toBeInstanceOf(api.InternalError);
    expect(fromNative('a string')).toBeInstanceOf(api.InternalError);
  });

  it('every class takes { cause }, keeps it, and has a row in the README', () => {
    expect(classes.length).toBeGreaterThanOrEqual(14);
    for (const [name, Class] of classes) {
      const cause = new Error('underneath');
      const error = new Class('message', { cause });
      expect(error.cause, name).toBe(cause);
      expect(error.name).toBe(name);
      expect(readme, `README row of ${name}`).toMatch(new RegExp(`\\| \`${name}\` \\| \`${error.code}\` \\|`));
    }
    const native = Object.assign(new Error('from C++'), { code: 'ERR_INFERENCE' });
    expect(fromNative(native).cause).toBe(native);
  });
});
