// The fast multipole product on the GPU (src/kernels/tree.ts, shaders/tree.wgsl) against the float64
// direct product (models.ts applyMassMatrixFree), on SwiftShader through test/helpers/gpu.ts. The
// trees are forced to use their expansions (translationCost 0, small leaves): the GPU defaults sum
// configurations this small directly.
import { describe, expect, test } from 'vitest';
import { createBuffer, createVector } from '../src/gpu/buffers.ts';
import type { GpuContext } from '../src/gpu/device.ts';
import { readFloat32 } from '../src/gpu/readback.ts';
import { kShaderSources } from '../src/gpu/shaders.ts';
import { autoStorage, chooseMatrixStorage, gpuBackend, treeAllocation } from '../src/engine/backend.ts';
import { statusCode } from '../src/kernels/krylov.ts';
import { kDefaultCheckEvery } from '../src/engine/krylov.ts';
import {
  gpuTreeGeometry,
  GpuTreeMassMatrix,
  kBlockedThreads,
  kPowers,
  m2lNodeOrder,
  packTreeTables,
  splitIntoPieces,
  storageBytes,
  targetBlocksOf,
  treeBytes,
  treeStages,
  treeStorageBuffers,
  type GpuTreeOptions,
} from '../src/kernels/tree.ts';
import {
  kCpuTreeLeaves,
  kGpuTreeLeaves,
  kMatvecFreeVariants,
  kTreeCrossover,
  kTreeProductCrossover,
  kTreeSpectrumCrossover,
} from '../src/gpu/profile.ts';
import { geometry, type Configuration } from '../src/physics/geometry.ts';
import {
  applyMassMatrixFree,
  unknowns,
  type DarwinSystem,
  type Dimension,
  type ModelName,
} from '../src/physics/models.ts';
import { InputError } from '../src/physics/input-error.ts';
import {
  buildTree,
  kDefaultTreeTolerance,
  kTreeWorkShare,
  treeProductWork,
} from '../src/physics/tree-build.ts';
import { treeProduct } from '../src/physics/treecode.ts';
import { clustered } from './helpers/configurations.ts';
import { norm, randomVector } from './helpers/compare.ts';
import { gpuHarness } from './helpers/gpu.ts';

const gpu = gpuHarness(120_000);

function system(
  configuration: Configuration,
  model: ModelName,
  dim: Dimension,
  softening = 0,
  epsilon = 0.7,
): DarwinSystem {
  return { configuration, model, dim, epsilon, softening };
}

/** Every M2L the acceptance rule allows, in leaves of 16: the expansions do the far field. */
const kForced: GpuTreeOptions = { translationCost: 0, leafSize: 16 };

/**
 * y = M x by `operator`, read back; `guard` as MatvecOptions.guard. `inPieces`: recordPiece piece by
 * piece, a command buffer each, as a Krylov solve submits a long product; else record(), one pass.
 */
async function product(
  context: GpuContext,
  operator: GpuTreeMassMatrix,
  x: Float64Array,
  guard?: GPUBuffer,
  initial = 0,
  inPieces = false,
): Promise<Float64Array> {
  const { device } = context;
  const xBuffer = createVector(device, 'Test.x', x);
  const yBuffer = createVector(device, 'Test.y', new Float64Array(x.length).fill(initial));
  try {
    if (inPieces) {
      for (let piece = 0; piece < operator.pieces; piece++) {
        const encoder = device.createCommandEncoder({ label: `Test.piece[${piece}]` });
        operator.recordPiece(encoder, xBuffer, yBuffer, piece, { guard });
        device.queue.submit([encoder.finish()]);
      }
    } else {
      const encoder = device.createCommandEncoder({ label: 'Test.encoder' });
      operator.record(encoder, xBuffer, yBuffer, { guard });
      device.queue.submit([encoder.finish()]);
    }
    return Float64Array.from(await readFloat32(device, yBuffer, x.length));
  } finally {
    xBuffer.destroy();
    yBuffer.destroy();
  }
}

/**
 * ||got - M x|| / ||eps T x||, M x by the float64 direct sum: the error of the interaction, the
 * only part the tree approximates (D x is exact in both).
 */
function interactionError(system: DarwinSystem, x: Float64Array, got: ArrayLike<number>): number {
  const expected = applyMassMatrixFree(system, x);
  const diagonal = applyMassMatrixFree({ ...system, epsilon: 0 }, x);
  const difference = Array.from(expected, (e, k) => got[k] - e);
  const interaction = Array.from(expected, (e, k) => e - diagonal[k]);
  return norm(difference) / norm(interaction);
}

interface ProductCase {
  readonly name: string;
  readonly system: () => DarwinSystem;
  readonly options: GpuTreeOptions;
  /** Whether the far field must take part: false where a tree this small is all direct. */
  readonly far: boolean;
}

const kProductCases: readonly ProductCase[] = [
  {
    name: 'ball, vector 3D',
    system: () => system(geometry('ball', 700), 'vector', 3),
    options: kForced,
    far: true,
  },
  {
    name: 'cube lattice',
    system: () => system(geometry('cube', 729), 'vector', 3),
    options: kForced,
    far: true,
  },
  {
    name: 'sphere surface, softened',
    system: () => system(geometry('sphere', 700), 'vector', 3, 0.001),
    options: kForced,
    far: true,
  },
  {
    name: 'clustered lump beside sparse electrons',
    system: () => system(clustered(700, false), 'vector', 3),
    options: kForced,
    far: true,
  },
  {
    // The box's centre, 500 R from all but one electron, was the float32 frame's origin: momenta
    // 1.1e-4 off (the lump's r_ij resolved to 2^-24 500 R); the median electron keeps the lump's.
    name: 'a lump with one electron 1000 R off',
    system: () => {
      const lump = geometry('ball', 600).positions.map((x) => x / 2);
      const positions = Float64Array.of(...lump, 1000, 0, 0);
      return system({ n: 601, positions, source: 'lump and outlier' }, 'vector', 3, 0, 0.01);
    },
    options: kForced,
    far: true,
  },
  {
    name: 'disk, vector 2D (planar M2L)',
    system: () => system(geometry('disk', 700), 'vector', 2),
    options: kForced,
    far: true,
  },
  {
    name: 'ring, azimuthal (planar M2L)',
    system: () => system(geometry('ring', 555), 'azimuthal', 3),
    options: kForced,
    far: true,
  },
  {
    name: 'ball, azimuthal',
    system: () => system(geometry('ball', 600), 'azimuthal', 3),
    options: kForced,
    far: true,
  },
  {
    name: 'ball at tolerance 1e-3 (a lower order)',
    system: () => system(geometry('ball', 700), 'vector', 3),
    options: { ...kForced, tolerance: 1e-3 },
    far: true,
  },
  {
    name: 'ball, the GPU defaults',
    system: () => system(geometry('ball', 1000), 'vector', 3),
    options: {},
    far: false,
  },
  {
    // Past the CPU variant's 4 threads of 8 blocks of four (128 targets), a leaf is summed in rounds.
    name: 'ball in leaves of 300 (the CPU near field in rounds of 128)',
    system: () => system(geometry('ball', 1200), 'vector', 3),
    options: { leafSize: 300 },
    far: false,
  },
  { name: 'N = 2', system: () => system(geometry('ball', 2), 'vector', 3), options: kForced, far: false },
  {
    name: 'leaves of 1 with empty nodes (N = 13)',
    system: () => system(geometry('cube', 13), 'vector', 3),
    options: { translationCost: 0, leafSize: 1 },
    far: true,
  },
];

/** Every case with each near-field variant (src/gpu/profile.ts MatvecFreeVariant). */
function withVariants(cases: readonly ProductCase[]): ProductCase[] {
  return cases.flatMap((c) =>
    kMatvecFreeVariants.map((variant) => ({
      ...c,
      name: `${c.name} (${variant})`,
      options: { ...c.options, variant },
    })),
  );
}

describe('GpuTreeMassMatrix against the float64 direct product', () => {
  for (const { name, system: make, options, far } of withVariants(kProductCases)) {
    gpu.test(`${name}: error within the requested tolerance`, async (context, cleanup) => {
      const s = make();
      const operator = await GpuTreeMassMatrix.create(context, s, options);
      cleanup(() => operator.destroy());
      expect(operator.counts.translations > 0, 'the far field takes part').toBe(far);
      const x = randomVector(unknowns(s), 7);
      const error = interactionError(s, x, await product(context, operator, x));
      expect(error).toBeLessThanOrEqual(options.tolerance ?? 1e-5);
      // Against the CPU's product of the same tree (its depth, order, angle and lists) in float64 (the
      // expansions' error, which the bound C theta^p leaves several times inside the tolerance) and in
      // float32 as the GPU holds it (a clustered lump's rounding is several times the expansions'): a
      // term the GPU drops would pass unseen under the tolerance alone.
      const { tree } = operator;
      const cpuErrors = (['float64', 'float32'] as const).map((precision) => {
        const same = buildTree(s, {
          precision,
          tolerance: tree.tolerance,
          leafSize: Math.ceil(s.configuration.n / 2 ** tree.depth),
          order: tree.tables.order,
          theta: tree.theta,
          translationCost: tree.translationCost,
        });
        expect(same.counts.directPairs).toBe(operator.counts.directPairs);
        const cpu = new Float64Array(x.length);
        treeProduct(same, x, cpu);
        return interactionError(s, x, cpu);
      });
      expect(error).toBeLessThanOrEqual(1.5 * Math.max(...cpuErrors) + 1e-6);
    });
  }

  gpu.test('N = 1: M x = x exactly (no pair)', async (context, cleanup) => {
    const s = system(geometry('ball', 1), 'vector', 3);
    const operator = await GpuTreeMassMatrix.create(context, s, kForced);
    cleanup(() => operator.destroy());
    const x = Float64Array.from([0.5, -1.25, 2]);
    expect(Array.from(await product(context, operator, x))).toEqual([0.5, -1.25, 2]);
  });

  gpu.test('setEpsilon: the next product uses the new eps', async (context, cleanup) => {
    const s = system(geometry('ball', 500), 'vector', 3);
    const operator = await GpuTreeMassMatrix.create(context, s, kForced);
    cleanup(() => operator.destroy());
    operator.setEpsilon(0.05);
    expect(operator.epsilon).toBe(0.05);
    const x = randomVector(unknowns(s), 3);
    const error = interactionError({ ...s, epsilon: 0.05 }, x, await product(context, operator, x));
    expect(error).toBeLessThanOrEqual(1e-5);
  });

  for (const variant of kMatvecFreeVariants) {
    gpu.test(
      `onPipeline (${variant}): each pipeline a product dispatches, counted up to all`,
      async (context, cleanup) => {
        const s = system(geometry('ball', 700), 'vector', 3);
        const heard: [number, number][] = [];
        const operator = await GpuTreeMassMatrix.create(context, s, {
          ...kForced,
          variant,
          onPipeline: (done, total) => heard.push([done, total]),
        });
        cleanup(() => operator.destroy());
        expect(operator.counts.translations).toBeGreaterThan(0);
        expect(operator.farField.passes).toBe(variant === 'thread' ? 'index tables' : 'written out');
        expect(operator.farField.buildSeconds).toBeGreaterThanOrEqual(0);
        const total = heard[0][1];
        expect(heard).toEqual(Array.from({ length: total }, (_, k) => [k + 1, total]));
        // gather, P2M, M2M, reduce, M2L, L2L, the near field; on a CPU adapter's variant the M2M and
        // L2L stages (three each), completion and L2P besides, and the M2L of p = 11 in three entry points.
        expect(total).toBe(variant === 'thread' ? 7 : 15);
      },
    );
  }

  gpu.test(
    'a stop between pipelines: the event loop turns after each, so a signal handler runs before the next',
    async (context) => {
      // A signal's handler runs as a task of the event loop, as this timer does: set after the first
      // pipeline, it must run before the second's report, which then stops the build. Built in one
      // synchronous loop, the build would hear it only after the last pipeline.
      const s = system(geometry('ball', 700), 'vector', 3);
      let stop = false;
      const heard: number[] = [];
      const build = GpuTreeMassMatrix.create(context, s, {
        ...kForced,
        variant: 'thread',
        onPipeline: (done) => {
          heard.push(done);
          if (stop) throw new Error('stopped');
          if (done === 1) setTimeout(() => (stop = true), 0);
        },
      });
      await expect(build).rejects.toThrow('stopped');
      expect(heard).toEqual([1, 2]);
    },
  );

  gpu.test('guarded by a solve state: a no-op once its status is set', async (context, cleanup) => {
    const { device } = context;
    const s = system(geometry('ball', 600), 'vector', 3);
    const operator = await GpuTreeMassMatrix.create(context, s, kForced);
    const state = createBuffer(device, {
      label: 'Test.state',
      size: 4,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    cleanup(() => (operator.destroy(), state.destroy()));
    const x = randomVector(unknowns(s), 5);
    device.queue.writeBuffer(state, 0, new Uint32Array([statusCode('converged_rtol')]));
    expect(Array.from(await product(context, operator, x, state, -3))).toEqual(
      new Array<number>(x.length).fill(-3),
    );
    device.queue.writeBuffer(state, 0, new Uint32Array([0]));
    expect(interactionError(s, x, await product(context, operator, x, state, -3))).toBeLessThanOrEqual(1e-5);
  });

  gpu.test('symmetric to its tolerance: |v.Tw - w.Tv| / (|v| |Tw|)', async (context, cleanup) => {
    const s = system(geometry('ball', 700), 'vector', 3, 0, 1);
    const operator = await GpuTreeMassMatrix.create(context, s, kForced);
    cleanup(() => operator.destroy());
    const v = randomVector(unknowns(s), 11);
    const w = randomVector(unknowns(s), 12);
    // M = I + T here: v.Mw - w.Mv = v.Tw - w.Tv.
    const mw = await product(context, operator, w);
    const mv = await product(context, operator, v);
    const tw = mw.map((value, k) => value - w[k]);
    const dot = (a: ArrayLike<number>, b: ArrayLike<number>) =>
      Array.from(a).reduce((sum, value, k) => sum + value * b[k], 0);
    const asymmetry = Math.abs(dot(v, mw) - dot(w, mv)) / (norm(v) * norm(tw));
    // The float64 tree's asymmetry is 1.9e-11 (treecode.test.ts): float32's rounding of the products
    // (6e-8 of each entry) is what is left, 8.3e-9 on SwiftShader; the tolerance (1e-5) would hide a
    // translation gone one-sided a hundredfold.
    expect(asymmetry).toBeLessThan(1e-6);
  });
});

/** Estimated work of one product of `operator`, in direct pairs, as it prices it (treeStages). */
function productWork(operator: GpuTreeMassMatrix): number {
  const unrolled = operator.farField.passes === 'written out';
  return treeStages(operator.tree, operator.counts.translations > 0, unrolled).reduce(
    (sum, stage) => stage.work.reduce((a, b) => a + b, sum),
    0,
  );
}

test('treeStages prices an M2L at the cost of the passes that run it', () => {
  // The unrolled passes (a CPU adapter's) at kCpuTreeLeaves' price a term, tree.wgsl's at
  // kGpuTreeLeaves': pieces of equal estimated work then take about equal time on either.
  const tree = gpuTreeGeometry(system(geometry('ball', 3000), 'vector', 3), kCpuTreeLeaves, kForced);
  const m2lTerms = tree.counts.translations * tree.tables.m2lIndex.length;
  expect(tree.counts.translations).toBeGreaterThan(1000);
  const m2lWork = (unrolled: boolean) => {
    const stage = treeStages(tree, true, unrolled).find((candidate) => candidate.entry === 'tree_m2l');
    return stage!.work.reduce((a, b) => a + b, 0);
  };
  expect(m2lWork(true)).toBeCloseTo(m2lTerms * kCpuTreeLeaves.translationCostPerTerm, 6);
  expect(m2lWork(false)).toBeCloseTo(m2lTerms * kGpuTreeLeaves.translationCostPerTerm, 6);
  // The near field is its direct pairs, whichever passes run the far field.
  const nearWork = (unrolled: boolean) =>
    treeStages(tree, true, unrolled)
      .find((candidate) => candidate.entry === 'tree_evaluate')!
      .work.reduce((a, b) => a + b, 0);
  expect(nearWork(true)).toBe(tree.counts.directPairs);
});

test('m2lNodeOrder: every node once, the longest interaction lists first, and the M2L stage in that order', () => {
  const tree = gpuTreeGeometry(system(geometry('sphere', 4000), 'vector', 3), kCpuTreeLeaves, kForced);
  const order = m2lNodeOrder(tree.lists, tree.nodeCount);
  expect(Array.from(order).sort((a, b) => a - b)).toEqual(
    Array.from({ length: tree.nodeCount }, (_, k) => k),
  );
  const length = (node: number) => tree.lists.m2lOffset[node + 1] - tree.lists.m2lOffset[node];
  const lengths = Array.from(order, length);
  expect(new Set(lengths).size).toBeGreaterThan(5);
  for (let k = 1; k < order.length; k++) {
    expect(lengths[k]).toBeLessThanOrEqual(lengths[k - 1]);
    if (lengths[k] === lengths[k - 1]) expect(order[k]).toBeGreaterThan(order[k - 1]);
  }
  // treeStages' M2L work is per position of the order, as the pass reads the nodes.
  const m2l = treeStages(tree, true, true).find((stage) => stage.entry === 'tree_m2l')!;
  const perTerm = tree.tables.m2lIndex.length * kCpuTreeLeaves.translationCostPerTerm;
  expect(Array.from(m2l.work)).toEqual(lengths.map((entries) => entries * perTerm));
});

test('splitIntoPieces: stages in order, cut between nodes at the budget, a large node alone', () => {
  const pieces = splitIntoPieces([[1], [2, 2, 2], [5], [1, 1]], 4);
  expect(pieces).toEqual([
    [
      { stage: 0, first: 0, count: 1 },
      { stage: 1, first: 0, count: 1 },
    ],
    [{ stage: 1, first: 1, count: 2 }],
    [{ stage: 2, first: 0, count: 1 }],
    [{ stage: 3, first: 0, count: 2 }],
  ]);
  expect(splitIntoPieces([[1], [2, 2, 2], [5], [1, 1]], Infinity)).toEqual([
    [0, 1, 2, 3].map((stage) => ({ stage, first: 0, count: [1, 3, 1, 2][stage] })),
  ]);
});

describe('a tree product in pieces equals the one-pass product bit for bit', () => {
  const kPieceCases = withVariants(
    kProductCases.filter((c) =>
      [
        'ball, vector 3D',
        'ring, azimuthal (planar M2L)',
        'ball, the GPU defaults',
        'leaves of 1 with empty nodes (N = 13)',
      ].includes(c.name),
    ),
  );
  for (const { name, system: make, options, far } of kPieceCases) {
    gpu.test(`${name}: the dispatches cut into ranges, the same y`, async (context, cleanup) => {
      const s = make();
      const probe = await GpuTreeMassMatrix.create(context, s, options);
      const pieceWork = productWork(probe) / 100;
      probe.destroy();
      const operator = await GpuTreeMassMatrix.create(context, s, { ...options, pieceWork });
      cleanup(() => operator.destroy());
      // On a CPU adapter's variant the unrolled L2P is a stage of its own.
      const stages = treeStages(operator.tree, far, options?.variant === 'blocked');
      const split = splitIntoPieces(
        stages.map((stage) => stage.work),
        pieceWork,
      );
      expect(operator.pieces).toBe(split.length);
      expect(operator.pieces).toBeGreaterThan(4);
      // The big dispatches are cut into ranges wherever they hold more than two pieces' work: the
      // near field or the unrolled L2P in every case but N = 13 (all M2L), tree_m2l wherever there is
      // a far field. (treeStages names the near field tree_evaluate whichever variant runs it.)
      const cut: string[] = [];
      for (const entry of ['tree_m2l', 'tree_evaluate', 'tree_l2p']) {
        const stage = stages.findIndex((candidate) => candidate.entry === entry);
        if (stage < 0 || stages[stage].work.reduce((a, b) => a + b, 0) <= 2 * pieceWork) continue;
        expect(split.filter((piece) => piece.some((range) => range.stage === stage)).length).toBeGreaterThan(
          1,
        );
        cut.push(entry);
      }
      if (name.startsWith('leaves of 1')) expect(cut).toContain('tree_m2l');
      else expect(cut.some((entry) => entry === 'tree_evaluate' || entry === 'tree_l2p')).toBe(true);
      if (far) expect(cut).toContain('tree_m2l');
      const x = randomVector(unknowns(s), 9);
      const whole = await product(context, operator, x);
      const inPieces = await product(context, operator, x, undefined, 0, true);
      expect(Array.from(inPieces)).toEqual(Array.from(whole));
    });
  }

  gpu.test('every piece is guarded: a stopped solve leaves y untouched', async (context, cleanup) => {
    const { device } = context;
    const s = system(geometry('ball', 600), 'vector', 3);
    const operator = await GpuTreeMassMatrix.create(context, s, { ...kForced, pieceWork: 1e5 });
    const state = createBuffer(device, {
      label: 'Test.state',
      size: 4,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    cleanup(() => (operator.destroy(), state.destroy()));
    expect(operator.pieces).toBeGreaterThan(1);
    const x = randomVector(unknowns(s), 5);
    device.queue.writeBuffer(state, 0, new Uint32Array([statusCode('converged_rtol')]));
    expect(Array.from(await product(context, operator, x, state, -3, true))).toEqual(
      new Array<number>(x.length).fill(-3),
    );
  });

  gpu.test(
    'a short product is one piece: solvers keep k iterations per command buffer',
    async (context, cleanup) => {
      const s = system(geometry('ball', 1000), 'vector', 3);
      const operator = await GpuTreeMassMatrix.create(context, s);
      cleanup(() => operator.destroy());
      expect(productWork(operator)).toBeLessThan(2 ** 22);
      expect(operator.pieces).toBe(1);
    },
  );
});

describe('the tree backend', () => {
  // Tolerance 1e-4 (a lower order than the default's) keeps these many products short on SwiftShader.
  const kTreeTolerance = 1e-4;
  const treeBackend = (context: GpuContext, s: DarwinSystem) =>
    gpuBackend(context, s, { matrix: 'tree', treeTolerance: kTreeTolerance, tree: kForced });

  gpu.test('CG reaches the direct operator solution to the tolerance', async (context, cleanup) => {
    const s = system(geometry('ball', 500), 'vector', 3, 0, 0.02);
    const tree = await treeBackend(context, s);
    const direct = await gpuBackend(context, s, { matrix: 'free' });
    cleanup(() => (tree.dispose(), direct.dispose()));
    expect(tree.matrix).toBe('tree');
    const p = randomVector(unknowns(s), 21);
    const [byTree, byDirect] = [await tree.velocities(p, 'cg'), await direct.velocities(p, 'cg')];
    expect(byTree.converged && byDirect.converged).toBe(true);
    expect(Math.abs(byTree.iterations - byDirect.iterations)).toBeLessThanOrEqual(1);
    const difference = byTree.x.map((value, k) => value - byDirect.x[k]);
    expect(norm(difference) / norm(byDirect.x)).toBeLessThan(kTreeTolerance);
  });

  gpu.test(
    'CG and p = M v on a product in pieces: the same numbers bit for bit, a report per piece',
    async (context, cleanup) => {
      const s = system(geometry('ball', 500), 'vector', 3, 0, 0.02);
      const probe = await GpuTreeMassMatrix.create(context, s, { ...kForced, tolerance: kTreeTolerance });
      const pieceWork = productWork(probe) / 5;
      probe.destroy();
      const reports: { step: string; total: number }[] = [];
      const whole = await gpuBackend(context, s, {
        matrix: 'tree',
        treeTolerance: kTreeTolerance,
        tree: { ...kForced, pieceWork: Infinity },
      });
      const pieced = await gpuBackend(context, s, {
        matrix: 'tree',
        treeTolerance: kTreeTolerance,
        tree: { ...kForced, pieceWork },
        onChunk: (step, _done, total) => reports.push({ step, total }),
      });
      cleanup(() => (whole.dispose(), pieced.dispose()));
      const p = randomVector(unknowns(s), 21);
      const reference = await whole.velocities(p, 'cg');
      const result = await pieced.velocities(p, 'cg');
      expect(reference.converged).toBe(true);
      expect(reference.gpu.checkEvery).toBe(kDefaultCheckEvery);
      expect(result.gpu.checkEvery).toBe(1);
      expect(result.reason).toBe(reference.reason);
      expect(result.iterations).toBe(reference.iterations);
      expect(Array.from(result.x)).toEqual(Array.from(reference.x));
      // First the tree's pipelines (here all built already, by the probe), then each piece.
      expect(new Set(reports.filter((r) => r.step !== 'product').map((r) => r.step))).toEqual(
        new Set(['tree pipelines']),
      );
      reports.splice(
        0,
        reports.findIndex((r) => r.step === 'product'),
      );
      const pieces = reports[0].total;
      expect(pieces).toBeGreaterThanOrEqual(5);
      expect(new Set(reports.map((r) => `${r.step} ${r.total}`))).toEqual(new Set([`product ${pieces}`]));
      // A report per piece of each product: the iterations' and the true residual's (from x_0 = 0,
      // M x_0 = 0 is no product).
      expect(reports.length).toBe(pieces * (result.gpu.recordedIterations + 1));
      // p = M v outside a solve goes piece by piece too, a report each.
      reports.length = 0;
      expect(Array.from(await pieced.momenta(p))).toEqual(Array.from(await whole.momenta(p)));
      expect(reports.length).toBe(pieces);
    },
  );

  gpu.test('a throw from the chunk hook stops a CG solve at that piece', async (context, cleanup) => {
    const s = system(geometry('ball', 500), 'vector', 3, 0, 0.02);
    let calls = 0;
    let pieces = 0;
    const pieced = await gpuBackend(context, s, {
      matrix: 'tree',
      treeTolerance: kTreeTolerance,
      tree: { ...kForced, pieceWork: 1e5 },
      onChunk: (step, _done, total) => {
        if (step !== 'product') return;
        pieces = total;
        calls++;
        if (calls === pieces + 2) throw new Error('stop');
      },
    });
    cleanup(() => pieced.dispose());
    const p = randomVector(unknowns(s), 22);
    await expect(pieced.velocities(p, 'cg')).rejects.toThrow('stop');
    expect(pieces).toBeGreaterThan(2);
    expect(calls).toBe(pieces + 2);
    // The backend is whole after the stop: the next solve runs.
    calls = -1e9;
    const next = await pieced.velocities(p, 'cg');
    expect(next.converged).toBe(true);
  });

  gpu.test('Lanczos extremes agree with the dense operator', async (context, cleanup) => {
    const s = system(geometry('ball', 300), 'vector', 3, 0, 0.02);
    const tree = await treeBackend(context, s);
    const dense = await gpuBackend(context, s, { matrix: 'dense' });
    cleanup(() => (tree.dispose(), dense.dispose()));
    const [byTree, byDense] = [
      await tree.spectrum({ basisSize: 24 }),
      await dense.spectrum({ basisSize: 24 }),
    ];
    // lambda - 1 is the interaction part, what the tree approximates to its tolerance.
    expect(Math.abs((byTree.lambdaMax - 1) / (byDense.lambdaMax - 1) - 1)).toBeLessThan(kTreeTolerance);
    expect(Math.abs((byTree.lambdaMin - 1) / (byDense.lambdaMin - 1) - 1)).toBeLessThan(kTreeTolerance);
  });

  gpu.test("'auto' takes the tree from the device's crossover N on", async (context) => {
    const crossover = context.profile.runsOnCpu ? kTreeCrossover.cpu : kTreeCrossover.gpu;
    const below = system(geometry('sphere', crossover - 1), 'vector', 3, 0, 1e-3);
    const at = system(geometry('sphere', crossover), 'vector', 3, 0, 1e-3);
    expect(chooseMatrixStorage(context, below)).toBe('free');
    expect(chooseMatrixStorage(context, at)).toBe('tree');
  });

  gpu.test("'auto' takes the tree where the run's products repay its compile", async (context) => {
    const size = (n: number) => ({ configuration: { n }, model: 'vector', dim: 3 }) as const;
    const crossovers = {
      product: context.profile.runsOnCpu ? kTreeProductCrossover.cpu : kTreeProductCrossover.gpu,
      solve: context.profile.runsOnCpu ? kTreeCrossover.cpu : kTreeCrossover.gpu,
      spectrum: context.profile.runsOnCpu ? kTreeSpectrumCrossover.cpu : kTreeSpectrumCrossover.gpu,
    };
    // One product, a CG or MINRES solve, a spectrum (said, or a basis given).
    for (const [run, options] of [
      ['product', { operation: 'product' }],
      ['solve', { operation: 'cg' }],
      ['solve', { operation: 'minres' }],
      ['solve', {}],
      ['spectrum', { operation: 'spectrum' }],
      ['spectrum', { lanczosBasis: 24 }],
    ] as const) {
      const crossover = crossovers[run];
      expect(chooseMatrixStorage(context, size(crossover - 1), options)).toBe('free');
      expect(chooseMatrixStorage(context, size(crossover), options)).toBe('tree');
    }
    // On a CPU adapter the compile weighs: one product repays it last, a spectrum's hundred first.
    if (context.profile.runsOnCpu) {
      expect(crossovers.product).toBeGreaterThan(crossovers.solve);
      expect(crossovers.spectrum).toBeLessThan(crossovers.solve);
    }
  });

  gpu.test(
    "'auto' keeps off the tree for a run refined past its tolerance: the refined products would be the tree's",
    async (context) => {
      const crossover = context.profile.runsOnCpu ? kTreeCrossover.cpu : kTreeCrossover.gpu;
      const at = { configuration: { n: crossover }, model: 'vector', dim: 3 } as const;
      expect(autoStorage(context, at, { refinedTolerance: 1e-10 })).toEqual({
        storage: 'free',
        reason:
          "the run refines to --tol 1e-10, below --tree-tol 1e-5: its float64 products would be the tree's",
      });
      expect(chooseMatrixStorage(context, at, { refinedTolerance: 1e-7, treeTolerance: 1e-6 })).toBe('free');
      // A tree to the refined tolerance serves it.
      expect(chooseMatrixStorage(context, at, { refinedTolerance: 1e-7, treeTolerance: 1e-7 })).toBe('tree');
      expect(chooseMatrixStorage(context, at, { refinedTolerance: 1e-6, treeTolerance: 1e-7 })).toBe('tree');
    },
  );
});

test("the built tree pays for 'auto' where it costs at most half the pairs: a sphere, not a ball", () => {
  // A CPU adapter's crossover N and leaves.
  const n = kTreeCrossover.cpu;
  const built = (name: 'sphere' | 'ball', maxWorkShare?: number) =>
    gpuTreeGeometry(system(geometry(name, n), 'vector', 3, 0, 1e-3), kCpuTreeLeaves, {
      tolerance: kDefaultTreeTolerance,
      maxWorkShare,
    });
  const sphere = built('sphere');
  expect(treeProductWork(sphere) / (n * (n - 1))).toBeLessThan(kTreeWorkShare);
  expect(built('sphere', kTreeWorkShare).counts).toEqual(sphere.counts);
  // A ball of as many electrons sums most of its pairs directly: no faster than matrix-free, and
  // 'auto''s walk (maxWorkShare) refuses it.
  const ball = built('ball');
  expect(ball.counts.directPairs / (n * (n - 1))).toBeGreaterThan(0.5);
  expect(() => built('ball', kTreeWorkShare)).toThrow(
    new InputError(
      `the tree of ${n} electrons would cost more than 50% of the matrix-free product's pairs; use --matrix free`,
      'matrix',
    ),
  );
});

gpu.test("'auto' on a ball at the crossover N goes matrix-free once its tree is built", async (context) => {
  const crossover = context.profile.runsOnCpu ? kTreeCrossover.cpu : kTreeCrossover.gpu;
  const ball = system(geometry('ball', crossover), 'vector', 3, 0, 1e-3);
  expect(chooseMatrixStorage(context, ball)).toBe('tree');
  expect(autoStorage(context, ball).reason).toBe(
    `${crossover} electrons, from the tree's crossover for a solve here (${crossover})`,
  );
  const backend = await gpuBackend(context, ball, { matrix: 'auto' });
  try {
    expect(backend.matrix).toBe('free');
    expect(backend.tree).toBeUndefined();
    // What the CLI says after its line of what auto planned.
    expect(backend.treeRefusal).toBe(
      `the tree of ${crossover} electrons would cost more than 50% of the matrix-free product's pairs; ` +
        'use --matrix free',
    );
  } finally {
    backend.dispose();
  }
});

gpu.test('a tree past the memory is refused up front, and auto goes matrix-free', async (context) => {
  const s = system(geometry('sphere', kTreeCrossover.cpu + kTreeCrossover.gpu), 'vector', 3, 0, 1e-3);
  const need = treeAllocation(s).total;
  const budget = (bytes: number): GpuContext => ({
    ...context,
    memory: { source: 'the test budget', availableBytes: () => bytes },
  });
  expect(chooseMatrixStorage(budget(need), s)).toBe('tree');
  expect(chooseMatrixStorage(budget(need - 1), s)).toBe('free');
  await expect(gpuBackend(budget(need - 1), s, { matrix: 'tree' })).rejects.toThrow(
    /^--matrix tree needs .* more than the .* of the test budget; use --matrix free/,
  );
});

gpu.test(
  "auto goes matrix-free when the built tree's own bytes are refused; --matrix tree reports it",
  async (context) => {
    const s = system(geometry('sphere', kTreeCrossover.cpu + kTreeCrossover.gpu), 'vector', 3, 0, 1e-3);
    expect(chooseMatrixStorage(context, s)).toBe('tree');
    // As checkTreeFits refuses a tree whose lists outgrow the estimate: before anything is allocated.
    const refused = new InputError('--matrix tree needs more than the test budget', 'matrix');
    const tree = {
      checkFits: () => {
        throw refused;
      },
    };
    const backend = await gpuBackend(context, s, { matrix: 'auto', tree });
    try {
      expect(backend.matrix).toBe('free');
      expect(backend.tree).toBeUndefined();
    } finally {
      backend.dispose();
    }
    await expect(gpuBackend(context, s, { matrix: 'tree', tree })).rejects.toBe(refused);
  },
);

test('the tree allocation is O(N): 10x the electrons, at most 10.5x the bytes', () => {
  const small = system(geometry('ball', 100_000), 'vector', 3);
  const large = system(geometry('ball', 1_000_000), 'vector', 3);
  const ratio = treeAllocation(large).total / treeAllocation(small).total;
  // Linear, less what does not grow with N: the tree's own bytes per electron are fewer at 10^6
  // (345 against 423 at 10^5), the run's vectors the same (304).
  expect(ratio).toBeGreaterThan(8.5);
  expect(ratio).toBeLessThan(10.5);
  // The tree of 10^6 electrons takes well under a GB (a few GB tab holds it beside the vectors).
  expect(treeAllocation(large).tree).toBeLessThan(1e9);
});

describe("treeBytes, the up-front estimate, bounds the tree's storage buffers", () => {
  // The lists per node grow with N in 3D (kListEntriesPerNode); a lump of three quarters of the
  // electrons beside a sparse ball has the longest.
  const cases: [string, Configuration, Dimension][] = [
    ...(['sphere', 'ball', 'cube', 'cylinder'] as const).map((name): [string, Configuration, Dimension] => [
      `${name} 10^5`,
      geometry(name, 100_000),
      3,
    ]),
    ...(['disk', 'annulus', 'ring'] as const).map((name): [string, Configuration, Dimension] => [
      `${name} 10^5`,
      geometry(name, 100_000),
      2,
    ]),
    ['clustered 10^5', clustered(100_000, false), 3],
    ['ball 10^6', geometry('ball', 1_000_000), 3],
    ['clustered 10^6', clustered(1_000_000, false), 3],
  ];
  test.each(cases)('%s', (_, configuration, dim) => {
    const bytes = (leaves: typeof kCpuTreeLeaves) => {
      const tree = gpuTreeGeometry(system(configuration, 'vector', dim, 0, 1e-3), leaves);
      expect(tree.counts.translations).toBeGreaterThan(0);
      return storageBytes(treeStorageBuffers(tree, packTreeTables(tree).data));
    };
    const estimate = treeBytes(configuration.n, kDefaultTreeTolerance);
    // The estimate is of a CPU adapter's smaller leaves, the more nodes: it bounds a GPU's too.
    expect(bytes(kGpuTreeLeaves)).toBeLessThanOrEqual(estimate);
    const cpu = bytes(kCpuTreeLeaves);
    expect(cpu).toBeLessThanOrEqual(estimate);
    // The expansions are most of it and exact in both: the estimate over-counts only the lists, by
    // less than a seventh of the whole where they are shortest (surfaces, disks, rings).
    expect(cpu).toBeGreaterThan(0.85 * estimate);
  });
}, 120_000);

gpu.test(
  'create() asks checkFits about the storage it then allocates, and a refusal stops it',
  async (context) => {
    const s = system(geometry('ring', 3000), 'vector', 3, 0, 1e-3);
    const heard: number[] = [];
    // Tolerance 1e-3: a low order, whose passes compile fast.
    const operator = await GpuTreeMassMatrix.create(context, s, {
      tolerance: 1e-3,
      checkFits: (bytes) => void heard.push(bytes),
    });
    try {
      expect(heard).toHaveLength(1);
      // operator.bytes adds the uniform slots (a few hundred bytes each) to the storage.
      expect(operator.bytes - heard[0]).toBeGreaterThan(0);
      expect(operator.bytes - heard[0]).toBeLessThan(64 * 1024);
    } finally {
      operator.destroy();
    }
    const refusal = new Error('does not fit');
    const checkFits = () => {
      throw refusal;
    };
    await expect(GpuTreeMassMatrix.create(context, s, { tolerance: 1e-3, checkFits })).rejects.toBe(refusal);
  },
);

test('the CPU near field holds a leaf in one SIMD group: blocks of four targets, as many as tree.wgsl writes out', () => {
  const written = Number(/const kMostTargetBlocks = (\d+)u;/.exec(kShaderSources.tree)?.[1]);
  // The workgroup is the override blockedThreads, which tree.ts sets to kBlockedThreads.
  expect(kShaderSources.tree).toMatch(/override blockedThreads: u32/);
  expect(kShaderSources.tree).toMatch(/@workgroup_size\(blockedThreads\)\s*fn tree_evaluate_blocked\(/);
  const threads = kBlockedThreads;
  expect([written, threads]).toEqual([8, 4]);
  const leaves = [1, 16, 17, 79, 98, 125, 128, 129, 300];
  expect(leaves.map(targetBlocksOf)).toEqual([1, 1, 2, 5, 7, 8, 8, 8, 8]);
  // Up to the written-out blocks, one round of 4 threads x 4 targets a block holds the leaf, with no
  // block to spare.
  for (const leaf of leaves.filter((l) => l <= 4 * 4 * written)) {
    const blocks = targetBlocksOf(leaf);
    expect(threads * 4 * blocks).toBeGreaterThanOrEqual(leaf);
    expect(threads * 4 * (blocks - 1)).toBeLessThan(leaf);
  }
});

test("tree.ts's kPowers is tree.wgsl's, which sizes the power tables m2lBatchSize counts", () => {
  expect(Number(/const kPowers = (\d+)u;/.exec(kShaderSources.tree)?.[1])).toBe(kPowers);
});
