// darwin-breit command line: `npm run --silent cli -- <command> [options]`.
// Contract: --json prints exactly one JSON object on stdout; progress and logs go to stderr; a user
// error prints one `error: ...` line on stderr and exits 2, with no stack trace.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { explainDeviceLoss, GpuError } from '../gpu/device.ts';
import { InputError } from '../physics/input-error.ts';
import { commandNamed, kCommandList } from './commands/index.ts';
import { kProgramVersion, toJson } from '../io/formats.ts';
import { Interrupted, Progress, type StopRequests } from './progress.ts';
import {
  armSignals,
  interruptedLine,
  runInWorker,
  shareWritesThrough,
  signalStatus,
  stopAt,
  tooLateLine,
  waitedForLock,
  workerStopRequests,
  type WorkerRun,
} from './signals.ts';
import { reportDeviceTo } from './device.ts';
import { isReferenceWorker, serveReference } from './reference.ts';

/** The usage's commands, one line each, their summaries aligned. */
function commandLines(): string {
  const width = Math.max(...kCommandList.map(({ name }) => name.length)) + 3;
  return kCommandList.map(({ name, summary }) => `  ${name.padEnd(width)}${summary}\n`).join('');
}

const kUsage = `Usage: darwin-breit <command> [options]     (npm run --silent cli -- <command> ...)

The Darwin-Breit (order (v/c)^2 magnetic) interaction of N electrons: the mass matrix M of
eq. 48/50 of Essen (2013), generalised to any configuration, in units of m and R.

Commands:
${commandLines()}
Run 'darwin-breit <command> --help' (or 'darwin-breit help <command>') for each command's
options, 'darwin-breit --version' for the version. Every command also takes --verbose: on
stderr, the adapter and its limits, the kernel variants, memory estimates, chunk sizes and every
solver check.
`;

/**
 * `isTTY`: whether stderr is a terminal; `writeStderr`: where progress and error lines go (in a CPU
 * run's worker, to the main thread: runInWorker); `requests`: there, the stop that thread asks.
 */
export async function main(
  argv: string[],
  isTTY = process.stderr.isTTY,
  writeStderr: (text: string) => void = (text) => void process.stderr.write(text),
  requests?: StopRequests,
): Promise<number> {
  const [name, ...rest] = argv;
  // `help COMMAND` (or --help COMMAND) is `COMMAND --help` (an unknown COMMAND is refused as one); an
  // argument more is a mistake to say, not one to answer with the usage and exit 0.
  if (name === 'help' || name === '--help' || name === '-h') {
    if (rest.length > 1) {
      writeStderr(`error: unexpected argument ${rest[1]}: ${name} takes one command (${name} ${rest[0]})\n`);
      return 2;
    }
    // Of itself or of a flag (help help, --help -h, help --version) it is the usage, not a call of
    // itself again.
    if (rest.length === 1 && rest[0] !== 'help' && !rest[0].startsWith('-')) {
      return main([rest[0], '--help'], isTTY, writeStderr);
    }
    process.stdout.write(kUsage);
    return 0;
  }
  if (name === '--version') {
    if (rest.length > 0) {
      writeStderr(`error: unexpected argument ${rest[0]}: --version takes none\n`);
      return 2;
    }
    process.stdout.write(`darwin-breit ${kProgramVersion}\n`);
    return 0;
  }
  const command = commandNamed(name);
  if (!command) {
    const problem = name === undefined ? 'no command' : `unknown command '${name}'`;
    writeStderr(
      `error: ${problem} (commands: ${kCommandList.map((command) => command.name).join(', ')}; --help says what each does)\n`,
    );
    return 2;
  }
  const progress = new Progress({
    sink: { isTTY, write: writeStderr },
    quiet: process.env.DARWIN_BREIT_QUIET === '1',
    verbose: rest.includes('--verbose'),
    requests,
  });
  stopAt(progress);
  reportDeviceTo(progress);
  try {
    const output = await command.run(rest, progress);
    // A signal handled after the run's last progress report (while it awaited its last GPU work)
    // stops it here, before anything is printed. One that comes during its last synchronous stretch
    // is not handled yet: the command's promise settles before the event loop turns, so its handler
    // runs only after the printing, and the complete run exits with its own status. A study whose
    // sweep finished a point is not stopped here: it reports its points (its JSON says where a signal
    // stopped it), then exits as a stopped run; one whose sweep had finished its last point when the
    // signal came ran to its end, and exits as a complete run.
    progress.checkpoint();
    if (output.help) process.stdout.write(output.help);
    else if (output.json) process.stdout.write(toJson(output.summary) + '\n');
    else process.stdout.write(output.text ?? '');
    if (output.outFailure) writeStderr(`error: ${output.outFailure.message}\n`);
    // A signal that came while the files were written (the synchronous wait for another run's lock,
    // whether it ended refused or with the lock taken) is heard on this thread only once its event
    // loop polls again: two turns of it, since the first may come before the poll (where this ran
    // from the poll itself).
    if ((output.outFailure || waitedForLock()) && !requests) {
      await new Promise(setImmediate);
      await new Promise(setImmediate);
    }
    const signal = progress.interrupted;
    // Stopped, or asked to stop while its files could not be written (a signal during the wait for a
    // lock gives it up): a stopped run's status, not a refusal's.
    if (signal && (output.stopped || output.outFailure)) {
      writeStderr(interruptedLine(signal, isTTY));
      return signalStatus(signal);
    }
    // In a worker, the thread that heard the signal says so (runInWorker).
    if (signal && !requests) writeStderr(tooLateLine(signal));
    return output.outFailure ? 2 : 0;
  } catch (error) {
    if (error instanceof Interrupted) {
      writeStderr(interruptedLine(error.signal, isTTY));
      return signalStatus(error.signal);
    }
    // A device lost in the middle of a run explains whatever failed after it.
    const lost = explainDeviceLoss(error);
    if (lost) {
      writeStderr(`error: ${lost.message}; the run was stopped\n`);
      return 1;
    }
    if (error instanceof InputError) {
      writeStderr(`error: ${error.message}\n`);
      return 2;
    }
    // No WebGPU at all is the user's environment, not a bug: exit 2, and the message names --device cpu.
    if (error instanceof GpuError) {
      writeStderr(`error: ${error.message}\n`);
      return error.kind === 'unavailable' ? 2 : 1;
    }
    writeStderr(`error: internal: ${(error as Error)?.stack ?? String(error)}\n`);
    return 1;
  }
}

/**
 * A CPU run (a command that never opens a GPU, or --device cpu): synchronous loops, which only another
 * thread can stop (signals.ts runInWorker).
 */
function runsOnCpu(argv: readonly string[]): boolean {
  const [name, ...rest] = argv;
  return (
    commandNamed(name)?.cpuOnly ||
    rest.some((arg, k) => arg === '--device=cpu' || (arg === '--device' && rest[k + 1] === 'cpu'))
  );
}

/**
 * The exit status of a run that ended with `code` once its stdout failed with `error`, if it did: a
 * reader that went away (`| head`) took what it wanted, no failure of the run; any other failure (a
 * full disk) left the output cut short, which the status must say, in one line.
 */
function statusAfterStdout(code: number, error: NodeJS.ErrnoException | null | undefined): number {
  if (!error || error.code === 'EPIPE') return code;
  process.stderr.write(`error: cannot write the output to stdout (${error.code ?? error.message})\n`);
  return code === 0 ? 1 : code;
}

if (isMainThread) {
  armSignals();
  // Progress and notices are for the reader of a run, not its result: a stderr that cannot be
  // written (2>/dev/full) loses them and the run goes on. A worker's stderr reaches this thread's.
  process.stderr.on('error', () => {});
  // Heard here, the first failure to write stdout is kept for the exit status (statusAfterStdout)
  // rather than ending the process with Node's stack trace (an 'error' event nobody listens to). A
  // worker's stdout reaches this thread's, so its writes fail here too.
  let stdoutError: NodeJS.ErrnoException | undefined;
  process.stdout.on('error', (error) => (stdoutError ??= error));
  const argv = process.argv.slice(2);
  const code = runsOnCpu(argv) ? await runInWorker(new URL(import.meta.url), argv) : await main(argv);
  // Exit explicitly once stdout has drained: letting Node wind down on its own while Dawn's threads
  // are still being torn down crashed about one GPU run in ten after its output (SIGSEGV, or a futex
  // abort).
  process.stdout.write('', (error) => process.exit(statusAfterStdout(code, stdoutError ?? error)));
} else if (isReferenceWorker(workerData)) {
  serveReference(workerData);
} else {
  const run = workerData as WorkerRun;
  const requests = workerStopRequests(run.stop);
  shareWritesThrough(run.writing);
  const post = (message: string | number) => parentPort!.postMessage(message);
  post(await main(run.argv, run.isTTY, post, requests));
}
