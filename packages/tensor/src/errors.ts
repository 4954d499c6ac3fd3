/** Errors thrown by @drgrade/tensor. Each names the op and the shapes involved. */
export class TensorError extends Error {
  override name = 'TensorError';
}

/** A WebGPU validation or out-of-memory error, reported with the ops of the batch it came from. */
export class GPUOpError extends TensorError {
  override name = 'GPUOpError';
}

/** The GPU device was lost (driver reset, out of memory, destroyed). */
export class DeviceLostError extends TensorError {
  override name = 'DeviceLostError';
}

/**
 * A tensor larger than the adapter lets one kernel bind (maxStorageBufferBindingSize: 128 MiB on
 * lavapipe, GiBs on GPUs): a limit of the machine, not a bug; the message names the tensor.
 * (`@drgrade/nn`'s Linear keeps a larger weight in row shards instead, so models do not meet it.)
 */
export class AdapterLimitError extends TensorError {
  override name = 'AdapterLimitError';
}

/** No WebGPU adapter could be found; the message says what to install. */
export class NoAdapterError extends TensorError {
  override name = 'NoAdapterError';
}

export function describeShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
