// The bench's bandwidth references, vec4 by vec4, in grid-stride loops so that any length fits in
// one dispatch:
//   copy_vec4  destination = source, min(arrayLength(source), arrayLength(destination)) vec4s: the
//              reference for the dense matvec, which streams the matrix once
//   fill_vec4  destination[k] = (k, k, k, k), every vec4: the reference for the assembly, which
//              only writes the matrix (eq. 48/50 entries computed from the positions)
// References, not bounds: a kernel of another shape can beat them (on SwiftShader the dense matvec
// at small N does).
//
// Bindings, group 0:
//   0 storage, read        source: array<vec4<f32>>        copy_vec4
//   1 storage, read_write  destination: array<vec4<f32>>   both

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

@compute @workgroup_size(workgroupSize)
fn fill_vec4(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let count = arrayLength(&destination);
  let stride = groups.x * workgroupSize;
  for (var k = id.x; k < count; k += stride) {
    destination[k] = vec4<f32>(f32(k));
  }
}
