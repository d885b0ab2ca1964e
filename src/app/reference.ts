// The GPU-vs-float64 check: the same stage run by the CPU reference in a worker
// (reference.worker.ts), compared with the GPU's result. Only small systems are checked: the dense
// float64 M takes 8 size^2 bytes and its Lanczos O(size^2) per step.
import type { DarwinSystem } from '../physics/models.ts';
import type { SpectrumResult } from '../solvers/spectrum.ts';
import type { SolveResult, SolverName } from '../solvers/types.ts';

/** Largest system checked: 3000 unknowns is a 72 MB float64 M, solved in about a second. */
export const kReferenceMaxUnknowns = 3000;

/** rtol of the reference solve: far below float32's, so the difference measures the GPU alone. */
export const kReferenceRtol = 1e-12;

interface RequestBase {
  id: number;
  /** Identifies the system, so the worker assembles M once per build. */
  key: string;
  system: DarwinSystem;
}

export type ReferenceRequest =
  | (RequestBase & { kind: 'momenta'; velocities: Float64Array })
  | (RequestBase & { kind: 'solve'; momenta: Float64Array; solver: SolverName; rtol: number })
  | (RequestBase & { kind: 'spectrum'; maxIterations: number | undefined; seed: number });

export type ReferenceResponse =
  | { id: number; ok: true; kind: 'momenta'; momenta: Float64Array }
  | { id: number; ok: true; kind: 'solve'; result: SolveResult }
  | { id: number; ok: true; kind: 'spectrum'; result: SpectrumResult }
  | { id: number; ok: false; message: string };

/** Rejects what was pending when the user stopped the run. */
export class ReferenceCancelled extends Error {
  override readonly name = 'ReferenceCancelled';
}

type Pending = { resolve: (response: ReferenceResponse) => void; reject: (error: Error) => void };

type Payload<K extends ReferenceRequest['kind']> = Omit<
  Extract<ReferenceRequest, { kind: K }>,
  'id' | 'kind'
>;

export class FloatReference {
  #worker: Worker | null = null;
  #pending = new Map<number, Pending>();
  #next = 0;

  async momenta(request: Payload<'momenta'>): Promise<Float64Array> {
    const response = await this.#ask({ ...request, kind: 'momenta', id: this.#next++ });
    if (response.ok && response.kind === 'momenta') return response.momenta;
    throw new Error('unexpected reference response');
  }

  async solve(request: Payload<'solve'>): Promise<SolveResult> {
    const response = await this.#ask({ ...request, kind: 'solve', id: this.#next++ });
    if (response.ok && response.kind === 'solve') return response.result;
    throw new Error('unexpected reference response');
  }

  async spectrum(request: Payload<'spectrum'>): Promise<SpectrumResult> {
    const response = await this.#ask({ ...request, kind: 'spectrum', id: this.#next++ });
    if (response.ok && response.kind === 'spectrum') return response.result;
    throw new Error('unexpected reference response');
  }

  /** Abandons the running check: the worker is ended (a dense solve cannot be interrupted). */
  cancel(): void {
    this.#worker?.terminate();
    this.#worker = null;
    for (const pending of this.#pending.values()) pending.reject(new ReferenceCancelled('check stopped'));
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
