// Sec. IV.B: two electrons on a ring of thickness a bind in their relative motion (eq. 35-46). In units
// of the pair's Bohr radius a_m = 2 / Z_F (eq. 43-44) and of the effective Rydberg 1/a_m^2 Hartree (so the
// 3D ground state of eq. 44 is -1), the relative motion in the softened potential of eq. 45 is
//   -psi''(x) - 2 psi(x) / (|x| + b) = epsilon psi(x),   b = a / a_m,
// and eq. 46 reads epsilon = -[2 ln(1/b)]^2. Three ways to its ground state, all in coulomb1d.ts (which
// the paper table shares), are compared here:
//   - finite differences on a logarithmic grid (groundState1dMapped): any b, second order, with its own
//     convergence estimate;
//   - the exact condition from the Whittaker function (whittakerGroundState1d): the even state's
//     derivative vanishes at x = 0, a transcendental equation solved to rounding error;
//   - its small-a limit (smallThicknessGroundState1d), whose leading term is eq. 46.
import { logSpaced } from '../math/vectors.ts';
import { kBoltzmann, kElectronVolt } from './constants.ts';
import {
  groundState1dConvergence,
  groundState1dMapped,
  kPairingStep,
  smallThicknessGroundState1d,
  whittakerGroundState1d,
  type GridConvergence,
} from './coulomb1d.ts';
import { InputError } from './input-error.ts';
import { kLevyRadiusMetres } from './larmor.ts';
import {
  fermiParameter,
  kChandrasekhar,
  kCopper,
  kFermiReadings,
  kGold,
  kLevy,
  pairingBohrRadius,
  pairingEnergy1d,
  pairingEnergy3d,
  type FermiReading,
  type Metal,
} from './paper.ts';
import { ringPair, ringRelativeState, type RingPair } from './ring-pair.ts';

/** epsilon of eq. 46 in units of 1/a_m^2 Hartree: -[2 ln(a_m / a)]^2. */
export function eq46Energy(radiusOverThickness: number): number {
  const logarithm = 2 * Math.log(radiusOverThickness);
  return -logarithm * logarithm;
}

/**
 * Eq. 46 is the leading logarithm of the ground state for a << a_m (ln(a_m/a) large): with a within a
 * decade of a_m it is no estimate of it (at a_m/a = 1.0001 it is 2.5e7 times too shallow; eq. 45's
 * numerical and exact ground states still hold).
 */
export const kEq46MinRatio = 10;

/** Why a_m/a is refused, or null: the well needs a ring thinner than the pair, and a grid that resolves it. */
export function pairingRatioProblem(radiusOverThickness: number): string | null {
  return radiusOverThickness > 1 && radiusOverThickness <= 1e12 ? null : 'needs a_m/a in (1, 1e12]';
}

function checkRatio(radiusOverThickness: number): void {
  if (pairingRatioProblem(radiusOverThickness)) {
    throw new InputError(`a_m/a must lie in (1, 1e12], got ${radiusOverThickness}`, 'ratios');
  }
}

// ---------------------------------------------------------------------------------------------------
// The study: eq. 46 against the numerical ground state over a_m/a, and the two rings

export interface PairingPoint {
  /** a_m / a. */
  readonly ratio: number;
  /** Finest-grid finite-difference ground state, units of 1/a_m^2 Hartree. */
  readonly energyNumerical: number;
  readonly energyEq46: number;
  /** The exact (Whittaker) ground state, where a_m/a >= 2. */
  readonly energyExact: number | null;
  /** The small-a limit of the exact condition. */
  readonly energySmallThickness: number | null;
  /** (E_numerical - E_46) / E_46. */
  readonly relativeDifference: number;
  readonly convergence: GridConvergence;
}

/** 21 ratios a_m/a from 10 to 1e6: four per decade plus the end. */
export const kDefaultPairingRatios = logSpaced(10, 1e6, 21);

export function pairingPoint(radiusOverThickness: number): PairingPoint {
  checkRatio(radiusOverThickness);
  const convergence = groundState1dConvergence(1 / radiusOverThickness, kPairingStep);
  const energyNumerical = convergence.energies[2];
  const energyEq46 = eq46Energy(radiusOverThickness);
  const closedForm = radiusOverThickness >= 2;
  return {
    ratio: radiusOverThickness,
    energyNumerical,
    energyEq46,
    energyExact: closedForm ? whittakerGroundState1d(radiusOverThickness) : null,
    energySmallThickness: closedForm ? smallThicknessGroundState1d(radiusOverThickness) : null,
    relativeDifference: (energyNumerical - energyEq46) / energyEq46,
    convergence,
  };
}

export interface PairingRing {
  readonly name: string;
  readonly metal: Metal;
  readonly thicknessMetres: number;
  /** Where the thickness comes from, and whether it is an assumption. */
  readonly thicknessSource: string;
  /** The ring's radius R: the pair's relative motion lives on its circumference 2 pi R. */
  readonly radiusMetres: number;
  readonly radiusSource: string;
}

/** The paper's two experiments (sec. IV.B): Chandrasekhar et al.'s Au ring, Levy et al.'s Cu rings. */
export const kPairingRings: readonly PairingRing[] = [
  {
    name: 'Au',
    metal: kGold,
    thicknessMetres: kChandrasekhar.thicknessMetres,
    thicknessSource: 'Chandrasekhar et al., as the paper quotes it (sec. IV.B)',
    radiusMetres: kLevyRadiusMetres,
    radiusSource:
      "ASSUMED: the paper gives no radius for Chandrasekhar et al.'s ring; the larmor study's default, a " +
      'circle of 2.2 um circumference',
  },
  {
    name: 'Cu',
    metal: kCopper,
    thicknessMetres: kLevy.thicknessMetres,
    thicknessSource:
      'ASSUMED: the paper gives no thickness for the Cu rings of Levy et al. ("similar values")',
    radiusMetres: kLevyRadiusMetres,
    radiusSource: 'a circle of the circumference 2.2 um the paper quotes for Levy et al. (sec. II.B)',
  },
];

/** One ring under one reading of eq. 43: the line's temperatures and the pair on the ring itself. */
export interface RingReading {
  readonly reading: FermiReading;
  readonly fermiParameter: number;
  /** a_m = 2 a0 / Z_F, metres. */
  readonly pairingRadiusMetres: number;
  readonly ratio: number;
  /** |E| / k_B from eq. 46, kelvin. */
  readonly temperatureEq46: number;
  /** |E| / k_B of eq. 45's exact ground state on the line (Whittaker), kelvin. */
  readonly temperatureExact: number;
  /** 1/a_m^2 Hartree / k_B, kelvin: the unit of the energies of `onRing`. */
  readonly energyUnitKelvin: number;
  /** The relative motion on the ring of radius R (eq. 41 with the whole V_phi). */
  readonly onRing: RingPair;
  /** The periodic state's energy on rings of other radii at the same a/a_m: how it reaches the line. */
  readonly radiusSweep: readonly { readonly radiusOverPairing: number; readonly energy: number }[];
}

/** R/a_m of the radius sweep: from below the rings' ~0.04-0.09 to where eq. 45's line holds. */
export const kRingSweepRadii = logSpaced(0.02, 50, 18);

export interface RingTemperature {
  readonly name: string;
  readonly fermiEnergyEv: number;
  readonly thicknessMetres: number;
  readonly thicknessSource: string;
  readonly radiusMetres: number;
  readonly radiusSource: string;
  /** a_m = 2 a0 / Z_F, metres. */
  readonly pairingRadiusMetres: number;
  readonly ratio: number;
  /** |E| / k_B from eq. 46, kelvin. */
  readonly temperatureEq46: number;
  /** |E| / k_B from the finite-difference ground state, kelvin. */
  readonly temperatureNumerical: number;
  /**
   * Eq. 43's two readings of Z_F, 'fermi-energy' then 'fermi-momentum' (pairingRadiusMetres and the
   * temperatures above are those of 'fermi-energy', Z_F = E_F/mc^2, eq. 43's second form).
   */
  readonly readings: readonly RingReading[];
}

/** A ring's energies on the finest of pairingPoint's three grids: about 4e-8 relative error (kPairingStep). */
const kRingStep = kPairingStep / 4;

function ringReading(ring: PairingRing, reading: FermiReading): RingReading {
  const radius = pairingBohrRadius(ring.metal.fermiEnergyJoules, reading);
  const ratio = radius / ring.thicknessMetres;
  checkRatio(ratio);
  const unit = -pairingEnergy3d(radius);
  const zF = fermiParameter(ring.metal.fermiEnergyJoules, reading);
  return {
    reading,
    fermiParameter: zF,
    pairingRadiusMetres: radius,
    ratio,
    temperatureEq46: Math.abs(pairingEnergy1d(radius, ring.thicknessMetres)) / kBoltzmann,
    temperatureExact: Math.abs(unit * whittakerGroundState1d(ratio)) / kBoltzmann,
    energyUnitKelvin: unit / kBoltzmann,
    onRing: ringPair(ring.radiusMetres / radius, 1 / ratio, zF, kRingStep),
    // A ring at least twice as wide as it is thick: the chord smoothing needs a < R.
    radiusSweep: kRingSweepRadii
      .filter((r) => r > 2 / ratio)
      .map((radiusOverPairing) => ({
        radiusOverPairing,
        energy: ringRelativeState(radiusOverPairing, 1 / ratio, 'periodic', kRingStep).energy,
      })),
  };
}

export function ringTemperature(ring: PairingRing): RingTemperature {
  const radius = pairingBohrRadius(ring.metal.fermiEnergyJoules);
  const ratio = radius / ring.thicknessMetres;
  checkRatio(ratio);
  // pairingEnergy3d is -1/a_m^2 Hartree, the unit of epsilon, in joules.
  const unit = -pairingEnergy3d(radius);
  return {
    name: ring.name,
    // Rounded to 12 digits: the table's 5.53 eV back, not 5.530000000000001 from the joule round trip.
    fermiEnergyEv: Number((ring.metal.fermiEnergyJoules / kElectronVolt).toPrecision(12)),
    thicknessMetres: ring.thicknessMetres,
    thicknessSource: ring.thicknessSource,
    radiusMetres: ring.radiusMetres,
    radiusSource: ring.radiusSource,
    pairingRadiusMetres: radius,
    ratio,
    temperatureEq46: Math.abs(pairingEnergy1d(radius, ring.thicknessMetres)) / kBoltzmann,
    temperatureNumerical: Math.abs(unit * groundState1dMapped(1 / ratio, kRingStep)) / kBoltzmann,
    readings: kFermiReadings.map((reading) => ringReading(ring, reading)),
  };
}
