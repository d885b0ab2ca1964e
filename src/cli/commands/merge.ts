// `merge`: the shards of one sweep (`scaling`, `london` or `pairing` with `--shard K/N`, one job each, e.g. a
// Slurm job array) joined into the result one run would have printed: the same JSON apart from
// timings, its fits recomputed from all points, and the same text and files.
import { InputError } from '../../physics/input-error.ts';
import { parseJsonObject } from '../../io/formats.ts';
import {
  londonFileNames,
  londonShardFromJson,
  mergeLondon,
  type LondonJson,
} from '../../studies/london/report.ts';
import { parseLondonGeometry } from '../../studies/london/spec.ts';
import {
  kPairingFileNames,
  mergePairing,
  pairingShardFromJson,
  type PairingJson,
} from '../../studies/pairing/report.ts';
import {
  mergeScaling,
  scalingFileNames,
  scalingShardFromJson,
  type ScalingJson,
} from '../../studies/scaling/report.ts';
import { sameInShards, savedStop } from '../../studies/study.ts';
import { kCommonOptions, parseCommandArgs, readTextFile } from '../options.ts';
import { checkOutputDirectory, checkStudyOutput, summaryFileName } from '../output-directory.ts';
import { londonOutput } from './london.ts';
import { pairingOutput } from './pairing.ts';
import { scalingOutput } from './scaling.ts';
import type { CommandOutput } from './summary.ts';

export const kMergeHelp = `Usage: darwin-breit merge SHARD.json ... [--out DIR] [--markdown] [--json]

Joins the JSON of the shards of one sweep (scaling, london or pairing run with --shard K/N for
K = 1..N, each saved with --json) into the result of one run: the points back in the sweep's order,
every fit recomputed from all of them, and the same text, JSON (timings summed) and --out files as
one run (london: the convergence plot; each shard's --out holds its own maps). A shard that a signal
stopped before its last point ("stopped" in its JSON) is refused: rerun that shard; so is one that
lacks a field its command writes, or holds it as another type (the refusal names the field).

  --out DIR   write the files the command writes with --out into DIR, created with any
              missing parents
  --markdown  the command's Markdown table (with --json: the field "markdown")
  --json      the merged JSON, as the command prints it
`;

const kOptions = {
  ...kCommonOptions,
  markdown: { type: 'boolean', default: false },
  out: { type: 'string' },
} as const;

type Mergeable = 'scaling' | 'london' | 'pairing';
const kMergeable: readonly string[] = ['scaling', 'london', 'pairing'] satisfies Mergeable[];

/**
 * A shard's JSON, refused in one line unless it is an object of a mergeable command with "shard", and
 * a whole one: a shard that a signal stopped lacks points the merged run would pass off as measured.
 */
function readShard(path: string): Record<string, unknown> {
  const text = readTextFile(path, 'shards', 'merge: every shard');
  // What `--json > FILE` leaves of a shard stopped before it printed.
  if (text.trim() === '') throw new InputError(`${path} is empty: did its shard finish?`, 'shards');
  const json = parseJsonObject(text, path, 'shards');
  const { command, shard, device } = json;
  if (typeof command !== 'string' || !kMergeable.includes(command)) {
    throw new InputError(`${path} is not the JSON of a scaling, london or pairing run (--json)`, 'shards');
  }
  if (shard === undefined || shard === null) {
    throw new InputError(
      `${path} is a whole ${command} run, not a shard: run each part with --shard K/N`,
      'shards',
    );
  }
  const { index, count } = shard as Record<string, unknown>;
  const whole = (x: unknown): x is number => Number.isSafeInteger(x);
  if (!(whole(index) && whole(count) && index >= 1 && index <= count)) {
    throw new InputError(`${path}: "shard" is not {"index": K, "count": N} with 1 <= K <= N`, 'shards');
  }
  // The merged text and JSON name the device: a shard without one is not what the command printed.
  if (typeof (device as { kind?: unknown } | null)?.kind !== 'string') {
    throw new InputError(`${path} names no device: not what ${command} --json prints`, 'shards');
  }
  const stop = savedStop(json, path);
  if (stop) {
    throw new InputError(
      `${path} stopped after ${stop.points} of ${stop.of} points: rerun that shard`,
      'shards',
    );
  }
  return json;
}

export async function mergeCommand(argv: string[]): Promise<CommandOutput> {
  // The shards' paths are positionals: the one command that takes any.
  const { values, positionals: paths } = parseCommandArgs(argv, kOptions, { positionals: true });
  if (values.help) return { help: kMergeHelp };
  if (!paths.length) throw new InputError('merge needs the JSON of every shard', 'shards');
  const shards = paths.map(readShard);
  const command = shards[0].command as Mergeable;
  if (!shards.every((shard) => shard.command === command)) {
    throw new InputError('merge: the files come from different commands', 'shards');
  }
  // Each field the merge and its reports read, checked in each file: a refusal can name the file.
  shards.forEach((shard, k) => kShardFromJson[command](shard, paths[k]));
  // float32 GPU points beside float64 CPU ones would be reported under one device.
  sameInShards(shards, (shard) => (shard.device as { kind?: unknown } | undefined)?.kind, 'device');
  if (command === 'scaling') sameInShards(shards, (shard) => shard.sweep, 'settings');
  if (values.out !== undefined) checkOutputDirectory(values.out, [summaryFileName(command, null)]);
  return mergeShards(command, shards, values);
}

/** Each command's check of a shard, field by field, refusing it in one line that names the file. */
const kShardFromJson: Record<Mergeable, (json: Record<string, unknown>, name: string) => unknown> = {
  scaling: scalingShardFromJson,
  london: londonShardFromJson,
  pairing: pairingShardFromJson,
};

function mergeShards(
  command: Mergeable,
  shards: readonly Record<string, unknown>[],
  values: { readonly json?: boolean; readonly out?: string; readonly markdown?: boolean },
): CommandOutput {
  // Every file's name is known once the shards are joined: all are checked now, the summary's again.
  if (command === 'scaling') {
    const { json, studies } = mergeScaling(shards as unknown as ScalingJson[]);
    const names = scalingFileNames(studies.map((study) => study.geometry));
    return scalingOutput(json, studies, values, checkStudyOutput(values.out, command, null, names));
  }
  if (command === 'london') {
    const { json, studies, convergence } = mergeLondon(shards as unknown as LondonJson[]);
    const names = londonFileNames(parseLondonGeometry(json.geometry), []);
    const out = checkStudyOutput(values.out, command, null, names);
    return londonOutput(json, [], studies, convergence, values, out);
  }
  const { json, plotted } = mergePairing(shards as unknown as PairingJson[]);
  const out = checkStudyOutput(values.out, command, null, kPairingFileNames);
  return pairingOutput(json, plotted.points, plotted.rings, values, out);
}
