// One entry point for the Legendre inversion v = M^-1 p. 'auto' tries CG first: M is SPD while
// 1 + eps lambda_min > 0 (eq. 49/50 for small N eps), and CG is then the cheapest; past that bound CG
// reports diverged_indefinite and MINRES, which only needs symmetry, takes over from x0.
import { conjugateGradient } from './cg.ts';
import { minres } from './minres.ts';
import {
  defaultMaxIterations,
  type LinearOperator,
  type SolveOptions,
  type SolveResult,
  type SolverName,
} from './types.ts';

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
  if (solver === 'cg') return conjugateGradient(op, b, options);
  if (solver === 'minres') return minres(op, b, options);
  const first = conjugateGradient(op, b, options);
  if (first.reason !== 'diverged_indefinite') return first;
  const budget = options.maxIterations ?? defaultMaxIterations(op.size);
  const { onIteration } = options;
  const second = minres(op, b, {
    ...options,
    maxIterations: Math.max(0, budget - first.iterations),
    onIteration:
      onIteration && ((iteration, residualNorm) => onIteration(first.iterations + iteration, residualNorm)),
  });
  return {
    ...second,
    iterations: first.iterations + second.iterations,
    // MINRES's entry 0 is the same initial residual as CG's, so it is not repeated.
    history: [...first.history, ...second.history.slice(1)],
    switchedFrom: 'cg',
  };
}
