import { defineConfig } from 'vitest/config';

// The browser app's end-to-end tests (e2e/): Playwright drives Debian's Chromium, with SwiftShader as
// its WebGPU adapter, against the built app served by scripts/serve.mjs. Kept apart from the unit
// tests (vite.config.ts includes test/ only): they need a browser and take minutes, not seconds.
export default defineConfig({
  test: {
    include: ['e2e/**/*.test.ts'],
    globalSetup: ['test/helpers/temporary-directory.ts'],
    testTimeout: 180_000,
    // The first hook builds the app before serving it.
    hookTimeout: 240_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
