// The WGSL modules of shaders/ and their `// #include` lines (src/gpu/shaders.ts): every module
// resolves, uses only what it declares or includes, and compiles on the device (Dawn, SwiftShader
// where no GPU exists), so a missing or undeclared include fails here and not in a pipeline at run
// time.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  kShaderFiles,
  kShaderSources,
  resolveShader,
  shaderIncludes,
  type ShaderName,
} from '../src/gpu/shaders.ts';
import { gpuHarness } from './helpers/gpu.ts';

const kNames = Object.keys(kShaderFiles) as ShaderName[];

/** The source without comments, so that a name in a comment is not a use. */
function code(source: string): string {
  return source.replace(/\/\/.*$/gm, '');
}

/**
 * The module-scope names a source declares for its includers: functions, constants, overrides,
 * structs and workgroup variables (its bindings and entry points are its own: each kernel binds
 * its `x` and `y`, and blas.wgsl's entry point `sum` is a local variable elsewhere).
 */
function declarations(source: string): Set<string> {
  const declaration = /^(?:fn|const|override|struct|var<workgroup>)\s+(\w+)/gm;
  const entryPoint = /@compute\s+@workgroup_size\([^)]*\)\s*fn\s+(\w+)/g;
  const entryPoints = new Set([...code(source).matchAll(entryPoint)].map((match) => match[1]));
  return new Set(
    [...code(source).matchAll(declaration)].map((match) => match[1]).filter((name) => !entryPoints.has(name)),
  );
}

/** The modules `name` includes, directly or not. */
function includeClosure(name: string, files: Readonly<Record<string, string>>): Set<string> {
  const closure = new Set<string>();
  const visit = (module: string) => {
    for (const include of shaderIncludes(files[module])) {
      if (!closure.has(include)) {
        closure.add(include);
        visit(include);
      }
    }
  };
  visit(name);
  return closure;
}

/**
 * Names that module `name` uses but neither declares nor includes: each as 'name (from module)'
 * for the module that declares it.
 */
function undeclaredNames(name: string, files: Readonly<Record<string, string>>): string[] {
  const own = declarations(files[name]);
  const closure = includeClosure(name, files);
  const body = code(files[name]);
  const missing: string[] = [];
  for (const [other, source] of Object.entries(files)) {
    if (other === name || closure.has(other)) continue;
    for (const declared of declarations(source)) {
      if (own.has(declared) || [...closure].some((module) => declarations(files[module]).has(declared)))
        continue;
      if (new RegExp(`\\b${declared}\\b`).test(body)) missing.push(`${declared} (from ${other})`);
    }
  }
  return missing;
}

describe('WGSL includes', () => {
  test.each(kNames)('%s resolves with each included module once', (name) => {
    const resolved = kShaderSources[name];
    for (const module of [...includeClosure(name, kShaderFiles), name]) {
      const body = kShaderFiles[module as ShaderName].replace(/^enable [^;]+;\s*$/gm, '');
      expect(resolved.split(body).length - 1, module).toBe(1);
    }
  });

  test.each(kNames)('%s uses only what it declares or includes', (name) => {
    expect(undeclaredNames(name, kShaderFiles)).toEqual([]);
  });

  test('an include left out is found: matvecFree without interaction', () => {
    const files = {
      ...kShaderFiles,
      matvecFree: kShaderFiles.matvecFree.replace('// #include interaction\n', ''),
    };
    expect(undeclaredNames('matvecFree', files)).toEqual(
      expect.arrayContaining(['oseenScales (from interaction)', 'applyOseen (from interaction)']),
    );
  });

  test('a missing or circular include throws', () => {
    expect(() => resolveShader('a', { a: '// #include b\nfn a() {}' })).toThrow(
      "no WGSL module 'b' (included by a)",
    );
    expect(() => resolveShader('a', { a: '// #include b\n', b: '// #include a\n' })).toThrow(
      'circular #include: a -> b -> a',
    );
    expect(() => resolveShader('z', {})).toThrow("no WGSL module 'z'");
  });

  test('a diamond is included once, dependencies first, enable directives at the top', () => {
    const files = {
      top: '// #include left\n// #include right\nfn top() {}',
      left: '// #include base\nfn left() {}',
      right: 'enable subgroups;\n// #include base\nfn right() {}',
      base: 'fn base() {}',
    };
    const resolved = resolveShader('top', files);
    expect(resolved.startsWith('enable subgroups;\n')).toBe(true);
    const order = [...resolved.matchAll(/fn (\w+)\(/g)].map((match) => match[1]);
    expect(order).toEqual(['base', 'left', 'right', 'top']);
  });
});

const gpu = gpuHarness(60_000);

describe('WGSL modules on the device', () => {
  for (const name of kNames) {
    gpu.test(`${name} compiles`, async ({ device, hasSubgroups }) => {
      const module = device.createShaderModule({ label: `Test.${name}`, code: kShaderSources[name] });
      const errors = (await module.getCompilationInfo()).messages
        .filter((message) => message.type === 'error')
        .map((message) => `${message.lineNum}:${message.linePos} ${message.message}`);
      // The subgroup variant needs the feature; a device without it may reject only for that.
      if (name === 'matvecDenseSubgroup' && !hasSubgroups) expect(errors.join('\n')).toMatch(/subgroups/);
      else expect(errors).toEqual([]);
    });
  }
});

// The workgroup size is an override that the host sets from its one constant (README, Adding a
// kernel): a literal in the WGSL, or a host that leaves the override at its WGSL default, would let
// the host's workgroup count and the shader's size disagree. krylov.wgsl's one-thread kernels are
// serial by design.
describe('workgroup sizes come from the host through constants:', () => {
  test.each(kNames)('%s: every @workgroup_size is the override (or 1)', (name) => {
    const sizes = [...code(kShaderFiles[name]).matchAll(/@workgroup_size\(([^)]*)\)/g)].map((m) =>
      m[1].trim(),
    );
    expect(
      sizes.filter((size) => /^\d/.test(size) && size !== '1'),
      `${name}: declare 'override workgroupSize: u32' and set it from the host's constants:`,
    ).toEqual([]);
  });

  test('every host of a module with an override workgroupSize passes constants:', () => {
    const unset = readdirSync('src/kernels')
      .filter((file) => file.endsWith('.ts'))
      .flatMap((file) => {
        const source = readFileSync(join('src/kernels', file), 'utf8');
        return [...source.matchAll(/shader: '(\w+)'/g)]
          .map((match) => match[1])
          .filter((shader) => /^override workgroupSize\b/m.test(kShaderFiles[shader as ShaderName] ?? ''))
          .filter(() => !/\bconstants\b/.test(source))
          .map((shader) => `${file} (${shader})`);
      });
    expect(unset, 'set the size through constants: { workgroupSize: k<Kernel>WorkgroupSize }').toEqual([]);
  });
});
