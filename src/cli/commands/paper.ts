// `paper`: the paper's quantitative claims, each beside the paper's number; a thin adapter over
// src/studies/paper/.
import { paperJson, paperTable } from '../../studies/paper/report.ts';
import { runPaper } from '../../studies/paper/run.ts';
import { kCommonOptions, parseCommandArgs } from '../options.ts';
import type { CommandOutput } from './summary.ts';

export const kPaperHelp = `Usage: darwin-breit paper [--json]

The quantitative claims of Essen (2013) recomputed: eq. 16 (Larmor current per electron and tesla),
eq. 14/16 with Levy et al.'s numbers, eq. 30 (N r_e/R = 3 from the Biot-Savart field of a discrete
rotating sphere), eq. 39 (two electrons: solver against the exact Hamiltonian), eq. 42 (series of
V_phi), eq. 46 (pairing temperatures), eq. 53-55 (minimum sizes). The README explains each
disagreement with the paper.
`;

export async function paperCommand(argv: string[]): Promise<CommandOutput> {
  const { values } = parseCommandArgs(argv, kCommonOptions);
  if (values.help) return { help: kPaperHelp };
  const rows = runPaper();
  return { json: values.json, summary: paperJson(rows), text: paperTable(rows) };
}
