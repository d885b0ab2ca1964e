// A FloatReference whose "worker" is referenceAnswerer on this thread: the messages of
// src/run/reference.ts go both ways as they would to a Web Worker or a worker thread, without one.
import { FloatReference, referenceAnswerer, type ReferenceRequest } from '../../src/run/reference.ts';

export function inProcessReference(): { reference: FloatReference; sent: ReferenceRequest[] } {
  const answer = referenceAnswerer(() => undefined);
  const sent: ReferenceRequest[] = [];
  const reference = new FloatReference((listeners) => ({
    postMessage: (request) => {
      sent.push(request);
      void answer(request).then(listeners.message);
    },
    terminate: () => undefined,
  }));
  return { reference, sent };
}
