// What a caller does with a mass matrix, whichever backend holds it: the float64 CPU reference here
// (the physics' entries in the solvers' dense operator), the GPU engine in src/engine. Methods are
// async so the GPU one can await its readbacks.
import type { DeviceMemory } from '../gpu/device.ts';
import { InputError } from '../physics/input-error.ts';
import { massDiagonal, massMatrixEntries, unknowns, type DarwinSystem } from '../physics/models.ts';
import { parallelMassMatrixEntries } from '../parallel/mass-matrix.ts';
import type { WorkerPool } from '../parallel/pool.ts';
import { applyMassMatrix, denseMatrix, type DenseMatrix } from '../solvers/dense.ts';
import { solve } from '../solvers/solve.ts';
import { lanczosHeldVectors } from '../solvers/lanczos.ts';
import { massSpectrum, type SpectrumResult } from '../solvers/spectrum.ts';
import {
  vectorOf,
  type LanczosOptions,
  type LinearOperator,
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
  /** p = M v (eq. 47/48): velocities to momenta. */
  momenta(velocities: Float64Array): Promise<Float64Array>;
  /** Solves M v = p for v: the Legendre inversion from momenta back to velocities. */
  velocities(momenta: Float64Array, solver: SolverName, options?: SolveOptions): Promise<SolveResult>;
  /** Extreme eigenvalues of D^-1/2 M D^-1/2 and the collective parameter (eq. 49). */
  spectrum(options?: LanczosOptions): Promise<SpectrumResult>;
  /**
   * Makes M = D + `epsilon` T for every later call, keeping T: a sweep over eps at one
   * configuration assembles once (issue 11). The same backend, mutated, rather than a new one
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
export function interactionMatrix(system: DarwinSystem, precision: Precision = 'float64'): DenseMatrix {
  const size = unknowns(system);
  // eps = 1 multiplies every interaction entry exactly.
  const entries = massMatrixEntries({ ...system, epsilon: 1 }, precision);
  for (let k = 0; k < size; k++) entries[k * size + k] = 0;
  return denseMatrix(size, entries, precision);
}

/**
 * interactionMatrix in float64 on the pool's threads: the same entries bit for bit, and products
 * equal to its own to rounding (the pool's SIMD row sums, src/solvers/dense.ts).
 */
function parallelInteractionMatrix(system: DarwinSystem, pool: WorkerPool): DenseMatrix {
  const size = unknowns(system);
  const entries = parallelMassMatrixEntries({ ...system, epsilon: 1 }, pool);
  for (let k = 0; k < size; k++) entries[k * size + k] = 0;
  return denseMatrix(size, entries, 'float64', pool);
}

/** M = D + eps T with T stored apart and eps a field: the CPU's counterpart of the GPU's storage. */
export interface SplitMassMatrix extends LinearOperator {
  epsilon: number;
}

/**
 * M x = D x + eps (T x), T dense in the given precision. The float32 variant rounds as the GPU's
 * dense product does: T's entries, x and y stored in float32, the sums in a wider type.
 */
export function splitMassMatrix(
  system: DarwinSystem,
  precision: Precision = 'float64',
  pool?: WorkerPool,
): SplitMassMatrix {
  const interaction =
    pool && precision === 'float64'
      ? parallelInteractionMatrix(system, pool)
      : interactionMatrix(system, precision);
  const diagonal = massDiagonal(system);
  const product: Vector = vectorOf(precision, interaction.size);
  const matrix: SplitMassMatrix = {
    size: interaction.size,
    precision,
    epsilon: system.epsilon,
    apply(x, y) {
      interaction.apply(x, product);
      for (let k = 0; k < y.length; k++) y[k] = diagonal[k] * x[k] + matrix.epsilon * product[k];
    },
    diagonal: () => Float64Array.from(diagonal),
  };
  return matrix;
}

/** Bytes in GB for messages: 1.18 GB, 32.5 GB, 3240.0 GB. */
export function gigabytes(bytes: number): string {
  const value = bytes / 1e9;
  return `${value < 10 ? value.toPrecision(3) : value.toFixed(1)} GB`;
}

/**
 * Bytes the CPU reference holds: the float64 T, (b N)^2 * 8 bytes, and the float64 vectors beside
 * it: a Lanczos run's basis with its restart's kept vectors, and a solve's few vectors.
 */
export function cpuBackendBytes(system: DarwinSystem): number {
  const size = unknowns(system);
  return 8 * size * size + 8 * size * (lanczosHeldVectors(size) + kSolveVectors);
}

/** Float64 vectors of a CG or MINRES solve beside M (MINRES's nine, rounded up). */
const kSolveVectors = 16;

/**
 * Throws an InputError when the CPU reference of `system` takes more than `memory` holds (the CLI:
 * the host's free memory), before anything is allocated.
 */
export function checkCpuFits(system: DarwinSystem, memory: DeviceMemory): void {
  const need = cpuBackendBytes(system);
  const available = memory.availableBytes();
  if (need > available) {
    const size = unknowns(system);
    throw new InputError(
      `--device cpu needs ${gigabytes(need)} for the ${size} x ${size} float64 M, ` +
        `more than the ${gigabytes(available)} of ${memory.source}; ` +
        'use --device gpu --matrix free, which recomputes the entries in every product in O(N) memory',
      'device',
    );
  }
}

/**
 * The CPU reference: M = D + eps T with T dense in the given precision (float64 unless mirroring
 * the GPU); setEpsilon changes eps without reassembly, exactly as a fresh backend would compute.
 * `pool`: assemble and apply the float64 T on its threads (the same numbers bit for bit for any
 * number of threads, equal to a backend without a pool to rounding); the backend owns the pool and
 * disposes it with itself.
 */
export function cpuBackend(
  system: DarwinSystem,
  precision: Precision = 'float64',
  pool?: WorkerPool,
): MassMatrixBackend {
  let matrix: SplitMassMatrix | null = null;
  try {
    matrix = splitMassMatrix(system, precision, pool);
  } catch (error) {
    pool?.dispose();
    throw error;
  }
  let current = system;
  const held = () => {
    if (!matrix) throw new Error('cpuBackend used after dispose()');
    return matrix;
  };
  return {
    name: 'cpu',
    get system() {
      return current;
    },
    momenta: async (velocities) => applyMassMatrix(held(), velocities),
    velocities: async (momenta, solver, options) => solve(held(), momenta, solver, options),
    spectrum: async (options) => massSpectrum(held(), current.configuration.n, current.epsilon, options),
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
