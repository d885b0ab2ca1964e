// The paper's quantitative claims recomputed by this code, each beside the paper's number. Rows come
// from src/physics/paper.ts and, for sec. II.D's flux periodicity, src/physics/paper-flux.ts; eq. 39 is
// checked here because it needs a solver: the exact two-electron Hamiltonian against
// H = J^T M^-1 J / 2 with M^-1 J found by CG (float64).
import { geometry } from '../../physics/geometry.ts';
import type { DarwinSystem } from '../../physics/models.ts';
import { dot } from '../../math/vectors.ts';
import { kPairingRings, ringTemperature, type RingTemperature } from '../../physics/pairing.ts';
import { paperClaims, type PaperRow } from '../../physics/paper.ts';
import { fluxRows, fluxStudy, type FluxStudy } from '../../physics/paper-flux.ts';
import { twoElectronHamiltonian } from '../../physics/ring.ts';
import { massMatrix } from '../../run/backend.ts';
import { solve } from '../../solvers/solve.ts';

/** Two electrons on the unit ring at angular separation phi, with momenta J_1, J_2 (eq. 35-39). */
export function twoElectronRow(epsilon: number, phi: number, j1: number, j2: number): PaperRow {
  const ring = geometry('ring', 2);
  const positions = new Float64Array([1, 0, 0, Math.cos(phi), Math.sin(phi), 0]);
  const system: DarwinSystem = {
    configuration: { ...ring, positions, source: 'two electrons' },
    model: 'azimuthal',
    dim: 3,
    epsilon,
    softening: 0,
  };
  const momenta = new Float64Array([j1, j2]);
  const angularVelocities = solve(massMatrix(system), momenta, 'cg', { rtol: 1e-14 }).x;
  // phi = phi_1 - phi_2 enters V_phi only through |phi| and cos phi, so the sign convention is moot.
  const exact = twoElectronHamiltonian(j1 + j2, (j1 - j2) / 2, phi, epsilon);
  return {
    equation: '39',
    quantity: `two-electron H, eps = ${epsilon}, phi = ${phi}, J = (${j1}, ${j2}) [units m R^2 = 1]`,
    paper: exact,
    computed: dot(momenta, angularVelocities) / 2,
    unit: 'm R^2 omega^2',
    note: 'paper column: eq. 39 evaluated; computed: J.phidot/2 with M phidot = J solved by CG',
  };
}

export interface PaperRun {
  /** Every row, in the order of the paper's equations. */
  readonly rows: PaperRow[];
  /** Sec. II.D: the periods and currents behind the flux rows, for the JSON and the plots. */
  readonly flux: FluxStudy;
  /** Sec. IV.B's two rings (the pairing study's), for the plot of the pair on the ring. */
  readonly rings: RingTemperature[];
}

export function runPaper(): PaperRun {
  const rings = kPairingRings.map((ring) => ringTemperature(ring));
  const flux = fluxStudy(rings);
  const rows = [...paperClaims(), twoElectronRow(0.05, 0.3, 1.3, 0.7), ...fluxRows(flux)].sort(
    (a, b) => parseFloat(a.equation) - parseFloat(b.equation),
  );
  return { rows, flux, rings };
}
