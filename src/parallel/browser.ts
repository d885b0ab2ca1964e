// The pool's workers as Web Workers started from a Blob of source text: a blob: URL inherits the
// page's origin, so it loads under Cross-Origin-Embedder-Policy: require-corp.
import { WorkerPool, kMaxThreads, parallelUnavailable, type Kernel, type WorkerAdapter } from './pool.ts';

export const kBrowserWorkers: WorkerAdapter = {
  prologue: "const listen = (handler) => self.addEventListener('message', (event) => handler(event.data));",
  start(source) {
    const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
    const worker = new Worker(url);
    return {
      postMessage: (message) => worker.postMessage(message),
      terminate: () => {
        worker.terminate();
        URL.revokeObjectURL(url);
      },
    };
  },
};

/**
 * A pool of every core where this thread may share memory and wait (a cross-origin isolated page's
 * worker), else null and why not: the caller then runs on its own thread, without shared memory.
 */
export function browserWorkerPool(
  kernels: readonly Kernel[],
): { pool: WorkerPool; fallback: null } | { pool: null; fallback: string } {
  const fallback = parallelUnavailable() ?? (typeof Worker === 'undefined' ? 'no nested workers here' : null);
  if (fallback) return { pool: null, fallback };
  const threads = Math.min(kMaxThreads, Math.max(1, navigator.hardwareConcurrency || 1));
  return { pool: new WorkerPool(kBrowserWorkers, threads, kernels), fallback: null };
}
