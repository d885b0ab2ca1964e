// The paper's quantitative claims (Essen 2013), each as a function in SI units, and `paperClaims()`:
// one row per number the paper prints, beside the number this code gets. Gaussian formulas are
// converted where they are used: for currents and fields "delete c" (sec. II.B), and the atomic-unit
// formulas of sec. IV.B (Hartree, bohr) are evaluated with a0 and E_h.
import {
  kBohrMagneton,
  kBohrRadius,
  kBoltzmann,
  kClassicalElectronRadius,
  kElectronMass,
  kElectronRestEnergy,
  kElectronVolt,
  kElementaryCharge,
  kFineStructure,
  kHartree,
  kPlanck,
} from './constants.ts';
import { kSphereLondonParameter, sphereLondonParameter } from './biot-savart.ts';
import { whittakerGroundState1d } from './coulomb1d.ts';
import { InputError } from './input-error.ts';
import { cylinderLondonParameter } from './london.ts';
import { ringPotential, ringPotentialSeries } from './ring.ts';

/** One of the paper's numbers beside ours; the CLI prints these keys as JSON. */
export interface PaperRow {
  /** Equation number(s), starting with a number (the CLI sorts on it). */
  equation: string;
  quantity: string;
  /** The paper's value as printed: a number, or a string such as "~100" or "1-2". */
  paper: number | string;
  computed: number;
  unit: string;
  /** Why `computed` differs from `paper`, or what was assumed. */
  note?: string;
}

// ---------------------------------------------------------------------------------------------------
// Sec. II: Larmor currents in rings (eq. 13-18)

/** The flux quantum Phi_0 = h / |e| (eq. 15 in SI), webers. */
export const kFluxQuantum = kPlanck / kElementaryCharge;

/**
 * e^2 / (4 pi m), A/T: the Larmor current per electron and per tesla. Eq. 14 in SI (c deleted) with
 * Phi = B pi R^2 gives I = -(B pi R^2 / (4 pi^2 R^2)) N e^2 / m = -N B e^2 / (4 pi m): eq. 16's 2.242 nA/T.
 */
export function larmorCurrentPerElectronTesla(): number {
  return (kElementaryCharge * kElementaryCharge) / (4 * Math.PI * kElectronMass);
}

/**
 * I_Phi of eq. 13/14 in SI for N electrons on a ring of radius R threaded by flux Phi, amperes. The sign
 * is eq. 13's: the current is diamagnetic (eq. 14 prints its magnitude, eq. 16 restores the minus).
 */
export function fluxCurrent(n: number, fluxWebers: number, radiusMetres: number): number {
  return (
    (-fluxWebers / (4 * Math.PI * Math.PI * radiusMetres * radiusMetres)) *
    ((n * kElementaryCharge * kElementaryCharge) / kElectronMass)
  );
}

/**
 * The Larmor angular velocity Omega_z = -e B_z / (2 m) (eq. 17 in SI), rad/s, for electrons (e = -|e|):
 * positive, i.e. the electrons turn counter-clockwise about B.
 */
export function larmorAngularVelocity(fieldTesla: number): number {
  return (kElementaryCharge * fieldTesla) / (2 * kElectronMass);
}

/** I_L = N e Omega_z / (2 pi) = -N B e^2 / (4 pi m) (eq. 18 in SI), amperes, e = -|e|. */
export function larmorCurrent(n: number, fieldTesla: number): number {
  return (-n * kElementaryCharge * larmorAngularVelocity(fieldTesla)) / (2 * Math.PI);
}

/** The N for which a Larmor current of magnitude |I| flows at field B (eq. 16 solved for N). */
export function larmorElectronCount(currentAmperes: number, fieldTesla: number): number {
  return Math.abs(currentAmperes) / (Math.abs(fieldTesla) * larmorCurrentPerElectronTesla());
}

/** The field, tesla, that puts one flux quantum h/|e| through `areaSquareMetres` (the paper's B_0). */
export function fluxQuantumField(areaSquareMetres: number): number {
  return kFluxQuantum / areaSquareMetres;
}

/** Area enclosed by a circle of circumference l: l^2 / (4 pi). */
export function circleArea(circumferenceMetres: number): number {
  return (circumferenceMetres * circumferenceMetres) / (4 * Math.PI);
}

/** Area enclosed by a square of perimeter l: (l/4)^2. */
export function squareArea(perimeterMetres: number): number {
  return (perimeterMetres / 4) ** 2;
}

/** A current written as a fraction of e v_F / l (Levy et al. quote 3e-3 e v_F / l), amperes. */
export function fermiCurrent(fraction: number, fermiVelocity: number, circumferenceMetres: number): number {
  return (fraction * kElementaryCharge * fermiVelocity) / circumferenceMetres;
}

/** Free-electron data of a metal (Ashcroft & Mermin, Solid State Physics, tables 1.1 and 2.1). */
export interface Metal {
  readonly name: string;
  readonly fermiEnergyJoules: number;
  /** v_F, m/s. */
  readonly fermiVelocity: number;
  /** Wigner-Seitz radius r_s, bohr. */
  readonly radiusParameterBohr: number;
}

export const kCopper: Metal = {
  name: 'Cu',
  fermiEnergyJoules: 7.0 * kElectronVolt,
  fermiVelocity: 1.57e6,
  radiusParameterBohr: 2.67,
};

export const kGold: Metal = {
  name: 'Au',
  fermiEnergyJoules: 5.53 * kElectronVolt,
  fermiVelocity: 1.4e6,
  radiusParameterBohr: 3.01,
};

/** Levy et al. (PRL 64, 2074 (1990)) as the paper quotes them (sec. II.B). */
export const kLevy = {
  /** Ring circumference l. */
  circumferenceMetres: 2.2e-6,
  /** I_av = 3e-3 e v_F / l. */
  currentFraction: 3e-3,
  /** I_av as printed. */
  currentAmperes: 0.36e-9,
  /** B_0, "corresponding to the flux quantum", as printed. */
  fieldTesla: 1.3e-2,
  /**
   * Thickness a of the Cu wire: ASSUMED. The paper gives none, only "similar values" of a_m/a ~ 1e2 to
   * the Au ring; 100 nm gives a_m/a ~ 77 for E_F(Cu) = 7.00 eV.
   */
  thicknessMetres: 100e-9,
} as const;

/** Chandrasekhar et al. (PRL 67, 3578 (1991)): the Au ring's thickness as the paper quotes it (sec. IV.B). */
export const kChandrasekhar = { thicknessMetres: 80e-9 } as const;

// ---------------------------------------------------------------------------------------------------
// Sec. IV.B: pairing (eq. 43-46)

/**
 * Eq. 43 writes Z_F twice, Z_F = (J_F^2 / (m R^2)) / (m c^2) = E_F / (m c^2), and the two forms differ by
 * a factor 2. 'fermi-energy' is the second form. 'fermi-momentum' is the first with J_F as eq. 37-40
 * define it: J_C = dL/dphidot_C = 2 m R^2 phidot_C (eq. 38 to zeroth order in r_e/R), |J_C| = 2 J_F
 * (eq. 40), and both electrons at the Fermi speed, phidot_C = v_F / R, so J_F = m R v_F and
 * J_F^2 / (m R^2) = m v_F^2 = 2 E_F. The first form is the one eq. 41-44 use (eq. 41's Coulomb term is
 * (J_F^2 / m R^2)(r_e / R) / |phi| = Z_F e^2 / |r|), so the paper's equations imply Z_F = 2 E_F / m c^2.
 */
export type FermiReading = 'fermi-energy' | 'fermi-momentum';

export const kFermiReadings: readonly FermiReading[] = ['fermi-energy', 'fermi-momentum'];

/** Z_F (eq. 43) in either reading: the "nuclear charge" of the pair's relative motion, eq. 44. */
export function fermiParameter(fermiEnergyJoules: number, reading: FermiReading = 'fermi-energy'): number {
  return ((reading === 'fermi-energy' ? 1 : 2) * fermiEnergyJoules) / kElectronRestEnergy;
}

/**
 * The Bohr radius of eq. 44, metres: hbar^2 / (mu Z_F e^2) with reduced mass mu = m/2, i.e. 2 a0 / Z_F
 * (the paper's a_m = 2 / Z_F in atomic units).
 */
export function pairingBohrRadius(fermiEnergyJoules: number, reading: FermiReading = 'fermi-energy'): number {
  return (2 * kBohrRadius) / fermiParameter(fermiEnergyJoules, reading);
}

/** (9 pi / 4)^(1/3) = 1.919: k_F r_s for free electrons, the paper's "1.92" (v_F = 1.92 / r_s, sec. II.B). */
export const kFermiWavenumberRadius = Math.cbrt((9 * Math.PI) / 4);

/**
 * a_m / r_s^2 in bohr for free electrons: a_m = 2 / Z_F = 2 (m c^2 / E_h) / ((1/2)(1.919/r_s)^2)
 * = 4 r_s^2 / (alpha^2 1.919^2) = 2.04e4 r_s^2 with Z_F = E_F/mc^2, half of it (1.02e4) with
 * Z_F = 2 E_F/mc^2. The paper prints 1.52e4 (sec. IV.B), which is neither.
 */
export function pairingRadiusCoefficient(reading: FermiReading = 'fermi-energy'): number {
  const factor = reading === 'fermi-energy' ? 1 : 2;
  return 4 / (factor * kFineStructure * kFineStructure * kFermiWavenumberRadius * kFermiWavenumberRadius);
}

/** E_3d = -1/a_m^2 Hartree (a_m in bohr) = -Z_F^2/4 Hartree: the 3D ground state of eq. 44, joules. */
export function pairingEnergy3d(pairingRadiusMetres: number): number {
  const am = pairingRadiusMetres / kBohrRadius;
  return -kHartree / (am * am);
}

function checkThickness(pairingRadiusMetres: number, thicknessMetres: number): void {
  if (!(thicknessMetres > 0 && pairingRadiusMetres > thicknessMetres)) {
    throw new InputError(
      `eq. 46 needs 0 < a < a_m, got a = ${thicknessMetres} m, a_m = ${pairingRadiusMetres} m`,
    );
  }
}

/**
 * E_1d = -(1/a_m^2) [2 ln(a_m / a)]^2 Hartree, a_m and a in bohr (eq. 46): the leading-logarithm
 * ground state of the softened 1D Coulomb potential of eq. 45, valid for a << a_m. Joules.
 */
export function pairingEnergy1d(pairingRadiusMetres: number, thicknessMetres: number): number {
  checkThickness(pairingRadiusMetres, thicknessMetres);
  const logarithm = 2 * Math.log(pairingRadiusMetres / thicknessMetres);
  return pairingEnergy3d(pairingRadiusMetres) * logarithm * logarithm;
}

/**
 * Eq. 45's exact ground state (the counterpart of eq. 46), joules: the Whittaker condition's root, which
 * the pairing study reports as each ring's temperature_exact_mk (the same number, not a grid's within
 * 6e-7 of it). a_m/a >= 2.
 */
export function pairingEnergy1dExact(pairingRadiusMetres: number, thicknessMetres: number): number {
  checkThickness(pairingRadiusMetres, thicknessMetres);
  const epsilon = whittakerGroundState1d(pairingRadiusMetres / thicknessMetres);
  return -pairingEnergy3d(pairingRadiusMetres) * epsilon;
}

/** |E| / k_B, kelvin: the temperature the paper attaches to a binding energy. */
export function pairingTemperature(energyJoules: number): number {
  return Math.abs(energyJoules) / kBoltzmann;
}

// ---------------------------------------------------------------------------------------------------
// Sec. IV.C: minimum sizes (eq. 51-55)

/**
 * R with R^(d-1) = a0^d / r_e (eq. 52), metres: R = a0 (a0 / r_e)^(1/(d-1)). For d -> 1+ the exponent
 * diverges and so does R (eq. 53); d <= 1 has no solution and gives Infinity.
 */
export function minimumSuperconductingSize(dimension: number): number {
  if (dimension <= 1) return Infinity;
  return kBohrRadius * (kBohrRadius / kClassicalElectronRadius) ** (1 / (dimension - 1));
}

/**
 * N_max r_e / R with N_max = (R / a0)^d (eq. 51): the collective parameter of eq. 49 for one electron
 * per atom. In d = 1 it is r_e / a0 = alpha^2 whatever R is, so it never reaches 1 (eq. 53).
 */
export function maximumCollectiveParameter(dimension: number, sizeMetres: number): number {
  return ((sizeMetres / kBohrRadius) ** dimension * kClassicalElectronRadius) / sizeMetres;
}

// ---------------------------------------------------------------------------------------------------
// Eq. 42: the series of V_phi

/**
 * The coefficient of |phi|^power in the expansion of V_phi about 0 (eq. 42), power = -1, 1, 3, ...
 * phi V_phi(phi) = phi / (2 sin(phi/2)) - (3/4) phi sin(phi/2) is analytic and even for |phi| < 2 pi,
 * so its Taylor coefficients are Cauchy integrals, which the trapezoid rule on the circle |z| = 2
 * computes to rounding error with 64 points (aliasing ~ (2 / 2 pi)^64). No cancellation is involved,
 * unlike (V - 1/phi + phi/3) / phi^3 at small phi.
 */
export function ringPotentialSeriesCoefficient(power: number): number {
  const order = power + 1;
  if (!Number.isInteger(order) || order < 0 || order % 2 !== 0) {
    throw new InputError(`V_phi has only odd powers from -1 upward, got ${power}`);
  }
  const radius = 2;
  const points = 64;
  let sum = 0;
  for (let j = 0; j < points; j++) {
    const theta = (2 * Math.PI * j) / points;
    const [x, y] = [radius * Math.cos(theta), radius * Math.sin(theta)];
    // s = sin(z/2) = sin(x/2) cosh(y/2) + i cos(x/2) sinh(y/2)
    const sRe = Math.sin(x / 2) * Math.cosh(y / 2);
    const sIm = Math.cos(x / 2) * Math.sinh(y / 2);
    // z / (2 s)
    const s2 = sRe * sRe + sIm * sIm;
    const firstRe = (x * sRe + y * sIm) / (2 * s2);
    const firstIm = (y * sRe - x * sIm) / (2 * s2);
    // (3/4) z s
    const secondRe = 0.75 * (x * sRe - y * sIm);
    const secondIm = 0.75 * (x * sIm + y * sRe);
    const fRe = firstRe - secondRe;
    const fIm = firstIm - secondIm;
    // Re[f(z) e^{-i order theta}]; the imaginary parts cancel over the circle.
    sum += fRe * Math.cos(order * theta) + fIm * Math.sin(order * theta);
  }
  return sum / points / radius ** order;
}

// ---------------------------------------------------------------------------------------------------
// The rows

/** Electrons on the discrete Fibonacci sphere and cylinder for the eq. 30 rows. */
export const kLondonElectrons = 4000;

/** How the table and the pairing JSON name each reading of eq. 43. */
export const kFermiReadingLabels: Record<FermiReading, string> = {
  'fermi-energy': 'Z_F = E_F/mc^2 (eq. 43, second form)',
  'fermi-momentum': 'Z_F = (J_F^2/mR^2)/mc^2 = 2 E_F/mc^2 (eq. 43, first form; J_F = m R v_F by eq. 37-40)',
};

/**
 * Eq. 43's two readings side by side for Au and Cu: Z_F, a_m, a_m/r_s^2 and the pairing temperatures of
 * eq. 46 and of eq. 45's ground state (the rows the second form already has elsewhere are not repeated).
 */
function fermiReadingRows(): PaperRow[] {
  const millikelvin = 1e-3;
  const rings = [
    { metal: kGold, thickness: kChandrasekhar.thicknessMetres, assumed: '' },
    { metal: kCopper, thickness: kLevy.thicknessMetres, assumed: ' ASSUMED' },
  ];
  const rows: PaperRow[] = [];
  for (const reading of kFermiReadings) {
    const label = kFermiReadingLabels[reading];
    const implied = reading === 'fermi-momentum' ? 'the form eq. 41-44 use: ' : '';
    for (const { metal, thickness, assumed } of rings) {
      const radius = pairingBohrRadius(metal.fermiEnergyJoules, reading);
      rows.push({
        equation: '43',
        quantity: `${metal.name}: ${label}`,
        paper: 'E_F/mc^2',
        computed: fermiParameter(metal.fermiEnergyJoules, reading),
        unit: '1',
        note: `${implied}E_F = ${(metal.fermiEnergyJoules / kElectronVolt).toFixed(2)} eV`,
      });
      if (reading === 'fermi-energy' && metal === kGold) continue;
      rows.push({
        equation: '44',
        quantity: `${metal.name}: a_m = 2 a0 / Z_F, ${label}`,
        paper: 'a_m/a ~ 1e2',
        computed: radius / 1e-6,
        unit: 'um',
        note: `a_m/a = ${(radius / thickness).toFixed(1)} with a = ${(thickness / 1e-9).toFixed(0)} nm${assumed}`,
      });
      if (reading === 'fermi-energy') continue;
      rows.push(
        {
          equation: '46',
          quantity: `${metal.name}: |E_1d| / k_B, eq. 46, a = ${(thickness / 1e-9).toFixed(0)} nm${assumed}, ${label}`,
          paper: '1-2',
          computed: pairingTemperature(pairingEnergy1d(radius, thickness)) / millikelvin,
          unit: 'mK',
          note: 'a_m halves, so 1/a_m^2 quadruples while [2 ln(a_m/a)]^2 shrinks',
        },
        {
          equation: '46',
          quantity: `${metal.name}: |E| / k_B, exact ground state of eq. 45, a = ${(thickness / 1e-9).toFixed(0)} nm${assumed}, ${label}`,
          paper: '1-2',
          computed: pairingTemperature(pairingEnergy1dExact(radius, thickness)) / millikelvin,
          unit: 'mK',
        },
      );
    }
  }
  rows.push({
    equation: '44',
    quantity: `a_m / r_s^2 for free electrons, ${kFermiReadingLabels['fermi-momentum']}`,
    paper: 1.52e4,
    computed: pairingRadiusCoefficient('fermi-momentum'),
    unit: 'bohr (r_s in bohr)',
    note: "half the second form's 2.04e4: the paper's 1.52e4 lies between the two readings and matches neither",
  });
  return rows;
}

export function paperClaims(): PaperRow[] {
  const nanoampere = 1e-9;
  const millikelvin = 1e-3;
  const levyCircleField = fluxQuantumField(circleArea(kLevy.circumferenceMetres));
  const levySquareField = fluxQuantumField(squareArea(kLevy.circumferenceMetres));
  const levyCurrentFromCopper = fermiCurrent(
    kLevy.currentFraction,
    kCopper.fermiVelocity,
    kLevy.circumferenceMetres,
  );
  const cylinder = cylinderLondonParameter(kLondonElectrons, 1);
  const longCylinder = cylinderLondonParameter(kLondonElectrons, 50);
  const phi = 0.1;

  const goldRadius = pairingBohrRadius(kGold.fermiEnergyJoules);
  const copperRadius = pairingBohrRadius(kCopper.fermiEnergyJoules);
  const goldA = kChandrasekhar.thicknessMetres;
  const copperA = kLevy.thicknessMetres;
  // The paper's own a_m = 1.52e4 r_s^2 bohr with r_s(Au) = 3.01: the route its "1-2 mK" seems to take.
  const goldRadiusPaper = 1.52e4 * kGold.radiusParameterBohr ** 2 * kBohrRadius;

  const readingRows = fermiReadingRows();
  const d2 = minimumSuperconductingSize(2);
  const d3 = minimumSuperconductingSize(3);

  return [
    {
      equation: '16',
      quantity: 'I_Phi / (N B) = e^2/(4 pi m) (eq. 14 in SI, Phi = B pi R^2)',
      paper: 2.242,
      computed: -fluxCurrent(1, Math.PI, 1) / nanoampere,
      unit: 'nA/T',
      note: 'eq. 14 with c deleted and Phi = B pi R^2 (B = 1 T, R = 1 m); the current is diamagnetic (minus sign)',
    },
    {
      equation: '15',
      quantity: '-I_Phi pi R^2 / (N n_phi), Phi = n_phi h/|e|',
      paper: 'mu_B',
      computed: (-fluxCurrent(1, kFluxQuantum, 1) * Math.PI) / kBohrMagneton,
      unit: 'mu_B',
      note: 'the magnetic moment per electron per flux quantum is exactly one Bohr magneton',
    },
    {
      equation: '14/16',
      quantity: 'Levy et al.: I_av = 3e-3 e v_F / l, v_F(Cu) = 1.57e6 m/s, l = 2.2 um',
      paper: 0.36,
      computed: levyCurrentFromCopper / nanoampere,
      unit: 'nA',
      note: 'v_F(Cu) from Ashcroft & Mermin table 2.1; 0.36 nA corresponds to v_F = 1.65e6 m/s (5% apart)',
    },
    {
      equation: '14/16',
      quantity: 'B_0 = (h/|e|) / area, circle of circumference 2.2 um',
      paper: 1.3e-2,
      computed: levyCircleField,
      unit: 'T',
      note: "a circle of circumference l encloses l^2/(4 pi) = 0.385 um^2; the paper's B_0 needs 0.318 um^2 (next row)",
    },
    {
      equation: '14/16',
      quantity: 'B_0 = (h/|e|) / area, square of perimeter 2.2 um',
      paper: 1.3e-2,
      computed: levySquareField,
      unit: 'T',
      note:
        "a square of side 0.55 um reproduces the paper's 1.3e-2 T to 5%, so l is presumably the perimeter of square " +
        "rings; Levy et al.'s abstract quotes an oscillating moment ~1.2e-15 A m^2 for 1e7 rings, which at " +
        '0.36 nA per ring also implies ~0.33 um^2 per ring',
    },
    {
      equation: '14/16',
      quantity: "N = I_av / (B_0 x 2.242 nA/T), paper's I_av = 0.36 nA and B_0 = 1.3e-2 T",
      paper: '~100',
      computed: larmorElectronCount(kLevy.currentAmperes, kLevy.fieldTesla),
      unit: '1',
      note:
        "eq. 16 with the paper's own I_av and B_0 gives N = 12.35 (14.9 with the circle's B_0; the same as " +
        'N = I pi R^2 / mu_B at one flux quantum), not ~100: an order of magnitude lower. No factor in eq. 13-16 ' +
        'recovers 100 (2 pi would give 78); the paper prints no intermediate step',
    },
    {
      equation: '14/16',
      quantity: 'N = I_av / (B_0 x 2.242 nA/T), I_av from v_F(Cu), B_0 of the circle',
      paper: '~100',
      computed: larmorElectronCount(levyCurrentFromCopper, levyCircleField),
      unit: '1',
      note: 'the other end of the range 12-15 that the numbers above allow',
    },
    {
      equation: '17',
      quantity: 'Larmor angular velocity |e| B/(2m) at B_0 = 1.3e-2 T',
      paper: 'Omega = -eB/(2mc)',
      computed: larmorAngularVelocity(kLevy.fieldTesla),
      unit: 'rad/s',
      note: 'eq. 17 in SI (c deleted); no number printed in the paper',
    },
    {
      equation: '18',
      quantity: 'Larmor current I_L = N e Omega/(2 pi), N = 100 at B_0 = 1.3e-2 T',
      paper: '-N B x 2.242 nA/T (eq. 16)',
      computed: larmorCurrent(100, kLevy.fieldTesla) / nanoampere,
      unit: 'nA',
      note: 'eq. 18 reproduces eq. 16 exactly (-2.915 nA); N = 100 would need 2.9 nA, 8x the measured 0.36 nA',
    },
    {
      equation: '30',
      quantity: `N r_e / R, rotating Fibonacci sphere, Biot-Savart sum, N = ${kLondonElectrons}`,
      paper: kSphereLondonParameter,
      computed: sphereLondonParameter(kLondonElectrons),
      unit: '1',
      note: 'field at the centre of the discrete sphere set equal to the London field 2 m Omega/|e|; tends to 3 like 1/N^2',
    },
    {
      equation: '30',
      quantity: `N r_e / l, rotating cylinder of length l = 2R (lateral surface), N = ${kLondonElectrons}`,
      paper: 'similar value',
      computed: cylinder.perLength,
      unit: '1',
      note:
        `l is the cylinder's length along the axis (here l = 2R); field at its centre. N r_e / R = ${cylinder.perRadius.toFixed(4)}. ` +
        'Continuous charge: N r_e / l = sqrt(1 + (2R/l)^2)',
    },
    {
      equation: '30',
      quantity: `N r_e / l, rotating long cylinder, l = 100 R (our choice), N = ${kLondonElectrons}`,
      paper: 'similar value',
      computed: longCylinder.perLength,
      unit: '1',
      note:
        'the paper gives no length, only "long enough for edge effects to be negligible"; l = 100 R is ours. ' +
        "N r_e / l -> 1 (a third of the sphere's 3)",
    },
    {
      equation: '42',
      quantity: 'V_phi(0.1): series 1/phi - phi/3 + 97 phi^3/5760 (paper) vs closed form eq. 31',
      paper: ringPotentialSeries(phi),
      computed: ringPotential(phi),
      unit: '1',
      note: 'paper column: the printed series evaluated; they differ by -79 phi^5/483840 = -1.6e-9, the next term',
    },
    {
      equation: '42',
      quantity: 'coefficient of |phi|^3 in V_phi (Cauchy integral)',
      paper: 97 / 5760,
      computed: ringPotentialSeriesCoefficient(3),
      unit: '1',
      note: 'paper prints 97/5760; the next coefficient is -79/483840',
    },
    {
      equation: '44',
      quantity: 'a_m / r_s^2 for free electrons, E_F = (1/2)(1.919/r_s)^2 Hartree',
      paper: 1.52e4,
      computed: pairingRadiusCoefficient(),
      unit: 'bohr (r_s in bohr)',
      note:
        "a_m = 2/Z_F = 4 c^2 r_s^2 / 1.919^2 in atomic units with eq. 43's second form Z_F = E_F/mc^2 gives " +
        "2.04e4 r_s^2, the first form (2 E_F/mc^2) 1.02e4 (eq. 43 rows); the paper's 1.52e4 is 0.75 of the one " +
        'and 1.49 times the other (cause not identifiable from the text)',
    },
    {
      equation: '44',
      quantity: 'Au: a_m = 2 a0 / Z_F, E_F = 5.53 eV',
      paper: 'a_m/a ~ 1e2, a = 80 nm',
      computed: goldRadius / 1e-6,
      unit: 'um',
      note: `Z_F = ${fermiParameter(kGold.fermiEnergyJoules).toExponential(4)}; a_m = ${(goldRadius / kBohrRadius).toExponential(4)} bohr`,
    },
    {
      equation: '46',
      quantity: 'Au ring (Chandrasekhar et al.): a_m / a, a = 80 nm',
      paper: '~1e2',
      computed: goldRadius / goldA,
      unit: '1',
    },
    {
      equation: '46',
      quantity: 'Au: |E_3d| / k_B = (1/a_m^2 Hartree) / k_B',
      paper: '~0.1',
      computed: pairingTemperature(pairingEnergy3d(goldRadius)) / millikelvin,
      unit: 'mK',
      note:
        'the paper quotes ~0.1 mK for the 3D case of its refs [9,10,12]; eq. 43-44 with E_F(Au) give 9 uK, ' +
        "11x lower (17 uK with the paper's 1.52e4 r_s^2)",
    },
    {
      equation: '46',
      quantity: 'Au: |E_1d| / k_B, eq. 46, a = 80 nm',
      paper: '1-2',
      computed: pairingTemperature(pairingEnergy1d(goldRadius, goldA)) / millikelvin,
      unit: 'mK',
      note: "just below the paper's range; with its a_m = 1.52e4 r_s^2 (r_s = 3.01) one gets 1.4 mK (next row)",
    },
    {
      equation: '46',
      quantity: "Au: |E_1d| / k_B, eq. 46 with the paper's a_m = 1.52e4 r_s^2, r_s = 3.01",
      paper: '1-2',
      computed: pairingTemperature(pairingEnergy1d(goldRadiusPaper, goldA)) / millikelvin,
      unit: 'mK',
    },
    {
      equation: '46',
      quantity: 'Au: |E| / k_B, exact ground state of eq. 45, a = 80 nm',
      paper: '1-2',
      computed: pairingTemperature(pairingEnergy1dExact(goldRadius, goldA)) / millikelvin,
      unit: 'mK',
      note:
        'eq. 46 keeps only the leading logarithm; the exact ground state of -Z_F e^2/(|r| + a) at a_m/a ~ 1e2 is ' +
        '4x less bound: the corrections, of relative order 2 ln(4 ln(a_m/a)) / ln(a_m/a) in the energy, are ' +
        'not small here',
    },
    {
      equation: '46',
      quantity: 'Cu rings (Levy et al.): a_m / a, E_F = 7.00 eV, a = 100 nm ASSUMED',
      paper: '~1e2 ("similar values")',
      computed: copperRadius / copperA,
      unit: '1',
      note: `a_m = ${(copperRadius / 1e-6).toFixed(3)} um; the wire thickness a = 100 nm is an assumption (the paper gives none)`,
    },
    {
      equation: '46',
      quantity: 'Cu: |E_3d| / k_B',
      paper: '~0.1',
      computed: pairingTemperature(pairingEnergy3d(copperRadius)) / millikelvin,
      unit: 'mK',
      note: "as for Au: ~7x below the paper's ~0.1 mK",
    },
    {
      equation: '46',
      quantity: 'Cu: |E_1d| / k_B, eq. 46, a = 100 nm ASSUMED',
      paper: '1-2',
      computed: pairingTemperature(pairingEnergy1d(copperRadius, copperA)) / millikelvin,
      unit: 'mK',
      note: 'depends on a only through ln(a_m/a): a = 50 nm gives 1.5 mK, 200 nm 0.79 mK',
    },
    {
      equation: '46',
      quantity: 'Cu: |E| / k_B, exact ground state of eq. 45, a = 100 nm ASSUMED',
      paper: '1-2',
      computed: pairingTemperature(pairingEnergy1dExact(copperRadius, copperA)) / millikelvin,
      unit: 'mK',
      note: 'the exact ground state of eq. 45, ~4x below eq. 46 as for Au',
    },
    ...readingRows,
    {
      equation: '53',
      quantity: 'd = 1: N_max r_e / R = r_e / a0 (independent of R)',
      paper: 'R -> infinity',
      computed: maximumCollectiveParameter(1, 1e-6),
      unit: '1',
      note: 'R^0 = 1 cannot equal a0/r_e = 18779: N r_e / R stays at alpha^2 = 5.3e-5 for every R, never ~1',
    },
    {
      equation: '54',
      quantity: 'd = 2: R = a0^2 / r_e',
      paper: 19000,
      computed: d2 / kBohrRadius,
      unit: 'a0',
      note: 'a0 / r_e = 1/alpha^2 = 18779',
    },
    {
      equation: '54',
      quantity: 'd = 2: R = a0^2 / r_e',
      paper: 1e-6,
      computed: d2,
      unit: 'm',
    },
    {
      equation: '55',
      quantity: 'd = 3: R = a0 sqrt(a0 / r_e)',
      paper: 140,
      computed: d3 / kBohrRadius,
      unit: 'a0',
      note: 'sqrt(a0 / r_e) = 1/alpha = 137.04',
    },
    {
      equation: '55',
      quantity: 'd = 3: R = a0 sqrt(a0 / r_e)',
      paper: 1e-8,
      computed: d3,
      unit: 'm',
      note: '137 a0 = 7.25 nm; the paper\'s "10 nm" is an order of magnitude (140 a0 would be 7.4 nm)',
    },
  ];
}
