/** edge-classify classify <files|dirs|globs>: results as json, jsonl, table or csv; progress and a summary. */
import { EXIT, fail, parse } from './args';
import { EdgeClassifyError } from '../errors';
import { expandImages } from '../input/files';
import { defaultModelPath, loadModel } from '../index';
import type { Model } from '../model';
import { Progress } from './progress';
import type { ClassificationResult, Device } from '../types';

const USAGE = `Usage: edge-classify [classify] <files|dirs|globs...> [options]

Classifies images (directories are walked for image files; * ? ** wildcards are expanded) and
prints Roboflow-compatible results.

Options:
  -m, --model <path>        TorchScript model or model folder (default: the bundled digits model)
  -d, --device <device>     auto | cpu | cuda | cuda:N (default: auto)
  -c, --confidence <0..1>   threshold (single-label: drop classes below it; multi-label: predicted_classes)
  -k, --top-k <n>           only the best n predictions per image (default: every class)
  -f, --format <format>     json (an array, default) | jsonl (one result per line, streamed) | table | csv
  -b, --batch <n>           images per batch (default 8)
  -q, --quiet               no progress bar or summary
  -h, --help                show this help

A progress bar with rate and ETA is drawn on stderr when it is a terminal; a summary (images, failures,
counts per class, images/s) follows on stderr.
Exit codes: 0 success, 1 a model or image failed (the others are still classified), 2 bad usage.`;

const FORMATS = ['json', 'jsonl', 'table', 'csv'] as const;

function top(r: ClassificationResult): string {
  return 'top' in r ? r.top : r.predicted_classes.join(';');
}

function confidenceOf(r: ClassificationResult): string {
  return 'top' in r ? String(r.confidence) : r.predicted_classes.map((c) => r.predictions[c].confidence.toFixed(4)).join(';');
}

const csvCell = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

export async function classifyCommand(argv: string[]): Promise<number> {
  const parsed = parse(argv, {
    model: { type: 'string', short: 'm' },
    device: { type: 'string', short: 'd' },
    confidence: { type: 'string', short: 'c' },
    'top-k': { type: 'string', short: 'k' },
    format: { type: 'string', short: 'f' },
    batch: { type: 'string', short: 'b' },
    quiet: { type: 'boolean', short: 'q' },
  }, USAGE, 'classify');
  if (!parsed) return EXIT.usage;
  if (parsed.help) return EXIT.ok;
  const { values, positionals } = parsed;
  if (positionals.length === 0) {
    fail(`classify: no images given\n\n${USAGE}`);
    return EXIT.usage;
  }
  const format = (values.format ?? 'json') as (typeof FORMATS)[number];
  if (!FORMATS.includes(format)) {
    fail(`classify: --format must be one of ${FORMATS.join(', ')}, got '${values.format}'`);
    return EXIT.usage;
  }
  const batch = values.batch === undefined ? 8 : Number(values.batch);
  if (!Number.isInteger(batch) || batch < 1) {
    fail(`classify: --batch must be a positive integer, got '${values.batch}'`);
    return EXIT.usage;
  }
  const confidence = values.confidence === undefined ? undefined : Number(values.confidence);
  if (confidence !== undefined && !(confidence >= 0 && confidence <= 1)) {
    fail(`classify: --confidence must be a number between 0 and 1, got '${values.confidence}'`);
    return EXIT.usage;
  }
  const topK = values['top-k'] === undefined ? undefined : Number(values['top-k']);
  if (topK !== undefined && !(Number.isInteger(topK) && topK >= 1)) {
    fail(`classify: --top-k must be a positive integer, got '${values['top-k']}'`);
    return EXIT.usage;
  }
  const files: string[] = [];
  let failed = 0;
  for (const arg of positionals) {
    try {
      files.push(...(await expandImages([arg])));
    } catch (error) {
      failed++; // a missing file or an empty match fails like an unreadable image
      fail(`classify: ${(error as Error).message}`);
    }
  }
  let model: Model;
  try {
    model = await loadModel(values.model ?? defaultModelPath, { device: (values.device ?? 'auto') as Device });
  } catch (error) {
    fail(`classify: ${(error as Error).message}`);
    return error instanceof EdgeClassifyError && error.code === 'ERR_INVALID_OPTION' ? EXIT.usage : EXIT.failed;
  }

  const start = Date.now();
  const progress = new Progress(values.quiet ? 0 : files.length);
  const results: ClassificationResult[] = [];
  const counts = new Map<string, number>();
  const options = { confidence, topK: topK === undefined ? undefined : Math.min(topK, model.info.numClasses) };
  const emit = (r: ClassificationResult) => {
    results.push(r);
    counts.set(top(r), (counts.get(top(r)) ?? 0) + 1);
    if (format === 'jsonl') process.stdout.write(`${JSON.stringify(r)}\n`);
  };
  for (let i = 0; i < files.length; i += batch) {
    const chunk = files.slice(i, i + batch);
    try {
      (await model.classifyBatch(chunk, options)).forEach(emit);
    } catch {
      // one bad file fails the batch: classify its files one by one to report just that one
      for (const file of chunk) {
        try {
          emit(await model.classify(file, options));
        } catch (error) {
          failed++;
          progress.end();
          fail(`classify: ${file}: ${(error as Error).message}`);
        }
      }
    }
    progress.tick(chunk.length);
  }
  progress.end();
  await model.dispose();

  if (format === 'json') process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  if (format === 'csv') {
    process.stdout.write('image,top,confidence\n');
    for (const r of results) process.stdout.write(`${csvCell(r.image_path ?? '')},${csvCell(top(r))},${confidenceOf(r)}\n`);
  }
  if (format === 'table') {
    const rows = results.map((r) => [r.image_path ?? '', top(r), confidenceOf(r)]);
    const head = ['image', 'top', 'confidence'];
    const widths = head.map((h, k) => Math.max(h.length, ...rows.map((row) => row[k].length)));
    for (const row of [head, ...rows]) process.stdout.write(`${row.map((c, k) => c.padEnd(widths[k])).join('  ').trimEnd()}\n`);
  }
  if (!values.quiet) {
    const seconds = (Date.now() - start) / 1000;
    const classes = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c || '(none)'}: ${n}`).join(', ');
    process.stderr.write(`${results.length} classified, ${failed} failed in ${seconds.toFixed(2)} s (${(results.length / Math.max(seconds, 1e-3)).toFixed(1)} images/s)${classes ? `; top classes: ${classes}` : ''}\n`);
  }
  return failed > 0 ? EXIT.failed : EXIT.ok;
}
