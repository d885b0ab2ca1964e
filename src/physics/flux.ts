// Sec. II.D: an electron on a ring threaded by a flux Phi = n_phi Phi_0 (eq. 15, 19-26). After the gauge
// transformation of eq. 21 the levels are E = (hbar^2 / 2 m R^2) k^2 with k fixed by the boundary
// condition: the scalar condition (eq. 23/24) gives k = n + n_phi, n integer; the spinor condition
// (eq. 25/26) gives k = n/2 + n_phi. Energies here are in units of hbar^2 / (2 m R^2), currents
// I = -dE/dPhi (eq. 9 in SI) in units of that energy per flux quantum, and flux in flux quanta n_phi.
// The period of a spectrum in n_phi is found from sampled energies (fluxPeriod), never assumed.
import { kElectronMass, kHbar } from './constants.ts';
import { InputError } from './input-error.ts';
import { kFluxQuantum } from './paper.ts';

/** Eq. 23/24 (single-valued psi) or eq. 25/26 (a spinor that turns with the momentum: psi(phi + 4 pi) = psi). */
export type RingCondition = 'scalar' | 'spinor';

export const kRingConditions: readonly RingCondition[] = ['scalar', 'spinor'];

/** k for the quantum number n: n + n_phi (eq. 24) or n/2 + n_phi (eq. 26). */
export function ringWavenumber(n: number, fluxQuanta: number, condition: RingCondition): number {
  return (condition === 'scalar' ? n : n / 2) + fluxQuanta;
}

/** hbar^2 / (2 m R^2), joules: the unit of the levels on a ring of radius R. */
export function ringLevelUnit(radiusMetres: number): number {
  return (kHbar * kHbar) / (2 * kElectronMass * radiusMetres * radiusMetres);
}

/** (hbar^2 / 2 m R^2) / Phi_0, amperes: the unit of the currents on a ring of radius R (eq. 9 in SI). */
export function ringCurrentUnit(radiusMetres: number): number {
  return ringLevelUnit(radiusMetres) / kFluxQuantum;
}

/**
 * The N lowest one-electron states at flux n_phi, as wavenumbers k (energy k^2) in ascending energy;
 * N spinless fermions (one spin species) fill them. Degenerate levels at a crossing are taken in the
 * order of n, so the current there is one of its two one-sided limits.
 */
export function occupiedWavenumbers(n: number, fluxQuanta: number, condition: RingCondition): number[] {
  if (!(Number.isInteger(n) && n >= 1)) throw new InputError(`N must be an integer >= 1, got ${n}`);
  const scale = condition === 'scalar' ? 1 : 2;
  // Every k = n'/scale + n_phi with |k| <= (N + 1) / scale lies within this range of n'.
  const centre = Math.round(-scale * fluxQuanta);
  const ks: number[] = [];
  for (let j = centre - n - 2; j <= centre + n + 2; j++) ks.push(ringWavenumber(j, fluxQuanta, condition));
  return ks.sort((a, b) => a * a - b * b).slice(0, n);
}

/** The ground-state energy of N spinless fermions on the ring, units hbar^2 / (2 m R^2). */
export function fermiSeaEnergy(n: number, fluxQuanta: number, condition: RingCondition): number {
  return occupiedWavenumbers(n, fluxQuanta, condition).reduce((sum, k) => sum + k * k, 0);
}

/**
 * I = -dE/dPhi (eq. 9) of the Fermi sea, units (hbar^2 / 2 m R^2) / Phi_0: by Hellmann-Feynman each
 * occupied level gives -d(k^2)/dn_phi = -2k.
 */
export function persistentCurrent(n: number, fluxQuanta: number, condition: RingCondition): number {
  return occupiedWavenumbers(n, fluxQuanta, condition).reduce((sum, k) => sum - 2 * k, 0);
}

/** Samples per flux quantum of the amplitude's grid: a multiple of 4, so it holds the crossings. */
const kAmplitudeSamplesPerQuantum = 64;

/**
 * The sawtooth's amplitude max |I| in units (hbar^2 / 2 m R^2) / Phi_0, sampled on a grid of
 * kAmplitudeSamplesPerQuantum points per flux quantum that holds the crossings (multiples of 1/4):
 * there the current takes its one-sided limit, the sawtooth's peak.
 */
export function persistentCurrentAmplitude(n: number, condition: RingCondition): number {
  let amplitude = 0;
  for (let j = 0; j < kAmplitudeSamplesPerQuantum; j++) {
    const fluxQuanta = j / kAmplitudeSamplesPerQuantum;
    amplitude = Math.max(amplitude, Math.abs(persistentCurrent(n, fluxQuanta, condition)));
  }
  return amplitude;
}

/**
 * The closed form of that amplitude for free electrons on a ring of radius R, amperes. Scalar condition,
 * N odd: the Fermi sea n = -(N-1)/2 .. (N-1)/2 has dE/dn_phi = 2 N n_phi (units hbar^2/2mR^2) on
 * |n_phi| < 1/2, so I = -(N hbar^2 / (m R^2 Phi_0)) n_phi, the Larmor current of eq. 14 exactly, and
 * its peak at n_phi -> 1/2 is N hbar^2 / (2 m R^2 Phi_0) = e h N / (8 pi^2 m R^2). N even: the same
 * sawtooth shifted by half a period. Spinor condition: k = (n + 2 n_phi)/2, the levels of a ring with
 * four times the unit at twice the flux, so the peak halves: e h N / (16 pi^2 m R^2).
 */
export function persistentCurrentAmplitudeClosedForm(
  n: number,
  condition: RingCondition,
  radiusMetres: number,
): number {
  return (condition === 'scalar' ? 1 : 0.5) * n * ringCurrentUnit(radiusMetres);
}

/** fluxPeriod's samples per flux quantum: 96 = 2^5 3 holds the periods 1/2^k and 1/3. */
const kPeriodSamplesPerQuantum = 96;

/** The longest period fluxPeriod looks for, in flux quanta: twice the longest expected, Phi_0. */
const kPeriodMaxQuanta = 2;

/** fluxPeriod's agreement of shifted samples, relative to their range: float64 rounding, with room. */
const kPeriodTolerance = 1e-9;

/**
 * The smallest period p = k / kPeriodSamplesPerQuantum (k >= 1) of `energy` in n_phi, found from
 * samples on [0, 2 kPeriodMaxQuanta): the first shift under which every sample agrees with its shifted
 * one to kPeriodTolerance of the samples' range. Null when no shift up to kPeriodMaxQuanta does (or
 * the function is flat).
 */
export function fluxPeriod(energy: (fluxQuanta: number) => number): number | null {
  const count = 2 * kPeriodMaxQuanta * kPeriodSamplesPerQuantum;
  const samples = Array.from({ length: count }, (_, j) => energy(j / kPeriodSamplesPerQuantum));
  const range = Math.max(...samples) - Math.min(...samples);
  if (!(range > 0)) return null;
  for (let shift = 1; shift <= kPeriodMaxQuanta * kPeriodSamplesPerQuantum; shift++) {
    let agrees = true;
    for (let j = 0; j + shift < count && agrees; j++) {
      agrees = Math.abs(samples[j + shift] - samples[j]) <= kPeriodTolerance * range;
    }
    if (agrees) return shift / kPeriodSamplesPerQuantum;
  }
  return null;
}
