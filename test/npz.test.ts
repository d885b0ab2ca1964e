// The .npz writer against independent readers: node:zlib's CRC-32, NumPy itself (python3 with
// numpy, spawned), comparing every value, dtype and shape exactly, and a walk of the ZIP records as a
// streaming reader sees them (NumPy reads the central directory only).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { crc32, npyBytes, npzBytes, unicodeNpyBytes, type NpyArray } from '../src/io/npz.ts';
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

describe('the ZIP records of an npz (PKWARE APPNOTE 6.3)', () => {
  it('has local headers that agree with the central directory, and an end record that counts every member', () => {
    // Python's zipfile (np.load) takes CRCs and sizes from the central directory alone; streaming
    // readers (unzip -t, Java's ZipInputStream, Go's archive/zip) check each local header (4.3.7)
    // and its data, and strict ones the end record's two member counts (4.4.21, 4.4.22).
    const arrays: Record<string, NpyArray> = {
      positions: { dtype: 'float64', data: [0.5, -1, 2, 3, 4, 5], shape: [2, 3] },
      iterations: { dtype: 'int32', data: [7, 8, 9], shape: [3] },
    };
    const summary = { n: 2 };
    const members = [
      ...Object.entries(arrays).map(([name, array]) => ({ name: `${name}.npy`, bytes: npyBytes(array) })),
      { name: 'summary.npy', bytes: unicodeNpyBytes(JSON.stringify(summary)) },
    ];
    const archive = npzBytes(arrays, summary);
    const view = new DataView(archive.buffer, archive.byteOffset, archive.byteLength);
    const text = (offset: number, length: number) =>
      String.fromCharCode(...archive.subarray(offset, offset + length));

    // End of central directory (4.3.16), no comment: the last 22 bytes.
    const end = archive.length - 22;
    expect(view.getUint32(end, true)).toBe(0x06054b50);
    expect(view.getUint16(end + 4, true)).toBe(0); // this disk
    expect(view.getUint16(end + 6, true)).toBe(0); // the disk the central directory starts on
    expect(view.getUint16(end + 8, true)).toBe(members.length); // entries on this disk
    expect(view.getUint16(end + 10, true)).toBe(members.length); // entries in all
    const centralSize = view.getUint32(end + 12, true);
    const centralStart = view.getUint32(end + 16, true);
    expect(view.getUint16(end + 20, true)).toBe(0); // comment length
    expect(centralStart + centralSize).toBe(end);

    let central = centralStart;
    let local = 0;
    members.forEach((member, k) => {
      // Central directory entry (4.3.12).
      expect(view.getUint32(central, true), `central ${k}`).toBe(0x02014b50);
      const nameLength = view.getUint16(central + 28, true);
      const extraLength = view.getUint16(central + 30, true);
      const commentLength = view.getUint16(central + 32, true);
      expect(text(central + 46, nameLength)).toBe(member.name);
      const crc = view.getUint32(central + 16, true);
      expect(crc, member.name).toBe(zlibCrc32(member.bytes));
      expect(view.getUint16(central + 10, true), member.name).toBe(0); // STORE
      expect(view.getUint32(central + 20, true), member.name).toBe(member.bytes.length); // compressed
      expect(view.getUint32(central + 24, true), member.name).toBe(member.bytes.length); // uncompressed
      // Local file header (4.3.7) where the entry says, and the members back to back from 0.
      const offset = view.getUint32(central + 42, true);
      expect(offset, member.name).toBe(local);
      expect(view.getUint32(offset, true), member.name).toBe(0x04034b50);
      for (const [field, centralField] of [
        [4, 6], // version needed
        [6, 8], // flags
        [8, 10], // method
        [10, 12], // time
        [12, 14], // date
      ]) {
        expect(view.getUint16(offset + field, true), `${member.name} local +${field}`).toBe(
          view.getUint16(central + centralField, true),
        );
      }
      expect(view.getUint32(offset + 14, true), `${member.name} local CRC-32`).toBe(crc);
      expect(view.getUint32(offset + 18, true), `${member.name} local compressed size`).toBe(
        member.bytes.length,
      );
      expect(view.getUint32(offset + 22, true), `${member.name} local uncompressed size`).toBe(
        member.bytes.length,
      );
      expect(view.getUint16(offset + 26, true)).toBe(nameLength);
      const localExtra = view.getUint16(offset + 28, true);
      expect(text(offset + 30, nameLength)).toBe(member.name);
      const dataStart = offset + 30 + nameLength + localExtra;
      expect(archive.subarray(dataStart, dataStart + member.bytes.length)).toEqual(member.bytes);
      local = dataStart + member.bytes.length;
      central += 46 + nameLength + extraLength + commentLength;
    });
    expect(local).toBe(centralStart);
    expect(central).toBe(end);
  });
});
