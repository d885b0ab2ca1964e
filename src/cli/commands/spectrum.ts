// `spectrum`: extreme eigenvalues of the Jacobi-scaled mass matrix D^-1/2 M D^-1/2 by Lanczos, and the
// collective parameter lambda_max - 1 beside the paper's N eps = N r_e / R (eq. 49).
import { cpuBackend } from '../../solvers/backend.ts';
import {
  kCommonOptions,
  kSystemHelp,
  kSystemOptions,
  parseCommandArgs,
  parseNumber,
  positive,
  positiveInteger,
  systemFromOptions,
} from '../options.ts';
import type { Progress } from '../progress.ts';
import { configurationSummary, printSummary, type CommandOutput } from './summary.ts';

export const kSpectrumHelp = `Usage: darwin-breit spectrum [configuration] [options]

Extreme eigenvalues of the scaled mass matrix D^-1/2 M D^-1/2 (D = diag M) by Lanczos: when
lambda_min <= 0 the Legendre map v -> p is singular or indefinite; lambda_max - 1 is the collective
Darwin contribution, to compare with the paper's N r_e/R (eq. 49).

${kSystemHelp}
Lanczos:
  --tol T         relative accuracy of the extreme eigenvalues                     [1e-10]
  --max-iter K    Lanczos steps                                          [min(size, 300)]
  --seed S        start vector seed                                                    [1]
  --json          one JSON object on stdout (progress goes to stderr)
`;

const kOptions = {
  ...kSystemOptions,
  ...kCommonOptions,
  tol: { type: 'string', default: '1e-10' },
  'max-iter': { type: 'string' },
  seed: { type: 'string', default: '1' },
} as const;

export async function spectrumCommand(argv: string[], progress: Progress): Promise<CommandOutput> {
  const { values } = parseCommandArgs(argv, kOptions);
  if (values.help) return { help: kSpectrumHelp };
  const tol = parseNumber('tol', values.tol, positive);
  const maxIterations =
    values['max-iter'] === undefined
      ? undefined
      : parseNumber('max-iter', values['max-iter'], positiveInteger);
  const seed = parseNumber('seed', values.seed, positiveInteger);
  const { system, radiusMetres } = systemFromOptions(values);
  let start = performance.now();
  const backend = cpuBackend(system);
  const assembleMs = performance.now() - start;
  try {
    start = performance.now();
    const spectrum = await backend.spectrum({
      tol,
      maxIterations,
      seed,
      onIteration: (k, low, high) =>
        progress.update(`Lanczos step ${k}: [${low.toPrecision(8)}, ${high.toPrecision(8)}]`),
    });
    progress.done();
    const summary = {
      command: 'spectrum',
      configuration: configurationSummary(system, radiusMetres),
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
      timing_ms: { assemble_ms: assembleMs, lanczos_ms: performance.now() - start },
    };
    return { json: values.json, summary, text: printSummary(summary) };
  } finally {
    backend.dispose();
  }
}
