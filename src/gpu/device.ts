// Acquiring the WebGPU device (browser: navigator.gpu; Node: Dawn through the `webgpu` package, falling
// back to the SwiftShader software Vulkan driver), and the one place device-level errors are handled:
// `device.lost` and `uncapturederror` go to a single reporter; allocation and pipeline creation run
// inside error scopes (`withErrorScopes`) so that a mistake surfaces as one GpuError naming its label.
import { deviceProfile, type DeviceProfile } from './profile.ts';

/** What went wrong, for callers that react differently to each. */
export type GpuErrorKind = 'unavailable' | 'validation' | 'out-of-memory' | 'internal' | 'lost';

/** A user-facing GPU failure with one clear message (the CLI prints it on one line). */
export class GpuError extends Error {
  override readonly name = 'GpuError';
  readonly kind: GpuErrorKind;

  constructor(kind: GpuErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
  }
}

/** The Vulkan ICD of the SwiftShader CPU driver that the chromium package ships. */
export const kSwiftShaderIcd = '/usr/lib/chromium/vk_swiftshader_icd.json';

export interface GpuAdapterSummary {
  readonly vendor: string;
  readonly architecture: string;
  /**
   * The adapter's model (GPUAdapterInfo.device: "NVIDIA H100 80GB HBM3"), which vendor and
   * architecture do not tell apart (an H100 and an H200 are both nvidia hopper), nor Dawn's
   * description, the driver's name and version; "" where the adapter withholds it (a browser may).
   */
  readonly model: string;
  readonly description: string;
  readonly isFallbackAdapter: boolean;
  /** Which WebGPU implementation: Dawn in Node, or the browser's own. */
  readonly backend: 'dawn-node' | 'browser';
  /** SwiftShader is a CPU: its device profile (src/gpu/profile.ts) takes the CPU-shaped variants. */
  readonly swiftshader: boolean;
}

/** The device limits the kernels size their buffers and dispatches by. */
export interface GpuLimits {
  readonly maxStorageBufferBindingSize: number;
  readonly maxBufferSize: number;
  readonly maxComputeInvocationsPerWorkgroup: number;
  readonly maxComputeWorkgroupSizeX: number;
  readonly maxComputeWorkgroupsPerDimension: number;
}

/** What a device can still allocate, where a figure exists (GpuContext.memory). */
export interface DeviceMemory {
  /** Where the figure comes from, for messages: 'free host memory', ... */
  readonly source: string;
  /** Bytes, now: host memory is shared with everything else that runs. */
  availableBytes(): number;
}

/**
 * The memory assumed in a browser, which reports none: 4 GiB, what a WebGPU-class GPU can be assumed
 * to have (and what a tab can hope to get of a CPU adapter's host memory).
 */
export const kBrowserMemoryBytes = 4 * 2 ** 30;

export interface GpuContext {
  readonly device: GPUDevice;
  /**
   * What the device can hold: a CPU adapter's (SwiftShader's) buffers are host memory, so in Node its
   * figure is the host's free memory (os.freemem); in a browser, kBrowserMemoryBytes. Absent for a
   * hardware GPU in Node: WebGPU does not report its memory, and an allocation it refuses fails
   * inside error scopes (withErrorScopes) instead.
   */
  readonly memory?: DeviceMemory;
  readonly adapterInfo: GpuAdapterSummary;
  readonly limits: GpuLimits;
  readonly hasTimestampQuery: boolean;
  readonly hasSubgroups: boolean;
  /** The kernel variants and workgroup sizes of this device, chosen once (src/gpu/profile.ts). */
  readonly profile: DeviceProfile;
}

export interface AcquireOptions {
  /**
   * Receives device loss and errors that no error scope caught. Default: one line on stderr. It is
   * not called when releaseDevice destroys the device on purpose.
   */
  onDeviceError?: (error: GpuError) => void;
  /**
   * A GPU object to use instead of navigator.gpu or Dawn (tests inject one that has no adapter);
   * its adapter is reported with backend 'browser'.
   */
  gpu?: GPU;
}

/**
 * What every adapter request asks for: on a machine with an integrated and a discrete GPU the discrete
 * one, whose memory and bandwidth the products need (N = 10^6 wants a few GB).
 */
const kAdapterRequest: GPURequestAdapterOptions = { powerPreference: 'high-performance' };

const kNoWebGpu = 'use --device cpu for the float64 CPU reference';

/**
 * Every object Dawn's create() returned, held for the life of the process: when the garbage
 * collector frees one the process dies inside Dawn, even after its devices were destroyed and their
 * loss reported (a loop that drops and collects them crashes at the first collection). Holding one
 * does not keep Node from exiting once no device lives. Later acquisitions reuse the instance that
 * found an adapter, so a process creates two at most (hardware probe, SwiftShader).
 */
const dawnInstances: GPU[] = [];
let dawnAdapterSource: { readonly gpu: GPU; readonly software: boolean } | null = null;
const liveDevices = new Set<GPUDevice>();

function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

/**
 * A Node module (the `webgpu` package, node:fs, ...). The specifier is a variable so that the browser
 * bundle never tries to resolve a Node-only module; the CLI's SSR build keeps them external.
 */
function importNode<T>(specifier: string): Promise<T> {
  return import(/* @vite-ignore */ specifier) as Promise<T>;
}

/** Loads Dawn. */
async function loadDawn(): Promise<typeof import('webgpu')> {
  const dawn = await importNode<typeof import('webgpu')>('webgpu');
  // GPUBufferUsage, GPUMapMode, ... are globals in a browser; Dawn hands them over separately.
  const globals = dawn.globals as Record<string, unknown>;
  for (const [name, value] of Object.entries(globals)) {
    if (!(name in globalThis)) Object.assign(globalThis, { [name]: value });
  }
  return dawn;
}

/**
 * Mesa's Vulkan drivers print "error: XDG_RUNTIME_DIR is invalid" while Dawn probes them when the
 * variable is unset (CI, containers); a private directory keeps stderr to what the user should read.
 * It goes when the process exits, or every run would leave one behind in the temporary directory
 * (the CLI takes signals over from their default action, which would skip the exit handlers:
 * src/cli/signals.ts). A run killed outright (SIGKILL: a scheduler's time limit, the OOM killer)
 * runs no handler, so the directory names its process, and a later run removes those of this
 * user's processes that are gone (abandonedRuntimeDirectories), an hour on: a job array whose jobs
 * hit their limit does not fill the temporary directory.
 */
async function ensureRuntimeDirectory(): Promise<void> {
  if (process.env.XDG_RUNTIME_DIR) return;
  const [fs, { tmpdir }, { join }] = await Promise.all([
    importNode<typeof import('node:fs')>('node:fs'),
    importNode<typeof import('node:os')>('node:os'),
    importNode<typeof import('node:path')>('node:path'),
  ]);
  const temporary = tmpdir();
  for (const name of abandonedRuntimeDirectories(fs.readdirSync(temporary))) {
    const path = join(temporary, name);
    try {
      // Only this user's (another's is not this run's to remove, nor could it be in a sticky /tmp),
      // and only an old one: a process of another PID namespace sharing the directory (a container)
      // is "gone" from here, and needs its own while its drivers start.
      const { uid, mtimeMs } = fs.lstatSync(path);
      if (uid === process.getuid?.() && Date.now() - mtimeMs > kAbandonedAfterMs) {
        fs.rmSync(path, { recursive: true, force: true });
      }
    } catch {
      // Gone already (another run's sweep), or unreadable: not this run's concern.
    }
  }
  const directory = fs.mkdtempSync(join(temporary, `${kRuntimeDirectoryPrefix}${process.pid}-`));
  process.env.XDG_RUNTIME_DIR = directory;
  process.once('exit', () => fs.rmSync(directory, { recursive: true, force: true }));
}

/** The runtime directory's name: this prefix, the process's id, '-' and mkdtemp's six characters. */
const kRuntimeDirectoryPrefix = 'darwin-breit-xdg-';
/** How long a gone process's runtime directory is left before another run removes it. */
const kAbandonedAfterMs = 3_600_000;

/**
 * Of the names in the temporary directory, the runtime directories (ensureRuntimeDirectory) whose
 * process has ended (processGone): a process that ran its exit handlers removed its own.
 */
function abandonedRuntimeDirectories(names: readonly string[]): string[] {
  const pattern = new RegExp(`^${kRuntimeDirectoryPrefix}(\\d+)-[A-Za-z0-9]{6}$`);
  return names.filter((name) => {
    const pid = pattern.exec(name)?.[1];
    return pid !== undefined && processGone(Number(pid));
  });
}

/** Whether no process `pid` runs: kill(pid, 0) finds none (another user's answers EPERM: it runs). */
function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Whether this Linux machine has a GPU device node a Vulkan driver could drive: a DRM render node
 * (/dev/dri/renderD*: Intel, AMD, Mesa drivers) or NVIDIA's /dev/nvidia0. Without one, Dawn's probe
 * of the installed drivers can only find Mesa's lavapipe (which does not run our kernels) and prints
 * its Vulkan warnings on the way; going straight to SwiftShader keeps stderr to one line. Other
 * systems (and a user's own VK_ICD_FILENAMES / VK_DRIVER_FILES) keep Dawn's own probe.
 */
async function linuxWithoutGpu(): Promise<boolean> {
  if (process.platform !== 'linux' || process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES) {
    return false;
  }
  const { existsSync, readdirSync } = await importNode<typeof import('node:fs')>('node:fs');
  let renderNodes: string[] = [];
  try {
    renderNodes = readdirSync('/dev/dri').filter((name) => name.startsWith('renderD'));
  } catch {
    // no DRM at all
  }
  return renderNodes.length === 0 && !existsSync('/dev/nvidia0');
}

const kSoftwareNotice = 'darwin-breit: no GPU adapter found; using the SwiftShader software adapter\n';

async function requestNodeAdapter(): Promise<GPUAdapter | null> {
  await ensureRuntimeDirectory();
  const request = kAdapterRequest;
  if (dawnAdapterSource) {
    const again = await dawnAdapterSource.gpu.requestAdapter(request);
    if (again && dawnAdapterSource.software) process.stderr.write(kSoftwareNotice);
    if (again) return again;
  }
  const dawn = await loadDawn();
  if (!dawnAdapterSource && !(await linuxWithoutGpu())) {
    const first = dawn.create([]);
    dawnInstances.push(first);
    const adapter = await first.requestAdapter(request);
    if (adapter) {
      dawnAdapterSource = { gpu: first, software: false };
      return adapter;
    }
  }
  // No hardware (or no working) Vulkan driver: SwiftShader runs the same code on the CPU. The Vulkan
  // loader reads VK_ICD_FILENAMES when an instance is created, so a second create() sees it. Without
  // the driver's file the loader and Dawn would only print their warnings before the same refusal.
  const { existsSync } = await importNode<typeof import('node:fs')>('node:fs');
  const noAdapter = `Dawn found no GPU adapter, nor SwiftShader at ${kSwiftShaderIcd}; ${kNoWebGpu}`;
  if (!existsSync(kSwiftShaderIcd)) throw new GpuError('unavailable', noAdapter);
  process.env.VK_ICD_FILENAMES = kSwiftShaderIcd;
  const software = dawn.create([]);
  dawnInstances.push(software);
  const fallback = await software.requestAdapter(request);
  if (fallback) dawnAdapterSource = { gpu: software, software: true };
  if (!fallback) throw new GpuError('unavailable', noAdapter);
  process.stderr.write(kSoftwareNotice);
  return fallback;
}

function summarise(adapter: GPUAdapter, backend: GpuAdapterSummary['backend']): GpuAdapterSummary {
  const info = adapter.info;
  // Older browsers put isFallbackAdapter on the adapter rather than its info.
  const legacy = adapter as unknown as { isFallbackAdapter?: boolean };
  const isFallbackAdapter = Boolean(info.isFallbackAdapter ?? legacy.isFallbackAdapter);
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase();
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    model: info.device,
    description: info.description,
    isFallbackAdapter,
    backend,
    swiftshader: text.includes('swiftshader'),
  };
}

/** Dawn's messages span lines (the error, then "While calling ..." context); the CLI prints one. */
function oneLine(message: string): string {
  return message
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .join(' ');
}

function defaultReporter(error: GpuError): void {
  console.error(`darwin-breit: ${error.message}`);
}

async function findAdapter(
  options: AcquireOptions,
): Promise<{ adapter: GPUAdapter | null; backend: GpuAdapterSummary['backend'] }> {
  const request = kAdapterRequest;
  if (options.gpu) return { adapter: await options.gpu.requestAdapter(request), backend: 'browser' };
  if (typeof navigator !== 'undefined' && navigator.gpu) {
    return { adapter: await navigator.gpu.requestAdapter(request), backend: 'browser' };
  }
  if (isNode()) return { adapter: await requestNodeAdapter(), backend: 'dawn-node' };
  throw new GpuError('unavailable', `this browser has no WebGPU; ${kNoWebGpu}`);
}

/**
 * Requests a device with the largest storage buffers the adapter allows (the dense matrix is
 * split into row blocks of at most maxStorageBufferBindingSize bytes), plus timestamp queries and
 * subgroups where present. Everything else stays at the WebGPU defaults, which the kernels fit in.
 */
export async function acquireDevice(options: AcquireOptions = {}): Promise<GpuContext> {
  const report = options.onDeviceError ?? defaultReporter;
  let found: { adapter: GPUAdapter | null; backend: GpuAdapterSummary['backend'] };
  try {
    found = await findAdapter(options);
  } catch (error) {
    if (error instanceof GpuError) throw error;
    throw new GpuError('unavailable', `WebGPU could not be loaded (${String(error)}); ${kNoWebGpu}`, {
      cause: error,
    });
  }
  const { adapter, backend } = found;
  if (!adapter) {
    throw new GpuError('unavailable', `no WebGPU adapter is available; ${kNoWebGpu}`);
  }

  const requiredFeatures: GPUFeatureName[] = [];
  for (const feature of ['timestamp-query', 'subgroups'] as const) {
    if (adapter.features.has(feature)) requiredFeatures.push(feature);
  }
  const requiredLimits: Record<string, number> = {
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
    maxBufferSize: adapter.limits.maxBufferSize,
  };
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ label: 'Device.main', requiredFeatures, requiredLimits });
  } catch (error) {
    throw new GpuError('unavailable', `the WebGPU device request failed (${String(error)}); ${kNoWebGpu}`, {
      cause: error,
    });
  }
  liveDevices.add(device);
  lastLoss = null; // a failure from here on is this device's

  void device.lost.then((info) => {
    // Our own releaseDevice() has already let go of it: nothing was lost.
    if (!liveDevices.has(device)) return;
    liveDevices.delete(device);
    const why = info.reason === 'destroyed' ? 'destroyed while in use' : oneLine(info.message);
    lastLoss = new GpuError('lost', `the GPU device was lost: ${why || 'no reason given'}`);
    if (info.reason !== 'destroyed') report(lastLoss);
  });
  reportUncapturedErrors(device, report);

  const l = device.limits;
  const adapterInfo = summarise(adapter, backend);
  const hasSubgroups = device.features.has('subgroups');
  const memory = await deviceMemory(adapterInfo);
  const profile = deviceProfile({ adapterInfo, hasSubgroups, hostThreads: await hostThreads(backend) });
  if (backend === 'dawn-node' && profile.runsOnCpu) spaceDawnEventPolling();
  return {
    device,
    ...(memory ? { memory } : {}),
    adapterInfo,
    limits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
    },
    hasTimestampQuery: device.features.has('timestamp-query'),
    hasSubgroups,
    profile,
  };
}

/**
 * Sends the device's uncaptured errors to `report`. A function of its own, so that the listener's
 * closure holds `report` alone: one sharing acquireDevice's scope would hold the device too, and Dawn
 * keeps a listener alive as long as its device, which then is never collected (nor its caches).
 */
function reportUncapturedErrors(device: GPUDevice, report: (error: GpuError) => void): void {
  device.addEventListener('uncapturederror', (event) => {
    const error = (event as GPUUncapturedErrorEvent).error;
    report(new GpuError(errorKind(error), `uncaptured GPU error: ${oneLine(error.message)}`));
  });
}

/**
 * Dawn's Node binding (the `webgpu` package) waits for the GPU by calling the global setImmediate
 * with its own event-processing callback, which reschedules itself the same way for as long as any
 * of its promises is pending; a live device's `lost` always is, so the main thread spins a whole
 * core from requestDevice to the end. On a CPU adapter that core is one the adapter's own threads
 * need, and the spin slows every product it runs.
 * So there its callback goes through a 1 ms timer instead, which lets the main thread sleep; a result
 * is then noticed up to a millisecond late, nothing beside a dispatch of SwiftShader's. The callback
 * is known by its shape (a native function of no name and no parameters, passed alone: a promise's
 * resolve function takes one, a bound function has a name); everything else goes straight through.
 */
function spaceDawnEventPolling(): void {
  if (dawnPollingSpaced) return;
  dawnPollingSpaced = true;
  const immediate = globalThis.setImmediate;
  const spaced = (callback: unknown, ...rest: unknown[]) =>
    rest.length === 0 &&
    typeof callback === 'function' &&
    callback.name === '' &&
    callback.length === 0 &&
    Function.prototype.toString.call(callback).includes('[native code]')
      ? setTimeout(callback as () => void, 1)
      : immediate(callback as (...args: unknown[]) => void, ...rest);
  globalThis.setImmediate = Object.assign(spaced, immediate) as typeof setImmediate;
}

let dawnPollingSpaced = false;

async function deviceMemory(adapterInfo: GpuAdapterSummary): Promise<DeviceMemory | undefined> {
  if (adapterInfo.backend === 'browser') {
    return { source: 'the browser memory budget', availableBytes: () => kBrowserMemoryBytes };
  }
  if (!adapterInfo.swiftshader && !adapterInfo.isFallbackAdapter) return undefined;
  const { freemem } = await importNode<typeof import('node:os')>('node:os');
  return { source: "free host memory (the CPU adapter's)", availableBytes: freemem };
}

/** Hardware threads of the machine the page or process runs on. */
async function hostThreads(backend: GpuAdapterSummary['backend']): Promise<number> {
  if (backend === 'browser') return navigator.hardwareConcurrency || 1;
  const { availableParallelism } = await importNode<typeof import('node:os')>('node:os');
  return availableParallelism();
}

let lastLoss: GpuError | null = null;

/**
 * The loss behind `error`, when a device was lost while in use: work in flight then fails with
 * whatever the operation throws (a rejected mapAsync, an invalid buffer, a validation error), which
 * says nothing about why; callers turn it into this one clear GpuError instead.
 */
export function explainDeviceLoss(error: unknown): GpuError | null {
  if (error instanceof GpuError && error.kind === 'lost') return error;
  return lastLoss;
}

/**
 * Destroys the device, which lets Node exit once no device lives (Dawn's instances stay held,
 * dawnInstances). Safe to call twice.
 */
export function releaseDevice(context: GpuContext): void {
  if (!liveDevices.delete(context.device)) return;
  context.device.destroy();
}

/** By constructor name: Dawn's error classes are globals only once loadDawn has run. */
function errorKind(error: GPUError): GpuErrorKind {
  const name = error.constructor.name;
  if (name === 'GPUOutOfMemoryError') return 'out-of-memory';
  if (name === 'GPUInternalError') return 'internal';
  return 'validation';
}

/**
 * Runs `fn` inside 'validation', 'out-of-memory' and 'internal' error scopes, waits for the work it
 * submitted, and throws a GpuError naming `label` if any scope caught an error (with an exception
 * that `fn` threw as its cause: a failed mapAsync is explained by the validation error behind it).
 * Otherwise an exception from `fn` is rethrown once the scopes are popped, so the scope stack stays
 * balanced. Error scopes are a per-device stack: do not interleave two of these on one device.
 */
export async function withErrorScopes<T>(
  device: GPUDevice,
  label: string,
  fn: () => T | Promise<T>,
): Promise<T> {
  pushScopes(device);
  let result: T | undefined;
  let thrown: { error: unknown } | undefined;
  try {
    result = await fn();
    await device.queue.onSubmittedWorkDone();
  } catch (error) {
    thrown = { error };
  }
  const failure = await popScopes(device, label, thrown?.error);
  if (failure) throw failure;
  if (thrown) throw thrown.error;
  return result as T;
}

/**
 * withErrorScopes for work that cannot wait for its verdict (a frame drawn in requestAnimationFrame):
 * the scopes are popped as soon as `fn` returns, so they hold its errors alone even while a run's
 * withErrorScopes awaits its own work on the device; `error` resolves with the GpuError naming
 * `label`, or null. An exception from `fn` is rethrown once the scopes are popped.
 */
export function withErrorScopesAtOnce<T>(
  device: GPUDevice,
  label: string,
  fn: () => T,
): { readonly result: T; readonly error: Promise<GpuError | null> } {
  pushScopes(device);
  let result: T;
  try {
    result = fn();
  } catch (error) {
    void popScopes(device, label, error);
    throw error;
  }
  return { result, error: popScopes(device, label) };
}

function pushScopes(device: GPUDevice): void {
  device.pushErrorScope('validation');
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('internal');
}

/**
 * Pops pushScopes' three scopes, all before the first verdict arrives (no other code's scope comes
 * between): the GpuError naming `label` of what they caught, or null. An allocation that failed
 * fails the work that uses it as invalid, so its out-of-memory error is the one reported.
 */
async function popScopes(device: GPUDevice, label: string, cause?: unknown): Promise<GpuError | null> {
  const popped = [device.popErrorScope(), device.popErrorScope(), device.popErrorScope()];
  const [internal, outOfMemory, validation] = await Promise.all(popped);
  const caught: [GpuErrorKind, GPUError | null][] = [
    ['out-of-memory', outOfMemory],
    ['validation', validation],
    ['internal', internal],
  ];
  for (const [kind, error] of caught) {
    if (error) return new GpuError(kind, `${label}: ${kind} error: ${oneLine(error.message)}`, { cause });
  }
  return null;
}
