// Lanczos for the extreme eigenvalues of a symmetric operator, with full reorthogonalisation: the
// basis is kept (k vectors of the operator's size, 29 MB at size 12 000 and 300 steps in float64), so
// no spurious copies of converged Ritz values appear and the residual bounds mean what they say.
// Work vectors are in the operator's precision, like the solvers; T_k is solved in float64. The start
// vector and the stopping tests are exported: the GPU engine (src/engine/lanczos.ts) uses them too.
import { dot, seededRandom } from '../math/vectors.ts';
import { roundTo } from './krylov.ts';
import { tridiagonalEigen, tridiagonalEigenvectors } from './eigen.ts';
import {
  defaultLanczosMaxIterations,
  defaultLanczosTol,
  vectorOf,
  type LanczosOptions,
  type LanczosReason,
  type LanczosResult,
  type LinearOperator,
  type Precision,
  type RitzVectors,
  type Vector,
} from './types.ts';

/** beta_k below this many units of roundoff times sqrt(n) ||T_k|| counts as zero: the space is invariant. */
const kInvariantRoundoffs = 16;

/**
 * A Lanczos run's options resolved with the defaults of types.ts, and what its stopping tests need:
 * one resolution for the CPU here and the GPU engine (src/engine/lanczos.ts, which runs in float32).
 */
export interface LanczosStart {
  readonly size: number;
  /** The precision of the work vectors and of the scalars alpha_j, beta_j. */
  readonly precision: Precision;
  readonly tol: number;
  /** Steps at most: the option or its default, never past the size. */
  readonly maxIterations: number;
  /** Unit roundoff of the precision (2^-53 or 2^-24), for the invariant-space test. */
  readonly unitRoundoff: number;
  readonly seed: number;
}

export function startLanczos(size: number, precision: Precision, options: LanczosOptions): LanczosStart {
  return {
    size,
    precision,
    tol: options.tol ?? defaultLanczosTol(precision),
    maxIterations: Math.min(size, options.maxIterations ?? defaultLanczosMaxIterations(size)),
    unitRoundoff: precision === 'float64' ? 2 ** -53 : 2 ** -24,
    seed: options.seed ?? 1,
  };
}

/** q_0: the seeded random start vector scaled to unit length, rounded to the run's precision. */
export function lanczosStartVector(start: LanczosStart): Vector {
  const round = roundTo(start.precision);
  const random = seededRandom(start.seed);
  const q = vectorOf(start.precision, start.size);
  for (let k = 0; k < start.size; k++) q[k] = 2 * random() - 1;
  scaleInPlace(q, round(1 / Math.sqrt(dot(q, q))));
  return q;
}

/** The result before the first step: no Ritz values yet. */
export function lanczosNotStarted(): LanczosResult {
  return {
    lambdaMin: NaN,
    lambdaMax: NaN,
    residualMin: NaN,
    residualMax: NaN,
    iterations: 0,
    reason: 'diverged_max_it',
    converged: false,
    ritzValues: new Float64Array(0),
  };
}

/** `result` as the final one, stopped for `reason`. */
export function lanczosStopped(result: LanczosResult, reason: LanczosReason): LanczosResult {
  return { ...result, reason, converged: reason === 'converged_tol' || reason === 'converged_invariant' };
}

/** Where a run stands after one step. */
export interface LanczosVerdict {
  /** The Ritz values and bounds of T_j, still running (diverged_max_it); after a NaN, the previous step's. */
  readonly result: LanczosResult;
  /** Why to stop after this step (converged_invariant, converged_tol, diverged_nan), or null to go on. */
  readonly reason: LanczosReason | null;
}

/**
 * The stopping tests after step j (from 0), on T_j (diagonal alphas[0..j], off-diagonal
 * betas[0..j-1]) and beta_j = betas[j], the norm of the next Lanczos vector before scaling:
 *  diverged_nan         alpha_j or beta_j is NaN or infinite
 *  converged_invariant  beta_j <= 16 u sqrt(n) ||T_j||, or j + 1 = n: the Krylov space is invariant
 *  converged_tol        both extreme Ritz pairs have |beta_j s_j| <= tol max|theta|
 * The CPU applies them at every step; the GPU engine replays them on the alphas and betas it reads
 * back, so that both stop at the same step for the same reason.
 */
export function lanczosVerdict(
  start: LanczosStart,
  alphas: Float64Array,
  betas: Float64Array,
  j: number,
  previous: LanczosResult,
): LanczosVerdict {
  const beta = betas[j];
  if (!Number.isFinite(alphas[j]) || !Number.isFinite(beta))
    return { result: previous, reason: 'diverged_nan' };
  const { values, lastComponents } = tridiagonalEigen(alphas.subarray(0, j + 1), betas.subarray(0, j));
  const scale = Math.max(Math.abs(values[0]), Math.abs(values[j]));
  const result: LanczosResult = {
    lambdaMin: values[0],
    lambdaMax: values[j],
    residualMin: Math.abs(beta * lastComponents[0]),
    residualMax: Math.abs(beta * lastComponents[j]),
    iterations: j + 1,
    reason: 'diverged_max_it',
    converged: false,
    ritzValues: values,
  };
  const { size, tol } = start;
  if (beta <= kInvariantRoundoffs * start.unitRoundoff * Math.sqrt(size) * scale || j + 1 === size) {
    return { result, reason: 'converged_invariant' };
  }
  if (result.residualMin <= tol * scale && result.residualMax <= tol * scale) {
    return { result, reason: 'converged_tol' };
  }
  return { result, reason: null };
}

/**
 * The coefficients s of the extreme Ritz vectors V s after `steps` steps: the eigenvectors of T (the
 * first `steps` alphas and steps - 1 betas) for its smallest and largest eigenvalue. One computation
 * for both backends; each forms V s where its basis lives (the GPU with the reorthogonalisation's
 * columns kernel).
 */
export function ritzCoefficients(
  alphas: Float64Array,
  betas: Float64Array,
  steps: number,
): { min: Float64Array; max: Float64Array } {
  const { vectors } = tridiagonalEigenvectors(
    alphas.subarray(0, steps),
    betas.subarray(0, steps - 1),
    [0, -1],
  );
  return { min: vectors[0], max: vectors[1] };
}

/** x = sum_k s_k basis_k in float64, scaled to unit length (rounding leaves V s a hair off it). */
export function combineBasis(basis: readonly ArrayLike<number>[], s: ArrayLike<number>): Float64Array {
  const x = new Float64Array(basis[0].length);
  for (let k = 0; k < s.length; k++) {
    const v = basis[k];
    for (let i = 0; i < x.length; i++) x[i] += s[k] * v[i];
  }
  return normalised(x);
}

/** x / ||x|| in place (a zero x stays zero). */
export function normalised(x: Float64Array): Float64Array {
  const norm = Math.sqrt(dot(x, x));
  if (norm > 0) for (let i = 0; i < x.length; i++) x[i] /= norm;
  return x;
}

/**
 * Extreme eigenvalues of op by Lanczos from a seeded random start. Stops (see lanczosVerdict and
 * LanczosReason) when both extreme Ritz pairs have |beta_k s_k| <= tol max|theta| (each bounds its
 * eigenvalue error), when beta_k vanishes or k reaches the size (converged_invariant), or after
 * maxIterations or a false from onIteration (diverged_max_it, with the Ritz values reached so far:
 * they lie inside the spectrum).
 */
export function lanczos(op: LinearOperator, options: LanczosOptions = {}): LanczosResult {
  const { size, precision } = op;
  const round = roundTo(precision);
  const start = startLanczos(size, precision, options);
  const { maxIterations } = start;

  let q = lanczosStartVector(start);
  const basis: Vector[] = [];
  const alphas = new Float64Array(maxIterations);
  const betas = new Float64Array(maxIterations);
  let result = lanczosNotStarted();
  const stop = (reason: LanczosReason): LanczosResult => {
    const stopped = lanczosStopped(result, reason);
    if (!options.ritzVectors || stopped.iterations === 0) return stopped;
    const s = ritzCoefficients(alphas, betas, stopped.iterations);
    const ritzVectors: RitzVectors = { min: combineBasis(basis, s.min), max: combineBasis(basis, s.max) };
    return { ...stopped, ritzVectors };
  };

  for (let j = 0; j < maxIterations; j++) {
    basis.push(q);
    const w = vectorOf(precision, size);
    op.apply(q, w);
    const alpha = round(dot(q, w));
    alphas[j] = alpha;
    // The three-term recurrence, then classical Gram-Schmidt against the whole basis twice ("twice is
    // enough", Giraud et al. 2005): the second pass removes what rounding left of the first.
    const previous = j > 0 ? basis[j - 1] : null;
    const betaPrevious = j > 0 ? betas[j - 1] : 0;
    for (let k = 0; k < size; k++) w[k] -= alpha * q[k];
    if (previous) for (let k = 0; k < size; k++) w[k] -= betaPrevious * previous[k];
    for (let pass = 0; pass < 2; pass++) {
      for (const v of basis) {
        const overlap = round(dot(v, w));
        for (let k = 0; k < size; k++) w[k] -= overlap * v[k];
      }
    }
    const beta = round(Math.sqrt(dot(w, w)));
    betas[j] = beta;

    const verdict = lanczosVerdict(start, alphas, betas, j, result);
    result = verdict.result;
    // onIteration sees every step that has Ritz values, the one that stops included.
    const proceed =
      verdict.reason === 'diverged_nan'
        ? undefined
        : options.onIteration?.(j + 1, result.lambdaMin, result.lambdaMax);
    if (verdict.reason) return stop(verdict.reason);
    if (proceed === false) return stop('diverged_max_it');
    scaleInPlace(w, round(1 / beta));
    q = w;
  }
  return stop('diverged_max_it');
}

function scaleInPlace(v: Vector, factor: number): void {
  for (let k = 0; k < v.length; k++) v[k] *= factor;
}
