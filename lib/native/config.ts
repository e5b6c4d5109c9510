/** A model's metadata -> the preprocessing and activation settings the native side runs with. */
import { PAD_VALUES } from '../metadata/complete';
import type { ModelMetadata } from '../types';
import type { NativeConfig } from './binding';

/** Mean and std are given in R, G, B order; the native side takes them per tensor plane. */
export function nativeConfig(meta: Omit<ModelMetadata, 'class_names'>, pixelLimit: number, preprocessThreads: number): NativeConfig {
  const bgr = meta.channel_order === 'bgr';
  const perPlane = (v: [number, number, number]): [number, number, number] => (bgr ? [v[2], v[1], v[0]] : [...v]);
  return {
    width: meta.input.width,
    height: meta.input.height,
    resize: meta.resize,
    pad: PAD_VALUES[meta.pad],
    channelOrder: meta.channel_order,
    mean: perPlane(meta.mean),
    std: perPlane(meta.std),
    activation: meta.output === 'probabilities' ? 'none' : meta.task === 'multi-label' ? 'sigmoid' : 'softmax',
    maxPixels: pixelLimit,
    preprocessThreads,
  };
}
