// Vitest's global setup (vite.config.ts, vitest.e2e.config.ts): every temporary file of a test run
// (mkdtemp, the CLI bundles, the commands' --out, Chromium's profile) goes under one directory of
// this run, removed at its end, so that a test which stops halfway, or keeps what it made, leaves
// nothing behind in the system's temporary directory. Workers and the processes they start inherit
// TMPDIR, which os.tmpdir() reads.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const directory = mkdtempSync(join(tmpdir(), 'darwin-breit-tests-'));
  // Open to other users as the system's own is: a test that runs the CLI as nobody (root's
  // unwritable-folder case) must reach its folders within; each of those is its test's to open.
  chmodSync(directory, 0o755);
  process.env.TMPDIR = directory;
  return () => rmSync(directory, { recursive: true, force: true });
}
