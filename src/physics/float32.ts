// What the GPU path can hold. The GPU computes in float32 (largest 3.4e38, smallest normal 1.2e-38;
// GPUs flush subnormals to zero), so an input outside that range would come back as Inf, NaN or a
// silent zero (eps = 1e308 gave `diverged_nan` with exit 0). Such inputs are refused before any GPU
// work, with a message that names the float64 CPU path, which keeps float64's range.
import { blockSize, cylindricalRadiusSquared, type DarwinSystem } from './models.ts';
import { InputError } from './input-error.ts';
import { nearestNeighbourDistances } from './neighbours.ts';
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
 * whose M is held as `storage`: two electrons at one point of what that product uploads (uploadedPositions),
 * or so close there that their r^2 is below float32's normal range, are refused there without
 * softening; 'auto' leaves that test to the storage chosen (src/engine/backend.ts checkGpuBackendFits).
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
  // The azimuthal diagonal D_ii = rho_i^2 is uploaded in float32 (packPositions): below its normal
  // range it flushes to 0, and the electron loses its inertia (an electron 6e-20 R from the axis
  // moves lambda_max by 1.2e-4), while the float64 D^-1/2 that scales M stays 1/rho_i.
  if (system.model === 'azimuthal') {
    const { n, positions } = system.configuration;
    for (let i = 0; i < n; i++) {
      const rhoSquared = cylindricalRadiusSquared(positions, i);
      if (rhoSquared < kFloat32MinNormal) {
        const where = `electron ${i} (${Math.sqrt(rhoSquared).toExponential(2)} R from the z axis)`;
        refuse(`the rho^2 = ${rhoSquared.toExponential(2)} R^2 of ${where}`, 'positions', 'is too small');
      }
    }
  }
  // Without softening, r_ij = 0 makes T_ij infinite (validateSystem's refusal in float64): two
  // electrons apart in float64 but at one float32 point of the product's upload, or with an r^2 that
  // flushes to 0 there, would give a run of infinite momenta or NaN, not the float64 answer. The
  // tree's positions relative to the median electron hold an azimuthal configuration far from the z
  // axis that the others' do not, and each upload may lose pairs that another keeps apart.
  if (storage === 'auto') return;
  const { n, positions } = system.configuration;
  const where = storage === 'tree' ? ' relative to the median electron' : '';
  const uploaded = uploadedPositions(system, storage);
  if (system.softening === 0) {
    const close = float32ClosePair(uploaded, n);
    if (close) {
      const [i, j, distance] = close;
      // The tree's upload may keep apart what the others' do not (an azimuthal body far from the axis).
      const tree =
        storage !== 'tree' && !float32ClosePair(uploadedPositions(system, 'tree'), n)
          ? ', use --matrix tree (its positions are relative to the median electron)'
          : '';
      const apart =
        distance === 0
          ? `are at the same place once rounded to float32${where}, the GPU's precision`
          : `are ${distance.toExponential(2)} R apart once rounded to float32${where}, an r^2 below ` +
            'the normal range that float32 keeps on the GPU (it flushes to 0)';
      throw new InputError(
        `electrons ${i} and ${j} ${apart}; give a softening > 0${tree}, or use the CPU reference ` +
          '(--device cpu), which keeps float64',
        'positions',
      );
    }
    return;
  }
  // With a softening a, such a pair's T_ij is finite but of r = 0: 1/(2a) where float64's is about
  // 1/(2 sqrt(r^2 + a^2)), right only where a dominates r (to (r/a)^2, relatively). A pair that float32
  // merges a thousand times farther apart than a gave momenta 836 times too large.
  const merged = float32MergedPair(uploaded, positions, n);
  if (merged && merged[2] > kMergedShareOfSoftening * system.softening) {
    const [i, j, distance] = merged;
    throw new InputError(
      `electrons ${i} and ${j}, ${distance.toExponential(2)} R apart, are at one float32 point${where} ` +
        `(the GPU's precision), where the softening a = ${system.softening.toExponential(2)} R ` +
        `does not stand in for their distance; give a softening of at least ` +
        `${(distance / kMergedShareOfSoftening).toExponential(2)} R, or use the CPU reference ` +
        '(--device cpu), which keeps float64',
      'positions',
    );
  }
}

/**
 * The largest float64 distance, as a share of the softening, of two electrons that float32 merges:
 * T_ij of r = 0 then errs by about (r/a)^2, 2^-20, within a few of float32's own roundings.
 */
const kMergedShareOfSoftening = 2 ** -10;

/**
 * The groups of electrons whose float32 `uploaded` positions (3 per electron) agree once the
 * coordinates below `flush` are taken as 0, by a lexicographic sort of those keys (O(N log N)). Each
 * group of two or more, as electron indices.
 */
function float32Groups(uploaded: Float32Array, n: number, flush: number): number[][] {
  const key = uploaded.map((value) => (Math.abs(value) < flush ? 0 : value));
  const compare = (a: number, b: number) =>
    key[3 * a] - key[3 * b] || key[3 * a + 1] - key[3 * b + 1] || key[3 * a + 2] - key[3 * b + 2];
  const order = Array.from({ length: n }, (_, i) => i).sort(compare);
  const groups: number[][] = [];
  for (let start = 0, end = 1; start < n; start = end, end = start + 1) {
    while (end < n && compare(order[start], order[end]) === 0) end++;
    if (end - start >= 2) groups.push(order.slice(start, end));
  }
  return groups;
}

/**
 * Two electrons of float32 `uploaded` positions (3 per electron) whose r^2 is below float32's
 * normal range (sqrt of it: 2^-63 = 1.1e-19), as [i, j, r] with i < j, r their float64 distance (0
 * at one point), or null. Such a pair differs on each axis by less than 2^-63, which two float32
 * numbers do only where they are equal or both below 2^-38 in size (float32's spacing above that is
 * at least 2^-62): only electrons in one group of float32Groups with those taken as 0 can be that
 * close, and a nearest-neighbour search within each group finds the closest pair.
 */
function float32ClosePair(uploaded: Float32Array, n: number): [number, number, number] | null {
  const limit = 2 ** -63;
  let closest: [number, number, number] | null = null;
  for (const group of float32Groups(uploaded, n, 2 ** -38)) {
    const positions = new Float64Array(3 * group.length);
    group.forEach((electron, k) => positions.set(uploaded.subarray(3 * electron, 3 * electron + 3), 3 * k));
    const distances = nearestNeighbourDistances({ n: group.length, positions, source: 'upload' });
    let k = 0;
    for (let m = 1; m < group.length; m++) if (distances[m] < distances[k]) k = m;
    if (distances[k] >= limit || (closest && distances[k] >= closest[2])) continue;
    // The partner at that distance, formed as nearestNeighbourDistances forms it.
    const distance = (m: number) => {
      const [dx, dy, dz] = [0, 1, 2].map((c) => positions[3 * m + c] - positions[3 * k + c]);
      return Math.sqrt(dx * dx + dy * dy + dz * dz);
    };
    const partner = group.findIndex((_, m) => m !== k && distance(m) === distances[k]);
    const [i, j] = [group[k], group[partner]].sort((a, b) => a - b);
    closest = [i, j, distances[k]];
  }
  return closest;
}

/**
 * Of the electrons that float32 `uploaded` positions put at one point (float32Groups of exact
 * coordinates), the two farthest apart in float64 `positions` as [i, j, r], i < j, or null: in each
 * group, the two extremes along the axis of its widest float64 extent, at least 1/sqrt(3) of its
 * widest pair apart. A group's float64 extent is what float32 lost.
 */
function float32MergedPair(
  uploaded: Float32Array,
  positions: ArrayLike<number>,
  n: number,
): [number, number, number] | null {
  let widest: [number, number, number] | null = null;
  for (const group of float32Groups(uploaded, n, 0)) {
    let best: [number, number, number] | null = null;
    for (let c = 0; c < 3; c++) {
      let low = group[0];
      let high = group[0];
      for (const i of group) {
        if (positions[3 * i + c] < positions[3 * low + c]) low = i;
        if (positions[3 * i + c] > positions[3 * high + c]) high = i;
      }
      const extent = positions[3 * high + c] - positions[3 * low + c];
      if (!best || extent > best[2]) best = [low, high, extent];
    }
    const [low, high] = best!;
    const r = Math.hypot(...[0, 1, 2].map((c) => positions[3 * high + c] - positions[3 * low + c]));
    if (!widest || r > widest[2]) widest = [Math.min(low, high), Math.max(low, high), r];
  }
  return widest;
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
