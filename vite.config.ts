import { defineConfig } from 'vitest/config';

// Cross-origin isolation, so that the float64 reference worker may share memory with nested workers
// (SharedArrayBuffer, src/parallel/): the app loads nothing from another origin.
const kIsolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  server: { headers: kIsolationHeaders },
  preview: { headers: kIsolationHeaders },
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
    globalSetup: ['test/helpers/temporary-directory.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // One fork: Dawn is loaded once per process, and the SwiftShader device is a CPU that two
    // workers would only fight over.
    pool: 'forks',
    fileParallelism: false,
  },
});
