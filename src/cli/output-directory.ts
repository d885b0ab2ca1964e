// The --out DIR of the study commands: the directory is created on demand, and every failure to
// create or write it is a user error naming the path.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../physics/input-error.ts';
import { writeOutput } from './formats.ts';

/** Creates `path` (and its parents) unless it exists. */
export function prepareOutputDirectory(path: string): void {
  try {
    mkdirSync(path, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(`cannot create directory ${path}${code ? ` (${code})` : ''}`);
  }
}

/** Writes `text` to DIR/name and returns that path. */
export function writeIntoDirectory(directory: string, name: string, text: string): string {
  const path = join(directory, name);
  writeOutput(path, text);
  return path;
}
