// What a caller does with a mass matrix, whichever backend holds it: the float64 CPU reference here
// (the physics' entries in the solvers' dense operator, or the fast multipole tree's product), the
// GPU engine in src/engine. Methods are async so the GPU one can await its readbacks.
import type { DeviceMemory } from '../gpu/device.ts';
import { InputError } from '../physics/input-error.ts';
import { gigabytes } from '../io/formats.ts';
import type { MatrixChoice } from './inputs.ts';
import {
  kMaxDenseSize,
  massDiagonal,
  massMatrixEntries,
  unknowns,
  type DarwinSystem,
  type SystemSize,
} from '../physics/models.ts';
import { parallelMassMatrixEntries } from '../parallel/mass-matrix.ts';
import type { WorkerPool } from '../parallel/pool.ts';
import { termCount } from '../physics/cartesian-expansion.ts';
import {
  buildTree,
  sharedArrays,
  kDefaultTreeTolerance,
  kTreeWorkShare,
  treeAccuracy,
  treeDetails,
  type Tree,
  type TreeDetails,
  type TreeOptions,
} from '../physics/tree-build.ts';
import { treeInteraction, type KernelRunner } from '../physics/treecode.ts';
import { applyMassMatrix, denseMatrix, type DenseMatrix } from '../solvers/dense.ts';
import { solve } from '../solvers/solve.ts';
import { lanczosHeldVectors } from '../solvers/lanczos.ts';
import { massSpectrum, type EpsilonOperator, type SpectrumResult } from '../solvers/spectrum.ts';
import {
  vectorOf,
  type LanczosOptions,
  type Precision,
  type SolveOptions,
  type SolveResult,
  type SolverName,
  type Vector,
} from '../solvers/types.ts';

export interface MassMatrixBackend {
  readonly name: 'cpu' | 'gpu';
  /** The system of M; its epsilon follows setEpsilon. */
  readonly system: DarwinSystem;
  /** Present when M's product is the fast multipole tree's (--matrix tree). */
  readonly tree?: TreeDetails;
  /** p = M v (eq. 47/48): velocities to momenta, D v + interaction(v) (momentaFrom). */
  momenta(velocities: Float64Array): Promise<Float64Array>;
  /**
   * eps T v (eq. 48), the interaction part of p = M v apart from D v, in float64: what the energies
   * take (src/physics/observables.ts), since p's float64 holds it only to 2^-53 |D v|.
   */
  interaction(velocities: Float64Array): Promise<Float64Array>;
  /** Solves M v = p for v: the Legendre inversion from momenta back to velocities. */
  velocities(momenta: Float64Array, solver: SolverName, options?: SolveOptions): Promise<SolveResult>;
  /** Extreme eigenvalues of D^-1/2 M D^-1/2 and the collective parameter (eq. 49). */
  spectrum(options?: LanczosOptions): Promise<SpectrumResult>;
  /**
   * Makes M = D + `epsilon` T for every later call, keeping T: a sweep over eps at one
   * configuration assembles once. The same backend, mutated, rather than a new one
   * sharing the storage: one owner of the storage, one dispose().
   */
  setEpsilon(epsilon: number): void;
  dispose(): void;
}

/** M = D + eps T (eq. 48/50 generalised) as a dense operator, in the given storage precision. */
export function massMatrix(system: DarwinSystem, precision: Precision = 'float64'): DenseMatrix {
  return denseMatrix(unknowns(system), massMatrixEntries(system, precision), precision);
}

/** The interaction T of M = D + eps T as a dense operator: M's off-diagonal entries at eps = 1. */
export function interactionMatrix(
  system: DarwinSystem,
  precision: Precision = 'float64',
  onAssembly?: AssemblyHook,
): DenseMatrix {
  const size = unknowns(system);
  // eps = 1 multiplies every interaction entry exactly.
  const entries = massMatrixEntries({ ...system, epsilon: 1 }, precision, onAssembly);
  for (let k = 0; k < size; k++) entries[k * size + k] = 0;
  return denseMatrix(size, entries, precision);
}

/**
 * interactionMatrix in float64 on the pool's threads: the same entries bit for bit, and products
 * equal to its own to rounding (the pool's SIMD row sums, src/solvers/dense.ts); `onAssembly` hears
 * the assembly's chunks (parallelMassMatrixEntries).
 */
function parallelInteractionMatrix(
  system: DarwinSystem,
  pool: WorkerPool,
  onAssembly?: AssemblyHook,
): DenseMatrix {
  const size = unknowns(system);
  const entries = parallelMassMatrixEntries({ ...system, epsilon: 1 }, pool, onAssembly);
  for (let k = 0; k < size; k++) entries[k * size + k] = 0;
  return denseMatrix(size, entries, 'float64', pool);
}

/**
 * M = D + eps T with T stored apart and eps a field: the CPU's counterpart of the GPU's storage;
 * `interaction` puts eps T x in y (y's precision rounds it: a float64 y holds it exactly as the
 * product forms it).
 */
export type SplitMassMatrix = EpsilonOperator & { interaction(x: Vector, y: Vector): void };

/** Hears chunk `done` of `total` of a dense M's assembly; may throw to stop it. */
export type AssemblyHook = (done: number, total: number) => void;

/**
 * M x = D x + eps (T x), T dense in the given precision. The float32 variant rounds as the GPU's
 * dense product does: T's entries, x and y stored in float32, the sums in a wider type. `onAssembly`
 * hears the chunks of T's assembly, on `pool` or on this thread.
 */
export function splitMassMatrix(
  system: DarwinSystem,
  precision: Precision = 'float64',
  pool?: WorkerPool,
  onAssembly?: AssemblyHook,
): SplitMassMatrix {
  const interaction =
    pool && precision === 'float64'
      ? parallelInteractionMatrix(system, pool, onAssembly)
      : interactionMatrix(system, precision, onAssembly);
  return splitOperator(system, precision, (x, y) => interaction.apply(x, y));
}

/**
 * M x = D x + eps (T x) with T x the fast multipole tree's (src/physics/treecode.ts), in float64, to
 * the tree's tolerance: O(N) memory, the tree built once for every eps.
 */
export function treeMassMatrix(
  tree: Tree,
  runner?: KernelRunner,
  onPass?: (pass: string) => void,
): SplitMassMatrix {
  return splitOperator(tree.system, 'float64', (x, y) => treeInteraction(tree, x, y, runner, onPass));
}

function splitOperator(
  system: DarwinSystem,
  precision: Precision,
  interaction: (x: Vector, y: Vector) => void,
): SplitMassMatrix {
  const size = unknowns(system);
  const diagonal = massDiagonal(system);
  const product: Vector = vectorOf(precision, size);
  const matrix: SplitMassMatrix = {
    size,
    precision,
    epsilon: system.epsilon,
    apply(x, y) {
      interaction(x, product);
      for (let k = 0; k < y.length; k++) y[k] = diagonal[k] * x[k] + matrix.epsilon * product[k];
    },
    interaction(x, y) {
      interaction(x, product);
      for (let k = 0; k < y.length; k++) y[k] = matrix.epsilon * product[k];
    },
    diagonal: () => Float64Array.from(diagonal),
  };
  return matrix;
}

/**
 * Bytes the CPU reference holds: the float64 T, (b N)^2 * 8 bytes, and the float64 vectors beside
 * it: a solve's few vectors, and a Lanczos run's basis of `lanczosBasis` vectors (a spectrum's
 * --basis; none where undefined) with its restart's kept vectors.
 */
export function cpuBackendBytes(system: SystemSize, lanczosBasis?: number): number {
  const size = unknowns(system);
  return 8 * size * size + cpuVectorBytes(size, lanczosBasis);
}

/** The float64 vectors of cpuBackendBytes: a solve's, and the Lanczos basis where one is counted. */
function cpuVectorBytes(size: number, lanczosBasis?: number): number {
  const basis = lanczosBasis === undefined ? 0 : lanczosHeldVectors(size, lanczosBasis);
  return 8 * size * (basis + kSolveVectors);
}

/** Float64 vectors of a CG or MINRES solve beside M (MINRES's nine, rounded up). */
const kSolveVectors = 16;

/**
 * Bytes of the tree backend at `tolerance`: the tree (treeBytesPerElectron) and the vectors of
 * cpuBackendBytes.
 */
export function cpuTreeBackendBytes(
  system: SystemSize,
  tolerance: number = kDefaultTreeTolerance,
  lanczosBasis?: number,
): number {
  return (
    treeBytesPerElectron(tolerance) * system.configuration.n + cpuVectorBytes(unknowns(system), lanczosBasis)
  );
}

/**
 * The tree's typed arrays per electron: about 200 bytes of positions, charges, sums and indices, and
 * the expansions of its nodes, about 4 bytes per term of order p (a node per ~20 electrons, each
 * with float64 moments and local coefficients of 4 charges). Measured on balls and disks of 10^4 and
 * 5 * 10^4 electrons: 489, 1565 and 3801 bytes at p = 6, 11, 16 (tolerance 1e-3, 1e-5, 1e-7),
 * against 536, 1656, 4076 here.
 */
export function treeBytesPerElectron(tolerance: number): number {
  return 200 + 4 * termCount(treeAccuracy(tolerance).order);
}

/**
 * Throws an InputError when the CPU backend of `system` (dense, or the tree) with a spectrum's basis
 * of `lanczosBasis` vectors (none for a solve) takes more than `memory` holds (the CLI: the host's
 * free memory), before anything is allocated.
 */
export function checkCpuFits(
  system: SystemSize,
  memory: DeviceMemory,
  tree: { readonly tolerance: number } | null = null,
  lanczosBasis?: number,
): void {
  const need = tree
    ? cpuTreeBackendBytes(system, tree.tolerance, lanczosBasis)
    : cpuBackendBytes(system, lanczosBasis);
  const available = memory.availableBytes();
  const basis = lanczosBasis === undefined ? '' : ` and a Lanczos basis of ${lanczosBasis} vectors`;
  if (tree) {
    if (need <= available) return;
    const withoutBasis = cpuTreeBackendBytes(system, tree.tolerance);
    const held = basis ? `the tree, the solvers' vectors${basis}` : "the tree and the solvers' vectors";
    throw new InputError(
      `--device cpu --matrix tree needs ${gigabytes(need)} for ${held}, ` +
        `more than the ${gigabytes(available)} of ${memory.source}` +
        (lanczosBasis !== undefined && withoutBasis <= available
          ? '; a smaller Lanczos basis holds less (spectrum --basis)'
          : ''),
      'device',
    );
  }
  const size = unknowns(system);
  if (size > kMaxDenseSize) {
    throw new InputError(
      `--device cpu holds a dense M of at most ${kMaxDenseSize} unknowns, this system has ${size}; ` +
        'use --matrix tree, the fast multipole product in O(N) memory (to --tree-tol)',
      'matrix',
    );
  }
  if (need <= available) return;
  throw new InputError(
    `--device cpu needs ${gigabytes(need)} for the ${size} x ${size} float64 M, its vectors${basis}, ` +
      `more than the ${gigabytes(available)} of ${memory.source}; ` +
      'use --device gpu --matrix free, which recomputes the entries in every product in O(N) memory, ' +
      'or --matrix tree, the fast multipole product in O(N) memory (to --tree-tol)',
    'device',
  );
}

/**
 * Unknowns from which 'auto' on the CPU takes the tree: past the dense reference's largest size
 * (kMaxDenseSize), since the dense product is the faster wherever it is held. On a ball (vector
 * model, tolerance 1e-5) a dense product takes a half (N = 3000) to two thirds (N = 5000) of a tree
 * product, but its assembly costs as much as 2 to 8 tree products against a tree build of under
 * a tenth of one; the two would meet in time near 3 * 10^4 unknowns, where the dense M takes 100
 * times the tree's memory.
 */
export const kCpuTreeMinUnknowns = kMaxDenseSize + 1;

/**
 * One `warning:` line where the built tree costs more than kTreeWorkShare of the matrix-free
 * product's pairs (treeWorkShare, by which 'auto' on the GPU goes matrix-free): it sums most pairs
 * directly, so its product is an O(N^2) sum. Pairs of nodes closer than a / sqrt(2 tol) are summed
 * directly whatever the opening angle (treecode.ts), so a softening a past ~0.005 R at the default
 * tolerance does it to any configuration; a ball's tree does it below ~7.5e4 electrons. On the GPU
 * 'auto' has gone matrix-free there (TreeOptions.maxWorkShare); the CPU's 'auto' takes the tree only
 * past the dense M's size, where it has nothing faster. Null otherwise.
 */
export function treeWorkWarning(backend: Pick<MassMatrixBackend, 'name' | 'system' | 'tree'>): string | null {
  const { tree } = backend;
  if (!tree || !(tree.workShare > kTreeWorkShare)) return null;
  const { n } = backend.system.configuration;
  const percent = (share: number) => `${(100 * share).toFixed(0)}%`;
  const cause =
    2 * tree.softenedPairs > tree.directPairs
      ? `the softening: node pairs closer than a / sqrt(2 tol) = ${tree.softeningDistance.toPrecision(3)} R ` +
        `are summed directly (${percent(tree.softenedPairs / (n * (n - 1)))} of the pairs)`
      : 'the configuration: few of its nodes are far enough apart for the opening angle';
  const remedy =
    backend.name === 'gpu'
      ? '--matrix free is as fast and holds only the positions'
      : unknowns(backend.system) < kCpuTreeMinUnknowns
        ? 'the dense M (--matrix dense) is faster'
        : "past the dense M's size the CPU has no faster product (the GPU's --matrix free is one)";
  return (
    `warning: the tree sums ${percent(tree.directPairs / (n * (n - 1)))} of the pairs directly (its ` +
    `product costs ${percent(tree.workShare)} of the matrix-free product's N (N - 1) pairs) because of ` +
    `${cause}: ${remedy}`
  );
}

/**
 * How the CPU holds M for a --matrix choice: 'tree' as asked; 'dense' for dense and free (the CPU
 * has no matrix-free product of its own); 'auto' dense below kCpuTreeMinUnknowns while it fits
 * `memory` with a basis of `lanczosBasis` vectors (none for a solve; checkCpuFits), else the tree.
 */
export function chooseCpuStorage(
  system: SystemSize,
  matrix: MatrixChoice,
  memory: DeviceMemory,
  lanczosBasis?: number,
): 'dense' | 'tree' {
  if (matrix !== 'auto') return matrix === 'tree' ? 'tree' : 'dense';
  if (unknowns(system) >= kCpuTreeMinUnknowns) return 'tree';
  try {
    checkCpuFits(system, memory, null, lanczosBasis);
    return 'dense';
  } catch {
    return 'tree';
  }
}

/**
 * The storage of the CPU backend of a --matrix choice (chooseCpuStorage) at `treeTolerance`, refused
 * with an InputError where it cannot fit `memory` with a spectrum's basis of `lanczosBasis` vectors
 * (checkCpuFits). Nothing is allocated.
 */
export function checkCpuBackendFits(
  system: SystemSize,
  matrix: MatrixChoice,
  treeTolerance: number,
  memory: DeviceMemory,
  lanczosBasis?: number,
): 'dense' | 'tree' {
  const storage = chooseCpuStorage(system, matrix, memory, lanczosBasis);
  checkCpuFits(system, memory, storage === 'tree' ? { tolerance: treeTolerance } : null, lanczosBasis);
  return storage;
}

/**
 * The CPU backend of a --matrix choice (chooseCpuStorage) at `treeTolerance`, refused up front
 * (checkCpuFits, with a spectrum's basis of `lanczosBasis` vectors) where it cannot fit `memory`;
 * `announce` hears the storage before the build, `onAssembly` a dense M's assembly chunks, `onStage`
 * the tree build's stages, `onPass` the passes of the tree's products; a dense M's assembly and
 * products, or the tree's products, run on the threads of `pool`'s workers.
 */
export function openCpuBackend(
  system: DarwinSystem,
  matrix: MatrixChoice,
  treeTolerance: number,
  memory: DeviceMemory,
  options: {
    readonly announce?: (storage: 'dense' | 'tree') => void;
    /** Hears each chunk of a dense M's assembly on the pool (parallelMassMatrixEntries). */
    readonly onAssembly?: AssemblyHook;
    /** Hears each stage of the tree's build (TreeOptions.onStage). */
    readonly onStage?: (stage: string) => void;
    /** Hears each pass of the tree's products (treeInteraction's onPass). */
    readonly onPass?: (pass: string) => void;
    readonly pool?: () => WorkerPool;
    readonly lanczosBasis?: number;
  } = {},
): MassMatrixBackend {
  const { announce, onAssembly, onStage, onPass, pool, lanczosBasis } = options;
  const storage = checkCpuBackendFits(system, matrix, treeTolerance, memory, lanczosBasis);
  announce?.(storage);
  return storage === 'tree'
    ? cpuTreeBackend(system, { tolerance: treeTolerance, onStage }, pool?.(), onPass)
    : cpuBackend(system, 'float64', pool?.(), onAssembly);
}

/**
 * The CPU reference: M = D + eps T with T dense in the given precision (float64 unless mirroring
 * the GPU); setEpsilon changes eps without reassembly, exactly as a fresh backend would compute.
 * `pool`: assemble and apply the float64 T on its threads (the same numbers bit for bit for any
 * number of threads, equal to a backend without a pool to rounding), `onAssembly` hearing the
 * assembly's chunks; the backend owns the pool and disposes it with itself.
 */
export function cpuBackend(
  system: DarwinSystem,
  precision: Precision = 'float64',
  pool?: WorkerPool,
  onAssembly?: AssemblyHook,
): MassMatrixBackend {
  let split: SplitMassMatrix;
  try {
    split = splitMassMatrix(system, precision, pool, onAssembly);
  } catch (error) {
    pool?.dispose();
    throw error;
  }
  return splitBackend(system, split, { pool });
}

/**
 * The CPU backend with the fast multipole tree as M's product (treeMassMatrix): float64, O(N)
 * memory, within the tree's tolerance (default kDefaultTreeTolerance) of the dense reference's
 * products; setEpsilon keeps the tree. `pool`: the tree's arrays in its shared memory and every pass
 * of a product on its threads (src/physics/treecode.ts); the backend owns the pool and disposes it
 * with itself.
 */
export function cpuTreeBackend(
  system: DarwinSystem,
  options: Omit<TreeOptions, 'precision'> = {},
  pool?: WorkerPool,
  onPass?: (pass: string) => void,
): MassMatrixBackend & { readonly tree: TreeDetails } {
  let tree: Tree;
  try {
    tree = buildTree(system, options, pool && sharedArrays(pool));
  } catch (error) {
    pool?.dispose();
    throw error;
  }
  return splitBackend(system, treeMassMatrix(tree, pool, onPass), { tree: treeDetails(tree), pool });
}

/** What a split backend holds beside M: the tree's details to report, the worker pool it disposes. */
interface SplitExtras {
  readonly tree?: TreeDetails;
  readonly pool?: WorkerPool;
}

function splitBackend(
  system: DarwinSystem,
  split: SplitMassMatrix,
  extras: SplitExtras & { readonly tree: TreeDetails },
): MassMatrixBackend & { readonly tree: TreeDetails };
function splitBackend(system: DarwinSystem, split: SplitMassMatrix, extras: SplitExtras): MassMatrixBackend;
function splitBackend(
  system: DarwinSystem,
  split: SplitMassMatrix,
  { tree, pool }: SplitExtras,
): MassMatrixBackend {
  let matrix: SplitMassMatrix | null = split;
  let current = system;
  const held = () => {
    if (!matrix) throw new Error('cpuBackend used after dispose()');
    return matrix;
  };
  return {
    name: 'cpu',
    ...(tree && { tree }),
    get system() {
      return current;
    },
    momenta: async (velocities) => applyMassMatrix(held(), velocities),
    interaction: async (velocities) => {
      const y = new Float64Array(velocities.length);
      held().interaction(velocities, y);
      return y;
    },
    velocities: async (momenta, solver, options) => solve(held(), momenta, solver, options),
    spectrum: async (options) => massSpectrum(held(), current.configuration.n, options),
    setEpsilon: (epsilon) => {
      held().epsilon = epsilon;
      current = { ...current, epsilon };
    },
    dispose: () => {
      matrix = null;
      pool?.dispose();
    },
  };
}
