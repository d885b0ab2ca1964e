// A pool of Node workers whose shared arrays are watched as the workers get them: each array the
// pool registers reaches every worker as a message with its id, and each release as one naming it.
import { kCpuKernels } from '../../src/parallel/mass-matrix.ts';
import { kNodeWorkers } from '../../src/parallel/node.ts';
import { WorkerPool, type WorkerAdapter } from '../../src/parallel/pool.ts';

export interface WatchedPool {
  readonly pool: WorkerPool;
  /** Per started worker: the ids of the arrays it holds now. */
  readonly held: Set<number>[];
  /** Per started worker: the ids of every array it was given. */
  readonly seen: Set<number>[];
}

/** A pool of `threads` threads running the CPU path's kernels; its caller disposes it. */
export function watchedPool(threads: number): WatchedPool {
  const held: Set<number>[] = [];
  const seen: Set<number>[] = [];
  const watching: WorkerAdapter = {
    prologue: kNodeWorkers.prologue,
    start(source) {
      const worker = kNodeWorkers.start(source);
      const [holds, saw] = [new Set<number>(), new Set<number>()];
      held.push(holds);
      seen.push(saw);
      return {
        postMessage(message) {
          const { id, release } = message as { id?: number; release?: number };
          if (id !== undefined) [holds, saw].forEach((ids) => ids.add(id));
          if (release !== undefined) holds.delete(release);
          worker.postMessage(message);
        },
        terminate: () => worker.terminate(),
      };
    },
  };
  return { pool: new WorkerPool(watching, threads, kCpuKernels), held, seen };
}
