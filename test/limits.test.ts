// Issue 15's limits: the dense storage refused up front when it cannot fit (GPU and CPU), 'auto'
// never choosing it then, and long steps (the matrix-free product, the dense assembly) split into
// chunks whose results equal the unsplit step's bit for bit.
import { describe, expect, test } from 'vitest';
import type { GeometryName } from '../src/physics/geometry.ts';
import { InputError } from '../src/physics/input-error.ts';
import {
  massMatrixEntries,
  type DarwinSystem,
  type Dimension,
  type ModelName,
  type SystemSize,
} from '../src/physics/models.ts';
import { kDefaultTreeTolerance, type TreeDetails } from '../src/physics/tree-build.ts';
import { parallelMassMatrixEntries } from '../src/parallel/mass-matrix.ts';
import { createVector } from '../src/gpu/buffers.ts';
import { GpuError, type DeviceMemory, type GpuContext } from '../src/gpu/device.ts';
import { readFloat32 } from '../src/gpu/readback.ts';
import {
  checkGpuBackendFits,
  checkGpuSizeFits,
  checkLanczosBasisFits,
  checkTreeFits,
  chooseMatrixStorage,
  denseAllocation,
  explainDenseFailure,
  freeAllocation,
  kDenseBudgetBytes,
  gpuBackend,
  operatorBytes,
  treeAllocation,
  type GpuBackend,
} from '../src/engine/backend.ts';
import {
  checkCpuBackendFits,
  checkCpuFits,
  cpuBackendBytes,
  cpuTreeBackendBytes,
  openCpuBackend,
} from '../src/run/backend.ts';
import { kDefaultLanczosBasis, kMinLanczosBasis, lanczosHeldVectors } from '../src/solvers/lanczos.ts';
import { denseMatrixBytes, GpuMassMatrix, matrixShape } from '../src/kernels/mass-matrix.ts';
import { GpuMatrixFreeMassMatrix, rowsPerChunk } from '../src/kernels/matvec-free.ts';
import { submitPieces } from '../src/engine/krylov.ts';
import { kMatvecFreeVariants } from '../src/gpu/profile.ts';
import { chunkProgress, cpuPool, openStudyBackend } from '../src/cli/engine.ts';
import { Interrupted, Progress } from '../src/cli/progress.ts';
import { randomVector } from './helpers/compare.ts';
import { stoppingProgress } from './helpers/progress.ts';
import { gpuHarness } from './helpers/gpu.ts';
import { darwinSystem } from './helpers/systems.ts';

/** The limits do not depend on eps: every system here has eps = 0.1. */
const makeSystem = (shape: GeometryName, n: number, model: ModelName, dim: Dimension): DarwinSystem =>
  darwinSystem(shape, n, model, dim, 0.1);

const kModels: readonly { label: string; shape: GeometryName; model: ModelName; dim: Dimension }[] = [
  { label: 'vector 3D sphere', shape: 'sphere', model: 'vector', dim: 3 },
  { label: 'vector 2D disk', shape: 'disk', model: 'vector', dim: 2 },
  { label: 'azimuthal 2D annulus', shape: 'annulus', model: 'azimuthal', dim: 2 },
];

/** The case: 90 000 unknowns, a 32.4 GB float32 matrix. */
const ball = makeSystem('ball', 30000, 'vector', 3);

function memory(bytes: number): DeviceMemory {
  return { source: 'the test budget', availableBytes: () => bytes };
}

/**
 * A context whose device throws on any use: a refusal that allocated, or even looked at the device,
 * would fail with that error instead of the InputError.
 */
function untouchableContext(bytes: number): GpuContext {
  const device = new Proxy({} as GPUDevice, {
    get(_, property) {
      throw new Error(`the device was used (${String(property)})`);
    },
  });
  return {
    device,
    memory: memory(bytes),
    adapterInfo: {
      vendor: 'test',
      architecture: '',
      model: '',
      description: 'no device',
      isFallbackAdapter: true,
      backend: 'dawn-node',
      swiftshader: true,
    },
    limits: {
      maxStorageBufferBindingSize: 2 ** 30,
      maxBufferSize: 2 ** 30,
      maxComputeInvocationsPerWorkgroup: 256,
      maxComputeWorkgroupSizeX: 256,
      maxComputeWorkgroupsPerDimension: 65535,
    },
    hasTimestampQuery: false,
    hasSubgroups: false,
    profile: {} as GpuContext['profile'],
  };
}

describe('what the dense storage allocates, against what the device holds', () => {
  test('the estimate: the padded matrix, the vectors, the Lanczos basis', () => {
    // A solve holds no basis.
    expect(denseAllocation(ball).lanczosBasis).toBe(0);
    const need = denseAllocation(ball, kDefaultLanczosBasis);
    // (3 N)^2 floats: N = 30000 is a multiple of 4, so no pad columns.
    expect(need.matrix).toBe(4 * 90000 * 90000);
    expect(need.matrix).toBe(denseMatrixBytes(matrixShape(ball)));
    // The default basis of 96 columns of 90000 floats, each bound at a 256-byte offset (90048 floats
    // apart), and the restart's scratch of 47 kept vectors plus one: 144 columns.
    expect(need.lanczosBasis).toBe(4 * 90048 * 144);
    // Positions (16 bytes per electron) and 24 vectors of 90000 floats.
    expect(need.vectors).toBe(16 * 30000 + 24 * 4 * 90000);
    expect(need.total).toBe(need.matrix + need.vectors + need.lanczosBasis);
  });

  test("the operator's memory, as the app's panel and the CLI's --verbose show it", () => {
    expect(operatorBytes({ system: ball, matrix: 'dense' })).toBe(4 * 90000 * 90000);
    // The free product holds the positions alone, 16 bytes per electron.
    expect(operatorBytes({ system: ball, matrix: 'free' })).toBe(16 * 30000);
    const tree: TreeDetails = {
      tolerance: 1e-3,
      order: 6,
      theta: 0.4,
      leaves: 256,
      leafSize: 128,
      translationCost: 367,
      directPairs: 0,
      translations: 0,
      workShare: 0,
      softenedPairs: 0,
      softeningDistance: 0,
    };
    // The tree: treeAllocation's estimate at its tolerance until its buffers are built, then theirs.
    const estimate = treeAllocation(ball, 1e-3).tree;
    expect(estimate).toBeGreaterThan(0);
    expect(estimate).toBeLessThan(treeAllocation(ball, 1e-5).tree);
    expect(operatorBytes({ system: ball, matrix: 'tree', tree })).toBe(estimate);
    expect(operatorBytes({ system: ball, matrix: 'tree', tree: { ...tree, gpuBytes: 123456 } })).toBe(123456);
  });

  test('--matrix dense past the device memory: one InputError naming --matrix free, nothing allocated', async () => {
    const refusal = gpuBackend(untouchableContext(24e9), ball, { matrix: 'dense' });
    await expect(refusal).rejects.toBeInstanceOf(InputError);
    await expect(refusal).rejects.toThrow(
      /^--matrix dense needs 32\.4 GB for the 90000 x 90000 float32 M \(32\.4 GB\), its vectors, more than the 24\.0 GB of the test budget; use --matrix free/,
    );
    await expect(refusal).rejects.toMatchObject({ field: 'matrix' });
  });

  test('a device that refuses the allocation late gives the same refusal; other errors pass', () => {
    const late = new GpuError('out-of-memory', 'GpuMassMatrix.assemble: out-of-memory error: no room');
    const refusal = explainDenseFailure(ball, late);
    expect(refusal).toBeInstanceOf(InputError);
    expect((refusal as InputError).message).toBe(
      "--matrix dense does not fit the device's memory with the 90000 x 90000 float32 M (32.4 GB) " +
        '(GpuMassMatrix.assemble: out-of-memory error: no room); use --matrix free, which recomputes ' +
        'the entries in every product in O(N) memory',
    );
    const invalid = new GpuError('validation', 'a bug');
    expect(explainDenseFailure(ball, invalid)).toBe(invalid);
  });

  test("the 1 GiB of 'auto' holds the dense M of N = 5460 in 3D, 8192 in 2D, 16384 azimuthal", () => {
    // 16 384 unknowns; in 3D the rows are padded to whole groups of 4 electrons, so N = 5461 passes
    // the budget by its padding alone (16 392 columns).
    const largest = (n: number, model: ModelName, dim: Dimension) => {
      const fits = (m: number) =>
        denseMatrixBytes(matrixShape(makeSystem('sphere', m, model, dim))) <= kDenseBudgetBytes;
      return fits(n) && !fits(n + 1);
    };
    expect(largest(5460, 'vector', 3)).toBe(true);
    expect(largest(8192, 'vector', 2)).toBe(true);
    expect(largest(16384, 'azimuthal', 3)).toBe(true);
  });

  test("'auto' goes matrix-free when the dense storage would not fit the device's memory", () => {
    const small = makeSystem('sphere', 37, 'vector', 3);
    const need = denseAllocation(small).total;
    expect(chooseMatrixStorage(untouchableContext(need), small)).toBe('dense');
    expect(chooseMatrixStorage(untouchableContext(need - 1), small)).toBe('free');
    // Within the 1 GiB budget of 'auto' but past the memory: free.
    const mid = makeSystem('sphere', 4000, 'vector', 3);
    expect(denseMatrixBytes(matrixShape(mid))).toBeLessThan(2 ** 30);
    expect(chooseMatrixStorage(untouchableContext(1e8), mid)).toBe('free');
  });

  test('--device cpu past the host memory: one InputError naming --matrix free', () => {
    const system = makeSystem('sphere', 4000, 'vector', 3);
    // (3 * 4000)^2 float64 entries and 16 vectors of a solve; a spectrum's 144 Lanczos vectors
    // (basis and kept) besides.
    expect(cpuBackendBytes(system)).toBe(8 * 12000 * 12000 + 8 * 12000 * 16);
    expect(cpuBackendBytes(system, kDefaultLanczosBasis)).toBe(8 * 12000 * 12000 + 8 * 12000 * 160);
    expect(() => checkCpuFits(system, memory(1e9))).toThrow(
      /^--device cpu needs 1\.15 GB for the 12000 x 12000 float64 M, its vectors, more than the 1\.00 GB of the test budget; use --device gpu --matrix free/,
    );
    expect(() => checkCpuFits(system, memory(1e9), null, kDefaultLanczosBasis)).toThrow(
      /^--device cpu needs 1\.17 GB for the 12000 x 12000 float64 M, its vectors and a Lanczos basis of 96 vectors, more than/,
    );
    expect(() => checkCpuFits(system, memory(cpuBackendBytes(system)))).not.toThrow();
  });

  test("a spectrum's --basis counts in every memory estimate: a larger basis is refused up front", () => {
    const system = makeSystem('sphere', 4000, 'vector', 3);
    const basis = 2000;
    // The basis and the restart's kept vectors in float64 on the CPU; on the GPU float32 columns
    // starting 256 bytes apart, 12000 floats rounded up to 12032.
    const extra = lanczosHeldVectors(12000, basis) - lanczosHeldVectors(12000, kDefaultLanczosBasis);
    expect(extra).toBeGreaterThan(2000);
    const standard = kDefaultLanczosBasis;
    expect(cpuBackendBytes(system, basis) - cpuBackendBytes(system, standard)).toBe(8 * 12000 * extra);
    expect(cpuTreeBackendBytes(system, 1e-5, basis) - cpuTreeBackendBytes(system, 1e-5, standard)).toBe(
      8 * 12000 * extra,
    );
    expect(denseAllocation(system, basis).lanczosBasis - denseAllocation(system, standard).lanczosBasis).toBe(
      4 * 12032 * extra,
    );
    expect(treeAllocation(system, 1e-5, basis).total - treeAllocation(system, 1e-5, standard).total).toBe(
      4 * 12032 * extra,
    );

    // Room for the default basis but not for 2000 vectors: refused, on the CPU and on a device.
    const cpuRoom = memory(cpuBackendBytes(system, standard));
    expect(checkCpuBackendFits(system, 'dense', 1e-5, cpuRoom, standard)).toBe('dense');
    expect(() => checkCpuBackendFits(system, 'dense', 1e-5, cpuRoom, basis)).toThrow(
      /^--device cpu needs 1\.[0-9]{2} GB for the 12000 x 12000 float64 M, its vectors and a Lanczos basis of 2000 vectors, more than the 1\.[0-9]{2} GB of the test budget/,
    );
    // A basis smaller than the default fits where the default would not, through to the backend.
    const small = makeSystem('sphere', 300, 'vector', 3);
    const smallRoom = memory(cpuBackendBytes(small, 20));
    expect(() => openCpuBackend(small, 'dense', 1e-5, smallRoom, { lanczosBasis: standard })).toThrow(
      /^--device cpu needs /,
    );
    openCpuBackend(small, 'dense', 1e-5, smallRoom, { lanczosBasis: 20 }).dispose();
    const treeRoom = memory(cpuTreeBackendBytes(system, 1e-5, standard));
    expect(() => checkCpuBackendFits(system, 'tree', 1e-5, treeRoom, basis)).toThrow(
      /^--device cpu --matrix tree needs .* a Lanczos basis of 2000 vectors, more than .*; a smaller Lanczos basis holds less \(spectrum --basis\)$/,
    );
    const gpuRoom = untouchableContext(treeAllocation(system, 1e-5, standard).total);
    expect(
      checkGpuBackendFits(gpuRoom, system, { matrix: 'tree', treeTolerance: 1e-5, lanczosBasis: standard }),
    ).toBe('tree');
    expect(() =>
      checkGpuBackendFits(gpuRoom, system, { matrix: 'tree', treeTolerance: 1e-5, lanczosBasis: basis }),
    ).toThrow(
      new RegExp(
        `^--matrix tree needs .* Lanczos basis of 2000 vectors, more than .*; a Lanczos basis of at most ` +
          `${standard} vectors fits \\(spectrum --basis ${standard}\\)$`,
      ),
    );
    const denseRoom = untouchableContext(denseAllocation(system, standard).total);
    expect(() => checkGpuBackendFits(denseRoom, system, { matrix: 'dense', lanczosBasis: basis })).toThrow(
      /^--matrix dense needs .* its vectors and Lanczos basis of 2000 vectors, more than/,
    );
    // 'auto' with that basis: past the dense budget's room it goes matrix-free, as for a larger M.
    expect(chooseMatrixStorage(denseRoom, system, { lanczosBasis: standard })).toBe('dense');
    expect(chooseMatrixStorage(denseRoom, system, { lanczosBasis: basis })).toBe('free');
  });
});

describe('what the matrix-free storage allocates, against what the device holds', () => {
  const size = (n: number, model: ModelName = 'vector', dim: Dimension = 3): SystemSize => ({
    configuration: { n },
    model,
    dim,
  });

  test('the estimate: the positions and 24 vectors, 304 bytes an electron in 3D, 208 in 2D, 112 azimuthal', () => {
    // 16 bytes of position and 24 float32 vectors of b unknowns an electron.
    expect(freeAllocation(size(1e6)).total).toBe(304e6);
    expect(freeAllocation(size(1e6, 'vector', 2)).total).toBe(208e6);
    expect(freeAllocation(size(1e6, 'azimuthal', 3)).total).toBe(112e6);
    // The vectors of 3 N floats in float32x4 groups: N = 5 rounds 15 floats up to 16.
    expect(freeAllocation(size(5)).vectors).toBe(16 * 5 + 24 * 4 * 16);
    // A spectrum's basis as the dense storage's, beside the same vectors.
    const spectrum = freeAllocation(size(30000), kDefaultLanczosBasis);
    expect(spectrum.lanczosBasis).toBe(denseAllocation(ball, kDefaultLanczosBasis).lanczosBasis);
    expect(spectrum.vectors).toBe(denseAllocation(ball).vectors);
    expect(spectrum.total).toBe(spectrum.vectors + spectrum.lanczosBasis);
  });

  test('per operation: one product 64 bytes an electron in 3D, a CG solve 160, MINRES or a spectrum 304', () => {
    expect(freeAllocation(size(1e6), undefined, 'product').total).toBe(64e6);
    expect(freeAllocation(size(1e6), undefined, 'cg').total).toBe(160e6);
    expect(freeAllocation(size(1e6), undefined, 'minres').total).toBe(304e6);
    expect(freeAllocation(size(1e6), kDefaultLanczosBasis).vectors).toBe(304e6);
    // A 2 GB device: one product of 3e7 electrons fits, a solve of them is refused; the product's
    // refusal names its own largest N, 2e9 / 64.
    const device = untouchableContext(2e9);
    expect(checkGpuSizeFits(device, size(3e7), { matrix: 'free', operation: 'product' })).toBe('free');
    expect(() => checkGpuSizeFits(device, size(3e7), { matrix: 'free' })).toThrow(
      /at most N = 6578946 here$/,
    );
    expect(() => checkGpuSizeFits(device, size(4e7), { matrix: 'free', operation: 'product' })).toThrow(
      /^--matrix free needs 2\.56 GB for the positions of 40000000 electrons, its vectors, .*; it holds at most N = 31250000 here$/,
    );
  });

  test('--matrix free past the device memory: one InputError naming the largest N, nothing allocated', async () => {
    // The audit's run, 6.5e7 electrons with 24.4 GB of free host memory, fits: 304 bytes an
    // electron, 19.8 GB. An 8 GB host holds 2.6e7.
    expect(checkGpuSizeFits(untouchableContext(24.4e9), size(6.5e7), { matrix: 'free' })).toBe('free');
    const device = untouchableContext(8e9);
    expect(() => checkGpuSizeFits(device, size(3e7), { matrix: 'free' })).toThrow(
      new InputError(
        '--matrix free needs 9.12 GB for the positions of 30000000 electrons, its vectors, more than the ' +
          '8.00 GB of the test budget; it holds at most N = 26315789 here',
        'n',
      ),
    );
    expect(checkGpuSizeFits(device, size(26315789), { matrix: 'free' })).toBe('free');
    expect(() => checkGpuSizeFits(device, size(26315790), { matrix: 'free' })).toThrow(
      /at most N = 26315789 here$/,
    );
    // Through the backend, on the electrons themselves: refused before the device is touched.
    const refusal = gpuBackend(untouchableContext(8e6), ball, { matrix: 'free' });
    await expect(refusal).rejects.toThrow(
      /^--matrix free needs 0\.00912 GB for the positions of 30000 electrons, its vectors, more than the 0\.00800 GB of the test budget; it holds at most N = 26314 here$/,
    );
    await expect(refusal).rejects.toMatchObject({ field: 'n' });
  });

  test("'auto' where not even the matrix-free storage fits: the same refusal, naming auto's choice", () => {
    expect(chooseMatrixStorage(untouchableContext(8e6), ball)).toBe('free');
    expect(() => checkGpuSizeFits(untouchableContext(8e6), ball)).toThrow(
      /^the matrix-free storage of --matrix auto needs 0\.00912 GB .*; it holds at most N = 26314 here$/,
    );
  });

  test("a spectrum's basis past the device memory names the largest basis that fits", () => {
    const room = untouchableContext(freeAllocation(ball, 40).total);
    expect(() =>
      checkGpuSizeFits(room, ball, { matrix: 'free', lanczosBasis: kDefaultLanczosBasis }),
    ).toThrow(
      /^--matrix free needs 0\.0610 GB for the positions of 30000 electrons, its vectors and Lanczos basis of 96 vectors, more than .*; a Lanczos basis of at most 40 vectors fits \(spectrum --basis 40\)$/,
    );
    expect(checkGpuSizeFits(room, ball, { matrix: 'free', lanczosBasis: 40 })).toBe('free');
    expect(() => checkGpuSizeFits(room, ball, { matrix: 'free', lanczosBasis: 41 })).toThrow(
      /at most 40 vectors fits \(spectrum --basis 40\)$/,
    );
    // Where one buffer bounds the basis before the memory does (1 GiB: 89 columns of 3 * 10^6 floats),
    // the basis named fits that buffer too.
    const host = untouchableContext(24e9);
    expect(() => checkGpuSizeFits(host, size(1e6), { matrix: 'free', lanczosBasis: 5000 })).toThrow(
      /^--matrix free needs 90\.3 GB .*; a Lanczos basis of at most 89 vectors fits \(spectrum --basis 89\)$/,
    );
    expect(checkGpuSizeFits(host, size(1e6), { matrix: 'free', lanczosBasis: 89 })).toBe('free');
    expect(() => checkGpuSizeFits(host, size(1e6), { matrix: 'free', lanczosBasis: 90 })).toThrow(
      /needs a buffer of/,
    );
    // Where not even the smallest basis fits, the largest N that does.
    expect(() =>
      checkGpuSizeFits(untouchableContext(freeAllocation(ball, kMinLanczosBasis).total - 1), ball, {
        matrix: 'free',
        lanczosBasis: kDefaultLanczosBasis,
      }),
    ).toThrow(/; it holds at most N = \d+ here$/);
    // The page's Spectrum beside a backend built for solves.
    const built = { system: ball, matrix: 'free' } as GpuBackend;
    expect(() => checkLanczosBasisFits(room, built, 40)).not.toThrow();
    expect(() => checkLanczosBasisFits(room, built, kDefaultLanczosBasis)).toThrow(/^--matrix free needs /);
  });
});

describe('a solve is sized without the Lanczos basis only a spectrum holds', () => {
  // solve --geometry sphere --n 5e6 --device cpu --matrix tree was refused as needing 27.5 GB "and the
  // Lanczos basis"; on the GPU --n 1e7 as 26.6 GB, with --matrix free (O(N^2)) as the advice.
  const size = (n: number): DarwinSystem =>
    ({
      configuration: { n, positions: new Float64Array(0), source: 'size' },
      model: 'vector',
      dim: 3,
      epsilon: 1e-6,
      softening: 0,
    }) as DarwinSystem;

  test("the CPU tree of 5e6: about 10 GB for a solve, 28 GB with a spectrum's basis", () => {
    const system = size(5e6);
    const solve = cpuTreeBackendBytes(system, 1e-5);
    const spectrum = cpuTreeBackendBytes(system, 1e-5, kDefaultLanczosBasis);
    expect(solve / 1e9).toBeGreaterThan(9);
    expect(solve / 1e9).toBeLessThan(11);
    expect(spectrum / 1e9).toBeGreaterThan(27);
    const host = memory(15e9);
    expect(checkCpuBackendFits(system, 'tree', 1e-5, host)).toBe('tree');
    expect(() => checkCpuBackendFits(system, 'tree', 1e-5, host, kDefaultLanczosBasis)).toThrow(
      /a Lanczos basis of 96 vectors, more than the 15\.0 GB of the test budget; a smaller Lanczos basis holds less \(spectrum --basis\)$/,
    );
  });

  test('the GPU tree of 1e7: a solve fits 12 GB; a spectrum is refused naming --basis, not --matrix free', () => {
    const system = size(1e7);
    const solve = treeAllocation(system, 1e-5);
    expect(solve.lanczosBasis).toBe(0);
    expect(solve.total / 1e9).toBeLessThan(10);
    // A GPU of 12 GB whose buffers may take 4 GiB: its memory, not one buffer, bounds the basis.
    const twelve = untouchableContext(12e9);
    const device = {
      ...twelve,
      limits: { ...twelve.limits, maxBufferSize: 2 ** 32, maxStorageBufferBindingSize: 2 ** 32 },
    };
    expect(() => checkTreeFits(device, system, 1e-5)).not.toThrow();
    const refused = (() => {
      try {
        checkTreeFits(device, system, 1e-5, undefined, kDefaultLanczosBasis);
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    })();
    const named =
      /^--matrix tree needs 2\d\.\d GB .*; a Lanczos basis of at most (\d+) vectors fits \(spectrum --basis \1\)$/.exec(
        refused,
      );
    expect(named).not.toBeNull();
    // The basis named is the largest that fits.
    const largest = Number(named![1]);
    expect(() => checkTreeFits(device, system, 1e-5, undefined, largest)).not.toThrow();
    expect(() => checkTreeFits(device, system, 1e-5, undefined, largest + 1)).toThrow();
    expect(refused).not.toContain('--matrix free');
    // The page builds M once, for solves: a Spectrum checks its basis beside it.
    const sphere = makeSystem('sphere', 4000, 'vector', 3);
    const room = untouchableContext(denseAllocation(sphere, 5).total);
    const built = { system: sphere, matrix: 'dense' } as GpuBackend;
    expect(() => checkLanczosBasisFits(room, built, 5)).not.toThrow();
    expect(() => checkLanczosBasisFits(room, built, kDefaultLanczosBasis)).toThrow(
      /^--matrix dense needs .* its vectors and Lanczos basis of 96 vectors, more than/,
    );
    // Where the tree alone does not fit, matrix-free storage is the advice.
    expect(() => checkTreeFits(untouchableContext(1e9), system, 1e-5)).toThrow(/; use --matrix free/);
  });
});

const gpu = gpuHarness(60_000);

describe('the dense estimate against the allocation', () => {
  gpu.test('the matrix the estimate counts is the row blocks allocated', async (context, cleanup) => {
    const system = makeSystem('sphere', 37, 'vector', 3);
    const matrix = await GpuMassMatrix.assemble(context, system, { maxRowsPerBlock: 30 });
    cleanup(() => matrix.destroy());
    expect(matrix.blocks.length).toBeGreaterThan(1);
    expect(matrix.byteLength).toBe(denseAllocation(system).matrix);
  });
});

describe('long steps in chunks, equal to the whole step bit for bit', () => {
  test('rowsPerChunk: whole workgroups, at least one, at most 8192 chunks, at most N', () => {
    expect(rowsPerChunk(30000, 2 ** 24, 64)).toBe(8 * 64);
    expect(rowsPerChunk(300000, 1, 64)).toBe(64);
    expect(rowsPerChunk(1000, 2 ** 24, 64)).toBe(1000);
    // 10^7 electrons: 1221 would do for 8192 chunks, rounded up to 20 workgroups.
    expect(rowsPerChunk(1e7, 2 ** 22, 64)).toBe(20 * 64);
    expect(rowsPerChunk(300000, 2 ** 22, 64)).toBe(64);
    // On a CPU of t threads the workgroups are a multiple of t: 3 of 128 rows become 4 on two
    // threads, 1 becomes 2, and 8 stay 8; N itself still caps a chunk.
    expect(rowsPerChunk(20000, 2 ** 23, 128, 2)).toBe(4 * 128);
    expect(rowsPerChunk(300000, 2 ** 23, 128, 2)).toBe(2 * 128);
    expect(rowsPerChunk(300000, 2 ** 23, 128, 3)).toBe(3 * 128);
    expect(rowsPerChunk(8192, 2 ** 23, 128, 2)).toBe(8 * 128);
    expect(rowsPerChunk(200, 2 ** 23, 128, 16)).toBe(200);
  });

  for (const [setup, variant] of kModels.flatMap((m) => kMatvecFreeVariants.map((v) => [m, v] as const))) {
    gpu.test(
      `matrix-free product (${variant}), ${setup.label}: 4 chunks recorded, 4 submitted, 1 whole`,
      async (context, cleanup) => {
        const system = makeSystem(setup.shape, 200, setup.model, setup.dim);
        const whole = await GpuMatrixFreeMassMatrix.create(context, system, { variant });
        cleanup(() => whole.destroy());
        const chunked = await GpuMatrixFreeMassMatrix.create(context, system, { rowsPerChunk: 64, variant });
        cleanup(() => chunked.destroy());
        expect(whole.chunks).toHaveLength(1);
        expect(chunked.chunks.map((chunk) => [chunk.rowStart, chunk.rowCount])).toEqual([
          [0, 64],
          [64, 64],
          [128, 64],
          [192, 8],
        ]);

        const { device } = context;
        const x = createVector(device, 'Limits.x', randomVector(whole.size, 15));
        const products = [0, 1, 2].map((k) => createVector(device, `Limits.y[${k}]`, whole.size));
        cleanup(() => [x, ...products].forEach((buffer) => buffer.destroy()));
        const encoder = device.createCommandEncoder({ label: 'Limits.encoder' });
        whole.record(encoder, x, products[0]);
        chunked.record(encoder, x, products[1]);
        device.queue.submit([encoder.finish()]);
        // Submitted piece by piece as a Krylov solve or p = M v does (src/engine/krylov.ts).
        const pieces = Array.from({ length: chunked.pieces }, (_, piece) => {
          const pieceEncoder = device.createCommandEncoder({ label: `Limits.piece[${piece}]` });
          chunked.recordPiece(pieceEncoder, x, products[2], piece);
          return { buffer: pieceEncoder.finish(), piece };
        });
        const reports: number[] = [];
        await submitPieces(device, pieces, (piece) => reports.push(piece));
        expect(reports).toEqual([0, 1, 2, 3]);
        const [reference, recorded, submitted] = await Promise.all(
          products.map((y) => readFloat32(device, y, whole.size)),
        );
        expect(reference.some((value) => value !== 0)).toBe(true);
        expect(Array.from(recorded)).toEqual(Array.from(reference));
        expect(Array.from(submitted)).toEqual(Array.from(reference));
      },
    );
  }

  for (const setup of kModels) {
    gpu.test(
      `dense assembly, ${setup.label}: chunks across row blocks equal one dispatch per block`,
      async (context, cleanup) => {
        const system = makeSystem(setup.shape, 37, setup.model, setup.dim);
        const whole = await GpuMassMatrix.assemble(context, system, { maxRowsPerBlock: 60 });
        cleanup(() => whole.destroy());
        const reports: [number, number][] = [];
        const chunked = await GpuMassMatrix.assemble(context, system, {
          maxRowsPerBlock: 60,
          electronsPerChunk: 7,
          onChunk: (done, total) => reports.push([done, total]),
        });
        cleanup(() => chunked.destroy());
        // Blocks of floor(60 / b) electrons, each in chunks of 7 electrons.
        const b = whole.size / 37;
        const perBlock = Math.floor(60 / b);
        const blockElectrons = whole.blocks.map((block) => block.rowCount / b);
        expect(blockElectrons.slice(0, -1).every((count) => count === perBlock)).toBe(true);
        const chunks = blockElectrons.reduce((total, count) => total + Math.ceil(count / 7), 0);
        expect(reports).toEqual(Array.from({ length: chunks }, (_, c) => [c + 1, chunks]));
        const [reference, split] = await Promise.all([whole.read(), chunked.read()]);
        expect(reference.some((value) => value !== 0)).toBe(true);
        expect(Array.from(split)).toEqual(Array.from(reference));
      },
    );
  }

  gpu.test('the backend reports the chunks of momenta() as the product step', async (context, cleanup) => {
    const system = makeSystem('sphere', 200, 'vector', 3);
    const steps: string[] = [];
    const backend = await gpuBackend(context, system, {
      matrix: 'free',
      free: { rowsPerChunk: 100 },
      onChunk: (step, done, total) => steps.push(`${step} ${done}/${total}`),
    });
    cleanup(() => backend.dispose());
    const whole = await gpuBackend(context, system, { matrix: 'free' });
    cleanup(() => whole.dispose());
    const v = randomVector(backend.system.configuration.n * 3, 17);
    const [chunked, reference] = [await backend.momenta(v), await whole.momenta(v)];
    expect(steps).toEqual(['product 1/2', 'product 2/2']);
    expect(Array.from(chunked)).toEqual(Array.from(reference));
  });
});

describe('the progress of a chunked step and a stop between chunks', () => {
  test('the line gives the chunk and the time left at the rate so far', () => {
    const lines: string[] = [];
    const progress = new Progress({ sink: { write: (text) => lines.push(text) }, intervalMs: 0 });
    let clock = 0;
    const report = chunkProgress(progress, () => clock);
    for (const [done, at] of [
      [1, 500],
      [2, 1000],
      [4, 2000],
    ]) {
      clock = at;
      report('product', done, 10);
    }
    // 2 chunks per second from chunk 1 on: 8 chunks left at chunk 2 are 4 s, 6 at chunk 4 are 3 s.
    expect(lines).toEqual([
      'product: chunk 1 of 10\n',
      'product: chunk 2 of 10, ~4 s left\n',
      'product: chunk 4 of 10, ~3 s left\n',
    ]);
    // A new step starts its own estimate.
    clock = 9000;
    report('product', 1, 10);
    expect(lines.at(-1)).toBe('product: chunk 1 of 10\n');
  });

  // 2500 electrons: 3.1e6 pairs, the CPU's dense assembly in four chunks of some 10^6.
  const annulus = makeSystem('annulus', 2500, 'azimuthal', 2);

  test("the CPU's dense assembly on a pool: chunks of equal work, each reported, M bit for bit", () => {
    const pool = cpuPool(2);
    try {
      const reports: [number, number][] = [];
      const entries = parallelMassMatrixEntries(annulus, pool, (done, total) => reports.push([done, total]));
      expect(reports).toEqual([
        [1, 4],
        [2, 4],
        [3, 4],
        [4, 4],
      ]);
      const expected = massMatrixEntries(annulus);
      const first = entries.findIndex((value, k) => !Object.is(value, expected[k]));
      expect(first < 0 ? null : { index: first, got: entries[first], expected: expected[first] }).toBeNull();
    } finally {
      pool.dispose();
    }
  });

  test("the CPU's dense assembly on the progress line (--device cpu), and a stop at its next chunk", async () => {
    // As a signal in a sweep that has finished a point (src/cli/signals.ts).
    const { progress, lines } = stoppingProgress(/chunk 1 of 4/);
    await expect(
      openStudyBackend(null, annulus, 'dense', kDefaultTreeTolerance, 2, progress),
    ).rejects.toBeInstanceOf(Interrupted);
    // The memory it takes (--verbose), the announcement, then the first chunk after it; the report
    // of the second stopped the run.
    expect(lines[0]).toMatch(/^memory: the CPU reference takes 50\.3 MB of /);
    expect(lines.slice(1)).toEqual([
      'assembling M on the CPU: 2500 x 2500 float64 (50.0 MB)\n',
      'assembling M on the CPU: 2500 x 2500 float64 (50.0 MB); assembly: chunk 1 of 4\n',
    ]);
  });

  gpu.test('an interrupted run stops the product at its next chunk', async (context, cleanup) => {
    const system = makeSystem('sphere', 200, 'vector', 3);
    const progress = new Progress({ sink: { write: () => true }, quiet: true });
    const backend = await gpuBackend(context, system, {
      matrix: 'free',
      free: { rowsPerChunk: 64 },
      onChunk: chunkProgress(progress),
    });
    cleanup(() => backend.dispose());
    progress.interrupt('SIGINT');
    await expect(backend.momenta(randomVector(600, 18))).rejects.toBeInstanceOf(Interrupted);
  });
});
