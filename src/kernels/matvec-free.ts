// Host side of shaders/matvec_free.wgsl: matrix-free y = M x (eq. 48/50 generalised), recomputing
// every entry from the positions, so memory stays O(N) at any N.
import { unknowns, validateSystem, type DarwinSystem } from '../physics/models.ts';
import { createBuffer } from '../gpu/buffers.ts';
import { withErrorScopes, type GpuContext } from '../gpu/device.ts';
import { shaderModule } from '../gpu/shaders.ts';
import {
  beginMatvecPass,
  checkWorkgroupSize,
  matvecPipelineLayout,
  workgroupCount,
  type GpuLinearOperator,
  type MatvecOptions,
} from './operator.ts';
import { createPositionsBuffer, gpuModel, type GpuModel } from './system.ts';

/** Threads per workgroup, and electrons per tile staged through workgroup memory. */
export const kMatvecFreeWorkgroupSize = 64;

/** Byte size of the WGSL struct FreeParams (a test checks the two agree). */
export const kFreeParamsBytes = 16;

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
  view.setFloat32(8, params.epsilon, true); // epsilon: eps = r_e / R (eq. 49/50)
  // softeningSquared: a^2, squared in float64 and rounded once.
  view.setFloat32(12, params.softening * params.softening, true);
  return view.buffer;
}

const kEntryPoints: Record<GpuModel, string> = {
  vector3d: 'matvec_free_vector3d',
  vector2d: 'matvec_free_vector2d',
  azimuthal: 'matvec_free_azimuthal',
};

export class MatvecFreeKernel {
  readonly device: GPUDevice;
  readonly workgroupSize: number;
  /** Group 0: FreeParams (uniform) and the positions (read-only storage). */
  readonly systemLayout: GPUBindGroupLayout;
  readonly #pipelineLayout: GPUPipelineLayout;
  readonly #pipelines = new Map<GpuModel, GPUComputePipeline>();

  constructor(device: GPUDevice, workgroupSize = kMatvecFreeWorkgroupSize) {
    this.device = device;
    this.workgroupSize = checkWorkgroupSize(device, workgroupSize, false);
    this.systemLayout = device.createBindGroupLayout({
      label: 'MatvecFree.systemLayout',
      entries: [
        {
          binding: 0,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type: 'uniform', minBindingSize: kFreeParamsBytes },
        },
        { binding: 1, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'read-only-storage' } },
      ],
    });
    this.#pipelineLayout = matvecPipelineLayout(device, 'MatvecFree.pipelineLayout', this.systemLayout);
  }

  pipeline(model: GpuModel): GPUComputePipeline {
    let pipeline = this.#pipelines.get(model);
    if (!pipeline) {
      pipeline = this.device.createComputePipeline({
        label: `MatvecFree.${model}`,
        layout: this.#pipelineLayout,
        compute: {
          module: shaderModule(this.device, 'matvecFree'),
          entryPoint: kEntryPoints[model],
          constants: { workgroupSize: this.workgroupSize },
        },
      });
      this.#pipelines.set(model, pipeline);
    }
    return pipeline;
  }

  bindSystem(label: string, params: GPUBuffer, positions: GPUBuffer): GPUBindGroup {
    return this.device.createBindGroup({
      label,
      layout: this.systemLayout,
      entries: [
        { binding: 0, resource: { buffer: params } },
        { binding: 1, resource: { buffer: positions } },
      ],
    });
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
    const label = `MatvecFree.pass.${model}`;
    const pass = beginMatvecPass(this.device, encoder, label, this.pipeline(model), x, y, options);
    pass.setBindGroup(0, system);
    pass.dispatchWorkgroups(workgroupCount(this.device, n, this.workgroupSize));
    pass.end();
  }
}

export interface GpuMatrixFreeOptions {
  workgroupSize?: number;
}

/** The mass matrix as a matrix-free GpuLinearOperator: O(N) memory, O(N^2) work per product. */
export class GpuMatrixFreeMassMatrix implements GpuLinearOperator {
  readonly size: number;
  readonly model: GpuModel;
  readonly n: number;
  readonly #kernel: MatvecFreeKernel;
  readonly #buffers: readonly GPUBuffer[];
  readonly #system: GPUBindGroup;

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
    this.#buffers = [params, positions];
    this.#system = kernel.bindSystem('MatvecFree.system', params, positions);
    // Build the pipeline now, inside the caller's error scopes, not in the first record().
    kernel.pipeline(this.model);
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
          usage: GPUBufferUsage.UNIFORM,
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

  record(encoder: GPUCommandEncoder, x: GPUBuffer, y: GPUBuffer, options?: MatvecOptions): void {
    this.#kernel.record(encoder, this.model, this.#system, this.n, x, y, options);
  }

  destroy(): void {
    for (const buffer of this.#buffers) buffer.destroy();
  }
}
