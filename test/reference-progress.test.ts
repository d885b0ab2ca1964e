// The float64 reference worker's progress (src/run/reference.ts): the chunks of its dense M's
// assembly, on a pool or on its own thread, posted before the answer that waited on them, once per system; heard by the
// asking side's onProgress, whose throw stops the check as stopRequested's does; and requests
// answered in the order they came while the first waits for its pool's workers to start.
import { afterEach, describe, expect, test } from 'vitest';
import { kCpuKernels, parallelMassMatrixEntries } from '../src/parallel/mass-matrix.ts';
import { nodeWorkerPool } from '../src/parallel/node.ts';
import type { WorkerPool } from '../src/parallel/pool.ts';
import { geometry } from '../src/physics/geometry.ts';
import { massMatrixEntries, type DarwinSystem } from '../src/physics/models.ts';
import { massMatrix } from '../src/run/backend.ts';
import {
  FloatReference,
  referenceAnswerer,
  type ReferenceListeners,
  type ReferenceMessage,
  type ReferenceRequest,
} from '../src/run/reference.ts';
import { applyMassMatrix } from '../src/solvers/dense.ts';

/** 1500 electrons: 1.12 * 10^6 pairs, two chunks of parallelMassMatrixEntries' 10^6. */
const system: DarwinSystem = {
  configuration: geometry('ring', 1500),
  model: 'azimuthal',
  dim: 3,
  epsilon: 1e-3,
  softening: 0,
};
const velocities = Float64Array.from({ length: 1500 }, (_, k) => Math.sin(k));

const pools: WorkerPool[] = [];
const twoThreads = (): WorkerPool => {
  const pool = nodeWorkerPool(2, kCpuKernels);
  pools.push(pool);
  return pool;
};
afterEach(() => {
  for (const pool of pools.splice(0)) pool.dispose();
});

/** The largest |a_k - b_k| relative to the largest |b_k|. */
const relativeDifference = (a: Float64Array, b: Float64Array) =>
  a.reduce((max, value, k) => Math.max(max, Math.abs(value - b[k])), 0) /
  b.reduce((max, value) => Math.max(max, Math.abs(value)), 0);

const momentaRequest = (id: number, key: string): ReferenceRequest => ({
  id,
  key,
  system,
  kind: 'momenta',
  velocities,
});

describe('referenceAnswerer on its own thread (no pool: a page without cross-origin isolation, Firefox)', () => {
  test("posts the same chunks, and its M's entries are the pool's bit for bit", async () => {
    const posted: ReferenceMessage[] = [];
    const answer = referenceAnswerer(
      () => undefined,
      (progress) => posted.push(progress),
    );
    posted.push(await answer(momentaRequest(0, 'ring')));
    expect(posted.map((message) => ('step' in message ? message : message.id))).toEqual([
      { step: 'assembly', done: 1, total: 2 },
      { step: 'assembly', done: 2, total: 2 },
      0,
    ]);
    const chunked: number[] = [];
    const entries = massMatrixEntries(system, 'float64', (done) => chunked.push(done));
    expect(chunked).toEqual([1, 2]);
    const pooled = parallelMassMatrixEntries(system, twoThreads());
    expect(entries.length).toBe(pooled.length);
    expect(entries.every((entry, k) => Object.is(entry, pooled[k]))).toBe(true);
    const answered = posted[2];
    if (!('ok' in answered) || !answered.ok || answered.kind !== 'momenta') throw new Error('no momenta');
    expect(
      relativeDifference(answered.momenta, applyMassMatrix(massMatrix(system), velocities)),
    ).toBeLessThan(1e-14);
  });
});

describe('referenceAnswerer on a pool', () => {
  test("posts its assembly's chunks before the answer, once per system, which answers M v", async () => {
    const posted: ReferenceMessage[] = [];
    const answer = referenceAnswerer(twoThreads, (progress) => posted.push(progress));
    posted.push(await answer(momentaRequest(0, 'ring')));
    posted.push(await answer(momentaRequest(1, 'ring')));
    const steps = posted.map((message) => ('step' in message ? message : message.id));
    expect(steps).toEqual([
      { step: 'assembly', done: 1, total: 2 },
      { step: 'assembly', done: 2, total: 2 },
      0,
      1,
    ]);
    const expected = applyMassMatrix(massMatrix(system), velocities);
    for (const message of posted.slice(2)) {
      if (!('ok' in message) || !message.ok || message.kind !== 'momenta') throw new Error('no momenta');
      expect(relativeDifference(message.momenta, expected)).toBeLessThan(1e-14);
    }
  });

  test('answers in the order asked: a request that comes while M waits for its threads shares that M', async () => {
    const posted: string[] = [];
    const answer = referenceAnswerer(twoThreads, ({ done }) => posted.push(`chunk ${done}`));
    // Both asked before the first has its pool's workers running (WorkerPool.start awaits them).
    const first = answer(momentaRequest(0, 'ring')).then(({ id }) => posted.push(`answer ${id}`));
    const second = answer(momentaRequest(1, 'ring')).then(({ id }) => posted.push(`answer ${id}`));
    await Promise.all([first, second]);
    expect(posted).toEqual(['chunk 1', 'chunk 2', 'answer 0', 'answer 1']);
    // One M, on one pool: the second request built none.
    expect(pools).toHaveLength(1);
  });
});

/** A FloatReference whose worker is referenceAnswerer on this thread, with a pool of two threads. */
function pooledReference(onProgress: (step: string, done: number, total: number) => void) {
  const answer = referenceAnswerer(twoThreads, (progress) => listeners?.message(progress));
  let listeners: ReferenceListeners | null = null;
  let terminated = false;
  const reference = new FloatReference(
    (heard) => {
      listeners = heard;
      return {
        postMessage: (request) => void answer(request).then((response) => heard.message(response)),
        terminate: () => (terminated = true),
      };
    },
    undefined,
    onProgress,
  );
  return { reference, terminated: () => terminated };
}

describe('FloatReference.onProgress', () => {
  test("hears the worker's assembly chunks before the answer", async () => {
    const heard: string[] = [];
    const { reference } = pooledReference((step, done, total) => heard.push(`${step} ${done}/${total}`));
    const momenta = await reference.of('ring', system).momenta(velocities);
    heard.push('answered');
    expect(heard).toEqual(['assembly 1/2', 'assembly 2/2', 'answered']);
    expect(relativeDifference(momenta, applyMassMatrix(massMatrix(system), velocities))).toBeLessThan(1e-14);
  });

  test('that throws ends the worker and fails the pending request with what it threw', async () => {
    const interrupted = new Error('interrupted (SIGINT)');
    const { reference, terminated } = pooledReference(() => {
      throw interrupted;
    });
    await expect(reference.of('ring', system).momenta(velocities)).rejects.toBe(interrupted);
    expect(terminated()).toBe(true);
  });
});
