// The Studies panel's runs: thin adapters over src/studies/<name>/ as the CLI's study commands are, the
// London map on the page's GPU device, the scaling sweep on the GPU engine. Every study's points run
// one at a time with the page's event loop in between (the `pause` hook), so the page keeps drawing,
// and Stop follows the one rule of src/studies/study.ts.
import type { GpuContext } from '../gpu/device.ts';
import { gpuReducedField } from '../engine/london.ts';
import { InputError } from '../physics/input-error.ts';
import { kLondonConvergenceNs } from '../physics/london.ts';
import { kDefaultPairingRatios } from '../physics/pairing.ts';
import { runLarmor } from '../studies/larmor/run.ts';
import { londonConvergenceSvg, londonMapSvg } from '../studies/london/report.ts';
import { runLondon } from '../studies/london/run.ts';
import { pairingEnergySvg, pairingRatioSvg } from '../studies/pairing/report.ts';
import { runPairing } from '../studies/pairing/run.ts';
import { kDistributionDimension } from '../physics/scaling.ts';
import {
  scalingSweep,
  summariseStudy,
  type ScalingPoint,
  type ScalingStudy,
} from '../studies/scaling/run.ts';
import { kScalingDefaults, logSpacedCounts, scalingRangeProblem } from '../studies/scaling/spec.ts';
import type { StudyHooks } from '../studies/study.ts';
import { openEngine } from './engine.ts';
import { FieldError, type Parameters, type StudyAction } from './state.ts';
import type { StudiesView } from './studies-view.ts';

/** Lets the page draw a frame and handle input (a Stop click) between two chunks of a run. */
function yieldToPage(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

export class Studies {
  readonly #gpu: GpuContext;
  readonly #view: StudiesView;

  constructor(gpu: GpuContext, view: StudiesView) {
    this.#gpu = gpu;
    this.#view = view;
  }

  /** Runs one study; true when it finished (not stopped, every solver converged). */
  async run(action: StudyAction, parameters: Parameters, hooks: StudyHooks): Promise<boolean> {
    this.#view.start(action);
    const paced: StudyHooks = { ...hooks, pause: yieldToPage };
    let ok = false;
    try {
      if (action === 'london') ok = await this.#london(parameters, paced);
      else if (action === 'pairing') ok = await this.#pairing(paced);
      else if (action === 'larmor') ok = this.#larmor(parameters);
      else ok = await this.#scaling(parameters, paced);
    } finally {
      this.#view.finish(action, ok ? 'converged' : 'failed');
    }
    return ok;
  }

  /** A panel field changed: the Larmor card, once shown, follows its inputs. */
  changed(key: keyof Parameters, parameters: Parameters): void {
    if (key.startsWith('larmor') && this.#view.larmorShown) this.#larmor(parameters);
  }

  async #london(p: Parameters, hooks: StudyHooks): Promise<boolean> {
    this.#view.clearLondon();
    const { maps, convergence, stopped } = await runLondon(
      (body, points) => gpuReducedField(this.#gpu, body, points),
      {
        geometry: p.londonGeometry,
        ns: [p.londonN],
        grid: p.londonGrid,
        halfHeight: p.londonHalfHeight,
        convergenceNs: kLondonConvergenceNs,
      },
      {
        ...hooks,
        map: (map) =>
          this.#view.londonMap(
            map.body,
            p.londonGrid,
            map.study,
            londonMapSvg(map.body, map.grid, map.ratios),
          ),
      },
    );
    if (stopped) return false;
    this.#view.londonConvergence(
      convergence,
      londonConvergenceSvg(
        p.londonGeometry,
        convergence,
        maps.map((map) => map.body.n),
      ),
    );
    return true;
  }

  async #pairing(hooks: StudyHooks): Promise<boolean> {
    const ratios = kDefaultPairingRatios;
    const { points, rings, stopped } = await runPairing(ratios, {
      ...hooks,
      progress: (text, fraction) => {
        hooks.progress?.(text, fraction);
        this.#view.pairingProgress(Math.round((fraction ?? 0) * ratios.length), ratios.length);
      },
    });
    if (stopped) return false;
    const maxError = Math.max(...points.map((point) => point.convergence.estimatedRelativeError));
    this.#view.pairing(
      ratios,
      maxError,
      rings,
      pairingEnergySvg(points, rings),
      pairingRatioSvg(points, rings),
    );
    return true;
  }

  #larmor(p: Parameters): boolean {
    const { ring } = runLarmor({
      n: p.larmorN,
      fieldTesla: p.larmorFieldTesla,
      radiusMetres: p.larmorRadiusMetres,
    });
    this.#view.larmor(ring);
    return true;
  }

  async #scaling(p: Parameters, hooks: StudyHooks): Promise<boolean> {
    const range = scalingRangeProblem(p.scalingNMin, p.scalingNMax);
    if (range) throw new FieldError('scalingNMax', range);
    const ns = logSpacedCounts(p.scalingNMin, p.scalingNMax, p.scalingPoints);
    const geometry = p.scalingGeometry;
    const model = p.scalingModel;
    this.#view.scalingStart(
      `${geometry}, ${model} model, d = ${kDistributionDimension[geometry]}, N = ${ns.join(', ')}`,
      ns,
    );
    const started = performance.now();
    const at = (n: number) => `Scaling: ${geometry}, N = ${n} (${ns.indexOf(n) + 1} of ${ns.length})`;
    const { study, stopped } = await scalingSweep(
      (system) => openEngine(this.#gpu, system, 'auto'),
      {
        geometry,
        model,
        ns,
        seed: kScalingDefaults.seed,
        onStart: (n) => hooks.progress?.(`${at(n)}, building M…`, ns.indexOf(n) / ns.length),
        onLanczos: (n, step, _low, high) =>
          hooks.progress?.(
            `${at(n)}, Lanczos step ${step}, λ_max ≥ ${high.toPrecision(6)}`,
            ns.indexOf(n) / ns.length,
          ),
        onPoint: (_point, points) =>
          this.#view.scalingUpdate(points, this.#summary(p, [...points], performance.now() - started)),
      },
      hooks,
    );
    return !stopped && study.points.every((point) => point.lanczos.converged);
  }

  /** The fits so far, or why there are none (too few points for the law, or a fit that never reaches 1). */
  #summary(p: Parameters, points: ScalingPoint[], milliseconds: number): ScalingStudy | string {
    try {
      return summariseStudy(p.scalingGeometry, p.scalingModel, points, milliseconds);
    } catch (error) {
      if (error instanceof InputError) return error.message;
      throw error;
    }
  }
}
