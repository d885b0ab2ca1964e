// What every tree kernel binds (tree.wgsl, and the M2L that src/kernels/tree-m2l.ts generates per
// expansion order): the params of a dispatch and the tree's buffers, packed by src/kernels/tree.ts.
//
// Bindings (group 0 per entry point, a subset of):
//   0 uniform TreeParams (one slot per dispatch range: all nodes, the leaves, each level)
//   1 storage, read        electrons: array<vec4<f32>>, tree order: position - origin (the median electron), rho^2
//   2 storage, read        tables: array<u32>, the index tables, node ranges, lists and electron
//                          order at the offsets of TreeParams (f32 weights bitcast)
//   3 storage, read        nodes: array<vec4<f32>>, centre - origin and scale s per node
//   4 storage, read_write  charges: array<vec4<f32>>, (f_x, f_y, f_z, f . y) in tree order
//   5 storage, read_write  moments: array<vec4<f32>>, termCount per node, the four charges a vec4
//   6 storage, read_write  reduced: array<vec4<f32>>, reducedCount per node
//   7 storage, read_write  m2lLocals: array<vec4<f32>>, reducedCount per node: the M2L sums
//   8 storage, read_write  locals: array<vec4<f32>>, termCount per node
//   9 .. 12 storage, read  read-only views of reduced, charges, locals and moments for the passes that
//                          only read them (SwiftShader loads through a read-only binding much faster)
//   group 1 x and y (operator.ts vectorPairLayout), group 2 the solver state (guard).

// 0 vector 3D, 1 vector 2D, 2 azimuthal (GpuModel).
override model: u32 = 0u;

struct TreeParams {
  n: u32,
  size: u32,
  epsilon: f32,
  softeningSquared: f32,
  firstNode: u32,
  rangeNodes: u32,
  firstLeaf: u32,
  reducedCount: u32,
  order: u32,
  planarCount: u32,
  far: u32,
  planar: u32,
  originX: f32,
  originY: f32,
  pad0: u32,
  pad1: u32,
  exponents: u32,
  upwardOffset: u32,
  upwardPair: u32,
  sumOffset: u32,
  sumIndex: u32,
  completionOffset: u32,
  completionEntry: u32,
  completionWeight: u32,
  reductionOffset: u32,
  reductionEntry: u32,
  reductionWeight: u32,
  minusOne: u32,
  minusTwo: u32,
  firstWeight: u32,
  secondWeight: u32,
  factorial: u32,
  m2lOffset: u32,
  m2lIndex: u32,
  planarReduced: u32,
  planarOffset: u32,
  planarAlpha: u32,
  planarIndex: u32,
  nodeStart: u32,
  nodeEnd: u32,
  listOffset: u32,
  list: u32,
  nearOffset: u32,
  near: u32,
  electron: u32,
  columnsX: u32,
  columnsY: u32,
  columnsZ: u32,
  m2lNodes: u32,
}

@group(0) @binding(0) var<uniform> params: TreeParams;
@group(0) @binding(1) var<storage, read> electrons: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> tables: array<u32>;
@group(0) @binding(3) var<storage, read> nodes: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> charges: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> moments: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> reduced: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> m2lLocals: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> locals: array<vec4<f32>>;
// Read-only views of buffers other entry points write (SwiftShader loads these much faster).
@group(0) @binding(9) var<storage, read> harmonicMoments: array<vec4<f32>>;
@group(0) @binding(10) var<storage, read> sourceCharges: array<vec4<f32>>;
@group(0) @binding(11) var<storage, read> localCoefficients: array<vec4<f32>>;
@group(0) @binding(12) var<storage, read> leafMoments: array<vec4<f32>>;
@group(1) @binding(0) var<storage, read> x: array<f32>;
@group(1) @binding(1) var<storage, read_write> y: array<f32>;
@group(2) @binding(0) var<storage, read> state: array<u32>;

// The k-th workgroup of a dispatch as one index (dispatches past 65 535 workgroups are 2D).
fn workgroupIndex(group: vec3<u32>, groups: vec3<u32>) -> u32 {
  return group.x + group.y * groups.x;
}

// y_i, the electron at input index i (tree coordinates and rho^2 in `position`), from w = (T x)_i's
// block: D x + eps w, or y + eps w where `accumulate` (the far field added after the near field).
fn writeProduct(i: u32, position: vec4<f32>, w: vec3<f32>, accumulate: bool) {
  let b = blockSize();
  for (var c = 0u; c < b; c++) {
    var base: f32;
    if (accumulate) {
      base = y[b * i + c];
    } else if (model == 2u) {
      base = position.w * x[i];
    } else {
      base = x[b * i + c];
    }
    var term: f32;
    if (model == 2u) {
      let u = vec2<f32>(-(position.y + params.originY), position.x + params.originX);
      term = dot(u, w.xy);
    } else {
      term = w[c];
    }
    y[b * i + c] = base + params.epsilon * term;
  }
}

// Unknowns per electron: 3 (vector 3D), 2 (vector 2D), 1 (azimuthal).
fn blockSize() -> u32 {
  return select(select(1u, 2u, model == 1u), 3u, model == 0u);
}
