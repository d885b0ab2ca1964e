// The pairing temperature of sec. IV.B in closed form, with CODATA 2018 values written here rather than
// taken from src/physics/constants.ts, so that the expected numbers do not pass through the code under
// test: Z_F = E_F / (m c^2) (eq. 43), the Bohr radius of eq. 44 a_m = 2 a_0 / Z_F and its ground state
// E_3d = -1/a_m^2 Hartree = -(Z_F^2 / 4) E_h, eq. 46's E_1d = E_3d [2 ln(a_m/a)]^2, and T = |E| / k_B.

/** m_e c^2, eV (CODATA 2018). */
const kElectronRestEnergyEv = 0.51099895e6;
/** E_h, eV (CODATA 2018). */
const kHartreeEv = 27.211386245988;
/** k_B, eV/K (exact: 1.380649e-23 J/K over 1.602176634e-19 J/eV). */
const kBoltzmannEvPerKelvin = 1.380649e-23 / 1.602176634e-19;
/** a_0, metres (CODATA 2018). */
const kBohrRadiusMetres = 5.29177210903e-11;

export interface PairingClosedForm {
  /** Z_F = E_F / (m c^2), eq. 43. */
  readonly fermiParameter: number;
  /** a_m = 2 a_0 / Z_F, metres. */
  readonly pairingRadiusMetres: number;
  /** a_m / a. */
  readonly ratio: number;
  /** (Z_F^2 / 4) E_h / k_B: the temperature of the unit 1/a_m^2 Hartree of eq. 45's epsilon, kelvin. */
  readonly unitKelvin: number;
  /** Eq. 46's |E_1d| / k_B, kelvin. */
  readonly eq46Kelvin: number;
}

/** Sec. IV.B's numbers for a ring of Fermi energy `fermiEnergyEv` and thickness `thicknessMetres`. */
export function pairingClosedForm(fermiEnergyEv: number, thicknessMetres: number): PairingClosedForm {
  const fermiParameter = fermiEnergyEv / kElectronRestEnergyEv;
  const pairingRadiusMetres = (2 * kBohrRadiusMetres) / fermiParameter;
  const ratio = pairingRadiusMetres / thicknessMetres;
  const unitKelvin = ((fermiParameter * fermiParameter) / 4) * (kHartreeEv / kBoltzmannEvPerKelvin);
  const logarithm = 2 * Math.log(ratio);
  return { fermiParameter, pairingRadiusMetres, ratio, unitKelvin, eq46Kelvin: unitKelvin * logarithm ** 2 };
}

/** The Au ring of Chandrasekhar et al. (sec. IV.B): E_F = 5.53 eV, a = 80 nm: 0.854 mK by eq. 46. */
export const kGoldClosedForm = pairingClosedForm(5.53, 80e-9);
/** The Cu ring of Levy et al., a = 100 nm assumed (src/physics/paper.ts kLevy): 1.120 mK by eq. 46. */
export const kCopperClosedForm = pairingClosedForm(7.0, 100e-9);
