// The Studies tab beside the electrons' view: one card per study (London field map, pairing, Larmor
// ring, scaling sweep, response) with its numbers, each written into an element whose id names it with
// the exact value in data-value as the diagnostics do, and its plots: the CLI's own SVG documents
// (src/studies/london/report.ts, src/studies/pairing/report.ts, src/studies/response/report.ts' field
// map) inserted into the page, for the scaling sweep a uPlot that grows point by point while the sweep
// runs, and for the response the screening curve in a uPlot beside its continuum curves.
import uPlot from 'uplot';
import { londonContinuumFieldText, londonFitText, londonShapeText } from '../studies/london/report.ts';
import { kLondonCheckTarget, type LondonConvergence, type LondonMapStudy } from '../studies/london/run.ts';
import { withinTarget } from '../run/check.ts';
import { larmorSpeedNote, type LarmorRing } from '../physics/larmor.ts';
import { continuumUniformity, type LondonBody } from '../physics/london.ts';
import { kFermiReadingLabels, kFermiReadings } from '../physics/paper.ts';
import { pairingRingJson, type ringReadingJson } from '../studies/pairing/report.ts';
import { continuumRatio, finiteSizeExponent } from '../physics/response.ts';
import type { CriticalRadius } from '../physics/scaling.ts';
import {
  indefiniteMark,
  indefiniteNote,
  notConvergedMark,
  responseFieldMapSvg,
  responseScreeningTitle,
  type ShownResponse,
  type ShownResponsePoint,
} from '../studies/response/report.ts';
import { logSpaced } from '../math/vectors.ts';
import { fittedCoefficient } from '../studies/fits.ts';
import { sameNEpsilon } from '../studies/response/run.ts';
import type { ResponseSpec } from '../studies/response/spec.ts';
import { epsilonFromRadius, radiusFromEpsilon } from '../physics/constants.ts';
import {
  freeExponentText,
  noFitText,
  pointCheckText,
  worstCheck,
  worstCheckText,
} from '../studies/scaling/report.ts';
import type { ScalingPoint, ScalingStudy } from '../studies/scaling/run.ts';
import { pointCheck, pointWithinTarget, sweepPlotTitle, type SweepStop } from '../studies/study.ts';
import { element, kAxisStyle, kDecadeTicks, kLinearTicks, show, showCheck, showText } from './diagnostics.ts';
import { markdownNumber } from '../studies/markdown.ts';
import { kTitleSelector } from '../io/svg.ts';
import type { StudyAction } from './state.ts';

export type StageTab = 'electrons' | 'studies';
/** One card per study the panel runs: kStudyActions' union, so kCards must name each. */
export type StudyCard = StudyAction;

function create<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The London card's label of the continuous body's N r_e/R until a map names the shape. */
const kLondonContinuumLabel = 'continuous body';

/** [id, label] of each number a card shows. */
type Rows = readonly (readonly [string, string])[];

interface CardSpec {
  readonly title: string;
  /** What the study is and how to run it, under the title. */
  readonly note: string;
  readonly rows: Rows;
  readonly figures: readonly string[];
}

const kCards: Record<StudyCard, CardSpec> = {
  london: {
    title: 'London moment: the field of a rotating body (eq. 27-30)',
    note:
      'N charges +|e| on a sphere (Fibonacci points) or a cylinder, turning rigidly about z and sized so that the ' +
      'continuous body has the London field 2mΩ/|e| at its centre; their Biot-Savart field summed over the x-z ' +
      'plane in float64 (the numbers) and on the GPU (the maps, checked against float64 over their inner B_z spread) ' +
      "(a finite cylinder's map shows its lateral sheet's own unevenness too: no London body). " +
      'Studies › London › Run.',
    rows: [
      ['london-body', 'body'],
      ['london-n-re-over-r', 'N r_e/R at the London field (float64)'],
      ['london-n-re-over-r-plain-sum', "the same from the map's centre field (float64 plain sum)"],
      ['london-continuum', kLondonContinuumLabel],
      ['london-continuum-field', "the continuous body's own field on the map"],
      ['london-centre-ratio', 'B_z(centre) / B_London (float64)'],
      ['london-uniformity', 'max |B − B_c| / |B_c| inside 0.9 R (cylinder: |z| ≤ 0.9 h)'],
      ['london-uniformity-inner', '… inside 0.45 R (0.45 h)'],
      ['london-check', londonDeviceLabels('gpu')['london-check']],
      ['london-time', londonDeviceLabels('gpu')['london-time']],
      ['london-law', 'continuum − N r_e/R'],
    ],
    figures: ['london-map', 'london-deviation', 'london-convergence'],
  },
  pairing: {
    title: 'Pairing on a ring of thickness a (eq. 41-46)',
    note:
      "The even ground state of −ψ'' − 2ψ/(|x| + a/a_m) = Eψ by finite differences on a logarithmic grid, against " +
      'eq. 46, E = −[2 ln(a_m/a)]², and the pairing temperatures |E|/k_B of the Au and Cu rings (Cu: a = 100 nm ' +
      'ASSUMED, the paper gives none). Below, for both readings of Z_F in eq. 43, the pair solved on the ring ' +
      "itself (eq. 41 with the whole V_φ; the Au ring's radius ASSUMED, the paper gives none) beside the line: " +
      'its temperature, its rms extent against the circumference 2πR (the line picture fails where a_m > 2πR) ' +
      'and the period of its ground-state energy in the flux. Studies › Pairing › Run.',
    rows: [
      ['pairing-points', 'a_m/a values'],
      ['pairing-max-error', 'largest estimated grid error'],
    ],
    figures: ['pairing-energy', 'pairing-ratio'],
  },
  larmor: {
    title: 'Larmor current of N electrons on a ring (eq. 13-18)',
    note: "The ring of the panel's N, B and R; it follows the fields once shown. Studies › Larmor › Run.",
    rows: [
      ['larmor-ring', 'ring'],
      ['larmor-per-electron', 'current per electron and tesla (eq. 16)'],
      ['larmor-current', 'Larmor current I_L (eq. 18)'],
      ['larmor-current-flux', 'I from the flux Φ (eq. 14)'],
      ['larmor-angular-velocity', 'Ω_L = −eB/2m (eq. 17)'],
      ['larmor-speed', 'speed Ω_L R'],
      ['larmor-flux', 'flux Φ = B π R²'],
      ['larmor-flux-quanta', 'Φ / Φ₀, Φ₀ = h/|e| (eq. 15)'],
      ['larmor-moment', 'moment I π R²'],
      ['larmor-moment-bohr', 'moment / μ_B (eq. 15: −N Φ/Φ₀)'],
    ],
    figures: [],
  },
  scaling: {
    title: 'Scaling of the interaction with N at fixed size (sec. IV.C, eq. 47-55)',
    note:
      'λ_max of D^-½ (M − D) D^-½ at ε = 1 by Lanczos on the GPU, one N after another (Stop ends the sweep), ' +
      "fitted to the geometry's law, against the paper's estimate λ_max ~ N (eq. 49); each GPU point's λ_min and " +
      'λ_max checked against float64 in a worker beside it, as the CLI checks them. Studies › Scaling › Run.',
    rows: [
      ['scaling-system', 'sweep'],
      ['scaling-done', 'points done'],
      ['scaling-lambda-max', 'λ_max at the largest N'],
      ['scaling-law', 'law fitted'],
      ['scaling-coefficient', 'N → ∞ coefficient'],
      ['scaling-radius', 'R* (ε λ_max = 1 at N = (R/a₀)^d)'],
      ['scaling-paper-radius', 'the paper (eq. 53-55)'],
      ['scaling-check', 'float64 check of λ_min, λ_max (worst N)'],
    ],
    figures: ['scaling-plot'],
  },
  response: {
    title:
      'Response to a field, a flux or a rotation: Larmor screening, flux exclusion, London moment (eq. 13-30, 49)',
    note:
      'Electrons at rest keep p = m M v + e A = 0 while the drive comes on, so M v = −(e/m) A(r_i): one CG solve ' +
      'on the GPU per N r_e/R. The screening ratio is the induced moment over the Larmor moment without the ' +
      "Darwin term (for the flux, the current over eq. 13's), beside the continuum theory (the ring's circulant, " +
      "the thin shell, London's sphere). The map is B_z in the x-z plane at the largest N, for the N r_e/R " +
      'picked below (first the largest that converged); the canvas colours these electrons by their induced ' +
      'speed |v_i|. A point whose solve did not converge is marked in red. Studies › Response › Run.',
    rows: [
      ['response-system', 'sweep'],
      ['response-done', 'points done'],
      ['response-screening', 'screening ratio, largest N r_e/R converged'],
      ['response-continuum', 'continuum theory there'],
      ['response-map-point', 'map and canvas'],
      ['response-centre', 'B_z(0) / B_ext there (rotation: / B_eff)'],
      ['response-london', 'B_z(0) / B_London there (eq. 27)'],
      ['response-limits', 'N → ∞ at fixed N r_e/R'],
      ['response-time', 'GPU sweep time'],
    ],
    figures: ['response-plot', 'response-map', 'response-profile'],
  },
};

/**
 * The response points' table: [id suffix, the JSON key that heads it, what its number is (in the
 * key under the table)]; rotation adds its two, and a sweep with London's sphere to compare (the ball)
 * the current's decay length beside the continuum's and the penetration depth fitted as London's
 * profile beside λ_L.
 */
const kResponseColumns = [
  ['n', 'n', 'N, the electrons'],
  ['n-epsilon', 'n_epsilon', 'N r_e/R (eq. 49)'],
  [
    'screening',
    'screening_ratio',
    "the induced moment over the Larmor moment without the Darwin term (flux: the current over eq. 13's)",
  ],
  ['continuum', 'continuum_ratio', "the continuum theory's screening ratio, where the geometry has one"],
  [
    'london-x',
    'london_x',
    'R/λ_L (ball), or R/Λ over the Pearl length of a surface: 2 N r_e/R (disk), N r_e/2R (sphere)',
  ],
  ['field-centre', 'field_centre_ratio', 'B_total(0)/B_ext, the field at the centre over the applied one'],
  ['iterations', 'iterations', "CG's iterations, with its reason where it did not converge"],
  [
    'check',
    'check',
    "the float64 check against its target, as the CLI's: the velocities' error against the dense float64 solve (check), a refined solve's float64 residual (dense_residual), or past 3000 unknowns the residual on sampled float64 rows (sampled_residual); – where none ran (a CPU run is its own float64 reference; none with the panel's 'check against float64' off)",
  ],
] as const;
const kRotationColumns = [
  ['london-field', 'london_field_ratio', 'B(0)/B_London: the field at the centre over 2mΩ/|e| (eq. 27)'],
  [
    'n-eff',
    'n_eff_epsilon',
    'N_eff r_e/R: the fully lagging electrons that give that field (eq. 30: 3 on a shell, 2 through a ball)',
  ],
] as const;
const kDecayColumns = [
  [
    'decay',
    'decay_length',
    "the binned current's fitted e-folding depth below the surface, in units of R (it carries the factor r: the unscreened rigid rotation gives 0.39 R)",
  ],
  [
    'continuum-decay',
    'continuum_decay_length',
    "London's sphere's, binned and fitted the same way, in units of R",
  ],
] as const;
const kPenetrationColumns = [
  [
    'penetration',
    'penetration_depth',
    "λ/R fitted as London's profile a i₁(r/λ) sin θ to every electron's azimuthal velocity (– where the rigid rotation fits as well)",
  ],
  ['london-penetration', 'london_penetration_depth', "London's penetration depth λ_L/R = 1/x"],
] as const;
/**
 * The field drive's SI numbers, which a `response --radius-m` file holds (the page runs N r_e/R
 * lists, whose R is no length): each shown where a point has it, as the CLI's text shows them.
 */
const kSiColumns = [
  ['moment', 'moment_per_tesla', 'μ_z/B in A m²/T: the induced moment per tesla, −(e²R²/4m) Σ(r × v)_z'],
  [
    'chi-app',
    'apparent_susceptibility',
    "the SI volume susceptibility μ0 (μ_z/B)/V of a solid (ball, cube) against the applied B, its own demagnetising field in it (a perfect diamagnet's is −3/2 in a ball)",
  ],
  [
    'chi-int',
    'intrinsic_susceptibility',
    "the ball's χ of M = χ H (H inside): χ_app/(1 − χ_app/3), that of the uniform linear ball with the same moment",
  ],
] as const;

/** The response table's name: what a row is (its columns' meanings are listed under it). */
const kResponseTableCaption = 'Response per N and N r_e/R (the columns are explained below the table)';

/**
 * A column's header in the paper's words, as the CLI's text table heads it (src/studies/response/report.ts),
 * in the page's symbols; the key under the table gives its meaning and JSON key. R over a London length
 * is the geometry's (a surface's Pearl length Λ: the disk's, the sphere's), and the rotation's centre
 * field is over B_eff (the co-rotating frame's).
 */
export function responseHeader(key: string, spec: Pick<ShownResponse['spec'], 'geometry' | 'drive'>): string {
  const headers: Record<string, string> = {
    n: 'N',
    n_epsilon: 'N r_e/R',
    screening_ratio: 'screening',
    continuum_ratio: 'continuum',
    london_x: spec.geometry === 'disk' || spec.geometry === 'sphere' ? 'R/Λ' : 'R/λ_L',
    field_centre_ratio: spec.drive === 'rotation' ? 'B(0)/B_eff' : 'B(0)/B_ext',
    iterations: 'iterations',
    london_field_ratio: 'B(0)/B_London',
    n_eff_epsilon: 'N_eff r_e/R',
    decay_length: 'decay/R',
    continuum_decay_length: 'London decay/R',
    penetration_depth: 'λ/R fit',
    london_penetration_depth: 'λ_L/R',
    moment_per_tesla: 'μ_z/B (A m²/T)',
    apparent_susceptibility: 'χ_app (SI)',
    intrinsic_susceptibility: 'χ_int (SI)',
  };
  return headers[key] ?? key;
}

type ResponseColumnRow =
  | (typeof kResponseColumns)[number]
  | (typeof kRotationColumns)[number]
  | (typeof kDecayColumns)[number]
  | (typeof kPenetrationColumns)[number]
  | (typeof kSiColumns)[number];
type ResponseColumn = ResponseColumnRow[0];

/**
 * The response table's columns, [id suffix, JSON key, meaning]: every sweep's, a rotation's two,
 * the decay lengths and penetration depths where the geometry has London's sphere to compare, and
 * each SI number of a `--radius-m` file where a point has it (a file without them shows none).
 */
export function responseColumns(result: Pick<ShownResponse, 'spec' | 'points'>): ResponseColumnRow[] {
  const { spec, points } = result;
  return [
    ...kResponseColumns,
    ...(spec.drive === 'rotation' ? kRotationColumns : []),
    ...(points.some((p) => p.continuumDecayLength !== null) ? kDecayColumns : []),
    ...(points.some((p) => p.londonPenetrationDepth !== null) ? kPenetrationColumns : []),
    ...kSiColumns.filter(([column]) => points.some((p) => responseCell(p, column)[0] !== null)),
  ];
}

/**
 * A point's float64 check and its target ("1.2e-13 ≤ 1e-8"), as pointCheck holds it (a refined
 * solve's residual, the sampled one named), or why it has none where its reference did not converge.
 */
function responseCheckCell(point: ShownResponsePoint): [number | null, string] {
  const checked = pointCheck(point);
  if (!checked) {
    const why = point.referenceUnconverged;
    return [null, why === null ? '–' : `not checked (float64 reference: ${why})`];
  }
  const { name, error, target } = checked;
  const what = { check: '', dense_residual: 'residual ', sampled_residual: 'sampled residual ' }[name];
  const within = withinTarget(error, target) ? '≤' : '>';
  return [error, `${what}${error.toExponential(2)} ${within} ${target.toExponential(0)}`];
}

/** A point's [number, text] in a column of the response table (responseColumns), '–' where none. */
export function responseCell(point: ShownResponsePoint, column: ResponseColumn): [number | null, string] {
  const precise = (value: number | null): [number | null, string] => [
    value,
    value === null ? '–' : value.toPrecision(6),
  ];
  // A number the solve gave, marked where M is indefinite there (as the CLI's --markdown marks it);
  // none where the solve did not converge, as its JSON holds null (responseJson): the last iterate's
  // ratio (v = 0 where CG met indefiniteness at once) is no measurement.
  const solved = (value: number | null) => (point.converged ? value : null);
  const marked = (value: number | null): [number | null, string] => {
    const [shown, text] = precise(solved(value));
    return [shown, `${text}${indefiniteMark(point, shown)}`];
  };
  // An SI number in the CLI text's exponent form (a moment per tesla is far below 1), marked.
  const exponent = (value: number | null): [number | null, string] => {
    const shown = solved(value);
    return [shown, shown === null ? '–' : `${shown.toExponential(5)}${indefiniteMark(point, shown)}`];
  };
  switch (column) {
    case 'n':
      return [point.n, String(point.n)];
    case 'n-epsilon':
      return [point.nEpsilon, markdownNumber(point.nEpsilon, 4)];
    case 'screening':
      return marked(point.screeningRatio);
    case 'continuum':
      return precise(point.continuumRatio);
    case 'london-x':
      return [point.londonX, markdownNumber(point.londonX, 4)];
    case 'field-centre':
      return marked(point.fieldCentreRatio);
    case 'iterations':
      return [point.iterations, `${point.iterations}${point.converged ? '' : ` (${point.reason})`}`];
    case 'check':
      return responseCheckCell(point);
    case 'london-field':
      return marked(point.londonFieldRatio);
    case 'n-eff':
      return marked(point.nEffEpsilon);
    case 'decay':
      return marked(point.decayLength);
    case 'continuum-decay':
      return precise(point.continuumDecayLength);
    case 'penetration':
      return marked(point.penetrationDepth);
    case 'london-penetration':
      return precise(point.londonPenetrationDepth);
    case 'moment':
      return exponent(point.momentPerTesla);
    case 'chi-app':
      return exponent(point.apparentSusceptibility);
    case 'chi-int':
      return exponent(point.intrinsicSusceptibility);
  }
}

/**
 * The last converged point of a sweep's points (N ascending, N r_e/R ascending at each N), else the
 * last one: a solve that stopped early (M indefinite once eps |lambda_min| > 1) has no ratio to stand
 * for the sweep.
 */
export function lastConvergedPoint<P extends { readonly converged: boolean }>(
  points: readonly P[],
): P | undefined {
  for (let k = points.length - 1; k >= 0; k--) if (points[k].converged) return points[k];
  return points.at(-1);
}

/**
 * The point the card's headline, its map and the canvas start from: at the largest N (the one mapped),
 * the largest N r_e/R that converged, the field pushed furthest out of the body by a solution.
 */
export function responseStartPoint<P extends { readonly n: number; readonly converged: boolean }>(
  points: readonly P[],
): P | undefined {
  const largest = points.at(-1)?.n;
  return lastConvergedPoint(points.filter((point) => point.n === largest));
}

/**
 * Why the map point has no map, or null where it has one: the flux drive maps nothing (no B_ext or
 * B_London to divide B_z by, as the CLI's responsePlan), a file holds none, and a sweep stopped before
 * its largest N never reached the N it maps.
 */
export function responseNoMapReason(
  result: Pick<ShownResponse, 'spec'>,
  point: Pick<ShownResponsePoint, 'n' | 'fieldMap'>,
): string | null {
  if (point.fieldMap) return null;
  const { spec } = result;
  if (spec.drive === 'flux') return 'no map: the flux drive has no field to map B_z against';
  if (point.fieldMap === undefined) return 'no map in the file';
  const largest = spec.ns[spec.ns.length - 1];
  return point.n < largest ? `no map: the sweep stopped before N = ${largest}, the N it maps` : null;
}

/**
 * The response card's sweep line: the sweep, its scale and its map (`map`). The scale is the N r_e/R
 * run at every N, or the one eps of every N (a CLI run's --radius-m or --epsilon, loaded) led by what
 * the run was given: the radius R in metres with its eps = r_e/R, or eps with the R = r_e/eps it
 * means, both to 12 digits as the file's N r_e/R are read back (responseFromJson): a --radius-m 1e-12
 * file shows R = 1e-12 m.
 */
export function responseDescription(
  spec: Pick<ResponseSpec, 'drive' | 'geometry' | 'model' | 'dim' | 'ns' | 'scale'>,
  map: string,
): string {
  const model = spec.model === 'vector' ? `vector model (${spec.dim}D)` : 'azimuthal model';
  const { scale } = spec;
  const twelveDigits = (x: number) => Number(x.toPrecision(12));
  let scaleText: string;
  if (scale.kind === 'nEpsilon') {
    scaleText = `N r_e/R = ${scale.values.join(', ')}`;
  } else if (scale.kind === 'radiusMetres') {
    const epsilon = twelveDigits(epsilonFromRadius(scale.value));
    scaleText = `R = ${twelveDigits(scale.value)} m (ε = r_e/R = ${epsilon} at every N)`;
  } else {
    const radius = twelveDigits(radiusFromEpsilon(scale.value));
    scaleText = `ε = ${twelveDigits(scale.value)} at every N (R = r_e/ε = ${radius} m)`;
  }
  return `${spec.drive} drive, ${spec.geometry}, ${model}, N = ${spec.ns.join(', ')}, ${scaleText}, ${map}`;
}

/**
 * The response card's N -> infinity row. A ring has no limit: at fixed N r_e/R its interaction sum
 * grows as N ln N / pi (the program's own result, the circulant's sum of V_phi: physics/response.ts;
 * the paper's eq. 53 says only that in d = 1+ the collective size R is infinite), so its screening
 * keeps growing with N. Elsewhere each N r_e/R's fit c + b N^-p (run.ts responseLimit), which needs
 * three N that converged there; a sweep stopped before its third N ran there says so, not that they
 * failed to converge.
 */
export function responseLimitsText(result: Pick<ShownResponse, 'spec' | 'limits' | 'points'>): string {
  const { spec, limits, points } = result;
  if (finiteSizeExponent(spec.geometry) === null) {
    return (
      'none on the ring: at fixed N r_e/R its interaction sum grows as N ln N (its circulant, computed ' +
      'here), so the screening keeps growing with N and has no continuum limit (eq. 53: in d = 1+ the ' +
      'collective size R is infinite)'
    );
  }
  // One eps for every N (a CLI run's --epsilon or --radius-m, loaded): N r_e/R grows with N.
  if (spec.scale.kind !== 'nEpsilon') return 'none: one eps for every N, so no N r_e/R is held fixed';
  if (spec.ns.length < 3) return `needs three N or more (${spec.ns.length} given)`;
  return spec.scale.values
    .map((x) => {
      const limit = limits.find((l) => sameNEpsilon(l.nEpsilon, x));
      if (!limit) {
        const run = points.filter((p) => sameNEpsilon(p.nEpsilon, x)).length;
        return `${markdownNumber(x, 3)}: fewer than three N ${run < 3 ? 'run (stopped)' : 'converged'}`;
      }
      const continuum = limit.continuumRatio;
      return (
        `${markdownNumber(x, 3)}: ${limit.extrapolatedRatio.toPrecision(4)} ± ${limit.uncertainty.toExponential(1)}` +
        // Too few N to refit without the smallest: the ± leaves out the law's finite-N misfit.
        (limit.windowRefits === 0 ? ' (covariance alone)' : '') +
        (continuum === null ? '' : ` (continuum ${continuum.toPrecision(4)})`)
      );
    })
    .join('; ');
}

/** The scaling card's law row: the law fitted and its N, or (as the CLI) why there is no fit. */
export function scalingLawText(study: ScalingStudy): string {
  const { fit } = study;
  return fit ? `${fit.law.text}, N = ${fit.nFrom}..${fit.nTo}` : noFitText(study);
}

/**
 * The scaling card's check row: as the CLI's text and Markdown, the point farthest from its target;
 * where no point was checked, why: a sweep of the CPU's dense float64 M (`onReference`) is itself the
 * reference, while a GPU sweep whose checks were all stopped, a CPU sweep that took the tree at some
 * N, or a file written before the check was, was not checked.
 */
export function scalingCheckText(points: readonly ScalingPoint[], onReference: boolean): string {
  if (worstCheck(points)) return worstCheckText(points);
  return onReference ? 'none (float64 run)' : 'not checked';
}

/** The diameter of the observable universe, metres: no body is larger. */
const kObservableUniverseMetres = 8.8e26;

/** R* in metres, or, past any physical size (the ring's 10^25612 m), its power of ten and why. */
export function criticalRadiusText(radius: Pick<CriticalRadius, 'metres' | 'log10Metres'>): string {
  const { metres, log10Metres } = radius;
  if (metres !== null && metres <= kObservableUniverseMetres) return `${markdownNumber(metres, 3)} m`;
  return (
    `10^${log10Metres.toFixed(1)} m: larger than the observable universe ` +
    `(${markdownNumber(kObservableUniverseMetres, 2)} m), so no body reaches ε λ_max = 1`
  );
}

/** The continuous body's N r_e/R, as the shape mapped has it. */
/**
 * The labels of the London card's rows that name the device whose field sum draws the map: the GPU's
 * in a run of the page, the CPU's (float64, the reference's own sum) in a loaded `london --device cpu`
 * run. The other numbers are float64's whatever the device.
 */
function londonDeviceLabels(kind: 'gpu' | 'cpu'): Record<string, string> {
  const device = kind.toUpperCase();
  return {
    'london-check': `${device} map vs float64 (over the inner half's B_z spread)`,
    'london-time': `${device} field time`,
  };
}

export function londonContinuumLabel(geometry: LondonBody['geometry']): string {
  return geometry === 'sphere'
    ? `${kLondonContinuumLabel} (sphere: 3, eq. 30)`
    : `${kLondonContinuumLabel} (cylinder: 2 √(1 + h²))`;
}

/** Colours a row's value red where it comes from a solve that did not converge. */
function markConvergence(id: string, point: Pick<ShownResponsePoint, 'converged'>): void {
  element(id).className = point.converged ? '' : 'bad';
}

/**
 * The reading of eq. 43 the rings' table takes, in the paper's words (its a_m and temperatures are
 * `pairing --json`'s rings[], the second form's); the table below it has both readings.
 */
export const kRingTableCaption =
  `${kFermiReadingLabels['fermi-energy']}, where E_F is the Fermi energy: a_m = 2/Z_F (eq. 44), ` +
  'T = |E|/k_B of eq. 46 and of the numerical ground state. The table below has both readings of eq. 43.';

/** The rings' table: one row per ring, its cells' ids pairing-<ring>-<column>. */
const kRingColumns = [
  ['fermi', 'E_F (eV)'],
  ['thickness', 'a (nm)'],
  ['radius', 'a_m (µm)'],
  ['ratio', 'a_m/a'],
  ['eq46', 'T, eq. 46'],
  ['numerical', 'T, numerical'],
] as const;

/**
 * The pair on the ring (eq. 41) beside the line (eq. 45), one row per ring under each reading of eq. 43:
 * cells pairing-<ring>-<reading>-<column>, the numbers of `pairing --json`'s readings[].on_ring.
 */
const kOnRingColumns = [
  ['a-m', 'a_m (µm)'],
  ['eq46', 'T, eq. 46 (mK)'],
  ['line-t', 'T, line (mK)'],
  ['ring-t', 'T, ring (mK)'],
  ['rms', 'rms extent, ring (µm)'],
  ['rms-line', 'line (µm)'],
  ['circumference', '2πR (µm)'],
  ['line-picture', 'line picture (a_m < 2πR)'],
  ['flux-period', 'flux period (Φ₀)'],
] as const;

/** The on-ring table's name, as its rows are grouped. */
const kOnRingTableCaption = 'The pair on the ring (eq. 41) beside the line (eq. 45), per reading of eq. 43';

/** [id, metal, experiment] of the two rings (sec. IV.B). */
const kRings = [
  ['au', 'Au', 'Chandrasekhar'],
  ['cu', 'Cu', 'Levy'],
] as const;

/** The study's name in a sentence: its card's title without the subtitle or equations. */
export function studyName(card: StudyCard): string {
  return kCards[card].title.split(/:| \(/)[0];
}

function buildCard(name: StudyCard, spec: CardSpec): HTMLElement {
  const card = create('article', { id: `study-${name}`, class: 'study', 'data-state': 'idle' });
  card.append(create('h2', {}, spec.title), create('p', { class: 'note' }, spec.note));
  const list = create('dl');
  for (const [id, label] of spec.rows) list.append(create('dt', {}, label), create('dd', { id }, '–'));
  card.append(list);
  // The finished run as the CLI's study command prints it with --json (Studies.save).
  const saves = create('p', { class: 'saves' });
  // Named by its study for a screen reader, which lists the six downloads' buttons (Files' too) apart.
  const study = `${name[0].toUpperCase()}${name.slice(1)}`;
  saves.append(
    create(
      'button',
      {
        type: 'button',
        id: `study-${name}-save`,
        disabled: '',
        'aria-label': `download JSON (CLI format) of the ${study} study`,
      },
      'download JSON (CLI format)',
    ),
  );
  if (name === 'response') {
    // The picked point's velocities, as the CLI's --out writes each point's.
    saves.append(
      ' ',
      create(
        'button',
        { type: 'button', id: 'response-save-velocities', disabled: '' },
        'download velocities of the map point (CSV)',
      ),
    );
  }
  card.append(saves);
  if (name === 'pairing') card.append(scrolling(ringTable()), scrolling(onRingTable()));
  if (name === 'scaling') card.append(scrolling(scalingTable()));
  if (name === 'response') {
    const picker = create('label', { class: 'picker' }, 'map and canvas at N r_e/R = ');
    picker.append(create('select', { id: 'response-map-select', disabled: '' }));
    // What the table's † means, where a point has one (indefiniteNote).
    const note = create('p', { id: 'response-indefinite', class: 'warn', hidden: '' });
    // What each column is, in words under the table (a header's tooltip reaches neither the
    // keyboard, touch nor every screen reader).
    const key = create('dl', { id: 'response-columns', class: 'key' });
    card.append(scrolling(create('table', { id: 'response-points' })), note, key, picker);
  }
  if (spec.figures.length) {
    const figures = create('div', { class: 'figures' });
    for (const id of spec.figures) figures.append(create('figure', { id }));
    card.append(figures);
  }
  return card;
}

/**
 * A table in a box of its own that scrolls sideways: a rotation's response table, and the pairing
 * card's ring tables in a card of 350 px (a window of 700 to 1000 px), are wider than the card.
 */
function scrolling(table: HTMLTableElement): HTMLDivElement {
  const scroll = create('div', { class: 'table-scroll' });
  scroll.append(table);
  return scroll;
}

function ringTable(): HTMLTableElement {
  const table = create('table', { id: 'pairing-rings' });
  table.append(create('caption', {}, kRingTableCaption));
  const head = create('tr');
  head.append(create('th', {}, 'ring'), ...kRingColumns.map(([, label]) => create('th', {}, label)));
  table.append(head);
  for (const [ring, metal, experiment] of kRings) {
    const row = create('tr');
    row.append(create('th', {}, `${metal} (${experiment})`));
    for (const [column] of kRingColumns) row.append(create('td', { id: `pairing-${ring}-${column}` }, '–'));
    table.append(row);
  }
  return table;
}

function onRingTable(): HTMLTableElement {
  const table = create('table', { id: 'pairing-on-ring' });
  table.append(create('caption', {}, kOnRingTableCaption));
  const head = create('tr');
  head.append(create('th', {}, 'ring'), ...kOnRingColumns.map(([, label]) => create('th', {}, label)));
  table.append(head);
  for (const reading of kFermiReadings) {
    const caption = create('tr', { class: 'reading' });
    caption.append(
      create('th', { colspan: String(kOnRingColumns.length + 1) }, kFermiReadingLabels[reading]),
    );
    table.append(caption);
    for (const [ring, metal] of kRings) {
      const row = create('tr');
      row.append(create('th', {}, metal));
      for (const [column] of kOnRingColumns) {
        row.append(create('td', { id: `pairing-${ring}-${reading}-${column}` }, '–'));
      }
      table.append(row);
    }
  }
  return table;
}

/**
 * The scaling sweep's points, one row per N as the JSON download's points[] hold them: the plot's
 * numbers as text to read and copy (a canvas has none). Cells scaling-<k>-<column>.
 */
const kScalingColumns = [
  ['n', 'N'],
  ['lambda-min', 'λ_min'],
  ['lambda-max', 'λ_max'],
  ['lambda-max-over-n', 'λ_max/N'],
  ['check', 'float64 check'],
] as const;

const kScalingTableCaption = 'Each N of the sweep: λ_min and λ_max of D^-½ (M − D) D^-½ at ε = 1';

function scalingTable(): HTMLTableElement {
  const table = create('table', { id: 'scaling-points' });
  table.append(create('caption', {}, kScalingTableCaption));
  const head = create('tr');
  head.append(...kScalingColumns.map(([, label]) => create('th', {}, label)));
  table.append(head);
  return table;
}

/**
 * A uPlot as one image named by its title: its canvas has no text for a screen reader, and its legend
 * alone reads as a list of series without values; the numbers are in the table above it.
 */
function namePlot(plot: uPlot): void {
  const title = plot.root.querySelector('.u-title')?.textContent ?? '';
  plot.root.setAttribute('role', 'img');
  plot.root.setAttribute('aria-label', `${title} (its numbers are in the table above)`);
}

/**
 * Shows `svg`, a plot of src/io/svg.ts ('' for none), in the element `id` as one image named by its
 * title: a screen reader names an inline <svg> by all its text, every tick label, otherwise.
 */
function showFigure(id: string, svg: string): void {
  const container = element(id);
  container.innerHTML = svg;
  const figure = container.querySelector('svg');
  const title = figure?.querySelector(kTitleSelector)?.textContent;
  if (!figure || !title) return;
  figure.setAttribute('role', 'img');
  figure.setAttribute('aria-label', title);
}

/** Points of a smooth curve on a log axis. */
const kCurvePoints = 40;

/** The scaling plot's title (the sweep's system is the card's headline above it). */
const kScalingPlotTitle = 'λ_max at ε = 1 against N: the points, the fit and eq. 49';

export class StudiesView {
  readonly #tabs: Record<StageTab, HTMLButtonElement>;
  readonly #section: HTMLElement;
  #scalingPlot: uPlot | null = null;
  /** The sweep's planned N: the plot's x ticks. */
  #scalingPlan: readonly number[] = [];
  /** Whether the sweep shown ran on the CPU's dense float64 M, the reference itself (scalingCheckText). */
  #scalingOnReference = false;
  #larmorShown = false;
  #responsePlot: uPlot | null = null;
  #response: ShownResponse | null = null;
  #responseSelected: ((nEpsilon: number) => void) | null = null;
  #save: ((card: StudyCard) => void) | null = null;

  constructor() {
    this.#section = element('studies');
    for (const [name, spec] of Object.entries(kCards) as [StudyCard, CardSpec][]) {
      this.#section.append(buildCard(name, spec));
    }
    this.#tabs = {
      electrons: element<HTMLButtonElement>('tab-electrons'),
      studies: element<HTMLButtonElement>('tab-studies'),
    };
    for (const [tab, button] of Object.entries(this.#tabs) as [StageTab, HTMLButtonElement][]) {
      button.addEventListener('click', () => this.showTab(tab));
    }
    const plot = element('scaling-plot');
    new ResizeObserver(() => this.#scalingPlot?.setSize(this.#plotSize('scaling-plot'))).observe(plot);
    const responsePlot = element('response-plot');
    new ResizeObserver(() => this.#responsePlot?.setSize(this.#plotSize('response-plot'))).observe(
      responsePlot,
    );
    for (const card of Object.keys(kCards) as StudyCard[]) {
      element(`study-${card}-save`).addEventListener('click', () => this.#save?.(card));
    }
    const select = element<HTMLSelectElement>('response-map-select');
    select.addEventListener('change', () => {
      const x = Number(select.value);
      if (this.#response) this.#responseShowMap(this.#response, x);
      this.#responseSelected?.(x);
    });
  }

  #plotSize(id: string): { width: number; height: number } {
    return { width: Math.max(300, element(id).clientWidth), height: 280 };
  }

  /**
   * Shows the electrons' view or the Studies cards over it. The two tab buttons are toggle buttons
   * (aria-pressed), not ARIA tabs: the cards lie over the view rather than replace a panel of it. The
   * view they cover is inert meanwhile: Tab does not reach the canvas under them, nor a screen reader
   * its footer.
   */
  showTab(tab: StageTab): void {
    for (const [name, button] of Object.entries(this.#tabs))
      button.setAttribute('aria-pressed', String(name === tab));
    for (const id of ['view', 'view-footer']) element(id).inert = tab === 'studies';
    this.#section.hidden = tab !== 'studies';
    document.body.dataset.tab = tab;
  }

  /** The response card's velocities button was clicked. */
  onSaveVelocities(listener: () => void): void {
    element('response-save-velocities').addEventListener('click', listener);
  }

  /** Enables the velocities download (a run's solutions are held) or disables it. */
  velocitiesSaveable(available: boolean): void {
    element<HTMLButtonElement>('response-save-velocities').disabled = !available;
  }

  /** A card's download button was clicked. */
  onSave(listener: (card: StudyCard) => void): void {
    this.#save = listener;
  }

  /** Enables a card's download (a run that finished a point) or disables it (a run started). */
  saveable(card: StudyCard, available: boolean): void {
    element<HTMLButtonElement>(`study-${card}-save`).disabled = !available;
  }

  /** Shows the Studies tab with `card` in view, marked as running. */
  start(card: StudyCard): void {
    this.showTab('studies');
    const target = element(`study-${card}`);
    target.dataset.state = 'running';
    target.scrollIntoView({ block: 'nearest' });
  }

  /** The card's end: 'converged' or 'failed' (a stop, an error), as the page's data-status. */
  finish(card: StudyCard, state: 'converged' | 'failed'): void {
    element(`study-${card}`).dataset.state = state;
  }

  // -------------------------------------------------------------------------------------------
  // London

  /**
   * A map's numbers, its SVG and beside it the map of log10 |B_z/B_London - 1| (how far the interior is
   * from London's uniform field, which the linear map shows as one colour); a saved run's (which holds
   * no map) with both empty.
   */
  londonMap(
    body: Pick<LondonBody, 'geometry' | 'halfHeight' | 'n' | 'continuumParameter'>,
    grid: number,
    study: LondonMapStudy,
    svgs: { readonly map: string; readonly deviation: string },
    deviceKind: 'gpu' | 'cpu' = 'gpu',
  ): void {
    for (const [id, label] of Object.entries(londonDeviceLabels(deviceKind))) this.#rowLabel(id, label);
    showText(
      'london-body',
      `${londonShapeText(body)}, N = ${body.n}, ${grid} × ${grid} grid, ${study.fieldPoints} field points`,
    );
    show('london-n-re-over-r', study.parameter, study.parameter.toPrecision(9));
    show('london-n-re-over-r-plain-sum', study.parameterPlainSum, study.parameterPlainSum.toPrecision(7));
    show('london-continuum', body.continuumParameter, body.continuumParameter.toPrecision(6));
    this.#londonContinuumLabel(londonContinuumLabel(body.geometry));
    // As the CLI's text says it: a finite cylinder's map shows its lateral sheet's own unevenness.
    showText(
      'london-continuum-field',
      londonContinuumFieldText(body.geometry, continuumUniformity(body, grid)),
    );
    show('london-centre-ratio', study.centreFieldRatio, study.centreFieldRatio.toPrecision(8));
    // The map draws B_z; most of the spread at large N is transverse (the golden-angle azimuths').
    // A run saved before the parts were reported has none (NaN): the total alone.
    const parts = (total: number, axial: number, transverse: number) =>
      Number.isNaN(axial) || Number.isNaN(transverse)
        ? total.toExponential(3)
        : `${total.toExponential(3)} (B_z ${axial.toExponential(2)}, transverse ${transverse.toExponential(2)})`;
    show(
      'london-uniformity',
      study.uniformity,
      parts(study.uniformity, study.uniformityAxial, study.uniformityTransverse),
    );
    show(
      'london-uniformity-inner',
      study.uniformityInner,
      parts(study.uniformityInner, study.uniformityInnerAxial, study.uniformityInnerTransverse),
    );
    showCheck('london-check', study.check, kLondonCheckTarget);
    show('london-time', study.fieldMs, `${study.fieldMs.toFixed(0)} ms`);
    show('london-law', null, 'computing…');
    showFigure('london-map', svgs.map);
    showFigure('london-deviation', svgs.deviation);
    element('london-convergence').innerHTML = '';
  }

  londonConvergence(convergence: LondonConvergence, svg: string): void {
    showText('london-law', londonFitText(convergence));
    showFigure('london-convergence', svg);
  }

  /**
   * A Stop during the convergence list, after the map: the fit of the N it finished (two or more), or
   * how far it got, in place of 'computing…', and the plot of those N (`svg`, '' for none).
   */
  londonStopped(convergence: LondonConvergence, total: number, svg: string): void {
    const done = convergence.points.length;
    showText(
      'london-law',
      done >= 2
        ? `${londonFitText(convergence)} (stopped after ${done} of ${total} N)`
        : `stopped after ${done} of ${total} N: a fit needs two`,
    );
    showFigure('london-convergence', svg);
  }

  /** A Stop before the map: nothing finished, which the card says where its body would be. */
  londonStoppedBeforeMap(): void {
    showText('london-body', 'stopped before its map finished: nothing to show or save');
  }

  clearLondon(): void {
    for (const [id] of kCards.london.rows) show(id, null);
    this.#londonContinuumLabel(kLondonContinuumLabel);
    element('london-map').innerHTML = '';
    element('london-deviation').innerHTML = '';
    element('london-convergence').innerHTML = '';
  }

  /** The label (dt) of the continuous body's row. */
  #londonContinuumLabel(label: string): void {
    this.#rowLabel('london-continuum', label);
  }

  /**
   * Where a card's run was made, in its note and time row: the page's GPU, or the float64 CPU of a
   * loaded `--device cpu` run (the London card's rows: londonDeviceLabels).
   */
  #deviceWords(card: 'scaling' | 'response', kind: 'gpu' | 'cpu'): void {
    const where = kind === 'cpu' ? 'on the CPU (float64)' : 'on the GPU';
    const note = element(`study-${card}`).querySelector('p.note');
    if (note) note.textContent = kCards[card].note.replace('on the GPU', where);
    if (card === 'response') this.#rowLabel('response-time', `${kind.toUpperCase()} sweep time`);
  }

  /** The label (dt) of the row whose value is element `id`. */
  #rowLabel(id: string, label: string): void {
    const term = element(id).previousElementSibling;
    if (term) term.textContent = label;
  }

  // -------------------------------------------------------------------------------------------
  // Pairing

  pairingProgress(done: number, total: number): void {
    showText('pairing-points', `${done} of ${total}`);
  }

  /** A run's points and rings, or a saved run's: the rings as `pairing --json` writes them. */
  pairing(
    ratios: readonly number[],
    maxError: number,
    rings: readonly ReturnType<typeof pairingRingJson>[],
    energySvg: string,
    ratioSvg: string,
  ): void {
    showText(
      'pairing-points',
      `${ratios.length}, from ${markdownNumber(ratios[0], 3)} to ${markdownNumber(ratios[ratios.length - 1], 3)}`,
    );
    show('pairing-max-error', maxError, maxError.toExponential(1));
    // A run stopped before the rings has none: their cells say so, not the rings of a run before.
    this.clearPairingRings();
    for (const ring of rings) {
      const id = (column: string) => `pairing-${ring.name.toLowerCase()}-${column}`;
      show(id('fermi'), ring.fermi_energy_ev, ring.fermi_energy_ev.toFixed(2));
      show(id('thickness'), ring.thickness_m * 1e9, (ring.thickness_m * 1e9).toFixed(0));
      show(id('radius'), ring.a_m_m * 1e6, (ring.a_m_m * 1e6).toFixed(3));
      show(id('ratio'), ring.ratio, ring.ratio.toFixed(1));
      // Temperatures in millikelvin, three digits as the CLI prints them.
      show(id('eq46'), ring.temperature_eq46_mk, `${ring.temperature_eq46_mk.toPrecision(3)} mK`);
      show(
        id('numerical'),
        ring.temperature_numerical_mk,
        `${ring.temperature_numerical_mk.toPrecision(3)} mK`,
      );
      for (const reading of ring.readings) this.#pairingOnRing(ring.name, ring.circumference_m, reading);
    }
    showFigure('pairing-energy', energySvg);
    showFigure('pairing-ratio', ratioSvg);
  }

  /** Both ring tables back to their dashes: at a run's start, and for a run that has no rings. */
  clearPairingRings(): void {
    for (const cell of document.querySelectorAll<HTMLElement>('#pairing-rings td, #pairing-on-ring td')) {
      show(cell.id, null);
      cell.className = '';
    }
  }

  /** One reading's row of the on-ring table, from the JSON `pairing --json` prints for it. */
  #pairingOnRing(ring: string, circumferenceMetres: number, json: ReturnType<typeof ringReadingJson>): void {
    const id = (column: (typeof kOnRingColumns)[number][0]) =>
      `pairing-${ring.toLowerCase()}-${json.reading}-${column}`;
    const pair = json.on_ring;
    const micrometres = (column: 'a-m' | 'rms' | 'rms-line' | 'circumference', metres: number) =>
      show(id(column), metres * 1e6, (metres * 1e6).toFixed(3));
    const millikelvin = (column: 'eq46' | 'line-t' | 'ring-t', value: number) =>
      show(id(column), value, value.toPrecision(3));
    micrometres('a-m', json.a_m_m);
    millikelvin('eq46', json.temperature_eq46_mk);
    millikelvin('line-t', pair.temperature_line_mk);
    millikelvin('ring-t', pair.temperature_mk);
    micrometres('rms', pair.rms_separation_m);
    micrometres('rms-line', pair.rms_separation_line_m);
    micrometres('circumference', circumferenceMetres);
    const flag = element(id('line-picture'));
    flag.textContent = pair.line_picture_fails ? 'fails' : 'holds';
    flag.className = pair.line_picture_fails ? 'bad' : 'good';
    const period = pair.flux_period_phi0;
    show(id('flux-period'), period, period === null ? 'none found' : markdownNumber(period, 3));
  }

  // -------------------------------------------------------------------------------------------
  // Larmor

  get larmorShown(): boolean {
    return this.#larmorShown;
  }

  larmor(ring: LarmorRing): void {
    this.#larmorShown = true;
    const radius = ring.radiusMetres;
    showText(
      'larmor-ring',
      `N = ${ring.n}, B = ${markdownNumber(ring.fieldTesla, 4)} T, R = ${markdownNumber(radius, 4)} m`,
    );
    const si = (id: string, value: number, unit: string) =>
      show(id, value, `${markdownNumber(value, 4)} ${unit}`);
    si('larmor-per-electron', ring.perElectronTesla * 1e9, 'nA/T');
    si('larmor-current', ring.current, 'A');
    si('larmor-current-flux', ring.currentFromFlux, 'A');
    si('larmor-angular-velocity', ring.angularVelocity, 'rad/s');
    const note = larmorSpeedNote(ring);
    show(
      'larmor-speed',
      ring.speed,
      `${markdownNumber(ring.speed, 4)} m/s (${note ?? `|v|/c = ${markdownNumber(ring.speedOverLight, 2)}`})`,
    );
    element('larmor-speed').className = note ? 'bad' : '';
    si('larmor-flux', ring.flux, 'Wb');
    si('larmor-flux-quanta', ring.fluxQuanta, '');
    si('larmor-moment', ring.moment, 'A m²');
    si('larmor-moment-bohr', ring.momentBohrMagnetons, 'μ_B');
  }

  // -------------------------------------------------------------------------------------------
  // Scaling

  /**
   * A new sweep: the plot's N axis spans the planned N, and the numbers are cleared. `deviceKind`: whose
   * Lanczos runs the points are, the page's GPU or a loaded `scaling --device cpu` run's float64.
   */
  scalingStart(
    description: string,
    ns: readonly number[],
    deviceKind: 'gpu' | 'cpu' = 'gpu',
    onTree = false,
  ): void {
    this.#deviceWords('scaling', deviceKind);
    for (const [id] of kCards.scaling.rows) show(id, null);
    element('scaling-check').className = '';
    this.#scalingRows([]);
    showText('scaling-system', description);
    showText('scaling-done', `0 of ${ns.length}`);
    this.#scalingPlot?.destroy();
    const container = element('scaling-plot');
    container.innerHTML = '';
    this.#scalingPlan = [...ns];
    this.#scalingOnReference = deviceKind === 'cpu' && !onTree;
    this.#scalingPlot = new uPlot(
      {
        ...this.#plotSize('scaling-plot'),
        title: kScalingPlotTitle,
        cursor: { drag: { x: false, y: false } },
        legend: { live: false },
        scales: { x: { time: false, distr: 3 }, y: { distr: 3 } },
        axes: [
          {
            label: 'N (electrons at fixed size R)',
            ...kAxisStyle,
            size: 30,
            labelSize: 16,
            // Every planned N labelled: uPlot's log filter would keep only 1-2-5 mantissas.
            splits: () => [...this.#scalingPlan],
            filter: (_plot, splits) => splits,
            values: (_plot, values) => values.map((n) => (n === null ? '' : String(n))),
          },
          { label: 'λ_max at ε = 1', ...kAxisStyle, size: 48, labelSize: 16, ...kDecadeTicks },
        ],
        series: [
          { label: 'N' },
          {
            label: `λ_max (Lanczos, ${deviceKind.toUpperCase()})`,
            stroke: '#7fd3ff',
            paths: () => null,
            points: { show: true, size: 8, fill: '#7fd3ff' },
          },
          {
            label: 'λ_max, Lanczos not converged (inner bounds, not fitted)',
            stroke: '#8a93a6',
            paths: () => null,
            points: { show: true, size: 8, fill: '#8a93a6' },
          },
          {
            label: 'fit',
            stroke: '#f2b75c',
            dash: [6, 4],
            width: 1.5,
            points: { show: false },
            spanGaps: true,
          },
          {
            label: "paper's estimate N (eq. 49)",
            stroke: '#aab4c8',
            dash: [2, 4],
            width: 1,
            points: { show: false },
            spanGaps: true,
          },
        ],
      },
      [[], [], [], [], []],
      container,
    );
    namePlot(this.#scalingPlot);
  }

  /** The points so far, with the study's fits, or why there are none yet. */
  scalingUpdate(points: readonly ScalingPoint[], study: ScalingStudy | string): void {
    const ns = this.#scalingPlan;
    showText('scaling-done', `${points.length} of ${ns.length}`);
    const last = points[points.length - 1];
    if (last) show('scaling-lambda-max', last.lambdaMax, `${last.lambdaMax.toPrecision(6)} (N = ${last.n})`);
    const fit = typeof study === 'string' ? null : study.fit;
    if (fit) {
      const name = fit.law.parameters[fit.law.coefficientIndex];
      show(
        'scaling-coefficient',
        fit.coefficient,
        // Too few N to refit without the smallest: the ± leaves out the law's finite-N misfit.
        `${name} = ${fit.coefficient.toPrecision(5)} ± ${fit.uncertainty.toExponential(1)}` +
          (fit.windowRefits === 0 ? ' (covariance alone)' : '') +
          freeExponentText(fit),
      );
    }
    showText('scaling-law', typeof study === 'string' ? study : scalingLawText(study));
    if (typeof study !== 'string') this.#scalingRadius(study);
    this.#scalingRows(points);
    const worst = worstCheck(points);
    showText('scaling-check', scalingCheckText(points, this.#scalingOnReference));
    element('scaling-check').className = !worst
      ? ''
      : withinTarget(worst.error, worst.target)
        ? 'good'
        : 'bad';

    // One x axis for the points and the curves: the planned N and a smooth grid, merged. Where
    // Lanczos stopped short, lambda_max is an inner bound, apart and not fitted (summariseStudy).
    const measured = (converged: boolean) =>
      new Map(points.filter((p) => p.lanczos.converged === converged).map((p) => [p.n, p.lambdaMax]));
    const [met, short] = [measured(true), measured(false)];
    const curve = logSpaced(ns[0], ns[ns.length - 1], kCurvePoints);
    const xs = [...new Set([...ns, ...curve])].sort((a, b) => a - b);
    const fitted = (n: number) =>
      fit && n >= fit.nFrom && n <= fit.nTo ? n * fittedCoefficient(fit, n) : null;
    this.#scalingPlot?.setData([
      xs,
      xs.map((n) => met.get(n) ?? null),
      xs.map((n) => short.get(n) ?? null),
      xs.map(fitted),
      xs,
    ]);
    // The legend names the unconverged points only where there are some.
    const rows = element('scaling-plot').querySelectorAll<HTMLElement>('.u-legend .u-series');
    for (const row of rows)
      if (row.textContent?.includes('not converged')) row.style.display = short.size ? '' : 'none';
  }

  /**
   * The table's rows: each point's numbers with their exact values (data-value), λ_min and λ_max
   * marked where Lanczos stopped short (Ritz values, inner bounds of the extremes: the plot draws such
   * a λ_max apart), the check against its target.
   */
  #scalingRows(points: readonly ScalingPoint[]): void {
    const table = element('scaling-points');
    for (const row of table.querySelectorAll('tr:not(:first-of-type)')) row.remove();
    points.forEach((point, k) => {
      const row = create('tr');
      row.append(...kScalingColumns.map(([column]) => create('td', { id: `scaling-${k}-${column}` })));
      table.append(row);
      const id = (column: (typeof kScalingColumns)[number][0]) => `scaling-${k}-${column}`;
      show(id('n'), point.n, String(point.n));
      const short = point.lanczos.converged ? '' : ' (Lanczos not converged: an inner bound)';
      show(id('lambda-min'), point.lambdaMin, `${point.lambdaMin.toPrecision(6)}${short}`);
      show(id('lambda-max'), point.lambdaMax, `${point.lambdaMax.toPrecision(6)}${short}`);
      show(id('lambda-max-over-n'), point.coherentCoefficient, point.coherentCoefficient.toPrecision(6));
      const checked = pointCheck(point);
      show(id('check'), checked?.error ?? null, pointCheckText(point));
      const within = pointWithinTarget(point);
      if (within !== null) element(id('check')).className = within ? 'good' : 'bad';
    });
  }

  #scalingRadius(study: ScalingStudy): void {
    const radius = study.criticalRadius;
    if (radius) show('scaling-radius', radius.metres, criticalRadiusText(radius));
    const paper = study.paperRadiusMetres;
    if (Number.isFinite(paper)) show('scaling-paper-radius', paper, `${markdownNumber(paper, 3)} m`);
    else show('scaling-paper-radius', null, 'R → ∞ (d = 1)');
  }

  // -------------------------------------------------------------------------------------------
  // Response

  /** Called with the N r_e/R the user picks for the map and the canvas. */
  onResponseSelected(listener: (nEpsilon: number) => void): void {
    this.#responseSelected = listener;
  }

  /** A new sweep: everything of the last one cleared. */
  responseStart(description: string, total: number, deviceKind: 'gpu' | 'cpu' = 'gpu'): void {
    this.#deviceWords('response', deviceKind);
    for (const [id] of kCards.response.rows) {
      show(id, null);
      element(id).className = '';
    }
    showText('response-system', description);
    this.responseProgress(0, total);
    this.#response = null;
    this.#responsePlot?.destroy();
    this.#responsePlot = null;
    element('response-plot').innerHTML = '';
    element('response-map').innerHTML = '';
    element('response-profile').innerHTML = '';
    element('response-points').innerHTML = '';
    element('response-columns').innerHTML = '';
    this.#responseIndefinite(null);
    const select = element<HTMLSelectElement>('response-map-select');
    select.innerHTML = '';
    select.disabled = true;
  }

  /**
   * A run that Stop or a signal ended, the page's or a loaded one: the points done of those it had to
   * run, where shown, and the scaling plot's title says how far it got, as the CLI's plots do (that
   * plot grows while the sweep runs; the others are drawn at the end with the stop in their titles).
   */
  sweepStopped(card: StudyCard, stop: SweepStop): void {
    const done = { scaling: 'scaling-done', response: 'response-done' } as Partial<Record<StudyCard, string>>;
    const id = done[card];
    if (id) showText(id, `${stop.points} of ${stop.of}`);
    const plot = card === 'scaling' ? this.#scalingPlot : null;
    const title = plot?.root.querySelector('.u-title');
    if (plot && title) {
      title.textContent = sweepPlotTitle(kScalingPlotTitle, stop);
      namePlot(plot);
    }
  }

  responseProgress(done: number, total: number): void {
    showText('response-done', `${done} of ${total}`);
  }

  /**
   * A finished (or stopped) sweep, or one read back from its JSON: its numbers, table, screening
   * curve (its title marked where `stop` ended the sweep), the map at `selected` where the points
   * have maps, and the current's profile where given.
   */
  response(
    result: ShownResponse,
    total: number,
    selected: number,
    profileSvg = '',
    stop: SweepStop | null = null,
  ): void {
    // The induced current against depth (a run's; a file holds no profiles): the screening layer.
    showFigure('response-profile', profileSvg);
    this.#response = result;
    const { points, spec } = result;
    this.responseProgress(points.length, total);
    const ms = result.milliseconds;
    show('response-time', ms ?? null, ms === undefined ? 'not in the file' : `${(ms / 1000).toFixed(2)} s`);
    const headline = responseStartPoint(points);
    if (headline) {
      show(
        'response-screening',
        headline.screeningRatio,
        `${headline.screeningRatio.toPrecision(6)}${indefiniteMark(headline, headline.screeningRatio)} ` +
          `(N = ${headline.n}, N r_e/R = ${markdownNumber(headline.nEpsilon, 4)})${notConvergedMark(headline)}`,
      );
      markConvergence('response-screening', headline);
      const continuum = headline.continuumRatio;
      show(
        'response-continuum',
        continuum,
        continuum === null ? 'none for this geometry and drive' : continuum.toPrecision(6),
      );
    }
    showText('response-limits', responseLimitsText(result));
    this.#responseTable(result);
    this.#responseCurve(result, stop);
    const largest = points[points.length - 1]?.n;
    const select = element<HTMLSelectElement>('response-map-select');
    select.innerHTML = '';
    for (const point of points.filter((p) => p.n === largest)) {
      const label = `${markdownNumber(point.nEpsilon, 4)}${point.converged ? '' : ' (not converged)'}`;
      const option = create('option', { value: String(point.nEpsilon) }, label);
      option.selected = sameNEpsilon(point.nEpsilon, selected);
      select.append(option);
    }
    select.disabled = select.options.length === 0;
    if (spec.drive !== 'rotation') show('response-london', null, 'rotation only');
    this.#responseShowMap(result, selected);
  }

  #responseShowMap(result: ShownResponse, nEpsilon: number): void {
    const largest = result.points[result.points.length - 1]?.n;
    const point = result.points.find((p) => p.n === largest && sameNEpsilon(p.nEpsilon, nEpsilon));
    if (!point) return;
    const mark = notConvergedMark(point);
    const noMap = responseNoMapReason(result, point);
    showText(
      'response-map-point',
      `N = ${point.n}, N r_e/R = ${markdownNumber(point.nEpsilon, 4)}${mark}${noMap ? ` (${noMap})` : ''}`,
    );
    markConvergence('response-map-point', point);
    const { fieldCentreRatio, londonFieldRatio, continuumFieldCentreRatio, continuumLondonFieldRatio } =
      point;
    // Beside the continuum's where the geometry has one (London's sphere, the shell).
    const beside = (continuum: number | null) =>
      continuum === null ? '' : ` (continuum ${continuum.toPrecision(4)})`;
    show(
      'response-centre',
      fieldCentreRatio,
      fieldCentreRatio === null
        ? 'none (flux)'
        : `${fieldCentreRatio.toPrecision(6)}${indefiniteMark(point, fieldCentreRatio)}` +
            `${beside(continuumFieldCentreRatio)}${mark}`,
    );
    markConvergence('response-centre', point);
    if (result.spec.drive === 'rotation') {
      show(
        'response-london',
        londonFieldRatio,
        londonFieldRatio === null
          ? undefined
          : `${londonFieldRatio.toPrecision(6)}${indefiniteMark(point, londonFieldRatio)}` +
              `${beside(continuumLondonFieldRatio)}${mark}`,
      );
      markConvergence('response-london', point);
    }
    showFigure('response-map', point.fieldMap ? responseFieldMapSvg(result, point) : '');
  }

  #responseTable(result: ShownResponse): void {
    const columns = responseColumns(result);
    const table = element('response-points');
    table.innerHTML = '';
    table.append(create('caption', {}, kResponseTableCaption));
    const head = create('tr');
    head.append(...columns.map(([, key]) => create('th', {}, responseHeader(key, result.spec))));
    table.append(head);
    element('response-columns').replaceChildren(
      ...columns.flatMap(([, key, meaning]) => [
        create('dt', {}, responseHeader(key, result.spec)),
        create('dd', {}, `${meaning} (JSON: ${key})`),
      ]),
    );
    result.points.forEach((point, k) => {
      const row = create('tr', point.converged ? {} : { class: 'bad' });
      row.append(...columns.map(([column]) => create('td', { id: `response-${k}-${column}` })));
      table.append(row);
      for (const [column] of columns) {
        const [value, text] = responseCell(point, column);
        show(`response-${k}-${column}`, value, text);
      }
      // The check judged against its target, as the London card's is.
      const within = pointWithinTarget(point);
      if (within !== null) element(`response-${k}-check`).className = within ? 'good' : 'bad';
    });
    this.#responseIndefinite(indefiniteNote(result.points));
  }

  /** The note on the table's †, shown where a point has one. */
  #responseIndefinite(note: string | null): void {
    const target = element('response-indefinite');
    target.textContent = note ?? '';
    target.hidden = note === null;
  }

  /** The screening ratio against N r_e/R (log x), one series per N, and the continuum curves dashed. */
  #responseCurve(result: ShownResponse, stop: SweepStop | null): void {
    const { points, spec } = result;
    this.#responsePlot?.destroy();
    this.#responsePlot = null;
    const container = element('response-plot');
    container.innerHTML = '';
    if (points.length === 0) return;
    const xs = points.map((p) => p.nEpsilon);
    const [low, high] = [Math.min(...xs), Math.max(...xs)];
    const curve = low < high ? logSpaced(low, high, kCurvePoints) : [];
    const axis = [...new Set([...xs, ...curve])].sort((a, b) => a - b);
    const ns = [...new Set(points.map((p) => p.n))];
    const colours = ['#7fd3ff', '#f2b75c', '#9be38a', '#e58fd0', '#ff8a7a', '#c7b6ff'];
    const series: uPlot.Series[] = [{ label: 'N r_e/R' }];
    const data: (number | null)[][] = [axis];
    ns.forEach((n, k) => {
      const colour = colours[k % colours.length];
      // A solve that did not converge has no ratio to plot: left out, and the legend says so.
      const left = points.filter((p) => p.n === n && !p.converged).length;
      series.push({
        label: `N = ${n}${left ? ` (${left} not converged, not drawn)` : ''}`,
        stroke: colour,
        paths: () => null,
        points: { show: true, size: 8, fill: colour },
      });
      data.push(
        axis.map(
          (x) =>
            points.find((p) => p.n === n && p.converged && sameNEpsilon(p.nEpsilon, x))?.screeningRatio ??
            null,
        ),
      );
    });
    // The ring's circulant depends on N; elsewhere the continuum is one curve (at the largest N).
    const continuumNs = spec.geometry === 'ring' ? ns : [ns[ns.length - 1]];
    for (const n of continuumNs) {
      const values = axis.map((x) => continuumRatio(spec.geometry, spec.drive, n, x / n));
      // A null is a gap: the ring of 2 or 3 has its circulant only below its uniform mode's null.
      if (values.every((value) => value === null)) continue;
      // The ring's circulant of each N in that N's colour (its points sit on it).
      series.push({
        label: spec.geometry === 'ring' ? `circulant, N = ${n}` : 'continuum',
        stroke: spec.geometry === 'ring' ? colours[ns.indexOf(n) % colours.length] : '#aab4c8',
        dash: [6, 4],
        width: 1.5,
        points: { show: false },
      });
      data.push(values);
    }
    this.#responsePlot = new uPlot(
      {
        ...this.#plotSize('response-plot'),
        title: sweepPlotTitle(responseScreeningTitle(spec), stop),
        cursor: { drag: { x: false, y: false } },
        legend: { live: false },
        scales: { x: { time: false, distr: 3 } },
        axes: [
          { label: 'N r_e / R (eq. 49)', ...kAxisStyle, size: 30, labelSize: 16, ...kDecadeTicks },
          {
            label: spec.drive === 'flux' ? 'I / I (eq. 13)' : 'μ / μ_Larmor',
            ...kAxisStyle,
            labelSize: 16,
            ...kLinearTicks,
          },
        ],
        series,
      },
      data as uPlot.AlignedData,
      container,
    );
    namePlot(this.#responsePlot);
  }
}
