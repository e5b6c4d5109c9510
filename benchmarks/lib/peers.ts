/**
 * The Node peers of the benchmarks: onnxruntime-node (installed apart, in benchmarks/node_modules,
 * by `npm --prefix benchmarks run setup`), the sharp + JS preprocessing a Node user writes without
 * edge-classify, and how the peer servers start.
 */
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

export { sharpTensor as sharpPipeline } from '../../lib/peer-pipeline';

/** Listens on a free loopback port, prints 'listening on URL' (for the parent process), closes on SIGTERM. */
export async function listenUntilTerm(app: { listen(o: { host: string; port: number }): Promise<string>; close(): Promise<unknown> }, onClose: () => Promise<unknown>): Promise<void> {
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  process.stdout.write(`listening on ${address}\n`);
  process.once('SIGTERM', () => void app.close().then(onClose));
}
