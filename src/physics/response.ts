// The response of N electrons to a vector potential switched on suddenly (sec. II eq. 5-18, sec. III
// eq. 27-30, sec. IV.C eq. 47-50): with L = (1/2) m v^T M v + e sum_i v_i.A(r_i) - U the canonical
// momenta are p_i = m (M v)_i + e A(r_i); electrons at rest keep p = 0 while the drive comes on (the
// induced field -dA/dt acts for an instant, against finite other forces; the conserved canonical
// angular momentum, eq. 11-13, says the same only of a single mode: the ring's uniform one, the
// continuous shell's rotation), so
//
//   M v = -(e/m) A(r_i)                                   (one solve; M positive definite)
//
// and in the azimuthal model, where J_i = m R^2 (M phidot)_i + e R rho_i A_phi(r_i),
//   M phidot = -(e/(m R)) rho_i A_phi(r_i).
//
// Units. Lengths in R, M in units of m (m R^2 in the azimuthal model); the right-hand side b is written
// as a velocity unit u (or an angular velocity w = u/R) times a dimensionless pattern, and the solution
// s = M^-1 b is the velocity in units of u (phidot in units of w). With a_i = z x r_i = (-y_i, x_i, 0):
//   field     A = (1/2) B z x r (the symmetric gauge: the Faraday field of a coaxial solenoid ramping B);
//             w = omega_L = -e B / (2 m) (the Larmor frequency, eq. 17); b_i = a_i (vector), rho_i^2
//             (azimuthal); at eps = 0, v = omega_L z x r: the rigid Larmor rotation.
//   flux      A = Phi / (2 pi rho) e_phi (a thin solenoid on the axis, eq. 5); w = omega_Phi =
//             -e Phi / (2 pi m R^2) (eq. 7 with J = 0, the velocity of eq. 13/14 over R); b_i = a_i / rho_i^2
//             (vector), 1 (azimuthal); at eps = 0, phidot_i = omega_Phi / rho_i^2.
//   rotation  the ions spun up to Omega about z. In the frame turning with them the Coriolis force
//             -2 m Omega x v' is the Lorentz force e v' x B_eff of B_eff = 2 m Omega / e = -2 m Omega/|e|
//             (Larmor's theorem, eq. 17, read backwards: that field's Larmor frequency -e B_eff / 2m is
//             -Omega), so the electrons' motion relative to the lattice is the field drive's with
//             w = -Omega: v' = -Omega R s, s the field drive's solution. The same follows in the lab frame
//             from the Darwin coupling of each electron to the co-moving ions (+|e| at the electrons'
//             sites, velocities u = Omega x r): p = 0 gives M v = (M - I) u, v = u - M^-1 u, v' = -M^-1 u.
//             The net current (ions plus electrons) is |e| Omega R s: the lattice charge left uncovered
//             by the electrons that lag (all of them at eps = 0: sec. III.A's picture). Its field is
//             along +Omega and tends to the London field 2 m Omega / |e| (eq. 27) exactly when the
//             interior field in the rotating frame, B_eff + B_induced, is screened out (Meissner).
import { magneticField, kMu0Over4Pi } from './biot-savart.ts';
import { kElementaryCharge } from './constants.ts';
import type { Configuration, GeometryName } from './geometry.ts';
import { goldenSectionMinimum } from '../math/minimize.ts';
import { InputError } from './input-error.ts';
import { cylindricalRadiusSquared, massDiagonal, type DarwinSystem } from './models.ts';
import { larmorAngularVelocity } from './paper.ts';
import { ringPotential } from './ring.ts';

export const kDriveNames = ['field', 'flux', 'rotation'] as const;
export type DriveName = (typeof kDriveNames)[number];

/**
 * Each drive's velocity unit u (the header's w R), as the page's legend and the current's profile
 * name it: the solution s = M^-1 b is v in units of u (the rotation's relative to the lattice).
 */
export const kDriveVelocityUnits: Record<DriveName, string> = {
  field: 'ω_L R, ω_L = −eB/2m',
  flux: 'ω_Φ R, ω_Φ = −eΦ/(2π m R²)',
  rotation: 'Ω R',
};

export function isDriveName(name: string): name is DriveName {
  return (kDriveNames as readonly string[]).includes(name);
}

type DrivenSystem = Pick<DarwinSystem, 'configuration' | 'model' | 'dim'>;

/**
 * Refuses a drive the configuration cannot take: `flux` with an electron on the axis (rho = 0, where
 * Phi / (2 pi rho) is infinite), and any drive when every electron is on the axis (z x r = 0: the body
 * has no extent about the axis the drive turns it about).
 */
export function validateDrive(configuration: Configuration, drive: DriveName): void {
  let spread = 0;
  for (let i = 0; i < configuration.n; i++) {
    const rho2 = cylindricalRadiusSquared(configuration.positions, i);
    if (drive === 'flux' && rho2 === 0) {
      throw new InputError(
        `the flux drive needs rho > 0, but electron ${i} is on the z axis (the solenoid)`,
        'geometry',
      );
    }
    spread += rho2;
  }
  if (spread === 0) {
    throw new InputError(
      `every electron is on the z axis: the ${drive} drive has no axis to turn them about`,
      'geometry',
    );
  }
}

/** The right-hand side b of M s = b in the drive's units (see the header): one entry per unknown. */
export function driveRightHandSide(system: DrivenSystem, drive: DriveName): Float64Array {
  const { n, positions } = system.configuration;
  if (system.model === 'azimuthal') {
    const b = new Float64Array(n);
    for (let i = 0; i < n; i++) b[i] = drive === 'flux' ? 1 : cylindricalRadiusSquared(positions, i);
    return b;
  }
  const dim = system.dim;
  const b = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) {
    const weight = drive === 'flux' ? 1 / cylindricalRadiusSquared(positions, i) : 1;
    b[i * dim] = -positions[3 * i + 1] * weight;
    b[i * dim + 1] = positions[3 * i] * weight;
  }
  return b;
}

/** The solution's velocities as xyz triples (units of u): phidot_i z x r_i in the azimuthal model. */
export function velocityTriples(system: DrivenSystem, solution: ArrayLike<number>): Float64Array {
  const { n, positions } = system.configuration;
  const v = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    if (system.model === 'azimuthal') {
      v[3 * i] = -positions[3 * i + 1] * solution[i];
      v[3 * i + 1] = positions[3 * i] * solution[i];
    } else {
      for (let k = 0; k < system.dim; k++) v[3 * i + k] = solution[i * system.dim + k];
    }
  }
  return v;
}

/**
 * The solution whose velocityTriples are `velocities`: their first dim components (vector model),
 * phidot_i = (r_i x v_i)_z / rho_i^2 (azimuthal model, v_i = phidot_i z x r_i), to rounding.
 */
export function solutionOfTriples(system: DrivenSystem, velocities: ArrayLike<number>): Float64Array {
  const { n, positions } = system.configuration;
  if (system.model === 'azimuthal') {
    return Float64Array.from({ length: n }, (_, i) => {
      const [x, y] = [positions[3 * i], positions[3 * i + 1]];
      return (x * velocities[3 * i + 1] - y * velocities[3 * i]) / (x * x + y * y);
    });
  }
  const { dim } = system;
  return Float64Array.from({ length: n * dim }, (_, k) => velocities[3 * Math.floor(k / dim) + (k % dim)]);
}

/**
 * sum_i (r_i x v_i)_z for velocity triples in units of u: the induced moment mu_z = (e/2) sum (r x v)_z
 * is (e/2) u R times it (inducedMomentSi).
 */
export function reducedMoment(positions: ArrayLike<number>, velocities: ArrayLike<number>): number {
  let sum = 0;
  for (let k = 0; k < positions.length; k += 3) {
    sum += positions[k] * velocities[k + 1] - positions[k + 1] * velocities[k];
  }
  return sum;
}

/** mu_z = (e/2) w R^2 reducedMoment, A m^2, e = -|e|, for the angular-velocity unit w (rad/s). */
export function inducedMomentSi(reduced: number, angularVelocity: number, radiusMetres: number): number {
  return (-kElementaryCharge / 2) * angularVelocity * radiusMetres * radiusMetres * reduced;
}

/**
 * The field drive's mu_z / B, A m^2 per tesla (J/T^2), from reducedMoment of its solution (velocities
 * in omega_L R): inducedMomentSi at the Larmor frequency of 1 T, omega_L = |e| B / 2m (eq. 17), the
 * response being linear in B: -(e^2 R^2 / 4m) sum (r x s)_z, negative (diamagnetic).
 */
export function momentPerTesla(reduced: number, radiusMetres: number): number {
  return inducedMomentSi(reduced, larmorAngularVelocity(1), radiusMetres);
}

/** The volume, in R^3, that a solid's electrons fill: the unit ball, the cube's cells' [-1, 1]^3. */
const kFilledVolume: Partial<Record<GeometryName, number>> = { ball: (4 * Math.PI) / 3, cube: 8 };

/**
 * The SI volume susceptibility of a solid seen from outside, chi_app = mu0 (mu_z / B) / V, from
 * momentPerTesla; null for a surface, a film or the ring, which fill no volume. B is the applied
 * field, not the field inside: the body's own (demagnetising) field is in chi_app, which is not the
 * chi of M = chi H (intrinsicSusceptibility); a perfect diamagnetic ball has chi_app = -3/2.
 */
export function apparentSusceptibility(
  geometry: GeometryName,
  momentPerTeslaSi: number,
  radiusMetres: number,
): number | null {
  const volume = kFilledVolume[geometry];
  return volume === undefined
    ? null
    : (4 * Math.PI * kMu0Over4Pi * momentPerTeslaSi) / (volume * radiusMetres ** 3);
}

/**
 * The ball's chi of M = chi H, H the field inside, from its apparentSusceptibility: the chi of the
 * uniform linear ball with the same moment, whose magnetisation is uniform and whose own field inside
 * is -M/3 (demagnetising factor 1/3), so H = H_0 - M/3 and chi = chi_app / (1 - chi_app/3) (-3/2 gives
 * -1). Null for any other geometry: the cube's own field inside is not uniform, and 1/3 is its mean
 * only for a uniform magnetisation, which its screening currents do not make.
 */
export function intrinsicSusceptibility(geometry: GeometryName, apparent: number): number | null {
  return geometry === 'ball' ? apparent / (1 - apparent / 3) : null;
}

/**
 * The induced moment (field, rotation) or current (flux) over the same without the Darwin term:
 * b^T s / b^T D^-1 b, D = diag M (M at eps = 0). The weight is b itself because each observable is the
 * drive's conjugate (mu = -dH/dB, I = -dH/dPhi, eq. 9): the field drive's b_i = z x r_i makes b^T s =
 * sum (r x v)_z (so the ratio is a^T M^-1 a / a^T a), the flux drive's b_i = z x r_i / rho_i^2 makes it
 * sum_i phidot_i, the current of eq. 8 up to e / 2 pi, over eq. 13/14's sum_i 1/rho_i^2.
 */
export function screeningRatio(
  system: DarwinSystem,
  rightHandSide: ArrayLike<number>,
  solution: ArrayLike<number>,
): number {
  const diagonal = massDiagonal(system);
  let response = 0;
  let bare = 0;
  for (let k = 0; k < diagonal.length; k++) {
    response += rightHandSide[k] * solution[k];
    bare += (rightHandSide[k] * rightHandSide[k]) / diagonal[k];
  }
  return response / bare;
}

/**
 * The reduced field b(x) = sum_i v_i x (x - r_i) / |x - r_i|^3 (positions in R, velocities in u), so that
 * B = (mu0 / 4 pi) e w b per electron charge e. An electron at the field point contributes nothing: its
 * own field averages to zero over a small sphere about it.
 */
export function reducedInducedField(
  point: readonly [number, number, number],
  positions: Float64Array,
  velocities: Float64Array,
): [number, number, number] {
  const keep: number[] = [];
  for (let i = 0; i < positions.length / 3; i++) {
    const at =
      positions[3 * i] === point[0] && positions[3 * i + 1] === point[1] && positions[3 * i + 2] === point[2];
    if (!at) keep.push(i);
  }
  const pick = (array: Float64Array) =>
    Float64Array.from(keep.flatMap((i) => [array[3 * i], array[3 * i + 1], array[3 * i + 2]]));
  const [bx, by, bz] = magneticField(point, pick(positions), pick(velocities), 1);
  return [bx / kMu0Over4Pi, by / kMu0Over4Pi, bz / kMu0Over4Pi];
}

/**
 * B_induced / B_ext along z for the field drive (and B_induced / B_eff for rotation) from the reduced
 * field b_z of the solution's velocities: with v = omega_L R s, omega_L = -e B / 2m and
 * r_e = (mu0 / 4 pi) e^2 / m, B_induced = (mu0 / 4 pi) e omega_L b / R = -(r_e / R)(b / 2) B.
 */
export function inducedFieldRatio(reducedFieldZ: number, epsilon: number): number {
  return (-epsilon * reducedFieldZ) / 2;
}

/**
 * Rotation: the net current |e| Omega R s (header) has the centre field (r_e / R)(b_z / 2) times the London
 * field 2 m Omega / |e| (eq. 27 in SI), b_z from the velocities s: the same as london.ts's londonRatio.
 */
export function londonFieldRatio(reducedFieldZ: number, epsilon: number): number {
  return (epsilon * reducedFieldZ) / 2;
}

/**
 * N_eff r_e / R for the N_eff fully lagging electrons (each leaving its ion's charge turning with the
 * lattice: the eps = 0 velocities z x r) that give the same centre field: N_eff / N = b_z(s) / b_z(z x r).
 * Where the field is the London field this is the N r_e / R of eq. 30 (3 for the sphere).
 */
export function effectiveLaggingParameter(
  n: number,
  epsilon: number,
  reducedFieldZ: number,
  rigidReducedFieldZ: number,
): number {
  return (n * epsilon * reducedFieldZ) / rigidReducedFieldZ;
}

// ---------------------------------------------------------------------------------------------------
// Continuum theory

/**
 * The uniform mode of the ring's circulant: 1 / (1 + eps sum_{j != 0} V_phi(2 pi j / N)) (eq. 31/50),
 * exact for N equally spaced electrons in either model and for every drive: on the unit ring all three
 * right-hand sides are z x r_i (azimuthal: 1), the rigid rotation, which is an eigenvector of T (the
 * vector model's radial and z parts of T (z x r) vanish by the ring's reflection symmetry, and its
 * tangential entries are the azimuthal model's V_phi).
 *
 * Null where that mode's eigenvalue 1 + eps sum V_phi is not positive: M is not positive along the
 * drive itself (CG stops diverged_indefinite at its first step), and 1 / eigenvalue would be no
 * screening ratio, past a pole where the electrons' inertia along the mode vanishes. The sum is
 * negative only for N = 2 (V_phi(pi) = -1/4) and N = 3 (2 V_phi(2 pi/3) = -1/(4 sqrt 3)), whose
 * neighbours' velocities along the ring point against each other: null from N r_e/R = 8 and
 * 12 sqrt 3 = 20.78 on.
 */
export function ringContinuumRatio(n: number, epsilon: number): number | null {
  let sum = 0;
  for (let j = 1; j < n; j++) sum += ringPotential((2 * Math.PI * j) / n);
  const eigenvalue = 1 + epsilon * sum;
  return eigenvalue > 0 ? 1 / eigenvalue : null;
}

/**
 * The thin spherical shell in a uniform field, self-consistently. By symmetry the electrons turn rigidly,
 * v = w z x r; the Darwin term of eq. 1 is e times the (Coulomb-gauge) vector potential of the other
 * electrons' currents, so M v = -(e/m) A_ext reads v = -(e/m)(A_ext + A_ind). A surface charge
 * sigma = N e / (4 pi R^2) turning at w has inside, and on the shell, the uniform field of eq. 29,
 * B_ind = (2/3) mu0 sigma w R, and A_ind = (1/2) B_ind z x r there. Hence
 *   w = omega_L - (e / 2m)(2/3)(mu0 / 4 pi)(N e / R) w = omega_L - (N r_e / 3R) w,
 *   w / omega_L = 1 / (1 + N eps / 3),
 * the rigid rotation's Rayleigh quotient N/3 of T on the sphere (a^T T a / a^T a -> N/3) taken as exact,
 * since the rotation is an eigenmode of the continuous shell. The total interior field is B_ext times the
 * same ratio (B_ind / B_ext = -(N eps / 3) / (1 + N eps / 3)). With Pearl's R / Lambda = N eps / 2
 * (pearlParameter) it is 1 / (1 + 2R / 3 Lambda): the thin superconducting shell's, whose sheet current
 * K = -(2 / mu0 Lambda) A carries the field (2/3) mu0 K inside. Checked against the Fibonacci sphere:
 * 0.7618 at N = 1600, N eps = 1, against 0.75, the gap falling like N^-1/2.
 */
export function shellContinuumRatio(nEpsilon: number): number {
  return 1 / (1 + nEpsilon / 3);
}

/** Bernoulli numbers B_4 ... B_26: the series of coth in londonSphereRatio. */
const kBernoulli = [
  -1 / 30,
  1 / 42,
  -1 / 30,
  5 / 66,
  -691 / 2730,
  7 / 6,
  -3617 / 510,
  43867 / 798,
  -174611 / 330,
  854513 / 138,
  -236364091 / 2730,
  8553103 / 6,
];

/** Below this x the series replaces the closed form, which loses ~45e-16 / x^4 to cancellation. */
export const kLondonSeriesBelow = 0.5;

/**
 * London's superconducting sphere in a uniform field: its moment over the free (Larmor) electrons',
 *   (15 / x^2)(1 - (3/x) coth x + 3/x^2),   x = R / lambda_L,
 * = 1 - 2x^2/21 + ... For x < kLondonSeriesBelow, with coth x = sum_k c_k x^(2k-1), c_k = 4^k B_2k/(2k)!,
 * the bracket is -3 sum_{k>=2} c_k x^(2k-2) (the k = 0, 1 terms cancel 1 + 3/x^2), so the ratio is
 * -45 sum_{k>=2} c_k x^(2k-4); terms fall like (x/pi)^2, and twelve reach 1e-16 at x = 0.5.
 */
export function londonSphereRatio(x: number): number {
  if (x < kLondonSeriesBelow) {
    let sum = 0;
    let power = 1;
    let factorial = 24; // (2k)! at k = 2
    for (let k = 2; k < 2 + kBernoulli.length; k++) {
      sum += ((4 ** k * kBernoulli[k - 2]) / factorial) * power;
      power *= x * x;
      factorial *= (2 * k + 1) * (2 * k + 2);
    }
    return -45 * sum;
  }
  return (15 / (x * x)) * (1 - 3 / (x * Math.tanh(x)) + 3 / (x * x));
}

/** x = R / lambda_L of the uniform ball: lambda_L^2 = m / (mu0 n e^2), n = 3N / (4 pi R^3), x^2 = 3 N r_e / R. */
export function ballLondonParameter(nEpsilon: number): number {
  return Math.sqrt(3 * nEpsilon);
}

/** The area, in R^2, over which the film (the disk) or the thin shell (the sphere) holds its electrons. */
export const kSurfaceArea = { disk: Math.PI, sphere: 4 * Math.PI } as const;

/**
 * R / Lambda of a film or thin shell of `area` R^2: Pearl's Lambda = 2 m / (mu0 n_s e^2), n_s = N /
 * (area R^2), so R / Lambda = (mu0 e^2 / 4 pi m) 2 pi N / (area R) = 2 pi N r_e / (area R): 2 N r_e/R on
 * the disk, N r_e / 2R on the sphere. A surface's screening length is Lambda, not a bulk lambda_L.
 */
export function pearlParameter(nEpsilon: number, area: number): number {
  return (2 * Math.PI * nEpsilon) / area;
}

/**
 * The continuum theory's screening ratio at N -> infinity with N r_e/R held: the sphere's surface and the
 * uniform ball in a field or rotating (the rotation's lag current is the field drive's solution, header);
 * null otherwise: the disk has only its Pearl length, and the ring's sum_j V_phi grows like N ln N / pi,
 * so its ratio falls to 0 at any fixed N r_e/R. The same in both models: each continuum solution is a
 * pure azimuthal rotation.
 */
export function continuumLimit(geometry: GeometryName, drive: DriveName, nEpsilon: number): number | null {
  if (geometry === 'sphere' && drive !== 'flux') return shellContinuumRatio(nEpsilon);
  const x = londonSphereParameter(geometry, drive, nEpsilon);
  return x === null ? null : londonSphereRatio(x);
}

/**
 * The continuum's total centre field over the applied one: B(0)/B_ext for the field drive, and the
 * same number for rotation, B(0)/B_eff with B_eff = 2 m Omega / |e| (Larmor's theorem; the London
 * field ratio is 1 minus it). London's sphere, x = R / lambda_L: inside A_phi = C i_1(r/lambda) sin theta,
 * so B(0) = 2C / (3 lambda); matching A_phi and d(r A_phi)/dr at R to the outside's B0 r/2 + m/r^2
 * gives (C/lambda)(i_1' + 2 i_1/x) = 3 B0 / 2, and i_1' + 2 i_1/x = i_0 = sinh x / x, hence x / sinh x.
 * The thin shell's interior field is uniform, B_ext times shellContinuumRatio. Null elsewhere.
 */
export function continuumCentreField(
  geometry: GeometryName,
  drive: DriveName,
  nEpsilon: number,
): number | null {
  if (drive === 'flux') return null;
  if (geometry === 'sphere') return shellContinuumRatio(nEpsilon);
  const x = londonSphereParameter(geometry, drive, nEpsilon);
  return x === null ? null : x / Math.sinh(x);
}

/**
 * x = R / lambda_L where London's superconducting sphere is the continuum theory: the uniform ball in a
 * field or rotating (the rotation's lag current is the field drive's solution, header); else null.
 */
export function londonSphereParameter(
  geometry: GeometryName,
  drive: DriveName,
  nEpsilon: number,
): number | null {
  return geometry === 'ball' && drive !== 'flux' ? ballLondonParameter(nEpsilon) : null;
}

/** The continuum ratio at N electrons: the ring's exact circulant value, else continuumLimit. */
export function continuumRatio(
  geometry: GeometryName,
  drive: DriveName,
  n: number,
  epsilon: number,
): number | null {
  return geometry === 'ring' ? ringContinuumRatio(n, epsilon) : continuumLimit(geometry, drive, n * epsilon);
}

/**
 * R over the geometry's London length where it has one: the ball's R / lambda_L = sqrt(3 N eps); Pearl's
 * R / Lambda of the disk (2 N eps) and of the sphere's thin shell (N eps / 2); null otherwise.
 */
export function londonX(geometry: GeometryName, n: number, epsilon: number): number | null {
  if (geometry === 'ball') return ballLondonParameter(n * epsilon);
  if (geometry === 'disk' || geometry === 'sphere')
    return pearlParameter(n * epsilon, kSurfaceArea[geometry]);
  return null;
}

/** The dimension d of the set the electrons fill: 2 for the surfaces and films, 3 for the solids. */
const kFilledDimension: Record<GeometryName, 1 | 2 | 3> = {
  ring: 1,
  disk: 2,
  sphere: 2,
  annulus: 2,
  square: 2,
  cylinder: 2,
  ball: 3,
  cube: 3,
};

/**
 * p of the finite-N correction b N^-p of the ratio at fixed N r_e/R, or null for the ring. The discrete
 * T misses each electron's own cell, whose continuum share of the potential is ~ 1/d_nn ~ N^(1/d) against
 * the N of the whole: a relative correction N^-(1 - 1/d), 1/2 on a surface or film, 2/3 in a solid (the
 * exponents of the scaling study's laws). On the ring (d = 1) the sum of V_phi grows like N ln N / pi and
 * no power law holds.
 */
export function finiteSizeExponent(geometry: GeometryName): number | null {
  const d = kFilledDimension[geometry];
  return d === 1 ? null : 1 - 1 / d;
}

// ---------------------------------------------------------------------------------------------------
// The current against depth

/** Depth bins of the current profile over 0 <= 1 - r <= 1. */
export const kProfileBins = 10;

export interface CurrentProfile {
  /** Bin centres in 1 - |r| (units of R). */
  readonly depth: Float64Array;
  /**
   * Mean of j_phi / sin(theta) per electron, (z x r).v |r| / rho^2 (units of u): London's radial factor
   * of the azimuthal current, which is |r| for the rigid rotation at eps = 0; NaN for an empty bin.
   */
  readonly current: Float64Array;
  readonly counts: Int32Array;
}

/** The centres of the kProfileBins equal bins of depth over [0, 1]. */
function binCentres(): Float64Array {
  return Float64Array.from({ length: kProfileBins }, (_, b) => (b + 0.5) / kProfileBins);
}

/** The induced current against depth below the surface; electrons on the axis (rho = 0) are left out. */
export function currentProfile(positions: Float64Array, velocities: Float64Array): CurrentProfile {
  const sums = new Float64Array(kProfileBins);
  const counts = new Int32Array(kProfileBins);
  for (let k = 0; k < positions.length; k += 3) {
    const [x, y, z] = [positions[k], positions[k + 1], positions[k + 2]];
    const rho2 = x * x + y * y;
    if (rho2 === 0) continue;
    const r = Math.sqrt(rho2 + z * z);
    const bin = Math.min(kProfileBins - 1, Math.max(0, Math.floor((1 - r) * kProfileBins)));
    sums[bin] += ((-y * velocities[k] + x * velocities[k + 1]) * r) / rho2;
    counts[bin]++;
  }
  return {
    depth: binCentres(),
    current: sums.map((sum, b) => (counts[b] > 0 ? sum / counts[b] : NaN)),
    counts,
  };
}

/**
 * i_1(u) e^-x: the modified spherical Bessel function i_1(u) = (u cosh u - sinh u) / u^2 scaled by
 * e^-x (u <= x), so that a deep sample (x of hundreds) stays finite. Below u = 1, where the closed
 * form loses digits to cancellation, its series sum_k u^(2k+1) / ((2k)!! (2k+3)!!), each term the last
 * times u^2 / ((2k + 2)(2k + 5)): nine terms reach 1.5e-16 of the sum at u = 1, as the closed form
 * is there (fitLondonProfile tells lambda from the rigid rotation by i_1's u^3 term alone).
 */
function scaledBesselI1(u: number, x: number): number {
  if (u < 1) {
    const u2 = u * u;
    let term = u / 3;
    let sum = term;
    for (let k = 0; k < 8; k++) {
      term *= u2 / ((2 * k + 2) * (2 * k + 5));
      sum += term;
    }
    return sum * Math.exp(-x);
  }
  return (Math.exp(u - x) * (u - 1 + (u + 1) * Math.exp(-2 * u))) / (2 * u * u);
}

/**
 * London's sphere as currentProfile bins it: inside, A_phi and with it j_phi = f(r) sin(theta) go as
 * i_1(r / lambda_L) (London's equation, curl curl A = -A / lambda_L^2, in a uniform field; the
 * rotating sphere's lag current solves the same problem, header), so each bin holds the mean of
 * i_1(x r) over electrons filling the ball uniformly (weight r^2), up to one factor for all bins
 * (scaledBesselI1; a bin it underflows is 0). Near the centre i_1 ~ u/3 bends the profile away from
 * e^(-depth/lambda_L): fitted over all ten bins it decays over 1.17 lambda_L at x = 9.5, not lambda_L.
 * `counts` are 0: no electrons. Composite Simpson in each bin, fine enough that e^(x h) stays near 1.
 */
export function londonSphereCurrentProfile(x: number): CurrentProfile {
  const steps = 2 * Math.ceil(Math.max(16, (4 * x) / kProfileBins));
  const current = new Float64Array(kProfileBins);
  for (let b = 0; b < kProfileBins; b++) {
    const inner = 1 - (b + 1) / kProfileBins;
    const h = 1 / kProfileBins / steps;
    let moment = 0;
    let weight = 0;
    for (let k = 0; k <= steps; k++) {
      const r = inner + k * h;
      const simpson = k === 0 || k === steps ? 1 : k % 2 === 1 ? 4 : 2;
      moment += simpson * r * r * scaledBesselI1(x * r, x);
      weight += simpson * r * r;
    }
    current[b] = moment / weight;
  }
  return {
    depth: binCentres(),
    current,
    counts: new Int32Array(kProfileBins),
  };
}

// ---------------------------------------------------------------------------------------------------
// The penetration depth, fitted as London's profile

/**
 * London's radial profile i_1(r / lambda) / i_1(R / lambda), 1 at the surface (r, lambda in R). Inside
 * London's sphere (ref. [28] of the paper: curl curl A = -A / lambda^2, the London equation, with the
 * field of eq. 27's body matched outside) A = A_phi(r, theta) e_phi, A_phi = C i_1(r / lambda)
 * sin(theta): for A_phi = f(r) sin(theta) the equation reads f'' + 2 f'/r - 2 f/r^2 = f / lambda^2,
 * the modified spherical Bessel equation of order 1, whose solution regular at r = 0 is i_1(r/lambda)
 * (checked against scipy's spherical_in(1, u)). The electrons' velocity v = -(e/m) A (p = 0, the
 * file's header) is the same profile, v_phi = a i_1(r / lambda) sin(theta); the rotation's lag
 * current solves the same problem (header). As lambda -> infinity, i_1(u) ~ u/3: the rigid rotation.
 */
export function londonRadialProfile(r: number, lambda: number): number {
  const x = 1 / lambda;
  return scaledBesselI1(r / lambda, x) / scaledBesselI1(x, x);
}

/** The penetration depth's scan, lambda/R: log-spaced, 20 a decade, then refined about its least. */
export const kPenetrationDepthRange = [1e-3, 1e2] as const;
const kPenetrationScanPerDecade = 20;

export interface LondonProfileFit {
  /** lambda / R of the profile that fits best. */
  readonly penetrationDepth: number;
  /** a: v_phi / sin(theta) at r = R of the fitted profile, in the velocities' unit. */
  readonly surfaceVelocity: number;
}

/**
 * The penetration depth fitted as London's profile to every electron's azimuthal velocity: lambda and
 * a minimise sum_i (v_phi,i - a sin(theta_i) i_1(r_i / lambda) / i_1(R / lambda))^2 (positions in R;
 * londonRadialProfile). For each lambda, a is the linear least-squares amplitude; lambda comes from a
 * scan of kPenetrationDepthRange, log-spaced, refined by golden-section search on ln lambda between
 * the scan's neighbours of its least. Electrons on the axis (sin theta = 0) say nothing and are left
 * out. Null where the least lies at either end of the scan: at the upper end the rigid rotation
 * (lambda -> infinity) fits as well, there is no screening to see; at the lower end the current sits
 * in a layer thinner than the scan (and the electrons' spacing) resolves. Null too without two
 * electrons off the axis, or without an azimuthal velocity.
 */
export function fitLondonProfile(
  positions: ArrayLike<number>,
  velocities: ArrayLike<number>,
): LondonProfileFit | null {
  const radii: number[] = [];
  const sines: number[] = [];
  const azimuthal: number[] = [];
  for (let k = 0; k < positions.length; k += 3) {
    const [x, y, z] = [positions[k], positions[k + 1], positions[k + 2]];
    const rho = Math.hypot(x, y);
    if (rho === 0) continue;
    const r = Math.hypot(rho, z);
    radii.push(r);
    sines.push(rho / r);
    azimuthal.push((x * velocities[k + 1] - y * velocities[k]) / rho);
  }
  if (radii.length < 2 || azimuthal.every((v) => v === 0)) return null;
  // The profile's least-squares amplitude a at lambda, and the residual sum of squares it leaves.
  const fitAt = (lambda: number) => {
    const shape = radii.map((r, i) => sines[i] * londonRadialProfile(r, lambda));
    let vf = 0;
    let ff = 0;
    shape.forEach((f, i) => {
      vf += azimuthal[i] * f;
      ff += f * f;
    });
    const amplitude = ff > 0 ? vf / ff : 0;
    let residual = 0;
    shape.forEach((f, i) => (residual += (azimuthal[i] - amplitude * f) ** 2));
    return { amplitude, residual };
  };
  const [low, high] = kPenetrationDepthRange;
  const steps = Math.round(kPenetrationScanPerDecade * Math.log10(high / low));
  const scan = Array.from({ length: steps + 1 }, (_, k) => low * (high / low) ** (k / steps));
  const residuals = scan.map((lambda) => fitAt(lambda).residual);
  const least = residuals.indexOf(Math.min(...residuals));
  if (least === 0 || least === steps) return null;
  const logDepth = goldenSectionMinimum(
    (logLambda) => fitAt(Math.exp(logLambda)).residual,
    Math.log(scan[least - 1]),
    Math.log(scan[least + 1]),
    60,
  );
  const penetrationDepth = Math.exp(logDepth);
  return { penetrationDepth, surfaceVelocity: fitAt(penetrationDepth).amplitude };
}

/**
 * The continuum's penetration depth lambda_L / R = 1 / x where London's sphere is the continuum theory
 * (londonSphereParameter: the ball in a field or rotating), x = R / lambda_L; else null.
 */
export function londonPenetrationDepth(
  geometry: GeometryName,
  drive: DriveName,
  nEpsilon: number,
): number | null {
  const x = londonSphereParameter(geometry, drive, nEpsilon);
  return x === null ? null : 1 / x;
}
