// The Studies tab end to end, driven through the panel's Studies folder on Chromium's SwiftShader
// WebGPU adapter: the London field map (GPU Biot-Savart), pairing against eq. 46 with the Au and Cu
// temperatures and the pair on the ring itself beside the line, the Larmor ring, a scaling sweep with
// its Stop, an older scaling file loaded, and the response of a ring to a field (its screening
// against the circulant's closed form, the canvas coloured by the induced current, and the Electrons
// tab told what it took), a response sweep past 3000 unknowns checked on sampled float64 rows, a
// response sweep whose last point met an indefinite M, the response card's
// decay lengths and penetration depths, a --radius-m response file's SI columns, and Stop in each
// sweep; a scaling card keeps the geometry its sweep started with, a London run refused for its input
// keeps the last result, and a pairing file stopped before its rings shows none of the run before.
// Tests check the numbers shown against the physics, that a plot is drawn (coloured pixels), save
// screenshots under e2e-results/, and fail on any console error. Sizes are kept small: SwiftShader
// is a CPU.
import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { kElectronMass, kElementaryCharge } from '../src/physics/constants.ts';
import { kFermiReadingLabels } from '../src/physics/paper.ts';
import { ringCirculantEigenvalues, ringPotential } from '../src/physics/ring.ts';
import { whittakerGroundState1d } from '../src/physics/coulomb1d.ts';
import { kCpuDevice, toJson } from '../src/io/formats.ts';
import { version } from '../package.json';
import { cpuBackend } from '../src/run/backend.ts';
import { checkSample, sampledErrors, sampledMassRows } from '../src/run/check.ts';
import type { DarwinSystem } from '../src/physics/models.ts';
import { driveRightHandSide } from '../src/physics/response.ts';
import { kDefaultPairingRatios } from '../src/physics/pairing.ts';
import { larmorJson } from '../src/studies/larmor/report.ts';
import { runLarmor } from '../src/studies/larmor/run.ts';
import { pairingJson, pairingRingJson } from '../src/studies/pairing/report.ts';
import { runPairing } from '../src/studies/pairing/run.ts';
import { responseSummary } from '../src/studies/response/report.ts';
import { continuumDecayLength, runResponse } from '../src/studies/response/run.ts';
import { responseSpec } from '../src/studies/response/spec.ts';
import { scalingJson } from '../src/studies/scaling/report.ts';
import { runScaling, scalingSweep } from '../src/studies/scaling/run.ts';
import {
  chooseOption,
  fieldError,
  colouredFraction,
  downloaded,
  drawnFraction,
  expectSameJson,
  loadFile,
  recordProgress,
  runAction,
  savedStudy,
  screenshot,
  settled,
  shownText,
  shownValue,
  startAction,
  statusAtFrames,
  typeField,
  webGpuApp,
  type AppPage,
} from './support.ts';
import { kCopperClosedForm, kGoldClosedForm } from '../test/helpers/pairing.ts';

const app = webGpuApp();

/**
 * The images in the element `id` whose accessible name is `title`, as a screen reader names them: an
 * SVG plot is one image named by its title, not by all its text (every tick label).
 */
function namedFigures(page: Page, id: string, title: string): Promise<number> {
  return page.locator(`#${id}`).getByRole('img', { name: title, exact: true }).count();
}

/** The page with nothing run on load (the default scenario's solve is not what these tests look at). */
async function open(): Promise<AppPage> {
  const opened = await app.open('?run=none');
  expect(await settled(opened.page)).toBe('idle');
  return opened;
}

describe('the Studies tab on WebGPU (SwiftShader)', () => {
  test('London map of a small sphere: N r_e/R -> 3/(1 + 1/(2N^2)) (eq. 30), a drawn heat map', async () => {
    const { page, errors } = await open();
    const n = 300;
    await chooseOption(page, 'londonGeometry', 'sphere');
    await typeField(page, 'londonN', String(n));
    await typeField(page, 'londonGrid', '31');
    expect(await runAction(page, 'london')).toBe('converged');
    expect(await page.locator('#studies').isVisible()).toBe(true);
    expect(await page.locator('#study-london').getAttribute('data-state')).toBe('converged');
    // The Fibonacci sphere's z_i are a midpoint rule, so its centre field is the continuum's times
    // 1 + 1/(2N^2) (README, eq. 30): N r_e/R at the London field is 3 / (1 + 1/(2N^2)).
    const expected = 3 / (1 + 1 / (2 * n * n));
    expect(Math.abs((await shownValue(page, 'london-n-re-over-r')) / expected - 1)).toBeLessThan(1e-12);
    // The same from the map's float64 centre field (a plain sum beside the compensated one).
    expect(Math.abs((await shownValue(page, 'london-n-re-over-r-plain-sum')) - expected)).toBeLessThan(1e-13);
    expect(await shownValue(page, 'london-continuum')).toBe(3);
    // The GPU's float32 map against float64, over the inner half's B_z spread: rounding, within 0.1.
    expect(await shownValue(page, 'london-check')).toBeGreaterThan(0);
    expect(await shownValue(page, 'london-check')).toBeLessThan(0.1);
    expect(await page.locator('#london-check').getAttribute('class')).toBe('good');
    // Its verdict in words beside the number, against its target, as the other checks say theirs.
    expect(await shownText(page, 'london-check')).toBe(
      `${(await shownValue(page, 'london-check')).toExponential(2)} ≤ 1.0e-1`,
    );
    expect(await shownValue(page, 'london-uniformity-inner')).toBeLessThan(0.2 / n);
    expect(await shownText(page, 'london-body')).toContain(`N = ${n}, 31 × 31 grid`);
    // The map: a rectangle per run of cells of one viridis colour, at least one in each of the 31 rows
    // (fewer than the ~700 field points: the interior is one colour).
    const cells = await page.locator('#london-map svg rect[fill^="#"]').count();
    expect(cells).toBeGreaterThanOrEqual(31);
    expect(cells).toBeLessThan(700);
    expect(await colouredFraction(page, '#london-map')).toBeGreaterThan(0.2);
    // Beside it the deviation from London's uniform field on a log scale, its caption counting the
    // cells where B_z = B_London exactly, where there are any.
    const deviation = (await page.locator('#london-deviation svg').textContent()) ?? '';
    expect(deviation).toContain('log₁₀ |B_z / B_London − 1|');
    expect(deviation).not.toMatch(/\b0 cells where B_z = B_London/);
    expect(await colouredFraction(page, '#london-deviation')).toBeGreaterThan(0.2);
    // The convergence plot comes after the float64 list, in the same run.
    expect(await shownText(page, 'london-law')).toMatch(/N\^-2\.0/);
    expect(await colouredFraction(page, '#london-convergence')).toBeGreaterThan(0.002);
    // Each plot is one image named by its title, as a screen reader hears it: not by all its text,
    // every tick label.
    const body = `rotating sphere, N = ${n}, N r_e/R = 3.000`;
    const convergenceTitle = 'N r_e/R at the London field against N: sphere';
    for (const [id, title] of [
      ['london-map', `London field map: ${body}`],
      ['london-deviation', `Deviation from the London field: ${body}`],
      ['london-convergence', convergenceTitle],
    ]) {
      expect(await namedFigures(page, id, title), id).toBe(1);
    }
    // The two maps' gradients and the plot's clip path, one page: three ids, none shared.
    const ids = await page.locator('#studies svg [id]').evaluateAll((nodes) => nodes.map((node) => node.id));
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(3);
    expect(page.url()).toMatch(/run=london.*london_geometry=sphere&london_n=300&london_grid=31/);
    // Saved as `london --json` prints it: the numbers the card shows, the GPU's adapter as its device.
    const saved = await savedStudy(page, 'london');
    expect(saved.name).toBe('london.json');
    const london = saved.json as {
      command: string;
      version: string;
      device: { kind: string };
      grid: number;
      studies: { n: number; n_re_over_r: number; n_re_over_r_plain_sum: number; check: number }[];
      convergence: { points: { n: number; n_re_over_r: number }[]; law: string };
    };
    expect(london).toMatchObject({ command: 'london', version, device: { kind: 'gpu' }, grid: 31 });
    expect(london.studies).toHaveLength(1);
    expect(london.studies[0].n).toBe(n);
    expect(london.studies[0].n_re_over_r).toBe(await shownValue(page, 'london-n-re-over-r'));
    expect(london.studies[0].n_re_over_r_plain_sum).toBe(
      await shownValue(page, 'london-n-re-over-r-plain-sum'),
    );
    expect(london.studies[0].check).toBe(await shownValue(page, 'london-check'));
    // The float64 list of the convergence plot, and its law as the card gives it.
    expect(london.convergence.points.length).toBeGreaterThan(3);
    expect(london.convergence.law).toMatch(/N\^-2\.0/);
    // Loaded in a fresh page: the numbers and the convergence plot (its fit recomputed); the JSON
    // holds no map, so there is none until a run. The page saves the same file again.
    const fresh = await open();
    expect(await loadFile(fresh.page, 'london.json', JSON.stringify(london))).toBe(
      `Loaded the London sphere of ${n} charges from london.json: its numbers and convergence (the map needs a run).`,
    );
    expect(await fresh.page.locator('#study-london').getAttribute('data-state')).toBe('converged');
    for (const id of [
      'london-n-re-over-r',
      'london-n-re-over-r-plain-sum',
      'london-continuum',
      'london-check',
      'london-uniformity-inner',
      'london-law',
      'london-body',
    ]) {
      expect(await shownText(fresh.page, id), id).toBe(await shownText(page, id));
    }
    expect(await colouredFraction(fresh.page, '#london-convergence')).toBeGreaterThan(0.002);
    expect(await namedFigures(fresh.page, 'london-convergence', convergenceTitle)).toBe(1);
    expect(await fresh.page.locator('#london-map svg').count()).toBe(0);
    expect(await fresh.page.locator('#london-deviation svg').count()).toBe(0);
    expect(await fresh.page.locator('[data-field="londonGrid"] input').inputValue()).toBe('31');
    expect((await savedStudy(fresh.page, 'london')).json).toEqual(london);
    // The CLI's --out london.json has no "files" (it is what they list): saved again without one.
    await loadFile(fresh.page, 'out-london.json', JSON.stringify({ ...london, files: undefined }));
    expect((await savedStudy(fresh.page, 'london')).json).toEqual({ ...london, files: undefined });
    expect(Object.keys((await savedStudy(fresh.page, 'london')).json as object)).not.toContain('files');
    // Another version's file is saved again under its version: its numbers are that version's.
    await loadFile(fresh.page, 'older-version.json', JSON.stringify({ ...london, version: '0.0.9' }));
    expect((await savedStudy(fresh.page, 'london')).json).toEqual({ ...london, version: '0.0.9' });
    // A file fitted by the older rule (all N: results/london.json at 178cff1 has this law): its fit
    // is recomputed, and the message says so with the file's law.
    const older = '3.00000 - N r_e/R = 1.495 N^-2.000';
    const olderFile = { ...london, convergence: { ...london.convergence, law: older } };
    expect(await loadFile(fresh.page, 'older-london.json', JSON.stringify(olderFile))).toBe(
      `Loaded the London sphere of ${n} charges from older-london.json: its numbers and convergence ` +
        `(the map needs a run). Its convergence fit is recomputed: ${london.convergence.law}, where the ` +
        `file has ${older}.`,
    );
    // The rows that report a device's field sum name the device the file's run had.
    const rowLabel = (id: string) =>
      fresh.page.locator(`#${id}`).evaluate((element) => element.previousElementSibling?.textContent);
    expect(await rowLabel('london-check')).toBe("GPU map vs float64 (over the inner half's B_z spread)");
    // A rerun of a CPU file's map (--device cpu, the float64 sum) is the page's GPU's float32 sum.
    const cpuRun = { ...london, device: { kind: 'cpu', description: 'float64 CPU reference' } };
    expect(await loadFile(fresh.page, 'london-cpu.json', JSON.stringify(cpuRun))).toBe(
      `Loaded the London sphere of ${n} charges from london-cpu.json: its numbers and convergence ` +
        "(the map needs a run); a rerun here takes the page's device gpu, not the file's device cpu.",
    );
    expect(await rowLabel('london-check')).toBe("CPU map vs float64 (over the inner half's B_z spread)");
    expect(await rowLabel('london-time')).toBe('CPU field time');
    expect(fresh.errors).toEqual([]);
    await screenshot(page, 'studies-1-london-sphere');
    expect(errors).toEqual([]);
  });

  test('pairing: the Au ring at 0.854 mK by eq. 46 and 0.217 mK numerically, with the plots', async () => {
    const { page, errors } = await open();
    expect(await runAction(page, 'pairing')).toBe('converged');
    // Eq. 46 from CODATA values independent of the app's (test/helpers/pairing.ts), and the numerical
    // ground state against the Whittaker condition's in the same unit (the grid's ~4e-8).
    const eq46 = kGoldClosedForm.eq46Kelvin * 1e3;
    const numerical = kGoldClosedForm.unitKelvin * -whittakerGroundState1d(kGoldClosedForm.ratio) * 1e3;
    expect(await shownText(page, 'pairing-au-eq46')).toBe(`${eq46.toPrecision(3)} mK`);
    expect(await shownText(page, 'pairing-au-numerical')).toBe(`${numerical.toPrecision(3)} mK`);
    expect(Math.abs((await shownValue(page, 'pairing-au-eq46')) / eq46 - 1)).toBeLessThan(1e-9);
    expect(Math.abs((await shownValue(page, 'pairing-au-numerical')) / numerical - 1)).toBeLessThan(1e-7);
    const copperEq46 = kCopperClosedForm.eq46Kelvin * 1e3;
    expect(Math.abs((await shownValue(page, 'pairing-cu-eq46')) / copperEq46 - 1)).toBeLessThan(1e-9);
    expect(await shownValue(page, 'pairing-au-thickness')).toBeCloseTo(80, 9);
    const copperNumerical =
      kCopperClosedForm.unitKelvin * -whittakerGroundState1d(kCopperClosedForm.ratio) * 1e3;
    expect(Math.abs((await shownValue(page, 'pairing-cu-numerical')) / copperNumerical - 1)).toBeLessThan(
      1e-7,
    );
    expect(await shownText(page, 'pairing-points')).toMatch(/^21, from 10\.0 to 1\.00e\+6/);
    expect(await shownValue(page, 'pairing-max-error')).toBeLessThan(1e-3);
    expect(await colouredFraction(page, '#pairing-energy')).toBeGreaterThan(0.002);
    expect(await colouredFraction(page, '#pairing-ratio')).toBeGreaterThan(0.002);

    // The pair on the ring (eq. 41), both readings of eq. 43: the numbers `pairing --json` prints for
    // its readings[].on_ring, computed here in float64 by the same run (its rings need no a_m/a).
    const { rings } = await runPairing([]);
    const close = (shown: number, expected: number) =>
      expect(Math.abs(shown - expected) / Math.abs(expected)).toBeLessThan(1e-9);
    for (const ring of rings.map(pairingRingJson)) {
      // Levy et al.'s circle of 2.2 um circumference (sec. II.B), assumed for Au too.
      expect(ring.circumference_m * 1e6).toBeCloseTo(2.2, 12);
      for (const reading of ring.readings) {
        const id = (column: string) => `pairing-${ring.name.toLowerCase()}-${reading.reading}-${column}`;
        const pair = reading.on_ring;
        close(await shownValue(page, id('a-m')), reading.a_m_m * 1e6);
        close(await shownValue(page, id('eq46')), reading.temperature_eq46_mk);
        close(await shownValue(page, id('line-t')), pair.temperature_line_mk);
        close(await shownValue(page, id('ring-t')), pair.temperature_mk);
        expect(await shownText(page, id('ring-t'))).toBe(pair.temperature_mk.toPrecision(3));
        close(await shownValue(page, id('rms')), pair.rms_separation_m * 1e6);
        close(await shownValue(page, id('rms-line')), pair.rms_separation_line_m * 1e6);
        close(await shownValue(page, id('circumference')), ring.circumference_m * 1e6);
        // a_m (7.7-9.8 um, 3.9-4.9 um with 2E_F/mc^2) exceeds the circumference: the line's state
        // cannot fit, and the pair spreads over the ring, within the circumference.
        expect(pair.line_picture_fails).toBe(true);
        expect(await shownText(page, id('line-picture'))).toBe('fails');
        expect(await shownValue(page, id('a-m'))).toBeGreaterThan(
          await shownValue(page, id('circumference')),
        );
        expect(await shownValue(page, id('rms'))).toBeLessThan(await shownValue(page, id('circumference')));
        expect(await shownValue(page, id('flux-period'))).toBe(pair.flux_period_phi0);
      }
    }
    // fermi-energy (Z_F = E_F/mc^2, eq. 43's second form) is the rings' table's reading: its line is the
    // numerical ground state.
    close(
      await shownValue(page, 'pairing-au-fermi-energy-line-t'),
      await shownValue(page, 'pairing-au-numerical'),
    );
    // Each reading heads its rows, labelled as the pairing report labels it.
    const table = await shownText(page, 'pairing-on-ring');
    for (const label of Object.values(kFermiReadingLabels)) expect(table).toContain(label);
    // Saved as `pairing --json` prints it, to the rounding of another engine's Math functions (the
    // grid error ratio, a quotient of differences, amplifies it to ~1e-9).
    const saved = await savedStudy(page, 'pairing');
    expect(saved.name).toBe('pairing.json');
    const cli = await runPairing(kDefaultPairingRatios);
    const expected = pairingJson({ ...cli, ratios: kDefaultPairingRatios, shard: null });
    expectSameJson(saved.json, JSON.parse(toJson(expected)), 1e-6);
    // Loaded in a fresh page: both tables and both plots again, from the file alone.
    const fresh = await open();
    expect(await loadFile(fresh.page, 'pairing.json', JSON.stringify(saved.json))).toBe(
      'Loaded the pairing run (21 a_m/a) from pairing.json.',
    );
    const shownIds = await page
      .locator('#study-pairing td[id]')
      .evaluateAll((cells) => cells.map((cell) => cell.id));
    expect(shownIds.length).toBeGreaterThan(40);
    for (const id of shownIds) expect(await shownText(fresh.page, id), id).toBe(await shownText(page, id));
    expect(await shownText(fresh.page, 'pairing-max-error')).toBe(await shownText(page, 'pairing-max-error'));
    expect(await colouredFraction(fresh.page, '#pairing-energy')).toBeGreaterThan(0.002);
    expect(await colouredFraction(fresh.page, '#pairing-ratio')).toBeGreaterThan(0.002);
    // Each plot one image named by its title, run or loaded.
    for (const shown of [page, fresh.page]) {
      const energy = 'Pair binding on a ring of thickness a (eq. 45): numerical vs eq. 46';
      expect(await namedFigures(shown, 'pairing-energy', energy)).toBe(1);
      const ratio = 'Eq. 46 approaches the true ground state only logarithmically';
      expect(await namedFigures(shown, 'pairing-ratio', ratio)).toBe(1);
    }
    expect(fresh.errors).toEqual([]);
    await page.locator('#study-pairing').scrollIntoViewIfNeeded();
    await screenshot(page, 'studies-2-pairing');
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

  test('Larmor ring: eq. 16-18 for the panel N, B, R; it follows the fields, and refuses bad ones', async () => {
    const { page, errors } = await open();
    // Nothing to save before a run.
    expect(await page.locator('#study-larmor-save').isDisabled()).toBe(true);
    await typeField(page, 'larmorN', '100');
    await typeField(page, 'larmorFieldTesla', '0.013');
    await typeField(page, 'larmorRadiusMetres', '3.5e-7');
    expect(await runAction(page, 'larmor')).toBe('converged');
    // I = -N B e^2 / (4 pi m): 2.242 nA/T per electron (eq. 16).
    const perElectron = kElementaryCharge ** 2 / (4 * Math.PI * kElectronMass);
    expect(await shownValue(page, 'larmor-per-electron')).toBeCloseTo(perElectron * 1e9, 9);
    expect(await shownText(page, 'larmor-per-electron')).toBe('2.242 nA/T');
    const current = -100 * 0.013 * perElectron;
    expect((await shownValue(page, 'larmor-current')) / current).toBeCloseTo(1, 12);
    expect((await shownValue(page, 'larmor-current-flux')) / current).toBeCloseTo(1, 12);
    const fluxQuanta = await shownValue(page, 'larmor-flux-quanta');
    // Eq. 15: the moment is -N n_phi Bohr magnetons (to the rounding of the CODATA constants).
    expect((await shownValue(page, 'larmor-moment-bohr')) / (-100 * fluxQuanta)).toBeCloseTo(1, 9);
    // Once shown, the card follows its fields: twice the electrons, twice the current.
    await typeField(page, 'larmorN', '200');
    await expect
      .poll(async () => (await shownValue(page, 'larmor-current')) / current, { timeout: 5000 })
      .toBeCloseTo(2, 12);
    // It saves the ring it shows, as `larmor --n 200 --b-tesla 0.013 --radius-m 3.5e-7 --json` prints it.
    const saved = await savedStudy(page, 'larmor');
    expect(saved.name).toBe('larmor.json');
    const expected = larmorJson(runLarmor({ n: 200, fieldTesla: 0.013, radiusMetres: 3.5e-7 }));
    expectSameJson(saved.json, JSON.parse(toJson(expected)), 1e-12);
    // Loaded in a fresh page, the ring comes back with its fields.
    const fresh = await open();
    expect(await loadFile(fresh.page, 'larmor.json', JSON.stringify(saved.json))).toBe(
      'Loaded the Larmor ring of 200 electrons from larmor.json.',
    );
    expect(await shownValue(fresh.page, 'larmor-current')).toBe(await shownValue(page, 'larmor-current'));
    expect(await fresh.page.locator('[data-field="larmorN"] input').inputValue()).toBe('200');
    expect(fresh.errors).toEqual([]);
    await typeField(page, 'larmorRadiusMetres', '-1');
    await expect.poll(() => fieldError(page, 'larmorRadiusMetres').textContent()).toContain('must be > 0');
    // A field whose ring would leave float64's range, by the bound the CLI's --b-tesla has.
    await typeField(page, 'larmorFieldTesla', '1e300');
    await expect
      .poll(() => fieldError(page, 'larmorFieldTesla').textContent())
      .toContain('B must be 0 or of magnitude 1e-100 to 1e100, got 1e300');
    await page.locator('[data-action="larmor"] button').click();
    expect(await shownText(page, 'message')).toBe(
      'Fix first (the reason is under each field): B (tesla) in Larmor ring (eq. 13-18); ' +
        'R (metres) in Larmor ring (eq. 13-18).',
    );
    await page.locator('#study-larmor').scrollIntoViewIfNeeded();
    await screenshot(page, 'studies-3-larmor');
    // The saved ring loaded over the bad field: the file's R takes its place, and its error goes.
    await loadFile(page, 'larmor.json', JSON.stringify(saved.json));
    expect(await fieldError(page, 'larmorRadiusMetres').count()).toBe(0);
    expect(await fieldError(page, 'larmorFieldTesla').count()).toBe(0);
    expect(await page.locator('[data-field="larmorRadiusMetres"] input').inputValue()).not.toBe('-1');
    expect(await runAction(page, 'larmor')).toBe('converged');
    await typeField(page, 'larmorRadiusMetres', '3.5e-7');
    expect(await fieldError(page, 'larmorRadiusMetres').count()).toBe(0);
    expect(errors).toEqual([]);
  });

  test('scaling: the azimuthal ring sweep matches the circulant, draws its plot, and Stop ends a sweep', async () => {
    const { page, errors } = await open();
    await chooseOption(page, 'scalingGeometry', 'ring');
    await chooseOption(page, 'scalingModel', 'azimuthal');
    await typeField(page, 'scalingNMin', '32');
    await typeField(page, 'scalingNMax', '128');
    await typeField(page, 'scalingPoints', '3');
    expect(await runAction(page, 'scaling')).toBe('converged');
    expect(await shownText(page, 'scaling-done')).toBe('3 of 3');
    // On the unit ring D = I: lambda_max of the interaction is the circulant's largest eigenvalue.
    const exact = Math.max(...ringCirculantEigenvalues(128));
    expect(Math.abs((await shownValue(page, 'scaling-lambda-max')) - exact) / exact).toBeLessThan(1e-5);
    expect(await shownText(page, 'scaling-law')).toContain('lambda_max/N = a ln N + b');
    // a -> 1/pi (the ring's derived prefactor), loosely from three N.
    expect(Math.abs((await shownValue(page, 'scaling-coefficient')) - 1 / Math.PI)).toBeLessThan(0.05);
    expect(await shownText(page, 'scaling-paper-radius')).toContain('R → ∞');
    // Each point checked against float64 in a worker, as the CLI's: the worst within float32's 1e-5.
    expect(await shownText(page, 'scaling-check')).toMatch(/^\d\.\de-\d+ ≤ 1\.0e-5 \(N = (32|64|128)\)$/);
    expect(await page.locator('#scaling-check').getAttribute('class')).toBe('good');
    expect(await colouredFraction(page, '#scaling-plot canvas')).toBeGreaterThan(0.001);
    // Saved as `scaling --json` prints it: the storage auto took at each N, the points shown.
    const saved = await savedStudy(page, 'scaling');
    expect(saved.name).toBe('scaling.json');
    const scaling = saved.json as {
      command: string;
      ns: number[];
      studies: {
        geometry: string;
        matrix: Record<string, string>;
        points: {
          n: number;
          lambda_max: number;
          lambda_min: number;
          lambda_max_over_n: number;
          check: number;
          check_target: number;
          within_target: boolean | null;
        }[];
      }[];
    };
    // With the options the page's sweep takes, which its panel does not set.
    expect(scaling).toMatchObject({
      command: 'scaling',
      ns: [32, 64, 128],
      sweep: { tol: 1e-6, max_iter: null, seed: 1, matrix: 'auto', tree_tolerance: 1e-5 },
    });
    expect(scaling.studies[0].points.map((point) => point.within_target)).toEqual([true, true, true]);
    expect(scaling.studies).toHaveLength(1);
    expect(scaling.studies[0].geometry).toBe('ring');
    expect(scaling.studies[0].matrix).toEqual({ 32: 'dense', 64: 'dense', 128: 'dense' });
    expect(scaling.studies[0].points.map((point) => point.n)).toEqual([32, 64, 128]);
    expect(scaling.studies[0].points[2].lambda_max).toBe(await shownValue(page, 'scaling-lambda-max'));
    // The plot's numbers as text in the table above it: a row per N, each number the download's.
    expect(await page.locator('#scaling-points tr').count()).toBe(1 + 3);
    for (const [k, point] of scaling.studies[0].points.entries()) {
      const cell = (column: string) => shownValue(page, `scaling-${k}-${column}`);
      expect(await cell('n')).toBe(point.n);
      expect(await cell('lambda-min')).toBe(point.lambda_min);
      expect(await cell('lambda-max')).toBe(point.lambda_max);
      expect(await cell('lambda-max-over-n')).toBe(point.lambda_max_over_n);
      expect(await cell('check')).toBe(point.check);
      expect(point.check_target).toBe(1e-5);
      expect(await shownText(page, `scaling-${k}-check`)).toBe(`${point.check.toExponential(1)} ≤ 1.0e-5`);
    }
    // The plot is one image named by its title, its canvas having no text.
    expect(await page.locator('#scaling-plot .uplot').getAttribute('aria-label')).toBe(
      'λ_max at ε = 1 against N: the points, the fit and eq. 49 (its numbers are in the table above)',
    );
    // The file back in a fresh page: the card shows the sweep, its fits recomputed, and the fields
    // follow it; the page saves the same file again.
    const fresh = await open();
    expect(await loadFile(fresh.page, 'scaling.json', JSON.stringify(scaling))).toBe(
      'Loaded the ring scaling sweep (3 N) from scaling.json.',
    );
    expect(await fresh.page.locator('#study-scaling').getAttribute('data-state')).toBe('converged');
    expect(await shownText(fresh.page, 'scaling-done')).toBe('3 of 3');
    for (const id of ['scaling-lambda-max', 'scaling-coefficient']) {
      expect(await shownValue(fresh.page, id)).toBe(await shownValue(page, id));
    }
    expect(await shownText(fresh.page, 'scaling-law')).toBe(await shownText(page, 'scaling-law'));
    expect(await shownText(fresh.page, 'scaling-check')).toBe(await shownText(page, 'scaling-check'));
    expect(await fresh.page.locator('[data-field="scalingNMax"] input').inputValue()).toBe('128');
    expect(await fresh.page.locator('[data-field="scalingModel"] select').inputValue()).toBe('azimuthal');
    expect(await colouredFraction(fresh.page, '#scaling-plot canvas')).toBeGreaterThan(0.001);
    expect((await savedStudy(fresh.page, 'scaling')).json).toEqual(scaling);
    // The legend names whose Lanczos runs the points are: the page's GPU, or a CPU run's float64.
    const legend = () => fresh.page.locator('#scaling-plot .u-legend').innerText();
    expect(await legend()).toContain('λ_max (Lanczos, GPU)');
    const cpu = { ...scaling, device: { kind: 'cpu' } };
    await loadFile(fresh.page, 'scaling-cpu.json', JSON.stringify(cpu));
    expect(await legend()).toContain('λ_max (Lanczos, CPU)');
    expect(await legend()).not.toContain('GPU');
    expect(await legend()).not.toContain('not converged');
    // A point whose Lanczos stopped short is drawn apart, named in the legend, and not fitted.
    const studies = cpu.studies as unknown as { points: { lanczos: { converged: boolean } }[] }[];
    const points = studies[0].points.map((p, k) =>
      k === 1 ? { ...p, lanczos: { ...p.lanczos, converged: false } } : p,
    );
    await loadFile(
      fresh.page,
      'scaling-short.json',
      JSON.stringify({ ...cpu, studies: [{ ...studies[0], points }] }),
    );
    expect(await legend()).toContain('λ_max, Lanczos not converged (inner bounds, not fitted)');
    // And so in the table, its row alone: its λ_min and λ_max are Ritz values, both inner bounds.
    for (const column of ['lambda-min', 'lambda-max']) {
      expect(await shownText(fresh.page, `scaling-1-${column}`)).toMatch(
        / \(Lanczos not converged: an inner bound\)$/,
      );
      expect(await shownText(fresh.page, `scaling-2-${column}`)).toMatch(/^-?[\d.]+(e[+-]\d+)?$/);
    }
    expect(await fresh.page.locator('#study-scaling p.note').textContent()).toContain(
      'by Lanczos on the CPU (float64), one N after another',
    );
    expect(fresh.errors).toEqual([]);
    await page.locator('#study-scaling').scrollIntoViewIfNeeded();
    await screenshot(page, 'studies-4-scaling-ring');

    // A disk, then a sphere, in the vector model over the same N, as one CLI run's geometries.
    await chooseOption(page, 'scalingGeometry', 'disk');
    await chooseOption(page, 'scalingModel', 'vector');
    await typeField(page, 'scalingNMin', '16');
    await typeField(page, 'scalingNMax', '32');
    await typeField(page, 'scalingPoints', '2');
    expect(await runAction(page, 'scaling')).toBe('converged');
    const disk = (await savedStudy(page, 'scaling')).json as typeof scaling;
    // A sphere's file carries, as `scaling --json` does, each point's inertia ratio at London's
    // eps = 3/N, 1 + (3/N) q, and no second ratio of the largest N.
    await chooseOption(page, 'scalingGeometry', 'sphere');
    expect(await runAction(page, 'scaling')).toBe('converged');
    const sphere = (await savedStudy(page, 'scaling')).json as typeof scaling & {
      studies: { points: { n: number; london_inertia_ratio: number }[] }[];
    };
    const [{ points: spherePoints }] = sphere.studies;
    expect(sphere.studies[0]).not.toHaveProperty('london_inertia_ratio_direct');
    // The page's run is the CLI's (runScaling), on its GPU: the float64 run's numbers to float32's 1e-5.
    const {
      runs: [onCpu],
    } = await runScaling(async (system) => cpuBackend(system), {
      geometries: ['sphere'],
      model: 'vector',
      ns: [16, 32],
    });
    for (const [k, point] of spherePoints.entries()) {
      const expected = onCpu.study.points[k].lambdaMax;
      expect(Math.abs(point.lambda_max - expected) / expected, `N = ${point.n}`).toBeLessThan(1e-5);
      const ratio = onCpu.study.points[k].londonInertiaRatio!;
      expect(Math.abs(spherePoints[k].london_inertia_ratio - ratio), `N = ${point.n}`).toBeLessThan(1e-5);
    }
    // A file of two geometries, as a CLI run of several writes: the card shows the first, and what
    // it saves again keeps both, their fits recomputed.
    const both = { ...sphere, studies: [...disk.studies, ...sphere.studies] };
    const other = await open();
    expect(await loadFile(other.page, 'scaling.json', JSON.stringify(both))).toBe(
      'Loaded the disk scaling sweep (2 N) from scaling.json; the card shows the first of its 2 geometries.',
    );
    expect((await savedStudy(other.page, 'scaling')).json).toEqual(both);
    expect(other.errors).toEqual([]);

    // A longer sweep, stopped after its first point: the run ends as failed with the points so far.
    await typeField(page, 'scalingNMin', '16');
    await typeField(page, 'scalingNMax', '4096');
    await typeField(page, 'scalingPoints', '8');
    const finished = await startAction(page, 'scaling');
    await page.waitForFunction(() => document.getElementById('scaling-done')?.textContent === '1 of 8');
    // The page keeps drawing while the sweep runs: animation frames arrive before it ends.
    expect(await statusAtFrames(page)).toEqual(['running', 'running', 'running']);
    await page.locator('#progress-stop').click();
    expect(await finished()).toBe('failed');
    expect(await page.locator('#study-scaling').getAttribute('data-state')).toBe('failed');
    const done = Number((await shownText(page, 'scaling-done')).split(' ')[0]);
    expect(done).toBeLessThan(8);
    // What it saves is the points it finished, marked as a sweep Stop ended.
    const stopped = (await savedStudy(page, 'scaling')).json as {
      stopped: unknown;
      studies: { points: unknown[] }[];
    };
    expect(stopped.stopped).toEqual({ signal: null, points: done, of: 8 });
    expect(stopped.studies[0].points).toHaveLength(done);
    expect(errors).toEqual([]);
  });

  test("scaling: a file written before the float64 check loads, its card 'not checked' unless the CPU's", async () => {
    const { study } = await scalingSweep(async (system) => cpuBackend(system), {
      geometry: 'ring',
      model: 'azimuthal',
      ns: [16, 32],
    });
    const json = scalingJson({
      device: kCpuDevice,
      model: 'azimuthal',
      ns: [16, 32],
      studies: [study],
      extras: [{ matrix: { 16: 'dense', 32: 'dense' } }],
      shard: null,
      sweep: null,
      totalMs: 5,
    });
    // Its points without the check's fields, as results/scaling.json of f096b0e has them, and its
    // storage null, as a CPU run wrote it before it named its dense M.
    const older = JSON.parse(toJson(json)) as {
      studies: { points: Record<string, unknown>[]; matrix: unknown }[];
    };
    older.studies[0].matrix = null;
    // Nor did it name its version.
    delete (older as { version?: string }).version;
    for (const point of older.studies[0].points)
      for (const key of ['check', 'sampled_residual', 'check_target', 'within_target', 'check_ms'])
        delete point[key];
    const { page, errors } = await open();
    const load = (device: { kind: string }) =>
      loadFile(page, 'scaling.json', JSON.stringify({ ...older, device }));
    expect(await load({ kind: 'gpu' })).toBe('Loaded the ring scaling sweep (2 N) from scaling.json.');
    expect(await shownText(page, 'scaling-done')).toBe('2 of 2');
    expect(await shownText(page, 'scaling-check')).toBe('not checked');
    // A CPU sweep's float64 run: a rerun on the page runs float32 on its GPU, which the message says.
    const onGpu = "; a rerun here takes the page's device gpu, not the file's device cpu.";
    expect(await load(kCpuDevice)).toBe(`Loaded the ring scaling sweep (2 N) from scaling.json${onGpu}`);
    expect(await shownText(page, 'scaling-check')).toBe('none (float64 run)');
    // A CPU sweep that took the float64 tree at some N was not the reference there.
    const onTree = { ...older, studies: [{ ...older.studies[0], matrix: { '16': 'dense', '32': 'tree' } }] };
    expect(await loadFile(page, 'scaling.json', JSON.stringify({ ...onTree, device: kCpuDevice }))).toBe(
      `Loaded the ring scaling sweep (2 N) from scaling.json${onGpu}`,
    );
    expect(await shownText(page, 'scaling-check')).toBe('not checked');
    // A file that names its sweep's options keeps them, and says those a rerun on the page, which
    // has no fields for them, would change: not the CPU tree's threads, which the page's GPU has none of.
    const sweep = { tol: 1e-10, max_iter: 500, seed: 1, matrix: 'auto', tree_tolerance: 1e-5, threads: 2 };
    expect(
      await loadFile(page, 'scaling.json', JSON.stringify({ ...older, device: kCpuDevice, sweep })),
    ).toBe(
      "Loaded the ring scaling sweep (2 N) from scaling.json; a rerun here takes the page's device gpu, " +
        "tol 1e-6, max_iter auto, not the file's device cpu, tol 1e-10, max_iter 500.",
    );
    // Saved again with the storage named: null was only a CPU run's dense M at every N; and with
    // version null, as the file named none (merge's of unversioned shards), for its points are not
    // this version's.
    const again = (await savedStudy(page, 'scaling')).json;
    expect(again).toMatchObject({ sweep, studies: [{ matrix: { 16: 'dense', 32: 'dense' } }] });
    expect(again).toHaveProperty('version', null);
    expect(errors).toEqual([]);
  });

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

  test('a link with run=london reproduces the map, and bad study input is refused by its field', async () => {
    const { page, errors } = await app.open(
      '?run=london&london_geometry=cylinder&london_n=400&london_grid=21&london_half_height=0.5',
    );
    expect(await settled(page)).toBe('converged');
    expect(await page.locator('[data-field="londonGeometry"] select').inputValue()).toBe('cylinder');
    expect(await shownText(page, 'london-body')).toContain('cylinder, h = 0.5 R, N = 400');
    // The cylinder's continuum: 2 sqrt(1 + h^2).
    expect(await shownValue(page, 'london-continuum')).toBeCloseTo(2 * Math.sqrt(1.25), 12);
    expect(
      await page.locator('#london-continuum').evaluate((dd) => dd.previousElementSibling?.textContent),
    ).toBe('continuous body (cylinder: 2 √(1 + h²))');
    // The continuous cylinder's own field on the map, as the CLI's text gives it: its sheet's unevenness.
    expect(await shownText(page, 'london-continuum-field')).toMatch(
      /^its field not uniform: \S+ over the map, \S+ in the inner half \(a finite sheet is no London body\)$/,
    );
    expect(await colouredFraction(page, '#london-map')).toBeGreaterThan(0.2);
    await screenshot(page, 'studies-5-london-cylinder-link');

    await typeField(page, 'londonN', '0');
    await expect.poll(() => fieldError(page, 'londonN').textContent()).toContain('integer in 1..200000');
    await typeField(page, 'londonN', '400');
    // The two N against each other are marked as soon as either is left, not only at Run.
    await typeField(page, 'scalingNMin', '100');
    await typeField(page, 'scalingNMax', '50');
    await expect
      .poll(() => fieldError(page, 'scalingNMax').textContent())
      .toContain('the largest N must be >= the smallest (100)');
    await typeField(page, 'scalingNMin', '40');
    await expect.poll(() => fieldError(page, 'scalingNMax').count()).toBe(0);
    await typeField(page, 'scalingNMin', '100');
    await expect.poll(() => fieldError(page, 'scalingNMax').count()).toBe(1);
    expect(await runAction(page, 'scaling')).toBe('failed');
    expect(await fieldError(page, 'scalingNMax').textContent()).toContain(
      'the largest N must be >= the smallest (100)',
    );
    expect(await shownText(page, 'message')).toContain('the largest N must be >= the smallest (100)');
    // Fixed, the refusal goes from the field and from the message.
    await typeField(page, 'scalingNMin', '40');
    await expect.poll(() => fieldError(page, 'scalingNMax').count()).toBe(0);
    expect(await shownText(page, 'message')).toBe('');
    expect(errors).toEqual([]);
  });

  test('response: a ring in a field is screened as its circulant, with the curve, the map and the canvas', async () => {
    // At 10 the ring's M is indefinite (from N r_e/R = pi/ln 2 = 4.5 on), but the field drives only
    // its uniform mode, whose eigenvalue stays positive: CG converges, and so do the refinement's
    // corrections (by MINRES) on the page's GPU.
    const n = 16;
    const nEpsilons = [0.1, 1, 10];
    const { page, errors } = await app.open(
      `?run=response&response_geometry=ring&response_n=${n}&response_model=azimuthal&response_drive=field` +
        `&response_n_epsilon=${nEpsilons.join(',')}&response_grid=21`,
    );
    expect(await settled(page)).toBe('converged');
    expect(await page.locator('#study-response').getAttribute('data-state')).toBe('converged');
    expect(await shownText(page, 'response-done')).toBe('3 of 3');
    // The ring's rigid rotation is the uniform mode of its circulant M: 1/(1 + eps sum_{j!=0} V_phi(2 pi j/N)).
    let sum = 0;
    for (let j = 1; j < n; j++) sum += ringPotential((2 * Math.PI * j) / n);
    for (const [k, x] of nEpsilons.entries()) {
      const expected = 1 / (1 + (x / n) * sum);
      expect(await shownValue(page, `response-${k}-n-epsilon`)).toBeCloseTo(x, 12);
      // The GPU's float32 solve.
      const shown = await shownValue(page, `response-${k}-screening`);
      expect(Math.abs(shown - expected) / expected).toBeLessThan(1e-5);
      expect(await shownValue(page, `response-${k}-continuum`)).toBeCloseTo(expected, 12);
    }
    // Its coloured pixels are the three points (the circulant's dashed line is grey): ~140 of the
    // canvas's ~2e5 at the card's width.
    expect(await colouredFraction(page, '#response-plot canvas')).toBeGreaterThan(4e-4);
    // The ring's sum of V_phi grows as N ln N at fixed N r_e/R: there is no N -> infinity to show.
    expect(await shownText(page, 'response-limits')).toContain('no continuum limit');
    // The map at the largest N r_e/R in viridis cells (a run of one colour in a row is one rectangle).
    expect(await shownText(page, 'response-map-point')).toBe(`N = ${n}, N r_e/R = 10.00`);
    expect(await page.locator('#response-map svg rect[fill^="#"]').count()).toBeGreaterThan(300);
    // A ring's electrons are all at one depth: no profile to draw.
    expect(await page.locator('#response-profile svg').count()).toBe(0);
    // Saved as `response --json` prints it: every point the table shows, the GPU's map check.
    const saved = await savedStudy(page, 'response');
    expect(saved.name).toBe('response.json');
    const response = saved.json as {
      command: string;
      points: {
        n: number;
        n_epsilon: number;
        screening_ratio: number;
        converged: boolean;
        check: number | null;
        dense_residual?: number;
        check_target: number | null;
      }[];
      field_map_check: number;
    };
    expect(Object.keys(response)).toEqual([
      'command',
      'version',
      'drive',
      'geometry',
      'model',
      'dim',
      'epsilon',
      'radius_m',
      'grid',
      'matrix',
      'points',
      'limits',
      'device',
      'field_map_check',
    ]);
    // The page's sweep holds N r_e/R at every N: no one eps, no radius.
    expect(response).toMatchObject({
      command: 'response',
      drive: 'field',
      geometry: 'ring',
      model: 'azimuthal',
      epsilon: null,
      radius_m: null,
    });
    expect(response.points.map((point) => point.n_epsilon)).toEqual(nEpsilons);
    for (const [k, point] of response.points.entries()) {
      expect(point.screening_ratio).toBe(await shownValue(page, `response-${k}-screening`));
      expect(point.converged).toBe(true);
      // Checked as the CLI's GPU sweep is: the refined solve's float64 residual with the dense
      // reference's M (the worker's), within its target, shown and green.
      expect(point).toMatchObject({ within_target: true, reference_unconverged: null });
      expect(point.dense_residual).toBeLessThanOrEqual(point.check_target!);
      expect(point.check).toBeLessThan(1e-6);
      expect(await shownValue(page, `response-${k}-check`)).toBe(point.dense_residual);
      expect(await page.locator(`#response-${k}-check`).getAttribute('class')).toBe('good');
    }
    expect(response.field_map_check).toBeLessThan(1e-4);
    // The map point's velocities, named as response --out names them: the ring's uniform mode, each
    // electron rotating rigidly at the screening ratio times the Larmor rotation (units of u = ω_L R).
    const velocities = await downloaded(page, '#response-save-velocities', 'response-velocities.csv');
    expect(velocities.name).toBe('response-n16-x10.0.csv');
    const [header, ...rows] = velocities.text.trim().split('\n');
    expect(header).toBe('x,y,z,vx,vy,vz');
    expect(rows).toHaveLength(n);
    const ratio = response.points[2].screening_ratio;
    for (const row of rows) {
      const [x, y, z, vx, vy, vz] = row.split(',').map(Number);
      expect(z).toBe(0);
      expect(Math.abs(vx + ratio * y) + Math.abs(vy - ratio * x) + Math.abs(vz)).toBeLessThan(1e-5);
    }
    // Loaded in a fresh page: the same table, curve and limits; no map (the JSON holds none).
    const fresh = await open();
    expect(await loadFile(fresh.page, 'response.json', JSON.stringify(response))).toBe(
      "Loaded the ring's field response (3 points) from response.json: its numbers, curve and limits " +
        "(the maps, the current's profile and the canvas's colours need a run).",
    );
    expect(await fresh.page.locator('#study-response').getAttribute('data-state')).toBe('converged');
    expect(await shownText(fresh.page, 'response-done')).toBe('3 of 3');
    for (const k of nEpsilons.keys()) {
      for (const column of ['n-epsilon', 'screening', 'continuum', 'field-centre', 'iterations', 'check']) {
        const id = `response-${k}-${column}`;
        expect(await shownValue(fresh.page, id), id).toBe(await shownValue(page, id));
      }
    }
    expect(await shownText(fresh.page, 'response-limits')).toBe(await shownText(page, 'response-limits'));
    expect(await colouredFraction(fresh.page, '#response-plot canvas')).toBeGreaterThan(4e-4);
    expect(await fresh.page.locator('#response-map svg').count()).toBe(0);
    // Nor velocities: the file holds none.
    expect(await fresh.page.locator('#response-save-velocities').isDisabled()).toBe(true);
    // The panel follows the file: the page can run this sweep.
    expect(await fresh.page.locator('[data-field="responseNs"] input').inputValue()).toBe('16');
    // But not its M where the file's was not auto's: the card's rerun takes 'auto' at the panel's
    // tree tolerance, which the message names as a scaling file's options.
    const loaded =
      "from response-m.json: its numbers, curve and limits (the maps, the current's profile and the canvas's colours need a run); a rerun here takes the page's";
    const tree = { ...response, matrix: 'tree', tree: { tolerance: 1e-3, n: [16] } };
    expect(await loadFile(fresh.page, 'response-m.json', JSON.stringify(tree))).toBe(
      `Loaded the ring's field response (3 points) ${loaded} matrix auto, tree_tolerance 1e-5, ` +
        "not the file's matrix tree, tree_tolerance 1e-3.",
    );
    const free = { ...response, matrix: 'free' };
    expect(await loadFile(fresh.page, 'response-m.json', JSON.stringify(free))).toBe(
      `Loaded the ring's field response (3 points) ${loaded} matrix auto, not the file's matrix free.`,
    );
    // The card names the device of the run it shows: the page's GPU, or a CPU file's float64.
    const timeLabel = () =>
      fresh.page.locator('#response-time').evaluate((dd) => dd.previousElementSibling?.textContent);
    const note = () => fresh.page.locator('#study-response p.note').textContent();
    expect(await timeLabel()).toBe('GPU sweep time');
    // A CPU file's float64 run: a rerun on the page runs float32 on its GPU, which the message says.
    expect(
      await loadFile(
        fresh.page,
        'response-cpu.json',
        JSON.stringify({ ...response, device: { kind: 'cpu' } }),
      ),
    ).toBe(
      "Loaded the ring's field response (3 points) from response-cpu.json: its numbers, curve and limits " +
        "(the maps, the current's profile and the canvas's colours need a run); a rerun here takes the " +
        "page's device gpu, not the file's device cpu.",
    );
    expect(await timeLabel()).toBe('CPU sweep time');
    expect(await note()).toContain('one CG solve on the CPU (float64) per N r_e/R');
    expect(fresh.errors).toEqual([]);
    expect(await colouredFraction(page, '#response-map')).toBeGreaterThan(0.2);
    await page.locator('#study-response').scrollIntoViewIfNeeded();
    await screenshot(page, 'studies-6-response-ring');

    // The canvas shows the run's ring, coloured by the induced speed: the legend is up and the discs
    // are in viridis colours (uncoloured ones are grey-blue and do not count).
    expect(page.url()).toMatch(/[?&]geometry=ring&n=16&/);
    expect(page.url()).toContain('colour=current');
    await page.locator('#tab-electrons').click();
    expect(await drawnFraction(page)).toBeGreaterThan(0.0005);
    expect(await page.locator('#legend').isVisible()).toBe(true);
    await page.evaluate(() => document.getElementById('legend')!.style.setProperty('visibility', 'hidden'));
    expect(await colouredFraction(page, '#view')).toBeGreaterThan(0.0005);
    await page.evaluate(() => document.getElementById('legend')!.style.removeProperty('visibility'));
    await screenshot(page, 'studies-7-response-canvas');
    // Another N has no induced current: its electrons are drawn uncoloured, without a legend.
    await typeField(page, 'n', '17');
    await expect.poll(() => page.locator('#legend').isVisible()).toBe(false);
    expect(await drawnFraction(page)).toBeGreaterThan(0.0005);
    // Back at the run's N, and the map (and the canvas) moved to the smallest N r_e/R.
    await typeField(page, 'n', String(n));
    await expect.poll(() => page.locator('#legend').isVisible()).toBe(true);
    await page.locator('#tab-studies').click();
    await page.locator('#response-map-select').selectOption({ index: 0 });
    expect(await shownText(page, 'response-map-point')).toBe(`N = ${n}, N r_e/R = 0.1000`);
    expect(await shownValue(page, 'response-centre')).toBe(await shownValue(page, 'response-0-field-centre'));
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
      'Response to a field, a flux or a rotation: the run finished, its results are in the Studies tab. ' +
        "The canvas shows the response run's electrons, so the Electrons tab took geometry ring and N = 16 " +
        '(were sphere, N = 40) and colour by the induced current |v_i|; its results, of the electrons it ' +
        'had, were cleared.',
    );
    expect(await page.locator('[data-field="source"] select').inputValue()).toBe('ring');
    expect(await shownValue(page, 'energy-kinetic')).toBeNaN();
    expect(errors).toEqual([]);
  });

  test("response: a --radius-m file's moment per tesla and susceptibilities in the table, as the file holds them", async () => {
    // A ball of 50 and 100 at R = 1e-12 m (eps = r_e/R = 2.8e-3), as `response --radius-m 1e-12 --json`.
    const result = await runResponse(
      responseSpec({ geometry: 'ball', n: '50,100', radiusMetres: '1e-12', device: 'cpu' }),
      async (system) => cpuBackend(system),
    );
    const json = JSON.parse(toJson(responseSummary(result, kCpuDevice))) as {
      points: {
        moment_per_tesla: number;
        apparent_susceptibility: number;
        intrinsic_susceptibility: number;
      }[];
    };
    const { page, errors } = await open();
    expect(await loadFile(page, 'response-si.json', JSON.stringify(json))).toContain(
      "Loaded the ball's field response (2 points) from response-si.json",
    );
    // The sweep line says the radius, which the file holds as radius_m beside its one eps = r_e/R.
    expect(await shownText(page, 'response-system')).toBe(
      'field drive, ball, vector model (3D), N = 50, 100, R = 1e-12 m (ε = r_e/R = 0.0028179403262 at every N), ' +
        'no map in the file',
    );
    const headers = await page.locator('#response-points th').allTextContents();
    expect(headers.slice(-3)).toEqual(['μ_z/B (A m²/T)', 'χ_app (SI)', 'χ_int (SI)']);
    for (const [k, point] of json.points.entries()) {
      expect(await shownValue(page, `response-${k}-moment`)).toBe(point.moment_per_tesla);
      expect(await shownText(page, `response-${k}-moment`)).toBe(point.moment_per_tesla.toExponential(5));
      expect(await shownValue(page, `response-${k}-chi-app`)).toBe(point.apparent_susceptibility);
      expect(await shownValue(page, `response-${k}-chi-int`)).toBe(point.intrinsic_susceptibility);
    }
    await page.locator('#response-points').scrollIntoViewIfNeeded();
    await screenshot(page, 'studies-9-response-radius');
    // The same sweep without its SI keys (a file written at N r_e/R): the table has no such column.
    const plain = {
      ...json,
      points: json.points.map((point) => ({
        ...point,
        moment_per_tesla: undefined,
        apparent_susceptibility: undefined,
        intrinsic_susceptibility: undefined,
      })),
    };
    await loadFile(page, 'response.json', JSON.stringify(plain));
    expect(await page.locator('#response-points th').allTextContents()).toEqual(headers.slice(0, -3));
    expect(await page.locator('#response-0-moment').count()).toBe(0);
    expect(errors).toEqual([]);
  });

  test("response: each point's float64 check against its target, as the file holds it, good or bad, or why none", async () => {
    // A float32 sweep (the GPU's precision) checked against the dense float64 solve, as
    // `response --device gpu --json` writes it: its solves refine to 1e-10, held to their residual.
    const result = await runResponse(
      responseSpec({ geometry: 'ring', n: '20', nEpsilon: '0.3,1,3', device: 'cpu' }),
      async (system) => ({ ...cpuBackend(system, 'float32'), name: 'gpu' as const }),
      {},
      async (system) => cpuBackend(system),
    );
    const json = JSON.parse(toJson(responseSummary(result, kCpuDevice))) as {
      points: { check: number | null; dense_residual?: number; check_target: number | null }[];
    };
    const [first, second] = json.points;
    expect(first.dense_residual).toBeLessThan(first.check_target!);
    // The second held to a target below its residual (past it), the third's reference unconverged.
    const points = [
      first,
      { ...second, check_target: second.dense_residual! / 10 },
      {
        ...json.points[2],
        check: null,
        dense_residual: undefined,
        check_target: null,
        reference_unconverged: 'diverged_max_it',
      },
    ];
    const { page, errors } = await open();
    await loadFile(page, 'response-checked.json', JSON.stringify({ ...json, points }));
    expect(await page.locator('#response-points th').allTextContents()).toContain('check');
    const cell = (k: number) => page.locator(`#response-${k}-check`);
    expect(await shownValue(page, 'response-0-check')).toBe(first.dense_residual);
    expect(await shownText(page, 'response-0-check')).toBe(
      `residual ${first.dense_residual!.toExponential(2)} ≤ ${first.check_target!.toExponential(0)}`,
    );
    expect(await cell(0).getAttribute('class')).toBe('good');
    expect(await shownText(page, 'response-1-check')).toMatch(/^residual \S+ > \S+$/);
    expect(await cell(1).getAttribute('class')).toBe('bad');
    expect(await shownText(page, 'response-2-check')).toBe(
      'not checked (float64 reference: diverged_max_it)',
    );
    expect(await cell(2).getAttribute('class')).toBeNull();
    expect(errors).toEqual([]);
  });

  test('response past 3000 unknowns: each point checked on sampled float64 rows in the worker, saved and loaded back', async () => {
    // A sphere of 1001 in 3D: 3003 unknowns, past the dense reference's 3000, checked as the CLI's
    // --device gpu checks it there: the refined solve's residual on float64 rows of M at 256 sampled
    // electrons, summed by the reference worker.
    const { page, errors } = await app.open(
      '?run=response&response_geometry=sphere&response_n=1001&response_n_epsilon=1&response_grid=4',
    );
    expect(await settled(page)).toBe('converged');
    const saved = await savedStudy(page, 'response');
    const [point] = (saved.json as { points: Record<string, unknown>[] }).points;
    expect(point).toMatchObject({ check: null, within_target: true, reference_unconverged: null });
    expect('dense_residual' in point).toBe(false);
    const residual = point.sampled_residual as number;
    const target = point.check_target as number;
    // A refined solve's float64 residual, held to 10 tol.
    expect(target).toBe(1e-9);
    expect(residual).toBeGreaterThan(1e-15);
    expect(residual).toBeLessThanOrEqual(target);
    // The residual of the page's velocities on those rows, summed here from its own download.
    const velocities = await downloaded(page, '#response-save-velocities', 'response-sampled.csv');
    const table = velocities.text
      .trim()
      .split('\n')
      .slice(1)
      .map((row) => row.split(',').map(Number));
    const configuration = {
      n: table.length,
      positions: Float64Array.from(table.flatMap((row) => row.slice(0, 3))),
      source: 'sphere',
    };
    const system: DarwinSystem = { configuration, model: 'vector', dim: 3, epsilon: 1 / 1001, softening: 0 };
    const v = Float64Array.from(table.flatMap((row) => row.slice(3)));
    const sample = checkSample(configuration);
    const rows = sampledMassRows(system, v, sample.electrons);
    const expected = sampledErrors(system, sample, driveRightHandSide(system, 'field'), null, rows).residual!;
    expect(Math.abs(residual - expected) / expected).toBeLessThan(1e-12);
    // Shown in the check column as the CLI's text shows it, green within its target.
    const text = `sampled residual ${residual.toExponential(2)} ≤ ${target.toExponential(0)}`;
    expect(await shownValue(page, 'response-0-check')).toBe(residual);
    expect(await shownText(page, 'response-0-check')).toBe(text);
    expect(await page.locator('#response-0-check').getAttribute('class')).toBe('good');
    // Loaded back in a fresh page, the same check, as the CLI's file's is.
    const fresh = await open();
    await loadFile(fresh.page, 'response.json', JSON.stringify(saved.json));
    expect(await shownValue(fresh.page, 'response-0-check')).toBe(residual);
    expect(await shownText(fresh.page, 'response-0-check')).toBe(text);
    expect(await fresh.page.locator('#response-0-check').getAttribute('class')).toBe('good');
    expect(errors).toEqual([]);
    expect(fresh.errors).toEqual([]);
  });

  test("response: the sampled check's chunks, summed in the worker, extend the point's progress line", async () => {
    // A ring of 16 400: its 256 sampled rows take more than one chunk of the worker's paced sum
    // (kPairsPerPause pairs), each said on the point's line as the CLI's point line says it.
    const { page, errors } = await app.open(
      '?run=none&response_geometry=ring&response_n=16400&response_n_epsilon=1&response_drive=flux',
    );
    expect(await settled(page)).toBe('idle');
    const lines = await recordProgress(page);
    expect(await runAction(page, 'response', 300_000)).toBe('converged');
    const line = 'response: N = 16400, N r_e/R = 1.000, float64 check: sampled residual';
    const chunks = (await lines())
      .map(([text]) => text)
      .filter((text) => text.startsWith(`${line} (`))
      .map((text) => text.slice(line.length + 2, -1));
    expect(chunks.length).toBeGreaterThan(0);
    for (const chunk of chunks) expect(chunk).toMatch(/^float64 check: electron \d+ of 256$/);
    expect(errors).toEqual([]);
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

  test('response: the card starts from the last converged point and marks the diverged one', async () => {
    // A cube of 64 spun up at the default N r_e/R: at 30, M is indefinite and CG gives up.
    const { page, errors } = await app.open(
      '?run=response&response_geometry=cube&response_drive=rotation&response_n=64&response_grid=11',
    );
    expect(await settled(page)).toBe('failed');
    expect(await shownText(page, 'response-done')).toBe('6 of 6');
    expect(await shownText(page, 'response-5-iterations')).toContain('(diverged_indefinite)');
    expect(await shownValue(page, 'response-4-n-epsilon')).toBe(10);
    expect(await shownText(page, 'response-4-iterations')).toMatch(/^\d+$/);
    // The headline, the map and the canvas start from N r_e/R = 10, the largest that converged.
    expect(await shownValue(page, 'response-screening')).toBe(await shownValue(page, 'response-4-screening'));
    expect(await shownText(page, 'response-screening')).toContain('N r_e/R = 10.00)');
    expect(await shownText(page, 'response-map-point')).toBe('N = 64, N r_e/R = 10.00');
    expect(await page.locator('#response-map-select').inputValue()).toBe('10');
    expect(await shownValue(page, 'response-centre')).toBe(await shownValue(page, 'response-4-field-centre'));
    expect(await page.locator('#response-centre').getAttribute('class')).toBe('');
    expect(await shownText(page, 'response-limits')).toBe('needs three N or more (1 given)');
    // The current against depth at N = 64, one series per converged N r_e/R: not the diverged 30.
    expect(await colouredFraction(page, '#response-profile')).toBeGreaterThan(0.002);
    expect(await shownText(page, 'response-profile')).toContain('N r_e/R = 10.0');
    expect(await shownText(page, 'response-profile')).not.toContain('N r_e/R = 30.0');
    // The diverged point's row in the table is red, and only its.
    expect(await page.locator('#response-points tr.bad').count()).toBe(1);
    expect(await page.locator('#response-points tr.bad td').first().getAttribute('id')).toBe('response-5-n');
    // Its ratios are none, as its JSON's null (the last iterate's are no measurement), not a red number.
    const saved = (await savedStudy(page, 'response')).json as { points: Record<string, unknown>[] };
    expect(saved.points[5]).toMatchObject({ screening_ratio: null, field_centre_ratio: null });
    for (const column of ['screening', 'field-centre'])
      expect(await shownText(page, `response-5-${column}`), column).toBe('–');
    // Picked, the diverged point's numbers are marked wherever they are shown.
    await page.locator('#response-map-select').selectOption('30');
    const mark = ' — not converged (diverged_indefinite)';
    expect(await shownText(page, 'response-map-point')).toBe(`N = 64, N r_e/R = 30.00${mark}`);
    for (const id of ['response-map-point', 'response-centre', 'response-london']) {
      expect(await shownText(page, id)).toContain(mark);
      expect(await page.locator(`#${id}`).getAttribute('class')).toBe('bad');
    }
    expect(await page.locator('#response-map-select option:checked').textContent()).toBe(
      '30.00 (not converged)',
    );
    await page.locator('#study-response').scrollIntoViewIfNeeded();
    await screenshot(page, 'studies-8-response-diverged');
    expect(errors).toEqual([]);
  });

  test('London: a Stop during the convergence list says so where the fit would be', async () => {
    const { page, errors } = await open();
    // A cylinder of h = 50: its list holds the six N >= h of the eight (100..30000).
    await chooseOption(page, 'londonGeometry', 'cylinder');
    await typeField(page, 'londonHalfHeight', '50');
    await typeField(page, 'londonN', '300');
    await typeField(page, 'londonGrid', '21');
    // Stop as the map is shown, before the list of N r_e/R against N begins (the observer runs before
    // the run goes on).
    await page.evaluate(() => {
      const law = document.getElementById('london-law')!;
      new MutationObserver((_records, observer) => {
        if (law.textContent !== 'computing…') return;
        observer.disconnect();
        document.getElementById('progress-stop')!.click();
      }).observe(law, { childList: true, characterData: true, subtree: true });
    });
    expect(await runAction(page, 'london')).toBe('failed');
    expect(await page.locator('#study-london').getAttribute('data-state')).toBe('failed');
    expect(await shownText(page, 'london-law')).toBe('stopped after 0 of 6 N: a fit needs two');
    // The map it finished stays, and is saved as a run Stop ended: of the map and the six N.
    expect(await shownText(page, 'london-body')).toContain('cylinder, h = 50 R, N = 300, 21 × 21 grid');
    expect(await colouredFraction(page, '#london-map')).toBeGreaterThan(0.2);
    const saved = (await savedStudy(page, 'london')).json as { stopped: unknown; studies: { n: number }[] };
    expect(saved.stopped).toEqual({ signal: null, points: 1, of: 7 });
    expect(saved.studies.map((study) => study.n)).toEqual([300]);
    expect(errors).toEqual([]);
  });

  test('London: a Stop before the map says so on the card, with nothing to save', async () => {
    const { page, errors } = await open();
    await typeField(page, 'londonN', '100000');
    await typeField(page, 'londonGrid', '41');
    const finished = await startAction(page, 'london');
    await page.waitForFunction(() => document.body.dataset.status === 'running');
    await page.locator('#progress-stop').click();
    expect(await finished()).toBe('failed');
    expect(await shownText(page, 'london-body')).toBe(
      'stopped before its map finished: nothing to show or save',
    );
    expect(await shownText(page, 'london-centre-ratio')).toBe('–');
    expect(await page.locator('#study-london-save').isDisabled()).toBe(true);
    expect(errors).toEqual([]);
  });

  test("a stopped sweep's plots say so in their titles, as the CLI's do, run and loaded back", async () => {
    const { page, errors } = await open();
    const scalingTitle = () => page.locator('#scaling-plot .u-title').textContent();
    // A scaling sweep Stop ends after its first point: the plot that grew with it says how far it got.
    await typeField(page, 'scalingNMin', '16');
    await typeField(page, 'scalingNMax', '4096');
    await typeField(page, 'scalingPoints', '8');
    const finished = await startAction(page, 'scaling');
    await page.waitForFunction(() => document.getElementById('scaling-done')?.textContent === '1 of 8');
    expect(await scalingTitle()).toBe('λ_max at ε = 1 against N: the points, the fit and eq. 49');
    await page.locator('#progress-stop').click();
    expect(await finished()).toBe('failed');
    const done = Number((await shownText(page, 'scaling-done')).split(' ')[0]);
    const stopped = `(stopped after ${done} of 8 points)`;
    expect(await scalingTitle()).toBe(`λ_max at ε = 1 against N: the points, the fit and eq. 49 ${stopped}`);
    // Its saved file loaded back in a fresh page says so again.
    const saved = await savedStudy(page, 'scaling');
    const fresh = await open();
    await loadFile(fresh.page, 'stopped-scaling.json', JSON.stringify(saved.json));
    expect(await fresh.page.locator('#scaling-plot .u-title').textContent()).toBe(
      `λ_max at ε = 1 against N: the points, the fit and eq. 49 ${stopped}`,
    );
    // A pairing run the CLI's Ctrl-C stopped after two of its a_m/a: both plots of the file say so.
    let started = 0;
    const run = await runPairing(kDefaultPairingRatios, {
      pointStarted: () => started++,
      stopped: () => started > 2,
    });
    expect(run.points).toHaveLength(2);
    const stop = { signal: 'SIGINT', points: 2, of: kDefaultPairingRatios.length };
    const pairing = pairingJson({ ...run, ratios: kDefaultPairingRatios, shard: null, stop });
    expect(await loadFile(fresh.page, 'stopped-pairing.json', JSON.stringify(pairing))).toContain(
      `The run was stopped by SIGINT after 2 of ${kDefaultPairingRatios.length} points.`,
    );
    for (const [id, title] of [
      ['pairing-energy', 'Pair binding on a ring of thickness a (eq. 45): numerical vs eq. 46'],
      ['pairing-ratio', 'Eq. 46 approaches the true ground state only logarithmically'],
    ]) {
      expect(await fresh.page.locator(`#${id} svg text[font-weight="bold"]`).textContent()).toBe(
        `${title} (stopped by SIGINT after 2 of ${kDefaultPairingRatios.length} points)`,
      );
    }
    expect(errors).toEqual([]);
    expect(fresh.errors).toEqual([]);
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

  test('response: Stop ends a sweep with the points it finished, shown, saved and loaded as stopped', async () => {
    const { page, errors } = await open();
    await chooseOption(page, 'responseGeometry', 'sphere');
    await typeField(page, 'responseNs', '200,400,800');
    await typeField(page, 'responseNEpsilon', '0.1,0.3,1,3,10,30');
    await typeField(page, 'responseGrid', '11');
    expect(page.url()).toContain('response_geometry=sphere&response_n=200%2C400%2C800');
    const finished = await startAction(page, 'response');
    await page.waitForFunction(
      () => Number(document.getElementById('response-done')?.textContent?.split(' ')[0]) >= 1,
    );
    await page.locator('#progress-stop').click();
    expect(await finished()).toBe('failed');
    expect(await page.locator('#study-response').getAttribute('data-state')).toBe('failed');
    const done = Number((await shownText(page, 'response-done')).split(' ')[0]);
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThan(18);
    // One table row per finished point, under the header.
    expect(await page.locator('#response-points tr').count()).toBe(done + 1);
    // The study's last progress line, and the N → ∞ row of an N r_e/R the sweep never ran at 800.
    expect(await shownText(page, 'progress-text')).toBe(`response: stopped after ${done} of 18 points`);
    expect(await shownText(page, 'response-limits')).toContain('30.0: fewer than three N run (stopped)');
    // Its screening curve's title says how far it got, as the CLI's plot's does.
    const curveTitle = () => page.locator('#response-plot .u-title').textContent();
    const title = `field drive, sphere, vector model: moment over the Larmor moment (stopped after ${done} of 18 points)`;
    expect(await curveTitle()).toBe(title);
    // Its download holds those points, marked as a run Stop ended (no signal: the page's button).
    const saved = await savedStudy(page, 'response');
    const json = saved.json as { stopped: unknown; points: unknown[] };
    expect(json.stopped).toEqual({ signal: null, points: done, of: 18 });
    expect(json.points).toHaveLength(done);
    // Loaded back, it says so rather than passing for a whole sweep.
    const message = await loadFile(page, 'stopped-response.json', JSON.stringify(json));
    expect(message).toMatch(new RegExp(` The run was stopped after ${done} of 18 points\\.$`));
    expect(await page.locator('#study-response').getAttribute('data-state')).toBe('failed');
    // Its points done of the 18 it had to run; and, wherever in an N it stopped, a sweep of N r_e/R
    // lists the fields take back, with the N it reached.
    expect(await shownText(page, 'response-done')).toBe(`${done} of 18`);
    expect(await curveTitle()).toBe(title);
    expect(message).not.toContain('cannot run this sweep');
    const reached = [200, 400, 800].slice(0, Math.ceil(done / 6));
    expect(await page.locator('[data-field="responseNs"] input').inputValue()).toBe(reached.join(','));
    expect(errors).toEqual([]);
  });

  test('a response link with a bad value shows it by its field, whether the link or the run refuses it', async () => {
    const link = await app.open(
      '?run=response&response_geometry=ring&response_n=16&response_n_epsilon=0.1,-1',
    );
    expect(await settled(link.page)).toBe('failed');
    expect(await fieldError(link.page, 'responseNEpsilon').textContent()).toContain(
      'N r_e/R must be > 0, got -1',
    );
    expect(link.errors).toEqual([]);
    // Only the whole spec sees that the 2D vector model needs the sphere's electrons at z = 0.
    const run = await app.open('?run=response&response_geometry=sphere&response_n=50&response_dim=2');
    expect(await settled(run.page)).toBe('failed');
    expect(await fieldError(run.page, 'responseDim').textContent()).toContain(
      'the 2D vector model needs z = 0',
    );
    expect(await run.page.locator('#study-response').getAttribute('data-state')).toBe('failed');
    expect(run.errors).toEqual([]);
  });
});
