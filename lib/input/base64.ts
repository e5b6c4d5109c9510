/**
 * The one base64 rule of the library and the server: standard or URL-safe alphabet, whitespace
 * ignored, `=` padding, with or without a `data:...;base64,` prefix.
 */
import { DecodeError } from '../errors';

const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** Whether `compact` (no whitespace) parses as base64: the alphabet (standard or URL-safe), padding, length. */
export function isBase64(compact: string): boolean {
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

export function dataOrBase64(text: string, name: string): Buffer {
  if (!text.startsWith('data:')) return fromBase64(text, name);
  const comma = text.indexOf(',');
  if (comma < 0 || !text.slice(0, comma).endsWith(';base64')) throw new DecodeError(`${name} is a data: URL without ';base64,' image data`);
  return fromBase64(text.slice(comma + 1), name);
}

/**
 * Image bytes from a base64 HTTP body or form field: as base64Image, after form decoding (percent
 * escapes, '+' sent as ' '). `what` names it in messages. An empty value is a DecodeError that says
 * what to send.
 */
export function formBase64Image(text: string, what: string): Buffer {
  let s = text.trim();
  if (s.includes('%')) {
    try {
      s = decodeURIComponent(s);
    } catch (error) {
      throw new DecodeError(`${what} is not valid base64 image data`, { cause: error });
    }
  }
  s = s.replace(/ /g, '+'); // form decoding turns '+' into ' '
  if (s.replace(/\s+/g, '').length === 0) throw new DecodeError(`${what} is empty: send the image as base64, or ?image=<url>`);
  return base64Image(s, what);
}
