/**
 * Request bodies read by hand where fastify's parsers would read too much: a JSON body streamed
 * under the key check (auth.ts) and the body limit, and the rest of an oversized body read away.
 */
import type { FastifyRequest } from 'fastify';
import type { Auth } from './auth';
import { AuthError } from './auth';
import { HttpError } from './http-error';

export const DISCARD_LIMIT_BYTES = 256 << 20;
export const DISCARD_LIMIT_MS = 10_000;

/** Reads and drops what is left of a request body, for at most `maxBytes` or `ms`. */
export function discardBody(body: NodeJS.ReadableStream & { readableEnded?: boolean; destroyed?: boolean }, maxBytes: number, ms: number): Promise<void> {
  if (body.readableEnded || body.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let seen = 0;
    const finish = () => {
      clearTimeout(timer);
      body.removeListener('data', onData).removeListener('end', finish).removeListener('error', finish).removeListener('close', finish);
      resolve();
    };
    const onData = (chunk: Buffer | string) => {
      seen += chunk.length;
      if (seen > maxBytes) finish();
    };
    const timer = setTimeout(finish, ms);
    body.on('data', onData).once('end', finish).once('error', finish).once('close', finish);
    body.resume();
  });
}

/** Reads a JSON body as a stream: bounded by `limit`, and by the key check while it is not authenticated. */
export function readJsonBody(request: FastifyRequest, payload: NodeJS.ReadableStream, limit: number, auth: Auth): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let state: 'ok' | 'wait' = auth.enabled ? 'wait' : 'ok';
    let settled = false;
    const stop = (error: Error) => {
      if (settled) return;
      settled = true;
      payload.removeListener('data', onData).removeListener('end', onEnd);
      payload.pause(); // nothing more is read; the connection closes after the answer
      reject(error);
    };
    const head = () => Buffer.concat(chunks).subarray(0, 4096).toString('utf8');
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > limit) {
        const error = Object.assign(new HttpError(413, `the request body is over the limit of ${limit} bytes`), { code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
        return stop(error);
      }
      chunks.push(chunk);
      if (state === 'wait') {
        try {
          state = auth.scan(request, head(), total, false);
        } catch (error) {
          stop(error as Error);
        }
      }
    };
    const onEnd = () => {
      if (settled) return;
      try {
        if (state === 'wait') auth.scan(request, head(), total, true);
        const text = Buffer.concat(chunks).toString('utf8');
        settled = true;
        resolve(text === '' ? undefined : JSON.parse(text));
      } catch (error) {
        settled = true;
        reject(error instanceof AuthError ? error : new HttpError(400, 'the body is not valid JSON'));
      }
    };
    payload.on('data', onData).on('end', onEnd).once('error', (error: Error) => stop(error));
  });
}
