// Sec. III: the London moment (eq. 27-30) as a field map. A body of N electrons' worth of charge +|e| on
// its surface (the uncompensated lattice charge of sec. III.A) turns rigidly about z; its Biot-Savart
// field is sampled on a grid in the x-z plane through the axis and compared with the London field
// 2 m Omega / |e| (eq. 27 in SI). Everything here is float64 and GPU-free: the grid, the units, the
// uniformity measure, the field of the body's continuous counterpart (whose own uniformity a finite
// cylinder's map shows beside the discreteness) and the convergence of N r_e / R to its continuum value
// with N. The field sum itself runs on the GPU (src/kernels/biot-savart.ts) or through magneticField
// (biot-savart.ts).
//
// Units: positions in units of R, Omega = 1 about z, charges 1, so the reduced field is
//   b(x) = sum_i (z x r_i) x (x - r_i) / |x - r_i|^3,   B = (mu0 / 4 pi) |e| Omega / R * b,
// and with r_e = (mu0 / 4 pi) e^2 / m,  B / B_London = (r_e / R) b / 2 = (N r_e / R) b / (2 N).
import {
  cylinderLondonParameterContinuous,
  kSphereLondonParameter,
  londonParameter,
  rigidRotationVelocities,
  type CylinderLondonParameter,
} from './biot-savart.ts';
import { geometry, type Configuration } from './geometry.ts';
import { InputError } from './input-error.ts';

export const kLondonGeometries = ['sphere', 'cylinder'] as const;
export type LondonGeometry = (typeof kLondonGeometries)[number];

export function isLondonGeometry(name: string): name is LondonGeometry {
  return (kLondonGeometries as readonly string[]).includes(name);
}

/** A rotating body: its electrons (units of R), their velocities z x r (Omega = 1), and its shape. */
export interface LondonBody {
  readonly geometry: LondonGeometry;
  readonly n: number;
  /** Cylinder: half-length h along the axis, units of R (the lateral surface rho = 1, |z| <= h). */
  readonly halfHeight: number;
  readonly configuration: Configuration;
  readonly velocities: Float64Array;
  /**
   * N r_e / R of the continuous surface charge whose centre field is the London field: 3 for the
   * sphere (eq. 30), 2 sqrt(1 + h^2) for the cylinder (cylinderLondonParameterContinuous).
   */
  readonly continuumParameter: number;
}

/** N r_e / R of the continuous surface charge whose centre field is the London field. */
export function londonContinuumParameter(name: LondonGeometry, halfHeight: number): number {
  return name === 'sphere' ? kSphereLondonParameter : cylinderLondonParameterContinuous(halfHeight).perRadius;
}

/**
 * What keeps N charges from making the body, or null. A cylinder needs N >= h: its charges then sit at
 * most 2 R apart along the axis (2h/N); fewer make a sparse line of charges along it, whose centre
 * field is no cylinder's (h = 1e30, N = 1000 gives N r_e/R = 9.5e83 against the continuum's 2e30).
 */
export function londonBodyProblem(name: LondonGeometry, n: number, halfHeight: number): string | null {
  return name === 'cylinder' && n < halfHeight
    ? `must be at least h = ${halfHeight} for a cylinder (axial spacing 2h/N at most 2 R; fewer charges make a sparse line along the axis)`
    : null;
}

export function londonBody(name: LondonGeometry, n: number, halfHeight = 1): LondonBody {
  if (!(halfHeight > 0 && Number.isFinite(halfHeight))) {
    throw new InputError(`the cylinder's half-height must be a positive number, got ${halfHeight}`);
  }
  const problem = londonBodyProblem(name, n, halfHeight);
  if (problem) throw new InputError(`N ${problem}, got ${n}`);
  const base = geometry(name, n);
  const h = name === 'cylinder' ? halfHeight : 1;
  const positions = base.positions.map((x, k) => (k % 3 === 2 ? x * h : x));
  const configuration = { n, positions, source: name === 'cylinder' ? `cylinder h=${h}` : name };
  return {
    geometry: name,
    n,
    halfHeight: h,
    configuration,
    velocities: rigidRotationVelocities(positions, [0, 0, 1]),
    continuumParameter: londonContinuumParameter(name, h),
  };
}

/**
 * The lateral surface rho = R, |z| <= h (units of R) with the field taken at its centre: sec. III.B's
 * "similar value for N r_e / l".
 */
export function cylinderLondonParameter(n: number, halfHeight = 1): CylinderLondonParameter {
  const perRadius = londonParameter(londonBody('cylinder', n, halfHeight).configuration);
  return { perRadius, perLength: perRadius / (2 * halfHeight) };
}

/**
 * The reduced field b at every point (xyz triples, units of R), float64: the CPU counterpart of the GPU
 * kernel, written out rather than through magneticField so that no SI factor is applied and removed.
 * reducedFieldRows over all the points, on this thread.
 */
export function reducedField(body: LondonBody, points: ArrayLike<number>): Float64Array {
  const field = new Float64Array(points.length);
  reducedFieldRows(
    body.configuration.positions,
    body.velocities,
    body.n,
    points,
    field,
    0,
    points.length / 3,
  );
  return field;
}

/**
 * reducedField of the n charges at `positions` moving with `velocities` (xyz triples) at the points
 * [start, end) of `points`, into the same entries of `field`: each point's sum over the charges in
 * their order, whichever thread takes it, so that a WorkerPool's field (src/parallel/london.ts) is
 * reducedField's bit for bit. A pool kernel: nothing but its arguments and Math (src/parallel/pool.ts),
 * hence a plain Error where a charge sits at a point, which no map's interior point does.
 */
export function reducedFieldRows(
  positions: ArrayLike<number>,
  velocities: ArrayLike<number>,
  n: number,
  points: ArrayLike<number>,
  field: Float64Array,
  start: number,
  end: number,
): void {
  const v = velocities;
  for (let p = 3 * start; p < 3 * end; p += 3) {
    let bx = 0;
    let by = 0;
    let bz = 0;
    for (let i = 0; i < 3 * n; i += 3) {
      const dx = points[p] - positions[i];
      const dy = points[p + 1] - positions[i + 1];
      const dz = points[p + 2] - positions[i + 2];
      const r2 = dx * dx + dy * dy + dz * dz;
      if (r2 === 0) throw new Error(`electron ${i / 3} sits at field point ${p / 3}`);
      const scale = 1 / (r2 * Math.sqrt(r2));
      bx += scale * (v[i + 1] * dz - v[i + 2] * dy);
      by += scale * (v[i + 2] * dx - v[i] * dz);
      bz += scale * (v[i] * dy - v[i + 1] * dx);
    }
    field[p] = bx;
    field[p + 1] = by;
    field[p + 2] = bz;
  }
}

/** B / B_London for a reduced field component b of a body sized so that N r_e / R = `parameter`. */
export function londonRatio(reduced: number, n: number, parameter: number): number {
  return (parameter * reduced) / (2 * n);
}

/**
 * Bulirsch's complete elliptic integral cel(k_c, p, c, s) = int_0^(pi/2) (c cos^2 t + s sin^2 t) /
 * ((cos^2 t + p sin^2 t) sqrt(cos^2 t + k_c^2 sin^2 t)) dt (Bulirsch 1969, as Derby and Olbert, Am. J.
 * Phys. 78, 229 (2010), use it for the solenoid). Its arithmetic-geometric mean converges quadratically:
 * the loop stops once the means agree to 1e-8, when the next step would agree to 1e-16.
 */
function cel(kc: number, p: number, c: number, s: number): number {
  let k = Math.abs(kc);
  let pp = p;
  let cc = c;
  let ss = s;
  if (p > 0) {
    pp = Math.sqrt(p);
    ss = s / pp;
  } else {
    let f = kc * kc;
    let q = 1 - f;
    const g = 1 - pp;
    f -= pp;
    q *= ss - c * pp;
    pp = Math.sqrt(f / g);
    cc = (c - ss) / g;
    ss = -q / (g * g * pp) + cc * pp;
  }
  let f = cc;
  cc += ss / pp;
  let g = k / pp;
  ss = 2 * (ss + f * g);
  pp += g;
  g = 1;
  let em = 1 + k;
  let kk = k;
  while (Math.abs(g - k) > g * 1e-8) {
    k = 2 * Math.sqrt(kk);
    kk = k * em;
    f = cc;
    cc += ss / pp;
    g = kk / pp;
    ss = 2 * (ss + f * g);
    pp += g;
    g = em;
    em += k;
  }
  return ((Math.PI / 2) * (ss + cc * em)) / (em * (em + pp));
}

/**
 * The reduced field b of the body's continuous counterpart, its N charges spread uniformly over the
 * surface, at points (xyz triples, units of R) inside it. The sphere's is uniform, b = (2N/3) z (eq. 29).
 * The cylinder's lateral surface turning at Omega = 1 is a finite solenoid of surface current
 * K = N / (4 pi h) (in b's units); Derby and Olbert's closed form gives, with z+- = z +- h,
 * d+- = sqrt(z+-^2 + (1 + rho)^2), gamma = (1 - rho)/(1 + rho) and k+- = sqrt(z+-^2 + (1 - rho)^2) / d+-,
 *   b_rho = (4K/pi) sum_+- (+-) cel(k+-, 1, 1, -1) / d+-,
 *   b_z = (4K/pi) / (1 + rho) sum_+- (+-) z+- cel(k+-, gamma^2, 1, gamma) / d+-;
 * on the axis b_z = 2 pi K [(h - z)/sqrt((h - z)^2 + 1) + (h + z)/sqrt((h + z)^2 + 1)], the finite
 * solenoid's, and N / sqrt(1 + h^2) at the centre.
 */
export function continuumReducedField(
  body: Pick<LondonBody, 'geometry' | 'halfHeight' | 'n'>,
  points: ArrayLike<number>,
): Float64Array {
  const field = new Float64Array(points.length);
  const h = body.halfHeight;
  const scale = body.n / (Math.PI * h);
  for (let p = 0; p < points.length; p += 3) {
    if (body.geometry === 'sphere') {
      field[p + 2] = (2 * body.n) / 3;
      continue;
    }
    const [x, y, z] = [points[p], points[p + 1], points[p + 2]];
    const rho = Math.hypot(x, y);
    const gamma = (1 - rho) / (1 + rho);
    let bRho = 0;
    let bz = 0;
    for (const [sign, end] of [
      [1, z + h],
      [-1, z - h],
    ]) {
      const d = Math.hypot(end, 1 + rho);
      const k = Math.hypot(end, 1 - rho) / d;
      bRho += (sign * cel(k, 1, 1, -1)) / d;
      bz += (sign * end * cel(k, gamma * gamma, 1, gamma)) / d;
    }
    bRho *= scale;
    if (rho > 0) {
      field[p] = (bRho * x) / rho;
      field[p + 1] = (bRho * y) / rho;
    }
    field[p + 2] = (scale * bz) / (1 + rho);
  }
  return field;
}

// ---------------------------------------------------------------------------------------------------
// The grid

/** Field points sample the body out to this fraction of its size (the surface charge is at 1). */
export const kMapExtent = 0.9;

/**
 * A G x G grid on the x-z plane (y = 0): x in [-0.9, 0.9] R, z in [-0.9, 0.9] R (sphere) or
 * [-0.9 h, 0.9 h] R (cylinder). Only points inside the body's 0.9-scaled copy are field points; `cell`
 * maps grid cell (row-major, row 0 at the largest z) to its point or -1. The inner half is the 0.45-scaled
 * copy.
 */
export interface FieldMapGrid {
  readonly size: number;
  readonly xRange: readonly [number, number];
  readonly zRange: readonly [number, number];
  /** xyz triples, units of R. */
  readonly points: Float64Array;
  readonly cell: Int32Array;
  /** 1 where the point lies in the inner half. */
  readonly inner: Uint8Array;
}

/**
 * The fewest grid points per side of a field map (London's and the response study's): with G >= 4
 * the body holds grid points besides its centre. G = 3 has the centre alone inside: London's
 * uniformity_inner would always be 0, and a response map would show the centre and the outside.
 */
export const kMinMapGrid = 4;

export function fieldMapGrid(body: Pick<LondonBody, 'geometry' | 'halfHeight'>, size: number): FieldMapGrid {
  if (!(Number.isInteger(size) && size >= kMinMapGrid))
    throw new InputError(`the grid needs G >= ${kMinMapGrid}, got ${size}`);
  const xMax = kMapExtent;
  const zMax = kMapExtent * body.halfHeight;
  const inside = (x: number, z: number, scale: number) =>
    body.geometry === 'sphere'
      ? Math.hypot(x, z) <= scale * (1 + 1e-12)
      : Math.abs(x) <= scale * (1 + 1e-12) && Math.abs(z) <= scale * body.halfHeight * (1 + 1e-12);
  const cell = new Int32Array(size * size).fill(-1);
  const points: number[] = [];
  const inner: number[] = [];
  for (let row = 0; row < size; row++) {
    const z = zMax - (2 * zMax * row) / (size - 1);
    for (let column = 0; column < size; column++) {
      const x = -xMax + (2 * xMax * column) / (size - 1);
      if (!inside(x, z, kMapExtent)) continue;
      cell[row * size + column] = points.length / 3;
      points.push(x, 0, z);
      inner.push(inside(x, z, kMapExtent / 2) ? 1 : 0);
    }
  }
  return {
    size,
    xRange: [-xMax, xMax],
    zRange: [-zMax, zMax],
    points: Float64Array.from(points),
    cell,
    inner: Uint8Array.from(inner),
  };
}

/**
 * max |b - b_c| / |b_c| over a map, b_c the centre's field, and its parts: along the axis (B_z, what the
 * map draws) and across it. On the discrete sphere the transverse part, which the golden-angle azimuths
 * leave and which falls like 1/N, outweighs the axial one, which falls like 1/N^2, by N = 4000 (in the
 * inner half by N = 1000).
 */
export interface Uniformity {
  /** Over the whole map. */
  readonly all: number;
  readonly allAxial: number;
  readonly allTransverse: number;
  /** Over its inner half. */
  readonly inner: number;
  readonly innerAxial: number;
  readonly innerTransverse: number;
}

/** The uniformity of `field` at points (xyz triples) against `centre`; `inner` marks the inner half. */
export function uniformity(
  field: ArrayLike<number>,
  centre: ArrayLike<number>,
  inner: ArrayLike<number>,
): Uniformity {
  const norm = Math.hypot(centre[0], centre[1], centre[2]);
  const spread = { all: 0, allAxial: 0, allTransverse: 0, inner: 0, innerAxial: 0, innerTransverse: 0 };
  for (let p = 0; p < inner.length; p++) {
    const [dx, dy, dz] = [0, 1, 2].map((c) => field[3 * p + c] - centre[c]);
    const total = Math.hypot(dx, dy, dz) / norm;
    const axial = Math.abs(dz) / norm;
    const transverse = Math.hypot(dx, dy) / norm;
    spread.all = Math.max(spread.all, total);
    spread.allAxial = Math.max(spread.allAxial, axial);
    spread.allTransverse = Math.max(spread.allTransverse, transverse);
    if (inner[p]) {
      spread.inner = Math.max(spread.inner, total);
      spread.innerAxial = Math.max(spread.innerAxial, axial);
      spread.innerTransverse = Math.max(spread.innerTransverse, transverse);
    }
  }
  return spread;
}

/**
 * The uniformity, on a G x G map, of the field of the continuous body of this shape: 0 for the sphere
 * (eq. 29), and for a finite cylinder its lateral sheet's own unevenness (0.47 over the map, 0.086 in
 * its inner half at h = 1 on a 61 x 61 grid), which the discrete body's map shows whatever its N.
 */
export function continuumUniformity(
  shape: Pick<LondonBody, 'geometry' | 'halfHeight'>,
  size: number,
): Uniformity {
  const body = { ...shape, n: 1 };
  const grid = fieldMapGrid(body, size);
  return uniformity(
    continuumReducedField(body, grid.points),
    continuumReducedField(body, [0, 0, 0]),
    grid.inner,
  );
}

// ---------------------------------------------------------------------------------------------------
// N r_e / R against N

export interface LondonConvergencePoint {
  readonly n: number;
  /** N r_e / R at which the discrete body's centre field equals the London field (float64 sum). */
  readonly parameter: number;
  /** Continuum value minus the discrete one. */
  readonly deviation: number;
}

export function londonConvergence(
  name: LondonGeometry,
  ns: readonly number[],
  halfHeight = 1,
): LondonConvergencePoint[] {
  return ns.map((n) => {
    const body = londonBody(name, n, halfHeight);
    const parameter = londonParameter(body.configuration);
    return { n, parameter, deviation: body.continuumParameter - parameter };
  });
}

/** Electron counts of the convergence list: 10 to 30000, two per decade. */
export const kLondonConvergenceNs = [10, 30, 100, 300, 1000, 3000, 10_000, 30_000];

/** The counts of `ns` that make the body (londonBodyProblem): a cylinder's N >= h. */
export function londonConvergenceNs(
  name: LondonGeometry,
  halfHeight: number,
  ns: readonly number[] = kLondonConvergenceNs,
): number[] {
  return ns.filter((n) => londonBodyProblem(name, n, halfHeight) === null);
}

/**
 * A bound on the float64 rounding of continuum - N r_e/R: 16 u (u = 2^-53) of the continuum value.
 * Each term rho_i^2 / r_i^3 carries at most about 8 roundings and the positions 2 more, all of one sign
 * since every term is positive; the compensated sum adds one, 2N/b one, 2 sqrt(1 + h^2) three.
 */
export function londonRounding(continuum: number): number {
  return 8 * Number.EPSILON * continuum;
}

/**
 * The axial spacing 2h/N (2/N on the sphere) at most which the list's deviations follow their
 * asymptotic law (londonTail), in units of R.
 */
export const kLondonTailSpacing = 0.1;

/**
 * The points of the list that follow the asymptotic law continuum - N r_e/R ~ N^-2, or why fewer than
 * two do. The centre field is a midpoint rule in z with spacing d = 2h/N (2/N on the sphere). On the
 * sphere its terms 1 - z_i^2 are a polynomial's: 3 - N r_e/R = 1.5 / (N^2 + 1/2) exactly. On the
 * cylinder (rho_i = R) they are f(z_i), f(z) = R^2 / (R^2 + z^2)^(3/2), and the rule's error has two
 * parts. The ends' is d^2 [f'(h) - f'(-h)] / 24 (Euler-Maclaurin), which gives continuum - N r_e/R
 * = h^2 / ((1 + h^2)^(3/2) N^2). The centre's, where f varies on the scale R, is of order
 * exp(-2 pi R / d), of the other sign at the list's even N. On a long cylinder the ends' part is small,
 * (1 + h^2)^-2 relative, and the centre's outweighs it at coarse spacing: at h = 50 the deviation is
 * negative up to N = 300 (-7e-6) and 2.0e-8 at N = 1000. At d <= R/10 the centre's part is below 1e-26
 * relative, far under float64's rounding. The fit also leaves out deviations within 100 times their
 * rounding (londonRounding): they hold less than two digits.
 */
export function londonTail(
  name: LondonGeometry,
  halfHeight: number,
  points: readonly LondonConvergencePoint[],
): { readonly points: LondonConvergencePoint[]; readonly problem: string | null } {
  const h = name === 'cylinder' ? halfHeight : 1;
  const spaced = points.filter((p) => (2 * h) / p.n <= kLondonTailSpacing);
  const rounding = londonRounding(londonContinuumParameter(name, h));
  const resolved = spaced.filter((p) => Math.abs(p.deviation) >= 100 * rounding);
  let problem: string | null = null;
  if (spaced.length < 2) {
    problem = `fewer than two N here with axial spacing 2h/N <= R/${1 / kLondonTailSpacing}, where the law holds`;
  } else if (resolved.length < 2) {
    problem = spaced.every((p) => Math.abs(p.deviation) <= rounding)
      ? `every deviation is within its float64 rounding (${rounding.toPrecision(2)}) of 0`
      : `fewer than two N here with a deviation over 100 times its float64 rounding (${rounding.toPrecision(2)})`;
  } else if (!resolved.every((p) => Math.sign(p.deviation) === Math.sign(resolved[0].deviation))) {
    problem = 'the deviation changes sign within the tail';
  }
  return { points: problem ? [] : resolved, problem };
}

/** |y| = coefficient x^exponent by least squares on (ln x, ln |y|). */
export function fitPowerLaw(
  xs: readonly number[],
  ys: readonly number[],
): { exponent: number; coefficient: number } {
  const u = xs.map(Math.log);
  const w = ys.map((y) => Math.log(Math.abs(y)));
  const meanU = u.reduce((s, x) => s + x, 0) / u.length;
  const meanW = w.reduce((s, x) => s + x, 0) / w.length;
  let covariance = 0;
  let variance = 0;
  for (let k = 0; k < u.length; k++) {
    covariance += (u[k] - meanU) * (w[k] - meanW);
    variance += (u[k] - meanU) ** 2;
  }
  const exponent = covariance / variance;
  return { exponent, coefficient: Math.exp(meanW - exponent * meanU) };
}

// ---------------------------------------------------------------------------------------------------
// The rigid rotation at London's N (eq. 30), as the scaling study measures it from M

/** eps = r_e / R at London's N = 3 R / r_e (eq. 30): 3 / N. */
export function londonEpsilon(n: number): number {
  return kSphereLondonParameter / n;
}

/**
 * (v^T M v)/(v^T D v) = 1 + eps q for the rigid rotation at eps = 3/N, q its interaction quotient
 * (v^T (M - D) v)/(v^T D v) at eps = 1. As N -> infinity q / N -> 1/3 for a uniform spherical shell:
 * for divergence-free currents the Darwin term is the magnetic energy; the shell (charge Q = N e,
 * eq. 28) has the uniform field (2/3) Q omega / (c R) inside (eq. 29) and a dipole outside, energy
 * Q^2 omega^2 R / (9 c^2) in all, and T0 = N m omega^2 R^2 / 3, so their ratio is N r_e / (3 R) =
 * eps N / 3. At London's N r_e / R = 3 the moment of inertia of the rotation doubles: the ratio -> 2.
 */
export function londonInertiaRatio(n: number, rotationQuotient: number): number {
  return 1 + londonEpsilon(n) * rotationQuotient;
}
