// `spectrum`: extreme eigenvalues of the Jacobi-scaled mass matrix D^-1/2 M D^-1/2 by Lanczos, and the
// collective parameter lambda_max - 1 beside the paper's N eps = N r_e / R (eq. 49).
import { backendChoice, kBackendHelp, kBackendOptions, kCheckTargets, openBackend } from '../engine.ts';
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
import { configurationSummary } from '../../io/formats.ts';
import { printSummary, type CommandOutput } from './summary.ts';

export const kSpectrumHelp = `Usage: darwin-breit spectrum [configuration] [options]

Extreme eigenvalues of the scaled mass matrix D^-1/2 M D^-1/2 (D = diag M) by Lanczos: when
lambda_min <= 0 the Legendre map v -> p is singular or indefinite; lambda_max - 1 is the collective
Darwin contribution, to compare with the paper's N r_e/R (eq. 49).

${kSystemHelp}
Lanczos:
  --tol T         relative accuracy of the extreme eigenvalues                     [1e-10]
  --max-iter K    Lanczos steps                                          [min(size, 300)]
  --seed S        start vector seed                                                    [1]
${kBackendHelp}
  --json          one JSON object on stdout (progress goes to stderr)
`;

const kOptions = {
  ...kSystemOptions,
  ...kCommonOptions,
  ...kBackendOptions,
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
  const choice = backendChoice(values, system);
  let start = performance.now();
  const opened = await openBackend(system, choice, progress);
  const setupMs = performance.now() - start;
  try {
    start = performance.now();
    const lanczosOptions = { tol, maxIterations, seed };
    const spectrum = await opened.backend.spectrum({
      ...lanczosOptions,
      onIteration: (k, low, high) =>
        progress.update(`Lanczos step ${k}: [${low.toPrecision(8)}, ${high.toPrecision(8)}]`),
    });
    progress.done();
    const lanczosMs = performance.now() - start;
    const reference = opened.reference();
    let check = null;
    if (reference) {
      // float32 cannot resolve eigenvalues to better than ~1e-7 relative: ask the reference for
      // 1e-10 whatever tolerance the GPU ran at.
      const exact = await reference.spectrum({ ...lanczosOptions, tol: Math.min(tol, 1e-10) });
      const scale = Math.max(Math.abs(exact.lambdaMin), Math.abs(exact.lambdaMax));
      const errors = {
        lambda_min: Math.abs(spectrum.lambdaMin - exact.lambdaMin) / scale,
        lambda_max: Math.abs(spectrum.lambdaMax - exact.lambdaMax) / scale,
      };
      check = {
        max_relative_error: Math.max(errors.lambda_min, errors.lambda_max),
        ...errors,
        targets: { eigenvalues: kCheckTargets.eigenvalues },
      };
    }
    const summary = {
      command: 'spectrum',
      device: opened.device,
      matrix: opened.matrix,
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
      check,
      timing_ms: { setup_ms: setupMs, lanczos_ms: lanczosMs },
    };
    return { json: values.json, summary, text: printSummary(summary) };
  } finally {
    opened.close();
  }
}
