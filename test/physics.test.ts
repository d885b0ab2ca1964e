import { describe, expect, it } from 'vitest';
import {
  collectiveParameter,
  epsilonFromRadius,
  kBohrRadius,
  kClassicalElectronRadius,
  kFineStructure,
  radiusFromEpsilon,
} from '../src/physics/constants.ts';
import { geometry, kAnnulusInnerRadius, kGeometryNames, parsePositionsCsv } from '../src/physics/geometry.ts';
import { InputError } from '../src/physics/input-error.ts';
import {
  applyInteractionFree,
  azimuthalInteraction,
  coincidentPair,
  massDiagonal,
  validateSystem,
  vectorInteractionBlock,
  type DarwinSystem,
} from '../src/physics/models.ts';
import { energies, interactionOfMomenta } from '../src/physics/observables.ts';
import {
  ringCirculantEigenvalues,
  ringPotential,
  ringPotentialSeries,
  twoElectronHamiltonian,
} from '../src/physics/ring.ts';
import { seededRandom } from '../src/math/vectors.ts';
import { velocityPattern } from '../src/physics/velocities.ts';
import { massMatrix } from '../src/run/backend.ts';

function system(partial: Partial<DarwinSystem> & Pick<DarwinSystem, 'configuration'>): DarwinSystem {
  return { model: 'vector', dim: 3, epsilon: 0.01, softening: 0, ...partial };
}

describe('constants (CODATA 2018)', () => {
  it('ties r_e, a0 and alpha: r_e = alpha^2 a0', () => {
    expect(kClassicalElectronRadius / (kFineStructure ** 2 * kBohrRadius)).toBeCloseTo(1, 9);
  });
  it('converts eps = r_e/R and back', () => {
    expect(epsilonFromRadius(1e-6)).toBeCloseTo(2.8179403262e-9, 18);
    expect(radiusFromEpsilon(epsilonFromRadius(3.7e-8))).toBeCloseTo(3.7e-8, 20);
    expect(collectiveParameter(1000, 1e-3)).toBeCloseTo(1, 14);
  });
});

describe('geometries (unit size, documented formulas)', () => {
  it.each(kGeometryNames)(
    '%s: deterministic, finite, no coincident electrons, inside the unit box',
    (name) => {
      const a = geometry(name, 101);
      const b = geometry(name, 101);
      expect(Array.from(a.positions)).toEqual(Array.from(b.positions));
      expect(a.positions.every(Number.isFinite)).toBe(true);
      expect(coincidentPair(a.positions, a.n)).toBeNull();
      expect(Math.max(...a.positions.map(Math.abs))).toBeLessThanOrEqual(1 + 1e-12);
    },
  );
  it('ring: phi_i = 2 pi i / N on the unit circle', () => {
    const ring = geometry('ring', 8);
    expect(ring.positions[3 * 2]).toBeCloseTo(0, 15);
    expect(ring.positions[3 * 2 + 1]).toBeCloseTo(1, 15);
    expect(ring.positions[3 * 5]).toBeCloseTo(Math.cos((2 * Math.PI * 5) / 8), 15);
  });
  it('sphere: on the unit sphere, z_i = 1 - (2i+1)/N', () => {
    const sphere = geometry('sphere', 50);
    for (let i = 0; i < 50; i++) {
      const [x, y, z] = sphere.positions.subarray(3 * i, 3 * i + 3);
      expect(Math.hypot(x, y, z)).toBeCloseTo(1, 14);
      expect(z).toBeCloseTo(1 - (2 * i + 1) / 50, 14);
    }
  });
  it('disk and annulus: Vogel radii sqrt((i+1/2)/N) and sqrt(1/4 + 3/4 (i+1/2)/N), within [1/2, 1]', () => {
    const disk = geometry('disk', 40);
    expect(Math.hypot(disk.positions[3 * 7], disk.positions[3 * 7 + 1])).toBeCloseTo(Math.sqrt(7.5 / 40), 14);
    const annulus = geometry('annulus', 40);
    for (let i = 0; i < 40; i++) {
      const r = Math.hypot(annulus.positions[3 * i], annulus.positions[3 * i + 1]);
      // Equal area 3 pi / (4 N) per electron, each at its cell's mid-area radius: strictly inside the rim.
      expect(r).toBeCloseTo(Math.sqrt(1 / 4 + (3 / 4) * ((i + 0.5) / 40)), 14);
      expect(r).toBeGreaterThan(kAnnulusInnerRadius);
      expect(r).toBeLessThan(1);
    }
  });
  it('square and cube lattices are cell-centred with spacing 2/m', () => {
    const square = geometry('square', 16);
    expect(Array.from(square.positions.subarray(0, 6))).toEqual([-0.75, -0.75, 0, -0.25, -0.75, 0]);
    const cube = geometry('cube', 8);
    expect(Array.from(cube.positions.subarray(21, 24))).toEqual([0.5, 0.5, 0.5]);
  });
  it('ball: radii ((i+1/2)/N)^(1/3); cylinder: surface rho = 1', () => {
    const ball = geometry('ball', 30);
    const p = ball.positions;
    expect(Math.hypot(p[3 * 9], p[3 * 9 + 1], p[3 * 9 + 2])).toBeCloseTo(Math.cbrt(9.5 / 30), 14);
    const cylinder = geometry('cylinder', 30);
    expect(Math.hypot(cylinder.positions[3 * 4], cylinder.positions[3 * 4 + 1])).toBeCloseTo(1, 14);
    expect(cylinder.positions[3 * 4 + 2]).toBeCloseTo(-1 + 9 / 30, 14);
  });
  it('refuses N < 1 and non-integer N', () => {
    expect(() => geometry('ring', 0)).toThrow(InputError);
    expect(() => geometry('ring', 2.5)).toThrow(/positive integer/);
  });
});

describe('positions CSV', () => {
  it('reads x,y and x,y,z in any column order, skipping comments', () => {
    const c = parsePositionsCsv('# two electrons\nz,x,y\n0.5,1,2\n\n-1,3,4\n');
    expect(Array.from(c.positions)).toEqual([1, 2, 0.5, 3, 4, -1]);
    expect(parsePositionsCsv('x,y\n1,2\n').positions[2]).toBe(0);
  });
  it.each([
    ['a,b\n1,2\n', /header/],
    ['x,y\n1\n', /:2: expected 2 values/],
    ['x,y\n1,nan\n', /not a finite number/],
    ['x,y\n', /no electrons/],
    ['', /empty/],
  ])('refuses %j', (text, message) => {
    expect(() => parsePositionsCsv(text, 'f.csv')).toThrow(message);
  });
});

describe('the ring and eq. 31/42', () => {
  it('the azimuthal model on a ring is eq. 31 V_phi to 1e-14', () => {
    const ring = geometry('ring', 24);
    let worst = 0;
    for (let i = 0; i < 24; i++) {
      for (let j = 0; j < 24; j++) {
        if (i === j) continue;
        const exact = ringPotential((2 * Math.PI * (i - j)) / 24);
        const got = azimuthalInteraction(ring.positions, i, j, 0);
        worst = Math.max(worst, Math.abs(got - exact) / Math.max(1, Math.abs(exact)));
      }
    }
    expect(worst).toBeLessThan(1e-14);
  });
  it('V_phi matches the series of eq. 42 to O(phi^5) near 0', () => {
    for (const phi of [0.2, 0.1, 0.05, 0.02]) {
      const error = Math.abs(ringPotential(phi) - ringPotentialSeries(phi));
      expect(error / phi ** 5).toBeLessThan(2e-3);
      expect(error / phi ** 5).toBeGreaterThan(1e-5); // the next term is really there: the series is truncated
    }
    expect(ringPotential(-0.3)).toBeCloseTo(ringPotential(0.3), 15);
    expect(ringPotential(Math.PI)).toBeCloseTo(-1 / 4, 15);
  });
  it('circulant eigenvalues: k = 0 is the row sum, and the alternating mode is -0.2204 N', () => {
    const n = 64;
    const eigenvalues = ringCirculantEigenvalues(n);
    let rowSum = 0;
    for (let j = 1; j < n; j++) rowSum += ringPotential((2 * Math.PI * j) / n);
    expect(eigenvalues[0]).toBeCloseTo(rowSum, 10);
    // numpy: eigvalsh of the dense 64 x 64 circulant, its least eigenvalue / N.
    expect(Math.abs(eigenvalues[n / 2] / n / -0.22037987443072 - 1)).toBeLessThan(1e-12);
    expect(Math.min(...eigenvalues)).toBe(eigenvalues[n / 2]);
  });
});

describe('vector model (Oseen tensor) and azimuthal model', () => {
  it('T_ij = (I + n n^T)/(2 r) for a known pair, with softening', () => {
    const positions = new Float64Array([0, 0, 0, 3, 4, 0]);
    const block = new Float64Array(9);
    vectorInteractionBlock(positions, 0, 1, 0, 3, block);
    const r = 5;
    const n = [-3 / 5, -4 / 5, 0];
    for (let a = 0; a < 3; a++) {
      for (let b = 0; b < 3; b++)
        expect(block[3 * a + b]).toBeCloseTo(((a === b ? 1 : 0) + n[a] * n[b]) / (2 * r), 15);
    }
    vectorInteractionBlock(positions, 0, 1, 12, 2, block);
    expect(block[0]).toBeCloseTo((1 + 9 / 25) / (2 * 13), 15);
    expect(block[1]).toBeCloseTo(12 / 25 / 26, 15);
  });
  it('the azimuthal matrix equals P^T M_vector P with P_i = rho_i e_i', () => {
    const configuration = geometry('ball', 13);
    const vector = massMatrix(system({ configuration, softening: 0.05 }));
    const azimuthal = massMatrix(system({ configuration, model: 'azimuthal', softening: 0.05 }));
    const n = 13;
    const p = configuration.positions;
    const u = (i: number) => [-p[3 * i + 1], p[3 * i], 0];
    let worst = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let value = 0;
        for (let a = 0; a < 3; a++) {
          for (let b = 0; b < 3; b++)
            value += u(i)[a] * vector.data[(3 * i + a) * 3 * n + 3 * j + b] * u(j)[b];
        }
        worst = Math.max(worst, Math.abs(value - azimuthal.data[i * n + j]));
      }
    }
    expect(worst).toBeLessThan(1e-14);
  });
  it('the 2D vector model is the in-plane part of the 3D one', () => {
    const configuration = geometry('disk', 9);
    const m3 = massMatrix(system({ configuration }));
    const m2 = massMatrix(system({ configuration, dim: 2 }));
    for (let i = 0; i < 18; i++) {
      for (let j = 0; j < 18; j++) {
        const row = Math.floor(i / 2) * 3 + (i % 2);
        const col = Math.floor(j / 2) * 3 + (j % 2);
        expect(m2.data[i * 18 + j]).toBe(m3.data[row * 27 + col]);
      }
    }
  });
  it('M is symmetric with diagonal D (1, or rho^2 azimuthal)', () => {
    const s = system({ configuration: geometry('annulus', 11), model: 'azimuthal' });
    const m = massMatrix(s);
    const d = massDiagonal(s);
    for (let i = 0; i < 11; i++) {
      expect(m.data[i * 11 + i]).toBe(d[i]);
      for (let j = 0; j < 11; j++) expect(m.data[i * 11 + j]).toBe(m.data[j * 11 + i]);
    }
  });
  it('two electrons reproduce eq. 39: J^T M^-1 J / 2 is the exact Hamiltonian', () => {
    for (const [epsilon, phi, j1, j2] of [
      [0.01, 0.5, 1, 1],
      [0.2, 1.7, 2.5, -0.5],
      [0.05, 0.05, 0.3, 0.9],
    ]) {
      const positions = new Float64Array([1, 0, 0, Math.cos(phi), Math.sin(phi), 0]);
      const m = massMatrix(
        system({ configuration: { n: 2, positions, source: 'pair' }, model: 'azimuthal', epsilon }),
      );
      const [a, b, , d] = m.data;
      const det = a * d - b * b;
      const w1 = (d * j1 - b * j2) / det;
      const w2 = (a * j2 - b * j1) / det;
      const h = (j1 * w1 + j2 * w2) / 2;
      const exact = twoElectronHamiltonian(j1 + j2, (j1 - j2) / 2, phi, epsilon);
      // 1 - eps V_phi is 1e-3 in the last case, so compare relative to the size of H.
      expect(Math.abs(h - exact) / exact).toBeLessThan(1e-12);
    }
  });
});

describe('validation of a system', () => {
  const ring = geometry('ring', 4);
  it.each([
    [system({ configuration: geometry('sphere', 5), dim: 2 }), /2D vector model needs z = 0/],
    [system({ configuration: parsePositionsCsv('x,y,z\n0,0,1\n1,0,0\n'), model: 'azimuthal' }), /rho > 0/],
    [
      system({ configuration: parsePositionsCsv('x,y\n1,0\n0,1\n1,0\n') }),
      /electrons 0 and 2 are at the same place/,
    ],
    [system({ configuration: ring, epsilon: -1 }), /epsilon/],
    [system({ configuration: ring, softening: NaN }), /softening/],
    [system({ configuration: parsePositionsCsv('x,y\n1,0\n'), epsilon: Infinity }), /epsilon/],
  ])('refuses case %#', (s, message) => {
    expect(() => validateSystem(s)).toThrow(InputError);
    expect(() => validateSystem(s)).toThrow(message);
  });
  it('allows coincident electrons when softened, with n = 0 for the pair', () => {
    const s = system({ configuration: parsePositionsCsv('x,y\n1,0\n1,0\n'), softening: 0.1 });
    expect(() => validateSystem(s)).not.toThrow();
    const m = massMatrix(s);
    expect(m.data[3]).toBeCloseTo(0.01 / (2 * 0.1), 15);
    expect(m.data[4]).toBe(0);
  });
});

describe('velocity patterns and energies', () => {
  it('rigid rotation is z x r; alternating flips every other electron; random is seeded', () => {
    const s = system({ configuration: geometry('ring', 4) });
    const rigid = velocityPattern(s, 'rigid');
    expect(rigid[0]).toBeCloseTo(0, 15);
    expect(rigid[1]).toBeCloseTo(1, 15);
    const alternating = velocityPattern(s, 'alternating');
    expect(alternating[3 + 0]).toBeCloseTo(-rigid[3], 15);
    expect(Array.from(velocityPattern(s, 'random', 7))).toEqual(Array.from(velocityPattern(s, 'random', 7)));
    expect(Array.from(velocityPattern(s, 'random', 7))).not.toEqual(
      Array.from(velocityPattern(s, 'random', 8)),
    );
    const azimuthal = velocityPattern({ ...s, model: 'azimuthal' }, 'alternating');
    expect(Array.from(azimuthal)).toEqual([1, -1, 1, -1]);
  });
  it('seededRandom is uniform on [0, 1)', () => {
    const random = seededRandom(3);
    let sum = 0;
    for (let k = 0; k < 20000; k++) {
      const x = random();
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
      sum += x;
    }
    expect(sum / 20000).toBeCloseTo(0.5, 2);
  });
  it('rigid rotation of a ring: T - T0 = eps N lambda_0 / 2 and the inertia ratio is 1 + eps lambda_0', () => {
    const n = 32;
    const epsilon = 0.003;
    const s = system({ configuration: geometry('ring', n), model: 'azimuthal', epsilon });
    const v = velocityPattern(s, 'rigid');
    const e = energies(s, v, applyInteractionFree(s, v));
    const lambda0 = ringCirculantEigenvalues(n)[0];
    expect(e.kinetic).toBeCloseTo(n / 2, 13);
    expect(e.darwin).toBeCloseTo((epsilon * n * lambda0) / 2, 12);
    expect(e.inertiaRatio).toBeCloseTo(1 + epsilon * lambda0, 13);
  });
  it('at eps = 0 (M = D, eq. 48) the Darwin energy is 0 and T = T0 exactly, whatever float32 momenta round to', () => {
    const n = 300;
    const s = system({ configuration: geometry('disk', n), model: 'azimuthal', epsilon: 0 });
    const v = velocityPattern(s, 'random', 1);
    const d = massDiagonal(s);
    // A GPU's p = D v: each factor and the product rounded to float32.
    const p = Float64Array.from(v, (x, k) => Math.fround(Math.fround(d[k]) * Math.fround(x)));
    const rounding = interactionOfMomenta(d, v, p);
    const e = energies(s, v, rounding);
    let vDv = 0;
    for (let k = 0; k < n; k++) vDv += d[k] * v[k] * v[k];
    expect(e.darwin).toBe(0);
    expect(e.total).toBe(e.kinetic);
    expect(e.kinetic).toBe(vDv / 2);
    expect(e.inertiaRatio).toBe(1);
    // The same momenta at eps > 0 are taken as they are: their rounding is what T - T0 would show.
    expect(energies({ ...s, epsilon: 1e-9 }, v, rounding).darwin).not.toBe(0);
  });
});
