// A gradient that is zero outside a channel range of its tensor, kept as those channels only. An op
// that reads channels [a, b) of an [N, C, ...] tensor in place (batch norm's `channels`: a dense
// layer reading a prefix of its block's buffer) returns one from its backward rule instead of a
// zero-padded gradient of the whole tensor; autograd (autograd.ts) adds it into the tensor's
// pending gradient in place, touching channels [a, b) only, or materialises it when there is none.
// Without this, every dense layer's gradient was a block-sized fill and write, then a block-sized
// add: O(L x buffer) traffic per block, and a second block-sized tensor alive at each sum.
import accumulateSrc from '../../shaders/accumulate_channels.wgsl';
import { getEngine } from '../engine.ts';
import { TensorError } from '../errors.ts';
import { elementGrid, WORKGROUP_SIZE } from '../limits.ts';
import { sizeOf, stridesOf } from '../shape.ts';
import { Tensor } from '../tensor.ts';
import { uniformBlock } from '../uniforms.ts';
import { fillTensor, specialize, stridedCopy } from './kernels.ts';

/**
 * The gradient of an [N, C, ...] tensor that is `grad` ([N, k, ...]) at channels [offset, offset + k)
 * and zero elsewhere. A plain object, so that `tidy` keeps `grad` when a rule returns it.
 */
export interface ChannelGrad { readonly grad: Tensor; readonly offset: number }

export function channelGrad(grad: Tensor, offset: number): ChannelGrad { return { grad, offset }; }

/** Why `part` cannot be the gradient of `input` (null when it can): the op's rule is wrong, so autograd throws. */
export function channelGradMismatch(part: ChannelGrad, input: Tensor): string | null {
  const { grad: g, offset } = part;
  const k = g.shape[1] ?? 0;
  const fits = g.rank === input.rank && g.rank >= 2 && g.shape.every((d, i) => i === 1 || d === input.shape[i])
    && Number.isInteger(offset) && offset >= 0 && offset + k <= input.shape[1]!;
  return fits ? null : `gradient ${g.describe()} at channels [${offset}, ${offset + k}) does not fit input ${input.describe()}`;
}

const accumulateParams = uniformBlock({ n: 'u32', srcImage: 'u32', dstImage: 'u32', offset: 'u32' });

/** dst[:, offset + c] += part.grad[:, c] in place; dst is a float32 gradient of the whole tensor. */
export function addChannelsInto(dst: Tensor, part: ChannelGrad): void {
  const g = part.grad;
  if (dst.dtype !== 'float32') throw new TensorError(`addChannelsInto: ${dst.describe()} must be float32 (gradients are summed in float32)`);
  const plane = sizeOf(g.shape.slice(2));
  const vec = plane % 4 === 0;
  const w = vec ? 4 : 1;
  const half = g.dtype === 'float16';
  const k = g.shape[1]!;
  const T = vec ? 'vec4<f32>' : 'f32';
  const S = half ? (vec ? 'vec4<f16>' : 'f16') : T;
  getEngine().dispatch({
    label: `accumulate ${g.describe()} into channels ${part.offset}.. of ${dst.describe()}`, key: `accumulate_channels:${vec}:${half}`,
    source: () => specialize(accumulateSrc, { ENABLE: half ? 'enable f16;' : '', PARAMS: accumulateParams.wgsl, T, S, WORKGROUP_SIZE }),
    buffers: [g.buffer, dst.buffer],
    uniforms: accumulateParams.pack({ n: g.size / w, srcImage: k * plane / w, dstImage: dst.shape[1]! * plane / w, offset: part.offset * plane / w }),
    workgroups: elementGrid(g.size / w), cost: 3 * g.size,
  });
}

/** The whole gradient, in part.grad's dtype, of a tensor of `input`'s shape: zeros, part.grad at its channels. */
export function materialise(part: ChannelGrad, input: Tensor): Tensor {
  const g = part.grad;
  const out = Tensor.empty(input.shape, g.dtype);
  fillTensor(out, 0);
  const strides = stridesOf(input.shape);
  stridedCopy(`gradient ${g.describe()} into channels ${part.offset}.. of ${input.describe()}`, g, stridesOf(g.shape), 0, out, strides, part.offset * strides[1]!, g.shape);
  return out;
}
