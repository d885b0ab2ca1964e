// The float64 reference of the app's check (src/run/reference.ts) in a Web Worker
// (reference.worker.ts), so that it runs beside the GPU without blocking the page, and a Stop can
// end it (FloatReference.cancel). The CLI's counterpart is src/cli/reference.ts nodeReference.
import { FloatReference, type ReferenceResponse } from '../run/reference.ts';

export function browserReference(): FloatReference {
  return new FloatReference((listeners) => {
    const worker = new Worker(new URL('./reference.worker.ts', import.meta.url), {
      type: 'module',
      name: 'darwin-breit float64 reference',
    });
    worker.addEventListener('message', (event: MessageEvent<ReferenceResponse>) =>
      listeners.message(event.data),
    );
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      listeners.error(new Error(`float64 reference worker failed: ${event.message || 'could not start'}`));
    });
    return worker;
  });
}
