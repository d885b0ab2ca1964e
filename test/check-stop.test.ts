// A stop during the float64 check: the reference runs in a worker of its own (src/run/reference.ts),
// which a stop ends wherever it is, so that the run ends promptly rather than after the reference's
// assembly and Lanczos run, which no signal could interrupt on the run's own thread.
import { spawn } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { geometry } from '../src/physics/geometry.ts';
import type { DarwinSystem } from '../src/physics/models.ts';
import { Interrupted, Progress } from '../src/cli/progress.ts';
import { cpuBackend } from '../src/run/backend.ts';
import { CheckStopped, pendingReference } from '../src/run/check.ts';
import { FloatReference, type ReferenceListeners, type ReferenceRequest } from '../src/run/reference.ts';
import { runSpectrum } from '../src/run/spectrum.ts';
import { useCliBundle } from './helpers/cli-bundle.ts';

const system: DarwinSystem = {
  configuration: geometry('ring', 8),
  model: 'azimuthal',
  dim: 3,
  epsilon: 1e-3,
  softening: 0,
};

/** A reference whose worker never answers, recording what it was sent and whether it was ended. */
function silentReference(stopRequested?: () => void) {
  const sent: ReferenceRequest[] = [];
  const port = { terminated: false };
  const reference = new FloatReference(
    () => ({
      postMessage: (request) => sent.push(request),
      terminate: () => (port.terminated = true),
    }),
    stopRequested,
  );
  return { reference, sent, port };
}

describe('FloatReference: a stop ends the worker and fails the pending requests', () => {
  test('a stop seen by the poll fails the request with what stopRequested threw', async () => {
    const stop = new Error('interrupted (SIGINT)');
    let polls = 0;
    const { reference, sent, port } = silentReference(() => {
      if (++polls >= 2) throw stop;
    });
    const spectrum = reference.of('ring', system).spectrum({ tol: 1e-10 });
    await expect(spectrum).rejects.toBe(stop);
    expect(polls).toBe(2);
    expect(port.terminated).toBe(true);
    expect(sent.map((request) => request.kind)).toEqual(['spectrum']);
  });

  test('cancel() fails every pending request with CheckStopped', async () => {
    const { reference, sent, port } = silentReference();
    const asked = reference.of('ring', system);
    const interaction = asked.interaction(new Float64Array(8));
    const solve = asked.velocities(new Float64Array(8), 'cg');
    reference.cancel();
    await expect(interaction).rejects.toBeInstanceOf(CheckStopped);
    await expect(solve).rejects.toBeInstanceOf(CheckStopped);
    expect(port.terminated).toBe(true);
    expect(sent.map((request) => [request.id, request.kind])).toEqual([
      [0, 'interaction'],
      [1, 'solve'],
    ]);
  });
});

test('a worker ended by cancel() that reports its end late leaves the next worker be', async () => {
  const ports: { listeners: ReferenceListeners; sent: ReferenceRequest[] }[] = [];
  const reference = new FloatReference((listeners) => {
    const port = { listeners, sent: [] as ReferenceRequest[] };
    ports.push(port);
    return { postMessage: (request) => port.sent.push(request), terminate: () => undefined };
  });
  const asked = reference.of('ring', system);
  const first = asked.interaction(new Float64Array(8));
  reference.cancel();
  await expect(first).rejects.toBeInstanceOf(CheckStopped);
  const second = asked.interaction(new Float64Array(8).fill(1));
  expect(ports).toHaveLength(2);
  ports[0].listeners.error(new Error('float64 reference worker exited (code 1)'));
  const interaction = Float64Array.from({ length: 8 }, (_, k) => k / 4);
  ports[1].listeners.message({ id: ports[1].sent[0].id, ok: true, kind: 'interaction', interaction });
  await expect(second).resolves.toEqual(interaction);
});

describe('pendingReference: beside the run, or after it', () => {
  test('afterRun asks the reference only when its answer is awaited, once; otherwise at once', async () => {
    let asked = 0;
    const afterRun = pendingReference(async () => (asked++, 7), null, true);
    expect(asked).toBe(0);
    expect(await afterRun()).toBe(7);
    expect(await afterRun()).toBe(7);
    expect(asked).toBe(1);
    const beside = pendingReference(async () => (asked++, 8));
    expect(asked).toBe(2);
    expect(await beside()).toBe(8);
    // A stopped check is null, whenever it was asked.
    const stopped = pendingReference(() => Promise.reject(new CheckStopped('stopped')), null, true);
    expect(await stopped()).toBeNull();
  });
});

test('a signal while the run waits for its reference: the run rejects with Interrupted, the worker ended', async () => {
  // The CLI's wiring (src/cli/engine.ts openBackend): the reference polls Progress.checkpoint, and
  // is asked after the run (afterRun). Its worker never answers, as one deep in its assembly or
  // Lanczos run would not: the run ends only if the stop ends the worker rather than waiting on it.
  const progress = new Progress({ quiet: true });
  const sent: ReferenceRequest[] = [];
  const port = { terminated: false };
  const reference = new FloatReference(
    () => ({
      postMessage: (request) => {
        sent.push(request);
        progress.interrupt('SIGINT');
      },
      terminate: () => (port.terminated = true),
    }),
    () => progress.checkpoint(),
  );
  const run = runSpectrum(
    system,
    cpuBackend(system),
    { tol: 1e-8, seed: 1 },
    {
      ...reference.of('ring', system),
      afterRun: true,
    },
  );
  const stopped: unknown = await run.catch((error: unknown) => error);
  expect(stopped).toBeInstanceOf(Interrupted);
  expect((stopped as Interrupted).signal).toBe('SIGINT');
  expect(port.terminated).toBe(true);
  expect(sent.map((request) => request.kind)).toEqual(['spectrum']);
});

describe('the CLI: SIGINT during the check', () => {
  const { bundle } = useCliBundle('check-stop');

  test('spectrum of a 2000-electron ring: exit 130 with one line and nothing on stdout', async () => {
    // --tol 1e-4: the GPU's own run is short; the reference still goes to 1e-10.
    const args = ['spectrum', '--geometry', 'ring', '--n', '2000', '--model', 'azimuthal', '--tol', '1e-4'];
    const child = spawn(process.execPath, [bundle, ...args, '--epsilon', '1e-3', '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    let signalled = false;
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (!signalled && /check: assembling the float64 reference/.test(stderr)) {
        signalled = true;
        child.kill('SIGINT');
      }
    });
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(signalled, stderr).toBe(true);
    expect(status).toBe(130);
    const errors = stderr.split('\n').filter((line) => line.startsWith('error:'));
    expect(errors).toEqual(['error: interrupted (SIGINT); no file is left half-written']);
    expect(stdout).toBe('');
  }, 120_000);
});
