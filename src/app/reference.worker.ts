// The float64 CPU reference (src/run/reference.ts referenceAnswerer) in a Web Worker, so that
// checking the GPU never blocks the page. Where the page is cross-origin isolated (the COOP/COEP
// headers of vite.config.ts), M is assembled and applied by nested workers on every core
// (src/parallel/browser.ts); elsewhere on this worker's thread alone, as the console says once.
// The progress of its long steps is posted as they pass (ReferenceProgress), for the page to show.
import { browserWorkerPool } from '../parallel/browser.ts';
import { kCpuKernels } from '../parallel/mass-matrix.ts';
import { referenceAnswerer, type ReferenceMessage, type ReferenceRequest } from '../run/reference.ts';

let fallbackSaid = false;

const post = (message: ReferenceMessage) => self.postMessage(message);

const answer = referenceAnswerer(() => {
  const { pool, fallback } = browserWorkerPool(kCpuKernels);
  if (fallback !== null && !fallbackSaid) {
    console.info(`float64 reference on one thread: ${fallback}`);
    fallbackSaid = true;
  }
  return pool ?? undefined;
}, post);

self.addEventListener('message', (event: MessageEvent<ReferenceRequest>) => {
  void answer(event.data).then(post);
});
