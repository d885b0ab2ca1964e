// What the CLI refuses before a run, each spawned as a user runs it: a sweep point named twice, an
// input file's header written as a comment, a London cylinder that is none, a Larmor ring past
// float64's reach, a CPU run too large for the host. Every refusal is one `error:` line, exit 2,
// nothing on stdout.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseHalfHeight } from '../src/app/state.ts';
import { checkFloat32FieldSum } from '../src/physics/float32.ts';
import { generatedSystemSize, systemFromOptions } from '../src/cli/options.ts';
import { InputError } from '../src/physics/input-error.ts';
import type { SystemSize } from '../src/physics/models.ts';
import { cylinderLondonParameter, londonBody } from '../src/physics/london.ts';
import { larmorJson } from '../src/studies/larmor/report.ts';
import { runLarmor } from '../src/studies/larmor/run.ts';
import {
  kLarmorElectrons,
  parseFieldTesla,
  parseLarmorN,
  parseLarmorRadius,
} from '../src/studies/larmor/spec.ts';
import { kMaxLondonElectrons } from '../src/studies/london/spec.ts';
import { expectUserErrorRun, runCli, useCliBundle } from './helpers/cli-bundle.ts';

const { cli, bundle, dir } = useCliBundle('cli-refusals');

const expectUserError = (pattern: RegExp, ...args: string[]) => expectUserErrorRun(cli(...args), pattern);

describe('a sweep point named twice is refused, as london --n and scaling --geometries are', () => {
  test('pairing --ratios: 100 and 1e2 are one a_m/a', () => {
    expectUserError(
      /^error: --ratios names 100 more than once; give it once$/,
      'pairing',
      '--ratios',
      '100,1e2',
    );
    expectUserError(
      /^error: --ratios names 1000 more than once; give it once$/,
      'pairing',
      '--ratios',
      '1000',
      '--ratios',
      '10,1000',
    );
  });

  test('bench --only: a row named twice, as --workgroup-sizes and --n refuse theirs', () => {
    expectUserError(
      /^error: --only names copy more than once; give it once$/,
      'bench',
      '--device',
      'cpu',
      '--n',
      '64',
      '--only',
      'copy,copy',
    );
  });

  test("bench --n takes one N a flag: a list, as london's, is refused as such, not as 'a finite number'", () => {
    expectUserError(
      /^error: --n takes one N; repeat the flag for several \(--n 256 --n 1024\), got '256,1024'$/,
      'bench',
      '--n',
      '256,1024',
    );
  });

  test('response --n and --n-epsilon: a list or the flag repeated, as london --n; a point named twice is refused', () => {
    const run = cli(
      ...['response', '--geometry', 'ring', '--n', '8', '--n', '16', '--n-epsilon', '3', '--n-epsilon', '1'],
      ...['--device', 'cpu', '--json'],
    );
    expect(run.status, run.stderr).toBe(0);
    const points = (JSON.parse(run.stdout) as { points: { n: number; n_epsilon: number }[] }).points;
    expect(points.map((point) => [point.n, point.n_epsilon])).toEqual([
      [8, 1],
      [8, 3],
      [16, 1],
      [16, 3],
    ]);
    expectUserError(
      /^error: --n names 8 more than once; give it once$/,
      ...['response', '--geometry', 'ring', '--n', '8,16', '--n', '8'],
    );
    expectUserError(
      /^error: --n names 8 more than once; give it once$/,
      'response',
      '--geometry',
      'ring',
      '--n',
      '8,16,8',
    );
    expectUserError(
      /^error: --n-epsilon names 1 more than once; give it once$/,
      'response',
      '--geometry',
      'ring',
      '--n',
      '8',
      '--n-epsilon',
      '1,3,1.0',
    );
  });

  test('bench --n and --workgroup-sizes: each would time its rows twice under one label', () => {
    expectUserError(/^error: --n names 64 more than once; give it once$/, 'bench', '--n', '64', '--n', '64');
    expectUserError(
      /^error: --n names 64 more than once; give it once$/,
      'bench',
      '--device',
      'cpu',
      '--n',
      '64',
      '--n',
      '64',
    );
    expectUserError(
      /^error: --workgroup-sizes names 64 more than once; give it once$/,
      'bench',
      '--workgroup-sizes',
      '64,128,64',
    );
  });
});

describe('input files', () => {
  test("numpy.savetxt's header, written as a comment: the refusal says so", () => {
    const solveWith = (positions: string) => [
      'solve',
      '--positions',
      positions,
      '--velocity',
      'rigid',
      '--epsilon',
      '1e-3',
      '--device',
      'cpu',
    ];
    // np.savetxt(path, positions, delimiter=',', header='x,y,z') with its default comments='# '.
    const path = join(dir, 'savetxt.csv');
    writeFileSync(path, '# x,y,z\n1.0e+00,0.0e+00,0.0e+00\n0.0e+00,1.0e+00,0.0e+00\n');
    expectUserError(
      /^error: .*savetxt\.csv: header '1\.0e\+00,0\.0e\+00,0\.0e\+00' should be x,y or x,y,z or .*; its header is a comment, '# x,y,z' \(numpy\.savetxt writes it so unless comments=''\)$/,
      ...solveWith(path),
    );
    // A file without a header anywhere is told only what the header should be.
    const bare = join(dir, 'bare.csv');
    writeFileSync(bare, '1,0,0\n0,1,0\n');
    expectUserError(
      /^error: .*bare\.csv: header '1,0,0' should be x,y or x,y,z or [^;]*$/,
      ...solveWith(bare),
    );
  });
});

describe("london's cylinder: a half-height or N that makes no cylinder is refused before the run", () => {
  test('h is at most the most electrons a body may have (a cylinder needs N >= h): the CLI 1e6, the page 2e5', () => {
    const run = cli(
      'london',
      '--geometry',
      'cylinder',
      '--half-height',
      '1e300',
      '--n',
      '50',
      '--device',
      'cpu',
    );
    const message =
      'error: --half-height must be at most 1000000 (a cylinder needs N >= h electrons, and N is at most ' +
      '1000000), got 1e300\n';
    expectUserErrorRun(run, /^error: --half-height must be at most 1000000 /);
    expect(run.stderr).toBe(message);
    expect(() => parseHalfHeight('200001')).toThrow(
      'h must be at most 200000 (a cylinder needs N >= h electrons, and N is at most 200000), got 200001',
    );
    expect(parseHalfHeight('200000')).toBe(200_000);
    // At the limit, with as many charges as h, the centre field is a normal float64.
    const longest = cylinderLondonParameter(kMaxLondonElectrons, kMaxLondonElectrons);
    expect(longest.perRadius / (2 * kMaxLondonElectrons)).toBeGreaterThan(1);
  });

  test('h is at least 1e-6, the reciprocal of the longest: a denormal h printed NaN over the map, exit 0', () => {
    const cylinder = (h: string) => [
      'london',
      '--geometry',
      'cylinder',
      '--n',
      '10',
      '--grid',
      '4',
      '--half-height',
      h,
      '--device',
      'cpu',
    ];
    expectUserError(
      /^error: --half-height must be at least 1e-6 \(flatter is a ring\), got 5e-324$/,
      ...cylinder('5e-324'),
    );
    expect(() => parseHalfHeight('1e-7')).toThrow('h must be at least 1e-6 (flatter is a ring), got 1e-7');
    // At the bound the cylinder's numbers are finite.
    const run = cli(...cylinder('1e-6'), '--json');
    expect(run.status, run.stderr).toBe(0);
    const [body] = JSON.parse(run.stdout).studies;
    // A short cylinder's centre field is the ring's, N r_e / R = 2, its N r_e / l = N r_e / 2hR.
    expect(body.n_re_over_r).toBeCloseTo(2, 10);
    expect(body.n_re_over_l / 1e6).toBeCloseTo(1, 10);
    expect(Number.isFinite(body.uniformity)).toBe(true);
  });

  test('N < h, a sparse line of charges along the axis, is refused naming the rule', () => {
    // h = 1e3, N = 250: the charges 8 R apart along the axis.
    const run = cli(
      'london',
      '--geometry',
      'cylinder',
      '--half-height',
      '1000',
      '--n',
      '1000,250',
      '--device',
      'cpu',
    );
    expect(run.stderr).toBe(
      'error: --n must be at least h = 1000 for a cylinder (axial spacing 2h/N at most 2 R; fewer charges ' +
        'make a sparse line along the axis), got 250\n',
    );
    expectUserErrorRun(run, /^error: --n must be at least h = 1000/);
    expect(() => londonBody('cylinder', 999, 1000)).toThrow(/^N must be at least h = 1000 for a cylinder/);
    expect(() => cylinderLondonParameter(999, 1000)).toThrow(InputError);
    expect(londonBody('cylinder', 1000, 1000).n).toBe(1000);
    // The sum's own guard on the GPU, for any caller: 2 sqrt(3) L, the farthest two points apart, keeps
    // 1/r^3 normal up to L = 1.27e12, far past a cylinder's 0.9 h <= 9e5.
    const at = (largest: number) => () => checkFloat32FieldSum([0, 0, largest], [0, 0, 0]);
    expect(at(1.2e12)).not.toThrow();
    expect(at(1.3e12)).toThrow(InputError);
  });
});

describe("larmor: an N, a field or a radius past float64's reach is refused before the run", () => {
  test('the CLI names --b-tesla and --radius-m, the page its B and R, from one bound', () => {
    const refusals = [
      ['--b-tesla', '1e300', 'B', 'must be 0 or of magnitude 1e-100 to 1e100, got 1e300'],
      ['--b-tesla', '-1e101', 'B', 'must be 0 or of magnitude 1e-100 to 1e100, got -1e101'],
      ['--b-tesla', '1e-101', 'B', 'must be 0 or of magnitude 1e-100 to 1e100, got 1e-101'],
      ['--radius-m', '1e51', 'R', 'must be in [1e-50, 1e50], got 1e51'],
      ['--radius-m', '1e-51', 'R', 'must be in [1e-50, 1e50], got 1e-51'],
    ] as const;
    const parse = { B: parseFieldTesla, R: parseLarmorRadius };
    for (const [flag, value, name, problem] of refusals) {
      const run = cli('larmor', flag, value);
      expectUserErrorRun(run, /^error: /);
      expect(run.stderr).toBe(`error: ${flag} ${problem}\n`);
      expect(() => parse[name](value)).toThrow(`${name} ${problem}`);
    }
    for (const value of ['0', '-1e100', '1e-100']) expect(parseFieldTesla(value)).toBe(Number(value));
    for (const value of ['1e50', '1e-50']) expect(parseLarmorRadius(value)).toBe(Number(value));
  });

  test('an N past 2^53 - 1, which a double would round, is refused by the CLI and the page alike', () => {
    const limit = `is limited to ${Number.MAX_SAFE_INTEGER} here`;
    for (const text of ['9007199254740992', '9007199254740993', '1e308']) {
      const run = cli('larmor', '--n', text, '--b-tesla', '1e100', '--radius-m', '1e50');
      expectUserErrorRun(run, /^error: /);
      expect(run.stderr).toBe(`error: --n ${limit}, got ${text}\n`);
      expect(() => parseLarmorN(text)).toThrow(`N ${limit}, got ${text}`);
    }
    const largest = cli('larmor', '--n', String(kLarmorElectrons.max), '--json');
    expect(largest.status, largest.stderr).toBe(0);
    expect(JSON.parse(largest.stdout).ring.n).toBe(kLarmorElectrons.max);
  });

  test("at the bounds' corners every number of the ring is a normal float64, or 0 at B = 0", () => {
    const smallestNormal = 2 ** -1022;
    const numbers = (value: unknown): number[] =>
      typeof value === 'number'
        ? [value]
        : Array.isArray(value) || (typeof value === 'object' && value !== null)
          ? Object.values(value).flatMap(numbers)
          : [];
    for (const n of [kLarmorElectrons.min, kLarmorElectrons.max])
      for (const fieldTesla of [1e-100, -1e100, 0])
        for (const radiusMetres of [1e-50, 1e50]) {
          const summary = larmorJson(runLarmor({ n, fieldTesla, radiusMetres }));
          for (const x of numbers(summary)) {
            expect(Number.isFinite(x), `N ${n}, B ${fieldTesla}, R ${radiusMetres}: ${x}`).toBe(true);
            if (fieldTesla !== 0)
              expect(Math.abs(x), `N ${n}, B ${fieldTesla}, R ${radiusMetres}`).toBeGreaterThanOrEqual(
                smallestNormal,
              );
          }
        }
  });
});

describe('a CPU run too large for the host is refused from N alone', () => {
  test('spectrum --n 10^8 --device cpu: one line, the tree it would need, no positions made first', () => {
    expectUserError(
      /^error: --device cpu --matrix tree needs 5[0-9]{2}\.[0-9] GB for the tree, the solvers' vectors and a Lanczos basis of 96 vectors, more than the [0-9.]+ GB of free host memory$/,
      'spectrum',
      '--geometry',
      'sphere',
      '--n',
      '100000000',
      '--epsilon',
      '1e-9',
      '--device',
      'cpu',
    );
  });

  test('spectrum --basis counts: a basis the host cannot hold is refused before the run, not hours into it', () => {
    // 10^5 columns of 3 * 10^5 float64 unknowns: 240 GB before the restart's kept vectors.
    expectUserError(
      /^error: --device cpu --matrix tree needs [0-9]{3}\.[0-9] GB for the tree, the solvers' vectors and a Lanczos basis of 100000 vectors, more than the [0-9.]+ GB of free host memory; a smaller Lanczos basis holds less \(spectrum --basis\)$/,
      'spectrum',
      '--geometry',
      'sphere',
      '--n',
      '100000',
      '--epsilon',
      '1e-6',
      '--device',
      'cpu',
      '--matrix',
      'tree',
      '--basis',
      '100000',
    );
  });

  test('solve --n 10^8 on the GPU: refused from N as soon as the adapter opens, not minutes later', () => {
    // It sat silent for over 6 minutes (8.3 GB resident), building and sorting the positions,
    // before SwiftShader's 1 GiB buffers refused them. The device's limits and memory now come first:
    // the refusal precedes the progress line of the positions, which a quiet run would not print.
    const run = runCli(
      bundle,
      ['solve', '--geometry', 'sphere', '--n', '1e8', '--velocity', 'rigid', '--epsilon', '1e-6'],
      { timeoutMs: 120_000, env: { DARWIN_BREIT_QUIET: '0' } },
    );
    expectUserErrorRun(
      run,
      /^error: (--matrix (free|tree)|the matrix-free storage of --matrix auto) .*(holds at most N = \d+ here|more than the [0-9.]+ GB of .*)$/,
    );
    expect(run.stderr).not.toMatch(/building the positions/);
  });

  test("generatedSystemSize reads N and the model as systemFromOptions does; a file's positions have none", () => {
    expect(generatedSystemSize({ geometry: 'ring', n: '12', model: 'azimuthal' })).toEqual({
      configuration: { n: 12 },
      model: 'azimuthal',
      dim: 3,
    });
    expect(generatedSystemSize({ positions: 'p.csv', n: '12' })).toBeNull();
    expect(generatedSystemSize({ geometry: 'ring' })).toBeNull();
    expect(() => generatedSystemSize({ geometry: 'ring', n: '0' })).toThrow(/^--n must be/);
  });

  test('systemFromOptions hears the size before it makes or sorts the positions', () => {
    const heard: SystemSize[] = [];
    const refuse = (size: SystemSize) => {
      heard.push(size);
      throw new InputError('too large', 'n');
    };
    const values = { geometry: 'ring', n: '12', epsilon: '0.1', model: 'azimuthal' };
    expect(() => systemFromOptions(values, refuse)).toThrow('too large');
    expect(heard).toEqual([{ configuration: { n: 12 }, model: 'azimuthal', dim: 3 }]);
    // A file's two electrons at one place: the size is refused before the coincidence is looked for.
    const file = join(dir, 'coincident.csv');
    writeFileSync(file, 'x,y,z\n0.5,0,0\n0.5,0,0\n');
    const fromFile = { positions: file, epsilon: '0.1' };
    expect(() => systemFromOptions(fromFile)).toThrow(/--softening/);
    expect(() => systemFromOptions(fromFile, refuse)).toThrow('too large');
    expect(heard.at(-1)).toEqual({ configuration: { n: 2 }, model: 'vector', dim: 3 });
  });
});
