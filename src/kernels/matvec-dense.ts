// Host side of shaders/matvec_dense.wgsl and matvec_dense_subgroup.wgsl: y = M x = D x + eps T x over
// the row blocks of a stored T (layout in mass-matrix.ts), with the diagonal D a vector and eps a
// uniform, in one of the three DenseMatvecVariants of src/gpu/profile.ts.
import { kDenseMatvecVariants, type DenseMatvecVariant } from '../gpu/profile.ts';
import { ShaderEntries, checkWorkgroupSize, workgroupCount } from '../gpu/pipelines.ts';
import { beginMatvecPass, matvecSharedLayouts, type MatvecOptions } from './operator.ts';

/** The variants `device` can run: 'subgroup' needs the subgroups feature. */
export function denseMatvecVariants(device: GPUDevice): DenseMatvecVariant[] {
  return kDenseMatvecVariants.filter((variant) => variant !== 'subgroup' || device.features.has('subgroups'));
}

/** Rows one 'rows' thread computes: kRowsPerThread of matvec_dense.wgsl. */
export const kRowsPerThread = 8;

/**
 * The WGSL `workgroupSize` override (a power of two for the reductions); 'subgroup' takes the
 * adapter's largest subgroup size instead where that is larger, so that subgroups are whole.
 */
export const kDenseMatvecWorkgroupSize = 64;

/** Byte size of the WGSL struct DenseParams (a test checks the two agree). */
export const kDenseParamsBytes = 32;

/** Byte offset of DenseParams.epsilon, which a sweep over eps rewrites alone. */
export const kDenseEpsilonOffset = 16;

export interface DenseParams {
  readonly rowStart: number;
  readonly rowCount: number;
  readonly size: number;
  readonly chunks: number;
  readonly epsilon: number;
}

export function packDenseParams(params: DenseParams): ArrayBuffer {
  const view = new DataView(new ArrayBuffer(kDenseParamsBytes));
  view.setUint32(0, params.rowStart, true); // rowStart: the block's first row, where its part of y starts
  view.setUint32(4, params.rowCount, true); // rowCount: rows in the block
  view.setUint32(8, params.size, true); // size: length of x and y; stored columns past it are zero pad
  view.setUint32(12, params.chunks, true); // chunks: vec4s per stored row (the row stride / 4)
  view.setFloat32(kDenseEpsilonOffset, params.epsilon, true); // epsilon: eps = r_e / R (eq. 49/50)
  // pad0, pad1, pad2: the struct is rounded up to 16 bytes, the uniform alignment.
  return view.buffer;
}

/**
 * The adapter's largest subgroup size (GPUAdapterInfo.subgroupMaxSize, which browsers before 2025
 * lack on device.adapterInfo: then 1, and the workgroup size is taken on trust).
 */
export function largestSubgroupSize(device: GPUDevice): number {
  const info = device.adapterInfo as GPUAdapterInfo | undefined;
  return info?.subgroupMaxSize ?? 1;
}

/** One row block as the matvec sees it: its group-0 bind group and row count. */
export interface DenseBlockBinding {
  readonly bindGroup: GPUBindGroup;
  readonly rowCount: number;
}

const kEntryPoints = {
  rows: 'matvec_dense_rows',
  workgroup: 'matvec_dense_workgroup',
  subgroup: 'matvec_dense_subgroup',
} as const satisfies Record<DenseMatvecVariant, string>;

type DenseEntry = (typeof kEntryPoints)[DenseMatvecVariant];

export class DenseMatvecKernel {
  readonly device: GPUDevice;
  readonly variant: DenseMatvecVariant;
  readonly workgroupSize: number;
  /**
   * The variant's entry point: group 0 a row block's DenseParams (uniform), entries of T and the
   * diagonal D (read-only storage); groups 1 and 2 the matvecs' shared vector pair and guard.
   */
  readonly entries: ShaderEntries<string>;
  readonly #entry: DenseEntry;

  constructor(device: GPUDevice, variant: DenseMatvecVariant, workgroupSize?: number) {
    this.device = device;
    this.variant = variant;
    if (variant === 'subgroup') {
      if (!device.features.has('subgroups')) {
        throw new RangeError("the 'subgroup' dense matvec needs a device with the subgroups feature");
      }
      const largestSubgroup = largestSubgroupSize(device);
      workgroupSize ??= Math.max(kDenseMatvecWorkgroupSize, largestSubgroup);
      if (workgroupSize % largestSubgroup !== 0) {
        throw new RangeError(
          `workgroup size ${workgroupSize} is not a multiple of the largest subgroup size ${largestSubgroup}`,
        );
      }
    }
    this.workgroupSize = checkWorkgroupSize(device, workgroupSize ?? kDenseMatvecWorkgroupSize, true);
    this.#entry = kEntryPoints[variant];
    this.entries = new ShaderEntries(device, {
      family: 'MatvecDense',
      shader: variant === 'subgroup' ? 'matvecDenseSubgroup' : 'matvecDense',
      bindings: { [this.#entry]: { 0: 'uniform', 1: 'read', 2: 'read' } },
      uniformBytes: kDenseParamsBytes,
      constants: { workgroupSize: this.workgroupSize },
      sharedLayouts: matvecSharedLayouts(device),
    });
  }

  /**
   * Binds one block: its params at `paramsOffset` in `params` (a uniform buffer), its entries of T
   * and the whole diagonal D (float32, `size` entries).
   */
  bindBlock(
    label: string,
    params: GPUBuffer,
    paramsOffset: number,
    block: GPUBuffer,
    diagonal: GPUBuffer,
  ): GPUBindGroup {
    return this.entries.createBindGroup(label, this.#entry, [
      { binding: 0, resource: { buffer: params, offset: paramsOffset, size: kDenseParamsBytes } },
      { binding: 1, resource: { buffer: block } },
      { binding: 2, resource: { buffer: diagonal } },
    ]);
  }

  /** y = D x + eps T x as one compute pass with one dispatch per row block. */
  record(
    encoder: GPUCommandEncoder,
    blocks: readonly DenseBlockBinding[],
    x: GPUBuffer,
    y: GPUBuffer,
    options?: MatvecOptions,
  ): void {
    const label = `MatvecDense.pass.${this.variant}`;
    const pass = beginMatvecPass(this.device, encoder, label, x, y, options);
    for (const block of blocks) {
      // 'rows': a thread per kRowsPerThread rows. 'workgroup', 'subgroup': a workgroup per row (the shader's
      // grid-stride loop would take more rows than the limit, but a block never has more than it;
      // see mass-matrix.ts).
      const items =
        this.variant === 'rows'
          ? Math.ceil(block.rowCount / kRowsPerThread)
          : block.rowCount * this.workgroupSize;
      this.entries.dispatch(
        pass,
        this.#entry,
        block.bindGroup,
        workgroupCount(this.device, items, this.workgroupSize),
      );
    }
    pass.end();
  }
}
