// Long products inside the Krylov solvers (src/engine/krylov.ts Recording): a matrix-free product of
// several pieces is submitted piece by piece (submitPieces, one queued ahead), each reported to the
// engine's chunk hook, so that a stop takes effect between pieces; the iterates are those of the
// one-piece product, bit for bit.
import { describe, expect } from 'vitest';
import { gpuBackend, type GpuBackend } from '../src/engine/backend.ts';
import type { GpuContext } from '../src/gpu/device.ts';
import type { DarwinSystem } from '../src/physics/models.ts';
import { kDefaultCheckEvery, submitPieces } from '../src/engine/krylov.ts';
import { createBuffer } from '../src/gpu/buffers.ts';
import { readFloat32 } from '../src/gpu/readback.ts';
import { randomVector } from './helpers/compare.ts';
import { gpuHarness, type Cleanup } from './helpers/gpu.ts';
import { darwinSystem } from './helpers/systems.ts';

const gpu = gpuHarness(120_000);

/** 600 unknowns; rowsPerChunk 64 splits a product into 4 pieces (64, 64, 64, 8 electrons). */
const system: DarwinSystem = darwinSystem('sphere', 200, 'vector', 3, 0.05);
const kPieces = 4;

async function backends(context: GpuContext, cleanup: Cleanup, onChunk: (step: string) => void) {
  const whole = await gpuBackend(context, system, { matrix: 'free' });
  cleanup(() => whole.dispose());
  const pieced = await gpuBackend(context, system, {
    matrix: 'free',
    free: { rowsPerChunk: 64 },
    onChunk,
  });
  cleanup(() => pieced.dispose());
  return { whole, pieced };
}

/** The same solve on both: the pieced one's x equals the whole one's; returns both and their p. */
async function compareSolves(whole: GpuBackend, pieced: GpuBackend, solver: 'cg' | 'minres') {
  const p = Float64Array.from(randomVector(whole.system.configuration.n * 3, 21));
  const reference = await whole.velocities(p, solver, { rtol: 1e-5 });
  const result = await pieced.velocities(p, solver, { rtol: 1e-5 });
  expect(reference.converged).toBe(true);
  expect(result.reason).toBe(reference.reason);
  expect(result.iterations).toBe(reference.iterations);
  expect(Array.from(result.x)).toEqual(Array.from(reference.x));
  return { p, reference, result };
}

describe('a long product in a Krylov solve: piece by piece, the same iterates', () => {
  for (const solver of ['cg', 'minres'] as const) {
    gpu.test(`${solver}: k = 1, one report per piece, x equal bit for bit`, async (context, cleanup) => {
      const steps: string[] = [];
      const { whole, pieced } = await backends(context, cleanup, (step) => steps.push(step));
      const { p, reference, result } = await compareSolves(whole, pieced, solver);
      expect(reference.gpu.checkEvery).toBe(kDefaultCheckEvery);
      expect(result.gpu.checkEvery).toBe(1);
      // No chunk is recorded ahead: the products are those of the iterations done and the true
      // residual's M x (a guarded no-op product follows the stop only within the last chunk); from
      // x_0 = 0, M x_0 = 0 is no product.
      expect(result.gpu.recordedIterations).toBe(result.iterations + (result.iterations > 0 ? 0 : 1));
      expect(steps.length).toBe(kPieces * (result.gpu.recordedIterations + 1));
      expect(new Set(steps)).toEqual(new Set(['product']));
      // A warm start's M x_0 is a product.
      steps.length = 0;
      const warm = await pieced.velocities(p, solver, { rtol: 1e-5, x0: result.x.map((x) => 0.5 * x) });
      expect(warm.converged).toBe(true);
      expect(steps.length).toBe(kPieces * (warm.gpu.recordedIterations + 2));
    });
  }

  gpu.test(
    'Lanczos, restarted: the same extreme eigenvalues, one report per piece',
    async (context, cleanup) => {
      let reports = 0;
      const { whole, pieced } = await backends(context, cleanup, () => reports++);
      // A basis of 12 vectors: the restarts' recorded V Y go with the pieces too.
      const options = { tol: 1e-6, seed: 3, basisSize: 12 };
      const reference = await whole.spectrum(options);
      const result = await pieced.spectrum(options);
      expect(reference.lanczos.restarts).toBeGreaterThan(2);
      expect(result.lanczos.restarts).toBe(reference.lanczos.restarts);
      expect(result.lanczos.iterations).toBe(reference.lanczos.iterations);
      expect(result.lanczos.reason).toBe(reference.lanczos.reason);
      expect(result.lambdaMin).toBe(reference.lambdaMin);
      expect(result.lambdaMax).toBe(reference.lambdaMax);
      expect(result.lanczos.gpu.checkEvery).toBe(1);
      expect(reports).toBe(kPieces * result.lanczos.gpu.recordedIterations);
    },
  );

  gpu.test('a throw from the chunk hook stops a solve at that piece', async (context, cleanup) => {
    let calls = 0;
    const { pieced } = await backends(context, cleanup, () => {
      calls++;
      if (calls === kPieces + 2) throw new Error('stop');
    });
    const p = Float64Array.from(randomVector(system.configuration.n * 3, 22));
    await expect(pieced.velocities(p, 'cg', { rtol: 1e-5 })).rejects.toThrow('stop');
    expect(calls).toBe(kPieces + 2);
    // The backend is whole after the stop: the next solve runs.
    calls = -1e9;
    const next = await pieced.velocities(p, 'cg', { rtol: 1e-5 });
    expect(next.converged).toBe(true);
  });
});

describe('submitPieces', () => {
  gpu.test(
    'reports each piece in order once it has run; a throw stops the submissions',
    async (context, cleanup) => {
      const { device } = context;
      // Slot k of `marks` holds 1 until piece k (a command buffer that clears it) has run.
      const marks = createBuffer(device, {
        label: 'Test.marks',
        size: 4 * 6,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
        data: new Float32Array(6).fill(1),
      });
      cleanup(() => marks.destroy());
      const buffers = () =>
        Array.from({ length: 6 }, (_, piece) => {
          const encoder = device.createCommandEncoder({ label: `Test.piece[${piece}]` });
          encoder.clearBuffer(marks, 4 * piece, 4);
          return { buffer: encoder.finish(), piece };
        });
      const seen: number[] = [];
      const done = (piece: number) => {
        seen.push(piece);
        if (piece === 1) throw new Error('stop');
      };
      await expect(submitPieces(device, buffers(), done)).rejects.toThrow('stop');
      await device.queue.onSubmittedWorkDone();
      expect(seen).toEqual([0, 1]);
      // Pieces 0 and 1 ran and were reported; piece 2 was queued behind piece 1; 3 to 5 never went.
      expect(Array.from(await readFloat32(device, marks, 6))).toEqual([0, 0, 0, 1, 1, 1]);

      device.queue.writeBuffer(marks, 0, new Float32Array(6).fill(1));
      const all: number[] = [];
      await submitPieces(device, buffers(), (piece) => all.push(piece));
      expect(all).toEqual([0, 1, 2, 3, 4, 5]);
      expect(Array.from(await readFloat32(device, marks, 6))).toEqual([0, 0, 0, 0, 0, 0]);
    },
  );
});
