// Drawing the electrons: one draw of screen-aligned discs (three vertices per drawn electron, one
// triangle about its disc), and optionally one draw of arrows (six line-list vertices per drawn
// electron: the shaft and the two strokes of its head). Each electron's position, velocity and
// momentum are read from one storage buffer at the index its vertex index gives, not by instance (a
// CPU adapter sets up every instance anew), so a million electrons cost one draw call and no
// per-vertex attributes; one electron of every discStride (arrowStride) consecutive ones is drawn,
// all where the stride is 1 (drawnElectron says which). Colour is a scalar of the electron looked up
// in a 256-entry colour map that the legend draws from the same table.
//
// The quantities (eq. 47/48): v the velocity, p = M v the generalized momentum, and p - v the Darwin
// contribution eps T v (in units of m, R and omega; the azimuthal model's phidot and J are turned into
// vectors along e_phi on the host); and the speed |v_i| a response run induced (M v = -(e/m) A),
// a scalar in the position's w.
//
// Bindings, group 0:
//   0 uniform              params: RenderParams
//   1 storage, read        particles: array<Particle>
//   2 storage, read        colourMap: array<vec4<f32>>, 256 RGBA entries, linear in the scalar

struct RenderParams {
  viewProjection: mat4x4<f32>,
  viewportPixels: vec2<f32>,
  pointPixels: f32,
  arrowScale: f32,
  colourMin: f32,
  colourMax: f32,
  colourBy: u32,
  arrowOf: u32,
  arrowStride: u32,
  shaded: u32,
  count: u32,
  discStride: u32,
}

struct Particle {
  position: vec4<f32>,
  velocity: vec4<f32>,
  momentum: vec4<f32>,
}

@group(0) @binding(0) var<uniform> params: RenderParams;
@group(0) @binding(1) var<storage, read> particles: array<Particle>;
@group(0) @binding(2) var<storage, read> colourMap: array<vec4<f32>>;

// colourBy / arrowOf codes, as kQuantityCodes in src/kernels/render.ts.
const kNone = 0u;
const kVelocity = 1u;
const kMomentum = 2u;
const kDarwin = 3u;
// A scalar, not a vector: the speed a response run induced, carried in the position's w.
const kCurrent = 4u;

// Electrons with nothing computed yet are drawn in one neutral colour.
const kPlainColour = vec3<f32>(0.72, 0.78, 0.88);
const kArrowColour = vec4<f32>(0.95, 0.95, 0.98, 1.0);

fn quantity(particle: Particle, which: u32) -> vec3<f32> {
  switch which {
    case kVelocity: {
      return particle.velocity.xyz;
    }
    case kMomentum: {
      return particle.momentum.xyz;
    }
    case kDarwin: {
      return particle.momentum.xyz - particle.velocity.xyz;
    }
    default: {
      return vec3<f32>(0.0);
    }
  }
}

fn colourOf(particle: Particle) -> vec3<f32> {
  if (params.colourBy == kNone) {
    return kPlainColour;
  }
  let value = select(length(quantity(particle, params.colourBy)), particle.position.w,
                     params.colourBy == kCurrent);
  // The host keeps colourMax > colourMin (a constant field gets a range around its value).
  let t = clamp((value - params.colourMin) / (params.colourMax - params.colourMin), 0.0, 1.0);
  let last = arrayLength(&colourMap) - 1u;
  return colourMap[u32(round(t * f32(last)))].rgb;
}

// lowbias32 (C. Wellons, hash-prospector): an invertible mix of 32 bits, two multiplies, whose every
// output bit depends on every input bit, so that neighbouring blocks draw unrelated members.
fn blockHash(block: u32) -> u32 {
  var x = block;
  x ^= x >> 16u;
  x *= 0x7feb352du;
  x ^= x >> 15u;
  x *= 0x846ca68bu;
  x ^= x >> 16u;
  return x;
}

// The electron drawn for `block` when one in `stride` of `count` is: a member of the block's stride
// consecutive electrons (the last block holds what is left of count) that the block's hash picks.
// Not every stride-th electron: the geometries number their electrons along a golden-angle spiral or
// a lattice's rows (src/physics/geometry.ts), and every s-th point of those is itself a spiral or a
// lattice, which a zoom shows as stripes that the density does not have. One electron a block keeps
// the count and the even spread, the hash breaks the period, and it depends on the block alone, so
// that the same N and stride draw the same electrons every frame. A stride of 1 is every electron,
// without the division. drawnElectron in src/kernels/render.ts is its mirror on the host.
fn drawnElectron(block: u32, stride: u32, count: u32) -> u32 {
  if (stride == 1u) {
    return block;
  }
  let first = block * stride;
  return first + blockHash(block) % min(stride, count - first);
}

// The electron arrow `block` is drawn at. arrowStride is a multiple of discStride (the packer holds it
// to that): the arrow's block of electrons picks one of its disc blocks as a disc block picks its
// electron, so that every arrow has its disc and the arrows have no period either.
// arrowElectron in src/kernels/render.ts is its mirror on the host.
fn arrowElectron(block: u32) -> u32 {
  let discBlocks = (params.count + params.discStride - 1u) / params.discStride;
  let discBlock = drawnElectron(block, params.arrowStride / params.discStride, discBlocks);
  return drawnElectron(discBlock, params.discStride, params.count);
}

// The equilateral triangle whose inscribed circle is the unit disc (circumradius 2); `corner` is the
// offset from the centre in units of the disc's radius. One triangle, not the two of a square: on a
// CPU the vertices and triangles, not the few pixels of a disc, are a frame's cost.
const kCorners = array<vec2<f32>, 3>(
  vec2<f32>(0.0, 2.0),
  vec2<f32>(-1.7320508, -1.0),
  vec2<f32>(1.7320508, -1.0),
);

struct PointVarying {
  @builtin(position) clip: vec4<f32>,
  @location(0) corner: vec2<f32>,
  @location(1) colour: vec3<f32>,
}

@vertex
fn point_vertex(@builtin(vertex_index) index: u32) -> PointVarying {
  // The host draws 3 ceil(count / discStride) vertices: every block has an electron below count.
  let particle = particles[drawnElectron(index / 3u, params.discStride, params.count)];
  let corner = kCorners[index % 3u];
  var clip = params.viewProjection * vec4<f32>(particle.position.xyz, 1.0);
  // A disc of pointPixels diameter whatever the depth: NDC spans 2 over the viewport, so a radius of
  // pointPixels / 2 pixels is pointPixels / viewport in NDC, times w in clip space.
  clip = vec4<f32>(clip.xy + corner * params.pointPixels / params.viewportPixels * clip.w, clip.zw);
  var out: PointVarying;
  out.clip = clip;
  out.corner = corner;
  out.colour = colourOf(particle);
  return out;
}

@fragment
fn point_fragment(in: PointVarying) -> @location(0) vec4<f32> {
  let r2 = dot(in.corner, in.corner);
  if (r2 > 1.0) {
    discard;
  }
  // In 3D a little sphere shading and a dark rim separate electrons that overlap on screen.
  var shade = 1.0;
  if (params.shaded != 0u) {
    shade = 0.45 + 0.55 * sqrt(1.0 - r2);
  }
  if (r2 > 0.8) {
    shade *= 0.6;
  }
  return vec4<f32>(in.colour * shade, 1.0);
}

struct ArrowVarying {
  @builtin(position) clip: vec4<f32>,
}

// The head's strokes leave the tip at +-25 degrees from the shaft, backwards.
const kHeadCos = 0.9063;
const kHeadSin = 0.4226;
const kHeadPixels = 7.0;

fn toPixels(clip: vec4<f32>) -> vec2<f32> {
  return clip.xy / clip.w * 0.5 * params.viewportPixels;
}

@vertex
fn arrow_vertex(@builtin(vertex_index) index: u32) -> ArrowVarying {
  // One arrow every arrowStride electrons, so that a dense cloud stays readable.
  let vertex = index % 6u;
  let particle = particles[arrowElectron(index / 6u)];
  let base = particle.position.xyz;
  let tip = base + params.arrowScale * quantity(particle, params.arrowOf);
  let clipBase = params.viewProjection * vec4<f32>(base, 1.0);
  let clipTip = params.viewProjection * vec4<f32>(tip, 1.0);
  var out: ArrowVarying;
  if (vertex == 0u) {
    out.clip = clipBase;
    return out;
  }
  if (vertex == 1u || vertex == 2u || vertex == 4u) {
    out.clip = clipTip;
    return out;
  }
  // Vertices 3 and 5 end the head's strokes, placed in pixels so the head keeps its size on screen.
  let shaft = toPixels(clipTip) - toPixels(clipBase);
  let shaftPixels = max(length(shaft), 1e-6);
  let back = -shaft / shaftPixels;
  let side = select(-1.0, 1.0, vertex == 3u);
  let stroke = vec2<f32>(back.x * kHeadCos - side * back.y * kHeadSin, side * back.x * kHeadSin + back.y * kHeadCos);
  let end = toPixels(clipTip) + stroke * min(kHeadPixels, 0.4 * shaftPixels);
  out.clip = vec4<f32>(end / (0.5 * params.viewportPixels) * clipTip.w, clipTip.zw);
  return out;
}

@fragment
fn arrow_fragment() -> @location(0) vec4<f32> {
  return kArrowColour;
}
