// The solver-status guard of every kernel that runs inside a GPU Krylov solve (blas.wgsl, reduce.wgsl,
// matvec_dense.wgsl, matvec_free.wgsl). `status` is word 0 of the solver state of krylov.wgsl
// (KrylovState.status), which the including module binds as its own `state` and passes in: 0 while
// the solve runs, the stop reason after. Once a solve has stopped, the iterations recorded ahead of
// the CPU's check return at once and cost no more than their launch, leaving x, r and the basis as
// they were when it stopped. Outside a solve the host binds a state whose word 0 is 0.

// KrylovState.status while the solve runs (kRunning of krylov.wgsl).
const kSolveRunning = 0u;

// Per thread, for kernels without workgroup barriers (blas.wgsl).
fn solveStopped(status: u32) -> bool {
  return status != kSolveRunning;
}

var<workgroup> statusShared: u32;

// For kernels with workgroup barriers: lane 0's reading of `status`, the same in every lane (through
// workgroupUniformLoad, so an early return on it is workgroup-uniform and later barriers stay legal).
// Call from uniform control flow.
fn workgroupSolveStopped(lane: u32, status: u32) -> bool {
  if (lane == 0u) {
    statusShared = status;
  }
  return solveStopped(workgroupUniformLoad(&statusShared));
}
