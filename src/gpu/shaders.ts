// The one place WGSL is loaded: Vite `?raw` imports, which the app build, vitest and the CLI's SSR
// build all resolve, so no second loader exists. A shader family that shares the pair formulas gets
// interaction.wgsl prepended here rather than keeping its own copy; every kernel that runs inside a
// solve and must skip its work once the solve has stopped gets solver_guard.wgsl, and every one
// that sums over a workgroup workgroup_sum.wgsl.
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
import workgroupSumSource from '../../shaders/workgroup_sum.wgsl?raw';

/** Complete WGSL modules by name, as compiled. */
export const kShaderSources = {
  assemble: `${interactionSource}\n${assembleSource}`,
  matvecDense: `${solverGuardSource}\n${matvecDenseSource}`,
  // Compiles only on a device with the subgroups feature.
  matvecDenseSubgroup: `enable subgroups;\n${solverGuardSource}\n${matvecDenseSource}\n${matvecDenseSubgroupSource}`,
  matvecFree: `${interactionSource}\n${solverGuardSource}\n${matvecFreeSource}`,
  copy: copySource,
  reduce: `${solverGuardSource}\n${workgroupSumSource}\n${reduceSource}`,
  blas: blasSource,
  krylov: krylovSource,
  // krylov_step runs krylov.wgsl's scalar steps itself, on its bindings.
  krylovStep: `${workgroupSumSource}\n${krylovSource}\n${krylovStepSource}`,
  biotSavart: biotSavartSource,
  render: renderSource,
} as const;

export type ShaderName = keyof typeof kShaderSources;

const modules = new WeakMap<GPUDevice, Map<ShaderName, GPUShaderModule>>();

/** The compiled module, one per device and name (labelled 'Shaders.<name>'). */
export function shaderModule(device: GPUDevice, name: ShaderName): GPUShaderModule {
  let perDevice = modules.get(device);
  if (!perDevice) modules.set(device, (perDevice = new Map()));
  let module = perDevice.get(name);
  if (!module) {
    module = device.createShaderModule({ label: `Shaders.${name}`, code: kShaderSources[name] });
    perDevice.set(name, module);
  }
  return module;
}
