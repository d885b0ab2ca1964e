// The harness of the GPU test files (gpuweb/cts src/webgpu/util/device_pool.ts): one device per file,
// acquired before its tests and released after them. Each test runs inside 'validation',
// 'out-of-memory' and 'internal' error scopes that are popped only after queue.onSubmittedWorkDone(),
// has a timeout, so a GPU fault fails it rather than hanging, and fails on any device error that no
// scope caught. Without any adapter every GPU test fails (no test may skip): acquireDevice's GpuError
// is rethrown by each.
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  acquireDevice,
  releaseDevice,
  withErrorScopes,
  type GpuContext,
  type GpuError,
} from '../../src/gpu/device.ts';

/** Registers what a test releases once its error scopes are popped (a backend's dispose()). */
export type Cleanup = (release: () => void) => void;

export interface GpuHarness {
  readonly timeoutMs: number;
  /** Device errors that no scope caught, in order; a test that provokes one takes it out. */
  readonly deviceErrors: GpuError[];
  /** The file's device; awaiting it fails the test where there is none. */
  context(): Promise<GpuContext>;
  /** A test on the device, as the header describes. */
  test(name: string, body: (context: GpuContext, cleanup: Cleanup) => Promise<void>): void;
}

/** The harness of one test file; call it at the top level (it registers beforeAll and afterAll). */
export function gpuHarness(timeoutMs: number): GpuHarness {
  let acquisition: Promise<GpuContext>;
  const deviceErrors: GpuError[] = [];

  beforeAll(() => {
    acquisition = acquireDevice({ onDeviceError: (error) => deviceErrors.push(error) });
    // Observed here so that a rejection is not "unhandled"; each test awaits it and fails.
    acquisition.catch(() => undefined);
  });

  afterAll(async () => {
    const context = await acquisition.catch(() => null);
    if (context) releaseDevice(context);
  });

  return {
    timeoutMs,
    deviceErrors,
    context: () => acquisition,
    test(name, body) {
      test(
        name,
        async () => {
          const context = await acquisition;
          const releases: (() => void)[] = [];
          try {
            await withErrorScopes(context.device, name, () =>
              body(context, (release) => releases.push(release)),
            );
          } finally {
            for (const release of releases) release();
          }
          expect(deviceErrors.map((error) => error.message)).toEqual([]);
        },
        timeoutMs,
      );
    },
  };
}
