// The London study's report, shared by the CLI and the app's Studies panel: its JSON (`london --json`,
// snake_case as scripts read it), the text table, and the plots (`london --out DIR`): the map of
// B_z / B_London over the x-z plane of one body, beside it the map of log10 |B_z / B_London - 1|, and
// the distance of N r_e/R from its continuum value against N.
import type { DeviceSummary } from '../../io/formats.ts';
import { heatMap, linePlot } from '../../io/svg.ts';
import { InputError } from '../../physics/input-error.ts';
import {
  isLondonGeometry,
  kMapExtent,
  type FieldMapGrid,
  type LondonBody,
  type LondonGeometry,
} from '../../physics/london.ts';
import { markdownNumber as f, markdownTable } from '../markdown.ts';
import {
  holdsNumbers,
  joinShards,
  sameInShards,
  savedRunDevice,
  shardJson,
  stoppedJson,
  stoppedLine,
  type Shard,
  type SweepStop,
} from '../study.ts';
import {
  summariseLondonConvergence,
  type LondonConvergence,
  type LondonMap,
  type LondonMapStudy,
} from './run.ts';

/** A body's shape and size: the sphere, or the cylinder with its half-height h, which tells two runs apart. */
type LondonShape = Pick<LondonBody, 'geometry' | 'halfHeight'>;

const shapeText = ({ geometry, halfHeight }: LondonShape) =>
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
    title: `London field map: rotating ${shapeText(body)}, N = ${body.n}, N r_e/R = ${body.continuumParameter.toPrecision(4)}`,
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
 * is exact), and is counted in `exact`.
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
    title: `Deviation from the London field: rotating ${shapeText(body)}, N = ${body.n}, N r_e/R = ${body.continuumParameter.toPrecision(4)}`,
    ...mapFrame(map),
    values,
    colourLabel: 'log₁₀ |B_z / B_London − 1|',
    caption: `${exact} ${exact === 1 ? 'cell' : 'cells'} where B_z = B_London exactly, drawn at the scale's floor, ${floor.toFixed(2).replace('-', '−')}`,
  });
}

/** The convergence plot, with a vertical line at each N that has a map. */
export function londonConvergenceSvg(
  shape: LondonShape,
  convergence: Pick<LondonConvergence, 'points' | 'fit'>,
  mapNs: readonly number[],
): string {
  const { points, fit } = convergence;
  const ns = points.map((p) => p.n);
  return linePlot({
    title: `N r_e/R at the London field against N: ${shapeText(shape)}`,
    xLabel: 'N (electrons)',
    yLabel: '|continuum − N r_e/R|',
    logX: true,
    logY: true,
    series: [
      { label: 'discrete body (float64)', x: ns, y: points.map((p) => Math.abs(p.deviation)), points: true },
      // A shard may hold fewer than the two N the fit needs.
      ...(Number.isFinite(fit.exponent)
        ? [
            {
              label: `fit ${fit.coefficient.toPrecision(3)} N^${fit.exponent.toFixed(2)}`,
              x: ns,
              y: ns.map((n) => fit.coefficient * n ** fit.exponent),
              dashed: true,
            },
          ]
        : []),
    ],
    vLines: mapNs.map((n) => ({ value: n, label: `map N = ${n}` })),
    legend: 'bottom-left',
  });
}

/** One body's map as the JSON names it ("studies": [...]). */
export function londonStudyJson(study: LondonMapStudy) {
  return {
    n: study.n,
    n_re_over_r: study.parameter,
    n_re_over_r_device: study.parameterDevice,
    ...(study.parameterPerLength !== null ? { n_re_over_l: study.parameterPerLength } : {}),
    centre_field_ratio: study.centreFieldRatio,
    uniformity: study.uniformity,
    uniformity_inner: study.uniformityInner,
    check: study.check,
    field_points: study.fieldPoints,
    field_ms: study.fieldMs,
  };
}

/** The fit's law as text. */
export function londonLaw(convergence: LondonConvergence): string {
  const { continuum, fit, points } = convergence;
  if (!Number.isFinite(fit.exponent)) {
    return `${continuum.toPrecision(6)} - N r_e/R = b N^p: not fitted, ${points.length} N here and the fit needs two`;
  }
  return `${continuum.toPrecision(6)} - N r_e/R = ${fit.coefficient.toPrecision(4)} N^${fit.exponent.toFixed(3)}`;
}

/** N r_e / R against N as the JSON names it ("convergence"). */
export function londonConvergenceJson(convergence: LondonConvergence) {
  return {
    continuum: convergence.continuum,
    points: convergence.points.map((p) => ({ n: p.n, n_re_over_r: p.parameter, deviation: p.deviation })),
    fit: convergence.fit,
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
}) {
  return {
    command: 'london',
    ...stoppedJson(run.stop ?? null),
    device: run.device,
    geometry: run.geometry,
    half_height: run.geometry === 'cylinder' ? run.halfHeight : null,
    grid: run.grid,
    ...(run.shard ? { ns: run.ns, shard: shardJson(run.shard) } : {}),
    map: {
      plane: 'x-z (y = 0), through the rotation axis',
      extent: kMapExtent,
      inner_extent: kMapExtent / 2,
      units: 'R (the sphere or cylinder radius)',
    },
    continuum_n_re_over_r: run.convergence.continuum,
    london_field: 'B_London = 2 m Omega / |e| (eq. 27 in SI)',
    studies: run.studies.map(londonStudyJson),
    convergence: londonConvergenceJson(run.convergence),
    files: [] as string[],
  };
}

export type LondonJson = ReturnType<typeof londonJson>;

const finite = (x: number | null): number => (x === null ? NaN : x);

/** A map's numbers back from its JSON (the inverse of londonStudyJson, NaN where the JSON has null). */
function londonStudyFromJson(study: LondonJson['studies'][number]): LondonMapStudy {
  return {
    n: study.n,
    parameter: study.n_re_over_r,
    parameterDevice: finite(study.n_re_over_r_device),
    parameterPerLength: study.n_re_over_l ?? null,
    centreFieldRatio: finite(study.centre_field_ratio),
    uniformity: finite(study.uniformity),
    uniformityInner: finite(study.uniformity_inner),
    check: finite(study.check),
    fieldPoints: study.field_points,
    fieldMs: study.field_ms,
  };
}

/** A point of the convergence list back from its JSON. */
function convergencePointFromJson(point: LondonJson['convergence']['points'][number]) {
  return { n: point.n, parameter: point.n_re_over_r, deviation: point.deviation };
}

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
  savedRunDevice(json, name);
  const geometry = json.geometry;
  if (typeof geometry !== 'string' || !isLondonGeometry(geometry))
    throw refuse('no London body (sphere or cylinder)');
  const run = json as unknown as LondonJson;
  // null stands for a number that was not finite (toJson), as merge reads it.
  const mapNumbers = ['n_re_over_r_device', 'centre_field_ratio', 'uniformity', 'uniformity_inner', 'check'];
  if (
    !Array.isArray(run.studies) ||
    run.studies.length === 0 ||
    !run.studies.every((s) => holdsNumbers(s, ['n', 'n_re_over_r', 'field_points', 'field_ms'], mapNumbers))
  )
    throw refuse('no maps as london --json writes them');
  const points = (run.convergence as { points?: unknown } | undefined)?.points;
  // The fit c - b N^p needs two points.
  if (
    !Array.isArray(points) ||
    points.length < 2 ||
    !points.every((p) => holdsNumbers(p, ['n', 'n_re_over_r', 'deviation']))
  )
    throw refuse('no convergence list as london --json writes it');
  const halfHeight = run.half_height;
  if (
    !Number.isSafeInteger(run.grid) ||
    (geometry === 'cylinder' && !(typeof halfHeight === 'number' && halfHeight > 0))
  )
    throw refuse('no grid (or cylinder half-height)');
  const convergence = summariseLondonConvergence(
    geometry,
    halfHeight ?? 1,
    run.convergence.points.map(convergencePointFromJson),
  );
  return { json: run, studies: run.studies.map(londonStudyFromJson), convergence };
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

/** The maps' and the list's plot files, name and text; a shard's (`convergence` null) its maps alone. */
export function londonFiles(
  shape: LondonShape,
  maps: readonly Pick<LondonMap, 'body' | 'grid' | 'ratios'>[],
  convergence: LondonConvergence | null,
  mapNs: readonly number[],
): [string, string][] {
  const { geometry } = shape;
  const mapFiles = maps.flatMap((map): [string, string][] => [
    [londonMapName(geometry, map.body.n), londonMapSvg(map.body, map.grid, map.ratios)],
    [londonDeviationName(geometry, map.body.n), londonDeviationSvg(map.body, map.grid, map.ratios)],
  ]);
  if (!convergence) return mapFiles;
  return [...mapFiles, [londonConvergenceName(geometry), londonConvergenceSvg(shape, convergence, mapNs)]];
}

/** The text report: the maps' numbers, then N r_e/R against N and its fit. */
export function londonText(
  geometry: LondonGeometry,
  studies: readonly LondonMapStudy[],
  convergence: LondonConvergence,
  files: readonly string[],
  stop: SweepStop | null = null,
): string {
  const lines = [
    `London moment, rotating ${geometry}: B_z / B_London on the map, N r_e/R = ${convergence.continuum.toPrecision(6)}`,
    ...(stop ? [stoppedLine(stop)] : []),
    '',
    '       N   N r_e/R (f64)   B_c/B_London    uniformity   inner half        check',
  ];
  for (const s of studies) {
    lines.push(
      [
        String(s.n).padStart(8),
        s.parameter.toPrecision(9).padStart(15),
        s.centreFieldRatio.toPrecision(8).padStart(14),
        s.uniformity.toExponential(3).padStart(13),
        s.uniformityInner.toExponential(3).padStart(12),
        s.check.toExponential(2).padStart(12),
      ].join(' '),
    );
  }
  lines.push('', '       N   N r_e/R          continuum - N r_e/R');
  for (const p of convergence.points) {
    lines.push(
      `${String(p.n).padStart(8)}   ${p.parameter.toPrecision(12).padEnd(15)}  ${p.deviation.toExponential(4)}`,
    );
  }
  lines.push('', `fit: ${londonLaw(convergence)}`);
  if (files.length) lines.push('', 'wrote:', ...files.map((f) => `  ${f}`));
  return lines.join('\n') + '\n';
}

/**
 * The README's table: per body N r_e/R, the uniformity of its field and the check of the device's
 * field sum against the float64 one (on the CPU the same sum: rounding only).
 */
export function londonMarkdown(
  studies: readonly LondonMapStudy[],
  device: Pick<DeviceSummary, 'kind'>,
): string {
  return markdownTable(
    ['N', 'N r_e/R', 'uniformity (0.9 R)', 'uniformity (0.45 R)', `${device.kind.toUpperCase()} vs float64`],
    studies.map((s) => [
      String(s.n),
      f(s.parameter, 10),
      f(s.uniformity, 2),
      f(s.uniformityInner, 2),
      f(s.check, 2),
    ]),
  );
}
