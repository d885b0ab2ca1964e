// Host side of shaders/cg_step.wgsl: a whole Jacobi-CG iteration after the matvec in one
// workgroup, and the rule for when a solve takes it rather than the split sequence of BLAS,
// reduction and scalar kernels (src/engine/cg.ts).
import { runsOnCpu, type GpuAdapterSummary } from '../gpu/device.ts';
import { ShaderEntries } from '../gpu/pipelines.ts';
import type { UniformArena } from '../gpu/uniforms.ts';
import { kKrylovParamsBytes, packKrylovParams, type KrylovBuffers, type KrylovParams } from './krylov.ts';
import { checkWorkgroupSize } from './operator.ts';

/**
 * CG's vector work after the matvec: 'fused', cg_step.wgsl in one workgroup (one launch), or
 * 'split', the BLAS, reduction and scalar kernels over the whole device (eleven launches).
 */
export type CgStepVariant = 'fused' | 'split';
export const kCgStepVariants: readonly CgStepVariant[] = ['fused', 'split'];

/** Threads of the one workgroup on a GPU: the most every WebGPU device allows. */
export const kCgStepWorkgroupSize = 256;

/**
 * ... and on a CPU adapter, where the workgroup is one CPU thread whatever its size and each of the
 * tree's log2 W barriers splits the shader.
 */
export const kSoftwareCgStepWorkgroupSize = 16;

/**
 * The largest system a GPU gets 'fused' for: 16 entries per thread of the one workgroup, about
 * what the eleven launches of 'split' cost. Past it the vectors are better spread over the GPU,
 * and the launches weigh little against an O(N^2) matvec. Not yet tuned on GPU hardware.
 */
export const kFusedCgMaxSize = 16 * kCgStepWorkgroupSize;

/** 'fused' on a CPU adapter (a launch costs 60-150 us on SwiftShader) and for small systems. */
export function chooseCgStep(adapter: GpuAdapterSummary, size: number): CgStepVariant {
  return runsOnCpu(adapter) || size <= kFusedCgMaxSize ? 'fused' : 'split';
}

export function chooseCgStepWorkgroupSize(adapter: GpuAdapterSummary): number {
  return runsOnCpu(adapter) ? kSoftwareCgStepWorkgroupSize : kCgStepWorkgroupSize;
}

/** The vectors of one CG solve (cg_step.wgsl's bindings 4-8). */
export interface CgStepVectors {
  readonly p: GPUBuffer;
  /** M p, the matvec's output. */
  readonly q: GPUBuffer;
  readonly x: GPUBuffer;
  readonly r: GPUBuffer;
  /** D^-1. */
  readonly inverseDiagonal: GPUBuffer;
}

export class CgStepKernel {
  readonly device: GPUDevice;
  readonly workgroupSize: number;
  readonly entries: ShaderEntries<'cg_step'>;

  constructor(device: GPUDevice, workgroupSize = kCgStepWorkgroupSize) {
    this.device = device;
    this.workgroupSize = checkWorkgroupSize(device, workgroupSize, true);
    const bindings = {
      0: 'uniform',
      1: 'write',
      3: 'write',
      4: 'write',
      5: 'read',
      6: 'write',
      7: 'write',
      8: 'read',
    } as const;
    this.entries = new ShaderEntries(device, 'CgStep', 'cgStep', { cg_step: bindings }, kKrylovParamsBytes, {
      workgroupSize: this.workgroupSize,
    });
  }

  /** The bind group of one solve: its scalars' params (a copy in the arena), state, trace and vectors. */
  bind(
    label: string,
    arena: UniformArena,
    params: KrylovParams,
    buffers: Pick<KrylovBuffers, 'state' | 'trace'>,
    vectors: CgStepVectors,
  ): GPUBindGroup {
    const { p, q, x, r, inverseDiagonal } = vectors;
    return this.entries.createBindGroup(label, 'cg_step', [
      { binding: 0, resource: arena.allocate(packKrylovParams(params)) },
      { binding: 1, resource: { buffer: buffers.state } },
      { binding: 3, resource: { buffer: buffers.trace } },
      ...[p, q, x, r, inverseDiagonal].map((buffer, k) => ({ binding: 4 + k, resource: { buffer } })),
    ]);
  }

  /** Records one iteration's vector work (after the matvec) into an open compute pass. */
  record(pass: GPUComputePassEncoder, bindGroup: GPUBindGroup): void {
    this.entries.dispatch(pass, 'cg_step', bindGroup, 1);
  }
}
