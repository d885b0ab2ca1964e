// `larmor`: the Larmor current of N electrons on a ring in a field B (eq. 13-18), the flux in flux
// quanta (eq. 15), the moment in Bohr magnetons, and the readings of Levy et al. and Chandrasekhar et al.
// that the paper makes with them (sec. II.B). Everything is computed from src/physics (larmor.ts).
import { kFluxQuantum, kLevy } from '../../physics/paper.ts';
import {
  chandrasekharReading,
  kChandrasekharCurrentFractions,
  kLevyRadiusMetres,
  larmorRing,
  levyReading,
} from '../../physics/larmor.ts';
import { kCpuDevice } from '../../io/formats.ts';
import { kCommonOptions, parseCommandArgs, parseNumber, positive, positiveInteger } from '../options.ts';
import { printSummary, type CommandOutput } from './summary.ts';

export const kLarmorHelp = `Usage: darwin-breit larmor [--n N] [--b-tesla B] [--radius-m R] [--json]

The Larmor current of N electrons on a ring of radius R in a field B along its axis (eq. 16/18:
I = -N B e^2/(4 pi m), 2.242 nA/T per electron), the same current from the flux Phi = B pi R^2 (eq. 14),
Phi in flux quanta h/|e| (eq. 15), the moment I pi R^2 in Bohr magnetons (eq. 15: -N n_phi), and the
paper's readings: Levy et al.'s Cu rings (N from eq. 16 with the printed 0.36 nA and 1.3e-2 T; the
paper says ~100) and Chandrasekhar et al.'s Au ring (I = 0.3-2.0 e v_F/(2 pi R), here for the ring
of radius R: the paper gives none). SI units.

  --n N          electrons (integer >= 1)                                   [100, the paper's N]
  --b-tesla B    field along the ring's axis, tesla                          [${kLevy.fieldTesla}, Levy et al.'s B_0]
  --radius-m R   ring radius, metres (> 0)       [${kLevyRadiusMetres.toPrecision(4)}, circumference 2.2 um]
  --json         {"command", "ring": {...}, "levy": {...}, "chandrasekhar": {...}}
`;

const kOptions = {
  ...kCommonOptions,
  n: { type: 'string', default: '100' },
  'b-tesla': { type: 'string', default: String(kLevy.fieldTesla) },
  'radius-m': { type: 'string', default: String(kLevyRadiusMetres) },
} as const;

export async function larmorCommand(argv: string[]): Promise<CommandOutput> {
  const { values } = parseCommandArgs(argv, kOptions);
  if (values.help) return { help: kLarmorHelp };
  const n = parseNumber('n', values.n, positiveInteger);
  const fieldTesla = parseNumber('b-tesla', values['b-tesla']);
  const radiusMetres = parseNumber('radius-m', values['radius-m'], positive);

  const ring = larmorRing(n, fieldTesla, radiusMetres);
  const levy = levyReading();
  const chandrasekhar = chandrasekharReading(radiusMetres);
  const nano = 1e-9;
  const summary = {
    command: 'larmor',
    device: kCpuDevice,
    ring: {
      n,
      b_tesla: fieldTesla,
      radius_m: radiusMetres,
      current_per_electron_na_per_t: ring.perElectronTesla / nano,
      larmor_angular_velocity_rad_s: ring.angularVelocity,
      larmor_speed_m_s: ring.speed,
      current_a: ring.current,
      current_eq14_a: ring.currentFromFlux,
      flux_wb: ring.flux,
      flux_quantum_wb: kFluxQuantum,
      flux_quanta: ring.fluxQuanta,
      moment_a_m2: ring.moment,
      moment_bohr_magnetons: ring.momentBohrMagnetons,
      moment_check_minus_n_n_phi: -n * ring.fluxQuanta,
    },
    levy: {
      circumference_m: levy.circumferenceMetres,
      current_printed_a: levy.currentPrinted,
      current_from_fermi_velocity_a: levy.currentFromFermiVelocity,
      field_printed_t: levy.fieldPrinted,
      field_one_quantum_circle_t: levy.fieldCircle,
      field_one_quantum_square_t: levy.fieldSquare,
      n_from_printed_numbers: levy.electronsPrinted,
      n_from_computed_numbers: levy.electronsComputed,
      n_paper: '~100',
      note:
        "eq. 16 with the paper's own I_av = 0.36 nA and B_0 = 1.3e-2 T gives N ~ 12, not ~100; " +
        'I from 3e-3 e v_F/l (v_F(Cu) = 1.57e6 m/s) and B_0 = h/|e| over a circle of circumference l give ~15',
    },
    chandrasekhar: {
      radius_m: chandrasekhar.radiusMetres,
      radius_note: 'the paper gives no radius for this ring: --radius-m is used',
      current_fractions_e_vf_over_2_pi_r: kChandrasekharCurrentFractions,
      currents_a: chandrasekhar.currents,
      kf_r: chandrasekhar.fermiWavenumberRadius,
      n_for_larmor_current_at_one_flux_quantum: chandrasekhar.electronsAtOneFluxQuantum,
      note:
        'a Larmor current of N electrons at one flux quantum is N / (k_F R) times e v_F/(2 pi R), so these ' +
        'currents would need N = (0.3-2.0) k_F R semiclassical electrons: the paper reads them as ballistic',
    },
  };
  return { json: values.json, summary, text: printSummary(summary) };
}
