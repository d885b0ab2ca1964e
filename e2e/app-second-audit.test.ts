// On Chromium's SwiftShader WebGPU adapter, what a second audit of the page found: a refined Spectrum
// (a spectrum tolerance below 1e-6) ended by Stop keeps the Ritz values Lanczos reached, as an
// unrefined one does, rather than nothing; a refined Solve's residual row and plot say what they hold;
// a loaded solve sets the solver fields, so that the link runs it again; max iterations bounds a
// Spectrum; a positions CSV the run would refuse is refused as it is read.
import { expect, test } from 'vitest';
import {
  downloaded,
  loadFile,
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

const app = webGpuApp();

async function open(query: string): Promise<AppPage> {
  const opened = await app.open(query);
  expect(await settled(opened.page)).toBe('idle');
  return opened;
}

test('a refined Spectrum stopped by Stop keeps its partial λ range, the one its progress showed last', async () => {
  const { page, errors } = await open('?run=none&n=3000&geometry=ball&eps=0.01&lanczos_tol=1e-10&check=0');
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
  const file = await downloaded(page, '[data-action="downloadJson"] button', 'spectrum-refined-stopped.json');
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
  const { page, errors } = await open(query);
  const finished = await startAction(page, 'solve');
  await page.waitForFunction(() =>
    /Solve: iteration ([2-9]\d|1[6-9])/.test(document.getElementById('progress-text')?.textContent ?? ''),
  );
  await page.locator('#progress-stop').click();
  expect(await finished()).toBe('failed');
  expect(await page.locator('#solve-reason').getAttribute('data-reason')).toBe('stopped');
  const button = '[data-action="downloadJson"] button';
  const file = await downloaded(page, button, 'solve-refined-stopped.json');
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

  const fresh = await open('?run=none&tol=1e-5&solver=minres&max_iter=7&matrix=dense');
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

test("max iterations bounds a Spectrum's Lanczos products, as the CLI's spectrum --max-iter does", async () => {
  // `spectrum --geometry sphere --n 100 --epsilon 0.001 --max-iter 2`: iterations 2, diverged_max_it.
  const { page, errors } = await app.open('?n=100&geometry=sphere&eps=0.001&run=spectrum&max_iter=2');
  expect(await settled(page)).toBe('failed');
  expect(await shownValue(page, 'spectrum-steps')).toBe(2);
  expect(await page.locator('#spectrum-reason').getAttribute('data-reason')).toBe('diverged_max_it');
  expect(await shownText(page, 'spectrum-reason')).toBe('not converged: iteration limit reached');
  expect(errors).toEqual([]);
});

test('a positions CSV with two electrons at one place is refused when read at softening 0, and the page keeps its run', async () => {
  const { page, errors } = await open('?n=100&eps=0.01&run=none');
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
