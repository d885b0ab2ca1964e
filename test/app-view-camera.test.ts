// The canvas's cameras (src/app/camera.ts): a framed configuration fits the canvas whatever its
// shape (the stage is often taller than wide), and a pointer's zoom keeps the point under it.
import { describe, expect, test } from 'vitest';
import { vec3 } from 'wgpu-matrix';
import { OrbitCamera, PlaneCamera, type Camera } from '../src/app/camera.ts';

/** Canvases, pixels: the app's stage at 1400 x 880 (taller than wide), a wide one and a narrow one. */
const kCanvases = [
  [730, 830],
  [1250, 700],
  [400, 900],
] as const;
/**
 * The framed configuration's extent across the canvas, at most: the margin keeps the discs drawn at
 * the outermost electrons (several pixels wide) whole.
 */
const kFramed = 0.9;

/** Points on the sphere (the circle, in the plane) of radius `radius` about `centre`. */
function surface(centre: readonly number[], radius: number, planar: boolean): number[][] {
  const count = 2000;
  return Array.from({ length: count }, (_, i) => {
    const z = planar ? 0 : 1 - (2 * (i + 0.5)) / count;
    const rho = Math.sqrt(1 - z * z);
    const phi = i * (planar ? (2 * Math.PI) / count : Math.PI * (3 - Math.sqrt(5)));
    return [rho * Math.cos(phi), rho * Math.sin(phi), z].map((x, k) => centre[k] + radius * x);
  });
}

/** The largest |x| and |y| of the points in normalised device coordinates (the canvas is [-1, 1]^2). */
function extentOnCanvas(camera: Camera, points: number[][], width: number, height: number): number[] {
  const matrix = camera.viewProjection(width, height);
  const extent = [0, 0];
  for (const point of points) {
    const ndc = vec3.transformMat4(point, matrix);
    extent[0] = Math.max(extent[0], Math.abs(ndc[0]));
    extent[1] = Math.max(extent[1], Math.abs(ndc[1]));
  }
  return extent;
}

describe('framing fits the configuration to the canvas across its shorter side', () => {
  const centre = [0.3, -0.2, 0];
  const radius = 2;
  for (const [width, height] of kCanvases) {
    test(`2D, ${width} x ${height}: a ring fits both ways and fills the shorter side`, () => {
      const camera = new PlaneCamera();
      camera.frame(centre, radius);
      const [x, y] = extentOnCanvas(camera, surface(centre, radius, true), width, height);
      expect(Math.max(x, y)).toBeLessThan(kFramed);
      // Framed, not lost in the middle: the ring spans most of the shorter side.
      expect(width < height ? x : y).toBeGreaterThan(0.8);
    });

    test(`3D, ${width} x ${height}: a sphere fits both ways and fills the shorter side`, () => {
      const camera = new OrbitCamera();
      camera.frame(centre, radius);
      const [x, y] = extentOnCanvas(camera, surface(centre, radius, false), width, height);
      expect(Math.max(x, y)).toBeLessThan(kFramed);
      expect(width < height ? x : y).toBeGreaterThan(0.6);
    });
  }
});

describe('the 2D view on a tall canvas', () => {
  test('zooming about the pointer keeps the world point under it, and pixelsPerUnit is the drawn scale', () => {
    const [width, height] = [400, 900];
    const camera = new PlaneCamera();
    camera.frame([0, 0, 0], 1);
    // The pointer 120 px right of and 300 px below the centre; world y grows upwards.
    const [px, py] = [120, 300];
    const toWorld = () => {
      const perPixel = 1 / camera.pixelsPerUnit(width, height);
      return [camera.centre[0] + px * perPixel, camera.centre[1] - py * perPixel];
    };
    const before = toWorld();
    // The world point under the pointer, by the projection: its device coordinates are the pointer's.
    const ndc = vec3.transformMat4([...before, 0], camera.viewProjection(width, height));
    expect(ndc[0]).toBeCloseTo((2 * px) / width, 6);
    expect(ndc[1]).toBeCloseTo((-2 * py) / height, 6);
    camera.zoom(0.5, px, py, width, height);
    const after = toWorld();
    expect(after[0]).toBeCloseTo(before[0], 12);
    expect(after[1]).toBeCloseTo(before[1], 12);
  });
});
