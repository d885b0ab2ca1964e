// Energies and ratios of a velocity state v with momenta p = M v (eq. 47/48), units m R^2 omega^2.
// The Darwin Lagrangian's velocity part is homogeneous quadratic, L2 = v^T M v / 2, so it is also the
// kinetic energy T; the eps = 0 part T0 = v^T D v / 2 is the ordinary one (eq. 3), and T - T0 is the
// Darwin-Breit energy -V_1 of eq. 1/31 (positive for parallel currents: attraction lowers H).
import { dot } from '../math/vectors.ts';
import { massDiagonal, type DarwinSystem } from './models.ts';

export interface Energies {
  /** T0 = v^T D v / 2. */
  kinetic: number;
  /** T = v^T M v / 2 = v.p / 2. */
  total: number;
  /** T - T0 = eps v^T T v / 2. */
  darwin: number;
  /** (v^T M v) / (v^T D v): how much the Darwin term changes the effective inertia of this motion. */
  inertiaRatio: number;
}

/**
 * The energies of `velocities` with their `momenta` in `system`. At eps = 0 the Darwin term is absent
 * (M = D, eq. 48), so T = T0 exactly: a float32 product's momenta would otherwise show their rounding
 * as a Darwin energy.
 */
export function energies(
  system: DarwinSystem,
  velocities: ArrayLike<number>,
  momenta: ArrayLike<number>,
): Energies {
  const diagonal = massDiagonal(system);
  let vDv = 0;
  for (let k = 0; k < velocities.length; k++) vDv += diagonal[k] * velocities[k] * velocities[k];
  const vMv = system.epsilon === 0 ? vDv : dot(velocities, momenta);
  return {
    kinetic: vDv / 2,
    total: vMv / 2,
    darwin: (vMv - vDv) / 2,
    inertiaRatio: vDv > 0 ? vMv / vDv : NaN,
  };
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
