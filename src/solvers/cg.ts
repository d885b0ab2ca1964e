// Jacobi-preconditioned conjugate gradients for M v = p (eq. 48/50): the Legendre inversion from
// momenta back to velocities while M is positive definite.
import { dot, norm } from '../math/vectors.ts';
import { finishKrylov, residualInto, startKrylov, stoppingReason, zeroRightHandSide } from './krylov.ts';
import {
  vectorOf,
  type ConvergenceReason,
  type LinearOperator,
  type Precision,
  type SolveOptions,
  type SolveResult,
  type Vector,
} from './types.ts';

/**
 * Solves A x = b by CG with the Jacobi preconditioner D = diag A (1 in the vector model, rho_i^2 in the
 * azimuthal one, so the preconditioned M is I + eps D^-1/2 T D^-1/2 in the scaling of eq. 50).
 *
 * Reasons: converged_rtol / converged_atol by ||r_k|| <= max(atol, rtol ||b||); diverged_indefinite as
 * soon as p^T A p <= 0, r^T D^-1 r <= 0 or a diagonal entry is <= 0 (each proves A is not SPD, which is
 * what solve(..., 'auto') switches to MINRES on); diverged_nan for a non-finite scalar; diverged_max_it
 * after maxIterations, or when onIteration returns false (a stop requested before convergence).
 */
export function conjugateGradient(
  op: LinearOperator,
  b: ArrayLike<number>,
  options: SolveOptions = {},
): SolveResult {
  const start = startKrylov(op, b, options);
  if (start.bNorm === 0) return zeroRightHandSide(op, start, 'cg');
  const { size, precision, round, x } = start;
  const r = vectorOf(precision, size);
  const z = vectorOf(precision, size);
  const p = vectorOf(precision, size);
  const q = vectorOf(precision, size);
  residualInto(op, start.b, x, r, q);
  let residualNorm = round(norm(r));
  const history = [residualNorm];
  const finish = (reason: ConvergenceReason, iterations: number) =>
    finishKrylov(op, start, 'cg', x, reason, iterations, residualNorm, history);
  const initial = stoppingReason(start, history, 0, residualNorm);
  if (initial) return finish(initial, 0);

  const jacobi = cgInverseDiagonal(op.diagonal(), precision);
  if (jacobi.reason) return finish(jacobi.reason, 0);
  const inverseDiagonal = jacobi.inverse;
  for (let k = 0; k < size; k++) {
    z[k] = inverseDiagonal[k] * r[k];
    p[k] = z[k];
  }
  let rz = round(dot(r, z));
  if (!Number.isFinite(rz)) return finish('diverged_nan', 0);
  if (rz <= 0) return finish('diverged_indefinite', 0);

  // No loop bound: stoppingReason ends the solve at maxIterations at the latest.
  for (let iteration = 1; ; iteration++) {
    op.apply(p, q);
    const curvature = round(dot(p, q));
    if (!Number.isFinite(curvature)) return finish('diverged_nan', iteration - 1);
    if (curvature <= 0) return finish('diverged_indefinite', iteration - 1);
    const alpha = round(rz / curvature);
    for (let k = 0; k < size; k++) {
      x[k] += alpha * p[k];
      r[k] -= alpha * q[k];
    }
    residualNorm = round(norm(r));
    const stop = stoppingReason(start, history, iteration, residualNorm);
    if (stop) return finish(stop, iteration);

    for (let k = 0; k < size; k++) z[k] = inverseDiagonal[k] * r[k];
    const rzNext = round(dot(r, z));
    if (!Number.isFinite(rzNext)) return finish('diverged_nan', iteration);
    if (rzNext <= 0) return finish('diverged_indefinite', iteration);
    const beta = round(rzNext / rz);
    rz = rzNext;
    for (let k = 0; k < size; k++) p[k] = z[k] + beta * p[k];
  }
}

/**
 * D^-1 in the given precision (the GPU engine's in float32), or why CG stops at iteration 0 instead:
 * an entry that is NaN (diverged_nan) or <= 0 (diverged_indefinite: e_k^T A e_k <= 0 already proves
 * A is not positive definite).
 */
export function cgInverseDiagonal(
  diagonal: Float64Array,
  precision: Precision,
): { inverse: Vector; reason: ConvergenceReason | null } {
  const inverse = vectorOf(precision, diagonal.length);
  for (let k = 0; k < diagonal.length; k++) {
    const d = diagonal[k];
    if (Number.isNaN(d)) return { inverse, reason: 'diverged_nan' };
    if (!(d > 0)) return { inverse, reason: 'diverged_indefinite' };
    inverse[k] = 1 / d;
  }
  return { inverse, reason: null };
}
