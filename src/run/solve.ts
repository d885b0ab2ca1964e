// `solve` as a run on any backend: velocities to momenta (p = M v, eq. 47/48), momenta to velocities
// (the Legendre inversion M v = p), or both (a round trip), with the float64 check beside it. The CLI
// and the app call this and differ only in how they show progress and the report. A float32 backend
// asked for less than kRefinementRtol refines in float64 (src/run/refine.ts), and then also forms the
// momenta with the float64 product. Every product gives eps T v apart from D v (the backends'
// interaction), which the energies and the check take: p = D v + eps T v holds it only to
// 2^-53 |D v|.
import { norm, relativeTo, trueResidual } from '../math/vectors.ts';
import { checkFloat32Vector } from '../physics/float32.ts';
import { blockSize, massDiagonal, momentaFrom, type DarwinSystem } from '../physics/models.ts';
import { InputError } from '../physics/input-error.ts';
import { energies, relativeError, type Energies } from '../physics/observables.ts';
import type { VelocityPattern } from '../physics/velocities.ts';
import type { MassMatrixBackend } from './backend.ts';
import { droppedByStop } from './chunks.ts';
import { residualGapReason } from '../solvers/krylov.ts';
import {
  defaultMaxIterations,
  isConverged,
  type ConvergenceReason,
  type SolveResult,
  type SolverName,
} from '../solvers/types.ts';
import {
  darwinError,
  kReferenceRtol,
  pendingReference,
  interactionError,
  sampledErrors,
  sampledMomenta,
  solveTargetsFor,
  type CheckClock,
  type Reference,
  type SampledReference,
} from './check.ts';
import {
  float64Products,
  refines,
  solveVelocities,
  type Float64Product,
  type Float64Products,
} from './refine.ts';

/** momenta: p = M v only; velocities: solve M v = p; round_trip: v -> p = M v -> solve back for v. */
export type SolveMode = 'momenta' | 'velocities' | 'round_trip';

export type SolveStage = 'momenta' | 'solve' | 'check';

export interface SolveRequest {
  readonly mode: SolveMode;
  /** The velocities (momenta, round_trip) or the momenta (velocities) the run starts from. */
  readonly given: Float64Array;
  /** The generated pattern the velocities came from, and its seed (random only); null from a file. */
  readonly pattern: VelocityPattern | null;
  readonly seed: number | null;
  readonly solver: SolverName;
  readonly rtol: number;
  /** undefined: the solver's default max(50, size). */
  readonly maxIterations?: number;
  /**
   * Each solver iteration, with ||r|| / ||p||, what --tol is held to (0 where p = 0); returning false
   * stops the solve (a result, not an error).
   */
  readonly onIteration?: (iteration: number, relativeResidual: number) => boolean | void;
  /** A stage begins (the app's progress line). */
  readonly onStage?: (stage: SolveStage) => void;
  /**
   * Makes a refined solve's float64 product, asked only when the solve refines: the CLI's on its
   * threads, the page's in its worker. Without it the product runs on the caller's thread.
   */
  readonly float64?: Float64Products;
}

/**
 * The float64 check: each error present when that quantity was computed. The dense check gives the
 * momenta's and the velocities' errors; the sampled one (past kCheckMaxUnknowns) the momenta's and
 * the solved velocities' residual against float64 rows of M at `sampled` electrons.
 */
export interface SolveCheck {
  readonly momenta: number | null;
  readonly velocities: number | null;
  /**
   * ||p - M v|| / ||p|| of the solved v with float64 M: the sampled check's on its rows, and the dense
   * check's of a refined solve (M v the reference's), which holds it to 10 tol in place of the
   * velocities (where the solve converged, as the velocities: src/run/report.ts solveCheckEntries):
   * a refined solve promises that residual, and ||v - v64|| / ||v64|| only cond(M) times it (plus
   * the reference's own), which no check knows (a ring of 100 near its indefinite threshold, cond
   * 6451, tol 1e-10: velocities 1.7e-9, the residual 1.4e-11). null otherwise.
   */
  readonly residual: number | null;
  /**
   * The error of the interaction part eps T v the energies use, against the float64 eps T v
   * (check.ts interactionError), held to checkTargets.interaction: of the given velocities' momenta,
   * or in the velocities mode of the solved velocities' own M v; null at eps = 0, or where the check
   * did not reach that product.
   */
  readonly interaction: number | null;
  /**
   * The Darwin energy's own relative error (check.ts darwinError) of that product: the dense check's,
   * which no target holds (the interaction's bounds it only times ||v|| ||eps T v|| / |v.eps T v|);
   * null where `interaction` is, where v.eps T v is 0, and in the sampled check.
   */
  readonly darwin: number | null;
  /** How many electrons the sampled check summed rows at; null for the dense check. */
  readonly sampled: number | null;
  /**
   * Why the float64 reference solve did not converge, where it did not (the velocities are then not
   * checked: null, not the distance to an unfinished answer); null otherwise.
   */
  readonly referenceUnconverged: ConvergenceReason | null;
}

/**
 * The product M v in a solve's true residual ||p - M v|| / ||p||: the float64 direct sum (the CPU's,
 * a refined solve's, or the dense check's, which replaces a float32 one), the float64 tree (the CPU's
 * tree, a refined GPU tree), or the GPU's float32 product (of the tree), whose own rounding that
 * residual then also measures near float32's floor.
 */
export type ResidualProduct = 'float64' | 'float64_tree' | 'float32' | 'float32_tree';

export interface SolveReport {
  readonly system: DarwinSystem;
  readonly mode: SolveMode;
  readonly pattern: VelocityPattern | null;
  readonly seed: number | null;
  readonly velocities: Float64Array;
  readonly momenta: Float64Array;
  /** null in the momenta mode, where nothing is solved. */
  readonly solve: SolveResult | null;
  /** The product in solve.trueRelativeResidual; null where nothing is solved. */
  readonly trueResidualProduct: ResidualProduct | null;
  /** The relative residual ||p - M v|| / ||p|| the solve was asked for; null where nothing is solved. */
  readonly tolerance: number | null;
  /** The request's iteration limit; null where it was auto or nothing is solved. */
  readonly maxIterations: number | null;
  /** Iterative refinement's inner solves (src/run/refine.ts); 0 where the solve did not refine. */
  readonly refinementSteps: number;
  /** ||v_solved - v|| / ||v|| of a round trip, else null. */
  readonly roundTripError: number | null;
  /** null where a Stop dropped the product the solved v's energies take (runSolve). */
  readonly energies: Energies | null;
  /** null when not checked or when the check was stopped (then checkStopped). */
  readonly check: SolveCheck | null;
  /**
   * What the check's errors are held to (src/run/check.ts solveTargetsFor): the backend's targets,
   * the sampled residual to 10 max(rtol, the momenta's target).
   */
  readonly checkTargets: ReturnType<typeof solveTargetsFor>;
  readonly checkStopped: boolean;
  /** Milliseconds of each stage that ran; check: the reference's own time (CheckClock). */
  readonly timing: { matvec?: number; solve?: number; check?: number };
}

/**
 * Refuses given velocities or momenta outside float32's range (checkFloat32Vector): runSolve asks on
 * a GPU backend; a caller that has not opened the device yet may ask first.
 */
export function checkFloat32Given(
  system: DarwinSystem,
  { mode, given }: Pick<SolveRequest, 'mode' | 'given'>,
): void {
  const quantity = mode === 'velocities' ? 'momenta' : 'velocities';
  checkFloat32Vector(system, given, `the ${quantity}`, quantity);
}

/**
 * Refuses given velocities or momenta whose sums of squares overflow float64: the energies
 * (v^T D v, v.p) and the solvers' norms would be infinite, a report no caller can use. Float32's
 * own, tighter, bound is checkFloat32Given's.
 */
export function checkFloat64Given({ mode, given }: Pick<SolveRequest, 'mode' | 'given'>): void {
  let largest = 0;
  for (const x of given) largest = Math.max(largest, Math.abs(x));
  // Scaled by the largest entry, the sum of squares cannot overflow before the test.
  let squares = 0;
  if (largest > 0 && Number.isFinite(largest)) for (const x of given) squares += (x / largest) ** 2;
  if (!Number.isFinite(largest) || largest * largest * squares > Number.MAX_VALUE / 4) {
    const quantity = mode === 'velocities' ? 'momenta' : 'velocities';
    throw new InputError(
      `the ${quantity} of size ${largest.toExponential(2)} are too large for float64: ` +
        'their energies and norms overflow; scale them down',
      quantity,
    );
  }
}

/** The first electron with a non-finite entry of `values` (b per electron), or null. */
function firstNonFinite(values: Float64Array, b: number): number | null {
  for (let k = 0; k < values.length; k++) if (!Number.isFinite(values[k])) return Math.floor(k / b);
  return null;
}

/**
 * Refuses momenta p = M v that are not finite, which no report may carry as a result (energies of
 * -Infinity, written null): on the GPU float32 overflowed where float64 did not (two electrons a
 * float32 rounding apart, eps lambda_max(T) past float32's range: README, Limits).
 */
export function checkFiniteMomenta(
  backend: Pick<MassMatrixBackend, 'name' | 'system'>,
  momenta: Float64Array,
): void {
  const { system } = backend;
  const electron = firstNonFinite(momenta, blockSize(system));
  if (electron === null) return;
  const remedy =
    backend.name === 'gpu'
      ? "float32, the GPU's precision, cannot hold this product; use the CPU reference (--device cpu), " +
        'which keeps float64, or a softening > 0'
      : // eps is at most sqrt(max) (validateSystem), so a close pair's 1/(2 r) is the likely cause.
        'eps T v overflows float64: a softening > 0 where electrons almost coincide, or a smaller epsilon';
  throw new InputError(`p = M v is not finite at electron ${electron}: ${remedy}`, 'positions');
}

/**
 * A solve whose velocities are not finite is diverged_nan, as the solvers say of a norm that is not,
 * whatever its residual claimed.
 */
function finiteSolve(solve: SolveResult): SolveResult {
  if (solve.reason === 'diverged_nan' || firstNonFinite(solve.x, 1) === null) return solve;
  return { ...solve, converged: false, reason: 'diverged_nan' };
}

/**
 * A solver's onIteration, which hears ||r||, turned into one that hears ||r|| / ||b|| (relativeTo),
 * what a tolerance is held to: the solve's and the response study's progress lines.
 */
export function relativeIterations(
  rightHandSide: ArrayLike<number>,
  onIteration: (iteration: number, relativeResidual: number) => boolean | void,
): (iteration: number, residualNorm: number) => boolean | void {
  const rightHandSideNorm = norm(rightHandSide);
  return (iteration, residualNorm) => onIteration(iteration, relativeTo(residualNorm, rightHandSideNorm));
}

/** The product in a solve's own true residual on `backend` (ResidualProduct), refined or not. */
export function residualProduct(
  backend: Pick<MassMatrixBackend, 'name' | 'tree'>,
  refined: boolean,
): ResidualProduct {
  const precision = backend.name === 'gpu' && !refined ? 'float32' : 'float64';
  return backend.tree ? `${precision}_tree` : precision;
}

/**
 * `solve` with its true residual ||p - M v|| and its relative value from `product`, M v of its final
 * v; and where the solve ran in float32 to `float32Rtol`, finishKrylov's gap rule applied again to
 * that residual: the solver judged the gap with its own product, whose float32 rounding its float32
 * iterate matches, so that a v far from M's solution can pass there (residualGapReason). A float64
 * solve's own residual is already float64's.
 */
function withTrueResidual(
  solve: SolveResult,
  p: Float64Array,
  product: Float64Array,
  float32Rtol: number | null,
): SolveResult {
  const { norm: trueResidualNorm, relative } = trueResidual(p, product);
  const normP = norm(p);
  const reason =
    float32Rtol === null
      ? solve.reason
      : residualGapReason(solve.reason, trueResidualNorm, float32Rtol * normP, 'float32', normP);
  return {
    ...solve,
    reason,
    converged: isConverged(reason),
    trueResidualNorm,
    trueRelativeResidual: relative,
  };
}

/**
 * Runs a solve request on `backend`, checked by `checkedBy` when one is given. The dense
 * reference gets the backend's own p to solve, so its difference measures the backend's solve alone,
 * and forms M v of the solved v (the true residual in float64, the velocities mode's interaction
 * part); the sampled one sums rows of M v at its electrons, for the given v (the momenta's error) and
 * the solved v (the residual). The requests go out before the backend's work, so a reference in a
 * worker runs alongside, unless it asks to come after the run (afterRun); those about the solved v
 * once it exists.
 */
export async function runSolve(
  system: DarwinSystem,
  backend: MassMatrixBackend,
  request: SolveRequest,
  checkedBy: Reference | SampledReference | null = null,
): Promise<SolveReport> {
  const sampled = checkedBy?.kind === 'sampled' ? checkedBy : null;
  const reference = checkedBy?.kind !== 'sampled' ? checkedBy : null;
  const { mode, given } = request;
  checkFloat64Given(request);
  if (backend.name === 'gpu') checkFloat32Given(system, request);
  const timing: { matvec?: number; solve?: number; check?: number } = {};
  const checkClock: CheckClock = { milliseconds: 0 };
  const givenVelocities = mode === 'velocities' ? null : given;
  const diagonal = massDiagonal(system);
  // The sampled reference's rows of eps T x at its sample's electrons (formed by its first request).
  const sampledInteraction = (x: Float64Array) =>
    sampled!.sample().then((sample) => sampled!.rows(x, sample.electrons, undefined, 'interaction'));
  const referenceInteraction = pendingReference(
    givenVelocities && (reference || sampled)
      ? () => (reference ? reference.interaction(givenVelocities) : sampledInteraction(givenVelocities))
      : null,
    checkClock,
    checkedBy?.afterRun,
  );
  // Made once, where the run refines: its eps T v, and p = M v from it, are this float64 product too.
  // Kept past the solve (its energies), it reaches solveVelocities without its release: what it holds
  // goes with the run's pool (the CLI's openBackend closes it with the run).
  let product: Float64Product | null = null;
  const float64Interaction = () =>
    (product ??= (request.float64 ?? float64Products())(backend.system, backend.tree, 'interaction'));
  const float64 = (): Float64Product => {
    const interaction = float64Interaction();
    return async (v) => momentaFrom(diagonal, v, await interaction(v));
  };
  // eps T v: a refined run's with the float64 product.
  const interactionProduct = (v: Float64Array) =>
    refines(backend, request.rtol) ? Promise.resolve(float64Interaction()(v)) : backend.interaction(v);
  let momenta = given;
  let givenInteraction: Float64Array | null = null;
  if (givenVelocities) {
    request.onStage?.('momenta');
    const start = performance.now();
    givenInteraction = await interactionProduct(givenVelocities);
    momenta = momentaFrom(diagonal, givenVelocities, givenInteraction);
    timing.matvec = performance.now() - start;
    checkFiniteMomenta(backend, momenta);
  }
  // A round trip's energies are its given v's, whose p = M v is exact, not those of v solved back
  // (which a failed solve leaves far from v). v.eps T v can overflow where v and p do not
  // (eps ||T|| large).
  const givenEnergies = givenVelocities && energies(system, givenVelocities, givenInteraction!);
  if (givenEnergies && !(Number.isFinite(givenEnergies.total) && Number.isFinite(givenEnergies.kinetic))) {
    throw new InputError(
      'the energies v.p / 2 of these velocities overflow float64; scale the velocities down',
      'velocities',
    );
  }
  let solve: SolveResult | null = null;
  let refinementSteps = 0;
  let velocities = given;
  let roundTripError: number | null = null;
  let referenceVelocities = pendingReference<SolveResult>(null);
  if (mode !== 'momenta') {
    const p = momenta;
    referenceVelocities = pendingReference(
      reference
        ? () =>
            reference.velocities(p, 'auto', {
              rtol: Math.min(request.rtol, kReferenceRtol),
              // Never fewer iterations than the run was given: a raised --max-iter is what an
              // ill-conditioned M needs, in float64 as well.
              maxIterations: Math.max(request.maxIterations ?? 0, defaultMaxIterations(p.length)),
            })
        : null,
      checkClock,
      reference?.afterRun,
    );
    request.onStage?.('solve');
    const start = performance.now();
    const options = {
      rtol: request.rtol,
      maxIterations: request.maxIterations,
      onIteration: request.onIteration && relativeIterations(p, request.onIteration),
    };
    ({ solve, refinementSteps } = await solveVelocities(backend, float64, p, request.solver, options));
    timing.solve = performance.now() - start;
    solve = finiteSolve(solve);
    velocities = solve.x;
    if (givenVelocities) roundTripError = relativeError(solve.x, givenVelocities);
  }
  // The velocities mode's energies are the solved v's with its own product's eps T v (see energies
  // below), which the check measures as it does the given v's. A Stop that drops that product (the
  // page's float64 worker; a long product's pieces) leaves the stopped run its v without energies,
  // rather than no result: p - D v would give eps T v only to 2^-53 |D v|, all of it at small eps.
  const solvedInteraction =
    solve && !givenVelocities ? await interactionProduct(solve.x).catch(droppedByStop) : null;
  // The solved velocities' rows of eps T v, and the dense check's float64 eps T v of them, asked once
  // they exist.
  const solvedRows = pendingReference(
    sampled && solve ? () => sampledInteraction(solve.x) : null,
    checkClock,
    true,
  );
  const solvedInteraction64 = pendingReference(
    reference && solve ? () => reference.interaction(solve.x) : null,
    checkClock,
    true,
  );
  let check: SolveCheck | null = null;
  let checkStopped = false;
  let product64: Float64Array | null = null;
  if (checkedBy) {
    request.onStage?.('check');
    const interaction64 = await referenceInteraction();
    const solved64 = await referenceVelocities();
    // A check stopped at the momenta, or at the reference's solve, asks nothing more.
    const stoppedBefore =
      (givenVelocities !== null && interaction64 === null) ||
      (reference !== null && solve !== null && solved64 === null);
    const rows64 = stoppedBefore ? null : await solvedRows();
    const solvedPart64 = stoppedBefore ? null : await solvedInteraction64();
    product64 = solve && solvedPart64 && momentaFrom(diagonal, solve.x, solvedPart64);
    const answered = sampled ? rows64 : product64;
    checkStopped = stoppedBefore || (solve !== null && answered === null);
    // Asked already by the rows above: here at once, or null where the check was stopped before.
    const sample = sampled && !checkStopped ? await pendingReference(() => sampled.sample())() : null;
    if (sampled && !sample) checkStopped = true;
    if (!checkStopped) {
      // The eps T v the energies use, against its float64 rows or eps T v: the given v's, or the
      // solved v's.
      const [checkedVelocities, checkedInteraction, exactInteraction] = givenVelocities
        ? [givenVelocities, givenInteraction, interaction64]
        : [velocities, solvedInteraction, sampled ? rows64 : solvedPart64];
      const interaction =
        checkedInteraction && exactInteraction
          ? interactionError(system, checkedInteraction, exactInteraction, sample)
          : null;
      // p64 = D v + eps T v_64, over every unknown or at the sample's.
      const exactMomenta = (x: Float64Array, part: Float64Array | null) =>
        part && (sample ? sampledMomenta(system, sample, x, part) : momentaFrom(diagonal, x, part));
      const p64 = givenVelocities && exactMomenta(givenVelocities, interaction64);
      check = sample
        ? {
            ...sampledErrors(system, sample, momenta, p64, solve && exactMomenta(solve.x, rows64)),
            velocities: null,
            interaction,
            darwin: null,
            sampled: sample.electrons.length,
            referenceUnconverged: null,
          }
        : {
            momenta: p64 ? relativeError(momenta, p64) : null,
            // Converged, the reference's true residual is within kResidualGapFactor of its tolerance
            // (finishKrylov): a singular M's blown-up iterate is never what the run is held to.
            velocities: solve && solved64?.converged ? relativeError(solve.x, solved64.x) : null,
            // A refined solve's residual in float64 with the reference's M (SolveCheck.residual).
            residual:
              solve && product64 && refines(backend, request.rtol)
                ? trueResidual(momenta, product64).relative
                : null,
            interaction,
            darwin:
              checkedInteraction && exactInteraction
                ? darwinError(system, checkedVelocities, checkedInteraction, exactInteraction)
                : null,
            sampled: null,
            referenceUnconverged: solved64 && !solved64.converged ? solved64.reason : null,
          };
      timing.check = checkClock.milliseconds;
    }
  }
  const refined = product !== null;
  // The dense check's float64 M v of the solved v gives the true residual of M's own equation where
  // the backend's product is M's (not the tree's, whose equation the run solves): a float32 product
  // near its floor measures its own rounding there, not the solution's, and the gap is judged
  // again on it.
  const float32Rtol = backend.name === 'gpu' && !refined ? request.rtol : null;
  const recomputed =
    solve && product64 && !backend.tree ? withTrueResidual(solve, momenta, product64, float32Rtol) : null;
  return {
    system,
    mode,
    pattern: request.pattern,
    seed: request.seed,
    velocities,
    momenta,
    solve: recomputed ?? solve,
    trueResidualProduct: solve && (recomputed ? 'float64' : residualProduct(backend, refined)),
    tolerance: solve ? request.rtol : null,
    maxIterations: solve ? (request.maxIterations ?? null) : null,
    refinementSteps,
    roundTripError,
    // Solved velocities' energies from v and their own product's eps T v, each within about
    // ||v - v_exact|| / ||v|| of itself: from the given p, darwin (v.p - v.D v) / 2 errs by about that
    // times the kinetic energy wherever v.p = v.M v fails, as it does for a float32 solve (CG's
    // Galerkin condition holds in exact arithmetic only; at eps = 1e-8, 5% to all of darwin).
    energies: givenEnergies ?? (solvedInteraction && energies(system, velocities, solvedInteraction)),
    check,
    checkTargets: solveTargetsFor(backend, system.configuration.n, refined, request.rtol),
    checkStopped,
    timing,
  };
}
