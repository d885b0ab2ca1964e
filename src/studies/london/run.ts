// The London-moment study (sec. III, eq. 27-30) as `darwin-breit london` and the app's Studies panel
// both run it: the Biot-Savart field of a rotating body (src/physics/london.ts) summed over a grid of
// interior points by a field evaluator (the GPU's, src/engine/london.ts, float32, or reducedField in
// float64); its uniformity, the evaluator's sum checked against magneticField at a few points, and
// N r_e/R at which the discrete body's centre field is the London field, against N.
import { kMu0Over4Pi, londonParameter, magneticField } from '../../physics/biot-savart.ts';
import {
  fieldMapGrid,
  fitPowerLaw,
  londonBody,
  londonContinuumParameter,
  londonConvergence,
  londonConvergenceNs,
  londonRatio,
  londonRounding,
  londonTail,
  reducedField,
  uniformity,
  type FieldMapGrid,
  type LondonBody,
  type LondonConvergencePoint,
  type LondonGeometry,
} from '../../physics/london.ts';
import { inShard, shardOf, sweep, sweepOfRun, type Shard, type StudyHooks } from '../study.ts';

/** The reduced field of a body at points (xyz triples): on the GPU, or in float64. */
export type FieldEvaluator = (body: LondonBody, points: Float64Array) => Promise<Float64Array>;

/** The float64 evaluator. */
export const cpuField: FieldEvaluator = async (body, points) => reducedField(body, points);

/** Field points, spread over the map, at which the evaluator is checked against magneticField. */
const kCheckPoints = 8;

/** One body's map. */
export interface LondonMapStudy {
  readonly n: number;
  /** N r_e / R at which the centre field equals the London field, float64 sum. */
  readonly parameter: number;
  /** The same from the evaluator's centre field (float32 on the GPU). */
  readonly parameterDevice: number;
  /** Cylinder: N r_e / l, l = 2 h R its length (the paper's "N r_e / l"); null for the sphere. */
  readonly parameterPerLength: number | null;
  /** B_z(centre) / B_London for the body sized so that N r_e / R is the continuum value. */
  readonly centreFieldRatio: number;
  /**
   * max |B - B_c| / |B_c| over the map (uniformity), its B_z and transverse parts; the same in its
   * inner half.
   */
  readonly uniformity: number;
  readonly uniformityAxial: number;
  readonly uniformityTransverse: number;
  readonly uniformityInner: number;
  readonly uniformityInnerAxial: number;
  readonly uniformityInnerTransverse: number;
  /** Largest |b_device - b_64| / |b_64| at the check points (b_64 from magneticField). */
  readonly check: number;
  readonly fieldPoints: number;
  /** The evaluator's time: upload, pipeline and readback on the GPU. */
  readonly fieldMs: number;
}

export interface LondonMap {
  readonly body: LondonBody;
  readonly grid: FieldMapGrid;
  readonly study: LondonMapStudy;
  /** B_z / B_London per grid cell (row-major, row 0 at the largest z); NaN outside the body. */
  readonly ratios: Float64Array;
}

/** Map point indices at which the evaluator is checked: evenly spread, first and last included. */
function checkIndices(count: number): number[] {
  const picks = Math.min(kCheckPoints, count);
  return Array.from({ length: picks }, (_, k) => Math.round((k * (count - 1)) / Math.max(1, picks - 1)));
}

/** The field of `body` at the grid's points and at the centre: the map of B_z / B_London and its numbers. */
export async function londonFieldMap(
  field: FieldEvaluator,
  body: LondonBody,
  grid: FieldMapGrid,
): Promise<LondonMap> {
  const pointCount = grid.points.length / 3;
  // The map's points, then the centre.
  const points = new Float64Array(grid.points.length + 3);
  points.set(grid.points);
  const started = performance.now();
  const b = await field(body, points);
  const fieldMs = performance.now() - started;
  const centre = b.subarray(3 * pointCount);
  const spread = uniformity(b.subarray(0, 3 * pointCount), centre, grid.inner);

  let check = 0;
  for (const p of [...checkIndices(pointCount), pointCount]) {
    const point = points.subarray(3 * p, 3 * p + 3);
    const reference = magneticField(point, body.configuration.positions, body.velocities, 1).map(
      (x) => x / kMu0Over4Pi,
    );
    const error = Math.hypot(...reference.map((x, c) => b[3 * p + c] - x)) / Math.hypot(...reference);
    check = Math.max(check, error);
  }

  const ratios = new Float64Array(grid.size * grid.size).fill(NaN);
  grid.cell.forEach((p, cell) => {
    if (p >= 0) ratios[cell] = londonRatio(b[3 * p + 2], body.n, body.continuumParameter);
  });
  const centreRatio = londonRatio(centre[2], body.n, body.continuumParameter);
  const parameter = londonParameter(body.configuration);
  return {
    body,
    grid,
    study: {
      n: body.n,
      parameter,
      parameterDevice: body.continuumParameter / centreRatio,
      parameterPerLength: body.geometry === 'cylinder' ? parameter / (2 * body.halfHeight) : null,
      centreFieldRatio: centreRatio,
      uniformity: spread.all,
      uniformityAxial: spread.allAxial,
      uniformityTransverse: spread.allTransverse,
      uniformityInner: spread.inner,
      uniformityInnerAxial: spread.innerAxial,
      uniformityInnerTransverse: spread.innerTransverse,
      check,
      fieldPoints: pointCount + 1,
      fieldMs,
    },
    ratios,
  };
}

/** continuum - N r_e/R = coefficient N^exponent (coefficient signed), fitted to the list's tail. */
export interface LondonFit {
  readonly exponent: number;
  readonly coefficient: number;
  /** The N fitted (londonTail). */
  readonly ns: readonly number[];
}

/** N r_e / R against N. */
export interface LondonConvergence {
  /** N r_e / R of the continuous body (3 for the sphere, eq. 30). */
  readonly continuum: number;
  /** A bound on each deviation's float64 rounding (londonRounding). */
  readonly rounding: number;
  readonly points: readonly LondonConvergencePoint[];
  /** Null where `problem` says why. */
  readonly fit: LondonFit | null;
  readonly problem: string | null;
}

/**
 * The convergence list's points, fitted where two or more lie in its asymptotic tail; a shard's part
 * of the list (`partial`) is not fitted: merge fits the whole.
 */
export function summariseLondonConvergence(
  name: LondonGeometry,
  halfHeight: number,
  points: readonly LondonConvergencePoint[],
  partial = false,
): LondonConvergence {
  const continuum = londonContinuumParameter(name, halfHeight);
  const summary = { continuum, rounding: londonRounding(continuum), points };
  if (partial) return { ...summary, fit: null, problem: "a shard's part of the list: merge fits the whole" };
  const tail = londonTail(name, halfHeight, points);
  if (tail.problem !== null) return { ...summary, fit: null, problem: tail.problem };
  const ns = tail.points.map((p) => p.n);
  const magnitude = fitPowerLaw(
    ns,
    tail.points.map((p) => p.deviation),
  );
  const coefficient = Math.sign(tail.points[0].deviation) * magnitude.coefficient;
  return { ...summary, fit: { exponent: magnitude.exponent, coefficient, ns }, problem: null };
}

export interface LondonOptions {
  readonly geometry: LondonGeometry;
  /** Electrons of each body mapped. */
  readonly ns: readonly number[];
  /** Field points per side of each map. */
  readonly grid: number;
  readonly halfHeight: number;
  /**
   * Electron counts of the convergence list (float64); those that make no body (a cylinder's N < h)
   * are left out.
   */
  readonly convergenceNs: readonly number[];
}

export interface LondonRun {
  readonly maps: LondonMap[];
  readonly convergence: LondonConvergence;
  readonly stopped: boolean;
}

/**
 * The maps, one body after the other, then N r_e/R over the convergence list, one N at a time. The
 * points are enumerated maps first, then the convergence list; a shard runs only its own.
 */
export async function runLondon(
  field: FieldEvaluator,
  options: LondonOptions,
  hooks: StudyHooks & { readonly map?: (map: LondonMap) => void } = {},
  shard: Shard | null = null,
): Promise<LondonRun> {
  const { geometry, halfHeight, ns, convergenceNs } = options;
  const mapNs = shardOf(ns, shard);
  // Only N that make the body (a cylinder's N >= h), the same list in every shard.
  const listNs = londonConvergenceNs(geometry, halfHeight, convergenceNs).filter((_, k) =>
    inShard(ns.length + k, shard),
  );
  const total = mapNs.length + listNs.length;
  const maps = await sweep(
    mapNs,
    sweepOfRun(hooks, 0, total),
    async (n, k) => {
      const body = londonBody(geometry, n, halfHeight);
      const grid = fieldMapGrid(body, options.grid);
      hooks.progress?.(
        `London: Biot-Savart field of ${n} charges at ${grid.points.length / 3 + 1} points`,
        k / total,
      );
      return londonFieldMap(field, body, grid);
    },
    hooks.map,
  );
  const list = maps.stopped
    ? { results: [], stopped: true }
    : await sweep(listNs, sweepOfRun(hooks, mapNs.length, total), async (n, k) => {
        hooks.progress?.(`London: N r_e/R of the discrete ${geometry}, N = ${n}`, (mapNs.length + k) / total);
        return londonConvergence(geometry, [n], halfHeight)[0];
      });
  return {
    maps: maps.results,
    convergence: summariseLondonConvergence(geometry, halfHeight, list.results, shard !== null),
    stopped: list.stopped,
  };
}
