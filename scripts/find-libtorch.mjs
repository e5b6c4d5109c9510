// Finds libtorch for the build, in this order:
//   1. LIBTORCH (a libtorch folder) or Torch_DIR (its share/cmake/Torch folder);
//   2. the torch package of the first Python that has one (python3, python,
//      then this project's own .venv);
//   3. with { install: true }: `pip install torch` (CPU) into the project's
//      ignored .venv folder.
// Used by scripts/install.mjs (cmake-js) and binding.gyp (node-gyp), which
// calls it as `node scripts/find-libtorch.mjs include|libdir|abi`.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const venvDir = path.join(root, '.venv');
const venvPython = path.join(venvDir, 'bin', 'python');
const torchSpec = process.env.EDGE_CLASSIFY_TORCH_SPEC || 'torch==2.13.0+cpu';

const PROBE = [
  'import json, os, torch, torch.utils',
  'print(json.dumps({"root": os.path.dirname(torch.__file__), "prefix": torch.utils.cmake_prefix_path,',
  ' "version": torch.__version__, "abi": int(torch._C._GLIBCXX_USE_CXX11_ABI), "cuda": torch.version.cuda}))',
].join('\n');

function probe(python) {
  try {
    const out = execFileSync(python, ['-c', PROBE], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return { ...JSON.parse(out.trim().split('\n').pop()), source: `python (${python})`, python };
  } catch {
    return null;
  }
}

function fromFolder(folder, source) {
  return { root: folder, prefix: folder, version: 'unknown', abi: 1, cuda: null, source };
}

/** Where libtorch is, or null. `install` allows the pip fallback. */
export function findLibtorch({ install = false, log = () => {} } = {}) {
  if (process.env.LIBTORCH) return fromFolder(path.resolve(process.env.LIBTORCH), 'LIBTORCH');
  if (process.env.Torch_DIR) {
    const dir = path.resolve(process.env.Torch_DIR);
    return { ...fromFolder(path.resolve(dir, '..', '..', '..'), 'Torch_DIR'), torchDir: dir };
  }
  for (const python of ['python3', 'python', venvPython]) {
    const found = probe(python);
    if (found) return found;
  }
  if (!install) return null;
  log(`no libtorch found: installing ${torchSpec} into ${venvDir} (set LIBTORCH or Torch_DIR to use your own)`);
  try {
    if (!existsSync(venvPython)) {
      execFileSync('python3', ['-m', 'venv', '--system-site-packages', venvDir], { stdio: 'inherit' });
    }
    execFileSync(venvPython, ['-m', 'pip', 'install', '--disable-pip-version-check', torchSpec], {
      stdio: 'inherit',
      env: { PIP_RETRIES: '0', ...process.env },
    });
  } catch (error) {
    log(`pip install failed: ${error.message}`);
    return null;
  }
  const found = probe(venvPython);
  return found && { ...found, source: `pip (${venvDir})` };
}

export const NOT_FOUND = `edge-classify needs libtorch to build, and none was found. Do one of:
  1. set LIBTORCH=/path/to/libtorch (a libtorch folder with share/cmake/Torch) or Torch_DIR=/path/to/libtorch/share/cmake/Torch;
  2. install PyTorch for python3 (pip install torch): its bundled libtorch is used;
  3. let the install do it: it runs pip install ${torchSpec} into ${venvDir}, which needs python3 with venv and pip
     and a reachable package index (EDGE_CLASSIFY_TORCH_SPEC changes what is installed).`;

// CLI for binding.gyp
if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const found = findLibtorch();
  if (!found) {
    console.error(NOT_FOUND);
    process.exit(1);
  }
  const what = process.argv[2];
  if (what === 'include') {
    console.log([path.join(found.root, 'include'), path.join(found.root, 'include', 'torch', 'csrc', 'api', 'include')].join(' '));
  } else if (what === 'libdir') {
    console.log(path.join(found.root, 'lib'));
  } else if (what === 'abi') {
    console.log(found.abi);
  } else {
    console.log(JSON.stringify(found, null, 2));
  }
}
