// Writing the CLI's output files; the formats themselves are in src/io/ and src/run/report.ts, shared
// with the app.
import { accessSync, constants, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { InputError } from '../physics/input-error.ts';

/**
 * Writes `contents` to `path`, turning a file-system failure into a user error that names the path.
 * The file is written under a temporary name beside it and renamed when complete, so a run that
 * fails or is interrupted while writing leaves no half-written file under the name asked for.
 */
export function writeOutput(path: string, contents: string | Uint8Array): void {
  const partial = `${path}.partial-${process.pid}`;
  try {
    writeFileSync(partial, contents);
    renameSync(partial, path);
  } catch (error) {
    rmSync(partial, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(`cannot write ${path}${code ? ` (${code})` : ''}`, 'out');
  }
}

/**
 * Refuses an output file that could not be written, before the run that would fill it: a directory
 * that is missing or not writable, or a path that is a directory.
 */
export function checkWritable(path: string): void {
  const directory = dirname(path);
  try {
    accessSync(directory, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(
      `cannot write ${path}: its directory ${directory} ${code === 'ENOENT' ? 'does not exist' : `is not writable (${code})`}`,
      'out',
    );
  }
  if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) {
    throw new InputError(`cannot write ${path}: it is a directory`, 'out');
  }
}
