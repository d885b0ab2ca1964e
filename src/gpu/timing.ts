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
 * Median time of `repeats` runs after one warm-up run (pipelines built, caches filled). With
 * `singlePass` and timestamp queries, each run's pass carries its own begin/end timestamps.
 */
export async function timeRuns(
  context: GpuContext,
  run: RecordRun,
  options: { repeats?: number; singlePass?: boolean } = {},
): Promise<Timing> {
  const { device } = context;
  const repeats = options.repeats ?? 5;
  await submitAndWait(device, (encoder) => run(encoder));
  if (context.hasTimestampQuery && options.singlePass) {
    const querySet = device.createQuerySet({
      label: 'Timing.queries',
      type: 'timestamp',
      count: 2 * repeats,
    });
    const resolved = createBuffer(device, {
      label: 'Timing.resolved',
      size: 16 * repeats,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
    });
    try {
      await submitAndWait(device, (encoder) => {
        for (let k = 0; k < repeats; k++) {
          run(encoder, { querySet, beginningOfPassWriteIndex: 2 * k, endOfPassWriteIndex: 2 * k + 1 });
        }
        encoder.resolveQuerySet(querySet, 0, 2 * repeats, resolved, 0);
      });
      const stamps = new BigInt64Array(await readBuffer(device, resolved));
      const durations = Array.from(
        { length: repeats },
        (_, k) => Number(stamps[2 * k + 1] - stamps[2 * k]) / 1e6,
      );
      // Some implementations report 0 for passes they cannot time; the wall clock is then the honest answer.
      if (durations.every((ms) => ms > 0)) return { ms: median(durations), method: 'timestamp', repeats };
    } finally {
      querySet.destroy();
      resolved.destroy();
    }
  }
  const durations: number[] = [];
  for (let k = 0; k < repeats; k++) {
    const start = performance.now();
    await submitAndWait(device, (encoder) => run(encoder));
    durations.push(performance.now() - start);
  }
  return { ms: median(durations), method: 'wall', repeats };
}
