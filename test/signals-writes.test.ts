// A signal during a CPU run terminates its worker thread, but never between the first output file it
// writes and the last rename (src/cli/signals.ts): the stop waits on the flag the writes hold. The
// race itself is a matter of microseconds; the flag is tested here, in one thread, deterministically.
import { describe, expect, test } from 'vitest';
import { shareWritesThrough, terminateBetweenWrites, writeWhole } from '../src/cli/signals.ts';

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
