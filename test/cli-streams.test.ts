// The CLI's standard streams when they cannot be written: stdout is the run's result, so a failure
// to write it is the run's failure (one line, exit 1), except a reader that went away (`| head`);
// stderr carries progress and notices, which a stderr that cannot be written must not cost the run.
// For --version and every command, on both paths: the main thread (a GPU run) and a CPU run's worker
// thread, whose streams reach the main thread's.
import { spawn, spawnSync, type StdioOptions } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { kCommandList } from '../src/cli/commands/index.ts';
import { useCliBundle } from './helpers/cli-bundle.ts';
import { smallRun } from './helpers/commands.ts';

const { cli, bundle, dir } = useCliBundle('streams');

/** Runs the CLI with `stream` (1: stdout, 2: stderr) on /dev/full and the other one piped. */
function runOnFullDisk(args: readonly string[], stream: 1 | 2) {
  const full = openSync('/dev/full', 'w');
  try {
    const stdio: StdioOptions = stream === 1 ? ['ignore', full, 'pipe'] : ['ignore', 'pipe', full];
    const run = spawnSync(process.execPath, [bundle, ...args], { encoding: 'utf8', stdio });
    return { status: run.status, signal: run.signal, stdout: run.stdout, stderr: run.stderr };
  } finally {
    closeSync(full);
  }
}

/** Runs the CLI with a stdout pipe whose reading end is closed before the CLI starts. */
function runIntoClosedPipe(args: readonly string[]) {
  return new Promise<{ status: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [bundle, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

const errorLines = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('error:'));

/**
 * --version, and each command's small run: on the main thread, or in a worker where it never opens a
 * GPU (its result then reaches the main thread's streams from there).
 */
const kRuns: [string, () => string[]][] = [
  ['--version', () => ['--version']],
  ...kCommandList.map(({ name, cpuOnly }): [string, () => string[]] => [
    `${name} (${cpuOnly ? 'a CPU run in its worker' : 'the main thread'})`,
    () => [...smallRun(name, dir, cli), '--json'],
  ]),
];

describe('stdout that cannot be written', () => {
  test.each(kRuns)('%s on a full disk: one line, exit 1, no stack trace', (_, args) => {
    const run = runOnFullDisk(args(), 1);
    expect(run.signal).toBeNull();
    expect(run.status, run.stderr).toBe(1);
    expect(errorLines(run.stderr)).toEqual(['error: cannot write the output to stdout (ENOSPC)']);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  test.each(kRuns)('%s into a pipe its reader closed (| head): exit 0, nothing said', async (_, args) => {
    const run = await runIntoClosedPipe(args());
    expect(run.status, run.stderr).toBe(0);
    expect(errorLines(run.stderr)).toEqual([]);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('stderr that cannot be written', () => {
  // Those that print on stderr before their result: the SwiftShader notice, a sweep's progress.
  test.each(kCommandList.map(({ name }) => name))('%s: its progress is lost, its result is not', (name) => {
    const run = runOnFullDisk([...smallRun(name, dir, cli), '--json'], 2);
    expect(run.status).toBe(0);
    // merge's small run joins pairing's shards, and prints pairing's JSON.
    expect(JSON.parse(run.stdout)).toHaveProperty('command', name === 'merge' ? 'pairing' : name);
  });
});
