// destination = source, vec4 by vec4: the bandwidth reference the bench sets the matvec against
// (a dense matvec streams the matrix once, so copy bandwidth bounds it from above).
// Copies min(arrayLength(source), arrayLength(destination)) vec4s in a grid-stride loop, so any
// length fits in one dispatch.
//
// Bindings, group 0:
//   0 storage, read        source: array<vec4<f32>>
//   1 storage, read_write  destination: array<vec4<f32>>

override workgroupSize: u32 = 64u;

@group(0) @binding(0) var<storage, read> source: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> destination: array<vec4<f32>>;

@compute @workgroup_size(workgroupSize)
fn copy_vec4(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let count = min(arrayLength(&source), arrayLength(&destination));
  let stride = groups.x * workgroupSize;
  for (var k = id.x; k < count; k += stride) {
    destination[k] = source[k];
  }
}
