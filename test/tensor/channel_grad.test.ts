// Channel-range gradients (ops/channel_grad.ts): batch norm reading a channel prefix of a buffer
// returns the gradient of those channels only, and autograd adds it into the buffer's pending
// gradient in place when it owns that gradient, else into a copy. References: the same dense
// block built by concatenation (every batch norm reads a fresh tensor of all its channels, so no
// channel-range gradient arises), and hand-derived gradients of the tensors that share a pending
// gradient with the buffer, which an in-place add must leave alone.
import {
  add, batchNorm, cast, channelBuffer, checkpoint, concat, conv2d, deviceInfo, full, getDevice, hasF16, profile, slice, tensor, tidy, writeChannels, type Tensor,
} from '@drgrade/tensor';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertClose, randomArray } from '../helpers/index.ts';

test.before(async () => { await getDevice(); });

const n = 2, c0 = 3, growth = 2, layers = 3, h = 4, w = 4;
const total = c0 + layers * growth;

interface BlockInputs { h: number; w: number; x: Tensor; weights: Tensor[]; gammas: Tensor[]; betas: Tensor[]; r: Tensor }

/** Leaves of a dense block on [h, w] maps (a plane of 16 takes the vec4 kernels, one of 15 the scalar ones). */
function blockInputs(seed: number, [h, w]: readonly [number, number] = [4, 4]): BlockInputs {
  const leaf = (shape: number[], s: number, lo = -1, hi = 1) => tensor(randomArray(shape.reduce((a, b) => a * b, 1), s, lo, hi), shape, { requiresGrad: true });
  const widths = Array.from({ length: layers }, (_, i) => c0 + i * growth);
  return {
    h, w,
    x: leaf([n, c0, h, w], seed, -2, 2),
    weights: widths.map((c, i) => leaf([growth, c, 1, 1], seed + 1 + i)),
    gammas: widths.map((c, i) => leaf([c], seed + 11 + i, 0.5, 1.5)),
    betas: widths.map((c, i) => leaf([c], seed + 21 + i, -0.5, 0.5)),
    r: tensor(randomArray(n * total * h * w, seed + 31), [n, total, h, w]),
  };
}

/**
 * Σ r·block(x) of a dense block (BN-ReLU-1x1 conv per layer, in `dtype`), with each layer's batch
 * norm reading a prefix of one channel buffer, or (`concatenated`) a concatenation of the block
 * input and all earlier layers' outputs, as torchvision builds it; `checkpointed` recomputes each
 * layer in backward (memoryEfficient), whose rule hands the prefix gradient on as such.
 */
function denseBlockLoss(p: BlockInputs, concatenated: boolean, dtype: 'float32' | 'float16' = 'float32', checkpointed = false): Tensor {
  const { h, w } = p;
  const x = dtype === 'float32' ? p.x : cast(p.x, dtype);
  const features = [x];
  let buffer = concatenated ? x : writeChannels(channelBuffer([n, total, h, w], dtype), x, 0);
  for (let i = 0; i < layers; i++) {
    const c = c0 + i * growth;
    const stats = [full([c], 0), full([c], 1)] as const;
    const input = concatenated ? concat([...features], 1) : buffer;
    const layer = (t: Tensor) => conv2d(batchNorm(t, stats[0], stats[1], p.gammas[i]!, p.betas[i]!,
      { training: true, activation: 'relu', ...(concatenated ? {} : { channels: c }) }), dtype === 'float32' ? p.weights[i]! : cast(p.weights[i]!, dtype));
    const y = checkpointed ? checkpoint(layer, [input], [p.gammas[i]!, p.betas[i]!, p.weights[i]!]) : layer(input);
    features.push(y);
    if (!concatenated) buffer = writeChannels(buffer, y, c);
  }
  const out = concatenated ? concat(features, 1) : buffer;
  return (dtype === 'float32' ? out : cast(out, 'float32')).mul(p.r).sum();
}

async function gradients(p: BlockInputs): Promise<ArrayLike<number>[]> {
  const leaves = [p.x, ...p.weights, ...p.gammas, ...p.betas];
  const out = await Promise.all(leaves.map((t) => t.grad!.toArray()));
  for (const t of leaves) { t.grad!.dispose(); t.grad = null; }
  return out;
}

const names = ['x', ...Array.from({ length: layers }, (_, i) => `conv${i + 1}.weight`),
  ...Array.from({ length: layers }, (_, i) => `norm${i + 1}.weight`), ...Array.from({ length: layers }, (_, i) => `norm${i + 1}.bias`)];

for (const plane of [[4, 4], [3, 5]] as const) {
  test(`a dense block through a channel buffer (prefix gradients added in place) on ${plane.join('x')} maps has the gradients of the concatenated block`, async () => {
    const p = blockInputs(401 + plane[1], plane);
    tidy(() => denseBlockLoss(p, true).backward());
    const expected = await gradients(p);
    tidy(() => denseBlockLoss(p, false).backward());
    const actual = await gradients(p);
    actual.forEach((a, i) => assertClose(a, expected[i]!, { rtol: 1e-5, atol: 1e-6, label: names[i] }));
    [p.x, ...p.weights, ...p.gammas, ...p.betas, p.r].forEach((t) => t.dispose());
  });
}

test('with each layer checkpointed (recomputed in backward), the buffer path has the gradients of the concatenated block', async () => {
  const p = blockInputs(421);
  tidy(() => denseBlockLoss(p, true).backward());
  const expected = await gradients(p);
  tidy(() => denseBlockLoss(p, false, 'float32', true).backward());
  const actual = await gradients(p);
  actual.forEach((a, i) => assertClose(a, expected[i]!, { rtol: 1e-5, atol: 1e-6, label: names[i] }));
  [p.x, ...p.weights, ...p.gammas, ...p.betas, p.r].forEach((t) => t.dispose());
});

for (const checkpointed of [false, true]) {
  test(`the buffer path's backward${checkpointed ? ' (layers checkpointed)' : ''} adds each layer's prefix gradient into the block gradient in place`, async () => {
    if (!(await deviceInfo()).timestamps) return;
    const p = blockInputs(451);
    const loss = denseBlockLoss(p, false, 'float32', checkpointed);
    const run = await profile(() => tidy(() => loss.backward()));
    const calls = (op: string) => run.ops.find((o) => o.op === op)?.calls ?? 0;
    // One in-place add per layer; no add over the whole buffer, and no fill but backward's seed (the
    // padded path filled and added a buffer-sized gradient per layer).
    assert.is(calls('accumulate'), layers);
    assert.is(calls('add'), 0);
    assert.is(calls('fill'), 1);
    loss.dispose();
    await gradients(p);
    [p.x, ...p.weights, ...p.gammas, ...p.betas, p.r].forEach((t) => t.dispose());
  });
}

for (const plane of [[4, 4], [3, 5]] as const) {
  test(`float16: a dense block through a channel buffer on ${plane.join('x')} maps has the gradients of the concatenated block (sums in float32)`, async () => {
    if (!hasF16()) return;
    const p = blockInputs(501 + plane[1], plane);
    tidy(() => denseBlockLoss(p, true, 'float16').backward());
    const expected = await gradients(p);
    tidy(() => denseBlockLoss(p, false, 'float16').backward());
    const actual = await gradients(p);
    // Both round each layer's float16 gradients once; they differ in which partial sums are rounded.
    actual.forEach((a, i) => assertClose(a, expected[i]!, { rtol: 2e-2, atol: 2e-3, label: names[i] }));
    [p.x, ...p.weights, ...p.gammas, ...p.betas, p.r].forEach((t) => t.dispose());
  });
}

/** Gradient of Σ r·batchNorm(x[:, :c]) (training, ReLU) with respect to x, through a slice: zero past c. */
async function prefixNormGradient(xData: Float32Array, c: number, r: Float32Array): Promise<ArrayLike<number>> {
  const x = tensor(xData, [n, total, h, w], { requiresGrad: true });
  tidy(() => {
    const [rm, rv] = [full([c], 0), full([c], 1)];
    batchNorm(slice(x, [0, 0, 0, 0], [n, c, h, w]), rm, rv, null, null, { training: true, activation: 'relu' }).mul(tensor(r, [n, c, h, w])).sum().backward();
  });
  const g = await x.grad!.toArray();
  x.dispose();
  return g;
}

// A = 2·X is read by a prefix batch norm and by A + B. Add's rule hands its upstream gradient G to
// both A and B, so G is pending for both when the batch norm's prefix gradient reaches A: adding it
// into G in place would change B's gradient too (B's own rule runs after the batch norm's here).
test('a pending gradient shared with another tensor is not changed in place', async () => {
  const c = 4, size = n * total * h * w;
  const xData = randomArray(size, 601, -2, 2), r1 = randomArray(size, 602), r2 = randomArray(n * c * h * w, 603), r3 = randomArray(size, 604);
  const X = tensor(xData, [n, total, h, w], { requiresGrad: true });
  const W = tensor(randomArray(size, 605), [n, total, h, w], { requiresGrad: true });
  tidy(() => {
    const A = X.mul(2), B = W.mul(3);
    const [rm, rv] = [full([c], 0), full([c], 1)];
    // Postorder visits B's term first, so reverse order runs B's rule last, after the batch norm's.
    const sumB = B.mul(tensor(r3, [n, total, h, w])).sum();
    const sumNorm = batchNorm(A, rm, rv, null, null, { training: true, activation: 'relu', channels: c }).mul(tensor(r2, [n, c, h, w])).sum();
    const sumAB = add(A, B).mul(tensor(r1, [n, total, h, w])).sum();
    add(add(sumB, sumNorm), sumAB).backward();
  });
  // d/dW = 3·(r3 + r1); d/dX = 2·(r1 + the prefix batch norm's gradient at A = 2·X).
  assertClose(await W.grad!.toArray(), r3.map((v, i) => 3 * (v + r1[i]!)), { rtol: 1e-6, atol: 1e-6, label: 'W.grad' });
  const normGrad = await prefixNormGradient(xData.map((v) => 2 * v), c, r2);
  assertClose(await X.grad!.toArray(), r1.map((v, i) => 2 * (v + normGrad[i]!)), { rtol: 1e-5, atol: 1e-6, label: 'X.grad' });
  [X, W].forEach((t) => t.dispose());
});

// A + L with L a leaf: L's stored .grad is a view of the gradient G that A still has pending when
// the prefix batch norm's gradient reaches A, so an in-place add would change L.grad.
test("a pending gradient that is a leaf's stored .grad is not changed in place", async () => {
  const c = 5, size = n * total * h * w;
  const xData = randomArray(size, 701, -2, 2), r1 = randomArray(size, 702), r2 = randomArray(n * c * h * w, 703);
  const X = tensor(xData, [n, total, h, w], { requiresGrad: true });
  const L = tensor(randomArray(size, 704), [n, total, h, w], { requiresGrad: true });
  tidy(() => {
    const A = X.mul(2);
    const [rm, rv] = [full([c], 0), full([c], 1)];
    const sumNorm = batchNorm(A, rm, rv, null, null, { training: true, activation: 'relu', channels: c }).mul(tensor(r2, [n, c, h, w])).sum();
    // Reverse order runs A + L's rule and stores L.grad before the batch norm's rule.
    add(sumNorm, add(A, L).mul(tensor(r1, [n, total, h, w])).sum()).backward();
  });
  assertClose(await L.grad!.toArray(), r1, { rtol: 0, atol: 0, label: 'L.grad' });
  const normGrad = await prefixNormGradient(xData.map((v) => 2 * v), c, r2);
  assertClose(await X.grad!.toArray(), r1.map((v, i) => 2 * (v + normGrad[i]!)), { rtol: 1e-5, atol: 1e-6, label: 'X.grad' });
  [X, L].forEach((t) => t.dispose());
});

test('a leaf read only through a channel prefix gets a gradient of its whole shape, zero past the prefix', async () => {
  const c = 3, size = n * total * h * w;
  const xData = randomArray(size, 801, -2, 2), r = randomArray(n * c * h * w, 802);
  const X = tensor(xData, [n, total, h, w], { requiresGrad: true });
  tidy(() => {
    const [rm, rv] = [full([c], 0), full([c], 1)];
    batchNorm(X, rm, rv, null, null, { training: true, activation: 'relu', channels: c }).mul(tensor(r, [n, c, h, w])).sum().backward();
  });
  assert.equal([...X.grad!.shape], [n, total, h, w]);
  assertClose(await X.grad!.toArray(), await prefixNormGradient(xData, c, r), { rtol: 1e-6, atol: 1e-7, label: 'X.grad' });
  X.dispose();
});

test.run();
