// Host side of shaders/reduce.wgsl: two-stage dot products into a GPU buffer (the solvers' `dots`,
// or Lanczos' overlaps h = V^T w), recorded into an open compute pass like every Krylov kernel.
import { bufferBinding, type VectorBinding } from '../gpu/buffers.ts';
import { kReduceWorkgroupSize } from '../gpu/profile.ts';
import { ShaderEntries, type BindingKind, checkWorkgroupSize } from '../gpu/pipelines.ts';
import type { UniformArena } from '../gpu/uniforms.ts';

/**
 * Most stage-1 workgroups per reduction. Past kMaxPartials * workgroupSize entries each thread
 * loops over several; stage 2 then sums at most this many partials per output.
 */
export const kMaxPartials = 256;

/**
 * Entries each stage-1 thread sums at least before a second workgroup is launched. On SwiftShader
 * a workgroup costs its barriers whatever its work, and Lanczos' V^T w launches one row of
 * workgroups per basis column, so a short vector gets one workgroup per column, the fewest barriers.
 * A GPU gets size / (32 W) workgroups, up to kMaxPartials, until a hardware GPU's bench tunes it.
 */
export const kMinEntriesPerThread = 32;

/** Byte size of the WGSL struct ReduceParams (a test checks the two agree). */
export const kReduceParamsBytes = 16;

export interface ReduceParams {
  readonly size: number;
  readonly partialCount: number;
  readonly columnStride: number;
  readonly slot: number;
}

export function packReduceParams(params: ReduceParams): ArrayBuffer {
  const words = new Uint32Array(kReduceParamsBytes / 4);
  words[0] = params.size; // size: entries summed
  words[1] = params.partialCount; // partialCount: G, stage-1 workgroups per column
  words[2] = params.columnStride; // columnStride: floats between basis columns (V^T y)
  words[3] = params.slot; // slot: stage 2 writes output[slot + column]
  return words.buffer;
}

/** x^T y, x^T W y (W diagonal, the Jacobi weights), or V^T y for the first `columns` columns of V. */
export type DotKind = 'dot' | 'weighted' | 'columns';

type ReduceEntry = 'dot_partial' | 'weighted_dot_partial' | 'reduce_final';

/** A dot is dot_partial with one column. */
const kPartialEntry: Record<DotKind, ReduceEntry> = {
  dot: 'dot_partial',
  weighted: 'weighted_dot_partial',
  columns: 'dot_partial',
};

const kBindings: Record<ReduceEntry, Readonly<Record<number, BindingKind>>> = {
  dot_partial: { 0: 'uniform', 1: 'read', 2: 'read', 3: 'read', 5: 'write' },
  weighted_dot_partial: { 0: 'uniform', 1: 'read', 2: 'read', 3: 'read', 4: 'read', 5: 'write' },
  reduce_final: { 0: 'uniform', 1: 'read', 5: 'write', 6: 'write' },
};

export interface DotSpec {
  /** Entries summed. */
  readonly size: number;
  /** The KrylovState buffer, whose status guards the reduction. */
  readonly state: GPUBuffer;
  /** x, or the basis V for 'columns'. */
  readonly x: VectorBinding;
  readonly y: VectorBinding;
  /** 'weighted' only. */
  readonly weights?: VectorBinding;
  /** Scratch of at least partialsLength(size, columns) floats, shared by sequential reductions. */
  readonly partials: GPUBuffer;
  /** Receives the result(s) at output[slot + column]. */
  readonly output: GPUBuffer;
  readonly slot: number;
  /** 'columns': how many, and their spacing in floats. */
  readonly columns?: number;
  readonly columnStride?: number;
}

/** One prepared reduction: both stages' bind groups (sharing one params slot) and launch sizes. */
export interface DotCall {
  readonly kind: DotKind;
  readonly partialGroup: GPUBindGroup;
  readonly finalGroup: GPUBindGroup;
  readonly partialCount: number;
  readonly columns: number;
}

export class ReduceKernel {
  readonly device: GPUDevice;
  readonly workgroupSize: number;
  readonly entries: ShaderEntries<ReduceEntry>;

  constructor(device: GPUDevice, workgroupSize = kReduceWorkgroupSize) {
    this.device = device;
    this.workgroupSize = checkWorkgroupSize(device, workgroupSize, true);
    this.entries = new ShaderEntries(device, {
      family: 'Reduce',
      shader: 'reduce',
      bindings: kBindings,
      uniformBytes: kReduceParamsBytes,
      constants: { workgroupSize: this.workgroupSize },
    });
  }

  /** G: stage-1 workgroups for `size` entries (at least 1, at most kMaxPartials). */
  partialCount(size: number): number {
    const groups = Math.ceil(size / (this.workgroupSize * kMinEntriesPerThread));
    return Math.max(1, Math.min(groups, kMaxPartials));
  }

  /** Floats of scratch a reduction over `size` entries and `columns` columns needs. */
  partialsLength(size: number, columns = 1): number {
    return this.partialCount(size) * columns;
  }

  prepare(label: string, arena: UniformArena, kind: DotKind, spec: DotSpec): DotCall {
    const columns = kind === 'columns' ? (spec.columns ?? 1) : 1;
    const partialCount = this.partialCount(spec.size);
    const limit = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (columns < 1 || columns > limit)
      throw new RangeError(`Reduce (${label}): ${columns} columns, the device allows 1..${limit}`);
    const params = arena.allocate(
      packReduceParams({
        size: spec.size,
        partialCount,
        columnStride: spec.columnStride ?? 0,
        slot: spec.slot,
      }),
    );
    const common: GPUBindGroupEntry[] = [
      { binding: 0, resource: params },
      { binding: 1, resource: { buffer: spec.state } },
      { binding: 5, resource: { buffer: spec.partials } },
    ];
    const partialEntries: GPUBindGroupEntry[] = [
      ...common,
      { binding: 2, resource: bufferBinding(spec.x) },
      { binding: 3, resource: bufferBinding(spec.y) },
    ];
    if (kind === 'weighted') {
      if (!spec.weights) throw new RangeError(`Reduce (${label}): a weighted dot needs weights`);
      partialEntries.push({ binding: 4, resource: bufferBinding(spec.weights) });
    }
    const entry = kPartialEntry[kind];
    return {
      kind,
      partialCount,
      columns,
      partialGroup: this.entries.createBindGroup(`${label}.partial`, entry, partialEntries),
      finalGroup: this.entries.createBindGroup(`${label}.final`, 'reduce_final', [
        ...common,
        { binding: 6, resource: { buffer: spec.output } },
      ]),
    };
  }

  /** Records both stages into an open compute pass (see ShaderEntries.dispatch for why a pass). */
  record(pass: GPUComputePassEncoder, call: DotCall): void {
    this.entries.dispatch(pass, kPartialEntry[call.kind], call.partialGroup, call.partialCount, call.columns);
    this.entries.dispatch(pass, 'reduce_final', call.finalGroup, call.columns);
  }
}
