// What the page decides about a loaded file and a spectrum without drawing anything: whether a saved
// configuration is its geometry's formula (src/physics/geometry.ts firstElectronApart, which the page
// and the CLI's result CSVs use), and what a spectrum says of M's
// definiteness (src/app/diagnostics.ts), from a converged Lanczos run or one that stopped short, and how
// it words a run's reason, a Stop included; what the residual plot's axis says it plots, and the
// decimals a linear axis's labels need; and what a response run says it changed of the Electrons tab
// (src/app/session.ts).
import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import {
  decades,
  definiteness,
  kResidualAxisLabel,
  linearTickLabels,
  loadedIndefinite,
  shownReason,
  solveOutcome,
  spectrumOutcome,
} from '../src/app/diagnostics.ts';
import { fixFieldsFirst, responseShownLine, studyOutcome } from '../src/app/session.ts';
import { markdownNumber } from '../src/studies/markdown.ts';
import { firstElectronApart, geometry } from '../src/physics/geometry.ts';
import type { DarwinSystem } from '../src/physics/models.ts';
import { cpuBackend } from '../src/run/backend.ts';

/** x moved by `ulps` units in its last place, as another engine's Math.sin may round it. */
function nudged(x: number, ulps: number): number {
  const bits = new Float64Array([x]);
  const integer = new BigInt64Array(bits.buffer);
  integer[0] += BigInt(x >= 0 ? ulps : -ulps);
  return bits[0];
}

describe('a saved configuration is its geometry when its positions are the formula', () => {
  const formula = geometry('disk', 150).positions;

  test('a file from another JavaScript engine: a few coordinates a bit apart, still the disk', () => {
    const file = Float64Array.from(formula);
    for (const k of [3, 50, 51, 200, 301, 302, 400, 449]) file[k] = nudged(file[k], 1);
    expect(file).not.toEqual(formula);
    expect(firstElectronApart(formula, file)).toBe(-1);
  });

  test('positions moved farther than rounding, or another N, are a positions file', () => {
    const moved = Float64Array.from(formula);
    moved[7] += 1e-9;
    expect(firstElectronApart(formula, moved)).toBe(2);
    // Another N moves every electron of the spiral; a file one electron short differs at the last.
    expect(firstElectronApart(formula, geometry('disk', 149).positions)).toBe(0);
    expect(firstElectronApart(formula, formula.subarray(0, 3 * 149))).toBe(149);
    expect(firstElectronApart(formula, geometry('ring', 150).positions)).toBe(0);
    const broken = Float64Array.from(formula);
    broken[4] = NaN;
    expect(firstElectronApart(formula, broken)).toBe(1);
  });
});

describe('what the spectrum says of M', () => {
  test("the spectrum's indefinite in words, as the CLI writes it", () => {
    expect(definiteness(false)).toBe('positive definite');
    expect(definiteness(true)).toBe('indefinite');
    // Unconverged, or lambda_min within its error bound of 0 (src/solvers/spectrum.ts).
    expect(definiteness(null)).toBe('not established');
  });

  test("a loaded file's indefinite: positive definite only where its Lanczos converged", () => {
    // The ball of 60 at eps 0.02, refined to --tol 1e-10 on the GPU: its residuals miss 1e-10, its
    // float32 Lanczos converged, and the live run said positive definite (cond 2.0898).
    const refined = { indefinite: false, converged: false, reason: 'diverged_refinement' };
    expect(loadedIndefinite(refined)).toBe(false);
    expect(loadedIndefinite({ ...refined, converged: true, reason: 'converged_tol' })).toBe(false);
    // Short of its iterations: λ_min > 0 only bounds the true one from above.
    expect(loadedIndefinite({ ...refined, reason: 'diverged_max_it' })).toBeNull();
    expect(loadedIndefinite({ ...refined, indefinite: true, reason: 'diverged_max_it' })).toBe(true);
    expect(loadedIndefinite({ converged: true, reason: 'converged_tol' })).toBeNull();
  });
});

describe("a solve's or a spectrum's reason as the page words it", () => {
  test('a Stop, which the solvers report as the iteration limit, is said to be the user’s', () => {
    expect(shownReason('diverged_max_it', true)).toEqual({ text: 'stopped by the user', reason: 'stopped' });
  });

  test('the limit itself, and any other reason, in the words of its formula', () => {
    expect(shownReason('diverged_max_it', false)).toEqual({
      text: 'not converged: iteration limit reached',
      reason: 'diverged_max_it',
    });
    expect(shownReason('converged_tol', false).text).toBe('converged: Ritz residuals ≤ tol');
    // A refined solve's, or a refined spectrum's, whose float64 residuals missed tol.
    expect(shownReason('diverged_refinement', false).text).toBe(
      'not converged: the float64 refinement fell short of tol',
    );
    expect(shownReason('something_new', false)).toEqual({ text: 'something_new', reason: 'something_new' });
  });
});

describe("a run's end in one line, as the page's status line says it when nothing else is said", () => {
  const system: DarwinSystem = {
    configuration: geometry('sphere', 20),
    model: 'vector',
    dim: 3,
    epsilon: 0.01,
    softening: 0,
  };
  const momenta = new Float64Array(60).fill(1);

  test('a solve: how it ended, after how many iterations, and its true residual to two digits', async () => {
    const result = await cpuBackend(system).velocities(momenta, 'cg', { rtol: 1e-8 });
    expect(result.converged).toBe(true);
    const said = solveOutcome(result, false, 'float64', 1e-8);
    const [, iterations, residual] =
      /^Solve converged: ‖r‖ ≤ tol ‖p‖, after (\d+) iterations; ‖p − M v‖\/‖p‖ = (\S+)\.$/.exec(said) ?? [];
    expect(Number(iterations)).toBe(result.iterations);
    expect(Number(residual)).toBeLessThanOrEqual(1e-8);
    expect(Math.abs(Number(residual) - result.trueRelativeResidual)).toBeLessThanOrEqual(
      0.05 * result.trueRelativeResidual,
    );
    // Cut short by its limit, or by Stop (which the solvers report as that limit).
    const one = await cpuBackend(system).velocities(momenta, 'cg', { rtol: 1e-8, maxIterations: 1 });
    expect(solveOutcome(one, false, 'float64', 1e-8)).toBe(
      'Solve not converged: iteration limit reached, after 1 iteration; ' +
        `‖p − M v‖/‖p‖ = ${one.trueRelativeResidual.toPrecision(2)}.`,
    );
    expect(one.trueRelativeResidual).toBeGreaterThan(1e-3);
    expect(solveOutcome(one, true, 'float64', 1e-8)).toMatch(
      /^Solve stopped by the user, after 1 iteration; /,
    );
    // A GPU's float32 product named, and a converged solve's true residual past its tolerance (the
    // float32 floor an unrefined solve stops near) said to miss it, as the diagnostics say both.
    expect(solveOutcome(result, false, 'float32_tree', result.trueRelativeResidual / 2)).toBe(
      `Solve converged: ‖r‖ ≤ tol ‖p‖, after ${result.iterations} iterations; ` +
        `‖p − M v‖/‖p‖ = ${markdownNumber(result.trueRelativeResidual, 2)} (float32 tree M v) ` +
        `> tol ${markdownNumber(result.trueRelativeResidual / 2, 2)}.`,
    );
    // Not converged, it met no tolerance to miss.
    expect(solveOutcome(one, false, 'float32', 1e-8)).toMatch(/ \(float32 M v\)\.$/);
  });

  test('a spectrum: how it ended, λ_min and λ_max as the diagnostics show them, and what M is', async () => {
    const result = await cpuBackend(system).spectrum({ tol: 1e-10 });
    expect(result.indefinite).toBe(false);
    const { iterations } = result.lanczos;
    expect(spectrumOutcome(result, false)).toBe(
      `Spectrum converged: Ritz residuals ≤ tol, after ${iterations} Lanczos products: ` +
        `λ_min = ${result.lambdaMin.toPrecision(6)}, λ_max = ${result.lambdaMax.toPrecision(6)}; ` +
        'M is positive definite.',
    );
    // Stopped, its definiteness is not established (spectrumDone's rule), and a proof of the opposite stands.
    expect(spectrumOutcome(result, true)).toMatch(
      /^Spectrum stopped by the user, after \d+ Lanczos products: .*; M's definiteness is not established\.$/,
    );
    expect(spectrumOutcome({ ...result, indefinite: true }, true)).toMatch(/; M is indefinite\.$/);
    // Lanczos stopped short: its Ritz values are bounds of the extremes, said as such.
    const short = { ...result, lanczos: { ...result.lanczos, converged: false } };
    expect(spectrumOutcome(short, true)).toContain(
      `: λ_min ≤ ${result.lambdaMin.toPrecision(6)}, λ_max ≥ ${result.lambdaMax.toPrecision(6)}; `,
    );
  });

  test("a study's end names the study as its card's title does, not by the run's key", () => {
    expect(studyOutcome('london', true, false)).toBe(
      'London moment: the run finished, its results are in the Studies tab.',
    );
    expect(studyOutcome('larmor', false, true)).toBe(
      'Larmor current of N electrons on a ring: stopped by the user, the run did not finish.',
    );
    expect(studyOutcome('scaling', false, false)).toBe(
      'Scaling of the interaction with N at fixed size: the run ended with a point not converged; ' +
        'its card in the Studies tab says which.',
    );
    expect(studyOutcome('pairing', true, false)).toMatch(
      /^Pairing on a ring of thickness a: the run finished/,
    );
    expect(studyOutcome('response', true, false)).toMatch(/^Response to a field, a flux or a rotation: /);
  });

  test('a run refused for fields that do not parse names each, with its folder', () => {
    expect(fixFieldsFirst(['N electrons in Configuration'])).toBe(
      'Fix first (the reason is under the field): N electrons in Configuration.',
    );
    expect(fixFieldsFirst(['B (tesla) in Larmor ring', 'R (metres) in Larmor ring'])).toBe(
      'Fix first (the reason is under each field): B (tesla) in Larmor ring; R (metres) in Larmor ring.',
    );
  });
});

test("the residual plot's axis names the recursive residual it plots, as the row below it does", () => {
  // The live points and the finished history are the solver's recursive ‖r‖ (SolveResult.history);
  // the true ‖p − M v‖ has a row of its own.
  const rows = [...readFileSync('index.html', 'utf8').matchAll(/<dt[^>]*>([^<]*)<\/dt>/g)].map((m) => m[1]);
  expect(rows).toContain(kResidualAxisLabel);
  expect(rows).toContain('‖p − M v‖/‖p‖ (true)');
  expect(kResidualAxisLabel).not.toContain('M v');
});

test("a log axis's labels: every decade over six of them, every other up to twelve", () => {
  // A solve from 1 to 1e-6, and a refined one to 6e-11: uPlot left one label in four of these.
  const exponents = (min: number, max: number) => decades(min, max).map((x) => Math.round(Math.log10(x)));
  expect(exponents(1e-6, 1)).toEqual([-6, -5, -4, -3, -2, -1, 0]);
  expect(exponents(6e-11, 0.5)).toEqual([-9, -7, -5, -3, -1]);
  expect(exponents(1e-13, 1)).toEqual([-13, -10, -7, -4, -1]);
  expect(decades(0, 1)).toEqual([]);
});

describe("a linear plot axis's labels", () => {
  test('ratios within 1e-4 of 1 are told apart, not all written 1', () => {
    expect(linearTickLabels([0.99998, 1, 1.00002], 2e-5)).toEqual(['0.99998', '1.00000', '1.00002']);
  });

  test('each label has the decimals of its spacing: 2.5 times a power of ten keeps its 5', () => {
    expect(linearTickLabels([0, 0.25, 0.5, 0.75], 0.25)).toEqual(['0.00', '0.25', '0.50', '0.75']);
    expect(linearTickLabels([0.2, 0.4, null], 0.2)).toEqual(['0.2', '0.4', '']);
    expect(linearTickLabels([0, 10, 20], 10)).toEqual(['0', '10', '20']);
  });
});

describe('a response run says what it changed of the Electrons tab to show its electrons', () => {
  const ball = { geometry: 'ball', n: 500 } as const;

  test('another geometry and N: both said, with the colour, and the results cleared where there were any', () => {
    const before = { source: 'sphere', n: 500, colourBy: 'darwin' } as const;
    expect(responseShownLine(before, ball, true)).toBe(
      "The canvas shows the response run's electrons, so the Electrons tab took geometry ball and N = 500 " +
        '(were sphere, N = 500) and colour by the induced current |v_i|; its results, of the electrons it ' +
        'had, were cleared.',
    );
    expect(responseShownLine({ ...before, colourBy: 'current' }, ball, false)).toBe(
      "The canvas shows the response run's electrons, so the Electrons tab took geometry ball and N = 500 " +
        '(were sphere, N = 500).',
    );
    expect(responseShownLine({ source: 'file', n: 12, colourBy: 'current' }, ball, false)).toContain(
      '(were a positions file, N = 12)',
    );
  });

  test('the same electrons keep their results: only the colour is said, or nothing', () => {
    expect(responseShownLine({ source: 'ball', n: 500, colourBy: 'velocity' }, ball, true)).toBe(
      "The canvas shows the response run's electrons, so the Electrons tab took colour by the induced " +
        'current |v_i|.',
    );
    expect(responseShownLine({ source: 'ball', n: 500, colourBy: 'current' }, ball, true)).toBeNull();
  });
});
