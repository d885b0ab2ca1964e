// Writing the CLI's output files; the formats themselves are in src/io/ and src/run/report.ts, shared
// with the app.
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { InputError } from '../physics/input-error.ts';
import { writeWhole } from './signals.ts';

/**
 * Writes `contents` to `path`, turning a file-system failure into a user error that names the path.
 * The file is written under a temporary name beside it and renamed when complete, so a run that
 * fails or is interrupted while writing leaves no half-written file under the name asked for, nor
 * (writeWhole) one under the temporary name.
 */
export function writeOutput(path: string, contents: string | Uint8Array): void {
  const partial = partialPath(path);
  writeWhole(() => {
    try {
      writeFileSync(partial, contents);
      renameSync(partial, path);
    } catch (error) {
      removeQuietly(partial);
      const code = (error as NodeJS.ErrnoException).code;
      throw new InputError(`cannot write ${path}${code ? ` (${code})` : ''}`, 'out');
    }
  });
}

/**
 * The refusal of `write`, the --out files of a finished run, returned rather than thrown: the command
 * reports it once its results are printed (CommandOutput.outFailure), so that a disk that filled
 * during a long run does not cost the numbers on stdout as well.
 */
export function refusalOf(write: () => unknown): InputError | undefined {
  try {
    write();
    return undefined;
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
}

/** The temporary name writeOutput writes `path` under. */
export function partialPath(path: string): string {
  return `${path}.partial-${process.pid}`;
}

/** Removes `path` if it is there and can be: the error being reported is the one that matters. */
export function removeQuietly(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // A name the file system refuses (too long) was never created.
  }
}
