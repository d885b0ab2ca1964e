// Indexed-colour PNG images, for the heat maps of grids finer than their plot's pixels (heatMap in
// src/io/svg.ts): one byte a cell, an index into a palette of at most 256 colours, the first of them
// transparent (a cell without a value). The zlib stream holds stored blocks, uncompressed: the
// encoder stays short and runs in the page as in Node, and a 1001 x 1001 map is 1 MB.
import { crc32 } from './npz.ts';

const kSignature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** The largest stored block of a deflate stream (RFC 1951 3.2.4: LEN is 16 bits). */
const kStoredBlock = 65535;

/** Adler-32 of a zlib stream's trailer (RFC 1950). */
function adler32(bytes: Uint8Array): number {
  let [a, b] = [1, 0];
  for (const byte of bytes) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** `bytes` as a zlib stream (RFC 1950) of stored deflate blocks. */
function zlibStored(bytes: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(bytes.length / kStoredBlock));
  const out = new Uint8Array(2 + 5 * blocks + bytes.length + 4);
  const view = new DataView(out.buffer);
  // CMF: deflate, 32 KiB window; FLG: no dictionary, FCHECK making CMF * 256 + FLG a multiple of 31.
  out.set([0x78, 0x01]);
  let at = 2;
  for (let k = 0; k < blocks; k++) {
    const block = bytes.subarray(k * kStoredBlock, (k + 1) * kStoredBlock);
    out[at] = k === blocks - 1 ? 1 : 0; // BFINAL, BTYPE 00 (stored)
    view.setUint16(at + 1, block.length, true);
    view.setUint16(at + 3, ~block.length & 0xffff, true);
    out.set(block, at + 5);
    at += 5 + block.length;
  }
  view.setUint32(at, adler32(bytes));
  return out;
}

/** A PNG chunk: length, type, data, and the CRC of type and data. */
function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let k = 0; k < 4; k++) out[4 + k] = type.charCodeAt(k);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/**
 * A width x height PNG whose pixel (column c, row r from the top) is palette[pixels[r * width + c]],
 * palette entry 0 transparent; palette holds 1 to 256 colours as [r, g, b] bytes.
 */
export function indexedPng(
  width: number,
  height: number,
  pixels: Uint8Array,
  palette: readonly (readonly [number, number, number])[],
): Uint8Array {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width >= 1 && height >= 1)) {
    throw new RangeError(`png: ${width} x ${height} pixels`);
  }
  if (pixels.length !== width * height)
    throw new RangeError(`png: ${pixels.length} pixels for ${width} x ${height}`);
  if (palette.length < 1 || palette.length > 256) throw new RangeError(`png: ${palette.length} colours`);
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, 3, 0, 0, 0], 8); // bit depth 8, indexed colour, deflate, no filter method, no interlace
  // Each row after its filter byte, 0: none.
  const rows = new Uint8Array(height * (width + 1));
  for (let row = 0; row < height; row++) {
    rows.set(pixels.subarray(row * width, (row + 1) * width), row * (width + 1) + 1);
  }
  const parts = [
    Uint8Array.from(kSignature),
    chunk('IHDR', header),
    chunk('PLTE', Uint8Array.from(palette.flat())),
    // Entry 0's alpha 0; those past the chunk's end are opaque.
    chunk('tRNS', Uint8Array.of(0)),
    chunk('IDAT', zlibStored(rows)),
    chunk('IEND', new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** `bytes` in base64, as a data: URL holds them (btoa: a global of the page and of Node alike). */
export function base64(bytes: Uint8Array): string {
  let binary = '';
  for (let k = 0; k < bytes.length; k += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(k, k + 0x8000));
  }
  return btoa(binary);
}
