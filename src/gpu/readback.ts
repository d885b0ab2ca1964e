// Reading GPU buffers back to the host: copy into a MAP_READ staging buffer, map it, and copy the
// mapped range out with .slice() before unmap() (unmap detaches the mapped ArrayBuffer).
import { createBuffer } from './buffers.ts';

/** Bytes [byteOffset, byteOffset + byteLength) of `source`, which needs COPY_SRC usage. */
export async function readBuffer(
  device: GPUDevice,
  source: GPUBuffer,
  byteLength = source.size,
  byteOffset = 0,
): Promise<ArrayBuffer> {
  // copyBufferToBuffer moves multiples of 4 bytes from 4-aligned offsets.
  const size = Math.ceil(byteLength / 4) * 4;
  const staging = createBuffer(device, {
    label: 'Readback.staging',
    size,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  try {
    const encoder = device.createCommandEncoder({ label: 'Readback.encoder' });
    encoder.copyBufferToBuffer(source, byteOffset, staging, 0, size);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const bytes = staging.getMappedRange().slice(0, byteLength);
    staging.unmap();
    return bytes;
  } finally {
    staging.destroy();
  }
}

/** The first `count` float32 entries of `source` (default: all of it). */
export async function readFloat32(
  device: GPUDevice,
  source: GPUBuffer,
  count = source.size / 4,
): Promise<Float32Array> {
  return new Float32Array(await readBuffer(device, source, 4 * count));
}
