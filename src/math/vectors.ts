// Numerics that both the physics and the float64 solvers use, so that neither layer imports the
// other: the storage precisions of their arrays, the inner product of the Krylov methods and
// observables, a compensated sum, and the seeded generator of the random velocities and start
// vectors; the log-spaced points of the physics' sweeps and the app's curves; and the true residual
// that the solvers, the refinement and the dense check each report, by one rule.

/** Storage precision of a run: float64 is the reference; float32 mirrors the GPU's arithmetic. */
export type Precision = 'float64' | 'float32';
export type Vector = Float64Array | Float32Array;

export function vectorOf(precision: Precision, length: number): Vector {
  return precision === 'float64' ? new Float64Array(length) : new Float32Array(length);
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let k = 0; k < a.length; k++) sum += a[k] * b[k];
  return sum;
}

/** The Euclidean norm ||x|| = sqrt(x . x). */
export function norm(x: ArrayLike<number>): number {
  return Math.sqrt(dot(x, x));
}

/**
 * A residual norm relative to ||b|| (`reference`): 0 where the norm is 0, a zero right-hand side
 * solved by x = 0 included; NaN where either is NaN (a product or right-hand side that overflowed),
 * never the 0 of a solved system; Infinity where b = 0 but r is not.
 */
export function relativeTo(residualNorm: number, reference: number): number {
  return residualNorm === 0 && !Number.isNaN(reference) ? 0 : residualNorm / reference;
}

/** A true residual r = b - A x in float64, its norm and its norm relative to ||b|| (relativeTo). */
export interface TrueResidual {
  readonly r: Float64Array;
  readonly norm: number;
  readonly relative: number;
}

/**
 * The true residual of x from b and its product `ax` = A x, in float64 whatever precision formed
 * A x: a float32 recursive residual can claim a convergence the stored x does not have.
 * `bNorm`: ||b||, where the caller holds it.
 */
export function trueResidual(
  b: ArrayLike<number>,
  ax: ArrayLike<number>,
  bNorm: number = norm(b),
): TrueResidual {
  const r = new Float64Array(b.length);
  for (let k = 0; k < r.length; k++) r[k] = b[k] - ax[k];
  const rNorm = norm(r);
  return { r, norm: rNorm, relative: relativeTo(rNorm, bNorm) };
}

/**
 * sum_k term(k) for k = 0..count-1 by Neumaier's compensated summation (Kahan's, also exact where a
 * term outweighs the running sum): its error is about one rounding of the sum, plus count u^2 sum |term|,
 * where a plain loop's grows like count u sum |term| (u = 2^-53). For sums whose last digits are the
 * result, as N r_e/R's distance from its continuum value is.
 */
export function compensatedSum(count: number, term: (k: number) => number): number {
  let sum = 0;
  let compensation = 0;
  for (let k = 0; k < count; k++) {
    const x = term(k);
    const next = sum + x;
    compensation += Math.abs(sum) >= Math.abs(x) ? sum - next + x : x - next + sum;
    sum = next;
  }
  return sum + compensation;
}

/** mulberry32: a small, well-mixed 32-bit generator; the same seed gives the same numbers everywhere. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` points log-spaced from `from` to `to` (both > 0): a sweep's values, a curve's grid. */
export function logSpaced(from: number, to: number, count: number): number[] {
  if (count === 1) return [from];
  const step = Math.log(to / from) / (count - 1);
  return Array.from({ length: count }, (_, i) => from * Math.exp(i * step));
}
