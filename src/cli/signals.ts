// Ctrl-C (SIGINT) and a scheduler's SIGTERM while the GPU works. Exiting while Dawn's threads are busy
// can crash the process (SIGSEGV) instead of exiting, so once a device is open (armSignals, from
// openGpu) a signal asks the run to stop at its next progress report (src/cli/progress.ts): the
// Interrupted error unwinds through the commands' `finally` blocks, which release the GPU, and the
// CLI prints one line and exits with the shell's 128 + the signal's number. A run that reports nothing
// for kStopGraceMs, or a second signal, exits at once. A CPU run (--device cpu, or a command that
// never opens a GPU) is a synchronous loop (and its products wait on their worker pool in
// Atomics.wait), so no handler on its thread could run: the CLI runs it in a worker thread
// (runInWorker) and this thread, whose event loop stays free, terminates it on a signal, which stops
// it wherever it is, then prints the same line and exits the same way. Output files appear only when
// complete (src/cli/formats.ts), so no run leaves one half-written.
import { Worker } from 'node:worker_threads';
import type { Progress } from './progress.ts';

const kSignalStatus: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };
const kSignals = Object.keys(kSignalStatus) as NodeJS.Signals[];
const kStopGraceMs = 3000;

let target: Progress | null = null;
let armed = false;
let stopping = false;

/** The exit status for a run stopped by `signal`: 128 + its number. */
export function signalStatus(signal: NodeJS.Signals): number {
  return kSignalStatus[signal] ?? 130;
}

/** The progress whose next report a signal interrupts (the command's). */
export function stopAt(progress: Progress): void {
  target = progress;
}

/** Takes SIGINT and SIGTERM over from their default action (once a GPU device is open). */
export function armSignals(): void {
  if (armed) return;
  armed = true;
  for (const signal of kSignals) {
    process.on(signal, () => {
      const status = signalStatus(signal);
      if (stopping || !target) {
        process.stderr.write(
          `${lineBreak(process.stderr.isTTY)}error: interrupted (${signal}); exiting at once\n`,
        );
        process.exit(status);
      }
      stopping = true;
      target.interrupt(signal);
      setTimeout(() => {
        process.stderr.write(
          `${lineBreak(process.stderr.isTTY)}error: interrupted (${signal}); exiting without waiting for the GPU\n`,
        );
        process.exit(status);
      }, kStopGraceMs).unref();
    });
  }
}

/** On a terminal the line after ^C and the live progress line; in a log, nothing: no empty line. */
function lineBreak(isTTY: boolean | undefined): string {
  return isTTY ? '\n' : '';
}

/** The line of a run stopped by `signal`, as the CLI prints it for an Interrupted error. */
export function interruptedLine(signal: NodeJS.Signals, isTTY: boolean | undefined): string {
  return `${lineBreak(isTTY)}error: interrupted (${signal}); no file is left half-written\n`;
}

/** What a run in a worker is given (workerData): its arguments and whether stderr is a terminal. */
export interface WorkerRun {
  readonly argv: string[];
  readonly isTTY: boolean;
}

/**
 * Runs the CLI module `entry` with `argv` in a worker thread and resolves with the exit status it
 * posts (a number); its stdout reaches this process's, and its progress and error lines come as
 * messages (strings), written here at once: a worker's own stderr passes a write on only once its
 * event loop turns, which the run's synchronous loops hold off to the end. SIGINT and SIGTERM
 * terminate the worker, print the interrupted line and exit with 128 + the signal's number.
 */
export function runInWorker(entry: URL, argv: string[]): Promise<number> {
  const run: WorkerRun = { argv, isTTY: process.stderr.isTTY === true };
  const worker = new Worker(entry, { workerData: run });
  for (const signal of kSignals) {
    process.on(signal, () => {
      if (stopping) process.exit(signalStatus(signal));
      stopping = true;
      void worker.terminate().finally(() => {
        process.stderr.write(interruptedLine(signal, process.stderr.isTTY));
        process.exit(signalStatus(signal));
      });
    });
  }
  return new Promise((resolve, reject) => {
    let status = 1;
    worker.on('message', (message: string | number) => {
      if (typeof message === 'string') process.stderr.write(message);
      else status = message;
    });
    worker.on('error', reject);
    worker.on('exit', () => resolve(status));
  });
}
