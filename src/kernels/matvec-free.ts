// Host side of shaders/matvec_free.wgsl: matrix-free y = M x (eq. 48/50 generalised), recomputing
// every entry from the positions, so memory stays O(N) at any N.
import { unknowns, validateSystem, type DarwinSystem } from '../physics/models.ts';
import { createBuffer } from '../gpu/buffers.ts';
import { withErrorScopes, type GpuContext } from '../gpu/device.ts';
import { ShaderEntries } from '../gpu/pipelines.ts';
import {
  beginMatvecPass,
  checkWorkgroupSize,
  matvecSharedLayouts,
  workgroupCount,
  type GpuMassOperator,
  type MatvecOptions,
} from './operator.ts';
import { createPositionsBuffer, gpuModel, type GpuModel } from './system.ts';

/** Threads per workgroup, and electrons per tile staged through workgroup memory. */
export const kMatvecFreeWorkgroupSize = 64;

/** Byte size of the WGSL struct FreeParams (a test checks the two agree). */
export const kFreeParamsBytes = 16;

/** Byte offset of FreeParams.epsilon, which a sweep over eps rewrites alone. */
export const kFreeEpsilonOffset = 8;

export interface FreeParams {
  readonly n: number;
  readonly size: number;
  readonly epsilon: number;
  readonly softening: number;
}

export function packFreeParams(params: FreeParams): ArrayBuffer {
  const view = new DataView(new ArrayBuffer(kFreeParamsBytes));
  view.setUint32(0, params.n, true); // n: electrons N
  view.setUint32(4, params.size, true); // size: length of x and y, N times the block size
  view.setFloat32(kFreeEpsilonOffset, params.epsilon, true); // epsilon: eps = r_e / R (eq. 49/50)
  // softeningSquared: a^2, squared in float64 and rounded once.
  view.setFloat32(12, params.softening * params.softening, true);
  return view.buffer;
}

const kEntryPoints = {
  vector3d: 'matvec_free_vector3d',
  vector2d: 'matvec_free_vector2d',
  azimuthal: 'matvec_free_azimuthal',
} as const satisfies Record<GpuModel, string>;

type FreeEntry = (typeof kEntryPoints)[GpuModel];

// Group 0 of every model: FreeParams (uniform) and the positions.
const kSystemBindings = { 0: 'uniform', 1: 'read' } as const;

export class MatvecFreeKernel {
  readonly device: GPUDevice;
  readonly workgroupSize: number;
  /** Group 0 the system's; groups 1 and 2 the matvecs' shared vector pair and guard. */
  readonly entries: ShaderEntries<FreeEntry>;

  constructor(device: GPUDevice, workgroupSize = kMatvecFreeWorkgroupSize) {
    this.device = device;
    this.workgroupSize = checkWorkgroupSize(device, workgroupSize, false);
    this.entries = new ShaderEntries(device, {
      family: 'MatvecFree',
      shader: 'matvecFree',
      bindings: {
        matvec_free_vector3d: kSystemBindings,
        matvec_free_vector2d: kSystemBindings,
        matvec_free_azimuthal: kSystemBindings,
      },
      uniformBytes: kFreeParamsBytes,
      constants: { workgroupSize: this.workgroupSize },
      sharedLayouts: matvecSharedLayouts(device),
    });
  }

  /** Group 0 of every model's entry point: the params and the positions. */
  bindSystem(label: string, params: GPUBuffer, positions: GPUBuffer): GPUBindGroup {
    return this.entries.createBindGroup(label, kEntryPoints.vector3d, [
      { binding: 0, resource: { buffer: params } },
      { binding: 1, resource: { buffer: positions } },
    ]);
  }

  /** y = M x as one compute pass: one thread per electron. */
  record(
    encoder: GPUCommandEncoder,
    model: GpuModel,
    system: GPUBindGroup,
    n: number,
    x: GPUBuffer,
    y: GPUBuffer,
    options?: MatvecOptions,
  ): void {
    const pass = beginMatvecPass(this.device, encoder, `MatvecFree.pass.${model}`, x, y, options);
    this.entries.dispatch(
      pass,
      kEntryPoints[model],
      system,
      workgroupCount(this.device, n, this.workgroupSize),
    );
    pass.end();
  }
}

export interface GpuMatrixFreeOptions {
  workgroupSize?: number;
}

/** The mass matrix as a matrix-free GpuMassOperator: O(N) memory, O(N^2) work per product. */
export class GpuMatrixFreeMassMatrix implements GpuMassOperator {
  readonly size: number;
  readonly model: GpuModel;
  readonly n: number;
  readonly #kernel: MatvecFreeKernel;
  readonly #params: GPUBuffer;
  readonly #buffers: readonly GPUBuffer[];
  readonly #system: GPUBindGroup;
  #epsilon: number;

  private constructor(
    kernel: MatvecFreeKernel,
    system: DarwinSystem,
    params: GPUBuffer,
    positions: GPUBuffer,
  ) {
    this.size = unknowns(system);
    this.model = gpuModel(system);
    this.n = system.configuration.n;
    this.#kernel = kernel;
    this.#params = params;
    this.#epsilon = system.epsilon;
    this.#buffers = [params, positions];
    this.#system = kernel.bindSystem('MatvecFree.system', params, positions);
    // Build the pipeline now, inside the caller's error scopes, not in the first record().
    kernel.entries.pipeline(kEntryPoints[this.model]);
  }

  /** Uploads the positions and builds the pipeline inside error scopes labelled 'GpuMatrixFreeMassMatrix.create'. */
  static async create(
    context: GpuContext,
    system: DarwinSystem,
    options: GpuMatrixFreeOptions = {},
  ): Promise<GpuMatrixFreeMassMatrix> {
    validateSystem(system);
    const { device } = context;
    const owned: GPUBuffer[] = [];
    try {
      return await withErrorScopes(device, 'GpuMatrixFreeMassMatrix.create', () => {
        const kernel = new MatvecFreeKernel(device, options.workgroupSize);
        const params = createBuffer(device, {
          label: 'MatvecFree.params',
          size: kFreeParamsBytes,
          usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
          data: new Uint8Array(
            packFreeParams({
              n: system.configuration.n,
              size: unknowns(system),
              epsilon: system.epsilon,
              softening: system.softening,
            }),
          ),
        });
        owned.push(params);
        const positions = createPositionsBuffer(device, system);
        owned.push(positions);
        return new GpuMatrixFreeMassMatrix(kernel, system, params, positions);
      });
    } catch (error) {
      for (const buffer of owned) buffer.destroy();
      throw error;
    }
  }

  get epsilon(): number {
    return this.#epsilon;
  }

  setEpsilon(epsilon: number): void {
    this.#kernel.device.queue.writeBuffer(this.#params, kFreeEpsilonOffset, new Float32Array([epsilon]));
    this.#epsilon = epsilon;
  }

  record(encoder: GPUCommandEncoder, x: GPUBuffer, y: GPUBuffer, options?: MatvecOptions): void {
    this.#kernel.record(encoder, this.model, this.#system, this.n, x, y, options);
  }

  destroy(): void {
    for (const buffer of this.#buffers) buffer.destroy();
  }
}
