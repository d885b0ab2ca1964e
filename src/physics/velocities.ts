// Velocity patterns for a system, in units of R times an angular velocity of 1.
//   rigid        rotation about z with omega = 1: v_i = z x r_i = (-y_i, x_i, 0); phidot_i = 1
//   uniform      translation along x: v_i = (1, 0, 0); azimuthal model: phidot_i = 1 (the only uniform mode)
//   random       components uniform in [-1, 1) from a seeded generator (mulberry32), reproducible by seed
//   alternating  (-1)^i times the rigid rotation: the ring's k = N/2 mode, where M is least positive
import { seededRandom } from '../math/vectors.ts';
import { blockSize, type DarwinSystem } from './models.ts';

export const kVelocityPatterns = ['rigid', 'uniform', 'random', 'alternating'] as const;
export type VelocityPattern = (typeof kVelocityPatterns)[number];

export function velocityPattern(system: DarwinSystem, pattern: VelocityPattern, seed = 1): Float64Array {
  const { n, positions } = system.configuration;
  const size = blockSize(system);
  const v = new Float64Array(n * size);
  if (pattern === 'random') {
    const random = seededRandom(seed);
    for (let k = 0; k < v.length; k++) v[k] = 2 * random() - 1;
    return v;
  }
  for (let i = 0; i < n; i++) {
    const sign = pattern === 'alternating' && i % 2 === 1 ? -1 : 1;
    if (size === 1) {
      v[i] = sign;
    } else if (pattern === 'uniform') {
      v[i * size] = 1;
    } else {
      v[i * size] = -sign * positions[3 * i + 1];
      v[i * size + 1] = sign * positions[3 * i];
    }
  }
  return v;
}
