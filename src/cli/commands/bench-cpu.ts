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
import { median, pairedTiming, type BeforeRepeat } from '../../gpu/timing.ts';
import { gigabytes } from '../../io/formats.ts';
import { treeBytesPerElectron } from '../../run/backend.ts';
import { durationText, type Progress } from '../progress.ts';
import {
  assemblyFlops,
  benchRefusal,
  benchSystem,
  denseMatvecFlops,
  kDenseRows,
  kMatrixRows,
  matrixRowsAsked,
  matrixFreeFlops,
  noCgIterationNote,
  benchKernel,
  kBenchKernels,
  rate,
  kLongRun,
  kShortRun,
  repeatProgress,
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
  /** The pairs of the largest matrix-free product the bench runs: kCpuMaxPairs unless given. */
  maxPairs?: number;
}

/** The float64 dense product's bytes: M read once, x read and y written. */
function cpuMatvecBytes(size: number): number {
  return 8 * size * size + 16 * size;
}

/** One CG iteration: the product's bytes plus about 10 float64 vectors read or written. */
function cpuCgIterationBytes(size: number): number {
  return 8 * size * size + 80 * size;
}

/**
 * The median of `repeats` wall-clock runs of `run`, after one run to warm up, each run after its
 * report to `beforeRepeat` (repeat 0 the warm-up), which stops the loop by throwing.
 */
function wallMs(run: () => void, repeats: number, beforeRepeat: BeforeRepeat = () => {}): number {
  beforeRepeat(0, repeats);
  run();
  const samples: number[] = [];
  for (let k = 0; k < repeats; k++) {
    beforeRepeat(k + 1, repeats);
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
 * The pair interactions (N^2, as Gpair/s counts them) of the largest float64 matrix-free product
 * the CPU bench runs. A core sums about 2 10^8 float64 pairs a second (the README's CPU table), so a
 * product of 10^13 takes hours on a core and most of an hour on 16, and a row runs it `--repeats` + 1
 * times or more: past it (N > 3.2 10^6) matvec_free is refused before anything runs, and matvec_tree
 * goes without the free product beside it (no error or speed-up against it).
 */
export const kCpuMaxPairs = 1e13;

/**
 * From this many pairs a product (a minute or more on a core) a matvec_free row first
 * says how long it will take, at the rate of a product of kRateSampleElectrons on the same threads.
 */
const kLongProductPairs = 1e10;
const kRateSampleElectrons = 4000;

/**
 * Where `system`'s float64 matrix-free product is long (kLongProductPairs), a lasting line: the
 * pairs of one product and the time of the row's `products`, at the rate measured on a sample of
 * kRateSampleElectrons of the same model on `pool` (a fraction of a second).
 */
function estimateFreeProducts(
  system: DarwinSystem,
  pool: WorkerPool,
  products: number,
  label: string,
  progress: Progress,
): void {
  const pairs = system.configuration.n ** 2;
  if (pairs < kLongProductPairs) return;
  const sample = benchSystem(kRateSampleElectrons, system.model, system.dim);
  const free = parallelMassMatrixFree(sample, pool);
  const x = Float64Array.from(velocityPattern(sample, 'random', 1));
  const pairsPerMs = kRateSampleElectrons ** 2 / wallMs(() => free(x), 1);
  free.release();
  const productMs = pairs / pairsPerMs;
  progress.log(
    `${label}: matvec_free: ${pairs.toExponential(1)} pairs a product, ~${durationText(productMs)} each at ` +
      `the ${(pairsPerMs / 1e6).toFixed(2)} Gpair/s of N = ${kRateSampleElectrons}; ${products} products ` +
      `in this row: ~${durationText(products * productMs)}`,
  );
}

/**
 * matvec_free (the symmetric pair loop, or rows on 3 threads and more) and matvec_tree (the float64
 * FMM at the default tolerance, its passes on the pool) of the same x: the tree's relative error
 * against the free product, the float64 direct product the GPU row's is against too. With the
 * tree, the free product is timed only in runs alternating with it: matvec_free's ms, matvec_tree's
 * ms and the speed-up are all of those runs (pairedTiming). Past `maxPairs` (checkCpuBenchFits has refused
 * matvec_free there) the tree runs alone, and its row says so (note).
 */
function benchFastProducts(
  system: DarwinSystem,
  pool: WorkerPool,
  x: Float64Array,
  { repeats, only, maxPairs = kCpuMaxPairs }: CpuBenchOptions,
  label: string,
  progress: Progress,
): BenchRow[] {
  if (!only.has('matvec_free') && !only.has('matvec_tree')) return [];
  const n = system.configuration.n;
  const size = unknowns(system);
  const beforeRepeat = repeatProgress(progress);
  const freeRow = (ms: number): BenchRow => ({
    ...row('matvec_free', system, ms, null, matrixFreeFlops(n, size / n), NaN),
    ginteractions: rate(n * n, ms),
  });
  if (!only.has('matvec_tree')) {
    const free = parallelMassMatrixFree(system, pool);
    estimateFreeProducts(system, pool, repeats + 1, label, progress);
    progress.update(`${label}: matrix-free matvec`);
    const ms = wallMs(() => free(x), repeats, beforeRepeat);
    // The pool goes on to the next size: the product's arrays must not stay with it.
    free.release();
    return [freeRow(ms)];
  }
  progress.update(`${label}: tree matvec (building the tree)`);
  const tree = buildTree(system, {}, sharedArrays(pool));
  const treeY = new Float64Array(size);
  const product = () => treeProduct(tree, x, treeY, pool);
  const w = Float64Array.from(velocityPattern(system, 'random', 2));
  const treeW = new Float64Array(size);
  treeProduct(tree, w, treeW, pool);
  const products = { x, treeY, w, treeW };
  const rows: BenchRow[] = [];
  if (n * n <= maxPairs) {
    const free = parallelMassMatrixFree(system, pool);
    // The warm-up's free product of x, the free product of w, and one of each repeat.
    estimateFreeProducts(system, pool, repeats + 2, label, progress);
    progress.update(`${label}: tree matvec beside the matrix-free one`);
    beforeRepeat(0, repeats);
    const freeY = free(x);
    product();
    const rounds: [number, number][] = [];
    for (let k = 0; k < repeats; k++) {
      beforeRepeat(k + 1, repeats);
      let start = performance.now();
      free(x);
      const freeMs = performance.now() - start;
      start = performance.now();
      product();
      rounds.push([freeMs, performance.now() - start]);
    }
    const freeW = free(w);
    free.release();
    // Node's clock resolves nanoseconds, finer than any product: every sample is positive.
    const paired = pairedTiming(rounds, 'wall')!;
    rows.push(freeRow(paired.reference.ms), {
      ...row('matvec_tree', system, paired.run.ms, null, null, NaN),
      // The float64 free product is the direct product the tree's error is against.
      ...treeRowFields(
        system,
        products,
        tree.counts,
        { freeY, freeW, speedup: paired.speedup },
        { rows: freeY, sample: null },
      ),
    });
  } else {
    const note =
      `no matvec_free beside it: ${(n * n).toExponential(1)} pairs a product, past the ` +
      `${maxPairs.toExponential()} of the CPU bench`;
    progress.log(`${label}: matvec_tree: ${note}`);
    progress.update(`${label}: tree matvec`);
    const ms = wallMs(product, repeats, beforeRepeat);
    rows.push({
      ...row('matvec_tree', system, ms, null, null, NaN),
      ...treeRowFields(system, products, tree.counts, null, null),
      note,
    });
  }
  pool.release(...allocatedArrays(tree));
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
  const beforeRepeat = repeatProgress(progress);
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
  const copyMs = wallMs(() => pool.run(copyRows, [source, target], blocks), repeats, beforeRepeat);
  const copyGbps = rate(2 * matrixBytes, copyMs);
  rows.push(row('copy', system, copyMs, 2 * matrixBytes, null, copyGbps));
  progress.update(`${label}: fill`);
  const fillMs = wallMs(() => pool.run(fillRows, [target, 2], blocks), repeats, beforeRepeat);
  const fillGbps = rate(matrixBytes, fillMs);
  rows.push({ ...row('fill', system, fillMs, matrixBytes, null, copyGbps), ratio_to_fill: 1 });
  pool.release(source, target);
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
    const assemblyMs = wallMs(
      () => pool.run(massEntryRows, args, pairBlocks(pool, n)),
      repeats,
      beforeRepeat,
    );
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
    const ms = wallMs(() => dense.apply(x, y), repeats, beforeRepeat);
    rows.push(row('matvec_dense', system, ms, cpuMatvecBytes(size), denseMatvecFlops(size), copyGbps));
  }
  if (only.has('cg_iteration')) {
    progress.update(`${label}: CG iterations`);
    dense.apply(x, y);
    const b = Float64Array.from(y);
    const iterations = (maxIterations: number) =>
      conjugateGradient(dense, b, { rtol: 0, maxIterations }).iterations;
    beforeRepeat(0, repeats);
    let longRun = kLongRun;
    while (longRun < kMaxLongRun && wallMs(() => iterations(longRun), 1) < kLongRunMs) longRun *= 2;
    const reached = iterations(longRun);
    const timed = reached - iterations(kShortRun);
    const samples: number[] = [];
    for (let k = 0; timed >= 2 && k < repeats; k++) {
      beforeRepeat(k + 1, repeats);
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
    } else {
      progress.log(`${label}: ${noCgIterationNote(timed, reached)}`);
    }
  }
  pool.release(matrix);
  return asked();
}

/**
 * Refuses, before any row runs, a size whose matvec_free would take hours a product (its N^2 pairs
 * past kCpuMaxPairs: first, as no host changes that), a size whose matrix rows the host cannot hold:
 * the dense float64 M past kMaxDenseSize unknowns (its assembly's limit), or the copy's two float64
 * arrays as large as M, the most that benchCpuSize holds at once (16 size^2 bytes), past `memory`;
 * and a size whose matvec_free or matvec_tree cannot fit `memory` (fastRowsNeed). Nothing is
 * allocated, not even the positions: a 1.4 TB copy or the tree of 10^8 electrons is refused at
 * once, not by the OOM killer. The rows the dense M bounds are far under kCpuMaxPairs (its 16384
 * unknowns are 3 10^7 pairs at most), and the tree's direct pairs grow as N, not N^2.
 */
export function checkCpuBenchFits(
  {
    sizes,
    model,
    dim,
    only,
    maxPairs = kCpuMaxPairs,
  }: Pick<CpuBenchOptions, 'sizes' | 'model' | 'dim' | 'only' | 'maxPairs'>,
  memory: DeviceMemory,
): void {
  const tooLong = only.has('matvec_free') ? sizes.find((n) => n * n > maxPairs) : undefined;
  if (tooLong !== undefined) {
    throw benchRefusal(
      'cpu',
      tooLong,
      ['matvec_free'],
      `${(tooLong * tooLong).toExponential(1)} pairs a product in float64, past the CPU bench's ` +
        `${maxPairs.toExponential()} (hours a product on any CPU)`,
      '--only matvec_tree leaves it out (the tree then runs without it: no error or speed-up)',
    );
  }
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
