// #include interaction
// #include solverGuard
// #include treeLayout
// The fast multipole product y = D x + eps T x (eq. 48/50 generalised) on the GPU: the float32 port of
// src/physics/treecode.ts, whose file comment derives it (T from four Laplace potentials, Tornberg &
// Greengard) and whose cartesian-expansion.ts holds the operators. The tree and its lists are built
// once on the CPU (tree-build.ts); a product is seven kinds of dispatch in one compute pass:
//   tree_gather    one thread per electron: the charges f, f . y in tree order from x (input order)
//   tree_p2m       one workgroup per leaf, a thread per term: the leaf's moments (each electron's
//                  powers staged once through workgroup memory)
//   tree_m2m       one workgroup per node of a level, deepest first: moments from the two children
//   tree_reduce    one workgroup per node: the harmonic moments (k_z <= 1) M2L contracts
//   tree_m2l       one workgroup per node: its list's M2L into its reduced local coefficients
//   tree_l2l       one workgroup per node of a level, root first: the parent's shifted + the M2L
//   tree_evaluate  one workgroup per leaf, its electrons the threads: near leaves directly (tiled
//                  through workgroup memory), the leaf's local expansion (L2P), y in input order;
//                  tree_evaluate_blocked the same with a leaf's electrons in one SIMD group (a CPU
//                  adapter).
// A CPU adapter runs the far field written out for the order instead (src/kernels/tree-unrolled.ts:
// P2M, the reduction, M2M, M2L, L2L and the M2L's completion, L2P) beside tree_gather and
// tree_evaluate_blocked.
//
// Scaled expansions: node k keeps its moments as M~_a = M_a / s_k^|a| and its local coefficients as
// L~_b = L_b s_k^|b|, s_k its scale (its radius, or its parent's where that is 0), so every stored
// number is of the size of the charges times a power of a ratio <= 1 (|delta| <= s_k, theta < 1):
// nothing over- or underflows in float32 whatever N or the box size. The operators then read
//   P2M  M~_a = sum_j q_j ((-delta_j) / s)^a / a!
//   M2M  M~'_t = sum_{b + a = t} M~_b (s_c / s_p)^|b| ((c_p - c_c) / s_p)^a / a!
//   M2L  L~_b += (s_t / r)^|b| / r sum_a M~_a (s_s / r)^|a| D_{a+b}(R / r),   r = |R|
//   L2L  L~'_b = (s_c / s_p)^|b| sum_g L~_{b+g} ((c_c - c_p) / s_p)^g / g!
//   L2P  phi = sum_b L~_b (h / s)^b / b!,  d_i phi = (1 / s) sum_b L~_{b+e_i} (h / s)^b / b!
// with D evaluated at the unit vector R / r (the Taylor recurrence at s = 1), whose values are of
// order k! only.
//
// The workgroup size is set per tree (src/kernels/tree.ts treeWorkgroupSize) so that a leaf's
// electrons fill its workgroup's rounds of targets.
//
// Guard: once the solve bound as `state` has stopped, every workgroup of every dispatch returns at once.

override workgroupSize: u32 = 64u;
// false where the unrolled L2P of src/kernels/tree-unrolled.ts adds the far field after the near field.
override evaluateFarField: bool = true;
// Terms of an expansion (termCount(p)) and sources whose derivatives one M2L batch holds.
override termCount: u32 = 1u;
override m2lBatch: u32 = 1u;

// p + 1 powers of one coordinate: p <= kMaxTreeOrder = 16 (cartesian-expansion.ts).
const kPowers = 17u;

fn tableFloat(index: u32) -> f32 {
  return bitcast<f32>(tables[index]);
}

// Term t's exponents (k_x, k_y, k_z) and degree |k|, packed a byte each.
fn exponentsOf(t: u32) -> vec4<u32> {
  let packed = tables[params.exponents + t];
  return vec4<u32>(packed & 0xffu, (packed >> 8u) & 0xffu, (packed >> 16u) & 0xffu, packed >> 24u);
}

// Reduced (harmonic) terms are graded with 2d + 1 of degree d: the r-th has degree floor(sqrt(r)).
fn reducedDegree(r: u32) -> u32 {
  return u32(sqrt(f32(r) + 0.5));
}

// v^m / m! for m = 0 .. order.
fn scaledPowers(v: f32) -> array<f32, kPowers> {
  var out: array<f32, kPowers>;
  out[0] = 1.0;
  for (var m = 1u; m <= params.order; m++) {
    out[m] = out[m - 1u] * v / f32(m);
  }
  return out;
}

// ratio^m for m = 0 .. order.
fn powers(ratio: f32) -> array<f32, kPowers> {
  var out: array<f32, kPowers>;
  out[0] = 1.0;
  for (var m = 1u; m <= params.order; m++) {
    out[m] = out[m - 1u] * ratio;
  }
  return out;
}

@compute @workgroup_size(workgroupSize)
fn tree_gather(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lane: u32,
) {
  if (workgroupSolveStopped(lane, state[0])) {
    return;
  }
  let k = workgroupIndex(group, groups) * workgroupSize + lane;
  if (k >= params.n) {
    return;
  }
  let i = tables[params.electron + k];
  let position = electrons[k].xyz;
  var f: vec3<f32>;
  if (model == 0u) {
    f = vec3<f32>(x[3u * i], x[3u * i + 1u], x[3u * i + 2u]);
  } else if (model == 1u) {
    f = vec3<f32>(x[2u * i], x[2u * i + 1u], 0.0);
  } else {
    // u_i x_i, u = rho e = (-y, x, 0) in the input frame (treecode.ts).
    f = vec3<f32>(-(position.y + params.originY), position.x + params.originX, 0.0) * x[i];
  }
  charges[k] = vec4<f32>(f, dot(f, position));
}

// P2M's electrons, a workgroup at a time: ((-delta) / s)^m / m! along each axis, and the charges.
var<workgroup> electronPowers: array<array<f32, kPowers>, 3u * workgroupSize>;
var<workgroup> electronCharges: array<vec4<f32>, workgroupSize>;

@compute @workgroup_size(workgroupSize)
fn tree_p2m(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lane: u32,
) {
  if (workgroupSolveStopped(lane, state[0])) {
    return;
  }
  let index = workgroupIndex(group, groups);
  if (index >= params.rangeNodes) {
    return;
  }
  let node = params.firstNode + index;
  let centre = nodes[node];
  let inverseScale = 1.0 / centre.w;
  let start = tables[params.nodeStart + node];
  let end = tables[params.nodeEnd + node];
  // An empty leaf (leaves of 1 electron, N not a power of two) has zero moments.
  for (var t = lane; t < termCount && start == end; t += workgroupSize) {
    moments[node * termCount + t] = vec4<f32>(0.0);
  }
  for (var first = start; first < end; first += workgroupSize) {
    let j = first + lane;
    if (j < end) {
      let minusDelta = (centre.xyz - electrons[j].xyz) * inverseScale;
      electronPowers[3u * lane] = scaledPowers(minusDelta.x);
      electronPowers[3u * lane + 1u] = scaledPowers(minusDelta.y);
      electronPowers[3u * lane + 2u] = scaledPowers(minusDelta.z);
      electronCharges[lane] = sourceCharges[j];
    }
    workgroupBarrier();
    let count = min(workgroupSize, end - first);
    for (var t = lane; t < termCount; t += workgroupSize) {
      let k = exponentsOf(t);
      var sum = vec4<f32>(0.0);
      if (first != start) {
        sum = moments[node * termCount + t];
      }
      for (var e = 0u; e < count; e++) {
        let monomial = electronPowers[3u * e][k.x] * electronPowers[3u * e + 1u][k.y] * electronPowers[3u * e + 2u][k.z];
        sum += monomial * electronCharges[e];
      }
      moments[node * termCount + t] = sum;
    }
    workgroupBarrier();
  }
}

@compute @workgroup_size(workgroupSize)
fn tree_m2m(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lane: u32,
) {
  if (workgroupSolveStopped(lane, state[0])) {
    return;
  }
  let index = workgroupIndex(group, groups);
  if (index >= params.rangeNodes) {
    return;
  }
  let node = params.firstNode + index;
  let parent = nodes[node];
  let inverseScale = 1.0 / parent.w;
  var shift: array<array<f32, kPowers>, 6>;
  var ratio: array<array<f32, kPowers>, 2>;
  for (var c = 0u; c < 2u; c++) {
    let child = nodes[2u * node + 1u + c];
    let toParent = (parent.xyz - child.xyz) * inverseScale;
    shift[3u * c] = scaledPowers(toParent.x);
    shift[3u * c + 1u] = scaledPowers(toParent.y);
    shift[3u * c + 2u] = scaledPowers(toParent.z);
    ratio[c] = powers(child.w * inverseScale);
  }
  for (var t = lane; t < termCount; t += workgroupSize) {
    var sum = vec4<f32>(0.0);
    let first = tables[params.upwardOffset + t];
    let last = tables[params.upwardOffset + t + 1u];
    for (var e = first; e < last; e++) {
      let pair = tables[params.upwardPair + e];
      let beta = pair & 0xffffu;
      let a = exponentsOf(pair >> 16u);
      let b = exponentsOf(beta).w;
      for (var c = 0u; c < 2u; c++) {
        let weight = ratio[c][b] * shift[3u * c][a.x] * shift[3u * c + 1u][a.y] * shift[3u * c + 2u][a.z];
        sum += weight * moments[(2u * node + 1u + c) * termCount + beta];
      }
    }
    moments[node * termCount + t] = sum;
  }
}

@compute @workgroup_size(workgroupSize)
fn tree_reduce(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lane: u32,
) {
  if (workgroupSolveStopped(lane, state[0])) {
    return;
  }
  let index = workgroupIndex(group, groups);
  if (index >= params.rangeNodes) {
    return;
  }
  let node = params.firstNode + index;
  for (var r = lane; r < params.reducedCount; r += workgroupSize) {
    var sum = vec4<f32>(0.0);
    for (var e = tables[params.reductionOffset + r]; e < tables[params.reductionOffset + r + 1u]; e++) {
      sum += tableFloat(params.reductionWeight + e) * leafMoments[node * termCount + tables[params.reductionEntry + e]];
    }
    reduced[node * params.reducedCount + r] = sum;
  }
}

// One M2L batch: per source, the derivatives D_k(R / r) (termCount + 1 entries, the last kept 0 for
// the recurrence's absent indices), (s_s / r)^d, (s_t / r)^d / r and the source node.
var<workgroup> derivatives: array<f32, m2lBatch * (termCount + 1u)>;
var<workgroup> sourceRatio: array<array<f32, kPowers>, m2lBatch>;
var<workgroup> targetRatio: array<array<f32, kPowers>, m2lBatch>;
var<workgroup> batchSource: array<u32, m2lBatch>;

@compute @workgroup_size(workgroupSize)
fn tree_m2l(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lane: u32,
) {
  if (workgroupSolveStopped(lane, state[0])) {
    return;
  }
  let index = workgroupIndex(group, groups);
  if (index >= params.rangeNodes) {
    return;
  }
  // The range is of positions in the M2L's order (m2lNodeOrder), longest list first.
  let node = tables[params.m2lNodes + params.firstNode + index];
  let targetNode = nodes[node];
  let rows = select(params.reducedCount, params.planarCount, params.planar != 0u);
  for (var r = lane; r < params.reducedCount; r += workgroupSize) {
    m2lLocals[node * params.reducedCount + r] = vec4<f32>(0.0);
  }
  let first = tables[params.listOffset + node];
  let last = tables[params.listOffset + node + 1u];
  let stride = termCount + 1u;
  for (var batch = first; batch < last; batch += m2lBatch) {
    if (lane < m2lBatch && batch + lane < last) {
      // The Taylor recurrence of cartesian-expansion.ts (inverseDistanceDerivatives) at the unit vector.
      let source = tables[params.list + batch + lane];
      let sourceNode = nodes[source];
      let separation = targetNode.xyz - sourceNode.xyz;
      let distance = length(separation);
      let unit = separation / distance;
      let base = lane * stride;
      derivatives[base + termCount] = 0.0;
      derivatives[base] = 1.0;
      for (var k = 1u; k < termCount; k++) {
        let k3 = 3u * k;
        let one = base + vec3<u32>(
          tables[params.minusOne + k3],
          tables[params.minusOne + k3 + 1u],
          tables[params.minusOne + k3 + 2u],
        );
        let two = base + vec3<u32>(
          tables[params.minusTwo + k3],
          tables[params.minusTwo + k3 + 1u],
          tables[params.minusTwo + k3 + 2u],
        );
        let firstSum = unit.x * derivatives[one.x] + unit.y * derivatives[one.y] + unit.z * derivatives[one.z];
        let secondSum = derivatives[two.x] + derivatives[two.y] + derivatives[two.z];
        derivatives[base + k] =
          tableFloat(params.firstWeight + k) * firstSum + tableFloat(params.secondWeight + k) * secondSum;
      }
      for (var k = 1u; k < termCount; k++) {
        derivatives[base + k] *= tableFloat(params.factorial + k);
      }
      sourceRatio[lane] = powers(sourceNode.w / distance);
      var toTarget = powers(targetNode.w / distance);
      for (var d = 0u; d <= params.order; d++) {
        toTarget[d] /= distance;
      }
      targetRatio[lane] = toTarget;
      batchSource[lane] = source;
    }
    workgroupBarrier();
    let count = min(m2lBatch, last - batch);
    for (var row = lane; row < rows; row += workgroupSize) {
      var r = row;
      if (params.planar != 0u) {
        r = tables[params.planarReduced + row];
      }
      let betaDegree = reducedDegree(r);
      var local = vec4<f32>(0.0);
      for (var j = 0u; j < count; j++) {
        let momentsOf = batchSource[j] * params.reducedCount;
        let derivativesOf = j * stride;
        var sum = vec4<f32>(0.0);
        if (params.planar != 0u) {
          for (var e = tables[params.planarOffset + row]; e < tables[params.planarOffset + row + 1u]; e++) {
            let alpha = tables[params.planarAlpha + e];
            let weight = derivatives[derivativesOf + tables[params.planarIndex + e]];
            sum += weight * sourceRatio[j][reducedDegree(alpha)] * harmonicMoments[momentsOf + alpha];
          }
        } else {
          // The row's alpha run over the harmonic terms of degree <= p - |beta| in order.
          var e = tables[params.m2lOffset + row];
          for (var d = 0u; d <= params.order - betaDegree; d++) {
            var part = vec4<f32>(0.0);
            for (var alpha = d * d; alpha <= d * d + 2u * d; alpha++) {
              part += derivatives[derivativesOf + tables[params.m2lIndex + e]] * harmonicMoments[momentsOf + alpha];
              e++;
            }
            sum += sourceRatio[j][d] * part;
          }
        }
        local += targetRatio[j][betaDegree] * sum;
      }
      m2lLocals[node * params.reducedCount + r] += local;
    }
    workgroupBarrier();
  }
}

// Term b of node's M2L sums completed by the harmonic identity (cartesian-expansion.ts completeLocal).
fn completedM2l(node: u32, b: u32) -> vec4<f32> {
  var local = vec4<f32>(0.0);
  for (var e = tables[params.completionOffset + b]; e < tables[params.completionOffset + b + 1u]; e++) {
    let r = tables[params.completionEntry + e];
    local += tableFloat(params.completionWeight + e) * m2lLocals[node * params.reducedCount + r];
  }
  return local;
}

@compute @workgroup_size(workgroupSize)
fn tree_l2l(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lane: u32,
) {
  if (workgroupSolveStopped(lane, state[0])) {
    return;
  }
  let index = workgroupIndex(group, groups);
  if (index >= params.rangeNodes) {
    return;
  }
  let node = params.firstNode + index;
  let child = nodes[node];
  let parentNode = select(0u, (node - 1u) / 2u, node > 0u);
  let parent = nodes[parentNode];
  let toChild = (child.xyz - parent.xyz) / parent.w;
  // var, not let: a dynamically indexed let array is copied at every index (Tint).
  var shiftX = scaledPowers(toChild.x);
  var shiftY = scaledPowers(toChild.y);
  var shiftZ = scaledPowers(toChild.z);
  var ratio = powers(child.w / parent.w);
  for (var b = lane; b < termCount; b += workgroupSize) {
    var local = completedM2l(node, b);
    if (node > 0u) {
      let first = tables[params.sumOffset + b];
      let count = tables[params.sumOffset + b + 1u] - first;
      var shifted = vec4<f32>(0.0);
      for (var g = 0u; g < count; g++) {
        let k = exponentsOf(g);
        let weight = shiftX[k.x] * shiftY[k.y] * shiftZ[k.z];
        shifted += weight * locals[parentNode * termCount + tables[params.sumIndex + first + g]];
      }
      local += ratio[exponentsOf(b).w] * shifted;
    }
    locals[node * termCount + b] = local;
  }
}

// A leaf's electrons [start, end) in tree order and its near list [nearFirst, nearLast) of leaves.
struct LeafLists {
  start: u32,
  end: u32,
  nearFirst: u32,
  nearLast: u32,
}

fn leafLists(leaf: u32) -> LeafLists {
  let near = params.nearOffset + leaf - params.firstLeaf;
  return LeafLists(tables[params.nodeStart + leaf], tables[params.nodeEnd + leaf], tables[near], tables[near + 1u]);
}

var<workgroup> tilePositions: array<vec4<f32>, workgroupSize>;
var<workgroup> tileCharges: array<vec4<f32>, workgroupSize>;

// The four potentials and their gradients at h / s from leaf `leaf`'s local expansion: the Stokeslet
// sum (phi_l - sum_m x_m d_l phi_m + d_l psi) / 2 at x = `position` (treecode.ts evaluate).
fn farField(leaf: u32, position: vec3<f32>) -> vec3<f32> {
  let centre = nodes[leaf];
  let h = (position - centre.xyz) / centre.w;
  var hx = scaledPowers(h.x);
  var hy = scaledPowers(h.y);
  var hz = scaledPowers(h.z);
  var phi = vec4<f32>(0.0);
  var gradient: array<vec4<f32>, 3>;
  let base = leaf * termCount;
  for (var b = 0u; b < termCount; b++) {
    let k = exponentsOf(b);
    let local = localCoefficients[base + b];
    phi += hx[k.x] * hy[k.y] * hz[k.z] * local;
    // d_i (h^k / k!) = h^(k - e_i) / (k - e_i)!: each coefficient serves the gradient where k_i >= 1.
    if (k.x > 0u) {
      gradient[0] += hx[k.x - 1u] * hy[k.y] * hz[k.z] * local;
    }
    if (k.y > 0u) {
      gradient[1] += hx[k.x] * hy[k.y - 1u] * hz[k.z] * local;
    }
    if (k.z > 0u) {
      gradient[2] += hx[k.x] * hy[k.y] * hz[k.z - 1u] * local;
    }
  }
  var stokeslet: vec3<f32>;
  for (var l = 0u; l < 3u; l++) {
    let g = gradient[l] / centre.w;
    stokeslet[l] = phi[l] - dot(position, g.xyz) + g.w;
  }
  return stokeslet / 2.0;
}

@compute @workgroup_size(workgroupSize)
fn tree_evaluate(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lane: u32,
) {
  if (workgroupSolveStopped(lane, state[0])) {
    return;
  }
  let index = workgroupIndex(group, groups);
  if (index >= params.rangeNodes) {
    return;
  }
  let leaf = params.firstNode + index;
  let lists = leafLists(leaf);
  let start = lists.start;
  let end = lists.end;
  // Threads past the leaf's electrons still load tiles and meet the barriers (uniform control flow).
  for (var base = start; base < end; base += workgroupSize) {
    let k = base + lane;
    let position = electrons[min(k, end - 1u)];
    var w = vec3<f32>(0.0);
    for (var l = lists.nearFirst; l < lists.nearLast; l++) {
      let source = tables[params.near + l];
      let sourceEnd = tables[params.nodeEnd + source];
      for (var tileStart = tables[params.nodeStart + source]; tileStart < sourceEnd; tileStart += workgroupSize) {
        let j = tileStart + lane;
        if (j < sourceEnd) {
          tilePositions[lane] = electrons[j];
          tileCharges[lane] = sourceCharges[j];
        }
        workgroupBarrier();
        let count = min(workgroupSize, sourceEnd - tileStart);
        for (var q = 0u; q < count; q++) {
          if (tileStart + q != k) {
            let d = position.xyz - tilePositions[q].xyz;
            w += applyOseen(d, oseenScales(d, params.softeningSquared), tileCharges[q].xyz);
          }
        }
        workgroupBarrier();
      }
    }
    finishTarget(leaf, k, end, w);
  }
}

// y of the electron at tree position k of `leaf` (none past `end`) from its near-field sum w: the far
// field (L2P) added unless a later pass adds it, then y = D x + eps w in input order.
fn finishTarget(leaf: u32, k: u32, end: u32, near: vec3<f32>) {
  if (k >= end) {
    return;
  }
  let position = electrons[k];
  var w = near;
  if (params.far != 0u && evaluateFarField) {
    w += farField(leaf, position.xyz);
  }
  writeProduct(tables[params.electron + k], position, w, false);
}

// tree_evaluate_blocked, tree_evaluate for a CPU adapter (src/gpu/profile.ts): one SIMD group of
// blockedThreads threads (SwiftShader's width, 4: src/kernels/tree.ts kBlockedThreads), each summing
// `targetBlocks` blocks of four of the leaf's electrons (TargetBlock, interaction.wgsl), targetBlocks =
// ceil(leaf / (4 blockedThreads)) (at most kMostTargetBlocks, in rounds past that), so that the leaf
// fills the group's lanes, each source staged in workgroup memory is loaded once for 4 targetBlocks
// targets, and a barrier waits for one group alone. The blocks are variables of their own, written out
// to kMostTargetBlocks: held in an array indexed in a loop they went to memory and the sum took twice
// as long. matvec_free_blocked's shape, two TargetBlocks a thread in as many threads as the leaf needs,
// spread a leaf of 79 over 10 threads in three groups of four and took 1.35 times as long a pair as
// matvec_free; this takes as long.
override targetBlocks: u32 = 2u;
override blockedThreads: u32 = 4u;
const kMostTargetBlocks = 8u;
var<workgroup> blockTilePositions: array<vec4<f32>, 4u * targetBlocks * blockedThreads>;
var<workgroup> blockTileCharges: array<vec4<f32>, 4u * targetBlocks * blockedThreads>;

// The positions of tree positions first .. first + 3, clamped to the leaf's last electron.
fn leafBlock(first: u32, end: u32) -> TargetBlock {
  var block: TargetBlock;
  for (var t = 0u; t < 4u; t++) {
    let p = electrons[min(first + t, end - 1u)];
    block.x[t] = p.x;
    block.y[t] = p.y;
    block.z[t] = p.z;
  }
  return block;
}

// Four targets of a leaf from tree position `first`: positions, tree positions and near-field sums.
struct LeafTargets {
  positions: TargetBlock,
  rows: vec4<u32>,
  sums: TargetBlock,
}

fn leafTargets(first: u32, end: u32) -> LeafTargets {
  var targets: LeafTargets;
  targets.positions = leafBlock(first, end);
  targets.rows = vec4<u32>(first) + vec4<u32>(0u, 1u, 2u, 3u);
  return targets;
}

// sums += T_ij v for source j at pj (0 for the target that is j, as the i != j of the pair sums).
fn addSource(targets: ptr<function, LeafTargets>, j: u32, pj: vec3<f32>, v: vec3<f32>) {
  addOseenToBlock(&(*targets).sums, (*targets).positions, (*targets).rows == vec4<u32>(j), pj, v, params.softeningSquared);
}

fn finishBlock(leaf: u32, targets: LeafTargets, end: u32) {
  for (var t = 0u; t < 4u; t++) {
    finishTarget(leaf, targets.rows[t], end, vec3<f32>(targets.sums.x[t], targets.sums.y[t], targets.sums.z[t]));
  }
}

@compute @workgroup_size(blockedThreads)
fn tree_evaluate_blocked(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lane: u32,
) {
  if (workgroupSolveStopped(lane, state[0])) {
    return;
  }
  let index = workgroupIndex(group, groups);
  if (index >= params.rangeNodes) {
    return;
  }
  let leaf = params.firstNode + index;
  let lists = leafLists(leaf);
  let start = lists.start;
  let end = lists.end;
  let rowsPerThread = 4u * targetBlocks;
  let tileSize = rowsPerThread * blockedThreads;
  // Threads past the leaf's electrons still load tiles and meet the barriers (uniform control flow).
  for (var base = start; base < end; base += tileSize) {
    let first = base + rowsPerThread * lane;
    var b0 = leafTargets(first + 0u, end);
    var b1 = leafTargets(first + 4u, end);
    var b2 = leafTargets(first + 8u, end);
    var b3 = leafTargets(first + 12u, end);
    var b4 = leafTargets(first + 16u, end);
    var b5 = leafTargets(first + 20u, end);
    var b6 = leafTargets(first + 24u, end);
    var b7 = leafTargets(first + 28u, end);
    for (var l = lists.nearFirst; l < lists.nearLast; l++) {
      let source = tables[params.near + l];
      let sourceEnd = tables[params.nodeEnd + source];
      for (var tileStart = tables[params.nodeStart + source]; tileStart < sourceEnd; tileStart += tileSize) {
        for (var t = 0u; t < rowsPerThread; t++) {
          let slot = t * blockedThreads + lane;
          if (tileStart + slot < sourceEnd) {
            blockTilePositions[slot] = electrons[tileStart + slot];
            blockTileCharges[slot] = sourceCharges[tileStart + slot];
          }
        }
        workgroupBarrier();
        let count = min(tileSize, sourceEnd - tileStart);
        for (var q = 0u; q < count; q++) {
          let j = tileStart + q;
          let pj = blockTilePositions[q].xyz;
          let v = blockTileCharges[q].xyz;
          addSource(&b0, j, pj, v);
          if (targetBlocks > 1u) {
            addSource(&b1, j, pj, v);
          }
          if (targetBlocks > 2u) {
            addSource(&b2, j, pj, v);
          }
          if (targetBlocks > 3u) {
            addSource(&b3, j, pj, v);
          }
          if (targetBlocks > 4u) {
            addSource(&b4, j, pj, v);
          }
          if (targetBlocks > 5u) {
            addSource(&b5, j, pj, v);
          }
          if (targetBlocks > 6u) {
            addSource(&b6, j, pj, v);
          }
          if (targetBlocks > 7u) {
            addSource(&b7, j, pj, v);
          }
        }
        workgroupBarrier();
      }
    }
    finishBlock(leaf, b0, end);
    if (targetBlocks > 1u) {
      finishBlock(leaf, b1, end);
    }
    if (targetBlocks > 2u) {
      finishBlock(leaf, b2, end);
    }
    if (targetBlocks > 3u) {
      finishBlock(leaf, b3, end);
    }
    if (targetBlocks > 4u) {
      finishBlock(leaf, b4, end);
    }
    if (targetBlocks > 5u) {
      finishBlock(leaf, b5, end);
    }
    if (targetBlocks > 6u) {
      finishBlock(leaf, b6, end);
    }
    if (targetBlocks > 7u) {
      finishBlock(leaf, b7, end);
    }
  }
}
