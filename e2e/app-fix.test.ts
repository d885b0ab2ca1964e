// On Chromium's SwiftShader WebGPU adapter, what an audit of the page found where only the page shows
// it: a scaling sweep's card keeps the geometry it started with when the field changes under it, a
// refused velocities CSV leaves the page's velocities as they were, a London run refused for its
// input keeps the last result, and a pairing run without rings shows none of an earlier run's; a
// study's refusal and the call to fix the fields in red go once the fields are fixed; Momenta says
// what it ran, and its emptied residual plot keeps no axis of the solve before; a refused file is
// said beside Files › load, in words that say what it lacks.
import { expect, test } from 'vitest';
import { kDefaultPairingRatios } from '../src/physics/pairing.ts';
import { pairingJson } from '../src/studies/pairing/report.ts';
import { runPairing } from '../src/studies/pairing/run.ts';
import { toJson } from '../src/io/formats.ts';
import {
  chooseOption,
  fieldError,
  loadFile,
  runAction,
  savedStudy,
  settled,
  shownText,
  startAction,
  typeField,
  webGpuApp,
  type AppPage,
} from './support.ts';

const app = webGpuApp();

async function open(query = '?run=none'): Promise<AppPage> {
  const opened = await app.open(query);
  expect(await settled(opened.page)).toBe('idle');
  return opened;
}

test("a scaling sweep's card fits the geometry it started with, whatever the field says meanwhile", async () => {
  const { page, errors } = await open();
  await chooseOption(page, 'scalingGeometry', 'ring');
  await chooseOption(page, 'scalingModel', 'azimuthal');
  await typeField(page, 'scalingNMin', '16');
  await typeField(page, 'scalingNMax', '64');
  await typeField(page, 'scalingPoints', '3');
  // The geometry is changed in the click's own task: before the sweep's first point.
  const finished = await startAction(page, 'scaling', () => {
    const select = document.querySelector<HTMLSelectElement>('[data-field="scalingGeometry"] select')!;
    select.selectedIndex = [...select.options].findIndex((option) => option.text === 'sphere');
    select.dispatchEvent(new Event('change'));
  });
  expect(await finished()).toBe('converged');
  const geometry = page.locator('[data-field="scalingGeometry"] select');
  expect(await geometry.evaluate((select: HTMLSelectElement) => select.selectedOptions[0].text)).toBe(
    'sphere',
  );
  expect(await shownText(page, 'scaling-law')).toContain('lambda_max/N = a ln N + b');
  const saved = (await savedStudy(page, 'scaling')).json as {
    studies: { geometry: string }[];
  };
  expect(saved.studies[0].geometry).toBe('ring');
  expect(errors).toEqual([]);
});

test('a velocities CSV refused for its rows or a value changes nothing: the pattern, the link, the next Solve', async () => {
  const { page, errors } = await open('?n=10&run=none');
  const pattern = () => page.locator('[data-field="velocity"] select').inputValue();
  const rigid = await pattern();
  const rows = (count: number, bad = -1) =>
    ['vx,vy,vz', ...Array.from({ length: count }, (_, k) => (k === bad ? 'nan,0,0' : `${k},0,0`))].join('\n');
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

test('a London run refused for N < h keeps the last result shown and saved', async () => {
  const { page, errors } = await app.open('?run=london&london_n=100&london_grid=5');
  expect(await settled(page)).toBe('converged');
  const body = await shownText(page, 'london-body');
  expect(body).toContain('N = 100');
  await chooseOption(page, 'londonGeometry', 'cylinder');
  await typeField(page, 'londonHalfHeight', '5');
  await typeField(page, 'londonN', '3');
  expect(await runAction(page, 'london')).toBe('failed');
  expect(await shownText(page, 'message')).toContain('must be at least h = 5 for a cylinder');
  expect(await shownText(page, 'london-body')).toBe(body);
  expect(await page.locator('#study-london-save').isDisabled()).toBe(false);
  expect(errors).toEqual([]);
});

test('a pairing run stopped before its rings shows no rings of the run before', async () => {
  const { page, errors } = await open();
  const full = await runPairing(kDefaultPairingRatios);
  const complete = pairingJson({
    ...full,
    ratios: kDefaultPairingRatios,
    shard: null,
  });
  await loadFile(page, 'pairing.json', toJson(complete));
  expect(await shownText(page, 'pairing-au-eq46')).toMatch(/ mK$/);
  const stopped = pairingJson({
    points: full.points.slice(0, 3),
    rings: [],
    ratios: kDefaultPairingRatios,
    shard: null,
    stop: { signal: null, points: 3, of: kDefaultPairingRatios.length },
  });
  expect(await loadFile(page, 'pairing-stopped.json', toJson(stopped))).toContain('pairing-stopped.json');
  const cells = await page
    .locator('#pairing-rings td, #pairing-on-ring td')
    .evaluateAll((all) => all.map((cell) => cell.textContent));
  expect(cells.length).toBeGreaterThan(40);
  expect(new Set(cells)).toEqual(new Set(['–']));
  expect(errors).toEqual([]);
});

test('refusals go once their fields are fixed: N < h is marked as soon as it is left, and "fix the fields" once all parse', async () => {
  const { page, errors } = await open();
  await chooseOption(page, 'londonGeometry', 'cylinder');
  await typeField(page, 'londonHalfHeight', '5');
  await typeField(page, 'londonN', '3');
  // Marked before any Run.
  expect(await fieldError(page, 'londonN').textContent()).toContain('must be at least h = 5 for a cylinder');
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
  expect(await shownText(page, 'message')).toBe('Fix the fields marked in red first.');
  await typeField(page, 'epsilon', '0.01');
  expect(await shownText(page, 'message')).toBe('');
  expect(errors).toEqual([]);
});

test('Momenta after a Solve: the mode row says what ran, and the emptied plot keeps no iteration axis', async () => {
  const { page, errors } = await open('?geometry=sphere&n=200&eps=0.01&velocity=random&run=none');
  const axisEnd = async () =>
    Number(await page.locator('#residual-plot').getAttribute('data-iterations-shown'));
  expect(await runAction(page, 'solve')).toBe('converged');
  const iterations = Number(await shownText(page, 'solve-iterations'));
  expect(iterations).toBeGreaterThan(3);
  expect(await axisEnd()).toBeGreaterThanOrEqual(iterations);
  expect(await runAction(page, 'momenta')).toBe('converged');
  expect(await shownText(page, 'solve-mode')).toBe('momenta: p = M v of the given v, no solve');
  expect(await axisEnd()).toBeLessThanOrEqual(1);
  expect(errors).toEqual([]);
});

test('a refused file is said beside Files › load, in words that say what the file lacks', async () => {
  const { page, errors } = await open('?n=10&run=none');
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
