// Test set-up (run by `npm test` before vitest): makes sure a Python with the
// reference stack (torch, OpenCV, scikit-learn, scikit-image) exists — the
// system python3 if it has everything, else this project's ignored .venv,
// created and filled with pip — then exports the test fixtures into
// test/.fixtures (idempotent: the export script skips work already done).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'test', '.fixtures');
const venv = path.join(root, '.venv');
const venvPython = path.join(venv, 'bin', 'python');
const requirements = path.join(root, 'scripts', 'models', 'requirements.txt');
const log = (m) => console.error(`fixtures: ${m}`);

function hasStack(python) {
  try {
    execFileSync(python, ['-c', 'import torch, cv2, sklearn, skimage, numpy, onnx, onnxruntime, requests, ftfy, regex, tqdm'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

let python = [venvPython, 'python3'].find((p) => (p === 'python3' || existsSync(p)) && hasStack(p));
if (!python) {
  log(`installing the Python reference stack into ${venv} (${requirements})`);
  if (!existsSync(venvPython)) execFileSync('python3', ['-m', 'venv', '--system-site-packages', venv], { stdio: 'inherit' });
  execFileSync(venvPython, ['-m', 'pip', 'install', '--disable-pip-version-check', '-r', requirements], {
    stdio: 'inherit',
    env: { PIP_RETRIES: '0', ...process.env },
  });
  python = venvPython;
}
mkdirSync(out, { recursive: true });
const started = Date.now();
execFileSync(python, [path.join(root, 'scripts', 'models', 'make_fixtures.py'), '--out', out, '--onnx'], { stdio: 'inherit', cwd: root });
// open_clip's tokenizer and BPE vocabulary, the reference of the CLIP tokenizer test: taken from the
// open-clip-torch wheel (not installed: importing open_clip needs torchvision, which fails beside the CPU torch).
const clipDir = path.join(out, 'clip');
if (!existsSync(path.join(clipDir, 'tokenizer.py'))) {
  mkdirSync(clipDir, { recursive: true });
  execFileSync(python, ['-m', 'pip', 'download', '--disable-pip-version-check', '--no-deps', '-q', '-d', clipDir, 'open-clip-torch'], {
    stdio: 'inherit',
    env: { PIP_RETRIES: '0', ...process.env },
  });
  execFileSync(python, ['-c', `import glob, zipfile, sys
z = zipfile.ZipFile(glob.glob(sys.argv[1] + '/open_clip_torch-*.whl')[0])
for name in ('tokenizer.py', 'bpe_simple_vocab_16e6.txt.gz'):
    open(sys.argv[1] + '/' + name, 'wb').write(z.read('open_clip/' + name))
for name in z.namelist():
    if name.startswith('open_clip/'):
        z.extract(name, sys.argv[1] + '/site')`, clipDir]);
}
// A tiny CLIP package with seeded random weights, exported from open_clip (scripts/models/export_clip.py).
const tinyClip = path.join(clipDir, 'tiny');
if (!existsSync(path.join(tinyClip, 'clip.json'))) {
  execFileSync(python, [path.join(root, 'scripts', 'models', 'export_clip.py'), tinyClip, '--arch', 'tiny', '--seed', '0', '--open-clip-site', path.join(clipDir, 'site')], { stdio: 'inherit' });
}
writeFileSync(path.join(out, 'python.json'), JSON.stringify({ python }));
log(`fixtures ready in ${out} (${((Date.now() - started) / 1000).toFixed(1)} s, python: ${python})`);
