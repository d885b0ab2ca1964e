// Host side of shaders/assemble.wgsl: fills the row blocks of the interaction part T of the dense
// float32 mass matrix M = D + eps T (eq. 48/50 generalised), which depends on the configuration
// alone; the product adds D and eps. The storage layout is documented in mass-matrix.ts.
import { createBuffer } from '../gpu/buffers.ts';
import { ShaderEntries, checkWorkgroupSize, workgroupCount } from '../gpu/pipelines.ts';
import { blockSize, type DarwinSystem } from '../physics/models.ts';
import { gpuModel, type GpuModel } from './system.ts';

/** Threads per workgroup along the electron groups; the WGSL `workgroupSize` override. */
export const kAssembleWorkgroupSize = 64;

/** Byte size of the WGSL struct AssembleParams (a test checks the two agree). */
export const kAssembleParamsBytes = 32;

export interface AssembleParams {
  /** The dispatch's rows [rowStart, rowStart + rowCount) of M. */
  readonly rowStart: number;
  readonly rowCount: number;
  /** Where row rowStart sits in the block's buffer: 0 unless the block is filled in chunks. */
  readonly blockRow: number;
  /** Electrons N; the columns of electrons past it are pad. */
  readonly n: number;
  /** Row stride in vec4s: b ceil(N / 4), b the unknowns per electron (mass-matrix.ts). */
  readonly chunks: number;
  readonly softening: number;
}

export function packAssembleParams(params: AssembleParams): ArrayBuffer {
  const view = new DataView(new ArrayBuffer(kAssembleParamsBytes));
  view.setUint32(0, params.rowStart, true); // rowStart: first row of M that the dispatch fills
  view.setUint32(4, params.rowCount, true); // rowCount: rows the dispatch fills
  view.setUint32(8, params.n, true); // n: electrons; the columns of electrons past it are pad
  view.setUint32(12, params.chunks, true); // chunks: vec4s per stored row
  // softeningSquared: a^2, squared in float64 and rounded once.
  view.setFloat32(16, params.softening * params.softening, true);
  view.setUint32(20, params.blockRow, true); // blockRow: row rowStart's index in the block's buffer
  // pad0, pad1: the struct is rounded up to 16 bytes, the uniform alignment.
  return view.buffer;
}

/** Rows [rowStart, rowStart + rowCount) of the stored T (mass-matrix.ts) as one dispatch fills them. */
export interface AssembleTarget {
  readonly rowStart: number;
  readonly rowCount: number;
  /** The row block's buffer, which holds row rowStart at row `blockRow` (default 0). */
  readonly buffer: GPUBuffer;
  readonly blockRow?: number;
}

/** A prepared dispatch: the parameters and bind group for one row block. */
export interface AssembleBinding {
  readonly bindGroup: GPUBindGroup;
  readonly params: GPUBuffer;
  /** Groups of 4 electrons, one thread each per electron of the block: ceil(n / 4). */
  readonly groups: number;
  /** The block's electrons (its rows / b: blocks hold whole electrons). */
  readonly electrons: number;
}

const kEntryPoints = {
  vector3d: 'assemble_vector3d',
  vector2d: 'assemble_vector2d',
  azimuthal: 'assemble_azimuthal',
} as const satisfies Record<GpuModel, string>;

type AssembleEntry = (typeof kEntryPoints)[GpuModel];

// Every model's group 0: AssembleParams (uniform), the positions, the row block written.
const kBindings = { 0: 'uniform', 1: 'read', 2: 'write' } as const;

export class AssembleKernel {
  readonly device: GPUDevice;
  readonly workgroupSize: number;
  readonly entries: ShaderEntries<AssembleEntry>;

  constructor(device: GPUDevice, workgroupSize = kAssembleWorkgroupSize) {
    this.device = device;
    this.workgroupSize = checkWorkgroupSize(device, workgroupSize, false);
    this.entries = new ShaderEntries(device, {
      family: 'Assemble',
      shader: 'assemble',
      bindings: {
        assemble_vector3d: kBindings,
        assemble_vector2d: kBindings,
        assemble_azimuthal: kBindings,
      },
      uniformBytes: kAssembleParamsBytes,
      constants: { workgroupSize: this.workgroupSize },
    });
  }

  /**
   * Uploads the parameters of each row block of `system`'s T, stored `stride` floats per row, and
   * binds it to its buffer; destroy the bindings' `params` once the work is done. `system.epsilon`
   * is not read: T does not depend on it.
   */
  prepare(
    label: string,
    system: Omit<DarwinSystem, 'epsilon'>,
    stride: number,
    positions: GPUBuffer,
    blocks: readonly AssembleTarget[],
  ): AssembleBinding[] {
    const n = system.configuration.n;
    const entry = kEntryPoints[gpuModel(system)];
    return blocks.map((block, b) => {
      const params = createBuffer(this.device, {
        label: `${label}[${b}].params`,
        size: kAssembleParamsBytes,
        usage: GPUBufferUsage.UNIFORM,
        data: new Uint8Array(
          packAssembleParams({
            rowStart: block.rowStart,
            rowCount: block.rowCount,
            blockRow: block.blockRow ?? 0,
            n,
            chunks: stride / 4,
            softening: system.softening,
          }),
        ),
      });
      const bindGroup = this.entries.createBindGroup(`${label}[${b}].bindGroup`, entry, [
        { binding: 0, resource: { buffer: params } },
        { binding: 1, resource: { buffer: positions } },
        { binding: 2, resource: { buffer: block.buffer } },
      ]);
      return { bindGroup, params, groups: Math.ceil(n / 4), electrons: block.rowCount / blockSize(system) };
    });
  }

  /** One compute pass, one dispatch per row block: x over groups of 4 electrons, y over its electrons. */
  record(
    encoder: GPUCommandEncoder,
    model: GpuModel,
    bindings: readonly AssembleBinding[],
    timestampWrites?: GPUComputePassTimestampWrites,
  ): void {
    const pass = encoder.beginComputePass({ label: `Assemble.pass.${model}`, timestampWrites });
    for (const binding of bindings) {
      const groups = workgroupCount(this.device, binding.groups, this.workgroupSize);
      this.entries.dispatch(pass, kEntryPoints[model], binding.bindGroup, groups, binding.electrons);
    }
    pass.end();
  }
}
