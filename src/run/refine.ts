// Mixed-precision iterative refinement (Wilkinson 1963; Moler 1967; Higham, "Accuracy and Stability
// of Numerical Algorithms", ch. 12): the float32 GPU solves the correction equation M d = r, and the
// residual r = p - M v and the update v += d are formed in float64 on the CPU from the positions.
// Each step multiplies the float64 residual by about max(rtol_inner, cond(M) u32), u32 = 2^-24, so a
// float32 backend reaches any tolerance down to float64's rounding while cond(M) u32 < 1/2.
import { dot, norm, relativeTo, trueResidual } from '../math/vectors.ts';
import {
  holdingNothing,
  parallelInteractionFree,
  parallelMassMatrixFree,
  type ReleasableProduct,
} from '../parallel/mass-matrix.ts';
import type { WorkerPool } from '../parallel/pool.ts';
import {
  applyInteractionFree,
  applyMassMatrixFree,
  type DarwinSystem,
  type ProductPart,
} from '../physics/models.ts';
import { convergedReason } from '../solvers/krylov.ts';
import {
  defaultRtol,
  isConverged,
  type ConvergenceReason,
  type SolveOptions,
  type SolveResult,
  type SolverName,
} from '../solvers/types.ts';
import { allocatedArrays, buildTree, sharedArrays, type TreeBuild } from '../physics/tree-build.ts';
import { treeMassMatrix, type MassMatrixBackend } from './backend.ts';
import { droppedByStop } from './chunks.ts';

/**
 * Below this tolerance a float32 backend refines: float32's recursive residual stops near 1e-7, and
 * 1e-6 (its default tolerance) is the last one a single float32 solve meets with a margin. It is
 * also each inner solve's tolerance.
 */
export const kRefinementRtol = defaultRtol('float32');

/** A step must shrink the float64 residual at least this much: ||r_k+1|| <= 1/2 ||r_k||. */
export const kRefinementContraction = 0.5;

/** Steps before diverged_refinement: "a handful" needs 2-4 at cond(M) < 10^3; 20 allow cond(M) u32 ~ 0.3. */
export const kMaxRefinementSteps = 20;

/**
 * An inner solve has stalled on float32's floor when its relative residual, below kStallBelow (a
 * hundred times kRefinementRtol), is not under kStallFactor of what it was kStallIterations before.
 * Float32's recursive residual stops near cond(M) u32, which an ill-conditioned or indefinite M can
 * put just above kRefinementRtol, where the solve would run to its iteration cap for nothing (a
 * warm-started sphere of 256 at N r_e/R = 30 held 1.2e-6 for 700 MINRES iterations). The step ends
 * there and its float64 residual judges it as any other's. Far above the floor CG and MINRES may
 * creep, and are left to; near it they fall by orders of magnitude within the window, or not at all.
 */
export const kStallBelow = 1e-4;
export const kStallIterations = 32;
export const kStallFactor = 0.5;

/**
 * Watches an inner solve's (iteration, relative residual) reports and says when it has stalled
 * (kStallBelow): the GPU reports every few iterations, the CPU every one.
 */
export function stallWatch(): (iteration: number, relativeResidual: number) => boolean {
  const seen: { iteration: number; residual: number }[] = [];
  return (iteration, relativeResidual) => {
    seen.push({ iteration, residual: relativeResidual });
    if (!(relativeResidual < kStallBelow)) return false;
    let before: number | null = null;
    for (const entry of seen) {
      if (entry.iteration > iteration - kStallIterations) break;
      before = entry.residual;
    }
    return before !== null && relativeResidual > kStallFactor * before;
  };
}

/** Whether a solve or spectrum to `rtol` on `backend` refines: a float32 backend below kRefinementRtol. */
export function refines(backend: Pick<MassMatrixBackend, 'name'>, rtol: number): boolean {
  return backend.name === 'gpu' && rtol < kRefinementRtol;
}

/**
 * y = M v, or eps T v (ProductPart), in float64: on the caller's thread or its pool (float64Product),
 * or answered by a worker (the page's, src/run/reference.ts), whose main thread must not spend
 * seconds in a pair loop. `release`, where the product holds arrays on a pool (float64Product's,
 * ReleasableProduct), lets them go once no product follows; the worker's products have none (the
 * worker disposes their pools itself).
 */
export type Float64Product = ((v: Float64Array) => Float64Array | Promise<Float64Array>) & {
  readonly release?: () => void;
};

/**
 * Makes a system's float64 product for a refined run, of its float64 tree as `tree` builds it
 * where the backend's M is the tree (float64Product's choice), giving `part` of p = M v (M v where
 * undefined): the CLI's on its --threads pool (float64Products), the page's in its reference worker
 * (FloatReference.products).
 */
export type Float64Products = (system: DarwinSystem, tree?: TreeBuild, part?: ProductPart) => Float64Product;

/** float64Product on the threads of `pool` (the caller's thread alone without), each made when asked. */
export function float64Products(pool?: () => WorkerPool): Float64Products {
  return (system, tree, part) => float64Product(system, pool?.(), tree, part);
}

/**
 * The float64 product of the refinement: the matrix-free pair loop (applyMassMatrixFree, or
 * applyInteractionFree for `part` 'interaction'), O(N) in memory. A refined solve forms 2-3 products (one per step, and the momenta); assembling the dense
 * float64 M costs 2-13 pair loops and pays only after several products (README "solve").
 * `pool`: its rows on the pool's threads (parallelMassMatrixFree: the same product bit for bit,
 * faster from kMatrixFreeMinimumThreads threads).
 *
 * Where the backend's M is the tree (`tree`: how it was built), the same tree in float64 instead
 * (treeMassMatrix, as the CPU backend's --matrix tree sums; its passes on the pool's threads): the
 * pair loop is O(N^2) at the sizes the tree serves. Built with the GPU tree's leaves and M2L price,
 * it has the GPU tree's lists, which the float32 tree's product then approximates to float32's
 * rounding: the refined answer is that tree's M's, within the tree's tolerance of M's, to the rtol
 * asked, and the tree the run reports made it (where it takes no M2L, M's own).
 *
 * On `pool` the product shares its arrays (the pair loop's positions and vectors, or the tree's) with
 * the pool's threads until its release().
 */
export function float64Product(
  system: DarwinSystem,
  pool?: WorkerPool,
  tree?: TreeBuild,
  part: ProductPart = 'momenta',
): ReleasableProduct<Float64Array> {
  const interaction = part === 'interaction';
  if (tree) {
    const { tolerance, leafSize, translationCost } = tree;
    const built = buildTree(system, { tolerance, leafSize, translationCost }, pool && sharedArrays(pool));
    const matrix = treeMassMatrix(built, pool);
    const product = (v: Float64Array) => {
      const y = new Float64Array(v.length);
      if (interaction) matrix.interaction(v, y);
      else matrix.apply(v, y);
      return y;
    };
    // The tree's arrays are the pool's shared ones where it has a pool.
    return Object.assign(product, { release: () => pool?.release(...allocatedArrays(built)) });
  }
  if (pool) return interaction ? parallelInteractionFree(system, pool) : parallelMassMatrixFree(system, pool);
  const free = interaction ? applyInteractionFree : applyMassMatrixFree;
  return holdingNothing((v) => free(system, v));
}

export interface RefinedSolveResult extends SolveResult {
  /** Inner solves done: 0 for a zero right-hand side. */
  readonly refinementSteps: number;
}

/** r = p - M v in float64, and its norm (trueResidual). */
async function residual(
  product: Float64Product,
  p: Float64Array,
  v: Float64Array,
): Promise<[Float64Array, number]> {
  const { r, norm: rNorm } = trueResidual(p, await product(v));
  return [r, rNorm];
}

/**
 * Solves M v = p to `rtol` by refinement: v_0 = 0, r_k = p - M v_k (float64), M d_k = r_k / ||r_k||
 * solved on `backend` to kRefinementRtol by `solver`, v_k+1 = v_k + ||r_k|| d_k (float64). A guess
 * x0 of v that already meets the tolerance is v (no inner solve); else it starts the first of those
 * solves (d_0 from x0 / ||p||). Stops with converged_* once ||r_k|| <= max(atol, rtol ||p||) in
 * float64; diverged_refinement when a step fails ||r_k+1|| <= kRefinementContraction ||r_k|| (the
 * step is kept only if it lowered ||r||) or after kMaxRefinementSteps; diverged_max_it instead when
 * that step's inner solve ran out of iterations before `size` of them (maxIterations bounds each
 * inner solve, as it bounds a solve that does not refine; past `size`, exact arithmetic would have
 * finished, so running out is float32's failure; one that stalls on float32's floor, stallWatch,
 * ends its step early and is not cut short), or when onIteration stops, or a stop drops a step's
 * float64 product (RunStopped; v is then the last one whose residual was formed); an inner
 * diverged_residual_gap or diverged_singular is judged as any other step (float32 reached what it
 * can, and float64 may reach more), and where it did not contract ends the run with its own reason:
 * M is singular, or singular to float32, along the residual; an inner diverged_nan,
 * _breakdown or _indefinite of the first step as it came, with the iterate it reached
 * where that lowered ||r||, as a solve that does not refine returns its last one. A correction's
 * right-hand side is the float64 residual, rounding that holds every mode of M even where p excites
 * only positive ones: CG meeting negative curvature there says nothing of p, so the corrections go on
 * by MINRES, as 'auto' switches once (after an inner switch the later steps run MINRES too).
 * iterations, history and onIteration's count run on across steps, and the history's norms are the
 * inner ones times ||r_k||, estimates of ||p - M v|| (entry 0 that of x0 where one is given).
 */
export async function refinedVelocities(
  backend: MassMatrixBackend,
  product: Float64Product,
  p: Float64Array,
  solver: SolverName,
  options: SolveOptions & { rtol: number },
): Promise<RefinedSolveResult> {
  const normP = norm(p);
  const atol = options.atol ?? 0;
  const target = Math.max(atol, options.rtol * normP);
  let v: Float64Array = new Float64Array(p.length);
  let [r, normR]: [Float64Array, number] = [Float64Array.from(p), normP];
  let initial = normP;
  if (options.x0) {
    const guess = Float64Array.from(options.x0);
    const [guessR, guessNorm] = await residual(product, p, guess);
    initial = guessNorm;
    if (guessNorm <= target) [v, r, normR] = [guess, guessR, guessNorm];
  }
  let innerSolver = solver;
  let solverUsed: 'cg' | 'minres' = solver === 'minres' ? 'minres' : 'cg';
  let switchedFrom: 'cg' | undefined;
  let iterations = 0;
  let steps = 0;
  let stopped = false;
  const history = [initial];
  let reason: ConvergenceReason;
  for (;;) {
    if (normR <= target) {
      reason = convergedReason(normR, atol);
      break;
    }
    if (steps === kMaxRefinementSteps) {
      reason = 'diverged_refinement';
      break;
    }
    const scale = normR;
    const onIteration = options.onIteration;
    const start = iterations;
    const stalledAt = stallWatch();
    let stalled = false;
    const inner = await backend.velocities(
      r.map((x) => x / scale),
      innerSolver,
      {
        // Never looser near the target: the last step's margin below tol is what keeps the error
        // ||v - M^-1 p|| <= cond(M) ||r|| within 10 tol up to cond(M) ~ 10^3.
        rtol: kRefinementRtol,
        maxIterations: options.maxIterations,
        ...(steps === 0 && options.x0 && { x0: Array.from(options.x0, (x) => x / scale) }),
        onIteration: (k, residualNorm) => {
          const go = onIteration?.(start + k, residualNorm * scale);
          if (go === false) {
            stopped = true;
            return false;
          }
          stalled = stalledAt(k, residualNorm);
          return !stalled;
        },
      },
    );
    steps++;
    iterations += inner.iterations;
    history.push(...inner.history.slice(1).map((h) => h * scale));
    solverUsed = inner.solver;
    if (inner.switchedFrom) {
      switchedFrom = 'cg';
      innerSolver = 'minres';
    }
    if (stopped) {
      reason = 'diverged_max_it';
      break;
    }
    // An inner solve that ran out of iterations, met float32's floor far above its rtol
    // (diverged_residual_gap) or stopped before a step its condition estimate called rounding
    // (diverged_singular) leaves a correction that the float64 residual judges.
    const judged = ['diverged_max_it', 'diverged_residual_gap', 'diverged_singular'].includes(inner.reason);
    const failed = !inner.converged && !judged;
    const curvature = inner.reason === 'diverged_indefinite' || inner.reason === 'diverged_breakdown';
    if (failed && curvature && steps > 1 && innerSolver === 'cg') {
      switchedFrom = 'cg';
      innerSolver = 'minres';
      continue;
    }
    const next = v.map((x, k) => x + scale * inner.x[k]);
    // A Stop that drops the product under way (the page's float64 worker, src/app/reference.ts)
    // leaves the correction unjudged: the run ends stopped with the v whose residual it formed, as a
    // Stop inside an inner solve ends it, rather than with no result.
    const formed = await residual(product, p, next).catch(droppedByStop);
    if (!formed) {
      reason = 'diverged_max_it';
      break;
    }
    const [nextR, nextNorm] = formed;
    if (nextNorm < normR) [v, r, normR] = [next, nextR, nextNorm];
    if (failed) {
      reason = inner.reason;
      break;
    }
    if (!Number.isFinite(nextNorm)) {
      reason = 'diverged_nan';
      break;
    }
    if (nextNorm > target && nextNorm > kRefinementContraction * scale) {
      // Cut short below `size` iterations, the inner solve had not done what exact arithmetic would;
      // a stalled one had done what float32 can.
      const cutShort = inner.reason === 'diverged_max_it' && inner.iterations < p.length && !stalled;
      // An inner solve that found M singular along its right-hand side (or met a gap no rounding of
      // float32 explains) and left the float64 residual where it was says what the float64 solve
      // would: refinement cannot help, and its own reason is the one with the remedy.
      const singular = inner.reason === 'diverged_singular' || inner.reason === 'diverged_residual_gap';
      reason = cutShort ? 'diverged_max_it' : singular ? inner.reason : 'diverged_refinement';
      break;
    }
  }
  // A NaN p (float32 overflow) stays NaN, not the 0 of a zero right-hand side (relativeTo).
  const relative = relativeTo(normR, normP);
  return {
    x: v,
    solver: solverUsed,
    reason,
    converged: isConverged(reason),
    iterations,
    residualNorm: normR,
    relativeResidual: relative,
    trueResidualNorm: normR,
    trueRelativeResidual: relative,
    history,
    ...(switchedFrom && { switchedFrom }),
    refinementSteps: steps,
  };
}

/** A solve of M v = p, and the refinement steps it took (0 where it did not refine). */
export interface VelocitiesSolve {
  readonly solve: SolveResult;
  readonly refinementSteps: number;
}

/**
 * Solves M v = p on `backend` to `options.rtol`: refined in float64 (refinedVelocities) where the
 * solve refines (`refines`), else by the backend alone with `options` as given, the backend's
 * default tolerance where they name none. `product` makes the float64 product, and is called only
 * for a refined solve: building it costs a pair loop's setup or a float64 tree. The product made is
 * this solve's and is released when it ends, however it ends (Float64Product's release): a sweep
 * makes one a point on a pool that outlives them all. A caller that uses the product after the solve
 * hands it over without its release.
 */
export async function solveVelocities(
  backend: MassMatrixBackend,
  product: () => Float64Product,
  p: Float64Array,
  solver: SolverName,
  options: SolveOptions,
): Promise<VelocitiesSolve> {
  const { rtol } = options;
  if (rtol !== undefined && refines(backend, rtol)) {
    const float64 = product();
    try {
      const refined = await refinedVelocities(backend, float64, p, solver, { ...options, rtol });
      return { solve: refined, refinementSteps: refined.refinementSteps };
    } finally {
      float64.release?.();
    }
  }
  return { solve: await backend.velocities(p, solver, options), refinementSteps: 0 };
}

/** An extreme eigenvalue of D^-1/2 M D^-1/2 refined in float64 from a Ritz vector (rayleighQuotient). */
export interface RefinedEigenvalue {
  readonly lambda: number;
  /** ||A y - lambda y|| / ||y||: some eigenvalue of A lies within it of lambda. */
  readonly residual: number;
}

/**
 * v = D^-1/2 y: the velocities of a Ritz vector y of A = D^-1/2 M D^-1/2, whose products M v give
 * its residual D^-1/2 (M v - lambda D v) (rayleighQuotient, and check.ts sampledRitzResidual).
 */
export function ritzVelocities(ritzVector: Float64Array, diagonal: Float64Array): Float64Array {
  return ritzVector.map((y, k) => y / Math.sqrt(diagonal[k]));
}

/**
 * The float64 Rayleigh quotient of a Ritz vector y of A = D^-1/2 M D^-1/2 (the spectrum's matrix,
 * src/solvers/spectrum.ts): with v = D^-1/2 y, lambda = y^T A y / y^T y = v^T M v / v^T D v, and the
 * residual ||A y - lambda y|| / ||y|| = ||D^-1/2 (M v - lambda D v)|| / ||y||, which bounds the
 * distance from lambda to the nearest eigenvalue of A (Parlett, "The Symmetric Eigenvalue Problem",
 * thm. 4.5.1). lambda's error is quadratic in the vector's: a float32 Ritz vector at an angle of
 * ~1e-6 to its eigenvector gives lambda to ~1e-12 of the spectrum's width, where the float32 Ritz
 * value itself is good to ~1e-7.
 */
export async function rayleighQuotient(
  product: Float64Product,
  diagonal: Float64Array,
  ritzVector: Float64Array,
): Promise<RefinedEigenvalue> {
  const v = ritzVelocities(ritzVector, diagonal);
  const mv = await product(v);
  const lambda = dot(v, mv) / dot(ritzVector, ritzVector);
  const r = mv.map((value, k) => (value - lambda * diagonal[k] * v[k]) / Math.sqrt(diagonal[k]));
  return { lambda, residual: norm(r) / norm(ritzVector) };
}
