import { builtinModules } from 'node:module';
import { defineConfig } from 'vite';

// The CLI is an SSR build of src/cli into one ES module, so WGSL `?raw` imports resolve exactly as
// they do in the browser app and tests, and the bundle can travel alone (see DEVICE.md).
export default defineConfig({
  build: {
    ssr: 'src/cli/main.ts',
    outDir: 'dist-cli',
    emptyOutDir: true,
    target: 'node20',
    minify: false,
    rollupOptions: {
      external: ['webgpu', ...builtinModules, ...builtinModules.map((m) => `node:${m}`)],
      output: { entryFileNames: 'darwin-breit.mjs' },
    },
  },
});
