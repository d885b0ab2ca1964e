// The CLI's float64 reference (src/run/reference.ts) in a worker thread running this bundle
// (main.ts hands a thread started with ReferenceWorkerData to serveReference): the GPU run's thread
// stays free beside it, so that a signal is heard at once and ends the reference wherever it is
// (signals.ts), rather than after the assembly and Lanczos run that a thread of its own would
// finish first.
import { parentPort, Worker } from 'node:worker_threads';
import { kCpuKernels } from '../parallel/mass-matrix.ts';
import { nodeWorkerPool } from '../parallel/node.ts';
import type { WorkerPool } from '../parallel/pool.ts';
import {
  FloatReference,
  referenceAnswerer,
  type ReferenceMessage,
  type ReferenceProgressHook,
  type ReferenceRequest,
} from '../run/reference.ts';

/** What a reference worker is started with: the threads of its float64 CPU path. */
export interface ReferenceWorkerData {
  readonly referenceThreads: number;
}

export function isReferenceWorker(data: unknown): data is ReferenceWorkerData {
  return typeof data === 'object' && data !== null && 'referenceThreads' in data;
}

/**
 * The reference on `threads` threads, in a worker thread started from this module's URL on the first
 * request; `stopRequested` throws once the run was stopped (Progress.checkpoint), which ends the
 * worker and fails the pending requests with what it threw; `started` hears each start of the
 * worker (the run's progress line), `onProgress` its progress (src/cli/engine.ts referenceProgress,
 * which may throw to stop it as `stopRequested` does). Only the CLI bundle can start it: the bundle
 * is one module whose entry (main.ts) hands such a thread to serveReference, where a source module
 * run by itself would not.
 */
export function nodeReference(
  threads: number,
  stopRequested: () => void,
  started?: () => void,
  onProgress?: ReferenceProgressHook,
): FloatReference {
  return new FloatReference(
    (listeners) => {
      started?.();
      const workerData: ReferenceWorkerData = { referenceThreads: threads };
      const worker = new Worker(new URL(import.meta.url), { workerData });
      worker.on('message', listeners.message);
      worker.on('error', (error) =>
        listeners.error(new Error(`float64 reference worker failed: ${error.message}`)),
      );
      worker.on('exit', (code) =>
        listeners.error(new Error(`float64 reference worker exited (code ${code})`)),
      );
      return {
        postMessage: (request) => worker.postMessage(request),
        terminate: () => void worker.terminate(),
      };
    },
    stopRequested,
    onProgress,
  );
}

/** The worker's side: answers each request on a pool of the threads it was started with. */
export function serveReference({ referenceThreads }: ReferenceWorkerData): void {
  const pool = (): WorkerPool => nodeWorkerPool(referenceThreads, kCpuKernels);
  const post = (message: ReferenceMessage) => parentPort!.postMessage(message);
  const answer = referenceAnswerer(pool, post);
  parentPort!.on('message', (request: ReferenceRequest) => {
    void answer(request).then(post);
  });
}
