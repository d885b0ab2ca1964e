// The London-moment study (sec. III, eq. 27-30) as `darwin-breit london` and the app's Studies panel both
// run it: the Biot-Savart field of a rotating body (src/physics/london.ts) summed over a grid of interior
// points on the GPU (src/kernels/biot-savart.ts, float32) or, given no GPU context, in float64 on the
// CPU; its uniformity, the device's sum checked against magneticField at a few points, and N r_e/R at
// which the discrete body's centre field is the London field, against N.
import type { GpuContext } from '../gpu/device.ts';
import { GpuBiotSavart } from '../kernels/biot-savart.ts';
import { kMu0Over4Pi, londonParameter, magneticField } from '../physics/biot-savart.ts';
import {
  fitPowerLaw,
  kLondonConvergenceNs,
  londonBody,
  londonConvergence,
  londonRatio,
  reducedField,
  uniformity,
  type FieldMapGrid,
  type LondonBody,
  type LondonConvergencePoint,
  type LondonGeometry,
} from '../physics/london.ts';

/** Field points, spread over the map, at which the device is checked against magneticField. */
const kCheckPoints = 8;

/** One body's map, as the CLI's JSON names it ("studies": [...]). */
export interface LondonStudy {
  n: number;
  /** N r_e / R at which the centre field equals the London field, float64 sum. */
  n_re_over_r: number;
  /** The same from the device's centre field (float32 on the GPU). */
  n_re_over_r_device: number;
  /** Cylinder: N r_e / l, l = 2 h R its length (the paper's "N r_e / l"). */
  n_re_over_l?: number;
  /** B_z(centre) / B_London for the body sized so that N r_e / R is the continuum value. */
  centre_field_ratio: number;
  uniformity: number;
  uniformity_inner: number;
  /** Largest |b_device - b_64| / |b_64| at the check points (b_64 from magneticField). */
  check: number;
  field_points: number;
  field_ms: number;
}

export interface LondonMap {
  readonly study: LondonStudy;
  /** B_z / B_London per grid cell (row-major, row 0 at the largest z); NaN outside the body. */
  readonly ratios: Float64Array;
}

/** Evaluates the reduced field at `points` on the GPU, or in float64 when `gpu` is null. */
async function fieldAt(
  gpu: GpuBiotSavart | null,
  body: LondonBody,
  points: Float64Array,
): Promise<Float64Array> {
  if (!gpu) return reducedField(body, points);
  const raw = await gpu.field(points);
  const field = new Float64Array(points.length);
  for (let p = 0; p < points.length / 3; p++) {
    for (let c = 0; c < 3; c++) field[3 * p + c] = raw[4 * p + c];
  }
  return field;
}

/** Map point indices at which the device is checked: evenly spread, first and last included. */
function checkIndices(count: number): number[] {
  const picks = Math.min(kCheckPoints, count);
  return Array.from({ length: picks }, (_, k) => Math.round((k * (count - 1)) / Math.max(1, picks - 1)));
}

/**
 * The field of `body` at the grid's points and at the centre, on the GPU of `context` or, when it is
 * null, in float64: the map of B_z / B_London and the study's numbers. `field_ms` includes upload,
 * pipeline and readback.
 */
export async function londonFieldMap(
  context: GpuContext | null,
  body: LondonBody,
  grid: FieldMapGrid,
): Promise<LondonMap> {
  const pointCount = grid.points.length / 3;
  // The map's points, then the centre.
  const points = new Float64Array(grid.points.length + 3);
  points.set(grid.points);
  const started = performance.now();
  const gpu = context
    ? await GpuBiotSavart.create(context, {
        positions: body.configuration.positions,
        velocities: body.velocities,
        charge: 1,
      })
    : null;
  let field: Float64Array;
  try {
    field = await fieldAt(gpu, body, points);
  } finally {
    gpu?.destroy();
  }
  const fieldMs = performance.now() - started;
  const centre = field.subarray(3 * pointCount);
  const spread = uniformity(field.subarray(0, 3 * pointCount), centre, grid.inner);

  let check = 0;
  for (const p of [...checkIndices(pointCount), pointCount]) {
    const point = points.subarray(3 * p, 3 * p + 3);
    const reference = magneticField(point, body.configuration.positions, body.velocities, 1).map(
      (b) => b / kMu0Over4Pi,
    );
    const error = Math.hypot(...reference.map((b, c) => field[3 * p + c] - b)) / Math.hypot(...reference);
    check = Math.max(check, error);
  }

  const ratios = new Float64Array(grid.size * grid.size).fill(NaN);
  grid.cell.forEach((p, cell) => {
    if (p >= 0) ratios[cell] = londonRatio(field[3 * p + 2], body.n, body.continuumParameter);
  });
  const centreRatio = londonRatio(centre[2], body.n, body.continuumParameter);
  const parameter = londonParameter(body.configuration);
  return {
    study: {
      n: body.n,
      n_re_over_r: parameter,
      n_re_over_r_device: body.continuumParameter / centreRatio,
      ...(body.geometry === 'cylinder' ? { n_re_over_l: parameter / (2 * body.halfHeight) } : {}),
      centre_field_ratio: centreRatio,
      uniformity: spread.all,
      uniformity_inner: spread.inner,
      check,
      field_points: pointCount + 1,
      field_ms: fieldMs,
    },
    ratios,
  };
}

/** N r_e / R against N, as the CLI's JSON names it ("convergence"). */
export interface LondonConvergenceSummary {
  /** N r_e / R of the continuous body (3 for the sphere, eq. 30). */
  continuum: number;
  points: { n: number; n_re_over_r: number; deviation: number }[];
  /** |continuum - N r_e/R| = coefficient N^exponent. */
  fit: { exponent: number; coefficient: number };
  law: string;
}

/** The convergence list's points, fitted; `points` from londonConvergence (in one go, or in chunks). */
export function summariseLondonConvergence(
  name: LondonGeometry,
  halfHeight: number,
  points: readonly LondonConvergencePoint[],
): LondonConvergenceSummary {
  const continuum = londonBody(name, 1, halfHeight).continuumParameter;
  const fit = fitPowerLaw(
    points.map((p) => p.n),
    points.map((p) => p.deviation),
  );
  return {
    continuum,
    points: points.map((p) => ({ n: p.n, n_re_over_r: p.parameter, deviation: p.deviation })),
    fit,
    law: `${continuum.toPrecision(6)} - N r_e/R = ${fit.coefficient.toPrecision(4)} N^${fit.exponent.toFixed(3)}`,
  };
}

/** N r_e / R for N = kLondonConvergenceNs (float64), fitted. */
export function londonConvergenceSummary(name: LondonGeometry, halfHeight: number): LondonConvergenceSummary {
  return summariseLondonConvergence(
    name,
    halfHeight,
    londonConvergence(name, kLondonConvergenceNs, halfHeight),
  );
}
