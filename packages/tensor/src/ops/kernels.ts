// Shared helpers that dispatch the generic WGSL kernels (copy, fill) used by many ops.
import copySrc from '../../shaders/copy.wgsl';
import fillSrc from '../../shaders/fill.wgsl';
import { getEngine } from '../engine.ts';
import { TensorError, describeShape } from '../errors.ts';
import { elementGrid, WORKGROUP_SIZE } from '../limits.ts';
import { sizeOf, stridesOf, type Shape } from '../shape.ts';
import { Tensor, type DType } from '../tensor.ts';
import { uniformBlock, Uniforms } from '../uniforms.ts';

export const MAX_RANK = 8;

/** Fills a WGSL template's {{NAME}} placeholders. */
export function specialize(template: string, values: Record<string, string | number | boolean>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, k: string) => {
    const v = values[k];
    if (v === undefined) throw new Error(`shader template: no value for {{${k}}}`);
    return String(v);
  });
}

/** a + b + ... as a balanced tree of additions (WGSL), for summing several products at once. */
export function sumTree(terms: string[]): string {
  let t = terms;
  while (t.length > 1) t = Array.from({ length: Math.ceil(t.length / 2) }, (_, i) => (2 * i + 1 < t.length ? `(${t[2 * i]} + ${t[2 * i + 1]})` : t[2 * i]!));
  return t[0]!;
}

export function checkRank(op: string, shape: Shape): void {
  if (shape.length > MAX_RANK) throw new TensorError(`${op}: ${describeShape(shape)} has rank ${shape.length}; at most ${MAX_RANK} is supported`);
}

/** Drops size-1 axes and merges axes that are contiguous in both layouts, to shorten index math. */
function simplify(shape: Shape, a: number[], b: number[]): [number[], number[], number[]] {
  const s: number[] = [], sa: number[] = [], sb: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] === 1) continue;
    const last = s.length - 1;
    if (last >= 0 && sa[last] === a[i]! * shape[i]! && sb[last] === b[i]! * shape[i]!) {
      s[last]! *= shape[i]!;
      sa[last] = a[i]!;
      sb[last] = b[i]!;
    } else { s.push(shape[i]!); sa.push(a[i]!); sb.push(b[i]!); }
  }
  return [s, sa, sb];
}

/** dst[dstOffset + idx·dstStrides] = src[srcOffset + idx·srcStrides] for every idx of `shape`. */
export function stridedCopy(label: string, src: Tensor, srcStrides: number[], srcOffset: number,
  dst: Tensor, dstStrides: number[], dstOffset: number, shape: Shape): void {
  const n = sizeOf(shape);
  if (n === 0) return;
  const [s, si, so] = simplify(shape, srcStrides, dstStrides);
  if (s.length > MAX_RANK) throw new TensorError(`${label}: rank ${s.length} exceeds ${MAX_RANK}`);
  const u = new Uniforms().u32(n, s.length, srcOffset, dstOffset).vec(s, 8).vec(si, 8).vec(so, 8);
  const half = src.dtype === 'float16';
  getEngine().dispatch({
    label, key: `copy:${half}`, source: () => specialize(copySrc, { ENABLE: half ? 'enable f16;' : '', WORD: half ? 'f16' : 'u32', WORKGROUP_SIZE }),
    buffers: [src.buffer, dst.buffer], uniforms: u.done(), workgroups: elementGrid(n),
  });
}

/** A contiguous copy of `src` read through arbitrary strides (permute, expand, slice). */
export function gatherStrided(label: string, src: Tensor, outShape: Shape, srcStrides: number[], srcOffset = 0): Tensor {
  const out = Tensor.empty(outShape, src.dtype);
  stridedCopy(label, src, srcStrides, srcOffset, out, stridesOf(outShape), 0, outShape);
  return out;
}

const fillParams = uniformBlock({ n: 'u32', bits: 'u32', start: 'f32', step: 'f32' });
type FillValues = Record<keyof typeof fillParams.fields, number>;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const i32 = new Int32Array(f32.buffer);

export function fillTensor(t: Tensor, value: number, offset = 0, count = t.size): void {
  if (count === 0) return;
  if (t.dtype === 'float16') {
    // The fill kernel writes 32-bit words: two halves of +0 each (other values: full() casts a float32 fill).
    if (value !== 0 || offset !== 0) throw new TensorError(`fill ${t.describe()}: float16 tensors are filled in place with 0 only`);
    dispatchFill(`fill ${t.describe()}`, t, { n: Math.ceil(count / 2), bits: 0, start: 0, step: 0 }, false, 0);
    return;
  }
  if (t.dtype === 'int32') i32[0] = value; else f32[0] = value;
  dispatchFill(`fill ${t.describe()}`, t, { n: count, bits: u32[0]!, start: 0, step: 0 }, false, offset);
}

export function arangeInto(t: Tensor, start: number, step: number): void {
  dispatchFill(`arange ${t.describe()}`, t, { n: t.size, bits: 0, start, step }, true, 0);
}

function dispatchFill(label: string, t: Tensor, values: FillValues, arange: boolean, offset: number): void {
  if (offset !== 0) throw new TensorError(`${label}: fill offset is not supported`);
  getEngine().dispatch({
    label, key: `fill:${arange}`, source: () => specialize(fillSrc, { PARAMS: fillParams.wgsl, ARANGE: arange, WORKGROUP_SIZE }),
    buffers: [t.buffer], uniforms: fillParams.pack(values), workgroups: elementGrid(values.n),
  });
}

export function full(shape: Shape, value: number, dtype: DType = 'float32'): Tensor {
  const t = Tensor.empty(shape, dtype);
  fillTensor(t, value);
  return t;
}
