// Energies and ratios of a velocity state v with momenta p = M v (eq. 47/48), units m R^2 omega^2.
// The Darwin Lagrangian's velocity part is homogeneous quadratic, L2 = v^T M v / 2, so it is also the
// kinetic energy T; the eps = 0 part T0 = v^T D v / 2 is the ordinary one (eq. 3), and T - T0 is the
// Darwin-Breit energy -V_1 of eq. 1/31: positive for parallel currents, which it raises at given
// velocities; at given momenta, H = p^T M^-1 p / 2, the same attraction lowers the energy (eq. 41).
import { dot } from '../math/vectors.ts';
import { massDiagonal, type DarwinSystem } from './models.ts';

export interface Energies {
  /** T0 = v^T D v / 2. */
  kinetic: number;
  /** T = v^T M v / 2 = T0 + darwin. */
  total: number;
  /** T - T0 = eps v^T T v / 2. */
  darwin: number;
  /**
   * (v^T M v) / (v^T D v) = 1 + 2 darwin / v^T D v: how much the Darwin term changes the effective
   * inertia of this motion. Near 1 (small eps) a float64 holds it to 2^-53 absolute; darwin / kinetic
   * keeps its excess over 1 to darwin's relative precision.
   */
  inertiaRatio: number;
}

/**
 * The energies of `velocities` with the interaction part `interaction` = eps T v of their momenta
 * p = M v (eq. 48) in `system`: darwin from eps T v itself, not from v.p - v.D v, which cancels
 * to 2^-53 v.D v (a sphere of 1000 at R = 1 km, eps = 2.8e-18: 41% of darwin); T = T0 + darwin. At
 * eps = 0 the Darwin term is absent (M = D), so T = T0 exactly, whatever a product's rounding.
 */
export function energies(
  system: DarwinSystem,
  velocities: ArrayLike<number>,
  interaction: ArrayLike<number>,
): Energies {
  const diagonal = massDiagonal(system);
  let vDv = 0;
  for (let k = 0; k < velocities.length; k++) vDv += diagonal[k] * velocities[k] * velocities[k];
  const darwin = system.epsilon === 0 ? 0 : dot(velocities, interaction) / 2;
  return {
    kinetic: vDv / 2,
    total: vDv / 2 + darwin,
    darwin,
    inertiaRatio: vDv > 0 ? 1 + (2 * darwin) / vDv : NaN,
  };
}

/**
 * The interaction part p - D v of momenta p known without it (`diagonal`: D; a saved file's p, a
 * float32 product's): to 2^-53 |D v| absolute, all that p's float64 holds of eps T v.
 */
export function interactionOfMomenta(
  diagonal: ArrayLike<number>,
  velocities: ArrayLike<number>,
  momenta: ArrayLike<number>,
): Float64Array {
  return Float64Array.from(momenta, (p, k) => p - diagonal[k] * velocities[k]);
}

/** ||a - b|| / ||b|| (normwise; ||a - b|| when b = 0): how every result is compared with its reference. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let difference = 0;
  let norm = 0;
  for (let k = 0; k < a.length; k++) {
    difference += (a[k] - b[k]) ** 2;
    norm += b[k] ** 2;
  }
  return norm > 0 ? Math.sqrt(difference / norm) : Math.sqrt(difference);
}
