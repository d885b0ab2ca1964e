// The CLI's WebGPU device: acquired once per command, reported under "device" in every JSON result,
// and any asynchronous device failure (loss, an error no scope caught) ends the process with one line
// rather than leaving a promise that never settles.
import { acquireDevice, type GpuContext } from '../gpu/device.ts';
import { describeDevice, gigabytes, type DeviceSummary } from '../io/formats.ts';
import type { Progress } from './progress.ts';
import { stopAtProgress } from './signals.ts';

let details: Progress | null = null;

/** The progress (the command's) whose detail() lines, under --verbose, describe the device opened. */
export function reportDeviceTo(progress: Progress): void {
  details = progress;
}

export async function openGpu(): Promise<{ context: GpuContext; device: DeviceSummary }> {
  const context = await acquireDevice({
    onDeviceError: (error) => {
      process.stderr.write(`error: ${error.message}\n`);
      process.exit(1);
    },
  });
  stopAtProgress();
  if (details?.verbose) for (const line of deviceDetails(context)) details.detail(line);
  return { context, device: describeDevice(context) };
}

/** The adapter, the limits requested, the memory figure and the device profile, one line each. */
export function deviceDetails(context: GpuContext): string[] {
  const { adapterInfo: info, limits, memory, profile } = context;
  const features = [context.hasSubgroups && 'subgroups', context.hasTimestampQuery && 'timestamp-query'];
  return [
    `adapter: ${info.vendor} ${info.architecture}${info.model ? ` "${info.model}"` : ''} "${info.description}" (${info.backend}` +
      `${info.swiftshader ? ', SwiftShader' : ''}${info.isFallbackAdapter ? ', fallback' : ''}); ` +
      `features: ${features.filter(Boolean).join(', ') || 'none'}`,
    `limits: storage binding ${limits.maxStorageBufferBindingSize} B, buffer ${limits.maxBufferSize} B, ` +
      `workgroups per dimension ${limits.maxComputeWorkgroupsPerDimension}, ` +
      `invocations per workgroup ${limits.maxComputeInvocationsPerWorkgroup}`,
    `memory: ${memory ? `${memory.source}: ${gigabytes(memory.availableBytes())}` : 'not reported'}`,
    `profile: ${profile.runsOnCpu ? `CPU adapter (${profile.cpuThreads} threads)` : 'GPU'}, dense matvec '${profile.denseMatvec}', ` +
      `reduce workgroup ${profile.reduceWorkgroupSize}, Krylov step workgroup ` +
      `${profile.krylovStepWorkgroupSize}, Krylov steps fused ${Number.isFinite(profile.fusedStepMaxSize) ? `up to ${profile.fusedStepMaxSize} unknowns` : 'at every size'}`,
  ];
}
