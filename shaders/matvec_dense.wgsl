// y = M x for the dense float32 mass matrix stored by assemble.wgsl: row-major, row stride
// 4 * chunks floats (pad columns zero), rows split over row-block buffers. One dispatch per row
// block computes y[rowStart .. rowStart + rowCount). Two variants, chosen per adapter by
// src/kernels/matvec-dense.ts:
//   matvec_dense_rows       one thread per row, vec4 loads along the row. On a CPU (SwiftShader)
//                           each thread streams its own row through the cache: the fastest there.
//   matvec_dense_workgroup  one workgroup per row, threads stride along the row so that neighbours
//                           load neighbouring vec4s (coalesced), then a workgroup tree reduction:
//                           the better shape on real GPUs.
// Both sum in a vec4 accumulator (four interleaved partial sums), a little more accurate than one.
//
// Bindings:
//   group 0 (per row block, owned by the matrix)
//     0 uniform DenseParams
//     1 storage, read        block: array<vec4<f32>>, rowCount * chunks entries
//   group 1 (per vector pair, shared with matvec_free.wgsl)
//     0 storage, read        x: array<f32>, at least `size` entries
//     1 storage, read_write  y: array<f32>, at least `size` entries (not the buffer bound as x)

override workgroupSize: u32 = 64u;

struct DenseParams {
  rowStart: u32,
  rowCount: u32,
  size: u32,
  chunks: u32,
}

@group(0) @binding(0) var<uniform> params: DenseParams;
@group(0) @binding(1) var<storage, read> block: array<vec4<f32>>;
@group(1) @binding(0) var<storage, read> x: array<f32>;
@group(1) @binding(1) var<storage, read_write> y: array<f32>;

var<workgroup> partial: array<f32, workgroupSize>;

// x[4k .. 4k + 3] for a chunk that lies wholly inside x.
fn xChunk(k: u32) -> vec4<f32> {
  let c = 4u * k;
  return vec4<f32>(x[c], x[c + 1u], x[c + 2u], x[c + 3u]);
}

// The last, partial chunk: entries past the size are 0 (the matrix's pad columns are 0 too, but
// x past its size may hold anything, even NaN, and 0 * NaN is NaN).
fn xTail(k: u32) -> vec4<f32> {
  let c = 4u * k;
  let n = params.size;
  return vec4<f32>(
    x[c],
    select(0.0, x[c + 1u], c + 1u < n),
    select(0.0, x[c + 2u], c + 2u < n),
    select(0.0, x[c + 3u], c + 3u < n),
  );
}

@compute @workgroup_size(workgroupSize)
fn matvec_dense_rows(@builtin(global_invocation_id) id: vec3<u32>) {
  let local = id.x;
  if (local >= params.rowCount) {
    return;
  }
  let base = local * params.chunks;
  let full = params.size / 4u;
  var sum = vec4<f32>(0.0);
  for (var k = 0u; k < full; k++) {
    sum += block[base + k] * xChunk(k);
  }
  if (full < params.chunks) {
    sum += block[base + full] * xTail(full);
  }
  y[params.rowStart + local] = (sum.x + sum.y) + (sum.z + sum.w);
}

// workgroupSize must be a power of two here (the host checks). Rows beyond the dispatch's
// workgroup count are taken in a grid-stride loop, which stays workgroup-uniform so the barriers
// are legal.
@compute @workgroup_size(workgroupSize)
fn matvec_dense_workgroup(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lane: u32,
) {
  let full = params.size / 4u;
  for (var local = group.x; local < params.rowCount; local += groups.x) {
    let base = local * params.chunks;
    var sum = vec4<f32>(0.0);
    for (var k = lane; k < full; k += workgroupSize) {
      sum += block[base + k] * xChunk(k);
    }
    if (lane == 0u && full < params.chunks) {
      sum += block[base + full] * xTail(full);
    }
    partial[lane] = (sum.x + sum.y) + (sum.z + sum.w);
    workgroupBarrier();
    for (var width = workgroupSize / 2u; width > 0u; width /= 2u) {
      if (lane < width) {
        partial[lane] += partial[lane + width];
      }
      workgroupBarrier();
    }
    if (lane == 0u) {
      y[params.rowStart + local] = partial[0];
    }
    // Lane 0 reads partial[0] before it writes it again for the next row; the other lanes write
    // only their own slots, which lane 0 no longer reads: no barrier needed here.
  }
}
