/**
 * A workflow specification checked before anything runs, as Roboflow's execution engine checks it
 * (facts: docs/workflows.md): inputs (`WorkflowImage` / `InferenceImage`, `WorkflowParameter` /
 * `InferenceParameter`), steps (a block type from blocks.ts and its properties, literal or bound by a
 * selector `$inputs.<name>` or `$steps.<step>.<output>`), outputs (`JsonField` with a selector, or
 * `$steps.<step>.*`). Unknown blocks, selectors that name nothing, kinds that do not fit and cycles
 * are WorkflowErrors naming the step and field. The result is the steps in an order that runs.
 */
import { WorkflowError } from '../errors';
import { blockFor, BLOCK_TYPES, type Block, type Kind } from './blocks';

export interface PlannedInput {
  name: string;
  kind: 'image' | 'parameter';
  default?: unknown;
}

export type Binding = { literal: unknown } | { input: string } | { step: string; output: string };

export interface PlannedStep {
  name: string;
  block: Block;
  /** property -> literal value or the selector it is bound to */
  properties: Record<string, Binding>;
}

export interface PlannedOutput {
  name: string;
  /** `output` undefined with a step: the whole step (`$steps.s.*`). */
  from: { input: string } | { step: string; output: string | undefined };
}

export interface Plan {
  inputs: Map<string, PlannedInput>;
  steps: PlannedStep[];
  outputs: PlannedOutput[];
}

const IMAGE_INPUTS = new Set(['WorkflowImage', 'InferenceImage']);
const PARAMETER_INPUTS = new Set(['WorkflowParameter', 'InferenceParameter', 'WorkflowVideoMetadata']);
const NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `$inputs.x` / `$steps.s.o` / `$steps.s.*`, or undefined for a literal. */
export function parseSelector(value: unknown): { input: string } | { step: string; output: string | undefined } | undefined {
  if (typeof value !== 'string' || !value.startsWith('$')) return undefined;
  let m = /^\$inputs\.([A-Za-z0-9_-]+)$/.exec(value);
  if (m) return { input: m[1] };
  m = /^\$steps\.([A-Za-z0-9_-]+)\.(\*|[A-Za-z0-9_-]+)$/.exec(value);
  if (m) return { step: m[1], output: m[2] === '*' ? undefined : m[2] };
  throw new WorkflowError(`'${value.slice(0, 100)}' is not a selector: use $inputs.<name>, $steps.<step>.<output> or $steps.<step>.*`, { errorType: 'InvalidSelector', context: 'workflow_definition' });
}

function kindOfInput(input: PlannedInput): Kind {
  return input.kind === 'image' ? 'image' : 'any';
}

/** Checks a specification and orders its steps; WorkflowError for anything that cannot run. */
export function planWorkflow(specification: unknown): Plan {
  const fail = (message: string, type = 'WorkflowDefinitionError'): never => {
    throw new WorkflowError(message, { errorType: type, context: 'workflow_definition' });
  };
  if (!isObject(specification)) fail('the specification must be an object { version, inputs, steps, outputs }');
  const spec = specification as Record<string, unknown>;
  for (const key of ['inputs', 'steps', 'outputs']) if (!Array.isArray(spec[key])) fail(`the specification's "${key}" must be a list`);

  const inputs = new Map<string, PlannedInput>();
  (spec.inputs as unknown[]).forEach((raw, i) => {
    if (!isObject(raw) || typeof raw.name !== 'string' || !NAME.test(raw.name)) fail(`inputs[${i}] needs a "name" (letters, digits, _ and -)`);
    const r = raw as Record<string, unknown>;
    const name = r.name as string;
    if (inputs.has(name)) fail(`inputs[${i}]: the input name '${name}' is used twice`);
    if (IMAGE_INPUTS.has(r.type as string)) inputs.set(name, { name, kind: 'image' });
    else if (PARAMETER_INPUTS.has(r.type as string)) inputs.set(name, { name, kind: 'parameter', default: r.default_value });
    else fail(`inputs[${i}] ('${name}'): type must be WorkflowImage or WorkflowParameter, got ${JSON.stringify(r.type)}`, 'InvalidInputType');
  });

  const rawSteps = spec.steps as unknown[];
  const byName = new Map<string, { block: Block; raw: Record<string, unknown>; index: number }>();
  rawSteps.forEach((raw, i) => {
    if (!isObject(raw) || typeof raw.name !== 'string' || !NAME.test(raw.name)) fail(`steps[${i}] needs a "name" (letters, digits, _ and -)`);
    const r = raw as Record<string, unknown>;
    const name = r.name as string;
    if (byName.has(name)) fail(`steps[${i}]: the step name '${name}' is used twice`);
    const block = blockFor(r.type);
    if (!block) fail(`step '${name}': unknown block type ${JSON.stringify(r.type)}; this server runs: ${BLOCK_TYPES.join(', ')}`, 'UnknownBlockType');
    byName.set(name, { block: block as Block, raw: r, index: i });
  });

  // properties: literal or bound, each bound selector checked against what it names and its kind
  const steps = new Map<string, PlannedStep>();
  const dependsOn = new Map<string, Set<string>>();
  for (const [name, { block, raw }] of byName) {
    const properties: Record<string, Binding> = {};
    const deps = new Set<string>();
    for (const key of Object.keys(raw)) {
      if (key === 'type' || key === 'name') continue;
      const property = block.property(key);
      if (!property) fail(`step '${name}': property '${key}' is not one of ${block.type}'s: ${block.propertyNames.join(', ')}`, 'InvalidProperty');
      const value = raw[key];
      const selector = parseSelector(value);
      const field = `step '${name}', property '${property!.name}'`;
      if (!selector) {
        if (property!.kind === 'image') fail(`${field}: an image must come from an input ($inputs.<name>), not a literal`, 'InvalidKind');
        properties[property!.name] = { literal: value };
        continue;
      }
      if ('input' in selector) {
        const input = inputs.get(selector.input);
        if (!input) fail(`${field}: $inputs.${selector.input} names no input of this workflow`, 'InvalidSelector');
        const kind = kindOfInput(input!);
        if ((property!.kind === 'image') !== (kind === 'image')) fail(`${field}: needs ${property!.kind === 'image' ? 'an image' : 'a parameter'}, but $inputs.${selector.input} is ${kind === 'image' ? 'an image' : 'a parameter'}`, 'InvalidKind');
        properties[property!.name] = { input: selector.input };
        continue;
      }
      const other = byName.get(selector.step);
      if (!other) fail(`${field}: $steps.${selector.step} names no step of this workflow`, 'InvalidSelector');
      if (selector.output === undefined) fail(`${field}: a property takes one output ($steps.${selector.step}.<output>), not *`, 'InvalidSelector');
      const output = other!.block.outputs.find((o) => o.name === selector.output);
      if (!output) fail(`${field}: step '${selector.step}' has no output '${selector.output}' (it has ${other!.block.outputs.map((o) => o.name).join(', ')})`, 'InvalidSelector');
      if (property!.kind === 'image' || (property!.kind !== 'any' && output!.kind !== property!.kind)) {
        fail(`${field}: needs ${property!.kind}, but $steps.${selector.step}.${selector.output} is ${output!.kind}`, 'InvalidKind');
      }
      properties[property!.name] = { step: selector.step, output: selector.output! };
      deps.add(selector.step);
    }
    for (const property of block.properties) {
      if (properties[property.name] === undefined && property.required) fail(`step '${name}': property '${property.name}' is required`, 'InvalidProperty');
    }
    steps.set(name, { name, block, properties });
    dependsOn.set(name, deps);
  }

  // an order that runs: each step after those it reads (a cycle has none)
  const ordered: PlannedStep[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (name: string, trail: string[]) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'open') fail(`the steps form a cycle: ${[...trail.slice(trail.indexOf(name)), name].join(' -> ')}`, 'WorkflowCycle');
    state.set(name, 'open');
    for (const dep of dependsOn.get(name)!) visit(dep, [...trail, name]);
    state.set(name, 'done');
    ordered.push(steps.get(name)!);
  };
  for (const name of steps.keys()) visit(name, []);

  const outputs: PlannedOutput[] = (spec.outputs as unknown[]).map((raw, i) => {
    if (!isObject(raw) || typeof raw.name !== 'string') fail(`outputs[${i}] needs a "name" and a "selector"`);
    const r = raw as Record<string, unknown>;
    if (r.type !== undefined && r.type !== 'JsonField') fail(`outputs[${i}] ('${r.name}'): type must be JsonField`, 'InvalidOutput');
    const selector = parseSelector(r.selector);
    if (!selector) fail(`outputs[${i}] ('${r.name}'): selector must be $steps.<step>.<output>, $steps.<step>.* or $inputs.<name>`, 'InvalidSelector');
    if ('input' in selector!) {
      if (!inputs.has(selector.input)) fail(`outputs[${i}] ('${r.name}'): $inputs.${selector.input} names no input`, 'InvalidSelector');
      return { name: r.name as string, from: { input: selector.input } };
    }
    const step = steps.get(selector!.step);
    if (!step) fail(`outputs[${i}] ('${r.name}'): $steps.${selector!.step} names no step`, 'InvalidSelector');
    if (selector!.output !== undefined && !step!.block.outputs.some((o) => o.name === selector!.output)) {
      fail(`outputs[${i}] ('${r.name}'): step '${selector!.step}' has no output '${selector!.output}' (it has ${step!.block.outputs.map((o) => o.name).join(', ')})`, 'InvalidSelector');
    }
    return { name: r.name as string, from: { step: selector!.step, output: selector!.output } };
  });
  return { inputs, steps: ordered, outputs };
}
