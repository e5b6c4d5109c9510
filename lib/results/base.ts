/**
 * What every Roboflow classification result carries, in Roboflow's field order: inference_id, time,
 * image, the task's own fields, prediction_type, and image_path when the input was a file.
 */
import { randomUUID } from 'node:crypto';

/** Facts about one image's call that go into its result. */
export interface ResultContext {
  /** Seconds of the whole call. */
  time: number;
  image: { width: number; height: number };
  /** Set when the input was a file path. */
  imagePath?: string;
}

/** The result object: the common fields around the task's own `fields`. */
export function resultBase<F extends object>(context: ResultContext, fields: F): { inference_id: string; time: number; image: { width: number; height: number } } & F & { prediction_type: 'ClassificationModel'; image_path?: string } {
  const result = { inference_id: randomUUID(), time: context.time, image: context.image, ...fields, prediction_type: 'ClassificationModel' as const };
  return context.imagePath === undefined ? result : { ...result, image_path: context.imagePath };
}
