// Sec. III: the London moment (eq. 27-30) as a field map. A body of N electrons' worth of charge +|e| on
// its surface (the uncompensated lattice charge of sec. III.A) turns rigidly about z; its Biot-Savart
// field is sampled on a grid in the x-z plane through the axis and compared with the London field
// 2 m Omega / |e| (eq. 27 in SI). Everything here is float64 and GPU-free: the grid, the units, the
// uniformity measure and the convergence of N r_e / R to its continuum value with N. The field sum
// itself runs on the GPU (src/kernels/biot-savart.ts) or through magneticField (biot-savart.ts).
//
// Units: positions in units of R, Omega = 1 about z, charges 1, so the reduced field is
//   b(x) = sum_i (z x r_i) x (x - r_i) / |x - r_i|^3,   B = (mu0 / 4 pi) |e| Omega / R * b,
// and with r_e = (mu0 / 4 pi) e^2 / m,  B / B_London = (r_e / R) b / 2 = (N r_e / R) b / (2 N).
import {
  cylinderLondonParameterContinuous,
  kSphereLondonParameter,
  londonParameter,
  rigidRotationVelocities,
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

export function londonBody(name: LondonGeometry, n: number, halfHeight = 1): LondonBody {
  if (!(halfHeight > 0 && Number.isFinite(halfHeight))) {
    throw new InputError(`the cylinder's half-height must be a positive number, got ${halfHeight}`);
  }
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
    continuumParameter:
      name === 'sphere' ? kSphereLondonParameter : cylinderLondonParameterContinuous(h).perRadius,
  };
}

/**
 * The reduced field b at every point (xyz triples, units of R), float64: the CPU counterpart of the GPU
 * kernel, written out rather than through magneticField so that no SI factor is applied and removed.
 */
export function reducedField(body: LondonBody, points: ArrayLike<number>): Float64Array {
  const { positions } = body.configuration;
  const v = body.velocities;
  const field = new Float64Array(points.length);
  for (let p = 0; p < points.length; p += 3) {
    let bx = 0;
    let by = 0;
    let bz = 0;
    for (let i = 0; i < 3 * body.n; i += 3) {
      const dx = points[p] - positions[i];
      const dy = points[p + 1] - positions[i + 1];
      const dz = points[p + 2] - positions[i + 2];
      const r2 = dx * dx + dy * dy + dz * dz;
      if (r2 === 0) throw new InputError(`electron ${i / 3} sits at field point ${p / 3}`);
      const scale = 1 / (r2 * Math.sqrt(r2));
      bx += scale * (v[i + 1] * dz - v[i + 2] * dy);
      by += scale * (v[i + 2] * dx - v[i] * dz);
      bz += scale * (v[i] * dy - v[i + 1] * dx);
    }
    field[p] = bx;
    field[p + 1] = by;
    field[p + 2] = bz;
  }
  return field;
}

/** B / B_London for a reduced field component b of a body sized so that N r_e / R = `parameter`. */
export function londonRatio(reduced: number, n: number, parameter: number): number {
  return (parameter * reduced) / (2 * n);
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

export function fieldMapGrid(body: LondonBody, size: number): FieldMapGrid {
  if (!(Number.isInteger(size) && size >= 3)) throw new InputError(`the grid needs G >= 3, got ${size}`);
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

/** max |b - b_centre| / |b_centre| over the points (xyz triples), and over the inner half alone. */
export function uniformity(
  field: ArrayLike<number>,
  centre: ArrayLike<number>,
  inner: ArrayLike<number>,
): { all: number; inner: number } {
  const norm = Math.hypot(centre[0], centre[1], centre[2]);
  let all = 0;
  let innerMax = 0;
  for (let p = 0; p < inner.length; p++) {
    const deviation =
      Math.hypot(field[3 * p] - centre[0], field[3 * p + 1] - centre[1], field[3 * p + 2] - centre[2]) / norm;
    all = Math.max(all, deviation);
    if (inner[p]) innerMax = Math.max(innerMax, deviation);
  }
  return { all, inner: innerMax };
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
