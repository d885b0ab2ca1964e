// Sec. II.D's flux periodicity as numbers for the paper table: the one-electron levels under the scalar
// (eq. 23/24) and spinor (eq. 25/26) conditions, the persistent current of a Fermi sea (eq. 9) beside
// eq. 14's Larmor current and the measured currents, and the bound pair of sec. IV.B threaded by flux.
// Every period is computed from sampled energies (flux.ts's fluxPeriod).
import { kElectronMass, kHbar } from './constants.ts';
import {
  fermiSeaEnergy,
  fluxPeriod,
  kRingConditions,
  occupiedWavenumbers,
  persistentCurrentAmplitude,
  persistentCurrentAmplitudeClosedForm,
  ringCurrentUnit,
  type RingCondition,
} from './flux.ts';
import { kChandrasekharCurrentFractions, kLevyRadiusMetres } from './larmor.ts';
import { kPairingRings, ringTemperature, type RingTemperature } from './pairing.ts';
import {
  fermiCurrent,
  fermiParameter,
  fluxCurrent,
  kCopper,
  kFluxQuantum,
  kGold,
  kLevy,
  type Metal,
  type PaperRow,
} from './paper.ts';
import { ringPair, type RingPair } from './ring-pair.ts';

/** The lowest levels whose periods make the spectrum's: the spectrum repeats when all of them do. */
export const kFluxLevels = 4;

/** The j-th lowest one-electron level at flux n_phi, units hbar^2 / (2 m R^2). */
export function ringLevelAt(j: number, fluxQuanta: number, condition: RingCondition): number {
  const k = occupiedWavenumbers(j + 1, fluxQuanta, condition)[j];
  return k * k;
}

/** The period in Phi_0 of the lowest kFluxLevels levels together (the largest of theirs). */
export function spectrumPeriod(condition: RingCondition): number | null {
  let period = 0;
  for (let j = 0; j < kFluxLevels; j++) {
    const p = fluxPeriod((n) => ringLevelAt(j, n, condition));
    if (p === null) return null;
    period = Math.max(period, p);
  }
  return period;
}

export interface FermiSeaFlux {
  readonly condition: RingCondition;
  readonly n: number;
  /** Period of the ground-state energy, Phi_0. */
  readonly period: number | null;
  /** Peak |I|, units (hbar^2 / 2 m R^2) / Phi_0, sampled, and its closed form. */
  readonly amplitude: number;
  readonly amplitudeClosedForm: number;
}

export function fermiSeaFlux(n: number, condition: RingCondition): FermiSeaFlux {
  return {
    condition,
    n,
    period: fluxPeriod((flux) => fermiSeaEnergy(n, flux, condition)),
    amplitude: persistentCurrentAmplitude(n, condition),
    amplitudeClosedForm: persistentCurrentAmplitudeClosedForm(n, condition, 1) / ringCurrentUnit(1),
  };
}

/** A metal ring of radius R as a single ballistic channel: N spinless electrons up to the metal's k_F. */
export interface MetalRingCurrent {
  readonly name: string;
  readonly radiusMetres: number;
  /** The odd N closest to 2 k_F R (k_F = m v_F / hbar): the top level at the Fermi wavenumber. */
  readonly n: number;
  /** The sawtooth's peak, amperes, scalar condition (period Phi_0) and spinor (Phi_0/2). */
  readonly amplitudeScalar: number;
  readonly amplitudeSpinor: number;
  /** e v_F / (2 pi R), amperes: the unit the experiments quote. */
  readonly fermiCurrent: number;
  /** |I_Phi| of eq. 14 for the same N at Phi = Phi_0 / 2, the sawtooth's peak flux. */
  readonly larmorAtHalfQuantum: number;
  /** The measured currents, amperes, and as the experiments quote them: fractions of e v_F / (2 pi R). */
  readonly measured: readonly number[];
  readonly measuredFractions: readonly number[];
  /** The current as the paper prints it in amperes, where it does (Levy et al.'s 0.36 nA); else null. */
  readonly printed: number | null;
}

export function metalRingCurrent(
  name: string,
  metal: Metal,
  radiusMetres: number,
  measuredFractions: readonly number[],
  printed: number | null,
): MetalRingCurrent {
  const kFR = (kElectronMass * metal.fermiVelocity * radiusMetres) / kHbar;
  const n = 2 * Math.round(kFR) + 1;
  const unit = ringCurrentUnit(radiusMetres);
  const circumference = 2 * Math.PI * radiusMetres;
  return {
    name,
    radiusMetres,
    n,
    amplitudeScalar: persistentCurrentAmplitude(n, 'scalar') * unit,
    amplitudeSpinor: persistentCurrentAmplitude(n, 'spinor') * unit,
    fermiCurrent: fermiCurrent(1, metal.fermiVelocity, circumference),
    larmorAtHalfQuantum: Math.abs(fluxCurrent(n, kFluxQuantum / 2, radiusMetres)),
    measured: measuredFractions.map((f) => fermiCurrent(f, metal.fermiVelocity, circumference)),
    measuredFractions,
    printed,
  };
}

/** A ring this many pair radii round: the pair fits, and its flux period can be compared. */
export const kLocalisedPairRadius = 20;

export interface PairFlux {
  readonly name: string;
  readonly reading: string;
  readonly radiusOverPairing: number;
  readonly period: number | null;
  /** The relative motion's periodic (even L) and antiperiodic (odd L) energies, units 1/a_m^2 Hartree. */
  readonly periodicEnergy: number;
  readonly antiperiodicEnergy: number;
  /** Antiperiodic minus periodic relative energy over the centre-of-mass unit (a_m/R)^2 / 4. */
  readonly splitting: number;
}

export interface FluxStudy {
  readonly spectra: readonly { readonly condition: RingCondition; readonly period: number | null }[];
  readonly fermiSeas: readonly FermiSeaFlux[];
  readonly metalRings: readonly MetalRingCurrent[];
  readonly pairs: readonly PairFlux[];
}

/** Fermi seas small enough to see the sawtooth, odd and even. */
export const kFermiSeaSizes = [9, 10] as const;

function pairFlux(name: string, reading: string, pair: RingPair): PairFlux {
  const r = pair.radiusOverPairing;
  return {
    name,
    reading,
    radiusOverPairing: r,
    period: pair.fluxPeriod,
    periodicEnergy: pair.periodic.energy,
    antiperiodicEnergy: pair.antiperiodic.energy,
    splitting: (pair.antiperiodic.energy - pair.periodic.energy) * 4 * r * r,
  };
}

/** The flux study; `rings` are the pairing study's (kPairingRings by default), whose pairs it threads. */
export function fluxStudy(
  rings: readonly RingTemperature[] = kPairingRings.map((ring) => ringTemperature(ring)),
): FluxStudy {
  const pairs = rings.flatMap((ring) =>
    ring.readings.map((reading) => pairFlux(ring.name, reading.reading, reading.onRing)),
  );
  // a/a_m = 0.01 (eq. 45's a_m/a = 100, the rings' order) on a ring 20 a_m in radius; Z_F of Au.
  const localised = ringPair(kLocalisedPairRadius, 0.01, fermiParameter(kGold.fermiEnergyJoules));
  pairs.push(pairFlux(`R = ${kLocalisedPairRadius} a_m`, 'any (units of a_m)', localised));
  return {
    spectra: kRingConditions.map((condition) => ({ condition, period: spectrumPeriod(condition) })),
    fermiSeas: kRingConditions.flatMap((condition) => kFermiSeaSizes.map((n) => fermiSeaFlux(n, condition))),
    metalRings: [
      metalRingCurrent(
        'Cu (Levy et al.)',
        kCopper,
        kLevyRadiusMetres,
        [kLevy.currentFraction],
        kLevy.currentAmperes,
      ),
      metalRingCurrent(
        'Au (Chandrasekhar et al.)',
        kGold,
        kLevyRadiusMetres,
        kChandrasekharCurrentFractions,
        null,
      ),
    ],
    pairs,
  };
}

/** Where the paper states each condition's levels and their period (the text after eq. 24 and after eq. 26). */
export const kConditionEquations: Record<RingCondition, string> = { scalar: '23/24', spinor: '25/26' };
const kPaperPeriods: Record<RingCondition, number> = { scalar: 1, spinor: 0.5 };

/** The study as rows of the paper table. */
export function fluxRows(study: FluxStudy): PaperRow[] {
  const nanoampere = 1e-9;
  const rows: PaperRow[] = [];
  for (const { condition, period } of study.spectra) {
    rows.push({
      equation: kConditionEquations[condition],
      quantity: `period of the one-electron levels E_n(Phi), ${condition} condition (lowest ${kFluxLevels})`,
      paper: kPaperPeriods[condition],
      computed: period ?? NaN,
      unit: 'Phi_0',
      note: 'found as the smallest shift in Phi that maps the sampled levels onto themselves',
    });
  }
  for (const sea of study.fermiSeas) {
    rows.push({
      // The period is the condition's (the text after eq. 24 / eq. 26); eq. 9 gives the current below.
      equation: kConditionEquations[sea.condition],
      quantity: `period of the ground state of N = ${sea.n} spinless electrons, ${sea.condition} condition`,
      paper: kPaperPeriods[sea.condition],
      computed: sea.period ?? NaN,
      unit: 'Phi_0',
      note:
        `sawtooth I = -dE/dPhi (eq. 9), peak ${sea.amplitude} (hbar^2/2mR^2)/Phi_0 against the closed form ` +
        `${sea.amplitudeClosedForm} (e h N / (8 pi^2 m R^2) scalar, half of it spinor); ` +
        (sea.n % 2 === 1
          ? 'odd N: diamagnetic at small flux'
          : 'even N: the sawtooth shifted by half a period'),
    });
  }
  for (const ring of study.metalRings) {
    const measured = ring.measured.map((i) => (i / nanoampere).toPrecision(3)).join('-');
    // The paper column holds what the paper prints: the measured current in nA where it gives one
    // (Levy et al.'s 0.36), else the fractions of e v_F/(2 pi R) the experiment quotes; the nA this
    // v_F gives for the fractions (0.343 for Levy et al.: README, "The paper's numbers") go in the note.
    const fractions = `${ring.measuredFractions.join('-')} e v_F/(2 pi R)`;
    rows.push({
      equation: '9',
      quantity: `${ring.name}: sawtooth peak of one ballistic channel, N = ${ring.n} (2 k_F R), R = ${(ring.radiusMetres * 1e6).toFixed(3)} um`,
      paper:
        ring.printed === null
          ? `measured: ${fractions}`
          : `measured: ${(ring.printed / nanoampere).toPrecision(2)} (${fractions})`,
      computed: ring.amplitudeScalar / nanoampere,
      unit: 'nA',
      note:
        `the measured ${fractions} is ${measured} nA with this v_F; the peak ` +
        `= e v_F/(2 pi R) (${(ring.fermiCurrent / nanoampere).toFixed(1)} nA) to 1/N; eq. 14's Larmor current for the ` +
        `same N at Phi_0/2 is ${(ring.larmorAtHalfQuantum / nanoampere).toFixed(1)} nA, the same: the sawtooth is ` +
        `eq. 14 folded into one flux period, and averages to zero over it. Spinor condition: ` +
        `${(ring.amplitudeSpinor / nanoampere).toFixed(1)} nA at period Phi_0/2`,
    });
  }
  for (const pair of study.pairs) {
    rows.push({
      equation: '26',
      quantity: `pair (charge 2e) ground state against flux: ${pair.name}, ${pair.reading}, R/a_m = ${pair.radiusOverPairing.toPrecision(3)}`,
      paper: '1/2 (pairs)',
      computed: pair.period ?? NaN,
      unit: 'Phi_0',
      note:
        `odd centre-of-mass L takes the antiperiodic relative state; its excess over the periodic one is ` +
        `${pair.splitting.toPrecision(3)} hbar^2/(4 m R^2): ` +
        (pair.period === 0.5
          ? 'negligible, so the period is Phi_0/2'
          : 'the pair does not fit in the ring, so the period stays Phi_0'),
    });
  }
  return rows;
}
