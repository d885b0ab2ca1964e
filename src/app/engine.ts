// The one place the app opens the GPU engine (src/engine/backend.ts): everything else in the app
// sees a GpuBackend, the MassMatrixBackend of src/run/backend.ts plus how M is stored.
import {
  checkLanczosBasisFits,
  chooseMatrixStorage,
  gpuBackend,
  operatorBytes,
  type GpuBackend,
  type GpuSizeOptions,
  type MatrixStorage,
} from '../engine/backend.ts';
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
 * its solves and spectra, is not, and a Spectrum checks its basis (checkLanczosBasisFits). `run`:
 * what the page's stage does, which 'auto' weighs (AutoRun).
 */
export function openEngine(
  context: GpuContext,
  system: DarwinSystem,
  matrix: MatrixChoice,
  treeTolerance?: number,
  stopped: () => boolean = () => false,
  onChunk?: (step: string, done: number, total: number) => void,
  lanczosBasis?: number,
  run: AutoRun = {},
): Promise<GpuBackend> {
  return gpuBackend(context, system, {
    matrix,
    treeTolerance,
    lanczosBasis,
    ...run,
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

/**
 * What 'auto' weighs of the run M is built for beside N (chooseMatrixStorage): one product (the
 * page's Momenta), or a refinement in float64 to a tolerance (a Solve or Spectrum below 1e-6).
 */
export type AutoRun = Pick<GpuSizeOptions, 'operation' | 'refinedTolerance'>;

/** The storage `matrix` takes for `run` (chooseMatrixStorage's for 'auto'): the page's Build keys M by it. */
export function storageFor(
  context: GpuContext,
  system: DarwinSystem,
  matrix: MatrixChoice,
  treeTolerance: number,
  run: AutoRun,
): MatrixStorage {
  return matrix === 'auto' ? chooseMatrixStorage(context, system, { treeTolerance, ...run }) : matrix;
}
