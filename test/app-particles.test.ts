// What the canvas colours by (src/app/particles.ts, shaders/render.wgsl): a response run's induced
// speeds |v_i| ride in each position's w, `current` reads them there and nowhere else, and the shader's
// quantity codes are the TypeScript ones.
import { describe, expect, test } from 'vitest';
import { packParticles, quantityRange } from '../src/app/particles.ts';
import { kShaderSources } from '../src/gpu/shaders.ts';
import { kParticleFloats, kQuantityCodes } from '../src/kernels/render.ts';
import { geometry } from '../src/physics/geometry.ts';
import type { DarwinSystem } from '../src/physics/models.ts';

const system: DarwinSystem = {
  configuration: geometry('ring', 4),
  model: 'vector',
  dim: 3,
  epsilon: 0.01,
  softening: 0,
};

describe('colour by induced current', () => {
  test("the speeds go into the positions' w and set the current's range; the vectors stay as they were", () => {
    const velocities = Float64Array.from({ length: 12 }, (_, k) => k - 5);
    const speeds = Float64Array.of(0.25, 1.5, 0.75, 3);
    const plain = packParticles(system, velocities, null);
    const coloured = packParticles(system, velocities, null, speeds);
    for (let i = 0; i < 4; i++) {
      const o = i * kParticleFloats;
      expect(plain[o + 3]).toBe(0);
      expect(coloured[o + 3]).toBe(speeds[i]);
      expect([...coloured.subarray(o, o + 3)]).toEqual([...plain.subarray(o, o + 3)]);
      expect([...coloured.subarray(o + 4, o + 12)]).toEqual([...plain.subarray(o + 4, o + 12)]);
    }
    expect(quantityRange(coloured, 4, 'current')).toEqual({ min: 0.25, max: 3 });
    // |v| of the same particles is the velocities', untouched by the speeds.
    const speed = (i: number) => Math.hypot(...velocities.subarray(3 * i, 3 * i + 3));
    expect(quantityRange(coloured, 4, 'velocity').max).toBeCloseTo(Math.max(...[0, 1, 2, 3].map(speed)), 5);
  });

  test('the WGSL quantity constants are kQuantityCodes', () => {
    const names = {
      none: 'kNone',
      velocity: 'kVelocity',
      momentum: 'kMomentum',
      darwin: 'kDarwin',
      current: 'kCurrent',
    };
    for (const [quantity, code] of Object.entries(kQuantityCodes)) {
      const constant = names[quantity as keyof typeof names];
      const match = new RegExp(`const ${constant} = (\\d+)u;`).exec(kShaderSources.render);
      expect(match?.[1], constant).toBe(String(code));
    }
  });
});
