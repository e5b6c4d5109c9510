/** Raw pixels `{ data, width, height, channels, format? }` checked and passed on as they are (read in place by C++). */
import type { NativeFrame } from '../native/binding';
import { InvalidImageError } from '../errors';
import type { PixelFormat } from '../types';
import { invalid } from '../options/validate';

const FORMAT_CHANNELS: Record<PixelFormat, number> = { gray: 1, rgb: 3, bgr: 3, rgba: 4, bgra: 4 };
const DEFAULT_FORMAT: Record<number, PixelFormat> = { 1: 'gray', 3: 'rgb', 4: 'rgba' };

/** Checks raw pixels against their declared size, channels and the pixel limit. `name` is used in messages. */
export function rawFrame(raw: Record<string, unknown>, name: string, pixelLimit: number): NativeFrame {
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
