// The JSON of a solve or spectrum run (README "solve" and "spectrum"), built once for the CLI's
// stdout and --out file and the app's download: snake_case keys, in the order the README lists them.
import { collectiveParameter } from '../physics/constants.ts';
import { kResidualGapFactor } from '../solvers/types.ts';
import { configurationSummary, kProgramVersion, type DeviceSummary } from '../io/formats.ts';
import { npzBytes } from '../io/npz.ts';
import { blockSize, type DarwinSystem } from '../physics/models.ts';
import type { TreeDetails } from '../physics/tree-build.ts';
import { withinTarget } from './check.ts';
import { kRefinementRtol, kStallFactor } from './refine.ts';
import type { SolveCheck, SolveReport } from './solve.ts';
import type { SpectrumReport } from './spectrum.ts';

/** What a run's JSON says besides its report: where it ran, the scale of R, and its stage times. */
export interface RunContext {
  readonly device: DeviceSummary;
  /** How M was held ('dense', 'free' or 'tree'); null where no M was built. */
  readonly matrix: string | null;
  /** The tree's accuracy and work when M was 'tree', written as `tree` after `matrix`. */
  readonly tree?: TreeDetails;
  /**
   * The threads of the float64 CPU tree whose products the numbers hold (another count gives them to
   * rounding only), written as `threads` after `tree`; absent where no such tree ran.
   */
  readonly threads?: number;
  /** R in metres: as given, or the R that eps implies. */
  readonly radiusMetres: number;
  /** Milliseconds per stage, written as `<stage>_ms` in this order. */
  readonly timing: Readonly<Record<string, number>>;
}

function timingJson(timing: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(timing).map(([stage, ms]) => [`${stage}_ms`, ms]));
}

/**
 * `tree` (README "solve"): the tree's tolerance, order, theta, leaves and one product's work; then
 * `threads` where the float64 CPU tree's products ran on them (RunContext.threads). Absent unless M
 * was 'tree'.
 */
export function treeJson(context: Pick<RunContext, 'tree' | 'threads'>): {
  tree?: Record<string, number>;
  threads?: number;
} {
  const { tree, threads } = context;
  if (!tree) return {};
  return {
    tree: {
      tolerance: tree.tolerance,
      order: tree.order,
      theta: tree.theta,
      leaves: tree.leaves,
      direct_pairs: tree.directPairs,
      translations: tree.translations,
    },
    ...(threads !== undefined && { threads }),
  };
}

/** One error of a check with the target it is held to, as the JSON names them. */
export interface CheckEntry {
  readonly name: string;
  readonly error: number;
  readonly targetName: string;
  readonly target: number;
}

/** The entries of `errors` that are present, each held to targets[targetOf(name)]. */
function checkEntries(
  errors: Readonly<Record<string, number | null>>,
  targets: Readonly<Record<string, number>>,
  targetOf: (name: string) => string = (name) => name,
): CheckEntry[] {
  return Object.entries(errors).flatMap(([name, error]) =>
    error === null ? [] : [{ name, error, targetName: targetOf(name), target: targets[targetOf(name)] }],
  );
}

/**
 * The check's errors, their maximum first, the targets they are held to (those of the errors
 * present: a velocities mode's solve has no momenta error, and no momenta target), and
 * `within_target`: every error at most its target (false for a NaN one). A check past its target is
 * a result, as a solve that did not converge is: the CLI says so on stderr (checkWarning) and exits 0.
 */
function checkJson(entries: readonly CheckEntry[]): Record<string, unknown> {
  const present = Object.fromEntries(entries.map(({ name, error }) => [name, error]));
  return {
    max_relative_error: Math.max(...entries.map(({ error }) => error)),
    ...present,
    targets: Object.fromEntries(entries.map(({ targetName, target }) => [targetName, target])),
    within_target: entries.every(({ error, target }) => withinTarget(error, target)),
  };
}

/**
 * The entries of a solve's check that its targets hold: the dense one's momenta and velocities, or
 * the residual in place of the velocities where there is one (the sampled check's, a refined solve's:
 * SolveCheck.residual), then the interaction part's where there is one. The solved v's own entry
 * (velocities or residual) only where `solved` says the solve converged: one that did not is as far
 * off as its convergence warning says, with that warning's remedy, not a precision past its target.
 */
function solveCheckEntries(
  check: SolveCheck,
  targets: SolveReport['checkTargets'],
  solved: boolean,
): CheckEntry[] {
  const { momenta, velocities, residual, interaction } = check;
  const own: Record<string, number | null> = !solved ? {} : residual === null ? { velocities } : { residual };
  return checkEntries({ momenta, ...own, interaction }, targets);
}

/** Whether a report's solve converged, or nothing was solved (the momenta mode): solveCheckEntries' `solved`. */
function solvedOrNone(report: Pick<SolveReport, 'solve'>): boolean {
  return report.solve === null || report.solve.converged;
}

/**
 * A solve's check: the dense one's errors of the momenta and velocities, or the sampled one's of the
 * momenta and the residual, with its electrons; each with the interaction part's error, and the
 * dense one with the Darwin energy's, after them, which no target holds (SolveCheck.darwin): neither
 * `max_relative_error` nor `within_target` counts it; nor the velocities' where a refined solve's
 * residual is held in their place (SolveCheck.residual), nor the velocities' or the residual's of a
 * solve that did not converge (solveCheckEntries), written after the held ones. Where nothing is
 * held, `max_relative_error` and `within_target` are null.
 */
function solveCheckJson(report: SolveReport, check: SolveCheck): Record<string, unknown> {
  const entries = solveCheckEntries(check, report.checkTargets, solvedOrNone(report));
  const { targets: held, within_target, max_relative_error, ...errors } = checkJson(entries);
  const unheld = (['velocities', 'residual'] as const).filter(
    (name) => check[name] !== null && !entries.some((entry) => entry.name === name),
  );
  const json = {
    max_relative_error: entries.length > 0 ? max_relative_error : null,
    ...errors,
    ...Object.fromEntries(unheld.map((name) => [name, check[name]])),
    ...(check.darwin !== null && { darwin: check.darwin }),
    targets: held,
    within_target: entries.length > 0 ? within_target : null,
  };
  if (check.sampled !== null) return { ...json, sampled_electrons: check.sampled };
  // Velocities unchecked (the reference did not converge): within their target is not established,
  // unless the residual is held in their place, or the solve did not converge (they are not held).
  const unconverged = check.referenceUnconverged;
  const unestablished = unconverged !== null && check.residual === null && solvedOrNone(report);
  return {
    ...json,
    within_target: json.within_target === true && unestablished ? null : json.within_target,
    reference_unconverged: unconverged,
  };
}

/** The entries of a spectrum's check: the dense one's eigenvalue errors, or the sampled one's Ritz residuals. */
function spectrumCheckEntries(report: Pick<SpectrumReport, 'check' | 'checkTargets'>): CheckEntry[] {
  const { check, checkTargets } = report;
  if (!check) return [];
  return check.sampled === null
    ? checkEntries(
        { lambda_min: check.lambdaMin, lambda_max: check.lambdaMax },
        checkTargets,
        () => 'eigenvalues',
      )
    : checkEntries(
        { residual_min: check.residualMin, residual_max: check.residualMax },
        checkTargets,
        () => 'residual',
      );
}

/**
 * One line where a check's errors exceed their targets (each with its target), for the CLI's stderr;
 * null where every error is within its target or nothing was checked. `subject`: the check's name in
 * it, where a run checks more than one thing (a response point's).
 */
export function checkWarning(entries: readonly CheckEntry[], subject = 'the float64 check'): string | null {
  const over = entries.filter(({ error, target }) => !withinTarget(error, target));
  if (over.length === 0) return null;
  const e = (x: number) => x.toExponential(2);
  const each = over.map(
    ({ name, error, targetName, target }) => `${name} ${e(error)} > ${targetName} target ${e(target)}`,
  );
  return `warning: ${subject} is past its target: ${each.join(', ')} ("within_target": false)`;
}

/**
 * checkWarning of a solve's report, which says where the interaction part is past its target how far
 * off the Darwin energy eps v.T v / 2 is, and inertia_ratio - 1 = 2 darwin / v.D v with it: by the
 * dense check's own measure, or (the sampled check) as far as eps T v, or more: that bounds it only
 * times ||v|| ||eps T v|| / |v.eps T v| (SolveCheck.darwin). `float32`: the run's products were the
 * GPU's float32 (it did not refine), past whose reach the remedy is the float64 product that a
 * refined run forms p with (src/run/solve.ts), or the CPU (two lumps 10 R apart, which float32's
 * coordinates about the median electron cannot resolve: interaction 1.7e-3).
 */
export function solveCheckWarning(
  report: Pick<SolveReport, 'check' | 'checkTargets' | 'solve'>,
  float32 = false,
): string | null {
  const { check, checkTargets } = report;
  const warning = check && checkWarning(solveCheckEntries(check, checkTargets, solvedOrNone(report)));
  if (!warning) return warning;
  const past = check.interaction !== null && !withinTarget(check.interaction, checkTargets.interaction);
  const offBy =
    check.darwin !== null
      ? `${check.darwin.toExponential(2)} off ("darwin")`
      : 'as far off, or more where v.eps T v cancels';
  const darwin = past ? `; energies.darwin and inertia_ratio - 1 are ${offBy}` : '';
  const remedy = float32
    ? '; ask --tol below 1e-6, which forms p = M v with the float64 product and refines v in float64, ' +
      'or use --device cpu'
    : '';
  return `${warning}${darwin}${remedy}`;
}

/** checkWarning of a spectrum's report. */
export function spectrumCheckWarning(report: Pick<SpectrumReport, 'check' | 'checkTargets'>): string | null {
  return checkWarning(spectrumCheckEntries(report));
}

/**
 * The remedy where M has no solution along p that this precision can find: a singular M (two electrons
 * on a ring at N eps = 4) or one singular to rounding (a ring of 100 at 1 + eps lambda_min(V) = 0).
 */
const kSingularRemedy =
  "M is singular or nearly so along p, and no v meets --tol: `spectrum` gives M's extreme eigenvalues, λ_min near 0 where it is positive semidefinite";

/**
 * One line for the CLI's stderr where a solve did not converge, or converged by --tol with a true
 * residual that misses it: the reason and the remedy; null where it converged to --tol or nothing was
 * solved. Not converging is a result (exit 0), but not a silent one. A diverged_max_it whose true
 * residual is kResidualGapFactor above the recursive one is answered as diverged_residual_gap is, not
 * with more iterations, which would only grow v along a near-null vector.
 */
export function solveConvergenceWarning(
  report: Pick<SolveReport, 'solve' | 'tolerance' | 'refinementSteps'>,
  device: 'cpu' | 'gpu',
): string | null {
  const { solve, tolerance } = report;
  if (!solve) return null;
  const gpu = device === 'gpu';
  const floor = gpu && report.refinementSteps === 0 && tolerance !== null && tolerance >= kRefinementRtol;
  const refine = "ask --tol below 1e-6, which refines in float64 past float32's floor";
  if (solve.converged) {
    // Converged is the recursive residual's word; in float32 near its floor (~cond(M) u32) the true
    // residual ||p - M v|| / ||p|| of the final v can stay above --tol while the recursion meets it.
    if (solve.reason !== 'converged_rtol' || tolerance === null) return null;
    if (!(solve.trueRelativeResidual > tolerance)) return null;
    return (
      `warning: the solve converged by its recursive residual, but the true residual ` +
      `${solve.trueRelativeResidual.toExponential(2)} misses --tol ${tolerance.toExponential()}: ` +
      (floor ? refine : 'ask a smaller --tol')
    );
  }
  const pastRefinement = "cond(M) is past float32's refinement: use --device cpu";
  // A true residual far above the recursive one: float32 past its floor, where refinement helps, or M
  // singular along p, where nothing does.
  const gapRemedy = floor ? `${refine}; or ${kSingularRemedy}` : kSingularRemedy;
  // A refined solve ends so where a float32 inner solve found M singular along the float64 residual
  // and its step did not contract it (src/run/refine.ts): singular in float64 too, or only to
  // float32, which the CPU's float64 solves.
  const refinedSingular = `${kSingularRemedy}; where it is not that near, ${pastRefinement}`;
  const singular = report.refinementSteps > 0 ? refinedSingular : kSingularRemedy;
  const overflow = gpu
    ? 'float32 overflowed: use --device cpu, which keeps float64, or a softening > 0'
    : 'the products overflowed float64: a smaller --epsilon, or a softening > 0 where electrons almost coincide';
  // CG alone (--solver cg) cannot tell that from its v growing along a singular M's null vector,
  // which 'auto' hands to MINRES (src/solvers/solve.ts).
  const cgAlone = solve.solver === 'cg' && !solve.switchedFrom;
  const remedy = {
    diverged_max_it: floor && stalled(solve.history) ? `raise --max-iter, or ${refine}` : 'raise --max-iter',
    diverged_indefinite: 'M is not positive definite: use --solver minres or auto',
    diverged_breakdown: kSingularRemedy,
    diverged_singular: singular,
    diverged_residual_gap: report.refinementSteps > 0 ? refinedSingular : gapRemedy,
    diverged_nan: cgAlone
      ? `${overflow}; or M is singular along p, which --solver auto or minres says (diverged_singular)`
      : overflow,
    diverged_refinement: pastRefinement,
  }[solve.reason as Exclude<typeof solve.reason, 'converged_rtol' | 'converged_atol'>];
  const gap = solve.trueRelativeResidual > kResidualGapFactor * solve.relativeResidual;
  const said = gap && solve.reason === 'diverged_max_it' ? gapRemedy : remedy;
  const iterations = `${solve.iterations} ${solve.iterations === 1 ? 'iteration' : 'iterations'}`;
  return `warning: the solve did not converge (${solve.reason} after ${iterations}): ${said}`;
}

/** The fewest last iterations over which a solve's recursive residual is judged to have stalled. */
const kFewestStalledIterations = 10;

/**
 * Whether a solve's recursive residual (`history`, one entry per iteration) had stopped falling when
 * it ended: over its last quarter of iterations (kFewestStalledIterations at least) its least value
 * fell by less than half (kStallFactor, the refinement's stall rule's: src/run/refine.ts stallWatch,
 * which watches a running solve over a fixed window). A float32 solve stalls so at its floor
 * (~cond(M) u32), which float64 refinement passes; one that the iteration cap cut off while its
 * residual still fell needs more iterations.
 */
function stalled(history: readonly number[]): boolean {
  const window = Math.max(kFewestStalledIterations, Math.floor((history.length - 1) / 4));
  if (history.length <= window) return false;
  const least = (values: readonly number[]) => values.reduce((a, b) => Math.min(a, b), Infinity);
  return least(history.slice(-window)) > kStallFactor * least(history.slice(0, -window));
}

/**
 * solveConvergenceWarning for a spectrum: where Lanczos did not converge, its reason and the remedy;
 * where its refinement fell short of --tol, the refined residuals relative to eps max|theta| and the
 * --tol that they do meet.
 */
export function spectrumConvergenceWarning(
  report: Pick<SpectrumReport, 'spectrum' | 'refinement'>,
  device: 'cpu' | 'gpu',
): string | null {
  const { lanczos } = report.spectrum;
  if (lanczos.converged) return null;
  const { refinement } = report;
  if (lanczos.reason === 'diverged_refinement' && refinement) {
    const e = (x: number) => x.toExponential(2);
    const { relativeMin, relativeMax } = refinement;
    // The two-digit --tol that the larger residual meets.
    const relative = Math.max(relativeMin, relativeMax);
    const digit = 10 ** (Math.floor(Math.log10(relative)) - 1);
    const enough = (Math.ceil(relative / digit) * digit).toPrecision(2);
    return (
      `warning: the float64 refinement fell short of --tol (diverged_refinement): its Ritz residuals are ` +
      `${e(relativeMin)} (lambda_min) and ${e(relativeMax)} (lambda_max) of eps max|theta|, ` +
      "and an eigenvalue that close to a refined one, which float32's Lanczos does not resolve, can leave " +
      `it as far off: use --device cpu, whose float64 Lanczos meets --tol, or ask --tol ${enough} or more`
    );
  }
  const remedy =
    lanczos.reason === 'diverged_max_it'
      ? 'raise --max-iter or --basis; the Ritz values lie inside the spectrum'
      : device === 'gpu'
        ? 'float32 overflowed: use --device cpu, which keeps float64'
        : // Lanczos runs on M at eps = 1 (src/solvers/spectrum.ts): only 1/r of a close pair can overflow.
          'the products overflowed float64: a softening > 0 where electrons almost coincide';
  const products = `${lanczos.iterations} ${lanczos.iterations === 1 ? 'product' : 'products'}`;
  return `warning: Lanczos did not converge (${lanczos.reason} after ${products}): ${remedy}`;
}

/**
 * The spectrum keys, shared by `spectrum` and the "spectrum" object of the app's solve download: the
 * tolerance asked and the other settings that decide the numbers (the limit, null for auto, the
 * basis, the seed), the eigenvalues, the Lanczos run, and whether they were refined in float64.
 */
function spectrumFields(report: SpectrumReport) {
  const { spectrum, refinement } = report;
  return {
    tolerance: report.tolerance,
    max_iter: report.maxIterations,
    basis: report.basisSize,
    seed: report.seed,
    lambda_min: spectrum.lambdaMin,
    lambda_max: spectrum.lambdaMax,
    condition_number: spectrum.conditionNumber,
    collective_parameter: spectrum.collectiveParameter,
    n_epsilon: spectrum.nEpsilon,
    indefinite: spectrum.indefinite,
    iterations: spectrum.lanczos.iterations,
    converged: spectrum.lanczos.converged,
    reason: spectrum.lanczos.reason,
    residual_bound_min: spectrum.lanczos.residualMin,
    residual_bound_max: spectrum.lanczos.residualMax,
    restarts: spectrum.lanczos.restarts,
    refined: refinement !== null,
    ritz_residual_min: refinement?.residualMin ?? null,
    ritz_residual_max: refinement?.residualMax ?? null,
  };
}

/**
 * The float64 check of the extreme eigenvalues as `spectrum` writes it: the dense one's errors, or
 * the sampled one's Ritz residuals with its electrons; null when none ran.
 */
function eigenvalueCheckJson(
  report: Pick<SpectrumReport, 'check' | 'checkTargets'>,
): Record<string, unknown> | null {
  const { check } = report;
  if (!check) return null;
  const json = checkJson(spectrumCheckEntries(report));
  return check.sampled === null ? json : { ...json, sampled_electrons: check.sampled };
}

/**
 * The "spectrum" object of the app's solve download: `spectrum`'s keys less its command, device,
 * matrix, configuration and timing, which the download holds once for its solve and spectrum.
 */
export function spectrumSummaryJson(report: SpectrumReport): Record<string, unknown> {
  return { ...spectrumFields(report), check: eigenvalueCheckJson(report) };
}

export interface SolveJsonOptions {
  /** Also the per-electron arrays and the residual history (`--out FILE.json`, the app's download). */
  readonly arrays?: boolean;
  /** The app's download also carries the last spectrum of the same system. */
  readonly spectrum?: SpectrumReport | null;
}

/**
 * The `solve` object. `report` null is a system with nothing solved yet (the app after a spectrum
 * alone): the keys are all there, with null and 0 iterations, and converged null: no solve ran to
 * converge (the momenta mode's p = M v is exact, and converged true).
 */
export function solveJson(
  system: DarwinSystem,
  report: SolveReport | null,
  context: RunContext,
  options: SolveJsonOptions = {},
) {
  const solve = report?.solve ?? null;
  const e = report?.energies ?? null;
  const check = report?.check ?? null;
  return {
    command: 'solve',
    version: kProgramVersion,
    mode: report?.mode ?? null,
    device: context.device,
    matrix: context.matrix,
    ...treeJson(context),
    configuration: configurationSummary(system, context.radiusMetres),
    velocity_pattern: report?.pattern ?? null,
    seed: report?.seed ?? null,
    solver: solve?.solver ?? null,
    tolerance: report?.tolerance ?? null,
    max_iter: report?.maxIterations ?? null,
    switched_from: solve?.switchedFrom ?? null,
    iterations: solve?.iterations ?? 0,
    converged: solve ? solve.converged : report ? true : null,
    reason: solve?.reason ?? null,
    relative_residual: solve?.relativeResidual ?? null,
    true_relative_residual: solve?.trueRelativeResidual ?? null,
    true_residual_product: report?.trueResidualProduct ?? null,
    refinement_steps: report?.refinementSteps ?? 0,
    round_trip_error: report?.roundTripError ?? null,
    energies: e ? { kinetic: e.kinetic, darwin: e.darwin, total: e.total } : null,
    inertia_ratio: e?.inertiaRatio ?? null,
    collective_parameter_n_epsilon: collectiveParameter(system.configuration.n, system.epsilon),
    ...(options.spectrum !== undefined && {
      spectrum: options.spectrum ? spectrumSummaryJson(options.spectrum) : null,
    }),
    check: report && check ? solveCheckJson(report, check) : null,
    timing_ms: timingJson(context.timing),
    ...(options.arrays && {
      positions: system.configuration.positions,
      velocities: report?.velocities ?? null,
      momenta: report?.momenta ?? null,
      history: solve?.history ?? [],
    }),
  };
}

/** `solve --json` by its keys, which scripts/results.mjs reads (a rename there fails its typecheck). */
export type SolveJson = ReturnType<typeof solveJson>;

/**
 * The solve as NumPy's .npz (`--out FILE.npz`): `positions` (N x 3, units of R), `velocities` and
 * `momenta` (N x b, b = dim or 1 as in the JSON), the residual `history`, and `summary`, the JSON
 * above without its arrays (`json.loads(str(np.load(f)['summary']))`).
 */
export function solveNpz(system: DarwinSystem, report: SolveReport, context: RunContext): Uint8Array {
  const n = system.configuration.n;
  const b = blockSize(system);
  const history = report.solve?.history ?? [];
  return npzBytes(
    {
      positions: { dtype: 'float64', data: system.configuration.positions, shape: [n, 3] },
      velocities: { dtype: 'float64', data: report.velocities, shape: [n, b] },
      momenta: { dtype: 'float64', data: report.momenta, shape: [n, b] },
      history: { dtype: 'float64', data: history, shape: [history.length] },
    },
    solveJson(system, report, context),
  );
}

/** The `spectrum` object. */
export function spectrumJson(report: SpectrumReport, context: RunContext) {
  return {
    command: 'spectrum',
    version: kProgramVersion,
    device: context.device,
    matrix: context.matrix,
    ...treeJson(context),
    configuration: configurationSummary(report.system, context.radiusMetres),
    ...spectrumFields(report),
    check: eigenvalueCheckJson(report),
    timing_ms: timingJson(context.timing),
  };
}

/** `spectrum --json` by its keys, which scripts/results.mjs reads (a rename there fails its typecheck). */
export type SpectrumJson = ReturnType<typeof spectrumJson>;
