// Cartesian Taylor expansions of the Laplace kernel 1 / r for the fast multipole method (treecode.ts).
//
// For charges q_j at y_j = c + delta_j (c a source node's centre), the multipole moments are
//   M_alpha = sum_j q_j (-delta_j)^alpha / alpha!            (|alpha| <= p),
// so phi(x) = sum_j q_j / |x - y_j| = sum_alpha M_alpha D_alpha(x - c), D_alpha = d^alpha (1/r) / dR^alpha.
// At x = c' + h near a target centre c', with R = c' - c, the local expansion is
//   phi(c' + h) = sum_beta L_beta h^beta / beta!,  L_beta = sum_alpha M_alpha D_{alpha + beta}(R),
// truncated at |alpha + beta| <= p: the double Taylor series of 1 / |R + h - delta| in (h - delta) to
// total degree p, whose error is of order ((|h| + |delta|) / |R|)^(p + 1) (Dehnen, J. Comput. Phys. 179,
// 2002), and whose derivatives D_gamma, |gamma| <= p, are all an interaction needs. The Taylor
// coefficients t_k = D_k / k! of g = s^mu, s = |R|^2, obey (multiply s dg/dR_i = 2 mu R_i g by h_i, sum,
// and match powers of h)
//   |k| s t_k = (2 mu + 2 - 2|k|) sum_i R_i t_{k - e_i} + (2 mu + 2 - |k|) sum_i t_{k - 2 e_i},
// Lindsay & Krasny's recurrence (J. Comput. Phys. 172, 2001) at mu = -1/2. Multi-indices are stored in
// graded order (all of degree 0, then 1, ...), so the first termCount(q) entries are those of degree
// <= q and one index serves moments, derivatives and local coefficients alike.
//
// 1/r is harmonic: D_k = -D_{k - 2 e_z + 2 e_x} - D_{k - 2 e_z + 2 e_y} wherever k_z >= 2, so only the
// (p + 1)^2 terms with k_z <= 1 are independent. M2L uses it twice: the moments are first reduced to
// those terms (M_alpha, alpha_z >= 2, moves to alpha - 2 e_z + 2 e_x and alpha - 2 e_z + 2 e_y with a
// minus sign: same degree, so the truncation |alpha + beta| <= p is kept), and only the local
// coefficients with beta_z <= 1 are summed, the rest following from the same identity (a local
// expansion is harmonic too). That cuts M2L from C(p + 6, 6) to about p^4 / 6 products per charge
// (p = 11: 12 376 to 4 004).
//
// Every operator below acts on kCharges charges at once, interleaved (kCharges numbers per term): the
// Oseen product needs four Laplace potentials (treecode.ts) and shares the index work among them.
import type { Vector } from '../math/vectors.ts';
import type { TreeAllocator } from './tree-build.ts';

/** Charges carried by every expansion: the Oseen product's f_x, f_y, f_z and f . y. */
export const kCharges = 4;

/** Number of multi-indices alpha in 3D with |alpha| <= degree: C(degree + 3, 3). */
export function termCount(degree: number): number {
  return ((degree + 1) * (degree + 2) * (degree + 3)) / 6;
}

/** Index tables of one expansion order p; everything the five FMM operators look up. */
export interface ExpansionTables {
  /** Expansion order p: moments and local coefficients of degree <= p. */
  readonly order: number;
  /** termCount(p): terms per charge of a multipole or a local expansion; index termCount is a zero. */
  readonly termCount: number;
  /** (k_x, k_y, k_z) of every term, 3 per term in graded order. */
  readonly exponents: Uint8Array;
  /** The recurrence's weights (1 - 2|k|) / |k| and (1 - |k|) / |k| per term. */
  readonly firstWeight: Float64Array;
  readonly secondWeight: Float64Array;
  /** k! = k_x! k_y! k_z!, turning Taylor coefficients into derivatives. */
  readonly factorial: Float64Array;
  /** Indices of k - e_i and k - 2 e_i (i = x, y, z; 3 per term), or termCount where absent. */
  readonly minusOne: Uint16Array;
  readonly minusTwo: Uint16Array;
  /** Index of k + e_i (3 per term) for |k| <= p - 1, or termCount: the gradient of a local expansion. */
  readonly plusOne: Uint16Array;
  /** For a term alpha != 0: the index of alpha - e_i, the axis i, and alpha_i (divisor). */
  readonly monomialParent: Uint16Array;
  readonly monomialAxis: Uint8Array;
  readonly monomialDivisor: Float64Array;
  /**
   * Index of alpha + beta at sumIndex[sumOffset[beta] + alpha] for |alpha + beta| <= p: as the order is
   * graded, alpha runs over the contiguous 0 .. termCount(p - |beta|) - 1, so M2M and L2L loop over it
   * without a test, and L2L gathers each coefficient in registers.
   */
  readonly sumOffset: Uint32Array;
  readonly sumIndex: Uint16Array;
  /** (p + 1)^2: the harmonic terms, k_z <= 1; reducedTerm[r] is the index of the r-th in graded order. */
  readonly reducedCount: number;
  readonly reducedTerm: Uint16Array;
  /**
   * Triples (k, k - 2 e_z + 2 e_x, k - 2 e_z + 2 e_y) for every k_z >= 2, by increasing k_z: the
   * harmonic identity, run backwards to reduce moments and forwards to complete local coefficients.
   */
  readonly harmonic: Uint16Array;
  /**
   * M2L: for the r-th harmonic beta, the index of alpha + beta for the harmonic alpha of degree
   * <= p - |beta|, at m2lIndex[m2lOffset[r] ..], in reduced order.
   */
  readonly m2lOffset: Uint32Array;
  readonly m2lIndex: Uint16Array;
  /**
   * The same for charges and targets in one plane z = const (dim 2): only alpha_z = beta_z = 0 terms
   * are non-zero there (moments with alpha_z > 0 vanish, and so do the odd z-derivatives of a field
   * mirror-symmetric in the plane), about a third of the products (p = 9: 715 of 2 035).
   * planarTerm[r] is the r-th beta's index, and the r-th row of planarAlpha (the reduced index of
   * each alpha) and planarIndex (that of alpha + beta) starts at planarOffset[r].
   */
  readonly planarTerm: Uint16Array;
  readonly planarOffset: Uint32Array;
  readonly planarAlpha: Uint16Array;
  readonly planarIndex: Uint16Array;
}

/** Orders above 16 cost more than the direct sum at any N a device holds. */
export const kMaxTreeOrder = 16;

export function expansionTables(order: number): ExpansionTables {
  if (!Number.isInteger(order) || order < 1 || order > kMaxTreeOrder) {
    throw new RangeError(`the expansion order must be an integer in [1, ${kMaxTreeOrder}], got ${order}`);
  }
  const count = termCount(order);
  const exponents: [number, number, number][] = [];
  const indexOf = new Map<string, number>();
  for (let n = 0; n <= order; n++) {
    for (let a = n; a >= 0; a--) {
      for (let b = n - a; b >= 0; b--) {
        indexOf.set(`${a},${b},${n - a - b}`, exponents.length);
        exponents.push([a, b, n - a - b]);
      }
    }
  }
  const find = (k: readonly number[]) => indexOf.get(k.join(',')) ?? count;
  const shifted = (k: readonly number[], axis: number, by: number) =>
    k.map((value, i) => (i === axis ? value + by : value));
  const factorialOf = (m: number): number => (m <= 1 ? 1 : m * factorialOf(m - 1));

  const firstWeight = new Float64Array(count);
  const secondWeight = new Float64Array(count);
  const factorial = new Float64Array(count);
  const minusOne = new Uint16Array(3 * count);
  const minusTwo = new Uint16Array(3 * count);
  const plusOne = new Uint16Array(3 * count);
  const monomialParent = new Uint16Array(count);
  const monomialAxis = new Uint8Array(count);
  const monomialDivisor = new Float64Array(count).fill(1);
  const sumOffset = new Uint32Array(count + 1);
  const sumIndex: number[] = [];
  exponents.forEach((k, index) => {
    const n = k[0] + k[1] + k[2];
    firstWeight[index] = n > 0 ? (1 - 2 * n) / n : 0;
    secondWeight[index] = n > 0 ? (1 - n) / n : 0;
    factorial[index] = factorialOf(k[0]) * factorialOf(k[1]) * factorialOf(k[2]);
    for (let i = 0; i < 3; i++) {
      minusOne[3 * index + i] = k[i] >= 1 ? find(shifted(k, i, -1)) : count;
      minusTwo[3 * index + i] = k[i] >= 2 ? find(shifted(k, i, -2)) : count;
      plusOne[3 * index + i] = find(shifted(k, i, 1));
    }
    const axis = k.findIndex((value) => value > 0);
    if (axis >= 0) {
      monomialParent[index] = find(shifted(k, axis, -1));
      monomialAxis[index] = axis;
      monomialDivisor[index] = k[axis];
    }
    for (let alpha = 0; alpha < termCount(order - n); alpha++) {
      sumIndex.push(find(k.map((value, i) => value + exponents[alpha][i])));
    }
    sumOffset[index + 1] = sumIndex.length;
  });
  const reducedTerm: number[] = [];
  exponents.forEach((k, index) => {
    if (index < count && k[2] <= 1) reducedTerm.push(index);
  });
  const harmonic: number[] = [];
  for (let z = 2; z <= order; z++) {
    exponents.forEach((k, index) => {
      if (index < count && k[2] === z) {
        harmonic.push(index, find(shifted(shifted(k, 2, -2), 0, 2)), find(shifted(shifted(k, 2, -2), 1, 2)));
      }
    });
  }
  const m2lOffset = new Uint32Array(reducedTerm.length + 1);
  const m2lIndex: number[] = [];
  reducedTerm.forEach((beta, r) => {
    const degree = exponents[beta][0] + exponents[beta][1] + exponents[beta][2];
    for (let a = 0; a < (order - degree + 1) ** 2; a++) {
      m2lIndex.push(find(exponents[beta].map((value, i) => value + exponents[reducedTerm[a]][i])));
    }
    m2lOffset[r + 1] = m2lIndex.length;
  });
  const planarTerm: number[] = [];
  const planarOffset: number[] = [0];
  const planarAlpha: number[] = [];
  const planarIndex: number[] = [];
  reducedTerm.forEach((beta, r) => {
    if (exponents[beta][2] !== 0) return;
    planarTerm.push(beta);
    for (let a = m2lOffset[r]; a < m2lOffset[r + 1]; a++) {
      const alpha = a - m2lOffset[r];
      if (exponents[reducedTerm[alpha]][2] !== 0) continue;
      planarAlpha.push(alpha);
      planarIndex.push(m2lIndex[a]);
    }
    planarOffset.push(planarIndex.length);
  });
  return {
    order,
    termCount: count,
    exponents: Uint8Array.from(exponents.flat()),
    planarTerm: Uint16Array.from(planarTerm),
    planarOffset: Uint32Array.from(planarOffset),
    planarAlpha: Uint16Array.from(planarAlpha),
    planarIndex: Uint16Array.from(planarIndex),
    reducedCount: reducedTerm.length,
    reducedTerm: Uint16Array.from(reducedTerm),
    harmonic: Uint16Array.from(harmonic),
    m2lOffset,
    m2lIndex: Uint16Array.from(m2lIndex),
    firstWeight,
    secondWeight,
    factorial,
    minusOne,
    minusTwo,
    plusOne,
    monomialParent,
    monomialAxis,
    monomialDivisor,
    sumOffset,
    sumIndex: Uint16Array.from(sumIndex),
  };
}

/**
 * (-delta)^alpha / alpha! for |alpha| <= p into `out` (termCount entries): the weight of a charge at
 * c + delta in the moment M_alpha, of a child's moment beta in its parent's moment alpha + beta, and,
 * with delta = -h, the monomial h^beta / beta! of a local expansion.
 */
export function scaledMonomials(
  tables: ExpansionTables,
  dx: number,
  dy: number,
  dz: number,
  out: Float64Array,
): void {
  const { termCount: count, monomialParent, monomialAxis, monomialDivisor } = tables;
  out[0] = 1;
  for (let k = 1; k < count; k++) {
    const axis = monomialAxis[k];
    const minusDelta = axis === 0 ? -dx : axis === 1 ? -dy : -dz;
    out[k] = (out[monomialParent[k]] * minusDelta) / monomialDivisor[k];
  }
}

/**
 * The derivatives D_k = d^k (1/r) / dR^k, |k| <= p, at R != 0 into `derivatives`, by the recurrence
 * above; `taylor` (termCount + 1 entries, the last kept 0) holds the coefficients.
 */
export function inverseDistanceDerivatives(
  tables: ExpansionTables,
  rx: number,
  ry: number,
  rz: number,
  taylor: Float64Array,
  derivatives: Float64Array,
): void {
  const { termCount: count, firstWeight, secondWeight, factorial, minusOne, minusTwo } = tables;
  const s = rx * rx + ry * ry + rz * rz;
  const inverseS = 1 / s;
  taylor[0] = 1 / Math.sqrt(s);
  derivatives[0] = taylor[0];
  for (let k = 1; k < count; k++) {
    const k3 = 3 * k;
    const first = rx * taylor[minusOne[k3]] + ry * taylor[minusOne[k3 + 1]] + rz * taylor[minusOne[k3 + 2]];
    const second = taylor[minusTwo[k3]] + taylor[minusTwo[k3 + 1]] + taylor[minusTwo[k3 + 2]];
    const value = (firstWeight[k] * first + secondWeight[k] * second) * inverseS;
    taylor[k] = value;
    derivatives[k] = value * factorial[k];
  }
}

/**
 * P2M: adds the charges q[qOffset .. qOffset + kCharges) at c + delta to the moments in `sum`
 * (kCharges per term); `monomial` is scratch of termCount entries.
 */
export function addChargeToMultipole(
  tables: ExpansionTables,
  dx: number,
  dy: number,
  dz: number,
  q: ArrayLike<number>,
  qOffset: number,
  sum: Float64Array,
  monomial: Float64Array,
): void {
  scaledMonomials(tables, dx, dy, dz, monomial);
  const q0 = q[qOffset];
  const q1 = q[qOffset + 1];
  const q2 = q[qOffset + 2];
  const q3 = q[qOffset + 3];
  for (let a = 0; a < tables.termCount; a++) {
    const m = monomial[a];
    sum[4 * a] += m * q0;
    sum[4 * a + 1] += m * q1;
    sum[4 * a + 2] += m * q2;
    sum[4 * a + 3] += m * q3;
  }
}

/**
 * M2M: adds a child's moments (at `childOffset` of `moments`, centred at parent centre + s) to `sum`,
 * its parent's: M'_{alpha + beta} += M_beta (-s)^alpha / alpha!.
 */
export function shiftMultipole(
  tables: ExpansionTables,
  sx: number,
  sy: number,
  sz: number,
  moments: Vector,
  childOffset: number,
  sum: Float64Array,
  monomial: Float64Array,
): void {
  scaledMonomials(tables, sx, sy, sz, monomial);
  const { sumOffset, sumIndex, termCount: count } = tables;
  for (let beta = 0; beta < count; beta++) {
    const from = childOffset + 4 * beta;
    const m0 = moments[from];
    const m1 = moments[from + 1];
    const m2 = moments[from + 2];
    const m3 = moments[from + 3];
    const first = sumOffset[beta];
    const length = sumOffset[beta + 1] - first;
    for (let alpha = 0; alpha < length; alpha++) {
      const weight = monomial[alpha];
      const to = 4 * sumIndex[first + alpha];
      sum[to] += m0 * weight;
      sum[to + 1] += m1 * weight;
      sum[to + 2] += m2 * weight;
      sum[to + 3] += m3 * weight;
    }
  }
}

/**
 * The harmonic moments of a node (reducedCount terms, kCharges each) into `reduced`, from its full
 * moments in `moments` (overwritten: the harmonic identity run backwards, see the file comment).
 */
export function reduceMultipole(tables: ExpansionTables, moments: Float64Array, reduced: Float64Array): void {
  const { harmonic, reducedCount, reducedTerm } = tables;
  for (let t = harmonic.length - 3; t >= 0; t -= 3) {
    const from = 4 * harmonic[t];
    const toX = 4 * harmonic[t + 1];
    const toY = 4 * harmonic[t + 2];
    for (let c = 0; c < 4; c++) {
      moments[toX + c] -= moments[from + c];
      moments[toY + c] -= moments[from + c];
    }
  }
  for (let r = 0; r < reducedCount; r++) {
    for (let c = 0; c < 4; c++) reduced[4 * r + c] = moments[4 * reducedTerm[r] + c];
  }
}

/**
 * M2L: adds to `local` (a target centre's coefficients L_beta, beta_z <= 1 only: completeLocal
 * fills the rest) the field of the harmonic moments at `offset` of `reduced` about a source centre at
 * target centre - R: L_beta += sum_alpha M_alpha D_{alpha+beta}(R).
 */
export function multipoleToLocal(
  tables: ExpansionTables,
  rx: number,
  ry: number,
  rz: number,
  reduced: Vector,
  offset: number,
  local: Float64Array,
  taylor: Float64Array,
  derivative: Float64Array,
): void {
  inverseDistanceDerivatives(tables, rx, ry, rz, taylor, derivative);
  const { m2lOffset, m2lIndex, reducedCount, reducedTerm } = tables;
  for (let r = 0; r < reducedCount; r++) {
    let l0 = 0;
    let l1 = 0;
    let l2 = 0;
    let l3 = 0;
    const first = m2lOffset[r];
    const length = m2lOffset[r + 1] - first;
    for (let a = 0; a < length; a++) {
      const d = derivative[m2lIndex[first + a]];
      const from = offset + 4 * a;
      l0 += reduced[from] * d;
      l1 += reduced[from + 1] * d;
      l2 += reduced[from + 2] * d;
      l3 += reduced[from + 3] * d;
    }
    const to = 4 * reducedTerm[r];
    local[to] += l0;
    local[to + 1] += l1;
    local[to + 2] += l2;
    local[to + 3] += l3;
  }
}

/** M2L for charges and targets in one plane (see ExpansionTables.planarTerm), else as multipoleToLocal. */
export function planarMultipoleToLocal(
  tables: ExpansionTables,
  rx: number,
  ry: number,
  reduced: Vector,
  offset: number,
  local: Float64Array,
  taylor: Float64Array,
  derivative: Float64Array,
): void {
  inverseDistanceDerivatives(tables, rx, ry, 0, taylor, derivative);
  const { planarTerm, planarOffset, planarAlpha, planarIndex } = tables;
  for (let r = 0; r < planarTerm.length; r++) {
    let l0 = 0;
    let l1 = 0;
    let l2 = 0;
    let l3 = 0;
    for (let a = planarOffset[r]; a < planarOffset[r + 1]; a++) {
      const d = derivative[planarIndex[a]];
      const from = offset + 4 * planarAlpha[a];
      l0 += reduced[from] * d;
      l1 += reduced[from + 1] * d;
      l2 += reduced[from + 2] * d;
      l3 += reduced[from + 3] * d;
    }
    const to = 4 * planarTerm[r];
    local[to] += l0;
    local[to + 1] += l1;
    local[to + 2] += l2;
    local[to + 3] += l3;
  }
}

/** The local coefficients with beta_z >= 2 from the rest, by the harmonic identity (after M2L). */
export function completeLocal(tables: ExpansionTables, local: Float64Array): void {
  const { harmonic } = tables;
  for (let t = 0; t < harmonic.length; t += 3) {
    const to = 4 * harmonic[t];
    const fromX = 4 * harmonic[t + 1];
    const fromY = 4 * harmonic[t + 2];
    for (let c = 0; c < 4; c++) local[to + c] = -local[fromX + c] - local[fromY + c];
  }
}

/**
 * L2L: adds to `local` (a child's coefficients) its parent's expansion (at `parentOffset` of `locals`)
 * re-centred at parent centre + s: L'_beta += sum_gamma L_{beta + gamma} s^gamma / gamma!.
 */
export function shiftLocal(
  tables: ExpansionTables,
  sx: number,
  sy: number,
  sz: number,
  locals: Vector,
  parentOffset: number,
  local: Float64Array,
  monomial: Float64Array,
): void {
  scaledMonomials(tables, -sx, -sy, -sz, monomial);
  const { sumOffset, sumIndex, termCount: count } = tables;
  for (let beta = 0; beta < count; beta++) {
    let l0 = 0;
    let l1 = 0;
    let l2 = 0;
    let l3 = 0;
    const first = sumOffset[beta];
    const length = sumOffset[beta + 1] - first;
    for (let gamma = 0; gamma < length; gamma++) {
      const weight = monomial[gamma];
      const from = parentOffset + 4 * sumIndex[first + gamma];
      l0 += locals[from] * weight;
      l1 += locals[from + 1] * weight;
      l2 += locals[from + 2] * weight;
      l3 += locals[from + 3] * weight;
    }
    local[4 * beta] += l0;
    local[4 * beta + 1] += l1;
    local[4 * beta + 2] += l2;
    local[4 * beta + 3] += l3;
  }
}

/**
 * L2P: each charge's potential and gradient at centre + h from the local expansion at `offset` of
 * `locals`, into `out` as (phi, d/dx, d/dy, d/dz) per charge (16 entries). The gradient is
 * sum_beta L_{beta + e_i} h^beta / beta!, |beta| <= p - 1.
 */
export function evaluateLocal(
  tables: ExpansionTables,
  hx: number,
  hy: number,
  hz: number,
  locals: Vector,
  offset: number,
  out: Float64Array,
  monomial: Float64Array,
): void {
  scaledMonomials(tables, -hx, -hy, -hz, monomial);
  out.fill(0);
  const { plusOne, termCount: count } = tables;
  for (let b = 0; b < count; b++) {
    const m = monomial[b];
    const base = offset + 4 * b;
    for (let c = 0; c < 4; c++) out[4 * c] += m * locals[base + c];
    for (let i = 0; i < 3; i++) {
      const next = plusOne[3 * b + i];
      if (next === count) continue;
      const from = offset + 4 * next;
      for (let c = 0; c < 4; c++) out[4 * c + 1 + i] += m * locals[from + c];
    }
  }
}

// The passes of the product over a tree's nodes (treecode.ts), as kernels of a WorkerPool
// (src/parallel/pool.ts): plain functions over the rows [start, end) that use nothing but their
// arguments, Math and the functions above, so that worker threads can run their source text. Each
// node's numbers are computed by the same code whichever thread runs it, so a product is the same
// bit for bit for any number of threads. The tables reach a worker packed (packExpansionTables).

/** The arrays of ExpansionTables in the order packExpansionTables lays them out: indices, numbers. */
export function expansionTableArrays(): { indices: string[]; numbers: string[] } {
  return {
    indices: [
      'exponents',
      'minusOne',
      'minusTwo',
      'plusOne',
      'monomialParent',
      'monomialAxis',
      'sumOffset',
      'sumIndex',
      'reducedTerm',
      'harmonic',
      'm2lOffset',
      'm2lIndex',
      'planarTerm',
      'planarOffset',
      'planarAlpha',
      'planarIndex',
    ],
    numbers: ['firstWeight', 'secondWeight', 'factorial', 'monomialDivisor'],
  };
}

/** ExpansionTables in two arrays, as a WorkerPool shares them (packExpansionTables). */
export interface PackedExpansionTables {
  /**
   * order, termCount, reducedCount, the start of every array (the index arrays', then the numbers')
   * and after each kind its end; then the index arrays.
   */
  readonly indices: Uint32Array;
  /** The arrays of numbers. */
  readonly numbers: Float64Array;
}

/**
 * `tables` packed into a Uint32Array and a Float64Array from `allocate`'s: the header (order,
 * termCount, reducedCount, each array's start, and the end of the indices' and the numbers') and the
 * index arrays in `indices`, the number arrays in `numbers` (expansionTableArrays' order).
 */
export function packExpansionTables(tables: ExpansionTables, allocate: TreeAllocator): PackedExpansionTables {
  const names = expansionTableArrays();
  const arraysOf = (list: string[]) =>
    list.map((name) => tables[name as keyof ExpansionTables] as ArrayLike<number>);
  const lengthOf = (arrays: ArrayLike<number>[]) => arrays.reduce((sum, array) => sum + array.length, 0);
  const indexArrays = arraysOf(names.indices);
  const numberArrays = arraysOf(names.numbers);
  const header = 3 + names.indices.length + 1 + names.numbers.length + 1;
  const indices = allocate.uint32(header + lengthOf(indexArrays));
  const numbers = allocate.float64(lengthOf(numberArrays));
  indices[0] = tables.order;
  indices[1] = tables.termCount;
  indices[2] = tables.reducedCount;
  let slot = 3;
  for (const [arrays, into] of [
    [indexArrays, indices],
    [numberArrays, numbers],
  ] as const) {
    let offset = into === indices ? header : 0;
    for (const array of arrays) {
      indices[slot++] = offset;
      into.set(array, offset);
      offset += array.length;
    }
    indices[slot++] = offset;
  }
  return { indices, numbers };
}

/**
 * The tables packExpansionTables packed, their arrays views of `indices` and `numbers`: the same
 * numbers, which the operators above only index.
 */
export function unpackExpansionTables(indices: Uint32Array, numbers: Float64Array): ExpansionTables {
  const names = expansionTableArrays();
  const tables: Record<string, number | Uint32Array | Float64Array> = {
    order: indices[0],
    termCount: indices[1],
    reducedCount: indices[2],
  };
  let slot = 3;
  for (const name of names.indices) tables[name] = indices.subarray(indices[slot], indices[++slot]);
  slot++;
  for (const name of names.numbers) tables[name] = numbers.subarray(indices[slot], indices[++slot]);
  return tables as unknown as ExpansionTables;
}

/**
 * The upward pass at nodes [start, end) of one level, children's levels first: P2M at a leaf (its
 * electrons nodeStart .. nodeEnd in tree order at `positions`, kCharges charges each), M2M from the
 * two children elsewhere; then the node's harmonic moments for M2L. Sums accumulate in float64 and
 * are stored once, as a GPU thread keeps them in registers.
 */
export function multipoleRows(
  tableIndices: Uint32Array,
  tableNumbers: Float64Array,
  positions: ArrayLike<number>,
  charges: ArrayLike<number>,
  centre: ArrayLike<number>,
  nodeStart: Uint32Array,
  nodeEnd: Uint32Array,
  moments: Vector,
  reducedMoments: Vector,
  firstLeaf: number,
  start: number,
  end: number,
): void {
  const tables = unpackExpansionTables(tableIndices, tableNumbers);
  const stride = 4 * tables.termCount;
  const reducedStride = 4 * tables.reducedCount;
  const monomial = new Float64Array(tables.termCount);
  const sum = new Float64Array(stride);
  const reduced = new Float64Array(reducedStride);
  for (let node = start; node < end; node++) {
    sum.fill(0);
    const cx = centre[3 * node];
    const cy = centre[3 * node + 1];
    const cz = centre[3 * node + 2];
    if (node >= firstLeaf) {
      for (let k = nodeStart[node]; k < nodeEnd[node]; k++) {
        const dx = positions[3 * k] - cx;
        const dy = positions[3 * k + 1] - cy;
        const dz = positions[3 * k + 2] - cz;
        addChargeToMultipole(tables, dx, dy, dz, charges, 4 * k, sum, monomial);
      }
    } else {
      for (let child = 2 * node + 1; child <= 2 * node + 2; child++) {
        if (nodeEnd[child] === nodeStart[child]) continue;
        const sx = centre[3 * child] - cx;
        const sy = centre[3 * child + 1] - cy;
        const sz = centre[3 * child + 2] - cz;
        shiftMultipole(tables, sx, sy, sz, moments, stride * child, sum, monomial);
      }
    }
    moments.set(sum, stride * node);
    reduceMultipole(tables, sum, reduced);
    reducedMoments.set(reduced, reducedStride * node);
  }
}

/**
 * The downward pass at nodes [start, end) of one level, parents' levels first (node k's parent is
 * (k - 1) / 2): the parent's local expansion shifted to the node (L2L) plus the M2L of every source
 * node in its list (m2l[m2lOffset[node] ..]), completed by the harmonic identity. `planar` (1 or 0):
 * every charge and target in one plane z = const (planarMultipoleToLocal).
 */
export function localRows(
  tableIndices: Uint32Array,
  tableNumbers: Float64Array,
  centre: ArrayLike<number>,
  m2lOffset: Uint32Array,
  m2l: Uint32Array,
  reducedMoments: Vector,
  locals: Vector,
  planar: number,
  start: number,
  end: number,
): void {
  const tables = unpackExpansionTables(tableIndices, tableNumbers);
  const stride = 4 * tables.termCount;
  const reducedStride = 4 * tables.reducedCount;
  const monomial = new Float64Array(tables.termCount);
  const taylor = new Float64Array(tables.termCount + 1);
  const derivative = new Float64Array(tables.termCount);
  const sum = new Float64Array(stride);
  for (let node = start; node < end; node++) {
    sum.fill(0);
    const cx = centre[3 * node];
    const cy = centre[3 * node + 1];
    const cz = centre[3 * node + 2];
    if (node > 0) {
      const parent = (node - 1) >> 1;
      const sx = cx - centre[3 * parent];
      const sy = cy - centre[3 * parent + 1];
      const sz = cz - centre[3 * parent + 2];
      shiftLocal(tables, sx, sy, sz, locals, stride * parent, sum, monomial);
    }
    for (let l = m2lOffset[node]; l < m2lOffset[node + 1]; l++) {
      const source = m2l[l];
      const rx = cx - centre[3 * source];
      const ry = cy - centre[3 * source + 1];
      const rz = cz - centre[3 * source + 2];
      const from = reducedStride * source;
      if (planar) planarMultipoleToLocal(tables, rx, ry, reducedMoments, from, sum, taylor, derivative);
      else multipoleToLocal(tables, rx, ry, rz, reducedMoments, from, sum, taylor, derivative);
    }
    completeLocal(tables, sum);
    locals.set(sum, stride * node);
  }
}

/**
 * L2P at the electrons of leaves firstLeaf + [start, end): each leaf's local expansion of the four
 * potentials of treecode.ts, turned into the Stokeslet sum (phi_l - sum_m x_m d_l phi_m + d_l psi) / 2
 * with x from the root's centre, added to `sums` (3 per electron, tree order).
 */
export function stokesletFarFieldRows(
  tableIndices: Uint32Array,
  tableNumbers: Float64Array,
  positions: ArrayLike<number>,
  centre: ArrayLike<number>,
  nodeStart: Uint32Array,
  nodeEnd: Uint32Array,
  locals: Vector,
  sums: Float64Array,
  firstLeaf: number,
  start: number,
  end: number,
): void {
  const tables = unpackExpansionTables(tableIndices, tableNumbers);
  const stride = 4 * tables.termCount;
  const monomial = new Float64Array(tables.termCount);
  const field = new Float64Array(16);
  for (let leaf = firstLeaf + start; leaf < firstLeaf + end; leaf++) {
    for (let k = nodeStart[leaf]; k < nodeEnd[leaf]; k++) {
      const px = positions[3 * k];
      const py = positions[3 * k + 1];
      const pz = positions[3 * k + 2];
      const hx = px - centre[3 * leaf];
      const hy = py - centre[3 * leaf + 1];
      const hz = pz - centre[3 * leaf + 2];
      evaluateLocal(tables, hx, hy, hz, locals, stride * leaf, field, monomial);
      // field[4c + 1 + l] = d_l phi_c.
      const x = px - centre[0];
      const y = py - centre[1];
      const z = pz - centre[2];
      for (let l = 0; l < 3; l++) {
        const stokeslet =
          field[4 * l] - x * field[1 + l] - y * field[5 + l] - z * field[9 + l] + field[13 + l];
        sums[3 * k + l] += stokeslet / 2;
      }
    }
  }
}
