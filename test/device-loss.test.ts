// A device lost in the middle of a solve (device.destroy(), as the WebGPU CTS provokes it): the work in
// flight fails, explainDeviceLoss names the loss in one line instead of the failed operation, no device
// error is reported for it, and a new device then runs the same solve to the float64 answer. Devices
// acquired and released in turn, with the garbage collector run between them, leave the process alive,
// and are collected themselves.
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { expect, test } from 'vitest';
import { gpuBackend } from '../src/engine/backend.ts';
import { acquireDevice, explainDeviceLoss, GpuError, releaseDevice } from '../src/gpu/device.ts';
import { geometry } from '../src/physics/geometry.ts';
import type { DarwinSystem } from '../src/physics/models.ts';
import { velocityPattern } from '../src/physics/velocities.ts';
import { cpuBackend } from '../src/run/backend.ts';
import { relativeError } from '../src/physics/observables.ts';

const system: DarwinSystem = {
  configuration: geometry('ball', 600),
  model: 'vector',
  dim: 3,
  epsilon: 0.01,
  softening: 0,
};

test('a device destroyed mid-solve: one clear loss, and a new device works', async () => {
  const reported: GpuError[] = [];
  const first = await acquireDevice({ onDeviceError: (error) => reported.push(error) });
  const backend = await gpuBackend(first, system, { matrix: 'free' });
  const p = await backend.momenta(velocityPattern(system, 'random', 3));
  // Destroyed at the solve's first readback (after checkEvery iterations), whatever the device's
  // speed: the residual read there is still above rtol, so the solve goes on into the lost device.
  const rtol = 1e-7;
  const destroyedAt: { iteration: number; residual: number }[] = [];
  const solve = backend.velocities(p, 'cg', {
    rtol,
    maxIterations: 2000,
    onIteration: (iteration, residual) => {
      if (destroyedAt.length === 0) first.device.destroy();
      destroyedAt.push({ iteration, residual });
    },
  });
  const error = await solve.then(
    () => null,
    (failure: unknown) => failure,
  );
  expect(destroyedAt.length).toBeGreaterThan(0);
  expect(destroyedAt[0].iteration).toBe(backend.checkEvery);
  expect(destroyedAt[0].residual).toBeGreaterThan(rtol * Math.hypot(...p));
  expect(error).not.toBeNull();
  const lost = explainDeviceLoss(error);
  expect(lost).toBeInstanceOf(GpuError);
  expect(lost!.kind).toBe('lost');
  expect(lost!.message).toBe('the GPU device was lost: destroyed while in use');
  expect(lost!.message).not.toMatch(/\n/);
  expect(reported).toEqual([]); // a deliberate destroy is no uncaptured error
  releaseDevice(first); // already lost: a no-op

  const second = await acquireDevice();
  try {
    const again = await gpuBackend(second, system, { matrix: 'free' });
    const result = await again.velocities(p, 'cg', { rtol: 1e-6 });
    const exact = await cpuBackend(system).velocities(p, 'cg', { rtol: 1e-12 });
    expect(result.converged).toBe(true);
    expect(relativeError(result.x, exact.x)).toBeLessThan(1e-5);
    again.dispose();
  } finally {
    releaseDevice(second);
  }
}, 120_000);

// Dawn's create() objects must outlive every collection (src/gpu/device.ts): when one was dropped with
// its last device, a collection killed the process within a few cycles and vitest reported "Worker
// exited unexpectedly". Each cycle's device multiplies p = M v, checked against the float64 product.
const small: DarwinSystem = { ...system, configuration: geometry('ball', 40) };

/**
 * Acquires a device, holds its product p = M v (`v` random of `seed`) to the float64 one, releases it,
 * and returns the device released.
 */
async function computeOnNewDevice(seed: number): Promise<GPUDevice> {
  const v = velocityPattern(small, 'random', seed);
  const exact = await cpuBackend(small).momenta(v);
  const context = await acquireDevice();
  try {
    const backend = await gpuBackend(context, small, { matrix: 'free' });
    expect(relativeError(await backend.momenta(v), exact)).toBeLessThan(1e-6);
    backend.dispose();
  } finally {
    releaseDevice(context);
  }
  return context.device;
}

test('twelve devices acquired and released, the garbage collector run between: each one computes', async () => {
  setFlagsFromString('--expose-gc');
  const collect = runInNewContext('gc') as () => void;
  for (let cycle = 0; cycle < 12; cycle++) {
    await computeOnNewDevice(5);
    collect();
    await new Promise((resolve) => setTimeout(resolve, 5));
    collect();
  }
}, 120_000);

// A released device must be collectable, and with it every cache keyed by it (the Krylov kernels, the
// tree's pipelines, the shader modules: WeakMaps): Dawn keeps a device's event listeners alive as long
// as the device, so a listener whose closure held the device kept it, and its compiled pipelines,
// for the life of a process that opens one device after another (tens of MB each on SwiftShader).
// The last device may still be referenced by Dawn's own bookkeeping, so two of three must go.
test('released devices are collected by the garbage collector, their caches with them', async () => {
  setFlagsFromString('--expose-gc');
  const collect = runInNewContext('gc') as () => void;
  const finalized: number[] = [];
  const registry = new FinalizationRegistry<number>((cycle) => finalized.push(cycle));
  const cycles = 3;
  for (let cycle = 0; cycle < cycles; cycle++) registry.register(await computeOnNewDevice(7), cycle);
  for (let round = 0; round < 20 && finalized.length < cycles - 1; round++) {
    collect();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect(finalized.length).toBeGreaterThanOrEqual(cycles - 1);
}, 120_000);
