import { defineConfig } from 'vitest/config';

export default defineConfig({
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
