// Sec. IV.B on the ring itself. Eq. 44-46 put the pair's relative motion on an infinite line and keep
// only the 1/|phi| term of eq. 42; here the relative motion of eq. 41 keeps the whole 2 pi-periodic
// V_phi, softened by the thickness as in eq. 45 (ringPotentialThick), on a ring of the real radius R.
// In units of a_m (eq. 43-44) and 1/a_m^2 Hartree, with phi = x a_m / R,
//   -psi''(x) - 2 (a_m / R) V_phi^a(x a_m / R) psi = epsilon psi,   -pi R / a_m <= x <= pi R / a_m,
// which is eq. 45's -psi'' - 2 psi / (|x| + a/a_m) = epsilon psi wherever |x| << R / a_m. The two
// electrons' wave function e^(i L phi_C) psi(phi) is single-valued on the torus (phi_1, phi_2) only if
// psi(phi + 2 pi) = (-1)^L psi(phi) (phi_1 -> phi_1 + 2 pi moves phi_C by pi and phi by 2 pi), so an
// even centre-of-mass quantum number L takes a periodic psi and an odd one an antiperiodic psi. The
// ground state is even in phi (the spin singlet), so each case is the half ring 0 <= x <= pi R / a_m
// with psi'(0) = 0 and psi' = 0 (periodic) or psi = 0 (antiperiodic) at the far end.
import {
  evenStateMapped,
  groundState1dMapped,
  kPairingBoxLength,
  kPairingStep,
  lowestEvenEigenvalueMapped,
  mappedCells,
  mappedGrid,
  mappedGridTo,
  type MappedEnd,
  type MappedGrid,
} from './coulomb1d.ts';
import { kFineStructure } from './constants.ts';
import { fluxPeriod } from './flux.ts';
import { InputError } from './input-error.ts';
import { ringPotentialThick } from './ring.ts';

/** The relative wave function's condition across the point opposite the other electron. */
export type RelativeCondition = 'periodic' | 'antiperiodic';

/** An even state of the relative motion and what it says about the pair's size. */
export interface RelativeState {
  /** epsilon, units 1/a_m^2 Hartree. */
  readonly energy: number;
  /** sqrt(<x^2>), x = R phi the arc between the electrons, units a_m. */
  readonly rmsSeparation: number;
  /** <-d^2/dx^2> = <p^2> a_m^2 (atomic units): the relative kinetic energy, units 1/a_m^2 Hartree. */
  readonly kinetic: number;
}

function stateOf(grid: MappedGrid, coupling: Float64Array, end: MappedEnd, energy: number): RelativeState {
  const psi = evenStateMapped(grid, coupling, end, energy);
  const { centre } = mappedCells(grid);
  const h = grid.step;
  let squareSeparation = 0;
  let potential = 0;
  for (let k = 0; k < grid.cells; k++) {
    const x = centre[k] - grid.thickness;
    squareSeparation += psi[k] * psi[k] * x * x * centre[k] * h;
    // W = -coupling / y, weighted by psi^2 dx = psi^2 y ds.
    potential -= psi[k] * psi[k] * coupling[k] * h;
  }
  return { energy, rmsSeparation: Math.sqrt(squareSeparation), kinetic: energy - potential };
}

/**
 * The lowest even state of the relative motion on the ring (units of a_m), R / a_m = radiusOverPairing,
 * a / a_m = thicknessOverPairing, on the logarithmic grid of eq. 45's solver (|x| + a/a_m = (a/a_m) e^s
 * up to x = pi R / a_m), second order in Delta s.
 */
export function ringRelativeState(
  radiusOverPairing: number,
  thicknessOverPairing: number,
  condition: RelativeCondition,
  step = kPairingStep,
): RelativeState {
  const b = thicknessOverPairing;
  if (!(radiusOverPairing > 0 && b > 0 && b < radiusOverPairing)) {
    throw new InputError(`the ring needs 0 < a < R, got a/a_m = ${b}, R/a_m = ${radiusOverPairing}`);
  }
  const halfRing = Math.PI * radiusOverPairing;
  const grid = mappedGridTo(b, halfRing, step);
  const { centre } = mappedCells(grid);
  const coupling = new Float64Array(grid.cells);
  let potentialMaximum = -Infinity;
  for (let k = 0; k < grid.cells; k++) {
    const phi = (centre[k] - b) / radiusOverPairing;
    coupling[k] = (2 * centre[k] * ringPotentialThick(phi, b / radiusOverPairing)) / radiusOverPairing;
    potentialMaximum = Math.max(potentialMaximum, -coupling[k] / centre[k]);
  }
  const end: MappedEnd = condition === 'periodic' ? 'neumann' : 'dirichlet';
  // The lowest free level of the half ring, 0 or (pi / 2L)^2, above the potential's maximum bounds it.
  const free = condition === 'periodic' ? 0 : (Math.PI / (2 * halfRing)) ** 2;
  const energy = lowestEvenEigenvalueMapped(grid, coupling, end, -2 / b, potentialMaximum + free + 1);
  return stateOf(grid, coupling, end, energy);
}

/** Eq. 45's even ground state on the line (the box of groundState1dMapped) with its extent. */
export function lineRelativeState(thicknessOverPairing: number, step = kPairingStep): RelativeState {
  const grid: MappedGrid = mappedGrid(thicknessOverPairing, step);
  const coupling = new Float64Array(grid.cells).fill(2);
  return stateOf(grid, coupling, 'beyond', groundState1dMapped(thicknessOverPairing, step));
}

/**
 * The pair on a ring threaded by a flux n_phi Phi_0 (units 1/a_m^2 Hartree): the centre of mass carries
 * charge 2e, so eq. 19 for the pair reads hbar^2 (L + 2 n_phi)^2 / (4 m R^2) = (L + 2 n_phi)^2 (a_m/R)^2
 * / 4 (J_C = hbar L, mass 2m), while the relative coordinate sees no flux; the relative energy is the
 * periodic one for even L and the antiperiodic one for odd L. The ground state is the least over L,
 * with J_F held at its Fermi value in eq. 41's coupling.
 */
export function pairFluxEnergy(
  fluxQuanta: number,
  radiusOverPairing: number,
  periodicEnergy: number,
  antiperiodicEnergy: number,
): number {
  const unit = 1 / (4 * radiusOverPairing * radiusOverPairing);
  const nearest = Math.round(-2 * fluxQuanta);
  let least = Infinity;
  for (let l = nearest - 2; l <= nearest + 2; l++) {
    const relative = l % 2 === 0 ? periodicEnergy : antiperiodicEnergy;
    least = Math.min(least, unit * (l + 2 * fluxQuanta) ** 2 + relative);
  }
  return least;
}

/** The pair on the ring beside the line: the two relative conditions, the flux period, the J^2 check. */
export interface RingPair {
  readonly radiusOverPairing: number;
  readonly thicknessOverPairing: number;
  readonly periodic: RelativeState;
  readonly antiperiodic: RelativeState;
  /** Eq. 45 on the infinite line at the same a/a_m. */
  readonly line: RelativeState;
  /** pi R / (sqrt 3 a_m): the rms arc of two electrons spread evenly over the ring. */
  readonly uniformRmsSeparation: number;
  /** a_m > 2 pi R: the pair's Bohr radius exceeds the circumference, so the line's state cannot fit. */
  readonly linePictureFails: boolean;
  /** The period in Phi_0 of the pair's ground-state energy against flux, from pairFluxEnergy sampled. */
  readonly fluxPeriod: number | null;
  /** <J^2> / J_F^2 for the periodic state: eq. 41 drops J^2 beside J_F^2. */
  readonly relativeMomentumRatio: number;
}

/**
 * The pair on a ring of radius R and thickness a, both in units of a_m, with Z_F of eq. 43 (the
 * reading decides a_m = 2/Z_F bohr, and J_F^2 / R^2 = Z_F m^2 c^2, i.e. Z_F / alpha^2 in atomic units).
 * <J^2> / J_F^2 = <p^2> / (J_F/R)^2 = kinetic alpha^2 / (a_m^2 Z_F) with a_m = 2 / Z_F.
 */
export function ringPair(
  radiusOverPairing: number,
  thicknessOverPairing: number,
  fermiParameter: number,
  step = kPairingStep,
): RingPair {
  if (!(thicknessOverPairing < kPairingBoxLength)) {
    throw new InputError(`a/a_m must be below ${kPairingBoxLength}, got ${thicknessOverPairing}`);
  }
  const periodic = ringRelativeState(radiusOverPairing, thicknessOverPairing, 'periodic', step);
  const antiperiodic = ringRelativeState(radiusOverPairing, thicknessOverPairing, 'antiperiodic', step);
  const pairingRadiusBohr = 2 / fermiParameter;
  return {
    radiusOverPairing,
    thicknessOverPairing,
    periodic,
    antiperiodic,
    line: lineRelativeState(thicknessOverPairing, step),
    uniformRmsSeparation: (Math.PI * radiusOverPairing) / Math.sqrt(3),
    linePictureFails: 1 > 2 * Math.PI * radiusOverPairing,
    fluxPeriod: fluxPeriod((n) => pairFluxEnergy(n, radiusOverPairing, periodic.energy, antiperiodic.energy)),
    relativeMomentumRatio:
      (periodic.kinetic * kFineStructure * kFineStructure) /
      (pairingRadiusBohr * pairingRadiusBohr * fermiParameter),
  };
}
