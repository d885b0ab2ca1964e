// The Darwin energy and inertia_ratio - 1 at macroscopic radii (eps = r_e/R tiny), where p = D v + eps T v
// holds eps T v only to 2^-53 |D v|: formed from p, a sphere of 1000 at R = 1 km would have darwin 41%
// off, at R = 1 m 9.3e-4, at R = 1 mm 3.4e-6, and a check of p - p64 (each cancelling in float64) a
// spurious 1.25e-5 at R = 1 m. Each product's own eps T v gives them to float64's precision.
import { describe, expect, test } from 'vitest';
import { epsilonFromRadius } from '../src/physics/constants.ts';
import { massDiagonal, type DarwinSystem } from '../src/physics/models.ts';
import { relativeError } from '../src/physics/observables.ts';
import { velocityPattern } from '../src/physics/velocities.ts';
import { dot } from '../src/math/vectors.ts';
import { cpuBackend, cpuTreeBackend, type MassMatrixBackend } from '../src/run/backend.ts';
import { runSolve, type SolveReport } from '../src/run/solve.ts';
import { darwinPairSum, darwinSystem, momentaRequest } from './helpers/systems.ts';

const kRadii = [1e-3, 1, 1e3];
const sphereAt = (radiusMetres: number): DarwinSystem =>
  darwinSystem('sphere', 1000, 'vector', 3, epsilonFromRadius(radiusMetres));

/** |darwin / exact - 1| and |(inertia_ratio - 1) / exact's - 1| from darwin / kinetic, of a report. */
function energyErrors(system: DarwinSystem, v: Float64Array, report: SolveReport) {
  const exact = darwinPairSum(system, v);
  const vDv = dot(
    v,
    v.map((x, k) => massDiagonal(system)[k] * x),
  );
  const { darwin, kinetic, total, inertiaRatio } = report.energies!;
  const excess = (2 * exact) / vDv;
  expect(total).toBe(kinetic + darwin);
  // A float64 near 1 holds inertia_ratio - 1 to 2^-53 absolute, correctly rounded.
  expect(Math.abs(inertiaRatio - 1 - excess)).toBeLessThanOrEqual(2 ** -53 * (1 + 1e-9));
  return { darwin: Math.abs(darwin / exact - 1), inertia: Math.abs(darwin / kinetic / excess - 1) };
}

describe('the Darwin energy of a rigid sphere of 1000 at R = 1 mm, 1 m, 1 km (eps 2.8e-12 to 2.8e-18)', () => {
  for (const radius of kRadii) {
    test(`R = ${radius} m: the float64 dense product's darwin and inertia_ratio - 1 to 1e-12`, async () => {
      const system = sphereAt(radius);
      const v = velocityPattern(system, 'rigid');
      const report = await runSolve(system, cpuBackend(system), momentaRequest(v));
      const errors = energyErrors(system, v, report);
      expect(errors.darwin).toBeLessThan(1e-12);
      expect(errors.inertia).toBeLessThan(1e-12);
    });
  }

  test("R = 1 km: the CPU tree's within its tolerance, a refined float32 solve's to 1e-12", async () => {
    const system = sphereAt(1e3);
    const v = velocityPattern(system, 'rigid');
    const tree = cpuTreeBackend(system, { tolerance: 1e-7 });
    const errors = energyErrors(system, v, await runSolve(system, tree, momentaRequest(v)));
    expect(errors.darwin).toBeLessThan(1e-7);
    // A GPU-like float32 backend asked below 1e-6 refines: its momenta, and energies, are the
    // float64 pair loop's.
    const float32: MassMatrixBackend = { ...cpuBackend(system, 'float32'), name: 'gpu' };
    const refined = await runSolve(system, float32, {
      ...momentaRequest(v),
      mode: 'round_trip',
      rtol: 1e-10,
    });
    expect(refined.refinementSteps).toBeGreaterThan(0);
    expect(energyErrors(system, v, refined).darwin).toBeLessThan(1e-12);
  });

  test("R = 1 m: the check's interaction and darwin are the float32 product's own, not p - p64's 1e-5", async () => {
    const system = sphereAt(1);
    const v = velocityPattern(system, 'rigid');
    const float64 = cpuBackend(system);
    const float32: MassMatrixBackend = { ...cpuBackend(system, 'float32'), name: 'gpu' };
    // At rtol 1e-6 it does not refine: its momenta are float32's.
    const report = await runSolve(system, float32, { ...momentaRequest(v), rtol: 1e-6 }, float64);
    const [part32, part64] = [await float32.interaction(v), await float64.interaction(v)];
    const interaction = relativeError(part32, part64);
    const darwin = Math.abs(
      dot(
        v,
        part32.map((x, k) => x - part64[k]),
      ) / dot(v, part64),
    );
    const check = report.check!;
    // Float32's rounding of T's entries and of T v: ~1e-7 of eps T v.
    expect(interaction).toBeGreaterThan(1e-9);
    expect(interaction).toBeLessThan(1e-6);
    expect(check.interaction! / interaction).toBeCloseTo(1, 9);
    expect(check.darwin! / darwin).toBeCloseTo(1, 9);
    expect(energyErrors(system, v, report).darwin).toBeLessThan(2 * check.darwin! + 1e-12);
  });
});
