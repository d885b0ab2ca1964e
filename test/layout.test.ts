// The README's Layout (Development) states which folders of src/ may import which; these tests read
// every import of src/ and hold the code to it, so the README and the code cannot drift apart.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

interface Import {
  /** Importing file and imported module, relative to src/. */
  from: string;
  to: string;
  typeOnly: boolean;
}

const kSource = resolve(import.meta.dirname, '../src');

function sourceImports(): Import[] {
  const files = readdirSync(kSource, { recursive: true, encoding: 'utf8' }).filter((file) =>
    file.endsWith('.ts'),
  );
  return files.flatMap((file) => {
    const text = readFileSync(join(kSource, file), 'utf8');
    return Array.from(text.matchAll(/^(?:import|export)\s+(type\s+)?[^;]*?from\s+'(\.[^']+)'/gms), (m) => ({
      from: file,
      to: relative(kSource, resolve(dirname(join(kSource, file)), m[2])),
      typeOnly: m[1] !== undefined,
    }));
  });
}

const folder = (path: string) => path.split('/')[0];
const kImports = sourceImports();

/** The imports from files of `from` folders into `to` folders, as 'file -> module' lines. */
function crossing(from: string[], to: string[], allowed = (_: Import) => false): string[] {
  return kImports
    .filter((i) => from.includes(folder(i.from)) && to.includes(folder(i.to)) && !allowed(i))
    .map((i) => `${i.from} -> ${i.to}`);
}

const kGpu = ['gpu', 'kernels', 'engine'];
const kAbove = ['run', 'studies', 'app', 'cli'];

describe('the layout of src/ (README, Development › Layout)', () => {
  it('reads the imports it judges', () => {
    // A pattern that matched nothing would pass every rule below.
    expect(kImports.length).toBeGreaterThan(300);
    expect(kImports).toContainEqual({ from: 'engine/backend.ts', to: 'run/backend.ts', typeOnly: true });
    expect(kImports).toContainEqual({ from: 'run/backend.ts', to: 'gpu/device.ts', typeOnly: true });
  });

  it('physics/, solvers/ and math/ import nothing GPU and nothing above them; solvers/ nothing from physics/', () => {
    expect(crossing(['physics', 'solvers', 'math'], [...kGpu, ...kAbove])).toEqual([]);
    expect(crossing(['solvers'], ['physics'])).toEqual([]);
  });

  it('run/ and studies/ import nothing GPU but a type of gpu/device.ts', () => {
    const deviceType = (i: Import) => i.to === 'gpu/device.ts' && i.typeOnly;
    expect(crossing(['run', 'studies'], kGpu, deviceType)).toEqual([]);
    expect(crossing(['run', 'studies'], ['app', 'cli'])).toEqual([]);
  });

  it('engine/ takes from run/ only a type of backend.ts (the interface), nothing from studies/', () => {
    const backendType = (i: Import) => i.to === 'run/backend.ts' && i.typeOnly;
    expect(crossing(['engine'], ['run'], backendType)).toEqual([]);
    expect(crossing(['engine'], ['studies', 'app', 'cli'])).toEqual([]);
  });

  it('io/ and parallel/, which every layer may use, import nothing GPU but a type and nothing above', () => {
    // With every folder under a rule, a chain of direct imports cannot carry GPU code where it is barred.
    const deviceType = (i: Import) => i.to === 'gpu/device.ts' && i.typeOnly;
    expect(crossing(['io', 'parallel'], kGpu, deviceType)).toEqual([]);
    expect(crossing(['io', 'parallel'], kAbove)).toEqual([]);
  });

  it('kernels/ and gpu/ import nothing from the engine or above', () => {
    expect(crossing(['kernels', 'gpu'], ['engine', ...kAbove])).toEqual([]);
    expect(crossing(['gpu'], ['kernels'])).toEqual([]);
  });
});
