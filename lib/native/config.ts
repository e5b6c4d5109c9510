/** A model's metadata -> the preprocessing and activation settings the native side runs with. */
import { PAD_VALUES } from '../metadata/complete';
import type { ModelMetadata, PreprocessingSteps } from '../types';
import type { NativeConfig, NativeSteps } from './binding';

/** The steps as the native side takes them (roboflow_steps.h); undefined without steps. */
function nativeSteps(p: PreprocessingSteps | undefined): NativeSteps | undefined {
  if (!p || (!p.static_crop && !p.grayscale && !p.contrast)) return undefined;
  const legacy = p.flavor === 'legacy';
  const contrast =
    p.contrast === 'Contrast Stretching' ? 'stretching'
    : p.contrast === 'Histogram Equalization' ? (legacy ? 'equalize-opencv' : 'equalize-skimage')
    : p.contrast === 'Adaptive Equalization' ? (legacy ? 'adaptive-opencv' : 'adaptive-skimage')
    : 'none';
  const c = p.static_crop;
  return { crop: c ? [c.x_min, c.y_min, c.x_max, c.y_max] : undefined, grayscale: p.grayscale, contrast, contrastFirst: legacy };
}

/** Mean and std are given in R, G, B order; the native side takes them per tensor plane. */
export function nativeConfig(meta: Omit<ModelMetadata, 'class_names'>, pixelLimit: number, preprocessThreads: number): NativeConfig {
  const bgr = meta.channel_order === 'bgr';
  const perPlane = (v: [number, number, number]): [number, number, number] => (bgr ? [v[2], v[1], v[0]] : [...v]);
  return {
    width: meta.input.width,
    height: meta.input.height,
    resize: meta.resize,
    pad: typeof meta.pad === 'number' ? meta.pad : PAD_VALUES[meta.pad],
    rounding: meta.letterbox_rounding ?? 'exact',
    interpolation: meta.interpolation ?? 'float',
    steps: nativeSteps(meta.preprocessing),
    channelOrder: meta.channel_order,
    mean: perPlane(meta.mean),
    std: perPlane(meta.std),
    activation: meta.output === 'probabilities' ? 'none' : meta.task === 'multi-label' ? 'sigmoid' : 'softmax',
    maxPixels: pixelLimit,
    preprocessThreads,
  };
}
