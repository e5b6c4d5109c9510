/** A model path -> the model file: the file itself, or the one model file in a folder (a package). */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { ModelLoadError } from '../errors';

/**
 * The weights a folder is read from, in this order (the README's "Roboflow package support"); ONNX names
 * move first where TensorRT is preferred. `best.onnx` is the legacy package's name for ViT/ResNet weights.
 */
export const WEIGHT_NAMES = ['weights.torchscript', 'weights.pt', 'model.torchscript', 'model.pt', 'weights.onnx', 'best.onnx', 'model.onnx'];
const MODEL_EXTENSIONS = ['.torchscript', '.pt', '.onnx', '.engine', '.plan'];

/**
 * A model path may be a folder (e.g. a Roboflow package): pick the model file in it — TorchScript
 * first, or ONNX first when TensorRT is to be preferred.
 */
export function resolveModelFile(modelPath: string, preferTensorRt = false): string {
  let stat;
  try {
    stat = statSync(modelPath);
  } catch {
    throw new ModelLoadError(`model file not found: ${modelPath}`);
  }
  if (!stat.isDirectory()) return modelPath;
  const order = preferTensorRt ? [...WEIGHT_NAMES.filter((n) => n.endsWith('.onnx')), ...WEIGHT_NAMES.filter((n) => !n.endsWith('.onnx'))] : WEIGHT_NAMES;
  const named = order.map((n) => path.join(modelPath, n)).find((p) => existsSync(p));
  const any = readdirSync(modelPath).filter((n) => MODEL_EXTENSIONS.some((ext) => n.endsWith(ext)));
  const file = named ?? (any.length === 1 ? path.join(modelPath, any[0]) : undefined);
  if (!file) {
    throw new ModelLoadError(
      `no single model file in folder ${modelPath}: expected one of ${WEIGHT_NAMES.join(', ')} or exactly one ${MODEL_EXTENSIONS.map((e) => `*${e}`).join(' / ')} file`,
    );
  }
  return file;
}
