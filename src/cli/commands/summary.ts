// What every command returns, and how a summary object becomes readable text.
import { collectiveParameter } from '../../physics/constants.ts';
import { blockSize, unknowns, type DarwinSystem } from '../../physics/models.ts';

export interface CommandOutput {
  /** The command's --help text: printed on stdout, exit 0. */
  help?: string;
  json?: boolean;
  summary?: Record<string, unknown>;
  text?: string;
}

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

function formatValue(value: unknown): string {
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return String(value);
    const magnitude = Math.abs(value);
    return magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e6)
      ? value.toExponential(6)
      : value.toPrecision(8);
  }
  if (value === null || value === undefined) return '-';
  return String(value);
}

/** Nested objects are flattened to dotted keys, one `key  value` line each, keys aligned. */
export function printSummary(summary: Record<string, unknown>): string {
  const rows: [string, string][] = [];
  const walk = (object: Record<string, unknown>, prefix: string) => {
    for (const [key, value] of Object.entries(object)) {
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
        walk(value as Record<string, unknown>, `${prefix}${key}.`);
      } else rows.push([prefix + key, formatValue(value)]);
    }
  };
  walk(summary, '');
  const width = Math.max(...rows.map(([key]) => key.length));
  return rows.map(([key, value]) => `${key.padEnd(width)}  ${value}`).join('\n') + '\n';
}
