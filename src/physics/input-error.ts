/**
 * A mistake in what the user asked for (bad flag, unreadable file, coincident electrons, ...), as
 * opposed to a bug. The CLI prints its message on one line and exits 2; the app shows it by the field.
 */
export class InputError extends Error {
  override readonly name = 'InputError';
}
