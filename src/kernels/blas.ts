// Host side of shaders/blas.wgsl: BLAS-1 updates whose coefficients the GPU reads from the solver
// state (krylov.wgsl). Also the plumbing the three Krylov host modules share (reduce.ts and
// krylov.ts import it from here): ShaderEntries, the cached layouts and pipelines of a shader's
// entry points, and UniformArena, one buffer of aligned slots for the many small parameter structs
// a solve binds.
import { shaderModule, type ShaderName } from '../gpu/shaders.ts';
import { alignTo } from '../gpu/buffers.ts';
import { checkWorkgroupSize, workgroupCount } from './operator.ts';

export const kBlasWorkgroupSize = 64;

/** Most workgroups one BLAS call launches; the shaders' grid-stride loops cover the rest. */
const kMaxBlasWorkgroups = 1024;

/** Byte size of the WGSL struct BlasParams (a test checks the two agree). */
export const kBlasParamsBytes = 48;

/** BlasParams.slots entry meaning "no state word": the coefficient is its scale alone. */
export const kNoSlot = 0xffffffff;

// ---------------------------------------------------------------------------------------------
// Shared plumbing.

/** A whole buffer, or a range of one (a Lanczos basis column). */
export type VectorBinding = GPUBuffer | GPUBufferBinding;

export function bufferBinding(vector: VectorBinding): GPUBufferBinding {
  return 'buffer' in vector ? vector : { buffer: vector };
}

/** What a binding is, for an explicit layout: the params uniform, or storage read / read-write. */
export type BindingKind = 'uniform' | 'read' | 'write';

/** A compute bind-group layout with the given bindings; the uniform's minimum size is checked. */
export function computeLayout(
  device: GPUDevice,
  label: string,
  bindings: Readonly<Record<number, BindingKind>>,
  uniformBytes: number,
): GPUBindGroupLayout {
  const kinds: Record<BindingKind, GPUBufferBindingLayout> = {
    uniform: { type: 'uniform', minBindingSize: uniformBytes },
    read: { type: 'read-only-storage' },
    write: { type: 'storage' },
  };
  return device.createBindGroupLayout({
    label,
    entries: Object.entries(bindings).map(([binding, kind]) => ({
      binding: Number(binding),
      visibility: GPUShaderStage.COMPUTE,
      buffer: kinds[kind],
    })),
  });
}

/**
 * The entry points of one shader module that a host module dispatches: each gets an explicit
 * layout (entry points with the same bindings share one, so their bind groups are interchangeable)
 * and a pipeline built on first use and cached, labelled '<family>.<entry>', with the workgroup
 * size and other overrides set through `constants:`.
 */
export class ShaderEntries<Entry extends string> {
  readonly device: GPUDevice;
  readonly family: string;
  readonly #shader: ShaderName;
  readonly #bindings: Readonly<Record<Entry, Readonly<Record<number, BindingKind>>>>;
  readonly #uniformBytes: number;
  readonly #constants: Record<string, number>;
  readonly #layouts = new Map<string, GPUBindGroupLayout>();
  readonly #pipelines = new Map<Entry, GPUComputePipeline>();

  constructor(
    device: GPUDevice,
    family: string,
    shader: ShaderName,
    bindings: Readonly<Record<Entry, Readonly<Record<number, BindingKind>>>>,
    uniformBytes: number,
    constants: Record<string, number> = {},
  ) {
    this.device = device;
    this.family = family;
    this.#shader = shader;
    this.#bindings = bindings;
    this.#uniformBytes = uniformBytes;
    this.#constants = constants;
  }

  layout(entry: Entry): GPUBindGroupLayout {
    const bindings = this.#bindings[entry];
    const key = JSON.stringify(bindings);
    let layout = this.#layouts.get(key);
    if (!layout) {
      const label = `${this.family}.layout[${this.#layouts.size}]`;
      layout = computeLayout(this.device, label, bindings, this.#uniformBytes);
      this.#layouts.set(key, layout);
    }
    return layout;
  }

  pipeline(entry: Entry): GPUComputePipeline {
    let pipeline = this.#pipelines.get(entry);
    if (!pipeline) {
      const label = `${this.family}.${entry}`;
      pipeline = this.device.createComputePipeline({
        label,
        layout: this.device.createPipelineLayout({
          label: `${label}.pipelineLayout`,
          bindGroupLayouts: [this.layout(entry)],
        }),
        compute: {
          module: shaderModule(this.device, this.#shader),
          entryPoint: entry,
          constants: this.#constants,
        },
      });
      this.#pipelines.set(entry, pipeline);
    }
    return pipeline;
  }

  /** Builds every pipeline now (inside the caller's error scopes), not in the first record(). */
  warm(): void {
    for (const entry of Object.keys(this.#bindings) as Entry[]) this.pipeline(entry);
  }

  createBindGroup(label: string, entry: Entry, entries: GPUBindGroupEntry[]): GPUBindGroup {
    return this.device.createBindGroup({ label, layout: this.layout(entry), entries });
  }

  /**
   * Records one dispatch into an open compute pass. The Krylov solvers put a whole iteration's BLAS,
   * reductions and scalar kernels into one pass (a dispatch sees the writes of the ones before it),
   * because SwiftShader pays for every pass.
   */
  dispatch(pass: GPUComputePassEncoder, entry: Entry, bindGroup: GPUBindGroup, x: number, y = 1): void {
    pass.setPipeline(this.pipeline(entry));
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y);
  }
}

/**
 * Slots of minUniformBufferOffsetAlignment bytes in buffers of `slotsPerBuffer` slots, each filled
 * once by queue.writeBuffer (ordered before any later submit): a solve binds dozens of parameter
 * structs, and Lanczos one more per step, which would otherwise be as many tiny buffers.
 */
export class UniformArena {
  readonly device: GPUDevice;
  readonly label: string;
  readonly slotBytes: number;
  readonly slotsPerBuffer: number;
  readonly #buffers: GPUBuffer[] = [];
  #used = 0;

  constructor(device: GPUDevice, label: string, slotsPerBuffer = 64, largestStruct = 256) {
    this.device = device;
    this.label = label;
    this.slotBytes = alignTo(largestStruct, device.limits.minUniformBufferOffsetAlignment);
    this.slotsPerBuffer = slotsPerBuffer;
  }

  /** A fresh slot holding `data` (at most slotBytes bytes). */
  allocate(data: ArrayBuffer): GPUBufferBinding {
    if (data.byteLength > this.slotBytes)
      throw new RangeError(`a ${data.byteLength}-byte uniform exceeds the ${this.slotBytes}-byte slot`);
    if (this.#used === this.#buffers.length * this.slotsPerBuffer) {
      this.#buffers.push(
        this.device.createBuffer({
          label: `${this.label}[${this.#buffers.length}]`,
          size: this.slotBytes * this.slotsPerBuffer,
          usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
        }),
      );
    }
    const buffer = this.#buffers[this.#buffers.length - 1];
    const offset = (this.#used % this.slotsPerBuffer) * this.slotBytes;
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

// ---------------------------------------------------------------------------------------------
// BLAS-1.

/** A coefficient k = scale * state[slot] (slot: a KrylovState word), or scale alone without a slot. */
export interface Coefficient {
  readonly slot?: number;
  /** Default 1. */
  readonly scale?: number;
}

export interface BlasParams {
  readonly size: number;
  readonly columns: number;
  readonly columnStride: number;
  /** Up to four; the rest are 1. */
  readonly coefficients: readonly Coefficient[];
}

export function packBlasParams(params: BlasParams): ArrayBuffer {
  if (params.coefficients.length > 4) throw new RangeError('a BLAS call takes at most four coefficients');
  const view = new DataView(new ArrayBuffer(kBlasParamsBytes));
  view.setUint32(0, params.size, true); // size: entries updated
  view.setUint32(4, params.columns, true); // columns: basis columns of columns_sub
  view.setUint32(8, params.columnStride, true); // columnStride: floats between basis columns
  // bytes 12..15: padding, slots is a vec4 (16-byte aligned)
  for (let m = 0; m < 4; m++) {
    const coefficient = params.coefficients[m] ?? {};
    view.setUint32(16 + 4 * m, coefficient.slot ?? kNoSlot, true); // slots[m]: state word of k_m
    view.setFloat32(32 + 4 * m, coefficient.scale ?? 1, true); // scales[m]: factor of k_m
  }
  return view.buffer;
}

/** The operations of blas.wgsl (formulas in its header), by entry point. */
export type BlasOperation =
  'scale' | 'weighted_scale' | 'axpy' | 'xpay' | 'weighted_xpay' | 'sum' | 'three_term' | 'columns_sub';

type Operand = 'a' | 'b' | 'c' | 'out' | 'acc';
const kOperandBinding: Record<Operand, number> = { a: 2, b: 3, c: 4, out: 5, acc: 6 };
const kOperands: Record<BlasOperation, readonly Operand[]> = {
  scale: ['a', 'out'],
  weighted_scale: ['a', 'b', 'out'],
  axpy: ['a', 'out'],
  xpay: ['a', 'out'],
  weighted_xpay: ['a', 'b', 'out'],
  sum: ['a', 'b', 'out'],
  three_term: ['a', 'b', 'c', 'out', 'acc'],
  columns_sub: ['a', 'b', 'out'],
};

export interface BlasCallSpec extends Partial<Record<Operand, VectorBinding>> {
  /** Entries updated. */
  readonly size: number;
  /** The KrylovState buffer: its status guards the call, its words are the coefficients. */
  readonly state: GPUBuffer;
  readonly coefficients?: readonly Coefficient[];
  /** columns_sub: V's columns (in a) and their spacing in floats; h is b[coefficients[0].slot ..]. */
  readonly columns?: number;
  readonly columnStride?: number;
}

/** One prepared call site: its bind group (params included) and launch size. */
export interface BlasCall {
  readonly operation: BlasOperation;
  readonly bindGroup: GPUBindGroup;
  readonly workgroups: number;
}

const kBindings = Object.fromEntries(
  Object.entries(kOperands).map(([operation, operands]) => {
    const bindings: Record<number, BindingKind> = { 0: 'uniform', 1: 'read' };
    for (const operand of operands as readonly Operand[]) {
      bindings[kOperandBinding[operand]] = operand === 'out' || operand === 'acc' ? 'write' : 'read';
    }
    return [operation, bindings];
  }),
) as Record<BlasOperation, Record<number, BindingKind>>;

export class BlasKernel {
  readonly device: GPUDevice;
  readonly workgroupSize: number;
  readonly entries: ShaderEntries<BlasOperation>;

  constructor(device: GPUDevice, workgroupSize = kBlasWorkgroupSize) {
    this.device = device;
    this.workgroupSize = checkWorkgroupSize(device, workgroupSize, false);
    this.entries = new ShaderEntries(device, 'Blas', 'blas', kBindings, kBlasParamsBytes, {
      workgroupSize: this.workgroupSize,
    });
  }

  prepare(label: string, arena: UniformArena, operation: BlasOperation, spec: BlasCallSpec): BlasCall {
    const params = arena.allocate(
      packBlasParams({
        size: spec.size,
        columns: spec.columns ?? 0,
        columnStride: spec.columnStride ?? 0,
        coefficients: spec.coefficients ?? [],
      }),
    );
    const entries: GPUBindGroupEntry[] = [
      { binding: 0, resource: params },
      { binding: 1, resource: { buffer: spec.state } },
    ];
    for (const operand of kOperands[operation]) {
      const vector = spec[operand];
      if (!vector) throw new RangeError(`Blas.${operation} (${label}) needs operand ${operand}`);
      entries.push({ binding: kOperandBinding[operand], resource: bufferBinding(vector) });
    }
    const groups = Math.min(workgroupCount(this.device, spec.size, this.workgroupSize), kMaxBlasWorkgroups);
    return {
      operation,
      bindGroup: this.entries.createBindGroup(label, operation, entries),
      workgroups: Math.max(1, groups),
    };
  }

  /** Records a prepared call into an open compute pass (see ShaderEntries.dispatch). */
  record(pass: GPUComputePassEncoder, call: BlasCall): void {
    this.entries.dispatch(pass, call.operation, call.bindGroup, call.workgroups);
  }
}
