// `spectrum` as a run on any backend: the extreme eigenvalues of D^-1/2 M D^-1/2 by Lanczos and the
// collective parameter lambda_max - 1 beside the paper's N eps (eq. 49), with the float64 check.
// Asked for a tolerance below float32's reach, a GPU run refines both extremes by the float64
// Rayleigh quotients of its Ritz vectors (src/run/refine.ts rayleighQuotient), converged where their
// float64 residuals meet the tolerance (refinedVerdict). Past the dense reference's size the check is
// each extreme Ritz pair's residual on float64 rows of M at sampled electrons (check.ts
// sampledRitzResidual): an eigenvalue of the direct sum lies within it.
import { massDiagonal, unknowns, type DarwinSystem } from '../physics/models.ts';
import { defaultLanczosMaxIterations, type LanczosResult } from '../solvers/types.ts';
import type { MassMatrixBackend } from './backend.ts';
import { droppedByStop } from './chunks.ts';
import { kDefaultLanczosBasis, roundingBound } from '../solvers/lanczos.ts';
import { spectrumAt, type SpectrumResult } from '../solvers/spectrum.ts';
import {
  backendCheckTargets,
  eigenvalueErrors,
  float32CheckTargets,
  kCheckMaxUnknowns,
  kReferenceLanczosTol,
  pendingReference,
  ritzSample,
  sampledRitzResidual,
  type CheckClock,
  type Reference,
  type SampledReference,
} from './check.ts';
import {
  float64Products,
  kRefinementRtol,
  rayleighQuotient,
  refines,
  ritzVelocities,
  type Float64Products,
  type RefinedEigenvalue,
} from './refine.ts';

export interface SpectrumRequest {
  /** Relative accuracy of the extreme eigenvalues. */
  readonly tol: number;
  /** Matrix-vector products at most; undefined: defaultLanczosMaxIterations. */
  readonly maxIterations?: number;
  /** Lanczos vectors held (thick restart); undefined: kDefaultLanczosBasis. */
  readonly basisSize?: number;
  /** Seed of Lanczos's start vector. */
  readonly seed: number;
  /** Each Lanczos step; returning false stops it (a result with its partial Ritz values). */
  readonly onIteration?: (step: number, lambdaMin: number, lambdaMax: number) => boolean | void;
  /** The run waits for the reference (the app's progress line). */
  readonly onCheck?: () => void;
  /** Makes a refined GPU spectrum's float64 product (as SolveRequest's), asked only when it refines. */
  readonly float64?: Float64Products;
  /** Keep the extreme Ritz vectors in spectrum.lanczos (a study's mode identification). */
  readonly ritzVectors?: boolean;
}

/**
 * The float64 check of I + S, where Lanczos ran, relative to its largest |theta|: the dense one's
 * errors of the extreme eigenvalues (check.ts eigenvalueErrors, `sampled` null), or the sampled one's
 * residuals of the two extreme Ritz pairs (sampledRitzResidual: an eigenvalue of the direct sum's
 * I + S lies within each), with the uniform sample's size.
 */
export type SpectrumCheck =
  | { readonly sampled: null; readonly lambdaMin: number; readonly lambdaMax: number }
  | { readonly sampled: number; readonly residualMin: number; readonly residualMax: number };

/** What the float64 Rayleigh quotients made of the Ritz values (the unrefined stay in spectrum.lanczos). */
export interface RitzRefinement {
  /** ||A y - lambda y|| / ||y|| of each refined extreme, A = D^-1/2 M D^-1/2. */
  readonly residualMin: number;
  readonly residualMax: number;
  /**
   * Each residual relative to eps max|theta|, as --tol holds it (refinedVerdict): formed on I + S,
   * where eps cancels, so that it is a number at any eps > 0.
   */
  readonly relativeMin: number;
  readonly relativeMax: number;
}

export interface SpectrumReport<S extends SpectrumResult = SpectrumResult> {
  readonly system: DarwinSystem;
  /** --tol as the run held it: the accuracy of I + S's extreme eigenvalues, relative to the largest. */
  readonly tolerance: number;
  /** The request's limit on products; null: auto (defaultLanczosMaxIterations of its unknowns). */
  readonly maxIterations: number | null;
  /** Lanczos vectors held: the request's, else kDefaultLanczosBasis. */
  readonly basisSize: number;
  /** Seed of Lanczos's start vector. */
  readonly seed: number;
  /** With refinement, lambdaMin, lambdaMax and what follows from them are the refined values. */
  readonly spectrum: S;
  /**
   * null where the run did not refine: a float64 backend, a tolerance float32 meets, eps = 0, or a
   * run its onIteration stopped (its partial Ritz values as Lanczos reached them).
   */
  readonly refinement: RitzRefinement | null;
  /** null when not checked or when the check was stopped (then checkStopped). */
  readonly check: SpectrumCheck | null;
  /**
   * What the check's errors are held to (src/run/check.ts backendCheckTargets): the eigenvalues', and
   * the sampled Ritz residuals' 10 max(tol, the unrefined eigenvalues') (a Ritz vector is float32's
   * on the GPU even where its eigenvalue is refined).
   */
  readonly checkTargets: { readonly eigenvalues: number; readonly residual: number };
  readonly checkStopped: boolean;
  readonly timing: { lanczos: number; check?: number };
}

/**
 * Runs Lanczos on `backend`, checked by `checkedBy` when one is given. The dense reference gets
 * another start vector, at least its default step limit, and a tolerance of at most 1e-10: float32
 * cannot resolve eigenvalues much better than 1e-7, so whatever tolerance the backend ran at, the
 * check measures it, and a run cut short by --max-iter is measured against converged extremes, not
 * against the same truncated Krylov space.
 * The sampled one sums rows of M at its electrons for the two extreme Ritz vectors, after the run.
 */
export async function runSpectrum(
  system: DarwinSystem,
  backend: MassMatrixBackend,
  request: SpectrumRequest,
  checkedBy: Reference | SampledReference | null = null,
): Promise<SpectrumReport> {
  const sampled = checkedBy?.kind === 'sampled' ? checkedBy : null;
  const reference = checkedBy?.kind !== 'sampled' ? checkedBy : null;
  const { tol, maxIterations, basisSize, seed } = request;
  const checkClock: CheckClock = { milliseconds: 0 };
  const exact = pendingReference(
    reference
      ? () =>
          reference.spectrum({
            tol: Math.min(tol, kReferenceLanczosTol),
            maxIterations: referenceSteps(system, maxIterations),
            basisSize,
            // Seeds run over 0 .. 2^32 - 1.
            seed: (seed + 1) % 2 ** 32,
          })
      : null,
    checkClock,
    reference?.afterRun,
  );
  const start = performance.now();
  const { epsilon } = system;
  const float32Short = refines(backend, tol);
  // At eps = 0, M = D and lambda = 1 exactly whatever the Ritz values: nothing to refine, and the
  // float32 run's own verdict stands (refined, I + S's residuals would hold it to what eps = 0 hides).
  const refine = float32Short && epsilon > 0;
  // A run its onIteration stopped keeps the Ritz values it reached (STYLE: Lanczos returns its
  // partial Ritz values): unrefined, since the float64 products a refinement takes are what a stop
  // spares (the app's worker refuses them once Stop is pressed).
  let stopped = false;
  const ritz = await backend.spectrum({
    // Refined, the float32 run only supplies the Ritz vectors, which float32 resolves no better
    // than its own tolerance (at eps = 0 not even those): asked for less, it would spend products up
    // to --max-iter for nothing.
    tol: float32Short ? Math.max(tol, kRefinementRtol) : tol,
    maxIterations,
    basisSize,
    seed,
    onIteration: (step, lambdaMin, lambdaMax) => {
      const proceed = request.onIteration?.(step, lambdaMin, lambdaMax);
      stopped = proceed === false;
      return proceed;
    },
    ...((refine || sampled || request.ritzVectors) && { ritzVectors: true }),
  });
  let spectrum: SpectrumResult = ritz;
  let refinement: RitzRefinement | null = null;
  const vectors = ritz.lanczos.ritzVectors;
  const diagonal = massDiagonal(system);
  // Lanczos ran on I + S, M at eps = 1 (src/solvers/spectrum.ts), and so do its refinement and check:
  // at eps they would measure mu's error against 1, not against S.
  const unit = { ...system, epsilon: 1 };
  // A Stop that drops the refinement's float64 products after Lanczos finished (the page's worker
  // refuses them once Stop is pressed) leaves the float32 Ritz values, unrefined and marked stopped
  // as a run stopped in its Lanczos steps is, rather than no spectrum.
  let quotients: { min: RefinedEigenvalue; max: RefinedEigenvalue } | null = null;
  let refinementStopped = false;
  if (refine && vectors && !stopped) {
    const product = (request.float64 ?? float64Products())(unit, backend.tree);
    const quotient = (y: Float64Array) => rayleighQuotient(product, diagonal, y).catch(droppedByStop);
    const min = await quotient(vectors.min);
    const max = min && (await quotient(vectors.max));
    if (min && max) quotients = { min, max };
    else refinementStopped = true;
  }
  if (quotients) {
    const { min, max } = quotients;
    // The float64 residual bounds the refined theta_min's error, up to float64's own rounding.
    const scale = Math.max(Math.abs(min.lambda), Math.abs(max.lambda));
    const treeError = treeEigenvalueError(backend.tree, min.lambda, max.lambda);
    const rounding = roundingBound(2 ** -53, diagonal.length, scale) + treeError;
    const extremes = {
      lambdaMin: min.lambda,
      lambdaMax: max.lambda,
      residualMin: Math.max(min.residual + treeError, rounding),
      rounding,
    };
    const { lanczos } = ritz;
    spectrum = {
      // Lanczos, converged, found the extreme eigenvalues: their residuals bound them whatever the verdict.
      ...spectrumAt(extremes, system.configuration.n, epsilon, lanczos.converged),
      // Where M is the tree, the float64 tree's residuals: the refined answer is that tree's (refine.ts
      // float64Product), within --tree-tol of M's as the CPU tree's Lanczos is.
      lanczos: refinedVerdict(lanczos, Math.max(min.residual, max.residual), tol * scale),
    };
    refinement = {
      residualMin: epsilon * min.residual,
      residualMax: epsilon * max.residual,
      relativeMin: min.residual / scale,
      relativeMax: max.residual / scale,
    };
  } else if (backend.tree && epsilon > 0) {
    // At eps = 0 the tree moves nothing.
    const { lanczos } = ritz;
    const extremes = unitExtremes(ritz, epsilon, backend.tree);
    spectrum = { ...spectrumAt(extremes, system.configuration.n, epsilon, lanczos.converged), lanczos };
  }
  if (refinementStopped) {
    spectrum = { ...spectrum, lanczos: { ...spectrum.lanczos, converged: false, reason: 'diverged_max_it' } };
  }
  const timing: { lanczos: number; check?: number } = { lanczos: performance.now() - start };
  let check: SpectrumCheck | null = null;
  let checkStopped = false;
  if (reference) {
    request.onCheck?.();
    const reference64 = await exact();
    if (reference64) {
      check = { sampled: null, ...eigenvalueErrors(unitSpectrum(spectrum), unitSpectrum(reference64)) };
      timing.check = checkClock.milliseconds;
    } else checkStopped = true;
  } else if (sampled) {
    request.onCheck?.();
    const theta = unitSpectrum(spectrum);
    const scale = Math.max(Math.abs(theta.lambdaMin), Math.abs(theta.lambdaMax));
    // The sample's exact and uniform electrons; null once stopped.
    const base = await pendingReference(() => sampled.sample(), checkClock)();
    // Each extreme Ritz vector y's rows of M v, v = D^-1/2 y, at its sample; null once stopped.
    const residual = async (y: Float64Array, lambda: number) => {
      const sample = ritzSample(system, y, base!);
      const v = ritzVelocities(y, diagonal);
      const rows = await pendingReference(() => sampled.rows(v, sample.electrons, 1), checkClock)();
      return rows && sampledRitzResidual(unit, diagonal, sample, y, lambda, rows) / scale;
    };
    // No Ritz vectors: the run stopped before its first step. A check stopped at the first vector
    // asks nothing more.
    const residualMin = vectors && base ? await residual(vectors.min, theta.lambdaMin) : null;
    const residualMax = vectors && residualMin !== null ? await residual(vectors.max, theta.lambdaMax) : null;
    if (base && residualMin !== null && residualMax !== null) {
      check = { sampled: base.electrons.length, residualMin, residualMax };
      timing.check = checkClock.milliseconds;
    } else checkStopped = true;
  }
  // Weyl: the tree's error moves each eigenvalue by at most its norm, t of the largest |lambda|. A
  // refined pair is held to the tolerance asked (as a refined solve is: solveCheckTargets), not to
  // float32's, so that a refinement gone wrong fails its check.
  const unrefined = backendCheckTargets(
    backend,
    system.configuration.n,
    (terms) => ({ eigenvalues: float32CheckTargets(terms).eigenvalues }),
    (t) => ({ eigenvalues: t }),
  ).eigenvalues;
  const checkTargets = {
    eigenvalues: refinement ? Math.max(10 * tol, 1e-12, backend.tree?.tolerance ?? 0) : unrefined,
    residual: 10 * Math.max(tol, unrefined),
  };
  return {
    system,
    tolerance: tol,
    // What else decides the numbers, so that the JSON says how to run them again.
    maxIterations: maxIterations ?? null,
    basisSize: basisSize ?? kDefaultLanczosBasis,
    seed,
    spectrum,
    refinement,
    check,
    checkTargets,
    checkStopped,
    timing,
  };
}

/**
 * A refined run's Lanczos result with its verdict: converged only where the larger refined residual
 * (`residual`) meets --tol relative to the largest |theta| (`target`), as Lanczos's own |beta s| are
 * held to it; else, where the float32 run itself converged, diverged_refinement (diverged_nan for a
 * residual that is not finite). The refined Rayleigh quotient's error is quadratic in its vector's
 * only beside the gap to the next eigenvalue; float32 leaves a closer pair unresolved, one Ritz value
 * for both, and the quotient then no better than its residual (a sphere of 97: a gap of 6e-8 of
 * max|theta|, lambda_min 2.3e-8 off). Rayleigh-Ritz on the Ritz vectors nearest each end, or a few
 * float64 block steps from them, resolves that pair no better, since their span holds one vector of
 * it: hence a verdict, not a further refinement.
 */
function refinedVerdict<L extends LanczosResult>(lanczos: L, residual: number, target: number): L {
  if (residual <= target || !lanczos.converged) return lanczos;
  const reason = Number.isFinite(residual) ? 'diverged_refinement' : 'diverged_nan';
  return { ...lanczos, reason, converged: false };
}

/**
 * The float64 reference's step limit: within the dense reference's sizes (kCheckMaxUnknowns, where a
 * product is cheap) at least its default, so that a run cut short by --max-iter is measured against
 * converged extremes; past them (a float64 tree asked for by --check) the run's own, since its
 * default there is thousands of O(N) products, hours for a run the user limited to a few.
 */
function referenceSteps(system: DarwinSystem, maxIterations: number | undefined): number | undefined {
  const size = unknowns(system);
  return size <= kCheckMaxUnknowns
    ? Math.max(maxIterations ?? 0, defaultLanczosMaxIterations(size))
    : maxIterations;
}

/**
 * Weyl: the tree's product moves each eigenvalue of I + S by up to ||Delta S||, which the Ritz
 * values' rounding and residuals, those of the tree's operator, leave out: M's definiteness is
 * established only beyond it too. The tree's tolerance t is relative to its interaction product, so
 * ||Delta S|| <= t ||S|| = t max |theta - 1| (the vector model, D = I); t max |theta| is taken where it
 * is the larger, as it is unless S is strongly indefinite, since the azimuthal model's D^-1/2 weighs
 * the error unevenly. 0 without a tree.
 */
function treeEigenvalueError(
  tree: { readonly tolerance: number } | undefined,
  thetaMin: number,
  thetaMax: number,
): number {
  const scale = Math.max(Math.abs(thetaMin), Math.abs(thetaMax), 1 - thetaMin, thetaMax - 1);
  return (tree?.tolerance ?? 0) * scale;
}

/**
 * The extremes of I + S (M at eps = 1) of a backend's unrefined Lanczos run at eps > 0, as spectrumAt
 * takes them: its bounds, which the run gives at eps (eps times those of I + S), unscaled, and with
 * the tree its error (treeEigenvalueError) added to both, so that spectrumAt maps them to any eps.
 */
export function unitExtremes(
  ritz: SpectrumResult,
  epsilon: number,
  tree: { readonly tolerance: number } | undefined,
): Parameters<typeof spectrumAt>[0] {
  const { lanczos } = ritz;
  const theta = unitSpectrum(ritz);
  const moved = treeEigenvalueError(tree, theta.lambdaMin, theta.lambdaMax);
  return {
    ...theta,
    residualMin: lanczos.residualMin / epsilon + moved,
    rounding: lanczos.rounding / epsilon + moved,
  };
}

/** The extreme eigenvalues 1 + mu of I + S, M at eps = 1, where Lanczos ran and the check measures. */
function unitSpectrum(spectrum: SpectrumResult): { lambdaMin: number; lambdaMax: number } {
  return { lambdaMin: 1 + spectrum.interactionMin, lambdaMax: 1 + spectrum.interactionMax };
}
