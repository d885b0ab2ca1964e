// What every command returns, and how a summary object becomes readable text.
import type { InputError } from '../../physics/input-error.ts';
import { stoppedLine, type SweepStop } from '../../studies/study.ts';

export interface CommandOutput {
  /** The command's --help text: printed on stdout, exit 0. */
  help?: string;
  json?: boolean;
  summary?: Record<string, unknown>;
  text?: string;
  /** Why the --out files of the finished run were not written: reported after the results (exit 2). */
  outFailure?: InputError;
  /** Where a signal stopped a study's sweep: reported after its points, exit 128 + the signal's number. */
  stopped?: SweepStop;
}

/**
 * The summaries' counts (electrons, unknowns, iterations, the tree's work) and the seed, by their
 * keys: whole by nature, printed exact up to 2^53. Every other number is a magnitude, which holds
 * some 16 significant digits in float64 (7 from the GPU's float32) however whole it happens to be.
 */
const kCountKeys: ReadonlySet<string> = new Set([
  'n',
  'dim',
  'unknowns',
  'block_size',
  'seed',
  'iterations',
  'restarts',
  'refinement_steps',
  'sampled_electrons',
  'order',
  'leaves',
  'direct_pairs',
  'translations',
]);

/** A value of the summary's `key` (the last of its dotted path) as its line gives it. */
function formatValue(value: unknown, key: string): string {
  if (typeof value === 'number') {
    // Undefined (the inertia ratio 0/0 of v = 0) or infinite: '-', as the JSON's null.
    if (!Number.isFinite(value)) return '-';
    const magnitude = Math.abs(value);
    // A count exact as a double holds it. A whole magnitude too below 10^6, whose digits float32
    // holds (to 2^24); from there on with an exponent as every other: a kinetic energy of 4.9e15 as
    // 4.900000e+15, not every digit of its float64 (or float32's noise past 2^24). Not the tables'
    // markdownNumber ([1e-3, 1e5)): one cut at 10^6 for the whole and the fractional alike.
    if (Number.isSafeInteger(value) && (magnitude < 1e6 || kCountKeys.has(key))) return String(value);
    return magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e6)
      ? value.toExponential(6)
      : value.toPrecision(8);
  }
  if (value === null || value === undefined) return '-';
  // Each number of a list as a lone number is (larmor's currents), not its every float64 digit.
  if (Array.isArray(value)) return value.map((item) => formatValue(item, key)).join(', ');
  return String(value);
}

/** Nested objects are flattened to dotted keys, one `key  value` line each, keys aligned. */
export function printSummary(summary: Record<string, unknown>): string {
  const rows: [string, string][] = [];
  const walk = (object: Record<string, unknown>, prefix: string) => {
    for (const [key, value] of Object.entries(object)) {
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
        walk(value as Record<string, unknown>, `${prefix}${key}.`);
      } else rows.push([prefix + key, formatValue(value, key)]);
    }
  };
  walk(summary, '');
  const width = Math.max(...rows.map(([key]) => key.length));
  return rows.map(([key, value]) => `${key.padEnd(width)}  ${value}`).join('\n') + '\n';
}

/** The paragraph that ends each study's --help: what a run a signal stopped reports. */
export const kStoppedHelp = `A signal (Ctrl-C's SIGINT, SIGTERM, SIGHUP) after the run has finished a point of its sweep drops
the point in progress; the run then reports and writes the points it finished, its JSON marked
"stopped": {"signal", "points": k, "of": n} after "command" (absent from a complete run's), its text
with the line "stopped by SIGINT after k of n points", and exits 128 + the signal's number; merge
refuses such a shard. A signal after the sweep's last point leaves the run complete: it ends as one,
with status 0 and a line that says so. A second signal exits at once.
`;

/**
 * A study's output: with --markdown its table as the text (and below it, for a run a signal stopped,
 * what it holds) and in the JSON as "markdown"; otherwise its text report. Each is made only when asked.
 */
export function studyOutput(
  values: { readonly json?: boolean; readonly markdown?: boolean },
  summary: Record<string, unknown> & { readonly stopped?: SweepStop },
  report: { readonly markdown: () => string; readonly text: () => string },
  outFailure: InputError | undefined,
): CommandOutput {
  const { stopped } = summary;
  if (!values.markdown) return { json: values.json, summary, text: report.text(), outFailure, stopped };
  const markdown = report.markdown();
  const stop = stopped ? `\n${stoppedLine(stopped)}\n` : '';
  return {
    json: values.json,
    summary: { ...summary, markdown },
    text: `${markdown}\n${stop}`,
    outFailure,
    stopped,
  };
}
