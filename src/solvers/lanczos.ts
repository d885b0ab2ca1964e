// Lanczos for the extreme eigenvalues of a symmetric operator, with full reorthogonalisation: the
// basis is kept (k vectors of the operator's size, 29 MB at size 12 000 and 300 steps in float64), so
// no spurious copies of converged Ritz values appear and the residual bounds mean what they say.
// Work vectors are in the operator's precision, like the solvers; T_k is solved in float64.
import { seededRandom } from '../physics/velocities.ts';
import { dot } from '../physics/observables.ts';
import { roundTo } from './krylov.ts';
import { tridiagonalEigen } from './eigen.ts';
import {
  defaultLanczosMaxIterations,
  defaultLanczosTol,
  vectorOf,
  type LanczosOptions,
  type LanczosReason,
  type LanczosResult,
  type LinearOperator,
  type Vector,
} from './types.ts';

/** beta_k below this many units of roundoff times ||T_k|| counts as zero: the space is invariant. */
const kInvariantRoundoffs = 16;

/**
 * Extreme eigenvalues of op by Lanczos from a seeded random start. Stops (see LanczosReason) when both
 * extreme Ritz pairs have |beta_k s_k| <= tol max|theta| (each bounds its eigenvalue error), when
 * beta_k vanishes or k reaches the size (converged_invariant), or after maxIterations or a false from
 * onIteration (diverged_max_it, with the Ritz values reached so far: they lie inside the spectrum).
 */
export function lanczos(op: LinearOperator, options: LanczosOptions = {}): LanczosResult {
  const { size, precision } = op;
  const round = roundTo(precision);
  const tol = options.tol ?? defaultLanczosTol(precision);
  const maxIterations = Math.min(size, options.maxIterations ?? defaultLanczosMaxIterations(size));
  const unitRoundoff = precision === 'float64' ? 2 ** -53 : 2 ** -24;
  const random = seededRandom(options.seed ?? 1);

  let q = vectorOf(precision, size);
  for (let k = 0; k < size; k++) q[k] = 2 * random() - 1;
  scaleInPlace(q, round(1 / Math.sqrt(dot(q, q))));
  const basis: Vector[] = [];
  const alphas = new Float64Array(maxIterations);
  const betas = new Float64Array(maxIterations);
  let result: LanczosResult = {
    lambdaMin: NaN,
    lambdaMax: NaN,
    residualMin: NaN,
    residualMax: NaN,
    iterations: 0,
    reason: 'diverged_max_it',
    converged: false,
    ritzValues: new Float64Array(0),
  };
  const stop = (reason: LanczosReason): LanczosResult => ({
    ...result,
    reason,
    converged: reason === 'converged_tol' || reason === 'converged_invariant',
  });

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
    if (!Number.isFinite(alpha) || !Number.isFinite(beta)) return stop('diverged_nan');

    const { values, lastComponents } = tridiagonalEigen(alphas.subarray(0, j + 1), betas.subarray(0, j));
    const last = j;
    const scale = Math.max(Math.abs(values[0]), Math.abs(values[last]));
    result = {
      lambdaMin: values[0],
      lambdaMax: values[last],
      residualMin: Math.abs(beta * lastComponents[0]),
      residualMax: Math.abs(beta * lastComponents[last]),
      iterations: j + 1,
      reason: 'diverged_max_it',
      converged: false,
      ritzValues: values,
    };
    const proceed = options.onIteration?.(j + 1, result.lambdaMin, result.lambdaMax);
    if (beta <= kInvariantRoundoffs * unitRoundoff * Math.sqrt(size) * scale || j + 1 === size) {
      return stop('converged_invariant');
    }
    if (result.residualMin <= tol * scale && result.residualMax <= tol * scale) return stop('converged_tol');
    if (proceed === false) return stop('diverged_max_it');
    scaleInPlace(w, round(1 / beta));
    q = w;
  }
  return stop('diverged_max_it');
}

function scaleInPlace(v: Vector, factor: number): void {
  for (let k = 0; k < v.length; k++) v[k] *= factor;
}
