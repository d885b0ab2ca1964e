// The float64 check of a run, one policy for the CLI and the app: when it runs, how tight the
// reference is, and how the errors are defined. The reference is the dense float64 CPU backend
// (src/run/backend.ts cpuBackend); for solve and spectrum it runs in a worker (reference.ts), beside
// the run in the app and after it in the CLI, so that a stop ends it wherever it is, while the
// CLI's response study checks a few points in its own thread (at most kCheckMaxUnknowns, a second or
// so) and the page's in that worker. Past kCheckMaxUnknowns a solve or a spectrum is checked on
// float64 rows of M at sampled electrons instead (SampledReference), in the same worker, and the
// response study sums such rows for each point's residual in the CLI's thread
// (pacedSampledReference) and in the page's worker. It checks the GPU's float32 and the fast
// multipole tree's approximate product alike.
import { seededRandom } from '../math/vectors.ts';
import {
  blockSize,
  kernelModel,
  massDiagonal,
  massFreeRows,
  momentaFrom,
  unknowns,
  type DarwinSystem,
  type ProductPart,
} from '../physics/models.ts';
import type { Configuration } from '../physics/geometry.ts';
import {
  closestElectrons,
  kNeighbourPairsPerLeaf,
  nearestNeighbourDistances,
  neighbourSearch,
} from '../physics/neighbours.ts';
import type { MassMatrixBackend } from './backend.ts';
import { inPacedChunks, type PacingHooks } from './chunks.ts';
import type { DeviceChoice, MatrixChoice } from './inputs.ts';

/**
 * The check runs by default up to this many unknowns: the float64 M takes 8 size^2 bytes (72 MB at
 * 3000) and its solve about a second, beside a GPU run of a fraction of that.
 */
export const kCheckMaxUnknowns = 3000;

/** float32Rounding's multiple of sqrt(terms) 2^-24: ten times the measured 0.24 to 0.35. */
const kFloat32TargetRoundings = 3;

/**
 * Float32's rounding of a row sum of `terms` terms as float32's targets hold it (float32CheckTargets):
 * 3 sqrt(terms) 2^-24, about ten times what the GPU's sums err by. Their rounding adds up as a random
 * walk: the interaction part eps T v (interactionError), summed over N pairs a row apart from D v
 * (src/engine/backend.ts gpuInteraction), erred by 0.24 to 0.35 sqrt(N) 2^-24 of itself on a sphere,
 * rigid and random v, dense and matrix-free: 4.5e-7 at N = 1000, 1.1e-6 to 1.3e-6 at 4000, 6.6e-6 at
 * 10^5 and 9.1e-6 at 2 10^5 (random v, matrix-free). The coordinates' rounding is not in it: a pair's
 * 1/r is off by ~2^-24 max|x| / r, which passes the sums' rounding where a pair is close, or on a ring
 * (nearest pairs 2 pi / N apart: ~N 2^-24 / (2 pi), 2.4e-5 at N = 10^4, random v). Such a product is past
 * its target though correct, and the warning's remedy (the float64 product) is what it needs; a target
 * loosened by the closest pair would keep quiet about a result that far off.
 */
function float32Rounding(terms: number): number {
  return kFloat32TargetRoundings * Math.sqrt(terms) * 2 ** -24;
}

/**
 * The least of float32's targets (float32CheckTargets): those where a row sums few terms, float32Rounding
 * below them (the momenta and the velocities up to 31 terms, the interaction part and the eigenvalues
 * up to 3127).
 */
const kFloat32TargetFloors = {
  momenta: 1e-6,
  velocities: 1e-5,
  eigenvalues: 1e-5,
  interaction: 1e-5,
} as const;

/**
 * What float32 should reach, normwise relative error against float64, where its products' rows sum
 * `terms` terms (backendCheckTargets: the electrons N, or the GPU tree's near field): about ten times
 * float32's expected rounding of those sums (float32Rounding), never below kFloat32TargetFloors.
 * The interaction part and the extreme eigenvalues (Weyl: moved by the products' error, relative to
 * the largest |lambda|) to the rounding; the momenta too, whose error is the interaction part's times
 * ||eps T v|| / ||p||, close to 1 in the Meissner regime N r_e/R = 30 (a sphere of 5000 at eps 6e-3,
 * rigid v, matrix-free: 1.07e-6, and 10^5 random points on the sphere at eps 3e-4: 4.6e-6, past the
 * floor's 1e-6); the velocities to ten times it, as ||v - v_64|| <= cond(M) times the residual float32
 * attains (a sphere of 1000 at N r_e/R = 30, rigid v, dense: 5.9e-6 beside momenta 4.0e-7).
 */
export function float32CheckTargets(terms: number): {
  momenta: number;
  velocities: number;
  eigenvalues: number;
  interaction: number;
} {
  const rounding = float32Rounding(terms);
  const floors = kFloat32TargetFloors;
  return {
    momenta: Math.max(floors.momenta, rounding),
    velocities: Math.max(floors.velocities, 10 * rounding),
    eigenvalues: Math.max(floors.eigenvalues, rounding),
    interaction: Math.max(floors.interaction, rounding),
  };
}

/**
 * A solve's targets: float32's where its rows sum `terms` terms (float32CheckTargets), or for a
 * refined GPU solve (src/run/refine.ts) float64's products (momenta and their interaction part to
 * rounding, 1e-12) and velocities within 10 tol, the error ||v - v_64|| <= cond(M) tol allows while
 * cond(M) <= 10 and a refined solve, which overshoots its tolerance, meets up to cond(M) ~ 10^3
 * (velocities within 1e-9 at tol 1e-10); runSolve's dense check, and the response study's, hold a
 * refined solve's float64 residual to 10 tol in their place (src/run/solve.ts SolveCheck.residual).
 */
export function solveCheckTargets(
  refined: boolean,
  rtol: number,
  terms: number,
): { momenta: number; velocities: number; interaction: number } {
  if (!refined) {
    const { momenta, velocities, interaction } = float32CheckTargets(terms);
    return { momenta, velocities, interaction };
  }
  return { momenta: 1e-12, velocities: 10 * rtol, interaction: 1e-12 };
}

/**
 * The targets of a run with the tree's product (tolerance t, src/physics/tree-build.ts): the
 * momenta within t (||eps (T x - tree T x)|| <= t eps ||T x|| for x spread over the electrons, and
 * eps ||T x|| <= ||M x|| where eps lambda >= -1/2 for T's eigenvalues lambda: not for every x, as
 * tree-build.ts kTreeErrorConstant says, nor for x an eigenvector of T with -1 < eps lambda < -1/2,
 * where (D = I, the vector model) ||M x|| = (1 + eps lambda) ||x|| < eps ||T x|| though M is definite), the
 * velocities within 10 max(t, rtol) as for a refined solve (cond(M) <= 10), the interaction part's error
 * (interactionError) within t: for x near T's null space it exceeds t, and the Darwin energy,
 * eps x.T x / 2, is then off by as much or more (darwinError; README, "The tree").
 */
export function treeCheckTargets(
  tolerance: number,
  rtol: number,
): { momenta: number; velocities: number; interaction: number } {
  return { momenta: tolerance, velocities: 10 * Math.max(tolerance, rtol), interaction: tolerance };
}

/**
 * A run's targets by its backend, of `electrons` electrons: `float32`'s of the terms its float32 rows
 * sum without a tree, every electron's (dense and matrix-free); the tree's, `tree(t)`, on the CPU
 * (float64: the tree's error alone); the larger of the two for each quantity where the GPU's M is the
 * tree (float32 and the tree's error together), float32's there of the near field's rows, directPairs
 * / N terms on average (TreeDetails), which the far field's expansions replace the other pairs of: N
 * terms would hide the tree's tolerance (3 sqrt(10^6) 2^-24 = 1.8e-4 against --tree-tol's 1e-5).
 */
export function backendCheckTargets<K extends string>(
  backend: Pick<MassMatrixBackend, 'name' | 'tree'>,
  electrons: number,
  float32: (terms: number) => Readonly<Record<K, number>>,
  tree: (tolerance: number) => Readonly<Record<K, number>>,
): Record<K, number> {
  if (!backend.tree) return { ...float32(electrons) };
  const own = tree(backend.tree.tolerance);
  if (backend.name === 'cpu') return { ...own };
  const rounded = float32(backend.tree.directPairs / electrons);
  const keys = Object.keys(own) as K[];
  return Object.fromEntries(keys.map((key) => [key, Math.max(own[key], rounded[key])])) as Record<K, number>;
}

/**
 * What a solve's float64 check is held to, by its backend (backendCheckTargets) and `electrons`,
 * whether it refined (solveCheckTargets) and its rtol: the momenta's and the velocities' errors of the
 * dense check, the sampled check's residual to 10 max(rtol, the momenta's target), the solve's own
 * residual and the product's error, and the interaction part's error (interactionError): the GPU's
 * product keeps eps T v to float32's relative precision (src/engine/backend.ts gpuInteraction), and
 * past its target the Darwin energy eps v.T v / 2 is off by as much or more (darwinError, measured
 * and held to no target). runSolve's, and each point's of the
 * response study, whose solves are held alike.
 */
export function solveTargetsFor(
  backend: Pick<MassMatrixBackend, 'name' | 'tree'>,
  electrons: number,
  refined: boolean,
  rtol: number,
): {
  readonly momenta: number;
  readonly velocities: number;
  readonly residual: number;
  readonly interaction: number;
} {
  const targets = backendCheckTargets(
    backend,
    electrons,
    (terms) => solveCheckTargets(refined, rtol, terms),
    (t) => treeCheckTargets(t, rtol),
  );
  return { ...targets, residual: 10 * Math.max(rtol, targets.momenta) };
}

/** Whether a check's error is within its target: a NaN error is not. */
export function withinTarget(error: number, target: number): boolean {
  return error <= target;
}

/**
 * The reference solve's rtol and Lanczos tol: far below what float32 can resolve (~1e-7), so that the
 * difference measures the checked run alone, whatever tolerance it ran at.
 */
export const kReferenceRtol = 1e-12;
export const kReferenceLanczosTol = 1e-10;

/**
 * What the reference is asked: the three operations of a backend, answered in float64. `afterRun`:
 * its requests wait until the checked run has finished (pendingReference), so that the two do not
 * share the cores and the run's timings are its own (the CLI); without it a reference in a worker
 * runs beside the run (the app, whose check then costs no extra time).
 */
export type Reference = Pick<MassMatrixBackend, 'interaction' | 'velocities' | 'spectrum'> & {
  /** Absent or 'dense': what tells it from a SampledReference where a run takes either. */
  readonly kind?: 'dense';
  readonly afterRun?: boolean;
};

/**
 * Electrons of the sampled check, which takes over past kCheckMaxUnknowns, where the dense reference
 * would not fit (the fast multipole tree's sizes): float64 rows of M, each the direct pair sum over
 * all N electrons (eq. 48/50), at this many electrons, kClosestCheckElectrons of them those whose
 * nearest neighbour is closest and the rest drawn at random. That is 256 N pairs a checked vector,
 * O(N) where a product is O(N^2) or the tree's, and the normwise errors over the
 * sample, weighted as checkSample says, estimate those over all unknowns without bias (tested on the
 * tree's error).
 */
export const kSampledCheckElectrons = 256;

/**
 * Electrons of the sample summed exactly (weight 1): those whose nearest neighbour is closest, where
 * a product's error gathers (float32 resolves r_ij to 2^-24 |x| / r_ij, and T ~ 1/r_ij). A random
 * sphere of 12 000 with a closest pair 5e-5 apart: the GPU's product was 1.6e-4 off over all
 * unknowns, while 256 random electrons saw 2.5e-6.
 */
export const kClosestCheckElectrons = 32;

/** Where the sampled check sums its rows, and each electron's weight in a sum of squares over all N. */
export interface CheckSample {
  /** Increasing: the electrons summed exactly and the uniform sample's others. */
  readonly electrons: Uint32Array;
  /** 1 for an electron summed exactly, (n - exact) / (the uniform sample's others) for the rest. */
  readonly weights: Float64Array;
  /** The electrons summed exactly (the closest pairs'), increasing. */
  readonly exact: Uint32Array;
  /** The uniform sample as drawn, before the exact ones were taken out of it. */
  readonly uniform: Uint32Array;
}

/** `count` distinct electrons of n (all of them where n <= count), increasing, the same every run. */
export function uniformElectrons(n: number, count: number): Uint32Array {
  if (n <= count) return Uint32Array.from({ length: n }, (_, i) => i);
  const random = seededRandom(1);
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(Math.floor(random() * n));
  return Uint32Array.from(chosen).sort();
}

/**
 * The sample of `exact` electrons summed exactly and those of the uniform draw `uniform` not among
 * them, each standing for (n - exact) / (their count) electrons of the rest. The exact ones do not
 * depend on the draw, so the draw's others are a uniform sample of the rest, and the weighted sum of
 * squares estimates the sum over all electrons without bias (exactly where every electron is in it).
 */
export function weighSample(n: number, exact: Iterable<number>, uniform: Uint32Array): CheckSample {
  const exactSet = new Set(exact);
  const others = Array.from(uniform).filter((i) => !exactSet.has(i));
  const electrons = Uint32Array.from([...exactSet, ...others]).sort();
  const rest = others.length > 0 ? (n - exactSet.size) / others.length : 0;
  return {
    electrons,
    weights: Float64Array.from(electrons, (i) => (exactSet.has(i) ? 1 : rest)),
    exact: Uint32Array.from(exactSet).sort(),
    uniform,
  };
}

const samples = new WeakMap<Configuration, CheckSample>();

/**
 * The sampled check's electrons of a configuration: the kClosestCheckElectrons whose nearest neighbour
 * is closest (closestElectrons, a k-d tree: O(N log N)) summed exactly, and `count` less them drawn
 * uniformly from the rest (every electron where n <= count); the same every run, formed once per
 * configuration.
 */
export function checkSample(
  configuration: Configuration,
  count: number = kSampledCheckElectrons,
): CheckSample {
  const held = count === kSampledCheckElectrons;
  const cached = held ? samples.get(configuration) : undefined;
  if (cached) return cached;
  const { n } = configuration;
  const exact =
    n <= count
      ? Uint32Array.from({ length: n }, (_, i) => i)
      : closestElectrons(nearestNeighbourDistances(configuration), Math.min(kClosestCheckElectrons, count));
  const sample = sampleBeside(n, exact, count);
  if (held) samples.set(configuration, sample);
  return sample;
}

/**
 * The sampled float64 check's sample of `configuration` (checkSample's, formed once per configuration
 * with it), its nearest-neighbour queries in chunks of the k-d tree's leaves (inPacedChunks,
 * kNeighbourPairsPerLeaf pairs a leaf): seconds at 10^6 electrons. The tree's build before them
 * (O(N log N), under a second there) stays one step.
 */
export async function pacedCheckSample(
  configuration: Configuration,
  hooks: PacingHooks,
): Promise<CheckSample> {
  const cached = samples.get(configuration);
  if (cached) return cached;
  if (configuration.n <= kSampledCheckElectrons) return checkSample(configuration);
  const search = neighbourSearch(configuration);
  await inPacedChunks(
    search.leaves,
    kNeighbourPairsPerLeaf,
    hooks,
    (start) => `float64 check: nearest neighbours, leaf ${start + 1} of ${search.leaves}`,
    (start, end) => search.search(start, end),
  );
  const exact = closestElectrons(search.distances(), kClosestCheckElectrons);
  const sample = sampleBeside(configuration.n, exact, kSampledCheckElectrons);
  samples.set(configuration, sample);
  return sample;
}

/**
 * The float64 rows (M x)_i, or (eps T x)_i (`part`), at `electrons` (sampledMassRows), in chunks of
 * electrons (inPacedChunks, N pairs an electron): the sampled check's 256 N pairs, seconds at 10^6
 * electrons.
 */
export async function pacedSampledMassRows(
  system: DarwinSystem,
  x: Float64Array,
  electrons: Uint32Array,
  hooks: PacingHooks,
  part: ProductPart = 'momenta',
): Promise<Float64Array> {
  const b = blockSize(system);
  const rows = new Float64Array(b * electrons.length);
  await inPacedChunks(
    electrons.length,
    system.configuration.n,
    hooks,
    (start) => `float64 check: electron ${start + 1} of ${electrons.length}`,
    (start, end) => rows.set(sampledMassRows(system, x, electrons.subarray(start, end), part), b * start),
  );
  return rows;
}

/** The sample of `exact` electrons of n and `count` less them drawn uniformly from the rest. */
function sampleBeside(n: number, exact: Uint32Array, count: number): CheckSample {
  // The draw from the others alone, so that the sample holds `count` electrons.
  const isExact = new Uint8Array(n);
  for (const i of exact) isExact[i] = 1;
  const rest = new Uint32Array(n - exact.length);
  for (let i = 0, k = 0; i < n; i++) if (!isExact[i]) rest[k++] = i;
  const drawn = uniformElectrons(rest.length, Math.max(0, count - exact.length)).map((j) => rest[j]);
  return weighSample(n, exact, drawn);
}

/**
 * The sampled check's electrons in words (checkSample): the closest and those drawn at random from
 * the rest.
 */
export function sampleWords(n: number): string {
  if (n <= kSampledCheckElectrons) return `all ${n} electrons`;
  return (
    `the ${kClosestCheckElectrons} electrons whose nearest neighbour is closest and ` +
    `${kSampledCheckElectrons - kClosestCheckElectrons} drawn at random`
  );
}

/**
 * The sampled check's reference: float64 rows (M x)_i at its sample's electrons (checkSample), or at
 * the electrons a request names (a Ritz vector's, ritzSample), each electron's block of rows in turn;
 * in a worker like the dense Reference, which also forms the sample, asked after the run where
 * `afterRun`.
 */
export interface SampledReference {
  readonly kind: 'sampled';
  /** The configuration's checkSample, formed once. */
  sample(): Promise<CheckSample>;
  /** The rows of M at `epsilon` (the system's where undefined), or of eps T alone (`part`). */
  rows(x: Float64Array, at: Uint32Array, epsilon?: number, part?: ProductPart): Promise<Float64Array>;
  readonly afterRun?: boolean;
}

/**
 * The sampled check's reference summed on this thread, paced by `hooks` between its chunks
 * (pacedCheckSample, pacedSampledMassRows): a sweep's own, where no worker holds the rows (the CLI's
 * response study; the page's asks its worker, FloatReference.sampled).
 */
export function pacedSampledReference(system: DarwinSystem, hooks: PacingHooks): SampledReference {
  return {
    kind: 'sampled',
    sample: () => pacedCheckSample(system.configuration, hooks),
    rows: (x, at, epsilon = system.epsilon, part = 'momenta') =>
      pacedSampledMassRows({ ...system, epsilon }, x, at, hooks, part),
  };
}

/**
 * The float64 rows (M x)_i of the pair sum at `electrons` (massFreeRows, eq. 48/50): O(N) each; of
 * eps T x alone for `part` 'interaction' (massFreeRows with D = 0: eps times its sums exactly).
 */
export function sampledMassRows(
  system: DarwinSystem,
  x: Float64Array,
  electrons: Uint32Array,
  part: ProductPart = 'momenta',
): Float64Array {
  const b = blockSize(system);
  const { n, positions } = system.configuration;
  const diagonal = part === 'interaction' ? new Float64Array(x.length) : massDiagonal(system);
  const azimuthal = kernelModel(system);
  const y = new Float64Array(x.length);
  for (const i of electrons) {
    massFreeRows(
      positions,
      x,
      y,
      diagonal,
      n,
      azimuthal,
      system.dim,
      system.epsilon,
      system.softening,
      i,
      i + 1,
    );
  }
  return sampledEntries(y, electrons, b);
}

/** x's entries at the electrons' blocks of b rows, in sampledMassRows' order. */
export function sampledEntries(x: ArrayLike<number>, electrons: Uint32Array, b: number): Float64Array {
  const out = new Float64Array(b * electrons.length);
  electrons.forEach((i, k) => {
    for (let c = 0; c < b; c++) out[b * k + c] = x[b * i + c];
  });
  return out;
}

/**
 * The rows of p = D x + eps T x at `sample`'s electrons from their float64 rows of eps T x
 * (`interactionRows`, sampledMassRows' 'interaction'), as momentaFrom forms p over every unknown.
 */
export function sampledMomenta(
  system: DarwinSystem,
  sample: Pick<CheckSample, 'electrons'>,
  x: Float64Array,
  interactionRows: Float64Array,
): Float64Array {
  const b = blockSize(system);
  const at = (values: ArrayLike<number>) => sampledEntries(values, sample.electrons, b);
  return momentaFrom(at(massDiagonal(system)), at(x), interactionRows);
}

/** The weighted norm over a sample's unknowns, b per electron: sqrt(sum w_i |x_i|^2). */
function weightedNorm(x: ArrayLike<number>, weights: Float64Array, b: number): number {
  let sum = 0;
  for (let k = 0; k < x.length; k++) sum += weights[Math.floor(k / b)] * x[k] ** 2;
  return Math.sqrt(sum);
}

/** ||x - y|| / ||y|| in the weighted norm; 0 where both are 0, as relativeError. */
function weightedRelativeError(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  weights: Float64Array,
  b: number,
): number {
  const difference = weightedNorm(
    Float64Array.from(x, (value, k) => value - y[k]),
    weights,
    b,
  );
  const scale = weightedNorm(y, weights, b);
  return scale > 0 ? difference / scale : difference;
}

/**
 * The sampled check's errors, normwise over all unknowns as the sample estimates them (its weights):
 * the momenta p = M v against the float64 rows of M v (`exactMomenta`), and the solved velocities'
 * residual ||p - M v|| / ||p|| with M v's float64 rows (`solvedRows`).
 */
export function sampledErrors(
  system: DarwinSystem,
  sample: Pick<CheckSample, 'electrons' | 'weights'>,
  momenta: Float64Array,
  exactMomenta: Float64Array | null,
  solvedRows: Float64Array | null,
): { momenta: number | null; residual: number | null } {
  const b = blockSize(system);
  const p = sampledEntries(momenta, sample.electrons, b);
  return {
    momenta: exactMomenta && weightedRelativeError(p, exactMomenta, sample.weights, b),
    residual: solvedRows && weightedRelativeError(solvedRows, p, sample.weights, b),
  };
}

/**
 * The error of the product's interaction part alone, ||eps T v - (eps T v)_64|| / ||(eps T v)_64||,
 * from the products' own eps T v (MassMatrixBackend.interaction): what --tree-tol bounds for v spread
 * over the electrons, where the momenta's error ||p - p64|| / ||p64|| is mostly D v's at small eps
 * (the tree's 8e-2 of T v, for v an eigenvector of T with eigenvalue near 0 on a ball of 3000 at
 * tolerance 1e-5, was 3e-6 of p), and which p64 - D v would hold only to 2^-53 |D v| (a sphere of
 * 1000 at R = 1 m: 1.25e-5 of its own). Over every unknown, or as `sample` estimates it
 * (`exactInteraction` then its rows); null at eps = 0 and wherever eps T v is 0 (one electron),
 * where there is no such part.
 */
export function interactionError(
  system: DarwinSystem,
  interaction: Float64Array,
  exactInteraction: Float64Array,
  sample: Pick<CheckSample, 'electrons' | 'weights'> | null = null,
): number | null {
  if (system.epsilon === 0) return null;
  const b = blockSize(system);
  const part = sample ? sampledEntries(interaction, sample.electrons, b) : interaction;
  const weights = sample ? sample.weights : new Float64Array(system.configuration.n).fill(1);
  const error = weightedNorm(
    part.map((value, k) => value - exactInteraction[k]),
    weights,
    b,
  );
  const scale = weightedNorm(exactInteraction, weights, b);
  // No interaction part to measure (one electron: T = 0): p's error is then D v's alone, which the
  // momenta's error states.
  return scale > 0 ? error / scale : null;
}

/**
 * The Darwin energy's own relative error, |v.(eps T v - (eps T v)_64)| / |v.(eps T v)_64| (eq. 48:
 * the energy eps v.T v / 2 of `velocities` from the product's `interaction` against the float64
 * `exactInteraction`), over every unknown. interactionError bounds it only times
 * ||v|| ||eps T v|| / |v.eps T v| (Cauchy-Schwarz), which is large where v.eps T v cancels (random v
 * on 1500 electrons in a lump beside 300 in a ball: 197, and the Darwin energy 4 times as far off as
 * eps T v), so it is measured, not held to a target of its own. Null where interactionError is, and
 * where v.eps T v is 0 or either sum is not finite (no Darwin energy to be relative to). A sampled
 * check does not estimate it: a signed sum over N electrons, which 256 of them give to a noise
 * ~sqrt(N / 256) times float32's random error of it.
 */
export function darwinError(
  system: DarwinSystem,
  velocities: Float64Array,
  interaction: Float64Array,
  exactInteraction: Float64Array,
): number | null {
  if (system.epsilon === 0) return null;
  let error = 0;
  let darwin = 0;
  velocities.forEach((v, k) => {
    error += v * (interaction[k] - exactInteraction[k]);
    darwin += v * exactInteraction[k];
  });
  // A NaN v (a solve that overflowed) has no energy to measure, as interactionError says too.
  return darwin !== 0 && Number.isFinite(error) && Number.isFinite(darwin) ? Math.abs(error / darwin) : null;
}

/**
 * Electrons a Ritz vector's check sums exactly beside the sample's own: those where the vector is
 * largest. An extreme mode may live on a few electrons (the lowest on a close pair, scaling study's
 * 'localized'), which a uniform sample of 256 would miss and call converged.
 */
export const kHeaviestElectrons = 64;

/**
 * The electrons of a Ritz vector y's check: the `heaviest` where |y_i| is largest and the sample's
 * own exact ones, summed exactly, and those of its uniform draw not among them standing for the rest
 * (weighSample). The heaviest depend on y alone, the exact ones on the positions, so the estimate
 * stays without bias.
 */
export function ritzSample(
  system: DarwinSystem,
  y: Float64Array,
  sample: Pick<CheckSample, 'exact' | 'uniform'>,
  heaviest: number = kHeaviestElectrons,
): CheckSample {
  const b = blockSize(system);
  const { n } = system.configuration;
  const weight = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let c = 0; c < b; c++) weight[i] += y[b * i + c] ** 2;
  // The heaviest-th largest weight by a native numeric sort, then the
  // electrons above it and as many at it as fill the count.
  const count = Math.min(heaviest, n);
  const threshold = count > 0 ? weight.slice().sort()[n - count] : Infinity;
  const heavy = new Set<number>();
  for (let i = 0; i < n; i++) if (weight[i] > threshold) heavy.add(i);
  for (let i = 0; i < n && heavy.size < count; i++) if (weight[i] === threshold) heavy.add(i);
  return weighSample(n, [...heavy, ...sample.exact], sample.uniform);
}

/**
 * A Ritz pair's residual from its sample: ||A y - lambda y|| / ||y|| for the spectrum's
 * A = D^-1/2 M D^-1/2 (src/solvers/spectrum.ts), estimated from `rows`, the float64 rows of M v at
 * `sample`'s electrons for v = D^-1/2 y (`diagonal`: D). At an unknown k there,
 * (A y - lambda y)_k = (M v)_k / sqrt(D_k) - lambda y_k, its square weighted as ritzSample says. A is
 * symmetric, so one of its eigenvalues lies within this of lambda (Parlett, The Symmetric Eigenvalue
 * Problem, Thm 4.5.1): the direct sum's A has an eigenvalue that close, as far as the sample
 * estimates the residual.
 */
export function sampledRitzResidual(
  system: DarwinSystem,
  diagonal: Float64Array,
  sample: Pick<CheckSample, 'electrons' | 'weights'>,
  ritzVector: Float64Array,
  lambda: number,
  rows: Float64Array,
): number {
  const b = blockSize(system);
  const d = sampledEntries(diagonal, sample.electrons, b);
  const y = sampledEntries(ritzVector, sample.electrons, b);
  let squares = 0;
  for (let k = 0; k < rows.length; k++) {
    squares += sample.weights[Math.floor(k / b)] * (rows[k] / Math.sqrt(d[k]) - lambda * y[k]) ** 2;
  }
  let yy = 0;
  for (const value of ritzVector) yy += value * value;
  return Math.sqrt(squares / yy);
}

/** The reference was abandoned (the user stopped the run): the run's report says so, not an error. */
export class CheckStopped extends Error {
  override readonly name = 'CheckStopped';
}

/** Why a run is or is not checked, for the app's note and the CLI's --check default. */
export type CheckDecision = 'on' | 'off' | 'cpu' | 'sampled';

/**
 * Whether to check a run of this system: never on the CPU's dense M (it is the reference), the GPU
 * and the CPU's tree (`matrix`, as the backend holds M) like it: `requested` true forces the dense
 * check (the CLI's --check), false turns it off, undefined checks against the dense reference up to
 * kCheckMaxUnknowns and on sampled rows past it.
 */
export function checkDecision(
  system: DarwinSystem,
  device: DeviceChoice,
  requested: boolean | undefined,
  matrix: MatrixChoice = 'auto',
): CheckDecision {
  if (device === 'cpu' && matrix !== 'tree') return 'cpu';
  if (requested === false) return 'off';
  if (requested === undefined && unknowns(system) > kCheckMaxUnknowns) return 'sampled';
  return 'on';
}

/**
 * Errors of the extreme eigenvalues, relative to the largest |lambda| of the reference: the scaled
 * spectrum sits near 1, so this is the relative error there and stays meaningful past an indefinite M.
 */
export function eigenvalueErrors(
  got: { lambdaMin: number; lambdaMax: number },
  exact: { lambdaMin: number; lambdaMax: number },
): { lambdaMin: number; lambdaMax: number } {
  const scale = Math.max(Math.abs(exact.lambdaMin), Math.abs(exact.lambdaMax));
  return {
    lambdaMin: Math.abs(got.lambdaMin - exact.lambdaMin) / scale,
    lambdaMax: Math.abs(got.lambdaMax - exact.lambdaMax) / scale,
  };
}

/** Milliseconds a run spent on its check, added up by pendingReference. */
export interface CheckClock {
  milliseconds: number;
}

/**
 * A reference answer, or null once the check was stopped; started early so that a reference in a
 * worker runs beside the checked run (unless `afterRun`: then when the answer is first awaited), and
 * kept from counting as an unhandled rejection meanwhile. `clock` gets the time the check costs the
 * run: the start (all of it for an in-process reference, whose work runs before its promise returns)
 * and the wait for the answer (a worker's remainder).
 */
export function pendingReference<T>(
  start: (() => Promise<T>) | null,
  clock: CheckClock | null = null,
  afterRun = false,
): () => Promise<T | null> {
  if (!start) return async () => null;
  let promise: Promise<T> | null = null;
  const begin = () => {
    const begun = performance.now();
    const started = start();
    if (clock) clock.milliseconds += performance.now() - begun;
    started.catch(() => undefined);
    return started;
  };
  if (!afterRun) promise = begin();
  return async () => {
    let waiting = performance.now();
    try {
      // Begun here (afterRun): the wait starts after the start, which begin() has counted.
      if (!promise) {
        promise = begin();
        waiting = performance.now();
      }
      return await promise;
    } catch (error) {
      if (error instanceof CheckStopped) return null;
      throw error;
    } finally {
      if (clock) clock.milliseconds += performance.now() - waiting;
    }
  };
}
