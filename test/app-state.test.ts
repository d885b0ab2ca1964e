// The app's URL state (src/app/state.ts) for the Studies panel: each study's inputs and its run action
// survive a link, and a bad value keeps the default and is reported under its own field; so do eps
// and radius_m given together; each Studies field is known as its card's, whose refusals it withdraws.
// A loaded solve sets the solver fields, and its load message names what a rerun would change.
import { describe, expect, test } from 'vitest';
import {
  FieldError,
  isStudyAction,
  kDefaults,
  parametersFromQuery,
  parseRadius,
  queryFromParameters,
  readsField,
  savedRunRerun,
  savedSolverFields,
  studyOfField,
  type Parameters,
} from '../src/app/state.ts';
import { responseSpecOf } from '../src/app/studies.ts';
import { kCpuDevice, toJson, type DeviceSummary } from '../src/io/formats.ts';
import { cpuBackend } from '../src/run/backend.ts';
import { solveJson } from '../src/run/report.ts';
import { runSpectrum } from '../src/run/spectrum.ts';
import { darwinSystem } from './helpers/systems.ts';

test("each Studies field is its card's input, and the Electrons tab's fields are no card's", () => {
  const keys = Object.keys(kDefaults) as (keyof Parameters)[];
  const studyKeys = keys.filter((key) => studyOfField(key) !== null);
  for (const key of studyKeys) expect(key.startsWith(studyOfField(key)!), key).toBe(true);
  expect(studyOfField('londonHalfHeight')).toBe('london');
  expect(studyOfField('responseDim')).toBe('response');
  expect(studyOfField('scalingNMin')).toBe('scaling');
  for (const key of ['n', 'epsilon', 'dim', 'treeTolerance', 'run'] as const)
    expect(studyOfField(key)).toBeNull();
  expect(studyOfField('actions')).toBeNull();
});

describe('the Studies fields in the link', () => {
  test('every study input and run=<study> round-trip through the query', () => {
    const chosen: Parameters = {
      ...kDefaults,
      run: 'scaling',
      londonGeometry: 'cylinder',
      londonN: 4321,
      londonGrid: 25,
      londonHalfHeight: 0.75,
      larmorN: 7,
      larmorFieldTesla: -0.5,
      larmorRadiusMetres: 1.5e-6,
      scalingGeometry: 'ball',
      scalingModel: 'azimuthal',
      scalingNMin: 20,
      scalingNMax: 400,
      scalingPoints: 6,
      responseGeometry: 'ring',
      responseNs: [16, 64],
      responseModel: 'vector',
      responseDim: 2,
      responseDrive: 'rotation',
      responseNEpsilon: [0.1, 1, 10],
      responseGrid: 21,
      colourBy: 'current',
    };
    const query = queryFromParameters(chosen);
    expect(query).toContain('run=scaling');
    expect(query).toContain('london_geometry=cylinder&london_n=4321&london_grid=25&london_half_height=0.75');
    expect(query).toContain('colour=current');
    expect(query).toContain(
      'response_geometry=ring&response_n=16%2C64&response_model=vector&response_dim=2&response_drive=rotation' +
        '&response_n_epsilon=0.1%2C1%2C10&response_grid=21',
    );
    const { parameters, errors } = parametersFromQuery(`?${query}`);
    expect(errors).toEqual({});
    expect(parameters).toEqual(chosen);
  });

  test.each([
    ['london_n=0', 'londonN', 'N must be an integer in 1..200000'],
    ['london_grid=3', 'londonGrid', 'grid must be an integer in 4..201'],
    ['london_geometry=cube', 'londonGeometry', 'london_geometry must be one of sphere, cylinder'],
    ['london_half_height=-1', 'londonHalfHeight', 'h must be > 0'],
    [
      'london_half_height=3e5',
      'londonHalfHeight',
      'h must be at most 200000 (a cylinder needs N >= h electrons',
    ],
    ['larmor_radius_m=0', 'larmorRadiusMetres', 'R must be > 0'],
    ['larmor_b_tesla=abc', 'larmorFieldTesla', 'B needs a finite number'],
    ['scaling_n_max=5000', 'scalingNMax', 'N must be an integer in 2..4096'],
    ['scaling_points=0', 'scalingPoints', 'points must be an integer in 1..12'],
    ['run=paper', 'run', 'run must be one of'],
    ['response_geometry=torus', 'responseGeometry', 'response_geometry must be one of ring, '],
    [
      'response_n=1',
      'responseNs',
      'N must be integers in 2..20000 on the GPU (up to 1000000 with the tree), got 1',
    ],
    ['response_n=16,abc', 'responseNs', "N needs a finite number, got 'abc'"],
    ['response_n=20001', 'responseNs', 'N must be integers in 2..20000'],
    ['response_model=scalar', 'responseModel', 'response_model must be one of vector, azimuthal'],
    ['response_dim=1', 'responseDim', 'response_dim must be one of 2, 3'],
    ['response_drive=spin', 'responseDrive', 'response_drive must be one of field, flux, rotation'],
    [
      'response_n_epsilon=0,1',
      'responseNEpsilon',
      'N r_e/R must be > 0 (0 is the bare Larmor rotation, screening ratio 1: see larmor), got 0',
    ],
    ['response_n_epsilon=', 'responseNEpsilon', "N r_e/R needs a finite number, got ''"],
    ['response_grid=3', 'responseGrid', 'grid must be an integer in 4..201, got 3'],
    ['response_grid=10.5', 'responseGrid', 'grid must be an integer in 4..201'],
    ['arrows=current', 'arrows', 'arrows must be one of none, velocity, momentum, darwin'],
    // a parameter given twice: neither value is taken
    ['n=3&n=4', 'n', 'n is given 2 times in the link'],
    ['model=vector&model=azimuthal&model=vector', 'model', 'model is given 3 times in the link'],
  ] as const)('%s is refused under %s, the default kept', (query, key, message) => {
    const { parameters, errors } = parametersFromQuery(`?${query}`);
    expect(errors[key]).toContain(message);
    expect(parameters[key]).toEqual(kDefaults[key]);
  });
});

describe("the response card's link", () => {
  test('lists are read sorted and without repeats, and run=response is a study action', () => {
    const { parameters, errors } = parametersFromQuery(
      '?run=response&response_n=64,16,64&response_n_epsilon=10,0.1,1,0.1&colour=current',
    );
    expect(errors).toEqual({});
    expect(parameters.run).toBe('response');
    expect(isStudyAction(parameters.run)).toBe(true);
    expect(parameters.responseNs).toEqual([16, 64]);
    expect(parameters.responseNEpsilon).toEqual([0.1, 1, 10]);
    expect(parameters.colourBy).toBe('current');
  });

  test('the defaults are a spec the study accepts: the ball at N = 500, six N r_e/R, a 41 x 41 map', () => {
    const spec = responseSpecOf({ ...kDefaults });
    expect(spec).toMatchObject({
      geometry: 'ball',
      ns: [500],
      model: 'vector',
      dim: 3,
      drive: 'field',
      grid: 41,
    });
    expect(spec.scale).toEqual({ kind: 'nEpsilon', values: [0.1, 0.3, 1, 3, 10, 30] });
  });

  test.each([
    [{ responseGeometry: 'sphere', responseDim: 2 }, 'responseDim', 'the 2D vector model needs z = 0'],
    [
      { responseGeometry: 'square', responseNs: [9], responseModel: 'azimuthal' },
      'responseModel',
      'the azimuthal model needs rho > 0, but electron 4 is on the z axis',
    ],
    [
      // An odd side puts a row on the solenoid's axis: refused at N, naming the nearest even sides.
      { responseGeometry: 'square', responseNs: [9], responseDrive: 'flux' },
      'responseNs',
      'n must be squares of an even side for the flux drive on the square (an odd side puts electrons on the z axis, the solenoid), got 9: 4 or 16',
    ],
  ] as const)('what only the whole spec refuses (%o) goes to its field', (fields, key, message) => {
    let refused: unknown = null;
    try {
      responseSpecOf({ ...kDefaults, ...fields });
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(FieldError);
    expect((refused as FieldError).field).toBe(key);
    expect((refused as FieldError).message).toContain(message);
  });
});

describe('the scale of R in the link', () => {
  test('eps and radius_m together: neither is taken, both fields are marked', () => {
    const { parameters, errors } = parametersFromQuery('?n=100&eps=0.01&radius_m=1e-9');
    const message = 'give either eps or radius_m in the link, not both';
    expect(errors).toEqual({ epsilon: message, radiusMetres: message });
    expect(parameters).toEqual({ ...kDefaults, n: 100 });
    const query = new URLSearchParams(queryFromParameters(parameters));
    expect([query.get('eps'), query.get('radius_m')]).toEqual([String(kDefaults.epsilon), null]);
  });

  test('either one alone sets the other through eps = r_e / R', () => {
    const byRadius = parametersFromQuery('?radius_m=1e-9');
    expect(byRadius.errors).toEqual({});
    expect(byRadius.parameters).toMatchObject({ scale: 'radius', radiusMetres: 1e-9 });
    expect(byRadius.parameters.epsilon).toBeCloseTo(2.8179403262e-6, 15);
    const byEpsilon = parametersFromQuery('?eps=0.01');
    expect(byEpsilon.parameters).toMatchObject({ scale: 'epsilon', epsilon: 0.01 });
    expect(byEpsilon.parameters.radiusMetres).toBeCloseTo(2.8179403262e-13, 22);
  });
});

describe('eps = 0, no Darwin term: the R field shows ∞ and takes it back', () => {
  test('R = ∞ reads as eps = 0, in the field and in the link, and a link of it round-trips', () => {
    expect(parseRadius('∞')).toBe(Infinity);
    expect(() => parseRadius('Infinity')).toThrow('R needs a finite number');
    const { parameters, errors } = parametersFromQuery('?radius_m=%E2%88%9E');
    expect(errors).toEqual({});
    expect(parameters).toMatchObject({ epsilon: 0, radiusMetres: Infinity, scale: 'radius' });
    const query = queryFromParameters(parameters);
    expect(query).toContain('radius_m=%E2%88%9E');
    expect(parametersFromQuery(`?${query}`).parameters).toEqual(parameters);
  });
});

describe('a field that does not parse refuses only the actions that read it', () => {
  const keys = Object.keys(kDefaults) as (keyof Parameters)[];

  test('Pairing reads no field, so nothing typed wrong anywhere refuses it', () => {
    expect(keys.filter((key) => readsField('pairing', key))).toEqual([]);
  });

  test("a study reads its card's fields; the response sweep also the tree's tolerance ('auto' M)", () => {
    expect(keys.filter((key) => readsField('london', key))).toEqual([
      'londonGeometry',
      'londonN',
      'londonGrid',
      'londonHalfHeight',
    ]);
    expect(readsField('response', 'treeTolerance')).toBe(true);
    expect(readsField('response', 'responseNEpsilon')).toBe(true);
    expect(readsField('scaling', 'treeTolerance')).toBe(false);
    for (const study of ['london', 'larmor', 'scaling', 'response'] as const)
      expect(readsField(study, 'epsilon')).toBe(false);
  });

  test("the Electrons tab's actions read the system's fields, each its own beside them, no card's", () => {
    for (const action of ['build', 'momenta', 'solve', 'spectrum'] as const) {
      for (const key of ['n', 'epsilon', 'radiusMetres', 'softening', 'treeTolerance'] as const)
        expect(readsField(action, key), `${action} ${key}`).toBe(true);
      expect(readsField(action, 'londonN')).toBe(false);
    }
    expect(readsField('build', 'tolerance')).toBe(false);
    expect(readsField('solve', 'tolerance')).toBe(true);
    expect(readsField('solve', 'lanczosTolerance')).toBe(false);
    expect(readsField('spectrum', 'lanczosTolerance')).toBe(true);
    // The Lanczos basis and seed are the Spectrum's alone: a bad one refuses no solve.
    for (const key of ['lanczosBasis', 'lanczosSeed'] as const) {
      expect(readsField('spectrum', key), key).toBe(true);
      for (const action of ['build', 'momenta', 'solve'] as const)
        expect(readsField(action, key), `${action} ${key}`).toBe(false);
    }
    expect(readsField('spectrum', 'maxIterations')).toBe(true);
    expect(readsField('spectrum', 'tolerance')).toBe(false);
    expect(readsField('spectrum', 'seed')).toBe(false);
    expect(readsField('momenta', 'seed')).toBe(true);
  });
});

describe("a loaded solve's solver fields, so that the link reproduces its run", () => {
  // Neither the solve nor the spectrum was stopped.
  const kNoStops = { solve: null, spectrum: null };
  // The spectrum's fields of a file that names none of its settings: the defaults, the CLI's.
  const kDefaultLanczos = {
    lanczosTolerance: kDefaults.lanczosTolerance,
    lanczosBasis: 96,
    lanczosSeed: 1,
  };
  // A summary as solveJson writes it (src/run/report.ts), of 3000 unknowns: the solvers' limit 3000.
  const summary = {
    matrix: 'free',
    solver: 'cg',
    tolerance: 1e-9,
    switched_from: null,
    iterations: 41,
    reason: 'converged_rtol',
    refinement_steps: 2,
  };

  test('its tolerance, solver and storage; the limit auto where the run never reached one', () => {
    expect(savedSolverFields(summary, 'run.json', kNoStops, 3000)).toEqual({
      solver: 'cg',
      tolerance: 1e-9,
      matrix: 'free',
      treeTolerance: kDefaults.treeTolerance,
      maxIterations: 0,
      ...kDefaultLanczos,
    });
  });

  test("every field the file does not decide is the default's, none the page's last run's", () => {
    // An older CPU dense file: "matrix" null, no tolerance; the tree's tolerance only beside a tree.
    const older = { ...summary, matrix: null, tolerance: undefined, tree: { tolerance: 1e-3 } };
    expect(savedSolverFields(older, 'run.json', kNoStops, 3000)).toEqual({
      solver: 'cg',
      tolerance: kDefaults.tolerance,
      matrix: 'auto',
      treeTolerance: kDefaults.treeTolerance,
      maxIterations: 0,
      ...kDefaultLanczos,
    });
  });

  test("the spectrum's basis and seed (spectrum --basis 24 --seed 7), so that its rerun is the file's", () => {
    const spectrum = { tolerance: 1e-6, basis: 24, seed: 7 };
    const fields = { lanczosTolerance: 1e-6, lanczosBasis: 24, lanczosSeed: 7 };
    expect(savedSolverFields({ ...summary, spectrum }, 'run.json', kNoStops, 3000)).toMatchObject(fields);
    const alone = { ...summary, solver: null, tolerance: null, spectrum };
    expect(savedSolverFields(alone, 'run.json', kNoStops, 3000)).toMatchObject(fields);
    expect(() =>
      savedSolverFields({ ...alone, spectrum: { ...spectrum, basis: 1 } }, 'run.json', kNoStops, 3000),
    ).toThrow(/^run\.json: "spectrum\.basis" is refused: spectrum basis must be an integer >= 8, got 1/);
    expect(() =>
      savedSolverFields({ ...alone, spectrum: { ...spectrum, seed: -1 } }, 'run.json', kNoStops, 3000),
    ).toThrow(/^run\.json: "spectrum\.seed" is refused: spectrum seed must be an integer in \[0, 2\^32\)/);
  });

  test("the spectrum's Lanczos tolerance, with a solve or alone", () => {
    const spectrum = { tolerance: 1e-10, refined: true };
    expect(savedSolverFields({ ...summary, spectrum }, 'run.json', kNoStops, 3000).lanczosTolerance).toBe(
      1e-10,
    );
    const alone = { ...summary, solver: null, tolerance: null, spectrum };
    expect(savedSolverFields(alone, 'run.json', kNoStops, 3000).lanczosTolerance).toBe(1e-10);
    expect(() =>
      savedSolverFields({ ...alone, spectrum: { tolerance: 0 } }, 'run.json', kNoStops, 3000),
    ).toThrow(/^run\.json: "spectrum\.tolerance" is refused: spectrum tolerance /);
  });

  test('auto where the solve switched from CG; the tree with its tolerance', () => {
    const tree = {
      ...summary,
      solver: 'minres',
      switched_from: 'cg',
      matrix: 'tree',
      tree: { tolerance: 1e-4 },
    };
    expect(savedSolverFields(tree, 'run.json', kNoStops, 3000)).toMatchObject({
      solver: 'auto',
      matrix: 'tree',
      treeTolerance: 1e-4,
    });
    expect(() => savedSolverFields({ ...tree, tree: { tolerance: 2 } }, 'run.json', kNoStops, 3000)).toThrow(
      /^run\.json: "tree\.tolerance" is refused: tree tolerance /,
    );
  });

  test("a stopped solve's limit, and the iterations of an unrefined one that ran out of them", () => {
    const stopped = { ...summary, iterations: 32, reason: 'diverged_max_it' };
    expect(
      savedSolverFields(stopped, 'run.json', { solve: { of: 500 }, spectrum: null }, 3000).maxIterations,
    ).toBe(500);
    expect(
      savedSolverFields(stopped, 'run.json', { solve: { of: 3000 }, spectrum: null }, 3000).maxIterations,
    ).toBe(0);
    const ranOut = { ...stopped, iterations: 20, refinement_steps: 0 };
    expect(savedSolverFields(ranOut, 'run.json', kNoStops, 3000).maxIterations).toBe(20);
    // Refined, the limit bounds each inner solve: the iterations summed over them are not it.
    expect(savedSolverFields(stopped, 'run.json', kNoStops, 3000).maxIterations).toBe(0);
  });

  test("a spectrum alone sets the storage, the tree's tolerance and its own limit, no solver field", () => {
    // As the app writes a Spectrum with nothing solved: the solve's keys null, 0 iterations.
    const nothingSolved = { ...summary, solver: null, tolerance: null, iterations: 0, reason: null };
    const spectrum = { tolerance: 1e-6, iterations: 30, reason: 'diverged_max_it', refined: false };
    const tree = { ...nothingSolved, matrix: 'tree', tree: { tolerance: 1e-3 }, spectrum };
    expect(savedSolverFields(tree, 'run.json', kNoStops, 3000)).toEqual({
      matrix: 'tree',
      treeTolerance: 1e-3,
      maxIterations: 30,
      ...kDefaultLanczos,
    });
    // Lanczos's default limit for 3000 unknowns is 10 000, the solvers' 3000.
    const stopped = { spectrum: { of: 10_000 }, solve: null };
    expect(savedSolverFields(tree, 'run.json', stopped, 3000).maxIterations).toBe(0);
    expect(
      savedSolverFields(tree, 'run.json', { ...stopped, spectrum: { of: 3000 } }, 3000).maxIterations,
    ).toBe(3000);
    const converged = { ...tree, spectrum: { ...spectrum, iterations: 42, reason: 'converged_tol' } };
    expect(savedSolverFields(converged, 'run.json', kNoStops, 3000).maxIterations).toBe(0);
  });

  test('"max_iter" where the file writes it, null for auto; with a solve its limit, not the spectrum\'s', () => {
    // A converged run shows no limit but the one it was given.
    expect(savedSolverFields({ ...summary, max_iter: 70 }, 'run.json', kNoStops, 3000).maxIterations).toBe(
      70,
    );
    const ranOut = { ...summary, iterations: 20, reason: 'diverged_max_it', refinement_steps: 0 };
    expect(savedSolverFields({ ...ranOut, max_iter: null }, 'run.json', kNoStops, 3000).maxIterations).toBe(
      0,
    );
    const spectrum = { tolerance: 1e-6, iterations: 30, reason: 'diverged_max_it', max_iter: 30 };
    expect(
      savedSolverFields({ ...summary, max_iter: null, spectrum }, 'run.json', kNoStops, 3000),
    ).toMatchObject({
      maxIterations: 0,
    });
    const alone = { ...summary, solver: null, tolerance: null, spectrum: { ...spectrum, max_iter: 40 } };
    expect(savedSolverFields(alone, 'run.json', kNoStops, 3000).maxIterations).toBe(40);
    expect(() =>
      savedSolverFields({ ...alone, spectrum: { ...spectrum, max_iter: 0 } }, 'run.json', kNoStops, 3000),
    ).toThrow(/^run\.json: "spectrum\.max_iter" is refused: max iterations /);
  });

  test('nothing solved and no spectrum sets no solver field; a value the field refuses refuses the file', () => {
    expect(
      savedSolverFields({ ...summary, solver: null, tolerance: null }, 'run.json', kNoStops, 3000),
    ).toEqual(kDefaultLanczos);
    expect(() => savedSolverFields({ ...summary, tolerance: 2 }, 'run.json', kNoStops, 3000)).toThrow(
      /^run\.json: "tolerance" is refused: tolerance /,
    );
    expect(() => savedSolverFields({ ...summary, solver: 'gmres' }, 'run.json', kNoStops, 3000)).toThrow(
      /^run\.json: "solver" is refused/,
    );
  });
});

describe("a loaded solve's load message: what a rerun on the page would change that no field carries", () => {
  const system = darwinSystem('ring', 12, 'vector', 3, 1e-2);
  const kGpu: DeviceSummary = { kind: 'gpu', backend: 'vulkan' };

  /** A spectrum alone, as the app's download writes it, of a float64 Lanczos run from `seed`. */
  async function savedSpectrum(device: DeviceSummary, seed: number): Promise<Record<string, unknown>> {
    const report = await runSpectrum(system, cpuBackend(system), { tol: 1e-10, seed, basisSize: 24 });
    expect(report.spectrum.lanczos.converged).toBe(true);
    const context = { device, matrix: 'dense', radiusMetres: 1, timing: {} };
    return JSON.parse(toJson(solveJson(system, null, context, { spectrum: report }))) as Record<
      string,
      unknown
    >;
  }

  test("a CPU run's float64 device: the page runs float32 on its GPU", async () => {
    const file = await savedSpectrum(kCpuDevice, 7);
    expect(savedRunRerun(file, 'gpu')).toBe(
      "; a rerun here takes the page's device gpu, not the file's device cpu",
    );
  });

  test('a GPU run, at any seed and basis (the panel takes them), or a file that names no device: nothing', async () => {
    const file = await savedSpectrum(kGpu, 7);
    expect(file.spectrum).toMatchObject({ seed: 7, basis: 24 });
    expect(savedRunRerun(file, 'gpu')).toBe('');
    expect(savedRunRerun({ ...file, device: undefined }, 'gpu')).toBe('');
  });
});
