/**
 * Just enough JPEG parsing to route images to the GPU decoder: is it a JPEG,
 * and which EXIF orientation does it carry (nvJPEG does not apply it).
 */

export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/** The EXIF orientation (1..8) of a JPEG, or undefined when it has none. */
export function jpegOrientation(bytes: Uint8Array): number | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 2;
  while (at + 4 <= bytes.length && bytes[at] === 0xff) {
    const marker = bytes[at + 1];
    if (marker === 0xda || marker === 0xd9) return undefined; // start of scan / end: no EXIF before the pixels
    const length = view.getUint16(at + 2);
    if (marker === 0xe1 && at + 10 + 8 <= bytes.length && view.getUint32(at + 4) === 0x45786966 /* "Exif" */) {
      const tiff = at + 10;
      const little = view.getUint16(tiff) === 0x4949;
      const u16 = (o: number) => view.getUint16(o, little);
      const ifd = tiff + view.getUint32(tiff + 4, little);
      if (ifd + 2 > bytes.length) return undefined;
      const entries = u16(ifd);
      for (let i = 0; i < entries; i++) {
        const entry = ifd + 2 + i * 12;
        if (entry + 12 > bytes.length) return undefined;
        if (u16(entry) === 0x0112) return u16(entry + 8);
      }
      return undefined;
    }
    at += 2 + length;
  }
  return undefined;
}

/**
 * True when nvJPEG's output is what sharp would give: a complete JPEG (ending in the EOI marker:
 * nvJPEG decodes a truncated file without complaint, sharp rejects it) with no rotation to apply.
 */
export function gpuDecodable(bytes: Uint8Array): boolean {
  if (!isJpeg(bytes) || bytes[bytes.length - 2] !== 0xff || bytes[bytes.length - 1] !== 0xd9) return false;
  const orientation = jpegOrientation(bytes);
  return orientation === undefined || orientation === 1;
}
