// `--device gpu --matrix tree` from the command line: the GPU's fast multipole product (src/kernels/
// tree.ts) reported like the CPU's tree ("matrix": "tree" and its "tree" details), checked against
// the dense float64 reference within the targets of a float32 tree, and its spectrum refined below
// float32's reach against the float64 tree at the same tolerance (src/run/refine.ts).
import { beforeAll, expect, test } from 'vitest';
import { buildCliBundle, runCli } from './helpers/cli-bundle.ts';

let cliPath: string;
beforeAll(() => {
  cliPath = buildCliBundle('darwin-breit-tree-cli');
}, 120_000);

function cli(...args: string[]): Record<string, unknown> {
  const run = runCli(cliPath, [...args, '--json']);
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

type Check = { max_relative_error: number; targets: Record<string, number> };
type TreeJson = { tolerance: number; order: number; theta: number; leaves: number; translations: number };

// Leaves of at most 256 on the GPU (kGpuLeafSize): 3000 electrons make 16 leaves. On a ring, leaves
// more than about a radius apart are well separated (112 M2L per product); in a ball none is, and
// every pair is summed directly.
const ring = ['--geometry', 'ring', '--n', '3000', '--device', 'gpu', '--matrix', 'tree'];
const ball = ['--geometry', 'ball', '--n', '3000', '--device', 'gpu', '--matrix', 'tree'];

test('solve: the tree in the JSON, the float64 check within its targets', () => {
  const json = cli(
    'solve',
    ...ring,
    '--velocity',
    'rigid',
    '--epsilon',
    '1e-3',
    '--tree-tol',
    '1e-4',
    '--check',
  );
  expect(json.matrix).toBe('tree');
  const tree = json.tree as TreeJson;
  expect(tree.tolerance).toBe(1e-4);
  expect(tree.order).toBeGreaterThan(1);
  expect(tree.leaves).toBe(16);
  // The far field is in the product the check measures.
  expect(tree.translations).toBeGreaterThan(0);
  const check = json.check as Check;
  expect(check.max_relative_error).toBeLessThan(1e-4);
  for (const target of Object.values(check.targets)) expect(target).toBeGreaterThanOrEqual(1e-4);
  expect(json.converged).toBe(true);
});

test('spectrum: the tree refined against the float64 tree, lambda_max within the tree tolerance of the dense one', () => {
  // 60 products: lambda_max, the isolated top, converges in far fewer; lambda_min, a dense cluster,
  // would take hundreds (the reference stops at the same step).
  const json = cli('spectrum', ...ring, '--epsilon', '1e-3', '--tol', '1e-8', '--max-iter', '60', '--check');
  expect(json.matrix).toBe('tree');
  expect((json.tree as TreeJson).translations).toBeGreaterThan(0);
  // --tol 1e-8 is below float32's reach: the Ritz vectors' Rayleigh quotients by the float64 tree.
  expect(json.refined).toBe(true);
  expect(json.ritz_residual_max).toBeLessThan(1e-5);
  const check = json.check as Check & { lambda_max: number };
  expect(check.lambda_max).toBeLessThan(1e-5);
  expect(check.targets.eigenvalues).toBe(1e-5);
});

test('--verbose names the tree, its memory and its lists', () => {
  const args = ['solve', ...ball, '--velocity', 'rigid', '--epsilon', '1e-3', '--no-check', '--verbose'];
  const run = runCli(cliPath, args);
  expect(run.status, run.stderr).toBe(0);
  expect(run.stderr).toMatch(/^matrix: tree; memory: [\d.]+ MB \(tree and expansions [\d.]+ MB, /m);
  expect(run.stderr).toMatch(/^tree: order \d+, theta 0\.4, \d+ leaves, \d+ direct pairs and \d+ M2L/m);
  // The ball of 3 000 in leaves of 256 has no pair of nodes far enough apart for an M2L.
  expect(run.stderr).toMatch(
    /0 M2L per product; no far field \(every pair summed directly\), its pipelines built in \d+\.\d s$/m,
  );
});
