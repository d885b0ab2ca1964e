// Preconditioned MINRES (Paige and Saunders 1975) on the GPU for a symmetric, possibly indefinite M:
// src/solvers/minres.ts step for step, the ring past 1 + eps lambda_min(V) < 0 (eq. 50) where CG
// reports diverged_indefinite. As there, r is carried explicitly (r_k = r_{k-1} - phi_k A w_k, with
// A w_k by the same three-term recurrence as w_k), so the stopping rule is on ||r_k||_2.
//
// The CPU rotates its vectors by swapping references ([r1, r2, y] = [r2, y, r1], [w, w1, w2] =
// [w1, w2, w]); here the three buffers of each ring are fixed and iteration k binds them in the
// order k % 3, so one bind group per phase serves every third iteration. One iteration is the
// matvec A v and one compute pass:
//   y = A v - (beta/oldb) r1;  alfa = v^T y;  y -= (alfa/beta) r2;  (r1, r2) <- (r2, y)
//   beta^2 = r2^T D^-1 r2 -> Givens rotation (krylov.wgsl minres_givens)
//   w = (v - oldeps w1 - delta w2) / gamma, x += phi w;  A w likewise, r -= phi A w
//   ||r|| -> stopping rule;  v = D^-1 r2 / beta for the next iteration
// The Givens step also estimates cond(A) and stops before a step that is rounding (diverged_singular),
// so the vector kernels after it leave x and r as they were.
// For the fused step (engine.stepVariant) the nine ring vectors live in one buffer, ringStride
// floats apart, which krylov_step.wgsl's minres_step indexes by k % 3 itself, doing the whole pass
// in one workgroup within 8 storage buffers; the start pass binds the slots one by one.
import { boundVectorStride, type VectorBinding } from '../gpu/buffers.ts';
import type { BlasCall } from '../kernels/blas.ts';
import { kDotSlot, kStateSlot } from '../kernels/krylov.ts';
import type { DotCall } from '../kernels/reduce.ts';
import { minresConditionLimit, minresInverseDiagonal, minresNormFloor } from '../solvers/minres.ts';
import {
  fusedStepKernel,
  gpuKrylovSolve,
  type GpuSolveOptions,
  type GpuSolveResult,
  type KrylovEngine,
} from './krylov.ts';

/** The calls of one phase k % 3 of the vector rings. */
interface PhaseCalls {
  readonly y: BlasCall;
  readonly alfa: DotCall;
  readonly yUpdate: BlasCall;
  readonly betaSquared: DotCall;
  readonly w: BlasCall;
  readonly aw: BlasCall;
  readonly nextV: BlasCall;
}

/**
 * Solves M x = b for symmetric M by Jacobi-preconditioned MINRES on the GPU. Reasons and their
 * formulas are those of src/solvers/minres.ts; see GpuSolveResult for history and the true residual.
 */
export function gpuMinres(
  engine: KrylovEngine,
  b: ArrayLike<number>,
  options: GpuSolveOptions = {},
): Promise<GpuSolveResult> {
  const { blas, reduce, krylov } = engine;
  const jacobi = minresInverseDiagonal(engine.diagonal, new Float32Array(engine.size));
  return gpuKrylovSolve(engine, b, options, {
    solver: 'minres',
    label: 'Minres',
    // Without an SPD D (src/solvers/minres.ts runs unpreconditioned then), D^-1 = I does the same.
    inverseDiagonal: jacobi ?? new Float32Array(engine.size).fill(1),
    diagonalStatus: null,
    singular: {
      normFloor: minresNormFloor(engine.diagonal, jacobi !== null),
      conditionLimit: minresConditionLimit('float32'),
    },
    prepare({ ws, x, r, inverseDiagonal, params, scalars, residualSquared, beginStart }) {
      const v = ws.vector('v');
      const av = ws.vector('av');
      // The nine ring vectors. Fused: slots of one buffer, which krylov_step.wgsl indexes by k % 3
      // itself, within 8 storage buffers. Split: nine buffers, for a dispatch may not write one
      // range of a buffer while it reads another.
      const ringStride = boundVectorStride(engine.device, engine.size);
      const ringBuffer =
        engine.stepVariant === 'fused' ? ws.buffer('ring', 4 * 9 * ringStride, GPUBufferUsage.STORAGE) : null;
      const slot3 = (name: string, first: number): VectorBinding[] =>
        [0, 1, 2].map((k) =>
          ringBuffer
            ? { buffer: ringBuffer, offset: 4 * (first + k) * ringStride, size: 4 * engine.size }
            : ws.vector(`${name}[${k}]`),
        );
      const lanczosVectors = slot3('r', 0); // r1, r2, y in the order of the phase
      const w = slot3('w', 3);
      const aw = slot3('aw', 6);
      const slot = kStateSlot;
      const preconditioned = (name: string, vector: VectorBinding) =>
        ws.dot(name, 'weighted', {
          x: vector,
          y: vector,
          weights: inverseDiagonal,
          slot: kDotSlot.preconditionedSquared,
        });
      // v = D^-1 r2 / beta: the CPU's y = D^-1 r2, then v = y / beta at the next iteration.
      const nextV = (k: string, r2: VectorBinding) =>
        ws.blas(`v[${k}]`, 'weighted_scale', {
          a: r2,
          b: inverseDiagonal,
          out: v,
          coefficients: [{ slot: slot.inverseBeta }],
        });
      const initial = {
        r1: ws.blas('r1', 'scale', { a: r, out: lanczosVectors[0] }),
        r2: ws.blas('r2', 'scale', { a: r, out: lanczosVectors[1] }),
        beta1: preconditioned('beta1', lanczosVectors[0]),
        v: nextV('start', lanczosVectors[1]),
      };
      // Phase k binds the rings as the CPU's swaps leave them at iteration k (0-based).
      const phase = (k: number): PhaseCalls => {
        const [r1, r2, y] = [0, 1, 2].map((m) => lanczosVectors[(k + m) % 3]);
        const [wk, w1, w2] = [1, 2, 0].map((m) => w[(k + m) % 3]);
        const [awk, aw1, aw2] = [1, 2, 0].map((m) => aw[(k + m) % 3]);
        const recurrence = [{ slot: slot.denominator }, { slot: slot.oldeps }, { slot: slot.delta }];
        return {
          y: ws.blas(`y[${k}]`, 'sum', {
            a: av,
            b: r1,
            out: y,
            coefficients: [{ slot: slot.betaRatio, scale: -1 }],
          }),
          alfa: ws.dot(`alfa[${k}]`, 'dot', { x: v, y, slot: kDotSlot.rayleigh }),
          yUpdate: ws.blas(`yUpdate[${k}]`, 'axpy', {
            a: r2,
            out: y,
            coefficients: [{ slot: slot.alfaRatio, scale: -1 }],
          }),
          // From here y is the new r2.
          betaSquared: preconditioned(`betaSquared[${k}]`, y),
          w: ws.blas(`w[${k}]`, 'three_term', {
            a: v,
            b: w1,
            c: w2,
            out: wk,
            acc: x,
            coefficients: [...recurrence, { slot: slot.phi }],
          }),
          aw: ws.blas(`aw[${k}]`, 'three_term', {
            a: av,
            b: aw1,
            c: aw2,
            out: awk,
            acc: r,
            coefficients: [...recurrence, { slot: slot.phi, scale: -1 }],
          }),
          nextV: nextV(String(k), y),
        };
      };
      const recordVectorWork = (() => {
        if (!ringBuffer) {
          const phases = [0, 1, 2].map(phase);
          return (pass: GPUComputePassEncoder, step: number) => {
            const calls = phases[step % 3];
            blas.record(pass, calls.y);
            reduce.record(pass, calls.alfa);
            krylov.record(pass, scalars, 'minres_alfa');
            blas.record(pass, calls.yUpdate);
            reduce.record(pass, calls.betaSquared);
            krylov.record(pass, scalars, 'minres_givens');
            blas.record(pass, calls.w);
            blas.record(pass, calls.aw);
            reduce.record(pass, residualSquared);
            krylov.record(pass, scalars, 'minres_residual');
            blas.record(pass, calls.nextV);
          };
        }
        const kernel = fusedStepKernel(engine);
        const fusedStep = kernel.prepare('Minres.step', ws.arena, { ...params, ringStride }, ws, {
          x,
          r,
          inverseDiagonal,
          v,
          av,
          ring: ringBuffer,
        });
        return (pass: GPUComputePassEncoder) => kernel.record(pass, fusedStep);
      })();
      return {
        recordStart(recording) {
          // r_0 and the check at iteration 0, r1 = r2 = r_0, beta_1, v_1 = D^-1 r_0 / beta_1.
          const pass = beginStart(recording, av);
          blas.record(pass, initial.r1);
          blas.record(pass, initial.r2);
          reduce.record(pass, initial.beta1);
          krylov.record(pass, scalars, 'minres_begin');
          blas.record(pass, initial.v);
          pass.end();
        },
        recordStep(recording, step) {
          recording.product(v, av, { guard: ws.state });
          const pass = recording.encoder.beginComputePass({
            label: `Minres.iteration.${engine.stepVariant}`,
          });
          recordVectorWork(pass, step);
          pass.end();
        },
      };
    },
  });
}
