// The Larmor study (sec. II.B-C, eq. 13-18: src/physics/larmor.ts) and the pairing study (sec. IV.B,
// eq. 35-46: src/physics/pairing.ts), float64 throughout.
//
// The pairing ground state has three independent routes: the finite-difference eigenproblem on the
// logarithmic grid (second order in Delta s: the error falls fourfold per halving), the exact Whittaker
// condition (rounding only), and paper.ts's uniform-grid solver on its domain a_m/a <= 1000.
import { describe, expect, test } from 'vitest';
import { kBohrMagneton, kElectronMass, kHbar } from '../src/physics/constants.ts';
import { InputError } from '../src/physics/input-error.ts';
import { chandrasekharReading, larmorRing, levyReading } from '../src/physics/larmor.ts';
import {
  digamma,
  eq46Energy,
  kEulerGamma,
  kPairingRings,
  pairingPoint,
  ringTemperature,
  smallThicknessGroundState1d,
  whittakerGroundState1d,
} from '../src/physics/pairing.ts';
import { groundState1dConvergence, groundState1dMapped } from '../src/physics/coulomb1d.ts';
import {
  kFluxQuantum,
  kGold,
  pairingBohrRadius,
  pairingEnergy1d,
  pairingEnergy1dNumerical,
  pairingTemperature,
} from '../src/physics/paper.ts';
import { expectNormwiseClose } from './helpers/compare.ts';

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
    // I pi R^2 = -N n_phi mu_B: CODATA's mu_B against e hbar / 2m from the other constants.
    expectRelative(ring.momentBohrMagnetons, -40, 1e-9, 'moment');
    expectRelative(ring.speed, ring.angularVelocity * radius, 1e-15, 'v = Omega R');
    expect(kBohrMagneton).toBeGreaterThan(0);
  });

  test('Levy et al.: the printed I_av and B_0 give N ~ 12 by eq. 16 (the paper says ~100)', () => {
    const levy = levyReading();
    expect(levy.electronsPrinted).toBeCloseTo(12.35, 2);
    expect(levy.electronsComputed).toBeGreaterThan(10);
    expect(levy.electronsComputed).toBeLessThan(20);
    expectRelative(levy.fieldPrinted, 1.3e-2, 0, 'B_0 as printed');
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
    expectRelative(
      gold.temperatureNumerical,
      pairingTemperature(pairingEnergy1dNumerical(radius, 80e-9)),
      1e-6,
      'T numerical',
    );
    // The paper's "roughly 1-2 mK" is eq. 46; the exact ground state is four times less bound.
    expect(gold.temperatureEq46 * 1e3).toBeCloseTo(0.854, 3);
    expect(gold.temperatureNumerical * 1e3).toBeCloseTo(0.217, 3);
    expect(copper.temperatureEq46 * 1e3).toBeCloseTo(1.12, 2);
  });

  test("both readings of eq. 43 for each ring: the first is the study's, the second has a_m halved", () => {
    for (const ring of kPairingRings.map((r) => ringTemperature(r))) {
      const [energy, momentum] = ring.readings;
      expect([energy.reading, momentum.reading]).toEqual(['fermi-energy', 'fermi-momentum']);
      expectRelative(energy.pairingRadiusMetres, ring.pairingRadiusMetres, 1e-15, 'a_m');
      expectRelative(energy.temperatureEq46, ring.temperatureEq46, 1e-15, 'T eq. 46');
      // The Whittaker ground state against the finite-difference one.
      expectRelative(energy.temperatureExact, ring.temperatureNumerical, 1e-6, 'T exact');
      expectRelative(momentum.pairingRadiusMetres, ring.pairingRadiusMetres / 2, 1e-14, 'a_m halved');
      expectRelative(momentum.ratio, ring.ratio / 2, 1e-14, 'a_m/a halved');
      // 1/a_m^2 quadruples: eq. 46 at a_m/a halved, in the second reading's unit.
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
