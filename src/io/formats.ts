// The file formats shared by the CLI and the browser app (README "File formats"), and the device's
// name and byte sizes in their messages, free of Node and DOM APIs so that both, and every layer
// below them, import this one copy:
//   velocities  vx,vy[,vz] (vector model, dim columns)  or  omega (azimuthal: phidot_i)
//   momenta     px,py[,pz]                              or  J     (azimuthal: J_i of eq. 47)
//   results     one row per electron x,y,z,<velocity columns>,<momentum columns>, or the JSON of
//               `solve --out FILE.json`, whose "configuration" and "device" objects are built here
//               and which is read back here.
// Rows are electrons in configuration order; values in units of m, R and 1/time.
import { version } from '../../package.json';
import type { GpuContext } from '../gpu/device.ts';
import { collectiveParameter } from '../physics/constants.ts';
import {
  commentedHeaderHint,
  csvHeaderNames,
  firstElectronApart,
  matchingHeader,
  parseNumericCsv,
  type Configuration,
  type NumericCsv,
} from '../physics/geometry.ts';
import { excerpt, InputError } from '../physics/input-error.ts';
import type { Energies } from '../physics/observables.ts';
import {
  blockSize,
  isModelName,
  unknowns,
  validateSystem,
  type DarwinSystem,
  type Dimension,
  type ModelName,
} from '../physics/models.ts';

export type Quantity = 'velocities' | 'momenta';

export function csvColumns(system: Pick<DarwinSystem, 'model' | 'dim'>, quantity: Quantity): string[] {
  const size = blockSize(system);
  // The azimuthal momentum is J (eq. 47), upper case as the paper writes it; files are read in any case.
  if (size === 1) return [quantity === 'velocities' ? 'omega' : 'J'];
  const prefix = quantity === 'velocities' ? 'v' : 'p';
  return ['x', 'y', 'z'].slice(0, size).map((axis) => prefix + axis);
}

/** The header of resultCsv for `system`'s model and dim. */
function resultHeader(system: Pick<DarwinSystem, 'model' | 'dim'>): string[] {
  return [...velocityResultHeader(system), ...csvColumns(system, 'momenta')];
}

/** The header of a result without momenta: positions beside velocities (`response --out`'s CSV). */
function velocityResultHeader(system: Pick<DarwinSystem, 'model' | 'dim'>): string[] {
  return ['x', 'y', 'z', ...csvColumns(system, 'velocities')];
}

const kBlockSystems: readonly Pick<DarwinSystem, 'model' | 'dim'>[] = [
  { model: 'azimuthal', dim: 3 },
  { model: 'vector', dim: 2 },
  { model: 'vector', dim: 3 },
];

/**
 * The headers of resultCsv and of a result without momenta, one each per block size: a saved
 * result also serves as a positions file.
 */
export const kResultHeaders: readonly string[][] = [
  ...kBlockSystems.map(resultHeader),
  ...kBlockSystems.map(velocityResultHeader),
];

/** The header of `response --out`'s CSV, whatever its model: positions beside velocityTriples. */
const kCartesianVelocityHeader = velocityResultHeader({ model: 'vector', dim: 3 });

/**
 * A per-electron CSV as a flat particle-major vector of the system's unknowns: the quantity's
 * columns alone, or a saved result of the same configuration (resultCsv; for velocities also one
 * without momenta, or with Cartesian velocities: velocitiesFromCartesian), whose positions must be
 * the system's (firstElectronApart).
 */
export function parseQuantityCsv(
  text: string,
  source: string,
  system: DarwinSystem,
  quantity: Quantity,
): Float64Array {
  const columns = csvColumns(system, quantity);
  const results = [resultHeader(system)];
  if (quantity === 'velocities') {
    results.push(velocityResultHeader(system));
    if (blockSize(system) !== 3) results.push(kCartesianVelocityHeader);
  }
  const csv = parseNumericCsv(text, source, [columns, ...results], quantity);
  const n = system.configuration.n;
  if (csv.values.length !== n) {
    throw new InputError(
      `${source}: ${csv.values.length} ${csv.values.length === 1 ? 'row' : 'rows'} of ${quantity}, but the configuration has N = ${n}`,
      quantity,
    );
  }
  if (csv.columns.includes('x')) checkSameConfiguration(csv, source, system.configuration, quantity);
  // vz where the system has none: response's Cartesian velocities.
  if (csv.columns.includes('vz') && blockSize(system) !== 3)
    return velocitiesFromCartesian(csv, source, system);
  const order = columns.map((name) => csv.columns.indexOf(name));
  const vector = new Float64Array(n * columns.length);
  csv.values.forEach((row, i) =>
    order.forEach((column, k) => (vector[i * columns.length + k] = row[column])),
  );
  return vector;
}

/**
 * Cartesian velocities (response --out's, whatever its model) as the unknowns of a system with
 * fewer per electron: vx, vy where vz is 0 (vector model, --dim 2); phidot_i = (r_i x v_i)_z / rho_i^2
 * where v_i lies along e_phi (azimuthal model, v_i = phidot_i z x r_i). Anything else is refused.
 */
function velocitiesFromCartesian(csv: NumericCsv, source: string, system: DarwinSystem): Float64Array {
  const [x, y, vx, vy, vz] = ['x', 'y', 'vx', 'vy', 'vz'].map((name) => csv.columns.indexOf(name));
  const azimuthal = system.model === 'azimuthal';
  const size = blockSize(system);
  const vector = new Float64Array(csv.values.length * size);
  csv.values.forEach((row, i) => {
    const rho2 = row[x] * row[x] + row[y] * row[y];
    // rho v_rho, zero to rounding for velocityTriples' phidot z x r.
    const radial = row[x] * row[vx] + row[y] * row[vy];
    const alongPhi = Math.abs(radial) <= 1e-12 * Math.sqrt(rho2) * Math.hypot(row[vx], row[vy]);
    if (row[vz] !== 0 || (azimuthal && !alongPhi)) {
      throw new InputError(
        `${source}:${csv.lines[i]}: electron ${i} has v = (${row[vx]}, ${row[vy]}, ${row[vz]}), ` +
          (azimuthal
            ? 'not along e_phi, as the azimuthal model needs'
            : 'not in the plane, as --dim 2 needs'),
        'velocities',
      );
    }
    if (azimuthal) vector[i] = (row[x] * row[vy] - row[y] * row[vx]) / rho2;
    else [vector[size * i], vector[size * i + 1]] = [row[vx], row[vy]];
  });
  return vector;
}

/** Refuses a saved result whose electrons are not where `configuration`'s are (firstElectronApart). */
function checkSameConfiguration(
  csv: NumericCsv,
  source: string,
  configuration: Configuration,
  field: string,
): void {
  const axes = ['x', 'y', 'z'].map((name) => csv.columns.indexOf(name));
  const saved = Float64Array.from(csv.values.flatMap((row) => axes.map((column) => row[column])));
  const i = firstElectronApart(configuration.positions, saved);
  if (i < 0) return;
  const at = (values: ArrayLike<number>) => `(${Array.from(values).join(', ')})`;
  throw new InputError(
    // Electrons are numbered from 0 in every message, as in the JSON's arrays; source:line finds the row.
    `${source}:${csv.lines[i]}: electron ${i} is at ${at(saved.subarray(3 * i, 3 * i + 3))}, the configuration's ` +
      `at ${at(configuration.positions.subarray(3 * i, 3 * i + 3))}: the results of another configuration`,
    field,
  );
}

/** One row per electron: x,y,z, the velocity columns, the momentum columns. */
export function resultCsv(
  system: DarwinSystem,
  velocities: ArrayLike<number>,
  momenta: ArrayLike<number>,
): string {
  const header = resultHeader(system);
  const size = blockSize(system);
  const lines = [header.join(',')];
  const { n, positions } = system.configuration;
  for (let i = 0; i < n; i++) {
    const cells = [positions[3 * i], positions[3 * i + 1], positions[3 * i + 2]];
    for (let k = 0; k < size; k++) cells.push(velocities[i * size + k]);
    for (let k = 0; k < size; k++) cells.push(momenta[i * size + k]);
    lines.push(cells.map((x) => String(x)).join(','));
  }
  return lines.join('\n') + '\n';
}

/** JSON that stays valid when a number is not finite (NaN and infinities become null), as the CLI's. */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, x) => {
      if (typeof x === 'number' && !Number.isFinite(x)) return null;
      if (x instanceof Float64Array || x instanceof Float32Array) return Array.from(x);
      return x;
    },
    2,
  );
}

/** The "configuration" object of every JSON result. */
export function configurationSummary(system: DarwinSystem, radiusMetres: number) {
  return {
    source: system.configuration.source,
    n: system.configuration.n,
    model: system.model,
    dim: system.model === 'vector' ? system.dim : null,
    unknowns: unknowns(system),
    block_size: blockSize(system),
    epsilon: system.epsilon,
    radius_m: radiusMetres,
    softening: system.softening,
    n_epsilon: collectiveParameter(system.configuration.n, system.epsilon),
  };
}

/**
 * The program's version (package.json's), which every JSON result records after its "command": the
 * same options need not give the same bits in another version. A file written before has none.
 */
export const kProgramVersion: string = version;

/** The "device" object of every JSON result. */
export interface DeviceSummary {
  kind: 'gpu' | 'cpu';
  vendor?: string;
  architecture?: string;
  /** The GPU's model (GpuAdapterSummary.model); a file written before files named it has none. */
  model?: string;
  description?: string;
  is_fallback_adapter?: boolean;
  swiftshader?: boolean;
  backend?: string;
  timestamp_query?: boolean;
  subgroups?: boolean;
}

export const kCpuDevice: DeviceSummary = { kind: 'cpu', description: 'float64 CPU reference' };

/**
 * The device in a line of text: vendor, architecture and model (an H100 and an H200 share the first
 * two), then the description in parentheses, each where the adapter gives it, or the kind alone
 * where it gives none of them.
 */
export function deviceName(device: DeviceSummary): string {
  const named = [device.vendor, device.architecture, device.model].filter(Boolean).join(' ');
  if (named && device.description) return `${named} (${device.description})`;
  return named || device.description || device.kind.toUpperCase();
}

/** Bytes in GB for messages: 1.18 GB, 32.5 GB, 3240.0 GB, 1.44e+9 GB (an exponent from 10^4 GB on). */
export function gigabytes(bytes: number): string {
  const value = bytes / 1e9;
  if (value >= 1e4) return `${value.toExponential(2)} GB`;
  return `${value < 10 ? value.toPrecision(3) : value.toFixed(1)} GB`;
}

/** Bytes in MB for messages, three digits: 0.128 MB, 72.1 MB, 648 MB. */
export function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toPrecision(3)} MB`;
}

/**
 * The device of a GPU run. A name the adapter does not give is left out, as the CPU's are, not
 * written "": a browser may withhold it (Chrome gives no description, only vendor and architecture).
 */
export function describeDevice(context: GpuContext): DeviceSummary {
  const info = context.adapterInfo;
  return {
    kind: 'gpu',
    ...(info.vendor ? { vendor: info.vendor } : {}),
    ...(info.architecture ? { architecture: info.architecture } : {}),
    ...(info.model ? { model: info.model } : {}),
    ...(info.description ? { description: info.description } : {}),
    is_fallback_adapter: info.isFallbackAdapter,
    swiftshader: info.swiftshader,
    backend: info.backend,
    timestamp_query: context.hasTimestampQuery,
    subgroups: context.hasSubgroups,
  };
}

/** What a dropped CSV holds, told by its header (the columns of each format are distinct). */
export type CsvKind = 'positions' | Quantity;

/**
 * The headers of each CSV the page loads, the readers' own (parsePositionsCsv with kResultHeaders,
 * parseQuantityCsv), so that a file csvKind names is one its reader takes, and a file it names none
 * of is not taken for one because a column begins with the same letter.
 */
const kCsvHeaders: readonly (readonly [CsvKind, readonly string[]])[] = [
  ...[['x', 'y'], ['x', 'y', 'z'], ...kResultHeaders].map((header) => ['positions', header] as const),
  ...(['velocities', 'momenta'] as const).flatMap((quantity) =>
    kBlockSystems.map((system) => [quantity, csvColumns(system, quantity)] as const),
  ),
];

/** The headers alone, as parseNumericCsv matches them. */
const kCsvHeaderNames = kCsvHeaders.map(([, header]) => header);

/** The lines of a CSV that are not blank, trimmed: comments ('#') and the rest. */
function csvLines(text: string): string[] {
  return text
    .split(/\r\n|\r|\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/** The header of a CSV: its first line that is no comment, if any. */
function csvHeader(text: string): string | undefined {
  return csvLines(text).find((line) => !line.startsWith('#'));
}

/** Whether a positions CSV is a saved result's (kResultHeaders): velocity and momentum columns beside x,y,z. */
export function isResultCsv(text: string): boolean {
  const header = csvHeader(text);
  return header !== undefined && matchingHeader(csvHeaderNames(header), kResultHeaders) !== undefined;
}

/** What a CSV holds, by the exact names of its header (the first line that is no comment); null for none. */
export function csvKind(text: string): CsvKind | null {
  const header = csvHeader(text);
  if (header === undefined) return null;
  const matched = matchingHeader(csvHeaderNames(header), kCsvHeaderNames);
  return matched ? kCsvHeaders[kCsvHeaderNames.indexOf(matched)][0] : null;
}

/**
 * Why a CSV csvKind names none of is refused, naming the file (`source`): the header it found (its
 * first columns) and the headers the page loads; where a comment holds one of them, that too.
 */
export function unknownCsvMessage(text: string, source: string): string {
  const lines = csvLines(text);
  const header = lines.find((line) => !line.startsWith('#'));
  const loads =
    'the page loads positions (x,y or x,y,z, or a saved result: x,y,z, its velocities and momenta), ' +
    'velocities (vx,vy or vx,vy,vz; omega) or momenta (px,py or px,py,pz; J), columns in any order and case';
  if (header === undefined)
    return `${source}: ${lines.length ? 'no header, only comments' : 'empty file'}: ${loads}`;
  const names = header.split(',').map((name) => name.trim());
  const shown = names.length > 4 ? `${names.slice(0, 4).join(',')},… (${names.length} columns)` : header;
  const hint = commentedHeaderHint(text, kCsvHeaderNames);
  return `${source}: header '${excerpt(shown, 80)}' is none of the page's CSVs: ${loads}${hint}`;
}

/** A result saved by the app or by the CLI's `solve --out FILE.json` (src/run/report.ts solveJson). */
export interface SavedResult {
  readonly configuration: Configuration;
  readonly model: ModelName;
  readonly dim: Dimension;
  readonly epsilon: number;
  readonly radiusMetres: number | null;
  readonly softening: number;
  readonly velocities: Float64Array | null;
  readonly momenta: Float64Array | null;
  readonly history: number[];
  readonly summary: Record<string, unknown>;
}

/**
 * `value` as finite numbers (`length` of them, unless null), refused in one line naming `what`;
 * `nullable`: a null entry, toJson's for a non-finite number, read as NaN.
 */
function numberArray(value: unknown, what: string, length: number | null, nullable = false): Float64Array {
  const entry = (x: unknown) => (typeof x === 'number' && Number.isFinite(x)) || (nullable && x === null);
  if (!Array.isArray(value) || !value.every(entry))
    throw new InputError(`${what} must be an array of finite numbers${nullable ? ' or null' : ''}`, 'result');
  if (length !== null && value.length !== length)
    throw new InputError(`${what} has ${value.length} entries, expected ${length}`, 'result');
  return Float64Array.from(value as (number | null)[], (x) => x ?? NaN);
}

/** A number of a loaded JSON object, or null where it has none. */
export function numberOf(object: Record<string, unknown>, key: string): number | null {
  const value = object[key];
  return typeof value === 'number' ? value : null;
}

/**
 * The energies a result's summary records (solve's `energies` and `inertia_ratio`), or null where it
 * has none: a round trip's are its given v's, which the file's solved-back velocities cannot give.
 */
export function savedEnergies(summary: Record<string, unknown>): Energies | null {
  const saved = summary.energies;
  if (typeof saved !== 'object' || saved === null) return null;
  const values = saved as Record<string, unknown>;
  const [kinetic, darwin, total] = ['kinetic', 'darwin', 'total'].map((key) => numberOf(values, key));
  if (kinetic === null || darwin === null || total === null) return null;
  return { kinetic, darwin, total, inertiaRatio: numberOf(summary, 'inertia_ratio') ?? NaN };
}

/**
 * A loaded file's JSON object; anything else (not JSON, an array, a number, null) is refused, naming
 * `field`, and where the parser says where it stopped, the line and column. A leading byte-order mark
 * (Windows Notepad's, PowerShell's UTF-8) is read past, as the CSV readers read past it.
 */
export function parseJsonObject(text: string, name: string, field = 'result'): Record<string, unknown> {
  const json = text.startsWith('\uFEFF') ? text.slice(1) : text;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new InputError(`${name}: not valid JSON${whereJsonFails(json, (error as Error).message)}`, field);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new InputError(`${name}: not a JSON object`, field);
  return value as Record<string, unknown>;
}

/**
 * Where JSON.parse stopped in `text`, from its `message`: ' at line L, column C' where it gives a
 * position (V8: 'at position P', Firefox: 'at line L column C'), ' (it ends early: cut short?)' at
 * the end of the input or past its last character but blanks (a file cut inside an array, where V8
 * expects a ',' at its very end), else nothing (V8 quotes the text instead, which may span lines).
 */
function whereJsonFails(text: string, message: string): string {
  const kCutShort = ' (it ends early: cut short?)';
  const lineColumn = /line (\d+) column (\d+)/.exec(message);
  if (lineColumn) return ` at line ${lineColumn[1]}, column ${lineColumn[2]}`;
  const position = /at position (\d+)/.exec(message);
  if (position) {
    const at = Number(position[1]);
    if (at >= text.trimEnd().length) return kCutShort;
    const before = text.slice(0, at).split('\n');
    return ` at line ${before.length}, column ${before[before.length - 1].length + 1}`;
  }
  return /end of (JSON input|data)/.test(message) ? kCutShort : '';
}

/**
 * A result JSON's object (parseJsonObject), refused unless it describes a configuration it can
 * rebuild, and one the panel, the link and a solve would take (validateSystem: a finite ε and
 * softening >= 0, no two electrons at one place without softening; R > 0), with a residual history
 * of finite numbers or null (NaN) and the solve's iterations and convergence of their types; errors
 * have the field 'result'.
 */
export function savedResult(object: Record<string, unknown>, name: string): SavedResult {
  const refuse = (why: string) => new InputError(`${name}: ${why}`, 'result');
  const configuration = object.configuration as Record<string, unknown> | undefined;
  if (!configuration || typeof configuration !== 'object')
    throw refuse('no "configuration" object (save it with solve --out FILE.json)');
  const n = configuration.n;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw refuse('configuration.n is not N >= 1');
  const model = configuration.model;
  if (!isModelName(model)) throw refuse('configuration.model must be vector or azimuthal');
  // null: the azimuthal model's, which has no dimension to choose (configurationSummary).
  const savedDim = configuration.dim ?? (model === 'vector' ? 3 : null);
  if (!(model === 'vector' ? savedDim === 2 || savedDim === 3 : savedDim === null || savedDim === 3))
    throw refuse(`configuration.dim is ${JSON.stringify(savedDim)}, not the ${model} model's`);
  const dim: Dimension = savedDim === 2 ? 2 : 3;
  const { epsilon, radius_m: radius } = configuration;
  const softening = configuration.softening ?? 0;
  for (const [key, value] of Object.entries({ epsilon, softening }))
    if (typeof value !== 'number') throw refuse(`configuration.${key} is not a number`);
  if (radius != null && !(Number.isFinite(radius) && (radius as number) > 0))
    throw refuse(`configuration.radius_m is ${JSON.stringify(radius)}, not R > 0 in metres`);
  // solve --json prints the summary alone: the run itself is --out FILE.json's.
  if (object.positions === undefined) {
    throw new InputError(
      `${name}: no "positions": solve --json prints no arrays, save the run with solve --out FILE.json`,
      'result',
    );
  }
  const positions = numberArray(object.positions, `${name}: positions`, 3 * n);
  const source = typeof configuration.source === 'string' ? configuration.source : name;
  const system: DarwinSystem = {
    configuration: { n, positions, source },
    model: model as ModelName,
    dim,
    epsilon: epsilon as number,
    softening: softening as number,
  };
  try {
    validateSystem(system);
  } catch (error) {
    throw error instanceof InputError ? refuse(error.message) : error;
  }
  const size = n * blockSize(system);
  const optional = (key: string) =>
    object[key] === undefined || object[key] === null
      ? null
      : numberArray(object[key], `${name}: ${key}`, size);
  // A solve records the non-finite residual it stops on (diverged_nan), which toJson writes as null:
  // NaN again, which the residual plot skips.
  const history =
    object.history == null ? [] : Array.from(numberArray(object.history, `${name}: history`, null, true));
  // A file of a spectrum alone has neither.
  const { iterations, converged } = object;
  if (iterations != null && !(Number.isSafeInteger(iterations) && (iterations as number) >= 0))
    throw refuse(`iterations is ${JSON.stringify(iterations)}, not a count of iterations`);
  if (converged != null && typeof converged !== 'boolean')
    throw refuse(`converged is ${JSON.stringify(converged)}, not true or false`);
  // The summary is everything but the per-electron arrays.
  const summary = Object.fromEntries(
    Object.entries(object).filter(
      ([key]) => !['positions', 'velocities', 'momenta', 'history'].includes(key),
    ),
  );
  return {
    configuration: system.configuration,
    model: system.model,
    dim,
    epsilon: system.epsilon,
    radiusMetres: typeof radius === 'number' ? radius : null,
    softening: system.softening,
    velocities: optional('velocities'),
    momenta: optional('momenta'),
    history,
    summary,
  };
}
