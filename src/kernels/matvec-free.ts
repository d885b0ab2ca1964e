// Host side of shaders/matvec_free.wgsl: matrix-free y = M x (eq. 48/50 generalised), recomputing
// every entry from the positions, so memory stays O(N) at any N.
import { unknowns, validateSystem, type DarwinSystem } from '../physics/models.ts';
import { alignTo, createBuffer } from '../gpu/buffers.ts';
import { withErrorScopes, type GpuContext } from '../gpu/device.ts';
import { ShaderEntries, checkWorkgroupSize, workgroupCount } from '../gpu/pipelines.ts';
import {
  beginMatvecPass,
  writeEpsilonSlots,
  matvecSharedLayouts,
  type GpuMassOperator,
  type MatvecOptions,
} from './operator.ts';
import type { MatvecFreeVariant } from '../gpu/profile.ts';
import { createPositionsBuffer, gpuModel, kGpuModelCode, type GpuModel } from './system.ts';

/** Threads per workgroup, and electrons per tile staged through workgroup memory. */
export const kMatvecFreeWorkgroupSize = 64;

/** Byte size of the WGSL struct FreeParams (a test checks the two agree). */
export const kFreeParamsBytes = 32;

/**
 * Electron pairs (i, j) per chunk of a product, by device kind: a fraction of a second at each
 * kind's rate (SwiftShader: of order 10^8 pairs a second a core with the 'blocked' variant, `bench
 * --only matvec_free`; a discrete GPU: of order 10^10), so that progress and a
 * stop take effect well within a second. On a CPU the figure is per hardware thread (chunkPairs).
 */
export const kChunkPairs = { cpu: 2 ** 22, gpu: 2 ** 30 } as const;

/** kChunkPairs of the context's device kind, on a CPU times its threads (DeviceProfile.cpuThreads). */
export function chunkPairs(context: GpuContext): number {
  const { runsOnCpu, cpuThreads } = context.profile;
  return runsOnCpu ? kChunkPairs.cpu * cpuThreads : kChunkPairs.gpu;
}

/** Byte offset of FreeParams.epsilon, which a sweep over eps rewrites alone. */
export const kFreeEpsilonOffset = 8;

export interface FreeParams {
  readonly n: number;
  readonly size: number;
  readonly epsilon: number;
  readonly softening: number;
  /** The chunk's electrons [rowStart, rowStart + rowCount). */
  readonly rowStart: number;
  readonly rowCount: number;
}

export function packFreeParams(params: FreeParams): ArrayBuffer {
  const view = new DataView(new ArrayBuffer(kFreeParamsBytes));
  view.setUint32(0, params.n, true); // n: electrons N
  view.setUint32(4, params.size, true); // size: length of x and y, N times the block size
  view.setFloat32(kFreeEpsilonOffset, params.epsilon, true); // epsilon: eps = r_e / R (eq. 49/50)
  // softeningSquared: a^2, squared in float64 and rounded once.
  view.setFloat32(12, params.softening * params.softening, true);
  view.setUint32(16, params.rowStart, true); // rowStart: the chunk's first electron
  view.setUint32(20, params.rowCount, true); // rowCount: the chunk's electrons
  // pad0, pad1: the struct is rounded up to 16 bytes, the uniform alignment.
  return view.buffer;
}

const kEntryPoints = {
  vector3d: 'matvec_free_vector3d',
  vector2d: 'matvec_free_vector2d',
  azimuthal: 'matvec_free_azimuthal',
} as const satisfies Record<GpuModel, string>;

type FreeEntry = (typeof kEntryPoints)[GpuModel] | 'matvec_free_blocked';

// Group 0 of every model: FreeParams (uniform) and the positions.
const kSystemBindings = { 0: 'uniform', 1: 'read' } as const;

/** Electrons per thread of each variant (kBlockRows of matvec_free.wgsl for 'blocked'). */
const kRowsPerThread: Record<MatvecFreeVariant, number> = { thread: 1, blocked: 8 };

/** Electrons one workgroup of the variant sums. */
export function rowsPerWorkgroup(variant: MatvecFreeVariant, workgroupSize: number): number {
  return kRowsPerThread[variant] * workgroupSize;
}

export class MatvecFreeKernel {
  readonly device: GPUDevice;
  readonly workgroupSize: number;
  readonly variant: MatvecFreeVariant;
  /** Electrons a workgroup sums: workgroupSize threads of the variant's rows each. */
  readonly rowsPerWorkgroup: number;
  /** Group 0 the system's; groups 1 and 2 the matvecs' shared vector pair and guard. */
  readonly entries: ShaderEntries<FreeEntry>;
  readonly #model: GpuModel;

  constructor(
    device: GPUDevice,
    model: GpuModel,
    variant: MatvecFreeVariant,
    workgroupSize = kMatvecFreeWorkgroupSize,
  ) {
    this.device = device;
    this.workgroupSize = checkWorkgroupSize(device, workgroupSize, false);
    this.variant = variant;
    this.rowsPerWorkgroup = rowsPerWorkgroup(variant, this.workgroupSize);
    this.#model = model;
    this.entries = new ShaderEntries(device, {
      family: 'MatvecFree',
      shader: 'matvecFree',
      bindings: {
        matvec_free_vector3d: kSystemBindings,
        matvec_free_vector2d: kSystemBindings,
        matvec_free_azimuthal: kSystemBindings,
        matvec_free_blocked: kSystemBindings,
      },
      uniformBytes: kFreeParamsBytes,
      constants: { workgroupSize: this.workgroupSize, model: kGpuModelCode[model] },
      sharedLayouts: matvecSharedLayouts(device),
    });
  }

  /** The entry point of this kernel's model and variant. */
  get entry(): FreeEntry {
    return this.variant === 'blocked' ? 'matvec_free_blocked' : kEntryPoints[this.#model];
  }

  /** Group 0 of every model's entry point: the params (the slot at `offset`) and the positions. */
  bindSystem(label: string, params: GPUBuffer, offset: number, positions: GPUBuffer): GPUBindGroup {
    return this.entries.createBindGroup(label, this.entry, [
      { binding: 0, resource: { buffer: params, offset, size: kFreeParamsBytes } },
      { binding: 1, resource: { buffer: positions } },
    ]);
  }

  /** y = M x for the chunks given, as one compute pass, one dispatch per chunk. */
  record(
    encoder: GPUCommandEncoder,
    chunks: readonly FreeChunk[],
    x: GPUBuffer,
    y: GPUBuffer,
    options?: MatvecOptions,
  ): void {
    const pass = beginMatvecPass(this.device, encoder, `MatvecFree.pass.${this.#model}`, x, y, options);
    const rowsPerThread = kRowsPerThread[this.variant];
    for (const chunk of chunks) {
      const groups = workgroupCount(
        this.device,
        Math.ceil(chunk.rowCount / rowsPerThread),
        this.workgroupSize,
      );
      this.entries.dispatch(pass, this.entry, chunk.system, groups);
    }
    pass.end();
  }
}

/** One chunk of a product: its electrons and the group 0 that tells the shader which. */
export interface FreeChunk {
  readonly rowStart: number;
  readonly rowCount: number;
  readonly system: GPUBindGroup;
}

/**
 * Chunks of one product at most: each holds a 256-byte uniform slot and a bind group, so 2 MiB and
 * 8192 bind groups at most: room for millions of electrons in a CPU adapter's chunks of two
 * workgroups (a workgroup per host thread of a 2-core machine), past which the chunks grow.
 */
export const kMaxChunks = 8192;

/**
 * Electrons per chunk for `pairs` pairs (i, j) per chunk: a whole number of workgroups of
 * `workgroupRows` electrons, at least one and enough for at most kMaxChunks chunks, at most all N.
 * The workgroups are a multiple of `threads` (a CPU's, DeviceProfile.cpuThreads), so that every
 * thread has as many of the chunk's equal workgroups to run: SwiftShader runs one dispatch at a time.
 */
export function rowsPerChunk(n: number, pairs: number, workgroupRows: number, threads = 1): number {
  const workgroups = Math.max(
    1,
    Math.floor(pairs / n / workgroupRows),
    Math.ceil(n / kMaxChunks / workgroupRows),
  );
  return Math.min(n, workgroupRows * threads * Math.ceil(workgroups / threads));
}

export interface GpuMatrixFreeOptions {
  workgroupSize?: number;
  /** Default the device profile's (src/gpu/profile.ts); tests run both. */
  variant?: MatvecFreeVariant;
  /**
   * Electrons per chunk of a product (default rowsPerChunk for the device kind's kChunkPairs);
   * tests force small chunks.
   */
  rowsPerChunk?: number;
}

/**
 * Called after each piece of a long product has run (src/engine/krylov.ts submitPieces) or each chunk
 * of an assembly; may throw to stop (src/cli/progress.ts).
 */
export type ChunkHook = (done: number, total: number) => void;

/** The mass matrix as a matrix-free GpuMassOperator: O(N) memory, O(N^2) work per product. */
export class GpuMatrixFreeMassMatrix implements GpuMassOperator {
  readonly size: number;
  /** The product's chunks, in order: one dispatch each. */
  readonly chunks: readonly FreeChunk[];
  readonly #kernel: MatvecFreeKernel;
  readonly #params: GPUBuffer;
  readonly #paramsSlot: number;
  readonly #buffers: readonly GPUBuffer[];
  #epsilon: number;

  private constructor(
    kernel: MatvecFreeKernel,
    system: DarwinSystem,
    uniforms: {
      params: GPUBuffer;
      paramsSlot: number;
      rows: readonly { rowStart: number; rowCount: number }[];
    },
    positions: GPUBuffer,
  ) {
    this.size = unknowns(system);
    this.#kernel = kernel;
    this.#params = uniforms.params;
    this.#paramsSlot = uniforms.paramsSlot;
    this.#epsilon = system.epsilon;
    this.#buffers = [uniforms.params, positions];
    this.chunks = uniforms.rows.map((rows, c) => ({
      ...rows,
      system: kernel.bindSystem(
        `MatvecFree.system[${c}]`,
        uniforms.params,
        c * uniforms.paramsSlot,
        positions,
      ),
    }));
    // Build the pipeline now, inside the caller's error scopes, not in the first record().
    kernel.entries.pipeline(kernel.entry);
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
        const kernel = new MatvecFreeKernel(
          device,
          gpuModel(system),
          options.variant ?? context.profile.matvecFree,
          options.workgroupSize,
        );
        const n = system.configuration.n;
        const chunkRows =
          options.rowsPerChunk ??
          rowsPerChunk(n, chunkPairs(context), kernel.rowsPerWorkgroup, context.profile.cpuThreads);
        if (!Number.isInteger(chunkRows) || chunkRows < 1)
          throw new RangeError(`rowsPerChunk must be a positive integer, got ${chunkRows}`);
        const rows: { rowStart: number; rowCount: number }[] = [];
        for (let rowStart = 0; rowStart < n; rowStart += chunkRows)
          rows.push({ rowStart, rowCount: Math.min(chunkRows, n - rowStart) });
        // Every chunk's FreeParams in one uniform buffer, one aligned slot each.
        const slot = alignTo(kFreeParamsBytes, device.limits.minUniformBufferOffsetAlignment);
        const paramsData = new Uint8Array(slot * rows.length);
        rows.forEach((chunk, c) => {
          const packed = packFreeParams({
            n,
            size: unknowns(system),
            epsilon: system.epsilon,
            softening: system.softening,
            ...chunk,
          });
          paramsData.set(new Uint8Array(packed), c * slot);
        });
        const params = createBuffer(device, {
          label: 'MatvecFree.params',
          size: paramsData.byteLength,
          usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
          data: paramsData,
        });
        owned.push(params);
        const positions = createPositionsBuffer(device, system);
        owned.push(positions);
        return new GpuMatrixFreeMassMatrix(kernel, system, { params, paramsSlot: slot, rows }, positions);
      });
    } catch (error) {
      for (const buffer of owned) buffer.destroy();
      throw error;
    }
  }

  get epsilon(): number {
    return this.#epsilon;
  }

  /** One uniform write per chunk (writeEpsilonSlots). */
  setEpsilon(epsilon: number): void {
    const { device } = this.#kernel;
    writeEpsilonSlots(
      device,
      this.#params,
      this.chunks.length,
      this.#paramsSlot,
      kFreeEpsilonOffset,
      epsilon,
    );
    this.#epsilon = epsilon;
  }

  /** Every chunk in one compute pass: the Krylov solvers' path, one command buffer for many products. */
  record(encoder: GPUCommandEncoder, x: GPUBuffer, y: GPUBuffer, options?: MatvecOptions): void {
    this.#kernel.record(encoder, this.chunks, x, y, options);
  }

  /** The product's chunks: each a fraction of a second at the device kind's rate (kChunkPairs). */
  get pieces(): number {
    return this.chunks.length;
  }

  /** Chunk `piece` of y = M x as one compute pass: a long product's piece in a Krylov solve. */
  recordPiece(
    encoder: GPUCommandEncoder,
    x: GPUBuffer,
    y: GPUBuffer,
    piece: number,
    options?: MatvecOptions,
  ): void {
    this.#kernel.record(encoder, [this.chunks[piece]], x, y, options);
  }

  destroy(): void {
    for (const buffer of this.#buffers) buffer.destroy();
  }
}
