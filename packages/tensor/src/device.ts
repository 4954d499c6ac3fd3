import { DeviceLostError, NoAdapterError } from './errors.ts';

/** Which adapter to use. `auto` prefers a real GPU, then lavapipe, then SwiftShader. */
export type AdapterChoice = 'auto' | 'gpu' | 'lavapipe' | 'swiftshader';

export interface DeviceOptions {
  /** Overrides the `DRGRADE_ADAPTER` environment variable (Node). */
  adapter?: AdapterChoice;
  /** Print the adapter in use to stderr (Node) or the console (browser). Default false. */
  verbose?: boolean;
}

export interface DeviceInfo {
  /** Human-readable adapter name, e.g. "llvmpipe: Mesa 25.0.7" or "NVIDIA H100". */
  name: string;
  vendor: string;
  architecture: string;
  /** `cpu` for software rasterisers (lavapipe, SwiftShader), `gpu` otherwise. */
  kind: 'cpu' | 'gpu';
  /** `lavapipe`, `swiftshader` or `gpu`: the family kernels are tuned for. */
  family: 'lavapipe' | 'swiftshader' | 'gpu';
  runtime: 'node' | 'browser';
  /**
   * The subgroup size when the device has the `subgroups` feature and the adapter fixes one size
   * (lavapipe 8, SwiftShader 4); null otherwise. Kernels that share loads through subgroup
   * shuffles are specialised to it.
   */
  subgroupSize: number | null;
  limits: {
    maxStorageBufferBindingSize: number;
    maxBufferSize: number;
    maxComputeWorkgroupStorageSize: number;
    maxComputeInvocationsPerWorkgroup: number;
    maxComputeWorkgroupsPerDimension: number;
    maxStorageBuffersPerShaderStage: number;
  };
}

export interface Device {
  gpu: GPUDevice;
  /** The navigator.gpu / Dawn instance: held so it is never garbage-collected under the device (dawn.node crashes then). */
  instance: GPU;
  info: DeviceInfo;
  /** Set once the device is lost; every later call throws it. */
  lost: DeviceLostError | null;
}

let current: Promise<Device> | null = null;
let ready: Device | null = null;

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string'
  && typeof (globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu === 'undefined';

const INSTALL_HINT =
  'No WebGPU adapter found. On a machine without a GPU, install a CPU Vulkan driver: ' +
  'on Debian 12 `apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1` (lavapipe, Mesa >= 24), ' +
  'on Debian 13 / Ubuntu 24.04 `apt-get install mesa-vulkan-drivers libvulkan1`, ' +
  'or `apt-get install chromium` for its SwiftShader; `bash scripts/setup.sh` does this. ' +
  'In a browser, use Chrome/Edge 113+ (or chromium --enable-unsafe-webgpu).';

function classify(info: GPUAdapterInfo): Pick<DeviceInfo, 'kind' | 'family'> {
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase();
  if (text.includes('swiftshader')) return { kind: 'cpu', family: 'swiftshader' };
  if (text.includes('llvmpipe') || text.includes('lavapipe')) return { kind: 'cpu', family: 'lavapipe' };
  return { kind: 'gpu', family: 'gpu' };
}

function adapterName(info: GPUAdapterInfo): string {
  return info.description || info.device || `${info.vendor} ${info.architecture}`.trim() || 'unknown adapter';
}

function readChoice(options: DeviceOptions): AdapterChoice {
  const env = isNode ? process.env.DRGRADE_ADAPTER : undefined;
  const choice = options.adapter ?? (env && env.length > 0 ? env : 'auto');
  const allowed: AdapterChoice[] = ['auto', 'gpu', 'lavapipe', 'swiftshader'];
  if (!allowed.includes(choice as AdapterChoice)) {
    throw new NoAdapterError(`DRGRADE_ADAPTER=${choice} is not one of ${allowed.join(', ')}`);
  }
  return choice as AdapterChoice;
}

/** Node only: point the Vulkan loader at one ICD before Dawn creates its instance. */
async function selectIcd(choice: AdapterChoice): Promise<void> {
  if (choice !== 'lavapipe' && choice !== 'swiftshader') return;
  const fs = await import('node:fs');
  const candidates = choice === 'swiftshader'
    ? ['/usr/lib/chromium/vk_swiftshader_icd.json', '/usr/lib/chromium-browser/vk_swiftshader_icd.json']
    : ['/usr/share/vulkan/icd.d/lvp_icd.json', '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json',
      '/usr/share/vulkan/icd.d/lvp_icd.aarch64.json'];
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) {
    throw new NoAdapterError(`DRGRADE_ADAPTER=${choice} but its Vulkan driver is not installed (looked for ${candidates.join(', ')}). ${INSTALL_HINT}`);
  }
  process.env.VK_ICD_FILENAMES = found;
  process.env.VK_DRIVER_FILES = found;
}

async function nodeGpu(): Promise<GPU> {
  if (!process.env.XDG_RUNTIME_DIR) {
    // The Vulkan loader warns on every start without it.
    const os = await import('node:os');
    process.env.XDG_RUNTIME_DIR = os.tmpdir();
  }
  let mod: { create: (flags: string[]) => GPU };
  try {
    mod = await import('webgpu') as unknown as { create: (flags: string[]) => GPU };
  } catch (e) {
    throw new NoAdapterError(`The 'webgpu' package (Dawn for Node) failed to load: ${(e as Error).message}. Run npm install.`);
  }
  return mod.create([]);
}

async function requestAdapter(gpu: GPU, choice: AdapterChoice): Promise<GPUAdapter> {
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new NoAdapterError(INSTALL_HINT);
  const { kind } = classify(adapter.info);
  if (choice === 'gpu' && kind !== 'gpu') {
    throw new NoAdapterError(`DRGRADE_ADAPTER=gpu but the only adapter is ${adapterName(adapter.info)} (a CPU driver).`);
  }
  return adapter;
}

async function create(options: DeviceOptions): Promise<Device> {
  const choice = readChoice(options);
  let gpu: GPU;
  let runtime: DeviceInfo['runtime'];
  if (isNode) {
    await selectIcd(choice);
    gpu = await nodeGpu();
    runtime = 'node';
  } else {
    const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
    if (!nav?.gpu) throw new NoAdapterError('This browser has no WebGPU (navigator.gpu is missing). Use Chrome or Edge 113+, or Firefox/Safari with WebGPU enabled.');
    gpu = nav.gpu;
    runtime = 'browser';
  }
  let adapter = await requestAdapter(gpu, choice);
  if (isNode && choice === 'auto' && !adapter) {
    await selectIcd('swiftshader');
    gpu = await nodeGpu();
    adapter = await requestAdapter(gpu, 'swiftshader');
  }
  const a = adapter.limits;
  const requiredLimits: Record<string, number> = {
    maxStorageBufferBindingSize: a.maxStorageBufferBindingSize,
    maxBufferSize: a.maxBufferSize,
    maxComputeWorkgroupStorageSize: a.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: a.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupSizeX: a.maxComputeWorkgroupSizeX,
    maxComputeWorkgroupSizeY: a.maxComputeWorkgroupSizeY,
    maxComputeWorkgroupsPerDimension: a.maxComputeWorkgroupsPerDimension,
    maxStorageBuffersPerShaderStage: a.maxStorageBuffersPerShaderStage,
  };
  // Subgroup shuffles let CPU adapters load a value once per subgroup instead of once per lane.
  const requiredFeatures = (['subgroups'] as GPUFeatureName[]).filter((f) => adapter.features.has(f));
  const gpuDevice = await adapter.requestDevice({ requiredLimits, requiredFeatures, label: 'drgrade' });
  const sgInfo = adapter.info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
  const info: DeviceInfo = {
    name: adapterName(adapter.info),
    vendor: adapter.info.vendor,
    architecture: adapter.info.architecture,
    ...classify(adapter.info),
    runtime,
    subgroupSize: gpuDevice.features.has('subgroups') && sgInfo.subgroupMinSize !== undefined && sgInfo.subgroupMinSize === sgInfo.subgroupMaxSize
      ? sgInfo.subgroupMinSize : null,
    limits: {
      maxStorageBufferBindingSize: gpuDevice.limits.maxStorageBufferBindingSize,
      maxBufferSize: gpuDevice.limits.maxBufferSize,
      maxComputeWorkgroupStorageSize: gpuDevice.limits.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: gpuDevice.limits.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupsPerDimension: gpuDevice.limits.maxComputeWorkgroupsPerDimension,
      maxStorageBuffersPerShaderStage: gpuDevice.limits.maxStorageBuffersPerShaderStage,
    },
  };
  const device: Device = { gpu: gpuDevice, instance: gpu, info, lost: null };
  void gpuDevice.lost.then((l) => {
    if (l.reason === 'destroyed' && device.lost) return;
    device.lost = new DeviceLostError(`GPU device lost (${l.reason}): ${l.message}`);
  });
  // Errors are caught by error scopes around every batch; anything else still surfaces as an exception at the next sync point.
  gpuDevice.onuncapturederror = (ev: GPUUncapturedErrorEvent) => { uncaptured.push(ev.error.message); };
  if (options.verbose) console.error(describeDevice(info));
  return device;
}

/** Messages of errors that escaped the error scopes; the engine rethrows them at the next sync. */
export const uncaptured: string[] = [];

/** A one-line description of the adapter: name, family, runtime and key limits. */
export function describeDevice(info: DeviceInfo): string {
  const mib = (n: number) => `${Math.round(n / 2 ** 20)} MiB`;
  return `drgrade: WebGPU adapter "${info.name}" (${info.family}, ${info.kind}, ${info.runtime}); ` +
    `max storage binding ${mib(info.limits.maxStorageBufferBindingSize)}, ` +
    `workgroup storage ${info.limits.maxComputeWorkgroupStorageSize} B, ` +
    `${info.limits.maxComputeInvocationsPerWorkgroup} invocations/workgroup`;
}

/**
 * Returns the process-wide device, creating it on first call. Options apply to the first call only;
 * a later call with a different adapter choice throws rather than silently ignoring it.
 */
export async function getDevice(options: DeviceOptions = {}): Promise<Device> {
  if (!current) {
    current = create(options).then((d) => { ready = d; return d; });
    current.catch(() => { current = null; });
  }
  return current;
}

/** The device if it has been created, for synchronous code paths. */
export function deviceSync(): Device {
  if (!ready) throw new NoAdapterError('No device yet: call `await getDevice()` (or `await init()`) before creating tensors.');
  if (ready.lost) throw ready.lost;
  return ready;
}

/** Information about the adapter in use (name, family, limits). */
export async function deviceInfo(): Promise<DeviceInfo> {
  return (await getDevice()).info;
}
