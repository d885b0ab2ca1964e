// The response study's inputs: their defaults, limits and validation, shared by the CLI's
// flags and the app's URL. Every value arrives as text; every mistake is an InputError naming its field
// in these words: geometry, n, model, dim, nEpsilon, epsilon, radiusMetres, drive, grid, device, matrix,
// treeTolerance.
import { epsilonFromRadius } from '../../physics/constants.ts';
import { geometry, kGeometryNames, type GeometryName } from '../../physics/geometry.ts';
import { InputError } from '../../physics/input-error.ts';
import {
  blockSize,
  kMaxDenseSize,
  validateSystem,
  type DarwinSystem,
  type Dimension,
  type ModelName,
} from '../../physics/models.ts';
import { checkFloat32System } from '../../physics/float32.ts';
import { kDriveNames, validateDrive, type DriveName } from '../../physics/response.ts';
import { kMinMapGrid } from '../../physics/london.ts';
import { kDefaultTreeTolerance } from '../../physics/tree-build.ts';
import { integerRangeProblem, numberList } from '../study.ts';
import {
  parseChoice,
  parseDevice,
  parseDimension,
  parseMatrix,
  parseModel,
  parseNumber,
  parseTolerance,
  type MatrixChoice,
} from '../../run/inputs.ts';

/** How eps is chosen: a list of N r_e/R (eps = X / N for each N), one eps, or one sample radius. */
export type ResponseScale =
  | { readonly kind: 'nEpsilon'; readonly values: readonly number[] }
  | { readonly kind: 'epsilon'; readonly value: number }
  | { readonly kind: 'radiusMetres'; readonly value: number };

export interface ResponseSpec {
  readonly geometry: GeometryName;
  /** Electron counts, ascending, without repeats. */
  readonly ns: readonly number[];
  readonly model: ModelName;
  readonly dim: Dimension;
  readonly scale: ResponseScale;
  readonly drive: DriveName;
  /** Field points per side of the x-z map, or null for none. */
  readonly grid: number | null;
  readonly device: 'gpu' | 'cpu';
  readonly matrix: MatrixChoice;
  /** The tree's relative error of T x where M is 'tree' (src/physics/tree-build.ts). */
  readonly treeTolerance: number;
}

/** The inputs as text (flags or URL parameters); absent ones take kResponseDefaults. */
export interface ResponseInput {
  readonly geometry?: string;
  readonly n?: string;
  readonly model?: string;
  readonly dim?: string;
  readonly nEpsilon?: string;
  readonly epsilon?: string;
  readonly radiusMetres?: string;
  readonly drive?: string;
  readonly grid?: string;
  readonly device?: string;
  readonly matrix?: string;
  readonly treeTolerance?: string;
}

export const kResponseDefaults = {
  model: 'vector',
  dim: '3',
  drive: 'field',
  device: 'gpu',
  matrix: 'auto',
  treeTolerance: kDefaultTreeTolerance.toExponential(0),
  /** Six N r_e/R from well below to well above eq. 49's N r_e/R ~ 1. */
  nEpsilon: '0.1,0.3,1,3,10,30',
} as const;

/** The app's first Response card: a London ball around eq. 49's N r_e/R ~ 1, solved in seconds. */
export const kResponseAppDefaults = { geometry: 'ball', n: [500], grid: 41 } as const;

export const kResponseLimits = {
  /** The GPU goes matrix-free past its dense budget; the centre field and map stay O(N) sums on the CPU. */
  maxNGpu: 20_000,
  /**
   * The tree (--matrix tree, and 'auto' on the CPU, which takes it past 16 384 unknowns): O(N)
   * memory, about 1.3 kB an electron at the default tolerance; the centre field is an O(N) sum.
   */
  maxNTree: 1_000_000,
  maxPointsPerN: 32,
  minGrid: kMinMapGrid,
  maxGrid: 201,
} as const;

/** One of `values`, worded as every command's choices are (parseChoice). */
function oneOf<T extends string>(field: string, text: string, values: readonly T[]): T {
  return parseChoice(field, field, values, text);
}

/**
 * A sweep's points from a comma-separated list, each once: a point named twice is kept once, or,
 * with `refuseRepeats`, refused ('<field> names X more than once'), as the command line refuses it
 * in every sweep's list (the sweep would run it twice and write its files over themselves).
 */
function pointList(field: string, text: string, refuseRepeats: boolean): number[] {
  return [...new Set(numberList(field, field, text, null, { refuseRepeats }))];
}

/**
 * Why a sweep takes no eps = 0: without the Darwin term there is nothing to solve, every electron
 * takes the Larmor rotation (eq. 17/18), and the sweep's plots run on a log axis of N r_e/R.
 */
const kWithoutDarwin = ' (0 is the bare Larmor rotation, screening ratio 1: see larmor)';

function positiveNumber(field: string, text: string, zero = ''): number {
  const [value, ...rest] = numberList(field, field, text);
  if (rest.length) throw new InputError(`${field} takes one number, got '${text}'`, field);
  if (!(value > 0))
    throw new InputError(`${field} must be > 0${value === 0 ? zero : ''}, got ${text}`, field);
  return value;
}

/**
 * The largest N of a backend: the tree's where M may be the tree, else the device's dense or free
 * M's. On the CPU a dense float64 M per point, as the CLI's CPU backend holds it: kMaxDenseSize
 * unknowns (2.1 GB), `blockSize` per electron (models.ts blockSize).
 */
export function responseMaxN(
  device: 'gpu' | 'cpu',
  matrix: MatrixChoice = 'auto',
  blockSize: 1 | 2 | 3 = 3,
): number {
  if (matrix === 'tree' || (device === 'cpu' && matrix === 'auto')) return kResponseLimits.maxNTree;
  return device === 'cpu' ? Math.floor(kMaxDenseSize / blockSize) : kResponseLimits.maxNGpu;
}

/**
 * The electron counts of a comma-separated list: ascending, without repeats (pointList), within the
 * backend's limit.
 */
export function parseResponseNs(
  text: string,
  device: 'gpu' | 'cpu',
  matrix: MatrixChoice = 'auto',
  blockSize: 1 | 2 | 3 = 3,
  refuseRepeats = false,
): number[] {
  const ns = pointList('n', text, refuseRepeats).sort((a, b) => a - b);
  const maxN = responseMaxN(device, matrix, blockSize);
  const where = matrix === 'tree' ? 'with the tree' : `on the ${device.toUpperCase()}`;
  // Past the dense and matrix-free sizes, the tree's: the way to a larger N.
  const tree = maxN < kResponseLimits.maxNTree ? ` (up to ${kResponseLimits.maxNTree} with the tree)` : '';
  for (const n of ns) {
    if (!(Number.isInteger(n) && n >= 2 && n <= maxN)) {
      throw new InputError(`n must be integers in 2..${maxN} ${where}${tree}, got ${n}`, 'n');
    }
  }
  return ns;
}

/**
 * The N r_e/R of a comma-separated list: positive, ascending, without repeats (pointList), at most
 * maxPointsPerN.
 */
export function parseNEpsilons(text: string, refuseRepeats = false): number[] {
  const values = pointList('nEpsilon', text, refuseRepeats);
  for (const x of values) {
    if (!(x > 0))
      throw new InputError(`N r_e/R must be > 0${x === 0 ? kWithoutDarwin : ''}, got ${x}`, 'nEpsilon');
  }
  if (values.length > kResponseLimits.maxPointsPerN) {
    throw new InputError(`at most ${kResponseLimits.maxPointsPerN} values of N r_e/R`, 'nEpsilon');
  }
  return values.sort((a, b) => a - b);
}

/** Field points per side of the x-z map. */
export function parseResponseGrid(text: string): number {
  const range = { min: kResponseLimits.minGrid, max: kResponseLimits.maxGrid };
  return parseNumber('grid', 'grid', text, (grid) => integerRangeProblem(range, grid));
}

/**
 * The cube's and the square's lattice fill their last layer only where N is a whole cube (square):
 * else the body is cut off-centre, while B(0) is taken at the origin and the N -> infinity fit joins
 * bodies of different shapes. Refused, naming the nearest that are whole. Under the flux drive, an
 * odd side puts a row of electrons on the z axis, the solenoid (validateDrive): whole or partial,
 * refused naming the nearest of an even side, the only ones the next run takes.
 */
function checkFilledLattice(geometryName: GeometryName, ns: readonly number[], drive: DriveName): void {
  const power = geometryName === 'cube' ? 3 : geometryName === 'square' ? 2 : null;
  if (power === null) return;
  const whole = geometryName === 'cube' ? 'cubes' : 'squares';
  const flux = drive === 'flux';
  for (const n of ns) {
    const below = Math.floor(n ** (1 / power) + 1e-9);
    const filled = below ** power === n;
    if (filled && (!flux || below % 2 === 0)) continue;
    // The whole ones beside n, of an even side under flux (none below a side of 2).
    const [lower, upper] = flux ? [below - (below % 2), below + 2 - (below % 2)] : [below, below + 1];
    const nearest = `${lower > 0 ? `${lower ** power} or ` : ''}${upper ** power}`;
    const layer = filled
      ? 'an odd side puts electrons on the z axis, the solenoid'
      : 'a partial last layer moves the body off the centre';
    throw new InputError(
      flux
        ? `n must be ${whole} of an even side for the flux drive on the ${geometryName} (${layer}), got ${n}: ${nearest}`
        : `n must be whole ${whole} for the ${geometryName} (${layer}), got ${n}: ${nearest}`,
      'n',
    );
  }
}

/**
 * The validated spec: every (N, eps) system is built and checked here (on the GPU against float32's
 * range too), so a run cannot fail on input. `refuseRepeats`: a list of N or N r_e/R that names a
 * point twice is refused (the command line), not taken once (a link).
 */
export function responseSpec(
  input: ResponseInput,
  { refuseRepeats = false }: { readonly refuseRepeats?: boolean } = {},
): ResponseSpec {
  if (input.geometry === undefined) throw new InputError('give a geometry', 'geometry');
  const geometryName = oneOf('geometry', input.geometry, kGeometryNames);
  const device = parseDevice(input.device ?? kResponseDefaults.device, 'device');
  const matrix = parseMatrix(input.matrix ?? kResponseDefaults.matrix, 'matrix');
  const treeTolerance = parseTolerance(
    input.treeTolerance ?? kResponseDefaults.treeTolerance,
    'treeTolerance',
    'treeTolerance',
  );
  const model = parseModel(input.model ?? kResponseDefaults.model, 'model');
  const dim = parseDimension(input.dim ?? kResponseDefaults.dim, 'dim');
  if (input.n === undefined) throw new InputError('give N (a comma-separated list)', 'n');
  const ns = parseResponseNs(input.n, device, matrix, blockSize({ model, dim }), refuseRepeats);
  const drive = oneOf('drive', input.drive ?? kResponseDefaults.drive, kDriveNames);
  checkFilledLattice(geometryName, ns, drive);
  const given = (['nEpsilon', 'epsilon', 'radiusMetres'] as const).filter((key) => input[key] !== undefined);
  if (given.length > 1) {
    throw new InputError(
      `${given[0]} and ${given[1]} are both given; give one of N r_e/R, epsilon or the radius in metres`,
      given[0],
    );
  }
  let scale: ResponseScale;
  if (input.epsilon !== undefined) {
    scale = { kind: 'epsilon', value: positiveNumber('epsilon', input.epsilon, kWithoutDarwin) };
  } else if (input.radiusMetres !== undefined) {
    scale = { kind: 'radiusMetres', value: positiveNumber('radiusMetres', input.radiusMetres) };
  } else {
    scale = {
      kind: 'nEpsilon',
      values: parseNEpsilons(input.nEpsilon ?? kResponseDefaults.nEpsilon, refuseRepeats),
    };
  }
  const grid = input.grid === undefined ? null : parseResponseGrid(input.grid);
  const spec: ResponseSpec = {
    geometry: geometryName,
    ns,
    model,
    dim,
    scale,
    drive,
    grid,
    device,
    matrix,
    treeTolerance,
  };
  for (const n of ns) {
    const configuration = geometry(geometryName, n);
    validateDrive(configuration, drive);
    for (const epsilon of epsilonsOf(spec, n)) {
      const system = { configuration, model, dim: spec.dim, epsilon, softening: 0 };
      checkPoint(system, scale.kind, device === 'gpu' ? matrix : null);
    }
  }
  return spec;
}

/**
 * validateSystem and, on the GPU (a `matrix`), checkFloat32System: a refused eps named as the point
 * and the input it came from.
 */
function checkPoint(system: DarwinSystem, field: ResponseScale['kind'], matrix: MatrixChoice | null): void {
  try {
    validateSystem(system);
    if (matrix !== null) checkFloat32System(system, matrix);
  } catch (error) {
    if (!(error instanceof InputError) || error.field !== 'epsilon') throw error;
    throw new InputError(`at N = ${system.configuration.n}: ${error.message}`, field);
  }
}

/** The one eps that --epsilon or --radius-m (eps = r_e/R) gives every N; null for an N r_e/R list. */
export function heldEpsilon(scale: ResponseScale): number | null {
  if (scale.kind === 'nEpsilon') return null;
  return scale.kind === 'epsilon' ? scale.value : epsilonFromRadius(scale.value);
}

/** The eps of each point at N: X / N for each N r_e/R = X, or the one eps the spec fixes. */
export function epsilonsOf(spec: Pick<ResponseSpec, 'scale'>, n: number): number[] {
  const { scale } = spec;
  return scale.kind === 'nEpsilon' ? scale.values.map((x) => x / n) : [heldEpsilon(scale)!];
}
