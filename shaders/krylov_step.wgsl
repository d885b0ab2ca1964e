// #include workgroupSum
// #include krylov
// One whole Krylov iteration after the matvec, in a single workgroup, so that an iteration is two
// launches (the matvec and this) rather than the split sequence of blas.wgsl, reduce.wgsl and
// krylov.wgsl kernels (src/engine/cg.ts, minres.ts; eq. 48/50: M v = p).
//   cg_step      Jacobi CG (src/solvers/cg.ts), after q = M p:
//                  p^T q -> alpha (cgAlpha);  x += alpha p, r -= alpha q, with r^T r and
//                  r^T D^-1 r summed on the way;  ||r_k|| -> stopping rule (advance);  beta
//                  (cgBeta);  p = D^-1 r + beta p
//   minres_step  preconditioned MINRES (src/solvers/minres.ts), after av = A v:
//                  y = av - (beta/oldb) r1, alfa = v^T y (minresAlfa);  y -= (alfa/beta) r2 with
//                  y^T D^-1 y summed on the way -> the Givens rotation (minresGivens);
//                  w = (v - oldeps w1 - delta w2) / gamma, x += phi w, the same recurrence for
//                  A w, r -= phi A w, with r^T r summed on the way -> minresResidual;
//                  v = D^-1 y / beta
// The products and sums are those of the split kernels, term for term; only the order of the
// summation differs.
//
// This module includes workgroup_sum.wgsl (and its `workgroupSize`) and krylov.wgsl: lane 0 runs
// krylov.wgsl's own scalar steps on its bindings, and the other lanes learn its verdict and
// coefficients through workgroup memory (workgroupUniformLoad, so that returning on the verdict is
// uniform and later barriers stay legal). Lane l touches entries l, l + W, ... of every vector in every
// phase, so no lane reads an entry another wrote and no storage barrier is needed.
//
// MINRES's three-vector rings (r1, r2, y; w; A w) rotate every iteration: the nine vectors sit in
// one buffer, `ring`, params.ringStride floats apart (slots 0-2 the Lanczos vectors, 3-5 w, 6-8
// A w), and iteration k (state.iteration) picks slots by k % 3 as src/engine/minres.ts binds them.
// One buffer keeps the step within 8 storage buffers, the limit every WebGPU device allows.
//
// Why one workgroup: the vector work is O(N), the matvec O(N^2), while each launch costs tens of us
// on SwiftShader and a few us on a GPU, where one workgroup streams a few thousand entries in
// about that time. The device profile (src/gpu/profile.ts) says when it is chosen.
//
// Bindings, group 0 (with krylov.wgsl's 0 params, 1 state and 3 trace; dots is not used):
//   4 storage, read_write   x: array<f32>
//   5 storage, read_write   r: array<f32>
//   6 storage, read         inverseDiagonal: array<f32>, D^-1
//   cg_step:
//   7 storage, read_write   p: array<f32>
//   8 storage, read         q: array<f32>, M p
//   minres_step:
//   9 storage, read_write   v: array<f32>
//  10 storage, read         av: array<f32>, A v
//  11 storage, read_write   ring: array<f32>, 9 vectors
// params.size entries of each vector are used.

@group(0) @binding(4) var<storage, read_write> x: array<f32>;
@group(0) @binding(5) var<storage, read_write> r: array<f32>;
@group(0) @binding(6) var<storage, read> inverseDiagonal: array<f32>;
@group(0) @binding(7) var<storage, read_write> p: array<f32>;
@group(0) @binding(8) var<storage, read> q: array<f32>;
@group(0) @binding(9) var<storage, read_write> v: array<f32>;
@group(0) @binding(10) var<storage, read> av: array<f32>;
@group(0) @binding(11) var<storage, read_write> ring: array<f32>;

var<workgroup> runningShared: u32;
var<workgroup> coefficientsShared: vec4<f32>;
var<workgroup> phaseShared: u32;

// Lane 0 only, after its scalar step: whether the solve goes on, and the coefficients it goes on with.
fn share(coefficients: vec4<f32>) {
  runningShared = select(0u, 1u, running());
  coefficientsShared = coefficients;
}

// What lane 0 shared, in every lane. Call from uniform control flow.
fn sharedRunning() -> bool {
  return workgroupUniformLoad(&runningShared) == 1u;
}

@compute @workgroup_size(workgroupSize)
fn cg_step(@builtin(local_invocation_index) lane: u32) {
  if (lane == 0u) {
    share(vec4<f32>());
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
    share(vec4<f32>(state.alpha, 0.0, 0.0, 0.0));
  }
  if (!sharedRunning()) {
    return;
  }
  let alpha = coefficientsShared.x;

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
    share(vec4<f32>(state.beta, 0.0, 0.0, 0.0));
  }
  if (!sharedRunning()) {
    return;
  }
  let beta = coefficientsShared.x;

  for (var i = lane; i < params.size; i += workgroupSize) {
    p[i] = r[i] * inverseDiagonal[i] + beta * p[i];
  }
}

// The first float of ring slot `slot` (0-8).
fn slotStart(slot: u32) -> u32 {
  return slot * params.ringStride;
}

@compute @workgroup_size(workgroupSize)
fn minres_step(@builtin(local_invocation_index) lane: u32) {
  if (lane == 0u) {
    share(vec4<f32>(state.betaRatio, 0.0, 0.0, 0.0));
    phaseShared = state.iteration % 3u;
  }
  if (!sharedRunning()) {
    return;
  }
  let k = phaseShared;
  // The slots of iteration k, as src/engine/minres.ts's phase(k) binds the rings.
  let r1 = slotStart(k);
  let r2 = slotStart((k + 1u) % 3u);
  let y = slotStart((k + 2u) % 3u);
  let w = slotStart(3u + (k + 1u) % 3u);
  let w1 = slotStart(3u + (k + 2u) % 3u);
  let w2 = slotStart(3u + k);
  let aw = slotStart(6u + (k + 1u) % 3u);
  let aw1 = slotStart(6u + (k + 2u) % 3u);
  let aw2 = slotStart(6u + k);

  let betaRatio = coefficientsShared.x;
  var alfa = 0.0;
  for (var i = lane; i < params.size; i += workgroupSize) {
    let value = av[i] - betaRatio * ring[r1 + i];
    ring[y + i] = value;
    alfa += v[i] * value;
  }
  alfa = workgroupSum(lane, alfa);
  if (lane == 0u) {
    minresAlfa(alfa);
    share(vec4<f32>(state.alfaRatio, 0.0, 0.0, 0.0));
  }
  if (!sharedRunning()) {
    return;
  }
  let alfaRatio = coefficientsShared.x;

  var betaSquared = 0.0;
  for (var i = lane; i < params.size; i += workgroupSize) {
    let value = ring[y + i] - alfaRatio * ring[r2 + i];
    ring[y + i] = value;
    betaSquared += (value * inverseDiagonal[i]) * value;
  }
  betaSquared = workgroupSum(lane, betaSquared);
  if (lane == 0u) {
    minresGivens(betaSquared);
    share(vec4<f32>(state.denominator, state.oldeps, state.delta, state.phi));
  }
  if (!sharedRunning()) {
    return;
  }
  let recurrence = coefficientsShared;

  var residualSquared = 0.0;
  for (var i = lane; i < params.size; i += workgroupSize) {
    // The CPU's order: the bracket first, then the product with 1/gamma.
    let direction = recurrence.x * (v[i] - recurrence.y * ring[w1 + i] - recurrence.z * ring[w2 + i]);
    ring[w + i] = direction;
    x[i] += recurrence.w * direction;
    let image = recurrence.x * (av[i] - recurrence.y * ring[aw1 + i] - recurrence.z * ring[aw2 + i]);
    ring[aw + i] = image;
    let residual = r[i] + (-recurrence.w) * image;
    r[i] = residual;
    residualSquared += residual * residual;
  }
  residualSquared = workgroupSum(lane, residualSquared);
  if (lane == 0u) {
    minresResidual(residualSquared);
    share(vec4<f32>(state.inverseBeta, 0.0, 0.0, 0.0));
  }
  if (!sharedRunning()) {
    return;
  }
  let inverseBeta = coefficientsShared.x;

  for (var i = lane; i < params.size; i += workgroupSize) {
    v[i] = inverseBeta * (ring[y + i] * inverseDiagonal[i]);
  }
}
