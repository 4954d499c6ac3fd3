// Casts between float dtypes: float32 <-> float16 storage (shaders/cast.wgsl). The gradient is
// cast back to the input's dtype, so float32 master weights get float32 gradients through a
// float16 forward pass.
import castSrc from '../../shaders/cast.wgsl';
import { getEngine } from '../engine.ts';
import { TensorError } from '../errors.ts';
import { elementGrid, WORKGROUP_SIZE } from '../limits.ts';
import { record, Tensor, type DType } from '../tensor.ts';
import { uniformBlock } from '../uniforms.ts';
import { intToFloat } from './elementwise.ts';
import { specialize } from './kernels.ts';
import { clone } from './movement.ts';

const params = uniformBlock({ n: 'u32' });

const WGSL_TYPE = { float32: 'f32', float16: 'f16' } as const;

/** int32 or float16 → float32 (values converted, not bits); a float32 tensor is copied. */
export function toFloat(x: Tensor): Tensor {
  return cast(x, 'float32');
}

/** `x` as `dtype` (float32 or float16; int32 only to float32, as toFloat). A cast to its own dtype copies. */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return clone(x);
  if (x.dtype === 'int32' && dtype === 'float32') return intToFloat(x);
  if (x.dtype === 'int32' || dtype === 'int32') throw new TensorError(`cast: ${x.describe()} to ${dtype} is not supported (casts are between float32 and float16; int32 converts with toFloat())`);
  const src = WGSL_TYPE[x.dtype], dst = WGSL_TYPE[dtype];
  const y = Tensor.empty(x.shape, dtype);
  if (y.size > 0) {
    getEngine().dispatch({
      label: `cast ${x.describe()} to ${dtype}`, key: `cast:${src}:${dst}`,
      source: () => specialize(castSrc, { PARAMS: params.wgsl, SRC: src, DST: dst, WORKGROUP_SIZE }),
      buffers: [x.buffer, y.buffer], uniforms: params.pack({ n: y.size }), workgroups: elementGrid(y.size),
    });
  }
  const from = x.dtype;
  return record(y, 'cast', [x], (g) => [cast(g, from)]);
}
