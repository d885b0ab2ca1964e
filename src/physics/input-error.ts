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
