/**
 * Per-request budgets of the server on decoded images, checked from the images' headers before any
 * of them is decoded (sharp reads a header without decoding the pixels):
 * - each image's longest side (a 40,000,000×1 PNG is 116 KB on the wire and gigabytes in libvips's
 *   line buffers, though its pixel count passes `--max-pixels`);
 * - the decoded pixels of all images of one request together.
 * An image whose header cannot be read is left to the decoder, which explains it (400).
 */
import sharp from 'sharp';
import { HttpError } from './http-error';

/** The longest side of an image the server decodes, by default. */
export const DEFAULT_MAX_SIDE = 16384;
/** The decoded pixels of one request, all images together, by default (about 300 MB as RGB). */
export const DEFAULT_MAX_REQUEST_PIXELS = 100_000_000;

/** Throws HttpError 400 when an image's side or the request's pixels are over the budget. */
export async function checkImageBudget(images: readonly Buffer[], names: readonly string[], maxSide: number, maxRequestPixels: number): Promise<void> {
  const sizes = await Promise.all(images.map((image) => sharp(image).metadata().then((m) => ({ width: m.width ?? 0, height: m.pageHeight ?? m.height ?? 0 }), () => ({ width: 0, height: 0 }))));
  let total = 0;
  sizes.forEach(({ width, height }, i) => {
    if (Math.max(width, height) > maxSide) {
      throw new HttpError(400, `${names[i]} is ${width}x${height}: images with a side over ${maxSide} pixels are refused (server option --max-side)`);
    }
    total += width * height;
  });
  if (total > maxRequestPixels) {
    throw new HttpError(400, `the request's images decode to ${total} pixels together, over the budget of ${maxRequestPixels} (server option --max-request-pixels); send fewer or smaller images per request`);
  }
}
