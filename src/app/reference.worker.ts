// The float64 CPU reference (src/run/backend.ts cpuBackend) in a worker, so that checking the GPU
// never blocks the page: the dense float64 M of the last system asked about is kept for the next
// request. Messages are described in reference.ts. Where the page is cross-origin isolated (the
// COOP/COEP headers of vite.config.ts), M is assembled and applied by nested workers on every core
// (src/parallel/browser.ts); elsewhere on this worker's thread alone, as the console says once.
import { browserWorkerPool } from '../parallel/browser.ts';
import { kCpuKernels } from '../parallel/mass-matrix.ts';
import type { DarwinSystem } from '../physics/models.ts';
import { cpuBackend, type MassMatrixBackend } from '../run/backend.ts';
import type { ReferenceRequest, ReferenceResponse } from './reference.ts';

let held: { key: string; backend: MassMatrixBackend } | null = null;
let fallbackSaid = false;

function backendFor(key: string, system: DarwinSystem): MassMatrixBackend {
  if (held?.key !== key) {
    held?.backend.dispose();
    held = null;
    const { pool, fallback } = browserWorkerPool(kCpuKernels);
    if (fallback !== null && !fallbackSaid) {
      console.info(`float64 reference on one thread: ${fallback}`);
      fallbackSaid = true;
    }
    held = { key, backend: cpuBackend(system, 'float64', pool ?? undefined) };
  }
  return held.backend;
}

async function answer(request: ReferenceRequest): Promise<ReferenceResponse> {
  const backend = backendFor(request.key, request.system);
  switch (request.kind) {
    case 'momenta':
      return {
        id: request.id,
        ok: true,
        kind: 'momenta',
        momenta: await backend.momenta(request.velocities),
      };
    case 'solve': {
      const result = await backend.velocities(request.momenta, request.solver, { rtol: request.rtol });
      return { id: request.id, ok: true, kind: 'solve', result };
    }
    case 'spectrum': {
      const { tol, maxIterations, seed, basisSize } = request;
      const result = await backend.spectrum({ tol, maxIterations, seed, basisSize });
      return { id: request.id, ok: true, kind: 'spectrum', result };
    }
  }
}

self.addEventListener('message', (event: MessageEvent<ReferenceRequest>) => {
  const request = event.data;
  answer(request).then(
    (response) => self.postMessage(response),
    (error: unknown) =>
      self.postMessage({
        id: request.id,
        ok: false,
        message: error instanceof Error ? error.message : String(error),
      } satisfies ReferenceResponse),
  );
});
