// The Larmor study's options: the paper's N and Levy et al.'s field and ring, as the CLI's flags and
// the app's Studies fields default to them.
import { kLevyRadiusMetres } from '../../physics/larmor.ts';
import { kLevy } from '../../physics/paper.ts';
import { parseElectronCount, parseNumber } from '../../run/inputs.ts';
import type { IntegerRange } from '../study.ts';

export const kLarmorDefaults = {
  n: 100,
  fieldTesla: kLevy.fieldTesla,
  radiusMetres: kLevyRadiusMetres,
} as const;

/** Electrons on the ring: any count a double holds exactly. */
export const kLarmorElectrons: IntegerRange = { min: 1, max: Number.MAX_SAFE_INTEGER };

/**
 * The ring's N as the CLI's --n and the app's N field take it, within kLarmorElectrons: past 2^53 - 1
 * a double no longer holds every integer, so the N typed would be run rounded (9007199254740993 as
 * 9007199254740992), and past 1e308 the moment overflows.
 */
export const parseLarmorElectrons = (text: string | undefined, name: string): number =>
  parseElectronCount(text, name, kLarmorElectrons.max);

/**
 * The field's and the radius's bounds: every quantity of the study stays a normal float64 for any N
 * of kLarmorElectrons. The extremes are products N |B| R^2. The largest is the moment in Bohr
 * magnetons, N n_phi = N |B| pi R^2 / Phi_0 (eq. 15), which overflows float64 (1.8e308) at
 * |B| R^2 = 2.6e277 T m^2 for N = 2^53; the smallest non-zero one is the moment |I_L| pi R^2 =
 * N e^2 |B| R^2 / (4 m) (eq. 18 times the area), which falls below the normal range (2.2e-308) at
 * |B| R^2 = 3.2e-300 T m^2 for N = 1. Omega_L = -e B / (2 m) (eq. 17) and its speed Omega_L R, the
 * flux B pi R^2 and its current (eq. 14, 16), and the Chandrasekhar reading's Phi_0 / (pi R^2) and
 * e v_F / (2 pi R) lie further inside. |B| in [1e-100, 1e100] T (or 0) and R in [1e-50, 1e50] m
 * keep |B| R^2 within 1e-200..1e200, at least 77 decades inside either end.
 */
export const kLarmorFieldBoundText = { min: '1e-100', max: '1e100' } as const;
export const kLarmorRadiusBoundText = { min: '1e-50', max: '1e50' } as const;

/** What is wrong with a field B (tesla) for the ring, or null: 0, or |B| within kLarmorFieldBoundText. */
export function larmorFieldProblem(fieldTesla: number): string | null {
  const { min, max } = kLarmorFieldBoundText;
  const size = Math.abs(fieldTesla);
  return size === 0 || (size >= Number(min) && size <= Number(max))
    ? null
    : `must be 0 or of magnitude ${min} to ${max}`;
}

/** What is wrong with a ring radius R (metres), or null: within kLarmorRadiusBoundText. */
export function larmorRadiusProblem(radiusMetres: number): string | null {
  const { min, max } = kLarmorRadiusBoundText;
  if (!(radiusMetres > 0)) return 'must be > 0';
  return radiusMetres >= Number(min) && radiusMetres <= Number(max) ? null : `must be in [${min}, ${max}]`;
}

/**
 * The app's fields and a saved ring's numbers (larmorFromJson), named N, B and R: the ring's N as
 * kLarmorElectrons holds it (its message names no bound of 2^53), its field and radius within the
 * bounds the CLI's larmor holds them to.
 */
export const parseLarmorN = (text: string): number => parseLarmorElectrons(text, 'N');
export const parseFieldTesla = (text: string): number => parseNumber('B', 'B', text, larmorFieldProblem);
export const parseLarmorRadius = (text: string): number => parseNumber('R', 'R', text, larmorRadiusProblem);
