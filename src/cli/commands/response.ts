// `response`: electrons in an applied field, flux or rotation: the Larmor moment screened by
// the Darwin term, against N r_e/R and N, beside the continuum theory (London's sphere, the thin shell,
// the ring's circulant). The study is src/studies/response/ (spec, run, report); this file maps its
// flags to the spec, opens the backends and writes the JSON, the text and the files.
import { gpuMovingChargesField } from '../../engine/london.ts';
import { InputError, renamedMessage } from '../../physics/input-error.ts';
import { kGeometryNames } from '../../physics/geometry.ts';
import { kMaxDenseSize } from '../../physics/models.ts';
import { kDriveNames } from '../../physics/response.ts';
import { cpuReference, kHostMemory, openStudyBackend, openStudyEngine, threadsOption } from '../engine.ts';
import { chooseCpuStorage } from '../../run/backend.ts';
import { float64Products } from '../../run/refine.ts';
import {
  responseCheckWarnings,
  responseFileNames,
  responseFiles,
  responseIndefiniteWarning,
  responseMarkdown,
  responseSummary,
  responseText,
} from '../../studies/response/report.ts';
import {
  kResponseRtol,
  largestResponseSystem,
  runResponse,
  type ResponseResult,
} from '../../studies/response/run.ts';
import { kResponseDefaults, kResponseLimits, responseSpec } from '../../studies/response/spec.ts';
import { checkDecision, kCheckMaxUnknowns, kSampledCheckElectrons } from '../../run/check.ts';
import { parseDimensionFor, parseTreeToleranceFor } from '../../run/inputs.ts';
import { kCommonOptions, parseCommandArgs } from '../options.ts';
import { refusalOf } from '../formats.ts';
import { checkStudyOutput, summaryFile, writeIntoDirectory } from '../output-directory.ts';
import type { Progress } from '../progress.ts';
import { kStoppedHelp, studyOutput, type CommandOutput } from './summary.ts';

export const kResponseHelp = `Usage: darwin-breit response --geometry G --n N[,N...] [--drive field|flux|rotation]
         [--model vector|azimuthal] [--dim 2|3] [--n-epsilon X[,X...] | --epsilon E | --radius-m R]
         [--grid G] [--device gpu|cpu] [--matrix dense|free|tree|auto] [--tree-tol T] [--threads K]
         [--out DIR] [--markdown] [--json]

The electrons' response to a vector potential switched on at rest: p = m M v + e A stays 0, so
M v = -(e/m) A(r_i), one CG solve per point to a relative residual of ${kResponseRtol} in float64 (the
GPU refines its float32 solves; with the tree, the device's default, 1e-6 GPU or 1e-8 CPU). Without
the Darwin term every electron takes the Larmor rotation (eq. 17/18); screening_ratio is the induced
moment (the current, for flux) over that.

  --geometry G          ${kGeometryNames.join('|')}
  --n N[,N...]          electrons, 2..${kResponseLimits.maxNGpu} (GPU), 2..${(kMaxDenseSize / 3) | 0} (CPU, --matrix dense: ${kMaxDenseSize} unknowns),
                        2..${kResponseLimits.maxNTree} (--matrix tree; CPU auto); a list, or the flag repeated
  --drive D             ${kDriveNames.join('|')}: a uniform B along z; a thin solenoid's flux on the
                        axis (eq. 5-13); the body spun up to Omega (eq. 27-30)              [${kResponseDefaults.drive}]
  --model M, --dim D    as for solve                                       [${kResponseDefaults.model}, ${kResponseDefaults.dim}]
  --n-epsilon X[,X...]  N r_e/R (eq. 49): eps = X/N at each N (a list, as --n)  [${kResponseDefaults.nEpsilon}]
  --epsilon E           one eps = r_e/R for every N ("epsilon")
  --radius-m R          one sample radius in metres, eps = r_e/R ("radius_m", "epsilon")
  --grid G              also map B_z on a G x G grid, G in ${kResponseLimits.minGrid}..${kResponseLimits.maxGrid}, in the x-z plane (|x|, |z| <= 1.25 R)
                        at the largest N, on --device gpu by the GPU's Biot-Savart sum, checked against
                        float64 at every 16th point: "field_map_check" (after "device"), the largest
                        |dB_z| over the largest |B_z| there; null on the CPU (the map is the float64 sum)
  --device gpu|cpu      the WebGPU engine (float32) or the float64 CPU reference             [${kResponseDefaults.device}]
  --matrix M            storage of M: dense|free|tree|auto, as for solve; auto on the CPU takes
                        the tree past 16 384 unknowns                                        [${kResponseDefaults.matrix}]
  --tree-tol T          relative error of the tree's product T x (--matrix tree or auto)    [${kResponseDefaults.treeTolerance}]
  --threads K           threads of the float64 CPU path and check (the same numbers for
                        any K, the tree's to rounding)                                   [every core]
  --out DIR             response-screening.svg (the screening against N r_e/R),
                        response-centre.svg (the centre field; not for flux),
                        response-profile.svg (the current against depth; not for a ring, a
                        sphere or a cylinder: one depth), with --grid the maps
                        response-map-n<N>-x<N r_e/R>.svg, response-n<N>-x<N r_e/R>.csv
                        (per-electron velocities; N r_e/R to 3 digits, more where two points
                        would share them; solve reads it back as --positions and --velocities)
                        and response.json (the --json summary) into DIR, created with any
                        missing parents
  --markdown            the README's table of the sweep (with --json: the field "markdown")
  --json                {"command": "response", "stopped" (a stopped sweep's), "version", "drive",
                        "geometry", "model", "dim", "epsilon", "radius_m" (both null with --n-epsilon),
                        "grid" (--grid's G; null without), "matrix" (--matrix, the storage
                        asked), "points": [{"n", "n_epsilon", "epsilon", "screening_ratio",
                        "continuum_ratio", "london_x", "field_centre_ratio",
                        "continuum_field_centre_ratio", "iterations", "converged", "reason",
                        "true_relative_residual", "true_residual_product", "m_indefinite",
                        "check", "dense_residual" and "sampled_residual" (where there is one),
                        "check_target", "within_target", "reference_unconverged", "decay_length",
                        "continuum_decay_length", "penetration_depth", "london_penetration_depth"}],
                        "limits": [{"n_epsilon", "extrapolated_ratio", "uncertainty",
                        "window_refits", "law", "exponent", "free_exponent", "free_exponent_coefficient",
                        "uncertainty_systematic", "continuum_ratio"}], "device": {"kind",
                        "description"}, "tree" (where M was the tree: {"tolerance", "n": [the N it
                        served]}), "threads" (--threads, where the CPU's tree served: its products
                        are the same only to rounding for another K), "field_map_check" (with
                        --grid), "files": [...]}; rotation adds
                        "london_field_ratio", "continuum_london_field_ratio" and "n_eff_epsilon" to
                        each point, --radius-m with the field drive "moment_per_tesla",
                        "apparent_susceptibility" and "intrinsic_susceptibility" (below)

Units: velocities in omega_L R (field, omega_L = -eB/2m, eq. 17), in omega_Phi R (flux, omega_Phi =
-e Phi/(2 pi m R^2), eq. 13/14) or in -Omega R relative to the lattice (rotation). field_centre_ratio
is B_total(0)/B_ext (field), B_total(0)/B_eff in the co-rotating frame (rotation, B_eff = 2m Omega/e),
null for flux, beside continuum_field_centre_ratio (London's sphere x/sinh x, the shell's
1/(1 + N r_e/3R); null elsewhere); london_field_ratio is the centre field over 2m Omega/|e| (eq. 27),
beside continuum_london_field_ratio (1 minus the continuum's centre field), and n_eff_epsilon the
N r_e/R of the fully lagging electrons that give it (3 for a shell as in eq. 30, 2 for charge spread
through a ball). With --radius-m the field drive's
points add "moment_per_tesla", mu_z/B in A m^2/T (= -(e^2 R^2/4m) sum (r x v)_z, v in omega_L R),
"apparent_susceptibility", the SI volume susceptibility mu0 (mu_z/B)/V of a solid (ball 4 pi R^3/3,
cube 8 R^3; null elsewhere) against the applied B, its own demagnetising field in it (a perfect
diamagnet's is -3/2 in a ball), and "intrinsic_susceptibility", chi_app/(1 - chi_app/3): the chi of
M = chi H (H inside) of the uniform linear ball with the same moment (-1 for that diamagnet; null
elsewhere: the cube's non-uniform magnetisation has no demagnetising factor of 1/3).
continuum_ratio: the ring's circulant 1/(1 + eps sum V_phi) at its N (null for N = 2 from N r_e/R =
8 and N = 3 from 20.8, where that uniform mode's eigenvalue is negative), the continuum's N ->
infinity value elsewhere (null where none). A point whose solve did not converge has null for these,
screening_ratio, decay_length and penetration_depth (the text: '-').
true_residual_product: the product M v in true_relative_residual, float64 for a dense or matrix-free
M (the GPU's solves to 1e-10 refine), with the tree float64_tree (CPU) or float32_tree (GPU).
m_indefinite: true where M is indefinite at the point (CG met negative curvature, or a Lanczos run
of the N's M, to 1e-3, puts lambda_min below 0): electrons within about r_e, outside the model's
validity, where a converged solve's values are exact but unphysical (the drive's b may miss the
negative modes); the text marks it "M indefinite", and one warning: line on stderr names them.
false where that run shows M positive definite (on the tree, either beyond the tree's error too,
eps t max(|theta|, |theta - 1|)); null where neither is established, and where no pair is within
4 r_e (4 eps R), where no Lanczos runs.
window_refits: the refits without the smallest N behind a limit's uncertainty; 0 (fewer than five
N) where it is the fit's covariance alone. check: the velocities of the GPU or of the CPU's tree
against a dense float64 solve, ||v - v64||/||v64|| (up to ${kCheckMaxUnknowns} unknowns; null above, and
for the CPU's dense M, which is that solve); a refined GPU solve (not the tree) adds "dense_residual",
||b - M v||/||b|| with that solve's dense float64 M. Above, each point has "sampled_residual":
||b - M v||/||b|| over float64 rows of M (direct sums) at ${kSampledCheckElectrons} sampled electrons.
check_target: what dense_residual where there is one, else check (or sampled_residual), is held to,
solve's target for the same backend and tolerance: the residual within 10 rtol (1e-9) for the GPU's
refined solves, as solve --tol below 1e-6 holds its own (their check, up to cond(M) times it, is then
held to none), the velocities within 10 max(t, rtol) with the tree (t = --tree-tol, rtol the device's
default; on the GPU at least float32's max(1e-5, 30 sqrt(n) 2^-24), n the pairs a row of its near
field sums), the sampled residual within 10 max(rtol, the momenta's target); within_target: whether
it is (null where nothing was checked), and a point past it gets a warning: line on stderr. A point
whose solve did not converge is not checked (check null), nor one whose float64 reference did not
(unless its dense_residual is held): reference_unconverged gives that solve's reason (else null).
The text lists each point's check (and dense_residual), target and verdict.
london_x: R/lambda_L = sqrt(3 N r_e/R) (ball), or R over Pearl's length Lambda = 2m/(mu0 n_s e^2) of
a surface: 2 N r_e/R (disk), N r_e/2R (sphere, whose continuum 1/(1 + N r_e/3R) is
1/(1 + 2R/3 Lambda)). limits: the ratio at each N r_e/R fitted by c + b N^-p over the N given
(three or more; p = 1/2 on surfaces and films, 2/3 in solids); none with --epsilon or --radius-m,
which give each N its own N r_e/R. free_exponent: the p that fits best when free too (four N or
more; else null), free_exponent_coefficient the c it gives, and uncertainty_systematic their distance
|free_exponent_coefficient - extrapolated_ratio| (0 without), apart from the ±: over the ball's N of a
few thousand p comes out 0.6-0.8, not 2/3, and c moves by up to ~1e-3. decay_length: the binned current's
e-folding depth below the surface (units of R), a line fitted to the logarithm of j_phi/sin(theta) in
ten bins of depth, which carries the factor r (the unscreened rigid rotation gives 0.39 R); null where a
bin's current is not positive; continuum_decay_length: London's sphere's current, i_1(r/lambda_L),
binned and fitted the same way. penetration_depth: lambda/R fitted as London's profile, v_phi =
a i_1(r/lambda) sin(theta), to every electron's azimuthal velocity (null where the rigid rotation fits
as well); london_penetration_depth: lambda_L/R = 1/x. Both for the ball in a field or rotating, where
London's sphere is the continuum; null elsewhere.

${kStoppedHelp}`;

const kOptions = {
  ...kCommonOptions,
  geometry: { type: 'string' },
  n: { type: 'string', multiple: true },
  model: { type: 'string' },
  dim: { type: 'string' },
  'n-epsilon': { type: 'string', multiple: true },
  epsilon: { type: 'string' },
  'radius-m': { type: 'string' },
  drive: { type: 'string' },
  grid: { type: 'string' },
  device: { type: 'string' },
  matrix: { type: 'string' },
  'tree-tol': { type: 'string' },
  threads: { type: 'string' },
  out: { type: 'string' },
  markdown: { type: 'boolean', default: false },
} as const;

/** The spec's field names as this command's flags. */
const kFlags: Record<string, string> = {
  nEpsilon: 'n-epsilon',
  radiusMetres: 'radius-m',
  treeTolerance: 'tree-tol',
};

/** A spec field as its flag: `--n-epsilon` for nEpsilon. */
const flagOf = (field: string) => `--${kFlags[field] ?? field}`;

export async function responseCommand(argv: string[], progress: Progress): Promise<CommandOutput> {
  const { values } = parseCommandArgs(argv, kOptions);
  if (values.help) return { help: kResponseHelp };
  let spec;
  try {
    spec = responseSpec(
      {
        geometry: values.geometry,
        // A list flag given more than once is one list, as london's, pairing's and bench's are.
        n: values.n?.join(','),
        model: values.model,
        dim: values.dim,
        nEpsilon: values['n-epsilon']?.join(','),
        epsilon: values.epsilon,
        radiusMetres: values['radius-m'],
        drive: values.drive,
        grid: values.grid,
        device: values.device,
        matrix: values.matrix,
        treeTolerance: values['tree-tol'],
      },
      // As every sweep's list on the command line: a point named twice is refused, not run once.
      { refuseRepeats: true },
    );
  } catch (error) {
    if (!(error instanceof InputError) || error.field === null) throw error;
    // A scale given two ways names both fields, each as its flag.
    const both = /^(\w+) and (\w+)( are both given.*)$/.exec(error.message);
    const message = both
      ? `${flagOf(both[1])} and ${flagOf(both[2])}${both[3]}`
      : (renamedMessage(error, flagOf(error.field)) ?? `${flagOf(error.field)}: ${error.message}`);
    throw new InputError(message, error.field);
  }
  parseTreeToleranceFor(spec.matrix, values['tree-tol'], '--tree-tol', '--matrix');
  parseDimensionFor(spec.model, values.dim, '--dim', '--model');
  const threads = threadsOption(values.threads);
  const out = checkStudyOutput(values.out, 'response', null, responseFileNames(spec));

  const engine = await openStudyEngine(spec.device, threads);
  // The float64 check of every solve on the GPU or the CPU's tree, by the policy of solve's: dense
  // while the largest N's dense reference takes seconds, on sampled rows of M past it.
  const largest = largestResponseSystem(spec);
  const storage = spec.device === 'cpu' ? chooseCpuStorage(largest, spec.matrix, kHostMemory) : spec.matrix;
  const checked = checkDecision(largest, spec.device, undefined, storage);
  let result: ResponseResult;
  const { gpu, device } = engine;
  try {
    result = await runResponse(
      spec,
      (system) => openStudyBackend(gpu, system, spec.matrix, spec.treeTolerance, threads, progress),
      progress.studyHooks(),
      checked === 'on'
        ? async (system) => cpuReference(system, threads)
        : checked === 'sampled'
          ? 'sampled'
          : null,
      gpu
        ? (positions, velocities, points) => gpuMovingChargesField(gpu, positions, velocities, points)
        : null,
      // The float64 products of the GPU's refined solves.
      float64Products(engine.pool),
    );
  } finally {
    engine.dispose();
  }
  progress.done();
  // A check past its target is a result, as solve's: said on stderr, the exit status 0.
  for (const warning of responseCheckWarnings(result.points)) progress.log(warning);
  const indefinite = responseIndefiniteWarning(result.points);
  if (indefinite) progress.log(indefinite);

  // The CPU tree's products round with the thread count; the GPU's tree is float32, never refined.
  const cpuTreeThreads = spec.device === 'cpu' ? threads : undefined;
  const saved = responseSummary(result, device, progress.sweepStop(!result.complete), cpuTreeThreads);
  const files: string[] = [];
  const outFailure = out
    ? refusalOf(() =>
        files.push(
          ...writeIntoDirectory(out, [...responseFiles(result, saved.stopped ?? null), summaryFile(saved)]),
        ),
      )
    : undefined;
  // As every study's --json: the files written last (the saved summary has none).
  const summary = { ...saved, files };
  return studyOutput(
    values,
    summary,
    {
      markdown: () => responseMarkdown(result),
      // Past --n-epsilon, the flag that gave every N one eps, which the text names where it fits no limit.
      text: () =>
        responseText(summary, files, spec.scale.kind === 'nEpsilon' ? null : flagOf(spec.scale.kind)),
    },
    outFailure,
  );
}
