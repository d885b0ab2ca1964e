// The canvas's renderer (src/kernels/render.ts, shaders/render.wgsl) on the device: each disc is
// drawn where its electron is, at one in discStride exactly the electrons drawnElectron (the host's
// mirror of the shader's pick) names, each arrow at the electron arrowElectron names, into a
// single-sampled target (a CPU adapter's) as into a 4x multisampled one resolved into it (a GPU's).
import { describe, expect } from 'vitest';
import { viridisTable } from '../src/app/colour.ts';
import { createBuffer } from '../src/gpu/buffers.ts';
import { readBuffer } from '../src/gpu/readback.ts';
import {
  arrowElectron,
  drawnElectron,
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
/**
 * 14 electrons at pixel centres (column, row), 8 px apart in a row of 8 and one of 6: blocks of 3, 4
 * and 5 leave a shorter last block. The view-projection is the identity, so that clip space is the
 * target's.
 */
const kPixels = Array.from({ length: 14 }, (_, i) => [4 + 8 * (i % 8), i < 8 ? 20 : 52]);
const kCount = kPixels.length;
const kIdentity = new Float32Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
/** Each electron's velocity points up the target by kArrowPixels; its arrow's shaft is sampled halfway. */
const kArrowPixels = 12;
const kShaftPixels = 5;

interface Frame {
  /** The red channel at the pixel under each electron: 0 where no disc was drawn there. */
  readonly discs: number[];
  /** Whether the pixel kShaftPixels above each electron, on its arrow's shaft, was drawn. */
  readonly arrows: boolean[];
}

async function drawn(
  device: GPUDevice,
  sampleCount: number,
  discStride: number,
  arrowStride: number | null,
): Promise<Frame> {
  const renderer = new ParticleRenderer(device, kFormat, viridisTable(), sampleCount);
  const particles = new Float32Array(kCount * kParticleFloats);
  // Clip x of column c is (c + 1/2) / 32 - 1, clip y of row r is 1 - (r + 1/2) / 32.
  kPixels.forEach(([column, row], i) => {
    particles.set([(column + 0.5) / 32 - 1, 1 - (row + 0.5) / 32, 0], i * kParticleFloats);
    particles.set([0, kArrowPixels / 32, 0], i * kParticleFloats + 4);
  });
  renderer.setParticles(particles, kCount);
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
      pointPixels: 4,
      arrowScale: 1,
      colourMin: 0,
      colourMax: 1,
      colourBy: 'none',
      arrowOf: arrowStride ? 'velocity' : 'none',
      discStride,
      arrowStride: arrowStride ?? discStride,
      shaded: false,
      count: kCount,
    },
    kBackground,
  );
  encoder.copyTextureToBuffer({ texture: canvas }, { buffer: pixels, bytesPerRow: kSide * 4 }, size);
  device.queue.submit([encoder.finish()]);
  const bytes = new Uint8Array(await readBuffer(device, pixels));
  for (const resource of [renderer, canvas, colour, depth, pixels]) resource?.destroy();
  const red = (column: number, row: number) => bytes[4 * (row * kSide + column)];
  return {
    discs: kPixels.map(([column, row]) => red(column, row)),
    arrows: kPixels.map(([column, row]) => red(column, row - kShaftPixels) > 0),
  };
}

/** Whether each electron is one of `picked`. */
function marks(picked: number[]): boolean[] {
  return Array.from({ length: kCount }, (_, i) => picked.includes(i));
}

describe('the renderer on the device', () => {
  for (const sampleCount of [1, 4]) {
    gpu.test(`${sampleCount} sample(s) a pixel: every disc, then one of each 2 to 5`, async ({ device }) => {
      // kPlainColour's red, 0.72, as 8 bits: the uncoloured electrons' discs.
      const plain = Math.round(0.72 * 255);
      expect((await drawn(device, sampleCount, 1, null)).discs).toEqual(new Array(kCount).fill(plain));
      for (const stride of [2, 3, 4, 5]) {
        const picked = Array.from({ length: Math.ceil(kCount / stride) }, (_, block) =>
          drawnElectron(block, stride, kCount),
        );
        const expected = marks(picked).map((disc) => (disc ? plain : 0));
        expect((await drawn(device, sampleCount, stride, null)).discs, `1 in ${stride}`).toEqual(expected);
      }
    });

    gpu.test(
      `${sampleCount} sample(s) a pixel: an arrow at each electron arrowElectron names`,
      async ({ device }) => {
        for (const [discStride, arrowStride] of [
          [1, 1],
          [1, 3],
          [2, 4],
          [3, 6],
        ]) {
          const picked = Array.from({ length: Math.ceil(kCount / arrowStride) }, (_, block) =>
            arrowElectron(block, discStride, arrowStride, kCount),
          );
          const { arrows } = await drawn(device, sampleCount, discStride, arrowStride);
          expect(arrows, `arrows 1 in ${arrowStride}, discs 1 in ${discStride}`).toEqual(marks(picked));
        }
      },
    );
  }
});
