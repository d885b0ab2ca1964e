// The browser app end to end, driven through its panel as a user would, on Chromium's SwiftShader
// WebGPU adapter (a CPU, so N stays in the hundreds): Solve, Spectrum and Momenta with the float64
// checks beside them, max iterations and Stop (refined runs included), the files the page loads,
// refuses and saves, links, the fields' refusals and when they go, a run and a refusal from the
// keyboard as a screen reader hears them, a lost device, one session that walks from the Electrons
// tab into the studies and a 1024 px window, and the page without WebGPU.
// Tests check the numbers the page shows against physics or the float64 reference, prove from the
// canvas's pixels that a run drew, save screenshots under e2e-results/, and fail on any console
// error or uncaught exception.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { packTreeTables, gpuTreeGeometry, storageBytes, treeStorageBuffers } from '../src/kernels/tree.ts';
import { kCpuTreeLeaves } from '../src/gpu/profile.ts';
import { kDefaultTreeTolerance } from '../src/physics/tree-build.ts';
import { toJson } from '../src/io/formats.ts';
import { version } from '../package.json';
import { radiusFromEpsilon } from '../src/physics/constants.ts';
import { markdownNumber } from '../src/studies/markdown.ts';
import { geometry } from '../src/physics/geometry.ts';
import { applyInteractionFree, type DarwinSystem } from '../src/physics/models.ts';
import { ringCirculantEigenvalues } from '../src/physics/ring.ts';
import { energies } from '../src/physics/observables.ts';
import { velocityPattern } from '../src/physics/velocities.ts';
import { kMaxThreads } from '../src/parallel/pool.ts';
import { cpuBackend } from '../src/run/backend.ts';
import { float32CheckTargets } from '../src/run/check.ts';
import { solveJson } from '../src/run/report.ts';
import { runSolve } from '../src/run/solve.ts';
import {
  chooseOption,
  colourFraction,
  fieldError,
  drawnFraction,
  statusAtFrames,
  downloaded,
  kNoWebGpuFlags,
  launch,
  loadFile,
  openPage,
  recordProgress,
  runAction,
  screenshot,
  settled,
  shownText,
  shownValue,
  startAction,
  status,
  typeField,
  webGpuApp,
  type AppPage,
} from './support.ts';

/** What float32 on the GPU must match the float64 reference to (normwise; eigenvalues near 1). */
const kGpuTolerance = 1e-5;
/** Some electrons must be visible: a disc of a few pixels per electron covers at least this much. */
const kMinimumDrawn = 0.005;
/** The Electrons tab's JSON download. */
const kDownloadJson = '[data-action="downloadJson"] button';

const app = webGpuApp();
const open = (query = ''): Promise<AppPage> => app.open(query);

/** The page with nothing run on load, for the tests that run or load their own. */
async function openIdle(query: string): Promise<AppPage> {
  const opened = await app.open(query);
  expect(await settled(opened.page)).toBe('idle');
  return opened;
}

/** The numbers of a finished solve, as shown. */
async function solveNumbers(page: Page) {
  return {
    iterations: await shownValue(page, 'solve-iterations'),
    residual: await shownValue(page, 'solve-residual'),
    trueResidual: await shownValue(page, 'solve-true-residual'),
    roundTrip: await shownValue(page, 'round-trip'),
    darwinEnergy: await shownValue(page, 'energy-darwin'),
    checkMomenta: await shownValue(page, 'check-momenta'),
    checkVelocities: await shownValue(page, 'check-velocities'),
    checkInteraction: await shownValue(page, 'check-interaction'),
    checkDarwin: await shownValue(page, 'check-darwin'),
  };
}

/** A result JSON chosen in the page's file dialog, once the page says it loaded it. */
async function loadResult(page: Page, name: string, json: string): Promise<void> {
  expect(await loadFile(page, name, json)).toContain('their result');
}

/**
 * Holds the page's float64 products worker's answer number `from` (1 first), and with `andLater`
 * every one after it, as though the worker were still forming it: a Stop then lands while the run
 * waits for that product, every time, and drops it. Installed before the run starts its worker.
 */
async function holdProductAnswers(page: Page, from: number, { andLater = false } = {}): Promise<void> {
  await page.evaluate(
    ({ from, andLater }) => {
      const held = { answers: 0, waiting: false };
      Object.assign(window, { heldProduct: held });
      window.Worker = class extends window.Worker {
        override addEventListener(
          type: string,
          listener: EventListenerOrEventListenerObject,
          options?: boolean | AddEventListenerOptions,
        ): void {
          const deliver = (event: Event) =>
            typeof listener === 'function' ? listener(event) : listener.handleEvent(event);
          super.addEventListener(
            type,
            (event) => {
              const data = (event as MessageEvent).data as { kind?: string } | undefined;
              const answer = type === 'message' && data?.kind === 'product' ? ++held.answers : 0;
              if (answer === from || (andLater && answer > from)) held.waiting = true;
              else deliver(event);
            },
            options,
          );
        }
      };
    },
    { from, andLater },
  );
}

/** Until a held product answer (holdProductAnswers) is waited for. */
async function productHeld(page: Page): Promise<void> {
  await page.waitForFunction(
    () => (window as unknown as { heldProduct: { waiting: boolean } }).heldProduct.waiting,
  );
}

async function expectConvergedSolve(page: Page, tolerance: number): Promise<void> {
  expect(await page.locator('#solve-reason').getAttribute('data-reason')).toBe('converged_rtol');
  const numbers = await solveNumbers(page);
  expect(numbers.iterations).toBeGreaterThanOrEqual(1);
  expect(numbers.residual).toBeLessThanOrEqual(tolerance);
  // The true residual is recomputed from the final v: float32's M bounds it near 1e-7.
  expect(numbers.trueResidual).toBeLessThan(kGpuTolerance);
  expect(numbers.roundTrip).toBeLessThan(kGpuTolerance);
  expect(numbers.checkMomenta).toBeLessThan(kGpuTolerance);
  expect(numbers.checkVelocities).toBeLessThan(kGpuTolerance);
  // The Darwin part eps T v alone, to float32's precision, green against its target as the CLI's.
  expect(numbers.checkInteraction).toBeLessThan(1e-6);
  expect(await page.locator('#check-interaction').getAttribute('class')).toBe('good');
  // The Darwin energy's own error, uncoloured: no target holds it.
  expect(numbers.checkDarwin).toBeLessThan(kGpuTolerance);
  expect(await page.locator('#check-darwin').getAttribute('class')).toBe('');
}

describe('the darwin-breit app on WebGPU (SwiftShader)', () => {
  test('first load runs the default scenario: a rotating sphere of 500 electrons, solved and drawn', async () => {
    const { page, errors } = await open();
    expect(await settled(page)).toBe('converged');
    expect(await shownText(page, 'adapter')).toContain('swiftshader');
    expect(await shownText(page, 'fallback')).toMatch(/^yes/);
    expect(await shownText(page, 'matrix-size')).toBe('1500 × 1500');
    expect(await shownValue(page, 'n-epsilon')).toBeCloseTo(0.5, 12);
    await expectConvergedSolve(page, 1e-6);
    // Rigid rotation about z: T0 = sum rho_i^2 / 2 = N (2/3) / 2 for the Fibonacci sphere (exactly,
    // up to 1/(3N^2), see README eq. 30), and the Darwin energy (eps/2) v.Tv of the float64 M v, held
    // to float32's rounding of the GPU's M v.
    expect(await shownValue(page, 'energy-kinetic')).toBeCloseTo((500 * (2 / 3 + 1 / (3 * 500 ** 2))) / 2, 4);
    const sphere: DarwinSystem = {
      configuration: geometry('sphere', 500),
      model: 'vector',
      dim: 3,
      epsilon: 1e-3,
      softening: 0,
    };
    const rigid = velocityPattern(sphere, 'rigid');
    const { darwin } = energies(sphere, rigid, applyInteractionFree(sphere, rigid));
    expect(Math.abs((await shownValue(page, 'energy-darwin')) / darwin - 1)).toBeLessThan(1e-6);
    expect(await page.locator('#legend').isVisible()).toBe(true);
    expect(await drawnFraction(page)).toBeGreaterThan(kMinimumDrawn);
    expect(page.url()).toContain('run=solve');
    await screenshot(page, '1-default-sphere');
    // The view and its colour scale say in words what they draw: coloured by the speed |v| = ρ_i of
    // the rigid rotation, the legend's range is the sphere's least and greatest distance from z.
    await chooseOption(page, 'colourBy', 'speed |v|');
    const { positions } = sphere.configuration;
    const rho = Array.from({ length: 500 }, (_, i) => Math.hypot(positions[3 * i], positions[3 * i + 1]));
    const legend = `|v|  speed (R ω): ${markdownNumber(Math.min(...rho), 3)} to ${markdownNumber(Math.max(...rho), 3)}`;
    await expect.poll(() => page.locator('#legend').getAttribute('aria-label')).toBe(legend);
    expect(await page.locator('#view').getAttribute('aria-label')).toBe(
      `500 electrons, sphere, 3D view, coloured by ${legend}`,
    );
    expect(errors).toEqual([]);
  });

  test('changing geometry, N and dim in the panel, then Solve', async () => {
    const { page, errors } = await open();
    await settled(page);
    await chooseOption(page, 'source', 'disk');
    await typeField(page, 'n', '300');
    await chooseOption(page, 'dim', '2 (needs z = 0)');
    await typeField(page, 'epsilon', '2e-3');
    await chooseOption(page, 'arrows', 'speed |v|');
    // N r_e/R follows the fields live (eq. 49): 300 x 2e-3.
    expect(await page.locator('[data-field="collective"] input').inputValue()).toBe('0.6000');
    expect(await runAction(page, 'solve')).toBe('converged');
    expect(await shownText(page, 'matrix-size')).toBe('600 × 600');
    await expectConvergedSolve(page, 1e-6);
    expect(await drawnFraction(page)).toBeGreaterThan(kMinimumDrawn);
    expect(page.url()).toMatch(/geometry=disk&n=300&model=vector&dim=2&eps=0\.002/);
    await screenshot(page, '2-disk-2d-arrows');
    expect(errors).toEqual([]);
  });

  test('the spectrum of a ring in the azimuthal model is 1 + ε λ_k of the circulant V_φ (eq. 31/42)', async () => {
    const { page, errors } = await open();
    await settled(page);
    const n = 256;
    const epsilon = 1e-3;
    await chooseOption(page, 'source', 'ring');
    await typeField(page, 'n', String(n));
    await chooseOption(page, 'model', 'azimuthal (φ̇_i about z)');
    await typeField(page, 'epsilon', String(epsilon));
    expect(await runAction(page, 'spectrum')).toBe('converged');
    // On the unit ring D = I, so D^-1/2 M D^-1/2 = I + eps V and its extremes are exact.
    const circulant = Array.from(ringCirculantEigenvalues(n));
    const lambdaMax = 1 + epsilon * Math.max(...circulant);
    const lambdaMin = 1 + epsilon * Math.min(...circulant);
    expect(Math.abs((await shownValue(page, 'lambda-max')) - lambdaMax)).toBeLessThan(kGpuTolerance);
    expect(Math.abs((await shownValue(page, 'lambda-min')) - lambdaMin)).toBeLessThan(kGpuTolerance);
    expect(await shownValue(page, 'collective')).toBeCloseTo(lambdaMax - 1, 5);
    expect(await page.locator('#definiteness').getAttribute('data-indefinite')).toBe('false');
    expect(await shownValue(page, 'check-spectrum')).toBeLessThan(kGpuTolerance);
    expect(await drawnFraction(page)).toBeGreaterThan(kMinimumDrawn / 5);
    await screenshot(page, '3-ring-spectrum');

    // At eps = 0.02 the alternating mode's 1 + eps lambda_min(V) < 0: M is indefinite, and marked so.
    const strong = 0.02;
    await typeField(page, 'epsilon', String(strong));
    expect(await runAction(page, 'spectrum')).toBe('converged');
    const indefiniteMin = 1 + strong * Math.min(...circulant);
    expect(indefiniteMin).toBeLessThan(0);
    // Lanczos' tolerance is relative to max |lambda| (about 8 here).
    expect(Math.abs((await shownValue(page, 'lambda-min')) - indefiniteMin)).toBeLessThan(1e-4);
    expect(await page.locator('#definiteness').getAttribute('data-indefinite')).toBe('true');
    expect(await shownText(page, 'definiteness')).toContain('INDEFINITE');
    await page.locator('#check-note').scrollIntoViewIfNeeded();
    await screenshot(page, '3b-ring-indefinite');
    expect(errors).toEqual([]);
  });

  test('the fast multipole tree from a link: its memory exact, its solve checked against float64', async () => {
    // A ring of 3000 in the azimuthal model (3000 unknowns: the float64 check runs) in 16 leaves:
    // its far leaves exchange M2L, so the expansions are in the products the check measures.
    const query = 'geometry=ring&n=3000&model=azimuthal&eps=1e-3&matrix=tree&tree_tol=1e-3&run=solve';
    const { page, errors } = await open(`?${query}`);
    expect(await settled(page)).toBe('converged');
    expect(await shownText(page, 'matrix-storage')).toBe(
      'fast multipole tree, to 0.001 of the direct product',
    );
    const system: DarwinSystem = {
      configuration: geometry('ring', 3000),
      model: 'azimuthal',
      dim: 3,
      epsilon: 1e-3,
      softening: 0,
    };
    // Chromium's SwiftShader adapter is a CPU adapter: its leaves.
    const tree = gpuTreeGeometry(system, kCpuTreeLeaves, { tolerance: 1e-3 });
    expect(tree.counts.translations).toBeGreaterThan(0);
    // The buffers the tree holds: its storage (known here without a device) and its uniform slots.
    const storage = storageBytes(treeStorageBuffers(tree, packTreeTables(tree).data));
    const memory = await shownValue(page, 'matrix-memory');
    expect(memory).toBeGreaterThan(storage);
    expect(memory).toBeLessThan(storage + 64 * 1024);
    expect(await page.locator('#solve-reason').getAttribute('data-reason')).toBe('converged_rtol');
    // Within the tree's tolerance of float64, and farther than float32's rounding alone (~1e-7): the
    // far field's truncation is there.
    const { checkMomenta, checkVelocities } = await solveNumbers(page);
    expect(checkMomenta).toBeLessThan(1e-3);
    expect(checkMomenta).toBeGreaterThan(1e-6);
    expect(checkVelocities).toBeLessThan(1e-3);
    const link = new URL(page.url()).searchParams;
    expect([link.get('matrix'), link.get('tree_tol')]).toEqual(['tree', '0.001']);
    expect(await drawnFraction(page)).toBeGreaterThan(kMinimumDrawn / 5);
    await screenshot(page, '3c-ring-tree');
    // Its download names the tree's tolerance, as the CLI's --out does, so that the file loaded on
    // another page sets the link to rerun at it, not at the default tolerance.
    const file = await downloaded(page, kDownloadJson, 'ring-tree.json');
    expect(JSON.parse(file.text).tree).toMatchObject({ tolerance: 1e-3 });
    // Unrefined, its numbers are the GPU's alone: no thread count decides them.
    expect(JSON.parse(file.text)).not.toHaveProperty('threads');
    const other = await openIdle('?n=10&run=none');
    await loadResult(other.page, 'ring-tree.json', file.text);
    const reloaded = new URL(other.page.url()).searchParams;
    expect([reloaded.get('matrix'), reloaded.get('tree_tol')]).toEqual(['tree', '0.001']);
    expect(errors).toEqual([]);
    expect(other.errors).toEqual([]);
  });

  test("a GPU tree's solve refined in float64 names the threads its float64 tree products ran on, as the CLI's", async () => {
    const { page, errors } = await open(
      '?geometry=ring&n=500&model=azimuthal&eps=1e-3&matrix=tree&tree_tol=1e-4&tol=1e-9&check=0&run=solve',
    );
    expect(await settled(page)).toBe('converged');
    const saved = JSON.parse((await downloaded(page, kDownloadJson, 'ring-tree-refined.json')).text);
    // Refined: its float64 true residual is past float32's floor.
    expect(saved.true_relative_residual).toBeLessThan(1e-8);
    // The reference worker's pool: every core up to the limit where the page is cross-origin
    // isolated (as the e2e server serves it), else the worker's own thread.
    const threads = await page.evaluate(
      (most) => (crossOriginIsolated ? Math.min(most, navigator.hardwareConcurrency) : 1),
      kMaxThreads,
    );
    expect(saved.threads).toBe(threads);
    const keys = Object.keys(saved);
    expect(keys.indexOf('threads')).toBe(keys.indexOf('tree') + 1);
    expect(errors).toEqual([]);
  });

  test("the dense check's note follows the float64 M's assembly in its worker, chunk by chunk, then its solve", async () => {
    // 3000 electrons in the azimuthal model: 3000 unknowns (the dense check's most), 4.5·10⁶ pairs
    // assembled in five chunks of 10⁶ (src/parallel/mass-matrix.ts), each posted by the worker.
    const { page, errors } = await openIdle(
      '?geometry=ring&n=3000&model=azimuthal&eps=1e-3&velocity=rigid&run=none',
    );
    const finished = await startAction(page, 'solve', () => {
      const note = document.getElementById('check-note')!;
      const notes: string[] = [];
      (window as unknown as { checkNotes: string[] }).checkNotes = notes;
      new MutationObserver(() => notes.push(note.textContent ?? '')).observe(note, {
        childList: true,
        characterData: true,
        subtree: true,
      });
    });
    expect(await finished()).toBe('converged');
    const notes = await page.evaluate(() => (window as unknown as { checkNotes: string[] }).checkNotes);
    const base = 'float64 CPU reference, run in a worker beside the GPU';
    const progress = notes
      .filter((text) => text.startsWith(`${base}; `))
      .map((text) => text.slice(base.length + 2).replace(/, ~\d+ s left$/, ''));
    const chunks = progress.filter((text) => text.startsWith('assembling'));
    expect(chunks).toEqual([1, 2, 3, 4].map((done) => `assembling the float64 M: chunk ${done} of 5`));
    // After them the reference solve's iterations, the first at once and then a few a second.
    const iterations = progress.slice(chunks.length);
    expect(iterations[0]).toMatch(/^solve: iteration 1, ‖r‖\/‖p‖ = \S+$/);
    for (const text of iterations) expect(text).toMatch(/^solve: iteration \d+, ‖r‖\/‖p‖ = \S+$/);
    // The check's end gives the note back, which its errors then join.
    expect(await shownText(page, 'check-note')).toBe(base);
    expect(await shownValue(page, 'check-momenta')).toBeLessThan(kGpuTolerance);
    expect(errors).toEqual([]);
  });

  test('past the dense check a solve is checked on float64 rows at sampled electrons', async () => {
    // A ring of 3000 in the vector model: 9000 unknowns, whose float64 M would take 648·10⁶ bytes.
    const query = 'geometry=ring&n=3000&eps=1e-3&matrix=tree&tree_tol=1e-4&velocity=rigid&run=solve';
    const { page, errors } = await open(`?${query}`);
    expect(await settled(page)).toBe('converged');
    expect(await shownText(page, 'check-note')).toBe(
      'sampled: 9000 unknowns is above 3000 (the float64 M would take 648 MB), so float64 rows of M at the 32 electrons whose nearest neighbour is closest and 224 drawn at random, summed in a worker',
    );
    const { checkMomenta, checkVelocities } = await solveNumbers(page);
    // float32's and the tree's error, within the tree tolerance; the velocities' error needs the dense
    // solve, and the residual against the direct sum's rows stands in for it.
    expect(checkMomenta).toBeGreaterThan(1e-8);
    expect(checkMomenta).toBeLessThan(1e-4);
    expect(checkVelocities).toBeNaN();
    const residual = await shownValue(page, 'check-residual');
    expect(residual).toBeGreaterThan(1e-8);
    expect(residual).toBeLessThan(1e-3);
    // Each value is marked by its own target: the residual's is 10 max(tol, tree tolerance) = 1e-3.
    expect(await page.locator('#check-residual').getAttribute('class')).toBe('good');
    // The download's check says what the sample was.
    const download = await downloaded(page, kDownloadJson, 'sampled.json');
    const check = (JSON.parse(download.text) as Record<string, unknown>).check as Record<string, unknown>;
    expect(check.sampled_electrons).toBe(256);
    expect(check.residual).toBeCloseTo(residual, 12);
    expect(errors).toEqual([]);
  });

  test("past the dense check a spectrum's Ritz residuals are checked on float64 rows at sampled electrons", async () => {
    // A ring of 1001 in the vector model: 3003 unknowns, just past the dense check.
    const { page, errors } = await open(
      '?geometry=ring&n=1001&eps=1e-3&matrix=free&lanczos_tol=1e-4&run=spectrum',
    );
    expect(await settled(page)).toBe('converged');
    expect(await shownText(page, 'check-note')).toBe(
      'sampled: 3003 unknowns is above 3000 (the float64 M would take 72.1 MB), so float64 rows of M at the 32 electrons whose nearest neighbour is closest and 224 drawn at random and the 64 where each Ritz vector is largest, summed in a worker: an eigenvalue of the direct sum lies within each Ritz residual',
    );
    // Lanczos converged to 1e-4 of the largest |λ|: λ_min's residual, the larger, is about that, and
    // within its target 10 max(tol, float32's 1e-5), so marked good.
    const bound = await shownValue(page, 'check-spectrum');
    expect(bound).toBeGreaterThan(1e-6);
    expect(bound).toBeLessThan(1e-3);
    expect(await page.locator('#check-spectrum').getAttribute('class')).toBe('good');
    const download = await downloaded(page, kDownloadJson, 'spectrum.json');
    const spectrum = (JSON.parse(download.text) as { spectrum: Record<string, unknown> }).spectrum;
    const check = spectrum.check as Record<string, unknown>;
    expect(check.sampled_electrons).toBe(256);
    expect(check.targets).toEqual({ residual: 1e-3 });
    expect(check.max_relative_error).toBeCloseTo(bound, 12);
    expect(Math.max(check.residual_min as number, check.residual_max as number)).toBe(
      check.max_relative_error,
    );
    expect(errors).toEqual([]);
  });

  test('a positions CSV chosen in the file dialog becomes the configuration and solves', async () => {
    const { page, errors } = await open();
    await settled(page);
    // A helix of 200 electrons: three columns, a comment line, any column order.
    const rows = Array.from({ length: 200 }, (_, i) => {
      const t = 0.4 * i;
      return `${(-1 + (2 * i) / 199).toFixed(6)},${Math.cos(t).toFixed(6)},${Math.sin(t).toFixed(6)}`;
    });
    const csv = ['# helix', 'z,x,y', ...rows].join('\n');
    expect(await loadFile(page, 'helix.csv', csv)).toContain('Loaded 200 positions');
    expect(await page.locator('[data-field="source"] select').inputValue()).toBe('positions file');
    expect(await page.locator('[data-field="n"] input').inputValue()).toBe('200');
    expect(await page.locator('[data-field="n"] input').isDisabled()).toBe(true);
    expect(await runAction(page, 'solve')).toBe('converged');
    expect(await shownText(page, 'matrix-size')).toBe('600 × 600');
    await expectConvergedSolve(page, 1e-6);
    expect(await drawnFraction(page)).toBeGreaterThan(kMinimumDrawn / 5);
    await screenshot(page, '4-positions-csv-helix');
    expect(errors).toEqual([]);
  });

  test("the 'positions file' row names the file only while the geometry field takes it", async () => {
    const { page, errors } = await openIdle('?n=10&run=none');
    const row = page.locator('[data-field="positionsFile"] input');
    expect(await loadFile(page, 'three.csv', 'x,y,z\n0,0,0\n1,0,0\n0,1,0\n')).toBe(
      'Loaded 3 positions from three.csv.',
    );
    expect(await row.inputValue()).toBe('three.csv');
    await chooseOption(page, 'source', 'sphere');
    expect(await row.inputValue()).toBe('–');
    await chooseOption(page, 'source', 'positions file');
    expect(await row.inputValue()).toBe('three.csv');
    expect(errors).toEqual([]);
  });

  test('a positions CSV with two electrons at one place is refused when read at softening 0, and the page keeps its run', async () => {
    const { page, errors } = await openIdle('?n=100&eps=0.01&run=none');
    expect(await runAction(page, 'solve')).toBe('converged');
    const iterations = await shownValue(page, 'solve-iterations');
    const url = page.url();
    const csv = 'x,y,z\n0,0,0\n1,0,0\n0,0,0\n';
    expect(await loadFile(page, 'posdup.csv', csv)).toBe(
      'posdup.csv: electrons 0 and 2 are at the same place; set a softening a > 0 first',
    );
    expect(page.url()).toBe(url);
    expect(await shownValue(page, 'solve-iterations')).toBe(iterations);
    expect(await status(page)).toBe('converged');
    // With a softening the same file is a configuration.
    await typeField(page, 'softening', '0.01');
    expect(await loadFile(page, 'posdup.csv', csv)).toBe('Loaded 3 positions from posdup.csv.');
    expect(page.url()).toContain('geometry=file');
    expect(errors).toEqual([]);
  });

  test('a shared link reproduces the run exactly', async () => {
    const first = await open();
    await settled(first.page);
    await chooseOption(first.page, 'source', 'annulus');
    await typeField(first.page, 'n', '240');
    await chooseOption(first.page, 'velocity', 'random');
    await typeField(first.page, 'seed', '7');
    expect(await runAction(first.page, 'solve')).toBe('converged');
    const before = await solveNumbers(first.page);
    const link = first.page.url();
    expect(link).toContain('velocity=random&seed=7');

    const second = await open(link.slice(app.url.length));
    expect(await settled(second.page)).toBe('converged');
    expect(await solveNumbers(second.page)).toEqual(before);
    expect(await second.page.locator('[data-field="source"] select').inputValue()).toBe('annulus');
    await screenshot(second.page, '5-shared-link');
    expect(first.errors).toEqual([]);
    expect(second.errors).toEqual([]);
  });

  test('results download as JSON and CSV in the CLI formats; the JSON loads the run back, the CSV its positions', async () => {
    const { page, errors } = await open(
      '?geometry=cube&n=125&eps=0.004&velocity=alternating&tol=1e-5&run=solve',
    );
    expect(await settled(page)).toBe('converged');
    const iterations = await shownValue(page, 'solve-iterations');

    const json = await downloaded(page, kDownloadJson, 'result.json');
    const saved = JSON.parse(json.text);
    expect(saved.command).toBe('solve');
    // The program that made the file, as the CLI's JSON names it.
    expect(saved.version).toBe(version);
    expect(saved.mode).toBe('round_trip');
    expect(saved.configuration).toMatchObject({
      source: 'cube',
      n: 125,
      model: 'vector',
      dim: 3,
      epsilon: 0.004,
      softening: 0,
    });
    expect(saved.configuration.radius_m).toBeCloseTo(2.8179403262e-15 / 0.004, 25);
    expect(saved.positions).toHaveLength(375);
    expect(saved.velocities).toHaveLength(375);
    expect(saved.momenta).toHaveLength(375);
    expect(saved.iterations).toBe(iterations);
    expect(saved.history).toHaveLength(iterations + 1);
    expect(saved.reason).toBe('converged_rtol');
    expect(saved.velocity_pattern).toBe('alternating');
    expect(saved.tolerance).toBe(1e-5);
    // Checked against the dense float64 M: its true residual is float64's, as shown.
    expect(saved.true_residual_product).toBe('float64');
    expect(await shownValue(page, 'solve-true-residual')).toBe(saved.true_relative_residual);

    const csv = await downloaded(page, '[data-action="downloadCsv"] button', 'result.csv');
    const lines = csv.text.trim().split('\n');
    expect(lines[0]).toBe('x,y,z,vx,vy,vz,px,py,pz');
    expect(lines).toHaveLength(126);

    // A fresh page (which ran its own default scenario) loads the saved result.
    const other = await open();
    await settled(other.page);
    await loadResult(other.page, 'result.json', json.text);
    expect(await status(other.page)).toBe('converged');
    expect(await other.page.locator('[data-field="source"] select').inputValue()).toBe('cube');
    expect(await shownValue(other.page, 'solve-iterations')).toBe(iterations);
    expect(await other.page.locator('#solve-reason').getAttribute('data-reason')).toBe('converged_rtol');
    // The residual plot's dashed line at the file's tolerance, not at the default run's 1e-6 before it.
    expect(await other.page.locator('#residual-plot').getAttribute('data-tolerance')).toBe('0.00001');
    // The file's check against float64, as saved.
    expect(saved.check.momenta).toBeLessThan(kGpuTolerance);
    expect(await shownValue(other.page, 'check-momenta')).toBe(saved.check.momenta);
    expect(await shownValue(other.page, 'check-velocities')).toBe(saved.check.velocities);
    expect(await drawnFraction(other.page)).toBeGreaterThan(kMinimumDrawn);
    await screenshot(other.page, '6-loaded-json');
    // Its true residual met the tolerance; one over it (float32's floor under a met recursion) is red.
    const trueResidualClass = () => other.page.locator('#solve-true-residual').getAttribute('class');
    expect(await trueResidualClass()).toBe('');
    await loadResult(other.page, 'over.json', JSON.stringify({ ...saved, true_relative_residual: 2e-5 }));
    expect(await trueResidualClass()).toBe('bad');
    // Said in words beside it, not by the colour (or a tooltip) alone.
    expect(await shownText(other.page, 'solve-true-residual')).toBe(
      '2.000e-5 > tol 1.0e-5, which the recursive residual met: float32 stops near cond(M)·2⁻²⁴; a ' +
        'tolerance below 1e-6 refines in float64',
    );
    // One of the GPU's float32 product (an unchecked run) says so beside it.
    const float32 = { ...saved, true_residual_product: 'float32' };
    await loadResult(other.page, 'float32.json', JSON.stringify(float32));
    expect(await shownText(other.page, 'solve-true-residual')).toMatch(/^\S+ \(float32 M v\)$/);

    // The CSV, chosen in the dialog, gives its positions: the cube's, as a positions file; the page
    // says that its velocities and momenta stay unread.
    expect(await loadFile(other.page, 'result.csv', csv.text)).toBe(
      'Loaded 125 positions from result.csv, not its velocities and momenta (the JSON download loads a result back whole).',
    );
    expect(await other.page.locator('[data-field="source"] select').inputValue()).toBe('positions file');
    expect(await other.page.locator('[data-field="n"] input').inputValue()).toBe('125');
    // Another command's JSON has no configuration to rebuild: said in one line, the page as it was.
    expect(await loadFile(other.page, 'spectrum.json', '{"command": "spectrum", "lambda_max": 1.5}')).toBe(
      "spectrum.json is spectrum's JSON: the page loads a solve's (solve --out FILE.json, or its own " +
        "download) and the Studies cards' files",
    );
    expect(await other.page.locator('[data-field="n"] input').inputValue()).toBe('125');
    expect(errors).toEqual([]);
    expect(other.errors).toEqual([]);
  });

  test('a round trip that does not converge shows the energies of its given v, as its JSON says', async () => {
    // eps = 0.5 makes M indefinite for 300 electrons on a sphere: the solve back stops short, far
    // from v, while p = M v of the given (random, seed 1) v is exact.
    const { page, errors } = await open('?geometry=sphere&n=300&eps=0.5&velocity=random&seed=1&run=solve');
    await settled(page);
    const json = await downloaded(page, kDownloadJson, 'indefinite.json');
    const saved = JSON.parse(json.text);
    expect(saved.converged).toBe(false);
    const given = velocityPattern(
      { configuration: geometry('sphere', 300), model: 'vector', dim: 3, epsilon: 0.5, softening: 0 },
      'random',
      1,
    );
    // D = I in the vector model: T0 = |v|^2 / 2 of the given v, in float32 as the GPU holds it.
    const kinetic = given.reduce((sum, x) => sum + Math.fround(x) ** 2, 0) / 2;
    expect(saved.energies.kinetic).toBeCloseTo(kinetic, 4);
    for (const page_ of [page, (await open()).page]) {
      if (page_ !== page) {
        await settled(page_);
        await loadResult(page_, 'indefinite.json', json.text);
      }
      expect(await shownValue(page_, 'energy-kinetic')).toBe(saved.energies.kinetic);
      expect(await shownValue(page_, 'energy-darwin')).toBe(saved.energies.darwin);
      expect(await shownValue(page_, 'energy-total')).toBe(saved.energies.total);
      expect(await shownValue(page_, 'inertia-ratio')).toBe(saved.inertia_ratio);
    }
    expect(errors).toEqual([]);
  });

  test("max iterations bounds a Spectrum's Lanczos products, as the CLI's spectrum --max-iter does", async () => {
    // `spectrum --geometry sphere --n 100 --epsilon 0.001 --max-iter 2 --seed 7 --basis 24`:
    // iterations 2, diverged_max_it, from the start vector of seed 7.
    const { page, errors } = await app.open(
      '?n=100&geometry=sphere&eps=0.001&matrix=free&run=spectrum&max_iter=2&lanczos_seed=7&lanczos_basis=24',
    );
    expect(await settled(page)).toBe('failed');
    expect(await shownValue(page, 'spectrum-steps')).toBe(2);
    expect(await page.locator('#spectrum-reason').getAttribute('data-reason')).toBe('diverged_max_it');
    expect(await shownText(page, 'spectrum-reason')).toBe('not converged: iteration limit reached');
    // Saved and loaded on another page, the spectrum alone sets the limit, the storage M had, and
    // the spectrum's basis and seed, so that its Spectrum is the saved one, bit for bit.
    const file = await downloaded(page, kDownloadJson, 'spectrum-max-iter.json');
    const saved = JSON.parse(file.text);
    expect([saved.spectrum.seed, saved.spectrum.basis]).toEqual([7, 24]);
    const other = await openIdle('?n=10&run=none');
    // Said to have run elsewhere, on the CPU (--device cpu): the message says that a rerun takes the
    // page's GPU, which no field carries; the spectrum run again is saved as the page's own, where
    // it ran.
    const elsewhere = { ...saved, device: { kind: 'cpu', description: 'float64 CPU reference' } };
    expect(await loadFile(other.page, 'spectrum-max-iter.json', JSON.stringify(elsewhere))).toBe(
      "Loaded 100 electrons and their result from spectrum-max-iter.json; a rerun here takes the page's " +
        "device gpu, not the file's device cpu.",
    );
    const link = new URL(other.page.url()).searchParams;
    expect(['matrix', 'max_iter', 'lanczos_seed', 'lanczos_basis'].map((key) => link.get(key))).toEqual([
      'free',
      '2',
      '7',
      '24',
    ]);
    expect(await other.page.locator('[data-field="lanczosSeed"] input').inputValue()).toBe('7');
    expect(await runAction(other.page, 'spectrum')).toBe('failed');
    const again = JSON.parse(
      (await downloaded(other.page, kDownloadJson, 'spectrum-max-iter-again.json')).text,
    );
    expect([again.device, again.matrix]).toEqual([saved.device, 'free']);
    expect(again.spectrum.device).toBeUndefined();
    expect([again.spectrum.seed, again.spectrum.basis]).toEqual([7, 24]);
    expect([again.spectrum.iterations, again.spectrum.lambda_min, again.spectrum.lambda_max]).toEqual([
      2,
      saved.spectrum.lambda_min,
      saved.spectrum.lambda_max,
    ]);
    expect(await shownValue(other.page, 'lambda-max')).toBe(saved.spectrum.lambda_max);
    // From the default start vector (seed 1) its two products reach other Ritz values: the seed the
    // file names is what reproduces it.
    await typeField(other.page, 'lanczosSeed', '1');
    expect(await runAction(other.page, 'spectrum')).toBe('failed');
    expect(await shownValue(other.page, 'lambda-max')).not.toBe(saved.spectrum.lambda_max);
    expect(errors).toEqual([]);
    expect(other.errors).toEqual([]);
  });

  test('a solve exact at its first step (eps = 0) still draws its residual history, one point', async () => {
    const { page, errors } = await open('?geometry=ring&n=64&eps=0&velocity=uniform&run=solve');
    expect(await settled(page)).toBe('converged');
    // The history is 1 then exactly 0, which a log axis cannot hold: the 1 alone is drawn, as a dot.
    expect(await shownValue(page, 'solve-residual')).toBe(0);
    // The residual's colour (#7fd3ff): the tolerance's dashed line is drawn in another.
    expect(await colourFraction(page, '#residual-plot canvas', [0x7f, 0xd3, 0xff])).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });

  test("Momenta after a Solve: the stage times and the JSON's timing are the product's alone", async () => {
    const { page, errors } = await open('?n=300&velocity=random&run=solve');
    expect(await settled(page)).toBe('converged');
    expect(await shownValue(page, 'time-solve')).toBeGreaterThan(0);
    expect(await runAction(page, 'momenta')).toBe('converged');
    expect(await shownText(page, 'time-solve')).toBe('–');
    expect(await shownValue(page, 'time-momenta')).toBeGreaterThan(0);
    const saved = JSON.parse((await downloaded(page, kDownloadJson, 'momenta.json')).text);
    expect(saved.mode).toBe('momenta');
    expect(saved.timing_ms).not.toHaveProperty('solve_ms');
    expect(saved.timing_ms.matvec_ms).toBe(await shownValue(page, 'time-momenta'));
    expect(errors).toEqual([]);
  });

  test('Momenta after a Solve: the mode row says what ran, and the emptied plot keeps no iteration axis', async () => {
    const { page, errors } = await openIdle('?geometry=sphere&n=200&eps=0.01&velocity=random&run=none');
    const axisEnd = async () =>
      Number(await page.locator('#residual-plot').getAttribute('data-iterations-shown'));
    expect(await runAction(page, 'solve')).toBe('converged');
    const iterations = Number(await shownText(page, 'solve-iterations'));
    expect(iterations).toBeGreaterThan(3);
    expect(await axisEnd()).toBeGreaterThanOrEqual(iterations);
    expect(await page.locator('#solve-reason').getAttribute('data-reason')).toBe('converged_rtol');
    expect(await runAction(page, 'momenta')).toBe('converged');
    expect(await shownText(page, 'solve-mode')).toBe('momenta: p = M v of the given v, no solve');
    // No solve ran: its reason row is empty, and so is the reason the page exposes.
    expect(await shownText(page, 'solve-reason')).toBe('–');
    expect(await page.locator('#solve-reason').getAttribute('data-reason')).toBeNull();
    expect(await axisEnd()).toBeLessThanOrEqual(1);
    expect(errors).toEqual([]);
  });

  test('a binary file given to load is refused as such, and the page keeps its state and results', async () => {
    const { page, errors } = await open('?n=200&run=spectrum');
    expect(await settled(page)).toBe('converged');
    const [url, velocity, lambdaMax] = [
      page.url(),
      await page.locator('[data-field="velocity"] select').inputValue(),
      await shownValue(page, 'lambda-max'),
    ];
    // An .npz's first bytes: a zip archive's local file header.
    expect(await loadFile(page, 'result.npz', 'PK\u0003\u0004\u0014\u0000\u0000\u0000px')).toBe(
      'result.npz: not a text CSV but a zip archive (an .npz file?)',
    );
    expect(page.url()).toBe(url);
    expect(await page.locator('[data-field="velocity"] select').inputValue()).toBe(velocity);
    expect(await shownValue(page, 'lambda-max')).toBe(lambdaMax);
    expect(errors).toEqual([]);
  });

  test('a velocities CSV refused for its rows or a value changes nothing: the pattern, the link, the next Solve', async () => {
    const { page, errors } = await openIdle('?n=10&run=none');
    const pattern = () => page.locator('[data-field="velocity"] select').inputValue();
    const rigid = await pattern();
    const rows = (count: number, bad = -1) =>
      ['vx,vy,vz', ...Array.from({ length: count }, (_, k) => (k === bad ? 'nan,0,0' : `${k},0,0`))].join(
        '\n',
      );
    expect(await loadFile(page, 'vel9.csv', rows(9))).toContain('vel9.csv');
    expect(await loadFile(page, 'velnan.csv', rows(10, 4))).toContain('velnan.csv');
    expect(await pattern()).toBe(rigid);
    expect(page.url()).not.toContain('velocity=file');
    expect(await runAction(page, 'solve')).toBe('converged');
    // A good file still switches to it.
    expect(await loadFile(page, 'vel10.csv', rows(10))).toBe('Loaded velocities from vel10.csv.');
    expect(page.url()).toContain('velocity=file');
    expect(errors).toEqual([]);
  });

  test('a refused file is said beside Files › load, in words that say what the file lacks', async () => {
    const { page, errors } = await openIdle('?n=10&run=none');
    // solve --json's summary: a solve's configuration without the arrays --out writes.
    const summary = { command: 'solve', configuration: { n: 10, model: 'vector', dim: 3, epsilon: 0.01 } };
    expect(await loadFile(page, 'summary.json', JSON.stringify(summary))).toBe(
      'summary.json: no "positions": solve --json prints no arrays, save the run with solve --out FILE.json',
    );
    expect(await fieldError(page, 'files').textContent()).toContain('solve --out FILE.json');
    expect(await fieldError(page, 'actions').count()).toBe(0);
    expect(await loadFile(page, 'larmor.json', '{"command":"larmor","device":{"kind":"cpu"}}')).toBe(
      'larmor.json: not a Larmor ring as larmor --json writes it (no "ring" "n", "b_tesla", "radius_m")',
    );
    expect(await fieldError(page, 'files').count()).toBe(1);
    expect(errors).toEqual([]);
  });

  test('a loaded spectrum is shown: λ_min, λ_max, the collective parameter and what M is', async () => {
    const first = await open('?geometry=ball&n=200&eps=0.003&run=spectrum');
    expect(await settled(first.page)).toBe('converged');
    const download = await downloaded(first.page, kDownloadJson, 'spectrum.json');
    const saved = JSON.parse(download.text);
    expect(saved.mode).toBeNull();
    expect(saved.spectrum).toMatchObject({ converged: true, indefinite: false });
    expect(saved.spectrum.lambda_min).toBe(await shownValue(first.page, 'lambda-min'));

    const { page, errors } = await openIdle('?n=10&run=none');
    const load = (name: string, result: unknown) => loadResult(page, name, toJson(result));
    await load('spectrum.json', saved);
    expect(await page.locator('[data-field="source"] select').inputValue()).toBe('ball');
    expect(await shownValue(page, 'lambda-min')).toBe(saved.spectrum.lambda_min);
    expect(await shownValue(page, 'lambda-max')).toBe(saved.spectrum.lambda_max);
    expect(await shownValue(page, 'collective')).toBe(saved.spectrum.collective_parameter);
    expect(await shownValue(page, 'condition')).toBe(saved.spectrum.condition_number);
    expect(await shownValue(page, 'spectrum-steps')).toBe(saved.spectrum.iterations);
    expect(await page.locator('#definiteness').getAttribute('data-indefinite')).toBe('false');
    expect(await shownText(page, 'definiteness')).toBe('positive definite');
    // No solve in the file: none is shown.
    expect(await shownText(page, 'solve-mode')).toBe('–');

    // A spectrum that ended short of convergence: its λ_min > 0 only bounds the true one from above.
    await load('unconverged.json', {
      ...saved,
      spectrum: { ...saved.spectrum, converged: false, reason: 'diverged_max_it' },
    });
    expect(await shownValue(page, 'lambda-min')).toBe(saved.spectrum.lambda_min);
    expect(await page.locator('#definiteness').getAttribute('data-indefinite')).toBeNull();
    expect(await page.locator('#definiteness').getAttribute('data-definiteness')).toBe('not established');
    expect(await shownText(page, 'definiteness')).toMatch(
      /^positive definiteness not established \(not converged\)/,
    );

    // The check's value is marked by its own target from the file: float32's 1e-5 for the dense
    // check's eigenvalues, 10 max(tol, ...) for a sampled check's Ritz residuals, none without targets.
    const checkClass = () => page.locator('#check-spectrum').getAttribute('class');
    expect(saved.spectrum.check.targets).toEqual({ eigenvalues: 1e-5 });
    await load('checked.json', saved);
    expect(await shownValue(page, 'check-spectrum')).toBe(saved.spectrum.check.max_relative_error);
    expect(await checkClass()).toBe('good');
    const checked = (check: Record<string, unknown>) => ({
      ...saved,
      spectrum: { ...saved.spectrum, check },
    });
    const over = { ...saved.spectrum.check, max_relative_error: 5e-5, lambda_min: 5e-5 };
    await load('over.json', checked(over));
    expect(await shownValue(page, 'check-spectrum')).toBe(5e-5);
    expect(await checkClass()).toBe('bad');
    // The target beside the error, since it depends on N and on refinement.
    expect(await shownText(page, 'check-spectrum')).toBe('5.00e-5 > 1.0e-5');
    const sampled = { max_relative_error: 5e-5, residual_min: 5e-5, residual_max: 1e-7 };
    await load('sampled.json', checked({ ...sampled, targets: { residual: 1e-3 }, sampled_electrons: 256 }));
    expect(await checkClass()).toBe('good');
    expect(await shownText(page, 'check-spectrum')).toBe('5.00e-5 ≤ 1.0e-3');
    await load('untargeted.json', checked({ ...over, targets: undefined }));
    expect(await shownValue(page, 'check-spectrum')).toBe(5e-5);
    expect(await checkClass()).toBe('');
    expect(await shownText(page, 'check-spectrum')).toBe('5.00e-5');
    expect(first.errors).toEqual([]);
    expect(errors).toEqual([]);
  });

  test('a spectrum alone downloads its float64 check and no solve, and saves again once loaded', async () => {
    // The unit ring in the azimuthal model: D^-1/2 M D^-1/2 = I + eps V, V circulant (eq. 31).
    const n = 64;
    const epsilon = 1e-3;
    const first = await app.open(
      `?geometry=ring&n=${n}&model=azimuthal&eps=${epsilon}&lanczos_tol=1e-5&run=spectrum`,
    );
    expect(await settled(first.page)).toBe('converged');
    const shownCheck = await shownValue(first.page, 'check-spectrum');
    const file = await downloaded(first.page, kDownloadJson, 'spectrum-alone.json');
    // Named by its system, eps in its shortest form.
    expect(file.name).toBe(`darwin-breit-ring-n${n}-eps${epsilon}.json`);
    const saved = JSON.parse(file.text);
    expect(saved).toMatchObject({
      command: 'solve',
      mode: null,
      converged: null,
      iterations: 0,
      check: null,
    });
    // The spectrum's keys as `spectrum` writes them: the tolerance asked, the restarts, and that
    // float32's Ritz values met it unrefined.
    expect(saved.spectrum).toMatchObject({
      tolerance: 1e-5,
      restarts: 0,
      refined: false,
      ritz_residual_min: null,
      ritz_residual_max: null,
    });

    // The check the page shows, in the CLI's spectrum shape: errors of the GPU's extremes against the
    // float64 reference, of I + V where Lanczos ran (M at eps = 1: theta = 1 + mu, lambda = 1 + eps mu),
    // relative to its largest |theta|, which the closed form gives here.
    const { check } = saved.spectrum;
    expect(check.max_relative_error).toBe(shownCheck);
    expect(check.max_relative_error).toBe(Math.max(check.lambda_min, check.lambda_max));
    expect(check.targets).toEqual({ eigenvalues: float32CheckTargets(n).eigenvalues });
    const circulant = Array.from(ringCirculantEigenvalues(n));
    const [thetaMin, thetaMax] = [1 + Math.min(...circulant), 1 + Math.max(...circulant)];
    const scale = Math.max(Math.abs(thetaMin), Math.abs(thetaMax));
    const theta = (lambda: number) => 1 + (lambda - 1) / epsilon;
    expect(
      Math.abs(check.lambda_max - Math.abs(theta(saved.spectrum.lambda_max) - thetaMax) / scale),
    ).toBeLessThan(1e-9);
    expect(
      Math.abs(check.lambda_min - Math.abs(theta(saved.spectrum.lambda_min) - thetaMin) / scale),
    ).toBeLessThan(1e-9);
    expect(check.max_relative_error).toBeLessThan(float32CheckTargets(n).eigenvalues);

    // Loaded on another page: its check is shown again, and the JSON download gives the same file.
    const other = await openIdle('?n=10&run=none');
    expect(await other.page.locator(kDownloadJson).isDisabled()).toBe(true);
    expect(await loadFile(other.page, 'spectrum-alone.json', file.text)).toContain('their result');
    expect(await shownValue(other.page, 'check-spectrum')).toBe(check.max_relative_error);
    // Its tolerance in the field, so that the link's Spectrum is the saved one.
    expect(await other.page.locator('[data-field="lanczosTolerance"] input').inputValue()).toBe('0.00001');
    expect(await other.page.locator(kDownloadJson).isDisabled()).toBe(false);
    const again = await downloaded(other.page, kDownloadJson, 'spectrum-alone-again.json');
    expect(JSON.parse(again.text)).toEqual(saved);
    expect(first.errors).toEqual([]);
    expect(other.errors).toEqual([]);
  });

  test('Spectrum after a loaded solve keeps the solve: shown, and in the download beside the spectrum', async () => {
    const first = await app.open('?geometry=ring&n=32&model=azimuthal&eps=1e-3&run=solve');
    expect(await settled(first.page)).toBe('converged');
    const kinetic = await shownValue(first.page, 'energy-kinetic');
    const solved = JSON.parse((await downloaded(first.page, kDownloadJson, 'ring-solve.json')).text);
    expect(solved.mode).toBe('round_trip');

    // As the float64 CPU's `solve --out` of a version that did not record itself would write it:
    // the page's Spectrum then runs elsewhere, and by another version.
    const cpu = { kind: 'cpu', description: 'float64 CPU reference' };
    const loaded = { ...solved, version: undefined, device: cpu };
    const other = await openIdle('?n=10&run=none');
    expect(await loadFile(other.page, 'ring-solve.json', JSON.stringify(loaded))).toContain('their result');
    expect(await runAction(other.page, 'spectrum')).toBe('converged');
    // The loaded solve stays shown beside the spectrum the page ran.
    expect(await shownValue(other.page, 'energy-kinetic')).toBe(kinetic);
    expect(await shownText(other.page, 'solve-reason')).not.toBe('–');
    const lambdaMax = await shownValue(other.page, 'lambda-max');
    const saved = JSON.parse(
      (await downloaded(other.page, kDownloadJson, 'ring-solve-and-spectrum.json')).text,
    );
    expect(saved.mode).toBe('round_trip');
    expect(saved.velocities).toEqual(solved.velocities);
    expect(saved.momenta).toEqual(solved.momenta);
    expect(saved.energies).toEqual(solved.energies);
    expect(saved.spectrum.lambda_max).toBe(lambdaMax);
    // The file's version (none) and device are its solve's; the spectrum names its own, the page's
    // version and GPU, and its M.
    expect(saved).not.toHaveProperty('version');
    expect(saved.device).toEqual(cpu);
    expect(saved.spectrum).toMatchObject({ version, device: solved.device, matrix: solved.matrix });
    expect(Object.keys(saved.spectrum).slice(0, 4)).toEqual(['version', 'device', 'matrix', 'tolerance']);
    expect(first.errors).toEqual([]);
    expect(other.errors).toEqual([]);
  });

  test("loaded files written elsewhere: a formula geometry from Node's Math.sin, ε = 0 with no R, a solve from given momenta", async () => {
    const { page, errors } = await openIdle('?n=10&run=none');
    const load = async (name: string, system: DarwinSystem) => {
      // What the CLI's solve --out writes for this system (src/run/report.ts), its positions from
      // Node's Math.sin and Math.cos, which may differ from Chromium's in the last bit.
      const context = {
        device: { kind: 'cpu' as const },
        matrix: 'dense',
        radiusMetres: radiusFromEpsilon(system.epsilon),
        timing: {},
      };
      await loadResult(page, name, toJson(solveJson(system, null, context, { arrays: true })));
    };
    const system = (source: 'disk' | 'sphere', n: number, epsilon: number): DarwinSystem => ({
      configuration: geometry(source, n),
      model: 'vector',
      dim: 3,
      epsilon,
      softening: 0,
    });

    await load('cli-disk.json', system('disk', 150, 0.005));
    expect(await page.locator('[data-field="source"] select').inputValue()).toBe('disk');
    expect(new URL(page.url()).searchParams.get('geometry')).toBe('disk');

    // At ε = 0, R is infinite (null in the JSON): shown as ∞, which the field takes back, N r_e/R = 0.
    await load('eps0.json', system('sphere', 50, 0));
    expect(await page.locator('[data-field="epsilon"] input').inputValue()).toBe('0');
    expect(await page.locator('[data-field="radiusMetres"] input').inputValue()).toBe('∞');
    expect(await page.locator('[data-field="collective"] input').inputValue()).toBe('0.000');
    expect(await shownValue(page, 'n-epsilon')).toBe(0);
    // Typed back after another R, ∞ is ε = 0 again, with no refusal.
    await typeField(page, 'radiusMetres', '1e-6');
    expect(await page.locator('[data-field="epsilon"] input').inputValue()).not.toBe('0');
    await typeField(page, 'radiusMetres', '∞');
    expect(await page.locator('[data-field="epsilon"] input').inputValue()).toBe('0');
    expect(await fieldError(page, 'radiusMetres').count()).toBe(0);

    // A solve of M v = p from given momenta (solve --momenta: mode velocities) holds the solved v
    // beside them; run again, it solves from the file's momenta, its input, not round trip from v.
    const disk = system('disk', 50, 0.01);
    const backend = cpuBackend(disk);
    const request = { pattern: null, seed: null, solver: 'cg', rtol: 1e-8 } as const;
    const given = await runSolve(disk, backend, {
      ...request,
      mode: 'momenta',
      given: velocityPattern(disk, 'rigid'),
    });
    const solved = await runSolve(disk, backend, { ...request, mode: 'velocities', given: given.momenta });
    backend.dispose();
    const context = {
      device: { kind: 'cpu' as const },
      matrix: 'dense',
      radiusMetres: radiusFromEpsilon(0.01),
      timing: {},
    };
    const momentaJson = solveJson(disk, solved, context, { arrays: true });
    // After a file whose run set the tree, its tolerance and a seed, one that decides none of them
    // (a CPU dense M, no pattern) leaves none: its own storage and the defaults.
    const field = (name: string) =>
      page.locator(`[data-field="${name}"] input, [data-field="${name}"] select`);
    const treeRun = {
      ...momentaJson,
      matrix: 'tree',
      tree: { tolerance: 1e-3 },
      velocity_pattern: 'random',
      seed: 5,
    };
    await loadResult(page, 'tree.json', toJson(treeRun));
    expect([await field('matrix').inputValue(), await field('treeTolerance').inputValue()]).toEqual([
      'tree (fast multipole)',
      '0.001',
    ]);
    expect(await field('seed').inputValue()).toBe('5');
    await loadResult(page, 'momenta.json', toJson(momentaJson));
    expect(await field('matrix').inputValue()).toBe('dense (stored)');
    expect(await field('treeTolerance').inputValue()).toBe(String(kDefaultTreeTolerance));
    expect(await field('seed').inputValue()).toBe('1');
    expect(await page.locator('[data-field="quantityFile"] input').inputValue()).toBe(
      'momenta.json (momenta)',
    );
    expect(await runAction(page, 'solve')).toBe('converged');
    const rerun = JSON.parse((await downloaded(page, kDownloadJson, 'momenta-rerun.json')).text);
    expect(rerun.mode).toBe('velocities');
    expect(rerun.momenta).toEqual(Array.from(given.momenta));
    expect(errors).toEqual([]);
  });

  test('the cached M after a preview: storage, memory and build time shown, not "not built"', async () => {
    const { page, errors } = await open();
    expect(await settled(page)).toBe('converged');
    const storage = await shownText(page, 'matrix-storage');
    const memory = await shownValue(page, 'matrix-memory');
    const assembleMs = await shownValue(page, 'time-build');
    expect(storage).not.toMatch(/^not built/);
    expect(memory).toBeGreaterThan(0);
    expect(assembleMs).toBeGreaterThan(0);
    const expectCachedM = async () => {
      expect(await shownText(page, 'matrix-storage')).toBe(storage);
      expect(await shownValue(page, 'matrix-memory')).toBe(memory);
      expect(await shownValue(page, 'time-build')).toBe(assembleMs);
      expect(await shownText(page, 'time-build')).toMatch(/^cached \(.* ms when built\)$/);
    };

    // Another configuration and back: the preview says "not built", and the Solve reuses M.
    await chooseOption(page, 'source', 'ring');
    await chooseOption(page, 'source', 'sphere');
    expect(await shownText(page, 'matrix-storage')).toBe('not built (auto)');
    expect(await runAction(page, 'solve')).toBe('converged');
    await expectCachedM();

    // Velocities from a CSV: the same M again.
    const rows = Array.from({ length: 500 }, (_, i) => `${Math.cos(i)},${Math.sin(i)},0`);
    expect(await loadFile(page, 'v.csv', ['vx,vy,vz', ...rows].join('\n'))).toContain('Loaded velocities');
    expect(await shownText(page, 'matrix-storage')).toBe('not built (auto)');
    expect(await runAction(page, 'solve')).toBe('converged');
    await expectCachedM();
    expect(errors).toEqual([]);
  });

  test('new velocities chosen during a solve: its stale results are cleared when it ends, and it says so', async () => {
    const { page, errors } = await openIdle(
      '?geometry=sphere&n=1000&eps=0.01&velocity=random&seed=1&tol=1e-12&check=0&run=none',
    );
    // The new pattern and seed in the click's task: they come while the solve of seed 1, which awaits
    // its first GPU work, is still going on.
    const finished = await startAction(page, 'solve', () => {
      const pattern = document.querySelector<HTMLSelectElement>('[data-field="velocity"] select')!;
      for (const label of ['alternating', 'random']) {
        pattern.selectedIndex = [...pattern.options].findIndex((option) => option.textContent === label);
        pattern.dispatchEvent(new Event('change'));
      }
      const seed = document.querySelector<HTMLInputElement>('[data-field="seed"] input')!;
      seed.value = '42';
      seed.dispatchEvent(new Event('input'));
      seed.dispatchEvent(new Event('change'));
      document.body.dataset.statusAlongside = document.body.dataset.status;
    });
    expect(await page.evaluate(() => document.body.dataset.statusAlongside)).toBe('running');
    // Not 'converged' over a page that shows nothing of the run: it says why, and is ready again.
    expect(await finished()).toBe('idle');
    expect(await shownText(page, 'message')).toBe(
      'The fields changed during the run, so its results, which were of the old values, are cleared: run again.',
    );
    expect(new URL(page.url()).searchParams.get('seed')).toBe('42');
    expect(await page.locator('[data-field="seed"] input').inputValue()).toBe('42');
    // Nothing of seed 1 is left under the label of seed 42: no solve, no energies, no download.
    expect(await shownText(page, 'solve-reason')).toBe('–');
    expect(await shownText(page, 'solve-iterations')).toBe('–');
    expect(await shownText(page, 'energy-kinetic')).toBe('–');
    expect(await page.locator(kDownloadJson).isDisabled()).toBe(true);
    expect(errors).toEqual([]);
  });

  test('bad input is refused next to its field, never as a console error', async () => {
    const { page, errors } = await open();
    await settled(page);
    await typeField(page, 'n', 'abc');
    await expect.poll(() => fieldError(page, 'n').textContent()).toContain('N needs a finite number');
    await page.locator('[data-action="solve"] button').click();
    expect(await shownText(page, 'message')).toBe(
      'Fix first (the reason is under the field): N electrons in Configuration.',
    );
    await typeField(page, 'n', '-3');
    await expect.poll(() => fieldError(page, 'n').textContent()).toContain('integer >= 1');
    await typeField(page, 'n', '400');
    expect(await fieldError(page, 'n').count()).toBe(0);
    await typeField(page, 'epsilon', '-1e-3');
    await expect.poll(() => fieldError(page, 'epsilon').textContent()).toContain('must be >= 0');
    await typeField(page, 'epsilon', '1e-3');
    // A sphere is not planar: the 2D vector model refuses it, by the dim field, as soon as it is
    // chosen (the preview asks), and the run is refused the same way.
    await chooseOption(page, 'dim', '2 (needs z = 0)');
    await expect.poll(() => fieldError(page, 'dim').textContent()).toContain('needs z = 0');
    expect(await shownText(page, 'message')).toMatch(/^the 2D vector model needs z = 0, but electron \d+/);
    expect(await runAction(page, 'solve')).toBe('failed');
    expect(await fieldError(page, 'dim').textContent()).toContain('needs z = 0');
    // Back to 3 components: the refusal is withdrawn with the next preview, field and message.
    await chooseOption(page, 'dim', '3');
    await expect.poll(() => fieldError(page, 'dim').count()).toBe(0);
    expect(await shownText(page, 'message')).toBe('');
    await chooseOption(page, 'dim', '2 (needs z = 0)');
    await screenshot(page, '7-bad-input');
    expect(errors).toEqual([]);
  });

  test('refusals go once their fields are fixed: N < h is marked as soon as it is left, and "fix the fields" once all parse', async () => {
    const { page, errors } = await openIdle('?run=none');
    await chooseOption(page, 'londonGeometry', 'cylinder');
    await typeField(page, 'londonHalfHeight', '5');
    await typeField(page, 'londonN', '3');
    // Marked before any Run.
    expect(await fieldError(page, 'londonN').textContent()).toContain(
      'must be at least h = 5 for a cylinder',
    );
    expect(await runAction(page, 'london')).toBe('failed');
    expect(await shownText(page, 'message')).toContain('must be at least h = 5 for a cylinder');
    // Fixed by the other field: the mark and the message go.
    await typeField(page, 'londonHalfHeight', '2');
    await expect.poll(() => fieldError(page, 'londonN').count()).toBe(0);
    expect(await shownText(page, 'message')).toBe('');

    // The response spec's refusal of the 2D model off the plane, gone once the disk (z = 0) is chosen.
    await chooseOption(page, 'responseDim', '2 (needs z = 0)');
    expect(await runAction(page, 'response')).toBe('failed');
    const refusal = await shownText(page, 'message');
    expect(refusal).not.toBe('');
    expect(await page.locator('[data-error-for^="response"]').count()).toBe(1);
    await chooseOption(page, 'responseGeometry', 'disk');
    await expect.poll(() => shownText(page, 'message')).toBe('');
    expect(await page.locator('[data-error-for^="response"]').count()).toBe(0);

    // A field that does not parse holds every run back; once it parses, the call to fix it goes.
    await typeField(page, 'epsilon', 'abc');
    await page.locator('[data-action="solve"] button').click();
    expect(await shownText(page, 'message')).toBe(
      'Fix first (the reason is under the field): ε = r_e / R in Configuration.',
    );
    await typeField(page, 'epsilon', '0.01');
    expect(await shownText(page, 'message')).toBe('');
    expect(errors).toEqual([]);
  });

  test("'abc' in ε refuses Solve, not Pairing, which reads no field", async () => {
    const { page, errors } = await openIdle('?n=10&run=none');
    await typeField(page, 'epsilon', 'abc');
    await page.locator('[data-action="solve"] button').click();
    expect(await shownText(page, 'message')).toBe(
      'Fix first (the reason is under the field): ε = r_e / R in Configuration.',
    );
    expect(await runAction(page, 'pairing')).toBe('converged');
    expect(await page.locator('#pairing-au-eq46').getAttribute('data-value')).not.toBeNull();
    expect(errors).toEqual([]);
  });

  test('a hostile link: every bad or repeated parameter ends in a field error, not a blank page', async () => {
    const { page, errors } = await open(
      '?n=-5&eps=1e999&dim=7&model=vector&model=azimuthal&softening=abc&tol=2&colour=%00&bogus=1',
    );
    expect(await settled(page)).not.toBe('loading');
    for (const [field, message] of [
      ['n', 'integer >= 1'],
      ['epsilon', 'finite number'],
      ['dim', 'must be one of 2, 3'],
      ['model', 'model is given 2 times in the link'],
      ['softening', 'finite number'],
      ['tolerance', 'must be in [1e-14, 1)'],
      ['colourBy', 'colour must be one of'],
    ] as const) {
      await expect.poll(() => fieldError(page, field).textContent()).toContain(message);
    }
    // The page is there to be fixed: the panel, the canvas, and a message saying what happened,
    // naming the unknown parameter (bogus=1), which has no field to mark, and the keys a link may hold.
    expect(await page.locator('canvas').count()).toBeGreaterThan(0);
    const message = await shownText(page, 'message');
    expect(message).toMatch(
      /^The link has values this page cannot use, each refused under its field; defaults are in force\. The link's parameter 'bogus' is unknown and ignored; a link may hold geometry, n, /,
    );
    expect(errors).toEqual([]);
  });

  test('a link with a mistyped key: a notice naming it and the known keys, and nothing run', async () => {
    const { page, errors } = await openIdle('?geometry=sphere&nn=100&eps=0.01&run=solve');
    const message = await shownText(page, 'message');
    expect(message).toContain("The link's parameter 'nn' is unknown and ignored; a link may hold ");
    expect(message).toContain(', n, ');
    expect(message).toMatch(/Nothing was run\.$/);
    expect(errors).toEqual([]);
  });

  test('a lost device: the page acquires a new one, and the next run works and draws', async () => {
    const { page, errors } = await open('?geometry=sphere&n=200&eps=0.01&velocity=rigid&run=solve');
    expect(await settled(page)).toBe('converged');
    // As a driver reset would: the page's test hook destroys its device (src/app/main.ts).
    await page.evaluate(() =>
      (window as unknown as { __darwinBreit: { loseDevice(): void } }).__darwinBreit.loseDevice(),
    );
    await page.waitForFunction(() => document.body.dataset.status === 'idle');
    expect(await shownText(page, 'message')).toBe(
      'The GPU device was lost (destroyed while in use); a new device is in use: run again.',
    );
    expect(await runAction(page, 'solve')).toBe('converged');
    await expectConvergedSolve(page, 1e-6);
    expect(await drawnFraction(page)).toBeGreaterThan(kMinimumDrawn);
    await screenshot(page, '9-new-device');
    expect(errors).toEqual([]);
  });

  test('a device lost in the middle of a run: it fails plainly, and the next ones work', async () => {
    const { page, errors } = await openIdle(
      '?geometry=sphere&n=1000&eps=0.01&velocity=random&check=0&run=none',
    );
    // A new seed and the loss in the click's task: the loss comes while M is being built on the device.
    const finished = await startAction(page, 'solve', () => {
      const seed = document.querySelector<HTMLInputElement>('[data-field="seed"] input')!;
      seed.value = '42';
      seed.dispatchEvent(new Event('change'));
      (window as unknown as { __darwinBreit: { loseDevice(): void } }).__darwinBreit.loseDevice();
    });
    expect(await finished()).toBe('failed');
    await page.waitForFunction(() => document.body.dataset.status === 'idle');
    expect(await shownText(page, 'message')).toBe(
      'The GPU device was lost (destroyed while in use); a new device is in use: run again.',
    );
    // M is built anew on the new device (none kept from the lost one), and the seed changed during the
    // lost run is the next run's own: its results stay.
    expect(await runAction(page, 'solve')).toBe('converged');
    expect(await page.locator('#solve-reason').getAttribute('data-reason')).toBe('converged_rtol');
    expect(await shownValue(page, 'round-trip')).toBeLessThan(kGpuTolerance);
    expect(await runAction(page, 'momenta')).toBe('converged');
    expect(errors).toEqual([]);
  });

  test('Stop in the middle of a long matrix-free product: a Spectrum, and a Solve, ends between two of its pieces', async () => {
    // N = 6000: one product is 3.6e7 pairs, seconds on SwiftShader, in pieces of a fraction of one.
    const { page, errors } = await openIdle('?geometry=ball&n=6000&eps=0.001&matrix=free&check=0&run=none');
    // A Spectrum's first Lanczos product, a Solve's p = M v: no result, and the reason row says
    // stopped as any stopped run's does, though there is no result beside it.
    for (const [action, result] of [
      ['spectrum', 'lambda-min'],
      ['solve', 'solve-iterations'],
    ]) {
      const finished = await startAction(page, action);
      await page.waitForFunction(() => document.body.dataset.status === 'running');
      await page.locator('#progress-stop').click();
      expect(await finished()).toBe('failed');
      expect(await shownText(page, 'message')).toBe('Stopped in the middle of a long step: no result.');
      expect(await shownText(page, result)).toBe('–');
      expect(await shownText(page, `${action}-reason`)).toBe('stopped by the user');
      expect(await page.locator(`#${action}-reason`).getAttribute('data-reason')).toBe('stopped');
    }
    expect(errors).toEqual([]);
  });

  test('a long product shows its pieces with the time left, and the bar follows them', async () => {
    // The matrix-free product of the Stop test above, in pieces; at 10⁶ electrons on the tree such a
    // product runs for minutes, and the pieces are all the page can tell of it.
    const { page, errors } = await openIdle('?geometry=ball&n=6000&eps=0.001&matrix=free&check=0&run=none');
    // Every line the progress shows, with its bar's width, recorded by the page as it changes.
    const recorded = await recordProgress(page);
    expect(await runAction(page, 'momenta')).toBe('converged');
    const lines = await recorded();
    const pieces = lines.flatMap(([text, width]) => {
      const match = /^Momenta p = M v on the GPU… \(product: chunk (\d+) of (\d+)(, ~\d+ s left)?\)$/.exec(
        text,
      );
      return match ? [{ done: Number(match[1]), total: Number(match[2]), left: match[3], width }] : [];
    });
    const total = pieces[0]?.total ?? 0;
    expect(total).toBeGreaterThan(1);
    expect(pieces.map((piece) => piece.done)).toEqual(Array.from({ length: total }, (_, k) => k + 1));
    // The rate is known from the second piece on; the bar is the share of pieces done.
    expect(pieces.map((piece) => piece.left !== undefined)).toEqual(pieces.map((_, k) => k > 0));
    expect(pieces.map((piece) => piece.width)).toEqual(
      pieces.map((piece) => `${Math.round((100 * piece.done) / total)}%`),
    );
    expect(errors).toEqual([]);
  });

  test('Stop ends a running solve, and the page keeps drawing frames meanwhile', async () => {
    const { page, errors } = await openIdle(
      '?geometry=sphere&n=1000&eps=0.01&velocity=random&tol=1e-12&check=0&run=none',
    );
    const finished = await startAction(page, 'solve');
    await page.waitForFunction(() => document.body.dataset.status === 'running');
    // The main thread stays free while the GPU works: animation frames arrive before the solve ends.
    expect(await statusAtFrames(page)).toEqual(['running', 'running', 'running']);
    // Stop once the solver iterates: a Stop during the build or p = M v before it ends the run with no
    // solve at all. Clicked by the page itself in the task that shows the first iteration, since this
    // well-conditioned solve (refined in float64 to 1e-12) ends a few iterations later, sooner than a
    // click sent from here would land on a busy machine.
    await page.evaluate(
      () =>
        new Promise<void>((resolve) => {
          const text = document.getElementById('progress-text')!;
          const stopAtIteration = () => {
            if (!text.textContent?.startsWith('Solve: iteration')) return false;
            document.getElementById('progress-stop')!.click();
            resolve();
            return true;
          };
          if (stopAtIteration()) return;
          const observer = new MutationObserver(() => {
            if (stopAtIteration()) observer.disconnect();
          });
          observer.observe(text, { childList: true, characterData: true, subtree: true });
        }),
    );
    expect(await finished()).toBe('failed');
    expect(await page.locator('#solve-reason').getAttribute('data-reason')).toBe('stopped');
    const iterations = await shownValue(page, 'solve-iterations');
    expect(iterations).toBeLessThan(100);
    await screenshot(page, '8-stopped');
    // Saved, it is marked as a stopped study's JSON is: its iterations of the limit (3N unknowns);
    // loaded back, it reads as stopped, not as a solve out of iterations.
    const file = await downloaded(page, kDownloadJson, 'solve-stopped.json');
    const saved = JSON.parse(file.text);
    expect(Object.keys(saved).slice(0, 2)).toEqual(['command', 'stopped']);
    expect(saved.stopped).toEqual({ signal: null, points: iterations, of: 3000 });
    expect(saved).toMatchObject({ converged: false, iterations });
    const fresh = await openIdle('?run=none');
    await loadResult(fresh.page, 'solve-stopped.json', file.text);
    expect(await fresh.page.locator('#solve-reason').getAttribute('data-reason')).toBe('stopped');
    expect(await shownText(fresh.page, 'solve-reason')).toBe('stopped by the user');
    expect(
      JSON.parse((await downloaded(fresh.page, kDownloadJson, 'solve-stopped-again.json')).text),
    ).toEqual(saved);
    expect(fresh.errors).toEqual([]);
    expect(errors).toEqual([]);
  });

  test('a Solve from the keyboard: a progressbar and a spoken line while it runs, Stop focused, Escape (not in a text field) stops it, its end said, Solve focused again', async () => {
    const { page, errors } = await openIdle(
      '?geometry=sphere&n=1000&eps=0.01&velocity=random&tol=1e-12&check=0&run=none',
    );
    const recorded = await recordProgress(page);
    interface Seen {
      focusRunning: string;
      focusEnded: string;
      percents: string[];
      said: string[];
      inField: string;
    }
    // What a screen reader is given as the run goes, recorded by the page as it changes; and, at the
    // solve's first iteration, Escape in ε's field (that field's key, not a Stop), then where the focus is.
    await page.evaluate(() => {
      const seen: Seen = { focusRunning: '', focusEnded: '', percents: [], said: [], inField: '' };
      Object.assign(window, { seen });
      const focused = () => {
        const active = document.activeElement;
        return active?.id || active?.closest<HTMLElement>('[data-action]')?.dataset.action || active?.tagName;
      };
      new MutationObserver(() => {
        if (document.body.dataset.status === 'running') seen.focusRunning = focused() ?? '';
        else seen.focusEnded = focused() ?? '';
      }).observe(document.body, { attributes: true, attributeFilter: ['data-status'] });
      const track = document.getElementById('progress-track')!;
      new MutationObserver(() => {
        const percent = track.getAttribute('aria-valuenow');
        if (percent !== null) seen.percents.push(percent);
      }).observe(track, { attributes: true, attributeFilter: ['aria-valuenow'] });
      const said = document.getElementById('progress-said')!;
      const spoken = { childList: true, characterData: true, subtree: true };
      new MutationObserver(() => seen.said.push(said.textContent ?? '')).observe(said, spoken);
      const text = document.getElementById('progress-text')!;
      const escape = (target: Element) =>
        target.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
      const first = new MutationObserver(() => {
        if (!text.textContent?.startsWith('Solve: iteration')) return;
        first.disconnect();
        escape(document.querySelector('[data-field="epsilon"] input')!);
        seen.inField = `${document.body.dataset.status}: ${text.textContent}`;
        escape(document.activeElement!);
      });
      first.observe(text, spoken);
    });
    expect(await page.locator('#progress-track').getAttribute('role')).toBe('progressbar');
    await page.locator('[data-action="solve"] button').focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => Number(document.body.dataset.runs ?? 0) > 0, null, { timeout: 120_000 });
    const seen = await page.evaluate(() => (window as unknown as { seen: Seen }).seen);
    // Escape in the field left the run going; on the Stop the run took the focus to, it stopped the run.
    expect(seen.inField).toMatch(/^running: Solve: iteration \d+/);
    expect(await status(page)).toBe('failed');
    expect(await page.locator('#solve-reason').getAttribute('data-reason')).toBe('stopped');
    expect(seen.focusRunning).toBe('progress-stop');
    expect(seen.focusEnded).toBe('solve');
    expect(
      await page.evaluate(() =>
        document.activeElement?.closest('[data-action]')?.getAttribute('data-action'),
      ),
    ).toBe('solve');
    // The bar's value, as its width: the solve's first step at 0 %, then its iterations.
    expect(seen.percents[0]).toBe('0');
    const lastPercent = seen.percents.at(-1)!;
    expect(await page.locator('#progress-bar').evaluate((bar) => bar.style.width)).toBe(`${lastPercent}%`);
    // The spoken line: the run's first line at once (the next, in the same task, replaced it on screen
    // before the recorder saw it), then lines the progress showed, and emptied at the end.
    const shown = (await recorded()).map(([text]) => text);
    expect(seen.said[0]).toBe('solve: starting…');
    for (const line of seen.said.slice(1, -1)) expect(shown).toContain(line);
    expect(seen.said.at(-1)).toBe('');
    // Its end, said once in the status line, with the iterations and residual the diagnostics show.
    const iterations = await shownValue(page, 'solve-iterations');
    expect(await shownText(page, 'message')).toMatch(
      new RegExp(`^Solve stopped by the user, after ${iterations} iterations?; ‖p − M v‖/‖p‖ = \\S+\\.$`),
    );
    expect(errors).toEqual([]);
  });

  test('a field refused from the keyboard: Enter keeps the focus in it, it is marked invalid and described by its reason; Solve names it and focuses it', async () => {
    const { page, errors } = await openIdle('?n=200&run=none');
    const n = page.locator('[data-field="n"] input');
    // The panel field or action the focus is in.
    const focused = () =>
      page.evaluate(() => {
        const data = document.activeElement?.closest<HTMLElement>('[data-field], [data-action]')?.dataset;
        return data?.field ?? data?.action ?? null;
      });
    await typeField(page, 'n', 'abc');
    expect(await focused()).toBe('n');
    expect(await n.getAttribute('aria-invalid')).toBe('true');
    const described = await n.getAttribute('aria-describedby');
    expect(await fieldError(page, 'n').getAttribute('id')).toBe(described);
    expect(await page.locator(`#${described}`).textContent()).toBe("N needs a finite number, got 'abc'");
    // Solve, from the keyboard, is refused by the field's label and folder, and gives the field the focus;
    // a field Solve does not read (Larmor's N) is not named.
    await typeField(page, 'tolerance', '2');
    await typeField(page, 'larmorN', 'xyz');
    const solve = async () => {
      await page.locator('[data-action="solve"] button').focus();
      await page.keyboard.press('Enter');
    };
    await solve();
    const refusal =
      'Fix first (the reason is under each field): N electrons in Configuration; tolerance ‖r‖/‖p‖ in Solver.';
    expect(await shownText(page, 'message')).toBe(refusal);
    expect(await focused()).toBe('n');
    // An error in words, not by its colour alone; said again when pressed again (a new node, same text).
    expect(
      await page.locator('#message').evaluate((message) => getComputedStyle(message, '::before').content),
    ).toBe('"Error: "');
    await page.locator('#message span').evaluate((line) => (line.dataset.first = 'yes'));
    await solve();
    expect(await shownText(page, 'message')).toBe(refusal);
    expect(await page.locator('#message span').getAttribute('data-first')).toBeNull();
    // Fixed, the marks go, and the refusal with them, field by field, though Larmor's N is still bad;
    // a Solve then says how it ended.
    await typeField(page, 'n', '200');
    expect(await shownText(page, 'message')).toBe(
      'Fix first (the reason is under the field): tolerance ‖r‖/‖p‖ in Solver.',
    );
    expect(await focused()).toBe('n');
    // A change that leaves the list as it was does not say it again (a new line is announced anew).
    await page.locator('#message span').evaluate((line) => (line.dataset.first = 'yes'));
    await typeField(page, 'larmorFieldTesla', '2');
    expect(await page.locator('#message span').getAttribute('data-first')).toBe('yes');
    await typeField(page, 'tolerance', '1e-5');
    expect(await n.getAttribute('aria-invalid')).toBeNull();
    expect(await n.getAttribute('aria-describedby')).toBeNull();
    expect(await shownText(page, 'message')).toBe('');
    expect(await page.locator('[data-field="larmorN"] input').getAttribute('aria-invalid')).toBe('true');
    await solve();
    await page.waitForFunction(() => Number(document.body.dataset.runs ?? 0) > 0, null, { timeout: 120_000 });
    expect(await status(page)).toBe('converged');
    const said = /^Solve converged: ‖r‖ ≤ tol ‖p‖, after (\d+) iterations; ‖p − M v‖\/‖p‖ = (\S+)\.$/.exec(
      await shownText(page, 'message'),
    );
    expect(Number(said?.[1])).toBe(await shownValue(page, 'solve-iterations'));
    const residual = await shownValue(page, 'solve-true-residual');
    expect(Number(said?.[2])).toBe(Number(residual.toPrecision(2)));
    expect(await focused()).toBe('solve');
    // The line states the residual of those 200 electrons: with N changed, it goes with the results.
    await typeField(page, 'n', '300');
    expect(await shownText(page, 'solve-true-residual')).toBe('–');
    expect(await shownText(page, 'message')).toBe('');
    expect(errors).toEqual([]);
  });

  test('a refined Spectrum stopped by Stop keeps its partial λ range, the one its progress showed last', async () => {
    const { page, errors } = await openIdle(
      '?run=none&n=3000&geometry=ball&eps=0.01&lanczos_tol=1e-10&check=0',
    );
    const lines = await recordProgress(page);
    const finished = await startAction(page, 'spectrum');
    await page.waitForFunction(() =>
      /Lanczos product ([1-9]\d)/.test(document.getElementById('progress-text')?.textContent ?? ''),
    );
    await page.locator('#progress-stop').click();
    expect(await finished()).toBe('failed');
    expect(await shownText(page, 'message')).not.toContain('no result');
    expect(await page.locator('#spectrum-reason').getAttribute('data-reason')).toBe('stopped');
    // The last product the progress line named, and its λ range to the six digits it shows.
    const products = (await lines()).flatMap(([line]) => {
      const match = /Lanczos product (\d+) \(at most (\d+)\), λ ∈ \[(\S+), (\S+)\]$/.exec(line);
      return match ? [match.slice(1).map(Number)] : [];
    });
    const [step, limit, lambdaMin, lambdaMax] = products.at(-1)!;
    expect(step).toBeGreaterThanOrEqual(10);
    expect(await shownValue(page, 'spectrum-steps')).toBe(step);
    expect((await shownValue(page, 'lambda-min')).toPrecision(6)).toBe(lambdaMin.toPrecision(6));
    expect((await shownValue(page, 'lambda-max')).toPrecision(6)).toBe(lambdaMax.toPrecision(6));
    // Saved marked as stopped, with those products of the limit, and the Ritz values as they stood.
    const file = await downloaded(page, kDownloadJson, 'spectrum-refined-stopped.json');
    const saved = JSON.parse(file.text) as { spectrum: Record<string, unknown> };
    expect(saved.spectrum.stopped).toEqual({ signal: null, points: step, of: limit });
    expect(saved.spectrum).toMatchObject({
      converged: false,
      lambda_min: await shownValue(page, 'lambda-min'),
      lambda_max: await shownValue(page, 'lambda-max'),
    });
    expect(errors).toEqual([]);
  });

  test("a refined Solve stopped by Stop: the row shows its v's float64 residual as such, the plot's legend the inner solves'; loaded back, the link runs it again", async () => {
    const query = '?run=none&n=3000&geometry=ball&eps=0.01&tol=1e-9&check=0';
    const { page, errors } = await openIdle(query);
    const finished = await startAction(page, 'solve');
    await page.waitForFunction(() =>
      /Solve: iteration ([2-9]\d|1[6-9])/.test(document.getElementById('progress-text')?.textContent ?? ''),
    );
    await page.locator('#progress-stop').click();
    expect(await finished()).toBe('failed');
    expect(await page.locator('#solve-reason').getAttribute('data-reason')).toBe('stopped');
    const file = await downloaded(page, kDownloadJson, 'solve-refined-stopped.json');
    const saved = JSON.parse(file.text) as Record<string, unknown>;
    expect(saved.refinement_steps).toBeGreaterThanOrEqual(1);
    // The returned v's float64 residual (README: both keys are it on a refined run), named for what it is.
    const residual = await shownValue(page, 'solve-residual');
    expect(residual).toBe(saved.relative_residual);
    expect(residual).toBe(saved.true_relative_residual);
    expect(await shownText(page, 'solve-residual-label')).toBe('‖p − M v‖/‖p‖ (float64, of the refined v)');
    const legend = () => page.locator('#residual-plot .u-legend .u-label').allTextContents();
    expect(await legend()).toEqual([
      '‖r‖/‖p‖ of the float32 inner solves (× each float64 step’s ‖r_k‖)',
      'tolerance 1e-9',
    ]);
    await screenshot(page, 'refined-solve-stopped');

    const fresh = await openIdle('?run=none&tol=1e-5&solver=minres&max_iter=7&matrix=dense');
    expect(await loadFile(fresh.page, 'solve-refined-stopped.json', file.text)).toContain('their result');
    const link = new URL(fresh.page.url()).searchParams;
    expect(Number(link.get('tol'))).toBe(saved.tolerance);
    expect(link.get('solver')).toBe(saved.switched_from ? 'auto' : saved.solver);
    expect(link.get('matrix')).toBe(saved.matrix);
    // Stopped at the solvers' own limit for its unknowns: auto, not the panel's 7.
    expect((saved.stopped as { of: number }).of).toBe(9000);
    expect(link.get('max_iter') ?? 'auto').toBe('auto');
    expect(await shownText(fresh.page, 'solve-residual-label')).toBe(
      '‖p − M v‖/‖p‖ (float64, of the refined v)',
    );
    expect(await shownValue(fresh.page, 'solve-residual')).toBe(saved.relative_residual);
    expect(fresh.errors).toEqual([]);
    expect(errors).toEqual([]);
  });

  test('a refined Solve stopped while its float64 residual is under way ends stopped, with the v it had before that step', async () => {
    const { page, errors } = await openIdle('?run=none&n=200&geometry=sphere&eps=0.01&tol=1e-9&check=0');
    // The products worker's second answer (p = M v is the first, step 0's residual the second) is
    // held, so that the Stop lands while the page waits for it, every time: the test above lands
    // there only when its Stop follows step 0's last inner iteration. The Stop drops that product.
    await holdProductAnswers(page, 2);
    const finished = await startAction(page, 'solve');
    await productHeld(page);
    await page.locator('#progress-stop').click();
    expect(await finished()).toBe('failed');
    expect(await shownText(page, 'message')).not.toContain('no result');
    expect(await page.locator('#solve-reason').getAttribute('data-reason')).toBe('stopped');
    expect(await shownText(page, 'solve-reason')).toBe('stopped by the user');
    const saved = JSON.parse(
      (await downloaded(page, kDownloadJson, 'solve-refined-stopped-residual.json')).text,
    );
    // Step 0's inner solve ran, and its correction went unjudged: v is still 0, ||p - M v|| = ||p||.
    expect(saved).toMatchObject({ converged: false, reason: 'diverged_max_it', refinement_steps: 1 });
    expect(saved.relative_residual).toBe(1);
    expect(saved.velocities.every((x: number) => x === 0)).toBe(true);
    expect(saved.iterations).toBeGreaterThan(0);
    expect(saved.stopped).toEqual({ signal: null, points: saved.iterations, of: 600 });
    expect(await shownValue(page, 'solve-residual')).toBe(1);
    expect(errors).toEqual([]);
  });

  test('a refined Solve of loaded momenta stopped in its refinement keeps its v, without the energies its Stop dropped', async () => {
    const { page, errors } = await openIdle('?run=none&n=10&check=0');
    // A solve --momenta file (mode velocities) of 200 electrons, solved to 1e-9: refined on the page.
    const sphere: DarwinSystem = {
      configuration: geometry('sphere', 200),
      model: 'vector',
      dim: 3,
      epsilon: 0.01,
      softening: 0,
    };
    const backend = cpuBackend(sphere);
    const request = { pattern: null, seed: null, solver: 'cg', rtol: 1e-9 } as const;
    const rigid = velocityPattern(sphere, 'rigid');
    const given = await runSolve(sphere, backend, { ...request, mode: 'momenta', given: rigid });
    const solved = await runSolve(sphere, backend, { ...request, mode: 'velocities', given: given.momenta });
    backend.dispose();
    const context = { device: { kind: 'cpu' as const }, matrix: 'dense', radiusMetres: 1, timing: {} };
    await loadResult(page, 'momenta.json', toJson(solveJson(sphere, solved, context, { arrays: true })));
    // The products worker's answers from the second on (step 1's residual; step 0's is the first) are
    // held, so that the Stop lands while the page waits for one, and the solved v's eps T v, asked
    // after the Stop, is dropped rather than answered by a fresh worker before the Stop's poll.
    await holdProductAnswers(page, 2, { andLater: true });
    const finished = await startAction(page, 'solve');
    await productHeld(page);
    await page.locator('#progress-stop').click();
    expect(await finished()).toBe('failed');
    expect(await shownText(page, 'message')).not.toContain('no result');
    expect(await shownText(page, 'solve-reason')).toBe('stopped by the user');
    expect(await shownText(page, 'energy-darwin')).toBe(
      'none: Stop came before the float64 ε T v of the solved v',
    );
    const saved = JSON.parse((await downloaded(page, kDownloadJson, 'momenta-stopped.json')).text);
    // Step 0's v, judged by its float64 residual; the momenta the file's.
    expect(saved).toMatchObject({
      mode: 'velocities',
      converged: false,
      energies: null,
      inertia_ratio: null,
    });
    expect(saved.velocities.some((x: number) => x !== 0)).toBe(true);
    expect(saved.momenta).toEqual(Array.from(given.momenta));
    expect(errors).toEqual([]);
  });

  test('a refined Spectrum stopped in its float64 refinement, after Lanczos, keeps its float32 Ritz values, stopped', async () => {
    const { page, errors } = await openIdle(
      '?run=none&n=60&geometry=ball&eps=0.02&lanczos_tol=1e-10&check=0',
    );
    // Its only products are the refinement's two Rayleigh quotients: the first held, the Stop lands
    // there once Lanczos has finished, every time.
    await holdProductAnswers(page, 1, { andLater: true });
    const finished = await startAction(page, 'spectrum');
    await productHeld(page);
    await page.locator('#progress-stop').click();
    expect(await finished()).toBe('failed');
    expect(await shownText(page, 'message')).not.toContain('no result');
    expect(await page.locator('#spectrum-reason').getAttribute('data-reason')).toBe('stopped');
    const saved = JSON.parse(
      (await downloaded(page, kDownloadJson, 'spectrum-refinement-stopped.json')).text,
    );
    const steps = await shownValue(page, 'spectrum-steps');
    expect(saved.spectrum).toMatchObject({
      stopped: { signal: null, points: steps },
      converged: false,
      reason: 'diverged_max_it',
      refined: false,
      ritz_residual_min: null,
      lambda_min: await shownValue(page, 'lambda-min'),
      lambda_max: await shownValue(page, 'lambda-max'),
    });
    // The float32 Ritz values of a ball of 60 at eps = 0.02: within float32's reach of 1 + eps mu.
    expect(saved.spectrum.lambda_min).toBeGreaterThan(0);
    expect(saved.spectrum.lambda_max).toBeGreaterThan(1);
    expect(errors).toEqual([]);
  });

  test('one session through the page: v = 0, a bad N, the downloads, refusals, a stopped study, 1024 px', async () => {
    const { page, errors } = await app.open('?geometry=cube&n=1');
    expect(await settled(page)).toBe('converged');
    // One electron at the cube's centre turns rigidly about z with v = 0: vᵀMv / vᵀDv is 0/0, no number.
    expect(await shownValue(page, 'energy-kinetic')).toBe(0);
    expect(await shownText(page, 'inertia-ratio')).toBe('none: v = 0');
    expect(await page.locator('#inertia-ratio').getAttribute('data-value')).toBeNull();

    // A typed N that does not parse stays marked when another field redraws the configuration: Solve's
    // refusal names it.
    await typeField(page, 'n', 'abc');
    await typeField(page, 'epsilon', '2e-3');
    expect(await fieldError(page, 'n').textContent()).toBe("N needs a finite number, got 'abc'");
    await page.locator('[data-action="solve"] button').click();
    expect(await shownText(page, 'message')).toBe(
      'Fix first (the reason is under the field): N electrons in Configuration.',
    );
    await typeField(page, 'n', '1');
    expect(await fieldError(page, 'n').count()).toBe(0);

    // A spectrum alone has no velocities: its JSON downloads, and the CSV of v and p is off.
    expect(await runAction(page, 'spectrum')).toBe('converged');
    expect(await page.locator(kDownloadJson).isDisabled()).toBe(false);
    expect(await page.locator('[data-action="downloadCsv"] button').isDisabled()).toBe(true);

    // Each stage's float64 check stays beside its result: a solve after the spectrum keeps the
    // spectrum's, and new velocities take the solve's away with its result, not the spectrum's.
    const spectrumCheck = await shownValue(page, 'check-spectrum');
    expect(spectrumCheck).toBeLessThan(1e-5);
    await chooseOption(page, 'velocity', 'uniform');
    expect(await runAction(page, 'solve')).toBe('converged');
    expect(await shownValue(page, 'check-momenta')).toBeLessThan(1e-5);
    expect(await shownValue(page, 'check-spectrum')).toBe(spectrumCheck);
    await chooseOption(page, 'velocity', 'rigid');
    expect(await shownValue(page, 'check-momenta')).toBeNaN();
    expect(await shownValue(page, 'check-spectrum')).toBe(spectrumCheck);

    // Two refused files in a row: the second's refusal stands alone, not beside the first's.
    expect(await loadFile(page, 'wrong.csv', 'a,b\n1,2\n')).toContain(
      "wrong.csv: header 'a,b' is none of the page's CSVs",
    );
    expect(await page.locator('[data-error-for="velocity"]').count()).toBe(1);
    const notJson = 'bad.json: not valid JSON at line 1, column 2';
    expect(await loadFile(page, 'bad.json', '{')).toBe(notJson);
    expect(await page.locator('[data-error-for]').allTextContents()).toEqual([notJson]);
    // A file larger than a result of the page's 2·10^6 electrons is refused by its size, unread: 600 MB
    // made of one 1 MB part, dropped on the page.
    await page.evaluate(() => {
      document.getElementById('message')!.textContent = '';
      const part = new Blob([new Uint8Array(1e6)]);
      const transfer = new DataTransfer();
      transfer.items.add(
        new File(
          Array.from({ length: 600 }, () => part),
          'big.csv',
        ),
      );
      window.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer }));
    });
    await page.waitForFunction(() => document.getElementById('message')?.textContent !== '');
    const tooLarge =
      'big.csv: 600 MB, but the page reads at most 512 MB, a result of 2000000 electrons (the CLI takes more)';
    expect(await shownText(page, 'message')).toBe(tooLarge);
    expect(await page.locator('[data-error-for]').allTextContents()).toEqual([tooLarge]);
    // Two files in one drop: neither is loaded unsaid; the page asks for one at a time.
    await page.evaluate(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File(['x,y\n1,0\n0,1\n'], 'a.csv', { type: 'text/csv' }));
      transfer.items.add(new File(['vx,vy\n0,1\n1,0\n'], 'b.csv', { type: 'text/csv' }));
      window.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer }));
    });
    expect(await shownText(page, 'message')).toBe(
      'Drop one file at a time: 2 were dropped (a.csv, b.csv), none loaded.',
    );

    // A run's refusal is of the configuration it ran: once N is changed it is gone, from its field and
    // from the message, rather than standing beside a configuration it no longer holds for.
    expect(await loadFile(page, 'p.csv', 'px,py,pz\n1,0,0\n')).toBe('Loaded momenta from p.csv.');
    await typeField(page, 'n', '2');
    expect(await runAction(page, 'solve')).toBe('failed');
    const refusal = 'p.csv: 1 row of momenta, but the configuration has N = 2';
    expect(await fieldError(page, 'velocity').textContent()).toBe(refusal);
    expect(await shownText(page, 'message')).toBe(refusal);
    await typeField(page, 'n', '1');
    expect(await fieldError(page, 'velocity').count()).toBe(0);
    expect(await shownText(page, 'message')).toBe('');

    // A London run stopped as it starts: the page says so, where the card has nothing to show; while it
    // ran, neither load button could open a file dialog whose file the page would refuse.
    const loads = '[data-action="load"] button';
    const finished = await startAction(page, 'london', () => {
      const buttons = [...document.querySelectorAll<HTMLButtonElement>('[data-action="load"] button')];
      Object.assign(window, { loadsWhileRunning: buttons.map((button) => button.disabled) });
      document.getElementById('progress-stop')!.click();
    });
    expect(await finished()).toBe('failed');
    expect(
      await page.evaluate(() => (window as unknown as { loadsWhileRunning: boolean[] }).loadsWhileRunning),
    ).toEqual([true, true]);
    expect(await shownText(page, 'message')).toBe(
      'London moment: stopped by the user, the run did not finish.',
    );
    expect(await page.locator('#study-london-save').isDisabled()).toBe(true);
    expect(
      await page
        .locator(loads)
        .evaluateAll((buttons) => buttons.map((b) => (b as HTMLButtonElement).disabled)),
    ).toEqual([false, false]);

    // A window of 1024 px leaves the stage 354 px: the canvas's help line gives way to the legend rather
    // than wrap a word a line out of the footer, and a card's labels wrap before its values are squeezed.
    expect(await page.locator('#view-help').isVisible()).toBe(true);
    await page.setViewportSize({ width: 1024, height: 700 });
    expect(await page.locator('#view-help').isVisible()).toBe(false);
    // A file dropped while the run goes on is refused; once the run is over, the run's outcome takes
    // the refusal's place.
    const larmor = await startAction(page, 'larmor', () => {
      const files = new DataTransfer();
      files.items.add(new File(['x,y\n1,0\n'], 'dropped.csv', { type: 'text/csv' }));
      window.dispatchEvent(new DragEvent('drop', { dataTransfer: files, cancelable: true }));
      const said = document.getElementById('message')!.textContent;
      Object.assign(window, { droppedWhileRunning: said });
    });
    expect(await larmor()).toBe('converged');
    expect(
      await page.evaluate(() => (window as unknown as { droppedWhileRunning: string }).droppedWhileRunning),
    ).toBe('Stop the run before loading a file.');
    expect(await shownText(page, 'message')).toBe(
      'Larmor current of N electrons on a ring: the run finished, its results are in the Studies tab.',
    );
    expect((await page.locator('#larmor-ring').boundingBox())!.width).toBeGreaterThanOrEqual(150);
    await screenshot(page, 'session-1024-larmor');

    // The response table's headers are the CLI text's, in the paper's words: each says in its tooltip
    // what its number is, its unit and its JSON key.
    await typeField(page, 'responseNs', '8');
    await typeField(page, 'responseNEpsilon', '1');
    await typeField(page, 'responseGrid', '5');
    expect(await runAction(page, 'response')).toBe('converged');
    const headers = page.locator('#response-points th');
    expect(await headers.allTextContents()).toContain('R/λ_L');
    // Each header explained in words under the table, as the key lists them.
    const key = page.locator('#response-columns');
    expect(await key.locator('dt').allTextContents()).toEqual(await headers.allTextContents());
    expect(await key.locator('dd').allTextContents()).toContain(
      "the binned current's fitted e-folding depth below the surface, in units of R (it carries the factor r: the unscreened rigid rotation gives 0.39 R) (JSON: decay_length)",
    );
    expect(await key.isVisible()).toBe(true);
    expect(await page.locator('#response-points caption').textContent()).toBe(
      'Response per N and N r_e/R (the columns are explained below the table)',
    );

    // The canvas shows the run's ball coloured by |v_i|; at another N there is none to colour by, and a
    // note in the legend's place says why its electrons are grey.
    await page.locator('#tab-electrons').click();
    await expect.poll(() => page.locator('#legend').isVisible()).toBe(true);
    expect(await page.locator('#colour-note').isVisible()).toBe(false);
    await typeField(page, 'n', '9');
    await expect
      .poll(() => page.locator('#colour-note').textContent())
      .toBe('colour by |v_i|: no response run of these electrons (Studies › Response)');
    expect(await page.locator('#legend').isVisible()).toBe(false);
    await screenshot(page, 'session-colour-note');

    // An indefinite M (the azimuthal ring past its threshold, N ε = 32) has no condition number: said
    // so, where a bare dash read as not computed.
    await chooseOption(page, 'source', 'ring');
    await typeField(page, 'n', '64');
    await chooseOption(page, 'model', 'azimuthal (φ̇_i about z)');
    await typeField(page, 'epsilon', '0.5');
    expect(await runAction(page, 'spectrum')).toBe('converged');
    expect(await shownValue(page, 'lambda-min')).toBeLessThan(0);
    expect(await shownText(page, 'condition')).toBe('none: λ_min ≤ 0');

    expect(errors).toEqual([]);
  });

  test('a screen reader hears each control by a name of its own, each folder as a named group, a select once', async () => {
    const { page, errors } = await openIdle('?run=none');
    // With the Studies cards shown, whose downloads stand beside the panel's.
    await page.locator('#tab-studies').click();
    const snapshot = await page.locator('body').ariaSnapshot();
    const controls = /^\s*- (textbox|combobox|button|checkbox|slider|spinbutton) "((?:[^"\\]|\\.)*)"/gm;
    const names = [...snapshot.matchAll(controls)].map(([, role, name]) => `${role} ${name}`);
    expect(names.length).toBeGreaterThan(60);
    expect(names.filter((name, k) => names.indexOf(name) !== k)).toEqual([]);
    // A shared label takes its folder's title; a card's download its study's name.
    expect(names).toContain('textbox N electrons, Configuration');
    expect(names).toContain('textbox N electrons, Larmor ring (eq. 13-18)');
    expect(names).toContain('combobox geometry, Scaling of λ_max with N (sec. IV.C)');
    expect(names).toContain('button load CSV or JSON…, Velocities');
    expect(names).toContain('button download JSON (CLI format) of the Scaling study');
    expect(names).toContain('button download JSON (CLI format)');
    expect(names).toContain('textbox ε = r_e / R');
    // Each folder's fields are a group named by its title.
    const groups = await page
      .locator('#panel .lil-children[role="group"]')
      .evaluateAll((boxes) => boxes.map((box) => box.getAttribute('aria-label')));
    expect(groups).toEqual([
      'Configuration',
      'Velocities',
      'Solver',
      'Actions',
      'Studies (results in the Studies tab)',
      'London moment (eq. 27-30)',
      'Pairing on a ring (eq. 45-46)',
      'Larmor ring (eq. 13-18)',
      'Scaling of λ_max with N (sec. IV.C)',
      'Response to a field, flux, rotation (eq. 13-30)',
      'Display',
      'Files',
    ]);
    expect(snapshot).toContain('- group "Larmor ring (eq. 13-18)":');
    // A select's value is read by the select alone, not again from lil-gui's box under it.
    expect(snapshot).not.toContain('↕');
    // An output (N r_e/R) is read-only, not disabled: Tab reaches it, and its text can be copied.
    const collective = page.locator('[data-field="collective"] input');
    expect(
      await collective.evaluate((input) => [
        (input as HTMLInputElement).readOnly,
        (input as HTMLInputElement).disabled,
      ]),
    ).toEqual([true, false]);
    await page.locator('[data-field="radiusMetres"] input').focus();
    await page.keyboard.press('Tab');
    expect(await collective.evaluate((input) => input === document.activeElement)).toBe(true);
    // Every table of the cards is named by a caption (the response's gets its own with its rows).
    const unnamed = await page
      .locator('#studies table:not(:has(caption))')
      .evaluateAll((tables) => tables.filter((table) => table.querySelector('tr')).map((table) => table.id));
    expect(unnamed).toEqual([]);
    expect(await page.locator('#studies table caption').count()).toBe(3);
    expect(errors).toEqual([]);
  });

  test('a focused control is outlined, in forced colours too, and the view shown is marked by more than colour', async () => {
    const { page, errors } = await openIdle('?run=none');
    // The outline (2 px in the accent colour) that the focused control shows, from the keyboard.
    const outline = () =>
      page.evaluate(() => {
        const style = getComputedStyle(document.activeElement!);
        return `${style.outlineStyle} ${style.outlineWidth}`;
      });
    const focusedIs = (selector: string) =>
      page.locator(selector).evaluate((element) => element === document.activeElement);
    for (const forced of ['none', 'active'] as const) {
      await page.emulateMedia({ forcedColors: forced });
      // Tab from the Solver's last field, as a keyboard user: the Actions folder's title, then Build M.
      await page.locator('[data-field="check"] input').focus();
      await page.keyboard.press('Tab');
      expect(await focusedIs('.lil-title:text-is("Actions")')).toBe(true);
      expect(await outline(), forced).toBe('solid 2px');
      await page.keyboard.press('Tab');
      expect(await focusedIs('[data-action="build"] button')).toBe(true);
      expect(await outline(), forced).toBe('solid 2px');
      await page.keyboard.press('Shift+Tab');
      await page.keyboard.press('Shift+Tab');
      expect(await focusedIs('[data-field="check"] input')).toBe(true);
      expect(await outline(), forced).toBe('solid 2px');
      // A select's own box is transparent over lil-gui's display of its value: that box is outlined.
      await page.locator('[data-field="matrix"] select').focus();
      const display = page.locator('[data-field="matrix"] .lil-display');
      expect(
        await display.evaluate(
          (box) => `${getComputedStyle(box).outlineStyle} ${getComputedStyle(box).outlineWidth}`,
        ),
        forced,
      ).toBe('solid 2px');
    }
    await page.emulateMedia({ forcedColors: 'none' });
    // The two views are toggle buttons, the one shown pressed and in heavier type and border.
    const pressed = () =>
      page
        .locator('#stage-tabs button')
        .evaluateAll((buttons) =>
          buttons.map((b) => [b.textContent, b.getAttribute('aria-pressed'), getComputedStyle(b).fontWeight]),
        );
    expect(await pressed()).toEqual([
      ['Electrons', 'true', '600'],
      ['Studies', 'false', '400'],
    ]);
    await page.locator('#tab-studies').click();
    expect(await pressed()).toEqual([
      ['Electrons', 'false', '400'],
      ['Studies', 'true', '600'],
    ]);
    // The canvas under the cards is out of reach: Tab goes from the Studies button to the first card's.
    await page.locator('#tab-studies').focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).not.toBe('view');
    expect(
      await page.evaluate(() => document.getElementById('studies')!.contains(document.activeElement)),
    ).toBe(true);
    await page.locator('#tab-electrons').click();
    await page.locator('#tab-studies').focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('view');
    expect(errors).toEqual([]);
  });
});

describe('the app without WebGPU', () => {
  let plain: Browser;
  beforeAll(async () => {
    plain = await launch(kNoWebGpuFlags);
  });
  afterAll(async () => {
    await plain?.close();
  });

  test('says so plainly, with how to enable it', async () => {
    const { page, errors } = await openPage(plain, app.url);
    // This Chromium, without the flags, really has no adapter to give.
    expect(
      await page.evaluate(async () => (navigator.gpu ? await navigator.gpu.requestAdapter() : null)),
    ).toBeNull();
    expect(await settled(page)).toBe('no-webgpu');
    const text = await page.locator('#no-webgpu').innerText();
    expect(text).toContain('This page needs WebGPU');
    expect(text).toContain('enable-unsafe-webgpu');
    // A landmark of its own, named by its heading, as the hidden main no longer holds anything.
    expect(
      await page
        .getByRole('region', { name: 'This page needs WebGPU, and this browser does not offer it.' })
        .isVisible(),
    ).toBe(true);
    expect(await page.locator('#app').isVisible()).toBe(false);
    await screenshot(page, '9-no-webgpu');
    expect(errors).toEqual([]);
  });
});
