// Files in and out of the page, in the CLI's formats (README "File formats"): CSV of positions,
// velocities or momenta dropped or chosen by the user, and the results as the CLI's
// `solve --out FILE.json` object or `--out FILE.csv` table, which load back.
import type { Configuration } from '../physics/geometry.ts';
import type { Quantity } from '../io/formats.ts';
import { InputError } from '../physics/input-error.ts';
import { blockSize, kModelNames, type Dimension, type ModelName } from '../physics/models.ts';

/** What a dropped CSV holds, told by its header (the columns of each format are distinct). */
export type CsvKind = 'positions' | Quantity;

export function csvKind(text: string): CsvKind | null {
  const header = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .find((line) => line !== '' && !line.startsWith('#'));
  if (!header) return null;
  const columns = header.split(',').map((c) => c.trim().toLowerCase());
  if (columns.includes('x')) return 'positions';
  if (columns.some((c) => c === 'omega' || c.startsWith('v'))) return 'velocities';
  if (columns.some((c) => c === 'j' || c.startsWith('p'))) return 'momenta';
  return null;
}

/** A result saved by this page or by the CLI's `solve --out FILE.json`. */
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

function numberArray(value: unknown, what: string, length: number | null): Float64Array {
  if (!Array.isArray(value) || value.some((x) => typeof x !== 'number' || !Number.isFinite(x)))
    throw new InputError(`${what} must be an array of finite numbers`);
  if (length !== null && value.length !== length)
    throw new InputError(`${what} has ${value.length} entries, expected ${length}`);
  return Float64Array.from(value as number[]);
}

/** Parses a result JSON, refusing one that does not describe a configuration it can rebuild. */
export function parseSavedResult(text: string, name: string): SavedResult {
  let object: Record<string, unknown>;
  try {
    object = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new InputError(`${name}: not valid JSON`);
  }
  const configuration = object.configuration as Record<string, unknown> | undefined;
  if (!configuration || typeof configuration !== 'object')
    throw new InputError(`${name}: no "configuration" object (save it with solve --out FILE.json)`);
  const n = configuration.n;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1)
    throw new InputError(`${name}: configuration.n is not N >= 1`);
  const model = configuration.model;
  if (!(kModelNames as readonly unknown[]).includes(model))
    throw new InputError(`${name}: configuration.model must be vector or azimuthal`);
  const dim: Dimension = configuration.dim === 2 ? 2 : 3;
  const epsilon = configuration.epsilon;
  if (typeof epsilon !== 'number' || !(epsilon >= 0))
    throw new InputError(`${name}: configuration.epsilon is not >= 0`);
  const softening = typeof configuration.softening === 'number' ? configuration.softening : 0;
  const positions = numberArray(object.positions, `${name}: positions`, 3 * n);
  const size = n * blockSize({ model: model as ModelName, dim });
  const optional = (key: string) =>
    object[key] === undefined || object[key] === null
      ? null
      : numberArray(object[key], `${name}: ${key}`, size);
  const history = Array.isArray(object.history) ? (object.history as unknown[]).map(Number) : [];
  // The summary is everything but the per-electron arrays.
  const summary = Object.fromEntries(
    Object.entries(object).filter(
      ([key]) => !['positions', 'velocities', 'momenta', 'history'].includes(key),
    ),
  );
  return {
    configuration: {
      n,
      positions,
      source: typeof configuration.source === 'string' ? configuration.source : name,
    },
    model: model as ModelName,
    dim,
    epsilon,
    radiusMetres: typeof configuration.radius_m === 'number' ? configuration.radius_m : null,
    softening,
    velocities: optional('velocities'),
    momenta: optional('momenta'),
    history,
    summary,
  };
}

/** Offers `text` as a download named `name`. */
export function download(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  // The click has started the download by the time the event loop comes back.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
