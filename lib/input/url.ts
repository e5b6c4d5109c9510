/**
 * Images named by URL, for the server only (the library never fetches): from allowed hosts and ports
 * only (redirects checked by the same rule), bounded in time, in bytes per image and, with the other
 * fetches of one request, by that request's byte budget. Failures are HttpErrors by cause (400 not
 * allowed, 413 too large, 502 unreachable, 504 too slow), without internal detail.
 */
import { InvalidOptionError } from '../errors';
import { HttpError } from '../server/http-error';

/**
 * An --allow-url-host entry as "host:port" (lowercase): "host" allows the protocol's default port only
 * (80, 443), "host:port" that port only; IPv6 as "[::1]:8080".
 */
export function allowedHost(entry: string): string {
  let url: URL;
  try {
    url = new URL(`http://${entry.trim()}`);
  } catch {
    throw new InvalidOptionError(`allowUrlHosts: '${entry}' is not a host or host:port`);
  }
  if (url.pathname !== '/' || url.search || url.username || url.hash || url.hostname === '') throw new InvalidOptionError(`allowUrlHosts: '${entry}' is not a host or host:port`);
  return hostPort(url);
}

/** The allow-list key of a URL: its host (the URL parser lowercases it) and port, "default" for the protocol's own port. */
function hostPort(url: URL): string {
  return `${url.hostname}:${url.port || 'default'}`;
}

/** Why a fetch failed, without internal detail: the system error code when there is one. */
function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  return typeof cause?.code === 'string' ? cause.code : 'network error';
}

/** Fetches one image; `budget.left`: bytes the request may still fetch (shared by its images). */
export type FetchImage = (url: string, budget: { left: number }) => Promise<Buffer>;

export function urlFetcher(options: { allowHosts: readonly string[]; maxUrlBytes: number; urlTimeoutMs: number }): FetchImage {
  const allowed = new Set(options.allowHosts.map(allowedHost));
  const { maxUrlBytes, urlTimeoutMs } = options;
  /**
   * Fetches an image from an allowed host and port (redirects checked by the same rule), bounded in time, in size and,
   * with the other fetches of its request, by `budget` (bytes left for the request).
   */
  return async function fetchImage(url: string, budget: { left: number }): Promise<Buffer> {
    if (allowed.size === 0) throw new HttpError(400, 'fetching images by URL is disabled on this server (start it with --allow-url-host <host>); send the image as base64');
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      throw new HttpError(400, `image URL '${url.slice(0, 200)}' is not a valid URL`);
    }
    const signal = AbortSignal.timeout(urlTimeoutMs);
    // a failed fetch or read, by cause: the timeout, else the system's error code (no library detail)
    const failed = (what: string, error: unknown) =>
      signal.aborted ? new HttpError(504, `the image URL on ${target.host} did not answer within ${urlTimeoutMs} ms`) : new HttpError(502, `${what} ${target.host} (${causeOf(error)})`);
    for (let hop = 0; hop < 4; hop++) {
      if (!/^https?:$/.test(target.protocol) || !allowed.has(hostPort(target))) {
        throw new HttpError(400, `image URL host '${target.host}' is not allowed (allowed: ${[...allowed].join(', ')})`);
      }
      let response: Response;
      try {
        response = await fetch(target, { redirect: 'manual', signal });
      } catch (error) {
        throw failed('could not fetch the image from', error);
      }
      if (response.status >= 300 && response.status < 400 && response.headers.get('location')) {
        target = new URL(response.headers.get('location')!, target);
        continue;
      }
      if (!response.ok || !response.body) throw new HttpError(502, `fetching the image from ${target.host} gave HTTP ${response.status}`);
      // over the budget: this image alone over the per-image limit, or together with the request's other fetches
      const tooLarge = (size: number) =>
        new HttpError(413, size > maxUrlBytes ? `the image at the URL is over the limit of ${maxUrlBytes} bytes` : `the images fetched for this request are over ${maxUrlBytes} bytes together`);
      const declared = Number(response.headers.get('content-length') ?? 0);
      if (declared > budget.left) throw tooLarge(declared);
      const chunks: Uint8Array[] = [];
      let size = 0;
      try {
        for await (const chunk of response.body) {
          size += chunk.byteLength;
          budget.left -= chunk.byteLength;
          if (budget.left < 0) throw tooLarge(size);
          chunks.push(chunk);
        }
      } catch (error) {
        throw error instanceof HttpError ? error : failed('could not read the image from', error);
      }
      return Buffer.concat(chunks);
    }
    throw new HttpError(400, 'too many redirects fetching the image');
  };
}
