// On Chromium's SwiftShader WebGPU adapter: what the CLI warns of, the page shows beside its numbers.
// The response card marks a point where M is indefinite as `response --markdown` does (†, with its
// note), from a run and from its JSON loaded back; the Mass matrix section says when the tree sums
// most pairs directly, in the CLI's sentence with the panel's words for its remedy.
import { expect, test } from 'vitest';
import { geometry } from '../src/physics/geometry.ts';
import type { DarwinSystem } from '../src/physics/models.ts';
import { kDefaultTreeTolerance, treeDetails } from '../src/physics/tree-build.ts';
import { kCpuTreeLeaves } from '../src/gpu/profile.ts';
import { gpuTreeGeometry } from '../src/kernels/tree.ts';
import { treeWorkWarning } from '../src/run/backend.ts';
import { indefiniteNote } from '../src/studies/response/report.ts';
import { inPanelWords } from '../src/app/state.ts';
import { loadFile, savedStudy, settled, shownText, type AppPage, webGpuApp } from './support.ts';

const app = webGpuApp();

/** The response card's marks of the ring of 4's two points: (6.5: definite, 6.8: indefinite). */
async function expectIndefiniteMarks({ page }: AppPage): Promise<void> {
  for (const column of ['screening', 'field-centre']) {
    expect(await shownText(page, `response-0-${column}`)).not.toContain('†');
    expect(await shownText(page, `response-1-${column}`)).toMatch(/^-?[\d.]+†$/);
  }
  // What the run compares with is no solution of M v = b: unmarked.
  expect(await shownText(page, 'response-1-continuum')).not.toContain('†');
  // The headline and the map start from 6.8, the largest N r_e/R that converged.
  expect(await shownText(page, 'response-screening')).toMatch(/^-?[\d.]+† \(N = 4, N r_e\/R = 6\.800\)$/);
  expect(await shownText(page, 'response-centre')).toMatch(/^-?[\d.]+†/);
  const note = page.locator('#response-indefinite');
  expect(await note.isVisible()).toBe(true);
  expect(await note.textContent()).toBe(indefiniteNote([{ converged: true, mIndefinite: true }]));
}

test('response: the points where M is indefinite are marked † with its note, run and loaded back', async () => {
  // The azimuthal ring of 4 turns indefinite at N r_e/R = 16/(sqrt 2 + 1) = 6.627; CG converges on
  // either side (the field drives the uniform mode), so only m_indefinite tells the two apart.
  const run = await app.open(
    '?run=response&response_geometry=ring&response_model=azimuthal&response_n=4&response_n_epsilon=6.5,6.8&response_grid=5',
  );
  expect(await settled(run.page)).toBe('converged');
  await expectIndefiniteMarks(run);
  const saved = (await savedStudy(run.page, 'response')).json as { points: { m_indefinite: unknown }[] };
  expect(saved.points.map((p) => p.m_indefinite)).toEqual([false, true]);

  const loaded = await app.open('?run=none');
  expect(await settled(loaded.page)).toBe('idle');
  expect(await loadFile(loaded.page, 'ring-4.json', JSON.stringify(saved))).toMatch(/^Loaded the ring's/);
  await expectIndefiniteMarks(loaded);
  // A file written before m_indefinite was establishes neither: nothing marked, no note.
  const older = { ...saved, points: saved.points.map(({ m_indefinite: _, ...rest }) => rest) };
  await loadFile(loaded.page, 'ring-4-older.json', JSON.stringify(older));
  expect(await shownText(loaded.page, 'response-1-screening')).not.toContain('†');
  expect(await loaded.page.locator('#response-indefinite').isVisible()).toBe(false);
  expect(run.errors).toEqual([]);
  expect(loaded.errors).toEqual([]);
});

test("the tree of a small ball sums most pairs directly: the CLI's warning under Mass matrix M", async () => {
  // A ball of 600 has no nodes far enough apart for the opening angle (test/tree-backend.test.ts).
  const query = 'geometry=ball&n=600&model=vector&eps=1e-3&run=build';
  const tree = await app.open(`?${query}&matrix=tree`);
  expect(await settled(tree.page)).not.toBe('failed');
  const system: DarwinSystem = {
    configuration: geometry('ball', 600),
    model: 'vector',
    dim: 3,
    epsilon: 1e-3,
    softening: 0,
  };
  // Chromium's SwiftShader adapter is a CPU adapter: its leaves.
  const details = treeDetails(gpuTreeGeometry(system, kCpuTreeLeaves, { tolerance: kDefaultTreeTolerance }));
  const warning = treeWorkWarning({ name: 'gpu', system, tree: details });
  expect(warning).toMatch(
    /^warning: the tree sums 100% of the pairs directly .* because of the configuration: .*: --matrix free is/,
  );
  expect(await shownText(tree.page, 'matrix-warning')).toBe(inPanelWords(warning!.replace(/^warning: /, '')));
  expect(await shownText(tree.page, 'matrix-warning')).toContain("matrix 'matrix-free' is as fast");
  expect(await tree.page.locator('#matrix-warning.warn').count()).toBe(1);
  // The matrix-free product of the same ball has nothing to warn of.
  const free = await app.open(`?${query}&matrix=free`);
  expect(await settled(free.page)).not.toBe('failed');
  expect(await shownText(free.page, 'matrix-storage')).toMatch(/^matrix-free/);
  expect(await shownText(free.page, 'matrix-warning')).toBe('–');
  expect(await free.page.locator('#matrix-warning.warn').count()).toBe(0);
  expect(tree.errors).toEqual([]);
  expect(free.errors).toEqual([]);
});
