// bench's limits: a size whose rows (the copy's and fill's arrays, the dense M; matvec_free's positions
// and vectors, matvec_tree's tree) cannot fit is refused in one line before any row runs, naming what they need, what the host or device has and
// the rows that would run; and --dim 2 benches a planar configuration on both devices alike. Every
// refused size here is refused before it allocates anything.
import { describe, expect, test } from 'vitest';
import { denseAllocation, freeAllocation, treeAllocation } from '../src/engine/backend.ts';
import type { GpuContext } from '../src/gpu/device.ts';
import { denseMatrixBytes, matrixShape } from '../src/kernels/mass-matrix.ts';
import { unknowns, validateSystem, type Dimension, type ModelName } from '../src/physics/models.ts';
import { kDefaultTreeTolerance } from '../src/physics/tree-build.ts';
import { treeBytesPerElectron } from '../src/run/backend.ts';
import { checkCpuBenchFits } from '../src/cli/commands/bench-cpu.ts';
import { benchSystem, checkGpuBenchFits, type BenchKernel } from '../src/cli/commands/bench.ts';
import { expectUserErrorRun, useCliBundle } from './helpers/cli-bundle.ts';

// Not quiet: a refusal is told from a run by the progress it never printed.
const { cli } = useCliBundle('bench-limits', { quiet: false });

function bench(...args: string[]) {
  return cli('bench', '--repeats', '1', ...args);
}

/** A refused run: exit 2, one error line matching `line`, no row begun (no progress), no output. */
/** Refused as every user error is (expectUserErrorRun), before any row ran ("n = ..." progress). */
function expectRefused(run: ReturnType<typeof bench>, line: RegExp): void {
  expectUserErrorRun(run, line);
  expect(run.stderr).not.toMatch(/^n = /m);
}

const kFastRows = '; --only matvec_free,matvec_tree holds no matrix-sized array$';

const memory = (availableBytes: number) => ({
  source: 'the test budget',
  availableBytes: () => availableBytes,
});
const only = (...kernels: BenchKernel[]) => new Set(kernels);

describe('the bench refuses what cannot fit, before any row runs', () => {
  // N = 1000 in the 3D vector model: 3000 unknowns.
  const system = benchSystem(1000, 'vector', 3);
  const size = unknowns(system);

  test('--device cpu: the copy holds two float64 arrays of size^2, 16 size^2 bytes at once', () => {
    const options = { sizes: [1000], model: 'vector', dim: 3, only: only('copy') } as const;
    expect(() => checkCpuBenchFits(options, memory(16 * size * size))).not.toThrow();
    expect(() => checkCpuBenchFits(options, memory(16 * size * size - 1))).toThrow(
      /^bench --device cpu --n 1000: copy needs 0\.144 GB for the copy's two float64 arrays as large as the 3000 x 3000 M, more than the 0\.144 GB of the test budget;/,
    );
  });

  test('--device cpu --n 10^8: the copy needs 1.44e+9 GB, with an exponent, where it printed 1440000000.0 GB', () => {
    const options = { sizes: [1e8], model: 'vector', dim: 3, only: only('copy') } as const;
    expect(() => checkCpuBenchFits(options, memory(1e12))).toThrow(
      /^bench --device cpu --n 100000000: copy needs 1\.44e\+9 GB for the copy's two float64 arrays as large as the 300000000 x 300000000 M, more than the 1000\.0 GB of the test budget;/,
    );
  });

  test('--device cpu: matvec_free holds the positions and eight vectors, matvec_tree the tree besides', () => {
    const options = { sizes: [1000], model: 'vector', dim: 3 } as const;
    const vectors = 8 * (3 * 1000 + 8 * size);
    const free = { ...options, only: only('matvec_free') };
    expect(() => checkCpuBenchFits(free, memory(vectors))).not.toThrow();
    expect(() => checkCpuBenchFits(free, memory(vectors - 1))).toThrow(
      /^bench --device cpu --n 1000: matvec_free needs [0-9.]+ GB for the positions, the product's vectors, more than the [0-9.]+ GB of the test budget$/,
    );
    // The tree's arrays at the default tolerance, ~1.7 kB an electron (treeBytesPerElectron).
    const tree = vectors + treeBytesPerElectron(kDefaultTreeTolerance) * 1000;
    expect(tree - vectors).toBeGreaterThan(1000 * 1500);
    const both = { ...options, only: only('matvec_free', 'matvec_tree') };
    expect(() => checkCpuBenchFits(both, memory(tree))).not.toThrow();
    expect(() => checkCpuBenchFits(both, memory(tree - 1))).toThrow(
      /^bench --device cpu --n 1000: matvec_free,matvec_tree need [0-9.]+ GB for the positions, the products' vectors and the tree, more than/,
    );
  });

  test('GPU: M, the copy buffers as large, and a second M for the other dense matvec variants', () => {
    const matrix = denseMatrixBytes(matrixShape(system));
    expect(matrix).toBe(4 * size * size);
    // Beside M, one product's vectors; CG's where a CG row runs.
    const vectors = denseAllocation(system, undefined, 'product').vectors;
    const cgVectors = denseAllocation(system, undefined, 'cg').vectors;
    expect(cgVectors).toBeGreaterThan(vectors);
    const context = (availableBytes: number, features: string[] = []) =>
      ({
        device: { features: new Set(features) },
        limits: { maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 30 },
        memory: memory(availableBytes),
      }) as unknown as GpuContext;
    const fits = (available: number, kernels: BenchKernel[], features?: string[]) => () =>
      checkGpuBenchFits(context(available, features), [16, 1000], 'vector', 3, only(...kernels));
    expect(fits(3 * matrix + vectors, ['copy', 'assemble'])).not.toThrow();
    expect(fits(3 * matrix + vectors - 1, ['copy', 'assemble'])).toThrow(
      /^bench --n 1000: copy,assemble need 0\.108 GB for the 3000 x 3000 float32 M, the copy's two buffers as large and the vectors, more than the 0\.108 GB of the test budget;/,
    );
    // rows and workgroup, plus subgroup where the device has subgroups: a second M either way.
    for (const features of [[], ['subgroups']]) {
      expect(fits(3 * matrix + vectors, ['matvec_dense'], features)).toThrow(
        /matvec_dense needs 0\.144 GB for the 3000 x 3000 float32 M, a second for the other dense matvec variants,/,
      );
      expect(fits(4 * matrix + vectors, ['matvec_dense'], features)).not.toThrow();
    }
    expect(fits(3 * matrix + cgVectors, ['assemble', 'cg_iteration'])).not.toThrow();
    expect(fits(3 * matrix + cgVectors - 1, ['assemble', 'cg_iteration'])).toThrow(
      /assemble,cg_iteration need/,
    );
    expect(fits(0, ['response_sweep'])).not.toThrow();
    // The positions and one product's vectors (as the dense rows', the positions counted among them),
    // and the tree's buffers beside them (treeAllocation), at the largest N.
    expect(freeAllocation(system, undefined, 'product').vectors).toBe(vectors);
    const tree = treeAllocation(system).tree;
    expect(fits(vectors, ['matvec_free'])).not.toThrow();
    expect(fits(vectors - 1, ['matvec_free'])).toThrow(
      /^bench --n 1000: matvec_free needs [0-9.]+ GB for the positions and vectors, more than the [0-9.]+ GB of the test budget$/,
    );
    expect(fits(vectors + tree, ['matvec_free', 'matvec_tree'])).not.toThrow();
    expect(fits(vectors + tree - 1, ['matvec_free', 'matvec_tree'])).toThrow(
      /^bench --n 1000: matvec_free,matvec_tree need [0-9.]+ GB for the positions and vectors, the tree and its expansions, more than/,
    );
  });

  test('GPU: a buffer as large as M past the device largest storage buffer', () => {
    const context = {
      device: { features: new Set() },
      limits: { maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 27 },
    } as unknown as GpuContext;
    // 6000 unknowns: 144 MB per buffer, past 2^27 = 134 MB; no memory reported (a hardware GPU).
    expect(() => checkGpuBenchFits(context, [2000], 'vector', 3, only('fill'))).toThrow(
      /^bench --n 2000: fill needs the copy's two buffers of 0\.144 GB each, as large as the 6000 x 6000 float32 M, past the device's largest storage buffer of 0\.134 GB;/,
    );
    expect(() => checkGpuBenchFits(context, [1000], 'vector', 3, only('fill'))).not.toThrow();
    // The matrix-free positions, 16 bytes an electron, past 2^27 bytes from 2^23 electrons.
    expect(() => checkGpuBenchFits(context, [2 ** 23 + 1], 'vector', 3, only('matvec_free'))).toThrow(
      /^bench --n 8388609: matvec_free with 8388609 electrons needs a buffer of 134217744 bytes, more than the 134217728 bytes .*: it holds at most N = 8388608 here$/,
    );
    expect(() => checkGpuBenchFits(context, [2 ** 23], 'vector', 3, only('matvec_free'))).not.toThrow();
  });

  test('--n past the 10^8 electrons of every command, and the tree of 10^8 on the CPU: one line, at once', () => {
    expectRefused(
      bench('--device', 'cpu', '--n', '100000001', '--only', 'matvec_free'),
      /^error: --n must be an integer in 2\.\.100000000, got 100000001$/,
    );
    // Where it was killed for memory (24 GB resident) building the tree: 1.7 kB an electron.
    expectRefused(
      bench('--device', 'cpu', '--n', '100000000', '--only', 'matvec_tree'),
      /^error: bench --device cpu --n 100000000: matvec_tree needs 1[0-9]{2}\.[0-9] GB for the positions, the products' vectors and the tree, more than the [0-9.]+ GB of free host memory$/,
    );
  });

  test('--device cpu --n 1e7: one line, exit 2, at once, where the float64 pair loop would have run for days', () => {
    // Every row asked: the pair bound is checked first, whatever the host's memory, and its remedy
    // (--only matvec_tree) leaves out the matrix rows too.
    for (const only of [[], ['--only', 'matvec_free,matvec_tree']]) {
      const run = bench('--device', 'cpu', '--n', '1e7', ...only, '--verbose');
      expectRefused(
        run,
        /^error: bench --device cpu --n 10000000: matvec_free needs 1\.0e\+14 pairs a product in float64, past the CPU bench's 1e\+13 \(hours a product on any CPU\); --only matvec_tree leaves it out \(the tree then runs without it: no error or speed-up\)$/,
      );
      // --verbose prints every progress report: none came before the refusal.
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  test('--device cpu --n 100000 --only copy: one line, exit 2, where it crashed allocating 1.4 TB', () => {
    expectRefused(
      bench('--device', 'cpu', '--n', '100000', '--only', 'copy'),
      new RegExp(
        "^error: bench --device cpu --n 100000: copy needs 1440\\.0 GB for the copy's two float64 arrays " +
          'as large as the 300000 x 300000 M, more than the [0-9.]+ GB of free host memory' +
          kFastRows,
      ),
    );
  });

  test('--device cpu: the dense M past its largest size is refused before the smaller size runs', () => {
    expectRefused(
      bench('--device', 'cpu', '--n', '64', '--n', '6000', '--only', 'assemble,matvec_free'),
      new RegExp(
        '^error: bench --device cpu --n 6000: assemble needs the 18000 x 18000 float64 M, past the ' +
          "16384 unknowns of the CPU's dense M" +
          kFastRows,
      ),
    );
  });

  test('--device cpu --only matvec_free runs at that size: it holds no matrix-sized array', () => {
    const run = bench('--device', 'cpu', '--n', '6000', '--only', 'matvec_free', '--json');
    expect(run.status, run.stderr).toBe(0);
    const [row, ...others] = JSON.parse(run.stdout).kernels;
    expect(others).toEqual([]);
    expect(row).toMatchObject({ name: 'matvec_free', n: 6000, unknowns: 18000 });
    expect(row.ginteractions).toBeCloseTo((6000 * 6000) / (row.ms * 1e-3) / 1e9, 9);
  }, 60_000);

  test('GPU --n 100000 --only copy: one line, exit 2, where it assembled 360 GB until killed', () => {
    expectRefused(
      bench('--n', '100000', '--only', 'copy'),
      new RegExp('^error: bench --n 100000: copy needs .* the 300000 x 300000 float32 M.*' + kFastRows),
    );
  });
});

describe('--dim 2 benches the disk, on both devices alike', () => {
  test.each([
    ['vector', 2, 'disk'],
    ['vector', 3, 'sphere'],
    ['azimuthal', 2, 'sphere'],
    ['azimuthal', 3, 'sphere'],
  ] as const)('%s model, dim %d: the %s, a system the model accepts', (model, dim, source) => {
    const system = benchSystem(64, model as ModelName, dim as Dimension);
    expect(system.configuration.source).toBe(source);
    expect(system.epsilon).toBe(1e-3);
    expect(() => validateSystem(system)).not.toThrow();
    const z = Array.from({ length: 64 }, (_, i) => system.configuration.positions[3 * i + 2]);
    if (source === 'disk') expect(z.every((value) => value === 0)).toBe(true);
    else expect(Math.max(...z.map(Math.abs))).toBeGreaterThan(0.9);
  });

  test.each([
    [['--dim', '2'], 'assemble_vector2d', 128],
    [['--model', 'azimuthal'], 'assemble_azimuthal', 64],
  ])(
    '%j: the same row on the GPU and the CPU',
    (flags, name, size) => {
      for (const device of ['gpu', 'cpu']) {
        const run = bench('--n', '64', '--only', 'assemble', ...flags, '--device', device, '--json');
        expect(run.status, `${device}: ${run.stderr}`).toBe(0);
        const [row, ...others] = JSON.parse(run.stdout).kernels;
        expect(others).toEqual([]);
        expect(row).toMatchObject({ name, n: 64, unknowns: size });
        expect(row.ms).toBeGreaterThan(0);
      }
    },
    120_000,
  );

  test('--dim beside --model azimuthal is refused, as solve, spectrum and response refuse it', () => {
    expectRefused(
      bench('--n', '64', '--model', 'azimuthal', '--dim', '2', '--device', 'cpu'),
      /^error: --dim applies only to --model vector, not azimuthal$/,
    );
  });
});
