// The inputs of a solve or spectrum run, parsed and validated once for the CLI's flags and the app's
// fields and link: each parser turns the user's text into a value or throws an InputError whose
// `field` is the input's name (the app's Parameters key), and whose message begins with `name`, the
// front end's word for it (the CLI's `--n`, the app's `N`), so neither has to rewrite the other's text.
import { kMaxThreads } from '../parallel/pool.ts';
import { kGeometryNames, type GeometryName } from '../physics/geometry.ts';
import { decimalNumber, excerpt, InputError, underflowsToZero } from '../physics/input-error.ts';
import { kModelNames, type Dimension, type ModelName } from '../physics/models.ts';
import { kDefaultTreeTolerance, kMinTreeTolerance, kMinTreeToleranceShown } from '../physics/tree-build.ts';
import { kVelocityPatterns, type VelocityPattern } from '../physics/velocities.ts';
import { kMinLanczosBasis } from '../solvers/lanczos.ts';
import type { SolverName } from '../solvers/types.ts';

/** A limit on a number: null when it holds, else what it must be ('must be > 0'). */
export type Check = (x: number) => string | null;

export const positive: Check = (x) => (x > 0 ? null : 'must be > 0');
export const nonNegative: Check = (x) => (x >= 0 ? null : 'must be >= 0');
export const positiveInteger: Check = (x) =>
  Number.isInteger(x) && x >= 1 ? null : 'must be an integer >= 1';
export const nonNegativeInteger: Check = (x) =>
  Number.isInteger(x) && x >= 0 ? null : 'must be an integer >= 0';

/**
 * A finite number, refusing NaN, empty text and trailing junk ('3x'), and a number too small for
 * float64 that would silently become 0 ('1e-400', as '1e400' overflows), then held to `check`.
 */
export function parseNumber(
  field: string,
  name: string,
  text: string | undefined,
  check?: Check | null,
): number {
  if (text !== undefined && underflowsToZero(text))
    throw new InputError(`${name} is too small for float64 (it would be 0), got ${excerpt(text)}`, field);
  const value = text === undefined ? NaN : decimalNumber(text);
  if (!Number.isFinite(value))
    throw new InputError(`${name} needs a finite number, got '${excerpt(text ?? '')}'`, field);
  const problem = check?.(value);
  if (problem) throw new InputError(`${name} ${problem}, got ${excerpt(text!)}`, field);
  return value;
}

/** One of a fixed list of words. */
export function parseChoice<T extends string>(
  field: string,
  name: string,
  values: readonly T[],
  text: string,
): T {
  if ((values as readonly string[]).includes(text)) return text as T;
  throw new InputError(
    `${name} must be one of ${values.join(', ')}, got '${excerpt(text)}'${didYouMean(text, values)}`,
    field,
  );
}

/**
 * ' (did you mean NAME?)' for the nearest of `names` (the first of equals) within two edits of
 * `text`, one for names of two or three letters, none for one ('x' is not a typo of 'cg'); else ''.
 */
export function didYouMean(text: string, names: readonly string[]): string {
  if (text.length > 40) return '';
  let near: string | null = null;
  let nearest = Infinity;
  for (const name of names) {
    const distance = editDistance(name, text);
    if (distance <= Math.min(2, Math.floor(name.length / 2)) && distance < nearest) {
      near = name;
      nearest = distance;
    }
  }
  return near ? ` (did you mean ${near}?)` : '';
}

/** Levenshtein distance. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length];
}

export const parseGeometryName = (text: string, name: string): GeometryName =>
  parseChoice('source', name, kGeometryNames, text);

/**
 * The most electrons any front end takes: 10^8 electrons' positions alone are 2.4 GB of float64, and
 * past 2^31 no typed array holds them. The app sets its own, lower limit (the browser's memory).
 */
export const kMaxElectrons = 100_000_000;

/** N electrons, at most `max`. */
export function parseElectronCount(
  text: string | undefined,
  name: string,
  max: number = kMaxElectrons,
): number {
  const n = parseNumber('n', name, text, positiveInteger);
  if (n > max) throw new InputError(`${name} is limited to ${max} here, got ${excerpt(text!)}`, 'n');
  return n;
}

export const parseModel = (text: string, name: string): ModelName =>
  parseChoice('model', name, kModelNames, text);

export const parseDimension = (text: string, name: string): Dimension =>
  Number(parseChoice('dim', name, ['2', '3'] as const, text)) as Dimension;

/**
 * The vector model's dimension (3 when not given), refused when given beside the azimuthal model,
 * whose one angular velocity per electron has no dimension to choose: it would be silently ignored.
 */
export function parseDimensionFor(
  model: ModelName,
  text: string | undefined,
  name: string,
  modelName: string,
): Dimension {
  if (text === undefined) return 3;
  if (model === 'azimuthal') {
    throw new InputError(`${name} applies only to ${modelName} vector, not azimuthal`, 'dim');
  }
  return parseDimension(text, name);
}

/** eps = r_e / R (eq. 49); 0 is free electrons. */
export const parseEpsilon = (text: string | undefined, name: string): number =>
  parseNumber('epsilon', name, text, nonNegative);

export const parseRadiusMetres = (text: string | undefined, name: string): number =>
  parseNumber('radiusMetres', name, text, positive);

/** Softening length a in units of R (a thickness, cf. eq. 45). */
export const parseSoftening = (text: string | undefined, name: string): number =>
  parseNumber('softening', name, text, nonNegative);

export const parseVelocityPattern = (text: string, name: string): VelocityPattern =>
  parseChoice('velocity', name, kVelocityPatterns, text);

/** A seed of seededRandom: mulberry32 keeps 32 bits, so a larger seed would repeat a smaller one. */
const seedProblem = (x: number): string | null =>
  Number.isInteger(x) && x >= 0 && x < 2 ** 32 ? null : 'must be an integer in [0, 2^32)';

/** The random pattern's seed. */
export const parseSeed = (text: string | undefined, name: string): number =>
  parseNumber('seed', name, text, seedProblem);

export const kSolverNames = ['cg', 'minres', 'auto'] as const satisfies readonly SolverName[];
export const parseSolver = (text: string, name: string): SolverName =>
  parseChoice('solver', name, kSolverNames, text);

/**
 * The smallest relative tolerance of a solve or of Lanczos's eigenvalues: float64's rounding
 * (u = 1.1e-16) enters every product and sum, so below about 100 u a recursive residual or a Ritz
 * bound goes on shrinking while the true residual or eigenvalue error stays where rounding holds it,
 * and a run would report as met a tolerance it did not meet.
 */
export const kMinTolerance = 1e-14;

/**
 * A relative tolerance, of the solve (||r|| / ||p||), of Lanczos's eigenvalues or of the tree's
 * product (||T x - tree T x|| / ||T x||): at 1 or above the starting guess (or T x = 0) already
 * meets it, so only below 1 is a request; the least is kMinTolerance, and for the tree
 * kMinTreeTolerance, what its highest expansion order meets.
 */
export const parseTolerance = (
  text: string | undefined,
  name: string,
  field: 'tolerance' | 'lanczosTolerance' | 'treeTolerance' = 'tolerance',
): number => {
  const tree = field === 'treeTolerance';
  const least = tree ? kMinTreeTolerance : kMinTolerance;
  // The tree's bound rounded up, so that the bound shown is accepted (kMinTolerance is 1e-14).
  const shown = tree ? kMinTreeToleranceShown : kMinTolerance;
  const why = tree ? ' (the highest expansion order, 16)' : " (float64's rounding)";
  return parseNumber(field, name, text, (x) =>
    x >= least && x < 1 ? null : `must be in [${shown}, 1)${why}`,
  );
};

/**
 * An iteration limit; 'auto' (or no option) is 0, the solver's own default max(50, size). A blank
 * text is refused, not taken for auto: `--max-iter ''` is more likely a lost value than a choice.
 */
export function parseMaxIterations(text: string | undefined, name: string): number {
  if (text === undefined || text.trim() === 'auto') return 0;
  return parseNumber('maxIterations', name, text, (x) =>
    Number.isInteger(x) && x >= 1 ? null : 'must be an integer >= 1 or auto',
  );
}

/** Lanczos's start-vector seed, any the random pattern takes. */
export const parseLanczosSeed = (text: string | undefined, name: string): number =>
  parseNumber('lanczosSeed', name, text, seedProblem);

/**
 * Lanczos vectors held (thick restart): at least kMinLanczosBasis; whether they fit the device is
 * the backend's check, beside M.
 */
export const parseLanczosBasis = (text: string | undefined, name: string): number =>
  parseNumber('lanczosBasis', name, text, (x) =>
    Number.isInteger(x) && x >= kMinLanczosBasis ? null : `must be an integer >= ${kMinLanczosBasis}`,
  );

export const kMatrixChoices = ['dense', 'free', 'tree', 'auto'] as const;
/**
 * How M is held: dense, matrix-free (GPU), the fast multipole tree (src/physics/treecode.ts, to
 * the tree tolerance), or the backend's choice by size and memory.
 */
export type MatrixChoice = (typeof kMatrixChoices)[number];
export const parseMatrix = (text: string, name: string): MatrixChoice =>
  parseChoice('matrix', name, kMatrixChoices, text);

/**
 * The tree's tolerance (the CLI's --tree-tol): the default when not given, and refused beside a
 * `matrix` that never holds the tree, where it would be silently ignored. `auto` may take the tree.
 */
export function parseTreeToleranceFor(
  matrix: MatrixChoice,
  text: string | undefined,
  name: string,
  matrixName: string,
): number {
  if (text === undefined) return kDefaultTreeTolerance;
  if (matrix === 'dense' || matrix === 'free') {
    throw new InputError(
      `${name} applies only to ${matrixName} tree or auto, not ${matrix}`,
      'treeTolerance',
    );
  }
  return parseTolerance(text, name, 'treeTolerance');
}

export const kDevices = ['gpu', 'cpu'] as const;
/** The WebGPU engine (float32) or the float64 CPU reference. */
export type DeviceChoice = (typeof kDevices)[number];
export const parseDevice = (text: string, name: string): DeviceChoice =>
  parseChoice('device', name, kDevices, text);

/** Threads of a CPU run (src/parallel/pool.ts): the caller and K - 1 workers. */
export const parseThreads = (text: string | undefined, name: string): number =>
  parseNumber('threads', name, text, (x) =>
    Number.isInteger(x) && x >= 1 && x <= kMaxThreads ? null : `must be an integer in 1..${kMaxThreads}`,
  );
