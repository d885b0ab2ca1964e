// The float64 reference of the app's check (src/run/reference.ts) in a Web Worker
// (reference.worker.ts), so that it runs beside the GPU without blocking the page, and a Stop can
// end it (FloatReference.cancel). The CLI's counterpart is src/cli/reference.ts nodeReference.
import { FloatReference, type ReferenceMessage, type ReferenceProgressHook } from '../run/reference.ts';
import type { Float64Products } from '../run/refine.ts';
import { RunStopped } from './engine.ts';

/**
 * `stopRequested`: polled while a request is pending; what it throws ends the worker (FloatReference).
 * `onProgress` hears the chunks of the worker's assembly of M (ReferenceProgress).
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
 * RunStopped. The worker ends with the run, and with it whatever M, pair loop or tree it held.
 */
export async function withReference<T>(
  stopped: () => boolean,
  run: (reference: FloatReference) => Promise<T>,
): Promise<T> {
  const reference = browserReference(() => {
    if (stopped()) throw new RunStopped();
  });
  try {
    return await run(reference);
  } finally {
    reference.cancel();
  }
}

/**
 * Runs `run` with a refined run's float64 products (src/run/refine.ts) formed in a worker of their
 * own (withReference), so that the page's thread never spends the seconds an O(N^2) pair loop takes
 * at 10^4 electrons.
 */
export function withFloat64Products<T>(
  stopped: () => boolean,
  run: (float64: Float64Products) => Promise<T>,
): Promise<T> {
  return withReference(stopped, (reference) => run(reference.products()));
}
