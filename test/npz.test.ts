// The .npz writer against independent readers: node:zlib's CRC-32 and NumPy itself (python3 with
// numpy, spawned), comparing every value, dtype and shape exactly.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { crc32, npyBytes, npzBytes, type NpyArray } from '../src/io/npz.ts';
import { seededRandom } from '../src/math/vectors.ts';

const directory = mkdtempSync(join(tmpdir(), 'npz-test-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** What np.load sees: per member its dtype, shape and values (floats by repr, which round-trips). */
const kReader = `
import json, sys
import numpy as np
with np.load(sys.argv[1]) as npz:
    out = {}
    for name in npz.files:
        a = npz[name]
        out[name] = {'dtype': a.dtype.str, 'shape': list(a.shape),
                     'values': str(a) if a.dtype.kind == 'U' else a.ravel().tolist()}
print(json.dumps(out))
`;

function numpyRead(
  bytes: Uint8Array,
  name: string,
): Record<string, { dtype: string; shape: number[]; values: unknown }> {
  const path = join(directory, name);
  writeFileSync(path, bytes);
  return JSON.parse(execFileSync('python3', ['-c', kReader, path], { encoding: 'utf8' }));
}

describe('crc32', () => {
  it.each([
    ['empty', new Uint8Array(0)],
    ['ascii', new TextEncoder().encode('The quick brown fox jumps over the lazy dog')],
    ['random', Uint8Array.from({ length: 4099 }, seededBytes(7))],
  ])('matches node:zlib on %s bytes', (_, bytes) => {
    expect(crc32(bytes)).toBe(zlibCrc32(bytes));
  });

  it('gives the published check value of "123456789"', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });
});

function seededBytes(seed: number): () => number {
  const random = seededRandom(seed);
  return () => Math.floor(random() * 256);
}

describe('npz read back by numpy', () => {
  it('keeps float64 and int32 values, dtypes and shapes exactly, and the summary JSON', () => {
    const random = seededRandom(3);
    const positions = Float64Array.from(
      { length: 3 * 7 },
      () => (2 * random() - 1) * 10 ** (8 * random() - 4),
    );
    const extremes = Float64Array.from([0, -0, 5e-324, -1.7976931348623157e308, Math.PI, 1 / 3]);
    const arrays: Record<string, NpyArray> = {
      positions: { dtype: 'float64', data: positions, shape: [7, 3] },
      extremes: { dtype: 'float64', data: extremes, shape: [6] },
      history: { dtype: 'float64', data: [], shape: [0] },
      iterations: { dtype: 'int32', data: [-2147483648, 0, 1, 2147483647], shape: [2, 2] },
      scalar: { dtype: 'float64', data: [2.5], shape: [] },
      cube: { dtype: 'int32', data: Array.from({ length: 24 }, (_, k) => k - 12), shape: [2, 3, 4] },
    };
    const summary = { n: 7, model: 'vector', relative_error: 1.25e-6, note: 'ρ² ≥ 0, ∞ 𝜀' };
    const read = numpyRead(npzBytes(arrays, summary), 'all.npz');

    expect(Object.keys(read).sort()).toEqual([...Object.keys(arrays), 'summary'].sort());
    for (const [name, array] of Object.entries(arrays)) {
      expect(read[name].dtype, name).toBe(array.dtype === 'float64' ? '<f8' : '<i4');
      expect(read[name].shape, name).toEqual(array.shape);
      const values = read[name].values as number[];
      expect(values.length, name).toBe(array.data.length);
      // toBe is Object.is: -0 stays -0 and every bit of every double must come back.
      values.forEach((value, k) => expect(value, `${name}[${k}]`).toBe(array.data[k]));
    }
    expect(read.summary.dtype).toMatch(/^<U\d+$/);
    expect(read.summary.shape).toEqual([]);
    expect(JSON.parse(read.summary.values as string)).toEqual(summary);
  });

  it('writes an archive without a summary, and headers aligned to 64 bytes', () => {
    const bytes = npyBytes({ dtype: 'float64', data: [1, 2, 3], shape: [3] });
    const dataStart = 10 + bytes[8] + 256 * bytes[9];
    expect(dataStart % 64).toBe(0);
    expect(bytes.length).toBe(dataStart + 24);
    expect(new Float64Array(bytes.slice(dataStart).buffer)).toEqual(Float64Array.from([1, 2, 3]));
    expect(String.fromCharCode(...bytes.slice(1, 6))).toBe('NUMPY');
    const read = numpyRead(npzBytes({ v: { dtype: 'float64', data: [1, 2, 3], shape: [3] } }), 'one.npz');
    expect(read).toEqual({ v: { dtype: '<f8', shape: [3], values: [1, 2, 3] } });
  });

  it('refuses a shape that does not fit the data, a non-int32 value and a name clash', () => {
    expect(() => npyBytes({ dtype: 'float64', data: [1, 2, 3], shape: [2, 2] })).toThrow(RangeError);
    expect(() => npyBytes({ dtype: 'int32', data: [2 ** 31], shape: [1] })).toThrow(RangeError);
    expect(() => npyBytes({ dtype: 'int32', data: [0.5], shape: [1] })).toThrow(RangeError);
    expect(() => npzBytes({ summary: { dtype: 'int32', data: [1], shape: [1] } }, {})).toThrow(RangeError);
  });
});
