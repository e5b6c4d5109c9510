/**
 * Encoded images -> pixels on the CPU: the accepted formats sniffed from the first bytes, then sharp
 * (off the event loop, EXIF orientation applied). Raw pixels pass through untouched.
 */
import sharp from 'sharp';
import type { NativeFrame } from '../native/binding';
import { DecodeError, InvalidImageError, TimeoutError } from '../errors';
import { decodeQueue } from './decode-queue';
import type { Source } from './source';

/**
 * What a decode needs of its call (a CallControl): `check` throws once the call has ended, and the
 * time left bounds a decode that has started (sharp's timeout, in whole seconds).
 */
export interface DecodeControl {
  check(): void;
  remainingMs(): number | undefined;
}

/** sharp's default limitInputPixels (0x3FFF * 0x3FFF). */
export const DEFAULT_PIXEL_LIMIT = 268402689;

export interface DecodedImage {
  frame: NativeFrame;
  /** Set when the input was a file path. */
  imagePath?: string;
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

/**
 * Decodes encoded image bytes with sharp (off the event loop, through the process's decode queue),
 * EXIF orientation applied unless `autoOrient` is false. With a `control`, a decode still waiting when
 * its call ends never starts, and one running stops at the call's deadline (rounded up to a second).
 */
export async function decode(bytes: Uint8Array, name: string, pixelLimit: number, autoOrient = true, control?: DecodeControl): Promise<NativeFrame> {
  if (bytes.byteLength === 0) throw new DecodeError(`${name} is empty: expected encoded image bytes (${ACCEPTED_FORMATS})`);
  if (sniffFormat(bytes) === undefined) {
    const svg = /^\s*(<\?xml|<svg|<!DOCTYPE svg)/i.test(Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 256)).toString('latin1'));
    throw new DecodeError(`${name} is not a supported image: expected ${ACCEPTED_FORMATS}${svg ? ' (SVG is not accepted: rasterise it first)' : ''}`);
  }
  return decodeQueue.run(() => decodeNow(bytes, name, pixelLimit, autoOrient, control?.remainingMs()), control && (() => control.check()));
}

async function decodeNow(bytes: Uint8Array, name: string, pixelLimit: number, autoOrient: boolean, remainingMs: number | undefined): Promise<NativeFrame> {
  try {
    const seconds = remainingMs === undefined ? 0 : Math.max(1, Math.ceil(remainingMs / 1000)); // 0: none
    const open = () => {
      const image = sharp(bytes, { limitInputPixels: pixelLimit > 0 ? pixelLimit : false }).timeout({ seconds });
      return autoOrient ? image.rotate() : image;
    };
    let pipeline = open().removeAlpha();
    let { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 1 && info.channels !== 3) {
      // e.g. CMYK: let libvips convert to sRGB
      pipeline = open().toColourspace('srgb').removeAlpha();
      ({ data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true }));
    }
    return { data, width: info.width, height: info.height, format: info.channels === 1 ? 'gray' : 'rgb' };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/^timeout/i.test(message)) {
      throw new TimeoutError(`decoding ${name} took longer than the call's time left (${Math.round(remainingMs ?? 0)} ms)`, { cause: error });
    }
    if (/pixel limit/i.test(message)) {
      throw new InvalidImageError(`${name} exceeds the pixel limit of ${pixelLimit}; raise limitInputPixels to accept it`, { cause: error });
    }
    if (/unsupported image format/i.test(message)) {
      throw new DecodeError(`${name} is not a supported image (${ACCEPTED_FORMATS}): ${message}`, { cause: error });
    }
    throw new DecodeError(`${name} could not be decoded (corrupt or truncated?): ${message}`, { cause: error });
  }
}

/** Decodes a source on the CPU (raw pixels pass through untouched); `control` as for decode(). */
export async function toFrame(source: Source, pixelLimit: number, autoOrient = true, control?: DecodeControl): Promise<DecodedImage> {
  if (source.kind === 'raw') return { frame: source.frame };
  return { frame: await decode(source.bytes, source.name, pixelLimit, autoOrient, control), imagePath: source.imagePath };
}
