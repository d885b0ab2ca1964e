// The solver-status guard of the kernels with workgroup barriers that run inside a GPU Krylov solve
// (reduce.wgsl, matvec_dense.wgsl, matvec_free.wgsl; shaders.ts prepends this file); blas.wgsl,
// without barriers, reads the status per thread, and krylov_step.wgsl, on krylov.wgsl's state struct,
// has its own. Word 0 of the including
// module's `state` binding is the status of krylov.wgsl: 0 while the solve runs, the stop reason
// after. Once a solve has stopped, the iterations recorded ahead of the CPU's check return at once
// and cost no more than their launch. Outside a solve the host binds a state whose word 0 is 0.

var<workgroup> statusShared: u32;

// True once the solve has stopped, the same in every lane (read through workgroupUniformLoad, so an
// early return on it is workgroup-uniform and later barriers stay legal). Call from uniform control
// flow.
fn stopped(lane: u32) -> bool {
  if (lane == 0u) {
    statusShared = state[0];
  }
  return workgroupUniformLoad(&statusShared) != 0u;
}
