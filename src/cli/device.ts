// The CLI's WebGPU device: acquired once per command, reported under "device" in every JSON result,
// and any asynchronous device failure (loss, an error no scope caught) ends the process with one line
// rather than leaving a promise that never settles.
import { acquireDevice, type GpuContext } from '../gpu/device.ts';
import { describeDevice, type DeviceSummary } from '../io/formats.ts';
import { armSignals } from './signals.ts';

export async function openGpu(): Promise<{ context: GpuContext; device: DeviceSummary }> {
  const context = await acquireDevice({
    onDeviceError: (error) => {
      process.stderr.write(`error: ${error.message}\n`);
      process.exit(1);
    },
  });
  armSignals();
  return { context, device: describeDevice(context) };
}
