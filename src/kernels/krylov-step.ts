// Host side of shaders/krylov_step.wgsl: a whole CG or MINRES iteration after the matvec in one
// workgroup (the 'fused' KrylovStepVariant of src/gpu/profile.ts, which says when a solve takes it
// rather than the split sequence of BLAS, reduction and scalar kernels of src/engine/cg.ts, minres.ts).
import { kKrylovStepWorkgroupSize } from '../gpu/profile.ts';
import { ShaderEntries, type BindingKind, checkWorkgroupSize } from '../gpu/pipelines.ts';
import type { UniformArena } from '../gpu/uniforms.ts';
import { kKrylovParamsBytes, packKrylovParams, type KrylovBuffers, type KrylovParams } from './krylov.ts';

/** The vectors of one solve, by krylov_step.wgsl's binding. */
export interface CgStepVectors {
  readonly x: GPUBuffer;
  readonly r: GPUBuffer;
  /** D^-1. */
  readonly inverseDiagonal: GPUBuffer;
  readonly p: GPUBuffer;
  /** M p, the matvec's output. */
  readonly q: GPUBuffer;
}

export interface MinresStepVectors {
  readonly x: GPUBuffer;
  readonly r: GPUBuffer;
  readonly inverseDiagonal: GPUBuffer;
  readonly v: GPUBuffer;
  /** A v, the matvec's output. */
  readonly av: GPUBuffer;
  /** r1/r2/y, w and A w, three slots each, params.ringStride floats apart. */
  readonly ring: GPUBuffer;
}

type StepEntry = 'cg_step' | 'minres_step';
const kCommon = { 0: 'uniform', 1: 'write', 3: 'write', 4: 'write', 5: 'write', 6: 'read' } as const;
const kBindings: Record<StepEntry, Readonly<Record<number, BindingKind>>> = {
  cg_step: { ...kCommon, 7: 'write', 8: 'read' },
  minres_step: { ...kCommon, 9: 'write', 10: 'read', 11: 'write' },
};
const kVectorBinding: Record<string, number> = {
  x: 4,
  r: 5,
  inverseDiagonal: 6,
  p: 7,
  q: 8,
  v: 9,
  av: 10,
  ring: 11,
};

/** One solve's prepared step: the entry point and its bind group. */
export interface KrylovStep {
  readonly entry: StepEntry;
  readonly bindGroup: GPUBindGroup;
}

export class KrylovStepKernel {
  readonly device: GPUDevice;
  readonly workgroupSize: number;
  readonly entries: ShaderEntries<StepEntry>;

  constructor(device: GPUDevice, workgroupSize = kKrylovStepWorkgroupSize) {
    this.device = device;
    this.workgroupSize = checkWorkgroupSize(device, workgroupSize, true);
    this.entries = new ShaderEntries(device, {
      family: 'KrylovStep',
      shader: 'krylovStep',
      bindings: kBindings,
      uniformBytes: kKrylovParamsBytes,
      constants: { workgroupSize: this.workgroupSize },
    });
  }

  /**
   * The step of one solve: its scalars' params (a copy in the arena; MINRES's must carry the ring's
   * stride), state, trace and vectors.
   */
  prepare(
    label: string,
    arena: UniformArena,
    params: KrylovParams,
    buffers: Pick<KrylovBuffers, 'state' | 'trace'>,
    vectors: CgStepVectors | MinresStepVectors,
  ): KrylovStep {
    const entry: StepEntry = 'ring' in vectors ? 'minres_step' : 'cg_step';
    const bindGroup = this.entries.createBindGroup(label, entry, [
      { binding: 0, resource: arena.allocate(packKrylovParams(params)) },
      { binding: 1, resource: { buffer: buffers.state } },
      { binding: 3, resource: { buffer: buffers.trace } },
      ...Object.entries(vectors).map(([name, buffer]: [string, GPUBuffer]) => ({
        binding: kVectorBinding[name],
        resource: { buffer },
      })),
    ]);
    return { entry, bindGroup };
  }

  /** Records one iteration's vector work (after the matvec) into an open compute pass. */
  record(pass: GPUComputePassEncoder, step: KrylovStep): void {
    this.entries.dispatch(pass, step.entry, step.bindGroup, 1);
  }
}
