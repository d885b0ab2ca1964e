// `solve`: velocities -> momenta (p = M v, eq. 47/48), momenta -> velocities (the Legendre inversion,
// M v = p solved by CG/MINRES), or both for a generated velocity pattern (a round trip).
import { InputError } from '../../physics/input-error.ts';
import { kVelocityPatterns, velocityPattern } from '../../physics/velocities.ts';
import { defaultRtol, type SolverName } from '../../solvers/types.ts';
import { parseQuantityCsv, resultCsv, toJson } from '../../io/formats.ts';
import {
  parseMaxIterations,
  parseSeed,
  parseSolver,
  parseTolerance,
  parseVelocityPattern,
} from '../../run/inputs.ts';
import { solveCheckWarning, solveConvergenceWarning, solveJson, solveNpz } from '../../run/report.ts';
import { checkFloat32Given, checkFloat64Given, runSolve, type SolveRequest } from '../../run/solve.ts';
import { refines } from '../../run/refine.ts';
import { checkFloat32System } from '../../physics/float32.ts';
import {
  backendChoice,
  checkBackendSize,
  checkRefinementFits,
  kBackendHelp,
  kBackendOptions,
  openBackend,
  prepareLargeRun,
  solveIterationText,
  treeThreads,
  type BackendChoice,
  type EarlyGpu,
} from '../engine.ts';
import { refusalOf, writeOutput } from '../formats.ts';
import { checkOutputFile } from '../output-directory.ts';
import {
  kCommonOptions,
  kSystemHelp,
  generatedSystemSize,
  kSystemOptions,
  parseCommandArgs,
  readTextFile,
  systemFromOptions,
} from '../options.ts';
import type { Progress } from '../progress.ts';
import { printSummary, type CommandOutput } from './summary.ts';

export const kSolveHelp = `Usage: darwin-breit solve [configuration] (--velocities FILE | --momenta FILE | --velocity PATTERN) [options]

Velocities to momenta p = M v (eq. 47/48), or momenta to velocities by solving M v = p.

${kSystemHelp}
Input (exactly one):
  --velocities FILE       CSV vx,vy[,vz] (azimuthal: omega): computes the momenta
  --momenta FILE          CSV px,py[,pz] (azimuthal: J): solves M v = p for the velocities
  --velocity PATTERN      ${kVelocityPatterns.join('|')}: generates v, computes p = M v,
                          then solves back for v (a round trip); random takes --seed S [1]
Solver:
  --solver cg|minres|auto CG (Jacobi), MINRES (indefinite M), or CG switching to MINRES  [auto]
  --tol T                 relative residual ||p - M v|| / ||p||     [1e-6 gpu (float32), 1e-8 cpu]
                          (gpu below 1e-6: float32 solves refined in float64)
  --max-iter K            iteration limit (K >= 1), or auto: max(50, size)               [auto]
${kBackendHelp}
Output:
  --out FILE.json|FILE.csv|FILE.npz  everything: JSON with flat particle-major "velocities" and
                          "momenta", one CSV row per electron, or NumPy arrays (positions, velocities,
                          momenta, history) with the summary as JSON
  --json                  one JSON object on stdout (progress goes to stderr)

Not converged (exit 0, one warning: line on stderr): "converged" false with the "reason";
diverged_singular (MINRES's estimate of cond(M) reached 0.1/eps) and diverged_residual_gap (the
recursion met --tol, the true residual misses 10 max(--tol, 100 u)) say M is singular or nearly so
along p; on the GPU the gap is also float32 far past its floor, which --tol below 1e-6 refines.
`;

const kOptions = {
  ...kSystemOptions,
  ...kCommonOptions,
  ...kBackendOptions,
  velocities: { type: 'string' },
  momenta: { type: 'string' },
  velocity: { type: 'string' },
  seed: { type: 'string' },
  solver: { type: 'string', default: 'auto' },
  tol: { type: 'string' },
  'max-iter': { type: 'string' },
  out: { type: 'string' },
} as const;

type SolveValues = ReturnType<typeof parseCommandArgs<typeof kOptions>>['values'];

export async function solveCommand(argv: string[], progress: Progress): Promise<CommandOutput> {
  const { values } = parseCommandArgs(argv, kOptions);
  if (values.help) return { help: kSolveHelp };
  const inputs = [values.velocities, values.momenta, values.velocity].filter((x) => x !== undefined);
  if (inputs.length !== 1) {
    throw new InputError(
      'give exactly one of --velocities FILE, --momenta FILE, --velocity PATTERN',
      'velocity',
    );
  }
  const solver = parseSolver(values.solver, '--solver');
  const maxIterations = parseMaxIterations(values['max-iter'], '--max-iter') || undefined;
  if (values.out !== undefined && !/\.(json|csv|npz)$/i.test(values.out)) {
    throw new InputError(`--out must end in .json, .csv or .npz, got '${values.out}'`, 'out');
  }
  if (values.out !== undefined) checkOutputFile(values.out);
  const backend = backendChoice(values);
  // float32 cannot push ||r|| / ||b|| much below 1e-7, so the default tolerance follows the device.
  const rtol =
    values.tol === undefined
      ? defaultRtol(backend.device === 'gpu' ? 'float32' : 'float64')
      : parseTolerance(values.tol, '--tol');
  // Given velocities, one product p = M v; else a solve, whose vectors are CG's only for a CG solve
  // that does not refine: a refined one's corrections go on by MINRES once M shows negative
  // curvature (src/run/refine.ts), and auto's may go on to MINRES.
  const refined = refines({ name: backend.device }, rtol);
  const cg = solver === 'cg' && !refined;
  const operation = values.velocities !== undefined ? 'product' : cg ? 'cg' : 'minres';
  const choice: BackendChoice = { ...backend, operation, refinedTolerance: refined ? rtol : undefined };
  const early = await prepareLargeRun(generatedSystemSize(values), choice, progress);
  try {
    return await solveOn(values, { solver, maxIterations, rtol }, choice, early, progress);
  } finally {
    early.release();
  }
}

/** solveCommand once its flags are read, on the GPU that `early` holds where prepareLargeRun opened one. */
async function solveOn(
  values: SolveValues,
  { solver, maxIterations, rtol }: { solver: SolverName; maxIterations: number | undefined; rtol: number },
  choice: BackendChoice,
  early: EarlyGpu,
  progress: Progress,
): Promise<CommandOutput> {
  const { system, radiusMetres } = systemFromOptions(values, (size) => checkBackendSize(size, choice));

  let request: Pick<SolveRequest, 'mode' | 'given' | 'pattern' | 'seed'>;
  if (values.velocities !== undefined) {
    const text = readTextFile(values.velocities, 'velocities');
    const given = parseQuantityCsv(text, values.velocities, system, 'velocities');
    request = { mode: 'momenta', given, pattern: null, seed: null };
  } else if (values.momenta !== undefined) {
    const text = readTextFile(values.momenta, 'momenta');
    const given = parseQuantityCsv(text, values.momenta, system, 'momenta');
    request = { mode: 'velocities', given, pattern: null, seed: null };
  } else {
    const pattern = parseVelocityPattern(values.velocity!, '--velocity');
    // Only the random pattern draws: a seed given for another would be reported yet play no part.
    const seed = pattern === 'random' ? parseSeed(values.seed ?? '1', '--seed') : null;
    request = {
      mode: 'round_trip',
      given: velocityPattern(system, pattern, seed ?? undefined),
      pattern,
      seed,
    };
  }
  if (values.seed !== undefined && request.seed === null) {
    throw new InputError('--seed applies only to --velocity random', 'seed');
  }

  // Before the device opens and M is set up, as everything else the GPU cannot hold: the positions
  // and eps first, since rigid velocities grow with the positions and would take their blame.
  checkFloat64Given(request);
  if (choice.device === 'gpu') {
    checkFloat32System(system, 'auto');
    checkFloat32Given(system, request);
  }
  const start = performance.now();
  const opened = await openBackend(system, choice, progress, early);
  const setup = performance.now() - start;
  try {
    checkRefinementFits(opened, system, rtol);
    const report = await runSolve(
      system,
      opened.backend,
      {
        ...request,
        solver,
        rtol,
        maxIterations,
        onIteration: (k, relative) => progress.update(solveIterationText(k, relative)),
        float64: opened.float64,
      },
      opened.reference() ?? opened.sampledReference(),
    );
    progress.done();
    const unconverged = solveConvergenceWarning(report, opened.backend.name);
    if (unconverged) progress.log(unconverged);
    if (report.check) {
      const { sampled, referenceUnconverged, ...each } = report.check;
      const errors = Object.entries(each).filter(([, e]) => e !== null) as [string, number][];
      const over = sampled === null ? '' : ` (float64 rows at ${sampled} sampled electrons)`;
      // None where the only error would be the velocities' of an unconverged reference (said below).
      if (errors.length > 0)
        progress.log(`check: ${errors.map(([k, e]) => `${k} ${e.toExponential(2)}`).join(', ')}${over}`);
      if (referenceUnconverged) {
        progress.log(
          `check: velocities not checked, the float64 reference solve did not converge (${referenceUnconverged})`,
        );
      }
      const float32 = opened.backend.name === 'gpu' && !refines(opened.backend, rtol);
      const warning = solveCheckWarning(report, float32);
      if (warning) progress.log(warning);
    }
    const { matvec, solve } = report.timing;
    const context = {
      device: opened.device,
      matrix: opened.matrix,
      tree: opened.tree,
      threads: treeThreads(opened, refines(opened.backend, rtol), choice.threads),
      radiusMetres,
      timing: { setup, ...(matvec !== undefined && { matvec }), ...(solve !== undefined && { solve }) },
    };
    const summary = solveJson(system, report, context);
    const path = values.out;
    const outFailure =
      path === undefined
        ? undefined
        : refusalOf(() => {
            const extension = path.toLowerCase().slice(-4);
            writeOutput(
              path,
              extension === '.csv'
                ? resultCsv(system, report.velocities, report.momenta)
                : extension === '.npz'
                  ? solveNpz(system, report, context)
                  : toJson(solveJson(system, report, context, { arrays: true })),
            );
            progress.log(`wrote ${path}`);
          });
    return { json: values.json, summary, text: printSummary(summary), outFailure };
  } finally {
    opened.close();
  }
}
