// The response study's README table (responseMarkdown): each cell is the number the run computed, in
// the README's number format, for the ring (closed form at every N), the ball (London's sphere as the
// continuum column, the Meissner field at the largest N) and the rotation's London-field columns; the
// text's tables (responseText) likewise, to six digits.
import { describe, expect, test } from 'vitest';
import { londonRadialProfile, londonSphereRatio, ringContinuumRatio } from '../src/physics/response.ts';
import { kPalette } from '../src/io/svg.ts';
import { cpuBackend } from '../src/run/backend.ts';
import { markdownNumber } from '../src/studies/markdown.ts';
import { kCpuDevice, toJson } from '../src/io/formats.ts';
import { InputError } from '../src/physics/input-error.ts';
import {
  indefiniteMark,
  indefiniteNote,
  responseCentreSvg,
  responseFieldMapSvg,
  responseFileNames,
  responseFiles,
  responseFromJson,
  responseMarkdown,
  responseProfileSvg,
  responseScreeningSvg,
  responseSummary,
  responseText,
} from '../src/studies/response/report.ts';
import { kCovarianceAloneNote, runResponse } from '../src/studies/response/run.ts';
import type { BackendFactory } from '../src/studies/study.ts';
import { responseSpec } from '../src/studies/response/spec.ts';

const cpu: BackendFactory = async (system) => cpuBackend(system);

/** The table's cells, row by row, header first (the separator row and any note below the table dropped). */
function cells(markdown: string): string[][] {
  const lines = markdown.split('\n');
  const end = lines.indexOf('');
  return (end < 0 ? lines : lines.slice(0, end))
    .filter((line, k) => k !== 1)
    .map((line) =>
      line
        .slice(2, -2)
        .split(' | ')
        .map((cell) => cell.trim()),
    );
}

/** The azimuthal ring of 16 and 64 at N r_e/R = 1 and 3, whose every ratio is the circulant closed form. */
const ringSweep = () =>
  responseSpec({ geometry: 'ring', model: 'azimuthal', n: '16,64', nEpsilon: '1,3', device: 'cpu' });

describe('responseMarkdown', () => {
  test('the ring: one column per N, each the circulant closed form; no limit (no power law)', async () => {
    const spec = ringSweep();
    const [header, ...rows] = cells(responseMarkdown(await runResponse(spec, cpu)));
    // No R/lambda_L column: a ring has no London length, every row would leave it '–'.
    expect(header).toEqual([
      'N r_e/R',
      'μ/μ_Larmor, N = 16',
      'μ/μ_Larmor, N = 64',
      'N → ∞',
      'continuum',
      'B(0)/B_ext, N = 64',
    ]);
    expect(rows.map((row) => row[0])).toEqual(['1.000', '3.000']);
    for (const [k, x] of [1, 3].entries()) {
      expect(rows[k][1]).toBe(markdownNumber(ringContinuumRatio(16, x / 16)));
      expect(rows[k][2]).toBe(markdownNumber(ringContinuumRatio(64, x / 64)));
      expect(rows[k][3]).toBe('–');
      expect(rows[k][4]).toBe(markdownNumber(ringContinuumRatio(64, x / 64)));
      // The ring's centre field, a number (the circulant's moment at N = 64 leaves B(0) below B_ext).
      expect(Number(rows[k][5])).toBeLessThan(1);
    }
  });

  test('a point where M is indefinite is marked † with its note; a definite table has neither', async () => {
    // The azimuthal ring of 4 turns indefinite at N r_e/R = 16/(sqrt 2 + 1) = 6.627; CG converges on
    // either side (the field drives the uniform mode), so only m_indefinite tells the two apart.
    const input = { geometry: 'ring', model: 'azimuthal', n: '4', device: 'cpu' } as const;
    const spec = responseSpec({ ...input, nEpsilon: '6.5,6.8' });
    const markdown = responseMarkdown(await runResponse(spec, cpu));
    const [, below, above] = cells(markdown);
    expect(below[1]).toBe(markdownNumber(ringContinuumRatio(4, 6.5 / 4)));
    expect(above[1]).toBe(`${markdownNumber(ringContinuumRatio(4, 6.8 / 4))}†`);
    expect(above[4]).toMatch(/†$/);
    expect(markdown).toContain(
      "\n\n† M indefinite at this point (electrons within about r_e): an exact solution of M v = b, outside the Darwin model's validity.",
    );
    // The flux drive has no centre field: no column of it, where every row would have had '–'.
    const [fluxHeader, , flux] = cells(
      responseMarkdown(
        await runResponse(responseSpec({ ...input, nEpsilon: '6.5,6.8', drive: 'flux' }), cpu),
      ),
    );
    expect(fluxHeader).toEqual(['N r_e/R', 'I/I_eq.13, N = 4', 'N → ∞', 'continuum']);
    expect(flux[1]).toMatch(/†$/);
    const definite = responseMarkdown(await runResponse(responseSpec({ ...input, nEpsilon: '6.5' }), cpu));
    expect(definite).not.toContain('†');
  });

  test('one row per N r_e/R where N (x/N) misses x in the last bit (N = 11, 19 at 0.1)', async () => {
    expect(11 * (0.1 / 11)).not.toBe(0.1); // the case itself
    const spec = responseSpec({ geometry: 'ball', n: '11,19,22', nEpsilon: '0.1', device: 'cpu' });
    const result = await runResponse(spec, cpu);
    const [, ...rows] = cells(responseMarkdown(result));
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect(row.slice(0, 2)).toEqual(['0.1000', markdownNumber(Math.sqrt(0.3))]);
    for (const [k, n] of [11, 19, 22].entries()) {
      expect(row[2 + k]).toBe(markdownNumber(result.points.find((p) => p.n === n)!.screeningRatio));
    }
    const [limit] = result.limits;
    // Three N: no refit without the smallest, so the ± is the covariance alone, and marked.
    expect(limit.windowRefits).toBe(0);
    expect(row[5]).toBe(
      `${markdownNumber(limit.extrapolatedRatio)} ± ${markdownNumber(limit.uncertainty, 2)}*`,
    );
    expect(responseMarkdown(result)).toContain("\n\n\\* the ± is the fit's covariance alone");
    expect(row[6]).toBe(markdownNumber(londonSphereRatio(Math.sqrt(0.3))));
  });

  test('with --epsilon each N has its own row, with its R/lambda_L and continuum', async () => {
    const spec = responseSpec({ geometry: 'ball', n: '100,200', epsilon: '0.01', device: 'cpu' });
    const [header, ...rows] = cells(responseMarkdown(await runResponse(spec, cpu)));
    expect(header.slice(2, 4)).toEqual(['μ/μ_Larmor, N = 100', 'μ/μ_Larmor, N = 200']);
    expect(rows.map((row) => row[0])).toEqual(['1.000', '2.000']);
    for (const [k, x] of [1, 2].entries()) {
      expect(rows[k][1]).toBe(markdownNumber(Math.sqrt(3 * x)));
      expect(rows[k][5]).toBe(markdownNumber(londonSphereRatio(Math.sqrt(3 * x))));
    }
    expect([rows[0][3], rows[1][2], rows[0][6]]).toEqual(['–', '–', '–']); // no N = 200 at 1, no limit
  });

  test('the ball: the limit with its uncertainty beside London, the field pushed out, the penetration depths', async () => {
    const spec = responseSpec({ geometry: 'ball', n: '100,200,400', nEpsilon: '0.3,10', device: 'cpu' });
    const result = await runResponse(spec, cpu);
    const [header, ...rows] = cells(responseMarkdown(result));
    expect(header.slice(-6)).toEqual([
      'N → ∞',
      'continuum',
      'B(0)/B_ext, N = 400',
      'continuum B(0)',
      'λ/R, N = 400',
      'λ_L/R',
    ]);
    for (const [k, x] of [0.3, 10].entries()) {
      const top = result.points.find((p) => p.n === 400 && p.nEpsilon === x)!;
      // The penetration depth fitted as London's profile at the largest N, beside lambda_L = R/x.
      expect(top.penetrationDepth).not.toBeNull();
      expect(rows[k].slice(-2)).toEqual([
        markdownNumber(top.penetrationDepth),
        markdownNumber(1 / Math.sqrt(3 * x)),
      ]);
      const limit = result.limits.find((l) => l.nEpsilon === x)!;
      expect(rows[k][1]).toBe(markdownNumber(Math.sqrt(3 * x)));
      expect(rows[k][5]).toBe(
        `${markdownNumber(limit.extrapolatedRatio)} ± ${markdownNumber(limit.uncertainty, 2)}*`,
      );
      expect(rows[k][6]).toBe(markdownNumber(londonSphereRatio(Math.sqrt(3 * x))));
      // London's sphere's centre field, x / sinh x at x = R / lambda_L.
      expect(rows[k][8]).toBe(markdownNumber(Math.sqrt(3 * x) / Math.sinh(Math.sqrt(3 * x))));
    }
    // The Meissner effect: at N r_e/R = 10 (R = 5.5 lambda_L) the centre keeps under 5% of B_ext.
    expect(Number(rows[1][7])).toBeLessThan(0.05);
    expect(Number(rows[0][7])).toBeGreaterThan(0.8);
  });

  test('the rotation: the London field ratio and N_eff r_e/R of eq. 30 at the largest N', async () => {
    const spec = responseSpec({
      geometry: 'sphere',
      n: '100,200',
      nEpsilon: '30',
      drive: 'rotation',
      device: 'cpu',
    });
    const result = await runResponse(spec, cpu);
    const [header, row] = cells(responseMarkdown(result));
    expect(header.slice(-3)).toEqual(['B(0)/B_London, N = 200', 'continuum B(0)', 'N_eff r_e/R']);
    // A shell's London length is Pearl's: R/Lambda = N r_e/2R, not a ball's sqrt(3 N r_e/R).
    expect([header[1], row[1]]).toEqual(['R/Λ (Pearl)', markdownNumber(15)]);
    const top = result.points.find((p) => p.n === 200)!;
    // The shell's London field ratio: 1 - 1/(1 + N r_e/3R) = 10/11 at N r_e/R = 30. The sphere of 200
    // is indefinite there (electrons within about r_e), so its own cells carry the table's mark.
    expect(top.mIndefinite).toBe(true);
    expect(row.slice(-3)).toEqual([
      `${markdownNumber(top.londonFieldRatio)}†`,
      markdownNumber(10 / 11),
      `${markdownNumber(top.nEffEpsilon)}†`,
    ]);
    // Deep in the Meissner regime the lagging electrons give nearly eq. 30's N r_e/R = 3.
    expect(Math.abs(top.nEffEpsilon! - 3)).toBeLessThan(0.5);
  });
});

describe('responseText', () => {
  /** The text's tables (the blocks with a dashed rule), each as rows of cells, header first, the rule dropped. */
  function textTables(text: string): string[][][] {
    return text
      .split('\n\n')
      .map((block) => block.split('\n'))
      .filter((lines) => /^-+( {2}-+)*$/.test(lines[1] ?? ''))
      .map(([header, , ...rows]) => [header, ...rows].map((line) => line.split(/ {2,}/)));
  }
  const six = (x: number | null) => markdownNumber(x, 6);

  test("the ring: each point's ratio the circulant closed form, its sampled residual within target, no limit", async () => {
    const spec = ringSweep();
    const result = await runResponse(spec, cpu, {}, 'sampled');
    const summary = responseSummary(result, kCpuDevice);
    const text = responseText(summary, ['out/response.json'], null);
    expect(text.split('\n')[0]).toBe('response: field drive, ring, azimuthal model, device cpu');
    const [points, checks, centre, ...more] = textTables(text);
    expect(more).toEqual([]);
    const at = [16, 64].flatMap((n) => [1, 3].map((x) => ({ n, x })));
    expect(points).toEqual([
      ['N', 'N r_e/R', 'screening', 'continuum', 'London x', 'its', 'converged'],
      ...at.map(({ n, x }, k) => [
        String(n),
        six(x),
        six(ringContinuumRatio(n, x / n)),
        six(ringContinuumRatio(n, x / n)),
        '-',
        String(result.points[k].iterations),
        result.points[k].reason,
      ]),
    ]);
    // Every electron of a ring of 64 is in the sample (256 at most): its residual, against float64 rows.
    expect(checks[0]).toEqual(['N', 'N r_e/R', 'sampled res.', 'target', 'within']);
    summary.points.forEach((p, k) => {
      expect(p.sampled_residual).toBeLessThan(p.check_target!);
      expect(checks[k + 1]).toEqual([
        String(p.n),
        six(p.n_epsilon),
        p.sampled_residual!.toExponential(2),
        p.check_target!.toExponential(2),
        'yes',
      ]);
    });
    // A ring's centre field has no continuum; a ring fits no N -> infinity limit (no power law).
    expect(centre[0]).toEqual(['N', 'N r_e/R', 'B(0)/B_ext', 'continuum']);
    expect(centre.slice(1).map((row) => row[3])).toEqual(['-', '-', '-', '-']);
    expect(text).not.toContain('N -> infinity');
    expect(text.endsWith('\n\nwrote:\n  out/response.json\n')).toBe(true);
  });

  test('a point not checked: its reason a note under the check table, one mark for each reason', async () => {
    const summary = responseSummary(await runResponse(ringSweep(), cpu, {}, 'sampled'), kCpuDevice);
    // The ring's four points, the last three as a solve that did not converge (twice) and as a point
    // whose float64 reference did not, leave them: no check, nothing to hold it to.
    const unchecked = { check: null, sampled_residual: undefined, check_target: null, within_target: null };
    const [first, second, third, fourth] = summary.points;
    const points = [
      first,
      { ...second, ...unchecked, converged: false, reason: 'diverged_indefinite' as const },
      { ...third, ...unchecked, converged: false, reason: 'diverged_indefinite' as const },
      { ...fourth, ...unchecked, reference_unconverged: 'diverged_max_it' as const },
    ];
    const text = responseText({ ...summary, points }, [], null);
    const lines = text.split('\n');
    const header = lines.findIndex((line) => /^N +N r_e\/R +sampled res\. /.test(line));
    const checks = lines.slice(header, header + 8);
    expect(checks.map((line) => line.split(/ {2,}/).at(-1))).toEqual([
      'within',
      '-'.repeat('not checked [1]'.length),
      'yes',
      'not checked [1]',
      'not checked [1]',
      'not checked [2]',
      '[1] not checked: the solve did not converge (diverged_indefinite)',
      '[2] not checked: the float64 reference did not converge (diverged_max_it)',
    ]);
    expect(lines[header + 8]).toBe('');
  });

  test("the sphere: the limit with its ± marked as the covariance's alone; one eps for every N named as the caller names it", async () => {
    const spec = responseSpec({ geometry: 'sphere', n: '50,100,200', nEpsilon: '1', device: 'cpu' });
    const result = await runResponse(spec, cpu);
    const text = responseText(responseSummary(result, kCpuDevice), [], null);
    expect(text).toContain('\n\ncheck: none, the float64 dense M is the reference itself\n\n');
    const [limit] = result.limits;
    expect(textTables(text).at(-1)!.slice(0, 2)).toEqual([
      ['N r_e/R', 'N -> infinity', '+-', 'continuum', 'p free: c', 'p', 'law'],
      // Three N: too few to fit the exponent free too. The continuum: the shell's 1/(1 + N r_e/3R).
      [
        '1.00000',
        six(limit.extrapolatedRatio),
        `${limit.uncertainty.toExponential(1)}*`,
        '0.750000',
        '-',
        '-',
        limit.law,
      ],
    ]);
    expect(text.endsWith(`\n* ${kCovarianceAloneNote}\n`)).toBe(true);
    // One eps for every N: each N has its own N r_e/R, so no limit, whatever the N.
    const held = responseSpec({ geometry: 'sphere', n: '20,30', epsilon: '1e-3', device: 'cpu' });
    const summary = responseSummary(await runResponse(held, cpu), kCpuDevice);
    expect(responseText(summary, [], 'ε')).toContain(
      '\n\nN -> infinity: not fitted, ε gives one eps for every N, so each N has its own N r_e/R',
    );
    expect(responseText(summary, [], null)).toContain(
      '\n\nN -> infinity: not fitted, the law c + b N^-p needs three N or more that converged\n',
    );
  });
});

describe('responseFromJson: a saved sweep read back (the app loads response.json into its card)', () => {
  const saved = async (input: Parameters<typeof responseSpec>[0]) => {
    const result = await runResponse(responseSpec({ device: 'cpu', ...input }), cpu);
    const json = JSON.parse(toJson(responseSummary(result, kCpuDevice))) as Record<string, unknown>;
    return { result, json };
  };

  test('every number of every point and limit, the spec as far as the JSON tells it', async () => {
    const { result, json } = await saved({
      geometry: 'ball',
      n: '100,200,400',
      nEpsilon: '0.3,10',
      drive: 'rotation',
    });
    const shown = responseFromJson(json, 'r.json');
    expect(shown.spec).toEqual({
      geometry: 'ball',
      ns: [100, 200, 400],
      model: 'vector',
      dim: 3,
      scale: { kind: 'nEpsilon', values: [0.3, 10] },
      drive: 'rotation',
    });
    const keys = Object.keys(shown.points[0]) as (keyof (typeof shown.points)[0])[];
    expect(keys).toHaveLength(27);
    expect(keys).toContain('mIndefinite');
    // The float64 check whole: the card judges it against its target.
    expect(keys).toEqual(
      expect.arrayContaining(['denseResidual', 'sampledResidual', 'checkTarget', 'referenceUnconverged']),
    );
    // A rotation's: null, as a field drive's without --radius-m.
    expect(keys).toContain('momentPerTesla');
    expect(keys).toContain('penetrationDepth');
    expect(keys).toContain('londonPenetrationDepth');
    expect(shown.points.every((p) => p.penetrationDepth !== null && p.londonPenetrationDepth !== null)).toBe(
      true,
    );
    for (const [k, point] of shown.points.entries()) {
      for (const key of keys) expect(point[key], `${k}.${key}`).toEqual(result.points[k][key]);
    }
    expect(shown.limits).toHaveLength(2);
    for (const [k, limit] of shown.limits.entries()) {
      const { nEpsilon, extrapolatedRatio, uncertainty, windowRefits, law, continuumRatio } =
        result.limits[k];
      expect(limit).toEqual({ nEpsilon, extrapolatedRatio, uncertainty, windowRefits, law, continuumRatio });
    }
    expect(shown.milliseconds).toBeUndefined();
  });

  test("a solve that did not converge has null for its values, as the text's '-', and reads back", async () => {
    // A cube spun up to N r_e/R = 30 meets an indefinite M (the plots' case below).
    const { result, json } = await saved({ geometry: 'cube', drive: 'rotation', n: '64', nEpsilon: '10,30' });
    const [met, short] = json.points as Record<string, unknown>[];
    expect([met.converged, short.converged]).toEqual([true, false]);
    expect(Number.isFinite(result.points[1].screeningRatio)).toBe(true);
    for (const key of ['screening_ratio', 'field_centre_ratio', 'london_field_ratio', 'n_eff_epsilon']) {
      expect(short[key], key).toBeNull();
      expect(typeof met[key], key).toBe('number');
    }
    expect(short.decay_length).toBeNull();
    expect(short.penetration_depth).toBeNull();
    // What the run's numbers are compared with stays, as does how far the solve got.
    expect(short.continuum_ratio).toBe(result.points[1].continuumRatio);
    expect(short.continuum_london_field_ratio).toBe(result.points[1].continuumLondonFieldRatio);
    expect(short.true_relative_residual).toBe(result.points[1].trueRelativeResidual);
    const [, shown] = responseFromJson(json, 'r.json').points;
    expect(shown.converged).toBe(false);
    expect(shown.screeningRatio).toBeNaN();
    expect(shown.londonFieldRatio).toBeNull();
  });

  test("the sphere's R/Λ is Pearl's N r_e/2R, whatever an older file's london_x holds", async () => {
    const { json } = await saved({ geometry: 'sphere', n: '40', nEpsilon: '3,10' });
    // A file written before the sphere's R/Λ was Pearl's holds the ball's sqrt(3 N r_e/R).
    const points = (json.points as Record<string, unknown>[]).map((p) => ({
      ...p,
      london_x: Math.sqrt(3 * (p.n_epsilon as number)),
    }));
    const shown = responseFromJson({ ...json, points }, 'r.json').points;
    expect(shown.map((p) => p.londonX)).toEqual([1.5, 5].map((x) => expect.closeTo(x, 12)));
  });

  test("N r_e/R lists that N (x / N) rounds in the last bit are still one list, x's to 12 digits", async () => {
    const { json } = await saved({ geometry: 'ball', n: '11,13,19', nEpsilon: '0.1,0.3,1,3' });
    const nEpsilons = (json.points as { n_epsilon: number }[]).map((p) => p.n_epsilon);
    // The file's own values are N (x / N), not all x.
    expect(nEpsilons.some((x, k) => x !== [0.1, 0.3, 1, 3][k % 4])).toBe(true);
    const shown = responseFromJson(json, 'r.json');
    expect(shown.spec.scale).toEqual({ kind: 'nEpsilon', values: [0.1, 0.3, 1, 3] });
    expect(shown.points.map((p) => p.nEpsilon)).toEqual(nEpsilons);
  });

  test('m_indefinite reads back, marked as the table marks it; a file written before it reads none', async () => {
    // The azimuthal ring of 4 turns indefinite at N r_e/R = 6.627; CG converges on either side.
    const { json } = await saved({ geometry: 'ring', model: 'azimuthal', n: '4', nEpsilon: '6.5,6.8' });
    const shown = responseFromJson(json, 'r.json').points;
    expect(shown.map((p) => [p.converged, p.mIndefinite])).toEqual([
      [true, false],
      [true, true],
    ]);
    expect(shown.map((p) => indefiniteMark(p, p.screeningRatio))).toEqual(['', '†']);
    // No number, or no converged solve, is no exact solution to mark.
    expect(indefiniteMark(shown[1], null)).toBe('');
    expect(indefiniteMark({ converged: false, mIndefinite: true }, 1)).toBe('');
    expect(indefiniteNote(shown)).toBe(
      "† M indefinite at this point (electrons within about r_e): an exact solution of M v = b, outside the Darwin model's validity.",
    );
    expect(indefiniteNote([{ converged: false, mIndefinite: true }])).toBeNull();
    const points = (json.points as Record<string, unknown>[]).map(({ m_indefinite: _, ...rest }) => rest);
    const older = responseFromJson({ ...json, points }, 'r.json').points;
    expect(older.map((p) => p.mIndefinite)).toEqual([null, null]);
    expect(indefiniteNote(older)).toBeNull();
  });

  test('a file written before the penetration depths were reads them as none', async () => {
    const { json } = await saved({ geometry: 'ball', n: '50', nEpsilon: '3' });
    const points = (json.points as Record<string, unknown>[]).map(
      ({ penetration_depth: _, london_penetration_depth: __, ...rest }) => rest,
    );
    const [point] = responseFromJson({ ...json, points }, 'r.json').points;
    expect([point.penetrationDepth, point.londonPenetrationDepth]).toEqual([null, null]);
    expect(point.decayLength).not.toBeNull();
  });

  test("a sweep stopped part-way through its last N keeps its N r_e/R list: that N's first ones", async () => {
    const { result } = await saved({ geometry: 'ball', n: '50,100,200', nEpsilon: '3,10,30' });
    // Stopped after 5 of 9 points: 100 has its first two N r_e/R, 200 none.
    const stoppedRun = { ...result, points: result.points.slice(0, 5), complete: false };
    const stop = { signal: null, points: 5, of: 9 };
    const json = JSON.parse(toJson(responseSummary(stoppedRun, kCpuDevice, stop))) as Record<string, unknown>;
    const shown = responseFromJson(json, 'r.json');
    expect(shown.spec.ns).toEqual([50, 100]);
    expect(shown.spec.scale).toEqual({ kind: 'nEpsilon', values: [3, 10, 30] });
    expect(shown.points.map((p) => [p.n, p.nEpsilon])).toEqual([
      [50, 3],
      [50, 10],
      [50, 30],
      [100, 3],
      [100, 10],
    ]);
    // The same points without "stopped" (a complete run's JSON) are no list: one eps for every N.
    expect(responseFromJson({ ...json, stopped: undefined }, 'r.json').spec.scale.kind).toBe('epsilon');
    // The last N's list must begin as the first's: [10] alone is another sweep's.
    const skipped = { ...json, points: (json.points as unknown[]).filter((_p, k) => k !== 3) };
    expect(responseFromJson(skipped, 'r.json').spec.scale.kind).toBe('epsilon');
  });

  test('one eps for every N (--epsilon) is the scale where the N r_e/R differ between N', async () => {
    const { json } = await saved({ geometry: 'ring', model: 'azimuthal', n: '16,32', epsilon: '0.01' });
    expect(responseFromJson(json, 'r.json').spec.scale).toEqual({ kind: 'epsilon', value: 0.01 });
  });

  test.each([
    ['a geometry it does not know', { geometry: 'cube3' }, /r\.json: no response geometry/],
    ['another drive', { drive: 'spin' }, /no drive \(field, flux or rotation\)/],
    ['no points', { points: [] }, /a sweep without points/],
    [
      'a point without its numbers',
      { points: [{ n: 8 }] },
      /point 0 has no N >= 1, N r_e\/R > 0 and eps > 0/,
    ],
  ])('refuses %s in one line', async (_name, change, message) => {
    const { json } = await saved({ geometry: 'ring', model: 'azimuthal', n: '16', nEpsilon: '1' });
    expect(() => responseFromJson({ ...json, ...change }, 'r.json')).toThrow(message);
    expect(() => responseFromJson({ ...json, ...change }, 'r.json')).toThrow(InputError);
  });
});

describe('the plots leave out a solve that did not converge', () => {
  test('a cube spun up to N r_e/R = 30 meets an indefinite M: its point is neither a ratio nor a profile', async () => {
    const spec = responseSpec({
      geometry: 'cube',
      drive: 'rotation',
      n: '64',
      nEpsilon: '3,10,30',
      device: 'cpu',
    });
    const result = await runResponse(spec, cpu);
    expect(result.points.map((p) => p.converged)).toEqual([true, true, false]);
    // Each drawn point is a circle, and each series one more in its legend.
    const circles = (svg: string) => (svg.match(/<circle /g) ?? []).length;
    const screening = responseScreeningSvg(result);
    expect(screening).toContain('N = 64 (1 not converged, not drawn)');
    expect(circles(screening)).toBe(2 + 1);
    const profile = responseProfileSvg(result);
    expect(profile).toContain('N r_e/R = 10.0');
    expect(profile).not.toContain('N r_e/R = 30.0');
    expect(profile).toContain('induced current against depth (1 not converged, not drawn)');
  });
});

describe("the current against depth with London's profile fitted", () => {
  test('each series in its colour, its lambda beside lambda_L, and the fitted a i_1(r/lambda) dashed', async () => {
    const spec = responseSpec({ geometry: 'ball', n: '400', nEpsilon: '3,30', device: 'cpu' });
    const result = await runResponse(spec, cpu);
    const svg = responseProfileSvg(result)!;
    for (const [k, p] of result.points.entries()) {
      const [lambda, london] = [p.penetrationDepth!, p.londonPenetrationDepth!];
      expect(svg).toContain(
        `N r_e/R = ${p.nEpsilon.toPrecision(3)}, λ = ${lambda.toPrecision(3)} R (λ_L ${london.toPrecision(3)} R)`,
      );
      // One dashed curve in the series' colour: the fit, from a at the surface down to the centre.
      const dashed = svg.match(
        new RegExp(
          `<polyline points="([^"]+)" fill="none" stroke="${kPalette[k]}" stroke-width="2" stroke-dasharray="7 4"/>`,
          'g',
        ),
      );
      expect(dashed, `N r_e/R = ${p.nEpsilon}`).toHaveLength(1);
    }
    expect(svg).toContain('London’s a i₁(r/λ), fitted');
    // The current's unit: n e u, u the field drive's velocity unit.
    expect(svg).toContain('j_φ / sin θ (units of n e u, u = ω_L R, ω_L = −eB/2m)');
    // The fitted curve passes through the binned profile: at N r_e/R = 3 the outer bins lie within
    // 10% of a i_1(r/lambda)/i_1(R/lambda) at their mean depth.
    const p = result.points[0];
    for (const b of [0, 1, 2]) {
      const fitted =
        p.penetrationAmplitude! * londonRadialProfile(1 - p.profile.depth[b], p.penetrationDepth!);
      expect(Math.abs(p.profile.current[b] / fitted - 1), `bin ${b}`).toBeLessThan(0.1);
    }
  });

  test("without London to compare (the disk), the binned profile's decay length as before", async () => {
    const spec = responseSpec({ geometry: 'disk', n: '200', nEpsilon: '3', device: 'cpu' });
    const result = await runResponse(spec, cpu);
    const [point] = result.points;
    expect(point.penetrationDepth).toBeNull();
    const svg = responseProfileSvg(result)!;
    expect(svg).toContain(`N r_e/R = 3.00, l = ${point.decayLength!.toPrecision(3)} R`);
    expect(svg).not.toContain('stroke-dasharray="7 4"/>');
  });
});

describe('the current against depth is drawn only where the electrons lie at more than one depth', () => {
  // A ring's, a sphere's and a cylinder's electrons all sit at |r| >= 1: one bin of depth, no profile.
  test.each([
    ['ring', 'azimuthal', null],
    ['sphere', 'vector', null],
    ['cylinder', 'vector', null],
    ['disk', 'vector', 'response-profile.svg'],
    ['ball', 'vector', 'response-profile.svg'],
  ] as const)('%s', async (geometry, model, profile) => {
    const spec = responseSpec({ geometry, model, n: '16,32', nEpsilon: '1', device: 'cpu' });
    const result = await runResponse(spec, cpu);
    expect(result.points.every((p) => p.converged)).toBe(true);
    const names = responseFiles(result).map(([name]) => name);
    // The field drive's centre field is drawn for every geometry (its continuum where there is one).
    const expected = ['response-screening.svg', 'response-centre.svg', ...(profile ? [profile] : [])];
    expect(names.filter((name) => name.endsWith('.svg'))).toEqual(expected);
    // Known before the run: the names checked in --out DIR are the names written.
    expect(responseFileNames(spec)).toEqual(names);
    if (profile) expect(responseProfileSvg(result)).toContain('induced current against depth');
    else expect(responseProfileSvg(result)).toBeNull();
  });

  test('none where no solve at the largest N converged', async () => {
    const spec = responseSpec({
      geometry: 'cube',
      drive: 'rotation',
      n: '64',
      nEpsilon: '30',
      device: 'cpu',
    });
    const result = await runResponse(spec, cpu);
    expect(result.points.map((p) => p.converged)).toEqual([false]);
    expect(responseProfileSvg(result)).toBeNull();
    expect(responseFiles(result).map(([name]) => name)).not.toContain('response-profile.svg');
  });
});

describe('the centre field, the limits and the map scale in the plots', () => {
  test('the excluded field at the centre beside London sphere, the fits N -> infinity, none for the flux drive', async () => {
    const spec = responseSpec({ geometry: 'ball', n: '100,200,400', nEpsilon: '0.3,10', device: 'cpu' });
    const result = await runResponse(spec, cpu);
    const centre = responseCentreSvg(result)!;
    expect(centre).toContain('the field excluded, the centre field');
    expect(centre).toMatch(/London(&apos;|&#39;|')s sphere/);
    // Each drawn point is a circle: six points and one legend circle for each of the three N.
    expect((centre.match(/<circle /g) ?? []).length).toBe(6 + 3);
    const screening = responseScreeningSvg(result);
    expect(screening).toContain('N → ∞ (fit c + b N^-p)');
    expect((screening.match(/<circle /g) ?? []).length).toBe(6 + 3 + 2 + 1);
    const flux = responseSpec({
      geometry: 'ring',
      model: 'azimuthal',
      n: '16',
      nEpsilon: '1',
      drive: 'flux',
      device: 'cpu',
    });
    const fluxResult = await runResponse(flux, cpu);
    expect(responseCentreSvg(fluxResult)).toBeNull();
    expect(responseScreeningSvg(fluxResult)).toContain('current over the eq. 13 current');
    expect(responseFileNames(flux)).not.toContain('response-centre.svg');
  });

  test('a sweep at one eps for every N names it in its plots: N r_e/R then grows with N', async () => {
    const spec = responseSpec({ geometry: 'ball', n: '100,200', epsilon: '0.01', device: 'cpu' });
    const result = await runResponse(spec, cpu);
    expect(responseScreeningSvg(result)).toContain('field drive, ball, vector model, ε = 0.01:');
    expect(responseCentreSvg(result)).toContain('ball, vector model, ε = 0.01: the field excluded');
    const held = responseSpec({ geometry: 'ball', n: '100', nEpsilon: '1', device: 'cpu' });
    expect(responseScreeningSvg(await runResponse(held, cpu))).toContain('vector model: moment over');
  });

  test('a map says how many of its cells lie past the colour scale, and names its drive and model', () => {
    const spec = responseSpec({
      geometry: 'ball',
      n: '100',
      nEpsilon: '1',
      drive: 'rotation',
      device: 'cpu',
    });
    const point = { n: 100, nEpsilon: 1, converged: true, reason: 'converged_rtol' as const };
    const svg = responseFieldMapSvg({ spec }, { ...point, fieldMap: Float64Array.from([-1, 0, 0.5, 2]) });
    expect(svg).toContain('B_z / B_London (2 cells past the ends)');
    const one = responseFieldMapSvg({ spec }, { ...point, fieldMap: Float64Array.from([-1, 0, 0.5, 1]) });
    expect(one).toContain('B_z / B_London (1 cell past the ends)');
    expect(svg).toContain('rotation drive, ball, vector model, N = 100');
    const inside = responseFieldMapSvg(
      { spec },
      { ...point, fieldMap: Float64Array.from([-0.5, 0, 0.5, 1.5]) },
    );
    expect(inside).not.toContain('past the ends');
  });
});
