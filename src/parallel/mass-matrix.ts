// The float64 CPU path's kernels on a WorkerPool: the assembly of M (eq. 48/50), the dense product
// and the matrix-free product, each split into blocks of rows that give the single-thread
// functions' results bit for bit (src/physics/models.ts, src/solvers/dense.ts).
import {
  azimuthalInteraction,
  applyInteractionFree,
  assemblyChunkCount,
  checkDenseSize,
  kernelModel,
  massDiagonal,
  massEntryRows,
  massFreeRows,
  momentaFrom,
  unknowns,
  vectorInteractionBlock,
  type DarwinSystem,
} from '../physics/models.ts';
import {
  addChargeToMultipole,
  completeLocal,
  evaluateLocal,
  expansionTableArrays,
  inverseDistanceDerivatives,
  localRows,
  multipoleRows,
  multipoleToLocal,
  planarMultipoleToLocal,
  reduceMultipole,
  scaledMonomials,
  shiftLocal,
  shiftMultipole,
  stokesletFarFieldRows,
  unpackExpansionTables,
} from '../physics/cartesian-expansion.ts';
import { reducedFieldRows } from '../physics/london.ts';
import { nearFieldAcross, nearFieldWithin } from '../physics/treecode.ts';
import { denseProductRows } from '../solvers/dense.ts';
import { simdDotModule, simdProductRows } from './simd.ts';
import { pairBlockRuns, rowBlocks, type WorkerPool } from './pool.ts';

/** target[start, end) = source[start, end): the copy that bench measures the CPU's bandwidth by. */
export function copyRows(source: Float64Array, target: Float64Array, start: number, end: number): void {
  target.set(source.subarray(start, end), start);
}

/** target[start, end) = value: the write bandwidth, which bounds the assembly. */
export function fillRows(target: Float64Array, value: number, start: number, end: number): void {
  target.fill(value, start, end);
}

/** Every kernel of the CPU path, with the pair kernels they call: one pool runs them all. */
export const kCpuKernels = [
  denseProductRows,
  simdProductRows,
  simdDotModule,
  massEntryRows,
  massFreeRows,
  azimuthalInteraction,
  vectorInteractionBlock,
  copyRows,
  fillRows,
  // The tree's product (src/physics/treecode.ts) and the expansion operators its passes call.
  multipoleRows,
  localRows,
  stokesletFarFieldRows,
  nearFieldWithin,
  nearFieldAcross,
  expansionTableArrays,
  unpackExpansionTables,
  scaledMonomials,
  inverseDistanceDerivatives,
  addChargeToMultipole,
  shiftMultipole,
  reduceMultipole,
  multipoleToLocal,
  planarMultipoleToLocal,
  completeLocal,
  shiftLocal,
  evaluateLocal,
  // London's Biot-Savart field at a map's points (src/parallel/london.ts).
  reducedFieldRows,
];

/** The positions as an array the pool shares. */
function sharedPositions(pool: WorkerPool, system: DarwinSystem): Float64Array {
  const positions = pool.shared(3 * system.configuration.n);
  positions.set(system.configuration.positions.subarray(0, 3 * system.configuration.n));
  return positions;
}

/**
 * massMatrixEntries in float64 on the pool, into an array it shares: the pairs split into blocks
 * of electrons of equal work (row i holds the pairs j > i). Bit-identical to massMatrixEntries.
 * The blocks run in assemblyChunkCount chunks, `onChunk` called after each of
 * several: a long assembly reports progress as the GPU's does, and its throw stops it there.
 */
export function parallelMassMatrixEntries(
  system: DarwinSystem,
  pool: WorkerPool,
  onChunk?: (done: number, total: number) => void,
): Float64Array {
  const size = unknowns(system);
  checkDenseSize(size);
  const n = system.configuration.n;
  // Room for the product's x after M: the SIMD dot product reads both from one memory.
  const data = pool.shared(size * size, { trailing: size, wasm: true });
  const diagonal = massDiagonal(system);
  for (let k = 0; k < size; k++) data[k * size + k] = diagonal[k];
  const positions = sharedPositions(pool, system);
  const { dim, epsilon, softening } = system;
  const args = [positions, data, n, kernelModel(system), dim, epsilon, softening];
  const chunks = pairBlockRuns(pool, n, assemblyChunkCount(n));
  try {
    for (const [c, boundaries] of chunks.entries()) {
      pool.run(massEntryRows, args, boundaries);
      if (chunks.length > 1) onChunk?.(c + 1, chunks.length);
    }
  } catch (error) {
    pool.release(data);
    throw error;
  } finally {
    pool.release(positions);
  }
  return data;
}

/**
 * Threads from which massFreeRows, which evaluates every pair twice, beats applyMassMatrixFree's
 * one pass over each pair: split over K threads it takes 2/K of its time. Below, the pool's
 * product is applyMassMatrixFree itself (the same result bit for bit).
 */
export const kMatrixFreeMinimumThreads = 3;

/**
 * A float64 product y = M v or eps T v that may share arrays with a pool's threads, and release(),
 * which lets the pool drop them once no product follows: a pool that outlives the product (a sweep's,
 * one product a point) would hold them otherwise until it is disposed.
 */
export interface ReleasableProduct<V = ArrayLike<number>> {
  (v: V): Float64Array;
  release(): void;
}

/** `product`, which holds nothing on a pool: its release() has nothing to do. */
export function holdingNothing<V>(product: (v: V) => Float64Array): ReleasableProduct<V> {
  return Object.assign(product, { release: () => undefined });
}

/**
 * y = M v in float64 without storing M (applyMassMatrixFree), rows split over the pool (bench
 * --device cpu's matvec_free row): D v + parallelInteractionFree's eps T v.
 */
export function parallelMassMatrixFree(system: DarwinSystem, pool: WorkerPool): ReleasableProduct {
  const interaction = parallelInteractionFree(system, pool);
  const diagonal = massDiagonal(system);
  return Object.assign((v: ArrayLike<number>) => momentaFrom(diagonal, v, interaction(v)), {
    release: interaction.release,
  });
}

/**
 * eps T v in float64 without storing T (applyInteractionFree), rows split over the pool: massFreeRows
 * with D = 0, whose rows are then eps times their interaction sums exactly. The positions, D and
 * x, y are shared with the pool's threads until release().
 */
export function parallelInteractionFree(system: DarwinSystem, pool: WorkerPool): ReleasableProduct {
  if (pool.threads < kMatrixFreeMinimumThreads) return holdingNothing((v) => applyInteractionFree(system, v));
  const size = unknowns(system);
  const n = system.configuration.n;
  const positions = sharedPositions(pool, system);
  // Zero, as a SharedArrayBuffer starts.
  const diagonal = pool.shared(size);
  const x = pool.shared(size);
  const y = pool.shared(size);
  const { dim, epsilon, softening } = system;
  const args = [positions, x, y, diagonal, n, kernelModel(system), dim, epsilon, softening];
  const blocks = rowBlocks(pool, n);
  const product = (v: ArrayLike<number>) => {
    if (v.length !== size) throw new RangeError(`v has length ${v.length}, the system has ${size} unknowns`);
    x.set(v);
    pool.run(massFreeRows, args, blocks);
    return Float64Array.from(y);
  };
  return Object.assign(product, { release: () => pool.release(positions, diagonal, x, y) });
}
