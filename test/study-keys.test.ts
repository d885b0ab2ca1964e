// Every key a study's --json writes, and every column of scaling.csv, is named in the README's list
// for that study ("`<command>` keys (JSON): ..."), the device's in the README's paragraph on
// "device", and (less the device's) in the study's --help key list too: a key a report adds
// without its documentation fails here. Each study's small run (test/helpers/commands.ts), spawned;
// and the JSON the real study runs committed (results/*.json, `npm run results`), which holds the
// keys only larger or other runs write (the tree's, a sweep's at N where the check is sampled, ...);
// and each sweep stopped after a point, in this process. Each of them, a sharded study's shard merged,
// and paper's JSON open with the header every study's JSON shares (StudyReport); the committed ones
// load back through their study's reader.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { commandNamed, kCommandList, kShardedCommands } from '../src/cli/commands/index.ts';
import { Progress } from '../src/cli/progress.ts';
import { kProgramVersion } from '../src/io/formats.ts';
import { studyReportHeader } from '../src/studies/study.ts';
import { useCliBundle } from './helpers/cli-bundle.ts';
import { cliMerge, smallRun } from './helpers/commands.ts';
import { stoppingProgress } from './helpers/progress.ts';
import { kStudyReaders } from './helpers/study-readers.ts';

const kReadme = readFileSync('README.md', 'utf8');

/** The studies, each with whether it takes --markdown (which adds the key "markdown"). */
const kStudies: readonly (readonly [string, boolean])[] = [
  ['london', true],
  ['larmor', false],
  ['pairing', true],
  ['scaling', true],
  ['response', true],
];

test('every study (a folder of src/studies/ but paper, whose JSON is its table) is held to its keys here', () => {
  const folders = readdirSync('src/studies', { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name !== 'paper')
    .map((entry) => entry.name);
  expect(
    kStudies.map(([command]) => command).sort(),
    'a new study needs its line in kStudies (test/study-keys.test.ts) and its keys in README',
  ).toEqual(folders.sort());
});

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

/**
 * Fails on each key of `json` (one or more of `command`'s JSON objects) that the README's list for
 * `command`, or its paragraph on "device", or (but the device's) `command --help` does not name.
 */
function expectDocumented(command: string, json: unknown): void {
  const { keys, device } = keysOf(json);
  expect(keys.size).toBeGreaterThan(10);
  const listed = readmeNames(`\`${command}\` keys (JSON):`);
  expect(
    [...keys].filter((key) => !listed.has(key)),
    command,
  ).toEqual([]);
  const deviceListed = readmeNames('Every JSON result carries `"device"`');
  expect(
    [...device].filter((key) => !deviceListed.has(key)),
    command,
  ).toEqual([]);
  const help = cli(command, '--help').stdout;
  expect(
    [...keys].filter((key) => !help.includes(`"${key}"`)),
    command,
  ).toEqual([]);
}

/** StudyReport's keys in its order: studyReportHeader's (all given), the device, then a shard's "shard". */
const kHeaderKeys = [
  ...Object.keys(studyReportHeader({ command: 'c', stop: { signal: null, points: 0, of: 1 } })),
  'device',
  'shard',
];

/**
 * Fails unless `json`, one of `command`'s JSON, holds the header's keys it has in StudyReport's
 * order and opens with them: all but the shard, which comes beside the study's list of the run's
 * points, and response's device, which comes after its limits. A file this program writes (`fresh`)
 * names its version and device; one committed before "version" was (results.json's oldest response
 * part) has none.
 */
function expectStudyReport(command: string, json: Record<string, unknown>, { fresh = true } = {}): void {
  const keys = Object.keys(json);
  expect(
    keys.filter((key) => kHeaderKeys.includes(key)),
    command,
  ).toEqual(kHeaderKeys.filter((key) => key in json));
  const late = new Set(['shard', ...(command === 'response' ? ['device'] : [])]);
  const opening = kHeaderKeys.filter((key) => key in json && !late.has(key));
  expect(keys.slice(0, opening.length), command).toEqual(opening);
  expect(json.command).toBe(command);
  if (fresh) expect(json).toMatchObject({ version: kProgramVersion, device: { kind: expect.any(String) } });
}

test.each(kStudies)(
  '%s --json: every key it writes is in the README and in its --help',
  async (command, markdown) => {
    const out = join(dir, command);
    const args = [...smallRun(command, dir, cli), ...(markdown ? ['--markdown'] : [])];
    // --out where the study has files (larmor has none): scaling's CSV is read below.
    const sharded = kShardedCommands.has(command);
    const runs = [
      cli(...args, ...(command === 'larmor' ? [] : ['--out', out]), '--json'),
      // A shard's JSON too, where the study shards: what it adds ("shard", and the run's list); and
      // the one shard of 1/1, which merge takes alone (a small run's second of two may hold no point).
      ...(sharded ? ['1/2', '1/1'].map((shard) => cli(...args, '--shard', shard, '--json')) : []),
    ];
    for (const run of runs) expect(run.status, run.stderr).toBe(0);
    const jsons = runs.map((run) => JSON.parse(run.stdout) as Record<string, unknown>);
    // The shard merged: the run's JSON again, its version the shard's.
    if (sharded) {
      const path = join(dir, `${command}-shard.json`);
      writeFileSync(path, runs[2].stdout);
      const merged = (await cliMerge([path])).summary;
      jsons.push(JSON.parse(JSON.stringify(merged)) as Record<string, unknown>);
    }
    expectDocumented(command, jsons);
    for (const json of jsons) expectStudyReport(command, json);
    if (command === 'scaling') {
      const [header] = readFileSync(join(out, 'scaling.csv'), 'utf8').split('\n');
      const columns = readmeNames('`scaling.csv` columns');
      expect(header.split(',').filter((column) => !columns.has(column))).toEqual([]);
    }
  },
  120_000,
);

/**
 * The commands whose sweep a signal stops after a point, which its JSON then says: those that ask
 * their progress for the sweep's stop (Progress.sweepStop) in src/cli/commands/<name>.ts. Read from
 * the sources, so that a new study's sweep is held here without a list to extend.
 */
const kStoppedSweeps = kCommandList
  .map(({ name }) => name)
  .filter((name) =>
    readFileSync(`src/cli/commands/${name}.ts`, 'utf8').includes(`.${Progress.prototype.sweepStop.name}(`),
  );

/** A sweep of two points or more for a command whose small run has one point. */
const kTwoPoints: Readonly<Record<string, readonly string[]>> = { pairing: ['--ratios', '10,100'] };

test('the stopped sweeps are found in the commands (the test below runs each)', () => {
  expect(kStoppedSweeps.length).toBeGreaterThan(0);
  expect(kStoppedSweeps.filter((name) => !kStudies.some(([command]) => command === name))).toEqual([]);
});

test.each(kStoppedSweeps)(
  '%s stopped after its first point: the keys a stopped sweep adds are in the README and its --help',
  async (name) => {
    // In this process on the CPU, stopped as a signal would at the second point's first report.
    const command = commandNamed(name)!;
    const args = kTwoPoints[name] ?? smallRun(name, dir, cli).slice(1);
    const { progress } = stoppingProgress(/^point 2 of /);
    const output = await command.run(
      [...args, ...(command.cpuOnly ? [] : ['--device', 'cpu']), '--json'],
      progress,
    );
    expect(
      output.summary,
      `${name} was not stopped at its second point: where its small run has one point, give it two in kTwoPoints (test/study-keys.test.ts)`,
    ).toMatchObject({ stopped: { signal: 'SIGINT', points: 1 } });
    expectDocumented(name, output.summary);
    expectStudyReport(name, output.summary as Record<string, unknown>);
  },
  120_000,
);

/**
 * The JSON objects of a command in `json`, a committed result: the file itself where a study wrote
 * it, or the parts of results.json (`npm run results`, which adds keys of its own at each part's
 * top, named in the README's paragraph on it: those taken off here).
 */
function commandObjects(json: unknown, added: ReadonlySet<string>): Record<string, unknown>[] {
  if (Array.isArray(json)) return json.flatMap((entry) => commandObjects(entry, added));
  if (typeof json !== 'object' || json === null) return [];
  if (typeof (json as { command?: unknown }).command === 'string') {
    return [Object.fromEntries(Object.entries(json).filter(([key]) => !added.has(key)))];
  }
  return Object.values(json).flatMap((entry) => commandObjects(entry, added));
}

test('the JSON of the real study runs (results/*.json): every key documented, its header, and it loads', () => {
  const added = readmeNames('The full default run (`npm run results`');
  expect([...added]).toEqual(expect.arrayContaining(['date', 'name']));
  const files = readdirSync('results').filter((name) => name.endsWith('.json'));
  const parts = files.flatMap((name) =>
    commandObjects(JSON.parse(readFileSync(join('results', name), 'utf8')), added),
  );
  // The studies' parts, by command (results.json also holds spectrum and bench runs, whose keys the
  // README lists otherwise).
  const studies = new Set(kStudies.map(([command]) => command));
  const byCommand = new Map<string, Record<string, unknown>[]>();
  for (const part of parts) {
    const command = part.command as string;
    if (studies.has(command)) byCommand.set(command, [...(byCommand.get(command) ?? []), part]);
  }
  // The results hold a run of every study but larmor (which `npm run results` does not run).
  expect([...byCommand.keys()].sort()).toEqual(['london', 'pairing', 'response', 'scaling']);
  for (const [command, objects] of byCommand) {
    expectDocumented(command, objects);
    for (const [k, json] of objects.entries()) {
      expectStudyReport(command, json, { fresh: false });
      expect(() =>
        kStudyReaders[command as keyof typeof kStudyReaders](json, `${command} part ${k}`),
      ).not.toThrow();
    }
  }
});

test("paper's JSON opens with the header every study's JSON shares (StudyReport)", async () => {
  const output = await commandNamed('paper')!.run(['--json'], new Progress({ quiet: true }));
  expectStudyReport('paper', JSON.parse(JSON.stringify(output.summary)) as Record<string, unknown>);
});
