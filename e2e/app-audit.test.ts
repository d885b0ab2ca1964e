// What a physicist's first hour with the app found, checked in one browser session on SwiftShader:
// an energy ratio of v = 0; a bad N kept marked; no CSV download without velocities; each stage's
// float64 check beside its own result; refusals of files and runs that do not outstay their cause;
// a study stopped at once that says so, its file buttons off meanwhile; a window of 1024 px; the
// response table's headers, which say what they head; a colour with nothing to colour by, said; an
// indefinite M's condition number.
import { expect, test } from 'vitest';
import {
  chooseOption,
  fieldError,
  loadFile,
  runAction,
  screenshot,
  settled,
  startAction,
  shownText,
  shownValue,
  typeField,
  webGpuApp,
} from './support.ts';

const app = webGpuApp();

test("a first hour's findings: v = 0, a bad N, the downloads, refusals, a stopped study, 1024 px", async () => {
  const { page, errors } = await app.open('?geometry=cube&n=1');
  expect(await settled(page)).toBe('converged');
  // One electron at the cube's centre turns rigidly about z with v = 0: vᵀMv / vᵀDv is 0/0, no number.
  expect(await shownValue(page, 'energy-kinetic')).toBe(0);
  expect(await shownText(page, 'inertia-ratio')).toBe('none: v = 0');
  expect(await page.locator('#inertia-ratio').getAttribute('data-value')).toBeNull();

  // A typed N that does not parse stays marked when another field redraws the configuration: Solve's
  // refusal points at a field that is in red.
  await typeField(page, 'n', 'abc');
  await typeField(page, 'epsilon', '2e-3');
  expect(await fieldError(page, 'n').textContent()).toBe("N needs a finite number, got 'abc'");
  await page.locator('[data-action="solve"] button').click();
  expect(await shownText(page, 'message')).toBe('Fix the fields marked in red first.');
  await typeField(page, 'n', '1');
  expect(await fieldError(page, 'n').count()).toBe(0);

  // A spectrum alone has no velocities: its JSON downloads, and the CSV of v and p is off.
  expect(await runAction(page, 'spectrum')).toBe('converged');
  expect(await page.locator('[data-action="downloadJson"] button').isDisabled()).toBe(false);
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
  expect(await loadFile(page, 'bad.json', '{')).toBe('bad.json: not valid JSON');
  expect(await page.locator('[data-error-for]').allTextContents()).toEqual(['bad.json: not valid JSON']);
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
  expect(await shownText(page, 'message')).toBe('Stopped by the user: the london run did not finish.');
  expect(await page.locator('#study-london-save').isDisabled()).toBe(true);
  expect(
    await page.locator(loads).evaluateAll((buttons) => buttons.map((b) => (b as HTMLButtonElement).disabled)),
  ).toEqual([false, false]);

  // A window of 1024 px leaves the stage 354 px: the canvas's help line gives way to the legend rather
  // than wrap a word a line out of the footer, and a card's labels wrap before its values are squeezed.
  expect(await page.locator('#view-help').isVisible()).toBe(true);
  await page.setViewportSize({ width: 1024, height: 700 });
  expect(await page.locator('#view-help').isVisible()).toBe(false);
  // A file dropped while the run goes on is refused; once the run is over, the refusal goes with it.
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
  expect(await shownText(page, 'message')).toBe('');
  expect((await page.locator('#larmor-ring').boundingBox())!.width).toBeGreaterThanOrEqual(150);
  await screenshot(page, 'audit-1024-larmor');

  // The response table's headers are the CLI text's, in the paper's words: each says in its tooltip
  // what its number is, its unit and its JSON key.
  await typeField(page, 'responseNs', '8');
  await typeField(page, 'responseNEpsilon', '1');
  await typeField(page, 'responseGrid', '5');
  expect(await runAction(page, 'response')).toBe('converged');
  const headers = page.locator('#response-points th');
  expect(await headers.allTextContents()).toContain('R/λ_L');
  expect(await headers.evaluateAll((cells) => cells.map((cell) => cell.getAttribute('title')))).toContain(
    "the binned current's fitted e-folding depth below the surface, in units of R (it carries the factor r: the unscreened rigid rotation gives 0.39 R) (JSON: decay_length)",
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
  await screenshot(page, 'audit-colour-note');

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
