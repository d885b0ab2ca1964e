// The London study's options: defaults and limits that the CLI's flags and the app's Studies fields
// (and URL) both apply.
import { kLondonGeometries, type LondonGeometry } from '../../physics/london.ts';
import { parseChoice } from '../../run/inputs.ts';
import type { IntegerRange } from '../study.ts';

/** The CLI's bodies: three maps, a factor 4 apart in N. */
export const kLondonDefaultNs: readonly number[] = [250, 1000, 4000];
export const kLondonDefaultGrid = 61;
/** The app's one body. */
export const kLondonAppDefaults = { geometry: 'sphere', n: 1000, grid: 41, halfHeight: 1 } as const;

/** Sources on the GPU: 32 bytes each, well inside a 128 MiB storage binding. */
export const kMaxLondonElectrons = 1_000_000;
/** Sources of the map in the browser: a map of a few seconds on a laptop. */
export const kLondonBrowserElectrons: IntegerRange = { min: 1, max: 200_000 };
/** Field points per side of the map. */
export const kLondonGrid: IntegerRange = { min: 3, max: 1001 };
export const kLondonBrowserGrid: IntegerRange = { min: 3, max: 201 };

/**
 * The cylinder's longest half-height h (units of R): its field at the centre falls as 1/h^2 and
 * underflows float64 near h ~ 1e150, where the run would stop after its first map; the paper's long
 * cylinder is h = 50.
 */
export const kMaxLondonHalfHeightText = '1e100';
export const kMaxLondonHalfHeight = Number(kMaxLondonHalfHeightText);
/**
 * The half-height the GPU's float32 Biot-Savart sum holds: its charges and the map's points (out to
 * kMapExtent h) within 1.27e12 R keep 1/r^3 normal (checkFloat32FieldSum).
 */
export const kMaxLondonHalfHeightGpuText = '1e12';
export const kMaxLondonHalfHeightGpu = Number(kMaxLondonHalfHeightGpuText);

/** What is wrong with a half-height h on `device`, or null: > 0 and within the device's bound. */
export function londonHalfHeightProblem(h: number, device: 'gpu' | 'cpu'): string | null {
  if (!(h > 0)) return 'must be > 0';
  if (h > kMaxLondonHalfHeight) return `must be at most ${kMaxLondonHalfHeightText}`;
  return device === 'gpu' && h > kMaxLondonHalfHeightGpu
    ? `must be at most ${kMaxLondonHalfHeightGpuText} on the GPU (float32's 1/r^3 flushes to zero beyond; --device cpu takes up to ${kMaxLondonHalfHeightText})`
    : null;
}

export function parseLondonGeometry(text: string): LondonGeometry {
  return parseChoice('geometry', 'geometry', kLondonGeometries, text);
}
