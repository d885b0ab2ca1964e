// The GPU backend: the MassMatrixBackend of src/run/backend.ts with M on the GPU, dense
// (src/kernels/mass-matrix.ts), matrix-free (src/kernels/matvec-free.ts) or the fast multipole
// product (src/kernels/tree.ts), and the Krylov solvers of this folder. Results have the CPU's shapes plus
// a `gpu` field of run statistics.
import { InputError } from '../physics/input-error.ts';
import {
  blockSize,
  massDiagonal,
  momentaFrom,
  unknowns,
  type DarwinSystem,
  type SystemSize,
} from '../physics/models.ts';
import { alignTo, createVector } from '../gpu/buffers.ts';
import { GpuError, withErrorScopes, type GpuContext, type GpuLimits } from '../gpu/device.ts';
import { readFloat32 } from '../gpu/readback.ts';
import { norm } from '../math/vectors.ts';
import {
  denseMatrixBytes,
  GpuMassMatrix,
  matrixShape,
  planStorage,
  type GpuMassMatrixOptions,
} from '../kernels/mass-matrix.ts';
import {
  GpuMatrixFreeMassMatrix,
  type ChunkHook,
  type GpuMatrixFreeOptions,
} from '../kernels/matvec-free.ts';
import { kPositionStride } from '../kernels/system.ts';
import { GpuTreeMassMatrix, treeBufferBytes, treeBytes, type GpuTreeOptions } from '../kernels/tree.ts';
import { treeCrossover, type KrylovStepVariant } from '../gpu/profile.ts';
import { kDefaultTreeTolerance, kTreeWorkShare, treeDetails } from '../physics/tree-build.ts';
import type { GpuMassOperator } from '../kernels/operator.ts';
import { gigabytes } from '../io/formats.ts';
import type { MassMatrixBackend } from '../run/backend.ts';
import { solveWith } from '../solvers/solve.ts';
import { lanczosAt, spectrumFromLanczos, type SpectrumResult } from '../solvers/spectrum.ts';
import type { SolverName } from '../solvers/types.ts';
import { kMinLanczosBasis, lanczosColumns, lanczosHeldVectors } from '../solvers/lanczos.ts';
import { checkFloat32Epsilon, checkFloat32System } from '../physics/float32.ts';
import { gpuConjugateGradient } from './cg.ts';
import {
  addStats,
  createKrylovEngine,
  productPieces,
  submitPieces,
  type GpuSolveOptions,
  type GpuSolveResult,
  type KrylovEngine,
} from './krylov.ts';
import { gpuLanczos, type GpuLanczosOptions, type GpuLanczosResult } from './lanczos.ts';
import { gpuMinres } from './minres.ts';

export type MatrixStorage = 'dense' | 'free' | 'tree';

/**
 * How much GPU memory the dense matrix may take before 'auto' goes matrix-free: 1 GiB, and never
 * more than the device holds (checkDenseFits). WebGPU does not report the device's memory; a
 * quarter of the 4 GiB that a WebGPU-class GPU can be assumed to have (kBrowserMemoryBytes) leaves
 * room for the browser and other tabs. At 1 GiB the dense float32 M holds up to 16 384
 * unknowns, its rows padded to whole groups of 4 electrons (rowStride): N = 5460 in the 3D vector
 * model, 8192 in 2D, 16 384 azimuthal; past that the matrix-free product, O(N) in memory,
 * recomputes the entries on every matvec.
 */
export const kDenseBudgetBytes = 2 ** 30;

/**
 * What a GPU run does, which sets the vectors it holds (kRunVectors): p = M v, a CG solve that does
 * not refine, a MINRES solve (also 'auto', which may go on to MINRES, and any refined solve, whose
 * CG corrections go on by MINRES once M shows negative curvature: src/run/refine.ts), or a
 * spectrum (beside its Lanczos basis). Where a caller does not say: a spectrum where it gives a
 * basis, else a MINRES solve, the most a solve holds.
 */
export type GpuOperation = 'product' | 'cg' | 'minres' | 'spectrum';

/**
 * Vectors of `size` floats that a run holds at most at once beside the operator, as measured
 * (test/run-memory.test.ts, N = 3000, the peak of live buffers less the positions): p = M v 3 (v,
 * p, the readback's staging), CG ~9.5, MINRES ~18.5, a spectrum a few beside its basis. Each with
 * room for the buffers whose size does not grow with N (uniform slots, staging, reductions: ~20 kB
 * a solve, ~0.25 MB beside a spectrum's default basis) from N ~ 3000 up, and within 1.5 times that
 * run's peak, so that a light run is not refused at a size it fits.
 */
const kRunVectors: Readonly<Record<GpuOperation, number>> = { product: 4, cg: 12, minres: 24, spectrum: 24 };

/** Floats from one Lanczos basis column to the next: the largest storage offset alignment, 256 bytes. */
const kBasisAlignmentFloats = 64;

/** What the dense backend allocates on the GPU, in bytes (denseAllocation). */
export interface DenseAllocation {
  /** The stored T in its row blocks, padding included (denseMatrixBytes). */
  readonly matrix: number;
  /** The positions, D and every vector of the run with its readback staging (kRunVectors). */
  readonly vectors: number;
  /** The Lanczos basis and restart scratch of a spectrum (src/engine/lanczos.ts). */
  readonly lanczosBasis: number;
  readonly total: number;
}

/**
 * The GPU memory the dense backend of `system` takes at its largest: the matrix, the vectors of
 * `operation`, and a spectrum's basis of `basis` vectors (--basis; none where undefined: a solve).
 */
export function denseAllocation(
  system: SystemSize,
  basis?: number,
  operation?: GpuOperation,
): DenseAllocation {
  const matrix = denseMatrixBytes(matrixShape(system));
  const { vectors, lanczosBasis } = runAllocation(system, basis, operation);
  return { matrix, vectors, lanczosBasis, total: matrix + vectors + lanczosBasis };
}

/**
 * What the matrix-free backend allocates on the GPU, in bytes (freeAllocation): as DenseAllocation's
 * without a matrix, the positions its product reads being counted among the vectors.
 */
export type FreeAllocation = Omit<DenseAllocation, 'matrix'>;

/**
 * The GPU memory the matrix-free backend of `system` takes at its largest, O(N): the vectors of
 * `operation` and a spectrum's basis of `basis` vectors (none where undefined). In 3D a MINRES solve
 * 304 bytes an electron.
 */
export function freeAllocation(system: SystemSize, basis?: number, operation?: GpuOperation): FreeAllocation {
  const { vectors, lanczosBasis } = runAllocation(system, basis, operation);
  return { vectors, lanczosBasis, total: vectors + lanczosBasis };
}

/** `operation`, or GpuOperation's default: a spectrum where a basis is given, else a MINRES solve. */
function runOperation(basis?: number, operation?: GpuOperation): GpuOperation {
  return operation ?? (basis === undefined ? 'minres' : 'spectrum');
}

/**
 * Beside any operator: the positions, D, the vectors and staging of `operation` (GpuOperation's
 * default where undefined), and a spectrum's Lanczos basis.
 */
function runAllocation(
  system: SystemSize,
  basis?: number,
  operation?: GpuOperation,
): { vectors: number; lanczosBasis: number } {
  const size = unknowns(system);
  const run = runOperation(basis, operation);
  return {
    vectors: kPositionStride * system.configuration.n + kRunVectors[run] * 16 * Math.ceil(size / 4),
    lanczosBasis:
      basis === undefined ? 0 : 4 * alignTo(size, kBasisAlignmentFloats) * lanczosHeldVectors(size, basis),
  };
}

/** What a refusal names beside the operator: the vectors, and the Lanczos basis where one is counted. */
export function heldBeside(basis?: number): string {
  return basis === undefined ? 'its vectors' : `its vectors and Lanczos basis of ${basis} vectors`;
}

/** What the tree backend allocates on the GPU, in bytes (treeAllocation). */
export interface TreeAllocation {
  /** The tree, its tables and lists, and the expansions of every node (src/kernels/tree.ts treeBytes). */
  readonly tree: number;
  /** As DenseAllocation's. */
  readonly vectors: number;
  readonly lanczosBasis: number;
  readonly total: number;
}

/**
 * The GPU memory the tree backend of `system` takes at its largest, O(N): the tree and its
 * expansions at tolerance `tolerance`, the vectors of `operation`, a spectrum's basis of `basis`
 * vectors (none where undefined).
 */
export function treeAllocation(
  system: SystemSize,
  tolerance = kDefaultTreeTolerance,
  basis?: number,
  operation?: GpuOperation,
): TreeAllocation {
  const { vectors, lanczosBasis } = runAllocation(system, basis, operation);
  const tree = treeBytes(system.configuration.n, tolerance);
  return { tree, vectors, lanczosBasis, total: tree + vectors + lanczosBasis };
}

/**
 * GPU memory the operator of `backend` holds, beside the vectors of a run: the padded float32 M
 * (DenseAllocation.matrix), the built tree's buffers or, before it is built, treeAllocation's
 * estimate, or the positions the free product reads.
 */
export function operatorBytes(backend: Pick<GpuBackend, 'system' | 'matrix' | 'tree'>): number {
  const { system, matrix, tree } = backend;
  const { n } = system.configuration;
  if (tree) return tree.gpuBytes ?? treeBytes(n, tree.tolerance);
  return matrix === 'dense' ? denseMatrixBytes(matrixShape(system)) : kPositionStride * n;
}

/** The refusal of dense storage for `system`, `why` saying what does not fit. */
function denseRefusal(
  system: SystemSize,
  why: (matrix: string, need: DenseAllocation) => string,
  basis?: number,
  operation?: GpuOperation,
): InputError {
  const need = denseAllocation(system, basis, operation);
  const size = unknowns(system);
  const matrix = `the ${size} x ${size} float32 M (${gigabytes(need.matrix)})`;
  return new InputError(
    `--matrix dense ${why(matrix, need)}; use --matrix free, which recomputes the entries in every ` +
      'product in O(N) memory',
    'matrix',
  );
}

/**
 * Throws an InputError naming --matrix free when the dense backend of `system`, running `operation`
 * with a spectrum's basis of `basis` vectors (none for a solve), cannot fit: when it takes more than
 * the device's memory (GpuContext.memory: the host's free memory for a CPU adapter, the browser's
 * budget), or when one electron's rows exceed the largest storage binding (planStorage). Nothing is
 * allocated: a 32 GB matrix is refused at once, not by the OOM killer.
 */
export function checkDenseFits(
  context: GpuContext,
  system: SystemSize,
  basis?: number,
  operation?: GpuOperation,
): void {
  const available = context.memory?.availableBytes();
  if (available !== undefined && denseAllocation(system, basis, operation).total > available) {
    throw denseRefusal(
      system,
      (matrix, need) =>
        `needs ${gigabytes(need.total)} for ${matrix}, ${heldBeside(basis)}, more than the ` +
        `${gigabytes(available)} of ${context.memory!.source}`,
      basis,
      operation,
    );
  }
  try {
    planStorage(matrixShape(system), context.limits);
  } catch (error) {
    throw denseRefusal(system, (matrix) => `cannot hold ${matrix}: ${(error as Error).message}`);
  }
}

/**
 * A device that refuses the dense storage late, inside the error scopes of its allocation (a
 * hardware GPU, whose memory WebGPU does not report), gives the refusal of checkDenseFits too;
 * other errors pass through.
 */
export function explainDenseFailure(system: DarwinSystem, error: unknown): unknown {
  if (!(error instanceof GpuError) || error.kind !== 'out-of-memory') return error;
  return denseRefusal(
    system,
    (matrix) => `does not fit the device's memory with ${matrix} (${error.message})`,
  );
}

/**
 * Throws an InputError when the tree backend of `system`, with a spectrum's basis of `basis` vectors
 * (none for a solve), takes more than the device's memory (GpuContext.memory), as checkDenseFits does
 * for the dense one: with treeAllocation's estimate before the tree is built, with the built tree's
 * bytes (GpuTreeOptions.checkFits) after. It names the largest Lanczos basis that fits where one
 * does (spectrum's --basis; scaling sets its own), else --matrix free.
 */
export function checkTreeFits(
  context: GpuContext,
  system: SystemSize,
  tolerance?: number,
  builtTreeBytes?: number,
  basis?: number,
  operation?: GpuOperation,
): void {
  const available = context.memory?.availableBytes();
  const needWith = (columns?: number) => {
    const estimate = treeAllocation(system, tolerance, columns, operation);
    return builtTreeBytes === undefined ? estimate.total : estimate.total - estimate.tree + builtTreeBytes;
  };
  const need = needWith(basis);
  if (available !== undefined && need > available) {
    const remedy =
      smallerBasis(
        basis,
        (columns) =>
          needWith(columns) <= available &&
          buffersFit(context.limits, system, {
            matrix: 'tree',
            treeTolerance: tolerance,
            lanczosBasis: columns,
          }),
      ) ?? 'use --matrix free, which holds only the positions and vectors (O(N^2) time a product)';
    throw new InputError(
      `--matrix tree needs ${gigabytes(need)} for the tree of ${system.configuration.n} electrons, ` +
        `its expansions${basis === undefined ? ' and vectors' : `, vectors and Lanczos basis of ${basis} vectors`}, ` +
        `more than the ${gigabytes(available)} of ` +
        `${context.memory!.source}; ${remedy}`,
      'matrix',
    );
  }
}

/**
 * The remedy naming the largest spectrum --basis below `basis` with which the run fits (`fits`: the
 * device's memory and its largest buffer, so that the basis named is not refused in turn), or null for
 * a solve (no basis) or where not even the smallest basis, kMinLanczosBasis, fits.
 */
function smallerBasis(basis: number | undefined, fits: (basis: number) => boolean): string | null {
  if (basis === undefined || !fits(kMinLanczosBasis)) return null;
  const largest = largestFitting(basis, fits);
  return `a Lanczos basis of at most ${largest} vectors fits (spectrum --basis ${largest})`;
}

/**
 * Throws an InputError when the matrix-free backend of `system`, with a spectrum's basis of `basis`
 * vectors (none for a solve), takes more than the device's memory (GpuContext.memory), as
 * checkDenseFits and checkTreeFits do for theirs: each of its buffers fits one binding
 * (checkBuffersFit) up to 6.7·10^7 electrons on SwiftShader, where ~300 bytes an electron in 3D take
 * 20 GB together, more than many hosts have free, and the setup thrashes rather than fails. It
 * names the largest Lanczos basis that fits where one does, else the largest N that fits (its
 * memory and its buffers): no storage holds less. `requested`: the --matrix asked for, so that a
 * refusal of 'auto''s choice does not name a --matrix free the user did not type.
 */
export function checkFreeFits(
  context: GpuContext,
  system: SystemSize,
  basis?: number,
  requested: 'free' | 'auto' = 'free',
  operation?: GpuOperation,
): void {
  const available = context.memory?.availableBytes();
  const need = freeAllocation(system, basis, operation);
  if (available === undefined || need.total <= available) return;
  const { n } = system.configuration;
  const fits = (m: number) => {
    const smaller = { ...system, configuration: { n: m } };
    return (
      freeAllocation(smaller, basis, operation).total <= available &&
      buffersFit(context.limits, smaller, { matrix: 'free', lanczosBasis: basis })
    );
  };
  const remedy =
    smallerBasis(
      basis,
      (columns) =>
        freeAllocation(system, columns, operation).total <= available &&
        buffersFit(context.limits, system, { matrix: 'free', lanczosBasis: columns }),
    ) ?? `it holds at most N = ${largestFitting(n, fits)} here`;
  const storage = requested === 'auto' ? 'the matrix-free storage of --matrix auto' : '--matrix free';
  throw new InputError(
    `${storage} needs ${gigabytes(need.total)} for the positions of ${n} electrons, ` +
      `${heldBeside(basis)}, more than the ${gigabytes(available)} of ${context.memory!.source}; ${remedy}`,
    'n',
  );
}

/** The device limits that bound one storage buffer. */
export type BufferLimits = Pick<GpuLimits, 'maxBufferSize' | 'maxStorageBufferBindingSize'>;

/** What checkBuffersFit sizes: the storage, the tree's tolerance, a spectrum's Lanczos basis. */
export interface BufferPlan {
  readonly matrix: MatrixStorage;
  readonly treeTolerance?: number;
  /** The Lanczos basis a spectrum will hold (its vectors, --basis), or none for a solve. */
  readonly lanczosBasis?: number;
}

/**
 * The largest storage buffer a GPU backend of N electrons, `block` unknowns each, binds whole beside
 * a dense M's row blocks (planStorage): the positions (kPositionStride bytes an electron), a Krylov
 * vector, with the tree its largest buffer (treeBufferBytes), and a spectrum's Lanczos basis, whose
 * columns src/engine/lanczos.ts keeps in one buffer, each at most 256 bytes of alignment apart.
 */
function largestBuffer(n: number, block: number, plan: BufferPlan): number {
  const size = block * n;
  let largest = Math.max(kPositionStride * n, alignTo(4 * size, 16));
  if (plan.matrix === 'tree') {
    largest = Math.max(largest, treeBufferBytes(n, plan.treeTolerance ?? kDefaultTreeTolerance).largest);
  }
  if (plan.lanczosBasis !== undefined) {
    const columns = lanczosColumns(size, plan.lanczosBasis);
    largest = Math.max(largest, 4 * alignTo(size, kBasisAlignmentFloats) * columns);
  }
  return largest;
}

/** The most one buffer bound whole as storage may hold. */
function bufferLimit(limits: BufferLimits): number {
  return Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
}

/** Whether every buffer of the GPU backend of `system` under `plan` fits the device (largestBuffer). */
function buffersFit(limits: BufferLimits, system: SystemSize, plan: BufferPlan): boolean {
  return largestBuffer(system.configuration.n, blockSize(system), plan) <= bufferLimit(limits);
}

/**
 * Throws an InputError naming the largest N that fits when a buffer of the GPU backend of `system`
 * (largestBuffer) exceeds what one buffer and one storage binding of the device may hold: WebGPU
 * refuses such a buffer when it is created, after the setup has begun (the matrix-free positions of
 * 10^8 electrons, 1.6 GB, against SwiftShader's 1 GiB; the 96-vector Lanczos basis from 9.3·10^5
 * electrons in 3D). Nothing is allocated. `what` names the run in the caller's words (bench has no
 * --matrix flag).
 */
export function checkBuffersFit(
  limits: BufferLimits,
  system: SystemSize,
  plan: BufferPlan,
  what = `--matrix ${plan.matrix}`,
): void {
  if (buffersFit(limits, system, plan)) return;
  const limit = bufferLimit(limits);
  const { n } = system.configuration;
  const block = blockSize(system);
  const need = largestBuffer(n, block, plan);
  const fits = largestFitting(n, (m) => largestBuffer(m, block, plan) <= limit);
  const basis = plan.lanczosBasis === undefined ? '' : ` and a Lanczos basis of ${plan.lanczosBasis} vectors`;
  throw new InputError(
    `${what}${basis} with ${n} electrons needs a buffer of ${need} bytes, more than ` +
      `the ${limit} bytes the device allows in one storage buffer (maxBufferSize, ` +
      `maxStorageBufferBindingSize): it holds at most N = ${fits} here`,
    'n',
  );
}

/** The largest N below `n` for which `fits` holds, by bisection: what it sizes grows with N; `n` fails. */
function largestFitting(n: number, fits: (n: number) => boolean): number {
  let [fitting, failing] = [0, n];
  while (failing - fitting > 1) {
    const middle = Math.floor((fitting + failing) / 2);
    if (fits(middle)) fitting = middle;
    else failing = middle;
  }
  return fitting;
}

/** What 'auto' takes for a run, and why, in a phrase (README "How auto picks the storage"). */
export interface AutoStorage {
  readonly storage: MatrixStorage;
  readonly reason: string;
}

/**
 * 'dense' while the dense M takes at most `options.denseBudgetBytes` (kDenseBudgetBytes) and the
 * dense backend fits the device (checkDenseFits); past that 'tree' from the device profile's
 * crossover N on (treeCrossover, where the fast multipole product overtakes the matrix-free one for
 * the operation's products) if it fits (checkTreeFits), else 'free'. Not the tree for a run that
 * refines to `options.refinedTolerance` below its tolerance: the refined run's float64 products
 * would be the float64 tree's (src/run/refine.ts), M's only to --tree-tol, where the matrix-free
 * product refines against M's own. Up front, from N alone: gpuBackend goes matrix-free yet where the
 * built tree does not pay (its walk refuses a tree costing past kTreeWorkShare of the pairs,
 * TreeOptions.maxWorkShare: a ball below ~7.5e4), which GpuBackend.treeRefusal then says.
 */
export function autoStorage(
  context: GpuContext,
  system: SystemSize,
  options: GpuSizeOptions = {},
): AutoStorage {
  const { lanczosBasis: basis, operation, refinedTolerance } = options;
  const treeTolerance = options.treeTolerance ?? kDefaultTreeTolerance;
  const fits = (check: () => void) => {
    try {
      check();
      return true;
    } catch {
      return false;
    }
  };
  const budget = options.denseBudgetBytes ?? kDenseBudgetBytes;
  const denseBytes = denseMatrixBytes(matrixShape(system));
  if (denseBytes <= budget && fits(() => checkDenseFits(context, system, basis, operation))) {
    return { storage: 'dense', reason: `M takes ${gigabytes(denseBytes)}, within ${gigabytes(budget)}` };
  }
  const { n } = system.configuration;
  const operated = runOperation(basis, operation);
  const run = operated === 'product' || operated === 'spectrum' ? operated : 'solve';
  const crossover = treeCrossover(context.profile, run);
  const runs = { product: 'one product', solve: 'a solve', spectrum: 'a spectrum' }[run];
  if (n < crossover) {
    return {
      storage: 'free',
      reason: `the dense M does not fit; ${n} electrons, below the tree's crossover for ${runs} here (${crossover})`,
    };
  }
  if (refinedTolerance !== undefined && refinedTolerance < treeTolerance) {
    return {
      storage: 'free',
      reason:
        `the run refines to --tol ${refinedTolerance.toExponential()}, below --tree-tol ` +
        `${treeTolerance.toExponential()}: its float64 products would be the tree's`,
    };
  }
  const treeFits = () => {
    checkTreeFits(context, system, treeTolerance, undefined, basis, operation);
    checkBuffersFit(context.limits, system, { matrix: 'tree', treeTolerance, lanczosBasis: basis });
  };
  return fits(treeFits)
    ? { storage: 'tree', reason: `${n} electrons, from the tree's crossover for ${runs} here (${crossover})` }
    : { storage: 'free', reason: "the tree would not fit the device's memory or buffers" };
}

/** autoStorage's storage. */
export function chooseMatrixStorage(
  context: GpuContext,
  system: SystemSize,
  options: GpuSizeOptions = {},
): MatrixStorage {
  return autoStorage(context, system, options).storage;
}

/**
 * The storage of the GPU backend of `system` for `options.matrix` (chooseMatrixStorage for 'auto'),
 * refused up front with an InputError where float32 cannot hold the inputs (checkFloat32System) or
 * its buffers cannot fit the device (checkDenseFits, checkTreeFits, checkFreeFits, checkBuffersFit).
 * Nothing is allocated: a study asks it of every point before its first runs.
 */
export function checkGpuBackendFits(
  context: GpuContext,
  system: DarwinSystem,
  options: GpuSizeOptions = {},
): MatrixStorage {
  const matrix = checkGpuSizeFits(context, system, options);
  // Last, as it reads every position (a sort, O(N log N)): the checks above need only N. Two
  // electrons are tested apart where this storage uploads them (uploadedPositions).
  checkFloat32System(system, matrix);
  return matrix;
}

/**
 * What checkGpuSizeFits sizes: the storage asked, 'auto''s budget, the tree's tolerance, a spectrum's
 * basis, the operation the run does.
 */
export type GpuSizeOptions = Pick<
  GpuBackendOptions,
  'matrix' | 'denseBudgetBytes' | 'treeTolerance' | 'lanczosBasis' | 'operation' | 'refinedTolerance'
>;

/**
 * checkGpuBackendFits from N and the model alone, before the positions exist: the storage of
 * `options.matrix` (chooseMatrixStorage for 'auto'), refused with an InputError where the device's
 * memory or buffers cannot hold it, before the minutes that building N = 10^8 positions takes.
 */
export function checkGpuSizeFits(
  context: GpuContext,
  system: SystemSize,
  options: GpuSizeOptions = {},
): MatrixStorage {
  const requested = options.matrix ?? 'auto';
  const tolerance = options.treeTolerance ?? kDefaultTreeTolerance;
  const { lanczosBasis: basis, operation } = options;
  const matrix = requested === 'auto' ? chooseMatrixStorage(context, system, options) : requested;
  if (matrix === 'dense') checkDenseFits(context, system, basis, operation);
  if (matrix === 'tree') checkTreeFits(context, system, tolerance, undefined, basis, operation);
  if (matrix === 'free')
    checkFreeFits(context, system, basis, requested === 'auto' ? 'auto' : 'free', operation);
  checkBuffersFit(context.limits, system, {
    matrix,
    treeTolerance: tolerance,
    lanczosBasis: options.lanczosBasis,
  });
  return matrix;
}

/**
 * Refuses (an InputError, as checkGpuBackendFits would have) a spectrum's Lanczos basis of `basis`
 * vectors beside `backend`, set up for solves without one: the app builds M once for its Solve and
 * its Spectrum, and counts the basis only when a spectrum asks for it.
 */
export function checkLanczosBasisFits(context: GpuContext, backend: GpuBackend, basis: number): void {
  const { system, matrix, tree } = backend;
  if (matrix === 'dense') checkDenseFits(context, system, basis);
  if (matrix === 'tree') checkTreeFits(context, system, tree?.tolerance, tree?.gpuBytes, basis);
  if (matrix === 'free') checkFreeFits(context, system, basis);
  checkBuffersFit(context.limits, system, { matrix, treeTolerance: tree?.tolerance, lanczosBasis: basis });
}

export interface GpuBackendOptions {
  /** Default 'auto': chooseMatrixStorage. */
  matrix?: MatrixStorage | 'auto';
  /** k: iterations per command buffer and between the CPU's reads of the solver state. */
  checkEvery?: number;
  /** CG's and MINRES's vector work after the matvec (default: the device profile's, krylovStepFor). */
  step?: KrylovStepVariant;
  /** The dense budget of 'auto' (default kDenseBudgetBytes). */
  denseBudgetBytes?: number;
  /** The tree product's relative tolerance of T x (default kDefaultTreeTolerance). */
  treeTolerance?: number;
  /** A spectrum's Lanczos basis (BufferPlan.lanczosBasis), held to the device's buffer limit up front. */
  lanczosBasis?: number;
  /**
   * What the backend is opened to run, whose vectors its memory check counts (GpuOperation), and
   * whose products 'auto' weighs against compiling the tree's passes (treeCrossover).
   */
  operation?: GpuOperation;
  /**
   * The tolerance a run that refines in float64 (below kRefinementRtol, src/run/refine.ts) is held to
   * against M; none where it does not refine. 'auto' takes the tree only where --tree-tol is within it.
   */
  refinedTolerance?: number;
  dense?: GpuMassMatrixOptions;
  free?: GpuMatrixFreeOptions;
  /** The tree's build options beside its tolerance (leaf size, order, opening angle). */
  tree?: Omit<GpuTreeOptions, 'tolerance'>;
  /**
   * Called after each chunk of a long step (the dense assembly, the tree's pipelines, a long product
   * in momenta() or a solver), with the step's name; a throw stops the step there (the CLI's
   * Progress.checkpoint).
   */
  onChunk?: (step: string, done: number, total: number) => void;
}

export interface GpuSpectrumResult extends SpectrumResult {
  readonly lanczos: GpuLanczosResult;
}

export interface GpuBackend extends MassMatrixBackend {
  readonly name: 'gpu';
  readonly matrix: MatrixStorage;
  /**
   * Where 'auto' took the tree (autoStorage) and the tree was refused as it was built, the refusal:
   * M is then matrix-free.
   */
  readonly treeRefusal?: string;
  readonly checkEvery: number;
  velocities(momenta: Float64Array, solver: SolverName, options?: GpuSolveOptions): Promise<GpuSolveResult>;
  spectrum(options?: GpuLanczosOptions): Promise<GpuSpectrumResult>;
}

/**
 * Solves M x = b on the GPU: 'cg', 'minres', or 'auto', by src/solvers/solve.ts's solveWith, the
 * rule of the CPU's solve; an 'auto' result's run statistics are those of CG and MINRES added.
 */
export function gpuSolve(
  engine: KrylovEngine,
  b: ArrayLike<number>,
  solver: SolverName = 'auto',
  options: GpuSolveOptions = {},
): Promise<GpuSolveResult> {
  return solveWith<GpuSolveResult, GpuSolveOptions>(solver, engine.size, options, {
    cg: (cgOptions) => gpuConjugateGradient(engine, b, cgOptions),
    minres: (minresOptions) => gpuMinres(engine, b, minresOptions),
    join: (first, second) => ({ gpu: addStats(first.gpu, second.gpu) }),
  });
}

/**
 * Extreme eigenvalues of D^-1/2 M D^-1/2 at `system`'s eps and the collective parameter (eq. 49), as
 * massSpectrum: Lanczos on the engine's operator at eps = 1, which is then set back to `system`'s eps.
 */
export async function gpuSpectrum(
  engine: KrylovEngine<GpuMassOperator>,
  system: DarwinSystem,
  options: GpuLanczosOptions = {},
): Promise<GpuSpectrumResult> {
  engine.operator.setEpsilon(1);
  try {
    const lanczos = await gpuLanczos(engine, lanczosAt(options, system.epsilon));
    return spectrumFromLanczos(lanczos, system.configuration.n, system.epsilon);
  } finally {
    engine.operator.setEpsilon(system.epsilon);
  }
}

/**
 * The GPU backend of `system`: M assembled (dense) or set up (free) and every Krylov pipeline built,
 * inside error scopes labelled 'GpuBackend.create'. setEpsilon rewrites eps, a uniform of the
 * product, without touching T. Call dispose() to free the GPU memory.
 */
export async function gpuBackend(
  context: GpuContext,
  system: DarwinSystem,
  options: GpuBackendOptions = {},
): Promise<GpuBackend> {
  // Inputs float32 or the device cannot hold are refused before any GPU work, whoever asks (CLI,
  // app, studies).
  let matrix = checkGpuBackendFits(context, system, options);
  const requested = options.matrix ?? 'auto';
  let treeRefusal: string | undefined;
  const tolerance = options.treeTolerance ?? kDefaultTreeTolerance;
  const operator: GpuMassOperator =
    matrix === 'dense'
      ? await GpuMassMatrix.assemble(context, system, {
          onChunk: (done, total) => options.onChunk?.('assembly', done, total),
          ...options.dense,
        }).catch((error: unknown) => {
          throw explainDenseFailure(system, error);
        })
      : matrix === 'tree'
        ? await GpuTreeMassMatrix.create(context, system, {
            onPipeline: (done, total) => options.onChunk?.('tree pipelines', done, total),
            checkFits: (bytes) =>
              checkTreeFits(context, system, tolerance, bytes, options.lanczosBasis, options.operation),
            maxWorkShare: requested === 'auto' ? kTreeWorkShare : undefined,
            ...options.tree,
            tolerance,
          }).catch((error: unknown) => {
            // 'auto' took the tree by treeAllocation's estimate and the crossover N; refused by its walk
            // (lists past their cap, or work past kTreeWorkShare) or by the built tree's own bytes,
            // before anything is allocated, it goes matrix-free.
            if (requested !== 'auto' || !(error instanceof InputError) || error.field !== 'matrix')
              throw error;
            matrix = 'free';
            treeRefusal = error.message;
            // Its absolute positions, which the tree's test above did not look at.
            checkFloat32System(system, 'free');
            return GpuMatrixFreeMassMatrix.create(context, system, options.free);
          })
        : await GpuMatrixFreeMassMatrix.create(context, system, options.free);
  let engine: KrylovEngine<GpuMassOperator> | null;
  try {
    engine = await withErrorScopes(context.device, 'GpuBackend.create', () =>
      createKrylovEngine(context, operator, massDiagonal(system), {
        checkEvery: options.checkEvery,
        step: options.step,
        onChunk: (done, total) => options.onChunk?.('product', done, total),
      }),
    );
  } catch (error) {
    operator.destroy();
    throw error;
  }
  const held = (): KrylovEngine<GpuMassOperator> => {
    if (!engine) throw new Error('gpuBackend used after dispose()');
    return engine;
  };
  let current = system;
  const interaction = (velocities: Float64Array) =>
    gpuInteraction(held(), current, velocities, (done, total) => options.onChunk?.('product', done, total));
  return {
    name: 'gpu',
    get system() {
      return current;
    },
    matrix,
    ...(treeRefusal !== undefined && { treeRefusal }),
    ...(operator instanceof GpuTreeMassMatrix && {
      tree: { ...treeDetails(operator.tree), farField: operator.farField, gpuBytes: operator.bytes },
    }),
    checkEvery: engine.checkEvery,
    momenta: async (velocities) =>
      momentaFrom(massDiagonal(current), velocities, await interaction(velocities)),
    interaction,
    velocities: (p, solver, solveOptions) => gpuSolve(held(), p, solver, solveOptions),
    spectrum: (lanczosOptions) => gpuSpectrum(held(), current, lanczosOptions),
    // Jacobi's D (the engine's diagonal) does not depend on eps: only the operator's uniform changes.
    setEpsilon: (epsilon) => {
      held();
      checkFloat32Epsilon(epsilon);
      operator.setEpsilon(epsilon);
      current = { ...current, epsilon };
    },
    dispose: () => {
      engine?.operator.destroy();
      engine = null;
    },
  };
}

/**
 * eps' of the product that gpuInteraction rescales to, at most: the bound checkFloat32Epsilon holds eps
 * to (sqrt of float32's largest, 2^64), which keeps eps' T_ij v_j finite as it does any eps a user may ask.
 */
const kMostProductEpsilon = 2 ** 64;

/**
 * How far eps' T v outweighs D v in a rescaled product (2^12): y's rounding, 2^-23 |y|, is then
 * 2^-23 (1 + 2^-12) of eps' T v.
 */
const kProductHeadroom = 2 ** 12;

/**
 * eps T v (eq. 48), the interaction part of p = M v of `system` (its eps and D), to float32's
 * relative precision, whatever eps and however far apart the electrons: from the GPU's float32
 * product y = D x + eps' T x at an eps' of its own, T v = (y - D x) / eps', scaled to eps in float64
 * (p = D v + eps T v: momentaFrom). Every kernel rounds y as a whole, to within 2^-23 |y| (WGSL's
 * correct rounding is to either neighbour), which leaves eps' T v that relative error times
 * 1 + |D v| / (eps' |T v|). A small eps (a sphere of 1000 at eps = 2.8e-9: 0.2% of the Darwin
 * energy) is met by eps' = max(1, eps), where |T| grows with N / R; electrons far apart
 * (|T| ~ 1 / (2 r): two at r = 1e5 R, 3.8% of it) by more products, while eps' T v falls short of
 * D v, each at the power of two eps'' that puts eps'' T v at most kProductHeadroom times D v by the
 * last product's bound |eps' T v| <= |y - D x| + 2^-23 |D x| (a y that rounded to D x bounds it by
 * the latter alone: the next product, 2^35 higher, may fall short again). A power of two scales the
 * kernel's float32 sum exactly; eps'' stays at most kMostProductEpsilon, and a rescaled product that
 * is not finite leaves the one before. D x is what the GPU formed from its float32 inputs,
 * fl32(fl32(D) fl32(v)): D v from the float64 v would add eps (fl32(v) - v) to eps T v (at N = 1,
 * p != v).
 */
export async function gpuInteraction(
  engine: KrylovEngine<GpuMassOperator>,
  system: DarwinSystem,
  velocities: Float64Array,
  onChunk?: ChunkHook,
): Promise<Float64Array> {
  const { operator } = engine;
  const { epsilon } = system;
  const diagonal = massDiagonal(system);
  // D x as the kernels form it (the diagonal buffer and rho^2 are float32 D): one float32 product, or
  // exact where fused into y's multiply-add, which then rounds the same where T x is 0.
  const dx = velocities.map((value, k) => Math.fround(Math.fround(diagonal[k]) * Math.fround(value)));
  const dxNorm = norm(dx);
  const productAt = async (productEpsilon: number): Promise<Float64Array> => {
    operator.setEpsilon(productEpsilon);
    return (await gpuMomenta(engine, velocities, onChunk)).map((y, k) => y - dx[k]);
  };
  // The eps' the operator's float32 uniform holds, and eps' T v.
  let productEpsilon = Math.fround(Math.max(1, epsilon));
  let interaction: Float64Array;
  try {
    interaction = await productAt(productEpsilon);
    // One electron (T = 0) or eps = 0 has no interaction part to resolve.
    const resolves = system.configuration.n > 1 && epsilon !== 0;
    let part = norm(interaction);
    while (resolves && part < dxNorm && productEpsilon < kMostProductEpsilon) {
      const bound = part + 2 ** -23 * dxNorm;
      const next = Math.min(
        kMostProductEpsilon,
        2 ** Math.floor(Math.log2((productEpsilon * kProductHeadroom * dxNorm) / bound)),
      );
      const rescaled = await productAt(next);
      if (!rescaled.every(Number.isFinite)) break;
      [productEpsilon, interaction, part] = [next, rescaled, norm(rescaled)];
    }
  } finally {
    operator.setEpsilon(epsilon);
  }
  const share = epsilon / productEpsilon;
  return interaction.map((value) => share * value);
}

/**
 * y = M v at the operator's eps, as the GPU rounds it to float32: one matvec and one readback. A
 * product of several pieces (matrix-free or tree) is submitted piece by piece, `onChunk` called
 * after each.
 */
export async function gpuMomenta(
  engine: KrylovEngine,
  velocities: Float64Array,
  onChunk?: ChunkHook,
): Promise<Float64Array> {
  const { device, size, operator } = engine;
  if (velocities.length !== size)
    throw new RangeError(`velocities have length ${velocities.length}, the system has ${size} unknowns`);
  return withErrorScopes(device, 'GpuBackend.momenta', async () => {
    const v = createVector(device, 'Momenta.v', velocities);
    const p = createVector(device, 'Momenta.p', size);
    try {
      const pieces = productPieces(operator);
      if (pieces > 1) {
        // A long product (matrix-free or tree) piece by piece, like a Krylov solve's: a throw from
        // onChunk stops it between pieces.
        const buffers = Array.from({ length: pieces }, (_, piece) => {
          const encoder = device.createCommandEncoder({ label: `Momenta.piece[${piece}]` });
          operator.recordPiece!(encoder, v, p, piece);
          return { buffer: encoder.finish(), piece };
        });
        await submitPieces(device, buffers, (piece) => onChunk?.(piece + 1, pieces));
      } else {
        const encoder = device.createCommandEncoder({ label: 'Momenta.encoder' });
        operator.record(encoder, v, p);
        device.queue.submit([encoder.finish()]);
      }
      return Float64Array.from(await readFloat32(device, p, size));
    } finally {
      v.destroy();
      p.destroy();
    }
  });
}
