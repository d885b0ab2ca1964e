// The scaling study (src/physics/scaling.ts, src/studies/scaling/run.ts, `scaling` in the CLI): the ring
// against its exact circulant spectrum and the derived (N/pi)(ln N + C), the fits on synthetic laws,
// the GPU sweep against the float64 one, the London inertia ratio both ways, and the JSON contract.
//
// Tolerances:
//   ring lambda_max, float64 Lanczos (tol 1e-10)  1e-9 relative to the circulant's exact value
//   (N/pi)(ln N + C) against the circulant       |difference| <= 1/N (the derivation's O(1/N); 0.87/N)
//   prefactor a of a ln N + b, azimuthal ring    |pi a - 1| <= 2e-3: the 0.87/N^2 left in lambda/N moves
//                                                 a by ~ 0.87/(N_min^2 ln(N_max/N_min)) ~ 3e-4 at N >= 32
//   prefactor, vector ring (with g / ln N)       |pi a - 1| <= 0.05: 1/ln^2 N terms remain (the exact
//                                                 block-circulant values give 0.97..0.99 for N <= 512)
//   GPU (float32, Lanczos tol 1e-6) vs float64   1e-5 of max|lambda| for eigenvalues and quotients
//   a point's float64 check (float32 extremes)   within spectrum's target, 1e-5 (dense) or 1e-4
//                                                 (sampled residual, 10 max(tol, 1e-5)), and above 0
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gpuBackend } from '../src/engine/backend.ts';
import { kBohrRadius, kClassicalElectronRadius } from '../src/physics/constants.ts';
import { geometry } from '../src/physics/geometry.ts';
import { applyInteractionFree } from '../src/physics/models.ts';
import { energies } from '../src/physics/observables.ts';
import { minimumSuperconductingSize } from '../src/physics/paper.ts';
import { ringCirculantEigenvalues } from '../src/physics/ring.ts';
import {
  criticalRadius,
  inversePowerLaw,
  kRingConstant,
  kCoupledRingLaw,
  kRingLaw,
  kRingMinimumConstant,
  kScalingGeometries,
  leadingCriticalRadius,
  ringLambdaMaxAsymptotic,
  scalingSystem,
} from '../src/physics/scaling.ts';
import { londonInertiaRatio } from '../src/physics/london.ts';
import { kAzimuthalTranslations, scaledPattern, subspaceOverlap } from '../src/physics/modes.ts';
import { nearestNeighbourDistances } from '../src/physics/neighbours.ts';
import { velocityPattern } from '../src/physics/velocities.ts';
import { cpuBackend, massMatrix } from '../src/run/backend.ts';
import { symmetricEigenvalues, tridiagonalEigenvectors } from '../src/solvers/eigen.ts';
import { lanczos } from '../src/solvers/lanczos.ts';
import { linearLeastSquares } from '../src/solvers/least-squares.ts';
import { fitLaw, freeExponent, totalUncertainty } from '../src/studies/fits.ts';
import {
  scalingPoint,
  scalingReference,
  scalingSweep,
  summariseStudy,
  type PointReference,
  type ScalingStudy,
} from '../src/studies/scaling/run.ts';
import type { BackendFactory } from '../src/studies/study.ts';
import {
  scalingCheckWarning,
  scalingCoefficientSvg,
  scalingCsv,
  scalingEigenvalueSvg,
  scalingJson,
  scalingMarkdown,
  scalingRunFromJson,
  scalingText,
  worstCheck,
  type ScalingExtra,
} from '../src/studies/scaling/report.ts';
import { markdownNumber } from '../src/studies/markdown.ts';
import {
  kScalingBrowserElectrons,
  kScalingBrowserPoints,
  logSpacedCounts,
  logSpacedPointCount,
} from '../src/studies/scaling/spec.ts';
import { kCpuDevice, toJson } from '../src/io/formats.ts';
import { InputError } from '../src/physics/input-error.ts';
import { jacobiScaled } from '../src/solvers/spectrum.ts';
import { float32CheckTargets, type Reference } from '../src/run/check.ts';
import type { MassMatrixBackend } from '../src/run/backend.ts';
import { randomVector } from './helpers/compare.ts';
import { useCliBundle } from './helpers/cli-bundle.ts';
import { gpuHarness } from './helpers/gpu.ts';
import { inProcessReference, sampledRows } from './helpers/reference.ts';

const cpu: BackendFactory = async (system) => cpuBackend(system);

const cpuSweeps = new Map<string, Promise<ScalingStudy>>();
/** The float64 sweep of a geometry and model over ns, computed once per file. */
function cpuSweep(
  geometryName: (typeof kScalingGeometries)[number],
  model: 'vector' | 'azimuthal',
  ns: number[],
) {
  const key = `${geometryName}/${model}/${ns.join(',')}`;
  if (!cpuSweeps.has(key))
    cpuSweeps.set(
      key,
      scalingSweep(cpu, { geometry: geometryName, model, ns, tol: 1e-10 }).then((run) => run.study),
    );
  return cpuSweeps.get(key)!;
}

const kRingNs = logSpacedCounts(32, 512, 6);

/** A study of the JSON as scaling.csv reads it, toJson's nulls in it. */
interface CsvStudyJson {
  readonly geometry: string;
  readonly model: string;
  readonly dimension: number;
  readonly points: readonly Record<string, unknown>[];
}

/**
 * Each row of scaling.csv against its point's JSON: every column equals the key it names (overlap_*
 * under "overlaps", iterations and converged under "lanczos"), empty where the JSON has null.
 */
function expectCsvIsJson(csv: string, json: { readonly studies: readonly CsvStudyJson[] }) {
  const [header, ...rows] = csv.trim().split('\n');
  const columns = header.split(',');
  const points = json.studies.flatMap((study) => study.points.map((point) => ({ study, point })));
  expect(rows).toHaveLength(points.length);
  rows.forEach((row, k) => {
    const { study, point } = points[k];
    const cells = row.split(',');
    expect(cells).toHaveLength(columns.length);
    const overlaps = point.overlaps as Record<string, unknown> | null;
    const lanczos = point.lanczos as Record<string, unknown>;
    columns.forEach((column, c) => {
      const value = column.startsWith('overlap_')
        ? overlaps && overlaps[column.slice('overlap_'.length)]
        : column === 'iterations' || column === 'converged'
          ? lanczos[column]
          : column === 'geometry' || column === 'model' || column === 'dimension'
            ? study[column]
            : point[column];
      const at = `${study.geometry} N = ${String(point.n)} ${column}`;
      expect(value, at).not.toBeUndefined();
      expect(cells[c], at).toBe(value === null ? '' : String(value));
    });
  });
}

/** A CPU sweep's storage, as `scaling --device cpu` names it: the dense float64 M at every N. */
function denseAt(ns: readonly number[]): ScalingExtra {
  return { matrix: Object.fromEntries(ns.map((n) => [n, 'dense'])) };
}

describe('the ring: exact circulant spectrum and the N ln N law', () => {
  it('lambda_max and lambda_min of the sweep are the circulant eigenvalues', async () => {
    const study = await cpuSweep('ring', 'azimuthal', kRingNs);
    expect(study.points.map((p) => p.n)).toEqual(kRingNs);
    for (const point of study.points) {
      const exact = ringCirculantEigenvalues(point.n);
      const top = Math.max(...exact);
      expect(Math.abs(point.lambdaMax - top) / top, `N = ${point.n}`).toBeLessThanOrEqual(1e-9);
      // The circulant's extremes the study reports, against a dense float64 eigen-solve (Householder,
      // QL) of the assembled M (src/physics/models.ts, which does not use V_phi): on the unit ring D = I
      // and eps = 1, so M = I + T and lambda(T) = lambda(M) - 1.
      const dense = symmetricEigenvalues(
        massMatrix(scalingSystem('ring', 'azimuthal', point.n)).data,
        point.n,
      );
      expect(Math.abs(point.exactLambdaMax! - (dense[point.n - 1] - 1)) / top).toBeLessThan(1e-12);
      expect(Math.abs(point.exactLambdaMin! - (dense[0] - 1)) / top).toBeLessThan(1e-12);
      // lambda_min converges slowly (a dense cluster at k = N/2); its Ritz value is an upper bound.
      expect(point.lambdaMin).toBeGreaterThanOrEqual(Math.min(...exact) - 1e-9);
      expect(Math.abs(point.lambdaMin - Math.min(...exact)) / top).toBeLessThanOrEqual(1e-4);
    }
  });

  it('(N/pi)(ln N + C), C = ln(2/pi) + gamma - 3/2, is the circulant maximum to O(1/N)', () => {
    expect(kRingConstant).toBeCloseTo(-1.374367, 6);
    for (const n of [16, 64, 256, 1024, 4096]) {
      const exact = Math.max(...ringCirculantEigenvalues(n));
      const difference = exact - ringLambdaMaxAsymptotic(n);
      expect(difference * n, `N = ${n}`).toBeGreaterThan(0.8);
      expect(difference * n, `N = ${n}`).toBeLessThan(0.9);
    }
  });

  it('the top mode is k = 1, the translations (their azimuthal part), just above the rotation k = 0', async () => {
    for (const n of [5, 16, 100]) {
      const exact = ringCirculantEigenvalues(n);
      // k and N - k are the same mode (cos and sin): equal to rounding.
      expect(Math.abs(Math.max(...exact) - exact[1]) / exact[1]).toBeLessThan(1e-14);
      expect(exact[1] - exact[0]).toBeGreaterThan(0);
    }
    const study = await cpuSweep('ring', 'azimuthal', kRingNs);
    for (const point of study.points) expect(point.overlaps!.translation).toBeGreaterThan(0.999);
  });

  it('the bottom mode is the alternating one, k = N/2 or, for odd N, k = (N -+ 1)/2', async () => {
    const study = await cpuSweep('ring', 'azimuthal', [16, 17, 59, 60]);
    for (const point of study.points) {
      expect(point.lanczos.converged, `N = ${point.n}`).toBe(true);
      expect(point.minimumMode, `N = ${point.n}`).toBe('alternating');
      expect(point.minimumOverlaps!.alternating).toBeGreaterThan(1 - 1e-9);
    }
  });

  it('the fitted prefactor of N ln N is 1/pi (azimuthal: 2e-3; vector with g/ln N: 0.05)', async () => {
    const azimuthal = await cpuSweep('ring', 'azimuthal', kRingNs);
    expect(Math.abs(Math.PI * azimuthal.fit!.coefficient - 1)).toBeLessThanOrEqual(2e-3);
    expect(azimuthal.ringConstant!.fitted).toBeCloseTo(kRingConstant, 2);
    const vector = await cpuSweep('ring', 'vector', kRingNs);
    expect(vector.fit!.law.name).toBe('n_log_n_coupled');
    expect(Math.abs(Math.PI * vector.fit!.coefficient - 1)).toBeLessThanOrEqual(0.05);
    // lambda_min: the alternating mode, -2 ln 2 / d_nn in both models.
    // The fit's finite-N remainder: 3.4e-5 measured.
    for (const study of [azimuthal, vector])
      expect(Math.abs(study.minimumConstant!.kappa - kRingMinimumConstant)).toBeLessThan(1e-4);
  });

  it("R* of the ring: ln(R*/a0) = pi a0/r_e - C, past a double's range (eq. 53's R -> infinity)", async () => {
    const study = await cpuSweep('ring', 'azimuthal', kRingNs);
    const expected = (Math.PI * (kBohrRadius / kClassicalElectronRadius) - kRingConstant) / Math.LN10;
    expect(study.criticalRadius!.metres).toBeNull();
    expect(study.criticalRadius!.log10Bohr).toBeCloseTo(expected, 1);
    expect(study.paperRadiusMetres).toBe(Infinity);
  });
});

/**
 * y = intercept + slope x by the closed forms of simple regression, with the parameters' variances
 * s^2 / Sxx and s^2 (1/m + mean(x)^2 / Sxx), s^2 = RSS / (m - 2): a check of the QR fit.
 */
function simpleRegression(x: readonly number[], y: readonly number[]) {
  const m = x.length;
  const xMean = x.reduce((sum, value) => sum + value, 0) / m;
  const yMean = y.reduce((sum, value) => sum + value, 0) / m;
  let sxx = 0;
  let sxy = 0;
  for (let k = 0; k < m; k++) {
    sxx += (x[k] - xMean) ** 2;
    sxy += (x[k] - xMean) * (y[k] - yMean);
  }
  const slope = sxy / sxx;
  const intercept = yMean - slope * xMean;
  const rss = y.reduce((sum, value, k) => sum + (value - intercept - slope * x[k]) ** 2, 0);
  const variance = rss / (m - 2);
  return {
    slope,
    intercept,
    slopeVariance: variance / sxx,
    interceptVariance: variance * (1 / m + (xMean * xMean) / sxx),
  };
}

describe('fits and laws', () => {
  it('least squares recovers an exact linear law and puts its covariance on noisy data', () => {
    const ns = [50, 100, 200, 400, 800];
    const exact = linearLeastSquares(
      ns.map((n) => [1, n ** -0.5]),
      ns.map((n) => 0.7 - 1.3 * n ** -0.5),
    );
    expect(exact.parameters[0]).toBeCloseTo(0.7, 12);
    expect(exact.parameters[1]).toBeCloseTo(-1.3, 11);
    expect(exact.rmsResidual).toBeLessThan(1e-14);
    // y = [0, 1, 1, 3] on [1, x], x = 0..3: (X^T X)^-1 = [[0.7, -0.3], [-0.3, 0.2]], p = [-0.1, 0.9],
    // residuals [0.1, 0.2, -0.7, 0.4], RSS 0.7, s^2 = RSS / (m - p) = 0.35 (two degrees of freedom).
    const noisy = linearLeastSquares(
      [0, 1, 2, 3].map((x) => [1, x]),
      [0, 1, 1, 3],
    );
    [-0.1, 0.9].forEach((value, k) => expect(noisy.parameters[k]).toBeCloseTo(value, 14));
    [0.245, -0.105, -0.105, 0.07].forEach((value, k) => expect(noisy.covariance[k]).toBeCloseTo(value, 14));
    expect(noisy.rmsResidual).toBeCloseTo(Math.sqrt(0.7 / 4), 14);
  });

  it('fitLaw recovers c of c + b N^-1/2 and c + b N^-2/3, with an uncertainty that covers the noise', () => {
    const ns = logSpacedCounts(32, 4096, 9);
    for (const exponent of [0.5, 2 / 3]) {
      const law = inversePowerLaw(exponent);
      const clean = ns.map((n) => 0.8 + 0.4 * n ** -exponent);
      const fit = fitLaw(law, ns, clean)!;
      expect(fit.coefficient).toBeCloseTo(0.8, 12);
      expect(fit.uncertainty).toBeLessThan(1e-12);
      expect(fit.freeExponent!).toBeCloseTo(exponent, 3);
      // The law's own exponent: with it free, the same coefficient (no systematic term).
      expect(fit.uncertaintySystematic).toBeLessThan(1e-6);
      const noise = randomVector(ns.length, 7);
      const noisy = fitLaw(
        law,
        ns,
        clean.map((y, k) => y + 1e-4 * noise[k]),
      )!;
      expect(Math.abs(noisy.coefficient - 0.8)).toBeLessThanOrEqual(noisy.uncertainty);
      expect(noisy.uncertainty).toBeLessThan(1e-3);
    }
  });

  it("fitLaw: a fixed exponent above the data's undershoots c, and the free exponent's c is the systematic term", () => {
    // lambda_max/N of the azimuthal sphere, N = 45..1000 (scaling --device cpu): its corrections decay
    // as N^-0.43, not the law's N^-1/2.
    const ns = [45, 75, 126, 212, 356, 596, 1000];
    const values = ns.map((n) => 0.3964 - 0.62 * n ** -0.43);
    const fit = fitLaw(inversePowerLaw(0.5), ns, values)!;
    expect(fit.freeExponent!).toBeCloseTo(0.43, 6);
    expect(fit.freeExponentCoefficient!).toBeCloseTo(0.3964, 9);
    // The fixed p = 1/2 fit undershoots, by more than its own ± (covariance and window).
    expect(fit.coefficient).toBeLessThan(0.3964 - 2 * fit.uncertainty);
    expect(fit.uncertaintySystematic).toBeCloseTo(0.3964 - fit.coefficient, 9);
    expect(totalUncertainty(fit)).toBe(Math.hypot(fit.uncertainty, fit.uncertaintySystematic));
    expect(0.3964 - fit.coefficient).toBeLessThan(totalUncertainty(fit));
  });

  it('freeExponent: none where the best p sits on the edge of its bracket (small N, far from the law)', () => {
    // The azimuthal sphere's lambda_max/N at N = 2..5 rises with N: the residual falls on past p = 0.05.
    const ns = [2, 3, 4, 5];
    const values = [0.2633019, 0.295207, 0.3319304, 0.3683012];
    expect(freeExponent(ns, values)).toBeNull();
    const fit = fitLaw(inversePowerLaw(0.5), ns, values)!;
    expect(fit.freeExponent).toBeNull();
    expect(fit.freeExponentCoefficient).toBeNull();
    expect(fit.uncertaintySystematic).toBe(0);
    // Inside the bracket it is found.
    expect(
      freeExponent(
        [32, 64, 128, 256],
        [32, 64, 128, 256].map((n) => 1 - n ** -0.7),
      )!,
    ).toBeCloseTo(0.7, 6);
  });

  it("fitLaw's window: refits while parameters + 2 and half the N remain, none (covariance alone) below", () => {
    const ns = logSpacedCounts(32, 4096, 9);
    const values = ns.map((n) => (Math.log(n) + kRingConstant) / Math.PI + 1e-4 * Math.sin(n));
    // Nine N, two parameters: drop 1..4 (five remain, at least four and half).
    const fit = fitLaw(kRingLaw, ns, values)!;
    expect(fit.windowRefits).toBe(4);
    // a of a ln N + b: the slope of the closed-form regression on ln N, the window its largest change.
    const lnN = ns.map(Math.log);
    const all = simpleRegression(lnN, values);
    const window = Math.max(
      ...[1, 2, 3, 4].map((drop) =>
        Math.abs(simpleRegression(lnN.slice(drop), values.slice(drop)).slope - all.slope),
      ),
    );
    expect(fit.coefficient).toBeCloseTo(all.slope, 13);
    expect(fit.uncertaintyCovariance).toBeCloseTo(Math.sqrt(all.slopeVariance), 13);
    expect(fit.uncertaintyWindow).toBeCloseTo(window, 13);
    // Both terms count, in quadrature: sqrt(covariance^2 + window^2), more than either.
    expect(Math.min(window, Math.sqrt(all.slopeVariance))).toBeGreaterThan(1e-6);
    expect(fit.uncertainty).toBeCloseTo(Math.hypot(Math.sqrt(all.slopeVariance), window), 13);
    // Five N, three parameters: dropping one would leave four, under five.
    const five = fitLaw(kCoupledRingLaw, ns.slice(0, 5), values.slice(0, 5))!;
    expect(five.windowRefits).toBe(0);
    expect(five.uncertaintyWindow).toBe(0);
    expect(five.uncertainty).toBe(five.uncertaintyCovariance);
  });

  it('fitLaw with the prefactor held fits the rest (the ring constant)', () => {
    const ns = logSpacedCounts(32, 4096, 7);
    const values = ns.map((n) => (Math.log(n) + kRingConstant) / Math.PI);
    const fit = fitLaw(kRingLaw, ns, values, { coefficient: 1 / Math.PI, report: 1 })!;
    expect(fit.parameters[0]).toBe(1 / Math.PI);
    expect(Math.PI * fit.coefficient).toBeCloseTo(kRingConstant, 12);
    // On noisy values the covariance of the reported b, not of another parameter. a ln N + b with
    // a = 1/pi held: b is the mean of values - ln N / pi, its variance s^2 / m.
    const noisy = values.map((value, k) => value + 1e-4 * Math.sin(ns[k]));
    const rest = noisy.map((value, k) => value - Math.log(ns[k]) / Math.PI);
    const mean = rest.reduce((sum, value) => sum + value, 0) / rest.length;
    const variance = rest.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (rest.length - 1);
    const ring = fitLaw(kRingLaw, ns, noisy, { coefficient: 1 / Math.PI, report: 1 })!;
    expect(ring.coefficient).toBeCloseTo(mean, 14);
    expect(ring.uncertaintyCovariance).toBeCloseTo(Math.sqrt(variance / rest.length), 14);
    // a ln N + b + g / ln N with a held: b is the intercept of the regression on 1 / ln N.
    const coupled = simpleRegression(
      ns.map((n) => 1 / Math.log(n)),
      rest,
    );
    const vector = fitLaw(kCoupledRingLaw, ns, noisy, { coefficient: 1 / Math.PI, report: 1 })!;
    expect(vector.coefficient).toBeCloseTo(coupled.intercept, 12);
    expect(vector.uncertaintyCovariance).toBeCloseTo(Math.sqrt(coupled.interceptVariance), 12);
  });

  it("R* of a constant law c is a0 (a0 / (c r_e))^(1/(d-1)): the paper's eq. 54/55 for c = 1", () => {
    for (const d of [2, 3]) {
      for (const c of [1, 0.6667]) {
        const radius = criticalRadius(d, inversePowerLaw(0.5), [c, 0], 0);
        expect(radius.metres! / leadingCriticalRadius(d, c)).toBeCloseTo(1, 9);
        // N_max = (R* / a0)^d electrons (eq. 51), at which N c r_e / R* = 1.
        const log10Bohr = Math.log10(leadingCriticalRadius(d, c) / kBohrRadius);
        expect(radius.log10Electrons).toBeCloseTo(d * log10Bohr, 9);
        expect(
          radius.log10Electrons + Math.log10((c * kClassicalElectronRadius) / radius.metres!),
        ).toBeCloseTo(0, 9);
      }
      expect(leadingCriticalRadius(d, 1) / minimumSuperconductingSize(d)).toBeCloseTo(1, 12);
    }
    // A correction b N^-p with b < 0 needs a larger N, so a larger R.
    expect(criticalRadius(2, inversePowerLaw(0.5), [1, -1], 0).metres!).toBeGreaterThan(
      leadingCriticalRadius(2, 1),
    );
  });
});

describe("the rigid rotation's fit has the rotation's own continuum value", () => {
  it('q/N -> 1/3 on the thin shell and 2/7 in the uniform ball (inertia 1 + N r_e/3R, 1 + (2/7) N r_e/R)', async () => {
    const ns = logSpacedCounts(150, 1000, 4);
    for (const [geometryName, theory] of [
      ['sphere', 1 / 3],
      ['ball', 2 / 7],
    ] as const) {
      const study = await cpuSweep(geometryName, 'vector', ns);
      const fit = study.rotationFit!;
      expect(fit.law.theory).toBe(theory);
      expect(fit.law.text).toMatch(/^q_rotation\/N = c \+ b N\^-/);
      // The fit of N = 150 .. 1000 meets it to 3e-4 (shell) and 1.6e-3 (ball).
      expect(Math.abs(fit.coefficient - theory)).toBeLessThan(3e-3 * theory);
      // The translation's law keeps its own value (the sphere's 2/3), the rotation's is not it.
      expect(study.fit!.law.theory).toBe(geometryName === 'sphere' ? 2 / 3 : undefined);
      // The shell at London's N = 3R/r_e (eq. 30): 1 + eps q with eps = 3/N and q = c N, so the
      // rotation's inertia doubles as c -> 1/3, within the fit's ±.
      if (geometryName === 'sphere') {
        const london = study.londonInertiaRatio!;
        expect(london.value).toBeCloseTo(londonInertiaRatio(1000, 1000 * fit.coefficient), 14);
        expect(london.uncertainty).toBeCloseTo(3 * totalUncertainty(fit), 14);
        expect(Math.abs(london.value - 2)).toBeLessThanOrEqual(london.uncertainty);
      } else expect(study.londonInertiaRatio).toBeNull();
      const json = scalingJson({
        device: kCpuDevice,
        model: 'vector',
        ns,
        studies: [study],
        extras: [denseAt(ns)],
        shard: null,
        sweep: null,
        totalMs: 1,
      });
      expect(json.studies[0].rotation_fit!.theory).toBe(theory);
    }
  });
});

describe('points whose Lanczos stopped short (inner bounds)', () => {
  it('are left out of the lambda_max fit, kept in the rotation fit, and drawn apart in both plots', async () => {
    const study = await cpuSweep('sphere', 'vector', logSpacedCounts(150, 1000, 5));
    // Two points marked short, their lambda_max lowered as an inner bound may be.
    const points = study.points.map((p, k) =>
      k % 2 === 1
        ? {
            ...p,
            lambdaMax: 0.9 * p.lambdaMax,
            coherentCoefficient: 0.9 * p.coherentCoefficient,
            lanczos: { ...p.lanczos, converged: false },
          }
        : p,
    );
    const short = summariseStudy('sphere', 'vector', points, 1);
    const met = points.filter((p) => p.lanczos.converged);
    const refit = fitLaw(
      short.fit!.law,
      met.map((p) => p.n),
      met.map((p) => p.coherentCoefficient),
    )!;
    expect(short.fit!.coefficient).toBe(refit.coefficient);
    expect(Math.abs(short.fit!.coefficient - study.fit!.coefficient)).toBeLessThan(0.01);
    expect(short.rotationFit!.coefficient).toBe(study.rotationFit!.coefficient);
    const shortLabel = 'λ_max, Lanczos not converged (inner bounds, not fitted)';
    expect(scalingEigenvalueSvg(short)).toContain(shortLabel);
    expect(scalingCoefficientSvg(short)).toContain(
      'λ_max / N, Lanczos not converged (inner bounds, not fitted)',
    );
    expect(scalingEigenvalueSvg(study)).not.toContain('not converged');
    // Nothing converged: no fit, and the text says why.
    const none = summariseStudy(
      'sphere',
      'vector',
      points.map((p) => ({ ...p, lanczos: { ...p.lanczos, converged: false } })),
      1,
    );
    expect(none.fit).toBeNull();
    expect(scalingText([none], [], kCpuDevice)).toContain(
      'no fit of lambda_max/N = c + b N^-1/2: it needs 3 converged points at N >= 32 (smaller N are ' +
        'pre-asymptotic), 0 here; 5 of 5 not converged*',
    );
    expect(none.minimumConstant).toBeNull();
    expect(scalingText([none], [], kCpuDevice)).toContain(
      '  lambda_min = -kappa/d_nn: no kappa: no point converged*\n',
    );
  });

  it("leave kappa to the converged points: a short run's lambda_min above the eigenvalue gave a smaller one", async () => {
    const study = await cpuSweep('sphere', 'vector', logSpacedCounts(150, 1000, 5));
    // The largest N stopped short, its lambda_min an inner bound: kappa from the four below it.
    const points = study.points.map((p, k) =>
      k === 4
        ? {
            ...p,
            lambdaMin: 0.7 * p.lambdaMin,
            minimumConstant: 0.7 * p.minimumConstant,
            lanczos: { ...p.lanczos, converged: false },
          }
        : p,
    );
    const short = summariseStudy('sphere', 'vector', points, 1);
    const upper = [points[2], points[3]].map((p) => p.minimumConstant);
    expect(short.minimumConstant).toEqual({
      kappa: points[3].minimumConstant,
      uncertainty: Math.max(...upper) - Math.min(...upper),
      kappaClosestPair: -points[3].lambdaMin * points[3].nearestNeighbourMin,
      localized: false,
    });
    expect(short.minimumConstant!.kappa).not.toBe(study.minimumConstant!.kappa);
    expect(scalingText([short], [], kCpuDevice)).toContain(
      `kappa = ${points[3].minimumConstant.toFixed(3)} ± `,
    );
    expect(scalingText([short], [], kCpuDevice)).toContain(
      '; 1 of 5 not converged*, left out): M indefinite',
    );
  });
});

describe('the fits take the asymptotic N alone', () => {
  it('a sweep of small N has no fit, no R* and no London ratio, and says why', async () => {
    // Fitted from all points, N = 2..5 gave c = 0.533 ± 0.037 (2/3 is 3.6 sigma off) and a London
    // ratio of 1.40 ± 0.13 (the continuum's 2 is 4.6 sigma off).
    const study = await cpuSweep('sphere', 'vector', [2, 3, 4, 5]);
    expect(study.points).toHaveLength(4);
    expect(study.fit).toBeNull();
    expect(study.rotationFit).toBeNull();
    expect(study.criticalRadius).toBeNull();
    expect(study.leadingCriticalRadiusMetres).toBeNull();
    expect(study.londonInertiaRatio).toBeNull();
    const text = scalingText([study], [], kCpuDevice);
    expect(text).toContain(
      '  no fit of lambda_max/N = c + b N^-1/2: it needs 3 converged points at N >= 32 (smaller N are ' +
        'pre-asymptotic), 0 here\n',
    );
    expect(text).not.toContain('R* (');
    expect(text).not.toContain('rigid rotation:');
    expect(scalingMarkdown([study]).split('\n')[2]).toBe('| sphere | vector | 2 | – | – | – | – | 9.94e-7 |');
  });

  it('the ring held at 1/pi: no C and no R* without the fit either', async () => {
    const study = await cpuSweep('ring', 'azimuthal', [8, 16, 32, 64]);
    expect(study.fit).toBeNull();
    expect(study.ringConstant).toBeNull();
    expect(study.criticalRadius).toBeNull();
  });

  it("the Markdown's N range is the fit's, not the sweep's; the coefficient with the free exponent's", async () => {
    const study = await cpuSweep('sphere', 'vector', [16, 32, 64, 128, 256]);
    const fit = study.fit!;
    expect([fit.nFrom, fit.nTo, fit.points]).toEqual([32, 256, 4]);
    const row = scalingMarkdown([study]).split('\n')[2].split(' | ');
    expect(row[3]).toBe('32–256');
    // Four N fitted leave none to drop: the ± is the covariance's alone, and the table says so as the
    // text does.
    expect(fit.windowRefits).toBe(0);
    expect(row[5]).toBe(
      `${markdownNumber(fit.coefficient)} ± ${markdownNumber(fit.uncertainty, 2)} ` +
        '(covariance alone: too few N to refit without the smallest) ' +
        `(p free: ${markdownNumber(fit.freeExponentCoefficient)})`,
    );
    // R*'s spread takes the systematic term with the fit's ±.
    const shift = totalUncertainty(fit);
    expect(shift).toBeGreaterThan(fit.uncertainty);
    const at = (c: number) => criticalRadius(2, fit.law, [c, fit.parameters[1]], Math.log(256)).log10Metres;
    expect(study.criticalRadius!.log10Uncertainty).toBeCloseTo(
      Math.abs(at(fit.coefficient + shift) - at(fit.coefficient - shift)) / 2,
      12,
    );
    expect(scalingText([study], [], kCpuDevice)).toContain(
      `; with the exponent free (p = ${fit.freeExponent!.toFixed(3)}): ${fit.freeExponentCoefficient!.toPrecision(5)}, ` +
        `systematic ± ${fit.uncertaintySystematic.toExponential(1)}\n`,
    );
  });
});

describe('the threshold of an indefinite M where the bottom mode is localised', () => {
  it("the ball's bottom mode sits on the closest pair: its kappa, ~1.2, sets the threshold, not the mean's ~1.7", async () => {
    const study = await cpuSweep('ball', 'vector', [150, 300]);
    const last = study.points[1];
    expect(last.minimumMode).toBe('localized');
    const m = study.minimumConstant!;
    expect(m.localized).toBe(true);
    // N = 300: kappa of the mean spacing 1.682, of the closest pair 1.181 (about a lone pair's 1);
    // numpy, eigvalsh of the dense S of the ball of 300: 1.6822813241172316 and 1.1812653802915491.
    expect(Math.abs(m.kappa / 1.6822813241172316 - 1)).toBeLessThan(1e-8);
    expect(Math.abs(m.kappaClosestPair / 1.1812653802915491 - 1)).toBeLessThan(1e-8);
    expect(scalingText([study], [], kCpuDevice)).toContain(
      `(closest pair: ${m.kappaClosestPair.toFixed(3)}): the bottom mode is localised: M indefinite once the ` +
        `closest pair is < ${m.kappaClosestPair.toFixed(2)} r_e apart\n`,
    );
    // The sphere's bottom mode is the breathing one, spread over every electron: the mean spacing's kappa.
    const sphere = await cpuSweep('sphere', 'vector', [150, 300]);
    expect(sphere.minimumConstant!.localized).toBe(false);
    expect(scalingText([sphere], [], kCpuDevice)).toContain(
      `: M indefinite once neighbours are < ${sphere.minimumConstant!.kappa.toFixed(2)} r_e apart\n`,
    );
  });
});

describe("the rigid rotation's fit on the ring and the disk", () => {
  it('the vector ring: a ln N + b of the tangential uniform mode (no radial-tangential g), a -> 1/pi', async () => {
    const study = await cpuSweep('ring', 'vector', kRingNs);
    const fit = study.rotationFit!;
    expect(fit.law.parameters).toEqual(['a', 'b']);
    expect(fit.law.text).toBe('q_rotation/N = a ln N + b');
    expect(fit.law.theory).toBe(1 / Math.PI);
    // N = 32 .. 512 fit it to 3e-4.
    expect(Math.abs(fit.coefficient - 1 / Math.PI)).toBeLessThan(1e-3 / Math.PI);
  });
  it('the uniform disk: q/N -> 32/(15 pi)', async () => {
    const study = await cpuSweep('disk', 'vector', logSpacedCounts(150, 1000, 4));
    const fit = study.rotationFit!;
    expect(fit.law.theory).toBe(32 / (15 * Math.PI));
    // N = 150 .. 1000 fit it to 2.3e-3 (the disk's edge corrects c + b N^-1/2 at these N).
    expect(Math.abs(fit.coefficient - fit.law.theory!)).toBeLessThan(5e-3 * fit.law.theory!);
  });
});

describe('patterns, neighbours and Ritz vectors', () => {
  it('nearest-neighbour distances match the brute-force minimum', () => {
    for (const name of kScalingGeometries) {
      const configuration = geometry(name, 300);
      const nearest = nearestNeighbourDistances(configuration);
      const p = configuration.positions;
      for (let i = 0; i < 300; i += 7) {
        let best = Infinity;
        for (let j = 0; j < 300; j++) {
          if (j !== i)
            best = Math.min(
              best,
              Math.sqrt(
                (p[3 * j] - p[3 * i]) ** 2 +
                  (p[3 * j + 1] - p[3 * i + 1]) ** 2 +
                  (p[3 * j + 2] - p[3 * i + 2]) ** 2,
              ),
            );
        }
        expect(nearest[i], `${name} ${i}`).toBe(best);
      }
    }
  });

  it('subspace overlaps: 1 inside the span, 0 orthogonal to it', () => {
    const a = Float64Array.from([1, 0, 0, 0]);
    const b = Float64Array.from([1, 1, 0, 0]);
    expect(subspaceOverlap([a, b], [0, 3, 0, 0])).toBeCloseTo(1, 14);
    expect(subspaceOverlap([a, b], [0, 0, 2, 0])).toBe(0);
    expect(subspaceOverlap([a, b], [1, 0, 1, 0])).toBeCloseTo(Math.SQRT1_2, 14);
  });

  it("the azimuthal model's translations are e_phi (e_phi . t) at any rho: y_i = -y_i / rho_i, x_i / rho_i on the disk", () => {
    // At (0, 2, 0): e_phi = (-1, 0, 0), so t = x gives (1, 0, 0) and t = y nothing; at (2, 0, 0) the reverse.
    for (const [axis, x, y, expected] of [
      [0, 0, 2, [1, 0, 0]],
      [1, 0, 2, [0, 0, 0]],
      [1, 2, 0, [0, 1, 0]],
    ] as const) {
      const v = kAzimuthalTranslations[axis](x, y, 0, 0);
      expected.forEach((value, c) =>
        expect(v[c], `t = ${'xy'[axis]} at (${x}, ${y}, 0)`).toBeCloseTo(value, 15),
      );
    }
    const system = scalingSystem('disk', 'azimuthal', 40);
    const p = system.configuration.positions;
    const [alongX, alongY] = kAzimuthalTranslations.map((field) => scaledPattern(system, field));
    for (let i = 0; i < 40; i++) {
      const rho = Math.hypot(p[3 * i], p[3 * i + 1]);
      expect(alongX[i], `x ${i}`).toBeCloseTo(-p[3 * i + 1] / rho, 14);
      expect(alongY[i], `y ${i}`).toBeCloseTo(p[3 * i] / rho, 14);
    }
  });

  it('tridiagonal eigenvectors satisfy T s = theta s', () => {
    const d = randomVector(12, 3);
    const e = randomVector(11, 4);
    const { values, vectors } = tridiagonalEigenvectors(d, e, [0, 5, -1]);
    [0, 5, 11].forEach((k, m) => {
      const s = vectors[m];
      for (let i = 0; i < 12; i++) {
        const ts = d[i] * s[i] + (i > 0 ? e[i - 1] * s[i - 1] : 0) + (i < 11 ? e[i] * s[i + 1] : 0);
        expect(ts).toBeCloseTo(values[k] * s[i], 12);
      }
    });
  });

  it('CPU Lanczos Ritz vectors are eigenvectors of the scaled M within their residual bounds', () => {
    const system = scalingSystem('ball', 'vector', 60);
    const op = jacobiScaled(massMatrix(system));
    const result = lanczos(op, { ritzVectors: true });
    expect(result.converged).toBe(true);
    for (const [x, theta, bound] of [
      [result.ritzVectors!.max, result.lambdaMax, result.residualMax],
      [result.ritzVectors!.min, result.lambdaMin, result.residualMin],
    ] as const) {
      const ax = new Float64Array(op.size);
      op.apply(x, ax);
      const residual = Math.hypot(...ax.map((value, k) => value - theta * x[k]));
      expect(residual).toBeLessThanOrEqual(bound + 1e-9);
    }
  });
});

describe('what sets lambda_min', () => {
  it('the sphere: the uniform radial (breathing) motion, whose continuum quotient vanishes', async () => {
    const study = await cpuSweep('sphere', 'vector', [150]);
    const [point] = study.points;
    expect(point.minimumMode).toBe('breathing');
    expect(point.participationMin).toBeCloseTo(150, 0);
  });

  it('the ball: its closest pair, moving apart along its separation (quotient -1/r for a lone pair)', async () => {
    const study = await cpuSweep('ball', 'vector', [300]);
    const [point] = study.points;
    expect(point.minimumMode).toBe('localized');
    expect(study.minimumConstant!.kappaClosestPair).toBeGreaterThan(1);
    expect(study.minimumConstant!.kappaClosestPair).toBeLessThan(1.3);
  });
});

describe("the sphere at London's N = 3R/r_e", () => {
  it('1 + (3/N) q equals (v^T M v)/(v^T D v) of the mass matrix at eps = 3/N', async () => {
    const n = 150;
    const study = await cpuSweep('sphere', 'vector', [n]);
    const system = { ...scalingSystem('sphere', 'vector', n), epsilon: 3 / n };
    const v = velocityPattern(system, 'rigid');
    const ratio = energies(system, v, applyInteractionFree(system, v)).inertiaRatio;
    expect(study.points[0].londonInertiaRatio).toBeCloseTo(ratio, 12);
    expect(londonInertiaRatio(n, study.points[0].rigidRotationQuotient)).toBeCloseTo(ratio, 12);
    // Below its continuum value 2 (the magnetic energy of the rotating shell equals T0), approaching it.
    expect(ratio).toBeGreaterThan(1.7);
    expect(ratio).toBeLessThan(2);
  });
});

// ---------------------------------------------------------------------------------------------
// GPU against the float64 sweep

const gpu = gpuHarness(60_000);
const kTinyNs = [16, 40];
const kGpuTolerance = 1e-5;

describe('the GPU sweep against the float64 sweep', () => {
  for (const name of kScalingGeometries) {
    for (const storage of name === 'ball' ? (['dense', 'free'] as const) : (['dense'] as const)) {
      gpu.test(`${name}, ${storage}: eigenvalues, quotients, overlaps`, async (context) => {
        const factory: BackendFactory = (system) => gpuBackend(context, system, { matrix: storage });
        const model = name === 'sphere' ? 'azimuthal' : 'vector';
        const [onGpu, reference] = await Promise.all([
          scalingSweep(factory, { geometry: name, model, ns: kTinyNs }).then((run) => run.study),
          cpuSweep(name, model, kTinyNs),
        ]);
        onGpu.points.forEach((p, k) => {
          const q = reference.points[k];
          const scale = Math.max(Math.abs(q.lambdaMin), Math.abs(q.lambdaMax));
          const rows = [
            ['lambda_max', p.lambdaMax, q.lambdaMax],
            ['lambda_min', p.lambdaMin, q.lambdaMin],
            ['rotation quotient', p.rigidRotationQuotient, q.rigidRotationQuotient],
            ['translation quotient', p.translationQuotient, q.translationQuotient],
          ] as const;
          for (const [label, got, expected] of rows) {
            expect(
              Math.abs(got - expected) / scale,
              `N = ${p.n} ${label}: ${got} vs ${expected}`,
            ).toBeLessThanOrEqual(kGpuTolerance);
          }
          expect(p.lanczos.converged).toBe(true);
          expect(p.overlaps!.translationRotation).toBeCloseTo(q.overlaps!.translationRotation, 3);
          expect(p.mode).toBe(q.mode);
        });
      });
    }
  }

  gpu.test(
    'GPU Ritz vectors are the CPU ones (up to sign) where the top eigenvalue is simple',
    async (context, cleanup) => {
      // The ball's three translations are split by its irregular points; at N = 40 the top pair is
      // separated by a few percent, enough for float32.
      const system = scalingSystem('ball', 'vector', 40);
      const backend = await gpuBackend(context, system, { matrix: 'dense' });
      cleanup(() => backend.dispose());
      const onGpu = (await backend.spectrum({ ritzVectors: true })).lanczos.ritzVectors!;
      const reference = (await cpuBackend(system).spectrum({ ritzVectors: true })).lanczos.ritzVectors!;
      for (const which of ['max', 'min'] as const) {
        const overlap = Math.abs(onGpu[which].reduce((sum, x, k) => sum + x * reference[which][k], 0));
        expect(overlap, which).toBeGreaterThan(1 - 1e-4);
      }
    },
  );

  gpu.test(
    "each point's float64 check, by spectrum's policy in the reference worker's code",
    async (context) => {
      const { reference, sent } = inProcessReference();
      const factory: BackendFactory = (system) => gpuBackend(context, system, { matrix: 'dense' });
      const { study } = await scalingSweep(factory, {
        geometry: 'ball',
        model: 'vector',
        ns: kTinyNs,
        reference: scalingReference(reference, false),
      });
      for (const p of study.points) {
        // float32's extremes differ from float64's, by less than the target.
        expect(p.check, `N = ${p.n}`).toBeGreaterThan(0);
        expect(p.check, `N = ${p.n}`).toBeLessThanOrEqual(float32CheckTargets(p.n).eigenvalues);
        expect(p.checkTarget).toBe(float32CheckTargets(p.n).eigenvalues);
        expect(p.sampledResidual).toBeNull();
        expect(p.checkMilliseconds).toBeGreaterThan(0);
        // The quotients against the reference's float64 product: float32's error, reported.
        expect(p.quotientCheck, `N = ${p.n}`).toBeGreaterThan(0);
        expect(p.quotientCheck, `N = ${p.n}`).toBeLessThan(1e-5);
      }
      // One dense float64 Lanczos run per point, each its own system.
      const spectra = sent.filter((request) => request.kind === 'spectrum');
      expect(spectra.map((request) => request.system.configuration.n)).toEqual(kTinyNs);
      expect(new Set(spectra.map((request) => request.key)).size).toBe(kTinyNs.length);
      expect(scalingCheckWarning([study])).toBeNull();
    },
  );
});

// ---------------------------------------------------------------------------------------------
// Each point's float64 check (runSpectrum's), on the float32 CPU backend that mirrors the GPU

describe("a point's float64 check of its extremes", () => {
  const mirror: BackendFactory = async (system) => cpuBackend(system, 'float32');
  const options = { geometry: 'sphere', model: 'vector', tol: 1e-6 } as const;

  it('a reference that cannot be made fails the point, and its backend is disposed all the same', async () => {
    let disposed = 0;
    const counted: BackendFactory = async (system) => {
      const backend = cpuBackend(system, 'float32');
      return { ...backend, dispose: () => (disposed++, backend.dispose()) };
    };
    const refused = new Error('no reference for this point');
    const reference = () => {
      throw refused;
    };
    await expect(scalingPoint(counted, { ...options, reference }, 16)).rejects.toBe(refused);
    expect(disposed).toBe(1);
  });

  it('against the dense float64 reference: a real error within the target', async () => {
    const p = await scalingPoint(mirror, { ...options, reference: (system) => cpuBackend(system) }, 40);
    expect(p.check).toBeGreaterThan(0);
    expect(p.check).toBeLessThanOrEqual(float32CheckTargets(40).eigenvalues);
    expect(p.checkTarget).toBe(float32CheckTargets(40).eigenvalues);
    expect(p.sampledResidual).toBeNull();
  });

  it("the quotients' float32 error against the dense reference's float64 product; none past it or unchecked", async () => {
    const p = await scalingPoint(mirror, { ...options, reference: (system) => cpuBackend(system) }, 40);
    const exact = await scalingPoint(cpu, options, 40);
    const error = (got: number, expected: number) => Math.abs(got - expected) / Math.abs(expected);
    expect(p.quotientCheck).toBe(
      Math.max(
        error(p.rigidRotationQuotient, exact.rigidRotationQuotient),
        error(p.translationQuotient, exact.translationQuotient),
      ),
    );
    // float32's products leave a real error, at float32's scale.
    expect(p.quotientCheck).toBeGreaterThan(1e-9);
    expect(p.quotientCheck).toBeLessThan(1e-5);
    expect(exact.quotientCheck).toBeNull();
    const sampled = await scalingPoint(
      mirror,
      { ...options, reference: (system) => sampledRows(system) },
      40,
    );
    expect(sampled.quotientCheck).toBeNull();
    // In the JSON and CSV; a file saved before the quotients were checked reads as unchecked.
    const study = summariseStudy('sphere', 'vector', [p], 0);
    const json = scalingJson({
      device: kCpuDevice,
      model: 'vector',
      ns: [40],
      studies: [study],
      extras: [denseAt([40])],
      shard: null,
      sweep: null,
      totalMs: 0,
    });
    const saved = JSON.parse(toJson(json)) as ReturnType<typeof scalingJson>;
    expect(saved.studies[0].points[0].quotient_check).toBe(p.quotientCheck);
    expect(scalingRunFromJson(saved, 's.json').studies[0].points[0].quotientCheck).toBe(p.quotientCheck);
    const older: Record<string, unknown> = { ...saved.studies[0].points[0] };
    delete older.quotient_check;
    const before = { ...saved, studies: [{ ...saved.studies[0], points: [older] }] };
    expect(scalingRunFromJson(before, 's.json').studies[0].points[0].quotientCheck).toBeNull();
    expect(() =>
      scalingRunFromJson(
        { ...saved, studies: [{ ...saved.studies[0], points: [{ ...older, quotient_check: 'small' }] }] },
        's.json',
      ),
    ).toThrow(/quotient_check is not a finite number or null/);
  });

  it('past the dense reference, the extreme Ritz pairs on sampled float64 rows: a residual within its target', async () => {
    const p = await scalingPoint(mirror, { ...options, reference: (system) => sampledRows(system) }, 40);
    expect(p.check).toBeNull();
    expect(p.sampledResidual).toBeGreaterThan(0);
    // 10 max(tol, float32's eigenvalue target).
    expect(p.checkTarget).toBe(1e-4);
    expect(p.sampledResidual).toBeLessThanOrEqual(1e-4);
  });

  it('flags a wrong extreme: a reference lambda_max off by 1e-3 of it, in the JSON, CSV, text and one warning', async () => {
    // The reference's lambda_max moved: the point's own, float32's, is then 1e-3 off.
    const perturbed: PointReference = (system) => {
      const exact = cpuBackend(system);
      const reference: Reference = {
        ...exact,
        spectrum: async (o) => {
          const result = await exact.spectrum(o);
          return { ...result, interactionMax: result.interactionMax + 1e-3 * (1 + result.interactionMax) };
        },
      };
      return reference;
    };
    const good = await scalingPoint(mirror, { ...options, reference: (system) => cpuBackend(system) }, 16);
    const bad = await scalingPoint(mirror, { ...options, reference: perturbed }, 40);
    expect(Math.abs(bad.check! - 1e-3)).toBeLessThan(1e-5);
    const study = summariseStudy('sphere', 'vector', [good, bad], 0);
    expect(worstCheck(study.points)).toMatchObject({
      n: 40,
      name: 'check',
      target: float32CheckTargets(40).eigenvalues,
    });
    const json = scalingJson({
      device: kCpuDevice,
      model: 'vector',
      ns: [16, 40],
      studies: [study],
      extras: [denseAt([16, 40])],
      shard: null,
      sweep: null,
      totalMs: 0,
    });
    const points = json.studies[0].points;
    expect(points.map((p) => p.within_target)).toEqual([true, false]);
    expect(points[1]).toMatchObject({ check: bad.check, sampled_residual: null, check_target: 1e-5 });
    const [header, ...rows] = scalingCsv([study]).trim().split('\n');
    const columns = header.split(',');
    expect(columns.slice(-5)).toEqual([
      'check',
      'sampled_residual',
      'check_target',
      'within_target',
      'quotient_check',
    ]);
    const cell = (row: string, name: string) => row.split(',')[columns.indexOf(name)];
    expect(rows.map((row) => cell(row, 'within_target'))).toEqual(['true', 'false']);
    expect(Number(cell(rows[1], 'check'))).toBe(bad.check);
    expect(Number(cell(rows[1], 'check_target'))).toBe(1e-5);
    expect(cell(rows[1], 'sampled_residual')).toBe('');
    const text = scalingText([study], [], kCpuDevice);
    expect(text).toMatch(/ check\n/);
    expect(text).toContain(`${bad.check!.toExponential(1)}!\n`);
    expect(scalingMarkdown([study])).toContain(`| ${bad.check!.toExponential(1)} > 1.0e-5 (N = 40) |`);
    expect(scalingCheckWarning([study])).toBe(
      `warning: the float64 check of the extreme eigenvalues is past its target: sphere N = 40 check ` +
        `${bad.check!.toExponential(2)} > its target 1.00e-5 ("within_target": false); --device cpu runs ` +
        'the sweep in float64 (or a smaller --tree-tol where M was the tree)',
    );
    // Read back as merge and the app read it: the check and its verdict kept.
    const back = scalingRunFromJson(JSON.parse(toJson(json)), 's.json').studies[0].points;
    expect(back).toEqual(study.points);
  });

  it("spectrum's policy: the dense reference to 3000 unknowns, sampled rows past them, none on the CPU's dense M", () => {
    const { reference } = inProcessReference();
    const of = scalingReference(reference, true);
    const small = scalingSystem('sphere', 'vector', 1000);
    const large = scalingSystem('sphere', 'vector', 1001);
    const backend = (name: 'cpu' | 'gpu', tree = false) =>
      ({ name, ...(tree && { tree: { tolerance: 1e-5 } }) }) as unknown as MassMatrixBackend;
    expect(of(small, backend('gpu'))).toMatchObject({ afterRun: true });
    expect(of(small, backend('gpu'))?.kind).toBeUndefined();
    expect(of(large, backend('gpu'))).toMatchObject({ kind: 'sampled', afterRun: true });
    expect(of(small, backend('cpu'))).toBeNull();
    expect(of(large, backend('cpu'))).toBeNull();
    // The CPU's tree is approximate: checked as the GPU is.
    expect(of(small, backend('cpu', true))?.kind).toBeUndefined();
    expect(of(large, backend('cpu', true))).toMatchObject({ kind: 'sampled' });
  });
});

// ---------------------------------------------------------------------------------------------
// The CLI: the JSON contract scripts rely on

describe("scaling.csv: each row its point's JSON", () => {
  it('every column the key it names, participation_max and all five overlaps too; empty where the JSON has null', async () => {
    const ns = [12, 24, 48];
    const study = await cpuSweep('sphere', 'vector', ns);
    const [first, second, third] = study.points;
    expect(third.overlaps).not.toBeNull();
    // A point whose Lanczos kept no Ritz vectors has no modes; one read back from a file whose
    // overlap was null holds NaN, which toJson writes as null.
    const points = [
      {
        ...first,
        overlaps: null,
        mode: null,
        minimumOverlaps: null,
        minimumMode: null,
        participationMax: null,
        participationMin: null,
      },
      { ...second, overlaps: { ...second.overlaps!, rigidRotation: NaN } },
      third,
    ];
    const shown = { ...study, points };
    const csv = scalingCsv([shown]);
    expectCsvIsJson(
      csv,
      JSON.parse(
        toJson(
          scalingJson({
            device: kCpuDevice,
            model: 'vector',
            ns,
            studies: [shown],
            extras: [denseAt(ns)],
            shard: null,
            sweep: null,
            totalMs: 0,
          }),
        ),
      ),
    );
    const [header, ...rows] = csv.trim().split('\n');
    const columns = header.split(',');
    const cell = (row: string, name: string) => row.split(',')[columns.indexOf(name)];
    expect(columns).toEqual(
      expect.arrayContaining([
        'overlap_rigid_rotation',
        'overlap_azimuthal_translation',
        'overlap_translation_rotation',
        'participation_max',
      ]),
    );
    expect(cell(rows[0], 'overlap_translation_rotation')).toBe('');
    expect(cell(rows[0], 'participation_max')).toBe('');
    expect(cell(rows[1], 'overlap_rigid_rotation')).toBe('');
    // The full point's: overlaps in [0, 1], that with translations and rotations together at least
    // either's, and the top mode on between 1 and N electrons.
    const number = (name: string) => Number(cell(rows[2], name));
    for (const name of [
      'overlap_rigid_rotation',
      'overlap_azimuthal_translation',
      'overlap_translation_rotation',
    ]) {
      expect(number(name), name).toBeGreaterThanOrEqual(0);
      expect(number(name), name).toBeLessThanOrEqual(1 + 1e-12);
    }
    expect(number('overlap_translation_rotation')).toBeGreaterThanOrEqual(
      number('overlap_translation') - 1e-12,
    );
    expect(number('overlap_translation_rotation')).toBeGreaterThanOrEqual(number('overlap_rotation') - 1e-12);
    expect(number('participation_max')).toBeGreaterThan(1);
    expect(number('participation_max')).toBeLessThanOrEqual(48);
  });
});

describe('scaling on the command line', () => {
  // Not quiet: a run's progress lines are read from its stderr.
  const { cli, dir } = useCliBundle('scaling', { quiet: false });

  it('keeps the JSON contract and writes its files', () => {
    // Four N from kFitFromN = 32: each law is fitted (the ring's vector law has three parameters).
    const run = cli('scaling', '--n-min', '32', '--n-max', '48', '--points', '4', '--json', '--out', dir);
    expect(run.status, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary.studies.map((s: { geometry: string }) => s.geometry)).toEqual([
      'ring',
      'disk',
      'sphere',
      'ball',
    ]);
    for (const study of summary.studies) {
      for (const key of [
        'geometry',
        'model',
        'dimension',
        'points',
        'fit',
        'critical_radius_m',
        'paper_radius_m',
      ]) {
        expect(study, key).toHaveProperty(key);
      }
      expect(study.points).toHaveLength(4);
      for (const point of study.points) {
        for (const key of ['n', 'lambda_max', 'lambda_min', 'rigid_rotation_quotient']) {
          expect(typeof point[key], key).toBe('number');
        }
        // On the GPU every point is checked; these N hold the dense reference (at most 192 unknowns).
        expect(point.check, `${study.geometry} N = ${point.n}`).toBeGreaterThan(0);
        expect(point.check).toBeLessThanOrEqual(point.check_target);
        expect(point).toMatchObject({ sampled_residual: null, check_target: 1e-5, within_target: true });
        // The quotients against the dense reference's float64 product: float32's error.
        expect(point.quotient_check, `${study.geometry} N = ${point.n}`).toBeGreaterThan(0);
        expect(point.quotient_check).toBeLessThan(1e-5);
      }
      for (const key of ['law', 'coefficient', 'uncertainty', 'uncertainty_systematic']) {
        expect(study.fit, key).toHaveProperty(key);
      }
      expect(typeof study.fit.coefficient).toBe('number');
    }
    const [ring, disk, sphere, ball] = summary.studies;
    expect([ring.dimension, disk.dimension, sphere.dimension, ball.dimension]).toEqual([1, 2, 2, 3]);
    expect(ring.critical_radius_m).toBeNull();
    expect(ring.critical_radius_log10_m).toBeGreaterThan(25000);
    expect(ring.paper_radius_m).toBeNull();
    expect(disk.paper_radius_m).toBeCloseTo(minimumSuperconductingSize(2), 15);
    expect(sphere.points[0].london_inertia_ratio).toBeGreaterThan(1);
    // The largest point's ratio is London's at eps = 3/N: no second M at that N repeats it.
    expect(sphere).not.toHaveProperty('london_inertia_ratio_direct');
    expect(run.stderr).toMatch(/ball N = 48 \(144 unknowns/);
    for (const file of ['scaling.json', 'scaling.csv', 'scaling-ring.svg', 'scaling-ball-coefficient.svg']) {
      expect(existsSync(join(dir, file)), file).toBe(true);
    }
    expect(JSON.parse(readFileSync(join(dir, 'scaling.json'), 'utf8')).studies).toHaveLength(4);
    const text = readFileSync(join(dir, 'scaling.csv'), 'utf8');
    expectCsvIsJson(text, JSON.parse(readFileSync(join(dir, 'scaling.json'), 'utf8')));
    const csv = text.trim().split('\n');
    expect(csv).toHaveLength(1 + 4 * 4);
    expect(csv[0]).toMatch(/,check,sampled_residual,check_target,within_target,quotient_check$/);
    for (const row of csv.slice(1)) {
      const [check, sampled, target, within, quotient] = row.split(',').slice(-5);
      expect([Number(check) > 0, sampled, Number(target), within]).toEqual([true, '', 1e-5, 'true']);
      expect(Number(quotient)).toBeGreaterThan(0);
    }
    expect(run.stderr).not.toContain('warning:');
  }, 60_000);

  it('--device cpu --matrix tree: the points of the dense run to the tree tolerance, matrix "tree" (or "dense") per N', () => {
    const args = [
      'scaling',
      '--geometries',
      'ring',
      '--model',
      'azimuthal',
      '--n-min',
      '600',
      '--n-max',
      '600',
    ];
    const options = [...args, '--points', '1', '--device', 'cpu', '--tol', '1e-8', '--json'];
    const tree = cli(...options, '--matrix', 'tree', '--tree-tol', '1e-6');
    const dense = cli(...options);
    expect(tree.status, tree.stderr).toBe(0);
    expect(dense.status, dense.stderr).toBe(0);
    const [got] = JSON.parse(tree.stdout).studies;
    const [want] = JSON.parse(dense.stdout).studies;
    expect(got.matrix).toEqual({ 600: 'tree' });
    // The dense run names its storage as solve --device cpu does, not null.
    expect(want.matrix).toEqual({ 600: 'dense' });
    const scale = Math.abs(want.points[0].lambda_max) + 1;
    expect(got.points[0].lambda_max).not.toBe(want.points[0].lambda_max);
    expect(Math.abs(got.points[0].lambda_max - want.points[0].lambda_max) / scale).toBeLessThan(1e-6);
    expect(Math.abs(got.points[0].lambda_min - want.points[0].lambda_min) / scale).toBeLessThan(1e-6);
  }, 120_000);

  it.each([
    [['--model', 'scalar'], /^error: --model must be one of vector, azimuthal, got 'scalar'\n$/],
    [['--device', 'tpu'], /^error: --device must be one of gpu, cpu, got 'tpu' \(did you mean gpu\?\)\n$/],
    [
      ['--matrix', 'trees'],
      /^error: --matrix must be one of dense, free, tree, auto, got 'trees' \(did you mean tree\?\)\n$/,
    ],
    [
      ['--tree-tol', '0'],
      /^error: --tree-tol must be in \[6\.45e-8, 1\) \(the highest expansion order, 16\), got 0\n$/,
    ],
    [['--tree-tol', 'abc'], /^error: --tree-tol needs a finite number, got 'abc'\n$/],
    // Beside a matrix that never holds the tree the tolerance would be silently ignored.
    [
      ['--matrix', 'free', '--tree-tol', '1e-3'],
      /^error: --tree-tol applies only to --matrix tree or auto, not free\n$/,
    ],
    // Past the 10^8 electrons of every command, refused before any point builds its positions.
    [['--n-min', '200000000'], /^error: --n-min must be an integer in 2\.\.100000000, got 200000000\n$/],
    [
      ['--n-max', '200000000'],
      /^error: --n-max must be an integer in n-min\.\.100000000 \(16\.\.100000000\), got 200000000\n$/,
    ],
    // More points than N in the range: rounding would merge them, and 10^8 of them built a set
    // past a Set's size (an internal RangeError, exit 1).
    [
      ['--n-min', '2', '--n-max', '100000000', '--points', '100000000'],
      /^error: --points must be an integer in 1\.\.n-max - n-min \+ 1 \(1\.\.99999999\), one point per N at most, got 100000000\n$/,
    ],
    [
      ['--n-min', '4', '--n-max', '5', '--points', '5'],
      /^error: --points must be an integer in 1\.\.n-max - n-min \+ 1 \(1\.\.2\), one point per N at most, got 5\n$/,
    ],
    // The study reports the float32 Lanczos run unrefined: its bounds below 1e-6 are rounding.
    [
      ['--tol', '1e-7'],
      /^error: --tol 1e-7 is below the 1e-6 the GPU's float32 Lanczos resolves, and scaling does not refine its eigenvalues in float64 \(spectrum does\); use --device cpu\n$/,
    ],
  ])('refuses %s (exit 2, one line)', (flags, message) => {
    const run = cli('scaling', ...flags);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('--help is the help, whatever the other flags hold, as in every other command', () => {
    const help = cli('scaling', '--help', '--points', '0');
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^Usage: darwin-breit scaling /);
    expect(help).toEqual(cli('scaling', '--help'));
  });

  it('says on stderr where rounding merges log-spaced points into fewer N', () => {
    const run = cli(
      'scaling',
      '--geometries',
      'ring',
      '--n-min',
      '2',
      '--n-max',
      '10',
      '--points',
      '9',
      '--device',
      'cpu',
      '--json',
    );
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).ns).toEqual([2, 3, 4, 5, 7, 8, 10]);
    expect(run.stderr).toContain(
      'scaling: the 9 log-spaced points round to 7 distinct N: 2, 3, 4, 5, 7, 8, 10\n',
    );
  });

  it('refuses a geometry it has no law for (exit 2)', () => {
    const run = cli('scaling', '--geometries', 'ring,cube');
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^error: --geometries takes ring, disk, sphere, ball, got 'cube'\n$/);
  });
});

describe('a saved sweep read back (the app loads scaling.json into its card)', () => {
  const ns = [12, 24, 48];
  const saved = async () => {
    const study = await cpuSweep('sphere', 'vector', ns);
    const json = scalingJson({
      device: kCpuDevice,
      model: 'vector',
      ns,
      studies: [study],
      extras: [denseAt(ns)],
      shard: null,
      sweep: null,
      totalMs: 5,
    });
    return { study, json: JSON.parse(toJson(json)) as Record<string, unknown> };
  };

  it('gives back every point, the model and what the JSON adds beside the study', async () => {
    const { study, json } = await saved();
    const run = scalingRunFromJson(json, 's.json');
    expect(run.device).toEqual(kCpuDevice);
    expect(run.totalMs).toBe(5);
    expect(run.model).toBe('vector');
    expect(run.studies).toHaveLength(1);
    expect(run.studies[0].geometry).toBe('sphere');
    // NaN (null in the JSON) compares equal under toEqual, as it should.
    expect(run.studies[0].points).toEqual(study.points);
    const dense = { matrix: { 12: 'dense', 24: 'dense', 48: 'dense' } };
    expect(run.studies[0].extra).toEqual(dense);
    const [study0] = json.studies as Record<string, unknown>[];
    // A CPU run's file written before it named its dense M has null there, which only such a run
    // wrote: read as dense at each N. A map that names the tree is read as it is.
    const older = { ...json, studies: [{ ...study0, matrix: null }] };
    expect(scalingRunFromJson(older, 's.json').studies[0].extra).toEqual(dense);
    const onTree = { ...json, studies: [{ ...study0, matrix: { 12: 'dense', 24: 'tree', 48: 'tree' } }] };
    expect(scalingRunFromJson(onTree, 's.json').studies[0].extra).toEqual({
      matrix: { 12: 'dense', 24: 'tree', 48: 'tree' },
    });
    // One written before a CPU run named every N names only those that took the tree: the rest
    // held the dense M.
    const treeOnly = { ...json, studies: [{ ...study0, matrix: { 24: 'tree', 48: 'tree' } }] };
    expect(scalingRunFromJson(treeOnly, 's.json').studies[0].extra).toEqual({
      matrix: { 12: 'dense', 24: 'tree', 48: 'tree' },
    });
    // A file written while london_inertia_ratio_direct was (either of its shapes) loads all the same.
    for (const direct of [
      { n: 48, value: 1.5 },
      { n: 48, value: 1.5, float64: 1.25, check: 0.2 },
    ]) {
      const before = { ...json, studies: [{ ...study0, london_inertia_ratio_direct: direct }] };
      const loaded = scalingRunFromJson(before, 's.json').studies[0];
      expect(loaded.points).toEqual(study.points);
      expect(loaded.extra).toEqual(dense);
    }
  });

  it.each([
    [
      'a shard',
      { shard: { index: 1, count: 2 } },
      /one shard of a run: join the shards with darwin-breit merge/,
    ],
    ['another model', { model: 'scalar' }, /model must be vector or azimuthal/],
    [
      'no device',
      { device: { kind: 'tpu' } },
      /names no device \("device": \{"kind": "gpu" or "cpu"\}, as every --json writes it\)$/,
    ],
    ['no studies', { studies: [] }, /no "studies" list/],
    [
      'a geometry it has no law for',
      { studies: [{ geometry: 'cube', points: [] }] },
      /not a scaling geometry/,
    ],
    [
      'a sweep without points',
      { studies: [{ geometry: 'ring', points: [] }] },
      /the ring sweep has no points/,
    ],
    [
      'a point that is not one',
      { studies: [{ geometry: 'ring', points: [{ n: 8 }] }] },
      /point 0 is not what/,
    ],
    [
      'a storage that is not a map of N',
      { studies: [{ geometry: 'ring', matrix: 'dense', points: [] }] },
      /^s\.json: studies\[0\]\.matrix is not an object or null, not what scaling --json writes$/,
    ],
  ])('refuses %s in one line', async (_name, change, message) => {
    const { json } = await saved();
    expect(() => scalingRunFromJson({ ...json, ...change }, 's.json')).toThrow(message);
    expect(() => scalingRunFromJson({ ...json, ...change }, 's.json')).toThrow(InputError);
  });

  it("refuses a point whose lambda_max is null, naming it, where the card showed NaN (merge's check)", async () => {
    const { json } = await saved();
    const [study] = json.studies as { points: Record<string, unknown>[] }[];
    const points = study.points.map((p, k) => (k === 1 ? { ...p, lambda_max: null } : p));
    expect(() => scalingRunFromJson({ ...json, studies: [{ ...study, points }] }, 's.json')).toThrow(
      "s.json: the sphere sweep's point 1 is not what scaling --json writes (points[1].lambda_max is not a finite number)",
    );
  });

  it('reads a file written before the float64 check as not checked, and still refuses a check of another type', async () => {
    // results/scaling.json of f096b0e: its points have none of the check's fields.
    const { study, json } = await saved();
    const older = structuredClone(json);
    const [olderStudy] = older.studies as { points: Record<string, unknown>[] }[];
    for (const point of olderStudy.points)
      for (const key of ['check', 'sampled_residual', 'check_target', 'within_target', 'check_ms'])
        delete point[key];
    const points = scalingRunFromJson(older, 's.json').studies[0].points;
    expect(points).toEqual(study.points);
    for (const point of points) {
      expect(point.check).toBeNull();
      expect(point.sampledResidual).toBeNull();
      expect(point.checkTarget).toBeNull();
      expect(point.checkMilliseconds).toBeNull();
    }
    olderStudy.points[1].check = '3e-7';
    expect(() => scalingRunFromJson(older, 's.json')).toThrow(
      "s.json: the sphere sweep's point 1 is not what scaling --json writes (points[1].check is not a finite number or null)",
    );
    // A check without its target would be read as none: all of the check's fields, or none.
    olderStudy.points[1].check = 3e-7;
    expect(() => scalingRunFromJson(older, 's.json')).toThrow(
      "s.json: the sphere sweep's point 1 is not what scaling --json writes (points[1].sampled_residual is missing)",
    );
  });

  it('refuses N out of order', async () => {
    const { json } = await saved();
    const [study] = json.studies as { points: unknown[] }[];
    const swapped = { ...study, points: [study.points[1], study.points[0], study.points[2]] };
    expect(() => scalingRunFromJson({ ...json, studies: [swapped] }, 's.json')).toThrow(
      /N must be integers >= 2, ascending/,
    );
  });
});

describe("the app's fields for a loaded sweep (logSpacedPointCount)", () => {
  it('finds the count whose log-spaced N are the sweep, where rounding merged some', () => {
    const ns = logSpacedCounts(16, 26, 11);
    expect(ns.length).toBeLessThan(11);
    const count = logSpacedPointCount(ns, kScalingBrowserElectrons, kScalingBrowserPoints);
    expect(count).not.toBeNull();
    expect(logSpacedCounts(16, 26, count!)).toEqual(ns);
    expect(logSpacedPointCount([32, 64, 128], kScalingBrowserElectrons, kScalingBrowserPoints)).toBe(3);
  });

  it('none for N the page cannot run or does not space so', () => {
    expect(logSpacedPointCount([100, 10_000], kScalingBrowserElectrons, kScalingBrowserPoints)).toBeNull();
    expect(logSpacedPointCount([16, 17, 100], kScalingBrowserElectrons, kScalingBrowserPoints)).toBeNull();
    // Thirteen N need more points than the page's twelve.
    expect(
      logSpacedPointCount(logSpacedCounts(16, 4096, 13), kScalingBrowserElectrons, kScalingBrowserPoints),
    ).toBeNull();
  });
});
