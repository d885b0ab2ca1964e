// Timing GPU work: timestamp queries around one compute pass where the adapter has them (SwiftShader
// does), else wall-clock time from submit to onSubmittedWorkDone over repeated runs. Work that spans
// several passes (a CG iteration) is always timed by the wall clock: core WebGPU has no timestamps
// between passes of one encoder other than each pass's own begin/end.
import { createBuffer } from './buffers.ts';
import type { GpuContext } from './device.ts';
import { readBuffer } from './readback.ts';

export type TimingMethod = 'timestamp' | 'wall';

/**
 * Called before each run of a timing loop: with repeat 0 before the warm-up, then with 1..repeats
 * before each timed repeat. A caller reports its progress here and stops the loop by throwing (a
 * stop the user asked for): nothing of the repeats after it runs.
 */
export type BeforeRepeat = (repeat: number, repeats: number) => void;

export interface Timing {
  /** Median milliseconds of one run. */
  ms: number;
  method: TimingMethod;
  repeats: number;
}

/** Records one run; `timestampWrites`, when given, must go on the run's single compute pass. */
export type RecordRun = (encoder: GPUCommandEncoder, timestampWrites?: GPUComputePassTimestampWrites) => void;

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * The longest run that timeRounds' `warmEach` runs once untimed before each timed run. A longer one
 * reads its data many times within itself, so the cold start of its first pass is lost in it, and
 * running it twice a round would double a large product's bench (a minute a round at 10^5 electrons
 * on a software adapter).
 */
const kWarmEachMaxMs = 1000;

async function submitAndWait(device: GPUDevice, record: (encoder: GPUCommandEncoder) => void): Promise<void> {
  const encoder = device.createCommandEncoder({ label: 'Timing.encoder' });
  record(encoder);
  device.queue.submit([encoder.finish()]);
  await device.queue.onSubmittedWorkDone();
}

/**
 * Milliseconds of each of `runs` in each of `repeats` rounds (durations[k][m]: run m of round k),
 * the runs alternating round by round, after one warm-up round (pipelines built, caches filled).
 * With `singlePass` and timestamp queries every run's pass carries its own begin/end timestamps;
 * otherwise each run is submitted and awaited alone. Either way each round is a submission of its
 * own, awaited before `beforeRepeat` is asked about the next: a stop between repeats then waits for
 * one round of a large product, not for all of them. With `warmEach`, every timed run shorter than
 * kWarmEachMaxMs follows an untimed one of itself, so that it finds its own data in the caches as a
 * run repeated back to back does, not evicted by the run before it; each run is timed once more
 * after the warm-up to tell (its pipelines then built). `now` is the wall clock (a test's own, to
 * steer that choice without a run of a second).
 */
async function timeRounds(
  context: GpuContext,
  runs: readonly RecordRun[],
  repeats: number,
  options: { singlePass: boolean; warmEach: boolean; beforeRepeat?: BeforeRepeat; now?: () => number },
): Promise<{ durations: number[][]; method: TimingMethod }> {
  const { singlePass } = options;
  const beforeRepeat = options.beforeRepeat ?? (() => {});
  const now = options.now ?? (() => performance.now());
  const { device } = context;
  beforeRepeat(0, repeats);
  await submitAndWait(device, (encoder) => runs.forEach((run) => run(encoder)));
  const warmed: boolean[] = [];
  for (const run of runs) {
    const start = now();
    if (options.warmEach) await submitAndWait(device, (encoder) => run(encoder));
    warmed.push(options.warmEach && now() - start < kWarmEachMaxMs);
  }
  if (context.hasTimestampQuery && singlePass) {
    const stamps = 2 * runs.length * repeats;
    const querySet = device.createQuerySet({ label: 'Timing.queries', type: 'timestamp', count: stamps });
    const resolved = createBuffer(device, {
      label: 'Timing.resolved',
      size: 8 * stamps,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
    });
    try {
      const at = (k: number, m: number) => 2 * (k * runs.length + m);
      for (let k = 0; k < repeats; k++) {
        beforeRepeat(k + 1, repeats);
        await submitAndWait(device, (encoder) =>
          runs.forEach((run, m) => {
            if (warmed[m]) run(encoder);
            run(encoder, {
              querySet,
              beginningOfPassWriteIndex: at(k, m),
              endOfPassWriteIndex: at(k, m) + 1,
            });
          }),
        );
      }
      await submitAndWait(device, (encoder) => encoder.resolveQuerySet(querySet, 0, stamps, resolved, 0));
      const times = new BigInt64Array(await readBuffer(device, resolved));
      const durations = Array.from({ length: repeats }, (_, k) =>
        runs.map((_, m) => Number(times[at(k, m) + 1] - times[at(k, m)]) / 1e6),
      );
      // Some implementations report 0 for passes they cannot time; the wall clock is then the honest answer.
      if (durations.every((round) => round.every((ms) => ms > 0))) return { durations, method: 'timestamp' };
    } finally {
      querySet.destroy();
      resolved.destroy();
    }
  }
  const durations: number[][] = [];
  for (let k = 0; k < repeats; k++) {
    beforeRepeat(k + 1, repeats);
    const round: number[] = [];
    for (const [m, run] of runs.entries()) {
      if (warmed[m]) await submitAndWait(device, (encoder) => run(encoder));
      const start = now();
      await submitAndWait(device, (encoder) => run(encoder));
      round.push(now() - start);
    }
    durations.push(round);
  }
  return { durations, method: 'wall' };
}

/**
 * Median time of `repeats` runs after one warm-up run. With `singlePass` and timestamp queries,
 * each run's pass carries its own begin/end timestamps.
 */
export async function timeRuns(
  context: GpuContext,
  run: RecordRun,
  options: { repeats?: number; singlePass?: boolean; beforeRepeat?: BeforeRepeat } = {},
): Promise<Timing> {
  const repeats = options.repeats ?? 5;
  const { durations, method } = await timeRounds(context, [run], repeats, {
    singlePass: options.singlePass ?? false,
    warmEach: false,
    beforeRepeat: options.beforeRepeat,
  });
  return { ms: median(durations.map(([ms]) => ms)), method, repeats };
}

/**
 * Medians of paired samples (a_k, b_k) over the pairs where both are positive (a wall-clock
 * difference below the clock's noise can come out <= 0), and the median of a_k / b_k over them;
 * null unless at least `minValid` pairs (default: half, rounded up) are usable.
 */
export function pairedMedians(
  pairs: readonly (readonly [number, number])[],
  minValid = Math.ceil(pairs.length / 2),
): { first: number; second: number; ratio: number } | null {
  const valid = pairs.filter(([a, b]) => a > 0 && b > 0);
  if (valid.length === 0 || valid.length < minValid) return null;
  return {
    first: median(valid.map(([a]) => a)),
    second: median(valid.map(([, b]) => b)),
    ratio: median(valid.map(([a, b]) => a / b)),
  };
}

/**
 * Two kernels timed side by side: each one's median over the rounds, and the median of their
 * per-round time ratio, all three over the same rounds (so speedup is near reference.ms / run.ms,
 * the median of the ratios rather than the ratio of the medians).
 */
export interface PairedTiming {
  readonly reference: Timing;
  readonly run: Timing;
  /** median over rounds k of reference_k / run_k: how many times faster `run` is, round by round. */
  readonly speedup: number;
}

/**
 * The paired timing of rounds (reference_k, run_k) in ms (pairedMedians over the rounds where both
 * are positive), or null where fewer than half of them are.
 */
export function pairedTiming(
  rounds: readonly (readonly [number, number])[],
  method: TimingMethod,
): PairedTiming | null {
  const medians = pairedMedians(rounds);
  if (!medians) return null;
  const repeats = rounds.length;
  return {
    reference: { ms: medians.first, method, repeats },
    run: { ms: medians.second, method, repeats },
    speedup: medians.ratio,
  };
}

/**
 * Times the single-pass `run` beside the single-pass `reference` (the copy or fill kernel),
 * alternating them, so that a ratio between them is taken on the device as it is at that moment:
 * on a shared CPU (SwiftShader) the bandwidth drifts by tens of percent over a bench, which a
 * reference measured once at the start would fold into every ratio. Each timed run shorter than a
 * second follows an untimed one of itself (warmEach), so a small matrix is timed from the caches,
 * as in a solve.
 */
export async function timePaired(
  context: GpuContext,
  reference: RecordRun,
  run: RecordRun,
  options: { repeats?: number; beforeRepeat?: BeforeRepeat; now?: () => number } = {},
): Promise<PairedTiming> {
  const repeats = options.repeats ?? 5;
  const { durations, method } = await timeRounds(context, [reference, run], repeats, {
    singlePass: true,
    warmEach: true,
    beforeRepeat: options.beforeRepeat,
    now: options.now,
  });
  // Every duration is positive (timeRounds falls back to the wall clock otherwise).
  return pairedTiming(
    durations.map(([referenceMs, runMs]) => [referenceMs, runMs] as const),
    method,
  )!;
}
