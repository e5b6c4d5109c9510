/**
 * The Node peers of the benchmarks: onnxruntime-node (installed apart, in benchmarks/node_modules,
 * by `npm --prefix benchmarks run setup`), the sharp + JS preprocessing a Node user writes without
 * edge-classify, and how the peer servers start.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..', '..');

/** The part of onnxruntime-node's API used here, typed locally so that the library builds without the peer installed. */
export interface Ort {
  InferenceSession: { create(file: string, options: { intraOpNumThreads: number; interOpNumThreads: number }): Promise<{ run(feeds: Record<string, unknown>): Promise<Record<string, { data: Float32Array }>>; release(): Promise<void> }> };
  Tensor: new (type: 'float32', data: Float32Array, dims: number[]) => unknown;
  env: { versions?: { node?: string } };
}
// onnxruntime-node lives in benchmarks/node_modules (installed with scripts skipped by `npm --prefix benchmarks run setup`).
export function loadOrt(): Ort {
  try {
    return createRequire(path.join(root, 'benchmarks', 'package.json'))('onnxruntime-node') as Ort;
  } catch {
    console.error('onnxruntime-node is missing: run `npm --prefix benchmarks run setup` first.');
    process.exit(2);
  }
}

/** The part of transformers.js (@huggingface/transformers) used here, typed locally like onnxruntime-node. */
interface Transformers {
  env: { allowRemoteModels: boolean; allowLocalModels: boolean; localModelPath: string };
  pipeline(task: 'image-classification', model: string, options: { dtype: 'fp32'; device: 'cpu' }): Promise<(image: Blob) => Promise<unknown>>;
}

/**
 * transformers.js's image-classification pipeline on a local folder made from the fixture's ONNX export
 * (benchmarks/python/transformersjs_model.py, in test/.fixtures/transformersjs/<model>); nothing is downloaded.
 * Its pipeline takes a Blob (it decodes with sharp itself).
 */
export async function transformersPipeline(modelName: string, modelType: string, metadata: unknown): Promise<(jpeg: Buffer) => Promise<unknown>> {
  let transformers: Transformers;
  try {
    transformers = createRequire(path.join(root, 'benchmarks', 'package.json'))('@huggingface/transformers') as Transformers;
  } catch {
    console.error('@huggingface/transformers is missing: run `npm --prefix benchmarks run setup` first.');
    process.exit(2);
  }
  const fixtures = path.join(root, 'test', '.fixtures');
  const folders = path.join(fixtures, 'transformersjs');
  const folder = path.join(folders, modelName);
  if (!existsSync(path.join(folder, 'onnx', 'model.onnx'))) {
    const python = JSON.parse(readFileSync(path.join(fixtures, 'python.json'), 'utf8')).python as string;
    const metadataFile = path.join(folders, `${modelName}.metadata.json`);
    mkdirSync(folders, { recursive: true });
    writeFileSync(metadataFile, JSON.stringify(metadata));
    execFileSync(python, [path.join(root, 'benchmarks', 'python', 'transformersjs_model.py'), path.join(fixtures, 'models', `${modelName}.onnx`), metadataFile, modelType, folder], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  transformers.env.allowRemoteModels = false;
  transformers.env.allowLocalModels = true;
  transformers.env.localModelPath = folders;
  const classify = await transformers.pipeline('image-classification', modelName, { dtype: 'fp32', device: 'cpu' });
  return (jpeg) => classify(new Blob([jpeg]));
}

export { sharpTensor as sharpPipeline } from './peer-pipeline';

/** Listens on a free loopback port, prints 'listening on URL' (for the parent process), closes on SIGTERM. */
export async function listenUntilTerm(app: { listen(o: { host: string; port: number }): Promise<string>; close(): Promise<unknown> }, onClose: () => Promise<unknown>): Promise<void> {
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  process.stdout.write(`listening on ${address}\n`);
  process.once('SIGTERM', () => void app.close().then(onClose));
}
