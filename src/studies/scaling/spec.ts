// The scaling study's options: defaults, limits and the checks that the CLI's flags and the app's
// Studies fields (and URL) both apply.
import { InputError } from '../../physics/input-error.ts';
import { kDefaultTreeTolerance } from '../../physics/tree-build.ts';
import { isScalingGeometry, kScalingGeometries, type ScalingGeometry } from '../../physics/scaling.ts';
import { kMaxElectrons, parseTolerance, type DeviceChoice } from '../../run/inputs.ts';
import { kRefinementRtol } from '../../run/refine.ts';
import { defaultLanczosTol } from '../../solvers/types.ts';
import { checkNoneRepeated, integerRangeProblem, type IntegerRange } from '../study.ts';

/**
 * The CLI's sweep: 9 points from 16 to 3000 electrons per geometry, most of its time the ring's and
 * the disk's largest N, where lambda_min (a dense cluster of alternating modes) keeps Lanczos to 300
 * steps.
 */
export const kScalingDefaults = { nMin: 16, nMax: 3000, points: 9, seed: 1 } as const;

/**
 * The options of a scaling run beside its model, N and geometries, as its JSON's "sweep" names them:
 * the Lanczos tolerance applied (the device's default made explicit), max_iter null for auto.
 */
export interface ScalingSweep {
  readonly tol: number;
  readonly max_iter: number | null;
  readonly seed: number;
  readonly matrix: string;
  readonly tree_tolerance: number;
  /**
   * --threads where the float64 CPU tree holds M at some N of the sweep, whose products another count
   * gives the same only to rounding; null where no N takes it (on the GPU, or the CPU's dense M).
   */
  readonly threads: number | null;
}

/** The app's sweep's options, which its panel does not set: the GPU's defaults, auto's storage. */
export const kScalingAppSweep = {
  tol: defaultLanczosTol('float32'),
  max_iter: null,
  seed: kScalingDefaults.seed,
  matrix: 'auto',
  tree_tolerance: kDefaultTreeTolerance,
  threads: null,
} as const satisfies ScalingSweep;

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

/** The sweep's N on the command line: from a pair to the most electrons any front end takes. */
export const kScalingElectrons: IntegerRange = { min: kScalingMinElectrons, max: kMaxElectrons };

/** Why the largest N of a sweep from nMin (in kScalingElectrons) is refused, or null. */
export function scalingNMaxProblem(nMin: number, nMax: number): string | null {
  const { max } = kScalingElectrons;
  return integerRangeProblem({ min: nMin, max }, nMax) === null
    ? null
    : `must be an integer in n-min..${max} (${nMin}..${max})`;
}

/**
 * Why `points` log-spaced N from nMin to nMax are refused, or null: one point per N at most, since
 * rounding merges any past that, and a larger count costs memory before anything runs.
 */
export function scalingPointsProblem(nMin: number, nMax: number, points: number): string | null {
  const distinct = nMax - nMin + 1;
  return integerRangeProblem({ min: 1, max: distinct }, points) === null
    ? null
    : `must be an integer in 1..n-max - n-min + 1 (1..${distinct}), one point per N at most`;
}

/**
 * The sweep's Lanczos tolerance from its text (`name` the front end's word for it), or the device's
 * default made explicit where none is given, so that a shard's "sweep" records the tolerance applied:
 * a sibling given the same one by name is the same run. On the GPU at least kRefinementRtol: spectrum
 * refines a tighter one in float64 (src/run/spectrum.ts), but the study reports the float32 Lanczos
 * run itself, whose residual bounds below it are float32's rounding, not convergence.
 */
export function scalingLanczosTol(device: DeviceChoice, text: string | undefined, name: string): number {
  if (text === undefined) return defaultLanczosTol(device === 'gpu' ? 'float32' : 'float64');
  const tol = parseTolerance(text, name, 'lanczosTolerance');
  if (device === 'gpu' && tol < kRefinementRtol) {
    throw new InputError(
      `${name} ${text} is below the ${kRefinementRtol.toExponential(0)} the GPU's float32 Lanczos resolves, and ` +
        'scaling does not refine its eigenvalues in float64 (spectrum does); use --device cpu',
      'lanczosTolerance',
    );
  }
  return tol;
}

/**
 * `count` electron counts log-spaced from nMin to nMax, rounded, without repeats: the sweep's points.
 * Each front end checks the three as its fields first (the CLI's kScalingElectrons and
 * scalingNMaxProblem, the page's smaller range and scalingRangeProblem).
 */
export function logSpacedCounts(nMin: number, nMax: number, count: number): number[] {
  if (integerRangeProblem(kScalingElectrons, nMin) !== null || scalingNMaxProblem(nMin, nMax) !== null) {
    throw new InputError(
      `need integers ${kScalingElectrons.min} <= n-min <= n-max <= ${kScalingElectrons.max}, got ${nMin} and ${nMax}`,
      'nMax',
    );
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
