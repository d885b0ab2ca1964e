// The CLI's commands as data: main.ts builds its usage, its dispatch and its choice of thread from this
// list, merge its sharded commands, and the house-rule tests iterate it, so that a command added here
// gets every one of them.
import type { Progress } from '../progress.ts';
import { benchCommand } from './bench.ts';
import { larmorCommand } from './larmor.ts';
import { kLondonShards, londonCommand } from './london.ts';
import { mergeCommand, type Shards } from './merge.ts';
import { kPairingShards, pairingCommand } from './pairing.ts';
import { paperCommand } from './paper.ts';
import { responseCommand } from './response.ts';
import { kScalingShards, scalingCommand } from './scaling.ts';
import { solveCommand } from './solve.ts';
import { spectrumCommand } from './spectrum.ts';
import type { CommandOutput } from './summary.ts';

export interface Command {
  /** What the user types: `darwin-breit <name>`. */
  readonly name: string;
  /** Its line in the usage (`darwin-breit --help`). */
  readonly summary: string;
  readonly run: (argv: string[], progress: Progress) => Promise<CommandOutput>;
  /**
   * It never opens a GPU: its synchronous loops run in a worker, the one place a signal can stop
   * them (signals.ts runInWorker). A command with --device runs there with --device cpu alone.
   */
  readonly cpuOnly?: true;
  /** What --out names: one file (solve's CSV) or a directory for the run's files; absent: no --out. */
  readonly out?: 'file' | 'directory';
  /** How merge joins the parts of its sweep run with --shard K/N; absent: it takes no --shard. */
  readonly shards?: Shards;
}

/** In the usage's order. */
export const kCommandList: readonly Command[] = [
  {
    name: 'solve',
    summary: 'velocities -> momenta (p = M v), or momenta -> velocities (solve M v = p)',
    run: solveCommand,
    out: 'file',
  },
  {
    name: 'spectrum',
    summary: 'extreme eigenvalues of the scaled M, the collective parameter (eq. 49)',
    run: spectrumCommand,
  },
  {
    name: 'paper',
    summary: "the paper's quantitative claims, recomputed",
    run: paperCommand,
    cpuOnly: true,
    out: 'directory',
  },
  {
    name: 'bench',
    summary: 'kernel speeds on this device, as ratios to its own copy bandwidth',
    run: benchCommand,
  },
  {
    name: 'london',
    summary: 'London moment (eq. 27-30): GPU Biot-Savart field map of a rotating sphere or cylinder',
    run: londonCommand,
    out: 'directory',
    shards: kLondonShards,
  },
  {
    name: 'larmor',
    summary: 'Larmor current, flux quanta and moment of N electrons on a ring (eq. 13-18)',
    run: larmorCommand,
    cpuOnly: true,
  },
  {
    name: 'pairing',
    summary: 'two electrons on a ring of thickness a: numerical ground state vs eq. 46, temperatures',
    run: pairingCommand,
    cpuOnly: true,
    out: 'directory',
    shards: kPairingShards,
  },
  {
    name: 'scaling',
    summary: 'lambda_max of the interaction against N per dimension, and R* beside eq. 53-55',
    run: scalingCommand,
    out: 'directory',
    shards: kScalingShards,
  },
  {
    name: 'response',
    summary: 'electrons in a field, flux or rotation: Larmor moment screened by the Darwin term',
    run: responseCommand,
    out: 'directory',
  },
  {
    name: 'merge',
    summary: "the JSON of a sweep's shards (scaling, london, pairing --shard K/N) joined into one run's",
    run: (argv, progress) => mergeCommand(argv, kShardedCommands, progress),
    cpuOnly: true,
    out: 'directory',
  },
];

/** The commands whose sweeps run in shards, by name: those merge joins. */
export const kShardedCommands: ReadonlyMap<string, Shards> = new Map(
  kCommandList.flatMap(({ name, shards }) => (shards ? [[name, shards] as const] : [])),
);

/** The command named `name`, or undefined. */
export function commandNamed(name: string | undefined): Command | undefined {
  return kCommandList.find((command) => command.name === name);
}
