/**
 * The workflow blocks this engine runs, with their manifests as Roboflow's blocks declare them
 * (docs/workflows.md): single-label classification v1/v2/v3, multi-label classification v1/v2/v3,
 * CLIP comparison v1/v2. A block runs once per step over all images of the request, and gives one
 * output object per image.
 */
import { randomUUID } from 'node:crypto';
import { Capture } from '../capture/capture';
import { similarityOf, type Clip } from '../clip/clip';
import { WorkflowError } from '../errors';
import type { Model } from '../model';
import { toWorkflowBlock } from '../results';

/** What a property takes or an output gives; 'any' takes a parameter of any value. */
export type Kind = 'image' | 'any' | 'roboflow_model_id' | 'number' | 'boolean' | 'string' | 'list_of_strings' | 'classification_prediction' | 'inference_id' | 'list_of_values';

export interface Property {
  name: string;
  aliases?: string[];
  kind: Kind;
  required?: boolean;
  default?: unknown;
}

/** One image of the request and where it came from (the input's name, for parent_id). */
export interface ImageRef {
  bytes: Buffer;
  parentId: string;
  rootParentId: string;
}

export interface BlockEnv {
  model(id: string): Model | undefined;
  clip: Clip | undefined;
  timeoutMs: number | undefined;
  capture: Capture | undefined;
}

export interface Block {
  type: string;
  aliases: string[];
  properties: Property[];
  propertyNames: string[];
  property(key: string): Property | undefined;
  outputs: { name: string; kind: Kind }[];
  run(step: string, images: ImageRef[], values: Record<string, unknown>, env: BlockEnv): Promise<Record<string, unknown>[]>;
}

function block(type: string, aliases: string[], properties: Property[], outputs: { name: string; kind: Kind }[], run: Block['run']): Block {
  const byKey = new Map<string, Property>();
  for (const p of properties) for (const key of [p.name, ...(p.aliases ?? [])]) byKey.set(key, p);
  return { type, aliases, properties, propertyNames: properties.map((p) => p.name), property: (key) => byKey.get(key), outputs, run };
}

const invalid = (step: string, field: string, message: string) => new WorkflowError(`step '${step}', property '${field}': ${message}`, { errorType: 'InvalidParameter', context: 'workflow_execution' });

/** A step's confidence threshold: `confidence`, or v3's `confidence_mode` ("default" 0.5, "best" 0.5 here, "custom": `custom_confidence`). */
function thresholdOf(step: string, values: Record<string, unknown>): number {
  let value = values.confidence;
  if (values.confidence_mode !== undefined) {
    const mode = values.confidence_mode;
    if (mode !== 'default' && mode !== 'best' && mode !== 'custom') throw invalid(step, 'confidence_mode', `must be 'default', 'best' or 'custom', got ${JSON.stringify(mode)}`);
    value = mode === 'custom' ? values.custom_confidence : 0.5;
  }
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw invalid(step, 'confidence', `must be a number between 0 and 1, got ${JSON.stringify(value)}`);
  return value;
}

function modelOf(step: string, values: Record<string, unknown>, env: BlockEnv, task: 'single-label' | 'multi-label'): { id: string; model: Model } {
  const id = values.model_id;
  if (typeof id !== 'string') throw invalid(step, 'model_id', `must be a model id "project/version", got ${JSON.stringify(id)}`);
  const model = env.model(id);
  if (!model) throw new WorkflowError(`step '${step}': no model '${id}' here`, { errorType: 'ModelNotFound', context: 'workflow_execution', status: 404 });
  if (model.info.metadata.task !== task) throw invalid(step, 'model_id', `'${id}' is a ${model.info.metadata.task} model; this block runs ${task} models`);
  return { id, model };
}

const CLASSIFICATION_PROPERTIES = (v3: 'single' | 'multi' | false): Property[] => [
  { name: 'images', aliases: ['image'], kind: 'image', required: true },
  { name: 'model_id', kind: 'roboflow_model_id', required: true },
  ...(v3
    ? [
        { name: 'confidence_mode', kind: 'any' as Kind, default: v3 === 'multi' ? 'best' : 'default' },
        { name: 'custom_confidence', kind: 'number' as Kind, default: 0.4 },
      ]
    : [{ name: 'confidence', kind: 'number' as Kind, default: 0.4 }]),
  { name: 'disable_active_learning', kind: 'boolean', default: true },
  { name: 'active_learning_target_dataset', kind: 'string', default: null },
  { name: 'top_k', kind: 'number', default: null }, // ours: only the best k predictions (null: all)
];

function classification(task: 'single-label' | 'multi-label', version: 1 | 2 | 3): Block {
  const base = task === 'single-label' ? 'roboflow_core/roboflow_classification_model' : 'roboflow_core/roboflow_multi_label_classification_model';
  const aliases = version === 1 ? (task === 'single-label' ? ['RoboflowClassificationModel', 'ClassificationModel'] : ['RoboflowMultiLabelClassificationModel', 'MultiLabelClassificationModel']) : [];
  const outputs: { name: string; kind: Kind }[] = [
    { name: 'predictions', kind: 'classification_prediction' },
    { name: 'inference_id', kind: version === 1 ? 'string' : 'inference_id' },
    ...(version === 1 ? [] : [{ name: 'model_id', kind: 'roboflow_model_id' as Kind }]),
  ];
  const v3 = version === 3 ? (task === 'single-label' ? 'single' : 'multi') : false;
  return block(`${base}@v${version}`, aliases, CLASSIFICATION_PROPERTIES(v3), outputs, async (step, images, values, env) => {
    const { id, model } = modelOf(step, values, env, task);
    const confidence = thresholdOf(step, values);
    const topK = values.top_k ?? undefined;
    if (topK !== undefined && !(Number.isInteger(topK) && (topK as number) >= 1 && (topK as number) <= model.info.numClasses)) {
      throw invalid(step, 'top_k', `must be a whole number from 1 to ${model.info.numClasses} (the model's classes), got ${JSON.stringify(topK)}`);
    }
    const results = await model.classifyBatch(images.map((i) => i.bytes), { confidence, timeoutMs: env.timeoutMs, topK: topK as number | undefined });
    const inferenceId = randomUUID(); // one per step batch, as Roboflow's blocks have it
    if (env.capture && values.disable_active_learning === false) {
      // active learning, at the edge: the block's own switch (default on: disabled) and target dataset
      let dataset: string | undefined;
      try {
        dataset = Capture.checkDataset(values.active_learning_target_dataset);
      } catch (error) {
        throw invalid(step, 'active_learning_target_dataset', (error as Error).message);
      }
      results.forEach((r, i) => {
        if (images[i].bytes instanceof Uint8Array) env.capture!.offer(images[i].bytes, { ...r, inference_id: inferenceId }, { modelId: id, dataset });
      });
    }
    return results.map((r, i) => {
      const out = toWorkflowBlock({ ...r, inference_id: inferenceId }, { modelId: id, parentId: images[i].parentId, rootParentId: images[i].rootParentId });
      return version === 1 ? { predictions: out.predictions, inference_id: out.inference_id } : { ...out };
    });
  });
}

function clipOf(step: string, env: BlockEnv): Clip {
  if (!env.clip) throw new WorkflowError(`step '${step}': this server has no CLIP model (start it with --clip <package folder>)`, { errorType: 'ModelNotFound', context: 'workflow_execution', status: 404 });
  return env.clip;
}

function classesOf(step: string, field: string, value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((c) => typeof c === 'string')) throw invalid(step, field, `must be a non-empty list of strings, got ${JSON.stringify(value)?.slice(0, 100)}`);
  return value as string[];
}

async function similarities(step: string, images: ImageRef[], classes: string[], env: BlockEnv): Promise<number[][]> {
  const clip = clipOf(step, env);
  clip.checkLabels(classes);
  const [embeddings, texts] = await Promise.all([clip.embedImage(images.map((i) => i.bytes), { timeoutMs: env.timeoutMs }), clip.embedText(classes, { timeoutMs: env.timeoutMs })]);
  return embeddings.map((e) => texts.map((t) => similarityOf(t, e)));
}

const CLIP_V1 = block(
  'roboflow_core/clip_comparison@v1',
  ['ClipComparison'],
  [
    { name: 'images', aliases: ['image'], kind: 'image', required: true },
    { name: 'texts', kind: 'list_of_strings', required: true },
    { name: 'version', kind: 'string', default: 'ViT-B-16' },
  ],
  [
    { name: 'similarity', kind: 'list_of_values' },
    { name: 'parent_id', kind: 'string' },
    { name: 'root_parent_id', kind: 'string' },
  ],
  async (step, images, values, env) => {
    const all = await similarities(step, images, classesOf(step, 'texts', values.texts), env);
    return all.map((similarity, i) => ({ similarity, parent_id: images[i].parentId, root_parent_id: images[i].rootParentId }));
  },
);

const CLIP_V2 = block(
  'roboflow_core/clip_comparison@v2',
  [],
  [
    { name: 'images', aliases: ['image'], kind: 'image', required: true },
    { name: 'classes', kind: 'list_of_strings', required: true },
    { name: 'version', kind: 'string', default: 'ViT-B-16' },
  ],
  ['similarities', 'max_similarity', 'most_similar_class', 'min_similarity', 'least_similar_class', 'classification_predictions', 'parent_id', 'root_parent_id'].map((name) => ({
    name,
    kind: name === 'classification_predictions' ? ('classification_prediction' as Kind) : name === 'similarities' ? ('list_of_values' as Kind) : ('any' as Kind),
  })),
  async (step, images, values, env) => {
    const classes = classesOf(step, 'classes', values.classes);
    const all = await similarities(step, images, classes, env);
    return all.map((s, i) => {
      const max = Math.max(...s);
      const min = Math.min(...s);
      const best = s.indexOf(max);
      return {
        similarities: s,
        max_similarity: max,
        most_similar_class: classes[best],
        min_similarity: min,
        least_similar_class: classes[s.indexOf(min)],
        classification_predictions: {
          predictions: classes.map((c, k) => ({ class: c, class_id: k, confidence: s[k] })),
          top: classes[best],
          confidence: max,
          parent_id: images[i].parentId,
        },
        parent_id: images[i].parentId,
        root_parent_id: images[i].rootParentId,
      };
    });
  },
);

const BLOCKS: Block[] = [
  ...([1, 2, 3] as const).map((v) => classification('single-label', v)),
  ...([1, 2, 3] as const).map((v) => classification('multi-label', v)),
  CLIP_V1,
  CLIP_V2,
];

/** Every block type name this engine runs (aliases included). */
export const BLOCK_TYPES: string[] = BLOCKS.flatMap((b) => [b.type, ...b.aliases]);

export function blockFor(type: unknown): Block | undefined {
  return typeof type === 'string' ? BLOCKS.find((b) => b.type === type || b.aliases.includes(type)) : undefined;
}
