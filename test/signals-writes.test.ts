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
  stopNotice,
  terminateBetweenWrites,
  writeWhole,
} from '../src/cli/signals.ts';

const newFlag = () => new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));

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
    shareWritesThrough(flag);
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
    shareWritesThrough(flag);
    writeWhole(() => undefined);
    const events: string[] = [];
    const stopped = terminateBetweenWrites(recordingWorker(events), flag);
    expect(await stopped).toBe(true);
    expect(events).toEqual(['terminated']);
  });

  test("a stop while the write waits for another run's lock gives that wait up, then terminates the worker", async () => {
    // The write would otherwise wait out the lock (3 s) before the stop, the user's, took effect; and
    // it would take the lock, were it to come free, for a run about to be terminated.
    const flag = newFlag();
    shareWritesThrough(flag);
    Atomics.store(flag, 0, 3); // kWaitingForLock, as beginLockWait leaves it
    const events: string[] = [];
    const stopped = terminateBetweenWrites(recordingWorker(events), flag);
    expect(Atomics.load(flag, 0)).toBe(4); // kLockWaitTaken: the wait's next look gives it up
    expect(events).toEqual([]);
    Atomics.store(flag, 0, 0); // the write refused, as writeWhole leaves the flag
    expect(await stopped).toBe(true);
    expect(events).toEqual(['terminated']);
  });

  test('a write that outlasts the wait is terminated all the same, and said to be cut short', async () => {
    const flag = newFlag();
    shareWritesThrough(flag);
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
   * A worker that has finished two points of three (of two: `last`), waits for a stop to be asked,
   * then posts 128 + n as a sweep that saw the stop of signal n (`stopped`), or 0 as one that had
   * finished before it looked. The slots of WorkerRun.stop: the signal, the points finished, of how
   * many. `waiting`: it waits for another run's lock (the write flag's 3, beginLockWait) meanwhile,
   * and posts 128 + n only where the stop took that wait (the flag's 4, takeLockWait).
   */
  const sweepWorker = (stopped: number | null, { last = false, waiting = false } = {}) =>
    new URL(
      'data:text/javascript,' +
        encodeURIComponent(`
          import { parentPort, workerData } from 'node:worker_threads';
          Atomics.store(workerData.stop, 2, ${last ? 2 : 3});
          Atomics.store(workerData.stop, 1, 2);
          ${waiting ? 'Atomics.store(workerData.writing, 0, 3);' : ''}
          parentPort.postMessage('point ${last ? '2 of 2' : '3 of 3'}\\n');
          while (Atomics.load(workerData.stop, 0) === 0) Atomics.wait(workerData.stop, 0, 0, 5);
          const taken = Atomics.load(workerData.writing, 0) === 4;
          parentPort.postMessage(${stopped === null ? 0 : 128 + stopped} * (${waiting} ? taken : 1));
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
    worker = sweepWorker(stopped),
  ): Promise<{ status: number; stderr: string }> {
    const written: string[] = [];
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((text) => {
      written.push(String(text));
      return true;
    });
    try {
      const running = runInWorker(worker, []);
      while (!written.some((text) => text.startsWith('point '))) await delay(5);
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

  test("one that waits for another run's lock once its sweep ended: the wait given up, no point said dropped", async () => {
    // The CLI printed "dropping the point in progress" here, where none was. Half a second after the
    // last test's signals, which a signal within kRepeatMs of would be taken for a copy of.
    await delay(500);
    const run = await runStoppedBy(1, ['SIGHUP'], 0, sweepWorker(1, { last: true, waiting: true }));
    expect(run.status).toBe(129);
    expect(run.stderr).toBe(
      "point 2 of 2\ninterrupted (SIGHUP) while waiting for another run's lock on the --out directory: " +
        'no point dropped; the results are reported, not written, and the lock not taken\n',
    );
  });

  test("one stopped before its write: the write waits for another run's lock, and a second signal gives that wait up", async () => {
    // The stop that ended the sweep does not give up its files' wait for a lock (the GPU's thread
    // writes them after the same wait); a signal during the wait does, and the points are still
    // reported, where a second signal would otherwise terminate the worker. The stand-in starts to
    // wait (the flag's 3) once it sees the stop, and posts 128 + n only where the wait was taken.
    await delay(500);
    const waitsAfterStop = new URL(
      'data:text/javascript,' +
        encodeURIComponent(`
          import { parentPort, workerData } from 'node:worker_threads';
          Atomics.store(workerData.stop, 2, 3);
          Atomics.store(workerData.stop, 1, 2);
          parentPort.postMessage('point 3 of 3\\n');
          while (Atomics.load(workerData.stop, 0) === 0) Atomics.wait(workerData.stop, 0, 0, 5);
          Atomics.store(workerData.writing, 0, 3);
          parentPort.postMessage('waiting\\n');
          while (Atomics.load(workerData.writing, 0) === 3) Atomics.wait(workerData.writing, 0, 3, 5);
          parentPort.postMessage(Atomics.load(workerData.writing, 0) === 4 ? 130 : 0);
        `),
    );
    const written: string[] = [];
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((text) => {
      written.push(String(text));
      return true;
    });
    let status: number;
    try {
      const running = runInWorker(waitsAfterStop, []);
      while (!written.includes('point 3 of 3\n')) await delay(5);
      process.emit('SIGINT', 'SIGINT');
      while (!written.includes('waiting\n')) await delay(5);
      // Past kRepeatMs: a second request, not npm's copy of the first.
      await delay(600);
      process.emit('SIGINT', 'SIGINT');
      status = await running;
    } finally {
      write.mockRestore();
    }
    expect(status).toBe(130);
    expect(written.join('')).toBe(
      'point 3 of 3\ninterrupted (SIGINT): dropping the point in progress, reporting the 2 finished points; ' +
        'a second signal, half a second on, exits at once\nwaiting\n' +
        "interrupted (SIGINT) while waiting for another run's lock on the --out directory: the finished " +
        'points are reported, not written, and the lock not taken\n',
    );
  });

  test('one whose sweep ended, not waiting for a lock: no notice at the stop, its complete end said after', async () => {
    await delay(500);
    const run = await runStoppedBy(null, ['SIGTERM'], 0, sweepWorker(null, { last: true }));
    expect(run.status).toBe(0);
    expect(run.stderr).toBe(
      "point 2 of 2\nthe stop (SIGTERM) came after the sweep's last point: the run ended complete\n",
    );
  });
});

describe('the notice of a stop of a sweep that finished points (stopNotice)', () => {
  test('points left: the one in progress dropped; every one finished: none; waiting for a lock: that wait given up', () => {
    expect(stopNotice('SIGINT', { finished: 1, of: 3, waitingForLock: false }, false)).toBe(
      'interrupted (SIGINT): dropping the point in progress, reporting the 1 finished point; a second ' +
        'signal, half a second on, exits at once\n',
    );
    // The GPU's thread, which hears a signal that came during its wait for a lock only once the wait
    // has ended, and a worker's between its last point and its files: the run's end says the rest (a
    // refusal of its files, or where the lock came free tooLateLine, the files written).
    expect(stopNotice('SIGTERM', { finished: 3, of: 3, waitingForLock: false }, true)).toBe('');
    expect(stopNotice('SIGHUP', { finished: 3, of: 3, waitingForLock: true }, true)).toBe(
      "\ninterrupted (SIGHUP) while waiting for another run's lock on the --out directory: no point " +
        'dropped; the results are reported, not written, and the lock not taken\n',
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
