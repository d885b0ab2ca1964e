// One whole Jacobi-CG iteration after the matvec q = M p (eq. 48/50, src/solvers/cg.ts), in a
// single workgroup, so that an iteration is two launches (the matvec and this) rather than the
// split sequence of blas.wgsl, reduce.wgsl and krylov.wgsl kernels (src/engine/cg.ts):
//   p^T q -> alpha (cgAlpha);  x += alpha p, r -= alpha q, with r^T r and r^T D^-1 r summed on
//   the way;  ||r_k|| -> stopping rule (advance);  beta (cgBeta);  p = D^-1 r + beta p.
// The sums and products are those of the split kernels, term for term; only the order of the
// summation differs.
//
// shaders.ts composes workgroup_sum.wgsl + krylov.wgsl + this file: lane 0 runs krylov.wgsl's own
// scalar steps on its bindings, and the other lanes learn its verdict and coefficient through
// workgroup memory (workgroupUniformLoad, so that returning on the verdict is uniform and later
// barriers stay legal). Lane l touches entries l, l + W, ... of every vector in every phase, so no
// lane reads an entry another wrote and no storage barrier is needed.
//
// Why one workgroup: the vector work is O(N), the matvec O(N^2), while each launch costs 60-150 us
// on SwiftShader and a few us on a GPU, where one workgroup streams a few thousand entries in
// about that time. src/kernels/cg-step.ts says when it is chosen.
//
// Bindings, group 0 (with krylov.wgsl's 0 params, 1 state and 3 trace; dots is not used):
//   4 storage, read_write   p: array<f32>
//   5 storage, read         q: array<f32>, M p
//   6 storage, read_write   x: array<f32>
//   7 storage, read_write   r: array<f32>
//   8 storage, read         inverseDiagonal: array<f32>, D^-1
// params.size entries of each are used.

// A power of two (workgroup_sum.wgsl's tree halves it); set by src/kernels/cg-step.ts.
override workgroupSize: u32 = 256u;

@group(0) @binding(4) var<storage, read_write> p: array<f32>;
@group(0) @binding(5) var<storage, read> q: array<f32>;
@group(0) @binding(6) var<storage, read_write> x: array<f32>;
@group(0) @binding(7) var<storage, read_write> r: array<f32>;
@group(0) @binding(8) var<storage, read> inverseDiagonal: array<f32>;

var<workgroup> runningShared: u32;
var<workgroup> coefficientShared: f32;

// Lane 0 only, after its scalar step: whether the solve goes on, and the coefficient it goes on with.
fn share(coefficient: f32) {
  runningShared = select(0u, 1u, running());
  coefficientShared = coefficient;
}

// What lane 0 shared, in every lane. Call from uniform control flow.
fn sharedRunning() -> bool {
  return workgroupUniformLoad(&runningShared) == 1u;
}

@compute @workgroup_size(workgroupSize)
fn cg_step(@builtin(local_invocation_index) lane: u32) {
  if (lane == 0u) {
    share(0.0);
  }
  if (!sharedRunning()) {
    return;
  }

  var curvature = 0.0;
  for (var i = lane; i < params.size; i += workgroupSize) {
    curvature += p[i] * q[i];
  }
  curvature = workgroupSum(lane, curvature);
  if (lane == 0u) {
    cgAlpha(curvature);
    share(state.alpha);
  }
  if (!sharedRunning()) {
    return;
  }
  let alpha = coefficientShared;

  var residualSquared = 0.0;
  var preconditionedSquared = 0.0;
  for (var i = lane; i < params.size; i += workgroupSize) {
    x[i] += alpha * p[i];
    let residual = r[i] - alpha * q[i];
    r[i] = residual;
    residualSquared += residual * residual;
    preconditionedSquared += (residual * inverseDiagonal[i]) * residual;
  }
  residualSquared = workgroupSum(lane, residualSquared);
  preconditionedSquared = workgroupSum(lane, preconditionedSquared);
  if (lane == 0u) {
    if (advance(residualSquared)) {
      cgBeta(preconditionedSquared);
    }
    share(state.beta);
  }
  if (!sharedRunning()) {
    return;
  }
  let beta = coefficientShared;

  for (var i = lane; i < params.size; i += workgroupSize) {
    p[i] = r[i] * inverseDiagonal[i] + beta * p[i];
  }
}
