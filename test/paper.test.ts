// The paper's numbers (src/physics/paper.ts) and the Biot-Savart check of eq. 30 (src/physics/biot-savart.ts).
import { groundState1dMapped, whittakerGroundState1d } from '../src/physics/coulomb1d.ts';
import { describe, expect, test } from 'vitest';
import {
  cylinderLondonParameterContinuous,
  kMu0Over4Pi,
  londonParameter,
  magneticField,
  rigidRotationVelocities,
  sphereLondonParameter,
} from '../src/physics/biot-savart.ts';
import {
  kBohrRadius,
  kBoltzmann,
  kClassicalElectronRadius,
  kElectronMass,
  kElectronVolt,
  kElementaryCharge,
  kHartree,
  kSpeedOfLight,
} from '../src/physics/constants.ts';
import { geometry, type Configuration } from '../src/physics/geometry.ts';
import { InputError } from '../src/physics/input-error.ts';
import { cylinderLondonParameter } from '../src/physics/london.ts';
import {
  fermiParameter,
  fluxCurrent,
  kChandrasekhar,
  kGold,
  larmorAngularVelocity,
  larmorCurrent,
  larmorCurrentPerElectronTesla,
  larmorElectronCount,
  maximumCollectiveParameter,
  minimumSuperconductingSize,
  pairingBohrRadius,
  pairingEnergy1d,
  pairingEnergy1dExact,
  pairingEnergy3d,
  pairingRadiusCoefficient,
  pairingTemperature,
  paperClaims,
  ringPotentialSeriesCoefficient,
} from '../src/physics/paper.ts';
import { kPairingRings, ringTemperature } from '../src/physics/pairing.ts';
import { ringPotential, ringPotentialSeries } from '../src/physics/ring.ts';
import { pairingRingJson } from '../src/studies/pairing/report.ts';
import { kCopperClosedForm, kGoldClosedForm, pairingClosedForm } from './helpers/pairing.ts';

/** |got - expected| <= rtol |expected|, with a table of both on failure. */
function expectRelative(got: number, expected: number, rtol: number, label: string): void {
  const error = Math.abs(got - expected) / Math.abs(expected);
  expect(error, `${label}: got ${got}, expected ${expected}, relative error ${error}`).toBeLessThanOrEqual(
    rtol,
  );
}

/** B at the centre (T) of a unit-size configuration scaled to `radius` (m), charges +|e| turning at omega. */
function rotatingFieldAtCentre(configuration: Configuration, radius: number, omega: number) {
  const positions = configuration.positions.map((x) => x * radius);
  return magneticField(
    [0, 0, 0],
    positions,
    rigidRotationVelocities(positions, [0, 0, omega]),
    kElementaryCharge,
  );
}

describe('Biot-Savart', () => {
  test('mu0/4pi from r_e m / e^2 is the SI 1e-7 T m/A (CODATA 2018: 1.00000000055e-7)', () => {
    expectRelative(kMu0Over4Pi, 1.00000000055e-7, 1e-9, 'mu0/4pi');
  });

  test('one moving charge: B = v x E / c^2 with the Coulomb field E', () => {
    const q = -kElementaryCharge;
    const r = [1e-9, -2e-9, 0.5e-9];
    const v = [3e5, 1e5, -2e5];
    const x = [-1e-9, 1e-9, 2e-9];
    const field = magneticField(x, r, v, q);
    // E = q (x - r) / (4 pi eps0 |x - r|^3), 1/(4 pi eps0) = r_e m c^2 / e^2.
    const coulomb = (kClassicalElectronRadius * kElectronMass * kSpeedOfLight ** 2) / kElementaryCharge ** 2;
    const d = [x[0] - r[0], x[1] - r[1], x[2] - r[2]];
    const distance = Math.hypot(...d);
    const e = d.map((c) => (coulomb * q * c) / distance ** 3);
    const expected = [v[1] * e[2] - v[2] * e[1], v[2] * e[0] - v[0] * e[2], v[0] * e[1] - v[1] * e[0]].map(
      (c) => c / kSpeedOfLight ** 2,
    );
    for (let k = 0; k < 3; k++) expectRelative(field[k], expected[k], 1e-12, `B[${k}]`);
  });

  test('a uniformly rotating ring has B = mu0 I / (2R) at its centre, I = N |e| Omega / (2 pi)', () => {
    for (const n of [1, 3, 64]) {
      const radius = 2e-6;
      const omega = 5e3;
      const field = rotatingFieldAtCentre(geometry('ring', n), radius, omega);
      const current = (n * kElementaryCharge * omega) / (2 * Math.PI);
      const expected = (4 * Math.PI * kMu0Over4Pi * current) / (2 * radius);
      expectRelative(field[2], expected, 1e-13, `ring N = ${n}`);
      expect(Math.hypot(field[0], field[1])).toBeLessThan(1e-14 * expected);
    }
  });

  test('rigid rotation velocities are Omega x r and the field point may not hold a charge', () => {
    expect(Array.from(rigidRotationVelocities([1, 2, 3], [0, 0, 2]))).toEqual([-4, 2, 0]);
    expect(() => magneticField([0, 0, 0], [0, 0, 0], [1, 0, 0], 1)).toThrow(InputError);
  });

  test('at N r_e/R = londonParameter the SI field at the centre is 2 m Omega / |e| (eq. 27): 1.1371e-11 T at 1 rad/s', () => {
    const sphere = geometry('sphere', 500);
    const radius = (500 * kClassicalElectronRadius) / londonParameter(sphere);
    expectRelative(rotatingFieldAtCentre(sphere, radius, 1)[2], 1.1371e-11, 1e-4, 'London field at 1 rad/s');
  });
});

describe('eq. 30: N r_e / R from the rotating discrete sphere', () => {
  test('within 1e-2 of 3 at a few thousand electrons, converging toward 3', () => {
    const coarse = sphereLondonParameter(200);
    const fine = sphereLondonParameter(3000);
    expect(Math.abs(fine - 3)).toBeLessThan(1e-2);
    expect(Math.abs(fine - 3)).toBeLessThan(Math.abs(coarse - 3));
    // The Fibonacci sphere's sum(1 - z^2)/N = 2/3 + 1/(3 N^2): the exact discrete answer.
    for (const n of [200, 3000])
      expectRelative(sphereLondonParameter(n), 3 / (1 + 1 / (2 * n * n)), 1e-12, `N = ${n}`);
  });

  test('the answer does not depend on R or Omega', () => {
    const sphere = geometry('sphere', 500);
    const a = rotatingFieldAtCentre(sphere, 1e-6, 1)[2];
    const b = rotatingFieldAtCentre(sphere, 3e-6, 7)[2];
    expectRelative(b, (a * 7) / 3, 1e-12, 'B scales as Omega / R');
    expectRelative(londonParameter(sphere), 3 / (1 + 1 / (2 * 500 * 500)), 1e-12, 'N = 500');
  });

  test('cylinder: N r_e / l against the finite solenoid, l = 2h its length', () => {
    for (const halfHeight of [1, 50]) {
      const discrete = cylinderLondonParameter(3000, halfHeight);
      const continuous = cylinderLondonParameterContinuous(halfHeight);
      expectRelative(discrete.perLength, continuous.perLength, 1e-6, `h = ${halfHeight}`);
      expectRelative(discrete.perRadius, 2 * halfHeight * discrete.perLength, 1e-14, 'per radius');
    }
    expect(cylinderLondonParameterContinuous(1).perLength).toBeCloseTo(Math.SQRT2, 14);
    expect(cylinderLondonParameterContinuous(1e4).perLength).toBeCloseTo(1, 7);
  });
});

describe('eq. 13-18: Larmor currents', () => {
  test('e^2/(4 pi m) = 2.242 nA/T (eq. 16) from eq. 14 in SI', () => {
    expect(larmorCurrentPerElectronTesla()).toBeCloseTo(2.242e-9, 12);
    const radius = 0.7e-6;
    const field = 0.02;
    // eq. 14 with Phi = B pi R^2 is independent of R and diamagnetic.
    expectRelative(
      fluxCurrent(10, field * Math.PI * radius ** 2, radius),
      -10 * field * 2.2424457e-9,
      1e-7,
      'eq. 14',
    );
  });

  test('eq. 18 reproduces eq. 16, and eq. 16 inverts to N', () => {
    expectRelative(larmorCurrent(100, 1.3e-2), -100 * 1.3e-2 * larmorCurrentPerElectronTesla(), 1e-14, 'I_L');
    expectRelative(larmorAngularVelocity(1), kElementaryCharge / (2 * kElectronMass), 1e-15, 'Omega_L');
    expect(larmorElectronCount(0.36e-9, 1.3e-2)).toBeCloseTo(12.349, 3);
  });
});

describe('eq. 42: the series of V_phi', () => {
  test('error of the printed series is O(phi^5), with coefficient -79/483840', () => {
    for (const phi of [0.05, 0.1, 0.2, 0.3]) {
      const scaled = (ringPotential(phi) - ringPotentialSeries(phi)) / phi ** 5;
      expect(Math.abs(scaled)).toBeLessThan(2e-4);
      expect(scaled).toBeCloseTo(-79 / 483840, 6);
    }
  });

  test('coefficients by Cauchy integral: 1, -1/3, 97/5760, -79/483840', () => {
    const expected: [number, number][] = [
      [-1, 1],
      [1, -1 / 3],
      [3, 97 / 5760],
      [5, -79 / 483840],
    ];
    for (const [power, value] of expected)
      expectRelative(ringPotentialSeriesCoefficient(power), value, 1e-12, `phi^${power}`);
    // The direct quotient (V - 1/phi + phi/3)/phi^3 at phi = 0.02 agrees up to its O(phi^2) truncation.
    const phi = 0.02;
    expectRelative((ringPotential(phi) - 1 / phi + phi / 3) / phi ** 3, 97 / 5760, 1e-5, 'quotient');
    expect(() => ringPotentialSeriesCoefficient(2)).toThrow(InputError);
  });
});

describe('eq. 43-46: pairing', () => {
  const goldRadius = pairingBohrRadius(kGold.fermiEnergyJoules);

  test("Au: Z_F, a_m = 2 a0 / Z_F and a_m/a of the paper's order", () => {
    const zF = (5.53 * kElectronVolt) / (kElectronMass * kSpeedOfLight ** 2);
    expectRelative(fermiParameter(kGold.fermiEnergyJoules), zF, 1e-9, 'Z_F');
    expectRelative(goldRadius, (2 * kBohrRadius) / zF, 1e-9, 'a_m');
    const ratio = goldRadius / kChandrasekhar.thicknessMetres;
    expect(ratio).toBeGreaterThan(50);
    expect(ratio).toBeLessThan(300);
  });

  test('E_1d of eq. 46 against a hand-computed number', () => {
    // a_m = 1e5 bohr, a = 1e3 bohr: E = -(1e-10)(2 ln 100)^2 Hartree = -8.4830370e-9 Hartree.
    const energy = pairingEnergy1d(1e5 * kBohrRadius, 1e3 * kBohrRadius);
    expectRelative(energy, -8.483037e-9 * kHartree, 1e-7, 'E_1d');
    expectRelative(pairingEnergy3d(1e5 * kBohrRadius), -1e-10 * kHartree, 1e-14, 'E_3d');
    expectRelative(pairingTemperature(energy), (8.483037e-9 * kHartree) / kBoltzmann, 1e-7, 'T');
    expect(() => pairingEnergy1d(1e-6, 2e-6)).toThrow(InputError);
  });

  test('free-electron a_m / r_s^2 is 2.04e4 bohr (the paper prints 1.52e4)', () => {
    expectRelative(pairingRadiusCoefficient(), 2.0394e4, 1e-4, 'a_m / r_s^2');
  });

  test("eq. 43's two readings: E_F/mc^2, and the first form 2 E_F/mc^2 with J_F from eq. 37-40", () => {
    // Hand values: E_F(Au) = 5.53 eV, mc^2 = 510998.95 eV.
    expectRelative(
      fermiParameter(kGold.fermiEnergyJoules, 'fermi-energy'),
      5.53 / 510998.95,
      1e-8,
      'second form',
    );
    expectRelative(
      fermiParameter(kGold.fermiEnergyJoules, 'fermi-momentum'),
      11.06 / 510998.95,
      1e-8,
      'first',
    );
    // The first form from its definition: J_C = 2 m R^2 phidot_C (eq. 38), phidot_C = v_F / R with
    // E_F = m v_F^2 / 2, J_F = |J_C| / 2 (eq. 40); Z_F = (J_F^2 / (m R^2)) / (m c^2). R drops out.
    const radius = 0.35e-6;
    const fermiSpeed = Math.sqrt((2 * kGold.fermiEnergyJoules) / kElectronMass);
    const jF = (2 * kElectronMass * radius * radius * (fermiSpeed / radius)) / 2;
    const firstForm = (jF * jF) / (kElectronMass * radius * radius) / (kElectronMass * kSpeedOfLight ** 2);
    expectRelative(fermiParameter(kGold.fermiEnergyJoules, 'fermi-momentum'), firstForm, 1e-8, 'J_F route');
    // a_m halves; a_m / r_s^2 = 2 / (alpha^2 (9 pi/4)^(2/3)) = 1.0197e4 against the printed 1.52e4.
    expectRelative(
      pairingBohrRadius(kGold.fermiEnergyJoules, 'fermi-momentum'),
      goldRadius / 2,
      1e-14,
      'a_m',
    );
    expectRelative(pairingRadiusCoefficient('fermi-momentum'), 1.0197e4, 1e-4, 'a_m / r_s^2');
    const rows = paperClaims().filter((r) => r.equation === '43');
    expect(rows.map((r) => r.computed)).toHaveLength(4);
  });

  test('numerical ground state of eq. 45 (scipy reference) and its limit', () => {
    // Reference: eigh_tridiagonal on 4e5 cells, converged to 1e-6 in grid size and box length.
    expectRelative(groundState1dMapped(1 / 100), -21.22687, 2e-6, 'a_m/a = 100');
    expectRelative(groundState1dMapped(1 / 1000), -59.4899, 2e-6, 'a_m/a = 1000');
    const ratio = pairingEnergy1dExact(goldRadius, 80e-9) / pairingEnergy1d(goldRadius, 80e-9);
    expect(ratio).toBeGreaterThan(0.2);
    expect(ratio).toBeLessThan(0.3);
  });
});

describe('eq. 51-55: minimum sizes', () => {
  test('d = 2: a0^2/r_e; d = 3: a0^1.5/r_e^0.5; d = 1: none', () => {
    expectRelative(minimumSuperconductingSize(2), kBohrRadius ** 2 / kClassicalElectronRadius, 1e-4, 'd = 2');
    expectRelative(
      minimumSuperconductingSize(3),
      kBohrRadius ** 1.5 / kClassicalElectronRadius ** 0.5,
      1e-4,
      'd = 3',
    );
    expectRelative(minimumSuperconductingSize(2) / kBohrRadius, 18778.87, 1e-6, 'd = 2 in a0');
    expectRelative(minimumSuperconductingSize(3) / kBohrRadius, 137.036, 1e-6, 'd = 3 in a0');
    expect(minimumSuperconductingSize(1)).toBe(Infinity);
    expect(minimumSuperconductingSize(1.01)).toBeGreaterThan(1e100);
    // At R = R*(d) one electron per atom makes N r_e / R exactly 1 (eq. 49-52); in d = 1 never.
    for (const d of [2, 3])
      expect(maximumCollectiveParameter(d, minimumSuperconductingSize(d))).toBeCloseTo(1, 10);
    expect(maximumCollectiveParameter(1, 1)).toBeCloseTo(maximumCollectiveParameter(1, 1e-9), 18);
  });
});

describe('paperClaims()', () => {
  const rows = paperClaims();
  test('every row has the documented keys and a finite computed value', () => {
    expect(rows.length).toBeGreaterThan(20);
    for (const row of rows) {
      const keys = Object.keys(row).filter((key) => key !== 'note');
      expect(keys.sort()).toEqual(['computed', 'equation', 'paper', 'quantity', 'unit']);
      expect(Number.isFinite(row.computed), `${row.equation} ${row.quantity}`).toBe(true);
      expect(Number.isFinite(parseFloat(row.equation))).toBe(true);
      expect(['number', 'string']).toContain(typeof row.paper);
      if (row.note !== undefined) expect(typeof row.note).toBe('string');
    }
  });

  test("the rows' exact ground states of eq. 45 are the numbers pairing --json prints, digit for digit", () => {
    const printed = kPairingRings.flatMap((ring) =>
      pairingRingJson(ringTemperature(ring)).readings.map((reading) => reading.temperature_exact_mk),
    );
    const exactRows = rows.filter((row) => row.quantity.includes('exact ground state of eq. 45'));
    // Au and Cu with Z_F = E_F/mc^2, then each with fermi-momentum, 2 E_F/mc^2 (eq. 43's first form).
    expect(exactRows.map((row) => row.computed)).toEqual([printed[0], printed[2], printed[1], printed[3]]);
  });

  // Each numeric row against its closed form, from CODATA 2018 values written here (and in
  // test/helpers/pairing.ts), not src/physics/constants.ts: e, m_e, h, c, alpha, a_0.
  const e = 1.602176634e-19;
  const mass = 9.1093837015e-31;
  const planck = 6.62607015e-34;
  const alpha = 7.2973525693e-3;
  const bohr = 5.29177210903e-11;
  // Eq. 16: I / (N B) = e^2 / (4 pi m), nA/T; Levy et al.'s ring of l = 2.2 um, v_F(Cu) = 1.57e6 m/s.
  const perElectronTesla = ((e * e) / (4 * Math.PI * mass)) * 1e9;
  const l = 2.2e-6;
  const levyCurrent = ((3e-3 * e * 1.57e6) / l) * 1e9;
  const fluxQuantum = planck / e;
  const circleField = fluxQuantum / ((l * l) / (4 * Math.PI));
  const larmor = (e * 1.3e-2) / (2 * mass);
  // Eq. 44 in atomic units: a_m = 2 / Z_F bohr with Z_F = E_F / c^2 (c = 1/alpha) and the free
  // electrons' E_F = k_F^2 / 2, k_F r_s = (9 pi/4)^(1/3) = 1.919.
  const radiusCoefficient = 4 / (alpha * alpha * ((9 * Math.PI) / 4) ** (2 / 3));
  // Eq. 43's first form, 2 E_F / mc^2: the closed form of a Fermi energy twice as large.
  const goldFirst = pairingClosedForm(2 * 5.53, 80e-9);
  const copperFirst = pairingClosedForm(2 * 7.0, 100e-9);
  // Eq. 45's ground state by the Whittaker condition, which the rows give.
  const groundMk = (form: typeof kGoldClosedForm) =>
    form.unitKelvin * -whittakerGroundState1d(form.ratio) * 1e3;
  // The paper's a_m = 1.52e4 r_s^2 at r_s = 3.01: 1/a_m^2 Hartree times eq. 46's [2 ln(a_m/a)]^2.
  const paperRadiusBohr = 1.52e4 * 3.01 ** 2;
  const paperUnitKelvin =
    (kGoldClosedForm.unitKelvin * 4) / (kGoldClosedForm.fermiParameter * paperRadiusBohr) ** 2;
  const paperMk = paperUnitKelvin * (2 * Math.log((paperRadiusBohr * bohr) / 80e-9)) ** 2 * 1e3;
  const n = 4000;
  const phi = 0.1;
  const kClosedForms: [string, string, number, number][] = [
    ['16', 'e^2/(4 pi m)', perElectronTesla, 1e-9],
    // mu_B = |e| hbar / 2m from the same e, h and m: one Bohr magneton to rounding, not CODATA's
    // rounded mu_B's 7e-12.
    ['15', 'n_phi h/|e|', 1, 2 * Number.EPSILON],
    ['14/16', 'I_av = 3e-3', levyCurrent, 1e-9],
    ['14/16', 'circle of circumference', circleField, 1e-9],
    ['14/16', 'square of perimeter', fluxQuantum / (l / 4) ** 2, 1e-9],
    ['14/16', "paper's I_av = 0.36 nA", 0.36 / (1.3e-2 * perElectronTesla), 1e-9],
    ['14/16', 'I_av from v_F(Cu)', levyCurrent / (circleField * perElectronTesla), 1e-9],
    ['17', 'Larmor angular velocity', larmor, 1e-9],
    ['18', 'Larmor current', ((-100 * e * larmor) / (2 * Math.PI)) * 1e9, 1e-9],
    // Eq. 30: the Fibonacci sphere's exact 3 / (1 + 1/(2N^2)); the cylinders' continuum
    // sqrt(1 + (2R/l)^2), from which the discrete N differs by O(N^-2).
    ['30', 'sphere', 3 / (1 + 1 / (2 * n * n)), 1e-12],
    ['30', 'l = 2R', Math.SQRT2, 1 / n ** 2],
    ['30', 'l = 100 R', Math.sqrt(1 + (2 / 100) ** 2), 1 / n ** 2],
    // Eq. 42: the printed series beside the closed form, which differ by the next term.
    ['42', 'V_phi(0.1)', 1 / phi - phi / 3 + (97 * phi ** 3) / 5760 - (79 * phi ** 5) / 483840, 1e-12],
    ['44', 'a_m / r_s^2 for free electrons, E_F', radiusCoefficient, 1e-9],
    ['44', 'a_m / r_s^2 for free electrons, Z_F', radiusCoefficient / 2, 1e-9],
    ['44', 'Au: a_m = 2 a0 / Z_F, E_F', kGoldClosedForm.pairingRadiusMetres * 1e6, 1e-9],
    ['46', 'Au ring', kGoldClosedForm.ratio, 1e-9],
    ['46', 'Au: |E_3d|', kGoldClosedForm.unitKelvin * 1e3, 1e-9],
    ['46', 'Au: |E_1d| / k_B, eq. 46, a = 80 nm', kGoldClosedForm.eq46Kelvin * 1e3, 1e-9],
    ['46', "Au: |E_1d| / k_B, eq. 46 with the paper's", paperMk, 1e-9],
    ['46', 'Au: |E| / k_B, exact ground state of eq. 45, a = 80 nm', groundMk(kGoldClosedForm), 1e-9],
    ['46', 'Cu rings', kCopperClosedForm.ratio, 1e-9],
    ['46', 'Cu: |E_3d|', kCopperClosedForm.unitKelvin * 1e3, 1e-9],
    ['46', 'Cu: |E_1d| / k_B, eq. 46, a = 100 nm ASSUMED', kCopperClosedForm.eq46Kelvin * 1e3, 1e-9],
    [
      '46',
      'Cu: |E| / k_B, exact ground state of eq. 45, a = 100 nm ASSUMED',
      groundMk(kCopperClosedForm),
      1e-9,
    ],
    ['43', 'Au: Z_F = E_F/mc^2', kGoldClosedForm.fermiParameter, 1e-9],
    ['43', 'Cu: Z_F = E_F/mc^2', kCopperClosedForm.fermiParameter, 1e-9],
    ['44', 'Cu: a_m = 2 a0 / Z_F, Z_F = E_F', kCopperClosedForm.pairingRadiusMetres * 1e6, 1e-9],
    ['43', 'Au: Z_F = (J_F^2', goldFirst.fermiParameter, 1e-9],
    ['44', 'Au: a_m = 2 a0 / Z_F, Z_F = (J_F^2', goldFirst.pairingRadiusMetres * 1e6, 1e-9],
    ['46', 'Au: |E_1d| / k_B, eq. 46, a = 80 nm, Z_F', goldFirst.eq46Kelvin * 1e3, 1e-9],
    ['46', 'Au: |E| / k_B, exact ground state of eq. 45, a = 80 nm, Z_F', groundMk(goldFirst), 1e-9],
    ['43', 'Cu: Z_F = (J_F^2', copperFirst.fermiParameter, 1e-9],
    ['44', 'Cu: a_m = 2 a0 / Z_F, Z_F = (J_F^2', copperFirst.pairingRadiusMetres * 1e6, 1e-9],
    ['46', 'Cu: |E_1d| / k_B, eq. 46, a = 100 nm ASSUMED, Z_F', copperFirst.eq46Kelvin * 1e3, 1e-9],
    [
      '46',
      'Cu: |E| / k_B, exact ground state of eq. 45, a = 100 nm ASSUMED, Z_F',
      groundMk(copperFirst),
      1e-9,
    ],
    ['53', 'd = 1', alpha * alpha, 1e-9],
  ];
  test.each(kClosedForms)('eq. %s, %s: the closed form', (equation, fragment, expected, rtol) => {
    const ofEquation = rows.filter((r) => r.equation === equation);
    // The quantity itself where one is named whole (a longer one may begin with it), else a part of it.
    const named = ofEquation.filter((r) => r.quantity === fragment);
    const matching = named.length > 0 ? named : ofEquation.filter((r) => r.quantity.includes(fragment));
    expect(matching, `${equation} ${fragment}`).toHaveLength(1);
    expectRelative(matching[0].computed, expected, rtol, `${equation} ${fragment}`);
  });

  test('eq. 54-55: R* in a0 and in metres', () => {
    const [d2, d2Metres] = rows.filter((r) => r.equation === '54');
    const [d3, d3Metres] = rows.filter((r) => r.equation === '55');
    expectRelative(d2.computed, 1 / alpha ** 2, 1e-9, 'd = 2 in a0');
    expectRelative(d2Metres.computed, bohr / alpha ** 2, 1e-9, 'd = 2 in m');
    expectRelative(d3.computed, 1 / alpha, 1e-9, 'd = 3 in a0');
    expectRelative(d3Metres.computed, bohr / alpha, 1e-9, 'd = 3 in m');
  });

  test('the numbers the notes print are the closed forms rounded', () => {
    const note = (equation: string, fragment: string) =>
      rows.find((r) => r.equation === equation && r.quantity.includes(fragment))?.note ?? '';
    expect(note('18', 'Larmor current')).toContain(`(${(-1.3 * perElectronTesla).toFixed(3)} nA)`);
    // Eq. 46 for Cu at a = 50 and 200 nm: 1.5 and 0.79 mK.
    const copperAt = (a: number) => pairingClosedForm(7.0, a).eq46Kelvin * 1e3;
    expect(note('46', 'Cu: |E_1d| / k_B, eq. 46, a = 100 nm ASSUMED')).toContain(
      `a = 50 nm gives ${copperAt(50e-9).toPrecision(2)} mK, 200 nm ${copperAt(200e-9).toPrecision(2)} mK`,
    );
    // Au's E_3d in uK, and with the paper's a_m.
    const goldMicro = (kGoldClosedForm.unitKelvin * 1e6).toFixed(0);
    const paperMicro = (paperUnitKelvin * 1e6).toFixed(0);
    expect(note('46', 'Au: |E_3d|')).toContain(`give ${goldMicro} uK, 11x lower (${paperMicro} uK`);
  });

  test('rows where the code agrees with the paper agree', () => {
    const find = (equation: string, fragment: string) => {
      const row = rows.find((r) => r.equation === equation && r.quantity.includes(fragment));
      if (!row) throw new Error(`no row ${equation} ${fragment}`);
      return row;
    };
    expect(find('16', 'e^2/(4 pi m)').computed).toBeCloseTo(2.242, 3);
    expect(find('30', 'sphere').computed).toBeCloseTo(3, 5);
    // a0 / r_e = 1/alpha^2 (a0 = r_e / alpha^2), with CODATA 2018's alpha = 7.2973525693e-3: 18778.87,
    // the paper's "19000" (eq. 54); the code's a0 and r_e are rounded to 12 and 11 digits.
    const alpha = 7.2973525693e-3;
    expect(Math.abs(find('54', 'd = 2').computed * alpha * alpha - 1)).toBeLessThan(1e-9);
    expect(find('42', 'coefficient').computed).toBeCloseTo(97 / 5760, 14);
  });
});
