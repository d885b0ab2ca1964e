// The CPU backend with the fast multipole tree as M's product (--device cpu --matrix tree): its solves
// and spectra against the dense float64 reference to the tree's tolerance, setEpsilon keeping the
// tree, the storage 'auto' picks, the check policy and memory refusal, and the `tree` JSON.
import { describe, expect, test } from 'vitest';
import { kCpuDevice } from '../src/io/formats.ts';
import { geometry, type GeometryName } from '../src/physics/geometry.ts';
import { unknowns, type DarwinSystem, type Dimension, type ModelName } from '../src/physics/models.ts';
import { relativeError } from '../src/physics/observables.ts';
import {
  allocatedArrays,
  buildTree,
  buildTreeGeometry,
  kTreeWorkShare,
  treeDetails,
} from '../src/physics/tree-build.ts';
import { InputError } from '../src/physics/input-error.ts';
import { velocityPattern } from '../src/physics/velocities.ts';
import {
  checkCpuFits,
  chooseCpuStorage,
  cpuBackend,
  cpuTreeBackend,
  cpuTreeBackendBytes,
  kCpuTreeMinUnknowns,
  treeBytesPerElectron,
  treeWorkWarning,
} from '../src/run/backend.ts';
import {
  backendCheckTargets,
  checkDecision,
  eigenvalueErrors,
  kCheckMaxUnknowns,
  solveCheckTargets,
  treeCheckTargets,
} from '../src/run/check.ts';
import { solveJson, spectrumJson } from '../src/run/report.ts';
import { runSolve } from '../src/run/solve.ts';
import { runSpectrum } from '../src/run/spectrum.ts';
import { denseSpectrumCheck } from './helpers/reference.ts';

function system(
  name: GeometryName,
  n: number,
  model: ModelName,
  dim: Dimension,
  nEpsilon: number,
): DarwinSystem {
  return { configuration: geometry(name, n), model, dim, epsilon: nEpsilon / n, softening: 0 };
}

/**
 * Small leaves and every M2L the acceptance rule allows (translationCost 0): at these N the default
 * cost rule would sum a ball directly, and the test would not see the expansions.
 */
const kExpansions = { leafSize: 16, translationCost: 0 } as const;

/** Name, system, and the N of the spectrum's test: Lanczos's lambda_min of a ring of 1000 takes thousands of products. */
const cases = [
  ['ball, vector 3D', system('ball', 800, 'vector', 3, 3), 600],
  ['ring, azimuthal', system('ring', 1000, 'azimuthal', 3, 1), 300],
  ['disk, vector 2D', system('disk', 800, 'vector', 2, 3), 400],
] as const;

describe.each(cases)('%s: the tree backend against the dense float64 one', (_name, s, spectrumN) => {
  test.each([1e-3, 1e-5])('solve to tolerance %s', async (tolerance) => {
    const tree = cpuTreeBackend(s, { tolerance, ...kExpansions });
    expect(tree.tree.translations).toBeGreaterThan(0);
    const request = {
      mode: 'round_trip',
      given: velocityPattern(s, 'random', 3),
      pattern: 'random',
      seed: 3,
      solver: 'cg',
      rtol: 1e-10,
    } as const;
    const got = await runSolve(s, tree, request, cpuBackend(s));
    const exact = await runSolve(s, cpuBackend(s), request);
    expect(got.solve!.converged).toBe(true);
    const momenta = relativeError(got.momenta, exact.momenta);
    const velocities = relativeError(got.solve!.x, exact.solve!.x);
    // The tree's error is there (not a direct sum in disguise) and within its tolerance.
    expect(momenta).toBeGreaterThan(1e-12);
    expect(momenta).toBeLessThanOrEqual(tolerance);
    expect(velocities).toBeLessThanOrEqual(10 * tolerance);
    // The run's own check is the dense reference's, held to treeCheckTargets.
    expect(got.check!.momenta).toBeCloseTo(momenta, 12);
    expect(got.checkTargets).toEqual({
      momenta: tolerance,
      velocities: 10 * tolerance,
      residual: 10 * tolerance,
      interaction: tolerance,
    });
    tree.dispose();
  });

  test('spectrum extremes within the tolerance of the largest |lambda|', async () => {
    const small = { ...s, configuration: geometry(s.configuration.source as GeometryName, spectrumN) };
    const tolerance = 1e-5;
    const tree = cpuTreeBackend(small, { tolerance, ...kExpansions });
    expect(tree.tree.translations).toBeGreaterThan(0);
    const request = { tol: 1e-9, seed: 1 };
    const got = await runSpectrum(small, tree, request, cpuBackend(small));
    const exact = await runSpectrum(small, cpuBackend(small), request);
    expect(got.spectrum.lanczos.converged).toBe(true);
    const errors = eigenvalueErrors(got.spectrum, exact.spectrum);
    expect(Math.max(errors.lambdaMin, errors.lambdaMax)).toBeLessThanOrEqual(tolerance);
    // The run's own check (its reference to Lanczos tol 1e-10) says the same.
    const check = denseSpectrumCheck(got);
    expect(Math.max(check.lambdaMin, check.lambdaMax)).toBeLessThanOrEqual(tolerance);
    expect(got.checkTargets.eigenvalues).toBe(tolerance);
  });
});

test('setEpsilon keeps the tree: the products equal a fresh tree backend at the new eps', async () => {
  const s = system('ball', 600, 'vector', 3, 1);
  const v = velocityPattern(s, 'random', 5);
  const backend = cpuTreeBackend(s, kExpansions);
  await backend.momenta(v);
  backend.setEpsilon(30 / 600);
  expect(backend.system.epsilon).toBe(30 / 600);
  const fresh = cpuTreeBackend({ ...s, epsilon: 30 / 600 }, kExpansions);
  expect(await backend.momenta(v)).toEqual(await fresh.momenta(v));
  expect(backend.tree).toEqual(fresh.tree);
});

describe('a softening that defeats the tree', () => {
  // A ring of 600 in leaves of 64: 35% of the pairs' work without a softening. At a = 0.05 and the
  // default tolerance node pairs closer than a / sqrt(2e-5) = 11.2 R, the whole ring, are summed directly.
  const ring = (softening: number) => ({ ...system('ring', 600, 'vector', 3, 1), softening });
  const pairs = 600 * 599;
  const bare = buildTreeGeometry(ring(0));
  const softened = buildTreeGeometry(ring(0.05));

  test('the pairs the softening sums directly are those the tree of a = 0 takes by M2L', () => {
    expect(bare.softenedPairs).toBe(0);
    expect(bare.counts.translations).toBeGreaterThan(0);
    expect(treeDetails(bare).workShare).toBeLessThan(0.5);
    expect(softened.counts).toEqual({ directPairs: pairs, translations: 0 });
    expect(softened.counts.directPairs - softened.softenedPairs).toBe(bare.counts.directPairs);
    expect(treeDetails(softened)).toMatchObject({ workShare: 1, softeningDistance: 0.05 / Math.sqrt(2e-5) });
    // 'auto' on the GPU, which builds it with kTreeWorkShare, goes matrix-free; the bare ring's tree
    // is built alike.
    expect(() => buildTreeGeometry(ring(0.05), { maxWorkShare: kTreeWorkShare })).toThrow(
      new InputError(
        "the tree of 600 electrons would cost more than 50% of the matrix-free product's pairs; use --matrix free",
        'matrix',
      ),
    );
    expect(buildTreeGeometry(ring(0), { maxWorkShare: kTreeWorkShare }).counts).toEqual(bare.counts);
  });

  test("node pairs a = 0 sums directly, fewer pairs than their two M2L cost, are none of the softening's", () => {
    // In leaves of 16 the default cost sums node pairs the angle accepts directly, at a = 0 too.
    const leaves = { leafSize: 16 };
    const bareLeaves = buildTreeGeometry(ring(0), leaves);
    // a = 0.001 changes no list: no pair is summed directly because of it.
    const slight = buildTreeGeometry(ring(0.001), leaves);
    expect(slight.counts).toEqual(bareLeaves.counts);
    expect(slight.softenedPairs).toBe(0);
    const more = buildTreeGeometry(ring(0.005), leaves);
    expect(more.counts.directPairs).toBeGreaterThan(bareLeaves.counts.directPairs);
    expect(more.counts.directPairs - more.softenedPairs).toBe(bareLeaves.counts.directPairs);
    // M2L dearer than any node pair's direct sum: a = 0 sums the whole ring directly, and so does a = 0.05,
    // for the configuration, not the softening.
    const dear = { translationCost: 2000 };
    expect(buildTreeGeometry(ring(0), dear).counts).toEqual({ directPairs: pairs, translations: 0 });
    const dearSoftened = buildTreeGeometry(ring(0.05), dear);
    expect(dearSoftened.softenedPairs).toBe(0);
    expect(
      treeWorkWarning({ name: 'cpu', system: dearSoftened.system, tree: treeDetails(dearSoftened) }),
    ).toMatch(/^warning: the tree sums 100% of the pairs directly .* because of the configuration: /);
  });

  test('--matrix tree: one warning naming the cause and the faster product', () => {
    const warning = (tree: typeof bare, name: 'cpu' | 'gpu' = 'cpu') =>
      treeWorkWarning({ name, system: tree.system, tree: treeDetails(tree) });
    expect(warning(bare)).toBeNull();
    const share = Math.round((100 * softened.softenedPairs) / pairs);
    const head =
      "warning: the tree sums 100% of the pairs directly (its product costs 100% of the matrix-free product's " +
      'N (N - 1) pairs) because of the softening: node pairs closer than a / sqrt(2 tol) = 11.2 R are ' +
      `summed directly (${share}% of the pairs): `;
    expect(warning(softened)).toBe(`${head}the dense M (--matrix dense) is faster`);
    expect(warning(softened, 'gpu')).toBe(`${head}--matrix free is as fast and holds only the positions`);
    // A ball of 600 has no nodes far enough apart at any softening.
    const ball = buildTreeGeometry(system('ball', 600, 'vector', 3, 1));
    expect(ball.softenedPairs).toBe(0);
    expect(warning(ball)).toMatch(
      /^warning: the tree sums 100% of the pairs directly .* because of the configuration: /,
    );
  });
});

describe('the CPU storage of --matrix', () => {
  const small = system('ball', 1000, 'vector', 3, 1);
  const large = system('ball', Math.ceil(kCpuTreeMinUnknowns / 3), 'vector', 3, 1);
  const plenty = { source: 'the test', availableBytes: (): number => 1e12 };
  test.each([
    ['tree', small, plenty, 'tree'],
    ['dense', large, plenty, 'dense'],
    // The CPU has no matrix-free product: free is its dense M, as before --matrix tree.
    ['free', large, plenty, 'dense'],
    ['auto', small, plenty, 'dense'],
    ['auto', large, plenty, 'tree'],
    // Dense past the memory: the tree rather than a refusal.
    ['auto', small, { source: 'the test', availableBytes: (): number => 1e6 }, 'tree'],
  ] as const)('%s at %#', (matrix, s, memory, storage) => {
    expect(chooseCpuStorage(s, matrix, memory)).toBe(storage);
  });
  test('auto takes the tree from kCpuTreeMinUnknowns unknowns', () => {
    const below = system('ball', Math.ceil(kCpuTreeMinUnknowns / 3) - 1, 'vector', 3, 1);
    expect(chooseCpuStorage(below, 'auto', plenty)).toBe('dense');
  });
});

test('the check policy: the tree is checked like the GPU, the dense CPU M is the reference', () => {
  const s = system('sphere', 100, 'vector', 3, 1);
  const large = system('sphere', kCheckMaxUnknowns / 3 + 1, 'vector', 3, 1);
  expect(checkDecision(s, 'cpu', undefined, 'tree')).toBe('on');
  expect(checkDecision(s, 'cpu', false, 'tree')).toBe('off');
  expect(checkDecision(large, 'cpu', undefined, 'tree')).toBe('sampled');
  expect(checkDecision(large, 'cpu', true, 'tree')).toBe('on');
  expect(checkDecision(s, 'cpu', true, 'dense')).toBe('cpu');
});

test("the check's targets: float32's, the CPU tree's, the larger of each for a GPU tree", () => {
  const float32 = (terms: number) => solveCheckTargets(false, 1e-6, terms);
  const tree = (t: number) => treeCheckTargets(t, 1e-6);
  const details = cpuTreeBackend(system('ring', 32, 'azimuthal', 3, 1), { tolerance: 1e-7 }).tree!;
  // Without a tree float32's of N terms a row: 3 sqrt(100) 2^-24 = 1.8e-6 on the momenta.
  expect(backendCheckTargets({ name: 'gpu' }, 100, float32, tree)).toEqual({
    momenta: 3 * 10 * 2 ** -24,
    velocities: 10 * (3 * 10 * 2 ** -24),
    interaction: 1e-5,
  });
  expect(backendCheckTargets({ name: 'cpu', tree: details }, 32, float32, tree)).toEqual({
    momenta: 1e-7,
    velocities: 10 * 1e-6,
    interaction: 1e-7,
  });
  // Every pair of 32 direct, 31 a row: float32's floors, its 1e-6 on the momenta above a tree of
  // 1e-7; the tree's 1e-3 above float32's 1e-5.
  expect(details.directPairs).toBe(32 * 31);
  expect(backendCheckTargets({ name: 'gpu', tree: details }, 32, float32, tree)).toEqual({
    momenta: 1e-6,
    velocities: 1e-5,
    interaction: 1e-5,
  });
  const coarse = { ...details, tolerance: 1e-3 };
  expect(backendCheckTargets({ name: 'gpu', tree: coarse }, 32, float32, tree)).toEqual({
    momenta: 1e-3,
    velocities: 1e-2,
    interaction: 1e-3,
  });
  // At 10^6 electrons float32's of the near field's rows, 4e4 pairs each (3.6e-5), past the tree's
  // 1e-5, where N terms would give 1.8e-4.
  const million = { ...details, tolerance: 1e-5, directPairs: 4e10 };
  expect(backendCheckTargets({ name: 'gpu', tree: million }, 1e6, float32, tree)).toEqual({
    momenta: 3 * 200 * 2 ** -24,
    velocities: 10 * (3 * 200 * 2 ** -24),
    interaction: 3 * 200 * 2 ** -24,
  });
});

describe('memory', () => {
  test("the estimate covers the tree's arrays at the tolerances it is asked", () => {
    const s = system('ball', 5000, 'vector', 3, 1);
    for (const tolerance of [1e-3, 1e-5, 1e-7]) {
      const tree = buildTree(s, { tolerance });
      const arrays = new Set([
        tree.electron,
        tree.positions,
        tree.nodeStart,
        tree.nodeEnd,
        tree.boxMin,
        tree.boxMax,
        tree.centre,
        tree.radius,
        tree.diagonal,
        ...Object.values(tree.lists),
        // The product's workspace and the packed tables its kernels read (buildTree's allocator).
        ...allocatedArrays(tree),
      ]);
      const bytes = [...arrays].reduce((sum, a) => sum + a.byteLength, 0);
      const estimate = treeBytesPerElectron(tolerance) * s.configuration.n;
      expect(estimate).toBeGreaterThanOrEqual(bytes);
      expect(estimate).toBeLessThan(1.5 * bytes);
    }
  });
  test('past the memory: one InputError naming the tree', () => {
    const s = system('ball', 100_000, 'vector', 3, 1);
    const budget = { source: 'the test budget', availableBytes: () => 1e8 };
    expect(() => checkCpuFits(s, budget, { tolerance: 1e-5 })).toThrow(
      /^--device cpu --matrix tree needs \d+\.\d+ GB for the tree and the solvers' vectors, more than the 0\.100 GB of the test budget$/,
    );
    expect(cpuTreeBackendBytes(s)).toBeLessThan(1e-3 * 8 * unknowns(s) ** 2);
  });
});

test('the JSON: matrix "tree" and "tree" after it, in solve and spectrum; absent for the dense M', async () => {
  const s = system('ring', 64, 'azimuthal', 3, 1);
  const backend = cpuTreeBackend(s, { tolerance: 1e-4 });
  const context = { device: kCpuDevice, matrix: 'tree', tree: backend.tree, radiusMetres: 1, timing: {} };
  const report = await runSolve(s, backend, {
    mode: 'momenta',
    given: velocityPattern(s, 'rigid', 1),
    pattern: 'rigid',
    seed: null,
    solver: 'cg',
    rtol: 1e-8,
  });
  const solve = solveJson(s, report, context);
  expect(Object.keys(solve).slice(3, 6)).toEqual(['device', 'matrix', 'tree']);
  expect(solve.tree).toEqual({
    tolerance: 1e-4,
    order: backend.tree.order,
    theta: backend.tree.theta,
    leaves: backend.tree.leaves,
    direct_pairs: backend.tree.directPairs,
    translations: backend.tree.translations,
  });
  expect(backend.tree.order).toBeGreaterThan(1);
  expect(backend.tree.leaves).toBe(1);
  expect(backend.tree.directPairs).toBe(64 * 63);
  const spectrum = spectrumJson(await runSpectrum(s, backend, { tol: 1e-8, seed: 1 }), context);
  expect(Object.keys(spectrum).slice(2, 5)).toEqual(['device', 'matrix', 'tree']);
  expect('tree' in solveJson(s, report, { ...context, matrix: null, tree: undefined })).toBe(false);
});
