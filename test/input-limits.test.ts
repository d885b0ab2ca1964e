// Inputs refused up front, before any run starts: numbers float64 reads as 0, seeds past 32 bits,
// repeated geometries, flags that do not apply, electrons that meet only in float32, buffers past
// the device's limits, and a study's points beyond its backend's limits.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { checkRefinementFits, type OpenBackend } from '../src/cli/engine.ts';
import { checkFloat32System, uploadedPositions } from '../src/physics/float32.ts';
import { checkBuffersFit, type BufferLimits, type BufferPlan } from '../src/engine/backend.ts';
import { gpuTreeGeometry, packTreeTables, treeBufferBytes, treeStorageBuffers } from '../src/kernels/tree.ts';
import { kCpuTreeLeaves } from '../src/gpu/profile.ts';
import { epsilonFromRadius } from '../src/physics/constants.ts';
import { geometry } from '../src/physics/geometry.ts';
import { decimalNumber, InputError } from '../src/physics/input-error.ts';
import { validateSystem, type DarwinSystem } from '../src/physics/models.ts';
import { kDefaultTreeTolerance } from '../src/physics/tree-build.ts';
import { cpuTreeBackendBytes } from '../src/run/backend.ts';
import * as input from '../src/run/inputs.ts';
import { responseSpec } from '../src/studies/response/spec.ts';
import { denseMatrix } from '../src/solvers/dense.ts';
import { solve } from '../src/solvers/solve.ts';
import { runScaling } from '../src/studies/scaling/run.ts';
import { parseScalingGeometries } from '../src/studies/scaling/spec.ts';
import { expectUserErrorRun, useCliBundle } from './helpers/cli-bundle.ts';

/** The InputError `run` throws (its field and message), or null. */
function refusal(run: () => unknown): { field: string | null; message: string } | null {
  try {
    run();
    return null;
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    return { field: error.field, message: error.message };
  }
}

describe('a number float64 reads as 0 is refused, as one it reads as Infinity is', () => {
  test.each(['1e-400', '-1e-400', '0.0001e-330', '5e-325'])('%s', (text) => {
    expect(decimalNumber(text)).toBeNaN();
    expect(refusal(() => input.parseEpsilon(text, '--epsilon'))).toEqual({
      field: 'epsilon',
      message: `--epsilon is too small for float64 (it would be 0), got ${text}`,
    });
  });

  test.each([
    ['0', 0],
    ['0.000e-400', 0],
    ['-0', -0],
    ['1e-310', 1e-310],
    ['4.9e-324', 5e-324],
  ])('%s is the number written', (text, value) => {
    expect(input.parseNumber('softening', '--softening', text)).toBe(value);
  });
});

describe("eps within float64's range, on every device", () => {
  const ring = (epsilon: number): DarwinSystem => ({
    configuration: geometry('ring', 10),
    model: 'vector',
    dim: 3,
    epsilon,
    softening: 0,
  });

  test('0, the smallest normal and sqrt(max) pass; a subnormal or a larger eps is refused', () => {
    for (const epsilon of [0, 2 ** -1022, 1, Math.sqrt(Number.MAX_VALUE)]) {
      expect(refusal(() => validateSystem(ring(epsilon)))).toBeNull();
    }
    for (const epsilon of [2 ** -1023, 5e-324, 1.35e154, 1e308]) {
      expect(refusal(() => validateSystem(ring(epsilon)))?.field).toBe('epsilon');
    }
  });
});

describe("Lanczos's seed keeps 32 bits, as the velocity seed does", () => {
  test('the largest seed is accepted, the next refused rather than wrapped to 0; 0 is a seed too', () => {
    expect(input.parseLanczosSeed('4294967295', '--seed')).toBe(2 ** 32 - 1);
    expect(input.parseLanczosSeed('0', '--seed')).toBe(0);
    expect(refusal(() => input.parseLanczosSeed('4294967297', '--seed'))).toEqual({
      field: 'lanczosSeed',
      message: '--seed must be an integer in [0, 2^32), got 4294967297',
    });
  });
});

describe('a geometry named twice in a scaling sweep', () => {
  test('is refused by name; distinct names pass', () => {
    expect(refusal(() => parseScalingGeometries('ring,sphere,ring'))).toEqual({
      field: 'geometries',
      message: 'geometries names ring more than once; give it once',
    });
    expect(parseScalingGeometries('ring,sphere')).toEqual(['ring', 'sphere']);
  });
});

describe('--dim beside the azimuthal model', () => {
  test('is refused; the vector model takes it, and without it the dimension is 3', () => {
    expect(refusal(() => input.parseDimensionFor('azimuthal', '3', '--dim', '--model'))).toEqual({
      field: 'dim',
      message: '--dim applies only to --model vector, not azimuthal',
    });
    expect(input.parseDimensionFor('vector', '2', '--dim', '--model')).toBe(2);
    expect(input.parseDimensionFor('azimuthal', undefined, '--dim', '--model')).toBe(3);
  });
});

describe("the response study's scale", () => {
  const ball = { geometry: 'ball', n: '20,40' } as const;
  test.each([
    [{ epsilon: '1e-3', radiusMetres: '1e-6' }, 'epsilon and radiusMetres'],
    [{ nEpsilon: '1', radiusMetres: '1e-6' }, 'nEpsilon and radiusMetres'],
    [{ nEpsilon: '1', epsilon: '1e-3' }, 'nEpsilon and epsilon'],
  ])('given twice names the two given: %o', (scale, named) => {
    expect(refusal(() => responseSpec({ ...ball, ...scale }))?.message).toBe(
      `${named} are both given; give one of N r_e/R, epsilon or the radius in metres`,
    );
  });

  test('an eps float32 cannot hold is refused on the GPU for its point, before any runs', () => {
    expect(refusal(() => responseSpec({ ...ball, nEpsilon: '1,1e100' }))).toEqual({
      field: 'nEpsilon',
      message: expect.stringMatching(
        /^at N = 20: epsilon = 5e\+98 is too large for float32 .*--device cpu/,
      ) as string,
    });
    expect(responseSpec({ ...ball, nEpsilon: '1,1e100', device: 'cpu' }).ns).toEqual([20, 40]);
  });

  test('an eps float64 cannot hold is refused on either device for its point, before any runs', () => {
    for (const device of ['cpu', 'gpu'] as const) {
      expect(refusal(() => responseSpec({ ...ball, nEpsilon: '1,1e300', device }))).toEqual({
        field: 'nEpsilon',
        message:
          'at N = 20: epsilon = 5e+298 (R = 5.64e-314 m) is too large for float64 (at most 1.34e+154): ' +
          "eps T v, the eigenvalues 1 + eps mu and the solvers' sums of squares would overflow",
      });
    }
  });
});

describe("a response sweep's point named twice", () => {
  const ring = { geometry: 'ring', device: 'cpu' } as const;
  test('the command line refuses it, naming the list it is in, as it parses the list', () => {
    expect(refusal(() => responseSpec({ ...ring, n: '8,16,8' }, { refuseRepeats: true }))).toEqual({
      field: 'n',
      message: 'n names 8 more than once; give it once',
    });
    // 1 and 1.0 are one N r_e/R.
    const twice = { ...ring, n: '8', nEpsilon: '1,3,1.0' };
    expect(refusal(() => responseSpec(twice, { refuseRepeats: true }))).toEqual({
      field: 'nEpsilon',
      message: 'nEpsilon names 1 more than once; give it once',
    });
  });

  test("a link's list keeps it once, and a list without repeats passes either way", () => {
    const spec = responseSpec({ ...ring, n: '16,8,16', nEpsilon: '3,1,3' });
    expect(spec.ns).toEqual([8, 16]);
    expect(spec.scale).toEqual({ kind: 'nEpsilon', values: [1, 3] });
    const once = { ...ring, n: '16,8', nEpsilon: '3,1' };
    expect(responseSpec(once, { refuseRepeats: true })).toEqual(responseSpec(once));
  });
});

describe('electrons that coincide only in float32', () => {
  // 0.5 and 0.5 + 2.8e-9 are apart in float64 but one float32 (its spacing at 0.5 is 6e-8); the
  // electrons at (0, 0.5, 0) and (-0.5, 0, 0) keep the upload's origin (uploadOrigin) at 0.
  const pair = (softening: number): DarwinSystem => ({
    configuration: {
      n: 4,
      positions: Float64Array.of(0.5, 0, 0, 0.5000000028, 0, 0, 0, 0.5, 0, -0.5, 0, 0),
      source: 're_pair.csv',
    },
    model: 'vector',
    dim: 3,
    epsilon: epsilonFromRadius(1e-6),
    softening,
  });

  test('are refused for the GPU, naming both and the float64 CPU path', () => {
    expect(() => validateSystem(pair(0))).not.toThrow();
    expect(refusal(() => checkFloat32System(pair(0), 'free'))).toEqual({
      field: 'positions',
      message:
        "electrons 0 and 1 are at the same place once rounded to float32, the GPU's precision; give " +
        'a softening > 0, or use the CPU reference (--device cpu), which keeps float64',
    });
  });

  test('pass with a softening, which keeps r_ij^2 = a^2 > 0', () => {
    expect(() => checkFloat32System(pair(1e-3), 'free')).not.toThrow();
  });
});

describe('electrons apart or together where the tree uploads them: relative to the median electron', () => {
  // The azimuthal model, whose dense and matrix-free products move the positions along z alone
  // (uploadOrigin); the vector model's move them to the median electron, as the tree's.
  const system = (positions: Float64Array, model: 'vector' | 'azimuthal' = 'azimuthal'): DarwinSystem => ({
    configuration: { n: positions.length / 3, positions, source: 'pair.csv' },
    model,
    dim: 3,
    epsilon: 1e-3,
    softening: 0,
  });
  // Apart in float32 at x = 0.75 + 2^-25 -+ 1e-12 (0.75 and 0.75000006), one float32 once less the
  // median electron (x = -0.26, y = 0.1, z = 0.2): without softening the GPU tree's momenta would be
  // infinite (the box centre's frame gave +-Infinity here, exit 0).
  const x = 0.75 + 2 ** -25;
  const straddling = system(
    Float64Array.of(
      ...[-0.26, -0.5, -0.5, -0.26, 0.4, 0.3, -0.26, -0.3, 0.6],
      ...[x - 1e-12, 0.1, 0.2, x + 1e-12, 0.1, 0.2],
    ),
  );

  test("a pair that meets only in the tree's upload is refused on the tree, passed on the others", () => {
    const [absolute, relative] = [
      uploadedPositions(straddling, 'free'),
      uploadedPositions(straddling, 'tree'),
    ];
    expect([absolute[9], absolute[12]]).toEqual([0.75, Math.fround(0.75 + 2 ** -24)]);
    expect(relative[9]).toBe(relative[12]);
    expect([relative[10], relative[11]]).toEqual([0, 0]);
    expect(() => checkFloat32System(straddling, 'free')).not.toThrow();
    expect(() => checkFloat32System(straddling, 'dense')).not.toThrow();
    expect(refusal(() => checkFloat32System(straddling, 'tree'))).toEqual({
      field: 'positions',
      message:
        'electrons 3 and 4 are at the same place once rounded to float32 relative to the median electron, ' +
        "the GPU's precision; give a softening > 0, or use the CPU reference (--device cpu), which keeps float64",
    });
    // 'auto' waits for the storage it chooses.
    expect(() => checkFloat32System(straddling, 'auto')).not.toThrow();
  });

  test("the tree's upload is the GPU tree's electrons buffer, and a body far from 0 fits it", () => {
    // A disk of 300 about (1e7, 1e7, 0): float32's spacing there (1) merges its electrons in
    // absolute coordinates, not in the tree's (a unit ball about 1e6 was refused on the tree), nor,
    // in the vector model, in the dense and matrix-free products' (less the median electron's).
    const disk = geometry('disk', 300);
    const far = system(disk.positions.map((value, k) => (k % 3 === 2 ? value : value + 1e7)));
    const refused = refusal(() => checkFloat32System(far, 'free'));
    expect(refused?.message).toMatch(
      /^electrons \d+ and \d+ are at the same place once rounded to float32, the GPU's precision; give a softening > 0, use --matrix tree \(its positions are relative to the median electron\), or use the CPU reference/,
    );
    const farVector = system(far.configuration.positions, 'vector');
    expect(() => checkFloat32System(farVector, 'free')).not.toThrow();
    expect(() => checkFloat32System(far, 'tree')).not.toThrow();
    const tree = gpuTreeGeometry(far, kCpuTreeLeaves);
    const electrons = treeStorageBuffers(tree, packTreeTables(tree).data)[0];
    expect(electrons.label).toBe('electrons');
    const packed = electrons.data as Float32Array;
    const uploaded = uploadedPositions(far, 'tree');
    for (let k = 0; k < tree.n; k++) {
      const i = tree.electron[k];
      expect(Array.from(packed.subarray(4 * k, 4 * k + 3))).toEqual(
        Array.from(uploaded.subarray(3 * i, 3 * i + 3)),
      );
    }
  });
});

describe('a run on a NaN right-hand side (a product that overflowed)', () => {
  test.each(['cg', 'minres'] as const)('%s reports its residuals as NaN (null in JSON), not 0', (solver) => {
    const identity = denseMatrix(2, Float64Array.from([1, 0, 0, 1]), 'float64');
    const result = solve(identity, [NaN, 1], solver);
    expect(result.reason).toBe('diverged_nan');
    expect(result.relativeResidual).toBeNaN();
    expect(result.trueRelativeResidual).toBeNaN();
    expect(JSON.parse(JSON.stringify({ r: result.relativeResidual }))).toEqual({ r: null });
  });

  test('a zero right-hand side still returns x = 0 with residual 0', () => {
    const identity = denseMatrix(2, Float64Array.from([1, 0, 0, 1]), 'float64');
    const result = solve(identity, [0, 0], 'cg');
    expect([result.reason, result.relativeResidual, result.trueRelativeResidual]).toEqual([
      'converged_atol',
      0,
      0,
    ]);
  });
});

describe("float32's range refusals write a number as the user would", () => {
  test.each([
    ['softening', 1e20, 'softening = 1e+20 is too large'],
    ['softening', 1e-30, 'softening = 1e-30 is too small'],
    ['epsilon', 123456789e12, 'epsilon = 1.23456789e+20 is too large'],
  ] as const)('%s = %d', (field, value, begins) => {
    const system: DarwinSystem = {
      configuration: geometry('ring', 4),
      model: 'vector',
      dim: 3,
      epsilon: 0.1,
      softening: 0,
      [field]: value,
    };
    expect(refusal(() => checkFloat32System(system, 'auto'))?.message.startsWith(begins)).toBe(true);
  });
});

describe("buffers past the device's limits are refused with the largest N that fits", () => {
  // A system of N electrons as the check reads it: N and the unknowns per electron only.
  const electrons = (n: number, model: 'vector' | 'azimuthal' = 'vector'): DarwinSystem => ({
    configuration: { n, positions: new Float64Array(0), source: 'sized' },
    model,
    dim: 3,
    epsilon: 0.1,
    softening: 0,
  });
  const largestN = (limits: BufferLimits, n: number, plan: BufferPlan): number => {
    const problem = refusal(() => checkBuffersFit(limits, electrons(n), plan));
    expect(problem?.field).toBe('n');
    return Number(/at most N = (\d+)/.exec(problem!.message)![1]);
  };
  const free: BufferPlan = { matrix: 'free' };
  const tree: BufferPlan = { matrix: 'tree', treeTolerance: kDefaultTreeTolerance };
  const swiftshader = { maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 30 };

  test("10^8 electrons matrix-free on SwiftShader's 1 GiB: positions of 16 bytes each, 2^26 fit", () => {
    expect(refusal(() => checkBuffersFit(swiftshader, electrons(1e8), free))?.message).toBe(
      '--matrix free with 100000000 electrons needs a buffer of 1600000000 bytes, more than the ' +
        '1073741824 bytes the device allows in one storage buffer (maxBufferSize, ' +
        'maxStorageBufferBindingSize): it holds at most N = 67108864 here',
    );
    expect(() => checkBuffersFit(swiftshader, electrons(2 ** 26), free)).not.toThrow();
  });

  test("a spectrum's 96-vector Lanczos basis, one buffer of 96 columns of 3N floats 256-byte aligned", () => {
    const spectrum: BufferPlan = { matrix: 'free', lanczosBasis: 96 };
    const columnFloats = Math.floor(2 ** 30 / (4 * 96) / 64) * 64;
    const most = largestN(swiftshader, 1e6, spectrum);
    expect(most).toBe(Math.floor(columnFloats / 3));
    expect(most).toBe(932053);
    expect(refusal(() => checkBuffersFit(swiftshader, electrons(1e6), spectrum))?.message).toMatch(
      /^--matrix free and a Lanczos basis of 96 vectors with 1000000 electrons needs a buffer of 1152000000 bytes/,
    );
    expect(() => checkBuffersFit(swiftshader, electrons(1e6), free)).not.toThrow();
  });

  test('the smaller of the two limits holds: floor(limit / 16) electrons', () => {
    const limits = { maxBufferSize: 1600, maxStorageBufferBindingSize: 1 << 20 };
    expect(() => checkBuffersFit(limits, electrons(100), free)).not.toThrow();
    expect(largestN(limits, 101, free)).toBe(100);
    expect(
      largestN({ maxBufferSize: 1 << 20, maxStorageBufferBindingSize: 1000 }, 101, { matrix: 'dense' }),
    ).toBe(62);
  });

  test("the tree's largest buffer bounds it: the N reported fits and the next does not", () => {
    const limit = treeBufferBytes(5e5, kDefaultTreeTolerance).largest;
    const limits = { maxBufferSize: limit, maxStorageBufferBindingSize: limit };
    const most = largestN(limits, 2e6, tree);
    expect(treeBufferBytes(most, kDefaultTreeTolerance).largest).toBeLessThanOrEqual(limit);
    expect(treeBufferBytes(most + 1, kDefaultTreeTolerance).largest).toBeGreaterThan(limit);
    expect(most).toBeGreaterThanOrEqual(5e5);
    expect(() => checkBuffersFit(limits, electrons(most), tree)).not.toThrow();
  });
});

describe("a scaling sweep's points are checked before the first runs", () => {
  test('a refused large N starts no backend at all', async () => {
    const opened: number[] = [];
    const sweep = runScaling(
      (system) => {
        opened.push(system.configuration.n);
        return Promise.reject(new Error('no backend in this test'));
      },
      {
        geometries: ['ring', 'sphere'],
        model: 'vector',
        ns: [16, 64],
        checkPoint: (system) => {
          if (system.configuration.n > 32) throw new InputError(`N = ${system.configuration.n} refused`);
        },
      },
    );
    await expect(sweep).rejects.toThrow('N = 64 refused');
    expect(opened).toEqual([]);
  });
});

describe("a GPU tree's refinement: the float64 CPU tree it builds must fit the host", () => {
  const system: DarwinSystem = {
    configuration: geometry('ball', 1000),
    model: 'vector',
    dim: 3,
    epsilon: 1e-3,
    softening: 0,
  };
  const need = cpuTreeBackendBytes(system, 1e-5);
  const memory = (availableBytes: number) => ({
    source: 'the test budget',
    availableBytes: () => availableBytes,
  });
  const gpuTree = { backend: { name: 'gpu', tree: { tolerance: 1e-5 } } } as unknown as Pick<
    OpenBackend,
    'backend'
  >;

  test('refused below float32 where it does not fit, in one line naming --tol', () => {
    expect(() => checkRefinementFits(gpuTree, system, 1e-10, memory(need))).not.toThrow();
    expect(() => checkRefinementFits(gpuTree, system, 1e-10, memory(need - 1))).toThrow(
      /^--tol 1e-10 refines the GPU tree's answer against the float64 CPU tree, which needs [\d.]+ GB, more than the [\d.]+ GB of the test budget; ask --tol 1e-6 or more$/,
    );
  });

  test('no refinement, or no tree: nothing to hold', () => {
    expect(() => checkRefinementFits(gpuTree, system, 1e-6, memory(0))).not.toThrow();
    const free = { backend: { name: 'gpu' } } as unknown as Pick<OpenBackend, 'backend'>;
    expect(() => checkRefinementFits(free, system, 1e-10, memory(0))).not.toThrow();
  });
});

describe('the CLI refuses these up front: one error line, exit 2, nothing on stdout', () => {
  // Not quiet: a refusal up front is told from a run by the progress it never printed.
  const { cli, dir } = useCliBundle('input-limits', { quiet: false });

  function refused(args: string[], message: RegExp): string {
    const run = cli(...args);
    expectUserErrorRun(run, message);
    return run.stderr;
  }

  test('electrons that meet in float32: refused on the GPU, indefinite on the CPU as 1 - eps/d', () => {
    const csv = join(dir, 're_pair.csv');
    writeFileSync(csv, 'x,y,z\n0.5,0,0\n0.5000000028,0,0\n0,0.5,0\n-0.5,0,0\n');
    const args = ['spectrum', '--positions', csv, '--radius-m', '1e-6'];
    refused(args, /^error: electrons 0 and 1 are at the same place once rounded to float32.*--device cpu/);
    const run = cli(...args, '--device', 'cpu', '--json');
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { indefinite: boolean; lambda_min: number };
    // The pair's x-x block of M is [[1, eps/d], [eps/d, 1]] (T_xx = 1/d along n); the other two
    // electrons, 0.7 and 1 away, move it by eps ~ 3e-9.
    const expected = 1 - epsilonFromRadius(1e-6) / (0.5000000028 - 0.5);
    expect(result.indefinite).toBe(true);
    expect(Math.abs(result.lambda_min - expected)).toBeLessThan(1e-7);
  });

  test("an azimuthal electron whose rho^2 float32 flushes to 0: refused on the GPU, the CPU's lambda_max", () => {
    // The audit's axis.csv: 20 electrons on the unit ring and one at x = 1e-3 cos(pi/2) = 6.1e-20 (rho^2
    // 3.7e-39), which the GPU ran as rho^2 = 0 (lambda_max 1.5276902747); the control at x = 1e-18.
    const file = (name: string, x: number) => {
      const ring = Array.from({ length: 20 }, (_, k) => {
        const angle = (2 * Math.PI * k) / 20;
        return `${Math.cos(angle)},${Math.sin(angle)},0`;
      });
      const csv = join(dir, name);
      writeFileSync(csv, ['x,y,z', ...ring, `${x},0,0.5`, ''].join('\n'));
      return ['spectrum', '--positions', csv, '--model', 'azimuthal', '--epsilon', '0.05', '--json'];
    };
    const axis = file('axis.csv', 1e-3 * Math.cos(Math.PI / 2));
    refused(
      axis,
      /^error: the rho\^2 = 3\.75e-39 R\^2 of electron 20 .* too small for float32 .*--device cpu/,
    );
    // NumPy float64 (M from eq. 50, eigvalsh of D^-1/2 M D^-1/2): lambda_max 1.52775812863 for both,
    // the GPU's refined in float64 (--tol below its default 1e-6).
    for (const args of [
      [...axis, '--device', 'cpu'],
      [...file('control.csv', 1e-18), '--tol', '1e-10'],
    ]) {
      const run = cli(...args);
      expect(run.status, run.stderr).toBe(0);
      const result = JSON.parse(run.stdout) as { lambda_max: number };
      expect(Math.abs(result.lambda_max - 1.5277581286)).toBeLessThan(1e-10);
    }
  });

  test.each([
    ['solve --geometry ring --n 4 --epsilon 1e-400 --velocity rigid', /too small for float64/],
    [
      'spectrum --geometry ring --n 4 --epsilon 1 --seed 4294967297',
      /--seed must be an integer in \[0, 2\^32\)/,
    ],
    ['scaling --seed 4294967297', /--seed must be an integer in \[0, 2\^32\)/],
    ['scaling --geometries ring,ring', /^error: --geometries names ring more than once/],
    [
      'solve --geometry ring --n 4 --epsilon 1 --model azimuthal --dim 3 --velocity rigid',
      /^error: --dim applies only to --model vector, not azimuthal$/,
    ],
    ['response --geometry ring --n 8 --model azimuthal --dim 2', /^error: --dim applies only/],
    [
      'response --geometry ball --n 20 --epsilon 1e-3 --radius-m 1e-6',
      /^error: --epsilon and --radius-m are both given; give one of/,
    ],
    [
      'response --geometry ball --n 20 --radius-m 1e-6 --n-epsilon 1',
      /^error: --n-epsilon and --radius-m are both given; give one of/,
    ],
    [
      'response --geometry ball --n 20,40 --n-epsilon 1,1e100',
      /^error: --n-epsilon: at N = 20: epsilon = 5e\+98 is too large for float32/,
    ],
    [
      'spectrum --geometry ring --n 10 --epsilon 1e308 --device cpu',
      /^error: epsilon = 1e\+308 \(R = 2\.96e-323 m\) is too large for float64 \(at most 1\.34e\+154\): eps T v, the eigenvalues 1 \+ eps mu and the solvers' sums of squares would overflow$/,
    ],
    [
      'solve --geometry ring --n 10 --epsilon 1e308 --velocity rigid',
      /^error: epsilon = 1e\+308 .* too large for float64/,
    ],
    [
      'spectrum --geometry ring --n 10 --radius-m 1e300 --device cpu',
      /^error: epsilon = 2\.81794033e-315 \(R = 1\.00e\+300 m\) is below float64's normal range \(2\.23e-308\), where it and its products keep fewer than 16 digits; epsilon = 0 drops the Darwin term$/,
    ],
    [
      'solve --geometry ring --n 4 --epsilon 0.1 --softening 1e20 --velocity rigid',
      /^error: softening = 1e\+20 is too large for float32/,
    ],
  ])('%s', (args, message) => {
    refused(args.split(' '), message);
  });

  test.each([
    ['GPU', ['--device', 'gpu', '--matrix', 'free']],
    ['CPU tree', ['--device', 'cpu', '--matrix', 'tree']],
  ])('--check past the dense reference (%s): refused before M is set up or built', (_name, backend) => {
    const args = ['solve', '--geometry', 'ring', '--n', '16385', '--model', 'azimuthal', '--epsilon', '1e-6'];
    const stderr = refused(
      [...args, '--velocity', 'rigid', '--check', ...backend],
      /^error: --check needs the dense float64 reference, which holds at most 16384 unknowns; this system has 16385 \(--no-check runs without it\)$/,
    );
    expect(stderr).not.toMatch(/setting up M|building the tree/);
  });

  test("a spectrum whose Lanczos basis passes the device's largest buffer, before any product", () => {
    // 3 * 10^5 + 1 columns of 3 * 10^5 floats, 360 GB: past any device's binding, and first past the
    // memory of a device that reports one (a CPU adapter's host memory), with the basis held besides.
    const args = ['--geometry', 'sphere', '--n', '100000', '--matrix', 'free', '--epsilon', '1e-6'];
    refused(
      ['spectrum', ...args, '--basis', '1000000'],
      /^error: --matrix free (and a Lanczos basis of 1000000 vectors with 100000 electrons needs a buffer of 360039600128 bytes, .*at most N = \d+ here|needs 540\.1 GB for the positions of 100000 electrons, its vectors and Lanczos basis of 1000000 vectors, more than the [0-9.]+ GB of .*; a Lanczos basis of at most (\d+) vectors fits \(spectrum --basis \2\))$/,
    );
  });

  test.each([
    [
      ['--device', 'cpu', '--n-max', '6000'],
      /^error: --device cpu holds a dense M of at most 16384 unknowns, this system has 18000/,
    ],
    [['--n-max', '100000'], /^error: --matrix dense needs 360\.2 GB for the 300000 x 300000 float32 M/],
  ])('scaling %j: refused before its first point, N = 16, runs', (args, message) => {
    const stderr = refused(
      ['scaling', '--geometries', 'sphere', '--n-min', '16', '--points', '2', '--matrix', 'dense', ...args],
      message,
    );
    expect(stderr).not.toContain('N = 16');
  });

  test('the azimuthal model without --dim runs, its dim null in the JSON', () => {
    const args = ['--geometry', 'ring', '--n', '4', '--epsilon', '0.1', '--model', 'azimuthal'];
    const run = cli('solve', ...args, '--velocity', 'rigid', '--device', 'cpu', '--json');
    expect(run.status, run.stderr).toBe(0);
    const { configuration } = JSON.parse(run.stdout) as { configuration: { model: string; dim: null } };
    expect(configuration).toMatchObject({ model: 'azimuthal', dim: null });
  });
});
