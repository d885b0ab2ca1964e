// The London study's options: defaults and limits that the CLI's flags and the app's Studies fields
// (and URL) both apply.
import { kLondonGeometries, kMinMapGrid, type LondonGeometry } from '../../physics/london.ts';
import { parseChoice } from '../../run/inputs.ts';
import type { IntegerRange } from '../study.ts';

/** The CLI's bodies: three maps, a factor 4 apart in N. */
export const kLondonDefaultNs: readonly number[] = [250, 1000, 4000];
export const kLondonDefaultGrid = 61;
/** The app's one body. */
export const kLondonAppDefaults = { geometry: 'sphere', n: 1000, grid: 41, halfHeight: 1 } as const;

/** Sources on the GPU: 32 bytes each, well inside a 128 MiB storage binding. */
export const kMaxLondonElectrons = 1_000_000;
/** Sources of the map in the browser: a map of a few seconds on a laptop. */
export const kLondonBrowserElectrons: IntegerRange = { min: 1, max: 200_000 };
/** Field points per side of the map: at least kMinMapGrid, whose inner half holds more than the centre. */
export const kLondonGrid: IntegerRange = { min: kMinMapGrid, max: 1001 };
export const kLondonBrowserGrid: IntegerRange = { min: kMinMapGrid, max: 201 };

/**
 * The flattest cylinder, h = 1e-6 R, the reciprocal of the longest: flatter is a ring, and a denormal h
 * (5e-324) made N r_e / l infinite and the map NaN.
 */
export const kMinLondonHalfHeight = 1e-6;

/**
 * What is wrong with a cylinder's half-height h (units of R), or null: at least kMinLondonHalfHeight,
 * and at most the most electrons a body may have (`maxElectrons`), since a cylinder needs N >= h
 * (londonBodyProblem). Within that bound every charge and map point lies within 1e6 R, where float32's
 * 1/r^3 on the GPU and float64's r^3 (which overflows past 5.6e102 R) stay normal.
 */
export function londonHalfHeightProblem(h: number, maxElectrons: number): string | null {
  if (!(h > 0)) return 'must be > 0';
  if (h < kMinLondonHalfHeight)
    return `must be at least ${kMinLondonHalfHeight.toExponential(0)} (flatter is a ring)`;
  return h > maxElectrons
    ? `must be at most ${maxElectrons} (a cylinder needs N >= h electrons, and N is at most ${maxElectrons})`
    : null;
}

export function parseLondonGeometry(text: string): LondonGeometry {
  return parseChoice('geometry', 'geometry', kLondonGeometries, text);
}
