// The London study's GPU operator: the Biot-Savart field of a rotating body (src/physics/london.ts)
// summed over any set of points by src/kernels/biot-savart.ts (float32). The study around it, and its
// float64 counterpart, are src/studies/london/run.ts's.
import type { GpuContext } from '../gpu/device.ts';
import { GpuBiotSavart } from '../kernels/biot-savart.ts';
import type { LondonBody } from '../physics/london.ts';

/**
 * The reduced field (b of reducedField: B / (mu0/4pi), unit charge) of `body` at `points` (xyz
 * triples) on the GPU of `context`, as xyz triples; upload, pipeline and readback included.
 */
export async function gpuReducedField(
  context: GpuContext,
  body: LondonBody,
  points: Float64Array,
): Promise<Float64Array> {
  const gpu = await GpuBiotSavart.create(context, {
    positions: body.configuration.positions,
    velocities: body.velocities,
    charge: 1,
  });
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
