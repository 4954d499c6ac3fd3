import { DeviceLostError, NoAdapterError } from './errors.ts';
import { captureNativeStderr, withoutLimitNotices } from './native-stderr.ts';

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
  /** The device has `shader-f16`: float16 tensors and the f16 kernel variants are available. */
  f16: boolean;
  /** The device has `timestamp-query`: `profile()` can time each kernel on the device. */
  timestamps: boolean;
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

/** Where each CPU driver's Vulkan ICD file lives on Debian and Ubuntu. */
const ICD_FILES: Record<'lavapipe' | 'swiftshader', string[]> = {
  // Debian's chromium ships SwiftShader but does not register it with the Vulkan loader.
  swiftshader: ['/usr/lib/chromium/vk_swiftshader_icd.json', '/usr/lib/chromium-browser/vk_swiftshader_icd.json'],
  lavapipe: ['/usr/share/vulkan/icd.d/lvp_icd.json', '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json',
    '/usr/share/vulkan/icd.d/lvp_icd.aarch64.json'],
};

/** Node only: the installed ICD file of a CPU driver, or null. */
async function findIcd(family: 'lavapipe' | 'swiftshader'): Promise<string | null> {
  const fs = await import('node:fs');
  return ICD_FILES[family].find((p) => fs.existsSync(p)) ?? null;
}

/** Node only: point the Vulkan loader at one ICD file; Dawn instances created later use only it. */
function useIcd(file: string): void {
  process.env.VK_ICD_FILENAMES = file;
  process.env.VK_DRIVER_FILES = file;
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
  // Dawn quantizes timestamps by default (here to multiples of 2^18 ns, about 0.26 ms), a browser's
  // defence against timing attacks that a local process does not need and that would hide every
  // kernel shorter than that from profile().
  return mod.create(['disable-dawn-features=timestamp_quantization']);
}

interface Found { gpu: GPU; adapter: GPUAdapter | null }

/**
 * Node only: a Dawn instance and its adapter. What Dawn prints meanwhile is passed on without its
 * limit notices when an adapter was found, and dropped when none was: the fallback or the error
 * that follows says it better than the loader's "Found no drivers!".
 */
async function nodeAdapter(): Promise<Found> {
  const gpu = await nodeGpu();
  const { value: adapter, text } = await captureNativeStderr(() => gpu.requestAdapter({ powerPreference: 'high-performance' }));
  const rest = withoutLimitNotices(text);
  if (adapter && rest.trim() !== '') process.stderr.write(rest.endsWith('\n') ? rest : `${rest}\n`);
  return { gpu, adapter };
}

/**
 * Node: the adapter the choice asks for. `auto` takes what the Vulkan loader finds (a GPU, or
 * lavapipe when installed) and otherwise falls back to chromium's SwiftShader, which the loader
 * does not find by itself.
 */
async function findNodeAdapter(choice: AdapterChoice): Promise<Found> {
  if (choice === 'lavapipe' || choice === 'swiftshader') {
    const icd = await findIcd(choice);
    if (!icd) {
      throw new NoAdapterError(`DRGRADE_ADAPTER=${choice} but its Vulkan driver is not installed (looked for ${ICD_FILES[choice].join(', ')}). ${INSTALL_HINT}`);
    }
    useIcd(icd);
  }
  const found = await nodeAdapter();
  if (found.adapter || choice !== 'auto') return found;
  const swiftshader = await findIcd('swiftshader');
  if (!swiftshader) return found;
  useIcd(swiftshader);
  return nodeAdapter();
}

async function create(options: DeviceOptions): Promise<Device> {
  const choice = readChoice(options);
  let found: Found;
  let runtime: DeviceInfo['runtime'];
  if (isNode) {
    found = await findNodeAdapter(choice);
    runtime = 'node';
  } else {
    const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
    if (!nav?.gpu) throw new NoAdapterError('This browser has no WebGPU (navigator.gpu is missing). Use Chrome or Edge 113+, or Firefox/Safari with WebGPU enabled.');
    found = { gpu: nav.gpu, adapter: await nav.gpu.requestAdapter({ powerPreference: 'high-performance' }) };
    runtime = 'browser';
  }
  const { gpu, adapter } = found;
  if (!adapter) throw new NoAdapterError(INSTALL_HINT);
  if (choice === 'gpu' && classify(adapter.info).kind !== 'gpu') {
    throw new NoAdapterError(`DRGRADE_ADAPTER=gpu but the only adapter is ${adapterName(adapter.info)} (a CPU driver).`);
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
  // Subgroup shuffles let CPU adapters load a value once per subgroup instead of once per lane;
  // shader-f16 lets float16 tensors be stored and read as f16 in WGSL; timestamp-query lets
  // profile() time kernels on the device (it costs nothing until a pass asks for timestamps).
  const requiredFeatures = (['subgroups', 'shader-f16', 'timestamp-query'] as GPUFeatureName[]).filter((f) => adapter.features.has(f));
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
    f16: gpuDevice.features.has('shader-f16'),
    timestamps: gpuDevice.features.has('timestamp-query'),
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
  if (!ready) throw new NoAdapterError('No device yet: call `await getDevice()` before creating tensors.');
  if (ready.lost) throw ready.lost;
  return ready;
}

/** Whether the device in use can hold float16 tensors (the adapter has `shader-f16`). */
export function hasF16(): boolean {
  return deviceSync().info.f16;
}

/** Information about the adapter in use (name, family, limits). */
export async function deviceInfo(): Promise<DeviceInfo> {
  return (await getDevice()).info;
}
