// The scaling study (issue 5) on any backend: for one geometry, a sweep of N computing the extreme
// eigenvalues of the interaction matrix A = D^-1/2 (M - D) D^-1/2 at eps = 1 (src/physics/scaling.ts) by
// Lanczos, which velocity pattern the top one is, the rigid rotation's quotient, and the fit of
// lambda_max / N to the law of the geometry with the critical size R* it implies (eq. 51-55).
// Backends come from a factory, one per N, so the CLI (GPU or float64 CPU) and the app run the same
// sweep; nothing here touches the GPU.
import { InputError } from '../physics/input-error.ts';
import {
  massDiagonal,
  unknowns,
  validateSystem,
  type DarwinSystem,
  type ModelName,
} from '../physics/models.ts';
import { minimumSuperconductingSize } from '../physics/paper.ts';
import { ringCirculantEigenvalues } from '../physics/ring.ts';
import {
  criticalRadius,
  kDistributionDimension,
  kAlternating,
  kAzimuthalTranslations,
  kBreathing,
  kRigidRotation,
  kRingConstant,
  kRotations,
  kTranslations,
  lawValue,
  leadingCriticalRadius,
  londonEpsilon,
  londonInertiaRatio,
  meanSpacing,
  nearestNeighbourDistances,
  participation,
  scaledPattern,
  scalingLaw,
  scalingSystem,
  subspaceOverlap,
  unscaledPattern,
  type CriticalRadius,
  type Field,
  type ScalingGeometry,
  type ScalingLaw,
} from '../physics/scaling.ts';
import type { MassMatrixBackend } from '../run/backend.ts';
import { linearLeastSquares } from './least-squares.ts';
import type { LanczosReason } from './types.ts';

/** A backend of the system (its M assembled or set up); the sweep disposes of it after use. */
export type BackendFactory = (system: DarwinSystem) => Promise<MassMatrixBackend>;

/** The ring's exact circulant eigenvalues are computed up to this N (O(N^2): 0.7 s at 4096). */
export const kExactRingMaxN = 4096;

/** Points below this N are measured and shown but left out of the fits (pre-asymptotic) where enough remain. */
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
  /** Lanczos steps for a system of this many unknowns (the GPU caps them by its largest binding). */
  readonly maxIterations?: (size: number) => number | undefined;
  /** Ritz vectors for the mode identification (default true). */
  readonly ritzVectors?: boolean;
  /**
   * Called at the Lanczos readbacks with the Ritz values of A; false ends that Lanczos run (its values
   * so far are kept, reason diverged_max_it) and the sweep with it.
   */
  readonly onLanczos?: (n: number, iteration: number, lambdaMin: number, lambdaMax: number) => boolean | void;
  /** Called after each point. */
  readonly onPoint?: (point: ScalingPoint) => void;
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
  readonly milliseconds: number;
}

export interface LawFit {
  readonly law: ScalingLaw;
  readonly parameters: number[];
  /** The law's N -> infinity coefficient (parameters[law.coefficientIndex]). */
  readonly coefficient: number;
  /** sqrt(covariance^2 + window^2). */
  readonly uncertainty: number;
  /** From the fit's covariance, s^2 (X^T X)^-1 with the residual variance s^2. */
  readonly uncertaintyCovariance: number;
  /** The largest change of the coefficient when the smallest N are dropped, one by one, up to half. */
  readonly uncertaintyWindow: number;
  readonly rmsResidual: number;
  /** The N range fitted. */
  readonly nFrom: number;
  readonly nTo: number;
  readonly points: number;
  /** inverse_power laws: the exponent p that fits best when it is free too (a check of the law's p). */
  readonly freeExponent: number | null;
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
  /** lambda_min ~ -kappa / d_nn at the largest N, with the spread over the upper half of the sweep. */
  readonly minimumConstant: {
    readonly kappa: number;
    readonly uncertainty: number;
    readonly kappaClosestPair: number;
  };
  /** The same law fitted to the rigid rotation's quotient / N. */
  readonly rotationFit: LawFit | null;
  /** Sphere: the inertia ratio at London's N extrapolated to N -> infinity, 1 + 3 c_rotation. */
  readonly londonInertiaRatio: { readonly value: number; readonly uncertainty: number } | null;
  readonly milliseconds: number;
}

/** `count` electron counts log-spaced from nMin to nMax, rounded, without repeats. */
export function logSpacedCounts(nMin: number, nMax: number, count: number): number[] {
  if (!(Number.isInteger(nMin) && Number.isInteger(nMax) && nMin >= 2 && nMax >= nMin)) {
    throw new InputError(`need integers 2 <= n-min <= n-max, got ${nMin} and ${nMax}`);
  }
  if (!(Number.isInteger(count) && count >= 1)) throw new InputError(`need at least one point, got ${count}`);
  const ns = new Set<number>();
  for (let k = 0; k < count; k++) {
    ns.add(count === 1 ? nMax : Math.round(nMin * (nMax / nMin) ** (k / (count - 1))));
  }
  return [...ns].sort((a, b) => a - b);
}

/** (v^T (M - D) v)/(v^T D v) for the given velocities (the backend's unknowns). */
async function interactionQuotient(backend: MassMatrixBackend, velocities: Float64Array): Promise<number> {
  const momenta = await backend.momenta(velocities);
  const diagonal = massDiagonal(backend.system);
  let vMv = 0;
  let vDv = 0;
  for (let k = 0; k < velocities.length; k++) {
    vMv += velocities[k] * momenta[k];
    vDv += diagonal[k] * velocities[k] * velocities[k];
  }
  return (vMv - vDv) / (vDv * backend.system.epsilon);
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

/** One point of the sweep: N electrons of the study's geometry at eps = 1 on a fresh backend. */
export async function scalingPoint(
  factory: BackendFactory,
  options: Omit<ScalingSweepOptions, 'ns' | 'onPoint'>,
  n: number,
): Promise<ScalingPoint> {
  const started = performance.now();
  const system = scalingSystem(options.geometry, options.model, n);
  validateSystem(system);
  const size = unknowns(system);
  const backend = await factory(system);
  let spectrum;
  let rotation: number;
  let translation: number;
  try {
    spectrum = await backend.spectrum({
      tol: options.tol,
      seed: options.seed,
      maxIterations: options.maxIterations?.(size),
      ritzVectors: options.ritzVectors ?? true,
      onIteration: (k, low, high) => options.onLanczos?.(n, k, low - 1, high - 1),
    });
    const pattern = (field: Field) => unscaledPattern(system, scaledPattern(system, field));
    rotation = await interactionQuotient(backend, pattern(kRigidRotation));
    translation = await interactionQuotient(backend, pattern(kTranslations[0]));
  } finally {
    backend.dispose();
  }
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
  const distances = nearestNeighbourDistances(system.configuration, meanSpacing(options.geometry, n));
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
    milliseconds: performance.now() - started,
  };
}

/**
 * Fits law to (n, value) by least squares. Its uncertainty combines the covariance's standard error
 * with the fit-window spread: the coefficient refitted with the 1, 2, ... smallest N dropped, while at
 * least parameters + 2 points and half of them remain; the largest change counts. Where
 * `fixedCoefficient` is given, that parameter is held and the others fitted (uncertainty then of
 * parameter `report`).
 */
export function fitLaw(
  law: ScalingLaw,
  ns: readonly number[],
  values: readonly number[],
  fixed?: { readonly coefficient: number; readonly report: number },
): LawFit | null {
  const columns = law.parameters.length;
  const free = fixed ? columns - 1 : columns;
  if (ns.length < free + 1) return null;
  const fitFrom = (from: number) => {
    const rows: number[][] = [];
    const y: number[] = [];
    for (let k = from; k < ns.length; k++) {
      const basis = law.basis(Math.log(ns[k]));
      if (fixed) {
        y.push(values[k] - fixed.coefficient * basis[law.coefficientIndex]);
        basis.splice(law.coefficientIndex, 1);
      } else y.push(values[k]);
      rows.push(basis);
    }
    const result = linearLeastSquares(rows, y);
    const parameters = Array.from(result.parameters);
    if (fixed) parameters.splice(law.coefficientIndex, 0, fixed.coefficient);
    return { result, parameters };
  };
  const index = fixed ? fixed.report : law.coefficientIndex;
  const freeIndex = fixed && fixed.report > law.coefficientIndex ? fixed.report - 1 : index;
  const all = fitFrom(0);
  const coefficient = all.parameters[index];
  const covariance = Math.sqrt(all.result.covariance[freeIndex * free + freeIndex]);
  let window = 0;
  for (let drop = 1; ns.length - drop >= Math.max(free + 2, Math.ceil(ns.length / 2)); drop++) {
    window = Math.max(window, Math.abs(fitFrom(drop).parameters[index] - coefficient));
  }
  const covarianceTerm = Number.isFinite(covariance) ? covariance : 0;
  return {
    law,
    parameters: all.parameters,
    coefficient,
    uncertainty: Math.hypot(covarianceTerm, window),
    uncertaintyCovariance: covariance,
    uncertaintyWindow: window,
    rmsResidual: all.result.rmsResidual,
    nFrom: ns[0],
    nTo: ns[ns.length - 1],
    points: ns.length,
    freeExponent: law.exponent !== undefined && ns.length >= 4 ? freeExponent(ns, values) : null,
  };
}

/** The p of value = c + b N^-p with the least residual, p in [0.05, 2], by golden-section search. */
export function freeExponent(ns: readonly number[], values: readonly number[]): number {
  const rss = (p: number) => {
    const fit = linearLeastSquares(
      ns.map((n) => [1, n ** -p]),
      values,
    );
    return fit.rmsResidual;
  };
  const golden = (Math.sqrt(5) - 1) / 2;
  let [a, b] = [0.05, 2];
  let c = b - golden * (b - a);
  let d = a + golden * (b - a);
  let [fc, fd] = [rss(c), rss(d)];
  for (let k = 0; k < 80; k++) {
    if (fc < fd) {
      [b, d, fd] = [d, c, fc];
      c = b - golden * (b - a);
      fc = rss(c);
    } else {
      [a, c, fc] = [c, d, fd];
      d = a + golden * (b - a);
      fd = rss(d);
    }
  }
  return (a + b) / 2;
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
  // The asymptotic points, or all of them where too few are (a quick sweep of small N).
  const finite = points.filter((p) => Number.isFinite(p.coherentCoefficient));
  const asymptotic = finite.filter((p) => p.n >= kFitFromN);
  const fitted = asymptotic.length > law.parameters.length ? asymptotic : finite;
  const ns = fitted.map((p) => p.n);
  const fit = fitLaw(
    law,
    ns,
    fitted.map((p) => p.coherentCoefficient),
  );
  // The ring's R* needs ln N to within O(1) at ln N ~ 6e4: the prefactor is held at its derived 1/pi
  // and only the constant (and g) fitted.
  const ringFit =
    geometry === 'ring'
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
    const spread =
      Math.abs(at(radiusFit.uncertainty).log10Metres - at(-radiusFit.uncertainty).log10Metres) / 2;
    radius = { ...central, log10Uncertainty: spread };
  }
  const upper = points.slice(Math.floor(points.length / 2));
  const kappas = upper.map((p) => p.minimumConstant);
  const last = points[points.length - 1];
  const rotationFit = fitLaw(
    law,
    ns,
    fitted.map((p) => p.rigidRotationQuotient / p.n),
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
    minimumConstant: {
      kappa: last ? last.minimumConstant : NaN,
      uncertainty: kappas.length ? Math.max(...kappas) - Math.min(...kappas) : NaN,
      kappaClosestPair: last ? -last.lambdaMin * last.nearestNeighbourMin : NaN,
    },
    rotationFit,
    londonInertiaRatio:
      geometry === 'sphere' && rotationFit && dimension >= 2
        ? { value: 1 + 3 * rotationFit.coefficient, uncertainty: 3 * rotationFit.uncertainty }
        : null,
    milliseconds,
  };
}

/** The sweep: every N of options.ns on a fresh backend, then the study's summaries. */
export async function scalingSweep(
  factory: BackendFactory,
  options: ScalingSweepOptions,
): Promise<ScalingStudy> {
  const started = performance.now();
  const points: ScalingPoint[] = [];
  let stop = false;
  const onLanczos: ScalingSweepOptions['onLanczos'] = (n, k, low, high) => {
    if (options.onLanczos?.(n, k, low, high) !== false) return true;
    stop = true;
    return false;
  };
  for (const n of options.ns) {
    const point = await scalingPoint(factory, { ...options, onLanczos }, n);
    points.push(point);
    options.onPoint?.(point);
    if (stop) break;
  }
  return summariseStudy(options.geometry, options.model, points, performance.now() - started);
}

/**
 * (v^T M v)/(v^T D v) of the rigid rotation of the Fibonacci sphere of N electrons at London's
 * eps = 3/N (eq. 30), straight from the backend's M (a check of londonInertiaRatio's 1 + eps q).
 */
export async function londonInertiaRatioDirect(
  factory: BackendFactory,
  model: ModelName,
  n: number,
): Promise<number> {
  const system = { ...scalingSystem('sphere', model, n), epsilon: londonEpsilon(n) };
  validateSystem(system);
  const backend = await factory(system);
  try {
    const velocities = unscaledPattern(system, scaledPattern(system, kRigidRotation));
    return 1 + system.epsilon * (await interactionQuotient(backend, velocities));
  } finally {
    backend.dispose();
  }
}

/** lambda_max / N of a fitted law at N (for plotting the fit line). */
export function fittedCoefficient(fit: LawFit, n: number): number {
  return lawValue(fit.law, fit.parameters, Math.log(n));
}
