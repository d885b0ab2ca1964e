// The workgroup tree sum of the kernels that reduce inside a GPU Krylov solve (reduce.wgsl,
// krylov_step.wgsl, which include this module and take its `workgroupSize`). Each thread brings one
// value, the sum of its strided share of a vector, so only workgroupSize values go through the tree:
// on SwiftShader every barrier splits the shader and costs more than the arithmetic, so log2 W
// barriers is the whole cost.

// The including kernel's workgroup size, a power of two (the tree halves it); its host module sets
// it through the pipeline's `constants` (src/kernels/reduce.ts, krylov-step.ts).
override workgroupSize: u32 = 64u;

var<workgroup> tree: array<f32, workgroupSize>;

// The sum of `value` over the workgroup in lane 0, 0 in the others: only lane 0 reads tree[0],
// so a second sum right after (krylov_step.wgsl) races with nothing. Call from uniform control flow.
fn workgroupSum(lane: u32, value: f32) -> f32 {
  tree[lane] = value;
  workgroupBarrier();
  for (var width = workgroupSize / 2u; width > 0u; width /= 2u) {
    if (lane < width) {
      tree[lane] += tree[lane + width];
    }
    workgroupBarrier();
  }
  var total = 0.0;
  if (lane == 0u) {
    total = tree[0];
  }
  return total;
}
