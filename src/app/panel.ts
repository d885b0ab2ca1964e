// The lil-gui panel: configuration, velocities, solver, actions, display and files. Numbers are typed
// as text and parsed by state.ts, so "1e-3" works and bad input is refused by the field with a
// message, never as a console error; the last valid value stays in force meanwhile.
import GUI, { OptionController, StringController, type Controller } from 'lil-gui';
import { kClassicalElectronRadius } from '../physics/constants.ts';
import { kGeometryNames } from '../physics/geometry.ts';
import { InputError } from '../physics/input-error.ts';
import { kLondonGeometries } from '../physics/london.ts';
import { kModelNames } from '../physics/models.ts';
import { kDriveNames } from '../physics/response.ts';
import { kScalingGeometries } from '../physics/scaling.ts';
import { kVelocityPatterns } from '../physics/velocities.ts';
import { parseResponseGrid } from '../studies/response/spec.ts';
import { parseFieldTesla, parseLarmorN, parseLarmorRadius } from '../studies/larmor/spec.ts';
import { scalingRangeProblem } from '../studies/scaling/spec.ts';
import {
  formatMaxIterations,
  parseEpsilon,
  parseHalfHeight,
  parseLondonGrid,
  parseLondonN,
  parseLanczosTolerance,
  parseLanczosBasis,
  parseLanczosSeed,
  parseTreeTolerance,
  parseMaxIterations,
  parseN,
  parseRadius,
  parseResponseNEpsilons,
  parseResponseNList,
  parseScalingN,
  parseScalingPoints,
  parseSeed,
  parseSoftening,
  parseTolerance,
  kMatrixLabels,
  kPointScale,
  type Parameters,
  type StudyAction,
  type PanelTarget,
} from './state.ts';
import { markdownNumber } from '../studies/markdown.ts';

export type PanelAction =
  | 'build'
  | 'momenta'
  | 'solve'
  | 'spectrum'
  | StudyAction
  | 'stop'
  | 'load'
  | 'downloadJson'
  | 'downloadCsv'
  | 'resetView';

export interface PanelHooks {
  /** A parameter took a new valid value. */
  changed(key: keyof Parameters): void;
  action(action: PanelAction): void;
}

export type TextKey =
  | 'n'
  | 'epsilon'
  | 'radiusMetres'
  | 'softening'
  | 'seed'
  | 'tolerance'
  | 'maxIterations'
  | 'lanczosTolerance'
  | 'lanczosBasis'
  | 'lanczosSeed'
  | 'treeTolerance'
  | 'londonN'
  | 'londonGrid'
  | 'londonHalfHeight'
  | 'larmorN'
  | 'larmorFieldTesla'
  | 'larmorRadiusMetres'
  | 'scalingNMin'
  | 'scalingNMax'
  | 'scalingPoints'
  | 'responseNs'
  | 'responseNEpsilon'
  | 'responseGrid';

/** A text field's value: a number, or a comma-separated list of them. */
type TextValue = number | readonly number[];

export interface TextSpec<T extends TextValue = TextValue> {
  readonly label: string;
  parse(text: string): T;
  format(value: T): string;
}

/** The typed fields: each one's label, and the parser whose messages name it by that label. */
export const kTextFields: { readonly [K in TextKey]: TextSpec<Parameters[K]> } = {
  n: { label: 'N electrons', parse: parseN, format: String },
  epsilon: { label: 'ε = r_e / R', parse: parseEpsilon, format: String },
  radiusMetres: {
    label: 'R (metres)',
    parse: parseRadius,
    // Six digits without toPrecision's trailing zeros (1e-6 read "0.00000100000").
    format: (r) => (r === Infinity ? '∞' : String(Number(r.toPrecision(6)))),
  },
  softening: { label: 'softening a (R)', parse: parseSoftening, format: String },
  seed: { label: 'seed', parse: parseSeed, format: String },
  tolerance: { label: 'tolerance ‖r‖/‖p‖', parse: parseTolerance, format: String },
  maxIterations: { label: 'max iterations', parse: parseMaxIterations, format: formatMaxIterations },
  lanczosTolerance: { label: 'spectrum tolerance', parse: parseLanczosTolerance, format: String },
  lanczosBasis: { label: 'spectrum basis (vectors)', parse: parseLanczosBasis, format: String },
  lanczosSeed: { label: 'spectrum seed', parse: parseLanczosSeed, format: String },
  treeTolerance: { label: 'tree tolerance (tree)', parse: parseTreeTolerance, format: String },
  londonN: { label: 'N electrons', parse: parseLondonN, format: String },
  londonGrid: { label: 'grid points per side', parse: parseLondonGrid, format: String },
  londonHalfHeight: { label: 'half-height h (R)', parse: parseHalfHeight, format: String },
  larmorN: { label: 'N electrons', parse: parseLarmorN, format: String },
  larmorFieldTesla: { label: 'B (tesla)', parse: parseFieldTesla, format: String },
  larmorRadiusMetres: { label: 'R (metres)', parse: parseLarmorRadius, format: (r) => r.toPrecision(6) },
  scalingNMin: { label: 'smallest N', parse: parseScalingN, format: String },
  scalingNMax: { label: 'largest N', parse: parseScalingN, format: String },
  scalingPoints: { label: 'points (log-spaced)', parse: parseScalingPoints, format: String },
  responseNs: { label: 'N electrons (list)', parse: parseResponseNList, format: String },
  responseNEpsilon: { label: 'N r_e/R (list, eq. 49)', parse: parseResponseNEpsilons, format: String },
  responseGrid: { label: 'grid points per side', parse: parseResponseGrid, format: String },
};

/** The field's spec over its own value type (a mapped type's entry, read back as the union). */
function textSpec(key: TextKey): TextSpec {
  return kTextFields[key] as TextSpec;
}

/**
 * A folder whose fields a screen reader announces as one named group on entering them: lil-gui's
 * folder is a title button and a plain box of fields.
 */
function group(parent: GUI, title: string): GUI {
  const folder = parent.addFolder(title);
  folder.$children.setAttribute('role', 'group');
  folder.$children.setAttribute('aria-label', title);
  return folder;
}

/**
 * Names that several folders share ("N electrons": Configuration's, London's and Larmor's) made
 * unique by their folder, "N electrons, Larmor ring (eq. 13-18)": a screen reader's list of fields,
 * or Tab alone, reads each without the group around it.
 */
function nameByFolder(gui: GUI): void {
  const controllers = gui.controllersRecursive();
  const uses = new Map<string, number>();
  for (const { _name: name } of controllers) uses.set(name, (uses.get(name) ?? 0) + 1);
  for (const controller of controllers) {
    if (uses.get(controller._name) === 1) continue;
    const control = controller.domElement.querySelector('input, select, button');
    // lil-gui names its inputs by aria-labelledby, which an aria-label would not override.
    control?.removeAttribute('aria-labelledby');
    control?.setAttribute('aria-label', `${controller._name}, ${controller.parent._title}`);
  }
}

/** A select's options where each value is its own label. */
function choices(values: readonly string[]): Record<string, string> {
  return Object.fromEntries(values.map((value) => [value, value]));
}

/** The velocity inputs a loaded file can provide, named for the user. */
export interface LoadedNames {
  positions: string | null;
  quantity: string | null;
}

/**
 * The names the read-only rows show: a loaded file's only while its field takes it (a geometry or a
 * pattern picked since leaves the file held, shown again once 'positions file' or 'loaded file' is).
 */
export function shownFileNames(
  p: Pick<Parameters, 'source' | 'velocity'>,
  loaded: LoadedNames,
): { positionsFile: string; quantityFile: string } {
  return {
    positionsFile: (p.source === 'file' && loaded.positions) || '–',
    quantityFile: (p.velocity === 'file' && loaded.quantity) || '–',
  };
}

export class Panel {
  readonly gui: GUI;
  readonly #parameters: Parameters;
  readonly #hooks: PanelHooks;
  readonly #texts = {} as Record<TextKey, string>;
  readonly #controllers = new Map<string, Controller>();
  readonly #errors = new Map<string, HTMLElement>();
  /** Fields whose text does not parse: the actions that read them are refused until they are fixed. */
  readonly #invalid = new Set<string>();
  readonly #derived = { collective: '', positionsFile: '–', quantityFile: '–' };
  /** The files the session holds, named in the read-only rows while their fields take them. */
  #loaded: LoadedNames = { positions: null, quantity: null };
  readonly #actionControllers: Controller[] = [];
  #stop!: Controller;
  /** Files › load, beside which a loaded file's refusal is shown. */
  #filesLoad!: Controller;
  #downloads!: { json: Controller; csv: Controller };
  /** The load buttons: the page loads no file while a run goes on (Session.load refuses it). */
  readonly #loads: Controller[] = [];
  /** The button the running run was started from with the focus on it, and the Stop that took it. */
  #pressed: { button: HTMLElement; stop: HTMLElement } | null = null;

  constructor(container: HTMLElement, parameters: Parameters, hooks: PanelHooks) {
    this.#parameters = parameters;
    this.#hooks = hooks;
    for (const key of Object.keys(kTextFields) as TextKey[]) {
      this.#texts[key] = textSpec(key).format(parameters[key]);
    }
    this.gui = new GUI({ container, title: 'darwin-breit', width: 320 });
    const p = parameters;

    const configuration = group(this.gui, 'Configuration');
    this.#option(configuration, 'source', 'geometry', {
      ...choices(kGeometryNames),
      'positions file': 'file',
    });
    this.#text(configuration, 'n');
    this.#readOnly(configuration, 'positionsFile', 'positions file');
    this.#option(configuration, 'model', 'model', {
      'vector (v_i)': 'vector',
      'azimuthal (φ̇_i about z)': 'azimuthal',
    });
    this.#option(configuration, 'dim', 'velocity components', { '3': 3, '2 (needs z = 0)': 2 });
    this.#text(configuration, 'epsilon');
    this.#text(configuration, 'radiusMetres');
    this.#readOnly(configuration, 'collective', 'N r_e / R (eq. 49)');
    this.#text(configuration, 'softening');

    const velocities = group(this.gui, 'Velocities');
    this.#option(velocities, 'velocity', 'pattern', {
      ...choices(kVelocityPatterns),
      'loaded file': 'file',
    });
    this.#text(velocities, 'seed');
    this.#readOnly(velocities, 'quantityFile', 'loaded file');
    this.#loads.push(this.#button(velocities, 'load', 'load CSV or JSON…'));

    const solver = group(this.gui, 'Solver');
    this.#option(solver, 'solver', 'method', {
      'auto (CG, MINRES if indefinite)': 'auto',
      'CG (Jacobi)': 'cg',
      MINRES: 'minres',
    });
    this.#text(solver, 'tolerance');
    this.#text(solver, 'maxIterations');
    this.#option(
      solver,
      'matrix',
      'matrix',
      Object.fromEntries(Object.entries(kMatrixLabels).map(([matrix, label]) => [label, matrix])),
    );
    this.#text(solver, 'treeTolerance');
    this.#text(solver, 'lanczosTolerance');
    this.#text(solver, 'lanczosBasis');
    this.#text(solver, 'lanczosSeed');
    this.#bool(solver, 'check', 'check against float64');

    const actions = group(this.gui, 'Actions');
    this.#actionControllers.push(
      this.#button(actions, 'build', 'Build M'),
      this.#button(actions, 'momenta', 'Momenta p = M v'),
      this.#button(actions, 'solve', 'Solve M v = p'),
      this.#button(actions, 'spectrum', 'Spectrum λ_min, λ_max'),
    );
    this.#stop = this.#button(actions, 'stop', 'Stop');
    this.#stop.disable();

    this.#studies();

    const display = group(this.gui, 'Display');
    const quantities = {
      none: 'none',
      'speed |v|': 'velocity',
      'momentum |p|': 'momentum',
      'Darwin part |p − v|': 'darwin',
    };
    this.#option(display, 'colourBy', 'colour by', {
      ...quantities,
      'induced current |v_i| (response)': 'current',
    });
    this.#option(display, 'arrows', 'arrows', quantities);
    this.#controllers.set(
      'pointScale',
      display
        .add(p, 'pointScale', kPointScale.min, kPointScale.max, 0.05)
        .name('point size')
        .onChange(() => hooks.changed('pointScale')),
    );
    this.#option(display, 'view', 'view', {
      'auto (2D when planar)': 'auto',
      '3D orbit': '3d',
      '2D pan/zoom': '2d',
    });
    this.#button(display, 'resetView', 'reset view');

    const files = group(this.gui, 'Files');
    this.#downloads = {
      json: this.#button(files, 'downloadJson', 'download JSON (CLI format)'),
      csv: this.#button(files, 'downloadCsv', 'download CSV (CLI format)'),
    };
    this.#filesLoad = this.#button(files, 'load', 'load CSV or JSON…');
    this.#loads.push(this.#filesLoad);
    this.setDownloads(false, false);
    nameByFolder(this.gui);
    this.refresh();
  }

  /** The Studies folder: each study's inputs and its Run button; results go to the Studies tab. */
  #studies(): void {
    const studies = group(this.gui, 'Studies (results in the Studies tab)');
    const london = group(studies, 'London moment (eq. 27-30)');
    this.#option(london, 'londonGeometry', 'body', choices(kLondonGeometries));
    this.#text(london, 'londonN');
    this.#text(london, 'londonGrid');
    this.#text(london, 'londonHalfHeight');
    const pairing = group(studies, 'Pairing on a ring (eq. 45-46)');
    const larmor = group(studies, 'Larmor ring (eq. 13-18)');
    this.#text(larmor, 'larmorN');
    this.#text(larmor, 'larmorFieldTesla');
    this.#text(larmor, 'larmorRadiusMetres');
    const scaling = group(studies, 'Scaling of λ_max with N (sec. IV.C)');
    this.#option(scaling, 'scalingGeometry', 'geometry', choices(kScalingGeometries));
    this.#option(scaling, 'scalingModel', 'model', choices(kModelNames));
    this.#text(scaling, 'scalingNMin');
    this.#text(scaling, 'scalingNMax');
    this.#text(scaling, 'scalingPoints');
    const response = group(studies, 'Response to a field, flux, rotation (eq. 13-30)');
    this.#option(response, 'responseGeometry', 'geometry', choices(kGeometryNames));
    this.#text(response, 'responseNs');
    this.#option(response, 'responseModel', 'model', choices(kModelNames));
    this.#option(response, 'responseDim', 'velocity components', { '3': 3, '2 (needs z = 0)': 2 });
    this.#option(response, 'responseDrive', 'drive', choices(kDriveNames));
    this.#text(response, 'responseNEpsilon');
    this.#text(response, 'responseGrid');
    this.#actionControllers.push(
      this.#button(london, 'london', 'Run: field map on the GPU'),
      this.#button(pairing, 'pairing', 'Run: ground state vs eq. 46'),
      this.#button(larmor, 'larmor', 'Run: current, flux, moment'),
      this.#button(scaling, 'scaling', 'Run: sweep on the GPU'),
      this.#button(response, 'response', 'Run: screening sweep on the GPU'),
    );
  }

  /**
   * The text fields that `reads` (an action's, state.ts readsField) whose text does not parse, in the
   * panel's order, each named by its label and folder ("N electrons in Configuration": three folders
   * have an N). None: the action may run. A query only, asked again as fields change (Session.changed).
   */
  unparsed(reads: (key: keyof Parameters) => boolean): string[] {
    return this.#unparsed(reads).map(
      ([, controller]) => `${controller._name} in ${controller.parent._title}`,
    );
  }

  /** Gives the focus to the first of the fields `unparsed` names, whose message stands under it. */
  focusUnparsed(reads: (key: keyof Parameters) => boolean): void {
    this.#unparsed(reads)[0]?.[1].domElement.querySelector('input')?.focus();
  }

  #unparsed(reads: (key: keyof Parameters) => boolean) {
    return [...this.#controllers].filter(([key]) => this.#invalid.has(key) && reads(key as TextKey));
  }

  /** Shows `message` under the field (or clears it with null). */
  fieldError(key: PanelTarget, message: string | null): void {
    const controller = key === 'files' ? this.#filesLoad : (this.#controllers.get(key) ?? this.#stop);
    let box = this.#errors.get(key);
    // A field whose own text does not parse keeps saying so: clearing another refusal of it (a
    // preview's of N) must not leave its text unmarked while actions are refused for it.
    if (message === null && this.#invalid.has(key)) message = this.#parseProblem(key as TextKey);
    // The control a screen reader is on when it reads the field: marked invalid, the message its description.
    const control = controller.domElement.querySelector('input, select, button');
    if (message === null) {
      box?.remove();
      this.#errors.delete(key);
      controller.domElement.classList.remove('invalid');
      control?.removeAttribute('aria-invalid');
      control?.removeAttribute('aria-describedby');
      return;
    }
    if (!box) {
      box = document.createElement('div');
      box.className = 'field-error';
      box.id = `field-error-${key}`;
      box.setAttribute('role', 'alert');
      box.dataset.errorFor = key;
      controller.domElement.after(box);
      this.#errors.set(key, box);
    }
    box.textContent = message;
    controller.domElement.classList.add('invalid');
    control?.setAttribute('aria-invalid', 'true');
    control?.setAttribute('aria-describedby', box.id);
  }

  /** Clears the field's error while it is still `message` (a refusal since lifted), not one written after. */
  withdrawFieldError(key: PanelTarget, message: string): void {
    if (this.#errors.get(key)?.textContent === message) this.fieldError(key, null);
  }

  clearFieldErrors(): void {
    for (const key of [...this.#errors.keys()]) {
      if (!this.#invalid.has(key)) this.fieldError(key as keyof Parameters, null);
    }
  }

  /** Fields a loaded file set: text typed there, valid or not, and its error give way to the values. */
  accept(keys: readonly (keyof Parameters)[]): void {
    for (const key of keys) {
      this.#invalid.delete(key as TextKey);
      this.fieldError(key, null);
    }
    this.refresh();
  }

  /** Back from the parameters after they changed elsewhere (a link, a loaded file). */
  refresh(loaded?: LoadedNames): void {
    const p = this.#parameters;
    for (const key of Object.keys(kTextFields) as TextKey[]) {
      if (this.#invalid.has(key)) continue;
      this.#texts[key] = textSpec(key).format(p[key]);
    }
    if (loaded) this.#loaded = loaded;
    Object.assign(this.#derived, shownFileNames(p, this.#loaded));
    this.#derived.collective = markdownNumber((p.n * kClassicalElectronRadius) / p.radiusMetres, 4);
    this.#controllers.get('n')?.disable(p.source === 'file');
    this.#controllers.get('dim')?.disable(p.model === 'azimuthal');
    this.#controllers.get('seed')?.disable(p.velocity !== 'random');
    this.#controllers.get('londonHalfHeight')?.disable(p.londonGeometry !== 'cylinder');
    this.#controllers.get('responseDim')?.disable(p.responseModel === 'azimuthal');
    for (const controller of this.#controllers.values()) controller.updateDisplay();
  }

  /**
   * While a run is going: actions and loads off, Stop on. The focus, where it was on the button that
   * started the run, would fall to the page's body as that button goes off: it goes to `stop` (given
   * at the run's start), and back to that button at the run's end unless it was moved meanwhile.
   */
  setBusy(busy: boolean, stop?: HTMLElement): void {
    const offWhileBusy = [...this.#actionControllers, ...this.#loads];
    const focused = document.activeElement;
    if (busy) {
      const pressed = offWhileBusy.some((controller) => controller.domElement.contains(focused));
      this.#pressed = pressed && stop && focused instanceof HTMLElement ? { button: focused, stop } : null;
    }
    for (const controller of offWhileBusy) controller.disable(busy);
    this.#stop.disable(!busy);
    if (busy) this.#pressed?.stop.focus();
    else if (this.#pressed) {
      if (focused === this.#pressed.stop || focused === document.body) this.#pressed.button.focus();
      this.#pressed = null;
    }
  }

  /** Which downloads there is something for: a result (JSON), velocities and momenta (CSV). */
  setDownloads(json: boolean, csv: boolean): void {
    this.#downloads.json.disable(!json);
    this.#downloads.csv.disable(!csv);
  }

  #mark(key: string, controller: Controller): Controller {
    controller.domElement.dataset.field = key;
    this.#controllers.set(key, controller);
    return controller;
  }

  #text(folder: GUI, key: TextKey): void {
    const spec = textSpec(key);
    const controller = folder.add(this.#texts, key).name(spec.label);
    const parse = (): TextValue | null => {
      try {
        return spec.parse(this.#texts[key]);
      } catch (error) {
        if (error instanceof InputError) return null;
        throw error;
      }
    };
    // While typing, a value that parses takes effect at once (N r_e/R follows), and one that does
    // not is remembered as invalid without a message until the field is left.
    controller.onChange(() => {
      const value = parse();
      if (value === null) {
        this.#invalid.add(key);
        return;
      }
      this.#invalid.delete(key);
      this.fieldError(key, null);
      this.#set(key, value);
    });
    const finish = () => {
      const problem = this.#parseProblem(key);
      if (problem !== null) this.fieldError(key, problem);
      else if (key === 'scalingNMin' || key === 'scalingNMax') this.#checkScalingRange();
    };
    controller.onFinishChange(finish);
    // lil-gui ends an edit on Enter by blurring the field, which drops the focus to the page's body:
    // Enter ends it here instead, before lil-gui hears the key, and the focus stays in the field.
    controller.domElement.addEventListener(
      'keydown',
      (event) => {
        if (event.key !== 'Enter') return;
        event.stopPropagation();
        finish();
      },
      { capture: true },
    );
    this.#mark(key, controller);
  }

  /**
   * The sweep's two N against each other, as the run would refuse them (src/app/studies.ts), marked
   * on the largest as soon as either is left; only while both parse, so that neither's own refusal
   * is cleared by it.
   */
  #checkScalingRange(): void {
    if (this.#invalid.has('scalingNMin') || this.#invalid.has('scalingNMax')) return;
    const p = this.#parameters;
    this.fieldError('scalingNMax', scalingRangeProblem(p.scalingNMin, p.scalingNMax));
  }

  /** Why the text typed in `key` does not parse, or null when it does. */
  #parseProblem(key: TextKey): string | null {
    try {
      textSpec(key).parse(this.#texts[key]);
      return null;
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      return error.message;
    }
  }

  #set(key: TextKey, value: TextValue): void {
    const p = this.#parameters;
    if (key === 'epsilon' && typeof value === 'number') {
      p.epsilon = value;
      p.radiusMetres = kClassicalElectronRadius / value;
      p.scale = 'epsilon';
      this.#texts.radiusMetres = kTextFields.radiusMetres.format(p.radiusMetres);
      this.#invalid.delete('radiusMetres');
      this.fieldError('radiusMetres', null);
    } else if (key === 'radiusMetres' && typeof value === 'number') {
      p.radiusMetres = value;
      p.epsilon = kClassicalElectronRadius / value;
      p.scale = 'radius';
      this.#texts.epsilon = markdownNumber(p.epsilon, 6);
      this.#invalid.delete('epsilon');
      this.fieldError('epsilon', null);
    } else {
      (p as Record<TextKey, TextValue>)[key] = value;
    }
    this.refresh();
    this.#hooks.changed(key);
  }

  #option(folder: GUI, key: keyof Parameters, label: string, options: Record<string, unknown>): void {
    const controller = folder
      .add(this.#parameters, key, options)
      .name(label)
      .onChange(() => {
        this.fieldError(key, null);
        this.refresh();
        this.#hooks.changed(key);
      });
    // lil-gui shows the value in a box under the transparent select: read once, by the select.
    if (controller instanceof OptionController) controller.$display.setAttribute('aria-hidden', 'true');
    this.#mark(key, controller);
  }

  #bool(folder: GUI, key: keyof Parameters, label: string): void {
    this.#mark(
      key,
      folder
        .add(this.#parameters, key)
        .name(label)
        .onChange(() => this.#hooks.changed(key)),
    );
  }

  /**
   * An output shown as a field: read-only, not disabled, so that Tab reaches it, a screen reader reads
   * it as a value rather than as an unavailable control, and its text can be selected and copied.
   */
  #readOnly(folder: GUI, key: 'collective' | 'positionsFile' | 'quantityFile', label: string): void {
    const controller = folder.add(this.#derived, key).name(label);
    if (controller instanceof StringController) controller.$input.readOnly = true;
    controller.domElement.classList.add('read-only');
    this.#mark(key, controller);
  }

  #button(folder: GUI, action: PanelAction, label: string): Controller {
    const target = { [action]: () => this.#hooks.action(action) };
    const controller = folder.add(target, action).name(label);
    controller.domElement.dataset.action = action;
    return controller;
  }
}
