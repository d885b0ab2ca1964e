// The collective spectrum of the mass matrix. Scaled by its eps = 0 part D (1, or rho_i^2), the matrix
// D^-1/2 M D^-1/2 = I + eps D^-1/2 T D^-1/2 has eigenvalue 1 for free electrons, so lambda_max - 1 is
// the strength of the most collective mode: on the ring eps max_k lambda_k(V), reached at k = 1 just
// above the uniform rotation k = 0 and growing like eps N ln N, the measured form of the parameter
// N r_e / R of eq. 49. lambda_min <= 0 means M (eq. 50) is indefinite.
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
  /** Extreme eigenvalues of D^-1/2 M D^-1/2. */
  lambdaMin: number;
  lambdaMax: number;
  /** lambdaMax / lambdaMin while M is positive definite, else null. */
  conditionNumber: number | null;
  /** lambdaMax - 1: how far the most collective mode is from free electrons (eq. 49). */
  collectiveParameter: number;
  /** N eps = N r_e / R, the paper's estimate of the same quantity (eq. 49). */
  nEpsilon: number;
  indefinite: boolean;
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

/** Extreme eigenvalues of D^-1/2 M D^-1/2 for a system of n electrons at the given eps, by Lanczos. */
export function massSpectrum(
  op: LinearOperator,
  n: number,
  epsilon: number,
  options: LanczosOptions = {},
): SpectrumResult {
  return spectrumFromLanczos(lanczos(jacobiScaled(op), options), n, epsilon);
}

/**
 * The SpectrumResult of a Lanczos run on D^-1/2 M D^-1/2 for n electrons at the given eps, whichever
 * backend ran it (the GPU engine's result keeps its own Lanczos type).
 */
export function spectrumFromLanczos<L extends LanczosResult>(
  result: L,
  n: number,
  epsilon: number,
): SpectrumResult & { lanczos: L } {
  const { lambdaMin, lambdaMax } = result;
  return {
    lambdaMin,
    lambdaMax,
    conditionNumber: lambdaMin > 0 ? lambdaMax / lambdaMin : null,
    collectiveParameter: lambdaMax - 1,
    nEpsilon: n * epsilon,
    indefinite: lambdaMin <= 0,
    lanczos: result,
  };
}
