// What a physicist's first hour with the app found, checked in one browser session on SwiftShader:
// refused files that leave no stale refusals behind.
import { expect, test } from 'vitest';
import { loadFile, settled, webGpuApp } from './support.ts';

const app = webGpuApp();

test("a first hour's findings: refused files", async () => {
  const { page, errors } = await app.open('?geometry=cube&n=1');
  expect(await settled(page)).toBe('converged');

  // Two refused files in a row: the second's refusal stands alone, not beside the first's.
  expect(await loadFile(page, 'wrong.csv', 'a,b\n1,2\n')).toContain('the header names neither positions');
  expect(await page.locator('[data-error-for="velocity"]').count()).toBe(1);
  expect(await loadFile(page, 'bad.json', '{')).toBe('bad.json: not valid JSON');
  expect(await page.locator('[data-error-for]').allTextContents()).toEqual(['bad.json: not valid JSON']);

  expect(errors).toEqual([]);
});
