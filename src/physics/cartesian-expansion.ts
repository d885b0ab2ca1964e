// Cartesian Taylor expansion of the Oseen tensor about a cluster centre, for the treecode
// (treecode.ts). The unsoftened Oseen tensor of the mass matrix (models.ts) is T = S / 2 with the
// Stokeslet S(d) = I / r + d d^T / r^3 = I lap(r) - grad grad r (lap r = 2 / r), so every
// derivative of S is a derivative of the one scalar r = |d|. For sources f_j at y_j = c + delta_j
// and a target at x = c + R,
//   sum_j S(R - delta_j) f_j = sum_alpha [I lap D_alpha - grad grad D_alpha] w_alpha,
//   w_alpha = sum_j (-delta_j)^alpha / alpha! f_j   (the moments, |alpha| <= p),
// with D_beta = d^beta r / dR^beta for |beta| <= p + 2. The Taylor coefficients t_beta = D_beta / beta!
// of g = s^mu, s = |R|^2, obey (multiply s dg/dR_i = 2 mu R_i g by h_i, sum, and match powers of h)
//   |k| s t_k = (2 mu + 2 - 2|k|) sum_i R_i t_{k - e_i} + (2 mu + 2 - |k|) sum_i t_{k - 2 e_i},
// Lindsay & Krasny's recurrence (J. Comput. Phys. 172, 2001) at mu = 1/2. Multi-indices are stored in
// graded order (all of degree 0, then 1, ...), so the first termCount(p) entries are those of degree
// <= p and one index serves moments and derivatives alike.

/** Number of multi-indices alpha in 3D with |alpha| <= degree: C(degree + 3, 3). */
export function termCount(degree: number): number {
  return ((degree + 1) * (degree + 2) * (degree + 3)) / 6;
}

/** Index tables of one expansion order p; everything the upward pass and the evaluation look up. */
export interface ExpansionTables {
  /** Expansion order p: moments of degree <= p. */
  readonly order: number;
  /** termCount(p): moments per source component. */
  readonly momentCount: number;
  /** termCount(p + 2): derivatives of r needed by the evaluation; index derivativeCount is a zero. */
  readonly derivativeCount: number;
  /** The recurrence's weights (3 - 2|k|) / |k| and (3 - |k|) / |k| per derivative term. */
  readonly firstWeight: Float64Array;
  readonly secondWeight: Float64Array;
  /** k! = k_x! k_y! k_z!, turning Taylor coefficients into derivatives. */
  readonly factorial: Float64Array;
  /** Indices of k - e_i and k - 2 e_i (i = x, y, z; 3 per term), or derivativeCount where absent. */
  readonly minusOne: Uint16Array;
  readonly minusTwo: Uint16Array;
  /** For a moment term alpha != 0: the index of alpha - e_i, the axis i, and alpha_i (divisor). */
  readonly monomialParent: Uint16Array;
  readonly monomialAxis: Uint8Array;
  readonly monomialDivisor: Float64Array;
  /** For a moment term alpha: the indices of alpha + e_a + e_b, ab = xx, yy, zz, xy, xz, yz. */
  readonly secondDerivative: Uint16Array;
  /** The shift of moments (M2M) as triples (alpha, beta, gamma = alpha - beta), beta <= alpha. */
  readonly shift: Uint16Array;
}

const kPairs: readonly (readonly [number, number])[] = [
  [0, 0],
  [1, 1],
  [2, 2],
  [0, 1],
  [0, 2],
  [1, 2],
];

/** Orders above 12 cost more than the direct sum at any N a device holds. */
export const kMaxTreeOrder = 12;

export function expansionTables(order: number): ExpansionTables {
  if (!Number.isInteger(order) || order < 0 || order > kMaxTreeOrder) {
    throw new RangeError(`the expansion order must be an integer in [0, ${kMaxTreeOrder}], got ${order}`);
  }
  const top = order + 2;
  const derivativeCount = termCount(top);
  const momentCount = termCount(order);
  const exponents: [number, number, number][] = [];
  const indexOf = new Map<string, number>();
  for (let n = 0; n <= top; n++) {
    for (let a = n; a >= 0; a--) {
      for (let b = n - a; b >= 0; b--) {
        indexOf.set(`${a},${b},${n - a - b}`, exponents.length);
        exponents.push([a, b, n - a - b]);
      }
    }
  }
  const find = (k: readonly number[]) => indexOf.get(k.join(',')) ?? derivativeCount;
  const shifted = (k: readonly number[], axis: number, by: number) =>
    k.map((value, i) => (i === axis ? value + by : value));
  const factorialOf = (m: number): number => (m <= 1 ? 1 : m * factorialOf(m - 1));

  const firstWeight = new Float64Array(derivativeCount);
  const secondWeight = new Float64Array(derivativeCount);
  const factorial = new Float64Array(derivativeCount);
  const minusOne = new Uint16Array(3 * derivativeCount);
  const minusTwo = new Uint16Array(3 * derivativeCount);
  exponents.forEach((k, index) => {
    const n = k[0] + k[1] + k[2];
    firstWeight[index] = n > 0 ? (3 - 2 * n) / n : 0;
    secondWeight[index] = n > 0 ? (3 - n) / n : 0;
    factorial[index] = factorialOf(k[0]) * factorialOf(k[1]) * factorialOf(k[2]);
    for (let i = 0; i < 3; i++) {
      minusOne[3 * index + i] = k[i] >= 1 ? find(shifted(k, i, -1)) : derivativeCount;
      minusTwo[3 * index + i] = k[i] >= 2 ? find(shifted(k, i, -2)) : derivativeCount;
    }
  });

  const monomialParent = new Uint16Array(momentCount);
  const monomialAxis = new Uint8Array(momentCount);
  const monomialDivisor = new Float64Array(momentCount).fill(1);
  const secondDerivative = new Uint16Array(6 * momentCount);
  const shift: number[] = [];
  for (let index = 0; index < momentCount; index++) {
    const alpha = exponents[index];
    const axis = alpha.findIndex((value) => value > 0);
    if (axis >= 0) {
      monomialParent[index] = find(shifted(alpha, axis, -1));
      monomialAxis[index] = axis;
      monomialDivisor[index] = alpha[axis];
    }
    kPairs.forEach(([a, b], q) => {
      secondDerivative[6 * index + q] = find(shifted(shifted(alpha, a, 1), b, 1));
    });
    for (let beta = 0; beta < momentCount; beta++) {
      const gamma = alpha.map((value, i) => value - exponents[beta][i]);
      if (gamma.every((value) => value >= 0)) shift.push(index, beta, find(gamma));
    }
  }
  return {
    order,
    momentCount,
    derivativeCount,
    firstWeight,
    secondWeight,
    factorial,
    minusOne,
    minusTwo,
    monomialParent,
    monomialAxis,
    monomialDivisor,
    secondDerivative,
    shift: Uint16Array.from(shift),
  };
}

/**
 * (-delta)^alpha / alpha! for |alpha| <= p into `out` (momentCount entries): the weight of a source at
 * c + delta in the moment w_alpha, and of a child's moment beta in its parent's moment beta + alpha.
 */
export function scaledMonomials(
  tables: ExpansionTables,
  dx: number,
  dy: number,
  dz: number,
  out: Float64Array,
): void {
  const { momentCount, monomialParent, monomialAxis, monomialDivisor } = tables;
  out[0] = 1;
  for (let k = 1; k < momentCount; k++) {
    const axis = monomialAxis[k];
    const minusDelta = axis === 0 ? -dx : axis === 1 ? -dy : -dz;
    out[k] = (out[monomialParent[k]] * minusDelta) / monomialDivisor[k];
  }
}

/**
 * The derivatives D_beta = d^beta r / dR^beta, |beta| <= p + 2, at R != 0 into `derivatives`, by the
 * recurrence above; `taylor` (derivativeCount + 1 entries, the last kept 0) holds the coefficients.
 */
export function distanceDerivatives(
  tables: ExpansionTables,
  rx: number,
  ry: number,
  rz: number,
  taylor: Float64Array,
  derivatives: Float64Array,
): void {
  const { derivativeCount, firstWeight, secondWeight, factorial, minusOne, minusTwo } = tables;
  const s = rx * rx + ry * ry + rz * rz;
  const inverseS = 1 / s;
  taylor[0] = Math.sqrt(s);
  derivatives[0] = taylor[0];
  for (let k = 1; k < derivativeCount; k++) {
    const k3 = 3 * k;
    const first = rx * taylor[minusOne[k3]] + ry * taylor[minusOne[k3 + 1]] + rz * taylor[minusOne[k3 + 2]];
    const second = taylor[minusTwo[k3]] + taylor[minusTwo[k3 + 1]] + taylor[minusTwo[k3 + 2]];
    const value = (firstWeight[k] * first + secondWeight[k] * second) * inverseS;
    taylor[k] = value;
    derivatives[k] = value * factorial[k];
  }
}
