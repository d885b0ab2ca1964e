// Preconditioned MINRES (Paige and Saunders 1975, in the form of scipy's sparse/linalg/_isolve/minres.py)
// for a symmetric, possibly indefinite A: the ring's mass matrix I + eps V (eq. 50) loses positivity once
// 1 + eps lambda_min(V) < 0, where CG has no minimisation principle left but MINRES still minimises
// ||r||_{D^-1} over the Krylov space. The preconditioner must be SPD: D = diag A is (1, or rho_i^2 > 0)
// for every physical system; an operator with a diagonal entry <= 0 runs unpreconditioned instead.
//
// The recurrences only know phibar = ||r||_{D^-1}, but the stopping rule is on ||r||_2. So r is carried
// explicitly: x_k = x_{k-1} + phi_k w_k, hence r_k = r_{k-1} - phi_k A w_k, and A w_k follows the same
// three-term recurrence as w_k from A v_k, which the Lanczos step computes anyway: no extra matvec.
import { dot, norm } from '../math/vectors.ts';
import { finishKrylov, residualInto, startKrylov, stoppingReason, zeroRightHandSide } from './krylov.ts';
import {
  vectorOf,
  type ConvergenceReason,
  type LinearOperator,
  type SolveOptions,
  type SolveResult,
  type Vector,
} from './types.ts';

/**
 * Solves A x = b for symmetric A by MINRES with the Jacobi preconditioner D = diag A.
 *
 * Reasons: converged_rtol / converged_atol by ||r_k||_2 <= max(atol, rtol ||b||) on the explicitly
 * updated residual; diverged_breakdown when the preconditioned Lanczos norm beta_{k+1}^2 = r^T D^-1 r
 * comes out negative (A not symmetric), or beta_{k+1} = 0 or gamma_k = 0 leave the recurrence unable to
 * continue without having converged (A singular on the Krylov space); diverged_nan for a non-finite
 * scalar; diverged_max_it after maxIterations, or when onIteration returns false.
 */
export function minres(op: LinearOperator, b: ArrayLike<number>, options: SolveOptions = {}): SolveResult {
  const start = startKrylov(op, b, options);
  if (start.bNorm === 0) return zeroRightHandSide(op, start, 'minres');
  const { size, precision, round, x } = start;
  const vector = () => vectorOf(precision, size);
  const r = vector();
  let r1 = vector();
  let r2 = vector();
  let y = vector();
  const v = vector();
  const av = vector();
  let w = vector();
  let w1 = vector();
  let w2 = vector();
  let aw = vector();
  let aw1 = vector();
  let aw2 = vector();
  residualInto(op, start.b, x, r, av);
  let residualNorm = round(norm(r));
  const history = [residualNorm];
  const finish = (reason: ConvergenceReason, iterations: number) =>
    finishKrylov(op, start, 'minres', x, reason, iterations, residualNorm, history);
  const initial = stoppingReason(start, history, 0, residualNorm);
  if (initial) return finish(initial, 0);

  const inverseDiagonal = minresInverseDiagonal(op.diagonal(), vector());
  const precondition = (source: Vector, target: Vector) => {
    if (inverseDiagonal) for (let k = 0; k < size; k++) target[k] = inverseDiagonal[k] * source[k];
    else target.set(source);
  };
  r1.set(r);
  r2.set(r);
  precondition(r1, y);
  const beta1Squared = round(dot(r1, y));
  if (!Number.isFinite(beta1Squared)) return finish('diverged_nan', 0);
  if (!(beta1Squared > 0)) return finish('diverged_breakdown', 0);
  // Scalars named as in Paige-Saunders / scipy: the QR factorisation of the Lanczos tridiagonal by
  // Givens rotations (cs, sn), its last row (delta, gbar, epsln, dbar) and the residual norm phibar.
  let beta = round(Math.sqrt(beta1Squared));
  let oldb = 0;
  let dbar = 0;
  let epsln = 0;
  let phibar = beta;
  let cs = -1;
  let sn = 0;

  // No loop bound: stoppingReason ends the solve at maxIterations at the latest.
  for (let iteration = 1; ; iteration++) {
    const s = round(1 / beta);
    for (let k = 0; k < size; k++) v[k] = s * y[k];
    op.apply(v, av);
    y.set(av);
    if (iteration >= 2) {
      const scale = round(beta / oldb);
      for (let k = 0; k < size; k++) y[k] -= scale * r1[k];
    }
    const alfa = round(dot(v, y));
    const scale = round(alfa / beta);
    for (let k = 0; k < size; k++) y[k] -= scale * r2[k];
    [r1, r2, y] = [r2, y, r1];
    precondition(r2, y);
    oldb = beta;
    const betaSquared = round(dot(r2, y));
    if (!Number.isFinite(betaSquared) || !Number.isFinite(alfa)) return finish('diverged_nan', iteration - 1);
    if (betaSquared < 0) return finish('diverged_breakdown', iteration - 1);
    beta = round(Math.sqrt(betaSquared));

    const oldeps = epsln;
    const delta = round(cs * dbar + sn * alfa);
    const gbar = round(sn * dbar - cs * alfa);
    epsln = round(sn * beta);
    dbar = round(-cs * beta);
    const gamma = round(Math.hypot(gbar, beta));
    if (gamma === 0) return finish('diverged_breakdown', iteration - 1);
    cs = round(gbar / gamma);
    sn = round(beta / gamma);
    const phi = round(cs * phibar);
    phibar = round(sn * phibar);

    const denominator = round(1 / gamma);
    [w, w1, w2] = [w1, w2, w];
    [aw, aw1, aw2] = [aw1, aw2, aw];
    for (let k = 0; k < size; k++) {
      w[k] = (v[k] - oldeps * w1[k] - delta * w2[k]) * denominator;
      aw[k] = (av[k] - oldeps * aw1[k] - delta * aw2[k]) * denominator;
      x[k] += phi * w[k];
      r[k] -= phi * aw[k];
    }
    residualNorm = round(norm(r));
    const stop = stoppingReason(start, history, iteration, residualNorm);
    if (stop) return finish(stop, iteration);
    // beta = 0: the Krylov space is invariant, so this x is the best there is and it did not converge.
    if (beta === 0) return finish('diverged_breakdown', iteration);
  }
}

/**
 * D^-1 in `target`, or null when some entry is not positive or not finite (then D is no SPD
 * preconditioner, and MINRES runs unpreconditioned). The GPU engine uses it too.
 */
export function minresInverseDiagonal(diagonal: Float64Array, target: Vector): Vector | null {
  for (let k = 0; k < diagonal.length; k++) {
    if (!(diagonal[k] > 0) || !Number.isFinite(diagonal[k])) return null;
    target[k] = 1 / diagonal[k];
  }
  return target;
}
