// The magnetic field of slowly moving point charges (Biot-Savart, first order in v/c), SI units:
//   B(x) = (mu0 / 4 pi) sum_i q_i v_i x (x - r_i) / |x - r_i|^3,
// summed explicitly over the electrons. It is used to check the paper's London-moment count (sec. III.B):
// a rotating sphere carrying N elementary charges on its surface has the London field (eq. 27) inside
// when N r_e / R = 3 (eq. 30). Eq. 29 gets this from the continuous surface charge; here the same
// number comes from a discrete sum over N electrons, which is the model every other module uses.
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
 * The London field B = 2 m Omega / |e| (eq. 27 in SI: the Gaussian 2 m c Omega / |e| loses its c),
 * tesla for Omega in rad/s; parallel to Omega.
 */
export function londonField(omega: number): number {
  return (2 * kElectronMass * omega) / kElementaryCharge;
}

/**
 * Field at the centre of a unit-size configuration scaled to `radiusMetres` and spun about z with
 * `omega` (rad/s), each particle carrying +|e|. Sec. III.A: the superconducting electrons stay behind
 * while the lattice turns, so the field comes from the uncompensated positive charge co-rotating with
 * the body; its sign is therefore that of Omega, as in eq. 27.
 */
export function rotatingFieldAtCentre(
  configuration: Configuration,
  radiusMetres: number,
  omega: number,
): Vector3 {
  const positions = configuration.positions.map((x) => x * radiusMetres);
  const velocities = rigidRotationVelocities(positions, [0, 0, omega]);
  return magneticField([0, 0, 0], positions, velocities, kElementaryCharge);
}

/**
 * N r_e / R at which the rotating configuration's field at its centre equals the London field: the
 * charge on the surface is scaled from N|e| to N'|e| until B_z(centre) = 2 m Omega / |e|, and N' r_e / R
 * is returned. Both fields are linear in Omega and B_z scales as N' / R, so the answer depends only on
 * the shape; R = 1 um and Omega = 1 rad/s are used to run the sum in SI.
 */
export function londonParameter(configuration: Configuration): number {
  const radiusMetres = 1e-6;
  const omega = 1;
  const fieldZ = rotatingFieldAtCentre(configuration, radiusMetres, omega)[2];
  if (fieldZ === 0) {
    // A body far longer than wide (a cylinder of half-height 1e150 R): 1/r^2 underflows at the centre.
    throw new InputError(`${configuration.source}: its field at the centre underflows to 0 in float64`);
  }
  if (!(fieldZ > 0))
    throw new InputError(`${configuration.source}: rotation gives no field along Omega at the centre`);
  const requiredN = (configuration.n * londonField(omega)) / fieldZ;
  return (requiredN * kClassicalElectronRadius) / radiusMetres;
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
 * The lateral surface rho = R, |z| <= h (geometry 'cylinder' stretched from h = R to `halfHeight` h,
 * in units of R) with the field taken at its centre: sec. III.B's "similar value for N r_e / l".
 */
export function cylinderLondonParameter(n: number, halfHeight = 1): CylinderLondonParameter {
  if (!(halfHeight > 0)) throw new InputError(`cylinder half-height must be positive, got ${halfHeight}`);
  const base = geometry('cylinder', n);
  const positions = base.positions.map((x, k) => (k % 3 === 2 ? x * halfHeight : x));
  const perRadius = londonParameter({ n, positions, source: `cylinder h=${halfHeight}` });
  return { perRadius, perLength: perRadius / (2 * halfHeight) };
}

/**
 * The same for a continuous surface charge: a finite solenoid of half-length h and surface current
 * K = sigma Omega R gives B(centre) = mu0 K h / sqrt(h^2 + R^2), with sigma = N|e| / (4 pi R h), so
 * N r_e = 2 sqrt(h^2 + R^2): N r_e / l = sqrt(1 + (R/h)^2) -> 1 for a long cylinder, sqrt 2 for h = R.
 */
export function cylinderLondonParameterContinuous(halfHeight: number): CylinderLondonParameter {
  const perRadius = 2 * Math.sqrt(halfHeight * halfHeight + 1);
  return { perRadius, perLength: perRadius / (2 * halfHeight) };
}
