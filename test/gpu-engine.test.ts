// The GPU Krylov engine (src/engine) on the real device (Dawn, on SwiftShader where no GPU exists,
// as in CI) against the float64 CPU reference, in the harness of test/helpers/gpu.ts: one device
// for the file, each test inside error scopes and with a timeout, none skipped.
//
// Tolerances (float32 storage and arithmetic, float64 reference):
//   momenta p = M v            ||p_gpu - p_64|| <= 1e-6 ||p_64||         (normwise, v random)
//   CG velocities, cond(M)<100 ||v_gpu - v|| <= 1e-5 ||v||, v the exact solution of M v = p = M_64 v
//   extreme eigenvalues        |lambda_gpu - lambda| <= 1e-5             (D^-1/2 M D^-1/2, ~1 in size)
//   true residual              the reported ||b - M x|| (GPU product, float64 sum) within 1e-6 ||b||
//                              of the float64 CPU residual of the same x
import { describe, expect, test } from 'vitest';
import type { GeometryName } from '../src/physics/geometry.ts';
import {
  massDiagonal,
  unknowns,
  type DarwinSystem,
  type Dimension,
  type ModelName,
} from '../src/physics/models.ts';
import { ringCirculantEigenvalues } from '../src/physics/ring.ts';
import { energies } from '../src/physics/observables.ts';
import { velocityPattern } from '../src/physics/velocities.ts';
import { cpuBackend, massMatrix, splitMassMatrix } from '../src/run/backend.ts';
import { applyMassMatrix } from '../src/solvers/dense.ts';
import { conjugateGradient } from '../src/solvers/cg.ts';
import { minresConditionLimit, minresDirectionNorm } from '../src/solvers/minres.ts';
import { symmetricEigenvalues } from '../src/solvers/eigen.ts';
import { massSpectrum } from '../src/solvers/spectrum.ts';
import { kConvergenceReasons } from '../src/solvers/types.ts';
import { boundVectorStride, createBuffer, createVector } from '../src/gpu/buffers.ts';
import { GpuError, withErrorScopes, type GpuAdapterSummary, type GpuContext } from '../src/gpu/device.ts';
import { computeLayout } from '../src/gpu/pipelines.ts';
import { readFloat32 } from '../src/gpu/readback.ts';
import { kShaderSources, shaderModule } from '../src/gpu/shaders.ts';
import { UniformArena } from '../src/gpu/uniforms.ts';
import { BlasKernel, kBlasParamsBytes, packBlasParams } from '../src/kernels/blas.ts';
import { deviceProfile, kFusedStepMaxSize, kKrylovStepVariants, krylovStepFor } from '../src/gpu/profile.ts';
import { KrylovStepKernel } from '../src/kernels/krylov-step.ts';
import {
  decodeKrylovState,
  kKrylovDotFields,
  kKrylovParamsBytes,
  kKrylovStateBytes,
  kKrylovStateFields,
  kStateSlot,
  packKrylovParams,
  statusCode,
} from '../src/kernels/krylov.ts';
import { GpuMatrixFreeMassMatrix } from '../src/kernels/matvec-free.ts';
import type { GpuMassOperator } from '../src/kernels/operator.ts';
import { kReduceParamsBytes, packReduceParams, ReduceKernel } from '../src/kernels/reduce.ts';
import {
  chooseMatrixStorage,
  gpuBackend,
  gpuSolve,
  gpuSpectrum,
  type GpuBackend,
  type GpuBackendOptions,
  type MatrixStorage,
} from '../src/engine/backend.ts';
import { denseMatrixBytes, matrixShape } from '../src/kernels/mass-matrix.ts';
import { createKrylovEngine, type GpuSolveResult } from '../src/engine/krylov.ts';
import { solveCheckWarning } from '../src/run/report.ts';
import { runSolve } from '../src/run/solve.ts';
import { expectNormwiseClose, norm, randomVector } from './helpers/compare.ts';
import { gpuHarness } from './helpers/gpu.ts';
import { sampledRows } from './helpers/reference.ts';
import { darwinPairSum, darwinSystem as makeSystem, momentaRequest } from './helpers/systems.ts';
import { epsilonFromRadius } from '../src/physics/constants.ts';
import { structLayout, structMembers } from './helpers/wgsl.ts';

const kMomentaTolerance = 1e-6;
const kVelocityTolerance = 1e-5;
const kEigenvalueTolerance = 1e-5;
const kTrueResidualTolerance = 1e-6;

// ---------------------------------------------------------------------------------------------
// One device for the file; its acquisition error, if any, fails every GPU test.

const gpu = gpuHarness(60_000);

/** A test on the device inside error scopes; `backend` gives a GPU backend disposed afterwards. */
function gpuTest(
  name: string,
  body: (
    context: GpuContext,
    backend: (
      system: DarwinSystem,
      matrix?: MatrixStorage,
      options?: Omit<GpuBackendOptions, 'matrix'>,
    ) => Promise<GpuBackend>,
  ) => Promise<void>,
): void {
  gpu.test(name, (context, cleanup) =>
    body(context, async (system, matrix = 'dense', options = {}) => {
      const made = await gpuBackend(context, system, { ...options, matrix });
      cleanup(() => made.dispose());
      return made;
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Systems and comparisons.

/** Every model and dimension on a configuration that suits it; eps = 0.1 keeps cond(M) in 4..31. */
const kSetups: readonly { label: string; shape: GeometryName; model: ModelName; dim: Dimension }[] = [
  { label: 'vector 3D sphere', shape: 'sphere', model: 'vector', dim: 3 },
  { label: 'vector 2D disk', shape: 'disk', model: 'vector', dim: 2 },
  { label: 'azimuthal 2D annulus', shape: 'annulus', model: 'azimuthal', dim: 2 },
  { label: 'azimuthal 3D sphere', shape: 'sphere', model: 'azimuthal', dim: 3 },
];
const kStorages: readonly MatrixStorage[] = ['dense', 'free'];

/** The ring's indefinite case of src/solvers (eq. 50): eps = 2.5/|lambda_min(V)| puts lambda_min(M) at -1.5. */
const kRingN = 64;
const kRingEigenvalues = ringCirculantEigenvalues(kRingN);
const kRingEpsilon = 2.5 / -Math.min(...kRingEigenvalues);
const ringSystem = (epsilon = kRingEpsilon) => makeSystem('ring', kRingN, 'azimuthal', 2, epsilon);

/** ||b - M x|| with the float64 M, summed in float64. */
function residual64(system: DarwinSystem, b: Float64Array, x: Float64Array): number {
  return norm(Array.from(applyMassMatrix(massMatrix(system), x), (ax, k) => b[k] - ax));
}

/** Checks what every solve must satisfy: shape, and a true residual that agrees with the float64 one. */
function expectHonestResult(system: DarwinSystem, b: Float64Array, result: GpuSolveResult) {
  expect(result.x).toBeInstanceOf(Float64Array);
  expect(result.history).toHaveLength(result.iterations + 1);
  expect(result.residualNorm).toBe(result.history[result.iterations]);
  const difference = Math.abs(result.trueResidualNorm - residual64(system, b, result.x));
  expect(difference).toBeLessThanOrEqual(kTrueResidualTolerance * norm(b));
  expect(result.trueRelativeResidual).toBeCloseTo(result.trueResidualNorm / norm(b), 12);
}

// ---------------------------------------------------------------------------------------------
// Uniform packers, state layout and status codes against the WGSL.

/** The member names of a WGSL struct, each a 4-byte f32 or u32 (so member m is word m). */
function wordFields(source: string, struct: string): string[] {
  return structMembers(source, struct).map(({ name, type }) => {
    expect(['f32', 'u32'], `${struct}.${name}`).toContain(type);
    return name;
  });
}

describe('uniform packers and the solver state match the WGSL', () => {
  const layouts = {
    reduce: { entry: 'reduce_final', bindings: { 0: 'uniform', 1: 'read', 5: 'write', 6: 'write' } },
    blas: { entry: 'scale', bindings: { 0: 'uniform', 1: 'read', 2: 'read', 5: 'write' } },
    krylov: { entry: 'krylov_start', bindings: { 0: 'uniform', 1: 'write', 2: 'read', 3: 'write' } },
  } as const;
  // The WGSL compiler is the judge: a pipeline validates with minBindingSize = the struct's size
  // and not with 4 bytes less.
  const cases = [
    [
      'ReduceParams',
      'reduce',
      kReduceParamsBytes,
      packReduceParams({ size: 1, partialCount: 1, columnStride: 0, slot: 0 }),
    ],
    [
      'BlasParams',
      'blas',
      kBlasParamsBytes,
      packBlasParams({ size: 1, columns: 0, columnStride: 0, coefficients: [] }),
    ],
    [
      'KrylovParams',
      'krylov',
      kKrylovParamsBytes,
      packKrylovParams({
        threshold: 0,
        atol: 0,
        maxIterations: 1,
        diagonalStatus: null,
        traceSteps: 1,
        size: 1,
      }),
    ],
  ] as const;
  for (const [struct, shader, bytes, packed] of cases) {
    gpuTest(`${struct}: ${bytes} bytes`, async ({ device }) => {
      expect(packed.byteLength).toBe(bytes);
      const { entry, bindings } = layouts[shader];
      const pipeline = (minBytes: number) =>
        withErrorScopes(device, `Test.${struct}(${minBytes})`, () =>
          device.createComputePipeline({
            label: `Test.${struct}`,
            layout: device.createPipelineLayout({
              bindGroupLayouts: [computeLayout(device, `Test.${struct}.layout`, bindings, minBytes)],
            }),
            compute: { module: shaderModule(device, shader), entryPoint: entry },
          }),
        );
      await pipeline(bytes);
      await expect(pipeline(bytes - 4)).rejects.toThrow(GpuError);
    });
  }

  test('KrylovState and KrylovDots: field m is word m, as blas.wgsl and reduce_final index them', () => {
    expect(wordFields(kShaderSources.krylov, 'KrylovState')).toEqual([...kKrylovStateFields]);
    expect(kKrylovStateBytes).toBe(structLayout(kShaderSources.krylov, 'KrylovState').size);
    expect(wordFields(kShaderSources.krylov, 'KrylovDots')).toEqual([...kKrylovDotFields]);
  });

  test('status codes: 0 running, then 1 + the index in kConvergenceReasons', () => {
    const constants: Record<string, string> = {
      kRunning: 'running',
      kConvergedRtol: 'converged_rtol',
      kConvergedAtol: 'converged_atol',
      kDivergedMaxIt: 'diverged_max_it',
      kDivergedIndefinite: 'diverged_indefinite',
      kDivergedBreakdown: 'diverged_breakdown',
      kDivergedNan: 'diverged_nan',
      kDivergedSingular: 'diverged_singular',
    };
    for (const [name, reason] of Object.entries(constants)) {
      const value = new RegExp(`const ${name} = (\\d+)u;`).exec(kShaderSources.krylov)?.[1];
      const expected = reason === 'running' ? 0 : statusCode(reason as (typeof kConvergenceReasons)[number]);
      expect(Number(value), name).toBe(expected);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The building blocks on their own.

describe('reductions and BLAS', () => {
  gpuTest(
    'dot, weighted dot and columns dot against float64; a stopped status makes them no-ops',
    async ({ device }) => {
      const size = 20_000; // past kMaxPartials * 64 entries: threads loop over several
      const x = randomVector(size, 1);
      const y = randomVector(size, 2);
      const weights = randomVector(size, 3).map(Math.abs);
      const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
      const state = createBuffer(device, { label: 'Test.state', size: kKrylovStateBytes, usage });
      const xBuffer = createVector(device, 'Test.x', x);
      const yBuffer = createVector(device, 'Test.y', y);
      const wBuffer = createVector(device, 'Test.w', weights);
      const basis = createVector(device, 'Test.basis', [...x, ...y]);
      const reduce = new ReduceKernel(device);
      const arena = new UniformArena(device, 'Test.arena');
      const partials = createBuffer(device, {
        label: 'Test.partials',
        size: 4 * reduce.partialsLength(size, 2),
        usage,
      });
      const output = createVector(device, 'Test.output', [-1, -1, -1, -1, -1]);
      const common = { size, state, partials, output };
      const calls = [
        reduce.prepare('Test.dot', arena, 'dot', { ...common, x: xBuffer, y: yBuffer, slot: 0 }),
        reduce.prepare('Test.weighted', arena, 'weighted', {
          ...common,
          x: xBuffer,
          y: yBuffer,
          weights: wBuffer,
          slot: 1,
        }),
        reduce.prepare('Test.columns', arena, 'columns', {
          ...common,
          x: basis,
          y: yBuffer,
          slot: 2,
          columns: 2,
          columnStride: size,
        }),
      ];
      const run = async () => {
        const encoder = device.createCommandEncoder();
        const pass = encoder.beginComputePass();
        for (const call of calls) reduce.record(pass, call);
        pass.end();
        device.queue.submit([encoder.finish()]);
        return readFloat32(device, output, 5);
      };
      try {
        const got = await run();
        const dot = (a: ArrayLike<number>, b: ArrayLike<number>, w?: ArrayLike<number>) =>
          Array.from(a).reduce((sum, ak, k) => sum + ak * b[k] * (w ? w[k] : 1), 0);
        const f32 = (v: Float64Array) => Float64Array.from(Float32Array.from(v));
        const [x32, y32, w32] = [f32(x), f32(y), f32(weights)];
        const expected = [dot(x32, y32), dot(x32, y32, w32), dot(x32, y32), dot(y32, y32)];
        // Each partial sum rounds to float32: the error is ~1e-7 of sum |x_k y_k| (~size/4 here).
        for (let k = 0; k < 4; k++)
          expect(Math.abs(got[k] - expected[k]), `output ${k}`).toBeLessThanOrEqual(1e-6 * size);
        expect(got[4]).toBe(-1);

        device.queue.writeBuffer(state, 0, new Uint32Array([statusCode('converged_rtol')]));
        device.queue.writeBuffer(output, 0, new Float32Array([7, 7, 7, 7]));
        expect(Array.from(await run())).toEqual([7, 7, 7, 7, -1]);
      } finally {
        for (const buffer of [state, xBuffer, yBuffer, wBuffer, basis, partials, output]) buffer.destroy();
        arena.destroy();
      }
    },
  );

  gpuTest('coefficients come from the state buffer; columns_sub subtracts V h', async ({ device }) => {
    const size = 37;
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const words = new Float32Array(kKrylovStateFields.length);
    words[kStateSlot.alpha] = 0.5;
    words[kStateSlot.beta] = -2;
    const state = createBuffer(device, { label: 'Test.state', size: kKrylovStateBytes, usage, data: words });
    const a = randomVector(size, 4);
    const b = randomVector(size, 5);
    const aBuffer = createVector(device, 'Test.a', a);
    const bBuffer = createVector(device, 'Test.b', b);
    const out = createVector(device, 'Test.out', size);
    const acc = createVector(device, 'Test.acc', b);
    const h = createVector(device, 'Test.h', [0, 3, -1]);
    const basis = createVector(device, 'Test.basis', [...a, ...b]);
    const blas = new BlasKernel(device);
    const arena = new UniformArena(device, 'Test.arena');
    try {
      const run = async (call: ReturnType<BlasKernel['prepare']>, buffer = out) => {
        const encoder = device.createCommandEncoder();
        const pass = encoder.beginComputePass();
        blas.record(pass, call);
        pass.end();
        device.queue.submit([encoder.finish()]);
        return Array.from(await readFloat32(device, buffer, size));
      };
      const f = Math.fround;
      const common = { size, state, a: aBuffer, b: bBuffer, out };
      // sum: out = a + k0 b with k0 = -1 * beta = 2
      expectNormwiseClose(
        'sum',
        await run(
          blas.prepare('sum', arena, 'sum', {
            ...common,
            coefficients: [{ slot: kStateSlot.beta, scale: -1 }],
          }),
        ),
        a.map((ak, k) => ak + 2 * b[k]),
        1e-7,
      );
      // three_term: out = alpha (a - 2 b - 0 c), acc += 1 * out (c = b, k2 = 0)
      const expectedOut = a.map((ak, k) => f(0.5 * (ak - 2 * b[k])));
      const call = blas.prepare('three_term', arena, 'three_term', {
        ...common,
        c: bBuffer,
        acc,
        coefficients: [{ slot: kStateSlot.alpha }, { scale: 2 }, { scale: 0 }, {}],
      });
      expectNormwiseClose('three_term out', await run(call), expectedOut, 1e-6);
      expectNormwiseClose(
        'three_term acc',
        await readFloat32(device, acc, size),
        b.map((bk, k) => bk + expectedOut[k]),
        1e-6,
      );
      // columns_sub: out -= V h[1..], V = [a, b], h[1..] = (3, -1): out = expectedOut - 3 a + b
      const project = blas.prepare('columns_sub', arena, 'columns_sub', {
        ...common,
        a: basis,
        b: h,
        columns: 2,
        columnStride: size,
        coefficients: [{ slot: 1 }],
      });
      expectNormwiseClose(
        'columns_sub',
        await run(project),
        expectedOut.map((o, k) => o - 3 * a[k] + b[k]),
        1e-6,
      );
    } finally {
      for (const buffer of [state, aBuffer, bBuffer, out, acc, h, basis]) buffer.destroy();
      arena.destroy();
    }
  });
});

describe('the fused CG step (krylov_step.wgsl cg_step): one iteration in one workgroup', () => {
  /** One CG iteration after q = M p in float64 from float32 inputs: src/solvers/cg.ts's formulas. */
  function cgIteration(
    p: Float64Array,
    q: Float64Array,
    x: Float64Array,
    r: Float64Array,
    w: Float64Array,
    rz: number,
  ) {
    const dot = (a: Float64Array, b: Float64Array, c?: Float64Array) =>
      a.reduce((sum, ak, k) => sum + ak * b[k] * (c ? c[k] : 1), 0);
    const alpha = rz / dot(p, q);
    const xNext = x.map((xk, k) => xk + alpha * p[k]);
    const rNext = r.map((rk, k) => rk - alpha * q[k]);
    const rzNext = dot(rNext, rNext, w);
    const beta = rzNext / rz;
    const pNext = rNext.map((rk, k) => w[k] * rk + beta * p[k]);
    return { alpha, beta, rzNext, norm: Math.sqrt(dot(rNext, rNext)), xNext, rNext, pNext };
  }

  // 300 entries, a multiple of neither W: lanes hold 18-19 (W = 16) or 1-2 (W = 256); 3 < W leaves
  // most lanes without an entry.
  for (const [workgroupSize, size] of [
    [16, 300],
    [256, 300],
    [256, 3],
  ]) {
    gpuTest(
      `W = ${workgroupSize}, ${size} entries: against float64; indefinite, converged and stopped states`,
      async ({ device }) => {
        const f32 = (v: ArrayLike<number>) => Float64Array.from(Float32Array.from(v));
        const p = f32(randomVector(size, 61));
        // q = 2 p + noise keeps p^T q > 0, as for an SPD M.
        const q = f32(randomVector(size, 62).map((noise, k) => 2 * p[k] + 0.3 * noise));
        const x = f32(randomVector(size, 63));
        const r = f32(randomVector(size, 64));
        const w = f32(randomVector(size, 65).map((value) => 0.5 + Math.abs(value)));
        const rz = 3;
        const traceSteps = 8;
        const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
        const state = createBuffer(device, { label: 'Test.state', size: kKrylovStateBytes, usage });
        const trace = createBuffer(device, { label: 'Test.trace', size: 4 * (1 + traceSteps), usage });
        const vectors = {
          p: createVector(device, 'Test.p', p),
          q: createVector(device, 'Test.q', q),
          x: createVector(device, 'Test.x', x),
          r: createVector(device, 'Test.r', r),
          inverseDiagonal: createVector(device, 'Test.w', w),
        };
        const kernel = new KrylovStepKernel(device, workgroupSize);
        const arena = new UniformArena(device, 'Test.arena');
        const params = { atol: 0, maxIterations: 100, diagonalStatus: null, traceSteps, size };
        /** Sets the state (status, iteration 4, rz) and the vectors, runs one step, reads all back. */
        const run = async (threshold: number, status: number, qValues = q) => {
          const words = new Float32Array(kKrylovStateFields.length);
          words[kStateSlot.rz] = rz;
          const integers = new Uint32Array(words.buffer);
          integers[kStateSlot.status] = status;
          integers[kStateSlot.iteration] = 4;
          device.queue.writeBuffer(state, 0, words);
          device.queue.writeBuffer(trace, 0, new Float32Array(1 + traceSteps));
          for (const [name, values] of [
            ['p', p],
            ['q', qValues],
            ['x', x],
            ['r', r],
          ] as const)
            device.queue.writeBuffer(vectors[name], 0, Float32Array.from(values));
          const step = kernel.prepare(
            'Test.step',
            arena,
            { ...params, threshold },
            { state, trace },
            vectors,
          );
          const encoder = device.createCommandEncoder();
          const pass = encoder.beginComputePass();
          kernel.record(pass, step);
          pass.end();
          device.queue.submit([encoder.finish()]);
          const read = async (buffer: GPUBuffer) =>
            Float64Array.from(await readFloat32(device, buffer, size));
          const stateWords = await readFloat32(device, state, kKrylovStateFields.length);
          return {
            state: decodeKrylovState(stateWords.slice().buffer),
            trace: await readFloat32(device, trace, 1 + traceSteps),
            p: await read(vectors.p),
            x: await read(vectors.x),
            r: await read(vectors.r),
          };
        };
        try {
          const expected = cgIteration(p, q, x, r, w, rz);
          const relative = (got: number, want: number) => Math.abs(got - want) / Math.abs(want);
          const expectUnmoved = (
            label: string,
            got: { x: Float64Array; r: Float64Array; p: Float64Array },
          ) => {
            expect(Array.from(got.x), `${label} x`).toEqual(Array.from(x));
            expect(Array.from(got.r), `${label} r`).toEqual(Array.from(r));
            expect(Array.from(got.p), `${label} p`).toEqual(Array.from(p));
          };

          const going = await run(1e-30, 0);
          expect(going.state.status).toBeNull();
          expect(going.state.iteration).toBe(5);
          expect(relative(going.state.alpha, expected.alpha), 'alpha').toBeLessThan(1e-5);
          expect(relative(going.state.beta, expected.beta), 'beta').toBeLessThan(1e-5);
          expect(relative(going.state.rz, expected.rzNext), 'rz').toBeLessThan(1e-5);
          expect(relative(going.state.residualNorm, expected.norm), '||r||').toBeLessThan(1e-5);
          // ||r_5|| at 1 + (5 - 1) % traceSteps, as krylov.wgsl's advance writes it.
          expect(going.trace[5]).toBe(going.state.residualNorm);
          expectNormwiseClose('x', going.x, expected.xNext, 1e-6);
          expectNormwiseClose('r', going.r, expected.rNext, 1e-5);
          expectNormwiseClose('p', going.p, expected.pNext, 1e-5);

          // ||r_5|| below the threshold: x and r take the step, beta is not taken, p stays.
          const converged = await run(10 * expected.norm, 0);
          expect(converged.state.status).toBe('converged_rtol');
          expect(converged.state.iteration).toBe(5);
          expect(converged.state.rz).toBe(rz);
          expect(converged.trace[5]).toBe(converged.state.residualNorm);
          expectNormwiseClose('converged x', converged.x, expected.xNext, 1e-6);
          expectNormwiseClose('converged r', converged.r, expected.rNext, 1e-5);
          expect(Array.from(converged.p)).toEqual(Array.from(p));

          // p^T q < 0: diverged_indefinite before any update, at iteration 4 (cgAlpha).
          const indefinite = await run(
            1e-30,
            0,
            q.map((value) => -value),
          );
          expect(indefinite.state.status).toBe('diverged_indefinite');
          expect(indefinite.state.iteration).toBe(4);
          expectUnmoved('indefinite', indefinite);

          // A solve that stopped earlier: nothing moves.
          const stopped = await run(1e-30, statusCode('converged_atol'));
          expect(stopped.state.status).toBe('converged_atol');
          expect(stopped.state.iteration).toBe(4);
          expectUnmoved('stopped', stopped);
          expect(Array.from(stopped.trace)).toEqual(new Array(1 + traceSteps).fill(0));
        } finally {
          for (const buffer of [state, trace, ...Object.values(vectors)]) buffer.destroy();
          arena.destroy();
        }
      },
    );
  }
});

// ---------------------------------------------------------------------------------------------
// The backend on every model: momenta and CG.

describe('momenta and CG against float64, every model, dense and matrix-free', () => {
  for (const setup of kSetups) {
    for (const softening of [0, 0.05]) {
      for (const storage of kStorages) {
        const name = `${setup.label} N=37 softening=${softening} ${storage}`;
        gpuTest(name, async (_, backend) => {
          const system = makeSystem(setup.shape, 37, setup.model, setup.dim, 0.1, softening);
          const matrix = massMatrix(system);
          const eigenvalues = symmetricEigenvalues(matrix.data, matrix.size);
          expect(eigenvalues[matrix.size - 1] / eigenvalues[0], 'cond(M)').toBeLessThan(100);
          const gpu = await backend(system, storage);
          expect(gpu.matrix).toBe(storage);

          const v = randomVector(matrix.size, 17);
          const p = applyMassMatrix(matrix, v);
          const v32 = Float64Array.from(Float32Array.from(v));
          expectNormwiseClose(
            'momenta',
            await gpu.momenta(v),
            applyMassMatrix(matrix, v32),
            kMomentaTolerance,
          );

          const result = await gpu.velocities(p, 'cg');
          expect(result.solver).toBe('cg');
          expect(result.reason).toBe('converged_rtol');
          // The same algorithm as the CPU's float32 mirror: only the rounding of the sums differs.
          const mirror = await cpuBackend(system, 'float32').velocities(p, 'cg');
          expect(Math.abs(result.iterations - mirror.iterations)).toBeLessThanOrEqual(2);
          expect(result.relativeResidual).toBeLessThanOrEqual(1e-6);
          expectNormwiseClose('velocities', result.x, v, kVelocityTolerance);
          expectHonestResult(system, p, result);
        });
      }
    }
  }

  for (const n of [1, 2]) {
    for (const setup of kSetups.slice(0, 3)) {
      gpuTest(`${setup.label} N=${n}, dense and matrix-free`, async (_, backend) => {
        const system = makeSystem(setup.shape, n, setup.model, setup.dim, 0.1);
        const matrix = massMatrix(system);
        const v = randomVector(matrix.size, 23);
        const p = applyMassMatrix(matrix, v);
        for (const storage of kStorages) {
          const gpu = await backend(system, storage);
          expectNormwiseClose(`${storage} momenta`, await gpu.momenta(v), p, kMomentaTolerance);
          const result = await gpu.velocities(p, 'auto');
          // N = 1: one step solves M v = p exactly, r = 0 <= atol = 0.
          expect(result.reason).toBe(n === 1 ? 'converged_atol' : 'converged_rtol');
          expect(result.iterations).toBeLessThanOrEqual(matrix.size + 1);
          expectNormwiseClose(`${storage} velocities`, result.x, v, kVelocityTolerance);
          expectHonestResult(system, p, result);
        }
      });
    }
  }
});

describe('the Darwin part eps T v of p = M v at small eps, every model and storage', () => {
  // The product at eps rounded D v + eps T v to float32 as a whole: eps T v, and the Darwin energy
  // v . eps T v / 2, kept only 2^-24 |D v| absolutely (at eps = 1e-8 here 30% of eps T v; a sphere
  // of 300's darwin energy 0.19% off). gpuInteraction forms it in float64 from T v at eps' = 1.
  const kEpsilon = 1e-8;
  const cases = [
    ...kSetups.flatMap((setup) => kStorages.map((storage) => ({ setup, storage }))),
    { setup: kSetups[0], storage: 'tree' as const },
    { setup: kSetups[3], storage: 'tree' as const },
  ];
  for (const { setup, storage } of cases) {
    gpuTest(
      `${setup.label} N=37 ${storage}: eps T v and v . eps T v / 2 to float32's relative precision`,
      async (_, backend) => {
        const system = makeSystem(setup.shape, 37, setup.model, setup.dim, kEpsilon);
        const gpu = await backend(system, storage);
        const diagonal = massDiagonal(system);
        const v = velocityPattern(system, 'rigid');
        const interaction = (p: Float64Array) => p.map((value, k) => value - diagonal[k] * v[k]);
        const exact = interaction(applyMassMatrix(massMatrix(system), v));
        const got = interaction(await gpu.momenta(v));
        expectNormwiseClose('eps T v', got, exact, 1e-6);
        const darwin = (part: Float64Array) => part.reduce((sum, value, k) => sum + v[k] * value, 0) / 2;
        expect(Math.abs(darwin(got) / darwin(exact) - 1)).toBeLessThan(1e-6);
        // The operator is left at the system's eps: the solves use M, not the product's M'.
        const p = applyMassMatrix(massMatrix(system), v);
        expectNormwiseClose('velocities', (await gpu.velocities(p, 'cg')).x, v, kVelocityTolerance);
      },
    );
  }

  gpuTest('eps = 0: p = D v exactly; eps = 3: the product at eps itself', async (_, backend) => {
    const system = makeSystem('sphere', 37, 'azimuthal', 3, 0);
    const gpu = await backend(system);
    const v = randomVector(unknowns(system), 5);
    const diagonal = massDiagonal(system);
    expect(Array.from(await gpu.momenta(v))).toEqual(Array.from(v, (value, k) => diagonal[k] * value));
    gpu.setEpsilon(3);
    const at3 = { ...system, epsilon: 3 };
    expectNormwiseClose(
      'eps = 3',
      await gpu.momenta(v),
      applyMassMatrix(massMatrix(at3), v),
      kMomentaTolerance,
    );
  });
});

describe("float32's check targets: ten times its rounding of the product's row sums of N terms", () => {
  gpuTest(
    'a sphere of 10 000 at N r_e/R = 30, matrix-free, rigid: p off by more than 1e-6, within 3 sqrt(N) 2^-24',
    async (_, backend) => {
      // The float32 targets' case (src/run/check.ts float32CheckTargets): p is mostly eps T v, whose
      // row sums over N pairs err by a few tenths of sqrt(N) 2^-24 (here 1.7e-6, 0.28 of it), and p
      // by nearly as much (1.5e-6): past a 1e-6 that ignored N, within 3 sqrt(N) 2^-24 = 1.8e-5.
      const n = 10_000;
      const system = makeSystem('sphere', n, 'vector', 3, 30 / n);
      const gpu = await backend(system, 'free');
      const v = velocityPattern(system, 'rigid');
      // At the GPU's own rtol: below it p would be formed by the float64 product.
      const request = { ...momentaRequest(v), rtol: 1e-6 };
      const report = await runSolve(system, gpu, request, sampledRows(system));
      const rounding = Math.sqrt(n) * 2 ** -24;
      const { momenta, interaction } = report.check!;
      expect(interaction!).toBeGreaterThan(0.1 * rounding);
      expect(interaction!).toBeLessThan(rounding);
      expect(momenta!).toBeGreaterThan(1.2e-6);
      expect(report.checkTargets.momenta).toBe(300 * 2 ** -24);
      expect(report.checkTargets.interaction).toBe(300 * 2 ** -24);
      expect(solveCheckWarning(report)).toBeNull();
    },
  );
});

describe('the Darwin energy of a rigid sphere of 1000 at R = 1 mm, 1 m, 1 km (gpuInteraction)', () => {
  // eps = 2.8e-12 to 2.8e-18: formed from p = D v + eps T v in float64, darwin would be 3.4e-6 to 41%
  // off, and a check of p - p64 a spurious 1.25e-5 at R = 1 m and 3.6e-9 ("within target") at 1 km.
  const cases = [
    ...kStorages.flatMap((storage) => [1e-3, 1, 1e3].map((radius) => ({ storage, radius }))),
    { storage: 'tree' as const, radius: 1e3 },
  ];
  for (const { storage, radius } of cases) {
    gpuTest(
      `R = ${radius} m, ${storage}: darwin, inertia_ratio - 1 and their check to float32's precision`,
      async (_, backend) => {
        const system = makeSystem('sphere', 1000, 'vector', 3, epsilonFromRadius(radius));
        const v = velocityPattern(system, 'rigid');
        const float64 = cpuBackend(system);
        // At rtol 1e-6 the GPU does not refine: the energies are its own product's.
        const request = { ...momentaRequest(v), rtol: 1e-6 };
        const report = await runSolve(system, await backend(system, storage), request, float64);
        const exact = darwinPairSum(system, v);
        const { darwin, kinetic } = report.energies!;
        const error = Math.abs(darwin / exact - 1);
        expect(error).toBeLessThan(1e-6);
        // D = I: inertia_ratio - 1 = 2 darwin / v.v, which darwin / kinetic holds to darwin's precision.
        expect(Math.abs(darwin / kinetic / ((2 * exact) / norm(v) ** 2) - 1)).toBeLessThan(1e-6);
        // The check measures that error, and eps T v's, against the float64 eps T v itself.
        expect(Math.abs(report.check!.darwin! - error)).toBeLessThan(1e-12);
        expect(report.check!.interaction!).toBeLessThan(1e-6);
        expect(solveCheckWarning(report)).toBeNull();
      },
    );
  }
});

describe('p = M v of electrons far apart, and of one electron (gpuInteraction)', () => {
  // Electrons r R apart have |T| ~ 1 / (2 r): the float32 y = D x + T x at eps' = 1 alone keeps T v
  // to 2^-24 |D v| absolutely (the Darwin energy of a pair 1e5 R apart 3.8% off); at 1e8 R, T v
  // (5e-9 |v|) rounds away in y altogether, and the products after it find eps'' from a zero.
  const pair = (distance: number, epsilon: number): DarwinSystem => ({
    configuration: { n: 2, positions: Float64Array.of(0, 0, 0, distance, 0, 0), source: 'pair' },
    model: 'vector',
    dim: 3,
    epsilon,
    softening: 0,
  });
  const v = Float64Array.of(0.3, 0.7, -0.2, 0.9, -0.4, 0.5);
  // Eq. 1 for two electrons along x: the Darwin energy eps v1 . T12 v2 with T12 = (I + n n^T) / (2 r).
  const closedForm = (distance: number, epsilon: number) =>
    (epsilon * (2 * v[0] * v[3] + v[1] * v[4] + v[2] * v[5])) / (2 * distance);
  const cases = [
    { distance: 1e5, epsilon: 1 },
    { distance: 1e5, epsilon: 1e-3 },
    { distance: 1e8, epsilon: 0.5 },
  ];
  for (const { distance, epsilon } of cases) {
    for (const storage of [...kStorages, 'tree'] as const) {
      gpuTest(
        `${distance} R apart, eps = ${epsilon}, ${storage}: the Darwin energy to float32's precision`,
        async (_, backend) => {
          const system = pair(distance, epsilon);
          const p = await (await backend(system, storage)).momenta(v);
          // v . (p - D v) / 2, not (v.p - v.v) / 2: at 1e8 R the Darwin energy is 4e-10 of the kinetic.
          const darwin = p.reduce((sum, value, k) => sum + v[k] * (value - v[k]), 0) / 2;
          expect(Math.abs(darwin / closedForm(distance, epsilon) - 1)).toBeLessThan(1e-6);
        },
      );
    }
  }

  for (const model of ['vector', 'azimuthal'] as const) {
    for (const storage of [...kStorages, 'tree'] as const) {
      gpuTest(`one electron, ${model} ${storage}: p = D v exactly, no Darwin energy`, async (_, backend) => {
        // The GPU's D x is of fl32(v): D v of the float64 v would add eps (fl32(v) - v) to p (darwin
        // -8.5e-10 here).
        const system: DarwinSystem = {
          configuration: { n: 1, positions: Float64Array.of(0.7, 0.3, 0.1), source: 'one' },
          model,
          dim: 3,
          epsilon: 0.3,
          softening: 0,
        };
        const one = model === 'vector' ? Float64Array.of(0.3, 0.7, -0.2) : Float64Array.of(0.37);
        const gpu = await backend(system, storage);
        const p = await gpu.momenta(one);
        const diagonal = massDiagonal(system);
        expect(Array.from(p)).toEqual(Array.from(one, (value, k) => diagonal[k] * value));
        expect(energies(system, one, await gpu.interaction(one)).darwin).toBe(0);
      });
    }
  }
});

describe('a body far from the origin: the dense and matrix-free products upload positions less uploadOrigin', () => {
  // A sphere 1000 R from the origin: float32's spacing there, 6e-5, against r_ij ~ 0.3 made eps T v
  // 4e-5 off here (the momenta of an offset file 7.5e-5), where T depends on differences alone. The vector
  // model moves to the centre; the azimuthal one, whose u_i = rho_i e_i are about the z axis, along z.
  const far = (model: ModelName, shift: readonly number[]): DarwinSystem => {
    const system = makeSystem('sphere', 37, model, 3, 1e-2);
    const positions = system.configuration.positions.map((value, k) => value + shift[k % 3]);
    return { ...system, configuration: { ...system.configuration, positions } };
  };
  const cases = [
    { label: 'vector, (1000, -700, 300)', system: far('vector', [1000, -700, 300]) },
    { label: 'azimuthal, z = 1000', system: far('azimuthal', [0, 0, 1000]) },
  ];
  for (const { label, system } of cases) {
    for (const storage of kStorages) {
      gpuTest(
        `${label} ${storage}: the interaction part eps T v to float32's precision`,
        async (_, backend) => {
          const gpu = await backend(system, storage);
          const v = randomVector(unknowns(system), 9);
          const diagonal = massDiagonal(system);
          const interaction = (p: Float64Array) => p.map((value, k) => value - diagonal[k] * v[k]);
          const exact = interaction(applyMassMatrix(massMatrix(system), v));
          expectNormwiseClose('eps T v', interaction(await gpu.momenta(v)), exact, kMomentaTolerance);
        },
      );
    }
  }
});

describe('a sweep over eps on one backend: setEpsilon and warm starts (issue 11)', () => {
  for (const setup of [kSetups[0], kSetups[2]]) {
    for (const storage of kStorages) {
      gpuTest(`${setup.label} ${storage}: setEpsilon equals a fresh backend`, async (_, backend) => {
        const start = makeSystem(setup.shape, 37, setup.model, setup.dim, 0.05);
        const target = { ...start, epsilon: 0.1 };
        const moved = await backend(start, storage);
        const fresh = await backend(target, storage);
        moved.setEpsilon(0.1);
        expect(moved.system.epsilon).toBe(0.1);
        const v = randomVector(unknowns(target), 31);
        // The same T, D and eps uniform run the same float32 arithmetic: equal bit for bit.
        expect(Array.from(await moved.momenta(v))).toEqual(Array.from(await fresh.momenta(v)));
        const p = applyMassMatrix(massMatrix(target), v);
        for (const solver of ['cg', 'minres'] as const) {
          const movedSolve = await moved.velocities(p, solver);
          const freshSolve = await fresh.velocities(p, solver);
          expect(movedSolve.iterations, solver).toBe(freshSolve.iterations);
          expect(Array.from(movedSolve.x), solver).toEqual(Array.from(freshSolve.x));
          expectNormwiseClose(solver, movedSolve.x, v, kVelocityTolerance);
        }
        const spectrum = await moved.spectrum();
        expect(spectrum.nEpsilon).toBeCloseTo(37 * 0.1, 12);
        expect(spectrum.lambdaMax).toBe((await fresh.spectrum()).lambdaMax);
      });
    }
  }

  for (const solver of ['cg', 'minres'] as const) {
    gpuTest(
      `${solver}: x0 = the solution of the GPU's own M converges at iteration 0`,
      async (_, backend) => {
        // At eps = 1 the backend's momenta are the GPU's float32 product itself (gpuInteraction: the
        // product at eps' = 1, D = I, and D v + (M v - D v) = M v exactly for float32 M v and v).
        const system = makeSystem('sphere', 37, 'vector', 3, 1);
        const gpu = await backend(system);
        // b = M x0 with the GPU's float32 M, so that r_0 = b - M x0 is exactly 0 (powers of two scale).
        const x0 = Float64Array.from(Float32Array.from(randomVector(111, 37)));
        const b = await gpu.momenta(x0);
        const result = await gpu.velocities(b, solver, { x0 });
        expect(result.iterations).toBe(0);
        expect(result.converged).toBe(true);
        expect(result.history).toEqual([0]);
        expect(Array.from(result.x)).toEqual(Array.from(x0));
      },
    );

    gpuTest(
      `${solver}: a warm start from the neighbouring eps takes fewer iterations, same answer`,
      async (_, backend) => {
        const system = makeSystem('sphere', 37, 'vector', 3, 0.1);
        const gpu = await backend(system);
        const p = applyMassMatrix(massMatrix(system), randomVector(111, 41));
        const previous = (await gpu.velocities(p, solver)).x;
        gpu.setEpsilon(0.11);
        const cold = await gpu.velocities(p, solver);
        const warm = await gpu.velocities(p, solver, { x0: previous });
        expect(cold.converged && warm.converged).toBe(true);
        expect(warm.iterations).toBeLessThan(cold.iterations);
        // History entry 0 is ||b - M x0||: the stopping rule starts from the warm residual.
        expect(warm.history[0]).toBeLessThan(0.2 * cold.history[0]);
        const exact = conjugateGradient(massMatrix({ ...system, epsilon: 0.11 }), p, { rtol: 1e-12 }).x;
        expectNormwiseClose('warm', warm.x, exact, kVelocityTolerance);
        expectNormwiseClose('cold', cold.x, exact, kVelocityTolerance);
      },
    );
  }
});

describe('the fused MINRES step (krylov_step.wgsl minres_step): one iteration per ring phase', () => {
  // Ring slots of iteration k, as src/engine/minres.ts's phase(k) binds them: 0-2 the Lanczos
  // vectors r1 = k, r2 = k + 1, y = k + 2 (mod 3); w at 3 + (k + 1, k + 2, k) for (w_k, w1, w2);
  // A w likewise at 6 +.
  const slots = (k: number) => ({
    r1: k % 3,
    r2: (k + 1) % 3,
    y: (k + 2) % 3,
    w: 3 + ((k + 1) % 3),
    w1: 3 + ((k + 2) % 3),
    w2: 3 + (k % 3),
    aw: 6 + ((k + 1) % 3),
    aw1: 6 + ((k + 2) % 3),
    aw2: 6 + (k % 3),
  });

  for (const iteration of [3, 4, 5]) {
    gpuTest(
      `phase ${iteration % 3} (iteration ${iteration}): against a float64 MINRES step; a stopped solve stays`,
      async ({ device }) => {
        const size = 37;
        const f32 = (v: ArrayLike<number>) => Float64Array.from(Float32Array.from(v));
        const v = f32(randomVector(size, 81));
        const av = f32(randomVector(size, 82));
        const x = f32(randomVector(size, 83));
        const r = f32(randomVector(size, 84));
        const d = f32(randomVector(size, 85).map((value) => 0.5 + Math.abs(value)));
        // Every slot nonzero, so a wrong slot shows from this one step.
        const ring = Array.from({ length: 9 }, (_, m) => f32(randomVector(size, 90 + m)));
        const scalars = { beta: 1.3, betaRatio: 0.7, cs: -0.6, sn: 0.8, dbar: 0.25, epsln: 0.4, phibar: 0.9 };
        // The condition estimate's state after iteration - 1 (src/solvers/minres.ts MinresDirectionNorm).
        const direction = {
          directionSquared: 2,
          directionPreviousSquared: 3,
          directionCross: 0.5,
          gmax: 0.1,
        };

        // src/solvers/minres.ts's step in float64.
        const at = slots(iteration);
        const dot = (a: Float64Array, b: Float64Array, c?: Float64Array) =>
          a.reduce((sum, ak, k) => sum + ak * b[k] * (c ? c[k] : 1), 0);
        const y0 = av.map((value, k) => value - scalars.betaRatio * ring[at.r1][k]);
        const alfa = dot(v, y0);
        const y = y0.map((value, k) => value - (alfa / scalars.beta) * ring[at.r2][k]);
        const beta = Math.sqrt(dot(y, y, d));
        const delta = scalars.cs * scalars.dbar + scalars.sn * alfa;
        const gbar = scalars.sn * scalars.dbar - scalars.cs * alfa;
        const gamma = Math.hypot(gbar, beta);
        const cs = gbar / gamma;
        const sn = beta / gamma;
        const phi = cs * scalars.phibar;
        const recurrence = (a: Float64Array, b: Float64Array, c: Float64Array) =>
          a.map((value, k) => (value - scalars.epsln * b[k] - delta * c[k]) / gamma);
        const w = recurrence(v, ring[at.w1], ring[at.w2]);
        const aw = recurrence(av, ring[at.aw1], ring[at.aw2]);
        const xNext = x.map((value, k) => value + phi * w[k]);
        const rNext = r.map((value, k) => value - phi * aw[k]);
        const vNext = y.map((value, k) => (value * d[k]) / beta);
        const directionNext = minresDirectionNorm(
          {
            squared: direction.directionSquared,
            previousSquared: direction.directionPreviousSquared,
            cross: direction.directionCross,
          },
          gamma,
          delta,
          scalars.epsln,
          (value) => value,
        );

        const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
        const stride = boundVectorStride(device, size);
        const words = new Float32Array(kKrylovStateFields.length);
        for (const [name, value] of Object.entries({ ...scalars, ...direction }))
          words[kStateSlot[name as keyof typeof scalars | keyof typeof direction]] = value;
        new Uint32Array(words.buffer)[kStateSlot.iteration] = iteration;
        const ringValues = new Float32Array(9 * stride);
        ring.forEach((values, m) => ringValues.set(values, m * stride));
        const state = createBuffer(device, {
          label: 'Test.state',
          size: kKrylovStateBytes,
          usage,
          data: words,
        });
        const trace = createBuffer(device, { label: 'Test.trace', size: 4 * 9, usage });
        const vectors = {
          x: createVector(device, 'Test.x', x),
          r: createVector(device, 'Test.r', r),
          inverseDiagonal: createVector(device, 'Test.d', d),
          v: createVector(device, 'Test.v', v),
          av: createVector(device, 'Test.av', av),
          ring: createBuffer(device, { label: 'Test.ring', size: 4 * 9 * stride, usage, data: ringValues }),
        };
        const kernel = new KrylovStepKernel(device, 16);
        const arena = new UniformArena(device, 'Test.arena');
        const run = async (conditionLimit = minresConditionLimit('float32')) => {
          const params = {
            threshold: 1e-30,
            atol: 0,
            maxIterations: 100,
            diagonalStatus: null,
            traceSteps: 8,
            size,
            ringStride: stride,
            normFloor: 1,
            conditionLimit,
          };
          const step = kernel.prepare('Test.minres', arena, params, { state, trace }, vectors);
          const encoder = device.createCommandEncoder();
          const pass = encoder.beginComputePass();
          kernel.record(pass, step);
          pass.end();
          device.queue.submit([encoder.finish()]);
          const read = async (buffer: GPUBuffer, length = size) =>
            Float64Array.from(await readFloat32(device, buffer, length));
          const ringRead = await read(vectors.ring, 9 * stride);
          return {
            state: decodeKrylovState(
              (await readFloat32(device, state, kKrylovStateFields.length)).slice().buffer,
            ),
            x: await read(vectors.x),
            r: await read(vectors.r),
            v: await read(vectors.v),
            slot: (m: number) => ringRead.subarray(m * stride, m * stride + size),
          };
        };
        try {
          // An estimate of cond(A), max(normFloor, gmax) ||w_k||_D, at the limit stops the step
          // before x and r move.
          const estimate = Math.max(1, gamma) * Math.sqrt(directionNext.squared);
          const singular = await run(0.99 * estimate);
          expect(singular.state.status).toBe('diverged_singular');
          expect(singular.state.iteration).toBe(iteration);
          expect(Array.from(singular.x)).toEqual(Array.from(Float32Array.from(x)));
          expect(Array.from(singular.r)).toEqual(Array.from(Float32Array.from(r)));
          device.queue.writeBuffer(state, 0, words);

          const got = await run();
          expect(got.state.status).toBeNull();
          expect(got.state.iteration).toBe(iteration + 1);
          const relative = (value: number, want: number) => Math.abs(value - want) / Math.abs(want);
          expect(relative(got.state.alpha, alfa), 'alfa').toBeLessThan(1e-5);
          expect(relative(got.state.beta, beta), 'beta').toBeLessThan(1e-5);
          expect(relative(got.state.phi, phi), 'phi').toBeLessThan(1e-5);
          expect(relative(got.state.cs, cs), 'cs').toBeLessThan(1e-5);
          expect(relative(got.state.sn, sn), 'sn').toBeLessThan(1e-5);
          expect(relative(got.state.residualNorm, norm(rNext)), '||r||').toBeLessThan(1e-5);
          expect(relative(got.state.gmax, Math.max(direction.gmax, gamma)), 'gmax').toBeLessThan(1e-5);
          expect(relative(got.state.directionSquared, directionNext.squared), '||w||^2').toBeLessThan(1e-5);
          expect(got.state.directionPreviousSquared).toBe(direction.directionSquared);
          expect(relative(got.state.directionCross, directionNext.cross), 'w.w1').toBeLessThan(1e-5);
          expectNormwiseClose('y', got.slot(at.y), y, 1e-5);
          expectNormwiseClose('w', got.slot(at.w), w, 1e-5);
          expectNormwiseClose('A w', got.slot(at.aw), aw, 1e-5);
          expectNormwiseClose('x', got.x, xNext, 1e-5);
          expectNormwiseClose('r', got.r, rNext, 1e-5);
          expectNormwiseClose('v', got.v, vNext, 1e-5);
          // The other six slots are only read.
          for (const m of [at.r1, at.r2, at.w1, at.w2, at.aw1, at.aw2])
            expect(Array.from(got.slot(m)), `slot ${m}`).toEqual(Array.from(Float32Array.from(ring[m])));

          // Stopped: another step moves nothing.
          device.queue.writeBuffer(state, 0, new Uint32Array([statusCode('converged_rtol')]));
          const stopped = await run();
          for (const name of ['x', 'r', 'v'] as const)
            expect(Array.from(stopped[name]), name).toEqual(Array.from(got[name]));
          expect(Array.from(stopped.slot(at.y))).toEqual(Array.from(got.slot(at.y)));
          expect(stopped.state.iteration).toBe(iteration + 1);
        } finally {
          for (const buffer of [state, trace, ...Object.values(vectors)]) buffer.destroy();
          arena.destroy();
        }
      },
    );
  }
});

describe('Krylov step variants: fused (one workgroup) and split (BLAS, reductions, scalars)', () => {
  test('every variant is tested here; the device profile fuses on CPUs and small systems', () => {
    expect([...kKrylovStepVariants]).toEqual(['fused', 'split']);
    const gpu = {
      vendor: 'nvidia',
      architecture: '',
      model: '',
      description: '',
      isFallbackAdapter: false,
      backend: 'dawn-node',
      swiftshader: false,
    } as const;
    const step = (adapterInfo: GpuAdapterSummary, size: number) =>
      krylovStepFor(deviceProfile({ adapterInfo, hasSubgroups: false }), size);
    expect(step(gpu, kFusedStepMaxSize)).toBe('fused');
    expect(step(gpu, kFusedStepMaxSize + 1)).toBe('split');
    expect(step({ ...gpu, swiftshader: true }, 10 * kFusedStepMaxSize)).toBe('fused');
    expect(step({ ...gpu, isFallbackAdapter: true }, 10 * kFusedStepMaxSize)).toBe('fused');
  });

  for (const step of kKrylovStepVariants) {
    gpuTest(
      `${step}: CG and MINRES on every model against the float32 mirror, N = 2, the indefinite ring, maxIterations 1`,
      async (_, backend) => {
        for (const setup of kSetups) {
          const system = makeSystem(setup.shape, 37, setup.model, setup.dim, 0.1, 0.05);
          const matrix = massMatrix(system);
          const v = randomVector(matrix.size, 67);
          const p = applyMassMatrix(matrix, v);
          const gpu = await backend(system, 'dense', { step });
          for (const solver of ['cg', 'minres'] as const) {
            const label = `${setup.label} ${solver}`;
            const result = await gpu.velocities(p, solver);
            expect(result.gpu.step, label).toBe(step);
            expect(result.reason, label).toBe('converged_rtol');
            const mirror = await cpuBackend(system, 'float32').velocities(p, solver);
            expect(Math.abs(result.iterations - mirror.iterations), label).toBeLessThanOrEqual(2);
            expectNormwiseClose(`${label} velocities`, result.x, v, kVelocityTolerance);
            expectHonestResult(system, p, result);
          }
        }

        const pair = makeSystem('disk', 2, 'vector', 3, 0.1);
        const pairV = randomVector(6, 71);
        const pairP = applyMassMatrix(massMatrix(pair), pairV);
        const pairGpu = await backend(pair, 'free', { step });
        for (const solver of ['cg', 'minres'] as const) {
          const result = await pairGpu.velocities(pairP, solver);
          expect(result.reason, solver).toBe('converged_rtol');
          expectNormwiseClose(`N = 2 ${solver} velocities`, result.x, pairV, kVelocityTolerance);
        }

        // Past the collective threshold: CG stops where the mirror does, MINRES converges.
        const ring = ringSystem();
        const ringP = applyMassMatrix(massMatrix(ring), randomVector(kRingN, 29));
        const ringGpu = await backend(ring, 'free', { step });
        const mirror = cpuBackend(ring, 'float32');
        const indefinite = await ringGpu.velocities(ringP, 'cg');
        expect(indefinite.gpu.step).toBe(step);
        expect(indefinite.reason).toBe('diverged_indefinite');
        expect(indefinite.iterations).toBe((await mirror.velocities(ringP, 'cg')).iterations);
        expectHonestResult(ring, ringP, indefinite);
        const minres = await ringGpu.velocities(ringP, 'minres');
        expect(minres.gpu.step).toBe(step);
        expect(minres.reason).toBe('converged_rtol');
        expect(minres.trueRelativeResidual).toBeLessThanOrEqual(1e-5);
        const mirrorMinres = await mirror.velocities(ringP, 'minres');
        expect(Math.abs(minres.iterations - mirrorMinres.iterations)).toBeLessThanOrEqual(5);
        expectHonestResult(ring, ringP, minres);

        for (const solver of ['cg', 'minres'] as const) {
          const one = await ringGpu.velocities(ringP, solver, { maxIterations: 1 });
          expect(one.reason, solver).toBe('diverged_max_it');
          expect(one.iterations, solver).toBe(1);
          expect(one.history, solver).toHaveLength(2);
        }
      },
    );
  }
});

// ---------------------------------------------------------------------------------------------
// Reasons, options and the readback schedule.

describe('stopping reasons and options', () => {
  gpuTest(
    `indefinite ring N=${kRingN}: CG diverged_indefinite, MINRES converges, auto switches`,
    async (_, backend) => {
      const system = ringSystem();
      const matrix = massMatrix(system);
      const v = randomVector(kRingN, 29);
      const p = applyMassMatrix(matrix, v);
      const gpu = await backend(system, 'free');

      const cg = await gpu.velocities(p, 'cg');
      expect(cg.reason).toBe('diverged_indefinite');
      expectHonestResult(system, p, cg);

      const minres = await gpu.velocities(p, 'minres');
      expect(minres.solver).toBe('minres');
      expect(minres.reason).toBe('converged_rtol');
      expect(minres.trueRelativeResidual).toBeLessThanOrEqual(1e-5);
      const mirror = cpuBackend(system, 'float32');
      expect(cg.iterations).toBe((await mirror.velocities(p, 'cg')).iterations);
      const mirrorMinres = await mirror.velocities(p, 'minres');
      expect(Math.abs(minres.iterations - mirrorMinres.iterations)).toBeLessThanOrEqual(5);
      // ||x - v|| / ||v|| <= cond(M) ||p - M x|| / ||p|| with the float64 M (cond ~ 220 here).
      const moduli = kRingEigenvalues.map((lambda) => Math.abs(1 + kRingEpsilon * lambda));
      const cond = Math.max(...moduli) / Math.min(...moduli);
      const bound = (cond * residual64(system, p, minres.x)) / norm(p);
      expect(bound).toBeLessThan(1e-3);
      expectNormwiseClose('minres velocities', minres.x, v, bound);
      expectHonestResult(system, p, minres);

      const auto = await gpu.velocities(p, 'auto');
      expect(auto.switchedFrom).toBe('cg');
      expect(auto.solver).toBe('minres');
      expect(auto.reason).toBe('converged_rtol');
      expect(auto.iterations).toBe(cg.iterations + minres.iterations);
      expect(auto.history).toEqual([...cg.history, ...minres.history.slice(1)]);
      expect(Array.from(auto.x)).toEqual(Array.from(minres.x));
    },
  );

  gpuTest(
    'maxIterations: 1 gives diverged_max_it after one iteration (cg, minres, auto)',
    async (_, backend) => {
      const system = makeSystem('sphere', 37, 'vector', 3, 0.1);
      const p = applyMassMatrix(massMatrix(system), randomVector(111, 31));
      const gpu = await backend(system);
      for (const solver of ['cg', 'minres', 'auto'] as const) {
        const result = await gpu.velocities(p, solver, { maxIterations: 1 });
        expect(result.reason, solver).toBe('diverged_max_it');
        expect(result.iterations, solver).toBe(1);
        expect(result.history, solver).toHaveLength(2);
        expectHonestResult(system, p, result);
      }
    },
  );

  for (const step of kKrylovStepVariants) {
    gpuTest(
      `${step}: a singular M is never converged: diverged_singular before the step that would blow v up`,
      async (_, backend) => {
        // Two electrons on a ring at N eps = 4: M's x-x block [[1, 1], [1, 1]], p along its null
        // vector (test/solvers.test.ts): v = 0, the least-squares answer, where the unguarded step
        // gives v ~ 5e32, its recursive residual converged_rtol beside a true residual of 1e9.
        const pair = makeSystem('ring', 2, 'vector', 3, 2);
        const pNull = Float64Array.from([1, 0, 0, -1, 0, 0]);
        const pairGpu = await backend(pair, 'dense', { step });
        for (const solver of ['minres', 'auto'] as const) {
          const result = await pairGpu.velocities(pNull, solver);
          expect(result, solver).toMatchObject({
            reason: 'diverged_singular',
            converged: false,
            iterations: 0,
          });
          expect(Array.from(result.x), solver).toEqual([0, 0, 0, 0, 0, 0]);
          expect(result.trueRelativeResidual, solver).toBe(1);
        }

        // The ring of 100 at 1 + eps lambda_min(V) = 0 (eq. 50, closed form): MINRES stops on its
        // estimate of cond(M) as the float32 mirror does, with the iterate before, bounded and better
        // than v = 0.
        const n = 100;
        const near = makeSystem('ring', n, 'vector', 3, -1 / Math.min(...ringCirculantEigenvalues(n)));
        const p = randomVector(3 * n, 83);
        const nearGpu = await backend(near, 'dense', { step });
        const result = await nearGpu.velocities(p, 'minres');
        expect(result).toMatchObject({ reason: 'diverged_singular', converged: false });
        const mirror = await cpuBackend(near, 'float32').velocities(p, 'minres');
        expect(mirror.reason).toBe('diverged_singular');
        expect(Math.abs(result.iterations - mirror.iterations)).toBeLessThanOrEqual(10);
        expect(norm(result.x)).toBeLessThan(result.iterations * norm(p) * minresConditionLimit('float32'));
        // With the float64 M: the GPU's float32 product of this v (~3e3) puts its own true residual
        // 2e-5 ||p|| off the float64 one, past expectHonestResult's 1e-6.
        expect(residual64(near, p, result.x) / norm(p)).toBeLessThan(0.2);
      },
    );
  }

  gpuTest('a diagonal entry <= 0: CG diverged_indefinite at 0, MINRES unpreconditioned', async (context) => {
    // No physical system has one (rho_i > 0 is validated), so the engine is given a doctored D.
    const system = makeSystem('annulus', 37, 'azimuthal', 2, 0.1);
    const v = randomVector(37, 47);
    const p = applyMassMatrix(massMatrix(system), v);
    const operator = await GpuMatrixFreeMassMatrix.create(context, system);
    try {
      const diagonal = massDiagonal(system);
      diagonal[5] = 0;
      const engine = createKrylovEngine(context, operator, diagonal);
      const cg = await gpuSolve(engine, p, 'cg');
      expect(cg.reason).toBe('diverged_indefinite');
      expect(cg.iterations).toBe(0);
      const auto = await gpuSolve(engine, p, 'auto');
      expect(auto.switchedFrom).toBe('cg');
      expect(auto.reason).toBe('converged_rtol');
      expectNormwiseClose('unpreconditioned minres', auto.x, v, kVelocityTolerance);
      await expect(gpuSpectrum(engine, system)).rejects.toThrow(RangeError);
    } finally {
      operator.destroy();
    }
  });

  gpuTest(
    'iteration products are guarded by the solve state, those of r_0 (none from 0) and of the true residual not',
    async (context) => {
      const system = makeSystem('disk', 37, 'vector', 2, 0.1);
      const p = applyMassMatrix(massMatrix(system), randomVector(74, 59));
      const inner = await GpuMatrixFreeMassMatrix.create(context, system);
      const guards: (GPUBuffer | undefined)[] = [];
      const spy: GpuMassOperator = {
        size: inner.size,
        get epsilon() {
          return inner.epsilon;
        },
        setEpsilon: (epsilon) => inner.setEpsilon(epsilon),
        record(encoder, x, y, options) {
          guards.push(options?.guard);
          inner.record(encoder, x, y, options);
        },
        destroy: () => inner.destroy(),
      };
      try {
        const engine = createKrylovEngine(context, spy, massDiagonal(system));
        // From x_0 = 0 no product makes r_0 = b; from x0 = v / 2, M x_0 does.
        const x0 = randomVector(74, 59).map((vk) => vk / 2);
        for (const solver of ['cg', 'minres'] as const) {
          for (const start of [{}, { x0 }]) {
            guards.length = 0;
            const result = await gpuSolve(engine, p, solver, start);
            expect(result.reason, solver).toBe('converged_rtol');
            // r_0 = b - M x_0 first (where x_0 != 0) and M x of the final x last; between them one
            // product per recorded iteration, those recorded past the stop included, all guarded by
            // the one state.
            const first = 'x0' in start ? 1 : 0;
            if (first) expect(guards[0], solver).toBeUndefined();
            expect(guards.at(-1), solver).toBeUndefined();
            const steps = guards.slice(first, -1);
            expect(steps, solver).toHaveLength(result.gpu.recordedIterations);
            expect(steps[0], solver).toBeDefined();
            expect(new Set(steps).size, solver).toBe(1);
          }
        }
        guards.length = 0;
        await gpuSpectrum(engine, system);
        expect(guards.length).toBeGreaterThan(0);
        expect(guards.every((guard) => guard !== undefined)).toBe(true);
      } finally {
        spy.destroy();
      }
    },
  );

  gpuTest('a zero right-hand side: converged_atol at iteration 0, no GPU work', async (_, backend) => {
    const gpu = await backend(makeSystem('disk', 37, 'vector', 2, 0.1));
    for (const solver of ['cg', 'minres', 'auto'] as const) {
      const result = await gpu.velocities(new Float64Array(74), solver, { x0: randomVector(74, 1) });
      expect(result.reason).toBe('converged_atol');
      expect(result.iterations).toBe(0);
      expect(result.history).toEqual([0]);
      expect(Array.from(result.x)).toEqual(new Array(74).fill(0));
      expect(result.gpu.readbacks).toBe(0);
    }
  });

  gpuTest(
    'the units of b do not matter: b 2^-100 (SI momenta) or 2^100 times as large',
    async (_, backend) => {
      const system = makeSystem('disk', 37, 'vector', 2, 0.1);
      const p = applyMassMatrix(massMatrix(system), randomVector(74, 53));
      const gpu = await backend(system, 'free');
      for (const solver of ['cg', 'minres'] as const) {
        const base = await gpu.velocities(p, solver);
        for (const factor of [2 ** -100, 2 ** 100]) {
          // Scaling by a power of two is exact, so the runs agree to the bit once scaled back.
          const scaled = await gpu.velocities(
            p.map((pk) => pk * factor),
            solver,
            { atol: 0 },
          );
          expect(scaled.reason).toBe(base.reason);
          expect(scaled.iterations).toBe(base.iterations);
          expect(Array.from(scaled.x)).toEqual(Array.from(base.x, (xk) => xk * factor));
          expect(scaled.history).toEqual(base.history.map((norm) => norm * factor));
          expect(scaled.trueRelativeResidual).toBe(base.trueRelativeResidual);
        }
      }
    },
  );

  gpuTest('x0 and atol are honoured, inputs never mutated', async (_, backend) => {
    const system = makeSystem('annulus', 37, 'azimuthal', 2, 0.1);
    const v = randomVector(37, 37);
    const p = applyMassMatrix(massMatrix(system), v);
    const [pCopy, x0] = [p.slice(), v.map((vk) => vk * 1.001)];
    const x0Copy = x0.slice();
    const gpu = await backend(system, 'free');
    const fromX0 = await gpu.velocities(p, 'cg', { x0 });
    const fromZero = await gpu.velocities(p, 'cg');
    expect(fromX0.history[0]).toBeLessThan(0.01 * fromZero.history[0]);
    expect(fromX0.iterations).toBeLessThan(fromZero.iterations);
    expectNormwiseClose('from x0', fromX0.x, v, kVelocityTolerance);
    const loose = await gpu.velocities(p, 'minres', { atol: 1e-2 * norm(p), rtol: 0 });
    expect(loose.reason).toBe('converged_atol');
    expect(loose.residualNorm).toBeLessThanOrEqual(1e-2 * norm(p));
    expect(Array.from(p)).toEqual(Array.from(pCopy));
    expect(Array.from(x0)).toEqual(Array.from(x0Copy));
  });

  gpuTest(
    'k iterations per command buffer: readbacks bounded, results identical for every k',
    async (_, backend) => {
      const system = makeSystem('sphere', 37, 'azimuthal', 3, 0.1);
      const p = applyMassMatrix(massMatrix(system), randomVector(37, 41));
      const results = new Map<number, GpuSolveResult>();
      for (const k of [1, 4, 16]) {
        const gpu = await backend(system, 'dense', { checkEvery: k });
        const result = await gpu.velocities(p, 'cg');
        results.set(k, result);
        expect(result.gpu.checkEvery).toBe(k);
        // The state once per chunk of k, one chunk ahead of the check, and x with M x at the end.
        expect(result.gpu.readbacks).toBe(Math.ceil(result.iterations / k) + 2);
        expect(result.gpu.submits).toBe(result.gpu.readbacks);
        expect(result.gpu.recordedIterations).toBeLessThan(result.iterations + 2 * k);
      }
      const one = results.get(1)!;
      expect(one.iterations).toBeGreaterThan(8);
      expect(results.get(16)!.gpu.readbacks).toBeLessThanOrEqual(3);
      for (const k of [4, 16]) {
        // The same kernels in the same order: only the command-buffer boundaries moved.
        expect(results.get(k)!.iterations).toBe(one.iterations);
        expect(Array.from(results.get(k)!.x)).toEqual(Array.from(one.x));
        expect(results.get(k)!.history).toEqual(one.history);
      }
    },
  );

  gpuTest(
    'onIteration is called at the readback points; false stops with diverged_max_it',
    async (_, backend) => {
      const system = makeSystem('disk', 37, 'vector', 2, 0.1);
      const p = applyMassMatrix(massMatrix(system), randomVector(74, 43));
      const gpu = await backend(system, 'dense', { checkEvery: 2 });
      const seen: number[] = [];
      const result = await gpu.velocities(p, 'cg', {
        onIteration: (iteration, residualNorm) => {
          seen.push(iteration);
          expect(residualNorm).toBeGreaterThan(0);
          return iteration < 4;
        },
      });
      expect(seen).toEqual([2, 4]);
      expect(result.reason).toBe('diverged_max_it');
      // The chunk in flight when the CPU said stop ran too: x stands at the GPU's last iteration.
      expect(result.iterations).toBe(6);
      expectHonestResult(system, p, result);
    },
  );
});

// ---------------------------------------------------------------------------------------------
// Lanczos.

describe('Lanczos on D^-1/2 M D^-1/2', () => {
  gpuTest(`ring N=${kRingN} (D = I): extremes are 1 + eps lambda_k of the circulant`, async (_, backend) => {
    for (const epsilon of [0.02, kRingEpsilon]) {
      const system = ringSystem(epsilon);
      const diagonal = massDiagonal(system);
      expect(Math.max(...diagonal.map((d) => Math.abs(d - 1)))).toBeLessThan(1e-15);
      const shifted = kRingEigenvalues.map((lambda) => 1 + epsilon * lambda);
      const gpu = await backend(system, 'free');
      const spectrum = await gpu.spectrum();
      expect(spectrum.lanczos.converged).toBe(true);
      expect(Math.abs(spectrum.lambdaMin - Math.min(...shifted))).toBeLessThanOrEqual(kEigenvalueTolerance);
      expect(Math.abs(spectrum.lambdaMax - Math.max(...shifted))).toBeLessThanOrEqual(kEigenvalueTolerance);
      expect(spectrum.indefinite).toBe(epsilon === kRingEpsilon);
      expect(spectrum.collectiveParameter).toBeCloseTo(spectrum.lambdaMax - 1, 12);
      expect(spectrum.lanczos.gpu.readbacks).toBeLessThanOrEqual(
        Math.ceil(spectrum.lanczos.iterations / gpu.checkEvery) + 2,
      );
    }
  });

  gpuTest('vector 3D sphere N=37 against the CPU massSpectrum, dense and matrix-free', async (_, backend) => {
    const system = makeSystem('sphere', 37, 'vector', 3, 0.1, 0.05);
    const expected = massSpectrum(splitMassMatrix(system), 37);
    for (const storage of kStorages) {
      const spectrum = await (await backend(system, storage)).spectrum();
      expect(spectrum.lanczos.converged, storage).toBe(true);
      expect(Math.abs(spectrum.lambdaMin - expected.lambdaMin), storage).toBeLessThanOrEqual(
        kEigenvalueTolerance,
      );
      expect(Math.abs(spectrum.lambdaMax - expected.lambdaMax), storage).toBeLessThanOrEqual(
        kEigenvalueTolerance,
      );
      expect(spectrum.nEpsilon).toBeCloseTo(3.7, 12);
      expect(spectrum.conditionNumber).toBeCloseTo(expected.conditionNumber!, 4);
    }
  });

  gpuTest('maxIterations and onIteration stop it with the partial Ritz values', async (_, backend) => {
    const gpu = await backend(makeSystem('ball', 37, 'vector', 3, 0.1), 'dense', { checkEvery: 4 });
    const limited = await gpu.spectrum({ maxIterations: 5 });
    expect(limited.lanczos.reason).toBe('diverged_max_it');
    expect(limited.lanczos.iterations).toBe(5);
    expect(limited.lanczos.ritzValues).toHaveLength(5);
    const seen: number[] = [];
    const stopped = await gpu.spectrum({ onIteration: (steps) => (seen.push(steps), false) });
    expect(seen).toEqual([4]);
    expect(stopped.lanczos.reason).toBe('diverged_max_it');
    expect(stopped.lanczos.iterations).toBe(4);
  });
});

// ---------------------------------------------------------------------------------------------
// Matrix storage.

describe('matrix storage', () => {
  gpuTest("'auto' is dense while M fits the budget, matrix-free past it", async (context, backend) => {
    const system = makeSystem('sphere', 37, 'vector', 3, 0.1);
    expect(denseMatrixBytes(matrixShape(system))).toBe(4 * 120 * 111);
    expect(chooseMatrixStorage(context, system)).toBe('dense');
    expect(
      chooseMatrixStorage(context, system, { denseBudgetBytes: denseMatrixBytes(matrixShape(system)) - 1 }),
    ).toBe('free');
    const huge = makeSystem('sphere', 6000, 'vector', 3, 1e-4);
    expect(chooseMatrixStorage(context, huge)).toBe('free');
    const gpu = await gpuBackend(context, system, { matrix: 'auto', denseBudgetBytes: 1 });
    try {
      expect(gpu.matrix).toBe('free');
      expect(gpu.name).toBe('gpu');
    } finally {
      gpu.dispose();
    }
    expect((await backend(system)).matrix).toBe('dense');
  });
});
