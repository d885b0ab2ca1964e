// The studies' specs (src/studies/*/spec.ts): the limits and checks that the CLI's flags and the app's
// fields share, read through both adapters.
import { describe, expect, it } from 'vitest';
import { parseLondonGrid, parseScalingN, parseScalingPoints } from '../src/app/state.ts';
import { pairingCommand } from '../src/cli/commands/pairing.ts';
import { Progress } from '../src/cli/progress.ts';
import { InputError } from '../src/physics/input-error.ts';
import {
  kLondonBrowserGrid,
  kLondonDefaultNs,
  kLondonGrid,
  londonHalfHeight,
  londonNs,
} from '../src/studies/london/spec.ts';
import { markdownNumber, markdownTable } from '../src/studies/markdown.ts';
import type { PairingJson } from '../src/studies/pairing/report.ts';
import { pairingRatios } from '../src/studies/pairing/spec.ts';
import {
  logSpacedCounts,
  parseScalingGeometries,
  scalingLanczosTol,
  scalingNMaxProblem,
  scalingPointsProblem,
  scalingRangeProblem,
} from '../src/studies/scaling/spec.ts';
import { integerRangeProblem, numberList } from '../src/studies/study.ts';

/** What `run` throws: an InputError's field and message. */
function refusal(run: () => unknown): { field: string | null; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof InputError) return { field: error.field, message: error.message };
    throw error;
  }
  throw new Error('not refused');
}

describe('integer ranges', () => {
  it('accept the integers in range and refuse the rest', () => {
    expect([4, 500, 1001].map((x) => integerRangeProblem(kLondonGrid, x))).toEqual([null, null, null]);
    // G = 3 has the centre alone in the map's inner half.
    for (const x of [3, 1002, 7.5, NaN]) {
      expect(integerRangeProblem(kLondonGrid, x), String(x)).toBe('must be an integer in 4..1001');
    }
  });

  it('the app names its field and its own, smaller limit', () => {
    expect(parseLondonGrid('201')).toBe(kLondonBrowserGrid.max);
    expect(() => parseLondonGrid('202')).toThrow('grid must be an integer in 4..201, got 202');
    expect(() => parseLondonGrid('3')).toThrow('grid must be an integer in 4..201, got 3');
    expect(() => parseScalingN('1')).toThrow('N must be an integer in 2..4096, got 1');
    expect(() => parseScalingPoints('13')).toThrow('points must be an integer in 1..12, got 13');
  });
});

describe('the scaling spec', () => {
  it('log-spaced N without repeats, the largest alone for one point', () => {
    expect(logSpacedCounts(8, 64, 4)).toEqual([8, 16, 32, 64]);
    expect(logSpacedCounts(2, 4, 9)).toEqual([2, 3, 4]);
    expect(logSpacedCounts(16, 3000, 1)).toEqual([3000]);
    expect(() => logSpacedCounts(1, 10, 3)).toThrow(InputError);
    expect(() => logSpacedCounts(10, 5, 3)).toThrow(InputError);
  });

  it('geometries by name, and the largest N not below the smallest', () => {
    expect(parseScalingGeometries('ring, ball')).toEqual(['ring', 'ball']);
    expect(() => parseScalingGeometries('ring,cube')).toThrow(
      "geometries takes ring, disk, sphere, ball, got 'cube'",
    );
    expect(scalingRangeProblem(16, 16)).toBeNull();
    expect(scalingRangeProblem(16, 15)).toBe('the largest N must be >= the smallest (16)');
  });
});

describe("a sweep's list of numbers", () => {
  const odd = (x: number) => (x % 2 === 1 ? null : 'must be odd');

  it('reads comma-separated and repeated texts in the order given, spaces around each number allowed', () => {
    expect(numberList('n', '--n', ['5, 1', '3e0'])).toEqual([5, 1, 3]);
    expect(numberList('n', 'N', '0.5,-2')).toEqual([0.5, -2]);
    expect(numberList('n', '--n', [])).toEqual([]);
    // Without refuseRepeats a repeat is kept: the caller decides (response's link keeps it once).
    expect(numberList('n', '--n', '3,3.0', odd)).toEqual([3, 3]);
  });

  it('refuses an element, by the name given and the field, as parseNumber refuses one number', () => {
    expect(refusal(() => numberList('n', '--n', '3, abc'))).toEqual({
      field: 'n',
      message: "--n needs a finite number, got 'abc'",
    });
    expect(refusal(() => numberList('n', 'N', '3,,5'))).toEqual({
      field: 'n',
      message: "N needs a finite number, got ''",
    });
    expect(refusal(() => numberList('n', 'n', '1,0x10'))).toEqual({
      field: 'n',
      message: "n needs a finite number, got '0x10'",
    });
    expect(refusal(() => numberList('n', 'n', '1e-400'))).toEqual({
      field: 'n',
      message: 'n is too small for float64 (it would be 0), got 1e-400',
    });
    expect(refusal(() => numberList('n', '--n', ['1', '7,4'], odd))).toEqual({
      field: 'n',
      message: '--n must be odd, got 4',
    });
  });

  it('with refuseRepeats, refuses a number given twice however written', () => {
    expect(refusal(() => numberList('n', '--n', ['3', '1,3.0'], odd, { refuseRepeats: true }))).toEqual({
      field: 'n',
      message: '--n names 3 more than once; give it once',
    });
    expect(numberList('n', '--n', '3,1', odd, { refuseRepeats: true })).toEqual([3, 1]);
  });
});

describe('the pairing spec', () => {
  it('ratios from repeated and comma-separated values, ascending; the range (1, 1e12]', () => {
    expect(pairingRatios(['300,3', '30'], '--ratios')).toEqual([3, 30, 300]);
    expect(pairingRatios(undefined, '--ratios')).toHaveLength(21);
    expect(() => pairingRatios(['1'], '--ratios')).toThrow('--ratios needs a_m/a in (1, 1e12], got 1');
    expect(() => pairingRatios(['2e12'], '--ratios')).toThrow('--ratios needs a_m/a in (1, 1e12], got 2e12');
    expect(refusal(() => pairingRatios(['1000', '10,1e3'], '--ratios'))).toEqual({
      field: 'ratios',
      message: '--ratios names 1000 more than once; give it once',
    });
  });
});

describe('the London spec', () => {
  it("N from repeated and comma-separated values, in the order given; the default bodies' without any", () => {
    expect(londonNs(['4000, 250', '1000'], 'sphere', 1, '--n')).toEqual([4000, 250, 1000]);
    expect(londonNs(undefined, 'sphere', 1, '--n')).toEqual(kLondonDefaultNs);
    expect(londonNs(['1000000'], 'cylinder', 1e6, '--n')).toEqual([1000000]);
  });

  it('refuses an N outside 1..1e6, one given twice, and a cylinder with fewer than h charges', () => {
    expect(refusal(() => londonNs(['0'], 'sphere', 1, '--n'))).toEqual({
      field: 'n',
      message: '--n must be an integer in 1..1000000, got 0',
    });
    expect(refusal(() => londonNs(['250,1000001'], 'sphere', 1, '--n'))).toEqual({
      field: 'n',
      message: '--n must be an integer in 1..1000000, got 1000001',
    });
    expect(refusal(() => londonNs(['50', '50'], 'sphere', 1, '--n'))).toEqual({
      field: 'n',
      message: '--n names 50 more than once; give it once',
    });
    const short = refusal(() => londonNs(['400,250'], 'cylinder', 300, '--n'));
    expect(short.field).toBe('n');
    expect(short.message).toMatch(
      /^--n must be at least h = 300 for a cylinder \(axial spacing .*\), got 250$/,
    );
    // The default bodies are held to the cylinder too.
    expect(refusal(() => londonNs(undefined, 'cylinder', 300, '--n')).message).toMatch(/, got 150$/);
    // The sphere has no h: any N makes it.
    expect(londonNs(['250'], 'sphere', 300, '--n')).toEqual([250]);
  });

  it("the cylinder's half-height: 1 unless given, refused for the sphere and outside 1e-6..1e6", () => {
    expect(londonHalfHeight('sphere', undefined, '--half-height', '--geometry')).toBe(1);
    expect(londonHalfHeight('cylinder', undefined, '--half-height', '--geometry')).toBe(1);
    expect(londonHalfHeight('cylinder', '2.5', '--half-height', '--geometry')).toBe(2.5);
    expect(refusal(() => londonHalfHeight('sphere', '2', '--half-height', '--geometry'))).toEqual({
      field: 'halfHeight',
      message: '--half-height applies only to --geometry cylinder',
    });
    expect(refusal(() => londonHalfHeight('cylinder', '1e-7', 'h', 'geometry'))).toEqual({
      field: 'halfHeight',
      message: 'h must be at least 1e-6 (flatter is a ring), got 1e-7',
    });
    expect(refusal(() => londonHalfHeight('cylinder', '1e150', 'h', 'geometry')).message).toMatch(
      /^h must be at most 1000000 \(a cylinder needs N >= h electrons/,
    );
  });
});

describe("the scaling spec's command-line sweep", () => {
  it('the largest N from the smallest to 1e8, an integer', () => {
    expect(scalingNMaxProblem(16, 16)).toBeNull();
    expect(scalingNMaxProblem(16, 1e8)).toBeNull();
    for (const nMax of [15, 1e8 + 1, 20.5]) {
      expect(scalingNMaxProblem(16, nMax), String(nMax)).toBe(
        'must be an integer in n-min..100000000 (16..100000000)',
      );
    }
  });

  it('at least one point, at most one per N', () => {
    expect(scalingPointsProblem(4, 5, 1)).toBeNull();
    expect(scalingPointsProblem(4, 5, 2)).toBeNull();
    for (const points of [0, 3, 1.5]) {
      expect(scalingPointsProblem(4, 5, points), String(points)).toBe(
        'must be an integer in 1..n-max - n-min + 1 (1..2), one point per N at most',
      );
    }
  });

  it("Lanczos' tolerance: the device's default, and on the GPU none below float32's 1e-6", () => {
    expect(scalingLanczosTol('gpu', undefined, '--tol')).toBe(1e-6);
    expect(scalingLanczosTol('cpu', undefined, '--tol')).toBe(1e-10);
    expect(scalingLanczosTol('gpu', '1e-6', '--tol')).toBe(1e-6);
    expect(scalingLanczosTol('cpu', '1e-12', '--tol')).toBe(1e-12);
    expect(refusal(() => scalingLanczosTol('gpu', '1e-7', '--tol'))).toEqual({
      field: 'lanczosTolerance',
      message:
        "--tol 1e-7 is below the 1e-6 the GPU's float32 Lanczos resolves, and scaling does not refine " +
        'its eigenvalues in float64 (spectrum does); use --device cpu',
    });
    expect(refusal(() => scalingLanczosTol('cpu', '0', '--tol')).field).toBe('lanczosTolerance');
  });

  it('log-spaced N refused outside the same range', () => {
    expect(() => logSpacedCounts(2, 1e8 + 1, 3)).toThrow(
      'need integers 2 <= n-min <= n-max <= 100000000, got 2 and 100000001',
    );
    expect(() => logSpacedCounts(16, 32, 0)).toThrow('need at least one point, got 0');
  });
});

describe('the Markdown of the reports', () => {
  it('numbers as the README prints them, and a table', () => {
    expect([
      markdownNumber(3.14159),
      markdownNumber(123456),
      markdownNumber(0.000123, 2),
      markdownNumber(0),
    ]).toEqual(['3.142', '1.235e+5', '1.2e-4', '0.000']);
    expect(markdownNumber(null)).toBe('–');
    expect(markdownTable(['a', 'b'], [['1', '2']])).toBe('| a | b |\n|---|---|\n| 1 | 2 |');
  });

  it("pairing --markdown: a row per ring and reading of eq. 43, its temperatures from the JSON, what's assumed marked", async () => {
    const output = await pairingCommand(['--ratios', '10', '--markdown'], new Progress({ quiet: true }));
    const summary = output.summary as PairingJson & { markdown: string };
    const lines = summary.markdown.split('\n');
    const [gold, copper] = summary.rings;
    const row = (ring: typeof gold, k: number, a: string, radius: string, zF: string) => {
      const reading = ring.readings[k];
      const cells = [ring.name, markdownNumber(ring.fermi_energy_ev, 3), a, radius, zF];
      const temperatures = [
        reading.a_m_m * 1e6,
        reading.temperature_eq46_mk,
        reading.temperature_exact_mk,
        reading.on_ring.temperature_mk,
      ];
      return `| ${[...cells, markdownNumber(temperatures[0]), ...temperatures.slice(1).map((t) => markdownNumber(t, 3))].join(' | ')} |`;
    };
    // Cu's thickness and Au's radius are the paper's gaps, marked; Z_F read both ways.
    expect(lines.slice(2, 6)).toEqual([
      row(gold, 0, '80.0', '0.350 (assumed)', 'E_F/mc²'),
      row(gold, 1, '80.0', '0.350 (assumed)', '2E_F/mc²'),
      row(copper, 0, '100 (assumed)', '0.350', 'E_F/mc²'),
      row(copper, 1, '100 (assumed)', '0.350', '2E_F/mc²'),
    ]);
    expect(lines[3]).toContain('| 4.890 | 2.50 | 0.604 | 0.615 |');
    expect(lines[4]).toContain('| 7.726 | 1.12 | 0.275 | 0.323 |');
    expect(lines.slice(6, 7)).toEqual(['']);
    expect(lines[7]).toMatch(
      / Au's R assumed: the paper gives no radius .*\. Cu's a assumed: the paper gives no thickness /,
    );
    expect(lines).toHaveLength(8);
    expect(output.text).toBe(`${summary.markdown}\n`);
  });
});
