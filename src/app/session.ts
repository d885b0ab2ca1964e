// What the page does with the panel's parameters: builds the system and the GPU backend, runs the
// stages (momenta, solve, spectrum) with live progress and a Stop that the solvers honour through
// their onIteration callbacks, checks each stage against the float64 reference in a worker, and
// keeps the results for the view, the diagnostics and the downloads. No stage blocks the page: the
// GPU solvers read their state back asynchronously every few iterations, and the reference runs off
// the main thread.
import { GpuError, type GpuContext } from '../gpu/device.ts';
import { collectiveParameter } from '../physics/constants.ts';
import { geometry, isGeometryName, parsePositionsCsv, type Configuration } from '../physics/geometry.ts';
import { InputError } from '../physics/input-error.ts';
import { massDiagonal, unknowns, type DarwinSystem } from '../physics/models.ts';
import { energies, type Energies } from '../physics/observables.ts';
import { velocityPattern } from '../physics/velocities.ts';
import type { SpectrumResult } from '../solvers/spectrum.ts';
import { defaultLanczosMaxIterations, type SolveResult } from '../solvers/types.ts';
import { formatNumber } from './colour.ts';
import { formatBytes, type Diagnostics } from './diagnostics.ts';
import { openEngine, operatorBytes, type GpuBackend } from './engine.ts';
import { csvKind, download, parseSavedResult, type SavedResult } from './files.ts';
import {
  configurationSummary,
  describeDevice,
  parseQuantityCsv,
  resultCsv,
  toJson,
  type Quantity,
} from '../io/formats.ts';
import type { Panel } from './panel.ts';
import { FloatReference, kReferenceMaxUnknowns, kReferenceRtol, ReferenceCancelled } from './reference.ts';
import { relativeError } from '../physics/observables.ts';
import { FieldError, isStudyAction, queryFromParameters, type Action, type Parameters } from './state.ts';
import type { Studies } from './studies.ts';
import type { ParticleView } from './view.ts';

/** document.body.dataset.status: what the e2e tests (and a curious user) wait on. */
export type Status = 'loading' | 'idle' | 'running' | 'converged' | 'failed' | 'no-webgpu';

export type RunAction = Exclude<Action, 'none'>;

/** The panel field a validation message is about (validateSystem's messages name their cause). */
function fieldOf(error: InputError): keyof Parameters | 'actions' {
  if (error instanceof FieldError) return error.field;
  const message = error.message;
  if (/rho > 0|on the z axis/.test(message)) return 'model';
  if (/2D vector model/.test(message)) return 'dim';
  if (/same place|softening/.test(message)) return 'softening';
  if (/epsilon/.test(message)) return 'epsilon';
  if (/^N /.test(message)) return 'n';
  return 'actions';
}

interface PositionsFile {
  readonly name: string;
  /** Counts loads, so that two files of one name never share a cached M. */
  readonly id: number;
  readonly configuration: Configuration;
}

interface QuantityFile {
  readonly name: string;
  readonly kind: Quantity;
  read(system: DarwinSystem): Float64Array;
}

interface Built {
  readonly key: string;
  readonly system: DarwinSystem;
  readonly backend: GpuBackend;
}

interface Results {
  mode: 'momenta' | 'velocities' | 'round_trip' | null;
  system: DarwinSystem | null;
  velocities: Float64Array | null;
  momenta: Float64Array | null;
  solve: SolveResult | null;
  roundTripError: number | null;
  energies: Energies | null;
  spectrum: SpectrumResult | null;
  history: number[];
  /** The summary of a loaded file, shown until something is recomputed. */
  loaded: Record<string, unknown> | null;
  timing: Record<string, number>;
}

function emptyResults(): Results {
  return {
    mode: null,
    system: null,
    velocities: null,
    momenta: null,
    solve: null,
    roundTripError: null,
    energies: null,
    spectrum: null,
    history: [],
    loaded: null,
    timing: {},
  };
}

const kSystemKeys: readonly (keyof Parameters)[] = [
  'source',
  'n',
  'model',
  'dim',
  'epsilon',
  'radiusMetres',
  'softening',
];
const kDisplayKeys: readonly (keyof Parameters)[] = ['colourBy', 'arrows', 'pointScale', 'view'];

function norm(values: ArrayLike<number>): number {
  let sum = 0;
  for (let k = 0; k < values.length; k++) sum += values[k] * values[k];
  return Math.sqrt(sum);
}

/** Keeps a promise that may be abandoned from counting as an unhandled rejection. */
function quiet<T>(promise: Promise<T> | null): Promise<T> | null {
  promise?.catch(() => undefined);
  return promise;
}

export interface SessionParts {
  readonly gpu: GpuContext;
  readonly view: ParticleView;
  readonly diagnostics: Diagnostics;
  readonly studies: Studies;
  readonly setStatus: (status: Status) => void;
}

export class Session {
  readonly parameters: Parameters;
  readonly #gpu: GpuContext;
  readonly #view: ParticleView;
  readonly #diagnostics: Diagnostics;
  readonly #studies: Studies;
  readonly #setStatus: (status: Status) => void;
  readonly #reference = new FloatReference();
  #panel: Panel | null = null;
  #built: Built | null = null;
  #positionsFile: PositionsFile | null = null;
  #quantityFile: QuantityFile | null = null;
  #results: Results = emptyResults();
  #configurationCache: { key: string; configuration: Configuration } | null = null;
  /** The configuration the view shows, so a new one (not new velocities) re-frames the camera. */
  #shownConfiguration = '';
  #busy = false;
  #stopRequested = false;
  #previewPending = false;
  #dead = false;
  #loads = 0;

  constructor(parameters: Parameters, parts: SessionParts) {
    this.parameters = parameters;
    this.#gpu = parts.gpu;
    this.#view = parts.view;
    this.#diagnostics = parts.diagnostics;
    this.#studies = parts.studies;
    this.#setStatus = parts.setStatus;
    this.#view.setDisplay(parameters);
  }

  attach(panel: Panel): void {
    this.#panel = panel;
  }

  get #ui(): Panel {
    if (!this.#panel) throw new Error('Session.attach(panel) was not called');
    return this.#panel;
  }

  /** The link of the current parameters, kept in the address bar. */
  updateUrl(): void {
    history.replaceState(null, '', `${location.pathname}?${queryFromParameters(this.parameters)}`);
  }

  /** A panel field changed: refresh what depends on it. */
  changed(key: keyof Parameters): void {
    this.updateUrl();
    if (!this.#busy) this.#studies.changed(key, this.parameters);
    if (kDisplayKeys.includes(key)) {
      this.#view.setDisplay(this.parameters);
      return;
    }
    if (key === 'velocity' || key === 'seed') {
      if (!this.#busy) this.#clearVelocityResults();
      return;
    }
    if (kSystemKeys.includes(key) || key === 'matrix') {
      if (this.#busy) this.#previewPending = true;
      else this.preview();
    }
  }

  /** Shows the configuration the parameters describe (nothing computed yet) and forgets old results. */
  preview(): void {
    this.#previewPending = false;
    this.#results = emptyResults();
    this.#diagnostics.clearResults();
    this.#ui.setDownloads(false);
    const p = this.parameters;
    this.#diagnostics.nEpsilon(collectiveParameter(p.n, p.epsilon));
    try {
      const system = this.#system();
      this.#ui.fieldError('source', null);
      this.#ui.fieldError('n', null);
      this.#show(system, null, null);
      const size = unknowns(system);
      this.#diagnostics.matrix(size, `not built (${p.matrix})`, null);
    } catch (error) {
      this.#report(error);
    }
  }

  stop(): void {
    if (!this.#busy) return;
    this.#stopRequested = true;
    this.#reference.cancel();
    this.#diagnostics.progress('stopping…', null);
  }

  /**
   * A device-level error no scope caught. A lost device ends the session (nothing more can run);
   * any other is shown and the page goes on, as the next run gets fresh error scopes.
   */
  deviceFailed(error: GpuError): void {
    if (error.kind !== 'lost') {
      this.#diagnostics.message(error.message);
      return;
    }
    this.#dead = true;
    this.#stopRequested = true;
    this.#view.stop();
    this.#diagnostics.message(`${error.message}. Reload the page to start again.`);
    this.#setStatus('failed');
  }

  async run(action: RunAction): Promise<void> {
    if (this.#busy || this.#dead) return;
    const panel = this.#ui;
    if (!panel.valid()) {
      this.#diagnostics.message('Fix the fields marked in red first.');
      return;
    }
    this.#busy = true;
    this.#stopRequested = false;
    panel.setBusy(true);
    panel.clearFieldErrors();
    this.#diagnostics.message('');
    this.parameters.run = action;
    this.updateUrl();
    this.#setStatus('running');
    let ok: boolean;
    try {
      if (isStudyAction(action)) {
        ok = await this.#studies.run(action, this.parameters, {
          progress: (text, fraction) => this.#diagnostics.progress(text, fraction),
          stopped: () => this.#stopRequested,
        });
      } else if (action === 'build') ok = (await this.#build(), true);
      else if (action === 'momenta') ok = await this.#momenta();
      else if (action === 'solve') ok = await this.#solve();
      else ok = await this.#spectrum();
    } catch (error) {
      this.#report(error);
      ok = false;
    } finally {
      this.#busy = false;
      panel.setBusy(false);
      this.#diagnostics.progressDone();
    }
    if (this.#dead) return;
    this.#setStatus(ok ? 'converged' : 'failed');
    panel.setDownloads(this.#results.system !== null);
    if (this.#previewPending) this.preview();
  }

  // -------------------------------------------------------------------------------------------
  // The system.

  #configurationKey(): string {
    const p = this.parameters;
    const file = this.#positionsFile;
    return p.source === 'file' ? `file:${file ? `${file.id}:${file.name}` : ''}` : `${p.source}:${p.n}`;
  }

  #configuration(): Configuration {
    const p = this.parameters;
    const key = this.#configurationKey();
    if (this.#configurationCache?.key === key) return this.#configurationCache.configuration;
    let configuration: Configuration;
    if (p.source === 'file') {
      if (!this.#positionsFile)
        throw new FieldError('source', 'load a positions CSV (header x,y or x,y,z) first: Files › load');
      configuration = this.#positionsFile.configuration;
    } else {
      configuration = geometry(p.source, p.n);
    }
    this.#configurationCache = { key, configuration };
    return configuration;
  }

  /**
   * The system the parameters describe, not yet validated: the engine runs validateSystem before
   * any GPU work (its O(N log N) coincident-pair sort is the costliest main-thread step at large N,
   * so it runs once, there), and the preview draws even a system that will be refused.
   */
  #system(): DarwinSystem {
    const p = this.parameters;
    return {
      configuration: this.#configuration(),
      model: p.model,
      dim: p.dim,
      epsilon: p.epsilon,
      softening: p.softening,
    };
  }

  #systemKey(): string {
    const p = this.parameters;
    return [this.#configurationKey(), p.model, p.model === 'vector' ? p.dim : 1, p.epsilon, p.softening].join(
      '|',
    );
  }

  #show(system: DarwinSystem, velocities: Float64Array | null, momenta: Float64Array | null): void {
    const key = this.#configurationKey();
    this.#view.show(system, velocities, momenta, key !== this.#shownConfiguration);
    this.#shownConfiguration = key;
  }

  /** The velocities (or, from a momenta file, the momenta) the stages start from. */
  #input(system: DarwinSystem): { kind: Quantity; values: Float64Array } {
    const p = this.parameters;
    if (p.velocity !== 'file')
      return { kind: 'velocities', values: velocityPattern(system, p.velocity, p.seed) };
    if (!this.#quantityFile) throw new FieldError('velocity', 'load a velocities or momenta CSV first');
    try {
      return { kind: this.#quantityFile.kind, values: this.#quantityFile.read(system) };
    } catch (error) {
      if (error instanceof InputError) throw new FieldError('velocity', error.message);
      throw error;
    }
  }

  // -------------------------------------------------------------------------------------------
  // The stages.

  async #build(): Promise<Built> {
    const system = this.#system();
    const key = `${this.#systemKey()}|${this.parameters.matrix}`;
    if (this.#built?.key === key) return this.#built;
    this.#built?.backend.dispose();
    this.#built = null;
    this.#results = emptyResults();
    this.#diagnostics.clearResults();
    const size = unknowns(system);
    this.#diagnostics.progress(`Building M: ${size} × ${size} on the GPU…`, null);
    this.#show(system, null, null);
    const start = performance.now();
    const backend = await openEngine(this.#gpu, system, this.parameters.matrix);
    const ms = performance.now() - start;
    this.#built = { key, system, backend };
    this.#results.timing.assemble_ms = ms;
    this.#diagnostics.stage('build', ms);
    const storage =
      backend.matrix === 'dense'
        ? 'dense float32, stored'
        : 'matrix-free: entries recomputed from the positions in every product';
    this.#diagnostics.matrix(size, storage, operatorBytes(backend));
    return this.#built;
  }

  /** Whether to run the float64 reference beside this stage, with the reason shown when not. */
  #checking(system: DarwinSystem): boolean {
    if (!this.parameters.check) {
      this.#diagnostics.checkNote('off (Solver › check against float64)');
      return false;
    }
    const size = unknowns(system);
    if (size > kReferenceMaxUnknowns) {
      this.#diagnostics.checkNote(
        `skipped: ${size} unknowns is above ${kReferenceMaxUnknowns} (the float64 M would take ${formatBytes(8 * size * size)})`,
      );
      return false;
    }
    this.#diagnostics.checkNote('float64 CPU reference, run in a worker beside the GPU');
    return true;
  }

  /** Awaits a reference result and shows the difference; a stopped check is a note, not an error. */
  async #finishCheck<T>(
    pending: Promise<T> | null,
    compare: (reference: T) => number,
    id: 'check-momenta' | 'check-velocities' | 'check-spectrum',
    started: number,
  ): Promise<void> {
    if (!pending) return;
    this.#diagnostics.progress('Comparing with the float64 reference…', null);
    try {
      const reference = await pending;
      this.#diagnostics.check(id, compare(reference));
      this.#results.timing.check_ms = performance.now() - started;
      this.#diagnostics.stage('check', this.#results.timing.check_ms);
    } catch (error) {
      if (error instanceof ReferenceCancelled) this.#diagnostics.checkNote('stopped');
      else throw error;
    }
  }

  async #momenta(): Promise<boolean> {
    const { system, backend, key } = await this.#build();
    const input = this.#input(system);
    if (input.kind === 'momenta')
      throw new FieldError('velocity', 'the loaded file holds momenta: Solve finds the velocities from them');
    const v = input.values;
    this.#diagnostics.clearSolve();
    this.#diagnostics.clearChecks();
    const checkStart = performance.now();
    const reference = quiet(
      this.#checking(system) ? this.#reference.momenta({ key, system, velocities: v }) : null,
    );
    this.#diagnostics.progress('Momenta p = M v on the GPU…', null);
    const start = performance.now();
    const p = await backend.momenta(v);
    this.#stageTime('momenta', start);
    this.#results = { ...emptyResults(), timing: this.#results.timing, spectrum: this.#results.spectrum };
    this.#setStateResults(system, 'momenta', v, p);
    await this.#finishCheck(reference, (p64) => relativeError(p, p64), 'check-momenta', checkStart);
    return !this.#stopRequested;
  }

  async #solve(): Promise<boolean> {
    const { system, backend, key } = await this.#build();
    const input = this.#input(system);
    this.#diagnostics.clearChecks();
    const checking = this.#checking(system);
    const checkStart = performance.now();
    let v: Float64Array | null = null;
    let p: Float64Array;
    let referenceMomenta: Promise<Float64Array> | null = null;
    if (input.kind === 'velocities') {
      v = input.values;
      referenceMomenta = quiet(checking ? this.#reference.momenta({ key, system, velocities: v }) : null);
      this.#diagnostics.progress('Momenta p = M v on the GPU…', null);
      const start = performance.now();
      p = await backend.momenta(v);
      this.#stageTime('momenta', start);
    } else {
      p = input.values;
    }
    const { solver, tolerance } = this.parameters;
    // The reference solves for the GPU's p, so the difference measures the GPU solve alone.
    const referenceSolve = quiet(
      checking ? this.#reference.solve({ key, system, momenta: p, solver, rtol: kReferenceRtol }) : null,
    );
    const normB = norm(p);
    const mode = v ? 'round_trip' : 'velocities';
    this.#diagnostics.solveStart(
      tolerance,
      v ? 'round trip: v → p = M v → solve M v = p' : 'velocities from the loaded momenta',
    );
    const maxIterations = this.parameters.maxIterations || undefined;
    const limit = maxIterations ?? Math.max(50, unknowns(system));
    const start = performance.now();
    const result = await backend.velocities(p, solver, {
      rtol: tolerance,
      maxIterations,
      onIteration: (iteration, residualNorm) => {
        const relative = normB > 0 ? residualNorm / normB : 0;
        this.#diagnostics.solveProgress(iteration, relative);
        const fraction = relative > 0 ? Math.log(relative) / Math.log(tolerance) : 1;
        this.#diagnostics.progress(
          `Solve: iteration ${iteration} (at most ${limit}), ‖r‖/‖p‖ = ${relative.toExponential(2)}`,
          Math.max(fraction, iteration / limit),
        );
        return !this.#stopRequested;
      },
    });
    this.#stageTime('solve', start);
    // A Stop that came after the solver had already converged changes nothing.
    const stopped = this.#stopRequested && !result.converged;
    const roundTripError = v ? relativeError(result.x, v) : null;
    this.#diagnostics.solveDone(result, normB, roundTripError, stopped);
    this.#results = { ...emptyResults(), timing: this.#results.timing, spectrum: this.#results.spectrum };
    this.#results.solve = result;
    this.#results.roundTripError = roundTripError;
    this.#results.history = result.history;
    this.#setStateResults(system, mode, result.x, p);
    const velocitiesFinal = result.x;
    await this.#finishCheck(referenceMomenta, (p64) => relativeError(p, p64), 'check-momenta', checkStart);
    await this.#finishCheck(
      referenceSolve,
      (solved) => relativeError(velocitiesFinal, solved.x),
      'check-velocities',
      checkStart,
    );
    return result.converged && !stopped;
  }

  async #spectrum(): Promise<boolean> {
    const { system, backend, key } = await this.#build();
    this.#diagnostics.clearChecks();
    const checking = this.#checking(system);
    const checkStart = performance.now();
    const reference = quiet(
      checking ? this.#reference.spectrum({ key, system, maxIterations: undefined, seed: 1 }) : null,
    );
    const steps = defaultLanczosMaxIterations(unknowns(system));
    this.#diagnostics.clearSpectrum();
    const start = performance.now();
    const result = await backend.spectrum({
      tol: this.parameters.lanczosTolerance,
      seed: 1,
      onIteration: (step, lambdaMin, lambdaMax) => {
        this.#diagnostics.spectrumProgress(step, lambdaMin, lambdaMax);
        this.#diagnostics.progress(
          `Spectrum: Lanczos step ${step} (at most ${steps}), λ ∈ [${lambdaMin.toPrecision(6)}, ${lambdaMax.toPrecision(6)}]`,
          step / steps,
        );
        return !this.#stopRequested;
      },
    });
    this.#stageTime('spectrum', start);
    const stopped = this.#stopRequested && !result.lanczos.converged;
    this.#diagnostics.spectrumDone(result, stopped);
    this.#results.spectrum = result;
    this.#results.system ??= system;
    // Eigenvalues near 1: the absolute difference is also the relative one.
    await this.#finishCheck(
      reference,
      (exact) =>
        Math.max(Math.abs(result.lambdaMin - exact.lambdaMin), Math.abs(result.lambdaMax - exact.lambdaMax)),
      'check-spectrum',
      checkStart,
    );
    return result.lanczos.converged && !stopped;
  }

  #stageTime(stage: 'momenta' | 'solve' | 'spectrum', start: number): void {
    const ms = performance.now() - start;
    this.#results.timing[stage === 'momenta' ? 'matvec_ms' : `${stage}_ms`] = ms;
    this.#diagnostics.stage(stage, ms);
  }

  /** Velocities and momenta of a finished stage: energies, the view, what downloads hold. */
  #setStateResults(
    system: DarwinSystem,
    mode: Results['mode'],
    velocities: Float64Array,
    momenta: Float64Array,
  ): void {
    this.#results.system = system;
    this.#results.mode = mode;
    this.#results.velocities = velocities;
    this.#results.momenta = momenta;
    this.#results.energies = energies(velocities, momenta, massDiagonal(system));
    this.#diagnostics.energies(this.#results.energies);
    this.#show(system, velocities, momenta);
  }

  #clearVelocityResults(): void {
    const { spectrum, timing } = this.#results;
    const system = spectrum ? this.#results.system : null;
    this.#results = { ...emptyResults(), spectrum, timing, system };
    this.#diagnostics.clearSolve();
    this.#diagnostics.energies(null);
    this.#ui.setDownloads(system !== null);
    try {
      this.#show(this.#system(), null, null);
    } catch (error) {
      this.#report(error);
    }
  }

  #report(error: unknown): void {
    if (error instanceof InputError) {
      const field = fieldOf(error);
      const message = error.message.replace(/use --softening A > 0/, 'set a softening a > 0');
      this.#ui.fieldError(field, message);
      this.#diagnostics.message(message);
    } else if (error instanceof GpuError) {
      this.#diagnostics.message(`GPU: ${error.message}`);
    } else if (error instanceof ReferenceCancelled) {
      this.#diagnostics.checkNote('stopped');
    } else {
      // A bug, not the user's doing: keep its stack where a developer looks.
      console.error(error);
      this.#diagnostics.message(
        `Unexpected error: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  // -------------------------------------------------------------------------------------------
  // Files.

  async load(file: File): Promise<void> {
    if (this.#busy) {
      this.#diagnostics.message('Stop the run before loading a file.');
      return;
    }
    const text = await file.text();
    try {
      if (/\.json$/i.test(file.name) || text.trimStart().startsWith('{')) {
        this.#loadResult(parseSavedResult(text, file.name), file.name);
        return;
      }
      const kind = csvKind(text);
      if (kind === null)
        throw new FieldError(
          'velocity',
          `${file.name}: the header names neither positions (x,y[,z]), velocities (vx,…; omega) nor momenta (px,…; J)`,
        );
      if (kind === 'positions') {
        let configuration: Configuration;
        try {
          configuration = parsePositionsCsv(text, file.name);
        } catch (error) {
          if (error instanceof InputError) throw new FieldError('source', error.message);
          throw error;
        }
        this.#positionsFile = { name: file.name, id: ++this.#loads, configuration };
        this.parameters.source = 'file';
        this.parameters.n = configuration.n;
        this.#afterLoad();
        this.#diagnostics.message(`Loaded ${configuration.n} positions from ${file.name}.`, 'info');
      } else {
        this.#quantityFile = {
          name: file.name,
          kind,
          read: (system) => parseQuantityCsv(text, file.name, system, kind),
        };
        this.parameters.velocity = 'file';
        this.#afterLoad();
        // Checked now against the current configuration, so a wrong row count shows at once.
        this.#input(this.#system());
        this.#diagnostics.message(`Loaded ${kind} from ${file.name}.`, 'info');
      }
    } catch (error) {
      this.#report(error);
    }
  }

  #afterLoad(): void {
    this.#configurationCache = null;
    const names = {
      positions: this.#positionsFile?.name ?? null,
      quantity: this.#quantityFile ? `${this.#quantityFile.name} (${this.#quantityFile.kind})` : null,
    };
    this.#ui.clearFieldErrors();
    this.#ui.refresh(names);
    this.updateUrl();
    this.preview();
  }

  #loadResult(saved: SavedResult, name: string): void {
    const p = this.parameters;
    const { configuration } = saved;
    const source = configuration.source;
    // A geometry's positions are its formula's: then the link reproduces the loaded run too.
    const regenerated = isGeometryName(source) ? geometry(source, configuration.n).positions : null;
    const sameGeometry =
      regenerated !== null && regenerated.every((x, k) => x === configuration.positions[k]);
    if (sameGeometry && isGeometryName(source)) {
      p.source = source;
    } else {
      this.#positionsFile = { name, id: ++this.#loads, configuration };
      p.source = 'file';
    }
    p.n = configuration.n;
    p.model = saved.model;
    p.dim = saved.dim;
    p.epsilon = saved.epsilon;
    p.radiusMetres = saved.radiusMetres ?? p.radiusMetres;
    p.scale = 'epsilon';
    p.softening = saved.softening;
    const pattern = saved.summary.velocity_pattern;
    const seed = saved.summary.seed;
    if (typeof pattern === 'string' && ['rigid', 'uniform', 'random', 'alternating'].includes(pattern)) {
      p.velocity = pattern as Parameters['velocity'];
      if (typeof seed === 'number') p.seed = seed;
    } else if (saved.velocities) {
      const values = saved.velocities;
      this.#quantityFile = { name, kind: 'velocities', read: () => values };
      p.velocity = 'file';
    } else if (saved.momenta) {
      const values = saved.momenta;
      this.#quantityFile = { name, kind: 'momenta', read: () => values };
      p.velocity = 'file';
    }
    this.#afterLoad();
    const system = this.#system();
    this.#results.loaded = saved.summary;
    this.#results.history = saved.history;
    this.#results.timing = {};
    if (saved.velocities && saved.momenta) {
      const mode = saved.summary.mode;
      this.#setStateResults(
        system,
        mode === 'momenta' || mode === 'velocities' || mode === 'round_trip' ? mode : 'round_trip',
        saved.velocities,
        saved.momenta,
      );
      this.#diagnostics.history(saved.history, norm(saved.momenta));
    }
    this.#results.system = system;
    this.#diagnostics.loadedSummary(saved.summary);
    this.#ui.setDownloads(this.#results.velocities !== null);
    this.#diagnostics.message(`Loaded ${configuration.n} electrons and their result from ${name}.`, 'info');
    this.#setStatus(saved.summary.converged === false ? 'failed' : 'converged');
  }

  /** The CLI's `solve --out FILE.json` object, with the spectrum and device added. */
  resultObject(): Record<string, unknown> | null {
    const r = this.#results;
    const system = r.system;
    if (!system) return null;
    const p = this.parameters;
    const solve = r.solve;
    const spectrum = r.spectrum;
    const loaded = r.loaded ?? {};
    return {
      command: 'solve',
      mode: r.mode,
      configuration: configurationSummary(system, p.radiusMetres),
      velocity_pattern: p.velocity === 'file' ? null : p.velocity,
      seed: p.velocity === 'random' ? p.seed : null,
      solver: solve?.solver ?? loaded.solver ?? null,
      switched_from: solve ? (solve.switchedFrom ?? null) : (loaded.switched_from ?? null),
      iterations: solve?.iterations ?? loaded.iterations ?? 0,
      converged: solve ? solve.converged : (loaded.converged ?? true),
      reason: solve?.reason ?? loaded.reason ?? null,
      relative_residual: solve?.relativeResidual ?? loaded.relative_residual ?? null,
      true_relative_residual: solve?.trueRelativeResidual ?? loaded.true_relative_residual ?? null,
      round_trip_error: r.roundTripError ?? loaded.round_trip_error ?? null,
      energies: r.energies
        ? { kinetic: r.energies.kinetic, darwin: r.energies.darwin, total: r.energies.total }
        : null,
      inertia_ratio: r.energies?.inertiaRatio ?? null,
      collective_parameter_n_epsilon: collectiveParameter(system.configuration.n, system.epsilon),
      spectrum: spectrum
        ? {
            lambda_min: spectrum.lambdaMin,
            lambda_max: spectrum.lambdaMax,
            condition_number: spectrum.conditionNumber,
            collective_parameter: spectrum.collectiveParameter,
            indefinite: spectrum.indefinite,
            iterations: spectrum.lanczos.iterations,
            converged: spectrum.lanczos.converged,
            reason: spectrum.lanczos.reason,
          }
        : (loaded.spectrum ?? null),
      timing_ms: r.timing,
      device: describeDevice(this.#gpu),
      positions: system.configuration.positions,
      velocities: r.velocities,
      momenta: r.momenta,
      history: r.history,
    };
  }

  downloadJson(): void {
    const result = this.resultObject();
    if (!result) return;
    download(`${this.#fileStem()}.json`, toJson(result) + '\n', 'application/json');
  }

  downloadCsv(): void {
    const { system, velocities, momenta } = this.#results;
    if (!system || !velocities || !momenta) {
      this.#diagnostics.message('The CSV holds velocities and momenta: run Momenta or Solve first.');
      return;
    }
    download(`${this.#fileStem()}.csv`, resultCsv(system, velocities, momenta), 'text/csv');
  }

  #fileStem(): string {
    const system = this.#results.system;
    const source = (system?.configuration.source ?? 'result')
      .replace(/\.[^.]*$/, '')
      .replace(/[^\w-]+/g, '_');
    return `darwin-breit-${source}-n${system?.configuration.n ?? 0}-eps${formatNumber(system?.epsilon ?? 0, 3)}`;
  }
}
