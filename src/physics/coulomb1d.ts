// The even ground state of the softened one-dimensional Coulomb well of eq. 45,
//   -psi''(x) - 2 psi(x) / (|x| + b) = epsilon psi(x),   b = a / a_m,
// in units of a_m and of the effective Rydberg 1/a_m^2 Hartree, by finite differences on a logarithmic
// grid. Shared by the paper table (paper.ts) and the pairing study (pairing.ts), which import it.
import { InputError } from './input-error.ts';

/** The grid of groundState1dMapped: cells uniform in s, where |x| + b = b e^s. */
export interface MappedGrid {
  /** Cells on 0 <= s <= S. */
  readonly cells: number;
  /** Delta s: every cell spans the same ratio e^(Delta s) of |x| + b. */
  readonly step: number;
  /** The box 0 <= x <= L (units of a_m); psi(L) = 0. */
  readonly length: number;
  /** Width of the first cell, b (e^(Delta s) - 1), units of a_m: the resolution of the softened core. */
  readonly smallestCell: number;
}

/** Box length, units of a_m: the state decays like exp(-x sqrt(-epsilon)) with sqrt(-epsilon) >= ~1. */
export const kPairingBoxLength = 40;
/**
 * Coarsest Delta s of the three grids: about 6e-7 relative error; the finest, Delta s / 4, about 4e-8
 * (the Richardson estimate is reported with every result).
 */
export const kPairingStep = 1 / 128;

export function mappedGrid(thicknessOverRadius: number, step = kPairingStep): MappedGrid {
  const b = thicknessOverRadius;
  const length = kPairingBoxLength;
  const span = Math.log((length + b) / b);
  const cells = Math.ceil(span / step);
  const exactStep = span / cells;
  return { cells, step: exactStep, length, smallestCell: b * Math.expm1(exactStep) };
}

/**
 * Lowest even eigenvalue of eq. 45 on a logarithmic grid. With y = |x| + b = b e^s the equation becomes
 * the Sturm-Liouville problem -(psi_s / y)_s - 2 psi = epsilon y psi (the Coulomb term turns into the
 * constant -2), discretised by finite volumes on cells of equal Delta s: second order in Delta s, fine
 * cells (b Delta s) in the core and coarse ones in the tail. psi_s = 0 at s = 0 (the mirror: an even
 * state) and psi = 0 at the centre of cell K, just beyond x = L. The eigenvalues of A psi = epsilon Y psi
 * below lambda are counted by Sturm's theorem (Y is positive, so the inertia of A - lambda Y counts them)
 * and bisected. The count is the number of sign changes of the solution of (A - lambda Y) psi = 0 row by
 * row, carried as the value psi_k and the face flux F = dpsi/dx: the LDL^T pivots of A - lambda Y would
 * lose the -2 - lambda y part of each row against the O(1 / (Delta s^2 y)) kinetic part once
 * b < 1e-6, while these increments carry it directly.
 */
export function groundState1dMapped(thicknessOverRadius: number, step = kPairingStep): number {
  const b = thicknessOverRadius;
  if (!(b > 0 && b < kPairingBoxLength)) {
    throw new InputError(`a/a_m must lie in (0, ${kPairingBoxLength}), got ${b}`);
  }
  const grid = mappedGrid(b, step);
  const h = grid.step;
  const cells = grid.cells;
  // y at the cell centres (k + 1/2) Delta s and at the faces (k + 1) Delta s.
  const centre = new Float64Array(cells);
  const face = new Float64Array(cells);
  for (let k = 0; k < cells; k++) {
    centre[k] = b * Math.exp((k + 0.5) * h);
    face[k] = b * Math.exp((k + 1) * h);
  }
  // Cell k: -(F_{k+1/2} - F_{k-1/2}) / Delta s - (2 + lambda y_k) psi_k = 0, F_{-1/2} = 0 (the mirror),
  // and psi_{k+1} = psi_k + Delta s y_{k+1/2} F_{k+1/2}.
  const countBelow = (lambda: number) => {
    let count = 0;
    let psi = 1;
    let flux = 0;
    for (let k = 0; k < cells; k++) {
      flux -= h * (2 + lambda * centre[k]) * psi;
      let next = psi + h * face[k] * flux;
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
  // Every eigenvalue lies above the potential's minimum -2/b; a bound state lies below 0.
  let lower = -2 / b;
  let upper = 0;
  if (countBelow(upper) < 1) throw new InputError(`no bound state found for a/a_m = ${b}`);
  for (let iteration = 0; iteration < 200 && upper - lower > 4e-16 * Math.abs(lower); iteration++) {
    const middle = (lower + upper) / 2;
    if (countBelow(middle) >= 1) upper = middle;
    else lower = middle;
  }
  return (lower + upper) / 2;
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
