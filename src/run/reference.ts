// The float64 reference of a run's check (check.ts) in a worker of its own, for the app (a Web
// Worker, src/app/reference.worker.ts) and the CLI (a worker thread, src/cli/reference.ts) alike: the
// run's thread stays free beside it, and a stop ends the worker wherever it is, since a dense
// assembly, solve or Lanczos run cannot be interrupted otherwise. Another worker of this kind, on
// a FloatReference of its own, forms a refined run's float64 products for the page
// (FloatReference.products), whose main thread must not spend seconds in an O(N^2) pair loop. While
// a request waits, the worker posts how far its long steps are (ReferenceProgress): the dense M's
// assembly, the reference solve's or Lanczos run's iterations, the sampled check's chunks. The
// app's London map asks it for the float64 field too (FloatReference.reducedField), which the page's
// main thread cannot sum on a pool of its own (it may not block) nor in seconds on its thread. This
// module holds what both platforms share: the messages, the asking side (FloatReference) and the
// answering side (referenceAnswerer); only starting the worker differs.
import type { WorkerPool } from '../parallel/pool.ts';
import type { LondonBody } from '../physics/london.ts';
import { massDiagonal, momentaFrom, type DarwinSystem, type ProductPart } from '../physics/models.ts';
import type { TreeBuild } from '../physics/tree-build.ts';
import type { SpectrumResult } from '../solvers/spectrum.ts';
import type { SolveResult, SolverName } from '../solvers/types.ts';
import { cpuBackend, type MassMatrixBackend } from './backend.ts';
import {
  CheckStopped,
  kReferenceRtol,
  pacedCheckSample,
  pacedSampledMassRows,
  type CheckSample,
  type Reference,
  type SampledReference,
} from './check.ts';
import type { PacingHooks } from './chunks.ts';
import { pacedReducedField } from './london.ts';
import { float64Product, type Float64Products } from './refine.ts';
import { relativeIterations } from './solve.ts';

interface RequestBase {
  id: number;
  /** Identifies the configuration, so the worker assembles M once per build (at any eps: setEpsilon). */
  key: string;
  system: DarwinSystem;
}

export type ReferenceRequest =
  /** eps T v of the dense float64 M (MassMatrixBackend.interaction). */
  | (RequestBase & { kind: 'interaction'; velocities: Float64Array })
  /** y = M v or eps T v (`part`) by float64Product: the pair loop, or the float64 tree `tree` builds. */
  | (RequestBase & { kind: 'product'; tree: TreeBuild | null; part: ProductPart; v: Float64Array })
  /** The sampled check's electrons and weights (pacedCheckSample: a k-d tree, seconds at 10^6). */
  | (RequestBase & { kind: 'sample' })
  /** The sampled check's float64 rows of M x, or of eps T x (`part`), at `electrons` (pacedSampledMassRows). */
  | (RequestBase & { kind: 'rows'; electrons: Uint32Array; x: Float64Array; part: ProductPart })
  | (RequestBase & {
      kind: 'solve';
      momenta: Float64Array;
      solver: SolverName;
      rtol: number;
      maxIterations: number | undefined;
    })
  | (RequestBase & {
      kind: 'spectrum';
      tol: number | undefined;
      maxIterations: number | undefined;
      seed: number | undefined;
      basisSize: number | undefined;
    })
  /** London's reduced field of `body` at `points` (xyz triples): pacedReducedField, nothing kept. */
  | { id: number; kind: 'london'; body: LondonBody; points: Float64Array };

export type ReferenceResponse =
  | { id: number; ok: true; kind: 'interaction'; interaction: Float64Array }
  /** `threads`: the worker's pool's (1: its own thread alone), on which a tree's product rounds. */
  | { id: number; ok: true; kind: 'product'; product: Float64Array; threads: number }
  | { id: number; ok: true; kind: 'sample'; sample: CheckSample }
  | { id: number; ok: true; kind: 'rows'; rows: Float64Array }
  | { id: number; ok: true; kind: 'solve'; result: SolveResult }
  | { id: number; ok: true; kind: 'spectrum'; result: SpectrumResult }
  | { id: number; ok: true; kind: 'london'; field: Float64Array }
  | { id: number; ok: false; message: string };

/**
 * How far the worker is with a pending request's long step, as the CLI's --device cpu shows its own:
 * each chunk of a dense M's assembly (cpuBackend's AssemblyHook); the reference solve's iterations
 * with ||r|| / ||p|| and the Lanczos run's products with its extreme Ritz values (as
 * LanczosOptions.onIteration hears them), on the dense M a thousand products on a ring; the chunks of
 * a paced float64 sum in its own words ('sampled', named for the sum it first reported:
 * pacedCheckSample's leaves, pacedSampledMassRows' electrons, pacedReducedField's London points).
 * All but the assembly's chunks come at most every kReferenceProgressMs.
 */
export type ReferenceProgress =
  | { readonly step: 'assembly'; readonly done: number; readonly total: number }
  | { readonly step: 'solve'; readonly iteration: number; readonly relativeResidual: number }
  | {
      readonly step: 'lanczos';
      readonly iteration: number;
      readonly lambdaMin: number;
      readonly lambdaMax: number;
    }
  | { readonly step: 'sampled'; readonly text: string }
  /**
   * Said by FloatReference itself, not the worker, when a request's answer arrives: the throttled
   * reports before it may have left the last of its steps unsaid, so what shows a step gives the
   * line back.
   */
  | { readonly step: 'answered' };

/**
 * The least time between two of a request's iteration or sampled-check reports (ReferenceProgress):
 * a few a second, what a progress line can show, where the dense Lanczos run makes hundreds of
 * products a second and the sampled rows a chunk every few tens of milliseconds.
 */
export const kReferenceProgressMs = 250;

/** What a reference worker posts: a request's response, or the progress of one still pending. */
export type ReferenceMessage = ReferenceResponse | ReferenceProgress;

/** A started reference worker, as the asking side sees it. */
export interface ReferencePort {
  postMessage(request: ReferenceRequest): void;
  terminate(): void;
}

/** What the asking side hears from its worker. */
export interface ReferenceListeners {
  message(message: ReferenceMessage): void;
  /**
   * The worker failed (it could not start, or it ended unasked): every pending request fails with
   * `error`.
   */
  error(error: Error): void;
}

/** How a platform starts the reference worker. */
export type StartReference = (listeners: ReferenceListeners) => ReferencePort;

/**
 * How often a pending request asks `stopRequested` whether the run was stopped: a stop then ends
 * the worker well within a second, whatever it is computing.
 */
export const kStopPollMs = 100;

type Pending = { resolve: (response: ReferenceResponse) => void; reject: (error: Error) => void };

type Payload<K extends ReferenceRequest['kind']> = Omit<
  Extract<ReferenceRequest, { kind: K }>,
  'id' | 'kind'
>;

/** Hears the worker's progress on a pending request. */
export type ReferenceProgressHook = (progress: ReferenceProgress) => void;

/**
 * The asking side: a Reference per system (of), answered by one worker started on the first
 * request. `stopRequested`, called every kStopPollMs while a request is pending, throws once the run
 * was stopped (the CLI's Progress.checkpoint): the worker is then ended and the pending requests
 * fail with what it threw. `onProgress` hears the worker's progress on a pending request, and may
 * throw to stop it the same way (the CLI's Progress lines check for a signal).
 */
export class FloatReference {
  #port: ReferencePort | null = null;
  #pending = new Map<number, Pending>();
  #next = 0;
  #productsMade = 0;
  #productThreads: number | null = null;
  #poll: ReturnType<typeof setInterval> | null = null;
  readonly #start: StartReference;
  readonly #stopRequested: (() => void) | undefined;
  readonly #onProgress: ReferenceProgressHook | undefined;

  constructor(start: StartReference, stopRequested?: () => void, onProgress?: ReferenceProgressHook) {
    this.#start = start;
    this.#stopRequested = stopRequested;
    this.#onProgress = onProgress;
  }

  /** The reference of one system, as a run asks it; `key` identifies the system to the worker. */
  of(key: string, system: DarwinSystem): Reference {
    return {
      interaction: (velocities) => this.#interaction({ key, system, velocities }),
      velocities: (momenta, solver, options) =>
        this.#solve({
          key,
          system,
          momenta,
          solver,
          rtol: options?.rtol ?? kReferenceRtol,
          maxIterations: options?.maxIterations,
        }),
      spectrum: (options) =>
        this.#spectrum({
          key,
          system,
          tol: options?.tol,
          maxIterations: options?.maxIterations,
          seed: options?.seed,
          basisSize: options?.basisSize,
        }),
    };
  }

  /**
   * The dense float64 backend of `system` answered by the worker, as a sweep takes its reference
   * (the CLI's cpuReference on its threads): setEpsilon moves it along the sweep, the worker keeping
   * T under `key`; its solves start from zero (the worker is sent no start vector) and report no
   * iterations on the way; dispose leaves M to the worker, which drops it at the next key or its end.
   */
  backend(key: string, system: DarwinSystem): MassMatrixBackend {
    let current = system;
    const reference = () => this.of(key, current);
    return {
      name: 'cpu',
      get system() {
        return current;
      },
      momenta: async (v) => momentaFrom(massDiagonal(current), v, await reference().interaction(v)),
      interaction: (v) => reference().interaction(v),
      velocities: (momenta, solver, options) => reference().velocities(momenta, solver, options),
      spectrum: (options) => reference().spectrum(options),
      setEpsilon: (epsilon) => {
        current = { ...current, epsilon };
      },
      dispose: () => {},
    };
  }

  /**
   * The sampled check's reference of one system (past kCheckMaxUnknowns): its sample, formed once by
   * the worker, and its rows at the electrons asked.
   */
  sampled(key: string, system: DarwinSystem): SampledReference {
    let sample: Promise<CheckSample> | null = null;
    return {
      kind: 'sampled',
      sample: () => (sample ??= this.#sample({ key, system })),
      rows: (x, at, epsilon = system.epsilon, part = 'momenta') =>
        this.#rows({ key, system: { ...system, epsilon }, electrons: at, x, part }),
    };
  }

  /**
   * Float64 products formed by the worker (refine.ts's Float64Products): each product made is a
   * key of its own, under which the worker builds its pair loop or tree once for all its requests.
   */
  products(): Float64Products {
    return (system, tree, part = 'momenta') => {
      const key = `product ${this.#productsMade++}`;
      // Its build alone: a GPU tree's details hold more than a worker's message should carry.
      const build: TreeBuild | null = tree
        ? { tolerance: tree.tolerance, leafSize: tree.leafSize, translationCost: tree.translationCost }
        : null;
      return (v) => this.#product({ key, system, tree: build, part, v });
    };
  }

  /**
   * London's float64 reduced field of `body` at `points` (xyz triples), summed by the worker on its
   * pool's threads (the app's London map: a FieldEvaluator).
   */
  async reducedField(body: LondonBody, points: Float64Array): Promise<Float64Array> {
    const response = await this.#ask({ id: this.#next++, kind: 'london', body, points });
    if (response.ok && response.kind === 'london') return response.field;
    throw new Error('unexpected reference response');
  }

  /**
   * The threads the worker's products ran on (its pool's, 1 without one), null before the first:
   * a float64 tree's product is the same on another count only to rounding (RunContext.threads).
   */
  get productThreads(): number | null {
    return this.#productThreads;
  }

  async #product(request: Payload<'product'>): Promise<Float64Array> {
    const response = await this.#ask({ ...request, kind: 'product', id: this.#next++ });
    if (response.ok && response.kind === 'product') {
      this.#productThreads = response.threads;
      return response.product;
    }
    throw new Error('unexpected reference response');
  }

  async #sample(request: Payload<'sample'>): Promise<CheckSample> {
    const response = await this.#ask({ ...request, kind: 'sample', id: this.#next++ });
    if (response.ok && response.kind === 'sample') return response.sample;
    throw new Error('unexpected reference response');
  }

  async #rows(request: Payload<'rows'>): Promise<Float64Array> {
    const response = await this.#ask({ ...request, kind: 'rows', id: this.#next++ });
    if (response.ok && response.kind === 'rows') return response.rows;
    throw new Error('unexpected reference response');
  }

  async #interaction(request: Payload<'interaction'>): Promise<Float64Array> {
    const response = await this.#ask({ ...request, kind: 'interaction', id: this.#next++ });
    if (response.ok && response.kind === 'interaction') return response.interaction;
    throw new Error('unexpected reference response');
  }

  async #solve(request: Payload<'solve'>): Promise<SolveResult> {
    const response = await this.#ask({ ...request, kind: 'solve', id: this.#next++ });
    if (response.ok && response.kind === 'solve') return response.result;
    throw new Error('unexpected reference response');
  }

  async #spectrum(request: Payload<'spectrum'>): Promise<SpectrumResult> {
    const response = await this.#ask({ ...request, kind: 'spectrum', id: this.#next++ });
    if (response.ok && response.kind === 'spectrum') return response.result;
    throw new Error('unexpected reference response');
  }

  /**
   * Abandons the running check: the worker is ended, and every pending request fails with
   * `reason` (CheckStopped: the run reports the check as stopped).
   */
  cancel(reason: Error = new CheckStopped('check stopped')): void {
    this.#port?.terminate();
    this.#port = null;
    this.#fail(reason);
  }

  #fail(error: Error): void {
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
    this.#watch();
  }

  /** Polls stopRequested while a request is pending, and only then (an idle poll would hold the loop). */
  #watch(): void {
    const stopRequested = this.#stopRequested;
    if (this.#pending.size > 0 && stopRequested && !this.#poll) {
      this.#poll = setInterval(() => {
        try {
          stopRequested();
        } catch (error) {
          this.cancel(error as Error);
        }
      }, kStopPollMs);
    } else if (this.#pending.size === 0 && this.#poll) {
      clearInterval(this.#poll);
      this.#poll = null;
    }
  }

  #startPort(): ReferencePort {
    const port: ReferencePort = this.#start({
      message: (message) => {
        if ('step' in message) {
          // A worker thread ended by cancel() may still deliver what it posted before.
          if (this.#port !== port) return;
          try {
            this.#onProgress?.(message);
          } catch (error) {
            this.cancel(error as Error);
          }
          return;
        }
        const pending = this.#pending.get(message.id);
        this.#pending.delete(message.id);
        this.#watch();
        pending?.resolve(message);
        // An answer from a worker that cancel() ended is no news of the current one's steps.
        if (!pending || this.#port !== port) return;
        try {
          this.#onProgress?.({ step: 'answered' });
        } catch (error) {
          this.cancel(error as Error);
        }
      },
      // A worker ended by cancel() may report its end later, when another may have started.
      error: (error) => {
        if (this.#port !== port) return;
        this.#port = null;
        this.#fail(error);
      },
    });
    return port;
  }

  #ask(request: ReferenceRequest): Promise<ReferenceResponse> {
    const port = (this.#port ??= this.#startPort());
    return new Promise<ReferenceResponse>((resolve, reject) => {
      this.#pending.set(request.id, { resolve, reject });
      this.#watch();
      port.postMessage(request);
    }).then((response) => {
      if (!response.ok) throw new Error(`float64 reference: ${response.message}`);
      return response;
    });
  }
}

/**
 * The threads of `pool()` (none: this thread alone), their workers running: started before the
 * first job (WorkerPool.start), since in a Web Worker they would start only once the assembly or
 * product that job begins had ended.
 */
async function runningPool(pool: () => WorkerPool | undefined): Promise<WorkerPool | undefined> {
  const threads = pool();
  await threads?.start();
  return threads;
}

/**
 * `report` at most once every kReferenceProgressMs by `now`: the first at once, those between
 * dropped.
 */
function throttled(
  report: (progress: ReferenceProgress) => void,
  now: () => number,
): (progress: ReferenceProgress) => void {
  let last = -Infinity;
  return (progress) => {
    const at = now();
    if (at - last < kReferenceProgressMs) return;
    last = at;
    report(progress);
  };
}

/**
 * The answering side, run in the worker: each request answered by the dense float64 CPU backend
 * (cpuBackend) of its system, assembled on the threads of `pool()` (none: this thread alone), and
 * kept for the next request about the same key; a product by float64Product, made and kept the
 * same way apart from the backend (it needs no dense M); the sampled check's sample and rows on this
 * thread in chunks (pacedCheckSample, pacedSampledMassRows: O(256 N), nothing kept); London's field
 * in chunks on the threads of `pool()`, ended with the answer (pacedReducedField). `onProgress`
 * hears each request's long steps (ReferenceProgress), all but the assembly's chunks throttled by
 * `now` (kReferenceProgressMs). A failure is an answer too ({ ok: false }). Requests are answered one
 * after another, in the order they came: one waiting for its pool's workers to start must not let
 * the next about its key build a second M.
 */
export function referenceAnswerer(
  pool: () => WorkerPool | undefined,
  onProgress?: (progress: ReferenceProgress) => void,
  now: () => number = () => performance.now(),
): (request: ReferenceRequest) => Promise<ReferenceResponse> {
  let held: { key: string; backend: MassMatrixBackend } | null = null;
  let heldProduct: {
    key: string;
    apply: (v: Float64Array) => Float64Array;
    pool: WorkerPool | undefined;
  } | null = null;
  const onAssembly =
    onProgress && ((done: number, total: number) => onProgress({ step: 'assembly', done, total }));
  const backendFor = async (key: string, system: DarwinSystem): Promise<MassMatrixBackend> => {
    if (held?.key !== key) {
      held?.backend.dispose();
      held = null;
      held = { key, backend: cpuBackend(system, 'float64', await runningPool(pool), onAssembly) };
    }
    // A sweep over eps at one configuration (FloatReference.backend) keeps its T.
    if (held.backend.system.epsilon !== system.epsilon) held.backend.setEpsilon(system.epsilon);
    return held.backend;
  };
  const productFor = async (
    key: string,
    system: DarwinSystem,
    build: TreeBuild | null,
    part: ProductPart,
  ) => {
    if (heldProduct?.key !== key) {
      // The product owns its pool (its threads, and the tree's shared arrays), as a backend does.
      heldProduct?.pool?.dispose();
      heldProduct = null;
      const tree = build ?? undefined;
      const threads = await runningPool(pool);
      try {
        heldProduct = { key, apply: float64Product(system, threads, tree, part), pool: threads };
      } catch (error) {
        threads?.dispose();
        throw error;
      }
    }
    return heldProduct;
  };
  const answer = async (request: ReferenceRequest): Promise<ReferenceResponse> => {
    // Its own throttle: a request's first report is posted at once.
    const report = onProgress && throttled(onProgress, now);
    const paced: PacingHooks = { progress: report && ((text) => report({ step: 'sampled', text })) };
    if (request.kind === 'product') {
      const held = await productFor(request.key, request.system, request.tree, request.part);
      const product = held.apply(request.v);
      return { id: request.id, ok: true, kind: 'product', product, threads: held.pool?.threads ?? 1 };
    }
    if (request.kind === 'sample') {
      const sample = await pacedCheckSample(request.system.configuration, paced);
      return { id: request.id, ok: true, kind: 'sample', sample };
    }
    if (request.kind === 'rows') {
      const rows = await pacedSampledMassRows(
        request.system,
        request.x,
        request.electrons,
        paced,
        request.part,
      );
      return { id: request.id, ok: true, kind: 'rows', rows };
    }
    if (request.kind === 'london') {
      const threads = await runningPool(pool);
      try {
        const field = await pacedReducedField(request.body, request.points, paced, threads ?? null);
        return { id: request.id, ok: true, kind: 'london', field };
      } finally {
        threads?.dispose();
      }
    }
    const backend = await backendFor(request.key, request.system);
    switch (request.kind) {
      case 'interaction':
        return {
          id: request.id,
          ok: true,
          kind: 'interaction',
          interaction: await backend.interaction(request.velocities),
        };
      case 'solve': {
        const { momenta, rtol, maxIterations } = request;
        const onIteration =
          report &&
          relativeIterations(momenta, (iteration, relativeResidual) =>
            report({ step: 'solve', iteration, relativeResidual }),
          );
        const result = await backend.velocities(momenta, request.solver, {
          rtol,
          maxIterations,
          onIteration,
        });
        return { id: request.id, ok: true, kind: 'solve', result };
      }
      case 'spectrum': {
        const { tol, maxIterations, seed, basisSize } = request;
        const onIteration =
          report &&
          ((iteration: number, lambdaMin: number, lambdaMax: number) =>
            report({ step: 'lanczos', iteration, lambdaMin, lambdaMax }));
        const result = await backend.spectrum({ tol, maxIterations, seed, basisSize, onIteration });
        return { id: request.id, ok: true, kind: 'spectrum', result };
      }
    }
  };
  let last: Promise<unknown> = Promise.resolve();
  return (request) => {
    const answered = last.then(() =>
      answer(request).catch((error: unknown): ReferenceResponse => ({
        id: request.id,
        ok: false,
        message: error instanceof Error ? error.message : String(error),
      })),
    );
    last = answered;
    return answered;
  };
}
