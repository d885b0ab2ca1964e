// `paper`: the paper's quantitative claims recomputed by this code, each beside the paper's number.
// Rows come from src/physics/paper.ts; eq. 39 is checked here because it needs a solver: the exact
// two-electron Hamiltonian against H = J^T M^-1 J / 2 with M^-1 J found by CG.
import { geometry } from '../../physics/geometry.ts';
import type { DarwinSystem } from '../../physics/models.ts';
import { dot } from '../../math/vectors.ts';
import { paperClaims, type PaperRow } from '../../physics/paper.ts';
import { twoElectronHamiltonian } from '../../physics/ring.ts';
import { massMatrix } from '../../run/backend.ts';
import { solve } from '../../solvers/solve.ts';
import { kCpuDevice } from '../../io/formats.ts';
import { kCommonOptions, parseCommandArgs } from '../options.ts';
import type { CommandOutput } from './summary.ts';

export const kPaperHelp = `Usage: darwin-breit paper [--json]

The quantitative claims of Essen (2013) recomputed: eq. 16 (Larmor current per electron and tesla),
eq. 14/16 with Levy et al.'s numbers, eq. 30 (N r_e/R = 3 from the Biot-Savart field of a discrete
rotating sphere), eq. 39 (two electrons: solver against the exact Hamiltonian), eq. 42 (series of
V_phi), eq. 46 (pairing temperatures), eq. 53-55 (minimum sizes). The README explains each
disagreement with the paper.
`;

/** Two electrons on the unit ring at angular separation phi, with momenta J_1, J_2 (eq. 35-39). */
export function twoElectronRow(epsilon: number, phi: number, j1: number, j2: number): PaperRow {
  const ring = geometry('ring', 2);
  const positions = new Float64Array([1, 0, 0, Math.cos(phi), Math.sin(phi), 0]);
  const system: DarwinSystem = {
    configuration: { ...ring, positions, source: 'two electrons' },
    model: 'azimuthal',
    dim: 3,
    epsilon,
    softening: 0,
  };
  const momenta = new Float64Array([j1, j2]);
  const angularVelocities = solve(massMatrix(system), momenta, 'cg', { rtol: 1e-14 }).x;
  // phi = phi_1 - phi_2 enters V_phi only through |phi| and cos phi, so the sign convention is moot.
  const exact = twoElectronHamiltonian(j1 + j2, (j1 - j2) / 2, phi, epsilon);
  return {
    equation: '39',
    quantity: `two-electron H, eps = ${epsilon}, phi = ${phi}, J = (${j1}, ${j2}) [units m R^2 = 1]`,
    paper: exact,
    computed: dot(momenta, angularVelocities) / 2,
    unit: 'm R^2 omega^2',
    note: 'paper column: eq. 39 evaluated; computed: J.phidot/2 with M phidot = J solved by CG',
  };
}

export async function paperCommand(argv: string[]): Promise<CommandOutput> {
  const { values } = parseCommandArgs(argv, kCommonOptions);
  if (values.help) return { help: kPaperHelp };
  const rows = [...paperClaims(), twoElectronRow(0.05, 0.3, 1.3, 0.7)].sort(
    (a, b) => parseFloat(a.equation) - parseFloat(b.equation),
  );
  return {
    json: values.json,
    summary: { command: 'paper', device: kCpuDevice, rows },
    text: paperTable(rows),
  };
}

function formatCell(value: number | string): string {
  if (typeof value === 'string') return value;
  return Math.abs(value) >= 1e5 || (Math.abs(value) < 1e-3 && value !== 0)
    ? value.toExponential(4)
    : value.toPrecision(6);
}

export function paperTable(rows: PaperRow[]): string {
  const table = [
    ['eq.', 'quantity', 'paper', 'computed', 'unit'],
    ...rows.map((r) => [r.equation, r.quantity, formatCell(r.paper), formatCell(r.computed), r.unit]),
  ];
  const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
  const lines = table.map((row) =>
    row
      .map((cell, c) => cell.padEnd(widths[c]))
      .join('  ')
      .trimEnd(),
  );
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  const notes = rows.filter((r) => r.note).map((r) => `  eq. ${r.equation}, ${r.quantity}: ${r.note}`);
  return [...lines, '', 'Notes:', ...notes].join('\n') + '\n';
}
