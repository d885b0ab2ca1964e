// Lanczos with full reorthogonalisation on the GPU, for the extreme eigenvalues of the Jacobi-scaled
// A = D^-1/2 M D^-1/2 (src/solvers/spectrum.ts): src/solvers/lanczos.ts step for step. The basis
// V = [q_0 .. q_j] lives in one GPU buffer, one column per step (columnStride floats apart, so that
// each column can be bound on its own); step j is
//   t = D^-1/2 q_j;  u = M t (the matvec);  w = D^-1/2 u;  alpha_j = q_j^T w
//   w -= alpha_j q_j + beta_{j-1} q_{j-1}
//   twice ("twice is enough", Giraud et al. 2005): h = V^T w, w -= V h  (classical Gram-Schmidt as
//     one columns reduction and one GEMV-like kernel, so the cost per step is O(j n) in 3 dispatches)
//   beta_j = ||w||;  q_{j+1} = w / beta_j
// alpha_j and beta_j go to the trace ring, read back every k steps with the state; the CPU then
// replays the CPU reference's stopping tests (lanczosVerdict) step by step on T_j, so the result is
// the one at the first step j that passes them, whatever the GPU did after it.
// With the option ritzVectors, the extreme Ritz vectors V s are formed on the GPU by the same
// columns kernel as the reorthogonalisation (x = 0 - V (-s)), s from the CPU's ritzCoefficients.
import { boundVectorStride, type VectorBinding } from '../gpu/buffers.ts';
import { GpuError, withErrorScopes } from '../gpu/device.ts';
import { readFloat32 } from '../gpu/readback.ts';
import type { BlasCall } from '../kernels/blas.ts';
import { kDotSlot, kKrylovStateBytes, kStateSlot } from '../kernels/krylov.ts';
import type { DotCall } from '../kernels/reduce.ts';
import {
  lanczosNotStarted,
  lanczosStartVector,
  lanczosStopped,
  lanczosVerdict,
  normalised,
  ritzCoefficients,
  startLanczos,
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
  readonly nextColumn: BlasCall | null;
  readonly nextT: BlasCall | null;
}

/**
 * Extreme eigenvalues of D^-1/2 M D^-1/2 by Lanczos on the GPU. Reasons as in src/solvers/lanczos.ts
 * (tol, the invariant test, maxIterations), decided on the CPU from T_j; onIteration is called at
 * the readback points, every k steps, and a false there stops with diverged_max_it.
 */
export async function gpuLanczos(
  engine: KrylovEngine,
  options: GpuLanczosOptions = {},
): Promise<GpuLanczosResult> {
  const { size, blas, reduce, krylov, operator, device } = engine;
  const start = startLanczos(size, 'float32', options);
  const maxSteps = start.maxIterations;
  const checkEvery = checkIterations(options.checkEvery ?? engine.checkEvery);
  const inverseRoot = jacobiInverseRoot(engine.diagonal, 'float32');
  const alphas = new Float64Array(maxSteps);
  const betas = new Float64Array(maxSteps);
  let result: LanczosResult = lanczosNotStarted();
  const finish = (reason: LanczosReason, gpu: GpuRunStats): GpuLanczosResult => ({
    ...lanczosStopped(result, reason),
    gpu,
  });
  if (maxSteps < 1)
    return finish('diverged_max_it', { readbacks: 0, submits: 0, checkEvery, recordedIterations: 0 });

  // The tests of src/solvers/lanczos.ts after step j, on T_j; null to go on.
  const replay = (j: number): LanczosReason | null => {
    const verdict = lanczosVerdict(start, alphas, betas, j, result);
    result = verdict.result;
    return verdict.reason;
  };

  const columnStride = boundVectorStride(device, size);
  const basisBytes = 4 * columnStride * maxSteps;
  const largest = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
  if (basisBytes > largest) {
    throw new GpuError(
      'out-of-memory',
      `the Lanczos basis of ${maxSteps} vectors of ${size} floats (${basisBytes} bytes) exceeds the ` +
        `largest storage binding (${largest} bytes); lower maxIterations`,
    );
  }

  return withErrorScopes(device, 'GpuLanczos.run', async () => {
    const ws = new Workspace(engine, 'Lanczos', 2 * checkEvery, maxSteps);
    try {
      const basis = ws.buffer('basis', basisBytes, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST);
      device.queue.writeBuffer(basis, 0, Float32Array.from(lanczosStartVector(start)));
      const column = (j: number): GPUBufferBinding => ({
        buffer: basis,
        offset: 4 * columnStride * j,
        size: 4 * size,
      });
      const scaling = ws.vector('inverseRootDiagonal', inverseRoot);
      const t = ws.vector('t');
      const u = ws.vector('u');
      const w = ws.vector('w');
      const overlaps = ws.buffer('overlaps', 4 * maxSteps, GPUBufferUsage.STORAGE);
      const scalars = krylov.bind(
        'Lanczos.scalars',
        ws.arena,
        {
          threshold: 0,
          atol: 0,
          maxIterations: maxSteps,
          diagonalStatus: null,
          traceSteps: checkEvery,
          size: engine.size,
        },
        ws,
      );
      const scaled = (name: string, source: VectorBinding, target: VectorBinding) =>
        ws.blas(name, 'weighted_scale', { a: source, b: scaling, out: target });
      const subtract = (name: string, source: VectorBinding, coefficient: number) =>
        ws.blas(name, 'axpy', { a: source, out: w, coefficients: [{ slot: coefficient, scale: -1 }] });
      const firstT = scaled('t[0]', column(0), t);
      const scaleU = scaled('w', u, w);
      const norm = ws.dot('norm', 'dot', { x: w, y: w, slot: kDotSlot.residualSquared });
      // Step j's calls, built when it is recorded (each step is recorded once).
      const stepCalls = (j: number): StepCalls => {
        const next = j + 1 < maxSteps ? j + 1 : null;
        const columns = { columns: j + 1, columnStride };
        return {
          alpha: ws.dot(`alpha[${j}]`, 'dot', { x: column(j), y: w, slot: kDotSlot.rayleigh }),
          subtractAlpha: subtract(`subtractAlpha[${j}]`, column(j), kStateSlot.alpha),
          subtractBeta: j > 0 ? subtract(`subtractBeta[${j}]`, column(j - 1), kStateSlot.beta) : null,
          overlaps: ws.dot(`overlaps[${j}]`, 'columns', {
            x: basis,
            y: w,
            output: overlaps,
            slot: 0,
            ...columns,
          }),
          project: ws.blas(`project[${j}]`, 'columns_sub', {
            a: basis,
            b: overlaps,
            out: w,
            coefficients: [{ slot: 0 }],
            ...columns,
          }),
          nextColumn:
            next === null
              ? null
              : ws.blas(`q[${next}]`, 'scale', {
                  a: w,
                  out: column(next),
                  coefficients: [{ slot: kStateSlot.inverseBeta }],
                }),
          nextT: next === null ? null : scaled(`t[${next}]`, column(next), t),
        };
      };

      let finished: LanczosReason | null = null;
      let reportedSteps = 0;
      const outcome = await runChunked(engine, ws, {
        label: 'Lanczos',
        maxSteps,
        checkEvery,
        recordStart(encoder) {
          const pass = encoder.beginComputePass({ label: 'Lanczos.start' });
          blas.record(pass, firstT);
          pass.end();
        },
        recordStep(encoder, j) {
          const calls = stepCalls(j);
          operator.record(encoder, t, u, { guard: ws.state });
          const pass = encoder.beginComputePass({ label: 'Lanczos.step' });
          blas.record(pass, scaleU);
          reduce.record(pass, calls.alpha);
          krylov.record(pass, scalars, 'lanczos_alpha');
          blas.record(pass, calls.subtractAlpha);
          if (calls.subtractBeta) blas.record(pass, calls.subtractBeta);
          for (let sweep = 0; sweep < 2; sweep++) {
            reduce.record(pass, calls.overlaps);
            blas.record(pass, calls.project);
          }
          reduce.record(pass, norm);
          krylov.record(pass, scalars, 'lanczos_beta');
          if (calls.nextColumn) blas.record(pass, calls.nextColumn);
          if (calls.nextT) blas.record(pass, calls.nextT);
          pass.end();
        },
        onReadback({ state: gpuState, trace, from, to }) {
          if (finished) return false;
          const done = Math.min(to, gpuState.iteration);
          for (let j = from; j < done; j++) {
            alphas[j] = trace[2 * (j - from)];
            betas[j] = trace[2 * (j - from) + 1];
            finished = replay(j);
            if (finished) return false;
          }
          if (done > reportedSteps) {
            reportedSteps = done;
            if (options.onIteration?.(done, result.lambdaMin, result.lambdaMax) === false) {
              finished = 'diverged_max_it';
              return false;
            }
          }
          return true;
        },
      });
      const gpu: GpuRunStats = {
        readbacks: outcome.readbacks,
        submits: outcome.submits,
        checkEvery,
        recordedIterations: outcome.recordedSteps,
      };
      // Without a verdict from the replay the GPU stopped on its own: NaN or the step limit (its
      // beta = 0 breakdown always passes the replay's invariant test first).
      const status = outcome.state.status;
      const stopped = finish(
        finished ?? (status === 'diverged_nan' ? 'diverged_nan' : 'diverged_max_it'),
        gpu,
      );
      if (!options.ritzVectors || stopped.iterations === 0) return stopped;
      const s = ritzCoefficients(alphas, betas, stopped.iterations);
      const combine = (name: string, coefficients: Float64Array) =>
        combineColumns(engine, ws, name, { basis, columnStride, coefficients });
      const ritzVectors: RitzVectors = { min: await combine('min', s.min), max: await combine('max', s.max) };
      return { ...stopped, ritzVectors };
    } finally {
      ws.destroy();
    }
  });
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
