// The study commands `london`, `larmor`, `pairing` and `merge`, and `bench`, as a user runs them:
// spawned processes, exit codes, one JSON object on stdout, one `error:` line for a user error, SVG
// files under --out; and the usage, help and refusals of every command of the registry.
import { existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { kCommandList, kShardedCommands } from '../src/cli/commands/index.ts';
import { reportDeviceTo } from '../src/cli/device.ts';
import { Progress } from '../src/cli/progress.ts';
import { InputError } from '../src/physics/input-error.ts';
import { whittakerGroundState1d } from '../src/physics/coulomb1d.ts';
import { expectUserErrorRun, useCliBundle } from './helpers/cli-bundle.ts';
import { kRefusedRunCommands, kSmallRunCommands, refusedRun } from './helpers/commands.ts';
import { kCopperClosedForm, kGoldClosedForm } from './helpers/pairing.ts';

/** Sec. IV.B's rings in the order `pairing` prints them (Au, Cu). */
const kPairingClosedForms = [kGoldClosedForm, kCopperClosedForm];

const { cli, dir } = useCliBundle('study-commands');

/** Exit 0 and stdout exactly one JSON object. */
function json(...args: string[]) {
  const run = cli(...args, '--json');
  expect(run.status, run.stderr).toBe(0);
  expect(run.stdout.trim().startsWith('{')).toBe(true);
  return JSON.parse(run.stdout);
}

const expectUserError = (pattern: RegExp, ...args: string[]) => expectUserErrorRun(cli(...args), pattern);

/**
 * What --out wrote (a summary's "files"): the SVG plots named, and last the summary itself as
 * `summaryName`, the printed JSON less "files".
 */
function expectOutFiles(summary: { files: string[] }, svgNames: string[], summaryName: string) {
  const { files } = summary;
  expect(files.map((file) => file.split('/').pop())).toEqual([...svgNames, summaryName]);
  for (const file of files.slice(0, -1)) {
    expect(existsSync(file)).toBe(true);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('<svg');
    expect(text.trimEnd().endsWith('</svg>')).toBe(true);
  }
  const written = JSON.parse(readFileSync(files[files.length - 1], 'utf8'));
  expect(written).toEqual({ ...summary, files: undefined });
  expect(written).not.toHaveProperty('files');
}

/** The registry's names, in the usage's order. */
const kNames = kCommandList.map(({ name }) => name);

describe('usage and help: every command of the registry (src/cli/commands/index.ts)', () => {
  test('each has a small run and a refused run for the tests that run every command, and only they have one', () => {
    for (const [listed, table] of [
      [kSmallRunCommands, 'kSmallRuns'],
      [kRefusedRunCommands, 'kRefusedRuns'],
    ] as const) {
      const missing = kNames.filter((name) => !listed.includes(name));
      const extra = listed.filter((name) => !kNames.includes(name));
      expect(missing, `add ${missing.join(', ')} to ${table} in test/helpers/commands.ts`).toEqual([]);
      expect(extra, `remove ${extra.join(', ')} from ${table} in test/helpers/commands.ts`).toEqual([]);
    }
  });
  test('the usage lists every command', () => {
    const run = cli('--help');
    expect(run.status).toBe(0);
    for (const name of kNames) expect(run.stdout).toMatch(new RegExp(`\\n  ${name} `));
  });
  test.each(kNames)('%s --help', (name) => {
    const run = cli(name, '--help');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^Usage: darwin-breit ${name}`));
  });
  // A user reads the usage line first: an option described below it but missing from it looks
  // like one the command does not take, unless the line says that there are [options] below; one it
  // names that nothing below describes is one the user cannot learn to give. Described: named in an
  // option's head, the text of a line `  --flag ...` before its first gap of two spaces.
  test.each(kNames)('%s: the usage line and the options below it name the same ones', (name) => {
    const [usage, ...body] = cli(name, '--help').stdout.split('\n\n');
    const flags = (text: string) => new Set(text.match(/--[a-z][a-z-]*/g));
    const heads = [...body.join('\n\n').matchAll(/^ {2}(--\S.*?)(?: {2}|$)/gm)].map((match) => match[1]);
    const described = flags(heads.join(' '));
    const named = flags(usage);
    expect(described.size).toBeGreaterThan(1);
    expect(
      [...named].filter((flag) => !described.has(flag)),
      `named in the usage line of ${name} --help but described by no option below it`,
    ).toEqual([]);
    if (!usage.includes('[options]')) {
      expect(
        [...described].filter((flag) => !named.has(flag)),
        `described in ${name} --help but missing from its usage line (or say [options] there)`,
      ).toEqual([]);
    }
  });
  // The tests that run every command with --out or --shard take the registry's word for which do.
  test.each(kCommandList)(
    '$name: --help offers --out and --shard as the registry says',
    ({ name, out, shards }) => {
      const help = cli(name, '--help').stdout;
      expect(/^ {2}--out (DIR|FILE)/m.exec(help)?.[1] ?? null).toBe(
        out ? { directory: 'DIR', file: 'FILE' }[out] : null,
      );
      expect(/^ {2}--shard K\/N /m.test(help)).toBe(shards !== undefined);
    },
  );
  // The first house rule: an option the command does not take is a user error, said in one line
  // naming it, before anything runs.
  test.each(kNames)('%s --no-such-option: one error line naming it, exit 2, nothing on stdout', (name) => {
    expectUserError(/--no-such-option/, name, '--no-such-option');
  });
  // The second: a value it refuses is an InputError, which main prints as one `error:` line and exits
  // 2 (as the test above holds for every command), said before anything runs (no adapter line, no
  // progress: --verbose makes each a line) and before --out is made. In this process, on its default
  // device: a GPU opened first would report its adapter here.
  test.each(kCommandList)(
    '$name: a refused value is one line naming it, before the run and --out',
    async (entry) => {
      const { args, names } = refusedRun(entry.name);
      const out = join(dir, `refused-${entry.name}${entry.out === 'file' ? '.csv' : ''}`);
      const lines: string[] = [];
      const progress = new Progress({ verbose: true, sink: { write: (text) => lines.push(text) } });
      reportDeviceTo(progress);
      const given = [...args, ...(entry.out && !args.includes('--out') ? ['--out', out] : []), '--verbose'];
      const error: unknown = await entry.run(given, progress).then(
        () => null,
        (reason: unknown) => reason,
      );
      expect(error).toBeInstanceOf(InputError);
      const { message } = error as InputError;
      expect(message).toMatch(new RegExp(`${names.replaceAll('.', '\\.')}(?![\\w-])`));
      expect(message).not.toContain('\n');
      expect(lines, 'reported before the refusal').toEqual([]);
      expect(existsSync(out), `${out} made before the refusal`).toBe(false);
    },
  );
  test("merge's line in the usage and its --help name every command whose sweep shards", () => {
    const summary = kCommandList.find(({ name }) => name === 'merge')!.summary;
    const joins = cli('merge', '--help').stdout.split('\n\n')[1].replace(/\s+/g, ' ');
    expect(kShardedCommands.size).toBeGreaterThan(0);
    for (const name of kShardedCommands.keys()) {
      expect(summary).toContain(name);
      expect(joins).toContain(name);
    }
  });
});

describe('bench', () => {
  // Speeds are not asserted (a benchmark, not a test): the rows, their bookkeeping and the formats are.
  test('every kernel in one run: JSON rows, the ratios they are defined by, and the Markdown table', () => {
    const result = json('bench', '--n', '16', '--repeats', '2', '--markdown');
    expect(result.command).toBe('bench');
    const rows = result.kernels as {
      name: string;
      variant?: string;
      chosen?: boolean;
      ms: number;
      gbps: number | null;
      ratio_to_copy: number | null;
      ratio_to_fill?: number;
      matvec_ms?: number;
      ratio_to_matvec?: number;
      note?: string;
    }[];
    const names = rows.map((r) => (r.variant ? `${r.name}:${r.variant}` : r.name));
    expect(names.slice(0, 7)).toEqual([
      'copy',
      'fill',
      'assemble_vector3d',
      'matvec_dense:rows',
      'matvec_dense:workgroup',
      'matvec_dense:subgroup',
      'matvec_free',
    ]);
    expect(names.at(-1)).toBe('cg_solve:rows/fused');
    for (const r of rows) expect(r.ms, r.name).toBeGreaterThan(0);
    const byName = (name: string) => rows.find((r) => r.name === name)!;
    const copy = byName('copy');
    const fill = byName('fill');
    const assembly = byName('assemble_vector3d');
    expect(copy.ratio_to_copy).toBe(1);
    expect(fill.ratio_to_fill).toBe(1);
    expect(fill.ratio_to_copy).toBeCloseTo(fill.gbps! / copy.gbps!, 12);
    // The target ratios come from runs alternating with their reference (timePaired), so they
    // are not the quotients of the rows' medians; they are positive bandwidth ratios all the same.
    expect(assembly.ratio_to_fill).toBeGreaterThan(0);
    for (const r of rows.filter((r) => r.name === 'matvec_dense')) expect(r.ratio_to_copy).toBeGreaterThan(0);
    // SwiftShader, a CPU, gets the thread-per-rows matvec and the fused Krylov step.
    const chosen = (name: string) => rows.filter((r) => r.name === name && r.chosen).map((r) => r.variant);
    expect(chosen('matvec_dense')).toEqual(['rows']);
    // At N = 16 CG may reach r = 0 before the timed iterations end: then the solve's row says so.
    // The wall-clock matvec there may be below the clock's noise: then no row has a ratio.
    const iterations = rows.filter((r) => r.name === 'cg_iteration');
    for (const iteration of iterations) {
      expect(['rows/fused', 'rows/split']).toContain(iteration.variant);
      expect(iteration.ms).toBeGreaterThan(0);
      if (iteration.matvec_ms === undefined) expect(iteration.ratio_to_matvec).toBeUndefined();
      else {
        // The median of per-repeat ratios, not the quotient of the medians.
        expect(iteration.matvec_ms).toBeGreaterThan(0);
        expect(iteration.ratio_to_matvec).toBeGreaterThan(0);
      }
    }
    if (iterations.some((r) => r.variant === 'rows/fused')) {
      expect(chosen('cg_iteration')).toEqual(['rows/fused']);
    } else {
      expect(chosen('cg_iteration')).toEqual([]);
      expect(byName('cg_solve').note).toMatch(/^no cg_iteration \(rows\/fused\): /);
    }
    const table = (result.markdown as string).split('\n');
    expect(table[0]).toBe(
      '| kernel | n | unknowns | ms | GB/s | GFLOP/s | ratio to copy | ratio to fill | CG / matvec | float64 check | timing |',
    );
    expect(table).toHaveLength(2 + rows.length);
    expect(table[5]).toMatch(/^\| matvec_dense \(rows, chosen\) \| 16 \| 48 \| /);
  }, 120_000);

  test('a size that is not a positive integer, or more repeats than a query set holds, is a user error', () => {
    expectUserError(/--n/, 'bench', '--n', '0');
    expectUserError(/--repeats must be an integer in 1\.\.1000/, 'bench', '--repeats', '1001');
  });

  test('--workgroup-sizes: every tunable kernel again at each size; one a kernel cannot take is skipped', () => {
    // 512 is past SwiftShader's 256 invocations per workgroup.
    const run = cli('bench', '--n', '8', '--repeats', '1', '--workgroup-sizes', '32,512', '--json');
    expect(run.status, run.stderr).toBe(0);
    const rows = JSON.parse(run.stdout).kernels as { name: string; variant?: string; chosen?: boolean }[];
    const tuned = rows.filter((r) => r.variant?.includes('wg ')).map((r) => `${r.name}:${r.variant}`);
    expect(tuned).toEqual([
      'assemble_vector3d:wg 32',
      'matvec_dense:rows, wg 32',
      'matvec_dense:workgroup, wg 32',
      'matvec_dense:subgroup, wg 32',
      'matvec_free:wg 32',
    ]);
    // The defaults keep their rows, and only the default dense matvec is the chosen one.
    expect(rows.filter((r) => r.name === 'matvec_dense' && r.chosen).map((r) => r.variant)).toEqual(['rows']);
    expect(rows.some((r) => r.name === 'assemble_vector3d' && r.variant === undefined)).toBe(true);
    expectUserError(/--workgroup-sizes must list powers of two/, 'bench', '--workgroup-sizes', '64,48');
  }, 120_000);
});

describe('london', () => {
  test('the GPU field map of a sphere: JSON with the studies, the check and the convergence of N r_e/R', () => {
    const result = json('london', '--n', '200', '--n', '400', '--grid', '11');
    expect(result.command).toBe('london');
    expect(result.device.kind).toBe('gpu');
    expect(result.geometry).toBe('sphere');
    expect(result.grid).toBe(11);
    expect(result.files).toEqual([]);
    expect(result.studies.map((s: { n: number }) => s.n)).toEqual([200, 400]);
    for (const study of result.studies) {
      expect(Object.keys(study)).toEqual(
        expect.arrayContaining([
          'n',
          'n_re_over_r',
          'centre_field_ratio',
          'uniformity',
          'uniformity_inner',
          'check',
          'check_target',
          'within_target',
        ]),
      );
      expect(study.n_re_over_r).toBeCloseTo(3 / (1 + 1 / (2 * study.n ** 2)), 12);
      // The GPU's float32 map against float64, over the inner half's B_z spread (2e-3, 5e-3 here).
      expect(study.check).toBeGreaterThan(0);
      expect([study.check_target, study.within_target]).toEqual([0.1, true]);
      expect(study.check).toBeLessThan(study.check_target);
      // The centre field in float64: B_c/B_London = 1 + 1/(2 N^2) on the Fibonacci sphere (eq. 30).
      expect(Math.abs((study.centre_field_ratio - 1) * 2 * study.n ** 2 - 1)).toBeLessThan(1e-6);
      expect(study.uniformity_inner).toBeLessThan(study.uniformity);
    }
    expect(result.convergence.continuum).toBe(3);
    expect(result.convergence.fit.exponent).toBeCloseTo(-2, 2);
  });

  test('a cylinder on the CPU with --out: the map and the convergence plot are SVG files', () => {
    const out = join(dir, 'london');
    const result = json(
      'london',
      '--geometry',
      'cylinder',
      '--half-height',
      '2',
      '--n',
      '150',
      '--grid',
      '9',
      '--device',
      'cpu',
      '--out',
      out,
    );
    expect(result.device.kind).toBe('cpu');
    expect(result.half_height).toBe(2);
    expect(result.continuum_n_re_over_r).toBeCloseTo(2 * Math.sqrt(5), 12);
    expect(result.studies[0].n_re_over_l).toBeCloseTo(result.studies[0].n_re_over_r / 4, 12);
    expect(result.studies[0].check).toBeLessThan(1e-12);
    // Beside the map of B_z / B_London, the map of log10 |B_z / B_London - 1|.
    expectOutFiles(
      result,
      ['london-cylinder-n150.svg', 'london-cylinder-n150-deviation.svg', 'london-cylinder-convergence.svg'],
      'london.json',
    );
    const deviation = readFileSync(result.files[1], 'utf8');
    expect(deviation).toContain('>log₁₀ |B_z / B_London − 1|</text>');
    expect(deviation).toContain('rotating cylinder, h = 2 R, N = 150');
    expect(readFileSync(result.files[2], 'utf8')).toContain('against N: cylinder, h = 2 R</text>');
  });

  test('--n takes a list, as pairing and response do, and the flag repeated', () => {
    const result = json('london', '--n', '50,100', '--n', '30', '--grid', '5', '--device', 'cpu');
    expect(result.studies.map((study: { n: number }) => study.n)).toEqual([50, 100, 30]);
  });

  test('--markdown names the device whose field sum it checked', () => {
    const run = cli('london', '--n', '100', '--grid', '5', '--device', 'cpu', '--markdown');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /^\| N \| N r_e\/R \| uniformity \(0\.9 R\) \| B_z part \| transverse \| uniformity \(0\.45 R\) \| B_z part \| transverse \| CPU map vs float64 \(\/ inner B_z spread\) \|$/m,
    );
    expect(run.stdout).toMatch(/^\| 100 \| 2\.999\d+ \|/m);
  });

  test('text output without --json', () => {
    const run = cli('london', '--n', '100', '--grid', '5', '--device', 'cpu');
    expect(run.status, run.stderr).toBe(0);
    // 3 - N r_e/R = 1.5 / (N^2 + 1/2), fitted from N = 30 on (axial spacing 2/N <= R/10).
    expect(run.stdout).toMatch(/fit: 3\.00000 - N r_e\/R = 1\.499 N\^-2\.000 \(fitted to N = 30\.\.30000\)/);
    // Each deviation to the digits its rounding (8 eps x 3 = 5.3e-15) leaves: five here.
    expect(run.stdout).toMatch(/^ {5}100 {3}2\.99985000750 {4}1\.4999e-4$/m);
  });

  test.each([
    [/--grid must be an integer in 4\.\.1001, got 3$/, ['--grid', '3']],
    [/--geometry must be one of sphere, cylinder, got 'ball'$/, ['--geometry', 'ball']],
    [/--half-height applies only to --geometry cylinder/, ['--half-height', '2']],
    [/--n must be an integer in 1\.\.1000000, got 0$/, ['--n', '0']],
    [/--device must be one of gpu, cpu, got 'tpu' \(did you mean gpu\?\)$/, ['--device', 'tpu']],
    // A cylinder longer than any N may be (it needs N >= h): refused before the run.
    [
      /^error: --half-height must be at most 1000000 \(a cylinder needs N >= h electrons/,
      ['--geometry', 'cylinder', '--half-height', '1e150', '--n', '100', '--grid', '5', '--device', 'cpu'],
    ],
  ])('user error %s', (pattern, args) => {
    expectUserError(pattern, 'london', ...args);
  });
});

describe('larmor', () => {
  test('eq. 16 and eq. 15 in the JSON', () => {
    const result = json('larmor', '--n', '10', '--b-tesla', '0.5', '--radius-m', '1e-6');
    expect(result.command).toBe('larmor');
    expect(result.ring.current_per_electron_na_per_t).toBeCloseTo(2.242, 3);
    expect(result.ring.current_a).toBeCloseTo(-10 * 0.5 * 2.2424457e-9, 15);
    expect(result.ring.current_eq14_a).toBeCloseTo(result.ring.current_a, 20);
    expect(result.ring.moment_bohr_magnetons).toBeCloseTo(-10 * result.ring.flux_quanta, 6);
    expect(result.levy.n_from_printed_numbers).toBeCloseTo(12.35, 2);
    expect(result.chandrasekhar.n_for_larmor_current_at_one_flux_quantum).toHaveLength(2);
  });

  test.each([
    [/--n must be an integer >= 1/, ['--n', '1.5']],
    [/--radius-m must be > 0/, ['--radius-m', '0']],
    [/--b-tesla needs a finite number/, ['--b-tesla', 'NaN']],
    [/--bogus/, ['--bogus']],
  ])('user error %s', (pattern, args) => {
    expectUserError(pattern, 'larmor', ...args);
  });
});

describe('pairing', () => {
  test('--out under a file is refused before the run; a new directory is made with the files', () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'not a directory\n');
    expectUserError(
      /^error: cannot create directory .*a-file\/sub \(ENOTDIR\)$/,
      'pairing',
      '--ratios',
      '10',
      '--out',
      join(file, 'sub'),
    );
    const dangling = join(dir, 'dangling');
    symlinkSync(join(dir, 'nowhere'), dangling);
    expectUserError(
      /^error: cannot create directory .*dangling \(ENOENT\)$/,
      'pairing',
      '--ratios',
      '10',
      '--out',
      dangling,
    );
    expectUserError(/^error: --out needs a directory, got ''$/, 'pairing', '--ratios', '10', '--out=');
    const nested = join(dir, 'new', 'nested');
    const result = json('pairing', '--ratios', '10', '--out', nested);
    expect(result.files.length).toBeGreaterThan(0);
    for (const path of result.files) expect(existsSync(path), path).toBe(true);
  });

  test('points, rings and the two plots', () => {
    const out = join(dir, 'pairing');
    const result = json('pairing', '--ratios', '10,1e3', '--ratios', '1e6', '--out', out);
    expect(result.command).toBe('pairing');
    expect(result.points.map((p: { ratio: number }) => p.ratio)).toEqual([10, 1e3, 1e6]);
    for (const point of result.points) {
      const eq46 = -((2 * Math.log(point.ratio)) ** 2);
      expect(point.energy_eq46).toBeCloseTo(eq46, 10);
      // (E_numerical - E_46) / E_46 with the exact (Whittaker) ground state in place of the grid's,
      // which it matches to the grid's ~4e-8.
      const exact = whittakerGroundState1d(point.ratio);
      expect(Math.abs(point.relative_difference - (exact / eq46 - 1))).toBeLessThan(1e-7);
      expect(Math.abs(point.energy_numerical / point.energy_exact - 1)).toBeLessThan(1e-7);
      expect(point.grid_error_ratio).toBeCloseTo(4, 1);
    }
    expect(result.rings.map((r: { name: string }) => r.name)).toEqual(['Au', 'Cu']);
    expect(result.rings.map((r: { fermi_energy_ev: number }) => r.fermi_energy_ev)).toEqual([5.53, 7]);
    expect(result.rings[1].thickness_source).toMatch(/ASSUMED/);
    // Eq. 46 for the Au and Cu rings (0.854 and 1.120 mK) from CODATA values independent of the
    // code's, and the numerical ground state against the Whittaker one in the same unit.
    kPairingClosedForms.forEach((form, k) => {
      const ring = result.rings[k];
      expect(Math.abs(ring.temperature_eq46_mk / (form.eq46Kelvin * 1e3) - 1)).toBeLessThan(1e-9);
      const exact = form.unitKelvin * -whittakerGroundState1d(form.ratio) * 1e3;
      expect(Math.abs(ring.temperature_numerical_mk / exact - 1)).toBeLessThan(1e-7);
    });
    expectOutFiles(result, ['pairing-energy.svg', 'pairing-ratio.svg'], 'pairing.json');
  });

  test.each([
    [/--ratios needs a_m\/a in \(1, 1e12\]/, ['--ratios', '0.5']],
    [/--ratios needs a finite number, got 'abc'/, ['--ratios', '10,abc']],
  ])('user error %s', (pattern, args) => {
    expectUserError(pattern, 'pairing', ...args);
  });
});

describe('--shard and merge', () => {
  test('london shards on the CPU, merged by the command: the whole run, timings aside', () => {
    const args = ['london', '--n', '80', '--n', '40', '--grid', '5', '--device', 'cpu'];
    const whole = json(...args);
    const paths = ['1/2', '2/2'].map((shard, k) => {
      // Each shard's --out holds its own maps and its summary under the shard's name.
      const result = json(...args, '--shard', shard, '--out', join(dir, 'shards'));
      expect(result.shard).toEqual({ index: k + 1, count: 2 });
      expect(result.files.at(-1)).toBe(join(dir, 'shards', `london-shard${k + 1}of2.json`));
      expect(result.ns).toEqual([80, 40]);
      const path = join(dir, `london-shard-${k + 1}.json`);
      writeFileSync(path, JSON.stringify(result));
      return path;
    });
    // The two shards' summaries side by side in one directory, neither in place of the other, beside
    // their maps; the convergence of the whole list is merge's plot.
    expect(readdirSync(join(dir, 'shards')).sort()).toEqual([
      'london-shard1of2.json',
      'london-shard2of2.json',
      'london-sphere-n40-deviation.svg',
      'london-sphere-n40.svg',
      'london-sphere-n80-deviation.svg',
      'london-sphere-n80.svg',
    ]);
    const out = join(dir, 'merged');
    const merged = json('merge', paths[1], paths[0], '--out', out);
    const untimed = (value: object) =>
      JSON.parse(JSON.stringify(value), (key, x) => (['field_ms', 'files'].includes(key) ? undefined : x));
    expect(untimed(merged)).toEqual(untimed(whole));
    expectOutFiles(merged, ['london-sphere-convergence.svg'], 'london.json');
  });

  test.each([
    ['pairing', ['--ratios', '10,100,1000']],
    [
      'scaling',
      ['--geometries', 'disk', '--n-min', '16', '--n-max', '64', '--points', '3', '--device', 'cpu'],
    ],
  ])("a %s shard's --out holds its JSON alone: plots of part of the sweep are merge's", (command, args) => {
    const out = join(dir, `${command}-shard-out`);
    const result = json(command, ...args, '--shard', '1/2', '--out', out);
    expect(result.files).toEqual([join(out, `${command}-shard1of2.json`)]);
    expect(readdirSync(out)).toEqual([`${command}-shard1of2.json`]);
  });

  test('a missing shard, a file that is not JSON, and no file at all are user errors', () => {
    // Its own shard, not the test's above: each test stands alone.
    const shard = json(
      'london',
      '--n',
      '40',
      '--n',
      '20',
      '--grid',
      '5',
      '--device',
      'cpu',
      '--shard',
      '1/2',
    );
    const path = join(dir, 'alone-shard-1.json');
    writeFileSync(path, JSON.stringify(shard));
    expectUserError(/exactly once, got 1\/2/, 'merge', path);
    const junk = join(dir, 'junk.json');
    writeFileSync(junk, 'not json');
    expectUserError(/junk\.json: not valid JSON/, 'merge', junk);
    expectUserError(/merge needs the JSON of every shard/, 'merge');
    expectUserError(/--shard takes K\/N with 1 <= K <= N, got '3\/2'/, 'london', '--shard', '3/2');
  });
});
