// Deterministic electron configurations of unit size (R = 1): positions are float64 (x, y, z) triples.
// Every generator is a closed formula in the index i = 0..N-1, so a configuration is reproduced by
// its name and N alone (the CLI, the app's URL and the GPU tests rely on that).
import { decimalNumber, excerpt, InputError, underflowsToZero } from './input-error.ts';

export interface Configuration {
  /** Number of electrons N. */
  readonly n: number;
  /** Particle-major positions x0,y0,z0,x1,... in units of R. */
  readonly positions: Float64Array;
  /** What produced it: a geometry name or a file name. */
  readonly source: string;
}

export const kGeometryNames = [
  'ring',
  'disk',
  'sphere',
  'annulus',
  'square',
  'ball',
  'cube',
  'cylinder',
] as const;
export type GeometryName = (typeof kGeometryNames)[number];

/** The golden angle pi (3 - sqrt 5): successive points of a Vogel/Fibonacci spiral turn by it. */
const kGoldenAngle = Math.PI * (3 - Math.sqrt(5));
/** Inner radius of the annulus, in units of its outer radius. */
export const kAnnulusInnerRadius = 0.5;
/** The plastic number g (g^3 = g + 1): the R2 low-discrepancy sequence steps by 1/g and 1/g^2. */
const kPlastic = 1.324717957244746;

function fract(x: number): number {
  return x - Math.floor(x);
}

type PointFormula = (i: number, n: number, out: Float64Array, offset: number) => void;

function cellCentredLattice(dimension: 2 | 3): PointFormula {
  return (i, n, out, offset) => {
    // m points per side, cell-centred in [-1, 1]^d, filled row by row: no point sits on an axis of
    // symmetry when m is even, none at the origin ever for the azimuthal model when m is even.
    const m = Math.ceil(dimension === 2 ? Math.sqrt(n) - 1e-9 : Math.cbrt(n) - 1e-9);
    const coordinate = (k: number) => -1 + ((k + 0.5) * 2) / m;
    out[offset] = coordinate(i % m);
    out[offset + 1] = coordinate(Math.floor(i / m) % m);
    out[offset + 2] = dimension === 2 ? 0 : coordinate(Math.floor(i / (m * m)));
  };
}

const kFormulas: Record<GeometryName, PointFormula> = {
  // phi_i = 2 pi i / N on the unit circle (eq. 2 with R = 1).
  ring: (i, n, out, o) => {
    const phi = (2 * Math.PI * i) / n;
    out[o] = Math.cos(phi);
    out[o + 1] = Math.sin(phi);
    out[o + 2] = 0;
  },
  // Vogel spiral: r_i = sqrt((i + 1/2)/N), theta_i = i * golden angle; equal area per electron.
  disk: (i, n, out, o) => {
    const r = Math.sqrt((i + 0.5) / n);
    const theta = i * kGoldenAngle;
    out[o] = r * Math.cos(theta);
    out[o + 1] = r * Math.sin(theta);
    out[o + 2] = 0;
  },
  // Fibonacci sphere: z_i = 1 - (2i + 1)/N, theta_i = i * golden angle, on the unit sphere.
  sphere: (i, n, out, o) => {
    const z = 1 - (2 * i + 1) / n;
    const rho = Math.sqrt(Math.max(0, 1 - z * z));
    const theta = i * kGoldenAngle;
    out[o] = rho * Math.cos(theta);
    out[o + 1] = rho * Math.sin(theta);
    out[o + 2] = z;
  },
  // Vogel spiral on 1/2 <= r <= 1: r_i = sqrt(r_in^2 + (1 - r_in^2)(i + 1/2)/N), equal area per electron.
  annulus: (i, n, out, o) => {
    const inner2 = kAnnulusInnerRadius * kAnnulusInnerRadius;
    const r = Math.sqrt(inner2 + ((1 - inner2) * (i + 0.5)) / n);
    const theta = i * kGoldenAngle;
    out[o] = r * Math.cos(theta);
    out[o + 1] = r * Math.sin(theta);
    out[o + 2] = 0;
  },
  // m = ceil(sqrt N) per side, cell-centred in [-1, 1]^2, z = 0; the last row may be partial.
  square: cellCentredLattice(2),
  // Solid unit ball: r_i = ((i + 1/2)/N)^(1/3) gives equal volume per shell; the direction takes
  // cos(theta_i) = 1 - 2 frac((i + 1/2)/g) and azimuth 2 pi frac((i + 1/2)/g^2) from the R2 sequence.
  ball: (i, n, out, o) => {
    const r = Math.cbrt((i + 0.5) / n);
    const cosTheta = 1 - 2 * fract((i + 0.5) / kPlastic);
    const azimuth = 2 * Math.PI * fract((i + 0.5) / (kPlastic * kPlastic));
    const sinTheta = Math.sqrt(Math.max(0, 1 - cosTheta * cosTheta));
    out[o] = r * sinTheta * Math.cos(azimuth);
    out[o + 1] = r * sinTheta * Math.sin(azimuth);
    out[o + 2] = r * cosTheta;
  },
  // m = ceil(cbrt N) per side, cell-centred in [-1, 1]^3; the last layer may be partial.
  cube: cellCentredLattice(3),
  // Lateral surface of the cylinder rho = 1, -1 <= z <= 1: z_i = -1 + 2(i + 1/2)/N, theta_i = i * golden angle.
  cylinder: (i, n, out, o) => {
    const theta = i * kGoldenAngle;
    out[o] = Math.cos(theta);
    out[o + 1] = Math.sin(theta);
    out[o + 2] = -1 + (2 * (i + 0.5)) / n;
  },
};

export function isGeometryName(name: string): name is GeometryName {
  return (kGeometryNames as readonly string[]).includes(name);
}

/** N electrons placed by the named formula (see kFormulas for each). */
export function geometry(name: GeometryName, n: number): Configuration {
  if (!Number.isInteger(n) || n < 1) throw new InputError(`N must be a positive integer, got ${n}`, 'n');
  const positions = new Float64Array(3 * n);
  const formula = kFormulas[name];
  for (let i = 0; i < n; i++) formula(i, n, positions, 3 * i);
  return { n, positions, source: name };
}

/**
 * Parses CSV text with a header `x,y` or `x,y,z` (any order), or one of `resultHeaders` (a saved
 * result's x,y,z beside its velocity and momentum columns: src/io/formats.ts kResultHeaders), whose
 * other columns are left to the velocities and momenta; other extra columns are refused.
 */
export function parsePositionsCsv(
  text: string,
  source = 'positions.csv',
  resultHeaders: readonly string[][] = [],
): Configuration {
  const rows = positionsRows(text, source, resultHeaders);
  const n = rows.values.length;
  if (n < 1) throw new InputError(`${source}: no electrons (N < 1)`, 'positions');
  const positions = new Float64Array(3 * n);
  const column = (name: string) => rows.columns.indexOf(name);
  const [cx, cy, cz] = [column('x'), column('y'), column('z')];
  rows.values.forEach((row, i) => {
    positions[3 * i] = row[cx];
    positions[3 * i + 1] = row[cy];
    positions[3 * i + 2] = cz >= 0 ? row[cz] : 0;
  });
  return { n, positions, source };
}

/** A positions CSV's rows: x, y[, z] or a saved result's columns (`resultHeaders`). */
function positionsRows(text: string, source: string, resultHeaders: readonly string[][]): NumericCsv {
  return parseNumericCsv(text, source, [['x', 'y'], ['x', 'y', 'z'], ...resultHeaders], 'positions');
}

/**
 * The file's line of each electron of a positions CSV that parsePositionsCsv read, for a refusal that
 * names one: read again, since only a refusal needs them.
 */
export function positionsCsvLines(
  text: string,
  source: string,
  resultHeaders: readonly string[][] = [],
): number[] {
  return positionsRows(text, source, resultHeaders).lines;
}

/**
 * The first electron of `positions` (x, y, z each) not where `reference`'s is, or -1 when every one
 * is: to 1e-12 of the reference's size, since Math.sin and Math.cos may differ in their last bit
 * between JavaScript engines (a formula geometry written by Node, read in Chromium). Where the
 * lengths differ, the first electron that one of them lacks.
 */
export function firstElectronApart(reference: ArrayLike<number>, positions: ArrayLike<number>): number {
  let size = 0;
  for (let k = 0; k < reference.length; k++) size = Math.max(size, Math.abs(reference[k]));
  const shared = Math.min(reference.length, positions.length);
  for (let k = 0; k < shared; k++) {
    if (!(Math.abs(reference[k] - positions[k]) <= 1e-12 * size)) return Math.floor(k / 3);
  }
  return reference.length === positions.length ? -1 : Math.floor(shared / 3);
}

export interface NumericCsv {
  columns: string[];
  values: number[][];
  /** The file's line number (from 1) of each row of values, for messages as `source:line`. */
  lines: number[];
}

/**
 * Why `text` is no text CSV, or null where it may be one: bytes a text file does not hold (a
 * binary file, whose bytes a message would otherwise echo), named where they look like a format of
 * this program's (a .npz is a zip archive), or JSON.
 */
export function notTextCsv(text: string): string | null {
  if (text.startsWith('PK\u0003\u0004')) return 'not a text CSV but a zip archive (an .npz file?)';
  // Control characters other than tab and line ends, or U+FFFD where bytes were not UTF-8.
  const head = text.slice(0, 4096);
  for (let k = 0; k < head.length; k++) {
    const code = head.charCodeAt(k);
    if (code < 9 || (code > 13 && code < 32) || code === 0xfffd) return 'not a text CSV but a binary file';
  }
  if (/^\s*[{[]/.test(text)) return 'not a CSV but JSON (a .json file?)';
  return null;
}

/** The comma-separated names of a CSV header line, trimmed and in lower case (read in any case). */
export function csvHeaderNames(line: string): string[] {
  return line.split(',').map((name) => name.trim().toLowerCase());
}

/** The one of `headers` whose names `read` (csvHeaderNames) holds, in any order; undefined for none. */
export function matchingHeader<T extends readonly string[]>(
  read: readonly string[],
  headers: readonly T[],
): T | undefined {
  return headers.find(
    (header) => header.length === read.length && header.every((name) => read.includes(name.toLowerCase())),
  );
}

/**
 * A refusal's hint where a comment of `text` holds one of `headers`: numpy.savetxt(..., header='x,y,z')
 * writes '# x,y,z', a comment, unless comments=''. Empty where none does.
 */
export function commentedHeaderHint(text: string, headers: readonly (readonly string[])[]): string {
  const commented = text
    .split(/\r\n|\r|\n/)
    .map((line) => line.trim())
    .find((line) => line.startsWith('#') && matchingHeader(csvHeaderNames(line.slice(1)), headers));
  return commented
    ? `; its header is a comment, '${excerpt(commented)}' (numpy.savetxt writes it so unless comments='')`
    : '';
}

/**
 * A CSV of finite numbers whose header must be one of `allowedHeaders` (as sets of names, matched
 * in any case; `columns` holds them spelled as in `allowedHeaders`, in the file's order).
 * Blank lines and lines starting with '#' are ignored; every error names the file and line, and has
 * `field` (the input the file was given for: 'positions', 'velocities', 'momenta').
 */
export function parseNumericCsv(
  text: string,
  source: string,
  allowedHeaders: string[][],
  field: string,
): NumericCsv {
  const notCsv = notTextCsv(text);
  if (notCsv) throw new InputError(`${source}: ${notCsv}`, field);
  const lines = text
    .split(/\r\n|\r|\n/)
    .map((line, index) => ({ line: line.trim(), number: index + 1 }))
    .filter(({ line }) => line !== '' && !line.startsWith('#'));
  if (lines.length === 0) throw new InputError(`${source}: empty file`, field);
  const read = csvHeaderNames(lines[0].line);
  const matched = matchingHeader(read, allowedHeaders);
  if (!matched) {
    const expected = allowedHeaders.map((h) => h.join(',')).join(' or ');
    const hint = commentedHeaderHint(text, allowedHeaders);
    throw new InputError(`${source}: header '${excerpt(lines[0].line)}' should be ${expected}${hint}`, field);
  }
  const columns = read.map((name) => matched.find((spelled) => spelled.toLowerCase() === name)!);
  const rows = lines.slice(1);
  const values = rows.map(({ line, number }) => {
    const cells = line.split(',');
    if (cells.length !== columns.length) {
      throw new InputError(
        `${source}:${number}: expected ${columns.length} values, got ${cells.length}`,
        field,
      );
    }
    return cells.map((cell) => {
      const value = decimalNumber(cell);
      if (!Number.isFinite(value)) {
        // '1e-400' is finite: it underflows, as a flag's refusal says (parseNumber).
        const why = underflowsToZero(cell)
          ? 'is too small for float64 (it would be 0)'
          : 'is not a finite number';
        throw new InputError(`${source}:${number}: '${excerpt(cell.trim())}' ${why}`, field);
      }
      return value;
    });
  });
  return { columns, values, lines: rows.map(({ number }) => number) };
}
