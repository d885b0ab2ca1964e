// On Chromium's SwiftShader WebGPU adapter: a field that does not parse refuses only the actions that
// read it.
import { expect, test } from 'vitest';
import { runAction, settled, shownText, typeField, webGpuApp } from './support.ts';

const app = webGpuApp();

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
