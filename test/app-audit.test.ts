// What a first hour with the app found in its logic outside a page (src/app/state.ts, files.ts): a
// loaded file is held to the N field's limit, by its size before it is read, the shared refusals the
// page shows name its fields, not the CLI's flags, the Larmor ring's N is refused without a bound of
// 2^53 written out, a plot's linear axis has the decimals its ticks need, and a saved result's CSV
// is told from a positions CSV.
import { describe, expect, test } from 'vitest';
import { checkFileElectrons, inPanelWords, kMaxElectrons, parseN } from '../src/app/state.ts';
import { parseLarmorN } from '../src/studies/larmor/spec.ts';
import { linearTickLabels } from '../src/app/diagnostics.ts';
import { kMaxFileBytes, loadedText } from '../src/app/files.ts';
import { checkDenseFits, checkTreeFits } from '../src/engine/backend.ts';
import { checkFloat32System } from '../src/physics/float32.ts';
import type { GpuContext } from '../src/gpu/device.ts';
import { isResultCsv, resultCsv, toJson } from '../src/io/formats.ts';
import { InputError } from '../src/physics/input-error.ts';
import { applyMassMatrixFree } from '../src/physics/models.ts';
import { velocityPattern } from '../src/physics/velocities.ts';
import { darwinSystem } from './helpers/systems.ts';

/** The message `refuse` throws, as the page shows it. */
function shown(refuse: () => void): string {
  try {
    refuse();
  } catch (error) {
    if (error instanceof InputError) return inPanelWords(error.message);
    throw error;
  }
  throw new Error('nothing was refused');
}

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

describe("the shared refusals in the panel's words", () => {
  // A device of 1 kB: every M and tree of a few hundred electrons is refused up front.
  const tiny = {
    limits: { maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 30 },
    memory: { source: 'the test budget', availableBytes: () => 1024 },
  } as unknown as GpuContext;
  const sphere = darwinSystem('sphere', 500, 'vector', 3, 1e-3);

  test("dense storage past the device's memory names the matrix field's choices", () => {
    expect(shown(() => checkDenseFits(tiny, sphere))).toBe(
      "matrix 'dense (stored)' needs 0.00920 GB for the 1500 x 1500 float32 M (0.00900 GB), its vectors, " +
        "more than the 0.00000102 GB of the test budget; use matrix 'matrix-free', which " +
        'recomputes the entries in every product in O(N) memory',
    );
  });

  test("the tree past the device's memory names the tree and matrix-free choices", () => {
    const message = shown(() => checkTreeFits(tiny, sphere));
    expect(message).toMatch(/^matrix 'tree \(fast multipole\)' needs /);
    expect(message).toMatch(
      /; use matrix 'matrix-free', which holds only the positions and vectors \(O\(N\^2\) time a product\)$/,
    );
    expect(message).not.toContain('--');
  });

  test('two electrons at one float32 point name the float64 path as the CLI’s, which the page has not', () => {
    // The azimuthal model: its matrix-free product keeps x and y about the axis (uploadOrigin).
    const configuration = { n: 2, positions: Float64Array.of(1, 0, 0, 1 + 1e-12, 0, 0), source: 'two' };
    const system = { configuration, model: 'azimuthal', dim: 3, epsilon: 1e-3, softening: 0 } as const;
    expect(shown(() => checkFloat32System(system, 'free'))).toBe(
      "electrons 0 and 1 are at the same place once rounded to float32, the GPU's precision; give a " +
        "softening > 0, use matrix 'tree (fast multipole)' (its positions are relative to the median electron), " +
        "or use the CPU reference (the CLI's --device cpu), which keeps float64",
    );
  });

  test("an electron whose rho^2 float32 flushes to 0 names the float64 path as the CLI's", () => {
    const configuration = { n: 2, positions: Float64Array.of(1, 0, 0, 1e-20, 0, 0.5), source: 'axis' };
    const system = { configuration, model: 'azimuthal', dim: 3, epsilon: 0.05, softening: 0 } as const;
    expect(shown(() => checkFloat32System(system, 'auto'))).toBe(
      'the rho^2 = 1.00e-40 R^2 of electron 1 (1.00e-20 R from the z axis) is too small for float32 (the ' +
        "GPU computes in float32; the CPU reference (the CLI's --device cpu) keeps float64's range)",
    );
  });
});

describe("the Larmor ring's N", () => {
  test('a count under 1 is refused as the N field refuses it, with no bound of 2^53 written out', () => {
    for (const text of ['0', '-3', '2.5']) {
      expect(() => parseLarmorN(text)).toThrow(`N must be an integer >= 1, got ${text}`);
      expect(() => parseLarmorN(text)).toThrow(InputError);
    }
    expect(parseLarmorN('1000000000000000')).toBe(1e15);
  });
});

describe("a linear plot axis's labels", () => {
  test('ratios within 1e-4 of 1 are told apart, not all written 1', () => {
    expect(linearTickLabels([0.99998, 1, 1.00002], 2e-5)).toEqual(['0.99998', '1.00000', '1.00002']);
  });

  test('each label has the decimals of its spacing: 2.5 times a power of ten keeps its 5', () => {
    expect(linearTickLabels([0, 0.25, 0.5, 0.75], 0.25)).toEqual(['0.00', '0.25', '0.50', '0.75']);
    expect(linearTickLabels([0.2, 0.4, null], 0.2)).toEqual(['0.2', '0.4', '']);
    expect(linearTickLabels([0, 10, 20], 10)).toEqual(['0', '10', '20']);
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
