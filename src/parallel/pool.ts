// A pool of worker threads for the float64 CPU path, with the caller's code kept synchronous (the
// LinearOperator.apply of src/solvers/types.ts): the caller publishes a job over SharedArrayBuffers,
// wakes the workers (Atomics.notify), claims blocks of rows like any worker, and then waits
// (Atomics.wait) for the blocks the others claimed. Only starting a worker differs between Node
// (worker_threads, src/parallel/node.ts) and the browser (Worker, src/parallel/browser.ts).
//
// Blocks are claimed, not assigned: a worker that has not started yet, or that the OS has
// descheduled, claims nothing and the others do its share, so a job never waits for a thread that
// is not running (a browser may not start a nested worker while its creator is blocked), and a
// busy machine balances itself. A block's rows are computed by the same kernel in the same order
// whichever thread claims it, so a product is bit-identical for any number of threads.
//
// A kernel is a plain function declaration `kernel(...args, start, end)` over the rows
// [start, end) that uses nothing but its arguments, Math and the other kernels of its pool: the
// workers run its source text (Function.prototype.toString), so it must not reference an import, a
// module constant or a closure. The same holds for the protocol's functions below that workers run.
import type { MemoryArray } from './simd.ts';

/**
 * A kernel over the rows [start, end); its other arguments are numbers and pool-shared arrays:
 * Float64Arrays, and Uint32Arrays for indices (a double read as an index costs V8 a conversion).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Kernel = (...args: any[]) => void;

export type KernelArgument = number | SharedArray;

/** What a pool shares with its workers. */
export type SharedArray = Float64Array | Uint32Array;

/** One worker as its adapter started it. */
export interface PoolWorker {
  postMessage(message: unknown): void;
  terminate(): void;
}

/** How a platform starts a worker from the pool's source text. */
export interface WorkerAdapter {
  /**
   * Script that defines `listen(handler)` in the worker: `handler` receives the data of each
   * message the pool posts.
   */
  readonly prologue: string;
  start(source: string): PoolWorker;
}

// Control words, an Int32Array over a SharedArrayBuffer (the protocol's functions below spell the
// indices as literals, since workers run their source text):
//   0 claim  (job sequence << 24) | (blocks << 12) | next block to claim, one CAS per claim
//   1 done   blocks finished in the current job
//   2 wake   bumped with every job: the word idle workers wait on
//   3 failed set when a kernel threw in a worker
//   4 running workers that have begun their main loop (WorkerPool.start waits on it)
const kControlWords = 5;
const kClaim = 0;
const kDone = 1;
const kWake = 2;
const kFailed = 3;
const kRunning = 4;

/** Blocks in one job at most (12 bits of the claim word; the sequence takes 7 more). */
export const kMaxBlocks = 4095;
/**
 * Job description, a Float64Array: [0] kernel index, [1] argument count, then (tag, value) per
 * argument from [2] (tag 0 a number, 1 the id of a shared array), then the block boundaries from
 * [2 + 2 * 16].
 */
const kMaxArguments = 16;
const kBoundaries = 2 + 2 * kMaxArguments;
const kJobLength = kBoundaries + kMaxBlocks + 1;

/** The next unclaimed block of the published job, claimed for this thread, or -1 if none is left. */
function claimBlock(control: Int32Array): number {
  for (;;) {
    const claim = Atomics.load(control, 0);
    const next = claim & 0xfff;
    if (next >= ((claim >>> 12) & 0xfff)) return -1;
    if (Atomics.compareExchange(control, 0, claim, claim + 1) === claim) return next;
  }
}

/**
 * The job's arguments, the shared arrays looked up by `arrayOf`, or null when one of them is not
 * at hand yet (its message to this worker is still on its way). Read after a claim: the job cannot
 * change before the claimed block is counted done.
 */
function jobArguments(
  job: Float64Array,
  arrayOf: (id: number) => Float64Array | Uint32Array | undefined,
): (number | Float64Array | Uint32Array)[] | null {
  const args: (number | Float64Array | Uint32Array)[] = [];
  for (let k = 0; k < job[1]; k++) {
    const value = job[2 + 2 * k];
    if (job[3 + 2 * k] === 0) args.push(value);
    else {
      const array = arrayOf(value);
      if (array === undefined) return null;
      args.push(array);
    }
  }
  return args;
}

function runBlock(
  control: Int32Array,
  job: Float64Array,
  kernels: readonly Kernel[],
  args: (number | Float64Array | Uint32Array)[],
  block: number,
): void {
  try {
    kernels[job[0]](...args, job[34 + block], job[35 + block]);
  } catch (error) {
    // Counted done all the same, so that no thread waits for the block; the caller then throws.
    Atomics.store(control, 3, 1);
    throw error;
  } finally {
    Atomics.add(control, 1, 1);
    Atomics.notify(control, 1);
  }
}

/**
 * What the pool posts: the control words and the job once, then each shared array (its buffer, or
 * the WebAssembly memory it lies in, and where) and each release.
 */
interface PoolMessage {
  control?: SharedArrayBuffer;
  job?: SharedArrayBuffer;
  id?: number;
  buffer?: SharedArrayBuffer;
  memory?: WebAssembly.Memory;
  byteOffset?: number;
  length?: number;
  /** The array is a Uint32Array (else a Float64Array). */
  indices?: boolean;
  release?: number;
}

/**
 * A worker's main loop, run from its source text: waits asynchronously (so that messages still
 * arrive) for a job, claims its blocks, and when a block needs an array whose message has not
 * arrived, waits for that message and runs the block then.
 */
async function workerMain(
  listen: (handler: (message: PoolMessage) => void) => void,
  kernels: readonly Kernel[],
): Promise<void> {
  const arrays = new Map<number, Float64Array | Uint32Array>();
  let arrived: () => void = () => {};
  let control: Int32Array = new Int32Array(0);
  let job: Float64Array = new Float64Array(0);
  listen((message) => {
    if (message.control && message.job) {
      control = new Int32Array(message.control);
      job = new Float64Array(message.job);
    } else if (message.id !== undefined) {
      const buffer = (message.memory ? message.memory.buffer : message.buffer) as SharedArrayBuffer;
      if (message.indices)
        arrays.set(message.id, new Uint32Array(buffer, message.byteOffset, message.length));
      else {
        const array = new Float64Array(buffer, message.byteOffset, message.length);
        if (message.memory) (array as MemoryArray).wasmMemory = message.memory;
        arrays.set(message.id, array);
      }
    } else if (message.release !== undefined) arrays.delete(message.release);
    arrived();
  });
  const nextMessage = () => new Promise<void>((resolve) => (arrived = resolve));
  while (control.length === 0) await nextMessage();
  Atomics.add(control, 4, 1);
  const waitAsync = (Atomics as unknown as AtomicsWaitAsync).waitAsync;
  for (;;) {
    const wake = Atomics.load(control, 2);
    const block = claimBlock(control);
    if (block < 0) {
      const waiting = waitAsync(control, 2, wake);
      if (waiting.async) await waiting.value;
      continue;
    }
    let args = jobArguments(job, (id) => arrays.get(id));
    while (args === null) {
      await nextMessage();
      args = jobArguments(job, (id) => arrays.get(id));
    }
    try {
      runBlock(control, job, kernels, args, block);
    } catch (error) {
      // The caller throws for the job; this worker stays for the next one.
      console.error(error);
    }
  }
}

/** Atomics.waitAsync (ES2024; Node 16, Chrome 87): the lib here is ES2022. */
interface AtomicsWaitAsync {
  waitAsync(
    array: Int32Array,
    index: number,
    value: number,
  ): { async: false; value: string } | { async: true; value: Promise<string> };
}

/** The worker's script: the adapter's prologue, the protocol, the kernels, and the main loop. */
function workerSource(prologue: string, kernels: readonly Kernel[]): string {
  const functions = [claimBlock, jobArguments, runBlock, workerMain, ...kernels];
  return [
    prologue,
    ...functions.map((f) => String(f)),
    `${workerMain.name}(listen, [${kernels.map((kernel) => kernel.name).join(', ')}]);`,
  ].join('\n');
}

/** A shared array as posted to a worker: the memory it lies in, and where. */
function arrayMessage(id: number, array: MemoryArray | Uint32Array): PoolMessage {
  const where = { id, byteOffset: array.byteOffset, length: array.length };
  if (array instanceof Uint32Array)
    return { ...where, indices: true, buffer: array.buffer as SharedArrayBuffer };
  return array.wasmMemory
    ? { ...where, memory: array.wasmMemory }
    : { ...where, buffer: array.buffer as SharedArrayBuffer };
}

/** A shared WebAssembly.Memory of at least `bytes`, in 64 KiB pages. */
function sharedMemory(bytes: number): WebAssembly.Memory {
  const pages = Math.max(1, Math.ceil(bytes / 65536));
  return new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
}

/**
 * A shared WebAssembly.Memory of `bytes`, or null where the engine refuses one that large (its
 * limit is 4 GiB, 65536 pages; a 32-bit address space has less): the array then lies in a plain
 * SharedArrayBuffer and the dense product takes the JavaScript loop.
 */
function wasmMemoryOrNull(bytes: number): WebAssembly.Memory | null {
  try {
    return sharedMemory(bytes);
  } catch (error) {
    if (error instanceof RangeError) return null;
    throw error;
  }
}

/** Whether shared WebAssembly memories can be made here (they need cross-origin isolation too). */
const kSharedWasmMemory = (() => {
  try {
    return sharedMemory(1).buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
})();

/**
 * Whether this thread may block in Atomics.wait and share memory with workers: SharedArrayBuffer
 * exists only where the page is cross-origin isolated, a browser's main thread may not wait, and the
 * workers idle in Atomics.waitAsync, which some browsers lack (Firefox): there they would die on
 * starting and leave every block to the caller. Null when it can, else why not (the run's report
 * says so when it falls back to one thread).
 */
export function parallelUnavailable(): string | null {
  if (typeof SharedArrayBuffer === 'undefined')
    return 'SharedArrayBuffer is unavailable (the page is not cross-origin isolated)';
  if (typeof (Atomics as Partial<AtomicsWaitAsync>).waitAsync !== 'function')
    return "Atomics.waitAsync is unavailable (the pool's workers wait with it)";
  const waits = new Int32Array(new SharedArrayBuffer(4));
  try {
    Atomics.wait(waits, 0, 1, 0);
  } catch {
    return "this thread may not wait (a browser's main thread)";
  }
  return null;
}

/** Rows [0, rows) in `blocks` contiguous blocks of nearly equal length, as boundaries. */
export function evenBlocks(rows: number, blocks: number): number[] {
  const count = Math.max(1, Math.min(rows, blocks));
  return Array.from({ length: count + 1 }, (_, k) => Math.round((k * rows) / count));
}

/**
 * Rows [0, n) in blocks of nearly equal work when row i does n - 1 - i units (the pairs j > i of
 * a symmetric assembly): the work before row e is e (n - e/2), a fraction 1 - (1 - e/n)^2 of all.
 */
export function triangleBlocks(n: number, blocks: number): number[] {
  const count = Math.max(1, Math.min(n, blocks));
  const boundaries = Array.from({ length: count + 1 }, (_, k) =>
    Math.round(n * (1 - Math.sqrt(1 - k / count))),
  );
  return boundaries.filter((boundary, k) => k === 0 || boundary > boundaries[k - 1]);
}

/**
 * Blocks per thread in a job: more blocks than threads, so that a thread slowed by the machine's
 * other work leaves its last blocks to the others.
 */
const kBlocksPerThread = 4;

/** Threads a pool takes at most: kBlocksPerThread blocks each within a job's kMaxBlocks. */
export const kMaxThreads = Math.floor(kMaxBlocks / kBlocksPerThread);

/** The pool's blocks of `rows` rows of equal cost. */
export function rowBlocks(pool: Pick<WorkerPool, 'threads'>, rows: number): number[] {
  return evenBlocks(rows, kBlocksPerThread * pool.threads);
}

/** The pool's blocks of the electrons [0, n) of a pair loop over j > i. */
export function pairBlocks(pool: Pick<WorkerPool, 'threads'>, n: number): number[] {
  return pairBlockRuns(pool, n, 1)[0];
}

/**
 * pairBlocks split into `runs` consecutive jobs of nearly equal work, each job's boundaries: a long
 * pair loop run job by job reports progress, and can stop, between them.
 */
export function pairBlockRuns(pool: Pick<WorkerPool, 'threads'>, n: number, runs: number): number[][] {
  const perRun = kBlocksPerThread * pool.threads;
  const boundaries = triangleBlocks(n, runs * perRun);
  const jobs: number[][] = [];
  for (let start = 0; start < boundaries.length - 1; start += perRun)
    jobs.push(boundaries.slice(start, start + perRun + 1));
  return jobs;
}

/**
 * How long WorkerPool.start waits at most for its workers to run: far longer than a browser takes to
 * start a worker's nested workers, so that only one that never starts (refused by the page's
 * policy) costs a pool this, once.
 */
const kStartPatienceMs = 1000;

/** How often WorkerPool.start looks whether its workers run, letting the thread's event loop turn. */
const kStartPollMs = 5;

/**
 * Threads sharing the CPU path's kernels: the caller and `threads - 1` workers, started by start()
 * or on the first job that asks for them, and terminated by dispose(). Arrays the kernels share are
 * allocated by shared() and passed to run() as arguments.
 */
export class WorkerPool {
  /** Threads that run a job: the caller and the workers. */
  readonly threads: number;
  readonly #adapter: WorkerAdapter;
  readonly #kernels: readonly Kernel[];
  readonly #control = new Int32Array(new SharedArrayBuffer(4 * kControlWords));
  readonly #job = new Float64Array(new SharedArrayBuffer(8 * kJobLength));
  readonly #ids = new WeakMap<SharedArray, number>();
  /** Shared arrays by id, posted to each worker when it starts. */
  readonly #arrays = new Map<number, MemoryArray | Uint32Array>();
  #workers: PoolWorker[] | null = null;
  #nextId = 1;
  #sequence = 0;
  #disposed = false;

  constructor(adapter: WorkerAdapter, threads: number, kernels: readonly Kernel[]) {
    if (!Number.isInteger(threads) || threads < 1 || threads > kMaxThreads)
      throw new RangeError(`threads must be an integer in 1..${kMaxThreads}, got ${threads}`);
    this.#adapter = adapter;
    this.threads = threads;
    this.#kernels = kernels;
  }

  /**
   * A zeroed Float64Array in shared memory, which run() may pass to the workers, followed by room
   * for `trailing` more float64 that view() can share. `wasm`: in a shared WebAssembly.Memory where
   * the engine has one (MemoryArray.wasmMemory, for src/parallel/simd.ts); only where a WebAssembly
   * kernel reads it, since V8's JavaScript loops run markedly slower over such a buffer than over
   * an ordinary one.
   */
  shared(
    length: number,
    { trailing = 0, wasm = false }: { trailing?: number; wasm?: boolean } = {},
  ): MemoryArray {
    const bytes = 8 * (length + trailing);
    const memory = wasm && kSharedWasmMemory ? wasmMemoryOrNull(bytes) : null;
    const array: MemoryArray = new Float64Array(memory?.buffer ?? new SharedArrayBuffer(bytes), 0, length);
    if (memory) array.wasmMemory = memory;
    return this.#register(array);
  }

  /** A zeroed Uint32Array in shared memory, which run() may pass to the workers: indices. */
  sharedIndices(length: number): Uint32Array {
    return this.#register(new Uint32Array(new SharedArrayBuffer(4 * length), 0, length));
  }

  /** `length` float64 from `offset` past the start of `array` (in its trailing room), shared. */
  view(array: MemoryArray, offset: number, length: number): MemoryArray {
    const view: MemoryArray = new Float64Array(array.buffer, array.byteOffset + 8 * offset, length);
    if (array.wasmMemory) view.wasmMemory = array.wasmMemory;
    return this.#register(view);
  }

  /** Lets the workers drop shared arrays no later job uses. */
  release(...arrays: SharedArray[]): void {
    for (const array of arrays) {
      const id = this.#ids.get(array);
      if (id === undefined) continue;
      this.#arrays.delete(id);
      for (const worker of this.#workers ?? []) worker.postMessage({ release: id });
    }
  }

  /**
   * Runs `kernel(...args, start, end)` over each block [boundaries[k], boundaries[k + 1]) on the
   * caller and the workers, and returns when every block is done.
   */
  run(kernel: Kernel, args: readonly KernelArgument[], boundaries: readonly number[]): void {
    if (this.#disposed) throw new Error('WorkerPool used after dispose()');
    const index = this.#kernels.indexOf(kernel);
    if (index < 0) throw new Error(`kernel ${kernel.name} is not one of this pool's`);
    const blocks = boundaries.length - 1;
    if (blocks < 1 || blocks > kMaxBlocks) throw new RangeError(`${blocks} blocks, 1..${kMaxBlocks} allowed`);
    if (args.length > kMaxArguments) throw new RangeError(`at most ${kMaxArguments} kernel arguments`);
    if (this.threads === 1) {
      for (let k = 0; k < blocks; k++) kernel(...args, boundaries[k], boundaries[k + 1]);
      return;
    }
    this.#startWorkers();
    const job = this.#job;
    job[0] = index;
    job[1] = args.length;
    args.forEach((arg, k) => {
      if (typeof arg === 'number') {
        job[2 + 2 * k] = arg;
        job[3 + 2 * k] = 0;
      } else {
        const id = this.#ids.get(arg);
        if (id === undefined) throw new Error('a kernel array must come from WorkerPool.shared()');
        // The workers have dropped it: they would wait for it for ever.
        if (!this.#arrays.has(id)) throw new Error('a kernel array used after WorkerPool.release()');
        job[2 + 2 * k] = id;
        job[3 + 2 * k] = 1;
      }
    });
    for (let k = 0; k <= blocks; k++) job[kBoundaries + k] = boundaries[k];
    const control = this.#control;
    Atomics.store(control, kDone, 0);
    Atomics.store(control, kFailed, 0);
    this.#sequence = (this.#sequence + 1) & 0x7f;
    Atomics.store(control, kClaim, (this.#sequence << 24) | (blocks << 12));
    Atomics.add(control, kWake, 1);
    Atomics.notify(control, kWake);
    const callerArgs = args as (number | SharedArray)[];
    try {
      for (let block = claimBlock(control); block >= 0; block = claimBlock(control))
        runBlock(control, job, this.#kernels, callerArgs, block);
    } finally {
      // Even when a block threw here: the next job may not begin while workers run this one's.
      while (claimBlock(control) >= 0) Atomics.add(control, kDone, 1);
      for (let done = Atomics.load(control, kDone); done < blocks; done = Atomics.load(control, kDone))
        Atomics.wait(control, kDone, done);
    }
    if (Atomics.exchange(control, kFailed, 0) !== 0)
      throw new Error(`kernel ${kernel.name} failed in a worker thread (its console has the error)`);
  }

  /**
   * Starts the workers and resolves once each runs, or after `patienceMs`: a browser starts a
   * worker's nested workers only while that worker's event loop turns (Chromium starts none while
   * their creator computes or waits in Atomics.wait), so a pool made in a Web Worker whose first
   * job came at once, run() being synchronous, would run all of it, and every job until the
   * thread next went idle, on the caller alone: the whole of a dense M's assembly. Node's workers
   * start on their own; a worker still not running later claims its blocks once it does.
   */
  async start(patienceMs: number = kStartPatienceMs): Promise<void> {
    if (this.threads === 1 || this.#disposed) return;
    this.#startWorkers();
    const deadline = performance.now() + patienceMs;
    while (Atomics.load(this.#control, kRunning) < this.threads - 1 && performance.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, kStartPollMs));
  }

  /** Terminates the workers; the pool refuses later jobs. */
  dispose(): void {
    this.#disposed = true;
    for (const worker of this.#workers ?? []) worker.terminate();
    this.#workers = null;
    this.#arrays.clear();
  }

  #register<A extends MemoryArray | Uint32Array>(array: A): A {
    const id = this.#nextId++;
    this.#ids.set(array, id);
    this.#arrays.set(id, array);
    for (const worker of this.#workers ?? []) worker.postMessage(arrayMessage(id, array));
    return array;
  }

  #startWorkers(): void {
    if (this.#workers) return;
    const source = workerSource(this.#adapter.prologue, this.#kernels);
    this.#workers = Array.from({ length: this.threads - 1 }, () => {
      const worker = this.#adapter.start(source);
      worker.postMessage({ control: this.#control.buffer, job: this.#job.buffer });
      for (const [id, array] of this.#arrays) worker.postMessage(arrayMessage(id, array));
      return worker;
    });
  }
}
