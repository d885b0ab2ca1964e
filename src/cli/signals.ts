// Ctrl-C (SIGINT) and a scheduler's SIGTERM while the GPU works. Exiting while Dawn's threads are busy
// can crash the process (SIGSEGV) instead of exiting, so once a device is open (armSignals, from
// openGpu) a signal asks the run to stop at its next progress report (src/cli/progress.ts): the
// Interrupted error unwinds through the commands' `finally` blocks, which release the GPU, and the
// CLI prints one line and exits with the shell's 128 + the signal's number. A run that reports nothing
// for kStopGraceMs, or a second signal, exits at once. Without a GPU the signals keep their default
// action: CPU runs are synchronous loops, which a JavaScript handler could not interrupt. Output files
// appear only when complete (src/cli/formats.ts), so no run leaves one half-written.
import type { Progress } from './progress.ts';

const kSignalStatus: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };
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
  for (const signal of Object.keys(kSignalStatus) as NodeJS.Signals[]) {
    process.on(signal, () => {
      const status = signalStatus(signal);
      if (stopping || !target) {
        process.stderr.write(`\nerror: interrupted (${signal}); exiting at once\n`);
        process.exit(status);
      }
      stopping = true;
      target.interrupt(signal);
      setTimeout(() => {
        process.stderr.write(`\nerror: interrupted (${signal}); exiting without waiting for the GPU\n`);
        process.exit(status);
      }, kStopGraceMs).unref();
    });
  }
}
