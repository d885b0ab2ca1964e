// The two ways of looking at the electrons: an orbit camera about a target for 3D configurations
// (z up, the axis of the azimuthal model's rotation) and a pan/zoom orthographic view of the xy plane
// for planar ones. Both give the clip-from-world matrix the render shader takes (wgpu-matrix's
// projections already map depth to WebGPU's [0, 1]). Both scale the view by the canvas's shorter
// side, so that a framed configuration fits a tall canvas as well as a wide one, and still does after
// a resize.
import { mat4, vec3, type Mat4 } from 'wgpu-matrix';

export type ViewMode = '3d' | '2d';

/** What a pointer gesture asks of a camera, in CSS pixels of a canvas `width` by `height`. */
export interface Camera {
  /** In any pixels (the view passes the drawing buffer's): only the canvas's shape matters. */
  viewProjection(width: number, height: number): Mat4;
  /** A drag by (dx, dy); `pan` for the secondary button or a modifier key. */
  drag(dx: number, dy: number, pan: boolean, width: number, height: number): void;
  /** Wheel zoom by `factor` (> 1 zooms out) about the pointer at (x, y) from the canvas centre. */
  zoom(factor: number, x: number, y: number, width: number, height: number): void;
  /** Frames a configuration of the given centre and radius. */
  frame(centre: readonly number[], radius: number): void;
  /** Screen pixels per world unit (R) at the target. */
  pixelsPerUnit(width: number, height: number): number;
}

/** The canvas's shorter side, pixels: what the field of view or the plane's span fits. */
function shorterSide(width: number, height: number): number {
  return Math.max(Math.min(width, height), 1);
}

/** The field of view across the canvas's shorter side. */
const kFieldOfView = (40 * Math.PI) / 180;
const kMaxPitch = (89 * Math.PI) / 180;

export class OrbitCamera implements Camera {
  target = [0, 0, 0];
  distance = 3.5;
  /** Azimuth of the eye about z and its elevation above the xy plane, radians. */
  yaw = (-70 * Math.PI) / 180;
  pitch = (25 * Math.PI) / 180;
  #radius = 1;

  viewProjection(width: number, height: number): Mat4 {
    const eye = [
      this.target[0] + this.distance * Math.cos(this.pitch) * Math.cos(this.yaw),
      this.target[1] + this.distance * Math.cos(this.pitch) * Math.sin(this.yaw),
      this.target[2] + this.distance * Math.sin(this.pitch),
    ];
    // Near and far bracket the configuration's sphere, so depth precision is spent on it.
    const near = Math.max(this.distance - 2 * this.#radius, this.distance * 1e-3);
    const far = this.distance + 2 * this.#radius;
    // The vertical field of view that makes kFieldOfView span the shorter side.
    const fieldOfViewY = 2 * Math.atan((Math.tan(kFieldOfView / 2) * height) / shorterSide(width, height));
    const projection = mat4.perspective(fieldOfViewY, width / Math.max(height, 1), near, far);
    return mat4.multiply(projection, mat4.lookAt(eye, this.target, [0, 0, 1]));
  }

  drag(dx: number, dy: number, pan: boolean, width: number, height: number): void {
    if (!pan) {
      this.yaw -= dx * 0.008;
      this.pitch = Math.min(kMaxPitch, Math.max(-kMaxPitch, this.pitch + dy * 0.008));
      return;
    }
    // Move the target in the view plane by the world distance one pixel spans at the target.
    const perPixel = 1 / this.pixelsPerUnit(width, height);
    const forward = vec3.normalize([
      -Math.cos(this.pitch) * Math.cos(this.yaw),
      -Math.cos(this.pitch) * Math.sin(this.yaw),
      -Math.sin(this.pitch),
    ]);
    const right = vec3.normalize(vec3.cross(forward, [0, 0, 1]));
    const up = vec3.cross(right, forward);
    for (let k = 0; k < 3; k++) this.target[k] += (-dx * right[k] + dy * up[k]) * perPixel;
  }

  pixelsPerUnit(width: number, height: number): number {
    return shorterSide(width, height) / (2 * this.distance * Math.tan(kFieldOfView / 2));
  }

  zoom(factor: number): void {
    this.distance = Math.min(1e3 * this.#radius, Math.max(1e-3 * this.#radius, this.distance * factor));
  }

  frame(centre: readonly number[], radius: number): void {
    this.#radius = radius > 0 ? radius : 1;
    this.target = [...centre];
    this.distance = (1.25 * this.#radius) / Math.sin(kFieldOfView / 2);
  }
}

export class PlaneCamera implements Camera {
  centre = [0, 0];
  /** Half the visible extent across the canvas's shorter side, units of R. */
  halfSpan = 1.2;
  #depth = 1;

  viewProjection(width: number, height: number): Mat4 {
    const perPixel = 1 / this.pixelsPerUnit(width, height);
    const halfWidth = (perPixel * Math.max(width, 1)) / 2;
    const halfHeight = (perPixel * Math.max(height, 1)) / 2;
    const [x, y] = this.centre;
    return mat4.ortho(
      x - halfWidth,
      x + halfWidth,
      y - halfHeight,
      y + halfHeight,
      -this.#depth,
      this.#depth,
    );
  }

  drag(dx: number, dy: number, _pan: boolean, width: number, height: number): void {
    const perPixel = 1 / this.pixelsPerUnit(width, height);
    this.centre = [this.centre[0] - dx * perPixel, this.centre[1] + dy * perPixel];
  }

  /** Zooms about the pointer: the world point under it stays under it. */
  zoom(factor: number, x: number, y: number, width: number, height: number): void {
    const perPixel = 1 / this.pixelsPerUnit(width, height);
    const worldX = this.centre[0] + x * perPixel;
    const worldY = this.centre[1] - y * perPixel;
    this.halfSpan *= factor;
    const after = 1 / this.pixelsPerUnit(width, height);
    this.centre = [worldX - x * after, worldY + y * after];
  }

  pixelsPerUnit(width: number, height: number): number {
    return shorterSide(width, height) / (2 * this.halfSpan);
  }

  frame(centre: readonly number[], radius: number): void {
    const r = radius > 0 ? radius : 1;
    this.centre = [centre[0], centre[1]];
    this.halfSpan = 1.15 * r;
    // Every z of a planar configuration is 0; the depth range only has to contain the arrows.
    this.#depth = 10 * r;
  }
}

/** Centre (of the bounding box) and the radius of the sphere about it holding every electron. */
export function bounds(positions: Float64Array, n: number): { centre: number[]; radius: number } {
  const low = [Infinity, Infinity, Infinity];
  const high = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 3; k++) {
      low[k] = Math.min(low[k], positions[3 * i + k]);
      high[k] = Math.max(high[k], positions[3 * i + k]);
    }
  }
  if (n === 0) return { centre: [0, 0, 0], radius: 1 };
  const centre = low.map((l, k) => (l + high[k]) / 2);
  let radius2 = 0;
  for (let i = 0; i < n; i++) {
    let d2 = 0;
    for (let k = 0; k < 3; k++) d2 += (positions[3 * i + k] - centre[k]) ** 2;
    radius2 = Math.max(radius2, d2);
  }
  return { centre, radius: Math.sqrt(radius2) || 1 };
}

/**
 * The typical distance between neighbouring electrons: the median, over up to 48 electrons spread
 * through the index range, of the distance to the nearest other electron (O(48 N), not O(N^2)).
 * The view sizes its discs by it, which fits rings, surfaces and volumes alike.
 */
export function typicalSpacing(positions: Float64Array, n: number): number {
  if (n < 2) return 1;
  const samples = Math.min(n, 48);
  const nearest: number[] = [];
  for (let s = 0; s < samples; s++) {
    const i = Math.floor((s * n) / samples);
    let best = Infinity;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const dx = positions[3 * i] - positions[3 * j];
      const dy = positions[3 * i + 1] - positions[3 * j + 1];
      const dz = positions[3 * i + 2] - positions[3 * j + 2];
      const d2 = dx * dx + dy * dy + dz * dz;
      if (d2 > 0 && d2 < best) best = d2;
    }
    if (Number.isFinite(best)) nearest.push(Math.sqrt(best));
  }
  if (nearest.length === 0) return 1;
  nearest.sort((a, b) => a - b);
  return nearest[Math.floor(nearest.length / 2)];
}
