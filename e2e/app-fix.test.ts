// On Chromium's SwiftShader WebGPU adapter, what an audit of the page found where only the page shows
// it: a scaling sweep's card keeps the geometry it started with when the field changes under it.
import { expect, test } from 'vitest';
import {
  chooseOption,
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
