// Things of the app that its logic decides outside a page: the JSON it downloads after a spectrum
// alone (src/run/report.ts solveJson), the messages of its fields (src/app/state.ts, labels in
// src/app/panel.ts) and how the R field writes R, and `dim` in its links, written for the vector
// model only.
import { describe, expect, test } from 'vitest';
import { kTextFields, type TextKey } from '../src/app/panel.ts';
import {
  kDefaults,
  kQueryKeys,
  parametersFromQuery,
  queryFromParameters,
  type Parameters,
} from '../src/app/state.ts';
import { kCpuDevice } from '../src/io/formats.ts';
import { velocityPattern } from '../src/physics/velocities.ts';
import { cpuBackend } from '../src/run/backend.ts';
import { float32CheckTargets } from '../src/run/check.ts';
import { solveJson, spectrumJson } from '../src/run/report.ts';
import { runSolve } from '../src/run/solve.ts';
import { runSpectrum } from '../src/run/spectrum.ts';
import { darwinSystem, ringSpectrum } from './helpers/systems.ts';

describe("the app's download after a spectrum alone", () => {
  const n = 24;
  const epsilon = 0.01;
  /** The unit ring in the azimuthal model: D = I, so D^-1/2 M D^-1/2 = I + eps V, V circulant (eq. 31). */
  const ring = darwinSystem('ring', n, 'azimuthal', 3, epsilon);
  const context = { device: kCpuDevice, matrix: 'dense', radiusMetres: 2.8179403262e-13, timing: {} };

  test("the spectrum's float64 check in spectrum's shape, and no converged solve where none ran", async () => {
    // A float32 Lanczos checked against the float64 one, as the page checks its GPU's.
    const report = await runSpectrum(
      ring,
      cpuBackend(ring, 'float32'),
      { tol: 1e-6, seed: 1 },
      cpuBackend(ring),
    );
    const json = solveJson(ring, null, context, { arrays: true, spectrum: report });
    expect(json).toMatchObject({ mode: null, iterations: 0, reason: null, tolerance: null, check: null });
    expect(json.converged).toBeNull();

    const spectrum = json.spectrum as Record<string, unknown>;
    const check = spectrum.check as Record<string, number | Record<string, number>>;
    // The errors of I + S, where Lanczos ran, against the closed form theta = 1 + lambda_k, relative
    // to the largest |theta|.
    const exact = ringSpectrum(n, 1);
    const scale = Math.max(Math.abs(exact[0]), exact[n - 1]);
    const errorMin = Math.abs(1 + report.spectrum.interactionMin - exact[0]) / scale;
    const errorMax = Math.abs(1 + report.spectrum.interactionMax - exact[n - 1]) / scale;
    expect(Math.abs((check.lambda_min as number) - errorMin)).toBeLessThan(1e-9);
    expect(Math.abs((check.lambda_max as number) - errorMax)).toBeLessThan(1e-9);
    expect(check.max_relative_error).toBe(Math.max(check.lambda_min as number, check.lambda_max as number));
    expect(check.max_relative_error).toBeGreaterThan(0);
    expect(check.targets).toEqual({ eigenvalues: float32CheckTargets(n).eigenvalues });
    // One builder: the CLI's `spectrum --json` writes the same object.
    expect(check).toEqual(spectrumJson(report, context).check);
    expect(spectrum.lambda_max).toBe(report.spectrum.lambdaMax);

    // Unchecked, the spectrum says so as `spectrum` does.
    const unchecked = await runSpectrum(ring, cpuBackend(ring), { tol: 1e-10, seed: 1 });
    expect(
      (solveJson(ring, null, context, { spectrum: unchecked }).spectrum as Record<string, unknown>).check,
    ).toBeNull();
  });

  test("momenta alone stay converged: p = M v is exact, as the CLI's solve --velocity says", async () => {
    const given = velocityPattern(ring, 'rigid');
    const report = await runSolve(ring, cpuBackend(ring), {
      mode: 'momenta',
      given,
      pattern: 'rigid',
      seed: null,
      solver: 'auto',
      rtol: 1e-10,
    });
    const json = solveJson(ring, report, context);
    expect(json).toMatchObject({ mode: 'momenta', iterations: 0, converged: true, reason: null });
  });
});

test("the R field writes six digits of R without toPrecision's trailing zeros, and reads them back", () => {
  const { format, parse } = kTextFields.radiusMetres;
  expect(format(1e-6)).toBe('0.000001');
  expect(format(2.8179403262e-13)).toBe('2.81794e-13');
  expect(format(0.0123456789)).toBe('0.0123457');
  expect(format(Infinity)).toBe('∞');
  for (const r of [1e-6, 1.5e-9, 0.02]) expect(parse(format(r))).toBe(r);
});

describe('every field refuses a bad value in the words of its twins', () => {
  /** Values some field refuses: a word, nothing, a negative, zero, fractions, under- and overflow, a list. */
  const kBadTexts = ['abc', '', '-1', '0', '0.5', '2.5', '1e-400', '1e400', '1e12', '7,x'];
  const kVerb = / (needs|must|is) /;

  test.each(kQueryKeys)('%s', (query) => {
    const messages: { key: keyof Parameters; text: string; message: string }[] = [];
    for (const text of kBadTexts) {
      const { errors } = parametersFromQuery(`?${query}=${encodeURIComponent(text)}`);
      const entries = Object.entries(errors) as [keyof Parameters, string][];
      expect(entries.length).toBeLessThanOrEqual(1);
      for (const [key, message] of entries) messages.push({ key, text, message });
    }
    // Every field has something to refuse, so none slips through the rule below.
    expect(messages.length).toBeGreaterThan(0);
    for (const { key, text, message } of messages) {
      const verb = kVerb.exec(message);
      expect(verb, message).not.toBeNull();
      const name = message.slice(0, verb!.index);
      if (key in kTextFields) {
        // A typed field: named by words of its panel label ('N' of 'N electrons'), never by a key,
        // and the panel's own parser says the same as the link.
        const spec = kTextFields[key as TextKey];
        const labelWords = spec.label.split(/[\s()]+/);
        const nameWords = name.split(' ');
        const at = labelWords.findIndex((_, i) => nameWords.every((word, j) => labelWords[i + j] === word));
        expect(at, `"${name}" in "${spec.label}"`).toBeGreaterThanOrEqual(0);
        expect(() => spec.parse(text)).toThrow(message);
      } else {
        // A choice (a select, the check box, the slider): only a link gets it wrong, named by its key.
        expect(name).toBe(query);
      }
      // The value refused: quoted where the message says it is no number (or no choice), bare where
      // it is a number; in a list, the element refused.
      const got = /, got (.*?)( \(did you mean \w+\?\))?$/.exec(message);
      expect(got, message).not.toBeNull();
      const refused = got![1];
      const parts = [text, ...text.split(',')];
      if (/needs (a )?finite numbers?|must be one of/.test(message)) {
        expect(parts.map((part) => `'${part}'`)).toContain(refused);
      } else {
        expect(refused, message).not.toMatch(/^'/);
        expect(parts.map(Number)).toContain(Number(refused));
      }
    }
  });
});

describe('dim in the link: the vector model only', () => {
  test('the vector model writes its dim and reads it back', () => {
    const chosen: Parameters = { ...kDefaults, source: 'disk', model: 'vector', dim: 2 };
    const query = queryFromParameters(chosen);
    expect(query).toContain('model=vector&dim=2&eps=');
    const { parameters, errors } = parametersFromQuery(`?${query}`);
    expect(errors).toEqual({});
    expect(parameters).toEqual(chosen);
  });

  test('the azimuthal model writes none: its dim (the panel shows it disabled) is not in the link', () => {
    const chosen: Parameters = { ...kDefaults, source: 'ring', model: 'azimuthal', dim: 2 };
    const query = queryFromParameters(chosen);
    expect(new URLSearchParams(query).has('dim')).toBe(false);
    expect(query).toContain('model=azimuthal&eps=');
    const { parameters, errors } = parametersFromQuery(`?${query}`);
    expect(errors).toEqual({});
    expect(parameters).toEqual({ ...chosen, dim: kDefaults.dim });
  });

  test.each(['model=azimuthal&dim=2', 'dim=2&model=azimuthal', 'model=azimuthal&dim=3'])(
    'a link with %s runs the azimuthal model without it, and its rewrite drops it',
    (link) => {
      const { parameters, errors } = parametersFromQuery(`?geometry=ring&${link}`);
      expect(errors).toEqual({});
      expect(parameters.model).toBe('azimuthal');
      expect(parameters.dim).toBe(kDefaults.dim);
      expect(new URLSearchParams(queryFromParameters(parameters)).has('dim')).toBe(false);
    },
  );

  test('a bad dim beside the azimuthal model is still refused under its field', () => {
    const { parameters, errors } = parametersFromQuery('?model=azimuthal&dim=7');
    expect(errors).toEqual({ dim: "dim must be one of 2, 3, got '7'" });
    expect(parameters.model).toBe('azimuthal');
  });
  test("the response card's response_dim follows its own model the same way", () => {
    const vector = parametersFromQuery('?response_model=vector&response_dim=2');
    expect(vector.errors).toEqual({});
    expect(vector.parameters.responseDim).toBe(2);
    expect(queryFromParameters(vector.parameters)).toContain('response_model=vector&response_dim=2');
    for (const link of [
      'response_model=azimuthal&response_dim=2',
      'response_dim=2&response_model=azimuthal',
    ]) {
      const { parameters, errors } = parametersFromQuery(`?${link}`);
      expect(errors).toEqual({});
      expect(parameters.responseModel).toBe('azimuthal');
      expect(parameters.responseDim).toBe(kDefaults.responseDim);
      expect(new URLSearchParams(queryFromParameters(parameters)).has('response_dim')).toBe(false);
    }
    // Each dimension follows its own model: the main model's azimuthal leaves the card's dim alone.
    const mixed = parametersFromQuery('?model=azimuthal&response_model=vector&response_dim=2');
    expect([mixed.parameters.dim, mixed.parameters.responseDim]).toEqual([kDefaults.dim, 2]);
  });
});
