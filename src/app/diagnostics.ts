// The live diagnostics beside the view: device, matrix, stage times, the residual-vs-iteration plot
// (uPlot, log scale, growing while the solve runs), convergence, energies, the spectrum with the
// collective parameter (eq. 49) and a mark when M turns indefinite, and the GPU-vs-float64 check.
// Every number is written into an element whose id names it, with the full value in data-value, so a
// test reads exactly what a user sees.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { GpuContext } from '../gpu/device.ts';
import { gigabytes, megabytes, numberOf } from '../io/formats.ts';
import type { Energies } from '../physics/observables.ts';
import type { SpectrumResult } from '../solvers/spectrum.ts';
import type { SolveResult } from '../solvers/types.ts';
import { withinTarget } from '../run/check.ts';
import type { ResidualProduct } from '../run/solve.ts';
import { markdownNumber } from '../studies/markdown.ts';

/**
 * The least time between two progress lines said to a screen reader: about what one takes to read
 * ("Solve: iteration 120 (at most 3000), ‖r‖/‖p‖ = 1.23e-4"), so that they do not queue up.
 */
const kSaidProgressMs = 5000;

export type Stage = 'build' | 'momenta' | 'solve' | 'spectrum' | 'check';

/** The element #id of index.html, as the type its caller knows it to be; throws where it is missing. */
export function element<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`index.html has no #${id}`);
  return found as T;
}

/** Writes a number (or a dash for null) into #id, keeping the exact value in data-value. */
export function show(id: string, value: number | null, text?: string): void {
  const target = element(id);
  if (value === null) {
    target.textContent = text ?? '–';
    delete target.dataset.value;
    return;
  }
  target.textContent = text ?? markdownNumber(value, 4);
  target.dataset.value = String(value);
}

export function showText(id: string, text: string): void {
  element(id).textContent = text;
}

/**
 * An error of a float64 check beside its target, "3.88e-8 ≤ 4.0e-6", marked good or bad by it (neither
 * where a file gives none): the words say the verdict, the colour only repeats it, and the targets
 * depend on N and on refinement (src/run/check.ts float32CheckTargets), so a colour alone would not
 * say why.
 */
export function showCheck(id: string, value: number, target: number | null): void {
  const within = target !== null && withinTarget(value, target);
  const judged = target === null ? '' : ` ${within ? '≤' : '>'} ${target.toExponential(1)}`;
  show(id, value, `${value.toExponential(2)}${judged}`);
  const cell = element(id);
  cell.className = target === null ? '' : within ? 'good' : 'bad';
  cell.title = target === null ? 'no target holds it' : `its target: ${target.toExponential(1)}`;
}

/**
 * Bytes as the page shows them, in the CLI's decimal units, as its refusals (run/, engine/) already
 * write GB: MB below a GB (from 999.5 MB, three digits would read 1.00e+3 MB), GB from there.
 */
export function formatBytes(bytes: number): string {
  return bytes < 999.5e6 ? megabytes(bytes) : gigabytes(bytes);
}

const kReasonText: Record<string, string> = {
  converged_rtol: 'converged: ‖r‖ ≤ tol ‖p‖',
  converged_atol: 'converged: ‖r‖ ≤ atol (or p = 0)',
  diverged_max_it: 'not converged: iteration limit reached',
  diverged_indefinite: 'stopped: CG met pᵀMp ≤ 0, M is not positive definite',
  diverged_breakdown: 'stopped: the recurrence broke down',
  diverged_nan: 'stopped: NaN or infinity',
  diverged_singular: 'stopped: M is singular or nearly so along p',
  diverged_residual_gap: 'not converged: the true residual ‖p − Mv‖ is far above tol',
  diverged_refinement: 'not converged: the float64 refinement fell short of tol',
  converged_tol: 'converged: Ritz residuals ≤ tol',
  converged_invariant: 'converged: invariant Krylov space (exact)',
};

/**
 * A solve's or a spectrum's reason as the page words it, with its data-reason: Stop's own where the
 * user stopped the run (the solvers report a stop as diverged_max_it, the iteration limit).
 */
export function shownReason(
  reason: string,
  stopped: boolean,
): { readonly text: string; readonly reason: string } {
  return stopped
    ? { text: 'stopped by the user', reason: 'stopped' }
    : { text: kReasonText[reason] ?? reason, reason };
}

/**
 * How a solve's true residual ||p - M v|| / ||p|| of its final v reads: the product M v in it named
 * where it is not the float64 M's (src/run/solve.ts ResidualProduct: the GPU's float32 product, or
 * the tree's, whose own rounding or error it also holds); and, converged, whether it misses the
 * tolerance the recursive residual met: float32's recursion runs on below its floor of about
 * cond(M) u32, which a tolerance below 1e-6 refines past (as the CLI's warning says).
 */
function trueResidualReading(
  trueResidual: number | null,
  product: string | null,
  converged: boolean,
  tolerance: number,
): { readonly named: string | null; readonly misses: boolean } {
  return {
    named: product !== null && product !== 'float64' ? product.replace('_', ' ') : null,
    misses: converged && trueResidual !== null && tolerance > 0 && trueResidual > tolerance,
  };
}

/** A solve's true residual as trueResidualReading reads it, in red where it misses the tolerance. */
function showTrueResidual(
  trueResidual: number | null,
  product: string | null,
  converged: boolean,
  tolerance: number,
): void {
  const { named, misses } = trueResidualReading(trueResidual, product, converged, tolerance);
  // Why it is red, in words (a tooltip reaches neither the keyboard, touch nor every screen reader).
  const over = misses
    ? ` > tol ${markdownNumber(tolerance, 2)}, which the recursive residual met: float32 stops near ` +
      'cond(M)·2⁻²⁴; a tolerance below 1e-6 refines in float64'
    : '';
  const text = trueResidual === null ? undefined : markdownNumber(trueResidual, 4);
  show('solve-true-residual', trueResidual, text && `${text}${named ? ` (${named} M v)` : ''}${over}`);
  const target = element('solve-true-residual');
  target.className = misses ? 'bad' : '';
  target.title = named ? `with the ${named} product M v, not float64's` : '';
}

/** The shown checks of a solve's (or a product's) result and of a spectrum's. */
const kCheckIds = {
  solve: ['check-momenta', 'check-velocities', 'check-residual', 'check-interaction', 'check-darwin'],
  spectrum: ['check-spectrum'],
} as const;
export type CheckId = (typeof kCheckIds)[keyof typeof kCheckIds][number];

/** What a spectrum says of M (eq. 50). */
export type Definiteness = 'positive definite' | 'indefinite' | 'not established';

/**
 * The spectrum's `indefinite` in words (src/solvers/spectrum.ts SpectrumResult.indefinite, as the
 * CLI writes it): true proves M indefinite, false positive definite, null establishes neither.
 */
export function definiteness(indefinite: boolean | null): Definiteness {
  if (indefinite === null) return 'not established';
  return indefinite ? 'indefinite' : 'positive definite';
}

/**
 * A loaded spectrum's `indefinite` (src/run/report.ts spectrumJson): as the file says, but positive
 * definite only where Lanczos converged (spectrumAt's rule), the float32 Lanczos of a refined run
 * short of --tol (diverged_refinement) included: its refined residual still bounds λ_min
 * (src/run/spectrum.ts), and the live run shows it so.
 */
export function loadedIndefinite(spectrum: Readonly<Record<string, unknown>>): boolean | null {
  if (spectrum.indefinite === true) return true;
  const lanczosConverged = spectrum.converged === true || spectrum.reason === 'diverged_refinement';
  return spectrum.indefinite === false && lanczosConverged ? false : null;
}

/** The spectrum as shown: a finished run's, or a loaded file's "spectrum" object. */
interface ShownSpectrum {
  readonly lambdaMin: number;
  readonly lambdaMax: number;
  readonly collectiveParameter: number;
  /** null while M is indefinite or not established positive definite. */
  readonly conditionNumber: number | null;
  /** SpectrumResult.indefinite: null where λ_min is within its error of 0 or Lanczos did not converge. */
  readonly indefinite: boolean | null;
  readonly iterations: number;
  readonly converged: boolean;
  readonly reason: string;
  /** Stopped by the user before Lanczos converged. */
  readonly stopped: boolean;
}

/** A spectrum run's result as the page shows it, `stopped` by the user. */
function shownSpectrum(result: SpectrumResult, stopped: boolean): ShownSpectrum {
  return {
    lambdaMin: result.lambdaMin,
    lambdaMax: result.lambdaMax,
    collectiveParameter: result.collectiveParameter,
    conditionNumber: result.conditionNumber,
    // Stopped (during its check, where Lanczos had converged) definiteness stays unestablished, as the
    // mark says; a proof of indefiniteness stands.
    indefinite: stopped ? (result.indefinite === true ? true : null) : result.indefinite,
    iterations: result.lanczos.iterations,
    converged: result.lanczos.converged,
    reason: result.lanczos.reason,
    stopped,
  };
}

/**
 * A solve's end in one line, said in the page's message as the run ends (a screen reader hears it;
 * the diagnostics show the rest): how it ended, its iterations and its residual, the true one, read
 * as the diagnostics read it (trueResidualReading: its product M v, and "> tol" where it misses the
 * tolerance `tolerance` that the recursive residual met).
 */
export function solveOutcome(
  result: Pick<SolveResult, 'reason' | 'iterations' | 'trueRelativeResidual' | 'converged'>,
  stopped: boolean,
  product: string | null,
  tolerance: number,
): string {
  const { text } = shownReason(result.reason, stopped);
  const iterations = `${result.iterations} ${result.iterations === 1 ? 'iteration' : 'iterations'}`;
  const residual = markdownNumber(result.trueRelativeResidual, 2);
  const reading = trueResidualReading(result.trueRelativeResidual, product, result.converged, tolerance);
  const of = reading.named ? ` (${reading.named} M v)` : '';
  const over = reading.misses ? ` > tol ${markdownNumber(tolerance, 2)}` : '';
  return `Solve ${text}, after ${iterations}; ‖p − M v‖/‖p‖ = ${residual}${of}${over}.`;
}

/**
 * A spectrum's end in one line, as solveOutcome's: how it ended, λ_min and λ_max (as bounds where
 * Lanczos did not converge), and what M is.
 */
export function spectrumOutcome(result: SpectrumResult, stopped: boolean): string {
  const shown = shownSpectrum(result, stopped);
  const { text } = shownReason(shown.reason, shown.stopped);
  const products = `${shown.iterations} Lanczos ${shown.iterations === 1 ? 'product' : 'products'}`;
  const verdict = {
    'positive definite': 'M is positive definite',
    indefinite: 'M is indefinite',
    'not established': "M's definiteness is not established",
  }[definiteness(shown.indefinite)];
  const [low, high] = [shown.lambdaMin.toPrecision(6), shown.lambdaMax.toPrecision(6)];
  // Lanczos stopped short: its Ritz values lie inside the spectrum, bounds of its extremes alone.
  const range = shown.converged ? `λ_min = ${low}, λ_max = ${high}` : `λ_min ≤ ${low}, λ_max ≥ ${high}`;
  return `Spectrum ${text}, after ${products}: ${range}; ${verdict}.`;
}

/** Tick spacings of an iteration axis: 1, 2, 5 times a power of ten. */
const kIterationTicks = Array.from({ length: 24 }, (_, k) => [1, 2, 5][k % 3] * 10 ** Math.floor(k / 3));

/** The axes' colours and fonts of the page's uPlot plots. */
export const kAxisStyle = {
  stroke: '#aab4c8',
  font: '11px system-ui, sans-serif',
  labelFont: '11px system-ui, sans-serif',
  grid: { stroke: '#253045', width: 1 },
  ticks: { stroke: '#253045', width: 1, size: 4 },
};

/**
 * Powers of ten spanning [min, max], every k-th so that at most seven are labelled: every decade up
 * to six of them, every other up to twelve (a refined solve's 1 .. 1e-12), some 17 px apart on the
 * residual plot.
 */
export function decades(min: number, max: number): number[] {
  if (!(min > 0) || !(max > 0)) return [];
  const low = Math.floor(Math.log10(min));
  const high = Math.ceil(Math.log10(max));
  const step = Math.max(1, Math.ceil((high - low) / 6));
  const ticks: number[] = [];
  for (let exponent = low; exponent <= high; exponent += step) {
    const tick = 10 ** exponent;
    if (tick >= min * (1 - 1e-9) && tick <= max * (1 + 1e-9)) ticks.push(tick);
  }
  return ticks;
}

/** Whole decades as the labelled ticks of a log axis, labelled 1eK. */
export const kDecadeTicks = {
  // uPlot's default log ticks (1..9 per decade) crowd a small plot.
  splits: (_plot: uPlot, _axis: number, min: number, max: number) => decades(min, max),
  // decades() already keeps at most seven; uPlot's own filter of a log axis would thin them again by
  // its label spacing, to one decade in four on the residual plot.
  filter: (_plot: uPlot, splits: number[]) => splits,
  values: (_plot: uPlot, ticks: number[]) =>
    ticks.map((t) => (t === null ? '' : `1e${Math.round(Math.log10(t))}`)),
};

/**
 * Labels of a linear axis with the decimals its tick spacing needs: uPlot's default keeps three,
 * which labels every tick '1' on an axis of ratios within 1e-4 of 1 (a response at N r_e/R = 0.001).
 */
export function linearTickLabels(ticks: readonly (number | null)[], increment: number): string[] {
  // The decimals that write the increment (1, 2, 2.5 or 5 times a power of ten) exactly.
  let decimals = 0;
  const scaled = () => increment * 10 ** decimals;
  while (decimals < 20 && Math.abs(Math.round(scaled()) - scaled()) > 1e-6) decimals++;
  return ticks.map((tick) => (tick === null ? '' : tick.toFixed(decimals)));
}

/**
 * A linear y axis labelled by linearTickLabels, as wide as its longest label needs (about 7 px a
 * character of kAxisStyle's font, beside the ticks) and at least the other plots' 48 px.
 */
export const kLinearTicks = {
  values: (_plot: uPlot, ticks: number[], _axis: number, _space: number, increment: number) =>
    linearTickLabels(ticks, increment),
  size: (_plot: uPlot, labels: string[] | null) =>
    Math.max(48, 16 + 7 * Math.max(0, ...(labels ?? []).map((label) => label.length))),
};

/** An object of a loaded JSON object, or null where it has none (null in the file, or absent). */
function objectOf(object: Record<string, unknown>, key: string): Record<string, unknown> | null {
  const value = object[key];
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

/**
 * The residual plot's y-axis: the solver's recursive residual, which each iteration reports (the
 * true ‖p − M v‖ is computed once, at the end), named as its row below the plot names it.
 */
export const kResidualAxisLabel = '‖r‖/‖p‖ (recursive)';

/**
 * What the residual plot's curve and the row below it hold, unrefined and refined. A refined solve's
 * history is its float32 inner solves' recursive residuals, each times its float64 step's ‖r_k‖
 * (src/run/refine.ts refinedVelocities): an estimate that runs on below the float64 residual of the
 * v it returns, which the row shows (README "relative_residual"); stopped within a step, the
 * curve may have crossed the tolerance while v, the last step's, had not.
 */
const kResidualNames = {
  recursive: { curve: kResidualAxisLabel, row: kResidualAxisLabel },
  refined: {
    curve: '‖r‖/‖p‖ of the float32 inner solves (× each float64 step’s ‖r_k‖)',
    row: '‖p − M v‖/‖p‖ (float64, of the refined v)',
  },
} as const;

export class Diagnostics {
  readonly #plot: uPlot;
  readonly #iterations: number[] = [];
  readonly #residuals: (number | null)[] = [];
  #tolerance = 0;
  #plotScheduled = 0;
  /** The progress line the live region is to say next, when it last said one, and its wait. */
  #toSay = '';
  #saidAt = -Infinity;
  #sayTimer = 0;

  constructor() {
    const container = element('residual-plot');
    this.#plot = new uPlot(
      {
        width: Math.max(200, container.clientWidth),
        height: 170,
        // Names the curve (a refined solve's is its inner solves') and the dashed tolerance line.
        legend: {
          live: false,
          // A line each, the tolerance's dashed as it is drawn (uPlot's markers are solid squares).
          markers: { width: 1, dash: (plot, index) => (plot.series[index].dash ? 'dashed' : 'solid') },
        },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: false }, y: { distr: 3 } },
        // The iteration axis's end, once uPlot has set it: for the page's tests to read.
        hooks: {
          setScale: [
            (plot, key) => {
              if (key === 'x') container.dataset.iterationsShown = String(plot.scales.x.max ?? '');
            },
          ],
        },
        axes: [
          {
            label: 'iteration',
            ...kAxisStyle,
            // Whole iterations: a solve of one or two steps would otherwise be ticked at 0.25, 0.5, ...
            incrs: kIterationTicks,
            size: 28,
            labelSize: 16,
          },
          {
            label: kResidualAxisLabel,
            ...kAxisStyle,
            size: 44,
            labelSize: 16,
            ...kDecadeTicks,
          },
        ],
        series: [
          {},
          {
            label: kResidualAxisLabel,
            stroke: '#7fd3ff',
            width: 1.5,
            // A residual of exactly 0 has no place on the log axis: a history left with one point (a
            // solve exact at its first step, as at eps = 0) shows it as a dot, not as nothing.
            points: {
              show: (plot, index) =>
                Array.from(plot.data[index], (value) => value ?? NaN).filter(Number.isFinite).length < 2,
            },
          },
          { label: 'tolerance', stroke: '#f2b75c', dash: [4, 4], width: 1, points: { show: false } },
        ],
      },
      [[], [], []],
      container,
    );
    new ResizeObserver(() => {
      this.#plot.setSize({ width: Math.max(200, container.clientWidth), height: 170 });
    }).observe(container);
  }

  /** The adapter, whether it is a CPU (the device profile's runsOnCpu) and its timestamps. */
  device(gpu: Pick<GpuContext, 'adapterInfo' | 'hasTimestampQuery' | 'profile'>): void {
    const { adapterInfo: info, hasTimestampQuery } = gpu;
    const name =
      [info.vendor, info.architecture, info.model, info.description].filter(Boolean).join(' ') ||
      'unnamed adapter';
    showText('adapter', name);
    const software = gpu.profile.runsOnCpu;
    const fallback = element('fallback');
    fallback.textContent = software
      ? 'yes: a software (CPU) implementation, expect it to be slow'
      : 'no: a hardware GPU';
    fallback.classList.toggle('warn', software);
    showText('timestamps', hasTimestampQuery ? 'available' : 'not available (wall-clock times)');
  }

  /**
   * M's size, storage and memory, and the CLI's warning of how it is held (treeWorkWarning: a tree
   * that sums most pairs directly), in the panel's words, or null where there is none.
   */
  matrix(size: number | null, storage: string, bytes: number | null, warning: string | null = null): void {
    show('matrix-size', size, size === null ? undefined : `${size} × ${size}`);
    showText('matrix-storage', storage);
    show('matrix-memory', bytes, bytes === null ? undefined : formatBytes(bytes));
    const target = element('matrix-warning');
    target.textContent = warning === null ? '–' : warning.replace(/^warning: /, '');
    target.classList.toggle('warn', warning !== null);
  }

  /** A stage's time; `cached`: the time of an earlier run, whose result this one reused. */
  stage(stage: Stage, ms: number | null, cached = false): void {
    const time = ms === null ? undefined : `${ms < 10 ? ms.toFixed(2) : ms.toFixed(0)} ms`;
    show(`time-${stage}`, ms, time && cached ? `cached (${time} when built)` : time);
  }

  /** Forgets everything computed for the previous system. */
  clearResults(): void {
    for (const stage of ['build', 'momenta', 'solve', 'spectrum', 'check'] as const) this.stage(stage, null);
    this.clearSolve();
    this.energies(null);
    this.clearSpectrum();
    this.clearChecks();
  }

  clearSolve(): void {
    this.#iterations.length = 0;
    this.#residuals.length = 0;
    this.#tolerance = 0;
    this.#redraw();
    this.#residualNames(false, false);
    for (const id of ['solve-iterations', 'solve-residual', 'round-trip']) show(id, null);
    showTrueResidual(null, null, false, 0);
    showText('solve-reason', '–');
    showText('solve-mode', '–');
    const reason = element('solve-reason');
    reason.className = '';
    // The page's state follows the row: no reason while none is shown (a run under way, a Momenta run).
    delete reason.dataset.reason;
  }

  /** What the momenta or solve run does, in the mode row, from its start. */
  solveMode(mode: string): void {
    showText('solve-mode', mode);
  }

  /** `refined`: the solve refines in float64 (src/run/refine.ts refines), which the plot's legend says. */
  solveStart(tolerance: number, mode: string, refined: boolean): void {
    this.clearSolve();
    this.#tolerance = tolerance;
    this.#residualNames(refined, false);
    this.solveMode(mode);
    showText('solve-reason', 'running…');
  }

  /**
   * Names the plot's curve and, once the solve is `done`, the residual row by whether it `refined`
   * (kResidualNames); while it runs the row shows the curve's latest point, under the curve's name.
   */
  #residualNames(refined: boolean, done: boolean): void {
    const names = kResidualNames[refined ? 'refined' : 'recursive'];
    showText('solve-residual-label', done ? names.row : kResidualAxisLabel);
    const labels = element('residual-plot').querySelectorAll('.u-legend .u-series .u-label');
    labels[0].textContent = names.curve;
    labels[1].textContent = this.#tolerance > 0 ? `tolerance ${this.#tolerance}` : 'tolerance';
  }

  /** One point of the live plot: the relative recursive residual after `iteration` iterations. */
  solveProgress(iteration: number, relativeResidual: number): void {
    this.#iterations.push(iteration);
    this.#residuals.push(relativeResidual > 0 ? relativeResidual : null);
    show('solve-iterations', iteration, String(iteration));
    show('solve-residual', relativeResidual);
    this.#schedulePlot();
  }

  /** The finished solve: its whole history replaces the live points. */
  solveDone(
    result: SolveResult,
    product: ResidualProduct | null,
    normB: number,
    roundTripError: number | null,
    stopped: boolean,
    refined: boolean,
  ): void {
    this.#iterations.length = 0;
    this.#residuals.length = 0;
    result.history.forEach((norm, k) => {
      this.#iterations.push(k);
      this.#residuals.push(normB > 0 && norm > 0 ? norm / normB : null);
    });
    this.#redraw();
    this.#residualNames(refined, true);
    show('solve-iterations', result.iterations, String(result.iterations));
    show('solve-residual', result.relativeResidual);
    showTrueResidual(result.trueRelativeResidual, product, result.converged, this.#tolerance);
    show('round-trip', roundTripError);
    const reason = shownReason(result.reason, stopped);
    const switched = result.switchedFrom
      ? ` (CG met indefiniteness; ${result.solver.toUpperCase()} finished)`
      : '';
    const target = element('solve-reason');
    target.textContent = `${reason.text}${switched}`;
    target.dataset.reason = reason.reason;
    target.className = result.converged && !stopped ? 'good' : 'bad';
  }

  /** A saved history (a loaded result file) in the plot; `refined` as solveStart's. */
  history(history: number[], normB: number, tolerance: number, refined: boolean): void {
    this.#tolerance = tolerance;
    this.#residualNames(refined, true);
    this.#iterations.length = 0;
    this.#residuals.length = 0;
    history.forEach((norm, k) => {
      this.#iterations.push(k);
      this.#residuals.push(normB > 0 && norm > 0 ? norm / normB : null);
    });
    this.#redraw();
  }

  /**
   * A loaded file's summary (src/run/report.ts solveJson): its solve, when it holds one (a mode), its
   * spectrum and its check against float64; `stopped` says which of them the file marks as stopped.
   */
  loadedSummary(
    summary: Record<string, unknown>,
    stopped: { readonly solve: boolean; readonly spectrum: boolean },
  ): void {
    if (typeof summary.mode === 'string') {
      const iterations = numberOf(summary, 'iterations');
      show('solve-iterations', iterations, iterations === null ? undefined : String(iterations));
      show('solve-residual', numberOf(summary, 'relative_residual'));
      showTrueResidual(
        numberOf(summary, 'true_relative_residual'),
        typeof summary.true_residual_product === 'string' ? summary.true_residual_product : null,
        summary.converged === true,
        numberOf(summary, 'tolerance') ?? 0,
      );
      show('round-trip', numberOf(summary, 'round_trip_error'));
      const reason = typeof summary.reason === 'string' ? summary.reason : null;
      showText('solve-mode', `loaded: ${summary.mode}`);
      const target = element('solve-reason');
      const shown = reason ? shownReason(reason, stopped.solve) : null;
      target.textContent = shown?.text ?? '–';
      if (shown) target.dataset.reason = shown.reason;
      target.className = summary.converged === false ? 'bad' : 'good';
    }
    const spectrum = objectOf(summary, 'spectrum');
    const lambdaMin = spectrum && numberOf(spectrum, 'lambda_min');
    const lambdaMax = spectrum && numberOf(spectrum, 'lambda_max');
    if (spectrum && lambdaMin !== null && lambdaMax !== null) {
      const converged = spectrum.converged === true;
      this.#showSpectrum({
        lambdaMin,
        lambdaMax,
        collectiveParameter: numberOf(spectrum, 'collective_parameter') ?? lambdaMax - 1,
        conditionNumber: numberOf(spectrum, 'condition_number'),
        indefinite: loadedIndefinite(spectrum),
        iterations: numberOf(spectrum, 'iterations') ?? 0,
        converged,
        reason: typeof spectrum.reason === 'string' ? spectrum.reason : '–',
        stopped: stopped.spectrum,
      });
    }
    // The solve's check, and the spectrum's under "spectrum" (src/run/report.ts spectrumSummaryJson).
    const check = objectOf(summary, 'check');
    const spectrumCheck = spectrum && objectOf(spectrum, 'check');
    if (check || spectrumCheck) {
      // Each error beside its target (the spectrum's: its sampled residuals' where it was sampled).
      const targets = (object: Record<string, unknown> | null) =>
        (object && objectOf(object, 'targets')) ?? {};
      const spectrumTarget = numberOf(
        targets(spectrumCheck),
        spectrumCheck && 'sampled_electrons' in spectrumCheck ? 'residual' : 'eigenvalues',
      );
      for (const [id, value, target] of [
        ['check-momenta', check && numberOf(check, 'momenta'), numberOf(targets(check), 'momenta')],
        ['check-velocities', check && numberOf(check, 'velocities'), numberOf(targets(check), 'velocities')],
        ['check-residual', check && numberOf(check, 'residual'), numberOf(targets(check), 'residual')],
        [
          'check-interaction',
          check && numberOf(check, 'interaction'),
          numberOf(targets(check), 'interaction'),
        ],
        ['check-darwin', check && numberOf(check, 'darwin'), null],
        ['check-spectrum', spectrumCheck && numberOf(spectrumCheck, 'max_relative_error'), spectrumTarget],
      ] as const) {
        if (value !== null) this.check(id, value, target);
      }
      this.checkNote('from the loaded file');
    }
  }

  /** The energies shown, or none, `missing` saying why in the Darwin energy's place. */
  energies(energies: Energies | null, missing?: string): void {
    show('energy-kinetic', energies?.kinetic ?? null);
    show('energy-darwin', energies?.darwin ?? null, energies ? undefined : missing);
    show('energy-total', energies?.total ?? null);
    // v = 0 (a rigid rotation of electrons on the axis) has no ratio: energies() gives NaN for 0/0,
    // as does a loaded file that holds none.
    const ratio = energies?.inertiaRatio ?? null;
    if (ratio !== null && Number.isNaN(ratio))
      show('inertia-ratio', null, energies?.kinetic === 0 ? 'none: v = 0' : undefined);
    else show('inertia-ratio', ratio);
  }

  nEpsilon(value: number): void {
    show('n-epsilon', value);
  }

  clearSpectrum(): void {
    for (const id of ['lambda-min', 'lambda-max', 'collective', 'condition', 'spectrum-steps'])
      show(id, null);
    showText('spectrum-reason', '–');
    delete element('spectrum-reason').dataset.reason;
    const mark = element('definiteness');
    mark.textContent = '–';
    mark.className = '';
    delete mark.dataset.indefinite;
    delete mark.dataset.definiteness;
  }

  /**
   * A Solve or Spectrum that Stop ended inside a long step, before it had a result: its rows emptied,
   * and its reason said as a stopped run's is where it has one (shownReason).
   */
  stoppedWithoutResult(run: 'solve' | 'spectrum'): void {
    if (run === 'solve') this.clearSolve();
    else this.clearSpectrum();
    const target = element(`${run}-reason`);
    const shown = shownReason('', true);
    target.textContent = shown.text;
    target.dataset.reason = shown.reason;
    // As solveDone marks a stopped solve's; a spectrum's reason is never coloured.
    if (run === 'solve') target.className = 'bad';
  }

  spectrumProgress(step: number, lambdaMin: number, lambdaMax: number): void {
    show('spectrum-steps', step, String(step));
    show('lambda-min', lambdaMin, lambdaMin.toPrecision(8));
    show('lambda-max', lambdaMax, lambdaMax.toPrecision(8));
    showText('spectrum-reason', 'running…');
  }

  spectrumDone(result: SpectrumResult, stopped: boolean): void {
    this.#showSpectrum(shownSpectrum(result, stopped));
  }

  #showSpectrum(spectrum: ShownSpectrum): void {
    show('lambda-min', spectrum.lambdaMin, spectrum.lambdaMin.toPrecision(8));
    show('lambda-max', spectrum.lambdaMax, spectrum.lambdaMax.toPrecision(8));
    show('collective', spectrum.collectiveParameter);
    // λ_max/λ_min has no meaning once M is indefinite, nor before M is shown definite (spectrum.ts
    // gives null for both): said, not a bare dash.
    const unconditioned = spectrum.indefinite === true ? 'none: λ_min ≤ 0' : 'not established';
    show(
      'condition',
      spectrum.conditionNumber,
      spectrum.conditionNumber === null ? unconditioned : undefined,
    );
    show('spectrum-steps', spectrum.iterations, String(spectrum.iterations));
    const reason = element('spectrum-reason');
    const shown = shownReason(spectrum.reason, spectrum.stopped);
    reason.textContent = shown.text;
    reason.dataset.reason = shown.reason;
    const mark = element('definiteness');
    const verdict = definiteness(spectrum.indefinite);
    mark.dataset.definiteness = verdict;
    if (verdict === 'not established') {
      // Neither proven: a script reading data-indefinite must not take it for either answer.
      delete mark.dataset.indefinite;
      mark.className = '';
      mark.textContent =
        spectrum.stopped || !spectrum.converged
          ? `positive definiteness not established (${spectrum.stopped ? 'stopped' : 'not converged'}): λ_min is only an upper bound of the true λ_min until Lanczos converges`
          : 'definiteness not established: λ_min is within its error bound of 0';
      return;
    }
    const indefinite = verdict === 'indefinite';
    mark.dataset.indefinite = String(indefinite);
    mark.className = indefinite ? 'bad' : 'good';
    mark.textContent = indefinite
      ? 'INDEFINITE: λ_min ≤ 0, so some motion has T = vᵀMv/2 ≤ 0 and CG fails (MINRES still solves it); electrons are closer than about r_e'
      : 'positive definite';
  }

  /**
   * Forgets the float64 check of a solve's or a spectrum's result (both by default), and the note:
   * one stage's run leaves the other's check beside the result it is of.
   */
  clearChecks(stages: readonly (keyof typeof kCheckIds)[] = ['solve', 'spectrum']): void {
    for (const stage of stages) {
      for (const id of kCheckIds[stage]) {
        show(id, null);
        element(id).className = '';
        element(id).title = '';
      }
    }
    showText('check-note', '');
  }

  /** A check of the diagnostics' beside its target (showCheck), as the Scaling card writes its worst. */
  check(id: CheckId, value: number, target: number | null): void {
    showCheck(id, value, target);
  }

  checkNote(text: string): void {
    showText('check-note', text);
  }

  /**
   * The progress line over the view: what runs, and how far (0..1) when that is known, which the
   * progress bar also tells a screen reader (no value while it is unknown: an indeterminate bar).
   */
  progress(text: string, fraction: number | null): void {
    const box = element('progress');
    box.hidden = false;
    showText('progress-text', text);
    const bar = element('progress-bar');
    bar.classList.toggle('indeterminate', fraction === null);
    const percent = fraction === null ? null : Math.round(100 * Math.min(1, Math.max(0, fraction)));
    bar.style.width = percent === null ? '' : `${percent}%`;
    const track = element('progress-track');
    if (percent === null) track.removeAttribute('aria-valuenow');
    else track.setAttribute('aria-valuenow', String(percent));
    this.#sayProgress(text);
  }

  /** The Stop beside the progress line, in view while a run goes on however the page is scrolled. */
  stopControl(): HTMLElement {
    return element('progress-stop');
  }

  progressDone(): void {
    element('progress').hidden = true;
    clearTimeout(this.#sayTimer);
    this.#sayTimer = 0;
    this.#saidAt = -Infinity;
    // Emptied, not left saying a finished run's last step to a reader who comes across it later.
    showText('progress-said', '');
  }

  /**
   * The progress line in the polite live region a screen reader speaks: its first line at once, then
   * the latest one at most every kSaidProgressMs, since each change is read whole and a solve's line
   * changes with every iteration.
   */
  #sayProgress(text: string): void {
    this.#toSay = text;
    if (this.#sayTimer) return;
    const say = () => {
      this.#sayTimer = 0;
      this.#saidAt = performance.now();
      showText('progress-said', this.#toSay);
    };
    const wait = this.#saidAt + kSaidProgressMs - performance.now();
    if (wait <= 0) say();
    else this.#sayTimer = window.setTimeout(say, wait);
  }

  /**
   * One line under the diagnostics for errors and notices; empty text clears it. Its text goes in a
   * new node each time, which the status region announces even when the text is the one it held (the
   * same refusal, pressed twice); an error's "Error:" is the stylesheet's, seen and read alike.
   */
  message(text: string, kind: 'error' | 'info' = 'error'): void {
    const target = element('message');
    target.replaceChildren();
    target.className = text ? kind : '';
    if (text) target.appendChild(document.createElement('span')).textContent = text;
  }

  /** Whether the message line says something now. */
  saying(): boolean {
    return element('message').textContent !== '';
  }

  /**
   * Clears the message while it is still `text` (a refusal since lifted), not one written after; or
   * says `narrower` in its place, the refusal of what is left of its cause.
   */
  withdrawMessage(text: string, narrower = ''): void {
    if (element('message').textContent === text) this.message(narrower);
  }

  #schedulePlot(): void {
    if (this.#plotScheduled) return;
    this.#plotScheduled = requestAnimationFrame(() => {
      this.#plotScheduled = 0;
      this.#redraw();
    });
  }

  #redraw(): void {
    const tolerance = this.#iterations.map(() => (this.#tolerance > 0 ? this.#tolerance : null));
    this.#plot.setData([this.#iterations, this.#residuals, tolerance]);
    // uPlot leaves the scales of no data where the last data put them: an emptied plot would keep
    // the last run's iterations on its axis.
    if (this.#iterations.length === 0) this.#plot.setScale('x', { min: 0, max: 1 });
    // The dashed line's value, as #solve-reason holds its reason: for the page's tests to read.
    element('residual-plot').dataset.tolerance = this.#tolerance > 0 ? String(this.#tolerance) : '';
  }
}
