// The even ground state of the softened one-dimensional Coulomb well of eq. 45,
//   -psi''(x) - 2 psi(x) / (|x| + b) = epsilon psi(x),   b = a / a_m,
// in units of a_m and of the effective Rydberg 1/a_m^2 Hartree, by finite differences on a logarithmic
// grid, and exactly by the Whittaker function's condition (with its small-a limit, whose leading term is
// eq. 46). Shared by the paper table (paper.ts) and the pairing study (pairing.ts), which import it; the
// same grid and Sturm count, with a general bounded coupling and a ring's end conditions, solve the
// pair on the ring itself (ring-pair.ts).
import { InputError } from './input-error.ts';

/** A logarithmic grid on 0 <= x <= L: cells uniform in s, where |x| + b = b e^s. */
export interface MappedGrid {
  /** b = a / a_m: y = |x| + b = b e^s. */
  readonly thickness: number;
  /** Cells on 0 <= s <= S. */
  readonly cells: number;
  /** Delta s: every cell spans the same ratio e^(Delta s) of |x| + b. */
  readonly step: number;
  /** The end of the grid, x = L (units of a_m). */
  readonly length: number;
}

/** Box length, units of a_m: the state decays like exp(-x sqrt(-epsilon)) with sqrt(-epsilon) >= ~1. */
export const kPairingBoxLength = 40;
/**
 * Coarsest Delta s of the three grids: about 6e-7 relative error; the finest, Delta s / 4, about 4e-8
 * (the Richardson estimate is reported with every result).
 */
export const kPairingStep = 1 / 128;

/** The grid of a mapped well that ends at x = `length` (units of a_m): eq. 45's box, or half a ring. */
export function mappedGridTo(thicknessOverRadius: number, length: number, step = kPairingStep): MappedGrid {
  const b = thicknessOverRadius;
  const span = Math.log((length + b) / b);
  const cells = Math.ceil(span / step);
  const exactStep = span / cells;
  return { thickness: b, cells, step: exactStep, length };
}

/** Eq. 45's grid: the box 0 <= x <= kPairingBoxLength, psi = 0 just beyond it. */
export function mappedGrid(thicknessOverRadius: number, step = kPairingStep): MappedGrid {
  return mappedGridTo(thicknessOverRadius, kPairingBoxLength, step);
}

/**
 * The condition at the far end x = L of the mapped grid: psi = 0 at the centre of the cell beyond it
 * (eq. 45's box), psi = 0 at x = L itself (an even state that changes sign across the point opposite
 * x = 0 on a ring: antiperiodic), or psi'(L) = 0 (an even state on a ring with periodic psi).
 */
export type MappedEnd = 'beyond' | 'dirichlet' | 'neumann';

/** y = |x| + b at the cell centres (k + 1/2) Delta s and at the outer faces (k + 1) Delta s. */
export function mappedCells(grid: MappedGrid): { centre: Float64Array; face: Float64Array } {
  const centre = new Float64Array(grid.cells);
  const face = new Float64Array(grid.cells);
  for (let k = 0; k < grid.cells; k++) {
    centre[k] = grid.thickness * Math.exp((k + 0.5) * grid.step);
    face[k] = grid.thickness * Math.exp((k + 1) * grid.step);
  }
  return { centre, face };
}

/**
 * Lowest even eigenvalue of -psi'' + W(x) psi = epsilon psi on 0 <= x <= L with psi'(0) = 0, on the
 * logarithmic grid of `grid`, where `coupling[k]` is -(|x| + b) W(x) at the centre of cell k: 2 for eq.
 * 45's -2/(|x| + b), bounded for any potential with that core. With y = |x| + b = b e^s the equation
 * becomes the Sturm-Liouville problem -(psi_s / y)_s - coupling psi = epsilon y psi, discretised by
 * finite volumes on cells of equal Delta s: second order in Delta s, fine cells (b Delta s) in the core
 * and coarse ones in the tail. The eigenvalues of A psi = epsilon Y psi below lambda are counted by
 * Sturm's theorem (Y is positive, so the inertia of A - lambda Y counts them) and bisected between
 * `lowerBound` (at most the potential's minimum) and `upperBound`. The count is the number of sign
 * changes of the solution of (A - lambda Y) psi = 0 row by row, carried as the value psi_k and the face
 * flux F = dpsi/dx: the LDL^T pivots of A - lambda Y would lose the coupling - lambda y part of each row
 * against the O(1 / (Delta s^2 y)) kinetic part once b < 1e-6, while these increments carry it
 * directly. The end condition enters only the last step: psi beyond the last face at a distance
 * Delta s y_face (beyond), half of it (dirichlet: the ghost value -psi mirrors the face), or an infinite
 * one, so that only the sign of the flux the last row asks for counts (neumann).
 */
export function lowestEvenEigenvalueMapped(
  grid: MappedGrid,
  coupling: Float64Array,
  end: MappedEnd,
  lowerBound: number,
  upperBound: number,
): number {
  const h = grid.step;
  const cells = grid.cells;
  const { centre, face } = mappedCells(grid);
  const lastDistance = end === 'dirichlet' ? 0.5 : 1;
  // Cell k: -(F_{k+1/2} - F_{k-1/2}) / Delta s - (coupling_k + lambda y_k) psi_k = 0, F_{-1/2} = 0 (the
  // mirror), and psi_{k+1} = psi_k + Delta s y_{k+1/2} F_{k+1/2}.
  const countBelow = (lambda: number) => {
    let count = 0;
    let psi = 1;
    let flux = 0;
    for (let k = 0; k < cells; k++) {
      flux -= h * (coupling[k] + lambda * centre[k]) * psi;
      if (k === cells - 1 && end === 'neumann') {
        if (flux < 0 !== psi < 0 || flux === 0) count++;
        break;
      }
      let next = psi + (k === cells - 1 ? lastDistance : 1) * h * face[k] * flux;
      if (next === 0) next = -1e-300 * Math.sign(psi);
      if (next < 0 !== psi < 0) count++;
      psi = next;
      // In the classically forbidden tail psi grows like exp(kappa x): rescale, keeping signs.
      if (Math.abs(psi) > 1e150) {
        psi *= 1e-150;
        flux *= 1e-150;
      }
    }
    return count;
  };
  let lower = lowerBound;
  let upper = upperBound;
  if (countBelow(upper) < 1) {
    throw new InputError(`no even state below ${upper} for a/a_m = ${grid.thickness}`);
  }
  for (let iteration = 0; iteration < 200 && upper - lower > 4e-16 * Math.abs(lower); iteration++) {
    const middle = (lower + upper) / 2;
    if (countBelow(middle) >= 1) upper = middle;
    else lower = middle;
  }
  return (lower + upper) / 2;
}

/**
 * The eigenvector of lowestEvenEigenvalueMapped's problem for its eigenvalue, at the cell centres,
 * normalised to sum_k psi_k^2 y_k Delta s = 1 (the integral of psi^2 dx over 0 <= x <= L, since dx = y
 * ds): inverse iteration (A - sigma Y) psi' = Y psi with sigma a hair below the eigenvalue, each step
 * a tridiagonal solve of the same finite-volume matrix whose inertia the bisection counted.
 */
export function evenStateMapped(
  grid: MappedGrid,
  coupling: Float64Array,
  end: MappedEnd,
  eigenvalue: number,
): Float64Array {
  const h = grid.step;
  const cells = grid.cells;
  const { centre, face } = mappedCells(grid);
  const sigma = eigenvalue - 1e-10 * Math.max(Math.abs(eigenvalue), 1);
  // A - sigma Y: the face terms 1 / (Delta s^2 y_face), the last one as the end condition says.
  const outer = end === 'neumann' ? 0 : end === 'dirichlet' ? 2 : 1;
  const diagonal = new Float64Array(cells);
  const offDiagonal = new Float64Array(cells);
  for (let k = 0; k < cells; k++) {
    const out = (k === cells - 1 ? outer : 1) / (h * h * face[k]);
    const inner = k === 0 ? 0 : 1 / (h * h * face[k - 1]);
    diagonal[k] = out + inner - coupling[k] - sigma * centre[k];
    offDiagonal[k] = -1 / (h * h * face[k]);
  }
  let psi = new Float64Array(cells).fill(1);
  const modified = new Float64Array(cells);
  for (let iteration = 0; iteration < 3; iteration++) {
    // Thomas algorithm on (A - sigma Y) next = Y psi.
    const next = new Float64Array(cells);
    modified[0] = diagonal[0];
    next[0] = centre[0] * psi[0];
    for (let k = 1; k < cells; k++) {
      const factor = offDiagonal[k - 1] / modified[k - 1];
      modified[k] = diagonal[k] - factor * offDiagonal[k - 1];
      next[k] = centre[k] * psi[k] - factor * next[k - 1];
    }
    next[cells - 1] /= modified[cells - 1];
    for (let k = cells - 2; k >= 0; k--) next[k] = (next[k] - offDiagonal[k] * next[k + 1]) / modified[k];
    let norm = 0;
    for (let k = 0; k < cells; k++) norm += next[k] * next[k] * centre[k] * h;
    const scale = Math.sign(next[0]) / Math.sqrt(norm);
    for (let k = 0; k < cells; k++) next[k] *= scale;
    psi = next;
  }
  return psi;
}

/**
 * Lowest even eigenvalue of eq. 45 on a logarithmic grid (lowestEvenEigenvalueMapped with the constant
 * coupling 2 that the Coulomb term becomes), psi'(0) = 0 (the mirror: an even state) and psi = 0 at the
 * centre of cell K, just beyond x = L.
 */
export function groundState1dMapped(thicknessOverRadius: number, step = kPairingStep): number {
  const b = thicknessOverRadius;
  if (!(b > 0 && b < kPairingBoxLength)) {
    throw new InputError(`a/a_m must lie in (0, ${kPairingBoxLength}), got ${b}`);
  }
  const grid = mappedGrid(b, step);
  // Every eigenvalue lies above the potential's minimum -2/b; a bound state lies below 0.
  return lowestEvenEigenvalueMapped(grid, new Float64Array(grid.cells).fill(2), 'beyond', -2 / b, 0);
}

/** The ground state on three grids (Delta s, Delta s/2, Delta s/4) and what they say about the error. */
export interface GridConvergence {
  /** epsilon on the grids Delta s, Delta s/2, Delta s/4. */
  readonly energies: readonly [number, number, number];
  /** (E_1 - E_2) / (E_2 - E_3): 4 for a second-order method in its asymptotic range. */
  readonly errorRatio: number;
  /** Richardson extrapolation E_3 + (E_3 - E_2) / 3. */
  readonly extrapolated: number;
  /** |E_3 - extrapolated| / |extrapolated|: the finest grid's estimated relative error. */
  readonly estimatedRelativeError: number;
  /** The finest grid. */
  readonly grid: MappedGrid;
}

export function groundState1dConvergence(thicknessOverRadius: number, step = kPairingStep): GridConvergence {
  const energies = [1, 2, 4].map((refine) => groundState1dMapped(thicknessOverRadius, step / refine)) as [
    number,
    number,
    number,
  ];
  const [e1, e2, e3] = energies;
  const extrapolated = e3 + (e3 - e2) / 3;
  return {
    energies,
    errorRatio: (e1 - e2) / (e2 - e3),
    extrapolated,
    estimatedRelativeError: Math.abs(e3 - extrapolated) / Math.abs(extrapolated),
    grid: mappedGrid(thicknessOverRadius, step / 4),
  };
}

// ---------------------------------------------------------------------------------------------------
// The exact condition (Whittaker function) and its small-a limit

/** Euler-Mascheroni constant gamma = -psi(1). */
export const kEulerGamma = 0.5772156649015329;

/** The digamma function psi(x) for x > 0: recurrence up to x >= 10, then the asymptotic series to B_14. */
export function digamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`digamma needs x > 0, got ${x}`);
  let shift = 0;
  while (x < 10) {
    shift -= 1 / x;
    x += 1;
  }
  const t = 1 / (x * x);
  // ln x - 1/(2x) - sum_k B_2k / (2k x^2k) for B_2 .. B_14 (Horner in 1/x^2); the next term is < 1e-17.
  const series =
    t * (1 / 12 - t * (1 / 120 - t * (1 / 252 - t * (1 / 240 - t * (1 / 132 - t * (691 / 32760 - t / 12))))));
  return shift + Math.log(x) - 0.5 / x - series;
}

/**
 * For x > 0 the even state is psi = W_{nu,1/2}(2 kappa (x + b)), the decaying Whittaker function, with
 * epsilon = -kappa^2 and nu = 1/kappa; evenness needs d/dz W_{nu,1/2}(z) = 0 at z_0 = 2 kappa b. With
 * W_{nu,1/2}(z) = z e^(-z/2) U(1 - nu, 2, z) and U's expansion (DLMF 13.2.9, n = 1, a = 1 - nu),
 *   W ~ e^(-z/2) f(z),  f(z) = 1 - nu z sum_k c_k z^k [ln z + d_k],
 *   c_k = (a)_k / ((2)_k k!),  d_k = psi(a + k) - psi(1 + k) - psi(2 + k),
 * so the condition is f'(z_0) = f(z_0) / 2. This returns f'(z_0) - f(z_0)/2 for a given nu.
 */
function whittakerCondition(nu: number, b: number): number {
  const a = 1 - nu;
  const z = (2 * b) / nu;
  const logZ = Math.log(z);
  let c = 1; // c_k
  let zk = 1; // z^k
  let psiA = digamma(a); // psi(a + k)
  let psi1 = -kEulerGamma; // psi(1 + k)
  let psi2 = 1 - kEulerGamma; // psi(2 + k)
  let sumF = 0;
  let sumDerivative = 0;
  for (let k = 0; k < 200; k++) {
    const d = psiA - psi1 - psi2;
    const termF = c * zk * (logZ + d);
    const termDerivative = c * zk * ((k + 1) * (logZ + d) + 1);
    sumF += termF;
    sumDerivative += termDerivative;
    if (Math.abs(termDerivative) < 1e-17 * Math.abs(sumDerivative) && k > 2) break;
    c *= (a + k) / ((k + 2) * (k + 1));
    zk *= z;
    psiA += 1 / (a + k);
    psi1 += 1 / (k + 1);
    psi2 += 1 / (k + 2);
  }
  const f = 1 - nu * z * sumF;
  const derivative = -nu * sumDerivative;
  return derivative - f / 2;
}

/**
 * Bisection for the root in nu = 1/kappa of `condition`, which changes sign from - to + on
 * (sqrt(b/2), 1): epsilon > -2/b (the potential's minimum) puts kappa below sqrt(2/b), which also keeps
 * z_0 = 2 kappa b below 2 sqrt(2 b), where the series of U converges without cancellation.
 */
function bisectNu(b: number, condition: (nu: number) => number): number {
  let lower = Math.sqrt(b / 2);
  let upper = 1 - 1e-12;
  if (!(condition(lower) < 0 && condition(upper) > 0)) {
    throw new InputError('no even ground state with 0 < 1/kappa < 1 (a too large)');
  }
  for (let iteration = 0; iteration < 200 && upper - lower > 1e-16; iteration++) {
    const middle = (lower + upper) / 2;
    if (condition(middle) < 0) lower = middle;
    else upper = middle;
  }
  const nu = (lower + upper) / 2;
  return -1 / (nu * nu);
}

/**
 * The exact even ground state of eq. 45 (units 1/a_m^2 Hartree) from the Whittaker condition above: no
 * grid, only the convergent series of U and a bisection in nu = 1/kappa on (0, 1), where the lowest
 * state lies (nu -> 0 gives the condition -1/2, nu -> 1 gives +infinity since psi(a) ~ -1/a). Accurate
 * to rounding while z_0 = 2 kappa b stays O(1) (b <= 0.5), where the series has no cancellation.
 */
export function whittakerGroundState1d(radiusOverThickness: number): number {
  if (!(radiusOverThickness >= 2)) throw new InputError(`a_m/a must be >= 2, got ${radiusOverThickness}`);
  const b = 1 / radiusOverThickness;
  return bisectNu(b, (nu) => whittakerCondition(nu, b));
}

/**
 * The a -> 0 limit of the condition: keeping only the z^0 terms of f' and f gives
 *   kappa/2 + ln(2 kappa b) + psi(1 - 1/kappa) + 2 gamma = 0,
 * exact up to O(kappa b ln b). For kappa -> infinity, psi(1 - 1/kappa) -> -gamma and
 *   kappa = 2 ln(a_m/a) - 2 ln(2 kappa) - 2 gamma + ...,
 * whose first term is eq. 46; the second is why eq. 46 approaches the true energy only logarithmically
 * (relative error ~ 2 ln(4 ln(a_m/a)) / ln(a_m/a)).
 */
export function smallThicknessGroundState1d(radiusOverThickness: number): number {
  if (!(radiusOverThickness >= 2)) throw new InputError(`a_m/a must be >= 2, got ${radiusOverThickness}`);
  const b = 1 / radiusOverThickness;
  return bisectNu(b, (nu) => {
    const kappa = 1 / nu;
    // Multiplied by -nu so that, as whittakerCondition, it runs from - (nu -> 0) to + (nu -> 1).
    return -nu * (kappa / 2 + Math.log(2 * kappa * b) + digamma(1 - nu) + 2 * kEulerGamma);
  });
}
