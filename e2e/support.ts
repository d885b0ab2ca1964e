// What the e2e tests share: the built app served on a free localhost port by scripts/serve.mjs,
// Debian's Chromium launched with or without SwiftShader's WebGPU adapter, and helpers that drive
// the page as a user does (the lil-gui fields by their data-field, buttons by their data-action) and
// read what it shows (every number carries its exact value in data-value).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';

export const kChromium = '/usr/bin/chromium';
const kCommonFlags = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];
/** WebGPU on SwiftShader, the software Vulkan driver Chromium ships: no GPU needed. */
export const kWebGpuFlags = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--use-angle=swiftshader',
  ...kCommonFlags,
];
/** The same browser without the WebGPU flags: navigator.gpu exists but yields no adapter. */
export const kNoWebGpuFlags = kCommonFlags;

export const kResultsDirectory = resolve('e2e-results');

/** A port nobody listens on now (the server is then started with --strict-port). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}

export interface AppServer {
  readonly url: string;
  stop(): Promise<void>;
}

/** Builds the app and serves dist/ (scripts/serve.mjs, as `npm start` does); resolves with its URL. */
export async function startApp(): Promise<AppServer> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    ['scripts/serve.mjs', '--port', String(port), '--strict-port'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`the app server did not start:\n${output}`)), 180_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /darwin-breit app: (\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the app server exited with ${code}:\n${output}`));
    });
  });
  return {
    url,
    stop: () =>
      new Promise<void>((resolveStop) => {
        if (child.exitCode !== null) return resolveStop();
        child.once('exit', () => resolveStop());
        child.kill('SIGTERM');
      }),
  };
}

export function launch(flags: string[]): Promise<Browser> {
  return chromium.launch({ executablePath: kChromium, headless: true, args: flags });
}

export interface WebGpuApp {
  /** The served app's address. */
  readonly url: string;
  /** The page at url + query, with its console errors collected. */
  open(query?: string): Promise<AppPage>;
}

/**
 * The test file's app: built and served, with a SwiftShader WebGPU browser, from its beforeAll to its
 * afterAll (hooks registered here, so call this at the top level of the test file).
 */
export function webGpuApp(): WebGpuApp {
  let server: AppServer | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    server = await startApp();
    browser = await launch(kWebGpuFlags);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });
  const started = () => {
    if (!server || !browser) throw new Error('webGpuApp: the app is not started (beforeAll)');
    return { server, browser };
  };
  return {
    get url() {
      return started().server.url;
    },
    open: (query = '') => {
      const { server, browser } = started();
      return openPage(browser, `${server.url}${query}`);
    },
  };
}

export interface AppPage {
  readonly page: Page;
  /** Console errors and uncaught exceptions, as "type: text". */
  readonly errors: string[];
}

export async function openPage(browser: Browser, url: string): Promise<AppPage> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 880 }, acceptDownloads: true });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console.error: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  await page.goto(url);
  return { page, errors };
}

const kFinal = ['converged', 'failed', 'no-webgpu', 'idle'];

export async function status(page: Page): Promise<string> {
  return (await page.evaluate(() => document.body.dataset.status)) ?? '';
}

/** Waits until the page is no longer loading or running, and returns its status. */
export async function settled(page: Page, timeout = 120_000): Promise<string> {
  await page.waitForFunction((final) => final.includes(document.body.dataset.status ?? ''), kFinal, {
    timeout,
  });
  return status(page);
}

function finishedRuns(page: Page): Promise<number> {
  return page.evaluate(() => Number(document.body.dataset.runs ?? 0));
}

/**
 * Clicks a panel action and returns at once, with a function that waits for that run to finish and
 * returns the status it ended in (for a test that acts while the run goes on: Stop). `alongside`, a
 * page function, runs in the click's own task: what it does comes while the run surely goes on,
 * whatever the device's speed.
 */
export async function startAction(
  page: Page,
  action: string,
  alongside?: () => void,
): Promise<(timeout?: number) => Promise<string>> {
  const before = await finishedRuns(page);
  const button = `[data-action="${action}"] button`;
  if (alongside) {
    await page.evaluate(`document.querySelector('${button}').click(); (${alongside.toString()})();`);
  } else await page.locator(button).click();
  return async (timeout = 120_000) => {
    await page.waitForFunction((count) => Number(document.body.dataset.runs ?? 0) > count, before, {
      timeout,
    });
    return status(page);
  };
}

/** Clicks a panel action and waits for that run to finish; returns the status it ended in. */
export async function runAction(page: Page, action: string, timeout = 120_000): Promise<string> {
  return (await startAction(page, action))(timeout);
}

/**
 * The page's status (body data-status) at each of its next `count` animation frames. A run that
 * keeps the main thread free lets them come while it goes on ('running'); one that blocked it would
 * hold them back until it ended, and they would see its final status.
 */
export function statusAtFrames(page: Page, count = 3): Promise<string[]> {
  return page.evaluate(
    (frames) =>
      new Promise<string[]>((done) => {
        const seen: string[] = [];
        const next = () =>
          requestAnimationFrame(() => {
            seen.push(document.body.dataset.status ?? '');
            if (seen.length === frames) done(seen);
            else next();
          });
        next();
      }),
    count,
  );
}

/** Types into a text field and leaves it (Enter), as a user does. */
export async function typeField(page: Page, field: string, text: string): Promise<void> {
  const input = page.locator(`[data-field="${field}"] input`);
  await input.fill(text);
  await input.press('Enter');
}

/** The inline error the panel shows under a field while the field's text is refused. */
export function fieldError(page: Page, field: string): Locator {
  return page.locator(`[data-error-for="${field}"]`);
}

export async function chooseOption(page: Page, field: string, label: string): Promise<void> {
  await page.locator(`[data-field="${field}"] select`).selectOption({ label });
}

/** The exact number behind a displayed value (data-value), or NaN when none is shown. */
export async function shownValue(page: Page, id: string): Promise<number> {
  const value = await page.locator(`#${id}`).getAttribute('data-value');
  return value === null ? NaN : Number(value);
}

export async function shownText(page: Page, id: string): Promise<string> {
  return (await page.locator(`#${id}`).textContent()) ?? '';
}

/**
 * Records every line the progress shows from now on, with its bar's width, as the page changes them;
 * the returned function reads them back, [text, width] each.
 */
export async function recordProgress(page: Page): Promise<() => Promise<[string, string][]>> {
  await page.evaluate(() => {
    const lines: [string, string][] = [];
    Object.assign(window, { progressLines: lines });
    const box = document.getElementById('progress')!;
    const record = () => {
      const text = document.getElementById('progress-text')!.textContent ?? '';
      const width = document.getElementById('progress-bar')!.style.width;
      if (lines.at(-1)?.[0] !== text) lines.push([text, width]);
    };
    new MutationObserver(record).observe(box, { subtree: true, childList: true, characterData: true });
  });
  return () =>
    page.evaluate(() => (window as unknown as { progressLines: [string, string][] }).progressLines);
}

/** Saves a screenshot of the page under e2e-results/ and prints its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(kResultsDirectory, { recursive: true });
  const path = resolve(kResultsDirectory, `${name}.png`);
  await page.screenshot({ path });
  console.log(`screenshot: ${path}`);
  return path;
}

/** The view's background (kBackground in src/app/view.ts) as 8-bit sRGB. */
const kBackgroundRgb = [15, 19, 28];

/** Which pixels of a screenshot count: those far from a background colour, or those of strong colour. */
type PixelTest =
  | { readonly background: readonly number[] }
  | { readonly minChroma: number }
  | { readonly colour: readonly number[] };

/** Fraction of a PNG's pixels that pass `test`, decoded by the page itself (no PNG library in Node). */
function pixelFraction(page: Page, png: Buffer, test: PixelTest): Promise<number> {
  return page.evaluate(
    async ({ base64, test }) => {
      const blob = await (await fetch(`data:image/png;base64,${base64}`)).blob();
      const bitmap = await createImageBitmap(blob);
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const context = canvas.getContext('2d')!;
      context.drawImage(bitmap, 0, 0);
      const { data } = context.getImageData(0, 0, bitmap.width, bitmap.height);
      let counted = 0;
      for (let k = 0; k < data.length; k += 4) {
        const [r, g, b] = [data[k], data[k + 1], data[k + 2]];
        if ('background' in test) {
          const [br, bg, bb] = test.background;
          if (Math.abs(r - br) + Math.abs(g - bg) + Math.abs(b - bb) > 24) counted++;
        } else if ('colour' in test) {
          const [cr, cg, cb] = test.colour;
          if (Math.abs(r - cr) + Math.abs(g - cg) + Math.abs(b - cb) <= 24) counted++;
        } else if (Math.max(r, g, b) - Math.min(r, g, b) > test.minChroma) counted++;
      }
      return counted / (data.length / 4);
    },
    { base64: png.toString('base64'), test },
  );
}

/** Fraction of the canvas's pixels that differ from the background. */
export async function drawnFraction(page: Page): Promise<number> {
  // The tabs lie over the canvas (the legend and the help line are in the strip below it): hidden, so
  // only what WebGPU drew counts.
  const overlays = ['#stage-tabs'];
  await page.evaluate(
    (ids) =>
      ids.forEach((id) => document.querySelector<HTMLElement>(id)!.style.setProperty('visibility', 'hidden')),
    overlays,
  );
  const png = await page.locator('#view').screenshot();
  await page.evaluate(
    (ids) => ids.forEach((id) => document.querySelector<HTMLElement>(id)!.style.removeProperty('visibility')),
    overlays,
  );
  return pixelFraction(page, png, { background: kBackgroundRgb });
}

/**
 * Fraction of an element's pixels in strong colour (max - min channel > 48): the viridis cells of a
 * heat map, the coloured lines and points of a plot; white, greys and the page's dark blue do not count.
 */
export async function colouredFraction(page: Page, selector: string): Promise<number> {
  return pixelFraction(page, await page.locator(selector).screenshot(), { minChroma: 48 });
}

/** Fraction of an element's pixels of one colour (`rgb`, within antialiasing's shading): one series of a plot. */
export async function colourFraction(page: Page, selector: string, rgb: readonly number[]): Promise<number> {
  return pixelFraction(page, await page.locator(selector).screenshot(), { colour: rgb });
}

/**
 * Clicks `button` and keeps what it downloads as e2e-results/`file`: the name the page gave it, where
 * it was kept, and its text.
 */
export async function downloaded(
  page: Page,
  button: string,
  file: string,
): Promise<{ name: string; path: string; text: string }> {
  const [saved] = await Promise.all([page.waitForEvent('download'), page.locator(button).click()]);
  mkdirSync(kResultsDirectory, { recursive: true });
  const path = resolve(kResultsDirectory, file);
  await saved.saveAs(path);
  return { name: saved.suggestedFilename(), path, text: readFileSync(path, 'utf8') };
}

/** A study card's download (its finished run as JSON): the file's name and its JSON. */
export async function savedStudy(page: Page, card: string): Promise<{ name: string; json: unknown }> {
  const { name, text } = await downloaded(page, `#study-${card}-save`, `study-${card}.json`);
  return { name, json: JSON.parse(text) };
}

/**
 * `actual` has exactly the keys, array lengths, strings, booleans and nulls of `expected`, and each
 * of its numbers within `rtol` of the expected one relative to its size (another engine's Math
 * functions round the last bits differently); the path of the first difference fails the test.
 */
export function expectSameJson(actual: unknown, expected: unknown, rtol: number, path = '$'): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    const scale = Math.max(Math.abs(expected), Number.MIN_VALUE);
    if (!(Math.abs(actual - expected) <= rtol * scale)) {
      throw new Error(`${path}: ${actual}, expected ${expected} within ${rtol}`);
    }
  } else if (Array.isArray(expected) && Array.isArray(actual)) {
    if (actual.length !== expected.length)
      throw new Error(`${path}: ${actual.length} entries, expected ${expected.length}`);
    expected.forEach((x, k) => expectSameJson(actual[k], x, rtol, `${path}[${k}]`));
  } else if (isObject(expected) && isObject(actual)) {
    const [got, want] = [Object.keys(actual), Object.keys(expected)];
    if (got.join() !== want.join()) throw new Error(`${path}: keys ${got.join()}, expected ${want.join()}`);
    for (const key of want) expectSameJson(actual[key], expected[key], rtol, `${path}.${key}`);
  } else if (actual !== expected) {
    throw new Error(`${path}: ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
  }
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Loads `text` as the file `name` (Files › load) and returns the message the page shows for it. */
export async function loadFile(page: Page, name: string, text: string): Promise<string> {
  await page.evaluate(() => (document.getElementById('message')!.textContent = ''));
  const mimeType = name.endsWith('.csv') ? 'text/csv' : 'application/json';
  await page.locator('#file-input').setInputFiles({ name, mimeType, buffer: Buffer.from(text) });
  await page.waitForFunction(() => document.getElementById('message')?.textContent !== '');
  return shownText(page, 'message');
}
