// Configurations the tree tests (CPU and GPU) share.
import { geometry, type Configuration } from '../../src/physics/geometry.ts';

/**
 * A dense lump beside sparse electrons: `share` of them in a ball (or disk) of radius 0.01 about
 * (0.4, 0.3, z), the rest spread over the unit ball (or disk), so the tree is deep on one side only.
 */
export function clustered(n: number, planar: boolean, share = 0.75): Configuration {
  const lump = Math.round(share * n);
  const sparse = geometry(planar ? 'disk' : 'ball', n - lump).positions;
  const dense = geometry(planar ? 'disk' : 'ball', lump).positions;
  const positions = new Float64Array(3 * n);
  positions.set(sparse);
  for (let k = 0; k < 3 * lump; k++) {
    const centre = [0.4, 0.3, planar ? 0 : 0.2][k % 3];
    positions[3 * (n - lump) + k] = centre + 0.01 * dense[k];
  }
  return { n, positions, source: planar ? 'clustered disk' : 'clustered ball' };
}
