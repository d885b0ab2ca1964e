// Nearest neighbours: each electron's distance to its closest one, what sets lambda_min of the
// interaction (lambda_min ~ -kappa / d_nn, src/physics/scaling.ts).
import type { Configuration } from './geometry.ts';
import { splitTree } from './tree-build.ts';

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

/** Most electrons in a leaf of nearestNeighbourDistancesTree's k-d tree. */
const kNeighbourLeafSize = 8;

/**
 * Each electron's nearest-neighbour distance (Infinity for a lone electron), by a k-d tree of median
 * splits (tree-build.ts splitTree). A leaf's electrons first search their own leaf; the largest
 * distance found there bounds a walk from the root that opens a node only while its box is closer
 * to the leaf's box, and the leaves it reaches are searched by each electron whose best distance
 * their box is closer than. O(N log N) whatever the spread: a lump of 10^-6 R beside a unit ball,
 * or an electron far from the rest, which the cell grid of nearestNeighbourDistances meets with
 * crowded cells or shells without end.
 */
export function nearestNeighbourDistancesTree(configuration: Configuration): Float64Array {
  const { n, positions: input } = configuration;
  const distances = new Float64Array(n).fill(Infinity);
  if (n < 2) return distances;
  const split = splitTree(input, n, kNeighbourLeafSize);
  const { depth, firstLeaf, nodeCount, electron, nodeStart, nodeEnd, boxMin, boxMax } = split;
  // Positions in tree order, and each one's best squared distance so far.
  const at = split.ordered;
  const best = new Float64Array(n).fill(Infinity);
  // Squared distance from the box of `node` to that of `other` (both low .. high per axis).
  const boxGap = (node: number, other: number) => {
    let sum = 0;
    for (let c = 0; c < 3; c++) {
      const d = Math.max(
        boxMin[3 * node + c] - boxMax[3 * other + c],
        boxMin[3 * other + c] - boxMax[3 * node + c],
      );
      if (d > 0) sum += d * d;
    }
    return sum;
  };
  // Electrons k of leaf `into` against those of leaf `from`, each where the box is within its best.
  const search = (into: number, from: number) => {
    for (let k = nodeStart[into]; k < nodeEnd[into]; k++) {
      const x = at[3 * k];
      const y = at[3 * k + 1];
      const z = at[3 * k + 2];
      if (from !== into) {
        const gx = Math.max(boxMin[3 * from] - x, x - boxMax[3 * from], 0);
        const gy = Math.max(boxMin[3 * from + 1] - y, y - boxMax[3 * from + 1], 0);
        const gz = Math.max(boxMin[3 * from + 2] - z, z - boxMax[3 * from + 2], 0);
        if (gx * gx + gy * gy + gz * gz >= best[k]) continue;
      }
      let nearest = best[k];
      for (let j = nodeStart[from]; j < nodeEnd[from]; j++) {
        const dx = at[3 * j] - x;
        const dy = at[3 * j + 1] - y;
        const dz = at[3 * j + 2] - z;
        const r2 = dx * dx + dy * dy + dz * dz;
        if (r2 < nearest && j !== k) nearest = r2;
      }
      best[k] = nearest;
    }
  };
  const stack = new Int32Array(2 * depth + 4);
  for (let leaf = firstLeaf; leaf < nodeCount; leaf++) {
    search(leaf, leaf);
    let reach = 0;
    for (let k = nodeStart[leaf]; k < nodeEnd[leaf]; k++) reach = Math.max(reach, best[k]);
    let top = 0;
    stack[top++] = 0;
    while (top > 0) {
      const node = stack[--top];
      if (node === leaf || boxGap(node, leaf) >= reach) continue;
      if (node >= firstLeaf) search(leaf, node);
      else {
        stack[top++] = 2 * node + 2;
        stack[top++] = 2 * node + 1;
      }
    }
  }
  for (let k = 0; k < n; k++) distances[electron[k]] = Math.sqrt(best[k]);
  return distances;
}

/**
 * The `count` electrons whose nearest neighbour is closest (nearestNeighbourDistancesTree; at equal
 * distances the lower index), increasing: all of them where n <= count.
 */
export function closestElectrons(configuration: Configuration, count: number): Uint32Array {
  const { n } = configuration;
  if (n <= count) return Uint32Array.from({ length: n }, (_, i) => i);
  const distances = nearestNeighbourDistancesTree(configuration);
  const threshold = distances.slice().sort()[count - 1];
  const chosen: number[] = [];
  for (let i = 0; i < n && chosen.length < count; i++) if (distances[i] < threshold) chosen.push(i);
  for (let i = 0; i < n && chosen.length < count; i++) if (distances[i] === threshold) chosen.push(i);
  return Uint32Array.from(chosen).sort();
}
