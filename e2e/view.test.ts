// The canvas and the notices end to end, on Chromium's SwiftShader WebGPU adapter: a notice is
// seen without scrolling, a link the page does not run is not run by a reload either, a ring in the
// 2D view fits the canvas (which is taller than wide at 1400 x 880), a quantity uniform to
// float32 rounding is drawn in one colour, past the CPU adapter's draw budget one electron in s is
// drawn and said to be, the keyboard moves the camera, and windows of 800 and 600 px hold the canvas
// and the panel side by side or one above the other, nothing wider than the window or a study's card;
// down to 320 px a run's progress line is read whole in the header.
import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { kUniformEntry, viridisTable } from '../src/app/colour.ts';
import { drawnFraction, runAction, screenshot, settled, typeField, webGpuApp } from './support.ts';

const app = webGpuApp();

/** The view's background (kBackground in src/app/view.ts) as 8-bit sRGB. */
const kBackgroundRgb = [15, 19, 28];

interface Drawing {
  readonly width: number;
  readonly height: number;
  /** The box of the pixels that differ from the background, in canvas pixels. */
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
  /**
   * Of the pixels that are a colour-map entry (the discs' insides; their antialiased and darkened
   * rims are not), the share that is kUniformEntry or its neighbours.
   */
  readonly uniformShare: number;
}

/** What WebGPU drew on the canvas, with the tabs that lie over it hidden. */
async function drawing(page: Page): Promise<Drawing> {
  await page.evaluate(() => document.getElementById('stage-tabs')!.style.setProperty('visibility', 'hidden'));
  const png = await page.locator('#view').screenshot();
  await page.evaluate(() => document.getElementById('stage-tabs')!.style.removeProperty('visibility'));
  const table = Array.from(viridisTable(), (value) => Math.round(255 * value));
  return page.evaluate(
    async ({ base64, background, table, uniform }) => {
      const blob = await (await fetch(`data:image/png;base64,${base64}`)).blob();
      const bitmap = await createImageBitmap(blob);
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const context = canvas.getContext('2d')!;
      context.drawImage(bitmap, 0, 0);
      const { data, width, height } = context.getImageData(0, 0, bitmap.width, bitmap.height);
      let [left, right, top, bottom] = [width, -1, height, -1];
      let entries = 0;
      let uniformEntries = 0;
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const k = 4 * (y * width + x);
          const rgb = [data[k], data[k + 1], data[k + 2]];
          if (rgb.reduce((sum, c, channel) => sum + Math.abs(c - background[channel]), 0) <= 24) continue;
          [left, right, top, bottom] = [
            Math.min(left, x),
            Math.max(right, x),
            Math.min(top, y),
            Math.max(bottom, y),
          ];
          let nearest = { entry: -1, distance: Infinity };
          for (let entry = 0; entry < table.length / 4; entry++) {
            const distance = [0, 1, 2].reduce((sum, c) => sum + Math.abs(rgb[c] - table[4 * entry + c]), 0);
            if (distance < nearest.distance) nearest = { entry, distance };
          }
          if (nearest.distance > 3) continue;
          entries++;
          if (Math.abs(nearest.entry - uniform) <= 1) uniformEntries++;
        }
      }
      return { width, height, left, right, top, bottom, uniformShare: uniformEntries / Math.max(entries, 1) };
    },
    { base64: png.toString('base64'), background: kBackgroundRgb, table, uniform: kUniformEntry },
  );
}

/** Whether the element is inside the window and on top at its centre: seen without scrolling. */
function seen(page: Page, selector: string): Promise<boolean> {
  return page.evaluate((selector) => {
    const element = document.querySelector(selector)!;
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.bottom > window.innerHeight || box.right > window.innerWidth) return false;
    const top = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
    return top !== null && element.contains(top);
  }, selector);
}

/** Frames the view has submitted (the canvas's data-frames). */
async function frames(page: Page): Promise<number> {
  return Number((await page.locator('#view').getAttribute('data-frames')) ?? 0);
}

interface Box {
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}

/** Where the page puts its parts, in page pixels, and how wide the page and the window are. */
async function layout(page: Page): Promise<{ pageWidth: number; windowWidth: number; boxes: Box[] }> {
  return page.evaluate(() => ({
    pageWidth: document.documentElement.scrollWidth,
    windowWidth: window.innerWidth,
    boxes: ['#view', '#panel', '#legend'].map((selector) => {
      const box = document.querySelector(selector)!.getBoundingClientRect();
      return { left: box.left, right: box.right, top: box.top + scrollY, bottom: box.bottom + scrollY };
    }),
  }));
}

const overlap = (a: Box, b: Box) =>
  Math.min(a.right, b.right) > Math.max(a.left, b.left) &&
  Math.min(a.bottom, b.bottom) > Math.max(a.top, b.top);

/** A drawing that fits: nothing touches the canvas's edges, and it spans most of the shorter side. */
function expectFitted(shown: Drawing): void {
  expect(shown.left).toBeGreaterThan(0);
  expect(shown.top).toBeGreaterThan(0);
  expect(shown.right).toBeLessThan(shown.width - 1);
  expect(shown.bottom).toBeLessThan(shown.height - 1);
  const span = Math.max(shown.right - shown.left, shown.bottom - shown.top);
  expect(span).toBeGreaterThan(0.6 * Math.min(shown.width, shown.height));
}

/** How a progress line fits the header; `name`: the width the page's name keeps beside it, in pixels. */
interface ProgressFit {
  readonly whole: boolean;
  readonly lines: number;
  readonly besideStop: boolean;
  readonly barBelow: boolean;
  readonly inHeader: boolean;
  readonly name: number;
}

/** Shows `text` on the progress line as a run does, and how it fits the header beside Stop and the bar. */
function progressFit(page: Page, text: string): Promise<ProgressFit> {
  return page.evaluate((text) => {
    document.getElementById('progress')!.hidden = false;
    const shown = document.getElementById('progress-text')!;
    shown.textContent = text;
    const box = shown.getBoundingClientRect();
    const stop = document.getElementById('progress-stop')!.getBoundingClientRect();
    const bar = document.getElementById('progress-track')!.getBoundingClientRect();
    return {
      whole: shown.scrollHeight <= shown.clientHeight && shown.scrollWidth <= shown.clientWidth,
      lines: Math.round(box.height / parseFloat(getComputedStyle(shown).lineHeight)),
      besideStop: box.right <= stop.left && stop.right <= window.innerWidth,
      barBelow: bar.top >= box.bottom && bar.width >= box.width,
      inHeader:
        Math.max(box.bottom, bar.bottom) <= document.querySelector('header')!.getBoundingClientRect().bottom,
      name: document.querySelector('header h1')!.getBoundingClientRect().width,
    };
  }, text);
}

describe('the view and its notices on WebGPU (SwiftShader)', () => {
  test('a link with unknown keys: the notice is seen, and neither it nor a reload runs anything', async () => {
    const link = '?n=100&foo=1&N=5';
    const { page, errors } = await app.open(link);
    expect(await settled(page)).toBe('idle');
    const message = page.locator('#message');
    expect(await message.textContent()).toMatch(/'foo', 'N' are unknown and ignored.*Nothing was run\.$/);
    expect(await seen(page, '#message')).toBe(true);
    // The address bar holds the link as given: a reload shows the same notice and runs nothing.
    expect(page.url()).toBe(`${app.url}${link}`);
    await screenshot(page, 'view-1-unknown-keys');
    await page.reload();
    expect(await settled(page)).toBe('idle');
    expect(await page.evaluate(() => document.body.dataset.runs)).toBeUndefined();
    expect(await message.textContent()).toMatch(/Nothing was run\.$/);
    // A field edited afterwards writes the link of the page's state, which ran nothing.
    await typeField(page, 'n', '120');
    expect(new URL(page.url()).searchParams.get('n')).toBe('120');
    expect(new URL(page.url()).searchParams.get('run')).toBe('none');
    expect(errors).toEqual([]);
  });

  test('a link with a bad value stays as given, with the notice in view', async () => {
    const link = '?n=-5&run=solve';
    const { page, errors } = await app.open(link);
    expect(await settled(page)).toBe('failed');
    expect(await page.locator('#message').textContent()).toMatch(/^The link has values this page cannot use/);
    expect(await seen(page, '#message')).toBe(true);
    expect(page.url()).toBe(`${app.url}${link}`);
    expect(errors).toEqual([]);
  });

  test('a ring solved in the 2D view fits the canvas, its uniform |p − v| in one colour', async () => {
    // On the ring |p - v| is the same at every electron by symmetry: what differs is float32 rounding.
    const { page, errors } = await app.open('?geometry=ring&n=200&model=azimuthal&eps=0.01&colour=darwin');
    expect(await settled(page)).toBe('converged');
    const shown = await drawing(page);
    expect(shown.height).toBeGreaterThan(shown.width);
    expectFitted(shown);
    expect(shown.uniformShare).toBeGreaterThan(0.95);
    await screenshot(page, 'view-2-ring-uniform');
    expect(errors).toEqual([]);
  });

  test('the keyboard moves the camera: − and + zoom about the centre, the arrows pan the 2D view, 0 frames', async () => {
    const { page, errors } = await app.open('?geometry=ring&n=200&model=azimuthal&eps=0.01&colour=darwin');
    expect(await settled(page)).toBe('converged');
    // Tab from the view buttons reaches the canvas, whose outline says it has the keys.
    await page.locator('#tab-studies').focus();
    await page.keyboard.press('Tab');
    expect(
      await page
        .locator('#view')
        .evaluate((view) => view === document.activeElement && getComputedStyle(view).outlineStyle),
    ).toBe('solid');
    // Its description, which a screen reader says with its name, is the help line that names the keys.
    const described = await page.locator('#view').getAttribute('aria-describedby');
    expect(await page.locator(`#${described}`).textContent()).toContain('keys: arrows, shift+arrows, + −, 0');
    // The keys pressed on the focused canvas, then what the next frame draws (the outline left out).
    const after = async (key: string): Promise<Drawing> => {
      await page.locator('#view').focus();
      const before = await frames(page);
      await page.keyboard.press(key);
      await expect.poll(() => frames(page)).toBeGreaterThan(before);
      await page.locator('#view').blur();
      return drawing(page);
    };
    const framed = await after('0');
    const width = (shown: Drawing) => shown.right - shown.left;
    const centre = (shown: Drawing) => [(shown.left + shown.right) / 2, (shown.top + shown.bottom) / 2];
    // Out first: the framed ring spans the canvas's width, which a zoom in would cut.
    const zoomed = await after('-');
    expect(width(zoomed) / width(framed)).toBeCloseTo(1 / 1.25, 1);
    expect(centre(zoomed)[0]).toBeCloseTo(centre(framed)[0], -0.5);
    expect(centre(zoomed)[1]).toBeCloseTo(centre(framed)[1], -0.5);
    // An arrow is a drag of 20 px: the ring follows it.
    const right = await after('ArrowRight');
    expect(right.left - zoomed.left).toBeCloseTo(20, -0.5);
    const down = await after('ArrowDown');
    expect(down.top - right.top).toBeCloseTo(20, -0.5);
    expect(width(await after('+')) / width(down)).toBeCloseTo(1.25, 1);
    expect(await after('Home')).toEqual(framed);
    expect(errors).toEqual([]);
  });

  test('three electrons from a positions file are whole discs inside the canvas', async () => {
    const { page, errors } = await app.open('?n=3&run=none');
    expect(await settled(page)).toBe('idle');
    const csv = ['x,y', '-1,0', '1,0', '0,0.3'].join('\n');
    await page
      .locator('#file-input')
      .setInputFiles({ name: 'three.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.waitForFunction(() =>
      document.getElementById('message')?.textContent?.includes('Loaded 3 positions'),
    );
    // The frame the new configuration gets is drawn at the next animation frame.
    await page.evaluate(
      () => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))),
    );
    expectFitted(await drawing(page));
    await screenshot(page, 'view-3-three-electrons');
    expect(errors).toEqual([]);
  });

  test('past the draw budget SwiftShader draws 1 in s electrons, says so, and the view still turns', async () => {
    // The budget lowered from kCpuDrawBudget to 5000 stands in for 10^6 electrons: 20 000 preview at once.
    const { page, errors } = await app.open('?geometry=sphere&n=20000&eps=1e-6&run=none');
    expect(await settled(page)).toBe('idle');
    await page.waitForFunction(() => Number(document.getElementById('view')?.dataset.frames) > 0);
    const note = page.locator('#draw-note');
    expect(await note.isVisible()).toBe(false);
    const whole = await drawnFraction(page);
    const before = await frames(page);
    await page.evaluate(() =>
      (
        window as unknown as { __darwinBreit: { drawAtMost(electrons: number): void } }
      ).__darwinBreit.drawAtMost(5000),
    );
    await expect.poll(() => note.textContent()).toBe('drawing 1 in 4 of 20000 electrons (CPU adapter)');
    expect(await note.isVisible()).toBe(true);
    expect(await frames(page)).toBeGreaterThan(before);
    // A quarter of the discs, each the size the whole sphere's spacing gives, cover less of it.
    const subsample = await drawnFraction(page);
    expect(subsample).toBeGreaterThan(0.05);
    expect(subsample).toBeLessThan(0.5 * whole);
    await screenshot(page, 'view-4-draw-budget');
    // A drag turns the view: another frame is drawn.
    const turned = await frames(page);
    const box = (await page.locator('#view').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 80, box.y + box.height / 2, { steps: 4 });
    await page.mouse.up();
    await expect.poll(() => frames(page)).toBeGreaterThan(turned);
    expect(errors).toEqual([]);
  });

  test('render targets the device refuses: one message naming them, no frame on them, drawing again at a new size', async () => {
    const { page, errors } = await app.open('?geometry=sphere&n=200&eps=0.01&run=none');
    expect(await settled(page)).toBe('idle');
    await page.waitForFunction(() => Number(document.getElementById('view')?.dataset.frames) > 0);
    // The next depth targets invalid, as those a device cannot hold are (SwiftShader takes any size
    // the limits allow, so its out-of-memory error cannot be forced; an invalid sample count can).
    await page.evaluate(() => {
      const create = GPUDevice.prototype.createTexture;
      Object.assign(window, { restoreTextures: () => (GPUDevice.prototype.createTexture = create) });
      GPUDevice.prototype.createTexture = function (descriptor: GPUTextureDescriptor) {
        return create.call(
          this,
          descriptor.label === 'View.depth' ? { ...descriptor, sampleCount: 3 } : descriptor,
        );
      };
    });
    await page.setViewportSize({ width: 1300, height: 880 });
    const message = page.locator('#message');
    await expect
      .poll(() => message.textContent())
      .toMatch(/^ParticleView\.targets: validation error: .*View\.depth/);
    // Nothing is drawn at that size: a frame asked for is not drawn, and the message stays.
    const refused = await frames(page);
    await page.evaluate(() =>
      (
        window as unknown as { __darwinBreit: { drawAtMost(electrons: number): void } }
      ).__darwinBreit.drawAtMost(10_000),
    );
    await page.evaluate(
      () => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))),
    );
    expect(await frames(page)).toBe(refused);
    expect(await message.textContent()).toMatch(/^ParticleView\.targets: validation error: /);
    // At a new size, on a device that holds the targets, the view draws again.
    await page.evaluate(() => (window as unknown as { restoreTextures(): void }).restoreTextures());
    await page.setViewportSize({ width: 1400, height: 880 });
    await expect.poll(() => frames(page)).toBeGreaterThan(refused);
    expect(await drawnFraction(page)).toBeGreaterThan(0.05);
    expect(errors).toEqual([]);
  });

  test('a particles buffer the device refuses: one message naming it, no frame failing on it, drawing again once one fits', async () => {
    const { page, errors } = await app.open('?geometry=sphere&n=200&eps=0.01&run=none');
    expect(await settled(page)).toBe('idle');
    await page.waitForFunction(() => Number(document.getElementById('view')?.dataset.frames) > 0);
    // Particles of more than 300 electrons (12 floats each) in an invalid buffer, as one the device
    // cannot hold is (SwiftShader's out-of-memory cannot be forced; a read-mapped storage buffer can).
    await page.evaluate(() => {
      const create = GPUDevice.prototype.createBuffer;
      Object.assign(window, { restoreBuffers: () => (GPUDevice.prototype.createBuffer = create) });
      GPUDevice.prototype.createBuffer = function (descriptor: GPUBufferDescriptor) {
        const refused = descriptor.label === 'Render.particles' && descriptor.size > 300 * 12 * 4;
        return create.call(
          this,
          refused ? { ...descriptor, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE } : descriptor,
        );
      };
    });
    await typeField(page, 'n', '400');
    const message = page.locator('#message');
    await expect
      .poll(() => message.textContent())
      .toMatch(/^ParticleView\.particles: validation error: .*Render\.particles/);
    // The frames after it draw nothing and fail on nothing: the message stays the buffer's.
    const after = await frames(page);
    await page.evaluate(() =>
      (window as unknown as { __darwinBreit: { drawAtMost(n: number): void } }).__darwinBreit.drawAtMost(
        10_000,
      ),
    );
    await expect.poll(() => frames(page)).toBeGreaterThan(after);
    await page.evaluate(
      () => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))),
    );
    expect(await message.textContent()).toMatch(/^ParticleView\.particles: validation error: /);
    // Fewer electrons, whose buffer the device holds: drawn again.
    await typeField(page, 'n', '250');
    await expect.poll(() => drawnFraction(page)).toBeGreaterThan(0.01);
    expect(errors).toEqual([]);
  });

  test('at 800 and 600 px the canvas and the panel are side by side, then stacked; nothing overflows', async () => {
    const { page, errors } = await app.open('?n=500&run=solve');
    expect(await settled(page)).toBe('converged');
    for (const { width, stacked } of [
      { width: 800, stacked: false },
      { width: 600, stacked: true },
    ]) {
      await page.setViewportSize({ width, height: 800 });
      await expect.poll(async () => (await layout(page)).windowWidth).toBe(width);
      const { pageWidth, boxes } = await layout(page);
      const [view, panel, legend] = boxes;
      expect(pageWidth, `${width} px`).toBeLessThanOrEqual(width);
      for (const box of boxes) {
        expect(box.left, `${width} px`).toBeGreaterThanOrEqual(0);
        expect(box.right, `${width} px`).toBeLessThanOrEqual(width);
      }
      expect(await page.locator('#view').isVisible()).toBe(true);
      expect(await page.locator('#panel').isVisible()).toBe(true);
      expect(overlap(view, panel) || overlap(view, legend) || overlap(legend, panel), `${width} px`).toBe(
        false,
      );
      // Side by side the canvas takes what the panel leaves; stacked, the whole width above the panel.
      if (stacked) {
        expect(view.right - view.left).toBe(width);
        expect(panel.top).toBeGreaterThanOrEqual(view.bottom);
      } else {
        expect(view.right).toBeLessThanOrEqual(panel.left);
        expect(view.right - view.left).toBeGreaterThanOrEqual(width / 2);
      }
      expect(await drawnFraction(page)).toBeGreaterThan(0.05);
      await screenshot(page, `view-5-${width}px`);
    }
    // The pairing card's ring tables, wider than a card of a 700 px window, scroll within the card
    // rather than spill over its edge into the panel's column.
    expect(await runAction(page, 'pairing')).toBe('converged');
    await page.setViewportSize({ width: 700, height: 800 });
    await page.locator('#tab-studies').click();
    const spill = await page
      .locator('.study')
      .evaluateAll((cards) => cards.map((card) => card.scrollWidth - card.clientWidth));
    expect(spill).toEqual(spill.map(() => 0));
    expect((await layout(page)).pageWidth).toBeLessThanOrEqual(700);
    expect(errors).toEqual([]);
  });

  test("at 500 px a solve's progress line shows whole, on two lines beside Stop", async () => {
    const { page, errors } = await app.open('?n=200&run=none');
    expect(await settled(page)).toBe('idle');
    await page.setViewportSize({ width: 500, height: 800 });
    // The line of a long solve, as the page writes it while it runs.
    const line = 'Solve: iteration 1234 (at most 3000), ‖r‖/‖p‖ = 1.23e-4';
    const { whole, lines, besideStop, inHeader } = await progressFit(page, line);
    expect({ whole, lines, besideStop, inHeader }).toEqual({
      whole: true,
      lines: 2,
      besideStop: true,
      inHeader: true,
    });
    expect(errors).toEqual([]);
  });

  test("at 320 and 360 px a run's progress line shows whole: the name gives way to it, the bar takes a row", async () => {
    const { page, errors } = await app.open('?n=200&run=none');
    expect(await settled(page)).toBe('idle');
    // The longest lines a run writes: a chunked build's, and a solve's.
    const lines = [
      'Building M: 9000 × 9000 on the GPU… (assembly: chunk 2 of 2, ~0 s left)',
      'Solve: iteration 1234 (at most 3000), ‖r‖/‖p‖ = 1.23e-4',
    ];
    for (const width of [320, 360]) {
      await page.setViewportSize({ width, height: 700 });
      for (const line of lines) {
        const { lines: shownLines, ...fit } = await progressFit(page, line);
        expect(shownLines).toBeLessThanOrEqual(3);
        expect(fit, `${width} px: ${line}`).toEqual({
          whole: true,
          besideStop: true,
          barBelow: true,
          inHeader: true,
          name: 0,
        });
      }
      await screenshot(page, `view-6-progress-${width}px`);
      // The run over, the name is back.
      await page.evaluate(() => (document.getElementById('progress')!.hidden = true));
      expect((await page.locator('header h1').boundingBox())?.width).toBeGreaterThan(50);
    }
    // Asked for less motion, the bar of a step of unknown length stands still.
    await page.emulateMedia({ reducedMotion: 'reduce' });
    const animation = await page.evaluate(() => {
      document.getElementById('progress')!.hidden = false;
      const bar = document.getElementById('progress-bar')!;
      bar.classList.add('indeterminate');
      return getComputedStyle(bar).animationName;
    });
    expect(animation).toBe('none');
    expect(errors).toEqual([]);
  });
});
