// Markdown for the studies' reports (`--markdown`, the README's Results section): one table helper and
// the number format the README's tables use.

/** A number with `digits` significant digits, in exponent form outside [1e-3, 1e5); a dash for none. */
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
