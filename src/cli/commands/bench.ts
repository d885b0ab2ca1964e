// `bench`: speed of each kernel on the current device, in one run, beside the device's own copy
// bandwidth (a trivial WGSL vec4 copy) so that every bandwidth is also a ratio to what this device
// can stream. A benchmark, never a test: nothing here asserts a speed.
import {
  checkBuffersFit,
  denseAllocation,
  freeAllocation,
  gpuBackend,
  gpuMomenta,
  gpuSolve,
  treeAllocation,
  type GpuBackend,
} from '../../engine/backend.ts';
import { createKrylovEngine } from '../../engine/krylov.ts';
import { createVector } from '../../gpu/buffers.ts';
import { releaseDevice, withErrorScopes, type GpuContext } from '../../gpu/device.ts';
import {
  median,
  pairedMedians,
  timePaired,
  timeRuns,
  type BeforeRepeat,
  type RecordRun,
  type Timing,
} from '../../gpu/timing.ts';
import { AssembleKernel } from '../../kernels/assemble.ts';
import { kKrylovStepVariants, krylovStepFor } from '../../gpu/profile.ts';
import { CopyKernel } from '../../kernels/copy.ts';
import { denseMatrixBytes, GpuMassMatrix, matrixShape } from '../../kernels/mass-matrix.ts';
import { denseMatvecVariants } from '../../kernels/matvec-dense.ts';
import { GpuMatrixFreeMassMatrix } from '../../kernels/matvec-free.ts';
import { GpuTreeMassMatrix } from '../../kernels/tree.ts';
import { readFloat32 } from '../../gpu/readback.ts';
import { createPositionsBuffer, gpuModel } from '../../kernels/system.ts';
import { geometry } from '../../physics/geometry.ts';
import { InputError } from '../../physics/input-error.ts';
import { interactionOfMomenta } from '../../physics/observables.ts';
import {
  blockSize,
  massDiagonal,
  unknowns,
  type DarwinSystem,
  type Dimension,
  type ModelName,
  type SystemSize,
} from '../../physics/models.ts';
import { treeDetails, type TreeDetails, type TreeProductCounts } from '../../physics/tree-build.ts';
import { defaultRtol, type ConvergenceReason } from '../../solvers/types.ts';
import { velocityPattern } from '../../physics/velocities.ts';
import { gigabytes, type DeviceSummary } from '../../io/formats.ts';
import type { MassMatrixBackend } from '../../run/backend.ts';
import {
  interactionError,
  kCheckMaxUnknowns,
  pacedCheckSample,
  pacedSampledMassRows,
  sampledEntries,
  sampledErrors,
  solveTargetsFor,
  withinTarget,
  type CheckSample,
} from '../../run/check.ts';
import { runResponse, type ResponsePoint } from '../../studies/response/run.ts';
import type { ResponseSpec } from '../../studies/response/spec.ts';
import { driveRightHandSide, solutionOfTriples } from '../../physics/response.ts';
import { checkNoneRepeated, numberList } from '../../studies/study.ts';
import type { PacingHooks } from '../../run/chunks.ts';
import { kResponseDefaults, responseSpec } from '../../studies/response/spec.ts';
import { deviceName, kCpuDevice, kProgramVersion } from '../../io/formats.ts';
import { kMaxElectrons, parseDevice, parseDimensionFor, type DeviceChoice } from '../../run/inputs.ts';
import { kHostMemory, threadsOption } from '../engine.ts';
import { openGpu } from '../device.ts';
import { benchCpu, type CpuBenchOptions } from './bench-cpu.ts';
import { kCommonOptions, parseCommandArgs, parseNumber } from '../options.ts';

const kMaxRepeats = 1000;

const powerOfTwo = (x: number) =>
  Number.isInteger(x) && x >= 1 && (x & (x - 1)) === 0 ? null : 'must list powers of two';
import { durationText, type Progress } from '../progress.ts';
import type { CommandOutput } from './summary.ts';
import { markdownTable, textTable } from '../../studies/markdown.ts';

/** The rows --only selects by; the assembly's rows are named assemble_<vector3d|vector2d|azimuthal>. */
export const kBenchKernels = [
  'copy',
  'fill',
  'assemble',
  'matvec_dense',
  'matvec_free',
  'matvec_tree',
  'cg_iteration',
  'cg_solve',
  'response_sweep',
] as const;
export type BenchKernel = (typeof kBenchKernels)[number];
/** The rows bench --device cpu has no counterpart of. */
const kGpuOnlyKernels: readonly BenchKernel[] = ['cg_solve', 'response_sweep'];
/** The rows that hold M itself. */
export const kDenseRows: readonly BenchKernel[] = ['assemble', 'matvec_dense', 'cg_iteration', 'cg_solve'];
/** The rows that hold arrays as large as the dense M: the copy's and fill's, and M's own. */
export const kMatrixRows: readonly BenchKernel[] = ['copy', 'fill', ...kDenseRows];

/**
 * The bench's system of `n` electrons at eps = 1e-3: the sphere, or the disk where the vector model
 * is 2D, which needs z = 0 (eq. 1's in-plane blocks); neither puts an electron on the z axis, where
 * the azimuthal model's e_i is undefined (eq. 31).
 */
export function benchSystem(n: number, model: ModelName, dim: Dimension): DarwinSystem {
  const planar = model === 'vector' && dim === 2;
  return { configuration: geometry(planar ? 'disk' : 'sphere', n), model, dim, epsilon: 1e-3, softening: 0 };
}

/** The matrix rows (kMatrixRows) among those asked of `device`'s bench. */
export function matrixRowsAsked(only: ReadonlySet<BenchKernel>, device: DeviceChoice): BenchKernel[] {
  return kMatrixRows.filter(
    (kernel) => only.has(kernel) && (device === 'gpu' || !kGpuOnlyKernels.includes(kernel)),
  );
}

/**
 * The one line refusing `rows` of a bench at `n` (on `device`): what they need and what the device
 * has (`need`), and how to leave them out (`remedy`; by default the rows that hold no matrix-sized
 * array, which run at any N it holds).
 */
export function benchRefusal(
  device: DeviceChoice,
  n: number,
  rows: readonly BenchKernel[],
  need: string,
  remedy = '--only matvec_free,matvec_tree holds no matrix-sized array',
): InputError {
  const where = device === 'cpu' ? 'bench --device cpu' : 'bench';
  return new InputError(
    `${where} --n ${n}: ${rows.join(',')} ${rows.length > 1 ? 'need' : 'needs'} ${need}; ${remedy}`,
    'n',
  );
}

/**
 * A bench row's BeforeRepeat: the run it is about to make on the progress line after the row's
 * status ("warm-up run", "repeat 2 of 3, ~1 min 20 s left" at the rate of its timed repeats so far), a
 * report that also stops the row there once a signal asked the run to stop (Progress.within's
 * checkpoint), so that no repeat starts after it. One reporter serves a bench's rows one after
 * another: each warm-up (or first repeat) starts its estimate anew.
 */
export function repeatProgress(progress: Progress): BeforeRepeat {
  let firstRepeatAt = 0;
  return (repeat, repeats) => {
    const at = performance.now();
    if (repeat <= 1) firstRepeatAt = at;
    const leftMs = repeat > 1 ? ((at - firstRepeatAt) / (repeat - 1)) * (repeats - repeat + 1) : 0;
    // Rows of short repeats are over before a person reads an estimate.
    const left = leftMs >= 1000 ? `, ~${durationText(leftMs)} left` : '';
    progress.within(repeat === 0 ? 'warm-up run' : `repeat ${repeat} of ${repeats}${left}`);
  };
}

/**
 * Refuses, before any row runs, a size whose rows the device cannot hold. The matrix rows hold the
 * stored float32 M and the copy's two buffers as large (benchReferences), each one buffer: past the
 * largest storage buffer, or, with a second M for each other dense matvec variant
 * (benchDenseMatvec), past the device's memory where it reports one (a CPU adapter's: the host's
 * free memory). matvec_free and matvec_tree hold the positions and one product's vectors
 * (freeAllocation), and the tree its lists and expansions (treeAllocation), each buffer within the largest
 * (checkBuffersFit). Nothing is allocated, not even the positions: a 360 GB buffer is refused at
 * once, not by the OOM killer. matvec_free's pairs have no bound here, unlike the CPU's
 * (kCpuMaxPairs): a hardware GPU's 10^11 to 10^12 pairs a second take the 10^14 of N = 10^7 in
 * minutes a product.
 */
export function checkGpuBenchFits(
  context: GpuContext,
  sizes: readonly number[],
  model: ModelName,
  dim: Dimension,
  only: ReadonlySet<BenchKernel>,
): void {
  const { limits, memory } = context;
  const available = memory?.availableBytes();
  const fast = (['matvec_free', 'matvec_tree'] as const).filter((kernel) => only.has(kernel));
  for (const n of fast.length > 0 ? sizes : []) {
    const system: SystemSize = { configuration: { n }, model, dim };
    const tree = only.has('matvec_tree');
    const named = `bench --n ${n}: ${fast.join(',')}`;
    checkBuffersFit(limits, system, { matrix: tree ? 'tree' : 'free' }, named);
    const need =
      freeAllocation(system, undefined, 'product').vectors + (tree ? treeAllocation(system).tree : 0);
    if (available !== undefined && need > available) {
      throw new InputError(
        `${named} ${fast.length > 1 ? 'need' : 'needs'} ${gigabytes(need)} for the positions and vectors` +
          `${tree ? ', the tree and its expansions' : ''}, more than the ${gigabytes(available)} of ` +
          `${memory!.source}`,
        'n',
      );
    }
  }
  const rows = matrixRowsAsked(only, 'gpu');
  if (rows.length === 0) return;
  const largest = Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
  const matrices = only.has('matvec_dense') && denseMatvecVariants(context.device).length > 1 ? 2 : 1;
  // Beside M, a product's vectors, or CG's where a CG row runs.
  const operation = only.has('cg_iteration') || only.has('cg_solve') ? 'cg' : 'product';
  for (const n of sizes) {
    const system: SystemSize = { configuration: { n }, model, dim };
    const size = unknowns(system);
    const matrix = denseMatrixBytes(matrixShape(system));
    if (matrix > largest) {
      throw benchRefusal(
        'gpu',
        n,
        rows,
        `the copy's two buffers of ${gigabytes(matrix)} each, as large as the ${size} x ${size} ` +
          `float32 M, past the device's largest storage buffer of ${gigabytes(largest)}`,
      );
    }
    const need = (2 + matrices) * matrix + denseAllocation(system, undefined, operation).vectors;
    if (available !== undefined && need > available) {
      throw benchRefusal(
        'gpu',
        n,
        rows,
        `${gigabytes(need)} for the ${size} x ${size} float32 M` +
          (matrices > 1 ? ', a second for the other dense matvec variants' : '') +
          `, the copy's two buffers as large and the vectors, more than the ${gigabytes(available)} ` +
          `of ${memory!.source}`,
      );
    }
  }
}

export function benchKernel(row: Pick<BenchRow, 'name'>): BenchKernel {
  return (row.name.startsWith('assemble_') ? 'assemble' : row.name) as BenchKernel;
}

export const kBenchHelp = `Usage: darwin-breit bench [--n N ...] [--model vector|azimuthal] [--dim 2|3] [--repeats R] [--workgroup-sizes W,...] [--only KERNEL,...] [--device gpu|cpu] [--threads K] [--markdown] [--json]

Times, on the current device and in one run: the device's copy bandwidth (a WGSL vec4 copy of a
buffer as large as the matrix) and write bandwidth (a vec4 fill of it), assembly of the dense M,
the dense matvec (every variant the device can run; the one it gets is marked chosen), the
matrix-free matvec, the FMM matvec (matvec_tree: its error of eps T x against the float64 direct
product, its speed-up over the matrix-free product, and its asymmetry |x.Tw - w.Tx| / (|x| |Tw|)
beside the matrix-free product's; with the tree, matvec_free's ms, matvec_tree's and the speed-up
all come from the same runs alternating the two, the speed-up the median of their ratios, near the
quotient of the ms), one CG iteration in each way of running its vector work (labelled matvec
variant/step: 'fused', one workgroup, one launch; 'split', eleven launches) and one full CG solve
with the chosen ones; and the response study's sweep of the field drive over its default N r_e/R
(${kResponseDefaults.nEpsilon}) on one backend of the storage 'auto' chooses, with and without warm
starts: its total time against its one assembly, its solves and the Lanczos run of its m_indefinite
probe ("lanczos_ms", where a pair is within 4 r_e). Bandwidths are also given as a ratio to the
copy kernel's, and the assembly's, which only writes, to the fill's; a CG iteration's
time as a ratio to the chosen dense matvec's, both by the wall clock. The sphere geometry (the
disk for --dim 2) at eps = 1e-3; a size whose rows cannot fit is refused before any row runs.
Each GPU row is checked once against float64 after its timing (the "float64 check" column): a
product row (every dense matvec variant, matvec_free, matvec_tree) by ||y - y64|| / ||y64||
("check"), y64 the float64 direct pair sum of the same x on the host; the CG rows by the float64
true residual ||b - M64 v|| / ||b|| of the iterate they end with ("true_residual"; cg_solve beside
its "reason" and "converged"); response_sweep by whether every solve converged ("converged", a
"note" naming those that did not) and the largest true residual of those that did. Over every
unknown up to 3000, past them on float64 rows at 256 sampled electrons ("sampled_electrons"), as
solve's check. A product's check is held to float32's max(1e-6, 3 sqrt(N) 2^-24), about ten times
its rounding of N terms a row (matvec_tree's to the tree's tolerance, 1e-5, or float32's of its
near field's rows where larger), cg_solve's residual to ten times that ("check_target",
"within_target"); a row past its target is named in a warning on stderr.
Every repeat is reported on the progress line ("repeat 2 of 3, ~1 min 20 s left"), and a signal stops
the bench before its next repeat, or in a row's float64 check (seconds at 10^6) at its next chunk of
electrons ("float64 check: electron 201 of 256").

  --n N          electrons, 2..10^8; repeat the flag for several sizes             [1024]
  --model M      vector|azimuthal                                                    [vector]
  --dim 2|3      vector model dimension (refused beside azimuthal)                   [3]
  --repeats R    timed runs per kernel (the median is reported)                      [5]
  --workgroup-sizes W,W,...  also time the assembly, every dense matvec variant and the
                 matrix-free matvec at these workgroup sizes (powers of two; rows labelled
                 'wg W'; a size a kernel cannot take is skipped with a note), to tune them
  --only K,K,... just these rows: ${kBenchKernels.join('|')}
                 (the copy and fill are still timed where another row is a ratio to them)
  --device gpu|cpu  cpu: the float64 CPU path's copy, fill, assemble, matvec_dense, matvec_free,
                 matvec_tree and cg_iteration rows over --threads threads (the caller and
                 workers), each ratio_to_copy against the same threads' float64 copy of a
                 matrix-sized array, by the wall clock; "threads" in the JSON; --only
                 matvec_free,matvec_tree holds no matrix-sized array, for large N; matvec_free
                 past 1e13 pairs a product (N > 3.2e6, hours) is refused, and matvec_tree runs
                 there without it (no error or speed-up); from 1e10 pairs (N = 1e5) a line first
                 estimates the row's time                                            [gpu]
  --threads K    threads of --device cpu                                  [every core]
  --markdown     the table in Markdown (with --json: as the field "markdown" beside the numbers)
  --json         {"command": "bench", "version", "date", "device": ..., "threads" (--device cpu),
                 "kernels": [{"name", "n", "ms", "gbps", "gflops", "ratio_to_copy", "check", ...}]}
`;

const kOptions = {
  ...kCommonOptions,
  n: { type: 'string', multiple: true },
  model: { type: 'string', default: 'vector' },
  dim: { type: 'string' },
  repeats: { type: 'string', default: '5' },
  'workgroup-sizes': { type: 'string' },
  only: { type: 'string' },
  device: { type: 'string', default: 'gpu' },
  threads: { type: 'string' },
  markdown: { type: 'boolean', default: false },
} as const;

export interface BenchRow {
  name: string;
  variant?: string;
  chosen?: boolean;
  n: number;
  unknowns: number;
  ms: number;
  method: Timing['method'] | 'solve';
  /** Bytes moved per second / 1e9 (reads + writes the kernel must make at least). */
  gbps: number | null;
  /** Floating-point operations per second / 1e9 (the counts are given per kernel below). */
  gflops: number | null;
  /**
   * Dense matvec and assembly: the copy's (fill's) GB/s in the runs alternating with this kernel,
   * which its ratio_to_copy (ratio_to_fill) is to; the copy and fill rows are timed on their own.
   */
  reference_gbps?: number;
  /** Matrix-free only: pair interactions per second / 1e9. */
  ginteractions?: number;
  /** matvec_tree: direct pairs plus M2L translations of one product (TreeProductCounts). */
  interactions?: number;
  direct_pairs?: number;
  translations?: number;
  /**
   * matvec_tree: ||y_tree - y64|| / ||y64 - D x||, y64 the float64 direct product of the same x (on
   * the CPU matvec_free's, on the GPU the float64 rows of the row's check): the error of eps T x,
   * which is all the tree approximates.
   */
  relative_error?: number;
  /**
   * The GPU's float64 check of a product row (dense matvec variants, matvec_free, matvec_tree), made
   * once after its timing: ||y - y64|| / ||y64||, y the row's float32 product of the bench's random x
   * and y64 the float64 direct pair sum (eq. 48/50) of the same x (its float32 values) on the host.
   */
  check?: number;
  /**
   * The GPU's CG rows: ||b - M64 v|| / ||b|| of the iterate v the row's solve ended with, M64 v the
   * float64 direct pair sum: cg_iteration's longest run, cg_solve's solve; response_sweep: the
   * largest over its solves that converged (b the drive's right-hand side, sweepCheck).
   */
  true_residual?: number;
  /** Where check and true_residual are over float64 rows at sampled electrons (past 3000 unknowns). */
  sampled_electrons?: number;
  /**
   * What check (or cg_solve's true_residual) is held to (checkTarget), and whether it is within:
   * a row past its target is also named in a warning on stderr (checkWarnings).
   */
  check_target?: number;
  within_target?: boolean;
  /** cg_solve: why its solve stopped. */
  reason?: ConvergenceReason;
  /** cg_solve: whether its solve converged; response_sweep: whether every solve of it did. */
  converged?: boolean;
  /**
   * matvec_tree: the median over rounds alternating with matvec_free of free ms / tree ms; this
   * row's ms and matvec_free's (its default workgroup size) are the medians of the same rounds, so
   * speedup is near their quotient (the median of the ratios, not the ratio of the medians).
   * Absent where no free product ran beside the tree (bench --device cpu past kCpuMaxPairs).
   */
  speedup?: number;
  /**
   * matvec_tree: |x.T~w - w.T~x| / (|x| |T~w|), T~ the tree's approximation of eps T, x and w
   * random: how far from symmetric the tree is (M is, and the tree must be to its tolerance).
   * Random vectors dilute a product error d to about d / sqrt(unknowns) here, so it is to be read
   * beside free_asymmetry, the same of matvec_free's products: the precision's own floor.
   */
  asymmetry?: number;
  free_asymmetry?: number;
  /**
   * The kernel's bandwidth over the copy kernel's at the same n: for the dense matvec, the median
   * of that ratio over runs alternating with the copy (timePaired); else against the copy row.
   */
  ratio_to_copy: number | null;
  /**
   * Assembly: its bandwidth over the fill kernel's (both only write), the median over runs
   * alternating with the fill; fill: 1.
   */
  ratio_to_fill?: number;
  /**
   * cg_iteration: the chosen dense matvec's ms, timed as the iteration is (by the wall clock);
   * absent where that came out <= 0, below the clock's noise.
   */
  matvec_ms?: number;
  /**
   * cg_iteration: the median of its time over the matvec's, sampled alternately, over the pairs
   * of samples above the clock's noise (ms and matvec_ms are medians over the same pairs).
   */
  ratio_to_matvec?: number;
  /**
   * cg_solve: why there is no cg_iteration row at this n, when there is none; matvec_tree: why no
   * free product ran beside it, when none did; response_sweep: the solves that did not converge.
   */
  note?: string;
  iterations?: number;
  /** response_sweep: opening its one backend (assembly of T, or the matrix-free set-up), ms. */
  assembly_ms?: number;
  /** response_sweep: its CG solves alone, ms. */
  solves_ms?: number;
  /** response_sweep: its m_indefinite probe's Lanczos run (kIndefiniteLanczos), ms; 0 where none ran. */
  lanczos_ms?: number;
  /** response_sweep: the solves, one per N r_e/R. */
  solves?: number;
  /**
   * response_sweep: ms / (assembly_ms + solves_ms + lanczos_ms), which should be about 1: a sweep
   * costs one assembly, its solves and its probe's Lanczos run.
   */
  ratio_to_parts?: number;
}

export function rate(amount: number, ms: number): number {
  return amount / (ms * 1e-3) / 1e9;
}

// What each kernel must at least move (bytes) and compute (flops), from which a row's GB/s and
// GFLOP/s follow. `size` is the unknowns, `n` the electrons, `b` the unknowns per electron.

/**
 * The part of the stored M a product reads: every row's vec4s up to the last holding an entry
 * (the pad columns of whole groups of 4 electrons past it are never read).
 */
function productMatrixBytes(size: number): number {
  return 16 * Math.ceil(size / 4) * size;
}

/** Dense matvec: M once, plus x read and y written. */
function denseMatvecBytes(size: number): number {
  return productMatrixBytes(size) + 8 * size;
}

/** Dense matvec: a multiply-add per entry. */
export function denseMatvecFlops(size: number): number {
  return 2 * size * size;
}

/**
 * Assembly: about 30 flops per pair (separation, its length, the two Oseen scales), once per
 * pair, and a multiply-add per stored entry. Its bytes are the stored matrix, written once (the
 * 16 bytes read per electron are negligible).
 */
export function assemblyFlops(n: number, size: number): number {
  return 30 * n * n + 2 * size * size;
}

/** Matrix-free matvec: per pair ~20 flops for the kernel entry plus 2 b^2 for the block times x. */
export function matrixFreeFlops(n: number, b: number): number {
  return (20 + 2 * b * b) * n * n;
}

/** One CG iteration: the matvec's bytes plus the vector updates' (about 10 vectors read or written). */
function cgIterationBytes(size: number): number {
  return productMatrixBytes(size) + 40 * size;
}

/** One CG iteration: the matvec's flops plus the vector updates' (about 10 per entry). */
function cgIterationFlops(size: number): number {
  return denseMatvecFlops(size) + 10 * size;
}

/**
 * The GPU bench's float64 check of a system: float64 rows of M (the direct pair sum, eq. 48/50, on
 * the host) at every electron up to kCheckMaxUnknowns unknowns, where a solve's check is dense, and
 * past them at the sampled check's electrons (checkSample's), whose weighted errors estimate those
 * over all unknowns (src/run/check.ts).
 */
export interface Float64Check {
  readonly system: DarwinSystem;
  readonly sample: Pick<CheckSample, 'electrons' | 'weights'>;
  /** The sample's electrons where it is one, else null (every electron). */
  readonly sampledElectrons: number | null;
  /**
   * The float64 rows of M v at the sample's electrons, in chunks of about kPairsPerPause pairs with
   * the hooks' pause and progress report between them (pacedSampledMassRows): 256 N pairs, seconds at
   * N = 10^6, during which a signal stops the bench at the next chunk.
   */
  rows(v: ArrayLike<number>): Promise<Float64Array>;
}

/**
 * The hooks of the float64 check's rows in a bench run: a turn of the event loop between two chunks,
 * where a signal's handler runs, and a report on the row's progress line, which then stops the run.
 */
export function checkHooks(progress: Progress): PacingHooks {
  return { pause: progress.studyHooks().pause, progress: (text) => progress.within(text) };
}

/**
 * The float64 check of `system`; past kCheckMaxUnknowns its sample's nearest-neighbour queries paced
 * as its rows are (pacedCheckSample).
 */
export async function float64Check(system: DarwinSystem, hooks: PacingHooks = {}): Promise<Float64Check> {
  const { n } = system.configuration;
  const sampled = unknowns(system) > kCheckMaxUnknowns;
  const sample = sampled
    ? await pacedCheckSample(system.configuration, hooks)
    : { electrons: Uint32Array.from({ length: n }, (_, i) => i), weights: new Float64Array(n).fill(1) };
  return {
    system,
    sample,
    sampledElectrons: sampled ? sample.electrons.length : null,
    rows: (v) => pacedSampledMassRows(system, Float64Array.from(v), sample.electrons, hooks),
  };
}

/** ||y - M64 x|| / ||M64 x|| for a product y of x, `exactRows` check.rows(x). */
export function productError(check: Float64Check, y: ArrayLike<number>, exactRows: Float64Array): number {
  return sampledErrors(check.system, check.sample, Float64Array.from(y), exactRows, null).momenta!;
}

/** ||b - M64 v|| / ||b||: the float64 true residual of v as a solution of M v = b. */
export async function trueResidual(
  check: Float64Check,
  b: ArrayLike<number>,
  v: ArrayLike<number>,
): Promise<number> {
  return sampledErrors(check.system, check.sample, Float64Array.from(b), null, await check.rows(v)).residual!;
}

/**
 * What a row's float64 check of n electrons is held to, as solve's check of the same backend
 * (solveTargetsFor, the GPU's unrefined float32): a product's error its momenta's target (float32's,
 * max(1e-6, 3 sqrt(n) 2^-24), or the tree's tolerance where that is larger: `tree`), cg_solve's true
 * residual its residual's at the GPU's default rtol. cg_iteration (a fixed number of iterations at
 * rtol 0) and response_sweep (its solves refined or not by the storage it opens) are held to none.
 */
export function checkTarget(held: 'product' | 'solve', n: number, tree: TreeDetails | null = null): number {
  const targets = solveTargetsFor({ name: 'gpu', tree: tree ?? undefined }, n, false, defaultRtol('float32'));
  return held === 'product' ? targets.momenta : targets.residual;
}

/**
 * A row's float64 check fields, with the sample's electrons where the rows were sampled, and its
 * target where it has one (checkTarget).
 */
function checkFields(
  check: Float64Check,
  fields: { check: number } | { true_residual: number },
  target: number | null = null,
): Pick<BenchRow, 'check' | 'true_residual' | 'sampled_electrons' | 'check_target' | 'within_target'> {
  const error = 'check' in fields ? fields.check : fields.true_residual;
  return {
    ...fields,
    ...(check.sampledElectrons === null ? {} : { sampled_electrons: check.sampledElectrons }),
    ...(target === null ? {} : { check_target: target, within_target: withinTarget(error, target) }),
  };
}

/** A warning line for each row whose float64 check is past its target. */
export function checkWarnings(rows: readonly BenchRow[]): string[] {
  return rows
    .filter((r) => r.within_target === false)
    .map((r) => {
      const [what, error] =
        r.check !== undefined ? ['check', r.check] : ['true residual', r.true_residual ?? NaN];
      return (
        `warning: n = ${r.n}: ${rowLabel(r)}: ${what} ${error.toExponential(2)} is past its target ` +
        `${r.check_target!.toExponential(2)} ("within_target": false)`
      );
    });
}

/** One product of `operator` of x into y, read back: `size` entries. */
async function productOf(
  context: GpuContext,
  operator: { record(encoder: GPUCommandEncoder, x: GPUBuffer, y: GPUBuffer): void },
  x: GPUBuffer,
  y: GPUBuffer,
  size: number,
): Promise<Float32Array> {
  const { device } = context;
  const encoder = device.createCommandEncoder({ label: 'Bench.product' });
  operator.record(encoder, x, y);
  device.queue.submit([encoder.finish()]);
  return readFloat32(device, y, size);
}

/** One size's bench: its system, settings, and the GPU objects to destroy at the end. */
interface SizeBench {
  readonly context: GpuContext;
  readonly system: DarwinSystem;
  readonly n: number;
  readonly size: number;
  /** The x of every product row: random (seed 1), in float32 as the GPU holds it. */
  readonly input: Float32Array;
  readonly check: Float64Check;
  /** check.rows(input), formed once, when a row's check first asks. */
  readonly inputRows: () => Promise<Float64Array>;
  readonly repeats: number;
  /** Each kernel at its default workgroup size (undefined, no label), then at every --workgroup-sizes one. */
  readonly workgroupSizes: readonly (number | undefined)[];
  readonly progress: Progress;
  /** Before every run of a row's timing loops (repeatProgress): its progress, and a stop asked for. */
  readonly beforeRepeat: BeforeRepeat;
  readonly destroy: { destroy(): void }[];
}

/** The copy and fill references: each streams a buffer as large as the stored matrix. */
interface References {
  readonly copyRun: RecordRun;
  readonly fillRun: RecordRun;
  /** Bytes of the buffer each streams. */
  readonly bytes: number;
  readonly copyGbps: number;
}

/** A row's common fields: time, bandwidth and rate by the models above, ratio to the copy. */
function benchRow(
  bench: SizeBench,
  references: Pick<References, 'copyGbps'>,
  name: string,
  timing: Timing,
  bytes: number | null,
  flops: number | null,
): BenchRow {
  const gbps = bytes === null ? null : rate(bytes, timing.ms);
  return {
    name,
    n: bench.n,
    unknowns: bench.size,
    ms: timing.ms,
    method: timing.method,
    gbps,
    gflops: flops === null ? null : rate(flops, timing.ms),
    ratio_to_copy: gbps === null ? null : gbps / references.copyGbps,
  };
}

/**
 * A kernel timed in runs alternating with a reference, round by round (timePaired): its
 * timing, its bandwidth's ratio to the reference's, and the reference's GB/s in those runs.
 */
async function pairedWith(
  bench: SizeBench,
  reference: RecordRun,
  run: RecordRun,
  bytes: number,
  referenceBytes: number,
) {
  const { repeats, beforeRepeat } = bench;
  const timing = await timePaired(bench.context, reference, run, { repeats, beforeRepeat });
  return {
    timing: timing.run,
    ratio: (bytes / referenceBytes) * timing.speedup,
    reference_gbps: rate(referenceBytes, timing.reference.ms),
  };
}

/** A row's variant label: the variant, and the workgroup size where one was asked for. */
function sizedVariant(variant: string | undefined, workgroupSize: number | undefined): string | undefined {
  return workgroupSize === undefined
    ? variant
    : [variant, `wg ${workgroupSize}`].filter((part) => part !== undefined).join(', ');
}

/** The kernel `make` builds, or null (and a note) where it cannot take this workgroup size. */
async function tryMake<T>(
  bench: SizeBench,
  what: string,
  workgroupSize: number | undefined,
  make: () => T | Promise<T>,
): Promise<T | null> {
  try {
    return await make();
  } catch (error) {
    if (workgroupSize === undefined || !(error instanceof RangeError)) throw error;
    bench.progress.log(
      `n = ${bench.n}: ${what} skipped at workgroup size ${workgroupSize}: ${error.message}`,
    );
    return null;
  }
}

/** The copy and fill rows, and the references the other rows are ratios to. */
async function benchReferences(
  bench: SizeBench,
  matrix: GpuMassMatrix,
): Promise<{ references: References; rows: BenchRow[] }> {
  const { context, n, repeats, progress, beforeRepeat } = bench;
  const { device } = context;
  const bytes = Math.ceil((4 * matrix.stride * bench.size) / 16) * 16;
  const usage = GPUBufferUsage.STORAGE;
  const source = device.createBuffer({ label: 'Bench.copySource', size: bytes, usage });
  const target = device.createBuffer({ label: 'Bench.copyTarget', size: bytes, usage });
  bench.destroy.push(source, target);
  const copy = new CopyKernel(device);
  progress.update(`n = ${n}: copy`);
  const copyRun: RecordRun = (e, tw) => copy.record(e, source, target, tw);
  const fillRun: RecordRun = (e, tw) => copy.fill(e, target, tw);
  const copyTime = await timeRuns(context, copyRun, { repeats, singlePass: true, beforeRepeat });
  const references = { copyRun, fillRun, bytes, copyGbps: rate(2 * bytes, copyTime.ms) };
  const rows = [benchRow(bench, references, 'copy', copyTime, 2 * bytes, null)];
  progress.update(`n = ${n}: fill`);
  const fillTime = await timeRuns(context, fillRun, { repeats, singlePass: true, beforeRepeat });
  rows.push({ ...benchRow(bench, references, 'fill', fillTime, bytes, null), ratio_to_fill: 1 });
  return { references, rows };
}

/**
 * Assembly, re-recorded into the matrix's own blocks, alternating with the fill: it writes the
 * matrix once, so its bound is the write bandwidth.
 */
async function benchAssembly(
  bench: SizeBench,
  references: References,
  matrix: GpuMassMatrix,
  positions: GPUBuffer,
): Promise<BenchRow[]> {
  const { context, system, n, size } = bench;
  bench.progress.update(`n = ${n}: assembly`);
  const model = gpuModel(system);
  const matrixBytes = 4 * matrix.stride * size;
  const rows: BenchRow[] = [];
  for (const workgroupSize of bench.workgroupSizes) {
    const assembler = await tryMake(
      bench,
      'assembly',
      workgroupSize,
      () => new AssembleKernel(context.device, workgroupSize),
    );
    if (!assembler) continue;
    const bindings = assembler.prepare('Bench.assemble', system, matrix.stride, positions, matrix.blocks);
    bench.destroy.push(...bindings.map((binding) => binding.params));
    const assembly = await pairedWith(
      bench,
      references.fillRun,
      (e, tw) => assembler.record(e, model, bindings, tw),
      matrixBytes,
      references.bytes,
    );
    const variant = sizedVariant(undefined, workgroupSize);
    rows.push({
      ...benchRow(
        bench,
        references,
        `assemble_${model}`,
        assembly.timing,
        matrixBytes,
        assemblyFlops(n, size),
      ),
      ...(variant ? { variant } : {}),
      ratio_to_fill: assembly.ratio,
      reference_gbps: assembly.reference_gbps,
    });
  }
  return rows;
}

/**
 * Every dense matvec variant the device can run, alternating with the copy: the chosen one on the
 * matrix benchSize assembled, each other on a matrix of its own, freed once timed.
 */
async function benchDenseMatvec(
  bench: SizeBench,
  references: References,
  matrix: GpuMassMatrix,
  x: GPUBuffer,
  y: GPUBuffer,
): Promise<BenchRow[]> {
  const { context, system, n, size } = bench;
  const rows: BenchRow[] = [];
  for (const workgroupSize of bench.workgroupSizes) {
    for (const variant of denseMatvecVariants(context.device)) {
      bench.progress.update(`n = ${n}: dense matvec (${sizedVariant(variant, workgroupSize)})`);
      const operator =
        variant === matrix.variant && workgroupSize === undefined
          ? matrix
          : await tryMake(bench, `the ${variant} dense matvec`, workgroupSize, () =>
              GpuMassMatrix.assemble(context, system, { variant, workgroupSize }),
            );
      if (!operator) continue;
      const bytes = denseMatvecBytes(size);
      let product;
      let check: number;
      try {
        product = await pairedWith(
          bench,
          references.copyRun,
          (e, tw) => operator.record(e, x, y, { timestampWrites: tw }),
          bytes,
          2 * references.bytes,
        );
        const gpuProduct = await productOf(context, operator, x, y, size);
        check = productError(bench.check, gpuProduct, await bench.inputRows());
      } finally {
        // Each other variant holds a matrix of its own: one at a time beside the chosen one.
        if (operator !== matrix) operator.destroy();
      }
      rows.push({
        ...benchRow(bench, references, 'matvec_dense', product.timing, bytes, denseMatvecFlops(size)),
        ratio_to_copy: product.ratio,
        reference_gbps: product.reference_gbps,
        variant: sizedVariant(variant, workgroupSize),
        chosen: operator === matrix,
        ...checkFields(bench.check, { check }, checkTarget('product', n)),
      });
    }
  }
  return rows;
}

/**
 * A matvec_free row: rated in flops and pair interactions, for it reads no matrix; `product` its
 * product of the bench's x, which its check compares with float64's (`exactRows`, bench.inputRows).
 */
function matrixFreeRow(
  bench: SizeBench,
  timing: Timing,
  workgroupSize: number | undefined,
  product: ArrayLike<number>,
  exactRows: Float64Array,
): BenchRow {
  const { n, system } = bench;
  const variant = sizedVariant(undefined, workgroupSize);
  return {
    // Nothing here is a ratio to a bandwidth (the row has no byte count).
    ...benchRow(bench, { copyGbps: NaN }, 'matvec_free', timing, null, matrixFreeFlops(n, blockSize(system))),
    ...(variant ? { variant } : {}),
    ginteractions: rate(n * n, timing.ms),
    ...checkFields(
      bench.check,
      { check: productError(bench.check, product, exactRows) },
      checkTarget('product', n),
    ),
  };
}

/** The matrix-free matvec timed on its own at each of `workgroupSizes`. */
async function benchMatrixFree(
  bench: SizeBench,
  workgroupSizes: readonly (number | undefined)[],
  x: GPUBuffer,
  y: GPUBuffer,
): Promise<BenchRow[]> {
  const { context, system, n, repeats, beforeRepeat } = bench;
  const rows: BenchRow[] = [];
  for (const workgroupSize of workgroupSizes) {
    bench.progress.update(`n = ${n}: matrix-free matvec${workgroupSize ? ` (wg ${workgroupSize})` : ''}`);
    const free = await tryMake(bench, 'the matrix-free matvec', workgroupSize, () =>
      GpuMatrixFreeMassMatrix.create(context, system, { workgroupSize }),
    );
    if (!free) continue;
    let freeTime;
    let product;
    try {
      freeTime = await timeRuns(context, (e, tw) => free.record(e, x, y, { timestampWrites: tw }), {
        repeats,
        singlePass: true,
        beforeRepeat,
      });
      product = await productOf(context, free, x, y, bench.size);
    } finally {
      free.destroy();
    }
    rows.push(matrixFreeRow(bench, freeTime, workgroupSize, product, await bench.inputRows()));
  }
  return rows;
}

/**
 * matvec_free (every workgroup size) and matvec_tree (the FMM product at the default tolerance) on
 * the same x: the tree's relative error is against the float64 direct product of that x. With the
 * tree, the free product at the default workgroup size is timed only in runs alternating with it
 * (timePaired): matvec_free's ms, matvec_tree's ms and the speed-up are then all of those runs.
 */
async function benchFastProducts(bench: SizeBench, only: ReadonlySet<BenchKernel>): Promise<BenchRow[]> {
  const { context, system, n, size, repeats, beforeRepeat } = bench;
  const { device } = context;
  const x = createVector(device, 'Bench.x', bench.input);
  const y = createVector(device, 'Bench.y', size);
  bench.destroy.push(x, y);
  const withTree = only.has('matvec_tree');
  const alone = bench.workgroupSizes.filter((workgroupSize) => !withTree || workgroupSize !== undefined);
  const rows = only.has('matvec_free') ? await benchMatrixFree(bench, alone, x, y) : [];
  if (!withTree) return rows;
  const freeOperator = await GpuMatrixFreeMassMatrix.create(context, system);
  bench.destroy.push(freeOperator);
  bench.progress.update(`n = ${n}: tree matvec (building the tree)`);
  // Each pipeline built a checkpoint: a signal stops the bench within one (seconds on SwiftShader).
  const tree = await GpuTreeMassMatrix.create(context, system, {
    onPipeline: (done, total) => bench.progress.within(`pipeline ${done} of ${total}`),
  });
  bench.destroy.push(tree);
  const freeY = await productOf(context, freeOperator, x, y, size);
  bench.progress.update(`n = ${n}: tree matvec beside the matrix-free one`);
  // Alternating with the free product, so that the speed-up is taken round by round on the device
  // as it is at that moment (a shared CPU drifts by factors over a long bench).
  const paired = await timePaired(
    context,
    (e, tw) => freeOperator.record(e, x, y, { timestampWrites: tw }),
    (e, tw) => tree.record(e, x, y, { timestampWrites: tw }),
    { repeats, beforeRepeat },
  );
  const treeY = await productOf(context, tree, x, y, size);
  const wValues = Float32Array.from(velocityPattern(system, 'random', 2));
  const w = createVector(device, 'Bench.w', wValues);
  bench.destroy.push(w);
  const treeW = await productOf(context, tree, w, y, size);
  const freeW = await productOf(context, freeOperator, w, y, size);
  const exact = { rows: await bench.inputRows(), sample: bench.check.sample };
  return [
    matrixFreeRow(bench, paired.reference, undefined, freeY, exact.rows),
    ...rows,
    {
      ...benchRow(bench, { copyGbps: NaN }, 'matvec_tree', paired.run, null, null),
      ...treeRowFields(
        system,
        { x: bench.input, treeY, w: wValues, treeW },
        tree.counts,
        { freeY, freeW, speedup: paired.speedup },
        exact,
      ),
      ...checkFields(
        bench.check,
        { check: productError(bench.check, treeY, exact.rows) },
        checkTarget('product', n, treeDetails(tree.tree)),
      ),
    },
  ];
}

/** The tree's products of random x and w, which matvec_tree's fields are formed from. */
export interface TreeRowProducts {
  readonly x: ArrayLike<number>;
  readonly treeY: ArrayLike<number>;
  readonly w: ArrayLike<number>;
  readonly treeW: ArrayLike<number>;
}

/**
 * The float64 direct product of the tree's x: its rows at `sample`'s electrons (every unknown where
 * null), which matvec_tree's relative_error is against.
 */
export interface ExactProduct {
  readonly rows: Float64Array;
  readonly sample: Pick<CheckSample, 'electrons' | 'weights'> | null;
}

/** matvec_free beside the tree: its products of the same x and w, and the tree's speed-up over it. */
export interface FreeBeside {
  readonly freeY: ArrayLike<number>;
  readonly freeW: ArrayLike<number>;
  /** PairedTiming.speedup of the runs alternating the two products. */
  readonly speedup: number;
}

/**
 * |x.Mw - w.Mx| / (|x| |Mw - D w|) from the products y = Mx, z = Mw (D = diag M, symmetric, so
 * this is the asymmetry of the interaction part alone).
 */
function asymmetry(
  diagonal: ArrayLike<number>,
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  w: ArrayLike<number>,
  z: ArrayLike<number>,
): number {
  let xz = 0;
  let wy = 0;
  let xx = 0;
  let interaction = 0;
  for (let k = 0; k < x.length; k++) {
    xz += x[k] * z[k];
    wy += w[k] * y[k];
    xx += x[k] ** 2;
    interaction += (z[k] - diagonal[k] * w[k]) ** 2;
  }
  return Math.abs(xz - wy) / Math.sqrt(xx * interaction);
}

/**
 * matvec_tree's own fields: its work (tree.counts) and its asymmetry; with the float64 direct
 * product of x (`exact`), its relative error against it (of eps T x, which is all the tree
 * approximates: interactionError); with the free product beside it, its speed-up over it and the
 * free product's asymmetry beside its own.
 */
export function treeRowFields(
  system: DarwinSystem,
  { x, treeY, w, treeW }: TreeRowProducts,
  { directPairs, translations }: TreeProductCounts,
  free: FreeBeside | null,
  exact: ExactProduct | null,
): Pick<
  BenchRow,
  | 'interactions'
  | 'direct_pairs'
  | 'translations'
  | 'relative_error'
  | 'speedup'
  | 'asymmetry'
  | 'free_asymmetry'
> {
  const diagonal = massDiagonal(system);
  const own = {
    interactions: directPairs + translations,
    direct_pairs: directPairs,
    translations,
    asymmetry: asymmetry(diagonal, x, treeY, w, treeW),
  };
  // eps T x = y - D x of the GPU tree's float32 y carries float32's 2^-24 |y|, harmless here: at the
  // bench's eps = 1e-3 eps T x is not small against D x.
  const sample = exact?.sample;
  const at = (values: ArrayLike<number>) =>
    sample ? sampledEntries(values, sample.electrons, blockSize(system)) : values;
  const error =
    exact &&
    interactionError(
      system,
      interactionOfMomenta(diagonal, x, treeY),
      interactionOfMomenta(at(diagonal), at(x), exact.rows),
      exact.sample,
    );
  const beside = free && {
    speedup: free.speedup,
    free_asymmetry: asymmetry(diagonal, x, free.freeY, w, free.freeW),
  };
  return { ...own, ...(error === null ? {} : { relative_error: error }), ...beside };
}

async function benchSize(
  context: GpuContext,
  system: DarwinSystem,
  repeats: number,
  workgroupSizes: readonly number[],
  only: ReadonlySet<BenchKernel>,
  progress: Progress,
): Promise<BenchRow[]> {
  const n = system.configuration.n;
  const size = unknowns(system);
  // Past kCheckMaxUnknowns the check's sample takes seconds at 10^6 (its nearest-neighbour queries).
  if (size > kCheckMaxUnknowns) progress.update(`n = ${n}: the check's sample`);
  const check = await float64Check(system, checkHooks(progress));
  let inputRows: Promise<Float64Array> | undefined;
  const input = Float32Array.from(velocityPattern(system, 'random', 1));
  const bench: SizeBench = {
    context,
    system,
    n,
    size,
    input,
    check,
    inputRows: () => (inputRows ??= check.rows(input)),
    repeats,
    workgroupSizes: [undefined, ...workgroupSizes],
    progress,
    beforeRepeat: repeatProgress(progress),
    destroy: [],
  };
  const wants = (...kernels: BenchKernel[]) => kernels.some((kernel) => only.has(kernel));
  const rows: BenchRow[] = [];
  try {
    // Every row but the sweep is timed on this M, beside the copy and fill references.
    if (wants(...kMatrixRows)) {
      progress.update(`n = ${n}: assembling ${size} x ${size}`);
      const matrix = await GpuMassMatrix.assemble(context, system);
      bench.destroy.push(matrix);
      const { references, rows: referenceRows } = await benchReferences(bench, matrix);
      rows.push(...referenceRows);
      if (wants('assemble')) {
        const positions = createPositionsBuffer(context.device, system);
        bench.destroy.push(positions);
        rows.push(...(await benchAssembly(bench, references, matrix, positions)));
      }
      const x = createVector(context.device, 'Bench.x', input);
      const y = createVector(context.device, 'Bench.y', size);
      bench.destroy.push(x, y);
      if (wants('matvec_dense')) rows.push(...(await benchDenseMatvec(bench, references, matrix, x, y)));
      if (wants('cg_iteration', 'cg_solve')) {
        // The chosen matvec again, timed as cg_iteration is (by the wall clock, as differences of
        // runs) and alternately with it, so that ratio_to_matvec compares like with like.
        const matvecSample = wallClockSampler(context, (encoder) => matrix.record(encoder, x, y));
        rows.push(
          ...(await benchKrylov(
            context,
            check,
            matrix,
            references.copyGbps,
            matvecSample,
            repeats,
            progress,
          )),
        );
      }
    }
    // The O(N)-memory products need no stored matrix: they run at any N, before the CG rows.
    if (wants('matvec_free', 'matvec_tree')) {
      const fast = await benchFastProducts(bench, only);
      const firstCg = rows.findIndex((row) => row.name.startsWith('cg_'));
      rows.splice(firstCg < 0 ? rows.length : firstCg, 0, ...fast);
    }
    // The sweep opens its own backend; its rows go before the CG rows, so that cg_solve stays last.
    if (wants('response_sweep')) {
      const sweep = await benchResponseSweep(context, system, progress);
      const firstCg = rows.findIndex((row) => row.name.startsWith('cg_'));
      rows.splice(firstCg < 0 ? rows.length : firstCg, 0, ...sweep);
    }
    const asked = rows.filter((row) => only.has(benchKernel(row)));
    for (const warning of checkWarnings(asked)) progress.log(warning);
    return asked;
  } finally {
    for (const item of bench.destroy) item.destroy();
  }
}

/**
 * response_sweep: runResponse (the field drive on this n's sphere, the study's default N r_e/R) on
 * one GPU backend of the storage 'auto' chooses, as the response command runs it, by the wall
 * clock: ms the whole sweep (the study's observables included), assembly_ms the opening of its one
 * backend, solves_ms the CG solves, lanczos_ms the m_indefinite probe's Lanczos run (where a pair is
 * within reach of indefiniteness, run.ts mayBeIndefinite). 'warm' starts each solve from the
 * Galerkin solution in the span of the earlier ones (sweepWarmStart); 'cold' from zero. The Krylov
 * pipelines are built before, so neither row pays for them. Its progress reports name the point on
 * the row's line. Once the sweep is timed, its points are checked (sweepCheck).
 */
async function benchResponseSweep(
  context: GpuContext,
  system: DarwinSystem,
  progress: Progress,
): Promise<BenchRow[]> {
  const n = system.configuration.n;
  const spec = responseSpec({
    geometry: system.configuration.source,
    n: String(n),
    model: system.model,
    dim: String(system.dim),
    device: 'gpu',
  });
  const warmUp = await gpuBackend(context, benchSystem(4, system.model, system.dim));
  warmUp.dispose();
  const rows: BenchRow[] = [];
  for (const start of ['warm', 'cold'] as const) {
    progress.update(`n = ${n}: response sweep (${start} starts)`);
    let assemblyMs = 0;
    let solvesMs = 0;
    let lanczosMs = 0;
    let storage = '';
    const open = async (swept: DarwinSystem): Promise<MassMatrixBackend> => {
      const opened = performance.now();
      const backend: GpuBackend = await gpuBackend(context, swept, { matrix: spec.matrix });
      assemblyMs += performance.now() - opened;
      storage = backend.matrix;
      return {
        name: backend.name,
        get system() {
          return backend.system;
        },
        // Where auto took the tree, the sweep solves and checks as the study does on it.
        tree: backend.tree,
        momenta: (velocities) => backend.momenta(velocities),
        interaction: (velocities) => backend.interaction(velocities),
        velocities: async (momenta, solver, options) => {
          const solving = performance.now();
          const x0 = start === 'warm' ? options?.x0 : undefined;
          const result = await backend.velocities(momenta, solver, { ...options, x0 });
          solvesMs += performance.now() - solving;
          return result;
        },
        spectrum: async (options) => {
          const running = performance.now();
          const result = await backend.spectrum(options);
          lanczosMs += performance.now() - running;
          return result;
        },
        setEpsilon: (epsilon) => backend.setEpsilon(epsilon),
        dispose: () => backend.dispose(),
      };
    };
    // Its reports on the row's progress line, each a checkpoint: a signal stops the bench at the
    // sweep's next report (Interrupted), and no partial sweep is timed.
    const result = await runResponse(spec, open, { progress: (text) => progress.within(text) });
    progress.update(`n = ${n}: response sweep (${start} starts): float64 check`);
    rows.push({
      name: 'response_sweep',
      variant: `${storage}/${start}`,
      n,
      unknowns: unknowns(system),
      ms: result.milliseconds,
      method: 'solve',
      gbps: null,
      gflops: null,
      ratio_to_copy: null,
      iterations: result.points.reduce((sum, point) => sum + point.iterations, 0),
      assembly_ms: assemblyMs,
      solves_ms: solvesMs,
      lanczos_ms: lanczosMs,
      solves: result.points.length,
      ratio_to_parts: result.milliseconds / (assemblyMs + solvesMs + lanczosMs),
      ...(await sweepCheck(spec, result.points, checkHooks(progress))),
    });
  }
  return rows;
}

/**
 * A response sweep's float64 check: whether every point's solve converged (a note names those that
 * did not: M is indefinite past eps |lambda_min| = 1), and the largest float64 true residual
 * ||b - M64 s|| / ||b|| of those that did, s the point's solution and b the drive's right-hand side
 * at its eps; each point's rows paced by `hooks` (Float64Check.rows).
 */
async function sweepCheck(
  spec: ResponseSpec,
  points: readonly Pick<
    ResponsePoint,
    'configuration' | 'epsilon' | 'nEpsilon' | 'converged' | 'reason' | 'velocities'
  >[],
  hooks: PacingHooks,
): Promise<Pick<BenchRow, 'converged' | 'note' | 'true_residual' | 'sampled_electrons'>> {
  const stopped = points.filter((point) => !point.converged);
  const residuals = [];
  for (const point of points.filter((p) => p.converged)) {
    const { configuration, epsilon } = point;
    // As the study solves it (responsePoint).
    const at: DarwinSystem = { configuration, model: spec.model, dim: spec.dim, epsilon, softening: 0 };
    const check = await float64Check(at, hooks);
    const b = driveRightHandSide(at, spec.drive);
    residuals.push({
      check,
      residual: await trueResidual(check, b, solutionOfTriples(at, point.velocities)),
    });
  }
  const note =
    stopped.length === 0
      ? {}
      : {
          note:
            `${stopped.length} of ${points.length} solves did not converge: ` +
            stopped.map((p) => `${p.reason} at N r_e/R = ${p.nEpsilon.toPrecision(3)}`).join(', '),
        };
  const check =
    residuals.length === 0
      ? {}
      : checkFields(residuals[0].check, { true_residual: Math.max(...residuals.map((r) => r.residual)) });
  return { converged: stopped.length === 0, ...note, ...check };
}

/**
 * cg_iteration: the difference between CG runs held to kShortRun and kLongRun iterations (rtol 0),
 * divided by the iterations between them (fewer where a small system reaches r = 0 first), so
 * set-up, uploads and the final readback cancel and the readbacks every k iterations stay in; the
 * median of `repeats` such differences. A well-conditioned M reaches float32's floor (r = 0) in
 * ~10 iterations, hence the short runs. Bytes and flops are the matvec's plus the vector updates'
 * (about 10 vectors read or written, 10 size flops). ratio_to_matvec: the median, over the
 * repeats, of one such CG sample over one sample of the chosen dense matvec taken right after it
 * the same way (wallClockSampler), so that both see the machine as it is then.
 * cg_solve: one full solve of M v = M v_random at the float32 default tolerance.
 */
export const kShortRun = 2;
export const kLongRun = 8;

/** runMs(kLongRun) - runMs(kShortRun): what a run costs besides its steps (set-up, the final wait) cancels. */
async function longMinusShort(runMs: (steps: number) => Promise<number>): Promise<number> {
  return (await runMs(kLongRun)) - (await runMs(kShortRun));
}

/**
 * A sampler of the milliseconds of one run of `record`: each call times command buffers holding
 * kLongRun and kShortRun runs, each submitted and awaited, and divides the difference by the runs
 * between them. The first call warms up.
 */
function wallClockSampler(
  context: GpuContext,
  record: (encoder: GPUCommandEncoder) => void,
): () => Promise<number> {
  const { device } = context;
  const runMs = async (runs: number) => {
    const start = performance.now();
    const encoder = device.createCommandEncoder({ label: 'Bench.wallClock' });
    for (let k = 0; k < runs; k++) record(encoder);
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    return performance.now() - start;
  };
  let warm = false;
  return async () => {
    if (!warm) await runMs(kShortRun);
    warm = true;
    return (await longMinusShort(runMs)) / (kLongRun - kShortRun);
  };
}

async function benchKrylov(
  context: GpuContext,
  check: Float64Check,
  matrix: GpuMassMatrix,
  copyGbps: number,
  matvecSample: () => Promise<number>,
  repeats: number,
  progress: Progress,
): Promise<BenchRow[]> {
  const { system } = check;
  const size = unknowns(system);
  const n = system.configuration.n;
  const chosen = krylovStepFor(context.profile, size);
  const iterationBytes = cgIterationBytes(size);
  const iterationFlops = cgIterationFlops(size);
  const base = { n, unknowns: size, method: 'solve' as const };
  const beforeRepeat = repeatProgress(progress);
  const rows: BenchRow[] = [];
  let note: string | undefined;
  let solve: BenchRow | undefined;
  for (const step of kKrylovStepVariants) {
    // On the matrix benchSize assembled: an engine holds no buffers of its own.
    const engine = await withErrorScopes(context.device, 'Bench.krylovEngine', () =>
      createKrylovEngine(context, matrix, massDiagonal(system), { step }),
    );
    const b = await gpuMomenta(engine, velocityPattern(system, 'random', 2));
    progress.update(`n = ${n}: CG iterations (${step} step)`);
    const run = async (maxIterations: number) => {
      const start = performance.now();
      const result = await gpuSolve(engine, b, 'cg', { rtol: 0, maxIterations });
      return { ms: performance.now() - start, iterations: result.iterations, x: result.x };
    };
    beforeRepeat(0, repeats);
    const short = await run(kShortRun);
    // A small system reaches r = 0 before kLongRun: time the iterations it does make, the same in
    // every run (the solve is deterministic).
    const long = await run(kLongRun);
    const timed = long.iterations - short.iterations;
    // (iteration, matvec) samples taken back to back.
    const samples: [number, number][] = [];
    for (let k = 0; timed >= 2 && k < repeats; k++) {
      beforeRepeat(k + 1, repeats);
      const iteration = (await longMinusShort(async (steps) => (await run(steps)).ms)) / timed;
      samples.push([iteration, await matvecSample()]);
    }
    const variant = `${matrix.variant}/${step}`;
    // Differences below the wall clock's noise (small n on a busy machine) can come out <= 0:
    // the ratio needs at least half the pairs usable, the row a positive median.
    const paired = pairedMedians(samples);
    const perIteration = paired?.first ?? (samples.length > 0 ? median(samples.map(([ms]) => ms)) : NaN);
    if (perIteration > 0 && !paired && step === chosen)
      progress.log(`n = ${n}: no CG / matvec ratio: the timings are below the wall clock's noise here`);
    if (perIteration > 0) {
      rows.push({
        ...base,
        name: 'cg_iteration',
        variant,
        chosen: step === chosen,
        ms: perIteration,
        gbps: rate(iterationBytes, perIteration),
        gflops: rate(iterationFlops, perIteration),
        ratio_to_copy: rate(iterationBytes, perIteration) / copyGbps,
        ...(paired ? { matvec_ms: paired.second, ratio_to_matvec: paired.ratio } : {}),
        iterations: timed,
        ...checkFields(check, { true_residual: await trueResidual(check, b, long.x) }),
      });
    } else if (step === chosen) {
      note = noCgIterationNote(timed, long.iterations, variant);
      progress.log(`n = ${n}: ${note}`);
    }
    if (step !== chosen) continue;
    progress.update(`n = ${n}: CG solve`);
    const start = performance.now();
    const solved = await gpuSolve(engine, b, 'cg');
    const solveMs = performance.now() - start;
    solve = {
      ...base,
      name: 'cg_solve',
      variant,
      ms: solveMs,
      gbps: rate(iterationBytes * solved.iterations, solveMs),
      gflops: rate(iterationFlops * solved.iterations, solveMs),
      ratio_to_copy: rate(iterationBytes * solved.iterations, solveMs) / copyGbps,
      iterations: solved.iterations,
      reason: solved.reason,
      converged: solved.converged,
      ...checkFields(
        check,
        { true_residual: await trueResidual(check, b, solved.x) },
        checkTarget('solve', n),
      ),
      ...(note === undefined ? {} : { note }),
    };
  }
  // After every cg_iteration row: the solve is the chosen variants'.
  return solve ? [...rows, solve] : rows;
}

/**
 * Why a bench has no cg_iteration row (of `variant`, the GPU's): CG reached r = 0 in `iterations`,
 * leaving fewer than 2 `timed` between the short and the long run, or one iteration's time (a
 * difference of two runs) came out below the wall clock's noise (small n on a busy machine).
 */
export function noCgIterationNote(timed: number, iterations: number, variant?: string): string {
  const row = variant === undefined ? 'cg_iteration' : `cg_iteration (${variant})`;
  return timed < 2
    ? `no ${row}: CG reaches r = 0 in ${iterations} iterations, too few to time one`
    : `no ${row}: one is below the wall clock's noise here; more --repeats may resolve it`;
}

export async function benchCommand(argv: string[], progress: Progress): Promise<CommandOutput> {
  const { values } = parseCommandArgs(argv, kOptions);
  if (values.help) return { help: kBenchHelp };
  // One electron has no pair: the products are the diagonal alone, and the tree's error 0/0.
  const sizes = (values.n ?? ['1024']).map((text) => {
    // london, pairing and response take a list after one flag; here each size is a flag of its own.
    if (text.includes(',')) {
      throw new InputError(
        `--n takes one N; repeat the flag for several (--n 256 --n 1024), got '${text}'`,
        'n',
      );
    }
    return parseNumber('n', text, (x) =>
      Number.isInteger(x) && x >= 2 && x <= kMaxElectrons
        ? null
        : `must be an integer in 2..${kMaxElectrons}`,
    );
  });
  // A size or workgroup size named twice would time its rows twice, under the same labels.
  checkNoneRepeated(sizes, '--n', 'n');
  // Two kernels alternating take 4 timestamps a repeat, and a query set holds at most 4096.
  const repeats = parseNumber('repeats', values.repeats, (x) =>
    Number.isInteger(x) && x >= 1 && x <= kMaxRepeats ? null : `must be an integer in 1..${kMaxRepeats}`,
  );
  const workgroupSizes = numberList(
    'workgroup-sizes',
    '--workgroup-sizes',
    values['workgroup-sizes'] ?? [],
    powerOfTwo,
    { refuseRepeats: true },
  );
  if (values.model !== 'vector' && values.model !== 'azimuthal') {
    throw new InputError(`--model must be vector|azimuthal, got '${values.model}'`);
  }
  // As solve, spectrum and response: --dim is the vector model's, refused beside azimuthal.
  const dim = parseDimensionFor(values.model, values.dim, '--dim', '--model');
  const only = parseOnly(values.only);
  const device = parseDevice(values.device, '--device');
  if (device === 'cpu') {
    if (workgroupSizes.length > 0)
      throw new InputError('--workgroup-sizes is for the GPU bench', 'workgroup-sizes');
    // Without --only every CPU row runs; a GPU row named in --only is refused, even beside CPU rows,
    // rather than left out unsaid.
    const gpuOnly = kGpuOnlyKernels.filter((kernel) => only.has(kernel));
    if (values.only !== undefined && gpuOnly.length > 0) {
      throw new InputError(
        `--only ${gpuOnly.join(',')}: ${gpuOnly.length > 1 ? 'rows' : 'a row'} of the GPU bench; --device cpu has ` +
          kBenchKernels.filter((kernel) => !kGpuOnlyKernels.includes(kernel)).join('|'),
        'only',
      );
    }
    const threads = threadsOption(values.threads);
    const options: CpuBenchOptions = { sizes, model: values.model, dim, repeats, threads, only };
    const kernels = benchCpu(options, kHostMemory, progress);
    progress.done();
    return benchOutput(values, { device: kCpuDevice, threads }, kernels);
  }
  if (values.threads !== undefined) throw new InputError('--threads is for bench --device cpu', 'threads');
  const gpu = await openGpu();
  try {
    checkGpuBenchFits(gpu.context, sizes, values.model, dim, only);
    const kernels: BenchRow[] = [];
    for (const n of sizes) {
      const system = benchSystem(n, values.model, dim);
      kernels.push(...(await benchSize(gpu.context, system, repeats, workgroupSizes, only, progress)));
    }
    progress.done();
    return benchOutput(values, { device: gpu.device }, kernels);
  } finally {
    releaseDevice(gpu.context);
  }
}

/** The JSON summary (with `threads` on the CPU), as a Markdown or a plain table. */
function benchOutput(
  values: { json: boolean; markdown: boolean },
  where: { device: DeviceSummary; threads?: number },
  kernels: BenchRow[],
): CommandOutput {
  const summary = {
    command: 'bench',
    version: kProgramVersion,
    date: new Date().toISOString().slice(0, 10),
    ...where,
    kernels,
  };
  if (values.markdown) {
    const markdown = benchMarkdown(kernels);
    return { json: values.json, summary: { ...summary, markdown }, text: `${markdown}\n` };
  }
  const threads = where.threads === undefined ? '' : `threads: ${where.threads}\n`;
  return { json: values.json, summary, text: threads + benchTable(kernels, where.device) };
}

/** --only's rows, or every row. */
function parseOnly(text: string | undefined): ReadonlySet<BenchKernel> {
  if (text === undefined) return new Set(kBenchKernels);
  const names = text.split(',').map((name) => name.trim());
  const known = new Set<string>(kBenchKernels);
  const unknown = names.filter((name) => !known.has(name));
  if (unknown.length > 0 || names.length === 0) {
    throw new InputError(`--only takes ${kBenchKernels.join('|')}, got '${unknown.join(',') || text}'`);
  }
  // As --workgroup-sizes and --n: a row named twice is a typo, not a second row.
  checkNoneRepeated(names, '--only', 'only');
  return new Set(names as BenchKernel[]);
}

function fixed(value: number | null | undefined, digits: number): string {
  return value === null || value === undefined ? '-' : value.toFixed(digits);
}

/** A row's name in the table: the kernel and its variant, and whether the device gets it. */
function rowLabel(r: BenchRow): string {
  return r.variant ? `${r.name} (${r.variant}${r.chosen ? ', chosen' : ''})` : r.name;
}

/** The table's header and one row of cells per kernel. */
function benchCells(rows: BenchRow[]): string[][] {
  const header = [
    'kernel',
    'n',
    'unknowns',
    'ms',
    'GB/s',
    'GFLOP/s',
    'ratio to copy',
    'ratio to fill',
    'CG / matvec',
    'float64 check',
    'timing',
  ];
  const lines = rows.map((r) => [
    rowLabel(r),
    String(r.n),
    String(r.unknowns),
    fixed(r.ms, 3),
    fixed(r.gbps, 2),
    r.ginteractions !== undefined
      ? `${fixed(r.gflops, 2)} (${fixed(r.ginteractions, 3)} Gpair/s)`
      : fixed(r.gflops, 2),
    fixed(r.ratio_to_copy, 2),
    fixed(r.ratio_to_fill, 2),
    fixed(r.ratio_to_matvec, 2),
    checkCell(r),
    timingCell(r),
  ]);
  return [header, ...lines];
}

/**
 * A row's float64 check: a product's error, or a solve's true residual (cg_solve's beside its
 * reason, a sweep's beside the word where not every solve converged), its sampled electrons.
 */
function checkCell(r: BenchRow): string {
  const error =
    r.check !== undefined
      ? r.check.toExponential(1)
      : r.true_residual !== undefined
        ? `residual ${r.true_residual.toExponential(1)}`
        : null;
  const stopped = r.reason ?? (r.converged === false ? 'not all converged' : null);
  const past = r.within_target === false ? `past its target ${r.check_target!.toExponential(1)}` : null;
  const parts = [stopped, error, past].filter((part) => part !== null);
  if (parts.length === 0) return '-';
  return parts.join(', ') + (r.sampled_electrons === undefined ? '' : ` (${r.sampled_electrons} electrons)`);
}

/** How a row was timed; the sweep's parts and their ratio to its total. */
function timingCell(r: BenchRow): string {
  if (r.direct_pairs !== undefined) {
    const free = r.speedup === undefined ? '' : `${fixed(r.speedup, 2)}x matvec_free, `;
    const error =
      r.relative_error === undefined ? '' : `error of eps T x ${r.relative_error.toExponential(1)}, `;
    return (
      `${r.method}; ${free}${error}asymmetry ${r.asymmetry?.toExponential(1)}` +
      `${r.free_asymmetry === undefined ? '' : ` (free ${r.free_asymmetry.toExponential(1)})`}, ` +
      `${r.direct_pairs} pairs + ${r.translations} M2L${r.note ? `; ${r.note}` : ''}`
    );
  }
  if (r.ratio_to_parts !== undefined) {
    return (
      `${r.solves} solves, ${r.iterations} iterations: assembly ${fixed(r.assembly_ms, 1)} ms + ` +
      `solves ${fixed(r.solves_ms, 1)} ms + Lanczos ${fixed(r.lanczos_ms, 1)} ms; ` +
      `total / (assembly + solves + Lanczos) ${fixed(r.ratio_to_parts, 2)}` +
      (r.note ? `; ${r.note}` : '')
    );
  }
  return r.iterations === undefined ? r.method : `${r.method}, ${r.iterations} iterations`;
}

/** The kernels as a Markdown table (for the README, or a lab notebook). */
export function benchMarkdown(rows: BenchRow[]): string {
  const [header, ...lines] = benchCells(rows);
  return markdownTable(header, lines);
}

export function benchTable(rows: BenchRow[], device: DeviceSummary): string {
  // The --json field "device" has every detail; the table names the device as the other commands do.
  return `device: ${deviceName(device)}\n\n${textTable(benchCells(rows)).join('\n')}\n`;
}
