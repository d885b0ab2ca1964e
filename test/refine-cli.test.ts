// `solve --tol` below 1e-6 on the GPU as a user runs it: the spawned CLI refines (src/run/refine.ts)
// and says so in `refinement_steps`; at the GPU's default tolerance and on the CPU it does not.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { geometry } from '../src/physics/geometry.ts';
import { useCliBundle } from './helpers/cli-bundle.ts';

// Not quiet: a quiet run drops the warnings these runs must give, or must not, with its progress.
const { cli, dir } = useCliBundle('refine-cli', { quiet: false });

function solveJson(...args: string[]): Record<string, unknown> {
  const run = cli(
    'solve',
    '--geometry',
    'sphere',
    '--n',
    '50',
    '--epsilon',
    '0.05',
    '--velocity',
    'random',
    ...args,
    '--json',
  );
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

describe('solve --tol on the GPU', () => {
  it('--tol 1e-10: refined, the float64 residual <= 1e-10 and the check <= 1e-9', () => {
    const out = solveJson('--tol', '1e-10', '--check');
    expect(out).toMatchObject({ converged: true, reason: 'converged_rtol' });
    expect(out.refinement_steps).toBeGreaterThanOrEqual(1);
    expect(out.refinement_steps).toBeLessThanOrEqual(4);
    expect(out.true_relative_residual).toBeLessThanOrEqual(1e-10);
    const check = out.check as { max_relative_error: number; targets: Record<string, number> };
    expect(check.max_relative_error).toBeLessThanOrEqual(1e-9);
    expect(check.targets).toEqual({ momenta: 1e-12, residual: 1e-9, interaction: 1e-12 });
  });

  it('near the indefinite threshold (cond 6451): held to its float64 residual, the velocities given beside', () => {
    // A ring of 100 at eps = 0.0453 (threshold 0.0453451): NumPy's float64 solve of this p gives the
    // residual 1.43e-11 and the velocities 1.67e-9 off np.linalg.solve's, within cond(M) tol = 6.5e-7
    // but past 10 tol: velocities held to 10 tol would report this correct solve past its target.
    const run = cli(
      ...['solve', '--geometry', 'ring', '--n', '100', '--epsilon', '0.0453', '--velocity', 'random'],
      ...['--tol', '1e-10', '--max-iter', '3000', '--json'],
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).not.toMatch(/warning/);
    const out = JSON.parse(run.stdout) as {
      true_relative_residual: number;
      check: {
        residual: number;
        velocities: number;
        targets: Record<string, number>;
        within_target: boolean;
      };
    };
    const { check } = out;
    expect(check.residual).toBe(out.true_relative_residual);
    expect(check.residual).toBeGreaterThan(1e-12);
    expect(check.residual).toBeLessThan(1e-10);
    expect(check.velocities).toBeGreaterThan(1e-9);
    expect(check.velocities).toBeLessThan(6.5e-7);
    expect(check.targets).toEqual({ momenta: 1e-12, residual: 1e-9, interaction: 1e-12 });
    expect(check.within_target).toBe(true);
  });

  it('the default tolerance (1e-6) and the CPU at 1e-10: no refinement', () => {
    const gpu = solveJson('--check');
    expect(gpu.refinement_steps).toBe(0);
    // float32's targets at N = 50: momenta 3 sqrt(50) 2^-24 = 1.26e-6, the velocities ten times it.
    const rounding = 3 * Math.sqrt(50) * 2 ** -24;
    expect((gpu.check as { targets: unknown }).targets).toEqual({
      momenta: rounding,
      velocities: 10 * rounding,
      interaction: 1e-5,
    });
    expect(solveJson('--device', 'cpu', '--tol', '1e-10').refinement_steps).toBe(0);
  });
});

describe("a body float32's coordinates cannot resolve, on the GPU", () => {
  it('two lumps 10 R apart: past the targets with the remedy; --tol 1e-7 forms p in float64', () => {
    // Two balls of 150 electrons of radius 1e-3, at 0 and 10 R: float32's spacing at 10 (1e-6) is
    // 1e-3 of the far lump's spacings, and its share of eps T v is off by about that (eps = 1e-5
    // keeps M well conditioned, and the momenta within their target).
    const ball = geometry('ball', 150).positions;
    const rows = [0, 10].flatMap((x) =>
      Array.from(
        { length: 150 },
        (_, i) => `${x + 1e-3 * ball[3 * i]},${1e-3 * ball[3 * i + 1]},${1e-3 * ball[3 * i + 2]}`,
      ),
    );
    const csv = join(dir, 'two_lumps.csv');
    writeFileSync(csv, ['x,y,z', ...rows, ''].join('\n'));
    const run = (...args: string[]) =>
      cli('solve', '--positions', csv, '--epsilon', '1e-5', '--velocity', 'random', ...args);
    const float32 = run('--matrix', 'dense');
    expect(float32.status, float32.stderr).toBe(0);
    expect(float32.stderr).toMatch(
      /^warning: the float64 check is past its target: .*interaction [\d.e-]+ > interaction target .*; ask --tol below 1e-6, which forms p = M v with the float64 product and refines v in float64, or use --device cpu$/m,
    );
    const refined = run('--matrix', 'dense', '--tol', '1e-7', '--json');
    expect(refined.status, refined.stderr).toBe(0);
    expect(refined.stderr).not.toMatch(/warning/);
    const check = (JSON.parse(refined.stdout) as { check: { momenta: number; within_target: boolean } })
      .check;
    expect(check.within_target).toBe(true);
    expect(check.momenta).toBeLessThan(1e-12);
  });

  it('a singular M refined: diverged_singular and its remedy, the residual measured but not held', () => {
    // Two electrons at x = +-1 at eps = 2: M's x-x block is [[1, 1], [1, 1]] (test/solvers.test.ts),
    // and p's x-part (1, -1) lies along its null vector, so no v has a residual below
    // ||(1, -1)|| / ||p|| = sqrt(2 / 2.29) = 0.9345 and the CPU's float64 solve is diverged_singular
    // too. auto's CG overflows on that vector (MINRES takes over); the first inner step solves the
    // y-part and leaves the x-part.
    const positions = join(dir, 'pair.csv');
    const momenta = join(dir, 'p.csv');
    writeFileSync(positions, 'x,y,z\n1,0,0\n-1,0,0\n');
    writeFileSync(momenta, 'px,py,pz\n1,0.5,0\n-1,0.2,0\n');
    const run = cli(
      ...['solve', '--positions', positions, '--momenta', momenta, '--epsilon', '2'],
      ...['--tol', '1e-10', '--json'],
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(
      /^warning: the solve did not converge \(diverged_singular after \d+ iterations\): M is singular or nearly so along p, .*; where it is not that near, cond\(M\) is past float32's refinement: use --device cpu$/m,
    );
    expect(run.stderr).not.toMatch(/past its target|diverged_refinement|overflowed/);
    const out = JSON.parse(run.stdout) as {
      reason: string;
      switched_from: string | null;
      refinement_steps: number;
      true_relative_residual: number;
      check: { residual: number; targets: Record<string, number>; within_target: boolean | null };
    };
    expect(out).toMatchObject({ reason: 'diverged_singular', switched_from: 'cg', refinement_steps: 1 });
    expect(out.true_relative_residual).toBeCloseTo(Math.sqrt(2 / 2.29), 6);
    expect(out.check.residual).toBeCloseTo(Math.sqrt(2 / 2.29), 6);
    expect(out.check.targets).not.toHaveProperty('residual');
    // The products' verdict (the interaction part, within float64's rounding).
    expect(out.check.within_target).toBe(true);
  });
});
