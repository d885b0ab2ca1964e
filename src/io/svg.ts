// Dependency-free SVG plots for the study commands' --out files and the app's Studies panels: line plots
// on linear or log axes (series as lines and/or points, labelled markers, labelled horizontal and
// vertical reference lines, a legend) and heat maps with a colour bar. Presentation only, free of Node
// and DOM APIs: callers pass numbers in, get a complete standalone SVG document back as a string, and
// write it to a file or insert it into the page. Element ids (clip paths, gradients) carry a digest of
// their document: the same plot gives the same bytes in any process, and several plots can live in one page.
import { base64, indexedPng } from './png.ts';

/** A point with a value that is not finite, or not positive on a log axis, is left out: it breaks the line. */
export interface PlotSeries {
  readonly label: string;
  readonly x: ArrayLike<number>;
  readonly y: ArrayLike<number>;
  /** CSS colour; default: the next of kPalette. */
  readonly colour?: string;
  /** Join the points with a line (default true). */
  readonly line?: boolean;
  /** Draw a dot at each point (default false). */
  readonly points?: boolean;
  readonly dashed?: boolean;
}

/** A single labelled point (a reference value, a measured case). */
export interface PlotMarker {
  readonly x: number;
  readonly y: number;
  readonly label?: string;
  readonly colour?: string;
}

/** A horizontal (hLines: value is y) or vertical (vLines: value is x) line across the plot. */
export interface ReferenceLine {
  readonly value: number;
  readonly label?: string;
  readonly colour?: string;
}

export type LegendCorner = 'top-right' | 'top-left' | 'bottom-right' | 'bottom-left';

export interface LinePlotOptions {
  readonly title?: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly PlotSeries[];
  readonly logX?: boolean;
  readonly logY?: boolean;
  readonly markers?: readonly PlotMarker[];
  readonly hLines?: readonly ReferenceLine[];
  readonly vLines?: readonly ReferenceLine[];
  /**
   * Axis ranges; default: the data (series, markers and reference lines), padded. An end that is not
   * finite (or not positive on a log axis) is the data's; a range that is then empty is a RangeError.
   */
  readonly xRange?: readonly [number, number];
  readonly yRange?: readonly [number, number];
  readonly width?: number;
  readonly height?: number;
  /**
   * Default top-right; where the legend would hide drawn data or a note (a marker's or reference line's
   * label) there, the first other corner where it hides none; where every corner would (or the legend is
   * larger than the plot), below the plot, the document growing to hold it.
   */
  readonly legend?: LegendCorner;
}

export interface HeatMapOptions {
  readonly title?: string;
  readonly xLabel: string;
  readonly yLabel: string;
  /** Data coordinates of the first and last column centres. */
  readonly xRange: readonly [number, number];
  /** Data coordinates of the bottom and top row centres (row 0 is drawn at the top). */
  readonly yRange: readonly [number, number];
  readonly columns: number;
  readonly rows: number;
  /** Row-major, row 0 at the top; a non-finite value leaves its cell blank. */
  readonly values: ArrayLike<number>;
  readonly colourLabel: string;
  /** Values mapped to the ends of the colour scale; default: the data's min and max. */
  readonly valueRange?: readonly [number, number];
  /** A line under the map, centred: what its colours need said (a value drawn at the scale's end). */
  readonly caption?: string;
  /**
   * Width of the plotting area in pixels, default 440. One data unit is as long on both axes (a map),
   * within a height of 160 to 640 px and a width of at most twice this.
   */
  readonly width?: number;
}

/** Distinguishable on white and in greyscale (Okabe-Ito). */
export const kPalette = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#000000'];

/** viridis at eleven evenly spaced stops: perceptually uniform, readable in greyscale. */
export const kViridis = [
  '#440154',
  '#482475',
  '#414487',
  '#355f8d',
  '#2a788e',
  '#21918c',
  '#22a884',
  '#44bf70',
  '#7ad151',
  '#bddf26',
  '#fde725',
];

const kFont = 'font-family="Helvetica, Arial, sans-serif"';
/** A white outline behind annotation text, so that it stays readable over lines and grid. */
const kHalo = 'stroke="#ffffff" stroke-width="3" paint-order="stroke"';

export function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

const fixed = (x: number) => Number(x.toFixed(2));

// ---------------------------------------------------------------------------------------------------
// Text extents: the layout keeps labels apart by estimating where their text stands

/** Tick labels (the document's font size), axis titles, and notes (legend, markers, lines, offsets). */
const kTickFont = 13;
const kAxisTitleFont = 14;
const kNoteFont = 12;
/**
 * The advance of an average character of Helvetica or Arial in em: a little over a digit's (0.556 em), so
 * that labels laid out by it keep clear of each other.
 */
const kCharWidthEm = 0.6;
/** The least room beside a tick label: between neighbours, and between the x axis' title and offset. */
const kLabelGap = 10;
/** Room above the frame for the y axis' (or colour bar's) offset. */
const kOffsetRow = 14;

/** The characters a run of SVG text content shows: an entity is one, a tag none. */
const shownLength = (markup: string) => markup.replace(/<[^>]*>/g, '').replace(/&#?\w+;/g, '_').length;

/** The estimated width of SVG text content; a superscript (a tspan at 75%) counts three quarters. */
export function textWidth(markup: string, fontSize: number): number {
  let superscript = 0;
  const rest = markup.replace(/<tspan[^>]*font-size="75%"[^>]*>([^<]*)<\/tspan>/g, (_, inner: string) => {
    superscript += shownLength(inner);
    return '';
  });
  return kCharWidthEm * fontSize * (shownLength(rest) + 0.75 * superscript);
}

/** An extent in pixels: x0 < x1 from left to right, y0 < y1 from top to bottom. */
export interface Box {
  readonly x0: number;
  readonly x1: number;
  readonly y0: number;
  readonly y1: number;
}

export type Anchor = 'start' | 'middle' | 'end';

/** Where text with its baseline at y stands: 0.8 em of ascent above, 0.25 em of descent below. */
export function textBox(markup: string, x: number, y: number, fontSize: number, anchor: Anchor): Box {
  const width = textWidth(markup, fontSize);
  const x0 = anchor === 'start' ? x : anchor === 'middle' ? x - width / 2 : x - width;
  return { x0, x1: x0 + width, y0: y - 0.8 * fontSize, y1: y + 0.25 * fontSize };
}

const overlaps = (a: Box, b: Box) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
const encloses = (outer: Box, inner: Box) =>
  inner.x0 >= outer.x0 && inner.x1 <= outer.x1 && inner.y0 >= outer.y0 && inner.y1 <= outer.y1;

// ---------------------------------------------------------------------------------------------------
// Axes

export interface Tick {
  readonly value: number;
  /** SVG text content (may hold a superscript tspan). */
  readonly label: string;
}

/** An axis' ticks, and what their labels leave out. */
export interface AxisTicks {
  readonly ticks: readonly Tick[];
  /**
   * SVG text shown once at the axis' end where the labels are not the values themselves: a common factor,
   * an offset or both ('×10⁻⁷ + 1': the label 2.5 stands for 1 + 2.5×10⁻⁷); '' where they are.
   */
  readonly offset: string;
}

/** 1, 2 or 5 times a power of ten, the smallest giving at most `target` intervals. */
function niceStep(span: number, target: number): number {
  const raw = span / target;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const factor of [1, 2, 5, 10]) if (factor * power >= raw * (1 - 1e-9)) return factor * power;
  return 10 * power;
}

const decimalPower = (x: number) => Math.floor(Math.log10(x) + 1e-9);
/** count × 10^power as near as a double gets: a division by 10^-power (exact to 10^22) rounds once. */
const scaled = (count: number, power: number) => (power >= 0 ? count * 10 ** power : count / 10 ** -power);
/** A number as typeset: a minus sign, not a hyphen. */
const typeset = (value: number, decimals: number) =>
  value === 0 ? '0' : value.toFixed(decimals).replace('-', '−');

function powerOfTen(exponent: number, mantissa = 1): string {
  if (mantissa === 1 && exponent === 0) return '1';
  if (mantissa === 1 && exponent === 1) return '10';
  const base = mantissa === 1 ? '10' : `${mantissa}×10`;
  return `${base}<tspan dy="-0.5em" font-size="75%">${exponent < 0 ? '−' : ''}${Math.abs(exponent)}</tspan>`;
}

/** Tick labels are plain numbers from 10⁻³ up to 10⁶, with at most kLabelDigits significant digits. */
const kLabelDigits = 6;
const plainMagnitude = (magnitude: number) => magnitude >= -3 && magnitude <= 5;

/** count × 10^power (count a whole number >= 0) in the fewest digits. */
function numberLabel(count: number, power: number): string {
  for (; count !== 0 && count % 10 === 0; power++) count /= 10;
  const magnitude = count > 0 ? power + decimalPower(count) : power;
  if (plainMagnitude(magnitude)) return typeset(scaled(count, power), Math.max(0, -power));
  return powerOfTen(magnitude, scaled(count, power - magnitude));
}

/**
 * Labels of ticks at count_k × 10^power (whole count_k, ascending) with the decimals the step needs, so
 * that no two are alike and none carries a digit more: plain numbers; with a common factor ×10^e below
 * 10⁻³ and from 10⁶ on; from an offset where the ticks differ only beyond kLabelDigits significant digits
 * (1.0000001 to 1.0000003 read 1.0 to 3.0, ×10⁻⁷ + 1).
 */
function tickLabels(counts: readonly number[], power: number): { labels: string[]; offset: string } {
  const largest = Math.max(...counts.map(Math.abs));
  const magnitude = largest > 0 ? power + decimalPower(largest) : power;
  if (magnitude - power + 1 > kLabelDigits) {
    // The offset: the tick nearest 0 rounded towards 0 to the power of ten above the ticks' span (they
    // share a sign, being far from 0 for their span).
    const base = 10 ** (decimalPower(Math.max(1, counts[counts.length - 1] - counts[0])) + 1);
    const offsetCount =
      counts[0] >= 0
        ? Math.floor(counts[0] / base) * base
        : Math.ceil(counts[counts.length - 1] / base) * base;
    const inner = tickLabels(
      counts.map((count) => count - offsetCount),
      power,
    );
    const shown = `${offsetCount < 0 ? '−' : '+'} ${numberLabel(Math.abs(offsetCount), power)}`;
    // After a factor's superscript (dy -0.5em of its 75%), back down to the baseline.
    const offset = inner.offset ? `${inner.offset}<tspan dy="0.375em"> ${shown}</tspan>` : shown;
    return { labels: inner.labels, offset };
  }
  if (!plainMagnitude(magnitude)) {
    return {
      labels: counts.map((count) => typeset(scaled(count, power - magnitude), magnitude - power)),
      offset: `×${powerOfTen(magnitude)}`,
    };
  }
  return { labels: counts.map((count) => typeset(scaled(count, power), Math.max(0, -power))), offset: '' };
}

/**
 * Half of upper - lower, which is finite for any two doubles: the whole difference overflows for ends
 * near ±1.8e308, and halving is exact elsewhere, so what is formed from it is bit for bit the same.
 */
const halfSpan = (lower: number, upper: number) => upper / 2 - lower / 2;

/** Where `value` stands in [lower, upper], 0 at lower and 1 at upper, by halves (halfSpan). */
const linearFraction = (value: number, lower: number, upper: number) =>
  (value / 2 - lower / 2) / halfSpan(lower, upper);

/** Ticks at the multiples in [lower, upper] of a 1-2-5 step that makes at most `target` intervals. */
export function linearTicks(lower: number, upper: number, target = 6): AxisTicks {
  const step = niceStep(halfSpan(lower, upper), target / 2);
  const power = decimalPower(step);
  const unit = Math.round(step / 10 ** power);
  const counts: number[] = [];
  // k = 0 as +0 (Math.ceil gives -0 from just below 0), which labels and compares as 0.
  // The last tick's bound held to the doubles: past MAX_VALUE it would be Infinity, which k step reaches.
  const last = Math.min(upper + 1e-9 * step, Number.MAX_VALUE);
  for (let k = Math.ceil(lower / step - 1e-9); k * step <= last; k++) {
    counts.push(k === 0 ? 0 : k * unit);
  }
  const { labels, offset } = tickLabels(counts, power);
  return { ticks: counts.map((count, k) => ({ value: scaled(count, power), label: labels[k] })), offset };
}

/**
 * Decades, every k-th of them (k 1, 2 or 5 times a power of ten, at most `target` intervals) when there
 * are many; 2 and 5 as well where that makes at most target + 1 ticks (up to three decades for 8).
 * Labels are powers of ten, or plain numbers when every tick lies in [1e-3, 1e5] and 2 and 5 are shown.
 */
export function logTicks(lower: number, upper: number, target = 8): AxisTicks {
  const first = Math.floor(Math.log10(lower) + 1e-9);
  const last = Math.ceil(Math.log10(upper) - 1e-9);
  const every = Math.max(1, niceStep(last - first, target));
  const mantissas = 3 * (last - first) <= target + 1 ? [1, 2, 5] : [1];
  const ticks: { value: number; m: number; e: number }[] = [];
  for (let e = first; e <= last; e++) {
    for (const m of mantissas) {
      const value = scaled(m, e);
      if (value < lower * (1 - 1e-9) || value > upper * (1 + 1e-9)) continue;
      if (m === 1 && e % every !== 0) continue;
      ticks.push({ value, m, e });
    }
  }
  // Fewer than two ticks says nothing about the scale: fall back to linear ticks inside the range.
  if (ticks.length < 2) return linearTicks(lower, upper, Math.min(4, target));
  const plain = mantissas.length > 1 && ticks.every((t) => t.value >= 1e-3 && t.value <= 1e5);
  return {
    ticks: ticks.map(({ value, m, e }) => ({
      value,
      label: plain ? String(Number(value.toPrecision(1))) : powerOfTen(e, m),
    })),
    offset: '',
  };
}

interface Axis {
  readonly lower: number;
  readonly upper: number;
  readonly log: boolean;
  /** Pixel range: `from` at lower, `to` at upper. */
  readonly from: number;
  readonly to: number;
}

function project(axis: Axis, value: number): number {
  const t = axis.log
    ? (Math.log10(value) - Math.log10(axis.lower)) / (Math.log10(axis.upper) - Math.log10(axis.lower))
    : linearFraction(value, axis.lower, axis.upper);
  return axis.from + t * (axis.to - axis.from);
}

/** Whether each label keeps clear of the next where they stand on `axis`: side by side, or stacked. */
function labelsClear(ticks: readonly Tick[], axis: Axis, horizontal: boolean): boolean {
  return ticks.every((tick, k) => {
    if (k === 0) return true;
    const before = ticks[k - 1];
    const distance = Math.abs(project(axis, tick.value) - project(axis, before.value));
    const needed = horizontal
      ? (textWidth(tick.label, kTickFont) + textWidth(before.label, kTickFont)) / 2 + kLabelGap
      : kTickFont + 3;
    return distance >= needed;
  });
}

/**
 * The densest ticks (up to 6 intervals on a linear axis, up to 8 decades on a log one) whose labels keep
 * clear of each other along `axis`; the sparsest where none do.
 */
function fittingTicks(axis: Axis, horizontal: boolean): AxisTicks {
  const targets = axis.log ? [8, 6, 4, 3, 2] : [6, 5, 4, 3, 2];
  const make = (target: number) =>
    axis.log ? logTicks(axis.lower, axis.upper, target) : linearTicks(axis.lower, axis.upper, target);
  for (const target of targets.slice(0, -1)) {
    const ticks = make(target);
    if (labelsClear(ticks.ticks, axis, horizontal)) return ticks;
  }
  return make(targets[targets.length - 1]);
}

const widestLabel = (ticks: AxisTicks) =>
  Math.max(0, ...ticks.ticks.map((t) => textWidth(t.label, kTickFont)));
/**
 * How far left of the frame the y axis' title has its baseline (rotated, the descent towards the ticks):
 * clear of the widest tick label, which ends 8 px left of the frame.
 */
const yTitleOffset = (yTicks: AxisTicks) => Math.max(62, widestLabel(yTicks) + 18);
/** The frame's left edge: room for the y axis' title and its ascent. */
const leftMargin = (yTicks: AxisTicks) => Math.ceil(yTitleOffset(yTicks) + 22);

function usable(value: number, log: boolean): boolean {
  return Number.isFinite(value) && (!log || value > 0);
}

/** A range of one value (or of values alike to twelve digits) widened to ±5% of it, or to ±1 about 0. */
function widened(lower: number, upper: number): [number, number] {
  if (upper - lower > 1e-12 * Math.max(Math.abs(lower), Math.abs(upper))) return [lower, upper];
  const half = lower !== 0 ? Math.abs(lower) * 0.05 : 1;
  return [lower - half, upper + half];
}

/** The data range, padded by 5% of its span (linear) or of its decades (log); a point gets a span. */
function dataRange(values: readonly number[], log: boolean): [number, number] {
  const finite = values.filter((v) => usable(v, log));
  if (finite.length === 0) return log ? [1, 10] : [0, 1];
  const least = finite.reduce((a, b) => Math.min(a, b));
  const most = finite.reduce((a, b) => Math.max(a, b));
  if (log) {
    let [a, b] = [Math.log10(least), Math.log10(most)];
    if (b - a < 1e-9) [a, b] = [a - 0.5, b + 0.5];
    const pad = 0.05 * (b - a);
    // Padding beyond the doubles would put an end at 0 or Infinity.
    return [Math.max(10 ** (a - pad), Number.MIN_VALUE), Math.min(10 ** (b + pad), Number.MAX_VALUE)];
  }
  const [lower, upper] = widened(least, most);
  // 5% of the span; padding beyond the doubles would put an end at ±Infinity.
  const pad = 0.05 * halfSpan(lower, upper) * 2;
  return [Math.max(lower - pad, -Number.MAX_VALUE), Math.min(upper + pad, Number.MAX_VALUE)];
}

/**
 * An axis' range: the caller's, where an end that is not finite (or not positive on a log axis) is the
 * data's; an empty one is refused.
 */
function axisRange(
  given: readonly [number, number] | undefined,
  values: readonly number[],
  log: boolean,
  name: string,
): [number, number] {
  const data = dataRange(values, log);
  if (!given) return data;
  const lower = usable(given[0], log) ? given[0] : data[0];
  const upper = usable(given[1], log) ? given[1] : data[1];
  if (!(upper > lower)) throw new RangeError(`linePlot: the ${name} range [${lower}, ${upper}] is empty`);
  return [lower, upper];
}

/** 32-bit FNV-1a of a string's UTF-16 code units, in 8 hex digits. */
function digest(text: string): string {
  let hash = 0x811c9dc5;
  for (let k = 0; k < text.length; k++) hash = Math.imul(hash ^ text.charCodeAt(k), 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, '0');
}

/**
 * The document around `body`, where each of `ids` is written `id="name"` and referenced `="url(#name)"`
 * (no text can hold them: escapeXml escapes its quotes). Each becomes `name-DIGEST`, the digest of the
 * document: a counter per process would make a plot's bytes depend on what the process drew before it
 * (london's whole run against merge's), and one per document would repeat ids among the app's plots.
 */
function svgDocument(width: number, height: number, body: string[], ids: readonly string[] = []): string {
  const text = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${kFont} font-size="${kTickFont}">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
  const suffix = digest(text);
  return ids.reduce(
    (document, id) =>
      document
        .replaceAll(`id="${id}"`, `id="${id}-${suffix}"`)
        .replaceAll(`="url(#${id})"`, `="url(#${id}-${suffix})"`),
    text,
  );
}

/** The axes around a plot area and their ticks. */
interface Frame {
  readonly x: Axis;
  readonly y: Axis;
  readonly xTicks: AxisTicks;
  readonly yTicks: AxisTicks;
}

/**
 * Frame, ticks, tick labels, grid lines and axis titles around the plot area; the x axis' offset at its
 * right end under the tick labels, the y axis' above the frame.
 */
function drawAxes(frame: Frame, xLabel: string, yLabel: string, grid: boolean): string[] {
  const { x, y, xTicks, yTicks } = frame;
  const [left, right, bottom, top] = [x.from, x.to, y.from, y.to];
  const out: string[] = [];
  for (const tick of xTicks.ticks) {
    const px = fixed(project(x, tick.value));
    if (grid) out.push(`<line x1="${px}" y1="${top}" x2="${px}" y2="${bottom}" stroke="#e5e5e5"/>`);
    out.push(`<line x1="${px}" y1="${bottom}" x2="${px}" y2="${bottom + 5}" stroke="#333"/>`);
    out.push(`<text x="${px}" y="${bottom + 19}" text-anchor="middle">${tick.label}</text>`);
  }
  for (const tick of yTicks.ticks) {
    const py = fixed(project(y, tick.value));
    if (grid) out.push(`<line x1="${left}" y1="${py}" x2="${right}" y2="${py}" stroke="#e5e5e5"/>`);
    out.push(`<line x1="${left - 5}" y1="${py}" x2="${left}" y2="${py}" stroke="#333"/>`);
    out.push(`<text x="${left - 8}" y="${py + 4}" text-anchor="end">${tick.label}</text>`);
  }
  const xTitle = escapeXml(xLabel);
  let xTitleCentre = (left + right) / 2;
  if (xTicks.offset) {
    out.push(
      `<text x="${right}" y="${bottom + 42}" text-anchor="end" font-size="${kNoteFont}">${xTicks.offset}</text>`,
    );
    const room = right - textWidth(xTicks.offset, kNoteFont) - kLabelGap;
    xTitleCentre = Math.min(xTitleCentre, room - textWidth(xTitle, kAxisTitleFont) / 2);
  }
  if (yTicks.offset) {
    out.push(`<text x="${left}" y="${top - 10}" font-size="${kNoteFont}">${yTicks.offset}</text>`);
  }
  out.push(
    `<rect x="${left}" y="${top}" width="${fixed(right - left)}" height="${fixed(bottom - top)}" fill="none" stroke="#333"/>`,
    `<text x="${fixed(xTitleCentre)}" y="${bottom + 42}" text-anchor="middle" font-size="${kAxisTitleFont}">${xTitle}</text>`,
    `<text transform="translate(${fixed(left - yTitleOffset(yTicks))} ${fixed((top + bottom) / 2)}) rotate(-90)" text-anchor="middle" font-size="${kAxisTitleFont}">${escapeXml(yLabel)}</text>`,
  );
  return out;
}

/**
 * The title of a plot of this module's as a CSS selector: drawTitle's text, the only bold one. The
 * app names each plot by it (an inline <svg> is otherwise named by all its text, every tick label).
 */
export const kTitleSelector = 'text[font-weight="bold"]';

function drawTitle(title: string | undefined, centre: number): string[] {
  return title
    ? [
        `<text x="${fixed(centre)}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
      ]
    : [];
}

// ---------------------------------------------------------------------------------------------------
// Labels placed clear of each other

/** Where a label's text goes: its baseline's start, middle or end. */
export interface Spot {
  readonly x: number;
  readonly y: number;
  readonly anchor: Anchor;
}

/** The least space between two notes side by side: about a character of the note font. */
const kNoteGap = 6;

/** Room a note keeps beyond the ink of a line it avoids: a line grazing its text reads as crossing it. */
const kLineClearance = 0.5;

/**
 * Places notes (marker and reference-line labels) one at a time inside `bounds`: each at the first of its
 * candidate spots, nudged up or down by whole lines as needed, where it overlaps nothing placed or blocked
 * before it, nor comes within kNoteGap of a note on its row (two notes abutting read as one), and crosses
 * none of the lines it avoids (the reference lines, the data); where every spot clear of the notes
 * crosses some line, at the first of those that crosses fewest; where no spot is clear of the notes, at
 * its first, over whatever is there.
 */
export class LabelPlacer {
  readonly #taken: Box[] = [];
  readonly #avoided: { readonly trace: Trace; readonly halfWidth: number }[] = [];
  /** Where the notes stand, those over something else included: a legend blocked here must not hide one. */
  readonly placed: Box[] = [];

  constructor(readonly bounds: Box) {}

  /** A box no note may overlap: a placed note is one, a legend or a marker another. */
  block(box: Box): void {
    this.#taken.push(box);
  }

  /**
   * A drawn line (a dot, where its ends are one) that notes keep clear of where some spot allows:
   * `halfWidth` is how far its ink reaches from its middle (half the stroke, or a dot's radius).
   */
  avoid(trace: Trace, halfWidth: number): void {
    this.#avoided.push({ trace, halfWidth });
  }

  /**
   * Where the note goes, and whether it crosses a line it avoids there (none of its spots was clear of
   * them all): the caller backs such a note, so that the line runs under it (noteText).
   */
  place(markup: string, candidates: readonly Spot[]): { readonly spot: Spot; readonly crossing: boolean } {
    const line = kNoteFont + 3;
    const reach = Math.ceil((this.bounds.y1 - this.bounds.y0) / line);
    let best: { spot: Spot; box: Box; crossed: number } | null = null;
    search: for (let n = 0; n <= reach; n++) {
      for (const dy of n === 0 ? [0] : [n * line, -n * line]) {
        for (const candidate of candidates) {
          const spot = this.#inside(markup, { ...candidate, y: candidate.y + dy });
          const box = textBox(markup, spot.x, spot.y, kNoteFont, spot.anchor);
          const spaced = { ...box, x0: box.x0 - kNoteGap, x1: box.x1 + kNoteGap };
          if (this.#taken.some((taken) => overlaps(taken, spaced))) continue;
          const crossed = this.#crossed(box);
          if (!best || crossed < best.crossed) best = { spot, box, crossed };
          if (crossed === 0) break search;
        }
      }
    }
    if (best) {
      this.#taken.push(best.box);
      this.placed.push(best.box);
      return { spot: best.spot, crossing: best.crossed > 0 };
    }
    // Over another note: a backing would hide that one.
    const spot = this.#inside(markup, candidates[0]);
    this.placed.push(textBox(markup, spot.x, spot.y, kNoteFont, spot.anchor));
    return { spot, crossing: false };
  }

  /** How many of the lines avoided a note at `box` would cross, their ink and kLineClearance counted. */
  #crossed(box: Box): number {
    return this.#avoided.filter(({ trace, halfWidth }) => {
      const room = halfWidth + kLineClearance;
      return crosses({ x0: box.x0 - room, x1: box.x1 + room, y0: box.y0 - room, y1: box.y1 + room }, trace);
    }).length;
  }

  /** The spot moved the least that brings its text inside the bounds (flush left where it is wider). */
  #inside(markup: string, spot: Spot): Spot {
    const box = textBox(markup, spot.x, spot.y, kNoteFont, spot.anchor);
    const b = this.bounds;
    const dx = box.x0 < b.x0 ? b.x0 - box.x0 : box.x1 > b.x1 ? Math.max(b.x1 - box.x1, b.x0 - box.x0) : 0;
    const dy = box.y0 < b.y0 ? b.y0 - box.y0 : box.y1 > b.y1 ? b.y1 - box.y1 : 0;
    return { x: spot.x + dx, y: spot.y + dy, anchor: spot.anchor };
  }
}

/**
 * A note at the spot LabelPlacer chose, on a white box where it crosses a line there (its halo alone would
 * leave the line showing between its words).
 */
function noteText(
  { spot, crossing }: ReturnType<LabelPlacer['place']>,
  colour: string,
  markup: string,
): string {
  const text = `<text x="${fixed(spot.x)}" y="${fixed(spot.y)}" fill="${colour}" font-size="${kNoteFont}" text-anchor="${spot.anchor}" ${kHalo}>${markup}</text>`;
  if (!crossing) return text;
  const box = textBox(markup, spot.x, spot.y, kNoteFont, spot.anchor);
  return `<rect x="${fixed(box.x0 - 1)}" y="${fixed(box.y0 - 1)}" width="${fixed(box.x1 - box.x0 + 2)}" height="${fixed(box.y1 - box.y0 + 2)}" fill="#ffffff"/>${text}`;
}

// ---------------------------------------------------------------------------------------------------
// Line plots

/** Pixels: a series' line width and dot radius, and a reference line's width (labels keep off all three). */
const kSeriesStroke = 2;
const kDotRadius = 3.5;
const kReferenceStroke = 1.5;

/** A stretch of a drawn line, or a point where both ends are one, in pixels: x1, y1, x2, y2. */
export type Trace = readonly [number, number, number, number];

interface LegendEntry {
  readonly label: string;
  readonly colour: string;
  readonly line: boolean;
  readonly points: boolean;
  readonly dashed: boolean;
}

export function linePlot(options: LinePlotOptions): string {
  const width = options.width ?? 680;
  const height = options.height ?? 440;
  const logX = options.logX ?? false;
  const logY = options.logY ?? false;
  const xs: number[] = [];
  const ys: number[] = [];
  for (const s of options.series) {
    for (let k = 0; k < s.x.length; k++) {
      if (usable(s.x[k], logX) && usable(s.y[k], logY)) {
        xs.push(s.x[k]);
        ys.push(s.y[k]);
      }
    }
  }
  for (const m of options.markers ?? []) {
    if (usable(m.x, logX) && usable(m.y, logY)) {
      xs.push(m.x);
      ys.push(m.y);
    }
  }
  for (const line of options.hLines ?? []) ys.push(line.value);
  for (const line of options.vLines ?? []) xs.push(line.value);
  const [xLower, xUpper] = axisRange(options.xRange, xs, logX, 'x');
  const [yLower, yUpper] = axisRange(options.yRange, ys, logY, 'y');

  // Margins from the tick labels: the y labels' width sets the left one, the x labels' half width the
  // right one (the last may be centred on the frame's edge), a y offset a row above the frame.
  const bottom = height - 58;
  const yAxis = (top: number): Axis => ({ lower: yLower, upper: yUpper, log: logY, from: bottom, to: top });
  let top = options.title ? 40 : 20;
  let yTicks = fittingTicks(yAxis(top), false);
  if (yTicks.offset) {
    top += kOffsetRow;
    yTicks = fittingTicks(yAxis(top), false);
  }
  const left = leftMargin(yTicks);
  const xAxis = (right: number): Axis => ({ lower: xLower, upper: xUpper, log: logX, from: left, to: right });
  const right = Math.floor(width - Math.max(24, widestLabel(fittingTicks(xAxis(width - 24), true)) / 2 + 4));
  const x = xAxis(right);
  const y = yAxis(top);
  const plot: Box = { x0: left, x1: right, y0: top, y1: bottom };
  const inPlot = (px: number, py: number) => px >= left && px <= right && py >= top && py <= bottom;

  const clip = 'clip';
  const body: string[] = [
    ...drawTitle(options.title, (left + right) / 2),
    `<defs><clipPath id="${clip}"><rect x="${left}" y="${top}" width="${right - left}" height="${bottom - top}"/></clipPath></defs>`,
    ...drawAxes({ x, y, xTicks: fittingTicks(x, true), yTicks }, options.xLabel, options.yLabel, true),
  ];
  const colourOf = (index: number, colour?: string) => colour ?? kPalette[index % kPalette.length];

  // Where the data are drawn, first: the legend and the labels keep off it.
  const traces: Trace[] = [];
  const seriesSvg: string[] = [];
  for (const [index, s] of options.series.entries()) {
    const colour = colourOf(index, s.colour);
    // Unusable values (NaN, <= 0 on a log axis) break the line into segments.
    const segments: [number, number][][] = [[]];
    for (let k = 0; k < s.x.length; k++) {
      if (!usable(s.x[k], logX) || !usable(s.y[k], logY)) {
        if (segments[segments.length - 1].length > 0) segments.push([]);
        continue;
      }
      const point: [number, number] = [fixed(project(x, s.x[k])), fixed(project(y, s.y[k]))];
      const last = segments[segments.length - 1].at(-1);
      // A point on top of the last one adds nothing to the line (a curve over one N r_e/R is all one point).
      if (!(last && last[0] === point[0] && last[1] === point[1])) segments[segments.length - 1].push(point);
    }
    if (s.line ?? true) {
      const dash = s.dashed ? ' stroke-dasharray="7 4"' : '';
      // A line that collapses to a point is drawn as one, or it would not be drawn at all.
      if (!s.points) {
        for (const [[px, py]] of segments.filter((seg) => seg.length === 1)) {
          seriesSvg.push(`<circle cx="${px}" cy="${py}" r="${kDotRadius}" fill="${colour}"/>`);
          traces.push([px, py, px, py]);
        }
      }
      for (const segment of segments.filter((seg) => seg.length > 1)) {
        seriesSvg.push(
          `<polyline points="${segment.map(([px, py]) => `${px},${py}`).join(' ')}" fill="none" stroke="${colour}" stroke-width="${kSeriesStroke}"${dash}/>`,
        );
        for (let k = 1; k < segment.length; k++) traces.push([...segment[k - 1], ...segment[k]]);
      }
    }
    if (s.points) {
      for (const [px, py] of segments.flat()) {
        seriesSvg.push(`<circle cx="${px}" cy="${py}" r="${kDotRadius}" fill="${colour}"/>`);
        traces.push([px, py, px, py]);
      }
    }
  }
  const markers = (options.markers ?? [])
    .filter((marker) => usable(marker.x, logX) && usable(marker.y, logY))
    .map((marker) => ({ ...marker, px: fixed(project(x, marker.x)), py: fixed(project(y, marker.y)) }));
  for (const { px, py } of markers) traces.push([px, py, px, py]);

  const entries: LegendEntry[] = options.series
    .map((s, index) => ({
      label: s.label,
      colour: colourOf(index, s.colour),
      line: s.line ?? true,
      points: s.points ?? false,
      dashed: s.dashed ?? false,
    }))
    .filter((entry) => entry.label !== '');

  // The reference lines and the markers' diamonds stand wherever the legend goes; their labels are
  // placed anew for each place the legend is tried in, giving way to it.
  const drawnLines = [
    ...referenceLines(options.hLines ?? [], y, 'horizontal', plot),
    ...referenceLines(options.vLines ?? [], x, 'vertical', plot),
  ];
  const diamonds = markers.map(
    ({ px, py, colour = '#000' }) =>
      `<path d="M${px - 6},${py} L${px},${py - 6} L${px + 6},${py} L${px},${py + 6} Z" fill="${colour}" stroke="#fff"/>`,
  );
  const annotate = (legend: Box | null) => {
    const placer = new LabelPlacer({ x0: left + 3, x1: right - 3, y0: top + 3, y1: bottom - 3 });
    if (legend) placer.block(legend);
    for (const { px, py } of markers) placer.block({ x0: px - 6, x1: px + 6, y0: py - 6, y1: py + 6 });
    // Every line before any label: a label keeps off the lines labelled after it too.
    for (const { trace } of drawnLines) placer.avoid(trace, kReferenceStroke / 2);
    for (const trace of traces) {
      const dot = trace[0] === trace[2] && trace[1] === trace[3];
      placer.avoid(trace, dot ? kDotRadius : kSeriesStroke / 2);
    }
    const notes: string[] = [];
    for (const { note } of drawnLines) {
      if (note) notes.push(noteText(placer.place(note.markup, note.candidates), note.colour, note.markup));
    }
    for (const { px, py, label, colour = '#000' } of markers) {
      if (!label || !inPlot(px, py)) continue;
      const text = escapeXml(label);
      const spot = placer.place(text, [
        { x: px + 9, y: py - 7, anchor: 'start' },
        { x: px - 9, y: py - 7, anchor: 'end' },
        { x: px + 9, y: py + 16, anchor: 'start' },
        { x: px - 9, y: py + 16, anchor: 'end' },
      ]);
      notes.push(noteText(spot, colour, text));
    }
    return { notes, boxes: placer.placed };
  };

  // The legend in the first corner, the requested one first, where it hides neither data nor a note; below
  // the plot where every corner would hide something, or where it is too large for the plot (it would
  // cover the frame and tick labels, or be clipped at the document's edge).
  let legend: LegendLayout | null = null;
  let annotations: ReturnType<typeof annotate> | null = null;
  if (entries.length > 0) {
    for (const corner of legendCorners(options.legend ?? 'top-right')) {
      const layout = inCorner(entries, corner, plot);
      if (!encloses(plot, layout.box)) continue;
      if (traces.some((trace) => crosses(layout.box, trace))) continue;
      const trial = annotate(layout.box);
      if (trial.boxes.some((note) => overlaps(note, layout.box))) continue;
      [legend, annotations] = [layout, trial];
      break;
    }
    legend ??= belowPlot(entries, plot);
  }
  annotations ??= annotate(null);
  // The labels over every line, each on its white halo: where a label could not keep clear of a line,
  // the line runs under it rather than through it.
  body.push(
    `<g clip-path="url(#${clip})">`,
    ...drawnLines.map((line) => line.svg),
    ...seriesSvg,
    ...diamonds,
    ...annotations.notes,
    '</g>',
  );
  if (legend) body.push(...drawLegend(entries, legend));
  // A legend below the plot makes the document taller (and wider, where one entry is wider than the
  // document); one in a corner lies inside it already.
  const [documentWidth, documentHeight] = legend
    ? [Math.max(width, Math.ceil(legend.box.x1 + 10)), Math.max(height, Math.ceil(legend.box.y1 + 12))]
    : [width, height];
  return svgDocument(documentWidth, documentHeight, body, [clip]);
}

/** A reference line as drawn, and its label's text and the spots it may stand at (null: none shown). */
interface DrawnLine {
  readonly svg: string;
  readonly trace: Trace;
  readonly note: { readonly markup: string; readonly colour: string; readonly candidates: Spot[] } | null;
}

/**
 * Dotted lines at `lines[k].value` on `axis`, across the plot, with where their labels may go: beside a
 * vertical line near the top, above or below a horizontal one at either end.
 */
function referenceLines(
  lines: readonly ReferenceLine[],
  axis: Axis,
  orientation: 'horizontal' | 'vertical',
  plot: Box,
): DrawnLine[] {
  const out: DrawnLine[] = [];
  for (const line of lines) {
    if (!usable(line.value, axis.log)) continue;
    const at = fixed(project(axis, line.value));
    const colour = line.colour ?? '#555';
    const [x1, y1, x2, y2] =
      orientation === 'horizontal' ? [plot.x0, at, plot.x1, at] : [at, plot.y0, at, plot.y1];
    const svg = `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="${colour}" stroke-dasharray="2 4" stroke-width="${kReferenceStroke}"/>`;
    const trace: Trace = [x1, y1, x2, y2];
    // A line outside the axis' range is clipped away, and its label with it.
    if (!line.label || at < Math.min(axis.from, axis.to) || at > Math.max(axis.from, axis.to)) {
      out.push({ svg, trace, note: null });
      continue;
    }
    let candidates: Spot[];
    if (orientation === 'horizontal') {
      candidates = [
        { x: plot.x0 + 6, y: at - 5, anchor: 'start' },
        { x: plot.x0 + 6, y: at + 14, anchor: 'start' },
        { x: plot.x1 - 6, y: at - 5, anchor: 'end' },
        { x: plot.x1 - 6, y: at + 14, anchor: 'end' },
      ];
    } else {
      // Right of the line in the left half of the plot, left of it in the right half, first.
      const after: Spot = { x: at + 4, y: plot.y0 + 14, anchor: 'start' };
      const before: Spot = { x: at - 4, y: plot.y0 + 14, anchor: 'end' };
      candidates = at < (axis.from + axis.to) / 2 ? [after, before] : [before, after];
    }
    out.push({ svg, trace, note: { markup: escapeXml(line.label), colour, candidates } });
  }
  return out;
}

const kLegendRow = 18;
/** Between the columns of a legend below the plot. */
const kLegendColumnGap = 10;
const kLegendCorners: readonly LegendCorner[] = ['top-right', 'top-left', 'bottom-right', 'bottom-left'];

/** Whether the stretch from (x1, y1) to (x2, y2), or the point where they are one, meets the box. */
function crosses(box: Box, [x1, y1, x2, y2]: Trace): boolean {
  if (Math.max(x1, x2) < box.x0 || Math.min(x1, x2) > box.x1) return false;
  if (Math.max(y1, y2) < box.y0 || Math.min(y1, y2) > box.y1) return false;
  // Within the box's bounds, the stretch meets it unless all four corners lie on one side of its line.
  const side = (x: number, y: number) => Math.sign((x2 - x1) * (y - y1) - (y2 - y1) * (x - x1));
  const sides = [side(box.x0, box.y0), side(box.x1, box.y0), side(box.x0, box.y1), side(box.x1, box.y1)];
  return Math.min(...sides) <= 0 && Math.max(...sides) >= 0;
}

/** Where the legend stands: its entries down `rows` rows, then on in the next column to the right. */
interface LegendLayout {
  readonly box: Box;
  readonly rows: number;
  readonly columnWidth: number;
}

/** The requested corner, then the others in their usual order. */
const legendCorners = (requested: LegendCorner) => [
  requested,
  ...kLegendCorners.filter((corner) => corner !== requested),
];

/** An entry's sample line and its label, the widest label's. */
const legendColumnWidth = (entries: readonly LegendEntry[]) =>
  36 + Math.max(...entries.map((entry) => textWidth(escapeXml(entry.label), kNoteFont)));

/** The legend in one column in a corner of the plot, 10 px in from its edges. */
function inCorner(entries: readonly LegendEntry[], corner: LegendCorner, plot: Box): LegendLayout {
  const width = legendColumnWidth(entries);
  const height = 8 + kLegendRow * entries.length;
  const x0 = corner.endsWith('left') ? plot.x0 + 10 : plot.x1 - 10 - width;
  const y0 = corner.startsWith('top') ? plot.y0 + 10 : plot.y1 - 10 - height;
  return { box: { x0, x1: x0 + width, y0, y1: y0 + height }, rows: entries.length, columnWidth: width };
}

/**
 * The legend under the x axis' title (whose descent ends 45.5 px below the frame), centred on the plot, in
 * as many columns as fit its width: outside the plot it hides nothing, and the document grows by its rows
 * rather than its width, which would scale the plot's text down where a page fits it to a column.
 */
function belowPlot(entries: readonly LegendEntry[], plot: Box): LegendLayout {
  const columnWidth = legendColumnWidth(entries);
  const fitting = Math.floor((plot.x1 - plot.x0 + kLegendColumnGap) / (columnWidth + kLegendColumnGap));
  const rows = Math.ceil(entries.length / Math.min(entries.length, Math.max(1, fitting)));
  // As few columns as those rows need: no column is left empty.
  const columns = Math.ceil(entries.length / rows);
  const width = columns * columnWidth + (columns - 1) * kLegendColumnGap;
  const x0 = Math.max(10, (plot.x0 + plot.x1 - width) / 2);
  const y0 = plot.y1 + 54;
  return { box: { x0, x1: x0 + width, y0, y1: y0 + 8 + kLegendRow * rows }, rows, columnWidth };
}

function drawLegend(entries: readonly LegendEntry[], { box, rows, columnWidth }: LegendLayout): string[] {
  const out = [
    `<rect x="${fixed(box.x0)}" y="${fixed(box.y0)}" width="${fixed(box.x1 - box.x0)}" height="${fixed(box.y1 - box.y0)}" fill="#ffffff" fill-opacity="0.9" stroke="#999"/>`,
  ];
  entries.forEach((entry, k) => {
    const bx = box.x0 + Math.floor(k / rows) * (columnWidth + kLegendColumnGap);
    const ly = fixed(box.y0 + 4 + kLegendRow * (k % rows) + kLegendRow / 2);
    if (entry.line) {
      const dash = entry.dashed ? ' stroke-dasharray="7 4"' : '';
      out.push(
        `<line x1="${fixed(bx + 6)}" y1="${ly}" x2="${fixed(bx + 28)}" y2="${ly}" stroke="${entry.colour}" stroke-width="2"${dash}/>`,
      );
    }
    if (entry.points) out.push(`<circle cx="${fixed(bx + 17)}" cy="${ly}" r="3.5" fill="${entry.colour}"/>`);
    out.push(
      `<text x="${fixed(bx + 34)}" y="${fixed(ly + 4)}" font-size="${kNoteFont}">${escapeXml(entry.label)}</text>`,
    );
  });
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Heat maps

function parseHex(colour: string): [number, number, number] {
  const v = parseInt(colour.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

/** The colour of t in [0, 1] on `stops` (hex colours, evenly spaced), linearly interpolated. */
export function colourAt(t: number, stops: readonly string[] = kViridis): string {
  const clamped = Math.min(1, Math.max(0, t));
  const position = clamped * (stops.length - 1);
  const k = Math.min(stops.length - 2, Math.floor(position));
  const f = position - k;
  const [a, b] = [parseHex(stops[k]), parseHex(stops[k + 1])];
  const mixed = a.map((c, i) => Math.round(c + f * (b[i] - c)));
  return `#${mixed.map((c) => c.toString(16).padStart(2, '0')).join('')}`;
}

/** Levels of a cell image's colour scale: its palette's 256 entries less the transparent one. */
const kImageLevels = 255;

/**
 * The cells of a heat map as rectangles, one for each run of neighbouring cells of one colour in a
 * row; a cell whose value is not finite is left blank. `colourOf` gives a value's place on the scale.
 */
function cellRectangles(
  columns: number,
  rows: number,
  values: ArrayLike<number>,
  colourOf: (value: number) => number,
  box: Box,
): string[] {
  const cellWidth = (box.x1 - box.x0) / columns;
  const cellHeight = (box.y1 - box.y0) / rows;
  const cells: string[] = [];
  for (let row = 0; row < rows; row++) {
    let run: { from: number; fill: string } | null = null;
    const close = (to: number) => {
      if (!run) return;
      // Cells overlap their right and lower neighbours by a hair so that no seams show.
      cells.push(
        `<rect x="${fixed(box.x0 + run.from * cellWidth)}" y="${fixed(box.y0 + row * cellHeight)}" width="${fixed((to - run.from) * cellWidth + 0.5)}" height="${fixed(cellHeight + 0.5)}" fill="${run.fill}"/>`,
      );
      run = null;
    };
    for (let column = 0; column < columns; column++) {
      const value = values[row * columns + column];
      const fill = Number.isFinite(value) ? colourAt(colourOf(value)) : null;
      if (run && run.fill === fill) continue;
      close(column);
      if (fill) run = { from: column, fill };
    }
    close(columns);
  }
  return cells;
}

/**
 * The cells of a heat map as one image over the plot, a pixel a cell, drawn without smoothing: an
 * indexed PNG (src/io/png.ts) whose palette is the colour scale at kImageLevels levels, as fine as
 * the 8 bits of an RGB channel show it, and whose entry 0, transparent, a cell without a value.
 */
function cellImage(
  columns: number,
  rows: number,
  values: ArrayLike<number>,
  colourOf: (value: number) => number,
  box: Box,
): string {
  const pixels = new Uint8Array(columns * rows);
  for (let k = 0; k < pixels.length; k++) {
    const value = values[k];
    if (Number.isFinite(value))
      pixels[k] = 1 + Math.round(Math.min(1, Math.max(0, colourOf(value))) * (kImageLevels - 1));
  }
  const palette = [
    [0, 0, 0] as const,
    ...Array.from({ length: kImageLevels }, (_, level) => parseHex(colourAt(level / (kImageLevels - 1)))),
  ];
  const png = base64(indexedPng(columns, rows, pixels, palette));
  return (
    `<image x="${fixed(box.x0)}" y="${fixed(box.y0)}" width="${fixed(box.x1 - box.x0)}" height="${fixed(box.y1 - box.y0)}" ` +
    `preserveAspectRatio="none" image-rendering="optimizeSpeed" style="image-rendering: pixelated" ` +
    `href="data:image/png;base64,${png}"/>`
  );
}

export function heatMap(options: HeatMapOptions): string {
  const { columns, rows, values } = options;
  if (!(Number.isInteger(columns) && Number.isInteger(rows) && columns >= 1 && rows >= 1)) {
    throw new RangeError(`heat map: ${columns} x ${rows} cells`);
  }
  if (values.length !== columns * rows) {
    throw new RangeError(`heat map: ${values.length} values for ${columns} x ${rows} cells`);
  }
  for (const [name, [first, last], count] of [
    ['x', options.xRange, columns],
    ['y', options.yRange, rows],
  ] as const) {
    if (!(Number.isFinite(first) && Number.isFinite(last) && (count === 1 ? last >= first : last > first))) {
      throw new RangeError(`heat map: ${name} centres from ${first} to ${last} (${count} of them)`);
    }
  }
  const given = options.valueRange;
  if (given && !(Number.isFinite(given[0]) && Number.isFinite(given[1]) && given[1] > given[0])) {
    throw new RangeError(`heat map: the value range [${given[0]}, ${given[1]}] is empty`);
  }
  let [least, most] = [Infinity, -Infinity];
  for (let k = 0; k < values.length; k++) {
    if (Number.isFinite(values[k])) [least, most] = [Math.min(least, values[k]), Math.max(most, values[k])];
  }
  const [vLower, vUpper] = given ?? (least <= most ? widened(least, most) : [0, 1]);
  // Cell edges lie half a cell beyond the first and last centres; a single column (row) at one
  // coordinate is as wide as the rows are tall (or one unit).
  let halfX = (options.xRange[1] - options.xRange[0]) / (2 * Math.max(1, columns - 1));
  let halfY = (options.yRange[1] - options.yRange[0]) / (2 * Math.max(1, rows - 1));
  if (halfX === 0) halfX = halfY || 0.5;
  if (halfY === 0) halfY = halfX;
  const [xLower, xUpper] = [options.xRange[0] - halfX, options.xRange[1] + halfX];
  const [yLower, yUpper] = [options.yRange[0] - halfY, options.yRange[1] + halfY];
  const requestedWidth = options.width ?? 440;
  let plotWidth = requestedWidth;
  let plotHeight = (plotWidth * (yUpper - yLower)) / (xUpper - xLower);
  if (plotHeight > 640) [plotWidth, plotHeight] = [(plotWidth * 640) / plotHeight, 640];
  if (plotHeight < 160) [plotWidth, plotHeight] = [(plotWidth * 160) / plotHeight, 160];
  // A map far wider or taller than square keeps a readable size rather than its aspect.
  plotWidth = Math.min(Math.max(plotWidth, 160), 2 * requestedWidth);
  // The tick labels' density depends on the lengths alone: the margins from their widths, a row above
  // the frame for an offset.
  const along = (lower: number, upper: number): Axis => ({
    lower,
    upper,
    log: false,
    from: plotHeight,
    to: 0,
  });
  const yTicks = fittingTicks(along(yLower, yUpper), false);
  const barTicks = fittingTicks(along(vLower, vUpper), false);
  const top = (options.title ? 40 : 20) + (yTicks.offset || barTicks.offset ? kOffsetRow : 0);
  const left = leftMargin(yTicks);
  const [right, bottom] = [left + plotWidth, top + plotHeight];
  const barLeft = right + 22;
  // The colour bar's title (rotated, its ascent towards the bar) clear of the bar's widest label.
  const colourTitleX = barLeft + Math.max(100, 24 + widestLabel(barTicks) + 18);
  const title = escapeXml(options.title ?? '');
  const caption = escapeXml(options.caption ?? '');
  const width = Math.ceil(
    Math.max(colourTitleX + 36, textWidth(title, 15) + 20, textWidth(caption, kNoteFont) + 20),
  );
  // The caption a row under the x axis' title, whose descent ends 45.5 px below the frame.
  const height = Math.ceil(bottom + 58 + (caption ? 20 : 0));
  const x: Axis = { lower: xLower, upper: xUpper, log: false, from: left, to: right };
  const y: Axis = { lower: yLower, upper: yUpper, log: false, from: bottom, to: top };
  const colourOf = (value: number) => linearFraction(value, vLower, vUpper);
  const plotBox = { x0: left, y0: top, x1: right, y1: bottom };
  // More cells than the plot has pixels: one image, a pixel a cell, 1 byte each (4/3 in base64),
  // where a rectangle for each run of cells of one colour, some 70 bytes of text, grows with the
  // runs, and a grid finer than the pixels has short ones.
  const cells =
    columns * rows > plotWidth * plotHeight
      ? [cellImage(columns, rows, values, colourOf, plotBox)]
      : cellRectangles(columns, rows, values, colourOf, plotBox);
  const gradient = 'gradient';
  const stops = kViridis.map(
    (colour, k) => `<stop offset="${fixed((100 * k) / (kViridis.length - 1))}%" stop-color="${colour}"/>`,
  );
  const bar: Axis = { lower: vLower, upper: vUpper, log: false, from: bottom, to: top };
  const barSvg = barTicks.ticks.map((tick) => {
    const py = fixed(project(bar, tick.value));
    return [
      `<line x1="${fixed(barLeft + 16)}" y1="${py}" x2="${fixed(barLeft + 21)}" y2="${py}" stroke="#333"/>`,
      `<text x="${fixed(barLeft + 24)}" y="${fixed(py + 4)}">${tick.label}</text>`,
    ].join('');
  });
  if (barTicks.offset) {
    barSvg.push(
      `<text x="${fixed(barLeft)}" y="${top - 10}" font-size="${kNoteFont}">${barTicks.offset}</text>`,
    );
  }
  const body = [
    ...drawTitle(options.title, width / 2),
    `<defs><linearGradient id="${gradient}" x1="0" y1="1" x2="0" y2="0">${stops.join('')}</linearGradient></defs>`,
    `<rect x="${left}" y="${top}" width="${fixed(plotWidth)}" height="${fixed(plotHeight)}" fill="#f2f2f2"/>`,
    `<g shape-rendering="crispEdges">`,
    ...cells,
    '</g>',
    ...drawAxes({ x, y, xTicks: fittingTicks(x, true), yTicks }, options.xLabel, options.yLabel, false),
    `<rect x="${fixed(barLeft)}" y="${top}" width="16" height="${fixed(plotHeight)}" fill="url(#${gradient})" stroke="#333"/>`,
    ...barSvg,
    `<text transform="translate(${fixed(colourTitleX)} ${fixed((top + bottom) / 2)}) rotate(-90)" text-anchor="middle" font-size="${kAxisTitleFont}">${escapeXml(options.colourLabel)}</text>`,
  ];
  if (caption) {
    body.push(
      `<text x="${fixed(width / 2)}" y="${fixed(bottom + 64)}" text-anchor="middle" font-size="${kNoteFont}">${caption}</text>`,
    );
  }
  return svgDocument(width, height, body, [gradient]);
}
