import { defineConfig } from 'vitest/config';

// Native suites run one file at a time in forked processes (2-core machines,
// libtorch thread pools); numbered files go from the lowest layer up.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/gpu/**', 'node_modules/**'],
    pool: 'forks',
    // memory tests collect garbage before they read RSS (globalThis.gc)
    execArgv: ['--expose-gc'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    sequence: { concurrent: false },
    // The package's own entry points (lib/index.mjs over the compiled CommonJS in dist/) are loaded
    // by Node itself, exactly as users get them, not re-transformed by vite.
    server: { deps: { external: [/\/dist\//, /\/lib\/index\.mjs$/] } },
  },
});
