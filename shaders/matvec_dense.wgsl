// #include solverGuard
// y = M x = D x + eps T x for the dense float32 mass matrix M = D + eps T (eq. 48/50 generalised):
// the stored matrix is the interaction T (zero diagonal) that assemble.wgsl writes, row-major, row
// stride 4 * chunks floats (pad columns zero: the chunks past ceil(size / 4) are never read), rows
// split over row-block buffers; the diagonal D (1 in the vector models, rho_i^2 in the azimuthal)
// is a vector of its own and eps a uniform, so a sweep over eps changes one uniform per block, not
// the O(N^2) entries.
// One dispatch per row block computes y[rowStart .. rowStart + rowCount). Two variants here and a
// third in matvec_dense_subgroup.wgsl, chosen per device by its profile (src/gpu/profile.ts):
//   matvec_dense_rows       one thread per 8 rows, vec4 loads along them. On a CPU (SwiftShader)
//                           each thread streams its rows through the cache, and every x chunk it
//                           loads serves 8 rows: loads, not bytes, bound SwiftShader, and one row
//                           per thread (a load of x per load of M) ran at half this speed.
//   matvec_dense_workgroup  one workgroup per row, threads stride along the row so that neighbours
//                           load neighbouring vec4s (coalesced), then a workgroup tree reduction:
//                           the better shape on real GPUs.
// x is read in vec4s: vectors are allocated in whole vec4s (src/gpu/buffers.ts createVector), and
// the entries of the last chunk past the size are masked, since they may hold anything, even NaN
// (the matrix's pad columns are 0, but 0 * NaN is NaN).
//
// Guard: once the solve bound as `state` has stopped, every thread returns at once
// (workgroupSolveStopped of solver_guard.wgsl on word 0 of `state`).
//
// Bindings:
//   group 0 (per row block, owned by the matrix)
//     0 uniform DenseParams
//     1 storage, read        block: array<vec4<f32>>, rowCount * chunks entries of T
//     2 storage, read        diagonal: array<f32>, `size` entries of D
//   group 1 (per vector pair, shared with matvec_free.wgsl)
//     0 storage, read        x: array<vec4<f32>>, at least `chunks` entries
//     1 storage, read_write  y: array<f32>, at least `size` entries (not the buffer bound as x)
//   group 2 (per solve, shared with matvec_free.wgsl)
//     0 storage, read        state: array<u32>, word 0 the solver status

override workgroupSize: u32 = 64u;

struct DenseParams {
  rowStart: u32,
  rowCount: u32,
  size: u32,
  chunks: u32,
  epsilon: f32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
}

@group(0) @binding(0) var<uniform> params: DenseParams;
@group(0) @binding(1) var<storage, read> block: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> diagonal: array<f32>;
@group(1) @binding(0) var<storage, read> x: array<vec4<f32>>;
@group(1) @binding(1) var<storage, read_write> y: array<f32>;
@group(2) @binding(0) var<storage, read> state: array<u32>;

var<workgroup> partial: array<f32, workgroupSize>;

// x[4k .. 4k + 3], zero past the size.
fn xChunk(k: u32) -> vec4<f32> {
  let chunk = x[k];
  let c = 4u * k;
  let n = params.size;
  if (c + 4u <= n) {
    return chunk;
  }
  return vec4<f32>(chunk.x, select(0.0, chunk.y, c + 1u < n), select(0.0, chunk.z, c + 2u < n), 0.0);
}

// y[row] = D[row] x[row] + eps (T x)[row], given the row's sum (T x)[row].
fn massRow(row: u32, interaction: f32) -> f32 {
  return diagonal[row] * x[row / 4u][row % 4u] + params.epsilon * interaction;
}

// Rows of one matvec_dense_rows thread. The loop body below is unrolled by hand into two mat4x4s:
// SwiftShader neither unrolls loops nor keeps a private array in registers, which the loop would need.
const kRowsPerThread = 8u;

@compute @workgroup_size(workgroupSize)
fn matvec_dense_rows(
  @builtin(global_invocation_id) id: vec3<u32>,
  @builtin(local_invocation_index) lane: u32,
) {
  if (workgroupSolveStopped(lane, state[0])) {
    return;
  }
  let first = kRowsPerThread * id.x;
  if (first >= params.rowCount) {
    return;
  }
  let rows = min(kRowsPerThread, params.rowCount - first);
  // Rows past the block re-read the thread's first row, and are not written.
  let c = params.chunks;
  let a0 = first * c;
  let a1 = a0 + select(0u, c, rows > 1u);
  let a2 = a0 + select(0u, 2u * c, rows > 2u);
  let a3 = a0 + select(0u, 3u * c, rows > 3u);
  let a4 = a0 + select(0u, 4u * c, rows > 4u);
  let a5 = a0 + select(0u, 5u * c, rows > 5u);
  let a6 = a0 + select(0u, 6u * c, rows > 6u);
  let a7 = a0 + select(0u, 7u * c, rows > 7u);
  // xk * mat4x4(m0, m1, m2, m3) = (m0 . xk, m1 . xk, m2 . xk, m3 . xk): four rows' partial sums.
  var low = vec4<f32>(0.0);
  var high = vec4<f32>(0.0);
  let full = params.size / 4u;
  for (var k = 0u; k < full; k++) {
    let xk = x[k];
    low += xk * mat4x4<f32>(block[a0 + k], block[a1 + k], block[a2 + k], block[a3 + k]);
    high += xk * mat4x4<f32>(block[a4 + k], block[a5 + k], block[a6 + k], block[a7 + k]);
  }
  if (4u * full < params.size) {
    let xk = xChunk(full);
    let k = full;
    low += xk * mat4x4<f32>(block[a0 + k], block[a1 + k], block[a2 + k], block[a3 + k]);
    high += xk * mat4x4<f32>(block[a4 + k], block[a5 + k], block[a6 + k], block[a7 + k]);
  }
  let out = params.rowStart + first;
  for (var r = 0u; r < rows; r++) {
    y[out + r] = massRow(out + r, select(high, low, r < 4u)[r % 4u]);
  }
}

// One lane's share of row `local` of the block times x, in a workgroup that takes the row together:
// the chunks lane, lane + workgroupSize, ..., so that neighbouring lanes load neighbouring vec4s.
fn laneShare(local: u32, lane: u32) -> f32 {
  let base = local * params.chunks;
  var sum = vec4<f32>(0.0);
  for (var k = lane; 4u * k < params.size; k += workgroupSize) {
    sum += block[base + k] * xChunk(k);
  }
  return (sum.x + sum.y) + (sum.z + sum.w);
}

// workgroupSize must be a power of two here (the host checks). Rows beyond the dispatch's
// workgroup count are taken in a grid-stride loop, which stays workgroup-uniform so the barriers
// are legal.
@compute @workgroup_size(workgroupSize)
fn matvec_dense_workgroup(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lane: u32,
) {
  if (workgroupSolveStopped(lane, state[0])) {
    return;
  }
  for (var local = group.x; local < params.rowCount; local += groups.x) {
    partial[lane] = laneShare(local, lane);
    workgroupBarrier();
    for (var width = workgroupSize / 2u; width > 0u; width /= 2u) {
      if (lane < width) {
        partial[lane] += partial[lane + width];
      }
      workgroupBarrier();
    }
    if (lane == 0u) {
      y[params.rowStart + local] = massRow(params.rowStart + local, partial[0]);
    }
    // Lane 0 reads partial[0] before it writes it again for the next row; the other lanes write
    // only their own slots, which lane 0 no longer reads: no barrier needed here.
  }
}
