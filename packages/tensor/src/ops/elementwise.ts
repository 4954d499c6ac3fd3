// Element-wise ops: one table row per op (WGSL expression + backward rule), one generated kernel.
// Inputs are float32 or float16 storage (computed in f32 either way); the result is float16 when
// every tensor operand is, float32 otherwise (PyTorch's promotion of half with float).
import ewSrc from '../../shaders/elementwise.wgsl';
import { getEngine } from '../engine.ts';
import { TensorError } from '../errors.ts';
import { elementGrid, WORKGROUP_SIZE } from '../limits.ts';
import { broadcastShapes, broadcastStrides, sameShape } from '../shape.ts';
import { record, Tensor } from '../tensor.ts';
import { Uniforms } from '../uniforms.ts';
import { MAX_RANK, specialize } from './kernels.ts';
import { narrow, storageWgsl, widen } from './storage.ts';
import { sumTo } from './reduce_kernel.ts';

const NAMES = ['a', 'b', 'c'] as const;
const VARS = ['x', 'y', 'z'] as const;

/**
 * Runs `expr` (in x, y, z, p.alpha, p.beta, all f32) over broadcast float inputs; int32 ones
 * (allowInt) are read as their bits, for the expression to bitcast.
 */
export function mapKernel(label: string, expr: string, inputs: Tensor[], alpha = 0, beta = 0, allowInt = false): Tensor {
  for (const t of inputs) {
    if (t.dtype === 'int32' && !allowInt) throw new TensorError(`${label}: ${t.describe()} must be float32 or float16 (use toFloat())`);
  }
  const outShape = inputs.length === 1 ? [...inputs[0]!.shape] : broadcastShapes(label, ...inputs.map((t) => t.shape));
  if (outShape.length > MAX_RANK) throw new TensorError(`${label}: rank ${outShape.length} exceeds ${MAX_RANK}`);
  const half = inputs.every((t) => t.dtype === 'float16');
  const out = Tensor.empty(outShape, half ? 'float16' : 'float32');
  const types = inputs.map((t) => storageWgsl(t.dtype === 'float16' ? 'float16' : 'float32'));
  const outType = storageWgsl(out.dtype);
  if (out.size === 0) return out;
  const contiguous = inputs.every((t) => sameShape(t.shape, outShape));
  const strides = inputs.map((t) => broadcastStrides(t.shape, outShape));
  while (strides.length < 3) strides.push([]);
  const u = new Uniforms().u32(out.size, outShape.length).f32(alpha, beta)
    .vec(outShape, 8).vec(strides[0]!, 8).vec(strides[1]!, 8).vec(strides[2]!, 8);
  const n = inputs.length;
  const key = `ew:${n}:${contiguous}:${types.map((t) => t.T).join('')}${outType.T}:${expr}`;
  getEngine().dispatch({
    label: `${label} ${inputs.map((t) => t.describe()).join(' ')}`,
    key,
    source: () => specialize(ewSrc, {
      ENABLE: types.some((t) => t.T === 'f16') ? 'enable f16;' : '',
      INPUTS: types.map((t, i) => `@group(0) @binding(${i}) var<storage, read> ${NAMES[i]}: array<${t.T}>;`).join('\n'),
      OUT_T: outType.T,
      OUT_BINDING: n,
      PARAM_BINDING: n + 1,
      OFFSETS: contiguous ? 'let o = vec3<u32>(i, i, i);' : 'let o = broadcastOffsets(i);',
      LOAD: types.map((t, i) => `let ${VARS[i]} = ${widen(t, `${NAMES[i]}[o[${i}]]`)};`).join(' '),
      STORE: narrow(outType, expr),
      WORKGROUP_SIZE,
    }),
    buffers: [...inputs.map((t) => t.buffer), out.buffer],
    uniforms: u.done(),
    workgroups: elementGrid(out.size),
  });
  return out;
}

type Unary = (x: Tensor) => Tensor;

function unary(name: string, expr: string, grad: ((g: Tensor, x: Tensor, y: Tensor) => Tensor) | null): Unary {
  return (x: Tensor) => {
    const y = mapKernel(name, expr, [x]);
    return grad ? record(y, name, [x], (g) => [grad(g, x, y)]) : y;
  };
}

export const neg = unary('neg', '-x', (g) => neg(g));
export const exp = unary('exp', 'exp(x)', (g, _x, y) => mul(g, y));
export const log = unary('log', 'log(x)', (g, x) => div(g, x));
export const sqrt = unary('sqrt', 'sqrt(x)', (g, _x, y) => div(g, mul(y, 2)));
export const rsqrt = unary('rsqrt', 'inverseSqrt(x)', (g, _x, y) => mul(g, mul(pow(y, 3), -0.5)));
export const abs = unary('abs', 'abs(x)', (g, x) => mul(g, sign(x)));
export const sign = unary('sign', 'sign(x)', null);
export const relu = unary('relu', 'max(x, 0.0)', (g, x) => mul(g, gt(x, 0)));
export const sigmoid = unary('sigmoid', '1.0 / (1.0 + exp(-x))', (g, _x, y) => mul(g, mul(y, rsubScalar(y, 1))));
// tanh via exp(-2|x|) so large |x| cannot overflow to inf/inf.
export const tanh = unary('tanh', 'sign(x) * (1.0 - exp(-2.0 * abs(x))) / (1.0 + exp(-2.0 * abs(x)))',
  (g, _x, y) => mul(g, rsubScalar(mul(y, y), 1)));
export const square = unary('square', 'x * x', (g, x) => mul(g, mul(x, 2)));

/** int32 → float32, values converted (cast.ts's toFloat takes every dtype). */
export function intToFloat(x: Tensor): Tensor {
  return mapKernel('toFloat', 'f32(bitcast<i32>(x))', [x], 0, 0, true);
}

function scalarOp(name: string, expr: string, x: Tensor, alpha: number, beta: number,
  grad: ((g: Tensor, x: Tensor, y: Tensor) => Tensor) | null): Tensor {
  const y = mapKernel(name, expr, [x], alpha, beta);
  return grad ? record(y, name, [x], (g) => [grad(g, x, y)]) : y;
}

function rsubScalar(x: Tensor, s: number): Tensor {
  return scalarOp('rsub', 'p.alpha - x', x, s, 0, (g) => neg(g));
}

/** x^e for a constant exponent; integer exponents are exact for negative bases as in PyTorch. */
export function pow(x: Tensor, e: number): Tensor {
  if (e === 1) return scalarOp('pow', 'x', x, 1, 0, (g) => g);
  if (e === 2) return square(x);
  // beta: 0 for even integer exponents, 1 for odd, 2 otherwise (NaN for negative base, like PyTorch).
  const beta = Number.isInteger(e) ? (Math.abs(e) % 2) : 2;
  const expr = 'select(select(pow(abs(x), p.alpha), select(1.0, -1.0, x < 0.0) * pow(abs(x), p.alpha), p.beta == 1.0), pow(x, p.alpha), p.beta == 2.0)';
  return scalarOp('pow', expr, x, e, beta, (g, xx) => mul(g, mul(pow(xx, e - 1), e)));
}

export function clamp(x: Tensor, min: number, max: number): Tensor {
  return scalarOp('clamp', 'clamp(x, p.alpha, p.beta)', x, min, max,
    (g, xx) => mul(g, mapKernel('clampMask', 'select(0.0, 1.0, x >= p.alpha && x <= p.beta)', [xx], min, max)));
}

/**
 * torch.nn.functional.elu: x where x > 0, alpha·(eˣ − 1) elsewhere. Its gradient there is
 * alpha·eˣ = y + alpha, so backward is one kernel over (g, x, y).
 */
export function elu(x: Tensor, alpha = 1): Tensor {
  return scalarOp('elu', 'select(p.alpha * expm1(x), x, x > 0.0)', x, alpha, 0,
    (g, xx, y) => mapKernel('eluBackward', 'x * select(z + p.alpha, 1.0, y > 0.0)', [g, xx, y], alpha));
}

type Binary = (a: Tensor | number, b: Tensor | number) => Tensor;

interface BinaryDef {
  name: string;
  expr: string;
  /** Expression for a scalar right operand (p.alpha), and for a scalar left operand. */
  scalarRight: string;
  scalarLeft: string;
  grad: ((g: Tensor, a: Tensor, b: Tensor, y: Tensor) => [Tensor | null, Tensor | null]) | null;
  gradRight: ((g: Tensor, a: Tensor, s: number, y: Tensor) => Tensor) | null;
  gradLeft: ((g: Tensor, b: Tensor, s: number, y: Tensor) => Tensor) | null;
}

function binary(d: BinaryDef): Binary {
  return (a, b) => {
    if (typeof a === 'number' && typeof b === 'number') throw new TensorError(`${d.name}: at least one operand must be a tensor`);
    if (typeof b === 'number') {
      const y = mapKernel(d.name, d.scalarRight, [a as Tensor], b);
      return d.gradRight ? record(y, d.name, [a as Tensor], (g) => [d.gradRight!(g, a as Tensor, b, y)]) : y;
    }
    if (typeof a === 'number') {
      const y = mapKernel(d.name, d.scalarLeft, [b], a);
      return d.gradLeft ? record(y, d.name, [b], (g) => [d.gradLeft!(g, b, a, y)]) : y;
    }
    const y = mapKernel(d.name, d.expr, [a, b]);
    if (!d.grad) return y;
    return record(y, d.name, [a, b], (g) => {
      const [ga, gb] = d.grad!(g, a, b, y);
      return [ga && a.requiresGrad ? sumTo(ga, a.shape) : null, gb && b.requiresGrad ? sumTo(gb, b.shape) : null];
    });
  };
}

export const add = binary({
  name: 'add', expr: 'x + y', scalarRight: 'x + p.alpha', scalarLeft: 'p.alpha + x',
  grad: (g) => [g, g], gradRight: (g) => g, gradLeft: (g) => g,
});
export const sub = binary({
  name: 'sub', expr: 'x - y', scalarRight: 'x - p.alpha', scalarLeft: 'p.alpha - x',
  grad: (g) => [g, neg(g)], gradRight: (g) => g, gradLeft: (g) => neg(g),
});
export const mul = binary({
  name: 'mul', expr: 'x * y', scalarRight: 'x * p.alpha', scalarLeft: 'p.alpha * x',
  grad: (g, a, b) => [a.requiresGrad ? mul(g, b) : null, b.requiresGrad ? mul(g, a) : null],
  gradRight: (g, _a, s) => mul(g, s), gradLeft: (g, _b, s) => mul(g, s),
});
export const div = binary({
  name: 'div', expr: 'x / y', scalarRight: 'x / p.alpha', scalarLeft: 'p.alpha / x',
  grad: (g, a, b, y) => [a.requiresGrad ? div(g, b) : null, b.requiresGrad ? neg(div(mul(g, y), b)) : null],
  gradRight: (g, _a, s) => mul(g, 1 / s), gradLeft: (g, b, _s, y) => neg(div(mul(g, y), b)),
});
// On ties the gradient is split equally, as torch.maximum / torch.minimum do.
export const maximum = binary({
  name: 'maximum', expr: 'max(x, y)', scalarRight: 'max(x, p.alpha)', scalarLeft: 'max(p.alpha, x)',
  grad: (g, a, b) => [mul(g, mapKernel('maxMask', 'select(select(0.0, 0.5, x == y), 1.0, x > y)', [a, b])),
    mul(g, mapKernel('maxMask', 'select(select(0.0, 0.5, x == y), 1.0, x > y)', [b, a]))],
  gradRight: (g, a, s) => mul(g, mapKernel('maxMask', 'select(select(0.0, 0.5, x == p.alpha), 1.0, x > p.alpha)', [a], s)),
  gradLeft: (g, b, s) => mul(g, mapKernel('maxMask', 'select(select(0.0, 0.5, x == p.alpha), 1.0, x > p.alpha)', [b], s)),
});
export const minimum = binary({
  name: 'minimum', expr: 'min(x, y)', scalarRight: 'min(x, p.alpha)', scalarLeft: 'min(p.alpha, x)',
  grad: (g, a, b) => [mul(g, mapKernel('minMask', 'select(select(0.0, 0.5, x == y), 1.0, x < y)', [a, b])),
    mul(g, mapKernel('minMask', 'select(select(0.0, 0.5, x == y), 1.0, x < y)', [b, a]))],
  gradRight: (g, a, s) => mul(g, mapKernel('minMask', 'select(select(0.0, 0.5, x == p.alpha), 1.0, x < p.alpha)', [a], s)),
  gradLeft: (g, b, s) => mul(g, mapKernel('minMask', 'select(select(0.0, 0.5, x == p.alpha), 1.0, x < p.alpha)', [b], s)),
});

function comparison(name: string, op: string): Binary {
  return binary({
    name, expr: `select(0.0, 1.0, x ${op} y)`, scalarRight: `select(0.0, 1.0, x ${op} p.alpha)`,
    scalarLeft: `select(0.0, 1.0, p.alpha ${op} x)`, grad: null, gradRight: null, gradLeft: null,
  });
}
/** Comparisons return masks of 0 and 1 (float16 for float16 operands; usable directly in arithmetic) and have no gradient. */
export const eq = comparison('eq', '==');
export const ne = comparison('ne', '!=');
export const lt = comparison('lt', '<');
export const le = comparison('le', '<=');
export const gt = comparison('gt', '>');
export const ge = comparison('ge', '>=');

/** Elements of `a` where `cond` is non-zero, else of `b` (all broadcast). */
export function where(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  const ta = typeof a === 'number' ? null : a;
  const tb = typeof b === 'number' ? null : b;
  const inputs = [cond, ...(ta ? [ta] : []), ...(tb ? [tb] : [])];
  const av = ta ? 'y' : 'p.alpha';
  const bv = tb ? (ta ? 'z' : 'y') : 'p.beta';
  const y = mapKernel('where', `select(${bv}, ${av}, x != 0.0)`, inputs, typeof a === 'number' ? a : 0, typeof b === 'number' ? b : 0);
  const grads: Tensor[] = [...(ta ? [ta] : []), ...(tb ? [tb] : [])];
  return record(y, 'where', grads, (g) => {
    const out: (Tensor | null)[] = [];
    if (ta) out.push(ta.requiresGrad ? sumTo(where(cond, g, 0), ta.shape) : null);
    if (tb) out.push(tb.requiresGrad ? sumTo(where(cond, 0, g), tb.shape) : null);
    return out;
  });
}

