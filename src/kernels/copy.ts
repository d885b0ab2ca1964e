// Host side of shaders/copy.wgsl: the bench's bandwidth references, a vec4 copy (for the dense
// matvec, which reads the matrix once) and a vec4 fill (for the assembly, which only writes it).
import { ShaderEntries, checkWorkgroupSize } from '../gpu/pipelines.ts';

export const kCopyWorkgroupSize = 64;

/** Most workgroups one copy or fill launches; the shader's grid-stride loop covers the rest. */
const kMaxCopyWorkgroups = 4096;

function checkVec4s(...buffers: GPUBuffer[]): void {
  const odd = buffers.find((buffer) => buffer.size % 16 !== 0);
  if (odd) throw new RangeError(`copy and fill need whole vec4s, got ${odd.size} bytes in ${odd.label}`);
}

type CopyEntry = 'copy_vec4' | 'fill_vec4';

export class CopyKernel {
  readonly device: GPUDevice;
  readonly workgroupSize: number;
  /** copy_vec4: source at binding 0, destination at 1; fill_vec4: the destination alone. */
  readonly entries: ShaderEntries<CopyEntry>;
  readonly #copyGroups = new WeakMap<GPUBuffer, WeakMap<GPUBuffer, GPUBindGroup>>();
  readonly #fillGroups = new WeakMap<GPUBuffer, GPUBindGroup>();

  constructor(device: GPUDevice, workgroupSize = kCopyWorkgroupSize) {
    this.device = device;
    this.workgroupSize = checkWorkgroupSize(device, workgroupSize, false);
    this.entries = new ShaderEntries(device, {
      family: 'Copy',
      shader: 'copy',
      bindings: { copy_vec4: { 0: 'read', 1: 'write' }, fill_vec4: { 1: 'write' } },
      constants: { workgroupSize: this.workgroupSize },
    });
  }

  #record(
    encoder: GPUCommandEncoder,
    entry: CopyEntry,
    bindGroup: GPUBindGroup,
    vec4s: number,
    timestampWrites?: GPUComputePassTimestampWrites,
  ): void {
    const pass = encoder.beginComputePass({ label: `Copy.pass.${entry}`, timestampWrites });
    const groups = Math.min(Math.ceil(vec4s / this.workgroupSize), kMaxCopyWorkgroups);
    this.entries.dispatch(pass, entry, bindGroup, groups);
    pass.end();
  }

  /**
   * destination = source for the first min(sizes) bytes, as one compute pass. Both sizes must be
   * multiples of 16 (whole vec4s).
   */
  record(
    encoder: GPUCommandEncoder,
    source: GPUBuffer,
    destination: GPUBuffer,
    timestampWrites?: GPUComputePassTimestampWrites,
  ): void {
    checkVec4s(source, destination);
    let byDestination = this.#copyGroups.get(source);
    if (!byDestination) this.#copyGroups.set(source, (byDestination = new WeakMap()));
    let bindGroup = byDestination.get(destination);
    if (!bindGroup) {
      bindGroup = this.entries.createBindGroup(
        `Copy.bindGroup(${source.label}, ${destination.label})`,
        'copy_vec4',
        [
          { binding: 0, resource: { buffer: source } },
          { binding: 1, resource: { buffer: destination } },
        ],
      );
      byDestination.set(destination, bindGroup);
    }
    const vec4s = Math.min(source.size, destination.size) / 16;
    this.#record(encoder, 'copy_vec4', bindGroup, vec4s, timestampWrites);
  }

  /** destination[k] = (k, k, k, k) for every vec4 k, as one compute pass. */
  fill(
    encoder: GPUCommandEncoder,
    destination: GPUBuffer,
    timestampWrites?: GPUComputePassTimestampWrites,
  ): void {
    checkVec4s(destination);
    let bindGroup = this.#fillGroups.get(destination);
    if (!bindGroup) {
      bindGroup = this.entries.createBindGroup(`Copy.fillGroup(${destination.label})`, 'fill_vec4', [
        { binding: 1, resource: { buffer: destination } },
      ]);
      this.#fillGroups.set(destination, bindGroup);
    }
    this.#record(encoder, 'fill_vec4', bindGroup, destination.size / 16, timestampWrites);
  }
}
