// The canvas: a WebGPU swap chain drawn by ParticleRenderer, an orbit or pan/zoom camera driven by the
// pointer, and the colour legend over it. Frames are drawn on demand (a camera move, new data, a
// resize), never in a busy loop, so that the GPU's time goes to the solver between them. A CPU
// adapter draws at most its profile's drawBudget electrons a frame (src/gpu/profile.ts), and says so.
import { withErrorScopes, withErrorScopesAtOnce, type GpuContext, type GpuError } from '../gpu/device.ts';
import {
  drawStride,
  kRenderDepthFormat,
  ParticleRenderer,
  type ArrowQuantity,
  type RenderQuantity,
  type RenderTarget,
} from '../kernels/render.ts';
import type { DarwinSystem } from '../physics/models.ts';
import { bounds, OrbitCamera, PlaneCamera, typicalSpacing, type Camera, type ViewMode } from './camera.ts';
import { drawLegend, legendText, viridisTable, type LegendContent } from './colour.ts';
import {
  arrowScale,
  packParticles,
  quantityRange,
  type ColourRange,
  type ShownQuantity,
} from './particles.ts';

export interface DisplayOptions {
  colourBy: RenderQuantity;
  arrows: ArrowQuantity;
  /** Multiplies the automatic disc size. */
  pointScale: number;
  view: 'auto' | ViewMode;
}

const kBackground: GPUColor = { r: 0.06, g: 0.075, b: 0.11, a: 1 };
/** Arrows drawn at most; denser clouds get one arrow per so many electrons. */
const kMaxArrows = 4000;
/** The longest arrow, in units of the configuration's radius. */
const kLongestArrow = 0.25;

const kLegendTitles: Record<RenderQuantity, string> = {
  none: '',
  velocity: '|v|  speed (R ω)',
  momentum: '|p|  momentum, p = M v (m R ω)',
  darwin: '|p − v|  Darwin part ε T v (m R ω)',
  current: '|v_i|  induced by the response run',
};

/** The colour legend's title: the induced current's names its drive's unit, which the run gave. */
export function legendTitle(quantity: RenderQuantity, speedsUnit: string | null): string {
  const unit = quantity === 'current' && speedsUnit ? ` (units of ${speedsUnit})` : '';
  return kLegendTitles[quantity] + unit;
}

/** A response run's induced speeds |v_i| for the shown electrons, and their unit (its drive's u). */
export interface InducedSpeeds {
  readonly speeds: Float64Array;
  readonly unit: string;
}

/** Why a chosen colour has nothing to colour by yet: the electrons are drawn uncoloured, no legend. */
const kColourWanting: Record<Exclude<RenderQuantity, 'none'>, string> = {
  velocity: 'colour by speed |v|: no velocities yet (Momenta or Solve)',
  momentum: 'colour by momentum |p|: no momenta yet (Momenta or Solve)',
  darwin: 'colour by |p − v|: no velocities and momenta yet (Momenta or Solve)',
  current: 'colour by |v_i|: no response run of these electrons (Studies › Response)',
};

interface Shown {
  system: DarwinSystem;
  particles: Float32Array;
  /** Which of velocities, momenta and a response run's induced speeds the particles hold. */
  hasVelocities: boolean;
  hasMomenta: boolean;
  hasSpeeds: boolean;
  /** The induced speeds' unit, named in the legend. */
  speedsUnit: string | null;
  radius: number;
  /** Typical nearest-neighbour distance, units of R. */
  spacing: number;
  planar: boolean;
  /** Colour ranges and arrow scales, computed once per data rather than once per frame (O(N) each). */
  ranges: Map<ShownQuantity, ColourRange>;
  arrowScales: Map<Exclude<ArrowQuantity, 'none'>, number>;
}

interface Targets {
  readonly colour: GPUTexture | null;
  readonly depth: GPUTexture;
}

/** Whether `targets` are `width` x `height` pixels. */
function sized(targets: Targets, width: number, height: number): boolean {
  return targets.depth.width === width && targets.depth.height === height;
}

/** Pixels of a drag that an arrow key makes: a 9° turn of the orbit. */
const kKeyStep = 20;
const kArrowSteps: Partial<Record<string, readonly [number, number]>> = {
  ArrowLeft: [-1, 0],
  ArrowRight: [1, 0],
  ArrowUp: [0, -1],
  ArrowDown: [0, 1],
};
/** The zoom factor of a key (> 1 zooms out): '=' is '+' unshifted on most layouts. */
const kZoomKeys: Partial<Record<string, number>> = { '+': 1 / 1.25, '=': 1 / 1.25, '-': 1.25 };

/** The arrows' vector in the view's name. */
const kArrowWords: Record<Exclude<ArrowQuantity, 'none'>, string> = {
  velocity: 'v',
  momentum: 'p = M v',
  darwin: 'the Darwin part p − v',
};

/**
 * The view in words, its canvas's name: what is drawn (N, the source, the camera), what colours it
 * with its range, the arrows, and the share drawn where not all are; its pixels hold no text.
 */
export function viewName(view: {
  readonly n: number;
  readonly source: string;
  readonly mode: ViewMode;
  readonly legend: LegendContent | null;
  readonly arrows: ArrowQuantity;
  readonly stride: number;
}): string {
  const { n, source, mode, legend, arrows, stride } = view;
  return (
    `${n} electrons, ${source}, ${mode === '3d' ? '3D' : '2D'} view, ` +
    (legend ? `coloured by ${legendText(legend)}` : 'uncoloured') +
    (arrows === 'none' ? '' : `, arrows along ${kArrowWords[arrows]}`) +
    (stride > 1 ? `, 1 in ${stride} drawn` : '')
  );
}

/** A note beside the legend: its text, hidden where there is none. */
function showNote(element: HTMLElement, note: string): void {
  if (element.textContent !== note) element.textContent = note;
  element.hidden = note === '';
}

export class ParticleView {
  readonly canvas: HTMLCanvasElement;
  readonly #legend: HTMLCanvasElement;
  /** Beside the legend: why the chosen colour is not drawn (kColourWanting). */
  readonly #colourNote: HTMLElement;
  /** Beside the legend: which share of the electrons is drawn, where not all are. */
  readonly #drawNote: HTMLElement;
  #gpu: GpuContext;
  /** Electrons drawn at most a frame: the profile's, or what drawAtMost set. */
  #drawBudget: number;
  readonly #context: GPUCanvasContext;
  readonly #format: GPUTextureFormat;
  readonly #table = viridisTable();
  #renderer: ParticleRenderer | null = null;
  #targets: Targets | null = null;
  /**
   * The canvas size at which a frame failed, its targets refused (reported once, by onError): nothing
   * is drawn at it, so that no frame fails on invalid targets again, until the canvas changes size.
   */
  #refusedSize: { readonly width: number; readonly height: number } | null = null;
  /**
   * Whether the particles' buffer was refused (reported once, by onError), till the next upload: the
   * frames drawn before that verdict arrived failed on it, and are not reported again.
   */
  #particlesRefused = false;
  /** Hears a frame's GPU error (the page shows its message: src/app/session.ts deviceFailed). */
  readonly #onError: (error: GpuError) => void;
  #shown: Shown | null = null;
  #display: DisplayOptions = { colourBy: 'darwin', arrows: 'none', pointScale: 1, view: 'auto' };
  #orbit = new OrbitCamera();
  #plane = new PlaneCamera();
  #scheduled = 0;
  #stopped = false;
  /** Frames submitted, shown as the canvas's data-frames: the e2e tests can tell that drawing happens. */
  #frames = 0;

  constructor(
    gpu: GpuContext,
    canvas: HTMLCanvasElement,
    legend: HTMLCanvasElement,
    colourNote: HTMLElement,
    drawNote: HTMLElement,
    onError: (error: GpuError) => void,
  ) {
    this.#gpu = gpu;
    this.#onError = onError;
    this.#drawBudget = gpu.profile.drawBudget;
    this.canvas = canvas;
    this.#legend = legend;
    this.#colourNote = colourNote;
    this.#drawNote = drawNote;
    const context = canvas.getContext('webgpu');
    if (!context) throw new Error('the canvas has no WebGPU context');
    this.#context = context;
    this.#format = navigator.gpu.getPreferredCanvasFormat();
    this.#context.configure({ device: gpu.device, format: this.#format, alphaMode: 'opaque' });
    new ResizeObserver(() => this.requestFrame()).observe(canvas);
    this.#listen();
  }

  /** Builds the renderer and its pipelines inside error scopes, so a shader fault is one GpuError. */
  async initialise(): Promise<void> {
    const { device } = this.#gpu;
    this.#renderer = await withErrorScopes(device, 'ParticleView.initialise', () => {
      const renderer = new ParticleRenderer(device, this.#format, this.#table, this.#sampleCount);
      renderer.warm();
      return renderer;
    });
  }

  get #sampleCount(): number {
    return this.#gpu.profile.renderSampleCount;
  }

  /**
   * Draws at most `electrons` a frame from the next frame on, in place of the profile's budget: the
   * e2e tests' way to see the subsample at an N that builds in seconds.
   */
  drawAtMost(electrons: number): void {
    this.#drawBudget = electrons;
    this.requestFrame();
  }

  get camera(): Camera {
    return this.#mode === '3d' ? this.#orbit : this.#plane;
  }

  get #mode(): ViewMode {
    if (this.#display.view !== 'auto') return this.#display.view;
    return this.#shown?.planar ? '2d' : '3d';
  }

  /**
   * Shows a system; `reframe` points the cameras at it (a new configuration, not new velocities);
   * `induced`, where a response run has them for this configuration, are what `current` colours by.
   */
  show(
    system: DarwinSystem,
    velocities: Float64Array | null,
    momenta: Float64Array | null,
    reframe: boolean,
    induced: InducedSpeeds | null = null,
  ): void {
    const particles = packParticles(system, velocities, momenta, induced?.speeds ?? null);
    const { n, positions } = system.configuration;
    const { centre, radius } = bounds(positions, n);
    let planar = true;
    for (let i = 0; i < n && planar; i++) planar = positions[3 * i + 2] === 0;
    const first = this.#shown === null;
    const spacing =
      this.#shown?.system.configuration === system.configuration
        ? this.#shown.spacing
        : typicalSpacing(positions, n);
    this.#shown = {
      system,
      particles,
      hasVelocities: velocities !== null,
      hasMomenta: momenta !== null,
      hasSpeeds: induced !== null,
      speedsUnit: induced?.unit ?? null,
      radius,
      spacing,
      planar,
      ranges: new Map(),
      arrowScales: new Map(),
    };
    this.#upload(particles, n);
    if (reframe || first) {
      this.#orbit.frame(centre, radius);
      this.#plane.frame(centre, radius);
    }
    this.requestFrame();
  }

  setDisplay(display: DisplayOptions): void {
    this.#display = { ...display };
    this.requestFrame();
  }

  /** Points the camera back at the whole configuration. */
  reframe(): void {
    if (!this.#shown) return;
    const { n, positions } = this.#shown.system.configuration;
    const { centre, radius } = bounds(positions, n);
    this.camera.frame(centre, radius);
    this.requestFrame();
  }

  /** Stops drawing (the device is gone), until useDevice gives a new one. */
  stop(): void {
    this.#stopped = true;
  }

  /**
   * Draws on `gpu` from now on, a new device after a loss: the canvas reconfigured, the renderer
   * rebuilt and given what was shown, drawing resumed.
   */
  async useDevice(gpu: GpuContext): Promise<void> {
    this.#gpu = gpu;
    this.#drawBudget = gpu.profile.drawBudget;
    this.#targets = null;
    this.#refusedSize = null;
    this.#context.configure({ device: gpu.device, format: this.#format, alphaMode: 'opaque' });
    await this.initialise();
    const shown = this.#shown;
    if (shown) this.#upload(shown.particles, shown.system.configuration.n);
    this.#stopped = false;
    this.requestFrame();
  }

  /**
   * Hands the renderer `n` electrons' particles inside error scopes, as the frames' targets are (a
   * buffer of kParticleFloats floats an electron, ~96 MB at 2·10^6): a device that cannot hold it
   * gives one GpuError naming it, and the renderer drops it rather than fail every frame on it.
   */
  #upload(particles: Float32Array, n: number): void {
    const renderer = this.#renderer;
    if (!renderer) return;
    this.#particlesRefused = false;
    const { error } = withErrorScopesAtOnce(this.#gpu.device, 'ParticleView.particles', () =>
      renderer.setParticles(particles, n),
    );
    void error.then((failure) => {
      // Reported for the particles shown now alone: a later upload has replaced a stale one's buffer.
      if (!failure || this.#renderer !== renderer || this.#shown?.particles !== particles) return;
      renderer.releaseParticles();
      this.#particlesRefused = true;
      this.#onError(failure);
    });
  }

  requestFrame(): void {
    if (this.#scheduled || this.#stopped) return;
    this.#scheduled = requestAnimationFrame(() => {
      this.#scheduled = 0;
      this.#draw();
    });
  }

  /**
   * What a colour or arrow can show now: a quantity once its inputs are known (p - v needs both, the
   * induced current a response run of this configuration).
   */
  #available<Q extends RenderQuantity>(wanted: Q): Q | 'none' {
    const shown = this.#shown;
    if (!shown || wanted === 'none') return 'none';
    const known: Record<RenderQuantity, boolean> = {
      none: false,
      velocity: shown.hasVelocities,
      momentum: shown.hasMomenta,
      darwin: shown.hasVelocities && shown.hasMomenta,
      current: shown.hasSpeeds,
    };
    return known[wanted] ? wanted : 'none';
  }

  #draw(): void {
    const renderer = this.#renderer;
    if (!renderer || this.#stopped) return;
    const ratio = window.devicePixelRatio || 1;
    const limit = this.#gpu.device.limits.maxTextureDimension2D;
    const width = Math.min(limit, Math.max(1, Math.round(this.canvas.clientWidth * ratio)));
    const height = Math.min(limit, Math.max(1, Math.round(this.canvas.clientHeight * ratio)));
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    const refused = this.#refusedSize;
    if (refused?.width === width && refused.height === height) return;
    this.#refusedSize = null;
    // Each frame inside error scopes, popped at once, and the targets (new ones at a new size: a
    // multisampled 4K canvas needs some 260 MB) allocated inside them: a device that cannot hold them
    // gives one GpuError naming them, not an uncaptured error for this frame and every later one.
    const fresh = this.#targets === null || !sized(this.#targets, width, height);
    const { result: targets, error } = withErrorScopesAtOnce(
      this.#gpu.device,
      fresh ? 'ParticleView.targets' : 'ParticleView.frame',
      () => {
        const drawn = this.#ensureTargets(width, height);
        this.#render(renderer, drawn, width, height, ratio);
        return drawn;
      },
    );
    void error.then((failure) => {
      // Reported once for the targets it came with; frames drawn on them before it arrived failed too.
      // A frame drawn from refused particles failed on them, not on its targets (reported already).
      if (!failure || this.#targets !== targets || this.#particlesRefused) return;
      targets.colour?.destroy();
      targets.depth.destroy();
      this.#targets = null;
      this.#refusedSize = { width, height };
      this.#onError(failure);
    });
  }

  /** One frame of the shown system into `targets`, at the canvas's `width` x `height` pixels. */
  #render(renderer: ParticleRenderer, targets: Targets, width: number, height: number, ratio: number): void {
    const shown = this.#shown;
    const n = shown?.system.configuration.n ?? 0;
    const colourBy = this.#available(this.#display.colourBy);
    const wanted = this.#available(this.#display.arrows);
    const range = shown && colourBy !== 'none' ? this.#range(shown, colourBy) : null;
    const scale = shown && wanted !== 'none' ? this.#arrowScale(shown, wanted) : 0;
    // An arrow field that is rounding noise has scale 0: nothing to draw.
    const arrowOf = scale > 0 ? wanted : 'none';
    // The automatic disc size keeps neighbours apart on screen: 0.6 of their typical distance at
    // the camera's target (so zooming in enlarges them), between 1.5 and 16 CSS pixels.
    const spacingPixels =
      (shown?.spacing ?? 1) * this.camera.pixelsPerUnit(this.canvas.clientWidth, this.canvas.clientHeight);
    // A subsample's discs keep the size all the electrons' spacing gives rather than grow by
    // s^(1/dimension) to cover the gaps: what a zoom shows is then the 1 in s the note says.
    const pointPixels = Math.min(16, Math.max(1.5, 0.6 * spacingPixels));
    const discStride = drawStride(n, this.#drawBudget);
    const canvasView = this.#context.getCurrentTexture().createView({ label: 'View.canvasView' });
    const depth = targets.depth.createView({ label: 'View.depthView' });
    const target: RenderTarget = targets.colour
      ? { colour: targets.colour.createView({ label: 'View.colourView' }), resolve: canvasView, depth }
      : { colour: canvasView, depth };
    const encoder = this.#gpu.device.createCommandEncoder({ label: 'View.encoder' });
    renderer.record(
      encoder,
      target,
      {
        viewProjection: this.camera.viewProjection(width, height),
        viewportPixels: [width, height],
        pointPixels: pointPixels * this.#display.pointScale * ratio,
        arrowScale: scale,
        colourMin: range?.min ?? 0,
        colourMax: range?.max ?? 1,
        colourBy,
        arrowOf,
        discStride,
        arrowStride: discStride * drawStride(Math.ceil(n / discStride), kMaxArrows),
        shaded: this.#mode === '3d',
        count: n,
      },
      kBackground,
    );
    this.#gpu.device.queue.submit([encoder.finish()]);
    this.canvas.dataset.frames = String(++this.#frames);
    const legend: LegendContent | null = range && {
      title: legendTitle(colourBy, shown?.speedsUnit ?? null),
      ...range,
    };
    drawLegend(this.#legend, this.#table, legend);
    if (shown) {
      const { source } = shown.system.configuration;
      const name = viewName({ n, source, mode: this.#mode, legend, arrows: arrowOf, stride: discStride });
      if (this.canvas.getAttribute('aria-label') !== name) this.canvas.setAttribute('aria-label', name);
    }
    const chosen = this.#display.colourBy;
    const note = shown && chosen !== 'none' && colourBy === 'none' ? kColourWanting[chosen] : '';
    showNote(this.#colourNote, note);
    showNote(
      this.#drawNote,
      discStride > 1 ? `drawing 1 in ${discStride} of ${n} electrons (CPU adapter)` : '',
    );
  }

  #range(shown: Shown, quantity: ShownQuantity): ColourRange {
    let range = shown.ranges.get(quantity);
    if (!range) {
      range = quantityRange(shown.particles, shown.system.configuration.n, quantity);
      shown.ranges.set(quantity, range);
    }
    return range;
  }

  /** The longest arrow is kLongestArrow of the configuration's radius. */
  #arrowScale(shown: Shown, quantity: Exclude<ArrowQuantity, 'none'>): number {
    let scale = shown.arrowScales.get(quantity);
    if (scale === undefined) {
      const longest = kLongestArrow * shown.radius;
      scale = arrowScale(shown.particles, shown.system.configuration.n, quantity, longest);
      shown.arrowScales.set(quantity, scale);
    }
    return scale;
  }

  /** The depth target, and the multisampled colour target where the profile multisamples. */
  #ensureTargets(width: number, height: number): Targets {
    const current = this.#targets;
    if (current && sized(current, width, height)) return current;
    current?.colour?.destroy();
    current?.depth.destroy();
    const { device } = this.#gpu;
    const size = { width, height };
    const sampleCount = this.#sampleCount;
    const usage = GPUTextureUsage.RENDER_ATTACHMENT;
    this.#targets = {
      colour:
        sampleCount > 1
          ? device.createTexture({ label: 'View.colour', size, format: this.#format, sampleCount, usage })
          : null,
      depth: device.createTexture({
        label: 'View.depth',
        size,
        format: kRenderDepthFormat,
        sampleCount,
        usage,
      }),
    };
    return this.#targets;
  }

  /**
   * Left drag orbits (3D) or pans (2D); right drag or shift-drag pans; the wheel zooms; double-click
   * frames. From the keyboard, the canvas focused: the arrows as a drag of kKeyStep pixels (with
   * shift, a pan), + and − zoom about the centre, 0 or Home frames.
   */
  #listen(): void {
    const canvas = this.canvas;
    canvas.tabIndex = 0;
    canvas.addEventListener('keydown', (event) => {
      // Ctrl/Cmd with + and − is the browser's own zoom, and alt the menus': theirs, not the camera's.
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      const { clientWidth, clientHeight } = canvas;
      const step = kArrowSteps[event.key];
      const zoom = kZoomKeys[event.key];
      if (step) {
        const [dx, dy] = step;
        this.camera.drag(dx * kKeyStep, dy * kKeyStep, event.shiftKey, clientWidth, clientHeight);
      } else if (zoom) this.camera.zoom(zoom, 0, 0, clientWidth, clientHeight);
      else if (event.key === '0' || event.key === 'Home') this.reframe();
      else return;
      event.preventDefault();
      this.requestFrame();
    });
    let last: { x: number; y: number } | null = null;
    let pan = false;
    canvas.addEventListener('pointerdown', (event) => {
      canvas.setPointerCapture(event.pointerId);
      last = { x: event.clientX, y: event.clientY };
      pan = event.button === 2 || event.shiftKey || event.ctrlKey;
    });
    canvas.addEventListener('pointermove', (event) => {
      if (!last) return;
      const { clientWidth, clientHeight } = canvas;
      this.camera.drag(event.clientX - last.x, event.clientY - last.y, pan, clientWidth, clientHeight);
      last = { x: event.clientX, y: event.clientY };
      this.requestFrame();
    });
    const end = (event: PointerEvent) => {
      if (canvas.hasPointerCapture(event.pointerId)) canvas.releasePointerCapture(event.pointerId);
      last = null;
    };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
    canvas.addEventListener('contextmenu', (event) => event.preventDefault());
    canvas.addEventListener(
      'wheel',
      (event) => {
        event.preventDefault();
        const box = canvas.getBoundingClientRect();
        const x = event.clientX - box.left - box.width / 2;
        const y = event.clientY - box.top - box.height / 2;
        this.camera.zoom(Math.exp(event.deltaY * 0.0015), x, y, canvas.clientWidth, canvas.clientHeight);
        this.requestFrame();
      },
      { passive: false },
    );
    canvas.addEventListener('dblclick', () => this.reframe());
  }
}
