/**
 * Roboflow's result shapes, all in this folder: single-label (single-label.ts), multi-label
 * (multi-label.ts), the Workflows block output (workflow.ts), their common fields (base.ts) and
 * Roboflow's rounding (round.ts).
 */
export { resultBase, type ResultContext } from './base';
export { multiLabel } from './multi-label';
export { roundConfidence } from './round';
export { singleLabel } from './single-label';
export { toWorkflowBlock } from './workflow';
