// #include solverGuard
// #include workgroupSum
// Two-stage reductions for the GPU Krylov solvers (src/engine): dot products and squared norms of
// float32 vectors land in a GPU buffer that the solver-scalar kernels of krylov.wgsl read, so no
// scalar makes a CPU round trip.
//
//   stage 1, workgroup (g, c) of (G, C) (G = params.partialCount = the dispatch's x count):
//     dot_partial           partials[c G + g]  = sum_{i in share(g)} V_ic y_i,  V_ic = x[c columnStride + i]
//                           (C = 1: x^T y; C columns: h = V^T w of Lanczos' Gram-Schmidt)
//     weighted_dot_partial  partials[g]        = sum_{i in share(g)} x_i w_i y_i    (r^T D^-1 r)
//     share(g) = { g W + lane + m G W : m = 0, 1, ... } below params.size (W = workgroupSize)
//   stage 2, reduce_final, workgroup c: output[slot + c] = sum_{k < G} partials[c G + k]
//
// Each thread first sums its strided share in a register and only W values go through the
// workgroup tree of workgroup_sum.wgsl, whose `workgroupSize` this module takes. Stage 2 is one
// workgroup per output.
//
// Guard: workgroupSolveStopped of solver_guard.wgsl on word 0 of `state`; bind a state whose word 0
// is 0 to reduce outside a solve.
//
// Bindings, group 0 (each entry point uses the subset named):
//   0 uniform               params: ReduceParams                       all
//   1 storage, read         state: array<u32>, word 0 the status       all
//   2 storage, read         x: array<f32> (or the basis V)             stage 1
//   3 storage, read         y: array<f32>                              stage 1
//   4 storage, read         weights: array<f32>                        weighted_dot_partial
//   5 storage, read_write   partials: array<f32>, >= C G               all
//   6 storage, read_write   output: array<f32>                         reduce_final

struct ReduceParams {
  size: u32,
  partialCount: u32,
  columnStride: u32,
  slot: u32,
}

@group(0) @binding(0) var<uniform> params: ReduceParams;
@group(0) @binding(1) var<storage, read> state: array<u32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> y: array<f32>;
@group(0) @binding(4) var<storage, read> weights: array<f32>;
@group(0) @binding(5) var<storage, read_write> partials: array<f32>;
@group(0) @binding(6) var<storage, read_write> output: array<f32>;

// partials[c G + g] = the workgroup's sum (c = workgroup y, g = workgroup x). Call from uniform
// control flow.
fn storePartial(lane: u32, group: vec3<u32>, groups: vec3<u32>, sum: f32) {
  let total = workgroupSum(lane, sum);
  if (lane == 0u) {
    partials[group.y * groups.x + group.x] = total;
  }
}

// x^T y, or with a y-row of workgroups per column V^T y (column c of V starts at c columnStride;
// a single dot is the one-column case).
@compute @workgroup_size(workgroupSize)
fn dot_partial(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lane: u32,
) {
  if (workgroupSolveStopped(lane, state[0])) {
    return;
  }
  let column = group.y * params.columnStride;
  var sum = 0.0;
  for (var i = group.x * workgroupSize + lane; i < params.size; i += groups.x * workgroupSize) {
    sum += x[column + i] * y[i];
  }
  storePartial(lane, group, groups, sum);
}

@compute @workgroup_size(workgroupSize)
fn weighted_dot_partial(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lane: u32,
) {
  if (workgroupSolveStopped(lane, state[0])) {
    return;
  }
  var sum = 0.0;
  for (var i = group.x * workgroupSize + lane; i < params.size; i += groups.x * workgroupSize) {
    sum += (x[i] * weights[i]) * y[i];
  }
  storePartial(lane, group, groups, sum);
}

@compute @workgroup_size(workgroupSize)
fn reduce_final(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  if (workgroupSolveStopped(lane, state[0])) {
    return;
  }
  let base = group.x * params.partialCount;
  var sum = 0.0;
  for (var k = lane; k < params.partialCount; k += workgroupSize) {
    sum += partials[base + k];
  }
  let total = workgroupSum(lane, sum);
  if (lane == 0u) {
    output[params.slot + group.x] = total;
  }
}
