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
import {
  addChargeToMultipole,
  completeLocal,
  evaluateLocal,
  kCharges,
  multipoleToLocal,
  planarMultipoleToLocal,
  reduceMultipole,
  shiftLocal,
  shiftMultipole,
} from './cartesian-expansion.ts';
import { blockSize } from './models.ts';
import type { Tree, TreeProductCounts, TreeStorage } from './tree-build.ts';

/** M x = D x + eps T x (eq. 48/50 generalised) into `out`, input order. */
export function treeProduct(tree: Tree, x: ArrayLike<number>, out: TreeStorage): TreeProductCounts {
  const counts = treeInteraction(tree, x, out);
  const { diagonal } = tree;
  const epsilon = tree.system.epsilon;
  for (let k = 0; k < out.length; k++) out[k] = diagonal[k] * x[k] + epsilon * out[k];
  return counts;
}

/** T x (no eps, no diagonal) into `out`, input order. */
export function treeInteraction(tree: Tree, x: ArrayLike<number>, out: TreeStorage): TreeProductCounts {
  const size = tree.n * blockSize(tree.system);
  if (x.length !== size || out.length !== size) {
    throw new RangeError(
      `the tree product needs vectors of length ${size}, got ${x.length} and ${out.length}`,
    );
  }
  gatherCharges(tree, x);
  const far = tree.counts.translations > 0;
  if (far) {
    upwardPass(tree);
    downwardPass(tree);
  }
  evaluate(tree, far);
  scatterSums(tree, out);
  return tree.counts;
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
function scatterSums(tree: Tree, out: TreeStorage): void {
  const { n, electron, positions, sums } = tree;
  const b = blockSize(tree.system);
  for (let k = 0; k < n; k++) {
    const i = electron[k];
    if (b === 1) out[i] = -positions[3 * k + 1] * sums[3 * k] + positions[3 * k] * sums[3 * k + 1];
    else for (let c = 0; c < b; c++) out[b * i + c] = sums[3 * k + c];
  }
}

/**
 * Moments of every node (kCharges per term, term-major): P2M at the leaves, M2M from the two children
 * at the parents, so the pass is O(N); then each node's harmonic moments for M2L. Sums accumulate in
 * float64 and are stored once, as a GPU thread keeps them in registers.
 */
function upwardPass(tree: Tree): void {
  const { tables, nodeCount, firstLeaf, nodeStart, nodeEnd, positions, charges, centre, moments } = tree;
  const stride = kCharges * tables.termCount;
  const reducedStride = kCharges * tables.reducedCount;
  const monomial = new Float64Array(tables.termCount);
  const sum = new Float64Array(stride);
  const reduced = new Float64Array(reducedStride);
  for (let node = nodeCount - 1; node >= 0; node--) {
    sum.fill(0);
    const cx = centre[3 * node];
    const cy = centre[3 * node + 1];
    const cz = centre[3 * node + 2];
    if (node >= firstLeaf) {
      for (let k = nodeStart[node]; k < nodeEnd[node]; k++) {
        const dx = positions[3 * k] - cx;
        const dy = positions[3 * k + 1] - cy;
        const dz = positions[3 * k + 2] - cz;
        addChargeToMultipole(tables, dx, dy, dz, charges, kCharges * k, sum, monomial);
      }
    } else {
      for (let child = 2 * node + 1; child <= 2 * node + 2; child++) {
        if (nodeEnd[child] === nodeStart[child]) continue;
        const sx = centre[3 * child] - cx;
        const sy = centre[3 * child + 1] - cy;
        const sz = centre[3 * child + 2] - cz;
        shiftMultipole(tables, sx, sy, sz, moments, stride * child, sum, monomial);
      }
    }
    moments.set(sum, stride * node);
    reduceMultipole(tables, sum, reduced);
    tree.reduced.set(reduced, reducedStride * node);
  }
}

/**
 * Local expansions of every node, parents before children (node k's parent is (k - 1) / 2 < k): the
 * parent's shifted to the node (L2L) plus the M2L of every source node in its list, completed by the
 * harmonic identity (cartesian-expansion.ts).
 */
function downwardPass(tree: Tree): void {
  const { tables, nodeCount, centre, reduced, locals } = tree;
  const { m2lOffset, m2l } = tree.lists;
  const stride = kCharges * tables.termCount;
  const reducedStride = kCharges * tables.reducedCount;
  const monomial = new Float64Array(tables.termCount);
  const taylor = new Float64Array(tables.termCount + 1);
  const derivative = new Float64Array(tables.termCount);
  const sum = new Float64Array(stride);
  for (let node = 0; node < nodeCount; node++) {
    sum.fill(0);
    const cx = centre[3 * node];
    const cy = centre[3 * node + 1];
    const cz = centre[3 * node + 2];
    if (node > 0) {
      const parent = (node - 1) >> 1;
      const sx = cx - centre[3 * parent];
      const sy = cy - centre[3 * parent + 1];
      const sz = cz - centre[3 * parent + 2];
      shiftLocal(tables, sx, sy, sz, locals, stride * parent, sum, monomial);
    }
    for (let l = m2lOffset[node]; l < m2lOffset[node + 1]; l++) {
      const source = m2l[l];
      const rx = cx - centre[3 * source];
      const ry = cy - centre[3 * source + 1];
      const rz = cz - centre[3 * source + 2];
      const from = reducedStride * source;
      if (tree.planar) planarMultipoleToLocal(tables, rx, ry, reduced, from, sum, taylor, derivative);
      else multipoleToLocal(tables, rx, ry, rz, reduced, from, sum, taylor, derivative);
    }
    completeLocal(tables, sum);
    locals.set(sum, stride * node);
  }
}

/**
 * Every electron of every leaf: its near leaves summed directly, plus its leaf's local expansion
 * (L2P; the Stokeslet from the four potentials, see the file comment) when `far`. T_kj = T_jk, so
 * each pair of near leaves (both directions are in the lists, one per target leaf, as a GPU reads
 * them) is summed once here and added to both sides, halving the direct work of the CPU.
 */
function evaluate(tree: Tree, far: boolean): void {
  const { n, nodeCount, firstLeaf, nodeStart, nodeEnd, centre, positions, charges, locals, tables } = tree;
  const { nearOffset, near } = tree.lists;
  const softeningSquared = tree.system.softening ** 2;
  const w = new Float64Array(3 * n);
  for (let group = firstLeaf; group < nodeCount; group++) {
    const g = group - firstLeaf;
    for (let l = nearOffset[g]; l < nearOffset[g + 1]; l++) {
      const leaf = near[l];
      if (leaf < group) continue;
      const end = nodeEnd[leaf];
      for (let k = nodeStart[group]; k < nodeEnd[group]; k++) {
        const px = positions[3 * k];
        const py = positions[3 * k + 1];
        const pz = positions[3 * k + 2];
        const gx = charges[kCharges * k];
        const gy = charges[kCharges * k + 1];
        const gz = charges[kCharges * k + 2];
        let wx = 0;
        let wy = 0;
        let wz = 0;
        for (let j = leaf === group ? k + 1 : nodeStart[leaf]; j < end; j++) {
          // T_kj f_j = f_j / (2 r_s) + d (d . f_j) / (2 r_s r^2), d = r_k - r_j (models.ts), and
          // T_jk f_k the same with f_k: d d^T is even in d.
          const dx = px - positions[3 * j];
          const dy = py - positions[3 * j + 1];
          const dz = pz - positions[3 * j + 2];
          const fx = charges[kCharges * j];
          const fy = charges[kCharges * j + 1];
          const fz = charges[kCharges * j + 2];
          const r2 = dx * dx + dy * dy + dz * dz;
          const scale = 1 / (2 * Math.sqrt(r2 + softeningSquared));
          const outer = r2 > 0 ? scale / r2 : 0;
          const toK = outer * (dx * fx + dy * fy + dz * fz);
          const toJ = outer * (dx * gx + dy * gy + dz * gz);
          wx += scale * fx + toK * dx;
          wy += scale * fy + toK * dy;
          wz += scale * fz + toK * dz;
          w[3 * j] += scale * gx + toJ * dx;
          w[3 * j + 1] += scale * gy + toJ * dy;
          w[3 * j + 2] += scale * gz + toJ * dz;
        }
        w[3 * k] += wx;
        w[3 * k + 1] += wy;
        w[3 * k + 2] += wz;
      }
    }
  }
  if (far) {
    const stride = kCharges * tables.termCount;
    const monomial = new Float64Array(tables.termCount);
    const field = new Float64Array(4 * kCharges);
    for (let group = firstLeaf; group < nodeCount; group++) {
      for (let k = nodeStart[group]; k < nodeEnd[group]; k++) {
        const px = positions[3 * k];
        const py = positions[3 * k + 1];
        const pz = positions[3 * k + 2];
        evaluateLocal(
          tables,
          px - centre[3 * group],
          py - centre[3 * group + 1],
          pz - centre[3 * group + 2],
          locals,
          stride * group,
          field,
          monomial,
        );
        // (phi_l - sum_m x_m d_l phi_m + d_l psi) / 2, x from the origin; field[4c + 1 + l] = d_l phi_c.
        const x = px - centre[0];
        const y = py - centre[1];
        const z = pz - centre[2];
        for (let l = 0; l < 3; l++) {
          const stokeslet =
            field[4 * l] - x * field[1 + l] - y * field[5 + l] - z * field[9 + l] + field[13 + l];
          w[3 * k + l] += stokeslet / 2;
        }
      }
    }
  }
  tree.sums.set(w);
}
