enable subgroups;
// #include matvecDense
// y = M x for the dense mass matrix, the subgroup variant of matvec_dense.wgsl (same layout,
// params, bindings and guard, all included from it; src/kernels/matvec-dense.ts uses it only
// where the device has the subgroups feature):
//   matvec_dense_subgroup  one workgroup per row with coalesced vec4 loads, as matvec_dense_workgroup,
//                          but the workgroup sum is two subgroupAdds around one exchange through
//                          workgroup memory: 2 barriers per row instead of log2(workgroupSize) + 1.
// No assumption is made on how lanes form subgroups: each subgroup's sum goes to the slot of its
// first lane (its own local index), every other slot holds 0, and each subgroup then adds up all
// the slots, lane s taking s, s + subgroupSize, ... The host makes workgroupSize a multiple of the
// adapter's largest subgroup size, so that subgroups are whole and cover every slot.

@compute @workgroup_size(workgroupSize)
fn matvec_dense_subgroup(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lane: u32,
  @builtin(subgroup_invocation_id) subgroupLane: u32,
  @builtin(subgroup_size) subgroupSize: u32,
) {
  if (workgroupSolveStopped(lane, state[0])) {
    return;
  }
  for (var local = group.x; local < params.rowCount; local += groups.x) {
    let subgroupSum = subgroupAdd(laneShare(local, lane));
    partial[lane] = select(0.0, subgroupSum, subgroupLane == 0u);
    workgroupBarrier();
    var slots = 0.0;
    for (var k = subgroupLane; k < workgroupSize; k += subgroupSize) {
      slots += partial[k];
    }
    let total = subgroupAdd(slots);
    if (lane == 0u) {
      y[params.rowStart + local] = massRow(params.rowStart + local, total);
    }
    // Every lane has read partial before the next row writes it.
    workgroupBarrier();
  }
}
