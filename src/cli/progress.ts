// Progress of long runs on stderr, so stdout stays one JSON object under --json. On a terminal a single
// live line is redrawn; otherwise (pipes, CI logs) plain lines, at most one every `intervalMs`. With
// --verbose, every update is a line of its own (each Krylov check, each chunk) and detail() lines
// say what was chosen (adapter, limits, kernel variants, memory, chunk sizes).

export interface ProgressSink {
  isTTY?: boolean;
  write(text: string): unknown;
}

/**
 * Thrown from the progress hooks once the process was asked to stop (a signal: signals.ts): every long
 * run reports progress, so the stop takes effect at its next report, unwinding through the commands'
 * `finally` blocks, which release the GPU before the process exits.
 */
export class Interrupted extends Error {
  override readonly name = 'Interrupted';
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted (${signal})`);
  }
}

export class Progress {
  #lastPlain = -Infinity;
  /** The last update's message, which within() extends; a log() or done() ends it. */
  #status = '';
  #interrupted: NodeJS.Signals | null = null;
  #live = false;
  readonly #sink: ProgressSink;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #quiet: boolean;
  readonly verbose: boolean;

  constructor(
    options: {
      sink?: ProgressSink;
      intervalMs?: number;
      now?: () => number;
      quiet?: boolean;
      verbose?: boolean;
    } = {},
  ) {
    this.#sink = options.sink ?? process.stderr;
    this.#intervalMs = options.intervalMs ?? 1000;
    this.#now = options.now ?? (() => performance.now());
    this.#quiet = options.quiet ?? false;
    this.verbose = options.verbose ?? false;
  }

  /**
   * A transient status ("CG iteration 40, residual 3e-7"): redrawn on a terminal, throttled otherwise;
   * with verbose, every one a line.
   */
  update(message: string): void {
    this.#status = message;
    this.#show(message);
  }

  /**
   * Progress inside the current status, shown after it: the chunks of the product that a solver's
   * iteration is in ("iteration 3: residual 1.2e-3; product: chunk 4 of 10, ~2 s left").
   */
  within(message: string): void {
    this.#show(this.#status ? `${this.#status}; ${message}` : message);
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

  /** Asks the run to stop: its next progress report throws Interrupted. */
  interrupt(signal: NodeJS.Signals): void {
    this.#interrupted = signal;
  }

  /** Throws Interrupted once interrupt() was called; long loops without reports call it themselves. */
  checkpoint(): void {
    if (this.#interrupted) throw new Interrupted(this.#interrupted);
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
