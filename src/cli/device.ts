// The CLI's WebGPU device: acquired once per command, reported under "device" in every JSON result,
// and any asynchronous device failure (loss, an error no scope caught) ends the process with one line
// rather than leaving a promise that never settles.
import { acquireDevice, type GpuContext } from '../gpu/device.ts';

export interface DeviceSummary {
  kind: 'gpu' | 'cpu';
  vendor?: string;
  architecture?: string;
  description?: string;
  is_fallback_adapter?: boolean;
  swiftshader?: boolean;
  backend?: string;
  timestamp_query?: boolean;
  subgroups?: boolean;
}

export const kCpuDevice: DeviceSummary = { kind: 'cpu', description: 'float64 CPU reference' };

export function describeDevice(context: GpuContext): DeviceSummary {
  const info = context.adapterInfo;
  return {
    kind: 'gpu',
    vendor: info.vendor,
    architecture: info.architecture,
    description: info.description,
    is_fallback_adapter: info.isFallbackAdapter,
    swiftshader: info.swiftshader,
    backend: info.backend,
    timestamp_query: context.hasTimestampQuery,
    subgroups: context.hasSubgroups,
  };
}

export async function openGpu(): Promise<{ context: GpuContext; device: DeviceSummary }> {
  const context = await acquireDevice({
    onDeviceError: (error) => {
      process.stderr.write(`error: ${error.message}\n`);
      process.exit(1);
    },
  });
  return { context, device: describeDevice(context) };
}
