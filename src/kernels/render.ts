// Host side of shaders/render.wgsl: the electrons as discs (one draw call for any N) and optional
// arrows, read from one storage buffer of particles, all of them or one in s. The app packs the
// particles and the camera; this module owns the bind-group layout, the two render pipelines and the
// uniform packer.
import { createBuffer } from '../gpu/buffers.ts';
import { shaderModule } from '../gpu/shaders.ts';

/**
 * Which per-electron quantity a colour or an arrow shows (the WGSL constants kNone .. kCurrent): the
 * vectors v, p and p - v, or `current`, the scalar a response run induced (colour only, no arrow).
 */
export const kQuantityCodes = { none: 0, velocity: 1, momentum: 2, darwin: 3, current: 4 } as const;
export type RenderQuantity = keyof typeof kQuantityCodes;
/** The quantities an arrow can show: the vectors. */
export type ArrowQuantity = Exclude<RenderQuantity, 'current'>;

/**
 * Floats per electron in the particles buffer: position, velocity, momentum as vec4; the position's w
 * holds the induced speed |v_i| of a response run (`current`), the other two w are unused.
 */
export const kParticleFloats = 12;

/** Byte size of the WGSL struct RenderParams (the layout's minBindingSize enforces it). */
export const kRenderParamsBytes = 112;

export interface RenderParams {
  /** Clip-space from world (units of R), column-major as wgpu-matrix stores it. */
  readonly viewProjection: Float32Array;
  readonly viewportPixels: readonly [number, number];
  readonly pointPixels: number;
  /** World length of an arrow per unit of its vector. */
  readonly arrowScale: number;
  /** The scalar range the colour map spans; colourMax > colourMin. */
  readonly colourMin: number;
  readonly colourMax: number;
  readonly colourBy: RenderQuantity;
  readonly arrowOf: ArrowQuantity;
  /** One disc per discStride electrons (drawStride), the one drawnElectron picks. */
  readonly discStride: number;
  /**
   * One arrow per arrowStride electrons: a multiple of discStride, so that every arrow has its disc
   * (the shader picks one disc block of the arrow's as drawnElectron picks a block's electron).
   */
  readonly arrowStride: number;
  /** Sphere-like shading of the discs (3D views). */
  readonly shaded: boolean;
  /** Electrons in the particles buffer. */
  readonly count: number;
}

export function packRenderParams(params: RenderParams): ArrayBuffer {
  const discStride = Math.max(1, Math.floor(params.discStride));
  const arrowStride = Math.max(1, Math.floor(params.arrowStride));
  if (arrowStride % discStride !== 0)
    throw new RangeError(`arrowStride ${arrowStride} is not a multiple of discStride ${discStride}`);
  const buffer = new ArrayBuffer(kRenderParamsBytes);
  const view = new DataView(buffer);
  new Float32Array(buffer, 0, 16).set(params.viewProjection); // viewProjection: mat4x4, offset 0
  view.setFloat32(64, params.viewportPixels[0], true); // viewportPixels.x: canvas width, pixels
  view.setFloat32(68, params.viewportPixels[1], true); // viewportPixels.y: canvas height, pixels
  view.setFloat32(72, params.pointPixels, true); // pointPixels: disc diameter, pixels
  view.setFloat32(76, params.arrowScale, true); // arrowScale: world length per unit vector
  view.setFloat32(80, params.colourMin, true); // colourMin: scalar at the first colour
  view.setFloat32(84, params.colourMax, true); // colourMax: scalar at the last colour
  view.setUint32(88, kQuantityCodes[params.colourBy], true); // colourBy: quantity code
  view.setUint32(92, kQuantityCodes[params.arrowOf], true); // arrowOf: quantity code
  view.setUint32(96, arrowStride, true); // arrowStride: a multiple of discStride
  view.setUint32(100, params.shaded ? 1 : 0, true); // shaded: 0 or 1
  view.setUint32(104, params.count, true); // count: electrons in the buffer
  view.setUint32(108, discStride, true); // discStride: >= 1
  return buffer;
}

/**
 * Every how many of `count` electrons one is drawn so that at most `most` are: 1 (all) where they fit.
 * One of each s consecutive in the index order is spread over the configuration, since every
 * geometry's formula (src/physics/geometry.ts) walks its whole extent evenly (a file's electrons go
 * in the file's order).
 */
export function drawStride(count: number, most: number): number {
  return Math.max(1, Math.ceil(count / most));
}

/** lowbias32, as blockHash in shaders/render.wgsl. */
function blockHash(block: number): number {
  let x = block >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * The electron the shader draws for disc `block` (0 .. ceil(count / stride) - 1) at one in `stride`
 * of `count`: one of the block's stride consecutive electrons (fewer in the last block), picked by a
 * hash of the block rather than every stride-th, since every s-th point of a spiral or a lattice is a
 * spiral or a lattice again (drawnElectron in shaders/render.wgsl, which this mirrors, says more).
 */
export function drawnElectron(block: number, stride: number, count: number): number {
  if (stride === 1) return block;
  const first = block * stride;
  return first + (blockHash(block) % Math.min(stride, count - first));
}

/**
 * The electron the shader draws arrow `block` (0 .. ceil(count / arrowStride) - 1) at: the electron of
 * one of the arrow's arrowStride / discStride disc blocks, picked as drawnElectron picks a block's
 * electron, so that every arrow has its disc (arrowElectron in shaders/render.wgsl; its mirror).
 */
export function arrowElectron(block: number, discStride: number, arrowStride: number, count: number): number {
  const discBlock = drawnElectron(block, arrowStride / discStride, Math.ceil(count / discStride));
  return drawnElectron(discBlock, discStride, count);
}

/**
 * Where one frame is drawn: a colour and depth target of the renderer's sampleCount; a multisampled
 * colour is resolved into `resolve` (the canvas), a single-sampled one is the canvas itself.
 */
export interface RenderTarget {
  readonly colour: GPUTextureView;
  readonly resolve?: GPUTextureView;
  readonly depth: GPUTextureView;
}

export const kRenderDepthFormat: GPUTextureFormat = 'depth24plus';

/** Vertices a disc (one triangle about it) and an arrow (three lines), as shaders/render.wgsl draws them. */
const kDiscVertices = 3;
const kArrowVertices = 6;

export class ParticleRenderer {
  readonly device: GPUDevice;
  readonly format: GPUTextureFormat;
  readonly sampleCount: number;
  readonly layout: GPUBindGroupLayout;
  readonly #pipelineLayout: GPUPipelineLayout;
  readonly #params: GPUBuffer;
  readonly #colourMap: GPUBuffer;
  #particles: GPUBuffer;
  #count = 0;
  #bindGroup: GPUBindGroup | null = null;
  #pointPipeline?: GPURenderPipeline;
  #arrowPipeline?: GPURenderPipeline;

  /** colourMap: 256 (or any number of) RGBA entries in [0, 1]; sampleCount: the targets' (the profile's). */
  constructor(device: GPUDevice, format: GPUTextureFormat, colourMap: Float32Array, sampleCount: number) {
    this.device = device;
    this.format = format;
    this.sampleCount = sampleCount;
    const visibility = GPUShaderStage.VERTEX | GPUShaderStage.FRAGMENT;
    this.layout = device.createBindGroupLayout({
      label: 'Render.layout',
      entries: [
        { binding: 0, visibility, buffer: { type: 'uniform', minBindingSize: kRenderParamsBytes } },
        { binding: 1, visibility: GPUShaderStage.VERTEX, buffer: { type: 'read-only-storage' } },
        { binding: 2, visibility: GPUShaderStage.VERTEX, buffer: { type: 'read-only-storage' } },
      ],
    });
    this.#pipelineLayout = device.createPipelineLayout({
      label: 'Render.pipelineLayout',
      bindGroupLayouts: [this.layout],
    });
    this.#params = createBuffer(device, {
      label: 'Render.params',
      size: kRenderParamsBytes,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    this.#colourMap = createBuffer(device, {
      label: 'Render.colourMap',
      size: colourMap.byteLength,
      usage: GPUBufferUsage.STORAGE,
      data: colourMap,
    });
    this.#particles = this.#createParticles(1);
  }

  /** Builds both pipelines now (inside the caller's error scopes) rather than at the first frame. */
  warm(): void {
    void this.#points;
    void this.#arrows;
  }

  /**
   * Replaces the particles: `count` electrons of kParticleFloats floats each. The buffer only
   * grows, so that a run that changes velocities at fixed N reuses it.
   */
  setParticles(data: Float32Array, count: number): void {
    if (data.length < count * kParticleFloats)
      throw new RangeError(`${count} particles need ${count * kParticleFloats} floats, got ${data.length}`);
    const bytes = Math.max(count, 1) * kParticleFloats * 4;
    if (this.#particles.size < bytes) {
      this.#particles.destroy();
      this.#particles = this.#createParticles(Math.max(count, 1));
      this.#bindGroup = null;
    }
    if (count > 0) this.device.queue.writeBuffer(this.#particles, 0, data, 0, count * kParticleFloats);
    this.#count = count;
  }

  /**
   * Drops the particles and their buffer, one the device refused (an invalid buffer fails every frame
   * that binds it): nothing is drawn until setParticles, which allocates anew.
   */
  releaseParticles(): void {
    this.#particles.destroy();
    this.#particles = this.#createParticles(1);
    this.#bindGroup = null;
    this.#count = 0;
  }

  /**
   * Draws the discs (and the arrows when params.arrowOf is not 'none') into one render pass. Neither
   * draw is instanced: the shader finds the electron from the vertex index, since SwiftShader sets up
   * each instance of a draw anew, which makes a frame of instanced discs several times slower (a
   * GPU draws both alike).
   */
  record(encoder: GPUCommandEncoder, target: RenderTarget, params: RenderParams, clear: GPUColor): void {
    this.device.queue.writeBuffer(this.#params, 0, packRenderParams({ ...params, count: this.#count }));
    const pass = encoder.beginRenderPass({
      label: 'Render.pass',
      colorAttachments: [
        {
          view: target.colour,
          resolveTarget: target.resolve,
          clearValue: clear,
          loadOp: 'clear',
          storeOp: target.resolve ? 'discard' : 'store',
        },
      ],
      depthStencilAttachment: {
        view: target.depth,
        depthClearValue: 1,
        depthLoadOp: 'clear',
        depthStoreOp: 'discard',
      },
    });
    if (this.#count > 0) {
      pass.setBindGroup(0, this.#group);
      pass.setPipeline(this.#points);
      pass.draw(kDiscVertices * this.#drawn(params.discStride));
      if (params.arrowOf !== 'none') {
        pass.setPipeline(this.#arrows);
        pass.draw(kArrowVertices * this.#drawn(params.arrowStride));
      }
    }
    pass.end();
  }

  /** Electrons drawn at one in `stride`, as the packer rounds it: one a block of stride (drawnElectron). */
  #drawn(stride: number): number {
    return Math.ceil(this.#count / Math.max(1, Math.floor(stride)));
  }

  destroy(): void {
    this.#particles.destroy();
    this.#params.destroy();
    this.#colourMap.destroy();
  }

  #createParticles(count: number): GPUBuffer {
    return createBuffer(this.device, {
      label: 'Render.particles',
      size: count * kParticleFloats * 4,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
  }

  get #group(): GPUBindGroup {
    return (this.#bindGroup ??= this.device.createBindGroup({
      label: 'Render.bindGroup',
      layout: this.layout,
      entries: [
        { binding: 0, resource: { buffer: this.#params } },
        { binding: 1, resource: { buffer: this.#particles } },
        { binding: 2, resource: { buffer: this.#colourMap } },
      ],
    }));
  }

  get #points(): GPURenderPipeline {
    return (this.#pointPipeline ??= this.#pipeline('points', 'point', 'triangle-list'));
  }

  get #arrows(): GPURenderPipeline {
    return (this.#arrowPipeline ??= this.#pipeline('arrows', 'arrow', 'line-list'));
  }

  #pipeline(name: string, entry: string, topology: GPUPrimitiveTopology): GPURenderPipeline {
    const module = shaderModule(this.device, 'render');
    return this.device.createRenderPipeline({
      label: `Render.${name}`,
      layout: this.#pipelineLayout,
      vertex: { module, entryPoint: `${entry}_vertex` },
      fragment: { module, entryPoint: `${entry}_fragment`, targets: [{ format: this.format }] },
      primitive: { topology },
      depthStencil: { format: kRenderDepthFormat, depthWriteEnabled: true, depthCompare: 'less-equal' },
      multisample: { count: this.sampleCount },
    });
  }
}
