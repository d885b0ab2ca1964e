// The float64 reference of the app's check (src/run/reference.ts) in a Web Worker
// (reference.worker.ts), so that it runs beside the GPU without blocking the page, and a Stop can
// end it (FloatReference.cancel); and the page's words for its progress. The CLI's counterpart is
// src/cli/reference.ts nodeReference.
import { chunkEstimate, RunStopped } from '../run/chunks.ts';
import {
  FloatReference,
  type ReferenceMessage,
  type ReferenceProgress,
  type ReferenceProgressHook,
} from '../run/reference.ts';
import type { Float64Products } from '../run/refine.ts';

/** The reference worker's progress as the page shows it: its text, and how far along where known. */
export interface ReferenceReport {
  readonly text: string;
  readonly fraction: number | null;
}

/**
 * The page's words for the reference worker's progress (ReferenceProgress), in the words of the
 * page's own stages: the assembly's chunks with the time left (chunkEstimate), the solve's iterations
 * with ||r|| / ||p||, the Lanczos run's products with its extreme Ritz values, a paced sum's chunks
 * (the sampled check's, London's field) as the worker words them. Null at the assembly's last chunk
 * and at an answer: nothing is under way until the next report that the check's line should name.
 */
export function referenceReporter(): (progress: ReferenceProgress) => ReferenceReport | null {
  const chunks = chunkEstimate();
  return (progress) => {
    switch (progress.step) {
      case 'assembly':
        return progress.done < progress.total
          ? chunks('assembling the float64 M', progress.done, progress.total)
          : null;
      case 'solve':
        return {
          text: `solve: iteration ${progress.iteration}, ‖r‖/‖p‖ = ${progress.relativeResidual.toExponential(2)}`,
          fraction: null,
        };
      case 'lanczos':
        return {
          text:
            `Lanczos product ${progress.iteration}, ` +
            `λ ∈ [${progress.lambdaMin.toPrecision(6)}, ${progress.lambdaMax.toPrecision(6)}]`,
          fraction: null,
        };
      case 'sampled':
        return { text: progress.text, fraction: null };
      case 'answered':
        return null;
    }
  };
}

/**
 * `stopRequested`: polled while a request is pending; what it throws ends the worker (FloatReference).
 * `onProgress` hears the worker's progress on a pending request (ReferenceProgress).
 */
export function browserReference(
  stopRequested?: () => void,
  onProgress?: ReferenceProgressHook,
): FloatReference {
  return new FloatReference(
    (listeners) => {
      const worker = new Worker(new URL('./reference.worker.ts', import.meta.url), {
        type: 'module',
        name: 'darwin-breit float64 reference',
      });
      worker.addEventListener('message', (event: MessageEvent<ReferenceMessage>) =>
        listeners.message(event.data),
      );
      worker.addEventListener('error', (event) => {
        event.preventDefault();
        listeners.error(new Error(`float64 reference worker failed: ${event.message || 'could not start'}`));
      });
      return worker;
    },
    stopRequested,
    onProgress,
  );
}

/**
 * Runs `run` with a float64 reference (browserReference) of its own: while a request is pending
 * `stopped` is polled, and a Stop ends the worker within kStopPollMs and fails the request with
 * RunStopped; `onProgress` hears the worker's progress. The worker ends with the run, and with it
 * whatever M, pair loop or tree it held.
 */
export async function withReference<T>(
  stopped: () => boolean,
  run: (reference: FloatReference) => Promise<T>,
  onProgress?: ReferenceProgressHook,
): Promise<T> {
  const reference = browserReference(() => {
    if (stopped()) throw new RunStopped();
  }, onProgress);
  try {
    return await run(reference);
  } finally {
    reference.cancel();
  }
}

/**
 * Runs `run` with a refined run's float64 products (src/run/refine.ts) formed in a worker of their
 * own (withReference), so that the page's thread never spends the seconds an O(N^2) pair loop takes
 * at 10^4 electrons. Resolves with its result and the threads the products ran on
 * (FloatReference.productThreads: null where none was asked, a run that did not refine).
 */
export function withFloat64Products<T>(
  stopped: () => boolean,
  run: (float64: Float64Products) => Promise<T>,
): Promise<{ readonly result: T; readonly threads: number | null }> {
  return withReference(stopped, async (reference) => {
    const result = await run(reference.products());
    return { result, threads: reference.productThreads };
  });
}
