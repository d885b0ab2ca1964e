// The README's test command: the system prerequisites, then typecheck, lint, format check, then every
// vitest test (CPU reference, GPU on Dawn, e2e in Chromium). Each static check counts as one test, so
// the closing line is the whole verdict.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';

// Missing system packages stop the run at once with the command that installs them.
if (spawnSync(process.execPath, ['scripts/prerequisites.mjs'], { stdio: 'inherit' }).status !== 0) {
  process.exit(1);
}

/** @type {[name: string, command: string, args: string[]][]} */
const checks = [
  ['typecheck', 'npx', ['tsc', '--noEmit']],
  ['lint', 'npx', ['eslint', '.']],
  ['format', 'npx', ['prettier', '--check', '.']],
];
let passed = 0;
let failed = 0;
for (const [name, command, args] of checks) {
  console.log(`\n> ${name}`);
  const run = spawnSync(command, args, { stdio: 'inherit' });
  if (run.status === 0) passed++;
  else {
    failed++;
    console.log(`${name} FAILED`);
  }
}

mkdirSync('test-results', { recursive: true });
// Unit and GPU tests (Node, Dawn on SwiftShader here), then the e2e tests (Playwright driving
// Debian's Chromium against the built app). Skipped tests count as failures: no test may skip.
for (const [name, config] of [
  ['vitest', 'vite.config.ts'],
  ['e2e', 'vitest.e2e.config.ts'],
]) {
  const report = `test-results/${name}.json`;
  rmSync(report, { force: true }); // a stale report must not stand in for a run that wrote none
  console.log(`\n> ${name}`);
  const run = spawnSync(
    'npx',
    [
      'vitest',
      'run',
      '--config',
      config,
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${report}`,
    ],
    { stdio: 'inherit' },
  );
  let counted = countFailures(name, report);
  if (run.status !== 0 && counted === 0) counted = 1;
  failed += counted;
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

/**
 * Failed, skipped and todo tests of one vitest JSON report (adding its passes to `passed`).
 * @param {string} name
 * @param {string} report
 */
function countFailures(name, report) {
  try {
    /** @type {import('vitest/reporters').JsonTestResults} */
    const results = JSON.parse(readFileSync(report, 'utf8'));
    passed += results.numPassedTests;
    if (results.numPendingTests > 0) console.log(`${name}: skipped tests count as failures`);
    // A suite that fails to load runs no tests but is still a failure.
    const unloaded = results.testResults.filter(
      (f) => f.status === 'failed' && f.assertionResults.length === 0,
    ).length;
    return results.numFailedTests + results.numPendingTests + results.numTodoTests + unloaded;
  } catch {
    console.log(`${name} wrote no report`);
    return 1;
  }
}
