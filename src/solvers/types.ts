// The interface every backend honours: the float64 CPU reference here, the GPU engine in src/engine.
// Callers choose a backend, not an API.

import type { Precision, Vector } from '../math/vectors.ts';

// The storage precision and its arrays are math/'s, shared with the physics' tree (which imports no
// solvers/), and re-exported here for the backends.
export { type Precision, type Vector, vectorOf } from '../math/vectors.ts';

/** A symmetric linear operator y = A x of the given size. */
export interface LinearOperator {
  readonly size: number;
  readonly precision: Precision;
  apply(x: Vector, y: Vector): void;
  /** diag A, for the Jacobi preconditioner and the scaling of the spectrum. */
  diagonal(): Float64Array;
}

/**
 * Why a Krylov solve stopped, in the manner of PETSc's KSPConvergedReason (include/petscksp.h).
 *  converged_rtol       ||r_k|| <= rtol ||b||
 *  converged_atol       ||r_k|| <= atol (also a zero right-hand side, at iteration 0)
 *  diverged_max_it      k reached maxIterations without either test passing
 *  diverged_indefinite  CG met p^T A p <= 0 (or a non-positive preconditioned r^T z): A is not SPD
 *  diverged_breakdown   a Lanczos/MINRES recurrence produced a zero or negative norm that cannot continue
 *  diverged_nan         a norm became NaN or infinite
 *  diverged_refinement  iterative refinement (src/run/refine.ts) stopped contracting: a step left the
 *                       float64 residual ||r_k+1|| > 1/2 ||r_k||, or 20 steps did not reach the
 *                       tolerance; float32 inner solves cannot refine M when cond(M) u32 >~ 1/2
 *  diverged_singular    MINRES's estimate of cond(A), a lower bound of ||A|| times ||w_k||_D (the
 *                       next step's direction), reached kSingularCondition / eps
 *                       (scipy minres's istop 4; src/solvers/minres.ts): A is singular to working
 *                       precision along b, and the next step would blow x up; x is the iterate before it
 *  diverged_residual_gap the recursive residual met the tolerance, but the true ||b - A x|| exceeds
 *                       kResidualGapFactor max(atol, rtol ||b||, roundingFloor ||b||): x is no
 *                       solution (A singular or nearly so along b, or float32 far past its floor)
 */
export const kConvergenceReasons = [
  'converged_rtol',
  'converged_atol',
  'diverged_max_it',
  'diverged_indefinite',
  'diverged_breakdown',
  'diverged_nan',
  'diverged_refinement',
  'diverged_singular',
  'diverged_residual_gap',
] as const;
export type ConvergenceReason = (typeof kConvergenceReasons)[number];

export function isConverged(reason: ConvergenceReason): boolean {
  return reason === 'converged_rtol' || reason === 'converged_atol';
}

export type SolverName = 'cg' | 'minres' | 'auto';

export interface SolveOptions {
  /** Relative tolerance on ||r|| / ||b||; default 1e-8 (float64) or 1e-6 (float32). */
  rtol?: number;
  /** Absolute tolerance on ||r||; default 0. */
  atol?: number;
  /** Default: the operator size (exact arithmetic would be done by then), at least 50. */
  maxIterations?: number;
  /** Starting guess; default zero. Never mutated. */
  x0?: ArrayLike<number>;
  /** Called after every iteration with the recursive residual norm; false stops it (as diverged_max_it). */
  onIteration?: (iteration: number, residualNorm: number) => boolean | void;
}

export interface SolveResult {
  /** The solution in float64, whatever precision the solve ran in. */
  x: Float64Array;
  solver: 'cg' | 'minres';
  reason: ConvergenceReason;
  converged: boolean;
  iterations: number;
  /** Norm of the recursive (updated) residual at the end, and divided by ||b||. */
  residualNorm: number;
  relativeResidual: number;
  /** ||b - A x|| recomputed in float64 from the final x, and divided by ||b||. */
  trueResidualNorm: number;
  trueRelativeResidual: number;
  /** Recursive residual norm after each iteration; entry 0 is the initial residual. */
  history: number[];
  /** Set by the auto solver when CG met indefiniteness and MINRES took over. */
  switchedFrom?: 'cg';
}

/**
 * Why a Lanczos run stopped.
 *  converged_tol       both extreme Ritz values have residual bounds |beta_k s_k| <= tol * max|theta|
 *  converged_invariant beta_k <= 16 u sqrt(n) ||T_k|| (u the unit roundoff of the arithmetic, n the
 *                      size, ||T_k|| = max|theta|: beta_k is zero to rounding), or k + 1 = n (the
 *                      space is full): the Krylov space is invariant, the Ritz values are eigenvalues
 *  diverged_max_it     maxIterations reached; the Ritz values are returned with their bounds
 *  diverged_nan        a NaN or infinity appeared
 *  diverged_refinement a refined spectrum's (src/run/spectrum.ts): Lanczos converged, but an extreme
 *                      pair's float64 residual ||A y - theta y|| / ||y|| exceeds tol * max|theta|
 */
export const kLanczosReasons = [
  'converged_tol',
  'converged_invariant',
  'diverged_max_it',
  'diverged_nan',
  'diverged_refinement',
] as const;
export type LanczosReason = (typeof kLanczosReasons)[number];

export interface LanczosOptions {
  /** Relative accuracy of the extreme eigenvalues; default 1e-10 (float64) or 1e-6 (float32). */
  tol?: number;
  /** Matrix-vector products at most, over all restarts (defaultLanczosMaxIterations). */
  maxIterations?: number;
  /** Lanczos vectors kept in memory, the restart's basis (src/solvers/lanczos.ts kDefaultLanczosBasis). */
  basisSize?: number;
  /** Seed of the random start vector. */
  seed?: number;
  onIteration?: (iteration: number, lambdaMin: number, lambdaMax: number) => boolean | void;
  /** Also return the Ritz vectors of the two extreme Ritz values (LanczosResult.ritzVectors). */
  ritzVectors?: boolean;
}

/** Unit Ritz vectors V s of the extreme Ritz values, in float64 whatever the run's precision. */
export interface RitzVectors {
  readonly min: Float64Array;
  readonly max: Float64Array;
}

export interface LanczosResult {
  lambdaMin: number;
  lambdaMax: number;
  /**
   * Error bounds of the two extreme Ritz values: |beta_k s_k|, at least the rounding of the run's
   * precision (src/solvers/lanczos.ts roundingBound, 16 u sqrt(n) max|theta|).
   */
  residualMin: number;
  residualMax: number;
  /**
   * How far rounding may put a Ritz value from the exact Rayleigh quotient of its Ritz vector, which
   * bounds the true lambda_min from above (roundingBound); the floor of the residual bounds.
   */
  rounding: number;
  iterations: number;
  /** Thick restarts of the basis (src/solvers/lanczos.ts). */
  restarts: number;
  reason: LanczosReason;
  converged: boolean;
  /** All Ritz values of the last step, ascending. */
  ritzValues: Float64Array;
  /** With the option ritzVectors, once at least one step was done. */
  ritzVectors?: RitzVectors;
}

// Defaults shared by every backend, so a CPU and a GPU run given the same options stop alike.

/** The unit roundoff u of a precision: 2^-53 (float64) or 2^-24 (float32). */
export function unitRoundoff(precision: Precision): number {
  return precision === 'float64' ? 2 ** -53 : 2 ** -24;
}

/**
 * The relative residual below which a precision's rounding holds the true residual, 100 u (1.1e-14,
 * the least --tol, src/run/inputs.ts kMinTolerance; 6e-6 in float32): below it a recursive residual
 * goes on shrinking while the true one stays.
 */
export function roundingFloor(precision: Precision): number {
  return 100 * unitRoundoff(precision);
}

/**
 * How far the true residual may miss max(atol, rtol ||b||, roundingFloor ||b||) before a solve the
 * recursion calls converged is diverged_residual_gap: within it lies float32's gap near its floor,
 * about cond(M) u32 (README "solve"), which the CLI warns of but calls converged.
 */
export const kResidualGapFactor = 10;

/**
 * diverged_singular when MINRES's estimate of cond(A) reaches this over the machine epsilon 2u (scipy
 * minres.py's Acond >= 0.1 / eps): 4.5e14 in float64, 8.4e5 in float32.
 */
export const kSingularCondition = 0.1;

/** rtol when none is given: a margin above what each precision's recursive residual can reach. */
export function defaultRtol(precision: Precision): number {
  return precision === 'float64' ? 1e-8 : 1e-6;
}

/** maxIterations when none is given: the size (exact arithmetic would be done), at least 50. */
export function defaultMaxIterations(size: number): number {
  return Math.max(50, size);
}

/** Lanczos tol when none is given. */
export function defaultLanczosTol(precision: Precision): number {
  return precision === 'float64' ? 1e-10 : 1e-6;
}

/**
 * Lanczos maxIterations when none is given: matrix-vector products over all thick restarts, enough
 * for the dense cluster at the bottom of a ring's circulant spectrum (about 1600 at N = 1000).
 */
export function defaultLanczosMaxIterations(size: number): number {
  return Math.max(size, 10_000);
}
