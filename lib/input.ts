/**
 * Turns any accepted image input into pixels for the native side. Encoded
 * images are decoded by sharp (off the event loop, EXIF orientation applied);
 * raw pixels are passed through untouched, to be read in place by C++.
 */
import { promises as fs } from 'node:fs';
import sharp from 'sharp';
import type { NativeFrame } from './binding';
import { DecodeError, InvalidImageError, InvalidOptionError } from './errors';
import type { ImageInput, PixelFormat, RawImage } from './types';
import { invalid, isPlainObject } from './validate';

/** sharp's default limitInputPixels (0x3FFF * 0x3FFF). */
export const DEFAULT_PIXEL_LIMIT = 268402689;

export interface DecodedImage {
  frame: NativeFrame;
  /** Set when the input was a file path. */
  imagePath?: string;
}

/** An input resolved to bytes or pixels, before any decoding. */
export type Source =
  | { kind: 'encoded'; bytes: Uint8Array; name: string; imagePath?: string }
  | { kind: 'raw'; frame: NativeFrame };

const FORMAT_CHANNELS: Record<PixelFormat, number> = { gray: 1, rgb: 3, bgr: 3, rgba: 4, bgra: 4 };
const DEFAULT_FORMAT: Record<number, PixelFormat> = { 1: 'gray', 3: 'rgb', 4: 'rgba' };
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

function rawFrame(raw: Record<string, unknown>, name: string, pixelLimit: number): NativeFrame {
  const { data, width, height, channels } = raw;
  if (!(data instanceof Uint8Array)) throw invalid(`${name}.data`, 'a Buffer or Uint8Array of pixels', data);
  for (const [key, value] of [['width', width], ['height', height]] as const) {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      throw new InvalidImageError(`${name}.${key} must be a positive integer, got ${String(value)}: raw images need a size of at least 1x1`);
    }
  }
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new InvalidImageError(`${name}.channels must be 1, 3 or 4 (gray, RGB/BGR, RGBA/BGRA), got ${String(channels)}`);
  }
  const format = (raw.format ?? DEFAULT_FORMAT[channels]) as PixelFormat;
  if (FORMAT_CHANNELS[format] === undefined) {
    throw invalid(`${name}.format`, "one of 'rgb', 'bgr', 'rgba', 'bgra', 'gray'", raw.format);
  }
  if (FORMAT_CHANNELS[format] !== channels) {
    throw new InvalidImageError(`${name}.format '${format}' has ${FORMAT_CHANNELS[format]} channel(s) but channels is ${channels}`);
  }
  const w = width as number;
  const h = height as number;
  if (pixelLimit > 0 && w * h > pixelLimit) {
    throw new InvalidImageError(`${name} is ${w}x${h} = ${w * h} pixels, over the limit of ${pixelLimit}; raise limitInputPixels to accept it`);
  }
  const needed = w * h * channels;
  if (data.byteLength < needed) {
    throw new InvalidImageError(`${name}.data holds ${data.byteLength} bytes but ${w}x${h}x${channels} needs ${needed}`);
  }
  return { data, width: w, height: h, format };
}

/** The encoded formats accepted, by their first bytes; anything else (SVG, PDF, …) is refused before sharp sees it. */
export const ACCEPTED_FORMATS = 'JPEG, PNG, WebP, GIF, TIFF, AVIF';

/** Which accepted format `bytes` starts like, or undefined. */
export function sniffFormat(bytes: Uint8Array): 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'avif' | undefined {
  const at = (offset: number, text: string) => bytes.byteLength >= offset + text.length && [...text].every((c, i) => bytes[offset + i] === c.charCodeAt(0));
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (at(0, '\x89PNG\r\n\x1a\n')) return 'png';
  if (at(0, 'RIFF') && at(8, 'WEBP')) return 'webp';
  if (at(0, 'GIF87a') || at(0, 'GIF89a')) return 'gif';
  if (at(0, 'II*\0') || at(0, 'MM\0*') || at(0, 'II+\0') || at(0, 'MM\0+')) return 'tiff';
  if (at(4, 'ftyp')) return 'avif'; // an ISO media file: AVIF (HEIF); sharp tells the rest apart
  return undefined;
}

/** Decodes encoded image bytes with sharp (off the event loop), EXIF orientation applied. */
export async function decode(bytes: Uint8Array, name: string, pixelLimit: number): Promise<NativeFrame> {
  if (bytes.byteLength === 0) throw new DecodeError(`${name} is empty: expected encoded image bytes (${ACCEPTED_FORMATS})`);
  if (sniffFormat(bytes) === undefined) {
    const svg = /^\s*(<\?xml|<svg|<!DOCTYPE svg)/i.test(Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 256)).toString('latin1'));
    throw new DecodeError(`${name} is not a supported image: expected ${ACCEPTED_FORMATS}${svg ? ' (SVG is not accepted: rasterise it first)' : ''}`);
  }
  try {
    let pipeline = sharp(bytes, { limitInputPixels: pixelLimit > 0 ? pixelLimit : false }).rotate().removeAlpha();
    let { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 1 && info.channels !== 3) {
      // e.g. CMYK: let libvips convert to sRGB
      pipeline = sharp(bytes, { limitInputPixels: pixelLimit > 0 ? pixelLimit : false }).rotate().toColourspace('srgb').removeAlpha();
      ({ data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true }));
    }
    return { data, width: info.width, height: info.height, format: info.channels === 1 ? 'gray' : 'rgb' };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/pixel limit/i.test(message)) {
      throw new InvalidImageError(`${name} exceeds the pixel limit of ${pixelLimit}; raise limitInputPixels to accept it`, { cause: error });
    }
    if (/unsupported image format/i.test(message)) {
      throw new DecodeError(`${name} is not a supported image (${ACCEPTED_FORMATS}): ${message}`, { cause: error });
    }
    throw new DecodeError(`${name} could not be decoded (corrupt or truncated?): ${message}`, { cause: error });
  }
}

/** Whether `compact` (no whitespace) parses as base64: the alphabet (standard or URL-safe), padding, length. */
function isBase64(compact: string): boolean {
  return compact.length > 0 && compact.length % 4 !== 1 && BASE64.test(compact);
}

function fromBase64(text: string, name: string): Buffer {
  const compact = text.replace(/\s+/g, '');
  if (!isBase64(compact)) throw new DecodeError(`${name} is not valid base64 image data`);
  return Buffer.from(compact, 'base64');
}

/**
 * Image bytes from base64 text (standard or URL-safe alphabet, whitespace ignored), with or without a
 * `data:...;base64,` prefix; DecodeError otherwise. The one base64 rule of the library and the server.
 */
export function base64Image(text: string, name: string): Buffer {
  return dataOrBase64(text.trim(), name);
}

function dataOrBase64(text: string, name: string): Buffer {
  if (!text.startsWith('data:')) return fromBase64(text, name);
  const comma = text.indexOf(',');
  if (comma < 0 || !text.slice(0, comma).endsWith(';base64')) throw new DecodeError(`${name} is a data: URL without ';base64,' image data`);
  return fromBase64(text.slice(comma + 1), name);
}

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

/** Decodes a source on the CPU (raw pixels pass through untouched). */
export async function toFrame(source: Source, pixelLimit: number): Promise<DecodedImage> {
  if (source.kind === 'raw') return { frame: source.frame };
  return { frame: await decode(source.bytes, source.name, pixelLimit), imagePath: source.imagePath };
}

export type { RawImage };
