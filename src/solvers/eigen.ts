// Small dense symmetric eigenproblems in float64: the Lanczos tridiagonal T_k at every step, and (for
// tests, as a check independent of Lanczos) a whole dense matrix by Householder reduction to
// tridiagonal form, which also serves the thick restart of Lanczos. Both end in the implicit QL
// iteration with Wilkinson shifts (EISPACK tql1/tql2).

export interface TridiagonalEigen {
  /** Eigenvalues, ascending. */
  values: Float64Array;
  /**
   * The last component of each normalised eigenvector, in the order of `values`. For T_k of Lanczos,
   * |beta_k s_k| is then the residual norm ||A y - theta y|| of the Ritz pair (Parlett, ch. 13).
   */
  lastComponents: Float64Array;
}

/** Sweeps allowed per eigenvalue; QL converges cubically, 2-3 sweeps are typical. */
const kMaxSweeps = 60;

/**
 * Eigenvalues of the symmetric tridiagonal matrix with the given diagonal (length n) and off-diagonal
 * (offDiagonal[i] couples i and i+1; only the first n-1 entries are read). Inputs are not modified.
 * Only the last row of the eigenvector matrix is accumulated, which keeps a call O(n^2).
 */
export function tridiagonalEigen(
  diagonal: ArrayLike<number>,
  offDiagonal: ArrayLike<number>,
): TridiagonalEigen {
  const n = diagonal.length;
  const { values, rows, order } = tridiagonalQl(diagonal, offDiagonal, n > 0 ? [n - 1] : []);
  const lastComponents = new Float64Array(n);
  order.forEach((source, k) => (lastComponents[k] = rows[0][source]));
  return { values, lastComponents };
}

/**
 * Eigenvalues (ascending) and the normalised eigenvectors at the given positions of that order (a
 * negative position counts from the top: -1 is the largest), for Ritz vectors of Lanczos. The same QL
 * sweeps as tridiagonalEigen, accumulating every row of Z: O(n^3), small beside the Lanczos products.
 */
export function tridiagonalEigenvectors(
  diagonal: ArrayLike<number>,
  offDiagonal: ArrayLike<number>,
  positions: readonly number[],
): { values: Float64Array; vectors: Float64Array[] } {
  const n = diagonal.length;
  const { values, rows, order } = tridiagonalQl(
    diagonal,
    offDiagonal,
    Array.from({ length: n }, (_, row) => row),
  );
  const vectors = positions.map((position) => {
    const k = position < 0 ? n + position : position;
    if (!(k >= 0 && k < n)) throw new RangeError(`no eigenvalue ${position} of a ${n} x ${n} matrix`);
    return Float64Array.from(rows, (row) => row[order[k]]);
  });
  return { values, vectors };
}

/**
 * The implicit QL iteration (EISPACK tql2) on copies of the inputs, accumulating the requested rows
 * of the rotations Z (T = Z diag(d) Z^T); `order` sorts d ascending, so eigenvector k is column
 * order[k] of Z.
 */
function tridiagonalQl(
  diagonal: ArrayLike<number>,
  offDiagonal: ArrayLike<number>,
  zRows: readonly number[],
): { values: Float64Array; rows: Float64Array[]; order: number[] } {
  const n = diagonal.length;
  const d = Float64Array.from(diagonal);
  const e = new Float64Array(n);
  for (let i = 0; i + 1 < n; i++) e[i] = offDiagonal[i];
  // The requested rows of Z, starting from the identity's.
  const rows = zRows.map((row) => {
    const z = new Float64Array(n);
    z[row] = 1;
    return z;
  });
  for (let l = 0; l < n; l++) {
    let sweeps = 0;
    let m: number;
    do {
      // Look for a negligible off-diagonal element that splits the matrix.
      for (m = l; m < n - 1; m++) {
        const dd = Math.abs(d[m]) + Math.abs(d[m + 1]);
        if (Math.abs(e[m]) + dd === dd) break;
      }
      if (m === l) break;
      if (sweeps++ === kMaxSweeps) {
        throw new Error(`tridiagonalEigen: no convergence for eigenvalue ${l} after ${kMaxSweeps} sweeps`);
      }
      // Wilkinson shift from the leading 2x2 block.
      let g = (d[l + 1] - d[l]) / (2 * e[l]);
      let r = Math.hypot(g, 1);
      g = d[m] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
      let s = 1;
      let c = 1;
      let p = 0;
      let i: number;
      for (i = m - 1; i >= l; i--) {
        const f = s * e[i];
        const b = c * e[i];
        r = Math.hypot(f, g);
        e[i + 1] = r;
        if (r === 0) {
          // Underflow: deflate and restart the sweep.
          d[i + 1] -= p;
          e[m] = 0;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1] - p;
        r = (d[i] - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
        for (const z of rows) {
          const zNext = z[i + 1];
          z[i + 1] = s * z[i] + c * zNext;
          z[i] = c * z[i] - s * zNext;
        }
      }
      if (r === 0 && i >= l) continue;
      d[l] -= p;
      e[l] = g;
      e[m] = 0;
    } while (m !== l);
  }
  const order = Array.from({ length: n }, (_, k) => k).sort((a, b) => d[a] - d[b]);
  return { values: Float64Array.from(order, (source) => d[source]), rows, order };
}

/**
 * All eigenvalues (ascending) of a dense symmetric size x size row-major matrix: Householder reduction
 * to tridiagonal form, then QL. O(size^3); meant for checks at sizes up to a few hundred.
 */
export function symmetricEigenvalues(matrix: ArrayLike<number>, size: number): Float64Array {
  const { diagonal, offDiagonal } = householderTridiagonal(matrix, size);
  return tridiagonalEigen(diagonal, offDiagonal).values;
}

/** Q^T A Q = T for a symmetric A: T's diagonal and off-diagonal, and Q row-major. */
export interface Tridiagonalisation {
  diagonal: Float64Array;
  offDiagonal: Float64Array;
  q: Float64Array;
}

/**
 * Householder reduction of a dense symmetric size x size row-major matrix to tridiagonal form,
 * accumulating Q = H_0 H_1 ... Each reflection acts on the indices after its column, so Q e_0 = e_0:
 * the first index keeps its vector (the thick restart's next Lanczos vector). The off-diagonal is made
 * nonnegative by flipping the signs of columns 1.. of Q, as Lanczos' betas are. O(size^3).
 */
export function householderTridiagonal(matrix: ArrayLike<number>, size: number): Tridiagonalisation {
  if (matrix.length < size * size)
    throw new RangeError(`matrix has ${matrix.length} entries, need ${size * size}`);
  const a = Float64Array.from({ length: size * size }, (_, k) => matrix[k]);
  const q = new Float64Array(size * size);
  for (let i = 0; i < size; i++) q[i * size + i] = 1;
  const diagonal = new Float64Array(size);
  const offDiagonal = new Float64Array(Math.max(0, size - 1));
  const v = new Float64Array(size);
  const p = new Float64Array(size);
  for (let k = 0; k + 2 < size; k++) {
    // Reflect x = a[k+1.., k] onto alpha e_1 with H = I - 2 v v^T / (v^T v), v = x - alpha e_1, and
    // apply H B H to the trailing block B as the rank-2 update B - v q^T - q v^T.
    let xNorm2 = 0;
    for (let i = k + 1; i < size; i++) xNorm2 += a[i * size + k] * a[i * size + k];
    const x0 = a[(k + 1) * size + k];
    // alpha takes the sign opposite to x_0 so that v_0 = x_0 - alpha does not cancel.
    const alpha = x0 > 0 ? -Math.sqrt(xNorm2) : Math.sqrt(xNorm2);
    offDiagonal[k] = alpha;
    for (let i = k + 1; i < size; i++) v[i] = a[i * size + k];
    v[k + 1] -= alpha;
    let vNorm2 = 0;
    for (let i = k + 1; i < size; i++) vNorm2 += v[i] * v[i];
    if (vNorm2 === 0) continue;
    let vp = 0;
    for (let i = k + 1; i < size; i++) {
      let sum = 0;
      for (let j = k + 1; j < size; j++) sum += a[i * size + j] * v[j];
      p[i] = (2 * sum) / vNorm2;
      vp += v[i] * p[i];
    }
    const kappa = vp / vNorm2;
    for (let i = k + 1; i < size; i++) p[i] -= kappa * v[i];
    for (let i = k + 1; i < size; i++) {
      for (let j = k + 1; j < size; j++) a[i * size + j] -= v[i] * p[j] + p[i] * v[j];
    }
    // Q <- Q H: each row r loses 2 (Q_r . v) / (v^T v) v.
    for (let r = 0; r < size; r++) {
      let qv = 0;
      for (let j = k + 1; j < size; j++) qv += q[r * size + j] * v[j];
      const factor = (2 * qv) / vNorm2;
      for (let j = k + 1; j < size; j++) q[r * size + j] -= factor * v[j];
    }
  }
  for (let i = 0; i < size; i++) diagonal[i] = a[i * size + i];
  if (size >= 2) offDiagonal[size - 2] = a[(size - 1) * size + size - 2];
  for (let i = 0; i + 1 < size; i++) {
    if (offDiagonal[i] >= 0) continue;
    // Negating column i + 1 of Q flips the couplings of index i + 1 to both neighbours.
    offDiagonal[i] = -offDiagonal[i];
    if (i + 2 < size) offDiagonal[i + 1] = -offDiagonal[i + 1];
    for (let r = 0; r < size; r++) q[r * size + i + 1] = -q[r * size + i + 1];
  }
  return { diagonal, offDiagonal, q };
}
