// Systems of the tests and their closed forms.
import { geometry, type GeometryName } from '../../src/physics/geometry.ts';
import type { DarwinSystem, Dimension, ModelName } from '../../src/physics/models.ts';
import { ringCirculantEigenvalues } from '../../src/physics/ring.ts';
import type { SolveRequest } from '../../src/run/solve.ts';

export function darwinSystem(
  shape: GeometryName,
  n: number,
  model: ModelName,
  dim: Dimension,
  epsilon: number,
  softening = 0,
): DarwinSystem {
  return { configuration: geometry(shape, n), model, dim, epsilon, softening };
}

/**
 * The spectrum of the ring's D^-1/2 M D^-1/2 = I + eps C (azimuthal model, D = rho^2 = I):
 * 1 + eps lambda_k(C), ascending.
 */
export function ringSpectrum(n: number, epsilon: number): Float64Array {
  return ringCirculantEigenvalues(n)
    .map((lambda) => 1 + epsilon * lambda)
    .sort();
}

/** solve's momenta mode, p = M v of `given`, as runSolve asks it (no pattern, no solve). */
export function momentaRequest(given: Float64Array): SolveRequest {
  return { mode: 'momenta', given, pattern: null, seed: null, solver: 'cg', rtol: 1e-8 };
}

/** solve's velocities mode, M v = `given` solved by CG to `rtol`, as runSolve asks it (no pattern). */
export function velocitiesRequest(given: Float64Array, rtol: number): SolveRequest {
  return { mode: 'velocities', given, pattern: null, seed: null, solver: 'cg', rtol };
}
