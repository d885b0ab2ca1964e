// The CPU side of issue 11's "Speed": M = D + eps T with T kept and eps changed by setEpsilon
// (src/run/backend.ts cpuBackend), and warm starts of CG and MINRES (SolveOptions.x0), both of which
// the response sweep uses. The GPU side is in gpu-engine.test.ts and gpu-kernels.test.ts.
import { describe, expect, it } from 'vitest';
import { geometry } from '../src/physics/geometry.ts';
import { massDiagonal, unknowns, type DarwinSystem } from '../src/physics/models.ts';
import { cpuBackend, interactionMatrix, massMatrix, splitMassMatrix } from '../src/run/backend.ts';
import { applyMassMatrix } from '../src/solvers/dense.ts';
import { expectNormwiseClose, randomVector } from './helpers/compare.ts';

const sphere = (epsilon: number): DarwinSystem => ({
  configuration: geometry('sphere', 40),
  model: 'vector',
  dim: 3,
  epsilon,
  softening: 0,
});
const annulus = (epsilon: number): DarwinSystem => ({
  configuration: geometry('annulus', 40),
  model: 'azimuthal',
  dim: 2,
  epsilon,
  softening: 0.05,
});

describe('M = D + eps T kept apart', () => {
  for (const system of [sphere(0.07), annulus(0.07)]) {
    it(`${system.model}: T is M's off-diagonal part at eps = 1, D its diagonal`, () => {
      const size = unknowns(system);
      const m = massMatrix(system).data;
      const t = interactionMatrix(system).data;
      const d = massDiagonal(system);
      let worst = 0;
      for (let row = 0; row < size; row++) {
        for (let col = 0; col < size; col++) {
          const expected = row === col ? d[row] : m[row * size + col];
          const got = (row === col ? d[row] : 0) + system.epsilon * t[row * size + col];
          worst = Math.max(worst, Math.abs(got - expected));
        }
      }
      // eps T_ij rounded once either way.
      expect(worst).toBeLessThanOrEqual(1e-16 * Math.max(...m.map(Math.abs)));
      expect(splitMassMatrix(system).diagonal()).toEqual(d);
    });
  }

  for (const precision of ['float64', 'float32'] as const) {
    it(`${precision}: setEpsilon gives a fresh backend's products, solves and spectrum exactly`, async () => {
      const moved = cpuBackend(annulus(0.02), precision);
      const fresh = cpuBackend(annulus(0.09), precision);
      moved.setEpsilon(0.09);
      expect(moved.system.epsilon).toBe(0.09);
      const v = randomVector(40, 3);
      expect(Array.from(await moved.momenta(v))).toEqual(Array.from(await fresh.momenta(v)));
      const p = applyMassMatrix(massMatrix(annulus(0.09)), v);
      for (const solver of ['cg', 'minres'] as const) {
        const got = await moved.velocities(p, solver);
        const want = await fresh.velocities(p, solver);
        expect(got.iterations).toBe(want.iterations);
        expect(Array.from(got.x)).toEqual(Array.from(want.x));
      }
      const spectrum = await moved.spectrum({ seed: 5 });
      expect(spectrum).toEqual(await fresh.spectrum({ seed: 5 }));
      expect(spectrum.nEpsilon).toBeCloseTo(40 * 0.09, 12);
      moved.dispose();
      fresh.dispose();
      expect(() => moved.setEpsilon(0.1)).toThrow(/after dispose/);
    });
  }
});

describe('warm starts (SolveOptions.x0): the stopping rule on r = b - M x0', () => {
  for (const solver of ['cg', 'minres'] as const) {
    it(`${solver}: from the solution, 0 iterations; from the previous eps, fewer, same answer`, async () => {
      const backend = cpuBackend(sphere(0.1));
      const v = randomVector(120, 9);
      const p = await backend.momenta(v);
      const exact = await backend.velocities(p, solver, { x0: v });
      expect(exact.iterations).toBe(0);
      expect(exact.converged).toBe(true);

      const previous = (await backend.velocities(p, solver)).x;
      backend.setEpsilon(0.12);
      const cold = await backend.velocities(p, solver);
      const warm = await backend.velocities(p, solver, { x0: previous });
      expect(warm.converged && cold.converged).toBe(true);
      expect(warm.iterations).toBeLessThan(cold.iterations);
      expect(warm.trueRelativeResidual).toBeLessThanOrEqual(1e-8);
      expectNormwiseClose('warm against cold', warm.x, cold.x, 1e-7);
    });
  }
});
