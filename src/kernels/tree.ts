// Host side of shaders/tree.wgsl: the fast multipole product y = D x + eps T x on the GPU, O(N) work
// and memory per product. The tree, its lists and the expansion tables are built once per
// configuration on the CPU (src/physics/tree-build.ts) and uploaded once; each product is recorded
// into the caller's encoder as one compute pass, with no readback, or, where a product is long (large
// N on a slow adapter), as pieces of a fraction of a second each, so that a solve can stop between them.
// On a CPU adapter the far field runs in passes written out per expansion order (tree-unrolled.ts).
import {
  completeLocal,
  kCharges,
  expansionTables,
  reduceMultipole,
  type ExpansionTables,
} from '../physics/cartesian-expansion.ts';
import { unknowns, validateSystem, type DarwinSystem } from '../physics/models.ts';
import {
  buildTreeGeometry,
  medianElectron,
  kListEntriesPerNode,
  kMaxTreeDepth,
  treeAccuracy,
  type TreeGeometry,
  type TreeOptions,
  type TreeProductCounts,
} from '../physics/tree-build.ts';
import { alignTo, createBuffer } from '../gpu/buffers.ts';
import { withErrorScopes, type GpuContext } from '../gpu/device.ts';
import { ShaderEntries, type GroupBindings, checkWorkgroupSize } from '../gpu/pipelines.ts';
import type { GeneratedShader } from '../gpu/shaders.ts';
import { kCpuTreeLeaves, kGpuTreeLeaves, type MatvecFreeVariant, type TreeLeaves } from '../gpu/profile.ts';
import { chunkPairs } from './matvec-free.ts';
import {
  kShiftStages,
  kUnrolledWorkgroupSize,
  shiftColumns,
  unrolledTreePasses,
  type ShiftStage,
  type UnrolledTreePasses,
} from './tree-unrolled.ts';
import {
  beginMatvecPass,
  writeEpsilonSlots,
  matvecSharedLayouts,
  type GpuMassOperator,
  type MatvecOptions,
} from './operator.ts';
import { gpuModel, kGpuModelCode, packPositions, type GpuModel } from './system.ts';

/** Most threads per workgroup of the tree dispatches; also the tile of the direct sums. */
export const kTreeWorkgroupSize = 64;

/**
 * Threads per workgroup for leaves of at most `largestLeaf` electrons: a leaf's electrons are its
 * workgroup's targets, taken kTreeWorkgroupSize at most at a time, so the size is the leaf split into
 * as few equal rounds as that allows, rounded up to 4 (SwiftShader's SIMD width). Leaves of 78 then
 * run 2 rounds of 40 threads, not a round of 64 and one of 14 in 64 (61% of the lanes busy), which
 * would leave the direct sum, most of the product, far slower per pair than matvec_free's.
 */
export function treeWorkgroupSize(largestLeaf: number): number {
  const rounds = Math.ceil(largestLeaf / kTreeWorkgroupSize);
  return Math.min(kTreeWorkgroupSize, 4 * Math.ceil(largestLeaf / rounds / 4));
}

/** Byte size of the WGSL struct TreeParams (a test checks the two agree). */
export const kTreeParamsBytes = 196;

/** Byte offset of TreeParams.epsilon, which setEpsilon rewrites alone. */
export const kTreeEpsilonOffset = 8;

/**
 * Workgroup memory an M2L batch may take for its sources' derivatives: 12 KiB of the 16 KiB every
 * WebGPU device offers, the rest left to the batch's ratios and the guard.
 */
const kM2lBatchBytes = 12 * 1024;

/** The index tables of TreeParams, in the order of the WGSL struct: offsets into the tables buffer. */
const kTableNames = [
  'exponents',
  'upwardOffset',
  'upwardPair',
  'sumOffset',
  'sumIndex',
  'completionOffset',
  'completionEntry',
  'completionWeight',
  'reductionOffset',
  'reductionEntry',
  'reductionWeight',
  'minusOne',
  'minusTwo',
  'firstWeight',
  'secondWeight',
  'factorial',
  'm2lOffset',
  'm2lIndex',
  'planarReduced',
  'planarOffset',
  'planarAlpha',
  'planarIndex',
  'nodeStart',
  'nodeEnd',
  'listOffset',
  'list',
  'nearOffset',
  'near',
  'electron',
  'columnsX',
  'columnsY',
  'columnsZ',
  'm2lNodes',
] as const;

export type TreeTableName = (typeof kTableNames)[number];

export interface TreeParams {
  readonly n: number;
  readonly size: number;
  readonly epsilon: number;
  readonly softening: number;
  /** The dispatch's nodes [firstNode, firstNode + rangeNodes) (the M2L's: positions in m2lNodeOrder). */
  readonly firstNode: number;
  readonly rangeNodes: number;
  readonly firstLeaf: number;
  readonly reducedCount: number;
  readonly order: number;
  readonly planarCount: number;
  readonly far: boolean;
  readonly planar: boolean;
  readonly originX: number;
  readonly originY: number;
  readonly offsets: Readonly<Record<TreeTableName, number>>;
}

export function packTreeParams(params: TreeParams): ArrayBuffer {
  const view = new DataView(new ArrayBuffer(kTreeParamsBytes));
  view.setUint32(0, params.n, true); // n: electrons N
  view.setUint32(4, params.size, true); // size: length of x and y, N times the block size
  view.setFloat32(kTreeEpsilonOffset, params.epsilon, true); // epsilon: eps = r_e / R (eq. 49/50)
  view.setFloat32(12, params.softening * params.softening, true); // softeningSquared: a^2, rounded once
  view.setUint32(16, params.firstNode, true); // firstNode: the dispatch's first node
  view.setUint32(20, params.rangeNodes, true); // rangeNodes: its nodes, one workgroup each
  view.setUint32(24, params.firstLeaf, true); // firstLeaf: leaves are firstLeaf .. nodeCount - 1
  view.setUint32(28, params.reducedCount, true); // reducedCount: (p + 1)^2 harmonic terms
  view.setUint32(32, params.order, true); // order: p
  view.setUint32(36, params.planarCount, true); // planarCount: rows of the planar M2L
  view.setUint32(40, params.far ? 1 : 0, true); // far: 1 when any M2L exists (else all is direct)
  view.setUint32(44, params.planar ? 1 : 0, true); // planar: 1 for the planar M2L
  view.setFloat32(48, params.originX, true); // originX, originY: the upload's origin, for u = (-y, x, 0)
  view.setFloat32(52, params.originY, true);
  // pad0, pad1 at 56, 60; then each table's offset into the tables buffer, in kTableNames order.
  kTableNames.forEach((name, k) => view.setUint32(64 + 4 * k, params.offsets[name], true));
  return view.buffer;
}

/** The entry points of tree.wgsl, in the order a product dispatches them. */
type TreeEntry =
  | 'tree_gather'
  | 'tree_p2m'
  | 'tree_m2m'
  | 'tree_reduce'
  | 'tree_m2l'
  | 'tree_l2l'
  | 'tree_evaluate'
  | 'tree_evaluate_blocked';

// Group 0 of each entry point: only the buffers it uses, so none exceeds the 8 storage buffers per
// stage every device allows (groups 1 and 2 take three).
const kBindings: Record<TreeEntry, GroupBindings> = {
  tree_gather: { 0: 'uniform', 1: 'read', 2: 'read', 4: 'write' },
  tree_p2m: { 0: 'uniform', 1: 'read', 2: 'read', 3: 'read', 5: 'write', 10: 'read' },
  tree_m2m: { 0: 'uniform', 2: 'read', 3: 'read', 5: 'write' },
  tree_reduce: { 0: 'uniform', 2: 'read', 6: 'write', 12: 'read' },
  tree_m2l: { 0: 'uniform', 2: 'read', 3: 'read', 7: 'write', 9: 'read' },
  tree_l2l: { 0: 'uniform', 2: 'read', 3: 'read', 7: 'write', 8: 'write' },
  tree_evaluate: { 0: 'uniform', 1: 'read', 2: 'read', 3: 'read', 10: 'read', 11: 'read' },
  tree_evaluate_blocked: { 0: 'uniform', 1: 'read', 2: 'read', 3: 'read', 10: 'read', 11: 'read' },
};

/** kMostTargetBlocks of tree.wgsl: tree_evaluate_blocked's blocks of four targets a thread, written out. */
const kMostTargetBlocks = 8;

/**
 * Threads of tree_evaluate_blocked's workgroup, its override blockedThreads: one SIMD group of a CPU
 * adapter (SwiftShader's width), so that a barrier waits for that group alone.
 */
export const kBlockedThreads = 4;

/**
 * Blocks of four targets per thread of tree_evaluate_blocked for leaves of at most `largestLeaf`: its
 * kBlockedThreads threads hold the leaf, in rounds past kMostTargetBlocks.
 */
export function targetBlocksOf(largestLeaf: number): number {
  return Math.min(kMostTargetBlocks, Math.max(1, Math.ceil(largestLeaf / (4 * kBlockedThreads))));
}

/** kPowers of tree.wgsl: p + 1 <= 17 powers of a ratio (a test checks the two agree). */
export const kPowers = 17;

/**
 * Sources per M2L batch for `termCount` terms: their derivatives (termCount + 1 floats), two ratio
 * tables (kPowers each) and node index fill at most kM2lBatchBytes.
 */
export function m2lBatchSize(termCount: number, workgroupSize: number): number {
  const perSource = 4 * (termCount + 1 + 2 * kPowers + 1);
  return Math.max(1, Math.min(workgroupSize, Math.floor(kM2lBatchBytes / perSource)));
}

/**
 * The order in which the M2L pass takes the nodes: longest interaction list first (ties by node). A
 * CPU adapter's unrolled M2L runs a node a thread and its SIMD group of four as long as the longest
 * of their lists, so that in node order many lanes idle; sorted, neighbouring threads' lists differ by
 * an entry or two (the README's "The fast multipole product" measures both orders). Every node is in
 * it, those with no list last (the pass zeroes their M2L sums). Each node's sum is the same whatever
 * the order.
 */
export function m2lNodeOrder(lists: TreeGeometry['lists'], nodeCount: number): Uint32Array {
  const length = (node: number) => lists.m2lOffset[node + 1] - lists.m2lOffset[node];
  return Uint32Array.from({ length: nodeCount }, (_, node) => node).sort(
    (a, b) => length(b) - length(a) || a - b,
  );
}

/**
 * The index tables, node ranges, lists and electron order of `tree` in one u32 array, with the M2L
 * pass's node order (m2lNodeOrder, which treeStages prices in the same order).
 */
export function packTreeTables(
  tree: TreeGeometry,
  m2lNodes = m2lNodeOrder(tree.lists, tree.nodeCount),
): {
  data: Uint32Array;
  offsets: Record<TreeTableName, number>;
} {
  const { tables, lists } = tree;
  const count = tables.termCount;
  const floats = (values: ArrayLike<number>) => new Uint32Array(Float32Array.from(values).buffer);
  const exponents = Uint32Array.from({ length: count }, (_, t) => {
    const [kx, ky, kz] = tables.exponents.subarray(3 * t, 3 * t + 3);
    return kx | (ky << 8) | (kz << 16) | ((kx + ky + kz) << 24);
  });
  const upward = upwardRows(tables);
  const completion = linearRows(count, tables.reducedCount, (r, out) => {
    out[kCharges * tables.reducedTerm[r]] = 1;
    completeLocal(tables, out);
  });
  const reduction = linearRows(tables.reducedCount, count, (t, out) => {
    const moments = new Float64Array(kCharges * count);
    moments[kCharges * t] = 1;
    reduceMultipole(tables, moments, out);
  });
  const reducedIndex = new Map(Array.from(tables.reducedTerm, (term, r) => [term, r]));
  const parts: Record<TreeTableName, ArrayLike<number>> = {
    exponents,
    upwardOffset: upward.offset,
    upwardPair: upward.pair,
    sumOffset: tables.sumOffset,
    sumIndex: tables.sumIndex,
    completionOffset: completion.offset,
    completionEntry: completion.entry,
    completionWeight: floats(completion.weight),
    reductionOffset: reduction.offset,
    reductionEntry: reduction.entry,
    reductionWeight: floats(reduction.weight),
    minusOne: tables.minusOne,
    minusTwo: tables.minusTwo,
    firstWeight: floats(tables.firstWeight),
    secondWeight: floats(tables.secondWeight),
    factorial: floats(tables.factorial),
    m2lOffset: tables.m2lOffset,
    m2lIndex: tables.m2lIndex,
    planarReduced: Array.from(tables.planarTerm, (term) => reducedIndex.get(term)!),
    planarOffset: tables.planarOffset,
    planarAlpha: tables.planarAlpha,
    planarIndex: tables.planarIndex,
    nodeStart: tree.nodeStart,
    nodeEnd: tree.nodeEnd,
    listOffset: lists.m2lOffset,
    list: lists.m2l,
    nearOffset: lists.nearOffset,
    near: lists.near,
    electron: tree.electron,
    columnsX: shiftColumns(tables, 0),
    columnsY: shiftColumns(tables, 1),
    columnsZ: shiftColumns(tables, 2),
    m2lNodes,
  };
  const offsets = {} as Record<TreeTableName, number>;
  let length = 0;
  for (const name of kTableNames) {
    offsets[name] = length;
    length += parts[name].length;
  }
  const data = new Uint32Array(Math.max(1, length));
  for (const name of kTableNames) data.set(parts[name], offsets[name]);
  return { data, offsets };
}

/**
 * M2M as a gather (each thread one term t of the parent): every pair (beta, alpha) with
 * beta + alpha = t, packed beta | alpha << 16, in rows by t; the transpose of sumIndex.
 */
function upwardRows(tables: ExpansionTables): { offset: Uint32Array; pair: Uint32Array } {
  const { termCount: count, sumOffset, sumIndex } = tables;
  const offset = new Uint32Array(count + 1);
  for (let k = 0; k < sumIndex.length; k++) offset[sumIndex[k] + 1]++;
  for (let t = 0; t < count; t++) offset[t + 1] += offset[t];
  const next = offset.slice(0, count);
  const pair = new Uint32Array(sumIndex.length);
  for (let beta = 0; beta < count; beta++) {
    for (let alpha = 0; alpha < sumOffset[beta + 1] - sumOffset[beta]; alpha++) {
      pair[next[sumIndex[sumOffset[beta] + alpha]]++] = beta | (alpha << 16);
    }
  }
  return { offset, pair };
}

/**
 * The matrix of a linear map from `columns` to `rows` numbers as compressed rows of its non-zero
 * entries: `apply(column, out)` writes the image of a unit vector into `out` (kCharges per entry,
 * charge 0 read). The harmonic reduction and completion of cartesian-expansion.ts become gathers.
 */
function linearRows(
  rows: number,
  columns: number,
  apply: (column: number, out: Float64Array) => void,
): { offset: Uint32Array; entry: Uint32Array; weight: Float64Array } {
  const byRow: { column: number; weight: number }[][] = Array.from({ length: rows }, () => []);
  const image = new Float64Array(kCharges * Math.max(rows, columns));
  for (let column = 0; column < columns; column++) {
    image.fill(0);
    apply(column, image);
    for (let row = 0; row < rows; row++) {
      const weight = image[kCharges * row];
      if (weight !== 0) byRow[row].push({ column, weight });
    }
  }
  const offset = new Uint32Array(rows + 1);
  byRow.forEach((entries, row) => (offset[row + 1] = offset[row] + entries.length));
  const flat = byRow.flat();
  return {
    offset,
    entry: Uint32Array.from(flat, (e) => e.column),
    weight: Float64Array.from(flat, (e) => e.weight),
  };
}

/**
 * Centre - `origin` (the electrons', packTreeElectrons) and scale s per node (vec4s): s is the node's
 * radius, or its parent's where that is 0 (a point-like node: its moments and coefficients beyond
 * degree 0 vanish or are exact with any s), 1 for a point-like root.
 */
export function packNodes(tree: TreeGeometry, origin: Float64Array): Float32Array {
  const { nodeCount, centre, radius } = tree;
  const packed = new Float32Array(4 * nodeCount);
  const scale = new Float64Array(nodeCount);
  for (let node = 0; node < nodeCount; node++) {
    const inherited = node === 0 ? 1 : scale[(node - 1) >> 1];
    scale[node] = radius[node] > 0 ? radius[node] : inherited;
    for (let i = 0; i < 3; i++) packed[4 * node + i] = centre[3 * node + i] - origin[i];
    packed[4 * node + 3] = scale[node];
  }
  return packed;
}

/** A storage buffer of the tree product: its binding in tree.wgsl, its label, its contents or bytes. */
export interface TreeStorageBuffer {
  readonly binding: number;
  readonly label: string;
  readonly data: ArrayBufferView | number;
}

/**
 * The storage buffers of `tree`'s product (its uniforms aside) with `tables` (packTreeTables): the
 * electrons, tables and nodes packed less `origin`, the float32 frame's, the median electron in
 * every model (medianElectron), whose x and y the azimuthal model's u = (-y, x, 0) adds back
 * (TreeParams.originX, originY); the charges and the four expansions sized, one vec4 each where no
 * node pair is far enough for an M2L.
 */
export function treeStorageBuffers(
  tree: TreeGeometry,
  tables: Uint32Array,
  origin: Float64Array = medianElectron(tree.system.configuration.positions, tree.n),
): TreeStorageBuffer[] {
  const { termCount, reducedCount } = tree.tables;
  const far = tree.counts.translations > 0;
  const expansionBytes = (terms: number) => (far ? 16 * terms * tree.nodeCount : 16);
  return [
    { binding: 1, label: 'electrons', data: packTreeElectrons(tree, origin) },
    { binding: 2, label: 'tables', data: tables },
    { binding: 3, label: 'nodes', data: packNodes(tree, origin) },
    { binding: 4, label: 'charges', data: 16 * tree.n },
    { binding: 5, label: 'moments', data: expansionBytes(termCount) },
    { binding: 6, label: 'reduced', data: expansionBytes(reducedCount) },
    { binding: 7, label: 'm2lLocals', data: expansionBytes(reducedCount) },
    { binding: 8, label: 'locals', data: expansionBytes(termCount) },
  ];
}

/** Bytes of `buffers` (treeStorageBuffers). */
export function storageBytes(buffers: readonly TreeStorageBuffer[]): number {
  return buffers.reduce((sum, { data }) => sum + (typeof data === 'number' ? data : data.byteLength), 0);
}

/**
 * Positions - `origin` (treeStorageBuffers', formed in float64, then rounded) in tree order, and rho^2
 * (packPositions'), as vec4s.
 */
function packTreeElectrons(tree: TreeGeometry, origin: Float64Array): Float32Array {
  const { n, electron } = tree;
  const input = packPositions(tree.system);
  const positions = tree.system.configuration.positions;
  const packed = new Float32Array(4 * n);
  for (let k = 0; k < n; k++) {
    const i = electron[k];
    for (let c = 0; c < 3; c++) packed[4 * k + c] = positions[3 * i + c] - origin[c];
    packed[4 * k + 3] = input[4 * i + 3];
  }
  return packed;
}

/**
 * Bytes of the GPU objects of a tree product of N electrons at `tolerance`: the electrons and
 * charges, the nodes and their four expansions, the index tables (M2M's and L2L's rows, M2L's, and a
 * few per term) and the lists. O(N): nodes are about 2 N / leaf size, here the smaller leaves of
 * either kind of device (kEstimateLeafSize), so that one estimate bounds both before the device's
 * tree is built.
 */
const kEstimateLeafSize = Math.min(kCpuTreeLeaves.leafSize, kGpuTreeLeaves.leafSize);

export function treeBytes(n: number, tolerance: number): number {
  return treeBufferBytes(n, tolerance).total;
}

/**
 * treeBytes's estimate as `total`, and `largest`, its largest storage buffer (treeStorageBuffers),
 * which one binding must hold: the electrons or charges (a vec4 each), an expansion of every node
 * (a vec4 per term), or the tables with the lists.
 */
export function treeBufferBytes(n: number, tolerance: number): { total: number; largest: number } {
  const tables = expansionTables(treeAccuracy(tolerance).order);
  const { termCount: terms, reducedCount } = tables;
  let depth = 0;
  while (depth < kMaxTreeDepth && Math.ceil(n / 2 ** depth) > kEstimateLeafSize) depth++;
  const nodeCount = 2 ** (depth + 1) - 1;
  const electrons = (16 + 16 + 4) * n;
  const expansions = 16 * nodeCount * (1 + 2 * terms + 2 * reducedCount);
  const indexTables = 4 * (2 * tables.sumIndex.length + 20 * terms + tables.m2lIndex.length);
  const lists = 4 * kListEntriesPerNode * nodeCount;
  return {
    total: electrons + expansions + indexTables + lists,
    largest: Math.max(16 * n, 16 * nodeCount * terms, indexTables + lists),
  };
}

const kernels = new WeakMap<GPUDevice, Map<string, ShaderEntries<string>>>();

/** `make`'s entry points once per device and key: a sweep over configurations compiles them once. */
function cachedEntries(
  device: GPUDevice,
  key: string,
  make: () => ShaderEntries<string>,
): ShaderEntries<string> {
  let perDevice = kernels.get(device);
  if (!perDevice) kernels.set(device, (perDevice = new Map()));
  let entries = perDevice.get(key);
  if (!entries) perDevice.set(key, (entries = make()));
  return entries;
}

/** The entry points of tree.wgsl for one set of overrides (workgroup size, model, order, batch). */
function treeEntries(device: GPUDevice, constants: Record<string, number>): ShaderEntries<string> {
  return cachedEntries(
    device,
    JSON.stringify(constants),
    () =>
      new ShaderEntries<string>(device, {
        family: 'Tree',
        shader: 'tree',
        bindings: kBindings,
        uniformBytes: kTreeParamsBytes,
        constants,
        sharedLayouts: matvecSharedLayouts(device),
      }),
  );
}

/** Group 0 of the unrolled passes (tree-unrolled.ts): P2M's and M2L's as tree.wgsl's. */
const kUnrolledBindings = {
  p2m: kBindings.tree_p2m,
  m2l: kBindings.tree_m2l,
  l2p: { 0: 'uniform', 1: 'read', 2: 'read', 3: 'read', 11: 'read' },
  reduce: { 0: 'uniform', 6: 'write', 12: 'read' },
  complete: { 0: 'uniform', 7: 'write', 8: 'write' },
  m2mX: { 0: 'uniform', 2: 'read', 3: 'read', 8: 'write', 12: 'read' },
  m2mY: { 0: 'uniform', 2: 'read', 3: 'read', 5: 'write', 11: 'read' },
  m2mZ: { 0: 'uniform', 2: 'read', 3: 'read', 5: 'write' },
  l2lX: { 0: 'uniform', 2: 'read', 3: 'read', 8: 'write' },
  l2lY: { 0: 'uniform', 2: 'read', 3: 'read', 5: 'write', 11: 'read' },
  l2lZ: { 0: 'uniform', 2: 'read', 3: 'read', 7: 'write', 8: 'write', 12: 'read' },
} as const satisfies Record<string, GroupBindings>;

/**
 * The unrolled passes of `tables` (tree-unrolled.ts) and the entry points that do each stage of a
 * product: compiled once per order (P2M, M2M, L2L), per order and row set (M2L), and per order and
 * model (L2P, which writes y).
 */
function unrolledEntries(
  device: GPUDevice,
  tables: ExpansionTables,
  planar: boolean,
  model: number,
): { passes: UnrolledTreePasses; entriesOf: (entry: string) => ShaderEntries<string> } {
  const passes = unrolledTreePasses(tables, planar);
  const { expansions, translations, p2m, reduce, complete, m2l, l2p, shifts } = passes;
  const host = (
    shader: GeneratedShader,
    key: string,
    bindings: Record<string, GroupBindings>,
    constants = {},
  ) =>
    cachedEntries(
      device,
      key,
      () =>
        new ShaderEntries<string>(device, {
          family: 'TreeUnrolled',
          shader,
          bindings,
          constants,
          uniformBytes: kTreeParamsBytes,
          sharedLayouts: matvecSharedLayouts(device),
        }),
    );
  const order = host(expansions, expansions.name, {
    [p2m]: kUnrolledBindings.p2m,
    [reduce]: kUnrolledBindings.reduce,
    [complete]: kUnrolledBindings.complete,
    ...Object.fromEntries(kShiftStages.map((stage) => [shifts[stage], kUnrolledBindings[stage]])),
  });
  const rows = host(
    translations,
    translations.name,
    Object.fromEntries(m2l.map((name) => [name, kUnrolledBindings.m2l])),
  );
  const product = host(
    expansions,
    `${expansions.name}:${model}`,
    { [l2p]: kUnrolledBindings.l2p },
    { model },
  );
  return {
    passes,
    entriesOf: (entry) => (entry === l2p ? product : m2l.includes(entry) ? rows : order),
  };
}

function isTreeEntry(entry: string): entry is TreeEntry {
  return entry in kBindings;
}

/** The unrolled entry points that do stage `entry` of a product, or null where tree.wgsl does it. */
function unrolledNames(passes: UnrolledTreePasses, entry: TreeStage['entry']): readonly string[] | null {
  if (entry === 'tree_p2m') return [passes.p2m];
  if (entry === 'tree_reduce') return [passes.reduce];
  if (entry === 'tree_complete') return [passes.complete];
  if (entry === 'tree_m2l') return passes.m2l;
  if (entry === 'tree_l2p') return [passes.l2p];
  const stage = kShiftStages.find((name) => entry === `tree_${name}`);
  return stage ? [passes.shifts[stage]] : null;
}

/** A dispatch of `count` workgroups as (x, y) within the per-dimension limit. */
function gridOf(device: GPUDevice, count: number): [number, number] {
  const limit = device.limits.maxComputeWorkgroupsPerDimension;
  const x = Math.max(1, Math.min(count, limit));
  return [x, Math.ceil(count / x)];
}

/** A dispatch before its group 0 exists: its entry point, params slot and workgroups. */
interface DispatchPlan {
  readonly entries: ShaderEntries<string>;
  readonly entry: string;
  readonly slot: number;
  readonly workgroups: number;
}

/** What one product dispatches: an entry point, its group 0, and its workgroups. */
interface TreeDispatch {
  readonly entries: ShaderEntries<string>;
  readonly entry: string;
  readonly group: GPUBindGroup;
  readonly grid: readonly [number, number];
}

/**
 * One dispatch of a product over a run of nodes (tree_gather: over the electrons, as one unit), with
 * the estimated work of each node in direct pairs: the nodes of a dispatch are independent (each
 * workgroup writes only its own node's expansions or its own leaf's electrons of y), so a dispatch
 * split into node ranges computes the same numbers.
 */
export interface TreeStage {
  /**
   * tree.wgsl's entry point, or a pass of tree-unrolled.ts that tree.wgsl does in another: the L2P
   * after the near field, the stages of M2M and L2L, and the M2L's completion after the L2L.
   */
  readonly entry: TreeEntry | 'tree_l2p' | 'tree_complete' | `tree_${ShiftStage}`;
  readonly firstNode: number;
  readonly work: Float64Array;
}

/**
 * The dispatches of one product in order, each with its work per node in direct pairs. The direct
 * sum of a leaf is its pairs; an M2L is its contraction's terms (tables.m2lIndex, or planarIndex)
 * at the price of the passes that run it: tree.wgsl's, which gather every term through the index
 * tables (kGpuTreeLeaves), or the unrolled ones, written out (kCpuTreeLeaves, a third of that). The
 * other passes are priced by their terms at the same cost: an estimate, not a measurement. Pieces of
 * equal estimated work then take about equal time, which the time left of a long product assumes
 * (src/run/chunks.ts); pricing the unrolled passes as tree.wgsl's would put most of a product's time
 * in its last pieces.
 * At the GPU defaults the other passes are a small part of a product (a ball of 5·10^4: 1.8·10^9
 * pairs in all, 1.5·10^9 of them the near field, 1.6·10^8 M2L, 1.1·10^8 the rest); in a tree forced
 * to small leaves and every M2L (the tests') M2M and L2L weigh most.
 */
export function treeStages(
  tree: TreeGeometry,
  far: boolean,
  unrolled = false,
  m2lNodes = m2lNodeOrder(tree.lists, tree.nodeCount),
): TreeStage[] {
  const { tables, lists, nodeStart, nodeEnd, firstLeaf, depth } = tree;
  const perTerm = (unrolled ? kCpuTreeLeaves : kGpuTreeLeaves).translationCostPerTerm;
  const terms = tables.termCount;
  const size = (node: number) => nodeEnd[node] - nodeStart[node];
  const leafCount = 2 ** depth;
  const perNode = (count: number, work: (node: number) => number, first: number) =>
    Float64Array.from({ length: count }, (_, k) => work(first + k));
  const stages: TreeStage[] = [{ entry: 'tree_gather', firstNode: 0, work: Float64Array.of(tree.n) }];
  const level = (entry: TreeStage['entry'], l: number, work: number): TreeStage => ({
    entry,
    firstNode: 2 ** l - 1,
    work: new Float64Array(2 ** l).fill(work),
  });
  if (far) {
    stages.push({
      entry: 'tree_p2m',
      firstNode: firstLeaf,
      work: perNode(leafCount, (leaf) => size(leaf) * terms * perTerm, firstLeaf),
    });
    const reduce = terms * perTerm;
    // A one-dimensional shift (tree-unrolled.ts): p - |t| + 1 terms for each t.
    let shift = 0;
    for (let t = 0; t < terms; t++)
      shift += tables.order + 1 - tables.exponents.subarray(3 * t, 3 * t + 3).reduce((a, b) => a + b);
    shift *= perTerm;
    if (unrolled) {
      // Each level's moments are reduced for M2L before its children's y stage overwrites them.
      for (let l = depth - 1; l >= 0; l--) {
        stages.push(level('tree_reduce', l + 1, reduce));
        stages.push(level('tree_m2mX', l + 1, shift), level('tree_m2mY', l + 1, shift));
        stages.push(level('tree_m2mZ', l, 2 * shift));
      }
      stages.push(level('tree_reduce', 0, reduce));
    } else {
      // M2M: both children's moments, for each (beta, alpha) of the parent's terms.
      const m2m = 2 * tables.sumIndex.length * perTerm;
      for (let l = depth - 1; l >= 0; l--) stages.push(level('tree_m2m', l, m2m));
      stages.push({
        entry: 'tree_reduce',
        firstNode: 0,
        work: new Float64Array(tree.nodeCount).fill(reduce),
      });
    }
    const contraction = (tree.planar ? tables.planarIndex.length : tables.m2lIndex.length) * perTerm;
    // Its "nodes" are positions in m2lNodeOrder, as the pass reads them.
    stages.push({
      entry: 'tree_m2l',
      firstNode: 0,
      work: Float64Array.from(
        m2lNodes,
        (node) => (lists.m2lOffset[node + 1] - lists.m2lOffset[node]) * contraction,
      ),
    });
    if (unrolled) {
      // Each level's parent part, then its completed M2L sums, before its children read it.
      for (let l = 0; l <= depth; l++) {
        if (l > 0) stages.push(level('tree_l2lX', l, shift), level('tree_l2lY', l, shift));
        stages.push(level('tree_l2lZ', l, shift), level('tree_complete', l, reduce));
      }
    } else {
      const l2l = (tables.sumIndex.length + terms) * perTerm;
      for (let l = 0; l <= depth; l++) stages.push(level('tree_l2l', l, l2l));
    }
  }
  const l2p = far ? terms * perTerm : 0;
  const leafWork = (work: (leaf: number) => number) => perNode(leafCount, work, firstLeaf);
  stages.push({
    entry: 'tree_evaluate',
    firstNode: firstLeaf,
    work: leafWork((leaf) => {
      let pairs = unrolled ? 0 : size(leaf) * l2p;
      const g = leaf - firstLeaf;
      for (let l = lists.nearOffset[g]; l < lists.nearOffset[g + 1]; l++) {
        const source = lists.near[l];
        pairs += size(leaf) * size(source) - (source === leaf ? size(leaf) : 0);
      }
      return pairs;
    }),
  });
  if (far && unrolled) {
    stages.push({ entry: 'tree_l2p', firstNode: firstLeaf, work: leafWork((leaf) => size(leaf) * l2p) });
  }
  return stages;
}

/** Nodes [first, first + count) of stage `stage` (indices into the stage's work). */
export interface StageRange {
  readonly stage: number;
  readonly first: number;
  readonly count: number;
}

/**
 * Splits the stages, in order, into pieces of at most `budget` work each: a piece takes whole
 * stages while they fit, and a stage that does not fit is cut between nodes; a single node over the
 * budget is a piece of its own (the budget is a target, not a bound).
 */
export function splitIntoPieces(work: readonly ArrayLike<number>[], budget: number): StageRange[][] {
  const pieces: StageRange[][] = [];
  let piece: StageRange[] = [];
  let room = budget;
  work.forEach((nodes, stage) => {
    let first = 0;
    while (first < nodes.length) {
      let end = first;
      let sum = 0;
      while (end < nodes.length && sum + nodes[end] <= room) sum += nodes[end++];
      if (end === first && piece.length > 0) {
        pieces.push(piece);
        piece = [];
        room = budget;
        continue;
      }
      if (end === first) sum = nodes[end++];
      piece.push({ stage, first, count: end - first });
      room -= sum;
      first = end;
      if (first < nodes.length) {
        pieces.push(piece);
        piece = [];
        room = budget;
      }
    }
  });
  if (piece.length > 0) pieces.push(piece);
  return pieces;
}

/**
 * Pieces of one product at most: each cut takes a uniform slot (256 bytes) and a bind group, so a
 * few MiB at most; past it the pieces grow beyond the budget. On SwiftShader a ball of 5·10^4 is 17
 * pieces, of 10^6 587.
 */
const kMaxPieces = 8192;

/**
 * Matrix-free chunks of work in one piece of a long product on a CPU adapter. A piece carries costs
 * a chunk does not (its share of the far field's many small dispatches, a near-field range of a few
 * leaves spread unevenly over the threads), which pieces of eight chunks spread over more work than
 * pieces of one (`solve --matrix tree` on SwiftShader). A hardware GPU keeps one chunk until
 * measured.
 */
const kCpuTreePieceChunks = 8;

export interface GpuTreeOptions extends Pick<
  TreeOptions,
  'tolerance' | 'leafSize' | 'order' | 'theta' | 'translationCost' | 'maxWorkShare'
> {
  workgroupSize?: number;
  /** The near field's variant, as matvec_free's: default the device profile's; tests run both. */
  variant?: MatvecFreeVariant;
  /**
   * Work of one piece of a product, in direct pairs (treeStages' estimate); default the device kind's
   * chunkPairs, the matrix-free product's chunk, kCpuTreePieceChunks of them on a CPU adapter.
   * Tests force small pieces.
   */
  pieceWork?: number;
  /**
   * Hears the pipelines being built, (done, total) after each: on a CPU adapter the passes written
   * out for the order take seconds to compile the first time (src/kernels/tree-unrolled.ts).
   */
  onPipeline?: (done: number, total: number) => void;
  /**
   * Hears the bytes of the storage buffers (treeStorageBuffers) once the tree is built, before any
   * buffer is allocated or pipeline built, and throws to refuse them: treeBytes, the estimate that
   * decides up front, bounds the lists by a measured constant, and this checks what the tree really
   * needs.
   */
  checkFits?: (bytes: number) => void;
}

/**
 * The tree of `system` as the GPU product sums with it (tree-build.ts) on a device whose profile
 * gives `leaves` (DeviceProfile.treeLeaves; `options` may override either), its geometry in float64
 * for the packers.
 */
export function gpuTreeGeometry(
  system: DarwinSystem,
  leaves: TreeLeaves,
  options: GpuTreeOptions = {},
): TreeGeometry {
  return buildTreeGeometry(system, {
    ...leaves,
    ...options,
    precision: 'float64',
  });
}

/** The mass matrix as a fast multipole GpuMassOperator: O(N) memory and work per product. */
export class GpuTreeMassMatrix implements GpuMassOperator {
  readonly size: number;
  readonly model: GpuModel;
  /** The tree the product sums with (tree order, lists, expansion order). */
  readonly tree: TreeGeometry;
  /** Direct pairs and M2L translations of one product. */
  readonly counts: TreeProductCounts;
  /** GPU memory the product holds: its storage buffers and uniforms, in bytes. */
  readonly bytes: number;
  /** How the far field runs (TreeDetails.farField), and the seconds create() spent building pipelines. */
  readonly farField: {
    readonly passes: 'index tables' | 'written out' | 'none';
    readonly buildSeconds: number;
  };
  readonly #device: GPUDevice;
  readonly #params: GPUBuffer;
  readonly #slots: number;
  readonly #paramsSlot: number;
  readonly #dispatches: readonly TreeDispatch[];
  readonly #pieces: readonly (readonly TreeDispatch[])[];
  readonly #buffers: readonly GPUBuffer[];
  #epsilon: number;

  private constructor(
    device: GPUDevice,
    tree: TreeGeometry,
    uniforms: { params: GPUBuffer; slots: number; paramsSlot: number },
    dispatches: { whole: readonly TreeDispatch[]; pieces: readonly (readonly TreeDispatch[])[] },
    buffers: readonly GPUBuffer[],
    farField: GpuTreeMassMatrix['farField'],
  ) {
    this.farField = farField;
    this.size = unknowns(tree.system);
    this.model = gpuModel(tree.system);
    this.tree = tree;
    this.counts = tree.counts;
    this.#device = device;
    this.#params = uniforms.params;
    this.#slots = uniforms.slots;
    this.#paramsSlot = uniforms.paramsSlot;
    this.#dispatches = dispatches.whole;
    this.#pieces = dispatches.pieces;
    this.#buffers = buffers;
    this.bytes = buffers.reduce((sum, buffer) => sum + buffer.size, 0);
    this.#epsilon = tree.system.epsilon;
  }

  /**
   * Builds the tree of `system` (gpuTreeGeometry) and uploads it, inside error scopes labelled
   * 'GpuTreeMassMatrix.create'.
   */
  static async create(
    context: GpuContext,
    system: DarwinSystem,
    options: GpuTreeOptions = {},
  ): Promise<GpuTreeMassMatrix> {
    validateSystem(system);
    const { device } = context;
    const tree = gpuTreeGeometry(system, context.profile.treeLeaves, options);
    const m2lNodes = m2lNodeOrder(tree.lists, tree.nodeCount);
    const packed = packTreeTables(tree, m2lNodes);
    const origin = medianElectron(system.configuration.positions, tree.n);
    const planned = treeStorageBuffers(tree, packed.data, origin);
    options.checkFits?.(storageBytes(planned));
    const owned: GPUBuffer[] = [];
    try {
      return await withErrorScopes(device, 'GpuTreeMassMatrix.create', async () => {
        const largestLeaf = Math.ceil(tree.n / 2 ** tree.depth);
        const workgroupSize = checkWorkgroupSize(
          device,
          options.workgroupSize ?? treeWorkgroupSize(largestLeaf),
          false,
        );
        const { tables } = tree;
        const blocked = (options.variant ?? context.profile.matvecFree) === 'blocked';
        const far = tree.counts.translations > 0;
        const entries = treeEntries(device, {
          workgroupSize,
          // On a CPU adapter the unrolled L2P adds the far field after the near field.
          evaluateFarField: blocked && far ? 0 : 1,
          targetBlocks: targetBlocksOf(largestLeaf),
          blockedThreads: kBlockedThreads,
          model: kGpuModelCode[gpuModel(system)],
          termCount: tables.termCount,
          m2lBatch: m2lBatchSize(tables.termCount, workgroupSize),
        });
        const storage = (label: string, data: ArrayBufferView | number) => {
          const buffer = createBuffer(device, {
            label: `Tree.${label}`,
            size: typeof data === 'number' ? data : data.byteLength,
            usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
            ...(typeof data === 'number' ? {} : { data }),
          });
          owned.push(buffer);
          return buffer;
        };
        const buffers: Record<number, GPUBuffer> = {};
        for (const { binding, label, data } of planned) buffers[binding] = storage(label, data);
        // Read-only views (tree.wgsl): the harmonic moments, charges, local coefficients, moments.
        Object.assign(buffers, { 9: buffers[6], 10: buffers[4], 11: buffers[8], 12: buffers[5] });
        // Uniform slots: all nodes, then each level 0 .. depth (the leaves are the last), then the
        // node ranges of the pieces' cut dispatches.
        const ranges = [
          { firstNode: 0, rangeNodes: tree.nodeCount },
          ...Array.from({ length: tree.depth + 1 }, (_, level) => ({
            firstNode: 2 ** level - 1,
            rangeNodes: 2 ** level,
          })),
        ];
        const slotOfRange = new Map(
          ranges.map((range, slot) => [`${range.firstNode}+${range.rangeNodes}`, slot]),
        );
        const slotOf = (firstNode: number, rangeNodes: number): number => {
          const key = `${firstNode}+${rangeNodes}`;
          let slot = slotOfRange.get(key);
          if (slot === undefined) {
            slot = ranges.push({ firstNode, rangeNodes }) - 1;
            slotOfRange.set(key, slot);
          }
          return slot;
        };
        // On a CPU adapter P2M, M2L and L2P are the unrolled passes of tree-unrolled.ts.
        const unrolled =
          blocked && far
            ? unrolledEntries(device, tables, tree.planar, kGpuModelCode[gpuModel(system)])
            : null;
        const stages = treeStages(tree, far, unrolled !== null, m2lNodes);
        const pieceWork =
          options.pieceWork ?? chunkPairs(context) * (context.profile.runsOnCpu ? kCpuTreePieceChunks : 1);
        if (!(pieceWork > 0)) throw new RangeError(`pieceWork must be positive, got ${pieceWork}`);
        const totalWork = stages.reduce((sum, stage) => stage.work.reduce((a, b) => a + b, sum), 0);
        const budget = Math.max(pieceWork, totalWork / kMaxPieces);
        // The dispatches of a node range of a stage: (entries, entry, params slot, workgroups);
        // tree_gather runs over the electrons, slot 0.
        const plan = ({ stage, first, count }: StageRange): DispatchPlan[] => {
          const { entry, firstNode } = stages[stage];
          if (entry === 'tree_gather') {
            return [{ entries, entry, slot: 0, workgroups: Math.ceil(tree.n / workgroupSize) }];
          }
          const slot = slotOf(firstNode + first, count);
          const names = unrolled ? unrolledNames(unrolled.passes, entry) : null;
          if (unrolled && names) {
            // A thread per node, but a workgroup per leaf for L2P.
            const workgroups = entry === 'tree_l2p' ? count : Math.ceil(count / kUnrolledWorkgroupSize);
            return names.map((name) => ({
              entries: unrolled.entriesOf(name),
              entry: name,
              slot,
              workgroups,
            }));
          }
          if (!isTreeEntry(entry)) throw new Error(`${entry} is a stage of the unrolled passes only`);
          const chosen = blocked && entry === 'tree_evaluate' ? 'tree_evaluate_blocked' : entry;
          return [{ entries, entry: chosen, slot, workgroups: count }];
        };
        const wholePlan = stages.flatMap((stage, s) =>
          plan({ stage: s, first: 0, count: stage.work.length }),
        );
        const piecePlans = splitIntoPieces(
          stages.map((stage) => stage.work),
          budget,
        ).map((piece) => piece.flatMap(plan));
        const paramsSlot = alignTo(kTreeParamsBytes, device.limits.minUniformBufferOffsetAlignment);
        const paramsData = new Uint8Array(paramsSlot * ranges.length);
        ranges.forEach((range, slot) => {
          const bytes = packTreeParams({
            n: tree.n,
            size: unknowns(system),
            epsilon: system.epsilon,
            softening: system.softening,
            ...range,
            firstLeaf: tree.firstLeaf,
            reducedCount: tables.reducedCount,
            order: tables.order,
            planarCount: tables.planarTerm.length,
            far,
            planar: tree.planar,
            originX: origin[0],
            originY: origin[1],
            offsets: packed.offsets,
          });
          paramsData.set(new Uint8Array(bytes), slot * paramsSlot);
        });
        const params = createBuffer(device, {
          label: 'Tree.params',
          size: paramsData.byteLength,
          usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
          data: paramsData,
        });
        owned.push(params);
        const groups = new Map<string, GPUBindGroup>();
        const dispatch = ({ entries: host, entry, slot, workgroups }: DispatchPlan): TreeDispatch => {
          const bindings = host.bindings(entry);
          const key = `${host.family}:${JSON.stringify(bindings)}@${slot}`;
          let group = groups.get(key);
          if (!group) {
            group = host.createBindGroup(
              `${host.family}.${entry}[${slot}]`,
              entry,
              Object.keys(bindings).map((binding) => {
                const b = Number(binding);
                return b === 0
                  ? {
                      binding: 0,
                      resource: { buffer: params, offset: slot * paramsSlot, size: kTreeParamsBytes },
                    }
                  : { binding: b, resource: { buffer: buffers[b] } };
              }),
            );
            groups.set(key, group);
          }
          return { entries: host, entry, group, grid: gridOf(device, workgroups) };
        };
        const dispatches = wholePlan.map(dispatch);
        const pieces = piecePlans.map((piece) => piece.map(dispatch));
        // Build the pipelines the product dispatches now, inside the caller's error scopes, not in the
        // first record() (a CPU adapter's variant leaves tree.wgsl's P2M, M2L and tree_evaluate out).
        const building = performance.now();
        const pipelines = [...new Map(wholePlan.map((d) => [`${d.entries.family}.${d.entry}`, d])).values()];
        for (const [k, { entries: host, entry }] of pipelines.entries()) {
          // Compiled off this thread where the implementation can (seconds each on SwiftShader, the
          // whole build a minute), and a turn of the event loop between pipelines even where it
          // cannot: a signal's handler runs there, and onPipeline's next call can stop the build.
          await host.warmAsync(entry);
          options.onPipeline?.(k + 1, pipelines.length);
          if (k + 1 < pipelines.length) await new Promise((resolve) => setTimeout(resolve, 0));
        }
        return new GpuTreeMassMatrix(
          device,
          tree,
          { params, slots: ranges.length, paramsSlot },
          { whole: dispatches, pieces },
          [...owned],
          {
            passes: !far ? 'none' : unrolled ? 'written out' : 'index tables',
            buildSeconds: (performance.now() - building) / 1000,
          },
        );
      });
    } catch (error) {
      for (const buffer of owned) buffer.destroy();
      throw error;
    }
  }

  get epsilon(): number {
    return this.#epsilon;
  }

  /** One uniform write per slot (writeEpsilonSlots). */
  setEpsilon(epsilon: number): void {
    writeEpsilonSlots(this.#device, this.#params, this.#slots, this.#paramsSlot, kTreeEpsilonOffset, epsilon);
    this.#epsilon = epsilon;
  }

  /** Every pass of the product in one compute pass: a dispatch sees the writes of the ones before it. */
  record(encoder: GPUCommandEncoder, x: GPUBuffer, y: GPUBuffer, options?: MatvecOptions): void {
    this.#recordPass(encoder, `Tree.pass.${this.model}`, this.#dispatches, x, y, options);
  }

  /**
   * Pieces of a product of about pieceWork direct pairs each (treeStages' estimate; 1 while a
   * product fits one): the product's dispatches in order, M2L and the near field + L2P cut into
   * node and leaf ranges, so that a stop waits for a fraction of a second, not a whole product.
   */
  get pieces(): number {
    return this.#pieces.length;
  }

  /**
   * Piece `piece` of y = M x as one compute pass (guarded like record()'s): the pieces recorded or
   * submitted in order make the one-pass product bit for bit, each node's work done by the same
   * workgroup code with the same inputs; a later piece's pass sees the earlier pieces' writes.
   */
  recordPiece(
    encoder: GPUCommandEncoder,
    x: GPUBuffer,
    y: GPUBuffer,
    piece: number,
    options?: MatvecOptions,
  ): void {
    const dispatches = this.#pieces[piece];
    if (!dispatches) throw new RangeError(`piece ${piece} is outside 0..${this.#pieces.length - 1}`);
    this.#recordPass(encoder, `Tree.piece[${piece}].${this.model}`, dispatches, x, y, options);
  }

  #recordPass(
    encoder: GPUCommandEncoder,
    label: string,
    dispatches: readonly TreeDispatch[],
    x: GPUBuffer,
    y: GPUBuffer,
    options?: MatvecOptions,
  ): void {
    const pass = beginMatvecPass(this.#device, encoder, label, x, y, options);
    for (const { entries, entry, group, grid } of dispatches) {
      entries.dispatch(pass, entry, group, grid[0], grid[1]);
    }
    pass.end();
  }

  destroy(): void {
    for (const buffer of this.#buffers) buffer.destroy();
  }
}
