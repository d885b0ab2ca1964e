// The magnetic field of slowly moving point charges (Biot-Savart, first order in v/c), SI units:
//   B(x) = (mu0 / 4 pi) sum_i q_i v_i x (x - r_i) / |x - r_i|^3,
// summed explicitly over the electrons. It is used to check the paper's London-moment count (sec. III.B):
// a rotating sphere carrying N elementary charges on its surface has the London field (eq. 27) inside
// when N r_e / R = 3 (eq. 30). Eq. 29 gets this from the continuous surface charge; here the same
// number comes from a discrete sum over N electrons (londonParameter, the same sum at the centre in
// units of R), which is the model every other module uses.
import { compensatedSum } from '../math/vectors.ts';
import { kClassicalElectronRadius, kElectronMass, kElementaryCharge } from './constants.ts';
import { geometry, type Configuration } from './geometry.ts';
import { InputError } from './input-error.ts';

/**
 * mu0 / (4 pi), T m / A. Taken from r_e = (mu0 / 4 pi) e^2 / m_e rather than typed in, so that
 * N r_e / R comes out of the sum with no mismatch between constants (CODATA 2018 gives 1.00000000055e-7).
 */
export const kMu0Over4Pi =
  (kClassicalElectronRadius * kElectronMass) / (kElementaryCharge * kElementaryCharge);

export type Vector3 = [number, number, number];

/**
 * B at `point` (metres) from charges at `positions` (xyz triples, metres) moving with `velocities`
 * (xyz triples, m/s); `charge` is one charge for all (coulombs) or one per particle. A charge sitting
 * exactly at `point` is an InputError: its own field is infinite there.
 */
export function magneticField(
  point: ArrayLike<number>,
  positions: ArrayLike<number>,
  velocities: ArrayLike<number>,
  charge: number | ArrayLike<number>,
): Vector3 {
  const n = positions.length / 3;
  if (!Number.isInteger(n) || velocities.length !== positions.length) {
    throw new InputError(
      `positions (${positions.length}) and velocities (${velocities.length}) must be xyz triples`,
    );
  }
  if (typeof charge !== 'number' && charge.length !== n) {
    throw new InputError(`expected ${n} charges, got ${charge.length}`);
  }
  let bx = 0;
  let by = 0;
  let bz = 0;
  for (let i = 0; i < n; i++) {
    const q = typeof charge === 'number' ? charge : charge[i];
    const dx = point[0] - positions[3 * i];
    const dy = point[1] - positions[3 * i + 1];
    const dz = point[2] - positions[3 * i + 2];
    const r2 = dx * dx + dy * dy + dz * dz;
    if (r2 === 0) throw new InputError(`charge ${i} sits at the field point`);
    const scale = q / (r2 * Math.sqrt(r2));
    const vx = velocities[3 * i];
    const vy = velocities[3 * i + 1];
    const vz = velocities[3 * i + 2];
    bx += scale * (vy * dz - vz * dy);
    by += scale * (vz * dx - vx * dz);
    bz += scale * (vx * dy - vy * dx);
  }
  return [kMu0Over4Pi * bx, kMu0Over4Pi * by, kMu0Over4Pi * bz];
}

/** v_i = Omega x r_i for every position triple: a rigid rotation (the rotating body of sec. III). */
export function rigidRotationVelocities(
  positions: ArrayLike<number>,
  omega: ArrayLike<number>,
): Float64Array {
  const velocities = new Float64Array(positions.length);
  for (let k = 0; k < positions.length; k += 3) {
    const [x, y, z] = [positions[k], positions[k + 1], positions[k + 2]];
    velocities[k] = omega[1] * z - omega[2] * y;
    velocities[k + 1] = omega[2] * x - omega[0] * z;
    velocities[k + 2] = omega[0] * y - omega[1] * x;
  }
  return velocities;
}

/**
 * N r_e / R at which a configuration (units of R) with charge +|e| on each point, turning rigidly about
 * z, has the London field B = 2 m Omega / |e| (eq. 27 in SI) at its centre. With the body's charge scaled
 * from N|e| to N'|e|, B_z(centre) = (mu0 / 4 pi) N' |e| Omega b / (N R) for the reduced field
 * b = sum_i rho_i^2 / r_i^3 (the z-part of (z x r_i) x (-r_i) / r_i^3, one sign for every point), so
 * B_z = 2 m Omega / |e| at N' r_e / R = 2 N / b: the answer depends on the shape alone. The sum is
 * compensated, so that the result's distance from its continuum value (as small as 1e-13) keeps
 * its digits.
 */
export function londonParameter(configuration: Configuration): number {
  const { n, positions } = configuration;
  const centreField = compensatedSum(n, (i) => {
    const [x, y, z] = [positions[3 * i], positions[3 * i + 1], positions[3 * i + 2]];
    const rho2 = x * x + y * y;
    const r2 = rho2 + z * z;
    return rho2 / (r2 * Math.sqrt(r2));
  });
  // Zero where every charge sits on the axis, or so far out that r^3 overflows (r > 5.6e102 R); not a
  // number where a charge sits at the centre.
  if (!(centreField > 0 && Number.isFinite(centreField)))
    throw new InputError(`${configuration.source}: rotation gives no finite field along Omega at the centre`);
  return (2 * n) / centreField;
}

/**
 * Eq. 30 from the discrete Fibonacci sphere (geometry 'sphere'). For this point set sum(1 - z_i^2) / N =
 * 2/3 + 1/(3 N^2) exactly, so the result is 3 / (1 + 1/(2 N^2)): it reaches 3 from below like 1/N^2.
 */
export function sphereLondonParameter(n: number): number {
  return londonParameter(geometry('sphere', n));
}

/** Eq. 29/30 for a continuous surface charge: B = (2/3)(mu0/4 pi) Q Omega / R, so N r_e / R = 3. */
export const kSphereLondonParameter = 3;

export interface CylinderLondonParameter {
  /** N r_e / R, R the cylinder's radius. */
  perRadius: number;
  /** N r_e / l with l = 2 h the cylinder's length (height) along the axis: the paper's "N r_e / l". */
  perLength: number;
}

/**
 * N r_e / R and N r_e / l of a continuous charge on a cylinder's lateral surface: a finite solenoid of
 * half-length h and surface current K = sigma Omega R gives B(centre) = mu0 K h / sqrt(h^2 + R^2), with
 * sigma = N|e| / (4 pi R h), so N r_e = 2 sqrt(h^2 + R^2): N r_e / l = sqrt(1 + (R/h)^2) -> 1 for a long
 * cylinder, sqrt 2 for h = R.
 */
export function cylinderLondonParameterContinuous(halfHeight: number): CylinderLondonParameter {
  const perRadius = 2 * Math.sqrt(halfHeight * halfHeight + 1);
  return { perRadius, perLength: perRadius / (2 * halfHeight) };
}
