// float16 storage through the ops a DenseNet/FPN/HBP step passes besides conv and matmul:
// element-wise maps with broadcasting, batch norm (float32 statistics and parameters), max,
// average and adaptive average pooling, sum/mean/max reductions, writeChannels, and the FPN/HBP
// ops (interpolate, the HBP interaction, bilinear pooling, normalize, signed square root), forward
// and backward, against the emulated PyTorch half-precision goldens of test/fixtures/gen_f16_goldens.py
// (inputs rounded to half, computed in float64, results rounded to half). Where the adapter lacks
// shader-f16 (SwiftShader in Chromium) the tests return at once: f16.test.ts checks the clear error.
import {
  adaptiveAvgPool2d, argmax, argmin, avgPool2d, logSoftmax, batchNorm, bilinearPool, hbpInteraction, interpolate, normalize, signedSqrt, softmax, channelBuffer, getDevice, hasF16,
  maxPool2d, max, mean, sum, tensor, tidy, writeChannels, type Tensor,
} from '@drgrade/tensor';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadGolden, loadGoldenCases, randomArray } from '../helpers/index.ts';
import { assertWithin, halfStep } from '../helpers/half.ts';

interface OpCase {
  name: string; op: string; shapes?: number[][]; shape?: number[]; axes?: number[]; training?: boolean; relu?: boolean;
  kernel_size?: number; stride?: number; padding?: number; output_size?: number; mode?: 'nearest' | 'bilinear'; size?: [number, number]; dim?: number;
}

const golden = await loadGolden('f16');
const cases = await loadGoldenCases<OpCase>('f16');
const byPrefix = (p: string) => cases.filter((c) => c.name.startsWith(p));
const g = (key: string) => { const t = golden.get(key); if (!t) throw new Error(`f16 golden: no ${key}`); return t; };

let f16 = false;
test.before(async () => { await getDevice(); f16 = hasF16(); });

const size = (s: readonly number[]) => s.reduce((a, d) => a * d, 1);
const maxAbs = (v: ArrayLike<number>) => Array.from(v).reduce((m, x) => Math.max(m, Math.abs(x)), 0);

/**
 * One float16 step of the golden value, plus float16 roundings of intermediate terms (`roundings`
 * of 2^-11 each) and float32 summation over `terms` terms (2^-24 each), both relative to the
 * gate: the same quantity computed from |inputs| and |r|, which bounds every term's magnitude.
 */
const gated = (ref: ArrayLike<number>, gate: ArrayLike<number>, roundings: number, terms: number) =>
  (i: number) => halfStep(ref[i]!) + (roundings * 2 ** -11 + terms * 2 ** -24) * Math.abs(gate[i]!);

/**
 * Runs `fn` on the case's inputs (float16 where `half` says, each requiring grad), checks y is
 * float16 within `yBound` of the golden, back-propagates sum(y · r) and returns the gradients.
 */
async function runCase(key: string, half: boolean[], fn: (xs: Tensor[]) => Tensor, yBound: (ref: Float32Array) => (i: number) => number): Promise<Float32Array[]> {
  const xs = half.map((h, i) => { const t = g(`${key}.in${i}`); return tensor(t.data, t.shape, { dtype: h ? 'float16' : 'float32', requiresGrad: true }); });
  const r = g(`${key}.r`);
  const y = tidy(() => {
    const out = fn(xs);
    out.float().mul(tensor(r.data, r.shape)).sum().backward();
    return out.keep();
  });
  assert.is(y.dtype, 'float16', `${key}: output dtype`);
  const yRef = g(`${key}.y`).data;
  assertWithin(await y.toArray(), yRef, yBound(yRef), `${key} y`);
  const grads: Float32Array[] = [];
  for (const [i, x] of xs.entries()) {
    assert.is(x.grad!.dtype, x.dtype, `${key}: grad ${i} dtype`);
    grads.push(await x.grad!.toArray() as Float32Array);
  }
  for (const t of [y, ...xs]) t.dispose();
  return grads;
}

/** float16 roundings of intermediate terms in each element-wise op's backward rule (the chain of f16 kernels it runs). */
const EW_ROUNDINGS: Record<string, [number, number]> = { relu: [0, 0], sigmoid: [4, 0], add: [0, 0], mul: [1, 1], div: [1, 3] };

test('f16 element-wise maps (relu, sigmoid, add, mul, div; broadcasting) forward and backward against PyTorch half goldens', async () => {
  if (!f16) return;
  for (const c of byPrefix('ew_')) {
    const shapes = c.shapes!;
    const fn = (xs: Tensor[]): Tensor => {
      const [a, b] = xs as [Tensor, Tensor];
      switch (c.op) {
        case 'relu': return a.relu();
        case 'sigmoid': return a.sigmoid();
        case 'add': return a.add(b);
        case 'mul': return a.mul(b);
        default: return a.div(b);
      }
    };
    const grads = await runCase(c.name, shapes.map(() => true), fn, (ref) => gated(ref, g(`${c.name}.ygate`).data, 0, 1));
    // Terms a broadcast operand's gradient sums: output elements per element of the operand.
    const terms = shapes.map((s) => size(shapes[0]!) / size(s));
    grads.forEach((gr, i) => {
      const ref = g(`${c.name}.grad${i}`).data;
      assertWithin(gr, ref, gated(ref, g(`${c.name}.gate${i}`).data, EW_ROUNDINGS[c.op]![i]!, terms[i]!), `${c.name} grad ${i}`);
    });
  }
});

test('f16 element-wise: mixed float16 and float32 operands promote to float32, and comparisons give float16 masks', async () => {
  if (!f16) return;
  const a = tensor([0.5, -1.25, 3], [3], { dtype: 'float16' }), b = tensor([2, 4, -1], [3]);
  const mixed = a.mul(b);
  assert.is(mixed.dtype, 'float32');
  assert.equal([...await mixed.toArray()], [1, -5, -3]);
  const mask = a.gt(0);
  assert.is(mask.dtype, 'float16');
  assert.equal([...await mask.toArray()], [1, 0, 1]);
  for (const t of [a, b, mixed, mask]) t.dispose();
});

test('f16 batch norm (training with running statistics, fused ReLU, eval; vec4 and scalar planes) against PyTorch half goldens', async () => {
  if (!f16) return;
  for (const c of byPrefix('bn_')) {
    const C = c.shape![1]!;
    const rm = tensor(g(`${c.name}.rm0`).data, [C]), rv = tensor(g(`${c.name}.rv0`).data, [C]);
    const opts = { training: c.training, activation: c.relu ? 'relu' as const : 'none' as const };
    // float32 statistics of float16 values: y within a float16 step plus float32 error on the normalised scale.
    const [gx, gw, gb] = await runCase(c.name, [true, false, false], ([x, w, b]) => batchNorm(x!, rm, rv, w!, b!, opts),
      (ref) => { const s = maxAbs(ref); return (i) => halfStep(ref[i]!) + 1e-5 * s; });
    const gxRef = g(`${c.name}.grad0`).data, s = maxAbs(gxRef);
    assertWithin(gx!, gxRef, (i) => halfStep(gxRef[i]!) + 1e-4 * s, `${c.name} grad x`);
    for (const [i, got] of [[1, gw!], [2, gb!]] as const) {
      const ref = g(`${c.name}.grad${i}`).data, m = maxAbs(ref);
      assertWithin(got, ref, () => 1e-4 * m, `${c.name} grad ${i === 1 ? 'weight' : 'bias'} (float32)`);
    }
    assert.is(rm.dtype, 'float32');
    const rmRef = g(`${c.name}.rm`).data, rvRef = g(`${c.name}.rv`).data;
    assertWithin(await rm.toArray(), rmRef, (i) => 1e-5 * (1 + Math.abs(rmRef[i]!)), `${c.name} running mean`);
    assertWithin(await rv.toArray(), rvRef, (i) => 1e-5 * (1 + Math.abs(rvRef[i]!)), `${c.name} running var`);
    rm.dispose(); rv.dispose();
  }
});

test('f16 batch norm over the first channels of a float16 channel buffer: the gradient has the buffer\'s shape, zero past them', async () => {
  if (!f16) return;
  const c = byPrefix('bn_train_vec')[0]!;
  const [N, C, H, W] = c.shape! as [number, number, number, number];
  const x = g(`${c.name}.in0`);
  const rm = tensor(g(`${c.name}.rm0`).data, [C]), rv = tensor(g(`${c.name}.rv0`).data, [C]);
  const src = tensor(x.data, x.shape, { dtype: 'float16', requiresGrad: true });
  const r = g(`${c.name}.r`);
  const y = tidy(() => {
    const buf = writeChannels(channelBuffer([N, C + 3, H, W], 'float16'), src, 0);
    const out = batchNorm(buf, rm, rv, tensor(g(`${c.name}.in1`).data, [C]), tensor(g(`${c.name}.in2`).data, [C]), { training: true, channels: C });
    out.float().mul(tensor(r.data, r.shape)).sum().backward();
    return out.keep();
  });
  assert.is(y.dtype, 'float16');
  const yRef = g(`${c.name}.y`).data, gRef = g(`${c.name}.grad0`).data;
  const ys = maxAbs(yRef), gs = maxAbs(gRef);
  assertWithin(await y.toArray(), yRef, (i) => halfStep(yRef[i]!) + 1e-5 * ys, 'channels y');
  assertWithin(await src.grad!.toArray(), gRef, (i) => halfStep(gRef[i]!) + 1e-4 * gs, 'channels grad');
  for (const t of [y, src, rm, rv]) t.dispose();
});

test('f16 pooling (max, average with padding, adaptive average) forward and backward against PyTorch half goldens', async () => {
  if (!f16) return;
  for (const c of byPrefix('pool_')) {
    const [, , H, W] = c.shape! as [number, number, number, number];
    const opts = { kernelSize: c.kernel_size ?? 1, stride: c.stride ?? c.kernel_size, padding: c.padding ?? 0 };
    const fn = ([x]: Tensor[]) => (c.op === 'max' ? maxPool2d(x!, opts) : c.op === 'avg' ? avgPool2d(x!, opts) : adaptiveAvgPool2d(x!, c.output_size!));
    // Max pooling selects a float16 value (exact); averages sum at most H·W float32 terms.
    const [gx] = await runCase(c.name, [true], fn, (ref) => (c.op === 'max' ? () => 0 : gated(ref, g(`${c.name}.ygate`).data, 0, H * W)));
    const ref = g(`${c.name}.grad0`).data;
    assertWithin(gx!, ref, gated(ref, g(`${c.name}.gate0`).data, 0, H * W), `${c.name} grad x`);
  }
});

test('f16 reductions (sum over several axes, mean, a long sum, max) accumulate in float32 and round once', async () => {
  if (!f16) return;
  for (const c of byPrefix('red_')) {
    const axes = c.axes!;
    const terms = size(axes.map((a) => c.shape![a]!));
    const fn = ([x]: Tensor[]) => (c.op === 'sum' ? sum(x!, axes) : c.op === 'mean' ? mean(x!, axes) : max(x!, axes));
    // One float16 rounding of the float32 sum: over 5000 terms, rounding every partial would be far outside this.
    const [gx] = await runCase(c.name, [true], fn, (ref) => gated(ref, g(`${c.name}.ygate`).data, 0, terms));
    const ref = g(`${c.name}.grad0`).data;
    // mean's gradient is g · (1/n), one rounding; max's goes to the maximum (a tie splits it: none in these inputs).
    assertWithin(gx!, ref, gated(ref, g(`${c.name}.gate0`).data, c.op === 'mean' ? 1 : 0, 1), `${c.name} grad x`);
  }
});

test('f16 channel buffer: writeChannels copies float16 channels exactly, routes their gradients, and refuses a float32 source', async () => {
  if (!f16) return;
  const a = [0.5, -1.25, 3, 7.5, -0.0625, 2050, 0.333251953125, -65504];
  const b = [1, 2, 3, 4];
  const xa = tensor(a, [1, 2, 2, 2], { dtype: 'float16', requiresGrad: true }), xb = tensor(b, [1, 1, 2, 2], { dtype: 'float16', requiresGrad: true });
  const weights = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
  const buf = tidy(() => {
    const full = writeChannels(writeChannels(channelBuffer([1, 3, 2, 2], 'float16'), xb, 2), xa, 0);
    full.float().mul(tensor(weights, [1, 3, 2, 2])).sum().backward();
    return full.keep();
  });
  assert.is(buf.dtype, 'float16');
  assert.equal([...await buf.toArray()], [...a, ...b]);
  assert.equal([...await xa.grad!.toArray()], weights.slice(0, 8));
  assert.equal([...await xb.grad!.toArray()], weights.slice(8));
  assert.is(xa.grad!.dtype, 'float16');
  const other = channelBuffer([1, 2, 2, 2], 'float16');
  assert.throws(() => writeChannels(other, tensor(a, [1, 2, 2, 2]), 0), (e: Error) => /must match the buffer in every dimension but channels, and in dtype/.test(e.message) && !e.message.includes('\n'));
  assert.throws(() => channelBuffer([1, 2], 'int32'), /dtype must be float32 or float16/);
  for (const t of [xa, xb, buf, other]) t.dispose();
});

test('f16 interpolate (nearest, bilinear up and down; vec4 and scalar gradient stores) against PyTorch half goldens', async () => {
  if (!f16) return;
  for (const c of byPrefix('interp_')) {
    const [, , H, W] = c.shape! as [number, number, number, number];
    const [OH, OW] = c.size!;
    // Nearest copies a float16 value (exact); bilinear blends 4 terms with f32 weights. Each input's
    // gradient sums the outputs that read it: at most (ceil(O / I) + 1) per axis.
    const terms = (Math.ceil(OH / H) + 1) * (Math.ceil(OW / W) + 1);
    const [gx] = await runCase(c.name, [true], ([x]) => interpolate(x!, { size: [OH, OW], mode: c.mode! }),
      (ref) => (c.mode === 'nearest' ? () => 0 : gated(ref, g(`${c.name}.ygate`).data, 0, 8)));
    const ref = g(`${c.name}.grad0`).data;
    assertWithin(gx!, ref, gated(ref, g(`${c.name}.gate0`).data, 0, 2 * terms), `${c.name} grad x`);
  }
});

test('f16 HBP interaction and bilinear pooling (vec4 and scalar rows, a partial block) sum over H·W in float32 and round once', async () => {
  if (!f16) return;
  for (const c of byPrefix('hbp_')) {
    const [, , H, W] = c.shape! as [number, number, number, number];
    const grads = await runCase(c.name, [true, true], ([a, b]) => hbpInteraction(a!, b!), (ref) => gated(ref, g(`${c.name}.ygate`).data, 0, H * W));
    // da = g·b: one product of float16 values (exact in f32), rounded once.
    grads.forEach((gr, i) => { const ref = g(`${c.name}.grad${i}`).data; assertWithin(gr, ref, gated(ref, g(`${c.name}.gate${i}`).data, 0, 1), `${c.name} grad ${i}`); });
  }
  for (const c of byPrefix('gram_')) {
    const [, C, H, W] = c.shape! as [number, number, number, number];
    const [gx] = await runCase(c.name, [true], ([x]) => bilinearPool(x!), (ref) => gated(ref, g(`${c.name}.ygate`).data, 0, H * W + 1));
    // dX = ((G + Gᵀ)/HW, rounded to float16) · X: one rounding of each term, 2C float32 terms.
    const ref = g(`${c.name}.grad0`).data;
    assertWithin(gx!, ref, gated(ref, g(`${c.name}.gate0`).data, 1, 2 * C + 2), `${c.name} grad x`);
  }
});

test('f16 normalize and signed square root against PyTorch half goldens', async () => {
  if (!f16) return;
  for (const c of byPrefix('norm_')) {
    // Sums of squares and of g·x in float32 (blocks of 64): error far below a float16 step of the largest value.
    const [gx] = await runCase(c.name, [true], ([x]) => normalize(x!, { dim: c.dim! }), (ref) => { const m = maxAbs(ref); return (i) => halfStep(ref[i]!) + 1e-5 * m; });
    const ref = g(`${c.name}.grad0`).data, m = maxAbs(ref);
    assertWithin(gx!, ref, (i) => halfStep(ref[i]!) + 1e-4 * m, `${c.name} grad x`);
  }
  const [gx] = await runCase('ssqrt_mixed', [true], ([x]) => signedSqrt(x!), (ref) => gated(ref, g('ssqrt_mixed.ygate').data, 0, 2));
  const ref = g('ssqrt_mixed.grad0').data;
  assertWithin(gx!, ref, gated(ref, g('ssqrt_mixed.gate0').data, 0, 4), 'ssqrt_mixed grad x');
});

test('f16 softmax and logSoftmax match the half-precision goldens, forward and backward, beyond float16\'s exp range', async () => {
  if (!f16) return;
  const smax = byPrefix('smax_');
  assert.is(smax.length, 6);
  for (const c of smax) {
    const fn = c.op === 'softmax' ? (x: Tensor) => softmax(x, c.dim!) : (x: Tensor) => logSoftmax(x, c.dim!);
    // Forward: f32 arithmetic rounded once; log-softmax's v − log s cancels, so a float32 step of
    // the row's largest |x − max| (below 2^-18 of it) is allowed beside the float16 step.
    const [gx] = await runCase(c.name, [true], ([x]) => fn(x!), (ref) => { const m = maxAbs(ref); return (i) => halfStep(ref[i]!) + 2 ** -18 * m; });
    // Backward through float16 element-wise ops and a float16 sum: four roundings of terms bounded by the gate.
    const ref = g(`${c.name}.grad0`).data;
    assertWithin(gx!, ref, gated(ref, g(`${c.name}.gate0`).data, 4, 64), `${c.name} grad x`);
  }
});

test('f16 FPN/HBP ops and softmax agree with their float32 path on fresh random inputs, forward and backward', async () => {
  if (!f16) return;
  const ops: [string, number[][], (xs: Tensor[]) => Tensor][] = [
    ['interpolate nearest x2', [[2, 8, 6, 8]], ([x]) => interpolate(x!, { scaleFactor: 2 })],
    ['interpolate bilinear', [[2, 5, 7, 10]], ([x]) => interpolate(x!, { size: [16, 23], mode: 'bilinear' })],
    ['hbpInteraction vec4', [[2, 16, 8, 8], [2, 16, 8, 8]], ([a, b]) => hbpInteraction(a!, b!)],
    ['hbpInteraction scalar', [[1, 7, 5, 5], [1, 7, 5, 5]], ([a, b]) => hbpInteraction(a!, b!)],
    ['bilinearPool', [[2, 10, 6, 6]], ([x]) => bilinearPool(x!)],
    ['normalize', [[2, 2048]], ([x]) => normalize(x!)],
    ['signedSqrt', [[3, 333]], ([x]) => signedSqrt(x!)],
    ['softmax', [[6, 11, 3]], ([x]) => softmax(x!, 1)],
    ['logSoftmax', [[5, 40]], ([x]) => logSoftmax(x!, -1)],
  ];
  let seed = 1;
  for (const [name, shapes, fn] of ops) {
    const half = shapes.map((s) => tensor(randomArray(size(s), seed++, -2, 2), s, { dtype: 'float16', requiresGrad: true }));
    const full = await Promise.all(half.map(async (h) => tensor(await h.toArray(), h.shape, { requiresGrad: true })));
    const run = (xs: Tensor[], rSeed: number) => tidy(() => {
      const y = fn(xs);
      y.float().mul(tensor(randomArray(y.size, rSeed), y.shape)).sum().backward();
      return y.keep();
    });
    const rSeed = seed++;
    const [y16, y32] = [run(half, rSeed), run(full, rSeed)];
    assert.is(y16.dtype, 'float16', `${name}: output dtype`);
    // float16 rounds once where float32 keeps 24 bits; the float16 gradients also round their inputs' partial products.
    const close = (got: ArrayLike<number>, ref: ArrayLike<number>, label: string) => { const m = maxAbs(ref); assertWithin(got, ref, (i) => halfStep(ref[i]!) + 4e-3 * m, label); };
    close(await y16.toArray(), await y32.toArray(), `${name} y`);
    for (const [i, h] of half.entries()) {
      assert.is(h.grad!.dtype, 'float16', `${name}: grad ${i} dtype`);
      close(await h.grad!.toArray(), await full[i]!.grad!.toArray(), `${name} grad ${i}`);
    }
    for (const t of [y16, y32, ...half, ...full]) t.dispose();
  }
});

test('f16 hbpInteraction and bilinearPool refuse mixed or int32 maps in one line', () => {
  if (!f16) return;
  const h = tensor([1, 2, 3, 4], [1, 1, 2, 2], { dtype: 'float16' }), f = tensor([1, 2, 3, 4], [1, 1, 2, 2]);
  const oneLine = (re: RegExp) => (e: Error) => re.test(e.message) && !e.message.includes('\n');
  assert.throws(() => hbpInteraction(h, f), oneLine(/hbpInteraction: .* must all be float32 or all float16/));
  assert.throws(() => bilinearPool(tensor([1, 2, 3, 4], [1, 1, 2, 2], { dtype: 'int32' })), oneLine(/bilinearPool: .* must all be float32 or all float16/));
  for (const t of [h, f]) t.dispose();
});

test('f16 argmax and argmin give the first extremum of the float16 values, ties included; int32 is refused in one line', async () => {
  if (!f16) return;
  // Values on a coarse grid (multiples of 0.25 in [-2, 2]) so that rows hold ties, which must resolve to the first index.
  const shape = [3, 17, 5];
  const values = Array.from(randomArray(size(shape), 11, -2, 2), (v) => Math.round(v * 4) / 4);
  const h = tensor(values, shape, { dtype: 'float16' });
  const read = Array.from(await h.float().toArray());
  for (const [name, fn, better] of [['argmax', argmax, (a: number, b: number) => a > b], ['argmin', argmin, (a: number, b: number) => a < b]] as const) {
    const got = Array.from(await fn(h, 1).toArray());
    const expected: number[] = [];
    let ties = 0;
    for (let o = 0; o < 3; o++) for (let i = 0; i < 5; i++) {
      let best = 0;
      for (let r = 1; r < 17; r++) if (better(read[(o * 17 + r) * 5 + i]!, read[(o * 17 + best) * 5 + i]!)) best = r;
      ties += Array.from({ length: 17 }, (_, r) => read[(o * 17 + r) * 5 + i]).filter((v) => v === read[(o * 17 + best) * 5 + i]).length > 1 ? 1 : 0;
      expected.push(best);
    }
    assert.equal(got, expected, name);
    assert.ok(ties > 0, `${name}: some rows tie, so the first-index rule is tested`);
  }
  const oneLine = (re: RegExp) => (e: Error) => re.test(e.message) && !e.message.includes('\n');
  assert.throws(() => argmax(tensor([1, 2], [2], { dtype: 'int32' }), 0), oneLine(/argmax: .* must be float32 or float16/));
  h.dispose();
});

test.run();
