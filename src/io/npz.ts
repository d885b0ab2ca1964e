// NumPy's .npz: an uncompressed ZIP (STORE method) of .npy v1.0 members, one per array, as
// numpy.savez writes it, so `np.load(path)` (allow_pickle=False, the default) reads it back. Written
// for the browser and Node alike: plain bytes, no node: imports, a table CRC-32 (ZIP's, polynomial
// 0xEDB88320, reflected). The summary JSON is a 0-d '<U' array (UTF-32 code points): np.load refuses
// only object arrays without pickle, and `str(npz['summary'])` gives the JSON text back.
//
// Formats: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html (npy v1.0: magic
// "\x93NUMPY", version 1.0, a little-endian u16 header length, a Python dict literal padded with
// spaces to a multiple of 64 bytes and ended by '\n'; data in C order) and PKWARE APPNOTE 6.3 sections
// 4.3.7 (local file header), 4.3.12 (central directory), 4.3.16 (end of central directory).

/** An array to store: float64 ('<f8') or int32 ('<i4'), C order; shape [] is a scalar. */
export interface NpyArray {
  readonly dtype: 'float64' | 'int32';
  readonly data: ArrayLike<number>;
  readonly shape: readonly number[];
}

const kDescriptors = { float64: '<f8', int32: '<i4' } as const;
const kItemSizes = { float64: 8, int32: 4 } as const;
/** ZIP without ZIP64 holds members and offsets below 4 GiB. */
const kZipLimit = 0xffffffff;

const kCrcTable = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 of ZIP (and zlib's crc32), as an unsigned 32-bit integer. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let k = 0; k < bytes.length; k++) c = kCrcTable[(c ^ bytes[k]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function ascii(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let k = 0; k < text.length; k++) {
    const code = text.charCodeAt(k);
    if (code > 0x7e || code < 0x20) throw new RangeError(`'${text}' is not printable ASCII`);
    bytes[k] = code;
  }
  return bytes;
}

/** The .npy v1.0 header for a descriptor and shape, padded so the data starts at a multiple of 64. */
function npyHeader(descriptor: string, shape: readonly number[]): Uint8Array {
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${descriptor}', 'fortran_order': False, 'shape': ${tuple}, }`;
  const prefix = 10;
  const length = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  const header = new Uint8Array(length);
  header.set([0x93, ...ascii('NUMPY'), 1, 0]);
  new DataView(header.buffer).setUint16(8, length - prefix, true);
  header.set(ascii(dict.padEnd(length - prefix - 1, ' ')), prefix);
  header[length - 1] = 0x0a; // '\n'
  return header;
}

/** One array as the bytes of a .npy v1.0 file. */
export function npyBytes(array: NpyArray): Uint8Array {
  const { dtype, data, shape } = array;
  const count = shape.reduce((product, extent) => product * extent, 1);
  if (!shape.every((extent) => Number.isInteger(extent) && extent >= 0) || count !== data.length) {
    throw new RangeError(`shape (${shape.join(', ')}) does not hold ${data.length} values`);
  }
  const header = npyHeader(kDescriptors[dtype], shape);
  const bytes = new Uint8Array(header.length + count * kItemSizes[dtype]);
  bytes.set(header);
  const view = new DataView(bytes.buffer, header.length);
  for (let k = 0; k < count; k++) {
    if (dtype === 'float64') view.setFloat64(8 * k, data[k], true);
    else {
      const value = data[k];
      if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) {
        throw new RangeError(`${value} is not an int32`);
      }
      view.setInt32(4 * k, value, true);
    }
  }
  return bytes;
}

/** A text as a 0-d '<U' array: one little-endian UTF-32 code unit per code point. */
export function unicodeNpyBytes(text: string): Uint8Array {
  const points = Array.from(text, (character) => character.codePointAt(0) ?? 0);
  const header = npyHeader(`<U${Math.max(1, points.length)}`, []);
  const bytes = new Uint8Array(header.length + 4 * Math.max(1, points.length));
  bytes.set(header);
  const view = new DataView(bytes.buffer, header.length);
  points.forEach((point, k) => view.setUint32(4 * k, point, true));
  return bytes;
}

/** Files in an uncompressed ZIP archive, in the given order. */
export function zipStore(files: readonly { name: string; bytes: Uint8Array }[]): Uint8Array {
  const names = files.map((file) => ascii(file.name));
  const crcs = files.map((file) => crc32(file.bytes));
  const localSize = files.reduce((sum, file, k) => sum + 30 + names[k].length + file.bytes.length, 0);
  const centralSize = names.reduce((sum, name) => sum + 46 + name.length, 0);
  if (localSize + centralSize > kZipLimit || files.length > 0xffff) {
    throw new RangeError('the archive would need ZIP64 (over 4 GiB or 65535 members)');
  }
  const archive = new Uint8Array(localSize + centralSize + 22);
  const view = new DataView(archive.buffer);
  // DOS date 1980-01-01 00:00: a fixed stamp keeps the archive a function of its contents.
  const kDosDate = (0 << 9) | (1 << 5) | 1;
  let offset = 0;
  const offsets: number[] = [];
  files.forEach((file, k) => {
    offsets.push(offset);
    view.setUint32(offset, 0x04034b50, true);
    view.setUint16(offset + 4, 20, true); // version needed: 2.0
    view.setUint16(offset + 6, 0, true); // flags
    view.setUint16(offset + 8, 0, true); // method: STORE
    view.setUint16(offset + 10, 0, true); // time
    view.setUint16(offset + 12, kDosDate, true);
    view.setUint32(offset + 14, crcs[k], true);
    view.setUint32(offset + 18, file.bytes.length, true); // compressed size
    view.setUint32(offset + 22, file.bytes.length, true); // uncompressed size
    view.setUint16(offset + 26, names[k].length, true);
    view.setUint16(offset + 28, 0, true); // extra field length
    archive.set(names[k], offset + 30);
    archive.set(file.bytes, offset + 30 + names[k].length);
    offset += 30 + names[k].length + file.bytes.length;
  });
  const centralStart = offset;
  files.forEach((file, k) => {
    view.setUint32(offset, 0x02014b50, true);
    view.setUint16(offset + 4, 20, true); // version made by
    view.setUint16(offset + 6, 20, true); // version needed
    view.setUint16(offset + 8, 0, true);
    view.setUint16(offset + 10, 0, true);
    view.setUint16(offset + 12, 0, true);
    view.setUint16(offset + 14, kDosDate, true);
    view.setUint32(offset + 16, crcs[k], true);
    view.setUint32(offset + 20, file.bytes.length, true);
    view.setUint32(offset + 24, file.bytes.length, true);
    view.setUint16(offset + 28, names[k].length, true);
    // extra, comment length, disk number, internal and external attributes: all 0
    view.setUint32(offset + 42, offsets[k], true);
    archive.set(names[k], offset + 46);
    offset += 46 + names[k].length;
  });
  view.setUint32(offset, 0x06054b50, true);
  view.setUint16(offset + 8, files.length, true); // entries on this disk
  view.setUint16(offset + 10, files.length, true); // entries in all
  view.setUint32(offset + 12, offset - centralStart, true);
  view.setUint32(offset + 16, centralStart, true);
  return archive;
}

/**
 * The bytes of a .npz holding each array as `<name>.npy` and, when given, the summary as JSON text
 * in a 0-d unicode member `summary` (`json.loads(str(npz['summary']))` in Python).
 */
export function npzBytes(arrays: Readonly<Record<string, NpyArray>>, summary?: unknown): Uint8Array {
  const files = Object.entries(arrays).map(([name, array]) => ({
    name: `${name}.npy`,
    bytes: npyBytes(array),
  }));
  if (summary !== undefined) {
    if ('summary' in arrays) throw new RangeError("an array may not be named 'summary' beside the summary");
    files.push({ name: 'summary.npy', bytes: unicodeNpyBytes(JSON.stringify(summary)) });
  }
  return zipStore(files);
}
