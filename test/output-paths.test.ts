// The paths of the CLI's output and input files, as a user meets them: a study's --out written whole
// or not at all (refused after the results where it fails as the run ends), one file per response
// point, and the files solve reads back (a study's velocities, a binary or empty name refused in one
// line). Spawned processes, exit codes, one `error:` line.
import { spawnSync } from 'node:child_process';
import fs, {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { describe, expect, test } from 'vitest';
import { kCommandList } from '../src/cli/commands/index.ts';
import { geometry, parseNumericCsv } from '../src/physics/geometry.ts';
import { checkOutputDirectory, writeIntoDirectory } from '../src/cli/output-directory.ts';
import { shareWritesThrough } from '../src/cli/signals.ts';
import { responsePointTags } from '../src/studies/response/report.ts';
import { expectUserErrorRun, runCli, runCliActingAt, useCliBundle } from './helpers/cli-bundle.ts';
import { smallRun } from './helpers/commands.ts';

const { cli, bundle, dir } = useCliBundle('output-paths');

/** The commands whose --out names a directory for their files (src/cli/commands/index.ts). */
const kDirectoryCommands = kCommandList.filter(({ out }) => out === 'directory');

/** Exit 0 and stdout exactly one JSON object. */
function json(...args: string[]) {
  const run = cli(...args, '--json');
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout);
}

type Row = Record<string, number>;

/** A CSV's rows as objects of numbers, by its header's names. */
function readCsv(path: string): Row[] {
  const [header, ...rows] = readFileSync(path, 'utf8').trim().split('\n');
  const names = header.split(',');
  return rows.map((row) => Object.fromEntries(row.split(',').map((cell, k) => [names[k], Number(cell)])));
}

describe('response --out: one file per point', () => {
  test('tags take as few digits (3 at least) as tell the points apart', () => {
    const tags = (n: number, xs: number[]) => responsePointTags(xs.map((nEpsilon) => ({ n, nEpsilon })));
    expect(tags(20, [1, 1.5, 2])).toEqual(['n20-x1.00', 'n20-x1.50', 'n20-x2.00']);
    expect(tags(20, [1.001, 1.002, 1.003])).toEqual(['n20-x1.001', 'n20-x1.002', 'n20-x1.003']);
    expect(tags(20, [1, 1.00001])).toEqual(['n20-x1.00000', 'n20-x1.00001']);
    // N tells points apart as well: the same N r_e/R at two N keeps 3 digits.
    expect(
      responsePointTags([
        { n: 20, nEpsilon: 1.001 },
        { n: 40, nEpsilon: 1.001 },
      ]),
    ).toEqual(['n20-x1.00', 'n40-x1.00']);
  });

  test("N r_e/R that agree to 3 digits get their own files, each holding its point's velocities", () => {
    const out = join(dir, 'close-points');
    const summary = json(
      'response',
      ...['--geometry', 'sphere', '--n', '20', '--n-epsilon', '1.001,1.002,1.003', '--grid', '5'],
      ...['--device', 'cpu', '--out', out],
    );
    const xs = ['1.001', '1.002', '1.003'];
    expect(readdirSync(out).sort()).toEqual(
      [
        ...xs.flatMap((x) => [`response-n20-x${x}.csv`, `response-map-n20-x${x}.svg`]),
        'response-screening.svg',
        'response-centre.svg',
        'response.json',
      ].sort(),
    );
    // The field drive's screening ratio is sum (r x v)_z / sum rho^2 (b_i = z x r_i, D = I): each
    // file's velocities give its own point's ratio, which differ from the next in the 4th digit.
    xs.forEach((x, k) => {
      const rows = readCsv(join(out, `response-n20-x${x}.csv`));
      expect(rows).toHaveLength(20);
      const moment = rows.reduce((sum, r) => sum + r.x * r.vy - r.y * r.vx, 0);
      const bare = rows.reduce((sum, r) => sum + r.x * r.x + r.y * r.y, 0);
      const point = summary.points[k];
      expect(point.n_epsilon).toBeCloseTo(Number(x), 12);
      expect(Math.abs(moment / bare - point.screening_ratio)).toBeLessThan(1e-12);
    });
    const ratios = summary.points.map((p: { screening_ratio: number }) => p.screening_ratio);
    expect(Math.abs(ratios[0] - ratios[2])).toBeGreaterThan(1e-6);
  });
});

describe('a study run writes its --out whole or not at all', () => {
  const sweep = ['--geometries', 'ring', '--n-min', '16', '--n-max', '32', '--points', '2'];
  const scaling = (out: string) => cli('scaling', '--device', 'cpu', ...sweep, '--out', out);

  test('a directory where the summary goes is refused before the run, the folder left as it was', () => {
    const out = join(dir, 'summary-taken');
    mkdirSync(join(out, 'scaling.json'), { recursive: true });
    writeFileSync(join(out, 'scaling.csv'), 'KEEP\n');
    expectUserErrorRun(
      scaling(out),
      /^error: cannot write .*summary-taken\/scaling\.json: it is a directory$/,
    );
    expect(readdirSync(out).sort()).toEqual(['scaling.csv', 'scaling.json']);
    expect(readFileSync(join(out, 'scaling.csv'), 'utf8')).toBe('KEEP\n');
  });

  test('merge: a directory where the merged summary goes is refused, the folder left as it was', () => {
    const shards = ['1/2', '2/2'].map((shard, k) => {
      const path = join(dir, `pairing-shard-${k}.json`);
      writeFileSync(path, JSON.stringify(json('pairing', '--ratios', '10,100', '--shard', shard)));
      return path;
    });
    const out = join(dir, 'merge-taken');
    mkdirSync(join(out, 'pairing.json'), { recursive: true });
    writeFileSync(join(out, 'pairing-ratio.svg'), 'KEEP\n');
    expectUserErrorRun(
      cli('merge', ...shards, '--out', out),
      /^error: cannot write .*merge-taken\/pairing\.json: it is a directory$/,
    );
    expect(readdirSync(out).sort()).toEqual(['pairing-ratio.svg', 'pairing.json']);
    expect(readFileSync(join(out, 'pairing-ratio.svg'), 'utf8')).toBe('KEEP\n');
  });

  test('a file the file system refuses leaves no other written, no partial file, no new folder', () => {
    const kept = join(dir, 'refused-name');
    mkdirSync(kept);
    writeFileSync(join(kept, 'a.svg'), 'KEEP\n');
    const tooLong = 'b'.repeat(300);
    for (const out of [kept, join(dir, 'made', 'for-it')]) {
      expect(() =>
        writeIntoDirectory({ path: out, names: ['a.svg', tooLong] }, [
          ['a.svg', 'new\n'],
          [tooLong, 'new\n'],
        ]),
      ).toThrow(new RegExp(`^cannot write .*${tooLong} \\(ENAMETOOLONG\\)$`));
    }
    expect(readdirSync(kept)).toEqual(['a.svg']);
    expect(readFileSync(join(kept, 'a.svg'), 'utf8')).toBe('KEEP\n');
    // Both folders mkdir made are removed again.
    expect(existsSync(join(dir, 'made'))).toBe(false);
  });

  test("a run that finds another writing into its DIR waits for it, then is refused, that run's files untouched", () => {
    // Two runs renaming into one DIR at once left one's pairing-energy.svg beside the other's
    // pairing.json, both exit 0: a run writes only under the directory's lock.
    const out = join(dir, 'locked');
    mkdirSync(out);
    writeFileSync(join(out, 'a.svg'), 'KEEP\n');
    const refusal = new RegExp(
      `^cannot write into ${out}: another darwin-breit run is writing into it \\(remove ${out}/\\.darwin-breit\\.lock if none is\\)$`,
    );
    const checked = checkOutputDirectory(out, ['a.svg']);
    writeFileSync(join(out, '.darwin-breit.lock'), '');
    // Locked once the run was under way: waited for (100 ms here), then refused.
    expect(() => writeIntoDirectory(checked, [['a.svg', 'new\n']], 100)).toThrow(refusal);
    // Found before the run too, so that a lock left by a run killed as it wrote costs no long run.
    expect(() => checkOutputDirectory(out, ['a.svg'])).toThrow(refusal);
    expect(readdirSync(out).sort()).toEqual(['.darwin-breit.lock', 'a.svg']);
    expect(readFileSync(join(out, 'a.svg'), 'utf8')).toBe('KEEP\n');
    // Once it is gone, the files are written and the lock with them.
    rmSync(join(out, '.darwin-breit.lock'));
    writeIntoDirectory(checkOutputDirectory(out, ['a.svg', 'b.svg']), [
      ['a.svg', 'new\n'],
      ['b.svg', 'new\n'],
    ]);
    expect(readdirSync(out).sort()).toEqual(['a.svg', 'b.svg']);
    expect(readFileSync(join(out, 'a.svg'), 'utf8')).toBe('new\n');
  });

  /**
   * Writes a.svg into `out`, whose lock another run holds, while a thread beside this one plays the
   * thread that hears the signals: once the write waits for the lock (the flag's 3, beginLockWait) it
   * takes the wait where `take` (the flag's 4, takeLockWait, as a signal does) and removes the other
   * run's lock, which then comes free as the write waits. The write is synchronous, as a worker's is:
   * only another thread can act during it. Resolves, once that thread has ended, with the write's
   * error, or null.
   */
  async function writeWhileLocked(out: string, take: boolean): Promise<unknown> {
    mkdirSync(out);
    writeFileSync(join(out, '.darwin-breit.lock'), '');
    const flag = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
    const other = new Worker(
      `const { workerData: { flag, lock, take } } = require('node:worker_threads');
       for (let look = 0; look < 2000 && Atomics.load(flag, 0) !== 3; look++) Atomics.wait(flag, 0, Atomics.load(flag, 0), 5);
       if (take) Atomics.compareExchange(flag, 0, 3, 4);
       require('node:fs').rmSync(lock);`,
      { eval: true, workerData: { flag, lock: join(out, '.darwin-breit.lock'), take } },
    );
    const ended = once(other, 'exit');
    shareWritesThrough(flag);
    let failure: unknown = null;
    try {
      writeIntoDirectory({ path: out, names: ['a.svg'] }, [['a.svg', 'new\n']], 60_000);
    } catch (error) {
      failure = error;
    } finally {
      shareWritesThrough(new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT)));
    }
    await ended;
    return failure;
  }

  test("a wait for another's lock that a signal took is given up, though the lock comes free, as the stop's notice said", async () => {
    // The thread that heard the signal said "the lock not taken" (stopNotice) where it took the wait
    // (takeLockWait); the run's next look may find the other run's lock gone before it sees the stop.
    const out = join(dir, 'locked-taken');
    const failure = await writeWhileLocked(out, true);
    expect(String(failure)).toMatch(
      /^InputError: cannot write into .*: another darwin-breit run is writing into it/,
    );
    expect(readdirSync(out)).toEqual([]);
  });

  test("a wait for another's lock that no signal took takes it once it comes free", async () => {
    // The wait looks only at the flag, not at a stop that ended a sweep before its write began: that
    // stop's files are written after the same wait as any run's (test/signals-writes.test.ts).
    const out = join(dir, 'locked-free');
    expect(await writeWhileLocked(out, false)).toBeNull();
    expect(readdirSync(out)).toEqual(['a.svg']);
    expect(readFileSync(join(out, 'a.svg'), 'utf8')).toBe('new\n');
  });

  test('a lock that fails once created is removed, with the directories the run made: the next run is not refused', () => {
    // A full disk let the lock be created but not written, and left it (and DIR) for the next run to
    // be refused by as "another run is writing". Here the lock's file fails as it is closed.
    const out = join(dir, 'lock-fails', 'sub');
    const realOpen = fs.openSync;
    const realClose = fs.closeSync;
    let lockDescriptor: number | undefined;
    fs.openSync = ((path: fs.PathLike, flags: fs.OpenMode, mode?: fs.Mode) => {
      const descriptor = realOpen(path, flags, mode);
      if (String(path).endsWith('.darwin-breit.lock')) lockDescriptor = descriptor;
      return descriptor;
    }) as typeof fs.openSync;
    fs.closeSync = ((descriptor: number) => {
      realClose(descriptor);
      if (descriptor === lockDescriptor) throw Object.assign(new Error('EIO'), { code: 'EIO' });
    }) as typeof fs.closeSync;
    syncBuiltinESMExports();
    try {
      expect(() => writeIntoDirectory({ path: out, names: ['a.svg'] }, [['a.svg', 'new\n']])).toThrow(
        new RegExp(`^cannot write ${out}/\\.darwin-breit\\.lock \\(EIO\\)$`),
      );
    } finally {
      fs.openSync = realOpen;
      fs.closeSync = realClose;
      syncBuiltinESMExports();
    }
    expect(lockDescriptor).toBeDefined();
    expect(existsSync(join(dir, 'lock-fails'))).toBe(false);
  });

  test("a missing DIR is created with its missing parents, as every --out DIR's --help says; solve's FILE is not", () => {
    for (const { name: command } of kDirectoryCommands) {
      const help = cli(command, '--help').stdout;
      const option = /^ {2}--out DIR[^]*?(?=\n {2}-|\n\S)/m.exec(help)?.[0].replace(/\s+/g, ' ');
      expect(option, command).toMatch(/ into DIR, created with any missing parents$/);
    }
    const deeper = join(dir, 'missing', 'deeper');
    const run = cli('pairing', '--ratios', '10', '--out', deeper);
    expect(run.status, run.stderr).toBe(0);
    expect(readdirSync(deeper)).toContain('pairing.json');
    const file = join(dir, 'missing-too', 'r.json');
    expectUserErrorRun(
      cli(
        'solve',
        '--geometry',
        'ring',
        '--n',
        '8',
        '--epsilon',
        '0.01',
        '--velocity',
        'rigid',
        '--device',
        'cpu',
        '--out',
        file,
      ),
      /missing-too/,
    );
    expect(existsSync(join(dir, 'missing-too'))).toBe(false);
  });

  test("each file a study's --out writes is named in its --help, a point's or a geometry's by its pattern", () => {
    for (const { name: registered } of kDirectoryCommands) {
      const out = join(dir, `help-names-${registered}`);
      const run = cli(...smallRun(registered, dir, cli), '--out', out, '--json');
      expect(run.status, run.stderr).toBe(0);
      // merge writes the files of the command whose shards it joined, which that one's --help names.
      const { command } = JSON.parse(run.stdout);
      const option = /^ {2}--out DIR[^]*?(?=\n {2}-|\n\S)/m
        .exec(cli(command, '--help').stdout)?.[0]
        .replace(/\s+/g, ' ');
      const written = readdirSync(out).map((name) =>
        name
          .replace(/^response-(map-)?n\d+-x[\d.]+\./, 'response-$1n<N>-x<N r_e/R>.')
          .replace(/^(scaling|london)-(ring|sphere)/, '$1-<geometry>')
          .replace(/^london-<geometry>-n\d+/, 'london-<geometry>-n<N>'),
      );
      // Not vacuous: the run wrote its summary at least (merge's, of the command it joined).
      expect(written, registered).toContain(`${command}.json`);
      expect(
        written.filter((name) => !option?.includes(name)),
        registered,
      ).toEqual([]);
    }
  });

  test('a file where the folder should be is refused', () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'KEEP\n');
    expectUserErrorRun(
      cli('pairing', '--ratios', '10', '--out', file),
      /^error: cannot create directory .*a-file \(ENOTDIR\)$/,
    );
    expect(readFileSync(file, 'utf8')).toBe('KEEP\n');
  });

  // Root writes anywhere: the check then runs as nobody (uid and gid 65534; Node's spawn also drops
  // root's supplementary groups).
  const root = process.getuid?.() === 0;
  test('a folder that cannot be written is named as solve names it (run as nobody by root)', () => {
    // Its parent traversable by nobody.
    chmodSync(dir, 0o755);
    const readOnly = join(dir, 'read-only');
    mkdirSync(readOnly);
    chmodSync(readOnly, 0o555);
    const unprivileged = (...args: string[]) =>
      runCli(bundle, args, { quiet: true, ...(root && { user: { uid: 65534, gid: 65534 } }) });
    expectUserErrorRun(
      unprivileged('paper', '--out', readOnly),
      /^error: cannot write into .*read-only: the directory .*read-only is not writable$/,
    );
    expectUserErrorRun(
      unprivileged('pairing', '--ratios', '10', '--out', join(readOnly, 'new', 'sub')),
      /^error: cannot create directory .*read-only\/new\/sub: its directory .*read-only is not writable$/,
    );
    expect(readdirSync(readOnly)).toEqual([]);
  });
});

// A disk that fills, or a folder that changes, during a long run: its --out, checked before it, is
// refused only when written. The results are printed all the same, and the refusal follows them.
describe('an --out that cannot be written when the run ends', () => {
  const errorLines = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('error:'));

  test('a study: its JSON on stdout, then one line, exit 2, nothing written', async () => {
    const out = join(dir, 'changed-during-run', 'results');
    mkdirSync(join(dir, 'changed-during-run'));
    const ratios = Array.from({ length: 100 }, (_, k) => (10 * 1e5 ** (k / 99)).toPrecision(6)).join(',');
    // A file where the directory was to be made.
    const run = await runCliActingAt(
      bundle,
      ['pairing', '--ratios', ratios, '--out', out, '--json'],
      /pairing: a_m/,
      () => writeFileSync(out, 'KEEP\n'),
    );
    expect(run.status, run.stderr).toBe(2);
    expect(errorLines(run.stderr)).toEqual([`error: cannot create directory ${out} (ENOTDIR)`]);
    const summary = JSON.parse(run.stdout);
    expect(summary.points).toHaveLength(100);
    expect(summary.files).toEqual([]);
    expect(readFileSync(out, 'utf8')).toBe('KEEP\n');
  });

  test('solve --out FILE: its text on stdout, then one line, exit 2', async () => {
    const out = join(dir, 'taken-during-run.json');
    const args = ['solve', '--geometry', 'ball', '--n', '2000', '--velocity', 'rigid', '--epsilon', '1e-3'];
    // A directory where the file was to go.
    const run = await runCliActingAt(bundle, [...args, '--device', 'cpu', '--out', out], /assembling M/, () =>
      mkdirSync(out),
    );
    expect(run.status, run.stderr).toBe(2);
    expect(errorLines(run.stderr)).toEqual([`error: cannot write ${out} (EISDIR)`]);
    expect(run.stdout).toMatch(/^configuration\.n +2000$/m);
    expect(readdirSync(out)).toEqual([]);
    expect(readdirSync(dir).filter((name) => name.includes('.partial-'))).toEqual([]);
  });
});

describe('solve reads a study’s velocities back', () => {
  // The field drive solves M v = b, b_i = z x r_i (vector) or rho_i^2 (azimuthal, eq. 47's J), at
  // eps = N r_e/R / N; solve given those velocities computes the momenta M v: b again.
  test.each([
    [
      'vector, 3D',
      ['--geometry', 'sphere', '--n', '20'],
      [],
      '0.1',
      'n20',
      (r: Row) => [r.px + r.y, r.py - r.x, r.pz],
    ],
    [
      'vector, 2D',
      ['--geometry', 'disk', '--n', '16', '--dim', '2'],
      ['--dim', '2'],
      '0.125',
      'n16',
      (r: Row) => [r.px + r.y, r.py - r.x],
    ],
    [
      'azimuthal',
      ['--geometry', 'ring', '--n', '16', '--model', 'azimuthal'],
      ['--model', 'azimuthal'],
      '0.125',
      'n16',
      (r: Row) => [r.J - r.x * r.x - r.y * r.y],
    ],
  ])(
    '%s: response --out’s CSV serves as --positions and --velocities',
    (name, response, model, epsilon, tag, residual) => {
      const out = join(dir, `load-back-${name.replace(/\W+/g, '-')}`);
      json('response', ...response, '--n-epsilon', '2', '--device', 'cpu', '--out', out);
      const saved = join(out, `response-${tag}-x2.00.csv`);
      const result = `${out}.csv`;
      const run = cli(
        'solve',
        ...model,
        '--positions',
        saved,
        '--velocities',
        saved,
        '--epsilon',
        epsilon,
        '--device',
        'cpu',
        '--out',
        result,
      );
      expect(run.status, run.stderr).toBe(0);
      const rows = readCsv(result);
      expect(rows).toHaveLength(Number(tag.slice(1)));
      // The response's CG stopped at its tolerance: M v = b to ~1e-9.
      for (const row of rows) for (const r of residual(row)) expect(Math.abs(r)).toBeLessThan(1e-7);
    },
  );

  test('velocities of another configuration, or not of the model, are refused', () => {
    const saved = join(dir, 'load-back-vector-3D', 'response-n20-x2.00.csv');
    const cpu = ['--epsilon', '0.1', '--device', 'cpu'];
    expectUserErrorRun(
      cli('solve', '--geometry', 'ring', '--n', '20', '--velocities', saved, ...cpu),
      /response-n20-x2\.00\.csv:2: electron 0 is at .* the results of another configuration$/,
    );
    // A sphere's velocities leave the plane and e_phi.
    expectUserErrorRun(
      cli('solve', '--positions', saved, '--velocities', saved, '--model', 'azimuthal', ...cpu),
      /response-n20-x2\.00\.csv:2: electron 0 has v = \(.*\), not along e_phi, as the azimuthal model needs$/,
    );
    // A ring's electrons moving along z are no velocities of the plane.
    const { positions } = geometry('ring', 4);
    const lifted = join(dir, 'lifted.csv');
    const rows = [0, 1, 2, 3].map((i) => [...positions.subarray(3 * i, 3 * i + 3), 0, 0, i === 2 ? 1 : 0]);
    writeFileSync(lifted, ['x,y,z,vx,vy,vz', ...rows.map((row) => row.join(','))].join('\n'));
    expectUserErrorRun(
      cli('solve', '--geometry', 'ring', '--n', '4', '--velocities', lifted, '--dim', '2', ...cpu),
      /lifted\.csv:4: electron 2 has v = \(0, 0, 1\), not in the plane, as --dim 2 needs$/,
    );
    // Velocities without momenta are no momenta.
    expectUserErrorRun(
      cli('solve', '--positions', saved, '--momenta', saved, ...cpu),
      /header 'x,y,z,vx,vy,vz' should be px,py,pz or x,y,z,vx,vy,vz,px,py,pz$/,
    );
  });
});

describe('input files refused in one line', () => {
  test('a device is refused unread; a pipe is read to its end', () => {
    const solve = ['solve', '--epsilon', '0.1', '--device', 'cpu', '--velocity', 'rigid', '--positions'];
    // /dev/zero never ends: reading it took all memory (16.8 GB when a timeout killed it at 106 s).
    for (const device of ['/dev/zero', '/dev/urandom']) {
      const run = runCli(bundle, [...solve, device], { quiet: true, timeoutMs: 60_000 });
      expectUserErrorRun(run, new RegExp(`^error: cannot read ${device}: a device, not a file$`));
    }
    // A shell's pipe, as `printf ... | darwin-breit solve --positions /dev/stdin` makes it.
    const command = [process.execPath, bundle, ...solve, '/dev/stdin', '--json'].map((word) => `'${word}'`);
    const piped = spawnSync('sh', ['-c', `printf 'x,y\\n1,0\\n0,1\\n' | ${command.join(' ')}`], {
      encoding: 'utf8',
      env: { ...process.env, DARWIN_BREIT_QUIET: '1' },
    });
    expect(piped.status, piped.stderr).toBe(0);
    expect(JSON.parse(piped.stdout).configuration.n).toBe(2);
  });

  test("a row's message names its file line, past comments and blank lines", () => {
    const text = '# saved\nx,y,z\n\n1,2,3\n# the second\n4,5,6\n';
    const csv = parseNumericCsv(text, 'f.csv', [['x', 'y', 'z']], 'positions');
    expect(csv.values).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(csv.lines).toEqual([4, 6]);
    expect(() => parseNumericCsv(`${text}7,x,9\n`, 'f.csv', [['x', 'y', 'z']], 'positions')).toThrow(
      "f.csv:7: 'x' is not a finite number",
    );
  });

  const ring = ['--geometry', 'ring', '--n', '4', '--epsilon', '0.1', '--device', 'cpu'];

  test.each([
    [
      'res.npz',
      Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00]),
      /^error: .*res\.npz: not a text CSV but a zip archive \(an \.npz file\?\)$/,
    ],
    [
      'res.json',
      Buffer.from('{\n  "command": "solve"\n}\n'),
      /^error: .*res\.json: not a CSV but JSON \(a \.json file\?\)$/,
    ],
    [
      'res.bin',
      Buffer.from([0x78, 0x2c, 0x79, 0x0a, 0x00, 0x01, 0xff, 0xfe]),
      /^error: .*res\.bin: not a text CSV but a binary file$/,
    ],
  ])('%s given as a CSV is named, not echoed', (name, bytes, pattern) => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    expectUserErrorRun(
      cli('solve', '--positions', path, '--epsilon', '0.1', '--velocity', 'rigid', '--device', 'cpu'),
      pattern,
    );
    expectUserErrorRun(cli('solve', ...ring, '--velocities', path), pattern);
  });

  test('the accepted headers are printed as the files hold them: J upper case', () => {
    const path = join(dir, 'wrong-header.csv');
    writeFileSync(path, 'q\n1\n2\n3\n4\n');
    expectUserErrorRun(
      cli('solve', ...ring, '--model', 'azimuthal', '--momenta', path),
      /^error: .*wrong-header\.csv: header 'q' should be J or x,y,z,omega,J$/,
    );
    // Read in any case, as before.
    writeFileSync(path, 'j\n1\n1\n1\n1\n');
    expect(json('solve', ...ring, '--model', 'azimuthal', '--momenta', path).mode).toBe('velocities');
  });

  test.each([
    [
      ['solve', '--positions', '', '--epsilon', '0.1', '--velocity', 'rigid', '--device', 'cpu'],
      /^error: --positions needs a file name, got ''$/,
    ],
    [['solve', ...ring, '--velocities', ''], /^error: --velocities needs a file name, got ''$/],
    [['solve', ...ring, '--momenta', ''], /^error: --momenta needs a file name, got ''$/],
    [['merge', ''], /^error: merge: every shard needs a file name, got ''$/],
  ])('an empty file name: %j', (args, pattern) => {
    expectUserErrorRun(cli(...args), pattern);
  });
});
