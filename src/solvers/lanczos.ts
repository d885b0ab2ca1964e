// Thick-restart Lanczos (Wu & Simon 2000; for a symmetric operator the same as Krylov-Schur) for
// both extreme eigenvalues of a symmetric operator at once. Within a cycle every new vector is
// reorthogonalised against the whole basis, so no spurious copies of converged Ritz values appear and
// the residual bounds mean what they say; when the basis holds basisSize vectors it restarts from the
// Ritz vectors nearest each end and the next Lanczos vector, so memory stays basisSize vectors of the
// operator's size however many products the run takes. The kept Ritz pairs, coupled to the next vector
// as an arrowhead, are rotated back to tridiagonal form (householderTridiagonal): the new basis is again
// a Lanczos basis, T_j stays tridiagonal, and each cycle runs the plain three-term step.
// Work vectors are in the operator's precision, like the solvers; T_j is solved in float64. The start
// vector, the stopping tests and the restart are exported: the GPU engine (src/engine/lanczos.ts)
// uses them too.
import { dot, norm, seededRandom } from '../math/vectors.ts';
import { roundTo } from './krylov.ts';
import { householderTridiagonal, tridiagonalEigen, tridiagonalEigenvectors } from './eigen.ts';
import {
  defaultLanczosMaxIterations,
  defaultLanczosTol,
  unitRoundoff,
  vectorOf,
  type LanczosOptions,
  type LanczosReason,
  type LanczosResult,
  type LinearOperator,
  type Precision,
  type RitzVectors,
  type Vector,
} from './types.ts';

/**
 * Lanczos vectors kept when none is given: enough for the dense cluster at the bottom of a ring's
 * circulant spectrum, 77 MB at 100 000 unknowns in float64.
 */
export const kDefaultLanczosBasis = 96;
/**
 * The smallest basis: three Ritz vectors kept and room for four new steps. Below 7 a restart keeps
 * one Ritz vector at each end, too few to converge (sphere N=60: --basis 5 and 6 ran 10 000 products
 * without; 7 and 8 converged in 167 and 60).
 */
export const kMinLanczosBasis = 8;

/**
 * Units of roundoff times sqrt(n) ||T_k|| that a product in the run's precision may be off by
 * (roundingBound): beta_k below it counts as zero (the space is invariant), and no residual bound is
 * reported below it.
 */
const kInvariantRoundoffs = 16;

/**
 * 16 u sqrt(n) max|theta|: what rounding in the run's precision leaves of a Ritz value's accuracy.
 * |beta_j s_j| bounds the distance to an eigenvalue in exact arithmetic only; the products' own
 * rounding, about u sqrt(n) ||A|| normwise, moves the Ritz values by as much whatever beta_j says
 * (float32: a cluster of 150 electrons with max|theta| 1.6e4 had lambda_min 165 u max|theta| off,
 * within this bound's 340, beside an exact-arithmetic bound of 14 u).
 */
export function roundingBound(unitRoundoff: number, size: number, scale: number): number {
  return kInvariantRoundoffs * unitRoundoff * Math.sqrt(size) * scale;
}

/**
 * A Lanczos run's options resolved with the defaults of types.ts, and what its stopping tests need:
 * one resolution for the CPU here and the GPU engine (src/engine/lanczos.ts, which runs in float32).
 */
export interface LanczosStart {
  readonly size: number;
  /** The precision of the work vectors and of the scalars alpha_j, beta_j. */
  readonly precision: Precision;
  readonly tol: number;
  /** Matrix-vector products at most, over all cycles: the option or its default. */
  readonly maxIterations: number;
  /**
   * Basis vectors held at once: basisSize, or size + 1 when that is fewer (the Krylov space is then
   * exhausted before a restart). A cycle's T_j grows to columns - 1; the last column is q_{j+1}.
   */
  readonly columns: number;
  /** Unit roundoff of the precision (2^-53 or 2^-24), for the invariant-space test. */
  readonly unitRoundoff: number;
  readonly seed: number;
}

/** The basis columns of a run on `size` unknowns: the basis size, or size + 1 for a small system. */
export function lanczosColumns(size: number, basisSize = kDefaultLanczosBasis): number {
  return Math.min(basisSize, size + 1);
}

/**
 * The vectors a GPU run holds at once (src/engine/lanczos.ts): the basis, and the restart's scratch
 * of the most kept Ritz vectors plus one.
 */
export function lanczosHeldVectors(size: number, basisSize = kDefaultLanczosBasis): number {
  const columns = lanczosColumns(size, basisSize);
  return columns + maxKept(columns - 1) + 1;
}

export function startLanczos(size: number, precision: Precision, options: LanczosOptions): LanczosStart {
  const basisSize = options.basisSize ?? kDefaultLanczosBasis;
  if (!Number.isInteger(basisSize) || basisSize < kMinLanczosBasis)
    throw new RangeError(`the Lanczos basis needs at least ${kMinLanczosBasis} vectors, got ${basisSize}`);
  return {
    size,
    precision,
    tol: options.tol ?? defaultLanczosTol(precision),
    maxIterations: options.maxIterations ?? defaultLanczosMaxIterations(size),
    columns: lanczosColumns(size, basisSize),
    unitRoundoff: unitRoundoff(precision),
    seed: options.seed ?? 1,
  };
}

/** q_0: the seeded random start vector scaled to unit length, rounded to the run's precision. */
export function lanczosStartVector(start: LanczosStart): Vector {
  const round = roundTo(start.precision);
  const random = seededRandom(start.seed);
  const q = vectorOf(start.precision, start.size);
  for (let k = 0; k < start.size; k++) q[k] = 2 * random() - 1;
  scaleInPlace(q, round(1 / norm(q)));
  return q;
}

/** The result before the first step: no Ritz values yet. */
export function lanczosNotStarted(): LanczosResult {
  return {
    lambdaMin: NaN,
    lambdaMax: NaN,
    residualMin: NaN,
    residualMax: NaN,
    rounding: NaN,
    iterations: 0,
    restarts: 0,
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

/** How far a run has gone: matrix-vector products and restarts so far. */
export interface LanczosProgress {
  readonly iterations: number;
  readonly restarts: number;
}

/**
 * The stopping tests after step j (from 0) of the current cycle, on T_j (diagonal alphas[0..j],
 * off-diagonal betas[0..j-1]) and beta_j = betas[j], the norm of the next Lanczos vector before
 * scaling:
 *  diverged_nan         alpha_j or beta_j is NaN or infinite
 *  converged_invariant  beta_j <= 16 u sqrt(n) ||T_j||, or j + 1 = n: the Krylov space is invariant
 *  converged_tol        both extreme Ritz pairs have |beta_j s_j| <= tol max|theta|
 * The result's residual bounds are |beta_j s_j| floored at roundingBound: in exact arithmetic the
 * first alone bounds each Ritz value's distance to an eigenvalue.
 * The CPU applies them at every step; the GPU engine replays them on the alphas and betas it reads
 * back, so that both stop at the same step for the same reason.
 */
export function lanczosVerdict(
  start: LanczosStart,
  alphas: Float64Array,
  betas: Float64Array,
  j: number,
  previous: LanczosResult,
  progress: LanczosProgress,
): LanczosVerdict {
  const beta = betas[j];
  if (!Number.isFinite(alphas[j]) || !Number.isFinite(beta))
    return { result: previous, reason: 'diverged_nan' };
  const { values, lastComponents } = tridiagonalEigen(alphas.subarray(0, j + 1), betas.subarray(0, j));
  const scale = Math.max(Math.abs(values[0]), Math.abs(values[j]));
  const { size, tol } = start;
  const rounding = roundingBound(start.unitRoundoff, size, scale);
  // Converged by |beta_j s_j|, the exact-arithmetic bounds (a float32 run asked for less than its
  // rounding still stops once T_j's pairs have settled), reported with the rounding's floor.
  const betaMin = Math.abs(beta * lastComponents[0]);
  const betaMax = Math.abs(beta * lastComponents[j]);
  const result: LanczosResult = {
    lambdaMin: values[0],
    lambdaMax: values[j],
    residualMin: Math.max(betaMin, rounding),
    residualMax: Math.max(betaMax, rounding),
    rounding,
    ...progress,
    reason: 'diverged_max_it',
    converged: false,
    ritzValues: values,
  };
  if (beta <= rounding || j + 1 === size) {
    return { result, reason: 'converged_invariant' };
  }
  if (betaMin <= tol * scale && betaMax <= tol * scale) {
    return { result, reason: 'converged_tol' };
  }
  return { result, reason: null };
}

/**
 * The coefficients s of the extreme Ritz vectors V s of a cycle at `steps` = dim T_j: the
 * eigenvectors of T (the first `steps` alphas and steps - 1 betas) for its smallest and largest
 * eigenvalue. One computation for both backends; each forms V s where its basis lives (the GPU with
 * the reorthogonalisation's columns kernel).
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
  const xNorm = norm(x);
  if (xNorm > 0) for (let i = 0; i < x.length; i++) x[i] /= xNorm;
  return x;
}

/** The basis after a thick restart, as coefficients over the old one and its T. */
export interface ThickRestart {
  /** New column c is V coefficients[c], over the `steps` columns of T's cycle (c < kept). */
  readonly coefficients: Float64Array[];
  /**
   * T of the kept columns: diagonal and off-diagonal, both of length kept; the last off-diagonal
   * entry couples the last kept column to q_steps, the column after them.
   */
  readonly alphas: Float64Array;
  readonly betas: Float64Array;
}

/** Ritz vectors a restart at dim T = steps keeps in all: half the basis, the rest free for new steps. */
export function maxKept(steps: number): number {
  return Math.max(2, Math.floor(steps / 2));
}

/**
 * How many of maxKept(steps) Ritz vectors a restart keeps at the bottom and at the top: half each,
 * but an end whose extreme pair has converged keeps an eighth (its converged pair and neighbours) and
 * the other end the rest, since a dense cluster converges only once enough of its vectors are kept.
 */
export function keptPerEnd(steps: number, converged: { min: boolean; max: boolean }): [number, number] {
  const total = maxKept(steps);
  const few = Math.max(1, Math.floor(total / 8));
  if (converged.min === converged.max) return [Math.floor(total / 2), total - Math.floor(total / 2)];
  return converged.min ? [few, total - few] : [total - few, few];
}

/**
 * The thick restart of a full cycle (T of dim `steps`, alphas[0..steps-1], betas[0..steps-1], the last
 * beta the norm that made q_steps): keep the Ritz pairs (theta_i, V y_i) nearest each end. They
 * satisfy A V y_i = theta_i V y_i + b_i q_steps with b_i = beta_{steps-1} y_i[steps - 1] (Wu & Simon
 * 2000), so with q_steps first the projected matrix is the arrowhead [[0, b^T], [b, diag theta]].
 * Its Householder tridiagonalisation keeps q_steps and rotates the Ritz vectors by Z; in reverse
 * order, Z's columns then q_steps, the kept vectors form a Lanczos basis whose T is the reflected
 * tridiagonal, and the next step is the ordinary three-term step from q_steps.
 */
export function thickRestart(
  alphas: Float64Array,
  betas: Float64Array,
  steps: number,
  tol: number,
): ThickRestart {
  const diagonal = alphas.subarray(0, steps);
  const offDiagonal = betas.subarray(0, steps - 1);
  const eigen = tridiagonalEigen(diagonal, offDiagonal);
  const threshold = tol * Math.max(Math.abs(eigen.values[0]), Math.abs(eigen.values[steps - 1]));
  const converged = (k: number) => Math.abs(betas[steps - 1] * eigen.lastComponents[k]) <= threshold;
  const [bottom, top] = keptPerEnd(steps, { min: converged(0), max: converged(steps - 1) });
  const positions = Array.from({ length: bottom + top }, (_, i) => (i < bottom ? i : i - bottom - top));
  const { values, vectors } = tridiagonalEigenvectors(diagonal, offDiagonal, positions);
  const kept = positions.length;
  const order = kept + 1;
  const arrowhead = new Float64Array(order * order);
  positions.forEach((position, i) => {
    const coupling = betas[steps - 1] * vectors[i][steps - 1];
    arrowhead[(i + 1) * order + i + 1] = values[position < 0 ? steps + position : position];
    arrowhead[i + 1] = coupling;
    arrowhead[(i + 1) * order] = coupling;
  });
  const reduced = householderTridiagonal(arrowhead, order);
  const coefficients: Float64Array[] = [];
  const newAlphas = new Float64Array(kept);
  const newBetas = new Float64Array(kept);
  for (let c = 0; c < kept; c++) {
    // New column c is the arrowhead's index kept - c, so that the last one couples to q_steps.
    const index = kept - c;
    const y = new Float64Array(steps);
    for (let i = 0; i < kept; i++) {
      const z = reduced.q[(i + 1) * order + index];
      for (let l = 0; l < steps; l++) y[l] += z * vectors[i][l];
    }
    coefficients.push(y);
    newAlphas[c] = reduced.diagonal[index];
    newBetas[c] = reduced.offDiagonal[index - 1];
  }
  return { coefficients, alphas: newAlphas, betas: newBetas };
}

/**
 * Extreme eigenvalues of op by thick-restart Lanczos from a seeded random start. Stops (see
 * lanczosVerdict and LanczosReason) when both extreme Ritz pairs have |beta_j s_j| <= tol max|theta|
 * (each bounds its eigenvalue error), when beta_j vanishes or T_j reaches the size
 * (converged_invariant), or after maxIterations products or a false from onIteration
 * (diverged_max_it, with the Ritz values reached so far: they lie inside the spectrum).
 */
export function lanczos(op: LinearOperator, options: LanczosOptions = {}): LanczosResult {
  const { size, precision } = op;
  const round = roundTo(precision);
  const start = startLanczos(size, precision, options);
  const { maxIterations, columns } = start;

  // The basis: `columns` vectors at most, allocated as the first cycle reaches them.
  const basis: Vector[] = [lanczosStartVector(start)];
  const column = (j: number): Vector => (basis[j] ??= vectorOf(precision, size));
  const alphas = new Float64Array(columns);
  const betas = new Float64Array(columns);
  let result = lanczosNotStarted();
  let restarts = 0;
  const stop = (reason: LanczosReason): LanczosResult => {
    const stopped = lanczosStopped(result, reason);
    const steps = stopped.ritzValues.length;
    if (!options.ritzVectors || steps === 0) return stopped;
    const s = ritzCoefficients(alphas, betas, steps);
    const ritzVectors: RitzVectors = {
      min: combineBasis(basis.slice(0, steps), s.min),
      max: combineBasis(basis.slice(0, steps), s.max),
    };
    return { ...stopped, ritzVectors };
  };

  let j = 0;
  for (let iteration = 1; iteration <= maxIterations; iteration++) {
    const q = basis[j];
    const w = column(j + 1);
    op.apply(q, w);
    const alpha = round(dot(q, w));
    alphas[j] = alpha;
    // The three-term recurrence, then classical Gram-Schmidt against the whole basis twice ("twice is
    // enough", Giraud et al. 2005): the second pass removes what rounding left of the first.
    const betaPrevious = j > 0 ? betas[j - 1] : 0;
    for (let k = 0; k < size; k++) w[k] -= alpha * q[k];
    if (j > 0) {
      const previous = basis[j - 1];
      for (let k = 0; k < size; k++) w[k] -= betaPrevious * previous[k];
    }
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i <= j; i++) {
        const v = basis[i];
        const overlap = round(dot(v, w));
        for (let k = 0; k < size; k++) w[k] -= overlap * v[k];
      }
    }
    const beta = round(norm(w));
    betas[j] = beta;

    const verdict = lanczosVerdict(start, alphas, betas, j, result, { iterations: iteration, restarts });
    result = verdict.result;
    // onIteration sees every step that has Ritz values, the one that stops included.
    const proceed =
      verdict.reason === 'diverged_nan'
        ? undefined
        : options.onIteration?.(iteration, result.lambdaMin, result.lambdaMax);
    if (verdict.reason) return stop(verdict.reason);
    if (proceed === false) return stop('diverged_max_it');
    scaleInPlace(w, round(1 / beta));
    if (j + 2 < columns) {
      j++;
      continue;
    }
    // The basis is full: restart from the kept Ritz vectors, then q_{j+1} (in w).
    const restart = thickRestart(alphas, betas, j + 1, start.tol);
    const kept = restart.coefficients.map((coefficients) => {
      const x = new Float64Array(size);
      for (let l = 0; l <= j; l++) {
        const v = basis[l];
        for (let k = 0; k < size; k++) x[k] += coefficients[l] * v[k];
      }
      return x;
    });
    kept.forEach((x, c) => basis[c].set(x));
    j = kept.length;
    basis[j].set(w);
    alphas.set(restart.alphas);
    betas.set(restart.betas);
    restarts++;
    // The kept pairs' Ritz values and bounds, from their T: what a NaN at the next step returns.
    result = lanczosVerdict(start, alphas, betas, j - 1, result, { iterations: iteration, restarts }).result;
  }
  return stop('diverged_max_it');
}

function scaleInPlace(v: Vector, factor: number): void {
  for (let k = 0; k < v.length; k++) v[k] *= factor;
}
