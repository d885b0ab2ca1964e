// Progress of long runs on stderr, so stdout stays one JSON object under --json. On a terminal a single
// live line is redrawn; otherwise (pipes, CI logs) plain lines, at most one every `intervalMs`.

export interface ProgressSink {
  isTTY?: boolean;
  write(text: string): unknown;
}

export class Progress {
  #lastPlain = -Infinity;
  #live = false;
  readonly #sink: ProgressSink;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #quiet: boolean;

  constructor(
    options: { sink?: ProgressSink; intervalMs?: number; now?: () => number; quiet?: boolean } = {},
  ) {
    this.#sink = options.sink ?? process.stderr;
    this.#intervalMs = options.intervalMs ?? 1000;
    this.#now = options.now ?? (() => performance.now());
    this.#quiet = options.quiet ?? false;
  }

  /** A transient status ("CG iteration 40, residual 3e-7"): redrawn on a terminal, throttled otherwise. */
  update(message: string): void {
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
    if (this.#quiet) return;
    this.#endLive();
    this.#sink.write(`${message}\n`);
  }

  /** Ends a live line so the next output starts on a fresh one. */
  done(): void {
    this.#endLive();
  }

  #endLive(): void {
    if (this.#live) this.#sink.write('\n');
    this.#live = false;
  }
}
