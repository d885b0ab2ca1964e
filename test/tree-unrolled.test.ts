// The unrolled passes of the tree product (src/kernels/tree-unrolled.ts) as text, at every expansion
// order: the M2L's entry points together hold each term of the contraction (ExpansionTables.m2lIndex,
// or planarIndex for a flat tree) exactly once, none over the size that compiles, and write every row
// of m2lLocals once; the shifts of M2M and L2L run over columns that hold each term once; the
// harmonic reduction and completion, run as written, give reduceMultipole's and completeLocal's
// numbers; and the module is valid WGSL on the device. Their numbers are tested through the
// product in test/gpu-tree.test.ts (the 'blocked' variant) against the float64 direct sum.
import { describe, expect, test } from 'vitest';
import {
  completeLocal,
  expansionTables,
  kCharges,
  kMaxTreeOrder,
  reduceMultipole,
} from '../src/physics/cartesian-expansion.ts';
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

/** A buffer of one node's expansion, as an entry point indexes it: node * stride + term. */
interface NodeBuffer {
  readonly name: string;
  readonly stride: number;
  readonly values: Float64Array;
}

/**
 * Runs the straight-line statements of a reduce or complete entry point on one charge, from its first
 * load to its end: `let`/`var` from `read`, an expression of earlier names, `-=`, and stores (`=`,
 * `+=`) into `written`. A load or store of another buffer or stride, or any other statement, fails.
 */
function interpret(text: string, read: NodeBuffer, written: NodeBuffer): void {
  const value = new Map<string, number>();
  const get = (name: string) => {
    const v = value.get(name);
    if (v === undefined) throw new Error(`${name} read before it is set`);
    return v;
  };
  const lines = text.split('\n').map((l) => l.trim());
  const first = lines.findIndex((l) => /^(?:let|var) \w+ = \w+\[node \*/.test(l));
  expect(first).toBeGreaterThan(0);
  for (const line of lines.slice(first)) {
    let m: RegExpExecArray | null;
    if ((m = /^(?:let|var) (\w+) = (\w+)\[node \* (\d+)u \+ (\d+)u\];$/.exec(line))) {
      expect([m[2], Number(m[3])]).toEqual([read.name, read.stride]);
      value.set(m[1], read.values[Number(m[4])]);
    } else if ((m = /^let (\w+) = -(\w+) - (\w+);$/.exec(line))) {
      value.set(m[1], -get(m[2]) - get(m[3]));
    } else if ((m = /^(\w+) -= (\w+);$/.exec(line))) {
      value.set(m[1], get(m[1]) - get(m[2]));
    } else if ((m = /^(\w+)\[node \* (\d+)u \+ (\d+)u\] (\+?)= (\w+);$/.exec(line))) {
      expect([m[1], Number(m[2])]).toEqual([written.name, written.stride]);
      const t = Number(m[3]);
      written.values[t] = (m[4] ? written.values[t] : 0) + get(m[5]);
    } else if (line !== '}' && line !== '') {
      throw new Error(`a statement the harmonic identity does not have: ${line}`);
    }
  }
}

describe('the unrolled reduce and complete are the harmonic identity', () => {
  test.each(kOrders)('order %i', (order) => {
    const tables = expansionTables(order);
    const { expansions, reduce, complete } = unrolledTreePasses(tables, false);
    const { termCount, reducedCount, reducedTerm } = tables;
    const moments = Float64Array.from({ length: termCount }, (_, t) => Math.sin(1 + 2.3 * t));
    // reduceMultipole on the four charges at once: charge 0 carries the moments, the rest zero.
    const four = new Float64Array(kCharges * termCount);
    moments.forEach((m, t) => (four[kCharges * t] = m));
    const expected = new Float64Array(kCharges * reducedCount);
    reduceMultipole(tables, four, expected);
    const reduced = new Float64Array(reducedCount).fill(NaN);
    interpret(
      entryText(expansions.source, reduce),
      { name: 'leafMoments', stride: termCount, values: moments },
      { name: 'reduced', stride: reducedCount, values: reduced },
    );
    expect(Array.from(reduced)).toEqual(
      Array.from({ length: reducedCount }, (_, r) => expected[kCharges * r]),
    );
    // The completed M2L sums added to locals that hold the L2L's part.
    const m2lLocals = Float64Array.from({ length: reducedCount }, (_, r) => Math.cos(0.7 * r));
    const full = new Float64Array(kCharges * termCount);
    reducedTerm.forEach((t, r) => (full[kCharges * t] = m2lLocals[r]));
    completeLocal(tables, full);
    const locals = Float64Array.from({ length: termCount }, (_, t) => t);
    interpret(
      entryText(expansions.source, complete),
      { name: 'm2lLocals', stride: reducedCount, values: m2lLocals },
      { name: 'locals', stride: termCount, values: locals },
    );
    expect(Array.from(locals)).toEqual(Array.from({ length: termCount }, (_, t) => t + full[kCharges * t]));
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
