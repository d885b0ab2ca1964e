// What every study shares: the hooks its run is driven by (the CLI's progress line, the app's progress
// bar and Stop button), which also pace its long float64 host sums (src/run/chunks.ts inPacedChunks),
// the one rule by which a sweep honours Stop, and the shards a sweep's points are split into
// (`--shard K/N`) and joined back from (`merge`).
import { kProgramVersion, type DeviceSummary } from '../io/formats.ts';
import { InputError } from '../physics/input-error.ts';
import type { DarwinSystem } from '../physics/models.ts';
import type { MassMatrixBackend } from '../run/backend.ts';
import { withinTarget } from '../run/check.ts';
import type { PacingHooks } from '../run/chunks.ts';
import { parseNumber, type Check } from '../run/inputs.ts';

/** A backend of the system (its M assembled or set up); the study disposes of it after use. */
export type BackendFactory = (system: DarwinSystem) => Promise<MassMatrixBackend>;

/**
 * An integer option of a study's spec (electrons, grid points, sweep points): the range the CLI's
 * flag and the app's field both check, each naming the option in its own words.
 */
export interface IntegerRange {
  readonly min: number;
  readonly max: number;
}

/** Why x is refused by the range, or null; the caller prefixes the option's name. */
export function integerRangeProblem(range: IntegerRange, x: number): string | null {
  return Number.isInteger(x) && x >= range.min && x <= range.max
    ? null
    : `must be an integer in ${range.min}..${range.max}`;
}

/** The first value of `values` that an earlier one equals, or undefined where none repeats. */
export function firstRepeated<T>(values: readonly T[]): T | undefined {
  return values.find((value, k) => values.indexOf(value) < k);
}

/**
 * Refuses a list of a sweep's points that names one twice (the sweep would run it twice and write
 * its files over themselves): '<name> names X more than once; give it once'.
 */
export function checkNoneRepeated(values: readonly (string | number)[], name: string, field: string): void {
  const twice = firstRepeated(values);
  if (twice !== undefined) throw new InputError(`${name} names ${twice} more than once; give it once`, field);
}

/**
 * The numbers of comma-separated lists (`texts`: a flag given once or repeated, a link's parameter), in
 * the order given, each read and held to `check` as parseNumber reads one number, its refusal naming
 * `name` ("--n needs a finite number, got 'x'", '--n must be an integer in 1..1000000, got 0'). With
 * `refuseRepeats` a number given twice is refused (checkNoneRepeated: a sweep's list on the command
 * line); without, it is kept as given.
 */
export function numberList(
  field: string,
  name: string,
  texts: string | readonly string[],
  check: Check | null = null,
  { refuseRepeats = false }: { readonly refuseRepeats?: boolean } = {},
): number[] {
  const values = (typeof texts === 'string' ? [texts] : texts)
    .flatMap((text) => text.split(','))
    .map((text) => parseNumber(field, name, text.trim(), check));
  if (refuseRepeats) checkNoneRepeated(values, name, field);
  return values;
}

/**
 * How a run reports and is stopped; every hook is optional (a test passes none). Its pause and
 * progress (PacingHooks) are awaited and told between two points, and inside a point between the
 * chunks of a long float64 host sum (inPacedChunks).
 */
export interface StudyHooks extends PacingHooks {
  /** True once the user asked to stop. */
  stopped?(): boolean;
  /**
   * Point `index` (from 0) of the run's `count` starts: the CLI names it on its progress line, times
   * the run, and lets a signal cut short only a point's own work (src/cli/progress.ts).
   */
  pointStarted?(index: number, count: number): void;
  /** That point ended: `finished`, one of the results, or dropped (Stop cut it short, or it threw). */
  pointEnded?(finished: boolean): void;
}

/** Thrown by a point that Stop cut short, to skip what it had left: the sweep drops it (the Stop rule). */
export class PointStopped extends Error {
  override readonly name = 'PointStopped';
  constructor() {
    super('stopped');
  }
}

/**
 * The one Stop rule: a sweep checks Stop before each point and, inside a long point (a Lanczos run),
 * at its readbacks; a point that Stop cut short is not a measurement and is dropped, so what a
 * stopped sweep returns is the points it finished. A point may also end by throwing once Stop is
 * asked (the app's engine stops between two pieces of a long product that way): that is the stop too.
 * The point hooks hear each point's start and end: the one place a run's points are counted.
 */
export async function sweep<P, R>(
  points: readonly P[],
  hooks: StudyHooks,
  measure: (point: P, index: number) => Promise<R>,
  onResult?: (result: R, results: readonly R[]) => void,
): Promise<{ readonly results: R[]; readonly stopped: boolean }> {
  const results: R[] = [];
  for (const [k, point] of points.entries()) {
    if (hooks.stopped?.()) return { results, stopped: true };
    await hooks.pause?.();
    hooks.pointStarted?.(k, points.length);
    let result: R;
    try {
      result = await measure(point, k);
    } catch (error) {
      hooks.pointEnded?.(false);
      if (hooks.stopped?.()) return { results, stopped: true };
      throw error;
    }
    const stopped = hooks.stopped?.() ?? false;
    hooks.pointEnded?.(!stopped);
    if (stopped) return { results, stopped: true };
    results.push(result);
    onResult?.(result, results);
  }
  return { results, stopped: false };
}

/**
 * A sweep point's float64 check (a response point's solve, a scaling point's extremes): the dense
 * reference's error (`check`) or, past it, the residual on float64 rows of M at sampled electrons
 * (`sampledResidual`), and the target the one held is held to; all null where nothing was checked. A
 * response point's refined solve has its float64 residual with the dense reference's M
 * (`denseResidual`; a scaling point has none), held in place of `check`.
 */
export interface CheckedPoint {
  readonly check: number | null;
  readonly denseResidual?: number | null;
  readonly sampledResidual: number | null;
  readonly checkTarget: number | null;
}

/**
 * A point's held check as its JSON names it: the dense residual, else the dense one's error ("check"),
 * or the sampled residual, with the target it is held to; null where nothing was checked.
 */
export function pointCheck(point: CheckedPoint): {
  readonly name: 'check' | 'dense_residual' | 'sampled_residual';
  readonly error: number;
  readonly target: number;
} | null {
  const { check, denseResidual = null, sampledResidual, checkTarget } = point;
  if (checkTarget === null) return null;
  if (denseResidual !== null) return { name: 'dense_residual', error: denseResidual, target: checkTarget };
  if (check !== null) return { name: 'check', error: check, target: checkTarget };
  if (sampledResidual !== null)
    return { name: 'sampled_residual', error: sampledResidual, target: checkTarget };
  return null;
}

/**
 * Whether a point's check is within its target, as solve judges its own ("within_target"); null where
 * nothing was checked.
 */
export function pointWithinTarget(point: CheckedPoint): boolean | null {
  const checked = pointCheck(point);
  return checked && withinTarget(checked.error, checked.target);
}

/**
 * The hooks of one of several sweeps that make up a run (a London run's maps, then its convergence
 * list; a scaling run's geometries), its points from the run's `first` on, of `count` in all: the
 * point hooks count them in the run's.
 */
export function sweepOfRun(hooks: StudyHooks, first: number, count: number): StudyHooks {
  return { ...hooks, pointStarted: (index) => hooks.pointStarted?.(first + index, count) };
}

/**
 * A run that Stop or a signal ended early: the "stopped" field of its JSON, `points` finished of the
 * `of` it had to run (a shard's own); `signal` names the signal that stopped a CLI run, null for the
 * app's Stop. A complete run's JSON has no "stopped".
 */
export interface SweepStop {
  readonly signal: string | null;
  readonly points: number;
  readonly of: number;
}

/** The "stopped" field of a run's JSON: absent (an empty spread) for a complete run. */
export function stoppedJson(stop: SweepStop | null): { stopped?: SweepStop } {
  return stop ? { stopped: { signal: stop.signal, points: stop.points, of: stop.of } } : {};
}

/** The line a stopped run's text ends its table with: "stopped by SIGINT after 3 of 12 points". */
export function stoppedLine(stop: SweepStop): string {
  const by = stop.signal === null ? '' : ` by ${stop.signal}`;
  return `stopped${by} after ${stop.points} of ${stop.of} points`;
}

/**
 * A sweep's plot title, and where a signal or Stop ended the sweep early how far it got, so that a
 * plot of part of it (its fit over the points it has) does not pass for the whole run's:
 * "ring, vector model: ... (stopped by SIGINT after 5 of 6 points)".
 */
export function sweepPlotTitle(title: string, stop: SweepStop | null): string {
  return stop ? `${title} (${stoppedLine(stop)})` : title;
}

/**
 * The "stopped" field of a saved run's JSON read back: null where it is absent or null (a complete
 * run), refused unless what stoppedJson writes.
 */
export function savedStop(json: Record<string, unknown>, name: string): SweepStop | null {
  const stopped = json.stopped;
  if (stopped === undefined || stopped === null) return null;
  const { signal, points, of } = (typeof stopped === 'object' ? stopped : {}) as Record<string, unknown>;
  if (
    !(signal === null || typeof signal === 'string') ||
    !Number.isSafeInteger(points) ||
    !Number.isSafeInteger(of) ||
    !((points as number) >= 0 && (points as number) <= (of as number))
  ) {
    throw new InputError(`${name}: "stopped" is not {"signal", "points", "of"}`, 'result');
  }
  return { signal: signal as string | null, points: points as number, of: of as number };
}

/** Shard `index` of `count` (1 <= index <= count): the points k with k mod count = index - 1. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** 'K/N' as a shard; `field` names the option in the error. */
export function parseShard(text: string, field = 'shard'): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = match ? Number(match[1]) : NaN;
  const count = match ? Number(match[2]) : NaN;
  if (!(Number.isSafeInteger(count) && count >= 1 && index >= 1 && index <= count)) {
    throw new InputError(`${field} takes K/N with 1 <= K <= N, got '${text}'`, field);
  }
  return { index, count };
}

/** Whether the point at `position` of a sweep belongs to `shard` (every point without one). */
export function inShard(position: number, shard: Shard | null): boolean {
  return shard === null || position % shard.count === shard.index - 1;
}

/** The shard's points of a sweep, in the sweep's order. */
export function shardOf<T>(points: readonly T[], shard: Shard | null): T[] {
  return points.filter((_, k) => inShard(k, shard));
}

/**
 * The sweep's points back from its shards' (each in the sweep's order): point j of shard K is point
 * K - 1 + j N of the sweep. Every shard of 1..N must be there exactly once.
 */
export function joinShards<T>(
  parts: readonly { readonly shard: Shard; readonly points: readonly T[] }[],
): T[] {
  const count = parts[0]?.shard.count ?? 0;
  const seen = new Set(parts.map((part) => part.shard.index));
  if (parts.some((part) => part.shard.count !== count) || seen.size !== parts.length || seen.size !== count) {
    const have = parts.map((part) => `${part.shard.index}/${part.shard.count}`).join(', ');
    throw new InputError(`merge needs each shard 1/N..N/N of one sweep exactly once, got ${have}`, 'shards');
  }
  const total = parts.reduce((sum, part) => sum + part.points.length, 0);
  const joined: T[] = new Array<T>(total);
  for (const part of parts) {
    part.points.forEach((point, j) => {
      const position = part.shard.index - 1 + j * count;
      if (position >= total) throw new InputError('merge: the shards are not of one sweep', 'shards');
      joined[position] = point;
    });
  }
  return joined;
}

/**
 * The shards' `key`s, refused unless one: a run's settings are the same in all its shards. `hint`:
 * what a null among them means, and what to do, for the refusal to say.
 */
export function sameInShards<T>(
  shards: readonly T[],
  key: (shard: T) => unknown,
  what: string,
  hint: { readonly nullMeans?: string; readonly remedy?: string } = {},
): void {
  // A key a shard lacks counts as null, what a shard's JSON holds for one not recorded (scaling's "sweep").
  const values = new Set(shards.map((shard) => JSON.stringify(key(shard) ?? null)));
  if (values.size > 1) {
    const named = [...values].map((value) =>
      value === 'null' && hint.nullMeans ? `null: ${hint.nullMeans}` : value,
    );
    throw new InputError(
      `merge: the shards differ in ${what} (${named.join(', ')}): not one run` +
        (hint.remedy ? `; ${hint.remedy}` : ''),
      'shards',
    );
  }
}

/** The "shard" object of a shard's JSON. */
export function shardJson(shard: Shard) {
  return { index: shard.index, count: shard.count };
}

/**
 * Whether `entry`, a value of a saved run's JSON, is an object with a finite number under each of
 * `keys` and one or null under each of `nullable` (finite: see FieldKind): what a reader checks before
 * the app shows it.
 */
export function holdsNumbers(
  entry: unknown,
  keys: readonly string[],
  nullable: readonly string[] = [],
): boolean {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return false;
  const record = entry as Record<string, unknown>;
  return (
    keys.every((key) => Number.isFinite(record[key])) &&
    nullable.every((key) => record[key] === null || Number.isFinite(record[key]))
  );
}

/** A number of a study's JSON back: null stood for a value that was not finite (toJson). */
export const finiteOrNaN = (x: number | null): number => (x === null ? NaN : x);

/**
 * A field's kind in the JSON: '?' after a kind admits null (toJson's stand-in for no number). A
 * 'number' is finite: toJson writes null for any other, so an Infinity is a literal such as 1e400
 * that overflowed as it was read, not a number the run wrote.
 */
export type FieldKind = 'number' | 'number?' | 'string' | 'string?' | 'boolean';

/** Whether `value` is a JSON object (not null, not a list). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `key` under `path` as a reader names it: 'points[0].ratio', or 'ratios' at the top. */
export function fieldPath(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** What `value` at `path` lacks of an object holding `fields` of their kinds, in words; null if nothing. */
export function objectLack(value: unknown, path: string, fields: Record<string, FieldKind>): string | null {
  if (!isObject(value)) return `${path} ${value === undefined ? 'is missing' : 'is not an object'}`;
  for (const [key, kind] of Object.entries(fields)) {
    const field = value[key];
    const nullable = kind.endsWith('?');
    const type = nullable ? kind.slice(0, -1) : kind;
    const ofKind = type === 'number' ? Number.isFinite(field) : typeof field === type;
    if (ofKind || (nullable && field === null)) continue;
    const wanted = `${type === 'number' ? 'a finite number' : `a ${type}`}${nullable ? ' or null' : ''}`;
    return `${fieldPath(path, key)} ${field === undefined ? 'is missing' : `is not ${wanted}`}`;
  }
  return null;
}

/**
 * What a list under `key` of `parent` (at `path`) lacks, its entries checked by `entry`; null if
 * nothing. Empty only where `empty` admits it (a shard's share of a sweep may hold none of it).
 */
export function listLack(
  parent: Record<string, unknown>,
  path: string,
  key: string,
  entry: (value: unknown, path: string) => string | null,
  { empty = false }: { empty?: boolean } = {},
): string | null {
  const list = parent[key];
  const at = fieldPath(path, key);
  if (!Array.isArray(list)) return `${at} ${list === undefined ? 'is missing' : 'is not a list'}`;
  if (list.length === 0 && !empty) return `${at} is empty`;
  for (const [k, value] of list.entries()) {
    const lack = entry(value, `${at}[${k}]`);
    if (lack !== null) return lack;
  }
  return null;
}

/**
 * What a sweep's parameters (N, a_m/a: `values`, the k-th at `path(k)`) lack, in words; null if
 * nothing: each a finite number without `problem` (the range its flag checks), none twice, and
 * ascending where the command sorts them. A point under a parameter its run never had, or two under
 * one, would be reported as measured there.
 */
export function sweepValuesLack(
  values: readonly unknown[],
  path: (k: number) => string,
  problem: Check,
  { ascending = false }: { readonly ascending?: boolean } = {},
): string | null {
  for (const [k, value] of values.entries()) {
    if (!Number.isFinite(value)) return `${path(k)} is not a finite number`;
    const x = value as number;
    const why = problem(x) ?? (values.indexOf(x) < k ? 'given twice' : null);
    if (why !== null) return `${path(k)} is ${x}: ${why}`;
    if (ascending && k > 0 && x < (values[k - 1] as number))
      return `${path(k)} is ${x}: below ${path(k - 1)}, ${values[k - 1] as number}`;
  }
  return null;
}

/**
 * What a shard's points (a list at `path`) lack of the parameter under `key` (N, a_m/a) that its
 * run's list gives them, in words; null if nothing. Point j of shard K/C is point K - 1 + jC of the
 * sweep (joinShards), whose points from `offset` on carry `sweep`'s parameters in turn: a point under
 * another one, or one too few or too many, would be joined in under a parameter not its own.
 */
export function shardPointsLack(
  points: readonly Record<string, unknown>[],
  path: string,
  key: string,
  sweep: readonly number[],
  offset: number,
  shard: Shard,
): string | null {
  const mine = sweep.filter((_, k) => inShard(offset + k, shard));
  if (points.length !== mine.length)
    return `${path} holds ${points.length} points, not the ${mine.length} of shard ${shard.index}/${shard.count} of its run's list`;
  const j = points.findIndex((point, j) => point[key] !== mine[j]);
  return j < 0
    ? null
    : `${path}[${j}].${key} is ${String(points[j][key])}, where its run's list has ${mine[j]}`;
}

/**
 * The header every study's JSON opens with (`<command> --json`, a merge's, a card's download), in
 * this order: the command, how far a stopped run got, the program that computed its points, the
 * device they ran on; then the study's own keys, among them a shard's "shard" beside the run's list
 * its points are split from. Response names its device after its own keys (after "limits"), the one
 * study whose header is not one block. The index signature admits those keys: a study's builder
 * `satisfies StudyReport`, so that one that leaves out the device or misspells "version" fails
 * typecheck.
 */
export interface StudyReport {
  readonly [key: string]: unknown;
  readonly command: string;
  /** A stopped run's (stoppedJson); a complete run's JSON has none. */
  readonly stopped?: SweepStop;
  /** This program's (kProgramVersion), or a merge's shards' (null: they predate the key). */
  readonly version: string | null;
  readonly device: DeviceSummary;
  /** A shard's (shardJson); a whole run's JSON has none. */
  readonly shard?: Shard;
}

/**
 * The opening keys of a study's JSON, in StudyReport's order, which its builder spreads first and
 * follows with its `device` (response's after its own keys, the one study whose header is not one
 * block): "stopped" only where `stop` ended the run early; `version` this program's unless given (a
 * merge's shards'). The shard is not among them: each study writes it beside its own list of the
 * run's points (shardJson).
 */
export function studyReportHeader({
  command,
  stop = null,
  version = kProgramVersion,
}: {
  readonly command: string;
  readonly stop?: SweepStop | null;
  readonly version?: string | null;
}): Pick<StudyReport, 'command' | 'stopped' | 'version'> {
  return { command, ...stoppedJson(stop), version };
}

/** 'a', 'a or b', 'a, b or c'. */
function alternatives(names: readonly string[]): string {
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}

/**
 * The header of a study's saved JSON read back and checked, each refusal in one line naming the file
 * `name`: its command one of `commands`; for a whole run (`kind` 'run', the app's Files › load,
 * field 'result') no shard, which merge joins first; for one shard of a run (merge's, field
 * 'shards') a shard {index, count}; then a device (every command's --json names one), a version that
 * is a string or null (absent in a file written before files named it), and "stopped" as savedStop
 * reads it. Returns the device and how far a stopped run got, what the readers go on to use.
 */
export function savedStudyReport(
  json: Record<string, unknown>,
  name: string,
  commands: string | readonly string[],
  kind: 'run' | 'shard' = 'run',
): { readonly device: DeviceSummary; readonly stop: SweepStop | null } {
  const field = kind === 'run' ? 'result' : 'shards';
  const refuse = (why: string) => new InputError(why, field);
  const { command, shard, device, version = null } = json;
  const known = typeof commands === 'string' ? [commands] : commands;
  if (typeof command !== 'string' || !known.includes(command))
    throw refuse(`${name} is not the JSON of a ${alternatives(known)} run (--json)`);
  if (kind === 'run' && shard)
    throw refuse(`${name}: one shard of a run: join the shards with darwin-breit merge first`);
  if (kind === 'shard') {
    if (shard === undefined || shard === null)
      throw refuse(`${name} is a whole ${command} run, not a shard: run each part with --shard K/N`);
    const { index, count } = shard as Record<string, unknown>;
    const whole = (x: unknown): x is number => Number.isSafeInteger(x);
    if (!(whole(index) && whole(count) && index >= 1 && index <= count))
      throw refuse(`${name}: "shard" is not {"index": K, "count": N} with 1 <= K <= N`);
  }
  const deviceKind = (device as { kind?: unknown } | null | undefined)?.kind;
  if (deviceKind !== 'gpu' && deviceKind !== 'cpu')
    throw refuse(`${name}: names no device ("device": {"kind": "gpu" or "cpu"}, as every --json writes it)`);
  if (!(typeof version === 'string' || version === null))
    throw refuse(`${name}: "version" is not a string or null`);
  return { device: device as DeviceSummary, stop: savedStop(json, name) };
}
