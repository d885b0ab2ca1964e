// The --out of the commands, a directory (the studies) or a file (solve): checked before the run,
// a directory created when its files are written, all of them or none, and every failure to create
// or write one a user error naming the path.
import {
  accessSync,
  closeSync,
  constants,
  lstatSync,
  mkdirSync,
  openSync,
  renameSync,
  rmdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { toJson } from '../io/formats.ts';
import { InputError } from '../physics/input-error.ts';
import { firstRepeated } from '../studies/study.ts';
import { partialPath, removeQuietly } from './formats.ts';
import { beginLockWait, endLockWait, lockWaitTaken, writeWhole } from './signals.ts';

/** A file a study writes into its --out directory: its name there and its contents. */
export type OutputFile = readonly [name: string, contents: string];

/**
 * An --out DIR checked before the run, with the names of every file the run will write there (each
 * study's from its spec): writeIntoDirectory holds the run to them, so that no file goes unchecked
 * until a long run has ended.
 */
export interface OutputDirectory {
  readonly path: string;
  readonly names: readonly string[];
}

/**
 * Refuses `path` as --out DIR unless it is a writable directory, or one that could be made (its
 * nearest existing ancestor a writable directory), and unless each of `names` in it could be
 * written: a directory where one of them goes cannot be replaced, and no two files of a run can share
 * a name; nor while another run holds its lock (lockDirectory), which a run killed as it wrote leaves
 * behind: found now, not after the whole run. Nothing is left behind (refusalToCreate's probe is
 * removed at once): a run that fails or is stopped leaves no empty directory.
 */
export function checkOutputDirectory(path: string, names: readonly string[]): OutputDirectory {
  checkTargets(path, names);
  if (entryAt(join(path, kLockName), lstatSync)) throw lockRefusal(path);
  return { path, names };
}

/** checkOutputDirectory's refusals but the lock's, which a run about to write waits for instead. */
function checkTargets(path: string, names: readonly string[]): void {
  const refuse = (code: string) => {
    throw new InputError(`cannot create directory ${path} (${code})`, 'out');
  };
  if (path.trim() === '') throw new InputError("--out needs a directory, got ''", 'out');
  const twice = firstRepeated(names);
  if (twice !== undefined) {
    throw new InputError(
      `cannot write ${join(path, twice)} twice: two files of this run take that name`,
      'out',
    );
  }
  if (entryAt(path, lstatSync)) {
    // There already: a directory, or a link to one (a dangling link is nothing to write into).
    const target = entryAt(path, statSync);
    if (!target) refuse('ENOENT');
    else if (!target.isDirectory()) refuse('ENOTDIR');
    else if (!writable(path)) {
      throw new InputError(`cannot write into ${path}: the directory ${path} is not writable`, 'out');
    }
    const refused = refusalToCreate(join(path, kProbeName), 'file');
    if (refused)
      throw new InputError(`cannot write into ${path}: the file system refuses it (${refused})`, 'out');
    for (const name of names) {
      // lstat: a link where a file goes is replaced by the file, as a file is; a directory is not.
      const file = join(path, name);
      if (entryAt(file, lstatSync)?.isDirectory()) {
        throw new InputError(`cannot write ${file}: it is a directory`, 'out');
      }
    }
    return;
  }
  // Unresolved, so that a message names the folder as the user would ('.' at the top of a relative path).
  let ancestor = dirname(path);
  while (!entryAt(ancestor, statSync) && dirname(ancestor) !== ancestor) ancestor = dirname(ancestor);
  if (!entryAt(ancestor, statSync)?.isDirectory()) refuse('ENOTDIR');
  else if (!writable(ancestor)) {
    throw new InputError(`cannot create directory ${path}: its directory ${ancestor} is not writable`, 'out');
  }
  const refused = refusalToCreate(join(ancestor, kProbeName), 'directory');
  if (refused)
    throw new InputError(`cannot create directory ${path}: the file system refuses it (${refused})`, 'out');
}

/** The name of checkOutputDirectory's probes, made unique by partialPath. */
const kProbeName = '.darwin-breit';

/**
 * Creates `what` beside `path` (partialPath) and removes it at once: the code of the file system's
 * refusal, or null. Access bits say nothing to root, whom a read-only mount, /sys or /proc refuse
 * all the same, and what only the file system knows (a name too long) shows too; Node's recursive
 * mkdir never returns in /proc, so a directory there must be refused before it is made.
 */
function refusalToCreate(path: string, what: 'file' | 'directory'): string | null {
  const probe = partialPath(path);
  try {
    if (what === 'file') writeFileSync(probe, '', { flag: 'wx' });
    else mkdirSync(probe);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? 'refused';
  }
  if (what === 'file') removeQuietly(probe);
  else rmdirSync(probe);
  return null;
}

/**
 * Refuses `path` as an output file (--out FILE) before the run that would fill it: writeOutput
 * writes beside it and renames, so its directory must exist and be writable, and the path must not
 * be a directory. Its temporary name is created and removed at once (refusalToCreate).
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
  const refused = refusalToCreate(path, 'file');
  if (refused) refuse(`the file system refuses it (${refused})`);
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

/**
 * Writes `files` into DIR, creating DIR (and its parents) first, and returns their paths. All or
 * none: every target is checked again (checkOutputDirectory: the folder may have changed during the
 * run) and every file written under its temporary name before the first is renamed into place, so a
 * refusal leaves what DIR held as it was. DIR as checked before the run must name each of these
 * files: one named otherwise would have gone unchecked until now. `lockWaitMs`: how long to wait for
 * another run's lock (lockDirectory).
 */
export function writeIntoDirectory(
  out: OutputDirectory,
  files: readonly OutputFile[],
  lockWaitMs = kLockWaitMs,
): string[] {
  const names = files.map(([name]) => name);
  const unchecked = names.filter((name) => !out.names.includes(name));
  if (unchecked.length > 0) {
    throw new Error(`the run writes ${unchecked.join(', ')}, not checked before it: ${out.names.join(', ')}`);
  }
  // Uncut by a signal (writeWhole): the check's probe, DIR, the lock and the files come and go together.
  return writeWhole(() => writeAllOrNone(out.path, names, files, lockWaitMs));
}

/** writeIntoDirectory's files, `names`, written into `directory` or none of them. */
function writeAllOrNone(
  directory: string,
  names: readonly string[],
  files: readonly OutputFile[],
  lockWaitMs: number,
): string[] {
  checkTargets(directory, names);
  let created: string | undefined;
  try {
    created = mkdirSync(directory, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(`cannot create directory ${directory}${code ? ` (${code})` : ''}`, 'out');
  }
  const paths = names.map((name) => join(directory, name));
  let lock: string | undefined;
  let path = '';
  try {
    lock = lockDirectory(directory, lockWaitMs);
    files.forEach(([, contents], k) => {
      path = paths[k];
      writeFileSync(partialPath(path), contents);
    });
    for (path of paths) renameSync(partialPath(path), path);
  } catch (error) {
    // Those written, and the one that failed (a disk filled while writing it); a renamed one is gone.
    for (const target of paths) removeQuietly(partialPath(target));
    if (lock !== undefined) removeQuietly(lock);
    // A directory this run made goes too, whatever failed: the lock's own refusal included.
    if (created !== undefined) removeEmptyDirectories(directory, created);
    if (error instanceof InputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(`cannot write ${path}${code ? ` (${code})` : ''}`, 'out');
  }
  removeQuietly(lock);
  return paths;
}

/** The lock a run holds in its --out DIR while it writes its files there (lockDirectory). */
const kLockName = '.darwin-breit.lock';
/**
 * How long a run waits for another's lock: a run's files take well under a second to write, and a
 * stop waits only kWriteGraceMs (5 s) for a write, this wait included.
 */
const kLockWaitMs = 3000;
const kLockPollMs = 50;

/** The refusal of a DIR whose lock another run holds, or a run killed as it wrote left behind. */
function lockRefusal(directory: string): InputError {
  return new InputError(
    `cannot write into ${directory}: another darwin-breit run is writing into it ` +
      `(remove ${join(directory, kLockName)} if none is)`,
    'out',
  );
}

/**
 * Takes `directory`'s lock, waiting up to `waitMs` for another run's, and returns its path: two runs
 * writing into one directory at once (a job array without --shard, a loop without a DIR per job)
 * would otherwise interleave their renames and leave a mix of both runs' files, each exit 0. The lock
 * is an empty file: created, it needs no block of a full disk, so no failure leaves it half-made.
 * Refused in one line after the wait, or at once where a signal came during it (lockWaitTaken): the
 * stop is the user's, not a wait's. A stop that came before it (the one that ended a sweep) lets the
 * wait run its course, as the GPU's thread, which hears no signal while it waits, does.
 */
function lockDirectory(directory: string, waitMs: number): string {
  const lock = join(directory, kLockName);
  const deadline = performance.now() + waitMs;
  let waiting = false;
  for (;;) {
    let descriptor: number | undefined;
    try {
      descriptor = openSync(lock, 'wx');
      closeSync(descriptor);
    } catch (error) {
      // Created but not closed: this run's, not one to leave for the next to find.
      if (descriptor !== undefined) removeQuietly(lock);
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw new InputError(`cannot write ${lock}${code ? ` (${code})` : ''}`, 'out');
      if (performance.now() >= deadline || lockWaitTaken()) throw lockRefusal(directory);
      if (!waiting) beginLockWait();
      waiting = true;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, kLockPollMs);
      continue;
    }
    // A stop that came during the wait said the lock would not be taken: it came free too late.
    if (waiting && !endLockWait()) {
      removeQuietly(lock);
      throw lockRefusal(directory);
    }
    return lock;
  }
}

/** Removes `directory` and its parents up to `top`, the first that mkdir made, while they are empty. */
function removeEmptyDirectories(directory: string, top: string): void {
  for (let at = resolve(directory); ; at = dirname(at)) {
    try {
      rmdirSync(at);
    } catch {
      return;
    }
    if (at === resolve(top)) return;
  }
}

/** The name of a study's JSON summary in DIR: `<command>.json`, `<command>-shard<K>of<N>.json` for a shard. */
export function summaryFileName(
  command: string,
  shard: { readonly index: number; readonly count: number } | null | undefined,
): string {
  return shard ? `${command}-shard${shard.index}of${shard.count}.json` : `${command}.json`;
}

/**
 * A study's --out DIR, or null without one, checked before its run for `names` (its plots and data,
 * from its spec) and its summary (summaryFileName: a shard's for a shard).
 */
export function checkStudyOutput(
  path: string | undefined,
  command: string,
  shard: { readonly index: number; readonly count: number } | null,
  names: readonly string[],
): OutputDirectory | null {
  return path === undefined ? null : checkOutputDirectory(path, [...names, summaryFileName(command, shard)]);
}

/**
 * A study's summary as its --json prints it, less "files" (the list it is one of), named by
 * summaryFileName: a shard's never taken for a whole run's. --out then holds the numbers beside the
 * plots, in a file merge reads and the app loads back.
 */
export function summaryFile(summary: {
  readonly command: string;
  readonly shard?: { index: number; count: number } | null;
}): OutputFile {
  return [summaryFileName(summary.command, summary.shard), toJson({ ...summary, files: undefined }) + '\n'];
}
