// A link's unknown query keys (src/app/state.ts parametersFromQuery): reported, never a field error
// (there is no field to mark) and never in force; every key a link of the app writes is known.
import { describe, expect, test } from 'vitest';
import { kQueryKeys, parametersFromQuery, queryFromParameters } from '../src/app/state.ts';

describe('unknown link parameters', () => {
  test('each unknown key once, in the link order; the known ones still read', () => {
    const { parameters, errors, unknown } = parametersFromQuery('?nn=100&n=50&bogus=1&nn=3&%00=x');
    expect(unknown).toEqual(['nn', 'bogus', '\0']);
    expect(errors).toEqual({});
    expect(parameters.n).toBe(50);
  });

  test("the app's own links have none", () => {
    const { parameters } = parametersFromQuery('?n=77&eps=0.02&run=spectrum');
    const query = queryFromParameters(parameters);
    expect(parametersFromQuery(`?${query}`).unknown).toEqual([]);
    for (const key of new URLSearchParams(query).keys()) expect(kQueryKeys).toContain(key);
  });
});
