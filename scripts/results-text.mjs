// The sentences of `npm run results`' scaling paragraph that state fitted numbers, formed from the
// studies they describe (results.json's `scaling.studies`, src/studies/scaling/report.ts), so that a
// regenerated README says what the run gave. Apart from results.mjs, which runs the studies when
// loaded, so that test/scripts.test.ts can call them.

/**
 * A study of `scaling --json` as its report builds it, so that a key renamed there fails the
 * typecheck here, not `npm run results`.
 * @typedef {import('../src/studies/scaling/report.ts').ScalingJson['studies'][number]} ScalingStudyJson
 */
/**
 * The fields of a study that the sentences read.
 * @typedef {Pick<ScalingStudyJson, 'geometry' | 'model' | 'dimension' | 'critical_electrons_log10'> & {
 *   readonly fit: Pick<
 *     NonNullable<ScalingStudyJson['fit']>,
 *     'law' | 'coefficient' | 'uncertainty' | 'theory' | 'exponent' | 'free_exponent'
 *     | 'free_exponent_coefficient'
 *   > | null;
 * }} ScalingStudyFields
 */
/** @typedef {NonNullable<ScalingStudyFields['fit']>} ScalingFitFields */

/**
 * 'a', 'a and b', 'a, b and c'.
 * @param {string[]} items
 */
function listed(items) {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/**
 * Where a study's electrons lie: on a curve or surface, in a volume.
 * @param {ScalingStudyFields} study
 */
const where = (study) => `${study.dimension === 3 ? 'in' : 'on'} the ${study.geometry}`;

/**
 * The exponents with p free beside each law's fixed one ('The laws fix the exponent p; with p free
 * ...'), and what they say where every study agrees: smaller exponents than the laws' and larger
 * coefficients than the fixed-p fits' mean corrections that decay more slowly over these N and
 * extrapolations biased low. As lines of the paragraph: none where no study fitted p free (the ring's
 * law has no exponent).
 * @param {readonly ScalingStudyFields[]} studies
 * @returns {string[]}
 */
export function freeExponentLines(studies) {
  const fitted = studies.filter(fittedFree);
  if (fitted.length === 0) return [];
  const free = listed(fitted.map((study) => `${study.fit.free_exponent.toFixed(2)} ${where(study)}`));
  // The law's exponent as its text writes it (c + b N^-2/3), else its value.
  const fixed = listed(
    fitted.map(({ fit }) => fit.law.match(/N\^-([0-9/.]+)/)?.[1] ?? fit.exponent.toFixed(2)),
  );
  const slower = fitted.every(({ fit }) => fit.free_exponent < fit.exponent);
  const low = fitted.every(({ fit }) => fit.free_exponent_coefficient > fit.coefficient);
  return [
    `The laws fix the exponent p; with p free the best one over these N is ${free}, against the laws' ` +
      `${fixed}${
        slower && low
          ? ': the corrections decay more slowly here than the laws, and the fixed-p extrapolations are biased low.'
          : '.'
      }`,
  ];
}

/**
 * A study whose law has an exponent and was fitted with it free too (free_exponent_coefficient is
 * null where free_exponent is).
 * @param {ScalingStudyFields} study
 * @returns {study is ScalingStudyFields & {
 *   fit: ScalingFitFields & { exponent: number; free_exponent: number; free_exponent_coefficient: number };
 * }}
 */
const fittedFree = (study) =>
  typeof study.fit?.exponent === 'number' &&
  typeof study.fit.free_exponent === 'number' &&
  typeof study.fit.free_exponent_coefficient === 'number';

/**
 * The ring's prefactor a against its derived 1/π (fit.theory): how far the fit lies from it, in per
 * cent, in the decades that would move R* (N* = R* / a0 with ln N* = a0/(r_e a): a relative change δ
 * of a moves log10 N* by δ log10 N*), and in the fit's uncertainties. As lines of the paragraph: none
 * without a ring fitted.
 * @param {readonly ScalingStudyFields[]} studies
 * @returns {string[]}
 */
export function ringPrefactorLines(studies) {
  const ring = studies.find(fittedRing);
  if (!ring) return [];
  const { coefficient, theory, uncertainty } = ring.fit;
  const relative = (coefficient - theory) / theory;
  /** @param {number} x */
  const side = (x) => (x < 0 ? 'below' : 'above');
  const sigmas = (coefficient - theory) / uncertainty;
  const decades = Number((Math.abs(relative) * ring.critical_electrons_log10).toPrecision(2));
  // ln N* = log10 N* ln 10, to one digit: 5.9·10⁴ reads 6·10⁴.
  const [mantissa, exponent] = (ring.critical_electrons_log10 * Math.LN10).toExponential(0).split('e');
  const superscript = [...String(Number(exponent))].map((c) => '⁰¹²³⁴⁵⁶⁷⁸⁹'[Number(c)] ?? '⁻').join('');
  return [
    `The ring’s R* holds the prefactor at its derived 1/π and fits the constant alone: the fitted ` +
      `prefactor in the table, ${(100 * Math.abs(relative)).toFixed(1)}% ${side(relative)} 1/π, would move ` +
      `an R* at ln N ~ ${mantissa}·10${superscript} by some ${decades} decades. The ${ring.model} ring’s a lies ` +
      `${Math.abs(sigmas).toFixed(1)}σ ${side(sigmas)} 1/π` +
      (Math.abs(sigmas) >= 1 ? ' (its a ln N + b + g/ln N leaves out higher powers of 1/ln N).' : '.'),
  ];
}

/**
 * The ring, fitted with an uncertainty, beside its derived prefactor, and with an R*.
 * @param {ScalingStudyFields} study
 * @returns {study is ScalingStudyFields & {
 *   fit: ScalingFitFields & { theory: number };
 *   critical_electrons_log10: number;
 * }}
 */
function fittedRing(study) {
  const { geometry, fit, critical_electrons_log10: digits } = study;
  return (
    geometry === 'ring' &&
    typeof fit?.theory === 'number' &&
    fit.uncertainty > 0 &&
    typeof digits === 'number' &&
    digits > 0
  );
}
