// Options shared by the commands that describe a system of electrons: flags over the parsers of
// src/run/inputs.ts, which the app's fields share. Every mistake is an InputError: the CLI turns it
// into one `error: ...` line and exit status 2.
import { constants } from 'node:buffer';
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { epsilonFromRadius, radiusFromEpsilon } from '../physics/constants.ts';
import {
  geometry,
  kGeometryNames,
  parsePositionsCsv,
  positionsCsvLines,
  type Configuration,
} from '../physics/geometry.ts';
import { InputError } from '../physics/input-error.ts';
import { kResultHeaders } from '../io/formats.ts';
import {
  CoincidentElectronsError,
  validateSystem,
  type DarwinSystem,
  type SystemSize,
} from '../physics/models.ts';
import {
  didYouMean,
  nonNegative,
  nonNegativeInteger,
  parseDimensionFor,
  parseElectronCount,
  parseEpsilon,
  parseGeometryName,
  parseModel,
  parseNumber as parseInputNumber,
  parseRadiusMetres,
  parseSoftening,
  positive,
  positiveInteger,
  type Check,
} from '../run/inputs.ts';

type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export const kSystemOptions = {
  geometry: { type: 'string' },
  n: { type: 'string' },
  positions: { type: 'string' },
  model: { type: 'string', default: 'vector' },
  dim: { type: 'string' },
  epsilon: { type: 'string' },
  'radius-m': { type: 'string' },
  softening: { type: 'string', default: '0' },
} as const satisfies OptionSpec;

export const kCommonOptions = {
  json: { type: 'boolean', default: false },
  // Read by main.ts before the command parses its flags (Progress.detail); listed so that every
  // command accepts it.
  verbose: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies OptionSpec;

export const kSystemHelp = `Configuration (one of):
  --geometry NAME --n N   ${kGeometryNames.join('|')}, N electrons, unit radius R = 1
  --positions FILE        CSV with header x,y or x,y,z (units of R), or a solve --out CSV
Model:
  --model vector|azimuthal   vector: velocities v_i (M = I + eps T, the Oseen tensor);
                             azimuthal: angular velocities about z (M_ij as eq. 47/48)   [vector]
  --dim 2|3                  velocity components in the vector model (2 needs z = 0)     [3]
  --epsilon E | --radius-m R exactly one: eps = r_e/R, or the sample radius R in metres
  --softening A              r_ij -> sqrt(r_ij^2 + A^2), units of R (a thickness, cf. eq. 45) [0]`;

/** parseArgs with strict checking, its TypeError turned into an InputError naming the flag. */
export function parseCommandArgs<T extends OptionSpec>(
  argv: string[],
  options: T,
  { positionals = false }: { positionals?: boolean } = {},
) {
  let parsed;
  try {
    parsed = parseArgs({
      args: joinNegativeValues(argv, options),
      options,
      strict: true,
      allowPositionals: positionals,
      tokens: true,
    });
  } catch (error) {
    throw new InputError(argumentProblem(error as Error & { code?: string }, options));
  }
  refuseRepeats(parsed.tokens, options);
  return { values: parsed.values, positionals: parsed.positionals };
}

/**
 * An option given twice that takes one value: parseArgs keeps the last, so `--n 30 --n 40` would
 * run N = 40 without a word, and `--device cpu ... --device gpu` would start the CPU's worker thread
 * for a GPU run.
 */
function refuseRepeats(tokens: readonly { kind: string; name?: string }[], options: OptionSpec): void {
  const seen = new Set<string>();
  for (const token of tokens) {
    if (token.kind !== 'option' || !token.name) continue;
    const { name } = token;
    if (options[name]?.multiple) continue;
    if (seen.has(name)) throw new InputError(`--${name} is given more than once; give it once`, name);
    seen.add(name);
  }
}

/** A value that starts like a flag but is a number: -1, -.5, -1e-3, -Infinity. */
const kNegativeNumber = /^-(\d|\.\d|inf)/i;

/**
 * `--tol -1` as `--tol=-1`: parseArgs reads a value that starts with a dash as the next flag, but a
 * negative number after an option that takes a value is that option's value (and then refused, or
 * not, by the option's own check, in its own words).
 */
function joinNegativeValues(argv: readonly string[], options: OptionSpec): string[] {
  const joined: string[] = [];
  for (let k = 0; k < argv.length; k++) {
    const name = argv[k].startsWith('--') ? argv[k].slice(2) : null;
    const next = argv[k + 1];
    if (name && options[name]?.type === 'string' && next !== undefined && kNegativeNumber.test(next)) {
      joined.push(`${argv[k]}=${next}`);
      k++;
    } else joined.push(argv[k]);
  }
  return joined;
}

/** parseArgs' refusal in this program's words: one line that names the flag. */
function argumentProblem(error: Error & { code?: string }, options: OptionSpec): string {
  const flag = /'(--?[^' ]+)/.exec(error.message)?.[1] ?? '';
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const known = Object.keys(options).map((name) => `--${name}`);
      return `unknown option ${flag}${didYouMean(flag, known)}; --help lists the options`;
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${/'([^']*)'/.exec(error.message)?.[1] ?? ''}: every input is given by an option (--help)`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/does not take an argument/.test(error.message)) return `${flag} takes no value`;
      if (/ambiguous/.test(error.message))
        return `${flag} needs a value, and the next argument is an option (write ${flag}=VALUE for a value that starts with -)`;
      return `${flag} needs a value`;
    default:
      return error.message.split('\n')[0];
  }
}

/** A number flag, held to `check`: an InputError naming `--flag`, whose field is the flag's name. */
export function parseNumber(flag: string, text: string | undefined, check?: Check): number {
  return parseInputNumber(flag, `--${flag}`, text, check);
}

export { positive, nonNegative, positiveInteger, nonNegativeInteger };

/**
 * A file's text; `field` names the input it was given for ('positions', 'velocities', 'momenta'),
 * and `flag` the option that takes its name, in the message for an empty one. A device is refused
 * unread: /dev/zero or /dev/urandom never end, and reading one took all memory. A pipe (`<(...)`,
 * /dev/stdin) is read to its end, up to the longest string a text can be.
 */
export function readTextFile(path: string, field: string, flag = `--${field}`): string {
  // readFileSync('') would say ENOENT of a name the message could not show.
  if (path === '') throw new InputError(`${flag} needs a file name, got ''`, field);
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const stat = fstatSync(fd);
    if (stat.isCharacterDevice() || stat.isBlockDevice())
      throw new InputError(`cannot read ${path}: a device, not a file`, field);
    return stat.isFile() ? readFileSync(fd, 'utf8') : readPipe(fd, path, field);
  } catch (error) {
    if (error instanceof InputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(`cannot read ${path}${code ? ` (${code})` : ''}`, field);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** A pipe's text to its end, refused past the longest string V8 holds (a pipe has no size to check first). */
function readPipe(fd: number, path: string, field: string): string {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(1 << 20);
    const read = readSync(fd, chunk);
    if (read === 0) return Buffer.concat(chunks, bytes).toString('utf8');
    bytes += read;
    if (bytes > constants.MAX_STRING_LENGTH)
      throw new InputError(
        `cannot read ${path}: longer than ${constants.MAX_STRING_LENGTH} bytes, the longest text Node holds`,
        field,
      );
    chunks.push(chunk.subarray(0, read));
  }
}

export interface SystemChoice {
  system: DarwinSystem;
  /** R in metres when --radius-m was given, else the R that eps implies. */
  radiusMetres: number;
}

type SystemValues = { [K in keyof typeof kSystemOptions]?: string };

/**
 * N and the model of a generated configuration (--geometry NAME --n N, no --positions), read as
 * systemFromOptions reads them, or null: what a large run checks before its positions exist.
 */
export function generatedSystemSize(values: SystemValues): SystemSize | null {
  if (values.positions !== undefined || values.geometry === undefined || values.n === undefined) return null;
  const model = parseModel(values.model ?? 'vector', '--model');
  const dim = parseDimensionFor(model, values.dim, '--dim', '--model');
  parseGeometryName(values.geometry, '--geometry');
  return { configuration: { n: parseElectronCount(values.n, '--n') }, model, dim };
}

/**
 * The system the flags describe. `checkSize` hears its N and model before the positions are
 * generated, or before a file's are checked for coincident electrons (a sort of all N), so that a
 * size the run cannot hold is refused at once, not after seconds of setup.
 */
export function systemFromOptions(
  values: SystemValues,
  checkSize: (size: SystemSize) => void = () => {},
): SystemChoice {
  const model = parseModel(values.model ?? 'vector', '--model');
  const dim = parseDimensionFor(model, values.dim, '--dim', '--model');
  const { configuration, lineOf } = configurationFromOptions(values, (n) =>
    checkSize({ configuration: { n }, model, dim }),
  );
  if ((values.epsilon === undefined) === (values['radius-m'] === undefined)) {
    throw new InputError('give exactly one of --epsilon E or --radius-m R', 'epsilon');
  }
  let epsilon: number;
  let radiusMetres: number;
  if (values.epsilon !== undefined) {
    epsilon = parseEpsilon(values.epsilon, '--epsilon');
    radiusMetres = radiusFromEpsilon(epsilon);
  } else {
    radiusMetres = parseRadiusMetres(values['radius-m'], '--radius-m');
    epsilon = epsilonFromRadius(radiusMetres);
  }
  const softening = parseSoftening(values.softening ?? '0', '--softening');
  const system: DarwinSystem = { configuration, model, dim, epsilon, softening };
  try {
    validateSystem(system);
  } catch (error) {
    if (error instanceof CoincidentElectronsError) {
      // Named in the file, as its other refusals are: 'p.csv: electrons 0 and 2 (lines 2 and 4) ...'.
      const [a, b] = error.pair;
      const where = lineOf ? `${values.positions}: ` : '';
      const lines = lineOf ? ` (lines ${lineOf(a)} and ${lineOf(b)})` : '';
      throw new InputError(
        `${where}electrons ${a} and ${b}${lines} are at the same place; use --softening A > 0`,
        error.field,
      );
    }
    throw error;
  }
  return { system, radiusMetres };
}

/**
 * The configuration of the flags, and for a --positions file the file's line of each electron (for a
 * refusal that names them).
 */
function configurationFromOptions(
  values: SystemValues,
  checkSize: (n: number) => void,
): { configuration: Configuration; lineOf?: (electron: number) => number } {
  if (values.positions !== undefined) {
    if (values.geometry !== undefined || values.n !== undefined) {
      throw new InputError('give either --positions FILE or --geometry NAME --n N, not both', 'source');
    }
    const path = values.positions;
    const text = readTextFile(path, 'positions');
    const configuration = parsePositionsCsv(text, path, kResultHeaders);
    checkSize(configuration.n);
    return { configuration, lineOf: (i) => positionsCsvLines(text, path, kResultHeaders)[i] };
  }
  if (values.geometry === undefined) {
    throw new InputError('give --geometry NAME --n N, or --positions FILE', 'source');
  }
  const name = parseGeometryName(values.geometry, '--geometry');
  if (values.n === undefined) throw new InputError('--geometry needs --n N', 'n');
  const n = parseElectronCount(values.n, '--n');
  checkSize(n);
  return { configuration: geometry(name, n) };
}
