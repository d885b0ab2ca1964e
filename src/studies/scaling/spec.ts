// The scaling study's options: defaults, limits and the checks that the CLI's flags and the app's
// Studies fields (and URL) both apply.
import { InputError } from '../../physics/input-error.ts';
import { isScalingGeometry, kScalingGeometries, type ScalingGeometry } from '../../physics/scaling.ts';
import { checkNoneRepeated, integerRangeProblem, type IntegerRange } from '../study.ts';

/**
 * The CLI's sweep: 9 points from 16 to 3000 electrons per geometry, minutes on SwiftShader, half of
 * it the ring's and the disk's largest N, where lambda_min (a dense cluster of alternating modes)
 * keeps Lanczos to 300 steps.
 */
export const kScalingDefaults = { nMin: 16, nMax: 3000, points: 9, seed: 1 } as const;

/** The app's sweep: one geometry, small enough for a laptop's browser. */
export const kScalingAppDefaults = {
  geometry: 'sphere',
  model: 'vector',
  nMin: 16,
  nMax: 256,
  points: 5,
} as const;

/** The smallest N of a sweep (a pair). */
export const kScalingMinElectrons = 2;
/** The sweep's N in the browser: a dense M of 768 MB at most. */
export const kScalingBrowserElectrons: IntegerRange = { min: kScalingMinElectrons, max: 4096 };
export const kScalingBrowserPoints: IntegerRange = { min: 1, max: 12 };

/** Comma-separated geometry names, each checked, none repeated (a repeat would run its sweep twice). */
export function parseScalingGeometries(text: string): ScalingGeometry[] {
  const names = text.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!isScalingGeometry(name)) {
      throw new InputError(`geometries takes ${kScalingGeometries.join(', ')}, got '${name}'`, 'geometries');
    }
  }
  checkNoneRepeated(names, 'geometries', 'geometries');
  return names as ScalingGeometry[];
}

/** The largest N below the smallest is refused; why, or null. */
export function scalingRangeProblem(nMin: number, nMax: number): string | null {
  return nMax >= nMin ? null : `the largest N must be >= the smallest (${nMin})`;
}

/** `count` electron counts log-spaced from nMin to nMax, rounded, without repeats: the sweep's points. */
export function logSpacedCounts(nMin: number, nMax: number, count: number): number[] {
  if (!(Number.isInteger(nMin) && Number.isInteger(nMax) && nMin >= kScalingMinElectrons && nMax >= nMin)) {
    throw new InputError(`need integers 2 <= n-min <= n-max, got ${nMin} and ${nMax}`, 'nMax');
  }
  if (!(Number.isInteger(count) && count >= 1)) {
    throw new InputError(`need at least one point, got ${count}`, 'points');
  }
  const ns = new Set<number>();
  for (let k = 0; k < count; k++) {
    ns.add(count === 1 ? nMax : Math.round(nMin * (nMax / nMin) ** (k / (count - 1))));
  }
  return [...ns].sort((a, b) => a - b);
}

/**
 * The point count whose logSpacedCounts from the first of `ns` to the last are `ns`, within `points`
 * and with both ends in `electrons` (the app's fields, to show a loaded sweep); null where none gives
 * them. Rounding merges close N, so the count may exceed their number.
 */
export function logSpacedPointCount(
  ns: readonly number[],
  electrons: IntegerRange,
  points: IntegerRange,
): number | null {
  const [low, high] = [ns[0], ns[ns.length - 1]];
  if (integerRangeProblem(electrons, low) !== null || integerRangeProblem(electrons, high) !== null)
    return null;
  for (let count = Math.max(ns.length, points.min); count <= points.max; count++) {
    if (logSpacedCounts(low, high, count).join() === ns.join()) return count;
  }
  return null;
}
