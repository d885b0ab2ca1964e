// Many small uniform structs in few buffers: a solve binds dozens of parameter structs (one per
// BLAS call and reduction), and Lanczos one more per step, which would otherwise be as many tiny
// buffers.
import { alignTo } from './buffers.ts';

/** Slots per buffer: a buffer per 64 structs keeps a solve's dozens of them in one or two buffers. */
const kSlotsPerBuffer = 64;

/**
 * Bytes of the largest struct a slot holds: the solver kernels' params (BLAS, reductions, Krylov
 * scalars) take at most 48, and 256 is the coarsest minUniformBufferOffsetAlignment WebGPU allows.
 */
const kLargestStruct = 256;

/**
 * Slots of kLargestStruct bytes rounded up to minUniformBufferOffsetAlignment, in buffers of
 * kSlotsPerBuffer slots, each filled once by queue.writeBuffer (ordered before any later submit).
 */
export class UniformArena {
  readonly device: GPUDevice;
  readonly label: string;
  readonly slotBytes: number;
  readonly #buffers: GPUBuffer[] = [];
  #used = 0;

  constructor(device: GPUDevice, label: string) {
    this.device = device;
    this.label = label;
    this.slotBytes = alignTo(kLargestStruct, device.limits.minUniformBufferOffsetAlignment);
  }

  /** A fresh slot holding `data` (at most slotBytes bytes). */
  allocate(data: ArrayBuffer): GPUBufferBinding {
    if (data.byteLength > this.slotBytes)
      throw new RangeError(`a ${data.byteLength}-byte uniform exceeds the ${this.slotBytes}-byte slot`);
    if (this.#used === this.#buffers.length * kSlotsPerBuffer) {
      this.#buffers.push(
        this.device.createBuffer({
          label: `${this.label}[${this.#buffers.length}]`,
          size: this.slotBytes * kSlotsPerBuffer,
          usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
        }),
      );
    }
    const buffer = this.#buffers[this.#buffers.length - 1];
    const offset = (this.#used % kSlotsPerBuffer) * this.slotBytes;
    this.#used++;
    this.device.queue.writeBuffer(buffer, offset, data);
    return { buffer, offset, size: data.byteLength };
  }

  destroy(): void {
    for (const buffer of this.#buffers) buffer.destroy();
    this.#buffers.length = 0;
    this.#used = 0;
  }
}
