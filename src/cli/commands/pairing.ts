// `pairing`: two electrons on a ring of thickness a (sec. IV.B, eq. 35-46). The relative motion in the
// softened 1D Coulomb well -Z_F/(|r| + a) (eq. 45) is solved by finite differences on a logarithmic
// grid and compared with eq. 46's asymptotic -(1/a_m^2)[2 ln(a_m/a)]^2 over a_m/a, beside the exact
// Whittaker-function ground state; the pairing temperatures of the Au and Cu rings follow. The table and
// plots are src/io/pairing.ts, which the app's Studies panel uses too.
import {
  kDefaultPairingRatios,
  kPairingRings,
  pairingPoint,
  ringTemperature,
} from '../../physics/pairing.ts';
import { kCpuDevice } from '../../io/formats.ts';
import {
  pairingEnergySvg,
  pairingPointJson,
  pairingRatioSvg,
  pairingRingJson,
  pairingTable,
} from '../../io/pairing.ts';
import { kCommonOptions, parseCommandArgs, parseNumber } from '../options.ts';
import { prepareOutputDirectory, writeIntoDirectory } from '../output-directory.ts';
import type { Progress } from '../progress.ts';
import type { CommandOutput } from './summary.ts';

export const kPairingHelp = `Usage: darwin-breit pairing [--ratios a_m/a ...] [--out DIR] [--json]

Two electrons on a ring of thickness a bind in their relative motion (eq. 41-45): the ground state of
-psi'' - 2 psi/(|x| + a/a_m) = E psi (x in units of the pair's Bohr radius a_m = 2/Z_F, E in units of
1/a_m^2 Hartree, so the 3D ground state of eq. 44 is -1) is found by finite differences on a
logarithmic grid (|x| + a = a e^s, s uniform; three grids, Delta s = 1/128, 1/256, 1/512, give the
convergence) and compared with eq. 46, E = -[2 ln(a_m/a)]^2, and with the exact ground state from the
Whittaker function. Then the pairing temperatures |E|/k_B of the Au ring of Chandrasekhar et al.
(a = 80 nm) and of the Cu rings of Levy et al. (a = 100 nm ASSUMED: the paper gives none), with the
free-electron Fermi energies of Ashcroft & Mermin (Au 5.53 eV, Cu 7.00 eV).

  --ratios R     a_m/a values in (1, 1e12]; repeat the flag or separate by commas
                 [21 values from 10 to 1e6, four per decade]
  --out DIR      write pairing-energy.svg (both energies against a_m/a, log-log) and
                 pairing-ratio.svg (E_numerical / E_eq46) into DIR
  --json         {"command", "units", "grid", "points": [{"ratio", "energy_numerical", "energy_eq46",
                 "relative_difference", ...}], "rings": [{"name", "fermi_energy_ev", "thickness_m",
                 "a_m_m", "temperature_eq46_mk", "temperature_numerical_mk", ...}], "files"}
`;

const kOptions = {
  ...kCommonOptions,
  ratios: { type: 'string', multiple: true },
  out: { type: 'string' },
} as const;

function parseRatios(texts: string[] | undefined): number[] {
  if (!texts) return kDefaultPairingRatios;
  const ratios = texts
    .flatMap((text) => text.split(','))
    .map((text) =>
      parseNumber('ratios', text, (x) => (x > 1 && x <= 1e12 ? null : 'needs a_m/a in (1, 1e12]')),
    );
  return [...ratios].sort((a, b) => a - b);
}

export async function pairingCommand(argv: string[], progress: Progress): Promise<CommandOutput> {
  const { values } = parseCommandArgs(argv, kOptions);
  if (values.help) return { help: kPairingHelp };
  const ratios = parseRatios(values.ratios);
  if (values.out !== undefined) prepareOutputDirectory(values.out);
  const points = ratios.map((ratio, k) => {
    progress.update(`pairing: a_m/a = ${ratio.toPrecision(4)} (${k + 1} of ${ratios.length})`);
    return pairingPoint(ratio);
  });
  const rings = kPairingRings.map((ring) => ringTemperature(ring));
  progress.done();

  const files: string[] = [];
  if (values.out !== undefined) {
    files.push(
      writeIntoDirectory(values.out, 'pairing-energy.svg', pairingEnergySvg(points, rings)),
      writeIntoDirectory(values.out, 'pairing-ratio.svg', pairingRatioSvg(points, rings)),
    );
  }
  const summary = {
    command: 'pairing',
    device: kCpuDevice,
    ...pairingTable(points, rings),
    files,
  };
  return { json: values.json, summary, text: pairingText(summary.points, summary.rings, files) };
}

function pairingText(
  points: ReturnType<typeof pairingPointJson>[],
  rings: ReturnType<typeof pairingRingJson>[],
  files: string[],
): string {
  const lines = [
    'Pairing on a ring (eq. 45): ground-state energy in units of 1/a_m^2 Hartree',
    '',
    '     a_m/a    numerical (FD)        eq. 46   numerical/eq.46   exact (Whittaker)   grid ratio  est. error',
  ];
  for (const p of points) {
    lines.push(
      [
        p.ratio.toExponential(3).padStart(10),
        p.energy_numerical.toPrecision(9).padStart(17),
        p.energy_eq46.toPrecision(7).padStart(13),
        p.energy_ratio.toFixed(4).padStart(17),
        (p.energy_exact === null ? '-' : p.energy_exact.toPrecision(9)).padStart(19),
        p.grid_error_ratio.toFixed(3).padStart(12),
        p.estimated_relative_error.toExponential(1).padStart(11),
      ].join(' '),
    );
  }
  lines.push('', 'Pairing temperatures |E|/k_B:');
  for (const r of rings) {
    lines.push(
      `  ${r.name}: E_F = ${r.fermi_energy_ev.toFixed(2)} eV, a = ${(r.thickness_m * 1e9).toFixed(0)} nm ` +
        `(${r.thickness_source}), a_m = ${(r.a_m_m * 1e6).toFixed(3)} um, a_m/a = ${r.ratio.toFixed(1)}: ` +
        `eq. 46 ${r.temperature_eq46_mk.toFixed(3)} mK, numerical ${r.temperature_numerical_mk.toFixed(3)} mK`,
    );
  }
  if (files.length) lines.push('', 'wrote:', ...files.map((f) => `  ${f}`));
  return lines.join('\n') + '\n';
}
