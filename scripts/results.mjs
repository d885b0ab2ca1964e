// `npm run results`: regenerates the README's Results and Benchmarks sections and the plots in
// results/ by running the study commands and the bench on this machine's device. Everything between
// the <!-- results:begin --> / <!-- results:end --> (and bench) markers in README.md is rewritten.
// Options: --quick (the scaling sweep to N = 1000 only); --only PART,... (rerun only these of
// scaling, london, pairing, response, large, bench, tree; the others stay as the last run left them
// in results/results.json); --bench-only is --only bench. `large` (the ball at N >= 5e4 with --matrix
// tree) takes --large-n N (default 100000) and --large-device cpu|gpu (default cpu: the float64 tree).
// `tree` (the GPU tree's product against the matrix-free one, and the solvers with it) writes the
// Benchmarks' fast multipole part, between the <!-- tree:begin/end --> markers.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freeExponentLines, ringPrefactorLines } from './results-text.mjs';

// The JSON of the commands it runs, by the types their reports build it with: a key renamed there
// fails the typecheck here, not a run of the parts. Each part keeps the day it was measured (`run`).
/** @typedef {{ date: string }} Dated */
/**
 * The table that --markdown adds.
 * @typedef {{ markdown: string }} Tabled
 */
/** @typedef {import('../src/io/formats.ts').DeviceSummary} DeviceSummary */
/** @typedef {import('../src/studies/scaling/report.ts').ScalingJson & Tabled & Dated} ScalingRun */
/** @typedef {import('../src/studies/london/report.ts').LondonJson & Tabled & Dated} LondonRun */
/** @typedef {import('../src/studies/pairing/report.ts').PairingJson & Tabled & Dated} PairingRun */
/**
 * @typedef {ReturnType<typeof import('../src/studies/response/report.ts').responseSummary> &
 *   { files: string[] } & Tabled & Dated} ResponseRun
 */
/** @typedef {import('../src/run/report.ts').SpectrumJson & Dated} SpectrumRun */
/**
 * `bench --markdown --json` (src/cli/commands/bench.ts benchOutput).
 * @typedef {{
 *   device: DeviceSummary;
 *   kernels: import('../src/cli/commands/bench.ts').BenchRow[];
 * } & Tabled & Dated} BenchRun
 */
/** @typedef {import('../src/run/report.ts').SolveJson & Dated} SolveRun */
/**
 * A response sweep of the README: its name, which names its plots and its caption, and its flags.
 * @typedef {{
 *   name: keyof typeof kResponseCaptions;
 *   args: string[];
 *   maps?: boolean;
 *   centre?: boolean;
 * }} ResponseSweep
 */
/**
 * results/results.json: every part as its last run left it (`large` and `tree` absent from a run
 * before them).
 * @typedef {{
 *   scaling: ScalingRun;
 *   london: LondonRun;
 *   pairing: PairingRun;
 *   response: ReturnType<typeof responseSweep>[];
 *   large?: ReturnType<typeof largeN> | null;
 *   bench: BenchRun;
 *   tree?: ReturnType<typeof treePart> | null;
 * }} Results
 */

/** @type {(keyof Results)[]} */
const kParts = ['scaling', 'london', 'pairing', 'response', 'large', 'bench', 'tree'];

/** @param {unknown} error */
const messageOf = (error) => (error instanceof Error ? error.message : String(error));

/** The options, or a one-line error and exit 2. */
function options() {
  try {
    return parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        only: { type: 'string' },
        'bench-only': { type: 'boolean', default: false },
        'large-n': { type: 'string', default: '100000' },
        'large-device': { type: 'string', default: 'cpu' },
      },
    }).values;
  } catch (error) {
    console.error(`error: ${messageOf(error)}`);
    process.exit(2);
  }
}
const values = options();
const quick = values.quick;
const only = values['bench-only'] ? ['bench'] : (values.only?.split(',') ?? kParts);

// A partial run keeps every other part of the last full run, or refuses: rerunning a part without
// the others would leave the README's sections out of step with results/.
function previousRun() {
  const unknown = only.filter((part) => !kParts.some((known) => known === part));
  if (unknown.length > 0) throw new Error(`--only takes ${kParts.join(',')}, got ${unknown.join(',')}`);
  if (quick && !only.includes('scaling'))
    throw new Error('--quick shortens only scaling, which is not rerun');
  if (only.length === kParts.length) return null;
  /** @type {Results} */
  let previous;
  try {
    previous = JSON.parse(readFileSync('results/results.json', 'utf8'));
  } catch (error) {
    throw new Error(
      `a partial run needs results/results.json from a full run (npm run results): ${messageOf(error)}`,
      { cause: error },
    );
  }
  // `large` and `tree` came after the others: a results.json from before them lacks them, and their
  // sections wait for them.
  const missing = kParts.filter(
    (key) => !only.includes(key) && !previous[key] && key !== 'large' && key !== 'tree',
  );
  if (missing.length > 0)
    throw new Error(`results/results.json lacks ${missing.join(', ')}: run npm run results in full`);
  // A part kept from a run whose command did not yet print its table would leave the README's empty.
  const untabled = /** @type {const} */ (['scaling', 'london', 'pairing', 'bench']).filter(
    (key) => !only.includes(key) && typeof previous[key].markdown !== 'string',
  );
  if (untabled.length > 0) {
    throw new Error(
      `results/results.json's ${untabled.join(', ')} has no Markdown table: npm run results -- --only ${untabled.join(',')}`,
    );
  }
  return previous;
}
/** @type {Results | null} */
let previous = null;
try {
  previous = previousRun();
} catch (error) {
  console.error(`error: ${messageOf(error)}`);
  process.exit(2);
}

/**
 * A part measured anew where --only names it, else as the last run left it.
 * @template {keyof Results} K
 * @param {K} part
 * @param {() => Results[K]} measure
 * @returns {Results[K]}
 */
function rerunOrKept(part, measure) {
  if (only.includes(part)) return measure();
  // previousRun read results.json wherever --only leaves a part out.
  if (previous === null) throw new Error(`no results/results.json to keep ${part} from`);
  return previous[part];
}

const today = new Date().toISOString().slice(0, 10);

/**
 * The JSON of `darwin-breit ARGS --json` and the day it ran, as the caller's type names it.
 * @template T
 * @param {string[]} args
 * @returns {T}
 */
function run(args) {
  console.error(`$ darwin-breit ${args.join(' ')}`);
  const result = spawnSync(process.execPath, ['dist-cli/darwin-breit.mjs', ...args, '--json'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 28,
  });
  if (result.status !== 0) throw new Error(`darwin-breit ${args.join(' ')} exited ${result.status}`);
  // Each part keeps the day it was measured, so a partial rerun dates only what it reran.
  return { ...JSON.parse(result.stdout), date: today };
}

const build = spawnSync('npm', ['run', '--silent', 'build:cli'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
mkdirSync('results', { recursive: true });

// --quick shortens only the scaling sweep, the longest part.
const scaling = rerunOrKept('scaling', () =>
  run(['scaling', '--out', 'results', '--markdown', ...(quick ? ['--n-max', '1000'] : [])]),
);
// The Results' bodies reach N = 4000, whose uniformity the prose quotes, past the sizes the command's
// defaults keep within the float32 map's check (its table shows that check).
const london = rerunOrKept('london', () =>
  run(['london', '--n', '250,1000,4000', '--out', 'results', '--markdown']),
);
const pairing = rerunOrKept('pairing', () => run(['pairing', '--out', 'results', '--markdown']));

// The response study's sweeps (issue 11): each into a scratch folder, from which the plots the README
// shows are copied into results/ under the sweep's name (the per-electron CSVs stay behind).
/** @type {ResponseSweep[]} */
const kResponseSweeps = [
  { name: 'ring-field', args: ['--geometry', 'ring', '--model', 'azimuthal', '--n', '16,64,256,1024'] },
  {
    name: 'ring-flux',
    args: ['--geometry', 'ring', '--model', 'azimuthal', '--n', '16,64,256,1024', '--drive', 'flux'],
  },
  { name: 'disk-field', args: ['--geometry', 'disk', '--dim', '2', '--n', '250,1000,4000'] },
  { name: 'sphere-field', args: ['--geometry', 'sphere', '--n', '250,1000,4000'], centre: true },
  // The ball's five N: the fit window's refits and the exponent fitted free too (four N or more), whose
  // c differs from the law's by ~1e-3, more than three N's covariance says.
  {
    name: 'ball-field',
    args: ['--geometry', 'ball', '--n', '250,500,1000,2000,4000', '--grid', '41'],
    maps: true,
    centre: true,
  },
  {
    name: 'ball-rotation',
    args: ['--geometry', 'ball', '--n', '250,500,1000,2000,4000', '--drive', 'rotation'],
    centre: true,
  },
];
/** @param {ResponseSweep} sweep */
function responseSweep({ name, args, maps, centre }) {
  const scratch = mkdtempSync(join(tmpdir(), 'darwin-breit-response-'));
  try {
    /** @type {ResponseRun} */
    const result = run(['response', ...args, '--markdown', '--out', scratch]);
    /** @type {string[]} */
    const files = [];
    /**
     * @param {string} from
     * @param {string} to
     */
    const keep = (from, to) => {
      copyFileSync(join(scratch, from), join('results', to));
      files.push(`results/${to}`);
    };
    keep('response-screening.svg', `response-${name}.svg`);
    if (centre) keep('response-centre.svg', `response-${name}-centre.svg`);
    if (maps) {
      keep('response-profile.svg', `response-${name}-profile.svg`);
      const largest = Math.max(...result.points.map((p) => p.n));
      for (const x of [0.3, 30]) {
        keep(`response-map-n${largest}-x${x.toPrecision(3)}.svg`, `response-${name}-map-x${x}.svg`);
      }
    }
    return { name, ...result, files };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
const response = rerunOrKept('response', () => kResponseSweeps.map(responseSweep));
// The large-N points (issue 12): the ball's screening at N r_e/R = 3 and 30 and lambda_max/N of its
// interaction matrix at one N of 5e4 or more, the product by the fast multipole tree (--matrix tree,
// tolerance 1e-5). Lanczos is stopped after kLargeLanczosProducts products: lambda_max, the
// isolated top of the spectrum, has converged long before lambda_min (a dense cluster) would, and
// its residual bound says how far.
const kLargeLanczosProducts = 150;
/** The tree's tolerance of the part: the CLI's default, named here so the section can say it. */
const kLargeTreeTolerance = 1e-5;
function largeN() {
  const backend = [
    ...['--matrix', 'tree', '--tree-tol', String(kLargeTreeTolerance)],
    ...['--device', values['large-device']],
  ];
  const ball = ['--geometry', 'ball', '--n', values['large-n']];
  /** @type {ResponseRun} */
  const screening = run(['response', ...ball, '--n-epsilon', '3,30', ...backend, '--markdown']);
  /** @type {SpectrumRun} */
  const spectrum = run([
    'spectrum',
    ...ball,
    '--epsilon',
    '1',
    ...backend,
    '--tol',
    '1e-6',
    '--max-iter',
    String(kLargeLanczosProducts),
  ]);
  return { screening, spectrum, date: today };
}
const large = rerunOrKept('large', largeN) ?? null;

// The fast multipole tree on the GPU (issue 12): bench's matvec_tree beside matvec_free on spheres of
// kTreeBenchN, and the solvers with it. CG and MINRES solve the momenta of random velocities formed by
// the matrix-free product, with either operator; Lanczos runs on each from the same start vector to
// 1e-6, at most kTreeLanczosProducts products (lambda_min, in a dense cluster, may stop there
// unconverged: its residual bound says how far).
const kTreeBenchN = [8000, 10000, 20000, 50000, 100000];
const kTreeSolverSystem = ['--geometry', 'sphere', '--n', '20000', '--epsilon', '1.5e-4'];
const kTreeLanczosProducts = 200;
function treePart() {
  /** @type {BenchRun} */
  const bench = run([
    'bench',
    ...['--only', 'matvec_free,matvec_tree', '--repeats', '3'],
    ...kTreeBenchN.flatMap((n) => ['--n', String(n)]),
  ]);
  const scratch = mkdtempSync(join(tmpdir(), 'darwin-breit-tree-'));
  try {
    const solves = ['cg', 'minres'].map((solver) => {
      const given = join(scratch, `free-${solver}.csv`);
      const solved = join(scratch, `tree-${solver}.json`);
      /** @type {SolveRun} */
      const free = run([
        ...['solve', ...kTreeSolverSystem, '--velocity', 'random', '--matrix', 'free'],
        ...['--solver', solver, '--out', given],
      ]);
      /** @type {SolveRun} */
      const tree = run([
        ...['solve', ...kTreeSolverSystem, '--momenta', given, '--matrix', 'tree'],
        ...['--solver', solver, '--out', solved],
      ]);
      // The matrix-free solution, from its CSV's vx,vy,vz, beside the tree's from its JSON.
      const [header, ...rows] = readFileSync(given, 'utf8').trim().split('\n');
      const columns = ['vx', 'vy', 'vz'].map((name) => header.split(',').indexOf(name));
      const freeV = rows.flatMap((row) => {
        const cells = row.split(',');
        return columns.map((k) => Number(cells[k]));
      });
      /** @type {{ velocities: number[] }} */
      const treeJson = JSON.parse(readFileSync(solved, 'utf8'));
      const treeV = treeJson.velocities;
      let squares = 0;
      let reference = 0;
      for (let k = 0; k < freeV.length; k++) {
        squares += (freeV[k] - treeV[k]) ** 2;
        reference += freeV[k] ** 2;
      }
      const difference = Math.sqrt(squares / reference);
      const { iterations, true_relative_residual, round_trip_error, converged } = free;
      return {
        solver,
        free: { iterations, true_relative_residual, round_trip_error, converged },
        tree: {
          iterations: tree.iterations,
          true_relative_residual: tree.true_relative_residual,
          converged: tree.converged,
          tree: tree.tree,
        },
        difference,
      };
    });
    /**
     * @param {'free' | 'tree'} matrix
     * @returns {SpectrumRun}
     */
    const spectrum = (matrix) =>
      run([
        ...['spectrum', ...kTreeSolverSystem, '--matrix', matrix],
        ...['--tol', '1e-6', '--max-iter', String(kTreeLanczosProducts)],
      ]);
    const spectra = { free: spectrum('free'), tree: spectrum('tree') };
    return { bench, solves, spectra, date: today };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
const tree = rerunOrKept('tree', treePart) ?? null;

const bench = rerunOrKept('bench', () =>
  run(['bench', '--n', '256', '--n', '1024', '--n', '2048', '--repeats', '9', '--markdown']),
);

// The Results section's part for the response study: one table and plot per sweep, with what it is.
const kResponseCaptions = {
  'ring-field':
    'Ring of N electrons (azimuthal model) in a uniform field: every N equals the circulant closed form ' +
    '1/(1 + ε Σ_{j≠0} V_φ(2πj/N)) (the continuum column, at the largest N); at fixed N r_e/R the ' +
    'screening keeps growing with N, since Σ V_φ ~ (N/π) ln N: a ring has no continuum limit (eq. 53). ' +
    'Past N r_e/R = π/ln 2 ≈ 4.53 M is indefinite for all large enough N (λ_min(T) ≈ −(2 ln 2) N/2π; ' +
    'at finite N the threshold lies above it, 4.62 at N = 16), but the field drives only the uniform ' +
    'mode, an eigenvector of the circulant whose eigenvalue 1 + ε Σ V_φ stays positive from N = 4 on ' +
    '(for N = 2 and 3 Σ V_φ < 0, and it turns negative at N r_e/R = 8 and 20.8: no continuum there).',
  'ring-flux':
    'The same ring threaded by a thin solenoid’s flux (eq. 5-13): the same ratios as the field, since ' +
    'both vector potentials are uniform along the ring.',
  'disk-field':
    'Disk (a 2D film, in-plane velocities) in a perpendicular field: no closed form across the range; ' +
    'R/Λ = 2 N r_e/R is the radius over the Pearl length. Its two ends have one: 1 − (32/15π) N r_e/R at ' +
    'weak coupling (the rigid rotation’s quotient, `scaling`’s rotation fit), and 16/(3π N r_e/R) at ' +
    'strong, the moment −(8/3)R³H of a perfectly diamagnetic thin disk over the Larmor moment.',
  'sphere-field':
    'Electrons on a sphere (a thin shell) in a uniform field, beside the shell’s self-consistent rigid ' +
    'rotation 1/(1 + N r_e/3R), which is also its interior field over B_ext; R/Λ = N r_e/2R is the ' +
    'radius over the shell’s Pearl length Λ = 2m/(μ0 n_s e²), and the continuum is the thin ' +
    'superconducting shell’s 1/(1 + 2R/3Λ).',
  'ball-field':
    'A uniform ball in a uniform field, beside London’s superconducting sphere with λ_L² = m/(μ0 n e²), ' +
    'i.e. (R/λ_L)² = 3 N r_e/R; B(0)/B_ext: the field left at the centre (a field switched on at rest, ' +
    'excluded as by a perfect conductor), beside London’s sphere’s x/sinh x, x = R/λ_L.',
  'ball-rotation':
    'The ball spun up to Ω (eq. 27-30): μ/μ_lag, the electrons’ lag moment over that of electrons all ' +
    'lagging fully (the field’s ratio again, by Larmor’s theorem); the real field at the centre over the ' +
    'London field 2mΩ/|e|, beside London’s sphere’s 1 − x/sinh x; and N_eff r_e/R, the N r_e/R of the ' +
    'fully lagging electrons that give it (eq. 30’s 3 is for charge on a shell; spread uniformly through ' +
    'the ball the lagging electrons give 2).',
};
function responseSection() {
  const lines = [
    '**Response to a field, a flux, a rotation (`response`).** The induced moment over the Larmor moment',
    'without the Darwin term (`screening_ratio`) against N r_e/R, at each N, extrapolated to N → ∞ (fit',
    'c + b N^-p, p = 1/2 on surfaces, 2/3 in solids; from four N, in parentheses, the c with p free too,',
    'whose distance from it, the JSON’s `uncertainty_systematic`, lies apart from the ±), beside the',
    'continuum theory. Each solve goes to',
    '10⁻¹⁰; (diverged_indefinite) marks a point where CG met negative curvature: M is indefinite there',
    '(ε |λ_min(T)| > 1, neighbours within about 1–2 r_e), and CG may still converge at such a point where',
    'the drive stays clear of M’s negative modes (the ring from N r_e/R = 10, the sphere of 250 at 30):',
    '',
  ];
  for (const sweep of response) {
    lines.push(`*${sweep.name}.* ${kResponseCaptions[sweep.name]}`, '', sweep.markdown, '');
    lines.push(...sweep.files.map((file) => `![${sweep.name}](${file})`), '');
  }
  return lines;
}

/**
 * A Markdown table less the columns with no value in any row ('–': an N -> infinity fit of one N).
 * @param {string} markdown
 */
function withoutEmptyColumns(markdown) {
  const rows = markdown
    .trim()
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .map((line) => line.slice(1, -1).split('|'));
  const body = rows.slice(2);
  const keep = rows[0].map((_, column) => body.some((cells) => cells[column].trim() !== '–'));
  return rows.map((cells) => `|${cells.filter((_, column) => keep[column]).join('|')}|`).join('\n');
}

// Past the dense check the spectrum's top Ritz vector's residual against the direct sum's float64
// rows (src/run/check.ts sampledRitzResidual), relative to lambda_max: an eigenvalue of the direct
// sum lies within it.
/** @param {SpectrumRun} spectrum */
function ritzChecked(spectrum) {
  const { check } = spectrum;
  const residual = check?.residual_max;
  if (!check || typeof residual !== 'number') return [];
  // The check's residuals are relative to the largest |lambda|.
  const scale = Math.max(Math.abs(spectrum.lambda_min), Math.abs(spectrum.lambda_max));
  const shift = (residual * scale) / spectrum.configuration.n;
  return [
    `Its Ritz vector's residual ‖Ay − λy‖/‖y‖ against the direct sum's float64 rows (${check.sampled_electrons}`,
    `sampled electrons and those where the vector is largest) is ${residual.toExponential(1)} of the largest |λ|: the direct`,
    `sum has an eigenvalue whose (λ − 1)/N lies within ${shift.toExponential(1)} of this λ_max/N.`,
  ];
}

// The Results section's large-N part: the screening table, and lambda_max/N beside the scaling fit.
function largeSection() {
  if (!large) return [];
  const { screening, spectrum } = large;
  // The tree's details as the backend reports them (`tree` after `matrix`), or the tolerance asked.
  const tree = spectrum.tree ?? { tolerance: kLargeTreeTolerance };
  const n = spectrum.configuration.n;
  // The vector model's D = I: lambda(D^-1/2 M D^-1/2 at eps = 1) - 1 is the interaction matrix's.
  const coefficient = (spectrum.lambda_max - 1) / n;
  // Weyl: the tree's error of T moves lambda_max by at most its norm, tolerance * |lambda_max|.
  const error = tree.tolerance * Math.abs(spectrum.lambda_max) + spectrum.residual_bound_max;
  const where = `${screening.device.kind === 'cpu' ? 'float64 CPU' : device(screening.device)}`;
  /** @param {number} x */
  const figure = (x) => x.toPrecision(5);
  // The ball's scaling fit at this N, where it has one (c + b N^-p).
  const fit = scaling.studies.find((study) => study.geometry === 'ball')?.fit;
  const beside =
    !fit || fit.exponent === null
      ? ''
      : `, beside the scaling fit's ${fit.law.replace('lambda_max/N = ', '')} at this N: ` +
        figure(fit.parameters.c + fit.parameters.b * n ** -fit.exponent) +
        // The fixed exponent's fit undershoots the larger N (src/studies/fits.ts uncertaintySystematic).
        (fit.free_exponent === null || fit.free_exponent_coefficient === null
          ? ''
          : ` (the fit undershoots larger N: with its exponent free, p = ${fit.free_exponent.toFixed(2)}, ` +
            `c = ${figure(fit.free_exponent_coefficient)})`);
  // Past the dense check each solve's residual against direct float64 rows of M (src/run/check.ts).
  const residuals = screening.points.flatMap(({ sampled_residual: residual, n_epsilon: nEpsilon }) =>
    typeof residual === 'number'
      ? [`${residual.toExponential(1)} at N r_e/R = ${Number(nEpsilon.toPrecision(3))}`]
      : [],
  );
  const checked = residuals.length
    ? [
        `Each solve's residual ‖b − Mv‖/‖b‖ against the direct sum's float64 rows at 256 sampled electrons`,
        `(the tree's error on the solution with the solve's own): ${residuals.join(', ')}.`,
        '',
      ]
    : [];
  return [
    `**Large N (\`--matrix tree\`).** The uniform ball of N = ${n} electrons, the product by the fast`,
    `multipole tree (tolerance ${tree.tolerance.toExponential(0)}${tree.order ? `, order ${tree.order}` : ''}, ${where}), ${large.date}. Screening at`,
    'N r_e/R = 3 and 30 beside London’s sphere (the N → ∞ fits of the table above come from N ≤ 4000):',
    '',
    withoutEmptyColumns(screening.markdown),
    '',
    ...checked,
    `λ_max/N of the interaction matrix at N = ${n}: ${figure(coefficient)} ± ${(error / n).toExponential(1)}`,
    `(the tree's tolerance of λ_max and the Lanczos residual bound, ${spectrum.iterations} products)${beside}.`,
    ...ritzChecked(spectrum),
    '',
  ];
}

/** @param {DeviceSummary} d */
const device = (d) =>
  `${[d.vendor, d.architecture, d.model].filter(Boolean).join(' ')} (${d.description ?? d.kind})`.trim();
/**
 * The plots among a study's files (`--out` writes its JSON summary beside them, which stays data).
 * @param {readonly string[] | undefined} files
 */
const figures = (files) => (files ?? []).filter((file) => file.endsWith('.svg'));

// The days the parts were measured, parts of one day together: 'PART, PART DAY; PART DAY'.
const measured = Object.entries({ scaling, london, pairing, response: response[0], ...(large && { large }) })
  .reduce(
    (days, [part, value]) => days.set(value.date, [...(days.get(value.date) ?? []), part]),
    /** @type {Map<string, string[]>} */ (new Map()),
  )
  .entries();
const dates = [...measured].map(([day, parts]) => `${parts.join(', ')} ${day}`).join('; ');
const results = [
  `Regenerate with \`npm run results\`${quick ? ' (these: `npm run results -- --quick`, N <= 1000)' : ''}; ${dates}; ${device(scaling.device ?? london.device)}.`,
  '',
  '**Collective threshold (`scaling`).** Extreme eigenvalues of the interaction matrix (ε = 1) by Lanczos;',
  '`coefficient` is the N → ∞ limit of λ_max/N (2D, 3D) or the prefactor of N ln N (ring); R* is the size at',
  'which ε λ_max reaches 1 with one electron per atom, N = (R/a0)^d (eq. 51), beside eq. 53-55.',
  ...ringPrefactorLines(scaling.studies),
  'A point whose Lanczos stopped short of its tolerance holds inner bounds of the extreme eigenvalues: the',
  'plots draw it grey, and the fit leaves it out. `N fitted`: the fit takes the points at N ≥ 32 alone',
  '(smaller N are pre-asymptotic; with fewer than its parameters + 1 there, no fit and no R*).',
  ...freeExponentLines(scaling.studies),
  'The coefficient with p free is given in parentheses; the JSON carries the difference as',
  '`uncertainty_systematic`, and R* takes it with the ±.',
  '',
  scaling.markdown,
  '',
  ...scaling.studies.map((s) => `![${s.geometry}](results/scaling-${s.geometry}.svg)`),
  '',
  '**London moment (`london`).** N r_e/R at which the centre field of the discrete rotating sphere equals',
  'the London field, and the uniformity of the interior field (float64 sums; the maps the GPU Biot-Savart’s,',
  'checked against float64 over the inner B_z spread), with its B_z part (what the maps draw) and its',
  'transverse part (the golden-angle azimuths’, ~1/N):',
  '',
  london.markdown,
  '',
  ...figures(london.files).map((file) => `![london](${file})`),
  '',
  ...responseSection(),
  ...largeSection(),
  '**Pairing (`pairing`).** Ground state of eq. 45 against eq. 46, and the rings:',
  '',
  pairing.markdown,
  '',
  ...figures(pairing.files).map((file) => `![pairing](${file})`),
].join('\n');

const benchText = [
  `\`npm run bench -- --n 256 --n 1024 --n 2048 --repeats 9 --markdown\` on ${device(bench.device)}, ${bench.date}.`,
  "ratio to copy: the kernel's bandwidth over the copy kernel's (bytes read + written) at the same N",
  '(target for the dense matvec: >= 0.7); ratio to fill: over the write-only fill kernel, the bound of',
  'the assembly, which only writes (both targets: the median over runs alternating with the reference,',
  'round by round); CG / matvec: one CG iteration over one chosen dense matvec (target:',
  '<= 1.3), both timed by the wall clock as differences of runs, alternately, the readbacks of CG included;',
  'cg_iteration (matvec/step): the dense matvec variant and how the vector work runs (fused: one',
  "workgroup, one launch; split: eleven launches); response_sweep: the response study's six N r_e/R at one N",
  'on one assembly of T, eps changed as a uniform, each solve warm-started (warm) or from zero (cold).',
  '',
  bench.markdown,
].join('\n');

// The Benchmarks' fast multipole part: the products side by side, then the solvers with each.
function treeText() {
  if (!tree) return '(`npm run results -- --only tree` has not run yet.)';
  const { bench: treeBench, solves, spectra } = tree;
  /** @param {number | null | undefined} x */
  const exponent = (x) => (x === undefined || x === null ? '-' : x.toExponential(1));
  /**
   * Whole, its thousands apart ('-' for a value the row lacks).
   * @param {number | undefined} x
   */
  const grouped = (x) =>
    x === undefined ? '-' : String(Math.round(x)).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
  const rows = treeBench.kernels.filter((row) => row.name === 'matvec_tree');
  /** @param {number} n */
  const freeMs = (n) =>
    treeBench.kernels.find((row) => row.name === 'matvec_free' && row.n === n && !row.variant)?.ms;
  const details = solves[0].tree.tree;
  const system = `sphere of ${grouped(spectra.free.configuration.n)}, ε = ${spectra.free.configuration.epsilon} (N r_e/R = ${Number(spectra.free.n_epsilon.toPrecision(6))})`;
  /** @param {SpectrumRun} s */
  const lambda = (s) => `${s.lambda_min.toFixed(6)}, ${s.lambda_max.toFixed(6)}`;
  /**
   * @param {number} a
   * @param {number} b
   */
  const relative = (a, b) => Math.abs(a - b) / Math.abs(b);
  return [
    `\`npm run results -- --only tree\` on ${device(treeBench.device)}, ${tree.date}: \`bench --only`,
    `matvec_free,matvec_tree --repeats 3\` on spheres (vector 3D, ε = 10⁻³), tolerance 10⁻⁵ (order ${details?.order ?? '-'},`,
    `θ = ${details?.theta ?? '-'}). The milliseconds are each product’s medians over runs alternating the two,`,
    'the speed-up the median of their ratios in those runs (near the quotient of the two); asymmetry is',
    '|x·T̃w − w·T̃x| / (‖x‖ ‖T̃w‖) for random x, w, the matrix-free product’s in brackets (float32’s own floor):',
    '',
    '| N | matvec_free ms | matvec_tree ms | speed-up | relative_error | asymmetry (free) | direct pairs | M2L |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (row) =>
        `| ${grouped(row.n)} | ${grouped(freeMs(row.n))} | ${grouped(row.ms)} | ${row.speedup?.toFixed(2) ?? '-'} | ` +
        `${exponent(row.relative_error)} | ${exponent(row.asymmetry)} (${exponent(row.free_asymmetry)}) | ` +
        `${grouped(row.direct_pairs)} | ${grouped(row.translations)} |`,
    ),
    '',
    '#### The solvers with the tree',
    '',
    `CG, MINRES and Lanczos run with the tree unchanged. On a ${system}, whose tree sums`,
    `${grouped(details?.direct_pairs ?? 0)} pairs directly and ${grouped(details?.translations ?? 0)} M2L a product: the momenta of random`,
    'velocities (seed 1), p = M v by the matrix-free product, solved back to 10⁻⁶ with either operator',
    '(`solve --momenta`), the difference of the two solutions, normwise; and the extreme eigenvalues of',
    `D^-1/2 M D^-1/2 by Lanczos from the same start vector on each (\`spectrum --tol 1e-6 --max-iter ${kTreeLanczosProducts}\`):`,
    '',
    '| solver | iterations: matrix-free | iterations: tree | true residual: matrix-free | true residual: tree | ‖v_tree − v_free‖/‖v_free‖ |',
    '|---|---|---|---|---|---|',
    ...solves.map(
      ({ solver, free, tree: t, difference }) =>
        `| ${solver === 'cg' ? 'CG' : 'MINRES'} | ${free.iterations} | ${t.iterations} | ${exponent(free.true_relative_residual)} | ` +
        `${exponent(t.true_relative_residual)} | ${exponent(difference)} |`,
    ),
    '',
    '| Lanczos | products | λ_min, λ_max | residual bounds |',
    '|---|---|---|---|',
    .../** @type {const} */ (['free', 'tree']).map((matrix) => {
      const s = spectra[matrix];
      return (
        `| ${matrix === 'free' ? 'matrix-free' : 'tree'} | ${s.iterations} | ${lambda(s)} | ` +
        `${exponent(s.residual_bound_min)}, ${exponent(s.residual_bound_max)} |`
      );
    }),
    '',
    `The tree’s λ_min and λ_max differ from the matrix-free ones by ${exponent(relative(spectra.tree.lambda_min, spectra.free.lambda_min))} and`,
    `${exponent(relative(spectra.tree.lambda_max, spectra.free.lambda_max))} (relative).`,
  ].join('\n');
}

let readme = readFileSync('README.md', 'utf8');
/**
 * @param {string} name
 * @param {string} text
 */
const replace = (name, text) => {
  const pattern = new RegExp(`(<!-- ${name}:begin -->\\n)[\\s\\S]*?(\\n<!-- ${name}:end -->)`);
  if (!pattern.test(readme)) throw new Error(`README.md has no <!-- ${name}:begin/end --> markers`);
  readme = readme.replace(pattern, `$1${text}$2`);
};
replace('results', results);
replace('bench', benchText);
replace('tree', treeText());
writeFileSync('README.md', readme);
writeFileSync(
  'results/results.json',
  JSON.stringify({ scaling, london, pairing, response, large, bench, tree }, null, 2) + '\n',
);
console.error('README.md and results/ updated');
