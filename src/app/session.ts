// The page's state machine over the panel's parameters: builds the system and the GPU backend, runs
// the stages (momenta, solve, spectrum) of src/run with live progress and a Stop that the solvers
// honour through their onIteration callbacks, with the float64 reference in a worker as the check,
// and keeps the reports for the view, the diagnostics and the downloads. No stage blocks the page:
// the GPU solvers read their state back asynchronously every few iterations, and the reference runs
// off the main thread.
import { GpuError, type GpuContext } from '../gpu/device.ts';
import { collectiveParameter, radiusFromEpsilon } from '../physics/constants.ts';
import {
  firstElectronApart,
  geometry,
  isGeometryName,
  notTextCsv,
  parsePositionsCsv,
  type Configuration,
  type GeometryName,
} from '../physics/geometry.ts';
import { norm } from '../math/vectors.ts';
import { InputError } from '../physics/input-error.ts';
import {
  CoincidentElectronsError,
  coincidentPair,
  massDiagonal,
  unknowns,
  validateModelPositions,
  type DarwinSystem,
} from '../physics/models.ts';
import { energies, interactionOfMomenta, type Energies } from '../physics/observables.ts';
import { velocityPattern } from '../physics/velocities.ts';
import { defaultLanczosMaxIterations, defaultMaxIterations } from '../solvers/types.ts';
import {
  checkDecision,
  CheckStopped,
  kCheckMaxUnknowns,
  kHeaviestElectrons,
  sampleWords,
  type Reference,
  type SampledReference,
} from '../run/check.ts';
import { treeWorkWarning } from '../run/backend.ts';
import { chunkEstimate, RunStopped } from '../run/chunks.ts';
import { solveJson, spectrumSummaryJson, treeJson, type RunContext } from '../run/report.ts';
import { isObject, savedStop, stoppedJson, type SweepStop } from '../studies/study.ts';
import { refines } from '../run/refine.ts';
import { runSolve, type SolveMode, type SolveReport } from '../run/solve.ts';
import { runSpectrum, type SpectrumReport } from '../run/spectrum.ts';
import { formatBytes, solveOutcome, spectrumOutcome, type CheckId, type Diagnostics } from './diagnostics.ts';
import {
  checkSpectrumFits,
  openEngine,
  operatorBytes,
  storageFor,
  type AutoRun,
  type GpuBackend,
} from './engine.ts';
import { download, loadedText } from './files.ts';
import {
  csvKind,
  unknownCsvMessage,
  isResultCsv,
  kResultHeaders,
  describeDevice,
  kProgramVersion,
  parseQuantityCsv,
  parseJsonObject,
  savedEnergies,
  savedResult,
  resultCsv,
  toJson,
  type Quantity,
  type SavedResult,
} from '../io/formats.ts';
import type { Panel } from './panel.ts';
import {
  browserReference,
  referenceReporter,
  withFloat64Products,
  type ReferenceReport,
} from './reference.ts';
import {
  checkFileElectrons,
  FieldError,
  inPanelWords,
  studyOfField,
  type PanelTarget,
  isStudyAction,
  kDefaults,
  panelField,
  queryFromParameters,
  readsField,
  runDimension,
  savedRunRerun,
  savedSolverFields,
  type Action,
  type Parameters,
} from './state.ts';
import type { Studies } from './studies.ts';
import { studyName, type StudyCard } from './studies-view.ts';
import type { ParticleView } from './view.ts';

/** document.body.dataset.status: what the e2e tests (and a curious user) wait on. */
export type Status = 'loading' | 'idle' | 'running' | 'converged' | 'failed' | 'no-webgpu';

export type RunAction = Exclude<Action, 'none'>;

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

/**
 * Said at a run while text fields it reads do not parse, naming them (Panel.unparsed: each by its
 * label and folder), whose reasons stand under them; withdrawn once every field parses.
 */
export function fixFieldsFirst(fields: readonly string[]): string {
  const under = fields.length === 1 ? 'the field' : 'each field';
  return `Fix first (the reason is under ${under}): ${fields.join('; ')}.`;
}

/** The check's note where the dense float64 reference runs. */
const kDenseCheckNote = 'float64 CPU reference, run in a worker beside the GPU';
/** The progress line while a run waits for its float64 check. */
const kCheckLine = 'Comparing with the float64 reference…';
/** The refusal of a file dropped while a run goes on (the load buttons are off meanwhile). */
const kLoadWhileBusy = 'Stop the run before loading a file.';
/** Said when fields changed during a run whose results they invalidate (Session.run). */
const kChangedDuringRun =
  'The fields changed during the run, so its results, which were of the old values, are cleared: run again.';

/** An input refused by a field, as shown there and in the page's message. */
interface Refusal {
  readonly field: PanelTarget;
  readonly message: string;
}

interface Built {
  readonly key: string;
  readonly system: DarwinSystem;
  readonly backend: GpuBackend;
  /** How M is held, for the diagnostics. */
  readonly storage: string;
  /** Milliseconds its assembly took. */
  readonly assembleMs: number;
}

/**
 * The download's "spectrum" object, marked "stopped" first where Stop ended the spectrum; then, where
 * it is saved beside a loaded solve, what ran it: the page's "version", and its own "device",
 * "matrix", "tree" and "threads", as `spectrum` writes them, since the file's are the solve's.
 */
function spectrumObject(
  report: SpectrumReport,
  stop: SweepStop | null,
  where: Pick<RunContext, 'device' | 'matrix' | 'tree' | 'threads'> | null = null,
): Record<string, unknown> {
  const ran = where
    ? { version: kProgramVersion, device: where.device, matrix: where.matrix, ...treeJson(where) }
    : {};
  return { ...stoppedJson(stop), ...ran, ...spectrumSummaryJson(report) };
}

/**
 * The threads of a run's float64 products where they were a tree's (RunContext.threads: a GPU tree
 * refined in float64); null where none ran, or they were pair loops, the same on any count.
 */
function treeProductThreads(backend: GpuBackend, threads: number | null): number | null {
  return backend.tree ? threads : null;
}

interface Results {
  mode: SolveMode | null;
  system: DarwinSystem | null;
  velocities: Float64Array | null;
  momenta: Float64Array | null;
  /** The last momenta or solve run, as its JSON is written. */
  report: SolveReport | null;
  energies: Energies | null;
  /** The last spectrum run, with its check, as the download writes it. */
  spectrum: SpectrumReport | null;
  history: number[];
  /** Where Stop ended the solve and the spectrum, marked in the download as a study's JSON is. */
  solveStop: SweepStop | null;
  spectrumStop: SweepStop | null;
  /**
   * The reference worker's threads where a refined GPU tree's solve, or spectrum, took its float64
   * tree products there (RunContext.threads: another count gives them only to rounding); else null.
   */
  solveThreads: number | null;
  spectrumThreads: number | null;
  /** The summary of a loaded file, shown until something is recomputed. */
  loaded: Record<string, unknown> | null;
  /** Milliseconds per stage (assemble, matvec, solve, spectrum, check). */
  timing: Record<string, number>;
}

function emptyResults(): Results {
  return {
    mode: null,
    system: null,
    velocities: null,
    momenta: null,
    report: null,
    energies: null,
    spectrum: null,
    solveStop: null,
    spectrumStop: null,
    solveThreads: null,
    spectrumThreads: null,
    history: [],
    loaded: null,
    timing: {},
  };
}

/**
 * A study's end in one line, said as the run ends, the study named as its card is: a card stopped
 * before its first result would otherwise show nothing of why it has none.
 */
export function studyOutcome(card: StudyCard, ok: boolean, stopped: boolean): string {
  const name = studyName(card);
  if (ok) return `${name}: the run finished, its results are in the Studies tab.`;
  if (stopped) return `${name}: stopped by the user, the run did not finish.`;
  return `${name}: the run ended with a point not converged; its card in the Studies tab says which.`;
}

/**
 * The line said when a response run's electrons take the canvas (Session's #showResponse): what of
 * the Electrons tab it changed, and that the tab's results, of other electrons, were cleared; null
 * where it changed nothing.
 */
export function responseShownLine(
  before: Pick<Parameters, 'source' | 'n' | 'colourBy'>,
  shown: { geometry: GeometryName; n: number },
  hadResults: boolean,
): string | null {
  const moved = before.source !== shown.geometry || before.n !== shown.n;
  const changes = [
    ...(moved
      ? [
          `geometry ${shown.geometry} and N = ${shown.n} ` +
            `(were ${before.source === 'file' ? 'a positions file' : before.source}, N = ${before.n})`,
        ]
      : []),
    ...(before.colourBy === 'current' ? [] : ['colour by the induced current |v_i|']),
  ];
  if (changes.length === 0) return null;
  const cleared = moved && hadResults ? '; its results, of the electrons it had, were cleared' : '';
  return `The canvas shows the response run's electrons, so the Electrons tab took ${changes.join(' and ')}${cleared}.`;
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
/** The runs whose results a new system drops (Session.preview), and those new velocities drop. */
const kSystemRuns: readonly RunAction[] = ['build', 'momenta', 'solve', 'spectrum'];
const kVelocityRuns: readonly RunAction[] = ['momenta', 'solve'];

export interface SessionParts {
  readonly gpu: GpuContext;
  readonly view: ParticleView;
  readonly diagnostics: Diagnostics;
  readonly studies: Studies;
  readonly setStatus: (status: Status) => void;
}

export class Session {
  readonly parameters: Parameters;
  #gpu: GpuContext;
  readonly #view: ParticleView;
  readonly #diagnostics: Diagnostics;
  readonly #studies: Studies;
  readonly #setStatus: (status: Status) => void;
  // A request made after Stop (the sampled check asks for the solved velocities' rows after the run)
  // fails within a poll (kStopPollMs), as those made before it do through stop()'s cancel.
  readonly #reference = browserReference(
    () => {
      if (this.#stopRequested) throw new CheckStopped('check stopped');
    },
    (progress) => this.#referenceProgress(this.#referenceReport(progress)),
  );
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
  /** The velocities (pattern or seed) changed during a run: its results are not theirs. */
  #velocitiesPending = false;
  #dead = false;
  #loads = 0;
  /** What a preview said because the model refuses the positions, withdrawn by the next preview. */
  #positionsRefusal: Refusal | null = null;
  /** The last run's refusal, of the parameters then: withdrawn by the preview of new ones. */
  #runRefusal: Refusal | null = null;
  /** What a study would refuse of its fields together, marked as they change (#checkStudyInputs). */
  #studyInputRefusal: Refusal | null = null;
  /**
   * The last refusal of a run for fields that do not parse (fixFieldsFirst), and the run: said again
   * of those still unparsed as the fields change, withdrawn once they all parse.
   */
  #fixFirst: { action: RunAction; message: string } | null = null;
  /** The running run's end in one line, said at its end where nothing else is (Session.run). */
  #outcome: string | null = null;
  /** The outcome said and the run it was of, withdrawn with that run's results (#withdrawOutcome). */
  #saidOutcome: { action: RunAction; text: string } | null = null;
  /** The last file's refusal, withdrawn when the next file is loaded. */
  #loadRefusal: Refusal | null = null;
  /** The running stage's progress line, which each chunk of a long step extends (#chunkProgress). */
  #stageLine: { text: string; fraction: number | null } = { text: '', fraction: null };
  readonly #chunks = chunkEstimate();
  readonly #referenceReport = referenceReporter();
  /** The check's note as #referenceFor set it, which the reference's progress extends. */
  #checkNote = '';

  constructor(parameters: Parameters, parts: SessionParts) {
    this.parameters = parameters;
    this.#gpu = parts.gpu;
    this.#view = parts.view;
    this.#diagnostics = parts.diagnostics;
    this.#studies = parts.studies;
    this.#setStatus = parts.setStatus;
    this.#view.setDisplay(parameters);
    this.#studies.onResponseShown(() => this.#reshow());
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
    if (this.#fixFirst !== null) {
      const { action, message } = this.#fixFirst;
      const unparsed = this.#ui.unparsed((field) => readsField(action, field));
      this.#fixFirst = unparsed.length > 0 ? { action, message: fixFieldsFirst(unparsed) } : null;
      // Said again only where it changed: the status region announces each new line.
      if (this.#fixFirst?.message !== message)
        this.#diagnostics.withdrawMessage(message, this.#fixFirst?.message);
    }
    this.#checkStudyInputs(key);
    if (kDisplayKeys.includes(key)) {
      this.#view.setDisplay(this.parameters);
      return;
    }
    if (key === 'velocity' || key === 'seed') {
      if (this.#busy) this.#velocitiesPending = true;
      else this.#clearVelocityResults();
      return;
    }
    if (kSystemKeys.includes(key) || key === 'matrix') {
      if (this.#busy) this.#previewPending = true;
      else this.preview();
    }
  }

  /**
   * A study's field changed: a run's refusal of that study's inputs was of the values it ran with,
   * and is withdrawn; what the run would refuse of them together now (Studies.inputProblem: a
   * cylinder's N < h, a response spec's) is marked by its field at once, not only at the next Run,
   * and goes as soon as a change fixes it. The sweep's two N the panel checks itself.
   */
  #checkStudyInputs(key: keyof Parameters): void {
    const study = studyOfField(key);
    if (study === null) return;
    const ofStudy = (refusal: Refusal | null) => refusal !== null && studyOfField(refusal.field) === study;
    const refused = ofStudy(this.#runRefusal) || ofStudy(this.#studyInputRefusal);
    if (ofStudy(this.#runRefusal)) this.#runRefusal = this.#withdraw(this.#runRefusal);
    if (this.#studyInputRefusal && ofStudy(this.#studyInputRefusal)) {
      this.#ui.withdrawFieldError(this.#studyInputRefusal.field, this.#studyInputRefusal.message);
      this.#studyInputRefusal = null;
    }
    // The response spec's check builds each N's body and sorts it (O(N log N) per N r_e/R): run as a
    // field is typed only while one of its refusals stands, to see it fixed.
    if (study === 'response' && !refused) return;
    const problem = this.#studies.inputProblem(study, this.parameters);
    if (problem) {
      const message = inPanelWords(problem.message);
      this.#ui.fieldError(problem.field, message);
      this.#studyInputRefusal = { field: problem.field, message };
    }
  }

  /** Shows the configuration the parameters describe (nothing computed yet) and forgets old results. */
  preview(): void {
    this.#positionsRefusal = this.#withdraw(this.#positionsRefusal);
    this.#runRefusal = this.#withdraw(this.#runRefusal);
    this.#previewPending = false;
    this.#velocitiesPending = false;
    this.#withdrawOutcome(kSystemRuns);
    this.#results = emptyResults();
    this.#diagnostics.clearResults();
    this.#showDownloads();
    const p = this.parameters;
    this.#diagnostics.nEpsilon(collectiveParameter(p.n, p.epsilon));
    try {
      const system = this.#system();
      this.#ui.fieldError('source', null);
      this.#ui.fieldError('n', null);
      this.#show(system, null, null);
      const size = unknowns(system);
      this.#diagnostics.matrix(size, `not built (${p.matrix})`, null);
      this.#refuseModelPositions(system);
    } catch (error) {
      this.#report(error);
    }
  }

  /**
   * A refusal whose cause may be gone (the positions, run or file it was of replaced), withdrawn from
   * its field and the message where they still say it, not what was written there since; null, to
   * assign to what held it.
   */
  #withdraw(refusal: Refusal | null): null {
    if (refusal !== null) {
      this.#ui.withdrawFieldError(refusal.field, refusal.message);
      this.#diagnostics.withdrawMessage(refusal.message);
    }
    return null;
  }

  /**
   * The said outcome of a run among `runs`, whose results are being dropped: its numbers (a residual,
   * λ_min, M's size) would stand beside a system they are not of. A study's outcome points to its
   * card, whose results stay.
   */
  #withdrawOutcome(runs: readonly RunAction[]): void {
    if (this.#saidOutcome !== null && runs.includes(this.#saidOutcome.action)) {
      this.#diagnostics.withdrawMessage(this.#saidOutcome.text);
      this.#saidOutcome = null;
    }
  }

  /**
   * The model's demand on the positions (validateModelPositions: z = 0 in 2D, rho > 0 azimuthal),
   * said with the preview rather than at the next run; it costs O(N), unlike the coincident-pair sort
   * the run adds.
   */
  #refuseModelPositions(system: DarwinSystem): void {
    try {
      validateModelPositions(system);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      this.#positionsRefusal = this.#report(error);
    }
  }

  stop(): void {
    if (!this.#busy) return;
    this.#stopRequested = true;
    this.#reference.cancel();
    this.#diagnostics.progress('stopping…', null);
  }

  /**
   * A device-level error no scope caught, other than a loss (deviceLost): shown, and the page goes
   * on, as the next run gets fresh error scopes.
   */
  deviceFailed(error: GpuError): void {
    this.#diagnostics.message(error.message);
  }

  /**
   * The device is gone (`why`): nothing runs or draws until useDevice gives a new one (the page
   * acquires it, src/app/main.ts); M, held on the old device, is dropped.
   */
  deviceLost(why: string): void {
    this.#dead = true;
    this.#stopRequested = true;
    this.#view.stop();
    this.#built?.backend.dispose();
    this.#built = null;
    this.#diagnostics.message(`${why}; acquiring a new device…`);
    this.#setStatus('failed');
  }

  /** The new device after a loss, or null: none could be acquired, and the page says so for good. */
  useDevice(gpu: GpuContext | null, why: string): void {
    if (!gpu) {
      this.#diagnostics.message(
        `${why}, and no new device could be acquired. Reload the page to start again.`,
      );
      return;
    }
    this.#gpu = gpu;
    this.#dead = false;
    this.#diagnostics.message(`${why}; a new device is in use: run again.`, 'info');
    if (!this.#busy) this.#setStatus('idle');
  }

  async run(action: RunAction): Promise<void> {
    if (this.#busy || this.#dead) return;
    const panel = this.#ui;
    const reads = (key: keyof Parameters) => readsField(action, key);
    const unparsed = panel.unparsed(reads);
    if (unparsed.length > 0) {
      this.#fixFirst = { action, message: fixFieldsFirst(unparsed) };
      this.#diagnostics.message(this.#fixFirst.message);
      panel.focusUnparsed(reads);
      return;
    }
    this.#busy = true;
    this.#stopRequested = false;
    // Changes that came during an earlier run left these for its end; one lost with its device never
    // reached it, and this run reads the parameters as they are now.
    this.#previewPending = false;
    this.#velocitiesPending = false;
    this.#outcome = null;
    // Shown at once, with its Stop, which takes the focus from the action that started the run.
    this.#diagnostics.progress(`${action}: starting…`, null);
    panel.setBusy(true, this.#diagnostics.stopControl());
    panel.clearFieldErrors();
    this.#diagnostics.message('');
    this.parameters.run = action;
    this.updateUrl();
    this.#setStatus('running');
    const gpu = this.#gpu;
    const replaced = () => this.#dead || this.#gpu !== gpu;
    let ok: boolean;
    try {
      if (isStudyAction(action)) {
        ok = await this.#studies.run(action, this.parameters, {
          progress: (text, fraction) => this.#diagnostics.progress(text, fraction),
          stopped: () => this.#stopRequested,
        });
        const shown = action === 'response' ? this.#showResponse() : null;
        const ended = studyOutcome(action, ok, this.#stopRequested);
        this.#outcome = shown ? `${ended} ${shown}` : ended;
      } else if (action === 'build') {
        const { system, storage } = await this.#build();
        const size = unknowns(system);
        this.#outcome = `M is built: ${size} × ${size}, ${storage}.`;
        ok = true;
      } else if (action === 'momenta') ok = await this.#momenta();
      else if (action === 'solve') ok = await this.#solve();
      else ok = await this.#spectrum();
    } catch (error) {
      // A run whose device was lost meanwhile fails however the loss surfaced (a rejected mapping,
      // a destroyed buffer): the loss's own notice says what happened and what to do.
      if (!replaced()) this.#runRefusal = this.#report(error);
      ok = false;
    } finally {
      this.#busy = false;
      panel.setBusy(false);
      this.#diagnostics.progressDone();
      // Said of a file dropped during the run: with the run over, the page takes files again.
      this.#diagnostics.withdrawMessage(kLoadWhileBusy);
    }
    if (this.#dead) return;
    // Fields changed during the run are applied now, which clears the results they invalidate: a
    // solve's and its momenta's on any change of the system or the velocities, a spectrum's and a
    // build's on one of the system. A study's results are its card's and stay.
    const velocityRun = action === 'momenta' || action === 'solve';
    const dropped =
      ok &&
      !replaced() &&
      ((velocityRun && (this.#previewPending || this.#velocitiesPending)) ||
        ((action === 'spectrum' || action === 'build') && this.#previewPending));
    // On a new device the page is ready for the next run (useDevice's notice), and so it is once
    // the run's results are dropped.
    this.#setStatus(replaced() || dropped ? 'idle' : ok ? 'converged' : 'failed');
    this.#showDownloads();
    // Said first, so that a refusal of the new fields, which the preview reports, takes its place; and
    // the run's outcome only where nothing else was said of it (a refusal, an error, a Stop mid-step).
    if (dropped) this.#diagnostics.message(kChangedDuringRun, 'info');
    else if (this.#outcome !== null && !this.#diagnostics.saying()) {
      this.#diagnostics.message(this.#outcome, 'info');
      this.#saidOutcome = { action, text: this.#outcome };
    }
    if (this.#previewPending) this.preview();
    else if (this.#velocitiesPending) this.#clearVelocityResults();
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
      dim: runDimension(p),
      epsilon: p.epsilon,
      softening: p.softening,
    };
  }

  #systemKey(): string {
    const p = this.parameters;
    return [this.#configurationKey(), p.model, runDimension(p), p.epsilon, p.softening].join('|');
  }

  #show(system: DarwinSystem, velocities: Float64Array | null, momenta: Float64Array | null): void {
    const key = this.#configurationKey();
    const speeds = this.#studies.inducedSpeeds(this.parameters.source, system.configuration.n);
    this.#view.show(system, velocities, momenta, key !== this.#shownConfiguration, speeds);
    this.#shownConfiguration = key;
  }

  /** The shown electrons again, with the induced speeds the Studies now hold for them. */
  #reshow(): void {
    const { system, velocities, momenta } = this.#results;
    try {
      this.#show(system ?? this.#system(), velocities, momenta);
    } catch (error) {
      this.#report(error);
    }
  }

  /**
   * After a response run, its configuration (geometry, largest N) is the one shown, coloured by the
   * induced speed |v_i| (colour by current), as a solve shows its velocities. Returns the line that
   * says what that changed of the Electrons tab, or null.
   */
  #showResponse(): string | null {
    const shown = this.#studies.responseConfiguration;
    if (!shown) return null;
    const p = this.parameters;
    const line = responseShownLine(p, shown, this.#results.system !== null);
    p.colourBy = 'current';
    this.#view.setDisplay(p);
    if (p.source === shown.geometry && p.n === shown.n) {
      this.#reshow();
    } else {
      p.source = shown.geometry;
      p.n = shown.n;
      this.preview();
    }
    this.#ui.refresh();
    this.updateUrl();
    // The model's refusal of the new positions, which the preview said, stands in its place.
    return this.#positionsRefusal ? null : line;
  }

  /** The velocities (or, from a momenta file, the momenta) the stages start from. */
  #input(system: DarwinSystem): { kind: Quantity; values: Float64Array } {
    const p = this.parameters;
    if (p.velocity !== 'file')
      return { kind: 'velocities', values: velocityPattern(system, p.velocity, p.seed) };
    if (!this.#quantityFile) throw new FieldError('velocity', 'load a velocities or momenta CSV first');
    return { kind: this.#quantityFile.kind, values: this.#quantityFile.read(system) };
  }

  // -------------------------------------------------------------------------------------------
  // The stages.

  /**
   * M of the fields as they are, built or the one held. A new M clears the results, except, for a
   * Spectrum (`keepLoaded`), a loaded file's solve: a loaded result is of the fields as they are (a
   * change of the system or the velocities clears it), so the spectrum joins it as it joins a solve
   * run on the page, whose M is the one held.
   */
  async #build(keepLoaded = false, run: AutoRun = {}): Promise<Built> {
    const system = this.#system();
    const { matrix, treeTolerance } = this.parameters;
    // What 'auto' takes for this run (the tree past the device's crossover N, not for one product
    // below the compile's crossover nor for a refinement past the tree's tolerance) is the key's, with
    // the tree's tolerance where it may be the tree, and what was asked: 'auto''s tree may have gone
    // matrix-free once built (its walk's work budget), which a tree asked for does not.
    const taken = storageFor(this.#gpu, system, matrix, treeTolerance, run);
    const key = `${this.#systemKey()}|${matrix}:${taken}|${taken === 'tree' ? treeTolerance : ''}`;
    if (this.#built?.key === key) {
      // Shown again: a preview since (another configuration and back, a loaded file) wrote "not built".
      this.#showBuilt(this.#built, true);
      return this.#built;
    }
    this.#built?.backend.dispose();
    this.#built = null;
    if (!keepLoaded || this.#results.loaded === null) {
      this.#results = emptyResults();
      this.#diagnostics.clearResults();
      this.#show(system, null, null);
    }
    const size = unknowns(system);
    this.#progress(`Building M: ${size} × ${size} on the GPU…`, null);
    const start = performance.now();
    const gpu = this.#gpu;
    const backend = await openEngine(
      gpu,
      system,
      matrix,
      treeTolerance,
      () => this.#stopRequested,
      (step, done, total) => this.#chunkProgress(step, done, total),
      undefined,
      run,
    );
    if (gpu !== this.#gpu || this.#dead) {
      // The device was lost while M was built on it, and deviceLost found nothing to drop: kept, this
      // M would serve the next run, on the new device, from the lost one's buffers.
      backend.dispose();
      throw new Error('the device was lost while M was built');
    }
    const assembleMs = performance.now() - start;
    const storage = {
      dense: 'dense float32, stored',
      free: 'matrix-free: entries recomputed from the positions in every product',
      tree: `fast multipole tree, to ${treeTolerance} of the direct product`,
    }[backend.matrix];
    this.#built = { key, system, backend, storage, assembleMs };
    this.#results.timing.assemble = assembleMs;
    this.#showBuilt(this.#built, false);
    return this.#built;
  }

  /** M's size, storage and memory, and its assembly time (`cached`: of an earlier run, not this one). */
  #showBuilt(built: Built, cached: boolean): void {
    const size = unknowns(built.system);
    const warning = treeWorkWarning(built.backend);
    this.#diagnostics.matrix(
      size,
      built.storage,
      operatorBytes(built.backend),
      warning === null ? null : inPanelWords(warning),
    );
    this.#diagnostics.stage('build', built.assembleMs, cached);
  }

  /**
   * The float64 reference for this stage when the check policy runs it, with the reason shown: past
   * kCheckMaxUnknowns it is the sampled one (float64 rows of M at sampled electrons).
   */
  #referenceFor(
    system: DarwinSystem,
    key: string,
    stage: 'solve' | 'spectrum',
  ): Reference | SampledReference | null {
    const decision = checkDecision(system, 'gpu', this.parameters.check ? undefined : false);
    if (decision === 'off') {
      this.#setCheckNote('off (Solver › check against float64)');
      return null;
    }
    if (decision === 'sampled') {
      const size = unknowns(system);
      const dense = `${size} unknowns is above ${kCheckMaxUnknowns} (the float64 M would take ${formatBytes(8 * size * size)})`;
      const rows = `float64 rows of M at ${sampleWords(system.configuration.n)}`;
      this.#setCheckNote(
        stage === 'solve'
          ? `sampled: ${dense}, so ${rows}, summed in a worker`
          : `sampled: ${dense}, so ${rows} and the ${kHeaviestElectrons} where each Ritz vector is largest, ` +
              'summed in a worker: an eigenvalue of the direct sum lies within each Ritz residual',
      );
      return this.#reference.sampled(key, system);
    }
    this.#setCheckNote(kDenseCheckNote);
    return this.#reference.of(key, system);
  }

  #setCheckNote(note: string): void {
    this.#checkNote = note;
    this.#diagnostics.checkNote(note);
  }

  /** Shows a finished run's check: each error, or that it was stopped. */
  #showCheck(
    report: { checkStopped: boolean; timing: { check?: number } },
    errors: [id: CheckId, value: number | null, target: number | null][],
  ): void {
    if (report.checkStopped) {
      this.#diagnostics.checkNote('stopped');
      return;
    }
    // The reference is done: what its progress added to the note is over.
    this.#diagnostics.checkNote(this.#checkNote);
    for (const [id, value, target] of errors) if (value !== null) this.#diagnostics.check(id, value, target);
    if (report.timing.check !== undefined) {
      this.#results.timing.check = report.timing.check;
      this.#diagnostics.stage('check', report.timing.check);
    }
  }

  /** `tolerance` where a run to it refines in float64 on the GPU (AutoRun.refinedTolerance). */
  #refinedTolerance(tolerance: number): number | undefined {
    return refines({ name: 'gpu' }, tolerance) ? tolerance : undefined;
  }

  /** Momenta p = M v of the given velocities (mode momenta), or also the solve back (round_trip). */
  async #momenta(): Promise<boolean> {
    const { system, backend, key } = await this.#build(false, {
      operation: 'product',
      refinedTolerance: this.#refinedTolerance(this.parameters.tolerance),
    });
    const input = this.#input(system);
    if (input.kind === 'momenta')
      throw new FieldError('velocity', 'the loaded file holds momenta: Solve finds the velocities from them');
    this.#diagnostics.clearSolve();
    this.#diagnostics.solveMode('momenta: p = M v of the given v, no solve');
    this.#diagnostics.clearChecks(['solve']);
    const { report, threads } = await this.#runSolve(system, backend, key, 'momenta', input.values);
    this.#showSolve(report, false, threads);
    const ended = this.#stopRequested ? 'stopped by the user' : 'done';
    this.#outcome = `Momenta p = M v of the ${system.configuration.n} electrons: ${ended}.`;
    return !this.#stopRequested;
  }

  async #solve(): Promise<boolean> {
    const { system, backend, key } = await this.#build(false, {
      refinedTolerance: this.#refinedTolerance(this.parameters.tolerance),
    });
    const input = this.#input(system);
    this.#diagnostics.clearChecks(['solve']);
    const mode = input.kind === 'velocities' ? 'round_trip' : 'velocities';
    const { report, threads } = await this.#runSolve(system, backend, key, mode, input.values);
    const result = report.solve!;
    // A Stop that came after the solver had already converged changes nothing.
    const stopped = this.#stopRequested && !result.converged;
    this.#showSolve(report, stopped, threads);
    this.#outcome = solveOutcome(result, stopped, report.trueResidualProduct, report.tolerance ?? 0);
    if (stopped) {
      this.#results.solveStop = { signal: null, points: result.iterations, of: this.#solveLimit(system) };
    }
    return result.converged && !stopped;
  }

  async #runSolve(
    system: DarwinSystem,
    backend: GpuBackend,
    key: string,
    mode: SolveMode,
    given: Float64Array,
  ): Promise<{ readonly report: SolveReport; readonly threads: number | null }> {
    const p = this.parameters;
    const pattern = p.velocity === 'file' ? null : p.velocity;
    const { tolerance } = p;
    const maxIterations = p.maxIterations || undefined;
    const limit = this.#solveLimit(system);
    const { result, threads } = await withFloat64Products(
      () => this.#stopRequested,
      (float64) =>
        runSolve(
          system,
          backend,
          {
            mode,
            given,
            pattern,
            seed: pattern === 'random' ? p.seed : null,
            solver: p.solver,
            rtol: tolerance,
            maxIterations,
            float64,
            onStage: (stage) => {
              if (stage === 'momenta') {
                // A refined run forms p in float64 (src/run/solve.ts), in the products' worker.
                const where = refines(backend, tolerance) ? 'in float64' : 'on the GPU';
                this.#progress(`Momenta p = M v ${where}…`, null);
              } else if (stage === 'check') this.#progress(kCheckLine, null);
              else {
                this.#diagnostics.solveStart(
                  tolerance,
                  mode === 'round_trip'
                    ? 'round trip: v → p = M v → solve M v = p'
                    : 'velocities from the loaded momenta',
                  refines(backend, tolerance),
                );
                // Until the first readback of the iterations, a product away at large N.
                this.#progress('Solve M v = p on the GPU…', 0);
              }
            },
            onIteration: (iteration, relative) => {
              this.#diagnostics.solveProgress(iteration, relative);
              const fraction = relative > 0 ? Math.log(relative) / Math.log(tolerance) : 1;
              this.#progress(
                `Solve: iteration ${iteration} (at most ${limit}), ‖r‖/‖p‖ = ${relative.toExponential(2)}`,
                Math.max(fraction, iteration / limit),
              );
              return !this.#stopRequested;
            },
          },
          this.#referenceFor(system, key, 'solve'),
        ),
    );
    return { report: result, threads: treeProductThreads(backend, threads) };
  }

  /** The solve's iteration limit: the field's, or the solvers' default for the system's unknowns. */
  #solveLimit(system: DarwinSystem): number {
    return this.parameters.maxIterations || defaultMaxIterations(unknowns(system));
  }

  /**
   * A finished momenta or solve run: timings, the solve's diagnostics, the state, the check; `threads`
   * its float64 tree products' (treeProductThreads).
   */
  #showSolve(report: SolveReport, stopped: boolean, threads: number | null): void {
    const { timing } = this.#results;
    // This run's stages only: a product alone has no solve, a solve of given momenta no product.
    for (const [stage, key] of [
      ['momenta', 'matvec'],
      ['solve', 'solve'],
    ] as const) {
      delete timing[key];
      this.#diagnostics.stage(stage, null);
    }
    if (report.timing.matvec !== undefined) this.#stageTime('momenta', report.timing.matvec);
    if (report.timing.solve !== undefined) this.#stageTime('solve', report.timing.solve);
    if (report.solve) {
      const { solve, trueResidualProduct, momenta, roundTripError, refinementSteps } = report;
      this.#diagnostics.solveDone(
        solve,
        trueResidualProduct,
        norm(momenta),
        roundTripError,
        stopped,
        refinementSteps > 0,
      );
    }
    const { spectrum, spectrumStop, spectrumThreads } = this.#results;
    this.#results = { ...emptyResults(), timing, spectrum, spectrumStop, spectrumThreads };
    this.#results.report = report;
    this.#results.solveThreads = threads;
    this.#results.history = report.solve?.history ?? [];
    // A stopped run whose Stop dropped the solved v's eps T v keeps its v, without energies.
    this.#setStateResults(
      report.system,
      report.mode,
      report.velocities,
      report.momenta,
      report.energies ?? 'dropped',
    );
    const { check, checkTargets } = report;
    // An unconverged solve's velocities and residual are held to no target, as the JSON's check
    // (src/run/report.ts solveCheckEntries): its convergence line says why they are off.
    const held = report.solve?.converged !== false;
    this.#showCheck(report, [
      ['check-momenta', check?.momenta ?? null, checkTargets.momenta],
      // A refined solve's are held by its residual in their place (src/run/solve.ts SolveCheck.residual).
      [
        'check-velocities',
        check?.velocities ?? null,
        held && check?.residual == null ? checkTargets.velocities : null,
      ],
      ['check-residual', check?.residual ?? null, held ? checkTargets.residual : null],
      ['check-interaction', check?.interaction ?? null, checkTargets.interaction],
      // No target holds it (src/run/solve.ts SolveCheck.darwin).
      ['check-darwin', check?.darwin ?? null, null],
    ]);
  }

  async #spectrum(): Promise<boolean> {
    const { system, backend, key } = await this.#build(true, {
      refinedTolerance: this.#refinedTolerance(this.parameters.lanczosTolerance),
    });
    // Built for solves too, without the basis a spectrum holds: refused before it runs where that
    // basis does not fit beside M.
    checkSpectrumFits(this.#gpu, backend, this.parameters.lanczosBasis);
    this.#diagnostics.clearChecks(['spectrum']);
    // The field's limit, as the CLI's spectrum --max-iter bounds its Lanczos products.
    const maxIterations = this.parameters.maxIterations || undefined;
    const steps = maxIterations ?? defaultLanczosMaxIterations(unknowns(system));
    this.#diagnostics.clearSpectrum();
    const { result: report, threads } = await withFloat64Products(
      () => this.#stopRequested,
      (float64) =>
        runSpectrum(
          system,
          backend,
          {
            tol: this.parameters.lanczosTolerance,
            maxIterations,
            basisSize: this.parameters.lanczosBasis,
            seed: this.parameters.lanczosSeed,
            float64,
            onIteration: (step, lambdaMin, lambdaMax) => {
              this.#diagnostics.spectrumProgress(step, lambdaMin, lambdaMax);
              // A restarted Lanczos stops at convergence, far below its product limit: no fraction
              // of that limit says how far along it is, so the bar is indeterminate (or, where a
              // product goes in pieces, that product's).
              this.#progress(
                `Spectrum: Lanczos product ${step} (at most ${steps}), λ ∈ [${lambdaMin.toPrecision(6)}, ${lambdaMax.toPrecision(6)}]`,
                null,
              );
              return !this.#stopRequested;
            },
            onCheck: () => this.#progress(kCheckLine, null),
          },
          this.#referenceFor(system, key, 'spectrum'),
        ),
    );
    const result = report.spectrum;
    this.#stageTime('spectrum', report.timing.lanczos);
    const stopped = this.#stopRequested && !result.lanczos.converged;
    this.#diagnostics.spectrumDone(result, stopped);
    this.#outcome = spectrumOutcome(result, stopped);
    this.#results.spectrum = report;
    this.#results.spectrumThreads = treeProductThreads(backend, threads);
    this.#results.spectrumStop = stopped
      ? { signal: null, points: result.lanczos.iterations, of: steps }
      : null;
    this.#results.system ??= system;
    // The dense check's errors of the extremes, or the sampled one's Ritz residuals (an eigenvalue of
    // the direct sum within each).
    const { check, checkTargets } = report;
    const [value, target] = !check
      ? [null, 0]
      : check.sampled === null
        ? [Math.max(check.lambdaMin, check.lambdaMax), checkTargets.eigenvalues]
        : [Math.max(check.residualMin, check.residualMax), checkTargets.residual];
    this.#showCheck(report, [['check-spectrum', value, target]]);
    return result.lanczos.converged && !stopped;
  }

  /** Shows what the run does now; the chunks of a long step extend this line until the next call. */
  #progress(text: string, fraction: number | null): void {
    this.#stageLine = { text, fraction };
    this.#diagnostics.progress(text, fraction);
  }

  /**
   * A chunk of a long step (the tree's pipelines, a product of several pieces: minutes at 10⁶
   * electrons on a CPU adapter) beside the stage's line: which chunk and the time left; the bar
   * follows the chunks where the stage has no fraction of its own (a build, p = M v).
   */
  #chunkProgress(step: string, done: number, total: number): void {
    this.#showChunk(this.#chunks(step, done, total));
  }

  #showChunk(chunk: ReferenceReport): void {
    const { text, fraction } = this.#stageLine;
    this.#diagnostics.progress(`${text} (${chunk.text})`, fraction ?? chunk.fraction);
  }

  /**
   * The reference worker's progress (referenceReporter: its assembly's chunks, at the check's largest
   * M seconds before its first answer; its solve's or Lanczos run's iterations, a thousand products on
   * a ring; the sampled check's chunks) in the check's note while it lasts, as the worker runs beside
   * the GPU's stage; and on the progress line too once that stage is over and the run waits for the
   * check. Null (M assembled) gives both back.
   */
  #referenceProgress(report: ReferenceReport | null): void {
    this.#diagnostics.checkNote(report ? `${this.#checkNote}; ${report.text}` : this.#checkNote);
    if (this.#stageLine.text !== kCheckLine) return;
    if (report) this.#showChunk(report);
    else this.#diagnostics.progress(this.#stageLine.text, this.#stageLine.fraction);
  }

  #stageTime(stage: 'momenta' | 'solve' | 'spectrum', ms: number): void {
    this.#results.timing[stage === 'momenta' ? 'matvec' : stage] = ms;
    this.#diagnostics.stage(stage, ms);
  }

  /**
   * Velocities and momenta of a finished stage: energies, the view, what downloads hold. `shown`:
   * the energies the run or file reports (a round trip's are its given v's, not those solved back),
   * else those of these velocities and momenta (a file without energies: p - D v, to 2^-53 |D v|);
   * 'dropped': none, a stopped run's whose Stop came before the product they take (runSolve).
   */
  #setStateResults(
    system: DarwinSystem,
    mode: SolveMode,
    velocities: Float64Array,
    momenta: Float64Array,
    shown: Energies | 'dropped' | null = null,
  ): void {
    this.#results.system = system;
    this.#results.mode = mode;
    this.#results.velocities = velocities;
    this.#results.momenta = momenta;
    this.#results.energies =
      shown === 'dropped'
        ? null
        : (shown ??
          energies(system, velocities, interactionOfMomenta(massDiagonal(system), velocities, momenta)));
    this.#diagnostics.energies(
      this.#results.energies,
      shown === 'dropped' ? 'none: Stop came before the float64 ε T v of the solved v' : undefined,
    );
    this.#show(system, velocities, momenta);
  }

  #clearVelocityResults(): void {
    this.#velocitiesPending = false;
    this.#withdrawOutcome(kVelocityRuns);
    const { spectrum, spectrumThreads, timing } = this.#results;
    const system = spectrum ? this.#results.system : null;
    this.#results = { ...emptyResults(), spectrum, spectrumThreads, timing, system };
    this.#diagnostics.clearSolve();
    this.#diagnostics.clearChecks(['solve']);
    this.#diagnostics.energies(null);
    this.#showDownloads();
    try {
      this.#show(this.#system(), null, null);
    } catch (error) {
      this.#report(error);
    }
  }

  /** Shows `error` where it belongs; returns the refusal of an InputError, as shown. */
  #report(error: unknown): Refusal | null {
    if (error instanceof InputError) {
      const text = inPanelWords(error.message);
      const message = error instanceof CoincidentElectronsError ? `${text}; set a softening a > 0` : text;
      const field = panelField(error.field);
      this.#ui.fieldError(field, message);
      this.#diagnostics.message(message);
      return { field, message };
    } else if (error instanceof GpuError) {
      this.#diagnostics.message(`GPU: ${error.message}`);
    } else if (error instanceof CheckStopped) {
      this.#diagnostics.checkNote('stopped');
    } else if (error instanceof RunStopped) {
      // Stopped inside a long product or assembly: the stage has no result to show, and a Solve or
      // Spectrum says it was stopped in its reason row, as one that Stop left with a result does.
      const { run } = this.parameters;
      if (run === 'solve' || run === 'spectrum') this.#diagnostics.stoppedWithoutResult(run);
      else this.#diagnostics.clearSolve();
      this.#diagnostics.message('Stopped in the middle of a long step: no result.', 'info');
    } else {
      // A bug, not the user's doing: keep its stack where a developer looks.
      console.error(error);
      this.#diagnostics.message(
        `Unexpected error: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    return null;
  }

  // -------------------------------------------------------------------------------------------
  // Files.

  async load(file: File): Promise<void> {
    if (this.#busy) {
      this.#diagnostics.message(kLoadWhileBusy);
      return;
    }
    let text: string;
    try {
      text = await loadedText(file);
    } catch (error) {
      this.#withdraw(this.#loadRefusal);
      this.#loadRefusal = this.#report(error);
      return;
    }
    // A run may have started while a large file was read.
    if (this.#busy) {
      this.#diagnostics.message(kLoadWhileBusy);
      return;
    }
    // The refusal of an earlier file is not this one's: it would stand beside this one's outcome.
    this.#loadRefusal = this.#withdraw(this.#loadRefusal);
    try {
      if (/\.json$/i.test(file.name) || text.trimStart().startsWith('{')) {
        const object = parseJsonObject(text, file.name);
        if (typeof object.command === 'string' && isStudyAction(object.command)) {
          const { message, fields } = this.#studies.load(object.command, object, file.name, this.parameters);
          this.#ui.clearFieldErrors();
          this.#ui.accept(fields);
          this.updateUrl();
          this.#diagnostics.message(message, 'info');
          return;
        }
        // Another command's JSON (spectrum, paper, bench) holds no configuration to rebuild.
        if (typeof object.command === 'string' && object.command !== 'solve') {
          throw new InputError(
            `${file.name} is ${object.command}'s JSON: the page loads a solve's (solve --out FILE.json, ` +
              "or its own download) and the Studies cards' files",
            'result',
          );
        }
        const saved = savedResult(object, file.name);
        checkFileElectrons(saved.configuration.n, file.name, 'result');
        this.#loadResult(saved, file.name);
        return;
      }
      // A binary file (an .npz) is refused as such before its bytes are read as a header, and before
      // anything of the page's state changes.
      const notCsv = notTextCsv(text);
      if (notCsv) throw new InputError(`${file.name}: ${notCsv}`, 'result');
      const kind = csvKind(text);
      if (kind === null) throw new FieldError('velocity', unknownCsvMessage(text, file.name));
      if (kind === 'positions') {
        // A saved result's CSV (the page's or solve --out's) holds the positions too.
        const configuration = parsePositionsCsv(text, file.name, kResultHeaders);
        checkFileElectrons(configuration.n, file.name, 'positions');
        // Refused as the CLI refuses them (validateSystem), before the page switches to them: without
        // softening two electrons at one place make T_ij infinite.
        const pair =
          this.parameters.softening === 0 && coincidentPair(configuration.positions, configuration.n);
        if (pair) {
          throw new InputError(
            `${file.name}: electrons ${pair[0]} and ${pair[1]} are at the same place; set a softening a > 0 first`,
            'result',
          );
        }
        this.#positionsFile = { name: file.name, id: ++this.#loads, configuration };
        this.parameters.source = 'file';
        this.parameters.n = configuration.n;
        this.#afterLoad();
        const positions = configuration.n === 1 ? 'position' : 'positions';
        // A saved result's CSV gives the page its configuration alone: said, not dropped unsaid.
        const only = isResultCsv(text)
          ? ', not its velocities and momenta (the JSON download loads a result back whole)'
          : '';
        this.#diagnostics.message(`Loaded ${configuration.n} ${positions} from ${file.name}${only}.`, 'info');
      } else {
        // Read whole against the current configuration before anything switches to it: a wrong row
        // count or a bad value is refused with the page's velocities as they were.
        parseQuantityCsv(text, file.name, this.#system(), kind);
        this.#quantityFile = {
          name: file.name,
          kind,
          read: (system) => parseQuantityCsv(text, file.name, system, kind),
        };
        this.parameters.velocity = 'file';
        this.#afterLoad();
        this.#diagnostics.message(`Loaded ${kind} from ${file.name}.`, 'info');
      }
    } catch (error) {
      this.#loadRefusal = this.#report(error);
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
    // Read before anything changes: a bad "stopped" refuses the file with the page as it was.
    const { summary, configuration } = saved;
    const stops = {
      solve: savedStop(summary, name),
      spectrum: isObject(summary.spectrum) ? savedStop(summary.spectrum, name) : null,
    };
    const stopped = { solve: stops.solve !== null, spectrum: stops.spectrum !== null };
    const solverFields = savedSolverFields(summary, name, stops, unknowns({ ...saved, configuration }));
    const p = this.parameters;
    const source = configuration.source;
    // A geometry's positions are its formula's: then the link reproduces the loaded run too.
    if (
      isGeometryName(source) &&
      firstElectronApart(geometry(source, configuration.n).positions, configuration.positions) < 0
    ) {
      p.source = source;
    } else {
      this.#positionsFile = { name, id: ++this.#loads, configuration };
      p.source = 'file';
    }
    p.n = configuration.n;
    p.model = saved.model;
    p.dim = saved.dim;
    p.epsilon = saved.epsilon;
    // A file without R (ε = 0: R infinite, JSON's null) has the R its ε implies, as a typed ε sets it.
    p.radiusMetres = saved.radiusMetres ?? radiusFromEpsilon(saved.epsilon);
    p.scale = 'epsilon';
    p.softening = saved.softening;
    Object.assign(p, solverFields);
    const pattern = saved.summary.velocity_pattern;
    // The file's seed (a random pattern's), else the default's: none stays from the page's last run.
    const seed = saved.summary.seed;
    p.seed = typeof seed === 'number' ? seed : kDefaults.seed;
    if (typeof pattern === 'string' && ['rigid', 'uniform', 'random', 'alternating'].includes(pattern)) {
      p.velocity = pattern as Parameters['velocity'];
    } else {
      // The quantity the run was given, which its mode says: a solve for velocities (solve
      // --momenta) from its momenta; p = M v, and a round trip from a file's v (whose given v the
      // file does not hold), from its velocities.
      const kind = saved.summary.mode === 'velocities' ? 'momenta' : 'velocities';
      const values = saved[kind];
      if (values) {
        this.#quantityFile = { name, kind, read: () => values };
        p.velocity = 'file';
      }
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
        savedEnergies(saved.summary),
      );
      // The tolerance line where the file says what was asked (a file without "tolerance": none).
      const { tolerance, refinement_steps: steps } = saved.summary;
      this.#diagnostics.history(
        saved.history,
        norm(saved.momenta),
        typeof tolerance === 'number' ? tolerance : 0,
        typeof steps === 'number' && steps > 0,
      );
    }
    this.#results.system = system;
    this.#diagnostics.loadedSummary(summary, stopped);
    // The file's summary is a result to save again, with or without velocities (a spectrum alone).
    this.#showDownloads();
    // The panel's fields took the file's options; what they do not carry, a rerun changes.
    const rerun = savedRunRerun(summary, describeDevice(this.#gpu).kind);
    this.#diagnostics.message(
      `Loaded ${configuration.n} electrons and their result from ${name}${rerun}.`,
      'info',
    );
    this.#setStatus(saved.summary.converged === false ? 'failed' : 'converged');
  }

  /**
   * The CLI's `solve --out FILE.json` object (src/run/report.ts), with the last spectrum added; a
   * loaded file's own summary while nothing was recomputed, and a loaded solve's with a Spectrum run
   * since, which names where it ran (spectrumObject): the page's device and M need not be the file's.
   * A loaded spectrum alone, run again, is the page's own.
   */
  #resultObject(): Record<string, unknown> | null {
    const r = this.#results;
    const system = r.system;
    if (!system) return null;
    const context = {
      device: describeDevice(this.#gpu),
      matrix: this.#built?.backend.matrix ?? null,
      // The tree's tolerance with it, as the CLI writes it: a reloaded file reruns at that tolerance.
      tree: this.#built?.backend.tree,
      threads: r.solveThreads ?? r.spectrumThreads ?? undefined,
      radiusMetres: this.parameters.radiusMetres,
      timing: r.timing,
    };
    // The app writes "mode" null where nothing was solved (solveJson); solve --out never does.
    const loadedSolve = r.loaded !== null && r.loaded.mode !== null;
    if (r.loaded && !r.report && (loadedSolve || !r.spectrum)) {
      const { positions } = system.configuration;
      const spectrum = r.spectrum ? { spectrum: spectrumObject(r.spectrum, r.spectrumStop, context) } : {};
      return {
        ...r.loaded,
        ...spectrum,
        positions,
        velocities: r.velocities,
        momenta: r.momenta,
        history: r.history,
      };
    }
    const { command, ...json } = solveJson(system, r.report, context, {
      arrays: true,
      spectrum: r.spectrum,
    });
    // Marked "stopped" after its command, as a study's JSON is (each key keeps its place); a complete
    // run's is the CLI's.
    return {
      command,
      ...stoppedJson(r.solveStop),
      ...json,
      ...(r.spectrum && { spectrum: spectrumObject(r.spectrum, r.spectrumStop) }),
    };
  }

  /** The downloads there is something for: the JSON once a system has a result, the CSV its v and p. */
  #showDownloads(): void {
    const { system, velocities, momenta } = this.#results;
    this.#ui.setDownloads(system !== null, system !== null && velocities !== null && momenta !== null);
  }

  downloadJson(): void {
    const result = this.#resultObject();
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
    // eps to three digits, in JavaScript's shortest form (0.001, 1.5e-7): no padding zeros in a file name.
    const epsilon = Number((system?.epsilon ?? 0).toPrecision(3));
    return `darwin-breit-${source}-n${system?.configuration.n ?? 0}-eps${epsilon}`;
  }
}
