// What the GPU path can hold. The GPU computes in float32 (largest 3.4e38, smallest normal 1.2e-38;
// GPUs flush subnormals to zero), so an input outside that range would come back as Inf, NaN or a
// silent zero (eps = 1e308 gave `diverged_nan` with exit 0). Such inputs are refused before any GPU
// work, with a message that names the float64 CPU path, which keeps float64's range.
import { blockSize, coincidentPair, type DarwinSystem } from './models.ts';
import { InputError } from './input-error.ts';
import { medianElectron, uploadOrigin } from './tree-build.ts';

export const kFloat32Max = 3.4028234663852886e38;
export const kFloat32MinNormal = 1.1754943508222875e-38;

const kRemedy = "the GPU computes in float32; the CPU reference (--device cpu) keeps float64's range";

function refuse(what: string, field: string, problem: string): never {
  throw new InputError(`${what} ${problem} for float32 (${kRemedy})`, field);
}

/**
 * A scalar of the kernels: 0, or a float32 normal number (a subnormal eps would be flushed to zero,
 * silently dropping the Darwin term), whose square is one too where the kernels square it (the
 * softening a enters as a^2). eps multiplies entries 1/(2 r) and vectors, so it is held to the same
 * square-root bound, which keeps those products finite.
 */
function checkScalar(value: number, what: string, field: string, squared: boolean): void {
  const magnitude = Math.abs(value);
  if (magnitude === 0) return;
  if (magnitude > Math.sqrt(kFloat32Max)) refuse(`${what} = ${written(value)}`, field, 'is too large');
  const smallest = squared ? Math.sqrt(kFloat32MinNormal) : kFloat32MinNormal;
  if (magnitude < smallest) refuse(`${what} = ${written(value)}`, field, 'is too small');
}

/** A number as a user writes it: 1e+20, not String()'s 100000000000000000000. */
function written(value: number): string {
  const magnitude = Math.abs(value);
  return magnitude >= 1e6 || magnitude < 1e-4 ? value.toExponential() : String(value);
}

/** eps alone, when a backend changes it (setEpsilon). */
export function checkFloat32Epsilon(epsilon: number): void {
  checkScalar(epsilon, 'epsilon', 'epsilon', false);
}

/**
 * How a GPU product holds M, which decides what it uploads of the positions: 'dense' and 'free' the
 * positions less uploadOrigin (src/kernels/system.ts packPositions: the vector model's less the
 * median electron's coordinates, the azimuthal model's less its z), 'tree' the positions less the
 * median electron's coordinates in either model (src/kernels/tree.ts treeStorageBuffers), each
 * rounded to float32; 'auto' before the storage is chosen.
 */
export type Float32Storage = 'dense' | 'free' | 'tree' | 'auto';

/**
 * The positions as the GPU product of `storage` uploads them, rounded to float32, 3 per electron in
 * input order, less the origin subtracted in float64 before rounding: the tree's median electron
 * (medianElectron, treeStorageBuffers), the dense and matrix-free products' uploadOrigin
 * (packPositions).
 */
export function uploadedPositions(system: DarwinSystem, storage: 'dense' | 'free' | 'tree'): Float32Array {
  const { n, positions } = system.configuration;
  const origin = storage === 'tree' ? medianElectron(positions, n) : uploadOrigin(system);
  const uploaded = new Float32Array(3 * n);
  for (let k = 0; k < 3 * n; k++) uploaded[k] = positions[k] - origin[k % 3];
  return uploaded;
}

/**
 * eps, the softening and the positions (whose squared distances the kernels form) of a GPU system
 * whose M is held as `storage`: two electrons at one point of what that product uploads (uploadedPositions)
 * are refused there without softening; 'auto' leaves that test to the storage chosen
 * (src/engine/backend.ts checkGpuBackendFits).
 */
export function checkFloat32System(system: DarwinSystem, storage: Float32Storage): void {
  checkFloat32Epsilon(system.epsilon);
  checkScalar(system.softening, 'softening', 'softening', true);
  let largest = 0;
  for (const x of system.configuration.positions) largest = Math.max(largest, Math.abs(x));
  // r^2 of two electrons at opposite corners, (2 sqrt(3) L)^2 = 12 L^2, must stay finite.
  if (12 * largest * largest > kFloat32Max) {
    refuse(`a position coordinate of ${largest.toExponential(2)} R`, 'positions', 'is too large');
  }
  // Without softening, r_ij = 0 makes T_ij infinite (validateSystem's refusal in float64): two
  // electrons apart in float64 but at one float32 point of the product's upload would give a run of
  // infinite momenta or NaN, not the float64 answer. The tree's positions relative to the median
  // electron hold an azimuthal configuration far from the z axis that the others' do not, and each
  // upload may lose pairs that another keeps apart.
  if (system.softening === 0 && storage !== 'auto') {
    const { n } = system.configuration;
    const pair = coincidentPair(uploadedPositions(system, storage), n);
    if (pair) {
      const where = storage === 'tree' ? ' relative to the median electron' : '';
      // The tree's upload may keep apart what the others' do not (an azimuthal body far from the axis).
      const tree =
        storage !== 'tree' && !coincidentPair(uploadedPositions(system, 'tree'), n)
          ? ', use --matrix tree (its positions are relative to the median electron)'
          : '';
      throw new InputError(
        `electrons ${pair[0]} and ${pair[1]} are at the same place once rounded to float32${where}, the ` +
          `GPU's precision; give a softening > 0${tree}, or use the CPU reference (--device cpu), which keeps float64`,
        'positions',
      );
    }
  }
}

/**
 * The charges and field points of the GPU's Biot-Savart sum (shaders/biot_savart.wgsl), which weighs
 * each term by 1/r^3: two of them at opposite corners of the box that holds them all must keep that a
 * normal float32, or their terms flush to zero (r < 4.4e12 R; a cylinder of half-height 1e30 gave a
 * zero centre field and a map of NaN).
 */
export function checkFloat32FieldSum(positions: ArrayLike<number>, points: ArrayLike<number>): void {
  let largest = 0;
  for (const values of [positions, points]) {
    for (let k = 0; k < values.length; k++) largest = Math.max(largest, Math.abs(values[k]));
  }
  if ((2 * Math.sqrt(3) * largest) ** 3 > 1 / kFloat32MinNormal) {
    refuse(
      `a charge or field point ${largest.toExponential(2)} R from the centre`,
      'positions',
      'is too far',
    );
  }
}

/**
 * Velocities or momenta for the GPU: the Krylov solvers form sums of squares of their size, which
 * must neither overflow nor flush to zero (24 bits kept for the largest entry's square).
 */
export function checkFloat32Vector(
  system: DarwinSystem,
  values: ArrayLike<number>,
  what: string,
  field: string,
): void {
  let largest = 0;
  for (let k = 0; k < values.length; k++) largest = Math.max(largest, Math.abs(values[k]));
  if (largest === 0) return;
  const size = system.configuration.n * blockSize(system);
  if (largest * largest * size > kFloat32Max / 4) {
    refuse(`${what} of size ${largest.toExponential(2)}`, field, 'are too large');
  }
  if (largest * largest < kFloat32MinNormal * 2 ** 24) {
    refuse(`${what} of size ${largest.toExponential(2)}`, field, 'are too small');
  }
}
