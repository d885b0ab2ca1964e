// The unrolled passes of the tree product (src/kernels/tree-unrolled.ts) as text, at every expansion
// order: the M2L's entry points together hold each term of the contraction (ExpansionTables.m2lIndex,
// or planarIndex for a flat tree) exactly once, none over the size that compiles, and write every row
// of m2lLocals once; the shifts of M2M and L2L run over columns that hold each term once; and the
// module is valid WGSL on the device. Their numbers are tested through the
// product in test/gpu-tree.test.ts (the 'blocked' variant) against the float64 direct sum.
import { describe, expect, test } from 'vitest';
import { expansionTables, kMaxTreeOrder } from '../src/physics/cartesian-expansion.ts';
import { resolveShader, kShaderFiles } from '../src/gpu/shaders.ts';
import { shiftColumns, unrolledTreePasses } from '../src/kernels/tree-unrolled.ts';
import { gpuHarness } from './helpers/gpu.ts';

/** The text of entry point `name` of `source`, up to the next entry point. */
function entryText(source: string, name: string): string {
  const start = source.indexOf(`fn ${name}(`);
  const next = source.indexOf('@compute', start);
  return source.slice(start, next < 0 ? undefined : next);
}

const kOrders = Array.from({ length: kMaxTreeOrder }, (_, k) => k + 1);

describe('the unrolled M2L holds the contraction', () => {
  for (const planar of [false, true]) {
    test.each(kOrders)(`order %i${planar ? ', planar' : ''}`, (order) => {
      const tables = expansionTables(order);
      const { translations: shader, m2l } = unrolledTreePasses(tables, planar);
      const pairs: string[] = [];
      const rows: number[] = [];
      for (const name of m2l) {
        const text = entryText(shader.source, name);
        const terms = [...text.matchAll(/\bd(\d+) \* m(\d+)\b/g)].map((match) => `${match[1]}:${match[2]}`);
        expect(terms.length).toBeLessThanOrEqual(1500);
        // Each term of a row is d_{alpha + beta} m_alpha; rows are the sums added to l<r>.
        const rowTexts = text.split(/\n\s*\{\n/).slice(1);
        rowTexts.forEach((row) => {
          const r = Number(/ l(\d+) \+= t\d+ \* sum;/.exec(row)![1]);
          for (const match of row.matchAll(/\bd(\d+) \* m(\d+)\b/g))
            pairs.push(`${r}:${match[2]}:${match[1]}`);
        });
        for (const match of text.matchAll(/m2lLocals\[node \* \d+u \+ (\d+)u\] =/g))
          rows.push(Number(match[1]));
      }
      const expected: string[] = [];
      const reducedIndex = new Map(Array.from(tables.reducedTerm, (term, r) => [term, r]));
      if (planar) {
        tables.planarTerm.forEach((term, row) => {
          for (let e = tables.planarOffset[row]; e < tables.planarOffset[row + 1]; e++) {
            expected.push(`${reducedIndex.get(term)}:${tables.planarAlpha[e]}:${tables.planarIndex[e]}`);
          }
        });
      } else {
        for (let r = 0; r < tables.reducedCount; r++) {
          for (let e = tables.m2lOffset[r]; e < tables.m2lOffset[r + 1]; e++) {
            expected.push(`${r}:${e - tables.m2lOffset[r]}:${tables.m2lIndex[e]}`);
          }
        }
      }
      expect(pairs.sort()).toEqual(expected.sort());
      expect(rows.sort((a, b) => a - b)).toEqual(Array.from({ length: tables.reducedCount }, (_, r) => r));
    });
  }
});

describe('the columns of the M2M and L2L shifts', () => {
  test.each(kOrders)('order %i: each term once, columns along the axis by length', (order) => {
    const tables = expansionTables(order);
    const exponent = (t: number, i: number) => tables.exponents[3 * t + i];
    for (let axis = 0; axis < 3; axis++) {
      const columns = shiftColumns(tables, axis);
      expect(Array.from(columns).sort((a, b) => a - b)).toEqual(
        Array.from({ length: tables.termCount }, (_, t) => t),
      );
      const others = [0, 1, 2].filter((i) => i !== axis);
      let k = 0;
      for (let length = 1; length <= order + 1; length++) {
        for (let column = 0; column < order + 2 - length; column++) {
          const terms = Array.from(columns.subarray(k, k + length));
          k += length;
          terms.forEach((t, j) => {
            expect(exponent(t, axis)).toBe(j);
            for (const i of others) expect(exponent(t, i)).toBe(exponent(terms[0], i));
          });
          expect(others.reduce((sum, i) => sum + exponent(terms[0], i), 0)).toBe(order + 1 - length);
        }
      }
      expect(k).toBe(tables.termCount);
    }
  });
});

const gpu = gpuHarness(60_000);

describe('the unrolled passes are valid WGSL', () => {
  for (const order of [1, 6, kMaxTreeOrder]) {
    for (const planar of [false, true]) {
      gpu.test(`order ${order}${planar ? ', planar' : ''}`, async ({ device }) => {
        const { expansions, translations } = unrolledTreePasses(expansionTables(order), planar);
        for (const shader of [expansions, translations]) {
          const code = resolveShader(shader.name, { ...kShaderFiles, [shader.name]: shader.source });
          const module = device.createShaderModule({ label: `Test.${shader.name}`, code });
          const errors = (await module.getCompilationInfo()).messages.filter((m) => m.type === 'error');
          expect(errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`)).toEqual([]);
        }
      });
    }
  }
});
