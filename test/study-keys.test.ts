// Every key a study's --json writes, and every column of scaling.csv, is named in the README's list
// for that study ("`<command>` keys (JSON): ..."), the device's in the README's paragraph on
// "device", and (less the device's) in the study's --help key list too: a key a report adds
// without its documentation fails here. Each study's small run (test/helpers/commands.ts), spawned.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { kShardedCommands } from '../src/cli/commands/index.ts';
import { useCliBundle } from './helpers/cli-bundle.ts';
import { smallRun } from './helpers/commands.ts';

const kReadme = readFileSync('README.md', 'utf8');

/** The studies, each with whether it takes --markdown (which adds the key "markdown"). */
const kStudies: readonly (readonly [string, boolean])[] = [
  ['london', true],
  ['larmor', false],
  ['pairing', true],
  ['scaling', true],
  ['response', true],
];

/** Keys whose objects are maps (a law's parameters, each N's storage), not named keys. */
const kMaps = new Set(['parameters', 'matrix']);

const { cli, dir } = useCliBundle('study-keys');

/** The backquoted names in the README's paragraph (or list item) that starts with `opening`. */
function readmeNames(opening: string): Set<string> {
  const start = kReadme.indexOf(opening);
  expect(start, `README.md has no "${opening}"`).toBeGreaterThanOrEqual(0);
  const rest = kReadme.slice(start);
  const end = rest.search(/\n\s*\n|\n- /);
  return new Set([...rest.slice(0, end).matchAll(/`([a-z_0-9]+)`/g)].map((match) => match[1]));
}

/** Every key of `json` at any depth, and apart those of its "device". */
function keysOf(json: unknown): { keys: Set<string>; device: Set<string> } {
  const keys = new Set<string>();
  const device = new Set<string>();
  const walk = (value: unknown, into: Set<string>) => {
    if (Array.isArray(value)) for (const entry of value) walk(entry, into);
    else if (typeof value === 'object' && value !== null) {
      for (const [key, entry] of Object.entries(value)) {
        into.add(key);
        if (into === keys && key === 'device') walk(entry, device);
        else if (!kMaps.has(key)) walk(entry, into);
      }
    }
  };
  walk(json, keys);
  return { keys, device };
}

test.each(kStudies)(
  '%s --json: every key it writes is in the README and in its --help',
  (command, markdown) => {
    const out = join(dir, command);
    const args = [...smallRun(command, dir, cli), ...(markdown ? ['--markdown'] : [])];
    // --out where the study has files (larmor has none): scaling's CSV is read below.
    const runs = [
      cli(...args, ...(command === 'larmor' ? [] : ['--out', out]), '--json'),
      // A shard's JSON too, where the study shards: what it adds ("shard", and the run's list).
      ...(kShardedCommands.has(command) ? [cli(...args, '--shard', '1/2', '--json')] : []),
    ];
    for (const run of runs) expect(run.status, run.stderr).toBe(0);
    const { keys, device } = keysOf(runs.map((run) => JSON.parse(run.stdout)));
    expect(keys.size).toBeGreaterThan(10);
    const listed = readmeNames(`\`${command}\` keys (JSON):`);
    expect([...keys].filter((key) => !listed.has(key))).toEqual([]);
    const deviceListed = readmeNames('Every JSON result carries `"device"`');
    expect([...device].filter((key) => !deviceListed.has(key))).toEqual([]);
    const help = cli(command, '--help').stdout;
    expect([...keys].filter((key) => !help.includes(`"${key}"`))).toEqual([]);
    if (command === 'scaling') {
      const [header] = readFileSync(join(out, 'scaling.csv'), 'utf8').split('\n');
      const columns = readmeNames('`scaling.csv` columns');
      expect(header.split(',').filter((column) => !columns.has(column))).toEqual([]);
    }
  },
  120_000,
);
