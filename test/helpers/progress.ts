// A progress line that a test stops as a signal would (src/cli/signals.ts): what a run reports up to
// the stop, and where its next report ends it.
import { Progress } from '../../src/cli/progress.ts';

/**
 * A verbose progress (every report a line) that asks the run to stop, as a signal does, when the
 * line `stopAt` is reported, calling `atStop` then; its lines so far.
 */
export function stoppingProgress(
  stopAt: RegExp,
  atStop: () => void = () => {},
): { progress: Progress; lines: string[] } {
  const lines: string[] = [];
  const progress: Progress = new Progress({
    verbose: true,
    sink: {
      write: (text) => {
        lines.push(text);
        if (stopAt.test(text)) {
          atStop();
          progress.interrupt('SIGINT');
        }
      },
    },
  });
  return { progress, lines };
}
