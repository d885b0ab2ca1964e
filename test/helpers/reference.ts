// A FloatReference whose "worker" is referenceAnswerer on this thread: the messages of
// src/run/reference.ts go both ways as they would to a Web Worker or a worker thread, without one.
import { FloatReference, referenceAnswerer, type ReferenceRequest } from '../../src/run/reference.ts';
import {
  checkSample,
  sampledMassRows,
  type CheckSample,
  type SampledReference,
} from '../../src/run/check.ts';
import type { DarwinSystem } from '../../src/physics/models.ts';
import type { WorkerPool } from '../../src/parallel/pool.ts';
import type { SpectrumCheck, SpectrumReport } from '../../src/run/spectrum.ts';

/** `pool`: the answerer's threads (none: this thread alone), as the worker's pool. */
export function inProcessReference(pool: () => WorkerPool | undefined = () => undefined): {
  reference: FloatReference;
  sent: ReferenceRequest[];
} {
  const answer = referenceAnswerer(pool);
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

/** A spectrum's dense check, its eigenvalues' errors (a test fails where it has none or a sampled one). */
export function denseSpectrumCheck(report: SpectrumReport): Extract<SpectrumCheck, { sampled: null }> {
  const { check } = report;
  if (check?.sampled !== null) throw new Error(`expected the dense check, got ${JSON.stringify(check)}`);
  return check;
}

/** A spectrum's sampled check, its Ritz residuals (a test fails where it has none or a dense one). */
export function sampledSpectrumCheck(report: SpectrumReport): Extract<SpectrumCheck, { sampled: number }> {
  const { check } = report;
  if (!check || check.sampled === null)
    throw new Error(`expected the sampled check, got ${JSON.stringify(check)}`);
  return check;
}

/**
 * The sampled reference of `system` in this thread: its `sample` (checkSample's), float64 rows of M
 * or of eps T.
 */
export function sampledRows(
  system: DarwinSystem,
  sample: CheckSample = checkSample(system.configuration),
): SampledReference {
  return {
    kind: 'sampled',
    sample: async () => sample,
    rows: async (x, at, epsilon = system.epsilon, part = 'momenta') =>
      sampledMassRows({ ...system, epsilon }, x, at, part),
  };
}
