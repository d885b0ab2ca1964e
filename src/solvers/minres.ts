// Preconditioned MINRES (Paige and Saunders 1975, in the form of scipy's sparse/linalg/_isolve/minres.py)
// for a symmetric, possibly indefinite A: the ring's mass matrix I + eps V (eq. 50) loses positivity once
// 1 + eps lambda_min(V) < 0, where CG has no minimisation principle left but MINRES still minimises
// ||r||_{D^-1} over the Krylov space. The preconditioner must be SPD: D = diag A is (1, or rho_i^2 > 0)
// for every physical system; an operator with a diagonal entry <= 0 runs unpreconditioned instead.
//
// The recurrences only know phibar = ||r||_{D^-1}, but the stopping rule is on ||r||_2. So r is carried
// explicitly: x_k = x_{k-1} + phi_k w_k, hence r_k = r_{k-1} - phi_k A w_k, and A w_k follows the same
// three-term recurrence as w_k from A v_k, which the Lanczos step computes anyway: no extra matvec.
//
// A singular or nearly singular A defeats that recursion: where b has a component along a null
// vector, gamma_k comes out at rounding level, w_k = (v_k - ...) / gamma_k and A w_k are huge, and
// r -= phi A w cancels to nothing while x takes the huge step (two electrons on a ring at N eps = 4,
// M's x-x block [[1, 1], [1, 1]]: ||x|| ~ 1e33 with a recursive residual of 1e-15 ||b|| and a true
// one of ||b||). So each step first estimates cond(A), and stops before a step that the estimate says
// is rounding (diverged_singular), at scipy minres's bound (istop 4, Acond >= 0.1/eps). The estimate
// is a lower bound of ||A|| times ||w_k||_D = ||R_k^-1 e_k|| <= ||A^-1|| (W = V R^-1 with V
// D-orthonormal, R the QR factor of the Lanczos tridiagonal), which follows from w's three-term
// recurrence in scalars alone, so the GPU keeps it in its state word for word. scipy's Acond,
// gmax/gmin, misses a small eigenvalue that needs no small gamma: on a ring of 100 at
// 1 + eps lambda_min(V) = 0 (eq. 50) the gammas stay above 0.1 while ||w_k|| grows by twelve orders
// of magnitude.
import { dot, norm } from '../math/vectors.ts';
import { finishKrylov, residualInto, startKrylov, stoppingReason, zeroRightHandSide } from './krylov.ts';
import {
  kSingularCondition,
  unitRoundoff,
  vectorOf,
  type ConvergenceReason,
  type LinearOperator,
  type Precision,
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
 * continue without having converged (A singular on the Krylov space); diverged_singular, with
 * the iterate before, when the next step's estimate of cond(A) reaches kSingularCondition / eps (see
 * above); diverged_nan for a non-finite scalar; diverged_max_it after maxIterations, or when
 * onIteration returns false. finishKrylov may turn a converged reason into diverged_residual_gap.
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
  // The condition estimate: the largest gamma (each is at most ||A||), the lower bound of ||A|| that
  // holds even where the Krylov space sees only a null vector, and ||w_k||_D^2, ||w_k-1||_D^2 and
  // w_k^T D w_k-1 in exact arithmetic (minresNormFloor, minresDirectionNorm).
  let gmax = 0;
  const normFloor = minresNormFloor(op.diagonal(), inverseDiagonal !== null);
  const conditionLimit = minresConditionLimit(precision);
  let direction: MinresDirectionNorm = { squared: 0, previousSquared: 0, cross: 0 };

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
    gmax = round(Math.max(gmax, gamma));
    direction = minresDirectionNorm(direction, gamma, delta, oldeps, round);
    // Not below the limit, NaN included (an overflow of the squares): the step is rounding.
    if (!(Math.max(normFloor, gmax) * Math.sqrt(direction.squared) < conditionLimit))
      return finish('diverged_singular', iteration - 1);
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

/** ||w_k||_D^2, ||w_k-1||_D^2 and w_k^T D w_k-1 of MINRES's directions, in exact arithmetic. */
export interface MinresDirectionNorm {
  readonly squared: number;
  readonly previousSquared: number;
  readonly cross: number;
}

/**
 * The next MinresDirectionNorm: w_k = (v_k - eps_k w_k-2 - delta_k w_k-1) / gamma_k, the v's
 * D-orthonormal (v = D^-1 r / beta with the r's D^-1-orthogonal), so v_k is D-orthogonal to w_k-1 and
 * w_k-2 (combinations of the earlier v's), and then ||w_k||^2 = (1 + delta^2 ||w_k-1||^2 + eps^2 ||w_k-2||^2
 * + 2 delta eps w_k-1.w_k-2) / gamma^2, w_k.w_k-1 = -(delta ||w_k-1||^2 + eps w_k-1.w_k-2) / gamma.
 * krylov.wgsl's minresGivens computes the same.
 */
export function minresDirectionNorm(
  last: MinresDirectionNorm,
  gamma: number,
  delta: number,
  oldeps: number,
  round: (value: number) => number,
): MinresDirectionNorm {
  const sum =
    1 +
    delta * delta * last.squared +
    oldeps * oldeps * last.previousSquared +
    2 * delta * oldeps * last.cross;
  return {
    squared: round(sum / (gamma * gamma)),
    previousSquared: last.squared,
    cross: round(-(delta * last.squared + oldeps * last.cross) / gamma),
  };
}

/** The estimate of cond(A) at which MINRES stops as diverged_singular: kSingularCondition / eps. */
export function minresConditionLimit(precision: Precision): number {
  return kSingularCondition / (2 * unitRoundoff(precision));
}

/**
 * A lower bound of ||A|| for MINRES's condition estimate: 1 for the preconditioned D^-1/2 A D^-1/2,
 * whose diagonal is all ones, else max |a_ii| (a matrix's norm is at least its largest entry).
 */
export function minresNormFloor(diagonal: Float64Array, preconditioned: boolean): number {
  if (preconditioned) return 1;
  let floor = 0;
  for (const entry of diagonal) floor = Math.max(floor, Math.abs(entry));
  return floor;
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
