// Which backend a command runs on (--device, --matrix, --tree-tol) and the float64 check beside it
// (--check).
// Both backends honour MassMatrixBackend (src/run/backend.ts), so the commands never branch on it.
import { freemem } from 'node:os';
import { releaseDevice, type DeviceMemory, type GpuContext } from '../gpu/device.ts';
import {
  autoStorage,
  checkGpuBackendFits,
  checkGpuSizeFits,
  denseAllocation,
  freeAllocation,
  gpuBackend,
  operatorBytes,
  treeAllocation,
  type GpuBackend,
  type GpuOperation,
  type GpuSizeOptions,
  type MatrixStorage,
} from '../engine/backend.ts';
import {
  krylovStepFor,
  kTreeCrossover,
  kTreeProductCrossover,
  kTreeSpectrumCrossover,
} from '../gpu/profile.ts';
import {
  chunkPairs,
  kMatvecFreeWorkgroupSize,
  kMaxChunks,
  rowsPerChunk,
  rowsPerWorkgroup,
} from '../kernels/matvec-free.ts';
import { InputError } from '../physics/input-error.ts';
import { kMaxDenseSize, unknowns, type DarwinSystem, type SystemSize } from '../physics/models.ts';
import { kDefaultTreeTolerance, kTreeWorkShare, type TreeDetails } from '../physics/tree-build.ts';
import {
  checkCpuBackendFits,
  chooseCpuStorage,
  cpuBackend,
  cpuBackendBytes,
  cpuTreeBackendBytes,
  kCpuTreeMinUnknowns,
  openCpuBackend,
  treeWorkWarning,
  type MassMatrixBackend,
} from '../run/backend.ts';
import { deviceName, gigabytes, kCpuDevice, megabytes, type DeviceSummary } from '../io/formats.ts';
import { checkFloat32System } from '../physics/float32.ts';
import {
  checkDecision,
  kCheckMaxUnknowns,
  kClosestCheckElectrons,
  kSampledCheckElectrons,
  sampleWords,
  type CheckDecision,
  type Reference,
  type SampledReference,
} from '../run/check.ts';
import { chunkEstimate } from '../run/chunks.ts';
import { kCpuKernels } from '../parallel/mass-matrix.ts';
import { nodeThreads, nodeWorkerPool } from '../parallel/node.ts';
import type { WorkerPool } from '../parallel/pool.ts';
import {
  parseDevice,
  parseMatrix,
  parseThreads,
  parseTreeToleranceFor,
  type DeviceChoice,
  type MatrixChoice,
} from '../run/inputs.ts';
import { openGpu } from './device.ts';
import { float64Products, kRefinementRtol, refines, type Float64Products } from '../run/refine.ts';
import { nodeReference } from './reference.ts';
import type { FloatReference, ReferenceProgressHook } from '../run/reference.ts';
import type { Progress } from './progress.ts';

export const kBackendOptions = {
  device: { type: 'string', default: 'gpu' },
  matrix: { type: 'string', default: 'auto' },
  'tree-tol': { type: 'string' },
  check: { type: 'boolean' },
  'no-check': { type: 'boolean' },
  threads: { type: 'string' },
} as const;

export const kBackendHelp = `Backend:
  --device gpu|cpu          the WebGPU engine (float32) or the float64 CPU reference     [gpu]
  --matrix dense|free|tree|auto
                            storage of M: dense, matrix-free (GPU: entries recomputed per
                            product), the fast multipole tree (O(N) memory and time, to
                            --tree-tol; O(N^2) time with a --softening past ~0.005, which
                            a warning says), or auto: on the GPU dense while it fits the memory
                            budget, past it matrix-free, and the tree from the device's
                            crossover N on (${kTreeCrossover.gpu} electrons, ${kTreeCrossover.cpu} on a CPU adapter)
                            where the built tree costs at most ${100 * kTreeWorkShare}% of the pairs (not a ball
                            below ~45 000 on a CPU adapter, ~75 000 on a GPU); on a CPU
                            adapter for a spectrum from ${kTreeSpectrumCrossover.cpu}, for one product
                            (solve --velocities) from ${kTreeProductCrossover.cpu}; never
                            for a --tol that refines below --tree-tol (the refined products
                            would be the tree's); on the CPU dense up to ${kCpuTreeMinUnknowns - 1} unknowns while it
                            fits, else the tree                                          [auto]
  --tree-tol T              relative error of the tree's product T x, normwise, for x   [${kDefaultTreeTolerance.toExponential(0)}]
                            spread over the electrons (with --matrix tree or auto); of
                            ||T|| ||x|| for any x
  --check | --no-check      also run the float64 CPU reference (dense) and report the
                            error of the GPU or the tree [on up to ${kCheckMaxUnknowns} unknowns;
                            past them float64 rows of M at ${kSampledCheckElectrons} electrons,
                            the ${kClosestCheckElectrons} with the closest neighbours among them]
  --threads K               threads of the float64 CPU path (--device cpu, --check, the
                            float64 products of a refined GPU run): the same numbers bit
                            for bit with any K, the tree's to rounding           [every core]`;

/** What the CPU backends may take: the host's free memory. */
export const kHostMemory: DeviceMemory = { source: 'free host memory', availableBytes: freemem };

export interface BackendChoice {
  device: DeviceChoice;
  matrix: MatrixChoice;
  /** The tree's tolerance (--tree-tol), used where M is 'tree'. */
  treeTolerance: number;
  /** --check / --no-check, or undefined: the check policy decides once the storage is known. */
  requestedCheck: boolean | undefined;
  /** Threads of the float64 CPU path. */
  threads: number;
  /** A spectrum's Lanczos basis (--basis), checked against the GPU's buffer limit up front. */
  lanczosBasis?: number;
  /** What the run does on the GPU, which sets the vectors its memory check counts (GpuOperation). */
  operation?: GpuOperation;
  /** The tolerance of a run that refines in float64 (GpuBackendOptions.refinedTolerance). */
  refinedTolerance?: number;
}

/** The backend flags, over the run layer's parsers (src/run/inputs.ts). */
export function backendChoice(values: {
  device?: string;
  matrix?: string;
  'tree-tol'?: string;
  check?: boolean;
  'no-check'?: boolean;
  threads?: string;
}): BackendChoice {
  const device = parseDevice(values.device ?? 'gpu', '--device');
  const matrix = parseMatrix(values.matrix ?? 'auto', '--matrix');
  const treeTolerance = parseTreeToleranceFor(matrix, values['tree-tol'], '--tree-tol', '--matrix');
  if (values.check && values['no-check'])
    throw new InputError('give --check or --no-check, not both', 'check');
  const requestedCheck = values.check ? true : values['no-check'] ? false : undefined;
  const threads = threadsOption(values.threads);
  return { device, matrix, treeTolerance, requestedCheck, threads };
}

/**
 * Refuses, from N and the model alone, a CPU backend the host cannot hold (checkCpuBackendFits),
 * before the positions exist, which at N = 10^8 take minutes to build and sort (prepareLargeRun).
 * The GPU's limits wait for its device, which openBackend opens.
 */
export function checkBackendSize(size: SystemSize, choice: BackendChoice): void {
  if (choice.device === 'cpu')
    checkCpuBackendFits(size, choice.matrix, choice.treeTolerance, kHostMemory, choice.lanczosBasis);
}

/** --threads: K, or every core of this machine. */
export function threadsOption(text: string | undefined): number {
  return text === undefined ? nodeThreads() : parseThreads(text, '--threads');
}

/** A pool of `threads` workers for the float64 CPU path (src/parallel/); whoever holds it disposes it. */
export function cpuPool(threads: number): WorkerPool {
  return nodeWorkerPool(threads, kCpuKernels);
}

/**
 * What a study's run holds beside its backends (response, scaling, london): the GPU by --device, and
 * a pool of --threads workers for its float64 sums and products.
 */
export interface StudyEngine {
  /** The GPU, null on the CPU. */
  readonly gpu: GpuContext | null;
  /** The device the study's JSON names. */
  readonly device: DeviceSummary;
  /** The pool, started on first use: a GPU run whose solves need no float64 product starts none. */
  readonly pool: () => WorkerPool;
  /** Releases the GPU and ends the pool: once the run has ended, whichever way. */
  dispose(): void;
}

/** A study's engine on `device` (the GPU opened now), its pool of `threads` workers. */
export async function openStudyEngine(device: DeviceChoice, threads: number): Promise<StudyEngine> {
  const opened = device === 'gpu' ? await openGpu() : null;
  let pool: WorkerPool | null = null;
  return {
    gpu: opened?.context ?? null,
    device: opened?.device ?? kCpuDevice,
    pool: () => (pool ??= cpuPool(threads)),
    dispose: () => {
      if (opened) releaseDevice(opened.context);
      pool?.dispose();
    },
  };
}

/** The float64 CPU reference on `threads` threads (src/parallel/); its dispose() ends the workers. */
export function cpuReference(system: DarwinSystem, threads: number): MassMatrixBackend {
  return cpuBackend(system, 'float64', cpuPool(threads));
}

export interface OpenBackend {
  backend: MassMatrixBackend;
  device: DeviceSummary;
  /** How M is held: 'dense', 'free' or 'tree' (the CPU's: 'dense' or 'tree'). */
  matrix: MatrixStorage;
  /** The tree's accuracy and work where M is 'tree'. */
  tree?: TreeDetails;
  /** The float64 reference when --check is on, started on first use. */
  reference(): Reference | null;
  /** The sampled check's reference past kCheckMaxUnknowns (null up to it), likewise. */
  sampledReference(): SampledReference | null;
  /** A refined GPU run's float64 products (runSolve, runSpectrum) on --threads threads, started on first use. */
  float64: Float64Products;
  close(): void;
}

/**
 * --threads where a run's numbers depend on it (RunContext.threads): the float64 CPU tree's products,
 * which another count gives the same only to rounding, as the CPU's tree backend forms them, or as a
 * refined GPU tree's float64 products do (`refined`); undefined where they are the same bit for bit
 * for any count (the dense path, the direct sums, a GPU run that did not refine).
 */
export function treeThreads(
  opened: Pick<OpenBackend, 'backend'>,
  refined: boolean,
  threads: number,
): number | undefined {
  const { backend } = opened;
  return backend.tree && (backend.name === 'cpu' || refined) ? threads : undefined;
}

/**
 * Refuses, before the run, a GPU tree's refinement (a tolerance below float32's, src/run/refine.ts)
 * where the host cannot hold the float64 CPU tree it builds at the same tree tolerance.
 */
export function checkRefinementFits(
  opened: Pick<OpenBackend, 'backend'>,
  system: DarwinSystem,
  rtol: number,
  memory: DeviceMemory = kHostMemory,
): void {
  const { backend } = opened;
  if (!backend.tree || !refines(backend, rtol)) return;
  const need = cpuTreeBackendBytes(system, backend.tree.tolerance);
  const available = memory.availableBytes();
  if (need <= available) return;
  throw new InputError(
    `--tol ${rtol} refines the GPU tree's answer against the float64 CPU tree, which needs ` +
      `${gigabytes(need)}, more than the ${gigabytes(available)} of ${memory.source}; ` +
      `ask --tol ${kRefinementRtol.toExponential()} or more`,
    'tolerance',
  );
}

/** The GPU as openGpu opens it. */
export type OpenedGpu = Awaited<ReturnType<typeof openGpu>>;

/**
 * From this many electrons a run says that it builds the positions (seconds, then a sort for
 * coincident electrons), and a GPU run opens its device first (prepareLargeRun).
 */
export const kLargeRunElectrons = 1_000_000;

/** A GPU opened before the positions (prepareLargeRun): openBackend takes it, release() frees it otherwise. */
export interface EarlyGpu {
  /** The GPU, once: later calls, and release(), find none. */
  take(): OpenedGpu | null;
  /** Releases the GPU where nothing took it (the run failed before openBackend). */
  release(): void;
}

/**
 * Before the positions of a large generated configuration (`size`, generatedSystemSize) are built:
 * on the GPU the device is opened and its memory and buffers checked from N alone
 * (checkGpuSizeFits), and a progress line says what comes: building and sorting the positions of
 * N = 10^8 (2.4 GB) takes minutes, which a refusal from N alone spares. Holds no GPU for a CPU run,
 * a file's positions, or fewer than kLargeRunElectrons.
 */
export async function prepareLargeRun(
  size: SystemSize | null,
  choice: BackendChoice,
  progress: Progress,
): Promise<EarlyGpu> {
  let gpu: OpenedGpu | null = null;
  const early: EarlyGpu = {
    take: () => {
      const taken = gpu;
      gpu = null;
      return taken;
    },
    release: () => {
      if (gpu) releaseDevice(gpu.context);
      gpu = null;
    },
  };
  if (!size || size.configuration.n < kLargeRunElectrons) return early;
  if (choice.device === 'gpu') {
    gpu = await openGpu();
    try {
      checkGpuSizeFits(gpu.context, size, {
        matrix: choice.matrix,
        treeTolerance: choice.treeTolerance,
        lanczosBasis: choice.lanczosBasis,
        operation: choice.operation,
        refinedTolerance: choice.refinedTolerance,
      });
    } catch (error) {
      early.release();
      throw error;
    }
  }
  progress.log(`building the positions of ${size.configuration.n} electrons and checking them`);
  return early;
}

/**
 * The backend of `system` by `choice`, with its float64 check; on the GPU the device `early` holds
 * (prepareLargeRun's), which it takes over, else a new one.
 */
export async function openBackend(
  system: DarwinSystem,
  choice: BackendChoice,
  progress: Progress,
  early: EarlyGpu | null = null,
): Promise<OpenBackend> {
  const opened = early?.take() ?? null;
  const size = unknowns(system);
  let held: FloatReference | null = null;
  let reference: Reference | null = null;
  let pool: WorkerPool | null = null;
  const float64Pool = () => (pool ??= cpuPool(choice.threads));
  // The check's decision waits for the storage: the CPU's tree is checked, its dense M is the reference.
  let check = false;
  let sampled = false;
  // A check the dense reference cannot hold (asked by --check past kCheckMaxUnknowns) is refused in
  // one line before anything is set up, not as the worker's failure once the run is under way.
  const decideCheck = (decision: CheckDecision) => {
    check = decision === 'on';
    sampled = decision === 'sampled';
    // Asked for a check, the user is told why there is none rather than left with "check": null.
    if (decision === 'cpu' && choice.requestedCheck === true) {
      progress.log(
        'check: none, the float64 dense M is the reference itself (--check checks the GPU or the tree)',
      );
    }
    if (check && size > kMaxDenseSize) {
      throw new InputError(
        `--check needs the dense float64 reference, which holds at most ${kMaxDenseSize} unknowns; ` +
          `this system has ${size} (--no-check runs without it)`,
        'check',
      );
    }
  };
  const referenceOnce = () => {
    if (!check) return null;
    if (!reference) {
      // In a worker thread of its own, on --threads threads, so that a signal ends it at once; asked
      // after the run (afterRun), so that the two do not share the cores and timing_ms is the run's.
      held = nodeReference(
        choice.threads,
        () => progress.checkpoint(),
        () => progress.log(`check: assembling the float64 reference (${size} x ${size})`),
        referenceProgress(progress),
      );
      reference = { ...held.of('check', system), afterRun: true };
    }
    return reference;
  };
  const sampledReferenceOnce = (): SampledReference | null => {
    if (!sampled) return null;
    held ??= nodeReference(
      choice.threads,
      () => progress.checkpoint(),
      () => progress.log(`check: float64 rows of M at ${sampleWords(system.configuration.n)}`),
      referenceProgress(progress),
    );
    return { ...held.sampled('check', system), afterRun: true };
  };
  if (choice.device === 'cpu') {
    // The storage decided once: the check's decision needs it before the backend is built.
    const chosen = chooseCpuStorage(system, choice.matrix, kHostMemory, choice.lanczosBasis);
    decideCheck(checkDecision(system, 'cpu', choice.requestedCheck, chosen));
    const backend = disposedIfThrows(
      openCpuBackendShown(
        progress,
        (message) => progress.log(message),
        system,
        chosen,
        choice.treeTolerance,
        { lanczosBasis: choice.lanczosBasis, pool: float64Pool },
      ),
      (opened) => warnOfTreeWork(progress, opened),
    );
    const storage = backendStorage(backend);
    return {
      backend,
      device: kCpuDevice,
      matrix: storage,
      tree: backend.tree,
      reference: referenceOnce,
      sampledReference: sampledReferenceOnce,
      float64: float64Products(float64Pool),
      close: () => {
        backend.dispose();
        (held as FloatReference | null)?.cancel();
        pool?.dispose();
      },
    };
  }
  try {
    decideCheck(checkDecision(system, 'gpu', choice.requestedCheck));
    // gpuBackend refuses what float32 cannot hold; asked here first, a refusal needs no device
    // ('auto' tests two electrons apart once it has chosen the storage).
    checkFloat32System(system, choice.matrix);
  } catch (error) {
    if (opened) releaseDevice(opened.context);
    throw error;
  }
  const gpu = opened ?? (await openGpu());
  try {
    const sized: GpuSizeOptions = {
      matrix: choice.matrix,
      treeTolerance: choice.treeTolerance,
      lanczosBasis: choice.lanczosBasis,
      operation: choice.operation,
      refinedTolerance: choice.refinedTolerance,
    };
    // What 'auto' takes and why, said before the minutes a tree's pipelines may take to compile.
    const planned = choice.matrix === 'auto' ? autoStorage(gpu.context, system, sized) : null;
    const matrix = planned ? `auto: ${kStorageWords[planned.storage]} (${planned.reason})` : choice.matrix;
    progress.log(`setting up M on the GPU (${deviceName(gpu.device)}): ${size} unknowns, matrix ${matrix}`);
    const built = await gpuBackend(gpu.context, system, { ...sized, onChunk: chunkProgress(progress) });
    const backend = disposedIfThrows(built, (opened) => {
      if (opened.treeRefusal !== undefined)
        progress.log(
          `matrix auto: ${kStorageWords[opened.matrix]} (its tree was refused as it was built: ` +
            `${opened.treeRefusal})`,
        );
      if (progress.verbose)
        for (const line of gpuBackendDetails(gpu.context, opened, choice.lanczosBasis, choice.operation))
          progress.detail(line);
      warnOfTreeWork(progress, opened);
    });
    return {
      backend,
      device: gpu.device,
      matrix: backend.matrix,
      tree: backend.tree,
      reference: referenceOnce,
      sampledReference: sampledReferenceOnce,
      float64: float64Products(float64Pool),
      close: () => {
        backend.dispose();
        releaseDevice(gpu.context);
        (held as FloatReference | null)?.cancel();
        pool?.dispose();
      },
    };
  } catch (error) {
    releaseDevice(gpu.context);
    throw error;
  }
}

/** The storage in a line's words. */
const kStorageWords: Readonly<Record<MatrixStorage, string>> = {
  dense: 'the dense M',
  free: 'the matrix-free product',
  tree: 'the fast multipole tree',
};

/** The GPU tree's far field for --verbose: how it runs, and its pipelines' build time. */
function farFieldNote({ passes, buildSeconds }: NonNullable<TreeDetails['farField']>): string {
  const how = {
    'written out': 'far field written out for the order',
    'index tables': 'far field read through index tables',
    none: 'no far field (every pair summed directly)',
  }[passes];
  return `${how}, its pipelines built in ${buildSeconds.toFixed(1)} s`;
}

/** A spectrum's Lanczos basis in gpuBackendDetails' memory figure; nothing for a solve, which holds none. */
function basisNote(bytes: number, lanczosBasis?: number): string {
  return lanczosBasis === undefined ? '' : `, Lanczos basis ${megabytes(bytes)}`;
}

/**
 * How the GPU backend holds M and runs its solvers (--verbose): memory (the vectors of `operation`,
 * with a spectrum's basis of `lanczosBasis` vectors), chunks, step variant, k.
 */
export function gpuBackendDetails(
  context: GpuContext,
  backend: GpuBackend,
  lanczosBasis?: number,
  operation?: GpuOperation,
): string[] {
  const { system, matrix, checkEvery, tree } = backend;
  const size = unknowns(system);
  const { n } = system.configuration;
  const step = `Krylov steps '${krylovStepFor(context.profile, size)}', k = ${checkEvery} iterations per readback`;
  const operator = operatorBytes(backend);
  if (tree) {
    const need = treeAllocation(system, tree.tolerance, lanczosBasis, operation);
    return [
      `matrix: tree; memory: ${megabytes(need.total - need.tree + operator)} (tree and expansions ` +
        `${megabytes(operator)}, vectors ${megabytes(need.vectors)}${basisNote(need.lanczosBasis, lanczosBasis)})`,
      `tree: order ${tree.order}, theta ${tree.theta}, ${tree.leaves} leaves, ${tree.directPairs} direct ` +
        `pairs and ${tree.translations} M2L per product` +
        (tree.farField ? `; ${farFieldNote(tree.farField)}` : ''),
      step,
    ];
  }
  if (matrix === 'dense') {
    const need = denseAllocation(system, lanczosBasis, operation);
    return [
      `matrix: dense; memory: ${megabytes(need.total)} (M ${megabytes(operator)}, vectors ` +
        `${megabytes(need.vectors)}${basisNote(need.lanczosBasis, lanczosBasis)})`,
      step,
    ];
  }
  const pairs = chunkPairs(context);
  const workgroupRows = rowsPerWorkgroup(context.profile.matvecFree, kMatvecFreeWorkgroupSize);
  const { runsOnCpu, cpuThreads } = context.profile;
  const rows = rowsPerChunk(n, pairs, workgroupRows, cpuThreads);
  // At large N a chunk holds more than the budget: rowsPerChunk's floor of a workgroup (per host
  // thread on a CPU) and its cap on the chunks bind, and a chunk then takes seconds or minutes.
  const floor = runsOnCpu ? ' per host thread' : '';
  const past =
    rows * n > pairs
      ? `; exceeded at this N: a chunk holds one workgroup of ${workgroupRows} electrons${floor} at ` +
        `least, a product ${kMaxChunks} chunks at most`
      : '';
  const need = freeAllocation(system, lanczosBasis, operation);
  return [
    `matrix: free; memory: ${megabytes(need.total)} (positions ${megabytes(operator)}, vectors ` +
      `${megabytes(need.vectors - operator)}${basisNote(need.lanczosBasis, lanczosBasis)}), entries ` +
      'recomputed per product',
    `product chunks: ${Math.ceil(n / rows)} of ${rows} electrons, ${rows * n} pairs each (a budget ` +
      `of ${pairs} on a ${runsOnCpu ? 'CPU adapter' : 'GPU'}${past})`,
    step,
  ];
}

/**
 * The CPU backend (openCpuBackend) in the host's memory, its build shown on `progress`: what it builds
 * on `announce` (solve's lasting line, a study's status), the tree's stages, the time it took, and
 * each product's passes: on a CPU a tree product at 10^5 electrons takes tens of seconds, and the
 * assembly of a dense M of 5000 electrons seconds.
 */
function openCpuBackendShown(
  progress: Progress,
  announce: (message: string) => void,
  system: DarwinSystem,
  matrix: MatrixChoice,
  treeTolerance: number,
  options: { readonly pool: () => WorkerPool; readonly lanczosBasis?: number },
): MassMatrixBackend {
  const size = unknowns(system);
  const started = performance.now();
  const chunks = chunkProgress(progress);
  const backend = openCpuBackend(system, matrix, treeTolerance, kHostMemory, {
    ...options,
    announce: (storage) => {
      const bytes =
        storage === 'tree'
          ? cpuTreeBackendBytes(system, treeTolerance, options.lanczosBasis)
          : cpuBackendBytes(system, options.lanczosBasis);
      const held = storage === 'tree' ? 'CPU tree' : 'CPU reference';
      progress.detail(`memory: the ${held} takes ${megabytes(bytes)} of ${gigabytes(freemem())} free`);
      announce(
        storage === 'tree'
          ? `building the tree on the CPU: ${size} unknowns, tolerance ${treeTolerance}`
          : `assembling M on the CPU: ${size} x ${size} float64 (${((size * size * 8) / 1e6).toFixed(1)} MB)`,
      );
    },
    // After the announcement, as the GPU's assembly chunks: each a checkpoint, where a stop ends it.
    onAssembly: (done, total) => chunks('assembly', done, total),
    onStage: (stage) => progress.update(`building the tree on the CPU: ${stage}`),
    // After the solver's own status ("iteration 3: residual ..."), as the GPU's product chunks.
    onPass: (pass) => progress.within(`product: ${pass}`),
  });
  return disposedIfThrows(backend, (opened) => {
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    // The status until the solver's first report: the tree's products add their passes to it.
    progress.update(opened.tree ? `built the tree in ${seconds} s` : `assembled M in ${seconds} s`);
  });
}

/**
 * `backend`, just opened, once `show` has told of it; disposed where `show` throws: a line on
 * `progress` checks for a signal (Progress.checkpoint), and the Interrupted it throws must not leave
 * the backend's M, GPU buffers or pool behind.
 */
function disposedIfThrows<B extends MassMatrixBackend>(backend: B, show: (backend: B) => void): B {
  try {
    show(backend);
  } catch (error) {
    backend.dispose();
    throw error;
  }
  return backend;
}

/**
 * A study's backend of `system` (response, scaling: one per configuration, no check of their own):
 * on `gpu` the engine with `matrix` and `treeTolerance` (a long product's pieces shown on
 * `progress`), without it the CPU's (openCpuBackendShown) in the host's memory, its dense M or tree on
 * `threads` threads; sized for a spectrum's basis of `lanczosBasis` vectors (scaling), none for
 * solves (response).
 */
export async function openStudyBackend(
  gpu: GpuContext | null,
  system: DarwinSystem,
  matrix: MatrixChoice,
  treeTolerance: number,
  threads: number,
  progress: Progress,
  lanczosBasis?: number,
): Promise<MassMatrixBackend> {
  const backend = gpu
    ? await gpuBackend(gpu, system, { matrix, treeTolerance, onChunk: chunkProgress(progress), lanczosBasis })
    : openCpuBackendShown(progress, (message) => progress.update(message), system, matrix, treeTolerance, {
        pool: () => cpuPool(threads),
        lanczosBasis,
      });
  return disposedIfThrows(backend, (opened) => warnOfTreeWork(progress, opened));
}

function warnOfTreeWork(progress: Progress, backend: MassMatrixBackend): void {
  const warning = treeWorkWarning(backend);
  if (warning) progress.log(warning);
}

/**
 * Refuses up front (an InputError) a system whose study backend (openStudyBackend's) could not be
 * held: float32's range and the device's memory and buffers (with a spectrum's `lanczosBasis`) on
 * `gpu`, the host's memory on the CPU.
 */
export function checkStudyBackend(
  gpu: GpuContext | null,
  system: DarwinSystem,
  matrix: MatrixChoice,
  treeTolerance: number,
  lanczosBasis?: number,
): void {
  if (gpu) checkGpuBackendFits(gpu, system, { matrix, treeTolerance, lanczosBasis });
  else checkCpuBackendFits(system, matrix, treeTolerance, kHostMemory, lanczosBasis);
}

/** How a backend holds M: the GPU's storage; on the CPU 'tree' or its assembled 'dense' M. */
export function backendStorage(backend: MassMatrixBackend): MatrixStorage {
  if (isGpuBackend(backend)) return backend.matrix;
  return backend.tree ? 'tree' : 'dense';
}

function isGpuBackend(backend: MassMatrixBackend): backend is GpuBackend {
  return backend.name === 'gpu';
}

/**
 * The progress line of a long step split into chunks (a matrix-free product at large N), with the
 * time left at the rate of its chunks so far (chunkEstimate); Progress.update's checkpoint stops the
 * step when the run was interrupted.
 */
export function chunkProgress(
  progress: Progress,
  now: () => number = () => performance.now(),
): (step: string, done: number, total: number) => void {
  const estimate = chunkEstimate(now);
  return (step, done, total) => progress.within(estimate(step, done, total).text);
}

/** A solve's iteration on the progress line: its ||r|| / ||b||, the residual --tol is held to. */
export function solveIterationText(iteration: number, relativeResidual: number): string {
  return `iteration ${iteration}: relative residual ${relativeResidual.toExponential(3)}`;
}

/** A Lanczos run's product on the progress line: its extreme Ritz values. */
export function lanczosStepText(iteration: number, lambdaMin: number, lambdaMax: number): string {
  return `Lanczos step ${iteration}: [${lambdaMin.toPrecision(8)}, ${lambdaMax.toPrecision(8)}]`;
}

/**
 * The float64 reference worker's progress (ReferenceProgress) on the progress line, after the
 * check's status: its assembly's chunks with the time left (chunkProgress), its solve's and Lanczos
 * run's iterations as a run's own show (solveIterationText, lanczosStepText) after 'float64 check: ',
 * the sampled check's chunks as bench's check words them ('float64 check: electron 201 of 256').
 * Each is a checkpoint, where a signal stops the check.
 */
export function referenceProgress(progress: Progress): ReferenceProgressHook {
  const chunks = chunkProgress(progress);
  return (report) => {
    if (report.step === 'assembly') chunks('assembly', report.done, report.total);
    else if (report.step === 'solve')
      progress.within(`float64 check: ${solveIterationText(report.iteration, report.relativeResidual)}`);
    else if (report.step === 'lanczos')
      progress.within(
        `float64 check: ${lanczosStepText(report.iteration, report.lambdaMin, report.lambdaMax)}`,
      );
    else if (report.step === 'sampled') progress.within(report.text);
  };
}
