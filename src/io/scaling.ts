// The scaling study's files (`scaling --json`, `--out DIR`), shared by the CLI and the app:
//   JSON  {"studies": [{"geometry", "model", "dimension", "points": [{"n", "lambda_max", "lambda_min",
//         "rigid_rotation_quotient", ...}], "fit": {"law", "coefficient", "uncertainty", ...},
//         "critical_radius_m", "paper_radius_m", ...}]}   (scripts rely on these names)
//   CSV   one row per point of every study.
//   SVG   per study, lambda_max against N (log-log) and lambda_max / N against N.
import { ringLambdaMaxAsymptotic } from '../physics/scaling.ts';
import { fittedCoefficient, type LawFit, type ScalingPoint, type ScalingStudy } from '../solvers/scaling.ts';
import { linePlot, type PlotSeries } from './svg.ts';

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
    uncertainty_note:
      'sqrt(covariance^2 + window^2): the standard error from the fit covariance (residual variance) ' +
      'and the largest change when the smallest N are dropped',
    theory: fit.law.theory ?? null,
    parameters: Object.fromEntries(fit.law.parameters.map((name, k) => [name, fit.parameters[k]])),
    exponent: fit.law.exponent ?? null,
    free_exponent: fit.freeExponent,
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
    ms: point.milliseconds,
  };
}

/** One study as the JSON contract names it (extra fields beside the contract's). */
export function scalingStudyJson(study: ScalingStudy, extra: Record<string, unknown> = {}) {
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
      kappa: study.minimumConstant.kappa,
      uncertainty: study.minimumConstant.uncertainty,
      kappa_closest_pair: study.minimumConstant.kappaClosestPair,
      note: 'M = D + eps T turns indefinite at eps = 1/|lambda_min|: nearest neighbours closer than kappa r_e',
    },
    rotation_fit: fitJson(study.rotationFit),
    london_inertia_ratio: study.londonInertiaRatio,
    ms: study.milliseconds,
    ...extra,
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
  'mode',
  'minimum_mode',
  'participation_min',
  'london_inertia_ratio',
  'iterations',
  'converged',
] as const;

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
        p.mode,
        p.minimumMode,
        p.participationMin,
        p.londonInertiaRatio,
        p.lanczos.iterations,
        p.lanczos.converged,
      ];
      lines.push(cells.map((cell) => (cell === null ? '' : String(cell))).join(','));
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

/** Log-log lambda_max (and |lambda_min|) against N, the fit, and the paper's estimate lambda_max ~ N. */
export function scalingEigenvalueSvg(study: ScalingStudy): string {
  const ns = study.points.map((p) => p.n);
  const series: PlotSeries[] = [
    {
      label: 'lambda_max',
      x: ns,
      y: study.points.map((p) => p.lambdaMax),
      points: true,
      line: false,
    },
    {
      label: '|lambda_min|',
      x: ns,
      y: study.points.map((p) => -p.lambdaMin),
      points: true,
      line: false,
      colour: '#009e73',
    },
    {
      label: 'paper: N (eq. 49)',
      x: [ns[0], ns[ns.length - 1]],
      y: [ns[0], ns[ns.length - 1]],
      dashed: true,
      colour: '#777777',
    },
  ];
  if (study.fit) {
    const fit = study.fit;
    const curve = curveNs(ns[0], ns[ns.length - 1]);
    series.push({
      label: `fit: ${fitShape(fit)}`,
      x: curve,
      y: curve.map((n) => n * fittedCoefficient(fit, n)),
      dashed: true,
      colour: '#d55e00',
    });
  }
  if (study.geometry === 'ring') {
    const curve = curveNs(ns[0], ns[ns.length - 1]);
    series.push({
      label: '(N/pi)(ln N + C)',
      x: curve,
      y: curve.map(ringLambdaMaxAsymptotic),
      dashed: false,
      colour: '#cc79a7',
    });
  }
  return linePlot({
    title: `${study.geometry} (${study.model} model, d = ${study.dimension}): extreme eigenvalues of the interaction`,
    xLabel: 'N (electrons at fixed size R)',
    yLabel: 'eigenvalue of D^-1/2 (M - D) D^-1/2 at eps = 1',
    logX: true,
    logY: true,
    series,
    legend: 'top-left',
  });
}

/** lambda_max / N and the rigid rotation's quotient / N against N, the fit and its N -> infinity limit. */
export function scalingCoefficientSvg(study: ScalingStudy): string {
  const ns = study.points.map((p) => p.n);
  const fit = study.fit;
  const curve = curveNs(ns[0], ns[ns.length - 1]);
  const series: PlotSeries[] = [
    {
      label: 'lambda_max / N',
      x: ns,
      y: study.points.map((p) => p.coherentCoefficient),
      points: true,
      line: false,
    },
    {
      label: 'rigid rotation, q / N',
      x: ns,
      y: study.points.map((p) => p.rigidRotationQuotient / p.n),
      points: true,
      line: false,
      colour: '#009e73',
    },
  ];
  if (fit) {
    series.push({
      label: `fit: ${fitShape(fit)}`,
      x: curve,
      y: curve.map((n) => fittedCoefficient(fit, n)),
      dashed: true,
      colour: '#d55e00',
    });
  }
  const hLines =
    fit && fit.law.name === 'inverse_power'
      ? [
          {
            value: fit.coefficient,
            label: `N -> infinity: ${fit.coefficient.toFixed(4)} ± ${fit.uncertainty.toFixed(4)}`,
          },
        ]
      : [];
  // From 0, which leaves the bottom of the plot to the legend (both quotients are positive).
  const top = Math.max(...series.flatMap((s) => Array.from(s.y)), ...hLines.map((line) => line.value));
  return linePlot({
    title: `${study.geometry} (${study.model} model): coherent-mode coefficient lambda_max / N`,
    xLabel: 'N',
    yLabel: 'lambda_max / N',
    logX: true,
    series,
    hLines,
    yRange: [0, 1.06 * top],
    legend: 'bottom-right',
  });
}
