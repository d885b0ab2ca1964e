/**
 * A mistake in what the user asked for (bad flag, unreadable file, coincident electrons, ...), as
 * opposed to a bug. The CLI prints its message on one line and exits 2; the app shows it by the field.
 *
 * `field` names the input the mistake is about in the words of the specs (`n`, `epsilon`,
 * `softening`, `model`, `dim`, `positions`, ...): the CLI maps it to its flag, the app to its panel
 * field, so no caller has to read the message to know where it belongs. The message itself names
 * no CLI flag.
 */
export class InputError extends Error {
  override readonly name = 'InputError';
  readonly field: string | null;
  constructor(message: string, field: string | null = null) {
    super(message);
    this.field = field;
  }
}

/**
 * The message under a front end's name for its field (a CLI flag, a panel label) where it begins
 * with the field's name, as the specs' messages do ('n must be ...' becomes '--n must be ...');
 * null where it does not.
 */
export function renamedMessage(error: InputError, name: string): string | null {
  const { field, message } = error;
  return field !== null && message.startsWith(`${field} `) ? `${name}${message.slice(field.length)}` : null;
}

/** What to throw for `error` caught from a spec's parser: renamed (renamedMessage) where it can be. */
export function renamedError(error: unknown, name: string): unknown {
  const message = error instanceof InputError ? renamedMessage(error, name) : null;
  return message === null ? error : new InputError(message, (error as InputError).field);
}

/**
 * What the user typed or a file holds, as a message quotes it: at most `length` characters of it (a
 * cell of a hostile file may be megabytes long).
 */
export function excerpt(text: string, length = 40): string {
  return text.length > length ? `${text.slice(0, length)}…` : text;
}

/** A decimal literal: digits with an optional point and exponent. */
const kDecimalLiteral = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** A mantissa with a non-zero digit: '1e-400' has one, '0.000e5' has none. */
const kNonZeroMantissa = /^[^e]*[1-9]/i;

/**
 * Whether `text` is a decimal literal of a non-zero number too small for float64, which Number()
 * silently reads as 0 ('1e-400': eps = 0 would be free electrons), as it reads '1e400' as Infinity.
 */
export function underflowsToZero(text: string): boolean {
  const trimmed = text.trim();
  return kDecimalLiteral.test(trimmed) && Number(trimmed) === 0 && kNonZeroMantissa.test(trimmed);
}

/**
 * The number `text` writes in decimal (spaces around it allowed), else NaN. Number() alone also
 * reads 0x10, 0o20 and 0b10000 as 16, which no physical input is written in: --n 0x10 would run 16
 * electrons, and a CSV cell 0x1 would be a coordinate of 1. A literal that underflows to 0
 * (underflowsToZero) is NaN too, as one that overflows is Infinity: neither is the number written.
 */
export function decimalNumber(text: string): number {
  const trimmed = text.trim();
  return kDecimalLiteral.test(trimmed) && !underflowsToZero(trimmed) ? Number(trimmed) : NaN;
}
