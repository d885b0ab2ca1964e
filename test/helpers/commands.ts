// One small valid run of each command of the CLI's registry (src/cli/commands/index.ts), and one
// that it refuses, for the house-rule tests that run every command: a command registered without
// them here fails those tests, which tell its author to add them. Default device (the GPU where the
// command has one), seconds each.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { kShardedCommands } from '../../src/cli/commands/index.ts';
import { mergeCommand } from '../../src/cli/commands/merge.ts';
import { Progress } from '../../src/cli/progress.ts';
import type { CliRun } from './cli-bundle.ts';

/** A command's arguments; the files it reads are written into `dir`, made with `cli` where needed. */
type SmallRun = (dir: string, cli: (...args: string[]) => CliRun) => string[];

const kSmallRuns: Readonly<Record<string, SmallRun>> = {
  solve: () => ['--geometry', 'ring', '--n', '8', '--epsilon', '0.01', '--velocity', 'rigid'],
  spectrum: () => ['--geometry', 'ring', '--n', '8', '--epsilon', '0.01'],
  paper: () => [],
  bench: () => ['--n', '16', '--repeats', '2'],
  // Every kind of file --out writes: the maps, their deviations, the convergence plot.
  london: () => ['--n', '50', '--grid', '8'],
  larmor: () => [],
  pairing: () => ['--ratios', '10'],
  scaling: () => ['--geometries', 'ring', '--n-min', '8', '--n-max', '16', '--points', '2'],
  // --grid: the maps; a ball: the current against depth; the field drive: the centre field.
  response: () => ['--geometry', 'ball', '--n', '20,40', '--n-epsilon', '1', '--grid', '5'],
  merge: (dir, cli) =>
    ['1/2', '2/2'].map((shard, k) => {
      const run = cli('pairing', '--ratios', '10,100', '--shard', shard, '--json');
      expect(run.status, run.stderr).toBe(0);
      const path = join(dir, `small-run-shard-${k + 1}.json`);
      writeFileSync(path, run.stdout);
      return path;
    }),
};

/**
 * One value each command refuses, given beside valid ones, and what its one error line names: the
 * flag, or merge's shard (study-commands.test.ts runs each in this process, with --out where the
 * command takes one and the arguments give none).
 */
interface RefusedRun {
  readonly args: readonly string[];
  readonly names: string;
}

const kRefusedRuns: Readonly<Record<string, RefusedRun>> = {
  solve: {
    args: ['--geometry', 'hexagon', '--n', '8', '--epsilon', '0.01', '--velocity', 'rigid'],
    names: '--geometry',
  },
  spectrum: { args: ['--geometry', 'ring', '--n', '0', '--epsilon', '0.01'], names: '--n' },
  // Its one option with a value.
  paper: { args: ['--out', ''], names: '--out' },
  bench: { args: ['--n', '16', '--repeats', '0'], names: '--repeats' },
  // A good N first: the bad one is refused before the first is run.
  london: { args: ['--n', '50', '--n', 'abc', '--grid', '8'], names: '--n' },
  larmor: { args: ['--n', '1.5'], names: '--n' },
  pairing: { args: ['--ratios', '10,0.5'], names: '--ratios' },
  scaling: {
    args: ['--geometries', 'ring', '--n-min', '8', '--n-max', '16', '--points', '0'],
    names: '--points',
  },
  response: { args: ['--geometry', 'ball', '--n', '20,40', '--n-epsilon', '1,-1'], names: '--n-epsilon' },
  // Its only option with a value, --out, is checked after its shards are read: a shard it cannot read.
  merge: { args: ['no-such-shard.json'], names: 'no-such-shard.json' },
};

/** The commands that have a refused run: the registry's, neither more nor fewer (study-commands.test.ts). */
export const kRefusedRunCommands: readonly string[] = Object.keys(kRefusedRuns);

/** `name`'s refused run (its arguments less the command), or a failure that says where to add one. */
export function refusedRun(name: string): RefusedRun {
  if (!Object.hasOwn(kRefusedRuns, name)) {
    throw new Error(`${name} has no refused run in test/helpers/commands.ts: add one to kRefusedRuns`);
  }
  return kRefusedRuns[name];
}

/** The commands that have a small run: the registry's, neither more nor fewer (study-commands.test.ts). */
export const kSmallRunCommands: readonly string[] = Object.keys(kSmallRuns);

/** `name`'s small run, or a failure that says where to add one. */
export function smallRun(name: string, dir: string, cli: (...args: string[]) => CliRun): string[] {
  if (!Object.hasOwn(kSmallRuns, name)) {
    throw new Error(`${name} has no small run in test/helpers/commands.ts: add one to kSmallRuns`);
  }
  return [name, ...kSmallRuns[name](dir, cli)];
}

/**
 * merge in this process, as the CLI runs it: over the registry's sharded commands, its warning lines
 * to `progress` (none by default).
 */
export function cliMerge(argv: string[], progress = new Progress({ quiet: true })) {
  return mergeCommand(argv, kShardedCommands, progress);
}
