// The colour map (viridis: perceptually uniform, readable in grey and by most colour-blind readers)
// as one 256-entry table that both the render shader and the legend use, and the legend itself.
import { markdownNumber } from '../studies/markdown.ts';

/** Entries in the colour table. */
export const kColourMapSize = 256;
/** The entry of a quantity uniform to rounding: the middle of the map, neither low nor high. */
export const kUniformEntry = Math.floor((kColourMapSize - 1) / 2);

// Matt Zucker's degree-6 polynomial fit of matplotlib's viridis (CC0, shadertoy WlfXRN), in sRGB.
const kViridis: readonly (readonly [number, number, number])[] = [
  [0.2777273272234177, 0.005407344544966578, 0.3340998053353061],
  [0.1050930431085774, 1.404613529898575, 1.384590162594685],
  [-0.3308618287255563, 0.214847559468213, 0.09509516302823659],
  [-4.634230498983486, -5.799100973351585, -19.33244095627987],
  [6.228269936347081, 14.17993336680509, 56.69055260068105],
  [4.776384997670288, -13.74514537774601, -65.35303263337234],
  [-5.435455855934631, 4.645852612178535, 26.3124352495832],
];

/** RGBA in [0, 1], kColourMapSize entries, from the low end of the range to the high end. */
export function viridisTable(): Float32Array {
  const table = new Float32Array(4 * kColourMapSize);
  for (let entry = 0; entry < kColourMapSize; entry++) {
    const t = entry / (kColourMapSize - 1);
    for (let channel = 0; channel < 3; channel++) {
      let value = 0;
      for (let power = kViridis.length - 1; power >= 0; power--) value = value * t + kViridis[power][channel];
      table[4 * entry + channel] = Math.min(1, Math.max(0, value));
    }
    table[4 * entry + 3] = 1;
  }
  return table;
}

export interface LegendContent {
  readonly title: string;
  readonly min: number;
  readonly max: number;
  /** The value every electron has, where the spread is rounding (src/app/particles.ts), else null. */
  readonly uniform: number | null;
}

/** The legend in words, its title and the range its colours span: "|v|  speed (R ω): 0.12 to 3.4". */
export function legendText(content: LegendContent): string {
  const { title, min, max, uniform } = content;
  return uniform === null
    ? `${title}: ${markdownNumber(min, 3)} to ${markdownNumber(max, 3)}`
    : `${title}: uniform, ${markdownNumber(uniform, 3)} (to float32 rounding)`;
}

/**
 * The colour bar: the table as a horizontal gradient with the range's ends and middle labelled, or,
 * for a uniform quantity, kUniformEntry's colour with the one value. Drawn on a 2D canvas at the
 * device pixel ratio, below the WebGPU view; hidden when `content` is null. Its pixels hold no text:
 * the canvas is named by legendText.
 */
export function drawLegend(
  canvas: HTMLCanvasElement,
  table: Float32Array,
  content: LegendContent | null,
): void {
  canvas.hidden = content === null;
  if (!content) return;
  canvas.setAttribute('aria-label', legendText(content));
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  const context = canvas.getContext('2d');
  if (!context) return;
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, width, height);
  const barTop = 20;
  const barHeight = 12;
  const inset = 8;
  const barWidth = width - 2 * inset;
  const colour = (entry: number) => {
    const [r, g, b] = [0, 1, 2].map((c) => Math.round(255 * table[4 * entry + c]));
    return `rgb(${r}, ${g}, ${b})`;
  };
  if (content.uniform === null) {
    const gradient = context.createLinearGradient(inset, 0, inset + barWidth, 0);
    const stops = 16;
    for (let s = 0; s <= stops; s++) {
      gradient.addColorStop(s / stops, colour(Math.round((s / stops) * (kColourMapSize - 1))));
    }
    context.fillStyle = gradient;
  } else context.fillStyle = colour(kUniformEntry);
  context.fillRect(inset, barTop, barWidth, barHeight);
  context.fillStyle = '#dfe6f2';
  context.font = '12px system-ui, sans-serif';
  context.textBaseline = 'alphabetic';
  context.textAlign = 'left';
  context.fillText(content.title, inset, 14);
  context.textBaseline = 'top';
  const labelTop = barTop + barHeight + 3;
  if (content.uniform !== null) {
    context.textAlign = 'center';
    const text = `uniform: ${markdownNumber(content.uniform, 3)} (to float32 rounding)`;
    context.fillText(text, inset + barWidth / 2, labelTop);
    return;
  }
  context.fillText(markdownNumber(content.min, 3), inset, labelTop);
  context.textAlign = 'center';
  context.fillText(markdownNumber((content.min + content.max) / 2, 3), inset + barWidth / 2, labelTop);
  context.textAlign = 'right';
  context.fillText(markdownNumber(content.max, 3), inset + barWidth, labelTop);
}
