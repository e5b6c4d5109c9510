/**
 * Deprecated option names, kept working for one release: each is read as its new name and emits a
 * DeprecationWarning (code EDGE_CLASSIFY_DEP_<NAME>) once per process.
 */
import { InvalidOptionError } from '../errors';

/** The flat loadModel options of 0.1 and where they live now. */
export const RENAMED_LOAD_OPTIONS = {
  threads: ['torch', 'threads'],
  preprocessThreads: ['torch', 'preprocessThreads'],
  optimize: ['torch', 'optimize'],
  cudaStreams: ['cuda', 'streams'],
  cudaGraphs: ['cuda', 'graphs'],
  channelsLast: ['cuda', 'channelsLast'],
  decode: ['cuda', 'decode'],
  workspaceMb: ['tensorrt', 'workspaceMb'],
  calibration: ['tensorrt', 'calibration'],
} as const;

const warned = new Set<string>();

/** Emits the DeprecationWarning of `oldName` (once per process). */
export function deprecated(oldName: string, instead: string): void {
  if (warned.has(oldName)) return;
  warned.add(oldName);
  const code = `EDGE_CLASSIFY_DEP_${oldName.replace(/[^A-Za-z0-9]+/g, '_').replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}`;
  process.emitWarning(`options.${oldName} is deprecated and will be removed in the next release: use ${instead}`, { type: 'DeprecationWarning', code });
}

/**
 * `group` (e.g. options.torch) with the deprecated flat options of that group folded in: a flat name
 * warns once; giving both names of one option is an InvalidOptionError.
 */
export function withRenamed(options: Record<string, unknown>, groupName: 'torch' | 'cuda' | 'tensorrt', group: Record<string, unknown>): Record<string, unknown> {
  const out = { ...group };
  for (const [oldName, [target, key]] of Object.entries(RENAMED_LOAD_OPTIONS)) {
    if (target !== groupName || options[oldName] === undefined) continue;
    if (group[key] !== undefined) throw new InvalidOptionError(`options.${oldName} is the deprecated name of options.${target}.${key}: give only options.${target}.${key}`);
    deprecated(oldName, `options.${target}.${key}`);
    out[key] = options[oldName];
  }
  return out;
}
