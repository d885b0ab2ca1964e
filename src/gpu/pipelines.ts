// Explicit bind-group layouts and lazily built, cached compute pipelines for the entry points of one
// shader module: the plumbing every Krylov kernel host module (src/kernels/blas.ts, reduce.ts,
// krylov.ts) builds its dispatches on.
import { shaderModule, type ShaderName } from './shaders.ts';

/** What a binding is, for an explicit layout: the params uniform, or storage read / read-write. */
export type BindingKind = 'uniform' | 'read' | 'write';

/** A compute bind-group layout with the given bindings; the uniform's minimum size is checked. */
export function computeLayout(
  device: GPUDevice,
  label: string,
  bindings: Readonly<Record<number, BindingKind>>,
  uniformBytes: number,
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

/**
 * The entry points of one shader module that a host module dispatches: each gets an explicit
 * layout (entry points with the same bindings share one, so their bind groups are interchangeable)
 * and a pipeline built on first use and cached, labelled '<family>.<entry>', with the workgroup
 * size and other overrides set through `constants:`.
 */
export class ShaderEntries<Entry extends string> {
  readonly device: GPUDevice;
  readonly family: string;
  readonly #shader: ShaderName;
  readonly #bindings: Readonly<Record<Entry, Readonly<Record<number, BindingKind>>>>;
  readonly #uniformBytes: number;
  readonly #constants: Record<string, number>;
  readonly #layouts = new Map<string, GPUBindGroupLayout>();
  readonly #pipelines = new Map<Entry, GPUComputePipeline>();

  constructor(
    device: GPUDevice,
    family: string,
    shader: ShaderName,
    bindings: Readonly<Record<Entry, Readonly<Record<number, BindingKind>>>>,
    uniformBytes: number,
    constants: Record<string, number> = {},
  ) {
    this.device = device;
    this.family = family;
    this.#shader = shader;
    this.#bindings = bindings;
    this.#uniformBytes = uniformBytes;
    this.#constants = constants;
  }

  layout(entry: Entry): GPUBindGroupLayout {
    const bindings = this.#bindings[entry];
    const key = JSON.stringify(bindings);
    let layout = this.#layouts.get(key);
    if (!layout) {
      const label = `${this.family}.layout[${this.#layouts.size}]`;
      layout = computeLayout(this.device, label, bindings, this.#uniformBytes);
      this.#layouts.set(key, layout);
    }
    return layout;
  }

  pipeline(entry: Entry): GPUComputePipeline {
    let pipeline = this.#pipelines.get(entry);
    if (!pipeline) {
      const label = `${this.family}.${entry}`;
      pipeline = this.device.createComputePipeline({
        label,
        layout: this.device.createPipelineLayout({
          label: `${label}.pipelineLayout`,
          bindGroupLayouts: [this.layout(entry)],
        }),
        compute: {
          module: shaderModule(this.device, this.#shader),
          entryPoint: entry,
          constants: this.#constants,
        },
      });
      this.#pipelines.set(entry, pipeline);
    }
    return pipeline;
  }

  /** Builds every pipeline now (inside the caller's error scopes), not in the first record(). */
  warm(): void {
    for (const entry of Object.keys(this.#bindings) as Entry[]) this.pipeline(entry);
  }

  createBindGroup(label: string, entry: Entry, entries: GPUBindGroupEntry[]): GPUBindGroup {
    return this.device.createBindGroup({ label, layout: this.layout(entry), entries });
  }

  /**
   * Records one dispatch into an open compute pass. The Krylov solvers put a whole iteration's BLAS,
   * reductions and scalar kernels into one pass (a dispatch sees the writes of the ones before it),
   * because SwiftShader pays for every pass.
   */
  dispatch(pass: GPUComputePassEncoder, entry: Entry, bindGroup: GPUBindGroup, x: number, y = 1): void {
    pass.setPipeline(this.pipeline(entry));
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y);
  }
}
