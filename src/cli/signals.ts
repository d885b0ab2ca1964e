// Ctrl-C (SIGINT), a scheduler's SIGTERM and a closed terminal's SIGHUP, taken over from their default
// action at the CLI's start (armSignals), which would end the process without its exit handlers: the
// device's runtime directory (src/gpu/device.ts) would be left behind. Until a run has something in
// flight, a signal ends the process at once. Exiting while Dawn's threads are busy can crash the
// process (SIGSEGV) instead of exiting, so once a device is open (stopAtProgress, from openGpu) a
// signal asks the run to stop at its next progress report (src/cli/progress.ts): the Interrupted
// error unwinds through the commands' `finally` blocks, which release the GPU, and the CLI prints one
// line and exits with the shell's 128 + the signal's number. A run that reports nothing for
// kStopGraceMs (kKeepGraceMs once a sweep has points to keep), or a second signal (not a copy of the
// first: kRepeatMs), exits at once. A CPU run (--device cpu, or a command that never opens a GPU)
// is a synchronous loop (and its products wait on their worker pool in Atomics.wait), so
// no handler on its thread could run: the CLI runs it in a worker thread (runInWorker) and this
// thread, whose event loop stays free, terminates it on a signal, which stops it wherever it is but
// in the midst of writing its output files (writeWhole), then prints the same line and exits the same
// way. Output files appear only when complete (src/cli/formats.ts), so no run leaves one half-written.
// A study's sweep that has finished a point keeps it: on the GPU its stop ends only the point in
// progress (Progress.checkpoint), and a CPU run's worker is asked to stop through memory it shares
// with this thread (workerStopRequests) rather than terminated; either run then reports the points it
// finished and exits the same way. A second signal exits at once (but for one that comes while the
// stopped sweep's files wait for another run's lock: it gives that wait up, and the points are reported).
import { setTimeout as delay } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type { Progress, StopRequests } from './progress.ts';

const kSignalStatus: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };
const kSignals = Object.keys(kSignalStatus) as NodeJS.Signals[];
const kStopGraceMs = 3000;
/**
 * How long a GPU sweep that has finished points may take to reach its next report and write them: far
 * longer than kStopGraceMs, since exiting loses them, and the user was told a second signal exits at
 * once. (A point's product can take half a minute on a software adapter at 10^5 electrons.)
 */
const kKeepGraceMs = 60_000;
/**
 * A signal heard again within this time is the same request, not a second one: a terminal's Ctrl-C
 * reaches the whole foreground process group, and `npm run` passes on the SIGINT (or a scheduler's
 * SIGTERM) it got itself, so the CLI under npm hears each one twice, milliseconds apart, and would
 * take the copy for the second signal that exits at once, losing a stopped sweep's finished points.
 */
const kRepeatMs = 500;

let target: Progress | null = null;
let stopping = false;
/** What a signal does now: at first, with nothing in flight that exiting could harm, exit. */
let onSignal: (signal: NodeJS.Signals) => void = (signal) =>
  exitWith(signal, interruptedLine(signal, process.stderr.isTTY));

/** The exit status for a run stopped by `signal`: 128 + its number. */
export function signalStatus(signal: NodeJS.Signals): number {
  return kSignalStatus[signal] ?? 130;
}

/** The progress whose next report a signal interrupts (the command's). */
export function stopAt(progress: Progress): void {
  target = progress;
}

/**
 * Takes SIGHUP, SIGINT and SIGTERM over from their default action: at the CLI's start, in its main
 * thread.
 */
export function armSignals(): void {
  const take = ignoringRepeats((signal) => onSignal(signal));
  for (const signal of kSignals) process.on(signal, () => take(signal));
}

/**
 * `handle`, which a signal heard again within kRepeatMs of the last it was given (the same request,
 * its copy from npm) does not reach; `now` the clock in milliseconds.
 */
export function ignoringRepeats(
  handle: (signal: NodeJS.Signals) => void,
  now: () => number = () => performance.now(),
): (signal: NodeJS.Signals) => void {
  const taken = new Map<NodeJS.Signals, number>();
  return (signal) => {
    const time = now();
    const last = taken.get(signal);
    if (last !== undefined && time - last < kRepeatMs) return;
    taken.set(signal, time);
    handle(signal);
  };
}

/** Once a GPU device is open: a signal stops the run at its next progress report (stopAt's). */
export function stopAtProgress(): void {
  onSignal = (signal) => {
    const isTTY = process.stderr.isTTY;
    if (stopping || !target) {
      exitWith(signal, `${lineBreak(isTTY)}error: interrupted (${signal}); exiting at once\n`);
    }
    stopping = true;
    target.interrupt(signal);
    const keeping = target.pointsFinished > 0;
    // This thread waits for another run's lock synchronously (writeIntoDirectory): a signal that came
    // then is handled once the wait has ended (the run's end says the rest: refused, or tooLateLine
    // where the lock came free), so it is never heard as one during the wait.
    const state = { finished: target.pointsFinished, of: target.pointCount, waitingForLock: false };
    if (keeping) process.stderr.write(stopNotice(signal, state, isTTY));
    setTimeout(
      () =>
        exitWith(
          signal,
          `${lineBreak(isTTY)}error: interrupted (${signal}); exiting without waiting for the GPU\n`,
        ),
      keeping ? kKeepGraceMs : kStopGraceMs,
    ).unref();
  };
}

/** Prints `line` and exits with `signal`'s status, through the process's exit handlers. */
function exitWith(signal: NodeJS.Signals, line: string): never {
  process.stderr.write(line);
  process.exit(signalStatus(signal));
}

/** On a terminal the line after ^C and the live progress line; in a log, nothing: no empty line. */
function lineBreak(isTTY: boolean | undefined): string {
  return isTTY ? '\n' : '';
}

/** The line of a run stopped by `signal`, as the CLI prints it for an Interrupted error. */
export function interruptedLine(signal: NodeJS.Signals, isTTY: boolean | undefined): string {
  return `${lineBreak(isTTY)}error: interrupted (${signal}); no file is left half-written\n`;
}

/** Where a run that has finished a sweep's point stands when a signal asks it to stop. */
export interface StopState {
  /** The sweep's points finished, of the `of` it has to run. */
  readonly finished: number;
  readonly of: number;
  /** It waits for another run's lock on its --out DIR (beginLockWait): its sweep and report are done. */
  readonly waitingForLock: boolean;
  /** An earlier signal stopped the sweep, dropping the point then in progress. */
  readonly stoppedBefore?: boolean;
}

/**
 * The notice of a sweep stopped by `signal`, which has finished points (`state`): with points left,
 * the point in progress is dropped (at its next progress report) and the finished ones reported;
 * waiting for another run's lock, the results are reported and the wait given up, so no file is
 * written (and no point dropped, but by an earlier signal); with every point finished but no such
 * wait, none (the run ends as it would have, and says so: tooLateLine, or a refusal of its files
 * and interruptedLine).
 */
export function stopNotice(signal: NodeJS.Signals, state: StopState, isTTY: boolean | undefined): string {
  if (state.waitingForLock) {
    const reported = state.stoppedBefore
      ? 'the finished points are reported'
      : 'no point dropped; the results are reported';
    return (
      `${lineBreak(isTTY)}interrupted (${signal}) while waiting for another run's lock on the --out ` +
      `directory: ${reported}, not written, and the lock not taken\n`
    );
  }
  if (state.finished >= state.of) return '';
  const points = `${state.finished} finished ${state.finished === 1 ? 'point' : 'points'}`;
  return (
    `${lineBreak(isTTY)}interrupted (${signal}): dropping the point in progress, reporting the ` +
    `${points}; a second signal, half a second on, exits at once\n`
  );
}

/** The line of a sweep that `signal` asked to stop after it had finished its last point: it exits 0. */
export function tooLateLine(signal: NodeJS.Signals): string {
  return `the stop (${signal}) came after the sweep's last point: the run ended complete\n`;
}

/** The line of a run stopped by `signal` while it wrote its output files for longer than a stop waits. */
function cutShortLine(signal: NodeJS.Signals, isTTY: boolean | undefined): string {
  return (
    `${lineBreak(isTTY)}error: interrupted (${signal}) after ${kWriteGraceMs / 1000} s of writing the ` +
    'output files, which may be left half-written under their temporary names\n'
  );
}

/**
 * What a run in a worker is given (workerData): its arguments, whether stderr is a terminal, and the
 * memory it shares with the thread that may stop it: the flag of its output files (writeWhole) and
 * the stop that thread asks of it (workerStopRequests).
 */
export interface WorkerRun {
  readonly argv: string[];
  readonly isTTY: boolean;
  readonly writing: Int32Array;
  readonly stop: Int32Array;
}

// The slots of WorkerRun.stop: the signal that asks the run to stop (its index in kSignals, plus 1; 0
// for none), the points its sweep has finished, and of how many.
const kStopSignal = 0;
const kPointsFinished = 1;
const kPointCount = 2;
const kStopSlots = 3;

/** In a run's worker: the stop that the thread which hears the signals asks of it (runInWorker). */
export function workerStopRequests(stop: Int32Array): StopRequests {
  return {
    signal: () => kSignals[Atomics.load(stop, kStopSignal) - 1] ?? null,
    pointsFinished: (count, of) => {
      Atomics.store(stop, kPointCount, of);
      Atomics.store(stop, kPointsFinished, count);
    },
  };
}

// A worker terminated between the first file it writes and the last rename would leave temporary
// files, or an --out directory of new files beside old ones. So the worker and the thread that stops
// it share a flag: kWriting while the worker writes (writeWhole), which the stopping thread waits
// out before it takes the flag (kStopped) and terminates the worker (terminateBetweenWrites); once
// taken, no write starts. Within a write, kWaitingForLock while it waits for another run's lock on
// its --out DIR; a signal then takes the wait (kLockWaitTaken), which the write gives up even if the
// lock comes free before it looks again, as the notice of the stop says (stopNotice).
const kIdle = 0;
const kWriting = 1;
const kStopped = 2;
const kWaitingForLock = 3;
const kLockWaitTaken = 4;
const kWritePollMs = 5;
/**
 * How long a stop waits for a write: a run's files take well under a second, and a scheduler's
 * SIGKILL follows its SIGTERM after 10 s (docker) or 30 s (Slurm).
 */
const kWriteGraceMs = 5000;

let writeFlag: Int32Array | null = null;

/** In a run's worker: the flag that writeWhole sets and the thread that may stop the worker reads. */
export function shareWritesThrough(flag: Int32Array): void {
  writeFlag = flag;
}

/**
 * Whether the thread that heard a signal took this worker's wait for another run's lock
 * (takeLockWait), for the wait to give up at its next look; never on the main thread, whose handlers
 * run only once the synchronous wait has ended (main() lets them run then). A stop asked before the
 * wait began (the one that ended a sweep) is not such a signal: the files are then written as any
 * run's, after the same wait.
 */
export function lockWaitTaken(): boolean {
  return writeFlag !== null && Atomics.load(writeFlag, 0) === kLockWaitTaken;
}

/** Whether this thread's write waited for another run's lock (waitedForLock). */
let lockWaited = false;

/**
 * As a write starts to wait for another run's lock on its --out DIR: in a run's worker, marks the
 * wait for the thread that hears the signals (takeLockWait); on the main thread, notes it for
 * main(), whose signal handlers run only once the synchronous wait has ended (waitedForLock).
 */
export function beginLockWait(): void {
  lockWaited = true;
  if (writeFlag) Atomics.store(writeFlag, 0, kWaitingForLock);
}

/** Whether a write of this thread waited for another run's lock (beginLockWait). */
export const waitedForLock = (): boolean => lockWaited;

/**
 * As the wait ends with the lock taken: false where the thread that heard a signal took the wait
 * first (takeLockWait), having said that the lock would not be taken, so the write gives it up.
 */
export function endLockWait(): boolean {
  return !writeFlag || Atomics.compareExchange(writeFlag, 0, kWaitingForLock, kWriting) === kWaitingForLock;
}

/**
 * On a signal, in the thread that heard it: true where the worker that shares `flag` waits for a lock
 * (beginLockWait), which it will then not take (endLockWait) but give up.
 */
export function takeLockWait(flag: Int32Array): boolean {
  return Atomics.compareExchange(flag, 0, kWaitingForLock, kLockWaitTaken) === kWaitingForLock;
}

/**
 * Runs `write` (output files written and renamed into place) so that a signal does not cut it
 * short: in a run's worker, under the flag; in the main thread as it is, since a signal's handler
 * runs only once synchronous code has.
 */
export function writeWhole<T>(write: () => T): T {
  if (!writeFlag) return write();
  // Taken: the worker is being terminated; waiting for it starts no file it would cut short.
  while (Atomics.compareExchange(writeFlag, 0, kIdle, kWriting) === kStopped) {
    Atomics.wait(writeFlag, 0, kStopped);
  }
  try {
    return write();
  } finally {
    Atomics.store(writeFlag, 0, kIdle);
  }
}

/**
 * Terminates `worker` once it is not writing (writeWhole), polling `flag` every kWritePollMs, or
 * after `limitMs` all the same: resolves true if no write was cut short. A write that waits for
 * another run's lock, or comes to wait for it meanwhile, is told to give the wait up (takeLockWait):
 * the stop is the user's, and the lock not to be taken by a run about to be terminated.
 */
export async function terminateBetweenWrites(
  worker: Pick<Worker, 'terminate'>,
  flag: Int32Array,
  limitMs = kWriteGraceMs,
): Promise<boolean> {
  const deadline = performance.now() + limitMs;
  let whole = true;
  while (Atomics.compareExchange(flag, 0, kIdle, kStopped) !== kIdle) {
    takeLockWait(flag);
    if (performance.now() >= deadline) {
      whole = false;
      break;
    }
    await delay(kWritePollMs);
  }
  await worker.terminate();
  return whole;
}

/**
 * Runs the CLI module `entry` with `argv` in a worker thread and resolves with the exit status it
 * posts (a number); its stdout reaches this process's, and its progress and error lines come as
 * messages (strings), written here at once: a worker's own stderr passes a write on only once its
 * event loop turns, which the run's synchronous loops hold off to the end. A signal (armSignals)
 * terminates the worker (terminateBetweenWrites), prints the interrupted line and exits with 128 +
 * the signal's number; where the run's sweep has finished a point, it asks the worker to stop
 * instead, which reports those points and posts that status itself, and only a second signal
 * terminates it (but for one that comes while the stopped sweep's write waits for another run's lock,
 * which gives that wait up); a worker that finished before it saw that stop exits 0, and says so.
 */
export function runInWorker(entry: URL, argv: string[]): Promise<number> {
  const shared = (length: number) =>
    new Int32Array(new SharedArrayBuffer(length * Int32Array.BYTES_PER_ELEMENT));
  const run: WorkerRun = {
    argv,
    isTTY: process.stderr.isTTY === true,
    writing: shared(1),
    stop: shared(kStopSlots),
  };
  const worker = new Worker(entry, { workerData: run });
  let asked: NodeJS.Signals | null = null;
  onSignal = (signal) => {
    if (stopping) process.exit(signalStatus(signal));
    const isTTY = process.stderr.isTTY;
    const finished = Atomics.load(run.stop, kPointsFinished);
    if (finished > 0) {
      // The first signal stops the sweep, and gives up its write's wait for a lock where one is under
      // way; a stop that came before the write leaves it to wait as any run's, and the next signal
      // then gives the wait up: the points are reported all the same, not terminated with the worker.
      const waitingForLock = takeLockWait(run.writing);
      const stoppedBefore = asked !== null;
      if (!stoppedBefore || waitingForLock) {
        if (!stoppedBefore) {
          asked = signal;
          Atomics.store(run.stop, kStopSignal, kSignals.indexOf(signal) + 1);
        }
        const of = Atomics.load(run.stop, kPointCount);
        process.stderr.write(stopNotice(signal, { finished, of, waitingForLock, stoppedBefore }, isTTY));
        return;
      }
    }
    stopping = true;
    void terminateBetweenWrites(worker, run.writing).then((whole) =>
      exitWith(signal, whole ? interruptedLine(signal, isTTY) : cutShortLine(signal, isTTY)),
    );
  };
  return new Promise((resolve, reject) => {
    let status = 1;
    worker.on('message', (message: string | number) => {
      if (typeof message === 'string') process.stderr.write(message);
      else status = message;
    });
    worker.on('error', reject);
    worker.on('exit', () => {
      // The stop came after the run's last look at it: it ran to its end, its output is whole.
      if (asked && status === 0) process.stderr.write(tooLateLine(asked));
      resolve(status);
    });
  });
}
