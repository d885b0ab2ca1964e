// Every GPU kernel on the real device (Dawn, on SwiftShader where no GPU exists, as in CI) against
// the float64 CPU reference of src/solvers/dense.ts, in the harness of test/helpers/gpu.ts: one
// device for the file, each test inside error scopes and with a timeout, none skipped.
//
// Tolerances (float32 storage and arithmetic, float64 reference):
//   assembled entries   |got - expected| <= 1e-6 * max |T_ij|  (rounding the positions to float32
//                       moves each entry by ~1e-7 / r_ij^2; r_ij >= 0.2 in these configurations)
//   products y = M x    ||y_gpu - y_64|| <= 1e-6 ||y_64||     (normwise, x random in [-1, 1])
import { stat } from 'node:fs';
import { availableParallelism } from 'node:os';
import { describe, expect, test, vi } from 'vitest';
import { geometry, type Configuration, type GeometryName } from '../src/physics/geometry.ts';
import { unknowns, type DarwinSystem, type Dimension, type ModelName } from '../src/physics/models.ts';
import { interactionMatrix, massMatrix } from '../src/run/backend.ts';
import { createBuffer, createVector } from '../src/gpu/buffers.ts';
import {
  acquireDevice,
  GpuError,
  withErrorScopes,
  withErrorScopesAtOnce,
  type GpuAdapterSummary,
  type GpuContext,
} from '../src/gpu/device.ts';
import { readBuffer, readFloat32 } from '../src/gpu/readback.ts';
import { pairedMedians, pairedTiming, timePaired, timeRuns, type RecordRun } from '../src/gpu/timing.ts';
import { kShaderSources } from '../src/gpu/shaders.ts';
import { CopyKernel } from '../src/kernels/copy.ts';
import { GpuMassMatrix, planStorage } from '../src/kernels/mass-matrix.ts';
import {
  deviceProfile,
  kCpuDrawBudget,
  kDenseMatvecVariants,
  kMatvecFreeVariants,
  kFusedStepMaxSize,
  kGpuSampleCount,
  kCpuTreeLeaves,
  kGpuTreeLeaves,
  kKrylovStepWorkgroupSize,
  kReduceWorkgroupSize,
  kSoftwareKrylovStepWorkgroupSize,
  kSoftwareReduceWorkgroupSize,
} from '../src/gpu/profile.ts';
import { DenseMatvecKernel, kRowsPerThread, largestSubgroupSize } from '../src/kernels/matvec-dense.ts';
import { GpuMatrixFreeMassMatrix } from '../src/kernels/matvec-free.ts';
import { statusCode } from '../src/kernels/krylov.ts';
import type { GpuLinearOperator } from '../src/kernels/operator.ts';
import { expectEntriesClose, expectNormwiseClose, randomVector } from './helpers/compare.ts';
import { gpuHarness } from './helpers/gpu.ts';

const kEntryTolerance = 1e-6;
const kProductTolerance = 1e-6;

// One device for the file; its acquisition error, if any, fails every GPU test.
const gpu = gpuHarness(90_000);
const gpuTest = gpu.test;

// ---------------------------------------------------------------------------------------------
// Cases and comparisons.

interface Case {
  readonly name: string;
  readonly system: DarwinSystem;
}

function makeSystem(
  configuration: Configuration,
  model: ModelName,
  dim: Dimension,
  softening: number,
  epsilon = 0.1,
): DarwinSystem {
  return { configuration, model, dim, epsilon, softening };
}

/** Three models (vector 3D, vector 2D, azimuthal) on configurations that suit them, N = 37. */
const kModelSetups: readonly { label: string; model: ModelName; dim: Dimension; geometry: GeometryName }[] = [
  { label: 'vector 3D ball', model: 'vector', dim: 3, geometry: 'ball' },
  { label: 'vector 2D disk', model: 'vector', dim: 2, geometry: 'disk' },
  { label: 'azimuthal annulus', model: 'azimuthal', dim: 2, geometry: 'annulus' },
  { label: 'azimuthal sphere', model: 'azimuthal', dim: 3, geometry: 'sphere' },
];

/** Two electrons at one place (allowed with softening: T_ij = I / (2a) there) and a third apart. */
const kCoincident: Configuration = {
  n: 3,
  positions: new Float64Array([0.5, 0.25, 0, 0.5, 0.25, 0, -0.3, 0.4, 0]),
  source: 'coincident',
};

function cases(): Case[] {
  const list: Case[] = [];
  for (const setup of kModelSetups) {
    for (const softening of [0, 0.05]) {
      list.push({
        name: `${setup.label} N=37 softening=${softening}`,
        system: makeSystem(geometry(setup.geometry, 37), setup.model, setup.dim, softening),
      });
    }
  }
  for (const n of [1, 2]) {
    list.push({ name: `vector 3D ball N=${n}`, system: makeSystem(geometry('ball', n), 'vector', 3, 0) });
    list.push({ name: `vector 2D ring N=${n}`, system: makeSystem(geometry('ring', n), 'vector', 2, 0) });
    list.push({ name: `azimuthal ring N=${n}`, system: makeSystem(geometry('ring', n), 'azimuthal', 2, 0) });
  }
  for (const [model, dim] of [
    ['vector', 3],
    ['vector', 2],
    ['azimuthal', 2],
  ] as const) {
    list.push({
      name: `${model} ${dim}D coincident pair, softening=0.1`,
      system: makeSystem(kCoincident, model, dim, 0.1),
    });
  }
  return list;
}

/** y = M x on the GPU: x (rounded to float32) uploaded, one command buffer, y read back. */
async function gpuProduct(
  context: GpuContext,
  operator: GpuLinearOperator,
  x: Float64Array,
): Promise<Float32Array> {
  const { device } = context;
  const xBuffer = createVector(device, 'Test.x', x);
  const yBuffer = createVector(device, 'Test.y', x.length);
  try {
    const encoder = device.createCommandEncoder({ label: 'Test.encoder' });
    operator.record(encoder, xBuffer, yBuffer);
    device.queue.submit([encoder.finish()]);
    return await readFloat32(device, yBuffer, x.length);
  } finally {
    xBuffer.destroy();
    yBuffer.destroy();
  }
}

/** The CPU reference y = M x in float64, with x rounded to float32 as the GPU sees it. */
function referenceProduct(system: DarwinSystem, x: Float64Array): Float64Array {
  const y = new Float64Array(x.length);
  massMatrix(system).apply(Float64Array.from(Float32Array.from(x)), y);
  return y;
}

function maxAbs(values: ArrayLike<number>): number {
  let max = 0;
  for (let k = 0; k < values.length; k++) max = Math.max(max, Math.abs(values[k]));
  return max;
}

// ---------------------------------------------------------------------------------------------
// Host-side checks that need no device.

describe('host constants match their shaders', () => {
  test("the host's rows per 'rows' thread are the shader's", () => {
    const rows = /const kRowsPerThread = (\d+)u;/.exec(kShaderSources.matvecDense)?.[1];
    expect(rows).toBe(String(kRowsPerThread));
  });
});

describe('row-block planning', () => {
  const defaults = {
    maxStorageBufferBindingSize: 2 ** 27,
    maxBufferSize: 2 ** 28,
    maxComputeWorkgroupsPerDimension: 65535,
  };
  test('pads the stride to whole groups of 4 electrons and fills blocks of whole electrons', () => {
    const plan = planStorage({ n: 4000, blockSize: 3 }, defaults);
    expect(plan.stride).toBe(12000);
    expect(plan.rowsPerBlock).toBe(3 * Math.floor(Math.floor(2 ** 27 / (4 * 12000)) / 3));
    expect(plan.blocks.reduce((sum, b) => sum + b.rowCount, 0)).toBe(12000);
    // N = 37: 10 groups of 4 electrons, 4 b columns each.
    expect(planStorage({ n: 37, blockSize: 3 }, defaults).stride).toBe(120);
    expect(planStorage({ n: 37, blockSize: 2 }, defaults).stride).toBe(80);
    expect(planStorage({ n: 37, blockSize: 1 }, defaults).stride).toBe(40);
  });
  test('a forced block size below one electron is a RangeError', () => {
    expect(() => planStorage({ n: 37, blockSize: 3 }, defaults, 2)).toThrow(/one electron's 3 rows/);
  });
  test('a forced block size of 7 rows is rounded down to 2 electrons: 19 blocks for 111 rows', () => {
    const plan = planStorage({ n: 37, blockSize: 3 }, defaults, 7);
    expect(plan.rowsPerBlock).toBe(6);
    expect(plan.blocks).toHaveLength(19);
    expect(plan.blocks[18]).toEqual({ rowStart: 108, rowCount: 3 });
  });
  test("an electron's rows larger than one binding are a GpuError that points to the matrix-free operator", () => {
    expect(() => planStorage({ n: 2 ** 22, blockSize: 3 }, defaults)).toThrow(/matrix-free/);
  });
});

test('no adapter at all is a GpuError that names --device cpu', async () => {
  const noAdapter = { requestAdapter: async () => null } as unknown as GPU;
  const failure = acquireDevice({ gpu: noAdapter }).catch((error: unknown) => error);
  const error = await failure;
  expect(error).toBeInstanceOf(GpuError);
  expect((error as GpuError).kind).toBe('unavailable');
  expect((error as GpuError).message).toMatch('--device cpu');
});

// ---------------------------------------------------------------------------------------------
// On the device.

/** Dawn's create() object, held for the life of the process as src/gpu/device.ts holds its own. */
let dawnAgain: GPU | null = null;

/**
 * The adapter of the file's device, requested again from a second Dawn instance (which reads the
 * VK_ICD_FILENAMES that acquireDevice left, so it finds the same driver): what it offers, to
 * compare with what the device was given.
 */
async function adapterAgain(context: GpuContext): Promise<GPUAdapter> {
  dawnAgain ??= (await import('webgpu')).create([]);
  const adapter = await dawnAgain.requestAdapter();
  if (!adapter) throw new Error('Dawn found no adapter the second time');
  expect(adapter.info.description).toBe(context.adapterInfo.description);
  return adapter;
}

const kCpuLikeAdapter: GpuAdapterSummary = {
  vendor: 'google',
  architecture: 'swiftshader',
  model: '',
  description: 'SwiftShader',
  isFallbackAdapter: true,
  backend: 'dawn-node',
  swiftshader: true,
};

describe('device', () => {
  gpuTest('reports its adapter and the limits the kernels use', async (context) => {
    const { adapterInfo, limits } = context;
    expect(adapterInfo.backend).toBe('dawn-node');
    expect(limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(2 ** 27);
    expect(limits.maxBufferSize).toBeGreaterThanOrEqual(2 ** 28);
    // The adapter's maximum was requested, not the default (2^27), and every optional feature
    // the kernels use that it has: on any adapter, against what it offers.
    const adapter = await adapterAgain(context);
    expect(limits.maxStorageBufferBindingSize).toBe(adapter.limits.maxStorageBufferBindingSize);
    expect(limits.maxBufferSize).toBe(adapter.limits.maxBufferSize);
    expect(context.hasSubgroups).toBe(adapter.features.has('subgroups'));
    expect(context.hasTimestampQuery).toBe(adapter.features.has('timestamp-query'));
    // SwiftShader offers 1 GiB and has subgroups, so CI runs the 'subgroup' matvec too (a device
    // without them fails its tests rather than skipping them).
    if (adapterInfo.swiftshader) {
      expect(limits.maxStorageBufferBindingSize).toBe(2 ** 30);
      expect(context.hasSubgroups).toBe(true);
    }
  });

  test("the profile: CPU-shaped kernels on a CPU; on a GPU 'thread', and 'subgroup' where it has subgroups, else 'workgroup'", () => {
    const gpu = { ...kCpuLikeAdapter, swiftshader: false, isFallbackAdapter: false };
    const onGpu = {
      runsOnCpu: false,
      matvecFree: 'thread',
      reduceWorkgroupSize: kReduceWorkgroupSize,
      krylovStepWorkgroupSize: kKrylovStepWorkgroupSize,
      fusedStepMaxSize: kFusedStepMaxSize,
      cpuThreads: 1,
      drawBudget: Infinity,
      renderSampleCount: kGpuSampleCount,
      treeLeaves: kGpuTreeLeaves,
    };
    const onCpu = {
      runsOnCpu: true,
      denseMatvec: 'rows',
      matvecFree: 'blocked',
      reduceWorkgroupSize: kSoftwareReduceWorkgroupSize,
      krylovStepWorkgroupSize: kSoftwareKrylovStepWorkgroupSize,
      fusedStepMaxSize: Infinity,
      cpuThreads: 1,
      drawBudget: kCpuDrawBudget,
      renderSampleCount: 1,
      treeLeaves: kCpuTreeLeaves,
    };
    expect(deviceProfile({ adapterInfo: kCpuLikeAdapter, hasSubgroups: true })).toEqual(onCpu);
    // A CPU adapter counts the host's threads; a GPU's parallelism is not the host's.
    expect(deviceProfile({ adapterInfo: kCpuLikeAdapter, hasSubgroups: true, hostThreads: 6 })).toEqual({
      ...onCpu,
      cpuThreads: 6,
    });
    expect(deviceProfile({ adapterInfo: gpu, hasSubgroups: true, hostThreads: 6 }).cpuThreads).toBe(1);
    // A fallback adapter is a CPU whatever its name.
    expect(deviceProfile({ adapterInfo: { ...gpu, isFallbackAdapter: true }, hasSubgroups: false })).toEqual(
      onCpu,
    );
    expect(deviceProfile({ adapterInfo: gpu, hasSubgroups: true })).toEqual({
      ...onGpu,
      denseMatvec: 'subgroup',
    });
    expect(deviceProfile({ adapterInfo: gpu, hasSubgroups: false })).toEqual({
      ...onGpu,
      denseMatvec: 'workgroup',
    });
  });

  gpuTest('the context carries the profile of its adapter and host', async (context) => {
    expect(context.profile).toEqual(deviceProfile({ ...context, hostThreads: availableParallelism() }));
  });

  gpuTest(
    "Dawn's polling callback goes through a 1 ms timer exactly when the adapter runs on the CPU",
    async (context) => {
      // Dawn's binding re-polls through setImmediate while any promise of a device is pending, as
      // `lost` always is: a whole core, which a CPU adapter's own threads need; there its callback,
      // known by its shape (native, no name, no parameters, passed alone), waits on a 1 ms timer
      // instead (src/gpu/device.ts, spaceDawnEventPolling).
      const spaced = context.adapterInfo.backend === 'dawn-node' && context.profile.runsOnCpu;
      // A revocable proxy's revoke function has that shape, and its call can be seen.
      const polling = Proxy.revocable({ live: true }, {});
      expect([polling.revoke.name, polling.revoke.length]).toEqual(['', 0]);
      expect(setImmediate(polling.revoke).constructor.name).toBe(spaced ? 'Timeout' : 'Immediate');
      // The same function with an argument, or a named native one, is not Dawn's callback.
      const withArgument = Proxy.revocable({ live: true }, {});
      const revokeWithArgument = withArgument.revoke as (ignored: string) => void;
      expect(setImmediate(revokeWithArgument, 'argument').constructor.name).toBe('Immediate');
      expect(setImmediate(Date.now).constructor.name).toBe('Immediate');
      // Deferred, the callback still runs: a 10 ms timer set after the 1 ms one fires after it.
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(() => polling.proxy.live).toThrow(TypeError);
      expect(() => withArgument.proxy.live).toThrow(TypeError);
      // The polling still runs: work submitted now completes and is noticed.
      const x = createVector(context.device, 'x', new Float64Array([1, 2, 3]));
      expect(Array.from(await readFloat32(context.device, x)).slice(0, 3)).toEqual([1, 2, 3]);
      x.destroy();
    },
  );

  test('setImmediate still runs every other callback at once, with its arguments', async () => {
    const order: string[] = [];
    await new Promise<void>((resolve) => {
      // Scheduled from an I/O callback, an immediate runs in the check phase that follows at once,
      // before any timer: Node orders the two only there.
      stat('.', () => {
        setTimeout(() => order.push('timer'), 0);
        setImmediate((word: string) => order.push(word), 'immediate');
        setImmediate(resolve);
      });
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(order).toEqual(['immediate', 'timer']);
  });

  gpuTest(
    "'subgroup' with a workgroup narrower than the adapter's subgroups is a RangeError",
    async ({ device }) => {
      const largest = largestSubgroupSize(device);
      expect(() => new DenseMatvecKernel(device, 'subgroup', largest / 2)).toThrow(
        /multiple of the largest subgroup/,
      );
    },
  );

  gpuTest('a device error inside withErrorScopes is a GpuError naming the label', async ({ device }) => {
    // MAP_READ combines only with COPY_DST: a validation error, not an exception.
    const error = await withErrorScopes(device, 'Test.badBuffer', () =>
      device.createBuffer({
        label: 'Test.badBuffer',
        size: 16,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE,
      }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GpuError);
    expect((error as GpuError).kind).toBe('validation');
    expect((error as GpuError).message).toMatch(/^Test\.badBuffer: validation error: /);
  });

  gpuTest(
    "withErrorScopesAtOnce holds its own errors while another run's scopes wait on the device",
    async ({ device }) => {
      // A run's scopes pushed and waiting for its work, as a solve's while the page draws a frame.
      const run = withErrorScopes(device, 'Test.run', async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return device.createBuffer({ label: 'Test.good', size: 16, usage: GPUBufferUsage.STORAGE });
      });
      const frame = withErrorScopesAtOnce(device, 'Test.frame', () =>
        device.createBuffer({
          label: 'Test.frameBuffer',
          size: 16,
          usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE,
        }),
      );
      expect(frame.result.label).toBe('Test.frameBuffer');
      // The frame's error is its own, named by its label; the run's scopes caught nothing of it.
      const error = await frame.error;
      expect(error?.kind).toBe('validation');
      expect(error?.message).toMatch(/^Test\.frame: validation error: .*Test\.frameBuffer/);
      expect((await run).label).toBe('Test.good');
      // Nothing caught: null.
      const clean = withErrorScopesAtOnce(device, 'Test.clean', () =>
        device.createBuffer({ label: 'Test.clean', size: 16, usage: GPUBufferUsage.STORAGE }),
      );
      expect(await clean.error).toBeNull();
    },
  );

  gpuTest('an oversized allocation is a GpuError, not a crash', async ({ device, limits }) => {
    const error = await withErrorScopes(device, 'Test.hugeBuffer', () =>
      device.createBuffer({
        label: 'Test.hugeBuffer',
        size: limits.maxBufferSize + 4,
        usage: GPUBufferUsage.STORAGE,
      }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GpuError);
    expect((error as GpuError).message).toMatch(/^Test\.hugeBuffer: /);
  });

  test(
    'an error that no scope catches reaches onDeviceError, on one line',
    async () => {
      const { device } = await gpu.context();
      device.createBuffer({
        label: 'Test.uncaptured',
        size: 16,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE,
      });
      await device.queue.onSubmittedWorkDone();
      await vi.waitFor(() => expect(gpu.deviceErrors).toHaveLength(1));
      const [error] = gpu.deviceErrors.splice(0);
      expect(error.kind).toBe('validation');
      expect(error.message).toMatch(/^uncaptured GPU error: .*Test\.uncaptured/);
      expect(error.message).not.toMatch('\n');
    },
    gpu.timeoutMs,
  );

  gpuTest('readback returns what was written', async ({ device }) => {
    const values = Float32Array.from({ length: 33 }, (_, k) => k * 0.5 - 3);
    const buffer = createVector(device, 'Test.readback', values);
    expect(Array.from(await readFloat32(device, buffer, values.length))).toEqual(Array.from(values));
    // Vectors hold whole vec4s (the dense matvec loads x in vec4s), zero past their length.
    expect(Array.from(await readFloat32(device, buffer))).toEqual([...values, 0, 0, 0]);
    expect(new Float32Array(await readBuffer(device, buffer, 8, 4))).toEqual(values.subarray(1, 3));
    buffer.destroy();
  });
});

describe('copy kernel', () => {
  gpuTest('copies vec4s, including more than one grid stride', async ({ device }) => {
    const kernel = new CopyKernel(device, 32);
    for (const vec4s of [1, 37, 4096 * 32 + 5]) {
      const values = Float32Array.from({ length: 4 * vec4s }, (_, k) => (k % 1013) - 500.25);
      const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC;
      const source = createBuffer(device, {
        label: 'Test.copySource',
        size: values.byteLength,
        usage,
        data: values,
      });
      const destination = createBuffer(device, {
        label: 'Test.copyDestination',
        size: values.byteLength,
        usage,
      });
      const encoder = device.createCommandEncoder({ label: 'Test.copyEncoder' });
      kernel.record(encoder, source, destination);
      device.queue.submit([encoder.finish()]);
      const got = await readFloat32(device, destination);
      expectEntriesClose(`copy of ${vec4s} vec4s`, got, values, 0);
      source.destroy();
      destination.destroy();
    }
  });

  gpuTest('fills every vec4 k with (k, k, k, k), including more than one grid stride', async ({ device }) => {
    const kernel = new CopyKernel(device, 32);
    for (const vec4s of [1, 37, 4096 * 32 + 5]) {
      const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC;
      const destination = createBuffer(device, { label: 'Test.fill', size: 16 * vec4s, usage });
      const encoder = device.createCommandEncoder({ label: 'Test.fillEncoder' });
      kernel.fill(encoder, destination);
      device.queue.submit([encoder.finish()]);
      const got = await readFloat32(device, destination);
      const expected = Float32Array.from({ length: 4 * vec4s }, (_, k) => Math.floor(k / 4));
      expectEntriesClose(`fill of ${vec4s} vec4s`, got, expected, 0);
      destination.destroy();
    }
  });
});

describe('timing (src/gpu/timing.ts)', () => {
  test('pairedMedians: medians over the pairs with both samples positive, and the median ratio', () => {
    const pairs: [number, number][] = [
      [4, 2],
      [9, 3],
      [-1, 5],
      [8, 2],
      [6, 0],
    ];
    // Usable: (4, 2), (9, 3), (8, 2): medians 8 and 2, ratios 2, 3, 4.
    expect(pairedMedians(pairs)).toEqual({ first: 8, second: 2, ratio: 3 });
    expect(pairedMedians(pairs, 4)).toBeNull();
    expect(
      pairedMedians([
        [-1, 2],
        [3, -4],
        [1, 1],
      ]),
    ).toBeNull();
    expect(pairedMedians([])).toBeNull();
  });

  test('pairedTiming: both medians and the speed-up over the same rounds', () => {
    // Ratios 5, 3, 6: the speed-up 5 lies between the rounds' ratios, near 10 / 3 of the medians.
    const paired = pairedTiming(
      [
        [10, 2],
        [9, 3],
        [30, 5],
      ],
      'wall',
    );
    expect(paired).toEqual({
      reference: { ms: 10, method: 'wall', repeats: 3 },
      run: { ms: 3, method: 'wall', repeats: 3 },
      speedup: 5,
    });
    // One round: the three numbers are its own, the speed-up exactly the quotient of the two ms.
    expect(pairedTiming([[7, 2]], 'timestamp')).toMatchObject({
      reference: { ms: 7 },
      run: { ms: 2 },
      speedup: 3.5,
    });
    expect(pairedTiming([[0, 2]], 'wall')).toBeNull();
  });

  gpuTest(
    'timeRuns and timePaired: a warm-up, then every run timed, by timestamps where the adapter has them, else by the wall clock',
    async (context) => {
      const { device } = context;
      // The first path below is the timestamp one exactly where the adapter offers the feature;
      // SwiftShader, as in CI, does, so both paths are taken.
      const adapter = await adapterAgain(context);
      expect(context.hasTimestampQuery).toBe(adapter.features.has('timestamp-query'));
      if (context.adapterInfo.swiftshader) expect(context.hasTimestampQuery).toBe(true);
      const kernel = new CopyKernel(device);
      const usage = GPUBufferUsage.STORAGE;
      // A copy of 8 MiB (read and written) beside a fill of 256 KiB.
      const source = createBuffer(device, { label: 'Test.timingSource', size: 8 << 20, usage });
      const target = createBuffer(device, { label: 'Test.timingTarget', size: 8 << 20, usage });
      const small = createBuffer(device, { label: 'Test.timingSmall', size: 256 << 10, usage });
      const seen: string[] = [];
      const copyRun: RecordRun = (encoder, stamps) => {
        seen.push(stamps ? 'copy@' : 'copy');
        kernel.record(encoder, source, target, stamps);
      };
      const fillRun: RecordRun = (encoder, stamps) => {
        seen.push(stamps ? 'fill@' : 'fill');
        kernel.fill(encoder, small, stamps);
      };
      try {
        for (const hasTimestampQuery of [context.hasTimestampQuery, false]) {
          const at = { ...context, hasTimestampQuery };
          const mark = hasTimestampQuery ? '@' : '';
          seen.length = 0;
          const paired = await timePaired(at, copyRun, fillRun, { repeats: 3 });
          // The warm-up round and each kernel's run alone (its length), then per round each kernel
          // untimed and timed, alternating.
          const round = ['copy', `copy${mark}`, 'fill', `fill${mark}`];
          expect(seen).toEqual(['copy', 'fill', 'copy', 'fill', ...round, ...round, ...round]);
          const method = hasTimestampQuery ? 'timestamp' : 'wall';
          expect(paired.reference).toMatchObject({ method, repeats: 3 });
          expect(paired.run).toMatchObject({ method, repeats: 3 });
          // Medians of positive durations (timeRounds falls back to the wall clock on a zero
          // timestamp), and the median of their per-round ratios: positive and finite, and no
          // claim about which kernel is the faster.
          for (const value of [paired.reference.ms, paired.run.ms, paired.speedup]) {
            expect(value).toBeGreaterThan(0);
            expect(Number.isFinite(value)).toBe(true);
          }

          // A run of a second or more (this copy's, when it is run alone: 1.1 s on the clock given
          // to timePaired) is timed without an untimed run before it; the short fill keeps its own.
          let clockMs = 0;
          const longCopyRun: RecordRun = (encoder, stamps) => {
            if (seen.length === 2) clockMs += 1100;
            copyRun(encoder, stamps);
          };
          seen.length = 0;
          await timePaired(at, longCopyRun, fillRun, { repeats: 2, now: () => clockMs });
          const once = [`copy${mark}`, 'fill', `fill${mark}`];
          expect(seen).toEqual(['copy', 'fill', 'copy', 'fill', ...once, ...once]);

          seen.length = 0;
          const single = await timeRuns(at, fillRun, { repeats: 2, singlePass: true });
          expect(seen).toEqual(['fill', `fill${mark}`, `fill${mark}`]);
          expect(single).toMatchObject({ method, repeats: 2 });
          expect(single.ms).toBeGreaterThan(0);
        }
      } finally {
        for (const buffer of [source, target, small]) buffer.destroy();
      }
    },
  );

  gpuTest(
    'timeRuns and timePaired report before every round, and a throw there (a stop) runs no round after it',
    async (context) => {
      const { device } = context;
      const kernel = new CopyKernel(device);
      const usage = GPUBufferUsage.STORAGE;
      const source = createBuffer(device, { label: 'Test.stopSource', size: 1 << 16, usage });
      const target = createBuffer(device, { label: 'Test.stopTarget', size: 1 << 16, usage });
      const seen: string[] = [];
      const copyRun: RecordRun = (encoder, stamps) => {
        seen.push('copy');
        kernel.record(encoder, source, target, stamps);
      };
      const fillRun: RecordRun = (encoder, stamps) => {
        seen.push('fill');
        kernel.fill(encoder, target, stamps);
      };
      const stop = new Error('stopped');
      try {
        for (const hasTimestampQuery of [context.hasTimestampQuery, false]) {
          const at = { ...context, hasTimestampQuery };
          const asked: string[] = [];
          seen.length = 0;
          // Asked before the warm-up (0) and before each repeat; the stop comes before repeat 2 of 3.
          const beforeRepeat = (repeat: number, repeats: number) => {
            asked.push(`${repeat} of ${repeats}`);
            if (repeat === 2) throw stop;
          };
          await expect(timePaired(at, copyRun, fillRun, { repeats: 3, beforeRepeat })).rejects.toBe(stop);
          expect(asked).toEqual(['0 of 3', '1 of 3', '2 of 3']);
          // The warm-up round, each kernel alone, and repeat 1 (each kernel untimed, then timed),
          // nothing of repeats 2 and 3.
          expect(seen).toEqual(['copy', 'fill', 'copy', 'fill', 'copy', 'copy', 'fill', 'fill']);

          asked.length = 0;
          seen.length = 0;
          const single = await timeRuns(at, fillRun, {
            repeats: 2,
            singlePass: true,
            beforeRepeat: (repeat, repeats) => asked.push(`${repeat} of ${repeats}`),
          });
          expect(asked).toEqual(['0 of 2', '1 of 2', '2 of 2']);
          expect(seen).toEqual(['fill', 'fill', 'fill']);
          expect(single.ms).toBeGreaterThan(0);
        }
      } finally {
        source.destroy();
        target.destroy();
      }
    },
  );
});

describe('assembly of T against interactionMatrix (float64)', () => {
  for (const { name, system } of cases()) {
    gpuTest(name, async (context) => {
      const matrix = await GpuMassMatrix.assemble(context, system);
      try {
        const expected = interactionMatrix(system).data;
        expect(matrix.size).toBe(unknowns(system));
        const got = await matrix.read();
        expectEntriesClose(name, got, expected, kEntryTolerance * maxAbs(expected));
      } finally {
        matrix.destroy();
      }
    });
  }

  gpuTest('row blocks of 6 rows (N=37 vector 3D: 111 rows, 19 blocks), pad columns zero', async (context) => {
    const system = makeSystem(geometry('ball', 37), 'vector', 3, 0.05);
    const matrix = await GpuMassMatrix.assemble(context, system, { maxRowsPerBlock: 7 });
    try {
      expect(matrix.blocks).toHaveLength(19);
      expect(matrix.stride).toBe(120);
      const expected = interactionMatrix(system).data;
      expectEntriesClose(
        'blocked assembly',
        await matrix.read(),
        expected,
        kEntryTolerance * maxAbs(expected),
      );
      for (const block of matrix.blocks) {
        const stored = new Float32Array(await readBuffer(context.device, block.buffer));
        expect(stored.length).toBe(block.rowCount * matrix.stride);
        for (let r = 0; r < block.rowCount; r++) {
          expect(Array.from(stored.subarray(r * matrix.stride + 111, (r + 1) * matrix.stride))).toEqual(
            new Array<number>(9).fill(0),
          );
        }
      }
    } finally {
      matrix.destroy();
    }
  });
});

describe('dense matvec against massMatrix(...).apply (float64)', () => {
  for (const variant of kDenseMatvecVariants) {
    for (const { name, system } of cases()) {
      gpuTest(`${variant}: ${name}`, async (context) => {
        const matrix = await GpuMassMatrix.assemble(context, system, { variant });
        try {
          const x = randomVector(matrix.size, 7);
          expectNormwiseClose(
            name,
            await gpuProduct(context, matrix, x),
            referenceProduct(system, x),
            kProductTolerance,
          );
        } finally {
          matrix.destroy();
        }
      });
    }

    gpuTest(
      `${variant}: row blocks of 6 rows, a workgroup of 16 (or the largest subgroup)`,
      async (context) => {
        const system = makeSystem(geometry('ball', 37), 'vector', 3, 0.05);
        const smallest = variant === 'subgroup' ? largestSubgroupSize(context.device) : 1;
        const matrix = await GpuMassMatrix.assemble(context, system, {
          variant,
          maxRowsPerBlock: 7,
          workgroupSize: Math.max(16, smallest),
        });
        try {
          const x = randomVector(matrix.size, 11);
          expectNormwiseClose(
            'blocked',
            await gpuProduct(context, matrix, x),
            referenceProduct(system, x),
            kProductTolerance,
          );
        } finally {
          matrix.destroy();
        }
      },
    );

    gpuTest(
      `${variant}: x and y longer than the size; NaN past x's end and y's tail untouched`,
      async (context) => {
        // size 74 = 18 vec4s + 2: the last chunk is partial, so the shader must mask x[74], x[75].
        const system = makeSystem(geometry('disk', 37), 'vector', 2, 0);
        const { device } = context;
        const matrix = await GpuMassMatrix.assemble(context, system, { variant });
        const x = randomVector(matrix.size, 5);
        const xBuffer = createVector(device, 'Test.xLong', [...x, NaN, NaN, NaN, NaN, NaN, NaN]);
        const yBuffer = createVector(device, 'Test.yLong', new Array<number>(matrix.size + 6).fill(-7));
        try {
          const encoder = device.createCommandEncoder({ label: 'Test.encoder' });
          matrix.record(encoder, xBuffer, yBuffer);
          device.queue.submit([encoder.finish()]);
          const y = await readFloat32(device, yBuffer);
          expectNormwiseClose(
            'long vectors',
            y.subarray(0, matrix.size),
            referenceProduct(system, x),
            kProductTolerance,
          );
          expect(Array.from(y.subarray(matrix.size))).toEqual([-7, -7, -7, -7, -7, -7]);
        } finally {
          xBuffer.destroy();
          yBuffer.destroy();
          matrix.destroy();
        }
      },
    );
  }
});

describe('setEpsilon: eps as a uniform of the product, T kept (issue 11)', () => {
  const setups = [
    { label: 'vector 3D ball', system: makeSystem(geometry('ball', 37), 'vector', 3, 0) },
    { label: 'azimuthal annulus', system: makeSystem(geometry('annulus', 37), 'azimuthal', 2, 0.05) },
  ];
  const operators = [
    ...kDenseMatvecVariants.map((variant) => ({
      label: `dense ${variant}`,
      create: (context: GpuContext, system: DarwinSystem) =>
        GpuMassMatrix.assemble(context, system, { variant }),
    })),
    { label: 'free', create: GpuMatrixFreeMassMatrix.create.bind(GpuMatrixFreeMassMatrix) },
  ];
  for (const { label, create } of operators) {
    for (const setup of setups) {
      gpuTest(`${label}, ${setup.label}: eps 0.1 -> 0.3 equals a fresh operator at 0.3`, async (context) => {
        const moved = await create(context, setup.system);
        const target = { ...setup.system, epsilon: 0.3 };
        const fresh = await create(context, target);
        try {
          const x = randomVector(moved.size, 23);
          const before = await gpuProduct(context, moved, x);
          expectNormwiseClose('before', before, referenceProduct(setup.system, x), kProductTolerance);
          moved.setEpsilon(0.3);
          expect(moved.epsilon).toBe(0.3);
          const after = await gpuProduct(context, moved, x);
          // The same T, D and eps uniform: the same float32 arithmetic, bit for bit.
          expect(Array.from(after)).toEqual(Array.from(await gpuProduct(context, fresh, x)));
          expectNormwiseClose('after', after, referenceProduct(target, x), kProductTolerance);
        } finally {
          moved.destroy();
          fresh.destroy();
        }
      });
    }
  }
});

describe('matrix-free matvec against massMatrix(...).apply (float64)', () => {
  for (const variant of kMatvecFreeVariants)
    for (const { name, system } of cases()) {
      gpuTest(`${variant}: ${name}`, async (context) => {
        const operator = await GpuMatrixFreeMassMatrix.create(context, system, { variant });
        try {
          const x = randomVector(operator.size, 3);
          expectNormwiseClose(
            name,
            await gpuProduct(context, operator, x),
            referenceProduct(system, x),
            kProductTolerance,
          );
        } finally {
          operator.destroy();
        }
      });
    }

  for (const setup of kModelSetups) {
    gpuTest(
      `${setup.label} N=150, several partial tiles (workgroup size 16 and 64, each variant)`,
      async (context) => {
        const system = makeSystem(geometry(setup.geometry, 150), setup.model, setup.dim, 0.02, 0.05);
        const x = randomVector(unknowns(system), 9);
        const expected = referenceProduct(system, x);
        for (const [workgroupSize, variant] of [16, 64].flatMap((w) =>
          kMatvecFreeVariants.map((v) => [w, v] as const),
        )) {
          const operator = await GpuMatrixFreeMassMatrix.create(context, system, { workgroupSize, variant });
          try {
            expectNormwiseClose(
              `${variant}, workgroup ${workgroupSize}`,
              await gpuProduct(context, operator, x),
              expected,
              kProductTolerance,
            );
          } finally {
            operator.destroy();
          }
        }
      },
    );
  }

  gpuTest(
    'the dense and matrix-free products agree when recorded into one command buffer',
    async (context) => {
      const { device } = context;
      const system = makeSystem(geometry('sphere', 50), 'vector', 3, 0.01);
      const dense = await GpuMassMatrix.assemble(context, system);
      const free = await GpuMatrixFreeMassMatrix.create(context, system);
      const x = randomVector(dense.size, 13);
      const xBuffer = createVector(device, 'Test.x', x);
      const yDense = createVector(device, 'Test.yDense', dense.size);
      const yFree = createVector(device, 'Test.yFree', dense.size);
      try {
        const encoder = device.createCommandEncoder({ label: 'Test.encoder' });
        dense.record(encoder, xBuffer, yDense);
        free.record(encoder, xBuffer, yFree);
        device.queue.submit([encoder.finish()]);
        const expected = referenceProduct(system, x);
        const size = dense.size;
        expectNormwiseClose('dense', await readFloat32(device, yDense, size), expected, kProductTolerance);
        expectNormwiseClose('free', await readFloat32(device, yFree, size), expected, kProductTolerance);
      } finally {
        for (const buffer of [xBuffer, yDense, yFree]) buffer.destroy();
        dense.destroy();
        free.destroy();
      }
    },
  );

  gpuTest(
    'the dense product refuses an x shorter than whole vec4s (not from createVector)',
    async (context) => {
      const { device } = context;
      const system = makeSystem(geometry('ring', 5), 'vector', 3, 0.02);
      const matrix = await GpuMassMatrix.assemble(context, system);
      const usage = GPUBufferUsage.STORAGE;
      const x = createBuffer(device, { label: 'Test.shortX', size: 4 * matrix.size, usage });
      const y = createVector(device, 'Test.y', matrix.size);
      try {
        const encoder = device.createCommandEncoder({ label: 'Test.encoder' });
        expect(() => matrix.record(encoder, x, y)).toThrow(/needs x of 64 bytes/);
      } finally {
        for (const buffer of [x, y]) buffer.destroy();
        matrix.destroy();
      }
    },
  );

  gpuTest(
    'guarded by a solve state: no-ops once its status is set, products while it is 0',
    async (context) => {
      const { device } = context;
      const system = makeSystem(geometry('ring', 21), 'vector', 3, 0.02);
      const operators: GpuLinearOperator[] = [
        ...(await Promise.all(
          kDenseMatvecVariants.map((variant) => GpuMassMatrix.assemble(context, system, { variant })),
        )),
        await GpuMatrixFreeMassMatrix.create(context, system),
      ];
      const size = unknowns(system);
      const x = randomVector(size, 17);
      const xBuffer = createVector(device, 'Test.x', x);
      const y = createVector(device, 'Test.y', size);
      const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
      const state = createBuffer(device, { label: 'Test.state', size: 4, usage });
      try {
        for (const operator of operators) {
          const product = async () => {
            device.queue.writeBuffer(y, 0, new Float32Array(size).fill(-3));
            const encoder = device.createCommandEncoder({ label: 'Test.encoder' });
            operator.record(encoder, xBuffer, y, { guard: state });
            device.queue.submit([encoder.finish()]);
            return readFloat32(device, y, size);
          };
          device.queue.writeBuffer(state, 0, new Uint32Array([statusCode('converged_rtol')]));
          expect(Array.from(await product())).toEqual(new Array<number>(size).fill(-3));
          device.queue.writeBuffer(state, 0, new Uint32Array([0]));
          expectNormwiseClose('running', await product(), referenceProduct(system, x), kProductTolerance);
        }
      } finally {
        for (const buffer of [xBuffer, y, state]) buffer.destroy();
        for (const operator of operators) operator.destroy();
      }
    },
  );
});
