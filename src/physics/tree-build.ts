// The fast multipole method's tree (treecode.ts sums with it), built once per configuration in flat
// arrays as a GPU reads them.
//
// Tree: a complete binary tree over the electrons in tree order (a permutation of the input), built
// once per configuration by median splits along the longest side of each node's tight box. Node k has
// children 2k + 1 and 2k + 2, every leaf is at depth `depth` and holds ceil or floor of N / 2^depth
// electrons, a contiguous range. Median splits halve the count whatever the geometry, so a line, a
// coincident pair, a dense lump beside sparse electrons or any N give the same shape; only the boxes
// differ. Each node keeps its range, tight box, expansion centre (the box centre) and radius (the
// largest distance of its electrons from the centre).
//
// Interaction lists: one dual-tree walk pairs the nodes (interactionLists below); the M2L sources of
// every node and the leaves every leaf sums directly are stored as compressed rows, so a product needs
// no traversal.
import {
  expansionTables,
  kCharges,
  kMaxTreeOrder,
  packExpansionTables,
  type PackedExpansionTables,
  type ExpansionTables,
} from './cartesian-expansion.ts';
import { InputError } from './input-error.ts';
import { massDiagonal, type DarwinSystem } from './models.ts';
import type { WorkerPool } from '../parallel/pool.ts';
import { vectorOf, type Precision, type Vector } from '../math/vectors.ts';

export interface TreeOptions {
  /**
   * Requested relative error of T x, normwise against the direct sum, for x spread over the electrons
   * (kTreeErrorConstant says what it bounds for other x); default kDefaultTreeTolerance.
   */
  tolerance?: number;
  /** Most electrons in a leaf; default kDefaultLeafSize. */
  leafSize?: number;
  /** Expansion order p and opening angle theta; default from the tolerance (treeAccuracy). */
  order?: number;
  /** 0 opens every node: the direct O(N^2) sum through the same code. */
  theta?: number;
  /**
   * Cost of one M2L in direct pairs: well-separated nodes with fewer pairs than their two M2L are
   * summed directly. Default from the order (kTranslationCostPerTerm); 0 takes every M2L the
   * acceptance rule allows, so small configurations exercise the expansions.
   */
  translationCost?: number;
  /** translationCost per term of the M2L's contraction, where translationCost is not given. */
  translationCostPerTerm?: number;
  precision?: Precision;
  /**
   * The most of the matrix-free product's N (N - 1) pairs the tree's product may cost
   * (treeWorkShare): the walk refuses the tree (an InputError on 'matrix') as soon as its lists pass
   * it, before it builds the rest. The GPU's 'auto' gives kTreeWorkShare and goes matrix-free where
   * the tree would not pay. None by default: `--matrix tree` builds what it is asked for.
   */
  maxWorkShare?: number;
  /**
   * Hears each stage of the build before it starts ("splitting 200000 electrons into leaves of at
   * most 64"): at 10^5 electrons and more the build takes minutes, silent without it.
   */
  onStage?: (stage: string) => void;
}

export const kDefaultTreeTolerance = 1e-5;
/**
 * Most electrons per leaf of the CPU product: the balance of direct pairs against M2L. On a ball of
 * 20 000 at tolerance 1e-5 (p = 11) leaves of at most 64 (39 on average) cost least; 32 triples the
 * M2L (182 000 against 63 000) for fewer pairs, 128 nearly doubles the direct pairs (113 M against
 * 63 M) for fewer M2L, and both came out dearer.
 */
export const kDefaultLeafSize = 64;
/** Leaves at depth <= kMaxTreeDepth: 2^24 leaves is far past any N a device holds. */
export const kMaxTreeDepth = 24;

/** The tree and its lists: everything a product reads, built once per configuration. */
export interface TreeGeometry {
  readonly system: DarwinSystem;
  readonly n: number;
  readonly precision: Precision;
  readonly tolerance: number;
  readonly theta: number;
  readonly tables: ExpansionTables;
  /** Most electrons in a leaf, as asked (TreeOptions.leafSize). */
  readonly leafSize: number;
  /** Leaves are nodes firstLeaf .. nodeCount - 1, all at this depth. */
  readonly depth: number;
  readonly nodeCount: number;
  readonly firstLeaf: number;
  /** electron[k] is the input index of the electron at tree position k. */
  readonly electron: Uint32Array;
  /** Positions in tree order, 3 per electron. */
  readonly positions: Vector;
  /** Node k holds tree positions nodeStart[k] .. nodeEnd[k] - 1. */
  readonly nodeStart: Uint32Array;
  readonly nodeEnd: Uint32Array;
  /** Tight boxes and expansion centres, 3 per node; radii, 1 per node. */
  readonly boxMin: Vector;
  readonly boxMax: Vector;
  readonly centre: Vector;
  readonly radius: Vector;
  /** Every electron in one plane z = const (dim 2 or a flat configuration): the planar M2L serves. */
  readonly planar: boolean;
  /** Smallest distance between electrons of two well-separated nodes: a / sqrt(2 tol). */
  readonly softeningDistance: number;
  /** Built once: the M2L sources of every node and the leaves every leaf sums directly, and their cost. */
  readonly lists: InteractionLists;
  readonly counts: TreeProductCounts;
  /**
   * Of counts.directPairs, the pairs summed directly only because of the softening distance: in node
   * pairs that a = 0 takes by M2L (the opening angle accepts them and their direct sum is not the
   * cheaper), but which lie within softeningDistance.
   */
  readonly softenedPairs: number;
  /** What one M2L costs in direct pairs, as the lists weighed it (treeProductWork). */
  readonly translationCost: number;
  /** diag M (models.ts massDiagonal), input order. */
  readonly diagonal: Float64Array;
}

/**
 * Where buildTree puts what the CPU product's kernels touch: plain typed arrays by default, a
 * WorkerPool's shared memory (shared, sharedIndices) for its threads to share.
 */
export interface TreeAllocator {
  float64(length: number): Float64Array;
  uint32(length: number): Uint32Array;
}

/** Plain typed arrays: a tree whose product runs on the caller's thread alone. */
export const kPlainArrays: TreeAllocator = {
  float64: (length) => new Float64Array(length),
  uint32: (length) => new Uint32Array(length),
};

/** `pool`'s shared memory, which its threads read and write. */
export function sharedArrays(pool: Pick<WorkerPool, 'shared' | 'sharedIndices'>): TreeAllocator {
  return { float64: (length) => pool.shared(length), uint32: (length) => pool.sharedIndices(length) };
}

/**
 * What the CPU product's kernels read (treecode.ts, cartesian-expansion.ts multipoleRows ..), from
 * buildTree's allocator: the expansion tables packed, and TreeGeometry's own positions, centres,
 * node ranges and interaction lists (a float32 tree's positions and centres copied to float64).
 */
export interface TreeKernelInputs {
  readonly tables: PackedExpansionTables;
  readonly positions: Float64Array;
  readonly centre: Float64Array;
  readonly nodeStart: Uint32Array;
  readonly nodeEnd: Uint32Array;
  readonly m2lOffset: Uint32Array;
  readonly m2l: Uint32Array;
  readonly nearOffset: Uint32Array;
  readonly near: Uint32Array;
}

/** The tree with the CPU product's workspace (treecode.ts). */
export interface Tree extends TreeGeometry {
  readonly kernelInputs: TreeKernelInputs;
  /**
   * Per-product work: the charges f_x, f_y, f_z, f . (y - origin) in tree order (kCharges per
   * electron), moments, harmonic moments and local coefficients (kCharges per term and node) in the
   * tree's precision, and the sums w (3 per electron) in float64.
   */
  readonly charges: Vector;
  readonly moments: Vector;
  readonly reduced: Vector;
  readonly locals: Vector;
  readonly sums: Float64Array;
}

/** Every array of `tree` from buildTree's allocator: what a pool that shares them may release. */
export function allocatedArrays(tree: Tree): (Float64Array | Uint32Array)[] {
  const { tables, ...inputs } = tree.kernelInputs;
  const work = [tree.charges, tree.moments, tree.reduced, tree.locals].filter(
    (a) => a instanceof Float64Array,
  );
  return [tables.indices, tables.numbers, ...Object.values(inputs), ...work, tree.sums];
}

/**
 * Opening angle of treeAccuracy: two nodes exchange M2L when r_A + r_B <= theta |c_A - c_B|. On a
 * ball of 20 000 at tolerance 1e-5 (leaves of 64), theta = 0.45 (p = 13) and 0.5 (p = 14) trade
 * fewer direct pairs (48 M and 37 M against 63 M at 0.4) for M2L two and two and a half times
 * dearer than at p = 11 (counts 55 000 and 47 000 against 63 000) and came out no cheaper; an M2L
 * cheaper in p (rotations or plane waves) would move the optimum to larger theta.
 */
export const kTreeTheta = 0.4;
/**
 * The error constant C in |T x - tree T x| / |T x| <= C theta^p (the Stokeslet is a gradient of
 * the potentials, so of order p - 1 in the expansions of order p): the largest measured on random x
 * over the balls, cubes, spheres, cylinders, disks, clustered lumps and lines of
 * test/treecode.test.ts at theta = 0.4 is 0.15 (p = 10, 500 electrons on a line, where every pair
 * lies along the axis, the expansions' worst direction); elsewhere at most 0.07 (p = 5, the cube
 * lattice), and 0.035 on a ball of 20 000 for p = 8 .. 12, theta = 0.4 .. 0.6. Random x is not the
 * worst case of this relative error: the tree's error is of the size of ||T|| ||x|| (C theta^p of it
 * bounds it with a wide margin: at most 3e-4 of that measured on a ball of 3000 for random x and
 * T's extreme and smallest eigenvectors), so an x whose T x is small against it, near T's null
 * space, errs far more relative to |T x|: 8e-2 at tolerance 1e-5 for the eigenvector of eigenvalue
 * 4e-5 (||T|| = 2.4e3) there.
 */
const kTreeErrorConstant = 0.15;

/**
 * List entries per node (M2L sources and near leaves, at theta 0.4) that the up-front estimates of
 * the tree's memory allow (src/kernels/tree.ts treeBytes). Measured on average over the nodes with a
 * GPU's leaves (kGpuTreeLeaves): a surface, a disk, a line under 75 at any N; a ball or cube 64 at
 * 3·10⁴, 230 at 3·10⁵, 340-350 at 10⁷; a lump of three quarters of the electrons beside a sparse ball
 * (test/helpers/configurations.ts clustered) grows with the depth, 300 at 3·10⁵, 523 at 10⁷; with a
 * CPU adapter's leaves a ball of 10⁶ 285 (271 with a GPU's), a sphere 55; with the CPU product's
 * leaves of 64 a ball of 5·10⁵ 271, the lump 344. GpuTreeOptions.checkFits checks a GPU tree's real
 * lists once it is built.
 */
export const kListEntriesPerNode = 640;

/**
 * The most list entries per node the walk makes before it refuses the tree (interactionLists):
 * twice what the estimates allow, which no configuration's lists at theta 0.4 came near, but which a
 * softening distance past the body's size passes, where every leaf sums every other directly and the
 * lists grow as the square of the leaves (10⁸ entries at 10⁴ leaves: gigabytes of the walk's arrays,
 * then past what a JavaScript array holds).
 */
const kMaxListEntriesPerNode = 2 * kListEntriesPerNode;

/**
 * Cost of one M2L in direct pairs per term of its contraction (tables.m2lIndex): measured on the CPU,
 * p = 8 .. 16, an M2L of 4 082 terms (p = 11) took as long as 360 pairs summed both ways.
 */
const kTranslationCostPerTerm = 0.09;

/**
 * The smallest tolerance the bound C theta^p meets at kTreeTheta with the highest order (6.44e-8 at
 * p = 16): below it the error would exceed what was asked.
 */
export const kMinTreeTolerance = kTreeErrorConstant * kTreeTheta ** kMaxTreeOrder;

/**
 * kMinTreeTolerance as messages print it, rounded up to three digits (6.45e-8), so that the bound
 * shown is accepted: rounded to two digits (6.4e-8) it would fall below the bound and be refused.
 */
export const kMinTreeToleranceShown = roundedUp(kMinTreeTolerance, 3);

/** `value` > 0 rounded up to `digits` significant digits, parsed from its decimal form. */
export function roundedUp(value: number, digits: number): number {
  const exponent = Math.floor(Math.log10(value)) - digits + 1;
  const mantissa = Math.ceil(value / 10 ** exponent);
  // The quotient rounded below an integer the exact one passes: one digit more.
  const shown = Number(`${mantissa}e${exponent}`);
  return shown >= value ? shown : Number(`${mantissa + 1}e${exponent}`);
}

/**
 * Expansion order and opening angle for a requested relative tolerance of T x (normwise, against the
 * direct sum): theta = kTreeTheta and the least p with C theta^p <= tolerance. The softening test of
 * the interaction lists uses the same tolerance.
 */
export function treeAccuracy(tolerance: number): { order: number; theta: number } {
  if (!(tolerance >= kMinTreeTolerance && tolerance < 1)) {
    throw new RangeError(`the tree tolerance must be in [${kMinTreeToleranceShown}, 1), got ${tolerance}`);
  }
  const needed = Math.ceil(Math.log(tolerance / kTreeErrorConstant) / Math.log(kTreeTheta));
  return { order: Math.min(kMaxTreeOrder, Math.max(1, needed)), theta: kTreeTheta };
}

/**
 * The tree of `system` with the CPU product's workspace, every array the product's kernels touch
 * (in float64 precision; a float32 tree's expansions stay its own) from `allocate`.
 */
export function buildTree(
  system: DarwinSystem,
  options: TreeOptions = {},
  allocate: TreeAllocator = kPlainArrays,
): Tree {
  const geometry = buildTreeGeometry(system, options, allocate);
  const { n, nodeCount, precision, tables, lists } = geometry;
  // A float32 tree's positions and centres in float64 for the kernels: the same numbers.
  const float64 = (values: Vector) => (values instanceof Float64Array ? values : Float64Array.from(values));
  const work = (length: number) =>
    precision === 'float64' ? allocate.float64(length) : new Float32Array(length);
  options.onStage?.(`the product's workspace for ${nodeCount} nodes`);
  return {
    ...geometry,
    kernelInputs: {
      tables: packExpansionTables(tables, allocate),
      positions: float64(geometry.positions),
      centre: float64(geometry.centre),
      nodeStart: geometry.nodeStart,
      nodeEnd: geometry.nodeEnd,
      m2lOffset: lists.m2lOffset,
      m2l: lists.m2l,
      nearOffset: lists.nearOffset,
      near: lists.near,
    },
    charges: work(kCharges * n),
    moments: work(kCharges * tables.termCount * nodeCount),
    reduced: work(kCharges * tables.reducedCount * nodeCount),
    locals: work(kCharges * tables.termCount * nodeCount),
    sums: allocate.float64(3 * n),
  };
}

/**
 * The tree without a workspace: what the GPU product (src/kernels/tree.ts) uploads. `allocate`
 * makes the arrays the CPU product's kernels read (positions and centres in float64 precision, node
 * ranges, interaction lists).
 */
export function buildTreeGeometry(
  system: DarwinSystem,
  options: TreeOptions = {},
  allocate: TreeAllocator = kPlainArrays,
): TreeGeometry {
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
  const stage = options.onStage ?? (() => {});
  stage(`splitting ${n} electrons into leaves of at most ${leafSize}`);
  const { depth, nodeCount, firstLeaf, electron, ordered, nodeStart, nodeEnd, boxMin, boxMax } = splitTree(
    input,
    n,
    leafSize,
    precision,
    allocate,
  );

  const numbers = (length: number) =>
    precision === 'float64' ? allocate.float64(length) : vectorOf(precision, length);
  const positions = numbers(3 * n);
  positions.set(ordered);
  const centre = numbers(3 * nodeCount);
  const radius = vectorOf(precision, nodeCount);
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
  stage(`expansion tables of order ${order}`);
  const tables = expansionTables(order);
  const softeningDistance = system.softening / Math.sqrt(2 * tolerance);
  const geometryOfTree = { depth, nodeCount, firstLeaf, nodeStart, nodeEnd, boxMin, boxMax, centre, radius };
  const planar = boxMin[2] === boxMax[2];
  const terms = planar ? tables.planarIndex.length : tables.m2lIndex.length;
  const translationCost =
    options.translationCost ?? (options.translationCostPerTerm ?? kTranslationCostPerTerm) * terms;
  stage(`interaction lists of ${nodeCount} nodes (opening angle ${theta})`);
  const { lists, counts, softenedPairs } = interactionLists(
    { ...geometryOfTree, theta, softeningDistance, translationCost },
    options.maxWorkShare ?? Infinity,
    allocate,
  );
  return {
    system,
    n,
    precision,
    tolerance,
    theta,
    tables,
    leafSize,
    ...geometryOfTree,
    electron,
    positions,
    planar,
    softeningDistance,
    lists,
    counts,
    softenedPairs,
    translationCost,
    diagonal: massDiagonal(system),
  };
}

/** The complete binary tree of median splits (the file comment): node ranges and tight boxes. */
export interface TreeSplit {
  readonly depth: number;
  readonly nodeCount: number;
  readonly firstLeaf: number;
  /** electron[k] is the input index of the electron at tree position k. */
  readonly electron: Uint32Array;
  /** The positions in tree order, 3 per electron, in float64. */
  readonly ordered: Float64Array;
  readonly nodeStart: Uint32Array;
  readonly nodeEnd: Uint32Array;
  readonly boxMin: Vector;
  readonly boxMax: Vector;
}

/**
 * Median splits of the `n` electrons at `input` along the longest side of each node's tight box,
 * down to leaves of at most `leafSize`: buildTreeGeometry's tree, and a k-d tree for nearest
 * neighbours (neighbours.ts).
 */
export function splitTree(
  input: Float64Array,
  n: number,
  leafSize: number,
  precision: Precision = 'float64',
  allocate: TreeAllocator = kPlainArrays,
): TreeSplit {
  let depth = 0;
  while (depth < kMaxTreeDepth && Math.ceil(n / 2 ** depth) > leafSize) depth++;
  const nodeCount = 2 ** (depth + 1) - 1;
  const firstLeaf = 2 ** depth - 1;

  const electron = Uint32Array.from({ length: n }, (_, i) => i);
  // The positions in tree order, permuted with `electron`: the splits read them in sequence.
  const ordered = input.slice(0, 3 * n);
  const nodeStart = allocate.uint32(nodeCount);
  const nodeEnd = allocate.uint32(nodeCount);
  nodeEnd[0] = n;
  const boxMin = vectorOf(precision, 3 * nodeCount);
  const boxMax = vectorOf(precision, 3 * nodeCount);
  const low = new Float64Array(3);
  const high = new Float64Array(3);
  for (let node = 0; node < nodeCount; node++) {
    const start = nodeStart[node];
    const end = nodeEnd[node];
    tightBox(ordered, start, end, low, high);
    for (let i = 0; i < 3; i++) {
      boxMin[3 * node + i] = low[i];
      boxMax[3 * node + i] = high[i];
    }
    if (node >= firstLeaf) continue;
    let axis = 0;
    for (let i = 1; i < 3; i++) if (high[i] - low[i] > high[axis] - low[axis]) axis = i;
    const middle = start + Math.floor((end - start) / 2);
    selectMedian(ordered, electron, start, end, middle, axis);
    nodeStart[2 * node + 1] = start;
    nodeEnd[2 * node + 1] = middle;
    nodeStart[2 * node + 2] = middle;
    nodeEnd[2 * node + 2] = end;
  }
  return { depth, nodeCount, firstLeaf, electron, ordered, nodeStart, nodeEnd, boxMin, boxMax };
}

/**
 * The coordinate-wise median electron: the origin of the positions that the GPU's products upload,
 * less it, in float32 (src/kernels/system.ts packPositions, src/kernels/tree.ts packTreeElectrons).
 * Float32 resolves r_ij to 2^-24 |x_i - origin| / r_ij, which a configuration far from the origin
 * would lose (electrons ~1000 R from it: momenta 7.5e-5 off). T depends on differences alone, and
 * the median minimises the sum of |x_i - origin|, where the centre of the box of every electron
 * would sit far from all but a few of them: a ring beside one electron 1e18 away at 5e17, where
 * float32 merges it; a lump of 600 in a ball of R/2 beside one electron 1000 R away at 500 R, where
 * the lump's momenta would lose what a configuration 500 R from the origin loses.
 */
export function medianElectron(positions: Float64Array, n: number): Float64Array {
  const median = (axis: number) => {
    if (n === 0) return 0;
    const values = Float64Array.from({ length: n }, (_, i) => positions[3 * i + axis]).sort();
    return values[(n - 1) >> 1];
  };
  return Float64Array.of(median(0), median(1), median(2));
}

/**
 * The origin of the positions that the GPU's dense and matrix-free products upload (packPositions):
 * the vector model's median electron (medianElectron); the azimuthal model's u_i = rho_i e_i are
 * about the z axis, which its kernels take as given: only z moves, to the median's.
 */
export function uploadOrigin(system: DarwinSystem): Float64Array {
  const { n, positions } = system.configuration;
  const median = medianElectron(positions, n);
  return system.model === 'azimuthal' ? Float64Array.of(0, 0, median[2]) : median;
}

/** The tight box of the electrons start .. end - 1 of `ordered` (3 numbers each). */
function tightBox(
  ordered: Float64Array,
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
      const value = ordered[3 * k + i];
      if (value < low[i]) low[i] = value;
      if (value > high[i]) high[i] = value;
    }
  }
}

/**
 * Reorders electron[start..end), and their positions in `ordered` with them, so that the one at
 * `middle` has the median coordinate along `axis`, those before it no larger and those after no
 * smaller (Hoare's quickselect, O(end - start) expected; the middle pivot keeps sorted and constant
 * input linear too). Read in sequence from `ordered`, not through `electron`: a sphere of 10^6 split
 * in a third of the time.
 */
function selectMedian(
  ordered: Float64Array,
  electron: Uint32Array,
  start: number,
  end: number,
  middle: number,
  axis: number,
): void {
  const key = (k: number) => ordered[3 * k + axis];
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
        for (let c = 0; c < 3; c++) {
          const value = ordered[3 * i + c];
          ordered[3 * i + c] = ordered[3 * j + c];
          ordered[3 * j + c] = value;
        }
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
 * Compressed rows: target node t takes the M2L of the source nodes m2l[m2lOffset[t] .. m2lOffset[t + 1])
 * into its local expansion, and leaf group g = leaf - firstLeaf sums the source leaves
 * near[nearOffset[g] .. nearOffset[g + 1]) directly (its own leaf among them).
 */
export interface InteractionLists {
  readonly m2lOffset: Uint32Array;
  readonly m2l: Uint32Array;
  readonly nearOffset: Uint32Array;
  readonly near: Uint32Array;
}

/**
 * One product's work in direct pairs, as interactionLists weighs it: its pairs and its M2L at
 * translationCost each; the matrix-free product sums N (N - 1).
 */
export function treeProductWork(tree: Pick<TreeGeometry, 'counts' | 'translationCost'>): number {
  return tree.counts.directPairs + tree.counts.translations * tree.translationCost;
}

/**
 * One product's work as a share of the matrix-free product's N (N - 1) pairs: where it passes
 * kTreeWorkShare the tree is no faster than the matrix-free product.
 */
export function treeWorkShare(tree: Pick<TreeGeometry, 'n' | 'counts' | 'translationCost'>): number {
  return treeProductWork(tree) / (tree.n * (tree.n - 1));
}

/**
 * The most of the matrix-free product's N (N - 1) pairs that the tree's product may cost
 * (treeProductWork) for 'auto' to keep it. The crossover N (treeCrossover) is measured on a sphere,
 * whose tree costs well under half the pairs there; a ball packs more neighbours within theta's reach,
 * and its tree pays only where it costs about half of them or less, the compile of its passes
 * included (the README's "The fast multipole product" gives the shares and speed-ups measured).
 */
export const kTreeWorkShare = 0.5;

/** The fast multipole tree of a backend whose M is 'tree': its accuracy and one product's work. */
export interface TreeDetails {
  /** Requested relative error of T x, normwise against the direct sum. */
  readonly tolerance: number;
  /** Expansion order p and opening angle theta (treeAccuracy). */
  readonly order: number;
  readonly theta: number;
  readonly leaves: number;
  /** Most electrons a leaf, and one M2L's price in direct pairs, as the tree was built with them. */
  readonly leafSize: number;
  readonly translationCost: number;
  /** Electron pairs summed directly and M2L translations in one product. */
  readonly directPairs: number;
  readonly translations: number;
  /** One product's work as a share of the matrix-free product's N (N - 1) pairs (treeWorkShare). */
  readonly workShare: number;
  /** Of directPairs, those summed directly only because of the softening (TreeGeometry.softenedPairs). */
  readonly softenedPairs: number;
  /** a / sqrt(2 tol), in units of R: closer pairs of nodes are summed directly (TreeGeometry.softeningDistance). */
  readonly softeningDistance: number;
  /**
   * On the GPU, how the far field runs: tree.wgsl's passes, which read their sums from index tables
   * (a hardware GPU), the passes written out for the order (a CPU adapter, src/kernels/tree-unrolled.ts),
   * or none (every pair summed directly); and the seconds the product's pipelines took to build here
   * (about 0 when an earlier tree built them).
   */
  readonly farField?: {
    readonly passes: 'index tables' | 'written out' | 'none';
    readonly buildSeconds: number;
  };
  /** On the GPU, the bytes of the product's buffers (GpuTreeMassMatrix.bytes). */
  readonly gpuBytes?: number;
}

/**
 * What builds a tree as another was built (buildTree's options): its tolerance, and where given its
 * leaves and M2L price, which make the same lists of the same positions. A refined GPU tree's float64
 * products are its own tree's so (src/run/refine.ts float64Product).
 */
export type TreeBuild = Pick<TreeDetails, 'tolerance'> &
  Partial<Pick<TreeDetails, 'leafSize' | 'translationCost'>>;

/** The TreeDetails of a built tree; a GPU backend adds its farField and gpuBytes. */
export function treeDetails(tree: TreeGeometry): TreeDetails {
  return {
    tolerance: tree.tolerance,
    order: tree.tables.order,
    theta: tree.theta,
    leaves: tree.nodeCount - tree.firstLeaf,
    leafSize: tree.leafSize,
    translationCost: tree.translationCost,
    directPairs: tree.counts.directPairs,
    translations: tree.counts.translations,
    workShare: treeWorkShare(tree),
    softenedPairs: tree.softenedPairs,
    softeningDistance: tree.softeningDistance,
  };
}

/** What one product does: pairs summed directly and M2L translations. */
export interface TreeProductCounts {
  directPairs: number;
  translations: number;
}

/**
 * Interaction lists by a dual-tree walk (Dehnen, J. Comput. Phys. 179, 2002) with an explicit stack of
 * node pairs: a pair of nodes A, B is well separated, and exchanges M2L both ways, when
 *   r_A + r_B <= theta |c_A - c_B|                     (expansion error ~ theta^p, treeAccuracy)
 *   |c_A - c_B| - r_A - r_B >= a / sqrt(2 tolerance)   (softening: see treecode.ts)
 * else the larger node (by radius) is split, and two leaves that are not well separated are summed
 * directly. Two well-separated nodes whose electrons make fewer pairs than their two M2L cost are
 * summed directly too, leaf by leaf (exact, and cheaper). Every electron pair is then covered exactly once,
 * by one M2L or one direct sum, on either path from the root: the lists depend on the positions only, so
 * they are built once per configuration.
 * The direct pairs below a node pair that the tree of a = 0 takes by M2L (the angle accepts it, and it
 * makes no fewer pairs than its two M2L cost) and the softening does not are counted apart
 * (softenedPairs).
 */
function interactionLists(
  tree: Pick<
    TreeGeometry,
    'nodeCount' | 'firstLeaf' | 'nodeStart' | 'nodeEnd' | 'centre' | 'radius' | 'theta' | 'softeningDistance'
  > & { translationCost: number },
  maxWorkShare: number,
  allocate: TreeAllocator,
): { lists: InteractionLists; counts: TreeProductCounts; softenedPairs: number } {
  const { nodeCount, firstLeaf, nodeStart, nodeEnd, centre, radius, theta, softeningDistance } = tree;
  const size = (node: number) => nodeEnd[node] - nodeStart[node];
  const n = size(0);
  const maxEntries = kMaxListEntriesPerNode * nodeCount;
  // Two nodes lie no farther apart, less their radii, than their closest electrons, at most the
  // root's diameter: a softening distance past it separates no pair, and every leaf sums every other
  // directly. Their entries and work (every pair) are known before the walk.
  const maxWork = maxWorkShare * n * (n - 1);
  if (softeningDistance > 2 * radius[0]) {
    let leaves = 0;
    for (let leaf = firstLeaf; leaf < nodeCount; leaf++) if (size(leaf) > 0) leaves++;
    if (leaves * leaves > maxEntries) throw listsRefusal(n, maxEntries, softeningDistance);
    if (n * (n - 1) > maxWork) throw workRefusal(n, maxWorkShare);
  }
  const targets: number[] = [];
  const sources: number[] = [];
  const nearTargets: number[] = [];
  const nearSources: number[] = [];
  const counts: TreeProductCounts = { directPairs: 0, translations: 0 };
  let softenedPairs = 0;
  const count = (entries: number) => {
    if (targets.length + nearTargets.length + entries > maxEntries) {
      throw listsRefusal(n, maxEntries, 2 * softenedPairs > counts.directPairs && softeningDistance);
    }
  };
  const priced = { counts, translationCost: tree.translationCost };
  const charge = () => {
    if (treeProductWork(priced) > maxWork) throw workRefusal(n, maxWorkShare);
  };
  // softened: the pair lies below one the walk of a = 0 would have taken by M2L.
  const near = (target: number, source: number, softened: number) => {
    count(1);
    nearTargets.push(target);
    nearSources.push(source);
    const pairs = size(target) * size(source) - (target === source ? size(target) : 0);
    counts.directPairs += pairs;
    if (softened) softenedPairs += pairs;
    charge();
  };
  // Triples (a, b, softened); a === b is a node with itself.
  const stack: number[] = [0, 0, 0];
  while (stack.length > 0) {
    const softened = stack.pop()!;
    const b = stack.pop()!;
    const a = stack.pop()!;
    if (size(a) === 0 || size(b) === 0) continue;
    if (a === b) {
      if (a >= firstLeaf) near(a, a, softened);
      else
        stack.push(
          2 * a + 1,
          2 * a + 1,
          softened,
          2 * a + 2,
          2 * a + 2,
          softened,
          2 * a + 1,
          2 * a + 2,
          softened,
        );
      continue;
    }
    const distance = Math.hypot(
      centre[3 * a] - centre[3 * b],
      centre[3 * a + 1] - centre[3 * b + 1],
      centre[3 * a + 2] - centre[3 * b + 2],
    );
    const reach = radius[a] + radius[b];
    // distance > 0 keeps two coincident one-electron nodes (radii 0) from being accepted.
    const withinAngle = distance > 0 && reach <= theta * distance;
    const separated = withinAngle && distance - reach >= softeningDistance;
    // The walk of a = 0 (theta < 1: the angle alone separates) takes by M2L a pair the angle accepts
    // whose two M2L cost no more than its direct sum; what it sums directly is none of the softening's.
    const cheaperDirect = size(a) * size(b) < 2 * tree.translationCost;
    const below = softened || (withinAngle && !cheaperDirect && !separated) ? 1 : 0;
    if (separated && cheaperDirect) {
      for (const leafA of leavesOf(a, firstLeaf)) {
        for (const leafB of leavesOf(b, firstLeaf)) {
          near(leafA, leafB, below);
          near(leafB, leafA, below);
        }
      }
    } else if (separated) {
      count(2);
      targets.push(a, b);
      sources.push(b, a);
      counts.translations += 2;
      charge();
    } else if (a >= firstLeaf && b >= firstLeaf) {
      near(a, b, below);
      near(b, a, below);
    } else {
      const splitA = b >= firstLeaf || (a < firstLeaf && radius[a] >= radius[b]);
      const [open, other] = splitA ? [a, b] : [b, a];
      stack.push(2 * open + 1, other, below, 2 * open + 2, other, below);
    }
  }
  const m2l = compressedRows(targets, sources, nodeCount, 0, allocate);
  const direct = compressedRows(nearTargets, nearSources, nodeCount - firstLeaf, firstLeaf, allocate);
  return {
    lists: { m2lOffset: m2l.offset, m2l: m2l.values, nearOffset: direct.offset, near: direct.values },
    counts,
    softenedPairs,
  };
}

/**
 * The refusal of a tree whose lists pass kMaxListEntriesPerNode: the memory it is sized for (O(N)),
 * before the walk's arrays take gigabytes. `softeningDistance` where the softening made most of its
 * direct pairs (0 or false otherwise).
 */
function listsRefusal(n: number, maxEntries: number, softeningDistance: number | false): InputError {
  const cause = softeningDistance
    ? `node pairs closer than a / sqrt(2 tol) = ${softeningDistance.toPrecision(3)} R are summed ` +
      'directly, most of them here (a smaller --softening or a larger --tree-tol separates more)'
    : 'few of its nodes are far enough apart for the opening angle';
  return new InputError(
    `the tree of ${n} electrons would need more than ${maxEntries} interaction-list entries ` +
      `(${kMaxListEntriesPerNode} a node), past the O(N) memory it is sized for, because ${cause}; ` +
      "the GPU's --matrix free holds only the positions",
    'matrix',
  );
}

/**
 * The refusal of a tree whose product would cost more than `maxWorkShare` of the matrix-free
 * product's pairs (TreeOptions.maxWorkShare), its M2L priced as pairs: it pays no better.
 */
function workRefusal(n: number, maxWorkShare: number): InputError {
  return new InputError(
    `the tree of ${n} electrons would cost more than ${100 * maxWorkShare}% of the matrix-free ` +
      "product's pairs; use --matrix free",
    'matrix',
  );
}

/** The leaves below `node` (itself if a leaf): in the complete tree, a contiguous run of indices. */
function leavesOf(node: number, firstLeaf: number): number[] {
  let first = node;
  let last = node;
  while (first < firstLeaf) {
    first = 2 * first + 1;
    last = 2 * last + 2;
  }
  return Array.from({ length: last - first + 1 }, (_, k) => first + k);
}

/** Rows of (row + first, value) pairs by a counting sort: offsets of rowCount + 1 entries, values. */
function compressedRows(
  rows: readonly number[],
  values: readonly number[],
  rowCount: number,
  first: number,
  allocate: TreeAllocator,
): { offset: Uint32Array; values: Uint32Array } {
  const offset = allocate.uint32(rowCount + 1);
  for (const row of rows) offset[row - first + 1]++;
  for (let r = 0; r < rowCount; r++) offset[r + 1] += offset[r];
  const next = offset.slice(0, rowCount);
  const sorted = allocate.uint32(values.length);
  rows.forEach((row, k) => (sorted[next[row - first]++] = values[k]));
  return { offset, values: sorted };
}
