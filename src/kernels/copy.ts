// Host side of shaders/copy.wgsl: a vec4 copy kernel, the bench's bandwidth reference for the
// dense matvec (which reads the matrix once and so cannot beat a copy's read stream).
import { shaderModule } from '../gpu/shaders.ts';
import { checkWorkgroupSize } from './operator.ts';

export const kCopyWorkgroupSize = 64;

/** Most workgroups one copy launches; the shader's grid-stride loop covers the rest. */
const kMaxCopyWorkgroups = 4096;

export class CopyKernel {
  readonly device: GPUDevice;
  readonly workgroupSize: number;
  readonly bindGroupLayout: GPUBindGroupLayout;
  #pipeline?: GPUComputePipeline;
  readonly #bindGroups = new WeakMap<GPUBuffer, WeakMap<GPUBuffer, GPUBindGroup>>();

  constructor(device: GPUDevice, workgroupSize = kCopyWorkgroupSize) {
    this.device = device;
    this.workgroupSize = checkWorkgroupSize(device, workgroupSize, false);
    this.bindGroupLayout = device.createBindGroupLayout({
      label: 'Copy.layout',
      entries: [
        { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'read-only-storage' } },
        { binding: 1, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'storage' } },
      ],
    });
  }

  get pipeline(): GPUComputePipeline {
    return (this.#pipeline ??= this.device.createComputePipeline({
      label: 'Copy.vec4',
      layout: this.device.createPipelineLayout({
        label: 'Copy.pipelineLayout',
        bindGroupLayouts: [this.bindGroupLayout],
      }),
      compute: {
        module: shaderModule(this.device, 'copy'),
        entryPoint: 'copy_vec4',
        constants: { workgroupSize: this.workgroupSize },
      },
    }));
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
    if (source.size % 16 !== 0 || destination.size % 16 !== 0) {
      throw new RangeError(
        `copy needs sizes that are multiples of 16 bytes, got ${source.size} and ${destination.size}`,
      );
    }
    let byDestination = this.#bindGroups.get(source);
    if (!byDestination) this.#bindGroups.set(source, (byDestination = new WeakMap()));
    let bindGroup = byDestination.get(destination);
    if (!bindGroup) {
      bindGroup = this.device.createBindGroup({
        label: `Copy.bindGroup(${source.label}, ${destination.label})`,
        layout: this.bindGroupLayout,
        entries: [
          { binding: 0, resource: { buffer: source } },
          { binding: 1, resource: { buffer: destination } },
        ],
      });
      byDestination.set(destination, bindGroup);
    }
    const vec4s = Math.min(source.size, destination.size) / 16;
    const pass = encoder.beginComputePass({ label: 'Copy.pass', timestampWrites });
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(Math.min(Math.ceil(vec4s / this.workgroupSize), kMaxCopyWorkgroups));
    pass.end();
  }
}
