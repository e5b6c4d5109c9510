/**
 * Roboflow preprocessing steps (issue 15): what static crop, grayscale and contrast cost on top of the
 * resize, for a decoded 1920x1080 frame into a 224x224 input — edge-classify's native preprocessing
 * (model.preprocess on a raw frame: the steps fused into the resize, one histogram pass for contrast)
 * beside the independent Python reimplementation of Roboflow's server steps (OpenCV, scikit-image,
 * numpy: test/reference/roboflow.py), measured in the same run, decoding excluded on both sides.
 * Usage: npm run bench:roboflow [-- --quick]   (needs the test fixtures: npm test)
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { loadModel } from '../lib/index';
import { type Row, time, writeResults } from './lib/report';

const root = path.resolve(__dirname, '..', '..');
const quick = process.argv.includes('--quick');
const minMs = quick ? 300 : 1500;
const fixtures = path.join(root, 'test', '.fixtures');
const work = path.join(root, 'benchmarks', '.work', 'roboflow');
const python = JSON.parse(readFileSync(path.join(fixtures, 'python.json'), 'utf8')).python as string;

const CROP = { 'static-crop': { enabled: true, x_min: 10, y_min: 10, x_max: 90, y_max: 90 } };
const GRAY = { grayscale: { enabled: true } };
const STRETCH = { contrast: { enabled: true, type: 'Contrast Stretching' } };
const EQUALIZE = { contrast: { enabled: true, type: 'Histogram Equalization' } };
const ADAPTIVE = { contrast: { enabled: true, type: 'Adaptive Equalization' } };
const CASES: [string, Record<string, unknown>, string][] = [
  ['stretch, no steps', {}, 'stretch'],
  ['static crop', CROP, 'stretch'],
  ['grayscale', GRAY, 'stretch'],
  ['contrast stretching', STRETCH, 'stretch'],
  ['histogram equalization', EQUALIZE, 'stretch'],
  ['adaptive equalization', ADAPTIVE, 'stretch'],
  ['crop + grayscale + equalization, letterbox', { ...CROP, ...GRAY, ...EQUALIZE }, 'letterbox'],
];

async function main() {
  mkdirSync(work, { recursive: true });
  const weights = path.join(work, 'weights.torchscript');
  // weights without the fixture's embedded metadata, so that the package files are read
  execFileSync(python, ['-c', 'import sys, torch; torch.jit.save(torch.jit.load(sys.argv[1]), sys.argv[2])', path.join(fixtures, 'models', 'resnet18.torchscript'), weights]);
  const framePath = path.join(work, 'frame-1920x1080.png');
  writeFileSync(framePath, await sharp(path.join(fixtures, 'photos', 'chelsea.png')).resize(1920, 1080, { fit: 'fill' }).png().toBuffer());
  const decoded = await sharp(framePath).raw().toBuffer({ resolveWithObject: true });
  const frame = { data: decoded.data, width: decoded.info.width, height: decoded.info.height, channels: 3 as const };
  const names = Array.from({ length: 1000 }, (_, i) => `class ${i}`).join('\n');
  const rows: Row[] = [];
  for (const [name, pre, resize] of CASES) {
    const dir = path.join(work, name.replace(/[^a-z0-9]+/g, '-'));
    mkdirSync(dir, { recursive: true });
    copyFileSync(weights, path.join(dir, 'weights.torchscript'));
    writeFileSync(path.join(dir, 'class_names.txt'), names);
    writeFileSync(path.join(dir, 'inference_config.json'), JSON.stringify({
      image_pre_processing: pre,
      network_input: { training_input_size: { height: 224, width: 224 }, dynamic_spatial_size_supported: false, color_mode: 'rgb', resize_mode: resize, padding_value: 114, input_channels: 3, scaling_factor: 255, normalization: [[0.485, 0.456, 0.406], [0.229, 0.224, 0.225]] },
      post_processing: { type: 'softmax', fused: false },
    }));
    const model = await loadModel(dir, { device: 'cpu' });
    const ours = await time(() => model.preprocess([frame]), { minMs });
    await model.dispose();
    const [peer] = JSON.parse(execFileSync(python, [path.join(root, 'test', 'reference', 'roboflow.py')], { input: JSON.stringify([{ bench: true, package: dir, image: framePath, min_ms: minMs }]), encoding: 'utf8' }));
    if (!peer.ok) throw new Error(peer.error);
    rows.push({ case: `1920x1080 frame -> 224x224: ${name}`, impl: 'edge-classify (native, fused)', batch: 1, stats: ours, imagesPerSecond: 1000 / ours.medianMs });
    rows.push({ case: `1920x1080 frame -> 224x224: ${name}`, impl: 'Roboflow server steps in Python (OpenCV, scikit-image)', batch: 1, stats: { runs: peer.runs, medianMs: peer.medianMs, p99Ms: peer.p99Ms, minMs: peer.minMs }, imagesPerSecond: 1000 / peer.medianMs });
    console.log(`${name}: edge-classify ${ours.medianMs.toFixed(2)} ms, Python ${peer.medianMs.toFixed(2)} ms`);
  }
  const oursOf = (r: Row) => rows.find((o) => o.case === r.case && o.impl.startsWith('edge-classify'));
  writeResults('roboflow-steps-cpu', 'Roboflow preprocessing steps on the CPU', rows, { note: 'model.preprocess on a decoded frame vs the reference steps on a decoded array; decoding excluded' }, (r) => (r.impl.startsWith('edge-classify') ? undefined : oursOf(r)));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
