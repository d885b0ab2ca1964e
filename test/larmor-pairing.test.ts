// The Larmor study (sec. II.B-C, eq. 13-18: src/physics/larmor.ts) and the pairing study (sec. IV.B,
// eq. 35-46: src/physics/pairing.ts), float64 throughout.
//
// The pairing ground state has three independent routes: the finite-difference eigenproblem on the
// logarithmic grid (second order in Delta s: the error falls fourfold per halving), the exact Whittaker
// condition (rounding only), and paper.ts's uniform-grid solver on its domain a_m/a <= 1000.
//
// Sec. II.D and sec. IV.B on the ring itself: the mapped-grid solver's end conditions against
// free-particle closed forms, the pair's relative motion on a ring much larger than a_m against eq. 45's
// line, the flux periods of one electron and of a Fermi sea under the scalar (eq. 23/24) and spinor
// (eq. 25/26) conditions, the sawtooth's peak against e h N / (8 pi^2 m R^2), and the pair threaded by
// flux against two free electrons.
import { describe, expect, test } from 'vitest';
import {
  kBohrMagneton,
  kBohrRadius,
  kElectronMass,
  kElementaryCharge,
  kHbar,
  kPlanck,
  kSpeedOfLight,
} from '../src/physics/constants.ts';
import {
  digamma,
  evenStateMapped,
  groundState1dConvergence,
  groundState1dMapped,
  kEulerGamma,
  kPairingStep,
  lowestEvenEigenvalueMapped,
  mappedCells,
  mappedGridTo,
  smallThicknessGroundState1d,
  whittakerGroundState1d,
} from '../src/physics/coulomb1d.ts';
import {
  fermiSeaEnergy,
  fluxPeriod,
  persistentCurrent,
  persistentCurrentAmplitude,
  persistentCurrentAmplitudeClosedForm,
  ringCurrentUnit,
} from '../src/physics/flux.ts';
import { InputError } from '../src/physics/input-error.ts';
import {
  chandrasekharReading,
  kLevyRadiusMetres,
  larmorRing,
  larmorSpeedNote,
  levyReading,
} from '../src/physics/larmor.ts';
import { eq46Energy, kPairingRings, pairingPoint, ringTemperature } from '../src/physics/pairing.ts';
import { fermiSeaFlux, metalRingCurrent, spectrumPeriod } from '../src/physics/paper-flux.ts';
import {
  fluxCurrent,
  kCopper,
  kFermiReadings,
  kFluxQuantum,
  kGold,
  pairingBohrRadius,
  pairingEnergy1d,
  pairingEnergy1dExact,
  pairingTemperature,
} from '../src/physics/paper.ts';
import { lineRelativeState, pairFluxEnergy, ringPair, ringRelativeState } from '../src/physics/ring-pair.ts';
import { ringPotential, ringPotentialThick } from '../src/physics/ring.ts';
import { toJson } from '../src/io/formats.ts';
import {
  pairingFromJson,
  pairingJson,
  pairingPointJson,
  pairingText,
} from '../src/studies/pairing/report.ts';
import { runPairing } from '../src/studies/pairing/run.ts';
import { larmorFromJson, larmorJson } from '../src/studies/larmor/report.ts';
import { runLarmor } from '../src/studies/larmor/run.ts';
import { paperJson } from '../src/studies/paper/report.ts';
import { runPaper } from '../src/studies/paper/run.ts';
import { expectNormwiseClose } from './helpers/compare.ts';
import { kCopperClosedForm, kGoldClosedForm, type PairingClosedForm } from './helpers/pairing.ts';

/** |got - expected| <= rtol |expected|, failing with the two values. */
const expectRelative = (got: number, expected: number, rtol: number, label: string) =>
  expectNormwiseClose(label, [got], [expected], rtol);

describe('Larmor current and flux (eq. 13-18)', () => {
  test('eq. 16: 2.242 nA/T per electron; eq. 18 and eq. 14 give the same diamagnetic current', () => {
    const ring = larmorRing(100, 1.3e-2, 0.35e-6);
    expect(ring.perElectronTesla / 1e-9).toBeCloseTo(2.242, 3);
    expectRelative(ring.current, -100 * 1.3e-2 * ring.perElectronTesla, 1e-14, 'eq. 16');
    expectRelative(ring.currentFromFlux, ring.current, 1e-14, 'eq. 14 = eq. 18');
    expect(ring.current).toBeLessThan(0);
    // A reversed field reverses the current; no field, no current.
    expect(larmorRing(100, -1.3e-2, 0.35e-6).current).toBeCloseTo(-ring.current, 20);
    expect(Math.abs(larmorRing(3, 0, 1e-6).current)).toBe(0);
  });

  test('eq. 15: one flux quantum through the ring gives n_phi = 1 and a moment of -N Bohr magnetons', () => {
    const radius = 0.5e-6;
    const field = kFluxQuantum / (Math.PI * radius * radius);
    const ring = larmorRing(40, field, radius);
    expectRelative(ring.fluxQuanta, 1, 1e-14, 'n_phi');
    // I pi R^2 = -N n_phi mu_B to rounding: mu_B = |e| hbar / 2m from the same e, h and m as the
    // moment (CODATA's rounded mu_B left 7e-12), and CODATA's mu_B to its 11 digits.
    expectRelative(ring.momentBohrMagnetons, -40, 4 * Number.EPSILON, 'moment');
    expectRelative(kBohrMagneton, 9.2740100783e-24, 1e-11, 'mu_B against CODATA 2018');
    expectRelative(ring.speed, ring.angularVelocity * radius, 1e-15, '|v| = |Omega| R');
  });

  test("the Larmor speed against c: far below it on the paper's rings, and said so where it is not", () => {
    // Omega R = |e| B R / 2m (eq. 17) over c, from the constants directly.
    const speedOverLight = (field: number, radius: number) =>
      (kElementaryCharge * Math.abs(field) * radius) / (2 * kElectronMass * 299792458);
    const levy = larmorRing(100, 1.3e-2, 0.35e-6);
    expectRelative(levy.speedOverLight, speedOverLight(1.3e-2, 0.35e-6), 1e-14, 'v/c, Levy ring');
    expect(levy.speedOverLight).toBeLessThan(2e-6);
    expect(larmorSpeedNote(levy)).toBeNull();
    // 5 T on a ring of 1 mm: Omega R = 4.4e8 m/s, faster than light, beyond eq. 13-18.
    const fast = larmorRing(1, -5, 1e-3);
    // A speed is a magnitude, whichever way the field turns the electrons: the sense is Omega's.
    expect(fast.speed).toBe(larmorRing(1, 5, 1e-3).speed);
    expect(fast.speed).toBeGreaterThan(0);
    expect(fast.angularVelocity).toBeLessThan(0);
    expectRelative(fast.speed, fast.speedOverLight * 299792458, 1e-15, '|v| = (|v|/c) c');
    expectRelative(fast.speedOverLight, speedOverLight(5, 1e-3), 1e-14, 'v/c, 5 T, 1 mm');
    expect(fast.speedOverLight).toBeGreaterThan(1);
    expect(larmorSpeedNote(fast)).toMatch(/^\|v\|\/c = 1\.47: relativistic/);
    // The note starts where (v/c)^2 reaches 1%.
    const radiusAtTenth = (0.1 * 2 * kElectronMass * 299792458) / (kElementaryCharge * 5);
    expect(larmorSpeedNote(larmorRing(1, 5, radiusAtTenth * 0.99))).toBeNull();
    expect(larmorSpeedNote(larmorRing(1, 5, radiusAtTenth * 1.01))).not.toBeNull();
  });

  test('Levy et al.: the printed I_av and B_0 give N ~ 12 by eq. 16 (the paper says ~100)', () => {
    const levy = levyReading();
    expect(levy.electronsPrinted).toBeCloseTo(12.35, 2);
    expect(levy.electronsComputed).toBeGreaterThan(10);
    expect(levy.electronsComputed).toBeLessThan(20);
    expectRelative(levy.fieldPrinted, 1.3e-2, 0, 'B_0 as printed');
    // The note quotes the two N printed above it (12.35 and 14.2), rounded.
    const { note } = larmorJson(runLarmor({ n: 100, fieldTesla: 1.3e-2, radiusMetres: 0.35e-6 })).levy;
    expect(note).toContain('B_0 = 1.3e-2 T gives N ~ 12, not ~100;');
    expect(note).toMatch(/ over a circle of circumference l give ~14$/);
  });

  test("Levy et al.'s field of one flux quantum: Phi_0 over the ring's circle and over the square of its perimeter", () => {
    const levy = levyReading();
    const l = levy.circumferenceMetres;
    expectRelative(levy.fieldCircle, kFluxQuantum / (l ** 2 / (4 * Math.PI)), 1e-14, 'B over the circle');
    expectRelative(levy.fieldSquare, kFluxQuantum / (l / 4) ** 2, 1e-14, 'B over the square');
  });

  test('Chandrasekhar et al.: a Larmor current at one flux quantum matches (0.3-2.0) e v_F/(2 pi R) for N = fraction x k_F R', () => {
    const radius = 1.2e-6;
    const reading = chandrasekharReading(radius);
    const kFR = (kElectronMass * kGold.fermiVelocity * radius) / kHbar;
    expectRelative(reading.fermiWavenumberRadius, kFR, 1e-14, 'k_F R');
    expectRelative(reading.electronsAtOneFluxQuantum[0], 0.3 * kFR, 1e-8, 'N at 0.3');
    expectRelative(reading.electronsAtOneFluxQuantum[1], 2.0 * kFR, 1e-8, 'N at 2.0');
  });

  test.each([
    ['N = 0', () => larmorRing(0, 1, 1e-6)],
    ['N = 1.5', () => larmorRing(1.5, 1, 1e-6)],
    ['B = NaN', () => larmorRing(1, NaN, 1e-6)],
    ['B = Infinity', () => larmorRing(1, Infinity, 1e-6)],
    ['R = 0', () => larmorRing(1, 1, 0)],
    ['R < 0', () => larmorRing(1, 1, -1e-6)],
  ])('%s is an InputError', (_name, call) => {
    expect(call).toThrow(InputError);
  });

  test('larmor --json read back (the app loads it): the ring it ran, held to the bounds of its flags', () => {
    const options = { n: 200, fieldTesla: -0.013, radiusMetres: 3.5e-7 };
    const json = JSON.parse(toJson(larmorJson(runLarmor(options)))) as Record<string, unknown>;
    expect(larmorFromJson(json, 'l.json')).toEqual(options);
    const ring = json.ring as Record<string, unknown>;
    const refused = (changed: Record<string, unknown>) => () =>
      larmorFromJson({ ...json, ring: { ...ring, ...changed } }, 'l.json');
    expect(refused({ b_tesla: 1e101 })).toThrowError(
      new InputError("l.json: the ring's B must be 0 or of magnitude 1e-100 to 1e100, got 1e+101", 'result'),
    );
    expect(refused({ n: 2.5 })).toThrow(/^l\.json: the ring's N must be an integer >= 1, got 2\.5$/);
    expect(refused({ radius_m: undefined, n: undefined })).toThrowError(
      new InputError(
        'l.json: not a Larmor ring as larmor --json writes it (no "ring" "n", "radius_m")',
        'result',
      ),
    );
  });
});

describe('the digamma function', () => {
  test('psi(1) = -gamma, psi(1/2) = -gamma - 2 ln 2, psi(x + 1) = psi(x) + 1/x', () => {
    expect(digamma(1)).toBeCloseTo(-kEulerGamma, 14);
    expect(digamma(0.5)).toBeCloseTo(-kEulerGamma - 2 * Math.log(2), 14);
    for (const x of [0.3, 2.7, 9.5, 11.5])
      expectRelative(digamma(x + 1), digamma(x) + 1 / x, 1e-13, `x=${x}`);
    expect(() => digamma(0)).toThrow(RangeError);
  });
});

describe('pairing: the ground state of eq. 45 (units 1/a_m^2 Hartree)', () => {
  test('finite differences converge at second order: the error falls fourfold per halving of Delta s', () => {
    for (const ratio of [10, 1e3, 1e6]) {
      const exact = whittakerGroundState1d(ratio);
      const c = groundState1dConvergence(1 / ratio);
      expect(c.errorRatio, `a_m/a = ${ratio}`).toBeGreaterThan(3.9);
      expect(c.errorRatio).toBeLessThan(4.1);
      // Against the exact value as well: each error a quarter of the previous.
      const errors = c.energies.map((e) => e - exact);
      expect(errors[0] / errors[1]).toBeCloseTo(4, 1);
      expect(errors[1] / errors[2]).toBeCloseTo(4, 1);
      // The finest grid within 1e-7, Richardson within 1e-9, of the exact energy.
      expectRelative(c.energies[2], exact, 1e-7, `finest grid, a_m/a = ${ratio}`);
      expectRelative(c.extrapolated, exact, 1e-9, `Richardson, a_m/a = ${ratio}`);
      expect(c.estimatedRelativeError).toBeLessThan(1e-7);
    }
  });

  test('agrees with scipy references on a uniform grid (a_m/a = 100, 1000)', () => {
    for (const [ratio, scipy] of [
      [100, -21.22687],
      [1000, -59.4899],
    ]) {
      const mapped = groundState1dMapped(1 / ratio, 1 / 512);
      expectRelative(mapped, scipy, 2e-6, `scipy ${ratio}`);
    }
  });

  test('approaches eq. 46 as a_m/a grows, but only logarithmically', () => {
    const ratios = [1e2, 1e3, 1e4, 1e6, 1e9, 1e12];
    const differences = ratios.map((r) => Math.abs(pairingPoint(r).relativeDifference));
    for (let k = 1; k < ratios.length; k++) expect(differences[k]).toBeLessThan(differences[k - 1]);
    // Still 40% off at a_m/a = 1e9: eq. 46 drops 2 ln(2 kappa) + 2 gamma from kappa = sqrt(-E).
    expect(differences[4]).toBeGreaterThan(0.35);
    expect(differences[4]).toBeLessThan(0.45);
  });

  test('the a -> 0 limit: the small-a condition to O(a ln a), and kappa = 2 ln(a_m/a) - 2 ln(2 kappa) - 2 gamma + ...', () => {
    for (const ratio of [1e3, 1e4, 1e6, 1e9]) {
      const b = 1 / ratio;
      const exact = whittakerGroundState1d(ratio);
      // The condition with only its z^0 terms differs by O(kappa b ln b).
      const small = smallThicknessGroundState1d(ratio);
      expect(Math.abs(small / exact - 1), `a_m/a = ${ratio}`).toBeLessThanOrEqual(3 * b * Math.log(ratio));
      // Its kappa -> infinity form, with psi(1 - 1/kappa) = -gamma - zeta(2)/kappa - zeta(3)/kappa^2 - ...:
      // kappa = 2 ln(a_m/a) - 2 ln(2 kappa) - 2 gamma + 2 zeta(2)/kappa + O(1/kappa^2).
      const smallKappa = Math.sqrt(-small);
      const asymptotic =
        2 * Math.log(ratio) -
        2 * Math.log(2 * smallKappa) -
        2 * kEulerGamma +
        Math.PI ** 2 / (3 * smallKappa);
      expect(Math.abs(smallKappa - asymptotic)).toBeLessThan(4 / smallKappa ** 2);
      // Eq. 46 is the leading term: kappa / (2 ln(a_m/a)) -> 1.
      expect(Math.sqrt(-exact) / (2 * Math.log(ratio))).toBeLessThan(1);
    }
    expect(Math.sqrt(-whittakerGroundState1d(1e12)) / (2 * Math.log(1e12))).toBeGreaterThan(0.8);
    expect(eq46Energy(Math.E)).toBeCloseTo(-4, 14);
  });

  test('pairing temperatures of the Au (a = 80 nm) and Cu (a = 100 nm, assumed) rings', () => {
    const [gold, copper] = kPairingRings.map((ring) => ringTemperature(ring));
    expect(gold.name).toBe('Au');
    expect(gold.fermiEnergyEv).toBeCloseTo(5.53, 12);
    expect(copper.fermiEnergyEv).toBeCloseTo(7.0, 12);
    expect(copper.thicknessSource).toMatch(/ASSUMED/);
    const radius = pairingBohrRadius(kGold.fermiEnergyJoules);
    expectRelative(gold.pairingRadiusMetres, radius, 1e-15, 'a_m');
    expectRelative(
      gold.temperatureEq46,
      pairingTemperature(pairingEnergy1d(radius, 80e-9)),
      1e-14,
      'T eq. 46',
    );
    // The paper table's ground state is the Whittaker root, the readings' temperatureExact itself.
    expect(pairingTemperature(pairingEnergy1dExact(radius, 80e-9))).toBe(gold.readings[0].temperatureExact);
    expectRelative(
      gold.temperatureNumerical,
      pairingTemperature(pairingEnergy1dExact(radius, 80e-9)),
      1e-7,
      'T numerical',
    );
    // The paper's "roughly 1-2 mK" is eq. 46 (0.854 mK for Au, 1.120 mK for Cu), from CODATA values
    // independent of the code's (test/helpers/pairing.ts); the ring's numerical temperature (the
    // finite-difference ground state at Delta s = 1/512) against the Whittaker condition's exact epsilon
    // in the same unit, to the grid's ~4e-8: about 0.217 mK, four times less bound than eq. 46 says.
    expectRelative(gold.pairingRadiusMetres, kGoldClosedForm.pairingRadiusMetres, 1e-9, 'a_m Au');
    expectRelative(gold.temperatureEq46, kGoldClosedForm.eq46Kelvin, 1e-9, 'T eq. 46 Au');
    expectRelative(copper.temperatureEq46, kCopperClosedForm.eq46Kelvin, 1e-9, 'T eq. 46 Cu');
    const exact = (form: PairingClosedForm) => form.unitKelvin * -whittakerGroundState1d(form.ratio);
    expectRelative(gold.temperatureNumerical, exact(kGoldClosedForm), 1e-7, 'T numerical Au');
    expectRelative(copper.temperatureNumerical, exact(kCopperClosedForm), 1e-7, 'T numerical Cu');
    expect(gold.temperatureEq46 / gold.temperatureNumerical).toBeGreaterThan(3.5);
    expect(gold.temperatureEq46 / gold.temperatureNumerical).toBeLessThan(4.5);
  });

  test("both readings of eq. 43 for each ring: fermi-energy is the study's, fermi-momentum has a_m halved", () => {
    for (const ring of kPairingRings.map((r) => ringTemperature(r))) {
      const [energy, momentum] = ring.readings;
      expect([energy.reading, momentum.reading]).toEqual(['fermi-energy', 'fermi-momentum']);
      expectRelative(energy.pairingRadiusMetres, ring.pairingRadiusMetres, 1e-15, 'a_m');
      expectRelative(energy.temperatureEq46, ring.temperatureEq46, 1e-15, 'T eq. 46');
      // The Whittaker ground state against the finite-difference one.
      expectRelative(energy.temperatureExact, ring.temperatureNumerical, 1e-6, 'T exact');
      expectRelative(momentum.pairingRadiusMetres, ring.pairingRadiusMetres / 2, 1e-14, 'a_m halved');
      expectRelative(momentum.ratio, ring.ratio / 2, 1e-14, 'a_m/a halved');
      // 1/a_m^2 quadruples: eq. 46 at a_m/a halved, in fermi-momentum's unit.
      const logarithm = 2 * Math.log(momentum.ratio);
      expectRelative(momentum.temperatureEq46, momentum.energyUnitKelvin * logarithm ** 2, 1e-12, 'eq. 46');
      expectRelative(momentum.energyUnitKelvin, 4 * energy.energyUnitKelvin, 1e-14, 'unit');
    }
  });

  test.each([
    ['a_m/a = 1', () => pairingPoint(1)],
    ['a_m/a = 0.5', () => pairingPoint(0.5)],
    ['a_m/a = 1e13', () => pairingPoint(1e13)],
    ['a_m/a = NaN', () => pairingPoint(NaN)],
    ['Whittaker at a_m/a = 1.5', () => whittakerGroundState1d(1.5)],
  ])('%s is an InputError', (_name, call) => {
    expect(call).toThrow(InputError);
  });
});

describe('the mapped-grid solver on a finite interval', () => {
  const length = 3;
  const grid = mappedGridTo(0.01, length, kPairingStep / 4);
  const { centre } = mappedCells(grid);
  const free = new Float64Array(grid.cells);

  test("psi'(L) = 0: the constant state, epsilon = 0 exactly; a constant potential W shifts it to W", () => {
    expect(Math.abs(lowestEvenEigenvalueMapped(grid, free, 'neumann', -10, 10))).toBeLessThan(1e-12);
    // coupling = -y W for W = 5.
    const constant = centre.map((y) => -5 * y);
    expectRelative(lowestEvenEigenvalueMapped(grid, constant, 'neumann', -10, 20), 5, 1e-12, 'W = 5');
  });

  test('psi(L) = 0: cos(pi x / 2L), epsilon = (pi / 2L)^2 to second order, and its normalised state', () => {
    const exact = (Math.PI / (2 * length)) ** 2;
    const energy = lowestEvenEigenvalueMapped(grid, free, 'dirichlet', -10, 10);
    expectRelative(energy, exact, 1e-6, 'Dirichlet');
    const psi = evenStateMapped(grid, free, 'dirichlet', energy);
    // psi(x) = cos(pi x / 2L) / sqrt(L/2): compare at the cell centres.
    const expected = Array.from(centre, (y) => Math.cos((Math.PI * (y - 0.01)) / (2 * length)));
    expectNormwiseClose(
      'psi',
      psi,
      expected.map((v) => v / Math.sqrt(length / 2)),
      1e-5,
    );
    // 'beyond' puts the node half a cell further out: lower, by about the last cell's share.
    expect(lowestEvenEigenvalueMapped(grid, free, 'beyond', -10, 10)).toBeLessThan(energy);
  });
});

describe('eq. 41 on the ring: the smoothed V_phi and the large-ring limit', () => {
  test('the chord smoothing: V_phi back at a = 0, eq. 45 near phi = 0, 2 pi-periodic', () => {
    for (const phi of [0.01, 0.7, 2, 3])
      expectRelative(ringPotentialThick(phi, 0), ringPotential(phi), 1e-15, `phi = ${phi}`);
    expectRelative(ringPotentialThick(1e-4, 1e-3), 1 / (1e-4 + 1e-3), 1e-7, '1/(|phi| + a/R)');
    expectRelative(
      ringPotentialThick(0.3 + 2 * Math.PI, 0.1),
      ringPotentialThick(-0.3, 0.1),
      1e-12,
      'periodic',
    );
  });

  test('a ring much larger than a_m reproduces eq. 45 on the line, approaching it as (a_m/R)^2', () => {
    const b = 0.01;
    const step = kPairingStep / 4;
    const line = lineRelativeState(b, step);
    // Eq. 45's exact ground state (the Whittaker condition) to the grid's second order: ~4e-8 at
    // Delta s = 1/512 (the Richardson estimate of groundState1dConvergence).
    expectRelative(line.energy, whittakerGroundState1d(1 / b), 1e-7, 'line state = eq. 45');
    const far = ringRelativeState(1000, b, 'periodic', step);
    expectRelative(far.energy, line.energy, 1e-7, 'R = 1000 a_m, energy');
    expectRelative(far.rmsSeparation, line.rmsSeparation, 1e-6, 'R = 1000 a_m, extent');
    expectRelative(far.kinetic, line.kinetic, 1e-5, 'R = 1000 a_m, kinetic');
    // The pair does not reach the far side: periodic and antiperiodic agree.
    expectRelative(ringRelativeState(1000, b, 'antiperiodic', step).energy, far.energy, 1e-13, 'parity');
    const offset = (r: number) => ringRelativeState(r, b, 'periodic', step).energy - line.energy;
    const ratio = offset(30) / offset(100);
    expect(ratio).toBeGreaterThan(0.85 * (100 / 30) ** 2);
    expect(ratio).toBeLessThan(1.15 * (100 / 30) ** 2);
  });

  test('a ring smaller than a_m: the pair spreads over it, the line picture fails, the period stays Phi_0', () => {
    const pair = ringPair(0.05, 0.01, 1e-5);
    expect(pair.linePictureFails).toBe(true);
    expect(pair.periodic.rmsSeparation).toBeGreaterThan(0.9 * pair.uniformRmsSeparation);
    expect(pair.periodic.rmsSeparation).toBeLessThan(pair.uniformRmsSeparation);
    expect(pair.antiperiodic.energy).toBeGreaterThan(pair.periodic.energy);
    expect(pair.fluxPeriod).toBe(1);
    expect(() => ringRelativeState(0.005, 0.01, 'periodic')).toThrow(InputError);
  });

  test('the Au and Cu rings: both readings of eq. 43 give a_m beyond the 2.2 um circumference', () => {
    for (const ring of kPairingRings.map((r) => ringTemperature(r))) {
      for (const reading of ring.readings) {
        expect(reading.pairingRadiusMetres).toBeGreaterThan(2 * Math.PI * kLevyRadiusMetres);
        expect(reading.onRing.linePictureFails).toBe(true);
        // Eq. 41's J^2 << J_F^2 holds by orders of magnitude.
        expect(reading.onRing.relativeMomentumRatio).toBeLessThan(1e-6);
        expect(reading.onRing.relativeMomentumRatio).toBeGreaterThan(0);
      }
    }
  });

  test("eq. 41's <J^2> / J_F^2 is <p^2> / (J_F/R)^2 in SI: J_F^2 / R^2 = Z_F m^2 c^2 (eq. 43), p in hbar / a_m", () => {
    const zF = 1e-5;
    const pair = ringPair(1000, 0.01, zF);
    // a_m = 2 / Z_F bohr; <p^2> = kinetic (hbar / a_m)^2, kinetic = <-d^2/dx^2> with x in a_m.
    const pairingRadiusMetres = (2 / zF) * kBohrRadius;
    const jSquared = (pair.periodic.kinetic * kHbar * kHbar) / (pairingRadiusMetres * pairingRadiusMetres);
    const jFSquared = zF * (kElectronMass * kSpeedOfLight) ** 2;
    // The SI constants give alpha = hbar / (m c a0) to CODATA's rounding, ~1e-10.
    expectRelative(pair.relativeMomentumRatio, jSquared / jFSquared, 1e-8, '<J^2> / J_F^2');
    // At R = 1000 a_m the pair is eq. 45's on the line (to (a_m / R)^2): its kinetic energy there.
    expectRelative(
      pair.relativeMomentumRatio,
      (pair.line.kinetic * kHbar * kHbar) / (pairingRadiusMetres * pairingRadiusMetres * jFSquared),
      1e-5,
      'the line',
    );
  });
});

describe('sec. II.D: flux periods from the spectrum', () => {
  test('fluxPeriod finds 1/3 for cos(6 pi n) and nothing for a flat function', () => {
    expect(fluxPeriod((n) => Math.cos(6 * Math.PI * n))).toBeCloseTo(1 / 3, 14);
    expect(fluxPeriod(() => 2)).toBeNull();
    expect(fluxPeriod((n) => n)).toBeNull();
  });

  test('one electron: period Phi_0 with the scalar condition (eq. 24), Phi_0/2 with the spinor (eq. 26)', () => {
    expect(spectrumPeriod('scalar')).toBe(1);
    expect(spectrumPeriod('spinor')).toBe(0.5);
  });

  test.each([1, 2, 3, 4, 9, 10])(
    'N = %i spinless electrons: periods 1 and 1/2, peak against the closed form',
    (n) => {
      const scalar = fermiSeaFlux(n, 'scalar');
      const spinor = fermiSeaFlux(n, 'spinor');
      expect(scalar.period).toBe(1);
      expect(spinor.period).toBe(0.5);
      expectRelative(scalar.amplitude, n, 1e-14, 'scalar peak = N (hbar^2/2mR^2)/Phi_0');
      expectRelative(spinor.amplitude, n / 2, 1e-14, 'spinor peak');
    },
  );

  test('the sawtooth peak is e h N / (8 pi^2 m R^2) in amperes, and odd N follows eq. 14 exactly', () => {
    const radius = 0.35e-6;
    const n = 101;
    const peak = (kElementaryCharge * kPlanck * n) / (8 * Math.PI ** 2 * kElectronMass * radius ** 2);
    expectRelative(persistentCurrentAmplitude(n, 'scalar') * ringCurrentUnit(radius), peak, 1e-8, 'peak');
    expectRelative(persistentCurrentAmplitudeClosedForm(n, 'scalar', radius), peak, 1e-8, 'closed form');
    for (const f of [-0.4, -0.1, 0.05, 0.3, 0.49]) {
      const current = persistentCurrent(n, f, 'scalar') * ringCurrentUnit(radius);
      expectRelative(current, fluxCurrent(n, f * kFluxQuantum, radius), 1e-8, `Larmor at n_phi = ${f}`);
    }
    // Odd N is diamagnetic near zero flux, even N paramagnetic; both sum to E = sum k^2.
    expect(persistentCurrent(n, 0.1, 'scalar')).toBeLessThan(0);
    expect(persistentCurrent(n + 1, 0.1, 'scalar')).toBeGreaterThan(0);
    expectRelative(fermiSeaEnergy(3, 0.2, 'scalar'), 0.8 ** 2 + 0.2 ** 2 + 1.2 ** 2, 1e-15, 'E(N = 3)');
  });

  test('a metal ring as one ballistic channel carries e v_F / (2 pi R) to 1/N', () => {
    const ring = metalRingCurrent('Cu', kCopper, kLevyRadiusMetres, [3e-3], null);
    expect(ring.n % 2).toBe(1);
    expectRelative(ring.amplitudeScalar, ring.fermiCurrent, 2 / ring.n, 'e v_F / L');
    expectRelative(ring.larmorAtHalfQuantum, ring.amplitudeScalar, 1e-8, 'eq. 14 at Phi_0/2');
    expectRelative(ring.amplitudeSpinor, ring.amplitudeScalar / 2, 1e-12, 'spinor');
  });

  test('the pair: no interaction gives two free electrons; a localised pair halves the period', () => {
    const r = 0.7;
    // Free relative motion: k = 0 for even L (periodic), k = 1/2 for odd L: (1/2)^2 / r^2 in 1/a_m^2 units.
    for (const n of [0.05, 0.13, 0.25, 0.4, 0.77]) {
      let free = Infinity;
      for (let l1 = -4; l1 <= 4; l1++) {
        for (let l2 = -4; l2 <= 4; l2++) free = Math.min(free, ((l1 + n) ** 2 + (l2 + n) ** 2) / (2 * r * r));
      }
      expectRelative(pairFluxEnergy(n, r, 0, 1 / (4 * r * r)), free, 1e-14, `n_phi = ${n}`);
    }
    expect(fluxPeriod((n) => pairFluxEnergy(n, r, 0, 1 / (4 * r * r)))).toBe(1);
    expect(fluxPeriod((n) => pairFluxEnergy(n, r, -3, -3))).toBe(0.5);
    expect(ringPair(20, 0.01, 1e-5).fluxPeriod).toBe(0.5);
  });
});

describe('paper --json: the flux results under their documented keys', () => {
  test('rows keep their keys; flux holds spectra, fermi_seas, metal_rings and pairs with computed periods', () => {
    const run = runPaper();
    const json = paperJson(run.rows, run.flux);
    expect(Object.keys(json)).toEqual(['command', 'version', 'device', 'rows', 'flux', 'files']);
    expect(json.flux.spectra.map((s) => [s.condition, s.period_phi0])).toEqual([
      ['scalar', 1],
      ['spinor', 0.5],
    ]);
    for (const sea of json.flux.fermi_seas)
      expectRelative(sea.amplitude, sea.amplitude_closed_form, 1e-14, 'peak');
    expect(json.flux.metal_rings.map((r) => r.name)).toEqual([
      'Cu (Levy et al.)',
      'Au (Chandrasekhar et al.)',
    ]);
    expect(json.flux.pairs.map((p) => p.period_phi0)).toEqual([1, 1, 1, 1, 0.5]);
    // The paper column holds what the paper prints: Levy et al.'s 0.36 nA, not the 0.343 nA that
    // v_F(Cu) gives for their 3e-3 e v_F/(2 pi R), which the note says; Chandrasekhar et al.'s fractions.
    expect(json.flux.metal_rings.map((r) => r.printed_a)).toEqual([0.36e-9, null]);
    const [copper, gold] = run.rows.filter((r) => r.equation === '9' && r.unit === 'nA');
    // The Fermi sea's period is stated with its condition (after eq. 24 / 26), not by eq. 9's current.
    const seaPeriods = run.rows.filter((r) => r.quantity.startsWith('period of the ground state'));
    expect(seaPeriods.map((r) => [r.quantity.match(/ (scalar|spinor) condition$/)?.[1], r.equation])).toEqual(
      [
        ['scalar', '23/24'],
        ['scalar', '23/24'],
        ['spinor', '25/26'],
        ['spinor', '25/26'],
      ],
    );
    expect(seaPeriods.every((r) => r.note?.startsWith('sawtooth I = -dE/dPhi (eq. 9), peak '))).toBe(true);
    expect(copper.paper).toBe('measured: 0.36 (0.003 e v_F/(2 pi R))');
    expect(copper.note).toMatch(/^the measured 0\.003 e v_F\/\(2 pi R\) is 0\.343 nA with this v_F; /);
    expect(gold.paper).toBe('measured: 0.3-2 e v_F/(2 pi R)');
    expect(gold.note).toMatch(/^the measured 0\.3-2 e v_F\/\(2 pi R\) is [0-9.]+-[0-9.]+ nA with this v_F; /);
    // Every row sorted by equation number, the flux rows among them.
    const equations = json.rows.map((r) => parseFloat(r.equation));
    expect(equations).toEqual([...equations].sort((a, b) => a - b));
    expect(json.rows.filter((r) => r.unit === 'Phi_0')).toHaveLength(2 + 4 + 5);
  });
});

describe('eq. 46 needs a << a_m: below a_m/a = 10 it is no estimate, and the text and JSON say so', () => {
  test('a_m/a = 1.0001 (eq. 46 2.5e7 times too shallow) and 2 are marked, 100 is not', () => {
    const points = [1.0001, 2, 100].map((ratio) => pairingPointJson(pairingPoint(ratio)));
    expect(points.map((p) => p.eq46_applies)).toEqual([false, false, true]);
    expect(points[0].relative_difference).toBeGreaterThan(2e7);
    const lines = pairingText(points, [], []).split('\n');
    const row = (ratio: string) => lines.find((line) => line.startsWith(`  ${ratio}`))!;
    expect(row('1.000e+0')).toMatch(/ 2500\d{4}\.\d{4}† /);
    expect(row('2.000e+0')).toMatch(/ 0\.8948† /);
    expect(row('1.000e+2')).toMatch(/ 0\.2502 /);
    expect(row('1.000e+2')).not.toContain('†');
    expect(lines).toContain(
      '† a_m/a < 10: eq. 46 assumes a << a_m (its leading logarithm of ln(a_m/a)), so there it is no ' +
        'estimate of the ground state; the numerical and exact energies still are',
    );
    expect(pairingText([points[2]], [], [])).not.toContain('†');
  });
});

describe('pairingFromJson: a saved run read back (the app loads pairing.json into its card)', () => {
  const saved = async () => {
    const { points, rings } = await runPairing([10, 1e3]);
    const json = pairingJson({ points, rings, ratios: [10, 1e3], shard: null });
    return { points, rings, json: JSON.parse(toJson(json)) as Record<string, unknown> };
  };

  test('the JSON as written, and what the plots draw: every point and ring', async () => {
    const { points, rings, json } = await saved();
    // What --json printed beside --out and --markdown: the file list and the table are not the run's.
    const read = pairingFromJson(
      { ...json, files: ['/out/pairing-energy.svg'], markdown: '| ring |' },
      'p.json',
    );
    expect(JSON.parse(toJson(read.json))).toEqual(json);
    expect(read.plotted.points).toEqual(
      points.map(({ ratio, energyNumerical, energyEq46, energySmallThickness }) => ({
        ratio,
        energyNumerical,
        energyEq46,
        energySmallThickness,
      })),
    );
    expect(read.plotted.rings).toEqual(rings.map(({ name, ratio }) => ({ name, ratio })));
  });

  test("a run stopped before its rings reads back without them, as the page's Stop saves it", async () => {
    const { points } = await runPairing([10, 1e3, 1e5]);
    const stopped = pairingJson({
      points: points.slice(0, 2),
      rings: [],
      ratios: [10, 1e3, 1e5],
      shard: null,
      stop: { signal: null, points: 2, of: 3 },
    });
    const read = pairingFromJson(JSON.parse(toJson(stopped)) as Record<string, unknown>, 'p.json');
    expect(read.json.rings).toEqual([]);
    expect(read.json.stopped).toEqual({ signal: null, points: 2, of: 3 });
    expect(read.plotted.points.map((point) => point.ratio)).toEqual([10, 1e3]);
    expect(read.plotted.rings).toEqual([]);
  });

  // Each refusal names the first field the text, the card or the plots would have stumbled on.
  const refusal = (lack: string) => `p.json: not a pairing run as pairing --json writes it (${lack})`;

  test('refuses a shard in one line', async () => {
    const { json } = await saved();
    expect(() => pairingFromJson({ ...json, shard: { index: 1, count: 2 } }, 'p.json')).toThrow(
      /one shard of a run: join the shards/,
    );
  });

  test.each([
    ['no points', { points: [] }, 'points is empty'],
    ['a point without energies', { points: [{ ratio: 10 }] }, 'points[0].energy_numerical is missing'],
    ['no grid', { grid: null }, 'grid is not an object'],
    ['a grid without its error', { grid: {} }, 'grid.max_estimated_relative_error is missing'],
    ['rings without their numbers', { rings: [{ name: 'Au' }] }, 'rings[0].fermi_energy_ev is missing'],
    ['no rings in a complete run', { rings: [] }, 'rings is empty'],
  ])('refuses %s in one line', async (_name, change, lack) => {
    const { json } = await saved();
    expect(() => pairingFromJson({ ...json, ...change }, 'p.json')).toThrow(refusal(lack));
    expect(() => pairingFromJson({ ...json, ...change }, 'p.json')).toThrow(InputError);
  });

  test('refuses a point at an a_m/a --ratios refuses, or out of order: it loaded as a run at a_m/a = -5', async () => {
    const { json } = await saved();
    const [first, second] = json.points as Record<string, unknown>[];
    expect(() => pairingFromJson({ ...json, points: [{ ...first, ratio: -5 }, second] }, 'p.json')).toThrow(
      refusal('points[0].ratio is -5: needs a_m/a in (1, 1e12]'),
    );
    expect(() => pairingFromJson({ ...json, points: [second, first] }, 'p.json')).toThrow(
      refusal('points[1].ratio is 10: below points[0].ratio, 1000'),
    );
  });

  // The card looks a ring's row up by its name and reads every reading's pair on the ring.
  test.each([
    [
      'a ring the card has no row for',
      (au: Record<string, unknown>) => ({ ...au, name: 'Ag' }),
      'rings[0].name is "Ag", not one of Au, Cu',
    ],
    [
      'a reading that is not one',
      (au: Record<string, unknown>) => ({ ...au, readings: [1] }),
      'rings[0].readings[0] is not an object',
    ],
    [
      'a reading of Z_F it does not know',
      (au: Record<string, unknown>) => {
        const [first, second] = au.readings as Record<string, unknown>[];
        return { ...au, readings: [first, { ...second, reading: 'other' }] };
      },
      `rings[0].readings[1].reading is "other", not one of ${kFermiReadings.join(', ')}`,
    ],
    [
      'a pair on the ring without its numbers',
      (au: Record<string, unknown>) => {
        const [first, second] = au.readings as Record<string, unknown>[];
        return { ...au, readings: [{ ...first, on_ring: { temperature_mk: '0.2' } }, second] };
      },
      'rings[0].readings[0].on_ring.radius_over_a_m is missing',
    ],
  ])('refuses %s', async (_name, change, lack) => {
    const { json } = await saved();
    const [au, cu] = json.rings as Record<string, unknown>[];
    expect(() => pairingFromJson({ ...json, rings: [change(au), cu] }, 'p.json')).toThrow(refusal(lack));
  });
});
