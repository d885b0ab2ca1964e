// Host side of shaders/krylov.wgsl: the single-thread kernels that advance the solver scalars on
// the GPU, the layout of the state they keep (which blas.wgsl reads coefficients from, by word),
// and the status codes that tell the host why a solve stopped.
import { ShaderEntries, type BindingKind } from '../gpu/pipelines.ts';
import type { UniformArena } from '../gpu/uniforms.ts';
import { kConvergenceReasons, type ConvergenceReason } from '../solvers/types.ts';

/** Byte size of the WGSL struct KrylovParams (a test checks the two agree). */
export const kKrylovParamsBytes = 36;

/** The fields of the WGSL struct KrylovState in order; field m is word m (a test checks). */
export const kKrylovStateFields = [
  'status',
  'iteration',
  'residualNorm',
  'rz',
  'alpha',
  'beta',
  'oldb',
  'dbar',
  'epsln',
  'oldeps',
  'delta',
  'phibar',
  'cs',
  'sn',
  'phi',
  'denominator',
  'inverseBeta',
  'betaRatio',
  'alfaRatio',
  'gmax',
  'directionSquared',
  'directionPreviousSquared',
  'directionCross',
] as const;
export type KrylovStateField = (typeof kKrylovStateFields)[number];

/** The state word of each field: a Coefficient's slot. */
export const kStateSlot = Object.fromEntries(
  kKrylovStateFields.map((field, word) => [field, word]),
) as Record<KrylovStateField, number>;
export const kKrylovStateBytes = 4 * kKrylovStateFields.length;

/** The fields of the WGSL struct KrylovDots: where each dot product goes (reduce's slot). */
export const kKrylovDotFields = [
  'curvature',
  'residualSquared',
  'preconditionedSquared',
  'rayleigh',
] as const;
export type KrylovDotField = (typeof kKrylovDotFields)[number];
export const kDotSlot = Object.fromEntries(kKrylovDotFields.map((field, word) => [field, word])) as Record<
  KrylovDotField,
  number
>;
export const kKrylovDotsBytes = 4 * kKrylovDotFields.length;

/** The status word: 0 while running, else 1 + the reason's index in kConvergenceReasons. */
export function statusCode(reason: ConvergenceReason | null): number {
  return reason === null ? 0 : 1 + kConvergenceReasons.indexOf(reason);
}

export function reasonOf(code: number): ConvergenceReason | null {
  if (code === 0) return null;
  const reason = kConvergenceReasons[code - 1];
  if (!reason) throw new RangeError(`unknown Krylov status code ${code}`);
  return reason;
}

export interface KrylovParams {
  /** max(atol, rtol ||b||), from the float64 ||b||. */
  readonly threshold: number;
  readonly atol: number;
  /** CG/MINRES: diverged_max_it at this iteration; Lanczos: at this many steps. */
  readonly maxIterations: number;
  /** A reason the host found in the diagonal (CG: a diagonal entry <= 0 or NaN), applied after the initial check. */
  readonly diagonalStatus: ConvergenceReason | null;
  /** Iterations per trace ring, the k iterations between the host's readbacks. */
  readonly traceSteps: number;
  /** Unknowns: the length of the vectors krylov_step.wgsl updates. */
  readonly size: number;
  /** Floats between the vectors of krylov_step.wgsl's MINRES ring buffer (default 0: no ring). */
  readonly ringStride?: number;
  /** MINRES: the lower bound of ||A|| of its condition estimate (src/solvers/minres.ts minresNormFloor). */
  readonly normFloor?: number;
  /** MINRES: diverged_singular where its estimate of cond(A) reaches this (minresConditionLimit). */
  readonly conditionLimit?: number;
}

export function packKrylovParams(params: KrylovParams): ArrayBuffer {
  const view = new DataView(new ArrayBuffer(kKrylovParamsBytes));
  view.setFloat32(0, params.threshold, true); // threshold: the stopping rule's bound on ||r||
  view.setFloat32(4, params.atol, true); // atol: converged_atol below it
  view.setUint32(8, Math.min(params.maxIterations, 0xffffffff), true); // maxIterations
  view.setUint32(12, statusCode(params.diagonalStatus), true); // diagonalStatus: 0 or a status code
  view.setUint32(16, params.traceSteps, true); // traceSteps: length of the trace ring in iterations
  view.setUint32(20, params.size, true); // size: entries of krylov_step's vectors
  view.setUint32(24, params.ringStride ?? 0, true); // ringStride: floats between its MINRES ring's vectors
  view.setFloat32(28, params.normFloor ?? 0, true); // normFloor: MINRES's lower bound of ||A||
  view.setFloat32(32, params.conditionLimit ?? 0, true); // conditionLimit: MINRES's diverged_singular
  return view.buffer;
}

/** The KrylovState words as the host reads them back. */
export type KrylovStateView = Record<Exclude<KrylovStateField, 'status' | 'iteration'>, number> & {
  /** Why the solve stopped, or null while it runs. */
  readonly status: ConvergenceReason | null;
  readonly iteration: number;
};

/** The KrylovState at the start of `bytes`, a readback of the state buffer. */
export function decodeKrylovState(bytes: ArrayBuffer): KrylovStateView {
  const words = new Uint32Array(bytes, 0, kKrylovStateFields.length);
  const floats = new Float32Array(bytes, 0, kKrylovStateFields.length);
  const view: Record<string, unknown> = {};
  kKrylovStateFields.forEach((field, word) => (view[field] = floats[word]));
  view.status = reasonOf(words[kStateSlot.status]);
  view.iteration = words[kStateSlot.iteration];
  return view as KrylovStateView;
}

/** The entry points of krylov.wgsl (what each computes: its header). */
export const kKrylovEntries = [
  'krylov_start',
  'cg_begin',
  'cg_alpha',
  'cg_residual',
  'minres_begin',
  'minres_alfa',
  'minres_givens',
  'minres_residual',
  'lanczos_alpha',
  'lanczos_beta',
] as const;
export type KrylovEntry = (typeof kKrylovEntries)[number];

/** One layout for every entry point (params, state, dots, trace), so one bind group serves them all. */
const kLayout: Readonly<Record<number, BindingKind>> = { 0: 'uniform', 1: 'write', 2: 'read', 3: 'write' };
const kBindings = Object.fromEntries(kKrylovEntries.map((entry) => [entry, kLayout])) as Record<
  KrylovEntry,
  Readonly<Record<number, BindingKind>>
>;

/** The buffers one solve's scalar kernels share. */
export interface KrylovBuffers {
  /** kKrylovStateBytes, zero (running, iteration 0) before the solve starts. */
  readonly state: GPUBuffer;
  /** kKrylovDotsBytes, written by reduce_final. */
  readonly dots: GPUBuffer;
  /** The trace ring: 1 + traceSteps floats (CG, MINRES) or 2 traceSteps (Lanczos). */
  readonly trace: GPUBuffer;
}

export class KrylovKernel {
  readonly device: GPUDevice;
  /** @workgroup_size(1) in every entry point: no override to set. */
  readonly entries: ShaderEntries<KrylovEntry>;

  constructor(device: GPUDevice) {
    this.device = device;
    this.entries = new ShaderEntries(device, {
      family: 'Krylov',
      shader: 'krylov',
      bindings: kBindings,
      uniformBytes: kKrylovParamsBytes,
    });
  }

  /** The bind group of one solve, for every entry point: its params (in the arena) and buffers. */
  bind(label: string, arena: UniformArena, params: KrylovParams, buffers: KrylovBuffers): GPUBindGroup {
    return this.entries.createBindGroup(label, 'krylov_start', [
      { binding: 0, resource: arena.allocate(packKrylovParams(params)) },
      { binding: 1, resource: { buffer: buffers.state } },
      { binding: 2, resource: { buffer: buffers.dots } },
      { binding: 3, resource: { buffer: buffers.trace } },
    ]);
  }

  /** Records one single-thread kernel into an open compute pass. */
  record(pass: GPUComputePassEncoder, bindGroup: GPUBindGroup, entry: KrylovEntry): void {
    this.entries.dispatch(pass, entry, bindGroup, 1);
  }
}
