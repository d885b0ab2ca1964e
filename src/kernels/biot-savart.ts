// Host side of shaders/biot_savart.wgsl: the Biot-Savart field of N moving point charges at P field
// points, O(N P) work, one thread per point, sources tiled through workgroup memory. Units are the
// caller's: b = sum q v x d / |d|^3 with whatever scales it put into q, v and the positions.
import { createBuffer } from '../gpu/buffers.ts';
import { withErrorScopes, type GpuContext } from '../gpu/device.ts';
import { readFloat32 } from '../gpu/readback.ts';
import { ShaderEntries, workgroupCount } from '../gpu/pipelines.ts';
import { InputError } from '../physics/input-error.ts';

/**
 * Threads per workgroup, and sources per tile staged through workgroup memory (32 bytes each); within
 * every device's limits (WebGPU guarantees 256 invocations and 16 KiB of workgroup memory).
 */
export const kBiotSavartWorkgroupSize = 64;

/** Byte size of the WGSL struct BiotSavartParams (a test checks the two agree). */
export const kBiotSavartParamsBytes = 16;

/** Bytes per source in the `sources` buffer: struct Source { position: vec4, velocity: vec4 }. */
const kSourceBytes = 32;

export interface BiotSavartParams {
  readonly sourceCount: number;
  readonly pointCount: number;
}

export function packBiotSavartParams(params: BiotSavartParams): ArrayBuffer {
  const view = new DataView(new ArrayBuffer(kBiotSavartParamsBytes));
  view.setUint32(0, params.sourceCount, true); // sourceCount: N, entries of `sources`
  view.setUint32(4, params.pointCount, true); // pointCount: P, entries of `points` and `field`
  // padding0, padding1: a uniform struct is a multiple of 16 bytes.
  return view.buffer;
}

/** The moving charges: xyz triples of positions and velocities, and one charge for all or one each. */
export interface BiotSavartSources {
  readonly positions: ArrayLike<number>;
  readonly velocities: ArrayLike<number>;
  readonly charge: number | ArrayLike<number>;
}

/** Sources interleaved as the WGSL struct Source: (x, y, z, q), (vx, vy, vz, 0) per charge. */
export function packSources(sources: BiotSavartSources): Float32Array {
  const n = sources.positions.length / 3;
  if (!Number.isInteger(n) || sources.velocities.length !== sources.positions.length) {
    throw new InputError(
      `positions (${sources.positions.length}) and velocities (${sources.velocities.length}) must be xyz triples`,
    );
  }
  const { charge } = sources;
  if (typeof charge !== 'number' && charge.length !== n) {
    throw new InputError(`expected ${n} charges, got ${charge.length}`);
  }
  const packed = new Float32Array(8 * n);
  for (let i = 0; i < n; i++) {
    packed.set([sources.positions[3 * i], sources.positions[3 * i + 1], sources.positions[3 * i + 2]], 8 * i);
    packed[8 * i + 3] = typeof charge === 'number' ? charge : charge[i];
    packed.set(
      [sources.velocities[3 * i], sources.velocities[3 * i + 1], sources.velocities[3 * i + 2]],
      8 * i + 4,
    );
  }
  return packed;
}

export class BiotSavartKernel {
  readonly device: GPUDevice;
  /** Group 0: BiotSavartParams, the sources, the field points, the field written. */
  readonly entries: ShaderEntries<'biot_savart'>;

  constructor(device: GPUDevice) {
    this.device = device;
    this.entries = new ShaderEntries(device, {
      family: 'BiotSavart',
      shader: 'biotSavart',
      bindings: { biot_savart: { 0: 'uniform', 1: 'read', 2: 'read', 3: 'write' } },
      uniformBytes: kBiotSavartParamsBytes,
      constants: { workgroupSize: kBiotSavartWorkgroupSize },
    });
  }

  bind(
    label: string,
    params: GPUBuffer,
    sources: GPUBuffer,
    points: GPUBuffer,
    field: GPUBuffer,
  ): GPUBindGroup {
    return this.entries.createBindGroup(
      label,
      'biot_savart',
      [params, sources, points, field].map((buffer, binding) => ({ binding, resource: { buffer } })),
    );
  }

  /** field = b(points) as one compute pass: one thread per point. */
  record(encoder: GPUCommandEncoder, bindGroup: GPUBindGroup, pointCount: number): void {
    const pass = encoder.beginComputePass({ label: 'BiotSavart.pass' });
    const groups = workgroupCount(this.device, pointCount, kBiotSavartWorkgroupSize);
    this.entries.dispatch(pass, 'biot_savart', bindGroup, groups);
    pass.end();
  }
}

/**
 * The sources uploaded once; `field(points)` evaluates b at any number of point sets. Each call runs
 * inside error scopes labelled 'GpuBiotSavart.field' and returns (bx, by, bz, left out) per point,
 * float32; a source sitting exactly on a field point is an InputError, as in magneticField.
 */
export class GpuBiotSavart {
  readonly context: GpuContext;
  readonly sourceCount: number;
  readonly #kernel: BiotSavartKernel;
  readonly #sources: GPUBuffer;

  private constructor(context: GpuContext, kernel: BiotSavartKernel, sources: GPUBuffer, count: number) {
    this.context = context;
    this.#kernel = kernel;
    this.#sources = sources;
    this.sourceCount = count;
  }

  static async create(context: GpuContext, sources: BiotSavartSources): Promise<GpuBiotSavart> {
    const packed = packSources(sources);
    const { device } = context;
    return withErrorScopes(device, 'GpuBiotSavart.create', () => {
      const kernel = new BiotSavartKernel(device);
      // Build the pipeline now, inside these error scopes, not in the first record().
      kernel.entries.warm();
      const buffer = createBuffer(device, {
        label: 'BiotSavart.sources',
        size: Math.max(packed.byteLength, kSourceBytes),
        usage: GPUBufferUsage.STORAGE,
        data: packed,
      });
      return new GpuBiotSavart(context, kernel, buffer, packed.length / 8);
    });
  }

  async field(points: ArrayLike<number>): Promise<Float32Array> {
    const pointCount = points.length / 3;
    if (!Number.isInteger(pointCount) || pointCount < 1) {
      throw new InputError(
        `field points must be a non-empty list of xyz triples, got ${points.length} numbers`,
      );
    }
    const { device } = this.context;
    const owned: GPUBuffer[] = [];
    try {
      const result = await withErrorScopes(device, 'GpuBiotSavart.field', async () => {
        const create = (label: string, size: number, usage: GPUBufferUsageFlags, data?: ArrayBufferView) => {
          const buffer = createBuffer(device, { label, size, usage, data });
          owned.push(buffer);
          return buffer;
        };
        const padded = new Float32Array(4 * pointCount);
        for (let p = 0; p < pointCount; p++)
          padded.set([points[3 * p], points[3 * p + 1], points[3 * p + 2]], 4 * p);
        const params = create(
          'BiotSavart.params',
          kBiotSavartParamsBytes,
          GPUBufferUsage.UNIFORM,
          new Uint8Array(packBiotSavartParams({ sourceCount: this.sourceCount, pointCount })),
        );
        const pointBuffer = create('BiotSavart.points', padded.byteLength, GPUBufferUsage.STORAGE, padded);
        const field = create(
          'BiotSavart.field',
          padded.byteLength,
          GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
        );
        const bindGroup = this.#kernel.bind(
          'BiotSavart.bindGroup',
          params,
          this.#sources,
          pointBuffer,
          field,
        );
        const encoder = device.createCommandEncoder({ label: 'BiotSavart.encoder' });
        this.#kernel.record(encoder, bindGroup, pointCount);
        device.queue.submit([encoder.finish()]);
        return readFloat32(device, field, 4 * pointCount);
      });
      for (let p = 0; p < pointCount; p++) {
        if (result[4 * p + 3] !== 0) throw new InputError(`a charge sits at field point ${p}`);
      }
      return result;
    } finally {
      for (const buffer of owned) buffer.destroy();
    }
  }

  destroy(): void {
    this.#sources.destroy();
  }
}
