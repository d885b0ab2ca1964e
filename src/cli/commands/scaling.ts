// `scaling`: how the largest eigenvalue of the interaction matrix grows with N at fixed size (sec. IV.C),
// per geometry, and the size R* at which the collective parameter reaches 1 with N = N_max(d) (eq. 51),
// beside eq. 53-55. A thin adapter: the sweep is src/studies/scaling/run.ts on a backend per N (the GPU
// engine, or the float64 CPU reference), its options src/studies/scaling/spec.ts's, the JSON, text and
// files src/studies/scaling/report.ts's.
import type { DeviceMemory } from '../../gpu/device.ts';
import { kTreeCrossover } from '../../gpu/profile.ts';
import { renamedError } from '../../physics/input-error.ts';
import { kModelNames } from '../../physics/models.ts';
import {
  kDistributionDimension,
  kScalingGeometries,
  scalingVelocityDimension,
} from '../../physics/scaling.ts';
import { kDefaultTreeTolerance } from '../../physics/tree-build.ts';
import { kDefaultLanczosBasis } from '../../solvers/lanczos.ts';
import {
  parseChoice,
  parseDevice,
  parseLanczosSeed,
  parseMatrix,
  parseMaxIterations,
  parseTreeToleranceFor,
} from '../../run/inputs.ts';
import { chooseCpuStorage } from '../../run/backend.ts';
import { kCheckMaxUnknowns, kSampledCheckElectrons } from '../../run/check.ts';
import {
  backendStorage,
  checkStudyBackend,
  openStudyBackend,
  openStudyEngine,
  referenceProgress,
  threadsOption,
} from '../engine.ts';
import { runScaling, scalingReference } from '../../studies/scaling/run.ts';
import type { BackendFactory } from '../../studies/study.ts';
import {
  mergeScaling,
  savedSweep,
  scalingCheckWarning,
  scalingFileNames,
  scalingFiles,
  scalingJson,
  scalingMarkdown,
  scalingPointLine,
  scalingShardFromJson,
  scalingText,
  type ScalingExtra,
  type ScalingJson,
} from '../../studies/scaling/report.ts';
import {
  kScalingDefaults,
  kScalingElectrons,
  logSpacedCounts,
  parseScalingGeometries,
  scalingLanczosTol,
  scalingNMaxProblem,
  scalingPointsProblem,
} from '../../studies/scaling/spec.ts';
import { integerRangeProblem, isObject, parseShard } from '../../studies/study.ts';
import type { ScalingStudy } from '../../studies/scaling/run.ts';
import { nodeReference } from '../reference.ts';
import { refusalOf } from '../formats.ts';
import { kCommonOptions, parseCommandArgs, parseNumber } from '../options.ts';
import {
  checkStudyOutput,
  summaryFile,
  writeIntoDirectory,
  type OutputDirectory,
} from '../output-directory.ts';
import type { Progress } from '../progress.ts';
import type { Shards } from './merge.ts';
import { kStoppedHelp, studyOutput, type CommandOutput } from './summary.ts';

export const kScalingHelp = `Usage: darwin-breit scaling [--geometries ring,disk,sphere,ball] [--model vector|azimuthal]
                         [--n-min N] [--n-max N] [--points K] [--device gpu|cpu]
                         [--matrix dense|free|tree|auto] [--tree-tol T] [--threads K] [--tol T]
                         [--max-iter K] [--seed S] [--shard K/N] [--out DIR] [--markdown] [--json]

For each geometry, a sweep of N (log-spaced) at fixed size R computing by Lanczos the extreme eigenvalues
of the interaction matrix: T itself in the vector model (D = I), D^-1/2 (M - D) D^-1/2 at eps = 1 in the
azimuthal model (D = diag rho^2), i.e. lambda(D^-1/2 M D^-1/2 at eps = 1) - 1, so that eps lambda_max is
the collective part of eq. 48. Then:
  - lambda_max / N, the coherent-mode coefficient, fitted to the law of the geometry's dimension d
    (ring: a ln N + b with a -> 1/pi, derived from V_phi ~ 1/|phi|, plus g/ln N in the vector
    model, whose radial-tangential coupling adds g; disk, sphere: c + b N^-1/2; ball: c + b N^-2/3)
    over the points at N >= 32 (no fit, R* or London ratio with fewer than its parameters + 1
    there: smaller N are pre-asymptotic) and extrapolated to N -> infinity, with its uncertainty
    (covariance and fit window) and, apart, a systematic one: the coefficient with the exponent
    free too, which the fixed exponent undershoots (the corrections decay more slowly over the N
    reachable: the extrapolations are biased low);
  - the modes: overlaps of the top Ritz vector with the translations, their azimuthal parts and the
    rigid rotations; of the bottom one with the breathing (radial) and alternating motions, and the
    number of electrons it involves;
  - lambda_min ~ -kappa / d_nn (M indefinite when neighbours are closer than kappa r_e; where the
    bottom mode is localised, when the closest pair is closer than its own kappa r_e);
  - the rigid rotation's quotient (v^T T v)/(v^T D v), and for the sphere its inertia ratio at
    London's N = 3R/r_e (eq. 30);
  - R* where (r_e/R) lambda_max(N_max(R)) = 1 with N_max = (R/a0)^d (eq. 51), beside eq. 53-55.
Each point on the GPU (or the CPU's tree) is checked as spectrum checks its run: lambda_min and
lambda_max against the dense float64 Lanczos up to ${kCheckMaxUnknowns} unknowns ("check", the larger error
relative to the largest |lambda|), past them the extreme Ritz pairs' residual on float64 rows of M
at ${kSampledCheckElectrons} sampled electrons ("sampled_residual", O(N) a point), with "check_target" and
"within_target"; a point past its target is named in a warning on stderr. Where the dense reference
checked it, the rotation's and translation's quotients are also computed with its float64 product
("quotient_check": their larger relative error, no target; null past it and where unchecked).
The default sweep takes 10-25 minutes on SwiftShader with 2 CPU cores; on a GPU, --n-max takes N
past 10^4 (auto: dense, then matrix-free once the dense M would pass 1 GiB, then the tree from
${kTreeCrossover.gpu} electrons where it pays).

  --geometries LIST   comma-separated, of ${kScalingGeometries.join(', ')}          [${kScalingGeometries.join(',')}]
  --model M           vector (velocities; in-plane for ring and disk) | azimuthal (phidot)   [vector]
  --n-min N           smallest N                                                             [${kScalingDefaults.nMin}]
  --n-max N           largest N (on the GPU past 1 GiB of dense M: matrix-free or the tree)  [${kScalingDefaults.nMax}]
  --points K          N values per geometry, log-spaced, at most n-max - n-min + 1; close
                      values round to one N (said on stderr)                                 [${kScalingDefaults.points}]
  --device gpu|cpu    the WebGPU engine (float32) or the float64 CPU reference                [gpu]
  --matrix dense|free|tree|auto   storage of M, as for solve (tree: the fast multipole product,
                      O(N) memory; auto on the CPU takes it past 16 384 unknowns)              [auto]
  --tree-tol T        relative error of the tree's product T x (--matrix tree or auto)    [${kDefaultTreeTolerance.toExponential(0)}]
  --threads K         threads of the float64 CPU path: --device cpu, and the GPU points'
                      check (the same numbers for any K, the tree's to rounding)   [every core]
  --tol T             Lanczos tolerance, on the GPU at least 1e-6  [1e-6 on the GPU, 1e-10 on the CPU]
  --max-iter K        Lanczos matrix-vector products at most, over all restarts (K >= 1),
                      or auto: max(size, 10000), as spectrum                               [auto]
  --seed S            Lanczos start vector seed                                               [1]
  --shard K/N         run every N-th point of the sweep (geometry by geometry, N ascending) from
                      the K-th: one job of N; 'merge' joins the shards' JSON into the whole run's
  --out DIR           write scaling.json, scaling.csv (a row per point, each of the top mode's
                      "overlaps" as overlap_<key>, both participations: the README lists its
                      columns) and per geometry scaling-<geometry>.svg (log-log lambda_max vs N,
                      the fit and the paper's N) and
                      scaling-<geometry>-coefficient.svg (lambda_max/N vs N); a shard its
                      scaling-shard<K>of<N>.json alone, merge --out writes the CSV and plots;
                      into DIR, created with any missing parents
  --markdown          the table of the fits and R* in Markdown (with --json: the field "markdown")
  --json              {"command", "stopped" (a stopped run's), "version", "device": {"kind", "description"},
                      "model", "ns", "shard" (a shard's: {"index", "count"}), "sweep": {"tol",
                      "max_iter", "seed", "matrix", "tree_tolerance", "threads" (--threads where
                      --matrix tree, or auto past 16 384 unknowns, gives the CPU's tree M at some
                      N, its products the same for another K only to rounding; else null; merge's
                      null where its shards' differ)} (the options applied, in every
                      run's JSON and merge's; null in a file written before it was),
                      "studies": [{"geometry", "model", "dimension", "velocity_components",
                      "points": [{"n", "unknowns", "lambda_max", "lambda_min",
                      "lambda_max_over_n", "rigid_rotation_quotient", "translation_quotient",
                      "nearest_neighbour_distance", "nearest_neighbour_min", "minimum_constant",
                      "mode", "overlaps": {"translation", "rotation", "rigid_rotation",
                      "azimuthal_translation", "translation_rotation"}, "minimum_mode",
                      "minimum_overlaps": {"breathing", "alternating"}, "participation_max",
                      "participation_min", "exact_lambda_max", "exact_lambda_min",
                      "london_inertia_ratio", "lanczos": {"iterations", "converged", "reason",
                      "residual_bound_min", "residual_bound_max"}, "check", "sampled_residual",
                      "check_target", "within_target", "check_ms", "quotient_check", "ms"}],
                      "fit" and "rotation_fit": null or {"law", "coefficient", "uncertainty",
                      "uncertainty_covariance", "uncertainty_window", "window_refits",
                      "uncertainty_systematic", "uncertainty_note", "theory", "parameters",
                      "exponent", "free_exponent", "free_exponent_coefficient", "rms_residual",
                      "n_from", "n_to", "points"}, "ring_constant": {"fitted", "uncertainty",
                      "theory"}, "critical_radius_m", "critical_radius_log10_m",
                      "critical_radius_log10_uncertainty", "critical_radius_log10_bohr",
                      "critical_electrons_log10", "critical_radius_leading_m", "paper_radius_m",
                      "paper_equation", "lambda_min_law": {"law", "kappa", "uncertainty",
                      "kappa_closest_pair", "bottom_mode_localized", "note"},
                      "london_inertia_ratio": {"value", "uncertainty"}, "ms", "matrix": {N (each
                      N it kept a point of): its storage, "dense" (the CPU's too), "free" or
                      "tree"}}], "files",
                      "timing_ms": {"total_ms"}}; the README's scaling paragraph says what each
                      means

${kStoppedHelp}`;

const kOptions = {
  ...kCommonOptions,
  geometries: { type: 'string', default: kScalingGeometries.join(',') },
  model: { type: 'string', default: 'vector' },
  'n-min': { type: 'string', default: String(kScalingDefaults.nMin) },
  'n-max': { type: 'string', default: String(kScalingDefaults.nMax) },
  points: { type: 'string', default: String(kScalingDefaults.points) },
  device: { type: 'string', default: 'gpu' },
  matrix: { type: 'string', default: 'auto' },
  'tree-tol': { type: 'string' },
  threads: { type: 'string' },
  tol: { type: 'string' },
  'max-iter': { type: 'string' },
  seed: { type: 'string', default: String(kScalingDefaults.seed) },
  markdown: { type: 'boolean', default: false },
  shard: { type: 'string' },
  out: { type: 'string' },
} as const;

type ScalingValues = ReturnType<typeof parseCommandArgs<typeof kOptions>>['values'];

function parseOptions(values: ScalingValues) {
  let geometries;
  try {
    geometries = parseScalingGeometries(values.geometries);
  } catch (error) {
    throw renamedError(error, '--geometries');
  }
  const model = parseChoice('model', '--model', kModelNames, values.model);
  const device = parseDevice(values.device, '--device');
  const matrix = parseMatrix(values.matrix, '--matrix');
  const treeTolerance = parseTreeToleranceFor(matrix, values['tree-tol'], '--tree-tol', '--matrix');
  const nMin = parseNumber('n-min', values['n-min'], (x) => integerRangeProblem(kScalingElectrons, x));
  const nMax = parseNumber('n-max', values['n-max'], (x) => scalingNMaxProblem(nMin, x));
  const points = parseNumber('points', values.points, (x) => scalingPointsProblem(nMin, nMax, x));
  const tol = scalingLanczosTol(device, values.tol, '--tol');
  return {
    values,
    geometries,
    model,
    device,
    matrix,
    treeTolerance,
    threads: threadsOption(values.threads),
    points,
    ns: logSpacedCounts(nMin, nMax, points),
    tol,
    maxIterations: parseMaxIterations(values['max-iter'], '--max-iter') || undefined,
    seed: parseLanczosSeed(values.seed, '--seed'),
    shard: values.shard === undefined ? null : parseShard(values.shard, '--shard'),
  };
}

export async function scalingCommand(argv: string[], progress: Progress): Promise<CommandOutput> {
  const { values: given } = parseCommandArgs(argv, kOptions);
  if (given.help) return { help: kScalingHelp };
  const options = parseOptions(given);
  const { values, model, ns } = options;
  // Close N round to one: the sweep is shorter than asked, said before it runs.
  if (ns.length < options.points)
    progress.log(
      `scaling: the ${options.points} log-spaced points round to ${ns.length} distinct N: ${ns.join(', ')}`,
    );
  // A shard's CSV and plots, fitted to part of the sweep, would pass for the whole run's: merge's.
  const names = options.shard ? [] : scalingFileNames(options.geometries);
  const out = checkStudyOutput(values.out, 'scaling', options.shard, names);

  // Its CPU backends hold pools of their own (openStudyBackend): the engine's is never started.
  const engine = await openStudyEngine(options.device, options.threads);
  const { gpu, device } = engine;
  // How each N's M was held: the GPU's storage; on the CPU 'tree' or 'dense'.
  let storage = new Map<number, string>();
  const storages: Map<number, string>[] = [];
  let current = '';
  const factory: BackendFactory = async (system) => {
    const backend = await openStudyBackend(
      gpu,
      system,
      options.matrix,
      options.treeTolerance,
      options.threads,
      progress,
      kDefaultLanczosBasis,
    );
    storage.set(system.configuration.n, backendStorage(backend));
    return backend;
  };

  // Each point's float64 check by spectrum's policy (scalingReference), in one worker thread on
  // --threads threads, asked once the point's own Lanczos run has finished; its progress after the
  // point's check line.
  const float64 = nodeReference(
    options.threads,
    () => progress.checkpoint(),
    undefined,
    referenceProgress(progress),
  );
  const started = performance.now();
  let runs, stopped;
  try {
    ({ runs, stopped } = await runScaling(
      factory,
      {
        geometries: options.geometries,
        model,
        ns,
        tol: options.tol,
        seed: options.seed,
        maxIterations: options.maxIterations,
        reference: scalingReference(float64, true),
        checkPoint: (system) =>
          checkStudyBackend(gpu, system, options.matrix, options.treeTolerance, kDefaultLanczosBasis),
      },
      {
        ...progress.studyHooks(),
        geometry: (geometry, mine) => {
          storage = new Map();
          storages.push(storage);
          current = geometry;
          progress.log(
            `scaling: ${geometry} (${model} model, d = ${kDistributionDimension[geometry]}), ` +
              (mine.length > 0 ? `N = ${mine.join(', ')}` : 'no N in this shard'),
          );
        },
        lanczos: (n, k, low, high) =>
          progress.update(
            `${current} N = ${n}: Lanczos step ${k}, [${low.toPrecision(6)}, ${high.toPrecision(6)}]`,
          ),
        check: (n) => progress.update(`${current} N = ${n}: lambda_min and lambda_max in float64`),
        point: (geometry, point) => progress.log(scalingPointLine(geometry, point, storage.get(point.n))),
      },
      options.shard,
    ));
  } finally {
    engine.dispose();
    float64.cancel();
  }
  progress.done();
  // A check past its target is a result, as spectrum's: said on stderr, the exit status 0.
  const warning = scalingCheckWarning(runs.map((run) => run.study));
  if (warning) progress.log(warning);
  const stop = progress.sweepStop(stopped);

  const studies = runs.map((run) => run.study);
  const extras: ScalingExtra[] = runs.map((_, k) => ({ matrix: Object.fromEntries(storages[k]) }));
  const summary = scalingJson({
    device,
    model,
    ns,
    studies,
    extras,
    shard: options.shard,
    sweep: {
      tol: options.tol,
      max_iter: options.maxIterations ?? null,
      seed: options.seed,
      matrix: options.matrix,
      tree_tolerance: options.treeTolerance,
      threads: sweepThreads(options),
    },
    totalMs: performance.now() - started,
    stop,
  });
  return scalingOutput(summary, studies, values, out);
}

/**
 * The sweep's "threads": --threads where the flags give the float64 CPU tree M at some N of the whole
 * sweep (--matrix tree, or auto past kCpuTreeMinUnknowns: chooseCpuStorage with memory to spare), so
 * that every shard of one command records the same whichever N it runs and whatever memory is free
 * when it starts; null on the GPU (its check's direct sums are the same on any count) and where only
 * the free memory would make auto take the tree (each N's "matrix" says which storage served it).
 */
function sweepThreads(options: ReturnType<typeof parseOptions>): number | null {
  const { device, geometries, model, ns, matrix, threads } = options;
  if (device !== 'cpu') return null;
  const tree = geometries.some((geometry) =>
    ns.some((n) => {
      const size = { model, dim: scalingVelocityDimension(geometry), configuration: { n } };
      return chooseCpuStorage(size, matrix, kAmpleMemory, kDefaultLanczosBasis) === 'tree';
    }),
  );
  return tree ? threads : null;
}

/** Memory that holds any dense M: auto's storage as the flags alone decide it (sweepThreads). */
const kAmpleMemory: DeviceMemory = { source: 'ample memory', availableBytes: () => Infinity };

/** The command's output for a run or a merge: the JSON, the text, and with `out` the files. */
function scalingOutput(
  summary: ScalingJson,
  studies: ScalingStudy[],
  values: { readonly json?: boolean; readonly markdown?: boolean },
  out: OutputDirectory | null,
): CommandOutput {
  const outFailure = out
    ? refusalOf(() => {
        const files = summary.shard ? [] : scalingFiles(studies, summary.stopped ?? null);
        summary.files.push(...writeIntoDirectory(out, [...files, summaryFile(summary)]));
      })
    : undefined;
  return studyOutput(
    values,
    summary,
    {
      markdown: () => scalingMarkdown(studies),
      text: () => scalingText(studies, summary.files, summary.device, summary.stopped),
    },
    outFailure,
  );
}

/** merge's: the shards hold one sweep's settings (its "sweep"), each its own geometries' points. */
export const kScalingShards: Shards = {
  fromJson: scalingShardFromJson,
  // Less "threads": another count changes the CPU tree's products only to rounding (mergeScaling).
  settings: (shard) => {
    const sweep = savedSweep(shard.sweep);
    return isObject(sweep) ? { ...sweep, threads: undefined } : sweep;
  },
  merge(shards, values, progress) {
    const { json, studies, threadCounts } = mergeScaling(shards as unknown as ScalingJson[]);
    if (threadCounts.length > 1) progress.log(threadsWarning(threadCounts));
    const names = scalingFileNames(studies.map((study) => study.geometry));
    return scalingOutput(json, studies, values, checkStudyOutput(values.out, 'scaling', null, names));
  },
};

/** merge's line for shards that ran the CPU tree on different --threads, whose merged "threads" is null. */
function threadsWarning(counts: readonly (number | null)[]): string {
  return (
    `warning: the shards ran the CPU tree on different --threads (${counts.map((k) => k ?? 'none').join(', ')}), ` +
    'which change its products only to rounding: the merged sweep\'s "threads" is null'
  );
}
