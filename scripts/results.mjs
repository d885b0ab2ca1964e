// `npm run results`: regenerates the README's Results and Benchmarks sections and the plots in
// results/ by running the study commands and the bench on this machine's device. Everything between
// the <!-- results:begin --> / <!-- results:end --> (and bench) markers in README.md is rewritten.
// Options: --quick (the scaling sweep to N = 1000 only); --bench-only (only the bench is rerun and
// its section rewritten; the studies stay as the last run left them in results/results.json).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, 'bench-only': { type: 'boolean', default: false } },
});
const quick = values.quick;
// --bench-only keeps every study of the last full run, or refuses: rerunning one of them here would
// rewrite its plots while the Results section stayed as it was.
function previousRun() {
  if (quick) throw new Error('--bench-only reruns no study, so --quick has nothing to shorten');
  let previous;
  try {
    previous = JSON.parse(readFileSync('results/results.json', 'utf8'));
  } catch (error) {
    throw new Error(
      `--bench-only needs results/results.json from a full run (npm run results): ${error.message}`,
      { cause: error },
    );
  }
  const missing = ['scaling', 'london', 'pairing'].filter((key) => !previous[key]);
  if (missing.length > 0)
    throw new Error(`results/results.json lacks ${missing.join(', ')}: run npm run results in full`);
  return previous;
}
let previous = null;
if (values['bench-only']) {
  try {
    previous = previousRun();
  } catch (error) {
    console.error(`error: ${error.message}`);
    process.exit(2);
  }
}

function run(args) {
  console.error(`$ darwin-breit ${args.join(' ')}`);
  const result = spawnSync(process.execPath, ['dist-cli/darwin-breit.mjs', ...args, '--json'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 28,
  });
  if (result.status !== 0) throw new Error(`darwin-breit ${args.join(' ')} exited ${result.status}`);
  return JSON.parse(result.stdout);
}

const build = spawnSync('npm', ['run', '--silent', 'build:cli'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
mkdirSync('results', { recursive: true });

// --quick shortens only the scaling sweep (its default takes ~9 minutes on SwiftShader).
const scaling =
  previous?.scaling ??
  run(['scaling', '--out', 'results', '--markdown', ...(quick ? ['--n-max', '1000'] : [])]);
const london = previous?.london ?? run(['london', '--out', 'results', '--markdown']);
const pairing = previous?.pairing ?? run(['pairing', '--out', 'results', '--markdown']);
const bench = run(['bench', '--n', '256', '--n', '1024', '--n', '2048', '--repeats', '9', '--markdown']);

const device = (d) => `${d.vendor ?? ''} ${d.architecture ?? ''} (${d.description ?? d.kind})`.trim();
const date = new Date().toISOString().slice(0, 10);
const results = [
  `Regenerate with \`npm run results\`${quick ? ' (these: `npm run results -- --quick`, N <= 1000)' : ''}; ${date}, ${device(scaling.device ?? london.device)}.`,
  '',
  '**Collective threshold (`scaling`).** Extreme eigenvalues of the interaction matrix (ε = 1) by Lanczos;',
  '`coefficient` is the N → ∞ limit of λ_max/N (2D, 3D) or the prefactor of N ln N (ring); R* is the size at',
  'which ε λ_max reaches 1 with one electron per atom, N = (R/a0)^d (eq. 51), beside eq. 53-55.',
  '',
  scaling.markdown,
  '',
  ...scaling.studies.map((s) => `![${s.geometry}](results/scaling-${s.geometry}.svg)`),
  '',
  '**London moment (`london`).** N r_e/R at which the centre field of the discrete rotating sphere equals',
  'the London field, and the uniformity of the interior field (GPU Biot-Savart, checked against float64):',
  '',
  london.markdown,
  '',
  ...(london.files ?? []).map((file) => `![london](${file})`),
  '',
  '**Pairing (`pairing`).** Ground state of eq. 45 against eq. 46, and the rings:',
  '',
  pairing.markdown,
  '',
  ...(pairing.files ?? []).map((file) => `![pairing](${file})`),
].join('\n');

const benchText = [
  `\`npm run bench -- --n 256 --n 1024 --n 2048 --repeats 9 --markdown\` on ${device(bench.device)}, ${date}.`,
  "ratio to copy: the kernel's bandwidth over the copy kernel's (bytes read + written) at the same N",
  '(target for the dense matvec: >= 0.7); ratio to fill: over the write-only fill kernel, the bound of',
  'the assembly, which only writes (both targets: the median over runs alternating with the reference',
  'in one command buffer); CG / matvec: one CG iteration over one chosen dense matvec (target:',
  '<= 1.3), both timed by the wall clock as differences of runs, alternately, the readbacks of CG included;',
  'cg_iteration (matvec/step): the dense matvec variant and how the vector work runs (fused: one',
  'workgroup, one launch; split: eleven launches).',
  '',
  bench.markdown,
].join('\n');

let readme = readFileSync('README.md', 'utf8');
const replace = (name, text) => {
  const pattern = new RegExp(`(<!-- ${name}:begin -->\\n)[\\s\\S]*?(\\n<!-- ${name}:end -->)`);
  if (!pattern.test(readme)) throw new Error(`README.md has no <!-- ${name}:begin/end --> markers`);
  readme = readme.replace(pattern, `$1${text}$2`);
};
if (!previous) replace('results', results);
replace('bench', benchText);
writeFileSync('README.md', readme);
writeFileSync('results/results.json', JSON.stringify({ scaling, london, pairing, bench }, null, 2) + '\n');
console.error('README.md and results/ updated');
