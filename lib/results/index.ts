/**
 * Roboflow's result shapes, all in this folder: single- and multi-label results from the native
 * core's compact form, as objects or JSON bytes (compact.ts), the Workflows block output
 * (workflow.ts) and Roboflow's rounding (round.ts, the public helper; the native core rounds the same way).
 */
export { resultObjects, resultsJson, resultSpec, ResultLabels, type ResultContext } from './compact';
export { roundConfidence } from './round';
export { toWorkflowBlock } from './workflow';
