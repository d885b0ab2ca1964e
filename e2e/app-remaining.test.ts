// On Chromium's SwiftShader WebGPU adapter: a Spectrum run over a loaded solve joins it, as it joins
// a solve run on the page; a field that does not parse refuses only the actions that read it; a
// response run says what it changed of the Electrons tab; a positions file's name goes with it.
import { expect, test } from 'vitest';
import {
  chooseOption,
  downloaded,
  loadFile,
  runAction,
  settled,
  shownText,
  shownValue,
  typeField,
  webGpuApp,
} from './support.ts';

const app = webGpuApp();
const kDownloadJson = '[data-action="downloadJson"] button';

test('Spectrum after a loaded solve keeps the solve: shown, and in the download beside the spectrum', async () => {
  const first = await app.open('?geometry=ring&n=32&model=azimuthal&eps=1e-3&run=solve');
  expect(await settled(first.page)).toBe('converged');
  const kinetic = await shownValue(first.page, 'energy-kinetic');
  const solved = JSON.parse((await downloaded(first.page, kDownloadJson, 'remaining-solve.json')).text);
  expect(solved.mode).toBe('round_trip');

  const other = await app.open('?n=10&run=none');
  expect(await settled(other.page)).toBe('idle');
  expect(await loadFile(other.page, 'remaining-solve.json', JSON.stringify(solved))).toContain(
    'their result',
  );
  expect(await runAction(other.page, 'spectrum')).toBe('converged');
  // The loaded solve stays shown beside the spectrum the page ran.
  expect(await shownValue(other.page, 'energy-kinetic')).toBe(kinetic);
  expect(await shownText(other.page, 'solve-reason')).not.toBe('–');
  const lambdaMax = await shownValue(other.page, 'lambda-max');
  const saved = JSON.parse((await downloaded(other.page, kDownloadJson, 'remaining-both.json')).text);
  expect(saved.mode).toBe('round_trip');
  expect(saved.velocities).toEqual(solved.velocities);
  expect(saved.momenta).toEqual(solved.momenta);
  expect(saved.energies).toEqual(solved.energies);
  expect(saved.spectrum.lambda_max).toBe(lambdaMax);
  expect(first.errors).toEqual([]);
  expect(other.errors).toEqual([]);
});

test("'abc' in ε refuses Solve, not Pairing, which reads no field", async () => {
  const { page, errors } = await app.open('?n=10&run=none');
  expect(await settled(page)).toBe('idle');
  await typeField(page, 'epsilon', 'abc');
  await page.locator('[data-action="solve"] button').click();
  expect(await shownText(page, 'message')).toBe('Fix the fields marked in red first.');
  expect(await runAction(page, 'pairing')).toBe('converged');
  expect(await page.locator('#pairing-au-eq46').getAttribute('data-value')).not.toBeNull();
  expect(errors).toEqual([]);
});

test('a response run says that the Electrons tab took its geometry, N and colour, and cleared its solve', async () => {
  const { page, errors } = await app.open(
    '?geometry=sphere&n=40&eps=1e-3&run=solve' +
      '&response_geometry=ring&response_n=16&response_model=azimuthal&response_n_epsilon=1&response_grid=5',
  );
  expect(await settled(page)).toBe('converged');
  expect(await runAction(page, 'response')).toBe('converged');
  expect(await shownText(page, 'message')).toBe(
    "The canvas shows the response run's electrons, so the Electrons tab took geometry ring and N = 16 " +
      '(were sphere, N = 40) and colour by the induced current |v_i|; its results, of the electrons it ' +
      'had, were cleared.',
  );
  expect(await page.locator('[data-field="source"] select').inputValue()).toBe('ring');
  expect(await shownValue(page, 'energy-kinetic')).toBeNaN();
  expect(errors).toEqual([]);
});

test("the 'positions file' row names the file only while the geometry field takes it", async () => {
  const { page, errors } = await app.open('?n=10&run=none');
  expect(await settled(page)).toBe('idle');
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
