// The --out of the commands, a directory (the studies) or a file (solve): checked before the run,
// a directory created when its first file is written, and every failure to create or write one a
// user error naming the path.
import { accessSync, constants, lstatSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { toJson } from '../io/formats.ts';
import { InputError } from '../physics/input-error.ts';
import { partialPath, removeQuietly, writeOutput } from './formats.ts';

/**
 * Refuses `path` as --out DIR unless it is a writable directory, or one that could be made (its
 * nearest existing ancestor a writable directory). Nothing is created: a run that fails or is
 * stopped leaves no empty directory behind.
 */
export function checkOutputDirectory(path: string): void {
  const refuse = (code: string) => {
    throw new InputError(`cannot create directory ${path} (${code})`, 'out');
  };
  if (path.trim() === '') throw new InputError("--out needs a directory, got ''", 'out');
  if (entryAt(path, lstatSync)) {
    // There already: a directory, or a link to one (a dangling link is nothing to write into).
    const target = entryAt(path, statSync);
    if (!target) refuse('ENOENT');
    else if (!target.isDirectory()) refuse('ENOTDIR');
    else if (!writable(path)) refuse('EACCES');
    return;
  }
  let ancestor = dirname(resolve(path));
  while (!entryAt(ancestor, statSync) && dirname(ancestor) !== ancestor) ancestor = dirname(ancestor);
  if (!entryAt(ancestor, statSync)?.isDirectory()) refuse('ENOTDIR');
  else if (!writable(ancestor)) refuse('EACCES');
}

/**
 * Refuses `path` as an output file (--out FILE) before the run that would fill it: writeOutput
 * writes beside it and renames, so its directory must exist and be writable, and the path must not
 * be a directory. Its temporary name is created and removed at once, so that what only the file
 * system knows (a name too long, a read-only mount) is found now too.
 */
export function checkOutputFile(path: string): void {
  const refuse = (why: string) => {
    throw new InputError(`cannot write ${path}: ${why}`, 'out');
  };
  if (path.trim() === '') refuse('no file name');
  if (entryAt(path, statSync)?.isDirectory()) refuse('it is a directory');
  const directory = dirname(path);
  const entry = entryAt(directory, statSync);
  if (!entry) refuse(`its directory ${directory} does not exist`);
  else if (!entry.isDirectory()) refuse(`${directory} is not a directory`);
  else if (!writable(directory)) refuse(`its directory ${directory} is not writable`);
  const probe = partialPath(path);
  try {
    writeFileSync(probe, '', { flag: 'wx' });
  } catch (error) {
    refuse(`the file system refuses it (${(error as NodeJS.ErrnoException).code})`);
  }
  removeQuietly(probe);
}

/** What `stat` finds at `path`, or undefined where it finds nothing (missing, below a file, too long). */
function entryAt(path: string, stat: typeof statSync | typeof lstatSync) {
  try {
    return stat(path);
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

/**
 * Writes a study's summary into DIR as its --json prints it, less "files" (the list it is one of):
 * `<command>.json`, or `<command>-shard<K>of<N>.json` for a shard, never taken for a whole run's.
 * --out then holds the numbers beside the plots, in a file merge reads and the app loads back.
 */
export function writeSummaryIntoDirectory(
  directory: string,
  summary: { readonly command: string; readonly shard?: { index: number; count: number } },
): string {
  const { command, shard } = summary;
  const name = shard ? `${command}-shard${shard.index}of${shard.count}.json` : `${command}.json`;
  return writeIntoDirectory(directory, name, toJson({ ...summary, files: undefined }) + '\n');
}
