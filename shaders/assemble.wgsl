// #include interaction
// The interaction part T of the dense float32 mass matrix M = D + eps T (eq. 48/50 of Essen 2013,
// generalised to any configuration; the formulas are in interaction.wgsl, included):
//   vector model (dim 3 or 2): T[b i + a][b j + c] = T_ij[a][c],
//     T_ij = (I + n n^T) / (2 r_ij) the Oseen tensor, T_ii = 0 (no self-interaction), b = dim
//   azimuthal model: T[i][j] = u_i^T T_ij u_j (i != j), T[i][i] = 0
// T alone is stored: the product (matvec_dense.wgsl) adds D x and takes eps from its uniform, so
// one assembly serves every eps of a sweep. One entry point per model, so no thread
// branches on the model.
//
// Storage layout (src/kernels/mass-matrix.ts): row-major, row stride `4 * chunks` floats (the
// columns of ceil(N / 4) whole groups of 4 electrons, pad columns zero), rows split into row blocks
// of whole electrons, each its own buffer of at most maxStorageBufferBindingSize bytes. One dispatch
// fills the rows [rowStart, rowStart + rowCount) of M, stored from row `blockRow` of its block's
// buffer: a long assembly is split into such chunks of a fraction of a second
// (src/kernels/mass-matrix.ts), between which the host reports progress and can stop.
//
// Bindings, group 0:
//   0 uniform AssembleParams
//   1 storage, read        positions: array<vec4<f32>>, (x, y, z, rho^2) per electron
//   2 storage, read_write  block: array<vec4<f32>>, the block's rows * chunks entries
// Grid: global_invocation_id.x is the group g of 4 electrons whose columns a thread writes, .y the
// electron (vector models) or row (azimuthal) within the block.

override workgroupSize: u32 = 64u;

struct AssembleParams {
  rowStart: u32,
  rowCount: u32,
  n: u32,
  chunks: u32,
  softeningSquared: f32,
  blockRow: u32,
  pad0: u32,
  pad2: u32,
}

@group(0) @binding(0) var<uniform> params: AssembleParams;
@group(0) @binding(1) var<storage, read> positions: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> block: array<vec4<f32>>;

// The block of T for the electrons at pi and pj: T_ij, its columns T_ij e_a (symmetric, so column a
// is row a); zero on the diagonal block (i = j) and for a pad electron past N.
// Branch-free (selects, and a clamped index for the pad electron): on SwiftShader every branch that
// lanes may take differently costs both sides.
fn oseenBlock(i: u32, j: u32, pi: vec3<f32>) -> mat3x3<f32> {
  let d = pi - positions[min(j, params.n - 1u)].xyz;
  // T_ij is 0 with the scales s = 0: the pad electron's clamped index may be i itself (s
  // infinite), so select, never multiply, it away.
  let offDiagonal = i != j && j < params.n;
  let s = select(vec2<f32>(0.0), oseenScales(d, params.softeningSquared), offDiagonal);
  return mat3x3<f32>(
    applyOseen(d, s, vec3<f32>(1.0, 0.0, 0.0)),
    applyOseen(d, s, vec3<f32>(0.0, 1.0, 0.0)),
    applyOseen(d, s, vec3<f32>(0.0, 0.0, 1.0)),
  );
}

// The vector models: one thread writes the b x 4b entries of electron i's b rows in the columns of
// the 4 electrons j = 4 g .. 4 g + 3, b whole vec4s per row (b = dim): the pair scales (a sqrt and
// two divisions) once per pair and every entry a multiply-add. The stride (whole groups of 4
// electrons) and the blocks (whole electrons) put every store inside the block, so none is tested:
// tested stores slow the kernel markedly on SwiftShader. The 2D model has z = 0 for every
// electron (validateSystem), so its separations are in-plane and the upper-left 2 x 2 of the 3D
// block is its block. Grid: x over g, y over the block's electrons.

// Electron i's blocks with the 4 electrons of group g, for the thread (g, electron) of a block of
// b rows per electron (threads past the groups or the block's electrons have returned on
// outsideBlock before).
fn groupBlocks(id: vec3<u32>, b: u32) -> array<mat3x3<f32>, 4> {
  let i = params.rowStart / b + id.y;
  let pi = positions[i].xyz;
  let j = 4u * id.x;
  return array<mat3x3<f32>, 4>(
    oseenBlock(i, j, pi),
    oseenBlock(i, j + 1u, pi),
    oseenBlock(i, j + 2u, pi),
    oseenBlock(i, j + 3u, pi),
  );
}

fn outsideBlock(id: vec3<u32>, b: u32) -> bool {
  return 4u * id.x >= params.n || b * id.y >= params.rowCount;
}

@compute @workgroup_size(workgroupSize)
fn assemble_vector3d(@builtin(global_invocation_id) id: vec3<u32>) {
  if (outsideBlock(id, 3u)) {
    return;
  }
  let t = groupBlocks(id, 3u);
  let c = params.blockRow * params.chunks + 3u * (id.y * params.chunks + id.x);
  let next = params.chunks;
  block[c] = vec4<f32>(t[0][0], t[1][0].x);
  block[c + 1u] = vec4<f32>(t[1][0].yz, t[2][0].xy);
  block[c + 2u] = vec4<f32>(t[2][0].z, t[3][0]);
  block[c + next] = vec4<f32>(t[0][1], t[1][1].x);
  block[c + next + 1u] = vec4<f32>(t[1][1].yz, t[2][1].xy);
  block[c + next + 2u] = vec4<f32>(t[2][1].z, t[3][1]);
  block[c + 2u * next] = vec4<f32>(t[0][2], t[1][2].x);
  block[c + 2u * next + 1u] = vec4<f32>(t[1][2].yz, t[2][2].xy);
  block[c + 2u * next + 2u] = vec4<f32>(t[2][2].z, t[3][2]);
}

@compute @workgroup_size(workgroupSize)
fn assemble_vector2d(@builtin(global_invocation_id) id: vec3<u32>) {
  if (outsideBlock(id, 2u)) {
    return;
  }
  let t = groupBlocks(id, 2u);
  let c = params.blockRow * params.chunks + 2u * (id.y * params.chunks + id.x);
  let next = params.chunks;
  block[c] = vec4<f32>(t[0][0].xy, t[1][0].xy);
  block[c + 1u] = vec4<f32>(t[2][0].xy, t[3][0].xy);
  block[c + next] = vec4<f32>(t[0][1].xy, t[1][1].xy);
  block[c + next + 1u] = vec4<f32>(t[2][1].xy, t[3][1].xy);
}

// T[i][j] of the azimuthal model: 0 on the diagonal and for a pad electron past N.
fn azimuthalEntry(i: u32, j: u32, pi: vec4<f32>) -> f32 {
  let pj = positions[min(j, params.n - 1u)].xyz;
  let interaction = azimuthalInteraction(pi.xyz, pj, params.softeningSquared);
  return select(0.0, interaction, i != j && j < params.n);
}

// One thread per row and group g of 4 electrons: one vec4.
@compute @workgroup_size(workgroupSize)
fn assemble_azimuthal(@builtin(global_invocation_id) id: vec3<u32>) {
  if (outsideBlock(id, 1u)) {
    return;
  }
  let i = params.rowStart + id.y;
  let pi = positions[i];
  let j = 4u * id.x;
  block[(params.blockRow + id.y) * params.chunks + id.x] = vec4<f32>(
    azimuthalEntry(i, j, pi),
    azimuthalEntry(i, j + 1u, pi),
    azimuthalEntry(i, j + 2u, pi),
    azimuthalEntry(i, j + 3u, pi),
  );
}
