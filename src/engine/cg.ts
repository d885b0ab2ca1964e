// Jacobi-preconditioned CG for M v = p (eq. 48/50) on the GPU: src/solvers/cg.ts step for step,
// with every vector and scalar on the GPU. One iteration is the matvec q = M p and one compute pass:
//   p^T q -> alpha = rz / p^T q;  x += alpha p;  r -= alpha q;  ||r||^2 and rz_new = r^T D^-1 r;
//   ||r|| -> stopping rule, and while it runs beta = rz_new / rz;  p = D^-1 r + beta p
// (z = D^-1 r is never stored: the weighted dot and the p update read D^-1 and r directly).
// The pass is one workgroup of krylov_step.wgsl ('fused') or eleven launches of the BLAS, reduction
// and scalar kernels ('split'); engine.stepVariant says which (src/kernels/krylov-step.ts).
import { kDotSlot, kStateSlot } from '../kernels/krylov.ts';
import { cgInverseDiagonal } from '../solvers/cg.ts';
import type { DotCall } from '../kernels/reduce.ts';
import {
  fusedStepKernel,
  gpuKrylovSolve,
  type GpuSolveOptions,
  type GpuSolveResult,
  type KrylovEngine,
  type KrylovSetup,
} from './krylov.ts';

/**
 * Solves M x = b by Jacobi-preconditioned CG on the GPU. Reasons and their formulas are those of
 * src/solvers/cg.ts; the GPU applies them itself (krylov.wgsl), and the CPU reads the state every
 * k = checkEvery iterations (see GpuSolveResult for history, onIteration and the true residual).
 */
export function gpuConjugateGradient(
  engine: KrylovEngine,
  b: ArrayLike<number>,
  options: GpuSolveOptions = {},
): Promise<GpuSolveResult> {
  const { blas, reduce, krylov } = engine;
  // D^-1 as src/solvers/cg.ts makes it; the reason of a bad entry is applied on the GPU after the
  // check at iteration 0, as there.
  const jacobi = cgInverseDiagonal(engine.diagonal, 'float32');
  return gpuKrylovSolve(engine, b, options, {
    solver: 'cg',
    label: 'Cg',
    inverseDiagonal: jacobi.inverse,
    diagonalStatus: jacobi.reason,
    prepare(setup) {
      const { ws, r, inverseDiagonal, scalars, beginStart } = setup;
      const p = ws.vector('p');
      const q = ws.vector('q');
      const preconditioned = ws.dot('rz', 'weighted', {
        x: r,
        y: r,
        weights: inverseDiagonal,
        slot: kDotSlot.preconditionedSquared,
      });
      const initialDirection = ws.blas('initialDirection', 'weighted_scale', {
        a: r,
        b: inverseDiagonal,
        out: p,
      });
      const recordVectorWork =
        engine.stepVariant === 'fused'
          ? fusedStep(engine, setup, p, q)
          : splitStep(engine, setup, p, q, preconditioned);
      return {
        recordStart(recording) {
          // r_0 and the check at iteration 0, then rz_0 and p_0 = D^-1 r_0.
          const pass = beginStart(recording, q);
          reduce.record(pass, preconditioned);
          krylov.record(pass, scalars, 'cg_begin');
          blas.record(pass, initialDirection);
          pass.end();
        },
        recordStep(recording) {
          recording.product(p, q, { guard: ws.state });
          const pass = recording.encoder.beginComputePass({ label: `Cg.iteration.${engine.stepVariant}` });
          recordVectorWork(pass);
          pass.end();
        },
      };
    },
  });
}

/** Records an iteration's vector work after q = M p into an open compute pass. */
type VectorWork = (pass: GPUComputePassEncoder) => void;

/** krylov_step.wgsl's cg_step: the whole of it in one workgroup. */
function fusedStep(engine: KrylovEngine, setup: KrylovSetup, p: GPUBuffer, q: GPUBuffer): VectorWork {
  const { ws, x, r, inverseDiagonal, params } = setup;
  const kernel = fusedStepKernel(engine);
  const step = kernel.prepare('Cg.step', ws.arena, params, ws, { x, r, inverseDiagonal, p, q });
  return (pass) => kernel.record(pass, step);
}

/** The BLAS, reduction and scalar kernels, each over the whole device: eleven launches. */
function splitStep(
  engine: KrylovEngine,
  setup: KrylovSetup,
  p: GPUBuffer,
  q: GPUBuffer,
  preconditioned: DotCall,
): VectorWork {
  const { blas, reduce, krylov } = engine;
  const { ws, x, r, inverseDiagonal, scalars, residualSquared } = setup;
  const alpha = kStateSlot.alpha;
  const curvature = ws.dot('pq', 'dot', { x: p, y: q, slot: kDotSlot.curvature });
  const updateX = ws.blas('x', 'axpy', { a: p, out: x, coefficients: [{ slot: alpha }] });
  const updateR = ws.blas('r', 'axpy', { a: q, out: r, coefficients: [{ slot: alpha, scale: -1 }] });
  const updateP = ws.blas('p', 'weighted_xpay', {
    a: r,
    b: inverseDiagonal,
    out: p,
    coefficients: [{ slot: kStateSlot.beta }],
  });
  return (pass) => {
    reduce.record(pass, curvature);
    krylov.record(pass, scalars, 'cg_alpha');
    blas.record(pass, updateX);
    blas.record(pass, updateR);
    reduce.record(pass, residualSquared);
    reduce.record(pass, preconditioned);
    krylov.record(pass, scalars, 'cg_residual');
    blas.record(pass, updateP);
  };
}
