// What a matrix-free run holds on the GPU, against freeAllocation, the estimate checkFreeFits refuses
// a run on: the device's createBuffer and destroy wrapped, the peak of the live bytes taken over the
// backend's setup and one run, p = M v, CG, MINRES, a refined solve or a spectrum. The estimate for
// each operation (GpuOperation) must hold its peak and not state its need at more than 1.5 times it,
// so that a light run (one product) is not refused at a size it fits.
import { describe, expect } from 'vitest';
import type { GeometryName } from '../src/physics/geometry.ts';
import { unknowns, type Dimension, type ModelName } from '../src/physics/models.ts';
import type { GpuContext } from '../src/gpu/device.ts';
import { freeAllocation, gpuBackend, type GpuBackend, type GpuOperation } from '../src/engine/backend.ts';
import { float64Product, solveVelocities } from '../src/run/refine.ts';
import { kDefaultLanczosBasis } from '../src/solvers/lanczos.ts';
import { ringCirculantEigenvalues } from '../src/physics/ring.ts';
import { velocityPattern } from '../src/physics/velocities.ts';
import { randomVector } from './helpers/compare.ts';
import { gpuHarness } from './helpers/gpu.ts';
import { darwinSystem } from './helpers/systems.ts';
import { norm } from '../src/math/vectors.ts';

const gpu = gpuHarness(300_000);

const kModels: readonly { label: string; shape: GeometryName; model: ModelName; dim: Dimension }[] = [
  { label: 'vector 3D sphere', shape: 'sphere', model: 'vector', dim: 3 },
  { label: 'vector 2D disk', shape: 'disk', model: 'vector', dim: 2 },
  { label: 'azimuthal 2D annulus', shape: 'annulus', model: 'azimuthal', dim: 2 },
];

/** The largest sum of the sizes of the buffers `context`'s device held at once while `body` ran. */
async function peakBytes(context: GpuContext, body: () => Promise<void>): Promise<number> {
  const { device } = context;
  const create = device.createBuffer.bind(device);
  const live = new Map<GPUBuffer, number>();
  let [bytes, peak] = [0, 0];
  device.createBuffer = (descriptor) => {
    const buffer = create(descriptor);
    const destroy = buffer.destroy.bind(buffer);
    live.set(buffer, descriptor.size);
    bytes += descriptor.size;
    peak = Math.max(peak, bytes);
    buffer.destroy = () => {
      bytes -= live.get(buffer) ?? 0;
      live.delete(buffer);
      destroy();
    };
    return buffer;
  };
  try {
    await body();
  } finally {
    device.createBuffer = create;
  }
  return peak;
}

type Run = (backend: GpuBackend, p: Float64Array) => Promise<unknown>;

const kN = 3000;
const kIterations = 30;
/** The ring whose refined CG solve goes on by MINRES (a few iterations at this N). */
const kRingN = 2000;
/** Each run, and the operation whose estimate must hold it. */
const kSolves: readonly [string, GpuOperation, Run][] = [
  ['p = M v', 'product', (backend, v) => backend.momenta(v)],
  ['CG', 'cg', (backend, p) => backend.velocities(p, 'cg', { maxIterations: kIterations })],
  ['MINRES', 'minres', (backend, p) => backend.velocities(p, 'minres', { maxIterations: kIterations })],
  [
    'a refined MINRES solve',
    'minres',
    (backend, p) =>
      solveVelocities(backend, () => float64Product(backend.system), p, 'minres', {
        rtol: 1e-9,
        maxIterations: kIterations,
      }),
  ],
];

describe("a matrix-free run's GPU memory against freeAllocation", () => {
  for (const setup of kModels) {
    gpu.test(
      `${setup.label}: each solve and product within its operation's estimate, at 2/3 of it or more`,
      async (context) => {
        const system = darwinSystem(setup.shape, kN, setup.model, setup.dim, 1e-3);
        const p = randomVector(unknowns(system), 7);
        for (const [name, operation, run] of kSolves) {
          const peak = await peakBytes(context, async () => {
            const backend = await gpuBackend(context, system, { matrix: 'free', operation });
            try {
              await run(backend, p);
            } finally {
              backend.dispose();
            }
          });
          const estimate = freeAllocation(system, undefined, operation).total;
          expect(peak, `${name}: peak ${peak}, estimate ${estimate}`).toBeLessThanOrEqual(estimate);
          expect(estimate, `${name}: peak ${peak}, estimate ${estimate}`).toBeLessThanOrEqual(1.5 * peak);
        }
        // Unsaid, a run is estimated as a MINRES solve, the most a solve holds.
        expect(freeAllocation(system).total).toBe(freeAllocation(system, undefined, 'minres').total);
      },
    );

    gpu.test(`${setup.label}: a spectrum within the estimate, at 2/3 of it or more`, async (context) => {
      const system = darwinSystem(setup.shape, kN, setup.model, setup.dim, 1e-3);
      const peak = await peakBytes(context, async () => {
        const backend = await gpuBackend(context, system, {
          matrix: 'free',
          lanczosBasis: kDefaultLanczosBasis,
        });
        try {
          await backend.spectrum({ maxIterations: 2 * kDefaultLanczosBasis });
        } finally {
          backend.dispose();
        }
      });
      const estimate = freeAllocation(system, kDefaultLanczosBasis).total;
      expect(peak).toBeLessThanOrEqual(estimate);
      expect(estimate).toBeLessThanOrEqual(1.5 * peak);
    });
  }

  gpu.test(
    'a refined CG solve that goes on by MINRES, within the MINRES estimate the CLI sizes it by',
    async (context) => {
      // M = I + eps C of the ring just indefinite (eps past 1/|lambda_min(C)|, C's lowest mode the
      // alternating one, k = N/2). p is rigid rotation's (C's uniform mode) with 1e-8 of the
      // alternating mode: below what the first float32 CG resolves, so it converges, but held by the
      // float64 residual, on which the next CG meets negative curvature and the corrections go on by
      // MINRES (src/run/refine.ts), as the residual's rounding alone makes them at larger N. At
      // kRingN that takes some 20 iterations; at N = 3000 thousands, minutes on SwiftShader.
      const lambdas = ringCirculantEigenvalues(kRingN);
      const epsilon = 1.01 / -lambdas[kRingN / 2];
      expect(Math.min(...lambdas)).toBe(lambdas[kRingN / 2]);
      const system = darwinSystem('ring', kRingN, 'azimuthal', 2, epsilon);
      const rigid = velocityPattern(system, 'rigid');
      const alternating = 1e-8 * (norm(rigid) / Math.sqrt(kRingN));
      const product = () => float64Product(system);
      const p = product()(rigid.map((x, j) => x + (j % 2 === 0 ? alternating : -alternating)));
      let switchedFrom: string | undefined;
      const peak = await peakBytes(context, async () => {
        const backend = await gpuBackend(context, system, { matrix: 'free', operation: 'minres' });
        try {
          ({ switchedFrom } = (await solveVelocities(backend, product, p, 'cg', { rtol: 1e-10 })).solve);
        } finally {
          backend.dispose();
        }
      });
      expect(switchedFrom).toBe('cg');
      const estimate = freeAllocation(system, undefined, 'minres').total;
      const said = `peak ${peak}, estimate ${estimate}`;
      // More than a CG solve's estimate: sized as 'cg', the run would have been admitted too big.
      expect(peak, said).toBeGreaterThan(freeAllocation(system, undefined, 'cg').total);
      expect(peak, said).toBeLessThanOrEqual(estimate);
      expect(estimate, said).toBeLessThanOrEqual(1.5 * peak);
    },
  );
});
