// What the GPU Krylov solvers (src/engine) see of a mass matrix: y = M x recorded into a command
// encoder, the GPU counterpart of LinearOperator.apply in src/solvers/types.ts. The dense matrix
// (mass-matrix.ts) and the matrix-free product (matvec-free.ts) both implement it, and bind x and y
// through one shared layout, so one bind group per vector pair serves either operator.
import { createBuffer } from '../gpu/buffers.ts';

/** How one product is recorded. */
export interface MatvecOptions {
  /**
   * The state buffer of the solve the product belongs to (krylov.wgsl): once its status word is
   * set the product does nothing, so iterations recorded ahead of the CPU's check cost only their
   * launch. Without it the product always runs.
   */
  readonly guard?: GPUBuffer;
  /** Timestamps around the product's one compute pass. */
  readonly timestampWrites?: GPUComputePassTimestampWrites;
}

/** y = M x on the GPU. */
export interface GpuLinearOperator {
  /** Rows of M: N times the block size (src/physics/models.ts unknowns). */
  readonly size: number;
  /**
   * Records y = M x as one compute pass into `encoder` (nothing is submitted). x and y are float32
   * vectors from createVector (src/gpu/buffers.ts), which holds them in whole vec4s, of at least
   * `size` entries, laid out like the CPU vectors; they must be two different buffers. Bind groups
   * for each (x, y) pair are built once and cached.
   */
  record(encoder: GPUCommandEncoder, x: GPUBuffer, y: GPUBuffer, options?: MatvecOptions): void;
  /**
   * Pieces of a fraction of a second each that one product splits into, chosen from the device
   * profile (the matrix-free or tree product at large N); absent or 1 when a product is short. The Krylov
   * driver submits a long product piece by piece, so that a stop takes effect between pieces.
   */
  readonly pieces?: number;
  /** Records piece `piece` (0 <= piece < pieces) of y = M x as one compute pass. */
  recordPiece?(
    encoder: GPUCommandEncoder,
    x: GPUBuffer,
    y: GPUBuffer,
    piece: number,
    options?: MatvecOptions,
  ): void;
  /** Frees the operator's buffers; x and y belong to the caller. */
  destroy(): void;
}

/**
 * The mass matrix M = D + eps T (eq. 48/50 generalised) as a GPU operator whose eps is a uniform of
 * the product: a sweep over eps changes it with setEpsilon, without rebuilding anything.
 */
export interface GpuMassOperator extends GpuLinearOperator {
  /** eps of the products recorded from now on. */
  readonly epsilon: number;
  /**
   * Sets eps by a queue write: command buffers submitted before the call use the old value, those
   * submitted after it the new one.
   */
  setEpsilon(epsilon: number): void;
}

const layouts = new WeakMap<GPUDevice, GPUBindGroupLayout>();
const bindGroups = new WeakMap<GPUBindGroupLayout, WeakMap<GPUBuffer, WeakMap<GPUBuffer, GPUBindGroup>>>();

/** Group 1 of every matvec shader: binding 0 x (read-only storage), binding 1 y (storage). */
export function vectorPairLayout(device: GPUDevice): GPUBindGroupLayout {
  let layout = layouts.get(device);
  if (!layout) {
    layout = device.createBindGroupLayout({
      label: 'Operator.vectorPairLayout',
      entries: [
        { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'read-only-storage' } },
        { binding: 1, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'storage' } },
      ],
    });
    layouts.set(device, layout);
  }
  return layout;
}

/** The cached bind group of (x, y) for vectorPairLayout. */
export function vectorPairBindGroup(device: GPUDevice, x: GPUBuffer, y: GPUBuffer): GPUBindGroup {
  const layout = vectorPairLayout(device);
  let byX = bindGroups.get(layout);
  if (!byX) bindGroups.set(layout, (byX = new WeakMap()));
  let byY = byX.get(x);
  if (!byY) byX.set(x, (byY = new WeakMap()));
  let group = byY.get(y);
  if (!group) {
    group = device.createBindGroup({
      label: `Operator.vectors(${x.label}, ${y.label})`,
      layout,
      entries: [
        { binding: 0, resource: { buffer: x } },
        { binding: 1, resource: { buffer: y } },
      ],
    });
    byY.set(y, group);
  }
  return group;
}

const guardLayouts = new WeakMap<GPUDevice, GPUBindGroupLayout>();
const guardGroups = new WeakMap<GPUBuffer, GPUBindGroup>();
const runningStates = new WeakMap<GPUDevice, GPUBuffer>();

/** Group 2 of every matvec shader: binding 0 the solver state (read-only storage). */
export function guardLayout(device: GPUDevice): GPUBindGroupLayout {
  let layout = guardLayouts.get(device);
  if (!layout) {
    layout = device.createBindGroupLayout({
      label: 'Operator.guardLayout',
      entries: [{ binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'read-only-storage' } }],
    });
    guardLayouts.set(device, layout);
  }
  return layout;
}

/** The cached guard bind group of `state`, or of the device's always-running state (status 0). */
export function guardBindGroup(device: GPUDevice, state?: GPUBuffer): GPUBindGroup {
  let buffer = state ?? runningStates.get(device);
  if (!buffer) {
    buffer = createBuffer(device, { label: 'Operator.running', size: 4, usage: GPUBufferUsage.STORAGE });
    runningStates.set(device, buffer);
  }
  let group = guardGroups.get(buffer);
  if (!group) {
    group = device.createBindGroup({
      label: `Operator.guard(${buffer.label})`,
      layout: guardLayout(device),
      entries: [{ binding: 0, resource: { buffer } }],
    });
    guardGroups.set(buffer, group);
  }
  return group;
}

/** Groups 1 and 2 of every matvec shader (ShaderEntriesSpec.sharedLayouts): the vector pair, the guard. */
export function matvecSharedLayouts(device: GPUDevice): GPUBindGroupLayout[] {
  return [vectorPairLayout(device), guardLayout(device)];
}

/**
 * Begins the compute pass of one product with groups 1 (x, y) and 2 (the guard) bound; the caller
 * dispatches with its group 0 (ShaderEntries.dispatch), then ends the pass.
 */
export function beginMatvecPass(
  device: GPUDevice,
  encoder: GPUCommandEncoder,
  label: string,
  x: GPUBuffer,
  y: GPUBuffer,
  options: MatvecOptions = {},
): GPUComputePassEncoder {
  const pass = encoder.beginComputePass({ label, timestampWrites: options.timestampWrites });
  pass.setBindGroup(1, vectorPairBindGroup(device, x, y));
  pass.setBindGroup(2, guardBindGroup(device, options.guard));
  return pass;
}

/**
 * Writes eps into the float32 at `offset` of each of `slots` uniform slots `slotBytes` apart: an
 * operator's params, one slot per dispatch range (row block, chunk, tree range). The writes are
 * ordered on the queue, so the next product recorded after them uses the new eps.
 */
export function writeEpsilonSlots(
  device: GPUDevice,
  params: GPUBuffer,
  slots: number,
  slotBytes: number,
  offset: number,
  epsilon: number,
): void {
  const value = new Float32Array([epsilon]);
  for (let slot = 0; slot < slots; slot++) device.queue.writeBuffer(params, slot * slotBytes + offset, value);
}
