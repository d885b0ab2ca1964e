// The response study (issue 11) on any backend: for each N the configuration, for each eps one CG solve
// of M s = b (src/physics/response.ts: the drives, their units and the observables), then the sweeps'
// N -> infinity limits at fixed N r_e/R. Backends come from the caller (GPU or float64 CPU), one per
// system, and are disposed of here; nothing in this file touches the GPU.
import { rigidRotationVelocities } from '../../physics/biot-savart.ts';
import { geometry, type Configuration } from '../../physics/geometry.ts';
import type { DarwinSystem } from '../../physics/models.ts';
import { relativeError } from '../../physics/observables.ts';
import {
  continuumLimit,
  continuumRatio,
  currentProfile,
  finiteSizeExponent,
  driveRightHandSide,
  effectiveLaggingParameter,
  inducedFieldRatio,
  londonFieldRatio,
  londonX,
  reducedInducedField,
  reducedMoment,
  screeningRatio,
  velocityTriples,
  type CurrentProfile,
} from '../../physics/response.ts';
import { inversePowerLaw } from '../../physics/scaling.ts';
import type { MassMatrixBackend } from '../../run/backend.ts';
import { linearLeastSquares } from '../../solvers/least-squares.ts';
import { fitLaw } from '../fits.ts';
import type { ConvergenceReason } from '../../solvers/types.ts';
import { epsilonsOf, type ResponseSpec } from './spec.ts';

export type OpenResponseBackend = (system: DarwinSystem) => Promise<MassMatrixBackend>;

export interface ResponseHooks {
  progress?(fraction: number, message: string): void;
  /** Polled between solves: true ends the sweep with the points so far. */
  shouldStop?(): boolean;
}

/** The x-z field map spans [-kMapHalfWidth, kMapHalfWidth] R on both axes: the body and its outside. */
export const kMapHalfWidth = 1.25;

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
  /** Rotation: the centre field over the London field 2 m Omega / |e|, and N_eff r_e/R (eq. 30). */
  readonly londonFieldRatio: number | null;
  readonly nEffEpsilon: number | null;
  /** sum (r x v)_z in units of R u: mu_z = (e/2) u R times it. */
  readonly moment: number;
  readonly iterations: number;
  readonly converged: boolean;
  readonly reason: ConvergenceReason;
  /** The iterate's true relative residual ||b - M s|| / ||b|| (with the backend's own M). */
  readonly trueRelativeResidual: number;
  /** ||s - s64|| / ||s64|| against the float64 reference's solve to rtol 1e-12, where one is given. */
  readonly check: number | null;
  readonly profile: CurrentProfile;
  /** The fitted e-folding depth of the profile, units of R; null where it does not decay inward. */
  readonly decayLength: number | null;
  readonly configuration: Configuration;
  /** Velocity triples in the drive's unit u. */
  readonly velocities: Float64Array;
  /** B_z / B_ext (field) or B_z / B_London (rotation) on the map's G x G grid, row 0 at the top; or null. */
  readonly fieldMap: Float64Array | null;
}

export interface ResponseLimit {
  readonly nEpsilon: number;
  /** The ratio's N -> infinity value c of the fit c + b N^-p, and its uncertainty (fitLaw's). */
  readonly extrapolatedRatio: number;
  readonly uncertainty: number;
  /** p of the law, and the p that fits best when free too (four N or more), a check of it. */
  readonly exponent: number;
  readonly freeExponent: number | null;
  readonly law: string;
  readonly continuumRatio: number | null;
}

export interface ResponseResult {
  readonly spec: ResponseSpec;
  readonly points: ResponsePoint[];
  readonly limits: ResponseLimit[];
  /** False when shouldStop ended the sweep early. */
  readonly complete: boolean;
  readonly milliseconds: number;
}

/** ln(current) = c - depth / l over the bins where the current is positive; l, or null. */
export function decayLength(profile: CurrentProfile): number | null {
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

/** The map's reduced field b_z at every grid point (row-major, row 0 at z = +kMapHalfWidth). */
function reducedFieldMap(positions: Float64Array, velocities: Float64Array, size: number): Float64Array {
  const map = new Float64Array(size * size);
  const coordinate = (k: number) => -kMapHalfWidth + (2 * kMapHalfWidth * k) / (size - 1);
  for (let row = 0; row < size; row++) {
    for (let column = 0; column < size; column++) {
      const point = [coordinate(column), 0, -coordinate(row)] as const;
      map[row * size + column] = reducedInducedField(point, positions, velocities)[2];
    }
  }
  return map;
}

/** ||x - x64|| / ||x64|| of a solve against the float64 reference's of the same right-hand side. */
async function referenceError(
  openReference: OpenResponseBackend,
  system: DarwinSystem,
  rightHandSide: Float64Array,
  x: Float64Array,
): Promise<number> {
  const reference = await openReference(system);
  try {
    return relativeError(x, (await reference.velocities(rightHandSide, 'cg', { rtol: 1e-12 })).x);
  } finally {
    reference.dispose();
  }
}

async function responsePoint(
  spec: ResponseSpec,
  openBackend: OpenResponseBackend,
  openReference: OpenResponseBackend | null,
  configuration: Configuration,
  epsilon: number,
  withMap: boolean,
): Promise<ResponsePoint> {
  const { n, positions } = configuration;
  const system: DarwinSystem = { configuration, model: spec.model, dim: spec.dim, epsilon, softening: 0 };
  const rightHandSide = driveRightHandSide(system, spec.drive);
  const backend = await openBackend(system);
  let solve;
  try {
    solve = await backend.velocities(rightHandSide, 'cg');
  } finally {
    backend.dispose();
  }
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
  let fieldMap: Float64Array | null = null;
  if (withMap && turning && spec.grid !== null) {
    const reduced = reducedFieldMap(positions, velocities, spec.grid);
    fieldMap = reduced.map((b) =>
      spec.drive === 'field' ? 1 + inducedFieldRatio(b, epsilon) : londonFieldRatio(b, epsilon),
    );
  }
  return {
    n,
    nEpsilon: n * epsilon,
    epsilon,
    screeningRatio: screeningRatio(system, rightHandSide, solve.x),
    continuumRatio: continuumRatio(spec.geometry, spec.drive, n, epsilon),
    londonX: londonX(spec.geometry, n, epsilon),
    fieldCentreRatio: turning ? 1 + inducedFieldRatio(fieldZ, epsilon) : null,
    londonFieldRatio: spec.drive === 'rotation' ? londonFieldRatio(fieldZ, epsilon) : null,
    nEffEpsilon:
      spec.drive === 'rotation' ? effectiveLaggingParameter(n, epsilon, fieldZ, rigidFieldZ) : null,
    moment: reducedMoment(positions, velocities),
    iterations: solve.iterations,
    converged: solve.converged,
    reason: solve.reason,
    trueRelativeResidual: solve.trueRelativeResidual,
    check: openReference ? await referenceError(openReference, system, rightHandSide, solve.x) : null,
    profile,
    decayLength: decayLength(profile),
    configuration,
    velocities,
    fieldMap,
  };
}

/**
 * The ratio at fixed N r_e/R against N fitted by c + b N^-p, p = finiteSizeExponent (the inverse power
 * law of the scaling study), with fitLaw's uncertainty (the covariance and the fit-window spread) and
 * its free-exponent check; null with fewer than three converged N, and on the ring.
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
    exponent,
    freeExponent: fit.freeExponent,
    law: `screening_ratio = c + b N^-${exponent === 0.5 ? '1/2' : '2/3'}`,
    continuumRatio: continuumLimit(spec.geometry, spec.drive, nEpsilon),
  };
}

/**
 * The sweep: every N of the spec, every eps at it, one solve each on a backend from `openBackend`;
 * with `openReference` (the float64 CPU reference) each solve is also checked against it.
 */
export async function runResponse(
  spec: ResponseSpec,
  openBackend: OpenResponseBackend,
  hooks: ResponseHooks = {},
  openReference: OpenResponseBackend | null = null,
): Promise<ResponseResult> {
  const started = performance.now();
  const points: ResponsePoint[] = [];
  const total = spec.ns.reduce((sum, n) => sum + epsilonsOf(spec, n).length, 0);
  const largest = spec.ns[spec.ns.length - 1];
  let complete = true;
  sweep: for (const n of spec.ns) {
    const configuration = geometry(spec.geometry, n);
    for (const epsilon of epsilonsOf(spec, n)) {
      if (hooks.shouldStop?.()) {
        complete = false;
        break sweep;
      }
      hooks.progress?.(
        points.length / total,
        `response: N = ${n}, N r_e/R = ${(n * epsilon).toPrecision(4)}`,
      );
      points.push(
        await responsePoint(spec, openBackend, openReference, configuration, epsilon, n === largest),
      );
    }
  }
  hooks.progress?.(points.length / total, 'response: done');
  const limits: ResponseLimit[] = [];
  if (spec.scale.kind === 'nEpsilon') {
    for (const x of spec.scale.values) {
      // A solve that stopped early (M indefinite once eps |lambda_min| > 1) has no ratio to fit.
      const at = points.filter((p) => p.converged && Math.abs(p.nEpsilon - x) <= 1e-12 * x);
      const limit = responseLimit(
        spec,
        x,
        at.map((p) => p.n),
        at.map((p) => p.screeningRatio),
      );
      if (limit) limits.push(limit);
    }
  }
  return { spec, points, limits, complete, milliseconds: performance.now() - started };
}
