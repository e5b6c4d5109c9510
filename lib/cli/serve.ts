/** edge-classify serve: the HTTP server (lib/server/) with its models, keys and limits. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { openCapture, type Capture } from '../capture/capture';
import { EXIT, fail, parse } from './args';
import type { Clip } from '../clip/clip';
import { defaultModelPath, loadClip, loadModel } from '../index';
import type { Model } from '../model';
import { allowedHost } from '../input';
import { createServer } from '../server/server';
import { hasBlankKey } from '../server/auth';
import { DEFAULT_MAX_REQUEST_PIXELS, DEFAULT_MAX_SIDE } from '../server/limits';
import type { Device } from '../types';

const USAGE = `Usage: edge-classify serve [options]

A local drop-in for Roboflow's classification API: POST /<project>/<version> (base64 body or
?image=<url>), POST /infer/classification (JSON), POST /clip/compare (with --clip), GET /healthz,
GET /metrics.

Options:
  -m, --model <id=path>      a model as project/version=path (repeatable; default digits/1=<bundled model>)
  -H, --host <host>          address to listen on (default 127.0.0.1)
  -p, --port <port>          port (default 9001; 0 picks a free one)
  -k, --api-key <key>        accepted API key (repeatable; also EDGE_CLASSIFY_API_KEYS, comma-separated)
      --allow-unauthenticated  allow listening on a non-loopback address without API keys
      --allow-url-host <host[:port]>  allow ?image=<url> / {type:"url"} from this host: 'host' on its
                             protocol's default port only, 'host:port' on that port (repeatable; default: off)
      --max-body-mb <n>      largest request body (default 20)
      --max-pixels <n>       largest decoded image, width x height (default 40000000: a small
                             compressed image can decode to gigabytes)
      --max-side <n>         longest side of an image, from its header before decoding (default 16384)
      --max-request-pixels <n>  decoded pixels of all images of one request together (default 100000000)
      --timeout-ms <n>       time allowed per image, queue included (default 30000)
  -d, --device <device>      auto | cpu | cuda | cuda:N (default auto)
      --clip <dir>           a CLIP package (scripts/models/export_clip.py) for POST /clip/compare
      --max-prompts <n>      most prompts in one /clip/compare request (default 100; each at most 1000 characters)
      --skip-warmup          do not run blank batches through each model before listening
      --models-dir <dir>     packages as <dir>/<project>/<version> that POST /model/add loads by model id
                             (inference_sdk's load_model; only inside <dir>)
      --metrics-without-key  answer GET /metrics without an API key (default: it needs one)
      --capture-dir <dir>    save sampled requests' images and results there, for retraining
                             (Roboflow's active learning at the edge; docs/capture.md)
      --capture-config <file>  JSON { samplers: [...], limits: { perMinute, perHour } } (default:
                             10 % of requests at random, no limit)
      --capture-max-mb <n>   the capture folder's quota (default 1024); capturing stops there
  -h, --help                 show this help

Prints 'listening on http://HOST:PORT' on stdout when ready. SIGTERM/SIGINT: stop accepting, finish
the requests in flight, dispose the models, exit 0.
Exit codes: 0 clean shutdown, 1 a model failed to load or the port is taken, 2 bad usage.`;

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export async function serveCommand(argv: string[]): Promise<number> {
  const parsed = parse(argv, {
    model: { type: 'string', short: 'm', multiple: true },
    host: { type: 'string', short: 'H' },
    port: { type: 'string', short: 'p' },
    'api-key': { type: 'string', short: 'k', multiple: true },
    'allow-unauthenticated': { type: 'boolean' },
    'allow-url-host': { type: 'string', multiple: true },
    'max-body-mb': { type: 'string' },
    'max-pixels': { type: 'string' },
    'max-side': { type: 'string' },
    'max-prompts': { type: 'string' },
    'max-request-pixels': { type: 'string' },
    'timeout-ms': { type: 'string' },
    device: { type: 'string', short: 'd' },
    clip: { type: 'string' },
    'skip-warmup': { type: 'boolean' },
    'models-dir': { type: 'string' },
    'metrics-without-key': { type: 'boolean' },
    'capture-dir': { type: 'string' },
    'capture-config': { type: 'string' },
    'capture-max-mb': { type: 'string' },
  }, USAGE, 'serve');
  if (!parsed) return EXIT.usage;
  if (parsed.help) return EXIT.ok;
  const v = parsed.values as Record<string, string | string[] | boolean | undefined>;
  if (parsed.positionals.length > 0) {
    fail(`serve: unexpected argument '${parsed.positionals[0]}'\n\n${USAGE}`);
    return EXIT.usage;
  }
  const host = (v.host as string | undefined) ?? '127.0.0.1';
  const port = v.port === undefined ? 9001 : Number(v.port);
  const maxBodyMb = v['max-body-mb'] === undefined ? 20 : Number(v['max-body-mb']);
  const timeoutMs = v['timeout-ms'] === undefined ? 30_000 : Number(v['timeout-ms']);
  const maxPixels = v['max-pixels'] === undefined ? 40_000_000 : Number(v['max-pixels']);
  const maxSide = v['max-side'] === undefined ? DEFAULT_MAX_SIDE : Number(v['max-side']);
  const maxRequestPixels = v['max-request-pixels'] === undefined ? DEFAULT_MAX_REQUEST_PIXELS : Number(v['max-request-pixels']);
  const maxPrompts = v['max-prompts'] === undefined ? 100 : Number(v['max-prompts']);
  const positive = (n: number) => Number.isInteger(n) && n > 0;
  for (const [name, value, ok] of [['--port', port, Number.isInteger(port) && port >= 0 && port < 65536], ['--max-body-mb', maxBodyMb, maxBodyMb > 0], ['--timeout-ms', timeoutMs, timeoutMs > 0], ['--max-pixels', maxPixels, positive(maxPixels)], ['--max-side', maxSide, positive(maxSide)], ['--max-request-pixels', maxRequestPixels, positive(maxRequestPixels)], ['--max-prompts', maxPrompts, positive(maxPrompts)]] as const) {
    if (!ok) {
      fail(`serve: ${name} is invalid: '${String(value)}'`);
      return EXIT.usage;
    }
  }
  const keys = [...((v['api-key'] as string[] | undefined) ?? []), ...(process.env.EDGE_CLASSIFY_API_KEYS ?? '').split(',').map((k) => k.trim()).filter(Boolean)];
  if (hasBlankKey(keys)) {
    fail(`serve: --api-key is empty: give the key itself (an unset variable in --api-key "$KEY" gives an empty one)`);
    return EXIT.usage;
  }
  if (!LOOPBACK.has(host) && keys.length === 0 && !v['allow-unauthenticated']) {
    fail(`serve: refusing to listen on ${host} without API keys: give --api-key (or EDGE_CLASSIFY_API_KEYS), or --allow-unauthenticated`);
    return EXIT.usage;
  }
  for (const entry of (v['allow-url-host'] as string[] | undefined) ?? []) {
    try {
      allowedHost(entry);
    } catch (error) {
      fail(`serve: --allow-url-host ${(error as Error).message.replace(/^allowUrlHosts: /, '')}`);
      return EXIT.usage;
    }
  }
  const specs = (v.model as string[] | undefined) ?? [`digits/1=${defaultModelPath}`];
  const models: Record<string, Model> = {};
  const disposeAll = () => Promise.all(Object.values(models).map((m) => m.dispose()));
  for (const spec of specs) {
    const match = /^([^/=\s]+\/[^/=\s]+)=(.+)$/.exec(spec);
    if (!match) {
      fail(`serve: --model must be project/version=path, got '${spec}'`);
      return EXIT.usage;
    }
    try {
      models[match[1]] = await loadModel(match[2], { device: ((v.device as string | undefined) ?? 'auto') as Device, limitInputPixels: maxPixels });
    } catch (error) {
      fail(`serve: ${match[1]}: ${(error as Error).message}`);
      await disposeAll();
      return EXIT.failed;
    }
  }
  let clip: Clip | undefined;
  if (v.clip) {
    try {
      clip = await loadClip(v.clip as string, { device: ((v.device as string | undefined) ?? 'auto') as Device, limitInputPixels: maxPixels, maxLabels: maxPrompts });
    } catch (error) {
      fail(`serve: --clip: ${(error as Error).message}`);
      await disposeAll();
      return EXIT.failed;
    }
  }
  if (!v['skip-warmup']) {
    // the first requests should not pay for lazy initialisation, autotuning or graph capture
    await Promise.all(Object.values(models).map((m) => m.warmup().catch(() => undefined)));
  }
  const modelsDir = v['models-dir'] as string | undefined;
  if (modelsDir !== undefined && !(existsSync(modelsDir) && statSync(modelsDir).isDirectory())) {
    fail(`serve: --models-dir '${modelsDir}' is not a folder`);
    await disposeAll();
    return EXIT.usage;
  }
  const device = ((v.device as string | undefined) ?? 'auto') as Device;
  let capture: Capture | undefined;
  if (v['capture-dir'] !== undefined) {
    try {
      const config = v['capture-config'] === undefined ? {} : JSON.parse(readFileSync(v['capture-config'] as string, 'utf8'));
      const maxMb = v['capture-max-mb'] === undefined ? 1024 : Number(v['capture-max-mb']);
      if (!(maxMb >= 0)) throw new Error(`--capture-max-mb is invalid: '${String(v['capture-max-mb'])}'`);
      capture = await openCapture({ dir: v['capture-dir'] as string, samplers: config.samplers, limits: config.limits, maxBytes: Math.round(maxMb * 2 ** 20) });
    } catch (error) {
      fail(`serve: --capture-dir / --capture-config: ${(error as Error).message}`);
      await disposeAll();
      return EXIT.usage;
    }
  }
  const app = createServer({
    models, clip, modelsDir, capture, metricsWithoutKey: Boolean(v['metrics-without-key']),
    loadModel: (folder) => loadModel(folder, { device, limitInputPixels: maxPixels }),
    apiKeys: keys, allowUrlHosts: v['allow-url-host'] as string[] | undefined, maxBodyBytes: Math.round(maxBodyMb * 2 ** 20), requestTimeoutMs: timeoutMs, maxImageSide: maxSide, maxRequestPixels });
  let address: string;
  try {
    address = await app.listen({ host, port });
  } catch (error) {
    fail(`serve: cannot listen on ${host}:${port}: ${(error as Error).message}`);
    await capture?.close();
    await disposeAll();
    return EXIT.failed;
  }
  process.stdout.write(`listening on ${address} (models: ${Object.keys(models).join(', ')}; ${keys.length ? `${keys.length} API key(s)` : 'no API keys'})\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      process.stderr.write(`edge-classify serve: ${signal}: finishing requests in flight\n`);
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await app.close();
  await capture?.close(); // the captures of the last requests are written before the process ends
  await disposeAll();
  await clip?.dispose();
  return EXIT.ok;
}
