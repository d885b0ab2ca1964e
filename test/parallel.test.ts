// The float64 CPU path on a WorkerPool (src/parallel/): every product and assembly equal bit for bit
// to the single-thread functions for 1, 2 and 3 threads on rows that do not split evenly; solves
// and spectra through the CPU backend equal to the single-thread ones; the tree's product the same
// node by node on any number of threads, its sums and solves equal to rounding; London's field bit for
// bit reducedField's, paced and stopped between its chunks; --threads refused below 1;
// workers that really take blocks, and that leave nothing behind when the pool is disposed or
// forgotten.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { build } from 'vite';
import { afterEach, describe, expect, it } from 'vitest';
import {
  kCpuKernels,
  parallelMassMatrixEntries,
  parallelMassMatrixFree,
} from '../src/parallel/mass-matrix.ts';
import { kNodeWorkers, nodeWorkerPool } from '../src/parallel/node.ts';
import {
  evenBlocks,
  parallelUnavailable,
  triangleBlocks,
  WorkerPool,
  type PoolWorker,
} from '../src/parallel/pool.ts';
import { geometry, type GeometryName } from '../src/physics/geometry.ts';
import {
  applyMassMatrixFree,
  massMatrixEntries,
  unknowns,
  type DarwinSystem,
} from '../src/physics/models.ts';
import { buildTree, sharedArrays } from '../src/physics/tree-build.ts';
import { fieldMapGrid, londonBody, reducedField, type LondonBody } from '../src/physics/london.ts';
import { parallelReducedField } from '../src/parallel/london.ts';
import { cpuField, londonFieldMap, runLondon } from '../src/studies/london/run.ts';
import { PointStopped } from '../src/studies/study.ts';
import { treeInteraction } from '../src/physics/treecode.ts';
import { cpuBackend, cpuTreeBackend } from '../src/run/backend.ts';
import { parseThreads } from '../src/run/inputs.ts';
import { simdAvailable, simdProductRows } from '../src/parallel/simd.ts';
import { denseMatrix, kParallelProductSize } from '../src/solvers/dense.ts';
import type { SolverName } from '../src/solvers/types.ts';
import { runCli, useCliBundle } from './helpers/cli-bundle.ts';
import { randomVector } from './helpers/compare.ts';

const pools: WorkerPool[] = [];
function pool(threads: number): WorkerPool {
  const made = nodeWorkerPool(threads, kCpuKernels);
  pools.push(made);
  return made;
}
afterEach(() => {
  for (const made of pools.splice(0)) made.dispose();
});

const maxAbsolute = (x: Float64Array) => x.reduce((max, value) => Math.max(max, Math.abs(value)), 0);
const maxDifference = (a: Float64Array, b: Float64Array) =>
  a.reduce((max, value, k) => Math.max(max, Math.abs(value - b[k])), 0);

/** The same float64 bits everywhere; else the first entry that differs. */
function expectBitIdentical(got: Float64Array, expected: Float64Array): void {
  expect(got.length).toBe(expected.length);
  const bits = (array: Float64Array) => new BigUint64Array(array.buffer, array.byteOffset, array.length);
  const [a, b] = [bits(got), bits(expected)];
  const first = a.findIndex((word, k) => word !== b[k]);
  expect(first < 0 ? null : { index: first, got: got[first], expected: expected[first] }).toBeNull();
}

function system(
  name: GeometryName,
  n: number,
  model: DarwinSystem['model'],
  dim: DarwinSystem['dim'],
  softening = 0,
): DarwinSystem {
  return { configuration: geometry(name, n), model, dim, epsilon: 3e-3, softening };
}

// Sizes that split unevenly into 4 blocks per thread, and the three kinds of pair block.
const kCases: [string, DarwinSystem][] = [
  ['vector 3D ball', system('ball', 203, 'vector', 3)],
  ['vector 2D disk', system('disk', 263, 'vector', 2)],
  ['azimuthal ring, softened', system('ring', 521, 'azimuthal', 3, 0.05)],
];

describe('block boundaries', () => {
  it('cover the rows once, in order, for any count', () => {
    for (const [rows, blocks] of [
      [10, 3],
      [7, 12],
      [1, 4],
      [1000, 12],
    ]) {
      for (const boundaries of [evenBlocks(rows, blocks), triangleBlocks(rows, blocks)]) {
        expect(boundaries[0]).toBe(0);
        expect(boundaries.at(-1)).toBe(rows);
        for (let k = 1; k < boundaries.length; k++) expect(boundaries[k]).toBeGreaterThan(boundaries[k - 1]);
      }
    }
  });

  it('give the pairs j > i of each block equal work', () => {
    const n = 1000;
    const boundaries = triangleBlocks(n, 4);
    const work = boundaries.slice(1).map((end, k) => {
      let pairs = 0;
      for (let i = boundaries[k]; i < end; i++) pairs += n - 1 - i;
      return pairs;
    });
    const total = (n * (n - 1)) / 2;
    for (const pairs of work) expect(Math.abs(pairs - total / 4) / total).toBeLessThan(0.01);
  });
});

describe.each(kCases)('%s on 1, 2 and 3 threads', (_, darwin) => {
  const size = unknowns(darwin);
  const reference = massMatrixEntries(darwin) as Float64Array;
  const v = randomVector(size, 7);

  it('assembles M bit for bit as massMatrixEntries', () => {
    for (const threads of [1, 2, 3])
      expectBitIdentical(parallelMassMatrixEntries(darwin, pool(threads)), reference);
  });

  it('applies the dense M bit for bit on any number of threads, equal to one loop to rounding', () => {
    expect(size).toBeGreaterThanOrEqual(kParallelProductSize);
    const loop = new Float64Array(size);
    denseMatrix(size, reference, 'float64').apply(v, loop);
    const products = [1, 2, 3].map((threads) => {
      const workers = pool(threads);
      const got = new Float64Array(size);
      denseMatrix(size, parallelMassMatrixEntries(darwin, workers), 'float64', workers).apply(v, got);
      return got;
    });
    for (const got of products.slice(1)) expectBitIdentical(got, products[0]);
    // Both sums are within gamma_size sum_j |a_ij v_j| of the exact one (src/parallel/simd.ts).
    const gamma = (size * 2 ** -53) / (1 - size * 2 ** -53);
    for (let row = 0; row < size; row++) {
      let absolute = 0;
      for (let col = 0; col < size; col++) absolute += Math.abs(reference[row * size + col] * v[col]);
      expect(Math.abs(products[0][row] - loop[row])).toBeLessThanOrEqual(2 * gamma * absolute);
    }
  });

  it('applies M matrix-free bit for bit as applyMassMatrixFree', () => {
    const expected = applyMassMatrixFree(darwin, v);
    for (const threads of [1, 2, 3, 4])
      expectBitIdentical(parallelMassMatrixFree(darwin, pool(threads))(v), expected);
  });

  it('refuses a matrix-free product used after its release, whose arrays the workers dropped', () => {
    // The workers would wait for the arrays for ever: a hang, where a sweep's pool outlives the product.
    const product = parallelMassMatrixFree(darwin, pool(3));
    expectBitIdentical(product(v), applyMassMatrixFree(darwin, v));
    product.release();
    expect(() => product(v)).toThrow('a kernel array used after WorkerPool.release()');
  });
});

describe('the SIMD dot product', () => {
  it('runs here, and sums in the documented order: eight interleaved sums, then the tail', () => {
    expect(simdAvailable()).toBe(true);
    const workers = pool(1);
    for (const size of [8, 13, 600, 613]) {
      const data = workers.shared(size * size, { trailing: size, wasm: true });
      data.set(randomVector(size * size, size));
      const x = workers.view(data, size * size, size);
      x.set(randomVector(size, 2 * size));
      const y = new Float64Array(size);
      simdProductRows(data, size, x, y, 0, size);
      const expected = Float64Array.from({ length: size }, (_, row) => {
        const lanes = new Float64Array(8);
        const end8 = size - (size % 8);
        for (let k = 0; k < end8; k++) lanes[k % 8] += data[row * size + k] * x[k];
        const pair = [0, 1].map((r) => lanes[r] + lanes[2 + r] + (lanes[4 + r] + lanes[6 + r]));
        let sum = pair[0] + pair[1];
        for (let k = end8; k < size; k++) sum += data[row * size + k] * x[k];
        return sum;
      });
      expectBitIdentical(y, expected);
    }
  });
});

describe('the CPU backend on a pool', () => {
  const darwin = system('sphere', 240, 'vector', 3);
  const momenta = randomVector(unknowns(darwin), 3);

  it.each(['cg', 'minres'] as SolverName[])('solves with %s exactly as on one thread', async (solver) => {
    const single = cpuBackend(darwin, 'float64', nodeWorkerPool(1, kCpuKernels));
    const expected = await single.velocities(momenta, solver, { rtol: 1e-12 });
    single.dispose();
    const loop = cpuBackend(darwin);
    const unpooled = await loop.velocities(momenta, solver, { rtol: 1e-12 });
    loop.dispose();
    // Without a pool the products are the column-order loop's: the same solve to rounding.
    expect(maxDifference(unpooled.x, expected.x)).toBeLessThan(1e-12 * maxAbsolute(expected.x));
    for (const threads of [2, 3]) {
      const backend = cpuBackend(darwin, 'float64', nodeWorkerPool(threads, kCpuKernels));
      const got = await backend.velocities(momenta, solver, { rtol: 1e-12 });
      backend.dispose();
      expect(got.converged).toBe(true);
      expect(got.iterations).toBe(expected.iterations);
      expectBitIdentical(got.x, expected.x);
      expect(got.trueResidualNorm).toBe(expected.trueResidualNorm);
    }
  });

  it('finds the spectrum (Lanczos) exactly as on one thread, after setEpsilon', async () => {
    const single = cpuBackend(darwin, 'float64', nodeWorkerPool(1, kCpuKernels));
    single.setEpsilon(0.02);
    const expected = await single.spectrum({ seed: 5 });
    single.dispose();
    const backend = cpuBackend(darwin, 'float64', nodeWorkerPool(3, kCpuKernels));
    backend.setEpsilon(0.02);
    const got = await backend.spectrum({ seed: 5 });
    backend.dispose();
    expect(got.lanczos.converged).toBe(true);
    expect(got.lambdaMin).toBe(expected.lambdaMin);
    expect(got.lambdaMax).toBe(expected.lambdaMax);
    expect(got.lanczos.iterations).toBe(expected.lanczos.iterations);
  });

  it('refuses use after dispose, and disposes its pool', async () => {
    const workers = nodeWorkerPool(2, kCpuKernels);
    const backend = cpuBackend(darwin, 'float64', workers);
    backend.dispose();
    await expect(backend.momenta(momenta)).rejects.toThrow('after dispose');
    expect(() => workers.run(kCpuKernels[0], [], [0, 1])).toThrow('after dispose');
  });
});

describe("the tree's product on a pool", () => {
  // Leaves of 16 and every M2L the opening angle allows: six to seven levels, each pass at work.
  const kTreeCases: [string, DarwinSystem][] = [
    ['vector 3D ball', system('ball', 1500, 'vector', 3)],
    ['vector 2D disk (planar M2L)', system('disk', 1100, 'vector', 2)],
    ['azimuthal cylinder, softened', system('cylinder', 1300, 'azimuthal', 3, 1e-4)],
  ];
  const options = { tolerance: 1e-6, leafSize: 16, translationCost: 0 };

  it.each(kTreeCases)(
    '%s: every node the same on 1 to 4 threads, the sums equal to rounding',
    (_, darwin) => {
      const x = randomVector(unknowns(darwin), 41);
      const serial = buildTree(darwin, options);
      const expected = new Float64Array(x.length);
      treeInteraction(serial, x, expected);
      expect(serial.counts.translations).toBeGreaterThan(0);
      for (const threads of [1, 2, 3, 4]) {
        const workers = pool(threads);
        const tree = buildTree(darwin, options, sharedArrays(workers));
        const got = new Float64Array(x.length);
        treeInteraction(tree, x, got, workers);
        // The passes compute each node's expansions alone: the same bits whoever runs them.
        expectBitIdentical(tree.moments as Float64Array, serial.moments as Float64Array);
        expectBitIdentical(tree.locals as Float64Array, serial.locals as Float64Array);
        // The near field sums pairs across subtrees in another order on threads (nearFieldAcross).
        if (threads === 1) expectBitIdentical(got, expected);
        else expect(maxDifference(got, expected)).toBeLessThan(1e-13 * maxAbsolute(expected));
      }
    },
  );

  it('solves with CG as on one thread, and disposes its pool', async () => {
    const darwin = system('ball', 500, 'vector', 3);
    const momenta = randomVector(unknowns(darwin), 43);
    const single = cpuTreeBackend(darwin, options);
    const expected = await single.velocities(momenta, 'cg', { rtol: 1e-10 });
    single.dispose();
    const workers = nodeWorkerPool(3, kCpuKernels);
    const backend = cpuTreeBackend(darwin, options, workers);
    const got = await backend.velocities(momenta, 'cg', { rtol: 1e-10 });
    backend.dispose();
    expect(got.converged).toBe(true);
    expect(Math.abs(got.iterations - expected.iterations)).toBeLessThanOrEqual(1);
    expect(maxDifference(got.x, expected.x)).toBeLessThan(1e-9 * maxAbsolute(expected.x));
    expect(() => workers.run(kCpuKernels[0], [], [0, 1])).toThrow('after dispose');
  });

  it("refuses a float32 tree's storage, which a pool cannot share", () => {
    const darwin = system('ball', 300, 'vector', 3);
    const workers = pool(2);
    const tree = buildTree(darwin, { ...options, precision: 'float32' }, sharedArrays(workers));
    const x = randomVector(unknowns(darwin), 47);
    expect(() => treeInteraction(tree, x, new Float64Array(x.length), workers)).toThrow(
      'a kernel array must come from WorkerPool.shared()',
    );
  });
});

describe("London's field (reducedFieldRows) on 1, 2 and 3 threads", () => {
  // Point counts that split unevenly into 4 blocks per thread, and a cylinder longer than wide.
  const kBodies: [string, LondonBody, number][] = [
    ['sphere N = 97', londonBody('sphere', 97), 11],
    ['cylinder N = 130, h = 2.5', londonBody('cylinder', 130, 2.5), 9],
  ];

  it.each(kBodies)(
    '%s: the map and the centre bit for bit reducedField, in one run or several',
    async (_, body, size) => {
      const points = Float64Array.from([...fieldMapGrid(body, size).points, 0, 0, 0]);
      const count = points.length / 3;
      expect(count % 12).not.toBe(0);
      const expected = reducedField(body, points);
      for (const threads of [1, 2, 3]) {
        const workers = pool(threads);
        const whole = await parallelReducedField(body, points, workers, async (sum) => sum(0, count));
        expectBitIdentical(whole, expected);
        // Runs of 7 points, as a paced map's chunks come: each split over the threads anew.
        const inRuns = await parallelReducedField(body, points, workers, async (sum) => {
          for (let start = 0; start < count; start += 7) sum(start, Math.min(count, start + 7));
        });
        expectBitIdentical(inRuns, expected);
      }
    },
  );

  // 2822 points of 4000 charges: kPairsPerPause pairs a thread make chunks of 2000 points on two
  // threads (1000 on one: the paced test of london.test.ts), one pause between two.
  const body = londonBody('sphere', 4000);
  const grid = fieldMapGrid(body, 61);

  it('a paced map on the pool: a pause and a report between its chunks, the same map and numbers', async () => {
    const events: string[] = [];
    const hooks = {
      pause: async () => {
        events.push('pause');
      },
      progress: (text: string) => events.push(text),
    };
    const pooled = await londonFieldMap(cpuField, body, grid, hooks, pool(2));
    expect(events).toEqual(['pause', 'London: float64 field of 4000 charges, point 2001 of 2822']);
    const alone = await londonFieldMap(cpuField, body, grid);
    expectBitIdentical(pooled.ratios, alone.ratios);
    expect({ ...pooled.study, fieldMs: 0 }).toEqual({ ...alone.study, fieldMs: 0 });
  });

  it('Stop between two chunks ends the map there, and the pool sums the next map as before', async () => {
    const workers = pool(2);
    let stopped = false;
    const chunks: string[] = [];
    const run = await runLondon(
      cpuField,
      { geometry: 'sphere', ns: [4000], grid: 61, halfHeight: 1, convergenceNs: [10, 30] },
      {
        stopped: () => stopped,
        pause: async () => {
          if (chunks.length === 0) return;
          // The first pause of the sweep comes before the map; the map's first chunk ends at the second.
          stopped = true;
          throw new PointStopped();
        },
        progress: (text) => chunks.push(text),
      },
      null,
      workers,
    );
    expect(run.stopped).toBe(true);
    expect(run.maps).toEqual([]);
    expect(run.convergence.points).toEqual([]);
    expect(chunks).toEqual(['London: Biot-Savart field of 4000 charges at 2822 points']);
    const small = londonBody('cylinder', 130, 2.5);
    const points = fieldMapGrid(small, 9).points;
    const field = await parallelReducedField(small, points, workers, async (sum) =>
      sum(0, points.length / 3),
    );
    expectBitIdentical(field, reducedField(small, points));
  });
});

describe('--threads', () => {
  it('takes an integer >= 1 and refuses anything else, naming the flag', () => {
    expect(parseThreads('3', '--threads')).toBe(3);
    expect(parseThreads('1023', '--threads')).toBe(1023);
    for (const text of ['0', '-2', '1.5', 'all', '', '1024']) {
      expect(() => parseThreads(text, '--threads')).toThrow(/^--threads /);
    }
  });
});

/**
 * A kernel that marks its rows with the thread that ran it: -1 on the test's thread, 0 in a worker
 * (which has no threadMark), after a pause long enough for the workers to wake and claim.
 */
function markThread(marks: Float64Array, start: number, end: number): void {
  const mark = (globalThis as { threadMark?: number }).threadMark ?? 0;
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
  for (let k = start; k < end; k++) marks[k] = mark;
}

/** Throws in a worker (which has no threadMark) after a pause long enough for it to claim. */
function failInWorkers(marks: Float64Array, start: number, end: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
  if ((globalThis as { threadMark?: number }).threadMark === undefined) throw new Error('worker');
  marks.fill(-1, start, end);
}

describe('workers', () => {
  it('are refused, with the reason, where Atomics.waitAsync is missing (their idle wait)', () => {
    // Node has every piece, so nothing stands in the way here...
    expect(parallelUnavailable()).toBeNull();
    // ...and without waitAsync (Firefox) the pool's workers would die on starting.
    const atomics = Atomics as unknown as { waitAsync?: unknown };
    const descriptor = Object.getOwnPropertyDescriptor(Atomics, 'waitAsync')!;
    try {
      delete atomics.waitAsync;
      expect(parallelUnavailable()).toBe(
        "Atomics.waitAsync is unavailable (the pool's workers wait with it)",
      );
    } finally {
      Object.defineProperty(Atomics, 'waitAsync', descriptor);
    }
    expect(parallelUnavailable()).toBeNull();
  });

  it('take blocks of a job, and every block is run once', () => {
    (globalThis as { threadMark?: number }).threadMark = -1;
    const workers = new WorkerPool(kNodeWorkers, 3, [markThread]);
    pools.push(workers);
    const marks = workers.shared(60);
    const boundaries = evenBlocks(60, 30);
    let byWorkers = 0;
    // A worker starts in tens of milliseconds; the pool does not wait for it, so look at a few jobs.
    for (let job = 0; job < 50 && byWorkers === 0; job++) {
      marks.fill(1);
      workers.run(markThread, [marks], boundaries);
      expect(marks.every((mark) => mark === -1 || mark === 0)).toBe(true);
      byWorkers = marks.filter((mark) => mark === 0).length;
    }
    expect(byWorkers).toBeGreaterThan(0);
  });

  it('started (WorkerPool.start) take blocks of the first job, where they start only as the caller idles', async () => {
    (globalThis as { threadMark?: number }).threadMark = -1;
    // As a browser starts a worker's nested workers: only when the creator's event loop turns.
    const deferred = {
      prologue: kNodeWorkers.prologue,
      start(source: string) {
        const posted: unknown[] = [];
        let worker: PoolWorker | null = null;
        let ended = false;
        setTimeout(() => {
          if (ended) return;
          worker = kNodeWorkers.start(source);
          for (const message of posted) worker.postMessage(message);
        });
        return {
          postMessage: (message: unknown) => (worker ? worker.postMessage(message) : posted.push(message)),
          terminate: () => {
            ended = true;
            worker?.terminate();
          },
        };
      },
    };
    // 60 blocks of 5 ms: the caller alone takes 0.3 s, ample for running workers to wake and claim.
    const firstJob = (workers: WorkerPool) => {
      const marks = workers.shared(60);
      marks.fill(1);
      workers.run(markThread, [marks], evenBlocks(60, 60));
      expect(marks.every((mark) => mark === -1 || mark === 0)).toBe(true);
      return marks.filter((mark) => mark === 0).length;
    };
    const unstarted = new WorkerPool(deferred, 3, [markThread]);
    pools.push(unstarted);
    expect(firstJob(unstarted)).toBe(0);
    const started = new WorkerPool(deferred, 3, [markThread]);
    pools.push(started);
    await started.start();
    expect(firstJob(started)).toBeGreaterThan(0);
  });

  it('that never start are waited for no longer than the patience given, and leave every block to the caller', async () => {
    (globalThis as { threadMark?: number }).threadMark = -1;
    let started = 0;
    const idle = {
      prologue: '',
      start: () => (started++, { postMessage: () => undefined, terminate: () => undefined }),
    };
    const workers = new WorkerPool(idle, 3, [markThread]);
    pools.push(workers);
    await workers.start(50);
    expect(started).toBe(2);
    const marks = workers.shared(8);
    workers.run(markThread, [marks], evenBlocks(8, 8));
    expect(Array.from(marks)).toEqual(new Array(8).fill(-1));
  });

  it('fail a job whose kernel throws in one of them, and take the next job', () => {
    (globalThis as { threadMark?: number }).threadMark = -1;
    const workers = new WorkerPool(kNodeWorkers, 2, [markThread, failInWorkers]);
    pools.push(workers);
    const marks = workers.shared(40);
    const boundaries = evenBlocks(40, 40);
    let failed = false;
    for (let job = 0; job < 50 && !failed; job++) {
      try {
        workers.run(failInWorkers, [marks], boundaries);
      } catch (error) {
        expect((error as Error).message).toMatch(/failInWorkers failed in a worker thread/);
        failed = true;
      }
    }
    expect(failed).toBe(true);
    marks.fill(1);
    workers.run(markThread, [marks], boundaries);
    expect(marks.every((mark) => mark === -1 || mark === 0)).toBe(true);
  });

  it('exit when the pool is disposed', async () => {
    const started: Worker[] = [];
    const recording = {
      prologue: kNodeWorkers.prologue,
      start(source: string) {
        const worker = kNodeWorkers.start(source) as Worker;
        started.push(worker);
        return worker;
      },
    };
    const workers = new WorkerPool(recording, 4, kCpuKernels);
    const darwin = system('ball', 40, 'vector', 3);
    parallelMassMatrixEntries(darwin, workers);
    expect(started).toHaveLength(3);
    const exits = started.map((worker) => new Promise((resolve) => worker.once('exit', resolve)));
    workers.dispose();
    await Promise.all(exits);
  });

  it('that cannot start leave their blocks to the caller: a pool started after its working directory is deleted', async () => {
    // Node's bootstrap of every worker reads process.cwd(), which throws ENOENT once the directory is
    // gone: such a worker never claims a block, and the process must neither crash nor hang on it.
    const child = await runEntry(
      (source) => [
        "import { rmdirSync } from 'node:fs';",
        "import type { Worker } from 'node:worker_threads';",
        `import { geometry } from ${source('src/physics/geometry.ts')};`,
        `import { kCpuKernels } from ${source('src/parallel/mass-matrix.ts')};`,
        `import { kNodeWorkers } from ${source('src/parallel/node.ts')};`,
        `import { WorkerPool } from ${source('src/parallel/pool.ts')};`,
        `import { cpuBackend } from ${source('src/run/backend.ts')};`,
        'rmdirSync(process.cwd());',
        'const started: Worker[] = [];',
        'let online = 0;',
        'const recording = {',
        '  prologue: kNodeWorkers.prologue,',
        '  start(source: string) {',
        '    const worker = kNodeWorkers.start(source) as Worker;',
        '    started.push(worker);',
        "    worker.once('online', () => online++);",
        '    return worker;',
        '  },',
        '};',
        "const configuration = geometry('ball', 200);",
        "const darwin = { configuration, model: 'vector', dim: 3, epsilon: 1e-3, softening: 0 } as const;",
        "const backend = cpuBackend(darwin, 'float64', new WorkerPool(recording, 3, kCpuKernels));",
        "const result = await backend.velocities(new Float64Array(600).fill(1), 'cg');",
        // Each worker's end heard, its 'error' (if any) with it, before the process may exit: the
        // pool's workers are unref'd, so a timer holds the process open till then.
        'const open = setInterval(() => {}, 1000);',
        "await Promise.all(started.map((worker) => new Promise((done) => worker.on('exit', done))));",
        'clearInterval(open);',
        'console.log(result.reason, started.length, online);',
      ],
      true,
    );
    expect(child.stderr).toBe('');
    // Both workers started and neither came online: the caller did every block.
    expect(child.stdout.trim()).toBe('converged_rtol 2 0');
    expect(child.status).toBe(0);
  });

  it('let a process that never disposes its pool exit on its own', async () => {
    const child = await runEntry((source) => [
      `import { geometry } from ${source('src/physics/geometry.ts')};`,
      `import { kCpuKernels } from ${source('src/parallel/mass-matrix.ts')};`,
      `import { nodeWorkerPool } from ${source('src/parallel/node.ts')};`,
      `import { cpuBackend } from ${source('src/run/backend.ts')};`,
      "const configuration = geometry('ball', 200);",
      "const darwin = { configuration, model: 'vector', dim: 3, epsilon: 1e-3, softening: 0 } as const;",
      "const backend = cpuBackend(darwin, 'float64', nodeWorkerPool(3, kCpuKernels));",
      "const result = await backend.velocities(new Float64Array(600).fill(1), 'cg');",
      'console.log(result.reason);',
    ]);
    expect(child.stderr).toBe('');
    expect(child.stdout.trim()).toBe('converged_rtol');
    expect(child.status).toBe(0);
  });
});

describe('the CLI on every core', () => {
  const { cli, bundle } = useCliBundle('parallel');

  it("bench --device cpu: the GPU bench's rows, each a ratio to the same threads' copy", () => {
    // Not quiet: stderr carries the note that may stand for the cg_iteration row.
    const args = ['bench', '--device', 'cpu', '--threads', '3', '--n', '200', '--repeats', '2', '--json'];
    const run = runCli(bundle, args);
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.threads).toBe(3);
    expect(result.device.kind).toBe('cpu');
    const rows = result.kernels as {
      name: string;
      unknowns: number;
      gbps: number | null;
      ratio_to_copy: number | null;
    }[];
    const names = rows.map((row) => row.name);
    expect(names.slice(0, 6)).toEqual([
      'copy',
      'fill',
      'assemble_vector3d',
      'matvec_dense',
      'matvec_free',
      'matvec_tree',
    ]);
    // One CG iteration is the difference of two runs' wall times: on a loaded machine it can come out
    // below the clock's noise, and the row gives way to a note saying so.
    if (names.length === 6) {
      expect(run.stderr).toMatch(
        /^n = 200 \(3 threads\): no cg_iteration: one is below the wall clock's noise here; more --repeats may resolve it$/m,
      );
    } else {
      expect(names.slice(6)).toEqual(['cg_iteration']);
    }
    const copy = rows[0];
    expect(copy.ratio_to_copy).toBe(1);
    for (const row of rows) {
      expect(row.unknowns).toBe(600);
      if (row.gbps !== null) expect(row.ratio_to_copy).toBeCloseTo(row.gbps / copy.gbps!, 12);
    }
    const only = JSON.parse(
      cli(
        'bench',
        '--device',
        'cpu',
        '--threads',
        '2',
        '--n',
        '100',
        '--repeats',
        '1',
        '--only',
        'matvec_dense',
        '--json',
      ).stdout,
    );
    expect(only.kernels.map((row: { name: string }) => row.name)).toEqual(['matvec_dense']);
  });

  it('bench --device cpu --only matvec_tree: the float64 tree against the free product of the same x', () => {
    const run = cli(
      ...['bench', '--device', 'cpu', '--threads', '3', '--n', '4000', '--repeats', '2'],
      ...['--only', 'matvec_tree', '--json'],
    );
    expect(run.status, run.stderr).toBe(0);
    const rows = JSON.parse(run.stdout).kernels;
    expect(rows.map((row: { name: string }) => row.name)).toEqual(['matvec_tree']);
    const [tree] = rows;
    expect(tree.translations).toBeGreaterThan(0);
    expect(tree.interactions).toBe(tree.direct_pairs + tree.translations);
    // The default tolerance, 1e-5, against the direct sum in float64.
    expect(tree.relative_error).toBeGreaterThan(0);
    expect(tree.relative_error).toBeLessThanOrEqual(1e-5);
    expect(tree.speedup).toBeGreaterThan(0);
    // In float64 the direct product is symmetric to rounding; the tree's skew part is its error's
    // (random x and w see a product error d as about d / sqrt(unknowns)).
    expect(tree.free_asymmetry).toBeLessThan(1e-13);
    expect(tree.asymmetry).toBeGreaterThan(100 * tree.free_asymmetry);
    expect(tree.asymmetry).toBeLessThanOrEqual(tree.relative_error);
  });

  it('refuses --threads 0, and GPU-only or CPU-only bench flags, in one error line, exit 2', () => {
    for (const [args, message] of [
      [['bench', '--threads', '2'], 'error: --threads is for bench --device cpu'],
      [
        ['bench', '--device', 'cpu', '--workgroup-sizes', '64'],
        'error: --workgroup-sizes is for the GPU bench',
      ],
    ] as const) {
      const run = cli(...args);
      expect(run.status).toBe(2);
      expect(run.stderr.trim()).toBe(message);
    }
    for (const args of [
      ['bench', '--device', 'cpu', '--n', '10', '--threads', '0'],
      ['scaling', '--device', 'cpu', '--threads', '0'],
      ['response', '--device', 'cpu', '--geometry', 'ring', '--n', '8', '--threads', '0'],
      ['london', '--device', 'cpu', '--n', '40', '--threads', '0'],
      [
        'solve',
        '--geometry',
        'ball',
        '--n',
        '10',
        '--epsilon',
        '1e-3',
        '--velocity',
        'random',
        '--device',
        'cpu',
        '--threads',
        '0',
      ],
    ]) {
      const run = cli(...args);
      expect(run.status).toBe(2);
      expect(run.stderr.trim()).toBe('error: --threads must be an integer in 1..1023, got 0');
    }
  });

  it('solve --device cpu gives the same JSON on 1 and 3 threads, timings aside', () => {
    const solve = (threads: string) => {
      const run = cli(
        'solve',
        '--geometry',
        'ball',
        '--n',
        '250',
        '--epsilon',
        '1e-2',
        '--velocity',
        'random',
        '--device',
        'cpu',
        '--threads',
        threads,
        '--json',
      );
      expect(run.status, run.stderr).toBe(0);
      const result = JSON.parse(run.stdout);
      delete result.timing_ms;
      return result;
    };
    expect(solve('3')).toEqual(solve('1'));
  });

  it('london --device cpu gives the same JSON on 1 and 3 threads, timings aside', () => {
    const london = (threads: string) => {
      const run = cli(
        ...['london', '--geometry', 'cylinder', '--half-height', '2', '--n', '300,700', '--grid', '13'],
        ...['--device', 'cpu', '--threads', threads, '--json'],
      );
      expect(run.status, run.stderr).toBe(0);
      const result = JSON.parse(run.stdout);
      for (const study of result.studies) delete study.field_ms;
      return result;
    };
    const one = london('1');
    expect(one.studies.map((study: { n: number }) => study.n)).toEqual([300, 700]);
    expect(london('3')).toEqual(one);
  });

  it('solve --device cpu --matrix tree: the same solve on 1 and 3 threads, to rounding', () => {
    const solve = (threads: string) => {
      const run = cli(
        ...['solve', '--geometry', 'ball', '--n', '3000', '--epsilon', '1e-3', '--velocity', 'rigid'],
        ...['--device', 'cpu', '--matrix', 'tree', '--threads', threads, '--json'],
      );
      expect(run.status, run.stderr).toBe(0);
      return JSON.parse(run.stdout);
    };
    const [one, three] = [solve('1'), solve('3')];
    // Each says its threads, which its numbers depend on to rounding.
    expect([one.threads, three.threads]).toEqual([1, 3]);
    expect(three.matrix).toBe('tree');
    expect(three.tree.translations).toBeGreaterThan(0);
    expect(three.converged).toBe(true);
    expect(three.iterations).toBe(one.iterations);
    expect(three.true_relative_residual).toBeCloseTo(one.true_relative_residual, 14);
    expect(three.energies.total).toBeCloseTo(one.energies.total, 9);
  });
});

/**
 * Builds `lines` (a TypeScript module; `source` quotes a path of this repository for its imports) with
 * Vite and runs it in a Node process of its own, from a working directory of its own where
 * `ownDirectory` (the module may remove it), and returns what the process printed.
 */
async function runEntry(
  lines: (source: (path: string) => string) => string[],
  ownDirectory = false,
): Promise<SpawnSyncReturns<string>> {
  const folder = mkdtempSync(join(tmpdir(), 'darwin-breit-pool-'));
  try {
    writeFileSync(join(folder, 'entry.ts'), lines((path) => JSON.stringify(resolve(path))).join('\n'));
    await build({
      configFile: false,
      logLevel: 'silent',
      build: {
        ssr: join(folder, 'entry.ts'),
        outDir: join(folder, 'out'),
        rollupOptions: { output: { entryFileNames: 'entry.mjs' } },
      },
    });
    const cwd = ownDirectory ? join(folder, 'cwd') : undefined;
    if (cwd) mkdirSync(cwd);
    return spawnSync(process.execPath, [join(folder, 'out', 'entry.mjs')], {
      cwd,
      encoding: 'utf8',
      timeout: 60_000,
    });
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
