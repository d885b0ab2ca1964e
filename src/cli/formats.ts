// Writing the CLI's output files; the formats themselves are in src/io/formats.ts, shared with the app.
import { writeFileSync } from 'node:fs';
import { InputError } from '../physics/input-error.ts';

/** Writes `text` to `path`, turning a file-system failure into a user error that names the path. */
export function writeOutput(path: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(`cannot write ${path}${code ? ` (${code})` : ''}`);
  }
}
