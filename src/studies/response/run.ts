// The response study on any backend: for each N the configuration, for each eps one CG solve
// of M s = b (src/physics/response.ts: the drives, their units and the observables), then the sweeps'
// N -> infinity limits at fixed N r_e/R. Backends come from the caller (GPU or float64 CPU), one per
// configuration: M = D + eps T, so the eps of a sweep are visited in ascending order on one backend by
// setEpsilon (one assembly of T per N), each solve warm-started from the earlier eps's solutions
// (sweepWarmStart); they are disposed of here. Nothing in this file touches the GPU: a device's field
// sum comes from the caller too.
import {
  kReferenceRtol,
  pacedSampledReference,
  sampledErrors,
  solveTargetsFor,
  type SampledReference,
} from '../../run/check.ts';
import type { PacingHooks } from '../../run/chunks.ts';
import { float64Products, refines, solveVelocities, type Float64Products } from '../../run/refine.ts';
import { relativeIterations, residualProduct, type ResidualProduct } from '../../run/solve.ts';
import { rigidRotationVelocities } from '../../physics/biot-savart.ts';
import { geometry, type Configuration } from '../../physics/geometry.ts';
import { nearestNeighbourDistances } from '../../physics/neighbours.ts';
import { massDiagonal, type DarwinSystem } from '../../physics/models.ts';
import { relativeError } from '../../physics/observables.ts';
import { dot, norm, trueResidual } from '../../math/vectors.ts';
import {
  continuumLimit,
  continuumRatio,
  currentProfile,
  finiteSizeExponent,
  fitLondonProfile,
  kProfileBins,
  driveRightHandSide,
  effectiveLaggingParameter,
  inducedFieldRatio,
  continuumCentreField,
  londonFieldRatio,
  londonPenetrationDepth,
  londonSphereCurrentProfile,
  londonSphereParameter,
  londonX,
  momentPerTesla,
  reducedInducedField,
  reducedMoment,
  screeningRatio,
  apparentSusceptibility,
  intrinsicSusceptibility,
  velocityTriples,
  type CurrentProfile,
} from '../../physics/response.ts';
import { inversePowerLaw } from '../../physics/scaling.ts';
import type { TreeDetails } from '../../physics/tree-build.ts';
import type { MassMatrixBackend } from '../../run/backend.ts';
import { linearLeastSquares } from '../../solvers/least-squares.ts';
import { unitExtremes } from '../../run/spectrum.ts';
import { spectrumAt } from '../../solvers/spectrum.ts';
import { fitLaw } from '../fits.ts';
import { PointStopped, sweep, type BackendFactory, type StudyHooks } from '../study.ts';
import {
  defaultRtol,
  type ConvergenceReason,
  type LanczosOptions,
  type SolveOptions,
  type SolveResult,
} from '../../solvers/types.ts';
import { epsilonsOf, type ResponseSpec } from './spec.ts';

/**
 * The reduced field b (reducedInducedField's: B / (mu0/4pi), unit charge) of charges at `positions`
 * moving with `velocities` (xyz triples), at `points` (xyz triples), as xyz triples: a device's sum
 * (src/engine/london.ts gpuMovingChargesField), checked here against the float64 sum.
 */
export type ReducedFieldSum = (
  positions: Float64Array,
  velocities: Float64Array,
  points: Float64Array,
) => Promise<Float64Array>;

/** The x-z field map spans [-kMapHalfWidth, kMapHalfWidth] R on both axes: the body and its outside. */
export const kMapHalfWidth = 1.25;

/**
 * Same N r_e/R: a point's is N (x / N), which rounds x in its last bit at some N, so the sweep, its
 * limits, the app's card and a file read back all match them to that rounding.
 */
export function sameNEpsilon(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-12 * Math.abs(b);
}

export interface ResponsePoint {
  readonly n: number;
  /** N r_e/R = N eps (eq. 49). */
  readonly nEpsilon: number;
  readonly epsilon: number;
  readonly screeningRatio: number;
  readonly continuumRatio: number | null;
  readonly londonX: number | null;
  /** B_total(0) / B_ext (field), B_total(0) / B_eff in the co-rotating frame (rotation); null for flux. */
  readonly fieldCentreRatio: number | null;
  /** The continuum's fieldCentreRatio (continuumCentreField: London's sphere, the shell); else null. */
  readonly continuumFieldCentreRatio: number | null;
  /**
   * The field drive with the radius in metres (--radius-m): mu_z / B in A m^2 per tesla
   * (momentPerTesla), the solid's SI volume susceptibility against the applied field
   * (apparentSusceptibility; null for a surface, a film, the ring) and the chi of M = chi H of the
   * uniform linear ball with the same moment (intrinsicSusceptibility; null for any other geometry);
   * all null otherwise.
   */
  readonly momentPerTesla: number | null;
  readonly apparentSusceptibility: number | null;
  readonly intrinsicSusceptibility: number | null;
  /** Rotation: the centre field over the London field 2 m Omega / |e|, and N_eff r_e/R (eq. 30). */
  readonly londonFieldRatio: number | null;
  /** Rotation: the continuum's London field ratio, 1 - continuumFieldCentreRatio; else null. */
  readonly continuumLondonFieldRatio: number | null;
  readonly nEffEpsilon: number | null;
  readonly iterations: number;
  readonly converged: boolean;
  readonly reason: ConvergenceReason;
  /** The iterate's true relative residual ||b - M s|| / ||b|| (with the backend's own M). */
  readonly trueRelativeResidual: number;
  /**
   * The product M s in trueRelativeResidual (solve's ResidualProduct): float64 on the CPU and in the
   * GPU's dense and matrix-free solves (kResponseRtol refines them), the GPU's float32 tree with
   * --matrix tree, whose own rounding it then also measures (the check, float64, measures the
   * velocities, and a refined solve's residual with the reference's M: denseResidual).
   */
  readonly trueResidualProduct: ResidualProduct;
  /**
   * Whether M is indefinite at this point (pointIndefinite): an exact solution of M v = b there is
   * outside the model's validity (electrons within about r_e). True where established, false where
   * shown definite, null where neither (or not looked at: no pair within kIndefiniteReach eps).
   */
  readonly mIndefinite: boolean | null;
  /**
   * ||s - s64|| / ||s64|| against the float64 reference's solve to rtol 1e-12, where one is given;
   * null where either solve did not converge (reason, referenceUnconverged). Held to checkTarget
   * unless the point has a denseResidual.
   */
  readonly check: number | null;
  /**
   * A refined solve's float64 true residual ||b - M s|| / ||b|| with the dense reference's M, held to
   * checkTarget in place of check, as solve holds its own (src/run/solve.ts SolveCheck.residual): a
   * refined solve promises that residual, and check only cond(M) times it (plus the reference's own),
   * which no check knows. null where the point did not refine (the CPU, the trees), was not checked
   * densely, or did not converge.
   */
  readonly denseResidual: number | null;
  /**
   * Where the sweep is checked on sampled rows (ResponseReference, past the dense check):
   * ||b - M s|| / ||b|| over the float64 rows of M at kSampledCheckElectrons electrons
   * (src/run/check.ts), each the direct pair sum, so that a tree's error is in it; else null, and
   * where the solve did not converge.
   */
  readonly sampledResidual: number | null;
  /**
   * What the point's check (denseResidual where there is one, else check, or sampledResidual) is held
   * to: solve's target for the same backend, tolerance and refinement (src/run/check.ts
   * solveTargetsFor), the residual's for a residual, the velocities' for check; null where nothing was
   * checked. Judged by pointWithinTarget (src/studies/study.ts).
   */
  readonly checkTarget: number | null;
  /**
   * Why the float64 reference solve did not converge, where it did not (the point is then not
   * checked, as solve's velocities: src/run/solve.ts SolveCheck); null otherwise.
   */
  readonly referenceUnconverged: ConvergenceReason | null;
  /** The fast multipole tree of the backend, where M's product was the tree's (--matrix tree). */
  readonly tree: TreeDetails | null;
  readonly profile: CurrentProfile;
  /**
   * The binned profile's fitted e-folding depth, units of R, which includes the geometric factor r
   * (decayLength); null where it does not decay inward or a bin's current is not positive.
   */
  readonly decayLength: number | null;
  /** London's sphere's, binned and fitted the same way (continuumDecayLength); null where none. */
  readonly continuumDecayLength: number | null;
  /**
   * lambda / R fitted as London's profile, v_phi = a i_1(r / lambda) sin(theta), to every electron's
   * azimuthal velocity (fitLondonProfile), where London's sphere is the continuum (the ball, field or
   * rotation); null elsewhere, and where the rigid rotation fits as well (no screening to see).
   */
  readonly penetrationDepth: number | null;
  /** That fit's a: v_phi / sin(theta) at r = R, units of u; null with penetrationDepth. */
  readonly penetrationAmplitude: number | null;
  /** The continuum's lambda_L / R = 1 / x, x = R / lambda_L (londonPenetrationDepth); null elsewhere. */
  readonly londonPenetrationDepth: number | null;
  readonly configuration: Configuration;
  /** Velocity triples in the drive's unit u. */
  readonly velocities: Float64Array;
  /** B_z / B_ext (field) or B_z / B_London (rotation) on the map's G x G grid, row 0 at the top; or null. */
  readonly fieldMap: Float64Array | null;
  /**
   * A device's map against the float64 sum: max |b_z - b_z,64| over the check points (every
   * kMapCheckStride-th point the device summed, and its last) over max |b_z,64| there; null for a
   * float64 map, or none.
   */
  readonly fieldMapCheck: number | null;
}

export interface ResponseLimit {
  readonly nEpsilon: number;
  /** The ratio's N -> infinity value c of the fit c + b N^-p, and its uncertainty (fitLaw's). */
  readonly extrapolatedRatio: number;
  readonly uncertainty: number;
  /** How many fit windows refitted it without its smallest N (fitLaw); 0: the ± is the covariance alone. */
  readonly windowRefits: number;
  /** p of the law, and the p that fits best when free too (four N or more), a check of it. */
  readonly exponent: number;
  readonly freeExponent: number | null;
  /** c with p free too (fitLaw's freeExponentCoefficient); null where freeExponent is. */
  readonly freeExponentCoefficient: number | null;
  /**
   * |freeExponentCoefficient - extrapolatedRatio|, 0 where there is none (fitLaw's
   * uncertaintySystematic): how far the law's fixed p moves c over the N fitted, apart from the ±.
   */
  readonly uncertaintySystematic: number;
  readonly law: string;
  readonly continuumRatio: number | null;
}

export interface ResponseResult {
  readonly spec: ResponseSpec;
  readonly points: ResponsePoint[];
  readonly limits: ResponseLimit[];
  /** False when Stop (StudyHooks.stopped) ended the sweep early. */
  readonly complete: boolean;
  readonly milliseconds: number;
}

/**
 * The binned profile's e-folding depth l: ln(current) = c - depth / l fitted over the bins where the
 * current is positive (three or more); l in R, or null. The binned quantity is j_phi / sin(theta),
 * which carries the geometric factor r: without any screening (the rigid Larmor rotation, current r)
 * it "decays" over 0.39 R, so at small N r_e/R l says more of the ball's shape than of screening
 * (fitLondonProfile's penetration depth is the screening's). Null where a bin that holds electrons
 * has a current that is not positive: a profile that changes sign has no e-folding depth. London's
 * sphere's bins (londonSphereCurrentProfile) hold none, and a bin there that underflows to 0 is left
 * out of the fit.
 */
export function decayLength(profile: CurrentProfile): number | null {
  if (profile.counts.some((count, bin) => count > 0 && !(profile.current[bin] > 0))) return null;
  const rows: number[][] = [];
  const y: number[] = [];
  profile.current.forEach((current, bin) => {
    if (current > 0) {
      rows.push([1, profile.depth[bin]]);
      y.push(Math.log(current));
    }
  });
  if (rows.length < 3) return null;
  const slope = linearLeastSquares(rows, y).parameters[1];
  return slope < 0 ? -1 / slope : null;
}

/**
 * Past this x = R/lambda_L, London's sphere's current below its two outermost bins underflows to 0
 * (e^(-2x/bins) < 2^-1075, the least double): decayLength has fewer than three bins to fit and gives
 * null, which is then said without the profile's Simpson sums of ~x steps a bin (minutes from
 * N r_e/R ~ 10^15 on).
 */
const kLondonDecayFitLargestX = (745.2 * kProfileBins) / 2;

/**
 * The decay length decayLength fits to London's sphere (londonSphereCurrentProfile at x = R/lambda_L):
 * the continuum's for the ball in a field or rotating, null elsewhere. It tends to lambda_L only as
 * x grows (1.17 lambda_L at x = 9.5, 1.01 lambda_L at x = 300): the bins span the whole radius.
 */
export function continuumDecayLength(
  spec: Pick<ResponseSpec, 'geometry' | 'drive'>,
  nEpsilon: number,
): number | null {
  const x = londonSphereParameter(spec.geometry, spec.drive, nEpsilon);
  return x === null || x > kLondonDecayFitLargestX ? null : decayLength(londonSphereCurrentProfile(x));
}

/** The map's G x G points in the x-z plane as xyz triples, row-major, row 0 at z = +kMapHalfWidth. */
export function fieldMapPoints(size: number): Float64Array {
  const points = new Float64Array(3 * size * size);
  const coordinate = (k: number) => -kMapHalfWidth + (2 * kMapHalfWidth * k) / (size - 1);
  for (let row = 0; row < size; row++) {
    for (let column = 0; column < size; column++) {
      points[3 * (row * size + column)] = coordinate(column);
      points[3 * (row * size + column) + 2] = -coordinate(row);
    }
  }
  return points;
}

/** A device's map is checked against the float64 sum at every kMapCheckStride-th of its points. */
export const kMapCheckStride = 16;

/** b_z at `points` in float64 (reducedInducedField). */
function reducedFieldZ64(
  points: Float64Array,
  positions: Float64Array,
  velocities: Float64Array,
): Float64Array {
  return Float64Array.from({ length: points.length / 3 }, (_, p) => {
    const point = [points[3 * p], points[3 * p + 1], points[3 * p + 2]] as const;
    return reducedInducedField(point, positions, velocities)[2];
  });
}

/** An xyz triple rounded to float32, as a key: the device compares positions in float32. */
function float32Key(values: Float64Array, index: number): string {
  return [0, 1, 2].map((c) => Math.fround(values[3 * index + c])).join(',');
}

/**
 * The map's reduced field b_z at every grid point, from `fieldSum` (then with its check against the
 * float64 sum) or in float64. A grid point on an electron (in float32, where the device compares
 * them; the centre of a body with an electron there) is summed in float64, which leaves that
 * electron out as reducedInducedField does: the device's sum refuses such a point.
 */
async function reducedFieldMap(
  positions: Float64Array,
  velocities: Float64Array,
  size: number,
  fieldSum: ReducedFieldSum | null,
): Promise<{ map: Float64Array; check: number | null }> {
  const points = fieldMapPoints(size);
  const count = size * size;
  if (!fieldSum) return { map: reducedFieldZ64(points, positions, velocities), check: null };
  const pick = (indices: number[]) =>
    Float64Array.from(indices.flatMap((p) => [points[3 * p], points[3 * p + 1], points[3 * p + 2]]));
  const electrons = new Set(Array.from({ length: positions.length / 3 }, (_, i) => float32Key(positions, i)));
  const all = Array.from({ length: count }, (_, p) => p);
  const onElectron = all.filter((p) => electrons.has(float32Key(points, p)));
  const free = all.filter((p) => !electrons.has(float32Key(points, p)));
  const map = new Float64Array(count);
  const field = await fieldSum(positions, velocities, pick(free));
  free.forEach((p, k) => (map[p] = field[3 * k + 2]));
  const exact = reducedFieldZ64(pick(onElectron), positions, velocities);
  onElectron.forEach((p, k) => (map[p] = exact[k]));

  const checked = free.filter((_, k) => k % kMapCheckStride === 0 || k === free.length - 1);
  const reference = reducedFieldZ64(pick(checked), positions, velocities);
  let difference = 0;
  let scale = 0;
  checked.forEach((p, k) => {
    difference = Math.max(difference, Math.abs(map[p] - reference[k]));
    scale = Math.max(scale, Math.abs(reference[k]));
  });
  return { map, check: scale > 0 ? difference / scale : difference };
}

/**
 * How close, in units of eps R = r_e, the closest pair must be for M = D + eps T to be looked at for
 * indefiniteness: lambda_min(S) ~ -kappa / d_nn with kappa from 1.1 to 1.9 by geometry (the scaling
 * study's; a lone pair's antiparallel mode has exactly 1 - eps / d), so M is indefinite only where a
 * pair is within ~2 eps: 4 leaves a factor 2.
 */
export const kIndefiniteReach = 4;

/**
 * The Lanczos run that decides M's definiteness at every eps of one configuration: it runs on I + S
 * (eps = 1) and spectrumAt maps its lambda_min to each eps. Both ends to 1e-3 of the largest |theta|,
 * not tighter: the probe then costs an N about what its points' solves do, and only a point nearer
 * the edge than that stays undecided (null).
 */
const kIndefiniteLanczos: LanczosOptions = { tol: 1e-3, maxIterations: 200 };

/** Whether any pair of `configuration` is within kIndefiniteReach eps R, so that M may be indefinite. */
export function mayBeIndefinite(configuration: Configuration, epsilon: number): boolean {
  const closest = nearestNeighbourDistances(configuration).reduce((a, b) => Math.min(a, b), Infinity);
  return closest <= kIndefiniteReach * epsilon;
}

/**
 * Whether M is indefinite at eps: true where CG met p^T M p <= 0 (diverged_indefinite: a vector of
 * negative curvature), or where `spectrum` (the configuration's Lanczos run at eps = 1, or null where
 * none ran) puts 1 + eps mu_min below 0 beyond rounding; false where that run converged and
 * 1 + eps (mu_min - its residual bound) > 0; null otherwise (spectrumAt's verdict). The drive's b
 * may have no part along M's negative modes (the ring's alternating mode is orthogonal to its uniform
 * drive; the ball's sit on its closest pairs), so a converged CG says nothing of them.
 */
export function pointIndefinite(
  reason: ConvergenceReason,
  spectrum: InteractionExtremes | null,
  n: number,
  epsilon: number,
): boolean | null {
  if (reason === 'diverged_indefinite') return true;
  if (spectrum === null) return null;
  return spectrumAt(spectrum, n, epsilon, spectrum.converged).indefinite;
}

/**
 * A Lanczos run's extremes of I + S = D^-1/2 M D^-1/2 at eps = 1, with the error bound of theta_min
 * and its rounding there (the tree's error in both, where M is the tree), as spectrumAt takes them,
 * and whether it converged.
 */
export type InteractionExtremes = Parameters<typeof spectrumAt>[0] & { readonly converged: boolean };

/** A converged solve of a sweep: M(eps) x = b, so T x = (b - D x) / eps (M = D + eps T, eq. 48/50). */
export interface SweepSolution {
  readonly epsilon: number;
  readonly x: Float64Array;
  /** ||b - M x|| / ||b||: x's error is at most cond(M) times it. */
  readonly relativeResidual: number;
}

/**
 * A direction of the span below this many times its solution's relative residual (of its length)
 * is that solve's error rather than the solution's: dropped. 1000 bounds cond(M) in the sweeps'
 * definite range with room to spare (cond <= 31 at eps = 0.1, gpu-engine.test.ts).
 */
const kSpanErrorFactor = 1e3;

/**
 * The warm start at `epsilon`: the Galerkin solution in the span of the sweep's earlier solutions,
 * the x0 in that span nearest the new solution in M's energy norm. M(eps) x_j = D x_j +
 * (eps / eps_j)(b - D x_j) needs no product (each x_j solved M(eps_j) x_j = b, to its tolerance), so
 * the start costs O(k size) on the CPU. The span is orthonormalised (Gram-Schmidt, twice, with the
 * products carried along), dropping directions within a solve's error (kSpanErrorFactor), and the
 * k x k system solved by Cholesky; none (undefined) where it is not positive definite (M
 * indefinite).
 */
export function sweepWarmStart(
  diagonal: Float64Array,
  rightHandSide: Float64Array,
  epsilon: number,
  previous: readonly SweepSolution[],
): Float64Array | undefined {
  const basis: Float64Array[] = [];
  const products: Float64Array[] = [];
  for (const { epsilon: solvedAt, x, relativeResidual } of previous) {
    const q = Float64Array.from(x);
    const product = Float64Array.from(x, (value, k) => {
      const d = diagonal[k] * value;
      return d + (epsilon / solvedAt) * (rightHandSide[k] - d);
    });
    const length = norm(q);
    for (let pass = 0; pass < 2; pass++) {
      basis.forEach((u, j) => {
        const c = dot(u, q);
        for (let k = 0; k < q.length; k++) {
          q[k] -= c * u[k];
          product[k] -= c * products[j][k];
        }
      });
    }
    const qNorm = norm(q);
    if (!(qNorm > Math.max(1e-6, kSpanErrorFactor * relativeResidual) * length)) continue;
    basis.push(q.map((value) => value / qNorm));
    products.push(product.map((value) => value / qNorm));
  }
  const k = basis.length;
  if (k === 0) return undefined;
  // G y = Q^T b with G = Q^T M Q, symmetrised, by Cholesky G = L L^T.
  const g = basis.map((_, i) =>
    basis.map((_, j) => 0.5 * (dot(basis[i], products[j]) + dot(basis[j], products[i]))),
  );
  const l = g.map(() => new Float64Array(k));
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = g[i][j];
      for (let m = 0; m < j; m++) sum -= l[i][m] * l[j][m];
      if (i === j) {
        if (!(sum > 0)) return undefined;
        l[i][i] = Math.sqrt(sum);
      } else l[i][j] = sum / l[j][j];
    }
  }
  const y = basis.map((u) => dot(u, rightHandSide));
  for (let i = 0; i < k; i++) {
    for (let m = 0; m < i; m++) y[i] -= l[i][m] * y[m];
    y[i] /= l[i][i];
  }
  for (let i = k - 1; i >= 0; i--) {
    for (let m = i + 1; m < k; m++) y[i] -= l[m][i] * y[m];
    y[i] /= l[i][i];
  }
  const x0 = new Float64Array(rightHandSide.length);
  basis.forEach((u, j) => u.forEach((value, index) => (x0[index] += y[j] * value)));
  return x0;
}

/**
 * The sweep's tolerance where M is exact (dense or matrix-free), on every device. The centre field
 * B(0)/B_ext = 1 - eps b_z/2 deep in the Meissner regime is a difference of nearly equal numbers,
 * which turns an error of the velocities into one about a thousand times larger in the ratio: for a
 * ball of 1000 at N r_e/R = 30 (converged: 1 - 0.99984 = 1.5691e-4) a float32 solve to its own 1e-6
 * gave 1.508e-4, a float64 one to its default 1e-8 still 1.5695e-4. At 1e-10 the ratio holds four
 * digits; below float32's reach the GPU refines (src/run/refine.ts). With the tree, each device's
 * default instead.
 */
export const kResponseRtol = 1e-10;

/**
 * The backend of one configuration, opened at the sweep's first eps and moved along it by
 * setEpsilon; each solve starts from sweepWarmStart of the earlier converged ones (a solve that
 * stopped early, M indefinite, adds nothing). The stopping rule is the usual
 * ||b - M x|| <= rtol ||b||, measured from that start; below float32's reach (refines), the
 * residual is float64's, formed from the positions, and the float32 backend solves the corrections.
 */
class SweepBackend {
  #backend: MassMatrixBackend | null = null;
  #spectrum: InteractionExtremes | null = null;
  readonly #solutions: SweepSolution[] = [];
  readonly #open: BackendFactory;
  readonly #options: SolveOptions & { rtol: number };
  readonly #float64: Float64Products;

  /** `float64`: makes a refined solve's float64 product (on the caller's thread without). */
  constructor(
    open: BackendFactory,
    options: SolveOptions & { rtol: number },
    float64: Float64Products = float64Products(),
  ) {
    this.#open = open;
    this.#options = options;
    this.#float64 = float64;
  }

  async solve(
    system: DarwinSystem,
    rightHandSide: Float64Array,
    onIteration?: SolveOptions['onIteration'],
  ): Promise<SolveResult & { readonly residualProduct: ResidualProduct }> {
    if (this.#backend) this.#backend.setEpsilon(system.epsilon);
    else this.#backend = await this.#open(system);
    const x0 = sweepWarmStart(massDiagonal(system), rightHandSide, system.epsilon, this.#solutions);
    const rtol = this.#rtol(this.#backend);
    const { solve } = await solveVelocities(this.#backend, () => this.#float64(system), rightHandSide, 'cg', {
      ...this.#options,
      x0,
      onIteration,
      rtol,
    });
    if (solve.converged) {
      const { x, trueRelativeResidual: relativeResidual } = solve;
      this.#solutions.push({ epsilon: system.epsilon, x, relativeResidual });
    }
    return { ...solve, residualProduct: residualProduct(this.#backend, refines(this.#backend, rtol)) };
  }

  /**
   * The sweep's tolerance on `backend`. The tree's product is within its tolerance (1e-5) of M's: a
   * tighter solve than the device's default would not make the velocities M's, and would need a
   * float64 tree beside the GPU's.
   */
  #rtol(backend: MassMatrixBackend): number {
    return backend.tree ? defaultRtol(backend.name === 'gpu' ? 'float32' : 'float64') : this.#options.rtol;
  }

  /**
   * The open backend's Lanczos run (kIndefiniteLanczos), once for the configuration: it runs on
   * I + S whatever eps M is at, and its extremes there are what spectrumAt maps to any eps, their
   * bounds widened by the tree's error where M is the tree (unitExtremes, as spectrum's).
   */
  async interactionSpectrum(): Promise<InteractionExtremes> {
    if (this.#spectrum) return this.#spectrum;
    if (!this.#backend) throw new Error('SweepBackend.interactionSpectrum before its first solve');
    const spectrum = await this.#backend.spectrum(kIndefiniteLanczos);
    const { system, tree } = this.#backend;
    this.#spectrum = {
      ...unitExtremes(spectrum, system.epsilon, tree),
      converged: spectrum.lanczos.converged,
    };
    return this.#spectrum;
  }

  /** The open backend's tree, where its M is the tree. */
  get tree(): TreeDetails | null {
    return this.#backend?.tree ?? null;
  }

  /** Whether the open backend's solves refine at the sweep's tolerance (src/run/refine.ts refines). */
  get refines(): boolean {
    if (!this.#backend) throw new Error('SweepBackend.refines before its first solve');
    return refines(this.#backend, this.#rtol(this.#backend));
  }

  /** What a check of its solves is held to: solve's targets for the open backend at the sweep's tolerance. */
  get checkTargets(): ReturnType<typeof solveTargetsFor> {
    if (!this.#backend) throw new Error('SweepBackend.checkTargets before its first solve');
    const rtol = this.#rtol(this.#backend);
    return solveTargetsFor(this.#backend, this.#backend.system.configuration.n, this.refines, rtol);
  }

  /** M x with the open backend's product, at its last solve's eps. */
  momenta(x: Float64Array): Promise<Float64Array> {
    if (!this.#backend) throw new Error('SweepBackend.momenta before its first solve');
    return this.#backend.momenta(x);
  }

  dispose(): void {
    this.#backend?.dispose();
    this.#backend = null;
    this.#spectrum = null;
  }
}

async function responsePoint(
  spec: ResponseSpec,
  backend: SweepBackend,
  reference: SweepBackend | SampledReference | null,
  fieldSum: ReducedFieldSum | null,
  configuration: Configuration,
  epsilon: number,
  withMap: boolean,
  /** Whether M may be indefinite at this N's eps (mayBeIndefinite): the Lanczos run decides it. */
  probeIndefinite: boolean,
  hooks: Pick<StudyHooks, 'stopped' | 'progress'> & {
    /** Each CG iteration's ||r|| / ||b||, what the solve's tolerance is held to. */
    onIteration?: (iteration: number, relativeResidual: number) => boolean | void;
  },
): Promise<ResponsePoint> {
  const { n, positions } = configuration;
  const system: DarwinSystem = { configuration, model: spec.model, dim: spec.dim, epsilon, softening: 0 };
  const rightHandSide = driveRightHandSide(system, spec.drive);
  const solve = await backend.solve(
    system,
    rightHandSide,
    hooks.onIteration && relativeIterations(rightHandSide, hooks.onIteration),
  );
  // Stop ended the solve: the map and the check of a point the sweep drops are not worth their time.
  if (hooks.stopped?.()) throw new PointStopped();
  const mIndefinite = pointIndefinite(
    solve.reason,
    probeIndefinite && solve.reason !== 'diverged_indefinite' ? await backend.interactionSpectrum() : null,
    n,
    epsilon,
  );
  const velocities = velocityTriples(system, solve.x);
  const profile = currentProfile(positions, velocities);
  const turning = spec.drive !== 'flux';
  const centre = [0, 0, 0] as const;
  const fieldZ = turning ? reducedInducedField(centre, positions, velocities)[2] : NaN;
  // The fully lagging electrons of eq. 30 leave the lattice charge turning rigidly: velocities z x r.
  const rigidFieldZ =
    spec.drive === 'rotation'
      ? reducedInducedField(centre, positions, rigidRotationVelocities(positions, [0, 0, 1]))[2]
      : NaN;
  const continuumCentre = continuumCentreField(spec.geometry, spec.drive, n * epsilon);
  // The penetration depth where London's sphere is the continuum to compare it with.
  const london = londonPenetrationDepth(spec.geometry, spec.drive, n * epsilon);
  const londonFit = london === null ? null : fitLondonProfile(positions, velocities);
  // With R in metres the field drive's moment in SI, linear in B: per tesla.
  const radiusMetres = spec.scale.kind === 'radiusMetres' ? spec.scale.value : null;
  const moment =
    radiusMetres !== null && spec.drive === 'field'
      ? momentPerTesla(reducedMoment(positions, velocities), radiusMetres)
      : null;
  const apparent = moment === null ? null : apparentSusceptibility(spec.geometry, moment, radiusMetres!);
  let fieldMap: Float64Array | null = null;
  let fieldMapCheck: number | null = null;
  if (withMap && spec.grid !== null) {
    const reduced = await reducedFieldMap(positions, velocities, spec.grid, fieldSum);
    fieldMap = reduced.map.map((b) =>
      spec.drive === 'field' ? 1 + inducedFieldRatio(b, epsilon) : londonFieldRatio(b, epsilon),
    );
    fieldMapCheck = reduced.check;
  }
  // The velocities against the dense float64 solve's, or past it their residual on sampled rows;
  // neither where either solve did not converge, as solve leaves its velocities unchecked: the
  // distance to an unfinished iterate measures neither run (the point's reason, or the reference's,
  // says why). A converged reference has its true residual within kResidualGapFactor of its
  // tolerance (src/solvers/krylov.ts finishKrylov). A refined solve is held to its float64 residual
  // with the reference's M instead (denseResidual), which needs no converged reference.
  const reference64 =
    solve.converged && reference instanceof SweepBackend
      ? await reference.solve(system, rightHandSide)
      : null;
  const referenceUnconverged = reference64 && !reference64.converged ? reference64.reason : null;
  const check = reference64?.converged ? relativeError(solve.x, reference64.x) : null;
  const denseResidual =
    reference64 && reference instanceof SweepBackend && backend.refines
      ? trueResidual(rightHandSide, await reference.momenta(solve.x)).relative
      : null;
  const sampled =
    solve.converged && reference !== null && !(reference instanceof SweepBackend)
      ? await sampledResidual(system, rightHandSide, solve.x, reference, hooks)
      : null;
  const targets = backend.checkTargets;
  const residual = denseResidual ?? sampled;
  const checkTarget = residual !== null ? targets.residual : check !== null ? targets.velocities : null;
  return {
    n,
    nEpsilon: n * epsilon,
    epsilon,
    screeningRatio: screeningRatio(system, rightHandSide, solve.x),
    continuumRatio: continuumRatio(spec.geometry, spec.drive, n, epsilon),
    londonX: londonX(spec.geometry, n, epsilon),
    momentPerTesla: moment,
    apparentSusceptibility: apparent,
    intrinsicSusceptibility: apparent === null ? null : intrinsicSusceptibility(spec.geometry, apparent),
    fieldCentreRatio: turning ? 1 + inducedFieldRatio(fieldZ, epsilon) : null,
    continuumFieldCentreRatio: continuumCentre,
    londonFieldRatio: spec.drive === 'rotation' ? londonFieldRatio(fieldZ, epsilon) : null,
    continuumLondonFieldRatio:
      spec.drive === 'rotation' && continuumCentre !== null ? 1 - continuumCentre : null,
    nEffEpsilon:
      spec.drive === 'rotation' ? effectiveLaggingParameter(n, epsilon, fieldZ, rigidFieldZ) : null,
    iterations: solve.iterations,
    converged: solve.converged,
    reason: solve.reason,
    trueRelativeResidual: solve.trueRelativeResidual,
    trueResidualProduct: solve.residualProduct,
    mIndefinite,
    check,
    denseResidual,
    sampledResidual: sampled,
    checkTarget,
    referenceUnconverged,
    tree: backend.tree,
    profile,
    decayLength: decayLength(profile),
    continuumDecayLength: continuumDecayLength(spec, n * epsilon),
    penetrationDepth: londonFit?.penetrationDepth ?? null,
    penetrationAmplitude: londonFit?.surfaceVelocity ?? null,
    londonPenetrationDepth: london,
    configuration,
    velocities,
    fieldMap,
    fieldMapCheck,
  };
}

/**
 * ||b - M s|| / ||b|| over the float64 rows of M at the sampled electrons, from the N's sampled
 * reference (its sample formed once per configuration, which checkSample and pacedCheckSample keep
 * for every eps of the N; its rows at the point's eps): seconds at 10^6 electrons, on the tree,
 * summed where `reference` sums them (the sweep's thread or a worker: ResponseReference).
 */
async function sampledResidual(
  system: DarwinSystem,
  rightHandSide: Float64Array,
  s: Float64Array,
  reference: SampledReference,
  hooks: Pick<StudyHooks, 'progress'>,
): Promise<number> {
  hooks.progress?.('float64 check: sampled residual', null);
  const sample = await reference.sample();
  const rows = await reference.rows(s, sample.electrons, system.epsilon);
  return sampledErrors(system, sample, rightHandSide, null, rows).residual!;
}

/** What a limit's ± is where windowRefits is 0 (fitLaw refits c + b N^-p without its smallest N from five N on). */
export const kCovarianceAloneNote =
  "the ± is the fit's covariance alone: too few N to refit without the smallest (five N or more add the fit window's spread)";

/**
 * The ratio at fixed N r_e/R against N fitted by c + b N^-p, p = finiteSizeExponent (the inverse power
 * law of the scaling study), with fitLaw's uncertainty (the covariance and the fit-window spread) and
 * its free-exponent check with the c it gives (four N or more: over the ball's N of a few thousand
 * p comes out 0.6-0.8, not 2/3, and c moves by ~1e-3, more than the ± of three N); null with fewer
 * than three converged N, and on the ring.
 */
export function responseLimit(
  spec: Pick<ResponseSpec, 'geometry' | 'drive'>,
  nEpsilon: number,
  ns: readonly number[],
  ratios: readonly number[],
): ResponseLimit | null {
  const exponent = finiteSizeExponent(spec.geometry);
  if (exponent === null || ns.length < 3) return null;
  const fit = fitLaw(inversePowerLaw(exponent), ns, ratios);
  if (!fit) return null;
  return {
    nEpsilon,
    extrapolatedRatio: fit.coefficient,
    uncertainty: fit.uncertainty,
    windowRefits: fit.windowRefits,
    exponent,
    freeExponent: fit.freeExponent,
    freeExponentCoefficient: fit.freeExponentCoefficient,
    uncertaintySystematic: fit.uncertaintySystematic,
    law: `screening_ratio = c + b N^-${exponent === 0.5 ? '1/2' : '2/3'}`,
    continuumRatio: continuumLimit(spec.geometry, spec.drive, nEpsilon),
  };
}

/** A point of the sweep as the spec decides it, before it runs. */
export interface ResponsePlanPoint {
  readonly n: number;
  readonly epsilon: number;
  /** Whether B_z is mapped on the --grid: at the largest N, for a drive that turns the electrons. */
  readonly fieldMap: boolean;
}

/**
 * The sweep's points in the order runResponse solves them: the spec's N, at each its eps ascending
 * (the spec sorts N r_e/R). A map is B_z over B_ext (field) or over B_London (rotation): the flux
 * drive has neither, and no map.
 */
export function responsePlan(spec: ResponseSpec): ResponsePlanPoint[] {
  const largest = spec.ns[spec.ns.length - 1];
  const mapped = (n: number) => spec.grid !== null && n === largest && spec.drive !== 'flux';
  return spec.ns.flatMap((n) => epsilonsOf(spec, n).map((epsilon) => ({ n, epsilon, fieldMap: mapped(n) })));
}

/**
 * The sweep's largest system (its last N, at eps = 0), which decides its storage of M on the CPU and
 * its float64 check (the dense reference's or the sampled one) for every N, as solve's policy does
 * for one system.
 */
export function largestResponseSystem(
  spec: Pick<ResponseSpec, 'geometry' | 'ns' | 'model' | 'dim'>,
): DarwinSystem {
  return {
    configuration: geometry(spec.geometry, spec.ns[spec.ns.length - 1]),
    model: spec.model,
    dim: spec.dim,
    epsilon: 0,
    softening: 0,
  };
}

/**
 * How a sweep's solves are checked in float64: against each N's dense reference that a
 * BackendFactory opens (the float64 CPU reference), or past its sizes by their residual on float64
 * rows of M at sampled electrons (sampledResidual), summed on the sweep's thread between its pauses
 * ('sampled': pacedSampledReference, the CLI's) or by each N's SampledReference that `sampled` gives
 * (the page's reference worker, FloatReference.sampled, so that its thread never sums them); null:
 * not checked.
 */
export type ResponseReference =
  BackendFactory | 'sampled' | { readonly sampled: (system: DarwinSystem) => SampledReference } | null;

/**
 * The sweep: every N of the spec, every eps at it, one solve each; one backend per N from
 * `openBackend` (opened at the smallest eps, moved up by setEpsilon, each solve warm-started), and
 * per N the float64 check of its solves that `openReference` says (ResponseReference). With
 * `fieldSum` (a device's Biot-Savart sum) the field maps are summed by it and checked against float64
 * (fieldMapCheck); without, they are summed in float64. `float64` makes a refined solve's float64
 * product (the CLI's on its threads, the page's in its worker; else on the caller's thread). Points
 * come in the spec's order of N, and at each N in ascending eps; Stop follows study.ts's sweep
 * (checked before and after each solve, a cut point dropped).
 */
export async function runResponse(
  spec: ResponseSpec,
  openBackend: BackendFactory,
  hooks: StudyHooks = {},
  openReference: ResponseReference = null,
  fieldSum: ReducedFieldSum | null = null,
  float64: Float64Products = float64Products(),
): Promise<ResponseResult> {
  const started = performance.now();
  const plan = responsePlan(spec);
  let held: {
    readonly n: number;
    readonly configuration: Configuration;
    readonly backend: SweepBackend;
    readonly reference: SweepBackend | SampledReference | null;
    /** mayBeIndefinite at the N's largest eps: whether any of its eps brings a pair within reach. */
    readonly probeIndefinite: boolean;
  } | null = null;
  const release = () => {
    held?.backend.dispose();
    if (held?.reference instanceof SweepBackend) held.reference.dispose();
    held = null;
  };
  // The point under way: its line, which its float64 check's chunks extend as its iterations do.
  let point = { at: '', fraction: 0 };
  const pointProgress = (text: string) => hooks.progress?.(`${point.at}, ${text}`, point.fraction);
  // The sampled check summed on this thread ('sampled'): a Stop heard between two of its chunks cuts
  // the point short.
  const paced: PacingHooks = {
    pause: async () => {
      await hooks.pause?.();
      if (hooks.stopped?.()) throw new PointStopped();
    },
    progress: pointProgress,
  };
  let swept: { readonly results: ResponsePoint[]; readonly stopped: boolean };
  try {
    swept = await sweep(plan, hooks, async ({ n, epsilon, fieldMap }, index) => {
      if (held?.n !== n) {
        release();
        const configuration = geometry(spec.geometry, n);
        // The sampled check's system: its rows are asked at each point's eps.
        const system: DarwinSystem = {
          configuration,
          model: spec.model,
          dim: spec.dim,
          epsilon: 0,
          softening: 0,
        };
        held = {
          n,
          configuration,
          probeIndefinite: mayBeIndefinite(configuration, Math.max(...epsilonsOf(spec, n))),
          backend: new SweepBackend(openBackend, { rtol: kResponseRtol }, float64),
          reference:
            typeof openReference === 'function'
              ? new SweepBackend(openReference, { rtol: kReferenceRtol })
              : openReference === 'sampled'
                ? pacedSampledReference(system, paced)
                : (openReference?.sampled(system) ?? null),
        };
      }
      const at = `response: N = ${n}, N r_e/R = ${(n * epsilon).toPrecision(4)}`;
      const fraction = index / plan.length;
      point = { at, fraction };
      hooks.progress?.(at, fraction);
      // A solve at 10^5 electrons takes minutes: its iterations on the point's line, and Stop between two.
      const onIteration = (k: number, relativeResidual: number) => {
        hooks.progress?.(
          `${at}, CG iteration ${k}: relative residual ${relativeResidual.toExponential(3)}`,
          fraction,
        );
        return !hooks.stopped?.();
      };
      const { backend, reference, configuration, probeIndefinite } = held;
      return responsePoint(
        spec,
        backend,
        reference,
        fieldSum,
        configuration,
        epsilon,
        fieldMap,
        probeIndefinite,
        { stopped: hooks.stopped, progress: pointProgress, onIteration },
      );
    });
  } finally {
    release();
  }
  const points = swept.results;
  hooks.progress?.(
    swept.stopped ? `response: stopped after ${points.length} of ${plan.length} points` : 'response: done',
    points.length / plan.length,
  );
  const limits: ResponseLimit[] = [];
  if (spec.scale.kind === 'nEpsilon') {
    for (const x of spec.scale.values) {
      // A solve that stopped early (M indefinite once eps |lambda_min| > 1) has no ratio to fit.
      const at = points.filter((p) => p.converged && sameNEpsilon(p.nEpsilon, x));
      const limit = responseLimit(
        spec,
        x,
        at.map((p) => p.n),
        at.map((p) => p.screeningRatio),
      );
      if (limit) limits.push(limit);
    }
  }
  return { spec, points, limits, complete: !swept.stopped, milliseconds: performance.now() - started };
}
