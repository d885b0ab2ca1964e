// bench's repeat loops, in process: a stop asked for while a row repeats ends the command with
// Interrupted before the next repeat runs (the products counted where they are recorded or run), or
// at the next report of response_sweep's sweep, on the GPU and the CPU; the tree's row and
// matvec_free's come from the same alternating runs; and past the CPU's pair bound matvec_free is
// refused while the tree runs without it.
import { afterEach, describe, expect, test, vi } from 'vitest';
import { benchCommand, type BenchRow } from '../src/cli/commands/bench.ts';
import { benchCpu, checkCpuBenchFits, kCpuMaxPairs } from '../src/cli/commands/bench-cpu.ts';
import { Interrupted, Progress } from '../src/cli/progress.ts';
import { GpuMatrixFreeMassMatrix } from '../src/kernels/matvec-free.ts';
import { GpuTreeMassMatrix } from '../src/kernels/tree.ts';
import { WorkerPool } from '../src/parallel/pool.ts';
import { massFreeRows } from '../src/physics/models.ts';
import { stoppingProgress } from './helpers/progress.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

const memory = { source: 'the test budget', availableBytes: () => 2 ** 40 };

describe('a stop between repeats', () => {
  test('--device cpu: asked during repeat 1 of 3 of matvec_free, the run ends before repeat 2', async () => {
    // On 3 threads the free product is one pool run of massFreeRows.
    const run = vi.spyOn(WorkerPool.prototype, 'run');
    const freeProducts = () => run.mock.calls.filter(([kernel]) => kernel === massFreeRows).length;
    let atStop = -1;
    const { progress, lines } = stoppingProgress(/matrix-free matvec; repeat 1 of 3/, () => {
      atStop = freeProducts();
    });
    const argv = [
      '--device',
      'cpu',
      '--threads',
      '3',
      '--n',
      '300',
      '--only',
      'matvec_free',
      '--repeats',
      '3',
    ];
    const stopped = benchCommand(argv, progress);
    await expect(stopped).rejects.toBeInstanceOf(Interrupted);
    await expect(stopped).rejects.toMatchObject({ signal: 'SIGINT' });
    // The warm-up before the report, repeat 1 after it, and nothing of repeats 2 and 3.
    expect(atStop).toBe(1);
    expect(freeProducts()).toBe(2);
    expect(lines.at(-1)).toBe('n = 300 (3 threads): matrix-free matvec; repeat 1 of 3\n');
  });

  test('GPU: asked during repeat 1 of 3 of the tree beside matvec_free, the run ends before repeat 2', async () => {
    const free = vi.spyOn(GpuMatrixFreeMassMatrix.prototype, 'record');
    const tree = vi.spyOn(GpuTreeMassMatrix.prototype, 'record');
    const recorded = () => [free.mock.calls.length, tree.mock.calls.length];
    let atStop: number[] = [];
    const { progress, lines } = stoppingProgress(/beside the matrix-free one; repeat 1 of 3/, () => {
      atStop = recorded();
    });
    const argv = ['--n', '64', '--only', 'matvec_free,matvec_tree', '--repeats', '3'];
    await expect(benchCommand(argv, progress)).rejects.toBeInstanceOf(Interrupted);
    // Repeat 1 alone after the report: each product once untimed (warmEach), once timed.
    const [freeAtStop, treeAtStop] = atStop;
    expect(recorded()).toEqual([freeAtStop + 2, treeAtStop + 2]);
    expect(lines.at(-1)).toBe('n = 64: tree matvec beside the matrix-free one; repeat 1 of 3\n');
  }, 120_000);

  test("GPU: asked during response_sweep's second point, the run ends at the sweep's next report", async () => {
    const { progress, lines } = stoppingProgress(/N r_e\/R = 0\.3000\n$/);
    const argv = ['--n', '64', '--only', 'response_sweep'];
    await expect(benchCommand(argv, progress)).rejects.toBeInstanceOf(Interrupted);
    // The first point's solve reported, the second's start the last line: its first CG report is the
    // stop, and no cold-start sweep follows.
    const row = 'n = 64: response sweep (warm starts)';
    const point = (x: string) => `${row}; response: N = 64, N r_e/R = ${x}`;
    const sweep = lines.filter((line) => line.startsWith(row));
    expect(sweep.slice(0, 2)).toEqual([`${row}\n`, `${point('0.1000')}\n`]);
    for (const line of sweep.slice(2, -1))
      expect(line).toMatch(/0\.1000, CG iteration \d+: relative residual /);
    expect(lines.at(-1)).toBe(`${point('0.3000')}\n`);
  }, 120_000);
});

describe("the tree's row beside matvec_free's", () => {
  test('--device cpu: both ms and the speed-up are of the same alternating runs', async () => {
    const argv = ['--device', 'cpu', '--n', '1000', '--only', 'matvec_free,matvec_tree', '--repeats', '1'];
    const output = await benchCommand([...argv, '--json'], new Progress({ quiet: true }));
    const [free, tree, ...others] = (output.summary as { kernels: BenchRow[] }).kernels;
    expect(others).toEqual([]);
    expect([free.name, tree.name]).toEqual(['matvec_free', 'matvec_tree']);
    expect(free.ginteractions).toBeCloseTo((1000 * 1000) / (free.ms * 1e-3) / 1e9, 9);
    // One round: its two samples are the two rows' ms, and the speed-up is their quotient.
    expect(tree.speedup).toBeCloseTo(free.ms / tree.ms, 12);
    expect(tree.relative_error).toBeLessThanOrEqual(1e-5);
  }, 60_000);
});

describe("--device cpu past the pair bound (kCpuMaxPairs, lowered here to N = 300's)", () => {
  const options = { sizes: [300], model: 'vector', dim: 3, repeats: 2, threads: 3 } as const;
  const maxPairs = 300 * 300 - 1;

  test('the bound is 10^13 pairs: N = 3 162 277 is under it, the next N past it', () => {
    expect(kCpuMaxPairs).toBe(1e13);
    const free = { ...options, only: new Set(['matvec_free'] as const) };
    expect(() => checkCpuBenchFits({ ...free, sizes: [3162277] }, memory)).not.toThrow();
    expect(() => checkCpuBenchFits({ ...free, sizes: [64, 3162278] }, memory)).toThrow(
      /^bench --device cpu --n 3162278: matvec_free needs 1\.0e\+13 pairs a product in float64, past the CPU bench's 1e\+13 \(hours a product on any CPU\); --only matvec_tree leaves it out/,
    );
  });

  test('matvec_free is refused before anything runs; matvec_tree runs without it, and says so', () => {
    const run = vi.spyOn(WorkerPool.prototype, 'run');
    const lines: string[] = [];
    const progress = new Progress({ verbose: true, sink: { write: (text) => lines.push(text) } });
    expect(() =>
      benchCpu({ ...options, maxPairs, only: new Set(['matvec_free', 'matvec_tree']) }, memory, progress),
    ).toThrow(
      /^bench --device cpu --n 300: matvec_free needs 9\.0e\+4 pairs a product in float64, past the CPU bench's 8\.9999e\+4 /,
    );
    expect(run).not.toHaveBeenCalled();
    expect(lines).toEqual([]);

    const [tree, ...others] = benchCpu(
      { ...options, maxPairs, only: new Set(['matvec_tree']) },
      memory,
      progress,
    );
    expect(others).toEqual([]);
    expect(run.mock.calls.filter(([kernel]) => kernel === massFreeRows)).toEqual([]);
    const note = 'no matvec_free beside it: 9.0e+4 pairs a product, past the 8.9999e+4 of the CPU bench';
    expect(tree).toMatchObject({ name: 'matvec_tree', n: 300, note });
    expect(tree.ms).toBeGreaterThan(0);
    expect(tree.direct_pairs).toBeGreaterThan(0);
    expect(tree.asymmetry).toBeGreaterThan(0);
    for (const field of ['relative_error', 'speedup', 'free_asymmetry'])
      expect(tree).not.toHaveProperty(field);
    expect(lines).toContain(`n = 300 (3 threads): matvec_tree: ${note}\n`);
  });
});
