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
