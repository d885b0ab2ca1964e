// The files the page loads, decided outside a page (src/app/state.ts, files.ts, panel.ts): a loaded
// file is held to the N field's limit, by its size before it is read, a saved result's CSV is told
// from a positions CSV, and a loaded file's name is shown beside the fields that take it while they
// do.
import { describe, expect, test } from 'vitest';
import { shownFileNames } from '../src/app/panel.ts';
import { checkFileElectrons, kMaxElectrons, parseN } from '../src/app/state.ts';
import { kMaxFileBytes, loadedText } from '../src/app/files.ts';
import { isResultCsv, resultCsv, toJson } from '../src/io/formats.ts';
import { InputError } from '../src/physics/input-error.ts';
import { applyMassMatrixFree } from '../src/physics/models.ts';
import { velocityPattern } from '../src/physics/velocities.ts';
import { darwinSystem } from './helpers/systems.ts';

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

describe("a loaded file larger than a result of the N field's limit", () => {
  /** A file of `size` bytes that counts the reads of its text. */
  const file = (name: string, size: number) => {
    const counted = {
      name,
      size,
      reads: 0,
      text: async () => {
        counted.reads++;
        return 'x,y\n0,0\n';
      },
    };
    return counted;
  };

  test('is refused by its size before it is read, naming the file, its size and the limit', async () => {
    const big = file('big.json', 600e6);
    const refused = loadedText(big);
    await expect(refused).rejects.toThrow(InputError);
    await expect(refused).rejects.toThrow(
      'big.json: 600 MB, but the page reads at most 512 MB, a result of 2000000 electrons (the CLI takes more)',
    );
    await expect(refused).rejects.toMatchObject({ field: 'result' });
    await expect(loadedText(file('edge.csv', kMaxFileBytes + 1))).rejects.toThrow(InputError);
    expect(big.reads).toBe(0);
  });

  test('a file at the limit is read', async () => {
    const edge = file('edge.csv', kMaxFileBytes);
    expect(await loadedText(edge)).toBe('x,y\n0,0\n');
    expect(edge.reads).toBe(1);
  });

  test("a saved result of the limit's electrons is under it, as CSV and as JSON", () => {
    const n = 2000;
    const system = darwinSystem('ball', n, 'vector', 3, 1e-3);
    const velocities = velocityPattern(system, 'random', 1);
    const momenta = applyMassMatrixFree(system, velocities);
    const perElectron = (text: string) => new TextEncoder().encode(text).length / n;
    const positions = system.configuration.positions;
    for (const text of [resultCsv(system, velocities, momenta), toJson({ positions, velocities, momenta })]) {
      expect(perElectron(text)).toBeGreaterThan(150);
      expect(perElectron(text)).toBeLessThan(kMaxFileBytes / kMaxElectrons);
    }
  });
});

describe("a saved result's CSV loaded as positions", () => {
  test('is told from a positions CSV by its velocity and momentum columns, which the page does not read', () => {
    const system = darwinSystem('sphere', 4, 'vector', 3, 1e-3);
    const velocities = velocityPattern(system, 'rigid', 1);
    const momenta = applyMassMatrixFree(system, velocities);
    expect(isResultCsv(resultCsv(system, velocities, momenta))).toBe(true);
    expect(isResultCsv('x,y,z\n0,0,1\n')).toBe(false);
    expect(isResultCsv('# a comment\nx,y\n0,1\n')).toBe(false);
    expect(isResultCsv('')).toBe(false);
  });
});

describe("a loaded file's name is shown while its field takes it", () => {
  const loaded = { positions: 'shell.csv', quantity: 'v.csv (velocities)' };

  test('a geometry picked after a positions file: the row no longer names the file', () => {
    expect(shownFileNames({ source: 'sphere', velocity: 'rigid' }, loaded)).toEqual({
      positionsFile: '–',
      quantityFile: '–',
    });
  });

  test("'positions file' and 'loaded file' picked again: the held files are named again", () => {
    expect(shownFileNames({ source: 'file', velocity: 'file' }, loaded)).toEqual({
      positionsFile: 'shell.csv',
      quantityFile: 'v.csv (velocities)',
    });
    // Picked with nothing loaded yet: no name.
    expect(shownFileNames({ source: 'file', velocity: 'file' }, { positions: null, quantity: null })).toEqual(
      { positionsFile: '–', quantityFile: '–' },
    );
  });
});
