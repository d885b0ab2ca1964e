// The dense product's row dot products in WebAssembly SIMD (f64x2), for matrices the pool holds in
// a shared WebAssembly.Memory. The plain JavaScript loop sums one product after the other and is
// held to the latency of each addition (four JavaScript accumulators gain a third or more); four
// f64x2 accumulators stream the matrix at about half the copy bandwidth of one core (README, "The
// float64 CPU path").
//
// The sum's order changes: each row is eight interleaved partial sums over the columns k = l mod 8,
// combined as ((s0 + s1) + (s2 + s3)) lane by lane and then the two lanes, plus the last size mod 8
// columns in order. It is the same order whichever thread runs the row, so the product stays
// bit-identical for any number of threads; against the column-order sum of denseProductRows it is
// equal to rounding: both are within gamma_size * sum_j |a_ij x_j| of the exact dot product
// (gamma_m = m u / (1 - m u), u = 2^-53; Higham, Accuracy and Stability, eq. 3.5).
//
// Like every kernel these functions run from their source text in the workers: they use only their
// arguments, Math, WebAssembly and each other (src/parallel/pool.ts).

/** A Float64Array inside a shared WebAssembly.Memory, which the pool marks with it. */
export interface MemoryArray extends Float64Array {
  wasmMemory?: WebAssembly.Memory;
}

/** The module: `dot(a, b, n)` = sum of the n float64 products at byte offsets a and b of memory. */
export function simdDotModule(): Uint8Array<ArrayBuffer> {
  const uleb = (value: number) => {
    const bytes: number[] = [];
    do {
      let byte = value & 0x7f;
      value >>>= 7;
      if (value !== 0) byte |= 0x80;
      bytes.push(byte);
    } while (value !== 0);
    return bytes;
  };
  const vector = (items: number[][]) => [...uleb(items.length), ...items.flat()];
  const name = (text: string) => [...uleb(text.length), ...Array.from(text, (c) => c.charCodeAt(0))];
  const section = (id: number, bytes: number[]) => [id, ...uleb(bytes.length), ...bytes];
  // Locals: 0 a, 1 b, 2 n (parameters), 3 k, 4 n rounded down to 8, 5-8 accumulators, 9 the sum.
  const get = (local: number) => [0x20, local];
  const set = (local: number) => [0x21, local];
  /** The byte address of element k of the array at local `base`: base + 8 k. */
  const address = (base: number) => [...get(base), ...get(3), 0x41, 3, 0x74, 0x6a];
  const f64x2Add = [0xfd, 0xf0, 0x01];
  const f64x2Mul = [0xfd, 0xf2, 0x01];
  const v128Load = (offset: number) => [0xfd, 0x00, 3, ...uleb(offset)];
  // prettier-ignore
  const code = [
    ...get(2), 0x41, 0x78, 0x71, ...set(4), // end8 = n & -8
    0x02, 0x40, 0x03, 0x40, // block, loop
    ...get(3), ...get(4), 0x4f, 0x0d, 1, // k >= end8: leave
    ...[0, 1, 2, 3].flatMap((lane) => [
      ...get(5 + lane),
      ...address(0), ...v128Load(16 * lane),
      ...address(1), ...v128Load(16 * lane),
      ...f64x2Mul, ...f64x2Add, ...set(5 + lane),
    ]),
    ...get(3), 0x41, 8, 0x6a, ...set(3), 0x0c, 0, 0x0b, 0x0b, // k += 8, again
    ...get(5), ...get(6), ...f64x2Add, ...get(7), ...get(8), ...f64x2Add, ...f64x2Add, ...set(5),
    ...get(5), 0xfd, 0x21, 0, ...get(5), 0xfd, 0x21, 1, 0xa0, ...set(9), // lane 0 + lane 1
    0x02, 0x40, 0x03, 0x40,
    ...get(3), ...get(2), 0x4f, 0x0d, 1, // the last n mod 8 in order
    ...get(9), ...address(0), 0x2b, 3, 0, ...address(1), 0x2b, 3, 0, 0xa2, 0xa0, ...set(9),
    ...get(3), 0x41, 1, 0x6a, ...set(3), 0x0c, 0, 0x0b, 0x0b,
    ...get(9), 0x0b,
  ];
  const body = [
    ...vector([
      [2, 0x7f],
      [4, 0x7b],
      [1, 0x7c],
    ]),
    ...code,
  ];
  const i32 = [0x7f];
  // prettier-ignore
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector([[0x60, ...vector([i32, i32, i32]), ...vector([[0x7c]])]])),
    // env.memory: shared, at least 1 page, at most 65536 (4 GiB).
    ...section(2, vector([[...name('env'), ...name('memory'), 0x02, 0x03, 1, ...uleb(65536)]])),
    ...section(3, vector([[0]])),
    ...section(7, vector([[...name('dot'), 0x00, 0]])),
    ...section(10, vector([[...uleb(body.length), ...body]])),
  ]);
}

/**
 * The rows [start, end) of y = A x by the SIMD dot product: A and x in one shared WebAssembly
 * memory (the pool's shared(..., { trailing })), y anywhere. A pool kernel.
 */
export function simdProductRows(
  data: MemoryArray,
  size: number,
  x: MemoryArray,
  y: Float64Array,
  start: number,
  end: number,
): void {
  const memory = data.wasmMemory as WebAssembly.Memory & {
    dot?: (a: number, b: number, n: number) => number;
  };
  memory.dot ??= new WebAssembly.Instance(new WebAssembly.Module(simdDotModule()), { env: { memory } })
    .exports.dot as (a: number, b: number, n: number) => number;
  const dot = memory.dot;
  const rowBytes = 8 * size;
  for (let row = start, offset = data.byteOffset + start * rowBytes; row < end; row++, offset += rowBytes)
    y[row] = dot(offset, x.byteOffset, size);
}

/** Whether this engine runs the module on a shared memory (WebAssembly SIMD and threads). */
export function simdAvailable(): boolean {
  try {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return WebAssembly.validate(simdDotModule()) && memory.buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}
