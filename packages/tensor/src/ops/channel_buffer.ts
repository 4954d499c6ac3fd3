// A tensor filled channel slice by channel slice in place: a dense block writes each layer's new
// channels into one preallocated [N, C, H, W] buffer, and each layer reads a prefix of it (batch
// norm's `channels` option), instead of concatenating all earlier maps again for every layer
// (O(L²) copies and saved tensors per block).
//
// Why this is safe for autograd without version counters: a channel is written at most once, so
// no write changes data that a recorded op has read (and may have saved for backward); an op
// reading unwritten channels reads garbage whatever the gradients are. So a write is a concat
// into fresh storage: the buffer's gradient passes through unchanged (its new channels were
// never read before the write) and the source's is the gradient's slice at those channels.
import { TensorError, describeShape } from '../errors.ts';
import { checkShape, stridesOf, type Shape } from '../shape.ts';
import { record, Tensor, type DType, type Storage } from '../tensor.ts';
import { stridedCopy } from './kernels.ts';
import { slice } from './movement.ts';

/** Per buffer storage, which channels have been written. */
const written = new WeakMap<Storage, Uint8Array>();

/** An unwritten buffer of `shape` ([N, C, ...]) and `dtype` (float32 or float16) for `writeChannels`. */
export function channelBuffer(shape: Shape, dtype: DType = 'float32'): Tensor {
  checkShape('channelBuffer', shape);
  if (shape.length < 2) throw new TensorError(`channelBuffer: shape ${describeShape(shape)} needs a channel axis ([N, C, ...])`);
  if (dtype === 'int32') throw new TensorError(`channelBuffer: shape ${describeShape(shape)}: dtype must be float32 or float16, not int32`);
  const t = Tensor.empty(shape, dtype);
  written.set(t.storage, new Uint8Array(shape[1]!));
  return t;
}

/**
 * `buffer` with channels [offset, offset + k) set to `src` ([N, k, ...], the buffer's other
 * dimensions), written in place into the buffer's storage; returns the buffer after the write
 * (the tensor passed in shares that storage). Each channel may be written once.
 */
export function writeChannels(buffer: Tensor, src: Tensor, offset: number): Tensor {
  const label = `writeChannels ${src.describe()} into ${buffer.describe()} at channel ${offset}`;
  const flags = written.get(buffer.storage);
  if (!flags) throw new TensorError(`${label}: the buffer was not made by channelBuffer`);
  const k = src.shape[1] ?? 0;
  if (src.rank !== buffer.rank || src.dtype !== buffer.dtype || src.shape.some((d, i) => i !== 1 && d !== buffer.shape[i])) {
    throw new TensorError(`${label}: the source must match the buffer in every dimension but channels, and in dtype`);
  }
  if (!Number.isInteger(offset) || offset < 0 || offset + k > flags.length) {
    throw new TensorError(`${label}: channels [${offset}, ${offset + k}) do not fit the buffer's ${flags.length}`);
  }
  if (flags.subarray(offset, offset + k).some((f) => f === 1)) {
    throw new TensorError(`${label}: some of channels [${offset}, ${offset + k}) were written before (each channel is written once)`);
  }
  const strides = stridesOf(buffer.shape);
  stridedCopy(label, src, stridesOf(src.shape), 0, buffer, strides, offset * strides[1]!, src.shape);
  flags.fill(1, offset, offset + k);
  const out = buffer.view(buffer.shape);
  return record(out, 'writeChannels', [buffer, src], (g) => {
    const starts = buffer.shape.map((_, i) => (i === 1 ? offset : 0));
    const ends = buffer.shape.map((d, i) => (i === 1 ? offset + k : d));
    return [g, src.requiresGrad ? slice(g, starts, ends) : null];
  });
}
