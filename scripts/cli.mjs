#!/usr/bin/env node
// `npm run --silent cli -- <command> ...` and `npx darwin-breit <command> ...`: runs the CLI bundle
// (dist-cli/darwin-breit.mjs, an SSR build of src/cli), building it first only when the sources have
// changed since it was built. A sweep of a hundred CLI calls then pays for one build, not a hundred.
//
// "Changed" is a fingerprint of the path, size and modification time of every file the bundle is
// built from (src/, shaders/, the build config, package-lock.json), kept beside the bundle. A
// checkout or an edit changes it; a stat of a few hundred files costs milliseconds.
//
// `--build-only` (npm run build:cli) builds the bundle whatever the fingerprint says and runs
// nothing: it leaves the fingerprint as a call would, so the next call does not build again.
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const outDir = join(root, 'dist-cli');
const bundle = join(outDir, 'darwin-breit.mjs');
const stamp = join(outDir, 'sources.sha1');
const kInputs = ['src', 'shaders', 'vite.cli.config.ts', 'package-lock.json', 'package.json'];

/** Path, size and mtime of every input file, hashed. */
function sourcesFingerprint() {
  const hash = createHash('sha1');
  /** @param {string} path */
  const visit = (path) => {
    const stats = statSync(path, { throwIfNoEntry: false });
    if (!stats) return;
    if (stats.isDirectory()) {
      for (const name of readdirSync(path).sort()) visit(join(path, name));
    } else hash.update(`${relative(root, path)}\0${stats.size}\0${stats.mtimeMs}\n`);
  };
  for (const input of kInputs) visit(join(root, input));
  return hash.digest('hex');
}

/** @param {string} fingerprint */
function upToDate(fingerprint) {
  return existsSync(bundle) && existsSync(stamp) && readFileSync(stamp, 'utf8') === fingerprint;
}

// Built into a private folder and moved into place by one rename, so that CLI calls started side by
// side never import a half-written bundle; the last of them to finish writes the same file again.
/** @param {string} fingerprint */
async function buildBundle(fingerprint) {
  const { build } = await import('vite');
  const scratch = join(root, `dist-cli.build-${process.pid}`);
  try {
    await build({
      root,
      configFile: join(root, 'vite.cli.config.ts'),
      logLevel: 'warn',
      build: { outDir: scratch, emptyOutDir: true },
    });
    mkdirSync(outDir, { recursive: true });
    renameSync(join(scratch, 'darwin-breit.mjs'), bundle);
    writeFileSync(stamp, fingerprint);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

const fingerprint = sourcesFingerprint();
if (process.argv[2] === '--build-only') {
  // Its bundle goes to dist-cli/ only, where the calls look for it: an --outDir would be ignored.
  if (process.argv.length > 3) {
    process.stderr.write(`error: --build-only takes no other argument, got ${process.argv[3]}\n`);
    process.exit(2);
  }
  await buildBundle(fingerprint);
} else {
  if (!upToDate(fingerprint)) {
    process.stderr.write('darwin-breit: sources changed, building the CLI bundle …\n');
    await buildBundle(fingerprint);
  }
  // The bundle reads process.argv.slice(2), which is already the command and its options here.
  await import(pathToFileURL(bundle).href);
}
