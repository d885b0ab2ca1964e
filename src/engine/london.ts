// The GPU Biot-Savart operator: the field of moving electrons (a rotating body of the London study,
// src/physics/london.ts, or the response study's induced currents) summed over any set of points by
// src/kernels/biot-savart.ts (float32). The studies around it, and their float64 counterparts, are
// src/studies/london/run.ts's and src/studies/response/run.ts's.
import type { GpuContext } from '../gpu/device.ts';
import { GpuBiotSavart } from '../kernels/biot-savart.ts';
import { checkFloat32FieldSum } from '../physics/float32.ts';
import type { LondonBody } from '../physics/london.ts';

/**
 * The reduced field (b of reducedField: B / (mu0/4pi), unit charge) of `body`'s electrons moving
 * with its velocities at `points` (xyz triples) on the GPU of `context`, as xyz triples.
 */
export function gpuReducedField(
  context: GpuContext,
  body: LondonBody,
  points: Float64Array,
): Promise<Float64Array> {
  return gpuMovingChargesField(context, body.configuration.positions, body.velocities, points);
}

/**
 * The reduced field of unit charges at `positions` moving with `velocities` (xyz triples) at
 * `points` (xyz triples), as xyz triples; upload, pipeline and readback included. A charge on a
 * field point is an InputError (GpuBiotSavart.field).
 */
export async function gpuMovingChargesField(
  context: GpuContext,
  positions: Float64Array,
  velocities: Float64Array,
  points: Float64Array,
): Promise<Float64Array> {
  checkFloat32FieldSum(positions, points);
  const gpu = await GpuBiotSavart.create(context, { positions, velocities, charge: 1 });
  let raw: Float32Array;
  try {
    raw = await gpu.field(points);
  } finally {
    gpu.destroy();
  }
  const field = new Float64Array(points.length);
  for (let p = 0; p < points.length / 3; p++) {
    for (let c = 0; c < 3; c++) field[3 * p + c] = raw[4 * p + c];
  }
  return field;
}
