// Krylov building blocks shared by CG, MINRES and Lanczos. One implementation for both precisions: the
// work vectors come from vectorOf(op.precision), so every stored vector element is rounded as the GPU
// rounds it, and scalars (alpha, beta, norms) are rounded to the same precision with `roundTo`. Dot
// products accumulate in a JS double; the GPU's tree reduction rounds differently anyway, and that
// difference is far below what the storage costs.
import { norm, relativeTo, trueResidual } from '../math/vectors.ts';
import {
  defaultMaxIterations,
  defaultRtol,
  isConverged,
  kResidualGapFactor,
  roundingFloor,
  vectorOf,
  type ConvergenceReason,
  type LinearOperator,
  type Precision,
  type SolveOptions,
  type SolveResult,
  type Vector,
} from './types.ts';

/** Rounds a scalar to the storage precision, as a GPU holding it in an f32 would. */
export function roundTo(precision: Precision): (value: number) => number {
  return precision === 'float32' ? Math.fround : (value: number) => value;
}

/** Everything a Krylov solve needs before its first iteration, with the options resolved. */
export interface KrylovStart {
  size: number;
  precision: Precision;
  round: (value: number) => number;
  /** The right-hand side as given, copied to float64 (never the caller's array). */
  b64: Float64Array;
  /** The right-hand side in the storage precision. */
  b: Vector;
  /** The starting guess in the storage precision (a fresh copy of x0, or zero). */
  x: Vector;
  /** ||b|| in float64. */
  bNorm: number;
  atol: number;
  /** max(atol, rtol ||b||): the stopping rule's bound on ||r||. */
  threshold: number;
  maxIterations: number;
  onIteration: SolveOptions['onIteration'];
}

export function startKrylov(op: LinearOperator, b: ArrayLike<number>, options: SolveOptions): KrylovStart {
  const size = op.size;
  if (b.length !== size)
    throw new RangeError(`right-hand side has length ${b.length}, the operator size is ${size}`);
  const { x0 } = options;
  if (x0 && x0.length !== size)
    throw new RangeError(`x0 has length ${x0.length}, the operator size is ${size}`);
  const precision = op.precision;
  const b64 = Float64Array.from(b);
  const bStored = vectorOf(precision, size);
  bStored.set(b64);
  const x = vectorOf(precision, size);
  if (x0) for (let k = 0; k < size; k++) x[k] = x0[k];
  const bNorm = norm(b64);
  const rtol = options.rtol ?? defaultRtol(precision);
  const atol = options.atol ?? 0;
  return {
    size,
    precision,
    round: roundTo(precision),
    b64,
    b: bStored,
    x,
    bNorm,
    atol,
    threshold: Math.max(atol, rtol * bNorm),
    maxIterations: options.maxIterations ?? defaultMaxIterations(size),
    onIteration: options.onIteration,
  };
}

/** r = b - A x in the storage precision; `scratch` receives A x. */
export function residualInto(op: LinearOperator, b: Vector, x: Vector, r: Vector, scratch: Vector): void {
  op.apply(x, scratch);
  for (let k = 0; k < r.length; k++) r[k] = b[k] - scratch[k];
}

/** Which converged reason a passing residual earns; atol first, as PETSc's KSPConvergedDefault does. */
export function convergedReason(residualNorm: number, atol: number): ConvergenceReason {
  return residualNorm <= atol ? 'converged_atol' : 'converged_rtol';
}

/**
 * Packs a result and recomputes the true residual ||b - A x|| in float64 (trueResidual): a float32
 * recursive residual can claim convergence the stored x does not have, so both are reported. A
 * converged reason whose true residual misses its bound by more than kResidualGapFactor becomes
 * diverged_residual_gap: on a singular A the recursion can cancel to nothing while x blows up (two
 * electrons on a ring at N eps = 4: a recursive 8e-16, a true 1, ||x|| ~ 1e33), and an x that
 * misses by that much both the tolerance and what the precision's rounding explains is no solution.
 * The GPU's results come through here too (src/engine/krylov.ts finishSolve).
 */
export function finishKrylov(
  op: LinearOperator,
  start: KrylovStart,
  solver: 'cg' | 'minres',
  x: Vector,
  reason: ConvergenceReason,
  iterations: number,
  residualNorm: number,
  history: number[],
): SolveResult {
  const { size, b64, bNorm } = start;
  const x64 = Float64Array.from(x);
  // b = 0 comes with x = 0 (zeroRightHandSide), whose product is 0 without the operator (a GPU's
  // host operator has none). A NaN b is no zero right-hand side: its product is formed, NaN.
  const ax = new Float64Array(size);
  if (bNorm !== 0) op.apply(x64, ax);
  const recomputed = trueResidual(b64, ax, bNorm);
  const finalReason = residualGapReason(reason, recomputed.norm, start.threshold, start.precision, bNorm);
  return {
    x: x64,
    solver,
    reason: finalReason,
    converged: isConverged(finalReason),
    iterations,
    residualNorm,
    relativeResidual: relativeTo(residualNorm, bNorm),
    trueResidualNorm: recomputed.norm,
    trueRelativeResidual: recomputed.relative,
    history,
  };
}

/**
 * finishKrylov's gap rule: a converged `reason` whose true residual ||b - A x|| exceeds
 * kResidualGapFactor max(threshold, roundingFloor(precision) ||b||) is diverged_residual_gap; any
 * other reason stays. Also for a true residual recomputed with another product (src/run/solve.ts).
 */
export function residualGapReason(
  reason: ConvergenceReason,
  trueResidualNorm: number,
  threshold: number,
  precision: Precision,
  bNorm: number,
): ConvergenceReason {
  const bound = Math.max(threshold, roundingFloor(precision) * bNorm);
  const gap = isConverged(reason) && trueResidualNorm > kResidualGapFactor * bound;
  return gap ? 'diverged_residual_gap' : reason;
}

/** The answer to b = 0: x = 0 at once, whatever x0 was (scipy's iterative solvers do the same). */
export function zeroRightHandSide(
  op: LinearOperator,
  start: KrylovStart,
  solver: 'cg' | 'minres',
): SolveResult {
  return finishKrylov(op, start, solver, new Float64Array(start.size), 'converged_atol', 0, 0, [0]);
}

/**
 * The stopping rule ||r|| <= max(atol, rtol ||b||) after an update (iteration 0: the starting guess).
 * Records ||r|| in the history, reports it to onIteration, and returns why to stop, or null to go on.
 */
export function stoppingReason(
  start: KrylovStart,
  history: number[],
  iteration: number,
  residualNorm: number,
): ConvergenceReason | null {
  if (iteration > 0) history.push(residualNorm);
  if (!Number.isFinite(residualNorm)) return 'diverged_nan';
  const proceed = iteration > 0 ? start.onIteration?.(iteration, residualNorm) : undefined;
  if (residualNorm <= start.threshold) return convergedReason(residualNorm, start.atol);
  if (proceed === false || iteration === start.maxIterations) return 'diverged_max_it';
  return null;
}
