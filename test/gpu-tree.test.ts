// The fast multipole product on the GPU (src/kernels/tree.ts, shaders/tree.wgsl) against the float64
// direct product (models.ts applyMassMatrixFree), on SwiftShader through test/helpers/gpu.ts.
import { describe, expect } from 'vitest';
import { createVector } from '../src/gpu/buffers.ts';
import { readFloat32 } from '../src/gpu/readback.ts';
import type { GpuContext } from '../src/gpu/device.ts';
import { geometry, type Configuration, type GeometryName } from '../src/physics/geometry.ts';
import {
  applyMassMatrixFree,
  unknowns,
  type DarwinSystem,
  type Dimension,
  type ModelName,
} from '../src/physics/models.ts';
import { GpuTreeMassMatrix, type GpuTreeOptions } from '../src/kernels/tree.ts';
import { gpuHarness } from './helpers/gpu.ts';
import { norm, randomVector } from './helpers/compare.ts';

const gpu = gpuHarness(120_000);

function system(
  configuration: Configuration,
  model: ModelName,
  dim: Dimension,
  softening = 0,
  epsilon = 0.7,
): DarwinSystem {
  return { configuration, model, dim, epsilon, softening };
}

/** y = M x by the GPU tree operator, read back. */
async function treeProduct(
  context: GpuContext,
  operator: GpuTreeMassMatrix,
  x: Float64Array,
): Promise<Float64Array> {
  const { device } = context;
  const xBuffer = createVector(device, 'Test.x', x);
  const yBuffer = createVector(device, 'Test.y', x.length);
  try {
    const encoder = device.createCommandEncoder({ label: 'Test.encoder' });
    operator.record(encoder, xBuffer, yBuffer);
    device.queue.submit([encoder.finish()]);
    return Float64Array.from(await readFloat32(device, yBuffer, x.length));
  } finally {
    xBuffer.destroy();
    yBuffer.destroy();
  }
}

/** ||got - expected|| / ||expected|| of the eps T part: the diagonal D x is exact in both. */
function interactionError(system: DarwinSystem, x: Float64Array, got: Float64Array): number {
  const expected = applyMassMatrixFree(system, x);
  const diagonalFree = applyMassMatrixFree({ ...system, epsilon: 0 }, x);
  const difference = Array.from(expected, (e, k) => got[k] - e);
  const interaction = Array.from(expected, (e, k) => e - diagonalFree[k]);
  return norm(difference) / norm(interaction);
}

describe('GpuTreeMassMatrix', () => {
  const cases: [string, () => DarwinSystem, GpuTreeOptions][] = [
    ['ball 3D', () => system(geometry('ball', 1500), 'vector', 3), {}],
    ['ball 3D, all M2L', () => system(geometry('ball', 1500), 'vector', 3), { translationCost: 0 }],
    [
      'ball 3D, all M2L, p 4',
      () => system(geometry('ball', 1500), 'vector', 3),
      { translationCost: 0, order: 4, leafSize: 16 },
    ],
    [
      'ball 3D, leaves of 16',
      () => system(geometry('ball', 3000), 'vector', 3),
      { translationCost: 0, leafSize: 16 },
    ],
    ['disk 2D, all M2L', () => system(geometry('disk', 1500), 'vector', 2), { translationCost: 0 }],
    ['ring azimuthal, all M2L', () => system(geometry('ring', 1500), 'azimuthal', 3), { translationCost: 0 }],
  ];
  for (const [name, make, options] of cases) {
    gpu.test(`${name}: within the tolerance of the direct product`, async (context, cleanup) => {
      const s = make();
      const operator = await GpuTreeMassMatrix.create(context, s, options);
      cleanup(() => operator.destroy());
      const x = randomVector(unknowns(s), 7);
      const got = await treeProduct(context, operator, x);
      const error = interactionError(s, x, got);
      console.log(name, error, operator.counts);
      expect(error).toBeLessThan(options.tolerance ?? 1e-5);
    });
  }
});
