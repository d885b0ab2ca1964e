// #include solverGuard
// BLAS-1 kernels of the GPU Krylov solvers (src/engine) whose scalar coefficients are read from the
// solver-state buffer that krylov.wgsl writes (alpha = r^T z / p^T q, beta, the MINRES rotation
// scalars, Lanczos' alpha_j and 1/beta_j), so the CPU never sees them between iterations. The
// uniform holds only where a coefficient lives (`slots`) and a fixed factor (`scales`), both set
// once per call site:
//   k_m = scales[m] * state[slots[m]]     or scales[m] when slots[m] = kNoSlot.
//
//   scale           out = k0 a                                copy (k0 = 1), v = s y
//   weighted_scale  out = k0 (a .* b)                         z = D^-1 r, t = D^-1/2 q
//   axpy            out = out + k0 a                          x += alpha p, r -= alpha q
//   xpay            out = a + k0 out
//   weighted_xpay   out = a .* b + k0 out                     CG: p = D^-1 r + beta p
//   sum             out = a + k0 b                            r = b - M x, MINRES y = A v - (beta/oldb) r1
//   three_term      out = k0 (a - k1 b - k2 c), acc += k3 out MINRES (Paige-Saunders 1975):
//                                                             w_k = (v_k - eps_k w_{k-2} - delta_k w_{k-1}) / gamma_k,
//                                                             x_k = x_{k-1} + phi_k w_k (and A w_k, r_k alike)
//   columns_sub     out = out - V h,  h = b[slots[0] ..]      Lanczos reorthogonalisation w -= V (V^T w),
//                                                             V the first `columns` basis columns in a,
//                                                             `columnStride` floats apart
// where .* is the entrywise product. One thread per entry in a grid-stride loop over params.size
// entries; vectors may be longer than that.
//
// Guard: solveStopped of solver_guard.wgsl on word 0 of `state`, per thread (no barriers here).
//
// Bindings, group 0 (each entry point uses the subset its formula names):
//   0 uniform               params: BlasParams
//   1 storage, read         state: array<u32>, word 0 the status, coefficients bitcast from f32
//   2 storage, read         a: array<f32>
//   3 storage, read         b: array<f32>
//   4 storage, read         c: array<f32>
//   5 storage, read_write   out: array<f32>
//   6 storage, read_write   acc: array<f32>

// Set from kBlasWorkgroupSize in src/kernels/blas.ts.
override workgroupSize: u32 = 64u;

// slots[m] = kNoSlot: the coefficient is scales[m] alone.
const kNoSlot = 0xffffffffu;

struct BlasParams {
  size: u32,
  columns: u32,
  columnStride: u32,
  slots: vec4<u32>,
  scales: vec4<f32>,
}

@group(0) @binding(0) var<uniform> params: BlasParams;
@group(0) @binding(1) var<storage, read> state: array<u32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read> c: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;
@group(0) @binding(6) var<storage, read_write> acc: array<f32>;


// k_m from slots[m] and scales[m]. Callers pass the components (.x, .y, ...) by name: indexing a
// uniform vector with a variable would lean on Vulkan's shaderUniformBufferArrayDynamicIndexing,
// which Dawn reports missing on SwiftShader.
fn coefficient(slot: u32, scale: f32) -> f32 {
  if (slot == kNoSlot) {
    return scale;
  }
  return scale * bitcast<f32>(state[slot]);
}

@compute @workgroup_size(workgroupSize)
fn scale(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  if (solveStopped(state[0])) {
    return;
  }
  let k0 = coefficient(params.slots.x, params.scales.x);
  for (var i = id.x; i < params.size; i += groups.x * workgroupSize) {
    out[i] = k0 * a[i];
  }
}

@compute @workgroup_size(workgroupSize)
fn weighted_scale(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  if (solveStopped(state[0])) {
    return;
  }
  let k0 = coefficient(params.slots.x, params.scales.x);
  for (var i = id.x; i < params.size; i += groups.x * workgroupSize) {
    out[i] = k0 * (a[i] * b[i]);
  }
}

@compute @workgroup_size(workgroupSize)
fn axpy(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  if (solveStopped(state[0])) {
    return;
  }
  let k0 = coefficient(params.slots.x, params.scales.x);
  for (var i = id.x; i < params.size; i += groups.x * workgroupSize) {
    out[i] += k0 * a[i];
  }
}

@compute @workgroup_size(workgroupSize)
fn xpay(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  if (solveStopped(state[0])) {
    return;
  }
  let k0 = coefficient(params.slots.x, params.scales.x);
  for (var i = id.x; i < params.size; i += groups.x * workgroupSize) {
    out[i] = a[i] + k0 * out[i];
  }
}

@compute @workgroup_size(workgroupSize)
fn weighted_xpay(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  if (solveStopped(state[0])) {
    return;
  }
  let k0 = coefficient(params.slots.x, params.scales.x);
  for (var i = id.x; i < params.size; i += groups.x * workgroupSize) {
    out[i] = a[i] * b[i] + k0 * out[i];
  }
}

@compute @workgroup_size(workgroupSize)
fn sum(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  if (solveStopped(state[0])) {
    return;
  }
  let k0 = coefficient(params.slots.x, params.scales.x);
  for (var i = id.x; i < params.size; i += groups.x * workgroupSize) {
    out[i] = a[i] + k0 * b[i];
  }
}

@compute @workgroup_size(workgroupSize)
fn three_term(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  if (solveStopped(state[0])) {
    return;
  }
  let k0 = coefficient(params.slots.x, params.scales.x);
  let k1 = coefficient(params.slots.y, params.scales.y);
  let k2 = coefficient(params.slots.z, params.scales.z);
  let k3 = coefficient(params.slots.w, params.scales.w);
  for (var i = id.x; i < params.size; i += groups.x * workgroupSize) {
    // The CPU's order: the bracket first, then the product with 1/gamma.
    let value = k0 * (a[i] - k1 * b[i] - k2 * c[i]);
    out[i] = value;
    acc[i] += k3 * value;
  }
}

@compute @workgroup_size(workgroupSize)
fn columns_sub(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  if (solveStopped(state[0])) {
    return;
  }
  let h = params.slots.x;
  for (var i = id.x; i < params.size; i += groups.x * workgroupSize) {
    var projection = 0.0;
    for (var column = 0u; column < params.columns; column++) {
      projection += a[column * params.columnStride + i] * b[h + column];
    }
    out[i] -= projection;
  }
}
