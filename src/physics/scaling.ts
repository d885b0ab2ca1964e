// The scaling of the Darwin-Breit interaction with N (sec. IV.C, eq. 47-55): what the largest eigenvalue
// of the interaction matrix does as electrons are added at fixed size R, and the size R* at which the
// collective parameter eps lambda_max reaches 1 when N = N_max(d) = (R/a0)^d (eq. 51). Eq. 51's R is a
// side length; here it is the body's radius, as where the paper puts eq. 51 into eq. 49: one electron per
// a0^d of R^d, not of the body's volume (eq. 51 taken literally; "very roughly", the paper says).
//
// The interaction matrix is the eps-free part of the Jacobi-scaled mass matrix,
//   A = D^-1/2 (M - D) D^-1/2 / eps,
// T itself in the vector model (D = I) and D^-1/2 (M - D) D^-1/2 at eps = 1 in the azimuthal model
// (D = diag rho_i^2): then eps lambda(A) = lambda(D^-1/2 M D^-1/2) - 1 is the collective part of eq. 48.
// Its variables are y = D^1/2 x: the velocity components (vector model), or y_i = rho_i phidot_i =
// e_phi,i . v_i, the azimuthal speeds (azimuthal model). Velocity patterns are compared in those.
//
// Laws, from the continuum limit sum_j f(r_ij) -> N \int rho f dV minus the missing self-cell of
// volume 1/(N rho) around i, of linear size h ~ N^(-1/d):
//   ring (d = 1)    the cell cuts off \int dphi/|phi|: lambda_max = (N/pi)(ln N + C) exactly as derived
//                   below (azimuthal model, error 0.87/N); the vector model adds the radial-tangential
//                   coupling B_k^2 / (C_k - A_k) of its 2 x 2 Fourier blocks, O(N / ln N).
//   disk, sphere    the cell holds \int dA / r ~ h, so lambda_max/N = c + b N^(-1/2).
//   ball            \int dV / r over the cell ~ h^2: c + b N^(-2/3). A surface layer of width h would
//                   add N^(-1/3), but r_i = ((i + 1/2)/N)^(1/3) puts every shell at its volume midpoint
//                   (the midpoint rule in r^3), which cancels that term; the measured local exponent
//                   (0.6-0.7 from N = 128 to 2048) agrees.
// lambda_min is set by the nearest neighbours, lambda_min ~ -kappa / d_nn: a lone pair at distance r
// moving apart along its separation has the quotient -(1 + 1)/(2 r) = -1/r; the ring's alternating mode
// sums it to -2 ln 2 / d_nn; on the sphere the bottom mode is the uniform radial (breathing) motion,
// whose continuum quotient <(1 - 3 r^2/4)/(2 r)> vanishes over the sphere, leaving the self-cell's
// -kappa / d_nn; in the ball it is the closest pair itself. M = D + eps T turns indefinite at
// eps = 1/|lambda_min|, when neighbours are about kappa r_e apart.
//
// The velocity patterns the modes are compared with are src/physics/modes.ts, the nearest-neighbour
// search src/physics/neighbours.ts, and London's N on the sphere (eq. 30) src/physics/london.ts.
import { kBohrRadius, kClassicalElectronRadius } from './constants.ts';
import { geometry } from './geometry.ts';
import { InputError } from './input-error.ts';
import type { DarwinSystem, Dimension, ModelName } from './models.ts';
import { kEulerGamma } from './coulomb1d.ts';

export const kScalingGeometries = ['ring', 'disk', 'sphere', 'ball'] as const;
export type ScalingGeometry = (typeof kScalingGeometries)[number];

export function isScalingGeometry(name: string): name is ScalingGeometry {
  return (kScalingGeometries as readonly string[]).includes(name);
}

/**
 * d of eq. 51: the dimension of the set the electrons fill. The sphere's electrons sit on its surface
 * (sec. III: superconducting electrons are found just inside it), so it counts as d = 2.
 */
export const kDistributionDimension: Record<ScalingGeometry, 1 | 2 | 3> = {
  ring: 1,
  disk: 2,
  sphere: 2,
  ball: 3,
};

/**
 * The study's system: N electrons of `name` at eps = 1. The vector model keeps the velocity components
 * the electrons can have: in the plane for the planar ring and disk (their out-of-plane block
 * I / (2 r) is a decoupled, weaker copy: it sets neither extreme), all three otherwise.
 */
export function scalingSystem(name: ScalingGeometry, model: ModelName, n: number): DarwinSystem {
  return {
    configuration: geometry(name, n),
    model,
    dim: scalingVelocityDimension(name),
    epsilon: 1,
    softening: 0,
  };
}

/** The vector model's velocity components in scalingSystem: in the plane for the ring and the disk. */
export function scalingVelocityDimension(name: ScalingGeometry): Dimension {
  return kDistributionDimension[name] === 3 || name === 'sphere' ? 3 : 2;
}

// ---------------------------------------------------------------------------------------------------
// The ring: lambda_max = (N/pi)(ln N + C)

/**
 * C of the ring's lambda_max = (N/pi)(ln N + C) + O(1/N), azimuthal model. With V_phi = g(phi) /
 * (2 sin(phi/2)), g = (1 + 3 cos phi)/4 (eq. 42: V_phi ~ 1/|phi|), the circulant eigenvalue
 *   lambda_k = sum_{j=1}^{N-1} V_phi(phi_j) cos(k phi_j),   phi_j = 2 pi j / N,
 * splits into sum_j 1/(2 sin(phi_j/2)) = (N/pi)(ln(2N/pi) + gamma) + O(1/N) and the sum of the
 * bounded, periodic (g cos k phi - 1)/(2 sin(phi/2)), which the trapezoid rule gives as
 * (N/2 pi) I_k + O(1/N). With s = sin(phi/2), g - 1 = -3 s^2/2 and g cos phi - 1 = -7 s^2/2 + 3 s^4,
 * so I_0 = -(3/4) \int_0^{2 pi} s = -3 and I_1 = \int (-7 s/4 + 3 s^3/2) = -7 + 4 = -3 alike (I_2 = -77/15):
 * the uniform rotation k = 0 and the translations k = 1 share C = ln(2/pi) + gamma - 3/2 and differ by
 * 0.52/N, k = 1 on top (ringCirculantEigenvalues).
 */
export const kRingConstant = Math.log(2 / Math.PI) + kEulerGamma - 1.5;

/** (N/pi)(ln N + C): the ring's lambda_max to O(1/N) (azimuthal model; the exact one is 0.87/N above). */
export function ringLambdaMaxAsymptotic(n: number): number {
  return (n / Math.PI) * (Math.log(n) + kRingConstant);
}

/**
 * -2 ln 2 / d_nn: the ring's lambda_min, the alternating mode k = N/2, whose sum of (-1)^j / |phi_j|
 * is -(N/pi) ln 2 with d_nn = 2 pi / N (both models: their longitudinal blocks share V_phi ~ 1/|phi|).
 */
export const kRingMinimumConstant = 2 * Math.LN2;

// ---------------------------------------------------------------------------------------------------
// Laws of lambda_max / N and the critical size

/**
 * A law of lambda_max / N linear in its parameters: lambda_max / N = sum_k p_k f_k(ln N). Written in
 * u = ln N so that it can be evaluated at N = (R* / a0)^d far beyond a double.
 */
export interface ScalingLaw {
  readonly name: 'n_log_n' | 'n_log_n_coupled' | 'inverse_power';
  /** The law as text, for tables and the JSON. */
  readonly text: string;
  readonly parameters: readonly string[];
  /** Which parameter is the N -> infinity coefficient: the prefactor of ln N, or the limit c. */
  readonly coefficientIndex: number;
  /** f_k(u), u = ln N. */
  basis(u: number): number[];
  /** The inverse power p of c + b N^-p (inverse_power only). */
  readonly exponent?: number;
  /** The value of the coefficient the derivation predicts, where it does. */
  readonly theory?: number;
}

/** lambda_max / N = a ln N + b: the azimuthal ring, a = 1/pi, b = C/pi. */
export const kRingLaw: ScalingLaw = {
  name: 'n_log_n',
  text: 'lambda_max/N = a ln N + b',
  parameters: ['a', 'b'],
  coefficientIndex: 0,
  basis: (u) => [u, 1],
  theory: 1 / Math.PI,
};

/** lambda_max / N = a ln N + b + g / ln N: the vector ring, whose radial-tangential coupling adds g. */
export const kCoupledRingLaw: ScalingLaw = {
  name: 'n_log_n_coupled',
  text: 'lambda_max/N = a ln N + b + g/ln N',
  parameters: ['a', 'b', 'g'],
  coefficientIndex: 0,
  basis: (u) => [u, 1, 1 / u],
  theory: 1 / Math.PI,
};

/** lambda_max / N = c + b N^-p. */
export function inversePowerLaw(exponent: number, theory?: number): ScalingLaw {
  const p = exponent === 0.5 ? '1/2' : exponent === 2 / 3 ? '2/3' : exponent.toPrecision(4);
  return {
    name: 'inverse_power',
    text: `lambda_max/N = c + b N^-${p}`,
    parameters: ['c', 'b'],
    coefficientIndex: 0,
    basis: (u) => [1, Math.exp(-exponent * u)],
    exponent,
    theory,
  };
}

/**
 * The law of each study (see the header for the derivations). The sphere's top mode is the uniform
 * translation, whose quotient has the continuum limit (1/2)<(1 + (x.n)^2)/r> = (1/2)(4/3)<1/r> = 2/3
 * (isotropy, and the shell potential <1/r> = 1 at its surface).
 */
export function scalingLaw(name: ScalingGeometry, model: ModelName): ScalingLaw {
  switch (name) {
    case 'ring':
      return model === 'azimuthal' ? kRingLaw : kCoupledRingLaw;
    case 'disk':
      return inversePowerLaw(0.5);
    case 'sphere':
      return inversePowerLaw(0.5, model === 'vector' ? 2 / 3 : undefined);
    case 'ball':
      return inversePowerLaw(2 / 3);
  }
}

/**
 * The law of the rigid rotation's quotient q / N (its (v^T (M - D) v)/(v^T D v) at eps = 1), of the
 * study's form, with the rotation's own continuum value. On the ring the rigid rotation is purely
 * tangential: the azimuthal circulant's uniform mode in either model, a ln N + b with a = 1/pi and no
 * radial-tangential g. The thin shell's 1/3 (its rotation's field, eq. 29: inertia 1 + N r_e/3R);
 * the uniform ball's 2/7 (1 + (2/7) N r_e/R); the uniform disk's 32/(15 pi), the continuum's double
 * integral of (v.v' + (v.n)(v'.n))/(2 |r - r'|) over the unit disk (a Monte Carlo of 4e7 pairs: 0.6792).
 */
export function rigidRotationLaw(name: ScalingGeometry, model: ModelName): ScalingLaw {
  const law = name === 'ring' ? kRingLaw : scalingLaw(name, model);
  const theory = { ring: 1 / Math.PI, sphere: 1 / 3, ball: 2 / 7, disk: 32 / (15 * Math.PI) }[name];
  return { ...law, text: law.text.replace('lambda_max/N', 'q_rotation/N'), theory };
}

/** lambda_max / N of a fitted law at N = e^u. */
export function lawValue(law: ScalingLaw, parameters: readonly number[], u: number): number {
  return law.basis(u).reduce((sum, f, k) => sum + parameters[k] * f, 0);
}

export interface CriticalRadius {
  /** R* in metres, null when it overflows a double (the ring). */
  readonly metres: number | null;
  readonly log10Metres: number;
  /** R* / a0, as its log10 (N_max = (R* / a0)^d electrons). */
  readonly log10Bohr: number;
  readonly log10Electrons: number;
}

/**
 * R* at which the collective parameter eps lambda_max(N) = (r_e/R) N (lambda_max/N) reaches 1 with
 * N = N_max(d) = (R/a0)^d (eq. 51): in u = ln N, since r_e/R = (r_e/a0) e^(-u/d),
 *   h(u) = ln(r_e/a0) + (1 - 1/d) u + ln(lambda_max/N)(u) = 0,
 * solved by bisection on u >= uFrom (the largest N measured: the law is an asymptotic one). For d = 1
 * the size drops out of N r_e/R = r_e/a0 = alpha^2 and only the ln N growth of the ring can reach 1:
 * (r_e/(pi a0))(ln(R/a0) + C) = 1, ln(R* / a0) ~ pi a0/r_e ~ 6e4 (eq. 53's R -> infinity, made finite).
 */
export function criticalRadius(
  dimension: number,
  law: ScalingLaw,
  parameters: readonly number[],
  uFrom: number,
): CriticalRadius {
  const logRatio = Math.log(kClassicalElectronRadius / kBohrRadius);
  const h = (u: number) => {
    const value = lawValue(law, parameters, u);
    return value > 0 ? logRatio + (1 - 1 / dimension) * u + Math.log(value) : -Infinity;
  };
  let lo = Math.max(uFrom, 0);
  let hi = Math.max(2 * lo, 1);
  if (h(lo) >= 0) hi = lo;
  else {
    while (h(hi) < 0) {
      lo = hi;
      hi *= 2;
      if (hi > 1e12) throw new InputError('the fitted law never reaches eps lambda_max = 1');
    }
    for (let k = 0; k < 200 && hi - lo > 1e-12 * hi; k++) {
      const mid = (lo + hi) / 2;
      if (h(mid) < 0) lo = mid;
      else hi = mid;
    }
  }
  const u = hi;
  const log10Bohr = u / (dimension * Math.LN10);
  const log10Metres = log10Bohr + Math.log10(kBohrRadius);
  const metres = 10 ** log10Metres;
  return {
    metres: Number.isFinite(metres) ? metres : null,
    log10Metres,
    log10Bohr,
    log10Electrons: u / Math.LN10,
  };
}

/** The leading order of R* for d >= 2: N_max c r_e / R = 1, R = a0 (a0 / (c r_e))^(1/(d-1)) (cf. eq. 52). */
export function leadingCriticalRadius(dimension: number, coefficient: number): number {
  return kBohrRadius * (kBohrRadius / (coefficient * kClassicalElectronRadius)) ** (1 / (dimension - 1));
}
