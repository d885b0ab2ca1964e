// On Chromium's SwiftShader WebGPU adapter: the app's JSON download after a Spectrum alone (what the
// page shows of the spectrum's check is what the file says, no solve is claimed, and the file loaded
// elsewhere is a result the page saves again), and the response card's decay lengths and penetration
// depths.
import { expect, test } from 'vitest';
import { ringCirculantEigenvalues } from '../src/physics/ring.ts';
import { float32CheckTargets } from '../src/run/check.ts';
import { continuumDecayLength } from '../src/studies/response/run.ts';
import { downloaded, loadFile, settled, shownValue, webGpuApp } from './support.ts';

const app = webGpuApp();
const kDownloadJson = '[data-action="downloadJson"] button';

test('a spectrum alone downloads its float64 check and no solve, and saves again once loaded', async () => {
  // The unit ring in the azimuthal model: D^-1/2 M D^-1/2 = I + eps V, V circulant (eq. 31).
  const n = 64;
  const epsilon = 1e-3;
  const first = await app.open(`?geometry=ring&n=${n}&model=azimuthal&eps=${epsilon}&run=spectrum`);
  expect(await settled(first.page)).toBe('converged');
  const shownCheck = await shownValue(first.page, 'check-spectrum');
  const file = await downloaded(first.page, kDownloadJson, 'spectrum-alone.json');
  // Named by its system, eps in its shortest form.
  expect(file.name).toBe(`darwin-breit-ring-n${n}-eps${epsilon}.json`);
  const saved = JSON.parse(file.text);
  expect(saved).toMatchObject({ command: 'solve', mode: null, converged: null, iterations: 0, check: null });

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
  const other = await app.open('?n=10&run=none');
  expect(await settled(other.page)).toBe('idle');
  expect(await other.page.locator(kDownloadJson).isDisabled()).toBe(true);
  expect(await loadFile(other.page, 'spectrum-alone.json', file.text)).toContain('their result');
  expect(await shownValue(other.page, 'check-spectrum')).toBe(check.max_relative_error);
  expect(await other.page.locator(kDownloadJson).isDisabled()).toBe(false);
  const again = await downloaded(other.page, kDownloadJson, 'spectrum-alone-again.json');
  expect(JSON.parse(again.text)).toEqual(saved);
  expect(first.errors).toEqual([]);
  expect(other.errors).toEqual([]);
});

test("the response card's table: the ball's decay length and penetration depth beside London's, as the CLI's", async () => {
  const { page, errors } = await app.open(
    '?run=response&response_geometry=ball&response_n=200&response_n_epsilon=3,10&response_grid=5',
  );
  expect(await settled(page)).toBe('converged');
  const header = await page.locator('#response-points th').allTextContents();
  expect(header.slice(-4)).toEqual(['decay/R', 'London decay/R', 'λ/R fit', 'λ_L/R']);
  for (const [k, nEpsilon] of [3, 10].entries()) {
    const continuum = continuumDecayLength({ geometry: 'ball', drive: 'field' }, nEpsilon)!;
    expect(await shownValue(page, `response-${k}-continuum-decay`)).toBeCloseTo(continuum, 12);
    // A coarse ball of 200 electrons: within a quarter of the continuum's.
    const decay = await shownValue(page, `response-${k}-decay`);
    expect(Math.abs(decay / continuum - 1)).toBeLessThan(0.25);
    // lambda fitted as London's profile beside lambda_L = R/x, x = sqrt(3 N r_e/R): the float64 CPU's
    // ball of 200 gives 0.981 lambda_L at 3 and 0.906 at 10, nearing it from below as N grows.
    const london = await shownValue(page, `response-${k}-london-penetration`);
    expect(london).toBeCloseTo(1 / Math.sqrt(3 * nEpsilon), 5);
    const fitted = await shownValue(page, `response-${k}-penetration`);
    expect(Math.abs(fitted / london - 1)).toBeLessThan(0.15);
  }
  expect(errors).toEqual([]);
});
