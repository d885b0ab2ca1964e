// The one place the app opens the GPU engine (src/engine/backend.ts): everything else in the app
// sees a GpuBackend, the MassMatrixBackend of src/run/backend.ts plus how M is stored.
import { checkLanczosBasisFits, gpuBackend, operatorBytes, type GpuBackend } from '../engine/backend.ts';
import type { GpuContext } from '../gpu/device.ts';
import type { DarwinSystem } from '../physics/models.ts';
import { RunStopped } from '../run/chunks.ts';
import type { MatrixChoice } from '../run/inputs.ts';

export { operatorBytes, type GpuBackend };

/**
 * M assembled (dense) or set up (matrix-free, tree) on the GPU, with every solver pipeline built; once
 * `stopped()` says so, the next chunk of a long step throws RunStopped. `onChunk` hears of every
 * chunk of such a step (the page's progress line), for as long as the backend lives. Sized for a
 * spectrum's basis of `lanczosBasis` vectors where given (the scaling study); the page's Build, for
 * its solves and spectra, is not, and a Spectrum checks its basis (checkLanczosBasisFits).
 */
export function openEngine(
  context: GpuContext,
  system: DarwinSystem,
  matrix: MatrixChoice,
  treeTolerance?: number,
  stopped: () => boolean = () => false,
  onChunk?: (step: string, done: number, total: number) => void,
  lanczosBasis?: number,
): Promise<GpuBackend> {
  return gpuBackend(context, system, {
    matrix,
    treeTolerance,
    lanczosBasis,
    onChunk: (step, done, total) => {
      if (stopped()) throw new RunStopped();
      onChunk?.(step, done, total);
    },
  });
}

/**
 * Refuses (an InputError) a Spectrum whose Lanczos basis of `basis` vectors (the panel's) does not
 * fit beside `backend`, which Build sized for solves.
 */
export function checkSpectrumFits(context: GpuContext, backend: GpuBackend, basis: number): void {
  checkLanczosBasisFits(context, backend, basis);
}
