// `spectrum`: extreme eigenvalues of the Jacobi-scaled mass matrix D^-1/2 M D^-1/2 by Lanczos, and the
// collective parameter lambda_max - 1 beside the paper's N eps = N r_e / R (eq. 49).
import { parseLanczosBasis, parseLanczosSeed, parseMaxIterations, parseTolerance } from '../../run/inputs.ts';
import { spectrumCheckWarning, spectrumConvergenceWarning, spectrumJson } from '../../run/report.ts';
import { kHeaviestElectrons } from '../../run/check.ts';
import { runSpectrum } from '../../run/spectrum.ts';
import { refines } from '../../run/refine.ts';
import type { DarwinSystem } from '../../physics/models.ts';
import { kDefaultLanczosBasis } from '../../solvers/lanczos.ts';
import { defaultLanczosTol } from '../../solvers/types.ts';
import {
  backendChoice,
  checkBackendSize,
  checkRefinementFits,
  kBackendHelp,
  kBackendOptions,
  lanczosStepText,
  openBackend,
  prepareLargeRun,
  treeThreads,
  type OpenBackend,
} from '../engine.ts';
import {
  kCommonOptions,
  kSystemHelp,
  generatedSystemSize,
  kSystemOptions,
  parseCommandArgs,
  systemFromOptions,
} from '../options.ts';
import type { Progress } from '../progress.ts';
import { printSummary, type CommandOutput } from './summary.ts';

export const kSpectrumHelp = `Usage: darwin-breit spectrum [configuration] [options]

Extreme eigenvalues of the scaled mass matrix D^-1/2 M D^-1/2 = I + eps S (D = diag M) by Lanczos
on I + S, whose Krylov spaces are the same: lambda = 1 + eps mu for the eigenvalues mu of S. When
lambda_min <= 0 the Legendre map v -> p is singular or indefinite; lambda_max - 1 = eps mu_max is
the collective Darwin contribution, to compare with the paper's N r_e/R (eq. 49). "indefinite" is
true or false only where lambda_min is farther from 0 than its error (its rounding for true, its
residual bound for false: at least eps 16 u sqrt(n) max|theta|, u float32's on the GPU), else null.

${kSystemHelp}
Lanczos:
  --tol T         accuracy of I + S's extreme eigenvalues, relative to the largest
                  [1e-6 gpu (float32), 1e-10 cpu]
                  (gpu below 1e-6: float32 Ritz vectors refined in float64, converged
                  where their float64 residuals meet T, else diverged_refinement)
  --max-iter K    matrix-vector products at most, over all restarts (K >= 1), or
                  auto: max(size, 10000)                                            [auto]
  --basis M       Lanczos vectors held (the memory): a full basis restarts from the
                  Ritz vectors nearest each end (thick restart)                       [${kDefaultLanczosBasis}]
  --seed S        start vector seed                                                    [1]
${kBackendHelp}
  --json          one JSON object on stdout (progress goes to stderr)
`;

const kOptions = {
  ...kSystemOptions,
  ...kCommonOptions,
  ...kBackendOptions,
  tol: { type: 'string' },
  'max-iter': { type: 'string' },
  basis: { type: 'string', default: String(kDefaultLanczosBasis) },
  seed: { type: 'string', default: '1' },
} as const;

export async function spectrumCommand(argv: string[], progress: Progress): Promise<CommandOutput> {
  const { values } = parseCommandArgs(argv, kOptions);
  if (values.help) return { help: kSpectrumHelp };
  const asked = values.tol === undefined ? null : parseTolerance(values.tol, '--tol', 'lanczosTolerance');
  const maxIterations = parseMaxIterations(values['max-iter'], '--max-iter') || undefined;
  const seed = parseLanczosSeed(values.seed, '--seed');
  const basisSize = parseLanczosBasis(values.basis, '--basis');
  const backend = backendChoice(values);
  // The default follows the device, as solve's: float32's Ritz values are good to about 1e-7, so the
  // GPU's default is what a float32 Lanczos meets (1e-6); below it the extremes are refined in
  // float64, converged only where their float64 residuals meet the tolerance, which a merged close
  // pair at either end keeps them from (README, spectrum).
  const tol = asked ?? defaultLanczosTol(backend.device === 'gpu' ? 'float32' : 'float64');
  const refinedTolerance = refines({ name: backend.device }, tol) ? tol : undefined;
  const choice = { ...backend, lanczosBasis: basisSize, refinedTolerance };
  const early = await prepareLargeRun(generatedSystemSize(values), choice, progress);
  let system: DarwinSystem;
  let radiusMetres: number;
  let opened: OpenBackend;
  let setup: number;
  try {
    ({ system, radiusMetres } = systemFromOptions(values, (size) => checkBackendSize(size, choice)));
    const start = performance.now();
    opened = await openBackend(system, choice, progress, early);
    setup = performance.now() - start;
  } finally {
    early.release();
  }
  try {
    checkRefinementFits(opened, system, tol);
    const report = await runSpectrum(
      system,
      opened.backend,
      {
        tol,
        maxIterations,
        basisSize,
        seed,
        onIteration: (k, low, high) => progress.update(lanczosStepText(k, low, high)),
        float64: opened.float64,
      },
      opened.reference() ?? opened.sampledReference(),
    );
    progress.done();
    const unconverged = spectrumConvergenceWarning(report, opened.backend.name);
    if (unconverged) progress.log(unconverged);
    const { check } = report;
    if (check) {
      const e = (value: number) => value.toExponential(2);
      progress.log(
        check.sampled === null
          ? `check: lambda_min ${e(check.lambdaMin)}, lambda_max ${e(check.lambdaMax)}`
          : `check: Ritz residual lambda_min ${e(check.residualMin)}, lambda_max ${e(check.residualMax)} ` +
              `(float64 rows at ${check.sampled} sampled electrons and the ${kHeaviestElectrons} where each ` +
              `Ritz vector is largest; an eigenvalue of the direct sum lies within each)`,
      );
      const warning = spectrumCheckWarning(report);
      if (warning) progress.log(warning);
    }
    const summary = spectrumJson(report, {
      device: opened.device,
      matrix: opened.matrix,
      tree: opened.tree,
      threads: treeThreads(opened, report.refinement !== null, choice.threads),
      radiusMetres,
      timing: { setup, lanczos: report.timing.lanczos },
    });
    return { json: values.json, summary, text: printSummary(summary) };
  } finally {
    opened.close();
  }
}
