// The system packages `npm test` needs beyond npm's: Debian's chromium (the e2e tests' browser, and
// its SwiftShader, a CPU Vulkan driver that is the WebGPU device of every GPU test here) and the
// Vulkan loader (libvulkan1) through which Dawn reaches SwiftShader. Without them the suite would
// run for a minute into hundreds of failures; this says what to install in one line instead.
//   node scripts/prerequisites.mjs [--root DIR]
// exits 0 when everything is there, else prints the apt-get command and exits 1. --root checks a
// system image mounted at DIR instead of this machine (and lets the tests check an empty one).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { root: { type: 'string', default: '/' } } });
const root = values.root;

/** libvulkan.so.1 in the library folders Debian (multiarch or not) and others put it in. */
function hasVulkanLoader() {
  const folders = ['usr/lib', 'usr/lib64', 'lib', 'lib64'].map((folder) => join(root, folder));
  const multiarch = folders.flatMap((folder) => {
    try {
      return readdirSync(folder)
        .filter((name) => name.endsWith('-linux-gnu'))
        .map((name) => join(folder, name));
    } catch {
      return [];
    }
  });
  return [...folders, ...multiarch].some((folder) => existsSync(join(folder, 'libvulkan.so.1')));
}

const missing = [];
if (
  !existsSync(join(root, 'usr/bin/chromium')) ||
  !existsSync(join(root, 'usr/lib/chromium/vk_swiftshader_icd.json'))
)
  missing.push('chromium');
if (!hasVulkanLoader()) missing.push('libvulkan1');

if (missing.length > 0) {
  console.error(
    `npm test needs ${missing.join(' and ')} (Debian packages: the GPU tests run on Chromium's ` +
      `SwiftShader through the Vulkan loader); install with: apt-get install -y ${missing.join(' ')}`,
  );
  process.exit(1);
}
