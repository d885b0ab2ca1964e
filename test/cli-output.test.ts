// What the CLI prints, each command spawned as a user runs it: its JSON at an N r_e/R far past the
// physical range, a shard that holds few of the sweep's points, a CPU run's progress from its worker
// thread, why --check on the CPU has no check, the summary and the tables as text, and --help against
// what the command takes and prints.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { printSummary } from '../src/cli/commands/summary.ts';
import { kCovarianceAloneNote } from '../src/studies/response/run.ts';
import { expectUserErrorRun, runCli, useCliBundle } from './helpers/cli-bundle.ts';

const { cli, bundle, dir } = useCliBundle('cli-output');

const expectUserError = (pattern: RegExp, ...args: string[]) => expectUserErrorRun(cli(...args), pattern);

describe('response at an N r_e/R far past the physical range', () => {
  test("the ball's continuum decay length, past what ten bins can fit, is null at once", () => {
    // x = R/lambda_L = sqrt(3 N r_e/R) = 1.7e15: London's sphere's profile took ~x Simpson steps a
    // bin, a run without end; killed past two minutes (spawnSync blocks vitest's own timeout).
    const nEpsilon = 1e30;
    const run = runCli(
      bundle,
      ['response', '--geometry', 'ball', '--n', '8', '--device', 'cpu', '--n-epsilon', '1e30', '--json'],
      { quiet: true, timeoutMs: 120_000 },
    );
    expect(run.status, run.stderr).toBe(0);
    const [point] = JSON.parse(run.stdout).points;
    expect(point.london_x).toBe(Math.sqrt(3 * nEpsilon));
    // London's sphere deep in the Meissner state: 15/x^2 = 5/(N r_e/R).
    expect(point.continuum_ratio * nEpsilon).toBeCloseTo(5, 12);
    expect(point.continuum_decay_length).toBeNull();
    // London's lambda_L = R/x is given at once too (the fit to 8 electrons says little so far out).
    expect(point.london_penetration_depth).toBe(1 / Math.sqrt(3 * nEpsilon));
  });
});

describe("a shard that holds few of the sweep's points", () => {
  test('scaling says so, where it printed NaN for the unknowns and kappa; the other rows are the run', () => {
    const sweep = [
      'scaling',
      '--geometries',
      'ring,disk',
      '--points',
      '1',
      '--n-max',
      '32',
      '--device',
      'cpu',
    ];
    const shard = cli(...sweep, '--shard', '2/2');
    expect(shard.status, shard.stderr).toBe(0);
    expect(shard.stdout).not.toMatch(/NaN/);
    expect(shard.stdout).toContain('\nring (vector model, d = 1): no N in this shard\n');
    const whole = cli(...sweep);
    expect(whole.status, whole.stderr).toBe(0);
    // The disk's table: its header line, the column titles, then its one row, N = 32.
    const diskRow = (text: string) => {
      const lines = text.split('\n');
      return lines[lines.findIndex((line) => line.startsWith('disk (')) + 2];
    };
    expect(diskRow(shard.stdout)).toMatch(/^ {6}32 /);
    expect(diskRow(shard.stdout)).toBe(diskRow(whole.stdout));
  });

  test("scaling --markdown: '–' where a geometry has no N or no fit, where it printed undefined–undefined and 10^–", () => {
    const run = cli(
      'scaling',
      ...['--device', 'cpu', '--geometries', 'ring,disk', '--n-min', '8', '--n-max', '20', '--points', '2'],
      ...['--shard', '3/3', '--markdown'],
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.split('\n').slice(2, 4)).toEqual([
      '| ring | vector | 1 | – | – | – | – | ∞ (eq. 53) |',
      '| disk | vector | 2 | – | – | – | – | 9.94e-7 |',
    ]);
  });

  test('london says its convergence fit is not made, where text, JSON and plot showed NaN N^NaN', () => {
    const out = join(dir, 'london-shard');
    // Shard 9 of 9 of one map and the eight N of the convergence list: its last N alone, 30 000.
    const run = cli('london', '--n', '100', '--grid', '5', '--device', 'cpu', '--shard', '9/9', '--out', out);
    expect(run.status, run.stderr).toBe(0);
    // A shard fits none of its part of the list: merge fits the whole.
    expect(run.stdout).toContain(
      "fit: 3.00000 - N r_e/R: not fitted: a shard's part of the list: merge fits the whole\n",
    );
    expect(run.stdout).not.toMatch(/NaN/);
    const summary = JSON.parse(readFileSync(join(out, 'london-shard9of9.json'), 'utf8'));
    expect(summary.convergence.law).not.toMatch(/NaN/);
    expect(summary.convergence.fit).toBeNull();
    const [point] = summary.convergence.points;
    // Eq. 30 for the discrete sphere: N r_e/R = 3/(1 + 1/(2 N^2)).
    expect(point.n).toBe(30000);
    expect(point.n_re_over_r).toBeCloseTo(3 / (1 + 1 / (2 * 30000 ** 2)), 12);
    // The plot of a part of the list is merge's to draw, from all of it.
    expect(existsSync(join(out, 'london-sphere-convergence.svg'))).toBe(false);
  });
});

describe('a CPU run in its worker thread', () => {
  test('shows its progress while it runs: a Lanczos line arrives, and Ctrl-C on it stops the run', async () => {
    // A ring's dense circulant cluster at a tolerance it does not reach: hours of Lanczos products.
    // Its lines came only once the run ended (a worker's stderr passes a write on only when its
    // event loop turns); killed past a minute without one.
    const args = [
      'spectrum',
      '--geometry',
      'ring',
      '--n',
      '3000',
      '--model',
      'azimuthal',
      '--epsilon',
      '1e-3',
    ];
    const run = await new Promise<{ status: number | null; stderr: string; stdout: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        [bundle, ...args, '--device', 'cpu', '--tol', '1e-14', '--max-iter', '1000000', '--json'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
      let stderr = '';
      let stdout = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
        if (/Lanczos step \d+: \[/.test(stderr)) child.kill('SIGINT');
      });
      child.on('close', (status) => {
        clearTimeout(guard);
        resolve({ status, stderr, stdout });
      });
    });
    expect(run.status, run.stderr).toBe(130);
    expect(run.stderr.split('\n').filter((line) => line.startsWith('error:'))).toEqual([
      'error: interrupted (SIGINT); no file is left half-written',
    ]);
    expect(run.stdout).toBe('');
  }, 90_000);
});

describe('--check on the CPU', () => {
  test("solve and spectrum on the dense M say why there is none, as response's text does", () => {
    const line =
      'check: none, the float64 dense M is the reference itself (--check checks the GPU or the tree)';
    const ring = ['--geometry', 'ring', '--n', '16', '--epsilon', '0.1', '--device', 'cpu', '--json'];
    for (const args of [
      ['solve', ...ring, '--velocity', 'rigid'],
      ['spectrum', ...ring],
    ]) {
      const asked = runCli(bundle, [...args, '--check']);
      expect(asked.status, asked.stderr).toBe(0);
      expect(asked.stderr.split('\n')).toContain(line);
      expect(JSON.parse(asked.stdout).check).toBeNull();
      // Not asked, nothing to explain.
      const plain = runCli(bundle, args);
      expect(plain.status, plain.stderr).toBe(0);
      expect(plain.stderr).not.toContain('check: none');
    }
  });
});

describe('the summary printed as text (solve, spectrum, larmor)', () => {
  test("larmor's lists of currents and N are numbers as the lone ones are, not every float64 digit", () => {
    const summary = JSON.parse(cli('larmor', '--json').stdout);
    const currents: number[] = summary.chandrasekhar.currents_a;
    // I = (0.3 ... 2.0) e v_F/(2 pi R): the two currents stand in the ratio of their fractions.
    expect(currents[1] / currents[0]).toBeCloseTo(2 / 0.3, 12);
    const text = cli('larmor').stdout;
    expect(text).toMatch(
      new RegExp(`^chandrasekhar\\.currents_a +${currents.map((x) => x.toExponential(6)).join(', ')}$`, 'm'),
    );
    expect(text).toMatch(/^chandrasekhar\.current_fractions_e_vf_over_2_pi_r +0\.30000000, 2$/m);
  });

  test("zero momenta: v = 0 at once, and the text gives the undefined inertia ratio as '-', as the JSON's null", () => {
    const positions = join(dir, 'three.csv');
    const momenta = join(dir, 'zero-momenta.csv');
    writeFileSync(positions, 'x,y,z\n1,0,0\n0,1,0\n-1,0,0\n');
    writeFileSync(momenta, 'px,py,pz\n0,0,0\n0,0,0\n0,0,0\n');
    const args = [
      'solve',
      '--positions',
      positions,
      '--momenta',
      momenta,
      '--epsilon',
      '1e-3',
      '--device',
      'cpu',
    ];
    const run = cli(...args);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^reason +converged_atol$/m);
    expect(run.stdout).toMatch(/^energies\.total +0$/m);
    expect(run.stdout).toMatch(/^inertia_ratio +-$/m);
    expect(run.stdout).not.toMatch(/NaN/);
    const summary = JSON.parse(cli(...args, '--json').stdout);
    expect(summary.iterations).toBe(0);
    expect(summary.inertia_ratio).toBeNull();
  });

  test("a whole double past 2^53 is a magnitude, with an exponent; an infinite one '-', as the JSON's null", () => {
    const text = printSummary({
      n: 9007199254740991,
      moment: 6.842172312188167e30,
      energy: -6.10101977209452e284,
      iterations: 100000000,
      up: Infinity,
      down: -Infinity,
      currents: [Infinity, 2],
    });
    expect(text).toBe(
      [
        'n           9007199254740991',
        'moment      6.842172e+30',
        'energy      -6.101020e+284',
        'iterations  100000000',
        'up          -',
        'down        -',
        'currents    -, 2',
        '',
      ].join('\n'),
    );
    // larmor's moment at an absurd field, where it printed 6.842172312188167e+30.
    const run = cli('larmor', '--n', '9007199254740991', '--b-tesla', '-1e100', '--radius-m', '1e-50');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^ring\.n +9007199254740991$/m);
    expect(run.stdout).toMatch(/^ring\.moment_bohr_magnetons +6\.842172e\+30$/m);
  });

  test('a whole magnitude under 2^53 prints as every other magnitude: from 10^6 with an exponent, not every digit', () => {
    const text = printSummary({
      configuration: { n: 4000000, softening: 0 },
      energies: { kinetic: 4900000000761995, darwin: 123457, total: 123456792 },
      seed: 1234567,
    });
    expect(text).toBe(
      [
        'configuration.n          4000000',
        'configuration.softening  0',
        'energies.kinetic         4.900000e+15',
        'energies.darwin          123457',
        'energies.total           1.234568e+8',
        'seed                     1234567',
        '',
      ].join('\n'),
    );
    // Two electrons at 7e7 R/s and 1234.5: the kinetic energy 4.9e15 is whole in float64 (every
    // double past 2^52 is), and its 16 digits are more than any other magnitude shows.
    const velocities = join(dir, 'v.csv');
    writeFileSync(velocities, 'vx,vy,vz\n7e7,0,0\n0,7e7,1234.5\n');
    const run = cli(
      'solve',
      '--geometry',
      'ring',
      '--n',
      '2',
      '--epsilon',
      '1e-3',
      '--device',
      'cpu',
      '--velocities',
      velocities,
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^energies\.kinetic +4\.900000e\+15$/m);
    expect(run.stdout).toMatch(/^configuration\.n +2$/m);
  });
});

/** The top-level keys that `command --help` lists under --json: not those within [] or {}, nor a value. */
function helpJsonKeys(command: string): string[] {
  const help = cli(command, '--help');
  expect(help.status).toBe(0);
  const listed = /--json +\{([^]*?)\n\S/.exec(help.stdout + '\n.')![1];
  return [...listed.replace(/\[[^\]]*\]|\{[^}]*\}/g, '').matchAll(/(?<!: )"(\w+)"/g)].map((m) => m[1]);
}

describe('--help against what the command takes', () => {
  test("response --help gives --grid's range, the one its refusal names", () => {
    const help = cli('response', '--help');
    expect(help.status).toBe(0);
    const range = /--grid G +also map B_z on a G x G grid, G in (\d+)\.\.(\d+),/.exec(help.stdout);
    expect(range).not.toBeNull();
    const [min, max] = [Number(range![1]), Number(range![2])];
    for (const grid of [min - 1, max + 1]) {
      expectUserError(
        new RegExp(`^error: --grid must be an integer in ${min}\\.\\.${max}, got ${grid}$`),
        'response',
        '--geometry',
        'ball',
        '--n',
        '10',
        '--grid',
        String(grid),
      );
    }
  });

  test('--max-iter auto, which the refusal offers, is in the --help of every command that takes it', () => {
    const defaults = { solve: 'max(50, size)', spectrum: 'max(size, 10000)', scaling: 'max(size, 10000)' };
    for (const [command, automatic] of Object.entries(defaults)) {
      const help = cli(command, '--help');
      expect(help.status).toBe(0);
      const option = /^ {2}--max-iter K[^]*?(?=\n {2}-|\n\S)/m.exec(help.stdout)?.[0].replace(/\s+/g, ' ');
      expect(option, command).toMatch(
        new RegExp(`or auto: ${automatic.replace(/[()]/g, '\\$&')}.*\\[auto\\]$`),
      );
    }
  });

  test('paper --help names every key of paper --json, "device" among them', () => {
    const run = cli('paper', '--json');
    expect(run.status, run.stderr).toBe(0);
    expect(helpJsonKeys('paper')).toEqual(Object.keys(JSON.parse(run.stdout)));
  });

  test('bench --help names every key of bench --json at the top, "threads" of the CPU among them', () => {
    const run = cli('bench', '--device', 'cpu', '--n', '16', '--only', 'copy', '--json');
    expect(run.status, run.stderr).toBe(0);
    expect(helpJsonKeys('bench')).toEqual(Object.keys(JSON.parse(run.stdout)));
  });

  test("pairing --help says when eq. 45's exact energy and its small-a limit are null: a_m/a < 2", () => {
    const run = cli('pairing', '--ratios', '1.001,2', '--json');
    expect(run.status, run.stderr).toBe(0);
    const [near, two] = JSON.parse(run.stdout).points;
    expect([near.energy_exact, near.energy_small_a_limit]).toEqual([null, null]);
    expect(typeof two.energy_exact).toBe('number');
    expect(cli('pairing', '--help').stdout.replace(/\s+/g, ' ')).toContain(
      '"energy_exact", "energy_small_a_limit" (both null for a_m/a < 2,',
    );
  });

  test('scaling --max-iter auto is the sweep without --max-iter, as in spectrum; 0 is refused in its words', () => {
    const sweep = ['scaling', '--geometries', 'ring', '--n-min', '8', '--n-max', '16', '--points', '2'];
    // The sweep's points as printed, less their timings.
    const studies = (...extra: string[]) => {
      const run = cli(...sweep, '--device', 'cpu', ...extra, '--json');
      expect(run.status, run.stderr).toBe(0);
      return JSON.parse(run.stdout, (key, value) => (key === 'ms' ? undefined : value)).studies;
    };
    const automatic = studies('--max-iter', 'auto');
    expect(automatic[0].points[1].lanczos.iterations).toBeGreaterThan(1);
    expect(automatic).toEqual(studies());
    expect(studies('--max-iter', '1')).not.toEqual(automatic);
    expectUserError(
      /^error: --max-iter must be an integer >= 1 or auto, got 0$/,
      ...sweep,
      '--max-iter',
      '0',
    );
  });
});

describe('the text tables read as tables', () => {
  test("bench names its device in words (its JSON has the details), response's limits give +- to two digits", () => {
    const bench = cli('bench', '--device', 'cpu', '--n', '16', '--only', 'copy', '--repeats', '1');
    expect(bench.status, bench.stderr).toBe(0);
    expect(bench.stdout).toMatch(/^threads: \d+\ndevice: float64 CPU reference\n/);
    const response = cli(
      'response',
      '--geometry',
      'sphere',
      '--n',
      '50,100,200',
      '--n-epsilon',
      '1',
      '--device',
      'cpu',
    );
    expect(response.status, response.stderr).toBe(0);
    const limit = response.stdout.split('\n').find((line) => line.startsWith('1.00000 '))!;
    // Three N: too few to refit without the smallest, so the ± is the covariance alone, marked *,
    // and too few to fit the exponent free too (four N on): '-' for its c and p.
    expect(limit).toMatch(
      /^1\.00000 {2}0\.\d{6} +\d\.\de-\d\* {2}0\.750000 {3}- +- {2}screening_ratio = c \+ b N\^-1\/2$/,
    );
    expect(response.stdout).toContain(`\n* ${kCovarianceAloneNote}\n`);
  });
});
