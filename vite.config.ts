import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The browser app: index.html at the root, built into dist/ (scripts/serve.mjs builds and serves
  // it). Relative asset paths, so dist/ also works from a subdirectory of any static server.
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
  // The float64 reference worker (src/app/reference.worker.ts) is an ES module worker.
  worker: { format: 'es' },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // One fork: Dawn is loaded once per process, and the SwiftShader device is a CPU that two
    // workers would only fight over.
    pool: 'forks',
    fileParallelism: false,
  },
});
