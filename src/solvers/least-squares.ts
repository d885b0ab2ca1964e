// Small linear least-squares fits in float64, for laws fitted to a handful of measured points: y ~ X p
// by Householder QR (no normal equations: the columns of the scaling laws, such as ln N, 1 and 1/ln N,
// are nearly dependent over a few decades of N).

export interface LeastSquaresFit {
  readonly parameters: Float64Array;
  /**
   * The parameters' covariance s^2 (X^T X)^-1 with s^2 = RSS / (m - p), the residual variance, row-major
   * p x p; NaN where m <= p (an exact fit says nothing of its error).
   */
  readonly covariance: Float64Array;
  /** The root-mean-square residual sqrt(RSS / m). */
  readonly rmsResidual: number;
}

/** The fit of y by the columns of `rows` (m rows of p values); needs m >= p and full column rank. */
export function linearLeastSquares(
  rows: readonly (readonly number[])[],
  y: ArrayLike<number>,
): LeastSquaresFit {
  const m = rows.length;
  const p = m > 0 ? rows[0].length : 0;
  if (m < p || p === 0) throw new RangeError(`a fit of ${p} parameters needs at least ${p} points, got ${m}`);
  // Column-major copy of X, with y as column p, reduced by Householder reflections to R | Q^T y.
  const a = Array.from({ length: p + 1 }, (_, column) =>
    Float64Array.from({ length: m }, (_, row) => (column < p ? rows[row][column] : y[row])),
  );
  for (let k = 0; k < p; k++) {
    const x = a[k];
    let norm = 0;
    for (let i = k; i < m; i++) norm += x[i] * x[i];
    norm = Math.sqrt(norm);
    if (norm === 0) throw new RangeError(`column ${k} of the fit is linearly dependent on the others`);
    const alpha = x[k] > 0 ? -norm : norm;
    const v = new Float64Array(m);
    for (let i = k; i < m; i++) v[i] = x[i];
    v[k] -= alpha;
    let vv = 0;
    for (let i = k; i < m; i++) vv += v[i] * v[i];
    for (let column = k; column <= p; column++) {
      const c = a[column];
      let vc = 0;
      for (let i = k; i < m; i++) vc += v[i] * c[i];
      const factor = (2 * vc) / vv;
      for (let i = k; i < m; i++) c[i] -= factor * v[i];
    }
  }
  const rank = Math.max(...Array.from({ length: p }, (_, k) => Math.abs(a[k][k])));
  for (let k = 0; k < p; k++) {
    if (Math.abs(a[k][k]) <= 1e-13 * rank)
      throw new RangeError(`column ${k} of the fit is linearly dependent`);
  }
  // Back substitution R p = (Q^T y)[0..p); R^-1 for the covariance.
  const r = (row: number, column: number) => a[column][row];
  const parameters = new Float64Array(p);
  for (let k = p - 1; k >= 0; k--) {
    let sum = a[p][k];
    for (let c = k + 1; c < p; c++) sum -= r(k, c) * parameters[c];
    parameters[k] = sum / r(k, k);
  }
  let rss = 0;
  for (let i = p; i < m; i++) rss += a[p][i] * a[p][i];
  const inverse = new Float64Array(p * p);
  for (let column = 0; column < p; column++) {
    for (let k = column; k >= 0; k--) {
      let sum = k === column ? 1 : 0;
      for (let c = k + 1; c <= column; c++) sum -= r(k, c) * inverse[c * p + column];
      inverse[k * p + column] = sum / r(k, k);
    }
  }
  const variance = m > p ? rss / (m - p) : NaN;
  const covariance = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j < p; j++) {
      let sum = 0;
      for (let k = Math.max(i, j); k < p; k++) sum += inverse[i * p + k] * inverse[j * p + k];
      covariance[i * p + j] = variance * sum;
    }
  }
  return { parameters, covariance, rmsResidual: Math.sqrt(rss / m) };
}
