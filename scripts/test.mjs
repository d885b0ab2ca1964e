// The README's test command: typecheck, lint, format check, then every vitest test (CPU reference
// and GPU on Dawn). Each static check counts as one test, so the closing line is the whole verdict.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';

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
const report = 'test-results/vitest.json';
console.log('\n> vitest');
const vitest = spawnSync(
  'npx',
  ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`],
  { stdio: 'inherit' },
);
try {
  const results = JSON.parse(readFileSync(report, 'utf8'));
  passed += results.numPassedTests;
  failed += results.numFailedTests + results.numPendingTests + results.numTodoTests;
  // A suite that fails to load runs no tests but is still a failure.
  failed += results.testResults.filter(
    (f) => f.status === 'failed' && f.assertionResults.length === 0,
  ).length;
  if (results.numPendingTests > 0) console.log('skipped tests count as failures: no test may skip');
} catch {
  failed++;
  console.log('vitest wrote no report');
}
if (vitest.status !== 0 && failed === 0) failed++;

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
