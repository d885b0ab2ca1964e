// Thick-restart Lanczos on the GPU (src/engine/lanczos.ts, on Dawn/SwiftShader as in CI) against the
// ring's exact circulant eigenvalues (src/physics/ring.ts) and the float64 CPU run, in the harness of
// test/helpers/gpu.ts. Tolerance: extreme eigenvalues of D^-1/2 M D^-1/2 (about 1 in size) within
// 1e-5, float32's, as test/gpu-engine.test.ts.
import { expect } from 'vitest';
import { gpuBackend, type GpuBackend } from '../src/engine/backend.ts';
import type { GpuContext } from '../src/gpu/device.ts';
import { boundVectorStride } from '../src/gpu/buffers.ts';
import type { DarwinSystem } from '../src/physics/models.ts';
import { massMatrix, splitMassMatrix } from '../src/run/backend.ts';
import { kDefaultLanczosBasis } from '../src/solvers/lanczos.ts';
import { massSpectrum } from '../src/solvers/spectrum.ts';
import { gpuHarness, type Cleanup } from './helpers/gpu.ts';
import { darwinSystem, ringSpectrum } from './helpers/systems.ts';

const kEigenvalueTolerance = 1e-5;

const gpu = gpuHarness(180_000);

function ring(n: number, epsilon: number): DarwinSystem {
  return darwinSystem('ring', n, 'azimuthal', 3, epsilon);
}

async function backendOf(context: GpuContext, cleanup: Cleanup, system: DarwinSystem): Promise<GpuBackend> {
  const made = await gpuBackend(context, system, { matrix: 'free', checkEvery: 16 });
  cleanup(() => made.dispose());
  return made;
}

/** Sizes of the buffers created while `body` runs, by label. */
async function buffersCreated<T>(
  device: GPUDevice,
  body: () => Promise<T>,
): Promise<{ result: T; buffers: { label: string; size: number }[] }> {
  const buffers: { label: string; size: number }[] = [];
  const createBuffer = device.createBuffer.bind(device);
  device.createBuffer = (descriptor: GPUBufferDescriptor) => {
    buffers.push({ label: descriptor.label ?? '', size: descriptor.size });
    return createBuffer(descriptor);
  };
  try {
    return { result: await body(), buffers };
  } finally {
    device.createBuffer = createBuffer;
  }
}

gpu.test(
  'ring N=400 eps=1e-3: past the old 300 steps to the circulant extremes, in a basis of fixed size',
  async (context, cleanup) => {
    const n = 400;
    const exact = ringSpectrum(n, 1e-3);
    const backend = await backendOf(context, cleanup, ring(n, 1e-3));
    const { result: spectrum, buffers } = await buffersCreated(context.device, () => backend.spectrum());
    const { lanczos } = spectrum;
    expect(lanczos.reason).toBe('converged_tol');
    expect(lanczos.iterations).toBeGreaterThan(300);
    expect(lanczos.restarts).toBeGreaterThan(0);
    expect(Math.abs(spectrum.lambdaMin - exact[0])).toBeLessThanOrEqual(kEigenvalueTolerance);
    expect(Math.abs(spectrum.lambdaMax - exact[n - 1])).toBeLessThanOrEqual(kEigenvalueTolerance);
    // One basis of kDefaultLanczosBasis columns for the whole run, and nothing larger.
    const columnBytes = 4 * boundVectorStride(context.device, n);
    const bases = buffers.filter((buffer) => buffer.label === 'Lanczos.basis');
    expect(bases.map((buffer) => buffer.size)).toEqual([columnBytes * kDefaultLanczosBasis]);
    for (const buffer of buffers) expect(buffer.size, buffer.label).toBeLessThanOrEqual(bases[0].size);
  },
);

gpu.test(
  'ring N=64, basis 12: many restarts, the same extremes as the float64 CPU run',
  async (context, cleanup) => {
    const system = ring(64, 0.05);
    const exact = ringSpectrum(64, 0.05);
    const cpu = massSpectrum(splitMassMatrix(system), 64, { basisSize: 12 });
    expect(cpu.lanczos.converged).toBe(true);
    const backend = await backendOf(context, cleanup, system);
    const spectrum = await backend.spectrum({ basisSize: 12, ritzVectors: true });
    expect(spectrum.lanczos.reason).toBe('converged_tol');
    expect(spectrum.lanczos.restarts).toBeGreaterThan(20);
    expect(Math.abs(spectrum.lambdaMin - exact[0])).toBeLessThanOrEqual(kEigenvalueTolerance);
    expect(Math.abs(spectrum.lambdaMax - exact[63])).toBeLessThanOrEqual(kEigenvalueTolerance);
    expect(Math.abs(spectrum.lambdaMin - cpu.lambdaMin)).toBeLessThanOrEqual(kEigenvalueTolerance);
    expect(Math.abs(spectrum.lambdaMax - cpu.lambdaMax)).toBeLessThanOrEqual(kEigenvalueTolerance);
    // The extreme Ritz vectors after restarts: unit, with Rayleigh quotients at the Ritz values.
    const vectors = spectrum.lanczos.ritzVectors!;
    const matrix = massMatrix(system);
    const product = new Float64Array(64);
    for (const [x, value] of [
      [vectors.min, spectrum.lambdaMin],
      [vectors.max, spectrum.lambdaMax],
    ] as const) {
      matrix.apply(x, product);
      expect(Math.abs(x.reduce((sum, v) => sum + v * v, 0) - 1)).toBeLessThan(1e-12);
      const quotient = x.reduce((sum, v, i) => sum + v * product[i], 0);
      expect(Math.abs(quotient - value)).toBeLessThanOrEqual(kEigenvalueTolerance);
    }
  },
);

gpu.test(
  'maxIterations bounds the products across restarts; 1 gives diverged_max_it',
  async (context, cleanup) => {
    const backend = await backendOf(context, cleanup, ring(64, 0.05));
    const one = await backend.spectrum({ maxIterations: 1, basisSize: 8 });
    expect(one.lanczos.reason).toBe('diverged_max_it');
    expect(one.lanczos.iterations).toBe(1);
    expect(one.lanczos.restarts).toBe(0);
    expect(one.lanczos.ritzValues).toHaveLength(1);
    const limited = await backend.spectrum({ maxIterations: 20, basisSize: 8, tol: 1e-12 });
    expect(limited.lanczos.reason).toBe('diverged_max_it');
    expect(limited.lanczos.iterations).toBe(20);
    // 7 steps fill the first cycle, each restart keeps 3 and adds 4: 7 + 4 + 4 + 4 + 1.
    expect(limited.lanczos.restarts).toBe(4);
  },
);
