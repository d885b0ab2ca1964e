// The London-moment study (sec. III, eq. 27-30): the GPU Biot-Savart kernel (shaders/biot_savart.wgsl)
// against the float64 sums, and the physics of the discrete rotating sphere and cylinder.
//
// Tolerances:
//   GPU field, float32     |b_gpu - b_64| <= 1e-5 |b_64| per point. Each term carries ~10 roundings
//                          (u = 2^-24 = 6e-8) plus the rounding of the positions, amplified by
//                          |r|/|d| <= 10 for points 0.1 R from the surface; the tiled sum adds about
//                          64 + N/64 roundings of the largest partial sum; the cancellation
//                          sum |term| / |b| stays below 2.3 for these bodies. Worst case
//                          6e-8 x 2.3 x (10 + 10 + 72) = 1.3e-5; observed 3e-7.
//   float64 sums           1e-12 relative (N <= 4000 terms of one sign at the centre).
//   discrete sphere        on the axis the field depends only on the z_i, a midpoint rule in z, so
//                          Euler-Maclaurin gives B_z(z) / B_continuum = 1 + [(1 - z)^-3 + (1 + z)^-3] / (4 N^2)
//                          + O((N (1 - |z|))^-4); off the axis the golden-angle azimuths add an O(1/N) term
//                          (summation by parts of sum_i f(z_i) e^(i m gamma i) bounds each non-axisymmetric
//                          moment by (max|f| + var f) / (N |sin(m gamma / 2)|)), tested as 0.2 / N over the
//                          inner half; its constant is measured (0.12 at N = 250, 0.05 at N = 1000).
import { describe, expect, test } from 'vitest';
import { kShaderSources } from '../src/gpu/shaders.ts';
import {
  GpuBiotSavart,
  kBiotSavartParamsBytes,
  packBiotSavartParams,
  packSources,
} from '../src/kernels/biot-savart.ts';
import {
  kMu0Over4Pi,
  londonField,
  londonParameter,
  magneticField,
  rigidRotationVelocities,
  rotatingFieldAtCentre,
} from '../src/physics/biot-savart.ts';
import { kClassicalElectronRadius, kElementaryCharge } from '../src/physics/constants.ts';
import { geometry } from '../src/physics/geometry.ts';
import { InputError } from '../src/physics/input-error.ts';
import {
  fieldMapGrid,
  fitPowerLaw,
  londonBody,
  londonConvergence,
  londonRatio,
  reducedField,
  uniformity,
  type LondonBody,
} from '../src/physics/london.ts';
import { kCpuDevice, toJson } from '../src/io/formats.ts';
import {
  londonConvergenceSvg,
  londonDeviationMap,
  londonDeviationSvg,
  londonFileNames,
  londonFiles,
  londonFromJson,
  londonJson,
} from '../src/studies/london/report.ts';
import { cpuField, londonFieldMap, runLondon } from '../src/studies/london/run.ts';
import { expectNormwiseClose } from './helpers/compare.ts';
import { gpuHarness } from './helpers/gpu.ts';
import { structMembers } from './helpers/wgsl.ts';

const kFieldTolerance = 1e-5;
const kFloat64Tolerance = 1e-12;

const gpu = gpuHarness(60_000);

/** |got - expected| <= rtol |expected|, failing with the two values. */
const expectRelative = (got: number, expected: number, rtol: number, label: string) =>
  expectNormwiseClose(label, [got], [expected], rtol);

/** Per point |got - expected| / |expected| (xyz triples; got may be the GPU's vec4s); fails with a table. */
function expectFieldsClose(
  label: string,
  got: ArrayLike<number>,
  stride: number,
  expected: Float64Array,
): void {
  const rows: string[] = [];
  let worst = 0;
  for (let p = 0; p < expected.length / 3; p++) {
    const e = [expected[3 * p], expected[3 * p + 1], expected[3 * p + 2]];
    const g = [got[stride * p], got[stride * p + 1], got[stride * p + 2]];
    const error = Math.hypot(g[0] - e[0], g[1] - e[1], g[2] - e[2]) / Math.hypot(...e);
    worst = Math.max(worst, error);
    if (!(error <= kFieldTolerance)) {
      rows.push(
        `${String(p).padStart(6)}  ${g.map((x) => x.toExponential(6)).join(' ')}  ${e.map((x) => x.toExponential(6)).join(' ')}  ${error.toExponential(2)}`,
      );
    }
  }
  expect(
    rows,
    `${label}: worst relative error ${worst}\n point  got  expected  error\n${rows.slice(0, 10).join('\n')}`,
  ).toEqual([]);
}

async function gpuField(
  body: LondonBody,
  points: ArrayLike<number>,
  context: Parameters<typeof GpuBiotSavart.create>[0],
) {
  const kernel = await GpuBiotSavart.create(context, {
    positions: body.configuration.positions,
    velocities: body.velocities,
    charge: 1,
  });
  try {
    return await kernel.field(points);
  } finally {
    kernel.destroy();
  }
}

describe('host side of biot_savart.wgsl', () => {
  test('BiotSavartParams: four 4-byte members, the packer writes 16 bytes', () => {
    const members = structMembers(kShaderSources.biotSavart, 'BiotSavartParams');
    expect(members.map((m) => m.name).slice(0, 2)).toEqual(['sourceCount', 'pointCount']);
    expect(members.every((m) => m.type === 'u32')).toBe(true);
    expect(4 * members.length).toBe(kBiotSavartParamsBytes);
    const packed = new DataView(packBiotSavartParams({ sourceCount: 7, pointCount: 9 }));
    expect(packed.byteLength).toBe(kBiotSavartParamsBytes);
    expect([packed.getUint32(0, true), packed.getUint32(4, true)]).toEqual([7, 9]);
  });

  test('Source: position with the charge in w, then velocity, 32 bytes', () => {
    const members = structMembers(kShaderSources.biotSavart, 'Source');
    expect(members).toEqual([
      { name: 'position', type: 'vec4<f32>' },
      { name: 'velocity', type: 'vec4<f32>' },
    ]);
    const packed = packSources({
      positions: [1, 2, 3, 4, 5, 6],
      velocities: [7, 8, 9, 10, 11, 12],
      charge: [-1, 2],
    });
    expect(Array.from(packed)).toEqual([1, 2, 3, -1, 7, 8, 9, 0, 4, 5, 6, 2, 10, 11, 12, 0]);
    expect(() => packSources({ positions: [1, 2, 3], velocities: [1, 2], charge: 1 })).toThrow(InputError);
    expect(() => packSources({ positions: [1, 2, 3], velocities: [1, 2, 3], charge: [1, 2] })).toThrow(
      InputError,
    );
  });
});

describe('GPU Biot-Savart against the float64 sums (float32 tolerance 1e-5 per point)', () => {
  for (const [name, n, halfHeight] of [
    ['sphere', 500, 1],
    ['cylinder', 500, 1],
    ['cylinder', 300, 3],
  ] as const) {
    gpu.test(`${name} N=${n} h=${halfHeight}: 15 x 15 map and the centre`, async (context) => {
      const body = londonBody(name, n, halfHeight);
      const map = fieldMapGrid(body, 15);
      const points = Float64Array.from([...map.points, 0, 0, 0]);
      const got = await gpuField(body, points, context);
      const expected = reducedField(body, points);
      expectFieldsClose(`${name} N=${n}`, got, 4, expected);
      // reducedField is magneticField without its SI factor.
      for (const p of [0, map.points.length / 3 - 1, map.points.length / 3]) {
        const point = points.subarray(3 * p, 3 * p + 3);
        const si = magneticField(point, body.configuration.positions, body.velocities, 1);
        for (let c = 0; c < 3; c++) {
          expect(Math.abs(si[c] / kMu0Over4Pi - expected[3 * p + c])).toBeLessThanOrEqual(
            kFloat64Tolerance * Math.hypot(...si.map((b) => b / kMu0Over4Pi)),
          );
        }
      }
      // The device's N r_e/R from its centre field matches the float64 one to the float32 tolerance.
      const centreRatio = londonRatio(got[4 * (points.length / 3 - 1) + 2], n, body.continuumParameter);
      expectRelative(
        body.continuumParameter / centreRatio,
        londonParameter(body.configuration),
        kFieldTolerance,
        'N r_e/R',
      );
    });
  }

  gpu.test('uniform ring in SI: B(centre) = mu0 I / (2R), I = N |e| Omega / (2 pi)', async (context) => {
    const n = 64;
    const radius = 1e-6;
    const omega = 1e6;
    const positions = geometry('ring', n).positions.map((x) => x * radius);
    const velocities = rigidRotationVelocities(positions, [0, 0, omega]);
    const current = (n * kElementaryCharge * omega) / (2 * Math.PI);
    const expected = (4 * Math.PI * kMu0Over4Pi * current) / (2 * radius);
    const cpu = magneticField([0, 0, 0], positions, velocities, kElementaryCharge);
    expectRelative(cpu[2], expected, kFloat64Tolerance, 'CPU B_z');
    expect(Math.hypot(cpu[0], cpu[1])).toBeLessThanOrEqual(kFloat64Tolerance * expected);
    // The kernel is unit-agnostic: SI positions, velocities and charge, mu0/4pi applied here.
    const kernel = await GpuBiotSavart.create(context, { positions, velocities, charge: kElementaryCharge });
    try {
      const field = await kernel.field([0, 0, 0]);
      expectRelative(kMu0Over4Pi * field[2], expected, kFieldTolerance, 'GPU B_z');
      expect(kMu0Over4Pi * Math.hypot(field[0], field[1])).toBeLessThanOrEqual(kFieldTolerance * expected);
    } finally {
      kernel.destroy();
    }
  });

  gpu.test('a field point on an electron is an InputError, as in magneticField', async (context) => {
    const body = londonBody('sphere', 10);
    const onElectron = Array.from(body.configuration.positions.subarray(0, 3));
    await expect(gpuField(body, [0, 0, 0, ...onElectron], context)).rejects.toThrow(
      /charge sits at field point 1/,
    );
    expect(() => magneticField(onElectron, body.configuration.positions, body.velocities, 1)).toThrow(
      InputError,
    );
  });

  gpu.test(
    'the map uniformity on the GPU matches the float64 one (sphere N=1000, 21 x 21)',
    async (context) => {
      const body = londonBody('sphere', 1000);
      const map = fieldMapGrid(body, 21);
      const points = Float64Array.from([...map.points, 0, 0, 0]);
      const raw = await gpuField(body, points, context);
      const got = Float64Array.from(
        { length: points.length },
        (_, k) => raw[4 * Math.floor(k / 3) + (k % 3)],
      );
      const count = map.points.length / 3;
      const device = uniformity(got.subarray(0, 3 * count), got.subarray(3 * count), map.inner);
      const reference = reducedField(body, points);
      const exact = uniformity(reference.subarray(0, 3 * count), reference.subarray(3 * count), map.inner);
      // A difference of two fields each within kFieldTolerance.
      expect(Math.abs(device.all - exact.all)).toBeLessThanOrEqual(2 * kFieldTolerance);
      expect(Math.abs(device.inner - exact.inner)).toBeLessThanOrEqual(2 * kFieldTolerance);
    },
  );
});

describe('eq. 30: N r_e / R -> 3 for the discrete sphere', () => {
  test('the centre field is the London field at exactly N r_e/R = 3 / (1 + 1/(2 N^2))', () => {
    const points = londonConvergence('sphere', [10, 30, 100, 300, 1000, 3000]);
    for (const p of points)
      expectRelative(p.parameter, 3 / (1 + 1 / (2 * p.n * p.n)), kFloat64Tolerance, `N=${p.n}`);
    // Below 3, and 3 - N r_e/R = 1.5 / (N^2 + 1/2): a hundredfold smaller for tenfold N.
    for (const p of points) {
      expect(p.deviation).toBeGreaterThan(0);
      expectRelative(p.deviation * p.n * p.n, 1.5, 1 / p.n, `N=${p.n}`);
    }
    const fit = fitPowerLaw(
      points.map((p) => p.n),
      points.map((p) => p.deviation),
    );
    expect(fit.exponent).toBeCloseTo(-2, 2);
    expect(fit.coefficient).toBeCloseTo(1.5, 1);
  });

  test('B / B_London: the reduced field in the units of the module agrees with SI (eq. 27)', () => {
    // Sized so that N r_e / R is the discrete body's own London parameter: the ratio is then 1.
    const body = londonBody('sphere', 400);
    const parameter = londonParameter(body.configuration);
    const centre = reducedField(body, [0, 0, 0]);
    expectRelative(londonRatio(centre[2], body.n, parameter), 1, kFloat64Tolerance, 'ratio');
    const radius = (body.n * kClassicalElectronRadius) / parameter;
    const omega = 2.5;
    const si = rotatingFieldAtCentre(body.configuration, radius, omega);
    expectRelative(si[2] / londonField(omega), 1, 1e-10, 'SI ratio');
  });

  test('the cylinder: N r_e/R -> 2 sqrt(1 + h^2) like N^-2', () => {
    for (const h of [1, 4]) {
      const points = londonConvergence('cylinder', [100, 300, 1000], h);
      expectRelative(points[2].parameter, 2 * Math.sqrt(1 + h * h), 1e-6, `h=${h}`);
      const fit = fitPowerLaw(
        points.map((p) => p.n),
        points.map((p) => p.deviation),
      );
      expect(fit.exponent).toBeCloseTo(-2, 1);
    }
  });
});

describe("the discrete sphere's interior field", () => {
  test('on the axis: B_z = 1 + [(1 - z)^-3 + (1 + z)^-3] / (4 N^2) times the continuum field (Euler-Maclaurin)', () => {
    for (const n of [250, 1000]) {
      const body = londonBody('sphere', n);
      const zs = [0, 0.3, -0.5, 0.7];
      const field = reducedField(
        body,
        zs.flatMap((z) => [0, 0, z]),
      );
      zs.forEach((z, k) => {
        const continuum = (2 * n) / 3;
        const predicted = (1 - z) ** -3 + (1 + z) ** -3;
        const correction = (field[3 * k + 2] / continuum - 1) * 4 * n * n;
        // The next Euler-Maclaurin term, O(h^4 g'''), is smaller by (h / (1 - |z|))^2, h = 2/N, times a
        // factor that grows toward the poles (1.4 at z = 0.5, 7 at z = 0.7).
        expect(Math.abs(correction - predicted), `N=${n} z=${z}`).toBeLessThanOrEqual(
          predicted * 20 * (2 / (n * (1 - Math.abs(z)))) ** 2,
        );
        // B_x, B_y on the axis are golden-angle sums sum_i f(z_i) cos(i gamma): O(1/N) by summation by
        // parts, with the variation of f = rho_i (z - z_i) / |d_i|^3 growing like (1 - |z|)^-2.
        expect(Math.hypot(field[3 * k], field[3 * k + 1])).toBeLessThanOrEqual(
          (0.1 / (n * (1 - Math.abs(z)) ** 2)) * continuum,
        );
      });
    }
  });

  test('over the inner half (r <= 0.45 R) uniform to 0.2 / N, and the whole map improving with N', () => {
    let previous = { all: Infinity, inner: Infinity };
    for (const n of [250, 1000, 4000]) {
      const body = londonBody('sphere', n);
      const map = fieldMapGrid(body, 21);
      const spread = uniformity(reducedField(body, map.points), reducedField(body, [0, 0, 0]), map.inner);
      expect(spread.inner, `N=${n}`).toBeLessThanOrEqual(0.2 / n);
      expect(spread.inner).toBeLessThan(previous.inner);
      expect(spread.all).toBeLessThan(previous.all);
      previous = spread;
    }
    // Out to 0.9 R the nearest electrons are 0.1 R away: at N = 4000 (spacing ~0.06 R) still 3e-4.
    expect(previous.all).toBeLessThan(1e-3);
  });

  test('the cylinder on its axis: the finite solenoid mu0 K h / sqrt(h^2 + R^2) profile to O(N^-2)', () => {
    const h = 1;
    const n = 1000;
    const body = londonBody('cylinder', n, h);
    const zs = [0, 0.4, 0.8];
    const field = reducedField(
      body,
      zs.flatMap((z) => [0, 0, z]),
    );
    // Continuous sheet: b_z(z) = (N / 2h) [(h - z)/sqrt((h - z)^2 + 1) + (h + z)/sqrt((h + z)^2 + 1)].
    zs.forEach((z, k) => {
      const solenoid = (n / (2 * h)) * ((h - z) / Math.hypot(h - z, 1) + (h + z) / Math.hypot(h + z, 1));
      expectRelative(field[3 * k + 2], solenoid, 1 / (n * n), `z=${z}`);
    });
  });
});

describe("the deviation from London's uniform field, log10 |B_z / B_London - 1|, beside the linear map", () => {
  test('each cell from the float64 field the linear map draws: B_z summed at its point, over B_London', async () => {
    for (const body of [londonBody('sphere', 250), londonBody('cylinder', 300, 1.5)]) {
      const grid = fieldMapGrid(body, 15);
      const map = await londonFieldMap(cpuField, body, grid);
      const { values, floor, exact } = londonDeviationMap(map.ratios);
      expect(values.length).toBe(15 * 15);
      let inside = 0;
      grid.cell.forEach((point, cell) => {
        if (point < 0) {
          expect(values[cell], `cell ${cell} outside`).toBeNaN();
          return;
        }
        inside++;
        // B_z / B_London = (N r_e/R) b_z / 2N (eq. 27 in the module's units), b_z summed here anew.
        const bz = reducedField(body, grid.points.subarray(3 * point, 3 * point + 3))[2];
        const ratio = (body.continuumParameter * bz) / (2 * body.n);
        expect(map.ratios[cell]).toBe(ratio);
        expect(values[cell], `cell ${cell}`).toBe(Math.log10(Math.abs(ratio - 1)));
      });
      expect(inside).toBe(grid.points.length / 3);
      // No cell of these maps is exactly the London field: the floor is their least deviation.
      expect(exact).toBe(0);
      expect(floor).toBe(Math.min(...values.filter(Number.isFinite)));
      // Inside the sphere the field is uniform to 2e-4 (its inner half), at 0.9 R, 0.1 R from the
      // nearest electrons, more than 1% off.
      if (body.geometry === 'sphere') {
        expect(floor).toBeLessThan(Math.log10(2e-4));
        expect(Math.max(...values.filter(Number.isFinite))).toBeGreaterThan(-2);
      }
    }
  });

  test('a cell where B_z = B_London exactly stands at the floor, the least of the others, and the caption says how many', () => {
    const ratios = Float64Array.from([NaN, 1, 1 + 2 ** -20, 1 - 1e-3, 1]);
    const { values, floor, exact } = londonDeviationMap(ratios);
    expect(floor).toBe(-20 * Math.log10(2));
    expect(exact).toBe(2);
    expect(Array.from(values)).toEqual([NaN, floor, floor, Math.log10(Math.abs(-1e-3 + 1 - 1)), floor]);
    // Every cell exact: the floor is float64's epsilon, 2^-52.
    const flat = londonDeviationMap(Float64Array.from([1, 1]));
    expect(flat.floor).toBe(Math.log10(Number.EPSILON));
    expect(Array.from(flat.values)).toEqual([flat.floor, flat.floor]);
    const body = londonBody('sphere', 4);
    const grid = { ...fieldMapGrid(body, 3), size: 3 };
    const svg = londonDeviationSvg(body, grid, Float64Array.from([NaN, 1, NaN, 1.1, 1, 0.99, NaN, 1, NaN]));
    expect(svg).toContain(
      '>3 cells where B_z = B_London exactly, drawn at the scale&#39;s floor, −2.00</text>',
    );
    expect(svg).toContain('>log₁₀ |B_z / B_London − 1|</text>');
  });

  test('the files: each body its linear map and its deviation map; the convergence plot names the cylinder by h', async () => {
    const body = londonBody('cylinder', 40, 2.5);
    const map = await londonFieldMap(cpuField, body, fieldMapGrid(body, 5));
    const convergence = {
      continuum: body.continuumParameter,
      points: londonConvergence('cylinder', [10, 20], 2.5),
    };
    const fitted = {
      ...convergence,
      fit: fitPowerLaw(
        [10, 20],
        convergence.points.map((p) => p.deviation),
      ),
    };
    const files = londonFiles(body, [map], fitted, [40]);
    expect(files.map(([name]) => name)).toEqual(londonFileNames('cylinder', [40]));
    expect(files.map(([name]) => name)).toEqual([
      'london-cylinder-n40.svg',
      'london-cylinder-n40-deviation.svg',
      'london-cylinder-convergence.svg',
    ]);
    expect(files[1][1]).toContain('>log₁₀ |B_z / B_London − 1|</text>');
    // Two cylinders' convergence plots told apart by their titles.
    const title = (svg: string) => /font-weight="bold">([^<]*)</.exec(svg)?.[1];
    expect(title(files[2][1])).toBe('N r_e/R at the London field against N: cylinder, h = 2.5 R');
    expect(title(londonConvergenceSvg({ geometry: 'cylinder', halfHeight: 4 }, fitted, []))).toBe(
      'N r_e/R at the London field against N: cylinder, h = 4 R',
    );
    expect(title(londonConvergenceSvg({ geometry: 'sphere', halfHeight: 1 }, fitted, []))).toBe(
      'N r_e/R at the London field against N: sphere',
    );
  });
});

describe('londonFromJson: a saved run read back (the app loads london.json into its card)', () => {
  const saved = async (geometry: 'sphere' | 'cylinder') => {
    const options = { geometry, ns: [60, 120], grid: 5, halfHeight: 2, convergenceNs: [10, 20, 40, 80] };
    const run = await runLondon(cpuField, options);
    const studies = run.maps.map((map) => map.study);
    const json = londonJson({
      ...options,
      device: kCpuDevice,
      studies,
      convergence: run.convergence,
      shard: null,
    });
    return { run, studies, json: JSON.parse(toJson(json)) as Record<string, unknown> };
  };

  test.each(['sphere', 'cylinder'] as const)(
    "%s: every map's numbers, the list and its fit",
    async (geometry) => {
      const { run, studies, json } = await saved(geometry);
      const read = londonFromJson(json, 'l.json');
      expect(read.studies).toEqual(studies);
      // The fit recomputed from the list is the run's own.
      expect(read.convergence).toEqual(run.convergence);
    },
  );

  test.each([
    ['a shard', { shard: { index: 1, count: 2 } }, /one shard of a run: join the shards/],
    ['another body', { geometry: 'torus' }, /no London body \(sphere or cylinder\)/],
    ['no maps', { studies: [] }, /no maps as london --json writes them/],
    ['no convergence list', { convergence: {} }, /no convergence list as london --json writes it/],
    ['no grid', { grid: 2.5 }, /no grid \(or cylinder half-height\)/],
    [
      'a cylinder with its half-height as text',
      { geometry: 'cylinder', half_height: '2' },
      /no grid \(or cylinder/,
    ],
    [
      'one point of the list, which no fit takes',
      { convergence: { points: [{ n: 10, n_re_over_r: 2.9, deviation: 0.1 }] } },
      /no convergence list/,
    ],
    ['no device', { device: null }, /l\.json: names no device, as --json does/],
  ])('refuses %s in one line', async (_name, change, message) => {
    const { json } = await saved('sphere');
    expect(() => londonFromJson({ ...json, ...change }, 'l.json')).toThrow(message);
    expect(() => londonFromJson({ ...json, ...change }, 'l.json')).toThrow(InputError);
  });

  test('refuses a map with one of its numbers as text, the others as written', async () => {
    const { json } = await saved('sphere');
    const [first, second] = json.studies as Record<string, unknown>[];
    expect(() => londonFromJson(json, 'l.json')).not.toThrow();
    for (const key of ['check', 'centre_field_ratio', 'uniformity', 'n_re_over_r_device']) {
      const studies = [{ ...first, [key]: String(first[key]) }, second];
      expect(() => londonFromJson({ ...json, studies }, 'l.json'), key).toThrow(/no maps as london --json/);
    }
  });
});
