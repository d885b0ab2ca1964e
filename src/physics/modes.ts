// Velocity patterns in the scaling study's variables (the velocity components in the vector model, the
// azimuthal speeds y_i = rho_i phidot_i in the azimuthal model, cf. src/physics/scaling.ts), and which
// of them a mode is: its overlap with the span of a set of patterns, and how many electrons it
// involves.
import { blockSize, type DarwinSystem } from './models.ts';
import { dot, norm } from '../math/vectors.ts';

/** A velocity field: electron i at (x, y, z) moves with the returned v. */
export type Field = (x: number, y: number, z: number, i: number) => [number, number, number];

/**
 * A velocity field v(r) as the study's variables: its components (vector model) or its azimuthal part
 * e_phi . v (azimuthal model, y = D^1/2 phidot). Electrons on the axis have no e_phi: 0 there.
 */
export function scaledPattern(system: DarwinSystem, field: Field): Float64Array {
  const { n, positions } = system.configuration;
  const size = blockSize(system);
  const y = new Float64Array(n * size);
  for (let i = 0; i < n; i++) {
    const [px, py, pz] = [positions[3 * i], positions[3 * i + 1], positions[3 * i + 2]];
    const v = field(px, py, pz, i);
    if (size === 1) {
      const rho = Math.hypot(px, py);
      y[i] = rho > 0 ? (-py * v[0] + px * v[1]) / rho : 0;
    } else for (let c = 0; c < size; c++) y[i * size + c] = v[c];
  }
  return y;
}

/** The velocities themselves (the solver's unknowns: v, or phidot = y / rho) of a scaled pattern. */
export function unscaledPattern(system: DarwinSystem, y: Float64Array): Float64Array {
  if (blockSize(system) !== 1) return y;
  const { positions } = system.configuration;
  return y.map((value, i) => value / Math.hypot(positions[3 * i], positions[3 * i + 1]));
}

/** Uniform translations along x, y, z. */
export const kTranslations: readonly Field[] = [() => [1, 0, 0], () => [0, 1, 0], () => [0, 0, 1]];

/** Rigid rotations about x, y, z: v = omega x r. */
export const kRotations: readonly Field[] = [
  (_x, y, z) => [0, -z, y],
  (x, _y, z) => [z, 0, -x],
  (x, y) => [-y, x, 0],
];

/** The rigid rotation about z, v = z x r (velocityPattern's 'rigid'). */
export const kRigidRotation = kRotations[2];

/**
 * The azimuthal parts e_phi (e_phi . t) of the translations t = x, y: what the azimuthal model calls
 * translation, and on the ring the k = 1 current along it, the vector model's top mode as N grows
 * (the radial half of the translation couples to it only through the O(N) Fourier block B_1).
 */
export const kAzimuthalTranslations: readonly Field[] = [0, 1].map((axis) => (x: number, y: number) => {
  const rho2 = x * x + y * y;
  if (rho2 === 0) return [0, 0, 0];
  const along = (axis === 0 ? -y : x) / rho2;
  return [-y * along, x * along, 0];
});

/** The uniform radial (breathing) motion v = r / |r|. */
export const kBreathing: Field = (x, y, z) => {
  const r = Math.hypot(x, y, z);
  return r > 0 ? [x / r, y / r, z / r] : [0, 0, 0];
};

/** The azimuth in [0, 2 pi), so that the ring's electron j has phi_j = 2 pi j / N. */
function azimuth(x: number, y: number): number {
  const phi = Math.atan2(y, x);
  return phi < 0 ? phi + 2 * Math.PI : phi;
}

/**
 * (-1)^i times the rigid rotation about z, plain (velocityPattern's 'alternating', the ring's k = N/2)
 * and modulated by cos and sin of phi/2: for odd N the ring's bottom modes k = (N -+ 1)/2 are
 * e^{i k phi_j} = (-1)^j e^{-+ i phi_j / 2}.
 */
export const kAlternating: readonly Field[] = [
  () => 1,
  (x: number, y: number) => Math.cos(azimuth(x, y) / 2),
  (x: number, y: number) => Math.sin(azimuth(x, y) / 2),
].map((envelope) => (x: number, y: number, _z: number, i: number) => {
  const a = (i % 2 === 0 ? 1 : -1) * envelope(x, y);
  return [-y * a, x * a, 0];
});

/**
 * ||P x|| / ||x||, P the orthogonal projection on the span of the patterns (orthonormalised by
 * modified Gram-Schmidt, twice; patterns that vanish in the model, such as v_z in the planar vector
 * model or z-translation in the azimuthal model, drop out). The top eigenvalue is degenerate by
 * symmetry (three translations on a sphere), so a subspace, not one pattern, is compared.
 */
export function subspaceOverlap(patterns: readonly Float64Array[], x: ArrayLike<number>): number {
  const basis: Float64Array[] = [];
  for (const pattern of patterns) {
    const q = Float64Array.from(pattern);
    const norm0 = norm(q);
    for (let pass = 0; pass < 2; pass++) {
      for (const b of basis) {
        const c = dot(b, q);
        for (let k = 0; k < q.length; k++) q[k] -= c * b[k];
      }
    }
    const qNorm = norm(q);
    if (qNorm > 1e-8 * norm0 && qNorm > 0) basis.push(q.map((value) => value / qNorm));
  }
  const xNorm = norm(x);
  if (xNorm === 0) return NaN;
  let projected = 0;
  for (const b of basis) projected += dot(b, x) ** 2;
  return Math.sqrt(projected) / xNorm;
}

/**
 * 1 / sum_i w_i^2 with w_i = |x_i|^2 / ||x||^2 summed over electron i's components: how many electrons
 * a mode involves (N for a uniform one, 2 for a pair).
 */
export function participation(system: DarwinSystem, x: ArrayLike<number>): number {
  const size = blockSize(system);
  const n = system.configuration.n;
  let total = 0;
  const weights = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < size; c++) weights[i] += x[i * size + c] ** 2;
    total += weights[i];
  }
  let sum = 0;
  for (let i = 0; i < n; i++) sum += (weights[i] / total) ** 2;
  return 1 / sum;
}
