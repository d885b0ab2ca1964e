// Which backend a command runs on (--device, --matrix) and the float64 check beside it (--check).
// Both backends honour MassMatrixBackend (src/run/backend.ts), so the commands never branch on it.
import { freemem } from 'node:os';
import { releaseDevice, type GpuContext } from '../gpu/device.ts';
import { denseAllocation, gpuBackend, type MatrixStorage } from '../engine/backend.ts';
import { krylovStepFor } from '../gpu/profile.ts';
import { chunkPairs, kMatvecFreeWorkgroupSize, rowsPerChunk } from '../kernels/matvec-free.ts';
import { kPositionStride } from '../kernels/system.ts';
import { InputError } from '../physics/input-error.ts';
import { unknowns, type DarwinSystem } from '../physics/models.ts';
import {
  checkCpuFits,
  cpuBackend,
  cpuBackendBytes,
  gigabytes,
  type MassMatrixBackend,
} from '../run/backend.ts';
import { kCpuDevice, type DeviceSummary } from '../io/formats.ts';
import { checkFloat32System } from '../engine/float32.ts';
import { checkDecision, kCheckMaxUnknowns } from '../run/check.ts';
import { kCpuKernels } from '../parallel/mass-matrix.ts';
import { nodeThreads, nodeWorkerPool } from '../parallel/node.ts';
import {
  parseDevice,
  parseMatrix,
  parseThreads,
  type DeviceChoice,
  type MatrixChoice,
} from '../run/inputs.ts';
import { openGpu } from './device.ts';
import type { Progress } from './progress.ts';

export const kBackendOptions = {
  device: { type: 'string', default: 'gpu' },
  matrix: { type: 'string', default: 'auto' },
  check: { type: 'boolean' },
  'no-check': { type: 'boolean' },
  threads: { type: 'string' },
} as const;

export const kBackendHelp = `Backend:
  --device gpu|cpu          the WebGPU engine (float32) or the float64 CPU reference     [gpu]
  --matrix dense|free|auto  GPU storage of M: dense, matrix-free (entries recomputed per
                            product), or dense while it fits the memory budget           [auto]
  --check | --no-check      also run the float64 CPU reference and report the GPU's error
                            [on up to ${kCheckMaxUnknowns} unknowns]
  --threads K               threads of the float64 CPU path (--device cpu, --check): the
                            same numbers bit for bit with any K                  [every core]`;

export interface BackendChoice {
  device: DeviceChoice;
  matrix: MatrixChoice;
  check: boolean;
  /** Threads of the float64 CPU path. */
  threads: number;
}

/** The backend flags, over the run layer's parsers and check policy (src/run/check.ts). */
export function backendChoice(
  values: { device?: string; matrix?: string; check?: boolean; 'no-check'?: boolean; threads?: string },
  system: DarwinSystem,
): BackendChoice {
  const device = parseDevice(values.device ?? 'gpu', '--device');
  const matrix = parseMatrix(values.matrix ?? 'auto', '--matrix');
  if (values.check && values['no-check'])
    throw new InputError('give --check or --no-check, not both', 'check');
  const requested = values.check ? true : values['no-check'] ? false : undefined;
  const threads = threadsOption(values.threads);
  return { device, matrix, check: checkDecision(system, device, requested) === 'on', threads };
}

/** --threads: K, or every core of this machine. */
export function threadsOption(text: string | undefined): number {
  return text === undefined ? nodeThreads() : parseThreads(text, '--threads');
}

/** The float64 CPU reference on `threads` threads (src/parallel/); its dispose() ends the workers. */
export function cpuReference(system: DarwinSystem, threads: number): MassMatrixBackend {
  return cpuBackend(system, 'float64', nodeWorkerPool(threads, kCpuKernels));
}

export interface OpenBackend {
  backend: MassMatrixBackend;
  device: DeviceSummary;
  /** How the GPU holds M ('dense' or 'free'); null on the CPU. */
  matrix: MatrixStorage | null;
  /** The float64 reference when --check is on, built on first use. */
  reference(): MassMatrixBackend | null;
  close(): void;
}

export async function openBackend(
  system: DarwinSystem,
  choice: BackendChoice,
  progress: Progress,
): Promise<OpenBackend> {
  const size = unknowns(system);
  let reference: MassMatrixBackend | null = null;
  const referenceOnce = () => {
    if (!choice.check) return null;
    if (!reference) {
      progress.log(`check: assembling the float64 reference (${size} x ${size})`);
      reference = cpuReference(system, choice.threads);
    }
    return reference;
  };
  if (choice.device === 'cpu') {
    checkCpuFits(system, { source: 'free host memory', availableBytes: freemem });
    progress.detail(
      `memory: the CPU reference takes ${megabytes(cpuBackendBytes(system))} of ${gigabytes(freemem())} free`,
    );
    progress.log(
      `assembling M on the CPU: ${size} x ${size} float64 (${((size * size * 8) / 1e6).toFixed(1)} MB)`,
    );
    const backend = cpuReference(system, choice.threads);
    return {
      backend,
      device: kCpuDevice,
      matrix: null,
      reference: () => null,
      close: () => backend.dispose(),
    };
  }
  // gpuBackend refuses what float32 cannot hold; asked here first, a refusal needs no device.
  checkFloat32System(system);
  const gpu = await openGpu();
  try {
    progress.log(
      `setting up M on the GPU (${gpu.device.description}): ${size} unknowns, matrix ${choice.matrix}`,
    );
    const backend = await gpuBackend(gpu.context, system, {
      matrix: choice.matrix,
      onChunk: chunkProgress(progress),
    });
    if (progress.verbose) {
      for (const line of gpuBackendDetails(gpu.context, system, backend.matrix, backend.checkEvery))
        progress.detail(line);
    }
    return {
      backend,
      device: gpu.device,
      matrix: backend.matrix,
      reference: referenceOnce,
      close: () => {
        backend.dispose();
        releaseDevice(gpu.context);
        (reference as MassMatrixBackend | null)?.dispose();
      },
    };
  } catch (error) {
    releaseDevice(gpu.context);
    throw error;
  }
}

const megabytes = (bytes: number) => `${(bytes / 1e6).toPrecision(3)} MB`;

/** How the GPU backend holds M and runs its solvers (--verbose): memory, chunks, step variant, k. */
export function gpuBackendDetails(
  context: GpuContext,
  system: DarwinSystem,
  matrix: MatrixStorage,
  checkEvery: number,
): string[] {
  const size = unknowns(system);
  const { n } = system.configuration;
  const step = `Krylov steps '${krylovStepFor(context.profile, size)}', k = ${checkEvery} iterations per readback`;
  if (matrix === 'dense') {
    const need = denseAllocation(system);
    return [
      `matrix: dense; memory: ${megabytes(need.total)} (M ${megabytes(need.matrix)}, vectors ` +
        `${megabytes(need.vectors)}, Lanczos basis ${megabytes(need.lanczosBasis)})`,
      step,
    ];
  }
  const pairs = chunkPairs(context);
  const rows = rowsPerChunk(n, pairs, kMatvecFreeWorkgroupSize);
  return [
    `matrix: free; memory: positions ${megabytes(kPositionStride * n)}, entries recomputed per product`,
    `product chunks: ${Math.ceil(n / rows)} of ${rows} electrons (${pairs} pairs per chunk on a ` +
      `${context.profile.runsOnCpu ? 'CPU adapter' : 'GPU'})`,
    step,
  ];
}

/**
 * The progress line of a long step split into chunks (a matrix-free product at large N), with the
 * time left at the rate of its chunks so far; Progress.update's checkpoint stops the step when the
 * run was interrupted.
 */
export function chunkProgress(
  progress: Progress,
  now: () => number = () => performance.now(),
): (step: string, done: number, total: number) => void {
  let first: { step: string; done: number; at: number } | null = null;
  return (step, done, total) => {
    const at = now();
    if (!first || first.step !== step || done <= first.done) first = { step, done, at };
    const rate = (done - first.done) / (at - first.at);
    const left = rate > 0 ? `, ~${Math.ceil((total - done) / rate / 1000)} s left` : '';
    progress.within(`${step}: chunk ${done} of ${total}${left}`);
  };
}
