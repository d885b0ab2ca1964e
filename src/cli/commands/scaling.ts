// `scaling`: how the largest eigenvalue of the interaction matrix grows with N at fixed size (sec. IV.C),
// per geometry, and the size R* at which the collective parameter reaches 1 with N = N_max(d) (eq. 51),
// beside eq. 53-55. A thin wrapper: the sweep is src/solvers/scaling.ts on a backend per N (the GPU
// engine, or the float64 CPU reference), the files and plots are src/io/scaling.ts's.
import { boundVectorStride } from '../../gpu/buffers.ts';
import { releaseDevice } from '../../gpu/device.ts';
import { gpuBackend, type MatrixStorage } from '../../engine/backend.ts';
import { kCpuDevice, toJson, type DeviceSummary } from '../../io/formats.ts';
import {
  scalingCoefficientSvg,
  scalingCsv,
  scalingEigenvalueSvg,
  scalingStudyJson,
} from '../../io/scaling.ts';
import { InputError } from '../../physics/input-error.ts';
import { kModelNames, type ModelName } from '../../physics/models.ts';
import {
  isScalingGeometry,
  kDistributionDimension,
  kScalingGeometries,
  type ScalingGeometry,
} from '../../physics/scaling.ts';
import { cpuBackend } from '../../run/backend.ts';
import {
  logSpacedCounts,
  londonInertiaRatioDirect,
  scalingSweep,
  type BackendFactory,
  type ScalingPoint,
  type ScalingStudy,
} from '../../solvers/scaling.ts';
import { defaultLanczosMaxIterations } from '../../solvers/types.ts';
import { openGpu } from '../device.ts';
import { kCommonOptions, parseCommandArgs, parseNumber, positive, positiveInteger } from '../options.ts';
import { prepareOutputDirectory, writeIntoDirectory } from '../output-directory.ts';
import type { Progress } from '../progress.ts';
import type { CommandOutput } from './summary.ts';

/**
 * Defaults: 9 points from 16 to 3000 electrons per geometry. On SwiftShader with 2 CPU cores the four
 * geometries took 8.6 minutes (13 with other work on the machine), half of it the ring's and the
 * disk's largest N, where lambda_min (a dense cluster of alternating modes) keeps Lanczos to 300 steps.
 */
const kDefaults = { nMin: 16, nMax: 3000, points: 9 } as const;

export const kScalingHelp = `Usage: darwin-breit scaling [--geometries ring,disk,sphere,ball] [--model vector|azimuthal]
                         [--n-min N] [--n-max N] [--points K] [--device gpu|cpu] [--out DIR] [--json]

For each geometry, a sweep of N (log-spaced) at fixed size R computing by Lanczos the extreme eigenvalues
of the interaction matrix: T itself in the vector model (D = I), D^-1/2 (M - D) D^-1/2 at eps = 1 in the
azimuthal model (D = diag rho^2), i.e. lambda(D^-1/2 M D^-1/2 at eps = 1) - 1, so that eps lambda_max is
the collective part of eq. 48. Then:
  - lambda_max / N, the coherent-mode coefficient, fitted to the law of the geometry's dimension d
    (ring: a ln N + b with a -> 1/pi, derived from V_phi ~ 1/|phi|; disk, sphere: c + b N^-1/2;
    ball: c + b N^-2/3) and extrapolated to N -> infinity, with its uncertainty (covariance and
    fit window);
  - the modes: overlaps of the top Ritz vector with the translations, their azimuthal parts and the
    rigid rotations; of the bottom one with the breathing (radial) and alternating motions, and the
    number of electrons it involves;
  - lambda_min ~ -kappa / d_nn (M indefinite when neighbours are closer than kappa r_e);
  - the rigid rotation's quotient (v^T T v)/(v^T D v), and for the sphere its inertia ratio at
    London's N = 3R/r_e (eq. 30);
  - R* where (r_e/R) lambda_max(N_max(R)) = 1 with N_max = (R/a0)^d (eq. 51), beside eq. 53-55.
The default sweep took 8.6 minutes on SwiftShader with 2 CPU cores (13 with the machine busy); on a
GPU, --n-max takes N past 10^4 (matrix-free once the dense M would pass 1 GiB).

  --geometries LIST   comma-separated, of ${kScalingGeometries.join(', ')}          [${kScalingGeometries.join(',')}]
  --model M           vector (velocities; in-plane for ring and disk) | azimuthal (phidot)   [vector]
  --n-min N           smallest N                                                             [${kDefaults.nMin}]
  --n-max N           largest N (matrix-free on the GPU once dense M passes 1 GiB)           [${kDefaults.nMax}]
  --points K          N values per geometry, log-spaced                                      [${kDefaults.points}]
  --device gpu|cpu    the WebGPU engine (float32) or the float64 CPU reference                [gpu]
  --matrix dense|free|auto   GPU storage of M                                                 [auto]
  --tol T             Lanczos tolerance                          [1e-6 on the GPU, 1e-10 on the CPU]
  --max-iter K        Lanczos steps                     [min(size, 300), within the GPU's largest binding]
  --seed S            Lanczos start vector seed                                               [1]
  --out DIR           write scaling.json, scaling.csv and per geometry scaling-<geometry>.svg
                      (log-log lambda_max vs N, the fit and the paper's N) and
                      scaling-<geometry>-coefficient.svg (lambda_max/N vs N)
  --json              {"studies": [{"geometry", "model", "dimension", "points": [{"n", "lambda_max",
                      "lambda_min", "rigid_rotation_quotient", ...}], "fit": {"law", "coefficient",
                      "uncertainty", ...}, "critical_radius_m", "paper_radius_m", ...}], ...}
`;

const kOptions = {
  ...kCommonOptions,
  geometries: { type: 'string', default: kScalingGeometries.join(',') },
  model: { type: 'string', default: 'vector' },
  'n-min': { type: 'string', default: String(kDefaults.nMin) },
  'n-max': { type: 'string', default: String(kDefaults.nMax) },
  points: { type: 'string', default: String(kDefaults.points) },
  device: { type: 'string', default: 'gpu' },
  matrix: { type: 'string', default: 'auto' },
  tol: { type: 'string' },
  'max-iter': { type: 'string' },
  seed: { type: 'string', default: '1' },
  out: { type: 'string' },
} as const;

function parseOptions(argv: string[]) {
  const { values } = parseCommandArgs(argv, kOptions);
  const geometries = values.geometries.split(',').map((name) => name.trim());
  for (const name of geometries) {
    if (!isScalingGeometry(name)) {
      throw new InputError(`--geometries takes ${kScalingGeometries.join(', ')}, got '${name}'`);
    }
  }
  if (!(kModelNames as readonly string[]).includes(values.model)) {
    throw new InputError(`--model must be one of ${kModelNames.join('|')}, got '${values.model}'`);
  }
  if (values.device !== 'gpu' && values.device !== 'cpu') {
    throw new InputError(`--device must be gpu|cpu, got '${values.device}'`);
  }
  const matrix = values.matrix as MatrixStorage | 'auto';
  if (matrix !== 'dense' && matrix !== 'free' && matrix !== 'auto') {
    throw new InputError(`--matrix must be dense|free|auto, got '${values.matrix}'`);
  }
  const nMin = parseNumber('n-min', values['n-min'], (x) =>
    Number.isInteger(x) && x >= 2 ? null : 'must be an integer >= 2',
  );
  const nMax = parseNumber('n-max', values['n-max'], (x) =>
    Number.isInteger(x) && x >= nMin ? null : `must be an integer >= n-min (${nMin})`,
  );
  const points = parseNumber('points', values.points, positiveInteger);
  return {
    values,
    geometries: geometries as ScalingGeometry[],
    model: values.model as ModelName,
    device: values.device,
    matrix,
    ns: logSpacedCounts(nMin, nMax, points),
    tol: values.tol === undefined ? undefined : parseNumber('tol', values.tol, positive),
    maxIterations:
      values['max-iter'] === undefined
        ? undefined
        : parseNumber('max-iter', values['max-iter'], positiveInteger),
    seed: parseNumber('seed', values.seed, positiveInteger),
  };
}

export async function scalingCommand(argv: string[], progress: Progress): Promise<CommandOutput> {
  const options = parseOptions(argv);
  const { values, model, ns } = options;
  if (values.help) return { help: kScalingHelp };
  if (values.out !== undefined) prepareOutputDirectory(values.out);

  let device: DeviceSummary = kCpuDevice;
  let factory: BackendFactory = async (system) => cpuBackend(system);
  let maxIterations = (_size: number): number | undefined => options.maxIterations;
  let release = () => {};
  const storage = new Map<number, string>();
  if (options.device === 'gpu') {
    const gpu = await openGpu();
    device = gpu.device;
    const { context } = gpu;
    release = () => releaseDevice(context);
    factory = async (system) => {
      const backend = await gpuBackend(context, system, { matrix: options.matrix });
      storage.set(system.configuration.n, backend.matrix);
      return backend;
    };
    // The Lanczos basis is one binding: at most as many columns as fit the largest one.
    const { limits } = context;
    const largest = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
    maxIterations = (size) => {
      const fits = Math.floor(largest / (4 * boundVectorStride(context.device, size)));
      return Math.min(options.maxIterations ?? defaultLanczosMaxIterations(size), fits);
    };
  }

  const studies: ScalingStudy[] = [];
  const extras: Record<string, unknown>[] = [];
  const started = performance.now();
  try {
    for (const geometry of options.geometries) {
      progress.log(
        `scaling: ${geometry} (${model} model, d = ${kDistributionDimension[geometry]}), N = ${ns.join(', ')}`,
      );
      const study = await scalingSweep(factory, {
        geometry,
        model,
        ns,
        tol: options.tol,
        seed: options.seed,
        maxIterations,
        onLanczos: (n, k, low, high) =>
          progress.update(
            `${geometry} N = ${n}: Lanczos step ${k}, [${low.toPrecision(6)}, ${high.toPrecision(6)}]`,
          ),
        onPoint: (point) => progress.log(pointLine(geometry, point, storage.get(point.n))),
      });
      const extra: Record<string, unknown> = {
        matrix: options.device === 'gpu' ? Object.fromEntries(storage) : null,
      };
      storage.clear();
      if (geometry === 'sphere') {
        // The inertia ratio at London's eps = 3/N straight from M, beside 1 + (3/N) q of the sweep.
        const n = ns[ns.length - 1];
        progress.update(`sphere N = ${n}: rigid rotation at London's eps = 3/N`);
        extra.london_inertia_ratio_direct = { n, value: await londonInertiaRatioDirect(factory, model, n) };
      }
      studies.push(study);
      extras.push(extra);
    }
  } finally {
    release();
  }
  progress.done();

  const summary = {
    command: 'scaling',
    device,
    model,
    ns,
    studies: studies.map((study, k) => scalingStudyJson(study, extras[k])),
    files: [] as string[],
    timing_ms: { total_ms: performance.now() - started },
  };
  if (values.out !== undefined) {
    const { out } = values;
    summary.files.push(writeIntoDirectory(out, 'scaling.csv', scalingCsv(studies)));
    for (const study of studies) {
      summary.files.push(
        writeIntoDirectory(out, `scaling-${study.geometry}.svg`, scalingEigenvalueSvg(study)),
      );
      summary.files.push(
        writeIntoDirectory(out, `scaling-${study.geometry}-coefficient.svg`, scalingCoefficientSvg(study)),
      );
    }
    summary.files.push(
      writeIntoDirectory(out, 'scaling.json', toJson({ ...summary, files: undefined }) + '\n'),
    );
  }
  return { json: values.json, summary, text: scalingText(studies, summary.files, device) };
}

function pointLine(geometry: string, p: ScalingPoint, matrix: string | undefined): string {
  const overlap = p.overlaps
    ? `, top mode ${p.mode} (translation ${p.overlaps.translation.toFixed(3)}, rotation ` +
      `${p.overlaps.rotation.toFixed(3)}), bottom mode ${p.minimumMode} (${p.participationMin?.toFixed(0)} electrons)`
    : '';
  return (
    `${geometry} N = ${p.n} (${p.unknowns} unknowns${matrix ? `, ${matrix}` : ''}): ` +
    `lambda_max/N = ${p.coherentCoefficient.toPrecision(7)}, lambda_min = ${p.lambdaMin.toPrecision(6)}${overlap}, ` +
    `${p.lanczos.iterations} Lanczos steps${p.lanczos.converged ? '' : ' (not converged)'}, ` +
    `${(p.milliseconds / 1000).toFixed(1)} s`
  );
}

const exp = (x: number | null | undefined, digits = 3) =>
  x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toExponential(digits);

function radiusText(study: ScalingStudy): string[] {
  const r = study.criticalRadius;
  if (!r) return [];
  const paper = study.paperRadiusMetres;
  const paperText = Number.isFinite(paper) ? `${exp(paper)} m` : 'R -> infinity';
  const equation = { 1: '53', 2: '54', 3: '55' }[study.dimension];
  const metres = r.metres === null ? `10^${r.log10Metres.toFixed(1)} m` : `${exp(r.metres)} m`;
  return [
    `  R* (eps lambda_max = 1 at N = (R/a0)^${study.dimension}): ${metres} ` +
      `(log10 R*/m = ${r.log10Metres.toFixed(3)} ± ${r.log10Uncertainty.toExponential(1)}, ` +
      `R*/a0 = 10^${r.log10Bohr.toFixed(3)}, N = 10^${r.log10Electrons.toFixed(2)}); eq. ${equation}: ${paperText}`,
  ];
}

function scalingText(studies: ScalingStudy[], files: string[], device: DeviceSummary): string {
  const lines = [`scaling of the Darwin-Breit interaction with N (sec. IV.C), device: ${device.description}`];
  for (const study of studies) {
    lines.push(
      '',
      `${study.geometry} (${study.model} model, d = ${study.dimension}, ${study.velocityComponents} unknowns per electron)`,
      '       N   lambda_max   lambda_max/N    lambda_min   kappa   q_rot/N   top mode                 T       R   bottom mode   steps',
    );
    for (const p of study.points) {
      lines.push(
        [
          String(p.n).padStart(8),
          p.lambdaMax.toPrecision(7).padStart(12),
          p.coherentCoefficient.toPrecision(7).padStart(14),
          p.lambdaMin.toPrecision(6).padStart(13),
          p.minimumConstant.toFixed(3).padStart(7),
          (p.rigidRotationQuotient / p.n).toFixed(4).padStart(9),
          ` ${(p.mode ?? '-').padEnd(22)}`,
          (p.overlaps ? p.overlaps.translation.toFixed(3) : '-').padStart(6),
          (p.overlaps ? p.overlaps.rotation.toFixed(3) : '-').padStart(7),
          ` ${(p.minimumMode ?? '-').padEnd(12)}`,
          `${p.lanczos.iterations}${p.lanczos.converged ? '' : '*'}`.padStart(7),
        ].join(' '),
      );
    }
    const fit = study.fit;
    if (fit) {
      const theory = fit.law.theory !== undefined ? ` (derived: ${fit.law.theory.toFixed(6)})` : '';
      const free = fit.freeExponent !== null ? `; best free exponent ${fit.freeExponent.toFixed(3)}` : '';
      lines.push(
        `  fit ${fit.law.text}, N = ${fit.nFrom}..${fit.nTo}: ${fit.law.parameters[fit.law.coefficientIndex]} = ` +
          `${fit.coefficient.toPrecision(7)} ± ${exp(fit.uncertainty, 1)}${theory}${free}`,
      );
    }
    if (study.ringConstant) {
      const c = study.ringConstant;
      const theory = c.theory !== null ? ` (derived ln(2/pi) + gamma - 3/2 = ${c.theory.toFixed(6)})` : '';
      lines.push(`  with a = 1/pi held: C = ${c.fitted.toPrecision(7)} ± ${exp(c.uncertainty, 1)}${theory}`);
    }
    lines.push(...radiusText(study));
    const m = study.minimumConstant;
    lines.push(
      `  lambda_min = -kappa/d_nn: kappa = ${m.kappa.toFixed(3)} ± ${m.uncertainty.toFixed(3)} ` +
        `(closest pair: ${m.kappaClosestPair.toFixed(3)}): M indefinite once neighbours are < ${m.kappa.toFixed(2)} r_e apart`,
    );
    if (study.rotationFit) {
      lines.push(
        `  rigid rotation: q/N -> ${study.rotationFit.coefficient.toPrecision(5)} ± ${exp(study.rotationFit.uncertainty, 1)}`,
      );
    }
    if (study.londonInertiaRatio) {
      const last = study.points[study.points.length - 1];
      lines.push(
        `  London's N = 3R/r_e: inertia ratio (v^T M v)/(v^T D v) = ${last.londonInertiaRatio?.toFixed(4)} at N = ${last.n}, ` +
          `-> ${study.londonInertiaRatio.value.toFixed(4)} ± ${study.londonInertiaRatio.uncertainty.toFixed(4)} (continuum: 2)`,
      );
    }
  }
  if (studies.some((study) => study.points.some((p) => !p.lanczos.converged))) {
    lines.push(
      '',
      '* Lanczos stopped before both extreme Ritz values met the tolerance (values are inner bounds)',
    );
  }
  if (files.length) lines.push('', 'wrote:', ...files.map((f) => `  ${f}`));
  return lines.join('\n') + '\n';
}
