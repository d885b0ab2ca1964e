// The one place WGSL is loaded and composed: Vite `?raw` imports, which the app build, vitest and the
// CLI's SSR build all resolve, so no second loader exists.
//
// A module is one file of shaders/, named by its file name in camelCase (solver_guard.wgsl is
// `solverGuard`). It declares the modules whose declarations it uses with one line each,
//   // #include interaction
// and resolveShader composes it: every included module first (recursively, depth first, in the
// order declared), each at most once, then the module itself. `enable` directives, which WGSL
// wants before any declaration, are moved to the top. A missing or circular include throws, and
// test/shaders.test.ts checks that every module resolves, names only what it includes, and
// compiles, so a broken include fails a test rather than a pipeline at run time.
import assembleSource from '../../shaders/assemble.wgsl?raw';
import biotSavartSource from '../../shaders/biot_savart.wgsl?raw';
import blasSource from '../../shaders/blas.wgsl?raw';
import copySource from '../../shaders/copy.wgsl?raw';
import interactionSource from '../../shaders/interaction.wgsl?raw';
import krylovSource from '../../shaders/krylov.wgsl?raw';
import krylovStepSource from '../../shaders/krylov_step.wgsl?raw';
import matvecDenseSource from '../../shaders/matvec_dense.wgsl?raw';
import matvecDenseSubgroupSource from '../../shaders/matvec_dense_subgroup.wgsl?raw';
import matvecFreeSource from '../../shaders/matvec_free.wgsl?raw';
import reduceSource from '../../shaders/reduce.wgsl?raw';
import renderSource from '../../shaders/render.wgsl?raw';
import solverGuardSource from '../../shaders/solver_guard.wgsl?raw';
import treeSource from '../../shaders/tree.wgsl?raw';
import treeLayoutSource from '../../shaders/tree_layout.wgsl?raw';
import workgroupSumSource from '../../shaders/workgroup_sum.wgsl?raw';

/** Each file of shaders/ as written, by module name. */
export const kShaderFiles = {
  assemble: assembleSource,
  biotSavart: biotSavartSource,
  blas: blasSource,
  copy: copySource,
  interaction: interactionSource,
  krylov: krylovSource,
  krylovStep: krylovStepSource,
  matvecDense: matvecDenseSource,
  matvecDenseSubgroup: matvecDenseSubgroupSource,
  matvecFree: matvecFreeSource,
  reduce: reduceSource,
  render: renderSource,
  solverGuard: solverGuardSource,
  tree: treeSource,
  treeLayout: treeLayoutSource,
  workgroupSum: workgroupSumSource,
} as const;

export type ShaderName = keyof typeof kShaderFiles;

const kIncludeLine = /^\/\/ #include (\S+)\s*$/gm;
const kEnableLine = /^enable [^;]+;\s*$/gm;

/** The modules `source` declares with `// #include name` lines, in order. */
export function shaderIncludes(source: string): string[] {
  return [...source.matchAll(kIncludeLine)].map((match) => match[1]);
}

/**
 * The complete WGSL of module `name` of `files`: its includes, recursively and each once, then the
 * module, with every `enable` directive first. Throws on a missing or circular include.
 */
export function resolveShader(name: string, files: Readonly<Record<string, string>>): string {
  const order: string[] = [];
  const visit = (module: string, path: readonly string[]) => {
    if (order.includes(module)) return;
    if (path.includes(module)) throw new Error(`circular #include: ${[...path, module].join(' -> ')}`);
    const source = files[module];
    if (source === undefined) {
      const by = path.length > 0 ? ` (included by ${path[path.length - 1]})` : '';
      throw new Error(`no WGSL module '${module}'${by}`);
    }
    for (const include of shaderIncludes(source)) visit(include, [...path, module]);
    order.push(module);
  };
  visit(name, []);
  const sources = order.map((module) => files[module]);
  const enables = new Set(sources.flatMap((source) => source.match(kEnableLine) ?? []).map((e) => e.trim()));
  const bodies = sources.map((source) => source.replace(kEnableLine, ''));
  return [...enables, ...bodies].join('\n');
}

/** Complete WGSL modules by name, as compiled. */
export const kShaderSources = Object.fromEntries(
  Object.keys(kShaderFiles).map((name) => [name, resolveShader(name, kShaderFiles)]),
) as Record<ShaderName, string>;

/**
 * A module written by a host at run time (the tree's M2L, unrolled per expansion order), whose
 * `// #include` lines name modules of shaders/; `name` says which generated module it is, one per
 * set of inputs, so that each compiles once per device.
 */
export interface GeneratedShader {
  readonly name: string;
  readonly source: string;
}

const modules = new WeakMap<GPUDevice, Map<string, GPUShaderModule>>();

/** The compiled module, one per device and name (labelled 'Shaders.<name>'). */
export function shaderModule(device: GPUDevice, shader: ShaderName | GeneratedShader): GPUShaderModule {
  let perDevice = modules.get(device);
  if (!perDevice) modules.set(device, (perDevice = new Map()));
  const name = typeof shader === 'string' ? shader : shader.name;
  let module = perDevice.get(name);
  if (!module) {
    const code =
      typeof shader === 'string'
        ? kShaderSources[shader]
        : resolveShader(name, { ...kShaderFiles, [name]: shader.source });
    module = device.createShaderModule({ label: `Shaders.${name}`, code });
    perDevice.set(name, module);
  }
  return module;
}
