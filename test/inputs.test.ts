// The inputs of a run, parsed once (src/run/inputs.ts) for the CLI's flags and the app's fields and
// link (src/app/state.ts): the link's round trip and defaults, every bad value refused under its own
// field, and validation errors that carry their field instead of a flag in their text.
import { describe, expect, test } from 'vitest';
import {
  kDefaults,
  panelField,
  parametersFromQuery,
  queryFromParameters,
  type Parameters,
} from '../src/app/state.ts';
import { radiusFromEpsilon } from '../src/physics/constants.ts';
import { geometry, parsePositionsCsv } from '../src/physics/geometry.ts';
import { decimalNumber, InputError } from '../src/physics/input-error.ts';
import { responseSpec } from '../src/studies/response/spec.ts';
import { CoincidentElectronsError, validateSystem, type DarwinSystem } from '../src/physics/models.ts';
import { parseQuantityCsv } from '../src/io/formats.ts';
import * as input from '../src/run/inputs.ts';
import {
  kMinTreeTolerance,
  kMinTreeToleranceShown,
  roundedUp,
  treeAccuracy,
} from '../src/physics/tree-build.ts';

/** The InputError `run` throws. */
function refusal(run: () => unknown): InputError {
  try {
    run();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('the link of the system, solver and display fields', () => {
  test('an empty query is the first-load scenario: the defaults, no errors', () => {
    const { parameters, errors } = parametersFromQuery('');
    expect(errors).toEqual({});
    expect(parameters).toEqual(kDefaults);
    expect(kDefaults).toMatchObject({
      source: 'sphere',
      n: 500,
      epsilon: 1e-3,
      velocity: 'rigid',
      run: 'solve',
    });
    expect(kDefaults.radiusMetres).toBe(radiusFromEpsilon(1e-3));
  });

  test('every field round-trips through the query, eps written when given', () => {
    const chosen: Parameters = {
      ...kDefaults,
      source: 'disk',
      n: 321,
      model: 'vector',
      dim: 2,
      epsilon: 0.0125,
      radiusMetres: radiusFromEpsilon(0.0125),
      softening: 0.03,
      velocity: 'random',
      seed: 4294967295,
      solver: 'minres',
      tolerance: 1e-7,
      maxIterations: 42,
      matrix: 'tree',
      treeTolerance: 1e-3,
      lanczosTolerance: 1e-9,
      lanczosBasis: 24,
      lanczosSeed: 7,
      check: false,
      colourBy: 'momentum',
      arrows: 'velocity',
      pointScale: 2.5,
      view: '2d',
      run: 'spectrum',
    };
    const query = queryFromParameters(chosen);
    expect(query).toContain('geometry=disk&n=321&model=vector&dim=2&eps=0.0125&softening=0.03');
    expect(query).not.toMatch(/(^|&)radius_m=/);
    expect(query).toContain(
      'max_iter=42&matrix=tree&lanczos_tol=1e-9&lanczos_basis=24&lanczos_seed=7&check=0&tree_tol=0.001',
    );
    const { parameters, errors } = parametersFromQuery(`?${query}`);
    expect(errors).toEqual({});
    expect(parameters).toEqual(chosen);
  });

  test('eps and radius_m together are refused under both fields', () => {
    const { errors } = parametersFromQuery('?eps=1e-3&radius_m=1e-9');
    const message = 'give either eps or radius_m in the link, not both';
    expect(errors).toEqual({ epsilon: message, radiusMetres: message });
  });

  test('R given in metres: written as radius_m, eps follows as r_e / R', () => {
    const { parameters, errors } = parametersFromQuery('?radius_m=2.8179403262e-12&max_iter=auto');
    expect(errors).toEqual({});
    expect(parameters.scale).toBe('radius');
    expect(parameters.epsilon).toBeCloseTo(1e-3, 15);
    expect(parameters.maxIterations).toBe(0);
    const query = queryFromParameters(parameters);
    expect(query).toContain('radius_m=2.8179403262e-12');
    expect(query).not.toContain('eps=');
    expect(query).toContain('max_iter=auto');
  });

  test.each([
    ['geometry=torus', 'source', 'geometry must be one of ring, disk'],
    ['n=abc', 'n', 'N needs a finite number'],
    ['n=-3', 'n', 'N must be an integer >= 1'],
    ['n=2.5', 'n', 'N must be an integer >= 1'],
    ['n=2000001', 'n', 'N is limited to 2000000'],
    ['model=scalar', 'model', 'model must be one of vector, azimuthal'],
    ['dim=4', 'dim', 'dim must be one of 2, 3'],
    ['eps=-1e-3', 'epsilon', 'ε must be >= 0'],
    ['radius_m=0', 'radiusMetres', 'R must be > 0'],
    ['softening=-0.1', 'softening', 'softening must be >= 0'],
    ['velocity=spin', 'velocity', 'velocity must be one of rigid, uniform, random, alternating'],
    ['seed=4294967296', 'seed', 'seed must be an integer in [0, 2^32)'],
    ['seed=-1', 'seed', 'seed must be an integer in [0, 2^32)'],
    ['solver=gmres', 'solver', 'solver must be one of cg, minres, auto'],
    ['tol=1', 'tolerance', "tolerance must be in [1e-14, 1) (float64's rounding)"],
    ['tol=0', 'tolerance', "tolerance must be in [1e-14, 1) (float64's rounding)"],
    ['tol=1e-15', 'tolerance', "tolerance must be in [1e-14, 1) (float64's rounding)"],
    ['max_iter=0', 'maxIterations', 'max iterations must be an integer >= 1 or auto'],
    ['matrix=sparse', 'matrix', 'matrix must be one of dense, free, tree, auto'],
    ['lanczos_tol=2', 'lanczosTolerance', 'spectrum tolerance must be in [1e-14, 1)'],
    ['lanczos_basis=4', 'lanczosBasis', 'spectrum basis must be an integer >= 8, got 4'],
    ['lanczos_seed=-1', 'lanczosSeed', 'spectrum seed must be an integer in [0, 2^32)'],
    [
      'tree_tol=0',
      'treeTolerance',
      'tree tolerance must be in [6.45e-8, 1) (the highest expansion order, 16)',
    ],
    ['tree_tol=1e-8', 'treeTolerance', 'tree tolerance must be in [6.45e-8, 1)'],
    [
      'matrix=trees',
      'matrix',
      "matrix must be one of dense, free, tree, auto, got 'trees' (did you mean tree?)",
    ],
    ['check=yes', 'check', "check must be one of 1, 0, true, false, got 'yes'"],
    ['colour=charge', 'colourBy', 'colour must be one of none, velocity'],
    ['arrows=spin', 'arrows', 'arrows must be one of none'],
    ['point=0', 'pointScale', 'point must be in [0.25, 4]'],
    ['point=10', 'pointScale', 'point must be in [0.25, 4]'],
    ['view=4d', 'view', 'view must be one of auto, 3d, 2d'],
  ] as const)('%s is refused under %s, the default kept', (query, key, message) => {
    const { parameters, errors } = parametersFromQuery(`?${query}`);
    expect(Object.keys(errors)).toEqual([key]);
    expect(errors[key]).toContain(message);
    expect(parameters[key]).toEqual(kDefaults[key]);
  });
});

describe('numbers are read in decimal only', () => {
  test.each([
    ['1', 1],
    ['-1.5', -1.5],
    ['+.5', 0.5],
    ['5.', 5],
    ['1e-3', 1e-3],
    ['2.5E+3', 2500],
    [' 7 ', 7],
  ])('%j is %d', (text, value) => {
    expect(decimalNumber(text)).toBe(value);
  });
  // Number() reads the first three as 16, 1, 7 and '' as 0.
  test.each(['0x10', '0b1', '0o7', '', ' ', '1_000', 'Infinity', '1e', 'e3', '--1', '1.2.3', '1,5'])(
    '%j is not a number',
    (text) => {
      expect(decimalNumber(text)).toBeNaN();
    },
  );
  test('a flag, a field, a CSV cell and a response list refuse hexadecimal', () => {
    expect(() => input.parseElectronCount('0x10', '--n')).toThrow("--n needs a finite number, got '0x10'");
    expect(() => parsePositionsCsv('x,y\n0x1,0\n0,1\n', 'p.csv')).toThrow(
      "p.csv:2: '0x1' is not a finite number",
    );

    expect(() => responseSpec({ geometry: 'ring', n: '8,0x10' })).toThrow(
      "n needs a finite number, got '0x10'",
    );
  });
});

describe('a number too small for float64', () => {
  test("a CSV cell says so as a flag does: it said '1e-400' is not a finite number", () => {
    expect(() => parsePositionsCsv('x,y\n1e-400,0\n0,1\n', 'p.csv')).toThrow(
      "p.csv:2: '1e-400' is too small for float64 (it would be 0)",
    );
    expect(() => input.parseEpsilon('1e-400', '--epsilon')).toThrow(
      '--epsilon is too small for float64 (it would be 0), got 1e-400',
    );
  });
});

describe('one parser for a flag and a field', () => {
  test.each([
    ['n', '--n must be an integer >= 1, got 0', () => input.parseElectronCount('0', '--n')],
    ['epsilon', "--epsilon needs a finite number, got 'NaN'", () => input.parseEpsilon('NaN', '--epsilon')],
    ['epsilon', "ε needs a finite number, got '0.1x'", () => input.parseEpsilon('0.1x', 'ε')],
    ['radiusMetres', '--radius-m must be > 0, got -1', () => input.parseRadiusMetres('-1', '--radius-m')],
    ['softening', '--softening must be >= 0, got -1', () => input.parseSoftening('-1', '--softening')],
    [
      'model',
      "--model must be one of vector, azimuthal, got 'scalar'",
      () => input.parseModel('scalar', '--model'),
    ],
    ['dim', "--dim must be one of 2, 3, got '1'", () => input.parseDimension('1', '--dim')],
    ['source', '--geometry must be one of ring, disk', () => input.parseGeometryName('torus', '--geometry')],
    ['velocity', '--velocity must be one of rigid', () => input.parseVelocityPattern('spin', '--velocity')],
    ['seed', '--seed must be an integer in [0, 2^32), got 1.5', () => input.parseSeed('1.5', '--seed')],
    [
      'solver',
      "--solver must be one of cg, minres, auto, got 'gmres'",
      () => input.parseSolver('gmres', '--solver'),
    ],
    [
      'tolerance',
      "--tol must be in [1e-14, 1) (float64's rounding), got 0",
      () => input.parseTolerance('0', '--tol'),
    ],
    [
      'lanczosTolerance',
      '--tol must be in [1e-14, 1)',
      () => input.parseTolerance('1', '--tol', 'lanczosTolerance'),
    ],
    [
      'maxIterations',
      '--max-iter must be an integer >= 1 or auto',
      () => input.parseMaxIterations('-2', '--max-iter'),
    ],
    [
      'maxIterations',
      "--max-iter needs a finite number, got ' '",
      () => input.parseMaxIterations(' ', '--max-iter'),
    ],
    [
      'lanczosSeed',
      '--seed must be an integer in [0, 2^32), got -1',
      () => input.parseLanczosSeed('-1', '--seed'),
    ],
    [
      'matrix',
      "--matrix must be one of dense, free, tree, auto, got 'sparse'",
      () => input.parseMatrix('sparse', '--matrix'),
    ],
    [
      'matrix',
      "--matrix must be one of dense, free, tree, auto, got 'trees' (did you mean tree?)",
      () => input.parseMatrix('trees', '--matrix'),
    ],
    [
      'treeTolerance',
      '--tree-tol must be in [6.45e-8, 1) (the highest expansion order, 16), got 0',
      () => input.parseTolerance('0', '--tree-tol', 'treeTolerance'),
    ],
    [
      'treeTolerance',
      '--tree-tol must be in [6.45e-8, 1) (the highest expansion order, 16), got 1',
      () => input.parseTolerance('1', '--tree-tol', 'treeTolerance'),
    ],
    [
      'treeTolerance',
      "--tree-tol needs a finite number, got 'abc'",
      () => input.parseTolerance('abc', '--tree-tol', 'treeTolerance'),
    ],
    // A near miss of a short name is no typo: 'x' is two edits from 'cg', and no suggestion is made.
    ['solver', "--solver must be one of cg, minres, auto, got 'x'", () => input.parseSolver('x', '--solver')],
    ['solver', "got 'cgg' (did you mean cg?)", () => input.parseSolver('cgg', '--solver')],
    ['device', "--device must be one of gpu, cpu, got 'tpu'", () => input.parseDevice('tpu', '--device')],
  ])('%s: %s', (field, message, run) => {
    const error = refusal(run);
    expect(error.field).toBe(field);
    expect(error.message).toContain(message);
  });

  test('good text gives the value, in the CLI and the app alike', () => {
    expect(input.parseElectronCount('64', '--n')).toBe(64);
    expect(input.parseElectronCount('64', 'N', 100)).toBe(64);
    expect(input.parseEpsilon(' 1e-3 ', 'ε')).toBe(1e-3);
    expect(input.parseEpsilon('0', '--epsilon')).toBe(0);
    expect(input.parseDimension('2', '--dim')).toBe(2);
    expect(input.parseSeed('0', '--seed')).toBe(0);
    expect(input.parseMaxIterations(undefined, '--max-iter')).toBe(0);
    expect(input.parseMaxIterations('auto', 'max iterations')).toBe(0);
    expect(input.parseMaxIterations('17', '--max-iter')).toBe(17);
    expect(input.parseTolerance('1e-6', '--tol')).toBe(1e-6);
    expect(input.parseMatrix('free', 'matrix')).toBe('free');
  });
});

describe('validation errors carry their field, and physics names no flag', () => {
  const system = (overrides: Partial<DarwinSystem>): DarwinSystem => ({
    configuration: geometry('ring', 4),
    model: 'vector',
    dim: 3,
    epsilon: 0.01,
    softening: 0,
    ...overrides,
  });
  test.each([
    ['dim', system({ configuration: geometry('sphere', 5), dim: 2 }), 'dim'],
    [
      'model',
      system({ configuration: parsePositionsCsv('x,y,z\n0,0,1\n1,0,0\n'), model: 'azimuthal' }),
      'model',
    ],
    ['softening', system({ configuration: parsePositionsCsv('x,y\n1,0\n0,1\n1,0\n') }), 'softening'],
    ['epsilon', system({ epsilon: -1 }), 'epsilon'],
    ['softening NaN', system({ softening: NaN }), 'softening'],
    [
      'positions',
      system({ configuration: { n: 1, positions: new Float64Array([NaN, 0, 0]), source: 'x' } }),
      'source',
    ],
  ] as const)('%s', (_name, s, panel) => {
    const error = refusal(() => validateSystem(s));
    expect(error.message).not.toMatch(/--/);
    expect(panelField(error.field)).toBe(panel);
  });

  test('coincident electrons: its own class, with the pair, the remedy left to each front end', () => {
    const error = refusal(() =>
      validateSystem(system({ configuration: parsePositionsCsv('x,y\n1,0\n0,1\n1,0\n') })),
    );
    expect(error).toBeInstanceOf(CoincidentElectronsError);
    expect((error as CoincidentElectronsError).pair).toEqual([0, 2]);
    expect(error.message).toBe('electrons 0 and 2 are at the same place');
  });

  test('CSV errors name the input the file was given for, which the panel shows by its field', () => {
    const positions = refusal(() => parsePositionsCsv('x,y\n1,zero\n', 'p.csv'));
    expect(positions).toMatchObject({
      field: 'positions',
      message: "p.csv:2: 'zero' is not a finite number",
    });
    expect(panelField(positions.field)).toBe('source');
    const ring = system({ model: 'azimuthal' });
    const momenta = refusal(() => parseQuantityCsv('J\n1\n', 'j.csv', ring, 'momenta'));
    expect(momenta).toMatchObject({
      field: 'momenta',
      message: 'j.csv: 1 row of momenta, but the configuration has N = 4',
    });
    const velocities = refusal(() => parseQuantityCsv('vx\n1\n', 'v.csv', ring, 'velocities'));
    expect(velocities.field).toBe('velocities');
    expect(panelField(velocities.field)).toBe('velocity');
    expect(panelField(momenta.field)).toBe('velocity');
    expect(panelField(null)).toBe('actions');
    expect(panelField('out')).toBe('actions');
    // A loaded file's refusal is said beside Files › load.
    expect(panelField('result')).toBe('files');
  });
});

describe("the tree tolerance's least value, as the refusal prints it", () => {
  test('the bound shown is accepted, and the value below it refused, on the CLI and the tree', () => {
    // 0.15 * 0.4^16 = 6.4425e-8: two digits printed 6.4e-8, which was refused by the message
    // that named it.
    expect(kMinTreeTolerance).toBeCloseTo(6.4425e-8, 12);
    expect(kMinTreeToleranceShown).toBe(6.45e-8);
    expect(input.parseTolerance('6.45e-8', '--tree-tol', 'treeTolerance')).toBe(6.45e-8);
    expect(() => treeAccuracy(6.45e-8)).not.toThrow();
    expect(() => input.parseTolerance('6.4e-8', '--tree-tol', 'treeTolerance')).toThrow(
      '--tree-tol must be in [6.45e-8, 1) (the highest expansion order, 16), got 6.4e-8',
    );
    expect(() => treeAccuracy(6.4e-8)).toThrow('the tree tolerance must be in [6.45e-8, 1), got 6.4e-8');
    // Rounding up, to the digits asked.
    expect([roundedUp(6.4425e-8, 2), roundedUp(1e-14, 2), roundedUp(0.123, 2), roundedUp(1.5, 1)]).toEqual([
      6.5e-8, 1e-14, 0.13, 2,
    ]);
  });
});
