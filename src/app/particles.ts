// From a system's unknowns to what the renderer draws: one position, velocity and momentum per
// electron as 3-vectors. The azimuthal model's unknowns are angular: phidot_i and J_i (eq. 47/48). As
// vectors along e_phi they are v_i = rho_i phidot_i e_phi = phidot_i (-y_i, x_i, 0) and, with
// J_i = rho_i p_phi,i, p_i = (J_i / rho_i) e_phi = (J_i / rho_i^2)(-y_i, x_i, 0), so that p - v is
// the Darwin contribution in the same units as in the vector model. A response run's induced speeds
// ride along as one scalar per electron. The colour range and the arrows' scale come from the packed
// float32 values, and tell a quantity's structure from its rounding.
import { kParticleFloats, type RenderQuantity } from '../kernels/render.ts';
import { blockSize, cylindricalRadiusSquared, type DarwinSystem } from '../physics/models.ts';
import { kColourMapSize, kUniformEntry } from './colour.ts';

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

/**
 * Below this fraction of its scale, a spread or a magnitude of a quantity is float32 rounding, not
 * structure: the particles are float32 (relative rounding 6e-8 per component) and the GPU's momenta
 * carry a few 1e-7, so 1e-5 keeps a hundredfold margin above the noise and still resolves any real
 * pattern the float32 solve could have computed.
 */
export const kRoundingNoise = 1e-5;

function norm(particles: Float32Array, o: number, which: 'velocity' | 'momentum' | 'darwin'): number {
  let sum = 0;
  for (let k = 0; k < 3; k++) {
    const v = particles[o + 4 + k];
    const p = particles[o + 8 + k];
    const component = which === 'velocity' ? v : which === 'momentum' ? p : p - v;
    sum += component * component;
  }
  return Math.sqrt(sum);
}

/** A quantity that has a value per electron (colour) or a vector (arrow). */
export type ShownQuantity = Exclude<RenderQuantity, 'none'>;

/** The smallest and largest |quantity| over the electrons, and the scale its rounding is relative to. */
interface Extent {
  readonly low: number;
  readonly high: number;
  readonly scale: number;
}

/**
 * |v|, |p| and the induced |v_i| are each rounded relative to themselves, so each is its own scale.
 * p - v is the difference of two float32 vectors of size |p| ~ |v|: its rounding is relative to
 * them however small p - v is (with ε = 0, M = I and p - v is nothing but that rounding), so its
 * scale is the larger of |p| and |v|.
 */
function extent(particles: Float32Array, n: number, quantity: ShownQuantity): Extent {
  let low = Infinity;
  let high = 0;
  let related = 0;
  for (let i = 0; i < n; i++) {
    const o = i * kParticleFloats;
    const value = quantity === 'current' ? particles[o + 3] : norm(particles, o, quantity);
    if (quantity === 'darwin') {
      related = Math.max(related, norm(particles, o, 'velocity'), norm(particles, o, 'momentum'));
    }
    low = Math.min(low, value);
    high = Math.max(high, value);
  }
  if (n === 0) low = 0;
  return { low, high, scale: quantity === 'darwin' ? related : high };
}

/** What the colour map spans: colourMax > colourMin always, so that the shader's division stays finite. */
export interface ColourRange {
  readonly min: number;
  readonly max: number;
  /**
   * The one value every electron has, where their spread is rounding (a uniform translation has one
   * speed); 0 where that value is itself rounding of the scale. Null for a quantity that varies.
   */
  readonly uniform: number | null;
}

/**
 * The range of |quantity| over the electrons. Spread over the whole map, rounding noise would show a
 * pattern that is not there: a spread within rounding of the quantity's scale gets a range 2 scale
 * wide that puts the value on kUniformEntry, so that the noise moves no electron's t (size - 1),
 * which the shader rounds to an entry, by more than 1e-3 of an entry.
 */
export function quantityRange(particles: Float32Array, n: number, quantity: ShownQuantity): ColourRange {
  const { low, high, scale } = extent(particles, n, quantity);
  if (high - low > kRoundingNoise * scale) return { min: low, max: high, uniform: null };
  const centre = (low + high) / 2;
  const width = Math.max(2 * scale, 1e-30);
  const min = centre - (kUniformEntry / (kColourMapSize - 1)) * width;
  return {
    min,
    max: min + width,
    uniform: Math.abs(centre) > kRoundingNoise * scale ? centre : 0,
  };
}

/**
 * World length per unit of the arrow quantity: the longest arrow is `longest`. Zero (no arrows) where
 * even the largest is rounding of its scale, since scaling that up would draw noise as a field.
 */
export function arrowScale(
  particles: Float32Array,
  n: number,
  quantity: Exclude<ShownQuantity, 'current'>,
  longest: number,
): number {
  const { high, scale } = extent(particles, n, quantity);
  return high > kRoundingNoise * scale ? longest / high : 0;
}
