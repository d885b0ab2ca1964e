// The paper study's report: the rows as `paper --json` prints them, and the text table.
import { kCpuDevice } from '../../io/formats.ts';
import type { PaperRow } from '../../physics/paper.ts';

export function paperJson(rows: readonly PaperRow[]) {
  return { command: 'paper', device: kCpuDevice, rows };
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
