// The fast multipole method for the product M x = D x + eps T x (models.ts) in O(N) time and memory.
//
// Every model reduces to one Oseen sum over 3-vector sources: w_i = sum_{j != i} T_ij f_j with
// f_j = x_j (vector model; (x_j, 0) in 2D, where z = 0 keeps the sum in the plane) or f_j = u_j x_j,
// u_j = rho_j e_j = (-y_j, x_j, 0) (azimuthal model, P^T T P); the result is w_i or u_i . w_i.
//
// Far from its sources the Stokeslet sum is four Laplace potentials (Tornberg & Greengard, Adv. Comput.
// Math. 28, 2008): with T = S / 2, S(d) = I / r + d d^T / r^3 and
//   phi_l(x) = sum_j f_jl / |x - y_j|,   psi(x) = sum_j (f_j . y_j) / |x - y_j|,
//   (sum_j S(x - y_j) f_j)_l = phi_l - sum_m x_m d_l phi_m + d_l psi,
// since d_l [(x - y) . f / r] = f_l / r - (x - y) . f (x_l - y_l) / r^3. Positions are taken from the
// root's centre (the origin of x and y above), which keeps f . y and x_m d_l phi_m of the size of the
// field in rounding; the truncation error of psi - x . grad phi is that of charges f . (y - x), as every
// operator is linear in the charges, so it is no larger than that of phi.
//
// The tree and its interaction lists are built once per configuration (tree-build.ts). A product runs
// the upward pass (P2M at the leaves, M2M to the parents, cartesian-expansion.ts), then the downward
// pass from the root: each node's local expansion is its parent's shifted to it (L2L) plus the M2L of
// its list, and each leaf's electrons evaluate their leaf's expansion (L2P) and sum its near leaves
// directly with the exact softened kernel. The expansions are of the bare kernel: the softened T is the
// bare one times r / sqrt(r^2 + a^2) = 1 - a^2 / (2 r^2) + ..., so the softening test of the
// interaction lists keeps that relative error within the tolerance for every pair an M2L stands for.
//
// Every pass is a kernel over a range of nodes or leaves (cartesian-expansion.ts multipoleRows ..,
// nearFieldWithin, nearFieldAcross below), so that a WorkerPool's threads share a product: each
// level's nodes in blocks (the upward pass from the leaves, the downward from the root), then the
// leaves (treeInteraction).
import { kCharges, localRows, multipoleRows, stokesletFarFieldRows } from './cartesian-expansion.ts';
import { blockSize } from './models.ts';
import type { Tree, TreeProductCounts } from './tree-build.ts';
import { kMaxBlocks, type Kernel, type KernelArgument } from '../parallel/pool.ts';

/**
 * What runs a product's kernels over blocks of rows: a WorkerPool (src/parallel/pool.ts), whose
 * threads share the tree's arrays (buildTree's `allocate`), or kSerialKernels on the caller alone.
 */
export interface KernelRunner {
  readonly threads: number;
  /** A float32 tree's storage runs on kSerialKernels only: a pool shares Float64 and Uint32Arrays. */
  run(kernel: Kernel, args: readonly (KernelArgument | Float32Array)[], boundaries: readonly number[]): void;
}

/** The caller's thread alone: each block in turn. */
export const kSerialKernels: KernelRunner = {
  threads: 1,
  run(kernel, args, boundaries) {
    for (let k = 0; k + 1 < boundaries.length; k++) kernel(...args, boundaries[k], boundaries[k + 1]);
  },
};

/**
 * Blocks of a pass per thread: claimed, not assigned, so that nodes of uneven work (long M2L lists,
 * lumps of near leaves) balance over the threads.
 */
const kTreeBlocksPerThread = 4;

/** M x = D x + eps T x (eq. 48/50 generalised) into `out`, input order. */
export function treeProduct(
  tree: Tree,
  x: ArrayLike<number>,
  out: Float64Array | Float32Array,
  runner: KernelRunner = kSerialKernels,
): TreeProductCounts {
  const counts = treeInteraction(tree, x, out, runner);
  const { diagonal } = tree;
  const epsilon = tree.system.epsilon;
  for (let k = 0; k < out.length; k++) out[k] = diagonal[k] * x[k] + epsilon * out[k];
  return counts;
}

/**
 * T x (no eps, no diagonal) into `out`, input order, its passes run by `runner`: the upward pass
 * level by level from the leaves, the downward pass from the root, each level's nodes in blocks; the
 * near field and L2P in blocks of leaves. The passes give every node the same numbers on any number
 * of threads; the near field's order of summation, and so its rounding, depends on the blocks
 * (nearField). `onPass` hears each pass before it runs ('upward pass', 'downward pass', 'near field',
 * 'far field at the electrons'): a product of 10^5 electrons takes tens of seconds on a CPU; it may
 * throw, to stop the product between passes.
 */
export function treeInteraction(
  tree: Tree,
  x: ArrayLike<number>,
  out: Float64Array | Float32Array,
  runner: KernelRunner = kSerialKernels,
  onPass?: (pass: string) => void,
): TreeProductCounts {
  const size = tree.n * blockSize(tree.system);
  if (x.length !== size || out.length !== size) {
    throw new RangeError(
      `the tree product needs vectors of length ${size}, got ${x.length} and ${out.length}`,
    );
  }
  gatherCharges(tree, x);
  tree.sums.fill(0);
  const { kernelInputs: k, depth, firstLeaf, charges, moments, reduced, locals, sums } = tree;
  const tables = [k.tables.indices, k.tables.numbers];
  const far = tree.counts.translations > 0;
  if (far) {
    onPass?.('upward pass');
    for (let level = depth; level >= 0; level--) {
      runner.run(
        multipoleRows,
        [...tables, k.positions, charges, k.centre, k.nodeStart, k.nodeEnd, moments, reduced, firstLeaf],
        levelBlocks(runner, level),
      );
    }
    onPass?.('downward pass');
    for (let level = 0; level <= depth; level++) {
      runner.run(
        localRows,
        [...tables, k.centre, k.m2lOffset, k.m2l, reduced, locals, tree.planar ? 1 : 0],
        levelBlocks(runner, level),
      );
    }
  }
  onPass?.('near field');
  nearField(tree, runner);
  if (far) {
    onPass?.('far field at the electrons');
    runner.run(
      stokesletFarFieldRows,
      [...tables, k.positions, k.centre, k.nodeStart, k.nodeEnd, locals, sums, firstLeaf],
      levelBlocks(runner, depth).map((node) => node - firstLeaf),
    );
  }
  scatterSums(tree, out);
  return tree.counts;
}

/** The nodes of tree level `level`, 2^level - 1 .. 2^(level + 1) - 2, in blocks for `runner`. */
function levelBlocks(runner: KernelRunner, level: number): number[] {
  const first = 2 ** level - 1;
  const count = 2 ** level;
  const blocks = Math.min(
    count,
    runner.threads === 1 ? 1 : kTreeBlocksPerThread * runner.threads,
    kMaxBlocks,
  );
  return Array.from({ length: blocks + 1 }, (_, b) => first + Math.round((b * count) / blocks));
}

/**
 * The near field into tree.sums. T_kj = T_jk, so nearFieldWithin sums each pair of near leaves once
 * and adds it to both sides, halving the direct work. On threads it does so within each subtree of
 * one level, a block each that writes only its own electrons' sums, and nearFieldAcross then sums the
 * pairs of leaves in different subtrees, each for its target leaf (so each such pair twice): 2^level
 * subtrees, at least kTreeBlocksPerThread a thread, whose pairs across are the few near their borders.
 */
function nearField(tree: Tree, runner: KernelRunner): void {
  const { kernelInputs: k, depth, firstLeaf, charges, sums } = tree;
  const softeningSquared = tree.system.softening ** 2;
  let level = 0;
  const wanted = kTreeBlocksPerThread * runner.threads;
  while (runner.threads > 1 && level < depth && 2 ** level < wanted && 2 ** (level + 1) <= kMaxBlocks)
    level++;
  const subtreeLeaves = 2 ** (depth - level);
  const boundaries = Array.from({ length: 2 ** level + 1 }, (_, b) => b * subtreeLeaves);
  const args = [
    k.positions,
    charges,
    sums,
    k.nodeStart,
    k.nodeEnd,
    k.nearOffset,
    k.near,
    firstLeaf,
    softeningSquared,
  ];
  runner.run(nearFieldWithin, args, boundaries);
  if (level > 0) runner.run(nearFieldAcross, [...args, subtreeLeaves], boundaries);
}

/**
 * The near field of the leaves firstLeaf + [start, end) among themselves (a subtree's leaves, or all):
 * each pair of near leaves (both directions are in the lists, one per target leaf, as a GPU reads them)
 * summed once and added to both sides.
 */
export function nearFieldWithin(
  positions: Float64Array,
  charges: ArrayLike<number>,
  sums: Float64Array,
  nodeStart: Uint32Array,
  nodeEnd: Uint32Array,
  nearOffset: Uint32Array,
  near: Uint32Array,
  firstLeaf: number,
  softeningSquared: number,
  start: number,
  end: number,
): void {
  for (let group = firstLeaf + start; group < firstLeaf + end; group++) {
    const g = group - firstLeaf;
    for (let l = nearOffset[g]; l < nearOffset[g + 1]; l++) {
      const leaf = near[l];
      if (leaf < group || leaf >= firstLeaf + end) continue;
      const last = nodeEnd[leaf];
      for (let k = nodeStart[group]; k < nodeEnd[group]; k++) {
        const px = positions[3 * k];
        const py = positions[3 * k + 1];
        const pz = positions[3 * k + 2];
        const gx = charges[4 * k];
        const gy = charges[4 * k + 1];
        const gz = charges[4 * k + 2];
        let wx = 0;
        let wy = 0;
        let wz = 0;
        for (let j = leaf === group ? k + 1 : nodeStart[leaf]; j < last; j++) {
          // T_kj f_j = f_j / (2 r_s) + d (d . f_j) / (2 r_s r^2), d = r_k - r_j (models.ts), and
          // T_jk f_k the same with f_k: d d^T is even in d.
          const dx = px - positions[3 * j];
          const dy = py - positions[3 * j + 1];
          const dz = pz - positions[3 * j + 2];
          const fx = charges[4 * j];
          const fy = charges[4 * j + 1];
          const fz = charges[4 * j + 2];
          const r2 = dx * dx + dy * dy + dz * dz;
          const scale = 1 / (2 * Math.sqrt(r2 + softeningSquared));
          const outer = r2 > 0 ? scale / r2 : 0;
          const toK = outer * (dx * fx + dy * fy + dz * fz);
          const toJ = outer * (dx * gx + dy * gy + dz * gz);
          wx += scale * fx + toK * dx;
          wy += scale * fy + toK * dy;
          wz += scale * fz + toK * dz;
          sums[3 * j] += scale * gx + toJ * dx;
          sums[3 * j + 1] += scale * gy + toJ * dy;
          sums[3 * j + 2] += scale * gz + toJ * dz;
        }
        sums[3 * k] += wx;
        sums[3 * k + 1] += wy;
        sums[3 * k + 2] += wz;
      }
    }
  }
}

/**
 * The near field of the leaves firstLeaf + [start, end) from their near leaves in other subtrees of
 * `subtreeLeaves` leaves (those nearFieldWithin left out), added to the targets' sums only.
 */
export function nearFieldAcross(
  positions: Float64Array,
  charges: ArrayLike<number>,
  sums: Float64Array,
  nodeStart: Uint32Array,
  nodeEnd: Uint32Array,
  nearOffset: Uint32Array,
  near: Uint32Array,
  firstLeaf: number,
  softeningSquared: number,
  subtreeLeaves: number,
  start: number,
  end: number,
): void {
  for (let group = firstLeaf + start; group < firstLeaf + end; group++) {
    const g = group - firstLeaf;
    const subtree = Math.floor(g / subtreeLeaves);
    for (let l = nearOffset[g]; l < nearOffset[g + 1]; l++) {
      const leaf = near[l];
      if (Math.floor((leaf - firstLeaf) / subtreeLeaves) === subtree) continue;
      const last = nodeEnd[leaf];
      for (let k = nodeStart[group]; k < nodeEnd[group]; k++) {
        const px = positions[3 * k];
        const py = positions[3 * k + 1];
        const pz = positions[3 * k + 2];
        let wx = 0;
        let wy = 0;
        let wz = 0;
        for (let j = nodeStart[leaf]; j < last; j++) {
          const dx = px - positions[3 * j];
          const dy = py - positions[3 * j + 1];
          const dz = pz - positions[3 * j + 2];
          const fx = charges[4 * j];
          const fy = charges[4 * j + 1];
          const fz = charges[4 * j + 2];
          const r2 = dx * dx + dy * dy + dz * dz;
          const scale = 1 / (2 * Math.sqrt(r2 + softeningSquared));
          const outer = r2 > 0 ? scale / r2 : 0;
          const toK = outer * (dx * fx + dy * fy + dz * fz);
          wx += scale * fx + toK * dx;
          wy += scale * fy + toK * dy;
          wz += scale * fz + toK * dz;
        }
        sums[3 * k] += wx;
        sums[3 * k + 1] += wy;
        sums[3 * k + 2] += wz;
      }
    }
  }
}

/** f_k and f_k . (y_k - origin) in tree order from x in input order (see the file comment). */
function gatherCharges(tree: Tree, x: ArrayLike<number>): void {
  const { n, electron, positions, charges, centre } = tree;
  const b = blockSize(tree.system);
  for (let k = 0; k < n; k++) {
    const i = electron[k];
    let fx: number;
    let fy: number;
    let fz = 0;
    if (b === 1) {
      fx = -positions[3 * k + 1] * x[i];
      fy = positions[3 * k] * x[i];
    } else {
      fx = x[b * i];
      fy = x[b * i + 1];
      if (b === 3) fz = x[b * i + 2];
    }
    charges[kCharges * k] = fx;
    charges[kCharges * k + 1] = fy;
    charges[kCharges * k + 2] = fz;
    charges[kCharges * k + 3] =
      fx * (positions[3 * k] - centre[0]) +
      fy * (positions[3 * k + 1] - centre[1]) +
      fz * (positions[3 * k + 2] - centre[2]);
  }
}

/** w_k (tree order) back to input order: the block of T x, or u_i . w_i in the azimuthal model. */
function scatterSums(tree: Tree, out: Float64Array | Float32Array): void {
  const { n, electron, positions, sums } = tree;
  const b = blockSize(tree.system);
  for (let k = 0; k < n; k++) {
    const i = electron[k];
    if (b === 1) out[i] = -positions[3 * k + 1] * sums[3 * k] + positions[3 * k] * sums[3 * k + 1];
    else for (let c = 0; c < b; c++) out[b * i + c] = sums[3 * k + c];
  }
}
