// `solve --tol` below 1e-6 on the GPU as a user runs it: the spawned CLI refines (src/run/refine.ts)
// and says so in `refinement_steps`; at the GPU's default tolerance and on the CPU it does not.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCliBundle, runCli } from './helpers/cli-bundle.ts';

let bundle: string;

beforeAll(() => {
  bundle = buildCliBundle('refine-cli');
}, 120_000);

function solveJson(...args: string[]): Record<string, unknown> {
  const run = runCli(bundle, [
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
  ]);
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
    expect(check.targets).toEqual({ momenta: 1e-12, velocities: 1e-9, interaction: 1e-12 });
  });

  it('the default tolerance (1e-6) and the CPU at 1e-10: no refinement', () => {
    const gpu = solveJson('--check');
    expect(gpu.refinement_steps).toBe(0);
    expect((gpu.check as { targets: unknown }).targets).toEqual({
      momenta: 1e-6,
      velocities: 1e-5,
      interaction: 1e-5,
    });
    expect(solveJson('--device', 'cpu', '--tol', '1e-10').refinement_steps).toBe(0);
  });
});
