// The panel's fields, decided outside a page (src/app/state.ts, labels in src/app/panel.ts): how the
// R field writes R, every field's refusal in the words of its twins, `dim` in a link, written for the
// vector model only, the shared refusals (device memory, a spectrum's basis, float32) in the panel's
// words, not the CLI's flags, and the Larmor ring's N refused without a bound of 2^53 written out.
import { describe, expect, test } from 'vitest';
import { kTextFields, type TextKey } from '../src/app/panel.ts';
import {
  inPanelWords,
  kDefaults,
  kQueryKeys,
  parametersFromQuery,
  queryFromParameters,
  type Parameters,
} from '../src/app/state.ts';
import { checkDenseFits, checkFreeFits, checkTreeFits, freeAllocation } from '../src/engine/backend.ts';
import type { GpuContext } from '../src/gpu/device.ts';
import { checkFloat32System } from '../src/physics/float32.ts';
import { InputError } from '../src/physics/input-error.ts';
import { parseLarmorN } from '../src/studies/larmor/spec.ts';
import { darwinSystem } from './helpers/systems.ts';

/** The message `refuse` throws, as the page shows it. */
function shown(refuse: () => void): string {
  try {
    refuse();
  } catch (error) {
    if (error instanceof InputError) return inPanelWords(error.message);
    throw error;
  }
  throw new Error('nothing was refused');
}

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

describe("the shared refusals in the panel's words", () => {
  // A device of 1 kB: every M and tree of a few hundred electrons is refused up front.
  const tiny = {
    limits: { maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 30 },
    memory: { source: 'the test budget', availableBytes: () => 1024 },
  } as unknown as GpuContext;
  const sphere = darwinSystem('sphere', 500, 'vector', 3, 1e-3);

  test("dense storage past the device's memory names the matrix field's choices", () => {
    expect(shown(() => checkDenseFits(tiny, sphere))).toBe(
      "matrix 'dense (stored)' needs 0.00915 GB for the 1500 x 1500 float32 M (0.00900 GB), its vectors, " +
        "more than the 0.00000102 GB of the test budget; use matrix 'matrix-free', which " +
        'recomputes the entries in every product in O(N) memory',
    );
  });

  test("the tree past the device's memory names the tree and matrix-free choices", () => {
    const message = shown(() => checkTreeFits(tiny, sphere));
    expect(message).toMatch(/^matrix 'tree \(fast multipole\)' needs /);
    expect(message).toMatch(
      /; use matrix 'matrix-free', which holds only the positions and vectors \(O\(N\^2\) time a product\)$/,
    );
    expect(message).not.toContain('--');
  });

  test("matrix-free storage past the device's memory names the largest N, as the CLI does", () => {
    // 304 bytes an electron, 24 vectors in whole groups of 4 floats: two electrons in 1 kB (32 bytes of
    // positions and 24 vectors of 8 floats, 800 bytes), not three (1200 bytes).
    expect(shown(() => checkFreeFits(tiny, sphere))).toBe(
      "matrix 'matrix-free' needs 0.000152 GB for the positions of 500 electrons, its vectors, more than " +
        'the 0.00000102 GB of the test budget; it holds at most N = 2 here',
    );
    // The storage 'auto' chose is named as such, in the panel's words too.
    expect(shown(() => checkFreeFits(tiny, sphere, undefined, 'auto'))).toMatch(
      /^the matrix-free storage of matrix 'auto' needs 0\.000152 GB /,
    );
  });

  test("a spectrum's basis past the device's memory names the largest the spectrum basis field takes", () => {
    // Room for the positions, a solve's vectors and a basis of 40 vectors of 500 electrons, not 96.
    const room = {
      ...tiny,
      memory: { source: 'the test budget', availableBytes: () => freeAllocation(sphere, 40).total },
    } as unknown as GpuContext;
    expect(() => checkFreeFits(room, sphere, 40)).not.toThrow();
    expect(shown(() => checkFreeFits(room, sphere, 96))).toMatch(
      /^matrix 'matrix-free' needs .* and Lanczos basis of 96 vectors, .*; a Lanczos basis of at most 40 vectors fits \(spectrum basis 40\)$/,
    );
  });

  test('two electrons at one float32 point name the float64 path as the CLI’s, which the page has not', () => {
    // The azimuthal model: its matrix-free product keeps x and y about the axis (uploadOrigin).
    const configuration = { n: 2, positions: Float64Array.of(1, 0, 0, 1 + 1e-12, 0, 0), source: 'two' };
    const system = { configuration, model: 'azimuthal', dim: 3, epsilon: 1e-3, softening: 0 } as const;
    expect(shown(() => checkFloat32System(system, 'free'))).toBe(
      "electrons 0 and 1 are at the same place once rounded to float32, the GPU's precision; give a " +
        "softening > 0, use matrix 'tree (fast multipole)' (its positions are relative to the median electron), " +
        "or use the CPU reference (the CLI's --device cpu), which keeps float64",
    );
  });

  test("an electron whose rho^2 float32 flushes to 0 names the float64 path as the CLI's", () => {
    const configuration = { n: 2, positions: Float64Array.of(1, 0, 0, 1e-20, 0, 0.5), source: 'axis' };
    const system = { configuration, model: 'azimuthal', dim: 3, epsilon: 0.05, softening: 0 } as const;
    expect(shown(() => checkFloat32System(system, 'auto'))).toBe(
      'the rho^2 = 1.00e-40 R^2 of electron 1 (1.00e-20 R from the z axis) is too small for float32 (the ' +
        "GPU computes in float32; the CPU reference (the CLI's --device cpu) keeps float64's range)",
    );
  });
});

describe("the Larmor ring's N", () => {
  test('a count under 1 is refused as the N field refuses it, with no bound of 2^53 written out', () => {
    for (const text of ['0', '-3', '2.5']) {
      expect(() => parseLarmorN(text)).toThrow(`N must be an integer >= 1, got ${text}`);
      expect(() => parseLarmorN(text)).toThrow(InputError);
    }
    expect(parseLarmorN('1000000000000000')).toBe(1e15);
  });
});
