// Everything the panel sets, as one plain object that the page's URL query holds, so a link
// reproduces a run: each field has a query key, a parser that refuses bad text with an InputError (the
// panel shows the message by the field) and a formatter. The names follow the CLI's options.
import { epsilonFromRadius, radiusFromEpsilon } from '../physics/constants.ts';
import { kGeometryNames, type GeometryName } from '../physics/geometry.ts';
import { InputError, renamedError } from '../physics/input-error.ts';
import { kLondonGeometries, type LondonGeometry } from '../physics/london.ts';
import { kModelNames, type Dimension, type ModelName } from '../physics/models.ts';
import { kDriveNames, type DriveName } from '../physics/response.ts';
import { kScalingGeometries, type ScalingGeometry } from '../physics/scaling.ts';
import { kDefaultTreeTolerance } from '../physics/tree-build.ts';
import type { VelocityPattern } from '../physics/velocities.ts';
import { kDefaultLanczosBasis } from '../solvers/lanczos.ts';
import { defaultLanczosMaxIterations, defaultMaxIterations, type SolverName } from '../solvers/types.ts';
import { kLarmorDefaults, parseFieldTesla, parseLarmorN, parseLarmorRadius } from '../studies/larmor/spec.ts';
import {
  kLondonAppDefaults,
  kLondonBrowserElectrons,
  kLondonBrowserGrid,
  londonHalfHeightProblem,
} from '../studies/london/spec.ts';
import {
  kResponseAppDefaults,
  kResponseDefaults,
  parseNEpsilons,
  parseResponseGrid,
  parseResponseNs,
} from '../studies/response/spec.ts';
import {
  kScalingAppDefaults,
  kScalingBrowserElectrons,
  kScalingBrowserPoints,
} from '../studies/scaling/spec.ts';
import { fieldPath, integerRangeProblem, isObject, type IntegerRange } from '../studies/study.ts';
import type { ArrowQuantity, RenderQuantity } from '../kernels/render.ts';
import type { DeviceSummary } from '../io/formats.ts';
import * as input from '../run/inputs.ts';

/** The Studies panel's runs (src/app/studies.ts). */
export const kStudyActions = ['london', 'pairing', 'larmor', 'scaling', 'response'] as const;
export type StudyAction = (typeof kStudyActions)[number];
export const kActions = ['none', 'build', 'momenta', 'solve', 'spectrum', ...kStudyActions] as const;
export type Action = (typeof kActions)[number];

export function isStudyAction(action: string): action is StudyAction {
  return (kStudyActions as readonly string[]).includes(action);
}

/** The study whose card a panel field is an input of (its key's prefix), or null: the Electrons tab's. */
export function studyOfField(key: PanelTarget): StudyAction | null {
  return kStudyActions.find((study) => key.startsWith(study)) ?? null;
}

/**
 * The Electrons tab's typed fields each of its actions reads: every one the system's (the tree's
 * tolerance too, which matrix 'auto' may take past the device's crossover N), the velocities' seed
 * where they are formed, the solver's and the spectrum's own.
 */
const kElectronsFields = {
  build: ['n', 'epsilon', 'radiusMetres', 'softening', 'treeTolerance'],
  momenta: ['seed'],
  solve: ['seed', 'tolerance', 'maxIterations'],
  // max iterations bounds the Spectrum's Lanczos products too, as the CLI's --max-iter does.
  spectrum: ['lanczosTolerance', 'lanczosBasis', 'lanczosSeed', 'maxIterations'],
} as const satisfies Record<string, readonly (keyof Parameters)[]>;

/**
 * Whether `action` reads the field `key`, so that a field that does not parse refuses only the
 * actions that read it: a study reads its card's fields (the response sweep the tree's tolerance
 * too, as its matrix is 'auto'), and Pairing, which has none, runs whatever the other fields hold.
 */
export function readsField(action: Exclude<Action, 'none'>, key: keyof Parameters): boolean {
  if (isStudyAction(action)) {
    return studyOfField(key) === action || (action === 'response' && key === 'treeTolerance');
  }
  const fields: readonly (keyof Parameters)[] = [...kElectronsFields.build, ...kElectronsFields[action]];
  return fields.includes(key);
}

/** A geometry formula, or positions from a loaded file (which a link cannot carry). */
export type SourceName = GeometryName | 'file';
/** A velocity pattern, or velocities / momenta from a loaded file. */
export type VelocitySource = VelocityPattern | 'file';
export type ViewChoice = 'auto' | '3d' | '2d';

export interface Parameters {
  source: SourceName;
  n: number;
  model: ModelName;
  dim: Dimension;
  /** Which of epsilon and radiusMetres the user gave; the other follows from it (eps = r_e / R). */
  scale: 'epsilon' | 'radius';
  epsilon: number;
  radiusMetres: number;
  softening: number;
  velocity: VelocitySource;
  seed: number;
  solver: SolverName;
  tolerance: number;
  /** 0: the default max(50, size). */
  maxIterations: number;
  matrix: input.MatrixChoice;
  /** The tree's relative error of T x where M is the tree (matrix 'tree'). */
  treeTolerance: number;
  lanczosTolerance: number;
  /** Lanczos vectors a Spectrum holds (thick restart), the CLI's spectrum --basis. */
  lanczosBasis: number;
  /** Seed of a Spectrum's Lanczos start vector, the CLI's spectrum --seed. */
  lanczosSeed: number;
  /** Run the float64 CPU reference beside the GPU and show the difference. */
  check: boolean;
  /** `current`: the induced speeds of the last response run, where it ran this configuration. */
  colourBy: RenderQuantity;
  arrows: ArrowQuantity;
  pointScale: number;
  view: ViewChoice;
  /** The action a link runs on load. */
  run: Action;
  // The Studies panel: the inputs of each study, named after the CLI commands' options.
  londonGeometry: LondonGeometry;
  londonN: number;
  londonGrid: number;
  /** Cylinder only: half-length h in units of R. */
  londonHalfHeight: number;
  larmorN: number;
  larmorFieldTesla: number;
  larmorRadiusMetres: number;
  scalingGeometry: ScalingGeometry;
  scalingModel: ModelName;
  scalingNMin: number;
  scalingNMax: number;
  scalingPoints: number;
  // The response study: the field drive's N r_e/R list and its electron counts as lists.
  responseGeometry: GeometryName;
  responseNs: readonly number[];
  responseModel: ModelName;
  responseDim: Dimension;
  responseDrive: DriveName;
  responseNEpsilon: readonly number[];
  /** Field points per side of the x-z map. */
  responseGrid: number;
}

/** An InputError that knows which field of the panel it is about. */
export class FieldError extends InputError {
  override readonly field: keyof Parameters;
  constructor(field: keyof Parameters, message: string) {
    super(message, field);
    this.field = field;
  }
}

/**
 * The first-load scenario: a rotating Fibonacci sphere of 500 electrons at eps = 1e-3 (N eps = 0.5,
 * below the collective threshold of eq. 49), solved on the GPU in well under a second.
 */
export const kDefaults: Readonly<Parameters> = {
  source: 'sphere',
  n: 500,
  model: 'vector',
  dim: 3,
  scale: 'epsilon',
  epsilon: 1e-3,
  radiusMetres: radiusFromEpsilon(1e-3),
  softening: 0,
  velocity: 'rigid',
  seed: 1,
  solver: 'auto',
  tolerance: 1e-6,
  maxIterations: 0,
  matrix: 'auto',
  treeTolerance: kDefaultTreeTolerance,
  lanczosTolerance: 1e-6,
  // The CLI's spectrum --basis and --seed defaults.
  lanczosBasis: kDefaultLanczosBasis,
  lanczosSeed: 1,
  check: true,
  colourBy: 'darwin',
  arrows: 'none',
  pointScale: 1,
  view: 'auto',
  run: 'solve',
  // A map that SwiftShader draws in a second; Levy et al.'s ring (sec. II.B); a sweep of a few seconds.
  londonGeometry: kLondonAppDefaults.geometry,
  londonN: kLondonAppDefaults.n,
  londonGrid: kLondonAppDefaults.grid,
  londonHalfHeight: kLondonAppDefaults.halfHeight,
  larmorN: kLarmorDefaults.n,
  larmorFieldTesla: kLarmorDefaults.fieldTesla,
  larmorRadiusMetres: kLarmorDefaults.radiusMetres,
  scalingGeometry: kScalingAppDefaults.geometry,
  scalingModel: kScalingAppDefaults.model,
  scalingNMin: kScalingAppDefaults.nMin,
  scalingNMax: kScalingAppDefaults.nMax,
  scalingPoints: kScalingAppDefaults.points,
  responseGeometry: kResponseAppDefaults.geometry,
  responseNs: kResponseAppDefaults.n,
  responseModel: kResponseDefaults.model,
  responseDim: Number(kResponseDefaults.dim) as Dimension,
  responseDrive: kResponseDefaults.drive,
  responseNEpsilon: parseNEpsilons(kResponseDefaults.nEpsilon),
  responseGrid: kResponseAppDefaults.grid,
};

/** The matrix field's choices: the panel's words for each value of the CLI's --matrix. */
export const kMatrixLabels: Readonly<Record<input.MatrixChoice, string>> = {
  auto: 'auto',
  dense: 'dense (stored)',
  free: 'matrix-free',
  tree: 'tree (fast multipole)',
};

/**
 * A shared message (src/engine, src/run, src/io) in the panel's words: a CLI flag it names as the
 * remedy becomes the panel's field and choice (--matrix free: matrix 'matrix-free'), and the one the
 * page has no field for, the float64 CPU path, is said to be the CLI's.
 */
export function inPanelWords(message: string): string {
  return message
    .replace(
      /--matrix (auto|dense|free|tree)\b/g,
      (_, matrix: input.MatrixChoice) => `matrix '${kMatrixLabels[matrix]}'`,
    )
    .replace(/--tree-tol\b/g, 'tree tolerance')
    .replace(/(?:spectrum )?--basis\b/g, 'spectrum basis')
    .replace(/--dim 2\b/g, "velocity components '2'")
    .replace(/--device cpu\b/g, "the CLI's --device cpu");
}

/** Electrons offered in the browser: positions, velocities and render data stay under ~200 MB. */
export const kMaxElectrons = 2_000_000;

/**
 * Refuses a loaded file (positions CSV, result JSON) of more electrons than the N field takes: the
 * same memory limit, which a file would otherwise pass unasked. `field`: the InputError's field.
 */
export function checkFileElectrons(n: number, name: string, field: string): void {
  if (n > kMaxElectrons) {
    throw new InputError(
      `${name}: ${n} electrons, but the page takes at most ${kMaxElectrons} (the CLI takes more)`,
      field,
    );
  }
}

function finite(text: string, what: string): number {
  return input.parseNumber(what, what, text);
}

function oneOf<T extends string>(values: readonly T[], what: string): (text: string) => T {
  return (text) => input.parseChoice(what, what, values, text);
}

// The system and solver fields, over the parsers the CLI's flags share (src/run/inputs.ts). A typed
// field's message names it by its label in the panel ('N' for 'N electrons'), and quotes the text where
// it is no number ('abc', or empty) but writes a number bare; a choice, which only a link can get
// wrong, is named by its key in the link.
export const parseN = (text: string): number => input.parseElectronCount(text, 'N', kMaxElectrons);
export const parseEpsilon = (text: string): number => input.parseEpsilon(text, 'ε');
/** R in metres, or ∞, which the R field shows at eps = 0 (no Darwin term), so that it reads back. */
export const parseRadius = (text: string): number =>
  text.trim() === '∞' ? Infinity : input.parseRadiusMetres(text, 'R');
export const parseSoftening = (text: string): number => input.parseSoftening(text, 'softening');
export const parseSeed = (text: string): number => input.parseSeed(text, 'seed');
export const parseTolerance = (text: string): number => input.parseTolerance(text, 'tolerance');
export const parseLanczosTolerance = (text: string): number =>
  input.parseTolerance(text, 'spectrum tolerance', 'lanczosTolerance');
export const parseLanczosBasis = (text: string): number => input.parseLanczosBasis(text, 'spectrum basis');
export const parseLanczosSeed = (text: string): number => input.parseLanczosSeed(text, 'spectrum seed');
export const parseTreeTolerance = (text: string): number =>
  input.parseTolerance(text, 'tree tolerance', 'treeTolerance');
export const parseMaxIterations = (text: string): number => input.parseMaxIterations(text, 'max iterations');
export const formatMaxIterations = (k: number): string => (k === 0 ? 'auto' : String(k));

/** The solver fields a saved solve or spectrum sets (savedSolverFields). */
export type SavedSolverFields = Partial<
  Pick<
    Parameters,
    | 'solver'
    | 'tolerance'
    | 'maxIterations'
    | 'matrix'
    | 'treeTolerance'
    | 'lanczosTolerance'
    | 'lanczosBasis'
    | 'lanczosSeed'
  >
>;

/**
 * The solver fields of a saved solve's summary (src/run/report.ts solveJson), which a loaded file
 * sets so that the link reproduces its run: its tolerance; its solver, 'auto' where it switched
 * from CG (auto's switch); the storage M had (auto's pick, named) and the tree's tolerance; and the
 * iteration limit (savedLimit). A file with a solve sets every one of these fields, the default
 * where it lacks the key (an older file), so that none is left from the page's previous run; one
 * with a spectrum and nothing solved (no solver) sets the storage, the tree's tolerance and the
 * limit, which decide the spectrum's numbers too, and no solver or tolerance; one with neither sets
 * none of them. Every file sets the spectrum's Lanczos tolerance, basis and seed: its spectrum's,
 * else the defaults (the CLI's), so that a Spectrum run again reproduces the file's.
 * The one limit field bounds both runs: the solve's limit where the file has a solve, else the
 * spectrum's. `stops`: the solve's and the spectrum's "stopped" (savedStop); `size`: the file's
 * unknowns, whose default limits are auto's. A value the field would refuse refuses the file,
 * `name`, naming the key by its path ("spectrum.tolerance").
 */
export function savedSolverFields(
  summary: Record<string, unknown>,
  name: string,
  stops: {
    readonly solve: { readonly of: number } | null;
    readonly spectrum: { readonly of: number } | null;
  },
  size: number,
): SavedSolverFields {
  // `key` of the summary, or of its object `within` ('spectrum', 'tree'), named in a refusal by its
  // path: the spectrum's and the tree's "tolerance" are not the solve's.
  const read = <T>(within: string, key: string, parse: (text: string) => T): T | undefined => {
    const object = within ? summary[within] : summary;
    const value = isObject(object) ? object[key] : undefined;
    if (value === undefined || value === null) return undefined;
    try {
      if (typeof value !== 'string' && typeof value !== 'number')
        throw new InputError('not a string or number');
      return parse(String(value));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new InputError(`${name}: "${fieldPath(within, key)}" is refused: ${message}`, 'result');
    }
  };
  const lanczos = {
    lanczosTolerance: read('spectrum', 'tolerance', parseLanczosTolerance) ?? kDefaults.lanczosTolerance,
    lanczosBasis: read('spectrum', 'basis', parseLanczosBasis) ?? kDefaults.lanczosBasis,
    lanczosSeed: read('spectrum', 'seed', parseLanczosSeed) ?? kDefaults.lanczosSeed,
  };
  const solver = read('', 'solver', (text) => input.parseSolver(text, 'solver'));
  const spectrum = isObject(summary.spectrum) ? summary.spectrum : null;
  if (!solver && !spectrum) return lanczos;
  const fields: SavedSolverFields = { ...lanczos };
  if (solver) {
    fields.solver = summary.switched_from ? 'auto' : solver;
    fields.tolerance = read('', 'tolerance', parseTolerance) ?? kDefaults.tolerance;
  }
  const matrix = read('', 'matrix', (text) => input.parseMatrix(text, 'matrix'));
  fields.matrix = matrix ?? kDefaults.matrix;
  fields.treeTolerance =
    (matrix === 'tree' ? read('tree', 'tolerance', parseTreeTolerance) : undefined) ??
    kDefaults.treeTolerance;
  /**
   * The limit a run of the file (the summary's solve, `within` '', or its spectrum) shows, 0 for
   * auto: its "max_iter" (null: auto); in an older file without it, a stopped run's `stop.of`, or
   * the iterations of an unrefined run that ran out of them, auto where that is `defaultLimit` (the
   * run's default for the file's unknowns) or where the run never reached a limit, as such a limit
   * changes nothing.
   */
  const savedLimit = (
    within: '' | 'spectrum',
    stop: { readonly of: number } | null,
    defaultLimit: number,
  ) => {
    const run = (within ? spectrum : summary) ?? {};
    if ('max_iter' in run) return read(within, 'max_iter', parseMaxIterations) ?? 0;
    // Refined, a solve's limit bounds each inner solve: the iterations summed over them are not it.
    // A refined spectrum's bounds its one float32 Lanczos run, whose products `iterations` counts.
    const unrefined = within ? true : run.refinement_steps === 0;
    const ranOut = !stop && run.reason === 'diverged_max_it' && unrefined;
    const limit = stop?.of ?? (ranOut ? read(within, 'iterations', parseMaxIterations) : undefined);
    return limit === undefined || limit === defaultLimit ? 0 : limit;
  };
  fields.maxIterations = solver
    ? savedLimit('', stops.solve, defaultMaxIterations(size))
    : savedLimit('spectrum', stops.spectrum, defaultLanczosMaxIterations(size));
  return fields;
}

/**
 * A loaded file's options that a rerun on the page would change, for its load message: each key of
 * `page` (the page's run) whose value in `file` differs, as "key value" (null: auto; a fraction in
 * exponent form); '' where none does.
 */
export function rerunClause<K extends string>(
  page: Readonly<Record<K, string | number | null>>,
  file: Readonly<Record<K, string | number | null>>,
): string {
  const differ = (Object.keys(page) as K[]).filter((key) => file[key] !== page[key]);
  if (differ.length === 0) return '';
  const written = (value: string | number | null) =>
    typeof value === 'number' && !Number.isInteger(value) ? value.toExponential() : String(value ?? 'auto');
  const options = (of: typeof page) => differ.map((key) => `${key} ${written(of[key])}`).join(', ');
  return `; a rerun here takes the page's ${options(page)}, not the file's ${options(file)}`;
}

/**
 * What a rerun on the page would change of a saved solve's run and its spectrum's that the panel's
 * fields do not carry (rerunClause; savedSolverFields sets the rest): the device, where the file's
 * ran on the CPU (--device cpu, in float64) and the page runs float32 on `device`, its GPU. A file
 * that names no device (an older one) says nothing.
 */
export function savedRunRerun(summary: Record<string, unknown>, device: DeviceSummary['kind']): string {
  const kind = isObject(summary.device) ? summary.device.kind : undefined;
  return rerunClause({ device }, { device: kind === 'cpu' || kind === 'gpu' ? kind : device });
}

function integerIn(text: string, what: string, range: IntegerRange): number {
  const k = finite(text, what);
  const problem = integerRangeProblem(range, k);
  if (problem) throw new InputError(`${what} ${problem}, got ${text}`);
  return k;
}
export const parseLondonN = (text: string): number => integerIn(text, 'N', kLondonBrowserElectrons);
export const parseLondonGrid = (text: string): number => integerIn(text, 'grid', kLondonBrowserGrid);
/** The cylinder's half-height, at most the page's largest N: a cylinder needs N >= h. */
export const parseHalfHeight = (text: string): number =>
  input.parseNumber('h', 'h', text, (h) => londonHalfHeightProblem(h, kLondonBrowserElectrons.max));
export const parseScalingN = (text: string): number => integerIn(text, 'N', kScalingBrowserElectrons);
export const parseScalingPoints = (text: string): number => integerIn(text, 'points', kScalingBrowserPoints);

/**
 * A study spec's parser whose messages begin with the spec's word for the field (its InputError
 * field, as the CLI's flags replace it), under the panel's word for it instead.
 */
function named<T>(parse: (text: string) => T, name: string): (text: string) => T {
  return (text) => {
    try {
      return parse(text);
    } catch (error) {
      throw renamedError(error, name);
    }
  };
}
/** The response study's electron counts, by its spec's parser: the page always runs on the GPU. */
export const parseResponseNList = named((text: string): number[] => parseResponseNs(text, 'gpu'), 'N');
export const parseResponseNEpsilons = named(parseNEpsilons, 'N r_e/R');
/** The disc size's factor over the automatic size: a link holds what the panel's slider can show. */
export const kPointScale = { min: 0.25, max: 4 } as const;
const parsePointScale = (text: string): number =>
  input.parseNumber('pointScale', 'point', text, (scale) =>
    scale >= kPointScale.min && scale <= kPointScale.max
      ? null
      : `must be in [${kPointScale.min}, ${kPointScale.max}]`,
  );
const parseCheck = (text: string): boolean =>
  ['1', 'true'].includes(input.parseChoice('check', 'check', ['1', '0', 'true', 'false'], text));
const kArrowQuantities = ['none', 'velocity', 'momentum', 'darwin'] as const;
const kColourQuantities = [...kArrowQuantities, 'current'] as const;

interface QueryField {
  readonly key: keyof Parameters;
  readonly query: string;
  read(text: string, into: Parameters): void;
  write(from: Parameters): string | null;
}

function field<K extends keyof Parameters>(
  key: K,
  query: string,
  parse: (text: string) => Parameters[K],
  format: (value: Parameters[K]) => string = String,
): QueryField {
  return {
    key,
    query,
    read: (text, into) => {
      into[key] = parse(text);
    },
    write: (from) => format(from[key]),
  };
}

/**
 * The dimension of a run: the panel's for the vector model; the azimuthal model's one angular
 * velocity per electron has none, and the dim the panel keeps for the vector model is not its.
 */
export function runDimension(p: Pick<Parameters, 'model' | 'dim'>): Dimension {
  return p.model === 'vector' ? p.dim : kDefaults.dim;
}

/** Each dimension field and the model field it belongs to. */
const kModelOfDimension = { dim: 'model', responseDim: 'responseModel' } as const;

/**
 * A dimension, in the link only beside the vector model, as the CLI takes --dim only there: the
 * azimuthal model's one angular velocity per electron has none (see parametersFromQuery).
 */
function dimensionField(key: keyof typeof kModelOfDimension, query: string): QueryField {
  return {
    key,
    query,
    read: (text, into) => {
      into[key] = input.parseDimension(text, query);
    },
    write: (from) => (from[kModelOfDimension[key]] === 'vector' ? String(from[key]) : null),
  };
}

const kFields: QueryField[] = [
  field('source', 'geometry', (text) => (text === 'file' ? text : input.parseGeometryName(text, 'geometry'))),
  field('n', 'n', parseN),
  field('model', 'model', (text) => input.parseModel(text, 'model')),
  dimensionField('dim', 'dim'),
  // eps and radius_m: exactly one is written (the one the user gave), as the CLI takes exactly one.
  {
    key: 'epsilon',
    query: 'eps',
    read: (text, into) => {
      into.epsilon = parseEpsilon(text);
      into.radiusMetres = radiusFromEpsilon(into.epsilon);
      into.scale = 'epsilon';
    },
    write: (from) => (from.scale === 'epsilon' ? String(from.epsilon) : null),
  },
  {
    key: 'radiusMetres',
    query: 'radius_m',
    read: (text, into) => {
      into.radiusMetres = parseRadius(text);
      into.epsilon = epsilonFromRadius(into.radiusMetres);
      into.scale = 'radius';
    },
    write: (from) =>
      from.scale === 'radius' ? (from.radiusMetres === Infinity ? '∞' : String(from.radiusMetres)) : null,
  },
  field('softening', 'softening', parseSoftening),
  field('velocity', 'velocity', (text) =>
    text === 'file' ? text : input.parseVelocityPattern(text, 'velocity'),
  ),
  field('seed', 'seed', parseSeed),
  field('solver', 'solver', (text) => input.parseSolver(text, 'solver')),
  field('tolerance', 'tol', parseTolerance),
  field('maxIterations', 'max_iter', parseMaxIterations, formatMaxIterations),
  field('matrix', 'matrix', (text) => input.parseMatrix(text, 'matrix')),
  field('lanczosTolerance', 'lanczos_tol', parseLanczosTolerance),
  field('lanczosBasis', 'lanczos_basis', parseLanczosBasis),
  field('lanczosSeed', 'lanczos_seed', parseLanczosSeed),
  field('check', 'check', parseCheck, (value) => (value ? '1' : '0')),
  field('treeTolerance', 'tree_tol', parseTreeTolerance),
  field('colourBy', 'colour', oneOf(kColourQuantities, 'colour')),
  field('arrows', 'arrows', oneOf(kArrowQuantities, 'arrows')),
  field('pointScale', 'point', parsePointScale),
  field('view', 'view', oneOf(['auto', '3d', '2d'] as const, 'view')),
  field('run', 'run', oneOf(kActions, 'run')),
  field('londonGeometry', 'london_geometry', oneOf(kLondonGeometries, 'london_geometry')),
  field('londonN', 'london_n', parseLondonN),
  field('londonGrid', 'london_grid', parseLondonGrid),
  field('londonHalfHeight', 'london_half_height', parseHalfHeight),
  field('larmorN', 'larmor_n', parseLarmorN),
  field('larmorFieldTesla', 'larmor_b_tesla', parseFieldTesla),
  field('larmorRadiusMetres', 'larmor_radius_m', parseLarmorRadius),
  field('scalingGeometry', 'scaling_geometry', oneOf(kScalingGeometries, 'scaling_geometry')),
  field('scalingModel', 'scaling_model', oneOf(kModelNames, 'scaling_model')),
  field('scalingNMin', 'scaling_n_min', parseScalingN),
  field('scalingNMax', 'scaling_n_max', parseScalingN),
  field('scalingPoints', 'scaling_points', parseScalingPoints),
  field('responseGeometry', 'response_geometry', oneOf(kGeometryNames, 'response_geometry')),
  field('responseNs', 'response_n', parseResponseNList),
  field('responseModel', 'response_model', oneOf(kModelNames, 'response_model')),
  dimensionField('responseDim', 'response_dim'),
  field('responseDrive', 'response_drive', oneOf(kDriveNames, 'response_drive')),
  field('responseNEpsilon', 'response_n_epsilon', parseResponseNEpsilons),
  field('responseGrid', 'response_grid', parseResponseGrid),
];

export type FieldErrors = Partial<Record<keyof Parameters, string>>;

/** Inputs that the panel sets through another field: a file loaded for a source or the velocities. */
const kPanelFieldOfInput: Readonly<Record<string, keyof Parameters>> = {
  positions: 'source',
  velocities: 'velocity',
  momenta: 'velocity',
};

/**
 * Where the panel shows a refusal: beside a field, beside Files › load (a loaded file's, field
 * 'result'), or beside the actions.
 */
export type PanelTarget = keyof Parameters | 'actions' | 'files';

/** The panel field an InputError's `field` belongs to; 'actions' when it names none. */
export function panelField(field: string | null): PanelTarget {
  if (field === null) return 'actions';
  if (field === 'result') return 'files';
  const key = kPanelFieldOfInput[field] ?? field;
  return key in kDefaults ? (key as keyof Parameters) : 'actions';
}

/** Every query key a link may hold, in the panel's order. */
export const kQueryKeys: readonly string[] = kFields.map((f) => f.query);

/**
 * The parameters a query string describes, over the defaults; a bad value keeps the default and
 * is reported under its field. An empty query is the first-load scenario. `unknown`: the keys no
 * field reads (there is no field to mark), in the link's order.
 */
export function parametersFromQuery(search: string): {
  parameters: Parameters;
  errors: FieldErrors;
  unknown: string[];
} {
  const query = new URLSearchParams(search);
  const unknown = [...new Set(query.keys())].filter((key) => !kQueryKeys.includes(key));
  const parameters: Parameters = { ...kDefaults };
  const errors: FieldErrors = {};
  // Which of the two scales a link meant is not ours to guess: neither is taken, both are marked.
  if (query.has('eps') && query.has('radius_m')) {
    errors.epsilon = errors.radiusMetres = 'give either eps or radius_m in the link, not both';
  }
  for (const f of kFields) {
    const texts = query.getAll(f.query);
    if (texts.length > 1) {
      // Which of two values a link meant is not ours to guess.
      errors[f.key] = `${f.query} is given ${texts.length} times in the link`;
      continue;
    }
    const text = texts[0] ?? null;
    if (text === null || errors[f.key]) continue;
    try {
      f.read(text, parameters);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      errors[f.key] = error.message;
    }
  }
  // The azimuthal model's one angular velocity per electron has no dimension: a valid dim beside it
  // is ignored (the panel shows it disabled), so neither the run nor the link rewritten carries it.
  for (const key of Object.keys(kModelOfDimension) as (keyof typeof kModelOfDimension)[]) {
    if (parameters[kModelOfDimension[key]] === 'azimuthal') parameters[key] = kDefaults[key];
  }
  return { parameters, errors, unknown };
}

/** The query string of a run: every field, so that a link does not depend on today's defaults. */
export function queryFromParameters(parameters: Parameters): string {
  const query = new URLSearchParams();
  for (const f of kFields) {
    const text = f.write(parameters);
    if (text !== null) query.set(f.query, text);
  }
  return query.toString();
}
