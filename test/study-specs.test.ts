// The studies' specs (src/studies/*/spec.ts): the limits and checks that the CLI's flags and the app's
// fields share, read through both adapters.
import { describe, expect, it } from 'vitest';
import { parseLondonGrid, parseScalingN, parseScalingPoints } from '../src/app/state.ts';
import { pairingCommand } from '../src/cli/commands/pairing.ts';
import { Progress } from '../src/cli/progress.ts';
import { InputError } from '../src/physics/input-error.ts';
import { kLondonBrowserGrid, kLondonGrid } from '../src/studies/london/spec.ts';
import { markdownNumber, markdownTable } from '../src/studies/markdown.ts';
import type { PairingJson } from '../src/studies/pairing/report.ts';
import { pairingRatios } from '../src/studies/pairing/spec.ts';
import { logSpacedCounts, parseScalingGeometries, scalingRangeProblem } from '../src/studies/scaling/spec.ts';
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

  it('pairing --markdown: one row per ring with its temperatures from the JSON', async () => {
    const output = await pairingCommand(['--ratios', '10', '--markdown'], new Progress({ quiet: true }));
    const summary = output.summary as PairingJson & { markdown: string };
    const rows = summary.markdown.split('\n');
    expect(rows).toHaveLength(2 + summary.rings.length);
    summary.rings.forEach((ring, k) => {
      expect(rows[2 + k]).toContain(`| ${ring.name} |`);
      expect(rows[2 + k]).toContain(`| ${markdownNumber(ring.temperature_eq46_mk, 3)} |`);
    });
    expect(output.text).toBe(`${summary.markdown}\n`);
  });
});
