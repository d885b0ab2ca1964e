// Thick-restart Lanczos on the GPU, for the extreme eigenvalues of the Jacobi-scaled
// A = D^-1/2 M D^-1/2 (src/solvers/spectrum.ts): src/solvers/lanczos.ts step for step. The basis
// V = [q_0 .. q_{m-1}] lives in one GPU buffer of m = basisSize columns (columnStride floats apart,
// so that each column can be bound on its own); step j of a cycle is
//   t = D^-1/2 q_j;  u = M t (the matvec);  w = D^-1/2 u;  alpha_j = q_j^T w
//   w -= alpha_j q_j + beta_{j-1} q_{j-1}
//   twice ("twice is enough", Giraud et al. 2005): h = V^T w, w -= V h  (classical Gram-Schmidt as
//     one columns reduction and one GEMV-like kernel, so the cost per step is O(j n) in 3 dispatches)
//   beta_j = ||w||;  q_{j+1} = w / beta_j
// alpha_j and beta_j go to the trace ring, read back every k steps with the state; the CPU then
// replays the CPU reference's stopping tests (lanczosVerdict) step by step on T_j, so the result is
// the one at the first step j that passes them, whatever the GPU did after it.
// A cycle ends when q_{m-1} is written; the CPU then solves T (thickRestart) and the GPU forms the
// kept vectors V Y, one columns_sub per kept column into a scratch of kept + 1 columns (the last a
// copy of q_{m-1}), copied back over the first columns of V: WebGPU copies never read and write one
// buffer, and the scratch keeps memory at (m + m/2) vectors. The next cycle gets a fresh state, the
// kept basis' last coupling beta_{kept-1} as a constant of its first step, and resumes at j = kept.
// With the option ritzVectors, the extreme Ritz vectors V s are formed on the GPU by the same
// columns kernel (x = 0 - V (-s)), s from the CPU's ritzCoefficients.
import { boundVectorStride, type VectorBinding } from '../gpu/buffers.ts';
import { GpuError, withErrorScopes } from '../gpu/device.ts';
import { readFloat32 } from '../gpu/readback.ts';
import type { BlasCall, Coefficient } from '../kernels/blas.ts';
import { kDotSlot, kKrylovStateBytes, kStateSlot } from '../kernels/krylov.ts';
import type { DotCall } from '../kernels/reduce.ts';
import {
  lanczosNotStarted,
  lanczosStartVector,
  lanczosStopped,
  lanczosVerdict,
  maxKept,
  normalised,
  ritzCoefficients,
  startLanczos,
  thickRestart,
  type ThickRestart,
} from '../solvers/lanczos.ts';
import { jacobiInverseRoot } from '../solvers/spectrum.ts';
import type { LanczosOptions, LanczosReason, LanczosResult, RitzVectors } from '../solvers/types.ts';
import { checkIterations, runChunked, Workspace, type GpuRunStats, type KrylovEngine } from './krylov.ts';

export interface GpuLanczosOptions extends LanczosOptions {
  /** k: steps per command buffer and per readback (default: the backend's). */
  checkEvery?: number;
}

export interface GpuLanczosResult extends LanczosResult {
  readonly gpu: GpuRunStats;
}

interface StepCalls {
  readonly alpha: DotCall;
  readonly subtractAlpha: BlasCall;
  readonly subtractBeta: BlasCall | null;
  readonly overlaps: DotCall;
  readonly project: BlasCall;
  readonly nextColumn: BlasCall;
  readonly nextT: BlasCall;
}

/**
 * Extreme eigenvalues of D^-1/2 M D^-1/2 by thick-restart Lanczos on the GPU. Reasons as in
 * src/solvers/lanczos.ts (tol, the invariant test, maxIterations products), decided on the CPU from
 * T_j; onIteration is called at the readback points, every k steps, and a false there stops with
 * diverged_max_it.
 */
export async function gpuLanczos(
  engine: KrylovEngine,
  options: GpuLanczosOptions = {},
): Promise<GpuLanczosResult> {
  const { size, blas, reduce, krylov, device } = engine;
  const start = startLanczos(size, 'float32', options);
  const { maxIterations, columns } = start;
  const checkEvery = checkIterations(options.checkEvery ?? engine.checkEvery);
  const inverseRoot = jacobiInverseRoot(engine.diagonal, 'float32');
  const alphas = new Float64Array(columns);
  const betas = new Float64Array(columns);
  let result: LanczosResult = lanczosNotStarted();
  let gpu: GpuRunStats = { readbacks: 0, submits: 0, checkEvery, recordedIterations: 0 };
  const finish = (reason: LanczosReason): GpuLanczosResult => ({ ...lanczosStopped(result, reason), gpu });
  if (maxIterations < 1) return finish('diverged_max_it');

  const columnStride = boundVectorStride(device, size);
  const columnBytes = 4 * columnStride;
  const basisBytes = columnBytes * columns;
  const largest = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
  if (basisBytes > largest) {
    throw new GpuError(
      'out-of-memory',
      `the Lanczos basis of ${columns} vectors of ${size} floats (${basisBytes} bytes) exceeds the ` +
        `largest storage binding (${largest} bytes); lower the basis size`,
    );
  }
  // The projected dimension of a full cycle, and the most columns a restart keeps.
  const steps = columns - 1;
  const keptMost = maxKept(steps);

  return withErrorScopes(device, 'GpuLanczos.run', async () => {
    // The buffers of the whole run; each cycle has its own Workspace (a fresh state, running at
    // iteration 0, and the calls bound to it), as the state cannot be written from the host.
    const ws = new Workspace(engine, 'Lanczos', 1);
    try {
      const copies = GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
      const basis = ws.buffer('basis', basisBytes, GPUBufferUsage.STORAGE | copies);
      device.queue.writeBuffer(basis, 0, Float32Array.from(lanczosStartVector(start)));
      const column = (j: number): GPUBufferBinding => ({
        buffer: basis,
        offset: columnBytes * j,
        size: 4 * size,
      });
      const scaling = ws.vector('inverseRootDiagonal', inverseRoot);
      const t = ws.vector('t');
      const u = ws.vector('u');
      const w = ws.vector('w');
      const overlaps = ws.buffer('overlaps', 4 * columns, GPUBufferUsage.STORAGE);
      // The restart: the scratch's column c becomes V coefficients[c] (columns_sub from zero, so h
      // holds the negated coefficients, `steps` apart), its column `kept` q_{m-1}.
      const kept = ws.buffer('kept', columnBytes * (keptMost + 1), GPUBufferUsage.STORAGE | copies);
      const restartCoefficients = ws.buffer(
        'restartCoefficients',
        4 * steps * keptMost,
        GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
      );

      let finished: LanczosReason | null = null;
      let status: string | null = null;
      let iterations = 0;
      let restarts = 0;
      let restart: ThickRestart | null = null;
      for (;;) {
        const first = restart ? restart.alphas.length : 0;
        const done = iterations;
        const cycle = new Workspace(engine, 'Lanczos', 2 * checkEvery, columns);
        try {
          const calls = cycleCalls(engine, cycle, {
            basis,
            column,
            columnStride,
            scaling,
            t,
            u,
            w,
            overlaps,
            checkEvery,
            columns,
          });
          const cycleRestart = restart;
          let reported = 0;
          const outcome = await runChunked(engine, cycle, {
            label: 'Lanczos',
            maxSteps: Math.min(steps - first, maxIterations - done),
            checkEvery,
            recordStart({ encoder }) {
              if (cycleRestart) {
                // V's first columns <- [V Y, q_{m-1}], through the scratch: WebGPU copies never
                // read and write one buffer.
                const count = cycleRestart.coefficients.length;
                encoder.clearBuffer(kept);
                const pass = encoder.beginComputePass({ label: 'Lanczos.restart' });
                for (let c = 0; c < count; c++) {
                  const call = cycle.blas(`kept[${c}]`, 'columns_sub', {
                    a: basis,
                    b: restartCoefficients,
                    out: { buffer: kept, offset: columnBytes * c, size: 4 * size },
                    coefficients: [{ slot: steps * c }],
                    columns: steps,
                    columnStride,
                  });
                  blas.record(pass, call);
                }
                pass.end();
                encoder.copyBufferToBuffer(basis, columnBytes * steps, kept, columnBytes * count, 4 * size);
                encoder.copyBufferToBuffer(kept, 0, basis, 0, columnBytes * count + 4 * size);
              }
              const pass = encoder.beginComputePass({ label: 'Lanczos.start' });
              blas.record(pass, calls.firstT(first));
              pass.end();
            },
            recordStep(recording, step) {
              const j = first + step;
              const call = calls.step(j, j === first && cycleRestart ? cycleRestart.betas[first - 1] : null);
              recording.product(t, u, { guard: cycle.state });
              const pass = recording.encoder.beginComputePass({ label: 'Lanczos.step' });
              blas.record(pass, calls.scaleU);
              reduce.record(pass, call.alpha);
              krylov.record(pass, calls.scalars, 'lanczos_alpha');
              blas.record(pass, call.subtractAlpha);
              if (call.subtractBeta) blas.record(pass, call.subtractBeta);
              for (let sweep = 0; sweep < 2; sweep++) {
                reduce.record(pass, call.overlaps);
                blas.record(pass, call.project);
              }
              reduce.record(pass, calls.norm);
              krylov.record(pass, calls.scalars, 'lanczos_beta');
              blas.record(pass, call.nextColumn);
              blas.record(pass, call.nextT);
              pass.end();
            },
            onReadback({ state: gpuState, trace, from, to }) {
              if (finished) return false;
              const stepsDone = Math.min(to, gpuState.iteration);
              for (let step = from; step < stepsDone; step++) {
                const j = first + step;
                alphas[j] = trace[2 * (step - from)];
                betas[j] = trace[2 * (step - from) + 1];
                iterations = done + step + 1;
                const verdict = lanczosVerdict(start, alphas, betas, j, result, { iterations, restarts });
                result = verdict.result;
                finished = verdict.reason;
                if (finished) return false;
              }
              if (stepsDone > reported) {
                reported = stepsDone;
                if (options.onIteration?.(done + stepsDone, result.lambdaMin, result.lambdaMax) === false) {
                  finished = 'diverged_max_it';
                  return false;
                }
              }
              return true;
            },
          });
          gpu = {
            readbacks: gpu.readbacks + outcome.readbacks,
            submits: gpu.submits + outcome.submits,
            checkEvery,
            recordedIterations: gpu.recordedIterations + outcome.recordedSteps,
          };
          status = outcome.state.status;
        } finally {
          cycle.destroy();
        }
        if (finished || status !== null || iterations >= maxIterations) break;
        // The cycle filled the basis: restart from the kept Ritz vectors and q_{m-1}.
        restart = thickRestart(alphas, betas, steps, start.tol);
        const negated = new Float32Array(steps * keptMost);
        restart.coefficients.forEach((y, c) => y.forEach((value, l) => (negated[steps * c + l] = -value)));
        device.queue.writeBuffer(restartCoefficients, 0, negated);
        alphas.set(restart.alphas);
        betas.set(restart.betas);
        restarts++;
        const keptSteps = restart.alphas.length;
        result = lanczosVerdict(start, alphas, betas, keptSteps - 1, result, { iterations, restarts }).result;
      }
      // Without a verdict from the replay the GPU stopped on its own: NaN or the product limit (its
      // beta = 0 breakdown always passes the replay's invariant test first).
      const stopped = finish(finished ?? (status === 'diverged_nan' ? 'diverged_nan' : 'diverged_max_it'));
      const dimension = stopped.ritzValues.length;
      if (!options.ritzVectors || dimension === 0) return stopped;
      const s = ritzCoefficients(alphas, betas, dimension);
      const combine = (name: string, coefficients: Float64Array) =>
        combineColumns(engine, ws, name, { basis, columnStride, coefficients });
      const ritzVectors: RitzVectors = { min: await combine('min', s.min), max: await combine('max', s.max) };
      return { ...stopped, ritzVectors };
    } finally {
      ws.destroy();
    }
  });
}

/** The run's buffers a cycle's calls bind. */
interface CycleBuffers {
  readonly basis: GPUBuffer;
  readonly column: (j: number) => GPUBufferBinding;
  readonly columnStride: number;
  readonly scaling: GPUBuffer;
  readonly t: GPUBuffer;
  readonly u: GPUBuffer;
  readonly w: GPUBuffer;
  readonly overlaps: GPUBuffer;
  readonly checkEvery: number;
  readonly columns: number;
}

/**
 * The calls of one cycle, bound to its workspace's state. step(j, beta) builds step j's calls once;
 * beta, for the first step after a restart, is beta_{j-1} as a constant (the fresh state's beta is 0).
 */
function cycleCalls(engine: KrylovEngine, cycle: Workspace, buffers: CycleBuffers) {
  const { basis, column, columnStride, scaling, t, u, w, overlaps } = buffers;
  const scaled = (name: string, source: VectorBinding, target: VectorBinding) =>
    cycle.blas(name, 'weighted_scale', { a: source, b: scaling, out: target });
  const subtract = (name: string, source: VectorBinding, coefficient: Coefficient) =>
    cycle.blas(name, 'axpy', { a: source, out: w, coefficients: [coefficient] });
  const scalars = engine.krylov.bind(
    'Lanczos.scalars',
    cycle.arena,
    {
      threshold: 0,
      atol: 0,
      // A cycle's steps are counted from 0 and end at columns - 1 by the host's count: the GPU's
      // own limit is never reached.
      maxIterations: buffers.columns,
      diagonalStatus: null,
      traceSteps: buffers.checkEvery,
      size: engine.size,
    },
    cycle,
  );
  const built = new Map<number, StepCalls>();
  return {
    scalars,
    scaleU: scaled('w', u, w),
    norm: cycle.dot('norm', 'dot', { x: w, y: w, slot: kDotSlot.residualSquared }),
    firstT: (j: number) => scaled(`t[${j}]`, column(j), t),
    step(j: number, beta: number | null): StepCalls {
      const cached = built.get(j);
      if (cached) return cached;
      const basisColumns = { columns: j + 1, columnStride };
      const previous: Coefficient | null =
        j === 0 ? null : beta === null ? { slot: kStateSlot.beta, scale: -1 } : { scale: -beta };
      const calls: StepCalls = {
        alpha: cycle.dot(`alpha[${j}]`, 'dot', { x: column(j), y: w, slot: kDotSlot.rayleigh }),
        subtractAlpha: subtract(`subtractAlpha[${j}]`, column(j), { slot: kStateSlot.alpha, scale: -1 }),
        subtractBeta: previous && subtract(`subtractBeta[${j}]`, column(j - 1), previous),
        overlaps: cycle.dot(`overlaps[${j}]`, 'columns', {
          x: basis,
          y: w,
          output: overlaps,
          slot: 0,
          ...basisColumns,
        }),
        project: cycle.blas(`project[${j}]`, 'columns_sub', {
          a: basis,
          b: overlaps,
          out: w,
          coefficients: [{ slot: 0 }],
          ...basisColumns,
        }),
        nextColumn: cycle.blas(`q[${j + 1}]`, 'scale', {
          a: w,
          out: column(j + 1),
          coefficients: [{ slot: kStateSlot.inverseBeta }],
        }),
        nextT: scaled(`t[${j + 1}]`, column(j + 1), t),
      };
      built.set(j, calls);
      return calls;
    },
  };
}

/**
 * x = V s for the first s.length basis columns, on the GPU, read back and scaled to unit length in
 * float64. columns_sub computes out -= V h, so h = -s and out starts at zero; its guard reads a fresh
 * state buffer (status 0), since the run's own may hold the status that stopped it.
 */
async function combineColumns(
  engine: KrylovEngine,
  ws: Workspace,
  name: string,
  spec: { basis: GPUBuffer; columnStride: number; coefficients: Float64Array },
): Promise<Float64Array> {
  const { device, size, blas } = engine;
  const storage = GPUBufferUsage.STORAGE;
  const state = ws.buffer(`ritz.${name}.state`, kKrylovStateBytes, storage);
  const h = ws.vector(
    `ritz.${name}.coefficients`,
    spec.coefficients.map((c) => -c),
  );
  const x = ws.vector(`ritz.${name}.x`);
  const call = blas.prepare(`Lanczos.ritz.${name}`, ws.arena, 'columns_sub', {
    size,
    state,
    a: spec.basis,
    b: h,
    out: x,
    coefficients: [{ slot: 0 }],
    columns: spec.coefficients.length,
    columnStride: spec.columnStride,
  });
  const encoder = device.createCommandEncoder({ label: `Lanczos.ritz.${name}` });
  const pass = encoder.beginComputePass({ label: `Lanczos.ritz.${name}` });
  blas.record(pass, call);
  pass.end();
  device.queue.submit([encoder.finish()]);
  return normalised(Float64Array.from(await readFloat32(device, x, size)));
}
