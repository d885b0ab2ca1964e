// The dense float32 mass matrix M = D + eps T (eq. 48/50 generalised) resident on the GPU: the
// interaction T, assembled by assemble.wgsl, the diagonal D as a vector and eps as a uniform, applied
// together by matvec_dense.wgsl; the GPU Krylov solvers use it through
// GpuLinearOperator.record(encoder, x, y). T depends on the configuration alone, so setEpsilon
// moves along a sweep over eps at the cost of one uniform write per row block, not a reassembly.
//
// Storage layout of T: row-major with a row stride of `stride` = 4 b ceil(N / 4) floats (b unknowns per
// electron): the columns of whole groups of 4 electrons, so that every row starts on a vec4 and an
// assembly thread writes a group's b vec4s of a row with no test for the row's end. The pad
// columns past the size hold zeros. The rows are split into row blocks of `rowsPerBlock` rows, a
// multiple of b so that no electron's rows straddle two blocks (the last block may be shorter),
// each block its own buffer of rowCount * stride * 4 bytes, because one binding holds at most
// maxStorageBufferBindingSize bytes (128 MiB by default, 1 GiB on SwiftShader): block k holds rows
// [k rowsPerBlock, k rowsPerBlock + rowCount) and entry (row, col) sits at float index
// (row - rowStart) * stride + col of its buffer.
import {
  blockSize,
  massDiagonal,
  unknowns,
  validateSystem,
  type DarwinSystem,
  type SystemSize,
} from '../physics/models.ts';
import { alignTo, createBuffer } from '../gpu/buffers.ts';
import { GpuError, withErrorScopes, type GpuContext, type GpuLimits } from '../gpu/device.ts';
import { readBuffer } from '../gpu/readback.ts';
import { AssembleKernel, type AssembleTarget } from './assemble.ts';
import { chunkPairs, type ChunkHook } from './matvec-free.ts';
import type { DenseMatvecVariant } from '../gpu/profile.ts';
import {
  DenseMatvecKernel,
  kDenseEpsilonOffset,
  kDenseParamsBytes,
  packDenseParams,
  type DenseBlockBinding,
} from './matvec-dense.ts';
import { writeEpsilonSlots, type GpuMassOperator, type MatvecOptions } from './operator.ts';
import { createPositionsBuffer, gpuModel } from './system.ts';

export interface RowBlockPlan {
  readonly rowStart: number;
  readonly rowCount: number;
}

/** What the layout depends on: N electrons of b unknowns each. */
export interface MatrixShape {
  readonly n: number;
  readonly blockSize: number;
}

export function matrixShape(system: SystemSize): MatrixShape {
  return { n: system.configuration.n, blockSize: blockSize(system) };
}

/** Floats per stored row: the columns of ceil(N / 4) whole groups of 4 electrons. */
export function rowStride(shape: MatrixShape): number {
  return 4 * shape.blockSize * Math.ceil(shape.n / 4);
}

/** Bytes of the stored T, padding included. */
export function denseMatrixBytes(shape: MatrixShape): number {
  return 4 * rowStride(shape) * shape.n * shape.blockSize;
}

export interface StoragePlan {
  readonly size: number;
  readonly stride: number;
  readonly rowsPerBlock: number;
  readonly blocks: readonly RowBlockPlan[];
}

/**
 * Splits the rows into blocks of whole electrons that each fit one storage binding and one
 * dispatch dimension (the 'workgroup' matvec launches one workgroup per matrix row).
 * `maxRowsPerBlock` lowers the block size further, so that tests can exercise the split at small
 * sizes; it is rounded down to whole electrons.
 */
export function planStorage(
  shape: MatrixShape,
  limits: Pick<
    GpuLimits,
    'maxStorageBufferBindingSize' | 'maxBufferSize' | 'maxComputeWorkgroupsPerDimension'
  >,
  maxRowsPerBlock = Infinity,
): StoragePlan {
  const b = shape.blockSize;
  if (maxRowsPerBlock < b) {
    throw new RangeError(`maxRowsPerBlock ${maxRowsPerBlock} is less than one electron's ${b} rows`);
  }
  const size = shape.n * b;
  const stride = rowStride(shape);
  const rowBytes = 4 * stride;
  const bytesPerBlock = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  const rowsPerBlock =
    b *
    Math.floor(
      Math.min(
        Math.floor(bytesPerBlock / rowBytes),
        limits.maxComputeWorkgroupsPerDimension,
        Math.floor(maxRowsPerBlock),
        size,
      ) / b,
    );
  if (rowsPerBlock < 1) {
    throw new GpuError(
      'out-of-memory',
      `the ${b} rows of one electron of the ${size} x ${size} matrix (${b * rowBytes} bytes) exceed ` +
        `the largest storage binding (${bytesPerBlock} bytes); use the matrix-free operator`,
    );
  }
  const blocks: RowBlockPlan[] = [];
  for (let rowStart = 0; rowStart < size; rowStart += rowsPerBlock) {
    blocks.push({ rowStart, rowCount: Math.min(rowsPerBlock, size - rowStart) });
  }
  return { size, stride, rowsPerBlock, blocks };
}

export interface GpuMassMatrixOptions {
  /** Default: whatever fits one storage binding. */
  maxRowsPerBlock?: number;
  /** Default: the device profile's (context.profile.denseMatvec). */
  variant?: DenseMatvecVariant;
  /** Workgroup size of the matvec (a power of two). */
  workgroupSize?: number;
  /**
   * Electrons per chunk of the assembly (default: the device kind's chunkPairs over N); tests force
   * small chunks.
   */
  electronsPerChunk?: number;
  /** Called after each chunk of an assembly of several; may throw to stop it (src/cli/progress.ts). */
  onChunk?: ChunkHook;
}

/**
 * The assembly's dispatches: each row block split into chunks of `electronsPerChunk` electrons'
 * rows, so that a long assembly reports progress and can stop between them.
 */
export function assemblyChunks(
  blocks: readonly GpuRowBlock[],
  blockSize: number,
  electronsPerChunk: number,
): AssembleTarget[] {
  if (!Number.isInteger(electronsPerChunk) || electronsPerChunk < 1)
    throw new RangeError(`electronsPerChunk must be a positive integer, got ${electronsPerChunk}`);
  const rows = blockSize * electronsPerChunk;
  return blocks.flatMap((block) => {
    const chunks: AssembleTarget[] = [];
    for (let blockRow = 0; blockRow < block.rowCount; blockRow += rows) {
      chunks.push({
        rowStart: block.rowStart + blockRow,
        rowCount: Math.min(rows, block.rowCount - blockRow),
        blockRow,
        buffer: block.buffer,
      });
    }
    return chunks;
  });
}

export interface GpuRowBlock extends RowBlockPlan {
  readonly buffer: GPUBuffer;
}

export class GpuMassMatrix implements GpuMassOperator {
  readonly size: number;
  readonly stride: number;
  readonly blocks: readonly GpuRowBlock[];
  readonly variant: DenseMatvecVariant;
  readonly #device: GPUDevice;
  readonly #kernel: DenseMatvecKernel;
  readonly #params: GPUBuffer;
  readonly #paramsSlot: number;
  readonly #diagonal: GPUBuffer;
  readonly #bindings: readonly DenseBlockBinding[];
  #epsilon: number;

  private constructor(
    device: GPUDevice,
    plan: StoragePlan,
    blocks: GpuRowBlock[],
    kernel: DenseMatvecKernel,
    uniforms: { params: GPUBuffer; paramsSlot: number; diagonal: GPUBuffer; epsilon: number },
  ) {
    this.#device = device;
    this.size = plan.size;
    this.stride = plan.stride;
    this.blocks = blocks;
    this.variant = kernel.variant;
    this.#kernel = kernel;
    this.#params = uniforms.params;
    this.#paramsSlot = uniforms.paramsSlot;
    this.#diagonal = uniforms.diagonal;
    this.#epsilon = uniforms.epsilon;
    this.#bindings = blocks.map((block, b) => ({
      bindGroup: kernel.bindBlock(
        `MassMatrix.block[${b}]`,
        uniforms.params,
        b * uniforms.paramsSlot,
        block.buffer,
        uniforms.diagonal,
      ),
      rowCount: block.rowCount,
    }));
    // Build the pipeline now, inside the caller's error scopes, not in the first record().
    kernel.entries.warm();
  }

  /**
   * Assembles T for `system` on the GPU, with D and `system.epsilon` for the product (validating
   * the system first, as the CPU reference does). Buffer
   * allocation, pipeline creation and the assembly itself run inside error scopes: a failure is a
   * GpuError labelled 'GpuMassMatrix.assemble', and nothing is left allocated.
   */
  static async assemble(
    context: GpuContext,
    system: DarwinSystem,
    options: GpuMassMatrixOptions = {},
  ): Promise<GpuMassMatrix> {
    validateSystem(system);
    const { device } = context;
    const size = unknowns(system);
    const plan = planStorage(matrixShape(system), context.limits, options.maxRowsPerBlock);
    const chunks = plan.stride / 4;
    // Buffers the matrix keeps (freed here only on failure) and those only the assembly needs.
    const owned: GPUBuffer[] = [];
    const temporary: GPUBuffer[] = [];
    try {
      return await withErrorScopes(device, 'GpuMassMatrix.assemble', async () => {
        const positions = createPositionsBuffer(device, system);
        temporary.push(positions);
        const blocks = plan.blocks.map((block, b) => {
          const buffer = device.createBuffer({
            label: `MassMatrix.rows[${b}]`,
            size: 4 * plan.stride * block.rowCount,
            usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
          });
          owned.push(buffer);
          return { ...block, buffer };
        });

        const assembler = new AssembleKernel(device);
        const n = system.configuration.n;
        const electrons = options.electronsPerChunk ?? Math.max(1, Math.floor(chunkPairs(context) / n));
        const targets = assemblyChunks(blocks, blockSize(system), electrons);
        const bindings = assembler.prepare('Assemble.rows', system, plan.stride, positions, targets);
        temporary.push(...bindings.map((binding) => binding.params));
        // One submit per chunk: a long assembly reports progress, and a stop takes effect, between them.
        for (const [c, binding] of bindings.entries()) {
          const encoder = device.createCommandEncoder({ label: `MassMatrix.assembleEncoder[${c}]` });
          assembler.record(encoder, gpuModel(system), [binding]);
          device.queue.submit([encoder.finish()]);
          if (options.onChunk && bindings.length > 1) {
            await device.queue.onSubmittedWorkDone();
            options.onChunk(c + 1, bindings.length);
          }
        }

        const diagonal = createBuffer(device, {
          label: 'MassMatrix.diagonal',
          size: 4 * size,
          usage: GPUBufferUsage.STORAGE,
          data: Float32Array.from(massDiagonal(system)),
        });
        owned.push(diagonal);
        // Every block's DenseParams in one uniform buffer, one aligned slot each.
        const slot = alignTo(kDenseParamsBytes, device.limits.minUniformBufferOffsetAlignment);
        const paramsData = new Uint8Array(slot * blocks.length);
        blocks.forEach((block, b) => {
          const packed = packDenseParams({
            rowStart: block.rowStart,
            rowCount: block.rowCount,
            size,
            chunks,
            epsilon: system.epsilon,
          });
          paramsData.set(new Uint8Array(packed), b * slot);
        });
        const params = createBuffer(device, {
          label: 'MassMatrix.params',
          size: paramsData.byteLength,
          usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
          data: paramsData,
        });
        owned.push(params);
        const variant = options.variant ?? context.profile.denseMatvec;
        const kernel = new DenseMatvecKernel(device, variant, options.workgroupSize);
        return new GpuMassMatrix(device, plan, blocks, kernel, {
          params,
          paramsSlot: slot,
          diagonal,
          epsilon: system.epsilon,
        });
      });
    } catch (error) {
      for (const buffer of owned) buffer.destroy();
      throw error;
    } finally {
      // withErrorScopes has waited for the assembly to finish.
      for (const buffer of temporary) buffer.destroy();
    }
  }

  /** eps of the product (eq. 49/50). */
  get epsilon(): number {
    return this.#epsilon;
  }

  /**
   * Makes later products D x + `epsilon` T x: one uniform write per row block, ordered on the
   * queue before any command buffer submitted after this call, and after every one before it.
   */
  setEpsilon(epsilon: number): void {
    const blocks = this.blocks.length;
    writeEpsilonSlots(this.#device, this.#params, blocks, this.#paramsSlot, kDenseEpsilonOffset, epsilon);
    this.#epsilon = epsilon;
  }

  /** Bytes of GPU memory the stored entries of T take (padding included). */
  get byteLength(): number {
    return this.blocks.reduce((total, block) => total + block.buffer.size, 0);
  }

  record(encoder: GPUCommandEncoder, x: GPUBuffer, y: GPUBuffer, options?: MatvecOptions): void {
    // x is read in whole vec4s: a shorter buffer would pass validation and be read past its end.
    const xBytes = 16 * Math.ceil(this.size / 4);
    if (x.size < xBytes || y.size < 4 * this.size) {
      throw new RangeError(
        `the product of a ${this.size} x ${this.size} matrix needs x of ${xBytes} bytes (createVector) and ` +
          `y of ${4 * this.size}, got ${x.size} and ${y.size}`,
      );
    }
    this.#kernel.record(encoder, this.#bindings, x, y, options);
  }

  /** The size x size entries of T, row-major without the padding (for tests and small exports). */
  async read(): Promise<Float32Array> {
    const entries = new Float32Array(this.size * this.size);
    for (const block of this.blocks) {
      const stored = new Float32Array(await readBuffer(this.#device, block.buffer));
      for (let r = 0; r < block.rowCount; r++) {
        const row = stored.subarray(r * this.stride, r * this.stride + this.size);
        entries.set(row, (block.rowStart + r) * this.size);
      }
    }
    return entries;
  }

  destroy(): void {
    for (const block of this.blocks) block.buffer.destroy();
    this.#params.destroy();
    this.#diagonal.destroy();
  }
}
