// The scaling study's report (`scaling --json`, `--out DIR`, the text table), shared by the CLI and the app:
//   JSON  {"studies": [{"geometry", "model", "dimension", "points": [{"n", "lambda_max", "lambda_min",
//         "rigid_rotation_quotient", ...}], "fit": {"law", "coefficient", "uncertainty", ...},
//         "critical_radius_m", "paper_radius_m", ...}]}   (scripts rely on these names)
//   CSV   one row per point of every study.
//   SVG   per study, lambda_max against N (log-log) and lambda_max / N against N.
import { kPalette, linePlot, type PlotSeries, type ReferenceLine } from '../../io/svg.ts';
import { deviceName, type DeviceSummary } from '../../io/formats.ts';
import { InputError } from '../../physics/input-error.ts';
import { isModelName, kModelNames, type ModelName } from '../../physics/models.ts';
import {
  isScalingGeometry,
  ringLambdaMaxAsymptotic,
  scalingLaw,
  type ScalingGeometry,
} from '../../physics/scaling.ts';
import { kCheckMaxUnknowns, kSampledCheckElectrons, withinTarget } from '../../run/check.ts';
import { checkWarning } from '../../run/report.ts';
import type { LanczosReason } from '../../solvers/types.ts';
import { markdownNumber as f, markdownTable } from '../markdown.ts';
import {
  isObject,
  joinShards,
  listLack,
  objectLack,
  integerRangeProblem,
  pointCheck,
  pointWithinTarget,
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
import { kScalingElectrons, kScalingMinElectrons, type ScalingSweep } from './spec.ts';
import { covarianceAlone, fittedCoefficient, type LawFit } from '../fits.ts';
import {
  fittedPoints,
  kFitFromN,
  summariseStudy,
  type MinimumModeName,
  type ModeName,
  type ScalingPoint,
  type ScalingStudy,
} from './run.ts';

/** The equation of sec. IV.C that gives the paper's size in dimension d. */
const kPaperEquation: Record<number, string> = { 1: '53', 2: '54', 3: '55' };

function fitJson(fit: LawFit | null) {
  if (!fit) return null;
  return {
    law: fit.law.text,
    coefficient: fit.coefficient,
    uncertainty: fit.uncertainty,
    uncertainty_covariance: fit.uncertaintyCovariance,
    uncertainty_window: fit.uncertaintyWindow,
    window_refits: fit.windowRefits,
    uncertainty_systematic: fit.uncertaintySystematic,
    uncertainty_note:
      'sqrt(covariance^2 + window^2): the standard error from the fit covariance (residual variance) ' +
      'and the largest change when the smallest N are dropped (window_refits refits; none: covariance alone); ' +
      'uncertainty_systematic apart: |free_exponent_coefficient - coefficient|, the coefficient with the ' +
      "law's exponent free too (the fixed exponent's fit undershoots larger N); R* and the London ratio " +
      'take both in quadrature',
    theory: fit.law.theory ?? null,
    parameters: Object.fromEntries(fit.law.parameters.map((name, k) => [name, fit.parameters[k]])),
    exponent: fit.law.exponent ?? null,
    free_exponent: fit.freeExponent,
    free_exponent_coefficient: fit.freeExponentCoefficient,
    rms_residual: fit.rmsResidual,
    n_from: fit.nFrom,
    n_to: fit.nTo,
    points: fit.points,
  };
}

function pointJson(point: ScalingPoint) {
  return {
    n: point.n,
    unknowns: point.unknowns,
    lambda_max: point.lambdaMax,
    lambda_min: point.lambdaMin,
    lambda_max_over_n: point.coherentCoefficient,
    rigid_rotation_quotient: point.rigidRotationQuotient,
    translation_quotient: point.translationQuotient,
    nearest_neighbour_distance: point.nearestNeighbourMean,
    nearest_neighbour_min: point.nearestNeighbourMin,
    minimum_constant: point.minimumConstant,
    mode: point.mode,
    overlaps: point.overlaps && {
      translation: point.overlaps.translation,
      rotation: point.overlaps.rotation,
      rigid_rotation: point.overlaps.rigidRotation,
      azimuthal_translation: point.overlaps.azimuthalTranslation,
      translation_rotation: point.overlaps.translationRotation,
    },
    minimum_mode: point.minimumMode,
    minimum_overlaps: point.minimumOverlaps,
    participation_max: point.participationMax,
    participation_min: point.participationMin,
    exact_lambda_max: point.exactLambdaMax,
    exact_lambda_min: point.exactLambdaMin,
    london_inertia_ratio: point.londonInertiaRatio,
    lanczos: {
      iterations: point.lanczos.iterations,
      converged: point.lanczos.converged,
      reason: point.lanczos.reason,
      residual_bound_min: point.lanczos.residualMin,
      residual_bound_max: point.lanczos.residualMax,
    },
    // The float64 check of lambda_min and lambda_max (the larger error), or past the dense reference
    // the extreme Ritz pairs' sampled residual, what it is held to, and whether it is within.
    check: point.check,
    sampled_residual: point.sampledResidual,
    check_target: point.checkTarget,
    within_target: pointWithinTarget(point),
    check_ms: point.checkMilliseconds,
    // The two quotients' larger relative error against the dense float64 reference's (no target).
    quotient_check: point.quotientCheck,
    ms: point.milliseconds,
  };
}

/** One study as the JSON contract names it. */
function scalingStudyJson(study: ScalingStudy) {
  const radius = study.criticalRadius;
  return {
    geometry: study.geometry,
    model: study.model,
    dimension: study.dimension,
    velocity_components: study.velocityComponents,
    points: study.points.map(pointJson),
    fit: fitJson(study.fit),
    ring_constant: study.ringConstant,
    critical_radius_m: radius ? radius.metres : null,
    critical_radius_log10_m: radius ? radius.log10Metres : null,
    critical_radius_log10_uncertainty: radius ? radius.log10Uncertainty : null,
    critical_radius_log10_bohr: radius ? radius.log10Bohr : null,
    critical_electrons_log10: radius ? radius.log10Electrons : null,
    critical_radius_leading_m: study.leadingCriticalRadiusMetres,
    paper_radius_m: study.paperRadiusMetres,
    paper_equation: kPaperEquation[study.dimension],
    lambda_min_law: {
      law: 'lambda_min = -kappa / d_nn (d_nn: mean nearest-neighbour distance)',
      kappa: study.minimumConstant?.kappa ?? null,
      uncertainty: study.minimumConstant?.uncertainty ?? null,
      kappa_closest_pair: study.minimumConstant?.kappaClosestPair ?? null,
      bottom_mode_localized: study.minimumConstant?.localized ?? null,
      note:
        'M = D + eps T turns indefinite at eps = 1/|lambda_min|: nearest neighbours closer than kappa r_e, ' +
        'or, where the bottom mode is localised (bottom_mode_localized), the closest pair closer than ' +
        'kappa_closest_pair r_e; from the points whose Lanczos converged (null where none did)',
    },
    rotation_fit: fitJson(study.rotationFit),
    london_inertia_ratio: study.londonInertiaRatio,
    ms: study.milliseconds,
  };
}

const kCsvColumns = [
  'geometry',
  'model',
  'dimension',
  'n',
  'unknowns',
  'lambda_max',
  'lambda_min',
  'lambda_max_over_n',
  'rigid_rotation_quotient',
  'translation_quotient',
  'nearest_neighbour_distance',
  'minimum_constant',
  'overlap_translation',
  'overlap_rotation',
  'overlap_rigid_rotation',
  'overlap_azimuthal_translation',
  'overlap_translation_rotation',
  'mode',
  'minimum_mode',
  'participation_max',
  'participation_min',
  'london_inertia_ratio',
  'iterations',
  'converged',
  'check',
  'sampled_residual',
  'check_target',
  'within_target',
  'quotient_check',
] as const;

/**
 * A cell empty where the JSON has null: for null, and for a number that is not finite, which toJson
 * writes as null (a point read back from null holds NaN).
 */
function csvCell(cell: string | number | boolean | null): string {
  return cell === null || (typeof cell === 'number' && !Number.isFinite(cell)) ? '' : String(cell);
}

/** Every point of every study, one row each. */
export function scalingCsv(studies: readonly ScalingStudy[]): string {
  const lines: string[] = [kCsvColumns.join(',')];
  for (const study of studies) {
    for (const p of study.points) {
      const cells: (string | number | boolean | null)[] = [
        study.geometry,
        study.model,
        study.dimension,
        p.n,
        p.unknowns,
        p.lambdaMax,
        p.lambdaMin,
        p.coherentCoefficient,
        p.rigidRotationQuotient,
        p.translationQuotient,
        p.nearestNeighbourMean,
        p.minimumConstant,
        p.overlaps?.translation ?? null,
        p.overlaps?.rotation ?? null,
        p.overlaps?.rigidRotation ?? null,
        p.overlaps?.azimuthalTranslation ?? null,
        p.overlaps?.translationRotation ?? null,
        p.mode,
        p.minimumMode,
        p.participationMax,
        p.participationMin,
        p.londonInertiaRatio,
        p.lanczos.iterations,
        p.lanczos.converged,
        p.check,
        p.sampledResidual,
        p.checkTarget,
        pointWithinTarget(p),
        p.quotientCheck,
      ];
      lines.push(cells.map(csvCell).join(','));
    }
  }
  return lines.join('\n') + '\n';
}

/** Nicely spaced N for a fit curve across the sweep. */
function curveNs(from: number, to: number): number[] {
  return Array.from({ length: 60 }, (_, k) => from * (to / from) ** (k / 59));
}

/** The fitted law's right-hand side ('c + b N^-1/2'), short enough for a legend. */
function fitShape(fit: LawFit): string {
  return fit.law.text.replace(/^lambda_max\/N = /, '');
}

/**
 * A quantity of each point as plotted series: the points whose Lanczos met its tolerance, and apart
 * (grey) those where it stopped short, whose Ritz values are inner bounds and are not fitted.
 */
function lanczosSeries(
  points: readonly ScalingPoint[],
  label: string,
  value: (p: ScalingPoint) => number,
  colour: string,
): PlotSeries[] {
  const met = points.filter((p) => p.lanczos.converged);
  const short = points.filter((p) => !p.lanczos.converged);
  const series = (chosen: readonly ScalingPoint[], name: string, shade: string): PlotSeries => ({
    label: name,
    x: chosen.map((p) => p.n),
    y: chosen.map(value),
    points: true,
    line: false,
    colour: shade,
  });
  return [
    ...(met.length ? [series(met, label, colour)] : []),
    ...(short.length
      ? [series(short, `${label}, Lanczos not converged (inner bounds, not fitted)`, '#999999')]
      : []),
  ];
}

/** The fit drawn over the N it was fitted to, as `scale(n) * fittedCoefficient`. */
function fitSeries(fit: LawFit, label: string, scale: (n: number) => number): PlotSeries {
  const curve = curveNs(fit.nFrom, fit.nTo);
  return {
    label,
    x: curve,
    y: curve.map((n) => scale(n) * fittedCoefficient(fit, n)),
    dashed: true,
    colour: '#d55e00',
  };
}

/**
 * The ring's derived lambda_max, (N/pi)(ln N + C) to O(1/N): the azimuthal model's; the vector model's
 * lies above it (its top mode is not the azimuthal one), drawn for comparison.
 */
function ringAsymptoteSeries(study: ScalingStudy, perElectron: boolean): PlotSeries {
  const ns = study.points.map((p) => p.n);
  const curve = curveNs(ns[0], ns[ns.length - 1]);
  const whose = study.model === 'azimuthal' ? 'derived' : "azimuthal model's";
  return {
    label: `${whose}: (N/π)(ln N + C)${perElectron ? ' / N' : ''}`,
    x: curve,
    y: curve.map((n) => ringLambdaMaxAsymptotic(n) / (perElectron ? n : 1)),
    colour: '#cc79a7',
  };
}

/** Log-log lambda_max (and |lambda_min|) against N, the fit, and the paper's estimate lambda_max ~ N. */
export function scalingEigenvalueSvg(study: ScalingStudy, stop: SweepStop | null = null): string {
  const ns = study.points.map((p) => p.n);
  const series: PlotSeries[] = [
    ...lanczosSeries(study.points, 'λ_max', (p) => p.lambdaMax, kPalette[0]),
    ...lanczosSeries(study.points, '|λ_min|', (p) => -p.lambdaMin, '#009e73'),
    {
      label: 'paper: N (eq. 49)',
      x: [ns[0], ns[ns.length - 1]],
      y: [ns[0], ns[ns.length - 1]],
      dashed: true,
      colour: '#777777',
    },
  ];
  if (study.geometry === 'ring') series.push(ringAsymptoteSeries(study, false));
  if (study.fit) series.push(fitSeries(study.fit, `fit: λ_max = N (${fitShape(study.fit)})`, (n) => n));
  return linePlot({
    title: sweepPlotTitle(
      `${study.geometry}, ${study.model} model: extreme eigenvalues of the interaction`,
      stop,
    ),
    xLabel: 'N (electrons at fixed size R)',
    yLabel: 'eigenvalue of D^-1/2 (M - D) D^-1/2 at ε = 1',
    logX: true,
    logY: true,
    series,
    legend: 'top-left',
  });
}

/** lambda_max / N and the rigid rotation's quotient / N against N, the fit and its N -> infinity limit. */
export function scalingCoefficientSvg(study: ScalingStudy, stop: SweepStop | null = null): string {
  const fit = study.fit;
  const series: PlotSeries[] = [
    ...lanczosSeries(study.points, 'λ_max / N', (p) => p.coherentCoefficient, kPalette[0]),
    {
      label: 'rigid rotation, q / N',
      x: study.points.map((p) => p.n),
      y: study.points.map((p) => p.rigidRotationQuotient / p.n),
      points: true,
      line: false,
      colour: '#009e73',
    },
  ];
  if (study.geometry === 'ring') series.push(ringAsymptoteSeries(study, true));
  if (fit) series.push(fitSeries(fit, `fit: λ_max/N = ${fitShape(fit)}, N ≥ ${fit.nFrom}`, () => 1));
  // The limit and, where the law has one, its derived value beside it (one label: the two lie close).
  const hLines: ReferenceLine[] = [];
  if (fit && fit.law.name === 'inverse_power') {
    const theory = fit.law.theory;
    const derived = theory === undefined ? '' : ` (derived ${theory.toFixed(4)}, pink)`;
    hLines.push({
      value: fit.coefficient,
      label: `N → ∞: ${fit.coefficient.toFixed(4)} ± ${fit.uncertainty.toFixed(4)}${derived}`,
    });
    if (theory !== undefined) hLines.push({ value: theory, colour: '#cc79a7' });
  }
  // From 0, which leaves the bottom of the plot to the legend (both quotients are positive).
  const top = Math.max(...series.flatMap((s) => Array.from(s.y)), ...hLines.map((line) => line.value));
  return linePlot({
    title: sweepPlotTitle(
      `${study.geometry}, ${study.model} model: coherent-mode coefficient λ_max / N`,
      stop,
    ),
    xLabel: 'N',
    yLabel: 'λ_max / N',
    logX: true,
    series,
    hLines,
    yRange: [0, 1.06 * top],
    legend: 'bottom-right',
  });
}

/** What one geometry's JSON adds beside the study: the storage per N. */
export interface ScalingExtra {
  /** N -> 'dense' | 'free' | 'tree' on the GPU, 'dense' | 'tree' on the CPU. */
  readonly matrix: Record<string, string>;
}

/**
 * A study's storage per N as a file holds it: of the N it has points of, which a Stop that dropped
 * the point of an N whose M was held leaves fewer. A file written before a CPU run named its dense M
 * has null there, or (before it named every N) names only the N that took the tree: only the CPU's
 * dense M went unnamed, so an N it does not name reads as 'dense'.
 */
function savedStorage(
  matrix: Record<string, string> | null | undefined,
  points: readonly { readonly n: number }[],
): Record<string, string> {
  return Object.fromEntries(points.map((point) => [point.n, matrix?.[point.n] ?? 'dense']));
}

/**
 * A run's JSON as `scaling --json` prints it; `shard` only in a shard's, `stopped` only in a stopped
 * one's; `sweep` in every one (null where a file written before it was is read back).
 */
export function scalingJson(run: {
  readonly device: DeviceSummary;
  readonly model: ModelName;
  readonly ns: readonly number[];
  readonly studies: readonly ScalingStudy[];
  readonly extras: readonly ScalingExtra[];
  readonly shard: Shard | null;
  /** The options that decide its numbers beside its model and N, which a shard's siblings share. */
  readonly sweep: ScalingSweep | null;
  readonly totalMs: number;
  readonly stop?: SweepStop | null;
  /** The program that computed the points: this one's, or a merge's shards' (null: they predate the key). */
  readonly version?: string | null;
}) {
  return {
    ...studyReportHeader({ command: 'scaling', stop: run.stop, version: run.version }),
    device: run.device,
    model: run.model,
    ns: run.ns,
    ...(run.shard ? { shard: shardJson(run.shard) } : {}),
    sweep: run.sweep,
    studies: run.studies.map((study, k) => ({
      ...scalingStudyJson(study),
      matrix: savedStorage(run.extras[k].matrix, study.points),
    })),
    files: [] as string[],
    timing_ms: { total_ms: run.totalMs },
  } satisfies StudyReport;
}

export type ScalingJson = ReturnType<typeof scalingJson>;
type PointJson = ReturnType<typeof pointJson>;

/** The float64 check's fields of a point's JSON. */
const kCheckFields = {
  check: 'number?',
  sampled_residual: 'number?',
  check_target: 'number?',
  check_ms: 'number?',
} satisfies Record<string, FieldKind>;

/**
 * A point's JSON as a saved file has it: one written before the float64 check was lacks the check's
 * fields, and is read as not checked (null), as the response loader reads an older file; one written
 * before the quotients were checked lacks quotient_check alone, read as null likewise.
 */
type SavedPointJson = Omit<PointJson, keyof typeof kCheckFields | 'quotient_check'> &
  Partial<Pick<PointJson, keyof typeof kCheckFields | 'quotient_check'>>;

/**
 * A JSON's "sweep" as this version reads it: null where a file written before it was has none, its
 * "threads" null where one written before that key was has none (as where no CPU tree held M).
 */
export function savedSweep(sweep: unknown): unknown {
  return isObject(sweep) ? { ...sweep, threads: sweep.threads ?? null } : (sweep ?? null);
}

/** The fields of a JSON's "sweep" (ScalingSweep). */
const kSweepFields = {
  tol: 'number',
  max_iter: 'number?',
  seed: 'number',
  matrix: 'string',
  tree_tolerance: 'number',
  threads: 'number?',
} satisfies Record<keyof ScalingSweep, FieldKind>;

/** A point back from its JSON (the inverse of pointJson, NaN where the JSON has null). */
export function scalingPointFromJson(json: SavedPointJson): ScalingPoint {
  const overlaps = json.overlaps;
  const minimum = json.minimum_overlaps;
  return {
    n: json.n,
    unknowns: json.unknowns,
    lambdaMax: finiteOrNaN(json.lambda_max),
    lambdaMin: finiteOrNaN(json.lambda_min),
    coherentCoefficient: finiteOrNaN(json.lambda_max_over_n),
    rigidRotationQuotient: finiteOrNaN(json.rigid_rotation_quotient),
    translationQuotient: finiteOrNaN(json.translation_quotient),
    nearestNeighbourMean: finiteOrNaN(json.nearest_neighbour_distance),
    nearestNeighbourMin: finiteOrNaN(json.nearest_neighbour_min),
    minimumConstant: finiteOrNaN(json.minimum_constant),
    overlaps: overlaps && {
      translation: finiteOrNaN(overlaps.translation),
      rotation: finiteOrNaN(overlaps.rotation),
      rigidRotation: finiteOrNaN(overlaps.rigid_rotation),
      azimuthalTranslation: finiteOrNaN(overlaps.azimuthal_translation),
      translationRotation: finiteOrNaN(overlaps.translation_rotation),
    },
    mode: json.mode as ModeName | null,
    minimumOverlaps: minimum && {
      breathing: finiteOrNaN(minimum.breathing),
      alternating: finiteOrNaN(minimum.alternating),
    },
    minimumMode: json.minimum_mode as MinimumModeName | null,
    participationMax: json.participation_max,
    participationMin: json.participation_min,
    exactLambdaMax: json.exact_lambda_max,
    exactLambdaMin: json.exact_lambda_min,
    londonInertiaRatio: json.london_inertia_ratio,
    lanczos: {
      iterations: json.lanczos.iterations,
      converged: json.lanczos.converged,
      reason: json.lanczos.reason as LanczosReason,
      residualMin: finiteOrNaN(json.lanczos.residual_bound_min),
      residualMax: finiteOrNaN(json.lanczos.residual_bound_max),
    },
    check: json.check ?? null,
    sampledResidual: json.sampled_residual ?? null,
    checkTarget: json.check_target ?? null,
    checkMilliseconds: json.check_ms ?? null,
    quotientCheck: json.quotient_check ?? null,
    milliseconds: json.ms,
  };
}

// What merge, the text, the table, the plots and the app's card read of a point: a file lacking one
// would stop them halfway with a TypeError, or print NaN. Null stands for a number that was not
// finite; Lanczos's extreme Ritz values, and what follows from them, always are.
const kPointFields: Record<string, FieldKind> = {
  n: 'number',
  unknowns: 'number',
  lambda_max: 'number',
  lambda_min: 'number',
  lambda_max_over_n: 'number',
  rigid_rotation_quotient: 'number?',
  translation_quotient: 'number?',
  nearest_neighbour_distance: 'number',
  nearest_neighbour_min: 'number',
  minimum_constant: 'number',
  mode: 'string?',
  minimum_mode: 'string?',
  participation_max: 'number?',
  participation_min: 'number?',
  exact_lambda_max: 'number?',
  exact_lambda_min: 'number?',
  london_inertia_ratio: 'number?',
  ms: 'number',
};
const kOverlapFields: Record<string, FieldKind> = {
  translation: 'number?',
  rotation: 'number?',
  rigid_rotation: 'number?',
  azimuthal_translation: 'number?',
  translation_rotation: 'number?',
};
const kMinimumOverlapFields: Record<string, FieldKind> = { breathing: 'number?', alternating: 'number?' };
const kLanczosFields: Record<string, FieldKind> = {
  iterations: 'number',
  converged: 'boolean',
  reason: 'string',
  residual_bound_min: 'number?',
  residual_bound_max: 'number?',
};

/** What a point of `scaling --json` at `path` lacks, in words; null if nothing. */
function scalingPointLack(point: unknown, path: string): string | null {
  const lack = objectLack(point, path, kPointFields);
  if (lack !== null) return lack;
  const p = point as Record<string, unknown>;
  const part = (key: string, fields: Record<string, FieldKind>) =>
    p[key] === null ? null : objectLack(p[key], `${path}.${key}`, fields);
  // The check's fields all, or none (SavedPointJson: an older file has none); some alone would drop a
  // check the file holds without a word.
  const checked = Object.keys(kCheckFields).some((key) => key in p);
  return (
    (checked ? objectLack(p, path, kCheckFields) : null) ??
    ('quotient_check' in p ? objectLack(p, path, { quotient_check: 'number?' }) : null) ??
    part('overlaps', kOverlapFields) ??
    part('minimum_overlaps', kMinimumOverlapFields) ??
    objectLack(p.lanczos, `${path}.lanczos`, kLanczosFields)
  );
}

/** What a geometry's study of `scaling --json` at `path` lacks, its points with it; null if nothing. */
function scalingStudyLack(study: unknown, path: string): string | null {
  const lack = objectLack(study, path, { geometry: 'string', ms: 'number' });
  if (lack !== null) return lack;
  const s = study as Record<string, unknown>;
  if (!isScalingGeometry(s.geometry as string))
    return `${path}.geometry is ${JSON.stringify(s.geometry)}, not one of the scaling geometries`;
  if (s.matrix !== null && !isObject(s.matrix)) return `${path}.matrix is not an object or null`;
  // A shard may hold none of a geometry's N.
  return listLack(s, path, 'points', scalingPointLack, { empty: true });
}

/**
 * What a shard's geometries lack of the N its run's "ns" gives each of their points; null if nothing.
 * The sweep runs the geometries one after the other, each over every N (runScaling), and the shard
 * is merge's, already read as {index, count}.
 */
function shardStudiesLack(json: Record<string, unknown>): string | null {
  const ns = json.ns as number[];
  const studies = json.studies as { points: Record<string, unknown>[] }[];
  for (const [g, study] of studies.entries()) {
    const at = `studies[${g}].points`;
    const lack = shardPointsLack(study.points, at, 'n', ns, g * ns.length, json.shard as Shard);
    if (lack !== null) return lack;
  }
  return null;
}

/**
 * One shard of `scaling --shard K/N --json` read for merge (`name`, its file): its model, N and each
 * geometry's points, field by field, each point at the N its run's "ns" gives it. A file that lacks a
 * field merge or its reports read is refused in one line that names it (field 'shards'); an older
 * one's null storage is read as dense (savedStorage).
 */
export function scalingShardFromJson(json: Record<string, unknown>, name: string): ScalingJson {
  const electrons = (n: number) => integerRangeProblem(kScalingElectrons, n);
  const lack =
    (isModelName(json.model)
      ? null
      : `model is ${JSON.stringify(json.model)}, not ${kModelNames.join(' or ')}`) ??
    listLack(json, '', 'ns', () => null) ??
    sweepValuesLack(json.ns as unknown[], (k) => `ns[${k}]`, electrons, { ascending: true }) ??
    listLack(json, '', 'studies', scalingStudyLack) ??
    shardStudiesLack(json) ??
    objectLack(json.timing_ms, 'timing_ms', { total_ms: 'number' });
  if (lack !== null) throw new InputError(`${name}: not a scaling shard (${lack})`, 'shards');
  const studies = (json.studies as Record<string, unknown>[]).map((study) => ({
    ...study,
    matrix: savedStorage(study.matrix as Record<string, string> | null, study.points as PointJson[]),
  }));
  return { ...json, studies } as unknown as ScalingJson;
}

/** One geometry of a saved scaling run, read back by scalingRunFromJson. */
export interface SavedScalingStudy {
  readonly geometry: ScalingGeometry;
  readonly points: ScalingPoint[];
  readonly ms: number;
  readonly extra: ScalingExtra;
}

/**
 * A whole run's `scaling --json` read back (the app's Files › load): its model, its sweep's options
 * (null in a file written before they were) and each geometry's points, N strictly ascending, with
 * what its JSON adds beside the study (an older file's null storage read as dense, savedStorage; its
 * london_inertia_ratio_direct, which only repeated the last point's ratio, passed over). A shard, or a
 * file that is not what the command writes, is refused in one line (field 'result').
 */
export function scalingRunFromJson(
  json: Record<string, unknown>,
  name: string,
): {
  readonly device: DeviceSummary;
  readonly model: ModelName;
  readonly sweep: ScalingSweep | null;
  readonly studies: SavedScalingStudy[];
  readonly totalMs: number;
} {
  const refuse = (why: string) => new InputError(`${name}: ${why}`, 'result');
  const { device } = savedStudyReport(json, name, 'scaling');
  const model = json.model;
  if (!isModelName(model)) throw refuse(`model must be ${kModelNames.join(' or ')}`);
  const sweep = savedSweep(json.sweep);
  const sweepLack = sweep === null ? null : objectLack(sweep, 'sweep', kSweepFields);
  if (sweepLack !== null) throw refuse(`${sweepLack}, not what scaling --json writes`);
  if (!Array.isArray(json.studies) || json.studies.length === 0) throw refuse('no "studies" list');
  const studies = (json.studies as unknown[]).map((entry, g): SavedScalingStudy => {
    const study = (entry ?? {}) as Record<string, unknown>;
    const geometry = study.geometry;
    if (typeof geometry !== 'string' || !isScalingGeometry(geometry))
      throw refuse(`studies[${g}].geometry is not a scaling geometry`);
    if (study.matrix != null && !isObject(study.matrix))
      throw refuse(`studies[${g}].matrix is not an object or null, not what scaling --json writes`);
    if (!Array.isArray(study.points) || study.points.length === 0)
      throw refuse(`the ${geometry} sweep has no points`);
    const points = (study.points as unknown[]).map((point, k) => {
      const lack = scalingPointLack(point, `points[${k}]`);
      if (lack !== null)
        throw refuse(`the ${geometry} sweep's point ${k} is not what scaling --json writes (${lack})`);
      return scalingPointFromJson(point as SavedPointJson);
    });
    points.forEach((point, k) => {
      if (
        !Number.isSafeInteger(point.n) ||
        point.n < kScalingMinElectrons ||
        (k > 0 && point.n <= points[k - 1].n)
      )
        throw refuse(`the ${geometry} sweep's N must be integers >= ${kScalingMinElectrons}, ascending`);
    });
    return {
      geometry,
      points,
      ms: typeof study.ms === 'number' ? study.ms : 0,
      extra: { matrix: savedStorage(study.matrix as Record<string, string> | null | undefined, points) },
    };
  });
  const total = (json.timing_ms as { total_ms?: unknown } | undefined)?.total_ms;
  const totalMs = typeof total === 'number' ? total : studies.reduce((sum, study) => sum + study.ms, 0);
  return { device, model: model as ModelName, sweep: sweep as ScalingSweep | null, studies, totalMs };
}

/**
 * The shards of one `scaling --shard K/N` sweep joined into the run's JSON as one run prints it: the
 * points interleaved back into the sweep's order and every fit recomputed from all of them.
 */
export function mergeScaling(shards: readonly ScalingJson[]): {
  readonly studies: ScalingStudy[];
  readonly json: ScalingJson;
  /** The shards' "threads", each once: more than one where they ran the CPU tree on other counts. */
  readonly threadCounts: (number | null)[];
} {
  const first = shards[0];
  sameInShards(shards, (json) => json.model, 'model');
  sameInShards(shards, (json) => json.ns, 'N');
  sameInShards(shards, (json) => json.studies.map((study) => study.geometry), 'geometries');
  const parts = shards.map((json) => {
    if (!json.shard) throw new InputError('merge: a scaling JSON without "shard" is not a shard', 'shards');
    return {
      shard: json.shard,
      points: json.studies.flatMap((study) => study.points),
    };
  });
  const joined = joinShards(parts);
  const sweep = savedSweep(first.sweep) as ScalingSweep | null;
  const threadCounts = [
    ...new Set(shards.map((json) => (savedSweep(json.sweep) as ScalingSweep | null)?.threads ?? null)),
  ];
  const studies: ScalingStudy[] = [];
  const extras: ScalingExtra[] = [];
  for (const [g, head] of first.studies.entries()) {
    const geometry = head.geometry;
    if (!isScalingGeometry(geometry)) throw new InputError(`merge: unknown geometry '${geometry}'`, 'shards');
    const mine = joined.slice(g * first.ns.length, (g + 1) * first.ns.length);
    const own = shards.map((json) => json.studies[g]);
    studies.push(
      summariseStudy(
        geometry,
        first.model,
        mine.map(scalingPointFromJson),
        own.reduce((sum, study) => sum + study.ms, 0),
      ),
    );
    extras.push({ matrix: Object.assign({}, ...own.map((study) => study.matrix)) });
  }
  const json = scalingJson({
    device: first.device,
    model: first.model,
    ns: first.ns,
    studies,
    extras,
    shard: null,
    // One sweep's: merge refuses shards whose "sweep" differs but in "threads", which changes the
    // CPU tree's products only to rounding: the shards' common count, or null where they differ.
    sweep: sweep && { ...sweep, threads: threadCounts.length === 1 ? threadCounts[0] : null },
    totalMs: shards.reduce((sum, json) => sum + json.timing_ms.total_ms, 0),
    // One program's: merge refuses shards whose "version" differs.
    version: first.version ?? null,
  });
  return { studies, json, threadCounts };
}

const kScalingCsvName = 'scaling.csv';

/** The names of a geometry's two plots. */
function scalingPlotNames(geometry: string) {
  return { eigenvalues: `scaling-${geometry}.svg`, coefficient: `scaling-${geometry}-coefficient.svg` };
}

/** The names scalingFiles gives a run of these geometries (every shard has a study of each), in its order. */
export function scalingFileNames(geometries: readonly string[]): string[] {
  return [kScalingCsvName, ...geometries.flatMap((geometry) => Object.values(scalingPlotNames(geometry)))];
}

/**
 * The files of `--out DIR`, name and text, scaling.json last (it lists the others); the plots of a
 * stopped sweep say so in their titles.
 */
export function scalingFiles(
  studies: readonly ScalingStudy[],
  stop: SweepStop | null = null,
): [string, string][] {
  return [
    [kScalingCsvName, scalingCsv(studies)],
    ...studies.flatMap((study): [string, string][] => {
      const names = scalingPlotNames(study.geometry);
      return [
        [names.eigenvalues, scalingEigenvalueSvg(study, stop)],
        [names.coefficient, scalingCoefficientSvg(study, stop)],
      ];
    }),
  ];
}

/** A point's check (pointCheck) with its N. */
type PointCheckAt = NonNullable<ReturnType<typeof pointCheck>> & { readonly n: number };

/**
 * The checked point farthest past its target, or nearest to it (the largest error over target), with
 * its check; null where no point was checked (a CPU sweep of the dense float64 M, a GPU sweep whose
 * checks were all stopped, a file written before the check was).
 */
export function worstCheck(points: readonly ScalingPoint[]): PointCheckAt | null {
  // A NaN error is past any target: it ranks first.
  const ratio = (c: PointCheckAt) => (Number.isNaN(c.error) ? Infinity : c.error / c.target);
  let worst: PointCheckAt | null = null;
  for (const p of points) {
    const checked = pointCheck(p);
    if (!checked) continue;
    const at = { ...checked, n: p.n };
    if (!worst || ratio(at) > ratio(worst)) worst = at;
  }
  return worst;
}

/**
 * One `warning:` line naming every point whose float64 check is past its target, with the remedy
 * (the CLI's stderr, as spectrum's check warns); null where every check is within its target.
 */
export function scalingCheckWarning(studies: readonly ScalingStudy[]): string | null {
  const past = studies.flatMap((study) =>
    study.points.flatMap((p) => {
      const checked = pointCheck(p);
      return checked && pointWithinTarget(p) === false ? [{ study, p, checked }] : [];
    }),
  );
  const warning = checkWarning(
    past.map(({ study, p, checked }) => ({
      ...checked,
      name: `${study.geometry} N = ${p.n} ${checked.name}`,
      targetName: 'its',
    })),
    'the float64 check of the extreme eigenvalues',
  );
  if (!warning) return null;
  const unconverged = past.some(({ p }) => !p.lanczos.converged);
  return (
    `${warning}; ` +
    (unconverged ? 'raise --max-iter where Lanczos did not converge (*); ' : '') +
    '--device cpu runs the sweep in float64 (or a smaller --tree-tol where M was the tree)'
  );
}

/**
 * A point's float64 check for its progress line, ', float64 check 3.1e-7 (target 1.0e-5) in 0.2 s';
 * '' where none.
 */
function checkText(p: ScalingPoint): string {
  const checked = pointCheck(p);
  if (!checked) return '';
  const name = checked.name === 'check' ? 'float64 check' : 'float64 check (sampled residual)';
  const past = pointWithinTarget(p) ? '' : ', past it';
  const ms = p.checkMilliseconds === null ? '' : ` in ${(p.checkMilliseconds / 1000).toFixed(1)} s`;
  return `, ${name} ${exp(checked.error, 1)} (target ${exp(checked.target, 1)}${past})${ms}`;
}

/** One point's progress line. */
export function scalingPointLine(geometry: string, p: ScalingPoint, matrix: string | undefined): string {
  const overlap = p.overlaps
    ? `, top mode ${p.mode} (translation ${p.overlaps.translation.toFixed(3)}, rotation ` +
      `${p.overlaps.rotation.toFixed(3)}), bottom mode ${p.minimumMode} (${p.participationMin?.toFixed(0)} electrons)`
    : '';
  return (
    `${geometry} N = ${p.n} (${p.unknowns} unknowns${matrix ? `, ${matrix}` : ''}): ` +
    `lambda_max/N = ${p.coherentCoefficient.toPrecision(7)}, lambda_min = ${p.lambdaMin.toPrecision(6)}${overlap}, ` +
    `${p.lanczos.iterations} Lanczos steps${p.lanczos.converged ? '' : ' (not converged)'}, ` +
    `${(p.milliseconds / 1000).toFixed(1)} s${checkText(p)}`
  );
}

/**
 * A fit's no-fit line: the law, and the points at N >= kFitFromN it needs (fitLaw: a point more than
 * the parameters) beside those the sweep has (fittedPoints).
 */
export function noFitText(study: Pick<ScalingStudy, 'geometry' | 'model' | 'points'>): string {
  const law = scalingLaw(study.geometry, study.model);
  return (
    `no fit of ${law.text}: it needs ${law.parameters.length + 1} converged points at N >= ${kFitFromN} ` +
    `(smaller N are pre-asymptotic), ${fittedPoints(study.points).length} here`
  );
}

/**
 * The free-exponent check beside a fit's coefficient: the exponent that fits best and the coefficient
 * it gives, the systematic ± (R* and the London ratio include it); where the best exponent is on the
 * search's bracket, that there is none.
 */
export function freeExponentText(fit: LawFit): string {
  if (fit.law.exponent === undefined || fit.points < 4) return '';
  if (fit.freeExponent === null || fit.freeExponentCoefficient === null) {
    return '; no best free exponent (on the edge of 0.05..2)';
  }
  return (
    `; with the exponent free (p = ${fit.freeExponent.toFixed(3)}): ${fit.freeExponentCoefficient.toPrecision(5)}, ` +
    `systematic ± ${exp(fit.uncertaintySystematic, 1)}`
  );
}

const exp = (x: number | null | undefined, digits = 3) =>
  x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toExponential(digits);

function radiusText(study: ScalingStudy): string[] {
  const r = study.criticalRadius;
  if (!r) return [];
  const paper = study.paperRadiusMetres;
  const paperText = Number.isFinite(paper) ? `${exp(paper)} m` : 'R -> infinity';
  const equation = { 1: '53', 2: '54', 3: '55' }[study.dimension];
  const metres = r.metres === null ? `10^${r.log10Metres.toFixed(1)} m` : `${exp(r.metres)} m`;
  return [
    `  R* (eps lambda_max = 1 at N = (R/a0)^${study.dimension}): ${metres} ` +
      `(log10 R*/m = ${r.log10Metres.toFixed(3)} ± ${r.log10Uncertainty.toExponential(1)}, ` +
      `R*/a0 = 10^${r.log10Bohr.toFixed(3)}, N = 10^${r.log10Electrons.toFixed(2)}); eq. ${equation}: ${paperText}`,
  ];
}

/** The text report: a table per geometry, its fits, R* and kappa. */
export function scalingText(
  studies: ScalingStudy[],
  files: string[],
  device: DeviceSummary,
  stop: SweepStop | null = null,
): string {
  const lines = [`scaling of the Darwin-Breit interaction with N (sec. IV.C), device: ${deviceName(device)}`];
  if (stop) lines.push(stoppedLine(stop));
  for (const study of studies) {
    // A shard can hold none of a geometry's N: nothing measured, where the lines below would print NaN.
    if (study.points.length === 0) {
      lines.push('', `${study.geometry} (${study.model} model, d = ${study.dimension}): no N in this shard`);
      continue;
    }
    // A CPU sweep of the dense float64 M is the reference itself: no column.
    const checked = study.points.some((p) => pointCheck(p) !== null);
    lines.push(
      '',
      `${study.geometry} (${study.model} model, d = ${study.dimension}, ${study.velocityComponents} ${study.velocityComponents === 1 ? 'unknown' : 'unknowns'} per electron)`,
      '       N   lambda_max   lambda_max/N    lambda_min   kappa   q_rot/N   top mode                 T       R   bottom mode   steps' +
        (checked ? '     check' : ''),
    );
    for (const p of study.points) {
      lines.push(
        [
          String(p.n).padStart(8),
          p.lambdaMax.toPrecision(7).padStart(12),
          p.coherentCoefficient.toPrecision(7).padStart(14),
          p.lambdaMin.toPrecision(6).padStart(13),
          p.minimumConstant.toFixed(3).padStart(7),
          (p.rigidRotationQuotient / p.n).toFixed(4).padStart(9),
          ` ${(p.mode ?? '-').padEnd(22)}`,
          (p.overlaps ? p.overlaps.translation.toFixed(3) : '-').padStart(6),
          (p.overlaps ? p.overlaps.rotation.toFixed(3) : '-').padStart(7),
          ` ${(p.minimumMode ?? '-').padEnd(12)}`,
          `${p.lanczos.iterations}${p.lanczos.converged ? '' : '*'}`.padStart(7),
          ...(checked ? [checkCell(p).padStart(9)] : []),
        ].join(' '),
      );
    }
    const fit = study.fit;
    const unconverged = study.points.filter((p) => !p.lanczos.converged).length;
    const leftOut = unconverged
      ? `; ${unconverged} of ${study.points.length} not converged*, not fitted`
      : '';
    if (fit) {
      const theory = fit.law.theory !== undefined ? ` (derived: ${fit.law.theory.toFixed(6)})` : '';
      lines.push(
        `  fit ${fit.law.text}, N = ${fit.nFrom}..${fit.nTo}${leftOut}: ${fit.law.parameters[fit.law.coefficientIndex]} = ` +
          `${fit.coefficient.toPrecision(7)} ± ${exp(fit.uncertainty, 1)}${covarianceAlone(fit)}${theory}${freeExponentText(fit)}`,
      );
    } else {
      lines.push(`  ${noFitText(study)}${leftOut}`);
    }
    if (study.ringConstant) {
      const c = study.ringConstant;
      const theory = c.theory !== null ? ` (derived ln(2/pi) + gamma - 3/2 = ${c.theory.toFixed(6)})` : '';
      lines.push(`  with a = 1/pi held: C = ${c.fitted.toPrecision(7)} ± ${exp(c.uncertainty, 1)}${theory}`);
    }
    lines.push(...radiusText(study));
    const m = study.minimumConstant;
    const kappaLeftOut = unconverged
      ? `; ${unconverged} of ${study.points.length} not converged*, left out`
      : '';
    // A localised bottom mode sits on the closest pair: its kappa, not the mean spacing's, sets the
    // threshold.
    const threshold = !m
      ? ''
      : m.localized
        ? `the bottom mode is localised: M indefinite once the closest pair is < ${m.kappaClosestPair.toFixed(2)} r_e apart`
        : `M indefinite once neighbours are < ${m.kappa.toFixed(2)} r_e apart`;
    lines.push(
      m
        ? `  lambda_min = -kappa/d_nn: kappa = ${m.kappa.toFixed(3)} ± ${m.uncertainty.toFixed(3)} ` +
            `(closest pair: ${m.kappaClosestPair.toFixed(3)}${kappaLeftOut}): ${threshold}`
        : `  lambda_min = -kappa/d_nn: no kappa: no point converged*`,
    );
    if (study.rotationFit) {
      const { coefficient, uncertainty, law } = study.rotationFit;
      const theory = law.theory !== undefined ? ` (derived: ${law.theory.toFixed(6)})` : '';
      // The ring's q/N grows as ln N: its fit's coefficient is the prefactor a.
      const what = study.geometry === 'ring' ? `q/N = a ln N + b: a =` : 'q/N ->';
      const alone = covarianceAlone(study.rotationFit);
      lines.push(
        `  rigid rotation: ${what} ${coefficient.toPrecision(5)} ± ${exp(uncertainty, 1)}${alone}${theory}`,
      );
    }
    if (study.londonInertiaRatio) {
      const last = study.points[study.points.length - 1];
      lines.push(
        `  London's N = 3R/r_e: inertia ratio (v^T M v)/(v^T D v) = ${last.londonInertiaRatio?.toFixed(4)} at N = ${last.n}, ` +
          `-> ${study.londonInertiaRatio.value.toFixed(4)} ± ${study.londonInertiaRatio.uncertainty.toFixed(4)} (continuum: 2)`,
      );
    }
  }
  if (studies.some((study) => study.points.some((p) => !p.lanczos.converged))) {
    lines.push(
      '',
      '* Lanczos stopped before both extreme Ritz values met the tolerance (values are inner bounds)',
    );
  }
  const points = studies.flatMap((study) => study.points);
  if (points.some((p) => pointCheck(p) !== null)) {
    lines.push(
      '',
      'check: the float64 check of lambda_min and lambda_max, the larger error relative to the largest |lambda|',
    );
    if (points.some((p) => pointCheck(p)?.name === 'sampled_residual'))
      lines.push(
        `  s: past ${kCheckMaxUnknowns} unknowns, the larger residual of the extreme Ritz pairs on float64 ` +
          `rows of M at ${kSampledCheckElectrons} sampled electrons (an eigenvalue lies within it)`,
      );
    if (points.some((p) => pointWithinTarget(p) === false))
      lines.push('  !: past its target ("within_target": false; the warning on stderr says what to do)');
  }
  if (files.length) lines.push('', 'wrote:', ...files.map((f) => `  ${f}`));
  return lines.join('\n') + '\n';
}

/** A point's check in the text table: 3.1e-7, s where sampled, ! past its target; - where none. */
function checkCell(p: ScalingPoint): string {
  const checked = pointCheck(p);
  if (!checked) return '-';
  const sampled = checked.name === 'sampled_residual' ? 's' : '';
  return `${exp(checked.error, 1)}${sampled}${pointWithinTarget(p) ? '' : '!'}`;
}

/**
 * The README's table: per study its law, coefficient, R* and the paper's R (eq. 53-55), and where
 * points were checked (the GPU's, the tree's) the worst float64 check (worstCheck) beside its target.
 */
export function scalingMarkdown(studies: readonly ScalingStudy[]): string {
  const checked = studies.some((s) => worstCheck(s.points) !== null);
  return markdownTable(
    [
      'geometry',
      'model',
      'd',
      'N fitted',
      'law',
      'coefficient',
      'R* (m)',
      'paper R (m)',
      ...(checked ? ['float64 check (worst N)'] : []),
    ],
    studies.map((s) => [
      s.geometry,
      s.model,
      String(s.dimension),
      // The N fitted (the asymptotic ones), not the sweep's.
      s.fit ? `${s.fit.nFrom}–${s.fit.nTo}` : '–',
      s.fit ? s.fit.law.text : '–',
      s.fit
        ? `${f(s.fit.coefficient)} ± ${f(s.fit.uncertainty, 2)}${covarianceAlone(s.fit)}` +
          (s.fit.freeExponentCoefficient !== null ? ` (p free: ${f(s.fit.freeExponentCoefficient)})` : '')
        : '–',
      // The ring's R* overflows a double: its log10 is given instead (eq. 53: R -> infinity).
      !s.criticalRadius
        ? '–'
        : s.criticalRadius.metres !== null
          ? f(s.criticalRadius.metres, 3)
          : `10^${f(s.criticalRadius.log10Metres, 7)}`,
      Number.isFinite(s.paperRadiusMetres)
        ? f(s.paperRadiusMetres, 3)
        : `∞ (eq. ${kPaperEquation[s.dimension] ?? 53})`,
      ...(checked ? [worstCheckText(s.points)] : []),
    ]),
  );
}

/**
 * The worst check of a study's points in words, as the Markdown and the app's card show it:
 * '3.1e-7 ≤ 1.0e-5 (N = 256)', '> ' past the target, 'sampled residual' past the dense reference;
 * '–' where none was checked.
 */
export function worstCheckText(points: readonly ScalingPoint[]): string {
  const worst = worstCheck(points);
  return worst ? `${checkedText(worst)} (N = ${worst.n})` : '–';
}

/**
 * One point's check in words, as the app's table of the points shows it: '3.1e-7 ≤ 1.0e-5', '> ' past
 * the target, 'sampled residual' past the dense reference; '–' where it was not checked.
 */
export function pointCheckText(point: ScalingPoint): string {
  const checked = pointCheck(point);
  return checked ? checkedText(checked) : '–';
}

function checkedText(checked: NonNullable<ReturnType<typeof pointCheck>>): string {
  const within = withinTarget(checked.error, checked.target);
  const sampled = checked.name === 'sampled_residual' ? 'sampled residual ' : '';
  return `${sampled}${exp(checked.error, 1)} ${within ? '≤' : '>'} ${exp(checked.target, 1)}`;
}
