// A dense symmetric matrix as a LinearOperator (the mass matrix M of eq. 48/50, whose entries
// src/physics/models.ts assembles) and its matvec. Row-major storage of the full matrix: the GPU
// engine stores the same layout, so the float32 variant here mirrors it entry for entry.
import { rowBlocks, type WorkerPool } from '../parallel/pool.ts';
import { simdAvailable, simdProductRows, type MemoryArray } from '../parallel/simd.ts';
import type { LinearOperator, Precision, Vector } from './types.ts';

export interface DenseMatrix extends LinearOperator {
  /** Row-major size x size entries. */
  readonly data: Float64Array | Float32Array;
}

/**
 * `pool`: split each float64 product over its threads (`data` then comes from pool.shared), from
 * kParallelProductSize unknowns; the result is the same bit for bit for any number of threads, and
 * equal to the single-thread loop's to rounding where the pool's SIMD product runs (parallelProduct).
 */
export function denseMatrix(
  size: number,
  data: Float64Array | Float32Array,
  precision: Precision,
  pool?: WorkerPool,
): DenseMatrix {
  const parallel =
    pool && size >= kParallelProductSize && data instanceof Float64Array
      ? parallelProduct(pool, data, size)
      : null;
  return {
    size,
    precision,
    data,
    apply(x: Vector, y: Vector) {
      if (parallel) parallel(x, y);
      else if (data instanceof Float64Array) gemv64(data, size, x, y);
      else gemv32(data, size, x, y);
    },
    diagonal() {
      const d = new Float64Array(size);
      for (let k = 0; k < size; k++) d[k] = data[k * size + k];
      return d;
    },
  };
}

// Two copies of one loop on purpose: V8 optimises an element load for the typed-array kinds it has
// seen, and a single loop fed both Float32Array and Float64Array matrices turns polymorphic and
// slow for both from then on.
function gemv64(data: Float64Array, size: number, x: Vector, y: Vector): void {
  denseProductRows(data, size, x, y, 0, size);
}

/**
 * The rows [start, end) of y = A x, each row's dot product summed in column order: the same sums
 * for any split of the rows, so a product split over threads is bit-identical to one thread's. A
 * pool kernel (src/parallel/pool.ts).
 */
export function denseProductRows(
  data: Float64Array,
  size: number,
  x: Vector,
  y: Vector,
  start: number,
  end: number,
): void {
  for (let row = start, offset = start * size; row < end; row++, offset += size) {
    let sum = 0;
    for (let col = 0; col < size; col++) sum += data[offset + col] * x[col];
    y[row] = sum;
  }
}

function gemv32(data: Float32Array, size: number, x: Vector, y: Vector): void {
  for (let row = 0, offset = 0; row < size; row++, offset += size) {
    let sum = 0;
    for (let col = 0; col < size; col++) sum += data[offset + col] * x[col];
    y[row] = sum;
  }
}

/**
 * Unknowns from which a dense product runs on the pool (its SIMD product, split over its threads):
 * below, one product on one thread takes no longer than a worker takes to wake on a loaded machine
 * (a few hundred microseconds), so threads would only add their wake-up.
 */
export const kParallelProductSize = 512;

/**
 * y = A x with A's rows in blocks over the pool, through vectors it shares: by the SIMD dot product
 * (src/parallel/simd.ts, equal to the column-order sum to rounding) where A lies in a shared
 * WebAssembly memory with room for x after it (pool.shared(size * size, { trailing: size, wasm: true })),
 * else by denseProductRows.
 */
function parallelProduct(pool: WorkerPool, data: MemoryArray, size: number): (x: Vector, y: Vector) => void {
  const simd =
    data.wasmMemory !== undefined &&
    data.wasmMemory.buffer.byteLength >= data.byteOffset + 8 * (size * size + size) &&
    simdAvailable();
  const xShared = simd ? pool.view(data, size * size, size) : pool.shared(size);
  const yShared = pool.shared(size);
  const kernel = simd ? simdProductRows : denseProductRows;
  const blocks = rowBlocks(pool, size);
  return (x, y) => {
    xShared.set(x);
    pool.run(kernel, [data, size, xShared, yShared], blocks);
    y.set(yShared);
  };
}

/** p = M v in float64. */
export function applyMassMatrix(matrix: LinearOperator, velocities: ArrayLike<number>): Float64Array {
  const x = new Float64Array(velocities);
  const y = new Float64Array(matrix.size);
  matrix.apply(x, y);
  return y;
}
