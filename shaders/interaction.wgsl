// The pair interaction of the Darwin-Breit mass matrix in float32, without eps: the one GPU copy of
// the formulas in src/physics/models.ts. assemble.wgsl and matvec_free.wgsl include it, so
// the stored matrix and the matrix-free product cannot drift apart.
//
// Vector model: T_ij = (I + n n^T) / (2 r_ij), the Oseen tensor, i.e. the velocity part of the
// Darwin-Breit term eq. (1). Azimuthal model: u_i^T T_ij u_j with u_i = rho_i e_i = (-y_i, x_i, 0),
// the V_ij of eq. (48)/(50) off the ring. Softening a: r_ij -> sqrt(r_ij^2 + a^2) in the 1/(2 r);
// n stays the direction of the true separation.

// For d = r_i - r_j: (1 / (2 r_s), 1 / (2 r_s r^2)) with r_s = sqrt(r^2 + a^2), so that
// T_ij = I * s.x + d d^T * s.y. Coincident electrons (allowed only with softening) have no
// direction: s.y = 0 there and T_ij = I / (2a).
fn oseenScales(d: vec3<f32>, softeningSquared: f32) -> vec2<f32> {
  let r2 = dot(d, d);
  let scale = 0.5 / sqrt(r2 + softeningSquared);
  return vec2<f32>(scale, select(0.0, scale / r2, r2 > 0.0));
}

// T_ij v = v s.x + d (d . v) s.y: the Oseen tensor applied to v, with s = oseenScales(d, a^2). The
// one application of T: assemble.wgsl takes its columns (v a unit vector, which the compiler folds),
// matvec_free.wgsl applies it to x_j, and azimuthalInteraction to u_j.
fn applyOseen(d: vec3<f32>, s: vec2<f32>, v: vec3<f32>) -> vec3<f32> {
  return v * s.x + d * (dot(d, v) * s.y);
}

// u_i^T T_ij u_j for electrons at pi and pj (i != j): [e_i.e_j + (e_i.n)(e_j.n)] rho_i rho_j / (2 r_s),
// written with u = (-y, x, 0) so that no square root of rho^2 is needed.
fn azimuthalInteraction(pi: vec3<f32>, pj: vec3<f32>, softeningSquared: f32) -> f32 {
  let d = pi - pj;
  let ui = vec3<f32>(-pi.y, pi.x, 0.0);
  let uj = vec3<f32>(-pj.y, pj.x, 0.0);
  return dot(ui, applyOseen(d, oseenScales(d, softeningSquared), uj));
}

// Four targets at once, their coordinates (and their sums) held component by component: a CPU
// adapter such as SwiftShader runs each component as its own SIMD register, so one thread sums four
// rows for the loads of one source. The formula is applyOseen's for each target.
struct TargetBlock {
  x: vec4<f32>,
  y: vec4<f32>,
  z: vec4<f32>,
}

// sum += T_ij v for source j at pj and each target i of `block`; a target that is j itself
// (`isSource`) adds 0, as the i != j of the pair sums.
fn addOseenToBlock(
  sum: ptr<function, TargetBlock>,
  block: TargetBlock,
  isSource: vec4<bool>,
  pj: vec3<f32>,
  v: vec3<f32>,
  softeningSquared: f32,
) {
  let dx = block.x - pj.x;
  let dy = block.y - pj.y;
  let dz = block.z - pj.z;
  let r2 = dx * dx + dy * dy + dz * dz;
  let scale = select(0.5 / sqrt(r2 + softeningSquared), vec4<f32>(0.0), isSource);
  let scaleD = select(vec4<f32>(0.0), scale / r2, r2 > vec4<f32>(0.0));
  let projection = (dx * v.x + dy * v.y + dz * v.z) * scaleD;
  (*sum).x += v.x * scale + dx * projection;
  (*sum).y += v.y * scale + dy * projection;
  (*sum).z += v.z * scale + dz * projection;
}

// Eight targets, rows first .. first + 7, as two TargetBlocks: what one thread of matvec_free_blocked,
// the matrix-free product's CPU variant, sums.
const kBlockRows = 8u;

struct EightTargets {
  first: u32,
  low: TargetBlock,
  high: TargetBlock,
}

struct EightSums {
  low: TargetBlock,
  high: TargetBlock,
}

// sums += T_ij v for source j at pj and each of the eight targets (0 for the target that is j).
fn addOseenToEight(
  sums: ptr<function, EightSums>,
  targets: EightTargets,
  j: u32,
  pj: vec3<f32>,
  v: vec3<f32>,
  softeningSquared: f32,
) {
  let rows = vec4<u32>(targets.first) + vec4<u32>(0u, 1u, 2u, 3u);
  let source = vec4<u32>(j);
  addOseenToBlock(&(*sums).low, targets.low, rows == source, pj, v, softeningSquared);
  addOseenToBlock(&(*sums).high, targets.high, rows + vec4<u32>(4u) == source, pj, v, softeningSquared);
}

// The sum of row first + t, t < kBlockRows.
fn sumOfRow(sums: EightSums, t: u32) -> vec3<f32> {
  var block = sums.low;
  if (t >= 4u) {
    block = sums.high;
  }
  let c = t % 4u;
  return vec3<f32>(block.x[c], block.y[c], block.z[c]);
}
