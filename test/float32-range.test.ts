// Inputs the GPU's float32 cannot hold are refused before any GPU work (src/physics/float32.ts), each
// with the field it is about and a message naming the CPU path, while the boundaries themselves pass.
import { describe, expect, test } from 'vitest';
import { geometry } from '../src/physics/geometry.ts';
import { InputError } from '../src/physics/input-error.ts';
import type { DarwinSystem } from '../src/physics/models.ts';
import {
  checkFloat32System,
  checkFloat32Vector,
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
