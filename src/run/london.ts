// London's float64 field (src/physics/london.ts reducedField) as a long host sum is run: in paced
// chunks, on a WorkerPool's threads where there is one. The study's map (src/studies/london/run.ts
// londonFieldMap) sums it so on the CLI's thread, and the float64 reference worker
// (src/run/reference.ts) for the app's page, whose main thread must neither block nor spend seconds
// in the sum.
import { parallelReducedField, type PointRuns } from '../parallel/london.ts';
import type { WorkerPool } from '../parallel/pool.ts';
import { reducedFieldRows, type LondonBody } from '../physics/london.ts';
import { inPacedChunks, type PacingHooks } from './chunks.ts';

/**
 * reducedField at `points` (xyz triples), in chunks of about kPairsPerPause charge-point pairs with
 * the hooks' pause and a progress report between them (inPacedChunks) where the hooks have either,
 * else in one run: the largest maps (the app's 200 000 charges at some 30 000 points, the CLI's 10^6 at
 * 10^6) take seconds to hours. With a pool, each chunk's points are split over its threads
 * (parallelReducedField; the field is the same bit for bit), a chunk kPairsPerPause pairs a thread:
 * the pauses come as often on any number of threads, and a chunk has points for every thread (at
 * 10^6 charges one thread's chunk is 4 points).
 */
export async function pacedReducedField(
  body: LondonBody,
  points: Float64Array,
  hooks: PacingHooks,
  pool: WorkerPool | null,
): Promise<Float64Array> {
  const count = points.length / 3;
  const runs: PointRuns = async (sum) => {
    if (!hooks.pause && !hooks.progress) return sum(0, count);
    await inPacedChunks(
      count,
      body.n / (pool?.threads ?? 1),
      hooks,
      (start) => `London: float64 field of ${body.n} charges, point ${start + 1} of ${count}`,
      sum,
    );
  };
  if (pool) return parallelReducedField(body, points, pool, runs);
  const field = new Float64Array(points.length);
  const { positions } = body.configuration;
  await runs((start, end) => reducedFieldRows(positions, body.velocities, body.n, points, field, start, end));
  return field;
}
