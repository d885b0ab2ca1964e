// The collective spectrum of the mass matrix. Scaled by its eps = 0 part D (1, or rho_i^2), the matrix
// D^-1/2 M D^-1/2 = I + eps S, S = D^-1/2 T D^-1/2, has eigenvalue 1 for free electrons, so
// lambda_max - 1 = eps mu_max is the strength of the most collective mode: on the ring eps max_k
// lambda_k(V), reached at k = 1 just above the uniform rotation k = 0 and growing like eps N ln N, the
// measured form of the parameter N r_e / R of eq. 49. lambda_min <= 0 means M (eq. 50) is indefinite.
// Lanczos runs on I + S, M at eps = 1, whose Krylov spaces are those of I + eps S: its tolerance,
// relative to the largest |theta|, then bounds mu's error by a fraction of ||S||, where on I + eps S it
// would bound lambda's by a fraction of 1 and, once eps ||S|| falls below the tolerance (float32's
// 1e-7 on the GPU), stop at the first step with lambda_min = lambda_max = 1 and no mu at all.
import { lanczos } from './lanczos.ts';
import {
  vectorOf,
  type LanczosOptions,
  type LanczosResult,
  type LinearOperator,
  type Precision,
  type Vector,
} from './types.ts';

export interface SpectrumResult {
  /** Extreme eigenvalues of D^-1/2 M D^-1/2: 1 + eps mu. */
  lambdaMin: number;
  lambdaMax: number;
  /** Extreme eigenvalues mu of S = D^-1/2 T D^-1/2, the interaction alone (Lanczos's theta - 1). */
  interactionMin: number;
  interactionMax: number;
  /** lambdaMax / lambdaMin once M is established positive definite (see indefinite), else null. */
  conditionNumber: number | null;
  /** lambdaMax - 1 = eps mu_max: how far the most collective mode is from free electrons (eq. 49). */
  collectiveParameter: number;
  /** N eps = N r_e / R, the paper's estimate of the same quantity (eq. 49). */
  nEpsilon: number;
  /**
   * lambda_min <= 0, where established beyond the Ritz value's error. The exact Rayleigh quotient of
   * the Ritz vector bounds the true lambda_min from above, and rounding puts the computed Ritz value
   * within eps lanczos.rounding of it, so lambda_min + eps rounding < 0 proves M indefinite from any
   * run; lambda_min - eps residualMin > 0 (the bound of theta_min: Lanczos's, or a refinement's
   * float64 residual, each at least the rounding) shows it definite where Lanczos converged (to the
   * extreme eigenvalue). null (not established) otherwise, within that error of 0 (float32's rounding
   * put a positive definite cluster's lambda_min of 1e-6 at -3.7e-5), and where lambda is not finite.
   */
  indefinite: boolean | null;
  /** The run on I + S with its Ritz values and residual bounds as those of D^-1/2 M D^-1/2 at eps. */
  lanczos: LanczosResult;
}

/**
 * D^-1/2 in the given precision (the GPU engine's in float32). A diagonal entry <= 0 or not finite
 * is an error, not a result: the scaling, and with it the spectrum, is undefined.
 */
export function jacobiInverseRoot(diagonal: Float64Array, precision: Precision): Vector {
  const inverseRoot = vectorOf(precision, diagonal.length);
  for (let k = 0; k < diagonal.length; k++) {
    if (!(diagonal[k] > 0) || !Number.isFinite(diagonal[k])) {
      throw new RangeError(`Jacobi scaling needs diag A > 0, but entry ${k} is ${diagonal[k]}`);
    }
    inverseRoot[k] = 1 / Math.sqrt(diagonal[k]);
  }
  return inverseRoot;
}

/**
 * x -> D^-1/2 A (D^-1/2 x), matrix-free, with D = diag A > 0. D^-1/2 is stored in the operator's
 * precision, as the GPU would hold it; the temporary follows the type of x, so a float64 x (the true
 * residual path) stays float64 up to the operator's own storage.
 */
export function jacobiScaled(op: LinearOperator): LinearOperator {
  const { size, precision } = op;
  const diagonal = op.diagonal();
  const inverseRoot = jacobiInverseRoot(diagonal, precision);
  const scratch: Partial<Record<Precision, Vector>> = {};
  return {
    size,
    precision,
    apply(x: Vector, y: Vector) {
      const kind: Precision = x instanceof Float64Array ? 'float64' : 'float32';
      const t = (scratch[kind] ??= vectorOf(kind, size));
      for (let k = 0; k < size; k++) t[k] = inverseRoot[k] * x[k];
      op.apply(t, y);
      for (let k = 0; k < size; k++) y[k] *= inverseRoot[k];
    },
    diagonal() {
      const scaled = new Float64Array(size);
      for (let k = 0; k < size; k++) scaled[k] = diagonal[k] * inverseRoot[k] * inverseRoot[k];
      return scaled;
    },
  };
}

/** M = D + eps T with eps a field the spectrum may set (src/run/backend.ts SplitMassMatrix). */
export interface EpsilonOperator extends LinearOperator {
  epsilon: number;
}

/**
 * Extreme eigenvalues of D^-1/2 M D^-1/2 for a system of n electrons at op's eps, by Lanczos on
 * op at eps = 1 (restored after).
 */
export function massSpectrum(op: EpsilonOperator, n: number, options: LanczosOptions = {}): SpectrumResult {
  const { epsilon } = op;
  op.epsilon = 1;
  try {
    return spectrumFromLanczos(lanczos(jacobiScaled(op), lanczosAt(options, epsilon)), n, epsilon);
  } finally {
    op.epsilon = epsilon;
  }
}

/** Lanczos options for a run on I + S whose onIteration sees the Ritz values at eps, 1 + eps (theta - 1). */
export function lanczosAt<O extends LanczosOptions>(options: O, epsilon: number): O {
  const { onIteration } = options;
  if (!onIteration) return options;
  return {
    ...options,
    onIteration: (step, low, high) => onIteration(step, 1 + epsilon * (low - 1), 1 + epsilon * (high - 1)),
  };
}

/**
 * What the extreme eigenvalues theta of I + S = D^-1/2 M D^-1/2 at eps = 1 give at eps:
 * mu = theta - 1, lambda = 1 + eps mu, and from them the collective parameter and definiteness
 * (`converged`: whether Lanczos converged to them; `residualMin`: the error bound of theta_min,
 * `rounding`: how far rounding may put it from its vector's Rayleigh quotient; SpectrumResult.indefinite).
 */
export function spectrumAt(
  extremes: {
    readonly lambdaMin: number;
    readonly lambdaMax: number;
    readonly residualMin: number;
    readonly rounding: number;
  },
  n: number,
  epsilon: number,
  converged: boolean,
): Omit<SpectrumResult, 'lanczos'> {
  // theta - 1 is exact near 1 (Sterbenz) and within theta's own rounding elsewhere. One electron has
  // no pair: S = 0 and mu = 0 exactly, where Lanczos's theta = q^T q rounds below 1 (eps mu would be
  // -6.7e-17 at eps = 0.3).
  const interactionMin = n === 1 ? 0 : extremes.lambdaMin - 1;
  const interactionMax = n === 1 ? 0 : extremes.lambdaMax - 1;
  const lambdaMin = 1 + epsilon * interactionMin;
  const lambdaMax = 1 + epsilon * interactionMax;
  const finite = Number.isFinite(lambdaMin) && Number.isFinite(lambdaMax);
  // A NaN bound establishes neither.
  const above = lambdaMin + epsilon * extremes.rounding;
  const below = lambdaMin - epsilon * extremes.residualMin;
  const indefinite = finite && above < 0 ? true : finite && converged && below > 0 ? false : null;
  return {
    lambdaMin,
    lambdaMax,
    interactionMin,
    interactionMax,
    conditionNumber: indefinite === false ? lambdaMax / lambdaMin : null,
    collectiveParameter: epsilon * interactionMax,
    nEpsilon: n * epsilon,
    indefinite,
  };
}

/**
 * The SpectrumResult at eps of a Lanczos run on I + S = D^-1/2 M D^-1/2 at eps = 1 for n electrons,
 * whichever backend ran it (the GPU engine's result keeps its own Lanczos type): its Ritz values and
 * residual bounds mapped to eps as spectrumAt maps the extremes.
 */
export function spectrumFromLanczos<L extends LanczosResult>(
  result: L,
  n: number,
  epsilon: number,
): SpectrumResult & { lanczos: L } {
  return {
    ...spectrumAt(result, n, epsilon, result.converged),
    lanczos: {
      ...result,
      lambdaMin: 1 + epsilon * (result.lambdaMin - 1),
      lambdaMax: 1 + epsilon * (result.lambdaMax - 1),
      residualMin: epsilon * result.residualMin,
      residualMax: epsilon * result.residualMax,
      rounding: epsilon * result.rounding,
      ritzValues: result.ritzValues.map((theta) => 1 + epsilon * (theta - 1)),
    },
  };
}
