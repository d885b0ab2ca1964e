// #include interaction
// #include solverGuard
// Matrix-free y = M x (eq. 48/50 generalised; interaction.wgsl, included, holds
// the pair formulas): every entry of M is recomputed from the positions, so memory is O(N) and
// any N fits. One thread per electron i sums over all j in tiles of `workgroupSize` electrons
// whose positions and x components are staged once through workgroup memory (the classic N-body
// tiling), one entry point per model:
//   vector model:    y_i = x_i + eps sum_{j != i} [x_j s.x + d (d . x_j) s.y],  d = r_i - r_j
//   azimuthal model: y_i = rho_i^2 x_i + eps sum_{j != i} u_i^T T_ij u_j x_j
// and matvec_free_blocked, eight electrons per thread for every model, for CPU adapters (below).
// x and y are laid out as in the dense matvec: b = dim (vector) or 1 (azimuthal) entries per
// electron, particle-major.
// One dispatch computes the rows of the electrons [rowStart, rowStart + rowCount): a product at
// large N is split into such chunks of a fraction of a second (src/kernels/matvec-free.ts), so that
// the host can report progress and stop between them. Each y_i sums over j in the same order
// whatever the split, so a chunked product equals the whole one bit for bit.
//
// Bindings:
//   group 0
//     0 uniform FreeParams
//     1 storage, read        positions: array<vec4<f32>>, (x, y, z, rho^2) per electron
//   group 1 (per vector pair, shared with matvec_dense.wgsl)
//     0 storage, read        x: array<f32>, at least `size` entries
//     1 storage, read_write  y: array<f32>, at least `size` entries (not the buffer bound as x)
//   group 2 (per solve, shared with matvec_dense.wgsl)
//     0 storage, read        state: array<u32>, word 0 the solver status
//
// Guard: once the solve bound as `state` has stopped, every workgroup returns at once
// (workgroupSolveStopped of solver_guard.wgsl on word 0 of `state`).

override workgroupSize: u32 = 64u;
// 0 vector 3D, 1 vector 2D, 2 azimuthal (GpuModel): the model matvec_free_blocked sums.
override model: u32 = 0u;

struct FreeParams {
  n: u32,
  size: u32,
  epsilon: f32,
  softeningSquared: f32,
  rowStart: u32,
  rowCount: u32,
  pad0: u32,
  pad1: u32,
}

@group(0) @binding(0) var<uniform> params: FreeParams;
@group(0) @binding(1) var<storage, read> positions: array<vec4<f32>>;
@group(1) @binding(0) var<storage, read> x: array<f32>;
@group(1) @binding(1) var<storage, read_write> y: array<f32>;
@group(2) @binding(0) var<storage, read> state: array<u32>;

var<workgroup> tilePositions: array<vec4<f32>, workgroupSize>;
// The x components of the tile's electrons, padded to a vec4 (3, 2 or 1 of them used).
var<workgroup> tileX: array<vec4<f32>, workgroupSize>;

// Threads past the chunk's rows still load tiles and meet the barriers (which need uniform control
// flow); they compute with a clamped position and write nothing.

@compute @workgroup_size(workgroupSize)
fn matvec_free_vector3d(
  @builtin(global_invocation_id) id: vec3<u32>,
  @builtin(local_invocation_index) lane: u32,
) {
  if (workgroupSolveStopped(lane, state[0])) {
    return;
  }
  let i = params.rowStart + id.x;
  let pi = positions[min(i, params.n - 1u)].xyz;
  var sum = vec3<f32>(0.0);
  for (var start = 0u; start < params.n; start += workgroupSize) {
    let j = start + lane;
    if (j < params.n) {
      tilePositions[lane] = positions[j];
      tileX[lane] = vec4<f32>(x[3u * j], x[3u * j + 1u], x[3u * j + 2u], 0.0);
    }
    workgroupBarrier();
    let count = min(workgroupSize, params.n - start);
    for (var k = 0u; k < count; k++) {
      if (start + k != i) {
        let d = pi - tilePositions[k].xyz;
        sum += applyOseen(d, oseenScales(d, params.softeningSquared), tileX[k].xyz);
      }
    }
    workgroupBarrier();
  }
  if (id.x < params.rowCount) {
    y[3u * i] = x[3u * i] + params.epsilon * sum.x;
    y[3u * i + 1u] = x[3u * i + 1u] + params.epsilon * sum.y;
    y[3u * i + 2u] = x[3u * i + 2u] + params.epsilon * sum.z;
  }
}

// The 2D model has z = 0 for every electron (validateSystem): only the in-plane parts are used.
@compute @workgroup_size(workgroupSize)
fn matvec_free_vector2d(
  @builtin(global_invocation_id) id: vec3<u32>,
  @builtin(local_invocation_index) lane: u32,
) {
  if (workgroupSolveStopped(lane, state[0])) {
    return;
  }
  let i = params.rowStart + id.x;
  let pi = positions[min(i, params.n - 1u)].xy;
  var sum = vec2<f32>(0.0);
  for (var start = 0u; start < params.n; start += workgroupSize) {
    let j = start + lane;
    if (j < params.n) {
      tilePositions[lane] = positions[j];
      tileX[lane] = vec4<f32>(x[2u * j], x[2u * j + 1u], 0.0, 0.0);
    }
    workgroupBarrier();
    let count = min(workgroupSize, params.n - start);
    for (var k = 0u; k < count; k++) {
      if (start + k != i) {
        let d = vec3<f32>(pi - tilePositions[k].xy, 0.0);
        sum += applyOseen(d, oseenScales(d, params.softeningSquared), vec3<f32>(tileX[k].xy, 0.0)).xy;
      }
    }
    workgroupBarrier();
  }
  if (id.x < params.rowCount) {
    y[2u * i] = x[2u * i] + params.epsilon * sum.x;
    y[2u * i + 1u] = x[2u * i + 1u] + params.epsilon * sum.y;
  }
}

@compute @workgroup_size(workgroupSize)
fn matvec_free_azimuthal(
  @builtin(global_invocation_id) id: vec3<u32>,
  @builtin(local_invocation_index) lane: u32,
) {
  if (workgroupSolveStopped(lane, state[0])) {
    return;
  }
  let i = params.rowStart + id.x;
  let pi = positions[min(i, params.n - 1u)];
  var sum = 0.0;
  for (var start = 0u; start < params.n; start += workgroupSize) {
    let j = start + lane;
    if (j < params.n) {
      tilePositions[lane] = positions[j];
      tileX[lane] = vec4<f32>(x[j], 0.0, 0.0, 0.0);
    }
    workgroupBarrier();
    let count = min(workgroupSize, params.n - start);
    for (var k = 0u; k < count; k++) {
      if (start + k != i) {
        sum += azimuthalInteraction(pi.xyz, tilePositions[k].xyz, params.softeningSquared) * tileX[k].x;
      }
    }
    workgroupBarrier();
  }
  if (id.x < params.rowCount) {
    y[i] = pi.w * x[i] + params.epsilon * sum;
  }
}

// matvec_free_blocked, the variant for a CPU adapter (src/gpu/profile.ts): kBlockRows electrons per
// thread, so that each source staged in workgroup memory is loaded once for eight targets; one entry
// point for every model (`model`), the 2D model being the 3D sum at z = 0 and the azimuthal one the
// vector sum of the charges u_j x_j dotted with u_i (azimuthalInteraction summed over j).
fn targetBlock(first: u32) -> TargetBlock {
  var block: TargetBlock;
  for (var t = 0u; t < 4u; t++) {
    let p = positions[min(first + t, params.n - 1u)];
    block.x[t] = p.x;
    block.y[t] = p.y;
    block.z[t] = p.z;
  }
  return block;
}

// What T_ij multiplies for source j at p: x_j (vector models) or u_j x_j, u = (-y, x, 0).
fn sourceCharge(j: u32, p: vec4<f32>) -> vec3<f32> {
  if (model == 0u) {
    return vec3<f32>(x[3u * j], x[3u * j + 1u], x[3u * j + 2u]);
  }
  if (model == 1u) {
    return vec3<f32>(x[2u * j], x[2u * j + 1u], 0.0);
  }
  return vec3<f32>(-p.y, p.x, 0.0) * x[j];
}

// y_i from the pair sum w_i = sum_j T_ij (charge j), for a row of the chunk.
fn writeRow(i: u32, w: vec3<f32>) {
  if (i >= params.rowStart + params.rowCount) {
    return;
  }
  if (model == 0u) {
    y[3u * i] = x[3u * i] + params.epsilon * w.x;
    y[3u * i + 1u] = x[3u * i + 1u] + params.epsilon * w.y;
    y[3u * i + 2u] = x[3u * i + 2u] + params.epsilon * w.z;
  } else if (model == 1u) {
    y[2u * i] = x[2u * i] + params.epsilon * w.x;
    y[2u * i + 1u] = x[2u * i + 1u] + params.epsilon * w.y;
  } else {
    let p = positions[i];
    y[i] = p.w * x[i] + params.epsilon * dot(vec2<f32>(-p.y, p.x), w.xy);
  }
}

@compute @workgroup_size(workgroupSize)
fn matvec_free_blocked(
  @builtin(global_invocation_id) id: vec3<u32>,
  @builtin(local_invocation_index) lane: u32,
) {
  if (workgroupSolveStopped(lane, state[0])) {
    return;
  }
  let first = params.rowStart + kBlockRows * id.x;
  let targets = EightTargets(first, targetBlock(first), targetBlock(first + 4u));
  var sums: EightSums;
  for (var start = 0u; start < params.n; start += workgroupSize) {
    let j = start + lane;
    if (j < params.n) {
      let p = positions[j];
      tilePositions[lane] = p;
      tileX[lane] = vec4<f32>(sourceCharge(j, p), 0.0);
    }
    workgroupBarrier();
    let count = min(workgroupSize, params.n - start);
    for (var k = 0u; k < count; k++) {
      addOseenToEight(&sums, targets, start + k, tilePositions[k].xyz, tileX[k].xyz, params.softeningSquared);
    }
    workgroupBarrier();
  }
  for (var t = 0u; t < kBlockRows; t++) {
    writeRow(first + t, sumOfRow(sums, t));
  }
}
