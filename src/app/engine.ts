// The one place the app opens the GPU engine (src/engine/backend.ts): everything else in the app
// sees a GpuBackend, the MassMatrixBackend of src/run/backend.ts plus how M is stored.
import { gpuBackend, type GpuBackend } from '../engine/backend.ts';
import { denseMatrixBytes, matrixShape } from '../kernels/mass-matrix.ts';
import type { GpuContext } from '../gpu/device.ts';
import { kPositionStride } from '../kernels/system.ts';
import type { DarwinSystem } from '../physics/models.ts';
import type { MatrixChoice } from '../run/inputs.ts';

export type { GpuBackend };

/** M assembled (dense) or set up (matrix-free, tree) on the GPU, with every solver pipeline built. */
export function openEngine(
  context: GpuContext,
  system: DarwinSystem,
  matrix: MatrixChoice,
  treeTolerance?: number,
): Promise<GpuBackend> {
  return gpuBackend(context, system, { matrix, treeTolerance });
}

/** GPU memory the operator holds: the padded float32 M, or the positions the free product reads. */
export function operatorBytes(backend: GpuBackend): number {
  return backend.matrix === 'dense'
    ? denseMatrixBytes(matrixShape(backend.system))
    : kPositionStride * backend.system.configuration.n;
}
