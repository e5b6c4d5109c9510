/**
 * What the TypeScript side knows of ONNX Runtime: where its library may be. The native side opens the
 * first that serves its C API version (EDGE_ONNXRUNTIME_LIB before these, the loader's path after):
 * the CPU library that ships inside the onnxruntime-node npm package, resolved from the application's
 * folder and from this package's.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

/** onnxruntime-node's library file, per platform, inside the package. */
function libraryIn(packageDir: string): string {
  const dir = path.join(packageDir, 'bin', 'napi-v6', process.platform, process.arch);
  if (process.platform === 'darwin') return path.join(dir, 'libonnxruntime.1.dylib');
  if (process.platform === 'win32') return path.join(dir, 'onnxruntime.dll');
  return path.join(dir, 'libonnxruntime.so.1');
}

/** The library files to try, in order, that exist. */
export function onnxRuntimeCandidates(from: string[] = [process.cwd(), __dirname]): string[] {
  const found: string[] = [];
  for (const start of from) {
    let manifest: string;
    try {
      manifest = require.resolve('onnxruntime-node/package.json', { paths: [start] });
    } catch {
      continue;
    }
    const file = libraryIn(path.dirname(manifest));
    if (existsSync(file) && !found.includes(file)) found.push(file);
  }
  return found;
}
