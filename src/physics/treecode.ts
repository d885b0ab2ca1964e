// Treecode for the product M x = D x + eps T x (models.ts) in O(N log N) time and O(N) memory.
//
// Every model reduces to one Oseen sum over 3-vector sources: w_i = sum_{j != i} T_ij f_j with
// f_j = x_j (vector model; (x_j, 0) in 2D, where z = 0 keeps the sum in the plane) or f_j = u_j x_j,
// u_j = rho_j e_j = (-y_j, x_j, 0) (azimuthal model, P^T T P); the result is w_i or u_i . w_i.
//
// The tree and each leaf group's interaction lists are built once per configuration (tree-build.ts).
// A product runs the upward pass, which computes each node's moments of f (cartesian-expansion.ts) at
// the leaves and shifts them to the parents, then every target sums its group's lists. A node is
// accepted (its expansion used for every target in the group) when
//   radius <= theta * distance(centre, group box)                    (multipole error ~ theta^(p+1))
//   distance(centre, group box) - radius >= a / sqrt(2 tolerance)    (softening: see below)
// else it is opened, and a leaf that is not accepted is summed directly with the exact softened
// kernel. The expansion is of the bare kernel: the softened T is the bare one times
// r / sqrt(r^2 + a^2) = 1 - a^2 / (2 r^2) + ..., so the second test keeps that relative error within
// the tolerance for every pair the expansion stands for.
import { distanceDerivatives, scaledMonomials } from './cartesian-expansion.ts';
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
  gatherSources(tree, x);
  if (tree.theta > 0) upwardPass(tree);
  evaluate(tree);
  scatterSums(tree, out);
  return tree.counts;
}

/** f_k in tree order from x in input order (see the file comment). */
function gatherSources(tree: Tree, x: ArrayLike<number>): void {
  const { n, electron, positions, sources } = tree;
  const b = blockSize(tree.system);
  for (let k = 0; k < n; k++) {
    const i = electron[k];
    if (b === 1) {
      sources[3 * k] = -positions[3 * k + 1] * x[i];
      sources[3 * k + 1] = positions[3 * k] * x[i];
      sources[3 * k + 2] = 0;
    } else {
      sources[3 * k] = x[b * i];
      sources[3 * k + 1] = x[b * i + 1];
      sources[3 * k + 2] = b === 3 ? x[b * i + 2] : 0;
    }
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
 * Moments of every node (3 per term, term-major): leaves from their electrons, parents by shifting
 * their two children's moments to their own centre (w'_alpha = sum_{beta <= alpha} w_beta
 * (-s)^(alpha - beta) / (alpha - beta)!, s = child centre - parent centre), so the pass is O(N).
 * Sums accumulate in float64 and are stored once, as a GPU thread would keep them in registers.
 */
function upwardPass(tree: Tree): void {
  const { tables, nodeCount, firstLeaf, nodeStart, nodeEnd, positions, sources, centre, moments } = tree;
  const { momentCount, shift } = tables;
  const monomial = new Float64Array(momentCount);
  const sum = new Float64Array(3 * momentCount);
  for (let node = nodeCount - 1; node >= 0; node--) {
    sum.fill(0);
    const cx = centre[3 * node];
    const cy = centre[3 * node + 1];
    const cz = centre[3 * node + 2];
    if (node >= firstLeaf) {
      for (let k = nodeStart[node]; k < nodeEnd[node]; k++) {
        scaledMonomials(
          tables,
          positions[3 * k] - cx,
          positions[3 * k + 1] - cy,
          positions[3 * k + 2] - cz,
          monomial,
        );
        const fx = sources[3 * k];
        const fy = sources[3 * k + 1];
        const fz = sources[3 * k + 2];
        for (let a = 0; a < momentCount; a++) {
          sum[3 * a] += monomial[a] * fx;
          sum[3 * a + 1] += monomial[a] * fy;
          sum[3 * a + 2] += monomial[a] * fz;
        }
      }
    } else {
      for (let child = 2 * node + 1; child <= 2 * node + 2; child++) {
        scaledMonomials(
          tables,
          centre[3 * child] - cx,
          centre[3 * child + 1] - cy,
          centre[3 * child + 2] - cz,
          monomial,
        );
        const base = 3 * momentCount * child;
        for (let t = 0; t < shift.length; t += 3) {
          const alpha = 3 * shift[t];
          const beta = base + 3 * shift[t + 1];
          const weight = monomial[shift[t + 2]];
          sum[alpha] += moments[beta] * weight;
          sum[alpha + 1] += moments[beta + 1] * weight;
          sum[alpha + 2] += moments[beta + 2] * weight;
        }
      }
    }
    moments.set(sum, 3 * momentCount * node);
  }
}

/** Every target of every group sums its group's near leaves directly and its far nodes' expansions. */
function evaluate(tree: Tree): void {
  const { nodeCount, firstLeaf, nodeStart, nodeEnd, centre, positions, sources, sums, moments, tables } =
    tree;
  const { farOffset, far, nearOffset, near } = tree.lists;
  const softeningSquared = tree.system.softening ** 2;
  const { momentCount, derivativeCount, secondDerivative } = tables;
  const taylor = new Float64Array(derivativeCount + 1);
  const derivative = new Float64Array(derivativeCount);
  for (let group = firstLeaf; group < nodeCount; group++) {
    const g = group - firstLeaf;
    for (let k = nodeStart[group]; k < nodeEnd[group]; k++) {
      const px = positions[3 * k];
      const py = positions[3 * k + 1];
      const pz = positions[3 * k + 2];
      let wx = 0;
      let wy = 0;
      let wz = 0;
      for (let l = nearOffset[g]; l < nearOffset[g + 1]; l++) {
        const leaf = near[l];
        const end = nodeEnd[leaf];
        for (let j = nodeStart[leaf]; j < end; j++) {
          if (j === k) continue;
          // T_kj f_j = f_j / (2 r_s) + d (d . f_j) / (2 r_s r^2), d = r_k - r_j (models.ts).
          const dx = px - positions[3 * j];
          const dy = py - positions[3 * j + 1];
          const dz = pz - positions[3 * j + 2];
          const r2 = dx * dx + dy * dy + dz * dz;
          const scale = 1 / (2 * Math.sqrt(r2 + softeningSquared));
          const outer =
            r2 > 0
              ? (scale / r2) * (dx * sources[3 * j] + dy * sources[3 * j + 1] + dz * sources[3 * j + 2])
              : 0;
          wx += scale * sources[3 * j] + outer * dx;
          wy += scale * sources[3 * j + 1] + outer * dy;
          wz += scale * sources[3 * j + 2] + outer * dz;
        }
      }
      for (let l = farOffset[g]; l < farOffset[g + 1]; l++) {
        const node = far[l];
        distanceDerivatives(
          tables,
          px - centre[3 * node],
          py - centre[3 * node + 1],
          pz - centre[3 * node + 2],
          taylor,
          derivative,
        );
        // sum_alpha [I lap D_alpha - grad grad D_alpha] w_alpha, halved: T = S / 2.
        let ux = 0;
        let uy = 0;
        let uz = 0;
        const base = 3 * momentCount * node;
        for (let a = 0; a < momentCount; a++) {
          const q = 6 * a;
          const dxx = derivative[secondDerivative[q]];
          const dyy = derivative[secondDerivative[q + 1]];
          const dzz = derivative[secondDerivative[q + 2]];
          const dxy = derivative[secondDerivative[q + 3]];
          const dxz = derivative[secondDerivative[q + 4]];
          const dyz = derivative[secondDerivative[q + 5]];
          const mx = moments[base + 3 * a];
          const my = moments[base + 3 * a + 1];
          const mz = moments[base + 3 * a + 2];
          ux += mx * (dyy + dzz) - my * dxy - mz * dxz;
          uy += my * (dxx + dzz) - mx * dxy - mz * dyz;
          uz += mz * (dxx + dyy) - mx * dxz - my * dyz;
        }
        wx += ux / 2;
        wy += uy / 2;
        wz += uz / 2;
      }
      sums[3 * k] = wx;
      sums[3 * k + 1] = wy;
      sums[3 * k + 2] = wz;
    }
  }
}
