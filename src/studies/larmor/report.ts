// The Larmor study's report: `larmor --json` (snake_case, SI units); its text is this JSON flattened.
import { kCpuDevice } from '../../io/formats.ts';
import { kChandrasekharCurrentFractions, larmorSpeedNote } from '../../physics/larmor.ts';
import { InputError } from '../../physics/input-error.ts';
import { kFluxQuantum } from '../../physics/paper.ts';
import { isObject, savedStudyReport, studyReportHeader, type StudyReport } from '../study.ts';
import type { LarmorOptions, LarmorRun } from './run.ts';
import { parseFieldTesla, parseLarmorN, parseLarmorRadius } from './spec.ts';

/** The run as `larmor --json` prints it. */
export function larmorJson(run: LarmorRun) {
  const { ring, levy, chandrasekhar } = run;
  const { n, fieldTesla, radiusMetres } = run.options;
  const nano = 1e-9;
  return {
    ...studyReportHeader({ command: 'larmor' }),
    device: kCpuDevice,
    ring: {
      n,
      b_tesla: fieldTesla,
      radius_m: radiusMetres,
      current_per_electron_na_per_t: ring.perElectronTesla / nano,
      larmor_angular_velocity_rad_s: ring.angularVelocity,
      larmor_speed_m_s: ring.speed,
      larmor_speed_over_c: ring.speedOverLight,
      speed_note: larmorSpeedNote(ring),
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
        `eq. 16 with the paper's own I_av = 0.36 nA and B_0 = 1.3e-2 T gives N ~ ${Math.round(levy.electronsPrinted)}, ` +
        'not ~100; I from 3e-3 e v_F/l (v_F(Cu) = 1.57e6 m/s) and B_0 = h/|e| over a circle of circumference l ' +
        `give ~${Math.round(levy.electronsComputed)}`,
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
  } satisfies StudyReport;
}

/**
 * A `larmor --json` read back (the app's Files › load): the ring's N, B and R, held to the bounds the
 * command holds its flags to. A file whose header savedStudyReport refuses (a shard, one that names
 * no device), or one without the ring's three numbers or with one out of bounds, is refused in one
 * line (field 'result').
 */
export function larmorFromJson(json: Record<string, unknown>, name: string): LarmorOptions {
  savedStudyReport(json, name, 'larmor');
  const ring = isObject(json.ring) ? json.ring : {};
  const missing = ['n', 'b_tesla', 'radius_m'].filter((key) => ring[key] === undefined);
  if (missing.length) {
    throw new InputError(
      `${name}: not a Larmor ring as larmor --json writes it (no "ring" ${missing.map((key) => `"${key}"`).join(', ')})`,
      'result',
    );
  }
  try {
    return {
      n: parseLarmorN(String(ring.n)),
      fieldTesla: parseFieldTesla(String(ring.b_tesla)),
      radiusMetres: parseLarmorRadius(String(ring.radius_m)),
    };
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    throw new InputError(`${name}: the ring's ${error.message}`, 'result');
  }
}
