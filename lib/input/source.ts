/**
 * Any accepted input -> encoded bytes or raw pixels, before any decoding: Buffer / Uint8Array,
 * `{ path }`, `{ base64 }`, raw pixels, or a bare string (base64 when it parses as base64, else a path).
 */
import { promises as fs } from 'node:fs';
import type { NativeFrame } from '../native/binding';
import { DecodeError, InvalidOptionError } from '../errors';
import type { ImageInput } from '../types';
import { invalid, isPlainObject } from '../options/validate';
import { dataOrBase64, isBase64 } from './base64';
import { rawFrame } from './raw';

/** An input resolved to bytes or pixels, before any decoding. */
export type Source =
  | { kind: 'encoded'; bytes: Uint8Array; name: string; imagePath?: string }
  | { kind: 'raw'; frame: NativeFrame };

/**
 * Resolves one input to encoded bytes or raw pixels. `name` is used in error messages (e.g. "images[3]").
 * Synchronous (no promise on the hot path) except for strings that may name a file.
 */
export function toSource(input: ImageInput, name: string, pixelLimit: number): Source | Promise<Source> {
  if (input instanceof Uint8Array) return { kind: 'encoded', bytes: input, name };
  if (typeof input === 'string') {
    if (input.length === 0) throw new InvalidOptionError(`${name} is an empty string: expected a file path or base64 image data`);
    if (input.startsWith('data:') || isBase64(input.replace(/\s+/g, ''))) return { kind: 'encoded', bytes: dataOrBase64(input, name), name };
    return readFileInput(input, name, false);
  }
  if (isPlainObject(input)) {
    if ('data' in input) return { kind: 'raw', frame: rawFrame(input, name, pixelLimit) };
    if ('path' in input) {
      if (typeof input.path !== 'string' || input.path === '') throw invalid(`${name}.path`, 'a non-empty file path', input.path);
      return readFileInput(input.path, name, true);
    }
    if ('base64' in input) {
      if (typeof input.base64 !== 'string') throw invalid(`${name}.base64`, 'a base64 string', input.base64);
      return { kind: 'encoded', bytes: dataOrBase64(input.base64, `${name}.base64`), name };
    }
  }
  throw invalid(name, 'a Buffer/Uint8Array of an encoded image, { path }, { base64 }, raw pixels {data, width, height, channels}, or a file path / base64 string', input);
}

/** Reads an image file; `explicit`: named by `{ path }` (a missing file is then a plain not-found). */
async function readFileInput(file: string, name: string, explicit: boolean): Promise<Source> {
  const stat = file.length < 4096 ? await fs.stat(file).catch(() => undefined) : undefined;
  if (stat?.isDirectory()) throw new InvalidOptionError(`${name} (${file}) is a directory, not an image file`);
  if (!stat?.isFile()) {
    throw explicit
      ? new InvalidOptionError(`${name}.path: no such file: ${file}`)
      : new DecodeError(`${name} is neither an existing file path nor valid base64 image data (pass { path } or { base64 } to say which it is)`);
  }
  return { kind: 'encoded', bytes: await fs.readFile(file), name: `${name} (${file})`, imagePath: file };
}

/**
 * Every input of a call resolved (`name` is "image" for a single input, else the array's name);
 * synchronously unless a string may name a file (no promise on the hot path).
 */
export function toSources(images: readonly ImageInput[], name: string, pixelLimit: number): Source[] | Promise<Source[]> {
  const single = name === 'image';
  const sources: (Source | Promise<Source>)[] = [];
  let pending = false;
  try {
    for (let i = 0; i < images.length; i++) {
      const source = toSource(images[i], single ? name : `${name}[${i}]`, pixelLimit);
      pending ||= source instanceof Promise;
      sources.push(source);
    }
  } catch (error) {
    for (const s of sources) if (s instanceof Promise) s.catch(() => undefined); // settles later; nobody waits for it
    throw error;
  }
  return pending ? Promise.all(sources) : (sources as Source[]);
}
