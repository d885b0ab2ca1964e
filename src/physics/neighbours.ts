// Nearest neighbours: each electron's distance to its closest one, what sets lambda_min of the
// interaction (lambda_min ~ -kappa / d_nn, src/physics/scaling.ts).
import type { Configuration } from './geometry.ts';

/**
 * Each electron's nearest-neighbour distance, by a hashed cell grid of the given cell size (about the
 * spacing): cells are searched in Chebyshev shells s = 0, 1, ... until the best distance found is at
 * most s * cell, beyond which no unsearched electron can be closer. O(N) for even spreads.
 */
export function nearestNeighbourDistances(configuration: Configuration, cell: number): Float64Array {
  const { n, positions } = configuration;
  const distances = new Float64Array(n).fill(Infinity);
  if (n < 2) return distances;
  const low = [Infinity, Infinity, Infinity];
  const high = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      low[c] = Math.min(low[c], positions[3 * i + c]);
      high[c] = Math.max(high[c], positions[3 * i + c]);
    }
  }
  const counts = low.map((l, c) => Math.floor((high[c] - l) / cell) + 1);
  const cellOf = (i: number, c: number) => Math.floor((positions[3 * i + c] - low[c]) / cell);
  const key = (a: number, b: number, c: number) => a + counts[0] * (b + counts[1] * c);
  const cells = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const k = key(cellOf(i, 0), cellOf(i, 1), cellOf(i, 2));
    const bucket = cells.get(k);
    if (bucket) bucket.push(i);
    else cells.set(k, [i]);
  }
  const largestShell = Math.max(...counts);
  for (let i = 0; i < n; i++) {
    const home = [cellOf(i, 0), cellOf(i, 1), cellOf(i, 2)];
    let best = Infinity;
    for (let s = 0; s <= largestShell && !(best <= (s - 1) * cell); s++) {
      for (let a = home[0] - s; a <= home[0] + s; a++) {
        for (let b = home[1] - s; b <= home[1] + s; b++) {
          for (let c = home[2] - s; c <= home[2] + s; c++) {
            const onShell =
              Math.max(Math.abs(a - home[0]), Math.abs(b - home[1]), Math.abs(c - home[2])) === s;
            if (!onShell || a < 0 || b < 0 || c < 0 || a >= counts[0] || b >= counts[1] || c >= counts[2])
              continue;
            for (const j of cells.get(key(a, b, c)) ?? []) {
              if (j === i) continue;
              const r = Math.hypot(
                positions[3 * i] - positions[3 * j],
                positions[3 * i + 1] - positions[3 * j + 1],
                positions[3 * i + 2] - positions[3 * j + 2],
              );
              if (r < best) best = r;
            }
          }
        }
      }
    }
    distances[i] = best;
  }
  return distances;
}
