// CODATA 2018 recommended values, SI units (https://physics.nist.gov/cuu/Constants/).
// The paper writes Gaussian formulas; every conversion to SI is made where a formula is used.

/** Classical electron radius r_e = e^2/(4 pi eps0 m c^2), metres. */
export const kClassicalElectronRadius = 2.8179403262e-15;
/** Bohr radius a0, metres. */
export const kBohrRadius = 5.29177210903e-11;
/** Fine-structure constant alpha; r_e = alpha^2 a0 ties the three lengths together. */
export const kFineStructure = 7.2973525693e-3;
/** Electron mass m_e, kg. */
export const kElectronMass = 9.1093837015e-31;
/** Elementary charge |e|, coulombs (exact). */
export const kElementaryCharge = 1.602176634e-19;
/** Speed of light c, m/s (exact). */
export const kSpeedOfLight = 299792458;
/** Reduced Planck constant hbar, J s. */
export const kHbar = 1.054571817e-34;
/** Planck constant h, J s (exact). */
export const kPlanck = 6.62607015e-34;
/**
 * Bohr magneton mu_B = |e| hbar / (2 m_e), hbar = h / 2 pi, J/T: from the exact e and h and CODATA's
 * m_e rather than CODATA's own rounded 9.2740100783e-24 (which it matches to those digits), so that the
 * moment of one flux quantum h/|e| per electron (eq. 15) is one mu_B to float64's rounding, not 7e-12
 * off (kHbar, CODATA's rounded hbar, would leave 6e-10).
 */
export const kBohrMagneton = (kElementaryCharge * (kPlanck / (2 * Math.PI))) / (2 * kElectronMass);
/** Boltzmann constant k_B, J/K (exact). */
export const kBoltzmann = 1.380649e-23;
/** Hartree energy E_h, J. */
export const kHartree = 4.3597447222071e-18;
/** Electron rest energy m_e c^2, J. */
export const kElectronRestEnergy = 8.1871057769e-14;
/** One electronvolt, J (exact). */
export const kElectronVolt = 1.602176634e-19;

/** eps = r_e / R (eq. 49/50): the dimensionless strength of the Darwin term for a sample of radius R. */
export function epsilonFromRadius(radiusMetres: number): number {
  return kClassicalElectronRadius / radiusMetres;
}

/** R = r_e / eps, metres: the sample radius at which the Darwin term has strength eps. */
export function radiusFromEpsilon(epsilon: number): number {
  return kClassicalElectronRadius / epsilon;
}

/** The paper's collective parameter N r_e / R = N eps (eq. 49). */
export function collectiveParameter(n: number, epsilon: number): number {
  return n * epsilon;
}
