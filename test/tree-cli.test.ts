// `--device gpu --matrix tree` from the command line: the GPU's fast multipole product (src/kernels/
// tree.ts) reported like the CPU's tree ("matrix": "tree" and its "tree" details), checked against
// the dense float64 reference within the targets of a float32 tree, and its spectrum refined below
// float32's reach against the float64 tree at the same tolerance (src/run/refine.ts); bench's
// matvec_tree row: its error and asymmetry beside the matrix-free product's.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { treeRowFields } from '../src/cli/commands/bench.ts';
import { geometry } from '../src/physics/geometry.ts';
import type { DarwinSystem } from '../src/physics/models.ts';
import { massMatrix } from '../src/run/backend.ts';
import { useCliBundle } from './helpers/cli-bundle.ts';
import { randomVector } from './helpers/compare.ts';

// Not quiet: a quiet run drops the check lines and the warning read below with its progress.
const harness = useCliBundle('tree-cli', { quiet: false });

function cli(...args: string[]): Record<string, unknown> {
  const run = harness.cli(...args, '--json');
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

type Check = { max_relative_error: number; targets: Record<string, number> };
type TreeJson = { tolerance: number; order: number; theta: number; leaves: number; translations: number };

// Leaves of at most 128 on a CPU adapter (kCpuTreeLeaves), 256 on a GPU (kGpuTreeLeaves): 3000
// electrons make 32 or 16 leaves. On a ring, leaves more than about a radius apart are well
// separated; in a ball none is, and every pair is summed directly.
const ring = ['--geometry', 'ring', '--n', '3000', '--device', 'gpu', '--matrix', 'tree'];
const ball = ['--geometry', 'ball', '--n', '3000', '--device', 'gpu', '--matrix', 'tree'];
/** The ring's rigid rotation solved at tree tolerance 1e-4: 9 000 unknowns. */
const ringSolve = ['solve', ...ring, '--velocity', 'rigid', '--epsilon', '1e-3', '--tree-tol', '1e-4'];

test('solve: the tree in the JSON, the float64 check within its targets', () => {
  const json = cli(...ringSolve, '--check');
  expect(json.matrix).toBe('tree');
  // Unrefined, no float64 tree ran: no threads decided the numbers.
  expect('threads' in json).toBe(false);
  const tree = json.tree as TreeJson;
  expect(tree.tolerance).toBe(1e-4);
  expect(tree.order).toBeGreaterThan(1);
  const device = json.device as { is_fallback_adapter: boolean; swiftshader: boolean };
  expect(tree.leaves).toBe(device.is_fallback_adapter || device.swiftshader ? 32 : 16);
  // The far field is in the product the check measures.
  expect(tree.translations).toBeGreaterThan(0);
  const check = json.check as Check;
  expect(check.max_relative_error).toBeLessThan(1e-4);
  for (const target of Object.values(check.targets)) expect(target).toBeGreaterThanOrEqual(1e-4);
  expect(json.converged).toBe(true);
});

test('solve past the dense check: the tree checked on float64 rows at sampled electrons', () => {
  // 9 000 unknowns, past kCheckMaxUnknowns: without --check the run checks 256 electrons' rows.
  const run = harness.cli(...ringSolve, '--json');
  expect(run.status, run.stderr).toBe(0);
  expect(run.stderr).toMatch(
    /^check: momenta [\d.]+e-\d+, residual [\d.]+e-\d+, interaction [\d.]+e-\d+ \(float64 rows at 256 sampled electrons\)$/m,
  );
  const json = JSON.parse(run.stdout) as Record<string, unknown>;
  expect((json.tree as TreeJson).translations).toBeGreaterThan(0);
  const check = json.check as Check & { momenta: number; residual: number; sampled_electrons: number };
  expect(check.sampled_electrons).toBe(256);
  // The product's error is float32's and the tree's, within the tree tolerance; the solve's residual
  // against the direct sum's rows likewise, within 10 max(tol, tree tolerance).
  expect(check.momenta).toBeGreaterThan(1e-8);
  expect(check.momenta).toBeLessThan(1e-4);
  expect(check.residual).toBeLessThan(check.targets.residual);
  expect(check.targets).toEqual({ momenta: 1e-4, residual: 1e-3, interaction: 1e-4 });
});

test('spectrum past the dense check: Ritz residuals on float64 rows at sampled electrons', () => {
  // 9 000 unknowns without --check: the extreme Ritz vectors' rows at 256 electrons and the 64
  // where each is largest. --tol 1e-5 is within float32's reach, so nothing is refined.
  const args = [
    'spectrum',
    ...ring,
    '--epsilon',
    '1e-3',
    '--tree-tol',
    '1e-4',
    '--tol',
    '1e-5',
    '--max-iter',
    '60',
  ];
  const run = harness.cli(...args, '--json');
  expect(run.status, run.stderr).toBe(0);
  expect(run.stderr).toMatch(
    /^check: Ritz residual lambda_min [\d.]+e-\d+, lambda_max [\d.]+e-\d+ \(float64 rows at 256 sampled electrons and the 64 where each Ritz vector is largest; an eigenvalue of the direct sum lies within each\)$/m,
  );
  const json = JSON.parse(run.stdout) as Record<string, unknown>;
  expect(json.refined).toBe(false);
  const check = json.check as Check & {
    residual_min: number;
    residual_max: number;
    sampled_electrons: number;
  };
  expect(check.sampled_electrons).toBe(256);
  expect(check.targets).toEqual({ residual: 10 * 1e-4 });
  // lambda_max, the isolated top, converges within the 60 products: its residual against the direct
  // sum's rows is float32's and the tree's error, within the target.
  expect(check.residual_max).toBeGreaterThan(1e-8);
  expect(check.residual_max).toBeLessThan(check.targets.residual);
  // lambda_min, a dense cluster, has not converged: its residual is about Lanczos's own bound.
  const scale = Math.max(Math.abs(json.lambda_min as number), Math.abs(json.lambda_max as number));
  const bound = (json.residual_bound_min as number) / scale;
  expect(check.residual_min / bound).toBeGreaterThan(0.5);
  expect(check.residual_min / bound).toBeLessThan(2);
});

test('spectrum: the tree refined against the float64 tree, lambda_max within the tree tolerance of the dense one', () => {
  // 60 products: lambda_max, the isolated top, converges in far fewer; lambda_min, a dense cluster,
  // would take hundreds (the reference stops at the same step).
  const json = cli(
    'spectrum',
    ...ring,
    ...['--epsilon', '1e-3', '--tol', '1e-8', '--max-iter', '60', '--threads', '2', '--check'],
  );
  expect(json.matrix).toBe('tree');
  expect((json.tree as TreeJson).translations).toBeGreaterThan(0);
  // --tol 1e-8 is below float32's reach: the Ritz vectors' Rayleigh quotients by the float64 tree,
  // on the --threads given, which the JSON says.
  expect(json.refined).toBe(true);
  expect(json.threads).toBe(2);
  expect(json.ritz_residual_max).toBeLessThan(1e-5);
  const check = json.check as Check & { lambda_max: number };
  expect(check.lambda_max).toBeLessThan(1e-5);
  expect(check.targets.eigenvalues).toBe(1e-5);
});

test("solve refined with the tree: the float64 products are the GPU tree's own lists, here M's", () => {
  // The ball's tree sums every pair directly (no two of its leaves are far enough apart): refined
  // against that same tree in float64, the solve meets --tol against M itself, at any --tree-tol,
  // which here would let a tree of its own leaves (the CPU's 64) take M2L 1e-3 off.
  const args = ['solve', ...ball, '--velocity', 'random', '--epsilon', '1e-3', '--tree-tol', '1e-3'];
  const json = cli(...args, '--tol', '1e-10');
  expect((json.tree as TreeJson).translations).toBe(0);
  expect(json.refinement_steps).toBeGreaterThan(0);
  expect(json.true_residual_product).toBe('float64_tree');
  const check = json.check as Check & { residual: number; sampled_electrons: number };
  expect(check.sampled_electrons).toBe(256);
  expect(check.residual).toBeLessThan(1e-9);
});

test('--verbose names the tree, its memory and its lists', () => {
  const args = ['solve', ...ball, '--velocity', 'rigid', '--epsilon', '1e-3', '--no-check', '--verbose'];
  const run = harness.cli(...args);
  expect(run.status, run.stderr).toBe(0);
  expect(run.stderr).toMatch(/^matrix: tree; memory: [\d.]+ MB \(tree and expansions [\d.]+ MB, /m);
  expect(run.stderr).toMatch(/^tree: order \d+, theta 0\.4, \d+ leaves, \d+ direct pairs and \d+ M2L/m);
  // The ball of 3 000 in leaves of 128 or 256 has no pair of nodes far enough apart for an M2L.
  expect(run.stderr).toMatch(
    /0 M2L per product; no far field \(every pair summed directly\), its pipelines built in \d+\.\d s$/m,
  );
});

test('--matrix tree summing every pair directly because of the softening: one warning on stderr', () => {
  // A ring of 600 on the CPU (leaves of 64): its tree takes M2L without a softening, none at a = 0.05.
  const args = ['solve', '--geometry', 'ring', '--n', '600', '--device', 'cpu', '--matrix', 'tree'];
  const run = (softening: string) =>
    harness.cli(...args, '--velocity', 'rigid', '--epsilon', '1e-3', '--softening', softening, '--no-check');
  const softened = run('0.05');
  expect(softened.status, softened.stderr).toBe(0);
  const warnings = softened.stderr.split('\n').filter((line) => line.startsWith('warning:'));
  expect(warnings).toEqual([
    expect.stringMatching(
      /^warning: the tree sums 100% of the pairs directly \(its product costs 100% of the matrix-free product's N \(N - 1\) pairs\) because of the softening: node pairs closer than a \/ sqrt\(2 tol\) = 11\.2 R are summed directly \(\d+% of the pairs\): the dense M \(--matrix dense\) is faster$/,
    ),
  ]);
  const bare = run('0');
  expect(bare.status, bare.stderr).toBe(0);
  expect(bare.stderr).not.toContain('warning');
});

test("scaling on the CPU's tree records --threads in its sweep whichever N a shard runs; merge keeps a common count", () => {
  const sweep = ['scaling', '--geometries', 'ring', '--n-min', '8', '--n-max', '16', '--points', '2'];
  const shard = (k: string, threads: string, matrix = 'tree') => {
    const args = [...sweep, '--device', 'cpu', '--matrix', matrix, '--threads', threads, '--shard', k];
    const run = harness.cli(...args, '--json');
    expect(run.status, run.stderr).toBe(0);
    const path = join(harness.dir, `scaling-${matrix}-${threads}-${k.replace('/', 'of')}.json`);
    writeFileSync(path, run.stdout);
    return { path, threads: (JSON.parse(run.stdout) as { sweep: { threads: unknown } }).sweep.threads };
  };
  // Each shard holds one N, both the tree's: the same count recorded in both.
  const [first, second] = [shard('1/2', '2'), shard('2/2', '2')];
  expect([first.threads, second.threads]).toEqual([2, 2]);
  const merged = harness.cli('merge', first.path, second.path, '--json');
  expect(merged.status, merged.stderr).toBe(0);
  expect((JSON.parse(merged.stdout) as { sweep: { threads: unknown } }).sweep.threads).toBe(2);
  // The tree's products on another count are the same only to rounding: merged, "threads" null, and
  // a warning naming both counts.
  const mixed = harness.cli('merge', first.path, shard('2/2', '1').path, '--json');
  expect(mixed.status, mixed.stderr).toBe(0);
  expect((JSON.parse(mixed.stdout) as { sweep: { threads: unknown } }).sweep.threads).toBeNull();
  expect(mixed.stderr).toMatch(/^warning: the shards ran the CPU tree on different --threads \(2, 1\)/m);
  // auto takes the dense M at every N of this sweep, the same bits on any count: none recorded.
  expect(shard('1/2', '2', 'auto').threads).toBeNull();
});

test('treeRowFields: the error against the float64 direct product and the asymmetry of a known skew part', () => {
  const s: DarwinSystem = {
    configuration: geometry('sphere', 40),
    model: 'vector',
    dim: 3,
    epsilon: 1e-2,
    softening: 0,
  };
  const m = massMatrix(s);
  const size = 120;
  const x = randomVector(size, 3);
  const w = randomVector(size, 4);
  const free = (v: Float64Array) => {
    const out = new Float64Array(size);
    m.apply(v, out);
    return out;
  };
  // A "tree" that is M plus a K, K the skew matrix a (e_0 e_1^T - e_1 e_0^T).
  const a = 1e-4;
  const skewed = (v: Float64Array) => {
    const out = free(v);
    out[0] += a * v[1];
    out[1] -= a * v[0];
    return out;
  };
  const freeY = free(x);
  const treeW = skewed(w);
  const fields = treeRowFields(
    s,
    { x, treeY: skewed(x), w, treeW },
    { directPairs: 7, translations: 5 },
    { freeY, freeW: free(w), speedup: 2 },
    { rows: freeY, sample: null },
  );
  const interaction = (y: Float64Array, v: Float64Array) => Math.hypot(...y.map((value, k) => value - v[k]));
  // M = I + eps T: y - D v is the interaction part (D = I for the vector model).
  expect(fields.relative_error).toBeCloseTo((a * Math.hypot(x[0], x[1])) / interaction(freeY, x), 14);
  // x.Kw - w.Kx = 2a (x_0 w_1 - x_1 w_0), over |x| |M~w - D w|.
  const expected = (2 * a * Math.abs(x[0] * w[1] - x[1] * w[0])) / (Math.hypot(...x) * interaction(treeW, w));
  expect(fields.asymmetry).toBeCloseTo(expected, 14);
  expect(fields.free_asymmetry).toBeLessThan(1e-15);
  expect(fields.interactions).toBe(12);
  expect(fields.speedup).toBe(2);
  const counts = { directPairs: 7, translations: 5 };
  // The GPU's: against the float64 rows at a sample of electrons (here electrons 0 and 7 of 40, each
  // standing for 20), not against a float32 free product: the skew part lives on electron 0 alone.
  const sample = { electrons: Uint32Array.from([0, 7]), weights: Float64Array.from([20, 20]) };
  const rows = Float64Array.from([0, 1, 2, 21, 22, 23], (k) => freeY[k]);
  const sampled = treeRowFields(s, { x, treeY: skewed(x), w, treeW }, counts, null, { rows, sample });
  const part = (k: number) => freeY[k] - x[k];
  const sampledPart = Math.sqrt(20 * [0, 1, 2, 21, 22, 23].reduce((sum, k) => sum + part(k) ** 2, 0));
  expect(sampled.relative_error).toBeCloseTo((Math.sqrt(20) * a * Math.hypot(x[0], x[1])) / sampledPart, 14);
  expect(sampled.speedup).toBeUndefined();
  // Without the free product beside it (bench --device cpu past its pair bound): the tree's own
  // work and asymmetry, and nothing measured against a direct product.
  expect(treeRowFields(s, { x, treeY: skewed(x), w, treeW }, counts, null, null)).toEqual({
    interactions: 12,
    direct_pairs: 7,
    translations: 5,
    asymmetry: fields.asymmetry,
  });
});

test('bench --only matvec_free,matvec_tree on the GPU: error and asymmetry within the default tolerance, timings of the same runs', () => {
  // 10 000 electrons on the sphere: the first size whose tree has a far field (1 314 M2L).
  const json = cli('bench', '--n', '10000', '--only', 'matvec_free,matvec_tree', '--repeats', '1');
  const [free, row, ...others] = json.kernels as {
    name: string;
    ms: number;
    speedup: number;
    translations: number;
    relative_error: number;
    asymmetry: number;
    free_asymmetry: number;
    check: number;
    sampled_electrons: number;
  }[];
  expect(others).toEqual([]);
  expect(free.name).toBe('matvec_free');
  expect(row.name).toBe('matvec_tree');
  // One round alternating the two products: its two samples are the rows' ms, the speed-up their quotient.
  expect(row.speedup).toBeCloseTo(free.ms / row.ms, 12);
  expect(row.translations).toBeGreaterThan(0);
  expect(row.relative_error).toBeGreaterThan(0);
  expect(row.relative_error).toBeLessThanOrEqual(1e-5);
  // Each product checked against the float64 direct sum of the same x, on the sampled check's
  // rows (30 000 unknowns): the free product to float32's rounding, the tree within its tolerance.
  expect(free.sampled_electrons).toBe(256);
  expect(row.sampled_electrons).toBe(256);
  expect(free.check).toBeGreaterThan(0);
  expect(free.check).toBeLessThan(1e-6);
  expect(row.check).toBeGreaterThan(0);
  expect(row.check).toBeLessThanOrEqual(1e-5);
  expect(row.free_asymmetry).toBeGreaterThan(0);
  // Random x and w: float32's rounding of y = x + eps T x leaves the direct product itself ~1e-8
  // from symmetric here, and the tree, within 1e-5 of it, is no further.
  expect(row.free_asymmetry).toBeLessThan(1e-7);
  expect(row.asymmetry).toBeGreaterThan(0);
  expect(row.asymmetry).toBeLessThan(10 * row.free_asymmetry);
}, 120_000);
