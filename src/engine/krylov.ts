// What the GPU Krylov solvers share (the GPU counterpart of src/solvers/krylov.ts): the kernels and
// operator of one backend, the buffers of one solve, and the driver that records k iterations per
// command buffer and reads the solver state back asynchronously every k.
//
// The driver keeps one chunk of k iterations in flight ahead of the one it waits for: chunk c+1 is
// submitted before chunk c's state is mapped, so the GPU never idles on the CPU's check. That is
// safe, and cheap, because every kernel, the matvec included (MatvecOptions.guard), returns at
// once when krylov.wgsl has set the status word: up to 2k - 1 iterations past the stop cost only
// their launches. The product of the final x for the true residual is recorded unguarded.
// A solve that stops at iteration s >= 1 thus maps the state ceil(s / k) + 1 times (2 for s = 0),
// and x once more at the end.
// A long product (GpuLinearOperator.pieces > 1: the matrix-free or tree product at large N, seconds to
// minutes) changes that: its pieces go one command buffer each, each awaited and reported to the
// engine's onChunk, which may throw to stop between them; k defaults to 1 and nothing is recorded
// ahead, since a chunk in flight past a stop the CPU decides would run whole products for nothing.
import { withErrorScopes, type GpuContext } from '../gpu/device.ts';
import { createBuffer, createVector } from '../gpu/buffers.ts';
import { UniformArena } from '../gpu/uniforms.ts';
import { BlasKernel, type BlasCall, type BlasCallSpec, type BlasOperation } from '../kernels/blas.ts';
import { krylovStepFor, type KrylovStepVariant } from '../gpu/profile.ts';
import { KrylovStepKernel } from '../kernels/krylov-step.ts';
import {
  decodeKrylovState,
  kDotSlot,
  kKrylovDotsBytes,
  kKrylovStateBytes,
  KrylovKernel,
} from '../kernels/krylov.ts';
import type { KrylovBuffers, KrylovParams, KrylovStateView } from '../kernels/krylov.ts';
import type { ChunkHook } from '../kernels/matvec-free.ts';
import type { GpuLinearOperator, MatvecOptions } from '../kernels/operator.ts';
import { ReduceKernel, type DotCall, type DotKind, type DotSpec } from '../kernels/reduce.ts';
import { finishKrylov, startKrylov, zeroRightHandSide, type KrylovStart } from '../solvers/krylov.ts';
import type {
  ConvergenceReason,
  LinearOperator,
  SolveOptions,
  SolveResult,
  Vector,
} from '../solvers/types.ts';

/**
 * Iterations per command buffer, and between two readbacks of the state, when none is given: few
 * enough wasted matvecs past the stop (< 2k) for the small systems of the tests on SwiftShader,
 * and eight iterations per round trip where each iteration is a few microseconds on a GPU.
 */
export const kDefaultCheckEvery = 8;

/** The kernels and operator one backend's solvers share; pipelines are built once, up front. */
export interface KrylovEngine<O extends GpuLinearOperator = GpuLinearOperator> {
  readonly device: GPUDevice;
  readonly operator: O;
  readonly size: number;
  /** diag M in float64 (src/physics/models.ts massDiagonal): Jacobi's D. */
  readonly diagonal: Float64Array;
  readonly reduce: ReduceKernel;
  readonly blas: BlasKernel;
  readonly krylov: KrylovKernel;
  /**
   * How CG and MINRES run their vector work after the matvec (src/kernels/krylov-step.ts); where
   * 'fused', fusedStepKernel gives the kernel.
   */
  readonly stepVariant: KrylovStepVariant;
  /** k: iterations per command buffer and per readback, unless a call overrides it. */
  readonly checkEvery: number;
  /** Called after each piece of a long product; a throw stops the run there. */
  readonly onChunk?: ChunkHook;
}

export interface KrylovEngineOptions {
  /** k (default kDefaultCheckEvery). */
  checkEvery?: number;
  /** Default: the device profile's for the operator's size (krylovStepFor). */
  step?: KrylovStepVariant;
  /** Called after each piece of a long product (src/cli/engine.ts chunkProgress); may throw to stop. */
  onChunk?: ChunkHook;
}

/** The Krylov kernels of a device: stateless but for their pipeline caches, so backends share them. */
const kernelsByDevice = new WeakMap<GPUDevice, Pick<KrylovEngine, 'reduce' | 'blas' | 'krylov'>>();
/** krylov_step.wgsl's kernel, built on a device's first engine that fuses its steps. */
const stepByDevice = new WeakMap<GPUDevice, KrylovStepKernel>();

/**
 * The engine of one operator. The kernels (and their compiled pipelines, two dozen, a few hundred
 * milliseconds on SwiftShader) are built on a device's first engine, which must be created inside
 * error scopes, and shared by every later one.
 */
export function createKrylovEngine<O extends GpuLinearOperator>(
  context: GpuContext,
  operator: O,
  diagonal: Float64Array,
  options: KrylovEngineOptions = {},
): KrylovEngine<O> {
  const { device, profile } = context;
  let kernels = kernelsByDevice.get(device);
  if (!kernels) {
    kernels = {
      reduce: new ReduceKernel(device, profile.reduceWorkgroupSize),
      blas: new BlasKernel(device),
      krylov: new KrylovKernel(device),
    };
    for (const kernel of Object.values(kernels)) kernel.entries.warm();
    kernelsByDevice.set(device, kernels);
  }
  const stepVariant = options.step ?? krylovStepFor(profile, operator.size);
  if (stepVariant === 'fused' && !stepByDevice.has(device)) {
    const step = new KrylovStepKernel(device, profile.krylovStepWorkgroupSize);
    step.entries.warm();
    stepByDevice.set(device, step);
  }
  return {
    device,
    operator,
    size: operator.size,
    diagonal,
    ...kernels,
    stepVariant,
    checkEvery: checkIterations(options.checkEvery ?? (productPieces(operator) > 1 ? 1 : kDefaultCheckEvery)),
    ...(options.onChunk && { onChunk: options.onChunk }),
  };
}

/** Pieces of one product of `operator` (GpuLinearOperator.pieces): 1 when a product is short. */
export function productPieces(operator: GpuLinearOperator): number {
  return operator.recordPiece ? (operator.pieces ?? 1) : 1;
}

/**
 * The command buffers of one chunk of a run. A short product goes into the current encoder, so k
 * steps make one command buffer; a long one goes one piece per command buffer, each tagged with
 * its place in the product, so that submit() can wait for each piece and stop between them.
 */
export class Recording {
  readonly #engine: KrylovEngine;
  readonly #label: string;
  readonly #buffers: { buffer: GPUCommandBuffer; piece?: number }[] = [];
  #encoder: GPUCommandEncoder;

  constructor(engine: KrylovEngine, label: string) {
    this.#engine = engine;
    this.#label = label;
    this.#encoder = this.#open();
  }

  /** The encoder to record into now: recording a long product moves on to a fresh one. */
  get encoder(): GPUCommandEncoder {
    return this.#encoder;
  }

  /** Records y = M x. */
  product(x: GPUBuffer, y: GPUBuffer, options?: MatvecOptions): void {
    const { operator } = this.#engine;
    const pieces = productPieces(operator);
    if (pieces === 1) {
      operator.record(this.#encoder, x, y, options);
      return;
    }
    for (let piece = 0; piece < pieces; piece++) {
      operator.recordPiece!(this.#encoder, x, y, piece, options);
      this.#buffers.push({ buffer: this.#encoder.finish(), piece });
      this.#encoder = this.#open();
    }
  }

  /**
   * Submits everything recorded: a long product's pieces each awaited and reported in turn, with the
   * next command buffer already queued (submitPieces), so that the device never idles between them.
   */
  async submit(): Promise<void> {
    const { device, operator, onChunk } = this.#engine;
    const pieces = productPieces(operator);
    this.#buffers.push({ buffer: this.#encoder.finish() });
    await submitPieces(device, this.#buffers, (piece) => onChunk?.(piece + 1, pieces));
  }

  #open(): GPUCommandEncoder {
    const label = `${this.#label}[${this.#buffers.length}]`;
    return this.#engine.device.createCommandEncoder({ label });
  }
}

/**
 * Submits `buffers` in order and calls `done(piece)` once each buffer tagged with a piece has run,
 * in order. The buffer after a piece is submitted before that piece is awaited: waiting on an empty
 * queue costs a round trip to the device per piece (on SwiftShader a third of a piece's work). A
 * throw from `done` stops the submissions, so a stop takes effect within two pieces: the one
 * awaited and the one queued behind it.
 */
export async function submitPieces(
  device: GPUDevice,
  buffers: readonly { buffer: GPUCommandBuffer; piece?: number }[],
  done: (piece: number) => void,
): Promise<void> {
  let running: { piece: number; finished: Promise<undefined> } | null = null;
  for (const { buffer, piece } of buffers) {
    device.queue.submit([buffer]);
    if (running) {
      await running.finished;
      done(running.piece);
      running = null;
    }
    if (piece !== undefined) running = { piece, finished: device.queue.onSubmittedWorkDone() };
  }
  if (running) {
    await running.finished;
    done(running.piece);
  }
}

/** krylov_step.wgsl's kernel of an engine whose stepVariant is 'fused' (built with the engine). */
export function fusedStepKernel(engine: KrylovEngine): KrylovStepKernel {
  const step = engine.stepVariant === 'fused' ? stepByDevice.get(engine.device) : undefined;
  if (!step) throw new Error(`the engine's steps are '${engine.stepVariant}', not fused`);
  return step;
}

export function checkIterations(checkEvery: number): number {
  if (!Number.isInteger(checkEvery) || checkEvery < 1)
    throw new RangeError(`checkEvery must be a positive integer, got ${checkEvery}`);
  return checkEvery;
}

/** What a GPU run cost on the CPU side. */
export interface GpuRunStats {
  /**
   * mapAsync calls: the state every k iterations (one chunk recorded ahead and drained at the end)
   * and, for CG and MINRES, x with M x once: max(1, ceil(s / k)) + 2 for a stop at iteration s.
   */
  readonly readbacks: number;
  /** Chunks submitted: a command buffer each, and one more per piece of a long product. */
  readonly submits: number;
  /** k of the run. */
  readonly checkEvery: number;
  /** Iterations recorded: up to 2k - 1 more than were done, the no-ops recorded ahead of the stop. */
  readonly recordedIterations: number;
  /** How CG or MINRES ran its vector work after the matvec (not set for Lanczos). */
  readonly step?: KrylovStepVariant;
}

export function addStats(a: GpuRunStats, b: GpuRunStats): GpuRunStats {
  const step = b.step ?? a.step;
  return {
    readbacks: a.readbacks + b.readbacks,
    submits: a.submits + b.submits,
    checkEvery: b.checkEvery,
    recordedIterations: a.recordedIterations + b.recordedIterations,
    ...(step ? { step } : {}),
  };
}

export interface GpuSolveOptions extends SolveOptions {
  /** k for this solve (default: the backend's). */
  checkEvery?: number;
}

/**
 * A SolveResult from the GPU. history holds the recursive residual norm of EVERY iteration (the
 * GPU writes it to a trace ring that each readback copies out), entry 0 the initial residual, as on
 * the CPU; onIteration, by contrast, is called only at the readback points, every k iterations.
 * residualNorm is the float32 recursive residual; trueResidualNorm is ||b - M x|| with M x the
 * GPU's float32 product of the final x, subtracted from the float64 b and summed in float64 on
 * the CPU: honest about x and about float32's M, not the float64 M's residual.
 */
export interface GpuSolveResult extends SolveResult {
  readonly gpu: GpuRunStats;
}

/**
 * The host's view of the operator, enough for startKrylov (size, precision) and for a zero
 * right-hand side (which never applies it): products happen on the GPU.
 */
export function hostOperator(engine: KrylovEngine): LinearOperator {
  return {
    size: engine.size,
    precision: 'float32',
    apply() {
      throw new Error('the GPU operator is applied on the GPU, not through LinearOperator.apply');
    },
    diagonal: () => engine.diagonal,
  };
}

/** b = 0: x = 0 at once, no GPU work (src/solvers/krylov.ts zeroRightHandSide). */
export function zeroSolve(engine: KrylovEngine, start: KrylovStart, solver: 'cg' | 'minres'): GpuSolveResult {
  return {
    ...zeroRightHandSide(hostOperator(engine), start, solver),
    gpu: { readbacks: 0, submits: 0, checkEvery: engine.checkEvery, recordedIterations: 0 },
  };
}

/** The buffers, parameter slots and bind groups of one solve, freed together. */
export class Workspace implements KrylovBuffers {
  readonly label: string;
  readonly device: GPUDevice;
  readonly size: number;
  readonly arena: UniformArena;
  readonly state: GPUBuffer;
  readonly dots: GPUBuffer;
  readonly trace: GPUBuffer;
  /** Scratch of the two-stage reductions, shared: they run one after another. */
  readonly partials: GPUBuffer;
  readonly #engine: KrylovEngine;
  readonly #buffers: GPUBuffer[] = [];

  /** traceWords: the trace ring's length; partialColumns: the widest reduction (Lanczos' V^T w). */
  constructor(engine: KrylovEngine, label: string, traceWords: number, partialColumns = 1) {
    this.#engine = engine;
    this.label = label;
    this.device = engine.device;
    this.size = engine.size;
    this.arena = new UniformArena(engine.device, `${label}.params`);
    const storage = GPUBufferUsage.STORAGE;
    this.state = this.buffer('state', kKrylovStateBytes, storage | GPUBufferUsage.COPY_SRC);
    this.dots = this.buffer('dots', kKrylovDotsBytes, storage);
    this.trace = this.buffer('trace', 4 * traceWords, storage | GPUBufferUsage.COPY_SRC);
    const partials = engine.reduce.partialsLength(engine.size, partialColumns);
    this.partials = this.buffer('partials', 4 * partials, storage);
  }

  /** A zeroed buffer labelled '<label>.<name>', freed with the workspace. */
  buffer(name: string, bytes: number, usage: GPUBufferUsageFlags): GPUBuffer {
    const buffer = createBuffer(this.device, { label: `${this.label}.${name}`, size: bytes, usage });
    this.#buffers.push(buffer);
    return buffer;
  }

  /** A float32 vector of the operator's size, zero or holding `values`. */
  vector(name: string, values?: ArrayLike<number>): GPUBuffer {
    const buffer = createVector(this.device, `${this.label}.${name}`, values ?? this.size);
    this.#buffers.push(buffer);
    return buffer;
  }

  /** A BLAS call of this solve over the operator's size, labelled '<label>.<name>'. */
  blas(name: string, operation: BlasOperation, operands: Omit<BlasCallSpec, 'size' | 'state'>): BlasCall {
    const spec = { ...operands, size: this.size, state: this.state };
    return this.#engine.blas.prepare(`${this.label}.${name}`, this.arena, operation, spec);
  }

  /** A reduction of this solve into dots[slot] (or into `output`), labelled '<label>.<name>'. */
  dot(
    name: string,
    kind: DotKind,
    operands: Omit<DotSpec, 'size' | 'state' | 'partials' | 'output'> & { output?: GPUBuffer },
  ): DotCall {
    const spec = {
      output: this.dots,
      ...operands,
      size: this.size,
      state: this.state,
      partials: this.partials,
    };
    return this.#engine.reduce.prepare(`${this.label}.${name}`, this.arena, kind, spec);
  }

  destroy(): void {
    for (const buffer of this.#buffers) buffer.destroy();
    this.arena.destroy();
  }
}

/** The state and trace ring as one readback found them, after steps [from, to) were recorded. */
export interface Readback {
  readonly state: KrylovStateView;
  readonly trace: Float32Array;
  readonly from: number;
  readonly to: number;
  /** The run has stopped and this is a chunk that was in flight: report nothing more to the caller. */
  readonly draining: boolean;
}

export interface ChunkedRun {
  /** Labels the command buffers and staging buffers. */
  readonly label: string;
  /** Steps recorded at most (CG, MINRES: maxIterations; Lanczos: basis columns). */
  readonly maxSteps: number;
  /** k: steps per command buffer. Chunks start at multiples of k, so step s sits at s % k of the ring. */
  readonly checkEvery: number;
  /** Records the setup (r_0, the first scalars), ahead of step 0 in the first command buffer. */
  recordStart(recording: Recording): void;
  recordStep(recording: Recording, step: number): void;
  /** Sees every readback in order; false asks to stop (later readbacks, drained, are still shown). */
  onReadback(readback: Readback): boolean;
}

export interface ChunkedOutcome {
  /** The state after everything submitted had run. */
  readonly state: KrylovStateView;
  readonly readbacks: number;
  readonly submits: number;
  readonly recordedSteps: number;
}

/** Chunks in flight at once: the one the CPU waits for and one recorded ahead (short products). */
const kChunksInFlight = 2;

/**
 * Runs a solve chunk by chunk: each command buffer holds k steps and ends by copying the state and
 * the trace ring into a staging buffer, whose mapping the CPU awaits while the next chunk runs.
 * Stops submitting once a readback shows a status or onReadback asks to, then drains what is in
 * flight so that the outcome is the state after all submitted work.
 */
export async function runChunked(
  engine: KrylovEngine,
  workspace: Workspace,
  run: ChunkedRun,
): Promise<ChunkedOutcome> {
  const { device } = engine;
  const traceBytes = workspace.trace.size;
  const stagingBytes = kKrylovStateBytes + traceBytes;
  const inFlightMost = productPieces(engine.operator) > 1 ? 1 : kChunksInFlight;
  const staging = Array.from({ length: inFlightMost }, (_, index) =>
    createBuffer(device, {
      label: `${run.label}.staging[${index}]`,
      size: stagingBytes,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    }),
  );
  const free = [...staging];
  const inFlight: { buffer: GPUBuffer; from: number; to: number; mapped: Promise<void> }[] = [];
  let next = 0;
  let submits = 0;
  let stopping = false;
  let last: KrylovStateView | null = null;

  const submit = async () => {
    const buffer = free.pop()!;
    const recording = new Recording(engine, `${run.label}.chunk[${submits}]`);
    if (submits === 0) run.recordStart(recording);
    const from = next;
    const to = Math.min(from + run.checkEvery, run.maxSteps);
    for (let step = from; step < to; step++) run.recordStep(recording, step);
    next = to;
    recording.encoder.copyBufferToBuffer(workspace.state, 0, buffer, 0, kKrylovStateBytes);
    recording.encoder.copyBufferToBuffer(workspace.trace, 0, buffer, kKrylovStateBytes, traceBytes);
    submits++;
    await recording.submit();
    inFlight.push({ buffer, from, to, mapped: buffer.mapAsync(GPUMapMode.READ) });
  };

  try {
    const more = () => !stopping && next < run.maxSteps && free.length > 0;
    await submit();
    while (inFlight.length > 0) {
      if (more()) await submit();
      const chunk = inFlight.shift()!;
      await chunk.mapped;
      const bytes = chunk.buffer.getMappedRange().slice(0);
      chunk.buffer.unmap();
      free.push(chunk.buffer);
      last = decodeKrylovState(bytes);
      const trace = new Float32Array(bytes, kKrylovStateBytes, traceBytes / 4);
      const proceed = run.onReadback({
        state: last,
        trace,
        from: chunk.from,
        to: chunk.to,
        draining: stopping,
      });
      if (!proceed || last.status !== null) stopping = true;
      // With one chunk in flight (a long product) the next is recorded only now.
      if (inFlight.length === 0 && more()) await submit();
    }
  } finally {
    // After an exception: the mappings still pending reject once their buffers are destroyed.
    for (const chunk of inFlight) chunk.mapped.catch(() => undefined);
    for (const buffer of staging) buffer.destroy();
  }
  return { state: last!, readbacks: submits, submits, recordedSteps: next };
}

/**
 * Collects the residual norms of CG and MINRES from the trace ring into `history` (entry i is
 * ||r_i||) and calls onIteration once per readback that advanced, except while draining (after a
 * stop, as the CPU calls nothing after its last iteration); returns onIteration's verdict.
 */
export function collectResiduals(
  history: number[],
  readback: Readback,
  checkEvery: number,
  onIteration: SolveOptions['onIteration'],
  scale: number,
): boolean {
  const { state, trace } = readback;
  if (history.length === 0) history.push(trace[0] / scale);
  const reported = history.length - 1;
  for (let iteration = history.length; iteration <= state.iteration; iteration++) {
    history.push(trace[1 + ((iteration - 1) % checkEvery)] / scale);
  }
  if (state.iteration > reported && onIteration && !readback.draining) {
    return onIteration(state.iteration, state.residualNorm / scale) !== false;
  }
  return true;
}

/** What CG and MINRES share of a solve, built by gpuKrylovSolve for the method's prepare(). */
export interface KrylovSetup {
  readonly ws: Workspace;
  readonly x: GPUBuffer;
  readonly r: GPUBuffer;
  /** D^-1 in float32 (the method's). */
  readonly inverseDiagonal: GPUBuffer;
  /** What the scalar kernels are told (threshold, maxIterations, ...). */
  readonly params: KrylovParams;
  /** The bind group of every krylov.wgsl kernel of the solve. */
  readonly scalars: GPUBindGroup;
  /** ||r||^2 into dots.residualSquared. */
  readonly residualSquared: DotCall;
  /**
   * Records product = M x_0 (not where x_0 = 0: `product`, a buffer fresh from the workspace, holds
   * those zeros), then opens a pass holding r_0 = b - product, ||r_0|| and the stopping rule at
   * iteration 0 (krylov_start); the method adds its own start to the pass and ends it.
   */
  beginStart(recording: Recording, product: GPUBuffer): GPUComputePassEncoder;
}

/** A Krylov method as gpuKrylovSolve runs it. */
export interface KrylovMethod {
  readonly solver: 'cg' | 'minres';
  /** 'Cg' or 'Minres': labels its GPU objects and its error scope 'Gpu<label>.solve'. */
  readonly label: string;
  /** D^-1 as the method's CPU reference builds it, in float32. */
  readonly inverseDiagonal: Vector;
  /** The reason a bad diagonal gives after the check at iteration 0 (CG's), or null. */
  readonly diagonalStatus: ConvergenceReason | null;
  /** MINRES: the params of its condition estimate (KrylovParams normFloor, conditionLimit). */
  readonly singular?: Pick<KrylovParams, 'normFloor' | 'conditionLimit'>;
  prepare(setup: KrylovSetup): Pick<ChunkedRun, 'recordStart' | 'recordStep'>;
}

/**
 * A CG or MINRES solve of M x = b: options resolved as src/solvers/krylov.ts startKrylov resolves
 * them (b = 0 returns at once), everything allocated inside error scopes labelled
 * 'Gpu<label>.solve', k iterations per command buffer, and the result packed by finishSolve.
 */
export async function gpuKrylovSolve(
  engine: KrylovEngine,
  b: ArrayLike<number>,
  options: GpuSolveOptions,
  method: KrylovMethod,
): Promise<GpuSolveResult> {
  const start = startKrylov(hostOperator(engine), b, options);
  if (start.bNorm === 0) return zeroSolve(engine, start, method.solver);
  const checkEvery = checkIterations(options.checkEvery ?? engine.checkEvery);
  const { label } = method;
  // ||b|| scaled into (1/2, 1] by a power of two, which is exact: float32 squares of entries below
  // ~1e-19 fall under the smallest normal float (GPUs may flush them to zero) and above ~1e19
  // overflow, so a b in SI units would wreck every norm. The iterates are those of the unscaled
  // solve; results are scaled back.
  const scale = 2 ** -Math.ceil(Math.log2(start.bNorm));
  const scaled = (values: ArrayLike<number>) => Float32Array.from(values, (value) => value * scale);

  return withErrorScopes(engine.device, `Gpu${label}.solve`, async () => {
    const ws = new Workspace(engine, label, 1 + checkEvery);
    try {
      const x0 = scaled(options.x0 ?? start.x);
      const zeroStart = x0.every((value) => value === 0);
      const x = ws.vector('x', x0);
      const rhs = ws.vector('b', scaled(start.b64));
      const r = ws.vector('r');
      const inverseDiagonal = ws.vector('inverseDiagonal', method.inverseDiagonal);
      const params: KrylovParams = {
        threshold: start.threshold * scale,
        atol: start.atol * scale,
        maxIterations: start.maxIterations,
        diagonalStatus: method.diagonalStatus,
        traceSteps: checkEvery,
        size: engine.size,
        ...method.singular,
      };
      const scalars = engine.krylov.bind(`${label}.scalars`, ws.arena, params, ws);
      const residualSquared = ws.dot('rr', 'dot', { x: r, y: r, slot: kDotSlot.residualSquared });
      const recorders = method.prepare({
        ws,
        x,
        r,
        inverseDiagonal,
        params,
        scalars,
        residualSquared,
        beginStart(recording, product) {
          const initial = ws.blas('initialResidual', 'sum', {
            a: rhs,
            b: product,
            out: r,
            coefficients: [{ scale: -1 }],
          });
          // M x_0 of x_0 = 0 (no x0, or one of zeros) is 0, which the fresh product buffer holds
          // already: the product, minutes at 10⁶ electrons on the tree on a CPU adapter, is skipped.
          if (!zeroStart) recording.product(x, product);
          const pass = recording.encoder.beginComputePass({ label: `${label}.start` });
          engine.blas.record(pass, initial);
          engine.reduce.record(pass, residualSquared);
          engine.krylov.record(pass, scalars, 'krylov_start');
          return pass;
        },
      });
      const history: number[] = [];
      const outcome = await runChunked(engine, ws, {
        label,
        maxSteps: start.maxIterations,
        checkEvery,
        ...recorders,
        onReadback: (readback) => collectResiduals(history, readback, checkEvery, start.onIteration, scale),
      });
      return await finishSolve(engine, ws, start, method.solver, x, outcome, history, checkEvery, scale);
    } finally {
      ws.destroy();
    }
  });
}

/**
 * Reads x and M x back together (one mapAsync) after the solve and packs the result, with the
 * true residual ||b - M x|| subtracted from the float64 b and summed in float64 (see GpuSolveResult).
 * The GPU solved for b * scale; x, M x and the residual norms are divided by it here.
 */
export async function finishSolve(
  engine: KrylovEngine,
  workspace: Workspace,
  start: KrylovStart,
  solver: 'cg' | 'minres',
  x: GPUBuffer,
  outcome: ChunkedOutcome,
  history: number[],
  checkEvery: number,
  scale: number,
): Promise<GpuSolveResult> {
  const { device, size } = engine;
  const product = workspace.vector('product');
  const bytes = 4 * size;
  const staging = createBuffer(device, {
    label: `${workspace.label}.finalStaging`,
    size: 2 * bytes,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  let values: Float32Array;
  try {
    const recording = new Recording(engine, `${workspace.label}.final`);
    recording.product(x, product);
    recording.encoder.copyBufferToBuffer(x, 0, staging, 0, bytes);
    recording.encoder.copyBufferToBuffer(product, 0, staging, bytes, bytes);
    await recording.submit();
    await staging.mapAsync(GPUMapMode.READ);
    values = new Float32Array(staging.getMappedRange().slice(0));
    staging.unmap();
  } finally {
    staging.destroy();
  }
  const xScaled = values.subarray(0, size);
  const axScaled = values.subarray(size);
  const { state } = outcome;
  const reason: ConvergenceReason = state.status ?? 'diverged_max_it';
  // finishKrylov packs the result; its float64 true residual needs a CPU operator, so the one from
  // the GPU product replaces it.
  const packed = finishKrylov(
    {
      ...hostOperator(engine),
      apply: (_, y) => y.set(Float64Array.from(axScaled, (value) => value / scale)),
    },
    start,
    solver,
    Float64Array.from(xScaled, (value) => value / scale),
    reason,
    state.iteration,
    state.residualNorm / scale,
    history,
  );
  return {
    ...packed,
    gpu: {
      readbacks: outcome.readbacks + 1,
      submits: outcome.submits + 1,
      checkEvery,
      recordedIterations: outcome.recordedSteps,
      step: engine.stepVariant,
    },
  };
}
