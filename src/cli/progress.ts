// Progress of long runs on stderr, so stdout stays one JSON object under --json. On a terminal a single
// live line is redrawn; otherwise (pipes, CI logs) plain lines, at most one every `intervalMs`. With
// --verbose, every update is a line of its own (each Krylov check, each chunk) and detail() lines
// say what was chosen (adapter, limits, kernel variants, memory, chunk sizes).
import { setTimeout as delay } from 'node:timers/promises';
import type { StudyHooks, SweepStop } from '../studies/study.ts';

export interface ProgressSink {
  isTTY?: boolean;
  write(text: string): unknown;
}

/**
 * Thrown from the progress hooks once the process was asked to stop (a signal: signals.ts): every long
 * run reports progress, so the stop takes effect at its next report, unwinding through the commands'
 * `finally` blocks, which release the GPU before the process exits. In a study's sweep that has
 * finished a point, only the work of the point in progress is cut short so: the sweep drops that
 * point (src/studies/study.ts) and the command reports the points it finished (Progress.pointStarted).
 */
export class Interrupted extends Error {
  override readonly name = 'Interrupted';
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted (${signal})`);
  }
}

/**
 * A stop asked of a run by the thread that hears the signals, where no handler on the run's own thread
 * could run (a CPU run's worker, which its synchronous loops hold: signals.ts runInWorker).
 */
export interface StopRequests {
  /** The signal that asks the run to stop, or null. */
  signal(): NodeJS.Signals | null;
  /**
   * The run has finished `count` of its sweep's `of` points: that thread then asks it to stop rather
   * than ending it, and says what the stop drops (none once the sweep ran them all).
   */
  pointsFinished(count: number, of: number): void;
}

/** A duration as a reader takes it in: "45 s", "12 min 5 s", "3 h 4 min". */
export function durationText(milliseconds: number): string {
  const seconds = Math.floor(milliseconds / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export class Progress {
  #lastPlain = -Infinity;
  /** The last update's message, which within() extends; a log() or done() ends it. */
  #status = '';
  /** The point that update() found in progress, which within() names again with the time by then. */
  #statusPoint: { readonly index: number; readonly count: number } | null = null;
  #interrupted: NodeJS.Signals | null = null;
  #live = false;
  /** The sweep's point in progress (pointStarted), until it ends; null between points. */
  #point: { readonly index: number; readonly count: number } | null = null;
  /** The sweep's points of the run: how many it has to run, and has finished. */
  #pointCount = 0;
  #pointsFinished = 0;
  readonly #started: number;
  readonly #sink: ProgressSink;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #quiet: boolean;
  readonly #requests: StopRequests | null;
  readonly verbose: boolean;

  constructor(
    options: {
      sink?: ProgressSink;
      intervalMs?: number;
      now?: () => number;
      quiet?: boolean;
      verbose?: boolean;
      requests?: StopRequests;
    } = {},
  ) {
    this.#sink = options.sink ?? process.stderr;
    this.#intervalMs = options.intervalMs ?? 1000;
    this.#now = options.now ?? (() => performance.now());
    this.#quiet = options.quiet ?? false;
    this.#requests = options.requests ?? null;
    this.verbose = options.verbose ?? false;
    this.#started = this.#now();
  }

  /**
   * A transient status ("CG iteration 40, residual 3e-7"): redrawn on a terminal, throttled otherwise;
   * with verbose, every one a line. Inside a sweep's point, it names the point and the run's time so
   * far: "point 3 of 12, 4 min 10 s elapsed: response: N = 4000, ...". No time left is estimated:
   * the points of a sweep differ in cost by more than their N says (the storage auto takes at each N,
   * N^2 dense or N log N the tree; the CG or Lanczos iterations, which grow with N r_e/R and N; the
   * float64 check, dense at small N and sampled past), so a time scaled from finished points would
   * mislead by factors.
   */
  update(message: string): void {
    this.#status = message;
    this.#statusPoint = this.#point;
    this.#show(this.#pointed(message));
  }

  /** The message behind the point of the status and the run's time now, not the update's time. */
  #pointed(message: string): string {
    const point = this.#statusPoint;
    return point
      ? `point ${point.index + 1} of ${point.count}, ${durationText(this.#now() - this.#started)} elapsed: ${message}`
      : message;
  }

  /**
   * Progress inside the current status, shown after it: the chunks of the product that a solver's
   * iteration is in ("iteration 3: residual 1.2e-3; product: chunk 4 of 10, ~2 s left").
   */
  within(message: string): void {
    this.#show(this.#status ? this.#pointed(`${this.#status}; ${message}`) : message);
  }

  #show(message: string): void {
    if (this.verbose) {
      this.#line(message);
      return;
    }
    this.checkpoint();
    if (this.#quiet) return;
    if (this.#sink.isTTY) {
      this.#sink.write(`\r\x1b[2K${message}`);
      this.#live = true;
      return;
    }
    const now = this.#now();
    if (now - this.#lastPlain < this.#intervalMs) return;
    this.#lastPlain = now;
    this.#sink.write(`${message}\n`);
  }

  /** A lasting line ("assembled M in 1.2 s"): always printed, ending any live line first. */
  log(message: string): void {
    this.#status = '';
    this.#line(message);
  }

  #line(message: string): void {
    this.checkpoint();
    if (this.#quiet) return;
    this.#endLive();
    this.#sink.write(`${message}\n`);
  }

  /** What a user debugging a run wants to know (--verbose): a line only when verbose. */
  detail(message: string): void {
    if (this.verbose) this.#line(message);
    else this.checkpoint();
  }

  /**
   * Asks the run to stop: its next progress report throws Interrupted; once a sweep has finished a
   * point, only a report of a point's own work does (checkpoint).
   */
  interrupt(signal: NodeJS.Signals): void {
    this.#interrupted = signal;
  }

  /** The signal that asked the run to stop (interrupt(), or another thread's request), or null. */
  get interrupted(): NodeJS.Signals | null {
    this.#interrupted ??= this.#requests?.signal() ?? null;
    return this.#interrupted;
  }

  /**
   * Throws Interrupted once the run was asked to stop, unless a sweep has finished a point and none is
   * in progress: what the run does between points and after its sweep (its fits, its files) is short,
   * and the sweep's own check (StudyHooks.stopped) ends it with the points it finished. Long loops
   * without reports call it themselves.
   */
  checkpoint(): void {
    const signal = this.interrupted;
    if (signal && (this.#point !== null || this.#pointsFinished === 0)) throw new Interrupted(signal);
  }

  /** A sweep's point `index` (from 0) of the run's `count` starts (StudyHooks.pointStarted). */
  pointStarted(index: number, count: number): void {
    this.#point = { index, count };
    this.#pointCount = count;
  }

  /** That point ended: `finished`, one of the run's results, or dropped (StudyHooks.pointEnded). */
  pointEnded(finished: boolean): void {
    this.#point = null;
    if (!finished) return;
    this.#pointsFinished++;
    this.#requests?.pointsFinished(this.#pointsFinished, this.#pointCount);
  }

  /** The sweep's points finished so far, of the pointCount it has to run (0 without a sweep). */
  get pointsFinished(): number {
    return this.#pointsFinished;
  }

  get pointCount(): number {
    return this.#pointCount;
  }

  /**
   * A study's hooks on this progress: its text as the status (its fraction unused: the point count
   * says it), Stop on a signal, its points counted, and a pause between the chunks of a long host
   * sum that turns the event loop, where a signal's handler runs.
   */
  studyHooks(): Required<Pick<StudyHooks, 'progress' | 'stopped' | 'pointStarted' | 'pointEnded' | 'pause'>> {
    return {
      pause: () => delay(0),
      progress: (text) => this.update(text),
      stopped: () => this.interrupted !== null,
      pointStarted: (index, count) => this.pointStarted(index, count),
      pointEnded: (finished) => this.pointEnded(finished),
    };
  }

  /**
   * After a study's run, given whether its sweep was `stopped` (its own verdict): the "stopped" of
   * its JSON where a signal ended it after it finished a point; Interrupted where the signal came
   * before the first point finished, which leaves nothing to report; null where the sweep ran all its
   * points, even if a signal came after the last (while the run fitted, or wrote its files): its
   * output is then complete, and the CLI exits 0 and says so.
   */
  sweepStop(stopped: boolean): SweepStop | null {
    this.checkpoint();
    const signal = this.interrupted;
    if (!stopped || signal === null) return null;
    return { signal, points: this.#pointsFinished, of: this.#pointCount };
  }

  /** Ends a live line so the next output starts on a fresh one, and the status with it. */
  done(): void {
    this.#status = '';
    this.#endLive();
  }

  #endLive(): void {
    if (this.#live) this.#sink.write('\n');
    this.#live = false;
  }
}
