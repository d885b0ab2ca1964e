// What the Studies tab's cards say (src/app/studies-view.ts), from float64 runs of the studies the
// cards show: which response point the headline, the map and the canvas start from, how a solve
// that did not converge is marked, and why a map point has no map; the N -> infinity row on the
// ring, with too few N and with enough, the response table's headers and its SI columns from a
// --radius-m file, and the sweep line's scale of a loaded file; the scaling card's law and R* rows
// and its check row; the London card's label of the continuous body; the reading of eq. 43 the
// pairing card's rings' table says it takes; and the studies' readers of a saved JSON, which refuse a
// file without its device or a shard in the same words.
import { describe, expect, test } from 'vitest';
import {
  criticalRadiusText,
  kRingTableCaption,
  lastConvergedPoint,
  londonContinuumLabel,
  responseCell,
  responseColumns,
  responseDescription,
  responseLimitsText,
  responseHeader,
  responseNoMapReason,
  responseStartPoint,
  scalingCheckText,
  scalingLawText,
} from '../src/app/studies-view.ts';
import { filed } from '../src/app/studies.ts';
import { kFermiReadingLabels } from '../src/physics/paper.ts';
import { kPairingRings, ringTemperature } from '../src/physics/pairing.ts';
import { scalingLaw } from '../src/physics/scaling.ts';
import { cpuBackend } from '../src/run/backend.ts';
import { kCpuDevice, toJson } from '../src/io/formats.ts';
import { InputError } from '../src/physics/input-error.ts';
import { larmorFromJson, larmorJson } from '../src/studies/larmor/report.ts';
import { runLarmor } from '../src/studies/larmor/run.ts';
import { pairingRingJson } from '../src/studies/pairing/report.ts';
import {
  notConvergedMark,
  responseFieldMapSvg,
  responseFromJson,
  responseSummary,
} from '../src/studies/response/report.ts';
import { pointCheckText } from '../src/studies/scaling/report.ts';
import { runResponse } from '../src/studies/response/run.ts';
import { responseSpec, type ResponseInput } from '../src/studies/response/spec.ts';
import { scalingSweep } from '../src/studies/scaling/run.ts';
import { kStudyReaders } from './helpers/study-readers.ts';

/** The refusal of a saved study whose header names no device (savedStudyReport), after its file's name. */
const kNoDevice = 'names no device ("device": {"kind": "gpu" or "cpu"}, as every --json writes it)';

/** The response sweep on the float64 CPU backend, as `response --device cpu` runs it. */
function response(input: Omit<ResponseInput, 'device'>) {
  return runResponse(responseSpec({ ...input, device: 'cpu' }), async (system) => cpuBackend(system));
}

/** The scaling study of the azimuthal ring over ns, on the float64 CPU backend. */
async function ringScaling(ns: number[]) {
  const run = await scalingSweep(async (system) => cpuBackend(system), {
    geometry: 'ring',
    model: 'azimuthal',
    ns,
  });
  return run.study;
}

describe('the response card', () => {
  test('starts from the last converged point, and marks the one whose CG met an indefinite M', async () => {
    // The ball of 50 in a flux at the default N r_e/R: at 30, M is indefinite and CG gives up.
    const study = await response({ geometry: 'ball', drive: 'flux', n: '50' });
    const { points } = study;
    const last = points[points.length - 1];
    expect(last.nEpsilon).toBe(30);
    expect(last.reason).toBe('diverged_indefinite');
    const shown = responseStartPoint(points);
    expect(shown?.nEpsilon).toBe(10);
    expect(shown?.converged).toBe(true);
    expect(notConvergedMark(last)).toBe(' — not converged (diverged_indefinite)');
    expect(notConvergedMark(points[0])).toBe('');
    // Its field map, made of the velocities CG gave up on, says so in its title (the page's and --out's).
    const map = (point: (typeof points)[number]) =>
      responseFieldMapSvg(study, { ...point, fieldMap: new Float64Array(16).fill(1) });
    expect(map(last)).toContain(
      'flux drive, ball, vector model, N = 50, N r_e/R = 30.0 — not converged (diverged_indefinite)',
    );
    expect(map(points[0])).not.toContain('not converged');
  });

  test('starts at the largest N, the one mapped; another N falls back to its own last converged point', async () => {
    const { points } = await response({ geometry: 'ball', n: '50,100', nEpsilon: '10,30' });
    expect(points.map((p) => [p.n, p.nEpsilon, p.converged])).toEqual([
      [50, 10, true],
      [50, 30, false],
      [100, 10, true],
      [100, 30, false],
    ]);
    expect(responseStartPoint(points)).toBe(points[2]);
    expect(lastConvergedPoint(points.filter((p) => p.n === 50))).toBe(points[0]);
  });

  test('with no point converged, the last one, to be marked', async () => {
    const { points } = await response({ geometry: 'cube', drive: 'rotation', n: '64', nEpsilon: '30,40' });
    expect(points.map((p) => p.converged)).toEqual([false, false]);
    expect(responseStartPoint(points)).toBe(points[1]);
    expect(notConvergedMark(points[1])).toBe(' — not converged (diverged_indefinite)');
    expect(responseStartPoint([])).toBeUndefined();
  });

  test('N → ∞: none on the ring whatever the N, three N needed elsewhere, each limit once fitted', async () => {
    const ring = await response({ geometry: 'ring', model: 'azimuthal', n: '16,32,64', nEpsilon: '1' });
    // The N ln N growth is the program's (the circulant's sum); eq. 53 says only R -> infinity in d = 1+.
    expect(responseLimitsText(ring)).toBe(
      'none on the ring: at fixed N r_e/R its interaction sum grows as N ln N (its circulant, computed ' +
        'here), so the screening keeps growing with N and has no continuum limit (eq. 53: in d = 1+ the ' +
        'collective size R is infinite)',
    );
    expect(responseLimitsText(ring)).toContain('no continuum limit');
    const oneN = await response({ geometry: 'ball', n: '50', nEpsilon: '1,10' });
    expect(responseLimitsText(oneN)).toBe('needs three N or more (1 given)');
    // One eps for every N (a CLI run's --epsilon, loaded): no N r_e/R to extrapolate at.
    const oneEpsilon = await response({ geometry: 'ball', n: '50,100,200', epsilon: '0.01' });
    expect(responseLimitsText(oneEpsilon)).toBe('none: one eps for every N, so no N r_e/R is held fixed');

    const threeN = await response({ geometry: 'ball', n: '50,100,200', nEpsilon: '1,30' });
    const [limit] = threeN.limits;
    expect(threeN.limits.map((l) => l.nEpsilon)).toEqual([1]);
    // At 30 every N met an indefinite M: nothing to fit there.
    // Three N: no refit without the smallest, so the ± is the covariance alone, and says so.
    expect(limit.windowRefits).toBe(0);
    expect(responseLimitsText(threeN)).toBe(
      `1.00: ${limit.extrapolatedRatio.toPrecision(4)} ± ${limit.uncertainty.toExponential(1)} ` +
        `(covariance alone) (continuum ${limit.continuumRatio?.toPrecision(4)}); 30.0: fewer than three N converged`,
    );
    // Stopped before its third N: not run there, rather than not converged.
    const stopped = { ...threeN, points: threeN.points.filter((p) => p.n < 200), limits: [] };
    expect(responseLimitsText(stopped)).toBe(
      '1.00: fewer than three N run (stopped); 30.0: fewer than three N run (stopped)',
    );
  });
});

describe("the response card's map point", () => {
  test('a sweep stopped before its largest N: no map, since the map is made at that N', async () => {
    const spec = responseSpec({ geometry: 'ball', n: '50,100', nEpsilon: '3', grid: '5', device: 'cpu' });
    const whole = await runResponse(spec, async (system) => cpuBackend(system));
    const [small, large] = whole.points;
    expect(large.fieldMap).not.toBeNull();
    expect(responseNoMapReason(whole, large)).toBeNull();
    // A sweep stopped after N = 50 shows this point, which was not mapped.
    expect(small.fieldMap).toBeNull();
    expect(responseNoMapReason(whole, small)).toBe('no map: the sweep stopped before N = 100, the N it maps');
    // Read back from its JSON, no point has a map.
    expect(responseNoMapReason(whole, { n: 100 })).toBe('no map in the file');
  });

  test('the flux drive maps nothing: it has no field to divide B_z by', async () => {
    const flux = await response({ geometry: 'ball', drive: 'flux', n: '50', nEpsilon: '3', grid: '5' });
    expect(flux.points[0].fieldMap).toBeNull();
    expect(responseNoMapReason(flux, flux.points[0])).toBe(
      'no map: the flux drive has no field to map B_z against',
    );
  });
});

test("the response table's headers are the CLI text's, in the paper's words, not the JSON's keys", () => {
  const ball = { geometry: 'ball', drive: 'field' } as const;
  expect(
    ['n', 'n_epsilon', 'london_x', 'field_centre_ratio'].map((key) => responseHeader(key, ball)),
  ).toEqual(['N', 'N r_e/R', 'R/λ_L', 'B(0)/B_ext']);
  expect(responseHeader('london_x', { geometry: 'disk', drive: 'field' })).toBe('R/Λ');
  expect(responseHeader('field_centre_ratio', { geometry: 'ball', drive: 'rotation' })).toBe('B(0)/B_eff');
  expect(responseHeader('london_penetration_depth', ball)).toBe('λ_L/R');
});

describe("the response table's SI columns: a --radius-m file's moment and susceptibilities", () => {
  /** A CPU sweep saved as `response --json` writes it and loaded back as the app loads it. */
  async function loaded(input: Omit<ResponseInput, 'device'>) {
    const result = await response(input);
    const json = JSON.parse(toJson(responseSummary(result, kCpuDevice))) as Record<string, unknown>;
    return { json: json.points as Record<string, number | null>[], shown: responseFromJson(json, 'r.json') };
  }
  const ids = (shown: Parameters<typeof responseColumns>[0]) => responseColumns(shown).map(([id]) => id);
  const kBase = [
    'n',
    'n-epsilon',
    'screening',
    'continuum',
    'london-x',
    'field-centre',
    'iterations',
    'check',
  ];
  const kBallDepths = ['decay', 'continuum-decay', 'penetration', 'london-penetration'];

  test("a ball at R = 1e-12 m: the three after the rest, each the JSON number in the text's exponent form", async () => {
    // eps = r_e/R = 2.8e-3: N r_e/R = 0.14 and 0.28.
    const { json, shown } = await loaded({ geometry: 'ball', n: '50,100', radiusMetres: '1e-12' });
    expect(ids(shown)).toEqual([...kBase, ...kBallDepths, 'moment', 'chi-app', 'chi-int']);
    const headers = responseColumns(shown)
      .slice(-3)
      .map(([, key]) => responseHeader(key, shown.spec));
    expect(headers).toEqual(['μ_z/B (A m²/T)', 'χ_app (SI)', 'χ_int (SI)']);
    for (const [k, point] of shown.points.entries()) {
      const moment = json[k].moment_per_tesla!;
      const apparent = json[k].apparent_susceptibility!;
      // Diamagnetic: a negative moment, and chi_int the uniform ball's chi_app / (1 - chi_app/3).
      expect(moment).toBeLessThan(0);
      expect(json[k].intrinsic_susceptibility).toBeCloseTo(apparent / (1 - apparent / 3), 20);
      expect(responseCell(point, 'moment')).toEqual([moment, moment.toExponential(5)]);
      expect(responseCell(point, 'chi-app')).toEqual([apparent, apparent.toExponential(5)]);
      expect(responseCell(point, 'chi-int')).toEqual([
        json[k].intrinsic_susceptibility,
        json[k].intrinsic_susceptibility!.toExponential(5),
      ]);
    }
  });

  test('a point whose solve did not converge shows none of its values, as its JSON holds null', async () => {
    const { json, shown } = await loaded({ geometry: 'ball', n: '50', radiusMetres: '1e-12' });
    // As a run's point that CG ended at once on an indefinite M: v = 0, the ratios of no current.
    const point = { ...shown.points[0], converged: false, reason: 'diverged_indefinite' as const };
    const failed = { ...point, screeningRatio: 0, fieldCentreRatio: 1 };
    for (const column of ['screening', 'field-centre', 'decay', 'penetration', 'moment', 'chi-app'] as const)
      expect(responseCell(failed, column), column).toEqual([null, '–']);
    // What the solve does not give stays: N, N r_e/R, the continuum's, the iterations with the reason.
    expect(responseCell(failed, 'continuum')[0]).toBe(json[0].continuum_ratio);
    expect(responseCell(failed, 'iterations')[1]).toBe(`${point.iterations} (diverged_indefinite)`);
  });

  test("a sphere's moment alone (a surface fills no volume); a file without --radius-m shows none", async () => {
    const sphere = await loaded({ geometry: 'sphere', n: '40', radiusMetres: '1e-12' });
    expect(ids(sphere.shown)).toEqual([...kBase, 'moment']);
    expect(sphere.json[0].apparent_susceptibility).toBeNull();
    expect(responseCell(sphere.shown.points[0], 'chi-app')).toEqual([null, '–']);
    const plain = await loaded({ geometry: 'ball', n: '50', nEpsilon: '0.3' });
    expect('moment_per_tesla' in plain.json[0]).toBe(false);
    expect(ids(plain.shown)).toEqual([...kBase, ...kBallDepths]);
    // Nor the flux drive's, which has no moment per tesla, at a radius either.
    const flux = await loaded({ geometry: 'ball', drive: 'flux', n: '50', radiusMetres: '1e-12' });
    expect(ids(flux.shown)).toEqual(kBase);
  });
});

describe("the response card's sweep line: the file's scale", () => {
  /** A CPU sweep's `response --json`, loaded as the app loads it: the card's sweep line. */
  async function sweepLine(input: Omit<ResponseInput, 'device'>) {
    const result = await response(input);
    const json = JSON.parse(toJson(responseSummary(result, kCpuDevice))) as Record<string, unknown>;
    const line = (file: Record<string, unknown>) =>
      responseDescription(responseFromJson(file, 'r.json').spec, 'no map');
    return { line: line(json), result, json, lineOf: line };
  }

  test('a --radius-m file: R in metres as given, and its one eps = r_e/R at every N', async () => {
    const { line, result, json } = await sweepLine({ geometry: 'ball', n: '50,100', radiusMetres: '1e-12' });
    // eps = r_e/R = 2.8179403262e-15 m / 1e-12 m, so N r_e/R is 0.14 at N = 50 and 0.28 at 100.
    expect(result.points.map((p) => p.epsilon)).toEqual([0.0028179403262, 0.0028179403262]);
    expect(result.points.map((p) => p.nEpsilon.toPrecision(6))).toEqual(['0.140897', '0.281794']);
    expect([json.epsilon, json.radius_m]).toEqual([0.0028179403262, 1e-12]);
    expect(line).toBe(
      'field drive, ball, vector model (3D), N = 50, 100, R = 1e-12 m (ε = r_e/R = 0.0028179403262 at every N), no map',
    );
    // The same radius given as an eps (--epsilon): the same points, led by the eps it was given.
    const byEpsilon = await sweepLine({ geometry: 'ball', n: '50,100', epsilon: '0.0028179403262' });
    expect([byEpsilon.json.epsilon, byEpsilon.json.radius_m]).toEqual([0.0028179403262, null]);
    expect(byEpsilon.line).toBe(
      'field drive, ball, vector model (3D), N = 50, 100, ε = 0.0028179403262 at every N (R = r_e/ε = 1e-12 m), no map',
    );
  });

  test('--epsilon: the R it means; --n-epsilon: the N r_e/R run at every N, and neither key', async () => {
    const { line } = await sweepLine({ geometry: 'ring', model: 'azimuthal', n: '16,32', epsilon: '0.01' });
    expect(line).toBe(
      'field drive, ring, azimuthal model, N = 16, 32, ε = 0.01 at every N (R = r_e/ε = 2.8179403262e-13 m), no map',
    );
    const fixed = await sweepLine({ geometry: 'ball', n: '50,100', nEpsilon: '1,3' });
    expect([fixed.json.epsilon, fixed.json.radius_m]).toEqual([null, null]);
    expect(fixed.line).toBe('field drive, ball, vector model (3D), N = 50, 100, N r_e/R = 1, 3, no map');
  });

  test('one N: a --radius-m or --epsilon file says its scale, which a file without the keys cannot', async () => {
    // At one N an eps is one N r_e/R: only the file's "radius_m" and "epsilon" tell the runs apart.
    const radius = await sweepLine({ geometry: 'ball', n: '50', radiusMetres: '1e-12' });
    expect(radius.line).toBe(
      'field drive, ball, vector model (3D), N = 50, R = 1e-12 m (ε = r_e/R = 0.0028179403262 at every N), no map',
    );
    const shown = responseFromJson(radius.json, 'r.json');
    expect(shown.spec.scale).toEqual({ kind: 'radiusMetres', value: 1e-12 });
    expect(responseLimitsText(shown)).toBe('none: one eps for every N, so no N r_e/R is held fixed');
    const epsilon = await sweepLine({ geometry: 'ball', n: '50', epsilon: '0.01' });
    expect(epsilon.line).toBe(
      'field drive, ball, vector model (3D), N = 50, ε = 0.01 at every N (R = r_e/ε = 2.8179403262e-13 m), no map',
    );
    // A file written before the keys were loads as it did: its one N r_e/R as a list, 50 r_e/R.
    const older = { ...radius.json };
    delete older.radius_m;
    delete older.epsilon;
    expect(radius.lineOf(older)).toBe(
      'field drive, ball, vector model (3D), N = 50, N r_e/R = 0.14089701631, no map',
    );
    // A key that is not a radius is refused in one line.
    expect(() => responseFromJson({ ...radius.json, radius_m: -1 }, 'r.json')).toThrow(
      'r.json: "radius_m" must be a number > 0 or null',
    );
  });
});

describe('the scaling card', () => {
  const law = scalingLaw('ring', 'azimuthal');

  test('too few points at N >= 32: how many a fit of the law needs, as the CLI says', async () => {
    for (const [ns, fitted] of [
      [[64], 1],
      [[16, 24, 64], 1],
    ] as const) {
      const study = await ringScaling([...ns]);
      expect(study.fit).toBeNull();
      expect(study.criticalRadius).toBeNull();
      expect(scalingLawText(study)).toBe(
        `no fit of ${law.text}: it needs ${law.parameters.length + 1} converged points at N >= 32 ` +
          `(smaller N are pre-asymptotic), ${fitted} here`,
      );
    }
  });

  test('the ring: its law fitted, and R* said to be larger than any body', async () => {
    const study = await ringScaling([16, 32, 64, 128]);
    expect(scalingLawText(study)).toBe(`${law.text}, N = 32..128`);
    const radius = study.criticalRadius;
    expect(radius?.metres).toBeNull();
    expect(radius?.log10Metres).toBeGreaterThan(1e4);
    expect(criticalRadiusText(radius!)).toBe(
      `10^${radius!.log10Metres.toFixed(1)} m: larger than the observable universe (8.8e+26 m), ` +
        'so no body reaches ε λ_max = 1',
    );
    // A size of the laboratory stays in metres.
    expect(criticalRadiusText({ metres: 7.7e-7, log10Metres: Math.log10(7.7e-7) })).toBe('7.70e-7 m');
  });

  test("the check row: the worst check, or why there is none: the CPU's float64 M, or not checked", async () => {
    const { points } = await ringScaling([16, 32]);
    expect(points.map((p) => p.checkTarget)).toEqual([null, null]);
    expect(scalingCheckText(points, true)).toBe('none (float64 run)');
    // A GPU sweep whose checks were all stopped, a CPU sweep that took the tree, or a file written
    // before the check was.
    expect(scalingCheckText(points, false)).toBe('not checked');
    const checked = [points[0], { ...points[1], check: 3.14e-7, checkTarget: 1e-5 }];
    expect(scalingCheckText(checked, false)).toBe('3.1e-7 ≤ 1.0e-5 (N = 32)');
    expect(scalingCheckText(checked, true)).toBe('3.1e-7 ≤ 1.0e-5 (N = 32)');
  });

  test("the table's check of each point: beside its target, sampled named, past it said, none a dash", async () => {
    const { points } = await ringScaling([16, 32]);
    expect(pointCheckText(points[0])).toBe('–');
    expect(pointCheckText({ ...points[0], check: 3.14e-7, checkTarget: 1e-5 })).toBe('3.1e-7 ≤ 1.0e-5');
    expect(pointCheckText({ ...points[1], check: 2.5e-5, checkTarget: 1e-5 })).toBe('2.5e-5 > 1.0e-5');
    expect(pointCheckText({ ...points[1], sampledResidual: 4e-6, checkTarget: 1e-5 })).toBe(
      'sampled residual 4.0e-6 ≤ 1.0e-5',
    );
  });
});

test("the London card names the continuous body's N r_e/R of the shape mapped", () => {
  expect(londonContinuumLabel('sphere')).toBe('continuous body (sphere: 3, eq. 30)');
  expect(londonContinuumLabel('cylinder')).toBe('continuous body (cylinder: 2 √(1 + h²))');
});

describe("a study's saved JSON read back (Files › load): every reader refuses alike", () => {
  test.each(Object.entries(kStudyReaders))(
    "%s: a file whose header is not its command's run's (StudyReport), in the readers' one line",
    (command, read) => {
      const refusal = (json: Record<string, unknown>) => {
        try {
          read(json, `${command}.json`);
        } catch (error) {
          return error instanceof InputError ? [error.message, error.field] : error;
        }
        return 'read';
      };
      const names = [`${command}.json: ${kNoDevice}`, 'result'];
      expect(refusal({ command })).toEqual(names);
      expect(refusal({ command, device: { kind: 'tpu' } })).toEqual(names);
      expect(refusal({ command, device: { kind: 'cpu' }, shard: { index: 1, count: 2 } })).toEqual([
        `${command}.json: one shard of a run: join the shards with darwin-breit merge first`,
        'result',
      ]);
      // Another study's file, or none's, was read as far as its keys went: refused by what it lacked.
      const other = command === 'london' ? 'pairing' : 'london';
      for (const named of [other, undefined, 7]) {
        expect(refusal({ command: named, device: { kind: 'cpu' } })).toEqual([
          `${command}.json is not the JSON of a ${command} run (--json)`,
          'result',
        ]);
      }
      // A version that no program writes (a merge of shards that predate the key writes null).
      for (const version of [3, true, { tag: '0.1.0' }]) {
        expect(refusal({ command, version, device: { kind: 'cpu' } })).toEqual([
          `${command}.json: "version" is not a string or null`,
          'result',
        ]);
      }
    },
  );

  test('the files the commands write, their device deleted: refused, where they loaded as a GPU run', async () => {
    const result = await response({ geometry: 'ring', n: '8', nEpsilon: '1' });
    const saved = JSON.parse(toJson(responseSummary(result, kCpuDevice))) as Record<string, unknown>;
    expect(responseFromJson(saved, 'r.json').device).toEqual(kCpuDevice);
    expect(() => responseFromJson({ ...saved, device: undefined }, 'r.json')).toThrowError(
      new InputError(`r.json: ${kNoDevice}`, 'result'),
    );
    const ring = JSON.parse(toJson(larmorJson(runLarmor({ n: 100, fieldTesla: 1, radiusMetres: 1e-6 }))));
    expect(() => larmorFromJson({ ...ring, device: undefined }, 'l.json')).toThrowError(
      new InputError(`l.json: ${kNoDevice}`, 'result'),
    );
  });
});

test("a loaded study file saved again keeps its file's version, null where it names none, as merge writes", () => {
  // The card rebuilds the JSON under the page's version; the points are the file's.
  const built = { command: 'scaling', version: '9.9.9' as string | null, ns: [8, 16] };
  const saved = (json: Record<string, unknown>) => JSON.parse(toJson(filed(json, built))) as typeof built;
  expect(saved({ version: '0.0.9' })).toEqual({ ...built, version: '0.0.9' });
  expect(saved({ version: null })).toEqual({ ...built, version: null });
  expect(saved({})).toEqual({ ...built, version: null });
});

test("the pairing card's rings' table says which reading of eq. 43 its a_m and temperatures are", () => {
  expect(kRingTableCaption).toContain(kFermiReadingLabels['fermi-energy']);
  expect(kRingTableCaption).toContain('Fermi energy');
  expect(kRingTableCaption).not.toContain(kFermiReadingLabels['fermi-momentum']);
  // The cells it heads (pairing --json's rings[]) are that reading's, a_m half the other's.
  for (const ring of kPairingRings.map((r) => pairingRingJson(ringTemperature(r)))) {
    const [energy, momentum] = ring.readings;
    expect([energy.reading, momentum.reading]).toEqual(['fermi-energy', 'fermi-momentum']);
    expect(ring.a_m_m).toBe(energy.a_m_m);
    expect(ring.temperature_eq46_mk).toBe(energy.temperature_eq46_mk);
    expect(ring.a_m_m / momentum.a_m_m).toBeCloseTo(2, 12);
  }
});
