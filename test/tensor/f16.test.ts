// float16 tensors and the f16 matmul kernels: PyTorch's float16 rounding and half-precision
// matmul goldens (test/fixtures/gen_f16_goldens.py), and the float32 path on the same inputs.
// Where the adapter lacks shader-f16 (SwiftShader in Chromium), the clear error is what is checked.
import { cast, conv2d, conv2dBackwardInput, conv2dBackwardWeight, conv2dVariants, getDevice, hasF16, matmul, matmulCandidates, matmulInto, tensor, Tensor, tidy, type MatmulVariant } from '@drgrade/tensor';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadGolden, loadGoldenCases } from '../helpers/index.ts';
import { assertWithin, halfStep } from '../helpers/half.ts';

interface MatmulCase { name: string; batch: number; M: number; K: number; N: number }
interface ConvCase {
  name: string; N: number; C: number; H: number; W: number; O: number; kernel: [number, number];
  stride: number; padding: number; groups: number; bias: boolean; relu: boolean; ky: number; kgx: number; kgw: number;
}

const golden = await loadGolden('f16');
const allCases = await loadGoldenCases<MatmulCase & ConvCase>('f16');
const matmulCases: MatmulCase[] = allCases.filter((c) => c.name.startsWith('mm_'));
const convCases: ConvCase[] = allCases.filter((c) => c.name.startsWith('conv_'));
const g = (key: string) => { const t = golden.get(key); if (!t) throw new Error(`f16 golden: no ${key}`); return t.data; };

let f16 = false;
test.before(async () => { await getDevice(); f16 = hasF16(); });

test('without shader-f16 a float16 tensor is refused with one clear line', () => {
  if (f16) return;
  assert.throws(() => tensor([1, 2], [2], { dtype: 'float16' }), (e: Error) => /float16 tensors need the WebGPU feature 'shader-f16'/.test(e.message) && !e.message.includes('\n'));
  assert.throws(() => tensor([1, 2], [2]).half(), /shader-f16/);
});

test('float32 -> float16 rounds as PyTorch does (normal, subnormal, ties to even, extremes); readback is exact', async () => {
  if (!f16) return;
  const x = g('cast.x');
  const h = tensor(x, [x.length], { dtype: 'float16' });
  assert.is(h.dtype, 'float16');
  // WGSL lets a conversion round to either neighbour of an inexact value: allow the other one, report how many.
  const ours = await h.toArray();
  const ref = g('cast.x_half');
  assertWithin(ours, ref, (i) => halfStep(x[i]!), 'cast');
  const exact = ref.filter((v, i) => v === ours[i]).length;
  assert.ok(exact >= ref.length - 2, `only ${exact} of ${ref.length} rounded as PyTorch does`);
  // Hand values: 1/3 -> 0x3555 = 0.333251953125; 2^-24 is the smallest subnormal; 1 + 2^-11 ties down to 1.
  const hand = await tensor([1 / 3, 2 ** -24, 1 + 2 ** -11, 65504, -2], [5], { dtype: 'float16' }).toArray();
  assert.equal([...hand], [0.333251953125, 2 ** -24, 1, 65504, -2]);
  // Back to float32 is exact, and so is a float16 -> float16 copy.
  assert.equal([...await h.float().toArray()], [...ours]);
  assert.equal([...await cast(h, 'float16').toArray()], [...ours]);
});

test('float16 storage: odd sizes, views, permute, pad and zeros keep their values', async () => {
  if (!f16) return;
  const v = [1, -2, 3.5, 0.25, 5, -6, 7, 8, 9];
  const h = tensor(v, [3, 3], { dtype: 'float16' });
  assert.is(h.describe(), 'tensor [3, 3] float16');
  assert.equal([...await h.reshape([9]).toArray()], v);
  assert.equal([...await h.transpose().toArray()], [1, 0.25, 7, -2, 5, 8, 3.5, -6, 9]);
  assert.equal([...await h.slice([1, 0], [3, 3]).toArray()], v.slice(3));
  assert.equal([...await h.pad([[0, 0], [1, 0]]).toArray()], [0, 1, -2, 3.5, 0, 0.25, 5, -6, 0, 7, 8, 9]);
  assert.equal([...await tensor([0], [1]).mul(0).half().toArray()], [0]);
});

test('cast backward: the gradient comes back in the input dtype', async () => {
  if (!f16) return;
  const x = tensor([0.5, -1.25, 3], [3], { requiresGrad: true });
  tidy(() => {
    const y = x.half().float().mul(tensor([2, 3, 4], [3]));
    y.sum().backward();
  });
  assert.is(x.grad!.dtype, 'float32');
  assert.equal([...await x.grad!.toArray()], [2, 3, 4]);
});

/**
 * Σ_k |a[i,k]|·|b[k,j]| for every output (batched, row-major): scales the float32 summation error
 * bound K·2^-24·Σ|a||b| that f16 outputs may carry on top of their float16 rounding.
 */
function absMatmul(a: Float32Array, b: Float32Array, batch: number, M: number, K: number, N: number, transA = false, transB = false): Float64Array {
  const c = new Float64Array(batch * M * N);
  for (let z = 0; z < batch; z++) for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
    let s = 0;
    for (let k = 0; k < K; k++) {
      const av = transA ? a[z * M * K + k * M + i]! : a[z * M * K + i * K + k]!;
      const bv = transB ? b[z * K * N + j * K + k]! : b[z * K * N + k * N + j]!;
      s += Math.abs(av * bv);
    }
    c[(z * M + i) * N + j] = s;
  }
  return c;
}

/** One float16 step of the golden value plus the float32 summation bound over K terms. */
const f16Bound = (ref: ArrayLike<number>, abs: Float64Array, K: number) => (i: number) => halfStep(ref[i]!) + K * 2 ** -24 * abs[i]!;

const f16Variants: MatmulVariant[] = ['vec4', 'scalar', 'sg', 'sgv', 't32x32', 't64x64', 't128x128', 't64x64k4'];

for (const variant of f16Variants) {
  test(`f16 matmul '${variant}' against PyTorch half-precision goldens and the float32 kernel`, async () => {
    if (!f16) return;
    for (const { name, batch, M, K, N } of matmulCases) {
      const a = g(`${name}.a`), b = g(`${name}.b`), y = g(`${name}.y`);
      const abs = absMatmul(a, b, batch, M, K, N);
      const ah = tensor(a, [batch, M, K], { dtype: 'float16' }), bh = tensor(b, [batch, K, N], { dtype: 'float16' });
      const c = Tensor.empty([batch, M, N], 'float16');
      matmulInto('test f16', ah, bh, c, batch, M, K, N, M * K, K * N, variant);
      // The same float16 inputs through the float32 kernel: the f16 output should be its rounding.
      const a32 = tensor(a, [batch, M, K]), b32 = tensor(b, [batch, K, N]), c32 = Tensor.empty([batch, M, N]);
      matmulInto('test f32', a32, b32, c32, batch, M, K, N, M * K, K * N, variant);
      const out = await c.toArray(), y32 = await c32.toArray();
      for (const t of [ah, bh, c, a32, b32, c32]) t.dispose();
      assertWithin(out, y, f16Bound(y, abs, K), `${variant} ${name} vs PyTorch`);
      assertWithin(out, y32, (i) => halfStep(y32[i]!) / 2 + 2 * K * 2 ** -24 * abs[i]!, `${variant} ${name} vs float32`);
    }
  });
}

test('f16 matmul candidates: no subgroup or split-K kernels, and the chosen kernel matches PyTorch', async () => {
  if (!f16) return;
  for (const v of matmulCandidates(8, 4096, 8, 1, 'float16')) assert.ok(v !== 'sg' && v !== 'sgv' && !/k\d+$/.test(v), v);
  const { batch, M, K, N } = matmulCases.find((c) => c.name === 'mm_wide')!;
  const y = tensor(g('mm_wide.a'), [batch, M, K], { dtype: 'float16' }).matmul(tensor(g('mm_wide.b'), [batch, K, N], { dtype: 'float16' }));
  assert.is(y.dtype, 'float16');
  const ref = g('mm_wide.y');
  assertWithin(await y.toArray(), ref, f16Bound(ref, absMatmul(g('mm_wide.a'), g('mm_wide.b'), batch, M, K, N), K), 'matmul()');
  assert.throws(() => matmul(tensor([1], [1, 1], { dtype: 'float16' }), tensor([1], [1, 1])), /must both be float32 or both float16/);
});

test('mixed precision: float32 masters through a float16 matmul get the float16 gradients of PyTorch', async () => {
  if (!f16) return;
  for (const { name, batch, M, K, N } of matmulCases) {
    const a = tensor(g(`${name}.a`), [batch, M, K], { requiresGrad: true });
    const b = tensor(g(`${name}.b`), [batch, K, N], { requiresGrad: true });
    const r = g(`${name}.r`);
    tidy(() => { a.half().matmul(b.half()).float().mul(tensor(r, [batch, M, N])).sum().backward(); });
    assert.is(a.grad!.dtype, 'float32');
    const rh = await tensor(r, [r.length], { dtype: 'float16' }).toArray() as Float32Array;
    const ga = g(`${name}.ga`), gb = g(`${name}.gb`);
    assertWithin(await a.grad!.toArray(), ga, f16Bound(ga, absMatmul(rh, g(`${name}.b`), batch, M, N, K, false, true), N), `${name} grad a`);
    assertWithin(await b.grad!.toArray(), gb, f16Bound(gb, absMatmul(g(`${name}.a`), rh, batch, K, M, N, true, false), M), `${name} grad b`);
    a.dispose(); b.dispose();
  }
});

/** `n` random multiples of 1/256 in [−4, 4): exact in float16, so float64 references see the very inputs. */
const halfExact = (n: number) => Float32Array.from({ length: n }, () => Math.floor(Math.random() * 2048 - 1024) / 256);

/** Σ_j a[i,j]·b[k,j] in float64 (a [M, N], b [K, N]): the gradient a matmul sends its left operand. */
function matmulBT(a: Float32Array, b: Float32Array, M: number, K: number, N: number, abs = false): Float64Array {
  const c = new Float64Array(M * K);
  for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) {
    let s = 0;
    for (let j = 0; j < N; j++) s += abs ? Math.abs(a[i * N + j]! * b[k * N + j]!) : a[i * N + j]! * b[k * N + j]!;
    c[i * K + k] = s;
  }
  return c;
}

test('a float16 tensor used several times sums its gradients (in float32, rounded once) to the float64 reference', async () => {
  if (!f16) return;
  const M = 5, K = 7, N1 = 6, N2 = 3;
  const xv = halfExact(M * K), wv = halfExact(K * N1), vv = halfExact(K * N2);
  const r1 = halfExact(M * N1), r2 = halfExact(M * N2), r3 = halfExact(M * K);
  // dL/dh = r1·wᵀ + r2·vᵀ + r3; each matmul branch arrives rounded to float16.
  const b1 = matmulBT(r1, wv, M, K, N1), b2 = matmulBT(r2, vv, M, K, N2);
  const a1 = matmulBT(r1, wv, M, K, N1, true), a2 = matmulBT(r2, vv, M, K, N2, true);
  const ref = b1.map((v, i) => v + b2[i]! + r3[i]!);
  const bound = (i: number) => halfStep(ref[i]!) + halfStep(b1[i]!) + halfStep(b2[i]!) + (N1 * a1[i]! + N2 * a2[i]! + Math.abs(ref[i]!)) * 2 ** -23;
  const loss = (h: Tensor) => {
    const w = tensor(wv, [K, N1], { dtype: 'float16' }), v = tensor(vv, [K, N2], { dtype: 'float16' });
    return h.matmul(w).float().mul(tensor(r1, [M, N1])).sum()
      .add(h.matmul(v).float().mul(tensor(r2, [M, N2])).sum())
      .add(h.float().mul(tensor(r3, [M, K])).sum());
  };
  // An interior float16 tensor (a float32 master's half copy): its gradient is cast back to float32.
  const x = tensor(xv, [M, K], { requiresGrad: true });
  tidy(() => loss(x.half()).backward());
  assert.is(x.grad!.dtype, 'float32');
  assertWithin(await x.grad!.toArray(), ref, bound, 'grad of x through x.half() used three times');
  // A float16 leaf used three times, over two backward passes: its stored float16 gradient accumulates too.
  const h = tensor(xv, [M, K], { dtype: 'float16', requiresGrad: true });
  tidy(() => loss(h).backward());
  assert.is(h.grad!.dtype, 'float16');
  assertWithin(await h.grad!.toArray(), ref, bound, 'float16 leaf grad');
  tidy(() => loss(h).backward());
  assertWithin(await h.grad!.toArray(), ref.map((v) => 2 * v), (i) => 2 * bound(i) + halfStep(2 * ref[i]!), 'float16 leaf grad after two passes');
  x.dispose(); h.dispose();
});

/** A float16 step of the golden value plus the float32 summation bound over K terms of the gate's magnitude. */
const gateBound = (ref: ArrayLike<number>, gate: ArrayLike<number>, K: number, steps = 1) => (i: number) => steps * halfStep(ref[i]!) + K * 2 ** -24 * gate[i]!;

for (const forced of [undefined, 't32x32', 't64x64'] as const) {
  test(`f16 conv2d forward (${forced ?? 'chosen kernel'}) and its float32-computed gradients against PyTorch half-precision goldens`, async () => {
    if (!f16) return;
    for (const c of convCases) {
      const k = c.name;
      const opts = { stride: c.stride, padding: c.padding, groups: c.groups, activation: c.relu ? 'relu' as const : 'none' as const, kernels: forced ? { forward: forced } : {} };
      const xs = [c.N, c.C, c.H, c.W], ws = [c.O, c.C / c.groups, ...c.kernel];
      const x = tensor(g(`${k}.x`), xs, { requiresGrad: true }), w = tensor(g(`${k}.w`), ws, { requiresGrad: true });
      const b = c.bias ? tensor(g(`${k}.b`), [c.O], { requiresGrad: true }) : null;
      const r = g(`${k}.r`);
      const yRef = g(`${k}.y`), ys = [c.N, c.O, ...golden.get(`${k}.y`)!.shape.slice(2)];
      const out = tidy(() => {
        const yh = conv2d(x.half(), w.half(), b?.half() ?? null, opts);
        // The float32 path through the same tile (the default tile when the f16 kernel is chosen).
        const y32 = conv2d(x, w, b, { ...opts, kernels: { forward: forced ?? 't64x64' } });
        yh.float().mul(tensor(r, ys)).sum().backward();
        return [yh.keep(), y32.keep()] as const;
      });
      const [yh, y32] = [await out[0].toArray(), await out[1].toArray()];
      assert.is(out[0].dtype, 'float16');
      const gate = g(`${k}.ygate`);
      assertWithin(yh, yRef, gateBound(yRef, gate, c.ky), `${k} y vs PyTorch`);
      assertWithin(yh, y32, (i) => halfStep(y32[i]!) / 2 + 2 * c.ky * 2 ** -24 * gate[i]!, `${k} y vs float32`);
      const gx = g(`${k}.gx`), gw = g(`${k}.gw`);
      assertWithin(await x.grad!.toArray(), gx, gateBound(gx, g(`${k}.gxgate`), c.kgx), `${k} grad x`);
      assertWithin(await w.grad!.toArray(), gw, gateBound(gw, g(`${k}.gwgate`), c.kgw), `${k} grad w`);
      if (b) {
        const gb = g(`${k}.gb`);
        assertWithin(await b.grad!.toArray(), gb, (i) => halfStep(gb[i]!) + 1e-6 * Math.abs(gb[i]!), `${k} grad b`);
      }
      for (const t of [x, w, ...(b ? [b] : []), ...out]) t.dispose();
    }
  });
}

/**
 * The backward variants worth checking in float16 on this adapter: those with an f16 variant (no
 * split-K tile, no subgroup matmul), blocks of at most 4 pixels (the larger ones are the same code
 * unrolled further and take seconds each to compile on lavapipe).
 */
const halfVariants = (vs: string[]) => vs.filter((v) => !/k\d+$/.test(v) && !v.startsWith('mm:sg') && !/^(sg|reg|row)\dx[5-8]$/.test(v));

/** |t| as a new float32 tensor. */
const absOf = async (t: Tensor) => tensor((await t.toArray() as Float32Array).map(Math.abs), [...t.shape]);

test('f16 conv2d backward kernels, every f16 variant: float16 leaves get PyTorch half-precision gradients, and the float32 kernel\'s within float16 rounding', async () => {
  if (!f16) return;
  for (const c of convCases) {
    const k = c.name;
    const base = { stride: c.stride, padding: c.padding, groups: c.groups, activation: c.relu ? 'relu' as const : 'none' as const };
    const xs = [c.N, c.C, c.H, c.W], ws = [c.O, c.C / c.groups, ...c.kernel];
    const variants = conv2dVariants(xs, ws, base);
    const inputVariants = halfVariants(variants.backwardInput), weightVariants = halfVariants(variants.backwardWeight);
    assert.ok(inputVariants.length > 1 && weightVariants.length > 1, `${k}: f16 variants ${inputVariants} / ${weightVariants}`);
    const gx = g(`${k}.gx`), gw = g(`${k}.gw`);
    const r = g(`${k}.r`), ys = [c.N, c.O, ...golden.get(`${k}.y`)!.shape.slice(2)];
    for (let i = 0; i < Math.max(inputVariants.length, weightVariants.length); i++) {
      const bi = inputVariants[i % inputVariants.length]!, bw = weightVariants[i % weightVariants.length]!;
      const label = `${k} backwardInput ${bi} backwardWeight ${bw}`;
      const x = tensor(g(`${k}.x`), xs, { dtype: 'float16', requiresGrad: true }), w = tensor(g(`${k}.w`), ws, { dtype: 'float16', requiresGrad: true });
      const b = c.bias ? tensor(g(`${k}.b`), [c.O], { dtype: 'float16', requiresGrad: true }) : null;
      tidy(() => conv2d(x, w, b, { ...base, kernels: { backwardInput: bi, backwardWeight: bw } }).float().mul(tensor(r, ys)).sum().backward());
      assert.is(x.grad!.dtype, 'float16', label);
      assert.is(w.grad!.dtype, 'float16', label);
      assertWithin(await x.grad!.toArray(), gx, gateBound(gx, g(`${k}.gxgate`), c.kgx), `${label}: grad x`);
      assertWithin(await w.grad!.toArray(), gw, gateBound(gw, g(`${k}.gwgate`), c.kgw), `${label}: grad w`);
      if (b) {
        const gb = g(`${k}.gb`);
        assert.is(b.grad!.dtype, 'float16', label);
        assertWithin(await b.grad!.toArray(), gb, (j) => halfStep(gb[j]!) + 1e-6 * Math.abs(gb[j]!), `${label}: grad b`);
      }
      for (const t of [x, w, ...(b ? [b] : [])]) t.dispose();
    }
    // Fresh random float16 operands through each f16 kernel and the float32 kernel of the same name:
    // the float16 gradient is the float32 one rounded, give or take float32 summation order.
    const dyv = halfExact(ys.reduce((a, d) => a * d, 1)), wv = halfExact(ws.reduce((a, d) => a * d, 1)), xv = halfExact(xs.reduce((a, d) => a * d, 1));
    const dy32 = tensor(dyv, ys), w32 = tensor(wv, ws), x32 = tensor(xv, xs);
    const dyh = dy32.half(), wh = w32.half(), xh = x32.half();
    const dyAbs = await absOf(dy32), wAbs = await absOf(w32), xAbs = await absOf(x32);
    for (const v of inputVariants) {
      const opts = { ...base, activation: 'none' as const, kernels: { backwardInput: v } };
      const ref = await conv2dBackwardInput(dy32, w32, xs, opts).toArray(), gate = await conv2dBackwardInput(dyAbs, wAbs, xs, opts).toArray();
      const dx = conv2dBackwardInput(dyh, wh, xs, opts);
      assert.is(dx.dtype, 'float16');
      assertWithin(await dx.toArray(), ref, (j) => halfStep(ref[j]!) / 2 + 2 * c.kgx * 2 ** -24 * gate[j]!, `${k} ${v} dx vs float32 (fresh inputs)`);
    }
    for (const v of weightVariants) {
      const opts = { ...base, activation: 'none' as const, kernels: { backwardWeight: v } };
      const ref = await conv2dBackwardWeight(x32, dy32, ws, opts).toArray(), gate = await conv2dBackwardWeight(xAbs, dyAbs, ws, opts).toArray();
      const dw = conv2dBackwardWeight(xh, dyh, ws, opts);
      assert.is(dw.dtype, 'float16');
      assertWithin(await dw.toArray(), ref, (j) => halfStep(ref[j]!) / 2 + 2 * c.kgw * 2 ** -24 * gate[j]!, `${k} ${v} dw vs float32 (fresh inputs)`);
    }
    for (const t of [dy32, w32, x32, dyh, wh, xh, dyAbs, wAbs, xAbs]) t.dispose();
  }
});

test('f16 conv2d: operands share a dtype, and kernels without an f16 variant cannot be forced', () => {
  if (!f16) return;
  const x = tensor(new Float32Array(2 * 4 * 4), [1, 2, 4, 4], { dtype: 'float16' }), w = tensor(new Float32Array(3 * 2 * 9), [3, 2, 3, 3]);
  assert.throws(() => conv2d(x, w), /must be float32 \(or every operand float16\)/);
  assert.throws(() => conv2d(x, w.half(), null, { kernels: { forward: 't64x64k4' } }), (e: Error) => /'t64x64k4' has no float16 variant/.test(e.message) && !e.message.includes('\n'));
  assert.throws(() => conv2dBackwardInput(tensor(new Float32Array(3 * 2 * 2), [1, 3, 2, 2], { dtype: 'float16' }), w.half(), x.shape, { kernels: { backwardInput: 't32x32k2' } }), /'t32x32k2' has no float16 variant/);
});

test.run();
