// softmax and logSoftmax along any axis, numerically stable (max subtracted first), on float32 or
// float16 storage (f32 arithmetic, each output rounded once; the backward rules' element-wise ops and
// sums have float16 kernels too, so a float16 input gets a float16 gradient).
import softmaxSrc from '../../shaders/softmax.wgsl';
import { getEngine } from '../engine.ts';
import { TensorError } from '../errors.ts';
import { elementGrid, WORKGROUP_SIZE } from '../limits.ts';
import { normalizeAxis, sizeOf } from '../shape.ts';
import { record, Tensor } from '../tensor.ts';
import { uniformBlock } from '../uniforms.ts';
import { exp, mul, sub } from './elementwise.ts';
import { specialize } from './kernels.ts';
import { sum } from './reduce.ts';
import { storageWgsl } from './storage.ts';

const params = uniformBlock({ outer: 'u32', R: 'u32', inner: 'u32' });

function run(name: string, x: Tensor, axis: number, log: boolean): Tensor {
  if (x.dtype === 'int32') throw new TensorError(`${name}: ${x.describe()} must be float32 or float16`);
  const s = storageWgsl(x.dtype);
  const a = normalizeAxis(name, axis, x.rank);
  const outer = sizeOf(x.shape.slice(0, a));
  const R = x.shape[a] ?? 1;
  const inner = sizeOf(x.shape.slice(a + 1));
  const y = Tensor.empty(x.shape, x.dtype);
  if (y.size === 0) return y;
  getEngine().dispatch({
    label: `${name} ${x.describe()} axis ${a}`, key: `softmax:${s.T}:${log}`,
    source: () => specialize(softmaxSrc, { ENABLE: s.ENABLE, S: s.T, PARAMS: params.wgsl, LOG: log, WORKGROUP_SIZE }),
    buffers: [x.buffer, y.buffer], uniforms: params.pack({ outer, R, inner }),
    workgroups: elementGrid(outer * inner),
  });
  return y;
}

export function softmax(x: Tensor, axis = -1): Tensor {
  const y = run('softmax', x, axis, false);
  // dx = y ⊙ (g − Σ g⊙y)
  return record(y, 'softmax', [x], (g) => [mul(y, sub(g, sum(mul(g, y), axis, true)))]);
}

export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const y = run('logSoftmax', x, axis, true);
  // dx = g − softmax(x) ⊙ Σ g
  return record(y, 'logSoftmax', [x], (g) => [sub(g, mul(exp(y), sum(g, axis, true)))]);
}
