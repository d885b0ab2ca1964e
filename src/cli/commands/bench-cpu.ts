// `bench --device cpu`: the float64 CPU path's kernels on a WorkerPool of --threads threads, by the
// wall clock, beside the CPU's own copy bandwidth measured in the same run (a float64 array as
// large as the matrix, copied in blocks over the same threads), so that each bandwidth is also a
// ratio to what these cores can stream. A benchmark, never a test: nothing here asserts a speed.
import type { DeviceMemory } from '../../gpu/device.ts';
import {
  kernelModel,
  kMaxDenseSize,
  massEntryRows,
  unknowns,
  type DarwinSystem,
  type Dimension,
  type ModelName,
  type SystemSize,
} from '../../physics/models.ts';
import { InputError } from '../../physics/input-error.ts';
import { allocatedArrays, buildTree, kDefaultTreeTolerance, sharedArrays } from '../../physics/tree-build.ts';
import { treeProduct } from '../../physics/treecode.ts';
import { velocityPattern } from '../../physics/velocities.ts';
import {
  copyRows,
  fillRows,
  kCpuKernels,
  parallelMassMatrixEntries,
  parallelMassMatrixFree,
} from '../../parallel/mass-matrix.ts';
import { nodeWorkerPool } from '../../parallel/node.ts';
import { pairBlocks, rowBlocks, type WorkerPool } from '../../parallel/pool.ts';
import { conjugateGradient } from '../../solvers/cg.ts';
import { denseMatrix } from '../../solvers/dense.ts';
import { median } from '../../gpu/timing.ts';
import { gigabytes, treeBytesPerElectron } from '../../run/backend.ts';
import type { Progress } from '../progress.ts';
import {
  assemblyFlops,
  benchRefusal,
  benchSystem,
  denseMatvecFlops,
  kDenseRows,
  kMatrixRows,
  matrixRowsAsked,
  matrixFreeFlops,
  benchKernel,
  kBenchKernels,
  rate,
  treeRowFields,
  type BenchKernel,
  type BenchRow,
} from './bench.ts';

export interface CpuBenchOptions {
  sizes: readonly number[];
  model: ModelName;
  dim: Dimension;
  repeats: number;
  threads: number;
  only: ReadonlySet<BenchKernel>;
}

/** The float64 dense product's bytes: M read once, x read and y written. */
function cpuMatvecBytes(size: number): number {
  return 8 * size * size + 16 * size;
}

/** One CG iteration: the product's bytes plus about 10 float64 vectors read or written. */
function cpuCgIterationBytes(size: number): number {
  return 8 * size * size + 80 * size;
}

/** The median of `repeats` wall-clock runs of `run`, after one run to warm up. */
function wallMs(run: () => void, repeats: number): number {
  run();
  const samples: number[] = [];
  for (let k = 0; k < repeats; k++) {
    const start = performance.now();
    run();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

/**
 * CG runs of kShortRun and of at least kLongRun iterations (rtol 0): their difference per iteration.
 * The long run doubles until it takes kLongRunMs, so that at small sizes, where an iteration takes
 * microseconds, the difference stands above the clock's jitter: 8 iterations at 600 unknowns take
 * about as long as that jitter, and a difference below it can come out negative.
 */
const kShortRun = 2;
const kLongRun = 8;
const kLongRunMs = 20;
const kMaxLongRun = 1 << 14;

function row(
  name: string,
  system: DarwinSystem,
  ms: number,
  bytes: number | null,
  flops: number | null,
  copyGbps: number,
): BenchRow {
  const gbps = bytes === null ? null : rate(bytes, ms);
  return {
    name,
    n: system.configuration.n,
    unknowns: unknowns(system),
    ms,
    method: 'wall',
    gbps,
    gflops: flops === null ? null : rate(flops, ms),
    ratio_to_copy: gbps === null ? null : gbps / copyGbps,
  };
}

/**
 * matvec_free (the symmetric pair loop, or rows on 3 threads and more) and matvec_tree (the float64
 * FMM at the default tolerance, its passes on the pool) of the same x: the tree's relative error
 * against the free product (as the GPU row's), its speed-up the median ratio of runs alternating
 * with the free product, so matvec_tree's ms are from those runs.
 */
function benchFastProducts(
  system: DarwinSystem,
  pool: WorkerPool,
  x: Float64Array,
  { repeats, only }: CpuBenchOptions,
  label: string,
  progress: Progress,
): BenchRow[] {
  if (!only.has('matvec_free') && !only.has('matvec_tree')) return [];
  const n = system.configuration.n;
  const size = unknowns(system);
  const free = parallelMassMatrixFree(system, pool);
  const rows: BenchRow[] = [];
  if (only.has('matvec_free')) {
    progress.update(`${label}: matrix-free matvec`);
    const freeMs = wallMs(() => free(x), repeats);
    rows.push({
      ...row('matvec_free', system, freeMs, null, matrixFreeFlops(n, size / n), NaN),
      ginteractions: rate(n * n, freeMs),
    });
  }
  if (!only.has('matvec_tree')) return rows;
  progress.update(`${label}: tree matvec (building the tree)`);
  const tree = buildTree(system, {}, sharedArrays(pool));
  const treeY = new Float64Array(size);
  const product = () => treeProduct(tree, x, treeY, pool);
  const w = Float64Array.from(velocityPattern(system, 'random', 2));
  const treeW = new Float64Array(size);
  treeProduct(tree, w, treeW, pool);
  product();
  progress.update(`${label}: tree matvec`);
  const treeSamples: number[] = [];
  const ratios: number[] = [];
  let freeY: Float64Array = new Float64Array(0);
  for (let k = 0; k < repeats; k++) {
    let start = performance.now();
    freeY = free(x);
    const freeSample = performance.now() - start;
    start = performance.now();
    product();
    treeSamples.push(performance.now() - start);
    ratios.push(freeSample / treeSamples[k]);
  }
  rows.push({
    ...row('matvec_tree', system, median(treeSamples), null, null, NaN),
    ...treeRowFields(system, { x, freeY, treeY, w, freeW: free(w), treeW }, tree.counts, median(ratios)),
  });
  for (const array of allocatedArrays(tree)) pool.release(array);
  return rows;
}

/** One size's rows on `pool`. */
function benchCpuSize(
  system: DarwinSystem,
  pool: WorkerPool,
  options: CpuBenchOptions,
  progress: Progress,
): BenchRow[] {
  const { repeats, only } = options;
  const n = system.configuration.n;
  const size = unknowns(system);
  const entries = size * size;
  const matrixBytes = 8 * entries;
  const label = `n = ${n} (${pool.threads} threads)`;
  const rows: BenchRow[] = [];

  const x = Float64Array.from(velocityPattern(system, 'random', 1));
  const fast = benchFastProducts(system, pool, x, options, label, progress);
  const order = (row: BenchRow) => kBenchKernels.indexOf(benchKernel(row));
  const asked = () =>
    [...rows, ...fast].filter((row) => only.has(benchKernel(row))).sort((a, b) => order(a) - order(b));
  // The other rows hold a matrix-sized array: at sizes past it, ask for these two by name (--only).
  if (!kMatrixRows.some((kernel) => only.has(kernel))) return asked();
  progress.update(`${label}: copy`);
  const source = pool.shared(entries);
  const target = pool.shared(entries);
  source.fill(1);
  const blocks = rowBlocks(pool, entries);
  const copyMs = wallMs(() => pool.run(copyRows, [source, target], blocks), repeats);
  const copyGbps = rate(2 * matrixBytes, copyMs);
  rows.push(row('copy', system, copyMs, 2 * matrixBytes, null, copyGbps));
  progress.update(`${label}: fill`);
  const fillMs = wallMs(() => pool.run(fillRows, [target, 2], blocks), repeats);
  const fillGbps = rate(matrixBytes, fillMs);
  rows.push({ ...row('fill', system, fillMs, matrixBytes, null, copyGbps), ratio_to_fill: 1 });
  pool.release(source);
  pool.release(target);
  // Copy and fill alone hold no M, and checkCpuBenchFits lets them past the dense M's limit.
  if (!kDenseRows.some((kernel) => only.has(kernel))) return asked();

  progress.update(`${label}: assembling ${size} x ${size}`);
  const matrix = parallelMassMatrixEntries(system, pool);
  if (only.has('assemble')) {
    // Into the same entries again: the write of the matrix, not its allocation, is timed.
    const positions = pool.shared(3 * n);
    positions.set(system.configuration.positions.subarray(0, 3 * n));
    const { dim, epsilon, softening } = system;
    const args = [positions, matrix, n, kernelModel(system), dim, epsilon, softening];
    const assemblyMs = wallMs(() => pool.run(massEntryRows, args, pairBlocks(pool, n)), repeats);
    const assembly = row(
      `assemble_${system.model === 'azimuthal' ? 'azimuthal' : `vector${system.dim}d`}`,
      system,
      assemblyMs,
      matrixBytes,
      assemblyFlops(n, size),
      copyGbps,
    );
    rows.push({ ...assembly, ratio_to_fill: (assembly.gbps ?? 0) / fillGbps });
    pool.release(positions);
  }

  const y = new Float64Array(size);
  const dense = denseMatrix(size, matrix, 'float64', pool);
  if (only.has('matvec_dense')) {
    progress.update(`${label}: dense matvec`);
    const ms = wallMs(() => dense.apply(x, y), repeats);
    rows.push(row('matvec_dense', system, ms, cpuMatvecBytes(size), denseMatvecFlops(size), copyGbps));
  }
  if (only.has('cg_iteration')) {
    progress.update(`${label}: CG iterations`);
    dense.apply(x, y);
    const b = Float64Array.from(y);
    const iterations = (maxIterations: number) =>
      conjugateGradient(dense, b, { rtol: 0, maxIterations }).iterations;
    let longRun = kLongRun;
    while (longRun < kMaxLongRun && wallMs(() => iterations(longRun), 1) < kLongRunMs) longRun *= 2;
    const timed = iterations(longRun) - iterations(kShortRun);
    const samples: number[] = [];
    for (let k = 0; timed >= 2 && k < repeats; k++) {
      const long = wallMs(() => iterations(longRun), 1);
      const short = wallMs(() => iterations(kShortRun), 1);
      samples.push((long - short) / timed);
    }
    const ms = median(samples);
    if (ms > 0) {
      rows.push({
        ...row(
          'cg_iteration',
          system,
          ms,
          cpuCgIterationBytes(size),
          denseMatvecFlops(size) + 10 * size,
          copyGbps,
        ),
        iterations: timed,
      });
    }
  }
  pool.release(matrix);
  return asked();
}

/**
 * Refuses, before any row runs, a size whose matrix rows the host cannot hold: the dense float64 M
 * past kMaxDenseSize unknowns (its assembly's limit), or the copy's two float64 arrays as large as
 * M, the most that benchCpuSize holds at once (16 size^2 bytes), past `memory`; and a size whose
 * matvec_free or matvec_tree cannot fit `memory` (fastRowsNeed). Nothing is allocated, not even the
 * positions: a 1.4 TB copy or the tree of 10^8 electrons is refused at once, not by the OOM killer.
 */
export function checkCpuBenchFits(
  { sizes, model, dim, only }: Pick<CpuBenchOptions, 'sizes' | 'model' | 'dim' | 'only'>,
  memory: DeviceMemory,
): void {
  for (const n of sizes) {
    const fast = fastRowsNeed({ configuration: { n }, model, dim }, only);
    if (fast !== null && fast.bytes > memory.availableBytes()) {
      throw new InputError(
        `bench --device cpu --n ${n}: ${fast.rows.join(',')} ${fast.rows.length > 1 ? 'need' : 'needs'} ` +
          `${gigabytes(fast.bytes)} for the positions, ${fast.what}, more than the ` +
          `${gigabytes(memory.availableBytes())} of ${memory.source}`,
        'n',
      );
    }
  }
  const rows = matrixRowsAsked(only, 'cpu');
  if (rows.length === 0) return;
  const dense = rows.filter((kernel) => kDenseRows.includes(kernel));
  for (const n of sizes) {
    const size = unknowns({ configuration: { n }, model, dim });
    if (dense.length > 0 && size > kMaxDenseSize) {
      throw benchRefusal(
        'cpu',
        n,
        dense,
        `the ${size} x ${size} float64 M, past the ${kMaxDenseSize} unknowns of the CPU's dense M`,
      );
    }
    const need = 16 * size * size;
    const available = memory.availableBytes();
    if (need > available) {
      throw benchRefusal(
        'cpu',
        n,
        rows,
        `${gigabytes(need)} for the copy's two float64 arrays as large as the ${size} x ${size} M, ` +
          `more than the ${gigabytes(available)} of ${memory.source}`,
      );
    }
  }
}

/**
 * What matvec_free and matvec_tree (benchFastProducts) hold, where `only` asks for either: the
 * positions and the eight float64 vectors of the two products (x, w and each product of them), and
 * the tree's arrays at the default tolerance (treeBytesPerElectron).
 */
function fastRowsNeed(
  system: SystemSize,
  only: ReadonlySet<BenchKernel>,
): { rows: BenchKernel[]; bytes: number; what: string } | null {
  const rows = (['matvec_free', 'matvec_tree'] as const).filter((kernel) => only.has(kernel));
  if (rows.length === 0) return null;
  const { n } = system.configuration;
  const vectors = 8 * (3 * n + 8 * unknowns(system));
  const tree = only.has('matvec_tree') ? treeBytesPerElectron(kDefaultTreeTolerance) * n : 0;
  return {
    rows,
    bytes: vectors + tree,
    what: tree > 0 ? "the products' vectors and the tree" : "the product's vectors",
  };
}

/**
 * Every size's rows, on one pool of `threads` threads disposed at the end, once every size is known
 * to fit `memory` (checkCpuBenchFits).
 */
export function benchCpu(options: CpuBenchOptions, memory: DeviceMemory, progress: Progress): BenchRow[] {
  checkCpuBenchFits(options, memory);
  const pool = nodeWorkerPool(options.threads, kCpuKernels);
  try {
    return options.sizes.flatMap((n) =>
      benchCpuSize(benchSystem(n, options.model, options.dim), pool, options, progress),
    );
  } finally {
    pool.dispose();
  }
}
