// Channel buffers (a dense block's preallocated concatenation): writeChannels against a float64
// concatenation built here, its gradients against hand-derived slices and finite differences,
// batch norm reading a channel prefix in place against a float64 batch norm, and the errors.
import { batchNorm, channelBuffer, full, getDevice, tensor, tidy, writeChannels, type Tensor } from '@drgrade/tensor';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertClose, gradcheck, randomArray } from '../helpers/index.ts';

test.before(async () => { await getDevice(); });

/** [N, C, H·W] float64 arrays joined along C, as torch.cat(dim=1). */
function concatRef(parts: { data: Float32Array; c: number }[], n: number, hw: number): Float64Array {
  const total = parts.reduce((s, p) => s + p.c, 0);
  const out = new Float64Array(n * total * hw);
  for (let i = 0; i < n; i++) {
    let at = 0;
    for (const p of parts) {
      for (let j = 0; j < p.c * hw; j++) out[(i * total + at) * hw + j] = p.data[i * p.c * hw + j]!;
      at += p.c;
    }
  }
  return out;
}

for (const [h, w] of [[3, 5], [4, 4]] as const) {
  test(`writeChannels fills a [2, 6, ${h}, ${w}] buffer as torch.cat would; gradients are the upstream gradient's slices`, async () => {
    const n = 2, hw = h * w;
    const parts = [3, 1, 2].map((c, k) => ({ c, data: randomArray(n * c * hw, 101 + 10 * h + k) }));
    const srcs = parts.map((p) => tensor(p.data, [n, p.c, h, w], { requiresGrad: true }));
    const weights = randomArray(n * 6 * hw, 111 + h);
    const out = tidy(() => {
      let buf = channelBuffer([n, 6, h, w]);
      let at = 0;
      for (const s of srcs) { buf = writeChannels(buf, s, at); at += s.shape[1]!; }
      buf.mul(tensor(weights, [n, 6, h, w])).sum().backward();
      return buf;
    });
    assert.equal(Array.from(await out.toArray()), Array.from(concatRef(parts, n, hw)));
    // d Σ w·cat(x₀, x₁, x₂) / dx_k is w at x_k's channels.
    let at = 0;
    for (const [k, s] of srcs.entries()) {
      const c = parts[k]!.c;
      const expected = new Float32Array(n * c * hw);
      for (let i = 0; i < n; i++) for (let j = 0; j < c * hw; j++) expected[i * c * hw + j] = weights[(i * 6 + at) * hw + j]!;
      assert.equal(Array.from(await s.grad!.toArray()), Array.from(expected), `gradient of part ${k}`);
      at += c;
    }
    [out, ...srcs].forEach((t) => t.dispose());
  });
}

/** Float64 batch norm of channels [0, c) of x [N, C, L] with batch statistics (biased variance), then ReLU. */
function batchNormRef(x: Float32Array, n: number, cs: number, c: number, l: number, weight: Float32Array, bias: Float32Array, eps: number): Float64Array {
  const y = new Float64Array(n * c * l);
  for (let ch = 0; ch < c; ch++) {
    let sum = 0, sq = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < l; j++) sum += x[(i * cs + ch) * l + j]!;
    const mean = sum / (n * l);
    for (let i = 0; i < n; i++) for (let j = 0; j < l; j++) sq += (x[(i * cs + ch) * l + j]! - mean) ** 2;
    const invstd = 1 / Math.sqrt(sq / (n * l) + eps);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < l; j++) y[(i * c + ch) * l + j] = Math.max(0, (x[(i * cs + ch) * l + j]! - mean) * invstd * weight[ch]! + bias[ch]!);
    }
  }
  return y;
}

for (const [h, w] of [[3, 5], [4, 4]] as const) {
  test(`batchNorm with channels: 3 of a [2, 5, ${h}, ${w}] buffer normalises them in place as a float64 reference; the rest get zero gradient`, async () => {
    const n = 2, cs = 5, c = 3, l = h * w;
    const xData = randomArray(n * cs * l, 201 + l, -2, 3);
    const weight = randomArray(c, 202, 0.5, 1.5);
    const bias = randomArray(c, 203, -0.5, 0.5);
    const x = tensor(xData, [n, cs, h, w], { requiresGrad: true });
    const [rm, rv] = [full([c], 0), full([c], 1)];
    const y = tidy(() => {
      const out = batchNorm(x, rm, rv, tensor(weight, [c]), tensor(bias, [c]), { training: true, activation: 'relu', channels: c });
      out.mul(tensor(randomArray(n * c * l, 204), [n, c, h, w])).sum().backward();
      return out;
    });
    assert.equal([...y.shape], [n, c, h, w]);
    assertClose(await y.toArray(), batchNormRef(xData, n, cs, c, l, weight, bias, 1e-5), { rtol: 1e-4, atol: 1e-5 });
    const g = await x.grad!.toArray();
    for (let i = 0; i < n; i++) {
      const past = g.subarray((i * cs + c) * l, (i + 1) * cs * l);
      assert.ok(past.every((v) => v === 0), `image ${i}: channels past ${c} have a nonzero gradient`);
      assert.ok(g.subarray(i * cs * l, (i * cs + c) * l).some((v) => v !== 0), `image ${i}: the normalised channels got no gradient`);
    }
    [x, y, rm, rv].forEach((t) => t.dispose());
  });
}

test('a dense-block-like chain (write, prefix batch norm, write, batch norm of all) matches finite differences', async () => {
  const n = 2, c = 3, h = 3, w = 4;
  const [rm, rv, rm2, rv2] = [full([c], 0), full([c], 1), full([2 * c], 0), full([2 * c], 1)];
  await gradcheck((x: Tensor, y: Tensor) => {
    const first = writeChannels(channelBuffer([n, 2 * c, h, w]), x, 0);
    const layer = batchNorm(first, rm, rv, null, null, { training: true, activation: 'relu', channels: c }).mul(y);
    const full2 = writeChannels(first, layer, c);
    return batchNorm(full2, rm2, rv2, null, null, { training: true }).square();
  }, [{ data: randomArray(n * c * h * w, 301, -2, 2), shape: [n, c, h, w] }, { data: randomArray(n * c * h * w, 302), shape: [n, c, h, w] }],
  { eps: 1e-2, rtol: 3e-2, label: 'channel buffer chain' });
  [rm, rv, rm2, rv2].forEach((t) => t.dispose());
});

test('writeChannels refuses a channel written twice, a tensor not made by channelBuffer and a mismatched source', () => {
  tidy(() => {
    const buf = writeChannels(channelBuffer([1, 4, 2, 2]), full([1, 2, 2, 2], 1), 0);
    assert.throws(() => writeChannels(buf, full([1, 2, 2, 2], 1), 1), /some of channels \[1, 3\) were written before/);
    assert.throws(() => writeChannels(full([1, 4, 2, 2], 0), full([1, 1, 2, 2], 1), 3), /was not made by channelBuffer/);
    assert.throws(() => writeChannels(buf, full([1, 1, 2, 3], 1), 3), /must match the buffer in every dimension but channels/);
    assert.throws(() => writeChannels(buf, full([1, 2, 2, 2], 1), 3), /channels \[3, 5\) do not fit the buffer's 4/);
    assert.throws(() => batchNorm(buf, full([5], 0), full([5], 1), null, null, { channels: 5 }), /channels 5 must be an integer from 1 to 4/);
  });
});

test.run();
