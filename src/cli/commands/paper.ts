// `paper`: the paper's quantitative claims, each beside the paper's number; a thin adapter over
// src/studies/paper/.
import { kPaperFileNames, paperFiles, paperJson, paperTable } from '../../studies/paper/report.ts';
import { runPaper } from '../../studies/paper/run.ts';
import { kCommonOptions, parseCommandArgs } from '../options.ts';
import { refusalOf } from '../formats.ts';
import { checkStudyOutput, summaryFile, writeIntoDirectory } from '../output-directory.ts';
import type { CommandOutput } from './summary.ts';

export const kPaperHelp = `Usage: darwin-breit paper [--out DIR] [--json]

The quantitative claims of Essen (2013) recomputed: eq. 16 (Larmor current per electron and tesla),
eq. 14/16 with Levy et al.'s numbers, eq. 30 (N r_e/R = 3 from the Biot-Savart field of a discrete
rotating sphere), eq. 39 (two electrons: solver against the exact Hamiltonian), eq. 42 (series of
V_phi), eq. 43 (both readings of Z_F), eq. 46 (pairing temperatures), eq. 53-55 (minimum sizes), and
sec. II.D's flux periods (eq. 9, 23-26): one-electron levels, the persistent current of a Fermi sea,
and the bound pair on the ring, each period found from the spectrum. The README explains each
disagreement with the paper.

  --out DIR      write paper-flux-levels.svg (levels against flux, scalar and spinor),
                 paper-persistent-current.svg (the sawtooth, N = 9 and 10), paper-pair-flux.svg
                 (the pair's ground state against flux), paper-pair-ring.svg (the pair on rings
                 of radius R against eq. 45's line) and paper.json (the --json summary) into DIR,
                 created with any missing parents
  --json         {"command", "version", "device", "rows": [{"equation", "quantity", "paper", "computed", "unit", "note"}],
                 "flux": {"spectra", "fermi_seas", "metal_rings", "pairs", "units"}, "files"}
`;

const kOptions = { ...kCommonOptions, out: { type: 'string' } } as const;

export async function paperCommand(argv: string[]): Promise<CommandOutput> {
  const { values } = parseCommandArgs(argv, kOptions);
  if (values.help) return { help: kPaperHelp };
  const out = checkStudyOutput(values.out, 'paper', null, kPaperFileNames);
  const { rows, flux, rings } = runPaper();
  const summary = paperJson(rows, flux);
  const outFailure = out
    ? refusalOf(() =>
        summary.files.push(...writeIntoDirectory(out, [...paperFiles(flux, rings), summaryFile(summary)])),
      )
    : undefined;
  return { json: values.json, summary, text: paperTable(rows, summary.files), outFailure };
}
