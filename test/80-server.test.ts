// The HTTP server (issue 5) through the real binary on loopback, with real clients: Node's fetch,
// axios posting the base64 body as Roboflow's documented Node example does, and Python's requests
// as Roboflow's Python examples do.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import axios from 'axios';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadClip, loadModel, type MultiLabelResult, type SingleLabelResult } from '../lib/index.mjs';
import { zeroPng } from '../benchmarks/lib/processes';
import { digitsModel, fixtureModel, python, root } from './helpers';

const bin = path.join(root, 'bin', 'edge-classify.js');
const KEY = 'test-key-1';
const seven = path.join(root, 'samples', 'digit-7-6.png');
const sevenBase64 = readFileSync(seven).toString('base64');

/** Starts `edge-classify serve` with `args`; resolves with its base URL once it listens. */
function serve(args: string[]): Promise<{ url: string; child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [bin, 'serve', '-p', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ url: m[1], child, output: () => out });
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
  });
}

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));

let server: { url: string; child: ChildProcess; output: () => string };
let images: http.Server;
let imagesUrl: string;
let expected: SingleLabelResult;
let bigPng: string; // 2000 x 1000 pixels in a few kB: over the server's --max-pixels 1000000

beforeAll(async () => {
  // A local image host: /seven.png, a redirect to another host name, and a large file.
  images = http.createServer((req, res) => {
    if (req.url === '/seven.png') res.writeHead(200, { 'content-type': 'image/png' }).end(readFileSync(seven));
    else if (req.url === '/elsewhere') res.writeHead(302, { location: `http://localhost:${(images.address() as AddressInfo).port}/seven.png` }).end();
    else if (req.url === '/same-host-redirect') res.writeHead(302, { location: '/seven.png' }).end();
    else if (req.url === '/big') res.writeHead(200).end(Buffer.alloc(3 << 20, 1));
    else if (req.url === '/part') res.writeHead(200).end(Buffer.alloc(400 << 10, 1)); // under the 1 MiB per image, 3 of them over it together
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => images.listen(0, '127.0.0.1', r));
  imagesUrl = `http://127.0.0.1:${(images.address() as AddressInfo).port}`;
  server = await serve(['-k', KEY, '-m', `digits/1=${digitsModel}`, '-m', `multi/2=${fixtureModel('multilabel.torchscript')}`, '--max-body-mb', '1', '--allow-url-host', `127.0.0.1:${(images.address() as AddressInfo).port}`, '--allow-url-host', '127.0.0.1', '--max-pixels', '1000000', '--clip', path.join(root, 'test', '.fixtures', 'clip', 'tiny')]);
  bigPng = (await sharp({ create: { width: 2000, height: 1000, channels: 3, background: { r: 0, g: 0, b: 0 } } }).png().toBuffer()).toString('base64');
  const model = await loadModel(digitsModel);
  expected = (await model.classify(seven)) as SingleLabelResult;
  await model.dispose();
});

afterAll(async () => {
  server?.child.kill('SIGTERM');
  images?.close();
});

function sameResult(r: SingleLabelResult) {
  expect(r.top).toBe(expected.top);
  expect(r.confidence).toBe(expected.confidence);
  expect(r.predictions).toEqual(expected.predictions);
  expect(r.image).toEqual({ width: 64, height: 64 });
  expect(r.prediction_type).toBe('ClassificationModel');
  expect(r.inference_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
}

describe('edge-classify serve', () => {
  it("answers Node's fetch with the hosted API's single-label JSON", async () => {
    const res = await fetch(`${server.url}/digits/1?api_key=${KEY}`, { method: 'POST', body: sevenBase64, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    sameResult((await res.json()) as SingleLabelResult);
  });

  it("answers axios posting exactly as Roboflow's Node example does", async () => {
    const res = await axios({
      method: 'POST',
      url: `${server.url}/digits/1`,
      params: { api_key: KEY },
      data: sevenBase64,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    sameResult(res.data as SingleLabelResult);
  });

  it("answers Python's requests as Roboflow's Python examples use it", () => {
    const script = `
import base64, json, sys, requests
img = base64.b64encode(open(sys.argv[2], "rb").read()).decode("ascii")
r = requests.post(sys.argv[1] + "/digits/1", params={"api_key": sys.argv[3]}, data=img,
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
print(json.dumps({"status": r.status_code, "body": r.json()}))`;
    const out = JSON.parse(execFileSync(python(), ['-c', script, server.url, seven, KEY], { encoding: 'utf8' }));
    expect(out.status).toBe(200);
    sameResult(out.body);
  });

  it('a missing or wrong API key gets 403 {"message":"Forbidden"}', async () => {
    for (const query of ['', '?api_key=nope']) {
      const res = await fetch(`${server.url}/digits/1${query}`, { method: 'POST', body: sevenBase64 });
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({ message: 'Forbidden' });
    }
    const infer = await fetch(`${server.url}/infer/classification`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model_id: 'digits/1', image: { type: 'base64', value: sevenBase64 } }) });
    expect(infer.status).toBe(403);
  });

  /**
   * Sends a request's headers and only the first part of its body on a raw socket, and returns the
   * status line the server answers with while the rest has not been sent (it never will be).
   */
  async function statusBeforeBody(pathAndQuery: string, headers: Record<string, string>, start: string, announced: number): Promise<string> {
    const { port } = new URL(server.url);
    const net = await import('node:net');
    return new Promise((resolve, reject) => {
      const socket = net.connect(Number(port), '127.0.0.1', () => {
        const lines = [`POST ${pathAndQuery} HTTP/1.1`, `Host: 127.0.0.1:${port}`, `Content-Length: ${announced}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
        socket.write(`${lines.join('\r\n')}\r\n\r\n${start}`);
      });
      let answer = '';
      socket.on('data', (d) => {
        answer += d;
        if (answer.includes('\r\n')) {
          socket.destroy();
          resolve(answer.slice(0, answer.indexOf('\r\n')));
        }
      });
      socket.on('error', reject);
      socket.on('close', () => resolve(answer.split('\r\n')[0]));
    });
  }

  it('keys are checked before the body is read: no key, a wrong key in the query, or a wrong leading body key get 403 with most of the body unsent', async () => {
    const big = 900 << 10; // under this server's 1 MiB body limit: a server that reads first waits for the rest (and times out)
    const json = { 'content-type': 'application/json' };
    // a non-JSON body cannot carry a key: refused at once; a JSON body whose opening bytes hold no key
    // is refused once PREAUTH_BODY_BYTES (64 KiB) have come
    expect(await statusBeforeBody('/digits/1', { 'content-type': 'text/plain' }, 'AAAA', big)).toBe('HTTP/1.1 403 Forbidden');
    expect(await statusBeforeBody('/infer/classification?api_key=nope', json, '{"model_id":"digits/1",', big)).toBe('HTTP/1.1 403 Forbidden');
    expect(await statusBeforeBody('/infer/classification', { ...json, authorization: 'Bearer nope' }, '{', big)).toBe('HTTP/1.1 403 Forbidden');
    expect(await statusBeforeBody('/infer/classification', json, '{"api_key": "nope", "image": {"type": "base64", "value": "', big)).toBe('HTTP/1.1 403 Forbidden');
    expect(await statusBeforeBody('/infer/classification', json, `{"model_id":"digits/1","image":"${'A'.repeat(70 * 1024)}`, big)).toBe('HTTP/1.1 403 Forbidden');
    // and the server still answers others at once
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('accepts the key as Bearer token, as x-api-key, as the leading field of a large JSON body, or anywhere in a small one', async () => {
    const body = (extra: Record<string, unknown>) => JSON.stringify({ ...extra, model_id: 'digits/1', image: { type: 'base64', value: sevenBase64 } });
    const post = (b: string, headers: Record<string, string> = {}) =>
      fetch(`${server.url}/infer/classification`, { method: 'POST', body: b, headers: { 'content-type': 'application/json', ...headers } });
    for (const res of [
      await post(body({}), { authorization: `Bearer ${KEY}` }),
      await post(body({}), { 'x-api-key': KEY }),
      await post(body({ api_key: KEY })), // first field (Roboflow's v1 client)
      await post(JSON.stringify({ model_id: 'digits/1', image: { type: 'base64', value: sevenBase64 }, api_key: KEY })), // last field, small body
    ]) {
      expect(res.status).toBe(200);
      sameResult((await res.json()) as SingleLabelResult);
    }
    // a large body (a 200 kB image) with its key first is read whole and answered
    const large = (await sharp(seven).resize(400, 400).png({ compressionLevel: 0 }).toBuffer()).toString('base64');
    expect(large.length).toBeGreaterThan(128 * 1024);
    const res = await post(JSON.stringify({ api_key: KEY, model_id: 'digits/1', image: { type: 'base64', value: large } }));
    expect(res.status).toBe(200);
    // the same without a leading key is over the pre-authentication limit
    const late = await post(JSON.stringify({ model_id: 'digits/1', image: { type: 'base64', value: large }, api_key: KEY })).catch(() => undefined);
    if (late) expect(late.status).toBe(403); // (or the connection is closed under the client's write)
  });

  it('bad requests get the right status and a JSON message', async () => {
    const post = (route: string, body: string | Buffer, type = 'application/x-www-form-urlencoded') =>
      fetch(`${server.url}${route}${route.includes('?') ? '&' : '?'}api_key=${KEY}`, { method: 'POST', body, headers: { 'content-type': type } });
    const cases: [Promise<Response>, number, RegExp][] = [
      [post('/digits/1', '%%%not base64%%%'), 400, /base64/],
      [post('/digits/1', Buffer.from('this is not an image').toString('base64')), 400, /not a supported image/],
      [post('/digits/1', ''), 400, /base64 body|image=<url>/],
      [post('/digits/1', 'A'.repeat(2 << 20)), 413, /over the limit/],
      [post('/nope/9', sevenBase64), 404, /no model 'nope\/9'/],
      [post('/digits/1', bigPng), 400, /pixel limit|over the limit/],
      [post('/digits/1?confidence=seven', sevenBase64), 400, /confidence/],
      [post('/infer/classification', '{"model_id": ', 'application/json'), 400, /JSON/],
      [post('/infer/classification', JSON.stringify({ model_id: 'digits/1', image: { type: 'file', value: '/etc/passwd' } }), 'application/json'), 400, /type must be/],
      [post('/infer/classification', JSON.stringify({ model_id: 'digits/1', image: [] }), 'application/json'), 422, /at least 1 item/],
      [fetch(`${server.url}/nothing/here/at/all?api_key=${KEY}`), 404, /^$/], // Roboflow's {"detail":"Not Found"}: checked below
      [fetch(`${server.url}/nothing/here/at/all`), 403, /Forbidden/], // unknown routes reveal nothing without a key
    ];
    for (const [response, status, message] of cases) {
      const res = await response;
      expect(res.status, message.source).toBe(status);
      const body = await res.json();
      if (status === 404 && message.source === '^$') expect(body).toEqual({ detail: 'Not Found' });
      else expect(body.message).toMatch(message);
    }
  });

  it('clients still sending an oversized body read the 413 (no broken pipe)', async () => {
    const big = 'A'.repeat(6 << 20);
    const statuses = await Promise.all(Array.from({ length: 12 }, () =>
      fetch(`${server.url}/digits/1?api_key=${KEY}`, { method: 'POST', body: big, headers: { 'content-type': 'text/plain' } }).then((r) => r.status)));
    expect(statuses).toEqual(statuses.map(() => 413));
  });

  it('base64 follows the library\'s one rule: URL-safe alphabet and data: prefixes accepted, a data: URL without base64 refused', async () => {
    const urlSafe = readFileSync(seven).toString('base64url');
    expect(urlSafe).toMatch(/[-_]/); // the sample has the characters the two alphabets differ in
    const local = await loadModel(digitsModel);
    try {
      const fromLibrary = (await local.classify({ base64: urlSafe })) as SingleLabelResult;
      for (const body of [urlSafe, `data:image/png;base64,${sevenBase64}`]) {
        const res = await fetch(`${server.url}/digits/1?api_key=${KEY}`, { method: 'POST', body, headers: { 'content-type': 'text/plain' } });
        expect(res.status).toBe(200);
        expect(((await res.json()) as SingleLabelResult).top).toBe(fromLibrary.top);
      }
      const plain = await fetch(`${server.url}/digits/1?api_key=${KEY}`, { method: 'POST', body: `data:image/png,${sevenBase64}`, headers: { 'content-type': 'text/plain' } });
      expect(plain.status).toBe(400);
      expect((await plain.json()).message).toMatch(/data: URL without ';base64,'/);
      await expect(local.classify({ base64: `data:image/png,${sevenBase64}` })).rejects.toThrow(/data: URL without ';base64,'/);
    } finally {
      await local.dispose();
    }
  });

  it('a base64 body that names a local file is never read as a path', async () => {
    const res = await fetch(`${server.url}/digits/1?api_key=${KEY}`, { method: 'POST', body: 'L2V0Yy9wYXNzd2Q=' }); // "/etc/passwd"
    expect(res.status).toBe(400);
  });

  it('budgets decoded images per request from their headers: a 40,000,000x1 PNG, and too many pixels in one list', async () => {
    // PNGs by hand (zeroPng: sharp will not write one this wide); 40,000,000 x 1 is 116 KB
    const s = await serve(['-k', KEY, '-m', `digits/1=${digitsModel}`]); // the defaults: --max-pixels 40000000, --max-side 16384
    const peak = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${s.child.pid}/status`, 'utf8'))![1]) / 1024;
    try {
      const post = (list: Buffer[]) => fetch(`${s.url}/infer/classification`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ api_key: KEY, model_id: 'digits/1', image: list.map((b) => ({ type: 'base64', value: b.toString('base64') })) }) });
      const before = peak();
      const wide = zeroPng(40_000_000, 1, 2);
      const res = await post([wide, wide, wide, wide]);
      expect(res.status).toBe(400);
      expect((await res.json()).message).toMatch(/image\[0\] is 40000000x1: images with a side over 16384 pixels are refused \(server option --max-side\)/);
      // three 6000 x 6000 images: each under --max-pixels, together over the request's 100,000,000
      const square = zeroPng(6000, 6000, 0);
      const many = await post([square, square, square]);
      expect(many.status).toBe(400);
      expect((await many.json()).message).toMatch(/decode to 108000000 pixels together, over the budget of 100000000 \(server option --max-request-pixels\)/);
      // refused from the headers: the server's peak memory stays far below one decoded wide PNG (+1.17 GB measured)
      expect(peak() - before).toBeLessThan(150);
      const ok = await post([square, square]);
      expect(ok.status).toBe(200);
    } finally {
      s.child.kill('SIGTERM');
      await exited(s.child);
    }
  });

  it('an SVG gets 400 at once, never rendered', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="6000" height="6000"><filter id="b"><feGaussianBlur stdDeviation="500"/></filter><rect width="6000" height="6000" filter="url(#b)"/></svg>');
    const res = await fetch(`${server.url}/infer/classification`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model_id: 'digits/1', api_key: KEY, image: { type: 'base64', value: svg.toString('base64') } }) });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toMatch(/SVG is not accepted/);
  });

  it('POST /infer/classification takes one image or a list, and confidence', async () => {
    const one = await axios.post(`${server.url}/infer/classification`, { model_id: 'digits/1', api_key: KEY, image: { type: 'base64', value: sevenBase64 } });
    sameResult(one.data);
    const many = await axios.post(`${server.url}/infer/classification`, { model_id: 'digits/1', image: [{ type: 'base64', value: sevenBase64 }, { type: 'base64', value: `data:image/png;base64,${sevenBase64}` }], confidence: 0.5 }, { headers: { 'x-api-key': KEY } });
    expect(many.data).toHaveLength(2);
    for (const r of many.data as SingleLabelResult[]) expect(r.predictions).toEqual(expected.predictions.filter((p) => p.confidence >= 0.5));
    const multi = await axios.post(`${server.url}/infer/classification`, { model_id: 'multi/2', api_key: KEY, image: { type: 'base64', value: sevenBase64 }, confidence: 0.3 });
    const m = multi.data as MultiLabelResult;
    expect(Array.isArray(m.predicted_classes)).toBe(true);
    for (const c of m.predicted_classes) expect(m.predictions[c].confidence).toBeGreaterThan(0.3);
  });

  it('writes results as JSON straight from the native results: the same bytes JSON.stringify gives the same result, top_k, and a list', async () => {
    // the JSON path (no visualization, no capture) against the object path (visualize_predictions) of the same request
    const body = { model_id: 'digits/1', api_key: KEY, image: { type: 'base64', value: sevenBase64 }, id: 'fixed-id' };
    const fast = await fetch(`${server.url}/infer/classification`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    const text = await fast.text();
    expect(fast.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const parsed = JSON.parse(text) as SingleLabelResult;
    expect(text).toBe(JSON.stringify(parsed)); // canonical JSON.stringify output, byte for byte
    const { visualization, ...viaObjects } = (await axios.post(`${server.url}/infer/classification`, { ...body, visualize_predictions: true })).data as SingleLabelResult & { visualization: string };
    expect(typeof visualization).toBe('string');
    expect(JSON.stringify({ ...parsed, time: 0 })).toBe(JSON.stringify({ ...viaObjects, time: 0 }));
    expect(parsed.inference_id).toBe('fixed-id');
    sameResult({ ...parsed, inference_id: expected.inference_id });
    // top_k in the JSON body and the legacy route's query; a list of results; bad values refused
    const top = (await axios.post(`${server.url}/infer/classification`, { ...body, id: undefined, top_k: 3, image: [body.image, body.image] })).data as SingleLabelResult[];
    for (const r of top) expect(r.predictions).toEqual(expected.predictions.slice(0, 3));
    const legacy = (await axios.post(`${server.url}/digits/1`, sevenBase64, { params: { api_key: KEY, top_k: 2 }, headers: { 'content-type': 'application/x-www-form-urlencoded' } })).data as SingleLabelResult;
    expect(legacy.predictions).toEqual(expected.predictions.slice(0, 2));
    const multi = (await axios.post(`${server.url}/infer/classification`, { model_id: 'multi/2', api_key: KEY, image: body.image, top_k: 1 })).data as MultiLabelResult;
    expect(Object.keys(multi.predictions)).toHaveLength(1);
    for (const bad of [0, 11, 1.5, 'x']) {
      const r = await fetch(`${server.url}/infer/classification`, { method: 'POST', body: JSON.stringify({ ...body, top_k: bad }), headers: { 'content-type': 'application/json' } });
      expect(r.status, String(bad)).toBe(422);
      expect(JSON.stringify(await r.json())).toMatch(/top_k must be a whole number from 1 to 10/);
    }
    expect((await fetch(`${server.url}/digits/1?api_key=${KEY}&top_k=99`, { method: 'POST', body: sevenBase64 })).status).toBe(400);
  });

  it('image=<url> fetches only from allowed hosts, follows no redirect to another host, and bounds the size', async () => {
    const get = (url: string) => fetch(`${server.url}/digits/1?api_key=${KEY}&image=${encodeURIComponent(url)}`, { method: 'POST' });
    const ok = await get(`${imagesUrl}/seven.png`);
    expect(ok.status).toBe(200);
    sameResult((await ok.json()) as SingleLabelResult);
    // GET /:project/:version?image=<url>, as Roboflow's legacy route takes it too; the URL wins over a body
    const viaGet = await fetch(`${server.url}/digits/1?api_key=${KEY}&image=${encodeURIComponent(`${imagesUrl}/seven.png`)}`);
    sameResult((await viaGet.json()) as SingleLabelResult);
    const urlAndBody = await fetch(`${server.url}/digits/1?api_key=${KEY}&image=${encodeURIComponent(`${imagesUrl}/seven.png`)}`, { method: 'POST', body: 'not an image at all', headers: { 'content-type': 'text/plain' } });
    sameResult((await urlAndBody.json()) as SingleLabelResult);
    expect((await get(`${imagesUrl}/same-host-redirect`)).status).toBe(200);
    const elsewhere = await get(`${imagesUrl}/elsewhere`);
    expect(elsewhere.status).toBe(400);
    expect((await elsewhere.json()).message).toMatch(/not allowed/);
    expect((await get('http://example.invalid/x.png')).status).toBe(400);
    // /big is sent without a content-length (writeHead, then end): the limit is found while reading
    const big = await get(`${imagesUrl}/big`);
    expect(big.status).toBe(413);
    expect((await big.json()).message).toMatch(/^the image at the URL is over the limit of 1048576 bytes$/);
  });

  it('an allow-list entry without a port allows the default port only; fetches of one request share one byte budget; errors by cause', async () => {
    const get = (url: string) => fetch(`${server.url}/digits/1?api_key=${KEY}&image=${encodeURIComponent(url)}`, { method: 'POST' });
    // "127.0.0.1" is listed too, but it means port 80: another port of the same host is not allowed by it
    const port = (images.address() as AddressInfo).port;
    const otherPort = await get(`http://127.0.0.1:${port + 1 === 65536 ? 1 : port + 1}/seven.png`);
    expect(otherPort.status).toBe(400);
    expect((await otherPort.json()).message).toMatch(/host '127\.0\.0\.1:\d+' is not allowed \(allowed: 127\.0\.0\.1:\d+, 127\.0\.0\.1:default\)/);
    // port 80 on loopback: allowed, nothing listens there: 502 with the cause's code, no library detail
    const refused = await get('http://127.0.0.1/seven.png');
    expect(refused.status).toBe(502);
    expect((await refused.json()).message).toMatch(/^could not fetch the image from 127\.0\.0\.1 \((ECONNREFUSED|EACCES|network error)\)$/);
    // 3 x 400 KiB in one request: each under the 1 MiB limit, together over it
    const list = (n: number) => fetch(`${server.url}/infer/classification?api_key=${KEY}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model_id: 'digits/1', image: Array.from({ length: n }, () => ({ type: 'url', value: `${imagesUrl}/part` })) }) });
    const three = await list(3);
    expect(three.status).toBe(413);
    expect((await three.json()).message).toMatch(/the images fetched for this request are over 1048576 bytes together/);
    expect((await list(2)).status).toBe(400); // within the budget; then not an image
    // a model id that is not project/version
    const bad = await fetch(`${server.url}/infer/classification?api_key=${KEY}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model_id: '../../etc/passwd', image: { type: 'base64', value: sevenBase64 } }) });
    expect(bad.status).toBe(400);
    expect((await bad.json()).message).toMatch(/model_id must be "project\/version"/);
    // names of Object.prototype's members are ids like any other: never a 500 (row 9 of issue 13)
    for (const [id, status] of [['__proto__', 404], ['constructor', 404], ['__proto__/1', 404], ['constructor/prototype', 404], ['hasOwnProperty/1', 404], ['__proto__/1/2', 400]] as const) {
      const res = await fetch(`${server.url}/infer/classification?api_key=${KEY}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model_id: id, image: { type: 'base64', value: sevenBase64 } }) });
      expect(res.status, id).toBe(status);
      expect((await res.json()).message, id).toMatch(status === 400 ? /model_id must be "project\/version"/ : /no model/);
    }
  });

  it('concurrent requests become batches (/metrics shows them) and all succeed', async () => {
    const results = await Promise.all(Array.from({ length: 64 }, () => fetch(`${server.url}/digits/1?api_key=${KEY}`, { method: 'POST', body: sevenBase64 }).then((r) => r.status)));
    expect(results.every((s) => s === 200)).toBe(true);
    const metrics = await (await fetch(`${server.url}/metrics`, { headers: { 'x-api-key': KEY } })).text();
    expect(metrics).toMatch(/edge_classify_http_requests_total\{route="\/:project\/:version",status="200"\} \d+/);
    expect(metrics).toMatch(/edge_classify_http_request_duration_seconds_bucket\{route="\/:project\/:version",le="\+Inf"\} \d+/);
    expect(metrics).toMatch(/edge_classify_calls_total\{model="digits\/1"\} \d+/);
    expect(Number(/^edge_classify_decodes_total\{outcome="started"\} (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    expect(metrics).toMatch(/^edge_classify_decodes_total\{outcome="stopped"\} \d+$/m);
    const batches = Number(/edge_classify_batches_total\{model="digits\/1"\} (\d+)/.exec(metrics)![1]);
    const calls = Number(/edge_classify_calls_total\{model="digits\/1"\} (\d+)/.exec(metrics)![1]);
    expect(batches).toBeLessThan(calls);
    // Triton's names: per-request queue and compute time of the native scheduler
    const triton = (name: string) => Number(new RegExp(`^${name}\\{model="digits",version="1"\\} (\\d+)$`, 'm').exec(metrics)?.[1]);
    expect(triton('nv_inference_request_success')).toBeGreaterThanOrEqual(64);
    expect(triton('nv_inference_request_failure')).toBeGreaterThanOrEqual(0);
    expect(triton('nv_inference_exec_count')).toBeGreaterThanOrEqual(batches);
    expect(triton('nv_inference_count')).toBeGreaterThanOrEqual(64);
    expect(triton('nv_inference_queue_duration_us')).toBeGreaterThanOrEqual(0);
    expect(triton('nv_inference_compute_infer_duration_us')).toBeGreaterThan(0);
    expect(triton('nv_inference_pending_request_count')).toBe(0);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('refuses a non-loopback address without API keys', () => {
    const r = spawnSync(process.execPath, [bin, 'serve', '-H', '0.0.0.0', '-p', '0'], { encoding: 'utf8', env: { ...process.env, EDGE_CLASSIFY_API_KEYS: '' } });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/refusing to listen on 0\.0\.0\.0 without API keys/);
  });

  it('refuses bad limit flags and allow-list entries with a usage error naming them', () => {
    for (const [flag, value, message] of [
      ['--max-side', '0', /--max-side is invalid: '0'/],
      ['--max-request-pixels', '0.5', /--max-request-pixels is invalid: '0.5'/],
      ['--max-prompts', 'many', /--max-prompts is invalid: 'NaN'/],
      ['--allow-url-host', 'a b/c', /--allow-url-host 'a b\/c' is not a host or host:port/],
      ['--allow-url-host', 'host/path', /--allow-url-host 'host\/path' is not a host or host:port/],
    ] as const) {
      const r = spawnSync(process.execPath, [bin, 'serve', '-p', '0', flag, value], { encoding: 'utf8' });
      expect(r.status, flag).toBe(2);
      expect(r.stderr, flag).toMatch(message);
    }
  });

  it('refuses an empty API key (an unset variable) on any address, and createServer refuses one too', () => {
    for (const host of ['0.0.0.0', '127.0.0.1']) {
      const r = spawnSync(process.execPath, [bin, 'serve', '-H', host, '-p', '0', '--api-key', ''], { encoding: 'utf8', env: { ...process.env, EDGE_CLASSIFY_API_KEYS: '' } });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/--api-key is empty/);
    }
    const server = path.join(root, 'dist', 'lib', 'server', 'server.js');
    const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(server)}).createServer({ models: {}, apiKeys: [' '] })`], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/InvalidOptionError: an API key must not be empty/);
  });

  it('SIGTERM lets requests in flight finish, then exits 0', async () => {
    const s = await serve(['-m', `slow/1=${fixtureModel('resnet18.torchscript')}`]);
    const photo = readFileSync(path.join(root, 'test', '.fixtures', 'photos', 'chelsea.png')).toString('base64');
    const inflight = Promise.all(Array.from({ length: 4 }, () => fetch(`${s.url}/slow/1`, { method: 'POST', body: photo }).then((r) => r.status)));
    await new Promise((r) => setTimeout(r, 100));
    s.child.kill('SIGTERM');
    expect(await inflight).toEqual([200, 200, 200, 200]);
    expect(await exited(s.child)).toBe(0);
    await expect(fetch(`${s.url}/healthz`)).rejects.toThrow();
  });
  it('POST /clip/compare answers with similarity per prompt, under the same key rules', async () => {
    const body = { subject: { type: 'base64', value: sevenBase64 }, subject_type: 'image', prompt: ['a handwritten seven', 'a cat', 'a car door'], prompt_type: 'text' };
    const denied = await fetch(`${server.url}/clip/compare`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(denied.status).toBe(403);
    const res = await axios.post(`${server.url}/clip/compare`, { ...body, api_key: KEY });
    expect(res.data.similarity).toHaveLength(3);
    expect(body.prompt).toContain(res.data.top);
    const clip = await loadClip(path.join(root, 'test', '.fixtures', 'clip', 'tiny'), { device: 'cpu' });
    const local = await clip.classify(seven, body.prompt);
    await clip.dispose();
    for (let i = 0; i < 3; i++) expect(Math.abs(res.data.similarity[i] - local.similarity[i])).toBeLessThan(1e-6);
    // an empty prompt list does not fit the request schema (422, Roboflow's shape); a file subject or an empty prompt is a 400
    for (const [bad, status] of [[{ ...body, prompt: [] }, 422], [{ ...body, subject: { type: 'file', value: '/etc/passwd' } }, 400], [{ ...body, prompt: [''] }, 400]] as const) {
      const r = await fetch(`${server.url}/clip/compare?api_key=${KEY}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(bad) });
      expect(r.status).toBe(status);
    }
  });

  it('POST /clip/compare refuses a prompt over 1000 characters and over 100 prompts, before tokenizing', async () => {
    // before: a 300,000-letter prompt kept the event loop tokenizing for 34 s
    const body = { subject: { type: 'base64', value: sevenBase64 }, prompt: ['a cat', 'x'.repeat(300_000)] };
    const long = await fetch(`${server.url}/clip/compare?api_key=${KEY}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(long.status).toBe(400);
    expect((await long.json()).message).toMatch(/labels\[1\] is 300000 characters, over the limit of 1000 \(maxTextChars\)/);
    const many = await fetch(`${server.url}/clip/compare?api_key=${KEY}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...body, prompt: Array.from({ length: 101 }, (_, i) => `a photo of thing ${i}`) }) });
    expect(many.status).toBe(400);
    expect((await many.json()).message).toMatch(/101 labels is over the limit of 100/);
    const atLimit = await fetch(`${server.url}/clip/compare?api_key=${KEY}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...body, prompt: ['a cat', 'y'.repeat(1000)] }) });
    expect(atLimit.status).toBe(200);
  });
});
