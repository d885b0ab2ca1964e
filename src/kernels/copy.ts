// Host side of shaders/copy.wgsl: the bench's bandwidth references, a vec4 copy (for the dense
// matvec, which reads the matrix once) and a vec4 fill (for the assembly, which only writes it).
import { shaderModule } from '../gpu/shaders.ts';
import { checkWorkgroupSize } from './operator.ts';

export const kCopyWorkgroupSize = 64;

/** Most workgroups one copy or fill launches; the shader's grid-stride loop covers the rest. */
const kMaxCopyWorkgroups = 4096;

function checkVec4s(...buffers: GPUBuffer[]): void {
  const odd = buffers.find((buffer) => buffer.size % 16 !== 0);
  if (odd) throw new RangeError(`copy and fill need whole vec4s, got ${odd.size} bytes in ${odd.label}`);
}

export class CopyKernel {
  readonly device: GPUDevice;
  readonly workgroupSize: number;
  /** Group 0 of copy_vec4: source (read-only storage) and destination (storage). */
  readonly copyLayout: GPUBindGroupLayout;
  /** Group 0 of fill_vec4: the destination alone, at binding 1. */
  readonly fillLayout: GPUBindGroupLayout;
  #copyPipeline?: GPUComputePipeline;
  #fillPipeline?: GPUComputePipeline;
  readonly #copyGroups = new WeakMap<GPUBuffer, WeakMap<GPUBuffer, GPUBindGroup>>();
  readonly #fillGroups = new WeakMap<GPUBuffer, GPUBindGroup>();

  constructor(device: GPUDevice, workgroupSize = kCopyWorkgroupSize) {
    this.device = device;
    this.workgroupSize = checkWorkgroupSize(device, workgroupSize, false);
    const source: GPUBindGroupLayoutEntry = {
      binding: 0,
      visibility: GPUShaderStage.COMPUTE,
      buffer: { type: 'read-only-storage' },
    };
    const destination: GPUBindGroupLayoutEntry = {
      binding: 1,
      visibility: GPUShaderStage.COMPUTE,
      buffer: { type: 'storage' },
    };
    this.copyLayout = device.createBindGroupLayout({
      label: 'Copy.copyLayout',
      entries: [source, destination],
    });
    this.fillLayout = device.createBindGroupLayout({
      label: 'Copy.fillLayout',
      entries: [destination],
    });
  }

  #pipeline(entryPoint: 'copy_vec4' | 'fill_vec4', layout: GPUBindGroupLayout): GPUComputePipeline {
    return this.device.createComputePipeline({
      label: `Copy.${entryPoint}`,
      layout: this.device.createPipelineLayout({
        label: `Copy.${entryPoint}.pipelineLayout`,
        bindGroupLayouts: [layout],
      }),
      compute: {
        module: shaderModule(this.device, 'copy'),
        entryPoint,
        constants: { workgroupSize: this.workgroupSize },
      },
    });
  }

  #dispatch(
    encoder: GPUCommandEncoder,
    label: string,
    pipeline: GPUComputePipeline,
    bindGroup: GPUBindGroup,
    vec4s: number,
    timestampWrites?: GPUComputePassTimestampWrites,
  ): void {
    const pass = encoder.beginComputePass({ label, timestampWrites });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(Math.min(Math.ceil(vec4s / this.workgroupSize), kMaxCopyWorkgroups));
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
      bindGroup = this.device.createBindGroup({
        label: `Copy.bindGroup(${source.label}, ${destination.label})`,
        layout: this.copyLayout,
        entries: [
          { binding: 0, resource: { buffer: source } },
          { binding: 1, resource: { buffer: destination } },
        ],
      });
      byDestination.set(destination, bindGroup);
    }
    this.#copyPipeline ??= this.#pipeline('copy_vec4', this.copyLayout);
    const vec4s = Math.min(source.size, destination.size) / 16;
    this.#dispatch(encoder, 'Copy.pass', this.#copyPipeline, bindGroup, vec4s, timestampWrites);
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
      bindGroup = this.device.createBindGroup({
        label: `Copy.fillGroup(${destination.label})`,
        layout: this.fillLayout,
        entries: [{ binding: 1, resource: { buffer: destination } }],
      });
      this.#fillGroups.set(destination, bindGroup);
    }
    this.#fillPipeline ??= this.#pipeline('fill_vec4', this.fillLayout);
    const vec4s = destination.size / 16;
    this.#dispatch(encoder, 'Copy.fillPass', this.#fillPipeline, bindGroup, vec4s, timestampWrites);
  }
}
