// The run layer (src/run): solve and spectrum as runs on the CPU backends against the ring's closed
// form and the dense float64 solve, the one check policy, and the JSON the CLI and the app write (the
// app's after a spectrum alone, and the device it names: src/io/formats.ts describeDevice).
import { readFileSync } from 'node:fs';
import { describe, expect, test, vi } from 'vitest';
import { geometry } from '../src/physics/geometry.ts';
import { unknowns, type DarwinSystem } from '../src/physics/models.ts';
import { dot, norm } from '../src/math/vectors.ts';
import { energies, relativeError } from '../src/physics/observables.ts';
import { ringCirculantEigenvalues } from '../src/physics/ring.ts';
import { velocityPattern } from '../src/physics/velocities.ts';
import { cpuBackend, cpuTreeBackend, type MassMatrixBackend } from '../src/run/backend.ts';
import { massMatrix } from '../src/run/backend.ts';
import { applyMassMatrix } from '../src/solvers/dense.ts';
import { kDefaultLanczosBasis } from '../src/solvers/lanczos.ts';
import { solve } from '../src/solvers/solve.ts';
import {
  csvKind,
  describeDevice,
  deviceName,
  kCpuDevice,
  parseJsonObject,
  resultCsv,
  savedResult,
  toJson,
  unknownCsvMessage,
} from '../src/io/formats.ts';

/** A result file's text as the app reads it back. */
const parseSavedResult = (text: string, name: string) => savedResult(parseJsonObject(text, name), name);
import type { GpuAdapterSummary, GpuContext } from '../src/gpu/device.ts';
import { InputError } from '../src/physics/input-error.ts';
import {
  darwinError,
  checkDecision,
  CheckStopped,
  eigenvalueErrors,
  float32CheckTargets,
  interactionError,
  kCheckMaxUnknowns,
  type Reference,
} from '../src/run/check.ts';
import {
  solveCheckWarning,
  solveConvergenceWarning,
  solveJson,
  spectrumCheckWarning,
  spectrumConvergenceWarning,
  spectrumJson,
  spectrumSummaryJson,
} from '../src/run/report.ts';
import type { ConvergenceReason } from '../src/solvers/types.ts';
import { runSolve, type SolveReport, type SolveRequest } from '../src/run/solve.ts';
import { runSpectrum } from '../src/run/spectrum.ts';
import { denseSpectrumCheck } from './helpers/reference.ts';
import { randomVector } from './helpers/compare.ts';
import { darwinSystem, momentaRequest, ringSpectrum, velocitiesRequest } from './helpers/systems.ts';

const kN = 24;
const kEpsilon = 0.01;
/** N electrons on the unit ring, azimuthal model: M = I + eps V with V circulant (eq. 31). */
const ring: DarwinSystem = {
  configuration: geometry('ring', kN),
  model: 'azimuthal',
  dim: 3,
  epsilon: kEpsilon,
  softening: 0,
};
const sphere: DarwinSystem = {
  configuration: geometry('sphere', 40),
  model: 'vector',
  dim: 3,
  epsilon: 2e-3,
  softening: 0,
};
const lambdas = ringCirculantEigenvalues(kN);

function roundTrip(system: DarwinSystem, pattern: 'rigid' | 'random'): SolveRequest {
  return {
    mode: 'round_trip',
    given: velocityPattern(system, pattern, 7),
    pattern,
    seed: 7,
    solver: 'auto',
    rtol: 1e-10,
  };
}

describe('runSolve on the float64 CPU backend', () => {
  test('a rigid rotation of the ring is the k = 0 mode: p = (1 + eps lambda_0) omega, closed form', async () => {
    const report = await runSolve(ring, cpuBackend(ring), roundTrip(ring, 'rigid'));
    const p0 = 1 + kEpsilon * lambdas[0];
    for (const p of report.momenta) expect(Math.abs(p - p0) / p0).toBeLessThan(1e-13);
    // T0 = sum rho^2 phidot^2 / 2 = N/2; T = v.p / 2 = N (1 + eps lambda_0) / 2.
    expect(report.energies!.kinetic).toBeCloseTo(kN / 2, 12);
    expect(Math.abs(report.energies!.total - (kN * p0) / 2)).toBeLessThan(1e-12 * kN);
    expect(report.energies!.inertiaRatio).toBeCloseTo(p0, 12);
    expect(report.solve?.converged).toBe(true);
    expect(report.roundTripError).toBeLessThan(1e-10);
    expect(report.check).toBeNull();
    expect(report.mode).toBe('round_trip');
    expect(report.timing.matvec).toBeGreaterThanOrEqual(0);
    expect(report.timing.solve).toBeGreaterThanOrEqual(0);
  });

  test('each mode matches the dense float64 product and solve', async () => {
    const m = massMatrix(sphere);
    const v = velocityPattern(sphere, 'random', 3);
    const p = applyMassMatrix(m, v);
    const backend = cpuBackend(sphere);
    const base = { pattern: null, seed: null, solver: 'cg', rtol: 1e-12 } as const;

    const momenta = await runSolve(sphere, backend, { ...base, mode: 'momenta', given: v });
    expect(momenta.solve).toBeNull();
    expect(momenta.roundTripError).toBeNull();
    expect(relativeError(momenta.momenta, p)).toBeLessThan(1e-15);
    expect(momenta.velocities).toBe(v);
    expect(momenta.timing.solve).toBeUndefined();

    const velocities = await runSolve(sphere, backend, { ...base, mode: 'velocities', given: p });
    expect(velocities.momenta).toBe(p);
    expect(velocities.timing.matvec).toBeUndefined();
    expect(relativeError(velocities.velocities, solve(m, p, 'cg', { rtol: 1e-12 }).x)).toBeLessThan(1e-11);
    expect(relativeError(velocities.velocities, v)).toBeLessThan(1e-10);
    expect(velocities.roundTripError).toBeNull();
  });

  test("the velocities mode's check: the targets of its errors alone, no momenta's", async () => {
    const p = applyMassMatrix(massMatrix(sphere), velocityPattern(sphere, 'random', 3));
    const backend = cpuBackend(sphere);
    const request = {
      pattern: null,
      seed: null,
      solver: 'cg',
      rtol: 1e-12,
      mode: 'velocities',
      given: p,
    } as const;
    const report = await runSolve(sphere, backend, request, backend);
    // The momenta are given: nothing computed them, so nothing checks them.
    expect(report.check!.momenta).toBeNull();
    expect(report.check!.velocities).toBeLessThan(1e-10);
    const context = { device: kCpuDevice, matrix: null, radiusMetres: 1, timing: {} };
    const check = solveJson(sphere, report, context).check as Record<string, unknown>;
    expect(check).not.toHaveProperty('momenta');
    const { velocities, interaction } = report.checkTargets;
    expect(check.targets).toEqual({ velocities, interaction });
    expect(check.within_target).toBe(true);
  });

  test("the velocities mode's energies: those of the solved v with its own M v, not of the given p", async () => {
    // A float32 solve (the GPU's, mirrored here) beside float64 products (the GPU backend's eps T v,
    // gpuInteraction): at eps = 1e-8 the Darwin energy is ~1e-6 of the kinetic one, and the float32
    // solve's v, 3e-8 off, made (v.p - v.D v) / 2 with the given p 5% off (CG's v.p = v.M v holds
    // in exact arithmetic only); v.(M v - D v) / 2 keeps the solve's relative error.
    const small = { ...sphere, configuration: geometry('sphere', 100), epsilon: 1e-8 };
    const v = velocityPattern(small, 'rigid');
    const p = applyMassMatrix(massMatrix(small), v);
    const float64 = cpuBackend(small);
    const exact = energies(small, v, await float64.interaction(v));
    const float32Solve: MassMatrixBackend = {
      ...float64,
      velocities: cpuBackend(small, 'float32').velocities,
    };
    const request = velocitiesRequest(p, 1e-6);
    const report = await runSolve(small, float32Solve, request);
    expect(relativeError(report.velocities, v)).toBeGreaterThan(1e-8);
    expect(Math.abs(report.energies!.darwin / exact.darwin - 1)).toBeLessThan(1e-6);
    expect(Math.abs(report.energies!.kinetic / exact.kinetic - 1)).toBeLessThan(1e-6);
    expect(report.energies!.total).toBeCloseTo(report.energies!.kinetic + report.energies!.darwin, 12);
  });

  test('momenta that are not finite are refused, velocities that are not are diverged_nan', async () => {
    // The GPU tree's float32 overflow gave p = +-Infinity, energies of -Infinity and exit 0. (A GPU
    // backend at rtol 1e-6, which it does not refine in float64.)
    const backend = cpuBackend(sphere);
    const base = { pattern: null, seed: null, solver: 'cg', rtol: 1e-6 } as const;
    const v = velocityPattern(sphere, 'random', 3);
    const overflowed: MassMatrixBackend = {
      ...backend,
      name: 'gpu',
      system: sphere,
      interaction: async (velocities) => {
        const part = await backend.interaction(velocities);
        part[3 * 7 + 1] = -Infinity;
        return part;
      },
      velocities: async (p, solver, options) => {
        const result = await backend.velocities(p, solver, options);
        result.x[5] = NaN;
        return result;
      },
    };
    for (const mode of ['momenta', 'round_trip'] as const) {
      const run = runSolve(sphere, overflowed, { ...base, mode, given: v });
      await expect(run).rejects.toThrow(InputError);
      await expect(run).rejects.toThrow(
        "p = M v is not finite at electron 7: float32, the GPU's precision, cannot hold this product; " +
          'use the CPU reference (--device cpu), which keeps float64, or a softening > 0',
      );
    }
    const p = await backend.momenta(v);
    const solved = await runSolve(sphere, overflowed, { ...base, mode: 'velocities', given: p });
    expect([solved.solve!.reason, solved.solve!.converged]).toEqual(['diverged_nan', false]);
    expect(
      solveJson(sphere, solved, { device: kCpuDevice, matrix: null, radiusMetres: 1, timing: {} }).reason,
    ).toBe('diverged_nan');
  });

  test('momenta that overflow float64 on the CPU name eps T v, the close pair and eps', async () => {
    // Two electrons 1e-300 apart at eps = 1e10: eps / (2 r) = 5e309. (It blamed a close pair alone,
    // which eps = 1e308 also gave before validateSystem held eps to 1.3e154.)
    const positions = Float64Array.of(0, 0, 0, 1e-300, 0, 0, 0, 1, 0);
    const close: DarwinSystem = {
      ...ring,
      configuration: { n: 3, positions, source: 'close' },
      epsilon: 1e10,
    };
    const v = velocityPattern(close, 'rigid');
    const request = {
      pattern: null,
      seed: null,
      solver: 'cg',
      rtol: 1e-6,
      mode: 'momenta',
      given: v,
    } as const;
    await expect(runSolve(close, cpuBackend(close), request)).rejects.toThrow(
      'p = M v is not finite at electron 0: eps T v overflows float64: a softening > 0 where electrons ' +
        'almost coincide, or a smaller epsilon',
    );
  });

  test("the dense check's true residual: NaN for velocities that are not finite, even where p = 0", async () => {
    // p = 0 makes ||p - M v|| / ||p|| a 0 / 0 that must not read as a solved system's 0.
    const backend = cpuBackend(sphere);
    const nanVelocities: MassMatrixBackend = {
      ...backend,
      velocities: async (p, solver, options) => {
        const result = await backend.velocities(p, solver, options);
        result.x[5] = NaN;
        return result;
      },
    };
    const zero = new Float64Array(unknowns(sphere));
    const request = velocitiesRequest(zero, 1e-6);
    const solved = await runSolve(sphere, nanVelocities, request, cpuBackend(sphere));
    expect(solved.trueResidualProduct).toBe('float64');
    expect(solved.solve).toMatchObject({ reason: 'diverged_nan', converged: false });
    expect(solved.solve!.trueResidualNorm).toBeNaN();
    expect(solved.solve!.trueRelativeResidual).toBeNaN();
    // The same p = 0 solved as it is: residuals of 0, by the solver and by the check.
    const exact = await runSolve(sphere, backend, request, cpuBackend(sphere));
    expect(exact.solve).toMatchObject({ converged: true, trueResidualNorm: 0, trueRelativeResidual: 0 });
  });

  test('the check of a float32 run against the float64 reference measures float32 alone', async () => {
    const request = roundTrip(sphere, 'random');
    const float32 = cpuBackend(sphere, 'float32');
    const reference = cpuBackend(sphere);
    const report = await runSolve(sphere, float32, { ...request, rtol: 1e-6 }, reference);
    const check = report.check!;
    expect(report.checkStopped).toBe(false);
    // The same numbers the check computes, from the dense float64 M directly.
    const m = massMatrix(sphere);
    expect(check.momenta).toBeCloseTo(relativeError(report.momenta, applyMassMatrix(m, request.given)), 14);
    const exact = solve(m, report.momenta, 'auto', { rtol: 1e-12 }).x;
    expect(check.velocities).toBeCloseTo(relativeError(report.velocities, exact), 12);
    // float32 storage of M: a few ulps of 6e-8, not zero, below the targets.
    expect(check.momenta).toBeGreaterThan(1e-10);
    const targets = float32CheckTargets(sphere.configuration.n);
    expect(check.momenta).toBeLessThan(targets.momenta);
    expect(check.velocities).toBeLessThan(targets.velocities);
    expect(report.timing.check).toBeGreaterThanOrEqual(0);
  });

  test('an indefinite M solved with a raised maxIterations: the reference gets as many, else no velocities error', async () => {
    // Sphere N=200 at 3 eps_crit: MINRES needs far more than the default max(50, size) iterations,
    // which the reference alone kept, reporting the distance to its unfinished answer (14.15 on the GPU).
    const atOne = { ...sphere, configuration: geometry('sphere', 200), epsilon: 1 };
    const epsilonCritical = -1 / (await cpuBackend(atOne).spectrum()).interactionMin;
    const system = { ...atOne, epsilon: 3 * epsilonCritical };
    const backend = cpuBackend(system);
    const request = { ...roundTrip(system, 'random'), solver: 'minres' as const, rtol: 1e-8 };
    const report = await runSolve(system, backend, { ...request, maxIterations: 5000 }, backend);
    expect(report.solve!.converged).toBe(true);
    expect(report.solve!.iterations).toBeGreaterThan(unknowns(system));
    expect(report.check!.referenceUnconverged).toBeNull();
    expect(report.check!.velocities).toBeLessThan(1e-5);
    // Cut short, the run is unconverged and the reference (its default budget, not fewer) too: the
    // velocities are not checked rather than checked against an unfinished answer.
    const short = await runSolve(system, backend, { ...request, maxIterations: 10 }, backend);
    expect(short.solve!.converged).toBe(false);
    expect(short.check!.referenceUnconverged).toBe('diverged_max_it');
    expect(short.check!.velocities).toBeNull();
    expect(short.check!.momenta).toBe(0);
    // The JSON says why, and does not call the unchecked velocities within their target: not
    // established where a converged solve's would be held, the momenta's verdict where the solve did
    // not converge either (its velocities are held to no target).
    const context = { device: kCpuDevice, matrix: null, radiusMetres: 1, timing: {} };
    const checkOf = (solved: typeof report) =>
      solveJson(system, solved, context).check as Record<string, unknown>;
    expect(checkOf(short)).toMatchObject({ reference_unconverged: 'diverged_max_it', within_target: true });
    expect(checkOf(short)).not.toHaveProperty('velocities');
    const claimed = { ...short, solve: { ...short.solve!, converged: true } };
    expect(checkOf(claimed)).toMatchObject({ reference_unconverged: 'diverged_max_it', within_target: null });
    expect(checkOf(report)).toMatchObject({ reference_unconverged: null, within_target: true });
  });

  test('a singular M: the float32 solve and its float64 reference both say so, and nothing is checked against it', async () => {
    // Two electrons on a ring at N eps = 4 (vector model): M's x-x block is [[1, 1], [1, 1]] and p lies
    // along its null vector (test/solvers.test.ts). An unguarded MINRES returns a blown-up v (~1e33)
    // with a recursive residual that meets --tol, in the run and the reference alike, which a check
    // would then find within target of each other.
    const pair: DarwinSystem = {
      configuration: geometry('ring', 2),
      model: 'vector',
      dim: 3,
      epsilon: 2,
      softening: 0,
    };
    const p = Float64Array.from([1, 0, 0, -1, 0, 0]);
    const request = { ...velocitiesRequest(p, 1e-6), solver: 'auto' as const };
    const report = await runSolve(pair, cpuBackend(pair, 'float32'), request, cpuBackend(pair));
    expect(report.solve).toMatchObject({ reason: 'diverged_singular', converged: false, switchedFrom: 'cg' });
    expect(Array.from(report.velocities)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(report.check).toMatchObject({ velocities: null, referenceUnconverged: 'diverged_singular' });
    const json = solveJson(pair, report, { device: kCpuDevice, matrix: null, radiusMetres: 1, timing: {} });
    expect(json.check).toMatchObject({ reference_unconverged: 'diverged_singular', within_target: null });
    expect(solveConvergenceWarning(report, 'gpu')).toBe(
      `warning: the solve did not converge (diverged_singular after 0 iterations): ${kSingularRemedy}`,
    );
  });

  test('velocities whose squares or energies overflow float64 are refused, naming their size', async () => {
    const backend = cpuBackend(ring);
    const given = (value: number) => ({
      ...roundTrip(ring, 'rigid'),
      given: new Float64Array(kN).fill(value),
    });
    await expect(runSolve(ring, backend, given(1e300))).rejects.toThrow(
      /^the velocities of size 1\.00e\+300 are too large for float64/,
    );
    const momenta = { ...given(1e300), mode: 'velocities' as const };
    await expect(runSolve(ring, backend, momenta)).rejects.toThrow(/^the momenta of size 1\.00e\+300/);
    // Each square fits, and p = M v, but not v.p at eps = 1e10.
    const strong = { ...ring, epsilon: 1e10 };
    await expect(runSolve(strong, cpuBackend(strong), given(1e150))).rejects.toThrow(
      /^the energies v\.p \/ 2 of these velocities overflow float64/,
    );
    const fine = await runSolve(ring, backend, given(1e150));
    expect(Number.isFinite(fine.energies!.total)).toBe(true);
  });

  test('a stopped reference leaves the run whole and says the check stopped', async () => {
    const stopped: Reference = {
      interaction: () => Promise.reject(new CheckStopped('check stopped')),
      velocities: () => Promise.reject(new CheckStopped('check stopped')),
      spectrum: () => Promise.reject(new CheckStopped('check stopped')),
    };
    const report = await runSolve(ring, cpuBackend(ring), roundTrip(ring, 'rigid'), stopped);
    expect(report).toMatchObject({ check: null, checkStopped: true });
    expect(report.solve?.converged).toBe(true);
    const spectrum = await runSpectrum(ring, cpuBackend(ring), { tol: 1e-10, seed: 1 }, stopped);
    expect(spectrum).toMatchObject({ check: null, checkStopped: true });
    // Any other failure of the reference is an error, not a stopped check.
    const broken = { ...stopped, interaction: () => Promise.reject(new Error('worker died')) };
    await expect(runSolve(ring, cpuBackend(ring), roundTrip(ring, 'rigid'), broken)).rejects.toThrow(
      'worker died',
    );
  });

  test("timing.check is the reference's time alone, in-process or awaited, not the run's", async () => {
    // A clock the backends advance: the checked run costs 1000 per call, the reference 10 (computed
    // in-process at its start) and 5 more awaited (a worker's answer arriving after the run), for
    // each of the round trip's three questions: p, v, and M v of the solved v (asked once it exists,
    // whose start is counted once).
    let now = 0;
    const clock = vi.spyOn(performance, 'now').mockImplementation(() => now);
    try {
      const backend = cpuBackend(ring);
      const slow = {
        ...backend,
        interaction: async (v: Float64Array) => ((now += 1000), backend.interaction(v)),
        velocities: async (...args: Parameters<typeof backend.velocities>) => (
          (now += 1000),
          backend.velocities(...args)
        ),
        spectrum: async (...args: Parameters<typeof backend.spectrum>) => (
          (now += 1000),
          backend.spectrum(...args)
        ),
      };
      const reference64 = cpuBackend(ring);
      const answer = <T>(value: Promise<T>): Promise<T> => {
        now += 10;
        return value.then((x) => new Promise<T>((resolve) => setTimeout(() => ((now += 5), resolve(x)))));
      };
      const reference: Reference = {
        interaction: (v) => answer(reference64.interaction(v)),
        velocities: (...args) => answer(reference64.velocities(...args)),
        spectrum: (...args) => answer(reference64.spectrum(...args)),
      };
      const report = await runSolve(ring, slow, roundTrip(ring, 'rigid'), reference);
      expect(report.timing).toEqual({ matvec: 1000, solve: 1000, check: 45 });
      const spectrum = await runSpectrum(ring, slow, { tol: 1e-10, seed: 1 }, reference);
      expect(spectrum.timing).toEqual({ lanczos: 1000, check: 15 });
    } finally {
      clock.mockRestore();
    }
  });

  test('a Stop from onIteration is a result: not converged, the iterations done so far', async () => {
    const report = await runSolve(ring, cpuBackend(ring), {
      ...roundTrip(ring, 'random'),
      solver: 'cg',
      onIteration: (iteration) => iteration < 2,
    });
    expect(report.solve).toMatchObject({ converged: false, iterations: 2 });
  });
});

describe('runSpectrum', () => {
  test('the ring: lambda = 1 + eps lambda_k of the circulant (eq. 31), collective parameter eq. 49', async () => {
    const report = await runSpectrum(ring, cpuBackend(ring), { tol: 1e-12, seed: 1 });
    const { spectrum } = report;
    const max = 1 + kEpsilon * Math.max(...lambdas);
    const min = 1 + kEpsilon * Math.min(...lambdas);
    expect(Math.abs(spectrum.lambdaMax - max) / max).toBeLessThan(1e-10);
    expect(Math.abs(spectrum.lambdaMin - min) / min).toBeLessThan(1e-10);
    expect(spectrum.collectiveParameter).toBeCloseTo(max - 1, 10);
    expect(spectrum.nEpsilon).toBeCloseTo(kN * kEpsilon, 14);
    expect(report.check).toBeNull();
  });

  test('one electron: M = I, no interaction, so the collective parameter is 0 exactly, lambda 1', async () => {
    // Lanczos's one Ritz value theta = q^T q is 1 - 2^-52 here; mu = theta - 1 gave eps mu = -6.7e-17.
    const one: DarwinSystem = { ...ring, configuration: geometry('sphere', 1), epsilon: 0.3 };
    const { spectrum } = await runSpectrum(one, cpuBackend(one), { tol: 1e-10, seed: 1 });
    expect([spectrum.collectiveParameter, spectrum.lambdaMin, spectrum.lambdaMax]).toEqual([0, 1, 1]);
    expect([spectrum.interactionMin, spectrum.interactionMax]).toEqual([0, 0]);
    expect([spectrum.conditionNumber, spectrum.indefinite]).toEqual([1, false]);
  });

  test('the check of a float32 Lanczos: errors of I + S relative to its max |theta|, below the target', async () => {
    const report = await runSpectrum(
      ring,
      cpuBackend(ring, 'float32'),
      { tol: 1e-6, seed: 1 },
      cpuBackend(ring),
    );
    // Lanczos ran on I + S (M at eps = 1), D = I: theta = 1 + lambda_k of the circulant.
    const { interactionMin, interactionMax } = report.spectrum;
    const exact = eigenvalueErrors(
      { lambdaMin: 1 + interactionMin, lambdaMax: 1 + interactionMax },
      { lambdaMin: 1 + Math.min(...lambdas), lambdaMax: 1 + Math.max(...lambdas) },
    );
    const check = denseSpectrumCheck(report);
    expect(check.lambdaMax).toBeCloseTo(exact.lambdaMax, 9);
    expect(check.lambdaMin).toBeCloseTo(exact.lambdaMin, 9);
    expect(Math.max(check.lambdaMin, check.lambdaMax)).toBeLessThan(
      float32CheckTargets(ring.configuration.n).eigenvalues,
    );
  });

  test("with the tree, M is definite only beyond the tree's error of lambda_min too", async () => {
    // A ball of 300 just below its threshold: lambda_min = 1 - eps / eps_crit = 1e-5 (the dense
    // float64 M), within the tree's 1e-4 of max|theta| (eps ~0.02 times about 40) of 0.
    const atOne = { ...sphere, configuration: geometry('ball', 300), epsilon: 1 };
    const critical = -1 / (await cpuBackend(atOne).spectrum()).interactionMin;
    const system = { ...atOne, epsilon: critical * (1 - 1e-5) };
    const request = { tol: 1e-10, seed: 1 };
    const dense = (await runSpectrum(system, cpuBackend(system), request)).spectrum;
    expect(dense.lambdaMin).toBeCloseTo(1e-5, 12);
    expect(dense.indefinite).toBe(false);
    const options = { tolerance: 1e-4, leafSize: 16, translationCost: 0 };
    const tree = (await runSpectrum(system, cpuTreeBackend(system, options), request)).spectrum;
    expect(tree.lanczos.converged).toBe(true);
    expect(tree.lambdaMin).toBeGreaterThan(0);
    const scale = Math.max(Math.abs(1 + tree.interactionMin), Math.abs(1 + tree.interactionMax));
    expect(tree.lambdaMin).toBeLessThan(1e-4 * system.epsilon * scale);
    expect(tree.indefinite).toBeNull();
    expect(tree.conditionNumber).toBeNull();
  });
});

describe('runSpectrum cut short', () => {
  test('a run stopped by maxIterations is checked against converged extremes, not its own truncation', async () => {
    // The reference ran with the run's start vector and step limit, so it stopped in the same Krylov
    // space: lambda_min off by 1.8e-5 on the GPU was checked as 2.7e-11.
    const system = { ...sphere, configuration: geometry('sphere', 100), epsilon: 0.01 };
    const report = await runSpectrum(
      system,
      cpuBackend(system, 'float32'),
      { tol: 1e-6, seed: 1, maxIterations: 12 },
      cpuBackend(system),
    );
    expect(report.spectrum.lanczos.reason).toBe('diverged_max_it');
    const exact = await cpuBackend(system).spectrum({ tol: 1e-12 });
    const truth = eigenvalueErrors(
      { lambdaMin: 1 + report.spectrum.interactionMin, lambdaMax: 1 + report.spectrum.interactionMax },
      { lambdaMin: 1 + exact.interactionMin, lambdaMax: 1 + exact.interactionMax },
    );
    const worst = Math.max(truth.lambdaMin, truth.lambdaMax);
    expect(worst).toBeGreaterThan(1e-4);
    const check = denseSpectrumCheck(report);
    expect(Math.max(check.lambdaMin, check.lambdaMax)).toBeCloseTo(worst, 8);
  });
});

const kSingularRemedy =
  "M is singular or nearly so along p, and no v meets --tol: `spectrum` gives M's extreme eigenvalues, λ_min near 0 where it is positive semidefinite";

describe('the warning of a run that did not converge', () => {
  const kCgSingular = 'or M is singular along p, which --solver auto or minres says (diverged_singular)';
  const kRefinedSingular = `${kSingularRemedy}; where it is not that near, cond(M) is past float32's refinement: use --device cpu`;
  const solveOf = (
    reason: ConvergenceReason,
    refinementSteps = 0,
    tolerance = 1e-6,
    history: number[] | null = null,
  ) => {
    const solved = solve(massMatrix(ring), new Float64Array(kN).fill(1));
    return {
      solve: { ...solved, reason, converged: false, iterations: 7, history: history ?? solved.history },
      tolerance,
      refinementSteps,
    };
  };
  // Recursive residuals of 40 iterations: one that halves at each to 1.2e-6, then holds there for
  // the last 20 (float32's floor), and one that falls by 0.7 at each to the end (cut off by the cap).
  const stalledHistory = Array.from({ length: 41 }, (_, k) =>
    Math.max(0.5 ** k, 1.2e-6 * (1 + 0.01 * (k % 3))),
  );
  const fallingHistory = Array.from({ length: 41 }, (_, k) => 0.7 ** k);
  test.each([
    ['cpu', 'diverged_max_it', 0, 1e-8, stalledHistory, 'raise --max-iter'],
    [
      'gpu',
      'diverged_max_it',
      0,
      1e-6,
      stalledHistory,
      "raise --max-iter, or ask --tol below 1e-6, which refines in float64 past float32's floor",
    ],
    // Cut off while it still fell, or after one iteration (--max-iter 1): the cap, not the floor.
    ['gpu', 'diverged_max_it', 0, 1e-6, fallingHistory, 'raise --max-iter'],
    ['gpu', 'diverged_max_it', 0, 1e-6, [1, 0.4], 'raise --max-iter'],
    ['gpu', 'diverged_max_it', 3, 1e-10, stalledHistory, 'raise --max-iter'],
    ['gpu', 'diverged_indefinite', 0, 1e-6, null, 'M is not positive definite: use --solver minres or auto'],
    [
      'gpu',
      'diverged_nan',
      0,
      1e-6,
      null,
      'float32 overflowed: use --device cpu, which keeps float64, or a softening > 0; ' + kCgSingular,
    ],
    [
      'cpu',
      'diverged_nan',
      0,
      1e-8,
      null,
      'the products overflowed float64: a smaller --epsilon, or a softening > 0 where electrons almost coincide; ' +
        kCgSingular,
    ],
    ['gpu', 'diverged_refinement', 4, 1e-10, null, "cond(M) is past float32's refinement: use --device cpu"],
    // A refined solve's inner float32 solve found M singular along the float64 residual, which did not
    // contract: singular in float64 too, or to float32 alone.
    ['gpu', 'diverged_singular', 2, 1e-10, null, kRefinedSingular],
    ['gpu', 'diverged_residual_gap', 1, 1e-10, null, kRefinedSingular],
    ['cpu', 'diverged_singular', 0, 1e-8, null, kSingularRemedy],
    ['gpu', 'diverged_singular', 0, 1e-6, null, kSingularRemedy],
    ['cpu', 'diverged_breakdown', 0, 1e-8, null, kSingularRemedy],
    ['cpu', 'diverged_residual_gap', 0, 1e-8, null, kSingularRemedy],
    [
      'gpu',
      'diverged_residual_gap',
      0,
      1e-6,
      null,
      `ask --tol below 1e-6, which refines in float64 past float32's floor; or ${kSingularRemedy}`,
    ],
  ] as const)('%s %s: the remedy', (device, reason, steps, tolerance, history, remedy) => {
    expect(solveConvergenceWarning(solveOf(reason, steps, tolerance, history && [...history]), device)).toBe(
      `warning: the solve did not converge (${reason} after 7 iterations): ${remedy}`,
    );
  });
  test("a diverged_nan after auto's switch to MINRES is the products' overflow alone", () => {
    const report = solveOf('diverged_nan', 0, 1e-8);
    const switched = { ...report.solve, solver: 'minres' as const, switchedFrom: 'cg' as const };
    expect(solveConvergenceWarning({ ...report, solve: switched }, 'cpu')).toBe(
      'warning: the solve did not converge (diverged_nan after 7 iterations): the products overflowed ' +
        'float64: a smaller --epsilon, or a softening > 0 where electrons almost coincide',
    );
  });
  test('one iteration is said in the singular', () => {
    const report = solveOf('diverged_max_it', 0, 1e-6, [1, 0.4]);
    expect(solveConvergenceWarning({ ...report, solve: { ...report.solve, iterations: 1 } }, 'gpu')).toBe(
      'warning: the solve did not converge (diverged_max_it after 1 iteration): raise --max-iter',
    );
  });
  test.each([
    [
      'gpu',
      0,
      1e-6,
      "1.50e-6 misses --tol 1e-6: ask --tol below 1e-6, which refines in float64 past float32's floor",
    ],
    ['gpu', 2, 1e-10, '1.50e-10 misses --tol 1e-10: ask a smaller --tol'],
    ['cpu', 0, 1e-8, '1.50e-8 misses --tol 1e-8: ask a smaller --tol'],
  ] as const)(
    '%s, %d refinement steps: a converged solve whose true residual misses --tol %s says so',
    (device, steps, tolerance, said) => {
      const report = solveOf('converged_rtol', steps, tolerance);
      const solve = { ...report.solve, converged: true, trueRelativeResidual: 1.5 * tolerance };
      const line = solveConvergenceWarning({ ...report, solve }, device);
      expect(line).toBe(
        `warning: the solve converged by its recursive residual, but the true residual ${said}`,
      );
      // At --tol, or converged by the absolute floor (a right-hand side near 0), nothing to say.
      expect(
        solveConvergenceWarning({ ...report, solve: { ...solve, trueRelativeResidual: tolerance } }, device),
      ).toBeNull();
      expect(
        solveConvergenceWarning({ ...report, solve: { ...solve, reason: 'converged_atol' } }, device),
      ).toBeNull();
    },
  );
  test('the iteration limit with a true residual 10 times the recursive one names a singular M, not --max-iter', () => {
    const report = solveOf('diverged_max_it', 0, 1e-8);
    const said = (trueRelativeResidual: number) =>
      solveConvergenceWarning(
        { ...report, solve: { ...report.solve, relativeResidual: 1e-4, trueRelativeResidual } },
        'cpu',
      );
    expect(said(1.1e-3)).toBe(
      `warning: the solve did not converge (diverged_max_it after 7 iterations): ${kSingularRemedy}`,
    );
    expect(said(0.9e-3)).toBe(
      'warning: the solve did not converge (diverged_max_it after 7 iterations): raise --max-iter',
    );
    // In float32 at the default --tol the gap may be float32's floor, which refinement passes.
    const gpu = solveOf('diverged_max_it', 0, 1e-6);
    expect(
      solveConvergenceWarning(
        { ...gpu, solve: { ...gpu.solve, relativeResidual: 1e-4, trueRelativeResidual: 1.1e-3 } },
        'gpu',
      ),
    ).toBe(
      'warning: the solve did not converge (diverged_max_it after 7 iterations): ' +
        `ask --tol below 1e-6, which refines in float64 past float32's floor; or ${kSingularRemedy}`,
    );
  });

  test('a converged solve, or none, says nothing', () => {
    const converged = solveOf('converged_rtol');
    expect(
      solveConvergenceWarning({ ...converged, solve: { ...converged.solve, converged: true } }, 'gpu'),
    ).toBeNull();
    expect(solveConvergenceWarning({ solve: null, tolerance: null, refinementSteps: 0 }, 'cpu')).toBeNull();
  });
  test('a refined spectrum short of --tol: its residuals of eps max|theta| and the --tol they meet', async () => {
    const { spectrum } = await runSpectrum(ring, cpuBackend(ring), { tol: 1e-10, seed: 1 });
    const short = {
      ...spectrum,
      lanczos: { ...spectrum.lanczos, reason: 'diverged_refinement' as const, converged: false },
    };
    // The sphere of 97's: 5.48e-7 and 1.28e-7 of eps max|theta| = 0.3186.
    const refinement = {
      residualMin: 1.7444e-7,
      residualMax: 4.0788e-8,
      relativeMin: 1.7444e-7 / 0.3186,
      relativeMax: 4.0788e-8 / 0.3186,
    };
    expect(spectrumConvergenceWarning({ spectrum: short, refinement }, 'gpu')).toBe(
      'warning: the float64 refinement fell short of --tol (diverged_refinement): its Ritz residuals are ' +
        '5.48e-7 (lambda_min) and 1.28e-7 (lambda_max) of eps max|theta|, and an eigenvalue that close to a ' +
        "refined one, which float32's Lanczos does not resolve, can leave it as far off: use --device cpu, " +
        'whose float64 Lanczos meets --tol, or ask --tol 5.5e-7 or more',
    );
    // Rounded up, not to the nearest: 5.41e-7 asks 5.5e-7, not the 5.4e-7 it misses.
    const exactly = { ...refinement, relativeMin: 5.41e-7 };
    expect(spectrumConvergenceWarning({ spectrum: short, refinement: exactly }, 'gpu')).toMatch(
      /ask --tol 5\.5e-7 or more$/,
    );
    expect(spectrumConvergenceWarning({ spectrum, refinement }, 'gpu')).toBeNull();
  });
});

describe('the check policy', () => {
  const large: DarwinSystem = { ...sphere, configuration: geometry('sphere', kCheckMaxUnknowns / 3 + 1) };
  test.each([
    ['gpu', '120 unknowns', sphere, undefined, 'on'],
    ['gpu', 'above the limit', large, undefined, 'sampled'],
    ['gpu', 'above the limit, --check', large, true, 'on'],
    ['gpu', '--no-check', sphere, false, 'off'],
    ['cpu', '--check', sphere, true, 'cpu'],
    ['cpu', '120 unknowns', sphere, undefined, 'cpu'],
  ] as const)('%s, %s', (device, _what, system, requested, decision) => {
    expect(checkDecision(system, device, requested)).toBe(decision);
  });
  test('the default limit is at the unknowns, not the electrons', () => {
    const atLimit = { ...sphere, configuration: geometry('sphere', kCheckMaxUnknowns / 3) };
    expect(unknowns(atLimit)).toBe(kCheckMaxUnknowns);
    expect(checkDecision(atLimit, 'gpu', undefined)).toBe('on');
  });
  test("float32's targets: 3 sqrt(n) 2^-24 of n terms a row, ten times float32's rounding, at least the floors", () => {
    const u = 2 ** -24;
    // Up to 31 terms every floor; up to 3127 the interaction part's and the eigenvalues'.
    expect(float32CheckTargets(16)).toEqual({
      momenta: 1e-6,
      velocities: 1e-5,
      eigenvalues: 1e-5,
      interaction: 1e-5,
    });
    const thousand = float32CheckTargets(1000);
    expect(thousand).toEqual({
      momenta: 3 * Math.sqrt(1000) * u,
      velocities: 10 * (3 * Math.sqrt(1000) * u),
      eigenvalues: 1e-5,
      interaction: 1e-5,
    });
    expect(thousand.momenta).toBeCloseTo(5.655e-6, 9);
    // 10^6 electrons, matrix-free: 1.8e-4, the velocities 1.8e-3.
    expect(float32CheckTargets(1e6)).toEqual({
      momenta: 3000 * u,
      velocities: 10 * (3000 * u),
      eigenvalues: 3000 * u,
      interaction: 3000 * u,
    });
    expect(float32CheckTargets(1e6).interaction).toBeCloseTo(1.788e-4, 7);
  });

  test("a product off by float32's measured rounding of N-term row sums: within its targets, past 1e-6; ten times it: past them", async () => {
    // 3000 electrons on a ring, azimuthal (3000 unknowns, the dense check's largest), rigid at
    // N r_e/R = 30, where p is mostly eps T v. eps T v off by 0.35 sqrt(N) 2^-24 of itself, the most
    // the GPU's row sums were measured off by (src/run/check.ts float32Rounding): 1.14e-6.
    const n = 3000;
    const system = darwinSystem('ring', n, 'azimuthal', 3, 30 / n);
    const exact = cpuBackend(system);
    const v = velocityPattern(system, 'rigid', 1);
    const interaction = await exact.interaction(v);
    const direction = randomVector(n, 5);
    /** The exact product with eps T v off by `share` sqrt(N) 2^-24 of itself. */
    const off = (share: number): MassMatrixBackend => {
      const scale = (share * Math.sqrt(n) * 2 ** -24 * norm(interaction)) / norm(direction);
      return { ...exact, interaction: async () => interaction.map((part, k) => part + scale * direction[k]) };
    };
    const rounded = await runSolve(system, off(0.35), momentaRequest(v), exact);
    const check = rounded.check!;
    expect(check.interaction!).toBeCloseTo(0.35 * Math.sqrt(n) * 2 ** -24, 12);
    // Past the 1e-6 of a target that ignored N, within 3 sqrt(N) 2^-24 = 9.79e-6.
    expect(check.momenta!).toBeGreaterThan(1e-6);
    expect(rounded.checkTargets.momenta).toBeCloseTo(9.794e-6, 9);
    const context = { device: kCpuDevice, matrix: null, radiusMetres: 1, timing: {} };
    expect(solveJson(system, rounded, context).check).toMatchObject({ within_target: true });
    expect(solveCheckWarning(rounded)).toBeNull();
    // Ten times float32's measured rounding is past the target that stands at ten times it.
    const tenfold = await runSolve(system, off(3.5), momentaRequest(v), exact);
    expect(tenfold.check!.interaction!).toBeGreaterThan(tenfold.checkTargets.interaction);
    expect(solveJson(system, tenfold, context).check).toMatchObject({ within_target: false });
    expect(solveCheckWarning(tenfold)).toBe(
      'warning: the float64 check is past its target: momenta 1.12e-5 > momenta target 9.79e-6, ' +
        'interaction 1.14e-5 > interaction target 1.00e-5 ("within_target": false); ' +
        // The Darwin energy's own error: the random direction is nearly orthogonal to v.
        'energies.darwin and inertia_ratio - 1 are 2.26e-7 off ("darwin")',
    );
  });

  test('eigenvalue errors are relative to the largest |lambda| of the reference, also when indefinite', () => {
    const errors = eigenvalueErrors({ lambdaMin: 0.5, lambdaMax: 2.002 }, { lambdaMin: 0.501, lambdaMax: 2 });
    expect(errors.lambdaMin).toBeCloseTo(0.001 / 2, 14);
    expect(errors.lambdaMax).toBeCloseTo(0.002 / 2, 14);
    const indefinite = eigenvalueErrors({ lambdaMin: -3.003, lambdaMax: 1 }, { lambdaMin: -3, lambdaMax: 1 });
    expect(indefinite.lambdaMin).toBeCloseTo(0.001, 12);
    expect(indefinite.lambdaMax).toBe(0);
  });
});

/** The key paths of a JSON object, dotted, as `printSummary` flattens them. */
function keyPaths(value: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(value).flatMap(([key, child]) =>
    child !== null && typeof child === 'object' && !Array.isArray(child) && !ArrayBuffer.isView(child)
      ? keyPaths(child as Record<string, unknown>, `${prefix}${key}.`)
      : [prefix + key],
  );
}

/** The backticked names of the README paragraph that starts with `heading`. */
function readmeKeys(heading: string): string[] {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const start = readme.indexOf(heading);
  const paragraph = readme.slice(start, readme.indexOf('\n\n', start));
  return [...paragraph.matchAll(/`([a-z_]+)`/g)].map((match) => match[1]);
}

describe('the JSON of a run', () => {
  /** Float32's momenta target at the sphere's 40 electrons, 3 sqrt(40) 2^-24 = 1.13e-6. */
  const kMomenta40 = 3 * Math.sqrt(40) * 2 ** -24;
  const context = {
    device: kCpuDevice,
    matrix: null,
    radiusMetres: 2.8e-13,
    timing: { setup: 1, matvec: 2 },
  };

  test('solve: exactly the keys of today’s CLI, the README’s among them, the check with its targets', async () => {
    const report = await runSolve(
      sphere,
      cpuBackend(sphere, 'float32'),
      roundTrip(sphere, 'rigid'),
      cpuBackend(sphere),
    );
    const json = solveJson(sphere, report, context);
    // `solve --velocity rigid --json` on the GPU, as the CLI wrote it before the run layer.
    expect(keyPaths(json)).toEqual([
      'command',
      'version',
      'mode',
      'device.kind',
      'device.description',
      'matrix',
      ...[
        'source',
        'n',
        'model',
        'dim',
        'unknowns',
        'block_size',
        'epsilon',
        'radius_m',
        'softening',
        'n_epsilon',
      ].map((key) => `configuration.${key}`),
      'velocity_pattern',
      'seed',
      'solver',
      'tolerance',
      'max_iter',
      'switched_from',
      'iterations',
      'converged',
      'reason',
      'relative_residual',
      'true_relative_residual',
      'true_residual_product',
      'refinement_steps',
      'round_trip_error',
      'energies.kinetic',
      'energies.darwin',
      'energies.total',
      'inertia_ratio',
      'collective_parameter_n_epsilon',
      'check.max_relative_error',
      'check.momenta',
      'check.velocities',
      'check.interaction',
      'check.darwin',
      'check.targets.momenta',
      'check.targets.velocities',
      'check.targets.interaction',
      'check.within_target',
      'check.reference_unconverged',
      'timing_ms.setup_ms',
      'timing_ms.matvec_ms',
    ]);
    const documented = readmeKeys('Summary keys (JSON)');
    expect(documented).toContain('true_relative_residual');
    const written = new Set(keyPaths(json).flatMap((path) => path.split('.')));
    for (const key of documented.filter((key) => !['momenta', 'velocities', 'round_trip'].includes(key))) {
      expect(written, key).toContain(key);
    }
    expect(json).toMatchObject({
      command: 'solve',
      mode: 'round_trip',
      velocity_pattern: 'rigid',
      seed: 7,
      tolerance: 1e-10,
      converged: true,
      round_trip_error: report.roundTripError,
      inertia_ratio: report.energies!.inertiaRatio,
      collective_parameter_n_epsilon: 40 * 2e-3,
    });
    const check = json.check as Record<string, number>;
    const { momenta, velocities, interaction, darwin } = report.check!;
    // The Darwin energy's error, which no target holds, is not among those max_relative_error takes.
    expect(check.darwin).toBe(darwin);
    expect(check.max_relative_error).toBe(Math.max(momenta!, velocities!, interaction!));
    // Float32's of 40 terms a row: 3 sqrt(40) 2^-24 = 1.1e-6 on the momenta, ten times it on the
    // velocities, the interaction part's 1e-5 floor.
    expect(check.targets).toEqual({ momenta: kMomenta40, velocities: 10 * kMomenta40, interaction: 1e-5 });
    expect(check.within_target).toBe(true);
    expect(solveCheckWarning(report)).toBeNull();
  });

  // A tree off by 1e-3 of T v (the ball of 3000's T v for v near T's null space was 8e-2 off at
  // --tree-tol 1e-5) at eps = 1e-6, where p = D v + eps T v is D v's to 1e-5: 1e-3 of eps T v is
  // 1e-8 of p, within the momenta's target; the interaction part says 1e-3.
  const small = { ...sphere, epsilon: 1e-6 };
  const exact = cpuBackend(small);
  const off: MassMatrixBackend = {
    ...exact,
    system: small,
    interaction: async (velocities) =>
      (await exact.interaction(velocities)).map((value) => value * (1 + 1e-3)),
  };

  /**
   * A check whose interaction part is off by 1e-3: held to float32's 1e-5, and the warning says so;
   * beside it the target of the mode's other error (`targets`), and no other.
   */
  function expectInteractionOff(report: SolveReport, targets: Record<string, number>): void {
    expect(report.check!.interaction!).toBeCloseTo(1e-3, 10);
    // 1e-3 of eps T v is 1e-3 of the Darwin energy.
    expect(report.check!.darwin!).toBeCloseTo(1e-3, 10);
    const check = solveJson(small, report, context).check as Record<string, unknown>;
    expect(check.darwin).toBe(report.check!.darwin);
    expect(check.targets).toEqual({ ...targets, interaction: 1e-5 });
    expect(check.within_target).toBe(false);
    expect(solveCheckWarning(report)).toBe(
      'warning: the float64 check is past its target: interaction 1.00e-3 > interaction target 1.00e-5 ' +
        '("within_target": false); energies.darwin and inertia_ratio - 1 are 1.00e-3 off ("darwin")',
    );
  }

  test("the interaction part's error: what the momenta's hides at small eps", async () => {
    const v = velocityPattern(small, 'random', 4);
    const request = momentaRequest(v);
    const report = await runSolve(small, off, request, cpuBackend(small));
    expect(report.check!.momenta!).toBeLessThan(1e-7);
    // The momenta mode solves nothing: no velocities error, and no velocities target.
    expectInteractionOff(report, { momenta: kMomenta40 });
    expect(interactionError(small, await off.interaction(v), await exact.interaction(v))).toBe(
      report.check!.interaction,
    );
    expect(interactionError({ ...small, epsilon: 0 }, v, v)).toBeNull();
    // One electron has no interaction part (T = 0): p = D v (D = 1), whose float32 rounding (the GPU's
    // 2.6e-8) is the momenta's error, not the interaction's.
    const one = { ...small, configuration: { n: 1, positions: new Float64Array(3), source: 'one' } };
    expect(interactionError(one, new Float64Array(3), new Float64Array(3))).toBeNull();
  });

  test("the Darwin energy's own error: the interaction's times ||v|| ||eps T v|| / |v.eps T v| at most", async () => {
    // An error of p along v meets that bound (Cauchy-Schwarz with equality): random v on the sphere,
    // whose v.eps T v cancels to 1/34 of ||v|| ||eps T v||, makes the Darwin energy 34 times as far
    // off as eps T v, though the interaction's error is within its target.
    const float64 = cpuBackend(sphere);
    const v = velocityPattern(sphere, 'random', 4);
    const exactPart = await float64.interaction(v);
    const amplification = (norm(v) * norm(exactPart)) / Math.abs(dot(v, exactPart));
    expect(amplification).toBeGreaterThan(30);
    const shift = (1e-6 * norm(exactPart)) / norm(v);
    const along: MassMatrixBackend = {
      ...float64,
      interaction: async (velocities) =>
        (await float64.interaction(velocities)).map((value, k) => value + shift * velocities[k]),
    };
    const report = await runSolve(sphere, along, momentaRequest(v), cpuBackend(sphere));
    expect(report.check!.interaction! / 1e-6).toBeCloseTo(1, 8);
    expect(report.check!.darwin! / (1e-6 * amplification)).toBeCloseTo(1, 8);
    const darwin = energies(sphere, v, exactPart).darwin;
    expect((report.energies!.darwin / darwin - 1) / report.check!.darwin!).toBeCloseTo(
      Math.sign(dot(v, exactPart)),
      6,
    );
    expect(solveCheckWarning(report)).toBeNull();
    // None where there is no Darwin energy (eps = 0) or no interaction (one electron).
    expect(darwinError({ ...sphere, epsilon: 0 }, v, v, v)).toBeNull();
    const one = { ...sphere, configuration: { n: 1, positions: new Float64Array(3), source: 'one' } };
    const alone = Float64Array.from([1, 2, 3]);
    expect(darwinError(one, alone, new Float64Array(3), new Float64Array(3))).toBeNull();
    // Nor for a NaN v (a solve that overflowed), whose interaction error is null too.
    const nan = v.map((x, k) => (k === 4 ? NaN : x));
    expect(interactionError(sphere, nan, nan)).toBeNull();
    expect(darwinError(sphere, nan, exactPart, exactPart)).toBeNull();
    expect(
      darwinError(
        sphere,
        v,
        exactPart.map((x, k) => (k === 4 ? Infinity : x)),
        exactPart,
      ),
    ).toBeNull();
  });

  test("the velocities mode's interaction part: that of the solved v's own M v, which its energies use", async () => {
    // The same product off by 1e-3 of eps T v, given p = M v of float64: the solve (float64) is
    // exact, but the energies of the solved v come from the backend's own product, darwin 1e-3 off;
    // the velocities mode had no interaction check to say so (check.interaction null).
    const v = velocityPattern(small, 'random', 4);
    const request = velocitiesRequest(await exact.momenta(v), 1e-12);
    const report = await runSolve(small, off, request, cpuBackend(small));
    const solved = report.velocities;
    expect(relativeError(solved, v)).toBeLessThan(1e-10);
    expect(report.check!.velocities!).toBeLessThan(1e-10);
    expectInteractionOff(report, { velocities: 10 * kMomenta40 });
    expect(report.check!.interaction).toBe(
      interactionError(small, await off.interaction(solved), await exact.interaction(solved)),
    );
    const darwin = energies(small, solved, await exact.interaction(solved)).darwin;
    expect(report.energies!.darwin / darwin - 1).toBeCloseTo(1e-3, 8);
    // Within it where the product is M's own.
    const right = await runSolve(small, exact, request, cpuBackend(small));
    expect(right.check!.interaction!).toBeLessThan(1e-12);
    expect(solveCheckWarning(right)).toBeNull();
  });

  test('the float64 true residual the dense check recomputes is judged by the gap rule again', async () => {
    // A float32 solve judges its gap (finishKrylov) with its own product, whose rounding its iterate
    // matches; the check's float64 M v can put that v far past --tol. Here a solve that returns v
    // times 1 + delta: ||p - M v|| = delta ||p||, past or within 10 max(--tol, float32's floor
    // 100 2^-24) = 5.96e-5 (plus the solve's own residual, below 1e-6).
    const system = { ...sphere, configuration: geometry('ball', 300), epsilon: 0.02 };
    const float64 = cpuBackend(system);
    const p = applyMassMatrix(massMatrix(system), velocityPattern(system, 'random', 6));
    const request = velocitiesRequest(p, 1e-6);
    const off = (delta: number): MassMatrixBackend => ({
      ...float64,
      name: 'gpu',
      velocities: async (b, solver, options) => {
        const solved = await float64.velocities(b, solver, options);
        return { ...solved, x: solved.x.map((x) => x * (1 + delta)) };
      },
    });
    const far = await runSolve(system, off(1e-4), request, cpuBackend(system));
    expect(far.trueResidualProduct).toBe('float64');
    expect(far.solve).toMatchObject({ reason: 'diverged_residual_gap', converged: false });
    expect(far.solve!.trueRelativeResidual).toBeCloseTo(1e-4, 7);
    expect(solveJson(system, far, context)).toMatchObject({
      reason: 'diverged_residual_gap',
      converged: false,
    });
    // Within it: converged, float32's floor (the CLI warns that the true residual misses --tol).
    const near = await runSolve(system, off(5e-5), request, cpuBackend(system));
    expect(near.solve).toMatchObject({ reason: 'converged_rtol', converged: true });
    expect(near.solve!.trueRelativeResidual).toBeCloseTo(5e-5, 7);
    // Unchecked, the solver's own verdict and residual stand: nothing recomputes them.
    const unchecked = await runSolve(system, off(1e-4), request);
    expect(unchecked.solve).toMatchObject({ reason: 'converged_rtol', converged: true });
    expect(unchecked.trueResidualProduct).toBe('float32');
  });

  test("a float32 solve's true residual is the float64 M's where the dense check gives M v", async () => {
    // The float32 product's ||p - M32 v|| / ||p|| holds that product's own rounding, of the size of
    // float32's floor where the solve stops; the check's float64 M v of the solved v gives the
    // solution's residual, and the report names the product it used.
    const system = { ...sphere, configuration: geometry('ball', 300), epsilon: 0.02 };
    const float32: MassMatrixBackend = { ...cpuBackend(system, 'float32'), name: 'gpu' };
    const m = massMatrix(system);
    const p = applyMassMatrix(m, velocityPattern(system, 'random', 6));
    const request = velocitiesRequest(p, 1e-6);
    const residual64 = (v: Float64Array) => relativeError(applyMassMatrix(m, v), p);

    const unchecked = await runSolve(system, float32, request);
    expect(unchecked.trueResidualProduct).toBe('float32');
    const own = unchecked.solve!.trueRelativeResidual;
    const solution = residual64(unchecked.velocities);
    // The float32 product's own rounding: 4e-4 of the residual here (CG stopped at 4.7e-7).
    expect(Math.abs(own / solution - 1)).toBeGreaterThan(1e-4);

    const checked = await runSolve(system, float32, request, cpuBackend(system));
    expect(checked.trueResidualProduct).toBe('float64');
    expect(checked.velocities).toEqual(unchecked.velocities);
    // To float64's rounding of p - M v, 1e-16 of ||p|| against a residual of 5e-7 of it.
    expect(Math.abs(checked.solve!.trueRelativeResidual / solution - 1)).toBeLessThan(1e-9);
    expect(checked.solve!.trueResidualNorm / norm(p)).toBe(checked.solve!.trueRelativeResidual);
    // The recursive residual is the solver's own, untouched.
    expect(checked.solve!.relativeResidual).toBe(unchecked.solve!.relativeResidual);
    const json = solveJson(system, checked, context);
    expect(json).toMatchObject({
      true_relative_residual: checked.solve!.trueRelativeResidual,
      true_residual_product: 'float64',
    });
    expect(solveJson(system, unchecked, context).true_residual_product).toBe('float32');

    // The tree's run solves the tree's equation: its true residual stays the tree's own, so named.
    const tree = cpuTreeBackend(system, { tolerance: 1e-4, leafSize: 16, translationCost: 0 });
    const treeRequest = { ...request, rtol: 1e-10 };
    const [onTree, treeAlone] = [
      await runSolve(system, tree, treeRequest, cpuBackend(system)),
      await runSolve(system, tree, treeRequest),
    ];
    tree.dispose();
    expect(onTree.trueResidualProduct).toBe('float64_tree');
    expect(onTree.solve!.trueRelativeResidual).toBe(treeAlone.solve!.trueRelativeResidual);
    expect(onTree.solve!.trueRelativeResidual).not.toBe(residual64(onTree.velocities));
    // Nothing solved, nothing named.
    const momenta = await runSolve(system, float32, { ...request, mode: 'momenta', given: p });
    expect(momenta.trueResidualProduct).toBeNull();
  });

  test("an unconverged solve's velocities and residual are measured, not held: its warning has the remedy", async () => {
    // A ring of 100 near its indefinite threshold (cond(M) ~ 6000), random v, two iterations: the
    // solved v is far off (the convergence warning says raise --max-iter), which no precision explains.
    const ring100 = darwinSystem('ring', 100, 'vector', 3, 0.0453);
    const float32: MassMatrixBackend = { ...cpuBackend(ring100, 'float32'), name: 'gpu' };
    const reference = cpuBackend(ring100);
    const request = { ...roundTrip(ring100, 'random'), maxIterations: 2 };
    for (const rtol of [1e-6, 1e-10]) {
      const report = await runSolve(ring100, float32, { ...request, rtol }, reference);
      expect(report.solve).toMatchObject({ reason: 'diverged_max_it', converged: false });
      const check = solveJson(ring100, report, context).check as Record<string, unknown>;
      // Refined (1e-10): the float64 residual in the velocities' place; else the velocities.
      const own = rtol < 1e-6 ? 'residual' : 'velocities';
      const error = report.check![own]!;
      expect(error).toBeGreaterThan(100 * report.checkTargets[own]);
      expect(check[own]).toBe(error);
      expect(check.targets).not.toHaveProperty(own);
      expect(Object.keys(check.targets as object).sort()).toEqual(['interaction', 'momenta']);
      expect(check.max_relative_error).toBe(Math.max(report.check!.momenta!, report.check!.interaction!));
      expect(check.within_target).toBe(true);
      expect(solveCheckWarning(report, true)).toBeNull();
      // Converged, the same error would be held, and float32's remedy said.
      const converged = { ...report, solve: { ...report.solve!, converged: true } };
      expect((solveJson(ring100, converged, context).check as Record<string, unknown>).within_target).toBe(
        false,
      );
      expect(solveCheckWarning(converged, rtol >= 1e-6)).toMatch(
        new RegExp(`^warning: the float64 check is past its target: ${own} `),
      );
      // The products past their targets are still said, with the remedy.
      const past = { ...report, check: { ...report.check!, momenta: 3.4e-2 } };
      expect(solveCheckWarning(past, true)).toMatch(
        /: momenta 3\.40e-2 > momenta target [0-9.e+-]+ \("within_target": false\); ask --tol below 1e-6/,
      );
    }
    // A velocities-mode solve at eps = 0 with nothing else held: neither a maximum nor a verdict.
    const free = { ...ring100, epsilon: 0 };
    const given = Float64Array.from(velocityPattern(free, 'random', 7));
    const alone = await runSolve(
      free,
      { ...cpuBackend(free, 'float32'), name: 'gpu' },
      { ...velocitiesRequest(given, 1e-6), maxIterations: 0 },
      cpuBackend(free),
    );
    expect(alone.solve!.converged).toBe(false);
    expect(solveJson(free, alone, context).check).toMatchObject({
      max_relative_error: null,
      within_target: null,
      targets: {},
    });
  });

  test('a check past its target says so: within_target false, and one line for stderr', async () => {
    // The lump of 2000 inside 1e-6 R (softening 1e-7) gave check.momenta 3.4e-2, far past its
    // target, printed as if it were any other number. A report with the errors past their targets:
    const report = await runSolve(
      sphere,
      cpuBackend(sphere, 'float32'),
      roundTrip(sphere, 'rigid'),
      cpuBackend(sphere),
    );
    const past = { ...report, check: { ...report.check!, momenta: 3.4e-2, velocities: NaN } };
    const check = solveJson(sphere, past, context).check as Record<string, unknown>;
    expect(check.within_target).toBe(false);
    expect(solveCheckWarning(past)).toBe(
      'warning: the float64 check is past its target: momenta 3.40e-2 > momenta target 1.13e-6, ' +
        'velocities NaN > velocities target 1.13e-5 ("within_target": false)',
    );
    // A GPU run that did not refine: the float64 product and the CPU are the remedies.
    expect(solveCheckWarning(past, true)).toMatch(
      /\("within_target": false\); ask --tol below 1e-6, which forms p = M v with the float64 product and refines v in float64, or use --device cpu$/,
    );
    const spectrum = await runSpectrum(
      ring,
      cpuBackend(ring, 'float32'),
      { tol: 1e-6, seed: 1 },
      cpuBackend(ring),
    );
    const over = { ...spectrum, check: { ...denseSpectrumCheck(spectrum), lambdaMax: 1e-3 } };
    expect((spectrumJson(over, context).check as Record<string, unknown>).within_target).toBe(false);
    expect(spectrumCheckWarning(over)).toBe(
      'warning: the float64 check is past its target: lambda_max 1.00e-3 > eigenvalues target 1.00e-5 ' +
        '("within_target": false)',
    );
    expect(spectrumCheckWarning(spectrum)).toBeNull();
  });

  test('solve: the momenta mode has no solve and no velocities error; --out adds the arrays', async () => {
    const v = velocityPattern(ring, 'uniform');
    const request = {
      mode: 'momenta',
      given: v,
      pattern: null,
      seed: null,
      solver: 'auto',
      rtol: 1e-8,
    } as const;
    const report = await runSolve(ring, cpuBackend(ring, 'float32'), request, cpuBackend(ring));
    const json = solveJson(ring, report, context, { arrays: true });
    expect(json).toMatchObject({
      solver: null,
      tolerance: null,
      switched_from: null,
      iterations: 0,
      converged: true,
      reason: null,
    });
    expect(Object.keys(json.check as object)).toEqual([
      'max_relative_error',
      'momenta',
      'interaction',
      'darwin',
      'targets',
      'within_target',
      'reference_unconverged',
    ]);
    expect(Object.keys(json).slice(-4)).toEqual(['positions', 'velocities', 'momenta', 'history']);
    expect(json.history).toEqual([]);
    expect(json.momenta).toBe(report.momenta);
  });

  test('spectrum: exactly the keys of today’s CLI, the README’s among them', async () => {
    const report = await runSpectrum(
      ring,
      cpuBackend(ring, 'float32'),
      { tol: 1e-6, seed: 1 },
      cpuBackend(ring),
    );
    const json = spectrumJson(report, { ...context, timing: { setup: 1, lanczos: 3 } });
    const top = Object.keys(json);
    expect(top).toEqual([
      'command',
      'version',
      'device',
      'matrix',
      'configuration',
      'tolerance',
      'max_iter',
      'basis',
      'seed',
      'lambda_min',
      'lambda_max',
      'condition_number',
      'collective_parameter',
      'n_epsilon',
      'indefinite',
      'iterations',
      'converged',
      'reason',
      'residual_bound_min',
      'residual_bound_max',
      'restarts',
      'refined',
      'ritz_residual_min',
      'ritz_residual_max',
      'check',
      'timing_ms',
    ]);
    expect(json.restarts).toBe(report.spectrum.lanczos.restarts);
    expect(json.tolerance).toBe(1e-6);
    // The settings that decide the numbers besides --tol: auto's limit, the default basis, the seed.
    expect([json.max_iter, json.basis, json.seed]).toEqual([null, kDefaultLanczosBasis, 1]);
    expect([json.refined, json.ritz_residual_min, json.ritz_residual_max]).toEqual([false, null, null]);
    for (const key of readmeKeys('Extreme eigenvalues of `D^-1/2 M D^-1/2`').filter(
      (key) => key.includes('_') && !/^(converged|diverged)_/.test(key),
    )) {
      expect(top, key).toContain(key);
    }
    const check = denseSpectrumCheck(report);
    expect(json.check).toEqual({
      max_relative_error: Math.max(check.lambdaMin, check.lambdaMax),
      lambda_min: check.lambdaMin,
      lambda_max: check.lambdaMax,
      targets: { eigenvalues: 1e-5 },
      within_target: true,
    });
    expect(json.timing_ms).toEqual({ setup_ms: 1, lanczos_ms: 3 });
    expect(json.lambda_max).toBe(report.spectrum.lambdaMax);
  });

  test('spectrum records the limit, basis and seed it ran with, each of which moves its numbers', async () => {
    const backend = cpuBackend(ring, 'float32');
    const run = (request: Partial<Parameters<typeof runSpectrum>[2]>) =>
      runSpectrum(ring, backend, { tol: 1e-6, seed: 1, ...request });
    const given = spectrumJson(await run({ maxIterations: 10, basisSize: 8, seed: 5 }), context);
    expect([given.max_iter, given.basis, given.seed]).toEqual([10, 8, 5]);
    // Each setting alone gives other numbers from the same command otherwise: none is idle.
    const base = spectrumJson(await run({}), context);
    for (const request of [{ maxIterations: 10 }, { basisSize: 8 }, { seed: 5 }]) {
      const other = spectrumJson(await run(request), context);
      expect([other.iterations, other.lambda_min], JSON.stringify(request)).not.toEqual([
        base.iterations,
        base.lambda_min,
      ]);
    }
  });

  test("the app's spectrum object: spectrum's keys less what ran it, where and when, refined or not", async () => {
    const report = await runSpectrum(
      ring,
      cpuBackend(ring, 'float32'),
      { tol: 1e-6, seed: 1 },
      cpuBackend(ring),
    );
    // The same run, refined in float64 (as the GPU's is below float32's reach).
    const refinement = { residualMin: 2e-11, residualMax: 3e-11, relativeMin: 1e-11, relativeMax: 1e-11 };
    const refined = { ...report, refinement };
    const where = ['command', 'version', 'device', 'matrix', 'configuration', 'timing_ms'];
    for (const each of [report, refined]) {
      const fields = Object.entries(spectrumJson(each, context)).filter(([key]) => !where.includes(key));
      expect(spectrumSummaryJson(each)).toEqual(Object.fromEntries(fields));
    }
    expect(spectrumSummaryJson(refined)).toMatchObject({
      tolerance: 1e-6,
      refined: true,
      ritz_residual_min: 2e-11,
      ritz_residual_max: 3e-11,
    });
  });

  test('the app reads back what solve --out writes: configuration, arrays and summary', async () => {
    const report = await runSolve(ring, cpuBackend(ring), roundTrip(ring, 'random'));
    const text = toJson(
      solveJson(ring, report, { ...context, radiusMetres: 2.8179403262e-13 }, { arrays: true }),
    );
    const saved = parseSavedResult(text, 'ring.json');
    expect(saved).toMatchObject({
      model: 'azimuthal',
      epsilon: kEpsilon,
      softening: 0,
      radiusMetres: 2.8179403262e-13,
    });
    expect(saved.configuration).toEqual(ring.configuration);
    expect(saved.velocities).toEqual(report.velocities);
    expect(saved.momenta).toEqual(report.momenta);
    expect(saved.history).toEqual(report.solve!.history);
    expect(saved.summary).toMatchObject({ mode: 'round_trip', velocity_pattern: 'random', seed: 7 });
    expect(Object.keys(saved.summary)).not.toContain('positions');
    // Saved by Windows Notepad or PowerShell: a byte-order mark first, read past as a CSV's is.
    expect(parseSavedResult(`\uFEFF${text}`, 'ring.json')).toEqual(saved);
    const truncated = text.replace(/"momenta": \[[^\]]*\]/, '"momenta": [1, 2]');
    const error = (() => {
      try {
        parseSavedResult(truncated, 'ring.json');
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(InputError);
    expect(error).toMatchObject({
      field: 'result',
      message: `ring.json: momenta has 2 entries, expected ${kN}`,
    });
  });

  test("a solve's history that ends on the non-finite residual it stopped on (null) loads, that entry NaN", async () => {
    // The CPU solvers push the residual they find non-finite before they stop on it (diverged_nan).
    const report = await runSolve(ring, cpuBackend(ring), roundTrip(ring, 'random'));
    const json = JSON.parse(toJson(solveJson(ring, report, context, { arrays: true }))) as Record<
      string,
      unknown
    >;
    const history = [...(json.history as number[]), null];
    const saved = parseSavedResult(JSON.stringify({ ...json, history }), 'x.json');
    expect(saved.history).toEqual([...report.solve!.history, NaN]);
  });

  // Each loaded as a converged result: a link to it the page itself refused (eps=Infinity), or a
  // configuration that Solve then refused (softening -1, two electrons at one place).
  test.each([
    ['ε 1e400', { configuration: { epsilon: '<1e400>' } }, 'epsilon must be finite and >= 0, got Infinity'],
    ['softening -1', { configuration: { softening: -1 } }, 'softening must be finite and >= 0, got -1'],
    [
      'softening 1e400',
      { configuration: { softening: '<1e400>' } },
      'softening must be finite and >= 0, got Infinity',
    ],
    ['softening as text', { configuration: { softening: 'x' } }, 'configuration.softening is not a number'],
    ['dim 7', { configuration: { dim: 7 } }, "configuration.dim is 7, not the azimuthal model's"],
    ['R -5 m', { configuration: { radius_m: -5 } }, 'configuration.radius_m is -5, not R > 0 in metres'],
    ['a history of text', { history: ['a', {}, null] }, 'history must be an array of finite numbers or null'],
    [
      'a history past float64',
      { history: [1, '<1e400>'] },
      'history must be an array of finite numbers or null',
    ],
    ['iterations -3', { iterations: -3 }, 'iterations is -3, not a count of iterations'],
    ['converged as text', { converged: 'yes' }, 'converged is "yes", not true or false'],
  ])(
    'a result whose %s the panel, the link or a solve refuses is refused in one line',
    async (_name, change, message) => {
      const report = await runSolve(ring, cpuBackend(ring), roundTrip(ring, 'random'));
      const json = JSON.parse(toJson(solveJson(ring, report, context, { arrays: true }))) as Record<
        string,
        unknown
      >;
      const { configuration, ...rest } = change as { configuration?: object };
      const changed = {
        ...json,
        ...rest,
        configuration: { ...(json.configuration as object), ...configuration },
      };
      const text = JSON.stringify(changed).replace('"<1e400>"', '1e400');
      expect(() => parseSavedResult(text, 'x.json')).toThrow(new InputError(`x.json: ${message}`, 'result'));
    },
  );

  test('two electrons at one place are refused without softening, as a positions CSV is, and loaded with it', async () => {
    const report = await runSolve(ring, cpuBackend(ring), roundTrip(ring, 'random'));
    const json = JSON.parse(toJson(solveJson(ring, report, context, { arrays: true }))) as Record<
      string,
      unknown
    >;
    const positions = json.positions as number[];
    positions.splice(3, 3, ...positions.slice(0, 3));
    expect(() => parseSavedResult(JSON.stringify(json), 'x.json')).toThrow(
      new InputError('x.json: electrons 0 and 1 are at the same place', 'result'),
    );
    const softened = { ...json, configuration: { ...(json.configuration as object), softening: 0.01 } };
    expect(parseSavedResult(JSON.stringify(softened), 'x.json').softening).toBe(0.01);
  });

  test.each([
    ['null', 'x.json: not a JSON object'],
    ['[1, 2]', 'x.json: not a JSON object'],
    ['7', 'x.json: not a JSON object'],
    ['{"n": ', 'x.json: not valid JSON (it ends early: cut short?)'],
    // Cut inside an array: V8 names the end, where it wanted a ','.
    ['{"n": [1, 2', 'x.json: not valid JSON (it ends early: cut short?)'],
    ['{"n": [1, 2\n  ', 'x.json: not valid JSON (it ends early: cut short?)'],
    ['{"n": 1,\n "model": "vector",}', 'x.json: not valid JSON at line 2, column 20'],
    ['\uFEFF[1, 2]', 'x.json: not a JSON object'],
    ['{"command": "solve"}', 'x.json: no "configuration" object (save it with solve --out FILE.json)'],
  ])('a file that is not a result object, %s, is refused in one line', (text, message) => {
    expect(() => parseSavedResult(text, 'x.json')).toThrow(new InputError(message, 'result'));
  });

  test('a CSV is told by its header: the result table is positions first', () => {
    const report = { velocities: velocityPattern(ring, 'rigid'), momenta: velocityPattern(ring, 'uniform') };
    expect(csvKind(resultCsv(ring, report.velocities, report.momenta))).toBe('positions');
    expect(csvKind('# comment\nomega\n1\n')).toBe('velocities');
    expect(csvKind('px,py,pz\n1,2,3\n')).toBe('momenta');
    expect(csvKind('a,b\n')).toBeNull();
  });

  // Each header the readers take, as sets of names: any order, any case.
  test.each([
    ['x,y', 'positions'],
    ['Z,X,Y', 'positions'],
    ['x,y,z,vx,vy,vz', 'positions'],
    ['x,y,z,omega,J', 'positions'],
    ['vx,vy', 'velocities'],
    ['vz,VY,vx', 'velocities'],
    ['Omega', 'velocities'],
    ['px,py', 'momenta'],
    ['py,px,pz', 'momenta'],
    ['j', 'momenta'],
  ] as const)('the header %s is %s', (header, kind) => {
    expect(csvKind(`${header}\n1,2,3\n`)).toBe(kind);
  });

  // A column that merely begins as one of theirs does (scaling.csv's participation_min is no momentum).
  test.each([
    'geometry,model,dimension,n,unknowns,lambda_max,participation_min,converged',
    'p',
    'vx',
    'px,py,x',
    'x,y,vx,vy',
    'velocity',
    'x',
    'omega,J',
  ])('the header %s is none of them', (header) => {
    expect(csvKind(`${header}\n1\n`)).toBeNull();
  });

  test("a CSV of none of them is refused naming its header's first columns and what the page loads", () => {
    // scaling --out's scaling.csv, whose participation_min was once taken for a momentum.
    const scaling =
      'geometry,model,dimension,n,unknowns,lambda_max,lambda_min,lambda_max_over_n,participation_min,converged\n' +
      'ring,vector,1,8,16,4.21,-1.63,0.526,8,true\n';
    expect(csvKind(scaling)).toBeNull();
    expect(unknownCsvMessage(scaling, 'scaling.csv')).toBe(
      "scaling.csv: header 'geometry,model,dimension,n,… (10 columns)' is none of the page's CSVs: " +
        'the page loads positions (x,y or x,y,z, or a saved result: x,y,z, its velocities and momenta), ' +
        'velocities (vx,vy or vx,vy,vz; omega) or momenta (px,py or px,py,pz; J), columns in any order and case',
    );
    expect(unknownCsvMessage('a,b\n1,2\n', 'wrong.csv')).toMatch(/^wrong\.csv: header 'a,b' is none of/);
    expect(unknownCsvMessage('# only\n# comments\n', 'c.csv')).toMatch(/^c\.csv: no header, only comments: /);
    expect(unknownCsvMessage('\n', 'e.csv')).toMatch(/^e\.csv: empty file: the page loads /);
    // numpy.savetxt's header is a comment unless comments='': the first row of numbers is no header.
    expect(unknownCsvMessage('# vx,vy\n1,2\n', 'v.csv')).toMatch(
      /^v\.csv: header '1,2' is none of .*; its header is a comment, '# vx,vy' \(numpy\.savetxt/,
    );
  });
});

describe("the app's download after a spectrum alone", () => {
  const n = 24;
  const epsilon = 0.01;
  /** The unit ring in the azimuthal model: D = I, so D^-1/2 M D^-1/2 = I + eps V, V circulant (eq. 31). */
  const ring = darwinSystem('ring', n, 'azimuthal', 3, epsilon);
  const context = { device: kCpuDevice, matrix: 'dense', radiusMetres: 2.8179403262e-13, timing: {} };

  test("the spectrum's float64 check in spectrum's shape, and no converged solve where none ran", async () => {
    // A float32 Lanczos checked against the float64 one, as the page checks its GPU's.
    const report = await runSpectrum(
      ring,
      cpuBackend(ring, 'float32'),
      { tol: 1e-6, seed: 1 },
      cpuBackend(ring),
    );
    const json = solveJson(ring, null, context, { arrays: true, spectrum: report });
    expect(json).toMatchObject({ mode: null, iterations: 0, reason: null, tolerance: null, check: null });
    expect(json.converged).toBeNull();

    const spectrum = json.spectrum as Record<string, unknown>;
    const check = spectrum.check as Record<string, number | Record<string, number>>;
    // The errors of I + S, where Lanczos ran, against the closed form theta = 1 + lambda_k, relative
    // to the largest |theta|.
    const exact = ringSpectrum(n, 1);
    const scale = Math.max(Math.abs(exact[0]), exact[n - 1]);
    const errorMin = Math.abs(1 + report.spectrum.interactionMin - exact[0]) / scale;
    const errorMax = Math.abs(1 + report.spectrum.interactionMax - exact[n - 1]) / scale;
    expect(Math.abs((check.lambda_min as number) - errorMin)).toBeLessThan(1e-9);
    expect(Math.abs((check.lambda_max as number) - errorMax)).toBeLessThan(1e-9);
    expect(check.max_relative_error).toBe(Math.max(check.lambda_min as number, check.lambda_max as number));
    expect(check.max_relative_error).toBeGreaterThan(0);
    expect(check.targets).toEqual({ eigenvalues: float32CheckTargets(n).eigenvalues });
    // One builder: the CLI's `spectrum --json` writes the same object.
    expect(check).toEqual(spectrumJson(report, context).check);
    expect(spectrum.lambda_max).toBe(report.spectrum.lambdaMax);

    // Unchecked, the spectrum says so as `spectrum` does.
    const unchecked = await runSpectrum(ring, cpuBackend(ring), { tol: 1e-10, seed: 1 });
    expect(
      (solveJson(ring, null, context, { spectrum: unchecked }).spectrum as Record<string, unknown>).check,
    ).toBeNull();
  });

  test("momenta alone stay converged: p = M v is exact, as the CLI's solve --velocity says", async () => {
    const given = velocityPattern(ring, 'rigid');
    const report = await runSolve(ring, cpuBackend(ring), {
      mode: 'momenta',
      given,
      pattern: 'rigid',
      seed: null,
      solver: 'auto',
      rtol: 1e-10,
    });
    const json = solveJson(ring, report, context);
    expect(json).toMatchObject({ mode: 'momenta', iterations: 0, converged: true, reason: null });
  });
});

describe("the JSON's device: what the adapter gives, and no name it withholds", () => {
  /** Chrome's SwiftShader adapter as the page sees it: vendor and architecture, no description. */
  const browser: GpuAdapterSummary = {
    vendor: 'google',
    architecture: 'swiftshader',
    model: '',
    description: '',
    isFallbackAdapter: true,
    backend: 'browser',
    swiftshader: true,
  };
  const context = (adapterInfo: GpuAdapterSummary) =>
    ({ adapterInfo, hasTimestampQuery: false, hasSubgroups: true }) as unknown as GpuContext;

  test('a browser that gives no description: the key is left out, as a CPU run leaves vendor out', () => {
    const device = describeDevice(context(browser));
    expect(device).toEqual({
      kind: 'gpu',
      vendor: 'google',
      architecture: 'swiftshader',
      is_fallback_adapter: true,
      swiftshader: true,
      backend: 'browser',
      timestamp_query: false,
      subgroups: true,
    });
    expect(Object.keys(kCpuDevice)).toEqual(['kind', 'description']);
  });

  test("Dawn's adapter, which names itself, keeps every key in the CLI's order", () => {
    const dawn = {
      ...browser,
      model: 'NVIDIA H100 80GB HBM3',
      description: 'NVIDIA: 550.54.15',
      backend: 'dawn-node',
    } as const;
    expect(Object.keys(describeDevice(context(dawn)))).toEqual([
      'kind',
      'vendor',
      'architecture',
      'model',
      'description',
      'is_fallback_adapter',
      'swiftshader',
      'backend',
      'timestamp_query',
      'subgroups',
    ]);
    expect(describeDevice(context({ ...dawn, vendor: '' })).vendor).toBeUndefined();
  });

  test('the text names the device by what it gives (deviceName): no "undefined" where a name is withheld', () => {
    const dawn = { ...browser, description: 'SwiftShader driver 5.0.0', backend: 'dawn-node' } as const;
    expect(deviceName(describeDevice(context(dawn)))).toBe('google swiftshader (SwiftShader driver 5.0.0)');
    expect(deviceName(describeDevice(context(browser)))).toBe('google swiftshader');
    // The model tells two GPUs of one architecture and driver apart.
    const hopper = { ...dawn, vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA: 550.54.15' };
    expect(deviceName(describeDevice(context({ ...hopper, model: 'NVIDIA H100 80GB HBM3' })))).toBe(
      'nvidia hopper NVIDIA H100 80GB HBM3 (NVIDIA: 550.54.15)',
    );
    expect(deviceName(describeDevice(context({ ...hopper, model: 'NVIDIA H200' })))).toBe(
      'nvidia hopper NVIDIA H200 (NVIDIA: 550.54.15)',
    );
    const bare = { ...browser, vendor: '', architecture: '' };
    expect(deviceName(describeDevice(context({ ...bare, description: 'an adapter' })))).toBe('an adapter');
    expect(deviceName(describeDevice(context(bare)))).toBe('GPU');
    expect(deviceName(kCpuDevice)).toBe('float64 CPU reference');
  });
});
