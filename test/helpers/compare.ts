// Vectors for the tests and their comparison with the float64 reference (gpuweb/cts
// util/check_contents.ts): on failure, a small table of index, got, expected and |got - expected| for
// the worst entries.
import { expect } from 'vitest';
import { seededRandom } from '../../src/math/vectors.ts';
import type { SolveResult } from '../../src/solvers/types.ts';

/** Rows of a failure table. */
const kWorstRows = 10;

export function norm(values: ArrayLike<number>): number {
  let sum = 0;
  for (let k = 0; k < values.length; k++) sum += values[k] * values[k];
  return Math.sqrt(sum);
}

/** Entries uniform in [-1, 1) from a seeded generator. */
export function randomVector(length: number, seed: number): Float64Array {
  const random = seededRandom(seed);
  return Float64Array.from({ length }, () => 2 * random() - 1);
}

/** The kWorstRows entries where got and expected differ most, as a table. */
function worstEntries(got: ArrayLike<number>, expected: ArrayLike<number>, indices: number[]): string {
  const difference = (k: number) => Math.abs(got[k] - expected[k]);
  const rows = [...indices]
    .sort((a, b) => difference(b) - difference(a) || 0)
    .slice(0, kWorstRows)
    .map(
      (k) =>
        `${String(k).padStart(8)}  ${got[k].toExponential(8).padStart(16)}  ` +
        `${expected[k].toExponential(8).padStart(16)}  ${difference(k).toExponential(2)}`,
    );
  return ['   index               got          expected      |diff|', ...rows].join('\n');
}

/**
 * A check of got against the reference that fails with the table of its worst entries. The tolerance
 * means two things: absolute in expectEntriesClose, relative in expectNormwiseClose.
 */
export type Comparison = (
  label: string,
  got: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: number,
) => void;

/**
 * Entry-wise and absolute: |got_k - expected_k| <= tolerance for every k. A precision's unit
 * roundoff (2^-24 for float32) bounds only entries of size about 1: scale it by the entries' size,
 * or compare normwise.
 */
export const expectEntriesClose: Comparison = (label, got, expected, tolerance) => {
  expect(got.length, `${label}: length`).toBe(expected.length);
  const bad: number[] = [];
  for (let k = 0; k < expected.length; k++) {
    if (!(Math.abs(got[k] - expected[k]) <= tolerance)) bad.push(k);
  }
  if (bad.length > 0) {
    throw new Error(
      `${label}: ${bad.length} of ${expected.length} entries differ by more than ` +
        `${tolerance.toExponential(1)}\n${worstEntries(got, expected, bad)}`,
    );
  }
};

/**
 * Normwise and relative: ||got - expected|| <= tolerance ||expected||. A zero expected fails
 * (relative error NaN, no error bound): compare a zero reference entry-wise.
 */
export const expectNormwiseClose: Comparison = (label, got, expected, tolerance) => {
  expect(got.length, `${label}: length`).toBe(expected.length);
  const relative = norm(Array.from(expected, (e, k) => got[k] - e)) / norm(expected);
  if (!(relative <= tolerance)) {
    const all = Array.from(expected, (_, k) => k);
    throw new Error(
      `${label}: relative error ${relative.toExponential(2)} > ${tolerance}\n${worstEntries(got, expected, all)}`,
    );
  }
};

/** A solve of a NaN right-hand side: diverged_nan, and every residual it reports NaN, none a 0. */
export function expectNanSolve(result: SolveResult): void {
  expect(result).toMatchObject({ reason: 'diverged_nan', converged: false });
  const { residualNorm, relativeResidual, trueResidualNorm, trueRelativeResidual } = result;
  expect([residualNorm, relativeResidual, trueResidualNorm, trueRelativeResidual]).toEqual([
    NaN,
    NaN,
    NaN,
    NaN,
  ]);
}
