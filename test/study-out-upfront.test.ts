// Every file a study writes into --out DIR is checked before the run, not only its summary: a
// directory standing where a plot, a map or a CSV goes is refused at once, before the GPU is opened
// or the first point is solved, and DIR is left as it was. The names come from the spec (a shard
// writes only its own maps, the flux drive none), so a directory under a name the run would not
// write does not stop it.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test, vi } from 'vitest';
import { kCommandList } from '../src/cli/commands/index.ts';
import { paperCommand } from '../src/cli/commands/paper.ts';
import { checkOutputDirectory } from '../src/cli/output-directory.ts';
import { runPaper } from '../src/studies/paper/run.ts';
import { expectUserErrorRun, runCli, useCliBundle } from './helpers/cli-bundle.ts';
import { smallRun } from './helpers/commands.ts';

vi.mock('../src/studies/paper/run.ts', () => ({
  runPaper: vi.fn(() => {
    throw new Error('the paper run started');
  }),
}));

const { cli, bundle, dir } = useCliBundle('study-out-upfront');

/** An --out DIR holding an empty directory named `taken` and, where given, a file `kept` to keep. */
function outWithDirectory(label: string, taken: string, kept?: string): string {
  const out = join(dir, label);
  mkdirSync(join(out, taken), { recursive: true });
  if (kept) writeFileSync(join(out, kept), 'KEEP\n');
  return out;
}

/**
 * A command, where in its --out a directory stands, its arguments less --out (merge's: the shards it
 * joins, made first), the file that directory takes the place of, and the run's summary where it is
 * not the command's own (merge writes its shards' command's).
 */
const kCases: [string, string, string[] | (() => string[]), string, string?][] = [
  [
    'response',
    'a map (largest N)',
    ['--geometry', 'ball', '--n', '4,8', '--grid', '5'],
    'response-map-n8-x1.00.svg',
  ],
  [
    'response',
    'a CSV tagged to 4 digits',
    ['--geometry', 'ring', '--n', '4', '--n-epsilon', '1,1.001'],
    'response-n4-x1.001.csv',
  ],
  [
    'response',
    'the profile plot',
    ['--geometry', 'disk', '--n', '4', '--n-epsilon', '1'],
    'response-profile.svg',
  ],
  ['london', 'a map', ['--n', '50,60', '--grid', '8'], 'london-sphere-n60.svg'],
  ['london', "a map's deviation", ['--n', '50,60', '--grid', '8'], 'london-sphere-n60-deviation.svg'],
  ['london', "a shard's map", ['--n', '50,60', '--grid', '8', '--shard', '2/2'], 'london-sphere-n60.svg'],
  ['london', 'the convergence plot', ['--n', '50', '--grid', '8'], 'london-sphere-convergence.svg'],
  [
    'scaling',
    "a geometry's plot",
    ['--geometries', 'ring,disk', '--n-min', '8', '--n-max', '16', '--points', '2'],
    'scaling-disk-coefficient.svg',
  ],
  [
    'scaling',
    'the CSV',
    ['--geometries', 'ring', '--n-min', '8', '--n-max', '16', '--points', '2'],
    'scaling.csv',
  ],
  ['pairing', 'a plot', ['--ratios', '10'], 'pairing-ratio.svg'],
  ['paper', 'a plot', [], 'paper-persistent-current.svg'],
  [
    'merge',
    "a plot of its shards' command",
    () => smallRun('merge', dir, cli).slice(1),
    'pairing-ratio.svg',
    'pairing.json',
  ],
];

// Default devices (the GPU where a command has one) and --verbose, which prints the adapter as the
// GPU opens and every progress update as a line: a refusal before the run prints nothing else.
describe.each(kCases)('%s: a directory where %s goes', (command, what, given, taken, named) => {
  test('is refused before the run, DIR left as it was', () => {
    const args = typeof given === 'function' ? given() : given;
    // The summary a finished run would write over stands there already.
    const summary = named ?? `${command}${args.includes('--shard') ? '-shard2of2' : ''}.json`;
    const out = outWithDirectory(`${command}-${what.replaceAll(/\W+/g, '-')}`, taken, summary);
    const run = runCli(bundle, [command, ...args, '--out', out, '--verbose']);
    expectUserErrorRun(run, /^error: cannot write .*: it is a directory$/);
    // Nothing else: no adapter line (the GPU not opened), no progress (no point begun).
    expect(run.stderr).toBe(`error: cannot write ${join(out, taken)}: it is a directory\n`);
    expect(readdirSync(out).sort()).toEqual([summary, taken].sort());
    expect(readdirSync(join(out, taken))).toEqual([]);
    expect(readFileSync(join(out, summary), 'utf8')).toBe('KEEP\n');
  });
});

test('every command whose --out is a directory has a case above', () => {
  const cased = new Set(kCases.map(([command]) => command));
  const directories = kCommandList.filter(({ out }) => out === 'directory').map(({ name }) => name);
  expect(directories.filter((name) => !cased.has(name))).toEqual([]);
});

test('paper, which prints no progress: the refusal comes before runPaper', async () => {
  const out = outWithDirectory('paper-in-process', 'paper-flux-levels.svg');
  await expect(paperCommand(['--out', out])).rejects.toThrow(
    `cannot write ${join(out, 'paper-flux-levels.svg')}: it is a directory`,
  );
  expect(runPaper).not.toHaveBeenCalled();
});

test('a body given twice is refused before the run, naming --n (its map would be written over itself)', () => {
  const out = join(dir, 'london-twice');
  const run = runCli(bundle, ['london', '--n', '50,50', '--grid', '8', '--out', out, '--verbose']);
  expectUserErrorRun(run, /^error: --n names 50 more than once; give it once$/);
  expect(run.stderr).toBe('error: --n names 50 more than once; give it once\n');
  expect(existsSync(out)).toBe(false);
});

test('two files of one run under one name are refused by the check itself', () => {
  const out = join(dir, 'twice');
  expect(() => checkOutputDirectory(out, ['a.svg', 'b.svg', 'a.svg'])).toThrow(
    `cannot write ${join(out, 'a.svg')} twice: two files of this run take that name`,
  );
});

test('a folder the file system refuses, whatever the access bits say to root, is refused by the check', () => {
  // /proc refuses every new entry, to root too (for whom access(W_OK) passes); Node's recursive mkdir
  // there never returns, so the refusal must come from the check, and nothing be left behind.
  for (const [path, message] of [
    [
      '/proc/darwin-breit-out/sub',
      /^cannot create directory \/proc\/darwin-breit-out\/sub: (the file system refuses it \(E[A-Z]+\)|its directory \/proc is not writable)$/,
    ],
    [
      '/proc',
      /^cannot write into \/proc: (the file system refuses it \(E[A-Z]+\)|the directory \/proc is not writable)$/,
    ],
  ] as const) {
    expect(() => checkOutputDirectory(path, ['a.json'])).toThrow(message);
  }
  expect(readdirSync('/proc').filter((name) => name.startsWith('.darwin-breit'))).toEqual([]);
  // A writable folder passes and keeps no probe.
  const fine = join(dir, 'fine');
  mkdirSync(fine);
  expect(checkOutputDirectory(fine, ['a.json'])).toEqual({ path: fine, names: ['a.json'] });
  expect(checkOutputDirectory(join(fine, 'new', 'deeper'), ['a.json']).path).toBe(
    join(fine, 'new', 'deeper'),
  );
  expect(readdirSync(fine)).toEqual([]);
});

describe('a directory under a name the spec does not write leaves the run to write its own', () => {
  test.each([
    // Shard 1/2 maps N = 50; N = 60 is shard 2/2's.
    [
      'london',
      ['--n', '50,60', '--grid', '8', '--shard', '1/2', '--device', 'cpu'],
      'london-sphere-n60.svg',
      ['london-shard1of2.json', 'london-sphere-n50-deviation.svg', 'london-sphere-n50.svg'],
    ],
    // The flux drive maps no field.
    [
      'response',
      [
        '--geometry',
        'ring',
        '--n',
        '4',
        '--n-epsilon',
        '1',
        '--drive',
        'flux',
        '--grid',
        '5',
        '--device',
        'cpu',
      ],
      'response-map-n4-x1.00.svg',
      ['response-n4-x1.00.csv', 'response-screening.svg', 'response.json'],
    ],
    // A ring's electrons are all at one depth: no current against depth to draw.
    [
      'response',
      ['--geometry', 'ring', '--n', '4', '--n-epsilon', '1', '--device', 'cpu'],
      'response-profile.svg',
      ['response-n4-x1.00.csv', 'response-screening.svg', 'response-centre.svg', 'response.json'],
    ],
  ])('%s %j', (command, args, taken, written) => {
    const out = outWithDirectory(`${command}-not-written-${taken}`, taken);
    const run = cli(command, ...args, '--out', out);
    expect(run.status, run.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual([...written, taken].sort());
  });
});
