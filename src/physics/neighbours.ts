// Nearest neighbours: each electron's distance to its closest one, what sets lambda_min of the
// interaction (lambda_min ~ -kappa / d_nn, src/physics/scaling.ts).
import type { Configuration } from './geometry.ts';
import { splitTree } from './tree-build.ts';

/** Most electrons in a leaf of nearestNeighbourDistances's k-d tree. */
const kNeighbourLeafSize = 8;

/**
 * Each electron's nearest-neighbour distance (Infinity for a lone electron), by a k-d tree of median
 * splits (tree-build.ts splitTree). A leaf's electrons first search their own leaf; the largest
 * distance found there bounds a walk from the root that opens a node only while its box is closer
 * to the leaf's box, and the leaves it reaches are searched by each electron whose best distance
 * their box is closer than. O(N log N) whatever the spread: a lump of 10^-6 R beside a unit ball,
 * or an electron far from the rest, which a cell grid meets with crowded cells or shells without end.
 */
export function nearestNeighbourDistances(configuration: Configuration): Float64Array {
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
 * The `count` electrons whose nearest neighbour is closest (nearestNeighbourDistances; at equal
 * distances the lower index), increasing: all of them where n <= count.
 */
export function closestElectrons(configuration: Configuration, count: number): Uint32Array {
  const { n } = configuration;
  if (n <= count) return Uint32Array.from({ length: n }, (_, i) => i);
  const distances = nearestNeighbourDistances(configuration);
  const threshold = distances.slice().sort()[count - 1];
  const chosen: number[] = [];
  for (let i = 0; i < n && chosen.length < count; i++) if (distances[i] < threshold) chosen.push(i);
  for (let i = 0; i < n && chosen.length < count; i++) if (distances[i] === threshold) chosen.push(i);
  return Uint32Array.from(chosen).sort();
}
