// The treecode's tree (treecode.ts sums with it), built once per configuration in flat arrays as a
// GPU reads them.
//
// Tree: a complete binary tree over the electrons in tree order (a permutation of the input), built
// once per configuration by median splits along the longest side of each node's tight box. Node k has
// children 2k + 1 and 2k + 2, every leaf is at depth `depth` and holds ceil or floor of N / 2^depth
// electrons, a contiguous range. Median splits halve the count whatever the geometry, so a line, a
// coincident pair, a dense lump beside sparse electrons or any N give the same shape; only the boxes
// differ. Each node keeps its range, tight box, expansion centre (the box centre) and radius (the
// largest distance of its electrons from the centre).
//
// Interaction lists: each leaf, as a target group, walks the tree once with an explicit stack and the
// acceptance rule of treecode.ts; the nodes it accepts and the leaves it sums directly are stored as
// compressed rows, so a product needs no traversal.
import { expansionTables, kMaxTreeOrder, type ExpansionTables } from './cartesian-expansion.ts';
import { massDiagonal, type DarwinSystem } from './models.ts';

/** Storage of the tree's per-electron and per-node numbers: float64 is the reference, float32 the GPU's. */
export type TreeStorage = Float64Array | Float32Array;
export type TreePrecision = 'float64' | 'float32';

export interface TreeOptions {
  /** Requested relative error of T x, normwise against the direct sum; default kDefaultTreeTolerance. */
  tolerance?: number;
  /** Most electrons in a leaf; default kDefaultLeafSize. */
  leafSize?: number;
  /** Expansion order p and opening angle theta; default from the tolerance (treeAccuracy). */
  order?: number;
  /** 0 opens every node: the direct O(N^2) sum through the same code. */
  theta?: number;
  precision?: TreePrecision;
}

export const kDefaultTreeTolerance = 1e-5;
/**
 * Most electrons per leaf: a direct pair costs about 9 ns on the CPU and a p = 6 expansion about
 * 2 us, and 256 balanced the two at N = 40 000 (22 600 pairs and 87 expansions per electron; at p = 7
 * leaves of 128 took 1.2 times as long, of 64 2.4 times). A leaf is also one GPU workgroup of targets.
 */
export const kDefaultLeafSize = 256;
/** Leaves at depth <= kMaxTreeDepth: 2^24 leaves is far past any N a device holds. */
export const kMaxTreeDepth = 24;

export interface Tree {
  readonly system: DarwinSystem;
  readonly n: number;
  readonly precision: TreePrecision;
  readonly tolerance: number;
  readonly theta: number;
  readonly tables: ExpansionTables;
  /** Leaves are nodes firstLeaf .. nodeCount - 1, all at this depth. */
  readonly depth: number;
  readonly nodeCount: number;
  readonly firstLeaf: number;
  /** electron[k] is the input index of the electron at tree position k. */
  readonly electron: Uint32Array;
  /** Positions in tree order, 3 per electron. */
  readonly positions: TreeStorage;
  /** Node k holds tree positions nodeStart[k] .. nodeEnd[k] - 1. */
  readonly nodeStart: Uint32Array;
  readonly nodeEnd: Uint32Array;
  /** Tight boxes and expansion centres, 3 per node; radii, 1 per node. */
  readonly boxMin: TreeStorage;
  readonly boxMax: TreeStorage;
  readonly centre: TreeStorage;
  readonly radius: TreeStorage;
  /** Smallest distance between a target and an electron of an accepted node: a / sqrt(2 tol). */
  readonly softeningDistance: number;
  /** Built once: what each leaf group accepts and sums directly, and what a product costs. */
  readonly lists: InteractionLists;
  readonly counts: TreeProductCounts;
  /** diag M (models.ts massDiagonal), input order. */
  readonly diagonal: Float64Array;
  /** Per-product work: sources f and sums w in tree order (3 per electron), moments (3 per term). */
  readonly sources: TreeStorage;
  readonly sums: TreeStorage;
  readonly moments: TreeStorage;
}

/**
 * Opening angle of treeAccuracy. Measured at N = 40 000 (ball, random x, tolerance 1e-5): theta 0.25
 * with p = 6 costs least; 0.35 needs p = 8 and ran 2.5 times longer, as an expansion costs O(p^3).
 */
export const kTreeTheta = 0.25;
/**
 * The error constant C in |T x - tree T x| / |T x| <= C theta^(p+1): the largest measured on random x
 * (the worst case: smooth x has smaller high moments) over balls, cubes, spheres, cylinders, disks
 * and clustered lumps of 1 500 .. 40 000 electrons at theta = 0.25 is 0.15 (p = 2, the cube
 * lattice); it falls to 0.09 at p = 6 and 0.08 at p = 9 (test/treecode.test.ts prints the errors).
 */
const kTreeErrorConstant = 0.15;

/**
 * Expansion order and opening angle for a requested relative tolerance of T x (normwise, against the
 * direct sum): theta = kTreeTheta and the least p with C theta^(p+1) <= tolerance. The softening
 * test in the acceptance rule uses the same tolerance.
 */
export function treeAccuracy(tolerance: number): { order: number; theta: number } {
  if (!(tolerance > 0 && tolerance < 1)) {
    throw new RangeError(`the tree tolerance must be in (0, 1), got ${tolerance}`);
  }
  const needed = Math.ceil(Math.log(tolerance / kTreeErrorConstant) / Math.log(kTreeTheta)) - 1;
  return { order: Math.min(kMaxTreeOrder, Math.max(1, needed)), theta: kTreeTheta };
}

function storage(precision: TreePrecision, length: number): TreeStorage {
  return precision === 'float64' ? new Float64Array(length) : new Float32Array(length);
}

export function buildTree(system: DarwinSystem, options: TreeOptions = {}): Tree {
  const { n, positions: input } = system.configuration;
  const precision = options.precision ?? 'float64';
  const tolerance = options.tolerance ?? kDefaultTreeTolerance;
  const accuracy = treeAccuracy(tolerance);
  const order = options.order ?? accuracy.order;
  const theta = options.theta ?? accuracy.theta;
  if (!(theta >= 0 && theta < 1)) throw new RangeError(`theta must be in [0, 1), got ${theta}`);
  const leafSize = options.leafSize ?? kDefaultLeafSize;
  if (!Number.isInteger(leafSize) || leafSize < 1) {
    throw new RangeError(`the leaf size must be a positive integer, got ${leafSize}`);
  }
  let depth = 0;
  while (depth < kMaxTreeDepth && Math.ceil(n / 2 ** depth) > leafSize) depth++;
  const nodeCount = 2 ** (depth + 1) - 1;
  const firstLeaf = 2 ** depth - 1;

  const electron = Uint32Array.from({ length: n }, (_, i) => i);
  const nodeStart = new Uint32Array(nodeCount);
  const nodeEnd = new Uint32Array(nodeCount);
  nodeEnd[0] = n;
  const boxMin = storage(precision, 3 * nodeCount);
  const boxMax = storage(precision, 3 * nodeCount);
  const low = new Float64Array(3);
  const high = new Float64Array(3);
  for (let node = 0; node < nodeCount; node++) {
    const start = nodeStart[node];
    const end = nodeEnd[node];
    tightBox(input, electron, start, end, low, high);
    for (let i = 0; i < 3; i++) {
      boxMin[3 * node + i] = low[i];
      boxMax[3 * node + i] = high[i];
    }
    if (node >= firstLeaf) continue;
    let axis = 0;
    for (let i = 1; i < 3; i++) if (high[i] - low[i] > high[axis] - low[axis]) axis = i;
    const middle = start + Math.floor((end - start) / 2);
    selectMedian(input, electron, start, end, middle, axis);
    nodeStart[2 * node + 1] = start;
    nodeEnd[2 * node + 1] = middle;
    nodeStart[2 * node + 2] = middle;
    nodeEnd[2 * node + 2] = end;
  }

  const positions = storage(precision, 3 * n);
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < 3; i++) positions[3 * k + i] = input[3 * electron[k] + i];
  }
  const centre = storage(precision, 3 * nodeCount);
  const radius = storage(precision, nodeCount);
  for (let node = 0; node < nodeCount; node++) {
    for (let i = 0; i < 3; i++) centre[3 * node + i] = (boxMin[3 * node + i] + boxMax[3 * node + i]) / 2;
    let largest = 0;
    for (let k = nodeStart[node]; k < nodeEnd[node]; k++) {
      const dx = positions[3 * k] - centre[3 * node];
      const dy = positions[3 * k + 1] - centre[3 * node + 1];
      const dz = positions[3 * k + 2] - centre[3 * node + 2];
      largest = Math.max(largest, dx * dx + dy * dy + dz * dz);
    }
    radius[node] = Math.sqrt(largest);
  }
  const tables = expansionTables(order);
  const softeningDistance = system.softening / Math.sqrt(2 * tolerance);
  const geometryOfTree = { depth, nodeCount, firstLeaf, nodeStart, nodeEnd, boxMin, boxMax, centre, radius };
  const { lists, counts } = interactionLists({ ...geometryOfTree, theta, softeningDistance });
  return {
    system,
    n,
    precision,
    tolerance,
    theta,
    tables,
    ...geometryOfTree,
    electron,
    positions,
    softeningDistance,
    lists,
    counts,
    diagonal: massDiagonal(system),
    sources: storage(precision, 3 * n),
    sums: storage(precision, 3 * n),
    moments: storage(precision, 3 * tables.momentCount * nodeCount),
  };
}

function tightBox(
  positions: Float64Array,
  electron: Uint32Array,
  start: number,
  end: number,
  low: Float64Array,
  high: Float64Array,
): void {
  // An empty node (only when leafSize = 1 and N is not a power of two) gets the point box at 0.
  low.fill(start < end ? Infinity : 0);
  high.fill(start < end ? -Infinity : 0);
  for (let k = start; k < end; k++) {
    for (let i = 0; i < 3; i++) {
      const value = positions[3 * electron[k] + i];
      if (value < low[i]) low[i] = value;
      if (value > high[i]) high[i] = value;
    }
  }
}

/**
 * Reorders electron[start..end) so that the one at `middle` has the median coordinate along `axis`,
 * those before it no larger and those after no smaller (Hoare's quickselect, O(end - start) expected;
 * the middle pivot keeps sorted and constant input linear too).
 */
function selectMedian(
  positions: Float64Array,
  electron: Uint32Array,
  start: number,
  end: number,
  middle: number,
  axis: number,
): void {
  const key = (k: number) => positions[3 * electron[k] + axis];
  let left = start;
  let right = end - 1;
  while (left < right) {
    const pivot = key((left + right) >>> 1);
    let i = left;
    let j = right;
    while (i <= j) {
      while (key(i) < pivot) i++;
      while (key(j) > pivot) j--;
      if (i <= j) {
        const swap = electron[i];
        electron[i] = electron[j];
        electron[j] = swap;
        i++;
        j--;
      }
    }
    if (middle <= j) right = j;
    else if (middle >= i) left = i;
    else return;
  }
}

/**
 * Compressed rows per leaf group g = leaf - firstLeaf: it evaluates the expansions of the nodes
 * far[farOffset[g] .. farOffset[g + 1]) and sums the leaves near[nearOffset[g] .. nearOffset[g + 1])
 * directly (its own leaf among them).
 */
export interface InteractionLists {
  readonly farOffset: Uint32Array;
  readonly far: Uint32Array;
  readonly nearOffset: Uint32Array;
  readonly near: Uint32Array;
}

/** What one product does: pairs summed directly and (target, node) expansion evaluations. */
export interface TreeProductCounts {
  directPairs: number;
  expansions: number;
}

/**
 * Interaction lists of every leaf as a target group, by a depth-first walk with an explicit stack
 * and the acceptance rule of treecode.ts. They depend on the positions only, so they are built
 * once per configuration and each product merely runs through them.
 */
function interactionLists(
  tree: Pick<
    Tree,
    | 'depth'
    | 'nodeCount'
    | 'firstLeaf'
    | 'nodeStart'
    | 'nodeEnd'
    | 'boxMin'
    | 'boxMax'
    | 'centre'
    | 'radius'
    | 'theta'
    | 'softeningDistance'
  >,
): { lists: InteractionLists; counts: TreeProductCounts } {
  const { nodeCount, firstLeaf, nodeStart, nodeEnd, boxMin, boxMax, centre, radius, theta } = tree;
  const { softeningDistance } = tree;
  const stack = new Uint32Array(tree.depth + 2);
  const farOffset = new Uint32Array(nodeCount - firstLeaf + 1);
  const nearOffset = new Uint32Array(nodeCount - firstLeaf + 1);
  const far: number[] = [];
  const near: number[] = [];
  const counts: TreeProductCounts = { directPairs: 0, expansions: 0 };
  for (let group = firstLeaf; group < nodeCount; group++) {
    const targets = nodeEnd[group] - nodeStart[group];
    let top = 0;
    stack[top++] = 0;
    while (top > 0) {
      const node = stack[--top];
      const count = nodeEnd[node] - nodeStart[node];
      if (count === 0) continue;
      let distanceSquared = 0;
      for (let i = 0; i < 3; i++) {
        const c = centre[3 * node + i];
        const gap = Math.max(boxMin[3 * group + i] - c, 0, c - boxMax[3 * group + i]);
        distanceSquared += gap * gap;
      }
      const distance = Math.sqrt(distanceSquared);
      const r = radius[node];
      // distance > 0 keeps a one-electron node (radius 0) from being accepted by its own group.
      if (distance > 0 && r <= theta * distance && distance - r >= softeningDistance) {
        far.push(node);
        counts.expansions += targets;
      } else if (node >= firstLeaf) {
        near.push(node);
        // The group's own leaf is always near (its centre lies in its box): minus the self pairs.
        counts.directPairs += targets * count - (node === group ? targets : 0);
      } else {
        stack[top++] = 2 * node + 2;
        stack[top++] = 2 * node + 1;
      }
    }
    farOffset[group - firstLeaf + 1] = far.length;
    nearOffset[group - firstLeaf + 1] = near.length;
  }
  return {
    lists: { farOffset, far: Uint32Array.from(far), nearOffset, near: Uint32Array.from(near) },
    counts,
  };
}
