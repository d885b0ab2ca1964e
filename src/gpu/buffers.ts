// Buffer helpers shared by every kernel host module: one way to create, fill and size buffers.

/** Rounds `value` up to a multiple of `alignment`. */
export function alignTo(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

/**
 * Floats from one vector of `size` floats to the next where several share a buffer and each is
 * bound on its own (Lanczos' basis, MINRES's ring): binding offsets must be multiples of
 * minStorageBufferOffsetAlignment.
 */
export function boundVectorStride(device: GPUDevice, size: number): number {
  return alignTo(size, device.limits.minStorageBufferOffsetAlignment / 4);
}

export interface BufferSpec {
  /** 'Module.thing', so that validation errors name the culprit. */
  readonly label: string;
  /** Bytes; rounded up to a multiple of 4 (WebGPU copies and mappings need it). */
  readonly size: number;
  readonly usage: GPUBufferUsageFlags;
  /** Initial contents, written through mappedAtCreation (no extra staging copy). */
  readonly data?: ArrayBufferView;
}

export function createBuffer(device: GPUDevice, spec: BufferSpec): GPUBuffer {
  const size = alignTo(Math.max(spec.size, spec.data?.byteLength ?? 0, 4), 4);
  const buffer = device.createBuffer({
    label: spec.label,
    size,
    usage: spec.usage,
    mappedAtCreation: !!spec.data,
  });
  if (spec.data) {
    const bytes = new Uint8Array(spec.data.buffer, spec.data.byteOffset, spec.data.byteLength);
    new Uint8Array(buffer.getMappedRange()).set(bytes);
    buffer.unmap();
  }
  return buffer;
}

/**
 * A float32 vector of `length` entries (or holding `values`, rounded to float32) that kernels
 * bind as x or y of y = M x: storage, written from the host, read back. The buffer holds whole
 * vec4s (zero past `length`), so that the dense matvec can load x in vec4s; kernels bound-check
 * against the operator size, and readFloat32 takes the length to read. (GPUBufferUsage is read
 * here, not at module load: in Node it is a global only once Dawn is loaded.)
 */
export function createVector(
  device: GPUDevice,
  label: string,
  values: ArrayLike<number> | number,
): GPUBuffer {
  const data = typeof values === 'number' ? undefined : Float32Array.from(values);
  const length = typeof values === 'number' ? values : values.length;
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  return createBuffer(device, { label, size: alignTo(4 * length, 16), usage, data });
}

/** A whole buffer, or a range of one (a Lanczos basis column), as a kernel binds a vector. */
export type VectorBinding = GPUBuffer | GPUBufferBinding;

export function bufferBinding(vector: VectorBinding): GPUBufferBinding {
  return 'buffer' in vector ? vector : { buffer: vector };
}
