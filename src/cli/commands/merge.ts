// `merge`: the shards of one sweep (`scaling`, `london` or `pairing` with `--shard K/N`, one job each, e.g. a
// Slurm job array) joined into the result one run would have printed: the same JSON apart from
// timings, its fits recomputed from all points, and the same text and files.
import { InputError } from '../../physics/input-error.ts';
import { kProgramVersion, parseJsonObject } from '../../io/formats.ts';
import { sameInShards, savedStudyReport } from '../../studies/study.ts';
import { kCommonOptions, parseCommandArgs, readTextFile } from '../options.ts';
import { checkOutputDirectory, summaryFileName } from '../output-directory.ts';
import type { Progress } from '../progress.ts';
import type { CommandOutput } from './summary.ts';

export const kMergeHelp = `Usage: darwin-breit merge SHARD.json ... [--out DIR] [--markdown] [--json]

Joins the JSON of the shards of one sweep (scaling, london or pairing run with --shard K/N for
K = 1..N, each saved with --json) into the result of one run: the points back in the sweep's order,
every fit recomputed from all of them, and the same text, JSON (timings summed) and --out files as
one run (london: the convergence plot; each shard's --out holds its own maps). A shard that a signal
stopped before its last point ("stopped" in its JSON) is refused: rerun that shard; so is one that
lacks a field its command writes, holds it as another type or a number past float64's range, or has
a point at an N or a_m/a other than its run's list gives that place (the refusal names the field), and
shards of other settings (but scaling's --threads: shards whose CPU tree ran on other counts,
which change its products only to rounding, merge, "threads" null, with one warning: line naming
the counts), another device (the CPU beside a GPU, two adapters, two GPU models, which its
"model" names, or one GPU under two driver versions, which its "description" names; a shard
written before files named the model, without "model", merges only with shards without it too) or
another program version (one written before files named it, without "version", beside one with it
too). The merged JSON names the shards' version, not merge's (null where they name none).

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

type MergeValues = { readonly json?: boolean; readonly out?: string; readonly markdown?: boolean };

/** How merge joins the shards of a command whose sweep runs in parts (--shard K/N). */
export interface Shards {
  /**
   * A shard's every field the merge and its reports read, refused in one line naming the file; the
   * shard as `merge` takes it (an older file's keys renamed).
   */
  fromJson(json: Record<string, unknown>, name: string): unknown;
  /** What its shards must share beyond the device for their points to be one run's, if anything. */
  settings?(shard: Record<string, unknown>): unknown;
  /**
   * The command's output for the joined shards, every --out file of it checked before any is written;
   * `progress` for its warning lines.
   */
  merge(shards: readonly Record<string, unknown>[], values: MergeValues, progress: Progress): CommandOutput;
}

/**
 * A shard's JSON, refused in one line unless it is an object of a mergeable command whose header
 * (savedStudyReport) is a shard's, and a whole one: a shard that a signal stopped lacks points the
 * merged run would pass off as measured. The merged text and JSON name the device: a shard without
 * one is not what the command printed.
 */
function readShard(path: string, sharded: ReadonlyMap<string, Shards>): Record<string, unknown> {
  const text = readTextFile(path, 'shards', 'merge: every shard');
  // What `--json > FILE` leaves of a shard stopped before it printed.
  if (text.trim() === '') throw new InputError(`${path} is empty: did its shard finish?`, 'shards');
  const json = parseJsonObject(text, path, 'shards');
  const { stop } = savedStudyReport(json, path, [...sharded.keys()], 'shard');
  if (stop) {
    throw new InputError(
      `${path} stopped after ${stop.points} of ${stop.of} points: rerun that shard`,
      'shards',
    );
  }
  return json;
}

/** `sharded`: the commands whose sweeps run in shards, by name (commands/index.ts). */
export async function mergeCommand(
  argv: string[],
  sharded: ReadonlyMap<string, Shards>,
  progress: Progress,
): Promise<CommandOutput> {
  // The shards' paths are positionals: the one command that takes any.
  const { values, positionals: paths } = parseCommandArgs(argv, kOptions, { positionals: true });
  if (values.help) return { help: kMergeHelp };
  if (!paths.length) throw new InputError('merge needs the JSON of every shard', 'shards');
  const shards = paths.map((path) => readShard(path, sharded));
  const command = shards[0].command as string;
  if (!shards.every((shard) => shard.command === command)) {
    throw new InputError('merge: the files come from different commands', 'shards');
  }
  const { fromJson, settings, merge } = sharded.get(command)!;
  // Each field the merge and its reports read, checked in each file (a refusal can name the file),
  // and the shard as the merge reads it: an older file's keys under their current names.
  const read = shards.map((shard, k) => fromJson(shard, paths[k]) as Record<string, unknown>);
  // One run has one adapter: float32 GPU points beside float64 CPU ones, or two GPUs' points (which
  // round differently, and may run other kernels), would be reported under the first shard's device.
  // Whether the adapter took timestamps changes only the timings. The GPU's model, which its vendor,
  // architecture and driver do not tell (an H100 and an H200 on one driver), is compared apart: a
  // shard that names none (written before files named it) is of an unknown model, not shown to be its
  // siblings', so it is refused beside one that names it, and merges with shards that name none.
  const deviceOf = (shard: Record<string, unknown>) => shard.device as { readonly model?: string };
  sameInShards(
    shards,
    (shard) => ({ ...deviceOf(shard), timestamp_query: undefined, model: undefined }),
    'device',
  );
  // A rerun names the model where the adapter gives it, which helps only where the shards that name
  // one agree (an H100 beside an H200 stays two runs).
  const models = shards.map((shard) => deviceOf(shard).model);
  const named = new Set(models.filter((model) => model !== undefined));
  sameInShards(models, (model) => model, 'the GPU model (device.model)', {
    nullMeans: 'no model named (a file written before files named it, or an adapter that withholds it)',
    ...(models.includes(undefined) && named.size === 1
      ? {
          remedy:
            'rerun the shards that name none with this program, which names the model its adapter gives',
        }
      : {}),
  });
  // Nor are two versions' points one run's: the same options need not give the same bits in another.
  // A shard written before files named their version (null) is of an older one than any that does.
  sameInShards(shards, (shard) => shard.version, 'version', {
    nullMeans: 'written before files named their version',
    remedy: `rerun the older shards with this version (${kProgramVersion})`,
  });
  if (settings) sameInShards(shards, settings, 'settings');
  if (values.out !== undefined) checkOutputDirectory(values.out, [summaryFileName(command, null)]);
  return merge(read, values, progress);
}
