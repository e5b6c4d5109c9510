/**
 * runWorkflow(): a checked plan (spec.ts) run over the request's images — each step once over all of
 * them, in dependency order — and its outputs built per image, `{ outputs: [ {...} per image ] }`, as
 * Roboflow's `/workflows/run` answers. Image inputs take one image or a list (all lists of one length,
 * a single image used for every element); parameters are shared by all images.
 */
import type { Capture } from '../capture/capture';
import type { Clip } from '../clip/clip';
import { WorkflowError } from '../errors';
import type { Model } from '../model';
import type { ImageInput } from '../types';
import type { ImageRef } from './blocks';
import { planWorkflow, type Binding } from './spec';

export interface WorkflowRunOptions {
  /** The models a step may name: "project/version" -> Model, or a lookup. */
  models: Record<string, Model> | ((id: string) => Model | undefined);
  /** A CLIP package for the CLIP comparison blocks. */
  clip?: Clip;
  /** Time allowed to each step's model call. */
  timeoutMs?: number;
  /** Output names left out of the answer. */
  excludedFields?: readonly string[];
  /** Where classification steps with `disable_active_learning: false` save their images and results. */
  capture?: Capture;
}

export interface WorkflowResult {
  /** One object per image, output name -> value. */
  outputs: Record<string, unknown>[];
}

const isImage = (v: unknown) => v instanceof Uint8Array || (typeof v === 'object' && v !== null && ('data' in v || 'path' in v || 'base64' in v));

/** Runs a workflow specification on `inputs` (image inputs: an image or a list; parameters: any value). */
export async function runWorkflow(specification: unknown, inputs: Record<string, unknown>, options: WorkflowRunOptions): Promise<WorkflowResult> {
  const plan = planWorkflow(specification);
  const lookup = typeof options.models === 'function' ? options.models : (id: string) => (Object.hasOwn(options.models, id) ? (options.models as Record<string, Model>)[id] : undefined);
  const given = inputs ?? {};
  // inputs: every image input given, every parameter given or defaulted
  const images = new Map<string, ImageInput[]>();
  const parameters = new Map<string, unknown>();
  let batch = 1;
  for (const input of plan.inputs.values()) {
    const value = Object.hasOwn(given, input.name) ? given[input.name] : undefined;
    if (input.kind === 'image') {
      if (value === undefined) throw new WorkflowError(`the workflow input '${input.name}' (an image) is missing`, { errorType: 'MissingInput', context: 'workflow_execution' });
      const list = Array.isArray(value) ? value : [value];
      if (list.length === 0 || !list.every(isImage)) throw new WorkflowError(`the workflow input '${input.name}' must be an image or a non-empty list of images`, { errorType: 'InvalidInput', context: 'workflow_execution' });
      if (list.length > 1 && batch > 1 && list.length !== batch) throw new WorkflowError(`the image inputs hold ${batch} and ${list.length} images: give them lists of one length`, { errorType: 'InvalidInput', context: 'workflow_execution' });
      batch = Math.max(batch, list.length);
      images.set(input.name, list as ImageInput[]);
    } else {
      if (value === undefined && input.default === undefined) throw new WorkflowError(`the workflow input '${input.name}' is missing and has no default_value`, { errorType: 'MissingInput', context: 'workflow_execution' });
      parameters.set(input.name, value === undefined ? input.default : value);
    }
  }
  const imageAt = (name: string, i: number) => {
    const list = images.get(name)!;
    return list[list.length === 1 ? 0 : i];
  };
  const results = new Map<string, Record<string, unknown>[]>();
  const valueOf = (step: string, property: string, binding: Binding): unknown => {
    if ('literal' in binding) return binding.literal;
    if ('input' in binding) return parameters.get(binding.input);
    const per = results.get(binding.step)!.map((r) => r[binding.output]);
    const first = JSON.stringify(per[0]);
    if (!per.every((v) => JSON.stringify(v) === first)) {
      throw new WorkflowError(`step '${step}', property '${property}': $steps.${binding.step}.${binding.output} differs between images; this engine takes one value per step`, { errorType: 'InvalidParameter', context: 'workflow_execution' });
    }
    return per[0];
  };
  const env = { model: lookup, clip: options.clip, timeoutMs: options.timeoutMs, capture: options.capture };
  for (const step of plan.steps) {
    const values: Record<string, unknown> = {};
    let source: string | undefined;
    for (const property of step.block.properties) {
      const binding = step.properties[property.name];
      if (property.kind === 'image') {
        source = (binding as { input: string }).input;
        continue;
      }
      values[property.name] = binding === undefined ? property.default : valueOf(step.name, property.name, binding);
    }
    const refs: ImageRef[] = Array.from({ length: batch }, (_, i) => ({ bytes: imageAt(source!, i) as Buffer, parentId: source!, rootParentId: source! }));
    results.set(step.name, await step.block.run(step.name, refs, values, env));
  }
  const excluded = new Set(options.excludedFields ?? []);
  const outputs = Array.from({ length: batch }, (_, i) => {
    const out: Record<string, unknown> = {};
    for (const output of plan.outputs) {
      if (excluded.has(output.name)) continue;
      const from = output.from;
      if ('input' in from) {
        const image = images.has(from.input) ? imageAt(from.input, i) : undefined;
        out[output.name] = image === undefined ? parameters.get(from.input) : image instanceof Uint8Array ? { type: 'base64', value: Buffer.from(image).toString('base64') } : image;
      } else {
        const r = results.get(from.step)![i];
        out[output.name] = from.output === undefined ? r : r[from.output];
      }
    }
    return out;
  });
  return { outputs };
}
