// The pool's workers as Node worker_threads, started from source text (eval), so that the same
// kernels run in a test from TypeScript sources and in the CLI's bundle without a file of their own.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { WorkerPool, type Kernel, type WorkerAdapter } from './pool.ts';

export const kNodeWorkers: WorkerAdapter = {
  prologue: "const listen = (handler) => require('node:worker_threads').parentPort.on('message', handler);",
  start(source) {
    const worker = new Worker(source, { eval: true });
    // An idle worker never keeps the process alive, even if its pool is never disposed.
    worker.unref();
    // A worker that cannot start claims no block, and the caller and the other workers do its share.
    // Unheard, its 'error' would end the thread that owns the pool once the run let its event loop
    // turn, after the run. Node's own bootstrap of every worker reads process.cwd(), which throws
    // ENOENT once the working directory has been deleted: a run that outlives its directory goes on
    // with the threads it started before. An error of a worker once running (its kernels' own are
    // the pool's to report) stays an error of the thread that owns the pool, raised when its event
    // loop next turns, as an unheard one is.
    let running = false;
    worker.once('online', () => (running = true));
    worker.on('error', (error) => {
      if (running) throw error;
    });
    return worker;
  },
};

/** Every core this process may use. */
export function nodeThreads(): number {
  return availableParallelism();
}

export function nodeWorkerPool(threads: number, kernels: readonly Kernel[]): WorkerPool {
  return new WorkerPool(kNodeWorkers, threads, kernels);
}
