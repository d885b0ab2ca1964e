// The London study's report, shared by the CLI and the app's Studies panel: its JSON (`london --json`,
// snake_case as scripts read it), the text table, and the plots (`london --out DIR`): the map of
// B_z / B_London over the x-z plane of one body, beside it the map of log10 |B_z / B_London - 1|, and
// the distance of N r_e/R from its continuum value against N.
import type { DeviceSummary } from '../../io/formats.ts';
import { heatMap, linePlot } from '../../io/svg.ts';
import { InputError } from '../../physics/input-error.ts';
import { withinTarget } from '../../run/check.ts';
import type { Check } from '../../run/inputs.ts';
import { checkWarning } from '../../run/report.ts';
import {
  continuumUniformity,
  isLondonGeometry,
  kMapExtent,
  londonConvergenceNs,
  type FieldMapGrid,
  type LondonBody,
  type LondonConvergencePoint,
  type LondonGeometry,
} from '../../physics/london.ts';
import { markdownNumber as f, markdownTable } from '../markdown.ts';
import {
  holdsNumbers,
  integerRangeProblem,
  joinShards,
  listLack,
  objectLack,
  sameInShards,
  savedStudyReport,
  shardJson,
  shardPointsLack,
  stoppedLine,
  studyReportHeader,
  sweepPlotTitle,
  sweepValuesLack,
  finiteOrNaN,
  type FieldKind,
  type Shard,
  type StudyReport,
  type SweepStop,
} from '../study.ts';
import {
  kLondonCheckTarget,
  summariseLondonConvergence,
  type LondonConvergence,
  type LondonMap,
  type LondonMapStudy,
} from './run.ts';
import { kLondonElectrons, kLondonGrid } from './spec.ts';

/** A body's shape and size: the sphere, or the cylinder with its half-height h, which tells two runs apart. */
export type LondonShape = Pick<LondonBody, 'geometry' | 'halfHeight'>;

/**
 * The body's shape as the plots' titles, the text and the app's card name it: "sphere",
 * "cylinder, h = 50 R".
 */
export const londonShapeText = ({ geometry, halfHeight }: LondonShape) =>
  geometry === 'sphere' ? 'sphere' : `cylinder, h = ${halfHeight} R`;

/** The map's frame: its axes on the x-z plane through the rotation axis, its cells. */
function mapFrame(map: FieldMapGrid) {
  return {
    xLabel: 'x / R',
    yLabel: 'z / R (rotation axis)',
    xRange: map.xRange,
    yRange: [map.zRange[0], map.zRange[1]] as const,
    columns: map.size,
    rows: map.size,
  };
}

export function londonMapSvg(body: LondonBody, map: FieldMapGrid, ratios: Float64Array): string {
  return heatMap({
    title: `London field map: rotating ${londonShapeText(body)}, N = ${body.n}, N r_e/R = ${body.continuumParameter.toPrecision(4)}`,
    ...mapFrame(map),
    values: ratios,
    colourLabel: 'B_z / B_London',
  });
}

/**
 * log10 |B_z / B_London - 1| per cell, from the ratios the linear map draws (NaN outside the body, as
 * there): the deviation from London's uniform field (eq. 27-30), which a linear scale spanning the
 * surface's deviations shows as one colour inside. A cell where B_z = B_London exactly has no
 * logarithm: it takes `floor`, the least of the others' (log10 of float64's epsilon where every cell
 * is exact), and is counted in `exact`, which the map's caption gives where there are any.
 */
export function londonDeviationMap(ratios: Float64Array): {
  readonly values: Float64Array;
  readonly floor: number;
  readonly exact: number;
} {
  const values = ratios.map((ratio) => Math.log10(Math.abs(ratio - 1)));
  let floor = Infinity;
  for (const value of values) if (Number.isFinite(value)) floor = Math.min(floor, value);
  if (floor === Infinity) floor = Math.log10(Number.EPSILON);
  let exact = 0;
  values.forEach((value, cell) => {
    if (value === -Infinity) {
      values[cell] = floor;
      exact++;
    }
  });
  return { values, floor, exact };
}

/** The map of log10 |B_z / B_London - 1| (londonDeviationMap), beside londonMapSvg's. */
export function londonDeviationSvg(body: LondonBody, map: FieldMapGrid, ratios: Float64Array): string {
  const { values, floor, exact } = londonDeviationMap(ratios);
  return heatMap({
    title: `Deviation from the London field: rotating ${londonShapeText(body)}, N = ${body.n}, N r_e/R = ${body.continuumParameter.toPrecision(4)}`,
    ...mapFrame(map),
    values,
    colourLabel: 'log₁₀ |B_z / B_London − 1|',
    // Said only where there are such cells: "0 cells where ... exactly" explains nothing drawn.
    ...(exact > 0 && {
      caption: `${exact} ${exact === 1 ? 'cell' : 'cells'} where B_z = B_London exactly, drawn at the scale's floor, ${floor.toFixed(2).replace('-', '−')}`,
    }),
  });
}

/**
 * The convergence plot, titled with the body's shape (a cylinder's h), with a vertical line at each N
 * that has a map: |continuum - N r_e/R| on log axes, the N where N r_e/R lies above the continuum (a
 * long cylinder's coarse N) and those within rounding of it (drawn on the rounding's line) as their
 * own series, the fit over the N it takes, and the float64 rounding below which no digit holds.
 */
export function londonConvergenceSvg(
  shape: LondonShape,
  convergence: Pick<LondonConvergence, 'points' | 'fit' | 'rounding'>,
  mapNs: readonly number[],
  stop: SweepStop | null = null,
): string {
  const { points, fit, rounding } = convergence;
  const ns = points.map((p) => p.n);
  const resolved = (p: LondonConvergencePoint) => Math.abs(p.deviation) > rounding;
  const below = points.map((p) => (resolved(p) && p.deviation > 0 ? p.deviation : NaN));
  const above = points.map((p) => (resolved(p) && p.deviation < 0 ? -p.deviation : NaN));
  const zero = points.map((p) => (resolved(p) ? NaN : rounding));
  const allNs = [...ns, ...mapNs];
  return linePlot({
    title: sweepPlotTitle(`N r_e/R at the London field against N: ${londonShapeText(shape)}`, stop),
    xLabel: 'N (electrons)',
    yLabel: '|continuum − N r_e/R|',
    logX: true,
    logY: true,
    series: [
      ...(below.some(Number.isFinite)
        ? [{ label: 'discrete body, below the continuum', x: ns, y: below, points: true }]
        : []),
      ...(above.some(Number.isFinite)
        ? [{ label: 'discrete body, above the continuum', x: ns, y: above, points: true, colour: '#d62728' }]
        : []),
      ...(zero.some(Number.isFinite)
        ? [
            {
              label: 'within rounding of the continuum (drawn on its line)',
              x: ns,
              y: zero,
              points: true,
              line: false,
              colour: '#888',
            },
          ]
        : []),
      ...(fit
        ? [
            {
              label: `fit ${fit.coefficient.toPrecision(3)} N^${fit.exponent.toFixed(2)}`,
              x: fit.ns,
              y: fit.ns.map((n) => Math.abs(fit.coefficient) * n ** fit.exponent),
              dashed: true,
              colour: '#555',
            },
          ]
        : []),
    ],
    xRange: [Math.min(...allNs) / 1.5, Math.max(...allNs) * 1.5],
    hLines: [{ value: rounding, label: 'float64 rounding' }],
    vLines: mapNs.map((n) => ({ value: n, label: `map N = ${n}` })),
    legend: 'bottom-left',
  });
}

/** One body's map as the JSON names it ("studies": [...]). */
export function londonStudyJson(study: LondonMapStudy) {
  return {
    n: study.n,
    n_re_over_r: study.parameter,
    n_re_over_r_plain_sum: study.parameterPlainSum,
    ...(study.parameterPerLength !== null ? { n_re_over_l: study.parameterPerLength } : {}),
    centre_field_ratio: study.centreFieldRatio,
    uniformity: study.uniformity,
    uniformity_axial: study.uniformityAxial,
    uniformity_transverse: study.uniformityTransverse,
    uniformity_inner: study.uniformityInner,
    uniformity_inner_axial: study.uniformityInnerAxial,
    uniformity_inner_transverse: study.uniformityInnerTransverse,
    check: study.check,
    check_target: kLondonCheckTarget,
    within_target: withinTarget(study.check, kLondonCheckTarget),
    field_points: study.fieldPoints,
    field_ms: study.fieldMs,
  };
}

/**
 * One `warning:` line naming every map whose check is past its target, with the remedy (the CLI's
 * stderr, as scaling's check warns); null where every map is within it. The maps drawn from the
 * device's field are off by that part of the inner half's B_z spread; the numbers reported are
 * float64's all the same. A coarser --grid is no remedy: float32's rounding (some 3e-7 |B|) is much
 * the same at every point of every grid, while the sphere's inner B_z spread falls like N^-2, so the
 * check grows like N^2 (0.03 at N = 1500, 0.3 at N = 4000, at any G).
 */
export function londonCheckWarning(studies: readonly Pick<LondonMapStudy, 'n' | 'check'>[]): string | null {
  const warning = checkWarning(
    studies.map(({ n, check }) => ({
      name: `N = ${n} check`,
      error: check,
      targetName: 'its',
      target: kLondonCheckTarget,
    })),
    "the float64 check of the maps' B_z",
  );
  return (
    warning &&
    `${warning}; float32's rounding is that part of the inner half's B_z spread, which falls like N^-2 ` +
      'whatever --grid: --device cpu draws the maps from the float64 sum'
  );
}

/** The fitted law of continuum - N r_e/R and the N it was fitted to, or why there is none. */
export function londonFitText(convergence: Pick<LondonConvergence, 'fit' | 'problem'>): string {
  const { fit, problem } = convergence;
  if (!fit) return `not fitted: ${problem}`;
  const ns = `${fit.ns[0]}..${fit.ns.at(-1)}`;
  return `${fit.coefficient.toPrecision(4)} N^${fit.exponent.toFixed(3)} (fitted to N = ${ns})`;
}

/** The fit's law as text. */
export function londonLaw(convergence: LondonConvergence): string {
  const law = `${convergence.continuum.toPrecision(6)} - N r_e/R`;
  return `${law}${convergence.fit ? ' = ' : ': '}${londonFitText(convergence)}`;
}

/**
 * A deviation continuum - N r_e/R to the digits its float64 rounding leaves: none below the rounding
 * (0 ± rounding), at most five.
 */
export function londonDeviationText(deviation: number, rounding: number): string {
  if (!(Math.abs(deviation) > rounding)) return `0 ± ${rounding.toPrecision(2)}`;
  const digits = Math.floor(Math.log10(Math.abs(deviation))) + 1 - Math.ceil(Math.log10(rounding));
  return deviation.toExponential(Math.min(4, Math.max(0, digits - 1)));
}

/** N r_e / R against N as the JSON names it ("convergence"). */
export function londonConvergenceJson(convergence: LondonConvergence) {
  const { fit } = convergence;
  return {
    continuum: convergence.continuum,
    rounding: convergence.rounding,
    points: convergence.points.map((p) => ({ n: p.n, n_re_over_r: p.parameter, deviation: p.deviation })),
    fit: fit ? { exponent: fit.exponent, coefficient: fit.coefficient, ns: fit.ns } : null,
    law: londonLaw(convergence),
  };
}

/** A run's JSON as `london --json` prints it; `shard` only in a shard's, `stopped` only in a stopped one's. */
export function londonJson(run: {
  readonly device: DeviceSummary;
  readonly geometry: LondonGeometry;
  readonly halfHeight: number;
  readonly grid: number;
  readonly ns: readonly number[];
  readonly studies: readonly LondonMapStudy[];
  readonly convergence: LondonConvergence;
  readonly shard: Shard | null;
  readonly stop?: SweepStop | null;
  /** The program that computed the points: this one's, or a merge's shards' (null: they predate the key). */
  readonly version?: string | null;
}) {
  const cylinder = run.geometry === 'cylinder';
  const continuum = continuumUniformity({ geometry: run.geometry, halfHeight: run.halfHeight }, run.grid);
  return {
    ...studyReportHeader({ command: 'london', stop: run.stop, version: run.version }),
    device: run.device,
    geometry: run.geometry,
    half_height: cylinder ? run.halfHeight : null,
    grid: run.grid,
    ...(run.shard ? { ns: run.ns, shard: shardJson(run.shard) } : {}),
    map: {
      plane: 'x-z (y = 0), through the rotation axis',
      extent: kMapExtent,
      inner_extent: kMapExtent / 2,
      region: cylinder
        ? '|x| <= extent R, |z| <= extent h R (the inner half: inner_extent)'
        : 'r <= extent R (the inner half: inner_extent)',
      units: 'R (the sphere or cylinder radius)',
    },
    continuum_n_re_over_r: run.convergence.continuum,
    ...(cylinder ? { continuum_n_re_over_l: run.convergence.continuum / (2 * run.halfHeight) } : {}),
    // The continuous body's own field on the same grid: uniform in the sphere (eq. 29), not in a finite
    // cylinder, whose map shows its lateral sheet's field whatever N.
    continuum_uniformity: continuum.all,
    continuum_uniformity_inner: continuum.inner,
    london_field: 'B_London = 2 m Omega / |e| (eq. 27 in SI)',
    studies: run.studies.map(londonStudyJson),
    convergence: londonConvergenceJson(run.convergence),
    files: [] as string[],
  } satisfies StudyReport;
}

export type LondonJson = ReturnType<typeof londonJson>;

/** A map's numbers back from its JSON (the inverse of londonStudyJson, NaN where the JSON has null). */
function londonStudyFromJson(study: LondonJson['studies'][number]): LondonMapStudy {
  return {
    n: study.n,
    parameter: study.n_re_over_r,
    parameterPlainSum: finiteOrNaN(study.n_re_over_r_plain_sum),
    parameterPerLength: study.n_re_over_l ?? null,
    centreFieldRatio: finiteOrNaN(study.centre_field_ratio),
    uniformity: finiteOrNaN(study.uniformity),
    uniformityAxial: finiteOrNaN(study.uniformity_axial),
    uniformityTransverse: finiteOrNaN(study.uniformity_transverse),
    uniformityInner: finiteOrNaN(study.uniformity_inner),
    uniformityInnerAxial: finiteOrNaN(study.uniformity_inner_axial),
    uniformityInnerTransverse: finiteOrNaN(study.uniformity_inner_transverse),
    check: finiteOrNaN(study.check),
    fieldPoints: study.field_points,
    fieldMs: study.field_ms,
  };
}

/** A point of the convergence list back from its JSON. */
function convergencePointFromJson(point: LondonJson['convergence']['points'][number]) {
  return { n: point.n, parameter: point.n_re_over_r, deviation: point.deviation };
}

/**
 * A map's JSON as this version names its keys: a run saved while the centre's N r_e/R was called
 * `n_re_over_r_device` has that key renamed, so that its file still loads and merges; anything but
 * an object is left for the readers to refuse.
 */
function withCurrentMapKeys(study: unknown): unknown {
  if (typeof study !== 'object' || study === null || !('n_re_over_r_device' in study)) return study;
  const { n_re_over_r_device: plainSum, ...rest } = study as Record<string, unknown>;
  return { n_re_over_r_plain_sum: plainSum, ...rest };
}

/** The uniformity's parts in a map's JSON, which runs saved before they were reported lack. */
const kUniformityPartKeys = [
  'uniformity_axial',
  'uniformity_transverse',
  'uniformity_inner_axial',
  'uniformity_inner_transverse',
] as const;

/**
 * A whole run's `london --json` read back (the app's Files › load): its body and grid, the numbers
 * of each map (not the maps: the JSON holds none) and the convergence list, its fit recomputed as
 * merge does. A shard, or a file that is not what the command writes, is refused in one line
 * (field 'result').
 */
export function londonFromJson(
  json: Record<string, unknown>,
  name: string,
): {
  readonly json: LondonJson;
  readonly studies: LondonMapStudy[];
  readonly convergence: LondonConvergence;
} {
  const refuse = (why: string) => new InputError(`${name}: ${why}`, 'result');
  const { stop } = savedStudyReport(json, name, 'london');
  const geometry = json.geometry;
  if (typeof geometry !== 'string' || !isLondonGeometry(geometry))
    throw refuse('no London body (sphere or cylinder)');
  // A run saved before the uniformity was split into its B_z and transverse parts has no such keys:
  // read as not given (null), so that its file still loads.
  const studies = Array.isArray(json.studies)
    ? json.studies.map(withCurrentMapKeys).map((study: unknown) =>
        typeof study === 'object' && study !== null
          ? {
              ...Object.fromEntries(kUniformityPartKeys.map((key) => [key, null])),
              ...(study as Record<string, unknown>),
            }
          : study,
      )
    : json.studies;
  const run = { ...json, studies } as unknown as LondonJson;
  // null stands for a number that was not finite (toJson), as merge reads it.
  const mapNumbers = [
    'n_re_over_r_plain_sum',
    'centre_field_ratio',
    'uniformity',
    'uniformity_axial',
    'uniformity_transverse',
    'uniformity_inner',
    'uniformity_inner_axial',
    'uniformity_inner_transverse',
    'check',
  ];
  if (
    !Array.isArray(run.studies) ||
    run.studies.length === 0 ||
    !run.studies.every((s) => holdsNumbers(s, ['n', 'n_re_over_r', 'field_points', 'field_ms'], mapNumbers))
  )
    throw refuse('no maps as london --json writes them');
  const points = (run.convergence as { points?: unknown } | undefined)?.points;
  // A long cylinder's list may hold fewer than two N (only N >= h make one): its law says why.
  if (!Array.isArray(points) || !points.every((p) => holdsNumbers(p, ['n', 'n_re_over_r', 'deviation'])))
    throw refuse('no convergence list as london --json writes it');
  const halfHeight = run.half_height;
  if (geometry === 'cylinder' && !(typeof halfHeight === 'number' && halfHeight > 0))
    throw refuse('no cylinder half-height');
  const lack =
    gridLack(run.grid) ??
    sweepValuesLack(
      run.studies.map((study) => study.n),
      (k) => `studies[${k}].n`,
      electronsProblem,
    ) ??
    sweepValuesLack(
      run.convergence.points.map((point) => point.n),
      (k) => `convergence.points[${k}].n`,
      electronsProblem,
      { ascending: true },
    );
  if (lack !== null) throw refuse(`${lack}, not what london --json writes`);
  // A run stopped with none of its list finished says so, as it did when it ran.
  const listPoints = run.convergence.points.map(convergencePointFromJson);
  const stoppedBefore = stop !== null && listPoints.length === 0;
  const convergence = summariseLondonConvergence(
    geometry,
    halfHeight ?? 1,
    listPoints,
    stoppedBefore ? 'stopped' : null,
  );
  return { json: run, studies: run.studies.map(londonStudyFromJson), convergence };
}

// What merge and its reports read of a map and a point of the list: a file lacking one would stop
// them halfway with a TypeError, or print NaN (null for a uniformity). Null stands for a number that was
// not finite: the check may be (its spread 0), and a run saved before the centre field was summed in
// float64 may hold the float32 device's N r_e/R so; a map's ratios are not.
const kMapFields: Record<string, FieldKind> = {
  n: 'number',
  n_re_over_r: 'number',
  n_re_over_r_plain_sum: 'number?',
  centre_field_ratio: 'number',
  uniformity: 'number',
  uniformity_axial: 'number',
  uniformity_transverse: 'number',
  uniformity_inner: 'number',
  uniformity_inner_axial: 'number',
  uniformity_inner_transverse: 'number',
  check: 'number?',
  field_points: 'number',
  field_ms: 'number',
};
const kConvergencePointFields: Record<string, FieldKind> = {
  n: 'number',
  n_re_over_r: 'number',
  deviation: 'number',
};

/**
 * What a saved run's "grid" lacks of the range --grid takes, in words; null if nothing: the app builds
 * G x G field points per body from it as the file loads.
 */
function gridLack(grid: unknown): string | null {
  if (typeof grid !== 'number') return 'grid is not a number';
  const problem = integerRangeProblem(kLondonGrid, grid);
  return problem === null ? null : `grid is ${grid}: ${problem}`;
}

/** Why a body's N is refused by the range --n takes, or null. */
const electronsProblem: Check = (n) => integerRangeProblem(kLondonElectrons, n);

/**
 * What a shard's maps and share of the convergence list lack of the N its run gives each, in words;
 * null if nothing: the sweep runs a map per "ns", then the list (runLondon); the shard is merge's,
 * already read as {index, count}.
 */
function shardBodiesLack(json: Record<string, unknown>, geometry: LondonGeometry, halfHeight: number) {
  const ns = json.ns as number[];
  const shard = json.shard as Shard;
  const points = (json.convergence as { points: Record<string, unknown>[] }).points;
  return (
    shardPointsLack(json.studies as Record<string, unknown>[], 'studies', 'n', ns, 0, shard) ??
    shardPointsLack(
      points,
      'convergence.points',
      'n',
      londonConvergenceNs(geometry, halfHeight),
      ns.length,
      shard,
    )
  );
}

/**
 * One shard of `london --shard K/N --json` read for merge (`name`, its file): its body, grid, the
 * run's N, its maps and its share of the convergence list, field by field, each at the N its run
 * gives it. A file that lacks a field merge or its reports read is refused in one line that names
 * it (field 'shards').
 */
export function londonShardFromJson(saved: Record<string, unknown>, name: string): LondonJson {
  const json = Array.isArray(saved.studies)
    ? { ...saved, studies: saved.studies.map(withCurrentMapKeys) }
    : saved;
  const { geometry, half_height: halfHeight } = json;
  const body = geometry as LondonGeometry;
  const h = (halfHeight as number | null) ?? 1;
  const lack =
    (typeof geometry === 'string' && isLondonGeometry(geometry)
      ? null
      : `geometry is ${JSON.stringify(geometry)}, not sphere or cylinder`) ??
    ((geometry === 'cylinder' ? typeof halfHeight === 'number' && halfHeight > 0 : halfHeight === null)
      ? null
      : `half_height is ${JSON.stringify(halfHeight)}, not a cylinder's h > 0 or a sphere's null`) ??
    gridLack(json.grid) ??
    listLack(json, '', 'ns', () => null) ??
    sweepValuesLack(json.ns as unknown[], (k) => `ns[${k}]`, electronsProblem) ??
    listLack(json, '', 'studies', (map, path) => objectLack(map, path, kMapFields), { empty: true }) ??
    objectLack(json.convergence, 'convergence', {}) ??
    listLack(
      json.convergence as Record<string, unknown>,
      'convergence',
      'points',
      (point, path) => objectLack(point, path, kConvergencePointFields),
      { empty: true },
    ) ??
    shardBodiesLack(json, body, h);
  if (lack !== null) throw new InputError(`${name}: not a london shard (${lack})`, 'shards');
  return json as unknown as LondonJson;
}

/**
 * The shards of one `london --shard K/N` run joined into the JSON one run prints: the maps and the
 * convergence list interleaved back into their order, the power law refitted to all points. A
 * shard's JSON lists the run's bodies ("ns"), so the bodies and the list can be told apart.
 */
export function mergeLondon(shards: readonly LondonJson[]): {
  readonly json: LondonJson;
  readonly studies: LondonMapStudy[];
  readonly convergence: LondonConvergence;
} {
  const first = shards[0];
  sameInShards(shards, (json) => json.geometry, 'geometry');
  sameInShards(shards, (json) => json.half_height, 'half-height');
  sameInShards(shards, (json) => json.grid, 'grid');
  sameInShards(shards, (json) => json.ns, 'N');
  if (!first.ns) throw new InputError('merge: a london JSON without "ns" is not a shard', 'shards');
  const geometry = first.geometry;
  if (!isLondonGeometry(geometry)) throw new InputError(`merge: unknown geometry '${geometry}'`, 'shards');
  const joined = joinShards(
    shards.map((json) => {
      if (!json.shard) throw new InputError('merge: a london JSON without "shard" is not a shard', 'shards');
      return {
        shard: json.shard,
        points: [
          ...json.studies.map((study) => ({ study, point: null })),
          ...json.convergence.points.map((point) => ({ study: null, point })),
        ],
      };
    }),
  );
  const studies: LondonMapStudy[] = joined.flatMap(({ study }) =>
    study ? [londonStudyFromJson(study)] : [],
  );
  const halfHeight = first.half_height ?? 1;
  const convergence = summariseLondonConvergence(
    geometry,
    halfHeight,
    joined.flatMap(({ point }) => (point ? [convergencePointFromJson(point)] : [])),
  );
  const json = londonJson({
    device: first.device,
    geometry,
    halfHeight,
    grid: first.grid,
    ns: first.ns,
    studies,
    convergence,
    shard: null,
    // One program's: merge refuses shards whose "version" differs.
    version: first.version ?? null,
  });
  return { json, studies, convergence };
}

const londonMapName = (geometry: LondonGeometry, n: number) => `london-${geometry}-n${n}.svg`;
const londonDeviationName = (geometry: LondonGeometry, n: number) => `london-${geometry}-n${n}-deviation.svg`;
const londonConvergenceName = (geometry: LondonGeometry) => `london-${geometry}-convergence.svg`;

/**
 * The names londonFiles gives the maps it is handed, bodies of `mappedNs` electrons (a run's, or a
 * shard's share; none for a merge), each's linear map and its deviation's, and the list's plot, in its
 * order.
 */
export function londonFileNames(
  geometry: LondonGeometry,
  mappedNs: readonly number[],
  withConvergence = true,
): string[] {
  const maps = mappedNs.flatMap((n) => [londonMapName(geometry, n), londonDeviationName(geometry, n)]);
  return withConvergence ? [...maps, londonConvergenceName(geometry)] : maps;
}

/**
 * The maps' and the list's plot files, name and text; a shard's (`convergence` null) its maps alone.
 * A stopped sweep's list plot says so in its title (each map it drew is whole).
 */
export function londonFiles(
  shape: LondonShape,
  maps: readonly Pick<LondonMap, 'body' | 'grid' | 'ratios'>[],
  convergence: LondonConvergence | null,
  mapNs: readonly number[],
  stop: SweepStop | null = null,
): [string, string][] {
  const { geometry } = shape;
  const mapFiles = maps.flatMap((map): [string, string][] => [
    [londonMapName(geometry, map.body.n), londonMapSvg(map.body, map.grid, map.ratios)],
    [londonDeviationName(geometry, map.body.n), londonDeviationSvg(map.body, map.grid, map.ratios)],
  ]);
  if (!convergence) return mapFiles;
  return [
    ...mapFiles,
    [londonConvergenceName(geometry), londonConvergenceSvg(shape, convergence, mapNs, stop)],
  ];
}

/** A map's uniformity over the map, its B_z and transverse parts, then the same in its inner half. */
const uniformityParts = (s: LondonMapStudy) => [
  s.uniformity,
  s.uniformityAxial,
  s.uniformityTransverse,
  s.uniformityInner,
  s.uniformityInnerAxial,
  s.uniformityInnerTransverse,
];

/**
 * What the continuous body's own field is on the map: the sphere's uniform inside (eq. 29), a finite
 * cylinder's lateral sheet's not, its uniformity (continuumUniformity) over the map and its inner half.
 */
export function londonContinuumFieldText(
  geometry: LondonGeometry,
  uniformity: { readonly all: number; readonly inner: number },
): string {
  return geometry === 'sphere'
    ? 'its field uniform inside (eq. 29)'
    : `its field not uniform: ${f(uniformity.all, 3)} over the map, ` +
        `${f(uniformity.inner, 3)} in the inner half (a finite sheet is no London body)`;
}

/**
 * The text report: the body (londonShapeText, as the plots name it) and its continuous counterpart,
 * for a run a signal or Stop ended early the line saying how far it got, the maps' numbers, then
 * N r_e/R against N (each deviation to the digits its rounding leaves) and its fit.
 */
export function londonText(
  run: Pick<
    LondonJson,
    'geometry' | 'half_height' | 'continuum_uniformity' | 'continuum_uniformity_inner' | 'files' | 'stopped'
  >,
  studies: readonly LondonMapStudy[],
  convergence: LondonConvergence,
): string {
  const { geometry } = run;
  const { continuum } = convergence;
  const halfHeight = run.half_height ?? 1;
  const perLength =
    geometry === 'cylinder'
      ? `, N r_e/l = ${(continuum / (2 * halfHeight)).toPrecision(6)} (length l = 2h = ${2 * halfHeight} R)`
      : '';
  const counterpart = londonContinuumFieldText(geometry, {
    all: run.continuum_uniformity,
    inner: run.continuum_uniformity_inner,
  });
  const e = (x: number, width: number) => x.toExponential(2).padStart(width);
  const lines = [
    `London moment, rotating ${londonShapeText({ geometry, halfHeight })}: B_z / B_London on the map`,
    ...(run.stopped ? [stoppedLine(run.stopped)] : []),
    `continuous body: N r_e/R = ${continuum.toPrecision(6)}${perLength}; ${counterpart}`,
    '',
    '                                         uniformity |B - B_c|/|B_c|: map          inner half',
    '       N   N r_e/R (f64)   B_c/B_London      all     B_z    B_xy      all     B_z    B_xy      check',
  ];
  for (const s of studies) {
    lines.push(
      [
        String(s.n).padStart(8),
        s.parameter.toPrecision(9).padStart(15),
        s.centreFieldRatio.toPrecision(8).padStart(14),
        ...uniformityParts(s).map((x, k) => e(x, k % 3 === 0 ? 8 : 7)),
        s.check.toExponential(2).padStart(10),
      ].join(' '),
    );
  }
  lines.push(
    `check: the B_z the maps draw against float64, over the inner half's B_z spread (target ${kLondonCheckTarget})`,
  );
  // No list (a run stopped before it, a cylinder too long for any of its N): its fit says why.
  if (convergence.points.length > 0) lines.push('', '       N   N r_e/R          continuum - N r_e/R');
  for (const p of convergence.points) {
    const deviation = londonDeviationText(p.deviation, convergence.rounding);
    lines.push(`${String(p.n).padStart(8)}   ${p.parameter.toPrecision(12).padEnd(15)}  ${deviation}`);
  }
  lines.push('', `fit: ${londonLaw(convergence)}`);
  if (run.files.length) lines.push('', 'wrote:', ...run.files.map((file) => `  ${file}`));
  return lines.join('\n') + '\n';
}

/**
 * The README's table: per body N r_e/R, the uniformity of its field with its B_z (what the map draws)
 * and transverse parts, and the check of the device's field sum, which draws the map, against the
 * float64 one, over the inner half's B_z spread (on the CPU the same sum: 0).
 */
export function londonMarkdown(
  geometry: LondonGeometry,
  studies: readonly LondonMapStudy[],
  device: Pick<DeviceSummary, 'kind'>,
): string {
  const [map, inner] = geometry === 'sphere' ? ['0.9 R', '0.45 R'] : ['0.9 R, 0.9 h', '0.45 R, 0.45 h'];
  return markdownTable(
    [
      'N',
      'N r_e/R',
      `uniformity (${map})`,
      'B_z part',
      'transverse',
      `uniformity (${inner})`,
      'B_z part',
      'transverse',
      `${device.kind.toUpperCase()} map vs float64 (/ inner B_z spread)`,
    ],
    studies.map((s) => [
      String(s.n),
      f(s.parameter, 10),
      ...uniformityParts(s).map((x) => f(x, 2)),
      f(s.check, 2),
    ]),
  );
}
