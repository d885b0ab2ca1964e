// --verbose: by default stderr holds the adapter line and the run's own progress, nothing more;
// --verbose adds, on stderr, what a user debugging a run wants: the adapter and its limits, the device
// profile's kernel variants, the memory estimate, the chunk sizes and every Krylov check. stdout, the
// JSON, is the same either way.
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { gpuBackendDetails } from '../src/cli/engine.ts';
import { Progress } from '../src/cli/progress.ts';
import type { GpuBackend } from '../src/engine/backend.ts';
import type { GpuContext } from '../src/gpu/device.ts';
import type { DeviceProfile } from '../src/gpu/profile.ts';
import { rowsPerChunk } from '../src/kernels/matvec-free.ts';
import { useCliBundle } from './helpers/cli-bundle.ts';

// Not quiet: what a run prints on stderr, its progress included, is what these tests read.
const harness = useCliBundle('verbose', { quiet: false });

function cli(args: string[]) {
  const run = harness.cli(...args);
  expect(run.status, run.stderr).toBe(0);
  return { stdout: run.stdout, lines: run.stderr.split('\n').filter((line) => line !== '') };
}

/** What a default run may print on stderr: the adapter notice and the run's progress. */
const kDefaultLines = [
  /^darwin-breit: no GPU adapter found; using the SwiftShader software adapter$/,
  /^setting up M on the GPU \(.*\): \d+ unknowns, matrix (auto: the (dense M|matrix-free product) \(.+\)|dense|free)$/,
  /^assembling M on the CPU: \d+ x \d+ float64 \(.* MB\)$/,
  /^check: assembling the float64 reference \(\d+ x \d+\)$/,
  /^check: momenta \S+, velocities \S+, interaction \S+, darwin \S+$/,
  /^check: lambda_min \S+, lambda_max \S+$/,
  // The spectrum's default --tol, 1e-10, is past what its refined float32 Ritz vectors' residuals meet.
  /^warning: the float64 refinement fell short of --tol \(diverged_refinement\): /,
  /^iteration \d+: relative residual \S+$/,
  /^Lanczos step \d+: \[\S+, \S+\]$/,
  /^float64 check: iteration \d+: relative residual \S+$/,
  /^float64 check: Lanczos step \d+: \[\S+, \S+\]$/,
  /^product: chunk \d+ of \d+(, ~\d+ s left)?$/,
];

const kDetails = {
  adapter: /^adapter: .*\); features: /,
  limits: /^limits: storage binding \d+ B, buffer \d+ B, workgroups per dimension \d+/,
  memory: /^memory: .*: [\d.]+ GB$/,
  profile: /^profile: (CPU adapter \(\d+ threads\)|GPU), dense matvec '(rows|workgroup|subgroup)'/,
  matrix: /^matrix: (dense|free); memory: /,
  step: /^Krylov steps '(fused|split)', k = \d+ iterations per readback$/,
};

const withoutTiming = (json: string) => ({ ...JSON.parse(json), timing_ms: null });

describe('--verbose', () => {
  test.each([
    [
      'solve, dense',
      ['solve', '--geometry', 'sphere', '--n', '200', '--epsilon', '0.05', '--velocity', 'random'],
    ],
    ['spectrum, ring', ['spectrum', '--geometry', 'ring', '--n', '16', '--epsilon', '0.1']],
  ])('%s on the GPU: default stderr unchanged, --verbose adds the details', (_, args) => {
    const plain = cli([...args, '--json']);
    for (const line of plain.lines)
      expect(
        kDefaultLines.some((pattern) => pattern.test(line)),
        line,
      ).toBe(true);
    expect(plain.lines[0]).toMatch(kDefaultLines[0]);
    const verbose = cli([...args, '--json', '--verbose']);
    for (const [name, pattern] of Object.entries(kDetails))
      expect(
        verbose.lines.filter((line) => pattern.test(line)),
        name,
      ).toHaveLength(1);
    // Every Krylov check is a line of its own: at least as many as the default's throttled ones.
    const checks = (lines: string[]) => lines.filter((line) => /^(iteration|Lanczos step) \d+/.test(line));
    expect(checks(verbose.lines).length).toBeGreaterThan(1);
    expect(checks(verbose.lines).length).toBeGreaterThanOrEqual(checks(plain.lines).length);
    expect(withoutTiming(verbose.stdout)).toEqual(withoutTiming(plain.stdout));
  });

  test('matrix-free: the product chunks and k = 1 are told', () => {
    const args = ['solve', '--geometry', 'ball', '--n', '8000', '--epsilon', '1e-3', '--velocity', 'rigid'];
    const { lines } = cli([...args, '--matrix', 'free', '--no-check', '--json', '--verbose']);
    // The positions, 16 bytes an electron, and 24 vectors of 24000 floats (freeAllocation).
    expect(lines).toContain(
      'matrix: free; memory: 2.43 MB (positions 0.128 MB, vectors 2.30 MB), entries recomputed per product',
    );
    // 2^22 pairs per chunk and host thread on a CPU adapter, in workgroups of 512 electrons (64
    // threads of eight, the 'blocked' variant), as many for each thread: 16 chunks of one workgroup
    // on one thread, 8 of two on two, 4 of four on four.
    const threads = availableParallelism();
    const pairs = 2 ** 22 * threads;
    const rows = rowsPerChunk(8000, pairs, 512, threads);
    expect(rows % (512 * threads)).toBe(0);
    expect(lines).toContain(
      `product chunks: ${Math.ceil(8000 / rows)} of ${rows} electrons, ${rows * 8000} pairs each ` +
        `(a budget of ${pairs} on a CPU adapter)`,
    );
    // Several chunks: the solve submits them one by one, one iteration per readback.
    expect(Math.ceil(8000 / rows)).toBeGreaterThan(1);
    expect(lines).toContain("Krylov steps 'fused', k = 1 iterations per readback");
  });

  test("one product (solve --velocities) is sized by its own vectors: 4, not a solve's 24", () => {
    const velocities = join(harness.dir, 'v.csv');
    writeFileSync(velocities, 'vx,vy,vz\n' + '1,0,0\n'.repeat(8000));
    const args = [
      'solve',
      '--geometry',
      'ball',
      '--n',
      '8000',
      '--epsilon',
      '1e-3',
      '--velocities',
      velocities,
    ];
    const { lines } = cli([...args, '--matrix', 'free', '--no-check', '--json', '--verbose']);
    // The positions, 16 bytes an electron, and 4 vectors of 24000 floats.
    expect(lines).toContain(
      'matrix: free; memory: 0.512 MB (positions 0.128 MB, vectors 0.384 MB), entries recomputed per product',
    );
  });

  test("a CG solve that refines is sized by MINRES's vectors, which its corrections may go on by", () => {
    const args = ['solve', '--geometry', 'ball', '--n', '1000', '--epsilon', '1e-3', '--velocity', 'rigid'];
    const memory = (tol: string[]) =>
      cli([
        ...args,
        '--solver',
        'cg',
        ...tol,
        '--matrix',
        'free',
        '--no-check',
        '--json',
        '--verbose',
      ]).lines.find((line) => line.startsWith('matrix: free; memory: '));
    // The positions, 16 bytes an electron, and 12 vectors of 3000 floats (CG's), or 24 (MINRES's).
    expect(memory([])).toMatch(
      /^matrix: free; memory: [\d.]+ MB \(positions 0\.0160 MB, vectors 0\.144 MB\)/,
    );
    expect(memory(['--tol', '1e-10'])).toMatch(/\(positions 0\.0160 MB, vectors 0\.288 MB\)/);
  });

  test('at large N a chunk holds more than its budget, and the line says how many pairs and why', () => {
    const details = (n: number, profile: Partial<DeviceProfile>) =>
      gpuBackendDetails(
        { profile: { fusedStepMaxSize: 0, ...profile } } as GpuContext,
        {
          system: { configuration: { n }, model: 'vector', dim: 3 },
          matrix: 'free',
          checkEvery: 1,
        } as GpuBackend,
      );
    // A CPU adapter of 2 threads: 2^23 pairs asked, two workgroups of 512 electrons given, 10^9 pairs.
    expect(details(1e6, { runsOnCpu: true, cpuThreads: 2, matvecFree: 'blocked' })).toContain(
      'product chunks: 977 of 1024 electrons, 1024000000 pairs each (a budget of 8388608 on a CPU adapter; ' +
        'exceeded at this N: a chunk holds one workgroup of 512 electrons per host thread at least, a ' +
        'product 8192 chunks at most)',
    );
    // A GPU at 10^7: at most 8192 chunks, so 20 workgroups of 64 electrons, 12 times the budget.
    expect(details(1e7, { runsOnCpu: false, cpuThreads: 1, matvecFree: 'thread' })).toContain(
      'product chunks: 7813 of 1280 electrons, 12800000000 pairs each (a budget of 1073741824 on a GPU; ' +
        'exceeded at this N: a chunk holds one workgroup of 64 electrons at least, a product 8192 chunks at most)',
    );
  });

  test("the check's float64 assembly and solve in its worker thread show their chunks and iterations, as --device cpu's do", () => {
    // 3000 electrons in the azimuthal model: 4.5 * 10^6 pairs, five chunks of 10^6.
    const args = ['solve', '--geometry', 'ring', '--n', '3000', '--model', 'azimuthal', '--epsilon', '1e-3'];
    const { lines } = cli([...args, '--velocity', 'rigid', '--check', '--json', '--verbose']);
    const from = lines.indexOf('check: assembling the float64 reference (3000 x 3000)');
    expect(from).toBeGreaterThan(0);
    const chunks = lines.slice(from + 1, from + 6).map((line) => line.replace(/, ~\d+ s left$/, ''));
    expect(chunks).toEqual([1, 2, 3, 4, 5].map((done) => `assembly: chunk ${done} of 5`));
    // The reference solve's iterations, its first at once and then a few a second, until the check.
    const to = lines.findIndex((line) => line.startsWith('check: momenta'));
    expect(lines[to]).toMatch(/^check: momenta \S+, velocities \S+, interaction \S+, darwin \S+$/);
    const iterations = lines.slice(from + 6, to);
    expect(iterations[0]).toMatch(/^float64 check: iteration 1: relative residual \S+$/);
    for (const line of iterations)
      expect(line).toMatch(/^float64 check: iteration \d+: relative residual \S+$/);
  });

  test("a solve's iterations show ||r|| / ||p||, the residual --tol is held to, ending on the summary's", () => {
    // ||p|| = 17.9 here: ||r|| itself ended at 1.2e-7, over the tol 1e-8 the solve had met.
    const args = ['solve', '--geometry', 'sphere', '--n', '200', '--epsilon', '1e-2', '--velocity', 'rigid'];
    const { stdout, lines } = cli([...args, '--device', 'cpu', '--json', '--verbose']);
    const summary = JSON.parse(stdout);
    const last = lines.filter((line) => line.startsWith('iteration ')).at(-1);
    expect(last).toBe(
      `iteration ${summary.iterations}: relative residual ${summary.relative_residual.toExponential(3)}`,
    );
    expect(summary.relative_residual).toBeLessThan(1e-8);
  });

  test('--device cpu: the memory estimate; every command accepts the flag', () => {
    const args = ['solve', '--geometry', 'sphere', '--n', '100', '--epsilon', '0.01', '--velocity', 'rigid'];
    const { lines } = cli([...args, '--device', 'cpu', '--json', '--verbose']);
    expect(
      lines.filter((line) => /^memory: the CPU reference takes [\d.]+ MB of [\d.]+ GB free$/.test(line)),
    ).toHaveLength(1);
    expect(cli([...args, '--device', 'cpu', '--json']).lines.some((line) => line.startsWith('memory:'))).toBe(
      false,
    );
    expect(cli(['larmor', '--json', '--verbose']).stdout).toMatch(/^\{/);
  });

  test("--device cpu --matrix tree: the tree build's stages, its time and each product's passes", () => {
    // A response point and a solve on the CPU tree sat minutes silent at 10^5 electrons: the build
    // and the products until the solver's first report.
    const onTree = [
      '--geometry',
      'ball',
      '--n',
      '3000',
      '--device',
      'cpu',
      '--matrix',
      'tree',
      '--json',
      '--verbose',
    ];
    // The sweep's point and its time so far, which the machine's speed sets, left off.
    const response = cli(['response', ...onTree, '--n-epsilon', '1']).lines.map((line) =>
      line.replace(/^point 1 of 1, [^:]* elapsed: /, ''),
    );
    const stages = [
      'building the tree on the CPU: 9000 unknowns, tolerance 0.00001',
      'building the tree on the CPU: splitting 3000 electrons into leaves of at most 64',
      'building the tree on the CPU: expansion tables of order 11',
      'building the tree on the CPU: interaction lists of 127 nodes (opening angle 0.4)',
      "building the tree on the CPU: the product's workspace for 127 nodes",
    ];
    const start = response.indexOf(stages[0]);
    expect(start, response.join('\n')).toBeGreaterThan(0);
    expect(response.slice(start, start + stages.length)).toEqual(stages);
    const built = response[start + stages.length];
    expect(built).toMatch(/^built the tree in \d+\.\d s$/);
    // A ball of 3000 in leaves of 64 has few nodes far enough apart: the tree sums every pair
    // directly, which one warning says (treeWorkWarning), logged under that status.
    expect(response[start + stages.length + 1]).toMatch(
      /^warning: the tree sums 100% of the pairs directly \(.*\) because of the configuration: .*--matrix dense/,
    );
    // Before the first CG iteration's report, the first product's passes.
    expect(response.slice(start + stages.length + 2, start + stages.length + 6)).toEqual(
      ['upward pass', 'downward pass', 'near field', 'far field at the electrons'].map(
        (pass) => `product: ${pass}`,
      ),
    );
    const solve = cli(['solve', ...onTree, '--epsilon', '1e-3', '--velocity', 'rigid', '--no-check']).lines;
    expect(solve.slice(solve.indexOf(stages[0]), solve.indexOf(stages[0]) + stages.length)).toEqual(stages);
    const passes = solve.filter((line) =>
      /^iteration \d+: relative residual \S+; product: near field$/.test(line),
    );
    expect(passes.length).toBeGreaterThan(1);
  });
});

describe('Progress', () => {
  test('a chunk line carries the status it belongs to, until a lasting line ends that status', () => {
    const lines: string[] = [];
    const progress = new Progress({ sink: { write: (text) => lines.push(text) }, intervalMs: 0 });
    progress.within('product: chunk 1 of 10');
    progress.update('iteration 3: residual 1.2e-3');
    progress.within('product: chunk 4 of 10, ~2 s left');
    progress.log('check: momenta 1e-8');
    progress.within('product: chunk 5 of 10');
    expect(lines).toEqual([
      'product: chunk 1 of 10\n',
      'iteration 3: residual 1.2e-3\n',
      'iteration 3: residual 1.2e-3; product: chunk 4 of 10, ~2 s left\n',
      'check: momenta 1e-8\n',
      'product: chunk 5 of 10\n',
    ]);
  });

  test('verbose: every update a line, details shown; without it, details are silent', () => {
    for (const verbose of [false, true]) {
      const lines: string[] = [];
      let clock = 0;
      const progress = new Progress({
        sink: { write: (text) => lines.push(text) },
        now: () => clock,
        verbose,
      });
      progress.detail('limits: …');
      progress.update('iteration 1');
      clock = 10;
      progress.update('iteration 2');
      expect(lines).toEqual(verbose ? ['limits: …\n', 'iteration 1\n', 'iteration 2\n'] : ['iteration 1\n']);
    }
  });
});
