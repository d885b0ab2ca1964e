// What the canvas colours by (src/app/particles.ts, shaders/render.wgsl): a response run's induced
// speeds |v_i| ride in each position's w, `current` reads them there and nowhere else, and the shader's
// quantity codes are the TypeScript ones; a quantity uniform to float32 rounding is one colour, and an
// arrow field of rounding noise draws no arrows; past a CPU adapter's draw budget one electron of each
// s consecutive is drawn, picked by a hash, spread over the configuration as all of them are and, on a
// golden-angle spiral, with none of the spiral's period that every s-th electron has; the legend of
// the induced speeds names the unit of the run's drive; the view and its legend are named in words.
import { describe, expect, test } from 'vitest';
import { kColourMapSize, kUniformEntry, legendText } from '../src/app/colour.ts';
import { legendTitle, viewName } from '../src/app/view.ts';
import { kDriveVelocityUnits } from '../src/physics/response.ts';
import { kCpuDrawBudget } from '../src/gpu/profile.ts';
import { arrowScale, packParticles, quantityRange, type ColourRange } from '../src/app/particles.ts';
import { kShaderSources } from '../src/gpu/shaders.ts';
import {
  arrowElectron,
  drawnElectron,
  drawStride,
  kParticleFloats,
  kQuantityCodes,
  packRenderParams,
} from '../src/kernels/render.ts';
import { geometry, kGeometryNames } from '../src/physics/geometry.ts';
import type { DarwinSystem } from '../src/physics/models.ts';

const system: DarwinSystem = {
  configuration: geometry('ring', 4),
  model: 'vector',
  dim: 3,
  epsilon: 0.01,
  softening: 0,
};

describe('colour by induced current', () => {
  test("the speeds go into the positions' w and set the current's range; the vectors stay as they were", () => {
    const velocities = Float64Array.from({ length: 12 }, (_, k) => k - 5);
    const speeds = Float64Array.of(0.25, 1.5, 0.75, 3);
    const plain = packParticles(system, velocities, null);
    const coloured = packParticles(system, velocities, null, speeds);
    for (let i = 0; i < 4; i++) {
      const o = i * kParticleFloats;
      expect(plain[o + 3]).toBe(0);
      expect(coloured[o + 3]).toBe(speeds[i]);
      expect([...coloured.subarray(o, o + 3)]).toEqual([...plain.subarray(o, o + 3)]);
      expect([...coloured.subarray(o + 4, o + 12)]).toEqual([...plain.subarray(o + 4, o + 12)]);
    }
    expect(quantityRange(coloured, 4, 'current')).toEqual({ min: 0.25, max: 3, uniform: null });
    // |v| of the same particles is the velocities', untouched by the speeds.
    const speed = (i: number) => Math.hypot(...velocities.subarray(3 * i, 3 * i + 3));
    expect(quantityRange(coloured, 4, 'velocity').max).toBeCloseTo(Math.max(...[0, 1, 2, 3].map(speed)), 5);
  });

  test('the WGSL quantity constants are kQuantityCodes', () => {
    const names = {
      none: 'kNone',
      velocity: 'kVelocity',
      momentum: 'kMomentum',
      darwin: 'kDarwin',
      current: 'kCurrent',
    };
    for (const [quantity, code] of Object.entries(kQuantityCodes)) {
      const constant = names[quantity as keyof typeof names];
      const match = new RegExp(`const ${constant} = (\\d+)u;`).exec(kShaderSources.render);
      expect(match?.[1], constant).toBe(String(code));
    }
  });
});

/** The colour-map entry the render shader gives a value: round(clamp(t) (size - 1)), in float32. */
function entryOf(value: number, range: ColourRange): number {
  const f = Math.fround;
  const t = f(f(f(value) - f(range.min)) / f(f(range.max) - f(range.min)));
  return Math.round(Math.min(1, Math.max(0, t)) * (kColourMapSize - 1));
}

/** |velocity| (offset 4), |momentum| (8) or |p - v| of each packed electron, as the shader takes them. */
function magnitudes(particles: Float32Array, n: number, of: 'velocity' | 'momentum' | 'darwin'): number[] {
  return Array.from({ length: n }, (_, i) => {
    const o = i * kParticleFloats;
    const component = (k: number) =>
      of === 'velocity'
        ? particles[o + 4 + k]
        : of === 'momentum'
          ? particles[o + 8 + k]
          : particles[o + 8 + k] - particles[o + 4 + k];
    return Math.hypot(component(0), component(1), component(2));
  });
}

/** A reproducible relative float32-sized error in [-2e-7, 2e-7] per call (what the GPU's p = M v carries). */
function roundingNoise(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state / 2 ** 32 - 0.5) * 4e-7;
  };
}

describe('a quantity uniform to float32 rounding is one colour, and rounding draws no arrows', () => {
  const n = 300;
  const sphere: DarwinSystem = { ...system, configuration: geometry('sphere', n), epsilon: 0 };
  // A uniform translation, speed 1 (the link velocity=uniform).
  const translation = Float64Array.from({ length: 3 * n }, (_, k) => [0.6, 0.8, 0][k % 3]);
  // With ε = 0, M = I: the GPU's p is v up to float32 rounding of the product.
  const noise = roundingNoise(7);
  const identityMomenta = translation.map((v) => v * (1 + noise()));

  test('a uniform translation: every electron on the middle entry, the legend given its one speed', () => {
    // The velocities as a solve returns them: the translation, each off by float32 rounding.
    const solved = translation.map((v) => v * (1 + noise()));
    const particles = packParticles(sphere, solved, identityMomenta);
    const speeds = magnitudes(particles, n, 'velocity');
    // float32 makes the speeds differ, which a range of their min and max would spread over the map.
    expect(new Set(speeds).size).toBeGreaterThan(1);
    const range = quantityRange(particles, n, 'velocity');
    expect(range.max).toBeGreaterThan(range.min);
    expect(new Set(speeds.map((speed) => entryOf(speed, range)))).toEqual(new Set([kUniformEntry]));
    expect(range.uniform).toBeCloseTo(1, 6);
    // The arrows are real (one direction, one length): full length, not dropped.
    expect(arrowScale(particles, n, 'velocity', 0.25)).toBeCloseTo(0.25 / Math.max(...speeds), 12);
  });

  test('M = I: p - v is rounding of |p|, so its colour is uniform with value 0 and it has no arrows', () => {
    const particles = packParticles(sphere, translation, identityMomenta);
    const darwin = magnitudes(particles, n, 'darwin');
    expect(Math.max(...darwin)).toBeGreaterThan(0);
    const range = quantityRange(particles, n, 'darwin');
    expect(new Set(darwin.map((value) => entryOf(value, range)))).toEqual(new Set([kUniformEntry]));
    expect(arrowScale(particles, n, 'darwin', 0.25)).toBe(0);
    expect(range.uniform).toBe(0);
  });

  test('a ring in rotation after the solve: |p - v| uniform by symmetry, to rounding, is one colour', () => {
    const ring: DarwinSystem = { ...system, configuration: geometry('ring', 200), model: 'azimuthal' };
    // Azimuthal unknowns: phidot_i = 1 and J_i = 3.5 on the unit ring, each off by float32 rounding.
    const noisy = roundingNoise(11);
    const phidot = Float64Array.from({ length: 200 }, () => 1 + noisy());
    const momenta = Float64Array.from({ length: 200 }, () => 3.5 * (1 + noisy()));
    const particles = packParticles(ring, phidot, momenta);
    for (const quantity of ['velocity', 'momentum', 'darwin'] as const) {
      const values = magnitudes(particles, 200, quantity);
      expect(new Set(values).size, quantity).toBeGreaterThan(1);
      const range = quantityRange(particles, 200, quantity);
      expect(new Set(values.map((value) => entryOf(value, range))), quantity).toEqual(
        new Set([kUniformEntry]),
      );
      expect(range.uniform, quantity).toBeCloseTo({ velocity: 1, momentum: 3.5, darwin: 2.5 }[quantity], 5);
    }
  });

  test('a Darwin part of 1e-3 of |p| that varies is spread over the map, with arrows to its largest', () => {
    // p = v (1 + 1e-3 z_i): a real pattern, a thousand times the rounding.
    const { positions } = sphere.configuration;
    const momenta = translation.map((v, k) => v * (1 + 1e-3 * positions[3 * Math.floor(k / 3) + 2]));
    const particles = packParticles(sphere, translation, momenta);
    const darwin = magnitudes(particles, n, 'darwin');
    const range = quantityRange(particles, n, 'darwin');
    expect(range.uniform).toBeNull();
    expect(range.min / Math.min(...darwin)).toBeCloseTo(1, 12);
    expect(range.max / Math.max(...darwin)).toBeCloseTo(1, 12);
    expect(arrowScale(particles, n, 'darwin', 0.25)).toBeCloseTo(0.25 / Math.max(...darwin), 12);
  });

  test('nothing moving: |p| = 0 is uniform at 0, and its arrows are none (not 0/0)', () => {
    const particles = packParticles(sphere, translation, new Float64Array(3 * n));
    expect(arrowScale(particles, n, 'momentum', 0.25)).toBe(0);
    expect(quantityRange(particles, n, 'momentum').uniform).toBe(0);
  });

  test("induced speeds equal to rounding are one colour; ones that vary are the map's ends", () => {
    const noisy = roundingNoise(3);
    const even = Float64Array.from({ length: n }, () => 0.02 * (1 + noisy()));
    const flat = quantityRange(packParticles(sphere, null, null, even), n, 'current');
    expect(new Set([...even].map((speed) => entryOf(speed, flat)))).toEqual(new Set([kUniformEntry]));
    expect(flat.uniform).toBeCloseTo(0.02, 8);
    const varying = Float64Array.from({ length: n }, (_, i) => 0.02 * (1 + i / n));
    const spread = quantityRange(packParticles(sphere, null, null, varying), n, 'current');
    expect(spread.uniform).toBeNull();
    expect(entryOf(Math.fround(varying[0]), spread)).toBe(0);
    expect(entryOf(Math.fround(varying[n - 1]), spread)).toBe(kColourMapSize - 1);
  });
});

/** The blocks of `stride` electrons of `count` and the electron `pick` draws of each. */
function drawnSet(count: number, stride: number, pick: (block: number) => number): number[] {
  return Array.from({ length: Math.ceil(count / stride) }, (_, block) => pick(block));
}

/**
 * The highest peak of the structure factor S(k) = |sum_j w_j exp(2 pi i k.x_j)|^2 / sum_j w_j^2 of the
 * given electrons of a Fibonacci sphere of n in a patch about height z0 and azimuth phi0, at
 * 0.1 <= |k| <= 0.85 in cycles per sqrt(4 pi / n), the spacing of all n. The patch holds `patch` of all
 * the electrons, in the Lambert coordinates (rho0 phi, z / rho0) about its centre, locally an isometry
 * in which the spiral's points are an exact lattice; the Hann window w keeps its edges from ringing.
 * Points on a lattice of this density or coarser put a Bragg peak there, of about 0.44 of the patch's
 * points (the window's loss); the lattice of all n peaks only above |k| ~ 1; points with no period
 * leave S near 1, its largest over the band a few times that.
 */
function braggPeak(
  positions: Float64Array,
  drawn: readonly number[],
  z0: number,
  phi0: number,
  patch: number,
): number {
  const n = positions.length / 3;
  const spacing = Math.sqrt((4 * Math.PI) / n);
  const rho0 = Math.sqrt(1 - z0 * z0);
  const half = Math.sqrt(patch) / 2;
  const xs: number[] = [];
  const ys: number[] = [];
  const ws: number[] = [];
  for (const i of drawn) {
    const z = positions[3 * i + 2];
    const phi = Math.atan2(positions[3 * i + 1], positions[3 * i]);
    const turn = phi - phi0 - 2 * Math.PI * Math.round((phi - phi0) / (2 * Math.PI));
    const x = (rho0 * turn) / spacing;
    const y = (z - z0) / rho0 / spacing;
    if (Math.abs(x) >= half || Math.abs(y) >= half) continue;
    xs.push(x);
    ys.push(y);
    ws.push((1 + Math.cos((Math.PI * x) / half)) * (1 + Math.cos((Math.PI * y) / half)));
  }
  const norm = ws.reduce((sum, w) => sum + w * w, 0);
  const step = 0.01;
  const steps = 85;
  const re = new Float64Array(2 * steps + 1);
  const im = new Float64Array(2 * steps + 1);
  let peak = 0;
  // Half the k plane (S(-k) = S(k)), a row of k_x at a time by rotating each point's phase.
  for (let row = 0; row <= steps; row++) {
    re.fill(0);
    im.fill(0);
    for (let j = 0; j < xs.length; j++) {
      const phase = 2 * Math.PI * step * (row * ys[j] - steps * xs[j]);
      let c = ws[j] * Math.cos(phase);
      let s = ws[j] * Math.sin(phase);
      const dc = Math.cos(2 * Math.PI * step * xs[j]);
      const ds = Math.sin(2 * Math.PI * step * xs[j]);
      for (let column = 0; column <= 2 * steps; column++) {
        re[column] += c;
        im[column] += s;
        [c, s] = [c * dc - s * ds, c * ds + s * dc];
      }
    }
    for (let column = 0; column <= 2 * steps; column++) {
      const k = step * Math.hypot(column - steps, row);
      if (k >= 0.1 && k <= 0.85) peak = Math.max(peak, (re[column] ** 2 + im[column] ** 2) / norm);
    }
  }
  return peak;
}

describe('the draw budget', () => {
  test('one electron of each s consecutive is drawn, s the least that keeps them within the budget', () => {
    const cases = [
      { n: 0, most: 500_000, stride: 1 },
      { n: 300_000, most: 500_000, stride: 1 },
      { n: 500_000, most: 500_000, stride: 1 },
      { n: 500_001, most: 500_000, stride: 2 },
      { n: 1_000_000, most: 500_000, stride: 2 },
      { n: 1_000_001, most: 500_000, stride: 3 },
      { n: 2_000_000, most: 500_000, stride: 4 },
      { n: 20_000, most: 5_000, stride: 4 },
      // A GPU's budget: all of them.
      { n: 2_000_000, most: Infinity, stride: 1 },
    ];
    for (const { n, most, stride } of cases) {
      expect(drawStride(n, most), `${n} electrons, at most ${most}`).toBe(stride);
      // The shader draws ceil(n / s) discs, one a block of s (the last what is left): within the
      // budget, the note's 1 in s, and below n.
      const drawn = Math.ceil(n / stride);
      expect(drawn).toBeLessThanOrEqual(most);
      if (n > 0) expect(drawnElectron(drawn - 1, stride, n)).toBeLessThan(n);
    }
  });

  test('each block draws one of its own electrons, by the block alone; a stride of 1 draws each', () => {
    for (const n of [1, 7, 1000, 1001, 99_999])
      for (const stride of [1, 2, 3, 4, 7]) {
        const drawn = drawnSet(n, stride, (block) => drawnElectron(block, stride, n));
        const outside = drawn.filter(
          (i, block) => i < block * stride || i >= Math.min((block + 1) * stride, n),
        );
        expect(outside, `${n} electrons, 1 in ${stride}`).toEqual([]);
        if (stride === 1) expect(drawn).toEqual(Array.from({ length: n }, (_, i) => i));
      }
    // The same N and stride draw the same electrons every frame: the hash of the block, pinned here
    // (test/render.test.ts holds the shader to this mirror).
    expect(drawnSet(20, 3, (block) => drawnElectron(block, 3, 20))).toEqual([0, 4, 6, 10, 13, 16, 19]);
  });

  test('the drawn electrons are no arithmetic progression: their places in the blocks spread evenly', () => {
    // Every s-th electron is the first of every block; here each place of a block is drawn about as
    // often as the others, and a block's place does not follow from its neighbour's.
    const blocks = 100_000;
    for (const stride of [2, 3, 4, 7]) {
      const n = blocks * stride;
      const places = drawnSet(n, stride, (block) => drawnElectron(block, stride, n) - block * stride);
      const counts = new Array<number>(stride).fill(0);
      for (const place of places) counts[place] += 1;
      for (const count of counts)
        expect(Math.abs(count / blocks - 1 / stride), `1 in ${stride}`).toBeLessThan(0.01);
      const repeats = places.filter((place, block) => block > 0 && place === places[block - 1]).length;
      expect(Math.abs(repeats / blocks - 1 / stride), `1 in ${stride}, repeats`).toBeLessThan(0.01);
    }
  });

  test('every arrow sits on a drawn disc, one in each block of arrowStride electrons', () => {
    for (const n of [1, 10, 1001, 20_000])
      for (const [discStride, arrowStride] of [
        [1, 1],
        [1, 5],
        [2, 2],
        [2, 6],
        [3, 12],
      ]) {
        const arrows = drawnSet(n, arrowStride, (block) => arrowElectron(block, discStride, arrowStride, n));
        const misplaced = arrows.filter(
          (i, block) =>
            i < block * arrowStride ||
            i >= Math.min((block + 1) * arrowStride, n) ||
            drawnElectron(Math.floor(i / discStride), discStride, n) !== i,
        );
        expect(misplaced, `${n}: arrows 1 in ${arrowStride}, discs 1 in ${discStride}`).toEqual([]);
        if (arrowStride === 1) expect(arrows).toEqual(Array.from({ length: n }, (_, i) => i));
      }
  });

  test('the packer refuses an arrow stride that is not a multiple of the disc stride', () => {
    const params = {
      viewProjection: new Float32Array(16),
      viewportPixels: [64, 64] as const,
      pointPixels: 4,
      arrowScale: 1,
      colourMin: 0,
      colourMax: 1,
      colourBy: 'none',
      arrowOf: 'velocity',
      shaded: false,
      count: 10,
    } as const;
    expect(() => packRenderParams({ ...params, discStride: 2, arrowStride: 6 })).not.toThrow();
    expect(() => packRenderParams({ ...params, discStride: 2, arrowStride: 3 })).toThrow(RangeError);
    expect(() => packRenderParams({ ...params, discStride: 3, arrowStride: 1 })).toThrow(RangeError);
  });

  test("past a CPU adapter's budget, each geometry's drawn electrons fill its octants as all of them do", () => {
    // 1 in 3 of 10^6 + 1: the lattices' columns (square, cube) are the coarsest.
    const n = 1_000_001;
    const stride = drawStride(n, kCpuDrawBudget);
    expect(stride).toBe(3);
    const octant = (p: Float64Array, i: number) =>
      (p[3 * i] > 0 ? 1 : 0) + (p[3 * i + 1] > 0 ? 2 : 0) + (p[3 * i + 2] > 0 ? 4 : 0);
    const drawnElectrons = drawnSet(n, stride, (block) => drawnElectron(block, stride, n));
    for (const name of kGeometryNames) {
      const { positions } = geometry(name, n);
      const all = new Array<number>(8).fill(0);
      const drawn = new Array<number>(8).fill(0);
      for (let i = 0; i < n; i++) all[octant(positions, i)] += 1 / n;
      for (const i of drawnElectrons) drawn[octant(positions, i)] += 1 / drawnElectrons.length;
      for (let k = 0; k < 8; k++)
        expect(Math.abs(drawn[k] - all[k]), `${name}, octant ${k}`).toBeLessThan(1e-3);
    }
  });

  test("zoomed in, a sphere's drawn electrons are no spiral: no Bragg peak below the lattice of them all", () => {
    // Every s-th point of the Fibonacci sphere is a spiral of s times the golden angle, a lattice in
    // any patch, which a zoom shows as stripes: its peak is 150-180 here, near 0.44 of the 400 drawn
    // electrons a patch holds. The hashed pick's is 3-7, that of points with no period.
    for (const { n, most } of [
      { n: 1_000_001, most: kCpuDrawBudget },
      { n: 20_000, most: 5_000 },
      { n: 600_000, most: kCpuDrawBudget },
    ]) {
      const stride = drawStride(n, most);
      const { positions } = geometry('sphere', n);
      const drawn = drawnSet(n, stride, (block) => drawnElectron(block, stride, n));
      const everySth = drawnSet(n, stride, (block) => block * stride);
      for (const [z0, phi0] of [
        [0.9, 1],
        [0.3, -2],
        [-0.5, 0.5],
      ]) {
        const where = `${n} electrons, 1 in ${stride}, patch at z ${z0}`;
        expect(braggPeak(positions, everySth, z0, phi0, 400 * stride), where).toBeGreaterThan(100);
        expect(braggPeak(positions, drawn, z0, phi0, 400 * stride), where).toBeLessThan(25);
      }
    }
  });
});

describe('the view and its legend in words (their canvases hold no text)', () => {
  const speed = { title: legendTitle('velocity', null), min: 0.0632, max: 0.99998, uniform: null };
  test('the legend: its title and the range its colours span, as it draws them, or the one value', () => {
    expect(legendText(speed)).toBe('|v|  speed (R ω): 0.0632 to 1.00');
    expect(legendText({ ...speed, min: 2.5e-7, max: 2.5e-7, uniform: 2.5e-7 })).toBe(
      '|v|  speed (R ω): uniform, 2.50e-7 (to float32 rounding)',
    );
  });
  test('the view: N, the source, the camera, the colour with its range, the arrows and the share drawn', () => {
    const view = { n: 500, source: 'sphere', mode: '3d', legend: speed, arrows: 'none', stride: 1 } as const;
    expect(viewName(view)).toBe(
      '500 electrons, sphere, 3D view, coloured by |v|  speed (R ω): 0.0632 to 1.00',
    );
    expect(
      viewName({ ...view, source: 'ring.csv', mode: '2d', legend: null, arrows: 'darwin', stride: 4 }),
    ).toBe('500 electrons, ring.csv, 2D view, uncoloured, arrows along the Darwin part p − v, 1 in 4 drawn');
  });
});

describe("the induced speeds' legend", () => {
  test("names the unit u of the run's drive, which the page defines nowhere else", () => {
    expect(legendTitle('current', kDriveVelocityUnits.field)).toBe(
      '|v_i|  induced by the response run (units of ω_L R, ω_L = −eB/2m)',
    );
    expect(legendTitle('current', kDriveVelocityUnits.rotation)).toBe(
      '|v_i|  induced by the response run (units of Ω R)',
    );
    expect(legendTitle('current', kDriveVelocityUnits.flux)).toContain('ω_Φ = −eΦ/(2π m R²)');
    expect(legendTitle('velocity', kDriveVelocityUnits.field)).toBe('|v|  speed (R ω)');
  });
});
