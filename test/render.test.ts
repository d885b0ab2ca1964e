// The canvas's renderer (src/kernels/render.ts, shaders/render.wgsl) on the device: each disc is
// drawn where its electron is, every discStride-th electron only, into a single-sampled target (a CPU
// adapter's) as into a 4x multisampled one resolved into it (a GPU's).
import { describe, expect } from 'vitest';
import { viridisTable } from '../src/app/colour.ts';
import { createBuffer } from '../src/gpu/buffers.ts';
import { readBuffer } from '../src/gpu/readback.ts';
import {
  kParticleFloats,
  kRenderDepthFormat,
  ParticleRenderer,
  type RenderTarget,
} from '../src/kernels/render.ts';
import { gpuHarness } from './helpers/gpu.ts';

const gpu = gpuHarness(60_000);

/** A square target of 64 pixels a side: 256 bytes a row, as copyTextureToBuffer wants. */
const kSide = 64;
const kFormat: GPUTextureFormat = 'rgba8unorm';
const kBackground = { r: 0, g: 0, b: 0, a: 1 };
/** Electrons at the corners of a square in clip space (the view-projection is the identity). */
const kCorners = [
  [-0.5, -0.5],
  [0.5, -0.5],
  [0.5, 0.5],
  [-0.5, 0.5],
];
const kIdentity = new Float32Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);

/** The red channel at the pixel under each electron: 0 where nothing was drawn there. */
async function drawnAt(device: GPUDevice, sampleCount: number, discStride: number): Promise<number[]> {
  const renderer = new ParticleRenderer(device, kFormat, viridisTable(), sampleCount);
  const particles = new Float32Array(kCorners.length * kParticleFloats);
  kCorners.forEach(([x, y], i) => particles.set([x, y, 0], i * kParticleFloats));
  renderer.setParticles(particles, kCorners.length);
  const size = { width: kSide, height: kSide };
  const usage = GPUTextureUsage.RENDER_ATTACHMENT;
  const canvas = device.createTexture({
    label: 'Test.canvas',
    size,
    format: kFormat,
    usage: usage | GPUTextureUsage.COPY_SRC,
  });
  const colour =
    sampleCount > 1
      ? device.createTexture({ label: 'Test.colour', size, format: kFormat, sampleCount, usage })
      : null;
  const depth = device.createTexture({
    label: 'Test.depth',
    size,
    format: kRenderDepthFormat,
    sampleCount,
    usage,
  });
  const target: RenderTarget = colour
    ? { colour: colour.createView(), resolve: canvas.createView(), depth: depth.createView() }
    : { colour: canvas.createView(), depth: depth.createView() };
  const pixels = createBuffer(device, {
    label: 'Test.pixels',
    size: kSide * kSide * 4,
    usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
  });
  const encoder = device.createCommandEncoder({ label: 'Test.encoder' });
  renderer.record(
    encoder,
    target,
    {
      viewProjection: kIdentity,
      viewportPixels: [kSide, kSide],
      pointPixels: 8,
      arrowScale: 0,
      colourMin: 0,
      colourMax: 1,
      colourBy: 'none',
      arrowOf: 'none',
      discStride,
      arrowStride: discStride,
      shaded: false,
      count: kCorners.length,
    },
    kBackground,
  );
  encoder.copyTextureToBuffer({ texture: canvas }, { buffer: pixels, bytesPerRow: kSide * 4 }, size);
  device.queue.submit([encoder.finish()]);
  const bytes = new Uint8Array(await readBuffer(device, pixels));
  for (const resource of [renderer, canvas, colour, depth, pixels]) resource?.destroy();
  // Clip (x, y) is pixel ((x + 1) / 2, (1 - y) / 2) of the side.
  return kCorners.map(([x, y]) => {
    const column = Math.floor(((x + 1) / 2) * kSide);
    const row = Math.floor(((1 - y) / 2) * kSide);
    return bytes[4 * (row * kSide + column)];
  });
}

describe('the renderer on the device', () => {
  for (const sampleCount of [1, 4]) {
    gpu.test(`${sampleCount} sample(s) a pixel: every disc, then every second one`, async ({ device }) => {
      // kPlainColour's red, 0.72, as 8 bits: the uncoloured electrons' discs.
      const plain = Math.round(0.72 * 255);
      expect(await drawnAt(device, sampleCount, 1)).toEqual([plain, plain, plain, plain]);
      expect(await drawnAt(device, sampleCount, 2)).toEqual([plain, 0, plain, 0]);
      expect(await drawnAt(device, sampleCount, 3)).toEqual([plain, 0, 0, plain]);
    });
  }
});
