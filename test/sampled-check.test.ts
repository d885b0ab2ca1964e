// The sampled check (src/run/check.ts), which takes over from the dense float64 reference past
// kCheckMaxUnknowns: its electrons, its float64 rows of M against the dense M's rows (eq. 48/50, every
// model and dim, with softening), and runSolve's errors over the sample against those computed
// independently from the dense reference's vectors, on the fast multipole tree, whose product has a
// real error for the check to see; runSpectrum's Ritz residuals on the sample against those over all
// unknowns, with an eigenvalue of the dense reference within each.
import { describe, expect, test } from 'vitest';
import { geometry } from '../src/physics/geometry.ts';
import {
  applyInteractionFree,
  applyMassMatrixFree,
  blockSize,
  massDiagonal,
  massMatrixEntries,
  type DarwinSystem,
} from '../src/physics/models.ts';
import { relativeError } from '../src/physics/observables.ts';
import { velocityPattern } from '../src/physics/velocities.ts';
import { cpuBackend, cpuTreeBackend } from '../src/run/backend.ts';
import {
  checkSample,
  CheckStopped,
  kClosestCheckElectrons,
  kSampledCheckElectrons,
  ritzSample,
  sampledEntries,
  sampledMassRows,
  sampledRitzResidual,
  uniformElectrons,
  weighSample,
  type CheckSample,
  type SampledReference,
} from '../src/run/check.ts';
import { solveJson, spectrumJson } from '../src/run/report.ts';
import { runSolve, type SolveReport } from '../src/run/solve.ts';
import { runSpectrum, type SpectrumReport } from '../src/run/spectrum.ts';
import { kCpuDevice } from '../src/io/formats.ts';
import type { LanczosOptions } from '../src/solvers/types.ts';
import { randomVector } from './helpers/compare.ts';
import { darwinSystem, momentaRequest, velocitiesRequest } from './helpers/systems.ts';
import { inProcessReference, sampledRows, sampledSpectrumCheck } from './helpers/reference.ts';
import { nearestNeighbourDistances, neighbourSearch } from '../src/physics/neighbours.ts';

/** The "check" object of the solve JSON (src/run/report.ts) of a CPU run. */
function checkJson(system: DarwinSystem, report: SolveReport, matrix: string): Record<string, unknown> {
  const context = { device: kCpuDevice, matrix, radiusMetres: 1, timing: {} };
  return solveJson(system, report, context).check as Record<string, unknown>;
}

/** A sampled reference whose every request for rows is stopped (the user's Stop), with the x lengths asked. */
function stoppedRows(sample: CheckSample): { asked: number[]; stopped: SampledReference } {
  const asked: number[] = [];
  const stopped: SampledReference = {
    kind: 'sampled',
    sample: async () => sample,
    rows: async (x) => {
      asked.push(x.length);
      throw new CheckStopped('check stopped');
    },
  };
  return { asked, stopped };
}

describe('uniformElectrons', () => {
  test('distinct, increasing, inside 0..n-1, the same on every call', () => {
    const electrons = uniformElectrons(100_000, kSampledCheckElectrons);
    expect(electrons.length).toBe(kSampledCheckElectrons);
    for (let k = 1; k < electrons.length; k++) expect(electrons[k]).toBeGreaterThan(electrons[k - 1]);
    expect(electrons[electrons.length - 1]).toBeLessThan(100_000);
    expect(uniformElectrons(100_000, kSampledCheckElectrons)).toEqual(electrons);
    // Spread over the whole range, not a run at its start: generated geometries order their
    // electrons in space, so a run would sample one patch.
    expect(electrons[0]).toBeLessThan(5_000);
    expect(electrons[electrons.length - 1]).toBeGreaterThan(95_000);
  });

  test('the last electron can be drawn: n - 1 of n hold it unless it is the one left out', () => {
    // Generated geometries order electrons by radius, so a draw that never reaches n - 1 never checks
    // the outermost one's rows. A uniform draw of n - 1 leaves out the last with chance 1/n: over
    // n = 2..50 it is in about 49 - (H_50 - 1) = 45.5 of the 49 draws.
    let holdsLast = 0;
    for (let n = 2; n <= 50; n++) {
      const electrons = Array.from(uniformElectrons(n, n - 1));
      expect(new Set(electrons).size).toBe(n - 1);
      for (const i of electrons) {
        expect(i).toBeGreaterThanOrEqual(0);
        expect(i).toBeLessThan(n);
      }
      if (electrons.includes(n - 1)) holdsLast++;
    }
    expect(holdsLast).toBeGreaterThan(49 / 2);
  });

  test('every electron where there are no more than the sample', () => {
    expect(Array.from(uniformElectrons(5, 8))).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(uniformElectrons(8, 8))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
});

/** Each electron's nearest-neighbour distance by the O(N^2) loop. */
function bruteNearest(positions: Float64Array, n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => {
    let best = Infinity;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const d = Math.hypot(
        positions[3 * i] - positions[3 * j],
        positions[3 * i + 1] - positions[3 * j + 1],
        positions[3 * i + 2] - positions[3 * j + 2],
      );
      best = Math.min(best, d);
    }
    return best;
  });
}

describe('checkSample: the closest electrons summed exactly, a uniform draw for the rest', () => {
  // A ball of 3000 with a lump of 200 inside 1e-6 R and one electron far out, which a cell grid of
  // the mean spacing meets with one crowded cell and shells without end.
  const n = 3000;
  const ball = geometry('ball', n);
  const positions = ball.positions.slice();
  const lump = randomVector(3 * 200, 3);
  for (let k = 0; k < lump.length; k++) positions[3 * 1000 + k] = 0.3 + 1e-6 * lump[k];
  positions[3 * 2999] = 1e6;
  const configuration = { ...ball, positions };

  test("the k-d tree's nearest-neighbour distances are the direct loop's", () => {
    const exact = bruteNearest(positions, n);
    const found = nearestNeighbourDistances(configuration);
    for (let i = 0; i < n; i++) expect(Math.abs(found[i] - exact[i])).toBeLessThanOrEqual(1e-15 * exact[i]);
    expect(Array.from(nearestNeighbourDistances({ ...configuration, n: 1 }))).toEqual([Infinity]);
  });

  test("the search's leaves in ranges of any split give the one-go distances, each electron's by the direct loop", () => {
    const exact = bruteNearest(positions, n);
    const search = neighbourSearch(configuration);
    // 3000 electrons in leaves of at most 8: 512 leaves, searched in uneven ranges, the last from
    // the end backwards (each leaf's answer its own).
    expect(search.leaves).toBe(512);
    for (const [first, end] of [
      [500, 512],
      [0, 1],
      [1, 200],
      [200, 500],
    ]) {
      search.search(first, end);
    }
    const found = search.distances();
    expect(found).toEqual(nearestNeighbourDistances(configuration));
    for (let i = 0; i < n; i++) expect(Math.abs(found[i] - exact[i])).toBeLessThanOrEqual(1e-15 * exact[i]);
    // A leaf not searched leaves its electrons at Infinity: the ranges above covered every one.
    const half = neighbourSearch(configuration);
    half.search(0, 256);
    expect(half.distances().filter((d) => d === Infinity).length).toBeGreaterThan(0);
  });

  test(`the ${kClosestCheckElectrons} closest exactly, weight 1; the others stand for the rest`, () => {
    const exact = bruteNearest(positions, n);
    const sample = checkSample(configuration);
    expect(checkSample(configuration)).toBe(sample);
    const threshold = Float64Array.from(exact).sort()[kClosestCheckElectrons - 1];
    expect(sample.exact.length).toBe(kClosestCheckElectrons);
    for (const i of sample.exact) expect(exact[i]).toBeLessThanOrEqual(threshold);
    expect(sample.uniform.length).toBe(kSampledCheckElectrons - kClosestCheckElectrons);
    // Drawn from the rest: the sample holds kSampledCheckElectrons.
    const others = Array.from(sample.uniform);
    expect(others.filter((i) => sample.exact.includes(i))).toEqual([]);
    expect(sample.electrons.length).toBe(kSampledCheckElectrons);
    sample.electrons.forEach((i, k) =>
      expect(sample.weights[k]).toBe(
        sample.exact.includes(i) ? 1 : (n - kClosestCheckElectrons) / others.length,
      ),
    );
    // Every electron, each weight 1, where they are no more than the sample.
    const all = checkSample(geometry('ball', 200));
    expect(Array.from(all.electrons)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(Array.from(new Set(all.weights))).toEqual([1]);
    expect(weighSample(10, [1, 2], Uint32Array.of(2, 5)).weights).toEqual(Float64Array.of(1, 1, 8));
  });

  test("a product off on a close pair alone: the check sees it, as the whole vector's error", async () => {
    // As float32 resolves a close pair's r_ij (a random sphere of 12 000, its closest pair 5e-5
    // apart: the GPU's product 1.6e-4 off over all unknowns, 2.5e-6 on 256 random electrons).
    const sphere = geometry('sphere', n);
    const close = sphere.positions.slice();
    const drawn = uniformElectrons(n, kSampledCheckElectrons);
    const [a, b] = [10, 11, 12, 13].filter((i) => !drawn.includes(i));
    for (let c = 0; c < 3; c++) close[3 * b + c] = close[3 * a + c] + (c === 2 ? 5e-5 : 0);
    const system: DarwinSystem = {
      configuration: { ...sphere, positions: close },
      model: 'vector',
      dim: 3,
      epsilon: 1e-3,
      softening: 0,
    };
    const exactBackend = cpuTreeBackend(system, { tolerance: 1e-7 });
    const off = { ...exactBackend, system, name: 'cpu' as const };
    // p off by 1e-2 of itself at the pair: its eps T v off by that.
    off.interaction = async (v) => {
      const p = applyMassMatrixFree(system, v);
      const part = applyInteractionFree(system, v);
      for (const i of [a, b]) for (let c = 0; c < 3; c++) part[3 * i + c] += 1e-2 * p[3 * i + c];
      return part;
    };
    const v = velocityPattern(system, 'random', 2);
    const request = momentaRequest(v);
    const report = await runSolve(system, off, request, sampledRows(system));
    exactBackend.dispose();
    const full = relativeError(report.momenta, applyMassMatrixFree(system, v));
    expect(full).toBeGreaterThan(1e-4);
    expect(report.check!.momenta! / full).toBeGreaterThan(0.9);
    expect(report.check!.momenta! / full).toBeLessThan(1.1);
    // The uniform draw alone saw none of it.
    const uniformOnly = weighSample(n, [], drawn);
    const alone = await runSolve(system, off, request, sampledRows(system, uniformOnly));
    expect(alone.check!.momenta).toBe(0);
  });
});

describe.each([
  ['ball, vector 3D', 'ball', 'vector', 3, 0],
  ['disk, vector 2D', 'disk', 'vector', 2, 0],
  ['ring, azimuthal', 'ring', 'azimuthal', 3, 0],
  ['ball, vector 3D, softened', 'ball', 'vector', 3, 0.05],
] as const)('sampledMassRows, %s', (_name, shape, model, dim, softening) => {
  test("are the dense float64 M's rows at the sampled electrons", () => {
    const n = 300;
    const system: DarwinSystem = { configuration: geometry(shape, n), model, dim, epsilon: 0.01, softening };
    const x = randomVector(blockSize(system) * n, 7);
    const electrons = uniformElectrons(n, 40);
    const dense = massMatrixEntries(system);
    const size = x.length;
    const exact = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      let sum = 0;
      for (let j = 0; j < size; j++) sum += dense[i * size + j] * x[j];
      exact[i] = sum;
    }
    const rows = sampledMassRows(system, x, electrons);
    expect(rows.length).toBe(blockSize(system) * electrons.length);
    expect(relativeError(rows, sampledEntries(exact, electrons, blockSize(system)))).toBeLessThan(1e-13);
    // Their eps T x alone, as the pair loop sums it, without D x's rounding.
    const interaction = sampledMassRows(system, x, electrons, 'interaction');
    expect(interaction).toEqual(
      sampledEntries(applyInteractionFree(system, x), electrons, blockSize(system)),
    );
  });
});

describe('runSolve checked on sampled rows (the CPU tree)', () => {
  // A ball of 2 000 in leaves of 16 with every M2L allowed: the tree's error, about its tolerance,
  // is what the sample must see; 256 of 2 000 electrons.
  const n = 2000;
  const system: DarwinSystem = {
    configuration: geometry('ball', n),
    model: 'vector',
    dim: 3,
    epsilon: 3 / n,
    softening: 0,
  };
  const tolerance = 1e-4;
  const sample = checkSample(system.configuration);
  const { electrons, weights } = sample;
  const sampled = sampledRows(system, sample);
  /** ||x - y|| / ||y|| over the sample's unknowns, each electron's squares weighted. */
  const weightedError = (x: Float64Array, y: Float64Array) => {
    const w = (k: number) => weights[Math.floor(k / 3)];
    const difference = x.reduce((sum, value, k) => sum + w(k) * (value - y[k]) ** 2, 0);
    return Math.sqrt(difference / y.reduce((sum, value, k) => sum + w(k) * value ** 2, 0));
  };
  const request = {
    mode: 'round_trip',
    given: velocityPattern(system, 'random', 5),
    pattern: 'random',
    seed: 5,
    solver: 'cg',
    rtol: 1e-8,
  } as const;

  test('the momenta error and the residual over the sample, as the dense vectors give them', async () => {
    const tree = cpuTreeBackend(system, { tolerance, leafSize: 16, translationCost: 0 });
    expect(tree.tree.translations).toBeGreaterThan(0);
    const report = await runSolve(system, tree, request, sampled);
    const exactMomenta = applyMassMatrixFree(system, request.given);
    const p = sampledEntries(report.momenta, electrons, 3);
    const momentaError = weightedError(p, sampledEntries(exactMomenta, electrons, 3));
    const solvedRows = sampledEntries(applyMassMatrixFree(system, report.solve!.x), electrons, 3);
    const residual = weightedError(solvedRows, p);
    const check = report.check!;
    expect(check.sampled).toBe(electrons.length);
    expect(check.velocities).toBeNull();
    expect(check.momenta).toBeCloseTo(momentaError, 12);
    expect(check.residual).toBeCloseTo(residual, 12);
    // The interaction part alone, eps T v's, against the direct sum's: the same weights.
    const exactPart = sampledEntries(applyInteractionFree(system, request.given), electrons, 3);
    const part = sampledEntries(await tree.interaction(request.given), electrons, 3);
    tree.dispose();
    expect(check.interaction).toBeCloseTo(weightedError(part, exactPart), 12);
    expect(check.interaction!).toBeGreaterThan(check.momenta!);
    // The tree's error is there, and the sample's estimate of it is within a factor 2 of the
    // normwise error over all 6 000 unknowns.
    const fullError = relativeError(report.momenta, exactMomenta);
    expect(fullError).toBeGreaterThan(1e-7);
    expect(check.momenta! / fullError).toBeGreaterThan(0.5);
    expect(check.momenta! / fullError).toBeLessThan(2);
    // The solve met rtol 1e-8 on the tree's M: against the direct sum's rows the residual is the
    // tree's error on the solved v, of the momenta's size, and within the targets.
    expect(check.residual!).toBeGreaterThan(1e-7);
    expect(check.momenta!).toBeLessThanOrEqual(report.checkTargets.momenta);
    expect(check.residual!).toBeLessThanOrEqual(report.checkTargets.residual);
    expect(report.checkTargets.residual).toBe(10 * tolerance);
    expect(checkJson(system, report, 'tree')).toEqual({
      max_relative_error: Math.max(check.momenta!, check.residual!, check.interaction!),
      momenta: check.momenta,
      residual: check.residual,
      interaction: check.interaction,
      targets: { momenta: tolerance, residual: 10 * tolerance, interaction: tolerance },
      within_target: true,
      sampled_electrons: electrons.length,
    });
  });

  test("the velocities mode's interaction part over the sample: the solved v's own M v, which its energies use", async () => {
    const tree = cpuTreeBackend(system, { tolerance, leafSize: 16, translationCost: 0 });
    const given = applyMassMatrixFree(system, request.given);
    const report = await runSolve(system, tree, velocitiesRequest(given, request.rtol), sampled);
    const v = report.velocities;
    const own = await tree.interaction(v);
    tree.dispose();
    // The tree's eps T v against the direct sum's rows.
    const exactPart = sampledEntries(applyInteractionFree(system, v), electrons, 3);
    const part = sampledEntries(own, electrons, 3);
    const check = report.check!;
    expect(check.interaction).toBeCloseTo(weightedError(part, exactPart), 12);
    // The tree's error, within its tolerance.
    expect(check.interaction!).toBeGreaterThan(1e-7);
    expect(check.interaction!).toBeLessThanOrEqual(report.checkTargets.interaction);
    expect(check.momenta).toBeNull();
    expect(check.residual!).toBeGreaterThan(0);
    // The momenta are given, not checked: only the targets of the errors present.
    expect(checkJson(system, report, 'tree').targets).toEqual({
      residual: 10 * tolerance,
      interaction: tolerance,
    });
  });

  test("the reference worker's sample and rows (FloatReference.sampled) are checkSample's, sampledMassRows'", async () => {
    const { reference, sent } = inProcessReference();
    const x = randomVector(3 * n, 11);
    const asked = reference.sampled('rows', system);
    const fromWorker = await asked.sample();
    expect(fromWorker).toEqual(sample);
    // Formed once.
    expect(await asked.sample()).toBe(fromWorker);
    const rows = await asked.rows(x, fromWorker.electrons);
    expect(sent.map((request) => request.kind)).toEqual(['sample', 'rows']);
    expect(rows).toEqual(sampledMassRows(system, x, electrons));
  });

  test('a stopped sampled check asks nothing more and reports the check stopped', async () => {
    const { asked, stopped } = stoppedRows(sample);
    const tree = cpuTreeBackend(system, { tolerance });
    const report = await runSolve(system, tree, request, stopped);
    tree.dispose();
    // The round trip's momenta rows were stopped: the solved velocities' rows are not asked.
    expect(asked).toEqual([3 * n]);
    expect(report.checkStopped).toBe(true);
    expect(report.check).toBeNull();
    expect(report.solve!.converged).toBe(true);
  });

  test('the dense check is unchanged beside it: velocities, no residual, no sample', async () => {
    const small: DarwinSystem = { ...system, configuration: geometry('ball', 300), epsilon: 0.01 };
    const report = await runSolve(
      small,
      cpuBackend(small, 'float32'),
      { ...request, given: velocityPattern(small, 'random', 5) },
      cpuBackend(small),
    );
    expect(report.check!.sampled).toBeNull();
    expect(report.check!.residual).toBeNull();
    expect(report.check!.velocities).toBeLessThan(1e-5);
    expect(Object.keys(checkJson(small, report, 'dense')).sort()).toEqual([
      'darwin',
      'interaction',
      'max_relative_error',
      'momenta',
      'reference_unconverged',
      'targets',
      'velocities',
      'within_target',
    ]);
  });
});

/**
 * ||A y - lambda y|| / ||y|| over every unknown, A = D^-1/2 M D^-1/2, by the direct float64 product
 * of M (applyMassMatrixFree): what the sampled check estimates.
 */
function directRitzResidual(system: DarwinSystem, y: Float64Array, lambda: number): number {
  const diagonal = massDiagonal(system);
  const mv = applyMassMatrixFree(
    system,
    y.map((value, k) => value / Math.sqrt(diagonal[k])),
  );
  const r = y.map((value, k) => mv[k] / Math.sqrt(diagonal[k]) - lambda * value);
  return Math.hypot(...r) / Math.hypot(...y);
}

/** directRitzResidual of a run's two extreme Ritz pairs, relative to the largest |lambda| as its check. */
/** The Ritz pairs' residuals on I + S (M at eps = 1, where Lanczos ran), relative to its largest |theta|. */
function ritzResiduals(system: DarwinSystem, report: SpectrumReport): { min: number; max: number } {
  const { spectrum } = report;
  const vectors = spectrum.lanczos.ritzVectors!;
  const [thetaMin, thetaMax] = [1 + spectrum.interactionMin, 1 + spectrum.interactionMax];
  const scale = Math.max(Math.abs(thetaMin), Math.abs(thetaMax));
  const unit = { ...system, epsilon: 1 };
  return {
    min: directRitzResidual(unit, vectors.min, thetaMin) / scale,
    max: directRitzResidual(unit, vectors.max, thetaMax) / scale,
  };
}

describe('ritzSample and sampledRitzResidual', () => {
  const n = 2000;
  // A uniform draw alone, no electron summed exactly by its position.
  const uniform = uniformElectrons(n, kSampledCheckElectrons);
  const base = { exact: new Uint32Array(0), uniform };
  // Two electrons the uniform sample did not draw, the second moved to 1e-4 of the first: with
  // eps = 1e-4 their pair term eps / 2r is 0.5, as for the close pair that carries the lowest mode
  // of a configuration (scaling study: 'localized').
  const pair = [0, 1, 2, 3].filter((i) => !uniform.includes(i)).slice(0, 2);
  expect(pair).toHaveLength(2);
  const ball = geometry('ball', n);
  const positions = ball.positions.slice();
  for (let c = 0; c < 3; c++) positions[3 * pair[1] + c] = positions[3 * pair[0] + c] + (c === 0 ? 1e-4 : 0);
  const closePair: DarwinSystem = {
    configuration: { ...ball, positions },
    model: 'vector',
    dim: 3,
    epsilon: 1e-4,
    softening: 0,
  };

  /** ||A y - lambda y|| / ||y|| over every unknown (A = M here: D = I) and its sampled estimate. */
  function residuals(
    y: Float64Array,
    heaviest?: number,
    system: DarwinSystem = closePair,
  ): { full: number; estimate: number } {
    // The vector model's D = I: v = y, and lambda is y's Rayleigh quotient.
    const my = applyMassMatrixFree(system, y);
    const lambda = my.reduce((sum, value, k) => sum + value * y[k], 0) / y.reduce((sum, v) => sum + v * v, 0);
    const sample = ritzSample(system, y, base, heaviest);
    const rows = sampledMassRows(system, y, sample.electrons);
    return {
      full: directRitzResidual(system, y, lambda),
      estimate: sampledRitzResidual(system, massDiagonal(system), sample, y, lambda, rows),
    };
  }

  test('the heaviest electrons exactly, the uniform sample standing for the rest', () => {
    const y = randomVector(3 * n, 3);
    for (const i of pair) y[3 * i] = 100;
    const sample = ritzSample(closePair, y, base, 2);
    const others = Array.from(uniform).filter((i) => !pair.includes(i));
    expect(Array.from(sample.electrons)).toEqual([...pair, ...others].sort((a, b) => a - b));
    sample.electrons.forEach((i, k) =>
      expect(sample.weights[k]).toBe(pair.includes(i) ? 1 : (n - 2) / others.length),
    );
    // Every electron sampled: weight 1 throughout.
    const all = ritzSample(closePair, y, { exact: new Uint32Array(0), uniform: uniformElectrons(n, n) });
    expect(all.electrons.length).toBe(n);
    expect(Array.from(new Set(all.weights))).toEqual([1]);
  });

  test('a vector spread over a ball: the estimate within a factor 1.5 of the full residual', () => {
    const spread = randomVector(3 * n, 5);
    const { full, estimate } = residuals(spread, undefined, darwinSystem('ball', n, 'vector', 3, 3 / n));
    expect(full).toBeGreaterThan(1e-3);
    expect(estimate / full).toBeGreaterThan(1 / 1.5);
    expect(estimate / full).toBeLessThan(1.5);
  });

  test('a vector on the close pair: the heaviest electrons catch the residual the uniform sample misses', () => {
    // Small noise everywhere and most of the vector on the pair, across its axis in one and along it
    // in the other: not a mode of the pair, so its residual sits there.
    const y = randomVector(3 * n, 7).map((value) => 1e-3 * value);
    y[3 * pair[0]] = 1;
    y[3 * pair[1] + 1] = 1;
    const { full, estimate } = residuals(y);
    expect(full).toBeGreaterThan(0.1);
    expect(estimate / full).toBeGreaterThan(0.99);
    expect(estimate / full).toBeLessThan(1.01);
    // The uniform sample alone sees only what the pair's field does elsewhere.
    expect(residuals(y, 0).estimate / full).toBeLessThan(0.01);
  });
});

describe.each([
  ['annulus, azimuthal (one unknown an electron, D = rho^2)', 'annulus', 'azimuthal', 3],
  ['disk, vector 2D (two)', 'disk', 'vector', 2],
  ['ball, vector 3D (three)', 'ball', 'vector', 3],
] as const)('sampledRitzResidual, %s', (_name, shape, model, dim) => {
  test('with every electron in the sample: the residual of A = D^-1/2 M D^-1/2 over all unknowns', () => {
    const n = 300;
    const system = darwinSystem(shape, n, model, dim, 0.01);
    const y = randomVector(blockSize(system) * n, 9);
    const lambda = 1.3;
    const diagonal = massDiagonal(system);
    const sample = ritzSample(system, y, checkSample(system.configuration, n));
    const v = y.map((value, k) => value / Math.sqrt(diagonal[k]));
    const rows = sampledMassRows(system, v, sample.electrons);
    expect(sampledRitzResidual(system, diagonal, sample, y, lambda, rows)).toBeCloseTo(
      directRitzResidual(system, y, lambda),
      12,
    );
  });
});

test('ritzSample: equal weights fill the heaviest by index; more heaviest than electrons takes them all', () => {
  const n = 300;
  const system = darwinSystem('ball', n, 'vector', 3, 0.01);
  const flat = new Float64Array(3 * n).fill(1);
  const uniform = { exact: new Uint32Array(0), uniform: uniformElectrons(n, 20) };
  const sample = ritzSample(system, flat, uniform, 10);
  const heavy = sample.electrons.filter((_, k) => sample.weights[k] === 1);
  expect(Array.from(heavy)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const all = ritzSample(system, flat, uniform, 2 * n);
  expect(all.electrons.length).toBe(n);
  expect(Array.from(new Set(all.weights))).toEqual([1]);
});

describe('runSpectrum checked on sampled rows (the CPU tree)', () => {
  const tolerance = 1e-4;
  const request = { tol: 1e-9, seed: 1 };

  test('with every electron sampled the residuals are exact, an eigenvalue of the dense M within each', async () => {
    // 200 electrons, fewer than the sample: every row is summed, so the residuals are those over all
    // unknowns, and an eigenvalue of the dense float64 M lies within each (Parlett, Thm 4.5.1): here,
    // converged, the extreme one.
    const n = 200;
    const system = darwinSystem('ring', n, 'azimuthal', 3, 0.3 / n);
    expect(checkSample(system.configuration).electrons.length).toBe(n);
    const tree = cpuTreeBackend(system, { tolerance, leafSize: 8, translationCost: 0 });
    expect(tree.tree.translations).toBeGreaterThan(0);
    const report = await runSpectrum(system, tree, request, sampledRows(system));
    tree.dispose();
    const exact = ritzResiduals(system, report);
    const check = sampledSpectrumCheck(report);
    expect(check.sampled).toBe(n);
    expect(check.residualMin).toBeCloseTo(exact.min, 12);
    expect(check.residualMax).toBeCloseTo(exact.max, 12);
    // Lanczos converged on the tree's M to 1e-9: what is left is the tree's error, of its tolerance.
    expect(check.residualMax).toBeGreaterThan(1e-8);
    expect(check.residualMax).toBeLessThan(tolerance);
    const dense = (await runSpectrum(system, cpuBackend(system), request)).spectrum;
    const scale = Math.max(Math.abs(1 + dense.interactionMin), Math.abs(1 + dense.interactionMax));
    expect(Math.abs(report.spectrum.interactionMin - dense.interactionMin) / scale).toBeLessThanOrEqual(
      check.residualMin,
    );
    expect(Math.abs(report.spectrum.interactionMax - dense.interactionMax) / scale).toBeLessThanOrEqual(
      check.residualMax,
    );
  });

  test('256 of 2 000 electrons estimate the residuals over all unknowns; the JSON says so', async () => {
    const n = 2000;
    const system = darwinSystem('ball', n, 'vector', 3, 3 / n);
    const sample = checkSample(system.configuration);
    const tree = cpuTreeBackend(system, { tolerance, leafSize: 16, translationCost: 0 });
    const report = await runSpectrum(system, tree, { ...request, tol: 1e-5 }, sampledRows(system, sample));
    tree.dispose();
    const exact = ritzResiduals(system, report);
    const check = sampledSpectrumCheck(report);
    expect(check.sampled).toBe(sample.electrons.length);
    for (const [estimate, full] of [
      [check.residualMin, exact.min],
      [check.residualMax, exact.max],
    ]) {
      expect(full).toBeGreaterThan(1e-8);
      expect(estimate / full).toBeGreaterThan(0.5);
      expect(estimate / full).toBeLessThan(2);
    }
    // Lanczos's tolerance and the tree's error, within 10 max(tol, tree tolerance).
    expect(report.checkTargets).toEqual({ eigenvalues: tolerance, residual: 10 * tolerance });
    expect(Math.max(check.residualMin, check.residualMax)).toBeLessThanOrEqual(report.checkTargets.residual);
    const context = { device: kCpuDevice, matrix: 'tree', radiusMetres: 1, timing: {} };
    expect(spectrumJson(report, context).check).toEqual({
      max_relative_error: Math.max(check.residualMin, check.residualMax),
      residual_min: check.residualMin,
      residual_max: check.residualMax,
      targets: { residual: 10 * tolerance },
      within_target: true,
      sampled_electrons: sample.electrons.length,
    });
  });

  test('a run with no Ritz vectors (stopped before its first step) has its check stopped', async () => {
    const n = 300;
    const system = darwinSystem('ball', n, 'vector', 3, 0.01);
    const tree = cpuTreeBackend(system, { tolerance });
    const { asked, stopped } = stoppedRows(
      checkSample(darwinSystem('ball', n, 'vector', 3, 0.01).configuration),
    );
    const withoutVectors = {
      ...tree,
      spectrum: (options: LanczosOptions) => tree.spectrum({ ...options, ritzVectors: false }),
    };
    const report = await runSpectrum(system, withoutVectors, request, stopped);
    tree.dispose();
    expect(asked).toEqual([]);
    expect(report.checkStopped).toBe(true);
    expect(report.check).toBeNull();
  });

  test('a stopped sampled check asks nothing more and reports the check stopped', async () => {
    const n = 300;
    const system = darwinSystem('ball', n, 'vector', 3, 0.01);
    const { asked, stopped } = stoppedRows(
      checkSample(darwinSystem('ball', n, 'vector', 3, 0.01).configuration),
    );
    const tree = cpuTreeBackend(system, { tolerance });
    const report = await runSpectrum(system, tree, request, stopped);
    tree.dispose();
    // λ_min's rows were stopped: λ_max's are not asked.
    expect(asked).toEqual([3 * n]);
    expect(report.checkStopped).toBe(true);
    expect(report.check).toBeNull();
    expect(report.spectrum.lanczos.converged).toBe(true);
  });
});
