// London's float64 field (src/physics/london.ts reducedField) on a WorkerPool: the points split into
// blocks that reducedFieldRows sums as reducedField does, so the field is the same bit for bit on
// any number of threads.
import { reducedFieldRows, type LondonBody } from '../physics/london.ts';
import { rowBlocks, type WorkerPool } from './pool.ts';

/** A run of the points [start, end) over the pool, in the order and chunks its caller paces. */
export type PointRuns = (sum: (start: number, end: number) => void) => Promise<void>;

/**
 * reducedField of `body` at `points` (xyz triples) on the pool: `runs` calls its argument over
 * consecutive runs of points covering them all (inPacedChunks, with a pause between two), and each
 * run's points are split over the pool's threads. The body and the points are copied into arrays
 * the pool shares, released when the field is done or a run throws (a Stop).
 */
export async function parallelReducedField(
  body: LondonBody,
  points: ArrayLike<number>,
  pool: WorkerPool,
  runs: PointRuns,
): Promise<Float64Array> {
  const shared = [3 * body.n, 3 * body.n, points.length, points.length].map((length) => pool.shared(length));
  const [positions, velocities, sharedPoints, field] = shared;
  positions.set(body.configuration.positions.subarray(0, 3 * body.n));
  velocities.set(body.velocities.subarray(0, 3 * body.n));
  sharedPoints.set(points);
  const args = [positions, velocities, body.n, sharedPoints, field];
  try {
    await runs((start, end) =>
      pool.run(
        reducedFieldRows,
        args,
        rowBlocks(pool, end - start).map((boundary) => start + boundary),
      ),
    );
    return Float64Array.from(field);
  } finally {
    pool.release(...shared);
  }
}
