// `npm install` entry: use a working prebuilt or local binary if there is one,
// otherwise find libtorch (scripts/find-libtorch.mjs) and build with cmake-js.
//   --force     rebuild even when a binary loads
//   --prebuild  build, then copy the binary into prebuilds/ (node-gyp-build's layout)
//   --sanitize  an ASan + UBSan build into build-asan/ (scripts/asan-suite.sh loads it)
//   --without-onnxruntime  a build without the onnxruntime backend into build-no-ort/ (its error is tested)
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findLibtorch, NOT_FOUND } from './find-libtorch.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const args = new Set(process.argv.slice(2));
const log = (message) => console.error(`edge-classify: ${message}`);

function existingBinaryLoads() {
  try {
    const binding = require('node-gyp-build')(root);
    log(`using the existing binary (libtorch ${binding.buildInfo().torch})`);
    return true;
  } catch {
    return false;
  }
}

if (!args.has('--force') && !args.has('--prebuild') && !args.has('--sanitize') && !args.has('--without-onnxruntime') && existingBinaryLoads()) process.exit(0);

const torch = findLibtorch({ install: true, log });
if (!torch) {
  log(NOT_FOUND);
  process.exit(1);
}
log(`building against libtorch ${torch.version} from ${torch.source}: ${torch.root}`);

const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
const defines = [`--CDCMAKE_PREFIX_PATH=${torch.prefix}`];
// --sanitize: an AddressSanitizer + UndefinedBehaviorSanitizer build in build-asan/ (scripts/asan-suite.sh)
const sanitize = args.has('--sanitize');
if (sanitize) defines.push('--CDEDGE_SANITIZE=ON');
if (torch.torchDir) defines.push(`--CDTorch_DIR=${torch.torchDir}`);
if (process.env.EDGE_CUDA) defines.push(`--CDEDGE_CUDA=${process.env.EDGE_CUDA}`);
if (process.env.EDGE_CUDA_ARCHITECTURES) defines.push(`--CDEDGE_CUDA_ARCHITECTURES=${process.env.EDGE_CUDA_ARCHITECTURES}`);
// --without-onnxruntime: a second binary in build-no-ort/ without the onnxruntime backend (CI checks its error)
const withoutOrt = args.has('--without-onnxruntime');
if (withoutOrt || process.env.EDGE_ONNXRUNTIME === 'OFF') defines.push('--CDEDGE_ONNXRUNTIME=OFF');
try {
  execFileSync(process.execPath, [cmakeJs, 'compile', '--out', sanitize ? 'build-asan' : withoutOrt ? 'build-no-ort' : 'build', ...defines], {
    cwd: root,
    stdio: 'inherit',
    env: { CMAKE_BUILD_PARALLEL_LEVEL: String(os.availableParallelism()), ...process.env },
  });
} catch {
  log('the native build failed (see the compiler output above)');
  process.exit(1);
}

if (args.has('--prebuild')) {
  const dir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  mkdirSync(dir, { recursive: true });
  copyFileSync(path.join(root, 'build', 'Release', 'edge_classify.node'), path.join(dir, 'edge-classify.napi.node'));
  log(`prebuild written to ${dir}`);
}
