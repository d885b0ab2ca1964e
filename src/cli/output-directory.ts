// The --out DIR of the study commands: checked before the run, created when the first file is
// written, and every failure to create or write it is a user error naming the path.
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InputError } from '../physics/input-error.ts';
import { writeOutput } from './formats.ts';

/**
 * Refuses `path` unless it is a writable directory or one that could be made there (its nearest
 * existing ancestor a writable directory). Nothing is created: a run that fails or is stopped
 * leaves no empty directory behind.
 */
export function checkOutputDirectory(path: string): void {
  let existing = resolve(path);
  while (!entryAt(existing) && dirname(existing) !== existing) existing = dirname(existing);
  const problem = !entryAt(existing)?.isDirectory() ? 'ENOTDIR' : writable(existing) ? null : 'EACCES';
  if (problem) throw new InputError(`cannot create directory ${path} (${problem})`, 'out');
}

/** What is at `path`, or undefined where nothing is (also below a file: ENOTDIR). */
function entryAt(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function writable(directory: string): boolean {
  try {
    accessSync(directory, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Writes `text` to DIR/name, creating DIR (and its parents) first, and returns that path. */
export function writeIntoDirectory(directory: string, name: string, text: string): string {
  try {
    mkdirSync(directory, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(`cannot create directory ${directory}${code ? ` (${code})` : ''}`, 'out');
  }
  const path = join(directory, name);
  writeOutput(path, text);
  return path;
}
