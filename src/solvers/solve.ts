// One entry point for the Legendre inversion v = M^-1 p. 'auto' tries CG first: M is SPD while
// 1 + eps lambda_min > 0 (eq. 49/50 for small N eps), and CG is then the cheapest; past that bound CG
// reports diverged_indefinite and MINRES, which only needs symmetry, takes over from x0. On a singular
// semidefinite M with p off its range, p^T M p >= 0 holds to the end while CG's steps along the null
// vector grow x until it overflows (two electrons 2 R apart at eps = 2, M's x-x block [[1, 1], [1, 1]]:
// diverged_nan after 19 iterations): CG has no test of its own that tells that from a true overflow,
// so 'auto' hands a diverged_nan from finite inputs to MINRES too, whose condition estimate stops it
// (diverged_singular), and which a true overflow sends to diverged_nan again.
import { conjugateGradient } from './cg.ts';
import { minres } from './minres.ts';
import {
  defaultMaxIterations,
  type LinearOperator,
  type SolveOptions,
  type SolveResult,
  type SolverName,
} from './types.ts';

/** A backend's two solvers for one right-hand side, as solveWith runs them. */
export interface SolverCalls<R extends SolveResult, O extends SolveOptions, Out> {
  cg(options: O): Out;
  minres(options: O): Out;
  /** What an 'auto' result carries besides a SolveResult, from CG's and MINRES's (the GPU's statistics). */
  join?(first: R, second: R): Partial<R>;
}

/**
 * The solver choice of every backend: 'cg' and 'minres' run as named; 'auto' runs CG and, on
 * diverged_indefinite, or diverged_nan where the initial residual was finite (a singular M, above),
 * MINRES from x0 with what CG left of maxIterations (`size` gives its default).
 * MINRES's iterations are reported after CG's (in `iterations`, `history` and onIteration's count),
 * `switchedFrom: 'cg'` marks the switch, and `join` adds the backend's own fields. Synchronous with
 * synchronous calls (the CPU's), a Promise with asynchronous ones (the GPU's).
 */
export function solveWith<R extends SolveResult, O extends SolveOptions>(
  solver: SolverName,
  size: number,
  options: O,
  calls: SolverCalls<R, O, R>,
): R;
export function solveWith<R extends SolveResult, O extends SolveOptions>(
  solver: SolverName,
  size: number,
  options: O,
  calls: SolverCalls<R, O, Promise<R>>,
): Promise<R>;
export function solveWith<R extends SolveResult, O extends SolveOptions>(
  solver: SolverName,
  size: number,
  options: O,
  calls: SolverCalls<R, O, R | Promise<R>>,
): R | Promise<R> {
  if (solver === 'cg') return calls.cg(options);
  if (solver === 'minres') return calls.minres(options);
  return andThen(calls.cg(options), (first) => {
    // history[0], ||b - A x0||, is finite where b, x0 and A x0 are.
    const singular = first.reason === 'diverged_nan' && Number.isFinite(first.history[0]);
    if (first.reason !== 'diverged_indefinite' && !singular) return first;
    const budget = options.maxIterations ?? defaultMaxIterations(size);
    const { onIteration } = options;
    const minresRun = calls.minres({
      ...options,
      maxIterations: Math.max(0, budget - first.iterations),
      onIteration:
        onIteration && ((iteration, residualNorm) => onIteration(first.iterations + iteration, residualNorm)),
    });
    return andThen(minresRun, (second) => ({
      ...second,
      iterations: first.iterations + second.iterations,
      // MINRES's entry 0 is the same initial residual as CG's, so it is not repeated.
      history: [...first.history, ...second.history.slice(1)],
      switchedFrom: 'cg' as const,
      ...calls.join?.(first, second),
    }));
  });
}

/** next(value), after value settles if it is a Promise. */
function andThen<T, U>(value: T | Promise<T>, next: (value: T) => U | Promise<U>): U | Promise<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}

/**
 * Solves op x = b. With 'auto', maxIterations bounds CG and MINRES together: MINRES gets what CG left,
 * its iterations are reported after CG's (in `iterations`, `history` and onIteration's count), and
 * `switchedFrom: 'cg'` marks the switch. MINRES restarts from x0, not from CG's iterate, because an
 * indefinite step may have moved CG's x far from the solution.
 */
export function solve(
  op: LinearOperator,
  b: ArrayLike<number>,
  solver: SolverName = 'auto',
  options: SolveOptions = {},
): SolveResult {
  return solveWith(solver, op.size, options, {
    cg: (cgOptions) => conjugateGradient(op, b, cgOptions),
    minres: (minresOptions) => minres(op, b, minresOptions),
  });
}
