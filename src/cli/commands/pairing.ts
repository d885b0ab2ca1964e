// `pairing`: two electrons on a ring of thickness a (sec. IV.B, eq. 35-46). The relative motion in the
// softened 1D Coulomb well -Z_F/(|r| + a) (eq. 45) is solved by finite differences on a logarithmic
// grid and compared with eq. 46's asymptotic -(1/a_m^2)[2 ln(a_m/a)]^2 over a_m/a, beside the exact
// Whittaker-function ground state; the pairing temperatures of the Au and Cu rings follow, under both
// readings of eq. 43 and with the pair solved on the ring itself (src/physics/ring-pair.ts). The table and
// plots are src/studies/pairing/, which the app's Studies panel runs too; this file is its flags.
import {
  kPairingFileNames,
  mergePairing,
  pairingFiles,
  pairingJson,
  pairingMarkdown,
  pairingShardFromJson,
  pairingText,
  type PairingJson,
} from '../../studies/pairing/report.ts';
import { runPairing } from '../../studies/pairing/run.ts';
import { pairingRatios } from '../../studies/pairing/spec.ts';
import { parseShard, shardOf } from '../../studies/study.ts';
import { refusalOf } from '../formats.ts';
import { kCommonOptions, parseCommandArgs } from '../options.ts';
import {
  checkStudyOutput,
  summaryFile,
  writeIntoDirectory,
  type OutputDirectory,
} from '../output-directory.ts';
import type { Progress } from '../progress.ts';
import type { Shards } from './merge.ts';
import { kStoppedHelp, studyOutput, type CommandOutput } from './summary.ts';

export const kPairingHelp = `Usage: darwin-breit pairing [--ratios a_m/a ...] [--shard K/N] [--out DIR] [--markdown] [--json]

Two electrons on a ring of thickness a bind in their relative motion (eq. 41-45): the ground state of
-psi'' - 2 psi/(|x| + a/a_m) = E psi (x in units of the pair's Bohr radius a_m = 2/Z_F, E in units of
1/a_m^2 Hartree, so the 3D ground state of eq. 44 is -1) is found by finite differences on a
logarithmic grid (|x| + a = a e^s, s uniform; three grids, Delta s = 1/128, 1/256, 1/512, give the
convergence) and compared with eq. 46, E = -[2 ln(a_m/a)]^2, and with the exact ground state from the
Whittaker function. Then the pairing temperatures |E|/k_B of the Au ring of Chandrasekhar et al.
(a = 80 nm) and of the Cu rings of Levy et al. (a = 100 nm ASSUMED: the paper gives none), with the
free-electron Fermi energies of Ashcroft & Mermin (Au 5.53 eV, Cu 7.00 eV). For each ring and each
reading of eq. 43 (Z_F = E_F/mc^2, or its first form 2 E_F/mc^2), the pair is also solved on the ring
itself (radius 0.35 um, circumference 2.2 um; ASSUMED for Au: the paper gives no radius): eq. 41 with
the whole 2 pi-periodic V_phi, softened by a on the chord, periodic (even centre-of-mass L) and
antiperiodic (odd L), beside the line's solution.

  --ratios R     a_m/a values in (1, 1e12]; repeat the flag or separate by commas; below 10
                 a is not << a_m, eq. 46's assumption: no estimate there (marked †)
                 [21 values from 10 to 1e6, four per decade]
  --out DIR      write pairing-energy.svg (both energies against a_m/a, log-log),
                 pairing-ratio.svg (E_numerical / E_eq46) and pairing.json (the --json
                 summary; a shard its pairing-shard<K>of<N>.json alone, merge --out writes
                 the plots) into DIR, created with any missing parents
  --shard K/N    run every N-th a_m/a from the K-th; 'merge' joins the shards' JSON into the whole run's
  --markdown     the rings' table in Markdown: per ring and reading of eq. 43's Z_F, T by eq. 46,
                 by eq. 45's exact ground state and on the ring, an assumed a or R marked and
                 said why under it (with --json: the field "markdown")
  --json         {"command", "stopped" (a stopped run's), "version", "device": {"kind", "description"},
                 "ratios" and "shard" (a shard's: the run's a_m/a and {"index", "count"}),
                 "equation" (eq. 45 as solved), "units": {"energy", "ratio"}, "grid" (the
                 finite differences): {"method", "steps" (the three grids'), "box_length_a_m",
                 "boundary", "reported", "max_estimated_relative_error"}, "points": [{"ratio",
                 "energy_numerical" (the finest grid's), "energy_eq46", "relative_difference",
                 "energy_ratio" (numerical over eq. 46), "eq46_applies" (false below a_m/a = 10),
                 "energy_exact", "energy_small_a_limit" (both null for a_m/a < 2, where the
                 Whittaker root and its small-a limit are not computed), "cells",
                 "grid_energies" (the three grids'), "grid_error_ratio" (-> 4: second order),
                 "estimated_relative_error"}], "rings": [{"name", "fermi_energy_ev",
                 "fermi_energy_source", "thickness_m", "thickness_source", "a_m_m", "ratio",
                 "temperature_eq46_mk", "temperature_numerical_mk", "radius_m", "radius_source",
                 "circumference_m", "readings": [{"reading", "z_f_definition", "z_f", "a_m_m",
                 "ratio", "temperature_eq46_mk", "temperature_exact_mk", "on_ring":
                 {"radius_over_a_m", "line_picture_fails", "energy_periodic",
                 "energy_antiperiodic", "energy_line", "temperature_mk", "temperature_line_mk",
                 "rms_separation_m", "rms_separation_line_m", "rms_separation_uniform_m",
                 "j_squared_over_j_f_squared", "flux_period_phi0", "radius_sweep":
                 [{"radius_over_a_m", "energy_periodic"}]}}]}], "ring_units": {"energy",
                 "on_ring"}, "files"}

${kStoppedHelp}`;

const kOptions = {
  ...kCommonOptions,
  ratios: { type: 'string', multiple: true },
  shard: { type: 'string' },
  markdown: { type: 'boolean', default: false },
  out: { type: 'string' },
} as const;

export async function pairingCommand(argv: string[], progress: Progress): Promise<CommandOutput> {
  const { values } = parseCommandArgs(argv, kOptions);
  if (values.help) return { help: kPairingHelp };
  const ratios = pairingRatios(values.ratios, '--ratios');
  const shard = values.shard === undefined ? null : parseShard(values.shard, '--shard');
  // A shard's plots, of part of the a_m/a list, would pass for the whole run's: merge's.
  const out = checkStudyOutput(values.out, 'pairing', shard, shard ? [] : kPairingFileNames);
  const { points, rings, stopped } = await runPairing(shardOf(ratios, shard), progress.studyHooks());
  progress.done();
  const stop = progress.sweepStop(stopped);
  return pairingOutput(pairingJson({ points, rings, ratios, shard, stop }), points, rings, values, out);
}

/** The command's output for a run or a merge: the JSON, the text, and with `out` the plots. */
function pairingOutput(
  summary: PairingJson,
  points: Parameters<typeof pairingFiles>[0],
  rings: Parameters<typeof pairingFiles>[1],
  values: { readonly json?: boolean; readonly markdown?: boolean },
  out: OutputDirectory | null,
): CommandOutput {
  const outFailure = out
    ? refusalOf(() => {
        const files = summary.shard ? [] : pairingFiles(points, rings, summary.stopped ?? null);
        summary.files.push(...writeIntoDirectory(out, [...files, summaryFile(summary)]));
      })
    : undefined;
  return studyOutput(
    values,
    summary,
    {
      markdown: () => pairingMarkdown(summary.rings),
      text: () => pairingText(summary.points, summary.rings, summary.files, summary.stopped),
    },
    outFailure,
  );
}

/** merge's: the plots of the whole a_m/a list, which no shard's --out holds. */
export const kPairingShards: Shards = {
  fromJson: pairingShardFromJson,
  merge(shards, values) {
    const { json, plotted } = mergePairing(shards as unknown as PairingJson[]);
    const out = checkStudyOutput(values.out, 'pairing', null, kPairingFileNames);
    return pairingOutput(json, plotted.points, plotted.rings, values, out);
  },
};
