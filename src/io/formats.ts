// The file formats shared by the CLI and the browser app (README "File formats"), free of Node and
// DOM APIs so that both import this one copy:
//   velocities  vx,vy[,vz] (vector model, dim columns)  or  omega (azimuthal: phidot_i)
//   momenta     px,py[,pz]                              or  J     (azimuthal: J_i of eq. 47)
//   results     one row per electron x,y,z,<velocity columns>,<momentum columns>, or the JSON of
//               `solve --out FILE.json`, whose "configuration" and "device" objects are built here.
// Rows are electrons in configuration order; values in units of m, R and 1/time.
import type { GpuContext } from '../gpu/device.ts';
import { collectiveParameter } from '../physics/constants.ts';
import { parseNumericCsv } from '../physics/geometry.ts';
import { InputError } from '../physics/input-error.ts';
import { blockSize, unknowns, type DarwinSystem } from '../physics/models.ts';

export type Quantity = 'velocities' | 'momenta';

export function csvColumns(system: Pick<DarwinSystem, 'model' | 'dim'>, quantity: Quantity): string[] {
  const size = blockSize(system);
  if (size === 1) return [quantity === 'velocities' ? 'omega' : 'j'];
  const prefix = quantity === 'velocities' ? 'v' : 'p';
  return ['x', 'y', 'z'].slice(0, size).map((axis) => prefix + axis);
}

/** A per-electron CSV as a flat particle-major vector of the system's unknowns. */
export function parseQuantityCsv(
  text: string,
  source: string,
  system: DarwinSystem,
  quantity: Quantity,
): Float64Array {
  const columns = csvColumns(system, quantity);
  const csv = parseNumericCsv(text, source, [columns], quantity);
  const n = system.configuration.n;
  if (csv.values.length !== n) {
    throw new InputError(
      `${source}: ${csv.values.length} rows of ${quantity}, but the configuration has N = ${n}`,
      quantity,
    );
  }
  const order = columns.map((name) => csv.columns.indexOf(name));
  const vector = new Float64Array(n * columns.length);
  csv.values.forEach((row, i) =>
    order.forEach((column, k) => (vector[i * columns.length + k] = row[column])),
  );
  return vector;
}

/** One row per electron: x,y,z, the velocity columns, the momentum columns. */
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

/** The "device" object of every JSON result. */
export interface DeviceSummary {
  kind: 'gpu' | 'cpu';
  vendor?: string;
  architecture?: string;
  description?: string;
  is_fallback_adapter?: boolean;
  swiftshader?: boolean;
  backend?: string;
  timestamp_query?: boolean;
  subgroups?: boolean;
}

export const kCpuDevice: DeviceSummary = { kind: 'cpu', description: 'float64 CPU reference' };

export function describeDevice(context: GpuContext): DeviceSummary {
  const info = context.adapterInfo;
  return {
    kind: 'gpu',
    vendor: info.vendor,
    architecture: info.architecture,
    description: info.description,
    is_fallback_adapter: info.isFallbackAdapter,
    swiftshader: info.swiftshader,
    backend: info.backend,
    timestamp_query: context.hasTimestampQuery,
    subgroups: context.hasSubgroups,
  };
}
