// The progress of a long step split into chunks (the dense assembly, the tree's pipelines, a product
// of several pieces at large N): which chunk, and the time left at the rate of the step's chunks so
// far. The CLI writes it on its progress line, the page beside its stage's line; a product of 10⁶
// electrons on the tree runs for minutes on a CPU adapter, which only the time left makes bearable.

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
