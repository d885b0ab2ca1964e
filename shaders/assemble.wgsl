// Dense float32 mass matrix M = D + eps T (eq. 48/50 of Essen 2013, generalised to any
// configuration; the formulas are in interaction.wgsl, which shaders.ts prepends):
//   vector model (dim 3 or 2): M[b i + a][b j + c] = delta_ij delta_ac + eps T_ij[a][c],
//     T_ij = (I + n n^T) / (2 r_ij) the Oseen tensor, T_ii = 0 (no self-interaction), b = dim
//   azimuthal model: M[i][j] = delta_ij rho_i^2 + eps u_i^T T_ij u_j (i != j)
// One entry point per model, so no thread branches on the model.
//
// Storage layout (src/kernels/mass-matrix.ts): row-major, row stride `4 * chunks` floats (the size
// rounded up to a multiple of 4, pad columns zero so vec4 loads need no tail test), rows split into
// row blocks, each its own buffer of at most maxStorageBufferBindingSize bytes. One dispatch fills
// the rows [rowStart, rowStart + rowCount) of one block.
//
// Bindings, group 0:
//   0 uniform AssembleParams
//   1 storage, read        positions: array<vec4<f32>>, (x, y, z, rho^2) per electron
//   2 storage, read_write  block: array<vec4<f32>>, rowCount * chunks entries
// Grid: global_invocation_id.x is the vec4 column chunk, .y the row within the block.

override workgroupSize: u32 = 64u;

struct AssembleParams {
  rowStart: u32,
  rowCount: u32,
  size: u32,
  chunks: u32,
  epsilon: f32,
  softeningSquared: f32,
  pad0: u32,
  pad1: u32,
}

@group(0) @binding(0) var<uniform> params: AssembleParams;
@group(0) @binding(1) var<storage, read> positions: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> block: array<vec4<f32>>;

// The unit vector e_a (a < 3): component a of d is dot(d, axis(a)), with no dynamic vector index
// (which SwiftShader lowers to a spill through memory).
fn axis(a: u32) -> vec3<f32> {
  return vec3<f32>(select(0.0, 1.0, a == 0u), select(0.0, 1.0, a == 1u), select(0.0, 1.0, a == 2u));
}

// Four consecutive columns of row `row` of the vector model with b velocity components per electron.
// The four columns touch at most two electrons j, so the pair scales (a sqrt and a division) are
// formed once per electron rather than once per entry, and the divisions by b once per thread.
fn vectorChunk(row: u32, firstColumn: u32, b: u32) -> vec4<f32> {
  let i = row / b;
  let ea = axis(row % b);
  let pi = positions[i].xyz;
  var j = firstColumn / b;
  var c = firstColumn % b;
  var d = vec3<f32>(0.0);
  var s = vec2<f32>(0.0);
  var value = vec4<f32>(0.0);
  for (var k = 0u; k < 4u; k++) {
    let col = firstColumn + k;
    if (col >= params.size) {
      break;
    }
    if (k == 0u || c == 0u) {
      d = pi - positions[j].xyz;
      s = oseenScales(d, params.softeningSquared);
    }
    let ec = axis(c);
    let diagonal = dot(ea, ec);
    if (i == j) {
      value[k] = diagonal;
    } else {
      value[k] = params.epsilon * (diagonal * s.x + s.y * dot(d, ea) * dot(d, ec));
    }
    c++;
    if (c == b) {
      c = 0u;
      j++;
    }
  }
  return value;
}

fn azimuthalEntry(i: u32, j: u32) -> f32 {
  if (i == j) {
    return positions[i].w;
  }
  return params.epsilon * azimuthalInteraction(positions[i].xyz, positions[j].xyz, params.softeningSquared);
}

// Each entry point: one thread writes 4 consecutive columns of one row, zero past the size.
// The 2D model has z = 0 for every electron (validateSystem), so its separations are in-plane.

@compute @workgroup_size(workgroupSize)
fn assemble_vector3d(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x >= params.chunks || id.y >= params.rowCount) {
    return;
  }
  block[id.y * params.chunks + id.x] = vectorChunk(params.rowStart + id.y, 4u * id.x, 3u);
}

@compute @workgroup_size(workgroupSize)
fn assemble_vector2d(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x >= params.chunks || id.y >= params.rowCount) {
    return;
  }
  block[id.y * params.chunks + id.x] = vectorChunk(params.rowStart + id.y, 4u * id.x, 2u);
}

@compute @workgroup_size(workgroupSize)
fn assemble_azimuthal(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x >= params.chunks || id.y >= params.rowCount) {
    return;
  }
  let row = params.rowStart + id.y;
  var value = vec4<f32>(0.0);
  for (var k = 0u; k < 4u; k++) {
    let col = 4u * id.x + k;
    if (col < params.size) {
      value[k] = azimuthalEntry(row, col);
    }
  }
  block[id.y * params.chunks + id.x] = value;
}
