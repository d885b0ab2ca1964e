// Mixed-precision iterative refinement (src/run/refine.ts): float32 inner solves, float64 residuals.
// On the float32 CPU mirror and on the GPU (Dawn, SwiftShader where no GPU exists) against the dense
// float64 reference. Tolerances:
//   float64 products             matrix-free vs dense: ||y_free - y_dense|| <= 1e-14 ||y_dense||;
//                                on a pool of threads, the single-thread product bit for bit
//   refined solve, --tol 1e-10   ||p - M_64 v|| <= 1e-10 ||p|| recomputed with the dense float64 M,
//                                and ||v - v_64|| <= 1e-9 ||v_64|| (cond(M) < 10^3), in <= 4 steps
import { describe, expect, test } from 'vitest';
import { geometry, type GeometryName } from '../src/physics/geometry.ts';
import {
  applyMassMatrixFree,
  type DarwinSystem,
  type Dimension,
  type ModelName,
} from '../src/physics/models.ts';
import { relativeError } from '../src/physics/observables.ts';
import { ringCirculantEigenvalues } from '../src/physics/ring.ts';
import { velocityPattern } from '../src/physics/velocities.ts';
import { cpuBackend, cpuTreeBackend, massMatrix } from '../src/run/backend.ts';
import { RunStopped } from '../src/run/chunks.ts';
import {
  float64Product,
  float64Products,
  kMaxRefinementSteps,
  kStallBelow,
  kStallFactor,
  kStallIterations,
  refinedVelocities,
  refines,
  solveVelocities,
  stallWatch,
  type Float64Product,
} from '../src/run/refine.ts';
import { solveJson } from '../src/run/report.ts';
import { runSolve, type SolveRequest } from '../src/run/solve.ts';
import { runSpectrum } from '../src/run/spectrum.ts';
import { watchedPool } from './helpers/pool.ts';
import { inProcessReference, sampledRows, sampledSpectrumCheck } from './helpers/reference.ts';
import { applyMassMatrix } from '../src/solvers/dense.ts';
import { gpuBackend } from '../src/engine/backend.ts';
import { kCpuDevice } from '../src/io/formats.ts';
import { expectNanSolve, norm, randomVector } from './helpers/compare.ts';
import { gpuHarness } from './helpers/gpu.ts';
import { kCpuKernels } from '../src/parallel/mass-matrix.ts';
import { nodeWorkerPool } from '../src/parallel/node.ts';

const kTol = 1e-10;
const kCheckTarget = 1e-9;
const kHandful = 4;

/** 40 electrons at eps = 0.1, which keeps cond(M) in 4..31 (test/gpu-engine.test.ts). */
const of40 = (shape: GeometryName, model: ModelName, dim: Dimension, softening = 0): DarwinSystem => ({
  configuration: geometry(shape, 40),
  model,
  dim,
  epsilon: 0.1,
  softening,
});

/** Every model. */
const kSetups: readonly { label: string; system: DarwinSystem }[] = [
  { label: 'vector 3D sphere', system: of40('sphere', 'vector', 3) },
  { label: 'vector 2D disk', system: of40('disk', 'vector', 2) },
  { label: 'azimuthal 2D annulus', system: of40('annulus', 'azimuthal', 2) },
  { label: 'azimuthal 3D sphere, softened', system: of40('sphere', 'azimuthal', 3, 0.05) },
];

/** The ring, azimuthal (eq. 31): M = I + eps V, V circulant, lambda(M) = 1 + eps lambda_k(V). */
const kRingN = 64;
const kRingLambdaMin = Math.min(...ringCirculantEigenvalues(kRingN));
const ring = (epsilon: number): DarwinSystem => ({
  configuration: geometry('ring', kRingN),
  model: 'azimuthal',
  dim: 2,
  epsilon,
  softening: 0,
});
const kRingLambdaMax = Math.max(...ringCirculantEigenvalues(kRingN));
/**
 * cond(M) = 900, the edge of the target (cond(M) < 10^3): 1 + eps lambda_max = 900 (1 + eps
 * lambda_min) gives eps = 899 / (lambda_max - 900 lambda_min).
 */
const illConditionedRing = ring(899 / (kRingLambdaMax - 900 * kRingLambdaMin));
/** lambda_min(M) = -1.5 (the indefinite case of src/solvers' tests): MINRES inner solves. */
const indefiniteRing = ring(2.5 / -kRingLambdaMin);
/**
 * lambda_min(M) = 1e-9 and cond(M) ~ 1e10: float32's M (entries rounded by ~6e-8) is not even
 * definite, so cond(M) u32 >> 1/2 and no float32 solve refines it.
 */
const singularRing = ring((1 - 1e-9) / -kRingLambdaMin);

/**
 * float64Product(system), also recording ||p - M v|| in float64 for every v it multiplies: the
 * refinement forms one product per step, of that step's candidate iterate.
 */
function recordingProduct(
  system: DarwinSystem,
  p: Float64Array,
): { product: Float64Product; residuals: number[] } {
  const product = float64Product(system);
  const residuals: number[] = [];
  return {
    product: (v) => {
      const mv = product(v);
      residuals.push(norm(mv.map((x, k) => p[k] - x)));
      return mv;
    },
    residuals,
  };
}

/** ||p - M v|| / ||p|| with the dense float64 M: the check independent of the refinement's product. */
function trueRelativeResidual64(system: DarwinSystem, p: Float64Array, v: Float64Array): number {
  const mv = applyMassMatrix(massMatrix(system), v);
  return norm(mv.map((x, k) => p[k] - x)) / norm(p);
}

function roundTrip(
  system: DarwinSystem,
  rtol: number,
  solver: SolveRequest['solver'] = 'auto',
): SolveRequest {
  return {
    mode: 'round_trip',
    given: velocityPattern(system, 'random', 3),
    pattern: 'random',
    seed: 3,
    solver,
    rtol,
  };
}

describe('the float64 products of the refinement', () => {
  for (const { label, system } of kSetups) {
    test(`${label}: the matrix-free pair loop equals the dense float64 M to rounding`, () => {
      const v = randomVector(massMatrix(system).size, 11);
      const dense = applyMassMatrix(massMatrix(system), v);
      expect(relativeError(applyMassMatrixFree(system, v), dense)).toBeLessThanOrEqual(1e-14);
      expect(relativeError(float64Product(system)(v), dense)).toBeLessThanOrEqual(1e-14);
    });
  }

  test("on a pool of 3 threads, where its rows run on the threads: the single-thread product's bits, its arrays released after", () => {
    const { system } = kSetups[0];
    const v = randomVector(3 * system.configuration.n, 13);
    const { pool, held, seen } = watchedPool(3);
    try {
      const products = [float64Product(system, pool), float64Product(system, pool, undefined, 'interaction')];
      expect(products[0](v)).toEqual(float64Product(system)(v));
      // Its eps T v alone (massFreeRows with D = 0), as applyInteractionFree sums it.
      expect(products[1](v)).toEqual(float64Product(system, undefined, undefined, 'interaction')(v));
      // The float64 tree's passes on the threads: the same sums in another order.
      const tree = { tolerance: 1e-5 };
      products.push(float64Product(system, pool, tree));
      expect(relativeError(products[2](v), float64Product(system, undefined, tree)(v))).toBeLessThan(1e-14);
      // Each pair loop shares the positions, D, x and y with the workers, the tree its own arrays.
      for (const ids of seen) expect(ids.size).toBeGreaterThan(8);
      for (const product of products) product.release();
      expect(held).toHaveLength(2);
      for (const ids of held) expect(ids.size).toBe(0);
    } finally {
      pool.dispose();
    }
  });

  test('a float32 backend refines below 1e-6 only; the float64 CPU never does', () => {
    expect(refines({ name: 'gpu' }, 1e-10)).toBe(true); // with the tree too, against the float64 tree
    expect(refines({ name: 'gpu' }, 1e-6)).toBe(false);
    expect(refines({ name: 'cpu' }, 1e-10)).toBe(false);
  });
});

describe("an inner solve stalled on float32's floor", () => {
  /** The first iteration at which stallWatch says so, reports every `every` iterations; null if never. */
  const stallsAt = (residual: (k: number) => number, every: number, last = 800): number | null => {
    const stalled = stallWatch();
    for (let k = every; k <= last; k += every) if (stalled(k, residual(k))) return k;
    return null;
  };

  test('a plateau below kStallBelow: stalled once it has held kStallIterations, at either cadence', () => {
    // Falls tenfold every 8 iterations to a floor of 1e-6 at k = 48, then holds it. Within
    // kStallFactor = 1/2 of it, 2e-6, from k = 45.6: stalled 32 iterations later, at k = 78, or at the
    // next report every 8, k = 80.
    expect([kStallBelow, kStallIterations, kStallFactor]).toEqual([1e-4, 32, 0.5]);
    const plateau = (k: number) => Math.max(1e-6, 10 ** (-k / 8));
    expect(stallsAt(plateau, 1)).toBe(78);
    expect(stallsAt(plateau, 8)).toBe(80);
  });

  test('still falling by kStallFactor a window, or anywhere above kStallBelow: never', () => {
    const falling = (k: number) => kStallBelow * (0.99 * kStallFactor) ** (k / kStallIterations);
    expect(stallsAt(falling, 1)).toBeNull();
    expect(stallsAt(falling, 8)).toBeNull();
    expect(stallsAt(() => 2 * kStallBelow, 1)).toBeNull();
    // A rise near the floor (CG's residual is not monotone) ends a window only once it has held.
    const bump = (k: number) => (k < 100 ? 10 ** (-k / 20) : k < 110 ? 1e-3 : 10 ** (-k / 20));
    expect(stallsAt(bump, 1, 200)).toBeNull();
  });
});

describe('refinedVelocities on the float32 CPU mirror', () => {
  for (const { label, system } of [
    ...kSetups,
    { label: 'ring at cond(M) = 900', system: illConditionedRing },
  ]) {
    test(`${label}: 1e-10 in float64 from float32 solves, v within 1e-9 of float64's`, async () => {
      const v = velocityPattern(system, 'random', 5);
      const p = applyMassMatrix(massMatrix(system), v);
      const pCopy = Float64Array.from(p);
      const { product, residuals } = recordingProduct(system, p);
      const result = await refinedVelocities(cpuBackend(system, 'float32'), product, p, 'auto', {
        rtol: kTol,
      });
      expect(p).toEqual(pCopy);
      expect(result.reason).toBe('converged_rtol');
      expect(result.refinementSteps).toBeGreaterThanOrEqual(2);
      expect(result.refinementSteps).toBeLessThanOrEqual(kHandful);
      // The float64 residual of each step at most half the one before (kRefinementContraction),
      // from ||p|| down to the target.
      expect(residuals).toHaveLength(result.refinementSteps);
      [norm(p), ...residuals].slice(0, -1).forEach((before, k) => {
        expect(residuals[k]).toBeLessThanOrEqual(0.5 * before);
      });
      expect(residuals[residuals.length - 1]).toBeLessThanOrEqual(kTol * norm(p));
      expect(trueRelativeResidual64(system, p, result.x)).toBeLessThanOrEqual(kTol);
      expect(result.trueRelativeResidual).toBeCloseTo(trueRelativeResidual64(system, p, result.x), 12);
      expect(relativeError(result.x, v)).toBeLessThanOrEqual(kCheckTarget);
      expect(result.history[0]).toBe(norm(p));
      expect(result.history).toHaveLength(result.iterations + 1);
    });
  }

  test('a guess x0 starts the first correction: the same tolerance in fewer iterations', async () => {
    const { system } = kSetups[0];
    const v = velocityPattern(system, 'random', 5);
    const p = applyMassMatrix(massMatrix(system), v);
    const solve = (x0?: Float64Array) =>
      refinedVelocities(cpuBackend(system, 'float32'), float64Product(system), p, 'cg', { rtol: kTol, x0 });
    const cold = await solve();
    // v to three digits, as an earlier eps of a sweep leaves it.
    const guess = v.map((x, k) => x * (1 + 1e-3 * Math.sin(k)));
    const warm = await solve(guess);
    for (const result of [cold, warm]) {
      expect(result.reason).toBe('converged_rtol');
      expect(trueRelativeResidual64(system, p, result.x)).toBeLessThanOrEqual(kTol);
      expect(relativeError(result.x, v)).toBeLessThanOrEqual(kCheckTarget);
    }
    expect(warm.iterations).toBeLessThan(cold.iterations);
    expect(guess).toEqual(v.map((x, k) => x * (1 + 1e-3 * Math.sin(k))));
    // The history starts from the guess's own residual, in float64.
    expect(warm.history[0]).toBeCloseTo(trueRelativeResidual64(system, p, guess) * norm(p), 12);
    // A guess that meets the tolerance is the answer: no inner solve at all.
    const exact = await solve(cold.x);
    expect(exact).toMatchObject({ reason: 'converged_rtol', iterations: 0, refinementSteps: 0 });
    expect(exact.x).toEqual(cold.x);
  });

  test('a zero right-hand side returns at once; maxIterations 1 ends with diverged_max_it', async () => {
    const { system } = kSetups[0];
    const backend = cpuBackend(system, 'float32');
    const zero = await refinedVelocities(backend, float64Product(system), new Float64Array(120), 'cg', {
      rtol: kTol,
    });
    expect(zero).toMatchObject({ reason: 'converged_atol', refinementSteps: 0, iterations: 0 });
    expect(zero).toMatchObject({
      residualNorm: 0,
      relativeResidual: 0,
      trueResidualNorm: 0,
      trueRelativeResidual: 0,
    });
    const p = applyMassMatrix(massMatrix(system), velocityPattern(system, 'random', 5));
    const limited = await refinedVelocities(backend, float64Product(system), p, 'cg', {
      rtol: kTol,
      maxIterations: 1,
    });
    expect(limited).toMatchObject({ reason: 'diverged_max_it', converged: false, iterations: 1 });
    expect(limited.refinementSteps).toBe(1);
  });

  test("a Stop that drops a step's float64 product ends the run stopped, with the v whose residual it formed", async () => {
    const { system } = kSetups[0];
    const p = applyMassMatrix(massMatrix(system), velocityPattern(system, 'random', 5));
    const backend = cpuBackend(system, 'float32');
    // Each step's candidate and its residual, as the worker would answer them; the products after
    // `dropped` fail as a Stop fails the page's pending one (src/app/reference.ts withReference).
    const run = (dropped: number, failure: () => Error = () => new RunStopped()) => {
      const { product, residuals } = recordingProduct(system, p);
      const candidates: Float64Array[] = [];
      const result = refinedVelocities(
        backend,
        async (v) => {
          if (candidates.length === dropped) throw failure();
          candidates.push(Float64Array.from(v));
          return product(v);
        },
        p,
        'cg',
        { rtol: kTol },
      );
      return { result, candidates, residuals };
    };
    expect((await run(Infinity).result).refinementSteps).toBeGreaterThanOrEqual(2);
    // Dropped at step 1's product: v is step 0's, judged; at step 0's: v = 0, nothing judged.
    for (const dropped of [1, 0]) {
      const { result: pending, candidates, residuals } = run(dropped);
      const result = await pending;
      expect(result).toMatchObject({
        reason: 'diverged_max_it',
        converged: false,
        refinementSteps: dropped + 1,
      });
      const kept = dropped === 0 ? new Float64Array(p.length) : candidates[0];
      expect(result.x).toEqual(kept);
      expect(result.trueResidualNorm).toBe(dropped === 0 ? norm(p) : residuals[0]);
      expect(result.trueRelativeResidual).toBeCloseTo(trueRelativeResidual64(system, p, kept), 12);
      // Every inner iteration done is in the count and the history, the unjudged step's too.
      expect(result.iterations).toBeGreaterThan(0);
      expect(result.history).toHaveLength(result.iterations + 1);
    }
    // Any other failure of the product is the run's.
    await expect(run(1, () => new Error('worker failed')).result).rejects.toThrow('worker failed');
  });

  test('a Stop in a refined solve of given momenta keeps its v, without the energies whose eps T v it dropped', async () => {
    const { system } = kSetups[0];
    const p = applyMassMatrix(massMatrix(system), velocityPattern(system, 'random', 5));
    // float32 products as the GPU's, which refine below 1e-6.
    const backend = { ...cpuBackend(system, 'float32'), name: 'gpu' as const };
    // Stop comes once step 0's residual is formed: step 1's inner solve ends at its first iteration,
    // and the page's worker drops every product asked after it (src/app/reference.ts withReference).
    let stopped = false;
    const products = float64Products();
    const report = await runSolve(system, backend, {
      mode: 'velocities',
      given: p,
      pattern: null,
      seed: null,
      solver: 'cg',
      rtol: kTol,
      onIteration: () => !stopped,
      float64: (product64System, tree, part) => {
        const product = products(product64System, tree, part);
        return async (v) => {
          if (stopped) throw new RunStopped();
          const answer = await product(v);
          stopped = true;
          return answer;
        };
      },
    });
    expect(report.solve).toMatchObject({ reason: 'diverged_max_it', converged: false });
    expect(report.refinementSteps).toBe(2);
    // Step 0's v, judged by its float64 residual: no longer zero.
    expect(norm(report.velocities)).toBeGreaterThan(0);
    expect(report.solve!.trueRelativeResidual).toBeCloseTo(
      trueRelativeResidual64(system, p, report.velocities),
      12,
    );
    expect(report.energies).toBeNull();
    const context = { device: kCpuDevice, matrix: 'dense', radiusMetres: 1, timing: {} };
    expect(solveJson(system, report, context)).toMatchObject({ energies: null, inertia_ratio: null });
  });

  test('a NaN in p (float32 overflow) gives NaN residuals and diverged_nan, never the 0 of p = 0', async () => {
    const { system } = kSetups[0];
    const p = applyMassMatrix(massMatrix(system), velocityPattern(system, 'random', 5));
    p[7] = NaN;
    const result = await refinedVelocities(cpuBackend(system, 'float32'), float64Product(system), p, 'cg', {
      rtol: kTol,
    });
    expectNanSolve(result);
  });

  test("the near-singular ring: the inner MINRES's diverged_singular, and the residual never grows", async () => {
    const p = randomVector(kRingN, 5);
    const { product, residuals: candidates } = recordingProduct(singularRing, p);
    const result = await refinedVelocities(cpuBackend(singularRing, 'float32'), product, p, 'minres', {
      rtol: kTol,
    });
    // float32's MINRES finds M singular along the last residual (cond(M) u32 ~ 600), and that step
    // does not contract the float64 residual: its reason, not diverged_refinement, ends the run.
    expect(result.reason).toBe('diverged_singular');
    expect(result.converged).toBe(false);
    expect(result.refinementSteps).toBeLessThanOrEqual(kMaxRefinementSteps);
    expect(candidates).toHaveLength(result.refinementSteps);
    // Every step but the last halved the residual of the iterate kept before it (kept_0 = ||p||); the
    // last made it grow (float32's M is not even definite here), which ended the run.
    const kept = [norm(p)];
    for (const candidate of candidates) kept.push(Math.min(kept[kept.length - 1], candidate));
    candidates.slice(0, -1).forEach((candidate, k) => expect(candidate).toBeLessThanOrEqual(0.5 * kept[k]));
    expect(candidates[candidates.length - 1]).toBeGreaterThan(kept[kept.length - 2]);
    // The grown candidate is dropped: the answer is the last kept iterate, whose residual, recomputed
    // with the dense float64 M, is the smallest one seen.
    expect(result.trueResidualNorm).toBe(kept[kept.length - 1]);
    const recomputed = trueRelativeResidual64(singularRing, p, result.x) * norm(p);
    expect(Math.abs(recomputed - result.trueResidualNorm)).toBeLessThanOrEqual(1e-12 * norm(p));
    expect(result.trueRelativeResidual).toBeGreaterThan(kTol);
    expect(result.trueRelativeResidual).toBeLessThanOrEqual(1);
  });
});

describe('a refined solve of a singular M: the inner reason, not diverged_refinement', () => {
  // Two electrons at x = +-1 (2 R apart) at eps = 2: M's x-x block is [[1, 1], [1, 1]] in closed
  // form (test/solvers.test.ts), its y-y block [[1, 1/2], [1/2, 1]]. p's x-part (1, -1) lies along the
  // null vector: no v has a residual below ||(1, -1)|| / ||p|| = sqrt(2 / 2.29), and the CPU's float64
  // solve says diverged_singular too, so --device cpu is no remedy.
  const pair: DarwinSystem = {
    configuration: { n: 2, positions: Float64Array.from([1, 0, 0, -1, 0, 0]), source: 'pair' },
    model: 'vector',
    dim: 3,
    epsilon: 2,
    softening: 0,
  };
  const p = Float64Array.from([1, 0.5, 0, -1, 0.2, 0]);

  test.each(['auto', 'minres'] as const)('%s: diverged_singular, the y-part solved', async (solver) => {
    const result = await refinedVelocities(cpuBackend(pair, 'float32'), float64Product(pair), p, solver, {
      rtol: kTol,
    });
    expect(result).toMatchObject({ reason: 'diverged_singular', converged: false, refinementSteps: 1 });
    // CG (auto's first) overflowed on the null vector; MINRES took the step that solved the rest.
    if (solver === 'auto') expect(result.switchedFrom).toBe('cg');
    expect(result.trueRelativeResidual).toBeCloseTo(Math.sqrt(2 / 2.29), 6);
    expect(result.x[1]).toBeCloseTo(8 / 15, 6);
    expect(result.x[4]).toBeCloseTo(-1 / 15, 6);
    const float64 = await cpuBackend(pair).velocities(p, 'auto', { rtol: kTol });
    expect(float64.reason).toBe('diverged_singular');
  });
});

const gpu = gpuHarness(120_000);

describe("solveVelocities: the one choice between a refined solve and the backend's own", () => {
  const { system } = kSetups[0];
  const p = applyMassMatrix(massMatrix(system), velocityPattern(system, 'random', 5));
  // The float32 CPU mirror under a float32 backend's name, the name `refines` asks.
  const float32 = () => ({ ...cpuBackend(system, 'float32'), name: 'gpu' as const });

  test('below 1e-6 on a float32 backend: refinedVelocities, its float64 product made once', async () => {
    let made = 0;
    const product = () => {
      made++;
      return float64Product(system);
    };
    const { solve, refinementSteps } = await solveVelocities(float32(), product, p, 'cg', { rtol: kTol });
    const refined = await refinedVelocities(float32(), float64Product(system), p, 'cg', { rtol: kTol });
    expect(made).toBe(1);
    expect(solve).toEqual(refined);
    expect(refinementSteps).toBe(refined.refinementSteps);
    expect(refinementSteps).toBeGreaterThanOrEqual(2);
    expect(trueRelativeResidual64(system, p, solve.x)).toBeLessThanOrEqual(kTol);
  });

  test('at 1e-6, with no tolerance, or on the float64 CPU: the backend alone, no product made', async () => {
    const product = (): Float64Product => {
      throw new Error('a solve that does not refine made the float64 product');
    };
    const cases = [
      { backend: float32(), rtol: 1e-6 },
      { backend: float32(), rtol: undefined },
      { backend: cpuBackend(system), rtol: kTol },
    ];
    for (const { backend, rtol } of cases) {
      const { solve, refinementSteps } = await solveVelocities(backend, product, p, 'cg', { rtol });
      expect(refinementSteps).toBe(0);
      expect(solve.converged).toBe(true);
      expect(solve).toEqual(await backend.velocities(p, 'cg', { rtol }));
    }
  });
});

describe('refinement on the GPU (float32 inner solves), checked against the float64 solve', () => {
  const cases = [
    ...kSetups.map(({ label, system }) => ({ label, system, solver: 'auto' as const })),
    { label: 'ring at cond(M) = 900', system: illConditionedRing, solver: 'auto' as const },
    { label: 'indefinite ring (CG switches to MINRES)', system: indefiniteRing, solver: 'auto' as const },
  ];
  for (const { label, system, solver } of cases) {
    gpu.test(`${label}: --tol 1e-10 gives 1e-10 in float64 and check <= 1e-9`, async (context, cleanup) => {
      const backend = await gpuBackend(context, system);
      cleanup(() => backend.dispose());
      const request = roundTrip(system, kTol, solver);
      const report = await runSolve(system, backend, request, cpuBackend(system));
      expect(report.solve!.reason).toBe('converged_rtol');
      expect(report.refinementSteps).toBeGreaterThanOrEqual(2);
      expect(report.refinementSteps).toBeLessThanOrEqual(kHandful);
      expect(trueRelativeResidual64(system, report.momenta, report.velocities)).toBeLessThanOrEqual(kTol);
      // The momenta come from the float64 product too: p = M v to float64's rounding.
      expect(report.check!.momenta!).toBeLessThanOrEqual(1e-14);
      expect(report.check!.velocities!).toBeLessThanOrEqual(kCheckTarget);
      expect(report.roundTripError!).toBeLessThanOrEqual(kCheckTarget);
      if (system === indefiniteRing) {
        expect(report.solve).toMatchObject({ solver: 'minres', switchedFrom: 'cg' });
      }
      const json = solveJson(system, report, {
        device: kCpuDevice,
        matrix: backend.matrix,
        radiusMetres: 1,
        timing: {},
      });
      expect(json.refinement_steps).toBe(report.refinementSteps);
      expect(json.true_relative_residual).toBe(report.solve!.trueRelativeResidual);
      const check = json.check as { max_relative_error: number; targets: Record<string, number> };
      // Held to its float64 residual (the dense check's M), the velocities' error given beside it.
      expect(check.targets).toEqual({ momenta: 1e-12, residual: 10 * kTol, interaction: 1e-12 });
      expect(report.check!.residual).toBe(report.solve!.trueRelativeResidual);
      expect(check.max_relative_error).toBeLessThanOrEqual(kCheckTarget);
    });
  }

  gpu.test(
    "the near-singular ring on MINRES: the inner solve's diverged_singular, not converged",
    async (context, cleanup) => {
      const backend = await gpuBackend(context, singularRing);
      cleanup(() => backend.dispose());
      // Random momenta: v = M^-1 p then has a component ~1e9 along the near-null mode, which no
      // float32 solve resolves (a round trip's p = M v hides that mode from the residual).
      const report = await runSolve(singularRing, backend, {
        mode: 'velocities',
        given: randomVector(kRingN, 5),
        pattern: null,
        seed: null,
        solver: 'minres',
        rtol: kTol,
      });
      expect(report.solve).toMatchObject({ reason: 'diverged_singular', converged: false });
      expect(report.refinementSteps).toBeGreaterThanOrEqual(1);
      expect(report.solve!.trueRelativeResidual).toBeGreaterThan(kTol);
      const json = solveJson(singularRing, report, {
        device: kCpuDevice,
        matrix: 'dense',
        radiusMetres: 1,
        timing: {},
      });
      expect(json).toMatchObject({ reason: 'diverged_singular', converged: false });
    },
  );

  gpu.test('the float64 products on threads: the same refined solve', async (context, cleanup) => {
    const { system } = kSetups[0];
    const backend = await gpuBackend(context, system);
    const pool = nodeWorkerPool(3, kCpuKernels);
    cleanup(() => {
      backend.dispose();
      pool.dispose();
    });
    const request = roundTrip(system, kTol);
    const single = await runSolve(system, backend, request);
    let asked = 0;
    const threaded = await runSolve(system, backend, {
      ...request,
      float64: float64Products(() => (asked++, pool)),
    });
    expect(asked).toBe(1);
    expect(threaded.refinementSteps).toBe(single.refinementSteps);
    expect(threaded.momenta).toEqual(single.momenta);
    expect(threaded.velocities).toEqual(single.velocities);
  });

  gpu.test(
    "the float64 products from a worker (the page's): the same refined solve",
    async (context, cleanup) => {
      const { system } = kSetups[0];
      const backend = await gpuBackend(context, system);
      cleanup(() => backend.dispose());
      const request = roundTrip(system, kTol);
      const local = await runSolve(system, backend, request);
      const { reference, sent } = inProcessReference();
      const answered = await runSolve(system, backend, { ...request, float64: reference.products() });
      // One product made (one key) for the momenta and every step's residual.
      expect(new Set(sent.map((asked) => ('key' in asked ? asked.key : null))).size).toBe(1);
      expect(sent).toHaveLength(local.refinementSteps + 1);
      expect(answered.refinementSteps).toBe(local.refinementSteps);
      expect(answered.momenta).toEqual(local.momenta);
      expect(answered.velocities).toEqual(local.velocities);
    },
  );

  gpu.test(
    '--tol 1e-6 and above: no refinement, the GPU solve and product as before',
    async (context, cleanup) => {
      const { system } = kSetups[0];
      const backend = await gpuBackend(context, system);
      cleanup(() => backend.dispose());
      const request = {
        ...roundTrip(system, 1e-6),
        float64: () => expect.fail('no float64 product without refining'),
      };
      const report = await runSolve(system, backend, request, cpuBackend(system));
      expect(report.refinementSteps).toBe(0);
      // Float32's of 40 terms a row, 3 sqrt(40) 2^-24 = 1.13e-6, past rtol 1e-6 in the residual's.
      const rounding = 3 * Math.sqrt(40) * 2 ** -24;
      expect(report.checkTargets).toEqual({
        momenta: rounding,
        velocities: 10 * rounding,
        residual: 10 * rounding,
        interaction: 1e-5,
      });
      const momenta = await backend.momenta(request.given);
      expect(report.momenta).toEqual(momenta);
      const direct = await backend.velocities(momenta, 'auto', { rtol: 1e-6 });
      expect(report.solve!.x).toEqual(direct.x);
      expect(report.solve!.iterations).toBe(direct.iterations);
      const json = solveJson(system, report, {
        device: kCpuDevice,
        matrix: 'dense',
        radiusMetres: 1,
        timing: {},
      });
      expect(json.refinement_steps).toBe(0);
    },
  );
});

describe("the GPU's tree refines against its own lists in float64", () => {
  // A ring of 1000 at tree tolerance 1e-3: the tree takes M2L, so its product differs from M's by
  // far more than the 1e-10 asked, and the answer shows whose it is. eps = 1e-4 keeps cond(M) near
  // 1.3 (lambda of T from about -0.22 N to (N/pi)(ln N + C)). The float64 tree the refinement sums
  // is built as the GPU's was (TreeBuild: its leaves and M2L price), so it has the GPU tree's lists.
  const system: DarwinSystem = {
    configuration: geometry('ring', 1000),
    model: 'vector',
    dim: 3,
    epsilon: 1e-4,
    softening: 0,
  };
  const tolerance = 1e-3;
  // Leaves of 64 (the CPU product's), not the device's 128 or 256, for M2L at these sizes.
  const leaves = { matrix: 'tree', treeTolerance: tolerance, tree: { leafSize: 64 } } as const;

  gpu.test(
    "a solve to 1e-10: the float64 tree's solution, within the tree's tolerance of M's",
    async (context, cleanup) => {
      const backend = await gpuBackend(context, system, leaves);
      const { leafSize, translationCost } = backend.tree!;
      const cpuTree = cpuTreeBackend(system, { tolerance, leafSize, translationCost });
      cleanup(() => {
        backend.dispose();
        cpuTree.dispose();
      });
      expect(cpuTree.tree.translations).toBeGreaterThan(0);
      expect(cpuTree.tree).toMatchObject({
        leaves: backend.tree!.leaves,
        directPairs: backend.tree!.directPairs,
        translations: backend.tree!.translations,
      });
      const report = await runSolve(system, backend, roundTrip(system, kTol), cpuBackend(system));
      expect(report.solve!.reason).toBe('converged_rtol');
      expect(report.refinementSteps).toBeGreaterThanOrEqual(1);
      expect(report.refinementSteps).toBeLessThanOrEqual(kHandful);
      // p = M~ v given, and ||p - M~ v solved|| <= 1e-10 ||p||, both with the float64 tree's product.
      const given = roundTrip(system, kTol).given;
      expect(relativeError(report.momenta, await cpuTree.momenta(given))).toBeLessThanOrEqual(1e-14);
      expect(relativeError(await cpuTree.momenta(report.velocities), report.momenta)).toBeLessThanOrEqual(
        kTol,
      );
      expect(report.solve!.trueRelativeResidual).toBeLessThanOrEqual(kTol);
      const treeSolve = await cpuTree.velocities(report.momenta, 'cg', { rtol: 1e-13 });
      expect(relativeError(report.velocities, treeSolve.x)).toBeLessThanOrEqual(kCheckTarget);
      // Against M's own float64 solve: the tree's error, far above the solve's, within its target.
      expect(report.checkTargets).toEqual({
        momenta: tolerance,
        velocities: 10 * tolerance,
        residual: 10 * tolerance,
        interaction: tolerance,
      });
      expect(report.check!.velocities!).toBeGreaterThan(1e3 * kTol);
      expect(report.check!.velocities!).toBeLessThanOrEqual(10 * tolerance);
    },
  );

  gpu.test("a spectrum to 1e-10: the float64 tree's extreme eigenvalues", async (context, cleanup) => {
    // A sphere, whose extremes Lanczos finds in some 80 products (the ring's bottom cluster takes
    // over a thousand), of 3000, where the tree takes M2L.
    const sphere: DarwinSystem = { ...system, configuration: geometry('sphere', 3000), epsilon: 1e-3 };
    const backend = await gpuBackend(context, sphere, leaves);
    const { leafSize, translationCost } = backend.tree!;
    const cpuTree = cpuTreeBackend(sphere, { tolerance, leafSize, translationCost });
    cleanup(() => {
      backend.dispose();
      cpuTree.dispose();
    });
    expect(cpuTree.tree.translations).toBeGreaterThan(0);
    // 9 000 unknowns: checked as the CLI and the app check it, on sampled rows of the direct sum.
    const sampled = sampledRows(sphere);
    const report = await runSpectrum(sphere, backend, { tol: kTol, seed: 1 }, sampled);
    expect(report.refinement).not.toBeNull();
    // The float32 Ritz vectors' residuals against the direct sum, on the sample, beside the refinement's
    // against the same tree in float64 over all unknowns: the vectors are that tree's, so the tree's
    // error is in the first alone, which stays within the target 10 max(tol, tree tolerance).
    const check = sampledSpectrumCheck(report);
    const scale = report.spectrum.lambdaMax;
    for (const [sampledResidual, treeResidual] of [
      [check.residualMin, report.refinement!.residualMin],
      [check.residualMax, report.refinement!.residualMax],
    ]) {
      expect(treeResidual).toBeLessThan((sampledResidual * scale) / 3);
      expect(sampledResidual).toBeLessThanOrEqual(report.checkTargets.residual);
    }
    expect(report.checkTargets.residual).toBe(10 * tolerance);
    const exact = await cpuTree.spectrum({ tol: 1e-12, seed: 2 });
    // A Rayleigh quotient is good to the square of its vector's error over the gap to the next
    // eigenvalue, and an eigenvalue lies within its residual whatever the gap.
    for (const end of ['lambdaMin', 'lambdaMax'] as const) {
      const residual = report.refinement![end === 'lambdaMin' ? 'residualMin' : 'residualMax'];
      expect(Math.abs(report.spectrum[end] - exact[end]), end).toBeLessThanOrEqual(residual);
    }
    // The isolated top to 1e-8, far inside its residual's linear bound (~1e-6): the Ritz vector is the
    // float32 GPU tree's, the quotient the same tree's in float64.
    expect(Math.abs(report.spectrum.lambdaMax - exact.lambdaMax) / exact.lambdaMax).toBeLessThanOrEqual(1e-8);
    expect(report.checkTargets.eigenvalues).toBe(tolerance);
  });
});
