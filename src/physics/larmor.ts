// Sec. II.B-C: the Larmor current of N electrons on a ring in a field B (eq. 13-18), with the flux in
// flux quanta (eq. 15) and the moment in Bohr magnetons, and the two experiments the paper reads with
// it: Levy et al.'s Cu rings (a Larmor current, N ~ 100 in the paper) and Chandrasekhar et al.'s Au ring
// (currents of order e v_F / (2 pi R), "only ... ballistic"). SI units throughout; the formulas live
// in paper.ts and are only combined here.
import { kBohrMagneton, kElectronMass, kHbar, kSpeedOfLight } from './constants.ts';
import { InputError } from './input-error.ts';
import {
  circleArea,
  fermiCurrent,
  fluxCurrent,
  fluxQuantumField,
  kCopper,
  kFluxQuantum,
  kGold,
  kLevy,
  larmorAngularVelocity,
  larmorCurrent,
  larmorCurrentPerElectronTesla,
  larmorElectronCount,
  squareArea,
} from './paper.ts';

/** The radius of a circle of Levy et al.'s circumference 2.2 um: the default ring of the study. */
export const kLevyRadiusMetres = kLevy.circumferenceMetres / (2 * Math.PI);

export interface LarmorRing {
  readonly n: number;
  readonly fieldTesla: number;
  readonly radiusMetres: number;
  /** e^2 / (4 pi m), A/T (eq. 16's 2.242 nA/T). */
  readonly perElectronTesla: number;
  /** Omega = -e B / (2 m), rad/s (eq. 17, e = -|e|). */
  readonly angularVelocity: number;
  /**
   * |v| = |Omega| R, m/s: the Larmor speed of sec. II.B (v_Phi), a magnitude; its sense is the angular
   * velocity's, signed.
   */
  readonly speed: number;
  /** |v| / c: eq. 13-18 are non-relativistic, and the Darwin term itself is of order (v/c)^2. */
  readonly speedOverLight: number;
  /** I_L = N e Omega / (2 pi), amperes (eq. 18). */
  readonly current: number;
  /** I_Phi of eq. 14 with Phi = B pi R^2: the same current from the flux. */
  readonly currentFromFlux: number;
  /** Phi = B pi R^2, webers. */
  readonly flux: number;
  /** n_phi = Phi / Phi_0, Phi_0 = h / |e| (eq. 15). */
  readonly fluxQuanta: number;
  /** I pi R^2, A m^2. */
  readonly moment: number;
  /** I pi R^2 / mu_B: eq. 15 says -N n_phi. */
  readonly momentBohrMagnetons: number;
}

/**
 * Past this |v|/c the ring's Larmor rotation is relativistic: its (v/c)^2 corrections, which eq. 13-18
 * leave out, reach 1%.
 */
export const kRelativisticSpeed = 0.1;

/** What the ring's speed means for eq. 13-18: null where |v| << c. */
export function larmorSpeedNote(ring: Pick<LarmorRing, 'speedOverLight'>): string | null {
  return ring.speedOverLight < kRelativisticSpeed
    ? null
    : `|v|/c = ${ring.speedOverLight.toPrecision(3)}: relativistic, where eq. 13-18 (v << c) no longer hold`;
}

export function larmorRing(n: number, fieldTesla: number, radiusMetres: number): LarmorRing {
  if (!(Number.isInteger(n) && n >= 1)) throw new InputError(`N must be an integer >= 1, got ${n}`);
  if (!Number.isFinite(fieldTesla)) throw new InputError(`B must be finite, got ${fieldTesla}`);
  if (!(radiusMetres > 0 && Number.isFinite(radiusMetres))) {
    throw new InputError(`the ring radius must be > 0, got ${radiusMetres}`);
  }
  const area = Math.PI * radiusMetres * radiusMetres;
  const flux = fieldTesla * area;
  const current = larmorCurrent(n, fieldTesla);
  const angularVelocity = larmorAngularVelocity(fieldTesla);
  return {
    n,
    fieldTesla,
    radiusMetres,
    perElectronTesla: larmorCurrentPerElectronTesla(),
    angularVelocity,
    speed: Math.abs(angularVelocity) * radiusMetres,
    speedOverLight: (Math.abs(angularVelocity) * radiusMetres) / kSpeedOfLight,
    current,
    currentFromFlux: fluxCurrent(n, flux, radiusMetres),
    flux,
    fluxQuanta: flux / kFluxQuantum,
    moment: current * area,
    momentBohrMagnetons: (current * area) / kBohrMagneton,
  };
}

/** Levy et al.'s Cu rings (PRL 64, 2074 (1990)) read with eq. 16, as the paper does (sec. II.B). */
export interface LevyReading {
  readonly circumferenceMetres: number;
  /** I_av as printed, and as 3e-3 e v_F / l with v_F(Cu). */
  readonly currentPrinted: number;
  readonly currentFromFermiVelocity: number;
  /** B_0 as printed, and Phi_0 over the area of a circle or a square of perimeter l. */
  readonly fieldPrinted: number;
  readonly fieldCircle: number;
  readonly fieldSquare: number;
  /** N = I / (B_0 x 2.242 nA/T): with the printed I and B_0, and with the computed ones (circle). */
  readonly electronsPrinted: number;
  readonly electronsComputed: number;
}

export function levyReading(): LevyReading {
  const l = kLevy.circumferenceMetres;
  const currentFromFermiVelocity = fermiCurrent(kLevy.currentFraction, kCopper.fermiVelocity, l);
  const fieldCircle = fluxQuantumField(circleArea(l));
  return {
    circumferenceMetres: l,
    currentPrinted: kLevy.currentAmperes,
    currentFromFermiVelocity,
    fieldPrinted: kLevy.fieldTesla,
    fieldCircle,
    fieldSquare: fluxQuantumField(squareArea(l)),
    electronsPrinted: larmorElectronCount(kLevy.currentAmperes, kLevy.fieldTesla),
    electronsComputed: larmorElectronCount(currentFromFermiVelocity, fieldCircle),
  };
}

/** Chandrasekhar et al. (PRL 67, 3578 (1991)): I = (0.3 - 2.0) e v_F / (2 pi R), as the paper quotes. */
export const kChandrasekharCurrentFractions = [0.3, 2.0] as const;

export interface ChandrasekharReading {
  readonly radiusMetres: number;
  /** e v_F(Au) / (2 pi R) times each fraction, amperes. */
  readonly currents: readonly number[];
  /** k_F R = m v_F R / hbar. */
  readonly fermiWavenumberRadius: number;
  /**
   * The N whose Larmor current at one flux quantum through pi R^2 equals each current: N = I /
   * (B_0 e^2/(4 pi m)) with B_0 = Phi_0 / (pi R^2), which is fraction x k_F R.
   */
  readonly electronsAtOneFluxQuantum: readonly number[];
}

/** The paper gives no radius for this ring: the reading is for the ring of radius `radiusMetres`. */
export function chandrasekharReading(radiusMetres: number): ChandrasekharReading {
  const circumference = 2 * Math.PI * radiusMetres;
  const currents = kChandrasekharCurrentFractions.map((f) =>
    fermiCurrent(f, kGold.fermiVelocity, circumference),
  );
  const fieldAtOneQuantum = fluxQuantumField(Math.PI * radiusMetres * radiusMetres);
  return {
    radiusMetres,
    currents,
    fermiWavenumberRadius: (kElectronMass * kGold.fermiVelocity * radiusMetres) / kHbar,
    electronsAtOneFluxQuantum: currents.map((current) => larmorElectronCount(current, fieldAtOneQuantum)),
  };
}
