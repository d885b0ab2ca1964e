// The generalized-momentum ("mass") matrix of N electrons, eq. 48/50 generalised, in units of m and R:
//   vector model     M = I + eps T,  T_ij = (I + n_ij n_ij^T) / (2 r_ij)  (i != j, 3x3 or 2x2 blocks)
//   azimuthal model  M_ij = delta_ij rho_i^2 + eps rho_i rho_j [e_i.e_j + (e_i.n_ij)(e_j.n_ij)] / (2 r_ij)
// The vector block is the velocity part of the Darwin-Breit term eq. (1): p_i = m v_i + sum_j
// (e^2 / 2 c^2 r_ij)(I + n n^T) v_j, divided by m with lengths in R, so eps = r_e / R. The azimuthal
// block is P^T T P with P_i = rho_i e_i (v_i = rho_i phidot_i e_i, eq. 2); on a ring it is eq. 31's V_phi.
// Softening a replaces r_ij by sqrt(r_ij^2 + a^2) (a finite thickness, cf. eq. 45); n_ij stays the
// direction of the true separation (and is 0 for coincident electrons, which only softening allows).
import { radiusFromEpsilon } from './constants.ts';
import type { Configuration } from './geometry.ts';
import { InputError } from './input-error.ts';
import { triangleBlocks } from '../parallel/pool.ts';

export const kModelNames = ['vector', 'azimuthal'] as const;
export type ModelName = (typeof kModelNames)[number];

export function isModelName(name: unknown): name is ModelName {
  return (kModelNames as readonly unknown[]).includes(name);
}
export type Dimension = 2 | 3;

/** Everything that fixes the mass matrix. */
export interface DarwinSystem {
  readonly configuration: Configuration;
  readonly model: ModelName;
  /** Velocity components per electron in the vector model; the azimuthal model has one (phidot). */
  readonly dim: Dimension;
  /** eps = r_e / R (eq. 49/50). */
  readonly epsilon: number;
  /** Softening length a, units of R; 0 means the bare 1/r_ij. */
  readonly softening: number;
}

/** Unknowns per electron: 3 or 2 velocity components (vector model), 1 angular velocity (azimuthal). */
export function blockSize(system: Pick<DarwinSystem, 'model' | 'dim'>): 1 | 2 | 3 {
  return system.model === 'azimuthal' ? 1 : system.dim;
}

/** What sizes M and its buffers: N and the model, without the positions. */
export type SystemSize = Pick<DarwinSystem, 'model' | 'dim'> & {
  readonly configuration: Pick<Configuration, 'n'>;
};

/** Size of M: N times the block size. */
export function unknowns(system: SystemSize): number {
  return system.configuration.n * blockSize(system);
}

/** rho_i^2 = x_i^2 + y_i^2: the azimuthal model's diagonal (moment of inertia in units m R^2). */
export function cylindricalRadiusSquared(positions: Float64Array, i: number): number {
  const x = positions[3 * i];
  const y = positions[3 * i + 1];
  return x * x + y * y;
}

/**
 * The Jacobi diagonal D = diag M: 1 for every velocity component, rho_i^2 in the azimuthal model.
 * The diagonal of T vanishes (no self-interaction), so D is also the mass matrix at eps = 0.
 */
export function massDiagonal(system: DarwinSystem): Float64Array {
  const n = system.configuration.n;
  const size = blockSize(system);
  const diagonal = new Float64Array(n * size);
  if (system.model === 'azimuthal') {
    for (let i = 0; i < n; i++) diagonal[i] = cylindricalRadiusSquared(system.configuration.positions, i);
  } else diagonal.fill(1);
  return diagonal;
}

/**
 * T_ij of the vector model (without eps) into `out` as a row-major dim x dim block.
 * Only the in-plane components are used when dim = 2 (positions then have z = 0).
 */
export function vectorInteractionBlock(
  positions: Float64Array,
  i: number,
  j: number,
  softening: number,
  dim: Dimension,
  out: Float64Array,
): void {
  const dx = positions[3 * i] - positions[3 * j];
  const dy = positions[3 * i + 1] - positions[3 * j + 1];
  const dz = positions[3 * i + 2] - positions[3 * j + 2];
  const r2 = dx * dx + dy * dy + dz * dz;
  const softened = Math.sqrt(r2 + softening * softening);
  const scale = 1 / (2 * softened);
  // (I + n n^T)/(2r) = I/(2r) + d d^T/(2 r |d|^2)
  const outer = r2 > 0 ? scale / r2 : 0;
  const d = [dx, dy, dz];
  for (let a = 0; a < dim; a++) {
    for (let b = 0; b < dim; b++) out[a * dim + b] = (a === b ? scale : 0) + outer * d[a] * d[b];
  }
}

/**
 * The azimuthal entry rho_i rho_j [e_i.e_j + (e_i.n)(e_j.n)] / (2 r_ij) without eps. With
 * u_i = rho_i e_i = (-y_i, x_i, 0) it is u_i^T T_ij u_j, which needs no square root of rho.
 */
export function azimuthalInteraction(
  positions: Float64Array,
  i: number,
  j: number,
  softening: number,
): number {
  const xi = positions[3 * i];
  const yi = positions[3 * i + 1];
  const xj = positions[3 * j];
  const yj = positions[3 * j + 1];
  const dx = xi - xj;
  const dy = yi - yj;
  const dz = positions[3 * i + 2] - positions[3 * j + 2];
  const r2 = dx * dx + dy * dy + dz * dz;
  const softened = Math.sqrt(r2 + softening * softening);
  const uiuj = yi * yj + xi * xj;
  const uin = -yi * dx + xi * dy;
  const ujn = -yj * dx + xj * dy;
  const projection = r2 > 0 ? (uin * ujn) / r2 : 0;
  return (uiuj + projection) / (2 * softened);
}

/**
 * Two electrons at one place without softening: T_ij is infinite. Its own class because the remedy
 * (a softening > 0) is named by each front end in its own words, the CLI's flag or the app's field.
 */
export class CoincidentElectronsError extends InputError {
  readonly pair: readonly [number, number];
  constructor(pair: [number, number]) {
    super(`electrons ${pair[0]} and ${pair[1]} are at the same place`, 'softening');
    this.pair = pair;
  }
}

/**
 * Refuses a system whose mass matrix is undefined or meaningless: non-finite input, eps < 0 or
 * outside float64's range (checkFloat64Epsilon), z != 0 in the 2D vector model, an electron on the
 * axis (rho = 0) in the azimuthal model, or two electrons at one place without softening (r_ij = 0
 * makes T_ij infinite). Each InputError names the input to change in its `field`.
 */
export function validateSystem(system: DarwinSystem): void {
  const { configuration, epsilon, softening } = system;
  const { n, positions } = configuration;
  if (n < 1) throw new InputError('N must be at least 1', 'n');
  if (!Number.isFinite(epsilon) || epsilon < 0)
    throw new InputError(`epsilon must be finite and >= 0, got ${epsilon}`, 'epsilon');
  checkFloat64Epsilon(epsilon);
  if (!Number.isFinite(softening) || softening < 0) {
    throw new InputError(`softening must be finite and >= 0, got ${softening}`, 'softening');
  }
  for (let i = 0; i < 3 * n; i++) {
    if (!Number.isFinite(positions[i]))
      throw new InputError(`electron ${Math.floor(i / 3)} has a non-finite position`, 'positions');
  }
  validateModelPositions(system);
  if (softening === 0) {
    const pair = coincidentPair(positions, n);
    if (pair) throw new CoincidentElectronsError(pair);
  }
}

/** Largest eps: float64's square-root bound, which float32.ts holds the GPU's eps to in float32. */
const kMaxEpsilon = Math.sqrt(Number.MAX_VALUE);

/** float64's smallest normal number, 2^-1022. */
const kFloat64MinNormal = 2 ** -1022;

/**
 * eps within float64's range. eps multiplies T's entries 1/(2 r) and the vectors whose squares the
 * solvers sum, so past sqrt(max) = 1.3e154 eps T v, the eigenvalues 1 + eps mu and those sums
 * overflow (at eps = 1e308 every eigenvalue would be null under `converged`, and a solve's infinite
 * momenta would be blamed on a close pair); only an R below 2.1e-169 m asks it. A subnormal eps (R
 * past 1.3e293 m) holds fewer digits than float64's 16 (r_e / 1e300 m keeps 9), and so would eps T v,
 * the Darwin energy and eps mu.
 */
function checkFloat64Epsilon(epsilon: number): void {
  const written = `epsilon = ${epsilon.toExponential()} (R = ${radiusFromEpsilon(epsilon).toExponential(2)} m)`;
  if (epsilon > kMaxEpsilon) {
    throw new InputError(
      `${written} is too large for float64 (at most ${kMaxEpsilon.toExponential(2)}): eps T v, the ` +
        "eigenvalues 1 + eps mu and the solvers' sums of squares would overflow",
      'epsilon',
    );
  }
  if (epsilon > 0 && epsilon < kFloat64MinNormal) {
    throw new InputError(
      `${written} is below float64's normal range (${kFloat64MinNormal.toExponential(2)}), where it ` +
        'and its products keep fewer than 16 digits; epsilon = 0 drops the Darwin term',
      'epsilon',
    );
  }
}

/**
 * What the model asks of the positions, in O(N): z = 0 in the 2D vector model (the in-plane blocks
 * of eq. 1 would drop the z parts of r_ij), rho > 0 in the azimuthal model (e_i is undefined on the
 * axis, eq. 31). The app asks it at every preview, before a run.
 */
export function validateModelPositions(system: DarwinSystem): void {
  const { n, positions } = system.configuration;
  if (system.model === 'vector' && system.dim === 2) {
    for (let i = 0; i < n; i++) {
      if (positions[3 * i + 2] !== 0) {
        throw new InputError(
          `the 2D vector model needs z = 0, but electron ${i} has z = ${positions[3 * i + 2]}`,
          'dim',
        );
      }
    }
  }
  if (system.model === 'azimuthal') {
    for (let i = 0; i < n; i++) {
      if (cylindricalRadiusSquared(positions, i) === 0) {
        throw new InputError(
          `the azimuthal model needs rho > 0, but electron ${i} is on the z axis`,
          'model',
        );
      }
    }
  }
}

/** Two electrons at exactly the same place, found by a lexicographic sort in O(N log N), or null. */
export function coincidentPair(positions: Float64Array | Float32Array, n: number): [number, number] | null {
  const order = Array.from({ length: n }, (_, i) => i);
  const compare = (a: number, b: number) =>
    positions[3 * a] - positions[3 * b] ||
    positions[3 * a + 1] - positions[3 * b + 1] ||
    positions[3 * a + 2] - positions[3 * b + 2];
  order.sort(compare);
  for (let k = 1; k < n; k++) {
    if (compare(order[k - 1], order[k]) === 0) {
      const [a, b] = [order[k - 1], order[k]];
      return a < b ? [a, b] : [b, a];
    }
  }
  return null;
}

/** Largest size the dense assembly holds (12 000 is the 3D vector model at N = 4000; 1.15 GB). */
export const kMaxDenseSize = 16384;

/** Refuses a dense assembly of more than kMaxDenseSize unknowns. */
export function checkDenseSize(size: number): void {
  if (size > kMaxDenseSize) {
    throw new InputError(
      `the dense CPU reference holds at most ${kMaxDenseSize} unknowns, this system has ${size}`,
    );
  }
}

/**
 * Pairs of a dense assembly between two reports of its progress (massMatrixEntries',
 * parallelMassMatrixEntries' onChunk): the largest dense M (N = 5461 in the 3D vector model) in 15
 * chunks, so that its progress shows and a Stop is heard between them.
 */
const kAssemblyPairsPerChunk = 1_000_000;

/** The chunks of a dense assembly of n electrons that report progress: 1 for a short one. */
export function assemblyChunkCount(n: number): number {
  return Math.max(1, Math.ceil((n * (n - 1)) / 2 / kAssemblyPairsPerChunk));
}

/**
 * The entries of M = D + eps T (eq. 48/50 generalised), row-major, size x size, from the pair kernels
 * above: the float64 CPU reference, or rounded to float32 entry by entry as the GPU stores them.
 * Rows of equal pairs run in assemblyChunkCount chunks, `onChunk` called after each where there are
 * several (its throw stops the assembly there), as the pool's assembly reports.
 */
export function massMatrixEntries(
  system: DarwinSystem,
  precision: 'float64' | 'float32' = 'float64',
  onChunk?: (done: number, total: number) => void,
): Float64Array | Float32Array {
  const size = unknowns(system);
  checkDenseSize(size);
  const data = precision === 'float64' ? new Float64Array(size * size) : new Float32Array(size * size);
  const { n, positions } = system.configuration;
  const diagonal = massDiagonal(system);
  for (let k = 0; k < size; k++) data[k * size + k] = diagonal[k];
  const { dim, epsilon, softening } = system;
  const boundaries = triangleBlocks(n, onChunk ? assemblyChunkCount(n) : 1);
  const chunks = boundaries.length - 1;
  for (let c = 0; c < chunks; c++) {
    massEntryRows(
      positions,
      data,
      n,
      kernelModel(system),
      dim,
      epsilon,
      softening,
      boundaries[c],
      boundaries[c + 1],
    );
    if (chunks > 1) onChunk?.(c + 1, chunks);
  }
  return data;
}

/** The model as a pool kernel's number argument (src/parallel/pool.ts): 1 azimuthal, 0 vector. */
export function kernelModel(system: Pick<DarwinSystem, 'model'>): 0 | 1 {
  return system.model === 'azimuthal' ? 1 : 0;
}

/**
 * The off-diagonal entries eps T_ij of M for the pairs i < j with i in [start, end), written at
 * (i, j) and (j, i): the electrons of one block of rows of massMatrixEntries. Each pair is written
 * by the one thread that owns its i, so blocks run in parallel without a race, and the entries are
 * the same whichever thread writes them. A pool kernel: it uses only its arguments and the pair
 * kernels above (src/parallel/pool.ts).
 */
export function massEntryRows(
  positions: Float64Array,
  data: Float64Array | Float32Array,
  n: number,
  azimuthal: number,
  dim: Dimension,
  epsilon: number,
  softening: number,
  start: number,
  end: number,
): void {
  const b = azimuthal === 1 ? 1 : dim;
  const size = n * b;
  if (azimuthal === 1) {
    for (let i = start; i < end; i++) {
      for (let j = i + 1; j < n; j++) {
        const value = epsilon * azimuthalInteraction(positions, i, j, softening);
        data[i * size + j] = value;
        data[j * size + i] = value;
      }
    }
    return;
  }
  const block = new Float64Array(b * b);
  for (let i = start; i < end; i++) {
    for (let j = i + 1; j < n; j++) {
      vectorInteractionBlock(positions, i, j, softening, dim, block);
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

/** What a product gives: p = M v, or its interaction part eps T v alone (momentaFrom adds D v). */
export type ProductPart = 'momenta' | 'interaction';

/**
 * p = D v + eps T v (eq. 47/48) from `interaction` = eps T v: the products form p so, keeping eps T v
 * apart, whose own precision p's float64 holds only to 2^-53 |D v| (the energies take eps T v
 * itself: src/physics/observables.ts).
 */
export function momentaFrom(
  diagonal: ArrayLike<number>,
  velocities: ArrayLike<number>,
  interaction: ArrayLike<number>,
): Float64Array {
  return Float64Array.from(velocities, (v, k) => diagonal[k] * v + interaction[k]);
}

/**
 * y = M v (eq. 47/48) in float64 without storing M (applyInteractionFree and D v): the float64
 * residual p - M v and the float64 momenta of the GPU's iterative refinement (src/run/refine.ts).
 */
export function applyMassMatrixFree(system: DarwinSystem, v: ArrayLike<number>): Float64Array {
  return momentaFrom(massDiagonal(system), v, applyInteractionFree(system, v));
}

/**
 * eps T v (eq. 48/50), the interaction part of p = M v, in float64 without storing T: the pair
 * kernels above (the vector model's block applied in closed form), each pair once (T_ij is
 * symmetric and T_ji = T_ij), O(N^2) time and O(N) memory.
 */
export function applyInteractionFree(system: DarwinSystem, v: ArrayLike<number>): Float64Array {
  const size = unknowns(system);
  if (v.length !== size) throw new RangeError(`v has length ${v.length}, the system has ${size} unknowns`);
  const { n, positions } = system.configuration;
  const { epsilon, softening } = system;
  const b = blockSize(system);
  // T v is summed apart from D v so that its rounding is relative to the interaction alone.
  const interaction = new Float64Array(size);
  if (system.model === 'azimuthal') {
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let j = i + 1; j < n; j++) {
        const t = azimuthalInteraction(positions, i, j, softening);
        sum += t * v[j];
        interaction[j] += t * v[i];
      }
      interaction[i] += sum;
    }
  } else {
    // T_ij v_j = scale v_j + outer d (d . v_j), T_ij = scale I + outer d d^T (vectorInteractionBlock),
    // the (I + n n^T) / (2 r) of eq. 1 applied without forming the block; T_ji v_i the same with v_i.
    const softeningSquared = softening * softening;
    for (let i = 0; i < n; i++) {
      const xi = positions[3 * i];
      const yi = positions[3 * i + 1];
      const zi = positions[3 * i + 2];
      const vix = v[b * i];
      const viy = v[b * i + 1];
      const viz = b === 3 ? v[b * i + 2] : 0;
      let sx = 0;
      let sy = 0;
      let sz = 0;
      for (let j = i + 1; j < n; j++) {
        const dx = xi - positions[3 * j];
        const dy = yi - positions[3 * j + 1];
        const dz = zi - positions[3 * j + 2];
        const r2 = dx * dx + dy * dy + dz * dz;
        const scale = 1 / (2 * Math.sqrt(r2 + softeningSquared));
        const outer = r2 > 0 ? scale / r2 : 0;
        const vjx = v[b * j];
        const vjy = v[b * j + 1];
        const vjz = b === 3 ? v[b * j + 2] : 0;
        // In 2D the block is the plane's: d and v have no z part there.
        const ez = b === 3 ? dz : 0;
        const toI = outer * (dx * vjx + dy * vjy + ez * vjz);
        const toJ = outer * (dx * vix + dy * viy + ez * viz);
        sx += scale * vjx + dx * toI;
        sy += scale * vjy + dy * toI;
        interaction[b * j] += scale * vix + dx * toJ;
        interaction[b * j + 1] += scale * viy + dy * toJ;
        if (b === 3) {
          sz += scale * vjz + dz * toI;
          interaction[b * j + 2] += scale * viz + dz * toJ;
        }
      }
      interaction[b * i] += sx;
      interaction[b * i + 1] += sy;
      if (b === 3) interaction[b * i + 2] += sz;
    }
  }
  for (let k = 0; k < size; k++) interaction[k] *= epsilon;
  return interaction;
}

/**
 * y = M v (eq. 47/48) for the electrons [start, end), each row summed in the order
 * applyMassMatrixFree sums it (the pairs i < k one by one, then the pairs j > k as one sum), so that the
 * result is bit-identical to it for any split into blocks. It evaluates each pair twice, once per
 * row, where applyMassMatrixFree evaluates it once for both: split over K threads it takes 2/K of
 * that time. `diagonal` is massDiagonal. A pool kernel (src/parallel/pool.ts).
 */
export function massFreeRows(
  positions: Float64Array,
  v: Float64Array,
  y: Float64Array,
  diagonal: Float64Array,
  n: number,
  azimuthal: number,
  dim: Dimension,
  epsilon: number,
  softening: number,
  start: number,
  end: number,
): void {
  if (azimuthal === 1) {
    for (let k = start; k < end; k++) {
      let interaction = 0;
      for (let i = 0; i < k; i++) interaction += azimuthalInteraction(positions, i, k, softening) * v[i];
      let sum = 0;
      for (let j = k + 1; j < n; j++) sum += azimuthalInteraction(positions, k, j, softening) * v[j];
      interaction += sum;
      y[k] = diagonal[k] * v[k] + epsilon * interaction;
    }
    return;
  }
  const b = dim;
  const softeningSquared = softening * softening;
  for (let k = start; k < end; k++) {
    let ix = 0;
    let iy = 0;
    let iz = 0;
    let sx = 0;
    let sy = 0;
    let sz = 0;
    for (let other = 0; other < n; other++) {
      if (other === k) continue;
      // d from the pair's lower index to its higher, as applyMassMatrixFree takes it.
      const low = other < k ? other : k;
      const high = other < k ? k : other;
      const dx = positions[3 * low] - positions[3 * high];
      const dy = positions[3 * low + 1] - positions[3 * high + 1];
      const dz = positions[3 * low + 2] - positions[3 * high + 2];
      const r2 = dx * dx + dy * dy + dz * dz;
      const scale = 1 / (2 * Math.sqrt(r2 + softeningSquared));
      const outer = r2 > 0 ? scale / r2 : 0;
      const vx = v[b * other];
      const vy = v[b * other + 1];
      const vz = b === 3 ? v[b * other + 2] : 0;
      const ez = b === 3 ? dz : 0;
      const toK = outer * (dx * vx + dy * vy + ez * vz);
      // The pairs i < k reach row k one by one, the pairs j > k as one sum (applyMassMatrixFree).
      if (other < k) {
        ix += scale * vx + dx * toK;
        iy += scale * vy + dy * toK;
        if (b === 3) iz += scale * vz + dz * toK;
      } else {
        sx += scale * vx + dx * toK;
        sy += scale * vy + dy * toK;
        if (b === 3) sz += scale * vz + dz * toK;
      }
    }
    ix += sx;
    iy += sy;
    iz += sz;
    y[b * k] = diagonal[b * k] * v[b * k] + epsilon * ix;
    y[b * k + 1] = diagonal[b * k + 1] * v[b * k + 1] + epsilon * iy;
    if (b === 3) y[b * k + 2] = diagonal[b * k + 2] * v[b * k + 2] + epsilon * iz;
  }
}
