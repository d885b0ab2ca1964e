// The CLI bundle for the test files that spawn it: each builds into its own directory, so that files
// vitest runs in parallel never empty each other's output; inside node_modules so that the bundle
// still resolves the external `webgpu` package.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';

/** Builds the CLI into node_modules/.cache/<name> and returns the path of its entry. */
export function buildCliBundle(name: string): string {
  const outDir = join('node_modules/.cache', name);
  const build = spawnSync(
    'npm',
    ['run', '--silent', 'build:cli', '--', '--outDir', outDir, '--emptyOutDir'],
    {
      encoding: 'utf8',
    },
  );
  expect(build.status, build.stderr).toBe(0);
  return join(outDir, 'darwin-breit.mjs');
}

/** A spawned CLI's exit status and output. */
export interface CliRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * A refused run as the house rule has it: exit 2 with exactly one `error: ...` line on stderr
 * (beside the adapter's notices) matching `pattern`, no stack trace, nothing on stdout.
 */
export function expectUserErrorRun(run: CliRun, pattern: RegExp): void {
  expect(run.status, run.stderr).toBe(2);
  const errors = run.stderr.split('\n').filter((line) => line.startsWith('error:'));
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatch(pattern);
  expect(run.stderr).not.toMatch(/\n\s+at /);
  expect(run.stdout).toBe('');
}
