// Timing GPU work: timestamp queries around one compute pass where the adapter has them (SwiftShader
// does), else wall-clock time from submit to onSubmittedWorkDone over repeated runs. Work that spans
// several passes (a CG iteration) is always timed by the wall clock: core WebGPU has no timestamps
// between passes of one encoder other than each pass's own begin/end.
import { createBuffer } from './buffers.ts';
import type { GpuContext } from './device.ts';
import { readBuffer } from './readback.ts';

export type TimingMethod = 'timestamp' | 'wall';

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

async function submitAndWait(device: GPUDevice, record: (encoder: GPUCommandEncoder) => void): Promise<void> {
  const encoder = device.createCommandEncoder({ label: 'Timing.encoder' });
  record(encoder);
  device.queue.submit([encoder.finish()]);
  await device.queue.onSubmittedWorkDone();
}

/**
 * Milliseconds of each of `runs` in each of `repeats` rounds (durations[k][m]: run m of round k),
 * the runs alternating round by round, after one warm-up round (pipelines built, caches filled).
 * With `singlePass` and timestamp queries every run's pass carries its own begin/end timestamps
 * and all rounds go into one command buffer; otherwise each run is submitted and awaited alone.
 */
async function timeRounds(
  context: GpuContext,
  runs: readonly RecordRun[],
  repeats: number,
  singlePass: boolean,
): Promise<{ durations: number[][]; method: TimingMethod }> {
  const { device } = context;
  await submitAndWait(device, (encoder) => runs.forEach((run) => run(encoder)));
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
      await submitAndWait(device, (encoder) => {
        for (let k = 0; k < repeats; k++) {
          runs.forEach((run, m) =>
            run(encoder, {
              querySet,
              beginningOfPassWriteIndex: at(k, m),
              endOfPassWriteIndex: at(k, m) + 1,
            }),
          );
        }
        encoder.resolveQuerySet(querySet, 0, stamps, resolved, 0);
      });
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
    const round: number[] = [];
    for (const run of runs) {
      const start = performance.now();
      await submitAndWait(device, (encoder) => run(encoder));
      round.push(performance.now() - start);
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
  options: { repeats?: number; singlePass?: boolean } = {},
): Promise<Timing> {
  const repeats = options.repeats ?? 5;
  const { durations, method } = await timeRounds(context, [run], repeats, options.singlePass ?? false);
  return { ms: median(durations.map(([ms]) => ms)), method, repeats };
}

/** Two kernels timed side by side: each one's median, and the median of their per-round time ratio. */
export interface PairedTiming {
  readonly reference: Timing;
  readonly run: Timing;
  /** median over rounds k of reference_k / run_k: how many times faster `run` is, round by round. */
  readonly speedup: number;
}

/**
 * Times the single-pass `run` beside the single-pass `reference` (the copy or fill kernel),
 * alternating them, so that a ratio between them is taken on the device as it is at that moment:
 * on a shared CPU (SwiftShader) the bandwidth drifts by tens of percent over a bench, which a
 * reference measured once at the start would fold into every ratio.
 */
export async function timePaired(
  context: GpuContext,
  reference: RecordRun,
  run: RecordRun,
  options: { repeats?: number } = {},
): Promise<PairedTiming> {
  const repeats = options.repeats ?? 5;
  const { durations, method } = await timeRounds(context, [reference, run], repeats, true);
  return {
    reference: { ms: median(durations.map(([ms]) => ms)), method, repeats },
    run: { ms: median(durations.map(([, ms]) => ms)), method, repeats },
    speedup: median(durations.map(([referenceMs, runMs]) => referenceMs / runMs)),
  };
}
