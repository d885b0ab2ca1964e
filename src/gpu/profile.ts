// The device profile: which variant of each kernel and which workgroup sizes this device gets,
// chosen once, from the adapter and its features, when the device is acquired (GpuContext.profile),
// so that no kernel host or engine branches on the adapter. The variants are documented beside
// their kernels (src/kernels/matvec-dense.ts, krylov-step.ts, reduce.ts).
import type { GpuAdapterSummary, GpuContext } from './device.ts';

/**
 * y = M x for the stored M (src/kernels/matvec-dense.ts):
 * 'rows': one thread per kRowsPerThread rows, vec4 loads along them; best where the "GPU" is a
 *   CPU (SwiftShader), whose threads each stream their rows through their own cache and reuse each
 *   load of x for all of them.
 * 'workgroup': one workgroup per row with coalesced loads and a tree reduction; for GPUs, where
 *   neighbouring threads must load neighbouring addresses.
 * 'subgroup': 'workgroup' with the sum formed by subgroupAdd (2 barriers per row, not 7); for GPUs
 *   with the subgroups feature.
 */
export type DenseMatvecVariant = 'rows' | 'workgroup' | 'subgroup';
export const kDenseMatvecVariants: readonly DenseMatvecVariant[] = ['rows', 'workgroup', 'subgroup'];

/**
 * The matrix-free y = M x (src/kernels/matvec-free.ts):
 * 'thread': one thread per electron, the classic N-body tiling; for GPUs, which need N threads.
 * 'blocked': eight electrons per thread, each source loaded from workgroup memory once for the
 *   eight; best on a CPU (SwiftShader), where the loads, not the arithmetic, bound the pair sum:
 *   3.2 times the pairs per second of 'thread' (N = 8 000, sphere). The tree's near field in this
 *   variant holds a leaf in one SIMD group, up to 32 electrons a thread (tree.wgsl
 *   tree_evaluate_blocked).
 */
export type MatvecFreeVariant = 'thread' | 'blocked';
export const kMatvecFreeVariants: readonly MatvecFreeVariant[] = ['thread', 'blocked'];

/**
 * A Krylov iteration's vector work after the matvec (src/kernels/krylov-step.ts): 'fused',
 * krylov_step.wgsl in one workgroup (one launch), or 'split', the BLAS, reduction and scalar kernels
 * over the whole device (eleven launches for CG, fourteen for MINRES).
 */
export type KrylovStepVariant = 'fused' | 'split';
export const kKrylovStepVariants: readonly KrylovStepVariant[] = ['fused', 'split'];

/** Threads per workgroup of both reduction stages on a GPU (a power of two: the tree halves it). */
export const kReduceWorkgroupSize = 64;

/**
 * ... and on a CPU, where each of the log2 W barriers of the tree splits the shader and costs more
 * than the arithmetic (V^T w of a Lanczos step is one workgroup per column): fewer threads, fewer
 * barriers (measured in the README's bench prose).
 */
export const kSoftwareReduceWorkgroupSize = 16;

/** Threads of the fused Krylov step's one workgroup on a GPU: the most every WebGPU device allows. */
export const kKrylovStepWorkgroupSize = 256;

/**
 * ... and on a CPU, where the workgroup is one CPU thread whatever its size and each of the tree's
 * log2 W barriers splits the shader.
 */
export const kSoftwareKrylovStepWorkgroupSize = 16;

/**
 * The largest system a GPU fuses its Krylov steps for: 16 entries per thread of the one workgroup,
 * about what the eleven (CG) or fourteen (MINRES) launches of 'split' cost. Past it the vectors are
 * better spread over the GPU, and the launches weigh little against an O(N^2) matvec. A hardware
 * GPU's bench may move it (README, "Benchmarking on a remote NVIDIA machine").
 */
export const kFusedStepMaxSize = 16 * kKrylovStepWorkgroupSize;

/**
 * The N from which 'auto' takes the fast multipole product (src/kernels/tree.ts, tolerance 1e-5)
 * over the matrix-free one, by device kind: where a solve of about ten products repays compiling the
 * tree's passes once (bench --only matvec_free,matvec_tree on a sphere; the README's table under "The
 * fast multipole product" and its crossover). A hardware GPU's value stands where SwiftShader's
 * 'thread' variants crossed until a hardware GPU's bench measures it.
 */
export const kTreeCrossover = { cpu: 30000, gpu: 15000 } as const;

/**
 * kTreeCrossover of a run of one product (solve's p = M v of given velocities): on a CPU adapter the
 * tree's written-out passes take as long to compile (~14 s at p = 11 on the README's host, once per
 * process) as one matrix-free product near 9·10⁴ electrons (13.5 s at 8·10⁴, 21 s at 10⁵, scaled as
 * N² from the README's table), so one product repays them only from about 10⁵. A hardware GPU's
 * tree.wgsl compiles as any kernel does: its crossover stands.
 */
export const kTreeProductCrossover = { cpu: 100_000, gpu: kTreeCrossover.gpu } as const;

/**
 * kTreeCrossover of a spectrum, whose Lanczos runs about a hundred products (101 on the README's
 * sphere of 2·10⁴): on a CPU adapter they repay the compile from about 1.5·10⁴ (a sphere of 15 000,
 * 1.8 s a product matrix-free against 0.83 s by the tree with a 35 s compile, on a host three times
 * slower than the README's: ~186 s against ~119 s for 101 products; at 10⁴, 230 ms against 188 ms
 * on the README's host, the compile would not be repaid). A ball's tree there costs most pairs, and its walk refuses
 * it (kTreeWorkShare).
 */
export const kTreeSpectrumCrossover = { cpu: 15_000, gpu: kTreeCrossover.gpu } as const;

/** The runs whose products repay the tree's compile from a crossover N of their own. */
export type TreeRun = 'product' | 'solve' | 'spectrum';

/**
 * The fast multipole product's leaves (src/kernels/tree.ts; tree-build.ts's TreeOptions): the most
 * electrons a leaf holds, one workgroup of targets, and the price of an M2L in direct pairs a term
 * of its contraction, below which two well-separated nodes are summed directly instead.
 */
export interface TreeLeaves {
  readonly leafSize: number;
  readonly translationCostPerTerm: number;
}

/**
 * A hardware GPU's: tree.wgsl's M2L gathers its contraction through index tables (priced as
 * SwiftShader runs them), which keeps leaves of 256 (a GPU's usual workgroup) exchanging few M2L.
 * A hardware GPU's bench may move both.
 */
export const kGpuTreeLeaves: TreeLeaves = { leafSize: 256, translationCostPerTerm: 2.5 };

/**
 * A CPU adapter's: its M2L written out for the order (src/kernels/tree-unrolled.ts) costs a third of
 * tree.wgsl's a term, so leaves of 128 exchange M2L where leaves of 256 sum each other directly, the
 * faster product on SwiftShader at every size measured, for more bytes of lists and expansions (the
 * README's "The fast multipole product"). Leaves of 64 sum the same pairs at this price: two leaves
 * of 64 make fewer pairs than two M2L cost.
 */
export const kCpuTreeLeaves: TreeLeaves = { leafSize: 128, translationCostPerTerm: 0.8 };

/**
 * The canvas (src/app/view.ts, shaders/render.wgsl) on a CPU: electrons drawn at most a frame, and no
 * multisampling. SwiftShader draws about a million single-sampled discs a second and half as many
 * with 4x multisampling, so that 5·10^5 electrons keep a frame, which holds the GPU process and
 * with it any run and the next turn of the view, under a second;
 * past them one in s is drawn, a hashed one of each s consecutive (drawnElectron in
 * src/kernels/render.ts). A GPU draws every electron with 4x multisampling.
 */
export const kCpuDrawBudget = 500_000;
export const kGpuSampleCount = 4;

export interface DeviceProfile {
  /**
   * SwiftShader, or any fallback adapter: a CPU, where barriers and launches cost more than
   * arithmetic, so kernels take their CPU-shaped variants.
   */
  readonly runsOnCpu: boolean;
  /** 'rows' on a CPU; on a GPU 'subgroup' where it has subgroups, else 'workgroup'. */
  readonly denseMatvec: DenseMatvecVariant;
  /** 'blocked' on a CPU, 'thread' on a GPU. */
  readonly matvecFree: MatvecFreeVariant;
  readonly reduceWorkgroupSize: number;
  readonly krylovStepWorkgroupSize: number;
  /**
   * The largest operator whose Krylov steps are fused: every size on a CPU (a launch costs 60-150
   * us on SwiftShader), kFusedStepMaxSize on a GPU.
   */
  readonly fusedStepMaxSize: number;
  /**
   * The host's hardware threads on a CPU, 1 on a GPU. SwiftShader spreads the workgroups of a
   * dispatch over one thread per core and runs dispatches in turn, so a product cut into dispatches
   * of one workgroup each ran on one core of two (src/kernels/matvec-free.ts rowsPerChunk).
   */
  readonly cpuThreads: number;
  /** Electrons the canvas draws at most a frame: kCpuDrawBudget on a CPU, all on a GPU. */
  readonly drawBudget: number;
  /** The canvas's samples a pixel: 1 on a CPU, kGpuSampleCount on a GPU. */
  readonly renderSampleCount: number;
  /** The fast multipole product's leaves: kCpuTreeLeaves on a CPU, kGpuTreeLeaves on a GPU. */
  readonly treeLeaves: TreeLeaves;
}

export function deviceProfile(
  context: Pick<GpuContext, 'hasSubgroups'> & {
    readonly adapterInfo: GpuAdapterSummary;
    /** The host's hardware threads (navigator.hardwareConcurrency, os.availableParallelism); default 1. */
    readonly hostThreads?: number;
  },
): DeviceProfile {
  const { adapterInfo } = context;
  const runsOnCpu = adapterInfo.swiftshader || adapterInfo.isFallbackAdapter;
  return {
    runsOnCpu,
    cpuThreads: runsOnCpu ? Math.max(1, Math.floor(context.hostThreads ?? 1)) : 1,
    denseMatvec: runsOnCpu ? 'rows' : context.hasSubgroups ? 'subgroup' : 'workgroup',
    matvecFree: runsOnCpu ? 'blocked' : 'thread',
    reduceWorkgroupSize: runsOnCpu ? kSoftwareReduceWorkgroupSize : kReduceWorkgroupSize,
    krylovStepWorkgroupSize: runsOnCpu ? kSoftwareKrylovStepWorkgroupSize : kKrylovStepWorkgroupSize,
    fusedStepMaxSize: runsOnCpu ? Infinity : kFusedStepMaxSize,
    drawBudget: runsOnCpu ? kCpuDrawBudget : Infinity,
    renderSampleCount: runsOnCpu ? 1 : kGpuSampleCount,
    treeLeaves: runsOnCpu ? kCpuTreeLeaves : kGpuTreeLeaves,
  };
}

/** The crossover N of `run` (kTreeCrossover for a solve) on the profile's device kind. */
export function treeCrossover(profile: Pick<DeviceProfile, 'runsOnCpu'>, run: TreeRun = 'solve'): number {
  const crossover = {
    product: kTreeProductCrossover,
    solve: kTreeCrossover,
    spectrum: kTreeSpectrumCrossover,
  }[run];
  return profile.runsOnCpu ? crossover.cpu : crossover.gpu;
}

/** The Krylov step variant the profile gives an operator of `size` unknowns. */
export function krylovStepFor(profile: DeviceProfile, size: number): KrylovStepVariant {
  return size <= profile.fusedStepMaxSize ? 'fused' : 'split';
}
