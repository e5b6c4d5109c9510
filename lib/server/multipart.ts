/**
 * Just enough multipart/form-data to take the image of Roboflow's legacy route, as its server does:
 * the raw bytes of the part named "file". Bounded by the body limit that read the buffer.
 */
import { HttpError } from './http-error';

/** The bytes of the part named `name` in a multipart body; 400 when the body has no such part. */
export function multipartPart(body: Buffer, contentType: string, name: string): Buffer {
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  if (!match) throw new HttpError(400, 'multipart/form-data without a boundary: send the image in a part named "file"');
  const delimiter = Buffer.from(`--${match[1] ?? match[2]}`);
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString('latin1') === '--') break; // the closing delimiter
    const headersEnd = body.indexOf('\r\n\r\n', start);
    if (headersEnd < 0) break;
    const headers = body.subarray(start, headersEnd).toString('latin1');
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headersEnd + 4);
    if (next < 0) break;
    const disposition = /content-disposition:[^\r\n]*\bname="([^"]*)"/i.exec(headers);
    if (disposition && disposition[1] === name) return body.subarray(headersEnd + 4, next);
    at = next + 2;
  }
  throw new HttpError(400, `Image not found in request body: a multipart body needs the image in a part named "${name}"`);
}
