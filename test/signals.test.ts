// Interruption as a user, a scheduler or a closed terminal does it: a real SIGINT, SIGTERM or SIGHUP
// in the middle of a GPU run. The run stops at its next progress report, releases the GPU, prints one
// line and exits with the shell's status (130, 143, 129), and leaves no output file behind, complete
// or half-written, nor its temporary directory. A study's sweep that has finished a point reports
// the points it finished, and exits the same way.
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, onTestFinished, test } from 'vitest';
import { kCommandList } from '../src/cli/commands/index.ts';
import { runCli, runCliActingAt, useCliBundle } from './helpers/cli-bundle.ts';
import { smallRun } from './helpers/commands.ts';

const { cli, bundle, dir } = useCliBundle('signals');

/** The processes below `ancestor` (its children, theirs, ...), from /proc. */
function descendantsOf(ancestor: number): number[] {
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // pid (comm) state ppid ...: comm may hold spaces and parentheses, so read after the last ')'.
      const stat = readFileSync(join('/proc', name, 'stat'), 'utf8');
      parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  for (let next = [ancestor]; next.length > 0;) {
    next = [...parents].filter(([, parent]) => next.includes(parent)).map(([pid]) => pid);
    found.push(...next);
  }
  return found;
}

/** The command line of `pid`, its arguments joined by spaces ('' once it has gone). */
function commandLine(pid: number): string {
  try {
    return readFileSync(join('/proc', String(pid), 'cmdline'), 'utf8')
      .split('\0')
      .join(' ');
  } catch {
    return '';
  }
}

/** Whether `pid` still runs (a zombie, waiting for its parent to reap it, does not). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(join('/proc', String(pid), 'stat'), 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/**
 * The environment of a CLI whose temporary files go into `directory`: without XDG_RUNTIME_DIR, as in
 * CI or a container, where Node's device acquisition makes a directory of its own there.
 */
function privateTemporaryDirectory(directory: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: directory };
  delete env.XDG_RUNTIME_DIR;
  return env;
}

/**
 * Runs the CLI, sends `signal` once its stderr shows `ready`, and resolves with how it ended and what
 * it left in its temporary directory.
 */
async function interrupt(args: string[], ready: RegExp, signal: NodeJS.Signals) {
  const temporary = mkdtempSync(join(tmpdir(), 'darwin-breit-signal-tmp-'));
  const env = privateTemporaryDirectory(temporary);
  const end = await runCliActingAt(bundle, args, ready, (child) => child.kill(signal), env);
  return { ...end, leftInTemporary: readdirSync(temporary) };
}

describe('SIGINT, SIGTERM and SIGHUP in the middle of a run', () => {
  // On the CPU the run is synchronous loops in a worker thread, which the main thread terminates.
  test.each([
    ['gpu', 'SIGINT', 130],
    ['gpu', 'SIGTERM', 143],
    ['gpu', 'SIGHUP', 129],
    ['cpu', 'SIGINT', 130],
    ['cpu', 'SIGTERM', 143],
    ['cpu', 'SIGHUP', 129],
  ] as const)('--device %s, %s: one line, exit %d, no file left', async (device, signal, status) => {
    // A directory the run would create: a stopped run leaves none behind.
    const out = join(mkdtempSync(join(tmpdir(), 'darwin-breit-signal-')), 'results');
    // A Lanczos sweep of several seconds, interrupted at its first point's first line (the CPU's
    // assembly, the GPU's set-up or first Lanczos step), long before that point ends: no point
    // finished, nothing to report. (Its later lines come a second apart on a pipe, the last of them
    // near the point's end.)
    const args = ['scaling', '--geometries', 'ball', '--n-min', '1000', '--n-max', '2000', '--points', '2'];
    const run = await interrupt(
      [...args, '--device', device, '--out', out, '--json'],
      /point 1 of 2/,
      signal,
    );
    expect(run.signal).toBeNull(); // it exited itself, rather than being killed by the signal
    expect(run.status).toBe(status);
    const errors = run.stderr.split('\n').filter((line) => line.startsWith('error:'));
    expect(errors).toEqual([`error: interrupted (${signal}); no file is left half-written`]);
    // stderr is a pipe here, not a terminal: no live line to end, so no empty line before it.
    expect(run.stderr.split('\n').slice(0, -1)).not.toContain('');
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stdout).toBe('');
    expect(existsSync(out)).toBe(false);
    // Nor the GPU's runtime directory (src/gpu/device.ts).
    expect(run.leftInTemporary).toEqual([]);
  });

  test('a GPU run killed outright leaves its runtime directory, and the next run removes it', async () => {
    // SIGKILL (a scheduler's time limit, the OOM killer) runs no exit handler; the directory names its
    // process, which a GPU run an hour on finds gone. A running process's directory (this test's
    // parent's id, alive), a gone one's of less than an hour and names of another form are left alone.
    const temporary = mkdtempSync(join(tmpdir(), 'darwin-breit-signal-tmp-'));
    const env = privateTemporaryDirectory(temporary);
    const killed = await runCliActingAt(
      bundle,
      ['scaling', '--geometries', 'ball', '--n-min', '1000', '--n-max', '2000', '--points', '2', '--json'],
      /point 1 of 2/,
      (child) => child.kill('SIGKILL'),
      env,
    );
    expect(killed.signal).toBe('SIGKILL');
    const left = readdirSync(temporary);
    expect(left).toEqual([expect.stringMatching(/^darwin-breit-xdg-\d+-[A-Za-z0-9]{6}$/)]);
    // Left an hour: a process of another PID namespace sharing the directory is "gone" from here too.
    const fresh = `darwin-breit-xdg-999999999-abcdef`;
    const running = `darwin-breit-xdg-${process.ppid}-abcdef`;
    const otherForm = 'darwin-breit-xdg-abcdef';
    for (const name of [fresh, running, otherForm]) mkdirSync(join(temporary, name));
    const anHourAgo = new Date(Date.now() - 3_601_000);
    for (const name of [left[0], running, otherForm]) utimesSync(join(temporary, name), anHourAgo, anHourAgo);
    // Spawned as is: runCli would set its variables over this process's, XDG_RUNTIME_DIR included.
    const next = spawnSync(
      process.execPath,
      [
        bundle,
        'solve',
        '--geometry',
        'ball',
        '--n',
        '20',
        '--velocity',
        'rigid',
        '--epsilon',
        '0.01',
        '--json',
      ],
      {
        env,
        encoding: 'utf8',
      },
    );
    expect(next.status, next.stderr).toBe(0);
    expect(readdirSync(temporary).sort()).toEqual([fresh, otherForm, running].sort());
  });

  test('a signal before the GPU device is open: one line, exit 143, no runtime directory left', async () => {
    const temporary = mkdtempSync(join(tmpdir(), 'darwin-breit-signal-tmp-'));
    const positions = join(temporary, 'positions.csv');
    expect(spawnSync('mkfifo', [positions]).status).toBe(0);
    const args = ['solve', '--positions', positions, '--velocity', 'rigid', '--epsilon', '0.01', '--json'];
    const child = spawn(process.execPath, [bundle, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: privateTemporaryDirectory(temporary),
    });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const ended = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on('close', (...end) => resolve(end)),
    );
    // The pipe opens once the CLI reads its positions, which it does before it opens a device; the
    // signal comes while it waits for them.
    const writer = await open(positions, 'w');
    child.kill('SIGTERM');
    await writer.writeFile('x,y,z\n1,0,0\n0,1,0\n-1,0,0\n0,-1,0\n');
    await writer.close();
    const [status, killedBy] = await ended;
    expect(killedBy).toBeNull();
    expect(status).toBe(143);
    expect(stderr.split('\n').filter((line) => line.startsWith('error:'))).toEqual([
      'error: interrupted (SIGTERM); no file is left half-written',
    ]);
    expect(stdout).toBe('');
    expect(readdirSync(temporary)).toEqual(['positions.csv']);
  });

  test('--device cpu, SIGINT in the middle of the synchronous assembly of M', async () => {
    const args = ['spectrum', '--geometry', 'ball', '--n', '2000', '--epsilon', '1e-3', '--device', 'cpu'];
    const run = await interrupt([...args, '--json'], /assembling M on the CPU/, 'SIGINT');
    expect(run.signal).toBeNull();
    expect(run.status).toBe(130);
    const errors = run.stderr.split('\n').filter((line) => line.startsWith('error:'));
    expect(errors).toEqual(['error: interrupted (SIGINT); no file is left half-written']);
    expect(run.stdout).toBe('');
  });

  test('SIGINT in a scaling sweep, a long matrix-free Lanczos product: stopped between its pieces', async () => {
    const args = ['scaling', '--geometries', 'ball', '--n-min', '6000', '--n-max', '6000', '--points', '1'];
    const run = await interrupt([...args, '--matrix', 'free', '--json'], /product: chunk/, 'SIGINT');
    expect(run.signal).toBeNull();
    expect(run.status).toBe(130);
    const errors = run.stderr.split('\n').filter((line) => line.startsWith('error:'));
    expect(errors).toEqual(['error: interrupted (SIGINT); no file is left half-written']);
    expect(run.stdout).toBe('');
  });

  test('a command that never opens a GPU (pairing), SIGTERM after some points: those reported, exit 143', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'darwin-breit-signal-')), 'results');
    // A sweep of tens of seconds, so that the signal lands inside it on a loaded machine too: the line of
    // a point after the first, printed a second in, says one finished.
    const ratios = Array.from({ length: 1000 }, (_, k) => (10 * 1e5 ** (k / 999)).toPrecision(6)).join(',');
    const run = await interrupt(
      ['pairing', '--ratios', ratios, '--out', out, '--json'],
      /point (?!1 of)\d+ of 1000/,
      'SIGTERM',
    );
    expect(run.signal).toBeNull();
    expect(run.status).toBe(143);
    const errors = run.stderr.split('\n').filter((line) => line.startsWith('error:'));
    expect(errors).toEqual(['error: interrupted (SIGTERM); no file is left half-written']);
    const summary = JSON.parse(run.stdout);
    const finished = summary.points.length;
    expect(finished).toBeGreaterThan(0);
    expect(finished).toBeLessThan(1000);
    expect(summary.stopped).toEqual({ signal: 'SIGTERM', points: finished, of: 1000 });
    expect(run.stderr).toMatch(
      /^interrupted \(SIGTERM\): dropping the point in progress, reporting the \d+ finished points?; a second signal, half a second on, exits at once$/m,
    );
    expect(readdirSync(out).sort()).toEqual(['pairing-energy.svg', 'pairing-ratio.svg', 'pairing.json']);
    expect(JSON.parse(readFileSync(join(out, 'pairing.json'), 'utf8'))).toEqual({
      ...summary,
      files: undefined,
    });
  });

  test("a CPU sweep stopped while another run holds its --out DIR: its points' files wait for the lock", async () => {
    // The stop that ended the sweep does not give up its files' wait for another run's lock (as the
    // GPU's run does not): the lock, taken as the signal is sent and let go two seconds later, within
    // the 3 s wait, is waited out and the points written.
    const out = join(mkdtempSync(join(tmpdir(), 'darwin-breit-signal-')), 'results');
    const lock = join(out, '.darwin-breit.lock');
    const ratios = Array.from({ length: 1000 }, (_, k) => (10 * 1e5 ** (k / 999)).toPrecision(6)).join(',');
    const run = await runCliActingAt(
      bundle,
      ['pairing', '--ratios', ratios, '--out', out, '--json'],
      /point (?!1 of)\d+ of 1000/,
      (child) => {
        mkdirSync(out, { recursive: true });
        writeFileSync(lock, '');
        child.kill('SIGTERM');
        setTimeout(() => rmSync(lock), 2000);
      },
    );
    expect(run.signal).toBeNull();
    expect(run.status, run.stderr).toBe(143);
    const summary = JSON.parse(run.stdout);
    expect(summary.stopped).toEqual({ signal: 'SIGTERM', points: summary.points.length, of: 1000 });
    expect(run.stderr).not.toMatch(/cannot write into/);
    expect(readdirSync(out).sort()).toEqual(['pairing-energy.svg', 'pairing-ratio.svg', 'pairing.json']);
    expect(JSON.parse(readFileSync(join(out, 'pairing.json'), 'utf8'))).toEqual({
      ...summary,
      files: undefined,
    });
  });

  test('--device gpu, SIGINT in the second point of a scaling sweep: the first reported, exit 130', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'darwin-breit-signal-')), 'results');
    const args = ['scaling', '--geometries', 'ball', '--n-min', '200', '--n-max', '2000', '--points', '3'];
    const run = await interrupt([...args, '--out', out, '--json'], /point 2 of 3[^\n]*Lanczos/, 'SIGINT');
    expect(run.signal).toBeNull();
    expect(run.status).toBe(130);
    const errors = run.stderr.split('\n').filter((line) => line.startsWith('error:'));
    expect(errors).toEqual(['error: interrupted (SIGINT); no file is left half-written']);
    const summary = JSON.parse(run.stdout);
    // The second point's Lanczos run stops at its next readback, long before its end.
    expect(summary.stopped).toEqual({ signal: 'SIGINT', points: 1, of: 3 });
    expect(summary.studies.map((study: { points: { n: number }[] }) => study.points.map((p) => p.n))).toEqual(
      [[200]],
    );
    expect(readdirSync(out).sort()).toEqual([
      'scaling-ball-coefficient.svg',
      'scaling-ball.svg',
      'scaling.csv',
      'scaling.json',
    ]);
    expect(run.leftInTemporary).toEqual([]);
  });

  test('SIGINT in the middle of one long matrix-free product: stopped between its chunks', async () => {
    // p = M v at N = 20 000: 4e8 pairs, tens of seconds on SwiftShader, in chunks of a fraction of a
    // second (src/kernels/matvec-free.ts). The stop comes at a chunk, not from the grace period's
    // "exiting without waiting for the GPU".
    const args = ['solve', '--geometry', 'ball', '--n', '20000', '--velocity', 'rigid', '--epsilon', '1e-4'];
    const run = await interrupt(
      [...args, '--matrix', 'free', '--no-check', '--json'],
      /product: chunk/,
      'SIGINT',
    );
    expect(run.signal).toBeNull();
    expect(run.status).toBe(130);
    const errors = run.stderr.split('\n').filter((line) => line.startsWith('error:'));
    expect(errors).toEqual(['error: interrupted (SIGINT); no file is left half-written']);
    expect(run.stdout).toBe('');
  });

  // Inside a solver, a matrix-free product at N = 6000 (3.6e7 pairs, seconds on SwiftShader) goes
  // piece by piece (src/engine/krylov.ts Recording): the stop comes between pieces, well inside the
  // grace period, where k = 8 products in one command buffer would have outlasted it.
  test('SIGTERM in the middle of a matrix-free CG solve: stopped between the pieces of a product', async () => {
    const out = mkdtempSync(join(tmpdir(), 'darwin-breit-signal-'));
    const momenta = join(tmpdir(), `darwin-breit-momenta-${process.pid}.csv`);
    const rows = Array.from({ length: 6000 }, (_, i) => `${Math.sin(i)},${Math.cos(i)},0`);
    writeFileSync(momenta, ['px,py,pz', ...rows].join('\n') + '\n');
    const args = ['solve', '--geometry', 'ball', '--n', '6000', '--momenta', momenta, '--epsilon', '1e-2'];
    const run = await interrupt(
      [...args, '--matrix', 'free', '--solver', 'cg', '--no-check', '--out', join(out, 'v.csv'), '--json'],
      // A chunk line of a product after the first iteration's readback: seconds in.
      /iteration \d+: [^\n]*product: chunk/,
      'SIGTERM',
    );
    expect(run.signal).toBeNull();
    expect(run.status).toBe(143);
    const errors = run.stderr.split('\n').filter((line) => line.startsWith('error:'));
    expect(errors).toEqual(['error: interrupted (SIGTERM); no file is left half-written']);
    expect(run.stdout).toBe('');
    expect(readdirSync(out)).toEqual([]);
  });

  test('SIGINT in the middle of a matrix-free Lanczos spectrum: stopped between the pieces of a product', async () => {
    const args = ['spectrum', '--geometry', 'ball', '--n', '6000', '--epsilon', '1e-4', '--matrix', 'free'];
    const run = await interrupt([...args, '--no-check', '--json'], /product: chunk/, 'SIGINT');
    expect(run.signal).toBeNull();
    expect(run.status).toBe(130);
    const errors = run.stderr.split('\n').filter((line) => line.startsWith('error:'));
    expect(errors).toEqual(['error: interrupted (SIGINT); no file is left half-written']);
    expect(run.stdout).toBe('');
  });
});

// A command's synchronous loops can be stopped only from another thread: main.ts runs a command the
// registry marks cpuOnly in a worker, and any other on the main thread unless --device cpu is given.
// A command that runs without the GPU by default but is not marked so would never see a signal.
describe('the commands that never open a GPU are the ones the registry runs in a worker', () => {
  test.each(kCommandList)(
    '$name: its run opens a GPU unless the registry marks it cpuOnly',
    ({ name, cpuOnly }) => {
      // --verbose names the adapter as the device opens (src/cli/device.ts).
      const run = runCli(bundle, [...smallRun(name, dir, cli), '--json', '--verbose']);
      expect(run.status, run.stderr).toBe(0);
      expect(/^adapter: /m.test(run.stderr)).toBe(!cpuOnly);
    },
  );
});

describe('a signal to npm, which runs the CLI (npm run --silent cli --)', () => {
  // npm passes SIGTERM on to the script it started; a shell between them (sh -c) would take it and
  // leave the CLI running without a parent. A sweep of a minute, as far as the signal lets it run.
  test('SIGTERM to npm stops the CLI as well', async () => {
    const ratios = Array.from({ length: 2000 }, (_, k) => (10 * 1e5 ** (k / 1999)).toPrecision(6)).join(',');
    const child = spawn('npm', ['run', '--silent', 'cli', '--', 'pairing', '--ratios', ratios, '--json'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    const started = new Promise<void>((resolve) => {
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
        if (/pairing: a_m\/a/.test(stderr)) resolve();
      });
    });
    // npm's own end; 'close' waits for the CLI too, as it shares npm's stderr.
    const exited = new Promise((resolve) => child.on('exit', resolve));
    const closed = new Promise((resolve) => child.on('close', resolve));
    await started;
    const below = descendantsOf(child.pid!);
    // A sweep that outlasts the test's own timeout is left behind only where the test fails.
    onTestFinished(() => below.filter(running).forEach((pid) => process.kill(pid, 'SIGKILL')));
    // Among them the CLI itself, else the wait below would pass on finding none.
    expect(below.map(commandLine)).toContainEqual(expect.stringContaining('scripts/cli.mjs pairing'));
    child.kill('SIGTERM');
    await exited;
    await closed;
    // The CLI heard the signal (a sweep run to its end would not say so), and nothing is left.
    expect(stderr).toMatch(/interrupted \(SIGTERM\)/);
    while (below.some(running)) await delay(100);
  });
});
