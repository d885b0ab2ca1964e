// A signal during a CPU run terminates its worker thread, but never between the first output file it
// writes and the last rename (src/cli/signals.ts): the stop waits on the flag the writes hold. The
// race itself is a matter of microseconds; the flag is tested here, in one thread, deterministically.
// So is a sweep's stop asked of its worker, with a stand-in worker and the signal emitted in-process.
import { setTimeout as delay } from 'node:timers/promises';
import { beforeAll, describe, expect, test, vi } from 'vitest';
import {
  armSignals,
  ignoringRepeats,
  runInWorker,
  shareWritesThrough,
  terminateBetweenWrites,
  workerStopRequests,
  writeWhole,
} from '../src/cli/signals.ts';

const newFlag = () => new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
/** The stop of a worker that nobody asked to stop. */
const noStop = workerStopRequests(new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT)));

/** A worker stand-in that records when it is terminated. */
function recordingWorker(events: string[]) {
  return {
    terminate: async () => {
      events.push('terminated');
      return 1;
    },
  };
}

describe("a stop of a CPU run's worker and its output files", () => {
  test('a stop that comes while the files are written terminates the worker once they are in place', async () => {
    const flag = newFlag();
    shareWritesThrough(flag, noStop);
    const events: string[] = [];
    let stopped: Promise<boolean> | undefined;
    writeWhole(() => {
      events.push('writing');
      // The signal's handler runs here, as the main thread's would while the worker writes.
      stopped = terminateBetweenWrites(recordingWorker(events), flag);
      events.push('renamed');
    });
    expect(await stopped).toBe(true);
    expect(events).toEqual(['writing', 'renamed', 'terminated']);
  });

  test('a stop with no write going on terminates the worker at once', async () => {
    const flag = newFlag();
    shareWritesThrough(flag, noStop);
    writeWhole(() => undefined);
    const events: string[] = [];
    const stopped = terminateBetweenWrites(recordingWorker(events), flag);
    expect(await stopped).toBe(true);
    expect(events).toEqual(['terminated']);
  });

  test('a write that outlasts the wait is terminated all the same, and said to be cut short', async () => {
    const flag = newFlag();
    shareWritesThrough(flag, noStop);
    const events: string[] = [];
    let stopped: Promise<boolean> | undefined;
    // A write that never ends within the wait: the stop's promise settles only after it returns.
    writeWhole(() => (stopped = terminateBetweenWrites(recordingWorker(events), flag, 0)));
    expect(await stopped).toBe(false);
    expect(events).toEqual(['terminated']);
  });
});

describe("a stop asked of a CPU sweep's worker (runInWorker)", () => {
  /**
   * A worker that has finished two points, waits for a stop to be asked, then posts 128 + n as a
   * sweep that saw the stop of signal n (`stopped`), or 0 as one that had finished before it looked.
   */
  const sweepWorker = (stopped: number | null) =>
    new URL(
      'data:text/javascript,' +
        encodeURIComponent(`
          import { parentPort, workerData } from 'node:worker_threads';
          Atomics.store(workerData.stop, 1, 2);
          parentPort.postMessage('point 3 of 3\\n');
          while (Atomics.load(workerData.stop, 0) === 0) Atomics.wait(workerData.stop, 0, 0, 5);
          parentPort.postMessage(${stopped === null ? 0 : 128 + stopped});
        `),
    );

  /**
   * The stand-in sweep, stopped by `signals` emitted `apartMs` apart; `stopped`: the number of the
   * signal it saw, or null where it had finished. Each test stops it with signals of its own, since a
   * signal the last test gave within kRepeatMs would be taken for a copy of it.
   */
  async function runStoppedBy(
    stopped: number | null,
    signals: readonly NodeJS.Signals[],
    apartMs = 0,
  ): Promise<{ status: number; stderr: string }> {
    const written: string[] = [];
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((text) => {
      written.push(String(text));
      return true;
    });
    try {
      const running = runInWorker(sweepWorker(stopped), []);
      while (!written.includes('point 3 of 3\n')) await delay(5);
      for (const [k, signal] of signals.entries()) {
        if (k > 0) await delay(apartMs);
        process.emit(signal, signal);
      }
      return { status: await running, stderr: written.join('') };
    } finally {
      write.mockRestore();
    }
  }

  // The CLI's handlers, which the signals emitted below reach (this file's process only).
  beforeAll(armSignals);

  test('one that saw the stop reports its finished points and exits 128 + n', async () => {
    const run = await runStoppedBy(15, ['SIGTERM']);
    expect(run.status).toBe(143);
    expect(run.stderr).toBe(
      'point 3 of 3\ninterrupted (SIGTERM): dropping the point in progress, reporting the 2 finished ' +
        'points; a second signal, half a second on, exits at once\n',
    );
  });

  test('one that had finished before it looked exits 0 and says its output is complete', async () => {
    const run = await runStoppedBy(null, ['SIGHUP']);
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(
      /dropping the point in progress[^\n]*\nthe stop \(SIGHUP\) came after the sweep's last point: the run ended complete\n$/,
    );
  });

  // A terminal's Ctrl-C reaches npm and the CLI alike, and npm passes its copy on: the CLI hears
  // SIGINT twice, milliseconds apart. Taken for a second signal, the copy would terminate the worker
  // before it reported its points (and exit this process).
  test("SIGINT twice, milliseconds apart (a Ctrl-C under npm): one stop, the sweep's points reported", async () => {
    const run = await runStoppedBy(2, ['SIGINT', 'SIGINT'], 5);
    expect(run.status).toBe(130);
    expect(run.stderr).toBe(
      'point 3 of 3\ninterrupted (SIGINT): dropping the point in progress, reporting the 2 finished ' +
        'points; a second signal, half a second on, exits at once\n',
    );
  });
});

describe('a signal heard twice (ignoringRepeats)', () => {
  test('within 500 ms of the one it took the same signal is a copy; another signal, or later, is not', () => {
    let clock = 0;
    const taken: string[] = [];
    const take = ignoringRepeats(
      (signal) => taken.push(`${signal}@${clock}`),
      () => clock,
    );
    for (const [time, signal] of [
      [0, 'SIGINT'],
      [3, 'SIGINT'],
      [4, 'SIGTERM'],
      [499, 'SIGINT'],
      [500, 'SIGINT'],
      [700, 'SIGTERM'],
    ] as const) {
      clock = time;
      take(signal);
    }
    expect(taken).toEqual(['SIGINT@0', 'SIGTERM@4', 'SIGINT@500', 'SIGTERM@700']);
  });
});
