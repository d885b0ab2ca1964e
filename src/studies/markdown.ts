// Tables for the reports: Markdown (`--markdown`, the README's Results section) with the number format
// the README's tables use, and plain text for the terminal.

/**
 * A number with `digits` significant digits, in exponent form outside [1e-3, 1e5); a dash for none.
 * The one such format: the README's tables, the studies' text and the app's numbers all write it.
 */
export function markdownNumber(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined) return '–';
  return Math.abs(x) >= 1e5 || (Math.abs(x) < 1e-3 && x !== 0)
    ? x.toExponential(digits - 1)
    : x.toPrecision(digits);
}

/** A Markdown table: the header row, the separator, one row per line of cells. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

/** A plain-text table: each column padded to its widest cell, a dashed rule under the header row. */
export function textTable(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  const lines = rows.map((row) =>
    row
      .map((cell, c) => cell.padEnd(widths[c]))
      .join('  ')
      .trimEnd(),
  );
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return lines;
}
