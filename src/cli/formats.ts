// File formats of the CLI (and of the app's downloads): per-electron CSV columns and the result JSON.
//   velocities  vx,vy[,vz] (vector model, dim columns)  or  omega (azimuthal: phidot_i)
//   momenta     px,py[,pz]                              or  J     (azimuthal: J_i of eq. 47)
// Rows are electrons in the order of the configuration; values in units of m, R and 1/time.
import { writeFileSync } from 'node:fs';
import { parseNumericCsv } from '../physics/geometry.ts';
import { InputError } from '../physics/input-error.ts';
import { blockSize, type DarwinSystem } from '../physics/models.ts';

export type Quantity = 'velocities' | 'momenta';

export function csvColumns(system: DarwinSystem, quantity: Quantity): string[] {
  const size = blockSize(system);
  if (size === 1) return [quantity === 'velocities' ? 'omega' : 'j'];
  const prefix = quantity === 'velocities' ? 'v' : 'p';
  return ['x', 'y', 'z'].slice(0, size).map((axis) => prefix + axis);
}

/** Reads a per-electron CSV into a flat particle-major vector of the system's unknowns. */
export function parseQuantityCsv(
  text: string,
  source: string,
  system: DarwinSystem,
  quantity: Quantity,
): Float64Array {
  const columns = csvColumns(system, quantity);
  const csv = parseNumericCsv(text, source, [columns]);
  const n = system.configuration.n;
  if (csv.values.length !== n) {
    throw new InputError(
      `${source}: ${csv.values.length} rows of ${quantity}, but the configuration has N = ${n}`,
    );
  }
  const order = columns.map((name) => csv.columns.indexOf(name));
  const vector = new Float64Array(n * columns.length);
  csv.values.forEach((row, i) =>
    order.forEach((column, k) => (vector[i * columns.length + k] = row[column])),
  );
  return vector;
}

/** One CSV with positions, velocities and momenta per electron (headers as the input formats). */
export function resultCsv(
  system: DarwinSystem,
  velocities: ArrayLike<number>,
  momenta: ArrayLike<number>,
): string {
  const velocityColumns = csvColumns(system, 'velocities');
  const momentumColumns = csvColumns(system, 'momenta').map((c) => (c === 'j' ? 'J' : c));
  const size = velocityColumns.length;
  const lines = [['x', 'y', 'z', ...velocityColumns, ...momentumColumns].join(',')];
  const { n, positions } = system.configuration;
  for (let i = 0; i < n; i++) {
    const cells = [positions[3 * i], positions[3 * i + 1], positions[3 * i + 2]];
    for (let k = 0; k < size; k++) cells.push(velocities[i * size + k]);
    for (let k = 0; k < size; k++) cells.push(momenta[i * size + k]);
    lines.push(cells.map((x) => String(x)).join(','));
  }
  return lines.join('\n') + '\n';
}

/** Writes `text` to `path`, turning a file-system failure into a user error that names the path. */
export function writeOutput(path: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(`cannot write ${path}${code ? ` (${code})` : ''}`);
  }
}

/** JSON that stays valid when a number is not finite (NaN and infinities become null). */
export function toJson(value: unknown, indent = 2): string {
  return JSON.stringify(
    value,
    (_key, x) => {
      if (typeof x === 'number' && !Number.isFinite(x)) return null;
      if (x instanceof Float64Array || x instanceof Float32Array) return Array.from(x);
      return x;
    },
    indent,
  );
}
