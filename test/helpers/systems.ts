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

/**
 * eps v^T T v / 2 of the vector 3D model by eq. 1's pair sum, T_ij = (I + n n^T) / (2 r) for each
 * pair once, Neumaier-compensated in float64: the Darwin energy apart from every product's code.
 */
export function darwinPairSum(system: DarwinSystem, v: ArrayLike<number>): number {
  const { n, positions } = system.configuration;
  let sum = 0;
  let compensation = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const d = [0, 1, 2].map((c) => positions[3 * i + c] - positions[3 * j + c]);
      const r = Math.hypot(d[0], d[1], d[2]);
      const vi = [0, 1, 2].map((c) => v[3 * i + c]);
      const vj = [0, 1, 2].map((c) => v[3 * j + c]);
      const along =
        (vi[0] * d[0] + vi[1] * d[1] + vi[2] * d[2]) * (vj[0] * d[0] + vj[1] * d[1] + vj[2] * d[2]);
      // v_i . T_ij v_j + v_j . T_ji v_i, T symmetric.
      const term = (vi[0] * vj[0] + vi[1] * vj[1] + vi[2] * vj[2] + along / (r * r)) / r;
      const total = sum + term;
      compensation += Math.abs(sum) >= Math.abs(term) ? sum - total + term : term - total + sum;
      sum = total;
    }
  }
  return (system.epsilon * (sum + compensation)) / 2;
}
