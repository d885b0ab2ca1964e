// The Studies panel's runs, on the same code as the CLI's study commands: the London map is
// src/engine/london.ts on the page's GPU device with the plots of src/io/london.ts, pairing is
// src/physics/pairing.ts with src/io/pairing.ts, Larmor is src/physics/larmor.ts, and the scaling sweep
// is src/solvers/scaling.ts on the GPU engine. Every float64 loop runs in chunks of one N or one a_m/a
// with the page's event loop in between, so the page keeps drawing and Stop is honoured between chunks
// (and within a Lanczos run of the sweep, at its readbacks).
import type { GpuContext } from '../gpu/device.ts';
import { londonFieldMap, summariseLondonConvergence } from '../engine/london.ts';
import { londonConvergenceSvg, londonMapSvg } from '../io/london.ts';
import { pairingEnergySvg, pairingRatioSvg } from '../io/pairing.ts';
import { InputError } from '../physics/input-error.ts';
import { larmorRing } from '../physics/larmor.ts';
import {
  fieldMapGrid,
  kLondonConvergenceNs,
  londonBody,
  londonConvergence,
  type LondonConvergencePoint,
} from '../physics/london.ts';
import {
  kDefaultPairingRatios,
  kPairingRings,
  pairingPoint,
  ringTemperature,
  type PairingPoint,
} from '../physics/pairing.ts';
import { kDistributionDimension } from '../physics/scaling.ts';
import {
  logSpacedCounts,
  scalingPoint,
  summariseStudy,
  type ScalingPoint,
  type ScalingStudy,
} from '../solvers/scaling.ts';
import { openEngine } from './engine.ts';
import { FieldError, type Parameters, type StudyAction } from './state.ts';
import type { StudiesView } from './studies-view.ts';

/** What a run needs from the session: progress over the view, and whether Stop was pressed. */
export interface StudyHooks {
  progress(text: string, fraction: number | null): void;
  stopped(): boolean;
}

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
    let ok = false;
    try {
      if (action === 'london') ok = await this.#london(parameters, hooks);
      else if (action === 'pairing') ok = await this.#pairing(hooks);
      else if (action === 'larmor') ok = this.#larmor(parameters);
      else ok = await this.#scaling(parameters, hooks);
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
    const body = londonBody(p.londonGeometry, p.londonN, p.londonHalfHeight);
    const grid = fieldMapGrid(body, p.londonGrid);
    this.#view.clearLondon();
    hooks.progress(
      `London: Biot-Savart field of ${body.n} charges at ${grid.points.length / 3 + 1} points on the GPU…`,
      null,
    );
    const map = await londonFieldMap(this.#gpu, body, grid);
    this.#view.londonMap(body, p.londonGrid, map.study, londonMapSvg(body, grid, map.ratios));

    // N r_e/R against N in float64, one N at a time (30000 charges take a few tens of ms).
    const points: LondonConvergencePoint[] = [];
    for (const [k, n] of kLondonConvergenceNs.entries()) {
      if (hooks.stopped()) return false;
      hooks.progress(
        `London: N r_e/R of the discrete ${body.geometry}, N = ${n}`,
        k / kLondonConvergenceNs.length,
      );
      await yieldToPage();
      points.push(...londonConvergence(body.geometry, [n], body.halfHeight));
    }
    const convergence = summariseLondonConvergence(body.geometry, body.halfHeight, points);
    this.#view.londonConvergence(convergence, londonConvergenceSvg(body.geometry, convergence, [body.n]));
    return true;
  }

  async #pairing(hooks: StudyHooks): Promise<boolean> {
    const ratios = kDefaultPairingRatios;
    const points: PairingPoint[] = [];
    for (const [k, ratio] of ratios.entries()) {
      if (hooks.stopped()) return false;
      hooks.progress(`Pairing: ground state at a_m/a = ${ratio.toPrecision(4)}`, k / ratios.length);
      this.#view.pairingProgress(k, ratios.length);
      await yieldToPage();
      points.push(pairingPoint(ratio));
    }
    await yieldToPage();
    const rings = kPairingRings.map((ring) => ringTemperature(ring));
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
    this.#view.larmor(larmorRing(p.larmorN, p.larmorFieldTesla, p.larmorRadiusMetres));
    return true;
  }

  async #scaling(p: Parameters, hooks: StudyHooks): Promise<boolean> {
    if (p.scalingNMax < p.scalingNMin) {
      throw new FieldError('scalingNMax', `the largest N must be >= the smallest (${p.scalingNMin})`);
    }
    const ns = logSpacedCounts(p.scalingNMin, p.scalingNMax, p.scalingPoints);
    const geometry = p.scalingGeometry;
    const model = p.scalingModel;
    this.#view.scalingStart(
      `${geometry}, ${model} model, d = ${kDistributionDimension[geometry]}, N = ${ns.join(', ')}`,
      ns,
    );
    const started = performance.now();
    const points: ScalingPoint[] = [];
    let converged = true;
    for (const [k, n] of ns.entries()) {
      if (hooks.stopped()) return false;
      hooks.progress(`Scaling: ${geometry}, N = ${n} (${k + 1} of ${ns.length}), building M…`, k / ns.length);
      await yieldToPage();
      const point = await scalingPoint(
        (system) => openEngine(this.#gpu, system, 'auto'),
        {
          geometry,
          model,
          seed: 1,
          onLanczos: (_n, step, _low, high) => {
            hooks.progress(
              `Scaling: ${geometry}, N = ${n} (${k + 1} of ${ns.length}), Lanczos step ${step}, λ_max ≥ ${high.toPrecision(6)}`,
              k / ns.length,
            );
            return !hooks.stopped();
          },
        },
        n,
      );
      // A point Stop cut short is not a measurement.
      if (hooks.stopped()) return false;
      converged &&= point.lanczos.converged;
      points.push(point);
      this.#view.scalingUpdate(points, this.#summary(p, points, performance.now() - started));
    }
    return converged;
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
