// Host side of shaders/blas.wgsl: BLAS-1 updates whose coefficients the GPU reads from the solver
// state (krylov.wgsl).
import { bufferBinding, type VectorBinding } from '../gpu/buffers.ts';
import { ShaderEntries, type BindingKind, workgroupCount } from '../gpu/pipelines.ts';
import type { UniformArena } from '../gpu/uniforms.ts';

/** Threads per workgroup; within every device's limits (WebGPU guarantees 256). */
export const kBlasWorkgroupSize = 64;

/** Most workgroups one BLAS call launches; the shaders' grid-stride loops cover the rest. */
const kMaxBlasWorkgroups = 1024;

/** Byte size of the WGSL struct BlasParams (a test checks the two agree). */
export const kBlasParamsBytes = 48;

/** BlasParams.slots entry meaning "no state word": the coefficient is its scale alone. */
export const kNoSlot = 0xffffffff;

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
  readonly entries: ShaderEntries<BlasOperation>;

  constructor(device: GPUDevice) {
    this.device = device;
    this.entries = new ShaderEntries(device, {
      family: 'Blas',
      shader: 'blas',
      bindings: kBindings,
      uniformBytes: kBlasParamsBytes,
      constants: { workgroupSize: kBlasWorkgroupSize },
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
    const groups = Math.min(workgroupCount(this.device, spec.size, kBlasWorkgroupSize), kMaxBlasWorkgroups);
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
