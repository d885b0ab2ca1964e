// The part of a DarwinSystem the shaders read: which entry point (model and dimension) and the
// electron positions as float32 vec4s. Shared by assemble.ts and matvec-free.ts.
import { cylindricalRadiusSquared, type DarwinSystem } from '../physics/models.ts';
import { createBuffer } from '../gpu/buffers.ts';
import { uploadOrigin } from '../physics/tree-build.ts';

/** One WGSL entry point per model and dimension, so no GPU thread branches on the model. */
export type GpuModel = 'vector3d' | 'vector2d' | 'azimuthal';

export function gpuModel(system: Pick<DarwinSystem, 'model' | 'dim'>): GpuModel {
  if (system.model === 'azimuthal') return 'azimuthal';
  return system.dim === 3 ? 'vector3d' : 'vector2d';
}

/**
 * The `model` override of the kernels that serve every model from one entry point (tree.wgsl,
 * matvec_free.wgsl's blocked variant): 0 vector 3D, 1 vector 2D, 2 azimuthal.
 */
export const kGpuModelCode: Record<GpuModel, number> = { vector3d: 0, vector2d: 1, azimuthal: 2 };

/** Bytes per electron in the positions buffer: vec4<f32> (x, y, z, rho^2). */
export const kPositionStride = 16;

/**
 * (x, y, z, rho^2) per electron in float32, x, y, z less uploadOrigin (formed in float64, then
 * rounded), which leaves T unchanged and float32's resolution that of the configuration's extent.
 * rho^2 (the azimuthal model's diagonal, eq. 48 in units of m R^2) is formed in float64 from the
 * positions as given and rounded once, rather than from the rounded x and y.
 */
export function packPositions(system: DarwinSystem): Float32Array {
  const { n, positions } = system.configuration;
  const origin = uploadOrigin(system);
  const packed = new Float32Array(4 * n);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) packed[4 * i + c] = positions[3 * i + c] - origin[c];
    packed[4 * i + 3] = cylindricalRadiusSquared(positions, i);
  }
  return packed;
}

export function createPositionsBuffer(device: GPUDevice, system: DarwinSystem): GPUBuffer {
  return createBuffer(device, {
    label: 'System.positions',
    size: kPositionStride * system.configuration.n,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    data: packPositions(system),
  });
}
