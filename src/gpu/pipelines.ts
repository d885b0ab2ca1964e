// The one way a kernel host module (src/kernels/*) builds on its shader: explicit bind-group
// layouts, pipelines built on first use and cached, labels 'Family.thing', overrides (the workgroup
// size) set through `constants:`, and dispatches recorded into a compute pass the host opens, so
// that many kernels share one pass and one command buffer; and the checks of a workgroup size and
// count against the device that every host makes.
import { shaderModule, type GeneratedShader, type ShaderName } from './shaders.ts';

/** What a binding is, for an explicit layout: the params uniform, or storage read / read-write. */
export type BindingKind = 'uniform' | 'read' | 'write';

/** The bindings of one bind group, by binding number. */
export type GroupBindings = Readonly<Record<number, BindingKind>>;

/** A compute bind-group layout with the given bindings; the uniform's minimum size is checked. */
export function computeLayout(
  device: GPUDevice,
  label: string,
  bindings: GroupBindings,
  uniformBytes = 0,
): GPUBindGroupLayout {
  const kinds: Record<BindingKind, GPUBufferBindingLayout> = {
    uniform: { type: 'uniform', minBindingSize: uniformBytes },
    read: { type: 'read-only-storage' },
    write: { type: 'storage' },
  };
  return device.createBindGroupLayout({
    label,
    entries: Object.entries(bindings).map(([binding, kind]) => ({
      binding: Number(binding),
      visibility: GPUShaderStage.COMPUTE,
      buffer: kinds[kind],
    })),
  });
}

export interface ShaderEntriesSpec<Entry extends string> {
  /** The 'Family' of every label: 'Blas', 'MatvecFree', ... */
  readonly family: string;
  readonly shader: ShaderName | GeneratedShader;
  /** Each entry point's group 0. Entry points with the same bindings share one layout. */
  readonly bindings: Readonly<Record<Entry, GroupBindings>>;
  /**
   * Byte size of the params uniform struct, the uniform's minBindingSize: pipeline creation fails
   * if the WGSL struct outgrows its packer.
   */
  readonly uniformBytes?: number;
  /** Pipeline-overridable constants, the workgroup size above all. */
  readonly constants?: Record<string, number>;
  /** Groups 1, 2, ... of every entry point, layouts shared with other shaders (operator.ts). */
  readonly sharedLayouts?: readonly GPUBindGroupLayout[];
}

/**
 * The entry points of one shader module that a host module dispatches: each gets an explicit
 * layout for its group 0 (entry points with the same bindings share one, so their bind groups are
 * interchangeable) after which come the shared groups, and a pipeline built on first use and
 * cached, labelled '<family>.<entry>'.
 *
 * A host made per backend (the assembly, the dense and matrix-free products, Biot-Savart) asks for
 * its pipeline again at every point of a sweep and keeps no cache of its own: Dawn deduplicates its
 * objects by content, so a descriptor equal to that of a pipeline still alive (the point before's,
 * until the collector finalizes it) gets that pipeline back without a compile. What would cost
 * seconds to compile again (tree.ts's passes) or what every engine uses (engine/krylov.ts) is held
 * per device instead.
 */
export class ShaderEntries<Entry extends string> {
  readonly device: GPUDevice;
  readonly family: string;
  readonly #spec: ShaderEntriesSpec<Entry>;
  readonly #layouts = new Map<string, GPUBindGroupLayout>();
  readonly #pipelines = new Map<Entry, GPUComputePipeline>();

  constructor(device: GPUDevice, spec: ShaderEntriesSpec<Entry>) {
    this.device = device;
    this.family = spec.family;
    this.#spec = spec;
  }

  /** `entry`'s group 0 as its spec declares it. */
  bindings(entry: Entry): GroupBindings {
    return this.#spec.bindings[entry];
  }

  /** The layout of `entry`'s group 0. */
  layout(entry: Entry): GPUBindGroupLayout {
    const bindings = this.#spec.bindings[entry];
    const key = JSON.stringify(bindings);
    let layout = this.#layouts.get(key);
    if (!layout) {
      const label = `${this.family}.layout[${this.#layouts.size}]`;
      layout = computeLayout(this.device, label, bindings, this.#spec.uniformBytes);
      this.#layouts.set(key, layout);
    }
    return layout;
  }

  pipeline(entry: Entry): GPUComputePipeline {
    let pipeline = this.#pipelines.get(entry);
    if (!pipeline) {
      pipeline = this.device.createComputePipeline(this.#descriptor(entry));
      this.#pipelines.set(entry, pipeline);
    }
    return pipeline;
  }

  /**
   * Builds `entry`'s pipeline with createComputePipelineAsync, where the implementation may compile
   * it off the caller's thread: a long compile (seconds on SwiftShader) then leaves the event loop
   * free, so that a signal's handler runs during it.
   */
  async warmAsync(entry: Entry): Promise<void> {
    if (this.#pipelines.has(entry)) return;
    const pipeline = await this.device.createComputePipelineAsync(this.#descriptor(entry));
    this.#pipelines.set(entry, pipeline);
  }

  #descriptor(entry: Entry): GPUComputePipelineDescriptor {
    const label = `${this.family}.${entry}`;
    return {
      label,
      layout: this.device.createPipelineLayout({
        label: `${label}.pipelineLayout`,
        bindGroupLayouts: [this.layout(entry), ...(this.#spec.sharedLayouts ?? [])],
      }),
      compute: {
        module: shaderModule(this.device, this.#spec.shader),
        entryPoint: entry,
        constants: this.#spec.constants ?? {},
      },
    };
  }

  /** Builds every entry point's pipeline now, inside the caller's error scopes, not in the first record(). */
  warm(): void {
    for (const entry of Object.keys(this.#spec.bindings) as Entry[]) this.pipeline(entry);
  }

  /** A group-0 bind group for `entry` (and every entry point with the same bindings). */
  createBindGroup(label: string, entry: Entry, entries: GPUBindGroupEntry[]): GPUBindGroup {
    return this.device.createBindGroup({ label, layout: this.layout(entry), entries });
  }

  /**
   * Records one dispatch into an open compute pass, with `bindGroup` as group 0; the shared groups
   * are the caller's to set. The Krylov solvers put a whole iteration's BLAS, reductions and scalar
   * kernels into one pass (a dispatch sees the writes of the ones before it), because SwiftShader
   * pays for every pass.
   */
  dispatch(pass: GPUComputePassEncoder, entry: Entry, bindGroup: GPUBindGroup, x: number, y = 1): void {
    pass.setPipeline(this.pipeline(entry));
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y);
  }
}

/**
 * Checks a workgroup size against the device (and, for tree reductions, that it is a power of
 * two); a bad one is a programming error, so it throws RangeError rather than GpuError.
 */
export function checkWorkgroupSize(device: GPUDevice, size: number, powerOfTwo: boolean): number {
  const limit = Math.min(
    device.limits.maxComputeInvocationsPerWorkgroup,
    device.limits.maxComputeWorkgroupSizeX,
  );
  if (!Number.isInteger(size) || size < 1 || size > limit) {
    throw new RangeError(`workgroup size ${size} is outside 1..${limit}`);
  }
  if (powerOfTwo && (size & (size - 1)) !== 0)
    throw new RangeError(`workgroup size ${size} is not a power of two`);
  return size;
}

/** Workgroups to cover `items` with `workgroupSize` threads each, within the per-dimension limit. */
export function workgroupCount(device: GPUDevice, items: number, workgroupSize: number): number {
  const count = Math.ceil(items / workgroupSize);
  const limit = device.limits.maxComputeWorkgroupsPerDimension;
  if (count > limit)
    throw new RangeError(`${count} workgroups exceed the device limit of ${limit} per dimension`);
  return count;
}
