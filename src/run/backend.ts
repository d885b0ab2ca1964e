// What a caller does with a mass matrix, whichever backend holds it: the float64 CPU reference here
// (the physics' entries in the solvers' dense operator), the GPU engine in src/engine. Methods are
// async so the GPU one can await its readbacks.
import { massMatrixEntries, unknowns, type DarwinSystem } from '../physics/models.ts';
import { applyMassMatrix, denseMatrix, type DenseMatrix } from '../solvers/dense.ts';
import { solve } from '../solvers/solve.ts';
import { massSpectrum, type SpectrumResult } from '../solvers/spectrum.ts';
import type { LanczosOptions, Precision, SolveOptions, SolveResult, SolverName } from '../solvers/types.ts';

export interface MassMatrixBackend {
  readonly name: 'cpu' | 'gpu';
  readonly system: DarwinSystem;
  /** p = M v (eq. 47/48): velocities to momenta. */
  momenta(velocities: Float64Array): Promise<Float64Array>;
  /** Solves M v = p for v: the Legendre inversion from momenta back to velocities. */
  velocities(momenta: Float64Array, solver: SolverName, options?: SolveOptions): Promise<SolveResult>;
  /** Extreme eigenvalues of D^-1/2 M D^-1/2 and the collective parameter (eq. 49). */
  spectrum(options?: LanczosOptions): Promise<SpectrumResult>;
  dispose(): void;
}

/** M = D + eps T (eq. 48/50 generalised) as a dense operator, in the given storage precision. */
export function massMatrix(system: DarwinSystem, precision: Precision = 'float64'): DenseMatrix {
  return denseMatrix(unknowns(system), massMatrixEntries(system, precision), precision);
}

/** The CPU reference: a dense M assembled in the given precision (float64 unless mirroring the GPU). */
export function cpuBackend(system: DarwinSystem, precision: Precision = 'float64'): MassMatrixBackend {
  let matrix: DenseMatrix | null = massMatrix(system, precision);
  const held = () => {
    if (!matrix) throw new Error('cpuBackend used after dispose()');
    return matrix;
  };
  return {
    name: 'cpu',
    system,
    momenta: async (velocities) => applyMassMatrix(held(), velocities),
    velocities: async (momenta, solver, options) => solve(held(), momenta, solver, options),
    spectrum: async (options) => massSpectrum(held(), system.configuration.n, system.epsilon, options),
    dispose: () => {
      matrix = null;
    },
  };
}
