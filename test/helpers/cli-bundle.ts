// The CLI bundle for the test files that spawn it: each builds into its own directory, so that files
// vitest runs in parallel never empty each other's output; inside node_modules so that the bundle
// still resolves the external `webgpu` package.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect } from 'vitest';

/** Builds the CLI into `outDir`, emptied first. */
function buildCliBundle(outDir: string): void {
  // vite itself, not build:cli, which builds into dist-cli/ only.
  const build = spawnSync(
    process.execPath,
    [
      'node_modules/vite/bin/vite.js',
      'build',
      '--config',
      'vite.cli.config.ts',
      '--logLevel',
      'silent',
      '--outDir',
      outDir,
      '--emptyOutDir',
    ],
    { encoding: 'utf8' },
  );
  expect(build.status, build.stderr).toBe(0);
}

/** A spawned CLI's exit status and output. */
export interface CliRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** How runCli spawns the CLI; by default as a user types it, in this process's environment. */
export interface CliRunOptions {
  /** DARWIN_BREIT_QUIET=1: no progress lines on stderr. */
  readonly quiet?: boolean;
  /** Variables set over this process's environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** The user and group the CLI runs as (root's test of what an unprivileged user is refused). */
  readonly user?: { readonly uid: number; readonly gid: number };
  /** Killed past this (spawnSync's timeout); no limit by default. */
  readonly timeoutMs?: number;
}

/** Runs the CLI at `bundle` (useCliBundle's, or the launcher scripts/cli.mjs) with `args`, to its exit. */
export function runCli(bundle: string, args: readonly string[], options: CliRunOptions = {}): CliRun {
  const run = spawnSync(process.execPath, [bundle, ...args], {
    ...options.user,
    encoding: 'utf8',
    timeout: options.timeoutMs,
    env: { ...process.env, ...(options.quiet ? { DARWIN_BREIT_QUIET: '1' } : {}), ...options.env },
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** The CLI of a test file (or of one of its describe blocks), as useCliBundle sets it up. */
export interface CliHarness {
  /** Runs the CLI with `args` to its exit: quiet, unless useCliBundle's options say otherwise. */
  readonly cli: (...args: string[]) => CliRun;
  /** The bundle's entry, for the runs `cli` does not make (other options, a spawn of the test's own). */
  readonly bundle: string;
  /** A directory of the caller's own under the run's temporary one, for the files its runs use. */
  readonly dir: string;
}

/**
 * The CLI bundle darwin-breit-<name> (node_modules/.cache/darwin-breit-<name>) and a directory of
 * its own: both named at once, so that a file holds them as plain strings, and made by a beforeAll
 * of the file or describe block that calls it. `cli` runs it with `options` over { quiet: true }.
 */
export function useCliBundle(name: string, options: CliRunOptions = {}): CliHarness {
  const label = `darwin-breit-${name}`;
  const outDir = join('node_modules/.cache', label);
  // Named now, made by the beforeAll: a mkdtemp here would make one wherever the file is only collected
  // (vitest list). `name` keeps two files' directories apart, the pid two test runs' sharing a TMPDIR.
  const dir = join(tmpdir(), `${label}-${process.pid}`);
  beforeAll(() => {
    buildCliBundle(outDir);
    mkdirSync(dir);
  }, 120_000);
  const bundle = join(outDir, 'darwin-breit.mjs');
  return { cli: (...args) => runCli(bundle, args, { quiet: true, ...options }), bundle, dir };
}

/** A spawned CLI's end: runCli's, and the signal that killed it (null where it exited itself). */
export interface CliEnd extends CliRun {
  readonly signal: NodeJS.Signals | null;
}

/**
 * Runs the CLI at `bundle` with `args` in `env` (this process's by default), calls `act` with it once
 * its stderr matches `ready` (the run has begun: a signal to send, a file to change under it), and
 * resolves when it has ended.
 */
export function runCliActingAt(
  bundle: string,
  args: readonly string[],
  ready: RegExp,
  act: (child: ChildProcess) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<CliEnd> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bundle, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    let acted = false;
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (!acted && ready.test(stderr)) {
        acted = true;
        act(child);
      }
    });
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
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
