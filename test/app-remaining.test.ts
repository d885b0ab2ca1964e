// What the page decides outside a page about the audit's remaining findings: the loaded files' names
// beside the fields that take them (src/app/panel.ts).
import { describe, expect, test } from 'vitest';
import { shownFileNames } from '../src/app/panel.ts';

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
