// Fits of a study's values against N to a law of src/physics/scaling.ts (c + b N^-p, a ln N + b, ...),
// with the uncertainty of the N -> infinity coefficient: shared by the scaling study (lambda_max / N)
// and the response study (the screening ratio's finite-N corrections).
import { lawValue, type ScalingLaw } from '../physics/scaling.ts';
import { goldenSectionMinimum } from '../math/minimize.ts';
import { linearLeastSquares } from '../solvers/least-squares.ts';

export interface LawFit {
  readonly law: ScalingLaw;
  readonly parameters: number[];
  /** The law's N -> infinity coefficient (parameters[law.coefficientIndex]). */
  readonly coefficient: number;
  /** sqrt(covariance^2 + window^2). */
  readonly uncertainty: number;
  /** From the fit's covariance, s^2 (X^T X)^-1 with the residual variance s^2. */
  readonly uncertaintyCovariance: number;
  /** The largest change of the coefficient when the smallest N are dropped, one by one, up to half. */
  readonly uncertaintyWindow: number;
  /** The refits uncertaintyWindow took: 0 where too few N are fitted to drop one (covariance alone). */
  readonly windowRefits: number;
  readonly rmsResidual: number;
  /** The N range fitted. */
  readonly nFrom: number;
  readonly nTo: number;
  readonly points: number;
  /**
   * inverse_power laws: the exponent p that fits best when it is free too (a check of the law's p);
   * null below four N, and where the best p lies on the search's bracket (no minimum inside it).
   */
  readonly freeExponent: number | null;
  /** The coefficient of c + b N^-p with p = freeExponent; null where freeExponent is. */
  readonly freeExponentCoefficient: number | null;
  /**
   * |freeExponentCoefficient - coefficient|, 0 where there is none: how far the law's fixed p moves
   * the coefficient over the N fitted. A systematic term, apart from `uncertainty`: the finite-N
   * corrections decay more slowly than the law's p where the exponent is free, so the fixed-p fit
   * undershoots the larger N, in one direction.
   */
  readonly uncertaintySystematic: number;
}

/**
 * Beside a fit's ± where no N could be dropped to refit (too few fitted): the fit's covariance alone,
 * which leaves out how the law's finite-N form misses, and reads smaller than a longer sweep's.
 */
export function covarianceAlone(fit: Pick<LawFit, 'windowRefits'>): string {
  return fit.windowRefits === 0 ? ' (covariance alone: too few N to refit without the smallest)' : '';
}

/**
 * Fits law to (n, value) by least squares. Its uncertainty combines the covariance's standard error
 * with the fit-window spread: the coefficient refitted with the 1, 2, ... smallest N dropped, while at
 * least parameters + 2 points and half of them remain; the largest change counts. Where
 * `fixedCoefficient` is given, that parameter is held and the others fitted (uncertainty then of
 * parameter `report`).
 */
export function fitLaw(
  law: ScalingLaw,
  ns: readonly number[],
  values: readonly number[],
  fixed?: { readonly coefficient: number; readonly report: number },
): LawFit | null {
  const columns = law.parameters.length;
  const free = fixed ? columns - 1 : columns;
  if (ns.length < free + 1) return null;
  const fitFrom = (from: number) => {
    const rows: number[][] = [];
    const y: number[] = [];
    for (let k = from; k < ns.length; k++) {
      const basis = law.basis(Math.log(ns[k]));
      if (fixed) {
        y.push(values[k] - fixed.coefficient * basis[law.coefficientIndex]);
        basis.splice(law.coefficientIndex, 1);
      } else y.push(values[k]);
      rows.push(basis);
    }
    const result = linearLeastSquares(rows, y);
    const parameters = Array.from(result.parameters);
    if (fixed) parameters.splice(law.coefficientIndex, 0, fixed.coefficient);
    return { result, parameters };
  };
  const index = fixed ? fixed.report : law.coefficientIndex;
  const freeIndex = fixed && fixed.report > law.coefficientIndex ? fixed.report - 1 : index;
  const all = fitFrom(0);
  const coefficient = all.parameters[index];
  const covariance = Math.sqrt(all.result.covariance[freeIndex * free + freeIndex]);
  let window = 0;
  let windowRefits = 0;
  for (let drop = 1; ns.length - drop >= Math.max(free + 2, Math.ceil(ns.length / 2)); drop++) {
    window = Math.max(window, Math.abs(fitFrom(drop).parameters[index] - coefficient));
    windowRefits++;
  }
  const covarianceTerm = Number.isFinite(covariance) ? covariance : 0;
  const exponent = law.exponent !== undefined && ns.length >= 4 ? freeExponent(ns, values) : null;
  const freeExponentCoefficient =
    exponent === null ? null : inversePowerFit(ns, values, exponent).parameters[0];
  return {
    law,
    parameters: all.parameters,
    coefficient,
    uncertainty: Math.hypot(covarianceTerm, window),
    uncertaintyCovariance: covariance,
    uncertaintyWindow: window,
    windowRefits,
    rmsResidual: all.result.rmsResidual,
    nFrom: ns[0],
    nTo: ns[ns.length - 1],
    points: ns.length,
    freeExponent: exponent,
    freeExponentCoefficient,
    uncertaintySystematic:
      freeExponentCoefficient === null ? 0 : Math.abs(freeExponentCoefficient - coefficient),
  };
}

/** sqrt(uncertainty^2 + uncertaintySystematic^2): the fit's spread and its fixed exponent's. */
export function totalUncertainty(fit: Pick<LawFit, 'uncertainty' | 'uncertaintySystematic'>): number {
  return Math.hypot(fit.uncertainty, fit.uncertaintySystematic);
}

/** The bracket of freeExponent's search. */
const kFreeExponentBracket = [0.05, 2] as const;

/** value = c + b N^-p by least squares: parameters [c, b]. */
function inversePowerFit(ns: readonly number[], values: readonly number[], exponent: number) {
  return linearLeastSquares(
    ns.map((n) => [1, n ** -exponent]),
    values,
  );
}

/**
 * The p of value = c + b N^-p with the least residual, p in kFreeExponentBracket, by golden-section
 * search; null where it ends on the bracket (within 1e-6): the residual then falls on beyond it, and
 * the edge is no fitted exponent (a sweep of small N, far from the law).
 */
export function freeExponent(ns: readonly number[], values: readonly number[]): number | null {
  const [lower, upper] = kFreeExponentBracket;
  const p = goldenSectionMinimum((q) => inversePowerFit(ns, values, q).rmsResidual, lower, upper);
  return p - lower < 1e-6 || upper - p < 1e-6 ? null : p;
}

/** lambda_max / N of a fitted law at N (for plotting the fit line). */
export function fittedCoefficient(fit: LawFit, n: number): number {
  return lawValue(fit.law, fit.parameters, Math.log(n));
}
