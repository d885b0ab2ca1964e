// A study's sweep stopped by a signal after it finished a point keeps what it finished: the command
// completes with those points (its text, its JSON marked "stopped", its --out files of them), and the
// point in progress is dropped. The signal is stood in for as each path delivers it: on the GPU's
// thread Progress.interrupt (signals.ts stopAtProgress), in a CPU run's worker the stop its main
// thread asks through shared memory (StopRequests); each comes when the progress line shows a
// given point, so the runs below stop at the same place every time.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { londonCommand } from '../src/cli/commands/london.ts';
import { pairingCommand } from '../src/cli/commands/pairing.ts';
import { responseCommand } from '../src/cli/commands/response.ts';
import { scalingCommand } from '../src/cli/commands/scaling.ts';
import { durationText, Interrupted, Progress } from '../src/cli/progress.ts';
import { InputError } from '../src/physics/input-error.ts';
import { londonFromJson } from '../src/studies/london/report.ts';
import { savedStop } from '../src/studies/study.ts';
import { cliMerge } from './helpers/commands.ts';

/** A progress on a terminal (every update drawn) that `interrupt`s once its line matches `at`. */
function interruptedAt(at: RegExp, signal: NodeJS.Signals = 'SIGINT') {
  const shown: string[] = [];
  const progress: Progress = new Progress({
    sink: {
      isTTY: true,
      write: (text) => {
        shown.push(text);
        if (at.test(text) && progress.interrupted === null) progress.interrupt(signal);
      },
    },
  });
  return { progress, shown };
}

/**
 * A progress as a CPU run's worker has it: the stop asked by another thread (StopRequests), here
 * once its line matches `at`; `finished` records what it tells that thread of its points.
 */
function requestedAt(at: RegExp, signal: NodeJS.Signals) {
  let asked: NodeJS.Signals | null = null;
  const finished: number[] = [];
  const progress = new Progress({
    sink: { isTTY: true, write: (text) => void (at.test(text) && (asked = signal)) },
    requests: { signal: () => asked, pointsFinished: (count) => finished.push(count) },
  });
  return { progress, finished };
}

const outDirectory = () => join(mkdtempSync(join(tmpdir(), 'darwin-breit-partial-')), 'out');

const kResponseArgs = ['--geometry', 'ball', '--n', '50,100,150', '--n-epsilon', '1', '--device', 'cpu'];

describe('a sweep stopped after it finished a point reports those points', () => {
  test('response: SIGINT in the second solve keeps the first point, its files and a JSON that says so', async () => {
    const out = outDirectory();
    const { progress, shown } = interruptedAt(/point 2 of 3/);
    const output = await responseCommand([...kResponseArgs, '--out', out], progress);
    const summary = output.summary as { stopped?: unknown; points: { n: number }[] };
    expect(progress.interrupted).toBe('SIGINT');
    expect(summary.stopped).toEqual({ signal: 'SIGINT', points: 1, of: 3 });
    // What the CLI exits 128 + n on (src/cli/main.ts).
    expect(output.stopped).toEqual(summary.stopped);
    expect(summary.points.map((p) => p.n)).toEqual([50]);
    // The second point's solve was under way, and cut short: the third never started.
    expect(shown.some((line) => /point 2 of 3, \d+ s elapsed: response: N = 100/.test(line))).toBe(true);
    expect(shown.some((line) => line.includes('point 3 of 3'))).toBe(false);
    expect(output.text).toMatch(
      /^response: field drive, ball, vector model, device cpu\nstopped by SIGINT after 1 of 3 points\n/,
    );
    // The finished point's velocities and the plots of it; none of the points not finished.
    expect(readdirSync(out).sort()).toEqual([
      'response-centre.svg',
      'response-n50-x1.00.csv',
      'response-profile.svg',
      'response-screening.svg',
      'response.json',
    ]);
    // Each plot over the sweep says in its title that it stopped, the profile (of N = 50, not 150) too.
    for (const [file, title] of [
      ['response-screening.svg', 'field drive, ball, vector model: '],
      ['response-centre.svg', 'ball, vector model: the field excluded, the centre field'],
      ['response-profile.svg', 'ball, N = 50: induced current against depth'],
    ]) {
      expect(readFileSync(join(out, file), 'utf8'), file).toMatch(
        new RegExp(`${title}[^<]* \\(stopped by SIGINT after 1 of 3 points\\)<`),
      );
    }
    const saved = JSON.parse(readFileSync(join(out, 'response.json'), 'utf8'));
    expect(saved).toEqual({ ...summary, files: undefined });
    expect(Object.keys(saved).slice(0, 2)).toEqual(['command', 'stopped']);

    // The same point as a complete run measures it; a complete run's JSON has no "stopped".
    const complete = (await responseCommand(kResponseArgs, new Progress({ quiet: true }))).summary as {
      points: unknown[];
    };
    expect(complete).not.toHaveProperty('stopped');
    expect(complete.points).toHaveLength(3);
    expect(summary.points[0]).toEqual(complete.points[0]);
    expect(Object.keys(summary).filter((key) => key !== 'stopped')).toEqual(Object.keys(complete));
  }, 120_000);

  test("scaling in a CPU run's worker: the points counted over every geometry, none fitted from one", async () => {
    const { progress, finished } = requestedAt(/point 4 of 4/, 'SIGTERM');
    const args = ['--geometries', 'ring,ball', '--n-min', '20', '--n-max', '40', '--points', '2'];
    const out = outDirectory();
    const output = await scalingCommand([...args, '--device', 'cpu', '--json', '--out', out], progress);
    const summary = output.summary as {
      stopped?: unknown;
      studies: { geometry: string; points: { n: number }[]; fit: unknown }[];
    };
    expect(summary.stopped).toEqual({ signal: 'SIGTERM', points: 3, of: 4 });
    expect(summary.studies.map((s) => [s.geometry, s.points.map((p) => p.n)])).toEqual([
      ['ring', [20, 40]],
      ['ball', [20]],
    ]);
    // The thread that stops the worker heard of every point finished, and of no other.
    expect(finished).toEqual([1, 2, 3]);
    // The ball's law has two parameters: no fit of one N.
    expect(summary.studies[1].fit).toBeNull();
    expect(output.text).toContain('stopped by SIGTERM after 3 of 4 points');
    expect(output.text).toContain(
      'no fit of lambda_max/N = c + b N^-2/3: it needs 3 converged points at N >= 32 (smaller N are ' +
        'pre-asymptotic), 0 here',
    );
    // Its plots, the ring's fit drawn over the N it has, say that the sweep stopped.
    const svg = (name: string) => readFileSync(join(out, name), 'utf8');
    expect(svg('scaling-ring.svg')).toContain(
      'ring, vector model: extreme eigenvalues of the interaction (stopped by SIGTERM after 3 of 4 points)',
    );
    expect(svg('scaling-ball-coefficient.svg')).toContain(
      'ball, vector model: coherent-mode coefficient λ_max / N (stopped by SIGTERM after 3 of 4 points)',
    );
  }, 120_000);

  test('scaling stopped in a Lanczos run: its "matrix" names the storage of the N it kept points of', async () => {
    // The ball's N = 40 had its M held when the signal came, and its point is dropped.
    const { progress } = interruptedAt(/ball N = 40: Lanczos step/);
    const args = ['--geometries', 'ring,ball', '--n-min', '20', '--n-max', '40', '--points', '2'];
    const summary = (await scalingCommand([...args, '--device', 'cpu'], progress)).summary as {
      stopped?: unknown;
      studies: { points: { n: number }[]; matrix: unknown }[];
    };
    expect(summary.stopped).toEqual({ signal: 'SIGINT', points: 3, of: 4 });
    expect(summary.studies.map((s) => s.points.map((p) => p.n))).toEqual([[20, 40], [20]]);
    expect(summary.studies.map((s) => s.matrix)).toEqual([{ 20: 'dense', 40: 'dense' }, { 20: 'dense' }]);
  }, 120_000);

  test('london: stopped before its convergence list, the map alone; in the list, the N it finished', async () => {
    const args = ['--n', '50', '--grid', '9', '--device', 'cpu'];
    const before = outDirectory();
    const first = await londonCommand([...args, '--out', before], interruptedAt(/point 2 of 9/).progress);
    expect((first.summary as { stopped?: unknown }).stopped).toEqual({ signal: 'SIGINT', points: 1, of: 9 });
    // No convergence plot of no N, and no fit of fewer than two.
    expect(readdirSync(before).sort()).toEqual([
      'london-sphere-n50-deviation.svg',
      'london-sphere-n50.svg',
      'london.json',
    ]);
    // The stop line second, as in every study's text, before the continuous body's.
    expect(first.text).toMatch(
      /^London moment, rotating sphere: B_z \/ B_London on the map\nstopped by SIGINT after 1 of 9 points\ncontinuous body: /,
    );
    // Its list not run: the fit says so (not that the list holds too few N), and the text prints no
    // empty table of it; a file of the run read back says the same.
    expect(first.text).toContain(
      'fit: 3.00000 - N r_e/R: not fitted: the run stopped before any N of the list',
    );
    expect(first.text).not.toContain('continuum - N r_e/R\n');
    const saved = JSON.parse(readFileSync(join(before, 'london.json'), 'utf8')) as Record<string, unknown>;
    expect(londonFromJson(saved, 'london.json').convergence.problem).toBe(
      'the run stopped before any N of the list',
    );

    const inList = outDirectory();
    const within = await londonCommand([...args, '--out', inList], interruptedAt(/point 4 of 9/).progress);
    const summary = within.summary as { stopped?: unknown; convergence: { points: { n: number }[] } };
    expect(summary.stopped).toEqual({ signal: 'SIGINT', points: 3, of: 9 });
    expect(summary.convergence.points.map((p) => p.n)).toEqual([10, 30]);
    // The list's plot, of two of its eight N, says that the run stopped; the map, whole, does not.
    expect(readFileSync(join(inList, 'london-sphere-convergence.svg'), 'utf8')).toContain(
      'N r_e/R at the London field against N: sphere (stopped by SIGINT after 3 of 9 points)',
    );
    expect(readFileSync(join(inList, 'london-sphere-n50.svg'), 'utf8')).not.toContain('stopped');
  }, 120_000);

  test("london: a cylinder's run counts only the list's N >= h among its points", async () => {
    // h = 50 leaves 100..30000 of the list's eight N: the map and six N, seven points in all.
    const args = [
      '--geometry',
      'cylinder',
      '--half-height',
      '50',
      '--n',
      '100',
      '--grid',
      '5',
      '--device',
      'cpu',
    ];
    const output = await londonCommand(args, interruptedAt(/point 3 of 7/).progress);
    const summary = output.summary as { stopped?: unknown; convergence: { points: { n: number }[] } };
    expect(summary.stopped).toEqual({ signal: 'SIGINT', points: 2, of: 7 });
    expect(summary.convergence.points.map((p) => p.n)).toEqual([100]);
    expect(output.text).toMatch(
      /^London moment, rotating cylinder, h = 50 R: B_z \/ B_London on the map\nstopped by SIGINT after 2 of 7 points\n/,
    );
  }, 120_000);

  test('a signal before the first point finished: Interrupted, as in any run, and nothing written', async () => {
    const out = outDirectory();
    const run = pairingCommand(
      ['--ratios', '10,100,1000', '--out', out],
      interruptedAt(/point 1 of 3/).progress,
    );
    await expect(run).rejects.toBeInstanceOf(Interrupted);
    expect(existsSync(out)).toBe(false);
  });

  test('pairing: the ratios it finished, and no pairing temperatures (the rings come after them)', async () => {
    const { progress } = interruptedAt(/point 3 of 3/, 'SIGHUP');
    const out = outDirectory();
    const output = await pairingCommand(['--ratios', '10,100,1000', '--json', '--out', out], progress);
    const summary = output.summary as { stopped?: unknown; points: { ratio: number }[]; rings: unknown[] };
    expect(summary.stopped).toEqual({ signal: 'SIGHUP', points: 2, of: 3 });
    expect(summary.points.map((p) => p.ratio)).toEqual([10, 100]);
    expect(summary.rings).toEqual([]);
    // Both plots, of two of the three a_m/a and no ring, say that the sweep stopped.
    expect(readFileSync(join(out, 'pairing-energy.svg'), 'utf8')).toContain(
      'Pair binding on a ring of thickness a (eq. 45): numerical vs eq. 46 (stopped by SIGHUP after 2 of 3 points)',
    );
    expect(readFileSync(join(out, 'pairing-ratio.svg'), 'utf8')).toContain(
      'Eq. 46 approaches the true ground state only logarithmically (stopped by SIGHUP after 2 of 3 points)',
    );
    const whole = outDirectory();
    await pairingCommand(['--ratios', '10,100', '--out', whole], new Progress({ quiet: true }));
    expect(readFileSync(join(whole, 'pairing-energy.svg'), 'utf8')).not.toContain('stopped');
  });
});

describe('merge and a shard a signal stopped', () => {
  test('refused in one line naming the file: rerun that shard', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'darwin-breit-partial-merge-'));
    const ratios = ['--ratios', '10,100,1000,3000'];
    const paths = [1, 2].map((k) => join(directory, `pairing-${k}.json`));
    const shard = async (k: number, progress: Progress) =>
      writeFileSync(
        paths[k - 1],
        JSON.stringify((await pairingCommand([...ratios, '--shard', `${k}/2`], progress)).summary),
      );
    await shard(1, interruptedAt(/point 2 of 2/).progress);
    await shard(2, new Progress({ quiet: true }));
    const merged = cliMerge(paths);
    await expect(merged).rejects.toBeInstanceOf(InputError);
    await expect(merged).rejects.toThrow(`${paths[0]} stopped after 1 of 2 points: rerun that shard`);
    // That shard run whole, the two merge.
    await shard(1, new Progress({ quiet: true }));
    const whole = (await cliMerge(paths)).summary as { points: unknown[]; stopped?: unknown };
    expect(whole.points).toHaveLength(4);
    expect(whole).not.toHaveProperty('stopped');
  });
});

/**
 * A progress that `signal` reaches once the sweep's last point has ended, after the sweep's own last
 * look at Stop: as a signal handled while the run fits, computes what follows its points, or writes
 * its files. `inWorker`: asked as of a CPU run's worker (StopRequests), else on the run's own thread
 * (interrupt, as a GPU run's signal handler does).
 */
function signalledAfterLastPoint(signal: NodeJS.Signals, inWorker: boolean): Progress {
  let asked: NodeJS.Signals | null = null;
  const progress: Progress = new Progress({
    quiet: true,
    requests: {
      signal: () => asked,
      pointsFinished: (count) => {
        if (count < progress.pointCount) return;
        if (inWorker) asked = signal;
        else progress.interrupt(signal);
      },
    },
  });
  return progress;
}

describe("a signal after the sweep's last point leaves the run complete", () => {
  test.each([true, false])(
    'pairing shard (in a worker: %s): no "stopped", the rings computed, and merge takes it',
    async (inWorker) => {
      const directory = mkdtempSync(join(tmpdir(), 'darwin-breit-late-merge-'));
      const ratios = ['--ratios', '10,100,1000,3000'];
      const paths = [1, 2].map((k) => join(directory, `pairing-${k}.json`));
      const shard = async (k: number, progress: Progress) => {
        const output = await pairingCommand([...ratios, '--shard', `${k}/2`], progress);
        writeFileSync(paths[k - 1], JSON.stringify(output.summary));
        return output;
      };
      const progress = signalledAfterLastPoint('SIGTERM', inWorker);
      const late = await shard(1, progress);
      expect(progress.interrupted).toBe('SIGTERM');
      expect([progress.pointsFinished, progress.pointCount]).toEqual([2, 2]);
      // The CLI exits 128 + n only for output that says it stopped (src/cli/main.ts).
      expect(late.stopped).toBeUndefined();
      expect(late.summary).not.toHaveProperty('stopped');
      expect(late.text).not.toContain('stopped');
      const unsignalled = (await pairingCommand([...ratios, '--shard', '1/2'], new Progress({ quiet: true })))
        .summary as { points: unknown[]; rings: unknown[] };
      expect(late.summary).toEqual(unsignalled);
      expect(unsignalled.rings).toHaveLength(2);
      await shard(2, new Progress({ quiet: true }));
      const merged = (await cliMerge(paths)).summary as { points: { ratio: number }[] };
      expect(merged.points.map((point) => point.ratio)).toEqual([10, 100, 1000, 3000]);
      expect(merged).not.toHaveProperty('stopped');
    },
  );

  test('response: its fits and files written, no "stopped"', async () => {
    const out = outDirectory();
    const progress = signalledAfterLastPoint('SIGINT', false);
    const output = await responseCommand([...kResponseArgs, '--out', out], progress);
    expect(progress.interrupted).toBe('SIGINT');
    expect(output.stopped).toBeUndefined();
    const summary = output.summary as { points: { n: number }[] };
    expect(summary).not.toHaveProperty('stopped');
    expect(summary.points.map((point) => point.n)).toEqual([50, 100, 150]);
    expect(JSON.parse(readFileSync(join(out, 'response.json'), 'utf8'))).not.toHaveProperty('stopped');
    expect(readdirSync(out)).toContain('response-n150-x1.00.csv');
  }, 120_000);

  test('scaling and london in a worker: every point, no "stopped"', async () => {
    const scaling = signalledAfterLastPoint('SIGHUP', true);
    const args = [
      '--geometries',
      'ring,ball',
      '--n-min',
      '20',
      '--n-max',
      '40',
      '--points',
      '2',
      '--device',
      'cpu',
    ];
    const scaled = await scalingCommand(args, scaling);
    expect([scaling.pointsFinished, scaling.pointCount]).toEqual([4, 4]);
    expect(scaled.stopped).toBeUndefined();
    const studies = (scaled.summary as { studies: { points: unknown[] }[] }).studies;
    expect(studies.map((study) => study.points.length)).toEqual([2, 2]);

    const london = signalledAfterLastPoint('SIGHUP', true);
    const mapped = await londonCommand(
      ['--n', '50', '--grid', '9', '--device', 'cpu', '--shard', '1/3'],
      london,
    );
    expect([london.pointsFinished, london.pointCount]).toEqual([3, 3]);
    expect(mapped.stopped).toBeUndefined();
    expect(mapped.summary).not.toHaveProperty('stopped');
  }, 120_000);
});

describe('"stopped" read back', () => {
  test('null for a complete run; what the run wrote; refused unless that', () => {
    expect(savedStop({ command: 'pairing' }, 'p.json')).toBeNull();
    expect(savedStop({ stopped: null }, 'p.json')).toBeNull();
    const stop = { signal: null, points: 2, of: 5 };
    expect(savedStop({ stopped: stop }, 'p.json')).toEqual(stop);
    for (const stopped of [{ signal: 'SIGINT', points: 6, of: 5 }, { points: 1 }, 'SIGINT', [1, 2]]) {
      expect(() => savedStop({ stopped }, 'p.json')).toThrow(
        'p.json: "stopped" is not {"signal", "points", "of"}',
      );
    }
  });
});

describe("the progress line of a sweep's point", () => {
  test('names the point of the run and the time so far, also within a status; between points, the message alone', () => {
    const lines: string[] = [];
    let clock = 1000;
    const progress = new Progress({
      sink: { write: (text) => lines.push(text) },
      intervalMs: 0,
      now: () => clock,
    });
    progress.update('opening the device');
    progress.pointStarted(0, 12);
    clock += 4_000;
    progress.update('response: N = 1000, N r_e/R = 1.000');
    progress.within('product: chunk 2 of 4');
    clock += 7_000;
    progress.within('product: chunk 3 of 4');
    progress.pointEnded(true);
    progress.pointStarted(2, 12);
    clock += 125_000;
    progress.update('response: N = 4000, N r_e/R = 3.000, CG iteration 40');
    progress.pointEnded(true);
    progress.update('response: done');
    expect(lines).toEqual([
      'opening the device\n',
      'point 1 of 12, 4 s elapsed: response: N = 1000, N r_e/R = 1.000\n',
      'point 1 of 12, 4 s elapsed: response: N = 1000, N r_e/R = 1.000; product: chunk 2 of 4\n',
      'point 1 of 12, 11 s elapsed: response: N = 1000, N r_e/R = 1.000; product: chunk 3 of 4\n',
      'point 3 of 12, 2 min 16 s elapsed: response: N = 4000, N r_e/R = 3.000, CG iteration 40\n',
      'response: done\n',
    ]);
    expect([progress.pointsFinished, progress.pointCount]).toEqual([2, 12]);
  });

  test('durations in the units a reader takes in', () => {
    expect([0, 59_999, 60_000, 3_599_000, 3_600_000, 7_384_000].map(durationText)).toEqual([
      '0 s',
      '59 s',
      '1 min 0 s',
      '59 min 59 s',
      '1 h 0 min',
      '2 h 3 min',
    ]);
  });

  test('a signal cuts short a point, and anything before the first point finished; not the rest', () => {
    const progress = new Progress({ quiet: true });
    progress.interrupt('SIGTERM');
    expect(() => progress.checkpoint()).toThrow(Interrupted);
    progress.pointStarted(0, 3);
    progress.pointEnded(true);
    // Between points and after the sweep: the sweep's own check (stopped) ends it.
    expect(() => progress.update('scaling: ball')).not.toThrow();
    expect(progress.studyHooks().stopped()).toBe(true);
    progress.pointStarted(1, 3);
    expect(() => progress.update('ball N = 40: Lanczos step 3')).toThrow(Interrupted);
    progress.pointEnded(false);
    expect(progress.sweepStop(true)).toEqual({ signal: 'SIGTERM', points: 1, of: 3 });
  });
});
