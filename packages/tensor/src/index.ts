// @drgrade/tensor: an autograd tensor library whose every op is a hand-written WGSL kernel.
// Its declarations name WebGPU types (GPUDevice, GPUBuffer): consumers get them from @webgpu/types.
/// <reference types="@webgpu/types" preserve="true" />
export { Tensor, Storage, liveTensors, record, elementBytes, maxTensorBytes, type DType, type GradNode } from './tensor.ts';
export { getDevice, deviceInfo, describeDevice, hasF16, type Device, type DeviceInfo, type DeviceOptions, type AdapterChoice } from './device.ts';
export { TensorError, GPUOpError, DeviceLostError, NoAdapterError, AdapterLimitError } from './errors.ts';
export { tidy, keep, noGrad, isGradEnabled, setGradEnabled } from './scope.ts';
export { Generator, manualSeed, defaultGenerator } from './random.ts';
export { memoryStats, resetPeakMemory, sync, trimMemory, engineStats, profile } from './stats.ts';
export type { Profile, KernelTime, OpTime } from './profiler.ts';
export type { MemoryStats } from './memory.ts';
export { sizeOf, stridesOf, broadcastShapes } from './shape.ts';
export * from './ops/index.ts';
// Attaches x.add(y), x.matmul(w), ... to Tensor (kept out of tensor.ts, which the ops import).
import './ops/fluent.ts';
export { tunePending, setAutotune, autotuneEnabled, autotuneDecisions, autotuneCachePath, autotuneTimedCount, clearAutotune, type AutotuneOptions } from './autotune.ts';
export { conv2dFlops, matmulFlops } from './flops.ts';
