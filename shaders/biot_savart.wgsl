// Biot-Savart field of slowly moving point charges at many field points (sec. III, the London moment;
// float64 reference: magneticField in src/physics/biot-savart.ts, reducedField in src/physics/london.ts):
//   b(x_p) = sum_i q_i v_i x (x_p - r_i) / |x_p - r_i|^3
// in whatever units the host chose (it applies mu0/4pi and the scales). One thread per field point sums
// over all sources in tiles of `workgroupSize` sources staged once through workgroup memory (the N-body
// tiling of matvec_free.wgsl). A source exactly at the field point has an infinite field there: it is
// left out of the sum and counted in the result's w, and the host reports it.
//
// Bindings (group 0):
//   0 uniform BiotSavartParams
//   1 storage, read        sources: array<Source>, position.w the charge q_i
//   2 storage, read        points: array<vec4<f32>>, (x, y, z, unused)
//   3 storage, read_write  field: array<vec4<f32>>, (bx, by, bz, sources left out)

override workgroupSize: u32 = 64u;

struct BiotSavartParams {
  sourceCount: u32,
  pointCount: u32,
  padding0: u32,
  padding1: u32,
}

struct Source {
  position: vec4<f32>,
  velocity: vec4<f32>,
}

@group(0) @binding(0) var<uniform> params: BiotSavartParams;
@group(0) @binding(1) var<storage, read> sources: array<Source>;
@group(0) @binding(2) var<storage, read> points: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> field: array<vec4<f32>>;

var<workgroup> tile: array<Source, workgroupSize>;

// Threads past pointCount still load tiles and meet the barriers (which need uniform control flow);
// they compute with a clamped point and write nothing.
@compute @workgroup_size(workgroupSize)
fn biot_savart(
  @builtin(global_invocation_id) id: vec3<u32>,
  @builtin(local_invocation_index) lane: u32,
) {
  let p = id.x;
  let x = points[min(p, params.pointCount - 1u)].xyz;
  var sum = vec3<f32>(0.0);
  var leftOut = 0u;
  for (var start = 0u; start < params.sourceCount; start += workgroupSize) {
    let j = start + lane;
    if (j < params.sourceCount) {
      tile[lane] = sources[j];
    }
    workgroupBarrier();
    // Each tile is summed on its own and then added: rounding grows like workgroupSize + N / workgroupSize
    // terms rather than N.
    var tileSum = vec3<f32>(0.0);
    let count = min(workgroupSize, params.sourceCount - start);
    for (var k = 0u; k < count; k++) {
      let source = tile[k];
      let d = x - source.position.xyz;
      let r2 = dot(d, d);
      if (r2 > 0.0) {
        let inverse = inverseSqrt(r2);
        tileSum += cross(source.velocity.xyz, d) * (source.position.w * inverse * inverse * inverse);
      } else {
        leftOut += 1u;
      }
    }
    sum += tileSum;
    workgroupBarrier();
  }
  if (p < params.pointCount) {
    field[p] = vec4<f32>(sum, f32(leftOut));
  }
}
