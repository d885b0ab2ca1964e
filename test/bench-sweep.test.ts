// `bench --only` and the response_sweep row (issue 11's "Speed": a sweep of six N r_e/R at one N on
// one backend, about one assembly, the solves and a Lanczos run), as a user runs them. A benchmark,
// not a test of speed: the rows, their bookkeeping and the warm starts' iteration counts are
// asserted, no time.
import { describe, expect, test } from 'vitest';
import { expectUserErrorRun, useCliBundle } from './helpers/cli-bundle.ts';

const { cli } = useCliBundle('bench-sweep');

function bench(...args: string[]) {
  return cli('bench', ...args);
}

interface SweepRow {
  name: string;
  variant?: string;
  n: number;
  ms: number;
  iterations: number;
  assembly_ms: number;
  solves_ms: number;
  lanczos_ms: number;
  solves: number;
  ratio_to_parts: number;
}

describe('bench --only response_sweep', () => {
  test('warm and cold sweeps of the six default N r_e/R: their parts and the ratio to them', () => {
    const run = bench('--n', '64', '--only', 'response_sweep', '--json');
    expect(run.status, run.stderr).toBe(0);
    const rows = JSON.parse(run.stdout).kernels as SweepRow[];
    expect(rows.map((r) => `${r.name}:${r.variant}`)).toEqual([
      'response_sweep:dense/warm',
      'response_sweep:dense/cold',
    ]);
    for (const r of rows) {
      expect(r.n).toBe(64);
      expect(r.solves).toBe(6);
      expect(r.assembly_ms).toBeGreaterThan(0);
      expect(r.solves_ms).toBeGreaterThan(0);
      // At N r_e/R = 30 the sphere of 64 has pairs within 4 r_e: m_indefinite's Lanczos run is timed.
      expect(r.lanczos_ms).toBeGreaterThan(0);
      // The parts are inside the total.
      const parts = r.assembly_ms + r.solves_ms + r.lanczos_ms;
      expect(parts).toBeLessThanOrEqual(r.ms);
      expect(r.ratio_to_parts).toBeCloseTo(r.ms / parts, 12);
    }
    const [warm, cold] = rows;
    expect(warm.iterations).toBeLessThan(cold.iterations);
  }, 120_000);

  test('--only names rows; another name is one error line, exit 2', () => {
    const run = bench('--n', '16', '--repeats', '1', '--only', 'copy,cg_solve', '--json');
    expect(run.status, run.stderr).toBe(0);
    const rows = JSON.parse(run.stdout).kernels as { name: string }[];
    expect(rows.map((r) => r.name)).toEqual(['copy', 'cg_solve']);

    expectUserErrorRun(
      bench('--only', 'copy,sweep'),
      /--only takes copy\|fill\|.*\|response_sweep, got 'sweep'/,
    );
  }, 120_000);
});
