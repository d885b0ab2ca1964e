// Which backend a command runs on (--device, --matrix) and the float64 check beside it (--check).
// Both backends honour MassMatrixBackend (src/run/backend.ts), so the commands never branch on it.
import { releaseDevice } from '../gpu/device.ts';
import { gpuBackend, type MatrixStorage } from '../engine/backend.ts';
import { InputError } from '../physics/input-error.ts';
import { unknowns, type DarwinSystem } from '../physics/models.ts';
import { cpuBackend, type MassMatrixBackend } from '../run/backend.ts';
import { kCpuDevice, type DeviceSummary } from '../io/formats.ts';
import { openGpu } from './device.ts';
import type { Progress } from './progress.ts';

/** --check is on by default up to this many unknowns: the dense float64 reference then takes seconds. */
export const kCheckDefaultMaxUnknowns = 3000;

/** Float32 targets of the check (normwise relative error against float64). */
export const kCheckTargets = { momenta: 1e-6, velocities: 1e-5, eigenvalues: 1e-5 } as const;

export const kBackendOptions = {
  device: { type: 'string', default: 'gpu' },
  matrix: { type: 'string', default: 'auto' },
  check: { type: 'boolean' },
  'no-check': { type: 'boolean' },
} as const;

export const kBackendHelp = `Backend:
  --device gpu|cpu          the WebGPU engine (float32) or the float64 CPU reference     [gpu]
  --matrix dense|free|auto  GPU storage of M: dense, matrix-free (entries recomputed per
                            product), or dense while it fits the memory budget           [auto]
  --check | --no-check      also run the float64 CPU reference and report the GPU's error
                            [on up to ${kCheckDefaultMaxUnknowns} unknowns]`;

export interface BackendChoice {
  device: 'gpu' | 'cpu';
  matrix: MatrixStorage | 'auto';
  check: boolean;
}

export function backendChoice(
  values: { device?: string; matrix?: string; check?: boolean; 'no-check'?: boolean },
  system: DarwinSystem,
): BackendChoice {
  const device = values.device ?? 'gpu';
  if (device !== 'gpu' && device !== 'cpu') throw new InputError(`--device must be gpu|cpu, got '${device}'`);
  const matrix = values.matrix ?? 'auto';
  if (matrix !== 'dense' && matrix !== 'free' && matrix !== 'auto') {
    throw new InputError(`--matrix must be dense|free|auto, got '${matrix}'`);
  }
  if (values.check && values['no-check']) throw new InputError('give --check or --no-check, not both');
  const check =
    device === 'gpu' &&
    (values.check ?? (!values['no-check'] && unknowns(system) <= kCheckDefaultMaxUnknowns));
  return { device, matrix, check };
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
      reference = cpuBackend(system);
    }
    return reference;
  };
  if (choice.device === 'cpu') {
    progress.log(
      `assembling M on the CPU: ${size} x ${size} float64 (${((size * size * 8) / 1e6).toFixed(1)} MB)`,
    );
    const backend = cpuBackend(system);
    return {
      backend,
      device: kCpuDevice,
      matrix: null,
      reference: () => null,
      close: () => backend.dispose(),
    };
  }
  const gpu = await openGpu();
  try {
    progress.log(
      `setting up M on the GPU (${gpu.device.description}): ${size} unknowns, matrix ${choice.matrix}`,
    );
    const backend = await gpuBackend(gpu.context, system, { matrix: choice.matrix });
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
