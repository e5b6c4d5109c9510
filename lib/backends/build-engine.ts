/**
 * buildEngine(): a TensorRT engine built (and cached beside the ONNX file) ahead of time, so that a
 * box is ready before it serves — the first build of a model takes minutes (about ten on an Orin).
 * It is loadModel() with backend 'tensorrt' and the same options, then dispose(): the engine and its
 * cache file are exactly those a later loadModel() finds. Progress comes from TensorRT's own
 * progress monitor, polled while the native side builds.
 */
import { invalid } from '../options/validate';
import { native } from '../native/binding';
import type { BuildEngineOptions, BuildEngineResult, EngineBuildProgress } from '../types';
import { loadModel } from '../model';

/** How often onProgress is called while a build runs. */
const POLL_MS = 200;

export async function buildEngine(onnx: string, options: BuildEngineOptions = {}): Promise<BuildEngineResult> {
  if (typeof onnx !== 'string' || onnx === '') throw invalid('onnx', 'the path of an ONNX model', onnx);
  if (options === null || typeof options !== 'object') throw invalid('options', 'an object', options);
  const { onProgress, precision, maxBatchSize, device, tensorrt } = options;
  if (onProgress !== undefined && typeof onProgress !== 'function') throw invalid('options.onProgress', 'a function', onProgress);
  const start = performance.now();
  const { binding } = native();
  const before = binding.tensorrtBuildProgress().builds;
  const poll = onProgress
    ? setInterval(() => {
        const now = binding.tensorrtBuildProgress();
        if (now.building) {
          const { model, phase, step, steps, fraction, elapsedMs } = now;
          onProgress({ model, phase, step, steps, fraction, elapsedMs } satisfies EngineBuildProgress);
        }
      }, POLL_MS)
    : undefined;
  try {
    const model = await loadModel(onnx, {
      backend: 'tensorrt',
      device: device ?? 'cuda',
      precision,
      tensorrt,
      ...(maxBatchSize !== undefined ? { batching: { maxBatchSize } } : {}),
    });
    const info = model.info;
    await model.dispose();
    return { info, built: binding.tensorrtBuildProgress().builds > before, ms: performance.now() - start };
  } finally {
    if (poll) clearInterval(poll);
  }
}
