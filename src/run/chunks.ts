// The progress of a long step split into chunks (the dense assembly, the tree's pipelines, a product
// of several pieces at large N): which chunk, and the time left at the rate of the step's chunks so
// far. The CLI writes it on its progress line, the page beside its stage's line; a product of 10⁶
// electrons on the tree runs for minutes on a CPU adapter, which only the time left makes bearable.
// And a long float64 host sum split into chunks of its own (inPacedChunks), paced by a run's hooks.

/**
 * Thrown once Stop was pressed from the chunk hook of a long step (the dense assembly, a long
 * matrix-free product, in a solver or not: the run ends between two chunks, without a result), and
 * by the page's float64 products worker, which a Stop ends with the product under way
 * (src/app/reference.ts withReference; a refined solve keeps the v it had, src/run/refine.ts).
 */
export class RunStopped extends Error {
  override readonly name = 'RunStopped';
  constructor() {
    super('stopped inside a long step (between two of its chunks, or with its float64 product under way)');
  }
}

/**
 * A product that a Stop dropped (RunStopped) as null, any other failure as it came: `.catch` of a
 * product a stopped run can do without (runSolve's energies, runSpectrum's refinement, a refined
 * solve's float64 residual: refinedVelocities).
 */
export function droppedByStop(error: unknown): null {
  if (error instanceof RunStopped) return null;
  throw error;
}

/** One chunk's report: the line's text and how far the step is (0..1). */
export interface ChunkReport {
  readonly text: string;
  readonly fraction: number;
}

/**
 * A reporter of chunk `done` of `total` of `step`: the rate is measured from the step's first report,
 * so a new step (another name, or a count that starts again: the next product) starts its own
 * estimate, and the first chunk of each has none.
 */
export function chunkEstimate(
  now: () => number = () => performance.now(),
): (step: string, done: number, total: number) => ChunkReport {
  let first: { step: string; done: number; at: number } | null = null;
  return (step, done, total) => {
    const at = now();
    if (!first || first.step !== step || done <= first.done) first = { step, done, at };
    const rate = (done - first.done) / (at - first.at);
    const left = rate > 0 ? `, ~${Math.ceil((total - done) / rate / 1000)} s left` : '';
    return { text: `${step}: chunk ${done} of ${total}${left}`, fraction: done / total };
  };
}

/**
 * How a long float64 host sum is paced (inPacedChunks): a study's hooks (src/studies/study.ts
 * StudyHooks), bench's check, the reference worker's sampled check (src/run/reference.ts).
 */
export interface PacingHooks {
  /** Progress text, and the fraction done where it is known. */
  progress?(text: string, fraction: number | null): void;
  /**
   * Awaited between two steps (a sweep's points, a sum's chunks): the page draws a frame and takes a
   * Stop click there.
   */
  pause?(): Promise<void>;
}

/** Pairs of a float64 host sum between two pauses, tens of milliseconds apart: inPacedChunks' chunk. */
export const kPairsPerPause = 4_000_000;

/**
 * `work(start, end)` over [0, count) in chunks of about kPairsPerPause pairs (`pairsPerItem` an item,
 * at least one item a chunk), with the hooks' pause and a progress report (`text(start)`) between
 * two: a float64 host sum that takes seconds to hours (London's field at a map's points, bench's
 * check rows at 10^6 electrons), during which the page draws and takes a Stop and the CLI hears a
 * signal (its progress report stops the run: src/cli/progress.ts).
 */
export async function inPacedChunks(
  count: number,
  pairsPerItem: number,
  hooks: PacingHooks,
  text: (start: number) => string,
  work: (start: number, end: number) => void,
): Promise<void> {
  const chunk = Math.max(1, Math.floor(kPairsPerPause / pairsPerItem));
  for (let start = 0; start < count; start += chunk) {
    if (start > 0) {
      await hooks.pause?.();
      hooks.progress?.(text(start), null);
    }
    work(start, Math.min(count, start + chunk));
  }
}
