/**
 * Converts a result to the output of Roboflow's Workflows classification block
 * (`roboflow_core/roboflow_classification_model@v2`): the prediction gets
 * `prediction_type: "classification"`, `parent_id` and `root_parent_id` (the
 * workflow input's name, `"image"` by default); `model_id` sits beside it.
 */
import type { ClassificationResult, WorkflowBlockOutput } from '../types';

export function toWorkflowBlock(
  result: ClassificationResult,
  options: { modelId: string; parentId?: string; rootParentId?: string },
): WorkflowBlockOutput {
  const { prediction_type: _type, image_path: _path, ...rest } = result;
  const parentId = options.parentId ?? 'image';
  return {
    predictions: { ...rest, prediction_type: 'classification', parent_id: parentId, root_parent_id: options.rootParentId ?? parentId },
    inference_id: result.inference_id,
    model_id: options.modelId,
  };
}
