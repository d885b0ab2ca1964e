// The response study's reports: the JSON (snake_case keys, as the README lists them), the per-electron
// velocities as CSV, and the SVG plots (screening curves beside the continuum curves, the current against
// depth, the x-z field map) through src/io/svg.ts. Presentation only: numbers come from run.ts.
import { numberOf, type DeviceSummary } from '../../io/formats.ts';
import { heatMap, kPalette, linePlot, type PlotSeries } from '../../io/svg.ts';
import {
  continuumCentreField,
  continuumRatio,
  currentProfile,
  finiteSizeExponent,
  isDriveName,
  kDriveVelocityUnits,
  londonRadialProfile,
  londonX,
  type CurrentProfile,
  type DriveName,
} from '../../physics/response.ts';
import { markdownNumber as f, markdownTable, textTable } from '../markdown.ts';
import {
  pointCheck,
  pointWithinTarget,
  savedStudyReport,
  stoppedLine,
  studyReportHeader,
  sweepPlotTitle,
  type StudyReport,
  type SweepStop,
} from '../study.ts';
import { geometry, isGeometryName } from '../../physics/geometry.ts';
import { InputError } from '../../physics/input-error.ts';
import { isModelName, kModelNames } from '../../physics/models.ts';
import type { ConvergenceReason } from '../../solvers/types.ts';
import { checkWarning } from '../../run/report.ts';
import {
  kMapHalfWidth,
  responsePlan,
  sameNEpsilon,
  type ResponseLimit,
  type ResponsePoint,
  type ResponseResult,
  kCovarianceAloneNote,
} from './run.ts';

/**
 * The screening ratio of each drive, in symbols and in words: the response over the same electrons'
 * at eps = 0 (the field's Larmor moment, the rotation's electrons all lagging, the flux's eq. 13 current).
 */
const kRatioName: Record<DriveName, { readonly symbol: string; readonly words: string }> = {
  field: { symbol: 'μ/μ_Larmor', words: 'moment over the Larmor moment' },
  rotation: { symbol: 'μ/μ_lag', words: "moment over the fully lagging electrons' moment" },
  flux: { symbol: 'I/I_eq.13', words: 'current over the eq. 13 current' },
};
import { heldEpsilon, type ResponseScale, type ResponseSpec } from './spec.ts';

/** A point as the app's card shows it: a run's, or one read back from the JSON (no map). */
export type ShownResponsePoint = Pick<
  ResponsePoint,
  | 'n'
  | 'nEpsilon'
  | 'epsilon'
  | 'screeningRatio'
  | 'continuumRatio'
  | 'londonX'
  | 'fieldCentreRatio'
  | 'continuumFieldCentreRatio'
  | 'londonFieldRatio'
  | 'continuumLondonFieldRatio'
  | 'nEffEpsilon'
  | 'iterations'
  | 'converged'
  | 'reason'
  | 'check'
  | 'denseResidual'
  | 'sampledResidual'
  | 'checkTarget'
  | 'referenceUnconverged'
  | 'decayLength'
  | 'continuumDecayLength'
  | 'penetrationDepth'
  | 'londonPenetrationDepth'
  | 'mIndefinite'
  | 'momentPerTesla'
  | 'apparentSusceptibility'
  | 'intrinsicSusceptibility'
> & { readonly fieldMap?: Float64Array | null };

/**
 * A sweep as the app's card shows it: a run's ResponseResult, or its JSON read back
 * (responseFromJson), which holds every number but no maps, velocities or run time.
 */
export interface ShownResponse {
  readonly spec: Pick<ResponseSpec, 'geometry' | 'ns' | 'model' | 'dim' | 'scale' | 'drive'>;
  readonly points: readonly ShownResponsePoint[];
  readonly limits: readonly Pick<
    ResponseLimit,
    'nEpsilon' | 'extrapolatedRatio' | 'uncertainty' | 'windowRefits' | 'law' | 'continuumRatio'
  >[];
  readonly milliseconds?: number;
}

/**
 * A `response --json` read back (the app's Files › load): its spec as far as the JSON tells it (N
 * from the points; the scale its "radius_m" or "epsilon" names, else N r_e/R as a list where every
 * N has the same ones, a stopped sweep's last N the first of them), its points and limits, and the
 * device that ran it. A file that names no device, or is not what the command writes, is refused in
 * one line (field 'result').
 */
export function responseFromJson(
  json: Record<string, unknown>,
  name: string,
): ShownResponse & { readonly device: DeviceSummary } {
  const refuse = (why: string) => new InputError(`${name}: ${why}`, 'result');
  const { device, stop } = savedStudyReport(json, name, 'response');
  const { geometry, drive, model } = json;
  if (typeof geometry !== 'string' || !isGeometryName(geometry)) throw refuse('no response geometry');
  if (typeof drive !== 'string' || !isDriveName(drive)) throw refuse('no drive (field, flux or rotation)');
  if (!isModelName(model)) throw refuse(`model must be ${kModelNames.join(' or ')}`);
  if (!Array.isArray(json.points) || json.points.length === 0) throw refuse('a sweep without points');
  const points = (json.points as unknown[]).map((entry, k): ShownResponsePoint => {
    const p = (entry ?? {}) as Record<string, unknown>;
    const n = numberOf(p, 'n') ?? NaN;
    const epsilon = numberOf(p, 'epsilon') ?? NaN;
    const point = {
      n,
      nEpsilon: numberOf(p, 'n_epsilon') ?? NaN,
      epsilon,
      screeningRatio: numberOf(p, 'screening_ratio') ?? NaN,
      continuumRatio: numberOf(p, 'continuum_ratio'),
      // The closed form of N and eps, not the file's: a sphere's file written before its R/Lambda
      // (Pearl's) holds the ball's sqrt(3 N r_e/R) there, which the card's R/Lambda column would show.
      londonX: londonX(geometry, n, epsilon),
      fieldCentreRatio: numberOf(p, 'field_centre_ratio'),
      continuumFieldCentreRatio: numberOf(p, 'continuum_field_centre_ratio'),
      londonFieldRatio: numberOf(p, 'london_field_ratio'),
      continuumLondonFieldRatio: numberOf(p, 'continuum_london_field_ratio'),
      nEffEpsilon: numberOf(p, 'n_eff_epsilon'),
      iterations: numberOf(p, 'iterations') ?? NaN,
      converged: p.converged === true,
      reason: String(p.reason) as ConvergenceReason,
      // The float64 check as written (a file written before the targets has check alone: unjudged).
      check: numberOf(p, 'check'),
      denseResidual: numberOf(p, 'dense_residual'),
      sampledResidual: numberOf(p, 'sampled_residual'),
      checkTarget: numberOf(p, 'check_target'),
      referenceUnconverged:
        typeof p.reference_unconverged === 'string' ? (p.reference_unconverged as ConvergenceReason) : null,
      decayLength: numberOf(p, 'decay_length'),
      continuumDecayLength: numberOf(p, 'continuum_decay_length'),
      // A file written before the penetration depths were has none: null, as where there is none.
      penetrationDepth: numberOf(p, 'penetration_depth'),
      londonPenetrationDepth: numberOf(p, 'london_penetration_depth'),
      // A file written before m_indefinite was has none: null, not established.
      mIndefinite: typeof p.m_indefinite === 'boolean' ? p.m_indefinite : null,
      // The field drive's SI numbers, which only a --radius-m file holds: null in any other.
      momentPerTesla: numberOf(p, 'moment_per_tesla'),
      apparentSusceptibility: numberOf(p, 'apparent_susceptibility'),
      intrinsicSusceptibility: numberOf(p, 'intrinsic_susceptibility'),
    };
    if (!Number.isSafeInteger(point.n) || point.n < 1 || !(point.nEpsilon > 0) || !(point.epsilon > 0))
      throw refuse(`point ${k} has no N >= 1, N r_e/R > 0 and eps > 0`);
    if (typeof p.converged !== 'boolean' || !Number.isInteger(point.iterations))
      throw refuse(`point ${k} is not what response --json writes`);
    return point;
  });
  const ns = [...new Set(points.map((p) => p.n))];
  if (ns.some((n, k) => k > 0 && n <= ns[k - 1])) throw refuse('its N must come in ascending order');
  // A point's N r_e/R is N (x / N), x rounded in its last bit at some N: the lists are compared to
  // rounding, and the spec's x read back to 12 digits.
  const listAt = (n: number) => points.filter((p) => p.n === n).map((p) => p.nEpsilon);
  const first = listAt(ns[0]);
  // A sweep stopped part-way through its last N (study.ts's Stop rule) has that N's first N r_e/R.
  const stopped = stop !== null;
  const sameList = (list: number[], last: boolean) =>
    (list.length === first.length || (stopped && last && list.length < first.length)) &&
    list.every((x, k) => sameNEpsilon(x, first[k]));
  const radiusMetres = scaleNumber(json, 'radius_m', refuse);
  const epsilon = scaleNumber(json, 'epsilon', refuse);
  let scale: ResponseScale;
  if (radiusMetres !== null) scale = { kind: 'radiusMetres', value: radiusMetres };
  else if (epsilon !== null) scale = { kind: 'epsilon', value: epsilon };
  // A file written before "epsilon" and "radius_m" were tells its scale by its points alone: one eps
  // for every N where the N r_e/R lists differ (a file of one N reads as its list).
  else if (ns.every((n, k) => sameList(listAt(n), k === ns.length - 1)))
    scale = { kind: 'nEpsilon', values: first.map((x) => Number(x.toPrecision(12))) };
  else scale = { kind: 'epsilon', value: points[0].epsilon };
  const limits = (Array.isArray(json.limits) ? (json.limits as unknown[]) : []).map((entry) => {
    const l = (entry ?? {}) as Record<string, unknown>;
    return {
      nEpsilon: numberOf(l, 'n_epsilon') ?? NaN,
      extrapolatedRatio: numberOf(l, 'extrapolated_ratio') ?? NaN,
      uncertainty: numberOf(l, 'uncertainty') ?? NaN,
      // A file without it (written before it was) is read as refitted: its ± is not marked.
      windowRefits: numberOf(l, 'window_refits') ?? 1,
      law: String(l.law),
      continuumRatio: numberOf(l, 'continuum_ratio'),
    };
  });
  const dim = json.dim === 2 ? 2 : 3;
  return { spec: { geometry, ns, model, dim, scale, drive }, points, limits, device };
}

/** The file's "radius_m" or "epsilon": a number > 0, or null where the key is null or absent. */
function scaleNumber(
  json: Record<string, unknown>,
  key: string,
  refuse: (why: string) => Error,
): number | null {
  const value = json[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value))
    throw refuse(`"${key}" must be a number > 0 or null`);
  return value;
}

/**
 * A sweep's JSON: "stopped" after "command" where `stop` ended it early, the device after the limits;
 * `threads`: the float64 CPU tree's thread count (--device cpu), with which its products are the same
 * only to rounding, recorded after "tree" where that tree served a point.
 */
export function responseJson(
  result: ResponseResult,
  device: DeviceSummary,
  { stop = null, threads }: { readonly stop?: SweepStop | null; readonly threads?: number } = {},
) {
  const { spec } = result;
  const rotation = spec.drive === 'rotation';
  return {
    ...studyReportHeader({ command: 'response', stop }),
    drive: spec.drive,
    geometry: spec.geometry,
    model: spec.model,
    dim: spec.model === 'vector' ? spec.dim : null,
    // The scale the run was given, which its points alone cannot tell at one N: the one eps of every
    // N (--epsilon's, or --radius-m's r_e/R) and the radius in metres (--radius-m's); both null where
    // each N ran the N r_e/R list.
    epsilon: heldEpsilon(spec.scale),
    radius_m: spec.scale.kind === 'radiusMetres' ? spec.scale.value : null,
    // What else decides the run: the maps' grid (null without), and the storage of M asked, as
    // solve's --matrix (where the tree served, "tree" after "device" names its N).
    grid: spec.grid,
    matrix: spec.matrix,
    points: result.points.map((p) => {
      // A solve that did not converge gives no values, as the text and the plots show none: its
      // velocities are the last iterate's (the reason and the true residual say how far off).
      const solved = (x: number | null) => (p.converged ? x : null);
      return {
        n: p.n,
        n_epsilon: p.nEpsilon,
        epsilon: p.epsilon,
        screening_ratio: solved(p.screeningRatio),
        continuum_ratio: p.continuumRatio,
        london_x: p.londonX,
        field_centre_ratio: solved(p.fieldCentreRatio),
        continuum_field_centre_ratio: p.continuumFieldCentreRatio,
        iterations: p.iterations,
        converged: p.converged,
        reason: p.reason,
        true_relative_residual: p.trueRelativeResidual,
        // Its product M v: float32 on an unrefined GPU solve, whose rounding it then also measures.
        true_residual_product: p.trueResidualProduct,
        // M indefinite here: an exact solution outside the model's validity (null: not established).
        m_indefinite: p.mIndefinite,
        check: p.check,
        // A refined solve's float64 residual with the dense reference's M: held in check's place.
        ...(p.denseResidual !== null && { dense_residual: p.denseResidual }),
        ...(p.sampledResidual !== null && { sampled_residual: p.sampledResidual }),
        // What the held check is held to, solve's target for the same backend, and whether it is within.
        check_target: p.checkTarget,
        within_target: pointWithinTarget(p),
        // The float64 reference solve's reason where it did not converge: the point is not checked.
        reference_unconverged: p.referenceUnconverged,
        // The binned current's fitted e-folding depth below the surface, units of R, which includes the
        // geometric factor r (null where it does not decay inward or a bin's current is not positive),
        // beside London's sphere's fitted the same way (the ball's).
        decay_length: solved(p.decayLength),
        continuum_decay_length: p.continuumDecayLength,
        // lambda/R fitted as London's profile a i_1(r/lambda) sin(theta) to every electron's v_phi,
        // beside London's lambda_L/R = 1/x (the ball, field or rotation; null elsewhere).
        penetration_depth: solved(p.penetrationDepth),
        london_penetration_depth: p.londonPenetrationDepth,
        // The field drive at a radius in metres: the moment per tesla, a solid's susceptibility against
        // the applied field and the ball's against the field inside, SI.
        ...(spec.scale.kind === 'radiusMetres' && spec.drive === 'field'
          ? {
              moment_per_tesla: solved(p.momentPerTesla),
              apparent_susceptibility: solved(p.apparentSusceptibility),
              intrinsic_susceptibility: solved(p.intrinsicSusceptibility),
            }
          : {}),
        ...(rotation
          ? {
              london_field_ratio: solved(p.londonFieldRatio),
              continuum_london_field_ratio: p.continuumLondonFieldRatio,
              n_eff_epsilon: solved(p.nEffEpsilon),
            }
          : {}),
      };
    }),
    limits: result.limits.map((l) => ({
      n_epsilon: l.nEpsilon,
      extrapolated_ratio: l.extrapolatedRatio,
      uncertainty: l.uncertainty,
      // 0: too few N to refit without the smallest, the ± is the fit's covariance alone (fitLaw).
      window_refits: l.windowRefits,
      law: l.law,
      exponent: l.exponent,
      free_exponent: l.freeExponent,
      // c with p free too, and its distance from c: the law's fixed p's part of the error, apart.
      free_exponent_coefficient: l.freeExponentCoefficient,
      uncertainty_systematic: l.uncertaintySystematic,
      continuum_ratio: l.continuumRatio,
    })),
    device,
    ...treeSummary(result, threads),
  } satisfies StudyReport;
}

/**
 * A `warning:` line for each point whose check is past its target (the CLI's stderr, as solve's
 * check warns), naming the point. A point whose solve, or whose reference, did not converge has no
 * check (its reason says so in the text).
 */
export function responseCheckWarnings(
  points: readonly Pick<
    ResponsePoint,
    'n' | 'nEpsilon' | 'check' | 'denseResidual' | 'sampledResidual' | 'checkTarget'
  >[],
): string[] {
  return points.flatMap((p) => {
    const checked = pointCheck(p);
    const at = `the float64 check of N = ${p.n}, N r_e/R = ${Number(p.nEpsilon.toPrecision(6))}`;
    const warning = checked && checkWarning([{ ...checked, targetName: 'check' }], at);
    return warning ? [warning] : [];
  });
}

/**
 * One `warning:` line (the CLI's stderr) naming the points where M is indefinite ("m_indefinite":
 * true), whose numbers, exact solutions of M v = b, describe electrons closer than the model holds
 * (within about r_e); null where there is none.
 */
export function responseIndefiniteWarning(
  points: readonly Pick<ResponsePoint, 'n' | 'nEpsilon' | 'mIndefinite'>[],
): string | null {
  const at = points.filter((p) => p.mIndefinite === true);
  if (at.length === 0) return null;
  const where = at.map((p) => `N = ${p.n} at N r_e/R = ${Number(p.nEpsilon.toPrecision(6))}`).join(', ');
  return (
    `warning: M is indefinite at ${where} ("m_indefinite": true): electrons within about r_e of ` +
    "each other, outside the model's validity; a converged point's values there solve M v = b exactly " +
    'but describe no physical screening'
  );
}

/**
 * `response --json`'s summary, and what the app's Studies › Response saves: responseJson and, where
 * the run summed maps (a grid), "field_map_check": their largest fieldMapCheck (the GPU's Biot-Savart
 * sum against float64), null where the maps were summed in float64.
 */
export function responseSummary(
  result: ResponseResult,
  device: DeviceSummary,
  stop: SweepStop | null = null,
  threads?: number,
) {
  return { ...responseJson(result, device, { stop, threads }), ...fieldMapCheck(result) };
}

function fieldMapCheck(result: ResponseResult): { field_map_check?: number | null } {
  if (result.spec.grid === null) return {};
  const checks = result.points.flatMap((p) => (p.fieldMapCheck === null ? [] : [p.fieldMapCheck]));
  return { field_map_check: checks.length ? Math.max(...checks) : null };
}

type ResponseSummary = ReturnType<typeof responseSummary>;

/**
 * A cell of the text's tables: `written` of a number, '-' for none (a point that did not converge).
 * By default six digits, in exponent form outside [1e-3, 1e5) as the README's tables (markdownNumber):
 * without it, --radius-m's N r_e/R of 8.45382e-5 would print as 0.0000845382.
 */
function textCell(x: number | null | undefined, written = (y: number) => f(y, 6)): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '-' : written(x);
}

/** The first cells of a row of the text's tables, which name its point, and their header. */
const kPointHeader = ['N', 'N r_e/R'];
const pointCells = (p: Pick<ResponseSummary['points'][number], 'n' | 'n_epsilon'>) => [
  String(p.n),
  textCell(p.n_epsilon),
];

/** An error or its target as the text shows it: three digits, always with an exponent. */
const errorCell = (x: number | null | undefined) => textCell(x, (y) => y.toExponential(2));

/** The text's header of london_x: what R over a London length is for the geometry. */
const kLondonXHeader: Partial<Record<string, string>> = {
  ball: 'R/lambda_L',
  disk: 'R/Lambda',
  sphere: 'R/Lambda',
};

/** The text's note under a check table with a dense_residual column: which error its target holds. */
const kDenseResidualNote =
  "dense res.: a refined solve's float64 ||b - M v||/||b|| with the dense reference's M, which the " +
  "target holds in check's place: check, the velocities' error, is up to cond(M) times it";

/**
 * The float64 check of each point, as the JSON has it: the error (check, or sampled_residual past the
 * dense reference's sizes; with a refined solve's dense_residual beside check) beside its target and
 * the verdict, or why the point went unchecked: that reason a note under the table, keyed by its mark
 * ('not checked [1]'), so that it does not widen the verdict's column. One line where no point is
 * checked by design (the CPU's dense M is the reference).
 */
function checkLines(points: ResponseSummary['points']): string[] {
  const due = points.some((p) => p.check_target !== null || p.reference_unconverged !== null);
  if (!due) return ['check: none, the float64 dense M is the reference itself'];
  const sampled = points.some((p) => p.sampled_residual !== undefined);
  const dense = points.some((p) => p.dense_residual !== undefined);
  const notes: string[] = [];
  const mark = (note: string) => {
    if (!notes.includes(note)) notes.push(note);
    return `[${notes.indexOf(note) + 1}]`;
  };
  const referenceUnconverged = (p: ResponseSummary['points'][number]) =>
    `the float64 reference did not converge (${p.reference_unconverged})`;
  const verdict = (p: ResponseSummary['points'][number]) => {
    if (p.within_target !== null) return p.within_target ? 'yes' : 'NO';
    const why = !p.converged
      ? `the solve did not converge (${p.reason})`
      : p.reference_unconverged !== null
        ? referenceUnconverged(p)
        : null;
    return why === null ? 'not checked' : `not checked ${mark(`not checked: ${why}`)}`;
  };
  // A refined point held to its dense residual is judged without the reference's solve, which
  // alone gives its check: where that did not converge, the empty cell says why.
  const checkCell = (p: ResponseSummary['points'][number]) =>
    p.sampled_residual === undefined &&
    p.check === null &&
    p.within_target !== null &&
    p.reference_unconverged
      ? `${errorCell(null)} ${mark(`check not measured: ${referenceUnconverged(p)}`)}`
      : errorCell(p.sampled_residual ?? p.check);
  const table = textTable([
    [
      ...kPointHeader,
      sampled ? 'sampled res.' : 'check',
      ...(dense ? ['dense res.'] : []),
      'target',
      'within',
    ],
    ...points.map((p) => [
      ...pointCells(p),
      checkCell(p),
      ...(dense ? [errorCell(p.dense_residual)] : []),
      errorCell(p.check_target),
      verdict(p),
    ]),
  ]);
  return [...table, ...(dense ? [kDenseResidualNote] : []), ...notes.map((note, k) => `[${k + 1}] ${note}`)];
}

/**
 * Why the text has no N -> infinity limits: with one eps for every N (`oneEpsilon`, the option that
 * gave it) each N has its own N r_e/R, and the law c + b N^-p holds N r_e/R fixed; else too few N
 * converged.
 */
function noLimitLine(oneEpsilon: string | null): string {
  return oneEpsilon === null
    ? 'N -> infinity: not fitted, the law c + b N^-p needs three N or more that converged'
    : `N -> infinity: not fitted, ${oneEpsilon} gives one eps for every N, so each N has its own ` +
        'N r_e/R and the law c + b N^-p holds it fixed: give --n-epsilon X[,X...] for the limits';
}

/**
 * The text report: each point's screening beside the continuum's and its solve, its float64 check,
 * the centre field, the field drive's SI numbers at a radius in metres, the depths, and the
 * N -> infinity limits (or why there are none). `oneEpsilon`: the option, in the caller's words
 * ('--epsilon'), that gave every N one eps; null where the sweep held N r_e/R (--n-epsilon).
 */
export function responseText(
  summary: ResponseSummary,
  files: readonly string[],
  oneEpsilon: string | null,
): string {
  const { points } = summary;
  const rotation = summary.drive === 'rotation';
  const lines = [
    `response: ${summary.drive} drive, ${summary.geometry}, ${summary.model} model, device ${summary.device.kind}`,
    ...(summary.stopped ? [stoppedLine(summary.stopped)] : []),
    '',
    ...textTable([
      [
        ...kPointHeader,
        'screening',
        'continuum',
        kLondonXHeader[summary.geometry] ?? 'London x',
        'its',
        'converged',
      ],
      ...points.map((p) => [
        ...pointCells(p),
        textCell(p.screening_ratio),
        textCell(p.continuum_ratio),
        textCell(p.london_x),
        String(p.iterations),
        // A solve that met negative curvature says so in its reason.
        `${p.reason}${p.m_indefinite && p.reason !== 'diverged_indefinite' ? ', M indefinite' : ''}`,
      ]),
    ]),
    '',
    ...checkLines(points),
  ];
  // The centre field, the field excluded (rotation: the London moment's field), beside the continuum's.
  if (summary.drive !== 'flux') {
    lines.push(
      '',
      ...textTable([
        rotation
          ? [
              ...kPointHeader,
              'B(0)/B_London',
              'continuum',
              'N_eff r_e/R (eq. 30: 3 on a shell, 2 through a ball)',
            ]
          : [...kPointHeader, 'B(0)/B_ext', 'continuum'],
        ...points.map((p) => [
          ...pointCells(p),
          ...(rotation
            ? [
                textCell(p.london_field_ratio),
                textCell(p.continuum_london_field_ratio),
                textCell(p.n_eff_epsilon),
              ]
            : [textCell(p.field_centre_ratio), textCell(p.continuum_field_centre_ratio)]),
        ]),
      ]),
    );
  }
  // The field drive at a radius in metres: its moment and a solid's susceptibilities in SI.
  if (points.some((p) => 'moment_per_tesla' in p)) {
    const si = (x: number | null | undefined) => textCell(x, (y) => y.toExponential(5));
    lines.push(
      '',
      ...textTable([
        [...kPointHeader, 'mu_z/B (A m^2/T)', 'chi_app (SI)', 'chi_int (SI)'],
        ...points.map((p) => [
          ...pointCells(p),
          si(p.moment_per_tesla),
          si(p.apparent_susceptibility),
          si(p.intrinsic_susceptibility),
        ]),
      ]),
    );
  }
  // The binned current's e-folding depth beside London's sphere's, and the penetration depth fitted
  // as London's profile beside lambda_L, where any of them is given.
  const depths = points.some((p) =>
    [p.decay_length, p.continuum_decay_length, p.penetration_depth, p.london_penetration_depth].some(
      (value) => value !== null,
    ),
  );
  if (depths) {
    lines.push(
      '',
      ...textTable([
        [...kPointHeader, 'decay/R', 'London decay/R', 'lambda/R fit', 'lambda_L/R'],
        ...points.map((p) => [
          ...pointCells(p),
          textCell(p.decay_length),
          textCell(p.continuum_decay_length),
          textCell(p.penetration_depth),
          textCell(p.london_penetration_depth),
        ]),
      ]),
    );
  }
  if (summary.limits.length) {
    // Beside the law's c, the c and p that fit best with p free too (four N or more); '*' marks a ±
    // that is the fit's covariance alone.
    lines.push(
      '',
      ...textTable([
        ['N r_e/R', 'N -> infinity', '+-', 'continuum', 'p free: c', 'p', 'law'],
        ...summary.limits.map((l) => [
          textCell(l.n_epsilon),
          textCell(l.extrapolated_ratio),
          textCell(l.uncertainty, (y) => y.toExponential(1)) + (l.window_refits === 0 ? '*' : ''),
          textCell(l.continuum_ratio),
          textCell(l.free_exponent_coefficient),
          textCell(l.free_exponent, (y) => y.toFixed(3)),
          l.law,
        ]),
      ]),
    );
    if (summary.limits.some((l) => l.window_refits === 0)) lines.push(`* ${kCovarianceAloneNote}`);
  } else if (finiteSizeExponent(summary.geometry) !== null) {
    lines.push('', noLimitLine(oneEpsilon));
  }
  if (files.length) lines.push('', 'wrote:', ...files.map((file) => `  ${file}`));
  return lines.join('\n') + '\n';
}

/**
 * Where M was the fast multipole tree: "tree": its tolerance and the N it served (auto on the CPU
 * takes it past 16 384 unknowns), and the CPU tree's `threads` where given; absent otherwise.
 */
function treeSummary(
  result: ResponseResult,
  threads: number | undefined,
): { tree?: { tolerance: number; n: number[] }; threads?: number } {
  const served = result.points.filter((p) => p.tree !== null);
  if (served.length === 0) return {};
  return {
    tree: { tolerance: served[0].tree!.tolerance, n: [...new Set(served.map((p) => p.n))] },
    ...(threads === undefined ? {} : { threads }),
  };
}

/**
 * A point's tag in the names of its files (`response-<tag>.csv`, `response-map-<tag>.svg`): N, and
 * N r_e/R to `digits` significant digits.
 */
export function responsePointTag(point: Pick<ResponsePoint, 'n' | 'nEpsilon'>, digits = 3): string {
  return `n${point.n}-x${point.nEpsilon.toPrecision(digits)}`;
}

/**
 * The tags of a run's points, with as few significant digits (3 at least) as tell them all apart:
 * N r_e/R = 1.001 and 1.002 would share 3 digits and one file. 17 digits tell any two doubles apart.
 */
export function responsePointTags(points: readonly Pick<ResponsePoint, 'n' | 'nEpsilon'>[]): string[] {
  for (let digits = 3; ; digits++) {
    const tags = points.map((point) => responsePointTag(point, digits));
    if (digits === 17 || new Set(tags).size === tags.length) return tags;
  }
}

const kResponsePlots = {
  screening: 'response-screening.svg',
  centre: 'response-centre.svg',
  profile: 'response-profile.svg',
} as const;

/** The names of each point's files, from the spec (responsePlan): its velocities, and its map if any. */
function responsePointFileNames(spec: ResponseSpec): { readonly csv: string; readonly map: string | null }[] {
  const plan = responsePlan(spec);
  const tags = responsePointTags(plan.map(({ n, epsilon }) => ({ n, nEpsilon: n * epsilon })));
  return plan.map((point, k) => ({
    csv: `response-${tags[k]}.csv`,
    map: point.fieldMap ? `response-map-${tags[k]}.svg` : null,
  }));
}

/**
 * How many bins of depth hold electrons: the current against depth is a profile only over two or
 * more. A ring's, a sphere's and a cylinder's electrons all lie at |r| >= 1, depth 0: one bin.
 */
function depthsHeld(profile: Pick<CurrentProfile, 'counts'>): number {
  return profile.counts.filter((count) => count > 0).length;
}

/**
 * Whether the largest N of `spec` puts its electrons at more than one depth, so that a run may draw
 * their current against depth (the bins of currentProfile hold positions only: no solve needed to tell).
 */
function mayDrawProfile(spec: Pick<ResponseSpec, 'geometry' | 'ns'>): boolean {
  // responseProfileSvg draws the largest N's.
  const { positions } = geometry(spec.geometry, Math.max(...spec.ns));
  return depthsHeld(currentProfile(positions, new Float64Array(positions.length))) > 1;
}

/** The names responseFiles gives a run of `spec`, known before it runs, in its order. */
export function responseFileNames(spec: ResponseSpec): string[] {
  return [
    kResponsePlots.screening,
    ...(spec.drive === 'flux' ? [] : [kResponsePlots.centre]),
    ...(mayDrawProfile(spec) ? [kResponsePlots.profile] : []),
    ...responsePointFileNames(spec).flatMap(({ csv, map }) => (map === null ? [csv] : [csv, map])),
  ];
}

/**
 * The files of `response --out DIR`, name and text: the plots (the profile where there is one to
 * draw; those over the sweep say in their titles where it stopped), then each point's velocities and
 * map (each whole).
 */
export function responseFiles(result: ResponseResult, stop: SweepStop | null = null): [string, string][] {
  const names = responsePointFileNames(result.spec);
  const profile = responseProfileSvg(result, stop);
  const centre = responseCentreSvg(result, stop);
  return [
    [kResponsePlots.screening, responseScreeningSvg(result, stop)],
    ...(centre === null ? [] : [[kResponsePlots.centre, centre] as [string, string]]),
    ...(profile === null ? [] : [[kResponsePlots.profile, profile] as [string, string]]),
    ...result.points.flatMap((point, k): [string, string][] => {
      const { csv, map } = names[k];
      const velocities: [string, string] = [csv, responseVelocitiesCsv(point)];
      return map === null ? [velocities] : [velocities, [map, responseFieldMapSvg(result, point)]];
    }),
  ];
}

/** One row per electron: its position (units of R) and velocity (units of the drive's u). */
export function responseVelocitiesCsv(point: ResponsePoint): string {
  const { positions } = point.configuration;
  const v = point.velocities;
  const lines = ['x,y,z,vx,vy,vz'];
  for (let k = 0; k < positions.length; k += 3) {
    lines.push([positions[k], positions[k + 1], positions[k + 2], v[k], v[k + 1], v[k + 2]].join(','));
  }
  return lines.join('\n') + '\n';
}

/**
 * What a sweep held fixed where it was not N r_e/R, for a plot's title: one eps (--epsilon) or one
 * radius (--radius-m) for every N, so that N r_e/R grows with N along each plot.
 */
function heldScale(spec: Pick<ResponseSpec, 'scale'>): string {
  if (spec.scale.kind === 'epsilon') return `, ε = ${spec.scale.value}`;
  if (spec.scale.kind === 'radiusMetres') return `, R = ${spec.scale.value} m`;
  return '';
}

/** N r_e/R from the sweep's least to its largest, log-spaced: the x of a continuum curve. */
function nEpsilonCurve(points: readonly Pick<ResponsePoint, 'nEpsilon'>[]): number[] {
  const xs = points.map((p) => p.nEpsilon);
  const [low, high] = [Math.min(...xs), Math.max(...xs)];
  return Array.from({ length: 61 }, (_, k) => low * (high / low) ** (k / 60));
}

/**
 * One series per N of a value of its converged points, in kPalette's colours (the ring's circulant
 * curves take their N's); a solve that did not converge has no value to plot: left out, and the legend
 * says so.
 */
function perNSeries(result: ResponseResult, value: (p: ResponsePoint) => number | null): PlotSeries[] {
  return result.spec.ns.flatMap((n, k) => {
    const at = result.points.filter((p) => p.n === n);
    if (at.length === 0) return [];
    const drawn = at.filter((p) => p.converged && value(p) !== null);
    const left = at.length - at.filter((p) => p.converged).length;
    return [
      {
        label: `N = ${n}${left ? ` (${left} not converged, not drawn)` : ''}`,
        x: drawn.map((p) => p.nEpsilon),
        y: drawn.map((p) => value(p) as number),
        points: true,
        colour: kPalette[k % kPalette.length],
      },
    ];
  });
}

/** The screening plot's title: the SVG's, and the app's curve of the same ratio. */
export function responseScreeningTitle(spec: ShownResponse['spec']): string {
  return `${spec.drive} drive, ${spec.geometry}, ${spec.model} model${heldScale(spec)}: ${kRatioName[spec.drive].words}`;
}

/**
 * The screening ratio against N r_e/R, one series per N, the N -> infinity limits of the fits, and the
 * continuum theory dashed (the ring's circulant, of each N, in that N's colour).
 */
export function responseScreeningSvg(result: ResponseResult, stop: SweepStop | null = null): string {
  const { spec, points } = result;
  const series = perNSeries(result, (p) => p.screeningRatio);
  if (result.limits.length)
    series.push({
      label: 'N → ∞ (fit c + b N^-p)',
      x: result.limits.map((l) => l.nEpsilon),
      y: result.limits.map((l) => l.extrapolatedRatio),
      points: true,
      line: false,
      colour: '#000000',
    });
  const curve = nEpsilonCurve(points);
  const continuumNs = spec.geometry === 'ring' ? spec.ns : [spec.ns[spec.ns.length - 1]];
  for (const n of continuumNs) {
    // The ring of 2 or 3 has its circulant only below its uniform mode's null (ringContinuumRatio).
    const defined = curve.flatMap((x) => {
      const y = continuumRatio(spec.geometry, spec.drive, n, x / n);
      return y === null ? [] : [{ x, y }];
    });
    if (defined.length === 0) continue;
    const k = spec.ns.indexOf(n);
    series.push({
      label: spec.geometry === 'ring' ? `circulant, N = ${n}` : 'continuum',
      x: defined.map((point) => point.x),
      y: defined.map((point) => point.y),
      dashed: true,
      colour: spec.geometry === 'ring' ? kPalette[k % kPalette.length] : '#555555',
    });
  }
  const logX = curve[0] < curve[curve.length - 1];
  return linePlot({
    title: sweepPlotTitle(responseScreeningTitle(spec), stop),
    xLabel: 'N r_e / R',
    yLabel: kRatioName[spec.drive].symbol,
    logX,
    series,
    hLines: [{ value: 1, label: 'no Darwin term' }],
    vLines: [{ value: 1, label: 'eq. 49' }],
    legend: 'bottom-left',
  });
}

/**
 * The centre field against N r_e/R, one series per N, and the continuum's dashed: the field drive's
 * B(0)/B_ext (the field excluded, as by a perfect conductor: London's sphere x / sinh x, the shell's 1/(1 +
 * N r_e/3R)), the rotation's over the London field 2 m Omega / |e| (the London moment: 1 minus the same);
 * null for the
 * flux drive, which has no centre field.
 */
export function responseCentreSvg(result: ResponseResult, stop: SweepStop | null = null): string | null {
  const { spec, points } = result;
  if (spec.drive === 'flux') return null;
  const rotation = spec.drive === 'rotation';
  const series = perNSeries(result, (p) => (rotation ? p.londonFieldRatio : p.fieldCentreRatio));
  const curve = nEpsilonCurve(points);
  const continuum = curve.map((x) => continuumCentreField(spec.geometry, spec.drive, x));
  if (continuum.every((value) => value !== null))
    series.push({
      label: spec.geometry === 'sphere' ? 'continuum shell' : "London's sphere",
      x: curve,
      y: continuum.map((value) => (rotation ? 1 - (value as number) : (value as number))),
      dashed: true,
      colour: '#555555',
    });
  return linePlot({
    title: sweepPlotTitle(
      rotation
        ? `${spec.geometry}, ${spec.model} model${heldScale(spec)}: the London moment's centre field`
        : `${spec.geometry}, ${spec.model} model${heldScale(spec)}: the field excluded, the centre field`,
      stop,
    ),
    xLabel: 'N r_e / R',
    yLabel: rotation ? 'B(0) / B_London (B_London = 2mΩ/|e|)' : 'B(0) / B_ext',
    logX: curve[0] < curve[curve.length - 1],
    series,
    hLines: [{ value: rotation ? 0 : 1, label: 'no Darwin term' }],
    vLines: [{ value: 1, label: 'eq. 49' }],
    legend: rotation ? 'top-left' : 'bottom-left',
  });
}

/** Depths 0..1 at which a fitted London profile is drawn: fine enough for lambda of 0.01 R. */
const kProfileCurveDepths = Array.from({ length: 201 }, (_, k) => k / 200);

/**
 * The current against depth at the largest N, one series per N r_e/R whose solve converged, each in
 * its colour with its penetration depth fitted as London's profile beside lambda_L (else, where London's
 * sphere is not the continuum, the binned profile's e-folding depth l), and the fitted profile dashed:
 * the bins hold the mean of v_phi / sin(theta), so the curve is a i_1(r / lambda) / i_1(R / lambda) at
 * r = 1 - depth (londonRadialProfile, a the fit's surface value). Null where there is nothing to draw:
 * no converged point there, or its electrons all at one depth (a ring, a sphere, a cylinder: depthsHeld).
 */
export function responseProfileSvg(result: ResponseResult, stop: SweepStop | null = null): string | null {
  const largest = result.points.at(-1)?.n;
  const atLargest = result.points.filter((p) => p.n === largest);
  if (!atLargest.some((p) => p.converged && depthsHeld(p.profile) > 1)) return null;
  const left = atLargest.filter((p) => !p.converged).length;
  const drawn = atLargest.filter((p) => p.converged);
  const colour = (k: number) => kPalette[k % kPalette.length];
  const series: PlotSeries[] = drawn.map((p, k) => {
    const bins = Array.from(p.profile.depth.keys()).filter((b) => p.profile.counts[b] > 0);
    return {
      label: `N r_e/R = ${p.nEpsilon.toPrecision(3)}${profileDepthLabel(p)}`,
      x: bins.map((b) => p.profile.depth[b]),
      y: bins.map((b) => p.profile.current[b]),
      points: true,
      colour: colour(k),
    };
  });
  // The fits after the data, so that the legend names them once, last.
  drawn.forEach((p, k) => {
    if (p.penetrationDepth === null || p.penetrationAmplitude === null) return;
    const [lambda, amplitude] = [p.penetrationDepth, p.penetrationAmplitude];
    const named = series.some((s) => s.dashed);
    series.push({
      label: named ? '' : 'London’s a i₁(r/λ), fitted',
      x: kProfileCurveDepths,
      y: kProfileCurveDepths.map((depth) => amplitude * londonRadialProfile(1 - depth, lambda)),
      dashed: true,
      colour: colour(k),
    });
  });
  return linePlot({
    // Stopped, its largest N may not be the sweep's, nor hold all its N r_e/R.
    title: sweepPlotTitle(
      `${result.spec.geometry}, N = ${largest}: induced current against depth` +
        (left ? ` (${left} not converged, not drawn)` : ''),
      stop,
    ),
    xLabel: 'depth 1 − r/R',
    yLabel: `j_φ / sin θ (units of n e u, u = ${kDriveVelocityUnits[result.spec.drive]})`,
    series,
    legend: 'top-right',
  });
}

/**
 * A profile's legend after its N r_e/R: the penetration depth fitted as London's profile beside
 * lambda_L where London's sphere is the continuum ("λ = 0.55 R (λ_L 0.577 R)"; "λ not fitted" where
 * fitLondonProfile gives none: the rigid rotation fits as well), else the binned profile's e-folding
 * depth, or nothing.
 */
function profileDepthLabel(
  p: Pick<ResponsePoint, 'penetrationDepth' | 'londonPenetrationDepth' | 'decayLength'>,
): string {
  if (p.londonPenetrationDepth !== null) {
    const fitted = p.penetrationDepth === null ? ' not fitted' : ` = ${p.penetrationDepth.toPrecision(3)} R`;
    return `, λ${fitted} (λ_L ${p.londonPenetrationDepth.toPrecision(3)} R)`;
  }
  return p.decayLength === null ? '' : `, l = ${p.decayLength.toPrecision(3)} R`;
}

/** Follows a point's numbers where its solve did not converge; empty where it did. */
export function notConvergedMark(point: Pick<ShownResponsePoint, 'converged' | 'reason'>): string {
  return point.converged ? '' : ` — not converged (${point.reason})`;
}

/**
 * The field map of one point (B_z / B_ext, or B_z / B_London for rotation) over the x-z plane; its
 * title says where the velocities it is made of are an unconverged solve's.
 */
export function responseFieldMapSvg(
  result: Pick<ShownResponse, 'spec'>,
  point: Pick<ShownResponsePoint, 'n' | 'nEpsilon' | 'fieldMap' | 'converged' | 'reason'>,
): string {
  if (!point.fieldMap) throw new RangeError('this point has no field map');
  const size = Math.round(Math.sqrt(point.fieldMap.length));
  const rotation = result.spec.drive === 'rotation';
  // Points next to an electron see its 1/r^2 field: the scale is clipped to the physics, and the
  // label says how many cells lie past it (the rotation's return flux outside the body is negative).
  const [lower, upper] = [-0.5, 1.5];
  const clipped = point.fieldMap.filter((value) => value < lower || value > upper).length;
  const colourLabel = rotation ? 'B_z / B_London' : 'B_z / B_ext';
  return heatMap({
    title:
      `${result.spec.drive} drive, ${result.spec.geometry}, ${result.spec.model} model, N = ${point.n}, ` +
      `N r_e/R = ${point.nEpsilon.toPrecision(3)}` +
      notConvergedMark(point),
    xLabel: 'x / R',
    yLabel: 'z / R (the drive axis)',
    xRange: [-kMapHalfWidth, kMapHalfWidth],
    yRange: [-kMapHalfWidth, kMapHalfWidth],
    columns: size,
    rows: size,
    values: point.fieldMap,
    colourLabel: clipped
      ? `${colourLabel} (${clipped} ${clipped === 1 ? 'cell' : 'cells'} past the ends)`
      : colourLabel,
    valueRange: [lower, upper],
  });
}

/** The table's note on a point where M is indefinite (m_indefinite). */
const kIndefiniteNote =
  'M indefinite at this point (electrons within about r_e): an exact solution of M v = b, ' +
  "outside the Darwin model's validity";

/** Whether a point's numbers solve M v = b where M is indefinite: converged, and m_indefinite true. */
function indefiniteSolution(point: Pick<ShownResponsePoint, 'converged' | 'mIndefinite'>): boolean {
  return point.converged && point.mIndefinite === true;
}

/**
 * The mark after a point's number where M is indefinite there ('†', explained by indefiniteNote),
 * else '': the number solves M v = b exactly, outside the model. A value that is no number (null:
 * the flux drive's absent centre field) carries none.
 */
export function indefiniteMark(
  point: Pick<ShownResponsePoint, 'converged' | 'mIndefinite'>,
  value: number | null,
): string {
  return indefiniteSolution(point) && value !== null ? '†' : '';
}

/** The note under a table whose numbers indefiniteMark marks ('† M indefinite …'), or null where none is. */
export function indefiniteNote(
  points: readonly Pick<ShownResponsePoint, 'converged' | 'mIndefinite'>[],
): string | null {
  return points.some(indefiniteSolution) ? `† ${kIndefiniteNote}.` : null;
}

/**
 * The README's table of one sweep: per N r_e/R, the screening ratio at each N, its N -> infinity limit
 * with the fit's uncertainty, the continuum theory, and at the largest N the centre field (field drive:
 * B_total(0)/B_ext, the field excluded; rotation: the London field ratio and N_eff r_e/R of eq. 30),
 * and where London's sphere is the continuum the penetration depth fitted as its profile beside λ_L.
 */
export function responseMarkdown(result: ResponseResult): string {
  const { spec } = result;
  const rotation = spec.drive === 'rotation';
  const ns = [...new Set(result.points.map((p) => p.n))].sort((a, b) => a - b);
  const largest = ns[ns.length - 1];
  // One row per N r_e/R: a sweep's N (x/N) may miss x in the last bit at some N.
  const nEpsilons: number[] = [];
  for (const x of result.points.map((p) => p.nEpsilon).sort((a, b) => a - b)) {
    if (!nEpsilons.some((y) => sameNEpsilon(y, x))) nEpsilons.push(x);
  }
  const at = (n: number, x: number) => result.points.find((p) => p.n === n && sameNEpsilon(p.nEpsilon, x));
  const cell = (p: ResponsePoint | undefined, value: (p: ResponsePoint) => number | null) =>
    p === undefined ? '–' : p.converged ? `${f(value(p))}${indefiniteMark(p, value(p))}` : `(${p.reason})`;
  // The penetration depth fitted as London's profile beside London's, where London's sphere is the
  // continuum (the ball, field or rotation).
  const depths = result.points.some((p) => p.londonPenetrationDepth !== null);
  // The centre field's continuum where the geometry has one (London's sphere, the shell).
  const centres = result.points.some((p) => p.continuumFieldCentreRatio !== null);
  // The two columns the geometry or the drive never fills are left out: R over a London length where
  // the geometry has none (it has one on the ball, disk and sphere), the centre field under flux
  // (field_centre_ratio is null there). N -> infinity and the continuum stay in every table, '–' in
  // each row where there is no fit (fewer N, or a ring) or no continuum.
  const londonXs = result.points.some((p) => p.londonX !== null);
  const centreField = spec.drive !== 'flux';
  const londonX = spec.geometry === 'disk' || spec.geometry === 'sphere' ? 'R/Λ (Pearl)' : 'R/λ_L';
  const header = [
    'N r_e/R',
    ...(londonXs ? [londonX] : []),
    ...ns.map((n) => `${kRatioName[spec.drive].symbol}, N = ${n}`),
    'N → ∞',
    'continuum',
    ...(centreField ? [`${rotation ? 'B(0)/B_London' : 'B(0)/B_ext'}, N = ${largest}`] : []),
    ...(centres ? ['continuum B(0)'] : []),
    ...(rotation ? ['N_eff r_e/R'] : []),
    ...(depths ? [`λ/R, N = ${largest}`, 'λ_L/R'] : []),
  ];
  const rows = nEpsilons.map((x) => {
    const limit = result.limits.find((l) => sameNEpsilon(l.nEpsilon, x));
    const top = at(largest, x);
    // R/lambda_L and the continuum at the largest N (the ring's circulant depends on N), else at the
    // largest N that has x: with --epsilon each N has its own x.
    const shown = top ?? result.points.filter((p) => sameNEpsilon(p.nEpsilon, x)).at(-1);
    return [
      f(x),
      ...(londonXs ? [f(shown?.londonX)] : []),
      ...ns.map((n) => cell(at(n, x), (p) => p.screeningRatio)),
      limit
        ? `${f(limit.extrapolatedRatio)} ± ${f(limit.uncertainty, 2)}${limit.windowRefits === 0 ? '*' : ''}` +
          (limit.freeExponentCoefficient === null ? '' : ` (p free: ${f(limit.freeExponentCoefficient)})`)
        : '–',
      f(limit?.continuumRatio ?? shown?.continuumRatio),
      ...(centreField
        ? [rotation ? cell(top, (p) => p.londonFieldRatio) : cell(top, (p) => p.fieldCentreRatio)]
        : []),
      ...(centres ? [f(rotation ? shown?.continuumLondonFieldRatio : shown?.continuumFieldCentreRatio)] : []),
      ...(rotation ? [cell(top, (p) => p.nEffEpsilon)] : []),
      ...(depths ? [cell(top, (p) => p.penetrationDepth), f(shown?.londonPenetrationDepth)] : []),
    ];
  });
  const alone = result.limits.some((l) => l.windowRefits === 0);
  const indefinite = indefiniteNote(result.points);
  return (
    markdownTable(header, rows) +
    (alone ? `\n\n\\* ${kCovarianceAloneNote}.` : '') +
    (indefinite ? `\n\n${indefinite}` : '')
  );
}
