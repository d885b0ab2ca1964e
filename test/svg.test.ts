// The SVG plot writer of the study commands and the app (src/io/svg.ts): well-formed documents, ticks on
// linear and log axes, every element the options ask for, and the heat map's cells and colour bar.
import { inflateSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { crc32 } from '../src/io/npz.ts';
import { pairingEnergySvg } from '../src/studies/pairing/report.ts';
import {
  colourAt,
  escapeXml,
  heatMap,
  kViridis,
  LabelPlacer,
  linearTicks,
  linePlot,
  logTicks,
  textBox,
  textWidth,
  type Anchor,
  type Box,
  type HeatMapOptions,
  type LinePlotOptions,
  type PlotSeries,
  type Spot,
} from '../src/io/svg.ts';

/** Tags balance and every '&' starts an entity: enough to know a viewer will parse the document. */
function expectWellFormed(svg: string): void {
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  const stack: string[] = [];
  for (const match of svg.matchAll(/<(\/?)([a-zA-Z]+)[^<>]*?(\/?)>/g)) {
    const [, closing, name, selfClosing] = match;
    if (selfClosing) continue;
    if (closing) expect(stack.pop(), `closing </${name}>`).toBe(name);
    else stack.push(name);
  }
  expect(stack).toEqual([]);
  expect(svg.replace(/&(#\d+|[a-z]+);/g, '')).not.toMatch(/&/);
  // No text content holds a raw '<': every '<' opens a tag.
  expect(svg.replace(/<\/?[a-zA-Z][^<>]*>/g, '')).not.toMatch(/</);
}

const count = (svg: string, pattern: RegExp) => [...svg.matchAll(pattern)].length;

const labels = (ticks: { ticks: readonly { label: string }[] }) => ticks.ticks.map((t) => t.label);
const sup = (exponent: string) => `<tspan dy="-0.5em" font-size="75%">${exponent}</tspan>`;

describe('ticks', () => {
  test('linear ticks are 1, 2 or 5 times a power of ten, labelled with the decimals they need', () => {
    expect(labels(linearTicks(0, 1))).toEqual(['0', '0.2', '0.4', '0.6', '0.8', '1.0']);
    expect(labels(linearTicks(0.99996, 1.00005))).toEqual([
      '0.99996',
      '0.99998',
      '1.00000',
      '1.00002',
      '1.00004',
    ]);
    expect(linearTicks(-30, 170).ticks.map((t) => t.value)).toEqual([0, 50, 100, 150]);
    // Negative labels take a minus sign, as the exponents do.
    expect(labels(linearTicks(-0.5, 0.5))).toEqual(['−0.4', '−0.2', '0', '0.2', '0.4']);
  });

  test('large and small values share one factor, shown once: the labels stay short', () => {
    const big = linearTicks(0, 5e7);
    expect(labels(big)).toEqual(['0', '1', '2', '3', '4', '5']);
    expect(big.offset).toBe(`×10${sup('7')}`);
    const small = linearTicks(1.2e-12, 9.9e-12);
    expect(labels(small)).toEqual(['2', '4', '6', '8']);
    expect(small.ticks.map((t) => t.value)).toEqual([2e-12, 4e-12, 6e-12, 8e-12]);
    expect(small.offset).toBe(`×10${sup('−12')}`);
  });

  test('ticks that differ beyond the sixth digit are labelled from an offset, each label distinct', () => {
    // 1.0000001 .. 1.0000003: labels 1.0 .. 3.0, the offset "×10^-7 + 1" (back on the baseline after it).
    const tiny = linearTicks(1.00000009, 1.00000031);
    expect(labels(tiny)).toEqual(['1.0', '1.5', '2.0', '2.5', '3.0']);
    expect(tiny.offset).toBe(`×10${sup('−7')}<tspan dy="0.375em"> + 1</tspan>`);
    tiny.ticks.forEach((t, k) => expect(t.value).toBeCloseTo(1 + (1 + 0.5 * k) * 1e-7, 15));
    const near = linearTicks(1e6 + 0.0009, 1e6 + 0.0031);
    expect(labels(near)).toEqual(['0.0010', '0.0015', '0.0020', '0.0025', '0.0030']);
    expect(near.offset).toBe(`+ 10${sup('6')}`);
    // Below zero the offset is taken towards zero: the labels keep the values' sign.
    const below = linearTicks(-1e6 - 0.0031, -1e6 - 0.0009);
    expect(labels(below)).toEqual(['−0.0030', '−0.0025', '−0.0020', '−0.0015', '−0.0010']);
    expect(below.offset).toBe(`− 10${sup('6')}`);
    expect(labels(linearTicks(123456.7, 123457.9))).toEqual(['6.8', '7.0', '7.2', '7.4', '7.6', '7.8']);
    expect(linearTicks(123456.7, 123457.9).offset).toBe('+ 123450');
  });

  test('log ticks at decades, with 2 and 5 over at most three decades', () => {
    expect(logTicks(10, 1e6).ticks.map((t) => t.value)).toEqual([10, 100, 1e3, 1e4, 1e5, 1e6]);
    expect(labels(logTicks(2, 60))).toEqual(['2', '5', '10', '20', '50']);
    expect(labels(logTicks(2e5, 6e6))[0]).toBe(`2×10${sup('5')}`);
    expect(labels(logTicks(1e-9, 1e-1)).every((label) => /10<tspan[^>]*>−\d<\/tspan>/.test(label))).toBe(
      true,
    );
    // Over thirty decades, every fifth: the exponents step evenly from a multiple of five.
    expect(logTicks(1e-15, 1e15).ticks.map((t) => Math.log10(t.value))).toEqual([-15, -10, -5, 0, 5, 10, 15]);
    // Within a single decade the decades say nothing: linear ticks instead.
    expect(labels(logTicks(3, 4))).toEqual(['3.0', '3.5', '4.0']);
  });

  test('label widths are estimated from the characters shown, a superscript at three quarters', () => {
    expect(textWidth('1.0', 10)).toBeCloseTo(3 * 6, 12);
    expect(textWidth(`2×10${sup('−7')}`, 10)).toBeCloseTo(4 * 6 + 2 * 0.75 * 6, 12);
    expect(textWidth('a &#38; b', 10)).toBeCloseTo(5 * 6, 12);
  });
});

describe('linePlot', () => {
  const fit = (n: number) => 1.5 * n ** -2;
  const ns = [10, 100, 1000, 1e4];
  const svg = linePlot({
    title: 'A <log-log> plot & its fit',
    xLabel: 'N',
    yLabel: 'deviation',
    logX: true,
    logY: true,
    series: [
      { label: 'data', x: ns, y: ns.map(fit), points: true, line: false },
      { label: 'fit 1.5 N^-2', x: ns, y: ns.map(fit), dashed: true },
      // A non-positive value on a log axis breaks the line in two.
      { label: 'broken', x: [10, 100, 1000, 1e4], y: [1e-2, 1e-3, -1, 1e-5] },
    ],
    markers: [{ x: 300, y: 1e-5, label: 'reference' }],
    hLines: [{ value: 1e-4, label: 'threshold' }],
    vLines: [{ value: 2000, label: 'N*' }],
  });

  test('is a well-formed SVG document with escaped text', () => {
    expectWellFormed(svg);
    expect(svg).toContain('A &#60;log-log&#62; plot &#38; its fit');
    expect(escapeXml(`a"b'c`)).toBe('a&#34;b&#39;c');
  });

  test('draws every series, marker, reference line and legend entry it is given', () => {
    // 'data' has points only (4 dots, no line), 'fit' one dashed line, 'broken' a segment of 2 points
    // and one of 1, drawn as a dot (a line through one point would not be drawn at all).
    expect(count(svg, /<circle /g)).toBe(4 + 1 + 1); // + the legend's dot for 'data'
    expect(count(svg, /<polyline /g)).toBe(1 + 1);
    expect(svg).toMatch(/<polyline points="[^"]+"[^>]*stroke-dasharray="7 4"/);
    expect(svg).toContain('>reference</text>');
    expect(svg).toContain('>threshold</text>');
    expect(svg).toContain('>N*</text>');
    for (const label of ['data', 'fit 1.5 N^-2', 'broken']) expect(svg).toContain(`>${label}</text>`);
    // Padded, x spans five decades and y seven: decade ticks as powers of ten.
    expect(svg).toContain('>10</text>');
    expect(svg).toMatch(/10<tspan dy="-0.5em" font-size="75%">4<\/tspan>/);
    expect(svg).toMatch(/10<tspan dy="-0.5em" font-size="75%">−6<\/tspan>/);
  });

  test('a line over one point, or over one point repeated, is drawn as a dot', () => {
    const one = (series: PlotSeries) => linePlot({ xLabel: 'x', yLabel: 'y', series: [series] });
    expect(count(one({ label: 'one N', x: [10], y: [10] }), /<circle /g)).toBe(1);
    const flat = one({ label: 'continuum', x: Array(61).fill(3), y: Array(61).fill(0.5), dashed: true });
    expect(count(flat, /<circle /g)).toBe(1);
    expect(count(flat, /<polyline /g)).toBe(0);
    // With its own dots it needs no other.
    expect(count(one({ label: 'p', x: [1], y: [2], points: true }), /<circle /g)).toBe(1 + 1);
  });

  test('two plots in one page get distinct clip-path ids; one plot drawn twice, the same bytes', () => {
    const options = { xLabel: 'x', yLabel: 'y', series: [{ label: '', x: [0, 1], y: [0, 1] }] };
    const again = linePlot(options);
    const id = (s: string) => /clipPath id="([^"]+)"/.exec(s)?.[1];
    expect(id(again)).not.toBe(id(svg));
    expect(again).toContain(`<g clip-path="url(#${id(again)})">`);
    // Whatever the process drew between (a counter of documents made every plot's bytes depend on it).
    expect(linePlot(options)).toBe(again);
    // An empty label leaves the series out of the legend: no legend box at all.
    expect(again).not.toContain('fill-opacity="0.9"');
  });
});

describe('heatMap', () => {
  const columns = 5;
  const rows = 3;
  const values = Array.from({ length: columns * rows }, (_, k) => (k === 7 ? NaN : k));
  const options: HeatMapOptions = {
    title: 'map',
    xLabel: 'x / R',
    yLabel: 'z / R',
    xRange: [-1, 1],
    yRange: [-0.5, 0.5],
    columns,
    rows,
    values,
    colourLabel: 'B_z / B_London',
  };
  const svg = heatMap(options);

  test('one cell per finite value, the colour scale from min to max, and a labelled colour bar', () => {
    expectWellFormed(svg);
    const group = /<g shape-rendering="crispEdges">([^]*?)<\/g>/.exec(svg)?.[1] ?? '';
    const cells = [...group.matchAll(/<rect [^>]*fill="(#[0-9a-f]{6})"\/>/g)];
    expect(cells.length).toBe(columns * rows - 1);
    const fills = cells.map((m) => m[1]);
    expect(fills[0]).toBe(kViridis[0]);
    expect(fills[fills.length - 1]).toBe(kViridis[kViridis.length - 1]);
    expect(count(svg, /<stop /g)).toBe(kViridis.length);
    expect(svg).toContain('>B_z / B_London</text>');
    expect(svg).toContain('>x / R</text>');
  });

  test('the colour bar fills from its own gradient, whose id another map does not share', () => {
    const gradient = (s: string) => /<linearGradient id="([^"]+)"/.exec(s)?.[1];
    expect(svg).toContain(`fill="url(#${gradient(svg)})"`);
    const other = heatMap({ ...options, title: 'another map' });
    expect(gradient(other)).not.toBe(gradient(svg));
  });

  test('neighbours of one colour in a row are one rectangle as wide as the run; a missing value ends it', () => {
    const runs = mapOf({
      xRange: [0, 3],
      yRange: [0, 1],
      columns: 4,
      rows: 2,
      values: [1, 1, 1, 2, 2, NaN, 2, 2],
    });
    const group = /<g shape-rendering="crispEdges">([^]*?)<\/g>/.exec(runs)?.[1] ?? '';
    const cells = [
      ...group.matchAll(/<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" [^>]*fill="(#[0-9a-f]{6})"\/>/g),
    ];
    // The last run starts two cells from the left edge.
    const [x0, cell] = [Number(cells[0][1]), (Number(cells[3][1]) - Number(cells[0][1])) / 2];
    // Row 0: three cells of the lowest colour, then one of the highest; row 1: one cell, a gap, two.
    expect(cells.map((m) => [(Number(m[1]) - x0) / cell, (Number(m[3]) - 0.5) / cell, m[4]])).toEqual(
      [
        [0, 3, kViridis[0]],
        [3, 1, kViridis[kViridis.length - 1]],
        [0, 1, kViridis[kViridis.length - 1]],
        [2, 2, kViridis[kViridis.length - 1]],
      ].map(([from, width, fill]) => [
        expect.closeTo(from as number, 2),
        expect.closeTo(width as number, 2),
        fill,
      ]),
    );
  });

  test('more cells than the plot has pixels: one image of a pixel a cell, its colours the scale, blanks transparent', () => {
    // 500 x 500 cells on a plot of 440 x 440 pixels; the value rises along the rows, column 7 blank.
    const [columns, rows] = [500, 500];
    const values = Float64Array.from({ length: columns * rows }, (_, k) => (k % columns === 7 ? NaN : k));
    const svg = mapOf({ xRange: [-1, 1], yRange: [-1, 1], columns, rows, values });
    expectWellFormed(svg);
    const group = /<g shape-rendering="crispEdges">([^]*?)<\/g>/.exec(svg)?.[1] ?? '';
    expect(group).not.toContain('<rect');
    const image =
      /<image x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" [^>]*href="data:image\/png;base64,([^"]+)"\/>/.exec(
        group,
      );
    expect(image?.slice(3, 5).map(Number)).toEqual([440, 440]);
    // A byte a cell, in base64: proportionate to the grid (its rectangles took some 50 bytes a cell).
    expect(svg.length).toBeLessThan(1.4 * columns * rows + 10_000);
    const png = Buffer.from(image![5], 'base64');
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    // The chunks, each with its CRC.
    const chunks = new Map<string, Buffer>();
    for (let at = 8; at < png.length;) {
      const length = png.readUInt32BE(at);
      const type = png.toString('latin1', at + 4, at + 8);
      expect(png.readUInt32BE(at + 8 + length), type).toBe(crc32(png.subarray(at + 4, at + 8 + length)));
      chunks.set(type, png.subarray(at + 8, at + 8 + length));
      at += 12 + length;
    }
    expect([...chunks.keys()]).toEqual(['IHDR', 'PLTE', 'tRNS', 'IDAT', 'IEND']);
    const header = chunks.get('IHDR')!;
    expect([header.readUInt32BE(0), header.readUInt32BE(4), ...header.subarray(8)]).toEqual([
      500, 500, 8, 3, 0, 0, 0,
    ]);
    // Entry 0 transparent, the scale's ends viridis' ends.
    expect([...chunks.get('tRNS')!]).toEqual([0]);
    const palette = chunks.get('PLTE')!;
    const colour = (index: number) => `#${palette.subarray(3 * index, 3 * index + 3).toString('hex')}`;
    // Rows of a filter byte (0) and a byte a cell; zlib checks its own Adler-32.
    const pixels = inflateSync(chunks.get('IDAT')!);
    expect(pixels.length).toBe(rows * (columns + 1));
    const pixel = (row: number, column: number) => pixels[row * (columns + 1) + 1 + column];
    expect(pixels.filter((_, k) => k % (columns + 1) === 0).every((filter) => filter === 0)).toBe(true);
    expect(colour(pixel(0, 0))).toBe(kViridis[0]);
    expect(colour(pixel(rows - 1, columns - 1))).toBe(kViridis[kViridis.length - 1]);
    expect(pixel(250, 7)).toBe(0);
    // A cell midway up the scale: its colour on it, to the 255 levels of the image.
    const middle = values[250 * columns + 250];
    const t = (middle - values[0]) / (values[values.length - 1] - values[0]);
    expect(colour(pixel(250, 250))).toBe(colourAt(Math.round(254 * t) / 254));
  });

  test('a caption stands centred under the x axis, the document taller by its row and wide enough for it', () => {
    const plain = { xLabel: 'x', yLabel: 'y', colourLabel: 'c', xRange: [0, 1], yRange: [0, 1] } as const;
    const cells = { columns: 2, rows: 2, values: [1, 2, 3, 4] };
    const without = heatMap({ ...plain, ...cells });
    const caption = Array(6).fill('a cell at the floor').join(', ');
    const svg = heatMap({ ...plain, ...cells, caption });
    expectWellFormed(svg);
    const [width, height] = documentSize(svg);
    expect(height).toBe(documentSize(without)[1] + 20);
    expect(width).toBeGreaterThan(documentSize(without)[0]);
    const shown = placedTexts(svg).find((t) => t.markup === caption);
    expect(shown?.box.x0).toBeGreaterThanOrEqual(0);
    expect(shown?.box.x1).toBeLessThanOrEqual(width);
    expect(shown?.box.y1).toBeLessThanOrEqual(height);
    expect(overlappingTexts(placedTexts(svg))).toEqual([]);
  });

  test('colourAt interpolates between stops and clamps outside [0, 1]', () => {
    expect(colourAt(-1)).toBe(kViridis[0]);
    expect(colourAt(2)).toBe(kViridis[kViridis.length - 1]);
    expect(colourAt(0.5)).toBe(kViridis[5]);
    expect(colourAt(0.5, ['#000000', '#ffffff'])).toBe('#808080');
  });

  test('a value count that does not fill the grid is a RangeError', () => {
    expect(() =>
      heatMap({
        xLabel: '',
        yLabel: '',
        xRange: [0, 1],
        yRange: [0, 1],
        columns: 2,
        rows: 2,
        values: [1],
        colourLabel: '',
      }),
    ).toThrow(RangeError);
  });

  test('a grid with no cells, centres that run backwards and an empty value range are RangeErrors', () => {
    const grid = { xLabel: '', yLabel: '', colourLabel: '', xRange: [0, 1], yRange: [0, 1] } as const;
    expect(() => heatMap({ ...grid, columns: 0, rows: 2, values: [] })).toThrow('heat map: 0 x 2 cells');
    expect(() => heatMap({ ...grid, xRange: [1, 0], columns: 2, rows: 1, values: [1, 2] })).toThrow(
      'heat map: x centres from 1 to 0 (2 of them)',
    );
    expect(() => heatMap({ ...grid, columns: 1, rows: 1, values: [1], valueRange: [1, 1] })).toThrow(
      'heat map: the value range [1, 1] is empty',
    );
  });
});

/** A text element placed by x and y (the rotated axis titles are not), with the box the layout estimates. */
interface PlacedText {
  readonly markup: string;
  readonly attributes: string;
  readonly box: Box;
}

function placedTexts(svg: string): PlacedText[] {
  return [...svg.matchAll(/<text ((?:x|y)="[^>]*)>(.*?)<\/text>/g)].map(([, attributes, markup]) => {
    const attribute = (name: string) => new RegExp(`(?:^| )${name}="([^"]*)"`).exec(attributes)?.[1];
    const at = (name: string) => Number(attribute(name));
    const anchor = (attribute('text-anchor') ?? 'start') as Anchor;
    return {
      markup,
      attributes,
      box: textBox(markup, at('x'), at('y'), Number(attribute('font-size') ?? 13), anchor),
    };
  });
}

const boxesOverlap = (a: Box, b: Box) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;

/** Every pair of texts whose estimated boxes overlap, by their markup. */
function overlappingTexts(texts: readonly PlacedText[]): [string, string][] {
  return texts.flatMap((a, i) =>
    texts
      .slice(i + 1)
      .flatMap((b) => (boxesOverlap(a.box, b.box) ? [[a.markup, b.markup] as [string, string]] : [])),
  );
}

/** The plot area, from its clip path. */
function plotArea(svg: string): Box {
  const [x, y, width, height] = (
    /<clipPath id="[^"]+"><rect x="([^"]+)" y="([^"]+)" width="([^"]+)" height="([^"]+)"/
      .exec(svg)
      ?.slice(1) ?? []
  ).map(Number);
  return { x0: x, x1: x + width, y0: y, y1: y + height };
}

/** The legend's box, from its white, slightly translucent background; null where there is none. */
function legendArea(svg: string): Box | null {
  const found =
    /<rect x="([^"]+)" y="([^"]+)" width="([^"]+)" height="([^"]+)" fill="#ffffff" fill-opacity/.exec(svg);
  if (!found) return null;
  const [x, y, width, height] = found.slice(1).map(Number);
  return { x0: x, x1: x + width, y0: y, y1: y + height };
}

/** Every point the data are drawn through: the series' line vertices and dots, the markers' corners. */
function drawnVertices(svg: string): [number, number][] {
  const clipped = /<g clip-path="[^"]+">([^]*?)<\/g>/.exec(svg)?.[1] ?? '';
  const pairs = (list: string) =>
    [...list.matchAll(/(-?[\d.]+),(-?[\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])] as [number, number]);
  return [
    ...[...clipped.matchAll(/<polyline points="([^"]+)"/g)].flatMap((m) => pairs(m[1])),
    ...[...clipped.matchAll(/<circle cx="([^"]+)" cy="([^"]+)"/g)].map(
      (m) => [Number(m[1]), Number(m[2])] as [number, number],
    ),
    ...[...clipped.matchAll(/<path d="([^"]+)"/g)].flatMap((m) => pairs(m[1])),
  ];
}

const within = (box: Box, [x, y]: readonly [number, number]) =>
  x >= box.x0 && x <= box.x1 && y >= box.y0 && y <= box.y1;

/** The document's width and height, which its viewBox must repeat from the origin. */
function documentSize(svg: string): [number, number] {
  const [, width, height, viewBox] =
    /^<svg [^>]*width="([^"]+)" height="([^"]+)" viewBox="([^"]+)"/.exec(svg) ?? [];
  expect(viewBox).toBe(`0 0 ${width} ${height}`);
  return [Number(width), Number(height)];
}

/** No NaN or Infinity, and every number in a coordinate, size, point list, path or transform finite. */
function expectFiniteCoordinates(svg: string): void {
  expect(svg).not.toMatch(/NaN|Infinity/);
  const numbers = [
    ...[...svg.matchAll(/ (?:x|y|x1|y1|x2|y2|cx|cy|r|width|height)="([^"%]*)"/g)].map((m) => m[1]),
    ...[...svg.matchAll(/ (?:points|d)="([^"]*)"/g)].flatMap(
      (m) => m[1].match(/-?[\d.]+(?:e[+-]?\d+)?/g) ?? [],
    ),
    ...[...svg.matchAll(/translate\(([^)]*)\)/g)].flatMap((m) => m[1].split(' ')),
  ].map(Number);
  expect(numbers.length).toBeGreaterThan(10);
  expect(numbers.filter((n) => !Number.isFinite(n))).toEqual([]);
}

/** The tick labels of the y axis (right-aligned left of the frame) and of the x axis (centred under it). */
const yTickLabels = (svg: string) =>
  placedTexts(svg)
    .filter((t) => / text-anchor="end"/.test(t.attributes) && !/fill=|font-size/.test(t.attributes))
    .map((t) => t.markup);
const xTickLabels = (svg: string) =>
  placedTexts(svg)
    .filter((t) => t.attributes.includes('text-anchor="middle"') && !t.attributes.includes('font-size'))
    .map((t) => t.markup);

/** A line plot with axes named x and y. */
const plotOf = (options: Omit<LinePlotOptions, 'xLabel' | 'yLabel'>) =>
  linePlot({ xLabel: 'x', yLabel: 'y', ...options });
/** A heat map with axes named x and y and, unless named, a colour bar named c. */
const mapOf = (
  options: Omit<HeatMapOptions, 'xLabel' | 'yLabel' | 'colourLabel'> & { colourLabel?: string },
) => heatMap({ xLabel: 'x', yLabel: 'y', colourLabel: 'c', ...options });

/** The pairing plot of Au's and Cu's rings, a_m/a = 122 and 77: 0.2 decades apart on an axis of five. */
function ringsPlot(): string {
  const points = Array.from({ length: 21 }, (_, k) => {
    const ratio = 10 * 10 ** (k / 4);
    const energyEq46 = -((2 * Math.log(ratio)) ** 2);
    return { ratio, energyEq46, energyNumerical: 1.2 * energyEq46, energySmallThickness: null };
  });
  const rings = [
    { name: 'Au', ratio: 122.24638297280543 },
    { name: 'Cu', ratio: 77.25971403881304 },
  ];
  return pairingEnergySvg(points, rings);
}

describe('extreme inputs', () => {
  test('a nearly constant series gets distinct, short tick labels and its offset above the axis', () => {
    const svg = plotOf({
      series: [{ label: 's', x: [0, 1, 2], y: [1.0000001, 1.0000002, 1.0000003], points: true }],
    });
    expect(yTickLabels(svg)).toEqual(['1.0', '1.5', '2.0', '2.5', '3.0']);
    expect(svg).toContain(`>×10${sup('−7')}<tspan dy="0.375em"> + 1</tspan></text>`);
    // x from 1e6 + 0.001 to 1e6 + 0.003: the offset at the x axis' right end.
    const wide = plotOf({ width: 320, series: [{ label: '', x: [1e6 + 0.001, 1e6 + 0.003], y: [0, 1] }] });
    // On a 320 px plot five ticks 0.0005 apart would crowd: three 0.001 apart.
    expect(xTickLabels(wide)).toEqual(['0.001', '0.002', '0.003']);
    expect(wide).toContain(`>+ 10${sup('6')}</text>`);
    expect(overlappingTexts(placedTexts(wide))).toEqual([]);
  });

  test('tick labels are thinned until they keep clear of each other on a small plot', () => {
    const plot = (width: number, height: number) =>
      plotOf({ width, height, series: [{ label: '', x: [0.99996, 1.00005], y: [1.2345e-12, 9.87e-12] }] });
    const large = plot(680, 440);
    expect(xTickLabels(large)).toEqual(['0.99996', '0.99998', '1.00000', '1.00002', '1.00004']);
    expect(yTickLabels(large)).toEqual(['0.2', '0.4', '0.6', '0.8', '1.0']);
    const small = plot(260, 160);
    expect(xTickLabels(small)).toEqual(['1.00000', '1.00005']);
    expect(yTickLabels(small)).toEqual(['0.5', '1.0']);
    for (const svg of [large, small]) {
      expect(svg).toContain(`>×10${sup('−11')}</text>`);
      expect(overlappingTexts(placedTexts(svg))).toEqual([]);
    }
  });

  test('crowded marker and reference-line labels keep clear of each other, the legend and the edges', () => {
    const around = <T>(n: number, f: (k: number) => T) => Array.from({ length: n }, (_, k) => f(k));
    const svg = plotOf({
      series: [{ label: 'data', x: [0, 10], y: [0, 10] }],
      markers: [
        ...around(6, (k) => ({
          x: 5 + 0.05 * k,
          y: 5 + 0.03 * k,
          label: `marker number ${k}`,
        })),
        { x: 10, y: 10, label: 'at the top right corner' },
        { x: 0, y: 0, label: 'bottom left' },
      ],
      hLines: [
        ...around(5, (k) => ({ value: 5 + 0.02 * k, label: `h line ${k}` })),
        { value: 10.5, label: 'top' },
      ],
      vLines: [
        ...around(5, (k) => ({ value: 4 + 0.05 * k, label: `v line ${k}` })),
        { value: 10.5, label: 'edge' },
      ],
    });
    const notes = placedTexts(svg).filter((t) => t.attributes.includes('paint-order'));
    expect(notes.length).toBe(8 + 6 + 6);
    expect(overlappingTexts(notes)).toEqual([]);
    const area = plotArea(svg);
    const outside = notes.filter(
      ({ box }) => box.x0 < area.x0 || box.x1 > area.x1 || box.y0 < area.y0 || box.y1 > area.y1,
    );
    expect(outside.map((t) => t.markup)).toEqual([]);
    const legend = legendArea(svg);
    expect(legend).not.toBeNull();
    expect(notes.filter((t) => legend && boxesOverlap(t.box, legend)).map((t) => t.markup)).toEqual([]);
    expect(overlappingTexts(placedTexts(svg))).toEqual([]);
  });

  test("the pairing plot's two rings: their labels do not abut on one row, where they read as one", () => {
    const svg = ringsPlot();
    const notes = placedTexts(svg).filter((t) => / ring, a_m\/a = /.test(t.markup));
    expect(notes.map((t) => t.markup)).toEqual([
      'Au ring, a_m/a = 122 (Z_F = E_F/mc²)',
      'Cu ring, a_m/a = 77 (Z_F = E_F/mc²)',
    ]);
    const [au, cu] = notes.map((t) => t.box);
    const sameRow = cu.y0 < au.y1 && au.y0 < cu.y1;
    expect(sameRow).toBe(false);
    expect(overlappingTexts(placedTexts(svg))).toEqual([]);
  });

  test('the legend leaves a corner where it would hide the data for one where it hides none', () => {
    const xs = Array.from({ length: 20 }, (_, k) => k);
    const svg = plotOf({ series: [{ label: 'rising to the top right', x: xs, y: xs.map((x) => x * x) }] });
    const area = plotArea(svg);
    // Top-right was asked for (the default); the curve leaves the top-left empty.
    expect(svg).toMatch(new RegExp(`<rect x="${area.x0 + 10}" y="${area.y0 + 10}" [^>]*fill-opacity="0.9"`));
  });

  /**
   * The legend outside the plot: clear of the plot area, which holds every point the data are drawn
   * through (and so, being convex, every line between them), and inside the document.
   */
  function expectLegendBelow(svg: string): Box {
    expectWellFormed(svg);
    const area = plotArea(svg);
    const legend = legendArea(svg);
    if (!legend) throw new Error('no legend');
    expect(legend.y0).toBeGreaterThan(area.y1);
    const vertices = drawnVertices(svg);
    expect(vertices.length).toBeGreaterThan(0);
    expect(vertices.filter((vertex) => !within(area, vertex))).toEqual([]);
    expect(vertices.filter((vertex) => within(legend, vertex))).toEqual([]);
    const [width, height] = documentSize(svg);
    expect(legend.x0).toBeGreaterThanOrEqual(0);
    expect(legend.x1).toBeLessThanOrEqual(width);
    expect(legend.y1).toBeLessThanOrEqual(height);
    expect(overlappingTexts(placedTexts(svg))).toEqual([]);
    return legend;
  }

  test('a legend that would hide data in every corner goes below the plot, the document growing to hold it', () => {
    // Dots on a grid over the whole plot, in three series whose long labels no gap between them holds.
    const grid = Array.from({ length: 21 * 21 }, (_, k) => [k % 21, Math.floor(k / 21)]);
    const series = ['first', 'second', 'third'].map((name, i) => ({
      label: `the ${name} of three series, its label long`,
      x: grid.filter((_, k) => k % 3 === i).map(([x]) => x),
      y: grid.filter((_, k) => k % 3 === i).map(([, y]) => y),
      points: true,
      line: false,
    }));
    const svg = plotOf({ title: 'a full plot', series });
    const legend = expectLegendBelow(svg);
    expect(drawnVertices(svg).length).toBe(21 * 21);
    for (const { label } of series) expect(svg).toContain(`>${label}</text>`);
    // Below the x axis' title; the plot keeps its size and the document its width.
    expect(plotArea(svg).y1).toBe(440 - 58);
    const xTitle = placedTexts(svg).find((t) => t.markup === 'x' && t.attributes.includes('font-size="14"'));
    expect(legend.y0).toBeGreaterThan(xTitle?.box.y1 ?? Infinity);
    const [width, height] = documentSize(svg);
    expect(width).toBe(680);
    expect(height).toBeGreaterThan(440);
  });

  test('a legend below the plot takes as many columns as the plot is wide; a label wider than that widens the document', () => {
    // A zigzag with a tooth every 28 px across the whole plot: no corner holds even the smallest legend.
    const xs = Array.from({ length: 21 }, (_, k) => k);
    const zigzag = (label: string) => ({ label, x: xs, y: xs.map((x) => 20 * (x % 2)) });
    const many = plotOf({ series: Array.from({ length: 12 }, (_, k) => zigzag(`s${k + 1}`)) });
    const legend = expectLegendBelow(many);
    const area = plotArea(many);
    // Twelve columns of 57.6 px do not fit in 572 px, eight do: two rows, of six each.
    expect(legend.x1 - legend.x0).toBeLessThanOrEqual(area.x1 - area.x0);
    const entries = placedTexts(many).filter((t) => /^s\d+$/.test(t.markup));
    expect(entries.length).toBe(12);
    expect(new Set(entries.map((t) => t.box.y0)).size).toBe(2);
    expect(new Set(entries.map((t) => t.box.x0)).size).toBe(6);
    expect(documentSize(many)[0]).toBe(680);

    // A legend larger than a small plot, though it would hide none of its data, goes below it too.
    const small = plotOf({
      width: 260,
      height: 160,
      series: [{ label: 'wider than the plot', x: [5], y: [5], points: true }],
    });
    expectLegendBelow(small);
    expect(documentSize(small)[0]).toBe(260);

    const long = 'a label far longer than the plot is wide, which no column of the legend can shorten';
    const wide = plotOf({ series: [zigzag(`${long}, ${long}`)] });
    const wideLegend = expectLegendBelow(wide);
    expect(wideLegend.x1 - wideLegend.x0).toBeGreaterThan(680);
    expect(documentSize(wide)[0]).toBeGreaterThan(680);
  });

  test('the legend passes over a corner free of data where a crowded note could stand only under it', () => {
    // Sixty labelled lines leave the last labels no clear spot: they stand at their first, at the left.
    const svg = plotOf({
      legend: 'top-left',
      series: [{ label: 'the one point', x: [5], y: [5], points: true, line: false }],
      hLines: Array.from({ length: 60 }, (_, k) => ({ value: k / 6, label: `level ${k} of the crowd` })),
    });
    const area = plotArea(svg);
    const legend = legendArea(svg);
    if (!legend) throw new Error('no legend');
    const notes = placedTexts(svg).filter((t) => t.attributes.includes('paint-order'));
    expect(notes.length).toBe(60);
    expect(notes.filter((t) => boxesOverlap(t.box, legend)).map((t) => t.markup)).toEqual([]);
    // The top-right is free of both, and the document keeps its size.
    expect(legend.x1).toBeCloseTo(area.x1 - 10, 1);
    expect(legend.y0).toBe(area.y0 + 10);
    expect(documentSize(svg)).toEqual([680, 440]);
  });

  test('zero and negative values on a log axis are dropped; a range end that is not usable is the data’s', () => {
    const svg = plotOf({
      logX: true,
      logY: true,
      series: [{ label: 'some positive', x: [0, -1, 2, 3], y: [-1, 0, 5, 7] }],
      markers: [{ x: -1, y: 3, label: 'at x = -1' }],
      hLines: [{ value: 0, label: 'zero' }],
    });
    expect(count(svg, /<polyline points="[\d.]+,[\d.]+ [\d.]+,[\d.]+"/g)).toBe(1);
    expect(svg).not.toContain('at x = -1');
    expect(svg).not.toContain('>zero<');
    // A caller's range of [0, NaN] on a linear axis: 0, and the data's padded top (7.1).
    const open = plotOf({ series: [{ label: '', x: [2, 3], y: [5, 7] }], yRange: [0, NaN] });
    expect(yTickLabels(open)).toEqual(['0', '2', '4', '6']);
    expect(() => plotOf({ series: [{ label: '', x: [1, 2], y: [1, 2] }], yRange: [2, 1] })).toThrow(
      'linePlot: the y range [2, 1] is empty',
    );
  });

  test('a single point stands at the centre of the plot', () => {
    const svg = plotOf({ series: [{ label: 'one', x: [3], y: [7], points: true }] });
    const area = plotArea(svg);
    const [cx, cy] = (/<circle cx="([^"]+)" cy="([^"]+)"/.exec(svg)?.slice(1) ?? []).map(Number);
    expect(cx).toBeCloseTo((area.x0 + area.x1) / 2, 1);
    expect(cy).toBeCloseTo((area.y0 + area.y1) / 2, 1);
  });

  const degenerate: [string, () => string][] = [
    ['no series', () => plotOf({ series: [] })],
    ['an empty series', () => plotOf({ series: [{ label: 'none', x: [], y: [] }] })],
    ['one point at 0', () => plotOf({ series: [{ label: 'p', x: [0], y: [0] }] })],
    ['equal values', () => plotOf({ series: [{ label: 'f', x: [1, 2], y: [5, 5] }] })],
    [
      'nothing positive on a log axis',
      () => plotOf({ logY: true, series: [{ label: 'n', x: [1, 2], y: [-1, -2] }] }),
    ],
    [
      'values from 1e-300 to 1e300 on a log axis',
      () => plotOf({ logY: true, series: [{ label: 'w', x: [1, 2], y: [1e-300, 1e300] }] }),
    ],
    [
      'values from -1e308 to 1e308 on a linear axis (a span past the doubles)',
      () => plotOf({ series: [{ label: 'w', x: [1, 2], y: [-1e308, 1e308] }] }),
    ],
    [
      'values at ±MAX_VALUE on a linear axis',
      () => plotOf({ series: [{ label: 'w', x: [1, 2], y: [-Number.MAX_VALUE, Number.MAX_VALUE] }] }),
    ],
    [
      'a heat map of values from -1e308 to 1e308',
      () => mapOf({ xRange: [0, 1], yRange: [0, 1], columns: 2, rows: 1, values: [-1e308, 1e308] }),
    ],
    [
      'a one-cell heat map',
      () => mapOf({ xRange: [2, 2], yRange: [3, 3], columns: 1, rows: 1, values: [4] }),
    ],
    [
      'a heat map with no finite value',
      () =>
        mapOf({
          xRange: [0, 1],
          yRange: [0, 1],
          columns: 2,
          rows: 2,
          values: [NaN, NaN, NaN, NaN],
        }),
    ],
    [
      'a heat map of equal values on a flat strip',
      () =>
        mapOf({
          xRange: [0, 1],
          yRange: [0, 0.01],
          columns: 20,
          rows: 2,
          values: new Array(40).fill(1e-9),
        }),
    ],
  ];
  test.each(degenerate)(
    '%s: a well-formed document, every coordinate finite, no text over another',
    (_, make) => {
      const svg = make();
      expectWellFormed(svg);
      expectFiniteCoordinates(svg);
      expect(overlappingTexts(placedTexts(svg))).toEqual([]);
    },
  );

  test('a linear axis spanning past the doubles keeps its ticks, from one factor, and every colour', () => {
    const plot = plotOf({ series: [{ label: 'w', x: [1, 2], y: [-1e308, 1e308] }] });
    const labels = placedTexts(plot).map((t) => t.markup);
    expect(labels).toEqual(expect.arrayContaining(['−1.0', '−0.5', '0', '0.5', '1.0']));
    expect(plot).toContain(`×10${sup('308')}`);
    const map = mapOf({ xRange: [0, 1], yRange: [0, 1], columns: 2, rows: 1, values: [-1e308, 1e308] });
    const fills = [...map.matchAll(/<rect [^>]*fill="([^"]+)"/g)].map((m) => m[1]);
    expect(fills).toEqual(expect.arrayContaining([colourAt(0), colourAt(1)]));
  });

  test('a heat map of a tiny value range labels its colour bar from an offset, its title clear of the labels', () => {
    const svg = mapOf({
      xRange: [-1, 1],
      yRange: [-1, 1],
      columns: 3,
      rows: 3,
      values: Array.from({ length: 9 }, (_, k) => 1 + k * 1e-8),
      colourLabel: 'B_z / B_ext',
    });
    const bar = placedTexts(svg).filter((t) => !/text-anchor|font-size/.test(t.attributes));
    expect(bar.map((t) => t.markup)).toEqual(['0', '2', '4', '6', '8']);
    expect(svg).toContain(`>×10${sup('−8')}<tspan dy="0.375em"> + 1</tspan></text>`);
    expect(overlappingTexts(placedTexts(svg))).toEqual([]);
    // The colour title is rotated: its ascent (0.8 em of 14 px) reaches left of its baseline.
    const [titleX] =
      /translate\(([\d.]+) [\d.]+\) rotate\(-90\)[^>]*>B_z/.exec(svg)?.slice(1).map(Number) ?? [];
    expect(titleX - 0.8 * 14).toBeGreaterThan(Math.max(...bar.map((t) => t.box.x1)));
  });
});

/** The reference lines' ends (dotted, 1.5 px wide). */
function referenceLineEnds(svg: string): [number, number, number, number][] {
  return [
    ...svg.matchAll(/<line x1="([^"]+)" y1="([^"]+)" x2="([^"]+)" y2="([^"]+)"[^>]*stroke-dasharray="2 4"/g),
  ].map((m) => [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])]);
}

/** Whether a straight stretch meets a box grown by `room`, by points along it a tenth of a pixel apart. */
function stretchMeets(box: Box, [x1, y1, x2, y2]: readonly number[], room: number): boolean {
  const steps = Math.max(1, Math.ceil(10 * Math.hypot(x2 - x1, y2 - y1)));
  for (let k = 0; k <= steps; k++) {
    const [x, y] = [x1 + ((x2 - x1) * k) / steps, y1 + ((y2 - y1) * k) / steps];
    if (x >= box.x0 - room && x <= box.x1 + room && y >= box.y0 - room && y <= box.y1 + room) return true;
  }
  return false;
}

/** The series' line stretches, from their polylines' points. */
function seriesStretches(svg: string): number[][] {
  return [...svg.matchAll(/<polyline points="([^"]+)"/g)].flatMap((m) => {
    const points = m[1].split(' ').map((pair) => pair.split(',').map(Number));
    return points.slice(1).map((point, k) => [...points[k], ...point]);
  });
}

/** The notes (marker and line labels: on a halo), each with whether a white box backs it. */
function notesOf(svg: string): (PlacedText & { backed: boolean })[] {
  const backed = new Set([...svg.matchAll(/fill="#ffffff"\/><text ([^>]*)>/g)].map((m) => m[1]));
  return placedTexts(svg)
    .filter((t) => t.attributes.includes('paint-order'))
    .map((t) => ({ ...t, backed: backed.has(t.attributes) }));
}

describe('labels keep clear of the lines', () => {
  const bounds: Box = { x0: 0, x1: 400, y0: 0, y1: 300 };
  const at = (x: number, y: number, anchor: Anchor = 'start'): Spot => ({ x, y, anchor });

  test('the placer nudges a note off one placed before it, a line (15 px) down', () => {
    const placer = new LabelPlacer(bounds);
    expect(placer.place('first note', [at(100, 100)])).toEqual({ spot: at(100, 100), crossing: false });
    expect(placer.place('second note', [at(100, 100)])).toEqual({ spot: at(100, 115), crossing: false });
    expect(boxesOverlap(placer.placed[0], placer.placed[1])).toBe(false);
  });

  test('the placer takes the next candidate, or a nudge, where a line crosses a note at its first spot', () => {
    // 'label' is estimated 36 px wide: at x 130..166 the line x = 150 crosses it, at 110..146 it keeps
    // 4 px off, more than the line's half width and the clearance.
    const vertical = new LabelPlacer(bounds);
    vertical.avoid([150, 0, 150, 300], 0.75);
    expect(vertical.place('label', [at(130, 100), at(146, 100, 'end')])).toEqual({
      spot: at(146, 100, 'end'),
      crossing: false,
    });
    // A horizontal line through the text (90.4..103 px): the note goes a line down, below it.
    const horizontal = new LabelPlacer(bounds);
    horizontal.avoid([0, 100, 400, 100], 0.75);
    expect(horizontal.place('label', [at(10, 100)])).toEqual({ spot: at(10, 115), crossing: false });
    // A dot of radius 3.5 at the note's end is avoided as a line is.
    const dotted = new LabelPlacer(bounds);
    dotted.avoid([168, 95, 168, 95], 3.5);
    expect(dotted.place('label', [at(130, 100), at(10, 100)]).spot).toEqual(at(10, 100));
  });

  test('where every spot crosses a line, the note stands where it crosses fewest, said crossing', () => {
    const placer = new LabelPlacer(bounds);
    // Vertical lines cross a note at any height: two at the first candidate, one at the second.
    for (const x of [110, 120, 210]) placer.avoid([x, 0, x, 300], 0.75);
    expect(placer.place('label', [at(100, 50), at(200, 50)])).toEqual({ spot: at(200, 50), crossing: true });
    // A second note may not stand on the first even where that would cross nothing.
    expect(placer.place('label', [at(200, 50)]).spot).not.toEqual(at(200, 50));
  });

  test("the response plot's labels: eq. 49's keeps off the line of no Darwin term, and both off the data", () => {
    // The ball in a field at N = 250 (README): the line at 1 lies 15 px under the frame's top.
    const x = [0.1, 0.3, 1, 3, 10, 30];
    const svg = plotOf({
      title: 'field drive, ball',
      logX: true,
      series: [{ label: 'N = 250', x, y: [0.972, 0.926, 0.797, 0.574, 0.301, 0.141], points: true }],
      hLines: [{ value: 1, label: 'no Darwin term' }],
      vLines: [{ value: 1, label: 'eq. 49' }],
      legend: 'bottom-left',
    });
    const notes = notesOf(svg);
    expect(notes.map((t) => t.markup)).toEqual(['no Darwin term', 'eq. 49']);
    const lines = referenceLineEnds(svg);
    expect(lines).toHaveLength(2);
    const stretches = seriesStretches(svg);
    expect(stretches.length).toBe(5);
    for (const note of notes) {
      expect(note.backed).toBe(false);
      expect(lines.filter((line) => stretchMeets(note.box, line, 0.75))).toEqual([]);
      expect(stretches.filter((stretch) => stretchMeets(note.box, stretch, 1))).toEqual([]);
    }
    // Every line is drawn before the first note: none runs over a label.
    expect(svg.lastIndexOf('stroke-dasharray="2 4"')).toBeLessThan(svg.indexOf('paint-order'));
  });

  test("the pairing plot's Cu ring: its label cannot keep off the Au line 20 px away, so it stands on a white box", () => {
    const svg = ringsPlot();
    const lines = referenceLineEnds(svg);
    const notes = notesOf(svg);
    const [au, cu] = notes;
    expect([au.markup, cu.markup]).toEqual([
      'Au ring, a_m/a = 122 (Z_F = E_F/mc²)',
      'Cu ring, a_m/a = 77 (Z_F = E_F/mc²)',
    ]);
    expect(lines.filter((line) => stretchMeets(au.box, line, 0.75))).toEqual([]);
    expect(au.backed).toBe(false);
    expect(lines.filter((line) => stretchMeets(cu.box, line, 0.75))).toHaveLength(1);
    expect(cu.backed).toBe(true);
    expect(svg.lastIndexOf('stroke-dasharray="2 4"')).toBeLessThan(svg.indexOf('paint-order'));
  });
});
