// The float64 reference worker's progress (src/run/reference.ts): the chunks of its dense M's
// assembly, on a pool or on its own thread, posted before the answer that waited on them, once per
// system; its solve's and Lanczos run's iterations and the sampled check's chunks, throttled to one
// every kReferenceProgressMs; heard by the asking side's onProgress, whose throw stops the check as
// stopRequested's does; requests answered in the order they came while the first waits for its
// pool's workers to start; and London's field for the app's map, reducedField's bit for bit.
import { afterEach, describe, expect, test } from 'vitest';
import { referenceReporter } from '../src/app/reference.ts';
import { referenceProgress } from '../src/cli/engine.ts';
import type { Progress } from '../src/cli/progress.ts';
import { kCpuKernels, parallelMassMatrixEntries } from '../src/parallel/mass-matrix.ts';
import { nodeWorkerPool } from '../src/parallel/node.ts';
import type { WorkerPool } from '../src/parallel/pool.ts';
import { geometry } from '../src/physics/geometry.ts';
import { fieldMapGrid, londonBody, reducedField } from '../src/physics/london.ts';
import { applyInteractionFree, massMatrixEntries, type DarwinSystem } from '../src/physics/models.ts';
import { norm, seededRandom } from '../src/math/vectors.ts';
import { cpuBackend } from '../src/run/backend.ts';
import { checkSample, kReferenceRtol, sampledMassRows } from '../src/run/check.ts';
import {
  FloatReference,
  referenceAnswerer,
  type ReferenceListeners,
  type ReferenceMessage,
  type ReferenceProgress,
  type ReferenceRequest,
} from '../src/run/reference.ts';
import { cpuField, londonFieldMap } from '../src/studies/london/run.ts';

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

const interactionRequest = (id: number, key: string): ReferenceRequest => ({
  id,
  key,
  system,
  kind: 'interaction',
  velocities,
});

describe('referenceAnswerer on its own thread (no pool: a page without cross-origin isolation, Firefox)', () => {
  test("posts the same chunks, and its M's entries are the pool's bit for bit", async () => {
    const posted: ReferenceMessage[] = [];
    const answer = referenceAnswerer(
      () => undefined,
      (progress) => posted.push(progress),
    );
    posted.push(await answer(interactionRequest(0, 'ring')));
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
    if (!('ok' in answered) || !answered.ok || answered.kind !== 'interaction') throw new Error('no eps T v');
    expect(relativeDifference(answered.interaction, applyInteractionFree(system, velocities))).toBeLessThan(
      1e-14,
    );
  });
});

describe('referenceAnswerer on a pool', () => {
  test("posts its assembly's chunks before the answer, once per system, which answers eps T v", async () => {
    const posted: ReferenceMessage[] = [];
    const answer = referenceAnswerer(twoThreads, (progress) => posted.push(progress));
    posted.push(await answer(interactionRequest(0, 'ring')));
    posted.push(await answer(interactionRequest(1, 'ring')));
    const steps = posted.map((message) => ('step' in message ? message : message.id));
    expect(steps).toEqual([
      { step: 'assembly', done: 1, total: 2 },
      { step: 'assembly', done: 2, total: 2 },
      0,
      1,
    ]);
    const expected = applyInteractionFree(system, velocities);
    for (const message of posted.slice(2)) {
      if (!('ok' in message) || !message.ok || message.kind !== 'interaction') throw new Error('no eps T v');
      expect(relativeDifference(message.interaction, expected)).toBeLessThan(1e-14);
    }
  });

  test('answers in the order asked: a request that comes while M waits for its threads shares that M', async () => {
    const posted: string[] = [];
    const answer = referenceAnswerer(twoThreads, (progress) =>
      posted.push(progress.step === 'assembly' ? `chunk ${progress.done}` : progress.step),
    );
    // Both asked before the first has its pool's workers running (WorkerPool.start awaits them).
    const first = answer(interactionRequest(0, 'ring')).then(({ id }) => posted.push(`answer ${id}`));
    const second = answer(interactionRequest(1, 'ring')).then(({ id }) => posted.push(`answer ${id}`));
    await Promise.all([first, second]);
    expect(posted).toEqual(['chunk 1', 'chunk 2', 'answer 0', 'answer 1']);
    // One M, on one pool: the second request built none.
    expect(pools).toHaveLength(1);
  });
});

/** A FloatReference whose worker is referenceAnswerer on this thread, with a pool of two threads. */
function pooledReference(onProgress: (progress: ReferenceProgress) => void) {
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
  test("hears no 'answered' from a worker that cancel() ended: its late answer is no news of the next", async () => {
    const heard: ReferenceProgress[] = [];
    let listeners: ReferenceListeners | null = null;
    const asked: ReferenceRequest[] = [];
    const reference = new FloatReference(
      (heard) => {
        listeners = heard;
        return { postMessage: (request) => void asked.push(request), terminate: () => {} };
      },
      undefined,
      (progress) => heard.push(progress),
    );
    const interaction = reference.of('ring', system).interaction(velocities);
    const stopped = new Error('stopped');
    const refused = expect(interaction).rejects.toBe(stopped);
    await Promise.resolve();
    expect(asked.map((request) => request.kind)).toEqual(['interaction']);
    reference.cancel(stopped);
    await refused;
    listeners!.message({
      id: asked[0].id,
      ok: true,
      kind: 'interaction',
      interaction: new Float64Array(1500),
    });
    expect(heard).toEqual([]);
  });

  test("hears the worker's assembly chunks before the answer, and the answer's arrival", async () => {
    const heard: string[] = [];
    const { reference } = pooledReference((progress) =>
      heard.push(
        progress.step === 'assembly' ? `assembly ${progress.done}/${progress.total}` : progress.step,
      ),
    );
    const interaction = await reference.of('ring', system).interaction(velocities);
    heard.push('interaction');
    // 'answered', FloatReference's own, as the answer arrives: a throttled step's line given back.
    expect(heard).toEqual(['assembly 1/2', 'assembly 2/2', 'answered', 'interaction']);
    expect(relativeDifference(interaction, applyInteractionFree(system, velocities))).toBeLessThan(1e-14);
  });

  test('that throws ends the worker and fails the pending request with what it threw', async () => {
    const interrupted = new Error('interrupted (SIGINT)');
    const { reference, terminated } = pooledReference(() => {
      throw interrupted;
    });
    await expect(reference.of('ring', system).interaction(velocities)).rejects.toBe(interrupted);
    expect(terminated()).toBe(true);
  });
});

/**
 * A clock that advances 100 ms each time it is read: the throttle (kReferenceProgressMs, 250 ms)
 * posts the first report and then every third, at 0, 300, 600 ms ...
 */
function steppingClock(): () => number {
  let reads = 0;
  return () => 100 * reads++;
}

/** Every third of `count` reports from the first, as the throttle passes them under steppingClock. */
const everyThird = (count: number) => Array.from({ length: Math.ceil(count / 3) }, (_, k) => 3 * k + 1);

/**
 * A ring of 400 in the azimuthal model, on this thread (no pool): its dense reference solves a random
 * p in 13 CG iterations, and its Lanczos run takes some 500 products through the ring's bottom cluster.
 */
const ring: DarwinSystem = {
  configuration: geometry('ring', 400),
  model: 'azimuthal',
  dim: 3,
  epsilon: 1e-3,
  softening: 0,
};

/** The worker's answer to `request` on this thread, with the progress it posted before it. */
async function answered(request: ReferenceRequest) {
  const posted: ReferenceProgress[] = [];
  const answer = referenceAnswerer(
    () => undefined,
    (progress) => posted.push(progress),
    steppingClock(),
  );
  const response = await answer(request);
  if (!response.ok) throw new Error(response.message);
  return { posted, response };
}

describe("referenceAnswerer's iterations and sampled chunks, throttled", () => {
  test("a solve's CG iterations with ||r|| / ||p||, the first and every third under the stepping clock", async () => {
    const random = seededRandom(2);
    const momenta = Float64Array.from({ length: 400 }, () => random() - 0.5);
    // What the same dense backend's solve hears, made relative to ||p|| as a run's progress is.
    const heard: [number, number][] = [];
    const expected = await cpuBackend(ring).velocities(momenta, 'cg', {
      rtol: kReferenceRtol,
      onIteration: (iteration, residualNorm) => void heard.push([iteration, residualNorm / norm(momenta)]),
    });
    expect(expected.iterations).toBeGreaterThan(6);
    const { posted, response } = await answered({
      id: 0,
      key: 'ring',
      system: ring,
      kind: 'solve',
      momenta,
      solver: 'cg',
      rtol: kReferenceRtol,
      maxIterations: undefined,
    });
    const iterations = everyThird(expected.iterations);
    expect(posted).toEqual(
      iterations.map((k) => ({ step: 'solve', iteration: k, relativeResidual: heard[k - 1][1] })),
    );
    if (response.kind !== 'solve') throw new Error('no solve');
    expect(response.result.x).toEqual(expected.x);
  });

  test("a spectrum's Lanczos products with the extreme Ritz values, the first and every third", async () => {
    const heard: [number, number, number][] = [];
    const expected = await cpuBackend(ring).spectrum({
      seed: 1,
      onIteration: (iteration, lambdaMin, lambdaMax) => void heard.push([iteration, lambdaMin, lambdaMax]),
    });
    const steps = expected.lanczos.iterations;
    expect(steps).toBeGreaterThan(100);
    const { posted, response } = await answered({
      id: 0,
      key: 'ring',
      system: ring,
      kind: 'spectrum',
      tol: undefined,
      maxIterations: undefined,
      seed: 1,
      basisSize: undefined,
    });
    expect(posted).toEqual(
      everyThird(heard.length).map((k) => ({
        step: 'lanczos',
        iteration: heard[k - 1][0],
        lambdaMin: heard[k - 1][1],
        lambdaMax: heard[k - 1][2],
      })),
    );
    if (response.kind !== 'spectrum') throw new Error('no spectrum');
    expect(response.result.lanczos.lambdaMin).toBe(expected.lanczos.lambdaMin);
  });

  test("the sampled check's rows in chunks at 16 000 electrons, in bench's words, the rows unpaced", async () => {
    // 256 rows of 16 000 pairs: two chunks of kPairsPerPause pairs (250 electrons, then 6).
    const large: DarwinSystem = { ...ring, configuration: geometry('sphere', 16_000), model: 'vector' };
    const electrons = checkSample(large.configuration).electrons;
    const x = Float64Array.from({ length: 3 * 16_000 }, (_, k) => Math.sin(k));
    const { posted, response } = await answered({
      id: 0,
      key: 'sphere',
      system: large,
      kind: 'rows',
      electrons,
      x,
      part: 'momenta',
    });
    expect(posted).toEqual([{ step: 'sampled', text: 'float64 check: electron 251 of 256' }]);
    if (response.kind !== 'rows') throw new Error('no rows');
    expect(response.rows).toEqual(sampledMassRows(large, x, electrons));
  });

  test("the sampled check's nearest-neighbour queries in chunks at 70 000 electrons, the sample checkSample's", async () => {
    // A k-d tree of 16 384 leaves: two chunks of kPairsPerPause pairs (10 000 leaves, then 6384).
    const system: DarwinSystem = { ...ring, configuration: geometry('sphere', 70_000), model: 'vector' };
    const { posted, response } = await answered({ id: 0, key: 'sphere', system, kind: 'sample' });
    expect(posted).toEqual([
      { step: 'sampled', text: 'float64 check: nearest neighbours, leaf 10001 of 16384' },
    ]);
    if (response.kind !== 'sample') throw new Error('no sample');
    // Of another configuration object with the same positions (checkSample keeps one per object).
    expect(response.sample.electrons).toEqual(checkSample(geometry('sphere', 70_000)).electrons);
  });
});

/** A sphere of 4000 charges at its 61-point map's 2821 points and its centre, as londonFieldMap asks. */
const sphere = londonBody('sphere', 4000);
const map = fieldMapGrid(sphere, 61);
const mapPoints = Float64Array.from([...map.points, 0, 0, 0]);
const sameBits = (a: Float64Array, b: Float64Array) =>
  a.length === b.length && a.every((value, k) => Object.is(value, b[k]));

describe("referenceAnswerer's London field (the app's map)", () => {
  test("on its own thread: reducedField's bit for bit, its chunks of 1000 points reported, throttled", async () => {
    const { posted, response } = await answered({ id: 0, kind: 'london', body: sphere, points: mapPoints });
    // Chunks of 4e6 pairs (1000 points) begin at points 1001 and 2001: the throttle passes the first.
    expect(posted).toEqual([
      { step: 'sampled', text: 'London: float64 field of 4000 charges, point 1001 of 2822' },
    ]);
    if (response.kind !== 'london') throw new Error('no field');
    expect(sameBits(response.field, reducedField(sphere, mapPoints))).toBe(true);
  });

  test('on a pool, asked by FloatReference.reducedField: the same bits, chunks of 2000 points, the pool ended', async () => {
    const heard: string[] = [];
    const { reference } = pooledReference((progress) =>
      heard.push(progress.step === 'sampled' ? progress.text : progress.step),
    );
    const field = await reference.reducedField(sphere, mapPoints);
    expect(heard).toEqual(['London: float64 field of 4000 charges, point 2001 of 2822', 'answered']);
    expect(sameBits(field, reducedField(sphere, mapPoints))).toBe(true);
    expect(pools).toHaveLength(1);
    expect(() => pools[0].run(kCpuKernels[0], [], [0, 1])).toThrow('WorkerPool used after dispose()');
  });

  test("londonFieldMap with the worker's sum as its float64 one, asked once: the numbers of the one summed here", async () => {
    const { reference } = pooledReference(() => {});
    const askedAt: number[] = [];
    const asked = await londonFieldMap(cpuField, sphere, map, {}, (body, points) => {
      askedAt.push(points.length / 3);
      return reference.reducedField(body, points);
    });
    expect(askedAt).toEqual([2822]);
    const here = await londonFieldMap(cpuField, sphere, map);
    expect({ ...asked.study, fieldMs: 0 }).toEqual({ ...here.study, fieldMs: 0 });
    expect(sameBits(asked.ratios, here.ratios)).toBe(true);
  });
});

describe("the reference's progress in words", () => {
  const steps: ReferenceProgress[] = [
    { step: 'assembly', done: 1, total: 2 },
    { step: 'assembly', done: 2, total: 2 },
    { step: 'solve', iteration: 12, relativeResidual: 3.14159e-9 },
    { step: 'lanczos', iteration: 240, lambdaMin: 0.99871234, lambdaMax: 1.4123456789 },
    { step: 'sampled', text: 'float64 check: electron 201 of 256' },
    { step: 'answered' },
  ];

  test("the page's: each step in its stage's words, null where nothing is under way", () => {
    const report = referenceReporter();
    const shown = steps.map((progress) => report(progress)?.text ?? null);
    expect(shown[0]).toMatch(/^assembling the float64 M: chunk 1 of 2/);
    // The assembly's last chunk and the answer give the check's line back.
    expect(shown.slice(1)).toEqual([
      null,
      'solve: iteration 12, ‖r‖/‖p‖ = 3.14e-9',
      'Lanczos product 240, λ ∈ [0.998712, 1.41235]',
      'float64 check: electron 201 of 256',
      null,
    ]);
  });

  test("the CLI's: the run's own iteration and Lanczos lines after 'float64 check: ', nothing at the answer", () => {
    const lines: string[] = [];
    const hook = referenceProgress({ within: (text: string) => lines.push(text) } as unknown as Progress);
    for (const progress of steps) hook(progress);
    expect(lines.slice(0, 2).map((line) => line.replace(/,.*$/, ''))).toEqual([
      'assembly: chunk 1 of 2',
      'assembly: chunk 2 of 2',
    ]);
    expect(lines.slice(2)).toEqual([
      'float64 check: iteration 12: relative residual 3.142e-9',
      'float64 check: Lanczos step 240: [0.99871234, 1.4123457]',
      'float64 check: electron 201 of 256',
    ]);
  });
});

describe("FloatReference.backend (the app's response check)", () => {
  test('a sweep over eps at one configuration, one key: every answer at the eps set, as cpuBackend', async () => {
    const ring: DarwinSystem = { ...system, configuration: geometry('ring', 200) };
    const v = velocities.subarray(0, 200);
    const answer = referenceAnswerer(() => undefined);
    const reference = new FloatReference((heard) => ({
      postMessage: (request) => void answer(request).then((response) => heard.message(response)),
      terminate: () => {},
    }));
    const backend = reference.backend('ring 200', ring);
    // The worker holds T under the one key: the second eps is its setEpsilon, not a second M.
    for (const epsilon of [1e-3, 2e-2]) {
      backend.setEpsilon(epsilon);
      expect(backend.system.epsilon).toBe(epsilon);
      const local = cpuBackend({ ...ring, epsilon });
      const momenta = await local.momenta(v);
      expect(relativeDifference(await backend.momenta(v), momenta)).toBeLessThan(1e-15);
      const solved = await backend.velocities(momenta, 'cg', { rtol: kReferenceRtol });
      expect(solved.converged).toBe(true);
      expect(relativeDifference(solved.x, v)).toBeLessThan(1e-8);
      local.dispose();
    }
    reference.cancel();
  });
});
