// The London-moment study (sec. III, eq. 27-30) as `darwin-breit london` and the app's Studies panel
// both run it: the Biot-Savart field of a rotating body (src/physics/london.ts) summed over a grid of
// interior points in float64 (reducedField, on a WorkerPool's threads where the caller gives one, or
// by the caller's float64 evaluator: the app's reference worker), whose centre field and uniformity
// the study reports, and by a field evaluator (the GPU's, src/engine/london.ts, float32) whose sum
// draws the map, checked against the float64 one; and N r_e/R at which the discrete body's centre
// field is the London field, against N.
import type { WorkerPool } from '../../parallel/pool.ts';
import { londonParameter } from '../../physics/biot-savart.ts';
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
import { pacedReducedField } from '../../run/london.ts';
import { inShard, shardOf, sweep, sweepOfRun, type Shard, type StudyHooks } from '../study.ts';

/** The reduced field of a body at points (xyz triples): on the GPU, or in float64. */
export type FieldEvaluator = (body: LondonBody, points: Float64Array) => Promise<Float64Array>;

/**
 * The float64 evaluator, on this thread. londonFieldMap knows it by identity and then draws the map
 * from its own float64 sum (paced, on the caller's pool) rather than calling it: one sum, not two.
 */
export const cpuField: FieldEvaluator = async (body, points) => reducedField(body, points);

/**
 * What the map's check is held to: the evaluator's B_z within a tenth of the B_z spread the map's inner
 * half shows (uniformity_inner_axial |B_c|), so that its colours there are the body's and not float32's
 * rounding (about 3e-7 |B| on the GPU, a third of that spread at N = 4000).
 */
export const kLondonCheckTarget = 0.1;

/** One body's map. */
export interface LondonMapStudy {
  readonly n: number;
  /** N r_e / R at which the centre field equals the London field, float64 compensated sum. */
  readonly parameter: number;
  /**
   * The same from the map's centre field: the float64 plain sum that the uniformity uses, on any
   * device (a float32 sum's rounding would be as large as the centre's distance from B_London).
   */
  readonly parameterPlainSum: number;
  /** Cylinder: N r_e / l, l = 2 h R its length (the paper's "N r_e / l"); null for the sphere. */
  readonly parameterPerLength: number | null;
  /** B_z(centre) / B_London for the body sized so that N r_e / R is the continuum value (float64). */
  readonly centreFieldRatio: number;
  /**
   * max |B - B_c| / |B_c| over the map (uniformity), its B_z and transverse parts; the same in its
   * inner half. All float64, whatever the evaluator.
   */
  readonly uniformity: number;
  readonly uniformityAxial: number;
  readonly uniformityTransverse: number;
  readonly uniformityInner: number;
  readonly uniformityInnerAxial: number;
  readonly uniformityInnerTransverse: number;
  /**
   * The error of the B_z the map draws: max |b_z,device - b_z,64| over the map's points and its centre,
   * over the inner half's B_z spread max |b_z,64 - b_z,64(centre)| (uniformity_inner_axial |B_c|); 0
   * where the evaluator is the float64 sum itself (cpuField). Held to kLondonCheckTarget.
   */
  readonly check: number;
  readonly fieldPoints: number;
  /** The map's sum: on the GPU its upload, pipeline and readback; with cpuField the paced float64 sum. */
  readonly fieldMs: number;
}

export interface LondonMap {
  readonly body: LondonBody;
  readonly grid: FieldMapGrid;
  readonly study: LondonMapStudy;
  /**
   * B_z / B_London per grid cell (row-major, row 0 at the largest z) from the evaluator's field (the
   * GPU's float32 sum: the check says how far it is from float64's); NaN outside the body.
   */
  readonly ratios: Float64Array;
}

/**
 * The largest |b_z - b64_z| over the points (xyz triples), over `spread`: the error of the B_z a map
 * draws in units of the spread; 0 where both are equal, Infinity where only the spread is 0.
 */
function mapError(b: Float64Array, b64: Float64Array, spread: number): number {
  let error = 0;
  for (let z = 2; z < b64.length; z += 3) error = Math.max(error, Math.abs(b[z] - b64[z]));
  return error === 0 ? 0 : error / spread;
}

/**
 * The field of `body` at the grid's points and at the centre: the map of B_z / B_London from the
 * evaluator, and its numbers from the float64 sum: `float64`'s where that is an evaluator (the app's,
 * summed in its reference worker), else pacedReducedField's, on `float64`'s threads where that is a
 * pool. A float32 sum's rounding (about 3e-7 |B|) is as large as the inner half's B_z spread at
 * N = 4000 (1.6e-6 |B_c|) and as the centre's distance from B_London: the numbers the study reports
 * would be float32's, not the body's. Where the evaluator is cpuField the float64 sum draws the map
 * too, summed once.
 */
export async function londonFieldMap(
  field: FieldEvaluator,
  body: LondonBody,
  grid: FieldMapGrid,
  hooks: Pick<StudyHooks, 'pause' | 'progress'> = {},
  float64: WorkerPool | FieldEvaluator | null = null,
): Promise<LondonMap> {
  const pointCount = grid.points.length / 3;
  // The map's points, then the centre.
  const points = new Float64Array(grid.points.length + 3);
  points.set(grid.points);
  const started = performance.now();
  const sum64 = () =>
    typeof float64 === 'function' ? float64(body, points) : pacedReducedField(body, points, hooks, float64);
  const b = field === cpuField ? await sum64() : await field(body, points);
  const fieldMs = performance.now() - started;
  const b64 = field === cpuField ? b : await sum64();
  const centre = b64.subarray(3 * pointCount);
  const spread = uniformity(b64.subarray(0, 3 * pointCount), centre, grid.inner);
  const centreNorm = Math.hypot(centre[0], centre[1], centre[2]);

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
      parameterPlainSum: body.continuumParameter / centreRatio,
      parameterPerLength: body.geometry === 'cylinder' ? parameter / (2 * body.halfHeight) : null,
      centreFieldRatio: centreRatio,
      uniformity: spread.all,
      uniformityAxial: spread.allAxial,
      uniformityTransverse: spread.allTransverse,
      uniformityInner: spread.inner,
      uniformityInnerAxial: spread.innerAxial,
      uniformityInnerTransverse: spread.innerTransverse,
      check: mapError(b, b64, spread.innerAxial * centreNorm),
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

/** Why a convergence list is not fitted whatever it holds: a shard's part of it, or none of it finished. */
export type LondonListCut = 'shard' | 'stopped';
const kListCutProblems: Record<LondonListCut, string> = {
  shard: "a shard's part of the list: merge fits the whole",
  stopped: 'the run stopped before any N of the list',
};

/**
 * The convergence list's points, fitted where two or more lie in its asymptotic tail; not where `cut`
 * says why: a shard's part of the list (merge fits the whole), or a run stopped before any of it.
 */
export function summariseLondonConvergence(
  name: LondonGeometry,
  halfHeight: number,
  points: readonly LondonConvergencePoint[],
  cut: LondonListCut | null = null,
): LondonConvergence {
  const continuum = londonContinuumParameter(name, halfHeight);
  const summary = { continuum, rounding: londonRounding(continuum), points };
  if (cut !== null) return { ...summary, fit: null, problem: kListCutProblems[cut] };
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
 * points are enumerated maps first, then the convergence list; a shard runs only its own. The maps'
 * float64 sums run on `float64`'s threads where it is a pool, or by it where it is an evaluator
 * (londonFieldMap).
 */
export async function runLondon(
  field: FieldEvaluator,
  options: LondonOptions,
  hooks: StudyHooks & { readonly map?: (map: LondonMap) => void } = {},
  shard: Shard | null = null,
  float64: WorkerPool | FieldEvaluator | null = null,
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
      return londonFieldMap(field, body, grid, hooks, float64);
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
    convergence: summariseLondonConvergence(
      geometry,
      halfHeight,
      list.results,
      shard !== null ? 'shard' : list.stopped && list.results.length === 0 ? 'stopped' : null,
    ),
    stopped: list.stopped,
  };
}
