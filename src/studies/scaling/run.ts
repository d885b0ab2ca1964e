// The scaling study on any backend: for one geometry, a sweep of N computing the extreme
// eigenvalues of the interaction matrix A = D^-1/2 (M - D) D^-1/2 at eps = 1 (src/physics/scaling.ts) by
// Lanczos, which velocity pattern the top one is, the rigid rotation's quotient, and the fit of
// lambda_max / N to the law of the geometry with the critical size R* it implies (eq. 51-55).
// Backends come from a factory, one per N, so the CLI (GPU or float64 CPU) and the app run the same
// sweep under the same Stop rule (src/studies/study.ts); nothing here touches the GPU.
import { unknowns, validateSystem, type DarwinSystem, type ModelName } from '../../physics/models.ts';
import { energies, relativeError } from '../../physics/observables.ts';
import { minimumSuperconductingSize } from '../../physics/paper.ts';
import { ringCirculantEigenvalues } from '../../physics/ring.ts';
import { londonInertiaRatio } from '../../physics/london.ts';
import {
  kAlternating,
  kAzimuthalTranslations,
  kBreathing,
  kRigidRotation,
  kRotations,
  kTranslations,
  participation,
  scaledPattern,
  subspaceOverlap,
  unscaledPattern,
  type Field,
} from '../../physics/modes.ts';
import { nearestNeighbourDistances } from '../../physics/neighbours.ts';
import {
  criticalRadius,
  kDistributionDimension,
  kRingConstant,
  leadingCriticalRadius,
  rigidRotationLaw,
  scalingLaw,
  scalingSystem,
  type CriticalRadius,
  type ScalingGeometry,
} from '../../physics/scaling.ts';
import type { MassMatrixBackend } from '../../run/backend.ts';
import { checkDecision, pendingReference, type Reference, type SampledReference } from '../../run/check.ts';
import type { FloatReference } from '../../run/reference.ts';
import { runSpectrum } from '../../run/spectrum.ts';
import { defaultLanczosTol, type LanczosReason } from '../../solvers/types.ts';
import { fitLaw, totalUncertainty, type LawFit } from '../fits.ts';
import { inShard, sweep, sweepOfRun, type BackendFactory, type Shard, type StudyHooks } from '../study.ts';
import { kScalingDefaults } from './spec.ts';

/**
 * The float64 reference a point's Lanczos run is checked against (src/run/spectrum.ts runSpectrum),
 * given its system and the backend built for it; null leaves the point unchecked.
 */
export type PointReference = (
  system: DarwinSystem,
  backend: MassMatrixBackend,
) => Reference | SampledReference | null;

/**
 * Each point's reference by the check policy of `spectrum` (src/run/check.ts checkDecision): the
 * dense float64 Lanczos up to kCheckMaxUnknowns, past them float64 rows of M at sampled electrons
 * (the extreme Ritz pairs' residuals: O(N) a vector, where the dense one would cost O(N^2) memory
 * and most of the sweep), none on the CPU's dense M, the reference itself. Every point is a key of
 * its own in `float64`'s one worker, which holds one system's M at a time. `afterRun`: asked once
 * the point's Lanczos run has finished (the CLI: the two do not share the cores), else beside it.
 */
export function scalingReference(
  float64: Pick<FloatReference, 'of' | 'sampled'>,
  afterRun: boolean,
): PointReference {
  let made = 0;
  return (system, backend) => {
    const decision = checkDecision(system, backend.name, undefined, backend.tree ? 'tree' : 'auto');
    const key = `scaling point ${made++}`;
    if (decision === 'on') return { ...float64.of(key, system), afterRun };
    if (decision === 'sampled') return { ...float64.sampled(key, system), afterRun };
    return null;
  };
}

/** The ring's exact circulant eigenvalues are computed up to this N (an O(N^2) sum). */
export const kExactRingMaxN = 4096;

/**
 * Points below this N are measured and shown but left out of the fits (pre-asymptotic); a fit needs
 * parameters + 1 points from here on (fitLaw), or there is none.
 */
export const kFitFromN = 32;

/** An overlap at least this large names the mode. */
const kModeOverlap = 0.9;

export interface ScalingSweepOptions {
  readonly geometry: ScalingGeometry;
  readonly model: ModelName;
  /** Electron counts, ascending. */
  readonly ns: readonly number[];
  /** Lanczos tolerance; default: the backend precision's. */
  readonly tol?: number;
  readonly seed?: number;
  /** Lanczos matrix-vector products at most (default: the solver's, defaultLanczosMaxIterations). */
  readonly maxIterations?: number;
  /** Each point's float64 check (scalingReference); none: no point is checked. */
  readonly reference?: PointReference;
  /** Called at the Lanczos readbacks with the Ritz values of A. */
  readonly onLanczos?: (n: number, iteration: number, lambdaMin: number, lambdaMax: number) => void;
  /** Called when the point waits for its float64 check. */
  readonly onCheck?: (n: number) => void;
  /** Called after each point with the points so far. */
  readonly onPoint?: (point: ScalingPoint, points: readonly ScalingPoint[]) => void;
}

/** Which patterns the top Ritz vector lies in: ||P x|| for the span of each. */
export interface ModeOverlaps {
  readonly translation: number;
  readonly rotation: number;
  /** The rotation about z alone. */
  readonly rigidRotation: number;
  /** The azimuthal parts of the x and y translations (kAzimuthalTranslations). */
  readonly azimuthalTranslation: number;
  readonly translationRotation: number;
}

export type ModeName =
  'translation' | 'rotation' | 'azimuthal translation' | 'translation+rotation' | 'other';

/** Which patterns the bottom Ritz vector lies in. */
export interface MinimumOverlaps {
  /** The uniform radial motion (NaN in the azimuthal model, which has no radial velocity). */
  readonly breathing: number;
  readonly alternating: number;
}

export type MinimumModeName = 'breathing' | 'alternating' | 'localized' | 'other';

/** A bottom mode on fewer electrons than this is 'localized' (a close pair or cluster). */
const kLocalizedParticipation = 10;

export interface ScalingPoint {
  readonly n: number;
  readonly unknowns: number;
  /** Extreme eigenvalues of A (lambda(D^-1/2 M D^-1/2) - 1 at eps = 1). */
  readonly lambdaMax: number;
  readonly lambdaMin: number;
  /** lambda_max / N: the coherent-mode coefficient (eps lambda_max = coefficient * N r_e / R). */
  readonly coherentCoefficient: number;
  /** Rayleigh quotients of A: (v^T (M - D) v)/(v^T D v) at eps = 1 for the rigid rotation about z and the translation along x. */
  readonly rigidRotationQuotient: number;
  readonly translationQuotient: number;
  readonly nearestNeighbourMean: number;
  readonly nearestNeighbourMin: number;
  /** -lambda_min * mean nearest-neighbour distance: kappa of lambda_min ~ -kappa / d_nn. */
  readonly minimumConstant: number;
  readonly overlaps: ModeOverlaps | null;
  readonly mode: ModeName | null;
  readonly minimumOverlaps: MinimumOverlaps | null;
  readonly minimumMode: MinimumModeName | null;
  /** Electrons the top and bottom Ritz vectors involve (participation ratio). */
  readonly participationMax: number | null;
  readonly participationMin: number | null;
  /** Ring, azimuthal model, N <= kExactRingMaxN: the circulant's extreme eigenvalues (exact). */
  readonly exactLambdaMax: number | null;
  readonly exactLambdaMin: number | null;
  /** Sphere: (v^T M v)/(v^T D v) of the rigid rotation at London's eps = 3/N (eq. 30). */
  readonly londonInertiaRatio: number | null;
  readonly lanczos: {
    readonly iterations: number;
    readonly converged: boolean;
    readonly reason: LanczosReason;
    readonly residualMin: number;
    readonly residualMax: number;
  };
  /**
   * The float64 check of the extremes, as `spectrum` checks its own (src/run/spectrum.ts), relative
   * to the largest |lambda| of D^-1/2 M D^-1/2: the dense reference's larger error of lambda_min and
   * lambda_max; null past kCheckMaxUnknowns (then sampledResidual) and where nothing was checked (the
   * CPU's dense M is the reference itself).
   */
  readonly check: number | null;
  /**
   * Past kCheckMaxUnknowns: the larger residual of the two extreme Ritz pairs on float64 rows of M at
   * sampled electrons (an eigenvalue of the direct sum lies within it), same scale; else null.
   */
  readonly sampledResidual: number | null;
  /** What the check present is held to: spectrum's target for the same backend; else null. */
  readonly checkTarget: number | null;
  /** Milliseconds of `milliseconds` the check took; null where there was none. */
  readonly checkMilliseconds: number | null;
  /**
   * The larger relative error of the two quotients (rigid rotation, translation) against the same
   * quotients of the dense float64 reference's product: what the float32 product leaves in them and in
   * what follows from them (the London inertia ratio, the rotation fit). Null where `check` is: past
   * kCheckMaxUnknowns, and where nothing was checked (the CPU's dense M is the reference itself).
   */
  readonly quotientCheck: number | null;
  readonly milliseconds: number;
}

export interface ScalingStudy {
  readonly geometry: ScalingGeometry;
  readonly model: ModelName;
  /** d of eq. 51. */
  readonly dimension: number;
  /** Unknowns per electron. */
  readonly velocityComponents: number;
  readonly points: ScalingPoint[];
  /** The law fitted to lambda_max / N, null with too few points. */
  readonly fit: LawFit | null;
  /** Ring: lambda_max/N - ln(N)/pi fitted with the prefactor held at its derived 1/pi; C = pi b. */
  readonly ringConstant: {
    readonly fitted: number;
    readonly uncertainty: number;
    readonly theory: number | null;
  } | null;
  readonly criticalRadius: (CriticalRadius & { readonly log10Uncertainty: number }) | null;
  /** d >= 2: a0 (a0 / (c r_e))^(1/(d-1)), the leading order of R*. */
  readonly leadingCriticalRadiusMetres: number | null;
  /** Eq. 53-55: a0 (a0/r_e)^(1/(d-1)); infinite for d = 1. */
  readonly paperRadiusMetres: number;
  /**
   * lambda_min ~ -kappa / d_nn at the largest converged N, with the spread over the upper half of the
   * converged points; null where none converged.
   */
  readonly minimumConstant: {
    readonly kappa: number;
    readonly uncertainty: number;
    readonly kappaClosestPair: number;
    /**
     * The bottom mode at that N is localised (a close pair or cluster): lambda_min is then set by the
     * closest pair, -kappaClosestPair / d_min, and M turns indefinite once that pair is closer than
     * kappaClosestPair r_e, whatever the mean spacing.
     */
    readonly localized: boolean;
  } | null;
  /** The same law fitted to the rigid rotation's quotient / N. */
  readonly rotationFit: LawFit | null;
  /**
   * Sphere: the inertia ratio at London's N extrapolated to N -> infinity, 1 + 3 c_rotation; its ±
   * takes the rotation fit's systematic term too (totalUncertainty).
   */
  readonly londonInertiaRatio: { readonly value: number; readonly uncertainty: number } | null;
  readonly milliseconds: number;
}

/**
 * (v^T (M - D) v)/(v^T D v) for the given velocities (the unknowns of `system`), from eps T v itself:
 * by the backend's product, or by its float64 reference's.
 */
async function interactionQuotient(
  system: DarwinSystem,
  product: Pick<MassMatrixBackend, 'interaction'>,
  velocities: Float64Array,
): Promise<number> {
  const { darwin, kinetic } = energies(system, velocities, await product.interaction(velocities));
  return darwin / (kinetic * system.epsilon);
}

function modeOf(overlaps: ModeOverlaps): ModeName {
  if (overlaps.translation >= kModeOverlap) return 'translation';
  if (overlaps.rotation >= kModeOverlap) return 'rotation';
  if (overlaps.azimuthalTranslation >= kModeOverlap) return 'azimuthal translation';
  if (overlaps.translationRotation >= kModeOverlap) return 'translation+rotation';
  return 'other';
}

function minimumModeOf(overlaps: MinimumOverlaps, participationMin: number): MinimumModeName {
  if (overlaps.breathing >= kModeOverlap) return 'breathing';
  if (overlaps.alternating >= kModeOverlap) return 'alternating';
  if (participationMin < kLocalizedParticipation) return 'localized';
  return 'other';
}

/**
 * One point of the sweep: N electrons of the study's geometry at eps = 1 on a fresh backend. Stop ends
 * its Lanczos run at a readback (the sweep then drops the point).
 */
export async function scalingPoint(
  factory: BackendFactory,
  options: Omit<ScalingSweepOptions, 'ns' | 'onPoint'>,
  n: number,
  hooks: StudyHooks = {},
): Promise<ScalingPoint> {
  const started = performance.now();
  const system = scalingSystem(options.geometry, options.model, n);
  validateSystem(system);
  const size = unknowns(system);
  const backend = await factory(system);
  let report;
  let rotation: number;
  let translation: number;
  let quotientCheck: number | null = null;
  try {
    // Inside the try: a reference that throws must not leave the backend behind.
    const reference = options.reference?.(system, backend) ?? null;
    report = await runSpectrum(
      system,
      backend,
      {
        // runSpectrum's policy needs the tolerance the backend applies where none is given.
        tol: options.tol ?? defaultLanczosTol(backend.name === 'gpu' ? 'float32' : 'float64'),
        seed: options.seed ?? kScalingDefaults.seed,
        maxIterations: options.maxIterations,
        // The extreme modes are identified from their Ritz vectors.
        ritzVectors: true,
        onIteration: (k, low, high) => {
          options.onLanczos?.(n, k, low - 1, high - 1);
          return !hooks.stopped?.();
        },
        onCheck: () => options.onCheck?.(n),
      },
      reference,
    );
    const patterns = [kRigidRotation, kTranslations[0]].map((field) =>
      unscaledPattern(system, scaledPattern(system, field)),
    );
    const quotients = async (product: Pick<MassMatrixBackend, 'interaction'>) =>
      Promise.all(patterns.map((velocities) => interactionQuotient(system, product, velocities)));
    [rotation, translation] = await quotients(backend);
    // Where the dense reference checked the eigenvalues (its M held for this point), the quotients
    // too; not once the check is stopped (the app's Stop: the reference refuses, and null it stays).
    if (reference && reference.kind !== 'sampled' && report.check !== null) {
      const exact = await pendingReference(() => quotients(reference))();
      if (exact)
        quotientCheck = Math.max(
          relativeError([rotation], [exact[0]]),
          relativeError([translation], [exact[1]]),
        );
    }
  } finally {
    backend.dispose();
  }
  const { spectrum, check, checkTargets } = report;
  const { lanczos } = spectrum;
  const top = lanczos.ritzVectors?.max;
  const bottom = lanczos.ritzVectors?.min;
  const patterns = (fields: readonly Field[]) => fields.map((field) => scaledPattern(system, field));
  let overlaps: ModeOverlaps | null = null;
  let minimumOverlaps: MinimumOverlaps | null = null;
  if (top && bottom) {
    const translations = patterns(kTranslations);
    const rotations = patterns(kRotations);
    overlaps = {
      translation: subspaceOverlap(translations, top),
      rotation: subspaceOverlap(rotations, top),
      rigidRotation: subspaceOverlap(patterns([kRigidRotation]), top),
      azimuthalTranslation: subspaceOverlap(patterns(kAzimuthalTranslations), top),
      translationRotation: subspaceOverlap([...translations, ...rotations], top),
    };
    minimumOverlaps = {
      breathing: subspaceOverlap(patterns([kBreathing]), bottom),
      alternating: subspaceOverlap(patterns(kAlternating), bottom),
    };
  }
  const participationMin = bottom ? participation(system, bottom) : null;
  const distances = nearestNeighbourDistances(system.configuration);
  let mean = 0;
  let min = Infinity;
  for (const d of distances) {
    mean += d / n;
    min = Math.min(min, d);
  }
  const exact =
    options.geometry === 'ring' && options.model === 'azimuthal' && n <= kExactRingMaxN
      ? ringCirculantEigenvalues(n)
      : null;
  const lambdaMin = spectrum.lambdaMin - 1;
  return {
    n,
    unknowns: size,
    lambdaMax: spectrum.lambdaMax - 1,
    lambdaMin,
    coherentCoefficient: (spectrum.lambdaMax - 1) / n,
    rigidRotationQuotient: rotation,
    translationQuotient: translation,
    nearestNeighbourMean: mean,
    nearestNeighbourMin: min,
    minimumConstant: -lambdaMin * mean,
    overlaps,
    mode: overlaps ? modeOf(overlaps) : null,
    minimumOverlaps,
    minimumMode:
      minimumOverlaps && participationMin !== null ? minimumModeOf(minimumOverlaps, participationMin) : null,
    participationMax: top ? participation(system, top) : null,
    participationMin,
    exactLambdaMax: exact ? Math.max(...exact) : null,
    exactLambdaMin: exact ? Math.min(...exact) : null,
    londonInertiaRatio: options.geometry === 'sphere' ? londonInertiaRatio(n, rotation) : null,
    lanczos: {
      iterations: lanczos.iterations,
      converged: lanczos.converged,
      reason: lanczos.reason,
      residualMin: lanczos.residualMin,
      residualMax: lanczos.residualMax,
    },
    check: check?.sampled === null ? Math.max(check.lambdaMin, check.lambdaMax) : null,
    sampledResidual: check && check.sampled !== null ? Math.max(check.residualMin, check.residualMax) : null,
    checkTarget: !check ? null : check.sampled === null ? checkTargets.eigenvalues : checkTargets.residual,
    checkMilliseconds: report.timing.check ?? null,
    quotientCheck,
    milliseconds: performance.now() - started,
  };
}

/**
 * The points lambda_max / N is fitted to: the asymptotic ones, N >= kFitFromN (a sweep of small N is
 * far from the law: its fit lands many sigma from the derived limits, so with too few points here
 * there is no fit, R* or London ratio), where Lanczos converged (where it stopped short, lambda_max
 * is an inner bound, below the eigenvalue, not a point of the law).
 */
export function fittedPoints(points: readonly ScalingPoint[]): ScalingPoint[] {
  return points.filter(
    (p) => p.n >= kFitFromN && p.lanczos.converged && Number.isFinite(p.coherentCoefficient),
  );
}

/** The study's summaries from its points: the fits, R*, kappa and London's ratio. */
export function summariseStudy(
  geometry: ScalingGeometry,
  model: ModelName,
  points: ScalingPoint[],
  milliseconds: number,
): ScalingStudy {
  const dimension = kDistributionDimension[geometry];
  const law = scalingLaw(geometry, model);
  const fitted = fittedPoints(points);
  // The rigid rotation's quotient is exact at every point, converged or not.
  const rotating = points.filter((p) => p.n >= kFitFromN && Number.isFinite(p.rigidRotationQuotient));
  const ns = fitted.map((p) => p.n);
  const fit = fitLaw(
    law,
    ns,
    fitted.map((p) => p.coherentCoefficient),
  );
  // The ring's R* needs ln N to within O(1) at ln N ~ 6e4: the prefactor is held at its derived 1/pi
  // and only the constant (and g) fitted.
  const ringFit =
    geometry === 'ring' && fit
      ? fitLaw(
          law,
          ns,
          fitted.map((p) => p.coherentCoefficient),
          { coefficient: 1 / Math.PI, report: 1 },
        )
      : null;
  const radiusFit = ringFit ?? fit;
  let radius: ScalingStudy['criticalRadius'] = null;
  if (radiusFit) {
    const uFrom = Math.log(ns[ns.length - 1]);
    const index = ringFit ? 1 : law.coefficientIndex;
    const at = (shift: number) => {
      const parameters = [...radiusFit.parameters];
      parameters[index] += shift;
      return criticalRadius(dimension, law, parameters, uFrom);
    };
    const central = at(0);
    const shift = totalUncertainty(radiusFit);
    const spread = Math.abs(at(shift).log10Metres - at(-shift).log10Metres) / 2;
    radius = { ...central, log10Uncertainty: spread };
  }
  // lambda_min where Lanczos stopped short is an inner bound too (above the eigenvalue): kappa, as
  // the fit, from the converged points alone.
  const converged = points.filter((p) => p.lanczos.converged);
  const kappas = converged.slice(Math.floor(converged.length / 2)).map((p) => p.minimumConstant);
  const largest = converged[converged.length - 1];
  const last = points[points.length - 1];
  const rotationFit = fitLaw(
    rigidRotationLaw(geometry, model),
    rotating.map((p) => p.n),
    rotating.map((p) => p.rigidRotationQuotient / p.n),
  );
  return {
    geometry,
    model,
    dimension,
    velocityComponents: last ? last.unknowns / last.n : NaN,
    points,
    fit,
    ringConstant: ringFit
      ? {
          fitted: Math.PI * ringFit.coefficient,
          uncertainty: Math.PI * ringFit.uncertainty,
          theory: model === 'azimuthal' ? kRingConstant : null,
        }
      : null,
    criticalRadius: radius,
    leadingCriticalRadiusMetres:
      fit && dimension >= 2 ? leadingCriticalRadius(dimension, fit.coefficient) : null,
    paperRadiusMetres: minimumSuperconductingSize(dimension),
    minimumConstant: largest
      ? {
          kappa: largest.minimumConstant,
          uncertainty: Math.max(...kappas) - Math.min(...kappas),
          kappaClosestPair: -largest.lambdaMin * largest.nearestNeighbourMin,
          localized: largest.minimumMode === 'localized',
        }
      : null,
    rotationFit,
    londonInertiaRatio:
      geometry === 'sphere' && rotationFit && dimension >= 2
        ? { value: 1 + 3 * rotationFit.coefficient, uncertainty: 3 * totalUncertainty(rotationFit) }
        : null,
    milliseconds,
  };
}

/** A sweep's study, and whether Stop ended it early. */
export interface ScalingSweep {
  readonly study: ScalingStudy;
  readonly stopped: boolean;
}

/** The sweep: every N of options.ns on a fresh backend, then the study's summaries. */
export async function scalingSweep(
  factory: BackendFactory,
  options: ScalingSweepOptions,
  hooks: StudyHooks = {},
): Promise<ScalingSweep> {
  const started = performance.now();
  const { results, stopped } = await sweep(
    options.ns,
    hooks,
    (n) => scalingPoint(factory, options, n, hooks),
    options.onPoint,
  );
  return {
    study: summariseStudy(options.geometry, options.model, results, performance.now() - started),
    stopped,
  };
}

/** A run's options: the geometries, and the sweep of each (its N from src/studies/scaling/spec.ts). */
export interface ScalingOptions extends Pick<
  ScalingSweepOptions,
  'model' | 'ns' | 'tol' | 'seed' | 'maxIterations' | 'reference'
> {
  readonly geometries: readonly ScalingGeometry[];
  /**
   * Throws to refuse a point's system that its backend cannot hold (memory, buffer or float32
   * limits); asked of every point before the first runs, so that a sweep is refused whole rather
   * than after its small points.
   */
  readonly checkPoint?: (system: DarwinSystem) => void;
}

/** Every geometry's sweep that has points to report, and whether Stop ended the run early. */
export interface ScalingRun {
  readonly runs: ScalingSweep[];
  readonly stopped: boolean;
}

/**
 * Every geometry's sweep. The points are enumerated geometry by geometry, N ascending; with a shard,
 * only its points run. A Stop ends the run with the geometries it reached, each with the points it
 * finished; `stopped` says so even where it came between two geometries, or where the geometry it
 * came to had no point finished, which the runs leave out.
 */
export async function runScaling(
  factory: BackendFactory,
  options: ScalingOptions,
  hooks: StudyHooks & {
    readonly geometry?: (geometry: ScalingGeometry, ns: readonly number[]) => void;
    readonly lanczos?: ScalingSweepOptions['onLanczos'];
    readonly check?: ScalingSweepOptions['onCheck'];
    /** After each point, with the geometry's points so far. */
    readonly point?: (
      geometry: ScalingGeometry,
      point: ScalingPoint,
      points: readonly ScalingPoint[],
    ) => void;
  } = {},
  shard: Shard | null = null,
): Promise<ScalingRun> {
  const runs: ScalingSweep[] = [];
  const { ns } = options;
  const mineOf = options.geometries.map((_, g) => ns.filter((_, k) => inShard(g * ns.length + k, shard)));
  const { checkPoint } = options;
  if (checkPoint) {
    for (const [g, geometry] of options.geometries.entries()) {
      for (const n of mineOf[g]) checkPoint(scalingSystem(geometry, options.model, n));
    }
  }
  const count = mineOf.reduce((sum, mine) => sum + mine.length, 0);
  let first = 0;
  for (const [g, geometry] of options.geometries.entries()) {
    // A geometry that Stop came before is not started (nor announced).
    if (hooks.stopped?.()) return { runs, stopped: true };
    const mine = mineOf[g];
    hooks.geometry?.(geometry, mine);
    const run = await scalingSweep(
      factory,
      {
        ...options,
        geometry,
        ns: mine,
        onLanczos: hooks.lanczos,
        onCheck: hooks.check,
        onPoint: (point, points) => hooks.point?.(geometry, point, points),
      },
      sweepOfRun(hooks, first, count),
    );
    first += mine.length;
    // A geometry that Stop came to before its first point has no study to report.
    if (!run.stopped || run.study.points.length > 0) runs.push(run);
    if (run.stopped) return { runs, stopped: true };
  }
  return { runs, stopped: false };
}
