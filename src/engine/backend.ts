// The GPU backend: the MassMatrixBackend of src/run/backend.ts with M on the GPU, dense
// (src/kernels/mass-matrix.ts) or matrix-free (src/kernels/matvec-free.ts), and the Krylov
// solvers of this folder. Results have the CPU's shapes plus a `gpu` field of run statistics.
import { massDiagonal, type DarwinSystem } from '../physics/models.ts';
import { createVector } from '../gpu/buffers.ts';
import { withErrorScopes, type GpuContext } from '../gpu/device.ts';
import { readFloat32 } from '../gpu/readback.ts';
import {
  denseMatrixBytes,
  GpuMassMatrix,
  matrixShape,
  planStorage,
  type GpuMassMatrixOptions,
} from '../kernels/mass-matrix.ts';
import { GpuMatrixFreeMassMatrix, type GpuMatrixFreeOptions } from '../kernels/matvec-free.ts';
import type { KrylovStepVariant } from '../gpu/profile.ts';
import type { GpuMassOperator } from '../kernels/operator.ts';
import type { MassMatrixBackend } from '../run/backend.ts';
import { solveWith } from '../solvers/solve.ts';
import { spectrumFromLanczos, type SpectrumResult } from '../solvers/spectrum.ts';
import type { SolverName } from '../solvers/types.ts';
import { gpuConjugateGradient } from './cg.ts';
import {
  addStats,
  createKrylovEngine,
  type GpuSolveOptions,
  type GpuSolveResult,
  type KrylovEngine,
} from './krylov.ts';
import { gpuLanczos, type GpuLanczosOptions, type GpuLanczosResult } from './lanczos.ts';
import { gpuMinres } from './minres.ts';

export type MatrixStorage = 'dense' | 'free';

/**
 * How much GPU memory the dense matrix may take before 'auto' goes matrix-free: 1 GiB. WebGPU does
 * not report the device's memory; a quarter of the 4 GiB that a WebGPU-class GPU can be assumed to
 * have leaves room for the browser and other tabs. At 1 GiB the dense float32 M holds up to 16 384
 * unknowns (the 3D vector model at N = 5461); past that the matrix-free product, O(N) in memory,
 * recomputes the entries on every matvec.
 */
export const kDenseBudgetBytes = 2 ** 30;

/**
 * 'dense' while the dense M takes at most `budgetBytes` and one of its rows fits a storage binding
 * (planStorage's condition), else 'free'.
 */
export function chooseMatrixStorage(
  context: GpuContext,
  system: DarwinSystem,
  budgetBytes = kDenseBudgetBytes,
): MatrixStorage {
  const shape = matrixShape(system);
  if (denseMatrixBytes(shape) > budgetBytes) return 'free';
  try {
    planStorage(shape, context.limits);
    return 'dense';
  } catch {
    return 'free';
  }
}

export interface GpuBackendOptions {
  /** Default 'auto': chooseMatrixStorage. */
  matrix?: MatrixStorage | 'auto';
  /** k: iterations per command buffer and between the CPU's reads of the solver state. */
  checkEvery?: number;
  /** CG's and MINRES's vector work after the matvec (default: the device profile's, krylovStepFor). */
  step?: KrylovStepVariant;
  /** The dense budget of 'auto' (default kDenseBudgetBytes). */
  denseBudgetBytes?: number;
  dense?: GpuMassMatrixOptions;
  free?: GpuMatrixFreeOptions;
}

export interface GpuSpectrumResult extends SpectrumResult {
  readonly lanczos: GpuLanczosResult;
}

export interface GpuBackend extends MassMatrixBackend {
  readonly name: 'gpu';
  readonly matrix: MatrixStorage;
  readonly checkEvery: number;
  velocities(momenta: Float64Array, solver: SolverName, options?: GpuSolveOptions): Promise<GpuSolveResult>;
  spectrum(options?: GpuLanczosOptions): Promise<GpuSpectrumResult>;
}

/**
 * Solves M x = b on the GPU: 'cg', 'minres', or 'auto', by src/solvers/solve.ts's solveWith, the
 * rule of the CPU's solve; an 'auto' result's run statistics are those of CG and MINRES added.
 */
export function gpuSolve(
  engine: KrylovEngine,
  b: ArrayLike<number>,
  solver: SolverName = 'auto',
  options: GpuSolveOptions = {},
): Promise<GpuSolveResult> {
  return solveWith<GpuSolveResult, GpuSolveOptions>(solver, engine.size, options, {
    cg: (cgOptions) => gpuConjugateGradient(engine, b, cgOptions),
    minres: (minresOptions) => gpuMinres(engine, b, minresOptions),
    join: (first, second) => ({ gpu: addStats(first.gpu, second.gpu) }),
  });
}

/** Extreme eigenvalues of D^-1/2 M D^-1/2 and the collective parameter (eq. 49), as massSpectrum. */
export async function gpuSpectrum(
  engine: KrylovEngine,
  system: DarwinSystem,
  options: GpuLanczosOptions = {},
): Promise<GpuSpectrumResult> {
  const lanczos = await gpuLanczos(engine, options);
  return spectrumFromLanczos(lanczos, system.configuration.n, system.epsilon);
}

/**
 * The GPU backend of `system`: M assembled (dense) or set up (free) and every Krylov pipeline built,
 * inside error scopes labelled 'gpuBackend.create'. setEpsilon rewrites eps, a uniform of the
 * product, without touching T. Call dispose() to free the GPU memory.
 */
export async function gpuBackend(
  context: GpuContext,
  system: DarwinSystem,
  options: GpuBackendOptions = {},
): Promise<GpuBackend> {
  const requested = options.matrix ?? 'auto';
  const matrix =
    requested === 'auto' ? chooseMatrixStorage(context, system, options.denseBudgetBytes) : requested;
  const operator: GpuMassOperator =
    matrix === 'dense'
      ? await GpuMassMatrix.assemble(context, system, options.dense)
      : await GpuMatrixFreeMassMatrix.create(context, system, options.free);
  let engine: KrylovEngine | null;
  try {
    engine = await withErrorScopes(context.device, 'gpuBackend.create', () =>
      createKrylovEngine(context, operator, massDiagonal(system), {
        checkEvery: options.checkEvery,
        step: options.step,
      }),
    );
  } catch (error) {
    operator.destroy();
    throw error;
  }
  const held = (): KrylovEngine => {
    if (!engine) throw new Error('gpuBackend used after dispose()');
    return engine;
  };
  let current = system;
  return {
    name: 'gpu',
    get system() {
      return current;
    },
    matrix,
    checkEvery: engine.checkEvery,
    momenta: (velocities) => gpuMomenta(held(), velocities),
    velocities: (p, solver, solveOptions) => gpuSolve(held(), p, solver, solveOptions),
    spectrum: (lanczosOptions) => gpuSpectrum(held(), current, lanczosOptions),
    // Jacobi's D (the engine's diagonal) does not depend on eps: only the operator's uniform changes.
    setEpsilon: (epsilon) => {
      held();
      operator.setEpsilon(epsilon);
      current = { ...current, epsilon };
    },
    dispose: () => {
      engine?.operator.destroy();
      engine = null;
    },
  };
}

/** p = M v (eq. 47/48): one matvec and one readback. */
export async function gpuMomenta(engine: KrylovEngine, velocities: Float64Array): Promise<Float64Array> {
  const { device, size, operator } = engine;
  if (velocities.length !== size)
    throw new RangeError(`velocities have length ${velocities.length}, the system has ${size} unknowns`);
  return withErrorScopes(device, 'GpuBackend.momenta', async () => {
    const v = createVector(device, 'Momenta.v', velocities);
    const p = createVector(device, 'Momenta.p', size);
    try {
      const encoder = device.createCommandEncoder({ label: 'Momenta.encoder' });
      operator.record(encoder, v, p);
      device.queue.submit([encoder.finish()]);
      return Float64Array.from(await readFloat32(device, p, size));
    } finally {
      v.destroy();
      p.destroy();
    }
  });
}
