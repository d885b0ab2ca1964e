// `npm start`: the main job until the browser app exists: a demonstration run of the CLI on the
// default scenario (a rotating Fibonacci sphere near the collective threshold), then the paper table.
import { spawnSync } from 'node:child_process';

const scenario = ['--geometry', 'sphere', '--n', '2000', '--model', 'vector', '--epsilon', '5e-4'];
const steps = [['solve', ...scenario, '--velocity', 'rigid'], ['spectrum', ...scenario], ['paper']];
const build = spawnSync('npm', ['run', '--silent', 'build:cli'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
for (const args of steps) {
  console.log(`\n$ npm run --silent cli -- ${args.join(' ')}`);
  const run = spawnSync(process.execPath, ['dist-cli/darwin-breit.mjs', ...args], { stdio: 'inherit' });
  if (run.status !== 0) process.exit(run.status ?? 1);
}
