// What a first hour with the app found in its logic outside a page: a loaded file is held to the
// N field's limit (src/app/state.ts).
import { describe, expect, test } from 'vitest';
import { checkFileElectrons, kMaxElectrons, parseN } from '../src/app/state.ts';
import { InputError } from '../src/physics/input-error.ts';

describe("a loaded file and the N field's limit", () => {
  test('a file of more electrons than the N field takes is refused, naming the file and both counts', () => {
    expect(() => parseN(String(kMaxElectrons + 1))).toThrow(InputError);
    let refusal: unknown = null;
    try {
      checkFileElectrons(kMaxElectrons + 1, 'big.csv', 'positions');
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(InputError);
    expect((refusal as InputError).field).toBe('positions');
    expect((refusal as InputError).message).toBe(
      'big.csv: 2000001 electrons, but the page takes at most 2000000 (the CLI takes more)',
    );
  });

  test('a file at the limit passes, as the N field takes it', () => {
    expect(parseN(String(kMaxElectrons))).toBe(kMaxElectrons);
    expect(() => checkFileElectrons(kMaxElectrons, 'big.csv', 'positions')).not.toThrow();
  });
});
