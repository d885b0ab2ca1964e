// `merge`: the shards of one sweep (`scaling`, `london` or `pairing` with `--shard K/N`, one job each, e.g. a
// Slurm job array) joined into the result one run would have printed: the same JSON apart from
// timings, its fits recomputed from all points, and the same text and files.
import { InputError } from '../../physics/input-error.ts';
import { mergeLondon, type LondonJson } from '../../studies/london/report.ts';
import { mergePairing, type PairingJson } from '../../studies/pairing/report.ts';
import { mergeScaling, type ScalingJson } from '../../studies/scaling/report.ts';
import { kCommonOptions, parseCommandArgs, readTextFile } from '../options.ts';
import { prepareOutputDirectory } from '../output-directory.ts';
import { londonOutput } from './london.ts';
import { pairingOutput } from './pairing.ts';
import { scalingOutput } from './scaling.ts';
import type { CommandOutput } from './summary.ts';

export const kMergeHelp = `Usage: darwin-breit merge SHARD.json ... [--out DIR] [--markdown] [--json]

Joins the JSON of the shards of one sweep (scaling, london or pairing run with --shard K/N for
K = 1..N, each saved with --json) into the result of one run: the points back in the sweep's order,
every fit recomputed from all of them, and the same text, JSON (timings summed) and --out files as
one run (london: the convergence plot; each shard's --out holds its own maps).

  --out DIR   write the files the command writes with --out into DIR
  --markdown  the command's Markdown table (with --json: the field "markdown")
  --json      the merged JSON, as the command prints it
`;

const kOptions = {
  ...kCommonOptions,
  markdown: { type: 'boolean', default: false },
  out: { type: 'string' },
} as const;

function readShard(path: string): Record<string, unknown> {
  try {
    return JSON.parse(readTextFile(path, 'shards')) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`${path} is not JSON: ${(error as Error).message}`, 'shards');
  }
}

export async function mergeCommand(argv: string[]): Promise<CommandOutput> {
  // The shards' paths are positionals: the one command that takes any.
  const { values, positionals: paths } = parseCommandArgs(argv, kOptions, { positionals: true });
  if (values.help) return { help: kMergeHelp };
  if (!paths.length) throw new InputError('merge needs the JSON of every shard', 'shards');
  const shards = paths.map(readShard);
  const command = shards[0].command;
  if (!shards.every((shard) => shard.command === command)) {
    throw new InputError('merge: the files come from different commands', 'shards');
  }
  if (values.out !== undefined) prepareOutputDirectory(values.out);
  if (command === 'scaling') {
    const { json, studies } = mergeScaling(shards as unknown as ScalingJson[]);
    return scalingOutput(json, studies, values);
  }
  if (command === 'london') {
    const { json, studies, convergence } = mergeLondon(shards as unknown as LondonJson[]);
    return londonOutput(json, [], studies, convergence, values);
  }
  if (command === 'pairing') {
    const { json, plotted } = mergePairing(shards as unknown as PairingJson[]);
    return pairingOutput(json, plotted.points, plotted.rings, values);
  }
  throw new InputError(
    `merge joins shards of scaling, london or pairing, got '${String(command)}'`,
    'shards',
  );
}
