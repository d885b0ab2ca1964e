// `larmor`: the Larmor current of N electrons on a ring in a field B (eq. 13-18), the flux in flux
// quanta (eq. 15), the moment in Bohr magnetons, and the readings of Levy et al. and Chandrasekhar et al.
// that the paper makes with them (sec. II.B). A thin adapter over src/studies/larmor/.
import { larmorJson } from '../../studies/larmor/report.ts';
import { runLarmor } from '../../studies/larmor/run.ts';
import {
  kLarmorDefaults,
  kLarmorFieldBoundText,
  kLarmorRadiusBoundText,
  larmorFieldProblem,
  larmorRadiusProblem,
  parseLarmorElectrons,
} from '../../studies/larmor/spec.ts';
import { kCommonOptions, parseCommandArgs, parseNumber } from '../options.ts';
import { printSummary, type CommandOutput } from './summary.ts';

export const kLarmorHelp = `Usage: darwin-breit larmor [--n N] [--b-tesla B] [--radius-m R] [--json]

The Larmor current of N electrons on a ring of radius R in a field B along its axis (eq. 16/18:
I = -N B e^2/(4 pi m), 2.242 nA/T per electron), the same current from the flux Phi = B pi R^2 (eq. 14,
with eq. 13's minus sign, which eq. 14 as printed drops), Phi in flux quanta h/|e| (eq. 15), the
moment I pi R^2 in Bohr magnetons (-N n_phi, the relation after eq. 15), the Larmor speed
|Omega| R ("larmor_speed_m_s", a magnitude: the signed angular velocity gives the sense) over c
(speed_note: past 0.1, where eq. 13-18 for v << c no longer hold), and the paper's readings: Levy et
al.'s Cu rings (N from eq. 16 with the printed 0.36 nA and 1.3e-2 T; the paper says ~100) and
Chandrasekhar et al.'s Au ring (I = 0.3-2.0 e v_F/(2 pi R), here for the ring of radius R: the paper
gives none). SI units.

  --n N          electrons, an integer in 1..2^53 - 1                       [${kLarmorDefaults.n}, the paper's N]
  --b-tesla B    field along the axis, tesla: 0 or |B| ${kLarmorFieldBoundText.min}..${kLarmorFieldBoundText.max}        [${kLarmorDefaults.fieldTesla}, Levy et al.'s B_0]
  --radius-m R   ring radius, metres, in ${kLarmorRadiusBoundText.min}..${kLarmorRadiusBoundText.max}                        [${kLarmorDefaults.radiusMetres.toPrecision(4)}, circumference 2.2 um]
  --json         {"command", "version", "device": {"kind", "description"}, "ring": {"n", "b_tesla",
                 "radius_m", "current_per_electron_na_per_t", "larmor_angular_velocity_rad_s",
                 "larmor_speed_m_s", "larmor_speed_over_c", "speed_note" (null below 0.1),
                 "current_a" (eq. 16/18), "current_eq14_a", "flux_wb", "flux_quantum_wb",
                 "flux_quanta", "moment_a_m2", "moment_bohr_magnetons",
                 "moment_check_minus_n_n_phi" (eq. 15's -N n_phi)}, "levy" (Levy et al.'s Cu
                 rings): {"circumference_m", "current_printed_a", "current_from_fermi_velocity_a",
                 "field_printed_t", "field_one_quantum_circle_t", "field_one_quantum_square_t",
                 "n_from_printed_numbers", "n_from_computed_numbers", "n_paper", "note"},
                 "chandrasekhar" (Chandrasekhar et al.'s Au ring): {"radius_m", "radius_note",
                 "current_fractions_e_vf_over_2_pi_r", "currents_a", "kf_r",
                 "n_for_larmor_current_at_one_flux_quantum", "note"}}
`;

const kOptions = {
  ...kCommonOptions,
  n: { type: 'string', default: String(kLarmorDefaults.n) },
  'b-tesla': { type: 'string', default: String(kLarmorDefaults.fieldTesla) },
  'radius-m': { type: 'string', default: String(kLarmorDefaults.radiusMetres) },
} as const;

export async function larmorCommand(argv: string[]): Promise<CommandOutput> {
  const { values } = parseCommandArgs(argv, kOptions);
  if (values.help) return { help: kLarmorHelp };
  const n = parseLarmorElectrons(values.n, '--n');
  const fieldTesla = parseNumber('b-tesla', values['b-tesla'], larmorFieldProblem);
  const radiusMetres = parseNumber('radius-m', values['radius-m'], larmorRadiusProblem);

  const summary = larmorJson(runLarmor({ n, fieldTesla, radiusMetres }));
  return { json: values.json, summary, text: printSummary(summary) };
}
