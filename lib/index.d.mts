// Types of the ESM entry point: the same declarations as the CommonJS one.
export * from '../dist/lib/index.js';
import * as all from '../dist/lib/index.js';
export default all;
