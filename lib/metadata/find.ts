/**
 * Finds a model's metadata: the TorchScript extra file `metadata.json`, the ONNX metadata_props
 * entry "metadata.json", a sidecar `<model file>.json`, or Roboflow's package files beside the model
 * (roboflow.ts: inference_config.json, then environment.json), in that order.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ModelLoadError } from '../errors';
import type { MetadataSource } from '../types';
import type { PartialMetadata } from './complete';
import { parseJson } from './json';
import { onnxMetadataFile } from './onnx';
import { fromRoboflow } from './roboflow';

/** An ONNX model's metadata_props, read without loading the file; a typed error when it is not ONNX. */
export async function readOnnxProps(modelFile: string): Promise<Map<string, string> | undefined> {
  if (!modelFile.endsWith('.onnx')) return undefined;
  try {
    return await onnxMetadataFile(modelFile);
  } catch (error) {
    throw new ModelLoadError(`${modelFile} is not a readable ONNX model: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Finds the metadata of `modelFile` (`embedded` = its TorchScript extra file, if any; `onnxProps` =
 * readOnnxProps() of an ONNX file).
 */
export function findMetadata(modelFile: string, embedded: string | null, onnxProps?: Map<string, string>): { metadata: PartialMetadata; source: MetadataSource } {
  if (embedded) return { metadata: parseJson(embedded, `${modelFile} (extra file metadata.json)`) as PartialMetadata, source: 'torchscript' };
  if (onnxProps) {
    const json = onnxProps.get('metadata.json');
    if (json) return { metadata: parseJson(json, `${modelFile} (ONNX metadata_props "metadata.json")`) as PartialMetadata, source: 'onnx' };
  }
  const sidecar = `${modelFile}.json`;
  if (existsSync(sidecar)) return { metadata: parseJson(readFileSync(sidecar, 'utf8'), sidecar) as PartialMetadata, source: 'sidecar' };
  const roboflow = fromRoboflow(path.dirname(modelFile));
  if (roboflow) return { metadata: roboflow.metadata, source: roboflow.format === 'inference_config.json' ? 'roboflow-inference-config' : 'roboflow' };
  return { metadata: {}, source: 'options' };
}
