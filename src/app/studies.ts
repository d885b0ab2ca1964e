// The Studies panel's runs: thin adapters over src/studies/<name>/ as the CLI's study commands are, the
// London map on the page's GPU device (its float64 sum in the reference worker), the scaling and
// response sweeps on the GPU engine; the last response run's induced speeds are kept for the canvas
// (colour by current). Every study's points run one at a time with the page's event loop in between
// (the `pause` hook), so the page keeps drawing, and Stop follows the one rule of
// src/studies/study.ts.
import type { GpuContext } from '../gpu/device.ts';
import { gpuMovingChargesField, gpuReducedField } from '../engine/london.ts';
import { InputError } from '../physics/input-error.ts';
import { kLondonConvergenceNs, londonBodyProblem, londonConvergenceNs } from '../physics/london.ts';
import { kDefaultPairingRatios } from '../physics/pairing.ts';
import { describeDevice, toJson } from '../io/formats.ts';
import { larmorFromJson, larmorJson } from '../studies/larmor/report.ts';
import { runLarmor } from '../studies/larmor/run.ts';
import {
  londonConvergenceSvg,
  londonDeviationSvg,
  londonFromJson,
  londonJson,
  londonLaw,
  londonMapSvg,
} from '../studies/london/report.ts';
import {
  runLondon,
  type LondonConvergence,
  type LondonMap,
  type LondonOptions,
} from '../studies/london/run.ts';
import {
  pairingEnergySvg,
  pairingFromJson,
  pairingJson,
  pairingRatioSvg,
  type PairingJson,
  type PlottedPoint,
  type PlottedRing,
} from '../studies/pairing/report.ts';
import { runPairing } from '../studies/pairing/run.ts';
import type { GeometryName } from '../physics/geometry.ts';
import {
  responseFromJson,
  responsePointTag,
  responseProfileSvg,
  responseSummary,
  responseVelocitiesCsv,
} from '../studies/response/report.ts';
import {
  largestResponseSystem,
  runResponse,
  sameNEpsilon,
  type ResponsePoint,
  type ResponseResult,
} from '../studies/response/run.ts';
import { epsilonsOf, responseSpec, type ResponseSpec } from '../studies/response/spec.ts';
import { kDistributionDimension, type ScalingGeometry } from '../physics/scaling.ts';
import { kDriveVelocityUnits } from '../physics/response.ts';
import type { DarwinSystem, ModelName } from '../physics/models.ts';
import {
  runScaling,
  scalingReference,
  summariseStudy,
  type ScalingPoint,
  type ScalingStudy,
} from '../studies/scaling/run.ts';
import { scalingJson, scalingRunFromJson } from '../studies/scaling/report.ts';
import {
  kScalingBrowserElectrons,
  kScalingBrowserPoints,
  kScalingAppSweep,
  logSpacedCounts,
  logSpacedPointCount,
  scalingRangeProblem,
} from '../studies/scaling/spec.ts';
import { isObject, savedStop, stoppedLine, type StudyHooks, type SweepStop } from '../studies/study.ts';
import { kDefaultLanczosBasis } from '../solvers/lanczos.ts';
import { checkDecision } from '../run/check.ts';
import type { ReferenceProgress } from '../run/reference.ts';
import { openEngine } from './engine.ts';
import { download } from './files.ts';
import { referenceReporter, withReference } from './reference.ts';
import {
  FieldError,
  parseHalfHeight,
  parseLondonGrid,
  parseLondonN,
  rerunClause,
  type Parameters,
  type SourceName,
  type StudyAction,
} from './state.ts';
import {
  lastConvergedPoint,
  responseDescription,
  responseStartPoint,
  type StudiesView,
  type StudyCard,
} from './studies-view.ts';
import type { InducedSpeeds } from './view.ts';

/** The scaling card's headline of a sweep. */
function scalingDescription(geometry: ScalingGeometry, model: ModelName, ns: readonly number[]): string {
  return `${geometry}, ${model} model, d = ${kDistributionDimension[geometry]}, N = ${ns.join(', ')}`;
}

/**
 * The "stopped" of a run that the page's Stop ended after `points` of its `of` (signal null: no
 * signal, the Stop button), or null for one that ran to its end, or that has no point to save.
 */
function stopOf(stopped: boolean, points: number, of: number): SweepStop | null {
  return stopped && points > 0 ? { signal: null, points, of } : null;
}

/** Lets the page draw a frame and handle input (a Stop click) between two chunks of a run. */
function yieldToPage(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * A loaded file's JSON as its card rebuilt it (its fits recomputed, as merge does), under the file's
 * "version", null where it names none (as merge writes a join of such shards): its points are that
 * version's numbers, not the page's. (The pairing and response cards save the file's own JSON; a
 * Larmor file is run again, the page's.)
 */
export function filed<Summary extends { version: string | null }>(
  json: Record<string, unknown>,
  built: Summary,
): Summary {
  return { ...built, version: typeof json.version === 'string' ? json.version : null };
}

/** A study file loaded into its card: the page's message, and the panel fields it set. */
export interface StudyLoad {
  readonly message: string;
  readonly fields: readonly (keyof Parameters)[];
}

/** The panel field of each of the response spec's InputError fields. */
const kResponseFields: Readonly<Record<string, keyof Parameters>> = {
  geometry: 'responseGeometry',
  n: 'responseNs',
  model: 'responseModel',
  dim: 'responseDim',
  drive: 'responseDrive',
  nEpsilon: 'responseNEpsilon',
  grid: 'responseGrid',
  treeTolerance: 'treeTolerance',
};

/**
 * The panel's response inputs through the study's own validation (src/studies/response/spec.ts), as
 * the CLI's flags go: what only the whole spec can refuse (a drive the geometry has no axis for, the 2D
 * model off the plane) ends as a FieldError by the field it names.
 */
export function responseSpecOf(p: Parameters): ResponseSpec {
  try {
    return responseSpec({
      geometry: p.responseGeometry,
      n: p.responseNs.join(','),
      model: p.responseModel,
      dim: String(p.responseDim),
      drive: p.responseDrive,
      nEpsilon: p.responseNEpsilon.join(','),
      grid: String(p.responseGrid),
      device: 'gpu',
      matrix: 'auto',
      // 'auto' takes the tree past the device's crossover N, at the panel's tolerance.
      treeTolerance: String(p.treeTolerance),
    });
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    throw new FieldError(kResponseFields[error.field ?? ''] ?? 'responseGeometry', error.message);
  }
}

/** |v_i| of each electron from the velocity triples. */
function speeds(velocities: Float64Array): Float64Array {
  const out = new Float64Array(velocities.length / 3);
  for (let i = 0; i < out.length; i++) {
    out[i] = Math.hypot(velocities[3 * i], velocities[3 * i + 1], velocities[3 * i + 2]);
  }
  return out;
}

export class Studies {
  #gpu: GpuContext;
  readonly #view: StudiesView;
  #response: ResponseResult | null = null;
  /** The N r_e/R whose solution the map and the canvas show. */
  #responseNEpsilon = 0;
  #responseShown: (() => void) | null = null;
  /**
   * Each card's last run that finished a point, as its CLI command prints it with --json (a stopped
   * one's marked "stopped"): what the card saves.
   */
  readonly #summaries = new Map<StudyCard, object>();

  /** The device of every later run: a new one after a loss. */
  useDevice(gpu: GpuContext): void {
    this.#gpu = gpu;
  }

  constructor(gpu: GpuContext, view: StudiesView) {
    this.#gpu = gpu;
    this.#view = view;
    view.onSave((card) => this.save(card));
    view.onSaveVelocities(() => this.#saveVelocities());
    view.onResponseSelected((nEpsilon) => {
      this.#responseNEpsilon = nEpsilon;
      this.#responseShown?.();
    });
  }

  /** Called when the induced speeds the canvas shows change (a response run, another N r_e/R picked). */
  onResponseShown(listener: () => void): void {
    this.#responseShown = listener;
  }

  /** The last response run's geometry and largest N: the configuration its canvas colouring is for. */
  get responseConfiguration(): { geometry: GeometryName; n: number } | null {
    const last = this.#response?.points.at(-1);
    return this.#response && last ? { geometry: this.#response.spec.geometry, n: last.n } : null;
  }

  /**
   * The induced |v_i| of the last response run for the configuration `source` with n electrons, at the
   * N r_e/R picked in the card (or that N's last converged point, where it lacks that one: a Stop came
   * first); null when it has none.
   */
  inducedSpeeds(source: SourceName, n: number): InducedSpeeds | null {
    const result = this.#response;
    if (!result || result.spec.geometry !== source) return null;
    const point = this.#shownPoint(n);
    return point ? { speeds: speeds(point.velocities), unit: kDriveVelocityUnits[result.spec.drive] } : null;
  }

  /**
   * The last run's point at `n` electrons (the largest by default: the map's) and the N r_e/R picked
   * in the card, or that N's last converged point where it lacks that one (a Stop came first).
   */
  #shownPoint(n = this.#response?.points.at(-1)?.n): ResponsePoint | undefined {
    const atN = this.#response?.points.filter((p) => p.n === n) ?? [];
    const x = this.#responseNEpsilon;
    return atN.find((p) => sameNEpsilon(p.nEpsilon, x)) ?? lastConvergedPoint(atN);
  }

  /** Runs one study; true when it finished (not stopped, every solver converged). */
  async run(action: StudyAction, parameters: Parameters, hooks: StudyHooks): Promise<boolean> {
    this.#view.start(action);
    const paced: StudyHooks = { ...hooks, pause: yieldToPage };
    let ok = false;
    try {
      ok = await this.#runStudy(action, parameters, paced);
    } finally {
      this.#view.finish(action, ok ? 'converged' : 'failed');
    }
    return ok;
  }

  /**
   * `action`'s runner. The switch's default takes `never`, as #load's and inputProblem's do: a study
   * added to kStudyActions without a case here fails typecheck, naming it ("Type '"<study>"' is not
   * assignable to type 'never'"), rather than running another study.
   */
  async #runStudy(action: StudyAction, parameters: Parameters, paced: StudyHooks): Promise<boolean> {
    switch (action) {
      case 'london':
        return this.#london(parameters, paced);
      case 'pairing':
        return this.#pairing(paced);
      case 'larmor':
        return this.#larmor(parameters);
      case 'scaling':
        return this.#scaling(parameters, paced);
      case 'response':
        return this.#runResponse(parameters, paced);
      default: {
        const unhandled: never = action;
        throw new Error(`no runner for the study ${String(unhandled)}`);
      }
    }
  }

  /** A panel field changed: the Larmor card, once shown, follows its inputs. */
  changed(key: keyof Parameters, parameters: Parameters): void {
    if (key.startsWith('larmor') && this.#view.larmorShown) this.#larmor(parameters);
  }

  /**
   * What `study`'s run would refuse of its fields together before it starts, or null: a cylinder's
   * N < h (London), what only the whole response spec refuses (the 2D model off the plane, a cube's N).
   */
  inputProblem(study: StudyAction, p: Parameters): FieldError | null {
    // A default that takes `never`, as #runStudy's: a new study fails the typecheck, named, until it
    // says what of its fields is refused together.
    switch (study) {
      case 'london': {
        const tooFew = londonBodyProblem(p.londonGeometry, p.londonN, p.londonHalfHeight);
        return tooFew ? new FieldError('londonN', `N ${tooFew}, got ${p.londonN}`) : null;
      }
      case 'response':
        try {
          responseSpecOf(p);
          return null;
        } catch (error) {
          if (error instanceof FieldError) return error;
          throw error;
        }
      // Nothing of these studies' fields is refused together: each is checked alone as it is typed.
      case 'pairing':
      case 'larmor':
      case 'scaling':
        return null;
      default: {
        const unhandled: never = study;
        throw new Error(`no joint check for the study ${String(unhandled)}`);
      }
    }
  }

  /**
   * A study's saved JSON (a card's download, `<command> --json`, the CLI's `--out` file) back in
   * its card `card` (the file's command): the scaling sweep and the London convergence list with
   * their fits recomputed (as merge does), the pairing run's points and rings, the Larmor ring, and
   * the response's numbers, curve and limits. The JSON holds no maps or velocities: the London and
   * response maps and the canvas's colours need a run. The file is checked whole before the card or
   * the fields change, and the fields follow it where the page could run it; returns the page's
   * message and the fields it set. A run that a signal or Stop ended early ("stopped") is shown with
   * the points it holds, its card marked as a stopped run is, and the message says how far it got.
   */
  load(card: StudyCard, json: Record<string, unknown>, name: string, p: Parameters): StudyLoad {
    const stop = savedStop(json, name);
    const loaded = this.#load(card, json, name, p, stop);
    // A CLI --out file has no "files" (it is what that list names): saved again as it came.
    const saved = this.#summaries.get(card);
    if (saved && !('files' in json)) this.#summaries.set(card, { ...saved, files: undefined });
    if (!stop) return loaded;
    // A run a signal or Stop ended early is shown as the page shows its own stopped runs: its points
    // done of those it had to run, not of those the file holds.
    this.#view.sweepStopped(card, stop);
    this.#view.finish(card, 'failed');
    return { ...loaded, message: `${loaded.message} The run was ${stoppedLine(stop)}.` };
  }

  #load(
    card: StudyCard,
    json: Record<string, unknown>,
    name: string,
    p: Parameters,
    stop: SweepStop | null,
  ): StudyLoad {
    switch (card) {
      case 'london':
        return this.#loadLondon(json, name, p, stop);
      case 'pairing': {
        const saved = pairingFromJson(json, name);
        this.#view.start('pairing');
        this.#showPairing(saved.json, saved.plotted, stop);
        this.#view.finish('pairing', 'converged');
        return {
          message: `Loaded the pairing run (${saved.json.points.length} a_m/a) from ${name}.`,
          fields: [],
        };
      }
      case 'larmor':
        return this.#loadLarmor(json, name, p);
      case 'scaling':
        return this.#loadScaling(json, name, p, stop);
      case 'response':
        return this.#loadResponse(json, name, p, stop);
      default: {
        const unhandled: never = card;
        throw new Error(`no loader for the study ${String(unhandled)}`);
      }
    }
  }

  #loadLondon(json: Record<string, unknown>, name: string, p: Parameters, stop: SweepStop | null): StudyLoad {
    const saved = londonFromJson(json, name);
    const { geometry, grid } = saved.json;
    const halfHeight = saved.json.half_height ?? 1;
    const [study] = saved.studies;
    // The fields follow the file where the page's own rules take its body and grid.
    let fields: Partial<Parameters> = {};
    try {
      fields = {
        londonGeometry: geometry,
        londonN: parseLondonN(String(study.n)),
        londonGrid: parseLondonGrid(String(grid)),
        // A sphere's file leaves the cylinder's half-height as the panel has it.
        ...(geometry === 'cylinder' ? { londonHalfHeight: parseHalfHeight(String(halfHeight)) } : {}),
      };
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
    }
    this.#view.start('london');
    this.#view.clearLondon();
    const body = { geometry, halfHeight, n: study.n, continuumParameter: saved.convergence.continuum };
    this.#view.londonMap(body, grid, study, { map: '', deviation: '' }, saved.json.device.kind);
    const ns = saved.studies.map((s) => s.n);
    // No list (a run stopped before it, a cylinder too long for any of its N): no plot, as the CLI's.
    const listed = saved.convergence.points.length > 0;
    this.#view.londonConvergence(
      saved.convergence,
      listed ? londonConvergenceSvg({ geometry, halfHeight }, saved.convergence, ns, stop) : '',
    );
    const device = saved.json.device;
    this.#finished(
      'london',
      filed(
        json,
        londonJson({
          device,
          geometry,
          halfHeight,
          grid,
          ns,
          studies: saved.studies,
          convergence: saved.convergence,
          shard: null,
          stop,
        }),
      ),
    );
    this.#view.finish('london', 'converged');
    Object.assign(p, fields);
    const others = ns.length > 1 ? `; the card shows the first of its ${ns.length} bodies` : '';
    const runnable = Object.keys(fields).length > 0;
    const kept = runnable ? '' : '; the page cannot run this body, so its fields stay';
    // The map of a rerun is the page's GPU's float32 sum, where a CPU file's (--device cpu) was the
    // float64 sum: its drawing and check differ (its numbers are float64 on either).
    const rerun = runnable
      ? rerunClause({ device: describeDevice(this.#gpu).kind }, { device: device.kind })
      : '';
    // The fit is recomputed (as merge does): a file fitted by an older rule (before the fit took
    // the asymptotic tail alone) gets another law, which is said beside the file's.
    const law = londonLaw(saved.convergence);
    const fileLaw = saved.json.convergence.law;
    const refitted =
      typeof fileLaw === 'string' && fileLaw !== law
        ? ` Its convergence fit is recomputed: ${law}, where the file has ${fileLaw}.`
        : '';
    return {
      message:
        `Loaded the London ${geometry} of ${study.n} charges from ${name}: its numbers and convergence ` +
        `(the map needs a run)${others}${kept}${rerun}.${refitted}`,
      fields: Object.keys(fields) as (keyof Parameters)[],
    };
  }

  #loadScaling(
    json: Record<string, unknown>,
    name: string,
    p: Parameters,
    stop: SweepStop | null,
  ): StudyLoad {
    const { device, model, sweep, studies, totalMs } = scalingRunFromJson(json, name);
    // Every geometry's fits recomputed, as merge does: the card shows the first, and saves them all.
    const summaries = studies.map((s) => summariseStudy(s.geometry, model, s.points, s.ms));
    const [study] = summaries;
    const { geometry, points } = study;
    const ns = points.map((point) => point.n);
    // The fields follow the file where the page's log-spaced sweep gives the same N, else keep theirs.
    const count = logSpacedPointCount(ns, kScalingBrowserElectrons, kScalingBrowserPoints);
    const fields =
      count === null
        ? {}
        : {
            scalingGeometry: geometry,
            scalingModel: model,
            scalingNMin: ns[0],
            scalingNMax: ns[ns.length - 1],
            scalingPoints: count,
          };
    this.#view.start('scaling');
    // A CPU run's file names each N's storage (matrix): the float64 tree, where some N took it, is not
    // the reference.
    const onTree = Object.values(studies[0].extra.matrix).includes('tree');
    this.#view.scalingStart(scalingDescription(geometry, model, ns), ns, device.kind, onTree);
    this.#view.scalingUpdate(points, study);
    const runNs = Array.isArray(json.ns) ? (json.ns as number[]) : ns;
    const extras = studies.map((s) => s.extra);
    this.#finished(
      'scaling',
      filed(
        json,
        scalingJson({
          device,
          model,
          ns: runNs,
          studies: summaries,
          extras,
          shard: null,
          sweep,
          totalMs,
          stop,
        }),
      ),
    );
    this.#view.finish('scaling', points.every((point) => point.lanczos.converged) ? 'converged' : 'failed');
    Object.assign(p, fields);
    const others = studies.length > 1 ? `; the card shows the first of its ${studies.length} geometries` : '';
    const kept =
      count === null
        ? `; the panel's log-spaced N (${kScalingBrowserElectrons.min} to ${kScalingBrowserElectrons.max}) ` +
          'cannot give these, so its fields stay'
        : '';
    // The panel has no field for the sweep's other options, nor for the device: a rerun here takes
    // the page's, float32 on its GPU where a CPU file's (--device cpu) held float64. Its GPU holds no
    // CPU tree, whose thread count is then no option of a rerun. A file that names no sweep (an older
    // one) says its device alone.
    const rerun = rerunClause(
      { device: describeDevice(this.#gpu).kind, ...kScalingAppSweep },
      { device: device.kind, ...(sweep ? { ...sweep, threads: null } : kScalingAppSweep) },
    );
    return {
      message: `Loaded the ${geometry} scaling sweep (${ns.length} N) from ${name}${others}${kept}${rerun}.`,
      fields: Object.keys(fields) as (keyof Parameters)[],
    };
  }

  #loadLarmor(json: Record<string, unknown>, name: string, p: Parameters): StudyLoad {
    // The reader holds the file's numbers to the panel's own rules for its fields.
    const ring = larmorFromJson(json, name);
    const fields = {
      larmorN: ring.n,
      larmorFieldTesla: ring.fieldTesla,
      larmorRadiusMetres: ring.radiusMetres,
    };
    Object.assign(p, fields);
    this.#view.start('larmor');
    this.#larmor(p);
    this.#view.finish('larmor', 'converged');
    return {
      message: `Loaded the Larmor ring of ${fields.larmorN} electrons from ${name}.`,
      fields: Object.keys(fields) as (keyof Parameters)[],
    };
  }

  #loadResponse(
    json: Record<string, unknown>,
    name: string,
    p: Parameters,
    stop: SweepStop | null,
  ): StudyLoad {
    const shown = responseFromJson(json, name);
    const { spec, points } = shown;
    // The fields follow the file where the page could run the same sweep (the spec's own rules).
    // A sweep of one eps for every N (the CLI's --epsilon, --radius-m) is not one the page runs.
    let fields: Partial<Parameters> = {};
    if (spec.scale.kind === 'nEpsilon') {
      const candidate: Partial<Parameters> = {
        responseGeometry: spec.geometry,
        responseNs: spec.ns,
        responseModel: spec.model,
        responseDim: spec.dim,
        responseDrive: spec.drive,
        responseNEpsilon: spec.scale.values,
      };
      try {
        responseSpecOf({ ...p, ...candidate });
        fields = candidate;
      } catch (error) {
        if (!(error instanceof FieldError)) throw error;
      }
    }
    this.#view.start('response');
    // A file's run is the CLI's, on the GPU or (--device cpu) in float64.
    this.#view.responseStart(
      responseDescription(spec, 'no map in the file'),
      points.length,
      shown.device.kind,
    );
    const selected = responseStartPoint(points)?.nEpsilon ?? 0;
    this.#view.response(shown, points.length, selected, '', stop);
    // What the card saves again is the run's JSON, not the README table beside it.
    this.#finished('response', { ...json, markdown: undefined });
    this.#view.finish('response', points.every((point) => point.converged) ? 'converged' : 'failed');
    Object.assign(p, fields);
    // The file has no velocities: the canvas drops the last run's colours.
    this.#response = null;
    this.#view.velocitiesSaveable(false);
    this.#responseNEpsilon = selected;
    this.#responseShown?.();
    const runnable = Object.keys(fields).length > 0;
    const kept = runnable ? '' : '; the page cannot run this sweep, so its fields stay';
    // The card has no device or matrix field: its rerun runs float32 on the page's GPU where a CPU
    // file's (--device cpu) ran float64, and takes 'auto', the tree past the device's crossover N at
    // the panel's tolerance, where the file's --matrix dense|free|tree, or its tree's tolerance, gave
    // other numbers.
    const treeTolerance = isObject(json.tree) ? json.tree.tolerance : undefined;
    const file = {
      device: shown.device.kind,
      matrix: typeof json.matrix === 'string' ? json.matrix : 'auto',
      tree_tolerance: typeof treeTolerance === 'number' ? treeTolerance : p.treeTolerance,
    };
    const page = { device: describeDevice(this.#gpu).kind, matrix: 'auto', tree_tolerance: p.treeTolerance };
    const rerun = runnable ? rerunClause(page, file) : '';
    return {
      message:
        `Loaded the ${spec.geometry}'s ${spec.drive} response (${points.length} points) from ${name}: ` +
        `its numbers, curve and limits (the maps, the current's profile and the canvas's colours need ` +
        `a run)${kept}${rerun}.`,
      fields: Object.keys(fields) as (keyof Parameters)[],
    };
  }

  /** The map point's velocities, as `response --out` writes each point's (response-<tag>.csv). */
  #saveVelocities(): void {
    const point = this.#shownPoint();
    if (point) download(`response-${responsePointTag(point)}.csv`, responseVelocitiesCsv(point), 'text/csv');
  }

  /** Downloads the card's last finished run as `<card>.json`, the CLI's --json summary of it. */
  save(card: StudyCard): void {
    const summary = this.#summaries.get(card);
    if (summary) download(`${card}.json`, toJson(summary) + '\n', 'application/json');
  }

  /**
   * The card's run ended with `summary` (its download enabled: finished, or stopped after a point),
   * or null: started, or stopped before its first point.
   */
  #finished(card: StudyCard, summary: object | null): void {
    if (summary) this.#summaries.set(card, summary);
    else this.#summaries.delete(card);
    this.#view.saveable(card, summary !== null);
  }

  async #london(p: Parameters, hooks: StudyHooks): Promise<boolean> {
    // The run's inputs, held: the panel stays editable while it runs.
    const options = {
      geometry: p.londonGeometry,
      ns: [p.londonN],
      grid: p.londonGrid,
      halfHeight: p.londonHalfHeight,
      convergenceNs: kLondonConvergenceNs,
    };
    // Refused before the card is cleared: a run that never starts keeps the last one's result.
    const problem = this.inputProblem('london', p);
    if (problem) throw problem;
    this.#view.clearLondon();
    this.#finished('london', null);
    // The map's float64 sum (its numbers and check) in the reference worker, on every core where
    // the page is cross-origin isolated: the page's thread may not block on a pool, and alone it
    // would take seconds at 200 000 charges. Its chunks show on the run's line; a Stop ends it.
    const report = referenceReporter();
    const { maps, convergence, stopped } = await withReference(
      () => hooks.stopped?.() ?? false,
      (float64) =>
        runLondon(
          (body, points) => gpuReducedField(this.#gpu, body, points),
          options,
          {
            ...hooks,
            map: (map) =>
              this.#view.londonMap(map.body, options.grid, map.study, {
                map: londonMapSvg(map.body, map.grid, map.ratios),
                deviation: londonDeviationSvg(map.body, map.grid, map.ratios),
              }),
          },
          null,
          (body, points) => float64.reducedField(body, points),
        ),
      (progress) => {
        const shown = report(progress);
        if (shown) hooks.progress?.(shown.text, shown.fraction);
      },
    );
    if (stopped) {
      // A Stop after the map, during the convergence list, would leave its row at 'computing…'; what
      // it finished is saved, its JSON marked as the CLI's is. The list holds only the N that make
      // the body (a cylinder's N >= h), as runLondon runs it.
      if (maps.length > 0) {
        const listCount = londonConvergenceNs(options.geometry, options.halfHeight).length;
        const finished = maps.length + convergence.points.length;
        const stop = stopOf(true, finished, options.ns.length + listCount);
        // The list's plot of the N it finished, as the CLI's --out draws it: its title says so.
        const mapNs = maps.map((map) => map.body.n);
        const svg =
          convergence.points.length > 0 ? londonConvergenceSvg(options, convergence, mapNs, stop) : '';
        this.#view.londonStopped(convergence, listCount, svg);
        this.#finished('london', this.#londonSummary(options, maps, convergence, stop));
      } else this.#view.londonStoppedBeforeMap();
      return false;
    }
    this.#view.londonConvergence(
      convergence,
      londonConvergenceSvg(
        options,
        convergence,
        maps.map((map) => map.body.n),
      ),
    );
    this.#finished('london', this.#londonSummary(options, maps, convergence, null));
    return true;
  }

  /** A London run's JSON, as `london --json` prints it. */
  #londonSummary(
    options: LondonOptions,
    maps: readonly LondonMap[],
    convergence: LondonConvergence,
    stop: SweepStop | null,
  ) {
    const studies = maps.map((map) => map.study);
    return londonJson({
      ...options,
      device: describeDevice(this.#gpu),
      studies,
      convergence,
      shard: null,
      stop,
    });
  }

  async #pairing(hooks: StudyHooks): Promise<boolean> {
    const ratios = kDefaultPairingRatios;
    this.#view.clearPairingRings();
    const { points, rings, stopped } = await runPairing(ratios, {
      ...hooks,
      progress: (text, fraction) => {
        hooks.progress?.(text, fraction);
        this.#view.pairingProgress(Math.round((fraction ?? 0) * ratios.length), ratios.length);
      },
    });
    // A sweep Stop cut short is shown and saved with the points it finished (the rings come after
    // them), its JSON marked as the CLI's is.
    const stop = stopOf(stopped, points.length, ratios.length);
    if (!stopped || stop)
      this.#showPairing(pairingJson({ points, rings, ratios, shard: null, stop }), { points, rings }, stop);
    return !stopped;
  }

  /**
   * A pairing run, or a saved one, in its card: the JSON it saves, and what its plots draw (their
   * titles marked where `stop` ended the sweep).
   */
  #showPairing(
    json: PairingJson,
    plotted: { readonly points: readonly PlottedPoint[]; readonly rings: readonly PlottedRing[] },
    stop: SweepStop | null,
  ): void {
    this.#view.pairing(
      json.points.map((point) => point.ratio),
      json.grid.max_estimated_relative_error,
      json.rings,
      pairingEnergySvg(plotted.points, plotted.rings, stop),
      pairingRatioSvg(plotted.points, plotted.rings, stop),
    );
    this.#finished('pairing', json);
  }

  #larmor(p: Parameters): boolean {
    const run = runLarmor({
      n: p.larmorN,
      fieldTesla: p.larmorFieldTesla,
      radiusMetres: p.larmorRadiusMetres,
    });
    this.#view.larmor(run.ring);
    // The card follows its fields: what it saves is the ring it shows.
    this.#finished('larmor', larmorJson(run));
    return true;
  }

  /** The sweep, one GPU solve per point (study.ts's Stop rule: checked before and after each solve). */
  async #runResponse(p: Parameters, hooks: StudyHooks): Promise<boolean> {
    const spec = responseSpecOf(p);
    const stopped = () => hooks.stopped?.() ?? false;
    const total = spec.ns.reduce((sum, n) => sum + epsilonsOf(spec, n).length, 0);
    const map = spec.drive === 'flux' ? 'no map (flux drive)' : `${spec.grid} × ${spec.grid} map`;
    this.#view.responseStart(responseDescription(spec, map), total);
    this.#response = null;
    this.#finished('response', null);
    this.#view.velocitiesSaveable(false);
    // Each solve checked as the CLI's --device gpu checks it (the largest N decides), in the
    // reference worker beside the GPU: against the dense float64 solve, or past its size by the
    // residual on float64 rows of M at sampled electrons, which the worker sums (the CLI sums them
    // on its own thread).
    const largest = largestResponseSystem(spec);
    const checked = checkDecision(largest, 'gpu', p.check ? undefined : false, spec.matrix);
    const key = (system: DarwinSystem) => `response N = ${system.configuration.n}`;
    // The sweep's last line, which the worker's progress extends (the sampled check's chunks, seconds
    // at 10^6 electrons; the dense check's assembly and solve), as the CLI's point line takes them.
    let line: { text: string; fraction: number | null } = { text: '', fraction: null };
    const report = referenceReporter();
    const onProgress = (progress: ReferenceProgress) => {
      const shown = report(progress);
      if (shown) hooks.progress?.(`${line.text} (${shown.text})`, line.fraction);
    };
    const result = await withReference(
      stopped,
      (reference) =>
        runResponse(
          spec,
          // Stop takes effect between two pieces of a long product: the sweep drops that point.
          (system) => openEngine(this.#gpu, system, spec.matrix, spec.treeTolerance, stopped),
          {
            ...hooks,
            progress: (message, fraction) => {
              line = { text: message, fraction };
              hooks.progress?.(message, fraction);
              this.#view.responseProgress(Math.round((fraction ?? 0) * total), total);
            },
          },
          checked === 'on'
            ? async (system) => reference.backend(key(system), system)
            : checked === 'sampled'
              ? { sampled: (system) => reference.sampled(key(system), system) }
              : null,
          // The field map summed by the GPU's Biot-Savart kernel, as the CLI's --device gpu does.
          (positions, velocities, points) => gpuMovingChargesField(this.#gpu, positions, velocities, points),
          reference.products(),
        ),
      onProgress,
    );
    this.#response = result;
    this.#responseNEpsilon = responseStartPoint(result.points)?.nEpsilon ?? 0;
    // A sweep Stop cut short is shown and saved with the points it finished, its plots' titles and
    // its JSON marked as the CLI's are.
    const stop = stopOf(!result.complete, result.points.length, total);
    const profile = responseProfileSvg(result, stop) ?? '';
    this.#view.response(result, total, this.#responseNEpsilon, profile, stop);
    this.#view.velocitiesSaveable(result.points.length > 0);
    if (result.complete || stop)
      this.#finished('response', responseSummary(result, describeDevice(this.#gpu), stop));
    return result.complete && result.points.every((point) => point.converged);
  }

  async #scaling(p: Parameters, hooks: StudyHooks): Promise<boolean> {
    const range = scalingRangeProblem(p.scalingNMin, p.scalingNMax);
    if (range) throw new FieldError('scalingNMax', range);
    const ns = logSpacedCounts(p.scalingNMin, p.scalingNMax, p.scalingPoints);
    const geometry = p.scalingGeometry;
    const model = p.scalingModel;
    this.#view.scalingStart(scalingDescription(geometry, model, ns), ns);
    this.#finished('scaling', null);
    const started = performance.now();
    const stopRequested = () => hooks.stopped?.() ?? false;
    const at = (n: number) => `Scaling: ${geometry}, N = ${n} (${ns.indexOf(n) + 1} of ${ns.length})`;
    // The storage auto took at each N, as `scaling --json` reports it on the GPU.
    const storage: Record<string, string> = {};
    const factory = async (system: DarwinSystem) => {
      const backend = await openEngine(
        this.#gpu,
        system,
        kScalingAppSweep.matrix,
        kScalingAppSweep.tree_tolerance,
        stopRequested,
        undefined,
        kDefaultLanczosBasis,
      );
      storage[system.configuration.n] = backend.matrix;
      return backend;
    };
    // The line of the point that waits for its check, which the reference's progress extends; null
    // from the next point's start: the worker runs beside the GPU's Lanczos run, whose own line its
    // progress must not interrupt.
    let checking: { text: string; fraction: number } | null = null;
    const report = referenceReporter();
    const onProgress = (progress: ReferenceProgress) => {
      const shown = report(progress);
      if (checking)
        hooks.progress?.(shown ? `${checking.text} (${shown.text})` : checking.text, checking.fraction);
    };
    // Each point checked as the CLI's are (scalingReference), its float64 reference in a worker
    // beside the GPU's Lanczos run.
    const {
      runs: [run],
    } = await withReference(
      stopRequested,
      (float64) =>
        runScaling(
          factory,
          {
            geometries: [geometry],
            model,
            ns,
            tol: kScalingAppSweep.tol,
            seed: kScalingAppSweep.seed,
            reference: scalingReference(float64, false),
          },
          {
            ...hooks,
            pointStarted: (k) => {
              checking = null;
              hooks.progress?.(`${at(ns[k])}, building M…`, k / ns.length);
            },
            lanczos: (n, step, _low, high) =>
              hooks.progress?.(
                `${at(n)}, Lanczos step ${step}, λ_max ≥ ${high.toPrecision(6)}`,
                ns.indexOf(n) / ns.length,
              ),
            check: (n) => {
              checking = { text: `${at(n)}, float64 check…`, fraction: ns.indexOf(n) / ns.length };
              hooks.progress?.(checking.text, checking.fraction);
            },
            point: (_geometry, _point, points) =>
              this.#view.scalingUpdate(
                points,
                this.#summary(geometry, model, [...points], performance.now() - started),
              ),
          },
        ),
      onProgress,
    );
    // Stop before the first point leaves no run, and nothing to save.
    if (!run) return false;
    const { study, stopped } = run;
    // A sweep Stop cut short is saved with the points it finished, its JSON and its plot's title
    // marked as the CLI's are.
    const stop = stopOf(stopped, study.points.length, ns.length);
    if (stop) this.#view.sweepStopped('scaling', stop);
    if (!stopped || stop) {
      this.#finished(
        'scaling',
        scalingJson({
          device: describeDevice(this.#gpu),
          model,
          ns,
          studies: [study],
          extras: [{ matrix: storage }],
          shard: null,
          sweep: kScalingAppSweep,
          totalMs: performance.now() - started,
          stop,
        }),
      );
    }
    return !stopped && study.points.every((point) => point.lanczos.converged);
  }

  /**
   * The fits so far, or why there are none (too few points for the law, or a fit that never reaches 1):
   * of the geometry and model the sweep started with, not the fields now, which may have been changed.
   */
  #summary(
    geometry: ScalingGeometry,
    model: ModelName,
    points: ScalingPoint[],
    milliseconds: number,
  ): ScalingStudy | string {
    try {
      return summariseStudy(geometry, model, points, milliseconds);
    } catch (error) {
      if (error instanceof InputError) return error.message;
      throw error;
    }
  }
}
