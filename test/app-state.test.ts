// The app's URL state (src/app/state.ts) for the Studies panel: each study's inputs and its run action
// survive a link, and a bad value keeps the default and is reported under its own field.
import { describe, expect, test } from 'vitest';
import { kDefaults, parametersFromQuery, queryFromParameters, type Parameters } from '../src/app/state.ts';

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
    };
    const query = queryFromParameters(chosen);
    expect(query).toContain('run=scaling');
    expect(query).toContain('london_geometry=cylinder&london_n=4321&london_grid=25&london_half_height=0.75');
    const { parameters, errors } = parametersFromQuery(`?${query}`);
    expect(errors).toEqual({});
    expect(parameters).toEqual(chosen);
  });

  test.each([
    ['london_n=0', 'londonN', 'N must be an integer in 1..200000'],
    ['london_grid=2', 'londonGrid', 'grid must be an integer in 3..201'],
    ['london_geometry=cube', 'londonGeometry', 'london_geometry must be one of sphere, cylinder'],
    ['london_half_height=-1', 'londonHalfHeight', 'h must be > 0'],
    ['larmor_radius_m=0', 'larmorRadiusMetres', 'R must be > 0'],
    ['larmor_b_tesla=abc', 'larmorFieldTesla', 'B needs a finite number'],
    ['scaling_n_max=5000', 'scalingNMax', 'N must be an integer in 2..4096'],
    ['scaling_points=0', 'scalingPoints', 'points must be an integer in 1..12'],
    ['run=paper', 'run', 'run must be one of'],
  ] as const)('%s is refused under %s, the default kept', (query, key, message) => {
    const { parameters, errors } = parametersFromQuery(`?${query}`);
    expect(errors[key]).toContain(message);
    expect(parameters[key]).toEqual(kDefaults[key]);
  });
});
