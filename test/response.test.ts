// The response study (issue 11): the drives of M v = -(e/m) A against closed forms (the ring's
// circulant, the Larmor moment of eq. 17/18, London's sphere, the thin shell), the GPU (float32 on
// Dawn/SwiftShader) against the float64 reference for every drive, bad input, and the `response`
// command as a user runs it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { gpuBackend } from '../src/engine/backend.ts';
import { gpuMovingChargesField } from '../src/engine/london.ts';
import type { GpuContext } from '../src/gpu/device.ts';
import { londonParameter, magneticField, rigidRotationVelocities } from '../src/physics/biot-savart.ts';
import { kClassicalElectronRadius, kElectronMass, kElementaryCharge } from '../src/physics/constants.ts';
import { geometry, type GeometryName } from '../src/physics/geometry.ts';
import { InputError } from '../src/physics/input-error.ts';
import { larmorRing } from '../src/physics/larmor.ts';
import {
  applyMassMatrixFree,
  massDiagonal,
  type DarwinSystem,
  type Dimension,
  type ModelName,
} from '../src/physics/models.ts';
import { relativeError } from '../src/physics/observables.ts';
import { larmorAngularVelocity } from '../src/physics/paper.ts';
import {
  ballLondonParameter,
  continuumLimit,
  intrinsicSusceptibility,
  currentProfile,
  driveRightHandSide,
  fitLondonProfile,
  inducedFieldRatio,
  inducedMomentSi,
  kDriveNames,
  kLondonSeriesBelow,
  kPenetrationDepthRange,
  kProfileBins,
  londonPenetrationDepth,
  londonRadialProfile,
  londonSphereCurrentProfile,
  londonSphereRatio,
  pearlParameter,
  reducedInducedField,
  reducedMoment,
  ringContinuumRatio,
  screeningRatio,
  shellContinuumRatio,
  solutionOfTriples,
  kSurfaceArea,
  londonX,
  validateDrive,
  velocityTriples,
  type DriveName,
} from '../src/physics/response.ts';
import { cpuBackend, cpuTreeBackend, massMatrix } from '../src/run/backend.ts';
import { applyMassMatrix } from '../src/solvers/dense.ts';
import { unitExtremes } from '../src/run/spectrum.ts';
import { kCpuDevice, toJson } from '../src/io/formats.ts';
import { responseCommand } from '../src/cli/commands/response.ts';
import { Progress } from '../src/cli/progress.ts';
import {
  responseCheckWarnings,
  responseFromJson,
  responseIndefiniteWarning,
  responseJson,
  responseMarkdown,
  responseSummary,
  responseText,
} from '../src/studies/response/report.ts';
import { markdownNumber } from '../src/studies/markdown.ts';
import { checkSample, sampledErrors, sampledMassRows, solveTargetsFor } from '../src/run/check.ts';
import { fitLaw } from '../src/studies/fits.ts';
import { inversePowerLaw } from '../src/physics/scaling.ts';
import {
  continuumDecayLength,
  decayLength,
  kResponseRtol,
  mayBeIndefinite,
  pointIndefinite,
  responseLimit,
  runResponse,
  sweepWarmStart,
  type ReducedFieldSum,
  type ResponsePoint,
} from '../src/studies/response/run.ts';
import { pointWithinTarget, type BackendFactory } from '../src/studies/study.ts';
import { kResponseLimits, responseSpec, type ResponseInput } from '../src/studies/response/spec.ts';
import { expectUserErrorRun, runCli, useCliBundle } from './helpers/cli-bundle.ts';
import { gpuHarness } from './helpers/gpu.ts';
import { watchedPool } from './helpers/pool.ts';
import { inProcessReference } from './helpers/reference.ts';
import { FloatReference, referenceAnswerer } from '../src/run/reference.ts';
import { RunStopped } from '../src/run/chunks.ts';
import { float64Products } from '../src/run/refine.ts';

/** A float32 sum (the GPU's Biot-Savart maps) agrees with float64's to this. */
const kGpuTolerance = 2e-5;
/**
 * The GPU's solves refine to kResponseRtol, as the CPU's solve: their ratios and velocities agree to
 * about that tolerance times cond(M), far below float32's 2e-5.
 */
const kRefinedTolerance = 1e-8;

const cpuOpen: BackendFactory = async (system) => cpuBackend(system);

function system(
  shape: GeometryName,
  n: number,
  model: ModelName,
  dim: Dimension,
  epsilon: number,
): DarwinSystem {
  return { configuration: geometry(shape, n), model, dim, epsilon, softening: 0 };
}

/**
 * B_z (tesla) at the centre of point p's body of radius R = r_e / eps (eq. 49's eps), its electrons
 * (charge -|e|) moving at w R times p's velocity triples: the float64 Biot-Savart sum in SI.
 */
function centreFieldSi(p: ResponsePoint, angularVelocity: number): number {
  const radius = kClassicalElectronRadius / p.epsilon;
  const positions = p.configuration.positions.map((x) => x * radius);
  const velocities = p.velocities.map((v) => v * angularVelocity * radius);
  return magneticField([0, 0, 0], positions, velocities, -kElementaryCharge)[2];
}

/** The screening ratio of one system and drive from a float64 solve to rtol 1e-13. */
async function cpuRatio(s: DarwinSystem, drive: DriveName): Promise<number> {
  const b = driveRightHandSide(s, drive);
  const solve = await cpuBackend(s).velocities(b, 'cg', { rtol: 1e-13 });
  expect(solve.converged).toBe(true);
  return screeningRatio(s, b, solve.x);
}

const kRingCases: readonly { model: ModelName; dim: Dimension }[] = [
  { model: 'azimuthal', dim: 2 },
  { model: 'vector', dim: 2 },
  { model: 'vector', dim: 3 },
];

describe('the ring: the uniform mode of the circulant', () => {
  // ringContinuumRatio's sum of V_phi (eq. 31/42) against float64 CG solves of the assembled M
  // (src/physics/models.ts, which does not use V_phi), in all three models.
  test.each(kRingCases)(
    'float64 solves give it for several N, $model model, dim $dim',
    async ({ model, dim }) => {
      for (const n of [3, 8, 17, 64]) {
        for (const nEpsilon of [0.1, 1, 10]) {
          const ratio = await cpuRatio(system('ring', n, model, dim, nEpsilon / n), 'field');
          expect(Math.abs(ratio - ringContinuumRatio(n, nEpsilon / n)!)).toBeLessThan(1e-12);
        }
      }
    },
  );

  test.each(kRingCases)(
    'field and flux give the same ratio, $model model, dim $dim',
    async ({ model, dim }) => {
      // On the unit ring A_phi is uniform for both (B rho / 2 and Phi / (2 pi rho)).
      for (const n of [5, 32]) {
        const s = system('ring', n, model, dim, 2 / n);
        const field = await cpuRatio(s, 'field');
        expect(Math.abs((await cpuRatio(s, 'flux')) - field)).toBeLessThan(1e-13);
        expect(Math.abs((await cpuRatio(s, 'rotation')) - field)).toBeLessThan(1e-13);
        expect(field).toBeLessThan(1);
      }
    },
  );
});

describe('--radius-m: the field drive in SI, the moment per tesla and a solid susceptibility', () => {
  test("mu_z/B = -(e^2 R^2/4m) ratio sum rho^2, chi_app = mu0 (mu_z/B)/V: the ball's and cube's, none on a sphere", async () => {
    const mu0 = 1.25663706212e-6; // CODATA 2018, not from kMu0Over4Pi: an independent check
    const radius = 2e-9;
    for (const geometryName of ['ball', 'cube', 'sphere'] as const) {
      const spec = responseSpec({
        geometry: geometryName,
        n: geometryName === 'cube' ? '64' : '60,120',
        radiusMetres: String(radius),
        device: 'cpu',
      });
      const result = await runResponse(spec, cpuOpen);
      const json = responseJson(result, kCpuDevice).points;
      for (const [k, p] of result.points.entries()) {
        const { positions } = p.configuration;
        let rho2 = 0;
        for (let i = 0; i < positions.length; i += 3) rho2 += positions[i] ** 2 + positions[i + 1] ** 2;
        // screening_ratio = b^T s / b^T b with b_i = z x r_i, and b^T s = sum (r x s)_z.
        const expected =
          -((kElementaryCharge ** 2 * radius ** 2) / (4 * kElectronMass)) * p.screeningRatio * rho2;
        expect(Math.abs(p.momentPerTesla! / expected - 1)).toBeLessThan(1e-12);
        expect(json[k].moment_per_tesla).toBe(p.momentPerTesla);
        if (geometryName === 'sphere') {
          expect([json[k].apparent_susceptibility, json[k].intrinsic_susceptibility]).toEqual([null, null]);
          continue;
        }
        const volume = geometryName === 'ball' ? (4 * Math.PI * radius ** 3) / 3 : 8 * radius ** 3;
        const apparent = (mu0 * expected) / volume;
        expect(Math.abs(p.apparentSusceptibility! / apparent - 1)).toBeLessThan(1e-9);
        expect(json[k].apparent_susceptibility).toBe(p.apparentSusceptibility);
        // H inside a uniformly magnetised ball is H_0 - M/3; the cube's magnetisation is not uniform.
        if (geometryName === 'ball') {
          expect(Math.abs(p.intrinsicSusceptibility! / (apparent / (1 - apparent / 3)) - 1)).toBeLessThan(
            1e-9,
          );
        } else expect(json[k].intrinsic_susceptibility).toBeNull();
      }
    }
    // Without a radius in metres, or for another drive, neither key.
    const plain = responseJson(
      await runResponse(responseSpec({ geometry: 'ball', n: '60', nEpsilon: '1', device: 'cpu' }), cpuOpen),
      kCpuDevice,
    ).points[0];
    expect(Object.keys(plain).filter((key) => /moment_per_tesla|susceptibility/.test(key))).toEqual([]);
    const rotation = responseSpec({
      geometry: 'ball',
      n: '60',
      radiusMetres: '1e-9',
      drive: 'rotation',
      device: 'cpu',
    });
    expect(
      'moment_per_tesla' in responseJson(await runResponse(rotation, cpuOpen), kCpuDevice).points[0],
    ).toBe(false);
  });
});

describe("the ball's intrinsic susceptibility chi = chi_app / (1 - chi_app/3), H the field inside", () => {
  test("a perfect diamagnet's apparent -3/2 is -1; a ball screening deep is past -1 from outside only", async () => {
    expect(intrinsicSusceptibility('ball', -1.5)).toBeCloseTo(-1, 14);
    expect(intrinsicSusceptibility('ball', 0)).toBe(0);
    expect(intrinsicSusceptibility('cube', -1.5)).toBeNull();
    // A ball of 1000 at N r_e/R = 30 (R = 1000 r_e/30) screens past the perfect diamagnet's chi = -1 from
    // outside, its own field included; inside, H = H_0 - M/3, it is within -1 < chi < 0.
    const spec = responseSpec({
      geometry: 'ball',
      n: '1000',
      radiusMetres: String((1000 * kClassicalElectronRadius) / 30),
      device: 'cpu',
    });
    const [point] = (await runResponse(spec, cpuOpen)).points;
    expect(point.converged).toBe(true);
    const apparent = point.apparentSusceptibility!;
    expect(apparent).toBeLessThan(-1);
    expect(point.intrinsicSusceptibility).toBeGreaterThan(-1);
    expect(point.intrinsicSusceptibility).toBeCloseTo(apparent / (1 - apparent / 3), 12);
    // London's sphere at x = sqrt(3 N r_e/R): chi_app = -(3/2)(1 - 3 coth x/x + 3/x^2) = -(3/10) x^2/3
    // times its screening ratio, -1.076; the ball of 1000 screens 6% less deep than the continuum.
    const london = -(3 / 10) * 30 * londonSphereRatio(Math.sqrt(90));
    expect(london).toBeCloseTo(-1.076, 3);
    expect(Math.abs(apparent / london - 1)).toBeLessThan(0.08);
  });
});

describe("the ring of 2 or 3: the uniform mode's eigenvalue turns negative", () => {
  // Sum V_phi = V_phi(pi) = -1/4 (N = 2) and 2 V_phi(2 pi/3) = -1/(4 sqrt 3) (N = 3): the eigenvalue
  // 1 + eps sum V_phi of the mode the drive excites is 0 at N r_e/R = 8 and 12 sqrt 3.
  test('the circulant ratio is 1/(1 + eps sum V_phi) below, null from there on', async () => {
    expect(ringContinuumRatio(2, 7.9 / 2)).toBeCloseTo(1 / (1 - 7.9 / 8), 10);
    expect(ringContinuumRatio(2, 8 / 2)).toBeNull();
    expect(ringContinuumRatio(2, 30 / 2)).toBeNull();
    const threshold3 = 12 * Math.sqrt(3);
    expect(ringContinuumRatio(3, (0.99 * threshold3) / 3)).toBeCloseTo(100, 8);
    expect(ringContinuumRatio(3, (1.000001 * threshold3) / 3)).toBeNull();
    // From N = 4 on the sum is positive (0.1036 at 4): the ratio stays in (0, 1) at any eps.
    expect(ringContinuumRatio(4, 1e6)! / (1 / (1 + (1e6 * (Math.SQRT2 - 1)) / 4))).toBeCloseTo(1, 12);
    // A float64 solve below the null gives the same anti-screening ratio, 80 at N r_e/R = 7.9.
    expect(await cpuRatio(system('ring', 2, 'azimuthal', 2, 7.9 / 2), 'field')).toBeCloseTo(80, 8);
  });
});

describe('without the Darwin term: the Larmor rotation (eq. 17/18)', () => {
  const fieldTesla = 0.013;
  const radiusMetres = 3.5e-7;

  test('the ring at eps = 0 carries eq. 18 moment I pi R^2, exactly', async () => {
    for (const n of [4, 100]) {
      for (const model of ['vector', 'azimuthal'] as const) {
        const s = system('ring', n, model, 3, 0);
        const solve = await cpuBackend(s).velocities(driveRightHandSide(s, 'field'), 'cg');
        const moment = reducedMoment(s.configuration.positions, velocityTriples(s, solve.x));
        const si = inducedMomentSi(moment, larmorAngularVelocity(fieldTesla), radiusMetres);
        const expected = larmorRing(n, fieldTesla, radiusMetres).moment;
        expect(Math.abs(si - expected)).toBeLessThan(1e-13 * Math.abs(expected));
      }
    }
  });

  test('any body at eps = 0 takes the rigid Larmor rotation: mu = -(e^2 B / 4m) sum rho^2', async () => {
    for (const shape of ['sphere', 'ball', 'disk'] as const) {
      const s = system(shape, 50, 'vector', shape === 'disk' ? 2 : 3, 0);
      const solve = await cpuBackend(s).velocities(driveRightHandSide(s, 'field'), 'cg');
      const { positions } = s.configuration;
      let rho2 = 0;
      for (let k = 0; k < positions.length; k += 3) rho2 += positions[k] ** 2 + positions[k + 1] ** 2;
      const expected =
        -((kElementaryCharge ** 2 * fieldTesla) / (4 * kElectronMass)) * rho2 * radiusMetres ** 2;
      const moment = reducedMoment(positions, velocityTriples(s, solve.x));
      const si = inducedMomentSi(moment, larmorAngularVelocity(fieldTesla), radiusMetres);
      expect(Math.abs(si - expected)).toBeLessThan(1e-13 * Math.abs(expected));
      expect(await cpuRatio(s, 'field')).toBe(1);
    }
  });

  test('eps -> 0 approaches the Larmor moment linearly in N r_e/R', async () => {
    const at = async (nEpsilon: number) =>
      1 - (await cpuRatio(system('sphere', 200, 'vector', 3, nEpsilon / 200), 'field'));
    const [small, smaller] = [await at(1e-4), await at(1e-5)];
    expect(small).toBeGreaterThan(0);
    expect(small / smaller).toBeCloseTo(10, 3);
  });
});

test('at eps = 0 off the ring (azimuthal disk, D = diag rho^2) every drive screens nothing: ratio 1', async () => {
  const s = system('disk', 40, 'azimuthal', 2, 0);
  for (const drive of kDriveNames) {
    const b = driveRightHandSide(s, drive);
    const x = (await cpuBackend(s).velocities(b, 'cg', { rtol: 1e-14 })).x;
    expect(screeningRatio(s, b, x), drive).toBeCloseTo(1, 14);
  }
});

test('currentProfile: a rigid rotation puts |r| in the bin of depth 1 - |r|, tenths of R deep', () => {
  const radii = [0.95, 0.85, 0.55, 0.05];
  const positions = Float64Array.from(radii.flatMap((r) => [r, 0, 0]));
  const velocities = Float64Array.from(radii.flatMap((r) => [0, r, 0]));
  const profile = currentProfile(positions, velocities);
  expect(Array.from(profile.counts)).toEqual([1, 1, 0, 0, 1, 0, 0, 0, 0, 1]);
  for (const [bin, r] of [
    [0, 0.95],
    [1, 0.85],
    [4, 0.55],
    [9, 0.05],
  ])
    expect(profile.current[bin]).toBeCloseTo(r, 14);
});

describe("London's superconducting sphere", () => {
  const closed = (x: number) => (15 / (x * x)) * (1 - 3 / (x * Math.tanh(x)) + 3 / (x * x));

  test('the series below x = 0.5 meets the closed form where the latter is still accurate', () => {
    for (const x of [0.25, 0.35, 0.45, 0.4999]) {
      expect(Math.abs(londonSphereRatio(x) - closed(x))).toBeLessThan(2e-12);
    }
    // Across the switch: the closed form's cancellation (45e-16/x^4 = 7e-14) and the slope over 5e-13.
    const below = londonSphereRatio(kLondonSeriesBelow * (1 - 1e-12));
    expect(Math.abs(below - londonSphereRatio(kLondonSeriesBelow))).toBeLessThan(3e-13);
  });

  test('small x: 1 - 2x^2/21 + x^4/105, where the closed form has lost every digit', () => {
    for (const x of [1e-2, 1e-3, 1e-5]) {
      expect(Math.abs(londonSphereRatio(x) - (1 - (2 * x * x) / 21 + x ** 4 / 105))).toBeLessThan(1e-15);
    }
    expect(Math.abs(closed(1e-5) - 1)).toBeGreaterThan(1e-3);
  });

  test('large x: the surface current of depth lambda, 15/x^2 - 45/x^3', () => {
    const x = 200;
    expect(londonSphereRatio(x)).toBeCloseTo(15 / x ** 2 - 45 / x ** 3 + 45 / x ** 4, 14);
  });

  test('its current profile, small x: i_1(u) ~ u/3, the bin means of x r/3 over r^2 dr', () => {
    const x = 1e-3;
    const profile = londonSphereCurrentProfile(x);
    expect(profile.current).toHaveLength(kProfileBins);
    profile.current.forEach((current, b) => {
      const [inner, outer] = [1 - (b + 1) / kProfileBins, 1 - b / kProfileBins];
      const meanR = ((3 / 4) * (outer ** 4 - inner ** 4)) / (outer ** 3 - inner ** 3);
      expect(Math.abs(current / ((x / 3) * meanR * Math.exp(-x)) - 1)).toBeLessThan(1e-6);
    });
  });

  test('its fitted decay length: scipy quad 0.29703434 and 0.12295442 at x = 3 and sqrt(90), lambda_L at large x', () => {
    // Ten bins over the whole radius see i_1's bend near the centre: 1.17 lambda_L at N r_e/R = 30.
    expect(decayLength(londonSphereCurrentProfile(3))).toBeCloseTo(0.29703434, 7);
    expect(decayLength(londonSphereCurrentProfile(Math.sqrt(90)))).toBeCloseTo(0.12295442, 7);
    expect(continuumDecayLength({ geometry: 'ball', drive: 'rotation' }, 30)).toBe(
      decayLength(londonSphereCurrentProfile(Math.sqrt(90))),
    );
    // Deep samples stay finite (e^-x scaling; the central bins underflow to 0 and drop out).
    for (const x of [300, 3000]) {
      const length = decayLength(londonSphereCurrentProfile(x))!;
      expect(length * x).toBeGreaterThan(1);
      expect(length * x).toBeLessThan(1.02);
    }
    for (const [geometry, drive] of [
      ['sphere', 'field'],
      ['ball', 'flux'],
      ['disk', 'field'],
    ] as const) {
      expect(continuumDecayLength({ geometry, drive }, 30)).toBeNull();
    }
  });
});

describe("the penetration depth fitted as London's profile", () => {
  /**
   * i_1(u) = (u cosh u - sinh u) / u^2, as scipy's spherical_in(1, u), written apart from response.ts:
   * the closed form from u = 0.1 (its cancellation costs under 1e-13 there), four terms of the series
   * u/3 + u^3/30 + u^5/840 + u^7/45360 below (the next, u^9/3991680, is under 3e-16 of it).
   */
  const besselI1 = (u: number) =>
    u < 0.1
      ? u / 3 + u ** 3 / 30 + u ** 5 / 840 + u ** 7 / 45360
      : (u * Math.cosh(u) - Math.sinh(u)) / (u * u);

  /** v = a i_1(r / lambda) (z x r) / r: London's velocity field, v_phi = a i_1(r / lambda) sin(theta). */
  const londonVelocities = (positions: Float64Array, lambda: number, a: number) => {
    const v = new Float64Array(positions.length);
    for (let k = 0; k < positions.length; k += 3) {
      const [x, y, z] = [positions[k], positions[k + 1], positions[k + 2]];
      const factor = (a * besselI1(Math.hypot(x, y, z) / lambda)) / Math.hypot(x, y, z);
      [v[k], v[k + 1]] = [-y * factor, x * factor];
    }
    return v;
  };

  test('the radial profile i_1(r/lambda)/i_1(R/lambda) on both sides of the series, and deep', () => {
    // u = r/lambda from 0.05 to 300; the series (u < 1) to 1e-13, where five terms were off by 2e-9 at 0.9.
    for (const [r, lambda] of [
      [0.05, 1],
      [0.45, 0.5],
      [0.4995, 0.5],
      [0.5005, 0.5],
      [0.6, 0.05],
    ]) {
      const expected = besselI1(r / lambda) / besselI1(1 / lambda);
      expect(Math.abs(londonRadialProfile(r, lambda) / expected - 1), `${r}, ${lambda}`).toBeLessThan(1e-13);
    }
    // i_1(u) ~ e^u (u - 1)/(2 u^2) at large u, past where cosh overflows: e^-200 (299/499)(500/300)^2.
    const deep = Math.exp(-200) * (299 / 499) * (500 / 300) ** 2;
    expect(Math.abs(londonRadialProfile(0.6, 0.002) / deep - 1)).toBeLessThan(1e-13);
    expect(londonRadialProfile(1, 1e-3)).toBe(1);
  });

  test.each([0.05, 0.3, 2])(
    "velocities made from London's field at lambda = %s R give lambda and a back to 1e-6",
    (lambda) => {
      const { positions } = geometry('ball', 3000);
      const a = 0.7;
      const fit = fitLondonProfile(positions, londonVelocities(positions, lambda, a))!;
      expect(Math.abs(fit.penetrationDepth / lambda - 1)).toBeLessThan(1e-6);
      // surfaceVelocity is v_phi / sin(theta) at r = R: a i_1(R / lambda).
      expect(Math.abs(fit.surfaceVelocity / (a * besselI1(1 / lambda)) - 1)).toBeLessThan(1e-6);
    },
  );

  test('the rigid rotation (lambda = infinity) gives none, as velocities with no azimuthal part', () => {
    const { positions } = geometry('ball', 3000);
    expect(fitLondonProfile(positions, rigidRotationVelocities(positions, [0, 0, 1]))).toBeNull();
    // The scan's upper end: a profile flatter than it reads as rigid too.
    const flat = londonVelocities(positions, 2 * kPenetrationDepthRange[1], 1);
    expect(fitLondonProfile(positions, flat)).toBeNull();
    const radial = Float64Array.from(positions);
    expect(fitLondonProfile(positions, radial)).toBeNull();
    // ... and the binned profile's decay length sees the rigid rotation's factor r as 0.39 R.
    const rigid = decayLength(currentProfile(positions, rigidRotationVelocities(positions, [0, 0, 1])))!;
    expect(rigid).toBeGreaterThan(0.38);
    expect(rigid).toBeLessThan(0.4);
  });

  test("London's lambda_L/R = 1/x for the ball, field or rotation; none elsewhere", () => {
    for (const drive of ['field', 'rotation'] as const) {
      expect(londonPenetrationDepth('ball', drive, 30)).toBe(1 / Math.sqrt(90));
    }
    for (const [shape, drive] of [
      ['ball', 'flux'],
      ['sphere', 'field'],
      ['disk', 'field'],
    ] as const) {
      expect(londonPenetrationDepth(shape, drive, 30)).toBeNull();
    }
  });
});

describe('decayLength: the binned e-folding depth', () => {
  const profile = (current: number[], counts: number[]) => ({
    depth: Float64Array.from(current, (_, b) => (b + 0.5) / current.length),
    current: Float64Array.from(current),
    counts: Int32Array.from(counts),
  });

  test('none where a bin that holds electrons has a current that is not positive', () => {
    // The ball of 250 at N r_e/R = 30: the current changes sign three bins in.
    const signs = [1, 0.263, 0.0054, -0.024, 0.0014, 0.0005, -0.0007, 0.0001, -0.0001, NaN];
    const counts = [70, 54, 40, 30, 20, 14, 10, 6, 6, 0];
    expect(decayLength(profile(signs, counts))).toBeNull();
    expect(decayLength(profile([1, 0.5, 0, 0.1, NaN], [5, 5, 5, 5, 0]))).toBeNull();
    // An empty bin (NaN) says nothing; e^(-depth/0.2) over the rest is fitted exactly.
    const decaying = [0, 1, 2, 3, 4].map((b) => Math.exp(-(b + 0.5) / 5 / 0.2));
    decaying[2] = NaN;
    expect(decayLength(profile(decaying, [5, 5, 0, 5, 5]))).toBeCloseTo(0.2, 12);
  });
});

describe('the continuum limit at fixed N r_e/R', () => {
  test('the Fibonacci sphere approaches the thin shell 1/(1 + N eps/3) like N^-1/2', async () => {
    const spec = responseSpec({ geometry: 'sphere', n: '100,200,400,800', nEpsilon: '3', device: 'cpu' });
    const result = await runResponse(spec, cpuOpen);
    const gaps = result.points.map((p) => p.screeningRatio - 0.5);
    for (let k = 1; k < gaps.length; k++) expect(gaps[k]).toBeLessThan(gaps[k - 1]);
    expect(gaps[0] / gaps[3]).toBeGreaterThan(2.3); // 8^(1/2) = 2.8 asymptotically
    const [limit] = result.limits;
    expect(limit.continuumRatio).toBe(shellContinuumRatio(3));
    expect(Math.abs(limit.extrapolatedRatio - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(limit.extrapolatedRatio - 0.5)).toBeLessThan(gaps[3] / 5);
  });

  test("the uniform ball approaches London's sphere at x^2 = 3 N r_e/R", async () => {
    const spec = responseSpec({ geometry: 'ball', n: '100,200,400,800', nEpsilon: '3', device: 'cpu' });
    const result = await runResponse(spec, cpuOpen);
    const [limit] = result.limits;
    expect(limit.continuumRatio).toBe(londonSphereRatio(3));
    // Measured 8.3e-5, within the study's own uncertainty (2.8e-4).
    expect(Math.abs(limit.extrapolatedRatio - londonSphereRatio(3))).toBeLessThan(5e-4);
    expect(limit.uncertainty).toBeGreaterThan(0);
    expect(Math.abs(limit.extrapolatedRatio - londonSphereRatio(3))).toBeLessThanOrEqual(limit.uncertainty);
    expect(result.points[3].screeningRatio - londonSphereRatio(3)).toBeGreaterThan(0.005);
  });

  test("the current decays inward faster as N r_e/R grows, nearing London's sphere's decay with N", async () => {
    const spec = responseSpec({ geometry: 'ball', n: '400,1600', nEpsilon: '1,30', device: 'cpu' });
    const [, coarse, weak, strong] = (await runResponse(spec, cpuOpen)).points;
    expect(strong.decayLength).not.toBeNull();
    expect(strong.decayLength!).toBeLessThan(0.5 * (weak.decayLength ?? Infinity));
    // London's sphere binned and fitted the same way decays over 0.123 R at N r_e/R = 30 (lambda_L
    // = R/x = 0.105 R): the discrete ball nears it from below (0.114 at N = 4000, 0.122 at 10^5).
    const continuum = continuumDecayLength(spec, 30)!;
    expect(strong.continuumDecayLength).toBe(continuum);
    // The ball of 400 is too coarse there: its binned current changes sign, and has no decay length.
    expect(coarse.profile.current.some((current) => current < 0)).toBe(true);
    expect(coarse.decayLength).toBeNull();
    expect(strong.decayLength!).toBeLessThan(continuum);
    expect(strong.decayLength! / continuum).toBeGreaterThan(0.8);
  });

  test("the ball's penetration depth, fitted as London's profile, nears lambda_L: 1% at N r_e/R = 3, 11% at 30", async () => {
    const spec = responseSpec({ geometry: 'ball', n: '250,1000', nEpsilon: '3,30', device: 'cpu' });
    const { points } = await runResponse(spec, cpuOpen);
    const at = (n: number, x: number) => points.find((p) => p.n === n && p.nEpsilon === x)!;
    const ratio = (n: number, x: number) => {
      const { penetrationDepth, londonPenetrationDepth } = at(n, x);
      expect(londonPenetrationDepth).toBe(1 / Math.sqrt(3 * x));
      return penetrationDepth! / londonPenetrationDepth!;
    };
    // lambda / lambda_L (float64, vector model) 0.9823 and 0.7716 at N = 250, 0.9884 and 0.8915 at
    // 1000, 0.9949 and 0.9473 at 4000: the discrete ball nears London's sphere from below, more slowly
    // where lambda_L (0.105 R at 30) is smaller than the spacing. Fitted in place of i_1, a pure
    // e^(-depth/lambda) gives 1.163 at 3, i_0 0.770; a factor 2 in x gives 0.5 or 2.
    expect(Math.abs(ratio(1000, 3) - 1)).toBeLessThan(0.02);
    expect(ratio(1000, 30)).toBeGreaterThan(0.87);
    expect(ratio(1000, 30)).toBeLessThan(0.92);
    expect(ratio(250, 30)).toBeLessThan(ratio(1000, 30) - 0.05);
    // The ball of 250 at 30: its binned current changes sign, so it has no e-folding depth.
    expect(at(250, 30).profile.current.some((current) => current < 0)).toBe(true);
    expect(at(250, 30).decayLength).toBeNull();
  });
});

test('--matrix tree: the sweep on the CPU tree equals the dense one to its tolerance', async () => {
  const spec = responseSpec({ geometry: 'ball', n: '600', nEpsilon: '3,30', device: 'cpu', matrix: 'tree' });
  // Small leaves and every M2L allowed: at N = 600 the default cost rule sums the ball directly.
  const treeOpen: BackendFactory = async (system) =>
    cpuTreeBackend(system, { tolerance: spec.treeTolerance, leafSize: 16, translationCost: 0 });
  // Checked on sampled rows of M, as past the dense check: each solve's residual against direct sums.
  const tree = await runResponse(spec, treeOpen, {}, 'sampled');
  const dense = await runResponse(spec, cpuOpen);
  tree.points.forEach((p, k) => {
    expect(p.tree!.translations).toBeGreaterThan(0);
    // Its true residual is the float64 tree's, the equation it solves.
    expect(p.trueResidualProduct).toBe('float64_tree');
    expect(dense.points[k].tree).toBeNull();
    // The tree's error on the solution, seen by 256 of the 600 electrons' rows as by all of them.
    const system: DarwinSystem = {
      configuration: p.configuration,
      model: 'vector',
      dim: 3,
      epsilon: p.epsilon,
      softening: 0,
    };
    const b = driveRightHandSide(system, spec.drive);
    const residual = relativeError(applyMassMatrixFree(system, p.velocities), b);
    expect(p.check).toBeNull();
    expect(dense.points[k].sampledResidual).toBeNull();
    expect(p.sampledResidual!).toBeGreaterThan(1e-9);
    expect(p.sampledResidual! / residual).toBeGreaterThan(0.5);
    expect(p.sampledResidual! / residual).toBeLessThan(2);
    expect(responseJson(tree, kCpuDevice).points[k].sampled_residual).toBe(p.sampledResidual);
    // Held as solve holds the CPU tree's sampled residual: 10 max(rtol 1e-8, the tree's 1e-5).
    expect(p.checkTarget).toBe(1e-4);
    expect(pointWithinTarget(p)).toBe(true);
    expect(dense.points[k].checkTarget).toBeNull();
    expect(pointWithinTarget(dense.points[k])).toBeNull();
    const difference = Math.abs(p.screeningRatio - dense.points[k].screeningRatio);
    expect(difference).toBeGreaterThan(0);
    expect(difference).toBeLessThan(10 * spec.treeTolerance * dense.points[k].screeningRatio);
    expect(relativeError(p.velocities, dense.points[k].velocities)).toBeLessThan(10 * spec.treeTolerance);
  });
  expect(responseJson(tree, kCpuDevice).tree).toEqual({ tolerance: 1e-5, n: [600] });
  expect('tree' in responseJson(dense, kCpuDevice)).toBe(false);
});

test('response --device cpu records --threads after "tree" where its tree served, not for the dense M', async () => {
  const args = ['--geometry', 'ball', '--n', '200', '--n-epsilon', '1', '--device', 'cpu', '--threads', '2'];
  const json = async (matrix: string) =>
    JSON.parse(
      toJson((await responseCommand([...args, '--matrix', matrix], new Progress({ quiet: true }))).summary),
    ) as Record<string, unknown>;
  const tree = await json('tree');
  // The float64 tree's products are the same for another count only to rounding, as solve's.
  expect(Object.keys(tree).slice(-3)).toEqual(['tree', 'threads', 'files']);
  expect(tree.threads).toBe(2);
  // The dense M gives the same bits on any count.
  const dense = await json('dense');
  expect('tree' in dense || 'threads' in dense).toBe(false);
});

test("past 15 625 electrons the sampled check's rows come in chunks, on the point's line; Stop between two drops the point", async () => {
  // 256 rows of 16 000 pairs: two chunks of kPairsPerPause pairs (250 electrons, then 6). At eps
  // 1e-9 M is nearly its diagonal: CG is done in an iteration or two.
  const spec = responseSpec({
    geometry: 'sphere',
    n: '16000',
    epsilon: '1e-9',
    device: 'cpu',
    matrix: 'tree',
  });
  const treeOpen: BackendFactory = async (system) =>
    cpuTreeBackend(system, { tolerance: spec.treeTolerance });
  const at = 'response: N = 16000, N r_e/R = 0.00001600';
  const lines: string[] = [];
  let pauses = 0;
  const result = await runResponse(
    spec,
    treeOpen,
    { progress: (text) => lines.push(text), pause: async () => void pauses++ },
    'sampled',
  );
  const checkLines = lines.filter((line) => line.includes('float64 check'));
  expect(checkLines).toEqual([
    `${at}, float64 check: sampled residual`,
    `${at}, float64 check: electron 251 of 256`,
  ]);
  // One pause before the point (the sweep's), one between the rows' two chunks.
  expect(pauses).toBe(2);
  // The residual the unpaced rows give, to the last bit.
  const [point] = result.points;
  const system: DarwinSystem = {
    configuration: point.configuration,
    model: 'vector',
    dim: 3,
    epsilon: point.epsilon,
    softening: 0,
  };
  const b = driveRightHandSide(system, spec.drive);
  const sample = checkSample(point.configuration);
  const solution = solutionOfTriples(system, point.velocities);
  const rows = sampledMassRows(system, solution, sample.electrons);
  expect(point.sampledResidual).toBe(sampledErrors(system, sample, b, null, rows).residual);
  expect(point.sampledResidual).toBeLessThan(point.checkTarget!);

  // Stop asked once the check began: the pause after its first chunk cuts the point short, and the
  // sweep, stopped, keeps none.
  let stop = false;
  const stopped = await runResponse(
    spec,
    treeOpen,
    { progress: (text) => (stop ||= text.endsWith('float64 check: sampled residual')), stopped: () => stop },
    'sampled',
  );
  expect(stop).toBe(true);
  expect(stopped.points).toEqual([]);
  expect(stopped.complete).toBe(false);
}, 120_000);

test("the page's sampled check, its rows from the reference worker: the residual the sweep's own thread sums, the sample formed once an N", async () => {
  // The GPU's float32 solves on the CPU, refined to 1e-10 as the page's are.
  const float32: BackendFactory = async (s) => ({ ...cpuBackend(s, 'float32'), name: 'gpu' as const });
  const spec = responseSpec({ geometry: 'sphere', n: '300,400', nEpsilon: '1,3', device: 'gpu' });
  const here = await runResponse(spec, float32, {}, 'sampled');
  const { reference, sent } = inProcessReference();
  const lines: string[] = [];
  const worker = await runResponse(
    spec,
    float32,
    { progress: (text) => lines.push(text) },
    {
      sampled: (system) => reference.sampled(`N = ${system.configuration.n}`, system),
    },
  );
  expect(worker.points.map((p) => p.sampledResidual)).toEqual(here.points.map((p) => p.sampledResidual));
  for (const p of worker.points) {
    expect(p.check).toBeNull();
    expect(p.denseResidual).toBeNull();
    // A refined solve's residual, held to 10 tol as solve's sampled residual is.
    expect(p.sampledResidual).toBeGreaterThan(1e-14);
    expect(p.checkTarget).toBe(1e-9);
    expect(pointWithinTarget(p)).toBe(true);
  }
  // The refinement's float64 products stay on this thread (float64Products()); the worker is asked
  // the sample once an N and the rows once a point, at the point's eps.
  expect(
    sent.map((r) => ('system' in r ? [r.kind, r.system.configuration.n, r.system.epsilon] : [r.kind])),
  ).toEqual([
    ['sample', 300, 0],
    ['rows', 300, 1 / 300],
    ['rows', 300, 3 / 300],
    ['sample', 400, 0],
    ['rows', 400, 1 / 400],
    ['rows', 400, 3 / 400],
  ]);
  expect(lines).toContain('response: N = 400, N r_e/R = 3.000, float64 check: sampled residual');
});

test("a Stop while the page's reference worker sums a point's sampled rows drops that point: the sweep ends with the one before", async () => {
  const float32: BackendFactory = async (s) => ({ ...cpuBackend(s, 'float32'), name: 'gpu' as const });
  const spec = responseSpec({ geometry: 'sphere', n: '300', nEpsilon: '1,3', device: 'gpu' });
  const answer = referenceAnswerer(() => undefined);
  let stop = false;
  let rows = 0;
  // The worker never answers the second point's rows: the Stop lands while the sweep waits for
  // them, and FloatReference's poll of it (every kStopPollMs, as the page's withReference asks) ends
  // the worker.
  const reference = new FloatReference(
    (listeners) => ({
      postMessage: (request) => {
        if (request.kind === 'rows' && ++rows === 2) stop = true;
        else void answer(request).then(listeners.message);
      },
      terminate: () => undefined,
    }),
    () => {
      if (stop) throw new RunStopped();
    },
  );
  const result = await runResponse(
    spec,
    float32,
    { stopped: () => stop },
    { sampled: (system) => reference.sampled(`N = ${system.configuration.n}`, system) },
  );
  expect(rows).toBe(2);
  expect(result.complete).toBe(false);
  expect(result.points.map((p) => p.nEpsilon)).toEqual([1]);
  expect(result.points[0].sampledResidual).toBeGreaterThan(1e-14);
});

/** The CPU's tree at 1e-4, which the sweeps below check against the dense float64 solve. */
const treeAt1e4: BackendFactory = async (system) =>
  cpuTreeBackend(system, { tolerance: 1e-4, leafSize: 16, translationCost: 0 });

/** A ball's sweep on treeAt1e4. */
function ballOnTree(n: string, nEpsilon: string) {
  return responseSpec({
    geometry: 'ball',
    n,
    nEpsilon,
    device: 'cpu',
    matrix: 'tree',
    treeTolerance: '1e-4',
  });
}

test("each point's check is held to solve's target for its backend; past it, within_target false and a warning line", async () => {
  // The velocities within 10 max(tree-tol, rtol 1e-8) = 1e-3, solve's target for the same backend.
  const result = await runResponse(ballOnTree('200', '1,3'), treeAt1e4, {}, cpuOpen);
  const json = responseJson(result, kCpuDevice);
  result.points.forEach((p, k) => {
    expect(p.check).toBeGreaterThan(1e-12);
    expect(p.check).toBeLessThan(1e-3);
    expect(p.checkTarget).toBe(1e-3);
    expect(p.checkTarget).toBe(solveTargetsFor({ name: 'cpu', tree: p.tree! }, 200, false, 1e-8).velocities);
    expect(pointWithinTarget(p)).toBe(true);
    expect(json.points[k]).toMatchObject({ check: p.check, check_target: 1e-3, within_target: true });
    // The CPU does not refine: no dense residual, the velocities held.
    expect(p.denseResidual).toBeNull();
    expect(json.points[k]).not.toHaveProperty('dense_residual');
  });
  expect(responseCheckWarnings(result.points)).toEqual([]);
  // The same points held to a target their checks exceed, and one whose check is NaN: past it.
  const [first, second] = result.points;
  const past = [
    { ...first, checkTarget: first.check! / 2 },
    { ...second, check: NaN },
  ];
  expect(past.map(pointWithinTarget)).toEqual([false, false]);
  const pastJson = responseJson({ ...result, points: past }, kCpuDevice);
  expect(pastJson.points.map((p) => p.within_target)).toEqual([false, false]);
  const e = (x: number) => x.toExponential(2);
  expect(responseCheckWarnings(past)).toEqual([
    `warning: the float64 check of N = 200, N r_e/R = 1 is past its target: check ${e(first.check!)} > ` +
      `check target ${e(first.check! / 2)} ("within_target": false)`,
    'warning: the float64 check of N = 200, N r_e/R = 3 is past its target: check NaN > check target ' +
      '1.00e-3 ("within_target": false)',
  ]);
  // A sampled residual past its target is named as the JSON names it.
  const sampled = { ...first, check: null, sampledResidual: 2e-3 };
  expect(pointWithinTarget(sampled)).toBe(false);
  expect(responseCheckWarnings([sampled])).toEqual([
    'warning: the float64 check of N = 200, N r_e/R = 1 is past its target: sampled_residual 2.00e-3 > ' +
      'check target 1.00e-3 ("within_target": false)',
  ]);
});

/** The float64 reference cut short: 10 CG steps at most. */
const shortOpen: BackendFactory = async (system) => {
  const backend = cpuBackend(system);
  return {
    ...backend,
    velocities: (p, solver, options) => backend.velocities(p, solver, { ...options, maxIterations: 10 }),
  };
};

test('a point whose solve, or whose float64 reference, did not converge is not checked, and says why', async () => {
  // The ball of 100 at N r_e/R = 30 is indefinite: CG stops diverged_indefinite on the tree and on
  // the dense reference alike, where the GPU's point had check 6e-6 against its target 1e-9
  // ("within_target": false) between two unfinished iterates.
  const spec = ballOnTree('100', '1,30');
  const result = await runResponse(spec, treeAt1e4, {}, cpuOpen);
  const [definite, indefinite] = result.points;
  expect(definite.converged).toBe(true);
  expect(definite.check).toBeLessThan(1e-3);
  expect(indefinite.reason).toBe('diverged_indefinite');
  expect(indefinite).toMatchObject({ check: null, checkTarget: null, referenceUnconverged: null });
  // A reference cut short (10 CG steps at most) leaves a converged point unchecked, with its reason.
  const cut = await runResponse(spec, treeAt1e4, {}, shortOpen);
  expect(cut.points[0]).toMatchObject({
    converged: true,
    check: null,
    referenceUnconverged: 'diverged_max_it',
  });
  for (const { points } of [result, cut]) {
    const json = responseJson({ ...result, points }, kCpuDevice).points;
    expect(json.map((p) => [p.check, p.check_target, p.within_target])).toContainEqual([null, null, null]);
    expect(responseCheckWarnings(points)).toEqual([]);
  }
  expect(responseJson(cut, kCpuDevice).points[0].reference_unconverged).toBe('diverged_max_it');
});

/** ||b - M v|| / ||b|| of a point's velocities with the float64 dense M (vector model, 3D), formed here. */
function denseResidualOf(p: ResponsePoint, shape: GeometryName, drive: DriveName): number {
  const s = system(shape, p.n, 'vector', 3, p.epsilon);
  return relativeError(applyMassMatrix(massMatrix(s), p.velocities), driveRightHandSide(s, drive));
}

test("a refined point near M's indefinite threshold is held to its float64 residual: its velocities' error, past 10 tol, given beside", async () => {
  // The ball of 100 at N r_e/R = 18.754, below its threshold 18.7559 (lambda_min(M) 1.0e-4, cond(M)
  // 1.5e5), solved by the GPU's float32 arithmetic on the CPU (refined to 1e-10 as the GPU's is): the
  // velocities are 4.7e-9 off the float64 reference's, past their target 10 tol, which was the point's,
  // while the residual the solve promises is 4.4e-11.
  const float32: BackendFactory = async (s) => ({ ...cpuBackend(s, 'float32'), name: 'gpu' as const });
  const spec = responseSpec({ geometry: 'ball', n: '100', nEpsilon: '18.754', device: 'gpu' });
  const result = await runResponse(spec, float32, {}, cpuOpen);
  const [p] = result.points;
  expect(p.converged).toBe(true);
  expect(p.trueResidualProduct).toBe('float64');
  const targets = solveTargetsFor({ name: 'gpu' }, 100, true, kResponseRtol);
  expect(targets).toMatchObject({ velocities: 1e-9, residual: 1e-9 });
  expect(p.check).toBeGreaterThan(4 * targets.velocities);
  expect(p.denseResidual).toBeGreaterThan(1e-12);
  expect(p.denseResidual).toBeLessThan(targets.residual / 10);
  expect(Math.abs(p.denseResidual! - denseResidualOf(p, 'ball', 'field'))).toBeLessThan(1e-14);
  expect(p.checkTarget).toBe(targets.residual);
  expect(pointWithinTarget(p)).toBe(true);
  expect(responseCheckWarnings(result.points)).toEqual([]);
  // Its velocities held to their own target instead would be past it.
  expect(pointWithinTarget({ ...p, denseResidual: null, checkTarget: targets.velocities })).toBe(false);
  const summary = responseSummary(result, kCpuDevice);
  expect(summary.points[0]).toMatchObject({
    check: p.check,
    dense_residual: p.denseResidual,
    check_target: 1e-9,
    within_target: true,
  });
  // The text: the residual beside the velocities' error, and which one the target holds.
  const lines = responseText(summary, [], null).split('\n');
  const header = lines.findIndex((line) => /^N +N r_e\/R +check /.test(line));
  const e = (x: number) => x.toExponential(2);
  expect(lines.slice(header, header + 4).map((line) => line.split(/ {2,}/))).toEqual([
    ['N', 'N r_e/R', 'check', 'dense res.', 'target', 'within'],
    expect.anything(),
    ['100', markdownNumber(18.754, 6), e(p.check!), e(p.denseResidual!), '1.00e-9', 'yes'],
    [
      "dense res.: a refined solve's float64 ||b - M v||/||b|| with the dense reference's M, which the " +
        "target holds in check's place: check, the velocities' error, is up to cond(M) times it",
    ],
  ]);
  // A reference cut short leaves the velocities unchecked; the residual, which needs none, is held.
  const cut = (await runResponse(spec, float32, {}, shortOpen)).points[0];
  expect(cut).toMatchObject({ check: null, referenceUnconverged: 'diverged_max_it' });
  expect(cut.denseResidual).toBe(p.denseResidual);
  expect(pointWithinTarget(cut)).toBe(true);
  // Its text says why its check cell is empty, though the point is judged.
  const cutLines = responseText(responseSummary({ ...result, points: [cut] }, kCpuDevice), [], null).split(
    '\n',
  );
  const cutHeader = cutLines.findIndex((line) => /^N +N r_e\/R +check /.test(line));
  expect(cutLines[cutHeader + 2].split(/ {2,}/)).toEqual([
    '100',
    markdownNumber(18.754, 6),
    '- [1]',
    e(cut.denseResidual!),
    '1.00e-9',
    'yes',
  ]);
  expect(cutLines).toContain(
    '[1] check not measured: the float64 reference did not converge (diverged_max_it)',
  );
  // A file written before dense_residual was reads back the same, the card's check of that point
  // then its velocities' `check` alone (denseResidual null).
  const json = JSON.parse(toJson(summary)) as { points: Record<string, unknown>[] };
  const older = structuredClone(json);
  delete older.points[0].dense_residual;
  const current = responseFromJson(json, 'r.json');
  expect(current.points[0].denseResidual).toBe(summary.points[0].dense_residual);
  expect(responseFromJson(older, 'r.json')).toEqual({
    ...current,
    points: [{ ...current.points[0], denseResidual: null }, ...current.points.slice(1)],
  });
});

test("the JSON reports each solve's true residual, recomputed here, and the limit's law exponent with its free fit", async () => {
  const spec = responseSpec({ geometry: 'sphere', n: '40,80,160,320', nEpsilon: '3', device: 'cpu' });
  const result = await runResponse(spec, cpuOpen, {});
  const json = responseJson(result, kCpuDevice);
  for (const [k, p] of result.points.entries()) {
    // ||b - M s|| / ||b|| from the velocities with the pair sum of eq. 48, not the backend's dense M.
    const s = system('sphere', p.n, 'vector', 3, p.epsilon);
    const b = driveRightHandSide(s, 'field');
    const residual = relativeError(applyMassMatrixFree(s, p.velocities), b);
    expect(json.points[k].true_relative_residual).toBe(p.trueRelativeResidual);
    expect(json.points[k].true_residual_product).toBe('float64');
    expect(p.trueRelativeResidual).toBeLessThanOrEqual(kResponseRtol);
    expect(Math.abs(p.trueRelativeResidual - residual)).toBeLessThan(1e-3 * residual);
  }
  // A thin shell's finite-size law goes as N^-1/2; four N fit the exponent freely too, near it.
  const [limit] = json.limits;
  expect(limit.exponent).toBe(0.5);
  expect(limit.law).toBe('screening_ratio = c + b N^-1/2');
  expect(limit.free_exponent).toBeGreaterThan(0.25);
  expect(limit.free_exponent).toBeLessThan(1);
  // The c that exponent gives and its distance from the law's, as fitLaw has them (scaling's keys).
  const fit = fitLaw(
    inversePowerLaw(0.5),
    result.points.map((p) => p.n),
    result.points.map((p) => p.screeningRatio),
  )!;
  expect(limit.free_exponent_coefficient).toBe(fit.freeExponentCoefficient);
  expect(limit.uncertainty_systematic).toBe(fit.uncertaintySystematic);
  expect(limit.uncertainty_systematic).toBe(
    Math.abs(limit.free_exponent_coefficient! - limit.extrapolated_ratio),
  );
  expect(responseMarkdown(result)).toContain(
    `${markdownNumber(limit.extrapolated_ratio)} ± ${markdownNumber(limit.uncertainty, 2)}* ` +
      `(p free: ${markdownNumber(limit.free_exponent_coefficient)})`,
  );
  const three = await runResponse(
    responseSpec({ geometry: 'sphere', n: '40,80,160', nEpsilon: '3', device: 'cpu' }),
    cpuOpen,
    {},
  );
  expect(responseJson(three, kCpuDevice).limits[0].free_exponent).toBeNull();
  expect(responseJson(three, kCpuDevice).limits[0].uncertainty_systematic).toBe(0);
});

test("a limit's c with p free beside the law's: ratios c + b N^-0.6 exactly, the law's 2/3 misses c", () => {
  // The ball's law fixes p = 2/3; ratios whose finite-N term decays as N^-0.6 (as the ball's do over
  // N = 250..4000) put the fixed-p fit's c off by more than its ±, and the free fit finds c and p.
  const ns = [250, 500, 1000, 2000, 4000];
  const [c, b, p] = [0.5473, 0.6, 0.6];
  const ratios = ns.map((n) => c + b * n ** -p);
  const limit = responseLimit({ geometry: 'ball', drive: 'field' }, 3, ns, ratios)!;
  expect(limit.exponent).toBeCloseTo(2 / 3, 15);
  expect(limit.freeExponent).toBeCloseTo(p, 5);
  expect(limit.freeExponentCoefficient).toBeCloseTo(c, 7);
  expect(limit.uncertaintySystematic).toBe(
    Math.abs(limit.freeExponentCoefficient! - limit.extrapolatedRatio),
  );
  expect(limit.extrapolatedRatio - c).toBeGreaterThan(limit.uncertainty);
  expect(Math.abs(limit.uncertaintySystematic - (limit.extrapolatedRatio - c))).toBeLessThan(1e-7);
});

describe('m_indefinite: M indefinite where the drive cannot see it', () => {
  // The azimuthal ring of 4: S's circulant eigenvalues are sum_j V_phi(pi j/2) cos(k pi j/2), with
  // V_phi(pi/2) = sqrt 2/8 and V_phi(pi) = -1/4; at k = 2, mu_min = -(sqrt 2 + 1)/4, so M = I + eps S
  // turns indefinite at N r_e/R = 16/(sqrt 2 + 1) = 6.627; the field drives the uniform mode, k = 0,
  // whose mu = (sqrt 2 - 1)/4 > 0.
  const muMin = -(Math.SQRT2 + 1) / 4;
  test('the ring of 4 on either side of its threshold, N r_e/R = 16/(sqrt 2 + 1)', async () => {
    expect(4 / -muMin).toBeCloseTo(6.6274, 4);
    const spec = responseSpec({
      geometry: 'ring',
      model: 'azimuthal',
      n: '4',
      nEpsilon: '1,6.5,6.8',
      device: 'cpu',
    });
    const result = await runResponse(spec, cpuOpen);
    // CG converges at all three (b is the uniform mode), its ratio the circulant's; only Lanczos sees M.
    expect(result.points.map((p) => p.converged)).toEqual([true, true, true]);
    expect(result.points.map((p) => p.mIndefinite)).toEqual([false, false, true]);
    for (const p of result.points)
      expect(p.screeningRatio).toBeCloseTo(ringContinuumRatio(4, p.epsilon)!, 10);
    expect(responseJson(result, kCpuDevice).points.map((p) => p.m_indefinite)).toEqual([false, false, true]);
    expect(responseIndefiniteWarning(result.points)).toBe(
      'warning: M is indefinite at N = 4 at N r_e/R = 6.8 ("m_indefinite": true): electrons within about r_e ' +
        "of each other, outside the model's validity; a converged point's values there solve M v = b " +
        'exactly but describe no physical screening',
    );
  });

  test('pointIndefinite: negative curvature, or lambda_min = 1 + eps mu_min beyond its bounds; else null', () => {
    // A converged run's extremes at eps = 1: theta_min = 1 + mu_min within 1e-3.
    const spectrum = {
      lambdaMin: 1 + muMin,
      lambdaMax: 2,
      residualMin: 1e-3,
      rounding: 1e-15,
      converged: true,
    };
    const threshold = -1 / muMin;
    expect(pointIndefinite('converged_rtol', spectrum, 4, threshold * 1.01)).toBe(true);
    expect(pointIndefinite('converged_rtol', spectrum, 4, threshold * 0.99)).toBe(false);
    // Within the residual bound of the edge: neither established.
    expect(pointIndefinite('converged_rtol', spectrum, 4, threshold * 0.9995)).toBeNull();
    expect(pointIndefinite('converged_rtol', null, 4, threshold * 2)).toBeNull();
    expect(pointIndefinite('diverged_indefinite', null, 4, threshold * 0.5)).toBe(true);
  });

  test("on the tree, the probe's bounds hold the tree's error too: a point near the edge is undecided", async () => {
    // The azimuthal ring of 4 turns indefinite at N r_e/R = 6.627: lambda_min is 0.019 at 6.5, within
    // the tree's error at 2e-2, eps t max(|theta|, |theta - 1|), though its Lanczos run (one leaf: direct sums) is exact.
    const ring = { geometry: 'ring', model: 'azimuthal', n: '4', nEpsilon: '3,6.5,10', device: 'cpu' };
    const dense = await runResponse(responseSpec(ring), cpuOpen);
    const tree = await runResponse(
      responseSpec({ ...ring, matrix: 'tree', treeTolerance: '2e-2' }),
      async (system) => cpuTreeBackend(system, { tolerance: 2e-2, leafSize: 16, translationCost: 0 }),
    );
    expect(tree.points.every((p) => p.tree?.translations === 0)).toBe(true);
    expect(dense.points.map((p) => p.mIndefinite)).toEqual([false, false, true]);
    expect(tree.points.map((p) => p.mIndefinite)).toEqual([false, null, true]);
  });

  test("the tree's error on I + S is t ||S|| where S is strongly indefinite, t max|theta| elsewhere", () => {
    // The tree's tolerance t is relative to its product of T (= S in the vector model): Weyl moves each
    // theta by up to t ||S|| = t max |theta - 1|, past t max |theta| once theta_min < -(theta_max - 1)/2.
    const run = (interactionMin: number, interactionMax: number) =>
      ({
        interactionMin,
        interactionMax,
        lanczos: { residualMin: 0, rounding: 0 },
      }) as unknown as Parameters<typeof unitExtremes>[0];
    const t = 1e-5;
    // The sphere of 250 at eps = 1: mu_min about -8.7 (theta_min -7.7), theta_max 3: ||S|| = 8.7.
    expect(unitExtremes(run(-8.7, 2), 1, { tolerance: t }).rounding).toBeCloseTo(t * 8.7, 15);
    // The ring of 4: theta in [0.396, 1.25], ||S|| = 0.604 < max|theta| = 1.25.
    expect(unitExtremes(run(-0.604, 0.25), 1, { tolerance: t }).rounding).toBeCloseTo(t * 1.25, 15);
    expect(unitExtremes(run(-8.7, 2), 1, undefined).rounding).toBe(0);
  });

  test('the sphere of 250 at N r_e/R = 30: CG converges, M is not positive definite (lambda_min -0.040)', async () => {
    const spec = responseSpec({ geometry: 'sphere', n: '250', nEpsilon: '3,30', device: 'cpu' });
    const result = await runResponse(spec, cpuOpen);
    expect(result.points.map((p) => [p.converged, p.mIndefinite])).toEqual([
      [true, false],
      [true, true],
    ]);
    // Its closest pair is 0.196 R apart: within kIndefiniteReach eps = 0.48 R, and not at N r_e/R = 3 alone.
    const configuration = geometry('sphere', 250);
    expect(mayBeIndefinite(configuration, 30 / 250)).toBe(true);
    expect(mayBeIndefinite(configuration, 3 / 250)).toBe(false);
    // Where no pair is that close no Lanczos runs: null, not established.
    const far = await runResponse(
      responseSpec({ geometry: 'sphere', n: '250', nEpsilon: '3', device: 'cpu' }),
      cpuOpen,
    );
    expect(far.points[0].mIndefinite).toBeNull();
  });
});

test("Stop ends the sweep with the points it finished (study.ts's rule: a cut point is dropped)", async () => {
  const spec = responseSpec({ geometry: 'ring', n: '8,16', nEpsilon: '1,2', device: 'cpu' });
  let started = 0;
  let last = '';
  // Stop is pressed during the fourth solve: the fourth point is dropped.
  const result = await runResponse(spec, cpuOpen, {
    progress: (text) => {
      last = text;
      if (text.startsWith('response: N =') && !text.includes('iteration')) started++;
    },
    stopped: () => started > 3,
  });
  expect(result.complete).toBe(false);
  expect(result.points.map((p) => [p.n, p.nEpsilon])).toEqual([
    [8, 1],
    [8, 2],
    [16, 1],
  ]);
  // The last line says the sweep stopped, not that it is done.
  expect(last).toBe('response: stopped after 3 of 4 points');
  const complete = await runResponse(spec, cpuOpen, { progress: (text) => (last = text) });
  expect(complete.complete).toBe(true);
  expect(last).toBe('response: done');
});

test("each CG iteration shows on its point's progress line, and Stop takes effect between two", async () => {
  const spec = responseSpec({ geometry: 'ball', n: '300', nEpsilon: '3,30', device: 'cpu' });
  const lines: string[] = [];
  const result = await runResponse(spec, cpuOpen, { progress: (text) => lines.push(text) });
  for (const [k, point] of result.points.entries()) {
    const at = `response: N = 300, N r_e/R = ${point.nEpsilon.toPrecision(4)}`;
    const iterations = lines.filter((line) => line.startsWith(`${at}, CG iteration `));
    expect(iterations).toHaveLength(point.iterations);
    expect(iterations.at(-1)).toMatch(
      new RegExp(`CG iteration ${point.iterations}: relative residual \\d\\.\\d{3}e-\\d+$`),
    );
    expect(lines.indexOf(at)).toBeLessThan(lines.indexOf(iterations[0]));
    if (k === 1) expect(point.iterations).toBeGreaterThan(3);
  }
  // Stop pressed at the strong point's third iteration: its solve ends there, and the point is
  // dropped without its field map (each point of the largest N has one; the first is summed).
  let seen = 0;
  let maps = 0;
  const mapped = responseSpec({ geometry: 'ball', n: '300', nEpsilon: '3,30', grid: '5', device: 'cpu' });
  // Counts the sums; their values (zero) do not matter here.
  const fieldSum: ReducedFieldSum = async (_positions, _velocities, points) => {
    maps++;
    return new Float64Array(points.length);
  };
  const stopped = await runResponse(
    mapped,
    cpuOpen,
    {
      progress: (text) => {
        if (text.includes('N r_e/R = 30.00, CG iteration')) seen++;
      },
      stopped: () => seen >= 3,
    },
    null,
    fieldSum,
  );
  expect(seen).toBe(3);
  expect(maps).toBe(1);
  expect(stopped.complete).toBe(false);
  expect(stopped.points.map((p) => p.nEpsilon)).toEqual([3]);
});

describe('rotation: the London moment (eq. 27-30)', () => {
  test('the lag current is the field drive solved with omega_L = -Omega', async () => {
    const spec = (drive: string) =>
      responseSpec({ geometry: 'sphere', n: '150', nEpsilon: '0.5,5', drive, device: 'cpu' });
    const field = await runResponse(spec('field'), cpuOpen);
    const rotation = await runResponse(spec('rotation'), cpuOpen);
    // The centre fields in SI from the float64 Biot-Savart sum of the solved velocities, against
    // the ratios the study forms in reduced units (response.ts inducedFieldRatio, londonFieldRatio).
    const tesla = 0.013;
    const omega = 2.5e4; // rad/s
    // Field drive: v = omega_L R s, omega_L = -e B / 2m = |e| B / 2m (eq. 17).
    for (const p of field.points) {
      const induced = centreFieldSi(p, (kElementaryCharge * tesla) / (2 * kElectronMass));
      expect(p.fieldCentreRatio!).toBeCloseTo(1 + induced / tesla, 12);
      expect(p.fieldCentreRatio!).toBeLessThan(1);
    }
    rotation.points.forEach((p, k) => {
      expect(p.screeningRatio).toBe(field.points[k].screeningRatio);
      // Relative to the lattice v' = -Omega R s; in the co-rotating frame B_eff = 2 m Omega / e,
      // along -z for e = -|e|, and the total centre field is B_eff + B_induced.
      const induced = centreFieldSi(p, -omega);
      const effective = (-2 * kElectronMass * omega) / kElementaryCharge;
      expect(p.fieldCentreRatio!).toBeCloseTo(1 + induced / effective, 12);
      // The net current (ions at u, electrons at u + v') is -|e| v', whose field is B_induced:
      // over the London field 2 m Omega / |e| along +Omega (eq. 27).
      const london = (2 * kElectronMass * omega) / kElementaryCharge;
      expect(p.londonFieldRatio!).toBeCloseTo(induced / london, 12);
      expect(p.londonFieldRatio!).toBeGreaterThan(0);
    });
  });

  test("N_eff r_e/R is the London field ratio times the body's eq. 30 parameter (Biot-Savart in SI)", async () => {
    const spec = responseSpec({
      geometry: 'sphere',
      n: '300',
      nEpsilon: '0.01,3,30',
      drive: 'rotation',
      device: 'cpu',
    });
    const points = (await runResponse(spec, cpuOpen)).points;
    const parameter = londonParameter(geometry('sphere', 300));
    for (const p of points) expect(p.nEffEpsilon! / (p.londonFieldRatio! * parameter)).toBeCloseTo(1, 10);
    // Weak coupling: every electron lags, N_eff -> N (less the screening, 1 - N eps/3 on the shell);
    // strong: the field nears London's, N_eff r_e/R nears eq. 30's 3.
    expect(1 - points[0].nEffEpsilon! / 0.01).toBeGreaterThan(0);
    expect(1 - points[0].nEffEpsilon! / 0.01).toBeLessThan(0.01 / 3 + 0.001);
    expect(Math.abs(points[2].nEffEpsilon! - 3)).toBeLessThan(0.3);
    expect(points[2].londonFieldRatio).toBeGreaterThan(0.9);
  });
});

describe('bad input', () => {
  const refuses = (input: ResponseInput, field: string) => {
    let error: unknown = null;
    try {
      responseSpec(input);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).field).toBe(field);
    expect((error as InputError).message).not.toContain('\n');
  };

  test('each mistake names its field', () => {
    // The cube of 27 electrons has a column on the z axis: the solenoid's flux is infinite there. So
    // has every cube (square) of an odd side: refused as an N, naming the nearest of an even side.
    refuses({ geometry: 'cube', n: '27', drive: 'flux' }, 'n');
    expect(() => responseSpec({ geometry: 'cube', n: '64,125', drive: 'flux' })).toThrow(
      'n must be cubes of an even side for the flux drive on the cube (an odd side puts electrons on the ' +
        'z axis, the solenoid), got 125: 64 or 216',
    );
    expect(() => responseSpec({ geometry: 'square', n: '25', drive: 'flux' })).toThrow('got 25: 16 or 36');
    // A partial one under flux names the nearest whole ones of an even side, not 64 or 125.
    expect(() => responseSpec({ geometry: 'cube', n: '100', drive: 'flux' })).toThrow(
      'n must be cubes of an even side for the flux drive on the cube (a partial last layer moves the ' +
        'body off the centre), got 100: 64 or 216',
    );
    expect(() => responseSpec({ geometry: 'cube', n: '200', drive: 'flux' })).toThrow('got 200: 64 or 216');
    expect(() => responseSpec({ geometry: 'square', n: '10', drive: 'flux' })).toThrow('got 10: 4 or 16');
    expect(() => responseSpec({ geometry: 'cube', n: '5', drive: 'flux' })).toThrow(/got 5: 8$/);
    expect(responseSpec({ geometry: 'cube', n: '8,64,216', drive: 'flux', device: 'cpu' }).ns).toEqual([
      8, 64, 216,
    ]);
    expect(responseSpec({ geometry: 'cube', n: '125', drive: 'field', device: 'cpu' }).ns).toEqual([125]);
    refuses({ geometry: 'ring', n: '8', nEpsilon: '0' }, 'nEpsilon');
    refuses({ geometry: 'ring', n: '8', nEpsilon: '1,-2' }, 'nEpsilon');
    refuses({ geometry: 'ring', n: '8', epsilon: '0' }, 'epsilon');
    refuses({ geometry: 'ring', n: '8', drive: 'spin' }, 'drive');
    refuses({ geometry: 'torus', n: '8' }, 'geometry');
    refuses({ geometry: 'ring', n: '1' }, 'n');
    // A cube (square) of a partial last layer is cut off-centre: N must be a whole cube (square).
    refuses({ geometry: 'cube', n: '27,250' }, 'n');
    expect(() => responseSpec({ geometry: 'cube', n: '250' })).toThrow(
      'n must be whole cubes for the cube (a partial last layer moves the body off the centre), got 250: 216 or 343',
    );
    expect(() => responseSpec({ geometry: 'square', n: '10' })).toThrow('got 10: 9 or 16');
    expect(responseSpec({ geometry: 'square', n: '9,16', device: 'cpu' }).ns).toEqual([9, 16]);
    refuses({ geometry: 'ring', n: '8', grid: '2' }, 'grid');
    refuses({ geometry: 'ring', n: '8', epsilon: '0.1', nEpsilon: '1' }, 'nEpsilon');
  });

  test("the CPU's dense M takes fewer electrons than the GPU; the tree (and auto on the CPU) far more", () => {
    // As the CPU backend that 'auto' picks up to the same size: kMaxDenseSize = 16 384 unknowns.
    const dense = { device: 'cpu', matrix: 'dense' } as const;
    for (const [geometry, model, dim, largest] of [
      ['ball', 'vector', '3', 5461],
      ['disk', 'vector', '2', 8192],
      ['ring', 'azimuthal', '3', 16384],
    ] as const) {
      expect(responseSpec({ geometry, model, dim, n: String(largest), ...dense }).ns).toEqual([largest]);
      refuses({ geometry, model, dim, n: String(largest + 1), ...dense }, 'n');
    }
    refuses({ geometry: 'ball', n: '6000', device: 'cpu', matrix: 'dense' }, 'n');
    expect(responseSpec({ geometry: 'ball', n: '6000', device: 'gpu' }).ns).toEqual([6000]);
    refuses({ geometry: 'ball', n: '50000', device: 'gpu' }, 'n');
    for (const [device, matrix] of [
      ['cpu', 'auto'],
      ['cpu', 'tree'],
      ['gpu', 'tree'],
    ] as const) {
      const spec = responseSpec({ geometry: 'ball', n: '50000', device, matrix });
      expect(spec.ns).toEqual([50000]);
      expect(spec.matrix).toBe(matrix);
    }
    refuses(
      { geometry: 'ball', n: String(kResponseLimits.maxNTree + 1), device: 'cpu', matrix: 'tree' },
      'n',
    );
  });

  test('the tree tolerance: default kDefaultTreeTolerance, in (0, 1)', () => {
    expect(responseSpec({ geometry: 'ball', n: '100', device: 'cpu' }).treeTolerance).toBe(1e-5);
    expect(responseSpec({ geometry: 'ball', n: '100', treeTolerance: '1e-3' }).treeTolerance).toBe(1e-3);
    for (const text of ['0', '1', 'abc'])
      refuses({ geometry: 'ball', n: '100', treeTolerance: text }, 'treeTolerance');
    refuses({ geometry: 'ball', n: '100', matrix: 'trees' }, 'matrix');
  });

  test('a body on the axis has nothing to turn', () => {
    const configuration = { n: 2, positions: Float64Array.from([0, 0, 0.5, 0, 0, -0.5]), source: 'axis' };
    for (const drive of ['field', 'rotation', 'flux'] as const) {
      expect(() => validateDrive(configuration, drive)).toThrow(InputError);
    }
  });

  test('no continuum value where the theory has none', () => {
    expect(continuumLimit('disk', 'field', 1)).toBeNull();
    expect(continuumLimit('sphere', 'flux', 1)).toBeNull();
    expect(continuumLimit('ring', 'field', 1)).toBeNull();
  });
});

describe('one backend per N: T assembled once, eps moved by setEpsilon, solves warm-started', () => {
  /** cpuBackend, counting what the sweep does with it. */
  function countingOpen(log: { opened: [number, number][]; moved: number[]; disposed: number }) {
    const open: BackendFactory = async (s) => {
      log.opened.push([s.configuration.n, s.epsilon]);
      const inner = cpuBackend(s);
      return {
        name: inner.name,
        get system() {
          return inner.system;
        },
        momenta: (v) => inner.momenta(v),
        interaction: (v) => inner.interaction(v),
        velocities: (p, solver, options) => inner.velocities(p, solver, options),
        spectrum: (options) => inner.spectrum(options),
        setEpsilon: (epsilon) => {
          log.moved.push(epsilon);
          inner.setEpsilon(epsilon);
        },
        dispose: () => {
          log.disposed++;
          inner.dispose();
        },
      };
    };
    return open;
  }

  test('six N r_e/R at each of two N: two assemblies, five moves each, the same ratios', async () => {
    const spec = responseSpec({ geometry: 'sphere', n: '60,90', device: 'cpu' });
    const xs = [0.1, 0.3, 1, 3, 10, 30];
    expect(spec.scale).toEqual({ kind: 'nEpsilon', values: xs });
    const backends = { opened: [] as [number, number][], moved: [] as number[], disposed: 0 };
    const references = { opened: [] as [number, number][], moved: [] as number[], disposed: 0 };
    const result = await runResponse(spec, countingOpen(backends), {}, countingOpen(references));
    // The reference solves only where the point's solve converged (no check otherwise): not at 30,
    // where the sphere is indefinite.
    expect(result.points.filter((p) => !p.converged).map((p) => p.nEpsilon)).toEqual([30, 30]);
    for (const [log, checked] of [
      [backends, xs],
      [references, xs.slice(0, -1)],
    ] as const) {
      expect(log.opened).toEqual([
        [60, 0.1 / 60],
        [90, 0.1 / 90],
      ]);
      expect(log.moved).toEqual([
        ...checked.slice(1).map((x) => x / 60),
        ...checked.slice(1).map((x) => x / 90),
      ]);
      expect(log.disposed).toBe(2);
    }
    let warmIterations = 0;
    let coldIterations = 0;
    for (const p of result.points) {
      const s = system('sphere', p.n, 'vector', 3, p.epsilon);
      const cold = await cpuBackend(s).velocities(driveRightHandSide(s, 'field'), 'cg', {
        rtol: kResponseRtol,
      });
      // N r_e/R = 30 puts eps |lambda_min(T)| past 1: M is indefinite, with or without a warm start.
      expect(p.reason).toBe(cold.reason);
      if (!p.converged) continue;
      expect(p.iterations).toBeLessThanOrEqual(cold.iterations);
      coldIterations += cold.iterations;
      warmIterations += p.iterations;
      expect(Math.abs(p.screeningRatio / (await cpuRatio(s, 'field')) - 1)).toBeLessThan(1e-7);
      expect(p.check).toBeLessThan(1e-7);
    }
    expect(result.points.filter((p) => p.converged)).toHaveLength(10);
    expect(warmIterations).toBeLessThan(coldIterations);
  });

  test('sweepWarmStart: the Galerkin solution in the span of the earlier ones, none where M is not SPD', async () => {
    // D = I, b = e_1, x = 2 e_1 solved M(1) x = b, so T e_1 = -e_1 / 2 and M(eps) x = (2 - eps) e_1.
    const b = Float64Array.from([1, 0]);
    const solved = [{ epsilon: 1, x: Float64Array.from([2, 0]), relativeResidual: 0 }];
    const start = (epsilon: number) =>
      Array.from(sweepWarmStart(Float64Array.from([1, 1]), b, epsilon, solved)!);
    expect(start(1)[0]).toBeCloseTo(2, 14);
    // M(1.5) e_1 = e_1 / 4.
    expect(start(1.5)[0]).toBeCloseTo(4, 14);
    expect(start(1.5)[1]).toBe(0);
    expect(sweepWarmStart(Float64Array.from([1, 1]), b, 3, solved)).toBeUndefined();
    expect(sweepWarmStart(Float64Array.from([1, 1]), b, 1, [])).toBeUndefined();

    // A sphere's solutions at three eps span a start at a fourth far nearer than any one of them.
    const at = (epsilon: number) => system('sphere', 60, 'vector', 3, epsilon);
    const rhs = driveRightHandSide(at(0.01), 'field');
    const solve = async (epsilon: number) => {
      const result = await cpuBackend(at(epsilon)).velocities(rhs, 'cg', { rtol: 1e-13 });
      return { epsilon, x: result.x, relativeResidual: result.trueRelativeResidual };
    };
    const earlier = await Promise.all([0.005, 0.01, 0.02].map(solve));
    const exact = (await solve(0.04)).x;
    const diagonal = massDiagonal(at(0.04));
    const fromAll = sweepWarmStart(diagonal, rhs, 0.04, earlier)!;
    const fromLast = sweepWarmStart(diagonal, rhs, 0.04, earlier.slice(-1))!;
    const error = (x: Float64Array) => relativeError(x, exact);
    expect(error(fromAll)).toBeLessThan(0.1 * error(fromLast));
    expect(error(fromLast)).toBeLessThan(error(earlier[2].x));
  });

  test('the ring: the previous solution, rescaled, is the next one (b is the uniform mode)', async () => {
    const spec = responseSpec({ geometry: 'ring', n: '32', nEpsilon: '0.5,1,2', device: 'cpu' });
    const [first, ...rest] = (await runResponse(spec, cpuOpen)).points;
    expect(first.iterations).toBe(1);
    for (const p of rest) {
      expect(p.iterations).toBe(0);
      expect(p.screeningRatio).toBeCloseTo(ringContinuumRatio(p.n, p.epsilon)!, 10);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The GPU (float32) against the float64 reference.

const gpu = gpuHarness(120_000);

function gpuOpen(context: GpuContext, matrix: 'dense' | 'free' | 'tree'): BackendFactory {
  return (s) => gpuBackend(context, s, { matrix });
}

function expectClose(got: ResponsePoint[], expected: ResponsePoint[]) {
  expect(got.length).toBe(expected.length);
  got.forEach((p, k) => {
    const q = expected[k];
    expect(p.converged, `N = ${p.n}, N r_e/R = ${p.nEpsilon}: ${p.reason}`).toBe(true);
    expect(Math.abs(p.screeningRatio - q.screeningRatio)).toBeLessThan(kRefinedTolerance * q.screeningRatio);
    for (const key of ['fieldCentreRatio', 'londonFieldRatio', 'nEffEpsilon'] as const) {
      if (q[key] === null) expect(p[key]).toBeNull();
      else
        expect(Math.abs(p[key]! - q[key]!)).toBeLessThan(kRefinedTolerance * Math.max(1, Math.abs(q[key]!)));
    }
  });
}

describe('GPU', () => {
  gpu.test('the ring closed form in float32, both models', async (context) => {
    for (const model of ['azimuthal', 'vector'] as const) {
      const spec = responseSpec({ geometry: 'ring', n: '8,33,128', model, nEpsilon: '0.3,3', device: 'gpu' });
      const result = await runResponse(spec, gpuOpen(context, 'dense'));
      for (const p of result.points) {
        expect(p.converged).toBe(true);
        expect(Math.abs(p.screeningRatio - ringContinuumRatio(p.n, p.epsilon)!)).toBeLessThan(
          kRefinedTolerance * p.screeningRatio,
        );
      }
    }
  });

  const kMapCases: readonly { drive: DriveName; input: ResponseInput }[] = [
    // The cube's centre electron sits on the 9 x 9 map's centre point: summed in float64 there.
    { drive: 'field', input: { geometry: 'cube', n: '27', grid: '9' } },
    { drive: 'rotation', input: { geometry: 'sphere', n: '120', grid: '17' } },
  ];
  for (const { drive, input } of kMapCases) {
    gpu.test(`the ${drive} map on the ${input.geometry} by the GPU Biot-Savart sum`, async (context) => {
      const spec = responseSpec({ ...input, drive, nEpsilon: '1,3', device: 'gpu' });
      const fieldSum: ReducedFieldSum = (positions, velocities, points) =>
        gpuMovingChargesField(context, positions, velocities, points);
      const got = await runResponse(spec, gpuOpen(context, 'dense'), {}, null, fieldSum);
      const expected = await runResponse({ ...spec, device: 'cpu' }, cpuOpen);
      expectClose(got.points, expected.points);
      got.points.forEach((p, k) => {
        const q = expected.points[k];
        expect(q.fieldMapCheck).toBeNull();
        // float32 sums of a few hundred terms against float64: rounding, not zero.
        expect(p.fieldMapCheck).toBeGreaterThan(0);
        expect(p.fieldMapCheck).toBeLessThan(1e-5);
        const map = p.fieldMap!;
        const reference = q.fieldMap!;
        expect(map).toHaveLength(reference.length);
        const scale = Math.max(...reference.map(Math.abs));
        const worst = Math.max(...map.map((value, cell) => Math.abs(value - reference[cell])));
        expect(worst).toBeLessThan(kGpuTolerance * scale);
      });
    });
  }

  const kGpuCases: readonly { drive: DriveName; input: ResponseInput; matrix: 'dense' | 'free' }[] = [
    { drive: 'field', input: { geometry: 'sphere', n: '120' }, matrix: 'dense' },
    { drive: 'field', input: { geometry: 'disk', n: '100', dim: '2' }, matrix: 'free' },
    { drive: 'flux', input: { geometry: 'annulus', n: '90', model: 'azimuthal' }, matrix: 'dense' },
    { drive: 'flux', input: { geometry: 'sphere', n: '120' }, matrix: 'free' },
    { drive: 'rotation', input: { geometry: 'ball', n: '150' }, matrix: 'dense' },
  ];
  for (const { drive, input, matrix } of kGpuCases) {
    gpu.test(`${drive} drive on the ${input.geometry} (${matrix}) against float64`, async (context) => {
      const spec = responseSpec({ ...input, drive, nEpsilon: '0.3,3' });
      const expected = await runResponse({ ...spec, device: 'cpu' }, cpuOpen);
      const got = await runResponse(spec, gpuOpen(context, matrix), {}, cpuOpen);
      expectClose(got.points, expected.points);
      for (const p of got.points) {
        expect(p.check).toBeLessThan(kRefinedTolerance);
        // Refined: its true residual is float64's.
        expect(p.trueResidualProduct).toBe('float64');
        // A refined GPU solve, as solve holds one: its float64 residual with the dense M within 10 rtol.
        expect(p.denseResidual).toBeLessThanOrEqual(10 * kResponseRtol);
        expect(p.checkTarget).toBe(10 * kResponseRtol);
        expect(pointWithinTarget(p)).toBe(true);
      }
      for (const p of expected.points) expect(p.check).toBeNull();
    });
  }

  gpu.test(
    "a refined point's float64 residual with the dense M, as formed here, is what its target holds",
    async (context) => {
      const spec = responseSpec({ geometry: 'ball', n: '100', nEpsilon: '1,3', device: 'gpu' });
      const got = await runResponse(spec, gpuOpen(context, 'dense'), {}, cpuOpen);
      const json = responseJson(got, kCpuDevice).points;
      const { residual } = solveTargetsFor({ name: 'gpu' }, 100, true, kResponseRtol);
      got.points.forEach((p, k) => {
        expect(p.converged).toBe(true);
        expect(p.denseResidual).toBeGreaterThan(0);
        expect(Math.abs(p.denseResidual! - denseResidualOf(p, 'ball', 'field'))).toBeLessThan(1e-14);
        expect(p.checkTarget).toBe(residual);
        expect(p.denseResidual).toBeLessThan(residual);
        // The velocities' error is measured too, beside it.
        expect(p.check).toBeGreaterThan(0);
        expect(json[k]).toMatchObject({
          check: p.check,
          dense_residual: p.denseResidual,
          check_target: residual,
          within_target: true,
        });
      });
    },
  );

  gpu.test(
    "a sweep's refined products on its pool's threads: each released as its solve ends, the answers float64's",
    async (context) => {
      // The study engine's one pool (src/cli/engine.ts openStudyEngine) outlives every point; on 3
      // threads (kMatrixFreeMinimumThreads) each refined solve's pair loop shares 4 arrays with its
      // workers (parallelInteractionFree), which each worker holds until the pool says release.
      const { pool, held, seen } = watchedPool(3);
      try {
        const spec = responseSpec({ geometry: 'sphere', n: '200', nEpsilon: '0.1,1,10', device: 'gpu' });
        const products = float64Products(() => pool);
        const got = await runResponse(spec, gpuOpen(context, 'free'), {}, null, null, products);
        const expected = await runResponse({ ...spec, device: 'cpu' }, cpuOpen);
        expectClose(got.points, expected.points);
        for (const p of got.points) expect(p.trueResidualProduct).toBe('float64');
        expect(held).toHaveLength(2);
        // Every point's 4 arrays reached each worker, and none is held once the sweep has ended.
        for (const ids of seen) expect(ids.size).toBe(4 * got.points.length);
        for (const ids of held) expect(ids.size).toBe(0);
      } finally {
        pool.dispose();
      }
    },
  );

  gpu.test(
    "the GPU's tree: its float32 true residual says so, and the float64 check measures the velocities",
    async (context) => {
      // The GPU's tree is not refined (its product is the tree's, within --tree-tol of M's): its
      // true residual ||b - M v|| / ||b|| is formed with that float32 product, named as such.
      const spec = responseSpec({ geometry: 'ball', n: '400', nEpsilon: '3', device: 'gpu', matrix: 'tree' });
      const got = await runResponse(spec, gpuOpen(context, 'tree'), {}, cpuOpen);
      const [p] = got.points;
      expect(p.converged).toBe(true);
      expect(p.trueResidualProduct).toBe('float32_tree');
      expect(responseJson(got, kCpuDevice).points[0].true_residual_product).toBe('float32_tree');
      expect(p.check).toBeGreaterThan(0);
      // Unrefined: the velocities are what the target holds.
      expect(p.denseResidual).toBeNull();
      expect(pointWithinTarget(p)).toBe(true);
    },
  );

  gpu.test(
    'where M is indefinite but the drive is not, the GPU converges where the CPU does',
    async (context) => {
      // The ring of 16 at N r_e/R = 10 (lambda_min(M) = -1.17; the field drives only the uniform mode)
      // and the sphere of 250 at 30 (-0.040): float64 CG converges on both. The refinement's
      // corrections solve for rounding, which holds the negative modes too: they go on by MINRES.
      for (const input of [
        { geometry: 'ring', n: '16', model: 'azimuthal', nEpsilon: '10' },
        { geometry: 'sphere', n: '250', nEpsilon: '30' },
      ] as const) {
        const spec = responseSpec({ ...input, device: 'gpu' });
        const [p] = (await runResponse(spec, gpuOpen(context, 'dense'))).points;
        const [q] = (await runResponse({ ...spec, device: 'cpu' }, cpuOpen)).points;
        expect(q.reason, input.geometry).toBe('converged_rtol');
        expect(p.reason, input.geometry).toBe('converged_rtol');
        expect(Math.abs(p.screeningRatio / q.screeningRatio - 1)).toBeLessThan(kRefinedTolerance);
      }
    },
  );

  gpu.test(
    "a warm start whose corrections stall on float32's floor takes about a cold start's iterations",
    async (context) => {
      // The sphere of 256 at N r_e/R = 30 (M indefinite: the corrections go on by MINRES), warm-started
      // from 10: a correction's MINRES held 1.2e-6 of its right-hand side, just above its 1e-6 target,
      // from its 100th iteration to its cap of 768 (807 iterations in all, 106 alone); refine.ts's
      // stall test ends such a correction and the next one finishes the solve.
      const input = { geometry: 'sphere', n: '256', device: 'gpu' } as const;
      const swept = await runResponse(
        responseSpec({ ...input, nEpsilon: '10,30' }),
        gpuOpen(context, 'dense'),
        {},
        cpuOpen,
      );
      const [alone] = (
        await runResponse(responseSpec({ ...input, nEpsilon: '30' }), gpuOpen(context, 'dense'))
      ).points;
      const [expected] = (
        await runResponse(responseSpec({ ...input, nEpsilon: '30', device: 'cpu' }), cpuOpen)
      ).points;
      const warm = swept.points[1];
      expect(warm.converged).toBe(true);
      expect(alone.converged).toBe(true);
      expect(warm.iterations).toBeLessThanOrEqual(2 * alone.iterations);
      expect(Math.abs(warm.screeningRatio / expected.screeningRatio - 1)).toBeLessThan(kRefinedTolerance);
      expect(warm.check).toBeLessThan(kRefinedTolerance);
    },
  );

  gpu.test('deep in the Meissner regime the centre field, 1 - 0.9998, keeps four digits', async (context) => {
    // B(0)/B_ext of a ball of 1000 at N r_e/R = 30: 1.5691e-4 (numpy's dense solve of the field drive:
    // 1.5690708851612e-4); float32 CG to its own 1e-6, unrefined, gave 1.508e-4.
    const spec = responseSpec({ geometry: 'ball', n: '1000', nEpsilon: '30', device: 'gpu' });
    const [p] = (await runResponse(spec, gpuOpen(context, 'free'))).points;
    const s = system('ball', 1000, 'vector', 3, 30 / 1000);
    const b = driveRightHandSide(s, 'field');
    const exact = await cpuBackend(s).velocities(b, 'cg', { rtol: 1e-13 });
    const field = reducedInducedField([0, 0, 0], s.configuration.positions, velocityTriples(s, exact.x));
    const exactRatio = 1 + inducedFieldRatio(field[2], s.epsilon);
    expect(exactRatio).toBeCloseTo(1.5691e-4, 8);
    expect(p.converged).toBe(true);
    expect(Math.abs(p.fieldCentreRatio! / exactRatio - 1)).toBeLessThan(1e-4);
  });
});

// ---------------------------------------------------------------------------------------------
// The command, spawned as a user runs it.

describe('the response command', () => {
  const harness = useCliBundle('response');
  const { bundle, dir } = harness;
  const cli = (...args: string[]) => harness.cli('response', ...args);

  test("the text: each point's check beside its target and verdict, or why it has none", () => {
    // The CPU's tree, checked against the dense float64 solve; at N r_e/R = 30 the ball is indefinite.
    const args = ['--geometry', 'ball', '--n', '100', '--n-epsilon', '1,30', '--device', 'cpu'];
    const run = cli(...args, '--matrix', 'tree', '--tree-tol', '1e-4', '--json');
    expect(run.status, run.stderr).toBe(0);
    const points = (JSON.parse(run.stdout) as { points: Record<string, unknown>[] }).points;
    const text = cli(...args, '--matrix', 'tree', '--tree-tol', '1e-4').stdout.split('\n');
    // Its table, columns padded to their widest cell (textTable): the cells apart.
    const table = text
      .slice(text.findIndex((line) => /^N +N r_e\/R +check /.test(line)))
      .map((line) => line.split(/ {2,}/));
    expect(table[0]).toEqual(['N', 'N r_e/R', 'check', 'target', 'within']);
    const e = (x: unknown) => (x as number).toExponential(2);
    expect(table[2]).toEqual(['100', '1.00000', e(points[0].check), '1.00e-3', 'yes']);
    // Why the point is not checked: a note under the table, keyed by its mark, so that the verdict's
    // column and its rule stay as narrow as its cells.
    expect(table[3]).toEqual(['100', '30.0000', '-', '-', 'not checked [1]']);
    expect(table[1].at(-1)).toBe('-'.repeat('not checked [1]'.length));
    expect(table[4]).toEqual(['[1] not checked: the solve did not converge (diverged_indefinite)']);
    // The dense CPU M is the reference: nothing to check.
    expect(cli(...args).stdout.split('\n')).toContain(
      'check: none, the float64 dense M is the reference itself',
    );
  });

  test('the text: a point that did not converge shows its reason, not values; the depths; why no limit', () => {
    // A ball of 100 rotating at N r_e/R = 30 has M indefinite: CG stops diverged_indefinite.
    const run = cli(
      '--geometry',
      'ball',
      '--n',
      '100,200',
      '--n-epsilon',
      '3,30',
      '--drive',
      'rotation',
      '--device',
      'cpu',
    );
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[2]).toMatch(/ screening +continuum +R\/lambda_L +its +converged$/);
    // The row of N and N r_e/R in the text's first, second or third table, split into its cells.
    const row = (table: number, n: number, x: string) => {
      const rows = lines.filter((line) => new RegExp(`^${n} +${x} `).test(line));
      return rows[table].split(/ {2,}/);
    };
    // N, N r_e/R, screening, continuum, R/lambda_L, iterations, reason.
    const diverged = row(0, 100, '30.0000');
    expect(diverged[6]).toBe('diverged_indefinite');
    expect(diverged[2]).toBe('-');
    expect(Number(diverged[3])).toBeCloseTo(londonSphereRatio(Math.sqrt(90)), 5);
    expect(Number(diverged[4])).toBeCloseTo(Math.sqrt(90), 5);
    expect(row(0, 100, '3.00000')[6]).toBe('converged_rtol');
    expect(Number(row(0, 100, '3.00000')[2])).toBeGreaterThan(0);
    // The rotation's table (B(0)/B_London, London's 1 - x/sinh x, N_eff r_e/R) and the depths'
    // (decay/R, London's, lambda/R fitted, lambda_L/R) show none for it either; the continuum's stand.
    expect(lines).toContain(
      'N    N r_e/R  B(0)/B_London  continuum  N_eff r_e/R (eq. 30: 3 on a shell, 2 through a ball)',
    );
    const centre = row(1, 100, '30.0000');
    expect([centre[2], centre[4]]).toEqual(['-', '-']);
    expect(Number(centre[3])).toBeCloseTo(1 - Math.sqrt(90) / Math.sinh(Math.sqrt(90)), 5);
    expect(lines).toContain('N    N r_e/R  decay/R   London decay/R  lambda/R fit  lambda_L/R');
    const depths = row(2, 100, '30.0000');
    expect([depths[2], depths[4]]).toEqual(['-', '-']);
    expect(Number(depths[3])).toBeCloseTo(
      continuumDecayLength({ geometry: 'ball', drive: 'rotation' }, 30)!,
      5,
    );
    expect(Number(depths[5])).toBeCloseTo(1 / Math.sqrt(90), 5);
    // A coarse ball of 200 at N r_e/R = 3: its fitted lambda within 5% of lambda_L = R/3.
    const fitted = row(2, 200, '3.00000');
    expect(Number(fitted[5])).toBeCloseTo(1 / 3, 5);
    expect(Math.abs(Number(fitted[4]) * 3 - 1)).toBeLessThan(0.05);
    expect(run.stdout).toContain(
      'N -> infinity: not fitted, the law c + b N^-p needs three N or more that converged\n',
    );
  });

  test('the text: one eps for every N fits no limit, and says why: each N has its own N r_e/R', () => {
    // Three N that all converge: the law's three N are there, the fixed N r_e/R is not.
    const args = ['--geometry', 'sphere', '--n', '20,30,40', '--device', 'cpu'];
    for (const [flag, value] of [
      ['--epsilon', '1e-3'],
      ['--radius-m', '1e-9'],
    ]) {
      const run = cli(...args, flag, value);
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout.match(/converged_rtol/g)).toHaveLength(3);
      expect(run.stdout).toContain(
        `N -> infinity: not fitted, ${flag} gives one eps for every N, so each N has its own N r_e/R ` +
          'and the law c + b N^-p holds it fixed: give --n-epsilon X[,X...] for the limits\n',
      );
      if (flag !== '--radius-m') continue;
      // N r_e/R = N r_e / 1 nm = 5.6e-5 at N = 20: with an exponent, six digits, as the README's tables.
      const [header, , ...rows] = run.stdout
        .split('\n\n')
        .find((part) => part.includes('chi_app'))!
        .split('\n')
        .map((line) => line.split(/ {2,}/));
      expect(header).toEqual(['N', 'N r_e/R', 'mu_z/B (A m^2/T)', 'chi_app (SI)', 'chi_int (SI)']);
      expect(rows[0].slice(0, 2)).toEqual(['20', ((20 * kClassicalElectronRadius) / 1e-9).toExponential(5)]);
      // A sphere is no solid: its moment alone, no susceptibility.
      expect(rows[0].slice(3)).toEqual(['-', '-']);
    }
  });

  test('the text marks a point where M is indefinite, and stderr warns once', () => {
    // Not quiet: the warning is a lasting line of the progress stream, as the check's are.
    const args = ['--geometry', 'ring', '--model', 'azimuthal', '--n', '4', '--n-epsilon', '1,6.8'];
    const run = runCli(bundle, ['response', ...args, '--device', 'cpu']);
    expect(run.status, run.stderr).toBe(0);
    const rows = run.stdout.split('\n').filter((line) => /^4 /.test(line));
    expect(rows[0]).toMatch(/ converged_(rtol|atol)$/);
    expect(rows[1]).toMatch(/ converged_(rtol|atol), M indefinite$/);
    expect(run.stderr.split('\n').filter((line) => line.startsWith('warning:'))).toEqual([
      'warning: M is indefinite at N = 4 at N r_e/R = 6.8 ("m_indefinite": true): electrons within about r_e ' +
        "of each other, outside the model's validity; a converged point's values there solve M v = b " +
        'exactly but describe no physical screening',
    ]);
  });

  test('the usage lists it, and --help describes it', () => {
    const usage = runCli(bundle, ['--help']);
    expect(usage.status).toBe(0);
    expect(usage.stdout).toMatch(/\n {2}response /);
    const help = cli('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: darwin-breit response/);
  });

  test("--json: the issue's keys, the ring at its closed form", () => {
    const run = cli('--geometry', 'ring', '--n', '8,16', '--n-epsilon', '1,3', '--device', 'cpu', '--json');
    expect(run.status, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(Object.keys(summary)).toEqual([
      'command',
      'version',
      'drive',
      'geometry',
      'model',
      'dim',
      'epsilon',
      'radius_m',
      'grid',
      'matrix',
      'points',
      'limits',
      'device',
      'files',
    ]);
    // --n-epsilon: no one eps, no radius.
    expect(summary).toMatchObject({
      command: 'response',
      drive: 'field',
      geometry: 'ring',
      model: 'vector',
      dim: 3,
      epsilon: null,
      radius_m: null,
      grid: null,
      matrix: 'auto',
    });
    expect(summary.points).toHaveLength(4);
    expect(Object.keys(summary.points[0])).toEqual([
      'n',
      'n_epsilon',
      'epsilon',
      'screening_ratio',
      'continuum_ratio',
      'london_x',
      'field_centre_ratio',
      'continuum_field_centre_ratio',
      'iterations',
      'converged',
      'reason',
      'true_relative_residual',
      'true_residual_product',
      'm_indefinite',
      'check',
      'check_target',
      'within_target',
      'reference_unconverged',
      'decay_length',
      'continuum_decay_length',
      'penetration_depth',
      'london_penetration_depth',
    ]);
    for (const p of summary.points) {
      expect(p.screening_ratio).toBeCloseTo(ringContinuumRatio(p.n, p.epsilon)!, 10);
      expect(p.continuum_ratio).toBe(ringContinuumRatio(p.n, p.epsilon));
      // London's sphere is not the ring's continuum: no penetration depth to fit or compare.
      expect([p.penetration_depth, p.london_penetration_depth]).toEqual([null, null]);
    }
    expect(summary.limits).toEqual([]);
    expect(summary.device.kind).toBe('cpu');
  });

  test('rotation adds london_field_ratio and n_eff_epsilon; --out writes the plots and the CSV', () => {
    const out = join(dir, 'rotation');
    const run = cli(
      ...['--geometry', 'sphere', '--n', '40,60,80', '--n-epsilon', '3', '--drive', 'rotation'],
      ...['--grid', '9', '--device', 'cpu', '--out', out, '--json'],
    );
    expect(run.status, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(Object.keys(summary.points[0]).slice(-3)).toEqual([
      'london_field_ratio',
      'continuum_london_field_ratio',
      'n_eff_epsilon',
    ]);
    // The shell's centre field, 1/(1 + N r_e/3R), and the London field ratio 1 minus it.
    expect(summary.points[0].continuum_field_centre_ratio).toBe(0.5);
    expect(summary.points[0].continuum_london_field_ratio).toBe(0.5);
    // Three N: the ± is the covariance alone, marked 0 refits.
    expect(summary.limits[0].window_refits).toBe(0);
    // --grid adds the map's check after "device": null on the CPU, whose map is the float64 sum.
    expect(Object.keys(summary).slice(-3)).toEqual(['device', 'field_map_check', 'files']);
    expect(summary.field_map_check).toBeNull();
    expect(summary.grid).toBe(9);
    expect(summary.limits).toHaveLength(1);
    expect(summary.limits[0].continuum_ratio).toBe(0.5);
    for (const name of ['response-screening.svg', 'response-centre.svg', 'response-map-n80-x3.00.svg']) {
      expect(readFileSync(join(out, name), 'utf8')).toContain('<svg');
    }
    // The sphere's electrons are all at depth 0: no current against depth.
    expect(existsSync(join(out, 'response-profile.svg'))).toBe(false);
    const csv = readFileSync(join(out, 'response-n80-x3.00.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('x,y,z,vx,vy,vz');
    expect(csv).toHaveLength(81);
    // Beside the plots, the summary as --json prints it, less the files: a directory that holds the
    // numbers too.
    const { files, ...saved } = summary;
    expect(JSON.parse(readFileSync(join(out, 'response.json'), 'utf8'))).toEqual(saved);
    expect(files).toHaveLength(readdirSync(out).length);
    expect(files).toContain(join(out, 'response.json'));
  });

  test('--device cpu --matrix tree: "tree" in the JSON, each solve checked against the dense float64 one', () => {
    const args = ['--geometry', 'ring', '--model', 'azimuthal', '--n', '256,1024', '--n-epsilon', '1,3'];
    const run = cli(...args, '--device', 'cpu', '--matrix', 'tree', '--tree-tol', '1e-4', '--json');
    expect(run.status, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(Object.keys(summary).slice(-4)).toEqual(['device', 'tree', 'threads', 'files']);
    expect(summary.tree).toEqual({ tolerance: 1e-4, n: [256, 1024] });
    expect(summary.matrix).toBe('tree');
    for (const p of summary.points) {
      // The ring's exact circulant ratio, to the tree's tolerance; the check is the tree's error,
      // held to 10 max(tree-tol, rtol 1e-8) as solve holds the CPU tree's velocities.
      expect(Math.abs(p.screening_ratio - ringContinuumRatio(p.n, p.epsilon)!)).toBeLessThan(
        1e-3 * p.screening_ratio,
      );
      expect(p.check).toBeLessThan(1e-3);
      expect([p.check_target, p.within_target]).toEqual([1e-3, true]);
    }
    // At N = 1024 (16 leaves) the tree translates expansions: its error is there.
    expect(summary.points.at(-1).check).toBeGreaterThan(1e-12);
    // The dense CPU M is the reference itself: no check, no "tree".
    const dense = JSON.parse(cli(...args, '--device', 'cpu', '--json').stdout);
    expect(dense.points.map((p: { check: number | null }) => p.check)).toEqual([null, null, null, null]);
    for (const p of dense.points) expect([p.check_target, p.within_target]).toEqual([null, null]);
    expect('tree' in dense).toBe(false);
  });

  test('past the dense check each point has its residual on float64 rows at sampled electrons', () => {
    // 4 096 unknowns at the largest N, past kCheckMaxUnknowns: no dense check, a sampled residual.
    const args = ['--geometry', 'ring', '--model', 'azimuthal', '--n', '1024,4096', '--n-epsilon', '3'];
    const run = cli(...args, '--device', 'cpu', '--matrix', 'tree', '--tree-tol', '1e-4', '--json');
    expect(run.status, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout);
    for (const p of summary.points) {
      expect(p.check).toBeNull();
      // The solve's rtol (1e-8) and the tree's error on it, against direct sums: within
      // 10 max(rtol, tree-tol), as solve's sampled residual.
      expect(p.sampled_residual).toBeGreaterThan(1e-12);
      expect(p.sampled_residual).toBeLessThan(1e-4);
      expect([p.check_target, p.within_target]).toEqual([1e-3, true]);
    }
  });

  test('bad input: one error line, exit 2, nothing written', () => {
    const cases: [RegExp, string[]][] = [
      [
        /^error: --n must be cubes of an even side for the flux drive on the cube \(.*\), got 27: 8 or 64$/,
        ['--geometry', 'cube', '--n', '27', '--drive', 'flux'],
      ],
      [
        /^error: --n-epsilon: N r_e\/R must be > 0 \(0 is the bare Larmor rotation, screening ratio 1: see larmor\), got 0$/,
        ['--geometry', 'ring', '--n', '8', '--n-epsilon', '0'],
      ],
      [
        /^error: --n-epsilon: N r_e\/R must be > 0, got -1$/,
        ['--geometry', 'ring', '--n', '8', '--n-epsilon', '-1'],
      ],
      [
        /^error: --drive must be one of field, flux, rotation, got 'spin'$/,
        ['--geometry', 'ring', '--n', '8', '--drive', 'spin'],
      ],
      [
        /^error: --tree-tol must be in \[6\.45e-8, 1\) \(the highest expansion order, 16\), got 1$/,
        ['--geometry', 'ring', '--n', '8', '--tree-tol', '1'],
      ],
      [
        /^error: --matrix must be one of dense, free, tree, auto, got 'trees' \(did you mean tree\?\)$/,
        ['--geometry', 'ring', '--n', '8', '--matrix', 'trees'],
      ],
      [
        /^error: --tree-tol applies only to --matrix tree or auto, not dense$/,
        ['--geometry', 'ring', '--n', '8', '--matrix', 'dense', '--tree-tol', '1e-3'],
      ],
    ];
    for (const [pattern, args] of cases) {
      const out = join(dir, 'never');
      expectUserErrorRun(cli(...args, '--device', 'cpu', '--out', out), pattern);
      expect(existsSync(out)).toBe(false);
    }
  });
});

describe('the London lengths and the centre field against their closed forms', () => {
  test('R/Lambda (Pearl) and R/lambda_L from SI: Lambda = 2m/(mu0 n_s e^2), lambda_L^2 = m/(mu0 n e^2)', () => {
    // mu0 as CODATA 2018 gives it, not from r_e (kMu0Over4Pi is): the check is independent.
    const mu0 = 1.25663706212e-6;
    const [e, m] = [kElementaryCharge, kElectronMass];
    for (const [n, radius] of [
      [1000, 1e-6],
      [4e5, 3e-8],
    ]) {
      const nEpsilon = (n * kClassicalElectronRadius) / radius;
      // Pearl's length of N electrons on the disk's pi R^2 and on the sphere's 4 pi R^2.
      const pearl = (area: number) => (2 * kElectronMass) / (mu0 * (n / (area * radius ** 2)) * e * e);
      for (const geometryName of ['disk', 'sphere'] as const) {
        const [area, perNEpsilon] = geometryName === 'disk' ? [Math.PI, 2] : [4 * Math.PI, 0.5];
        const x = londonX(geometryName, n, nEpsilon / n)!;
        expect(Math.abs(x / (radius / pearl(area)) - 1)).toBeLessThan(1e-9);
        expect(Math.abs(x / (perNEpsilon * nEpsilon) - 1)).toBeLessThan(1e-15);
        expect(pearlParameter(nEpsilon, kSurfaceArea[geometryName])).toBe(x);
      }
      const lambda = Math.sqrt(m / (mu0 * ((3 * n) / (4 * Math.PI * radius ** 3)) * e * e));
      expect(Math.abs(ballLondonParameter(nEpsilon) / (radius / lambda) - 1)).toBeLessThan(1e-9);
      expect(londonX('ball', n, nEpsilon / n)).toBe(ballLondonParameter(nEpsilon));
    }
  });

  test("the shell's continuum is the thin superconducting shell's 1/(1 + 2R/3 Lambda)", () => {
    // Sheet current K = -(2/(mu0 Lambda)) A, A = B_in R sin(theta)/2 on it, inside field (2/3) mu0 K:
    // B_in = B_ext - (2R/3 Lambda) B_in.
    for (const nEpsilon of [0.1, 3, 30]) {
      const x = londonX('sphere', 1000, nEpsilon / 1000)!;
      expect(shellContinuumRatio(nEpsilon)).toBeCloseTo(1 / (1 + (2 * x) / 3), 14);
    }
  });

  test('the ball at N r_e/R = 1 tends to London sphere centre field x/sinh x, the shell to 1/(1 + N r_e/3R)', async () => {
    const extrapolated = async (geometryName: GeometryName, ns: string, exponent: number) => {
      const spec = responseSpec({ geometry: geometryName, n: ns, nEpsilon: '1', device: 'cpu' });
      const result = await runResponse(spec, cpuOpen);
      expect(result.points.every((p) => p.converged)).toBe(true);
      const fit = fitLaw(
        inversePowerLaw(exponent),
        result.points.map((p) => p.n),
        result.points.map((p) => p.fieldCentreRatio!),
      )!;
      return { fit, continuum: result.points[0].continuumFieldCentreRatio! };
    };
    const x = Math.sqrt(3);
    const ball = await extrapolated('ball', '250,500,1000', 2 / 3);
    expect(ball.continuum).toBe(x / Math.sinh(x));
    // 0.6247, 0.6272, 0.6295 at these N; c + b N^-2/3 meets 0.63268 to ~1e-4.
    expect(Math.abs(ball.fit.coefficient - x / Math.sinh(x))).toBeLessThan(1e-3);
    const shell = await extrapolated('sphere', '400,900,1600', 1 / 2);
    expect(shell.continuum).toBe(0.75);
    expect(Math.abs(shell.fit.coefficient - 0.75)).toBeLessThan(3e-3);
  });
});
