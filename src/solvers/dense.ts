// A dense symmetric matrix as a LinearOperator (the mass matrix M of eq. 48/50, whose entries
// src/physics/models.ts assembles) and its matvec. Row-major storage of the full matrix: the GPU
// engine stores the same layout, so the float32 variant here mirrors it entry for entry.
import type { LinearOperator, Precision, Vector } from './types.ts';

export interface DenseMatrix extends LinearOperator {
  /** Row-major size x size entries. */
  readonly data: Float64Array | Float32Array;
}

export function denseMatrix(
  size: number,
  data: Float64Array | Float32Array,
  precision: Precision,
): DenseMatrix {
  return {
    size,
    precision,
    data,
    apply(x: Vector, y: Vector) {
      if (data instanceof Float64Array) gemv64(data, size, x, y);
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
// seen, and a single loop fed both Float32Array and Float64Array matrices ran twice as slowly for
// both ever after (measured on the 12 000-unknown CG/Lanczos tests).
function gemv64(data: Float64Array, size: number, x: Vector, y: Vector): void {
  for (let row = 0, offset = 0; row < size; row++, offset += size) {
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

/** p = M v in float64. */
export function applyMassMatrix(matrix: LinearOperator, velocities: ArrayLike<number>): Float64Array {
  const x = new Float64Array(velocities);
  const y = new Float64Array(matrix.size);
  matrix.apply(x, y);
  return y;
}
