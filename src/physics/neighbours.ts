// Nearest neighbours: each electron's distance to its closest one, what sets lambda_min of the
// interaction (lambda_min ~ -kappa / d_nn, src/physics/scaling.ts).
import type { Configuration } from './geometry.ts';
import { splitTree } from './tree-build.ts';

/** Most electrons in a leaf of neighbourSearch's k-d tree. */
const kNeighbourLeafSize = 8;

/**
 * A leaf's queries (NeighbourSearch.search) counted in pairs of a float64 row sum, the unit a paced
 * caller's chunks are sized in (src/run/chunks.ts inPacedChunks): its electrons' search of the
 * leaves near it cost as much as 280 to 370 such pairs on a sphere and a ball of 10^6: above both,
 * so that a chunk takes no longer than the pairs it stands for.
 */
export const kNeighbourPairsPerLeaf = 400;

/**
 * The nearest-neighbour search of a configuration, its k-d tree built and its queries run leaf by
 * leaf, so that a caller may pause between leaves (bench's float64 check at 10^6 electrons).
 */
export interface NeighbourSearch {
  /** The k-d tree's leaves, whose queries search() runs. */
  readonly leaves: number;
  /**
   * The queries of leaves [first, end): each of their electrons' nearest neighbour. Each leaf's
   * answer is its own, so any split of the leaves into ranges gives the same distances.
   */
  search(first: number, end: number): void;
  /** Each electron's nearest-neighbour distance, once every leaf was searched. */
  distances(): Float64Array;
}

/**
 * The nearest-neighbour search by a k-d tree of median splits (tree-build.ts splitTree), built here
 * in one step (O(N log N)). A leaf's electrons first search their own leaf; the largest distance
 * found there bounds a walk from the root that opens a node only while its box is closer to the
 * leaf's box, and the leaves it reaches are searched by each electron whose best distance their box
 * is closer than. O(N log N) whatever the spread: a lump of 10^-6 R beside a unit ball, or an
 * electron far from the rest, which a cell grid meets with crowded cells or shells without end.
 * Infinity for a lone electron.
 */
export function neighbourSearch(configuration: Configuration): NeighbourSearch {
  const { n, positions: input } = configuration;
  if (n < 2) {
    return { leaves: 0, search: () => undefined, distances: () => new Float64Array(n).fill(Infinity) };
  }
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
  return {
    leaves: nodeCount - firstLeaf,
    search: (first, end) => {
      for (let leaf = firstLeaf + first; leaf < firstLeaf + end; leaf++) {
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
    },
    distances: () => {
      const distances = new Float64Array(n);
      for (let k = 0; k < n; k++) distances[electron[k]] = Math.sqrt(best[k]);
      return distances;
    },
  };
}

/** Each electron's nearest-neighbour distance (Infinity for a lone electron): neighbourSearch's, in one go. */
export function nearestNeighbourDistances(configuration: Configuration): Float64Array {
  const search = neighbourSearch(configuration);
  search.search(0, search.leaves);
  return search.distances();
}

/**
 * The `count` electrons whose nearest neighbour is closest (`distances`, nearestNeighbourDistances';
 * at equal distances the lower index), increasing: all of them where n <= count.
 */
export function closestElectrons(distances: Float64Array, count: number): Uint32Array {
  const n = distances.length;
  if (n <= count) return Uint32Array.from({ length: n }, (_, i) => i);
  const threshold = distances.slice().sort()[count - 1];
  const chosen: number[] = [];
  for (let i = 0; i < n && chosen.length < count; i++) if (distances[i] < threshold) chosen.push(i);
  for (let i = 0; i < n && chosen.length < count; i++) if (distances[i] === threshold) chosen.push(i);
  return Uint32Array.from(chosen).sort();
}
