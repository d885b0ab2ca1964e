// A signal during a CPU run terminates its worker thread, but never between the first output file it
// writes and the last rename (src/cli/signals.ts): the stop waits on the flag the writes hold. The
// race itself is a matter of microseconds; the flag is tested here, in one thread, deterministically.
// So is a sweep's stop asked of its worker, with a stand-in worker and the signal emitted in-process.
import { setTimeout as delay } from 'node:timers/promises';
import { beforeAll, describe, expect, test, vi } from 'vitest';
import {
  armSignals,
  runInWorker,
  shareWritesThrough,
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
  /** A worker that has finished `points` points, waits for the signal `stopped` to be asked, then posts `status`. */
  const sweepWorker = (stopped: boolean) =>
    new URL(
      'data:text/javascript,' +
        encodeURIComponent(`
          import { parentPort, workerData } from 'node:worker_threads';
          Atomics.store(workerData.stop, 1, 2);
          parentPort.postMessage('point 3 of 3\\n');
          while (Atomics.load(workerData.stop, 0) === 0) Atomics.wait(workerData.stop, 0, 0, 5);
          parentPort.postMessage(${stopped} ? 128 + 15 : 0);
        `),
    );

  async function runStoppedBy(stopped: boolean): Promise<{ status: number; stderr: string }> {
    const written: string[] = [];
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((text) => {
      written.push(String(text));
      return true;
    });
    try {
      const running = runInWorker(sweepWorker(stopped), []);
      while (!written.includes('point 3 of 3\n')) await delay(5);
      process.emit('SIGTERM', 'SIGTERM');
      return { status: await running, stderr: written.join('') };
    } finally {
      write.mockRestore();
    }
  }

  // The CLI's handlers, which the signals emitted below reach (this file's process only).
  beforeAll(armSignals);

  test('one that saw the stop reports its finished points and exits 128 + n', async () => {
    const run = await runStoppedBy(true);
    expect(run.status).toBe(143);
    expect(run.stderr).toBe(
      'point 3 of 3\ninterrupted (SIGTERM): dropping the point in progress, reporting the 2 finished ' +
        'points; a second signal exits at once\n',
    );
  });

  test('one that had finished before it looked exits 0 and says its output is complete', async () => {
    const run = await runStoppedBy(false);
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(
      /dropping the point in progress[^\n]*\nthe stop \(SIGTERM\) came after the sweep's last point: the run ended complete\n$/,
    );
  });
});
