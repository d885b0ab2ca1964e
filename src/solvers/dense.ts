// Dense mass matrix M (eq. 48/50 generalised, see src/physics/models.ts) and its matvec.
// Row-major storage of the full symmetric matrix: the GPU engine stores the same layout, so the
// float32 variant here mirrors it entry for entry.
import {
  azimuthalInteraction,
  blockSize,
  massDiagonal,
  unknowns,
  vectorInteractionBlock,
  type DarwinSystem,
} from '../physics/models.ts';
import { InputError } from '../physics/input-error.ts';
import type { LinearOperator, Precision, Vector } from './types.ts';

export interface DenseMatrix extends LinearOperator {
  /** Row-major size x size entries. */
  readonly data: Float64Array | Float32Array;
}

/** Largest size the CPU reference will assemble (12 000 is the 3D vector model at N = 4000; 1.15 GB). */
export const kMaxDenseSize = 16384;

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

/** Assembles M = D + eps T for the system, in the given storage precision. */
export function massMatrix(system: DarwinSystem, precision: Precision = 'float64'): DenseMatrix {
  const size = unknowns(system);
  if (size > kMaxDenseSize) {
    throw new InputError(
      `the dense CPU reference holds at most ${kMaxDenseSize} unknowns, this system has ${size}`,
    );
  }
  const data = precision === 'float64' ? new Float64Array(size * size) : new Float32Array(size * size);
  const { n, positions } = system.configuration;
  const { epsilon, softening } = system;
  const b = blockSize(system);
  const diagonal = massDiagonal(system);
  for (let k = 0; k < size; k++) data[k * size + k] = diagonal[k];
  if (system.model === 'azimuthal') {
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const value = epsilon * azimuthalInteraction(positions, i, j, softening);
        data[i * size + j] = value;
        data[j * size + i] = value;
      }
    }
  } else {
    const block = new Float64Array(b * b);
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        vectorInteractionBlock(positions, i, j, softening, system.dim, block);
        for (let a = 0; a < b; a++) {
          for (let c = 0; c < b; c++) {
            const value = epsilon * block[a * b + c];
            data[(i * b + a) * size + j * b + c] = value;
            data[(j * b + c) * size + i * b + a] = value;
          }
        }
      }
    }
  }
  return denseMatrix(size, data, precision);
}

/** p = M v in float64. */
export function applyMassMatrix(matrix: LinearOperator, velocities: ArrayLike<number>): Float64Array {
  const x = new Float64Array(velocities);
  const y = new Float64Array(matrix.size);
  matrix.apply(x, y);
  return y;
}
