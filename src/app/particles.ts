// From a system's unknowns to what the renderer draws: one position, velocity and momentum per
// electron as 3-vectors. The azimuthal model's unknowns are angular: phidot_i and J_i (eq. 47/48). As
// vectors along e_phi they are v_i = rho_i phidot_i e_phi = phidot_i (-y_i, x_i, 0) and, with
// J_i = rho_i p_phi,i, p_i = (J_i / rho_i) e_phi = (J_i / rho_i^2)(-y_i, x_i, 0), so that p - v is
// the Darwin contribution in the same units as in the vector model. A response run's induced speeds
// ride along as one scalar per electron.
import { kParticleFloats, type RenderQuantity } from '../kernels/render.ts';
import { blockSize, cylindricalRadiusSquared, type DarwinSystem } from '../physics/models.ts';

/**
 * Positions, and velocities and momenta where known (else zero), packed for ParticleRenderer; `speeds`,
 * one induced |v_i| per electron from a response run, go into the positions' w.
 */
export function packParticles(
  system: DarwinSystem,
  velocities: Float64Array | null,
  momenta: Float64Array | null,
  speeds: Float64Array | null = null,
): Float32Array {
  const { n, positions } = system.configuration;
  const size = blockSize(system);
  const out = new Float32Array(n * kParticleFloats);
  for (let i = 0; i < n; i++) {
    const o = i * kParticleFloats;
    const x = positions[3 * i];
    const y = positions[3 * i + 1];
    out[o] = x;
    out[o + 1] = y;
    out[o + 2] = positions[3 * i + 2];
    if (speeds) out[o + 3] = speeds[i];
    const write = (values: Float64Array | null, offset: number, angular: 'velocity' | 'momentum') => {
      if (!values) return;
      if (size === 1) {
        const scale = angular === 'velocity' ? values[i] : values[i] / cylindricalRadiusSquared(positions, i);
        out[o + offset] = -y * scale;
        out[o + offset + 1] = x * scale;
        return;
      }
      for (let k = 0; k < size; k++) out[o + offset + k] = values[i * size + k];
    };
    write(velocities, 4, 'velocity');
    write(momenta, 8, 'momentum');
  }
  return out;
}

function magnitude(particles: Float32Array, i: number, quantity: RenderQuantity): number {
  const o = i * kParticleFloats;
  if (quantity === 'current') return particles[o + 3];
  let sum = 0;
  for (let k = 0; k < 3; k++) {
    const v = particles[o + 4 + k];
    const p = particles[o + 8 + k];
    const component = quantity === 'velocity' ? v : quantity === 'momentum' ? p : p - v;
    sum += component * component;
  }
  return Math.sqrt(sum);
}

/**
 * The range of |quantity| over the electrons, widened around a constant value (a uniform
 * translation has one speed) so that the shader's division stays finite and the colour mid-range.
 */
export function quantityRange(
  particles: Float32Array,
  n: number,
  quantity: RenderQuantity,
): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const m = magnitude(particles, i, quantity);
    min = Math.min(min, m);
    max = Math.max(max, m);
  }
  if (!(max > min)) {
    const centre = Number.isFinite(min) ? min : 0;
    const half = Math.max(Math.abs(centre) * 1e-3, 1e-30);
    return { min: centre - half, max: centre + half };
  }
  return { min, max };
}
