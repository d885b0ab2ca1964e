// Hostile input, found by a fuzzer (fast-check): the CSV readers and the option parser, fed random and
// adversarial text, either give a result or refuse it with an InputError whose message is one line of
// bounded length; never another exception. Then the CLI itself, spawned on generated files: exit 0
// with a complete result file, or exit 2 with one `error:` line and no file; never a stack trace.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { kCommonOptions, kSystemOptions, parseCommandArgs, systemFromOptions } from '../src/cli/options.ts';
import { parseQuantityCsv } from '../src/io/formats.ts';
import { geometry, parsePositionsCsv } from '../src/physics/geometry.ts';
import { InputError } from '../src/physics/input-error.ts';
import type { DarwinSystem } from '../src/physics/models.ts';
import { useCliBundle } from './helpers/cli-bundle.ts';

/** A refusal's message: one line, short enough to read (a 1 MB line must not come back whole). */
function expectReadableRefusal(error: unknown, field: string | null = null) {
  expect(error).toBeInstanceOf(InputError);
  const message = (error as InputError).message;
  expect(message).not.toMatch(/\n/);
  expect(message.length).toBeLessThan(300);
  if (field) expect((error as InputError).field).toBe(field);
}

/** The cells a hostile CSV is made of: numbers, non-finite spellings, overflow, junk, huge cells. */
const cell = fc.oneof(
  fc.double({ noNaN: false }).map(String),
  fc.integer({ min: -1000, max: 1000 }).map(String),
  fc.constantFrom(
    'NaN',
    'Infinity',
    '-Infinity',
    'inf',
    '1e39',
    '-1e39',
    '1e-400',
    '',
    ' ',
    '0x10',
    '1,5',
    '"1"',
  ),
  fc.string({ maxLength: 8 }),
  fc.constant('9'.repeat(5000)),
);
const header = fc.constantFrom(
  'x,y',
  'x,y,z',
  'X, Y ,z',
  '\uFEFFx,y,z',
  'z,x,y',
  'x,y,z,w',
  'x',
  'x,x,y',
  '',
  'vx,vy,vz',
  'omega',
  'px,py',
);
const lineEnd = fc.constantFrom('\n', '\r\n', '\r', '\n\n', '\n# comment\n');
const hostileCsv = fc.oneof(
  fc
    .tuple(header, lineEnd, fc.array(fc.array(cell, { maxLength: 5 }), { maxLength: 12 }))
    .map(([head, end, rows]) => [head, ...rows.map((row) => row.join(','))].join(end)),
  // duplicate rows: coincident electrons
  fc.tuple(header, cell, cell).map(([head, a, b]) => `${head}\n${a},${b},0\n${a},${b},0\n`),
  fc.string({ maxLength: 200 }),
  fc.constant(''),
);

describe('the CSV readers under hostile input', () => {
  test('positions: a configuration of finite coordinates, or a readable refusal', () => {
    fc.assert(
      fc.property(hostileCsv, (text) => {
        try {
          const configuration = parsePositionsCsv(text, 'p.csv');
          expect(configuration.n).toBeGreaterThanOrEqual(1);
          expect(configuration.positions).toHaveLength(3 * configuration.n);
          for (const x of configuration.positions) expect(Number.isFinite(x)).toBe(true);
        } catch (error) {
          expectReadableRefusal(error, 'positions');
        }
      }),
      { numRuns: 600 },
    );
  });

  test('velocities and momenta: one finite value per unknown, or a readable refusal', () => {
    const systems: DarwinSystem[] = [
      { configuration: geometry('ring', 3), model: 'vector', dim: 3, epsilon: 0.1, softening: 0 },
      { configuration: geometry('disk', 2), model: 'vector', dim: 2, epsilon: 0.1, softening: 0 },
      { configuration: geometry('ring', 2), model: 'azimuthal', dim: 3, epsilon: 0.1, softening: 0 },
    ];
    fc.assert(
      fc.property(
        hostileCsv,
        fc.constantFrom(...systems),
        fc.constantFrom('velocities', 'momenta'),
        (text, system, kind) => {
          try {
            const values = parseQuantityCsv(text, 'q.csv', system, kind);
            const size = system.configuration.n * (system.model === 'azimuthal' ? 1 : system.dim);
            expect(values).toHaveLength(size);
            for (const x of values) expect(Number.isFinite(x)).toBe(true);
          } catch (error) {
            expectReadableRefusal(error, kind);
          }
        },
      ),
      { numRuns: 600 },
    );
  });

  test('a byte-order mark, CRLF line ends and comments are read as the plain file', () => {
    const plain = parsePositionsCsv('x,y,z\n1,0,0\n0,1,0\n', 'p.csv');
    const windows = parsePositionsCsv('\uFEFFx,y,z\r\n# two electrons\r\n1,0,0\r\n0,1,0\r\n', 'p.csv');
    expect(windows).toEqual(plain);
  });
});

describe('option values under hostile input', () => {
  const kOptions = { ...kSystemOptions, ...kCommonOptions, tol: { type: 'string' } } as const;
  const flag = fc.constantFrom(
    ...Object.keys(kOptions).map((name) => `--${name}`),
    '--',
    '-h',
    '--nope',
    '-n',
  );
  const value = fc.oneof(
    fc.constantFrom(
      'ring',
      'ball',
      '8',
      '0',
      '-1',
      '-1e-3',
      '1e308',
      'NaN',
      'Infinity',
      '',
      ' ',
      '3x',
      '2',
      '3',
    ),
    fc.string({ maxLength: 10 }),
    fc.double().map(String),
  );
  const token = fc.oneof(
    flag,
    value,
    fc.tuple(flag, value).map(([f, v]) => `${f}=${v}`),
  );

  test('a system, or a readable refusal: never a parseArgs error or a TypeError', () => {
    fc.assert(
      fc.property(fc.array(token, { maxLength: 10 }), (argv) => {
        try {
          const { values } = parseCommandArgs(argv, kOptions);
          if (values.help) return;
          const { system } = systemFromOptions(values);
          expect(system.configuration.n).toBeGreaterThanOrEqual(1);
          expect(Number.isFinite(system.epsilon)).toBe(true);
        } catch (error) {
          expectReadableRefusal(error);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('the CLI on generated files', () => {
  const { cli, dir } = useCliBundle('fuzz', { timeoutMs: 30_000 });

  test('exit 0 with a complete file, or exit 2 with one error line and no file', () => {
    let run = 0;
    fc.assert(
      fc.property(hostileCsv, (text) => {
        run++;
        const input = join(dir, `p${run}.csv`);
        const output = join(dir, `out${run}.json`);
        writeFileSync(input, text);
        const args = [
          'solve',
          '--positions',
          input,
          '--epsilon',
          '0.01',
          '--velocity',
          'rigid',
          '--device',
          'cpu',
        ];
        const result = cli(...args, '--out', output);
        expect(result.stderr).not.toMatch(/\n\s+at |internal/);
        if (result.status === 0) {
          expect(JSON.parse(readFileSync(output, 'utf8')).command).toBe('solve');
        } else {
          expect(result.status).toBe(2);
          expect(result.stderr.trim().split('\n')).toHaveLength(1);
          expect(result.stderr).toMatch(/^error: /);
          expect(existsSync(output)).toBe(false);
        }
      }),
      { numRuns: 25 },
    );
  });
});
