// bench's float64 check (audit finding 6): every GPU row it times is checked once against float64
// after its timing. The check's arithmetic against the dense float64 M and closed forms, then the
// rows of a GPU bench as a user runs it (SwiftShader): each product within float32's rounding of
// the float64 direct sum, each CG row's true residual, cg_solve's reason, the sweep's solves.
import { describe, expect, test } from 'vitest';
import {
  checkHooks,
  checkTarget,
  checkWarnings,
  float64Check,
  productError,
  trueResidual,
  type BenchRow,
} from '../src/cli/commands/bench.ts';
import { Progress } from '../src/cli/progress.ts';
import { geometry } from '../src/physics/geometry.ts';
import { unknowns, type DarwinSystem } from '../src/physics/models.ts';
import { solutionOfTriples, velocityTriples } from '../src/physics/response.ts';
import { massMatrix } from '../src/run/backend.ts';
import { checkSample, sampledMassRows } from '../src/run/check.ts';
import { useCliBundle } from './helpers/cli-bundle.ts';
import { randomVector } from './helpers/compare.ts';

const sphere = (n: number, epsilon = 1e-2): DarwinSystem => ({
  configuration: geometry('sphere', n),
  model: 'vector',
  dim: 3,
  epsilon,
  softening: 0,
});

/** M x by the dense float64 M (its stored entries, not the pair sum the check forms). */
function denseProduct(s: DarwinSystem, x: Float64Array): Float64Array {
  const y = new Float64Array(x.length);
  massMatrix(s).apply(x, y);
  return y;
}

describe('the float64 check', () => {
  test('up to 3000 unknowns: every electron, the float64 product to rounding, errors by their closed forms', async () => {
    const s = sphere(40);
    const check = await float64Check(s);
    expect(check.sampledElectrons).toBeNull();
    const x = randomVector(unknowns(s), 1);
    const exact = denseProduct(s, x);
    const rows = await check.rows(x);
    const norm = Math.hypot(...exact);
    expect(Math.hypot(...rows.map((value, k) => value - exact[k])) / norm).toBeLessThan(1e-15);
    // A product off by delta in one entry: delta / ||M x||.
    const y = Float64Array.from(exact);
    y[5] += 3e-4;
    expect(productError(check, y, rows)).toBeCloseTo(3e-4 / norm, 15);
    // v solving M v = b up to r: ||r|| / ||b||.
    const r = randomVector(x.length, 2).map((value) => 1e-6 * value);
    const b = exact.map((value, k) => value + r[k]);
    expect(await trueResidual(check, b, x)).toBeCloseTo(Math.hypot(...r) / Math.hypot(...b), 15);
  });

  test('past 3000 unknowns: the sampled rows, an error of 1e-3 on them read as 1e-3', async () => {
    const s = sphere(1001);
    const check = await float64Check(s);
    expect(unknowns(s)).toBeGreaterThan(3000);
    expect(check.sampledElectrons).toBe(256);
    const x = randomVector(unknowns(s), 1);
    const rows = await check.rows(x);
    // The sample's rows of M x, each the direct sum over all 1001 electrons, as the dense M's.
    const exact = denseProduct(s, x);
    check.sample.electrons.forEach((i, k) => {
      for (let c = 0; c < 3; c++) expect(rows[3 * k + c]).toBeCloseTo(exact[3 * i + c], 12);
    });
    // Every sampled entry 1e-3 off, relatively: the weighted estimate is exactly 1e-3.
    expect(
      productError(
        check,
        exact.map((value) => 1.001 * value),
        rows,
      ),
    ).toBeCloseTo(1e-3, 12);
  });

  // 256 rows of 20 000 pairs: two chunks of kPairsPerPause pairs (200 electrons, then 56).
  const large = sphere(20_000);

  /** A bench's progress line (verbose: each report a line) on `status`, and the lines it wrote. */
  function benchProgress(status: string) {
    const lines: string[] = [];
    const progress = new Progress({ verbose: true, sink: { write: (text) => lines.push(text) } });
    progress.update(status);
    return { lines, progress };
  }

  /** The check of `large` on a bench's progress line, and its x. */
  async function largeCheck() {
    const { lines, progress } = benchProgress('n = 20000: matrix-free matvec');
    return {
      lines,
      progress,
      check: await float64Check(large, checkHooks(progress)),
      x: randomVector(unknowns(large), 1),
    };
  }

  test("at 20 000 electrons the rows come in chunks, each reported on the row's line, the same rows", async () => {
    const { lines, check, x } = await largeCheck();
    expect(await check.rows(x)).toEqual(sampledMassRows(large, x, check.sample.electrons));
    expect(lines).toEqual([
      'n = 20000: matrix-free matvec\n',
      'n = 20000: matrix-free matvec; float64 check: electron 201 of 256\n',
    ]);
  });

  test('a signal during the rows stops them at the next chunk (Interrupted), not after the last', async () => {
    const { lines, progress, check, x } = await largeCheck();
    // What a signal's handler does (src/cli/signals.ts), once the event loop turns: in the rows' pause
    // after their first chunk, a timer of the same delay as the pause's, set before it, comes first.
    setTimeout(() => progress.interrupt('SIGTERM'), 0);
    await expect(check.rows(x)).rejects.toMatchObject({ name: 'Interrupted', signal: 'SIGTERM' });
    expect(lines).toEqual(['n = 20000: matrix-free matvec\n']);
  });

  // 70 000 electrons: a k-d tree of 16 384 leaves, whose queries are two chunks of kPairsPerPause
  // pairs (kNeighbourPairsPerLeaf a leaf: 10 000 leaves, then 6384).
  const huge = () => sphere(70_000);

  test("past 10^4 leaves the sample's nearest-neighbour queries come in chunks, each reported, the sample checkSample's", async () => {
    const { lines, progress } = benchProgress("n = 70000: the check's sample");
    let pauses = 0;
    const hooks = checkHooks(progress);
    const check = await float64Check(huge(), { ...hooks, pause: () => (pauses++, hooks.pause!()) });
    expect(pauses).toBe(1);
    expect(lines).toEqual([
      "n = 70000: the check's sample\n",
      "n = 70000: the check's sample; float64 check: nearest neighbours, leaf 10001 of 16384\n",
    ]);
    // The unpaced sample of another configuration object with the same positions (checkSample keeps
    // one per object): the paced queries changed nothing.
    const unpaced = checkSample(huge().configuration);
    expect(check.sample.electrons).toEqual(unpaced.electrons);
    expect(check.sample.weights).toEqual(unpaced.weights);
    expect(unpaced.exact).toHaveLength(32);
    expect(check.sampledElectrons).toBe(256);
  });

  test("a signal during the sample's queries stops them at the next chunk (Interrupted)", async () => {
    const { lines, progress } = benchProgress("n = 70000: the check's sample");
    const system = huge();
    // As for the rows: the signal's handler runs in the pause after the first chunk of leaves.
    setTimeout(() => progress.interrupt('SIGINT'), 0);
    await expect(float64Check(system, checkHooks(progress))).rejects.toMatchObject({
      name: 'Interrupted',
      signal: 'SIGINT',
    });
    expect(lines).toEqual(["n = 70000: the check's sample\n"]);
  });

  test("the targets, solve's for the GPU's float32, and a warning for a row past its own", () => {
    // Float32's 3 sqrt(n) 2^-24, at least 1e-6: 7.2e-7 at n = 16, 1.8e-6 at 100.
    expect(checkTarget('product', 16)).toBe(1e-6);
    expect(checkTarget('product', 100)).toBe(3 * 10 * 2 ** -24);
    // The tree's tolerance where it is larger than float32's target.
    const tree = {
      tolerance: 1e-5,
      order: 11,
      theta: 0.4,
      leaves: 8,
      leafSize: 128,
      translationCost: 367,
      directPairs: 1,
      translations: 1,
      workShare: 0.1,
      softenedPairs: 0,
      softeningDistance: 0,
    };
    expect(checkTarget('product', 100, tree)).toBe(1e-5);
    expect(checkTarget('product', 100, { ...tree, tolerance: 1e-7 })).toBe(1e-6);
    // The GPU tree's float32 sums are its near field's rows, 4e4 pairs each at 10^6 electrons: 3.6e-5
    // past --tree-tol, not the 1.8e-4 of 10^6 terms.
    expect(checkTarget('product', 1e6, { ...tree, directPairs: 4e10 })).toBe(3 * 200 * 2 ** -24);
    // 10 max(rtol, the momenta's target), rtol float32's default 1e-6.
    expect(checkTarget('solve', 16)).toBeCloseTo(1e-5, 20);
    expect(checkTarget('solve', 100)).toBe(10 * (3 * 10 * 2 ** -24));
    const row = (fields: Partial<BenchRow>): BenchRow => ({
      name: 'matvec_dense',
      n: 100,
      unknowns: 300,
      ms: 1,
      method: 'timestamp',
      gbps: null,
      gflops: null,
      ratio_to_copy: null,
      ...fields,
    });
    expect(
      checkWarnings([
        row({ variant: 'rows', chosen: true, check: 2e-8, check_target: 1e-6, within_target: true }),
        row({ variant: 'subgroup', check: 3.25e-3, check_target: 1e-6, within_target: false }),
        row({
          name: 'cg_solve',
          variant: 'rows/fused',
          true_residual: 0.5,
          check_target: 1e-5,
          within_target: false,
        }),
        row({ name: 'cg_iteration', true_residual: 0.5 }),
      ]),
    ).toEqual([
      'warning: n = 100: matvec_dense (subgroup): check 3.25e-3 is past its target 1.00e-6 ("within_target": false)',
      'warning: n = 100: cg_solve (rows/fused): true residual 5.00e-1 is past its target 1.00e-5 ("within_target": false)',
    ]);
  });

  test("solutionOfTriples inverts velocityTriples: the sweep's solutions from its points", () => {
    const cases: DarwinSystem[] = [
      sphere(30),
      { configuration: geometry('disk', 30), model: 'vector', dim: 2, epsilon: 1e-2, softening: 0 },
      { configuration: geometry('ring', 30), model: 'azimuthal', dim: 3, epsilon: 1e-2, softening: 0 },
    ];
    for (const s of cases) {
      const solution = randomVector(unknowns(s), 3);
      const back = solutionOfTriples(s, velocityTriples(s, solution));
      expect(back.length).toBe(solution.length);
      back.forEach((value, k) => expect(value).toBeCloseTo(solution[k], 14));
    }
  });
});

interface Row {
  name: string;
  chosen?: boolean;
  check_target?: number;
  within_target?: boolean;
  variant?: string;
  check?: number;
  true_residual?: number;
  sampled_electrons?: number;
  reason?: string;
  converged?: boolean;
  note?: string;
  relative_error?: number;
}

describe('bench on the GPU: every timed row checked', () => {
  const { cli } = useCliBundle('bench-check');

  test('products to float32 rounding of the float64 sum, CG rows by their true residual, the sweep by its solves', () => {
    const run = cli('bench', '--n', '64', '--repeats', '1', '--json');
    expect(run.status, run.stderr).toBe(0);
    const rows = JSON.parse(run.stdout).kernels as Row[];
    const products = rows.filter((r) => ['matvec_dense', 'matvec_free', 'matvec_tree'].includes(r.name));
    // Every dense variant this device runs (rows, workgroup, and subgroup where it has subgroups),
    // then the free and the tree product.
    const dense = products.filter((r) => r.name === 'matvec_dense');
    expect(dense.map((r) => r.variant)).toEqual(expect.arrayContaining(['rows', 'workgroup']));
    expect(products.slice(dense.length).map((r) => r.name)).toEqual(['matvec_free', 'matvec_tree']);
    for (const r of products) {
      // y = x + eps T x at eps = 1e-3 rounded to float32: a few 2^-24 of |y|, and not 0.
      expect(r.check, r.name).toBeGreaterThan(0);
      expect(r.check, r.name).toBeLessThan(2e-7);
      // Float32's 3 sqrt(64) 2^-24 = 1.4e-6; the tree's 1e-5, its near field's rows shorter still.
      expect(r.check_target).toBe(r.name === 'matvec_tree' ? 1e-5 : 3 * 8 * 2 ** -24);
      expect(r.within_target).toBe(true);
    }
    // The tree's eps T x, 1e-3 of y, against the float64 sum: float32's rounding of y is in it.
    const tree = products.at(-1)!;
    expect(tree.relative_error).toBeGreaterThan(tree.check!);
    expect(tree.relative_error).toBeLessThan(1e-4);
    // A CG iteration in each step variant (fused, split; one below the wall clock's noise on a busy
    // machine has no row), then the solve with the chosen one.
    const cg = rows.filter((r) => r.name.startsWith('cg_'));
    expect(cg.map((r) => r.name).slice(-1)).toEqual(['cg_solve']);
    expect(cg.slice(0, -1).every((r) => r.name === 'cg_iteration')).toBe(true);
    for (const r of cg) {
      expect(r.true_residual, r.name).toBeGreaterThan(0);
      expect(r.true_residual, r.name).toBeLessThan(1e-6);
    }
    const solve = cg.at(-1)!;
    // The chosen variant's iteration is checked above, or its absence said in the solve's note: the
    // loop above must not pass on no iteration rows at all.
    if (!cg.some((r) => r.name === 'cg_iteration' && r.chosen))
      expect(solve.note).toMatch(/^no cg_iteration \([^)]+\): /);
    expect(solve.reason).toBe('converged_rtol');
    expect(solve.converged).toBe(true);
    expect(solve.check_target).toBe(10 * (3 * 8 * 2 ** -24));
    expect(solve.within_target).toBe(true);
    for (const r of cg.slice(0, -1)) expect(r.check_target).toBeUndefined();
    // The sweep refines below float32's reach (rtol 1e-10): its float64 residuals are that small.
    const sweeps = rows.filter((r) => r.name === 'response_sweep');
    expect(sweeps).toHaveLength(2);
    for (const r of sweeps) {
      expect(r.true_residual).toBeLessThan(1e-9);
      expect(r.converged).toBe(r.note === undefined);
    }
    // 192 unknowns: every electron's row, none sampled.
    expect(rows.some((r) => r.sampled_electrons !== undefined)).toBe(false);
    const table = cli('bench', '--n', '64', '--repeats', '1', '--only', 'cg_solve');
    expect(table.status, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/float64 check/);
    expect(table.stdout).toMatch(/^cg_solve \(\w+\/\w+\) .* converged_rtol, residual \d\.\de-\d+ /m);
  }, 300_000);
});
