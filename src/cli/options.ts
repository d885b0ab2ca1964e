// Options shared by the commands that describe a system of electrons, and their validation.
// Every mistake is an InputError: the CLI turns it into one `error: ...` line and exit status 2.
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { epsilonFromRadius, radiusFromEpsilon } from '../physics/constants.ts';
import {
  geometry,
  isGeometryName,
  kGeometryNames,
  parsePositionsCsv,
  type Configuration,
} from '../physics/geometry.ts';
import { InputError } from '../physics/input-error.ts';
import { kModelNames, validateSystem, type DarwinSystem, type ModelName } from '../physics/models.ts';

type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export const kSystemOptions = {
  geometry: { type: 'string' },
  n: { type: 'string' },
  positions: { type: 'string' },
  model: { type: 'string', default: 'vector' },
  dim: { type: 'string', default: '3' },
  epsilon: { type: 'string' },
  'radius-m': { type: 'string' },
  softening: { type: 'string', default: '0' },
} as const satisfies OptionSpec;

export const kCommonOptions = {
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies OptionSpec;

export const kSystemHelp = `Configuration (one of):
  --geometry NAME --n N   ${kGeometryNames.join('|')}, N electrons, unit radius R = 1
  --positions FILE        CSV with header x,y or x,y,z (units of R)
Model:
  --model vector|azimuthal   vector: velocities v_i (M = I + eps T, the Oseen tensor);
                             azimuthal: angular velocities about z (M_ij as eq. 47/48)   [vector]
  --dim 2|3                  velocity components in the vector model (2 needs z = 0)     [3]
  --epsilon E | --radius-m R exactly one: eps = r_e/R, or the sample radius R in metres
  --softening A              r_ij -> sqrt(r_ij^2 + A^2), units of R (a thickness, cf. eq. 45) [0]`;

/** parseArgs with strict checking, its TypeError turned into an InputError naming the flag. */
export function parseCommandArgs<T extends OptionSpec>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  } catch (error) {
    throw new InputError((error as Error).message.replace(/\. To specify a positional.*$/s, ''));
  }
}

/** A finite number, refusing NaN, empty strings and trailing junk ('3x'). */
export function parseNumber(
  flag: string,
  text: string | undefined,
  check?: (x: number) => string | null,
): number {
  const value = text === undefined || text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(value)) throw new InputError(`--${flag} needs a finite number, got '${text ?? ''}'`);
  const problem = check?.(value);
  if (problem) throw new InputError(`--${flag} ${problem}, got ${text}`);
  return value;
}

export const positive = (x: number) => (x > 0 ? null : 'must be > 0');
export const nonNegative = (x: number) => (x >= 0 ? null : 'must be >= 0');
export const positiveInteger = (x: number) =>
  Number.isInteger(x) && x >= 1 ? null : 'must be an integer >= 1';
export const nonNegativeInteger = (x: number) =>
  Number.isInteger(x) && x >= 0 ? null : 'must be an integer >= 0';

export function readTextFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(`cannot read ${path}${code ? ` (${code})` : ''}`);
  }
}

export interface SystemChoice {
  system: DarwinSystem;
  /** R in metres when --radius-m was given, else the R that eps implies. */
  radiusMetres: number;
}

type SystemValues = { [K in keyof typeof kSystemOptions]?: string };

export function systemFromOptions(values: SystemValues): SystemChoice {
  const configuration = configurationFromOptions(values);
  const model = values.model ?? 'vector';
  if (!(kModelNames as readonly string[]).includes(model)) {
    throw new InputError(`--model must be one of ${kModelNames.join('|')}, got '${model}'`);
  }
  const dimText = values.dim ?? '3';
  if (dimText !== '2' && dimText !== '3') throw new InputError(`--dim must be 2 or 3, got '${dimText}'`);
  if ((values.epsilon === undefined) === (values['radius-m'] === undefined)) {
    throw new InputError('give exactly one of --epsilon E or --radius-m R');
  }
  let epsilon: number;
  let radiusMetres: number;
  if (values.epsilon !== undefined) {
    epsilon = parseNumber('epsilon', values.epsilon, nonNegative);
    radiusMetres = radiusFromEpsilon(epsilon);
  } else {
    radiusMetres = parseNumber('radius-m', values['radius-m'], positive);
    epsilon = epsilonFromRadius(radiusMetres);
  }
  const softening = parseNumber('softening', values.softening ?? '0', nonNegative);
  const system: DarwinSystem = {
    configuration,
    model: model as ModelName,
    dim: dimText === '2' ? 2 : 3,
    epsilon,
    softening,
  };
  validateSystem(system);
  return { system, radiusMetres };
}

function configurationFromOptions(values: SystemValues): Configuration {
  if (values.positions !== undefined) {
    if (values.geometry !== undefined || values.n !== undefined) {
      throw new InputError('give either --positions FILE or --geometry NAME --n N, not both');
    }
    return parsePositionsCsv(readTextFile(values.positions), values.positions);
  }
  if (values.geometry === undefined) throw new InputError('give --geometry NAME --n N, or --positions FILE');
  if (!isGeometryName(values.geometry)) {
    throw new InputError(`--geometry must be one of ${kGeometryNames.join('|')}, got '${values.geometry}'`);
  }
  if (values.n === undefined) throw new InputError('--geometry needs --n N');
  return geometry(values.geometry, parseNumber('n', values.n, positiveInteger));
}
