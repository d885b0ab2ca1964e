// What the page decides outside a page about the audit's remaining findings: the loaded files' names
// beside the fields that take them (src/app/panel.ts), and the device a browser's JSON names
// (src/io/formats.ts describeDevice), the reading of eq. 43 the pairing card's rings' table says
// it takes (src/app/studies-view.ts), and what a response run says it changed of the Electrons tab
// (src/app/session.ts).
import { describe, expect, test } from 'vitest';
import { shownFileNames } from '../src/app/panel.ts';
import { responseShownLine } from '../src/app/session.ts';
import { kRingTableCaption } from '../src/app/studies-view.ts';
import { kFermiReadingLabels } from '../src/physics/paper.ts';
import { kPairingRings, ringTemperature } from '../src/physics/pairing.ts';
import { pairingRingJson } from '../src/studies/pairing/report.ts';
import type { GpuAdapterSummary, GpuContext } from '../src/gpu/device.ts';
import { describeDevice, deviceName, kCpuDevice } from '../src/io/formats.ts';

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

describe("the JSON's device: what the adapter gives, and no name it withholds", () => {
  /** Chrome's SwiftShader adapter as the page sees it: vendor and architecture, no description. */
  const browser: GpuAdapterSummary = {
    vendor: 'google',
    architecture: 'swiftshader',
    description: '',
    isFallbackAdapter: true,
    backend: 'browser',
    swiftshader: true,
  };
  const context = (adapterInfo: GpuAdapterSummary) =>
    ({ adapterInfo, hasTimestampQuery: false, hasSubgroups: true }) as unknown as GpuContext;

  test('a browser that gives no description: the key is left out, as a CPU run leaves vendor out', () => {
    const device = describeDevice(context(browser));
    expect(device).toEqual({
      kind: 'gpu',
      vendor: 'google',
      architecture: 'swiftshader',
      is_fallback_adapter: true,
      swiftshader: true,
      backend: 'browser',
      timestamp_query: false,
      subgroups: true,
    });
    expect(Object.keys(kCpuDevice)).toEqual(['kind', 'description']);
  });

  test("Dawn's adapter, which names itself, keeps every key in the CLI's order", () => {
    const dawn = { ...browser, description: 'SwiftShader driver 5.0.0', backend: 'dawn-node' } as const;
    expect(Object.keys(describeDevice(context(dawn)))).toEqual([
      'kind',
      'vendor',
      'architecture',
      'description',
      'is_fallback_adapter',
      'swiftshader',
      'backend',
      'timestamp_query',
      'subgroups',
    ]);
    expect(describeDevice(context({ ...dawn, vendor: '' })).vendor).toBeUndefined();
  });

  test('the text names the device by what it gives (deviceName): no "undefined" where a name is withheld', () => {
    const dawn = { ...browser, description: 'SwiftShader driver 5.0.0', backend: 'dawn-node' } as const;
    expect(deviceName(describeDevice(context(dawn)))).toBe('google swiftshader (SwiftShader driver 5.0.0)');
    expect(deviceName(describeDevice(context(browser)))).toBe('google swiftshader');
    const bare = { ...browser, vendor: '', architecture: '' };
    expect(deviceName(describeDevice(context({ ...bare, description: 'an adapter' })))).toBe('an adapter');
    expect(deviceName(describeDevice(context(bare)))).toBe('GPU');
    expect(deviceName(kCpuDevice)).toBe('float64 CPU reference');
  });
});

test("the pairing card's rings' table says which reading of eq. 43 its a_m and temperatures are", () => {
  expect(kRingTableCaption).toContain(kFermiReadingLabels['fermi-energy']);
  expect(kRingTableCaption).toContain('Fermi energy');
  expect(kRingTableCaption).not.toContain(kFermiReadingLabels['fermi-momentum']);
  // The cells it heads (pairing --json's rings[]) are that reading's, a_m half the other's.
  for (const ring of kPairingRings.map((r) => pairingRingJson(ringTemperature(r)))) {
    const [energy, momentum] = ring.readings;
    expect([energy.reading, momentum.reading]).toEqual(['fermi-energy', 'fermi-momentum']);
    expect(ring.a_m_m).toBe(energy.a_m_m);
    expect(ring.temperature_eq46_mk).toBe(energy.temperature_eq46_mk);
    expect(ring.a_m_m / momentum.a_m_m).toBeCloseTo(2, 12);
  }
});

describe('a response run says what it changed of the Electrons tab to show its electrons', () => {
  const ball = { geometry: 'ball', n: 500 } as const;

  test('another geometry and N: both said, with the colour, and the results cleared where there were any', () => {
    const before = { source: 'sphere', n: 500, colourBy: 'darwin' } as const;
    expect(responseShownLine(before, ball, true)).toBe(
      "The canvas shows the response run's electrons, so the Electrons tab took geometry ball and N = 500 " +
        '(were sphere, N = 500) and colour by the induced current |v_i|; its results, of the electrons it ' +
        'had, were cleared.',
    );
    expect(responseShownLine({ ...before, colourBy: 'current' }, ball, false)).toBe(
      "The canvas shows the response run's electrons, so the Electrons tab took geometry ball and N = 500 " +
        '(were sphere, N = 500).',
    );
    expect(responseShownLine({ source: 'file', n: 12, colourBy: 'current' }, ball, false)).toContain(
      '(were a positions file, N = 12)',
    );
  });

  test('the same electrons keep their results: only the colour is said, or nothing', () => {
    expect(responseShownLine({ source: 'ball', n: 500, colourBy: 'velocity' }, ball, true)).toBe(
      "The canvas shows the response run's electrons, so the Electrons tab took colour by the induced " +
        'current |v_i|.',
    );
    expect(responseShownLine({ source: 'ball', n: 500, colourBy: 'current' }, ball, true)).toBeNull();
  });
});
