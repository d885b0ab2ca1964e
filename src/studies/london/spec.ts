// The London study's options: defaults, limits and checks that the CLI's flags and the app's Studies
// fields (and URL) apply.
import { InputError } from '../../physics/input-error.ts';
import {
  kLondonGeometries,
  kMinMapGrid,
  londonBodyProblem,
  type LondonGeometry,
} from '../../physics/london.ts';
import { parseChoice, parseNumber } from '../../run/inputs.ts';
import { integerRangeProblem, numberList, type IntegerRange } from '../study.ts';

/**
 * The CLI's bodies: three maps, a factor 3 apart in N, up to the largest whose float32 map (the GPU's)
 * keeps within its check target with room to spare: its check grows like N^2 (londonCheckWarning),
 * 0.03 at N = 1500 on the default grid, 0.07 at 2000 (0.10 on a 15 x 15 grid) and 0.3 at 4000.
 */
export const kLondonDefaultNs: readonly number[] = [150, 500, 1500];
export const kLondonDefaultGrid = 61;
/** The app's one body. */
export const kLondonAppDefaults = { geometry: 'sphere', n: 1000, grid: 41, halfHeight: 1 } as const;

/** Sources on the GPU: 32 bytes each, well inside a 128 MiB storage binding. */
export const kMaxLondonElectrons = 1_000_000;
/** Sources of a body on the command line. */
export const kLondonElectrons: IntegerRange = { min: 1, max: kMaxLondonElectrons };
/** Sources of the map in the browser: a map of a few seconds on a laptop. */
export const kLondonBrowserElectrons: IntegerRange = { min: 1, max: 200_000 };
/** Field points per side of the map: at least kMinMapGrid, whose inner half holds more than the centre. */
export const kLondonGrid: IntegerRange = { min: kMinMapGrid, max: 1001 };
export const kLondonBrowserGrid: IntegerRange = { min: kMinMapGrid, max: 201 };

/**
 * The flattest cylinder, h = 1e-6 R, the reciprocal of the longest: flatter is a ring, and a denormal h
 * (5e-324) would make N r_e / l infinite and the map NaN.
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

/**
 * The cylinder's half-height h (units of R) from its text, 1 (as long as wide) where none is given;
 * refused for the sphere, which has none. `name` and `geometryName` are the front end's words for
 * the two ('--half-height', '--geometry').
 */
export function londonHalfHeight(
  geometry: LondonGeometry,
  text: string | undefined,
  name: string,
  geometryName: string,
): number {
  if (text === undefined) return 1;
  if (geometry !== 'cylinder')
    throw new InputError(`${name} applies only to ${geometryName} cylinder`, 'halfHeight');
  return parseNumber('halfHeight', name, text, (h) => londonHalfHeightProblem(h, kMaxLondonElectrons));
}

/**
 * The bodies' N from texts (each one N or several separated by commas; kLondonDefaultNs without
 * any), in the order given: each in kLondonElectrons, none given twice (its map would be drawn twice,
 * its files written over themselves), and each making the body (londonBodyProblem: a cylinder's
 * N >= h). `name` is the front end's word for them ('--n').
 */
export function londonNs(
  texts: readonly string[] | undefined,
  geometry: LondonGeometry,
  halfHeight: number,
  name: string,
): number[] {
  const ns = texts
    ? numberList('n', name, texts, (n) => integerRangeProblem(kLondonElectrons, n), { refuseRepeats: true })
    : [...kLondonDefaultNs];
  for (const n of ns) {
    const tooFew = londonBodyProblem(geometry, n, halfHeight);
    if (tooFew) throw new InputError(`${name} ${tooFew}, got ${n}`, 'n');
  }
  return ns;
}
