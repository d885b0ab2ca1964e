// Inputs the GPU's float32 cannot hold are refused before any GPU work (src/physics/float32.ts), each
// with the field it is about and a message naming the CPU path, while the boundaries themselves pass.
import { describe, expect, test } from 'vitest';
import { geometry } from '../src/physics/geometry.ts';
import { InputError } from '../src/physics/input-error.ts';
import type { DarwinSystem } from '../src/physics/models.ts';
import {
  checkFloat32System,
  checkFloat32Vector,
  uploadedPositions,
  kFloat32Max,
  kFloat32MinNormal,
} from '../src/physics/float32.ts';

const ring = (epsilon: number, softening = 0): DarwinSystem => ({
  configuration: geometry('ring', 8),
  model: 'vector',
  dim: 3,
  epsilon,
  softening,
});

function refusal(run: () => void): InputError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toMatch(/float32 .*--device cpu/);
    return error as InputError;
  }
  throw new Error('expected a refusal');
}

describe('float32 range of the GPU path', () => {
  test('eps: 0 and every normal float32 up to sqrt(max) pass; beyond, or subnormal, refused', () => {
    for (const epsilon of [0, kFloat32MinNormal, 1e-20, 1, Math.sqrt(kFloat32Max)]) {
      expect(() => checkFloat32System(ring(epsilon), 'free')).not.toThrow();
    }
    for (const epsilon of [1e308, 2 * Math.sqrt(kFloat32Max), kFloat32MinNormal / 2, 1e-45]) {
      expect(refusal(() => checkFloat32System(ring(epsilon), 'free')).field).toBe('epsilon');
    }
  });

  test('the softening enters squared: its square must be a normal float32', () => {
    expect(() => checkFloat32System(ring(0.1, Math.sqrt(kFloat32MinNormal)), 'free')).not.toThrow();
    const small = refusal(() => checkFloat32System(ring(0.1, 1e-20), 'free'));
    expect(small.field).toBe('softening');
    expect(small.message).toMatch(/too small/);
    expect(refusal(() => checkFloat32System(ring(0.1, 1e20), 'free')).field).toBe('softening');
  });

  test('positions whose squared distances overflow are refused', () => {
    const far = ring(0.1);
    const positions = Float64Array.from(far.configuration.positions);
    positions[0] = 1e19;
    const error = refusal(() =>
      checkFloat32System({ ...far, configuration: { ...far.configuration, positions } }, 'free'),
    );
    expect(error.field).toBe('positions');
    positions[0] = 1e18; // 12 (1e18)^2 = 1.2e37 fits
    expect(() =>
      checkFloat32System({ ...far, configuration: { ...far.configuration, positions } }, 'free'),
    ).not.toThrow();
  });

  // The audit's case: 20 electrons on the unit ring and one at x = 1e-3 cos(pi/2) = 6.1e-20 (rho^2 =
  // 3.7e-39, a float32 subnormal the GPU flushes to 0: lambda_max 1.52769 for 1.52776); the control
  // at x = 1e-18 (rho^2 = 1e-36, normal).
  const axis = (x: number): DarwinSystem => {
    const positions = new Float64Array(63);
    positions.set(geometry('ring', 20).positions);
    positions.set([x, 0, 0.5], 60);
    return {
      configuration: { n: 21, positions, source: 'axis.csv' },
      model: 'azimuthal',
      dim: 3,
      epsilon: 0.05,
      softening: 0,
    };
  };

  test('an azimuthal electron whose rho^2 float32 flushes to 0 is refused on every storage; 1e-36 passes', () => {
    for (const storage of ['auto', 'dense', 'free', 'tree'] as const) {
      const error = refusal(() => checkFloat32System(axis(1e-3 * Math.cos(Math.PI / 2)), storage));
      expect(error.field).toBe('positions');
      expect(error.message).toMatch(
        /^the rho\^2 = 3\.75e-39 R\^2 of electron 20 \(6\.12e-20 R from the z axis\) is too small for float32/,
      );
      expect(() => checkFloat32System(axis(1e-18), storage)).not.toThrow();
    }
    // The boundary: rho^2 = 2^-126 is float32's smallest normal, half of it is not.
    expect(() => checkFloat32System(axis(2 ** -63), 'free')).not.toThrow();
    expect(refusal(() => checkFloat32System(axis(2 ** -63.5), 'free')).field).toBe('positions');
  });

  test('without softening, a pair whose r^2 is below float32 normal range is refused where it is uploaded', () => {
    // A ring of 8 and two electrons d apart at its centre, which is also the median electron's
    // coordinates: every upload keeps the pair there, where float32 holds d (the audit's tiny.csv).
    const pair = (d: number, softening = 0): DarwinSystem => {
      const positions = new Float64Array(30);
      positions.set(geometry('ring', 8).positions);
      positions.set([0, 0, 0, d, 0, 0], 24);
      return {
        configuration: { n: 10, positions, source: 'tiny.csv' },
        model: 'vector',
        dim: 3,
        epsilon: 1e-21,
        softening,
      };
    };
    for (const storage of ['dense', 'free', 'tree'] as const) {
      const uploaded = uploadedPositions(pair(3e-20), storage);
      expect(uploaded[27] - uploaded[24]).toBe(Math.fround(3e-20));
      const error = refusal(() => checkFloat32System(pair(3e-20), storage));
      expect(error.field).toBe('positions');
      expect(error.message).toMatch(/^electrons 8 and 9 are 3\.00e-20 R apart once rounded to float32/);
      expect(error.message).toMatch(/give a softening > 0, or use the CPU reference/);
      // r^2 = 2^-124, a normal float32, passes; so does the pair with a softening.
      expect(() => checkFloat32System(pair(2 ** -62), storage)).not.toThrow();
      expect(() => checkFloat32System(pair(3e-20, 1e-3), storage)).not.toThrow();
    }
    // 'auto' leaves the pair to the storage it chooses.
    expect(() => checkFloat32System(pair(3e-20), 'auto')).not.toThrow();
  });

  test('with a softening, a pair float32 merges is refused unless the softening stands in for its distance', () => {
    // A ball of 200 and a copy of its electron k farthest out along x moved 1e-9 R along x: below
    // float32's spacing there, so every upload puts the two at one point, where T_ij is 1/(2a)
    // instead of about 1/(2 sqrt(r^2 + a^2)) (a = 1e-12 gave momenta 836 times too large).
    const ball = geometry('ball', 200).positions;
    const x = Array.from({ length: 200 }, (_, i) => ball[3 * i]);
    const k = x.indexOf(Math.max(...x));
    expect(x[k]).toBeGreaterThan(0.5);
    const positions = new Float64Array(3 * 201);
    positions.set(ball);
    positions.set([ball[3 * k] + 1e-9, ball[3 * k + 1], ball[3 * k + 2]], 600);
    const system = (softening: number): DarwinSystem => ({
      configuration: { n: 201, positions, source: 'near32.csv' },
      model: 'vector',
      dim: 3,
      epsilon: 0.1,
      softening,
    });
    for (const storage of ['dense', 'free', 'tree'] as const) {
      const uploaded = uploadedPositions(system(1e-12), storage);
      expect([0, 1, 2].map((c) => uploaded[600 + c] - uploaded[3 * k + c])).toEqual([0, 0, 0]);
      const error = refusal(() => checkFloat32System(system(1e-12), storage));
      expect(error.field).toBe('positions');
      expect(error.message).toMatch(`electrons ${k} and 200, 1.00e-9 R apart, are at one float32 point`);
      expect(error.message).toMatch(
        /1\.00e-9 R apart, are at one float32 point.* \(the GPU's precision\), where the softening a = 1\.00e-12 R does not stand in for their distance; give a softening of at least 1\.02e-6 R/,
      );
      // A softening 1024 times their distance stands in for it (T_ij within (r/a)^2 = 2^-20).
      expect(() => checkFloat32System(system(1.03e-6), storage)).not.toThrow();
      expect(refusal(() => checkFloat32System(system(1.01e-6), storage)).field).toBe('positions');
    }
    // Electrons at one float64 point need no more than a softening > 0, as before.
    positions.set(ball.subarray(3 * k, 3 * k + 3), 600);
    expect(() => checkFloat32System(system(1e-12), 'tree')).not.toThrow();
  });

  test('vectors: sums of squares of their size must neither overflow nor flush to zero', () => {
    const system = ring(0.1); // 24 unknowns
    const vector = (scale: number) => new Float64Array(24).fill(scale);
    for (const scale of [0, 1e-15, 1, 1e17]) {
      expect(() => checkFloat32Vector(system, vector(scale), 'the momenta', 'momenta')).not.toThrow();
    }
    const large = refusal(() => checkFloat32Vector(system, vector(2e18), 'the momenta', 'momenta'));
    expect(large.field).toBe('momenta');
    expect(large.message).toMatch(/^the momenta of size 2\.00e\+18 are too large/);
    expect(
      refusal(() => checkFloat32Vector(system, vector(1e-17), 'the velocities', 'velocities')).field,
    ).toBe('velocities');
  });
});
