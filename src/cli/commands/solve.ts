// `solve`: velocities -> momenta (p = M v, eq. 47/48), momenta -> velocities (the Legendre inversion,
// M v = p solved by CG/MINRES), or both for a generated velocity pattern (a round trip).
import { collectiveParameter } from '../../physics/constants.ts';
import { InputError } from '../../physics/input-error.ts';
import { massDiagonal } from '../../physics/models.ts';
import { energies, relativeError } from '../../physics/observables.ts';
import { kVelocityPatterns, velocityPattern, type VelocityPattern } from '../../physics/velocities.ts';
import type { MassMatrixBackend } from '../../run/backend.ts';
import { defaultRtol, type SolveResult, type SolverName } from '../../solvers/types.ts';
import { backendChoice, kBackendHelp, kBackendOptions, kCheckTargets, openBackend } from '../engine.ts';
import { configurationSummary, parseQuantityCsv, resultCsv, toJson } from '../../io/formats.ts';
import { writeOutput } from '../formats.ts';
import {
  kCommonOptions,
  kSystemHelp,
  kSystemOptions,
  nonNegativeInteger,
  parseCommandArgs,
  parseNumber,
  positive,
  positiveInteger,
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
                          then solves back for v (a round trip) [--seed S, default 1]
Solver:
  --solver cg|minres|auto CG (Jacobi), MINRES (indefinite M), or CG switching to MINRES  [auto]
  --tol T                 relative residual ||p - M v|| / ||p||     [1e-6 gpu (float32), 1e-8 cpu]
  --max-iter K            iteration limit                                     [max(50, size)]
${kBackendHelp}
Output:
  --out FILE.json|FILE.csv  everything, with flat particle-major "velocities" and "momenta"
  --json                  one JSON object on stdout (progress goes to stderr)
`;

const kOptions = {
  ...kSystemOptions,
  ...kCommonOptions,
  ...kBackendOptions,
  velocities: { type: 'string' },
  momenta: { type: 'string' },
  velocity: { type: 'string' },
  seed: { type: 'string', default: '1' },
  solver: { type: 'string', default: 'auto' },
  tol: { type: 'string' },
  'max-iter': { type: 'string' },
  out: { type: 'string' },
} as const;

function solveSummary(result: SolveResult | null) {
  return {
    solver: result?.solver ?? null,
    switched_from: result?.switchedFrom ?? null,
    iterations: result?.iterations ?? 0,
    converged: result ? result.converged : true,
    reason: result?.reason ?? null,
    relative_residual: result?.relativeResidual ?? null,
    true_relative_residual: result?.trueRelativeResidual ?? null,
  };
}

export async function solveCommand(argv: string[], progress: Progress): Promise<CommandOutput> {
  const { values } = parseCommandArgs(argv, kOptions);
  if (values.help) return { help: kSolveHelp };
  const inputs = [values.velocities, values.momenta, values.velocity].filter((x) => x !== undefined);
  if (inputs.length !== 1)
    throw new InputError('give exactly one of --velocities FILE, --momenta FILE, --velocity PATTERN');
  const solver = values.solver;
  if (solver !== 'cg' && solver !== 'minres' && solver !== 'auto') {
    throw new InputError(`--solver must be cg|minres|auto, got '${solver}'`);
  }
  const maxIterations =
    values['max-iter'] === undefined
      ? undefined
      : parseNumber('max-iter', values['max-iter'], positiveInteger);
  if (values.out !== undefined && !/\.(json|csv)$/i.test(values.out)) {
    throw new InputError(`--out must end in .json or .csv, got '${values.out}'`);
  }
  const { system, radiusMetres } = systemFromOptions(values);

  let velocities: Float64Array | null = null;
  let momenta: Float64Array | null = null;
  let pattern: VelocityPattern | null = null;
  let seed: number | null = null;
  if (values.velocities !== undefined) {
    velocities = parseQuantityCsv(readTextFile(values.velocities), values.velocities, system, 'velocities');
  } else if (values.momenta !== undefined) {
    momenta = parseQuantityCsv(readTextFile(values.momenta), values.momenta, system, 'momenta');
  } else {
    if (!(kVelocityPatterns as readonly string[]).includes(values.velocity!)) {
      throw new InputError(
        `--velocity must be one of ${kVelocityPatterns.join('|')}, got '${values.velocity}'`,
      );
    }
    pattern = values.velocity as VelocityPattern;
    seed = parseNumber('seed', values.seed, nonNegativeInteger);
    velocities = velocityPattern(system, pattern, seed);
  }

  const choice = backendChoice(values, system);
  // float32 cannot push ||r|| / ||b|| much below 1e-7, so the default tolerance follows the device.
  const rtol =
    values.tol === undefined
      ? defaultRtol(choice.device === 'gpu' ? 'float32' : 'float64')
      : parseNumber('tol', values.tol, positive);
  const timing: Record<string, number> = {};
  let start = performance.now();
  const opened = await openBackend(system, choice, progress);
  timing.setup_ms = performance.now() - start;
  try {
    const { backend } = opened;
    const mode = momenta !== null ? 'velocities' : pattern !== null ? 'round_trip' : 'momenta';
    const given = { velocities };
    let result: SolveResult | null = null;
    let roundTripError: number | null = null;
    if (velocities !== null) {
      start = performance.now();
      momenta = await backend.momenta(velocities);
      timing.matvec_ms = performance.now() - start;
    }
    if (mode !== 'momenta') {
      start = performance.now();
      result = await backend.velocities(momenta!, solver as SolverName, {
        rtol,
        maxIterations,
        onIteration: (k, norm) => progress.update(`iteration ${k}: residual ${norm.toExponential(3)}`),
      });
      progress.done();
      timing.solve_ms = performance.now() - start;
      if (velocities !== null) roundTripError = relativeError(result.x, velocities);
      velocities = result.x;
    }
    const e = energies(velocities!, momenta!, massDiagonal(system));
    const summary = {
      command: 'solve',
      mode,
      device: opened.device,
      matrix: opened.matrix,
      configuration: configurationSummary(system, radiusMetres),
      velocity_pattern: pattern,
      seed,
      ...solveSummary(result),
      round_trip_error: roundTripError,
      energies: { kinetic: e.kinetic, darwin: e.darwin, total: e.total },
      inertia_ratio: e.inertiaRatio,
      collective_parameter_n_epsilon: collectiveParameter(system.configuration.n, system.epsilon),
      check: await checkSolve(opened.reference(), given, momenta!, result, rtol, progress),
      timing_ms: timing,
    };
    if (values.out !== undefined) {
      const text = values.out.toLowerCase().endsWith('.csv')
        ? resultCsv(system, velocities!, momenta!)
        : toJson({
            ...summary,
            positions: system.configuration.positions,
            velocities,
            momenta,
            history: result?.history ?? [],
          });
      writeOutput(values.out, text);
      progress.log(`wrote ${values.out}`);
    }
    return { json: values.json, summary, text: printSummary(summary) };
  } finally {
    opened.close();
  }
}

/**
 * The GPU's float32 results against the float64 reference: the momenta of the given velocities,
 * and the solved velocities against a float64 solve of the same momenta to rtol 1e-12.
 */
async function checkSolve(
  reference: MassMatrixBackend | null,
  given: { velocities: Float64Array | null },
  momenta: Float64Array,
  result: SolveResult | null,
  rtol: number,
  progress: Progress,
) {
  if (!reference) return null;
  const errors: Record<string, number> = {};
  if (given.velocities !== null)
    errors.momenta = relativeError(momenta, await reference.momenta(given.velocities));
  if (result !== null) {
    // The same right-hand side the GPU solved, so the error is the solve's alone.
    const exact = await reference.velocities(momenta, 'auto', { rtol: Math.min(rtol, 1e-12) });
    errors.velocities = relativeError(result.x, exact.x);
  }
  progress.log(
    `check: ${Object.entries(errors)
      .map(([k, v]) => `${k} ${v.toExponential(2)}`)
      .join(', ')}`,
  );
  return {
    max_relative_error: Math.max(...Object.values(errors)),
    ...errors,
    targets: { momenta: kCheckTargets.momenta, velocities: kCheckTargets.velocities },
  };
}
