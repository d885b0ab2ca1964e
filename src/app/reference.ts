// The float64 reference of the app's check (src/run/check.ts): the CPU backend in a worker
// (reference.worker.ts), so that it runs beside the GPU without blocking the page, and a Stop can
// end it (a dense solve cannot be interrupted otherwise).
import type { DarwinSystem } from '../physics/models.ts';
import { CheckStopped, kReferenceRtol, type Reference } from '../run/check.ts';
import type { SpectrumResult } from '../solvers/spectrum.ts';
import type { SolveResult, SolverName } from '../solvers/types.ts';

interface RequestBase {
  id: number;
  /** Identifies the system, so the worker assembles M once per build. */
  key: string;
  system: DarwinSystem;
}

export type ReferenceRequest =
  | (RequestBase & { kind: 'momenta'; velocities: Float64Array })
  | (RequestBase & { kind: 'solve'; momenta: Float64Array; solver: SolverName; rtol: number })
  | (RequestBase & {
      kind: 'spectrum';
      tol: number | undefined;
      maxIterations: number | undefined;
      seed: number | undefined;
      basisSize: number | undefined;
    });

export type ReferenceResponse =
  | { id: number; ok: true; kind: 'momenta'; momenta: Float64Array }
  | { id: number; ok: true; kind: 'solve'; result: SolveResult }
  | { id: number; ok: true; kind: 'spectrum'; result: SpectrumResult }
  | { id: number; ok: false; message: string };

type Pending = { resolve: (response: ReferenceResponse) => void; reject: (error: Error) => void };

type Payload<K extends ReferenceRequest['kind']> = Omit<
  Extract<ReferenceRequest, { kind: K }>,
  'id' | 'kind'
>;

export class FloatReference {
  #worker: Worker | null = null;
  #pending = new Map<number, Pending>();
  #next = 0;

  /** The reference of one system, as a run asks it; `key` identifies the system to the worker. */
  of(key: string, system: DarwinSystem): Reference {
    return {
      momenta: (velocities) => this.#momenta({ key, system, velocities }),
      velocities: (momenta, solver, options) =>
        this.#solve({ key, system, momenta, solver, rtol: options?.rtol ?? kReferenceRtol }),
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

  async #momenta(request: Payload<'momenta'>): Promise<Float64Array> {
    const response = await this.#ask({ ...request, kind: 'momenta', id: this.#next++ });
    if (response.ok && response.kind === 'momenta') return response.momenta;
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

  /** Abandons the running check: the worker is ended (a dense solve cannot be interrupted). */
  cancel(): void {
    this.#worker?.terminate();
    this.#worker = null;
    for (const pending of this.#pending.values()) pending.reject(new CheckStopped('check stopped'));
    this.#pending.clear();
  }

  #ask(request: ReferenceRequest): Promise<ReferenceResponse> {
    const worker = (this.#worker ??= this.#start());
    return new Promise<ReferenceResponse>((resolve, reject) => {
      this.#pending.set(request.id, { resolve, reject });
      worker.postMessage(request);
    }).then((response) => {
      if (!response.ok) throw new Error(`float64 reference: ${response.message}`);
      return response;
    });
  }

  #start(): Worker {
    const worker = new Worker(new URL('./reference.worker.ts', import.meta.url), {
      type: 'module',
      name: 'darwin-breit float64 reference',
    });
    worker.addEventListener('message', (event: MessageEvent<ReferenceResponse>) => {
      const pending = this.#pending.get(event.data.id);
      this.#pending.delete(event.data.id);
      pending?.resolve(event.data);
    });
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      const error = new Error(`float64 reference worker failed: ${event.message || 'could not start'}`);
      for (const pending of this.#pending.values()) pending.reject(error);
      this.#pending.clear();
      this.#worker = null;
    });
    return worker;
  }
}
